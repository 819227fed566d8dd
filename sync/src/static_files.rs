//! Serving the built studio (`dist/`) with an `index.html` fallback for client-side routes.

use std::convert::Infallible;
use std::path::Path;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower::service_fn;
use tower_http::cors::{Any, CorsLayer};
use tower_http::services::{ServeDir, ServeFile};

/// A service for the files under `dist`: missing paths that look like studio routes (no dot
/// in the last segment, e.g. `/projects/abc`) get `dist/index.html` so deep links into the
/// single-page studio work; other missing paths (`/missing.js`, `/samples/x.csv`) are 404,
/// so a missing asset is not mistaken for a page. Only the widget's files (`embed.js`, the JS
/// API `kiln.js`, the engine's script and `.wasm`, and the iframe page `embed.html` with its
/// script, which other sites load) allow every origin.
pub fn service(dist: &Path) -> Router {
    let index = ServeFile::new(dist.join("index.html"));
    let fallback = service_fn(move |req: Request<Body>| {
        let index = index.clone();
        async move {
            if is_client_route(req.uri().path()) {
                Ok::<Response, Infallible>(index.oneshot(req).await.into_response())
            } else {
                Ok(StatusCode::NOT_FOUND.into_response())
            }
        }
    });
    let files = ServeDir::new(dist).fallback(fallback);
    let mut widget = Router::new();
    for name in WIDGET_FILES {
        widget = widget.route_service(&format!("/{name}"), ServeFile::new(dist.join(name)));
    }
    let widget = widget.layer(
        CorsLayer::new()
            .allow_origin(Any)
            .allow_methods([Method::GET, Method::HEAD]),
    );
    widget.fallback_service(files)
}

/// What a page on another site loads to embed a model.
const WIDGET_FILES: [&str; 6] = [
    "embed.js",
    "kiln.js",
    "kiln-widget.js",
    "kiln-widget_bg.wasm",
    "embed.html",
    "embed-frame.js",
];

/// Whether `path` names a studio route rather than a file: its last segment has no dot.
fn is_client_route(path: &str) -> bool {
    let last = path.rsplit('/').next().unwrap_or_default();
    !last.contains('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_routes() {
        for path in ["/", "/projects/abc", "/a/deep/link/", "/models/v1.2/"] {
            assert!(is_client_route(path), "{path}");
        }
        for path in [
            "/kiln-worker_loader.js",
            "/samples/x.csv",
            "/a/.hidden",
            "/x.",
        ] {
            assert!(!is_client_route(path), "{path}");
        }
    }
}
