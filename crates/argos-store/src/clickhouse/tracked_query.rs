//! Reads of the call tracker's tables on ClickHouse (see [`super::tracked`]). Replaced
//! rows are resolved with `FINAL`, every filter in the `WHERE` after it; replies are
//! RowBinary; values reach SQL only as escaped literals or numbers formatted here.

use super::day::{day_of, MAX_DAY};
use super::sql::{like_pattern, lit};
use super::{ch_err, ClickHouseStore};
use crate::tracked::{
    bucket_us, call_filters, from_json, parse_call_status, prefix_chars, sql_limit, AggSum,
};
use crate::StoreError;
use argos_model::{
    Alarm, AlarmQuery, CallAggRow, CallQuery, CallRecord, KpiDim, KpiQuery, RegQuery,
    RegistrationRecord, StatRow,
};
use std::collections::HashMap;

/// `col` in `[since, until)`, plus the `day` partitions that can hold it.
fn range_on(col: &str, since: i64, until: i64) -> String {
    format!(
        "{col} >= {since} AND {col} < {until} AND {}",
        days(since, until)
    )
}

/// `day` bounds of `[since, until)`.
fn days(since: i64, until: i64) -> String {
    let d0 = day_of(since).clamp(0, MAX_DAY);
    let d1 = day_of(until.saturating_sub(1)).clamp(0, MAX_DAY);
    format!("day >= toDate({d0}) AND day <= toDate({d1})")
}

/// `col = 'v'`, or `col LIKE 'p'` for a `*` pattern.
fn text_cond(col: &str, v: &str) -> String {
    if v.contains('*') {
        format!("{col} LIKE {}", lit(&like_pattern(v)))
    } else {
        format!("{col} = {}", lit(v))
    }
}

/// SQL of a KPI dimension's value ("" when the call has none); like the embedded engine,
/// the destination prefix counts characters.
fn dim_sql(q: &KpiQuery) -> String {
    match q.by {
        KpiDim::All => "''".into(),
        KpiDim::Node => "ifNull(node, '')".into(),
        KpiDim::SrcIp => "src_ip".into(),
        KpiDim::DstIp => "dst_ip".into(),
        KpiDim::CallerUa => "ifNull(caller_ua, '')".into(),
        KpiDim::DstPrefix => format!(
            "substringUTF8(coalesce(nullIf(ruri_user, ''), to_user, ''), 1, {})",
            prefix_chars(q)
        ),
    }
}

impl ClickHouseStore {
    fn tracked_table(&self, t: &super::tracked::Table) -> String {
        format!("{}.{}", self.cfg.database, t.read)
    }

    pub(super) fn tracked_calls(&self, q: &CallQuery) -> Result<Vec<CallRecord>, StoreError> {
        if q.limit == 0 || q.since_us >= q.until_us {
            return Ok(Vec::new());
        }
        let table = self.tracked_table(&self.tracked.calls);
        let mut conds = vec![range_on("start_us", q.since_us, q.until_us)];
        if !q.status.is_empty() {
            let s: Vec<String> = q.status.iter().map(|s| lit(s.as_str())).collect();
            conds.push(format!("status IN ({})", s.join(", ")));
        }
        for (col, v) in call_filters(q) {
            conds.push(text_cond(col, v));
        }
        // 1. Which calls, from the narrow columns only.
        let op = "read call records: keys";
        let keys = self.rows(
            op,
            &format!(
                "SELECT start_us, call_key FROM {table} FINAL WHERE {} \
                 ORDER BY start_us DESC, call_key LIMIT {}",
                conds.join(" AND "),
                sql_limit(q.limit)
            ),
            |r| Ok((r.i64()?, r.string()?)),
        )?;
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        // 2. Their records (the latest version: FINAL again), by primary key.
        let starts: Vec<String> = keys.iter().map(|(s, _)| s.to_string()).collect();
        let pairs: Vec<String> = keys
            .iter()
            .map(|(s, k)| format!("({s}, {})", lit(k)))
            .collect();
        let (lo, hi) = keys.iter().fold((i64::MAX, i64::MIN), |(lo, hi), (s, _)| {
            (lo.min(*s), hi.max(*s))
        });
        let op = "read call records";
        let recs = self.rows(
            op,
            &format!(
                "SELECT call_key, rec FROM {table} FINAL WHERE {} AND start_us IN ({}) \
                 AND (start_us, call_key) IN ({})",
                days(lo, hi.saturating_add(1)),
                starts.join(", "),
                pairs.join(", ")
            ),
            |r| Ok((r.string()?, r.bytes()?)),
        )?;
        let mut by_key: HashMap<String, Vec<u8>> = recs.into_iter().collect();
        let mut out = Vec::with_capacity(keys.len());
        for (_, k) in keys {
            if let Some(json) = by_key.remove(&k) {
                out.push(from_json("call record", &json).map_err(|d| ch_err(op, d))?);
            }
        }
        Ok(out)
    }

    pub(super) fn tracked_call_aggregates(
        &self,
        q: &KpiQuery,
    ) -> Result<Vec<CallAggRow>, StoreError> {
        if q.since_us >= q.until_us {
            return Ok(Vec::new());
        }
        let w = bucket_us(q);
        let op = "aggregate calls";
        let rows = self.rows(
            op,
            &format!(
                "SELECT intDiv(start_us, toInt64({w})) * toInt64({w}) AS b, {} AS k, status, \
                 final_code, count(), toInt64(ifNull(sum(duration_ms), 0)), count(duration_ms), \
                 toInt64(ifNull(sum(pdd_ms), 0)), count(pdd_ms), \
                 toInt64(ifNull(sum(setup_ms), 0)), count(setup_ms) \
                 FROM {} FINAL WHERE {} GROUP BY b, k, status, final_code",
                dim_sql(q),
                self.tracked_table(&self.tracked.calls),
                range_on("start_us", q.since_us, q.until_us)
            ),
            |r| {
                Ok(CallAggRow {
                    bucket_us: r.i64()?,
                    key: r.string()?,
                    status: parse_call_status(&r.string()?).map_err(|d| ch_err(op, d))?,
                    final_code: r.u16()?,
                    calls: r.u64()?,
                    duration_ms_sum: r.i64()?,
                    duration_n: r.u64()?,
                    pdd_ms_sum: r.i64()?,
                    pdd_n: r.u64()?,
                    setup_ms_sum: r.i64()?,
                    setup_n: r.u64()?,
                })
            },
        )?;
        let mut sum = AggSum::default();
        rows.into_iter().for_each(|r| sum.add(r));
        Ok(sum.rows())
    }

    pub(super) fn tracked_registrations(
        &self,
        q: &RegQuery,
    ) -> Result<Vec<RegistrationRecord>, StoreError> {
        if q.limit == 0 || q.since_us >= q.until_us {
            return Ok(Vec::new());
        }
        let mut inner = vec![range_on("last_us", q.since_us, q.until_us)];
        if let Some(aor) = &q.aor {
            inner.push(text_cond("aor", aor));
        }
        // Per day one row per binding (FINAL); across days the latest (argMax by last_us:
        // days do not overlap); the status filter applies to that latest state.
        let having = q
            .status
            .map(|s| format!(" HAVING latest_status = {}", lit(s.as_str())))
            .unwrap_or_default();
        let op = "read registrations";
        let recs = self.rows(
            op,
            &format!(
                "SELECT argMax(rec, last_us), argMax(status, last_us) AS latest_status, \
                 max(last_us) AS latest_us \
                 FROM (SELECT aor, contact, last_us, status, rec FROM {} FINAL WHERE {}) \
                 GROUP BY aor, contact{having} ORDER BY latest_us DESC, aor, contact LIMIT {}",
                self.tracked_table(&self.tracked.registrations),
                inner.join(" AND "),
                sql_limit(q.limit)
            ),
            |r| {
                let json = r.bytes()?;
                let _status = r.string()?;
                let _last = r.i64()?;
                Ok(json)
            },
        )?;
        recs.iter()
            .map(|j| from_json("registration", j).map_err(|d| ch_err(op, d)))
            .collect()
    }

    pub(super) fn tracked_alarms(&self, q: &AlarmQuery) -> Result<Vec<Alarm>, StoreError> {
        if q.limit == 0 || q.since_us >= q.until_us {
            return Ok(Vec::new());
        }
        // An alarm's partition is the day it was first seen: any day up to the range's end.
        let last_day = day_of(q.until_us.saturating_sub(1)).clamp(0, super::day::MAX_DAY);
        let mut conds = vec![format!(
            "last_us >= {} AND last_us < {} AND day <= toDate({last_day})",
            q.since_us, q.until_us
        )];
        if let Some(k) = q.kind {
            conds.push(format!("kind = {}", lit(k.as_str())));
        }
        let op = "read alarms";
        let recs = self.rows(
            op,
            &format!(
                "SELECT rec FROM {} FINAL WHERE {} \
                 ORDER BY last_us DESC, kind, key, first_us LIMIT {}",
                self.tracked_table(&self.tracked.alarms),
                conds.join(" AND "),
                sql_limit(q.limit)
            ),
            |r| r.bytes(),
        )?;
        recs.iter()
            .map(|j| from_json("alarm", j).map_err(|d| ch_err(op, d)))
            .collect()
    }

    pub(super) fn tracked_stats(
        &self,
        since_us: i64,
        until_us: i64,
        prefix: &str,
    ) -> Result<Vec<StatRow>, StoreError> {
        if since_us >= until_us {
            return Ok(Vec::new());
        }
        self.rows(
            "read stat counts",
            &format!(
                "SELECT minute_us, name, sum(count) AS total FROM {} \
                 WHERE {} AND startsWith(name, {}) \
                 GROUP BY minute_us, name HAVING total > 0 ORDER BY minute_us, name",
                self.tracked_table(&self.tracked.stats),
                range_on("minute_us", since_us, until_us),
                lit(prefix)
            ),
            |r| {
                Ok(StatRow {
                    minute_us: r.i64()?,
                    name: r.string()?,
                    count: r.u64()?,
                })
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions() {
        assert_eq!(text_cond("from_user", "10*"), "from_user LIKE '10%'");
        assert_eq!(text_cond("src_ip", "a'b"), "src_ip = 'a\\'b'");
        assert_eq!(
            range_on("start_us", 0, 86_400_000_000),
            "start_us >= 0 AND start_us < 86400000000 AND day >= toDate(0) AND day <= toDate(0)"
        );
        let q = KpiQuery {
            by: KpiDim::DstPrefix,
            prefix_len: 3,
            ..KpiQuery::default()
        };
        assert_eq!(
            dim_sql(&q),
            "substringUTF8(coalesce(nullIf(ruri_user, ''), to_user, ''), 1, 3)"
        );
    }
}
