//! RTP stream statistics against the oracle `tshark -q -z rtp,streams` on every public
//! capture that has RTP: same streams (addresses, ports, SSRC, payload names), same
//! packet and lost counts, and min/mean/max delta and jitter within 0.01 ms.
//!
//! Our analyser is fed exactly the frames tshark dissected as RTP (`-Y rtp`, with the
//! `rtp_udp` heuristic on), so the test checks the statistics, not RTP detection;
//! dynamic payload types are resolved from the capture's SDP through `MediaMap`, as
//! Wireshark resolves them from its SDP-created conversations.

#![allow(clippy::unwrap_used)] // tests: inputs are known-good

mod common;

use std::collections::{BTreeMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::process::Command;

use argos_rtp::media_map::{MediaMap, MediaMapLimits};
use argos_rtp::rtp;
use argos_rtp::stream::{StreamKey, StreamSummary, StreamTable};

#[derive(Debug)]
struct Row {
    key: StreamKey,
    payload: String,
    packets: u64,
    lost: i64,
    min_delta: f64,
    mean_delta: f64,
    max_delta: f64,
    min_jitter: f64,
    mean_jitter: f64,
    max_jitter: f64,
    problem: bool,
}

fn tshark(path: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(path)
        .args(["-o", "rtp.heuristic_rtp:TRUE"])
        .args(args)
        .output()
        .ok()?;
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Parses `-z rtp,streams` rows (format qos-metrics.md §2). The payload column may
/// contain spaces (`g711A, telephone-event`): the fields around it are fixed in number.
fn parse_rows(text: &str) -> Vec<Row> {
    let mut rows = Vec::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        let Some(ssrc_at) = f.iter().position(|t| t.starts_with("0x")) else {
            continue;
        };
        if ssrc_at != 6 {
            continue;
        }
        let problem = f.last() == Some(&"X");
        let tail_len = if problem { 10 } else { 9 };
        if f.len() < ssrc_at + 1 + tail_len {
            continue;
        }
        let tail = &f[f.len() - tail_len..];
        let payload = f[ssrc_at + 1..f.len() - tail_len].join(" ");
        let num = |s: &str| s.parse::<f64>().unwrap_or(f64::NAN);
        let ip = |s: &str| s.parse::<IpAddr>().ok();
        let port = |s: &str| s.parse::<u16>().ok();
        let (Some(sip), Some(sp), Some(dip), Some(dp)) =
            (ip(f[2]), port(f[3]), ip(f[4]), port(f[5]))
        else {
            continue;
        };
        let Ok(ssrc) = u32::from_str_radix(f[6].trim_start_matches("0x"), 16) else {
            continue;
        };
        rows.push(Row {
            key: StreamKey {
                src: SocketAddr::new(sip, sp),
                dst: SocketAddr::new(dip, dp),
                ssrc,
            },
            payload,
            packets: tail[0].parse().unwrap_or(0),
            lost: tail[1].parse().unwrap_or(i64::MIN),
            min_delta: num(tail[3]),
            mean_delta: num(tail[4]),
            max_delta: num(tail[5]),
            min_jitter: num(tail[6]),
            mean_jitter: num(tail[7]),
            max_jitter: num(tail[8]),
            problem,
        });
    }
    rows
}

/// Our payload names as tshark prints them: without SDP, Wireshark's preferences decode
/// PT 101 as RFC 4733 events and PT 99 as RFC 2198 redundancy, named by their dissector.
fn tshark_payload_names(s: &StreamSummary) -> String {
    s.payload_names
        .split(", ")
        .map(|n| match n {
            "RTPType-101" => "rtpevent",
            "RTPType-99" => "rtp.rfc2198",
            other => other,
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Captures where a difference is expected, and why (the test prints them instead of
/// failing).
const KNOWN: &[(&str, &str)] = &[
    (
        "heplify__FAX-Call-t38-CA-TDM-SIP-FB-1.pcap",
        "payload name only: after the T.38 re-INVITE Wireshark's conversation for \
         10.35.60.100:15580 no longer maps PT 102 to telephone-event (clock 0 either way)",
    ),
    (
        "arkime__gtp-iphone.pcap",
        "the SDP mapping PT 102 to AMR is in SIP over TCP (GTP-U, ports reused by a second \
         connection) that this test's reassembly does not deliver: clock unknown, no jitter",
    ),
];

/// Our streams, and the frames tshark saw as RTP that argos-net could not decode.
fn analyse(path: &Path, rtp_frames: &HashSet<u64>) -> (StreamTable, Vec<u64>) {
    let mut map = MediaMap::new(MediaMapLimits::default());
    let mut table = StreamTable::new(10_000);
    let (items, bad) = common::read_capture(path);
    let undecoded = bad.into_iter().filter(|f| rtp_frames.contains(f)).collect();
    for d in items {
        if !d.tcp && rtp_frames.contains(&d.frame) {
            // Wireshark analyses a packet whose padding count is wrong as well.
            let Ok(p) = rtp::decode(&d.payload).or_else(|_| rtp::decode_header(&d.payload)) else {
                continue;
            };
            let key = StreamKey {
                src: d.src,
                dst: d.dst,
                ssrc: p.ssrc,
            };
            let payloads = map.lookup_entry(d.src, d.dst).map(|e| e.payloads.clone());
            table.update(key, &p, d.ts_us, || payloads);
        } else if let Ok(msg) = argos_sip::parse(&d.payload) {
            map.observe_sip(&msg, d.src, d.ts_us);
        }
    }
    (table, undecoded)
}

/// `(ssrc, src port, dst port)` of the given RTP frames, from tshark.
fn streams_of_frames(path: &Path, frames: &[u64]) -> HashSet<(u32, u16, u16)> {
    if frames.is_empty() {
        return HashSet::new();
    }
    let filter = frames
        .iter()
        .map(|f| format!("frame.number=={f}"))
        .collect::<Vec<_>>()
        .join(" || ");
    let out = tshark(
        path,
        &[
            "-Y",
            &filter,
            "-T",
            "fields",
            "-e",
            "rtp.ssrc",
            "-e",
            "udp.srcport",
            "-e",
            "udp.dstport",
        ],
    )
    .unwrap_or_default();
    out.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            Some((
                u32::from_str_radix(f.first()?.trim_start_matches("0x"), 16).ok()?,
                f.get(1)?.parse().ok()?,
                f.get(2)?.parse().ok()?,
            ))
        })
        .collect()
}

#[test]
fn rtp_streams_match_tshark() {
    let Some(dir) = common::captures_dir() else {
        return;
    };
    if !common::have_tshark() {
        return;
    }
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "pcap" || e == "pcapng"));
    files.sort();
    let mut failures = Vec::new();
    let mut compared_files = 0;
    let mut compared_streams = 0;
    for path in &files {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Some(text) = tshark(path, &["-q", "-z", "rtp,streams"]) else {
            continue;
        };
        let rows = parse_rows(&text);
        if rows.is_empty() {
            continue;
        }
        let frames: HashSet<u64> =
            tshark(path, &["-Y", "rtp", "-T", "fields", "-e", "frame.number"])
                .unwrap_or_default()
                .lines()
                .filter_map(|l| l.trim().parse().ok())
                .collect();
        let (table, undecoded) = analyse(path, &frames);
        let tainted = streams_of_frames(path, &undecoded);
        let known = KNOWN.iter().find(|(f, _)| *f == name).map(|(_, why)| *why);
        compared_files += 1;
        let ours: BTreeMap<StreamKey, StreamSummary> =
            table.iter().map(|(k, s)| (*k, s.summary())).collect();
        if ours.len() != rows.len() && tainted.is_empty() {
            failures.push(format!(
                "{name}: {} streams, tshark {}",
                ours.len(),
                rows.len()
            ));
        }
        for row in &rows {
            if tainted.contains(&(row.key.ssrc, row.key.src.port(), row.key.dst.port())) {
                println!(
                    "SKIP {name}: {} -> {} ssrc {:#010x}: {} RTP frames argos-net does not decode (snaplen-cut)",
                    row.key.src,
                    row.key.dst,
                    row.key.ssrc,
                    undecoded.len()
                );
                continue;
            }
            let Some(s) = ours.get(&row.key) else {
                failures.push(format!("{name}: stream {:?} missing", row.key));
                continue;
            };
            compared_streams += 1;
            let mut diffs = Vec::new();
            if s.packets != row.packets {
                diffs.push(format!("packets {} vs {}", s.packets, row.packets));
            }
            if s.lost != row.lost {
                diffs.push(format!("lost {} vs {}", s.lost, row.lost));
            }
            for (what, a, b) in [
                ("min delta", s.min_delta_ms, row.min_delta),
                ("mean delta", s.mean_delta_ms, row.mean_delta),
                ("max delta", s.max_delta_ms, row.max_delta),
                ("min jitter", s.min_jitter_ms, row.min_jitter),
                ("mean jitter", s.mean_jitter_ms, row.mean_jitter),
                ("max jitter", s.max_jitter_ms, row.max_jitter),
            ] {
                if (a - b).abs() > 0.01 {
                    diffs.push(format!("{what} {a:.3} vs {b:.3}"));
                }
            }
            if s.problem != row.problem {
                diffs.push(format!("problem {} vs {}", s.problem, row.problem));
            }
            let names = tshark_payload_names(s);
            if names != row.payload {
                diffs.push(format!("payload {names:?} vs {:?}", row.payload));
            }
            if let (false, Some(why)) = (diffs.is_empty(), known) {
                println!("KNOWN {name}: {} ({why})", diffs.join(", "));
            } else if !diffs.is_empty() {
                failures.push(format!(
                    "{name}: {} -> {} ssrc {:#010x}: {}",
                    row.key.src,
                    row.key.dst,
                    row.key.ssrc,
                    diffs.join(", ")
                ));
            }
        }
    }
    println!("compared {compared_streams} streams in {compared_files} captures with tshark");
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
