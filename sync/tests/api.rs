//! End-to-end tests of accounts, errors and persistence through the in-process router.

// Helpers outside #[test] functions may unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::{Method, StatusCode};
use common::{creds, get, open, post, put, send, signup};
use kiln_protocol::sync::{Health, ProjectEnvelope, ProjectSummary, Session};
use serde_json::json;

#[tokio::test]
async fn health_reports_version() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(&dir);
    let r = get(&app, "/api/health", None).await;
    assert_eq!(r.status, StatusCode::OK);
    let h: Health = r.json();
    assert_eq!(h.status, "ok");
    assert_eq!(h.version, env!("CARGO_PKG_VERSION"));

    let r = get(&app, "/api/no/such/thing", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.error().error.kind, "not_found");
}

#[tokio::test]
async fn signup_login_and_validation() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(&dir);
    let token = signup(&app, "ada").await;

    let r = post(&app, "/api/auth/signup", None, creds("ada", "another-pass")).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.error().error.kind, "conflict");

    let r = post(&app, "/api/auth/login", None, creds("ada", "s3cret-pass")).await;
    assert_eq!(r.status, StatusCode::OK);
    let s: Session = r.json();
    assert_eq!(s.username, "ada");
    assert_ne!(s.token, token, "each login gets a fresh token");
    // Both tokens work.
    for t in [&token, &s.token] {
        assert_eq!(
            get(&app, "/api/projects", Some(t)).await.status,
            StatusCode::OK
        );
    }

    for (user, pass) in [("ada", "wrong-password"), ("nobody", "s3cret-pass")] {
        let r = post(&app, "/api/auth/login", None, creds(user, pass)).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        let e = r.error();
        assert_eq!(e.error.kind, "unauthorized");
        assert_eq!(e.error.message, "wrong username or password");
    }

    for (user, pass, field, needle) in [
        ("ab", "long-enough", "username", "3 to 32"),
        ("Ada", "long-enough", "username", "lowercase"),
        ("a b", "long-enough", "username", "lowercase"),
        ("grace", "short", "password", "at least 8"),
    ] {
        let r = post(&app, "/api/auth/signup", None, creds(user, pass)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{user}/{pass}");
        let e = r.error();
        assert_eq!(e.error.kind, "invalid_field");
        assert_eq!(e.error.field.as_deref(), Some(field));
        assert!(e.error.message.contains(needle), "{}", e.error.message);
    }
}

#[tokio::test]
async fn authentication_is_required() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(&dir);
    let r = get(&app, "/api/projects", None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.error().error.kind, "unauthorized");

    let r = get(&app, "/api/projects", Some("deadbeef")).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.error().error.kind, "unauthorized");

    let r = send(
        &app,
        Method::GET,
        "/api/models",
        None,
        &[("authorization", "Basic x")],
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn malformed_json_gets_api_error() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(&dir);
    let r = send(
        &app,
        Method::POST,
        "/api/auth/signup",
        None,
        &[],
        Some("{\"username\": ".into()),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let e = r.error();
    assert_eq!(e.error.kind, "invalid_input");
    assert!(
        e.error.message.contains("not valid JSON"),
        "{}",
        e.error.message
    );

    let r = send(
        &app,
        Method::POST,
        "/api/auth/login",
        None,
        &[],
        Some("{\"username\": \"ada\"}".into()),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let e = r.error();
    assert_eq!(e.error.kind, "invalid_input");
    assert!(e.error.message.contains("password"), "{}", e.error.message);

    let token = signup(&app, "ada").await;
    let r = send(
        &app,
        Method::PUT,
        "/api/projects/p1",
        Some(&token),
        &[],
        Some("[1, 2".into()),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.error().error.kind, "invalid_input");
}

#[tokio::test]
async fn data_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let etag = {
        let app = open(&dir);
        let token = signup(&app, "ada").await;
        let r = put(
            &app,
            "/api/projects/keep",
            &token,
            None,
            json!({ "name": "Kept", "body": { "x": 1 } }),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK);
        r.json::<ProjectSummary>().etag
    };
    let app = open(&dir);
    let r = post(&app, "/api/auth/login", None, creds("ada", "s3cret-pass")).await;
    assert_eq!(r.status, StatusCode::OK);
    let token = r.json::<Session>().token;
    let env: ProjectEnvelope = get(&app, "/api/projects/keep", Some(&token)).await.json();
    assert_eq!(env.name, "Kept");

    // Tokens and passwords are stored only as hashes.
    let conn = rusqlite::Connection::open(dir.path().join("kiln.db")).unwrap();
    let hashes: Vec<String> = conn
        .prepare("SELECT token_hash FROM tokens")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(hashes.len(), 2);
    assert!(!hashes.contains(&token));
    let password: String = conn
        .query_row("SELECT password_hash FROM users", [], |row| row.get(0))
        .unwrap();
    assert!(password.starts_with("$argon2id$"));
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |row| row.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    assert_eq!(env.etag, etag);
    assert_eq!(env.body, json!({ "x": 1 }));
}
