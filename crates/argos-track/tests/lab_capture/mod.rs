//! Test helper shared by the integration tests (`lab.rs`, `alarms.rs`, `diagnose.rs`):
//! reads a capture file into `Record`s the way argos-server builds them.
//!
//! * [`read_captures`] takes the SIP messages of a file from one [`Source`]: the SIP on
//!   the wire (plain SIP over UDP and reassembled TCP, as `argos import` reads it; HEP
//!   copies skipped), or the lab's HEP copies on udp/9060, decoded (what a live collector
//!   receives).
//! * [`link`] fills the searchable fields (`argos_sip::fields::message_fields`, the
//!   pipeline's own conversion) and sets `call_key` like the pipeline's `Linker`: X-CID
//!   (else a HEP correlation id naming another Call-ID) names the a-leg, with one hop of
//!   Call-ID → a-leg linking.
//!
//! A minimal copy of argos-server's `pcap_input`, `hep_input` and `pipeline::Linker`,
//! which this crate must not depend on (the server depends on it).
#![allow(dead_code, clippy::expect_used)]

use argos_model::{Capture, PayloadKind, Record, StoredMessage, Transport};
use argos_net::{
    decode_packet, CaptureError, CaptureReader, ReassemblyLimits, SipTcpReassembler, TcpMessage,
    TransportHeader,
};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// `shared/testdata/<rel>` beside the repository (CI: X/argos and X/shared), else under
/// `/work/shared`, when present.
pub fn testdata(rel: &str) -> Option<PathBuf> {
    let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    let Some(shared) = [beside, PathBuf::from("/work/shared")]
        .into_iter()
        .find(|p| p.is_dir())
    else {
        eprintln!("skipping: no shared/ directory beside the repository (or /work/shared)");
        return None;
    };
    let p = shared.join("testdata").join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("skipping: {} not present", p.display());
        None
    }
}

/// Every capture file under `shared/testdata/captures` (and the lab capture).
pub fn all_captures() -> Vec<PathBuf> {
    let mut v = Vec::new();
    for dir in ["captures", "lab"] {
        let Some(d) = testdata(dir) else { continue };
        let Ok(rd) = std::fs::read_dir(d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.ends_with(".pcap") || name.ends_with(".pcapng") {
                v.push(p);
            }
        }
    }
    v.sort();
    v
}

/// Same cheap check as `argos import`: the first line of a SIP request or response.
pub fn looks_like_sip(p: &[u8]) -> bool {
    let mut p = p;
    while let [b'\r' | b'\n', rest @ ..] = p {
        p = rest;
    }
    if p.starts_with(b"SIP/2.0 ") {
        return true;
    }
    let line_end = p
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(p.len())
        .min(8192);
    let line = &p[..line_end];
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let Some(sp) = line.iter().position(|&b| b == b' ') else {
        return false;
    };
    sp > 0 && line[..sp].iter().all(|c| c.is_ascii_alphabetic()) && line.ends_with(b" SIP/2.0")
}

/// Which copy of a capture's messages to read (each message is on the wire once and, in
/// the lab capture, once more as the HEP copy Kamailio sent: a run takes one of the two,
/// so no message counts twice).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// UDP datagrams that look like SIP and reassembled TCP messages (`argos import`).
    Wire,
    /// The lab's HEP packets on udp/9060 (auth key `labsecret`), decoded.
    Hep,
}

/// What [`read_captures`] read from one file.
#[derive(Debug)]
pub struct CaptureFile {
    /// The messages, in file order.
    pub captures: Vec<Capture>,
    /// Why reading stopped early (not a capture file, or a damaged frame), if it did; the
    /// messages before that point are in `captures`, like `argos import` keeps them.
    pub error: Option<CaptureError>,
}

/// The SIP messages of a capture file in file order, from one source. IP fragments are
/// skipped, as `argos import` skips them.
pub fn read_captures(path: &Path, source: Source) -> CaptureFile {
    let bytes = std::fs::read(path).expect("read capture");
    let mut reader = match CaptureReader::new(&bytes[..]) {
        Ok(r) => r,
        Err(e) => {
            return CaptureFile {
                captures: Vec::new(),
                error: Some(e),
            }
        }
    };
    let mut tcp = SipTcpReassembler::new(ReassemblyLimits::default());
    let mut tcp_out = Vec::new();
    let mut caps = Vec::new();
    let mut error = None;
    while let Some(frame) = reader.next_frame() {
        let frame = match frame {
            Ok(f) => f,
            Err(e) => {
                error = Some(e);
                break;
            }
        };
        let ts = frame.ts_us;
        let Ok(pkt) = decode_packet(frame.link_type, frame.data) else {
            continue;
        };
        if pkt.ip_fragment {
            continue;
        }
        match (source, pkt.transport) {
            (Source::Wire, TransportHeader::Udp { src_port, dst_port })
                if looks_like_sip(pkt.payload) =>
            {
                caps.push(Capture::new(
                    ts,
                    SocketAddr::new(pkt.src, src_port),
                    SocketAddr::new(pkt.dst, dst_port),
                    Transport::Udp,
                    PayloadKind::SIP,
                    pkt.payload.to_vec().into(),
                ));
            }
            (
                Source::Wire,
                TransportHeader::Tcp {
                    src_port,
                    dst_port,
                    seq,
                    ..
                },
            ) if !pkt.payload.is_empty() => {
                let src = SocketAddr::new(pkt.src, src_port);
                let dst = SocketAddr::new(pkt.dst, dst_port);
                tcp.push(ts, src, dst, seq, pkt.payload, &mut tcp_out);
                caps.extend(tcp_out.drain(..).map(tcp_capture));
            }
            (Source::Hep, TransportHeader::Udp { dst_port: 9060, .. }) => {
                caps.push(hep_capture(pkt.payload));
            }
            _ => {}
        }
    }
    tcp.flush_all(&mut tcp_out);
    caps.extend(tcp_out.drain(..).map(tcp_capture));
    CaptureFile {
        captures: caps,
        error,
    }
}

fn tcp_capture(m: TcpMessage) -> Capture {
    Capture::new(
        m.ts_us,
        m.src,
        m.dst,
        Transport::Tcp,
        PayloadKind::SIP,
        m.data.into(),
    )
}

/// argos-server's `hep_input::capture_from_frame`, for the lab's well-formed packets.
fn hep_capture(frame: &[u8]) -> Capture {
    let pkt = argos_hep::decode(frame).expect("the lab's HEP decodes");
    assert_eq!(pkt.auth_key, Some(&b"labsecret"[..]));
    let text = |b: Option<&[u8]>| {
        b.filter(|b| !b.is_empty())
            .map(|b| String::from_utf8_lossy(b).into_owned().into_boxed_str())
    };
    Capture {
        ts_us: i64::from(pkt.ts_sec) * 1_000_000 + i64::from(pkt.ts_usec),
        src: SocketAddr::new(pkt.src_ip, pkt.src_port),
        dst: SocketAddr::new(pkt.dst_ip, pkt.dst_port),
        transport: Transport::from_ip_proto(pkt.ip_proto),
        kind: PayloadKind(pkt.proto_type.0),
        capture_id: pkt.capture_id,
        node: text(pkt.node_name),
        correlation_id: text(pkt.correlation_id),
        vlan: pkt.vlan_id,
        payload: pkt.payload.into_owned().into(),
    }
}

/// Parsed records with `call_key` set like argos-server's `Linker`: X-CID (else a HEP
/// correlation id that is not the message's own Call-ID) names the a-leg; Call-IDs
/// linked to an a-leg keep its key.
pub fn link(caps: Vec<Capture>) -> Vec<Record> {
    let cfg = argos_sip::FieldConfig::default();
    let mut a_leg_of: HashMap<String, String> = HashMap::new();
    caps.into_iter()
        .map(|capture| {
            let mut fields = argos_model::MessageFields::default();
            if capture.kind == PayloadKind::SIP {
                if let Ok(m) = argos_sip::parse(&capture.payload) {
                    fields = argos_sip::fields::message_fields(&m.summary(&cfg));
                }
            }
            let hep_cid = capture.correlation_id.as_deref().map(str::to_owned);
            fields.call_key = fields.call_id.clone().map(|cid| {
                let named = fields.a_leg.clone().or(hep_cid.filter(|c| *c != cid));
                match named {
                    Some(a) => {
                        let root = a_leg_of.get(&a).cloned().unwrap_or(a);
                        if root != cid {
                            a_leg_of.insert(cid, root.clone());
                        }
                        root
                    }
                    None => a_leg_of.get(&cid).cloned().unwrap_or(cid),
                }
            });
            Record { capture, fields }
        })
        .collect()
}

/// The SIP records on the wire of a capture file, in file order, `call_key` set. A file
/// that is not a capture gives none; a damaged one, the records before the damage.
pub fn read_records(path: &Path) -> Vec<Record> {
    link(read_captures(path, Source::Wire).captures)
}

/// Records grouped by `call_key` as the store's call lookup returns them: time order,
/// with ids.
pub fn calls(records: &[Record]) -> HashMap<String, Vec<StoredMessage>> {
    let mut out: HashMap<String, Vec<StoredMessage>> = HashMap::new();
    for (i, r) in records.iter().enumerate() {
        if let Some(k) = &r.fields.call_key {
            out.entry(k.clone()).or_default().push(StoredMessage {
                id: i as u64 + 1,
                record: r.clone(),
            });
        }
    }
    for v in out.values_mut() {
        v.sort_by_key(|m| (m.record.capture.ts_us, m.id));
    }
    out
}

/// A record from a raw SIP text (`\n` line ends are turned into CRLF), `call_key` its
/// X-CID else its own Call-ID (no linking).
pub fn record(ts_us: i64, src: &str, dst: &str, sip: &str) -> Record {
    let text = if sip.contains("\r\n") {
        sip.to_owned()
    } else {
        sip.replace('\n', "\r\n")
    };
    let capture = Capture::new(
        ts_us,
        src.parse().expect("src addr"),
        dst.parse().expect("dst addr"),
        Transport::Udp,
        PayloadKind::SIP,
        text.into_bytes().into(),
    );
    let mut fields = argos_sip::parse(&capture.payload)
        .map(|m| argos_sip::fields::message_fields(&m.summary(&argos_sip::FieldConfig::default())))
        .unwrap_or_default();
    fields.call_key = fields.a_leg.clone().or_else(|| fields.call_id.clone());
    Record { capture, fields }
}
