//! Query-string parsing: the [`QueryParams`] extractor every handler reads its query
//! string through, time bounds, limit and field filters.

use super::ApiError;
use argos_model::{Field, Filter, Query};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use std::collections::HashMap;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Default search window when `since` is not given.
const DEFAULT_WINDOW_US: i64 = 24 * 3600 * 1_000_000;
pub const MAX_LIMIT: usize = 10_000;

/// A request's query parameters, name → value, with two rules every route shares:
///
/// - a parameter given twice (`?limit=1&limit=5`) is refused with 400 naming it, instead
///   of one value silently winning;
/// - an empty value (`?since=`) counts as absent, so a form that leaves a field blank (or
///   a generated client that sends every optional parameter) gets the default.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct QueryParams(pub HashMap<String, String>);

impl QueryParams {
    /// Parses a URI's query string by the rules above.
    pub fn from_uri(uri: &axum::http::Uri) -> Result<QueryParams, ApiError> {
        // A list of pairs keeps what a map would lose: the repeats.
        let axum::extract::Query(pairs) =
            axum::extract::Query::<Vec<(String, String)>>::try_from_uri(uri)
                .map_err(|e| ApiError::BadRequest(format!("bad query string: {e}")))?;
        let mut seen: HashMap<String, Option<String>> = HashMap::with_capacity(pairs.len());
        for (name, value) in pairs {
            if seen.contains_key(&name) {
                return Err(ApiError::BadRequest(format!(
                    "parameter {name} is given more than once: give it once"
                )));
            }
            seen.insert(name, (!value.is_empty()).then_some(value));
        }
        Ok(QueryParams(
            seen.into_iter()
                .filter_map(|(k, v)| v.map(|v| (k, v)))
                .collect(),
        ))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for QueryParams {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        QueryParams::from_uri(&parts.uri)
    }
}

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

// The helpers below read the map of a [`QueryParams`]: no parameter in it is empty.

/// `since`, `until` (default: the last 24 hours) and `limit` (default 100) of a request.
pub fn window(p: &HashMap<String, String>) -> Result<(i64, i64, usize), ApiError> {
    let until = match p.get("until") {
        Some(v) => parse_time(v).ok_or_else(|| ApiError::BadRequest(format!("bad until: {v}")))?,
        None => now_us().saturating_add(60_000_000),
    };
    let since = match p.get("since") {
        Some(v) => parse_time(v).ok_or_else(|| ApiError::BadRequest(format!("bad since: {v}")))?,
        None => until.saturating_sub(DEFAULT_WINDOW_US),
    };
    let limit = match p.get("limit") {
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

/// A string parameter.
pub fn opt(p: &HashMap<String, String>, k: &str) -> Option<String> {
    p.get(k).cloned()
}

/// Builds a store query from query-string parameters. Unknown parameters are an error,
/// so a typo (`from_usr=`) does not silently widen a search.
pub fn query_from_params(p: &HashMap<String, String>) -> Result<Query, ApiError> {
    let (since, until, limit) = window(p)?;
    let mut filters = Vec::new();
    for (k, v) in p {
        if matches!(k.as_str(), "since" | "until" | "limit" | "raw") {
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

    fn params(uri: &str) -> Result<QueryParams, ApiError> {
        QueryParams::from_uri(&uri.parse().expect("uri"))
    }

    fn refusal(uri: &str) -> String {
        match params(uri) {
            Err(ApiError::BadRequest(m)) => m,
            other => panic!("{uri}: {other:?}"),
        }
    }

    #[test]
    fn a_repeated_parameter_is_refused_by_name() {
        assert!(refusal("/x?limit=1&limit=5").contains("limit"));
        assert!(refusal("/x?from_user=a&since=0&from_user=b").contains("from_user"));
        // Even when one of the two is empty: which one was meant is unknowable.
        assert!(refusal("/x?since=&since=0").contains("since"));
        // Percent-encoding does not hide a repeat.
        assert!(refusal("/x?from_user=a&from%5Fuser=b").contains("from_user"));
    }

    #[test]
    fn empty_values_are_absent() {
        let p = params("/x?since=&until=&limit=5&from_user=").expect("params");
        assert_eq!(p.0.len(), 1);
        assert_eq!(p.0.get("limit").map(String::as_str), Some("5"));
        let (since, until, limit) = window(&p.0).expect("window");
        assert_eq!(until - since, DEFAULT_WINDOW_US);
        assert_eq!(limit, 5);
        assert!(params("/x").expect("no query").0.is_empty());
        assert!(params("/x?").expect("empty query").0.is_empty());
    }

    #[test]
    fn values_are_decoded() {
        let p = params("/x?ruri_user%7E=%5E10&text=busy+here").expect("params");
        assert_eq!(p.0.get("ruri_user~").map(String::as_str), Some("^10"));
        assert_eq!(p.0.get("text").map(String::as_str), Some("busy here"));
    }

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
