//! `Server-Timing` on every response: how long the server took, from the request reaching the
//! router to the response head leaving it (store work included, network and browser excluded).
//!
//! Browsers show it in their network panel, and scripts/bench-pages.sh reads it to report the
//! server time of each page's requests without the client's own overhead.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use std::time::Instant;

/// Adds `Server-Timing: app;dur=<milliseconds>` to the response.
pub async fn server_timing(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let mut resp = next.run(req).await;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    if let Ok(v) = HeaderValue::from_str(&format!("app;dur={ms:.2}")) {
        resp.headers_mut().insert("server-timing", v);
    }
    resp
}
