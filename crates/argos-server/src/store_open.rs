//! Which store a command uses: `--store clickhouse://HOST:8123/DB[?cluster=NAME]` for a
//! ClickHouse server or cluster, else the embedded engine in the data directory.

use anyhow::Context;
use argos_store::{ClickHouseOptions, ClickHouseStore, EmbeddedOptions, EmbeddedStore, Store};
use std::path::Path;
use std::sync::Arc;

/// A short description of the store for the banner, and the store.
pub struct OpenedStore {
    pub store: Arc<dyn Store>,
    pub describe: String,
}

/// Opens `url` when given (only `clickhouse://` is known), else the embedded store in `data_dir`.
pub fn open(url: Option<&str>, data_dir: &Path) -> anyhow::Result<OpenedStore> {
    match url.filter(|u| !u.is_empty()) {
        Some(u) if u.starts_with("clickhouse://") || u.starts_with("clickhouses://") => {
            let s = ClickHouseStore::open(u, ClickHouseOptions::default())
                .with_context(|| format!("opening ClickHouse store {}", redact(u)))?;
            Ok(OpenedStore {
                store: Arc::new(s),
                describe: format!("ClickHouse {}", redact(u)),
            })
        }
        Some(u) => anyhow::bail!("unknown store URL {u:?}: use clickhouse://HOST:8123/DB"),
        None => {
            std::fs::create_dir_all(data_dir)
                .with_context(|| format!("creating data directory {}", data_dir.display()))?;
            let s = EmbeddedStore::open(data_dir, EmbeddedOptions::default())
                .with_context(|| format!("opening store in {}", data_dir.display()))?;
            let describe = format!(
                "embedded, {}{}",
                data_dir.display(),
                recovery_summary(s.recovery())
            );
            Ok(OpenedStore {
                store: Arc::new(s),
                describe,
            })
        }
    }
}

/// What opening found, for the banner: the messages kept, and what a crash left behind.
fn recovery_summary(r: &argos_store::RecoveryReport) -> String {
    let mut s = format!(
        "\n                 {} message(s) in {} day(s)",
        r.messages, r.partitions_opened
    );
    if !r.partitions_recovered.is_empty() {
        s.push_str(&format!(
            "; recovered after an unclean stop: {} ({} WAL frames, checked in {} ms)",
            r.partitions_recovered.join(", "),
            r.wal_frames_recovered,
            r.quick_check_ms
        ));
    }
    for a in &r.set_aside {
        s.push_str(&format!("; set aside {}: {}", a.file, a.reason));
    }
    s
}

/// The URL without a password (`user:pass@` → `user:***@`) for banners and errors.
fn redact(u: &str) -> String {
    match (u.find("://"), u.find('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &u[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &u[..s + 3], &u[at..]),
                None => u.to_owned(),
            }
        }
        _ => u.to_owned(),
    }
}
