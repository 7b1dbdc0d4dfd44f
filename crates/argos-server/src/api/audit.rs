//! `GET /api/v1/audit?since&limit` (admin): the audit log, newest first.

use super::params::QueryParams;
use super::{ApiError, AppState};
use axum::extract::State;
use axum::Json;
use std::sync::Arc;

const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 10_000;

/// `since`: RFC 3339 or unix seconds (default: everything kept); `limit`: 1–10000 (100).
pub async fn list(
    State(st): State<Arc<AppState>>,
    QueryParams(p): QueryParams,
) -> Result<Json<Vec<serde_json::Value>>, ApiError> {
    let since = match p.get("since") {
        None => 0,
        Some(s) => super::parse_time(s)
            .map(|us| us.div_euclid(1_000_000))
            .ok_or_else(|| ApiError::BadRequest(format!("bad since: {s}")))?,
    };
    let limit = match p.get("limit") {
        None => DEFAULT_LIMIT,
        Some(s) => s
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| ApiError::BadRequest(format!("limit must be 1 to {MAX_LIMIT}")))?,
    };
    let st2 = st.clone();
    let events = tokio::task::spawn_blocking(move || st2.audit.read(since, limit))
        .await
        .map_err(|e| ApiError::Internal(format!("task: {e}")))?
        .map_err(|e| ApiError::Internal(format!("reading audit log: {e}")))?;
    Ok(Json(events))
}
