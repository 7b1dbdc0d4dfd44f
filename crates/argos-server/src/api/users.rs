//! `/api/v1/users` (admin) and `/api/v1/me`: user management and one's own password.

use super::session::client_ip;
use super::{blocking_auth, ApiError, AppState};
use crate::auth::{Principal, Role, UserInfo};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use std::sync::Arc;

/// `GET /api/v1/users`: every user with its role.
pub async fn list(State(st): State<Arc<AppState>>) -> Json<Vec<UserInfo>> {
    Json(st.auth.users())
}

#[derive(Deserialize)]
pub struct NewUser {
    name: String,
    password: String,
    role: Role,
}

/// `POST /api/v1/users` {name, password, role}: 201, or 409 when the name is taken.
pub async fn create(
    State(st): State<Arc<AppState>>,
    Extension(who): Extension<Principal>,
    ext: axum::http::Extensions,
    Json(body): Json<NewUser>,
) -> Result<Response, ApiError> {
    let st2 = st.clone();
    let (name, role) = (body.name.clone(), body.role);
    blocking_auth(move || st2.auth.create_user(&body.name, &body.password, body.role)).await?;
    st.audit.record(
        "user.create",
        Some(&who.username),
        client_ip(&ext),
        serde_json::json!({ "target": name, "role": role }),
    );
    Ok((StatusCode::CREATED, Json(UserInfo { name, role })).into_response())
}

#[derive(Deserialize)]
pub struct UserChange {
    password: Option<String>,
    role: Option<Role>,
}

/// `PUT /api/v1/users/{name}` {password?, role?}.
pub async fn update(
    State(st): State<Arc<AppState>>,
    Extension(who): Extension<Principal>,
    ext: axum::http::Extensions,
    Path(name): Path<String>,
    Json(body): Json<UserChange>,
) -> Result<Json<UserInfo>, ApiError> {
    if body.password.is_none() && body.role.is_none() {
        return Err(ApiError::BadRequest(
            "nothing to change: give password and/or role".into(),
        ));
    }
    let st2 = st.clone();
    let n = name.clone();
    let password_changed = body.password.is_some();
    blocking_auth(move || {
        st2.auth
            .update_user(&n, body.password.as_deref(), body.role)
    })
    .await?;
    let role = st
        .auth
        .role_of(&name)
        .ok_or(ApiError::NotFound("no such user"))?;
    st.audit.record(
        "user.update",
        Some(&who.username),
        client_ip(&ext),
        serde_json::json!({ "target": name, "role": body.role, "password_changed": password_changed }),
    );
    Ok(Json(UserInfo { name, role }))
}

/// `DELETE /api/v1/users/{name}`: the user, its sessions and its tokens. 409 for the last
/// admin.
pub async fn delete(
    State(st): State<Arc<AppState>>,
    Extension(who): Extension<Principal>,
    ext: axum::http::Extensions,
    Path(name): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let st2 = st.clone();
    let n = name.clone();
    blocking_auth(move || st2.auth.delete_user(&n)).await?;
    st.audit.record(
        "user.delete",
        Some(&who.username),
        client_ip(&ext),
        serde_json::json!({ "target": name }),
    );
    Ok(Json(serde_json::json!({ "ok": true })))
}

/// `GET /api/v1/me`: who the request acts as.
pub async fn me(Extension(who): Extension<Principal>) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "name": who.username,
        "role": who.role,
        "credential": who.credential,
    }))
}

#[derive(Deserialize)]
pub struct PasswordChange {
    current_password: String,
    new_password: String,
}

/// `PUT /api/v1/me/password` {current_password, new_password}.
pub async fn change_own_password(
    State(st): State<Arc<AppState>>,
    Extension(who): Extension<Principal>,
    ext: axum::http::Extensions,
    Json(body): Json<PasswordChange>,
) -> Result<Json<serde_json::Value>, ApiError> {
    if st.auth.role_of(&who.username).is_none() {
        return Err(ApiError::BadRequest(format!(
            "{} is not a user with a password",
            who.username
        )));
    }
    let st2 = st.clone();
    let user = who.username.clone();
    let changed = blocking_auth(move || {
        if !st2.auth.verify(&user, &body.current_password) {
            return Ok(false);
        }
        st2.auth
            .update_user(&user, Some(&body.new_password), None)?;
        Ok(true)
    })
    .await?;
    if !changed {
        return Err(ApiError::Forbidden("current password is wrong".into()));
    }
    st.audit.record(
        "user.password",
        Some(&who.username),
        client_ip(&ext),
        serde_json::json!({ "target": who.username }),
    );
    Ok(Json(serde_json::json!({ "ok": true })))
}
