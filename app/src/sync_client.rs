//! Talks to the Kiln sync service that served this page (same origin): accounts, projects
//! with optimistic concurrency, and the model registry.

use gloo_net::http::{Request, RequestBuilder, Response};
use kiln_protocol::project::Project;
use kiln_protocol::sync::{
    ApiError, Credentials, ModelUpload, ModelVersionInfo, ProjectEnvelope, ProjectSummary,
    ProjectUpload, Session,
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
    if let Ok(r) = &response
        && (r.status() == 412 || r.status() == 428)
    {
        return Err(PushError::Conflict(
            "the server has a different version of this project".to_string(),
        ));
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
