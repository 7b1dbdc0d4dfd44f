//! RFC 4733 telephone events against tshark's `rtpevent` dissector on the public
//! captures that carry them (and one with DTMF by SIP INFO only, which must give none).
//!
//! tshark's packets are grouped into events the way the tracker defines one: consecutive
//! packets of a stream with the same RTP timestamp and event code; an event "ended" when
//! any of its packets has the E bit. Our side sees every frame tshark dissected as RTP;
//! a payload type is a telephone event when the capture's SDP maps it so, or, unmapped,
//! when it is 101 (Wireshark's `rtpevent.event_payload_type_value` default) or 100
//! (its `rtpevent.cisco_nse_pt` default: Cisco NSE uses the same payload format).

#![allow(clippy::unwrap_used)] // tests: inputs are known-good

mod common;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::Command;

use argos_rtp::dtmf::DtmfTracker;
use argos_rtp::media_map::{MediaMap, MediaMapLimits};
use argos_rtp::payload::is_telephone_event;
use argos_rtp::rtp;
use argos_rtp::stream::StreamKey;

/// (ssrc, rtp timestamp, event code, ended)
type Event = (u32, u32, u8, bool);

/// (file, number of events when known beforehand; the comparison with tshark is the
/// test either way).
const CAPTURES: &[(&str, Option<usize>)] = &[
    ("sipp__dtmf_2833_1.pcap", Some(1)),
    ("sipnab__DTMFsipinfo.pcap", Some(0)),
    ("acoustic__Voip-trace.pcap", None),
    ("asterisk__opus-2013785496.pcap", Some(10)),
    ("heplify__FAX-Call-t38-CA-TDM-SIP-FB-1.pcap", Some(1)),
    // Not DTMF: PT 101 without SDP carries other data; events change every packet.
    ("ndpi__rtp.pcapng", None),
];

fn tshark_fields(path: &Path, filter: &str, fields: &[&str]) -> Vec<Vec<String>> {
    let mut cmd = Command::new("tshark");
    cmd.arg("-r")
        .arg(path)
        .args(["-o", "rtp.heuristic_rtp:TRUE", "-Y", filter, "-T", "fields"]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect()
}

fn hex_or_dec(s: &str) -> u32 {
    match s.strip_prefix("0x") {
        Some(h) => u32::from_str_radix(h, 16).unwrap(),
        None => s.parse().unwrap(),
    }
}

/// tshark's events, grouped as the module docs say, in frame order.
fn tshark_events(path: &Path) -> Vec<Event> {
    let rows = tshark_fields(
        path,
        "rtpevent",
        &[
            "rtp.ssrc",
            "rtp.timestamp",
            "rtpevent.event_id",
            "rtpevent.end_of_event",
        ],
    );
    let mut events: Vec<Event> = Vec::new();
    let mut last_of_stream: HashMap<u32, usize> = HashMap::new();
    for r in rows {
        let ssrc = hex_or_dec(&r[0]);
        let ts = hex_or_dec(&r[1]);
        let ev: u8 = r[2].parse().unwrap();
        let end = r[3] == "1" || r[3] == "True";
        match last_of_stream.get(&ssrc).and_then(|&i| events.get_mut(i)) {
            Some(e) if e.1 == ts && e.2 == ev => e.3 |= end,
            _ => {
                last_of_stream.insert(ssrc, events.len());
                events.push((ssrc, ts, ev, end));
            }
        }
    }
    events
}

/// Our events: every frame tshark saw as RTP through one tracker per stream.
fn our_events(path: &Path) -> Vec<Event> {
    let rtp_frames: HashSet<u64> = tshark_fields(path, "rtp", &["frame.number"])
        .iter()
        .filter_map(|r| r.first()?.parse().ok())
        .collect();
    let mut map = MediaMap::new(MediaMapLimits::default());
    let mut trackers: HashMap<StreamKey, DtmfTracker> = HashMap::new();
    let mut events = Vec::new();
    let (items, _) = common::read_capture(path);
    for d in items {
        if !d.tcp && rtp_frames.contains(&d.frame) {
            let Ok(p) = rtp::decode(&d.payload).or_else(|_| rtp::decode_header(&d.payload)) else {
                continue;
            };
            let mapped = map
                .lookup_entry(d.src, d.dst)
                .and_then(|e| e.payloads.get(p.payload_type).cloned());
            let (is_te, clock) = match mapped {
                Some(f) => (is_telephone_event(&f.encoding), f.clock_rate),
                None => (matches!(p.payload_type, 100 | 101), 8000),
            };
            let key = StreamKey {
                src: d.src,
                dst: d.dst,
                ssrc: p.ssrc,
            };
            let t = trackers
                .entry(key)
                .or_insert_with(|| DtmfTracker::new(clock));
            if let Some(e) = t.update(&p, is_te, d.ts_us) {
                events.push((e.rtp_timestamp, d.frame, (p.ssrc, e.event, e.ended)));
            }
        } else if let Ok(msg) = argos_sip::parse(&d.payload) {
            map.observe_sip(&msg, d.src, d.ts_us);
        }
    }
    for (key, mut t) in trackers {
        while let Some(e) = t.flush() {
            events.push((e.rtp_timestamp, u64::MAX, (key.ssrc, e.event, e.ended)));
        }
    }
    events
        .into_iter()
        .map(|(ts, _, (ssrc, ev, ended))| (ssrc, ts, ev, ended))
        .collect()
}

/// Events of ours tshark does not decode, and why (printed, not failed).
const KNOWN: &[(&str, u32, &str)] = &[(
    "heplify__FAX-Call-t38-CA-TDM-SIP-FB-1.pcap",
    0x0eaf_0eaf,
    "event 32 (fax ANS) in PT 102, which the SDP of 10.35.60.100:15580 maps to \
     telephone-event; Wireshark's conversation for that port is replaced by the T.38 \
     re-INVITE and no longer maps it (as in tshark_streams.rs KNOWN)",
)];

#[test]
fn telephone_events_match_tshark() {
    let Some(dir) = common::captures_dir() else {
        return;
    };
    if !common::have_tshark() {
        return;
    }
    let mut checked = 0;
    for &(name, expected) in CAPTURES {
        let path = dir.join(name);
        if !path.is_file() {
            eprintln!("SKIP {name}: not found");
            continue;
        }
        let mut want = tshark_events(&path);
        let mut got = our_events(&path);
        for &(file, ssrc, why) in KNOWN {
            if file == name {
                eprintln!("{name}: ignoring SSRC {ssrc:#x}: {why}");
                got.retain(|e| e.0 != ssrc);
            }
        }
        want.sort_unstable();
        got.sort_unstable();
        assert_eq!(got, want, "{name}");
        if let Some(n) = expected {
            assert_eq!(got.len(), n, "{name}");
        }
        eprintln!("{name}: {} events equal tshark's", got.len());
        checked += 1;
    }
    assert!(checked > 0);
}

#[test]
fn sipp_capture_reports_digit_1_once_with_its_duration() {
    let Some(path) = common::capture("sipp__dtmf_2833_1.pcap") else {
        return;
    };
    let mut t = DtmfTracker::new(8000);
    let mut got = Vec::new();
    for d in common::udp_datagrams(&path) {
        let Ok(p) = rtp::decode(&d.payload) else {
            continue;
        };
        got.extend(t.update(&p, p.payload_type == 101, d.ts_us));
    }
    assert!(t.flush().is_none());
    assert_eq!(got.len(), 1, "{got:?}");
    // 10 packets: duration 0 … 2240, then the end packet three times.
    assert_eq!(got[0].digit, Some('1'));
    assert!(got[0].ended);
    assert_eq!(got[0].duration, 2240);
    assert_eq!(got[0].duration_ms, 280.0);
    assert_eq!(got[0].volume, 10);
}

/// The fuzz target's entry point (RTP, stream, DTMF tracker, E-model) on pseudo-random
/// packets, a quarter of them shaped as telephone events: no panic, at most one event per
/// timestamp (asserted inside).
#[test]
fn fuzz_entry_survives_random_packets() {
    let mut x = 0x9E37_79B9u32;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        x
    };
    for _ in 0..20_000 {
        let len = (next() % 40) as usize;
        let mut buf: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        if let Some(b0) = buf.first_mut() {
            *b0 = 0x80 | (*b0 & 0x3F);
        }
        if next() % 4 == 0 {
            if let Some(b1) = buf.get_mut(1) {
                *b1 = 101;
            }
        }
        argos_rtp::fuzzing::rtp(&buf);
    }
}
