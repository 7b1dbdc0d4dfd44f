//! The call tracker's tables on ClickHouse (issue #4): names, DDL and inserts.
//!
//! Four tables beside the messages, named after the messages table (`messages_calls`...),
//! `PARTITION BY day` like it so retention drops them with the messages of their day, and
//! with the same 18.16-compatible types (`Int64` µs, no DateTime64, TTL or skip index).
//! Each keeps the whole record as JSON (`rec`) and copies of what queries filter, sort or
//! group on:
//!
//! | table | day of | engine, sorting key |
//! |---|---|---|
//! | `<t>_calls` | `start_us` | `ReplacingMergeTree(ver)`, `(start_us, call_key)` |
//! | `<t>_registrations` | `last_us` | `ReplacingMergeTree(ver)`, `(aor, contact)` |
//! | `<t>_alarms` | `first_us` | `ReplacingMergeTree(ver)`, `(kind, key, first_us)` |
//! | `<t>_stats` | `minute_us` | `SummingMergeTree(count)`, `(minute_us, name)` |
//!
//! "Replace on put" is a new row with a higher `ver` ([`versions`]: µs clock, strictly
//! increasing in this process); merges keep the highest, and reads say `FINAL` so rows not
//! merged yet never show twice (the filters are in `WHERE`, which 18.16 applies after the
//! `FINAL` merge — never `PREWHERE`, which would see replaced rows). A call's `start_us`
//! is part of its key: the tracker never changes it (it also picks the partition). Stats
//! add up by merging and, until then, by `sum()` at read.
//!
//! In cluster mode each is a local table on every shard and a Distributed table over them,
//! sharded by its replacing key (so every version of a row lands on one shard, where
//! `FINAL` sees them all).

use super::day::date_of;
use super::tsv::{escape, num, num_opt, str_opt};
use super::{schema, ClickHouseStore};
use crate::tracked::to_json;
use crate::StoreError;
use argos_model::{Alarm, CallRecord, RegistrationRecord, StatRow};
use std::sync::atomic::{AtomicU64, Ordering};

/// A table the store reads and writes (Distributed in cluster mode), and its MergeTree.
pub(crate) struct Table {
    pub read: String,
    pub local: String,
}

/// The four tables of one store.
pub(crate) struct Tables {
    pub calls: Table,
    pub registrations: Table,
    pub alarms: Table,
    pub stats: Table,
}

/// Columns of each table, in the order of the TSV inserts below.
const CALL_COLUMNS: &str = "day, start_us, call_key, ver, status, final_code, from_user, \
    to_user, ruri_user, src_ip, dst_ip, node, caller_ua, duration_ms, pdd_ms, setup_ms, rec";
const REG_COLUMNS: &str = "day, aor, contact, last_us, ver, status, rec";
const ALARM_COLUMNS: &str = "day, kind, key, first_us, last_us, ver, rec";
const STAT_COLUMNS: &str = "day, minute_us, name, count";

impl Tables {
    /// Names derived from the messages table's: `<messages>_calls`, and in cluster mode
    /// `<messages>_calls_local` on the shards.
    pub fn new(messages: &str, cluster: bool) -> Tables {
        let t = |what: &str| {
            let read = format!("{messages}_{what}");
            let local = if cluster {
                format!("{read}_local")
            } else {
                read.clone()
            };
            Table { read, local }
        };
        Tables {
            calls: t("calls"),
            registrations: t("registrations"),
            alarms: t("alarms"),
            stats: t("stats"),
        }
    }

    /// The MergeTree tables (partitions to count and drop).
    pub fn locals(&self) -> [&str; 4] {
        [
            &self.calls.local,
            &self.registrations.local,
            &self.alarms.local,
            &self.stats.local,
        ]
    }

    /// DDL of one node: the local tables, and in cluster mode the Distributed ones.
    pub fn ddl(&self, db: &str, cluster: Option<&str>) -> Vec<String> {
        let settings = "SETTINGS index_granularity = 1024";
        let mut v = vec![
            format!(
                "CREATE TABLE IF NOT EXISTS {db}.{} (day Date, start_us Int64, call_key String, \
                 ver UInt64, status String, final_code UInt16, from_user Nullable(String), \
                 to_user Nullable(String), ruri_user Nullable(String), src_ip String, \
                 dst_ip String, node Nullable(String), caller_ua Nullable(String), \
                 duration_ms Nullable(Int64), pdd_ms Nullable(Int64), setup_ms Nullable(Int64), \
                 rec String)\nENGINE = ReplacingMergeTree(ver) PARTITION BY day \
                 ORDER BY (start_us, call_key) {settings}",
                self.calls.local
            ),
            format!(
                "CREATE TABLE IF NOT EXISTS {db}.{} (day Date, aor String, contact String, \
                 last_us Int64, ver UInt64, status String, rec String)\n\
                 ENGINE = ReplacingMergeTree(ver) PARTITION BY day ORDER BY (aor, contact) \
                 {settings}",
                self.registrations.local
            ),
            format!(
                "CREATE TABLE IF NOT EXISTS {db}.{} (day Date, kind String, key String, \
                 first_us Int64, last_us Int64, ver UInt64, rec String)\n\
                 ENGINE = ReplacingMergeTree(ver) PARTITION BY day \
                 ORDER BY (kind, key, first_us) {settings}",
                self.alarms.local
            ),
            format!(
                "CREATE TABLE IF NOT EXISTS {db}.{} (day Date, minute_us Int64, name String, \
                 count UInt64)\nENGINE = SummingMergeTree(count) PARTITION BY day \
                 ORDER BY (minute_us, name) {settings}",
                self.stats.local
            ),
        ];
        if let Some(c) = cluster {
            for (t, key) in [
                (&self.calls, "cityHash64(call_key)"),
                (&self.registrations, "cityHash64(aor, contact)"),
                (&self.alarms, "cityHash64(kind, key)"),
                (&self.stats, "cityHash64(name)"),
            ] {
                v.push(schema::distributed_ddl(db, &t.read, &t.local, c, key));
            }
        }
        v
    }
}

/// The last row version handed out in this process.
static LAST_VERSION: AtomicU64 = AtomicU64::new(0);

/// Versions for `n` rows: consecutive, above every earlier one of this process and at
/// least the clock in µs, so a restarted collector's rows still replace its earlier ones.
pub(crate) fn versions(n: usize) -> u64 {
    let now = u64::try_from(super::now_us()).unwrap_or(0);
    let n = n.max(1) as u64;
    let first_after = |last: u64| now.max(last.saturating_add(1));
    let prev = LAST_VERSION
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |last| {
            Some(first_after(last).saturating_add(n - 1))
        })
        .unwrap_or_else(|last| last);
    first_after(prev)
}

/// The `day` column of a row, refusing timestamps outside ClickHouse's `Date`.
fn day(what: &str, ts_us: i64) -> Result<String, StoreError> {
    date_of(ts_us).ok_or_else(|| {
        StoreError::InvalidRecord(format!(
            "{what}: timestamp {ts_us} outside 1970-01-01..2105-12-31 (ClickHouse Date)"
        ))
    })
}

/// Appends the last field of a line: an escaped string and the newline.
fn last_str(out: &mut Vec<u8>, s: &str) {
    escape(out, s.as_bytes());
    out.push(b'\n');
}

fn str_field(out: &mut Vec<u8>, s: &str) {
    str_opt(out, Some(s));
}

fn encode_call(out: &mut Vec<u8>, c: &CallRecord, ver: u64) -> Result<(), StoreError> {
    let json = to_json("call record", c)?;
    str_field(out, &day("call record", c.start_us)?);
    num(out, c.start_us);
    str_field(out, &c.call_key);
    num(out, ver);
    str_field(out, c.status.as_str());
    num(out, c.final_code.unwrap_or(0));
    for s in [&c.from_user, &c.to_user, &c.ruri_user] {
        str_opt(out, s.as_deref());
    }
    str_field(out, &c.src_ip);
    str_field(out, &c.dst_ip);
    str_opt(out, c.node.as_deref());
    str_opt(out, c.caller_ua.as_deref());
    for v in [c.duration_ms, c.pdd_ms, c.setup_ms] {
        num_opt(out, v);
    }
    last_str(out, &json);
    Ok(())
}

fn encode_registration(
    out: &mut Vec<u8>,
    r: &RegistrationRecord,
    ver: u64,
) -> Result<(), StoreError> {
    let json = to_json("registration", r)?;
    str_field(out, &day("registration", r.last_us)?);
    str_field(out, &r.aor);
    str_field(out, &r.contact);
    num(out, r.last_us);
    num(out, ver);
    str_field(out, r.status.as_str());
    last_str(out, &json);
    Ok(())
}

fn encode_alarm(out: &mut Vec<u8>, a: &Alarm, ver: u64) -> Result<(), StoreError> {
    let json = to_json("alarm", a)?;
    str_field(out, &day("alarm", a.first_us)?);
    str_field(out, a.kind.as_str());
    str_field(out, &a.key);
    num(out, a.first_us);
    num(out, a.last_us);
    num(out, ver);
    last_str(out, &json);
    Ok(())
}

fn encode_stat(out: &mut Vec<u8>, s: &StatRow) -> Result<(), StoreError> {
    str_field(out, &day("stat", s.minute_us)?);
    num(out, s.minute_us);
    str_field(out, &s.name);
    let _ = std::io::Write::write_fmt(out, format_args!("{}\n", s.count));
    Ok(())
}

impl ClickHouseStore {
    /// One synchronous `INSERT ... FORMAT TabSeparated` of `rows` into `table`, each line
    /// made by `encode` with its row version. The whole batch is encoded (and checked)
    /// before anything is sent.
    fn put_rows<T>(
        &self,
        op: &'static str,
        table: &Table,
        columns: &str,
        rows: &[T],
        encode: impl Fn(&mut Vec<u8>, &T, u64) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut body = Vec::with_capacity(rows.len() * 512);
        let first = versions(rows.len());
        for (i, r) in rows.iter().enumerate() {
            encode(&mut body, r, first + i as u64)?;
        }
        self.node.insert(
            op,
            &format!(
                "INSERT INTO {}.{} ({columns}) FORMAT TabSeparated",
                self.cfg.database, table.read
            ),
            &body,
            &self.insert_settings,
        )
    }

    pub(super) fn put_call_rows(&self, calls: &[CallRecord]) -> Result<(), StoreError> {
        let t = &self.tracked.calls;
        self.put_rows("insert call records", t, CALL_COLUMNS, calls, encode_call)
    }

    pub(super) fn put_registration_rows(
        &self,
        regs: &[RegistrationRecord],
    ) -> Result<(), StoreError> {
        let t = &self.tracked.registrations;
        self.put_rows(
            "insert registrations",
            t,
            REG_COLUMNS,
            regs,
            encode_registration,
        )
    }

    pub(super) fn put_alarm_rows(&self, alarms: &[Alarm]) -> Result<(), StoreError> {
        let t = &self.tracked.alarms;
        self.put_rows("insert alarms", t, ALARM_COLUMNS, alarms, encode_alarm)
    }

    /// Stat rows; zero counts add nothing and are left out (a summing merge would drop
    /// them anyway).
    pub(super) fn put_stat_rows(&self, rows: &[StatRow]) -> Result<(), StoreError> {
        let rows: Vec<&StatRow> = rows.iter().filter(|r| r.count > 0).collect();
        let t = &self.tracked.stats;
        self.put_rows("insert stat counts", t, STAT_COLUMNS, &rows, |out, s, _| {
            encode_stat(out, s)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_strictly_increase() {
        let a = versions(3);
        let b = versions(1);
        assert!(b >= a + 3);
        assert!(a >= 1_700_000_000_000_000);
    }

    #[test]
    fn names_and_cluster_ddl() {
        let t = Tables::new("messages", true);
        assert_eq!(t.calls.read, "messages_calls");
        assert_eq!(t.calls.local, "messages_calls_local");
        let ddl = t.ddl("db", Some("c"));
        assert_eq!(ddl.len(), 8);
        assert!(ddl[0].contains("ReplacingMergeTree(ver) PARTITION BY day"));
        assert!(ddl[4].contains("Distributed(c, db, messages_calls_local, cityHash64(call_key))"));
        let t = Tables::new("m", false);
        assert_eq!(t.stats.local, "m_stats");
        assert_eq!(t.ddl("db", None).len(), 4);
    }

    #[test]
    fn call_line_has_every_column() {
        let c = CallRecord {
            call_key: "k\tx".into(),
            start_us: 1_764_064_800_000_000,
            src_ip: "10.0.0.1".into(),
            dst_ip: "10.0.0.2".into(),
            duration_ms: Some(5),
            ..CallRecord::default()
        };
        let mut out = Vec::new();
        encode_call(&mut out, &c, 7).expect("encode");
        let line = String::from_utf8(out).expect("utf-8");
        assert!(line.ends_with('\n'));
        let fields: Vec<&str> = line.trim_end_matches('\n').split('\t').collect();
        assert_eq!(fields.len(), CALL_COLUMNS.split(", ").count());
        assert_eq!(fields[0], "2025-11-25");
        assert_eq!(fields[2], "k\\tx");
        assert!(encode_call(&mut Vec::new(), &CallRecord::default(), 1).is_ok());
        let bad = CallRecord {
            start_us: -1,
            ..CallRecord::default()
        };
        assert!(matches!(
            encode_call(&mut Vec::new(), &bad, 1),
            Err(StoreError::InvalidRecord(_))
        ));
    }
}
