//! HEP relay: `argos serve --forward` passes every accepted HEP packet on, unchanged, to
//! other collectors (here: two more `argos serve`, one over UDP and one over TCP), while
//! storing it too. Packets refused by the auth key are not relayed.

mod util;

use std::process::Command;
use std::time::Duration;
use util::{testdata, Server};

#[test]
fn relayed_packets_arrive_at_every_target() {
    let Some(pcap) = testdata("lab/lab-calls.pcap") else {
        return;
    };
    let udp_peer = Server::start(&[]);
    let tcp_peer = Server::start(&[]);
    let udp_t = format!("udp:127.0.0.1:{}", udp_peer.hep_port);
    let tcp_t = format!("tcp:127.0.0.1:{}", tcp_peer.hep_port);
    let relay = Server::start(&[
        "--auth-key",
        "relaykey",
        "--forward",
        &udp_t,
        "--forward",
        &tcp_t,
    ]);
    // The lab capture's SIP, sent by the agent with the right key…
    let st = Command::new(util::bin())
        .args(["agent", "-r"])
        .arg(&pcap)
        .args(["--hep", &format!("udp:127.0.0.1:{}", relay.hep_port)])
        .args(["--auth-key", "relaykey", "--max-rate", "20000"])
        .output()
        .expect("argos agent");
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    // …and a few packets with a wrong key, which are neither stored nor relayed.
    let st = Command::new(util::bin())
        .args(["agent", "-r"])
        .arg(testdata("captures/sipnab__sip-register.pcap").expect("capture"))
        .args(["--hep", &format!("udp:127.0.0.1:{}", relay.hep_port)])
        .args(["--auth-key", "wrong"])
        .output()
        .expect("argos agent");
    assert!(st.status.success());

    let stored = |s: &Server| s.metric("argos_messages_stored_total");
    for (name, s) in [("relay", &relay), ("udp", &udp_peer), ("tcp", &tcp_peer)] {
        let n = s
            .wait_for(Duration::from_secs(15), |s| {
                (stored(s) >= 715.0).then_some(stored(s))
            })
            .unwrap_or_else(|| panic!("{name}: {} of 715 stored\n{}", stored(s), s.metrics()));
        assert_eq!(n, 715.0, "{name}");
    }
    std::thread::sleep(Duration::from_millis(1500));
    let m = relay.metrics();
    assert_eq!(
        relay.metric(&format!(
            "argos_forward_packets_total{{target=\"{udp_t}\",result=\"sent\"}}"
        )),
        715.0,
        "{m}"
    );
    assert_eq!(
        relay.metric(&format!(
            "argos_forward_packets_total{{target=\"{tcp_t}\",result=\"sent\"}}"
        )),
        715.0,
        "{m}"
    );
    assert!(relay.metric("argos_packets_dropped_total{reason=\"auth_key\"}") > 0.0);
    assert_eq!(stored(&udp_peer), 715.0);
    assert_eq!(stored(&tcp_peer), 715.0);
}
