//! Kamailio (siptrace, HEPv3 with auth key) in front of SIPp: real calls, real HEP.

mod util;

use std::process::{Command, Stdio};
use std::time::Duration;
use util::*;

#[test]
fn kamailio_siptrace_calls_appear_with_both_legs() {
    let Some(shared) = shared() else {
        eprintln!("SKIP: ../shared absent");
        return;
    };
    if !have("kamailio") || !have("sipp") {
        return;
    }
    let s = Server::start(&["--auth-key", "labsecret"]);
    let (proxy, uas, uac) = (free_port(), free_port(), free_port());
    let cfg = std::fs::read_to_string(shared.join("lab/proxy.cfg")).expect("proxy.cfg");
    let cfg = cfg
        .replace("127.0.0.1:5060", &format!("127.0.0.1:{proxy}"))
        .replace(
            "sip:127.0.0.1:9060",
            &format!("sip:127.0.0.1:{}", s.hep_port),
        )
        .replace("sip:127.0.0.1:5090", &format!("sip:127.0.0.1:{uas}"));
    let dir = tempfile::tempdir().expect("tmp");
    let cfg_path = dir.path().join("proxy.cfg");
    std::fs::write(&cfg_path, cfg).expect("write cfg");
    let mut kids = Kill(Vec::new());
    kids.0.push(
        own_group(&mut Command::new("kamailio"))
            .args(["-DD", "-E", "-f"])
            .arg(&cfg_path)
            .arg("-P")
            .arg(dir.path().join("k.pid"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("kamailio"),
    );
    kids.0.push(sipp_uas(dir.path(), uas));
    std::thread::sleep(Duration::from_secs(2));
    let ok = sipp_uac(dir.path(), &format!("127.0.0.1:{proxy}"), uac, 5);
    assert!(ok, "sipp calls failed");
    let calls = s
        .wait_for(Duration::from_secs(5), |s| {
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
        assert!(msgs.iter().all(|m| m["capture_id"] == 2001));
        // UAC -> proxy and proxy -> UAS: three hosts, X-CID on the b-leg.
        assert!(d["hosts"].as_array().map(Vec::len).unwrap_or(0) >= 3, "{d}");
        assert!(msgs.iter().any(|m| m["a_leg"] == key));
    }
    assert_eq!(
        s.metric("argos_packets_dropped_total{reason=\"auth_key\"}"),
        0.0
    );
}
