//! `GET /api/v1/messages`.

use super::json::MessageJson;
use super::params::{query_from_params, QueryParams};
use super::search::{self, Extras};
use super::{blocking, ApiError, AppState};
use axum::extract::State;
use axum::Json;
use std::sync::Arc;

pub async fn list(
    State(st): State<Arc<AppState>>,
    QueryParams(mut p): QueryParams,
) -> Result<Json<serde_json::Value>, ApiError> {
    let extras = Extras::take(&mut p)?;
    let q = query_from_params(&p)?;
    let with_raw = p.get("raw").is_some_and(|v| v == "1" || v == "true");
    let store = st.store.clone();
    let (msgs, truncated) = if extras.is_empty() {
        (blocking(move || store.search(&q)).await?, false)
    } else {
        blocking(move || search::search(store.as_ref(), &q, &extras)).await?
    };
    let rows: Vec<MessageJson<'_>> = msgs.iter().map(|m| MessageJson::new(m, with_raw)).collect();
    let mut body = serde_json::json!({ "count": rows.len(), "messages": rows });
    if truncated {
        // The extras chose from the first MAX_CANDIDATES matches of the indexed part.
        body["candidates_truncated"] = serde_json::Value::Bool(true);
    }
    Ok(Json(body))
}
