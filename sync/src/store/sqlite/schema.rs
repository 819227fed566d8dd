//! The database schema and its `PRAGMA user_version`-based migrations.
//!
//! Version history:
//! - 0: an empty file (or tables created before versions were recorded: same as 1);
//! - 1: project ids were global (`projects.id` alone was the key) and tokens never expired;
//! - 2: projects are keyed by `(owner_id, id)` and tokens carry `expires_at_ms`;
//! - 3: tokens get an id and a label; models get a public flag (models registered before
//!   were all fetchable, so they start public); versions record metrics and lineage; share
//!   tokens and the stage history are kept.

use rusqlite::{Connection, Transaction, TransactionBehavior, params};

use crate::auth::TOKEN_TTL_MS;
use crate::error::SyncError;

/// Current schema version, stored in `PRAGMA user_version`.
pub(crate) const SCHEMA_VERSION: i64 = 3;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    id            INTEGER PRIMARY KEY,
    token_hash    TEXT NOT NULL UNIQUE,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    label         TEXT NOT NULL DEFAULT 'session',
    created_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS tokens_user ON tokens(user_id);
CREATE TABLE IF NOT EXISTS projects (
    owner_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    id            TEXT NOT NULL,
    name          TEXT NOT NULL,
    body          TEXT NOT NULL,
    revision      INTEGER NOT NULL,
    etag          TEXT NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    PRIMARY KEY (owner_id, id)
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
    metrics       TEXT NOT NULL DEFAULT '{}',
    data_hash     TEXT NOT NULL DEFAULT '',
    family        TEXT NOT NULL DEFAULT '',
    training_rows INTEGER NOT NULL DEFAULT 0,
    UNIQUE (owner_id, name, version)
);
CREATE TABLE IF NOT EXISTS models (
    owner_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    public        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (owner_id, name)
);
CREATE TABLE IF NOT EXISTS stage_events (
    id            INTEGER PRIMARY KEY,
    owner_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    version       INTEGER NOT NULL,
    from_stage    TEXT NOT NULL,
    to_stage      TEXT NOT NULL,
    reason        TEXT NOT NULL,
    by_user       TEXT NOT NULL,
    rollback      INTEGER NOT NULL,
    at_ms         INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS stage_events_model ON stage_events(owner_id, name, id);
CREATE TABLE IF NOT EXISTS shares (
    id            INTEGER PRIMARY KEY,
    owner_id      INTEGER NOT NULL,
    project_id    TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    label         TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    FOREIGN KEY (owner_id, project_id) REFERENCES projects(owner_id, id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS shares_project ON shares(owner_id, project_id);
";

/// The version-3 `tokens` table under a temporary name, to copy version-2 rows into.
const TOKENS_V3_STAGING: &str = "
CREATE TABLE tokens_v3 (
    id            INTEGER PRIMARY KEY,
    token_hash    TEXT NOT NULL UNIQUE,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    label         TEXT NOT NULL DEFAULT 'session',
    created_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL
);
INSERT INTO tokens_v3 (token_hash, user_id, created_at_ms, expires_at_ms)
    SELECT token_hash, user_id, created_at_ms, expires_at_ms FROM tokens;
DROP TABLE tokens;
ALTER TABLE tokens_v3 RENAME TO tokens;
";

/// The version-2 `projects` table under a temporary name, to copy version-1 rows into.
const PROJECTS_V2_STAGING: &str = "
CREATE TABLE projects_v2 (
    owner_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    id            TEXT NOT NULL,
    name          TEXT NOT NULL,
    body          TEXT NOT NULL,
    revision      INTEGER NOT NULL,
    etag          TEXT NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    PRIMARY KEY (owner_id, id)
);
INSERT INTO projects_v2 (owner_id, id, name, body, revision, etag, updated_at_ms)
    SELECT owner_id, id, name, body, revision, etag, updated_at_ms FROM projects;
DROP TABLE projects;
ALTER TABLE projects_v2 RENAME TO projects;
";

/// Brings the database up to [`SCHEMA_VERSION`], keeping its data, in one transaction.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), SyncError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version: i64 = tx.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if version > SCHEMA_VERSION {
        return Err(SyncError::Internal(format!(
            "database schema version {version} is newer than this Kiln supports ({SCHEMA_VERSION})"
        )));
    }
    if version < 2 {
        upgrade_to_v2(&tx)?;
    }
    let had_versions = !columns(&tx, "model_versions")?.is_empty();
    if version < 3 {
        upgrade_to_v3(&tx)?;
    }
    tx.execute_batch(SCHEMA)?;
    if version < 3 && had_versions {
        backfill_models(&tx)?;
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    tx.commit()?;
    Ok(())
}

/// Version 1 (or unversioned) tables to version 2: tokens get an expiry 30 days after they
/// were issued, and projects move to the per-owner key. Missing tables are left for
/// [`SCHEMA`] to create.
fn upgrade_to_v2(tx: &Transaction<'_>) -> Result<(), SyncError> {
    let tokens = columns(tx, "tokens")?;
    if !tokens.is_empty() && !tokens.iter().any(|(name, _)| name == "expires_at_ms") {
        tx.execute_batch("ALTER TABLE tokens ADD COLUMN expires_at_ms INTEGER NOT NULL DEFAULT 0")?;
        tx.execute(
            "UPDATE tokens SET expires_at_ms = created_at_ms + ?1",
            params![TOKEN_TTL_MS],
        )?;
    }
    let projects = columns(tx, "projects")?;
    let key_columns = projects.iter().filter(|(_, pk)| *pk > 0).count();
    if !projects.is_empty() && key_columns < 2 {
        tx.execute_batch(PROJECTS_V2_STAGING)?;
        tracing::info!("moved projects to per-account ids (schema version 2)");
    }
    Ok(())
}

/// Version 2 tables to version 3: tokens get an id and a label, versions get metrics and
/// lineage columns (filled in by [`backfill_models`]).
fn upgrade_to_v3(tx: &Transaction<'_>) -> Result<(), SyncError> {
    let tokens = columns(tx, "tokens")?;
    if !tokens.is_empty() && !tokens.iter().any(|(name, _)| name == "id") {
        tx.execute_batch(TOKENS_V3_STAGING)?;
    }
    let versions = columns(tx, "model_versions")?;
    if !versions.is_empty() && !versions.iter().any(|(name, _)| name == "metrics") {
        tx.execute_batch(
            "ALTER TABLE model_versions ADD COLUMN metrics TEXT NOT NULL DEFAULT '{}';
             ALTER TABLE model_versions ADD COLUMN data_hash TEXT NOT NULL DEFAULT '';
             ALTER TABLE model_versions ADD COLUMN family TEXT NOT NULL DEFAULT '';
             ALTER TABLE model_versions ADD COLUMN training_rows INTEGER NOT NULL DEFAULT 0;",
        )?;
    }
    Ok(())
}

/// Models registered before version 3 were all fetchable by their public ids: they become
/// public models, and their versions' metrics and lineage are read from their artifacts.
fn backfill_models(tx: &Transaction<'_>) -> Result<(), SyncError> {
    tx.execute_batch(
        "INSERT OR IGNORE INTO models (owner_id, name, public)
             SELECT DISTINCT owner_id, name, 1 FROM model_versions;",
    )?;
    let rows: Vec<(i64, String)> = {
        let mut stmt = tx.prepare("SELECT id, artifact FROM model_versions")?;
        let rows = stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    for (id, artifact) in rows {
        let Ok(value) = serde_json::from_str::<serde_json::Value>(&artifact) else {
            continue;
        };
        let summary = crate::store::ArtifactSummary::of(&value);
        tx.execute(
            "UPDATE model_versions SET metrics = ?1, data_hash = ?2, family = ?3,
                 training_rows = ?4 WHERE id = ?5",
            params![
                serde_json::to_string(&summary.metrics)?,
                summary.data_hash,
                summary.family,
                i64::try_from(summary.training_rows).unwrap_or(i64::MAX),
                id
            ],
        )?;
    }
    Ok(())
}

/// Names of the columns of `table` and their position in its primary key (0: not in it);
/// empty when there is no such table.
fn columns(tx: &Transaction<'_>, table: &str) -> Result<Vec<(String, i64)>, SyncError> {
    let mut stmt = tx.prepare("SELECT name, pk FROM pragma_table_info(?1)")?;
    let rows = stmt.query_map(params![table], |row| Ok((row.get(0)?, row.get(1)?)))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}
