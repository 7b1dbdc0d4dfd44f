//! Login, logout, the login and role guard, `/metrics` and `/api/v1/status`.

use super::{blocking, ApiError, AppState};
use crate::auth::audit::{Caller, CALLER};
use crate::auth::ldap::LdapError;
use crate::auth::{limit, Credential, Principal, Refusal, Role};
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};
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

/// The TCP peer of a request (the server is served with connect info).
pub(super) fn client_ip(req_ext: &axum::http::Extensions) -> Option<IpAddr> {
    req_ext
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(a)| a.ip())
}

/// The least role a route needs: the one place roles are enforced.
///
/// Reads need `read_only`. Changing one's own password, one's own API tokens and saved
/// searches needs `user` (handlers check ownership). Logging out is open to any login. Everything else
/// that changes state, and reading users and the audit log, needs `admin`.
pub fn required_role(method: &Method, route: &str) -> Role {
    let read = matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    match (read, route) {
        (true, "/api/v1/users" | "/api/v1/audit") => Role::Admin,
        (true, _) => Role::ReadOnly,
        (false, "/api/v1/logout") => Role::ReadOnly,
        (
            false,
            "/api/v1/me/password"
            | "/api/v1/tokens"
            | "/api/v1/tokens/{id}"
            | "/api/v1/saved-searches"
            | "/api/v1/saved-searches/{id}",
        ) => Role::User,
        (false, _) => Role::Admin,
    }
}

fn unauthorized(msg: String) -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(header::WWW_AUTHENTICATE, "Bearer")],
        Json(serde_json::json!({ "error": msg })),
    )
        .into_response()
}

/// Login and role guard of every protected route: finds the caller, checks its role
/// against [`required_role`], and makes the caller known to handlers (as an extension)
/// and to the audit log (as a task-local).
pub async fn authorize(State(st): State<Arc<AppState>>, mut req: Request, next: Next) -> Response {
    let Some(token) = token_of(req.headers()) else {
        return ApiError::Unauthorized.into_response();
    };
    let principal = match st.auth.authenticate(&token) {
        Ok(p) => p,
        Err(Refusal::Invalid) => {
            return unauthorized("login required: the session or token is not valid".into())
        }
        Err(Refusal::Expired { at }) => {
            return unauthorized(format!(
                "API token expired at {}: create a new one",
                super::rfc3339(at.saturating_mul(1_000_000))
            ))
        }
    };
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_else(|| req.uri().path().to_owned());
    let need = required_role(req.method(), &route);
    if principal.role < need {
        return ApiError::Forbidden(format!(
            "{} {route} needs the {} role; {} has {}",
            req.method(),
            need.as_str(),
            principal.username,
            principal.role.as_str()
        ))
        .into_response();
    }
    let caller = Caller {
        user: principal.username.clone(),
        ip: client_ip(req.extensions()),
    };
    req.extensions_mut().insert(principal);
    CALLER.scope(caller, next.run(req)).await
}

#[derive(Deserialize)]
pub struct LoginBody {
    username: String,
    password: String,
}

fn cookie(st: &AppState, value: &str, extra: &str) -> String {
    let secure = if st.https { "; Secure" } else { "" };
    format!("{COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/{secure}{extra}")
}

pub async fn login(
    State(st): State<Arc<AppState>>,
    req_ext: axum::http::Extensions,
    Json(body): Json<LoginBody>,
) -> Response {
    let ip = client_ip(&req_ext);
    let user = body.username.clone();
    let keys = limit::keys(ip, &user);
    if let Some(wait) = st.login_limiter.locked(&keys) {
        st.login_metrics.rate_limited.fetch_add(1, Relaxed);
        st.audit
            .record("login.limited", Some(&user), ip, serde_json::json!({}));
        return too_many(wait);
    }
    // argon2 is deliberately slow: keep it off the async threads.
    let st2 = st.clone();
    let password = body.password.clone();
    let mut res = tokio::task::spawn_blocking(move || st2.auth.login(&body.username, &password))
        .await
        .ok()
        .flatten()
        .map(|token| (token, st.auth.role_of(&user), "local"));
    if let (None, Some(ldap)) = (&res, &st.ldap) {
        // Only names that are not local users go to the directory.
        if st.auth.role_of(&user).is_none() {
            match ldap.bind(&user, &body.password).await {
                Ok(()) => {
                    let token = st.auth.open_session(&user, Some(ldap.default_role));
                    res = Some((token, Some(ldap.default_role), "ldap"));
                }
                Err(LdapError::Rejected) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "LDAP login");
                    st.audit.record(
                        "login.error",
                        Some(&user),
                        ip,
                        serde_json::json!({ "source": "ldap", "error": e.to_string() }),
                    );
                    return ApiError::Unavailable(
                        "the LDAP server is unavailable; local users can still log in".into(),
                    )
                    .into_response();
                }
            }
        }
    }
    match res {
        Some((token, role, source)) => {
            st.login_limiter.succeeded(&keys);
            st.audit.record(
                "login.ok",
                Some(&user),
                ip,
                serde_json::json!({ "source": source }),
            );
            let role = role.map(Role::as_str);
            (
                StatusCode::OK,
                [(header::SET_COOKIE, cookie(&st, &token, ""))],
                Json(serde_json::json!({ "token": token, "username": user, "role": role })),
            )
                .into_response()
        }
        None => {
            st.login_metrics.failures.fetch_add(1, Relaxed);
            st.audit
                .record("login.failed", Some(&user), ip, serde_json::json!({}));
            if let Some(wait) = st.login_limiter.failed(&keys) {
                return too_many(wait);
            }
            (
                StatusCode::UNAUTHORIZED,
                Json(serde_json::json!({ "error": "wrong username or password" })),
            )
                .into_response()
        }
    }
}

/// 429 with `Retry-After` in whole seconds (rounded up).
fn too_many(wait: std::time::Duration) -> Response {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(header::RETRY_AFTER, secs.max(1).to_string())],
        Json(serde_json::json!({
            "error": format!("too many failed logins: try again in {} s", secs.max(1)),
            "retry_after_s": secs.max(1),
        })),
    )
        .into_response()
}

pub async fn logout(
    State(st): State<Arc<AppState>>,
    Extension(who): Extension<Principal>,
    req_ext: axum::http::Extensions,
    headers: HeaderMap,
) -> Response {
    if who.credential == Credential::Session {
        if let Some(t) = token_of(&headers) {
            st.auth.logout(&t);
        }
    }
    st.audit.record(
        "logout",
        Some(&who.username),
        client_ip(&req_ext),
        serde_json::json!({}),
    );
    (
        [(header::SET_COOKIE, cookie(&st, "", "; Max-Age=0"))],
        Json(serde_json::json!({ "ok": true })),
    )
        .into_response()
}

pub async fn metrics(State(st): State<Arc<AppState>>) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], {
        let mut body = st.metrics.render();
        if !body.ends_with('\n') {
            body.push('\n');
        }
        body + &login_metrics(&st)
    })
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

/// The login counters in Prometheus text format.
fn login_metrics(st: &AppState) -> String {
    format!(
        "# HELP argos_login_failures_total Logins refused for a wrong user name or password.\n\
         # TYPE argos_login_failures_total counter\n\
         argos_login_failures_total {}\n\
         # HELP argos_login_rate_limited_total Logins refused with 429 after repeated failures.\n\
         # TYPE argos_login_rate_limited_total counter\n\
         argos_login_rate_limited_total {}\n",
        st.login_metrics.failures.load(Relaxed),
        st.login_metrics.rate_limited.load(Relaxed),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_per_route() {
        assert_eq!(required_role(&Method::GET, "/api/v1/calls"), Role::ReadOnly);
        assert_eq!(required_role(&Method::GET, "/api/v1/users"), Role::Admin);
        assert_eq!(required_role(&Method::POST, "/api/v1/users"), Role::Admin);
        assert_eq!(required_role(&Method::POST, "/api/v1/tokens"), Role::User);
        assert_eq!(
            required_role(&Method::PUT, "/api/v1/me/password"),
            Role::User
        );
        assert_eq!(
            required_role(&Method::POST, "/api/v1/logout"),
            Role::ReadOnly
        );
        assert_eq!(required_role(&Method::PUT, "/api/v1/settings"), Role::Admin);
        assert_eq!(
            required_role(&Method::GET, "/api/v1/saved-searches"),
            Role::ReadOnly
        );
        assert_eq!(
            required_role(&Method::POST, "/api/v1/saved-searches"),
            Role::User
        );
        assert_eq!(
            required_role(&Method::DELETE, "/api/v1/saved-searches/{id}"),
            Role::User
        );
    }
}
