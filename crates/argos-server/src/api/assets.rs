//! The web UI: static files compiled into the binary (no build step, no CDN), served with a
//! single-page-app fallback so hash links and reloads work.

use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// The same policy for every embedded file: scripts only from this origin, so the UI and
/// the API docs page can run no inline or injected script.
const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'";

pub async fn serve(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    let path = if path.is_empty() { "index.html" } else { path };
    match find(path) {
        Some(body) => respond(body, mime_of(path)),
        None if !path.contains('.') => match find("index.html") {
            Some(body) => respond(body, "text/html; charset=utf-8"),
            None => (StatusCode::NOT_FOUND, "UI not built in").into_response(),
        },
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

/// One embedded file by its name under `assets/`, for routes that serve a fixed file
/// (`/api/v1/openapi.json`, `/api/docs`); 404 when it was not built in.
pub fn named(name: &str) -> Response {
    match find(name) {
        Some(body) => respond(body, mime_of(name)),
        None => (StatusCode::NOT_FOUND, "not built in").into_response(),
    }
}

fn find(name: &str) -> Option<&'static [u8]> {
    ASSETS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, body)| *body)
}

fn respond(body: &'static [u8], mime: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, mime),
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CONTENT_SECURITY_POLICY, CSP),
        ],
        body,
    )
        .into_response()
}

fn mime_of(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}
