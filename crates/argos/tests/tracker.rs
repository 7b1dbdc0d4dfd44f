//! Call tracker end to end (issue #4): call records, registrations, alarms, KPIs and
//! metrics, checked against the lab capture's ground truth (`truth.json`), against the
//! built-in call of `argos gen` sent live as HEP, and an alarm webhook receiving a real
//! HTTP POST.

mod util;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::time::Duration;
use util::*;

fn records(s: &Server, q: &str) -> Vec<serde_json::Value> {
    s.get_json(&format!("/api/v1/call-records?{q}"))["calls"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn count(v: &[serde_json::Value], f: impl Fn(&serde_json::Value) -> bool) -> u64 {
    v.iter().filter(|c| f(c)).count() as u64
}

fn truth() -> Option<(std::path::PathBuf, serde_json::Value)> {
    let pcap = testdata("lab/lab-calls.pcap")?;
    let truth = testdata("lab/lab-calls.truth.json")?;
    let t = serde_json::from_slice(&std::fs::read(truth).expect("truth")).expect("json");
    Some((pcap, t))
}

#[test]
fn lab_import_call_records_match_the_ground_truth() {
    let Some((pcap, truth)) = truth() else {
        return;
    };
    let n = |k: &str| truth[k].as_u64().unwrap_or(0);
    let data = tempfile::tempdir().expect("tmp");
    import(data.path(), &pcap);
    let s = Server::start_in(data, &[]);
    let calls = records(&s, "since=0&limit=10000");
    let answered = n("answered_udp") + n("answered_rtp") + n("answered_tcp");
    let busy = n("busy_486");
    let cancelled = n("cancelled_487");
    assert_eq!(
        calls.len() as u64,
        answered + busy + cancelled,
        "one record per call"
    );
    assert_eq!(count(&calls, |c| c["status"] == "answered"), answered);
    assert_eq!(
        count(&calls, |c| c["status"] == "busy" && c["final_code"] == 486),
        busy
    );
    assert_eq!(
        count(&calls, |c| c["status"] == "cancelled"
            && c["final_code"] == 487),
        cancelled
    );
    for c in &calls {
        let legs = c["legs"].as_array().map(Vec::len).unwrap_or(0);
        assert!(legs >= 2, "call {} has {legs} legs", c["call_key"]);
        if c["status"] == "answered" {
            assert!(c["duration_ms"].as_i64().is_some(), "no duration: {c}");
            assert!(c["answer_us"].as_i64() >= c["start_us"].as_i64());
        }
    }
    // Filters are pushed down: the busy ones by status.
    assert_eq!(
        records(&s, "since=0&limit=10000&status=busy").len() as u64,
        busy
    );

    // Registrations: each flow is challenged (401) then accepted.
    let regs = s.get_json("/api/v1/registrations?since=0&limit=10000")["registrations"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(!regs.is_empty(), "no registrations");
    let successes: u64 = regs.iter().filter_map(|r| r["successes"].as_u64()).sum();
    let challenges: u64 = regs.iter().filter_map(|r| r["challenges"].as_u64()).sum();
    assert_eq!(successes, n("registrations"), "{regs:?}");
    assert!(challenges >= n("registrations"), "{regs:?}");

    // The scanner OPTIONS raise a scanner alarm, and nothing else raises one.
    let alarms = s.get_json("/api/v1/alarms?since=0&limit=1000")["alarms"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        alarms.iter().any(|a| a["kind"] == "scanner"),
        "no scanner alarm: {alarms:?}"
    );
    assert!(
        alarms.iter().all(|a| a["kind"] == "scanner"),
        "unexpected alarm: {alarms:?}"
    );

    // KPIs over the whole capture, by hand: ASR = answered / attempts.
    let kpi = s.get_json("/api/v1/stats/kpi?since=0&bucket=86400");
    let total = &kpi["series"][0]["total"];
    assert_eq!(
        total["attempts"].as_u64(),
        Some(answered + busy + cancelled)
    );
    assert_eq!(total["answered"].as_u64(), Some(answered));
    let asr = total["asr"].as_f64().expect("asr");
    let want = answered as f64 * 100.0 / (answered + busy + cancelled) as f64;
    assert!((asr - want).abs() < 0.1, "ASR {asr} vs {want}");

    // Message counters and top lists answer.
    let msgs = s.get_json("/api/v1/stats/messages?since=0&bucket=86400");
    assert!(msgs["series"]["req:INVITE"].is_array(), "{msgs}");
    let top = s.get_json("/api/v1/stats/top?since=0&what=response_codes");
    assert!(top["rows"]
        .as_array()
        .is_some_and(|r| r.iter().any(|r| r["key"] == "486")));

    // The call page carries the record and a diagnosis of a busy call.
    let b = calls
        .iter()
        .find(|c| c["status"] == "busy")
        .expect("a busy call");
    let d = s.get_json(&format!(
        "/api/v1/calls/{}",
        urlencode(b["call_key"].as_str().expect("key"))
    ));
    assert_eq!(d["record"]["status"], "busy");
    let text = d["diagnosis"].to_string();
    assert!(text.contains("486"), "diagnosis: {text}");
}

#[test]
fn live_hep_calls_become_records_and_metrics() {
    let s = Server::start(&[]);
    let to = format!("udp:127.0.0.1:{}", s.hep_port);
    // 50 built-in calls: INVITE, 100, 180, 200, ACK, BYE, 200.
    argos(&[
        "gen",
        "--to",
        &to,
        "--rate",
        "5000",
        "--count",
        "350",
        "--duration",
        "10",
    ]);
    let calls = s
        .wait_for(Duration::from_secs(10), |s| {
            let c = records(s, "limit=1000&status=answered");
            (c.len() >= 50).then_some(c)
        })
        .unwrap_or_else(|| records(&s, "limit=1000"));
    assert_eq!(calls.len(), 50, "{calls:?}");
    assert!(calls.iter().all(|c| c["duration_ms"].is_i64()));
    let m = s.metric("argos_calls_total{status=\"answered\"}");
    assert_eq!(m, 50.0);
    assert_eq!(
        s.metric("argos_sip_requests_total{method=\"INVITE\"}"),
        50.0
    );
    assert!(s.metrics().contains("argos_call_setup_seconds_bucket"));
}

/// A one-shot HTTP server that collects request bodies.
fn webhook_sink() -> (u16, std::sync::mpsc::Receiver<String>) {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(mut c) = conn else { continue };
            let mut r = BufReader::new(c.try_clone().expect("clone"));
            let mut len = 0usize;
            loop {
                let mut line = String::new();
                if r.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; len];
            let _ = r.read_exact(&mut body);
            let _ = c.write_all(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n");
            let _ = tx.send(String::from_utf8_lossy(&body).into_owned());
        }
    });
    (port, rx)
}

#[test]
fn scanner_alarm_is_posted_to_the_webhook() {
    let Some((pcap, _)) = truth() else {
        return;
    };
    if !have("sngrep") {
        eprintln!("SKIP: sngrep not installed");
        return;
    }
    let (port, bodies) = webhook_sink();
    let hook = format!("http://127.0.0.1:{port}/hook");
    let s = Server::start(&["--alarm-webhook", &hook]);
    s.replay_with_sngrep(&pcap);
    let body = bodies
        .recv_timeout(Duration::from_secs(15))
        .expect("no webhook POST within 15 s");
    let alarm: serde_json::Value = serde_json::from_str(&body).expect("alarm JSON");
    assert_eq!(alarm["kind"], "scanner", "{alarm}");
    assert!(alarm["evidence"].as_array().is_some_and(|e| !e.is_empty()));
    let sent = s.wait_for(Duration::from_secs(5), |s| {
        let n = s.metric("argos_webhook_deliveries_total{result=\"sent\"}");
        (n >= 1.0).then_some(n)
    });
    assert!(sent.is_some(), "delivery not counted");
}
