//! Storage behind the service: one trait, [`Store`], with an embedded SQLite implementation
//! (the default) and a PostgreSQL one for teams that outgrow one machine.
//!
//! Every method is one atomic unit of work (a transaction where it reads and writes), and
//! blocking: the service calls them on tokio's blocking pool. The rules both backends must
//! agree on (which `If-Match` wins, how stages move, what a rollback restores) are plain
//! functions here, so the two implementations only differ in SQL.

pub mod postgres;
pub mod sqlite;

use std::collections::BTreeMap;

use kiln_protocol::sync::{Stage, StageEvent, VersionLineage};

use crate::error::SyncError;

/// Result of a store call.
pub type StoreResult<T> = Result<T, SyncError>;

/// An account as the login check needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub id: i64,
    pub password_hash: String,
}

/// The account and token a bearer token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenOwner {
    pub user_id: i64,
    pub username: String,
    pub token_id: i64,
    pub expires_at_ms: i64,
}

/// A stored bearer token, without the token itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    pub id: i64,
    pub label: String,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
}

/// A stored project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectRecord {
    pub id: String,
    pub name: String,
    pub etag: String,
    pub updated_at_ms: i64,
    /// The project document as JSON text.
    pub body: String,
}

/// A project write: who, which, and the `If-Match` tags sent (`None`: no header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectWrite {
    pub owner: i64,
    pub id: String,
    pub name: String,
    pub body: String,
    pub if_match: Option<Vec<String>>,
    pub now_ms: i64,
}

/// A read-only share of a project, without its token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareRecord {
    pub id: i64,
    pub label: String,
    pub created_at_ms: i64,
}

/// A model version to add (the next version number is the store's to pick).
#[derive(Debug, Clone, PartialEq)]
pub struct NewVersion {
    pub owner: i64,
    pub name: String,
    pub public_id: String,
    /// The artifact document as JSON text.
    pub artifact: String,
    pub metrics: BTreeMap<String, f64>,
    pub lineage: VersionLineage,
    /// Also set the model's public flag.
    pub public: Option<bool>,
    pub now_ms: i64,
}

/// A stored model version, without its artifact.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionRecord {
    pub version: u32,
    pub stage: Stage,
    pub public_id: String,
    pub created_at_ms: i64,
    pub metrics: BTreeMap<String, f64>,
    pub lineage: VersionLineage,
}

/// A named model with its versions (oldest first) and stage history (newest first).
#[derive(Debug, Clone, PartialEq)]
pub struct ModelRecord {
    pub name: String,
    pub public: bool,
    pub versions: Vec<VersionRecord>,
    pub history: Vec<StageEvent>,
}

/// A named model as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelListing {
    pub name: String,
    pub public: bool,
    pub latest_version: u32,
    pub production_version: Option<u32>,
}

/// Which version of a public model to serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selector {
    Version(u32),
    Production,
}

/// A stage change to make, with who asked and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageRequest {
    pub owner: i64,
    pub username: String,
    pub name: String,
    /// `None`: roll back to the previous production version.
    pub target: Option<(u32, Stage)>,
    pub reason: String,
    pub now_ms: i64,
}

/// Everything the service keeps. Implementations: [`sqlite::SqliteStore`] and
/// [`postgres::PgStore`]; both pass the same tests (`sync/tests/store.rs`).
pub trait Store: Send + Sync + std::fmt::Debug + 'static {
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
    fn schema_version(&self) -> StoreResult<i64>;

    /// Creates an account; `None` when the username is taken.
    fn create_user(
        &self,
        username: &str,
        password_hash: &str,
        now_ms: i64,
    ) -> StoreResult<Option<i64>>;
    fn find_user(&self, username: &str) -> StoreResult<Option<UserRecord>>;

    /// Stores a token (by its hash) and deletes the account's expired ones; returns its id.
    fn insert_token(
        &self,
        user_id: i64,
        token_hash: &str,
        label: &str,
        now_ms: i64,
        expires_at_ms: i64,
    ) -> StoreResult<i64>;
    fn find_token(&self, token_hash: &str) -> StoreResult<Option<TokenOwner>>;
    /// The account's tokens that have not expired, newest first.
    fn list_tokens(&self, user_id: i64, now_ms: i64) -> StoreResult<Vec<TokenRecord>>;
    /// Deletes one of the account's tokens; false when it has no such token.
    fn delete_token(&self, user_id: i64, token_id: i64) -> StoreResult<bool>;

    /// The account's projects, most recently updated first (bodies left empty).
    fn list_projects(&self, owner: i64) -> StoreResult<Vec<ProjectRecord>>;
    fn get_project(&self, owner: i64, id: &str) -> StoreResult<Option<ProjectRecord>>;
    /// Creates or updates a project under the rules of [`next_revision`]; returns it without
    /// its body.
    fn put_project(&self, write: ProjectWrite) -> StoreResult<ProjectRecord>;
    /// Deletes a project and its shares for good. With `if_match`, only if it matches.
    fn delete_project(
        &self,
        owner: i64,
        id: &str,
        if_match: Option<Vec<String>>,
    ) -> StoreResult<()>;

    /// Adds a share of a project; `None` when the account has no such project.
    fn create_share(
        &self,
        owner: i64,
        project: &str,
        token_hash: &str,
        label: &str,
        now_ms: i64,
    ) -> StoreResult<Option<i64>>;
    /// The shares of a project; `None` when the account has no such project.
    fn list_shares(&self, owner: i64, project: &str) -> StoreResult<Option<Vec<ShareRecord>>>;
    fn delete_share(&self, owner: i64, project: &str, share_id: i64) -> StoreResult<bool>;
    /// The project a share token opens.
    fn shared_project(&self, token_hash: &str) -> StoreResult<Option<ProjectRecord>>;

    /// Adds the next version of a model (creating the model, private unless `public` says
    /// otherwise) and returns it.
    fn add_version(&self, version: NewVersion) -> StoreResult<VersionRecord>;
    fn list_models(&self, owner: i64) -> StoreResult<Vec<ModelListing>>;
    fn get_model(&self, owner: i64, name: &str) -> StoreResult<Option<ModelRecord>>;
    /// Moves a version between stages (or rolls back), recording why; the model afterwards.
    fn change_stage(&self, request: StageRequest) -> StoreResult<ModelRecord>;
    /// Sets a model's public flag; false when the account has no such model.
    fn set_public(&self, owner: i64, name: &str, public: bool) -> StoreResult<bool>;
    /// The artifact of a version of a public model, by its public id.
    fn public_artifact(&self, public_id: &str) -> StoreResult<Option<String>>;
    /// The artifact and public id of a public model's version, by account and model name.
    fn public_artifact_named(
        &self,
        username: &str,
        name: &str,
        selector: Selector,
    ) -> StoreResult<Option<(String, String)>>;
}

/// The revision a project write gets, given the stored `(etag, revision)` if any: 1 for a
/// new project (sent without `If-Match`), the next one when `If-Match` matches (`*` matches
/// anything stored). Otherwise the error the client gets.
pub fn next_revision(
    id: &str,
    stored: Option<(&str, i64)>,
    if_match: Option<&[String]>,
) -> Result<i64, SyncError> {
    match (stored, if_match) {
        (None, None) => Ok(1),
        (None, Some(_)) => Err(SyncError::NotFound(format!(
            "there is no project `{id}` in your account to update; send it without `If-Match` \
             to create it"
        ))),
        (Some(_), None) => Err(exists_already(id)),
        (Some((current, revision)), Some(tags)) => {
            if if_match_allows(tags, current) {
                Ok(revision + 1)
            } else {
                Err(stale(id))
            }
        }
    }
}

/// The answer to a create of a project that exists.
pub fn exists_already(id: &str) -> SyncError {
    SyncError::PreconditionRequired(format!(
        "project `{id}` already exists; send the etag you last saw in `If-Match` to update it"
    ))
}

/// Whether `If-Match` tags allow a change to the version tagged `current`.
pub fn if_match_allows(tags: &[String], current: &str) -> bool {
    tags.iter().any(|t| t == "*" || t == current)
}

/// The answer to a write based on an old version.
pub fn stale(id: &str) -> SyncError {
    SyncError::PreconditionFailed(format!(
        "project `{id}` was changed elsewhere since you loaded it; reload it, or send it again \
         with `If-Match: *` to overwrite"
    ))
}

/// A project's version tag; the revision makes it change on every save.
pub fn make_etag(id: &str, revision: i64, body: &str) -> String {
    let mut hash = crate::auth::sha256_hex(format!("{id}\n{revision}\n{body}").as_bytes());
    hash.truncate(32);
    hash
}

/// The stage changes (version, from, to) that carry out `target` on a model whose versions
/// have the stages in `stages` (`(version, stage)`). `None` as target means a rollback, which
/// needs `production_moves`: every move into production, oldest first, each flagged when it
/// was itself a rollback. Rolling back twice goes two promotions back.
pub fn plan_stage_change(
    stages: &[(u32, Stage)],
    production_moves: &[(u32, bool)],
    target: Option<(u32, Stage)>,
) -> Result<Vec<(u32, Stage, Stage)>, SyncError> {
    let stage_of = |v: u32| stages.iter().find(|(n, _)| *n == v).map(|(_, s)| *s);
    let current = stages
        .iter()
        .find(|(_, s)| *s == Stage::Production)
        .map(|(v, _)| *v);
    let Some((version, stage)) = target else {
        let Some(now) = current else {
            return Err(SyncError::Conflict(
                "no version is in production, so there is nothing to roll back".to_owned(),
            ));
        };
        // Promotions push onto a stack; a rollback pops what it replaced.
        let mut stack: Vec<u32> = Vec::new();
        for &(v, rollback) in production_moves {
            if rollback {
                stack.pop();
                if stack.last() != Some(&v) {
                    stack.push(v);
                }
            } else {
                stack.push(v);
            }
        }
        let previous = stack
            .iter()
            .rev()
            .copied()
            .find(|v| *v != now && stage_of(*v).is_some())
            .ok_or_else(|| {
                SyncError::Conflict(format!(
                    "no version was in production before version {now}; there is nothing to \
                     roll back to"
                ))
            })?;
        let from = stage_of(previous).unwrap_or(Stage::None);
        return Ok(vec![
            (now, Stage::Production, Stage::Archived),
            (previous, from, Stage::Production),
        ]);
    };
    let from = stage_of(version)
        .ok_or_else(|| SyncError::NotFound(format!("there is no version {version}")))?;
    if from == stage {
        return Ok(Vec::new());
    }
    let mut changes = Vec::new();
    if stage == Stage::Production
        && let Some(old) = current
    {
        changes.push((old, Stage::Production, Stage::Archived));
    }
    changes.push((version, from, stage));
    Ok(changes)
}

/// What the registry lists about a version, read from its artifact document.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ArtifactSummary {
    pub metrics: BTreeMap<String, f64>,
    pub data_hash: String,
    pub family: String,
    pub training_rows: u64,
}

impl ArtifactSummary {
    /// Reads `scores` and `lineage` of an artifact; what is missing stays empty.
    pub fn of(artifact: &serde_json::Value) -> ArtifactSummary {
        let metrics = artifact
            .get("scores")
            .and_then(serde_json::Value::as_object)
            .map(|scores| {
                scores
                    .iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_f64()?)))
                    .collect()
            })
            .unwrap_or_default();
        let lineage = artifact.get("lineage");
        let text = |key: &str| {
            lineage
                .and_then(|l| l.get(key))
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        ArtifactSummary {
            metrics,
            data_hash: text("data_hash"),
            family: text("family"),
            training_rows: lineage
                .and_then(|l| l.get("training_rows"))
                .and_then(serde_json::Value::as_u64)
                .unwrap_or(0),
        }
    }
}

/// The answer about a model the account does not have.
pub fn no_model(name: &str) -> SyncError {
    SyncError::NotFound(format!("there is no model `{name}` in your account"))
}

/// The name of a stage as stored.
pub fn stage_name(stage: Stage) -> &'static str {
    match stage {
        Stage::None => "none",
        Stage::Staging => "staging",
        Stage::Production => "production",
        Stage::Archived => "archived",
    }
}

/// A stored stage name back to the stage.
pub fn parse_stage(text: &str) -> Result<Stage, SyncError> {
    match text {
        "none" => Ok(Stage::None),
        "staging" => Ok(Stage::Staging),
        "production" => Ok(Stage::Production),
        "archived" => Ok(Stage::Archived),
        other => Err(SyncError::Internal(format!(
            "unknown stored stage {other:?}"
        ))),
    }
}

/// A stored version number back to `u32`.
pub fn version_number(n: i64) -> Result<u32, SyncError> {
    u32::try_from(n).map_err(|_| SyncError::Internal(format!("model version {n} is out of range")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_roundtrip() {
        for s in [
            Stage::None,
            Stage::Staging,
            Stage::Production,
            Stage::Archived,
        ] {
            assert_eq!(parse_stage(stage_name(s)).unwrap(), s);
        }
    }

    #[test]
    fn revisions_follow_if_match() {
        let tags = |t: &str| vec![t.to_string()];
        assert_eq!(next_revision("p", None, None).unwrap(), 1);
        assert!(matches!(
            next_revision("p", None, Some(&tags("x"))),
            Err(SyncError::NotFound(_))
        ));
        assert!(matches!(
            next_revision("p", Some(("e1", 3)), None),
            Err(SyncError::PreconditionRequired(_))
        ));
        assert_eq!(
            next_revision("p", Some(("e1", 3)), Some(&tags("e1"))).unwrap(),
            4
        );
        assert_eq!(
            next_revision("p", Some(("e1", 3)), Some(&tags("*"))).unwrap(),
            4
        );
        assert!(matches!(
            next_revision("p", Some(("e1", 3)), Some(&tags("e0"))),
            Err(SyncError::PreconditionFailed(_))
        ));
        assert_ne!(make_etag("p", 1, "{}"), make_etag("p", 2, "{}"));
    }

    #[test]
    fn promotion_archives_the_old_production_version() {
        let stages = [(1, Stage::Production), (2, Stage::Staging)];
        let plan = plan_stage_change(&stages, &[(1, false)], Some((2, Stage::Production))).unwrap();
        assert_eq!(
            plan,
            vec![
                (1, Stage::Production, Stage::Archived),
                (2, Stage::Staging, Stage::Production)
            ]
        );
        let moves = [(1, false)];
        assert!(
            plan_stage_change(&stages, &moves, Some((2, Stage::Staging)))
                .unwrap()
                .is_empty()
        );
        assert!(plan_stage_change(&stages, &moves, Some((9, Stage::Staging))).is_err());
    }

    #[test]
    fn rollback_restores_the_previous_production_version() {
        let stages = [
            (1, Stage::Archived),
            (2, Stage::Archived),
            (3, Stage::Production),
        ];
        // 1 then 2 then 3 were promoted: rolling back restores 2.
        let moves = [(1, false), (2, false), (3, false)];
        let plan = plan_stage_change(&stages, &moves, None).unwrap();
        assert_eq!(
            plan,
            vec![
                (3, Stage::Production, Stage::Archived),
                (2, Stage::Archived, Stage::Production)
            ]
        );
        // After that rollback, the next one restores 1, not 3.
        let stages = [
            (1, Stage::Archived),
            (2, Stage::Production),
            (3, Stage::Archived),
        ];
        let moves = [(1, false), (2, false), (3, false), (2, true)];
        let plan = plan_stage_change(&stages, &moves, None).unwrap();
        assert_eq!(plan[1], (1, Stage::Archived, Stage::Production));
        let moves = [(3, false)];
        let stages = [(3, Stage::Production)];
        assert!(
            plan_stage_change(&stages, &moves, None).is_err(),
            "nothing earlier"
        );
        assert!(
            plan_stage_change(&[(1, Stage::None)], &[], None).is_err(),
            "none live"
        );
    }
}
