//! The HTTP API and web UI: one axum router over the store.
//!
//! Store calls are blocking (SQLite), so handlers run them on tokio's blocking pool.

mod assets;
mod audit;
mod calls;
mod json;
mod messages;
mod openapi;
mod params;
pub mod qos;
mod saved;
mod search;
mod session;
mod timing;
mod tokens;
mod tracked;
mod users;

use crate::auth::audit::AuditLog;
use crate::auth::limit::LoginLimiter;
use crate::auth::Auth;
use crate::metrics::Metrics;
use argos_store::Store;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Router;
use std::sync::atomic::AtomicU64;
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
    /// `DATA/audit.log`.
    pub audit: AuditLog,
    /// Failed-login counting and lockouts.
    pub login_limiter: LoginLimiter,
    /// Counters of the login endpoint for `/metrics`.
    pub login_metrics: LoginMetrics,
    /// The API is served over HTTPS: cookies get `Secure`.
    pub https: bool,
    /// `ARGOS_TEST_SHORT_TOKENS=1`: `POST /api/v1/tokens` accepts `expires_in_seconds`.
    pub short_tokens: bool,
    /// Logins that are not local users are tried against this directory.
    pub ldap: Option<crate::auth::ldap::LdapConfig>,
    /// `DATA/saved-searches.json`: the users' saved and shared searches.
    pub saved_searches: crate::saved::SavedSearchStore,
}

/// Login outcomes counted for `/metrics`.
#[derive(Debug, Default)]
pub struct LoginMetrics {
    /// Wrong user name or password.
    pub failures: AtomicU64,
    /// Refused with 429 before the password was checked.
    pub rate_limited: AtomicU64,
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
        .route("/api/v1/me", get(users::me))
        .route("/api/v1/me/password", put(users::change_own_password))
        .route("/api/v1/users", get(users::list).post(users::create))
        .route(
            "/api/v1/users/{name}",
            put(users::update).delete(users::delete),
        )
        .route("/api/v1/tokens", get(tokens::list).post(tokens::create))
        .route("/api/v1/tokens/{id}", axum::routing::delete(tokens::revoke))
        .route("/api/v1/audit", get(audit::list))
        .route(
            "/api/v1/saved-searches",
            get(saved::list).post(saved::create),
        )
        .route(
            "/api/v1/saved-searches/{id}",
            axum::routing::delete(saved::delete),
        )
        // Login and role checks for every route above (see session::required_role).
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            session::authorize,
        ));
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(session::metrics))
        .route("/api/v1/login", post(session::login))
        // No login for the API description: it names routes, holds no data (api/openapi.rs).
        .route("/api/v1/openapi.json", get(openapi::document))
        .route("/api/docs", get(openapi::page))
        .merge(protected)
        .route(
            "/api/{*rest}",
            get(not_found)
                .post(not_found)
                .put(not_found)
                .delete(not_found),
        )
        .fallback(assets::serve)
        .layer(axum::middleware::from_fn(timing::server_timing))
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
    /// Logged in, but the role does not allow it.
    Forbidden(String),
    NotFound(&'static str),
    /// The request clashes with current state (name taken, last admin).
    Conflict(String),
    /// A service the request needs (the LDAP server) does not answer.
    Unavailable(String),
    Internal(String),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (code, msg) = match self {
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, m),
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "login required".to_owned()),
            ApiError::Forbidden(m) => (StatusCode::FORBIDDEN, m),
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, m.to_owned()),
            ApiError::Conflict(m) => (StatusCode::CONFLICT, m),
            ApiError::Unavailable(m) => (StatusCode::SERVICE_UNAVAILABLE, m),
            ApiError::Internal(m) => (StatusCode::INTERNAL_SERVER_ERROR, m),
        };
        (code, axum::Json(serde_json::json!({ "error": msg }))).into_response()
    }
}

impl From<crate::auth::AuthError> for ApiError {
    fn from(e: crate::auth::AuthError) -> ApiError {
        use crate::auth::AuthError as E;
        match e {
            E::NoSuchUser(_) => ApiError::NotFound("no such user"),
            E::UserExists(_) | E::LastAdmin => ApiError::Conflict(e.to_string()),
            E::Invalid(m) => ApiError::BadRequest(m),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

/// Runs blocking auth work (argon2, file writes) off the async threads.
async fn blocking_auth<T, F>(f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, crate::auth::AuthError> + Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.map_err(ApiError::from),
        Err(e) => Err(ApiError::Internal(format!("task: {e}"))),
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
