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

/// The body of `POST /api/v1/tokens`. The lifetimes are JSON numbers, read as numbers
/// (not `i64`) so a whole number written as `30.0` is accepted as generators write it.
#[derive(Deserialize)]
pub struct NewToken {
    name: String,
    expires_in_days: Option<serde_json::Number>,
    /// Only with `ARGOS_TEST_SHORT_TOKENS=1` on the server (tests of expiry).
    expires_in_seconds: Option<serde_json::Number>,
}

/// `n` as a whole number in `range`, or a 400 naming `what` and the range.
fn whole_in(
    n: &serde_json::Number,
    what: &str,
    range: std::ops::RangeInclusive<i64>,
) -> Result<i64, ApiError> {
    let out_of_range = || {
        ApiError::BadRequest(format!(
            "{what} must be a whole number from {} to {}: {n}",
            range.start(),
            range.end()
        ))
    };
    let whole = match (n.as_i64(), n.as_f64()) {
        (Some(i), _) => i,
        // 30.0 is 30; 30.5 is refused rather than rounded. The bound check before the
        // cast keeps `as` from saturating a huge value into range.
        (None, Some(f)) if f.fract() == 0.0 && f.abs() <= 1e15 => f as i64,
        (None, Some(f)) if f.is_finite() && f.fract() != 0.0 => {
            return Err(ApiError::BadRequest(format!(
                "{what} must be a whole number: {n}"
            )))
        }
        _ => return Err(out_of_range()),
    };
    if range.contains(&whole) {
        Ok(whole)
    } else {
        Err(out_of_range())
    }
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
    let lifetime_s = match (&body.expires_in_seconds, &body.expires_in_days) {
        (Some(_), _) if !st.short_tokens => {
            return Err(ApiError::BadRequest(
                "expires_in_seconds is for tests only; use expires_in_days".into(),
            ))
        }
        (Some(s), _) => whole_in(s, "expires_in_seconds", 1..=MAX_DAYS * DAY_S)?,
        (None, None) => DEFAULT_DAYS * DAY_S,
        (None, Some(d)) => whole_in(d, "expires_in_days", 1..=MAX_DAYS)? * DAY_S,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn days(text: &str) -> Result<i64, ApiError> {
        let n: serde_json::Number = serde_json::from_str(text).expect("a JSON number");
        whole_in(&n, "expires_in_days", 1..=MAX_DAYS)
    }

    #[test]
    fn whole_numbers_are_accepted_in_either_spelling() {
        assert_eq!(days("30").ok(), Some(30));
        assert_eq!(days("30.0").ok(), Some(30));
        assert_eq!(days("3e1").ok(), Some(30));
        assert_eq!(days("365").ok(), Some(365));
    }

    #[test]
    fn fractional_negative_and_huge_are_refused_with_a_reason() {
        for (text, says) in [
            ("30.5", "whole number: 30.5"),
            ("0", "from 1 to 365"),
            ("-1", "from 1 to 365"),
            ("-1.0", "from 1 to 365"),
            ("366", "from 1 to 365"),
            ("1e300", "from 1 to 365"),
            ("18446744073709551615", "from 1 to 365"),
        ] {
            match days(text) {
                Err(ApiError::BadRequest(m)) => assert!(m.contains(says), "{text}: {m}"),
                other => panic!("{text}: {other:?}"),
            }
        }
    }
}
