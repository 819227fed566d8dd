//! Read-only share links of projects: the owner creates and revokes them; anyone holding one
//! can read the project (and nothing else) until it is revoked or the project is deleted.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{delete, get};
use axum::{Json, Router};
use kiln_protocol::sync::{ApiError, NewShare, ProjectEnvelope, ShareCreated, ShareInfo};

use crate::auth::{AuthUser, random_hex, sha256_hex};
use crate::db::{AppState, now_ms};
use crate::error::SyncError;
use crate::extract::{ApiJson, ApiPath};
use crate::projects::{envelope, validate_id};

const MAX_LABEL_CHARS: usize = 64;

/// Share routes under `/api/projects` (owner only).
pub fn project_routes() -> Router<AppState> {
    Router::new()
        .route("/{id}/shares", get(list).post(create))
        .route("/{id}/shares/{share_id}", delete(revoke))
}

/// Routes under `/api/shared` (the share token is the credential).
pub fn shared_routes() -> Router<AppState> {
    Router::new().route("/{token}", get(open))
}

fn no_project(id: &str) -> SyncError {
    SyncError::NotFound(format!("there is no project `{id}` in your account"))
}

#[utoipa::path(post, path = "/api/projects/{id}/shares", tag = "shares", security(("bearer" = [])),
    params(("id" = String, Path, description = "Project id")), request_body = NewShare,
    responses((status = 201, description = "A read-only share token, shown this once", body = ShareCreated),
        (status = 404, description = "No such project in this account", body = ApiError)))]
async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<NewShare>,
) -> Result<(StatusCode, Json<ShareCreated>), SyncError> {
    validate_id(&id)?;
    let label = body.label.trim().to_owned();
    if label.chars().count() > MAX_LABEL_CHARS {
        return Err(SyncError::InvalidField {
            field: "label".into(),
            message: format!("`label` must be at most {MAX_LABEL_CHARS} characters long"),
        });
    }
    let token = random_hex::<24>()?;
    let hash = sha256_hex(token.as_bytes());
    let (project, stored_label) = (id.clone(), label.clone());
    let share_id = state
        .run(move |store| store.create_share(user.id, &project, &hash, &stored_label, now_ms()))
        .await?
        .ok_or_else(|| no_project(&id))?;
    Ok((
        StatusCode::CREATED,
        Json(ShareCreated {
            id: share_id,
            label,
            studio_path: format!("/#shared={token}"),
            token,
        }),
    ))
}

#[utoipa::path(get, path = "/api/projects/{id}/shares", tag = "shares", security(("bearer" = [])),
    params(("id" = String, Path, description = "Project id")),
    responses((status = 200, description = "The project's shares", body = Vec<ShareInfo>),
        (status = 404, description = "No such project in this account", body = ApiError)))]
async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Vec<ShareInfo>>, SyncError> {
    validate_id(&id)?;
    let project = id.clone();
    let shares = state
        .run(move |store| store.list_shares(user.id, &project))
        .await?
        .ok_or_else(|| no_project(&id))?;
    Ok(Json(
        shares
            .into_iter()
            .map(|s| ShareInfo {
                id: s.id,
                label: s.label,
                created_at_ms: s.created_at_ms,
            })
            .collect(),
    ))
}

#[utoipa::path(delete, path = "/api/projects/{id}/shares/{share_id}", tag = "shares",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Project id"), ("share_id" = i64, Path, description = "Share id")),
    responses((status = 204, description = "Revoked: the token stops working"),
        (status = 404, description = "No such share", body = ApiError)))]
async fn revoke(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath((id, share_id)): ApiPath<(String, i64)>,
) -> Result<StatusCode, SyncError> {
    validate_id(&id)?;
    let project = id.clone();
    if state
        .run(move |store| store.delete_share(user.id, &project, share_id))
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(SyncError::NotFound(format!(
            "project `{id}` has no share with id {share_id}"
        )))
    }
}

/// The shared project, read-only.
#[utoipa::path(get, path = "/api/shared/{token}", tag = "shares",
    params(("token" = String, Path, description = "Share token")),
    responses((status = 200, description = "The shared project, read-only", body = ProjectEnvelope),
        (status = 404, description = "Not a valid share (revoked, or the project deleted)", body = ApiError)))]
async fn open(
    State(state): State<AppState>,
    ApiPath(token): ApiPath<String>,
) -> Result<(HeaderMap, Json<ProjectEnvelope>), SyncError> {
    let not_found = || {
        SyncError::NotFound(
            "this share link is not valid (it may have been revoked, or the project deleted)"
                .to_owned(),
        )
    };
    if token.len() != 48 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(not_found());
    }
    let hash = sha256_hex(token.as_bytes());
    let record = state
        .run(move |store| store.shared_project(&hash))
        .await?
        .ok_or_else(not_found)?;
    envelope(record)
}
