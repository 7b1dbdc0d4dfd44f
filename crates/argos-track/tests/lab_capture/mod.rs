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
//! Capture files go through `argos-wire` like `argos import`; `link` is a minimal copy of
//! argos-server's `pipeline::Linker`, which this crate must not depend on (the server
//! depends on it).
#![allow(dead_code, clippy::expect_used)]

use argos_model::{Capture, PayloadKind, Record, StoredMessage, Transport};
use std::collections::HashMap;
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
    pub error: Option<String>,
}

/// The SIP messages of a capture file in file order, from one source, through the packet
/// path of `argos import` ([`argos_wire::read_captures`]).
pub fn read_captures(path: &Path, source: Source) -> CaptureFile {
    let bytes = std::fs::read(path).expect("read capture");
    let mut caps = Vec::new();
    let res = argos_wire::read_captures(&bytes[..], source == Source::Hep, |c| {
        // Unwrapped HEP copies carry the sender's capture id; wire messages have none.
        if (source == Source::Hep) == (c.capture_id != 0) {
            caps.push(c);
        }
        true
    });
    let error = match res {
        Err(e) => Some(format!("{e}")),
        Ok(n) if n.file_errors > 0 => Some(format!("{} damaged frame(s)", n.file_errors)),
        Ok(_) => None,
    };
    CaptureFile {
        captures: caps,
        error,
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
