//! Model registry: named models, their versions (validated by the engine before they are
//! accepted), stages with one production version per model, rollback, and public artifacts.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use kiln_engine::artifact::Artifact;
use kiln_protocol::sync::{
    ApiError, ModelInfo, ModelSummary, ModelUpload, ModelVersionInfo, Rollback, StageChange,
    VersionLineage, Visibility,
};
use serde_json::Value;

use crate::auth::{AuthUser, random_hex};
use crate::db::{AppState, now_ms};
use crate::error::SyncError;
use crate::extract::{ApiJson, ApiPath};
use crate::projects::validate_id;
use crate::store::{
    ArtifactSummary, ModelRecord, NewVersion, Selector, StageRequest, VersionRecord, no_model,
};

const MAX_RUN_ID_CHARS: usize = 128;
const MAX_REASON_CHARS: usize = 500;

/// Routes under `/api/models` (authenticated).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(list))
        .route("/{name}", get(detail))
        .route("/{name}/versions", post(register))
        .route("/{name}/versions/{version}/stage", put(change_stage))
        .route("/{name}/rollback", post(rollback))
        .route("/{name}/public", put(set_public))
}

/// Routes under `/api/public` (no authentication; the only ones open to every origin).
pub fn public_routes() -> Router<AppState> {
    Router::new()
        .route("/models/{public_id}", get(public_artifact))
        .route(
            "/models/{username}/{name}/production",
            get(public_production),
        )
        .route(
            "/models/{username}/{name}/versions/{version}",
            get(public_version),
        )
}

#[utoipa::path(post, path = "/api/models/{name}/versions", tag = "registry", security(("bearer" = [])),
    params(("name" = String, Path, description = "Model name (1-64 of A-Z a-z 0-9 space _ . -)")),
    request_body = ModelUpload,
    responses((status = 201, description = "The new version (the artifact was checked by the engine)", body = ModelVersionInfo)))]
async fn register(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(name): ApiPath<String>,
    ApiJson(upload): ApiJson<ModelUpload>,
) -> Result<(StatusCode, Json<ModelVersionInfo>), SyncError> {
    validate_name(&name)?;
    if let Some(project_id) = &upload.project_id {
        validate_id(project_id).map_err(|e| SyncError::InvalidField {
            field: "project_id".into(),
            message: e.to_string(),
        })?;
    }
    if let Some(run_id) = &upload.run_id
        && (run_id.is_empty() || run_id.chars().count() > MAX_RUN_ID_CHARS)
    {
        return Err(SyncError::InvalidField {
            field: "run_id".into(),
            message: format!("`run_id` must be 1 to {MAX_RUN_ID_CHARS} characters long"),
        });
    }
    let (artifact, summary) = check_artifact(upload.artifact).await?;
    let new = NewVersion {
        owner: user.id,
        name: name.clone(),
        public_id: random_hex::<16>()?,
        artifact,
        metrics: summary.metrics,
        lineage: VersionLineage {
            project_id: upload.project_id,
            run_id: upload.run_id,
            data_hash: summary.data_hash,
            family: summary.family,
            training_rows: summary.training_rows,
        },
        public: upload.public,
        now_ms: now_ms(),
    };
    let record = state.run(move |store| store.add_version(new)).await?;
    Ok((StatusCode::CREATED, Json(version_info(&name, record))))
}

#[utoipa::path(get, path = "/api/models", tag = "registry", security(("bearer" = [])),
    responses((status = 200, description = "The account's models", body = Vec<ModelSummary>)))]
async fn list(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<Json<Vec<ModelSummary>>, SyncError> {
    let models = state.run(move |store| store.list_models(user.id)).await?;
    Ok(Json(
        models
            .into_iter()
            .map(|m| ModelSummary {
                name: m.name,
                public: m.public,
                latest_version: m.latest_version,
                production_version: m.production_version,
            })
            .collect(),
    ))
}

#[utoipa::path(get, path = "/api/models/{name}", tag = "registry", security(("bearer" = [])),
    params(("name" = String, Path, description = "Model name")),
    responses((status = 200, description = "The model, its versions and stage history", body = ModelInfo),
        (status = 404, description = "No such model in this account", body = ApiError)))]
async fn detail(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<ModelInfo>, SyncError> {
    validate_name(&name)?;
    let lookup = name.clone();
    let record = state
        .run(move |store| store.get_model(user.id, &lookup))
        .await?
        .ok_or_else(|| no_model(&name))?;
    Ok(Json(model_info(&user.username, record)))
}

#[utoipa::path(put, path = "/api/models/{name}/versions/{version}/stage", tag = "registry",
    security(("bearer" = [])),
    params(("name" = String, Path, description = "Model name"), ("version" = u32, Path, description = "Version number")),
    request_body = StageChange,
    responses((status = 200, description = "The model after the change", body = ModelInfo),
        (status = 404, description = "No such model or version", body = ApiError)))]
async fn change_stage(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath((name, version)): ApiPath<(String, u32)>,
    ApiJson(change): ApiJson<StageChange>,
) -> Result<Json<ModelInfo>, SyncError> {
    validate_name(&name)?;
    let target = Some((version, change.stage));
    stage_request(state, user, name, target, change.reason).await
}

#[utoipa::path(post, path = "/api/models/{name}/rollback", tag = "registry", security(("bearer" = [])),
    params(("name" = String, Path, description = "Model name")), request_body = Rollback,
    responses((status = 200, description = "The previous production version is back", body = ModelInfo),
        (status = 404, description = "No such model in this account", body = ApiError),
        (status = 409, description = "Nothing to roll back to", body = ApiError)))]
async fn rollback(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(name): ApiPath<String>,
    ApiJson(body): ApiJson<Rollback>,
) -> Result<Json<ModelInfo>, SyncError> {
    validate_name(&name)?;
    stage_request(state, user, name, None, body.reason).await
}

async fn stage_request(
    state: AppState,
    user: AuthUser,
    name: String,
    target: Option<(u32, kiln_protocol::sync::Stage)>,
    reason: String,
) -> Result<Json<ModelInfo>, SyncError> {
    let reason = reason.trim().to_owned();
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(SyncError::InvalidField {
            field: "reason".into(),
            message: format!("`reason` must be at most {MAX_REASON_CHARS} characters long"),
        });
    }
    let username = user.username.clone();
    let request = StageRequest {
        owner: user.id,
        username: user.username,
        name,
        target,
        reason,
        now_ms: now_ms(),
    };
    let record = state.run(move |store| store.change_stage(request)).await?;
    Ok(Json(model_info(&username, record)))
}

#[utoipa::path(put, path = "/api/models/{name}/public", tag = "registry", security(("bearer" = [])),
    params(("name" = String, Path, description = "Model name")), request_body = Visibility,
    responses((status = 200, description = "The model after the change", body = ModelInfo),
        (status = 404, description = "No such model in this account", body = ApiError)))]
async fn set_public(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(name): ApiPath<String>,
    ApiJson(visibility): ApiJson<Visibility>,
) -> Result<Json<ModelInfo>, SyncError> {
    validate_name(&name)?;
    let lookup = name.clone();
    let record = state
        .run(move |store| {
            if !store.set_public(user.id, &lookup, visibility.public)? {
                return Ok(None);
            }
            store.get_model(user.id, &lookup)
        })
        .await?
        .ok_or_else(|| no_model(&name))?;
    Ok(Json(model_info(&user.username, record)))
}

fn not_public() -> SyncError {
    SyncError::NotFound("there is no public model there".to_owned())
}

/// The artifact of a registered version of a public model, exactly as stored.
#[utoipa::path(get, path = "/api/public/models/{public_id}", tag = "public",
    params(("public_id" = String, Path, description = "A version's public id")),
    responses((status = 200, description = "The model artifact, as registered", body = Object,
            headers(("etag" = String, description = "The version's public id"))),
        (status = 304, description = "Unchanged since the If-None-Match tag"),
        (status = 404, description = "No public model there", body = ApiError)))]
async fn public_artifact(
    State(state): State<AppState>,
    ApiPath(public_id): ApiPath<String>,
    headers: HeaderMap,
) -> Result<Response, SyncError> {
    if public_id.len() != 32 || !public_id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(not_public());
    }
    let id = public_id.clone();
    let artifact = state
        .run(move |store| store.public_artifact(&id))
        .await?
        .ok_or_else(not_public)?;
    Ok(artifact_response(&headers, artifact, &public_id, true))
}

/// Whichever version of a public model is in production: embeds that name this follow
/// promotions and rollbacks (revalidating with the `ETag`).
#[utoipa::path(get, path = "/api/public/models/{username}/{name}/production", tag = "public",
    params(("username" = String, Path, description = "Owner"), ("name" = String, Path, description = "Model name")),
    responses((status = 200, description = "The production version's artifact", body = Object,
            headers(("etag" = String, description = "That version's public id"))),
        (status = 304, description = "Unchanged since the If-None-Match tag"),
        (status = 404, description = "No public model there, or none in production", body = ApiError)))]
async fn public_production(
    State(state): State<AppState>,
    ApiPath((username, name)): ApiPath<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, SyncError> {
    named_artifact(state, username, name, Selector::Production, &headers).await
}

#[utoipa::path(get, path = "/api/public/models/{username}/{name}/versions/{version}", tag = "public",
    params(("username" = String, Path, description = "Owner"), ("name" = String, Path, description = "Model name"),
        ("version" = u32, Path, description = "Version number")),
    responses((status = 200, description = "That version's artifact", body = Object,
            headers(("etag" = String, description = "The version's public id"))),
        (status = 304, description = "Unchanged since the If-None-Match tag"),
        (status = 404, description = "No public model version there", body = ApiError)))]
async fn public_version(
    State(state): State<AppState>,
    ApiPath((username, name, version)): ApiPath<(String, String, u32)>,
    headers: HeaderMap,
) -> Result<Response, SyncError> {
    named_artifact(state, username, name, Selector::Version(version), &headers).await
}

async fn named_artifact(
    state: AppState,
    username: String,
    name: String,
    selector: Selector,
    headers: &HeaderMap,
) -> Result<Response, SyncError> {
    if validate_name(&name).is_err() || username.len() > 32 {
        return Err(not_public());
    }
    let (artifact, public_id) = state
        .run(move |store| store.public_artifact_named(&username, &name, selector))
        .await?
        .ok_or_else(not_public)?;
    let fixed = matches!(selector, Selector::Version(_));
    Ok(artifact_response(headers, artifact, &public_id, fixed))
}

/// An artifact with permissive CORS and an `ETag` (the version's public id): a fixed version
/// is cached for good; a stage is revalidated on every use, and `If-None-Match` gets 304.
fn artifact_response(
    request: &HeaderMap,
    artifact: String,
    public_id: &str,
    fixed: bool,
) -> Response {
    let etag = format!("\"{public_id}\"");
    let cache = if fixed {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let matches = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim().trim_start_matches("W/") == etag)
        });
    let mut response = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, "application/json")], artifact).into_response()
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    response
}

/// Checks `value` with the engine (the same decoding the studio and widget do) and returns
/// the document to store (the upload itself, so the public fetch returns exactly it) with
/// what the registry lists about it.
async fn check_artifact(value: Value) -> Result<(String, ArtifactSummary), SyncError> {
    tokio::task::spawn_blocking(move || {
        if let Err(e) = Artifact::from_value(value.clone()) {
            return Err(SyncError::InvalidField {
                field: "artifact".into(),
                message: format!("the model file is not valid: {e}"),
            });
        }
        let summary = ArtifactSummary::of(&value);
        Ok((serde_json::to_string(&value)?, summary))
    })
    .await
    .map_err(|e| SyncError::Internal(format!("artifact check failed: {e}")))?
}

fn version_info(name: &str, record: VersionRecord) -> ModelVersionInfo {
    ModelVersionInfo {
        name: name.to_owned(),
        version: record.version,
        stage: record.stage,
        public_path: format!("/api/public/models/{}", record.public_id),
        public_id: record.public_id,
        created_at_ms: record.created_at_ms,
        metrics: record.metrics,
        lineage: record.lineage,
    }
}

fn model_info(username: &str, record: ModelRecord) -> ModelInfo {
    let name = record.name;
    ModelInfo {
        production_path: format!(
            "/api/public/models/{username}/{}/production",
            encode_segment(&name)
        ),
        versions: record
            .versions
            .into_iter()
            .map(|v| version_info(&name, v))
            .collect(),
        name,
        public: record.public,
        history: record.history,
    }
}

/// A model name as a URL path segment (names allow only spaces beyond URL-safe bytes).
fn encode_segment(name: &str) -> String {
    name.replace(' ', "%20")
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
    fn names() {
        assert!(validate_name("Iris classifier v1.2").is_ok());
        assert!(validate_name("").is_err());
        assert!(validate_name("a/b").is_err());
        assert_eq!(encode_segment("Iris model"), "Iris%20model");
    }
}
