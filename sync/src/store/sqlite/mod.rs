//! The embedded store: one SQLite file in WAL mode, through a small connection pool.

use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use kiln_protocol::sync::Stage;
use r2d2::{Pool, PooledConnection};
use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

mod rows;
mod schema;

use super::{
    ModelListing, ModelRecord, NewVersion, ProjectRecord, ProjectWrite, Selector, ShareRecord,
    StageRequest, Store, StoreResult, TokenOwner, TokenRecord, UserRecord, VersionRecord,
    if_match_allows, make_etag, next_revision, no_model, plan_stage_change, stage_name, stale,
    version_number,
};
use crate::error::SyncError;
use rows::{load_model, project_row};
use schema::{SCHEMA_VERSION, migrate};

/// How long a connection waits for a lock held by another before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Most connections the pool keeps open.
const POOL_SIZE: u32 = 8;

/// The SQLite store.
pub struct SqliteStore {
    pool: Pool<SqliteConnectionManager>,
    /// SQLite lets one transaction write at a time; writers queue here, in order, instead of
    /// polling the file lock (which left some waiting up to a second under load).
    writer: Mutex<()>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("connections", &self.pool.state().connections)
            .finish()
    }
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `path`, with its parent folder and
    /// schema, in WAL mode with foreign keys on. Blocking.
    pub fn open(path: &Path) -> Result<SqliteStore, SyncError> {
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
        Ok(SqliteStore {
            pool,
            writer: Mutex::new(()),
        })
    }

    fn conn(&self) -> StoreResult<PooledConnection<SqliteConnectionManager>> {
        Ok(self.pool.get()?)
    }

    /// A connection for a write, with this process's write turn.
    fn write_conn(
        &self,
    ) -> StoreResult<(
        MutexGuard<'_, ()>,
        PooledConnection<SqliteConnectionManager>,
    )> {
        let turn = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        Ok((turn, self.conn()?))
    }
}

fn configure_connection(conn: &mut Connection) -> Result<(), rusqlite::Error> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    // In WAL mode, NORMAL would lose the last commits on power loss; FULL keeps every
    // acknowledged write.
    conn.pragma_update(None, "synchronous", "FULL")?;
    Ok(())
}

/// Whether `err` is a violated UNIQUE/PRIMARY KEY constraint.
fn is_unique_violation(err: &rusqlite::Error) -> bool {
    matches!(
        err,
        rusqlite::Error::SqliteFailure(e, _)
            if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    )
}

impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn schema_version(&self) -> StoreResult<i64> {
        Ok(SCHEMA_VERSION)
    }

    fn create_user(&self, username: &str, hash: &str, now_ms: i64) -> StoreResult<Option<i64>> {
        let (_turn, conn) = self.write_conn()?;
        match conn.execute(
            "INSERT INTO users (username, password_hash, created_at_ms) VALUES (?1, ?2, ?3)",
            params![username, hash, now_ms],
        ) {
            Ok(_) => Ok(Some(conn.last_insert_rowid())),
            Err(e) if is_unique_violation(&e) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn find_user(&self, username: &str) -> StoreResult<Option<UserRecord>> {
        Ok(self
            .conn()?
            .query_row(
                "SELECT id, password_hash FROM users WHERE username = ?1",
                params![username],
                |row| {
                    Ok(UserRecord {
                        id: row.get(0)?,
                        password_hash: row.get(1)?,
                    })
                },
            )
            .optional()?)
    }

    fn insert_token(
        &self,
        user_id: i64,
        token_hash: &str,
        label: &str,
        now_ms: i64,
        expires_at_ms: i64,
    ) -> StoreResult<i64> {
        let (_turn, mut conn) = self.write_conn()?;
        let tx = conn.transaction()?;
        tx.execute(
            "DELETE FROM tokens WHERE user_id = ?1 AND expires_at_ms <= ?2",
            params![user_id, now_ms],
        )?;
        tx.execute(
            "INSERT INTO tokens (token_hash, user_id, label, created_at_ms, expires_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![token_hash, user_id, label, now_ms, expires_at_ms],
        )?;
        let id = tx.last_insert_rowid();
        tx.commit()?;
        Ok(id)
    }

    fn find_token(&self, token_hash: &str) -> StoreResult<Option<TokenOwner>> {
        Ok(self
            .conn()?
            .query_row(
                "SELECT u.id, u.username, t.id, t.expires_at_ms
                 FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?1",
                params![token_hash],
                |row| {
                    Ok(TokenOwner {
                        user_id: row.get(0)?,
                        username: row.get(1)?,
                        token_id: row.get(2)?,
                        expires_at_ms: row.get(3)?,
                    })
                },
            )
            .optional()?)
    }

    fn list_tokens(&self, user_id: i64, now_ms: i64) -> StoreResult<Vec<TokenRecord>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(
            "SELECT id, label, created_at_ms, expires_at_ms FROM tokens
             WHERE user_id = ?1 AND expires_at_ms > ?2 ORDER BY id DESC",
        )?;
        let rows = stmt.query_map(params![user_id, now_ms], |row| {
            Ok(TokenRecord {
                id: row.get(0)?,
                label: row.get(1)?,
                created_at_ms: row.get(2)?,
                expires_at_ms: row.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn delete_token(&self, user_id: i64, token_id: i64) -> StoreResult<bool> {
        let n = self.write_conn()?.1.execute(
            "DELETE FROM tokens WHERE id = ?1 AND user_id = ?2",
            params![token_id, user_id],
        )?;
        Ok(n > 0)
    }

    fn list_projects(&self, owner: i64) -> StoreResult<Vec<ProjectRecord>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(
            "SELECT id, name, etag, updated_at_ms, '' FROM projects WHERE owner_id = ?1
             ORDER BY updated_at_ms DESC, id",
        )?;
        let rows = stmt.query_map(params![owner], project_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn get_project(&self, owner: i64, id: &str) -> StoreResult<Option<ProjectRecord>> {
        Ok(self
            .conn()?
            .query_row(
                "SELECT id, name, etag, updated_at_ms, body FROM projects
                 WHERE owner_id = ?1 AND id = ?2",
                params![owner, id],
                project_row,
            )
            .optional()?)
    }

    fn put_project(&self, w: ProjectWrite) -> StoreResult<ProjectRecord> {
        let (_turn, mut conn) = self.write_conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let stored: Option<(String, i64)> = tx
            .query_row(
                "SELECT etag, revision FROM projects WHERE owner_id = ?1 AND id = ?2",
                params![w.owner, w.id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        let stored_ref = stored.as_ref().map(|(e, r)| (e.as_str(), *r));
        let revision = next_revision(&w.id, stored_ref, w.if_match.as_deref())?;
        let etag = make_etag(&w.id, revision, &w.body);
        tx.execute(
            "INSERT INTO projects (id, owner_id, name, body, revision, etag, updated_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT(owner_id, id) DO UPDATE SET name = excluded.name, body = excluded.body,
                 revision = excluded.revision, etag = excluded.etag,
                 updated_at_ms = excluded.updated_at_ms",
            params![w.id, w.owner, w.name, w.body, revision, etag, w.now_ms],
        )?;
        tx.commit()?;
        Ok(ProjectRecord {
            id: w.id,
            name: w.name,
            etag,
            updated_at_ms: w.now_ms,
            body: String::new(),
        })
    }

    fn delete_project(
        &self,
        owner: i64,
        id: &str,
        if_match: Option<Vec<String>>,
    ) -> StoreResult<()> {
        let (_turn, mut conn) = self.write_conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let etag: Option<String> = tx
            .query_row(
                "SELECT etag FROM projects WHERE owner_id = ?1 AND id = ?2",
                params![owner, id],
                |row| row.get(0),
            )
            .optional()?;
        let Some(etag) = etag else {
            return Err(SyncError::NotFound(format!(
                "there is no project `{id}` in your account"
            )));
        };
        if let Some(tags) = if_match
            && !if_match_allows(&tags, &etag)
        {
            return Err(stale(id));
        }
        tx.execute(
            "DELETE FROM projects WHERE owner_id = ?1 AND id = ?2",
            params![owner, id],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn create_share(
        &self,
        owner: i64,
        project: &str,
        token_hash: &str,
        label: &str,
        now_ms: i64,
    ) -> StoreResult<Option<i64>> {
        let (_turn, conn) = self.write_conn()?;
        let n = conn.execute(
            "INSERT INTO shares (owner_id, project_id, token_hash, label, created_at_ms)
             SELECT owner_id, id, ?3, ?4, ?5 FROM projects WHERE owner_id = ?1 AND id = ?2",
            params![owner, project, token_hash, label, now_ms],
        )?;
        Ok((n > 0).then(|| conn.last_insert_rowid()))
    }

    fn list_shares(&self, owner: i64, project: &str) -> StoreResult<Option<Vec<ShareRecord>>> {
        if self.get_project(owner, project)?.is_none() {
            return Ok(None);
        }
        let conn = self.conn()?;
        let mut stmt = conn.prepare(
            "SELECT id, label, created_at_ms FROM shares WHERE owner_id = ?1 AND project_id = ?2
             ORDER BY id DESC",
        )?;
        let rows = stmt.query_map(params![owner, project], |row| {
            Ok(ShareRecord {
                id: row.get(0)?,
                label: row.get(1)?,
                created_at_ms: row.get(2)?,
            })
        })?;
        Ok(Some(rows.collect::<Result<_, _>>()?))
    }

    fn delete_share(&self, owner: i64, project: &str, share_id: i64) -> StoreResult<bool> {
        let n = self.write_conn()?.1.execute(
            "DELETE FROM shares WHERE id = ?1 AND owner_id = ?2 AND project_id = ?3",
            params![share_id, owner, project],
        )?;
        Ok(n > 0)
    }

    fn shared_project(&self, token_hash: &str) -> StoreResult<Option<ProjectRecord>> {
        Ok(self
            .conn()?
            .query_row(
                "SELECT p.id, p.name, p.etag, p.updated_at_ms, p.body
                 FROM shares s JOIN projects p ON p.owner_id = s.owner_id AND p.id = s.project_id
                 WHERE s.token_hash = ?1",
                params![token_hash],
                project_row,
            )
            .optional()?)
    }

    fn add_version(&self, v: NewVersion) -> StoreResult<VersionRecord> {
        let (_turn, mut conn) = self.write_conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO models (owner_id, name, public) VALUES (?1, ?2, ?3)
             ON CONFLICT(owner_id, name) DO NOTHING",
            params![v.owner, v.name, v.public.unwrap_or(false)],
        )?;
        if let Some(public) = v.public {
            tx.execute(
                "UPDATE models SET public = ?3 WHERE owner_id = ?1 AND name = ?2",
                params![v.owner, v.name, public],
            )?;
        }
        let previous: i64 = tx.query_row(
            "SELECT COALESCE(MAX(version), 0) FROM model_versions WHERE owner_id = ?1 AND name = ?2",
            params![v.owner, v.name],
            |row| row.get(0),
        )?;
        let version = previous + 1;
        tx.execute(
            "INSERT INTO model_versions
                 (owner_id, name, version, stage, public_id, artifact, project_id, run_id,
                  created_at_ms, metrics, data_hash, family, training_rows)
             VALUES (?1, ?2, ?3, 'none', ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                v.owner,
                v.name,
                version,
                v.public_id,
                v.artifact,
                v.lineage.project_id,
                v.lineage.run_id,
                v.now_ms,
                serde_json::to_string(&v.metrics)?,
                v.lineage.data_hash,
                v.lineage.family,
                i64::try_from(v.lineage.training_rows).unwrap_or(i64::MAX),
            ],
        )?;
        tx.commit()?;
        Ok(VersionRecord {
            version: version_number(version)?,
            stage: Stage::None,
            public_id: v.public_id,
            created_at_ms: v.now_ms,
            metrics: v.metrics,
            lineage: v.lineage,
        })
    }

    fn list_models(&self, owner: i64) -> StoreResult<Vec<ModelListing>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(
            "SELECT m.name, m.public, COALESCE(MAX(v.version), 0),
                    MAX(CASE WHEN v.stage = 'production' THEN v.version END)
             FROM models m LEFT JOIN model_versions v ON v.owner_id = m.owner_id AND v.name = m.name
             WHERE m.owner_id = ?1 GROUP BY m.name, m.public ORDER BY m.name",
        )?;
        let rows = stmt.query_map(params![owner], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, bool>(1)?,
                row.get::<_, i64>(2)?,
                row.get::<_, Option<i64>>(3)?,
            ))
        })?;
        rows.map(|raw| {
            let (name, public, latest, production) = raw?;
            Ok(ModelListing {
                name,
                public,
                latest_version: version_number(latest)?,
                production_version: production.map(version_number).transpose()?,
            })
        })
        .collect()
    }

    fn get_model(&self, owner: i64, name: &str) -> StoreResult<Option<ModelRecord>> {
        let conn = self.conn()?;
        load_model(&conn, owner, name)
    }

    fn change_stage(&self, r: StageRequest) -> StoreResult<ModelRecord> {
        let (_turn, mut conn) = self.write_conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let model = load_model(&tx, r.owner, &r.name)?.ok_or_else(|| no_model(&r.name))?;
        let stages: Vec<(u32, Stage)> = model
            .versions
            .iter()
            .map(|v| (v.version, v.stage))
            .collect();
        // History is newest first; the plan wants moves oldest first.
        let moves: Vec<(u32, bool)> = model
            .history
            .iter()
            .rev()
            .filter(|e| e.to == Stage::Production)
            .map(|e| (e.version, e.rollback))
            .collect();
        let plan = plan_stage_change(&stages, &moves, r.target)?;
        let rollback = r.target.is_none();
        for (version, from, to) in plan {
            tx.execute(
                "UPDATE model_versions SET stage = ?4
                 WHERE owner_id = ?1 AND name = ?2 AND version = ?3",
                params![r.owner, r.name, version, stage_name(to)],
            )?;
            tx.execute(
                "INSERT INTO stage_events
                     (owner_id, name, version, from_stage, to_stage, reason, by_user, rollback, at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    r.owner,
                    r.name,
                    version,
                    stage_name(from),
                    stage_name(to),
                    r.reason,
                    r.username,
                    rollback,
                    r.now_ms
                ],
            )?;
        }
        let model = load_model(&tx, r.owner, &r.name)?.ok_or_else(|| no_model(&r.name))?;
        tx.commit()?;
        Ok(model)
    }

    fn set_public(&self, owner: i64, name: &str, public: bool) -> StoreResult<bool> {
        let n = self.write_conn()?.1.execute(
            "UPDATE models SET public = ?3 WHERE owner_id = ?1 AND name = ?2",
            params![owner, name, public],
        )?;
        Ok(n > 0)
    }

    fn public_artifact(&self, public_id: &str) -> StoreResult<Option<String>> {
        Ok(self
            .conn()?
            .query_row(
                "SELECT v.artifact FROM model_versions v
                 JOIN models m ON m.owner_id = v.owner_id AND m.name = v.name
                 WHERE v.public_id = ?1 AND m.public",
                params![public_id],
                |row| row.get(0),
            )
            .optional()?)
    }

    fn public_artifact_named(
        &self,
        username: &str,
        name: &str,
        selector: Selector,
    ) -> StoreResult<Option<(String, String)>> {
        let (clause, version) = match selector {
            Selector::Version(v) => ("v.version = ?3", i64::from(v)),
            Selector::Production => ("v.stage = 'production' AND ?3 = 0", 0),
        };
        Ok(self
            .conn()?
            .query_row(
                &format!(
                    "SELECT v.artifact, v.public_id FROM model_versions v
                     JOIN models m ON m.owner_id = v.owner_id AND m.name = v.name
                     JOIN users u ON u.id = v.owner_id
                     WHERE u.username = ?1 AND v.name = ?2 AND m.public AND {clause}"
                ),
                params![username, name, version],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?)
    }
}
