//! End-to-end tests: the real `argos` binary, real sockets, real peers (sngrep, tshark,
//! Kamailio, SIPp) where installed. Each test says SKIP when a peer or capture is absent.

mod util;

use std::collections::BTreeMap;
use std::io::Write;
use std::net::{TcpStream, UdpSocket};
use std::process::Command;
use std::time::Duration;
use util::*;

fn calls(s: &Server, q: &str) -> Vec<serde_json::Value> {
    s.get_json(&format!("/api/v1/calls?{q}"))["calls"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn wait_calls(s: &Server, q: &str, n: usize, t: Duration) -> Vec<serde_json::Value> {
    s.wait_for(t, |s| {
        let c = calls(s, q);
        (c.len() >= n).then_some(c)
    })
    .unwrap_or_else(|| calls(s, q))
}

#[test]
fn hep_udp_from_gen_is_searchable_within_two_seconds() {
    let s = Server::start(&[]);
    let to = format!("udp:127.0.0.1:{}", s.hep_port);
    argos(&["gen", "--to", &to, "--count", "70", "--rate", "0"]);
    let c = wait_calls(&s, "limit=1000", 10, Duration::from_secs(2));
    assert_eq!(c.len(), 10, "calls: {c:?}");
    for call in &c {
        assert_eq!(call["messages"], 7);
        assert_eq!(call["status"], 200);
        assert_eq!(call["from_user"], "1001");
        assert_eq!(call["method"], "INVITE");
    }
    // Search by field, and the call detail with raw messages.
    let m = s.get_json("/api/v1/messages?method=BYE&limit=1000");
    assert_eq!(m["count"], 10);
    // Full text over the raw messages: the UAS's Server header appears in each 200 to INVITE.
    let t = s.get_json("/api/v1/messages?text=ARGOS-GEN-UAS&limit=1000");
    assert_eq!(t["count"], 10, "{t}");
    let t = s.get_json("/api/v1/messages?text=m=audio*RTP/AVP%200&limit=1000");
    assert_eq!(t["count"], 20, "INVITE and 200 both carry SDP");
    let cid = c[0]["call_key"].as_str().expect("call_key");
    let d = s.get_json(&format!("/api/v1/calls/{cid}"));
    assert_eq!(d["messages"].as_array().map(Vec::len), Some(7));
    assert!(d["messages"][0]["raw"]
        .as_str()
        .is_some_and(|r| r.starts_with("INVITE ")));
    assert!(s.metric("argos_messages_stored_total") >= 70.0);
}

#[test]
fn hep_tcp_stream_is_framed() {
    let s = Server::start(&[]);
    let to = format!("tcp:127.0.0.1:{}", s.hep_port);
    argos(&["gen", "--to", &to, "--count", "700", "--rate", "0"]);
    let c = wait_calls(&s, "limit=1000", 100, Duration::from_secs(5));
    assert_eq!(c.len(), 100);
    assert_eq!(
        s.metric("argos_hep_packets_received_total{transport=\"tcp\"}"),
        700.0
    );
}

#[test]
fn api_refuses_without_login_and_accepts_password_login() {
    let s = Server::start(&[]);
    let c = Server::client();
    for path in [
        "/api/v1/messages",
        "/api/v1/calls",
        "/api/v1/calls/x",
        "/api/v1/calls/x/pcap",
        "/api/v1/status",
    ] {
        let r = c.get(s.url(path)).send().expect("get");
        assert_eq!(r.status().as_u16(), 401, "{path} without token");
        let r = c.get(s.url(path)).bearer_auth("wrong").send().expect("get");
        assert_eq!(r.status().as_u16(), 401, "{path} with a wrong token");
    }
    let bad = c
        .post(s.url("/api/v1/login"))
        .json(&serde_json::json!({"username": "admin", "password": "nope"}))
        .send()
        .expect("login");
    assert_eq!(bad.status().as_u16(), 401);
    let ok = c
        .post(s.url("/api/v1/login"))
        .json(&serde_json::json!({"username": "admin", "password": PASSWORD}))
        .send()
        .expect("login");
    assert_eq!(ok.status().as_u16(), 200);
    let tok = ok.json::<serde_json::Value>().expect("json")["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let r = c
        .get(s.url("/api/v1/calls"))
        .bearer_auth(&tok)
        .send()
        .expect("get");
    assert_eq!(r.status().as_u16(), 200);
    // The UI is served (no login needed for the static page itself).
    let ui = c.get(s.url("/")).send().expect("ui");
    assert_eq!(ui.status().as_u16(), 200);
    assert!(ui.text().expect("html").contains("<html"));
}

#[test]
fn first_start_prints_a_generated_admin_password() {
    let data = tempfile::tempdir().expect("tmp");
    let mut child = Command::new(bin())
        .args(["serve", "--data"])
        .arg(data.path())
        .args([
            "--hep-udp",
            "127.0.0.1:0",
            "--hep-tcp",
            "127.0.0.1:0",
            "--http",
            "127.0.0.1:0",
        ])
        .env_remove("ARGOS_ADMIN_PASSWORD")
        .env_remove("ARGOS_API_TOKEN")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let out = child.stdout.take().expect("stdout");
    let mut banner = String::new();
    use std::io::BufRead;
    for l in std::io::BufReader::new(out).lines() {
        let l = l.expect("line");
        banner.push_str(&l);
        banner.push('\n');
        if l == "ready" {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(banner.contains("http://127.0.0.1:"), "{banner}");
    assert!(banner.contains("login          admin / "), "{banner}");
    assert!(banner.contains("shown once"), "{banner}");
}

#[test]
fn wrong_hep_auth_key_is_dropped_and_counted() {
    let s = Server::start(&["--auth-key", "labsecret"]);
    let to = format!("udp:127.0.0.1:{}", s.hep_port);
    argos(&[
        "gen",
        "--to",
        &to,
        "--count",
        "14",
        "--rate",
        "0",
        "--auth-key",
        "wrong",
    ]);
    argos(&["gen", "--to", &to, "--count", "7", "--rate", "0"]);
    argos(&[
        "gen",
        "--to",
        &to,
        "--count",
        "7",
        "--rate",
        "0",
        "--auth-key",
        "labsecret",
    ]);
    let c = wait_calls(&s, "limit=100", 1, Duration::from_secs(3));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(calls(&s, "limit=100").len(), 1, "{c:?}");
    assert_eq!(
        s.metric("argos_packets_dropped_total{reason=\"auth_key\"}"),
        21.0
    );
}

#[test]
fn malformed_hep_and_sip_neither_crash_nor_stall() {
    let mut s = Server::start(&[]);
    let udp = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let dst = ("127.0.0.1", s.hep_port);
    // Garbage, a bare magic, a HEPv3 header claiming more than it has.
    udp.send_to(b"hello world", dst).expect("send");
    udp.send_to(b"HEP3", dst).expect("send");
    udp.send_to(b"HEP3\x10\x00\x00\x01\x00", dst).expect("send");
    udp.send_to(&[0u8; 1], dst).expect("send");
    // A valid HEPv3 packet carrying a SIP message with a 64 KiB header line, and one with garbage.
    let huge = format!(
        "INVITE sip:a@b SIP/2.0\r\nCall-ID: huge\r\nX-Long: {}\r\n\r\n",
        "A".repeat(64 * 1024)
    );
    for payload in [huge.as_bytes(), b"\x00\x01\x02 not sip at all".as_slice()] {
        let pkt = hep_v3(payload);
        if pkt.len() <= 65_000 {
            udp.send_to(&pkt, dst).expect("send");
        } else {
            let mut t = TcpStream::connect(dst).expect("tcp");
            t.write_all(&pkt).expect("write");
        }
    }
    // TCP: garbage that cannot be framed.
    let mut t = TcpStream::connect(dst).expect("tcp");
    t.write_all(b"GET / HTTP/1.0\r\n\r\nxxxxxxxxxxxxxxxxxxxxxxxxxxxx")
        .expect("write");
    drop(t);
    std::thread::sleep(Duration::from_millis(500));
    assert!(s.alive(), "server died on malformed input");
    assert!(
        s.metric("argos_packets_dropped_total{reason=\"hep_decode\"}") >= 4.0,
        "{}",
        s.metrics()
    );
    assert!(
        s.metric("argos_packets_dropped_total{reason=\"tcp_framing\"}") >= 1.0,
        "{}",
        s.metrics()
    );
    // Good data after the bad still goes through.
    let to = format!("udp:127.0.0.1:{}", s.hep_port);
    argos(&["gen", "--to", &to, "--count", "7", "--rate", "0"]);
    let c = wait_calls(
        &s,
        "method=INVITE&from_user=1001",
        1,
        Duration::from_secs(3),
    );
    assert_eq!(c.len(), 1);
}

/// A minimal HEPv3 packet (IPv4/UDP, SIP) built by hand, independent of our encoder.
fn hep_v3(payload: &[u8]) -> Vec<u8> {
    hep_v3_with(payload, 1, None)
}

#[test]
fn non_sip_hep_is_stored_with_and_without_correlation_id() {
    let s = Server::start(&[]);
    let udp = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let dst = ("127.0.0.1", s.hep_port);
    let sip = "INVITE sip:2002@b SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nFrom: <sip:1001@a>;tag=1\r\nTo: <sip:2002@b>\r\nCall-ID: corr-test-1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
    udp.send_to(&hep_v3(sip.as_bytes()), dst).expect("send");
    // A log line (proto 100) and an RTCP JSON report (proto 5) for that call...
    udp.send_to(
        &hep_v3_with(b"call corr-test-1 routed to gw2", 100, Some(b"corr-test-1")),
        dst,
    )
    .expect("send");
    udp.send_to(
        &hep_v3_with(br#"{"type":200,"ssrc":1}"#, 5, Some(b"corr-test-1")),
        dst,
    )
    .expect("send");
    // ...and a report without any correlation id (heplify-server drops these; we keep them).
    udp.send_to(&hep_v3_with(br#"{"type":201,"ssrc":2}"#, 5, None), dst)
        .expect("send");
    let d = s
        .wait_for(Duration::from_secs(3), |s| {
            let (st, body) = s.get("/api/v1/calls/corr-test-1");
            let d: serde_json::Value = serde_json::from_slice(&body).ok()?;
            (st == 200 && d["messages"].as_array().map(Vec::len) == Some(3)).then_some(d)
        })
        .expect("call with its log and RTCP report");
    let protos: Vec<u64> = d["messages"]
        .as_array()
        .expect("msgs")
        .iter()
        .filter_map(|m| m["proto"].as_u64())
        .collect();
    assert_eq!(protos, vec![1, 100, 5]);
    let orphan = s.get_json("/api/v1/messages?since=0&proto=5&limit=10");
    assert_eq!(orphan["count"], 2, "{orphan}");
}

/// A HEPv3 packet with the given protocol type and optional correlation id (chunk 0x11).
fn hep_v3_with(payload: &[u8], proto: u8, correlation: Option<&[u8]>) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, typ: u16, body: &[u8]) {
        out.extend_from_slice(&0u16.to_be_bytes());
        out.extend_from_slice(&typ.to_be_bytes());
        out.extend_from_slice(&((body.len() + 6) as u16).to_be_bytes());
        out.extend_from_slice(body);
    }
    let mut b = Vec::new();
    chunk(&mut b, 1, &[2]);
    chunk(&mut b, 2, &[17]);
    chunk(&mut b, 3, &[10, 0, 0, 1]);
    chunk(&mut b, 4, &[10, 0, 0, 2]);
    chunk(&mut b, 7, &5060u16.to_be_bytes());
    chunk(&mut b, 8, &5060u16.to_be_bytes());
    chunk(&mut b, 9, &1_764_064_800u32.to_be_bytes());
    chunk(&mut b, 10, &0u32.to_be_bytes());
    chunk(&mut b, 11, &[proto]);
    chunk(&mut b, 12, &7u32.to_be_bytes());
    if let Some(c) = correlation {
        chunk(&mut b, 0x11, c);
    }
    // Payload may exceed a chunk's u16 length: write its length honestly, truncated if needed.
    let p = &payload[..payload.len().min(65_000)];
    chunk(&mut b, 15, p);
    let mut out = b"HEP3".to_vec();
    out.extend_from_slice(&((b.len() + 6) as u16).to_be_bytes());
    out.extend_from_slice(&b);
    out
}

#[test]
fn sngrep_replays_lab_capture_as_hep() {
    let Some(pcap) = testdata("lab/lab-calls.pcap") else {
        return;
    };
    if !have("sngrep") || !have("tshark") {
        return;
    }
    let s = Server::start(&[]);
    s.replay_with_sngrep(&pcap);
    let want = tshark_sip_per_call(&pcap);
    let total: usize = want.values().sum();
    let got = s
        .wait_for(Duration::from_secs(5), |s| {
            let n = s.metric("argos_messages_stored_total") as usize;
            (n >= total).then_some(n)
        })
        .unwrap_or(0);
    assert_eq!(got, total, "stored vs tshark SIP messages");
    // Per Call-ID counts agree with tshark (the capture's original times are kept).
    for (cid, n) in want.iter().take(20) {
        let m = s.get_json(&format!(
            "/api/v1/messages?since=0&call_id={}&limit=10000",
            urlencode(cid)
        ));
        assert_eq!(m["count"].as_u64(), Some(*n as u64), "Call-ID {cid}");
    }
}

/// Messages per Call-ID in a store, through `argos search --json`.
fn stored_per_call(data: &std::path::Path) -> BTreeMap<String, usize> {
    let out = argos(&[
        "search",
        "--data",
        data.to_str().expect("utf8"),
        "--json",
        "--limit",
        "10000000",
    ]);
    let mut m = BTreeMap::new();
    for line in out.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("json line");
        if let Some(cid) = v["call_id"].as_str() {
            *m.entry(cid.to_owned()).or_insert(0) += 1;
        }
    }
    m
}

/// Captures where Argos and tshark are known to differ, each with its reason (the bogo
/// pattern): these are printed, not failed.
const KNOWN_GAPS: &[(&str, &str)] = &[
    ("heplify__sip_ipv4_tcp_fragmented.pcap", "SIP over TCP on port 6060, which tshark does not dissect as SIP; Argos finds 406 messages"),
    ("ndpi__fuzz-2006-06-26-2594.pcap", "a fuzzed capture: tshark's SIP heuristics accept corrupted start lines that Argos refuses as not SIP"),
];

#[test]
fn import_matches_tshark_per_call_id() {
    let Some(dir) = testdata("captures") else {
        return;
    };
    if !have("tshark") {
        return;
    }
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap" || e == "pcapng"))
        .collect();
    if let Some(lab) = testdata("lab/lab-calls.pcap") {
        files.push(lab);
    }
    files.sort();
    let mut checked = 0;
    let mut failures = Vec::new();
    for f in &files {
        let name = f
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        let want = tshark_sip_per_call(f);
        if want.is_empty() {
            continue;
        }
        let data = tempfile::tempdir().expect("tmp");
        let out = Command::new(bin())
            .args(["import", "-q", "--data"])
            .arg(data.path())
            .arg(f)
            .output()
            .expect("import");
        assert!(
            out.status.success() || !want.is_empty(),
            "import {name} crashed"
        );
        let got = stored_per_call(data.path());
        if got == want {
            checked += 1;
            continue;
        }
        let why = KNOWN_GAPS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, w)| (*w).to_owned());
        match why {
            Some(w) => eprintln!(
                "KNOWN GAP {name}: {w} (tshark {} msgs, argos {})",
                want.values().sum::<usize>(),
                got.values().sum::<usize>()
            ),
            None => failures.push(format!("{name}: tshark {want:?}\n   argos {got:?}")),
        }
    }
    eprintln!("{checked} captures match tshark exactly");
    assert!(
        failures.is_empty(),
        "per-Call-ID counts differ from tshark:\n{}",
        failures.join("\n")
    );
    assert!(checked >= 20, "only {checked} captures checked");
}

#[test]
fn lab_capture_calls_have_both_legs_and_export_decodes_like_the_original() {
    let Some(pcap) = testdata("lab/lab-calls.pcap") else {
        return;
    };
    let Some(truth) = testdata("lab/lab-calls.truth.json") else {
        return;
    };
    let data = tempfile::tempdir().expect("tmp");
    import(data.path(), &pcap);
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(truth).expect("truth")).expect("json");
    let s = Server::start_in(data, &[]);
    let all = calls(&s, "since=0&limit=10000&method=INVITE");
    let invites: u64 = [
        "answered_udp",
        "answered_rtp",
        "busy_486",
        "cancelled_487",
        "answered_tcp",
    ]
    .iter()
    .map(|k| truth[k].as_u64().unwrap_or(0))
    .sum();
    assert_eq!(all.len() as u64, invites, "one call row per INVITE dialog");
    let busy = all.iter().filter(|c| c["status"] == 486).count() as u64;
    let cancelled = all.iter().filter(|c| c["status"] == 487).count() as u64;
    assert_eq!(busy, truth["busy_486"].as_u64().unwrap_or(0));
    assert_eq!(cancelled, truth["cancelled_487"].as_u64().unwrap_or(0));
    for c in &all {
        // Both legs: UAC -> proxy and proxy -> UAS, i.e. at least three hosts in the flow.
        let cid = c["call_key"].as_str().expect("key");
        let d = s.get_json(&format!("/api/v1/calls/{}", urlencode(cid)));
        let hosts = d["hosts"].as_array().map(Vec::len).unwrap_or(0);
        assert!(hosts >= 3, "call {cid} shows {hosts} hosts: one leg only");
        let legs = d["legs"].as_array().map(Vec::len).unwrap_or(0);
        assert!(legs >= 2, "call {cid} shows {legs} legs");
        assert!(d["messages"]
            .as_array()
            .is_some_and(|m| m.iter().any(|m| m["a_leg"].is_string())));
    }
    if !have("tshark") {
        return;
    }
    // Export three calls and compare with the original, message by message.
    for c in all.iter().take(3) {
        let cid = c["call_key"].as_str().expect("key");
        let (st, body) = s.get(&format!("/api/v1/calls/{}/pcap", urlencode(cid)));
        assert_eq!(st, 200);
        let exported = tempfile::NamedTempFile::new().expect("tmp");
        std::fs::write(exported.path(), &body).expect("write");
        let fields = |p: &std::path::Path| -> Vec<String> {
            let out = Command::new("tshark")
                .arg("-r")
                .arg(p)
                .args([
                    "-Y",
                    &format!("sip.Call-ID == \"{cid}\""),
                    "-T",
                    "fields",
                    "-e",
                    "sip.Request-Line",
                    "-e",
                    "sip.Status-Line",
                    "-e",
                    "sip.CSeq",
                    "-e",
                    "ip.src",
                    "-e",
                    "udp.srcport",
                    "-e",
                    "tcp.srcport",
                ])
                .output()
                .expect("tshark");
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .map(str::to_owned)
                .collect()
        };
        let orig = fields(&pcap);
        let mine = fields(exported.path());
        assert!(!orig.is_empty());
        assert_eq!(
            mine, orig,
            "exported pcap of {cid} differs from the original"
        );
    }
}

/// `/messages` beyond AND-of-fields: `match=any`, regexes on fields and the transaction
/// type, checked against the plain searches they combine.
#[test]
fn message_search_with_or_regex_and_transaction_type() {
    let Some(pcap) = testdata("lab/lab-calls.pcap") else {
        return;
    };
    let data = tempfile::tempdir().expect("tmp");
    import(data.path(), &pcap);
    let s = Server::start_in(data, &[]);
    let ids = |q: &str| -> std::collections::BTreeSet<u64> {
        let v = s.get_json(&format!("/api/v1/messages?since=0&limit=10000&{q}"));
        v["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .filter_map(|m| m["id"].as_u64())
            .collect()
    };
    let busy = ids("ruri_user=486*");
    let cancel = ids("ruri_user=487*");
    assert!(!busy.is_empty() && !cancel.is_empty());
    // OR of two field filters = the union of the two searches.
    let either = ids("ruri_user=486*&from_tag=nothing-has-this&match=any");
    assert_eq!(either, busy);
    let union: std::collections::BTreeSet<u64> = busy.union(&cancel).copied().collect();
    assert_eq!(ids("ruri_user~=^48[67]"), union);
    // Regex and a plain filter together: both must hold.
    let invites_486 = ids("ruri_user~=^486&method=INVITE");
    assert!(!invites_486.is_empty() && invites_486.is_subset(&busy));
    // Transaction types split the capture.
    let (call, reg, other) = (
        ids("type=call"),
        ids("type=registration"),
        ids("type=other"),
    );
    let all = ids("");
    assert!(!call.is_empty() && !reg.is_empty() && !other.is_empty());
    assert_eq!(call.len() + reg.len() + other.len(), all.len());
    let regs = s.get_json("/api/v1/messages?since=0&limit=10000&type=registration");
    for m in regs["messages"].as_array().expect("messages") {
        assert_eq!(m["cseq_method"], "REGISTER", "{m}");
    }
    // Bad input is refused, not ignored.
    assert_eq!(s.get("/api/v1/messages?since=0&ruri_user~=(").0, 400);
    assert_eq!(s.get("/api/v1/messages?since=0&type=calls").0, 400);
    assert_eq!(s.get("/api/v1/messages?since=0&match=some").0, 400);
    assert_eq!(s.get("/api/v1/messages?since=0&nofield~=x").0, 400);
}
