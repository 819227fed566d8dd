//! SQLite storage: the connection pool and running queries off the async runtime (the schema
//! is in `schema`).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use r2d2::{Pool, PooledConnection};
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::Connection;

use crate::error::SyncError;
use crate::schema::migrate;
use crate::throttle::LoginThrottle;

/// A pooled SQLite connection.
pub type Conn = PooledConnection<SqliteConnectionManager>;

/// How long a connection waits for a lock held by another before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Most connections the pool keeps open.
const POOL_SIZE: u32 = 8;

/// Shared state of the service: a pool of connections to one SQLite file, and the recent
/// failed logins (kept in memory only).
#[derive(Clone)]
pub struct AppState {
    pool: Pool<SqliteConnectionManager>,
    login_throttle: Arc<LoginThrottle>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("connections", &self.pool.state().connections)
            .finish()
    }
}

impl AppState {
    /// Opens (creating if missing) the SQLite database at `path`, with its parent folder and
    /// schema, in WAL mode with foreign keys on.
    ///
    /// This does blocking I/O; call it before starting the server or from `spawn_blocking`.
    pub fn open(path: &Path) -> Result<AppState, SyncError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        let manager = SqliteConnectionManager::file(path).with_init(configure_connection);
        let pool = Pool::builder().max_size(POOL_SIZE).build(manager)?;
        let mut conn = pool.get()?;
        let mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(%mode, "SQLite refused WAL journal mode");
        }
        migrate(&mut conn)?;
        drop(conn);
        Ok(AppState {
            pool,
            login_throttle: Arc::default(),
        })
    }

    /// Failed logins per username, for brute-force protection.
    pub(crate) fn login_throttle(&self) -> &LoginThrottle {
        &self.login_throttle
    }

    /// Runs `f` with a pooled connection on the blocking thread pool.
    pub(crate) async fn run<T, F>(&self, f: F) -> Result<T, SyncError>
    where
        F: FnOnce(&mut Conn) -> Result<T, SyncError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await
        .map_err(|e| SyncError::Internal(format!("database task failed: {e}")))?
    }
}

fn configure_connection(conn: &mut Connection) -> Result<(), rusqlite::Error> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    Ok(())
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Whether `err` is a violated UNIQUE/PRIMARY KEY constraint.
pub(crate) fn is_unique_violation(err: &rusqlite::Error) -> bool {
    matches!(
        err,
        rusqlite::Error::SqliteFailure(e, _)
            if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    )
}
