//! Model registry: registering artifact versions, listing them, and the public artifact URL.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use kiln_engine::artifact::Artifact;
use kiln_protocol::sync::{ModelUpload, ModelVersionInfo, Stage};
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use serde_json::Value;

use crate::auth::{AuthUser, random_hex};
use crate::db::{AppState, now_ms};
use crate::error::SyncError;
use crate::extract::ApiJson;
use crate::projects::validate_id;

const MAX_RUN_ID_CHARS: usize = 128;

/// Routes under `/api/models` (authenticated).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(list))
        .route("/{name}/versions", post(register))
}

/// Routes under `/api/public` (no authentication).
pub fn public_routes() -> Router<AppState> {
    Router::new().route("/models/{public_id}", get(public_artifact))
}

async fn register(
    State(state): State<AppState>,
    user: AuthUser,
    Path(name): Path<String>,
    ApiJson(upload): ApiJson<ModelUpload>,
) -> Result<(StatusCode, Json<ModelVersionInfo>), SyncError> {
    validate_name(&name)?;
    if let Some(project_id) = &upload.project_id {
        validate_id(project_id)?;
    }
    if let Some(run_id) = &upload.run_id
        && (run_id.is_empty() || run_id.chars().count() > MAX_RUN_ID_CHARS)
    {
        return Err(SyncError::InvalidInput(format!(
            "`run_id` must be 1 to {MAX_RUN_ID_CHARS} characters long"
        )));
    }
    let artifact = check_artifact(upload.artifact).await?;
    let public_id = random_hex::<16>()?;
    let info = state
        .run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let previous: i64 = tx.query_row(
                "SELECT COALESCE(MAX(version), 0) FROM model_versions
                 WHERE owner_id = ?1 AND name = ?2",
                params![user.id, name],
                |row| row.get(0),
            )?;
            let version = previous + 1;
            let created_at_ms = now_ms();
            tx.execute(
                "INSERT INTO model_versions
                     (owner_id, name, version, stage, public_id, artifact, project_id, run_id,
                      created_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    user.id,
                    name,
                    version,
                    stage_name(Stage::None),
                    public_id,
                    artifact,
                    upload.project_id,
                    upload.run_id,
                    created_at_ms
                ],
            )?;
            tx.commit()?;
            version_info(name, version, Stage::None, public_id, created_at_ms)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(info)))
}

async fn list(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<Json<Vec<ModelVersionInfo>>, SyncError> {
    let versions = state
        .run(move |conn| {
            let mut stmt = conn.prepare(
                "SELECT name, version, stage, public_id, created_at_ms FROM model_versions
                 WHERE owner_id = ?1 ORDER BY name, version",
            )?;
            let rows = stmt.query_map(params![user.id], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, i64>(4)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (name, version, stage, public_id, created_at_ms) = row?;
                out.push(version_info(
                    name,
                    version,
                    parse_stage(&stage)?,
                    public_id,
                    created_at_ms,
                )?);
            }
            Ok(out)
        })
        .await?;
    Ok(Json(versions))
}

/// The artifact of a registered version, exactly as stored, for anyone who has the id.
async fn public_artifact(
    State(state): State<AppState>,
    Path(public_id): Path<String>,
) -> Result<Response, SyncError> {
    let not_found = || SyncError::NotFound("there is no public model with that id".to_owned());
    if public_id.len() != 32 || !public_id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(not_found());
    }
    let artifact = state
        .run(move |conn| {
            conn.query_row(
                "SELECT artifact FROM model_versions WHERE public_id = ?1",
                params![public_id],
                |row| row.get::<_, String>(0),
            )
            .optional()
            .map_err(SyncError::from)
        })
        .await?
        .ok_or_else(not_found)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        artifact,
    )
        .into_response())
}

/// Checks `value` with the engine (the same decoding the studio and widget do) and returns
/// the document to store: the upload itself, so the public fetch returns exactly it.
async fn check_artifact(value: Value) -> Result<String, SyncError> {
    tokio::task::spawn_blocking(move || {
        if let Err(e) = Artifact::from_value(value.clone()) {
            return Err(SyncError::InvalidInput(format!(
                "the model file is not valid: {e}"
            )));
        }
        Ok(serde_json::to_string(&value)?)
    })
    .await
    .map_err(|e| SyncError::Internal(format!("artifact check failed: {e}")))?
}

fn version_info(
    name: String,
    version: i64,
    stage: Stage,
    public_id: String,
    created_at_ms: i64,
) -> Result<ModelVersionInfo, SyncError> {
    let version = u32::try_from(version)
        .map_err(|_| SyncError::Internal(format!("model version {version} is out of range")))?;
    let public_path = format!("/api/public/models/{public_id}");
    Ok(ModelVersionInfo {
        name,
        version,
        stage,
        public_id,
        public_path,
        created_at_ms,
    })
}

fn stage_name(stage: Stage) -> &'static str {
    match stage {
        Stage::None => "none",
        Stage::Staging => "staging",
        Stage::Production => "production",
        Stage::Archived => "archived",
    }
}

fn parse_stage(text: &str) -> Result<Stage, SyncError> {
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

/// Model names: 1–64 characters of `[A-Za-z0-9_ .-]`.
fn validate_name(name: &str) -> Result<(), SyncError> {
    let ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b' ' | b'.' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(SyncError::InvalidInput(format!(
            "model name {name:?} is invalid: use 1 to 64 characters of A-Z, a-z, 0-9, space, \
             `_`, `.` and `-`"
        )))
    }
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
    fn names() {
        assert!(validate_name("Iris classifier v1.2").is_ok());
        assert!(validate_name("").is_err());
        assert!(validate_name("a/b").is_err());
    }
}
