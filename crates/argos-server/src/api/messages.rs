//! `GET /api/v1/messages`.

use super::json::MessageJson;
use super::params::query_from_params;
use super::{blocking, ApiError, AppState};
use axum::extract::{Query, State};
use axum::Json;
use std::collections::HashMap;
use std::sync::Arc;

pub async fn list(
    State(st): State<Arc<AppState>>,
    Query(p): Query<HashMap<String, String>>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let q = query_from_params(&p)?;
    let with_raw = p.get("raw").is_some_and(|v| v == "1" || v == "true");
    let store = st.store.clone();
    let msgs = blocking(move || store.search(&q)).await?;
    let rows: Vec<MessageJson<'_>> = msgs.iter().map(|m| MessageJson::new(m, with_raw)).collect();
    Ok(Json(
        serde_json::json!({ "count": rows.len(), "messages": rows }),
    ))
}
