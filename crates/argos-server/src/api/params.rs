//! Query-string parsing: time bounds, limit and field filters.

use super::ApiError;
use argos_model::{Field, Filter, Query};
use std::collections::HashMap;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Default search window when `since` is not given.
const DEFAULT_WINDOW_US: i64 = 24 * 3600 * 1_000_000;
pub const MAX_LIMIT: usize = 10_000;

/// Parses RFC 3339 or Unix epoch seconds (fractions allowed) into µs since the epoch.
pub fn parse_time(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(secs) = s.parse::<f64>() {
        if secs.is_finite() && secs.abs() < 1e12 {
            return Some((secs * 1_000_000.0).round() as i64);
        }
        return None;
    }
    let t = OffsetDateTime::parse(s, &Rfc3339).ok()?;
    i64::try_from(t.unix_timestamp_nanos() / 1000).ok()
}

pub fn now_us() -> i64 {
    i64::try_from(OffsetDateTime::now_utc().unix_timestamp_nanos() / 1000).unwrap_or(i64::MAX)
}

/// `since`, `until` (default: the last 24 hours) and `limit` (default 100) of a request.
pub fn window(p: &HashMap<String, String>) -> Result<(i64, i64, usize), ApiError> {
    let until = match p.get("until").filter(|v| !v.is_empty()) {
        Some(v) => parse_time(v).ok_or_else(|| ApiError::BadRequest(format!("bad until: {v}")))?,
        None => now_us().saturating_add(60_000_000),
    };
    let since = match p.get("since").filter(|v| !v.is_empty()) {
        Some(v) => parse_time(v).ok_or_else(|| ApiError::BadRequest(format!("bad since: {v}")))?,
        None => until.saturating_sub(DEFAULT_WINDOW_US),
    };
    let limit = match p.get("limit").filter(|v| !v.is_empty()) {
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| ApiError::BadRequest(format!("limit must be 1..={MAX_LIMIT}")))?,
        None => 100,
    };
    Ok((since, until, limit))
}

/// Refuses parameters not in `known` (besides since/until/limit), so a typo does not
/// silently widen a search.
pub fn only_known(p: &HashMap<String, String>, known: &[&str]) -> Result<(), ApiError> {
    for k in p.keys() {
        if !matches!(k.as_str(), "since" | "until" | "limit") && !known.contains(&k.as_str()) {
            return Err(ApiError::BadRequest(format!("unknown parameter: {k}")));
        }
    }
    Ok(())
}

/// A non-empty string parameter.
pub fn opt(p: &HashMap<String, String>, k: &str) -> Option<String> {
    p.get(k).filter(|v| !v.is_empty()).cloned()
}

/// Builds a store query from query-string parameters. Unknown parameters are an error,
/// so a typo (`from_usr=`) does not silently widen a search.
pub fn query_from_params(p: &HashMap<String, String>) -> Result<Query, ApiError> {
    let (since, until, limit) = window(p)?;
    let mut filters = Vec::new();
    for (k, v) in p {
        if matches!(k.as_str(), "since" | "until" | "limit" | "raw") || v.is_empty() {
            continue;
        }
        let field = Field::from_name(k)
            .ok_or_else(|| ApiError::BadRequest(format!("unknown filter: {k}")))?;
        filters.push(Filter {
            field,
            value: v.clone(),
        });
    }
    filters.sort_by_key(|f| f.field.name());
    Ok(Query {
        since_us: since,
        until_us: until,
        filters,
        limit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(parse_time("1764064800"), Some(1_764_064_800_000_000));
        assert_eq!(parse_time("1764064800.5"), Some(1_764_064_800_500_000));
        assert_eq!(
            parse_time("2025-11-25T10:00:00Z"),
            Some(1_764_064_800_000_000)
        );
        assert_eq!(parse_time("yesterday"), None);
    }

    #[test]
    fn unknown_filter_is_refused() {
        let mut p = HashMap::new();
        p.insert("from_usr".to_owned(), "1001".to_owned());
        assert!(query_from_params(&p).is_err());
        p.clear();
        p.insert("from_user".to_owned(), "1001".to_owned());
        let q = query_from_params(&p).expect("query");
        assert_eq!(q.filters.len(), 1);
    }
}
