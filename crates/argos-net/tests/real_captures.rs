//! Integration tests over the public captures in `../shared/testdata/captures`,
//! compared with tshark where it is installed. Both are optional: the tests skip
//! (with a message) when either is missing.

#![allow(clippy::unwrap_used)] // tests: inputs are known-good

mod common;
use argos_net::{
    build_frames, decode_packet, CaptureReader, FrameProto, LinkType, PcapWriter, ReassemblyLimits,
    SipTcpReassembler, TcpMessage, TransportHeader,
};
use common::{captures_dir, have_tshark};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

fn capture_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .expect("read captures dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            n.ends_with(".pcap") || n.ends_with(".pcapng")
        })
        .collect();
    v.sort();
    v
}

/// What we decode per frame: Some((proto, sport, dport, payload_len)) for UDP/TCP.
#[derive(Debug, Default)]
struct FileResult {
    frames: usize,
    read_errors: Vec<String>,
    /// per frame (1-based index = frame.number)
    transport: Vec<Option<(u8, u16, u16, usize)>>,
    fragment: Vec<bool>,
    decode_errors: BTreeMap<&'static str, usize>,
}

fn read_file(path: &Path) -> FileResult {
    let file = std::fs::File::open(path).expect("open capture");
    let mut r = CaptureReader::new(file).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut res = FileResult::default();
    while let Some(f) = r.next_frame() {
        let f = match f {
            Ok(f) => f,
            Err(e) => {
                res.read_errors.push(e.to_string());
                continue;
            }
        };
        res.frames += 1;
        match decode_packet(f.link_type, f.data) {
            Ok(p) => {
                res.fragment.push(p.ip_fragment);
                res.transport.push(match p.transport {
                    TransportHeader::Udp { src_port, dst_port } => {
                        Some((17, src_port, dst_port, p.payload.len()))
                    }
                    TransportHeader::Tcp {
                        src_port, dst_port, ..
                    } => Some((6, src_port, dst_port, p.payload.len())),
                    _ => None,
                });
            }
            Err(e) => {
                *res.decode_errors.entry(e.reason()).or_default() += 1;
                res.fragment.push(false);
                res.transport.push(None);
            }
        }
    }
    res
}

fn tshark_fields(path: &Path, extra: &[&str], fields: &[&str]) -> Vec<Vec<String>> {
    let mut cmd = Command::new("tshark");
    cmd.arg("-n")
        .arg("-r")
        .arg(path)
        .args(extra)
        .args(["-T", "fields"]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().expect("run tshark");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

fn first(s: &str) -> Option<&str> {
    s.split(',').next().filter(|x| !x.is_empty())
}

/// Encapsulations we do not decode: tshark's first UDP/TCP header is an inner one.
fn tunnelled(protocols: &str) -> bool {
    let toks: Vec<&str> = protocols.split(':').collect();
    let ips = toks.iter().filter(|t| **t == "ip" || **t == "ipv6").count();
    ips > 1
        || toks.iter().any(|t| {
            matches!(
                *t,
                "gre"
                    | "icmp"
                    | "icmpv6"
                    | "erspan"
                    | "gtp"
                    | "vxlan"
                    | "ieee8021ah"
                    | "ipv6.fraghdr"
            )
        })
}

#[test]
fn every_capture_reads_and_matches_tshark_transport() {
    let Some(dir) = captures_dir() else { return };
    let files = capture_files(&dir);
    assert!(files.len() > 50, "expected the public capture set");
    let tshark = have_tshark();
    let results: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = files
            .chunks(files.len().div_ceil(8))
            .map(|chunk| {
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|p| {
                            let ours = read_file(p);
                            let theirs = tshark.then(|| {
                                tshark_fields(
                                    p,
                                    &[],
                                    &[
                                        "frame.number",
                                        "frame.protocols",
                                        "udp.srcport",
                                        "udp.dstport",
                                        "udp.length",
                                        "tcp.srcport",
                                        "tcp.dstport",
                                        "tcp.len",
                                        "_ws.expert.severity",
                                    ],
                                )
                            });
                            (p.clone(), ours, theirs)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("worker"))
            .collect()
    });
    let mut compared = 0usize;
    let mut with_payload = 0usize;
    let mut malformed = 0usize;
    let mut problems = Vec::new();
    for (path, ours, theirs) in &results {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("?");
        eprintln!(
            "{name}: {} frames, {} read errors, decode errors {:?}",
            ours.frames,
            ours.read_errors.len(),
            ours.decode_errors
        );
        let Some(theirs) = theirs else { continue };
        if theirs.len() != ours.frames {
            problems.push(format!(
                "{name}: tshark {} frames, we {}",
                theirs.len(),
                ours.frames
            ));
            continue;
        }
        for (i, row) in theirs.iter().enumerate() {
            let get = |k: usize| row.get(k).map(String::as_str).unwrap_or("");
            let protos = get(1);
            if tunnelled(protos) || ours.fragment[i] {
                continue;
            }
            let t = if let (Some(s), Some(d)) = (first(get(2)), first(get(3))) {
                let len = first(get(4))
                    .and_then(|l| l.parse::<usize>().ok())
                    .unwrap_or(8);
                Some((17u8, s, d, len.saturating_sub(8)))
            } else if let (Some(s), Some(d)) = (first(get(5)), first(get(6))) {
                let len = first(get(7))
                    .and_then(|l| l.parse::<usize>().ok())
                    .unwrap_or(0);
                Some((6u8, s, d, len))
            } else {
                None
            };
            let t = t.map(|(p, s, d, l)| {
                (
                    p,
                    s.parse::<u16>().unwrap_or(0),
                    d.parse::<u16>().unwrap_or(0),
                    l,
                )
            });
            // tshark flags an error (bogus length, ...): we must match or refuse.
            if get(8).split(',').any(|sev| sev == "8388608") {
                malformed += 1;
                if ours.transport[i].is_none() || ours.transport[i] == t {
                    continue;
                }
            }
            compared += 1;
            if t.is_some_and(|t| t.3 > 0) {
                with_payload += 1;
            }
            if t != ours.transport[i] {
                problems.push(format!(
                    "{name} frame {}: tshark {t:?} ({protos}), ours {:?}",
                    i + 1,
                    ours.transport[i]
                ));
            }
        }
    }
    eprintln!(
        "compared {compared} frames with tshark ({with_payload} UDP/TCP with payload); \
         {malformed} frames tshark flags as errors (we match or refuse them)"
    );
    for p in problems.iter().take(50) {
        eprintln!("MISMATCH {p}");
    }
    assert!(
        problems.is_empty(),
        "{} mismatches with tshark",
        problems.len()
    );
}

/// SIP messages our reassembler yields from every TCP segment of a capture.
fn sip_over_tcp(path: &Path) -> (Vec<TcpMessage>, argos_net::ReassemblyStats) {
    let file = std::fs::File::open(path).expect("open capture");
    let mut r = CaptureReader::new(file).expect("capture opens");
    let mut re = SipTcpReassembler::new(ReassemblyLimits::default());
    let mut out = Vec::new();
    while let Some(f) = r.next_frame() {
        let Ok(f) = f else { continue };
        let Ok(p) = decode_packet(f.link_type, f.data) else {
            continue;
        };
        if let TransportHeader::Tcp {
            src_port,
            dst_port,
            seq,
            ..
        } = p.transport
        {
            re.push(
                f.ts_us,
                SocketAddr::new(p.src, src_port),
                SocketAddr::new(p.dst, dst_port),
                seq,
                p.payload,
                &mut out,
            );
            re.flush_idle(f.ts_us, &mut out);
        }
    }
    re.flush_all(&mut out);
    (out, re.stats())
}

/// Counts `sip.Method` + `sip.Status-Code` occurrences (several per frame possible).
fn tshark_sip_count(path: &Path, filter: &str) -> usize {
    tshark_fields(
        path,
        &["-d", "tcp.port==6060,sip", "-Y", filter],
        &["sip.Method", "sip.Status-Code"],
    )
    .iter()
    .flatten()
    .flat_map(|c| c.split(','))
    .filter(|s| !s.is_empty())
    .count()
}

/// (file, SIP messages over plain TCP). Counts are tshark 4.0's (`sip && tcp &&
/// !websocket`, port 6060 decoded as SIP) and the suricata-verify / SOURCES.md oracles.
const TCP_SIP: &[(&str, usize)] = &[
    ("suricata__sip-body-large.pcap", 2),
    ("suricata__sip-tcp.pcap", 2),
    ("suricata__sip-tcp-pattern-matching_sip.pcap", 2),
    ("heplify__sip_ipv4_tcp.pcap", 7),
    ("heplify__sip_ipv4_tcp_fragmented.pcap", 406),
    ("heplify__sip_ipv4_tcp_retrans.pcap", 4),
    ("heplify__sip_tcp_websocket.pcap", 0),
    ("arkime__arkime_synthetic.pcap", 3),
    ("junkie__voip_sip_via.pcap", 2),
    ("pcpp__sip_resp.pcap", 1),
    ("rtcagent__dump.pcap", 4),
];

#[test]
fn sip_over_tcp_message_counts_match_tshark() {
    let Some(dir) = captures_dir() else { return };
    let tshark = have_tshark();
    for (name, expected) in TCP_SIP {
        let path = dir.join(name);
        let (msgs, stats) = sip_over_tcp(&path);
        eprintln!("{name}: {} messages, {stats:?}", msgs.len());
        assert_eq!(msgs.len(), *expected, "{name}");
        if tshark {
            let t = tshark_sip_count(&path, "sip && tcp && !websocket");
            assert_eq!(msgs.len(), t, "{name}: tshark says {t}");
        }
    }
}

#[test]
fn large_body_invite_reassembled() {
    let Some(dir) = captures_dir() else { return };
    let (msgs, _) = sip_over_tcp(&dir.join("suricata__sip-body-large.pcap"));
    let invite = msgs
        .iter()
        .find(|m| m.data.starts_with(b"INVITE "))
        .expect("the INVITE");
    let text = &invite.data;
    let hend = text
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("header end")
        + 4;
    assert_eq!(
        text.len() - hend,
        65536,
        "body length (suricata-verify oracle)"
    );
}

fn is_sip_port(p: u16) -> bool {
    matches!(p, 5060 | 5061 | 6060)
}

/// First line is a SIP request or status line (UDP keep-alives etc. are not).
fn looks_sip(p: &[u8]) -> bool {
    let line = p.split(|b| *b == b'\n').next().unwrap_or(&[]);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    line.starts_with(b"SIP/2.0 ") || line.ends_with(b" SIP/2.0")
}

/// Rebuilds SIP messages from real captures into a new pcap with build_frames and
/// checks that CaptureReader + decode_packet (and tshark) see the same messages.
#[test]
fn exported_pcap_roundtrip() {
    let Some(dir) = captures_dir() else { return };
    let tshark = have_tshark();
    let tmp = tempfile::tempdir().expect("tempdir");
    for name in [
        "heplify__sip_ipv4_tcp_fragmented.pcap",
        "suricata__sip-body-large.pcap",
        "sngrep__aaa.pcap",
        "heplify__sip_ipv6_udp.pcap",
        "rtcagent__dump.pcap",
        "junkie__voip_sip_via.pcap",
    ] {
        let src_path = dir.join(name);
        // Collect (ts, src, dst, proto, payload) of the SIP messages.
        let mut msgs: Vec<(i64, SocketAddr, SocketAddr, bool, Vec<u8>)> = Vec::new();
        let mut r = CaptureReader::new(std::fs::File::open(&src_path).expect("open"))
            .expect("capture opens");
        while let Some(f) = r.next_frame() {
            let Ok(f) = f else { continue };
            let Ok(p) = decode_packet(f.link_type, f.data) else {
                continue;
            };
            if let TransportHeader::Udp { src_port, dst_port } = p.transport {
                if (is_sip_port(src_port) || is_sip_port(dst_port)) && looks_sip(p.payload) {
                    let s = SocketAddr::new(p.src, src_port);
                    let d = SocketAddr::new(p.dst, dst_port);
                    msgs.push((f.ts_us, s, d, false, p.payload.to_vec()));
                }
            }
        }
        for m in sip_over_tcp(&src_path).0 {
            msgs.push((m.ts_us, m.src, m.dst, true, m.data));
        }
        assert!(!msgs.is_empty(), "{name}: no SIP found");
        // Mix address families once to exercise v4-mapped-in-v6.
        let mixed: SocketAddr = "[2001:db8::5]:5060".parse().expect("addr");
        msgs.push((
            1,
            "192.0.2.1:5060".parse().expect("addr"),
            mixed,
            false,
            b"OPTIONS sip:x SIP/2.0\r\nContent-Length: 0\r\n\r\n".to_vec(),
        ));

        let out_path = tmp.path().join(format!("export-{name}"));
        let mut w = PcapWriter::new(
            std::io::BufWriter::new(std::fs::File::create(&out_path).expect("create")),
            LinkType::ETHERNET,
        )
        .expect("header");
        let mut seqs: BTreeMap<(SocketAddr, SocketAddr), u32> = BTreeMap::new();
        let mut frames_written = 0usize;
        for (ts, s, d, tcp, data) in &msgs {
            let proto = if *tcp {
                let seq = seqs.entry((*s, *d)).or_insert(1000);
                let p = FrameProto::Tcp { seq: *seq };
                *seq = seq.wrapping_add(data.len() as u32);
                p
            } else {
                FrameProto::Udp
            };
            for frame in build_frames(*s, *d, proto, data) {
                w.write_frame(*ts, &frame).expect("write");
                frames_written += 1;
            }
        }
        w.into_inner().expect("flush");

        // Read back: UDP payloads directly, TCP through the reassembler.
        let mut back: Vec<(i64, SocketAddr, SocketAddr, bool, Vec<u8>)> = Vec::new();
        let mut re = SipTcpReassembler::new(ReassemblyLimits::default());
        let mut tcp_out = Vec::new();
        let mut r = CaptureReader::new(std::fs::File::open(&out_path).expect("open export"))
            .expect("export opens");
        let mut frames_read = 0;
        while let Some(f) = r.next_frame() {
            let f = f.expect("export frame");
            frames_read += 1;
            let p = decode_packet(f.link_type, f.data).expect("export decodes");
            match p.transport {
                TransportHeader::Udp { src_port, dst_port } => back.push((
                    f.ts_us,
                    SocketAddr::new(p.src, src_port),
                    SocketAddr::new(p.dst, dst_port),
                    false,
                    p.payload.to_vec(),
                )),
                TransportHeader::Tcp {
                    src_port,
                    dst_port,
                    seq,
                    ..
                } => {
                    re.push(
                        f.ts_us,
                        SocketAddr::new(p.src, src_port),
                        SocketAddr::new(p.dst, dst_port),
                        seq,
                        p.payload,
                        &mut tcp_out,
                    );
                    for m in tcp_out.drain(..) {
                        back.push((m.ts_us, m.src, m.dst, true, m.data));
                    }
                }
                other => panic!("unexpected transport {other:?}"),
            }
        }
        assert_eq!(frames_read, frames_written);
        // Mixed families come back as v4-mapped v6 addresses.
        let norm = |a: SocketAddr| match a {
            SocketAddr::V6(v6) => v6
                .ip()
                .to_ipv4_mapped()
                .map(|v4| SocketAddr::new(v4.into(), v6.port()))
                .unwrap_or(a),
            SocketAddr::V4(_) => a,
        };
        let key = |m: &(i64, SocketAddr, SocketAddr, bool, Vec<u8>)| {
            (m.0, norm(m.1), norm(m.2), m.3, m.4.clone())
        };
        let mut a: Vec<_> = msgs.iter().map(key).collect();
        let mut b: Vec<_> = back.iter().map(key).collect();
        a.sort();
        b.sort();
        assert!(a == b, "{name}: export round trip differs");
        if tshark {
            let t = tshark_sip_count(&out_path, "sip");
            eprintln!(
                "{name}: exported {} messages in {frames_written} frames; tshark sees {t}",
                msgs.len()
            );
            assert_eq!(t, msgs.len(), "{name}: tshark SIP count in export");
            let bad = tshark_fields(
                &out_path,
                &["-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE", "-Y", "ip.checksum.status==0 || udp.checksum.status==0 || tcp.checksum.status==0 || _ws.malformed"],
                &["frame.number"],
            );
            assert!(
                bad.is_empty(),
                "{name}: tshark finds bad checksums in frames {bad:?}"
            );
        }
    }
}
