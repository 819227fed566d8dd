//! The PostgreSQL store, for a team that outgrows one machine: the same tables and rules as
//! the SQLite store, with row locks (`FOR UPDATE`) where SQLite takes its write lock.
//!
//! Open it with a connection URL (`postgres://user@host/db`); the schema is created on first
//! start. Blocking (the `postgres` client); the service calls it on tokio's blocking pool.

use kiln_protocol::sync::Stage;
use postgres::NoTls;
use postgres::error::SqlState;
use r2d2::{Pool, PooledConnection};
use r2d2_postgres::PostgresConnectionManager;

use super::{
    ModelListing, ModelRecord, NewVersion, ProjectRecord, ProjectWrite, Selector, ShareRecord,
    StageRequest, Store, StoreResult, TokenOwner, TokenRecord, UserRecord, VersionRecord,
    exists_already, if_match_allows, make_etag, next_revision, no_model, plan_stage_change,
    stage_name, stale, version_number,
};
use crate::error::SyncError;

mod rows;
mod schema;

use rows::{load_model, project_row};
use schema::SCHEMA;

/// Schema version this store writes (the same numbering as SQLite's).
const SCHEMA_VERSION: i64 = 3;

/// Most connections the pool keeps open.
const POOL_SIZE: u32 = 8;

type Manager = PostgresConnectionManager<NoTls>;

/// The PostgreSQL store.
pub struct PgStore {
    /// Always `Some` until dropped.
    pool: Option<Pool<Manager>>,
}

impl Drop for PgStore {
    /// Closing a `postgres` connection blocks on its own runtime, which panics on a thread
    /// that drives async tasks (where the service's state is dropped); close them on a
    /// thread of their own.
    fn drop(&mut self) {
        if let Some(pool) = self.pool.take() {
            let closing = std::thread::spawn(move || drop(pool));
            if tokio::runtime::Handle::try_current().is_err() {
                let _ = closing.join();
            }
        }
    }
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field(
                "connections",
                &self.pool.as_ref().map(|p| p.state().connections),
            )
            .finish()
    }
}

impl PgStore {
    /// Connects to `url` and creates the schema if it is missing. Blocking; do not call it
    /// from async code.
    pub fn open(url: &str) -> Result<PgStore, SyncError> {
        let config: postgres::Config = url
            .parse()
            .map_err(|e| SyncError::Internal(format!("the PostgreSQL URL is not valid: {e}")))?;
        PgStore::open_config(config)
    }

    /// Like [`PgStore::open`], from a parsed configuration.
    pub fn open_config(config: postgres::Config) -> Result<PgStore, SyncError> {
        let pool = Pool::builder()
            .max_size(POOL_SIZE)
            .build(PostgresConnectionManager::new(config, NoTls))?;
        let mut conn = pool.get()?;
        let mut tx = conn.transaction().map_err(pg)?;
        // One migrator at a time, whoever else starts against the same database.
        tx.execute("SELECT pg_advisory_xact_lock(7340001)", &[])
            .map_err(pg)?;
        tx.batch_execute(SCHEMA).map_err(pg)?;
        let version: Option<i64> = tx
            .query_opt("SELECT version FROM kiln_schema", &[])
            .map_err(pg)?
            .map(|row| row.get(0));
        match version {
            None => {
                tx.execute(
                    "INSERT INTO kiln_schema (version) VALUES ($1)",
                    &[&SCHEMA_VERSION],
                )
                .map_err(pg)?;
            }
            Some(v) if v > SCHEMA_VERSION => {
                return Err(SyncError::Internal(format!(
                    "database schema version {v} is newer than this Kiln supports \
                     ({SCHEMA_VERSION})"
                )));
            }
            Some(_) => {}
        }
        tx.commit().map_err(pg)?;
        drop(conn);
        Ok(PgStore { pool: Some(pool) })
    }

    fn conn(&self) -> StoreResult<PooledConnection<Manager>> {
        let pool = self
            .pool
            .as_ref()
            .ok_or_else(|| SyncError::Internal("the PostgreSQL pool is closed".to_owned()))?;
        Ok(pool.get()?)
    }
}

/// A PostgreSQL error as the service's (logged in full, answered generically).
pub(super) fn pg(e: postgres::Error) -> SyncError {
    SyncError::Internal(format!("PostgreSQL: {e}"))
}

fn is_unique_violation(e: &postgres::Error) -> bool {
    e.code() == Some(&SqlState::UNIQUE_VIOLATION)
}

impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn schema_version(&self) -> StoreResult<i64> {
        let row = self
            .conn()?
            .query_one("SELECT version FROM kiln_schema", &[])
            .map_err(pg)?;
        Ok(row.get(0))
    }

    fn create_user(&self, username: &str, hash: &str, now_ms: i64) -> StoreResult<Option<i64>> {
        match self.conn()?.query_one(
            "INSERT INTO users (username, password_hash, created_at_ms) VALUES ($1, $2, $3)
             RETURNING id",
            &[&username, &hash, &now_ms],
        ) {
            Ok(row) => Ok(Some(row.get(0))),
            Err(e) if is_unique_violation(&e) => Ok(None),
            Err(e) => Err(pg(e)),
        }
    }

    fn find_user(&self, username: &str) -> StoreResult<Option<UserRecord>> {
        Ok(self
            .conn()?
            .query_opt(
                "SELECT id, password_hash FROM users WHERE username = $1",
                &[&username],
            )
            .map_err(pg)?
            .map(|row| UserRecord {
                id: row.get(0),
                password_hash: row.get(1),
            }))
    }

    fn insert_token(
        &self,
        user_id: i64,
        token_hash: &str,
        label: &str,
        now_ms: i64,
        expires_at_ms: i64,
    ) -> StoreResult<i64> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction().map_err(pg)?;
        tx.execute(
            "DELETE FROM tokens WHERE user_id = $1 AND expires_at_ms <= $2",
            &[&user_id, &now_ms],
        )
        .map_err(pg)?;
        let row = tx
            .query_one(
                "INSERT INTO tokens (token_hash, user_id, label, created_at_ms, expires_at_ms)
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
                &[&token_hash, &user_id, &label, &now_ms, &expires_at_ms],
            )
            .map_err(pg)?;
        tx.commit().map_err(pg)?;
        Ok(row.get(0))
    }

    fn find_token(&self, token_hash: &str) -> StoreResult<Option<TokenOwner>> {
        Ok(self
            .conn()?
            .query_opt(
                "SELECT u.id, u.username, t.id, t.expires_at_ms
                 FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1",
                &[&token_hash],
            )
            .map_err(pg)?
            .map(|row| TokenOwner {
                user_id: row.get(0),
                username: row.get(1),
                token_id: row.get(2),
                expires_at_ms: row.get(3),
            }))
    }

    fn list_tokens(&self, user_id: i64, now_ms: i64) -> StoreResult<Vec<TokenRecord>> {
        Ok(self
            .conn()?
            .query(
                "SELECT id, label, created_at_ms, expires_at_ms FROM tokens
                 WHERE user_id = $1 AND expires_at_ms > $2 ORDER BY id DESC",
                &[&user_id, &now_ms],
            )
            .map_err(pg)?
            .iter()
            .map(|row| TokenRecord {
                id: row.get(0),
                label: row.get(1),
                created_at_ms: row.get(2),
                expires_at_ms: row.get(3),
            })
            .collect())
    }

    fn delete_token(&self, user_id: i64, token_id: i64) -> StoreResult<bool> {
        let n = self
            .conn()?
            .execute(
                "DELETE FROM tokens WHERE id = $1 AND user_id = $2",
                &[&token_id, &user_id],
            )
            .map_err(pg)?;
        Ok(n > 0)
    }

    fn list_projects(&self, owner: i64) -> StoreResult<Vec<ProjectRecord>> {
        Ok(self
            .conn()?
            .query(
                "SELECT id, name, etag, updated_at_ms, '' FROM projects WHERE owner_id = $1
                 ORDER BY updated_at_ms DESC, id",
                &[&owner],
            )
            .map_err(pg)?
            .iter()
            .map(project_row)
            .collect())
    }

    fn get_project(&self, owner: i64, id: &str) -> StoreResult<Option<ProjectRecord>> {
        Ok(self
            .conn()?
            .query_opt(
                "SELECT id, name, etag, updated_at_ms, body FROM projects
                 WHERE owner_id = $1 AND id = $2",
                &[&owner, &id],
            )
            .map_err(pg)?
            .map(|row| project_row(&row)))
    }

    fn put_project(&self, w: ProjectWrite) -> StoreResult<ProjectRecord> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction().map_err(pg)?;
        let stored = tx
            .query_opt(
                "SELECT etag, revision FROM projects WHERE owner_id = $1 AND id = $2 FOR UPDATE",
                &[&w.owner, &w.id],
            )
            .map_err(pg)?
            .map(|row| (row.get::<_, String>(0), row.get::<_, i64>(1)));
        let stored_ref = stored.as_ref().map(|(e, r)| (e.as_str(), *r));
        let revision = next_revision(&w.id, stored_ref, w.if_match.as_deref())?;
        let etag = make_etag(&w.id, revision, &w.body);
        let written = if stored.is_some() {
            tx.execute(
                "UPDATE projects SET name = $3, body = $4, revision = $5, etag = $6,
                     updated_at_ms = $7 WHERE owner_id = $1 AND id = $2",
                &[
                    &w.owner, &w.id, &w.name, &w.body, &revision, &etag, &w.now_ms,
                ],
            )
        } else {
            // Another create of the same id may have committed since the read; then this one
            // is an update without `If-Match`.
            tx.execute(
                "INSERT INTO projects (owner_id, id, name, body, revision, etag, updated_at_ms)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (owner_id, id) DO NOTHING",
                &[
                    &w.owner, &w.id, &w.name, &w.body, &revision, &etag, &w.now_ms,
                ],
            )
        }
        .map_err(pg)?;
        if written == 0 {
            // Another create of this id committed first: this one is now an update sent
            // without `If-Match`, which the shared rule refuses.
            return Err(exists_already(&w.id));
        }
        tx.commit().map_err(pg)?;
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
        let mut conn = self.conn()?;
        let mut tx = conn.transaction().map_err(pg)?;
        let Some(row) = tx
            .query_opt(
                "SELECT etag FROM projects WHERE owner_id = $1 AND id = $2 FOR UPDATE",
                &[&owner, &id],
            )
            .map_err(pg)?
        else {
            return Err(SyncError::NotFound(format!(
                "there is no project `{id}` in your account"
            )));
        };
        let etag: String = row.get(0);
        if let Some(tags) = if_match
            && !if_match_allows(&tags, &etag)
        {
            return Err(stale(id));
        }
        tx.execute(
            "DELETE FROM projects WHERE owner_id = $1 AND id = $2",
            &[&owner, &id],
        )
        .map_err(pg)?;
        tx.commit().map_err(pg)?;
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
        Ok(self
            .conn()?
            .query_opt(
                "INSERT INTO shares (owner_id, project_id, token_hash, label, created_at_ms)
                 SELECT owner_id, id, $3, $4, $5 FROM projects WHERE owner_id = $1 AND id = $2
                 RETURNING id",
                &[&owner, &project, &token_hash, &label, &now_ms],
            )
            .map_err(pg)?
            .map(|row| row.get(0)))
    }

    fn list_shares(&self, owner: i64, project: &str) -> StoreResult<Option<Vec<ShareRecord>>> {
        if self.get_project(owner, project)?.is_none() {
            return Ok(None);
        }
        Ok(Some(
            self.conn()?
                .query(
                    "SELECT id, label, created_at_ms FROM shares
                     WHERE owner_id = $1 AND project_id = $2 ORDER BY id DESC",
                    &[&owner, &project],
                )
                .map_err(pg)?
                .iter()
                .map(|row| ShareRecord {
                    id: row.get(0),
                    label: row.get(1),
                    created_at_ms: row.get(2),
                })
                .collect(),
        ))
    }

    fn delete_share(&self, owner: i64, project: &str, share_id: i64) -> StoreResult<bool> {
        let n = self
            .conn()?
            .execute(
                "DELETE FROM shares WHERE id = $1 AND owner_id = $2 AND project_id = $3",
                &[&share_id, &owner, &project],
            )
            .map_err(pg)?;
        Ok(n > 0)
    }

    fn shared_project(&self, token_hash: &str) -> StoreResult<Option<ProjectRecord>> {
        Ok(self
            .conn()?
            .query_opt(
                "SELECT p.id, p.name, p.etag, p.updated_at_ms, p.body
                 FROM shares s JOIN projects p ON p.owner_id = s.owner_id AND p.id = s.project_id
                 WHERE s.token_hash = $1",
                &[&token_hash],
            )
            .map_err(pg)?
            .map(|row| project_row(&row)))
    }

    fn add_version(&self, v: NewVersion) -> StoreResult<VersionRecord> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction().map_err(pg)?;
        tx.execute(
            "INSERT INTO models (owner_id, name, public) VALUES ($1, $2, $3)
             ON CONFLICT (owner_id, name) DO NOTHING",
            &[&v.owner, &v.name, &v.public.unwrap_or(false)],
        )
        .map_err(pg)?;
        // The model's row lock orders concurrent registrations of the same model.
        tx.execute(
            "SELECT 1 FROM models WHERE owner_id = $1 AND name = $2 FOR UPDATE",
            &[&v.owner, &v.name],
        )
        .map_err(pg)?;
        if let Some(public) = v.public {
            tx.execute(
                "UPDATE models SET public = $3 WHERE owner_id = $1 AND name = $2",
                &[&v.owner, &v.name, &public],
            )
            .map_err(pg)?;
        }
        let previous: i64 = tx
            .query_one(
                "SELECT COALESCE(MAX(version), 0) FROM model_versions
                 WHERE owner_id = $1 AND name = $2",
                &[&v.owner, &v.name],
            )
            .map_err(pg)?
            .get(0);
        let version = previous + 1;
        let rows = i64::try_from(v.lineage.training_rows).unwrap_or(i64::MAX);
        tx.execute(
            "INSERT INTO model_versions
                 (owner_id, name, version, stage, public_id, artifact, project_id, run_id,
                  created_at_ms, metrics, data_hash, family, training_rows)
             VALUES ($1, $2, $3, 'none', $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            &[
                &v.owner,
                &v.name,
                &version,
                &v.public_id,
                &v.artifact,
                &v.lineage.project_id,
                &v.lineage.run_id,
                &v.now_ms,
                &serde_json::to_string(&v.metrics)?,
                &v.lineage.data_hash,
                &v.lineage.family,
                &rows,
            ],
        )
        .map_err(pg)?;
        tx.commit().map_err(pg)?;
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
        self.conn()?
            .query(
                "SELECT m.name, m.public, COALESCE(MAX(v.version), 0),
                        MAX(CASE WHEN v.stage = 'production' THEN v.version END)
                 FROM models m
                 LEFT JOIN model_versions v ON v.owner_id = m.owner_id AND v.name = m.name
                 WHERE m.owner_id = $1 GROUP BY m.name, m.public ORDER BY m.name",
                &[&owner],
            )
            .map_err(pg)?
            .iter()
            .map(|row| {
                Ok(ModelListing {
                    name: row.get(0),
                    public: row.get(1),
                    latest_version: version_number(row.get(2))?,
                    production_version: row
                        .get::<_, Option<i64>>(3)
                        .map(version_number)
                        .transpose()?,
                })
            })
            .collect()
    }

    fn get_model(&self, owner: i64, name: &str) -> StoreResult<Option<ModelRecord>> {
        let mut conn = self.conn()?;
        load_model(&mut *conn, owner, name, false)
    }

    fn change_stage(&self, r: StageRequest) -> StoreResult<ModelRecord> {
        let mut conn = self.conn()?;
        let mut tx = conn.transaction().map_err(pg)?;
        let model =
            load_model(&mut tx, r.owner, &r.name, true)?.ok_or_else(|| no_model(&r.name))?;
        let stages: Vec<(u32, Stage)> = model
            .versions
            .iter()
            .map(|v| (v.version, v.stage))
            .collect();
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
            let version = i64::from(version);
            tx.execute(
                "UPDATE model_versions SET stage = $4
                 WHERE owner_id = $1 AND name = $2 AND version = $3",
                &[&r.owner, &r.name, &version, &stage_name(to)],
            )
            .map_err(pg)?;
            tx.execute(
                "INSERT INTO stage_events
                     (owner_id, name, version, from_stage, to_stage, reason, by_user, rollback, at_ms)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                &[
                    &r.owner,
                    &r.name,
                    &version,
                    &stage_name(from),
                    &stage_name(to),
                    &r.reason,
                    &r.username,
                    &rollback,
                    &r.now_ms,
                ],
            )
            .map_err(pg)?;
        }
        let model =
            load_model(&mut tx, r.owner, &r.name, false)?.ok_or_else(|| no_model(&r.name))?;
        tx.commit().map_err(pg)?;
        Ok(model)
    }

    fn set_public(&self, owner: i64, name: &str, public: bool) -> StoreResult<bool> {
        let n = self
            .conn()?
            .execute(
                "UPDATE models SET public = $3 WHERE owner_id = $1 AND name = $2",
                &[&owner, &name, &public],
            )
            .map_err(pg)?;
        Ok(n > 0)
    }

    fn public_artifact(&self, public_id: &str) -> StoreResult<Option<String>> {
        Ok(self
            .conn()?
            .query_opt(
                "SELECT v.artifact FROM model_versions v
                 JOIN models m ON m.owner_id = v.owner_id AND m.name = v.name
                 WHERE v.public_id = $1 AND m.public",
                &[&public_id],
            )
            .map_err(pg)?
            .map(|row| row.get(0)))
    }

    fn public_artifact_named(
        &self,
        username: &str,
        name: &str,
        selector: Selector,
    ) -> StoreResult<Option<(String, String)>> {
        let (clause, version) = match selector {
            Selector::Version(v) => ("v.version = $3", i64::from(v)),
            Selector::Production => ("v.stage = 'production' AND $3::BIGINT = 0", 0),
        };
        Ok(self
            .conn()?
            .query_opt(
                &format!(
                    "SELECT v.artifact, v.public_id FROM model_versions v
                     JOIN models m ON m.owner_id = v.owner_id AND m.name = v.name
                     JOIN users u ON u.id = v.owner_id
                     WHERE u.username = $1 AND v.name = $2 AND m.public AND {clause}"
                ),
                &[&username, &name, &version],
            )
            .map_err(pg)?
            .map(|row| (row.get(0), row.get(1))))
    }
}
