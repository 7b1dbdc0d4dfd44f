//! Kill the collector with SIGKILL in the middle of ingest, restart it on the same data,
//! and check what survived: everything a completed flush had made durable, no corruption,
//! and the restarted server takes new data.

mod util;

use std::process::{Command, Stdio};
use std::time::Duration;
use util::*;

#[test]
fn kill_9_mid_ingest_loses_at_most_the_last_flush_interval() {
    let s = Server::start(&[]);
    let to = format!("udp:127.0.0.1:{}", s.hep_port);
    // Offer 20k msg/s for 6 s in the background.
    let mut gen = Command::new(bin())
        .args(["gen", "--to", &to, "--rate", "20000", "--duration", "6"])
        .stdout(Stdio::null())
        .spawn()
        .expect("gen");
    std::thread::sleep(Duration::from_millis(2500));
    let durable = s.metric("argos_messages_durable_total");
    let received = s.metric("argos_hep_packets_received_total{transport=\"udp\"}");
    assert!(
        durable > 10_000.0,
        "ingest did not start: durable={durable}"
    );
    // SIGKILL: no chance to flush.
    let data = s.kill_9();
    let _ = gen.wait();
    // Restart first: the banner must report the recovery of the partition left open.
    let s2 = Server::start_in(data, &[]);
    let banner = s2.banner.join("\n");
    assert!(
        banner.contains("recovered after an unclean stop"),
        "restart does not report the recovery: {banner}"
    );
    let stored_after = count_messages(s2.data.path());
    eprintln!(
        "durable before kill {durable}, received {received}, found after restart {stored_after}"
    );
    assert!(
        stored_after as f64 >= durable,
        "lost durable data: {stored_after} < {durable}"
    );
    // At most what arrived after the last flush is lost: received ≤ durable + 200 ms of traffic
    // (20k msg/s × flush interval 100 ms in tests, with a generous margin for the scheduler).
    assert!(stored_after as f64 <= received + 20_000.0 * 3.0);
    // The store takes new data.
    let to2 = format!("udp:127.0.0.1:{}", s2.hep_port);
    argos(&["gen", "--to", &to2, "--count", "7", "--rate", "0"]);
    let ok = s2.wait_for(Duration::from_secs(3), |s| {
        (s.metric("argos_messages_durable_total") >= 7.0).then_some(())
    });
    assert!(ok.is_some(), "restarted server did not store new data");
}

fn count_messages(data: &std::path::Path) -> usize {
    let out = argos(&[
        "search",
        "--data",
        data.to_str().expect("utf8"),
        "--json",
        "--limit",
        "100000000",
    ]);
    out.lines().count()
}
