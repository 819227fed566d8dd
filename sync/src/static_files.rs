//! Serving the built studio (`dist/`) with an `index.html` fallback for client-side routes.

use std::path::Path;

use axum::Router;
use axum::http::Method;
use tower_http::cors::{Any, CorsLayer};
use tower_http::services::{ServeDir, ServeFile};

/// A service for the files under `dist`: unknown paths get `dist/index.html` (so deep links
/// into the single-page studio work), and every response allows any origin, because other
/// sites load `embed.js` and the widget's `.wasm` from here.
pub fn service(dist: &Path) -> Router {
    let files = ServeDir::new(dist).fallback(ServeFile::new(dist.join("index.html")));
    Router::new().fallback_service(files).layer(
        CorsLayer::new()
            .allow_origin(Any)
            .allow_methods([Method::GET, Method::HEAD]),
    )
}
