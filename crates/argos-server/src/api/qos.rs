//! `GET /api/v1/calls/{call_id}/qos`: the call's quality reports as streams, time
//! series, worst values and one-way-audio findings (docs/API.md).

use crate::qos as model;

use super::params::QueryParams;
use super::{ApiError, AppState};
use axum::extract::{Path, State};
use axum::Json;
use std::sync::Arc;

/// The QoS view of one call: 404 when the store has no record of it (as
/// `/calls/{call_id}`), empty lists when it has records but no quality reports.
pub async fn detail(
    State(st): State<Arc<AppState>>,
    Path(call_id): Path<String>,
    QueryParams(p): QueryParams,
) -> Result<Json<model::CallQos>, ApiError> {
    let msgs = super::calls::load_call(&st, call_id, &p).await?;
    let qos = tokio::task::spawn_blocking(move || model::assemble(&msgs))
        .await
        .map_err(|e| ApiError::Internal(format!("task: {e}")))?;
    Ok(Json(qos))
}
