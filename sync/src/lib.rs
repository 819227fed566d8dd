//! The optional sync service of Kiln: accounts, projects, share links and a model registry
//! over an HTTP JSON API (`/api/...`, bodies from [`kiln_protocol::sync`], described by the
//! OpenAPI document at `/api/openapi.json`), stored in SQLite (the default) or PostgreSQL
//! behind one [`store::Store`] trait, optionally also serving the built studio.
//!
//! Typical use from a command line:
//!
//! ```no_run
//! # async fn run() -> Result<(), kiln_sync::SyncError> {
//! let state = kiln_sync::AppState::open(std::path::Path::new("kiln.db"))?;
//! let (listener, addr) = kiln_sync::bind("127.0.0.1:0".parse().unwrap()).await?;
//! println!("Kiln is running at http://{addr}");
//! kiln_sync::serve_on(listener, state, kiln_sync::Options::default()).await
//! # }
//! ```

mod auth;
mod db;
mod error;
mod extract;
pub mod limits;
mod models;
mod openapi;
mod projects;
mod shares;
mod static_files;
pub mod store;
mod throttle;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;

use axum::extract::DefaultBodyLimit;
use axum::http::{Method, Uri, header};
use axum::routing::get;
use axum::{Json, Router, middleware};
use kiln_protocol::sync::{Health, VersionInfo};
use tokio::net::TcpListener;
use tower_http::cors::{AllowOrigin, Any, CorsLayer};
use tower_http::trace::TraceLayer;

pub use auth::AuthUser;
pub use axum::http::HeaderValue;
pub use db::AppState;
pub use error::SyncError;
pub use extract::ApiJson;
pub use limits::{Limits, Rate};

/// Largest request body accepted by default, in bytes (32 MiB).
pub const BODY_LIMIT: usize = 32 << 20;

/// How the service is served: the built studio to serve, and which other origins may call
/// the API from a browser.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Folder of the built studio; `None` serves the API only.
    pub dist: Option<PathBuf>,
    /// Origins (`https://team.example`) whose pages may call the authenticated API. The
    /// studio served here needs none; public model artifacts are open to every origin.
    pub allowed_origins: Vec<HeaderValue>,
}

/// The whole service: the API under `/api`, and, when `options.dist` is given, the built
/// studio from that folder for every other path.
pub fn app(state: AppState, options: &Options) -> Router {
    let private = Router::new()
        .route("/health", get(health))
        .route("/version", get(version))
        .route("/openapi.json", get(openapi::document))
        .nest("/auth", auth::routes())
        .nest("/projects", projects::routes())
        .nest("/models", models::routes())
        .nest("/shared", shares::shared_routes())
        .fallback(api_not_found)
        .layer(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(options.allowed_origins.clone()))
                .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
                .allow_headers([
                    header::AUTHORIZATION,
                    header::CONTENT_TYPE,
                    header::IF_MATCH,
                ])
                .expose_headers([header::ETAG]),
        );
    let public = Router::new()
        .nest("/public", models::public_routes())
        .layer(
            CorsLayer::new()
                .allow_origin(Any)
                .allow_methods([Method::GET, Method::HEAD])
                .allow_headers([header::IF_NONE_MATCH])
                .expose_headers([header::ETAG]),
        );
    let api = public
        .merge(private)
        .layer(DefaultBodyLimit::max(state.rates().body_bytes()))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            limits::enforce,
        ))
        .with_state(state);
    let mut router = Router::new().nest("/api", api);
    if let Some(dist) = &options.dist {
        router = router.fallback_service(static_files::service(dist));
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
    options: Options,
) -> Result<(), SyncError> {
    serve_with_shutdown(listener, state, options, shutdown_signal()).await
}

/// Serves [`app`] on `listener` until `shutdown` completes, then finishes open requests.
pub async fn serve_with_shutdown(
    listener: TcpListener,
    state: AppState,
    options: Options,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), SyncError> {
    let service = app(state, &options).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}

#[utoipa::path(get, path = "/api/health", tag = "service",
    responses((status = 200, description = "The service is up", body = Health)))]
async fn health() -> Json<Health> {
    Json(Health {
        status: "ok".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    })
}

#[utoipa::path(get, path = "/api/version", tag = "service",
    responses((status = 200, description = "What is running, on which storage", body = VersionInfo)))]
async fn version(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> Result<Json<VersionInfo>, SyncError> {
    let schema_version = state.run(|store| store.schema_version()).await?;
    Ok(Json(VersionInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        schema_version,
        storage: state.store().backend().to_owned(),
    }))
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
