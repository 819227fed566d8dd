//! The service's shared state: the store, and the in-memory guards against abuse.

use std::path::Path;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::SyncError;
use crate::limits::{Limits, RateLimits};
use crate::store::Store;
use crate::store::sqlite::SqliteStore;
use crate::throttle::LoginThrottle;

/// Shared state of the service: the store, recent failed logins and request rates (kept in
/// memory only), and the configured limits.
#[derive(Clone, Debug)]
pub struct AppState {
    store: Arc<dyn Store>,
    login_throttle: Arc<LoginThrottle>,
    rates: Arc<RateLimits>,
}

impl AppState {
    /// A service over `store` with `limits`.
    pub fn new(store: Arc<dyn Store>, limits: &Limits) -> AppState {
        AppState {
            store,
            login_throttle: Arc::default(),
            rates: Arc::new(RateLimits::new(limits)),
        }
    }

    /// Opens (creating if missing) the SQLite database at `path`, with the default limits.
    ///
    /// This does blocking I/O; call it before starting the server or from `spawn_blocking`.
    pub fn open(path: &Path) -> Result<AppState, SyncError> {
        Ok(AppState::new(
            Arc::new(SqliteStore::open(path)?),
            &Limits::default(),
        ))
    }

    /// Failed logins per username, for brute-force protection.
    pub(crate) fn login_throttle(&self) -> &LoginThrottle {
        &self.login_throttle
    }

    /// Request rates per address and per token.
    pub(crate) fn rates(&self) -> &RateLimits {
        &self.rates
    }

    /// The store's backend name and schema version.
    pub(crate) fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    /// Runs `f` with the store on the blocking thread pool.
    pub(crate) async fn run<T, F>(&self, f: F) -> Result<T, SyncError>
    where
        F: FnOnce(&dyn Store) -> Result<T, SyncError> + Send + 'static,
        T: Send + 'static,
    {
        let store = Arc::clone(&self.store);
        tokio::task::spawn_blocking(move || f(store.as_ref()))
            .await
            .map_err(|e| SyncError::Internal(format!("database task failed: {e}")))?
    }
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
