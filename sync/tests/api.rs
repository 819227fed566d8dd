//! End-to-end tests of accounts and projects through the in-process router.

// Helpers outside #[test] functions may unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::{Method, StatusCode, header};
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

    for (user, pass, needle) in [
        ("ab", "long-enough", "3 to 32"),
        ("Ada", "long-enough", "lowercase"),
        ("a b", "long-enough", "lowercase"),
        ("grace", "short", "at least 8"),
    ] {
        let r = post(&app, "/api/auth/signup", None, creds(user, pass)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{user}/{pass}");
        let e = r.error();
        assert_eq!(e.error.kind, "invalid_input");
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
async fn projects_with_optimistic_concurrency() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(&dir);
    let ada = signup(&app, "ada").await;
    let bob = signup(&app, "bob").await;

    let doc = json!({ "cells": [1, 2, 3], "title": "Iris" });
    let r = put(
        &app,
        "/api/projects/p1",
        &ada,
        None,
        json!({ "name": "Iris", "body": doc }),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    let created: ProjectSummary = r.json();
    assert_eq!(created.id, "p1");
    assert_eq!(created.name, "Iris");
    assert_eq!(
        r.header(header::ETAG),
        Some(format!("\"{}\"", created.etag).as_str())
    );

    std::thread::sleep(std::time::Duration::from_millis(5));
    let r = put(
        &app,
        "/api/projects/p2",
        &ada,
        None,
        json!({ "name": "Two", "body": {} }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);

    let list: Vec<ProjectSummary> = get(&app, "/api/projects", Some(&ada)).await.json();
    let ids: Vec<&str> = list.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["p2", "p1"], "newest first");
    assert_eq!(list[1], created);

    let r = get(&app, "/api/projects/p1", Some(&ada)).await;
    assert_eq!(r.status, StatusCode::OK);
    let env: ProjectEnvelope = r.json();
    assert_eq!(env.body, doc);
    assert_eq!(env.etag, created.etag);
    assert_eq!(
        r.header(header::ETAG),
        Some(format!("\"{}\"", created.etag).as_str())
    );

    // Update with the current etag (quoted, as a browser would echo the header).
    let quoted = format!("\"{}\"", created.etag);
    let doc2 = json!({ "cells": [4], "title": "Iris v2" });
    let r = put(
        &app,
        "/api/projects/p1",
        &ada,
        Some(&quoted),
        json!({ "name": "Iris 2", "body": doc2 }),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    let updated: ProjectSummary = r.json();
    assert_ne!(updated.etag, created.etag);
    assert_eq!(updated.name, "Iris 2");
    let env: ProjectEnvelope = get(&app, "/api/projects/p1", Some(&ada)).await.json();
    assert_eq!(env.body, doc2);
    assert_eq!(env.etag, updated.etag);

    // Same body again still gets a new etag.
    let r = put(
        &app,
        "/api/projects/p1",
        &ada,
        Some(&updated.etag),
        json!({ "name": "Iris 2", "body": doc2 }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let again: ProjectSummary = r.json();
    assert_ne!(again.etag, updated.etag);

    // Stale etag: 412, and nothing changes.
    let r = put(
        &app,
        "/api/projects/p1",
        &ada,
        Some(&created.etag),
        json!({ "name": "X", "body": 0 }),
    )
    .await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED);
    let e = r.error();
    assert_eq!(e.error.kind, "conflict");
    assert!(
        e.error.message.contains("changed elsewhere"),
        "{}",
        e.error.message
    );

    // No If-Match on an existing project: 428.
    let r = put(
        &app,
        "/api/projects/p1",
        &ada,
        None,
        json!({ "name": "X", "body": 0 }),
    )
    .await;
    assert_eq!(r.status, StatusCode::PRECONDITION_REQUIRED);
    assert_eq!(r.error().error.kind, "precondition_required");

    let env: ProjectEnvelope = get(&app, "/api/projects/p1", Some(&ada)).await.json();
    assert_eq!(env.etag, again.etag);
    assert_eq!(env.body, doc2);

    // Another account can neither see nor overwrite it.
    let r = get(&app, "/api/projects/p1", Some(&bob)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.error().error.kind, "not_found");
    let r = put(
        &app,
        "/api/projects/p1",
        &bob,
        Some(&again.etag),
        json!({ "name": "X", "body": 0 }),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.error().error.kind, "forbidden");
    let list: Vec<ProjectSummary> = get(&app, "/api/projects", Some(&bob)).await.json();
    assert!(list.is_empty());

    // Invalid ids are rejected.
    let r = put(
        &app,
        "/api/projects/bad.id",
        &ada,
        None,
        json!({ "name": "X", "body": 0 }),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.error().error.kind, "invalid_input");
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
