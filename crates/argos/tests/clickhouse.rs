//! `argos serve --store clickhouse://...`: the same ingest and API on a real ClickHouse server
//! (Debian's 18.16 in CI, started by scripts/clickhouse-up.sh), and two collectors sharing a
//! two-shard cluster where either answers for all calls. SKIP when no server is configured.

mod util;

use std::time::Duration;
use util::*;

fn env(k: &str) -> Option<String> {
    std::env::var(k).ok().filter(|v| !v.trim().is_empty())
}

/// `http://host:port` → `host:port`.
fn host_port(u: &str) -> String {
    u.trim()
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned()
}

fn random_db() -> String {
    format!("argos_e2e_{}_{}", std::process::id(), free_port())
}

/// Drops the test database on every shard when the test ends, pass or fail.
struct DropDb(Vec<String>, String);
impl Drop for DropDb {
    fn drop(&mut self) {
        for hp in &self.0 {
            let _ = Server::client()
                .post(format!("http://{hp}/"))
                .body(format!("DROP DATABASE IF EXISTS {}", self.1))
                .send();
        }
    }
}

fn calls(s: &Server) -> Vec<serde_json::Value> {
    s.get_json("/api/v1/calls?limit=1000")["calls"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn serve_on_clickhouse_stores_and_answers() {
    let Some(url) = env("ARGOS_TEST_CLICKHOUSE") else {
        eprintln!("SKIP: ARGOS_TEST_CLICKHOUSE is not set (scripts/clickhouse-up.sh starts one)");
        return;
    };
    let hp = host_port(&url);
    let db = random_db();
    let _drop = DropDb(vec![hp.clone()], db.clone());
    let store = format!("clickhouse://{hp}/{db}");
    let s = Server::start(&["--store", &store]);
    assert!(
        s.banner.iter().any(|l| l.contains("ClickHouse")),
        "{:?}",
        s.banner
    );
    let to = format!("udp:127.0.0.1:{}", s.hep_port);
    argos(&["gen", "--to", &to, "--count", "70", "--rate", "0"]);
    let c = s
        .wait_for(Duration::from_secs(5), |s| {
            let c = calls(s);
            (c.len() >= 10).then_some(c)
        })
        .unwrap_or_else(|| calls(&s));
    assert_eq!(c.len(), 10);
    assert!(c.iter().all(|c| c["status"] == 200 && c["messages"] == 7));
    let key = c[0]["call_key"].as_str().expect("key");
    let d = s.get_json(&format!("/api/v1/calls/{key}"));
    assert_eq!(d["messages"].as_array().map(Vec::len), Some(7));
    let t = s.get_json("/api/v1/messages?text=argos-gen-uas&limit=100");
    assert_eq!(t["count"], 10);
    let (st, pcap) = s.get(&format!("/api/v1/calls/{key}/pcap"));
    assert_eq!(st, 200);
    assert!(pcap.len() > 24 + 7 * 100);
}

#[test]
fn two_collectors_share_a_two_shard_cluster() {
    let (Some(cluster), Some(shards)) = (
        env("ARGOS_TEST_CLICKHOUSE_CLUSTER"),
        env("ARGOS_TEST_CLICKHOUSE_SHARDS"),
    ) else {
        eprintln!("SKIP: ARGOS_TEST_CLICKHOUSE_CLUSTER / _SHARDS not set");
        return;
    };
    let shards: Vec<String> = shards.split(',').map(host_port).collect();
    let db = random_db();
    let _drop = DropDb(shards.clone(), db.clone());
    let store = format!(
        "clickhouse://{}/{db}?cluster={cluster}&shards={}",
        shards[0],
        shards.join(",")
    );
    let a = Server::start(&["--store", &store]);
    let b = Server::start(&["--store", &store]);
    for s in [&a, &b] {
        let to = format!("udp:127.0.0.1:{}", s.hep_port);
        argos(&["gen", "--to", &to, "--count", "35", "--rate", "0"]);
    }
    // Either collector answers for the calls both received.
    for s in [&a, &b] {
        let c = s
            .wait_for(Duration::from_secs(5), |s| {
                let c = calls(s);
                (c.len() >= 10).then_some(c)
            })
            .unwrap_or_else(|| calls(s));
        assert_eq!(c.len(), 10, "calls seen by one collector");
        assert!(c.iter().all(|c| c["messages"] == 7));
    }
}
