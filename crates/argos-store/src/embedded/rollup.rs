//! `call_minutes`: the call records of a day file summed per minute of start, status,
//! final code and one key of each KPI dimension, so the home page's KPI chart and top lists
//! read a few thousand rows instead of every call of the day.
//!
//! Why: grouping `call_rows` costs ~0.6 µs per call and query (SQLite stepping dominates),
//! and the home page asks four such questions over the last 24 h: ~0.3 s of server time at
//! 123k calls, seconds at a million. Here a query reads one row per (minute, key, status,
//! code) in the range's whole minutes and groups only the calls of the two partial minutes
//! at its edges (docs/PERFORMANCE.md, page render times).
//!
//! The table mirrors `call_rows` exactly: a call record written again (a call live at one
//! flush, ended at a later one) takes its old row's contribution back before adding the
//! new one, in the same transaction as the row itself. A day file made before this table
//! existed gets it filled from its `call_rows` the first time the writer opens it; files
//! only ever opened for reading since lack it, and their queries group `call_rows` as
//! before ([`has_table`]).
//!
//! The destination prefix dimension keeps the first [`DST_PREFIX_CHARS`] characters; a
//! query for a longer prefix groups `call_rows`.

use argos_model::{CallStatus, KpiDim};
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::HashMap;

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS call_minutes(
  minute_us INTEGER NOT NULL, dim INTEGER NOT NULL, key TEXT NOT NULL, status TEXT NOT NULL,
  final_code INTEGER NOT NULL, calls INTEGER NOT NULL,
  duration_sum INTEGER NOT NULL, duration_n INTEGER NOT NULL,
  pdd_sum INTEGER NOT NULL, pdd_n INTEGER NOT NULL,
  setup_sum INTEGER NOT NULL, setup_n INTEGER NOT NULL,
  PRIMARY KEY(dim, minute_us, key, status, final_code)) WITHOUT ROWID;
";

/// Characters of the destination (R-URI user, else To user) kept for the prefix dimension.
pub(super) const DST_PREFIX_CHARS: usize = 8;

pub(super) const MINUTE_US: i64 = 60_000_000;

/// `dim` column value of a dimension.
pub(super) fn dim_code(d: KpiDim) -> i64 {
    match d {
        KpiDim::All => 0,
        KpiDim::Node => 1,
        KpiDim::SrcIp => 2,
        KpiDim::DstIp => 3,
        KpiDim::CallerUa => 4,
        KpiDim::DstPrefix => 5,
    }
}

/// The columns of one `call_rows` row that the roll-up sums, by dimension key: taken from
/// a record being written, or read back from the row it replaces.
pub(super) struct Summed {
    pub status: &'static str,
    pub final_code: Option<u16>,
    pub node: Option<String>,
    pub src_ip: String,
    pub dst_ip: String,
    pub caller_ua: Option<String>,
    pub ruri_user: Option<String>,
    pub to_user: Option<String>,
    pub duration_ms: Option<i64>,
    pub pdd_ms: Option<i64>,
    pub setup_ms: Option<i64>,
}

impl Summed {
    /// The key of dimension `d`, as the SQL of the grouping query computes it.
    fn key(&self, d: KpiDim) -> &str {
        match d {
            KpiDim::All => "",
            KpiDim::Node => self.node.as_deref().unwrap_or(""),
            KpiDim::SrcIp => &self.src_ip,
            KpiDim::DstIp => &self.dst_ip,
            KpiDim::CallerUa => self.caller_ua.as_deref().unwrap_or(""),
            KpiDim::DstPrefix => {
                let dst = self
                    .ruri_user
                    .as_deref()
                    .filter(|u| !u.is_empty())
                    .or(self.to_user.as_deref())
                    .unwrap_or("");
                char_prefix(dst, DST_PREFIX_CHARS)
            }
        }
    }

    /// The stored row of call (`start_us`, `call_key`), if any.
    pub fn read(
        conn: &Connection,
        start_us: i64,
        call_key: &str,
    ) -> rusqlite::Result<Option<Self>> {
        conn.prepare_cached(
            "SELECT status, final_code, node, src_ip, dst_ip, caller_ua, ruri_user, to_user, \
             duration_ms, pdd_ms, setup_ms FROM call_rows WHERE start_us = ?1 AND call_key = ?2",
        )?
        .query_row(params![start_us, call_key], |r| {
            let status: String = r.get(0)?;
            Ok(Summed {
                // The roll-up keys statuses by their one spelling.
                status: CallStatus::parse(&status)
                    .map(CallStatus::as_str)
                    .ok_or_else(|| {
                        rusqlite::Error::FromSqlConversionFailure(
                            0,
                            rusqlite::types::Type::Text,
                            format!("unknown call status {status:?}").into(),
                        )
                    })?,
                final_code: r
                    .get::<_, Option<i64>>(1)?
                    .and_then(|c| u16::try_from(c).ok()),
                node: r.get(2)?,
                src_ip: r.get(3)?,
                dst_ip: r.get(4)?,
                caller_ua: r.get(5)?,
                ruri_user: r.get(6)?,
                to_user: r.get(7)?,
                duration_ms: r.get(8)?,
                pdd_ms: r.get(9)?,
                setup_ms: r.get(10)?,
            })
        })
        .optional()
    }
}

/// The first `n` characters of `s`.
pub(super) fn char_prefix(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((end, _)) => &s[..end],
        None => s,
    }
}

/// Sums of one roll-up row.
#[derive(Default, Clone, Copy, PartialEq, Eq, Debug)]
pub(super) struct Sums {
    pub calls: i64,
    pub duration_sum: i64,
    pub duration_n: i64,
    pub pdd_sum: i64,
    pub pdd_n: i64,
    pub setup_sum: i64,
    pub setup_n: i64,
}

/// Changes to the roll-up of one write transaction, merged per row before they are applied
/// (calls of one minute and status share rows of the low-cardinality dimensions).
#[derive(Default)]
pub(super) struct Delta<'a> {
    rows: HashMap<(i64, i64, &'a str, &'a str, i64), Sums>,
}

impl<'a> Delta<'a> {
    /// Adds (`sign` 1) or takes back (`sign` -1) the call that started at `start_us`.
    pub fn add(&mut self, start_us: i64, c: &'a Summed, sign: i64) {
        let minute_us = start_us.div_euclid(MINUTE_US) * MINUTE_US;
        let code = i64::from(c.final_code.unwrap_or(0));
        for d in KpiDim::ALL {
            let s = self
                .rows
                .entry((minute_us, dim_code(d), c.key(d), c.status, code))
                .or_default();
            s.calls += sign;
            for (v, sum, n) in [
                (c.duration_ms, &mut s.duration_sum, &mut s.duration_n),
                (c.pdd_ms, &mut s.pdd_sum, &mut s.pdd_n),
                (c.setup_ms, &mut s.setup_sum, &mut s.setup_n),
            ] {
                if let Some(v) = v {
                    *sum = sum.saturating_add(v.saturating_mul(sign));
                    *n += sign;
                }
            }
        }
    }

    /// Writes the changes; rows whose calls drop to zero are deleted.
    pub fn apply(self, conn: &Connection) -> rusqlite::Result<()> {
        let mut up = conn.prepare_cached(
            "INSERT INTO call_minutes(minute_us, dim, key, status, final_code, calls, \
             duration_sum, duration_n, pdd_sum, pdd_n, setup_sum, setup_n) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) \
             ON CONFLICT(minute_us, dim, key, status, final_code) DO UPDATE SET \
             calls = calls + excluded.calls, \
             duration_sum = duration_sum + excluded.duration_sum, \
             duration_n = duration_n + excluded.duration_n, \
             pdd_sum = pdd_sum + excluded.pdd_sum, pdd_n = pdd_n + excluded.pdd_n, \
             setup_sum = setup_sum + excluded.setup_sum, setup_n = setup_n + excluded.setup_n",
        )?;
        let mut empty = Vec::new();
        for ((minute_us, dim, key, status, code), s) in self.rows {
            if s == Sums::default() {
                continue;
            }
            up.execute(params![
                minute_us,
                dim,
                key,
                status,
                code,
                s.calls,
                s.duration_sum,
                s.duration_n,
                s.pdd_sum,
                s.pdd_n,
                s.setup_sum,
                s.setup_n
            ])?;
            if s.calls < 0 {
                empty.push((minute_us, dim, key, status, code));
            }
        }
        let mut del = conn.prepare_cached(
            "DELETE FROM call_minutes WHERE minute_us = ?1 AND dim = ?2 AND key = ?3 \
             AND status = ?4 AND final_code = ?5 AND calls <= 0",
        )?;
        for (minute_us, dim, key, status, code) in empty {
            del.execute(params![minute_us, dim, key, status, code])?;
        }
        Ok(())
    }
}

/// Whether `conn`'s file has the roll-up table (files last written by an older binary and
/// only read since do not).
pub(super) fn has_table(conn: &Connection) -> rusqlite::Result<bool> {
    conn.prepare_cached(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'call_minutes'",
    )?
    .exists([])
}

/// Creates the table; when it is new and the file already holds call records, fills it from
/// them (one pass per dimension, in one transaction).
pub(super) fn create(conn: &Connection) -> rusqlite::Result<()> {
    if has_table(conn)? {
        return Ok(());
    }
    conn.execute_batch("BEGIN")?;
    let res = (|| {
        conn.execute_batch(SCHEMA)?;
        for d in KpiDim::ALL {
            // The same key expressions as the queries, so filled rows equal written ones.
            let key = super::tracked_query::dim_sql(d, &DST_PREFIX_CHARS.to_string());
            conn.execute(
                &format!(
                    "INSERT INTO call_minutes SELECT (start_us / {MINUTE_US}) * {MINUTE_US} - \
                     (CASE WHEN start_us < 0 AND start_us % {MINUTE_US} != 0 THEN {MINUTE_US} ELSE 0 END), \
                     ?1, {key}, status, coalesce(final_code, 0), count(*), \
                     coalesce(sum(duration_ms), 0), count(duration_ms), coalesce(sum(pdd_ms), 0), \
                     count(pdd_ms), coalesce(sum(setup_ms), 0), count(setup_ms) FROM call_rows \
                     GROUP BY 1, 3, 4, 5"
                ),
                [dim_code(d)],
            )?;
        }
        Ok(())
    })();
    match res {
        Ok(()) => conn.execute_batch("COMMIT"),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::char_prefix;

    #[test]
    fn prefix_counts_characters_like_sqlite_substr() {
        assert_eq!(char_prefix("4986123", 4), "4986");
        assert_eq!(char_prefix("49", 4), "49");
        assert_eq!(char_prefix("ÄÖÜßxyz", 3), "ÄÖÜ");
        assert_eq!(char_prefix("", 8), "");
    }
}
