//! `/api/v1/saved-searches`: the caller's saved searches and everyone's shared ones
//! (storage: [`crate::saved`]).

use super::session::client_ip;
use super::{ApiError, AppState};
use crate::auth::{Principal, Role};
use crate::saved::{NewSearch, SavedError, SavedSearch};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A saved search as the API shows it: `created` as RFC 3339.
#[derive(Serialize)]
pub struct SavedSearchJson {
    id: String,
    name: String,
    query: String,
    shared: bool,
    owner: String,
    created: String,
}

impl From<SavedSearch> for SavedSearchJson {
    fn from(s: SavedSearch) -> SavedSearchJson {
        SavedSearchJson {
            created: super::rfc3339(s.created.saturating_mul(1_000_000)),
            id: s.id,
            name: s.name,
            query: s.query,
            shared: s.shared,
            owner: s.owner,
        }
    }
}

/// The body of `POST /api/v1/saved-searches`; `shared` defaults to false.
#[derive(Deserialize)]
pub struct NewSavedSearch {
    name: String,
    query: String,
    #[serde(default)]
    shared: bool,
}

impl From<SavedError> for ApiError {
    fn from(e: SavedError) -> ApiError {
        match e {
            SavedError::NotFound => ApiError::NotFound("no such saved search"),
            // The owner's name is left out: the caller may not see a private search's owner.
            SavedError::NotOwner { .. } => ApiError::Forbidden(
                "someone else's saved search: only its owner or an admin may delete it".into(),
            ),
            SavedError::Io { .. } | SavedError::Format { .. } => {
                ApiError::Internal(format!("saved searches: {e}"))
            }
            // Bad names, long queries and full lists: the caller can fix them.
            other => ApiError::BadRequest(other.to_string()),
        }
    }
}

/// Runs a change of the saved-search file off the async threads.
async fn blocking_saved<T, F>(f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, SavedError> + Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.map_err(ApiError::from),
        Err(e) => Err(ApiError::Internal(format!("task: {e}"))),
    }
}

/// `GET /api/v1/saved-searches`: `{"items": [...]}`, the caller's own and the shared ones.
pub async fn list(
    State(st): State<Arc<AppState>>,
    Extension(who): Extension<Principal>,
) -> Json<serde_json::Value> {
    let items: Vec<SavedSearchJson> = st
        .saved_searches
        .visible_to(&who.username)
        .into_iter()
        .map(SavedSearchJson::from)
        .collect();
    Json(serde_json::json!({ "items": items }))
}

/// `POST /api/v1/saved-searches` {name, query, shared}: 201 with the item; the caller's
/// search of the same name is replaced.
pub async fn create(
    State(st): State<Arc<AppState>>,
    Extension(who): Extension<Principal>,
    ext: axum::http::Extensions,
    Json(body): Json<NewSavedSearch>,
) -> Result<Response, ApiError> {
    let st2 = st.clone();
    let owner = who.username.clone();
    let saved = blocking_saved(move || {
        st2.saved_searches.save(
            &owner,
            NewSearch {
                name: &body.name,
                query: &body.query,
                shared: body.shared,
            },
        )
    })
    .await?;
    st.audit.record(
        "search.save",
        Some(&who.username),
        client_ip(&ext),
        serde_json::json!({ "search_id": saved.id, "name": saved.name, "shared": saved.shared }),
    );
    Ok((StatusCode::CREATED, Json(SavedSearchJson::from(saved))).into_response())
}

/// `DELETE /api/v1/saved-searches/{id}`: the owner's, or any for an admin.
pub async fn delete(
    State(st): State<Arc<AppState>>,
    Extension(who): Extension<Principal>,
    ext: axum::http::Extensions,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let st2 = st.clone();
    let by = who.username.clone();
    let admin = who.role == Role::Admin;
    let removed = blocking_saved(move || st2.saved_searches.delete(&id, &by, admin)).await?;
    st.audit.record(
        "search.delete",
        Some(&who.username),
        client_ip(&ext),
        serde_json::json!({ "search_id": removed.id, "owner": removed.owner }),
    );
    Ok(Json(serde_json::json!({ "ok": true })))
}
