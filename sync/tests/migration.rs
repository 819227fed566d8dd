//! Opening databases written by older versions of the service: their data is kept.

// Helpers outside #[test] functions may unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use argon2::password_hash::PasswordHasher;
use axum::http::StatusCode;
use common::{get, put, signup};
use kiln_protocol::sync::{ProjectEnvelope, ProjectSummary};
use kiln_sync::{AppState, app};
use serde_json::json;
use sha2::{Digest, Sha256};

/// The schema as the first release created it (schema version 1): project ids were global.
const OLD_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    token_hash    TEXT PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS tokens_user ON tokens(user_id);
CREATE TABLE IF NOT EXISTS projects (
    id            TEXT PRIMARY KEY,
    owner_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    body          TEXT NOT NULL,
    revision      INTEGER NOT NULL,
    etag          TEXT NOT NULL,
    updated_at_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS projects_owner ON projects(owner_id, updated_at_ms DESC);
CREATE TABLE IF NOT EXISTS model_versions (
    id            INTEGER PRIMARY KEY,
    owner_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    version       INTEGER NOT NULL,
    stage         TEXT NOT NULL DEFAULT 'none',
    public_id     TEXT NOT NULL UNIQUE,
    artifact      TEXT NOT NULL,
    project_id    TEXT,
    run_id        TEXT,
    created_at_ms INTEGER NOT NULL,
    UNIQUE (owner_id, name, version)
);
";

const FRESH_TOKEN: &str = "a-token-issued-yesterday";
const STALE_TOKEN: &str = "a-token-issued-last-quarter";
const PUBLIC_ID: &str = "0123456789abcdef0123456789abcdef";
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn now_ms() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

/// Writes a database in the old layout with one account (`ada`, password `s3cret-pass`),
/// two tokens, a project `p1` and a model version.
fn write_old_database(path: &Path, user_version: i64) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(OLD_SCHEMA).unwrap();
    let hash = argon2::Argon2::default()
        .hash_password(b"s3cret-pass")
        .unwrap()
        .to_string();
    let now = now_ms();
    conn.execute(
        "INSERT INTO users (id, username, password_hash, created_at_ms) VALUES (7, 'ada', ?1, ?2)",
        rusqlite::params![hash, now - 100 * DAY_MS],
    )
    .unwrap();
    for (token, age_days) in [(FRESH_TOKEN, 1), (STALE_TOKEN, 90)] {
        conn.execute(
            "INSERT INTO tokens (token_hash, user_id, created_at_ms) VALUES (?1, 7, ?2)",
            rusqlite::params![sha256_hex(token), now - age_days * DAY_MS],
        )
        .unwrap();
    }
    conn.execute(
        "INSERT INTO projects (id, owner_id, name, body, revision, etag, updated_at_ms)
         VALUES ('p1', 7, 'Old iris', '{\"cells\":[1,2]}', 3, 'old-etag', 1234)",
        [],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO model_versions (owner_id, name, version, public_id, artifact, created_at_ms)
         VALUES (7, 'iris', 1, ?1, '{\"kind\":\"kiln-model\"}', 1234)",
        [PUBLIC_ID],
    )
    .unwrap();
    conn.pragma_update(None, "user_version", user_version)
        .unwrap();
}

#[tokio::test]
async fn old_databases_keep_their_data() {
    // Version 1 is what the first release wrote; 0 covers files that never recorded one.
    for old_version in [1, 0] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kiln.db");
        write_old_database(&path, old_version);

        let app = app(
            AppState::open(&path).unwrap(),
            &kiln_sync::Options::default(),
        );

        // The old project is still there for its owner, with its etag, via an old token.
        let r = get(&app, "/api/projects/p1", Some(FRESH_TOKEN)).await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "from version {old_version}: {}",
            String::from_utf8_lossy(&r.body)
        );
        let env: ProjectEnvelope = r.json();
        assert_eq!(env.name, "Old iris");
        assert_eq!(env.etag, "old-etag");
        assert_eq!(env.updated_at_ms, 1234);
        assert_eq!(env.body, json!({ "cells": [1, 2] }));

        // Old tokens expire 30 days after they were issued.
        let r = get(&app, "/api/projects", Some(STALE_TOKEN)).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            r.error().error.message,
            "your session has expired; log in again"
        );

        // The password still works, and the project can be updated with its old etag.
        let r = common::post(
            &app,
            "/api/auth/login",
            None,
            common::creds("ada", "s3cret-pass"),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK);
        let r = put(
            &app,
            "/api/projects/p1",
            FRESH_TOKEN,
            Some("old-etag"),
            json!({ "name": "New iris", "body": { "n": 4 } }),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_ne!(r.json::<ProjectSummary>().etag, "old-etag");

        // Another account may now use the same id for its own project.
        let bob = signup(&app, "bob").await;
        let r = put(
            &app,
            "/api/projects/p1",
            &bob,
            None,
            json!({ "name": "Bob's", "body": {} }),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK);
        let env: ProjectEnvelope = get(&app, "/api/projects/p1", Some(FRESH_TOKEN))
            .await
            .json();
        assert_eq!(env.name, "New iris");

        // Registered models are untouched.
        let r = get(&app, &format!("/api/public/models/{PUBLIC_ID}"), None).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(
            r.json::<serde_json::Value>(),
            json!({ "kind": "kiln-model" })
        );

        // The file now records the current version, and opening it again changes nothing.
        drop(app);
        let conn = rusqlite::Connection::open(&path).unwrap();
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .unwrap();
        assert_eq!(version, 3);
        let projects: i64 = conn
            .query_row("SELECT COUNT(*) FROM projects", [], |row| row.get(0))
            .unwrap();
        assert_eq!(projects, 2);
        drop(conn);
        let app = kiln_sync::app(
            AppState::open(&path).unwrap(),
            &kiln_sync::Options::default(),
        );
        let env: ProjectEnvelope = get(&app, "/api/projects/p1", Some(FRESH_TOKEN))
            .await
            .json();
        assert_eq!(env.name, "New iris");
    }
}

#[test]
fn newer_databases_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kiln.db");
    drop(AppState::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let err = AppState::open(&path).unwrap_err();
    assert!(err.to_string().contains("newer"), "{err}");
}
