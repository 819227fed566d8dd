//! Projects: listing, fetching and saving project documents with optimistic concurrency.
//!
//! Project ids are per account: two accounts may each have a project `p1`, and neither can
//! see or change the other's (requests about another account's project get `404`).

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::routing::get;
use axum::{Json, Router};
use kiln_protocol::sync::{ApiError, ProjectEnvelope, ProjectSummary, ProjectUpload};

use crate::auth::AuthUser;
use crate::db::{AppState, now_ms};
use crate::error::SyncError;
use crate::extract::{ApiJson, ApiPath};
use crate::store::{ProjectRecord, ProjectWrite};

const MAX_NAME_CHARS: usize = 256;

/// Routes under `/api/projects` (shares of a project are in `shares`).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(list))
        .route("/{id}", get(fetch).put(save).delete(remove))
        .merge(crate::shares::project_routes())
}

#[utoipa::path(get, path = "/api/projects", tag = "projects", security(("bearer" = [])),
    responses((status = 200, description = "The account's projects, most recent first", body = Vec<ProjectSummary>)))]
async fn list(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<Json<Vec<ProjectSummary>>, SyncError> {
    let projects = state.run(move |store| store.list_projects(user.id)).await?;
    Ok(Json(projects.into_iter().map(summary).collect()))
}

#[utoipa::path(get, path = "/api/projects/{id}", tag = "projects", security(("bearer" = [])),
    params(("id" = String, Path, description = "Project id (1-64 of A-Z a-z 0-9 _ -)")),
    responses((status = 200, description = "The project", body = ProjectEnvelope,
            headers(("etag" = String, description = "Version tag, for If-Match"))),
        (status = 404, description = "No such project in this account", body = ApiError)))]
async fn fetch(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> Result<(HeaderMap, Json<ProjectEnvelope>), SyncError> {
    validate_id(&id)?;
    let lookup = id.clone();
    let record = state
        .run(move |store| store.get_project(user.id, &lookup))
        .await?
        .ok_or_else(|| {
            SyncError::NotFound(format!("there is no project `{id}` in your account"))
        })?;
    envelope(record)
}

/// A stored project as the API returns it, with its `ETag` header.
pub(crate) fn envelope(
    record: ProjectRecord,
) -> Result<(HeaderMap, Json<ProjectEnvelope>), SyncError> {
    let headers = etag_header(&record.etag)?;
    let project = ProjectEnvelope {
        id: record.id,
        name: record.name,
        etag: record.etag,
        updated_at_ms: record.updated_at_ms,
        body: serde_json::from_str(&record.body)?,
    };
    Ok((headers, Json(project)))
}

fn summary(record: ProjectRecord) -> ProjectSummary {
    ProjectSummary {
        id: record.id,
        name: record.name,
        etag: record.etag,
        updated_at_ms: record.updated_at_ms,
    }
}

/// Creates (no `If-Match`) or updates (`If-Match` with the etag last seen, or `*` to
/// overwrite) a project.
#[utoipa::path(put, path = "/api/projects/{id}", tag = "projects", security(("bearer" = [])),
    params(("id" = String, Path, description = "Project id (1-64 of A-Z a-z 0-9 _ -)"),
        ("If-Match" = Option<String>, Header, description = "The ETag last read (`*` overwrites); absent to create")),
    request_body = ProjectUpload,
    responses((status = 200, description = "Saved", body = ProjectSummary,
            headers(("etag" = String, description = "The new version tag"))),
        (status = 404, description = "Nothing to update (sent with If-Match)", body = ApiError),
        (status = 412, description = "Changed elsewhere since it was read", body = ApiError),
        (status = 428, description = "It exists; send If-Match to update it", body = ApiError)))]
async fn save(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    ApiJson(upload): ApiJson<ProjectUpload>,
) -> Result<(HeaderMap, Json<ProjectSummary>), SyncError> {
    validate_id(&id)?;
    if upload.name.trim().is_empty() || upload.name.chars().count() > MAX_NAME_CHARS {
        return Err(SyncError::InvalidField {
            field: "name".into(),
            message: format!("project name must be 1 to {MAX_NAME_CHARS} characters long"),
        });
    }
    if !upload.body.is_object() {
        return Err(SyncError::InvalidField {
            field: "body".into(),
            message: "`body` must be a JSON object (the project document)".into(),
        });
    }
    let write = ProjectWrite {
        owner: user.id,
        id,
        name: upload.name,
        body: serde_json::to_string(&upload.body)?,
        if_match: parse_if_match(&headers)?,
        now_ms: now_ms(),
    };
    let record = state.run(move |store| store.put_project(write)).await?;
    Ok((etag_header(&record.etag)?, Json(summary(record))))
}

/// Deletes a project for good, with its share links. `If-Match`, when sent, must match.
#[utoipa::path(delete, path = "/api/projects/{id}", tag = "projects", security(("bearer" = [])),
    params(("id" = String, Path, description = "Project id"),
        ("If-Match" = Option<String>, Header, description = "Delete only this version")),
    responses((status = 204, description = "Deleted for good, with its share links"),
        (status = 404, description = "No such project in this account", body = ApiError),
        (status = 412, description = "Changed since the given version", body = ApiError)))]
async fn remove(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
) -> Result<StatusCode, SyncError> {
    validate_id(&id)?;
    let if_match = parse_if_match(&headers)?;
    state
        .run(move |store| store.delete_project(user.id, &id, if_match))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The entity tags of `If-Match`, unquoted (weak `W/` prefixes dropped); `None` if absent.
fn parse_if_match(headers: &HeaderMap) -> Result<Option<Vec<String>>, SyncError> {
    let mut tags = Vec::new();
    let mut present = false;
    for value in headers.get_all(header::IF_MATCH) {
        present = true;
        let text = value.to_str().map_err(|_| {
            SyncError::InvalidInput("the `If-Match` header is not valid text".to_owned())
        })?;
        for tag in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            let tag = tag.strip_prefix("W/").unwrap_or(tag);
            let tag = tag
                .strip_prefix('"')
                .and_then(|t| t.strip_suffix('"'))
                .unwrap_or(tag);
            tags.push(tag.to_owned());
        }
    }
    Ok(present.then_some(tags))
}

pub(crate) fn etag_header(etag: &str) -> Result<HeaderMap, SyncError> {
    let value = HeaderValue::from_str(&format!("\"{etag}\""))
        .map_err(|e| SyncError::Internal(format!("etag is not a valid header value: {e}")))?;
    let mut headers = HeaderMap::new();
    headers.insert(header::ETAG, value);
    Ok(headers)
}

/// Project ids: 1–64 characters of `[A-Za-z0-9_-]`.
pub(crate) fn validate_id(id: &str) -> Result<(), SyncError> {
    let ok = (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(SyncError::InvalidInput(format!(
            "project id {id:?} is invalid: use 1 to 64 characters of A-Z, a-z, 0-9, `_` and `-`"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_parsing() {
        let mut h = HeaderMap::new();
        assert_eq!(parse_if_match(&h).unwrap(), None);
        h.insert(
            header::IF_MATCH,
            HeaderValue::from_static("\"abc\", W/\"def\", ghi"),
        );
        assert_eq!(
            parse_if_match(&h).unwrap(),
            Some(vec!["abc".into(), "def".into(), "ghi".into()])
        );
    }

    #[test]
    fn ids() {
        assert!(validate_id("proj_1-A").is_ok());
        assert!(validate_id("").is_err());
        assert!(validate_id("a/b").is_err());
        assert!(validate_id(&"x".repeat(65)).is_err());
    }
}
