//! `GET /api/v1/openapi.json` and `GET /api/docs`: the API described for scripts.
//!
//! The document is a hand-written asset (`assets/openapi.json`, docs/decisions/0009) and the
//! page (`assets/apidocs.html` + `apidocs.js`) renders it in the browser. Both are served
//! without a login: they describe routes and hold no captured data, and a script needs the
//! description before it has a token.

use super::assets;
use axum::response::Response;

/// The OpenAPI 3.1 document, as embedded at build time.
pub async fn document() -> Response {
    assets::named("openapi.json")
}

/// The HTML page listing every operation of the document.
pub async fn page() -> Response {
    assets::named("apidocs.html")
}
