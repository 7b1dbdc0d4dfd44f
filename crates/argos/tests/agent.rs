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
    // The capture's own times and the agent's capture id reach the store.
    let m = s.get_json("/api/v1/messages?since=0&limit=1");
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
