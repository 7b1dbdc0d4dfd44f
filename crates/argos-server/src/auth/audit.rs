//! The audit log: append-only JSON lines in `DATA/audit.log`.
//!
//! One line per event: logins (ok, failed, rate limited), logouts, user and token changes,
//! call exports. At [`ROTATE_BYTES`] the file becomes `audit.log.1` (older ones shift up to
//! `audit.log.5`; the oldest is deleted). Lines are small and written under a lock with one
//! `write` each, so concurrent events never interleave.

use parking_lot::Mutex;
use serde_json::{Map, Value};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// Size at which the log is rotated.
pub const ROTATE_BYTES: u64 = 10 * 1024 * 1024;
/// Rotated files kept beside the live one.
pub const KEEP: usize = 5;

/// Who the current request acts as, for events raised deep inside a handler (exports).
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: String,
    pub ip: Option<IpAddr>,
}

tokio::task_local! {
    /// Set by the API's auth middleware around each authenticated request.
    pub static CALLER: Caller;
}

#[derive(Debug)]
struct Open {
    file: Option<File>,
    size: u64,
}

/// The audit log of one data directory.
#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
    rotate_bytes: u64,
    open: Mutex<Open>,
}

impl AuditLog {
    /// Opens (creating) `DIR/audit.log` for appending.
    pub fn open(data_dir: &Path) -> std::io::Result<AuditLog> {
        Self::with_limit(data_dir, ROTATE_BYTES)
    }

    /// As [`AuditLog::open`], rotating at `rotate_bytes`.
    pub fn with_limit(data_dir: &Path, rotate_bytes: u64) -> std::io::Result<AuditLog> {
        let path = data_dir.join("audit.log");
        let file = open_append(&path)?;
        let size = file.metadata()?.len();
        Ok(AuditLog {
            path,
            rotate_bytes,
            open: Mutex::new(Open {
                file: Some(file),
                size,
            }),
        })
    }

    /// Appends one event: `action` (e.g. `login.failed`), who, from where, and extra fields.
    /// Failures are logged, never returned: auditing must not break the request.
    pub fn record(&self, action: &str, user: Option<&str>, ip: Option<IpAddr>, extra: Value) {
        let mut obj = Map::new();
        let now = time::OffsetDateTime::now_utc();
        obj.insert(
            "ts".into(),
            Value::String(
                now.format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default(),
            ),
        );
        obj.insert("ts_unix".into(), Value::from(now.unix_timestamp()));
        obj.insert("action".into(), Value::String(action.to_owned()));
        if let Some(u) = user {
            obj.insert("user".into(), Value::String(u.to_owned()));
        }
        if let Some(ip) = ip {
            obj.insert("ip".into(), Value::String(ip.to_string()));
        }
        if let Value::Object(m) = extra {
            for (k, v) in m {
                obj.entry(k).or_insert(v);
            }
        }
        let mut line = Value::Object(obj).to_string();
        line.push('\n');
        if let Err(e) = self.append(line.as_bytes()) {
            tracing::error!(error = %e, path = %self.path.display(), "writing audit log");
        }
    }

    /// An export (pcap, archive) by the caller of the current request.
    pub fn export(&self, kind: &str, what: &str) {
        let caller = CALLER.try_with(|c| c.clone()).ok();
        self.record(
            "export",
            caller.as_ref().map(|c| c.user.as_str()),
            caller.as_ref().and_then(|c| c.ip),
            serde_json::json!({ "format": kind, "call_id": what }),
        );
    }

    fn append(&self, line: &[u8]) -> std::io::Result<()> {
        let mut o = self.open.lock();
        if o.size > 0 && o.size + line.len() as u64 > self.rotate_bytes {
            o.file = None;
            self.rotate()?;
            o.size = 0;
        }
        if o.file.is_none() {
            o.file = Some(open_append(&self.path)?);
        }
        if let Some(f) = o.file.as_mut() {
            f.write_all(line)?;
            o.size += line.len() as u64;
        }
        Ok(())
    }

    fn rotated(&self, n: usize) -> PathBuf {
        let mut p = self.path.clone().into_os_string();
        p.push(format!(".{n}"));
        PathBuf::from(p)
    }

    fn rotate(&self) -> std::io::Result<()> {
        let _ = std::fs::remove_file(self.rotated(KEEP));
        for n in (1..KEEP).rev() {
            let from = self.rotated(n);
            if from.exists() {
                std::fs::rename(&from, self.rotated(n + 1))?;
            }
        }
        std::fs::rename(&self.path, self.rotated(1))
    }

    /// Events at or after `since` (unix seconds), newest first, at most `limit`. Reads the
    /// live file, then rotated ones while more are needed. Blocking file I/O.
    pub fn read(&self, since: i64, limit: usize) -> std::io::Result<Vec<Value>> {
        let mut out = Vec::new();
        let files = std::iter::once(self.path.clone()).chain((1..=KEEP).map(|n| self.rotated(n)));
        for path in files {
            let f = match File::open(&path) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            let mut events: Vec<Value> = BufReader::new(f)
                .lines()
                .map_while(Result::ok)
                .filter_map(|l| serde_json::from_str::<Value>(&l).ok())
                .filter(|v| v.get("ts_unix").and_then(Value::as_i64).unwrap_or(0) >= since)
                .collect();
            events.reverse();
            let older_done = events.is_empty();
            out.extend(events);
            if out.len() >= limit || older_done {
                break;
            }
        }
        out.truncate(limit);
        Ok(out)
    }
}

fn open_append(path: &Path) -> std::io::Result<File> {
    let mut o = OpenOptions::new();
    o.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_reads_newest_first_and_rotates() {
        let dir = tempfile::tempdir().expect("tmp");
        let log = AuditLog::with_limit(dir.path(), 2000).expect("open");
        for i in 0..100 {
            log.record("login.ok", Some("bob"), None, serde_json::json!({ "n": i }));
        }
        let got = log.read(0, 10).expect("read");
        assert_eq!(got.len(), 10);
        assert_eq!(
            got.first().and_then(|v| v.get("n")).and_then(Value::as_i64),
            Some(99)
        );
        for n in 1..=KEEP {
            assert!(log.rotated(n).exists(), "audit.log.{n} missing");
        }
        assert!(!log.rotated(KEEP + 1).exists());
        for p in std::iter::once(log.path.clone()).chain((1..=KEEP).map(|n| log.rotated(n))) {
            let len = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
            assert!(len <= 2000, "{} is {len} bytes", p.display());
        }
        assert!(log.read(i64::MAX, 10).expect("read").is_empty());
    }
}
