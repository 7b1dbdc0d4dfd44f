//! `argos agent`: the real binary sends a capture as HEP to a real `argos serve`, to sngrep,
//! and to a collector that is down.

mod util;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use util::*;

fn lab() -> Option<std::path::PathBuf> {
    testdata("lab/lab-calls.pcap")
}

/// `argos agent ARGS --json`: the summary, asserting success.
fn agent(args: &[&str]) -> serde_json::Value {
    let out = Command::new(bin())
        .arg("agent")
        .args(args)
        .arg("--json")
        .output()
        .expect("run argos agent");
    assert!(
        out.status.success(),
        "argos agent {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("summary json")
}

/// SIP messages `argos import` stores from this capture.
fn imported(pcap: &Path) -> u64 {
    let data = tempfile::tempdir().expect("tmp");
    let out = import(data.path(), pcap);
    let n = out
        .split(" SIP messages stored")
        .next()
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("import summary: {out}"));
    assert!(n > 0);
    n
}

fn into_serve(proto: &str) {
    let Some(pcap) = lab() else {
        return;
    };
    let want = imported(&pcap);
    let s = Server::start(&[]);
    let target = format!("{proto}:127.0.0.1:{}", s.hep_port);
    let sum = agent(&["--read", pcap.to_str().expect("utf8"), "--hep", &target]);
    assert_eq!(sum["read"].as_u64(), Some(want), "{sum}");
    assert_eq!(sum["sent"].as_u64(), Some(want), "{sum}");
    assert_eq!(sum["dropped"].as_u64(), Some(0), "{sum}");
    assert_eq!(sum["collectors"][0]["target"].as_str(), Some(&*target));
    let got = s
        .wait_for(Duration::from_secs(10), |s| {
            let n = s.metric("argos_messages_stored_total") as u64;
            (n >= want).then_some(n)
        })
        .unwrap_or_else(|| s.metric("argos_messages_stored_total") as u64);
    assert_eq!(got, want, "stored via agent ({proto}) vs argos import");
    // The capture's own times and the agent's capture id reach the store. Stored counts at
    // the write; searchable is after the flush commits, a moment later.
    let m = s
        .wait_for(Duration::from_secs(10), |s| {
            let m = s.get_json("/api/v1/messages?since=0&limit=1");
            (m["count"].as_u64() > Some(0)).then_some(m)
        })
        .unwrap_or_else(|| s.get_json("/api/v1/messages?since=0&limit=1"));
    assert_eq!(m["count"].as_u64().map(|c| c > 0), Some(true), "{m}");
}

#[test]
fn agent_udp_into_serve_stores_what_import_stores() {
    into_serve("udp");
}

#[test]
fn agent_tcp_into_serve_stores_what_import_stores() {
    into_serve("tcp");
}

#[test]
fn agent_to_sngrep_writes_the_same_sip() {
    let Some(pcap) = lab() else {
        return;
    };
    if !have("sngrep") || !have("tshark") {
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("out.pcap");
    let port = free_port();
    let mut sng = Command::new("timeout")
        .args(["-s", "TERM", "60", "sngrep", "-L"])
        .arg(format!("udp:127.0.0.1:{port}"))
        .args(["-N", "-q", "-O"])
        .arg(&out)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start sngrep");
    // Give sngrep time to bind its listening socket.
    std::thread::sleep(Duration::from_millis(1500));
    // Paced so sngrep's single receiving thread and socket buffer keep up.
    let sum = agent(&[
        "--read",
        pcap.to_str().expect("utf8"),
        "--hep",
        &format!("udp:127.0.0.1:{port}"),
        "--max-rate",
        "2000",
    ]);
    assert_eq!(sum["dropped"].as_u64(), Some(0), "{sum}");
    std::thread::sleep(Duration::from_millis(1000));
    // SIGTERM to `timeout` is passed on to sngrep, which closes its pcap.
    let _ = Command::new("kill")
        .args(["-TERM", &sng.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while sng.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = sng.kill();
    let _ = sng.wait();
    let want = tshark_sip_per_call(&pcap);
    let got = tshark_sip_per_call(&out);
    assert!(!want.is_empty());
    assert_eq!(
        got.values().sum::<usize>(),
        want.values().sum::<usize>(),
        "SIP messages written by sngrep vs the original"
    );
    assert_eq!(got, want, "per Call-ID");
}

#[test]
fn agent_with_collector_down_exits_and_counts_drops() {
    let Some(pcap) = lab() else {
        return;
    };
    // A port nobody listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let t0 = Instant::now();
    let sum = agent(&[
        "--read",
        pcap.to_str().expect("utf8"),
        "--hep",
        &format!("tcp:127.0.0.1:{port}"),
        "--buffer",
        "100",
        "--drain-timeout",
        "1",
    ]);
    assert!(
        t0.elapsed() < Duration::from_secs(20),
        "took {:?}",
        t0.elapsed()
    );
    let read = sum["read"].as_u64().expect("read");
    assert!(read > 0);
    assert_eq!(sum["sent"].as_u64(), Some(0), "{sum}");
    assert_eq!(sum["dropped"].as_u64(), Some(read), "{sum}");
    let c = &sum["collectors"][0];
    assert_eq!(c["buffered_max"].as_u64(), Some(100), "{sum}");
    assert!(c["errors"].as_u64() >= Some(1), "{sum}");
}

#[test]
fn agent_failover_skips_a_dead_collector() {
    let Some(pcap) = lab() else {
        return;
    };
    let want = imported(&pcap);
    let s = Server::start(&[]);
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let sum = agent(&[
        "--read",
        pcap.to_str().expect("utf8"),
        "--failover",
        "--hep",
        &format!("tcp:127.0.0.1:{dead}"),
        "--hep",
        &format!("tcp:127.0.0.1:{}", s.hep_port),
        "--drain-timeout",
        "1",
    ]);
    assert_eq!(sum["collectors"][0]["sent"].as_u64(), Some(0), "{sum}");
    assert_eq!(sum["collectors"][1]["sent"].as_u64(), Some(want), "{sum}");
    assert_eq!(sum["dropped"].as_u64(), Some(0), "{sum}");
    let got = s
        .wait_for(Duration::from_secs(10), |s| {
            let n = s.metric("argos_messages_stored_total") as u64;
            (n >= want).then_some(n)
        })
        .unwrap_or_else(|| s.metric("argos_messages_stored_total") as u64);
    assert_eq!(got, want);
}

// ---- TLS, compression, spool, pcap output, log lines ----

/// `argos agent ARGS --json` as a child with its stdout piped (for runs that wait).
fn spawn_agent(args: &[&str]) -> std::process::Child {
    Command::new(bin())
        .arg("agent")
        .args(args)
        .arg("--json")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start argos agent")
}

/// Waits for a spawned agent and returns its summary, asserting success.
fn agent_summary(child: std::process::Child) -> serde_json::Value {
    let out = child.wait_with_output().expect("wait for argos agent");
    assert!(
        out.status.success(),
        "argos agent failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("summary json")
}

/// Messages stored by the server once it has at least `want` (or after 10 s).
fn stored(s: &Server, want: u64) -> u64 {
    s.wait_for(Duration::from_secs(10), |s| {
        let n = s.metric("argos_messages_stored_total") as u64;
        (n >= want).then_some(n)
    })
    .unwrap_or_else(|| s.metric("argos_messages_stored_total") as u64)
}

/// Every stored message's raw text, sorted (what a collector keeps of the payloads).
fn stored_payloads(s: &Server) -> Vec<String> {
    let m = s.get_json("/api/v1/messages?since=0&limit=10000&raw=1");
    let mut v: Vec<String> = m["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m["raw"].as_str().expect("raw").to_owned())
        .collect();
    v.sort();
    v
}

/// Bytes in the files under `dir` (recursively).
fn dir_bytes(dir: &Path) -> u64 {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return 0;
    };
    rd.flatten()
        .map(|e| {
            let p = e.path();
            if p.is_dir() {
                dir_bytes(&p)
            } else {
                e.metadata().map(|m| m.len()).unwrap_or(0)
            }
        })
        .sum()
}

/// Waits until `dir` holds data and has stopped growing for half a second.
fn wait_until_settled(dir: &Path) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last = (0, Instant::now());
    while Instant::now() < deadline {
        let n = dir_bytes(dir);
        if n != last.0 {
            last = (n, Instant::now());
        } else if n > 0 && last.1.elapsed() > Duration::from_millis(500) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{} never settled", dir.display());
}

#[test]
fn agent_tls_into_serve_stores_what_import_stores() {
    let Some(pcap) = lab() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let Some((cert, key)) = make_cert(dir.path()) else {
        return;
    };
    let want = imported(&pcap);
    let tls_port = free_port();
    let s = Server::start(&[
        "--hep-tls",
        &format!("127.0.0.1:{tls_port}"),
        "--tls-cert",
        cert.to_str().expect("utf8"),
        "--tls-key",
        key.to_str().expect("utf8"),
    ]);
    let target = format!("tls:127.0.0.1:{tls_port}");
    let pcap_s = pcap.to_str().expect("utf8");
    let cert_s = cert.to_str().expect("utf8");
    let sum = agent(&["-r", pcap_s, "--hep", &target, "--tls-ca", cert_s]);
    assert_eq!(sum["sent"].as_u64(), Some(want), "{sum}");
    assert_eq!(sum["dropped"].as_u64(), Some(0), "{sum}");
    assert_eq!(
        stored(&s, want),
        want,
        "stored via agent (tls) vs argos import"
    );

    // Without --tls-ca the system store does not know this self-signed certificate: the
    // handshake fails, nothing is sent, and the summary says why.
    let sum = agent(&[
        "-r",
        pcap_s,
        "--hep",
        &target,
        "--buffer",
        "10",
        "--drain-timeout",
        "0.5",
    ]);
    assert_eq!(sum["sent"].as_u64(), Some(0), "{sum}");
    let err = sum["collectors"][0]["last_error"].as_str().unwrap_or("");
    assert!(
        err.contains("certificate") || err.contains("Certificate"),
        "{sum}"
    );

    // --tls-insecure skips the check (and warns): the same messages once more.
    let out = Command::new(bin())
        .args([
            "agent",
            "-r",
            pcap_s,
            "--tls-insecure",
            "--json",
            "--hep",
            &target,
        ])
        .output()
        .expect("run argos agent");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--tls-insecure"));
    let sum: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(sum["sent"].as_u64(), Some(want), "{sum}");
    assert_eq!(stored(&s, 2 * want), 2 * want);
}

#[test]
fn agent_compress_stores_identical_payloads_in_fewer_bytes() {
    let Some(pcap) = lab() else {
        return;
    };
    let want = imported(&pcap);
    let pcap_s = pcap.to_str().expect("utf8");
    let (plain, zipped) = (Server::start(&[]), Server::start(&[]));
    let to = |s: &Server| format!("tcp:127.0.0.1:{}", s.hep_port);
    let a = agent(&["-r", pcap_s, "--hep", &to(&plain)]);
    let b = agent(&["-r", pcap_s, "--hep", &to(&zipped), "--compress"]);
    assert_eq!(b["sent"].as_u64(), Some(want), "{b}");
    assert_eq!(b["compressed"].as_bool(), Some(true), "{b}");
    let (bytes_plain, bytes_zipped) = (
        a["bytes"].as_u64().expect("bytes"),
        b["bytes"].as_u64().expect("bytes"),
    );
    let saved = b["compressed_bytes_saved"].as_i64().expect("saved");
    eprintln!("HEP bytes: {bytes_plain} plain, {bytes_zipped} compressed ({saved} saved)");
    assert!(
        bytes_zipped * 10 < bytes_plain * 9,
        "{bytes_zipped} vs {bytes_plain}"
    );
    assert_eq!(bytes_plain - bytes_zipped, saved as u64, "{a} {b}");
    assert_eq!(stored(&plain, want), want);
    assert_eq!(stored(&zipped, want), want);
    assert_eq!(stored_payloads(&plain), stored_payloads(&zipped));
}

/// Collector down at start: 50 packets in memory, the rest on disk; a long drain keeps
/// the agent waiting; then `up(port)` starts the collector and every message arrives once.
fn spool_until_up(proto: &str, extra: &[&str], up: impl FnOnce(u16) -> Server) {
    let Some(pcap) = lab() else {
        return;
    };
    let want = imported(&pcap);
    let spool = tempfile::tempdir().expect("tmp");
    let port = free_port();
    let target = format!("{proto}:127.0.0.1:{port}");
    let mut args = vec![
        "-r",
        pcap.to_str().expect("utf8"),
        "--hep",
        &target,
        "--buffer",
        "50",
        "--spool",
        spool.path().to_str().expect("utf8"),
        "--drain-timeout",
        "60",
    ];
    args.extend_from_slice(extra);
    let child = spawn_agent(&args);
    wait_until_settled(spool.path());
    assert!(dir_bytes(spool.path()) > 100_000);
    let t0 = Instant::now();
    let s = up(port);
    let sum = agent_summary(child);
    eprintln!(
        "{proto}: spool delivered {:?} after the collector started",
        t0.elapsed()
    );
    assert_eq!(sum["sent"].as_u64(), Some(want), "{sum}");
    assert_eq!(sum["dropped"].as_u64(), Some(0), "{sum}");
    assert_eq!(sum["spooled"].as_u64(), Some(want - 50), "{sum}");
    assert_eq!(sum["spool_replayed"].as_u64(), Some(want - 50), "{sum}");
    assert_eq!(sum["spool_left_bytes"].as_u64(), Some(0), "{sum}");
    assert!(sum["collectors"][0]["errors"].as_u64() >= Some(1), "{sum}");
    assert_eq!(stored(&s, want), want, "every message exactly once");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(s.metric("argos_messages_stored_total") as u64, want);
    assert_eq!(dir_bytes(spool.path()), 0, "segments deleted once sent");
}

#[test]
fn agent_spools_while_the_collector_is_down_and_delivers_once_it_is_up() {
    spool_until_up("tcp", &[], |port| {
        Server::start(&["--hep-tcp", &format!("127.0.0.1:{port}")])
    });
}

#[test]
fn agent_tls_spools_and_reconnects_like_tcp() {
    let dir = tempfile::tempdir().expect("tmp");
    let Some((cert, key)) = make_cert(dir.path()) else {
        return;
    };
    let cert_s = cert.to_str().expect("utf8");
    spool_until_up("tls", &["--tls-ca", cert_s], |port| {
        Server::start(&[
            "--hep-tls",
            &format!("127.0.0.1:{port}"),
            "--tls-cert",
            cert_s,
            "--tls-key",
            key.to_str().expect("utf8"),
        ])
    });
}

/// A pcap with no packets: runs the agent without input, so only its spool is sent.
fn empty_pcap(dir: &Path) -> std::path::PathBuf {
    let p = dir.join("empty.pcap");
    let mut h = Vec::new();
    h.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    h.extend_from_slice(&2u16.to_le_bytes());
    h.extend_from_slice(&4u16.to_le_bytes());
    h.extend_from_slice(&[0; 8]);
    h.extend_from_slice(&65_535u32.to_le_bytes());
    h.extend_from_slice(&1u32.to_le_bytes());
    std::fs::write(&p, h).expect("write pcap");
    p
}

#[test]
fn agent_sends_the_spool_a_killed_agent_left() {
    let Some(pcap) = lab() else {
        return;
    };
    let want = imported(&pcap);
    let spool = tempfile::tempdir().expect("tmp");
    let port = free_port();
    let target = format!("tcp:127.0.0.1:{port}");
    let spool_s = spool.path().to_str().expect("utf8");
    // No memory buffer: everything goes to disk; then SIGKILL, no chance to clean up.
    let mut child = spawn_agent(&[
        "-r",
        pcap.to_str().expect("utf8"),
        "--hep",
        &target,
        "--buffer",
        "0",
        "--spool",
        spool_s,
        "--drain-timeout",
        "600",
    ]);
    wait_until_settled(spool.path());
    child.kill().expect("kill -9");
    let _ = child.wait();
    // A torn record at the end of the newest segment, as a crash mid-write leaves it.
    let seg_dir = std::fs::read_dir(spool.path())
        .expect("ls")
        .flatten()
        .next()
        .expect("collector dir")
        .path();
    let mut segs: Vec<_> = std::fs::read_dir(&seg_dir)
        .expect("ls")
        .flatten()
        .map(|e| e.path())
        .collect();
    segs.sort();
    let last = segs.last().expect("a segment");
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(last)
        .expect("open segment");
    std::io::Write::write_all(&mut f, &[0xC8, 0, 0, 0, b'H', b'E', b'P', b'3', 0]).expect("tear");
    drop(f);

    let s = Server::start(&["--hep-tcp", &format!("127.0.0.1:{port}")]);
    let tmp = tempfile::tempdir().expect("tmp");
    let empty = empty_pcap(tmp.path());
    let sum = agent(&[
        "-r",
        empty.to_str().expect("utf8"),
        "--hep",
        &target,
        "--spool",
        spool_s,
    ]);
    assert_eq!(sum["read"].as_u64(), Some(0), "{sum}");
    assert_eq!(sum["spool_replayed"].as_u64(), Some(want), "{sum}");
    assert_eq!(sum["spool_corrupt"].as_u64(), Some(1), "{sum}");
    assert_eq!(sum["sent"].as_u64(), Some(want), "{sum}");
    assert_eq!(
        stored(&s, want),
        want,
        "the killed agent's packets, once each"
    );
    assert_eq!(dir_bytes(spool.path()), 0);
}

#[test]
fn agent_writes_rotating_pcaps_that_tshark_reads() {
    let Some(pcap) = lab() else {
        return;
    };
    if !have("tshark") {
        return;
    }
    let out = tempfile::tempdir().expect("tmp");
    // A collector that never reads: UDP needs nobody to answer.
    let sink = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    let target = format!("udp:{}", sink.local_addr().expect("addr"));
    let sum = agent(&[
        "-r",
        pcap.to_str().expect("utf8"),
        "--hep",
        &target,
        "--write-pcap",
        out.path().to_str().expect("utf8"),
        "--rotate-mb",
        "0.1",
    ]);
    let read = sum["read"].as_u64().expect("read");
    assert_eq!(sum["pcap_out"]["frames"].as_u64(), Some(read), "{sum}");
    let mut files: Vec<_> = std::fs::read_dir(out.path())
        .expect("ls")
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    assert!(files.len() >= 3, "rotated by size: {files:?}");
    let mut got = std::collections::BTreeMap::new();
    for f in &files {
        let name = f.file_name().and_then(|n| n.to_str()).expect("name");
        assert!(
            name.starts_with("argos-20") && name.ends_with(".pcap"),
            "{name}"
        );
        assert!(std::fs::metadata(f).expect("meta").len() <= 100 * 1024 + 66_000);
        for (cid, n) in tshark_sip_per_call(f) {
            *got.entry(cid).or_insert(0) += n;
        }
    }
    assert_eq!(
        got,
        tshark_sip_per_call(&pcap),
        "SIP per Call-ID, rotated files vs original"
    );

    // --keep-files: only the newest survive.
    let kept = tempfile::tempdir().expect("tmp");
    agent(&[
        "-r",
        pcap.to_str().expect("utf8"),
        "--hep",
        &target,
        "--write-pcap",
        kept.path().to_str().expect("utf8"),
        "--rotate-mb",
        "0.1",
        "--keep-files",
        "2",
    ]);
    assert_eq!(std::fs::read_dir(kept.path()).expect("ls").count(), 2);
}

#[test]
fn agent_log_lines_show_with_their_call() {
    let Some(pcap) = lab() else {
        return;
    };
    let s = Server::start(&[]);
    let want = imported(&pcap);
    let target = format!("udp:127.0.0.1:{}", s.hep_port);
    agent(&[
        "-r",
        pcap.to_str().expect("utf8"),
        "--hep",
        &target,
        "--max-rate",
        "5000",
    ]);
    assert_eq!(stored(&s, want), want);
    let call_id = "4-10740@127.0.0.1";
    let dir = tempfile::tempdir().expect("tmp");
    let log = dir.path().join("kamailio.log");
    std::fs::write(
        &log,
        format!(
            "Nov 25 10:00:01 proxy kamailio[77]: NOTICE: <script>: new INVITE callid={call_id} from 1001\n\
             Nov 25 10:00:01 proxy kamailio[77]: INFO: startup done, no call here\n\
             Nov 25 10:00:02 proxy kamailio[77]: ERROR: {{1 2 INVITE {call_id}}} tm: relay timeout\n"
        ),
    )
    .expect("write log");
    // From the start of the file, skipping lines without a Call-ID; exits when idle.
    let sum = agent(&[
        "--log-file",
        log.to_str().expect("utf8"),
        "--log-from-start",
        "--log-idle-exit",
        "0.5",
        "--log-uncorrelated",
        "skip",
        "--hep",
        &target,
    ]);
    assert_eq!(sum["log_lines_read"].as_u64(), Some(3), "{sum}");
    assert_eq!(sum["log_lines_sent"].as_u64(), Some(2), "{sum}");
    assert_eq!(sum["log_lines_skipped"].as_u64(), Some(1), "{sum}");
    let logs = s
        .wait_for(Duration::from_secs(10), |s| {
            let call = s.get_json(&format!("/api/v1/calls/{}", urlencode(call_id)));
            let logs: Vec<String> = call["messages"]
                .as_array()
                .expect("messages")
                .iter()
                .filter(|m| m["proto"].as_u64() == Some(100))
                .map(|m| m["raw"].as_str().unwrap_or("").to_owned())
                .collect();
            (logs.len() >= 2).then_some(logs)
        })
        .expect("the call shows its log lines");
    assert_eq!(logs.len(), 2, "{logs:?}");
    assert!(
        logs.iter().any(|l| l.contains("new INVITE callid=")),
        "{logs:?}"
    );
    assert!(logs.iter().any(|l| l.contains("relay timeout")), "{logs:?}");
    // And they are searchable as LOG records with their correlation id.
    let m = s.get_json(&format!(
        "/api/v1/messages?since=0&proto=100&correlation_id={}",
        urlencode(call_id)
    ));
    assert_eq!(m["count"].as_u64(), Some(2), "{m}");
}

#[test]
fn agent_follows_a_log_until_sigterm_and_still_prints_its_summary() {
    let s = Server::start(&[]);
    let dir = tempfile::tempdir().expect("tmp");
    let log = dir.path().join("asterisk.log");
    std::fs::write(&log, "old line, callid=old-1 (before the agent started)\n").expect("write");
    let child = spawn_agent(&[
        "--log-file",
        log.to_str().expect("utf8"),
        "--hep",
        &format!("tcp:127.0.0.1:{}", s.hep_port),
    ]);
    // Let the agent open the file (at its end) and install its signal handler.
    std::thread::sleep(Duration::from_millis(1500));
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&log)
        .expect("open log");
    std::io::Write::write_all(
        &mut f,
        b"[Nov 25 10:00:00] WARNING[9][C-00000001]: res_pjsip.c: Call-ID: ast-77@10.0.0.5 timeout\n\
          [Nov 25 10:00:01] VERBOSE[9][C-00000001]: pbx.c: no SIP Call-ID in this one\n",
    )
    .expect("append");
    drop(f);
    let n = s.wait_for(Duration::from_secs(10), |s| {
        let n = s.metric("argos_messages_stored_total") as u64;
        (n >= 2).then_some(n)
    });
    assert_eq!(n, Some(2), "both new lines stored, not the old one");
    let st = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(st.success());
    let sum = agent_summary(child);
    assert_eq!(sum["log_lines_read"].as_u64(), Some(2), "{sum}");
    assert_eq!(sum["log_lines_sent"].as_u64(), Some(2), "{sum}");
    assert_eq!(sum["log_lines_correlated"].as_u64(), Some(1), "{sum}");
    assert_eq!(sum["sent"].as_u64(), Some(2), "{sum}");
    let m = s.get_json("/api/v1/messages?since=0&proto=100&correlation_id=ast-77%4010.0.0.5");
    assert_eq!(m["count"].as_u64(), Some(1), "{m}");
}
