//! Helpers shared by the in-process API tests: sending requests through the router.

// Helpers outside #[test] functions may unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use kiln_protocol::sync::{ApiError, Session};
use std::sync::Arc;

use kiln_sync::store::Store;
use kiln_sync::store::postgres::PgStore;
use kiln_sync::store::sqlite::SqliteStore;
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

/// The stores the backend tests run on: SQLite in `dir` always, and a fresh PostgreSQL
/// database when `KILN_TEST_POSTGRES_URL` names a server (the test command starts one;
/// with `KILN_REQUIRE_POSTGRES=1` its absence fails the test instead of skipping it).
pub async fn stores(dir: &tempfile::TempDir) -> Vec<(&'static str, Arc<dyn Store>)> {
    let mut stores: Vec<(&'static str, Arc<dyn Store>)> = vec![(
        "sqlite",
        Arc::new(SqliteStore::open(&dir.path().join("kiln.db")).unwrap()),
    )];
    match std::env::var("KILN_TEST_POSTGRES_URL") {
        Ok(url) => {
            let store = tokio::task::spawn_blocking(move || fresh_postgres(&url))
                .await
                .unwrap();
            stores.push(("postgres", Arc::new(store)));
        }
        Err(_) if std::env::var("KILN_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") => {
            panic!("KILN_REQUIRE_POSTGRES=1 but KILN_TEST_POSTGRES_URL is not set")
        }
        Err(_) => eprintln!("KILN_TEST_POSTGRES_URL is not set: testing SQLite only"),
    }
    stores
}

/// A new, empty database on the server at `url`, opened as a store.
fn fresh_postgres(url: &str) -> PgStore {
    let config: postgres::Config = url.parse().unwrap();
    let mut admin = config.connect(postgres::NoTls).unwrap();
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).unwrap();
    let name = format!(
        "kiln_test_{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    );
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap();
    let mut config = config.clone();
    config.dbname(&name);
    PgStore::open_config(config).unwrap()
}

/// The service over `store` with the default limits.
pub fn app_on(store: Arc<dyn Store>) -> Router {
    app(
        AppState::new(store, &kiln_sync::Limits::default()),
        &kiln_sync::Options::default(),
    )
}
