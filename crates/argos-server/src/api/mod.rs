//! The HTTP API and web UI: one axum router over the store.
//!
//! Store calls are blocking (SQLite), so handlers run them on tokio's blocking pool.

mod assets;
mod calls;
mod json;
mod messages;
mod openapi;
mod params;
pub mod qos;
mod session;
mod tracked;

use crate::auth::Auth;
use crate::metrics::Metrics;
use argos_store::Store;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use std::sync::Arc;
use std::time::Instant;

pub use json::rfc3339;
pub use params::parse_time;

/// Everything a handler may need.
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub metrics: Arc<Metrics>,
    pub auth: Auth,
    pub started: Instant,
    /// Human-readable listener list for `/api/v1/status`.
    pub listeners: Vec<String>,
}

/// Builds the router: public routes, the login-protected API, and the UI assets.
pub fn router(state: Arc<AppState>) -> Router {
    let protected = Router::new()
        .route("/api/v1/messages", get(messages::list))
        .route("/api/v1/calls", get(calls::list))
        .route("/api/v1/calls/{call_id}", get(calls::detail))
        .route("/api/v1/calls/{call_id}/pcap", get(calls::pcap))
        .route("/api/v1/calls/{call_id}/qos", get(qos::detail))
        .route("/api/v1/call-records", get(tracked::call_records))
        .route("/api/v1/registrations", get(tracked::registrations))
        .route("/api/v1/alarms", get(tracked::alarms))
        .route("/api/v1/stats/kpi", get(tracked::kpi))
        .route("/api/v1/stats/messages", get(tracked::messages))
        .route("/api/v1/stats/top", get(tracked::top))
        .route("/api/v1/status", get(session::status))
        .route("/api/v1/logout", post(session::logout))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            session::require_login,
        ));
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(session::metrics))
        .route("/api/v1/login", post(session::login))
        // No login for the API description: it names routes, holds no data (api/openapi.rs).
        .route("/api/v1/openapi.json", get(openapi::document))
        .route("/api/docs", get(openapi::page))
        .merge(protected)
        .route("/api/{*rest}", get(not_found).post(not_found))
        .fallback(assets::serve)
        .with_state(state)
}

async fn not_found() -> Response {
    ApiError::NotFound("no such API route").into_response()
}

/// An error as the API reports it: a status and `{"error": "..."}`.
#[derive(Debug)]
pub enum ApiError {
    BadRequest(String),
    Unauthorized,
    NotFound(&'static str),
    Internal(String),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (code, msg) = match self {
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, m),
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "login required".to_owned()),
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, m.to_owned()),
            ApiError::Internal(m) => (StatusCode::INTERNAL_SERVER_ERROR, m),
        };
        (code, axum::Json(serde_json::json!({ "error": msg }))).into_response()
    }
}

/// Runs blocking store work off the async threads.
async fn blocking<T, F>(f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, argos_store::StoreError> + Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(ApiError::Internal(format!("store: {e}"))),
        Err(e) => Err(ApiError::Internal(format!("task: {e}"))),
    }
}
