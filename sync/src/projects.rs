//! Projects: listing, fetching and saving project documents with optimistic concurrency.
//!
//! Project ids are per account: two accounts may each have a project `p1`, and neither can
//! see or change the other's (requests about another account's project get `404`).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::routing::get;
use axum::{Json, Router};
use kiln_protocol::sync::{ProjectEnvelope, ProjectSummary, ProjectUpload};
use rusqlite::{OptionalExtension, TransactionBehavior, params};

use crate::auth::{AuthUser, sha256_hex};
use crate::db::{AppState, now_ms};
use crate::error::SyncError;
use crate::extract::ApiJson;

const MAX_NAME_CHARS: usize = 256;

/// Routes under `/api/projects`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(list))
        .route("/{id}", get(fetch).put(save))
}

async fn list(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<Json<Vec<ProjectSummary>>, SyncError> {
    let projects = state
        .run(move |conn| {
            let mut stmt = conn.prepare(
                "SELECT id, name, etag, updated_at_ms FROM projects WHERE owner_id = ?1
                 ORDER BY updated_at_ms DESC, id",
            )?;
            let rows = stmt.query_map(params![user.id], |row| {
                Ok(ProjectSummary {
                    id: row.get(0)?,
                    name: row.get(1)?,
                    etag: row.get(2)?,
                    updated_at_ms: row.get(3)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await?;
    Ok(Json(projects))
}

async fn fetch(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<(HeaderMap, Json<ProjectEnvelope>), SyncError> {
    validate_id(&id)?;
    let project = state
        .run(move |conn| {
            let row: Option<(String, String, i64, String)> = conn
                .query_row(
                    "SELECT name, etag, updated_at_ms, body FROM projects
                     WHERE id = ?1 AND owner_id = ?2",
                    params![id, user.id],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
                )
                .optional()?;
            let Some((name, etag, updated_at_ms, body)) = row else {
                return Err(SyncError::NotFound(format!(
                    "there is no project `{id}` in your account"
                )));
            };
            Ok(ProjectEnvelope {
                id,
                name,
                etag,
                updated_at_ms,
                body: serde_json::from_str(&body)?,
            })
        })
        .await?;
    Ok((etag_header(&project.etag)?, Json(project)))
}

async fn save(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(upload): ApiJson<ProjectUpload>,
) -> Result<(HeaderMap, Json<ProjectSummary>), SyncError> {
    validate_id(&id)?;
    if upload.name.chars().count() > MAX_NAME_CHARS {
        return Err(SyncError::InvalidInput(format!(
            "project name must be at most {MAX_NAME_CHARS} characters long"
        )));
    }
    let if_match = parse_if_match(&headers)?;
    let body = serde_json::to_string(&upload.body)?;
    let summary = state
        .run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let existing: Option<(String, i64)> = tx
                .query_row(
                    "SELECT etag, revision FROM projects WHERE owner_id = ?1 AND id = ?2",
                    params![user.id, id],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()?;
            let revision = match existing {
                None if if_match.is_some() => {
                    return Err(SyncError::NotFound(format!(
                        "there is no project `{id}` in your account to update; send it without \
                         `If-Match` to create it"
                    )));
                }
                None => 1,
                Some((current, revision)) => {
                    check_if_match(&id, if_match.as_deref(), &current)?;
                    revision + 1
                }
            };
            let etag = make_etag(&id, revision, &body);
            let updated_at_ms = now_ms();
            tx.execute(
                "INSERT INTO projects (id, owner_id, name, body, revision, etag, updated_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT(owner_id, id) DO UPDATE SET name = excluded.name, body = excluded.body,
                     revision = excluded.revision, etag = excluded.etag,
                     updated_at_ms = excluded.updated_at_ms",
                params![
                    id,
                    user.id,
                    upload.name,
                    body,
                    revision,
                    etag,
                    updated_at_ms
                ],
            )?;
            tx.commit()?;
            Ok(ProjectSummary {
                id,
                name: upload.name,
                etag,
                updated_at_ms,
            })
        })
        .await?;
    Ok((etag_header(&summary.etag)?, Json(summary)))
}

/// Checks the client's `If-Match` tags against the stored etag of an existing project.
fn check_if_match(id: &str, if_match: Option<&[String]>, current: &str) -> Result<(), SyncError> {
    let Some(tags) = if_match else {
        return Err(SyncError::PreconditionRequired(format!(
            "project `{id}` already exists; send the etag you last saw in `If-Match` to update it"
        )));
    };
    if tags.iter().any(|t| t == "*" || t == current) {
        Ok(())
    } else {
        Err(SyncError::PreconditionFailed(format!(
            "project `{id}` was changed elsewhere since you loaded it; fetch the latest version \
             and apply your changes again"
        )))
    }
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

/// A new version tag; the revision makes it change on every save.
fn make_etag(id: &str, revision: i64, body: &str) -> String {
    let mut hash = sha256_hex(format!("{id}\n{revision}\n{body}").as_bytes());
    hash.truncate(32);
    hash
}

fn etag_header(etag: &str) -> Result<HeaderMap, SyncError> {
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

    #[test]
    fn etags_change_per_revision() {
        assert_ne!(make_etag("p", 1, "{}"), make_etag("p", 2, "{}"));
    }
}
