//! SQLite storage: the connection pool, the schema, and running queries off the async runtime.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use r2d2::{Pool, PooledConnection};
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::Connection;

use crate::error::SyncError;

/// A pooled SQLite connection.
pub type Conn = PooledConnection<SqliteConnectionManager>;

/// How long a connection waits for a lock held by another before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Most connections the pool keeps open.
const POOL_SIZE: u32 = 8;

/// Current schema version, stored in `PRAGMA user_version`.
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    token_hash    TEXT PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS tokens_user ON tokens(user_id);
CREATE TABLE IF NOT EXISTS projects (
    id            TEXT PRIMARY KEY,
    owner_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    body          TEXT NOT NULL,
    revision      INTEGER NOT NULL,
    etag          TEXT NOT NULL,
    updated_at_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS projects_owner ON projects(owner_id, updated_at_ms DESC);
CREATE TABLE IF NOT EXISTS model_versions (
    id            INTEGER PRIMARY KEY,
    owner_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    version       INTEGER NOT NULL,
    stage         TEXT NOT NULL DEFAULT 'none',
    public_id     TEXT NOT NULL UNIQUE,
    artifact      TEXT NOT NULL,
    project_id    TEXT,
    run_id        TEXT,
    created_at_ms INTEGER NOT NULL,
    UNIQUE (owner_id, name, version)
);
";

/// Shared state of the service: a pool of connections to one SQLite file.
#[derive(Clone)]
pub struct AppState {
    pool: Pool<SqliteConnectionManager>,
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
        let conn = pool.get()?;
        let mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(%mode, "SQLite refused WAL journal mode");
        }
        migrate(&conn)?;
        drop(conn);
        Ok(AppState { pool })
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

fn migrate(conn: &Connection) -> Result<(), SyncError> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if version > SCHEMA_VERSION {
        return Err(SyncError::Internal(format!(
            "database schema version {version} is newer than this Kiln supports ({SCHEMA_VERSION})"
        )));
    }
    conn.execute_batch(SCHEMA)?;
    conn.pragma_update(None, "user_version", SCHEMA_VERSION)?;
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
