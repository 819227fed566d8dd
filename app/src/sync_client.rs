//! Talks to the Kiln sync service that served this page (same origin): accounts, projects
//! with optimistic concurrency, share links, and the model registry.

use gloo_net::http::{Request, RequestBuilder, Response};
use kiln_protocol::project::Project;
use kiln_protocol::sync::{
    ApiError, Credentials, ModelInfo, ModelSummary, ModelUpload, ModelVersionInfo, NewShare,
    ProjectEnvelope, ProjectSummary, ProjectUpload, Rollback, Session, ShareCreated, ShareInfo,
    StageChange, Visibility,
};
use serde::de::DeserializeOwned;

async fn read<T: DeserializeOwned>(
    response: Result<Response, gloo_net::Error>,
) -> Result<T, String> {
    let response = response.map_err(|e| format!("cannot reach the sync service: {e}"))?;
    if response.ok() {
        return response
            .json::<T>()
            .await
            .map_err(|e| format!("unexpected answer from the sync service: {e}"));
    }
    let status = response.status();
    match response.json::<ApiError>().await {
        Ok(body) => Err(body.error.message),
        Err(_) => Err(format!("the sync service answered {status}")),
    }
}

fn authed(builder: RequestBuilder, session: &Session) -> RequestBuilder {
    builder.header("Authorization", &format!("Bearer {}", session.token))
}

pub async fn signup(credentials: &Credentials) -> Result<Session, String> {
    let request = Request::post("/api/auth/signup")
        .json(credentials)
        .map_err(|e| e.to_string())?;
    read(request.send().await).await
}

pub async fn login(credentials: &Credentials) -> Result<Session, String> {
    let request = Request::post("/api/auth/login")
        .json(credentials)
        .map_err(|e| e.to_string())?;
    read(request.send().await).await
}

pub async fn list_projects(session: &Session) -> Result<Vec<ProjectSummary>, String> {
    read(authed(Request::get("/api/projects"), session).send().await).await
}

pub async fn pull_project(session: &Session, id: &str) -> Result<(Project, String), String> {
    let envelope: ProjectEnvelope = read(
        authed(Request::get(&format!("/api/projects/{id}")), session)
            .send()
            .await,
    )
    .await?;
    let project = serde_json::from_value(envelope.body)
        .map_err(|e| format!("the stored project cannot be read by this studio: {e}"))?;
    Ok((project, envelope.etag))
}

/// Why a push did not go through.
#[derive(Debug, Clone, PartialEq)]
pub enum PushError {
    /// The server's copy changed since this browser last synced it (or was never synced here).
    Conflict(String),
    /// The server could not be reached (offline, or stopped): try again later.
    Unreachable(String),
    /// The server no longer has the project this browser synced (deleted there).
    Gone,
    Other(String),
}

/// Pushes a project; `etag` is the version last seen (`*` overwrites whatever is there).
pub async fn push_project(
    session: &Session,
    project: &Project,
    etag: Option<&str>,
) -> Result<String, PushError> {
    let body = serde_json::to_value(project).map_err(|e| PushError::Other(e.to_string()))?;
    let upload = ProjectUpload {
        name: project.name.clone(),
        body,
    };
    let mut builder = authed(
        Request::put(&format!("/api/projects/{}", project.id)),
        session,
    );
    if let Some(etag) = etag {
        builder = builder.header("If-Match", etag);
    }
    let request = builder
        .json(&upload)
        .map_err(|e| PushError::Other(e.to_string()))?;
    let response = request.send().await;
    if let Err(e) = &response {
        return Err(PushError::Unreachable(format!(
            "cannot reach the sync service: {e}"
        )));
    }
    if let Ok(r) = &response
        && (r.status() == 412 || r.status() == 428)
    {
        return Err(PushError::Conflict(
            "the server has a different version of this project".to_string(),
        ));
    }
    if let Ok(r) = &response
        && r.status() == 404
        && etag.is_some_and(|e| e != "*")
    {
        return Err(PushError::Gone);
    }
    let summary: ProjectSummary = read(response).await.map_err(PushError::Other)?;
    Ok(summary.etag)
}

/// Revokes the session's token on the server (best effort: logging out locally always works).
pub async fn logout(session: &Session) {
    let _ = authed(Request::delete("/api/auth/session"), session)
        .send()
        .await;
}

pub async fn register_model(
    session: &Session,
    name: &str,
    upload: &ModelUpload,
) -> Result<ModelVersionInfo, String> {
    let path = format!("/api/models/{}/versions", encode_component(name));
    let request = authed(Request::post(&path), session)
        .json(upload)
        .map_err(|e| e.to_string())?;
    read(request.send().await).await
}

fn encode_component(s: &str) -> String {
    js_sys::encode_uri_component(s)
        .as_string()
        .unwrap_or_else(|| s.to_string())
}

/// A project shared read-only by its owner, by share token (no account needed).
pub async fn open_shared(token: &str) -> Result<Project, String> {
    let path = format!("/api/shared/{}", encode_component(token));
    let envelope: ProjectEnvelope = read(Request::get(&path).send().await).await?;
    serde_json::from_value(envelope.body)
        .map_err(|e| format!("the shared project cannot be read by this studio: {e}"))
}

pub async fn create_share(
    session: &Session,
    project: &str,
    label: &str,
) -> Result<ShareCreated, String> {
    let request = authed(
        Request::post(&format!("/api/projects/{project}/shares")),
        session,
    )
    .json(&NewShare {
        label: label.to_string(),
    })
    .map_err(|e| e.to_string())?;
    read(request.send().await).await
}

pub async fn list_shares(session: &Session, project: &str) -> Result<Vec<ShareInfo>, String> {
    let path = format!("/api/projects/{project}/shares");
    read(authed(Request::get(&path), session).send().await).await
}

/// Sends a request whose success has no body (204).
async fn send_empty(builder: RequestBuilder) -> Result<(), String> {
    let response = builder
        .send()
        .await
        .map_err(|e| format!("cannot reach the sync service: {e}"))?;
    if response.ok() {
        return Ok(());
    }
    let status = response.status();
    match response.json::<ApiError>().await {
        Ok(body) => Err(body.error.message),
        Err(_) => Err(format!("the sync service answered {status}")),
    }
}

pub async fn revoke_share(session: &Session, project: &str, id: i64) -> Result<(), String> {
    let path = format!("/api/projects/{project}/shares/{id}");
    send_empty(authed(Request::delete(&path), session)).await
}

pub async fn list_models(session: &Session) -> Result<Vec<ModelSummary>, String> {
    read(authed(Request::get("/api/models"), session).send().await).await
}

pub async fn model(session: &Session, name: &str) -> Result<ModelInfo, String> {
    let path = format!("/api/models/{}", encode_component(name));
    read(authed(Request::get(&path), session).send().await).await
}

pub async fn change_stage(
    session: &Session,
    name: &str,
    version: u32,
    change: &StageChange,
) -> Result<ModelInfo, String> {
    let path = format!(
        "/api/models/{}/versions/{version}/stage",
        encode_component(name)
    );
    let request = authed(Request::put(&path), session)
        .json(change)
        .map_err(|e| e.to_string())?;
    read(request.send().await).await
}

pub async fn rollback(session: &Session, name: &str, reason: &str) -> Result<ModelInfo, String> {
    let path = format!("/api/models/{}/rollback", encode_component(name));
    let request = authed(Request::post(&path), session)
        .json(&Rollback {
            reason: reason.to_string(),
        })
        .map_err(|e| e.to_string())?;
    read(request.send().await).await
}

pub async fn set_public(session: &Session, name: &str, public: bool) -> Result<ModelInfo, String> {
    let path = format!("/api/models/{}/public", encode_component(name));
    let request = authed(Request::put(&path), session)
        .json(&Visibility { public })
        .map_err(|e| e.to_string())?;
    read(request.send().await).await
}
