//! The optional sync service of Kiln: accounts, projects and a model registry over an HTTP
//! JSON API (`/api/...`, bodies from [`kiln_protocol::sync`]) backed by one SQLite file,
//! optionally also serving the built studio.
//!
//! Typical use from a command line:
//!
//! ```no_run
//! # async fn run() -> Result<(), kiln_sync::SyncError> {
//! let state = kiln_sync::AppState::open(std::path::Path::new("kiln.db"))?;
//! let (listener, addr) = kiln_sync::bind("127.0.0.1:0".parse().unwrap()).await?;
//! println!("Kiln is running at http://{addr}");
//! kiln_sync::serve_on(listener, state, None).await
//! # }
//! ```

mod auth;
mod db;
mod error;
mod extract;
mod models;
mod projects;
mod schema;
mod static_files;
mod throttle;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;

use axum::Json;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Method, Uri, header};
use axum::routing::get;
use kiln_protocol::sync::Health;
use tokio::net::TcpListener;
use tower_http::cors::{Any, CorsLayer};
use tower_http::trace::TraceLayer;

pub use auth::AuthUser;
pub use db::AppState;
pub use error::SyncError;
pub use extract::ApiJson;

/// Largest request body accepted, in bytes (32 MiB).
pub const BODY_LIMIT: usize = 32 << 20;

/// The whole service: the API under `/api`, and, when `dist` is given, the built studio
/// from that folder for every other path.
pub fn app(state: AppState, dist: Option<PathBuf>) -> Router {
    let api = Router::new()
        .route("/health", get(health))
        .nest("/auth", auth::routes())
        .nest("/projects", projects::routes())
        .nest("/models", models::routes())
        .nest("/public", models::public_routes())
        .fallback(api_not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(
            CorsLayer::new()
                .allow_origin(Any)
                // DELETE: `/api/auth/session` (log out).
                .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
                .allow_headers([
                    header::AUTHORIZATION,
                    header::CONTENT_TYPE,
                    header::IF_MATCH,
                ])
                .expose_headers([header::ETAG]),
        )
        .with_state(state);
    let mut router = Router::new().nest("/api", api);
    if let Some(dist) = dist {
        router = router.fallback_service(static_files::service(&dist));
    }
    router.layer(TraceLayer::new_for_http())
}

/// Binds `addr` (port 0 picks a free port) and returns the listener with the real address.
pub async fn bind(addr: SocketAddr) -> Result<(TcpListener, SocketAddr), SyncError> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    Ok((listener, local))
}

/// Serves [`app`] on `listener` until Ctrl-C (or SIGTERM), then shuts down gracefully.
pub async fn serve_on(
    listener: TcpListener,
    state: AppState,
    dist: Option<PathBuf>,
) -> Result<(), SyncError> {
    serve_with_shutdown(listener, state, dist, shutdown_signal()).await
}

/// Serves [`app`] on `listener` until `shutdown` completes, then finishes open requests.
pub async fn serve_with_shutdown(
    listener: TcpListener,
    state: AppState,
    dist: Option<PathBuf>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), SyncError> {
    axum::serve(listener, app(state, dist))
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}

/// Opens the database at `db`, binds `addr` and serves until Ctrl-C. Prints nothing; use
/// [`AppState::open`], [`bind`] and [`serve_on`] to report the bound address first.
pub async fn serve(addr: SocketAddr, db: PathBuf, dist: Option<PathBuf>) -> Result<(), SyncError> {
    let state = tokio::task::spawn_blocking(move || AppState::open(&db))
        .await
        .map_err(|e| SyncError::Internal(format!("opening the database failed: {e}")))??;
    let (listener, _) = bind(addr).await?;
    serve_on(listener, state, dist).await
}

async fn health() -> Json<Health> {
    Json(Health {
        status: "ok".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    })
}

async fn api_not_found(uri: Uri) -> SyncError {
    SyncError::NotFound(format!("there is no API endpoint at {}", uri.path()))
}

/// Completes on Ctrl-C, or on SIGTERM where there is one.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}
