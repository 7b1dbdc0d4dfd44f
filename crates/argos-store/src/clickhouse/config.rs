//! Store URL and options: `clickhouse://[user[:password]@]host[:port]/db?cluster=NAME&...`.

use crate::StoreError;
use std::time::Duration;

/// Options of [`super::ClickHouseStore`]. Values given in the URL override these.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClickHouseOptions {
    /// User (URL: `user@host` or `?user=`); the server's `default` user when `None`.
    pub user: Option<String>,
    pub password: Option<String>,
    /// Timeout of one HTTP request (connect and each read/write).
    pub timeout: Duration,
    /// Cluster mode (URL: `?cluster=NAME`): local MergeTree tables on every shard and a
    /// Distributed table over them; inserts are sharded by `cityHash64(call_key)`.
    pub cluster: Option<String>,
    /// HTTP base URLs of every shard (URL: `?shards=h1:8123,h2:8123`). Used for the DDL
    /// (when `ON CLUSTER` is unavailable, i.e. no ZooKeeper), retention and statistics.
    /// Empty: only the node of the URL is managed — then every shard needs its own collector.
    pub shards: Vec<String>,
    /// Name of the messages table (URL: `?table=`).
    pub table: String,
    /// Create the database when missing.
    pub create_database: bool,
}

impl Default for ClickHouseOptions {
    fn default() -> Self {
        ClickHouseOptions {
            user: None,
            password: None,
            timeout: Duration::from_secs(60),
            cluster: None,
            shards: Vec::new(),
            table: "messages".into(),
            create_database: true,
        }
    }
}

/// A parsed, validated configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Config {
    /// `http://host:port` (or https).
    pub base: String,
    pub database: String,
    pub table: String,
    pub user: Option<String>,
    pub password: Option<String>,
    pub cluster: Option<String>,
    /// Base URLs of the shards (cluster mode), normalised like `base`.
    pub shards: Vec<String>,
}

fn bad(msg: impl Into<String>) -> StoreError {
    StoreError::Config(msg.into())
}

/// True for a plain identifier (`[A-Za-z_][A-Za-z0-9_]*`): database, table and cluster
/// names are only ever used in SQL in that form, so they never need quoting.
pub(crate) fn is_ident(s: &str) -> bool {
    let mut b = s.bytes();
    matches!(b.next(), Some(c) if c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
        && s.len() <= 128
}

fn percent_decode(s: &str) -> Result<String, StoreError> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = b
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| bad(format!("bad percent escape in {s:?}")))?;
                out.push(hex);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| bad(format!("{s:?} is not UTF-8 once decoded")))
}

/// `host[:port]` or a full `http(s)://host:port` → `http(s)://host:port` (no trailing `/`).
fn normalise_host(h: &str, default_scheme: &str) -> Result<String, StoreError> {
    let h = h.trim().trim_end_matches('/');
    let (scheme, rest) = match h.split_once("://") {
        Some(("http", r)) => ("http", r),
        Some(("https", r)) => ("https", r),
        Some(("clickhouse", r)) => (default_scheme, r),
        Some((s, _)) => return Err(bad(format!("unsupported scheme {s:?} in {h:?}"))),
        None => (default_scheme, h),
    };
    if rest.is_empty() || rest.contains(['/', '?', '#', '@', ' ']) {
        return Err(bad(format!("bad host {h:?}")));
    }
    // Port: last `:` outside an IPv6 literal.
    let has_port = match rest.rfind(']') {
        Some(end) => rest[end..].contains(':'),
        None => rest.contains(':'),
    };
    if has_port {
        let port = rest.rsplit(':').next().unwrap_or("");
        port.parse::<u16>()
            .map_err(|_| bad(format!("bad port in {h:?}")))?;
        Ok(format!("{scheme}://{rest}"))
    } else {
        Ok(format!("{scheme}://{rest}:8123"))
    }
}

impl Config {
    /// Parses `clickhouse://[user[:password]@]host[:port][/db][?k=v&...]` (also `http://`
    /// and `https://`; `clickhouse://` speaks plain HTTP, default port 8123, database
    /// `argos`). Query keys: `cluster`, `shards` (comma-separated `host:port`), `table`,
    /// `user`, `password`, `secure=1` (https).
    pub fn parse(url: &str, opts: &ClickHouseOptions) -> Result<Config, StoreError> {
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| bad(format!("{url:?}: expected clickhouse://host:port/db")))?;
        let mut http_scheme = match scheme {
            "clickhouse" | "http" => "http",
            "https" => "https",
            _ => return Err(bad(format!("{url:?}: unsupported scheme {scheme:?}"))),
        };
        let (rest, query) = match rest.split_once('?') {
            Some((r, q)) => (r, q),
            None => (rest, ""),
        };
        let (authority, path) = match rest.split_once('/') {
            Some((a, p)) => (a, p.trim_end_matches('/')),
            None => (rest, ""),
        };
        let (userinfo, host) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let mut user = opts.user.clone();
        let mut password = opts.password.clone();
        if let Some(ui) = userinfo {
            let (u, p) = match ui.split_once(':') {
                Some((u, p)) => (u, Some(p)),
                None => (ui, None),
            };
            user = Some(percent_decode(u)?);
            if let Some(p) = p {
                password = Some(percent_decode(p)?);
            }
        }
        let database = if path.is_empty() {
            "argos".to_string()
        } else {
            percent_decode(path)?
        };
        let mut table = opts.table.clone();
        let mut cluster = opts.cluster.clone();
        let mut shards_raw: Vec<String> = opts.shards.clone();
        for kv in query.split('&').filter(|s| !s.is_empty()) {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            let v = percent_decode(v)?;
            match k {
                "cluster" => cluster = Some(v).filter(|v| !v.is_empty()),
                "table" => table = v,
                "user" => user = Some(v),
                "password" => password = Some(v),
                "shards" => {
                    shards_raw = v
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect()
                }
                "secure" => {
                    if v == "1" || v == "true" {
                        http_scheme = "https";
                    }
                }
                _ => return Err(bad(format!("{url:?}: unknown parameter {k:?}"))),
            }
        }
        for (what, name) in [("database", &database), ("table", &table)] {
            if !is_ident(name) {
                return Err(bad(format!(
                    "{what} name {name:?} must match [A-Za-z_][A-Za-z0-9_]*"
                )));
            }
        }
        if let Some(c) = &cluster {
            if !is_ident(c) {
                return Err(bad(format!(
                    "cluster name {c:?} must match [A-Za-z_][A-Za-z0-9_]*"
                )));
            }
        }
        let base = normalise_host(host, http_scheme)?;
        let shards = shards_raw
            .iter()
            .map(|s| normalise_host(s, http_scheme))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Config {
            base,
            database,
            table,
            user,
            password,
            cluster,
            shards,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(u: &str) -> Result<Config, StoreError> {
        Config::parse(u, &ClickHouseOptions::default())
    }

    #[test]
    fn urls() {
        let c = parse("clickhouse://127.0.0.1:8123/db1").expect("parse");
        assert_eq!(c.base, "http://127.0.0.1:8123");
        assert_eq!(c.database, "db1");
        assert_eq!(c.table, "messages");
        assert_eq!(c.cluster, None);
        let c = parse("clickhouse://u%40x:p%3Aw@ch.example/argos?cluster=c1&shards=a:8123,b")
            .expect("parse");
        assert_eq!(c.base, "http://ch.example:8123");
        assert_eq!(c.user.as_deref(), Some("u@x"));
        assert_eq!(c.password.as_deref(), Some("p:w"));
        assert_eq!(c.cluster.as_deref(), Some("c1"));
        assert_eq!(c.shards, vec!["http://a:8123", "http://b:8123"]);
        let c = parse("http://[::1]:8124").expect("parse");
        assert_eq!(c.base, "http://[::1]:8124");
        assert_eq!(c.database, "argos");
        assert_eq!(
            parse("https://h/x").expect("parse").base,
            "https://h:8123".to_string()
        );
    }

    #[test]
    fn rejects_bad_names() {
        for u in [
            "clickhouse://h/db;DROP",
            "clickhouse://h/db?table=a%20b",
            "clickhouse://h/db?cluster=x'y",
            "clickhouse://h:99999/db",
            "ftp://h/db",
            "clickhouse://h/db?nope=1",
            "h:8123/db",
        ] {
            assert!(
                matches!(parse(u), Err(StoreError::Config(_))),
                "{u} accepted"
            );
        }
    }
}
