//! Requests and responses of the sync service's HTTP API (`/api/...`).

use serde::{Deserialize, Serialize};

/// `GET /api/health`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Health {
    pub status: String,
    pub version: String,
}

/// `POST /api/auth/signup` and `POST /api/auth/login`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

/// Answer to a successful signup or login: a bearer token for `Authorization: Bearer ...`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub username: String,
    pub token: String,
}

/// One project as listed by `GET /api/projects`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
pub struct ProjectUpload {
    pub name: String,
    pub body: serde_json::Value,
}

/// `GET /api/projects/{id}`: the stored project and its version tag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectEnvelope {
    pub id: String,
    pub name: String,
    pub etag: String,
    pub updated_at_ms: i64,
    pub body: serde_json::Value,
}

/// `POST /api/models/{name}/versions` body: a model artifact to register.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelUpload {
    /// The model artifact document (see the engine's `artifact` module).
    pub artifact: serde_json::Value,
    pub project_id: Option<String>,
    pub run_id: Option<String>,
}

/// Lifecycle stage of a registered model version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    None,
    Staging,
    Production,
    Archived,
}

/// A registered model version as the service knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelVersionInfo {
    pub name: String,
    pub version: u32,
    pub stage: Stage,
    /// Unguessable id of this version's public bundle.
    pub public_id: String,
    /// Path (on the service) of the public artifact, served with CORS for embedding.
    pub public_path: String,
    pub created_at_ms: i64,
}

/// Body of every error response: what went wrong, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiError {
    pub error: ApiErrorBody,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiErrorBody {
    /// Stable machine-readable kind, e.g. `unauthorized`, `conflict`, `invalid_input`.
    pub kind: String,
    pub message: String,
}
