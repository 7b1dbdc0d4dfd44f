//! Login, logout, the login guard, `/metrics` and `/api/v1/status`.

use super::{blocking, ApiError, AppState};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

const COOKIE: &str = "argos_session";

/// The token of a request: bearer header first, then the session cookie.
fn token_of(headers: &HeaderMap) -> Option<String> {
    if let Some(v) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        if let Some(t) = v.strip_prefix("Bearer ") {
            return Some(t.trim().to_owned());
        }
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| kv.trim().strip_prefix("argos_session=").map(str::to_owned))
}

pub async fn require_login(State(st): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    match token_of(req.headers()).and_then(|t| st.auth.check(&t)) {
        Some(_) => next.run(req).await,
        None => ApiError::Unauthorized.into_response(),
    }
}

#[derive(Deserialize)]
pub struct LoginBody {
    username: String,
    password: String,
}

pub async fn login(State(st): State<Arc<AppState>>, Json(body): Json<LoginBody>) -> Response {
    // argon2 is deliberately slow: keep it off the async threads.
    let st2 = st.clone();
    let user = body.username.clone();
    let res = tokio::task::spawn_blocking(move || st2.auth.login(&body.username, &body.password))
        .await
        .ok()
        .flatten();
    match res {
        Some(token) => (
            StatusCode::OK,
            [(
                header::SET_COOKIE,
                format!("{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/"),
            )],
            Json(serde_json::json!({ "token": token, "username": user })),
        )
            .into_response(),
        None => {
            // Slow down password guessing.
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            (
                StatusCode::UNAUTHORIZED,
                Json(serde_json::json!({ "error": "wrong username or password" })),
            )
                .into_response()
        }
    }
}

pub async fn logout(State(st): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if let Some(t) = token_of(&headers) {
        st.auth.logout(&t);
    }
    (
        [(
            header::SET_COOKIE,
            format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
        )],
        Json(serde_json::json!({ "ok": true })),
    )
        .into_response()
}

pub async fn metrics(State(st): State<Arc<AppState>>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        st.metrics.render(),
    )
        .into_response()
}

pub async fn status(State(st): State<Arc<AppState>>) -> Result<Json<serde_json::Value>, ApiError> {
    let store = st.store.clone();
    let stats = blocking(move || store.stats()).await?;
    st.metrics
        .store_bytes_on_disk
        .store(stats.bytes_on_disk, Relaxed);
    Ok(Json(serde_json::json!({
        "version": env!("CARGO_PKG_VERSION"),
        "uptime_s": st.started.elapsed().as_secs(),
        "listeners": st.listeners,
        "messages_stored": stats.messages,
        "bytes_on_disk": stats.bytes_on_disk,
        "messages_received": st.metrics.hep_udp_received.load(Relaxed) + st.metrics.hep_tcp_received.load(Relaxed),
        "dropped": st.metrics.dropped_total(),
    })))
}
