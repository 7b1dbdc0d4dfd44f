//! `/api/v1/tokens`: API tokens of the caller (admins see and revoke all).

use super::session::client_ip;
use super::{blocking_auth, ApiError, AppState};
use crate::auth::tokens::TokenInfo;
use crate::auth::{Principal, Role};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

const DEFAULT_DAYS: i64 = 90;
const MAX_DAYS: i64 = 365;
const DAY_S: i64 = 24 * 3600;

#[derive(Deserialize)]
pub struct NewToken {
    name: String,
    expires_in_days: Option<i64>,
    /// Only with `ARGOS_TEST_SHORT_TOKENS=1` on the server (tests of expiry).
    expires_in_seconds: Option<i64>,
}

/// A token as the API shows it: times as RFC 3339.
#[derive(Serialize)]
pub struct TokenJson {
    id: String,
    name: String,
    owner: String,
    role: Role,
    created: String,
    expires: String,
    last_used: Option<String>,
    expired: bool,
}

fn ts(s: i64) -> String {
    super::rfc3339(s.saturating_mul(1_000_000))
}

impl From<TokenInfo> for TokenJson {
    fn from(t: TokenInfo) -> TokenJson {
        TokenJson {
            expired: t.expires <= crate::auth::unix_now(),
            id: t.id,
            name: t.name,
            owner: t.owner,
            role: t.role,
            created: ts(t.created),
            expires: ts(t.expires),
            last_used: t.last_used.map(ts),
        }
    }
}

/// `POST /api/v1/tokens` {name, expires_in_days}: 201 with the secret, shown only here.
pub async fn create(
    State(st): State<Arc<AppState>>,
    Extension(who): Extension<Principal>,
    ext: axum::http::Extensions,
    Json(body): Json<NewToken>,
) -> Result<Response, ApiError> {
    let name = body.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::BadRequest(
            "token name: 1 to 100 characters".into(),
        ));
    }
    let lifetime_s = match (body.expires_in_seconds, body.expires_in_days) {
        (Some(_), _) if !st.short_tokens => {
            return Err(ApiError::BadRequest(
                "expires_in_seconds is for tests only; use expires_in_days".into(),
            ))
        }
        (Some(s), _) if (1..=MAX_DAYS * DAY_S).contains(&s) => s,
        (Some(_), _) => {
            return Err(ApiError::BadRequest(
                "expires_in_seconds out of range".into(),
            ))
        }
        (None, None) => DEFAULT_DAYS * DAY_S,
        (None, Some(d)) if (1..=MAX_DAYS).contains(&d) => d * DAY_S,
        (None, Some(_)) => {
            return Err(ApiError::BadRequest(format!(
                "expires_in_days must be 1 to {MAX_DAYS}"
            )))
        }
    };
    let role = st.auth.role_of(&who.username).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "{} is not a user; tokens belong to users",
            who.username
        ))
    })?;
    let st2 = st.clone();
    let (owner, n) = (who.username.clone(), name.clone());
    let (info, secret) =
        blocking_auth(move || st2.auth.tokens.create(&owner, role, &n, lifetime_s)).await?;
    st.audit.record(
        "token.create",
        Some(&who.username),
        client_ip(&ext),
        serde_json::json!({ "token_id": info.id, "name": name, "expires": ts(info.expires) }),
    );
    let mut json = serde_json::to_value(TokenJson::from(info))
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    if let Some(o) = json.as_object_mut() {
        o.insert("secret".into(), serde_json::Value::String(secret));
    }
    Ok((StatusCode::CREATED, Json(json)).into_response())
}

/// `GET /api/v1/tokens`: the caller's tokens; an admin's lists everyone's.
pub async fn list(
    State(st): State<Arc<AppState>>,
    Extension(who): Extension<Principal>,
) -> Json<Vec<TokenJson>> {
    let owner = (who.role != Role::Admin).then_some(who.username.as_str());
    Json(
        st.auth
            .tokens
            .list(owner)
            .into_iter()
            .map(TokenJson::from)
            .collect(),
    )
}

/// `DELETE /api/v1/tokens/{id}`: revoke; own tokens only unless admin.
pub async fn revoke(
    State(st): State<Arc<AppState>>,
    Extension(who): Extension<Principal>,
    ext: axum::http::Extensions,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let t = st.auth.tokens.get(&id);
    // Someone else's token reads as missing, so ids of others are not confirmed.
    match t {
        Some(t) if t.owner == who.username || who.role == Role::Admin => {}
        _ => return Err(ApiError::NotFound("no such token")),
    }
    let st2 = st.clone();
    let id2 = id.clone();
    blocking_auth(move || st2.auth.tokens.revoke(&id2)).await?;
    st.audit.record(
        "token.revoke",
        Some(&who.username),
        client_ip(&ext),
        serde_json::json!({ "token_id": id }),
    );
    Ok(Json(serde_json::json!({ "ok": true })))
}
