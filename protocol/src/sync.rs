//! Requests and responses of the sync service's HTTP API (`/api/...`).

use serde::{Deserialize, Serialize};

use std::collections::BTreeMap;

/// `GET /api/health`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    pub status: String,
    pub version: String,
}

/// `GET /api/version`: what is running and on which storage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VersionInfo {
    /// Kiln's version.
    pub version: String,
    /// Version of the stored schema.
    pub schema_version: i64,
    /// `sqlite` or `postgres`.
    pub storage: String,
}

/// `POST /api/auth/signup` and `POST /api/auth/login`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

/// Answer to a successful signup or login: a bearer token for `Authorization: Bearer ...`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Session {
    pub username: String,
    pub token: String,
}

/// `POST /api/auth/tokens` body: a further token for the signed-in account (for a script or
/// another device).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewToken {
    /// What the token is for, shown when tokens are listed (1 to 64 characters).
    pub label: String,
}

/// One bearer token of the signed-in account, as `GET /api/auth/tokens` lists it. The token
/// itself is never shown again after it was issued.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenInfo {
    pub id: i64,
    pub label: String,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
    /// Whether this is the token the listing request came with.
    pub current: bool,
}

/// Answer to `POST /api/auth/tokens`: the new token, shown this once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IssuedToken {
    pub id: i64,
    pub label: String,
    pub token: String,
    pub expires_at_ms: i64,
}

/// One project as listed by `GET /api/projects`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProjectSummary {
    pub id: String,
    pub name: String,
    /// Opaque version tag; send it back as `If-Match` to update.
    pub etag: String,
    /// Milliseconds since the Unix epoch.
    pub updated_at_ms: i64,
}

/// `PUT /api/projects/{id}` body. The body is the studio's project document; the service
/// stores it without interpreting it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProjectUpload {
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub body: serde_json::Value,
}

/// `GET /api/projects/{id}`: the stored project and its version tag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProjectEnvelope {
    pub id: String,
    pub name: String,
    pub etag: String,
    pub updated_at_ms: i64,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub body: serde_json::Value,
}

/// `POST /api/projects/{id}/shares` body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewShare {
    /// Who or what the link is for, shown when shares are listed (at most 64 characters).
    #[serde(default)]
    pub label: String,
}

/// A read-only share of a project, as `GET /api/projects/{id}/shares` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShareInfo {
    pub id: i64,
    pub label: String,
    pub created_at_ms: i64,
}

/// Answer to `POST /api/projects/{id}/shares`: the share token, shown this once. Anyone with
/// it can read the project (`GET /api/shared/{token}`) until it is revoked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShareCreated {
    pub id: i64,
    pub label: String,
    pub token: String,
    /// Studio address (relative to the service) that opens the project read-only.
    pub studio_path: String,
}

/// `POST /api/models/{name}/versions` body: a model artifact to register.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelUpload {
    /// The model artifact document (see the engine's `artifact` module).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub artifact: serde_json::Value,
    pub project_id: Option<String>,
    pub run_id: Option<String>,
    /// When given, also marks the whole model public (`true`: its versions can be fetched
    /// without signing in, for embedding) or private.
    #[serde(default)]
    pub public: Option<bool>,
}

/// Where a registered version came from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VersionLineage {
    pub project_id: Option<String>,
    pub run_id: Option<String>,
    /// Hash of the training data, from the artifact.
    pub data_hash: String,
    /// Model family, from the artifact.
    pub family: String,
    pub training_rows: u64,
}

/// Lifecycle stage of a registered model version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    None,
    Staging,
    Production,
    Archived,
}

/// A registered model version as the service knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelVersionInfo {
    pub name: String,
    pub version: u32,
    pub stage: Stage,
    /// Unguessable id of this version's public bundle.
    pub public_id: String,
    /// Path (on the service) of the artifact for embedding; it answers only while the model
    /// is public.
    pub public_path: String,
    pub created_at_ms: i64,
    /// Holdout metrics recorded in the artifact (`accuracy`, `rmse`, ...).
    #[serde(default)]
    pub metrics: BTreeMap<String, f64>,
    #[serde(default)]
    pub lineage: VersionLineage,
}

/// One named model as `GET /api/models` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelSummary {
    pub name: String,
    pub public: bool,
    pub latest_version: u32,
    pub production_version: Option<u32>,
}

/// A stage change of a version, kept as the registry's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StageEvent {
    pub version: u32,
    pub from: Stage,
    pub to: Stage,
    /// Why, in the words of whoever made the change (may be empty).
    pub reason: String,
    /// Username that made the change.
    pub by: String,
    /// Whether this change was part of a rollback.
    #[serde(default)]
    pub rollback: bool,
    pub at_ms: i64,
}

/// `GET /api/models/{name}`: a model, every version and its stage history (newest first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelInfo {
    pub name: String,
    pub public: bool,
    /// Path of whichever version is in production, for embeds that follow promotions.
    pub production_path: String,
    pub versions: Vec<ModelVersionInfo>,
    pub history: Vec<StageEvent>,
}

/// `PUT /api/models/{name}/versions/{version}/stage` body. Moving a version to production
/// archives the version that was there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StageChange {
    pub stage: Stage,
    #[serde(default)]
    pub reason: String,
}

/// `POST /api/models/{name}/rollback` body: puts back the version that was in production
/// before the current one, and archives the current one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rollback {
    #[serde(default)]
    pub reason: String,
}

/// `PUT /api/models/{name}/public` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Visibility {
    pub public: bool,
}

/// Body of every error response: what went wrong, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiError {
    pub error: ApiErrorBody,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiErrorBody {
    /// Stable machine-readable kind, e.g. `unauthorized`, `conflict`, `invalid_input`,
    /// `invalid_field`.
    pub kind: String,
    pub message: String,
    /// The request field at fault, for `invalid_field`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}
