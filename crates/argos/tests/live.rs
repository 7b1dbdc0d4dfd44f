//! Live capture against real peers: `argos agent -i lo` captures SIPp calls made on the
//! loopback interface (AF_PACKET ring, kernel filter from --port-range) and sends them as
//! HEP to a real `argos serve`; the calls must arrive whole, and the raw frames written
//! with --write-pcap must hold the same SIP messages for tshark.

mod util;

use std::process::{Command, Stdio};
use std::time::Duration;
use util::{free_port, have, sipp_uac, sipp_uas, Kill, Server};

/// Whether this process may open an AF_PACKET socket (root or CAP_NET_RAW).
fn can_capture() -> bool {
    let out = Command::new(util::bin())
        .args([
            "agent",
            "-i",
            "lo",
            "--bpf",
            "udp port 9",
            "--hep",
            "udp:127.0.0.1:9",
        ])
        .env("ARGOS_AGENT_PROBE", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|c| {
            std::thread::sleep(Duration::from_millis(700));
            let _ = Command::new("kill").arg(c.id().to_string()).status();
            c.wait_with_output()
        });
    match out {
        Ok(o) => {
            let err = String::from_utf8_lossy(&o.stderr);
            if err.contains("CAP_NET_RAW") || err.contains("ermission") {
                eprintln!("SKIP: live capture needs root or CAP_NET_RAW: {err}");
                false
            } else {
                true
            }
        }
        Err(e) => {
            eprintln!("SKIP: cannot run the agent: {e}");
            false
        }
    }
}

#[test]
fn agent_captures_sipp_calls_on_loopback() {
    if !have("sipp") || !have("tcpdump") || !can_capture() {
        return;
    }
    let s = Server::start(&[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let (uas, uac) = (free_port(), free_port());
    let pcap_dir = dir.path().join("pcap");
    let mut kids = Kill(Vec::new());
    let agent = Command::new(util::bin())
        .args(["agent", "-i", "lo", "--port-range"])
        .arg(format!("{uas},{uac}"))
        .args(["--hep", &format!("udp:127.0.0.1:{}", s.hep_port)])
        .args(["--node", "live-lo", "--json", "--write-pcap"])
        .arg(&pcap_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("argos agent");
    kids.0.push(agent);
    // The ring is open once the agent prints its banner; give it a moment.
    std::thread::sleep(Duration::from_secs(1));
    kids.0.push(sipp_uas(dir.path(), uas));
    std::thread::sleep(Duration::from_millis(500));
    let ok = sipp_uac(dir.path(), &format!("127.0.0.1:{uas}"), uac, 5);
    assert!(ok, "sipp calls failed");

    // Every message stored (the last BYE may still be in the ring's block or the queue).
    s.wait_for(Duration::from_secs(10), |s| {
        (s.metric("argos_messages_stored_total") >= 30.0).then_some(())
    })
    .unwrap_or_else(|| panic!("30 messages not stored: {}", s.metrics()));
    let calls = s
        .wait_for(Duration::from_secs(10), |s| {
            let v = s.get_json("/api/v1/calls?method=INVITE&limit=100");
            let c = v["calls"].as_array().cloned().unwrap_or_default();
            (c.len() >= 5 && c.iter().all(|c| c["status"] == 200)).then_some(c)
        })
        .unwrap_or_else(|| {
            panic!(
                "5 answered calls not seen: {}\n{}",
                s.get_json("/api/v1/calls?limit=100"),
                s.metrics()
            )
        });
    assert_eq!(calls.len(), 5);
    for c in &calls {
        let key = c["call_key"].as_str().expect("key");
        let d = s.get_json(&format!("/api/v1/calls/{key}"));
        let msgs = d["messages"].as_array().expect("messages");
        // SIPp: INVITE, 180, 200, ACK, BYE, 200 (its uas sends no 100), each seen once on lo.
        assert_eq!(msgs.len(), 6, "{d}");
        assert!(msgs.iter().all(|m| m["node"] == "live-lo"), "{d}");
    }

    // Stop the agent: it drains and prints its JSON summary.
    let mut agent = kids.0.remove(0);
    let _ = Command::new("kill").arg(agent.id().to_string()).status();
    let out = {
        let mut stdout = agent.stdout.take().expect("stdout");
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut s).expect("read summary");
        let _ = agent.wait();
        s
    };
    let sum: serde_json::Value = serde_json::from_str(out.trim()).expect("JSON summary");
    assert_eq!(sum["read"], 30, "{sum}");
    assert_eq!(sum["sent"], 30, "{sum}");
    let lo = &sum["live"]["interfaces"][0];
    assert_eq!(lo["name"], "lo", "{sum}");
    assert_eq!(lo["drops"], 0, "{sum}");

    // The raw frames written while capturing hold the same SIP for tshark.
    let files: Vec<_> = std::fs::read_dir(&pcap_dir)
        .expect("pcap dir")
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    if have("tshark") {
        let per_call = util::tshark_sip_per_call(&files[0]);
        assert_eq!(per_call.len(), 5, "{per_call:?}");
        assert!(per_call.values().all(|n| *n == 6), "{per_call:?}");
    }
}
