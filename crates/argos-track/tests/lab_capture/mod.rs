//! Test helper: reads a capture file into `Record`s the way `argos import` does
//! (plain SIP over UDP and reassembled TCP; HEP copies on the wire skipped), with the
//! searchable fields and a `call_key` (X-CID a-leg, else own Call-ID, one hop of linking).
//! A minimal copy of argos-server's `pcap_input` + `pipeline::fields_of`, which this crate
//! must not depend on.
#![allow(dead_code)]

use argos_model::{Capture, MessageFields, PayloadKind, Record, StoredMessage, Transport};
use argos_net::{
    decode_packet, CaptureReader, ReassemblyLimits, SipTcpReassembler, TransportHeader,
};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// `../shared/testdata/<rel>` from the workspace, when present.
pub fn testdata(rel: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/testdata")
        .join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("skipping: {} not present", p.display());
        None
    }
}

/// Every capture file under `../shared/testdata/captures` (and the lab capture).
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

/// The SIP records of a capture file, in file order, `call_key` set.
pub fn read_records(path: &Path) -> Vec<Record> {
    let bytes = std::fs::read(path).expect("read capture");
    let mut reader = match CaptureReader::new(&bytes[..]) {
        Ok(r) => r,
        Err(_) => return Vec::new(),
    };
    let mut tcp = SipTcpReassembler::new(ReassemblyLimits::default());
    let mut tcp_out = Vec::new();
    let mut caps = Vec::new();
    while let Some(Ok(frame)) = reader.next_frame() {
        let ts = frame.ts_us;
        let Ok(pkt) = decode_packet(frame.link_type, frame.data) else {
            continue;
        };
        if pkt.ip_fragment {
            continue;
        }
        match pkt.transport {
            TransportHeader::Udp { src_port, dst_port } if looks_like_sip(pkt.payload) => {
                caps.push(Capture::new(
                    ts,
                    SocketAddr::new(pkt.src, src_port),
                    SocketAddr::new(pkt.dst, dst_port),
                    Transport::Udp,
                    PayloadKind::SIP,
                    pkt.payload.to_vec().into(),
                ));
            }
            TransportHeader::Tcp {
                src_port,
                dst_port,
                seq,
                ..
            } => {
                if pkt.payload.is_empty() {
                    continue;
                }
                let src = SocketAddr::new(pkt.src, src_port);
                let dst = SocketAddr::new(pkt.dst, dst_port);
                tcp.push(ts, src, dst, seq, pkt.payload, &mut tcp_out);
                for m in tcp_out.drain(..) {
                    caps.push(Capture::new(
                        m.ts_us,
                        m.src,
                        m.dst,
                        Transport::Tcp,
                        PayloadKind::SIP,
                        m.data.into(),
                    ));
                }
            }
            _ => {}
        }
    }
    tcp.flush_all(&mut tcp_out);
    for m in tcp_out.drain(..) {
        caps.push(Capture::new(
            m.ts_us,
            m.src,
            m.dst,
            Transport::Tcp,
            PayloadKind::SIP,
            m.data.into(),
        ));
    }
    let mut legs: HashMap<String, String> = HashMap::new();
    caps.into_iter()
        .map(|c| {
            let mut fields = argos_sip::parse(&c.payload)
                .map(|m| fields_of(&m.summary(&argos_sip::FieldConfig::default())))
                .unwrap_or_default();
            fields.call_key = fields.call_id.as_deref().map(|cid| {
                if let Some(a) = fields.a_leg.as_deref() {
                    let root = legs.get(a).cloned().unwrap_or_else(|| a.to_owned());
                    legs.insert(cid.to_owned(), root.clone());
                    root
                } else {
                    legs.get(cid).cloned().unwrap_or_else(|| cid.to_owned())
                }
            });
            Record { capture: c, fields }
        })
        .collect()
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

fn own(s: Option<&str>) -> Option<String> {
    s.filter(|v| !v.is_empty()).map(str::to_owned)
}

pub fn fields_of(s: &argos_sip::SipSummary<'_>) -> MessageFields {
    MessageFields {
        method: own(s.method),
        status: s.status,
        reason: own(s.reason),
        ruri: own(s.ruri),
        ruri_user: own(s.ruri_user),
        ruri_domain: own(s.ruri_domain),
        from_user: own(s.from_user),
        from_domain: own(s.from_domain),
        from_tag: own(s.from_tag),
        to_user: own(s.to_user),
        to_domain: own(s.to_domain),
        to_tag: own(s.to_tag),
        pai_user: own(s.pai_user),
        contact_user: own(s.contact_user),
        contact_ip: own(s.contact_ip),
        contact_port: s.contact_port,
        auth_user: own(s.auth_user),
        call_id: own(s.call_id),
        a_leg: own(s.a_leg.as_deref()),
        via_branch: own(s.via_branch),
        cseq_num: s.cseq_num,
        cseq_method: own(s.cseq_method),
        diversion_user: own(s.diversion_user),
        reason_header: own(s.reason_header),
        content_type: own(s.content_type),
        user_agent: own(s.user_agent),
        expires: s.expires,
        sdp_media: s
            .sdp
            .as_ref()
            .map(|sdp| sdp.media_summary())
            .filter(|m| !m.is_empty()),
        call_key: None,
    }
}

/// A record from a raw SIP text (`\n` line ends are turned into CRLF).
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
        .map(|m| fields_of(&m.summary(&argos_sip::FieldConfig::default())))
        .unwrap_or_default();
    fields.call_key = fields.a_leg.clone().or_else(|| fields.call_id.clone());
    Record { capture, fields }
}
