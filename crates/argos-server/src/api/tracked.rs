//! What the call tracker concluded: call records, registrations, alarms, KPIs and
//! message statistics (docs/API.md, "Call records, registrations, alarms, statistics").

use super::params::{only_known, opt, window, QueryParams};
use super::{blocking, ApiError, AppState};
use argos_model::{
    AlarmKind, AlarmQuery, CallQuery, CallStatus, KpiDim, KpiQuery, RegQuery, RegStatus,
};
use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

type Params = HashMap<String, String>;

/// Series returned by the KPI endpoint at most.
const MAX_SERIES: usize = 20;

pub async fn call_records(
    State(st): State<Arc<AppState>>,
    QueryParams(p): QueryParams,
) -> Result<Json<Value>, ApiError> {
    only_known(
        &p,
        &[
            "status",
            "call_key",
            "from_user",
            "to_user",
            "ruri_user",
            "src_ip",
            "dst_ip",
            "node",
        ],
    )?;
    let (since_us, until_us, limit) = window(&p)?;
    let mut status = Vec::new();
    for s in opt(&p, "status").iter().flat_map(|v| v.split(',')) {
        let s = s.trim();
        if s.is_empty() {
            continue;
        }
        status.push(
            CallStatus::parse(s)
                .ok_or_else(|| ApiError::BadRequest(format!("unknown status: {s}")))?,
        );
    }
    let q = CallQuery {
        since_us,
        until_us,
        status,
        call_key: opt(&p, "call_key"),
        from_user: opt(&p, "from_user"),
        to_user: opt(&p, "to_user"),
        ruri_user: opt(&p, "ruri_user"),
        src_ip: opt(&p, "src_ip"),
        dst_ip: opt(&p, "dst_ip"),
        node: opt(&p, "node"),
        limit,
    };
    let store = st.store.clone();
    let calls = blocking(move || store.call_records(&q)).await?;
    Ok(Json(json!({ "count": calls.len(), "calls": calls })))
}

pub async fn registrations(
    State(st): State<Arc<AppState>>,
    QueryParams(p): QueryParams,
) -> Result<Json<Value>, ApiError> {
    only_known(&p, &["aor", "status"])?;
    let (since_us, until_us, limit) = window(&p)?;
    let status = match opt(&p, "status") {
        Some(s) => Some(
            RegStatus::parse(&s)
                .ok_or_else(|| ApiError::BadRequest(format!("unknown status: {s}")))?,
        ),
        None => None,
    };
    let q = RegQuery {
        since_us,
        until_us,
        aor: opt(&p, "aor"),
        status,
        limit,
    };
    let store = st.store.clone();
    let regs = blocking(move || store.registrations(&q)).await?;
    Ok(Json(json!({ "count": regs.len(), "registrations": regs })))
}

pub async fn alarms(
    State(st): State<Arc<AppState>>,
    QueryParams(p): QueryParams,
) -> Result<Json<Value>, ApiError> {
    only_known(&p, &["kind"])?;
    let (since_us, until_us, limit) = window(&p)?;
    let kind = match opt(&p, "kind") {
        Some(s) => Some(
            AlarmKind::parse(&s)
                .ok_or_else(|| ApiError::BadRequest(format!("unknown alarm kind: {s}")))?,
        ),
        None => None,
    };
    let q = AlarmQuery {
        since_us,
        until_us,
        kind,
        limit,
    };
    let store = st.store.clone();
    let alarms = blocking(move || store.alarms(&q)).await?;
    Ok(Json(json!({ "count": alarms.len(), "alarms": alarms })))
}

/// `bucket` in seconds, or one chosen from the range: minutes up to 2 hours, 5 minutes up
/// to a day, hours beyond.
fn bucket_of(p: &Params, since_us: i64, until_us: i64) -> Result<u32, ApiError> {
    if let Some(b) = opt(p, "bucket") {
        return b
            .parse::<u32>()
            .ok()
            .filter(|&b| b >= 1)
            .ok_or_else(|| ApiError::BadRequest(format!("bad bucket: {b}")));
    }
    let range_s = (until_us.saturating_sub(since_us)) / 1_000_000;
    Ok(if range_s <= 7_200 {
        60
    } else if range_s <= 86_400 {
        300
    } else {
        3_600
    })
}

fn prefix_len(p: &Params) -> Result<usize, ApiError> {
    match opt(p, "prefix_len") {
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=32).contains(n))
            .ok_or_else(|| ApiError::BadRequest("prefix_len must be 1..=32".into())),
        None => Ok(4),
    }
}

pub async fn kpi(
    State(st): State<Arc<AppState>>,
    QueryParams(p): QueryParams,
) -> Result<Json<Value>, ApiError> {
    only_known(&p, &["bucket", "by", "prefix_len"])?;
    let (since_us, until_us, limit) = window(&p)?;
    let by = match opt(&p, "by") {
        Some(s) => KpiDim::parse(&s)
            .ok_or_else(|| ApiError::BadRequest(format!("unknown dimension: {s}")))?,
        None => KpiDim::All,
    };
    let bucket_s = bucket_of(&p, since_us, until_us)?;
    let q = KpiQuery {
        since_us,
        until_us,
        bucket_s,
        by,
        prefix_len: prefix_len(&p)?,
    };
    let store = st.store.clone();
    let rows = blocking(move || store.call_aggregates(&q)).await?;
    let mut series = argos_track::kpi::compute(&rows);
    series.truncate(limit.min(MAX_SERIES));
    Ok(Json(json!({
        "bucket_s": bucket_s, "by": by.as_str(), "series": series,
    })))
}

pub async fn messages(
    State(st): State<Arc<AppState>>,
    QueryParams(p): QueryParams,
) -> Result<Json<Value>, ApiError> {
    only_known(&p, &["bucket", "prefix"])?;
    let (since_us, until_us, _) = window(&p)?;
    let bucket_s = bucket_of(&p, since_us, until_us)?.max(60);
    let prefix = opt(&p, "prefix").unwrap_or_default();
    let store = st.store.clone();
    let rows = blocking(move || store.stat_rows(since_us, until_us, &prefix)).await?;
    let width = i64::from(bucket_s) * 1_000_000;
    let mut series: BTreeMap<String, BTreeMap<i64, u64>> = BTreeMap::new();
    for r in rows {
        let b = r.minute_us.div_euclid(width) * width;
        *series.entry(r.name).or_default().entry(b).or_default() += r.count;
    }
    let series: serde_json::Map<String, Value> = series
        .into_iter()
        .map(|(name, pts)| {
            let pts: Vec<[i64; 2]> = pts
                .into_iter()
                .map(|(t, n)| [t, i64::try_from(n).unwrap_or(i64::MAX)])
                .collect();
            (name, json!(pts))
        })
        .collect();
    Ok(Json(json!({ "bucket_s": bucket_s, "series": series })))
}

pub async fn top(
    State(st): State<Arc<AppState>>,
    QueryParams(p): QueryParams,
) -> Result<Json<Value>, ApiError> {
    only_known(&p, &["what", "prefix_len"])?;
    let (since_us, until_us, limit) = window(&p)?;
    let limit = limit.min(100);
    let what = opt(&p, "what").unwrap_or_else(|| "talkers".into());
    let store = st.store.clone();
    if what == "response_codes" {
        let rows = blocking(move || store.stat_rows(since_us, until_us, "rsp:")).await?;
        let mut by_code: HashMap<String, u64> = HashMap::new();
        for r in rows {
            // `rsp:486` (all methods), not the per-method `rsp:INVITE:486`.
            if let Some(code) = r.name.strip_prefix("rsp:").filter(|c| !c.contains(':')) {
                *by_code.entry(code.to_owned()).or_default() += r.count;
            }
        }
        let mut rows: Vec<(String, u64)> = by_code.into_iter().collect();
        rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        rows.truncate(limit);
        let rows: Vec<Value> = rows
            .into_iter()
            .map(|(k, n)| json!({"key": k, "count": n}))
            .collect();
        return Ok(Json(json!({ "what": what, "rows": rows })));
    }
    let by = match what.as_str() {
        "talkers" => KpiDim::SrcIp,
        "failing_destinations" => KpiDim::DstPrefix,
        "user_agents" => KpiDim::CallerUa,
        other => return Err(ApiError::BadRequest(format!("unknown top list: {other}"))),
    };
    let q = KpiQuery {
        since_us,
        until_us,
        // One bucket over the whole range: only the per-key totals matter here.
        bucket_s: u32::MAX,
        by,
        prefix_len: prefix_len(&p)?,
    };
    let rows = blocking(move || store.call_aggregates(&q)).await?;
    let mut totals: HashMap<String, (u64, u64, u64)> = HashMap::new();
    for r in &rows {
        let t = totals.entry(r.key.clone()).or_default();
        if r.status.is_live() {
            continue;
        }
        t.0 += r.calls;
        match r.status {
            CallStatus::Answered => t.1 += r.calls,
            CallStatus::Failed | CallStatus::Rejected | CallStatus::Timeout => t.2 += r.calls,
            _ => {}
        }
    }
    let mut list: Vec<(String, (u64, u64, u64))> =
        totals.into_iter().filter(|(_, t)| t.0 > 0).collect();
    if what == "failing_destinations" {
        list.retain(|(_, t)| t.2 > 0);
        list.sort_by(|a, b| b.1 .2.cmp(&a.1 .2).then_with(|| a.0.cmp(&b.0)));
    } else {
        list.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then_with(|| a.0.cmp(&b.0)));
    }
    list.truncate(limit);
    let rows: Vec<Value> = list
        .into_iter()
        .map(|(k, (calls, answered, failed))| {
            let asr = (answered as f64 * 1000.0 / calls as f64).round() / 10.0;
            json!({"key": k, "calls": calls, "answered": answered, "failed": failed, "asr": asr})
        })
        .collect();
    Ok(Json(json!({ "what": what, "rows": rows })))
}
