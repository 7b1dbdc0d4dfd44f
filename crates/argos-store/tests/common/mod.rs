//! The engines a shared test runs against: the embedded engine always; ClickHouse on one
//! server when `ARGOS_TEST_CLICKHOUSE` is set (e.g. `http://127.0.0.1:8123`), and in
//! cluster mode when `ARGOS_TEST_CLICKHOUSE_CLUSTER` (cluster name) and
//! `ARGOS_TEST_CLICKHOUSE_SHARDS` (comma-separated HTTP URLs of its shards) are set too.
//! Unset or unreachable servers print `SKIP: ...` and the engine is left out
//! (`scripts/clickhouse-up.sh` starts both). Every ClickHouse engine uses a fresh database
//! with a random name, dropped at the end. Each engine can be closed and reopened on the
//! same data.
#![allow(clippy::unwrap_used, dead_code)]

use argos_store::{
    ClickHouseOptions, ClickHouseStore, EmbeddedOptions, EmbeddedStore, Store, StoreError,
};

pub enum Where {
    Embedded(tempfile::TempDir),
    ClickHouse { url: String },
}

pub struct Engine {
    pub name: String,
    store: Option<Box<dyn Store>>,
    at: Where,
}

impl Engine {
    pub fn store(&self) -> &dyn Store {
        self.store.as_deref().unwrap()
    }

    /// Closes the store (the embedded one flushes on drop) and opens it again on the same
    /// directory or database.
    pub fn reopen(&mut self) {
        self.store = None;
        self.store = Some(match &self.at {
            Where::Embedded(dir) => {
                Box::new(EmbeddedStore::open(dir.path(), EmbeddedOptions::default()).unwrap())
            }
            Where::ClickHouse { url } => {
                Box::new(ClickHouseStore::open(url, ClickHouseOptions::default()).unwrap())
            }
        });
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.store = None;
        if let Where::ClickHouse { url } = &self.at {
            match ClickHouseStore::open(url, ClickHouseOptions::default()) {
                Ok(s) => {
                    if let Err(e) = s.drop_database() {
                        eprintln!("{}: dropping test database: {e}", self.name);
                    }
                }
                Err(e) => eprintln!("{}: reopening to drop the test database: {e}", self.name),
            }
        }
    }
}

pub fn env(k: &str) -> Option<String> {
    std::env::var(k).ok().filter(|v| !v.trim().is_empty())
}

pub fn random_db() -> String {
    use std::hash::{BuildHasher, Hasher};
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(t);
    format!("argos_test_{:x}_{:x}", std::process::id(), h.finish())
}

/// HTTP base URL without a trailing slash.
pub fn base(u: &str) -> String {
    u.trim().trim_end_matches('/').to_string()
}

fn open_ch(url: &str, name: String, what: &str) -> Option<Engine> {
    match ClickHouseStore::open(url, ClickHouseOptions::default()) {
        Ok(s) => Some(Engine {
            name,
            store: Some(Box::new(s)),
            at: Where::ClickHouse {
                url: url.to_string(),
            },
        }),
        // Unreachable server: a transport error (no HTTP status). Anything else fails.
        Err(e @ StoreError::ClickHouse { status: None, .. }) => {
            println!("SKIP: {what}: {e}");
            None
        }
        Err(e) => panic!("{what}: open {url}: {e}"),
    }
}

/// Every engine available here, empty.
pub fn engines(test: &str) -> Vec<Engine> {
    let dir = tempfile::tempdir().unwrap();
    let mut out = vec![Engine {
        name: "embedded".into(),
        store: Some(Box::new(
            EmbeddedStore::open(dir.path(), EmbeddedOptions::default()).unwrap(),
        )),
        at: Where::Embedded(dir),
    }];
    let Some(url) = env("ARGOS_TEST_CLICKHOUSE") else {
        println!("SKIP: {test}: ClickHouse: ARGOS_TEST_CLICKHOUSE is not set");
        return out;
    };
    let single = format!("{}/{}", base(&url), random_db());
    out.extend(open_ch(
        &single,
        "clickhouse".into(),
        &format!("{test}: ClickHouse"),
    ));
    match (
        env("ARGOS_TEST_CLICKHOUSE_CLUSTER"),
        env("ARGOS_TEST_CLICKHOUSE_SHARDS"),
    ) {
        (Some(cluster), Some(shards)) => {
            let shards: Vec<String> = shards.split(',').map(base).collect();
            let u = format!(
                "{}/{}?cluster={cluster}&shards={}",
                base(&url),
                random_db(),
                shards.join(",")
            );
            out.extend(open_ch(
                &u,
                format!("clickhouse cluster {cluster}"),
                &format!("{test}: ClickHouse cluster {cluster}"),
            ));
        }
        _ => println!(
            "SKIP: {test}: ClickHouse cluster: ARGOS_TEST_CLICKHOUSE_CLUSTER / _SHARDS not set"
        ),
    }
    let names: Vec<&str> = out.iter().map(|e| e.name.as_str()).collect();
    println!("{test}: engines: {}", names.join(", "));
    out
}
