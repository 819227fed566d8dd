//! Helpers shared by the in-process API tests: sending requests through the router.

// Helpers outside #[test] functions may unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use kiln_protocol::sync::{ApiError, Session};
use kiln_sync::{AppState, app};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tower::ServiceExt;

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("bad JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn error(&self) -> ApiError {
        self.json()
    }

    pub fn header(&self, name: header::HeaderName) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
}

pub async fn send(
    app: &Router,
    method: Method,
    uri: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: Option<String>,
) -> Reply {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(token) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = match body {
        Some(b) => req
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(b))
            .unwrap(),
        None => req.body(Body::empty()).unwrap(),
    };
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

pub async fn get(app: &Router, uri: &str, token: Option<&str>) -> Reply {
    send(app, Method::GET, uri, token, &[], None).await
}

pub async fn post(app: &Router, uri: &str, token: Option<&str>, body: Value) -> Reply {
    send(app, Method::POST, uri, token, &[], Some(body.to_string())).await
}

pub async fn put(
    app: &Router,
    uri: &str,
    token: &str,
    if_match: Option<&str>,
    body: Value,
) -> Reply {
    let headers: Vec<(&str, &str)> = if_match.map(|m| ("if-match", m)).into_iter().collect();
    send(
        app,
        Method::PUT,
        uri,
        Some(token),
        &headers,
        Some(body.to_string()),
    )
    .await
}

pub fn creds(username: &str, password: &str) -> Value {
    json!({ "username": username, "password": password })
}

pub async fn signup(app: &Router, username: &str) -> String {
    let r = post(
        app,
        "/api/auth/signup",
        None,
        creds(username, "s3cret-pass"),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    let s: Session = r.json();
    assert_eq!(s.username, username);
    assert_eq!(s.token.len(), 64);
    s.token
}

pub fn open(dir: &tempfile::TempDir) -> Router {
    app(
        AppState::open(&dir.path().join("kiln.db")).unwrap(),
        &kiln_sync::Options::default(),
    )
}
