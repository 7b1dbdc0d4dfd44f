//! The web UI: static files compiled into the binary (no build step, no CDN), served with a
//! single-page-app fallback so hash links and reloads work.

use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

pub async fn serve(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    let path = if path.is_empty() { "index.html" } else { path };
    let (body, mime) = match ASSETS.iter().find(|(name, _)| *name == path) {
        Some((name, body)) => (*body, mime_of(name)),
        None if !path.contains('.') => match ASSETS.iter().find(|(n, _)| *n == "index.html") {
            Some((_, body)) => (*body, "text/html; charset=utf-8"),
            None => return (StatusCode::NOT_FOUND, "UI not built in").into_response(),
        },
        None => return (StatusCode::NOT_FOUND, "not found").into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, mime),
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'",
            ),
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
