//! What both engines share for the call tracker's tables (issue #4): the JSON form records
//! are kept in, the filters a call query turns into, the orders reads return, and the sum
//! of call-aggregate rows that come from several day partitions or shards.
//!
//! Each record is stored whole as JSON (so a new field in `argos_model` needs no schema
//! change) beside copies of the few fields queries filter, sort or group on.

use argos_model::{Alarm, CallAggRow, CallQuery, CallStatus, KpiDim, KpiQuery, RegStatus};
use serde::{de::DeserializeOwned, Serialize};
use std::cmp::Ordering;
use std::collections::BTreeMap;

use crate::StoreError;

/// The stored form of a record.
pub(crate) fn to_json<T: Serialize>(what: &str, v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v)
        .map_err(|e| StoreError::InvalidRecord(format!("{what}: cannot encode as JSON: {e}")))
}

/// A stored record back; the error text says what did not decode (each engine wraps it in
/// its own error kind, with the partition or server involved).
pub(crate) fn from_json<T: DeserializeOwned>(what: &str, json: &[u8]) -> Result<T, String> {
    serde_json::from_slice(json).map_err(|e| format!("{what} does not decode: {e}"))
}

pub(crate) fn parse_call_status(s: &str) -> Result<CallStatus, String> {
    CallStatus::parse(s).ok_or_else(|| format!("unknown call status {s:?}"))
}

pub(crate) fn parse_reg_status(s: &str) -> Result<RegStatus, String> {
    RegStatus::parse(s).ok_or_else(|| format!("unknown registration status {s:?}"))
}

/// The string filters of a call query as (column, value) pairs: every engine names the
/// columns like the [`argos_model::CallRecord`] fields. A value with `*` is a pattern
/// (`*` = any run, case-sensitive, like message searches); otherwise an exact match.
pub(crate) fn call_filters(q: &CallQuery) -> Vec<(&'static str, &str)> {
    [
        ("call_key", &q.call_key),
        ("from_user", &q.from_user),
        ("to_user", &q.to_user),
        ("ruri_user", &q.ruri_user),
        ("src_ip", &q.src_ip),
        ("dst_ip", &q.dst_ip),
        ("node", &q.node),
    ]
    .into_iter()
    .filter_map(|(col, v)| v.as_deref().map(|v| (col, v)))
    .collect()
}

/// A `limit` as an SQL `LIMIT` (both engines take a signed 64-bit one).
pub(crate) fn sql_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

/// Width of a KPI bucket in µs (`bucket_s` 0 is taken as 1 s).
pub(crate) fn bucket_us(q: &KpiQuery) -> i64 {
    i64::from(q.bucket_s.max(1)) * 1_000_000
}

/// Characters of the destination prefix, bounded so it always fits the SQL integer.
pub(crate) fn prefix_chars(q: &KpiQuery) -> i64 {
    i64::try_from(q.prefix_len).unwrap_or(i64::MAX).min(1 << 20)
}

/// Whether a [`KpiDim`] needs the prefix length (the others ignore it).
pub(crate) fn uses_prefix(d: KpiDim) -> bool {
    d == KpiDim::DstPrefix
}

/// Newest alarm first; ties in a fixed order (kind name, key, first seen) so both engines
/// list the same alarms under a limit.
pub(crate) fn alarm_order(a: &Alarm, b: &Alarm) -> Ordering {
    b.last_us
        .cmp(&a.last_us)
        .then_with(|| a.kind.as_str().cmp(b.kind.as_str()))
        .then_with(|| a.key.cmp(&b.key))
        .then_with(|| a.first_us.cmp(&b.first_us))
}

/// Call-aggregate rows summed by group: the rows of one group can come from several day
/// partitions (a bucket wider than the part of it in one day) or shards.
#[derive(Default)]
pub(crate) struct AggSum {
    groups: BTreeMap<(i64, String, &'static str, u16), CallAggRow>,
}

impl AggSum {
    pub fn add(&mut self, r: CallAggRow) {
        let key = (r.bucket_us, r.key.clone(), r.status.as_str(), r.final_code);
        match self.groups.get_mut(&key) {
            None => {
                self.groups.insert(key, r);
            }
            Some(g) => {
                g.calls += r.calls;
                g.duration_ms_sum = g.duration_ms_sum.saturating_add(r.duration_ms_sum);
                g.duration_n += r.duration_n;
                g.pdd_ms_sum = g.pdd_ms_sum.saturating_add(r.pdd_ms_sum);
                g.pdd_n += r.pdd_n;
                g.setup_ms_sum = g.setup_ms_sum.saturating_add(r.setup_ms_sum);
                g.setup_n += r.setup_n;
            }
        }
    }

    /// The groups ordered by bucket, key, status name, final code.
    pub fn rows(self) -> Vec<CallAggRow> {
        self.groups.into_values().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agg_rows_of_one_group_add_up() {
        let row = |bucket_us, calls, d| CallAggRow {
            bucket_us,
            key: "k".into(),
            status: CallStatus::Answered,
            final_code: 200,
            calls,
            duration_ms_sum: d,
            duration_n: calls,
            ..CallAggRow::default()
        };
        let mut s = AggSum::default();
        s.add(row(60, 2, 10));
        s.add(row(0, 1, 5));
        s.add(row(60, 3, 7));
        let rows = s.rows();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].bucket_us, rows[0].calls), (0, 1));
        assert_eq!(
            (rows[1].calls, rows[1].duration_ms_sum, rows[1].duration_n),
            (5, 17, 5)
        );
    }

    #[test]
    fn filters_and_limits() {
        let q = CallQuery {
            from_user: Some("10*".into()),
            node: Some("n1".into()),
            ..CallQuery::default()
        };
        assert_eq!(call_filters(&q), vec![("from_user", "10*"), ("node", "n1")]);
        assert_eq!(sql_limit(usize::MAX), i64::MAX);
        let k = KpiQuery {
            bucket_s: 0,
            prefix_len: usize::MAX,
            ..KpiQuery::default()
        };
        assert_eq!(bucket_us(&k), 1_000_000);
        assert_eq!(prefix_chars(&k), 1 << 20);
    }
}
