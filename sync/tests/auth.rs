//! Sessions: expiry, logging out, and brute-force protection on login.

// Helpers outside #[test] functions may unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::{Method, StatusCode};
use common::{creds, get, open, post, send, signup};
use kiln_protocol::sync::Session;

const THIRTY_DAYS_MS: i64 = 30 * 24 * 60 * 60 * 1000;

async fn login(app: &axum::Router, user: &str, pass: &str) -> common::Reply {
    post(app, "/api/auth/login", None, creds(user, pass)).await
}

#[tokio::test]
async fn tokens_expire_after_thirty_days() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(&dir);
    let token = signup(&app, "ada").await;
    assert_eq!(
        get(&app, "/api/projects", Some(&token)).await.status,
        StatusCode::OK
    );

    let db = rusqlite::Connection::open(dir.path().join("kiln.db")).unwrap();
    let (created, expires): (i64, i64) = db
        .query_row(
            "SELECT created_at_ms, expires_at_ms FROM tokens",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    assert_eq!(expires - created, THIRTY_DAYS_MS);

    // Thirty days later (moved back in time rather than waiting).
    db.execute(
        "UPDATE tokens SET created_at_ms = created_at_ms - ?1, expires_at_ms = expires_at_ms - ?1",
        [THIRTY_DAYS_MS],
    )
    .unwrap();
    let r = get(&app, "/api/projects", Some(&token)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let e = r.error();
    assert_eq!(e.error.kind, "unauthorized");
    assert_eq!(e.error.message, "your session has expired; log in again");

    // Logging in again gives a working token, and the expired one is cleaned up.
    let r = login(&app, "ada", "s3cret-pass").await;
    assert_eq!(r.status, StatusCode::OK);
    let fresh = r.json::<Session>().token;
    assert_eq!(
        get(&app, "/api/projects", Some(&fresh)).await.status,
        StatusCode::OK
    );
    let count: i64 = db
        .query_row("SELECT COUNT(*) FROM tokens", [], |row| row.get(0))
        .unwrap();
    assert_eq!(count, 1);
}

#[tokio::test]
async fn logging_out_revokes_only_the_current_token() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(&dir);
    let first = signup(&app, "ada").await;
    let second = login(&app, "ada", "s3cret-pass")
        .await
        .json::<Session>()
        .token;

    let r = send(&app, Method::DELETE, "/api/auth/session", None, &[], None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    let r = send(
        &app,
        Method::DELETE,
        "/api/auth/session",
        Some(&first),
        &[],
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(r.body.is_empty());

    let r = get(&app, "/api/projects", Some(&first)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let e = r.error();
    assert_eq!(e.error.kind, "unauthorized");
    assert!(
        !e.error.message.contains("expired"),
        "a revoked token did not expire: {}",
        e.error.message
    );
    let r = send(
        &app,
        Method::DELETE,
        "/api/auth/session",
        Some(&first),
        &[],
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "already logged out");

    assert_eq!(
        get(&app, "/api/projects", Some(&second)).await.status,
        StatusCode::OK,
        "the other session is untouched"
    );
}

#[tokio::test]
async fn repeated_failed_logins_are_refused_for_a_while() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(&dir);
    signup(&app, "ada").await;
    signup(&app, "bob").await;

    for i in 0..10 {
        let r = login(&app, "ada", "wrong-password").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    // Even the right password is refused now, without being checked.
    for pass in ["s3cret-pass", "wrong-password"] {
        let r = login(&app, "ada", pass).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
        let e = r.error();
        assert_eq!(e.error.kind, "too_many_requests");
        assert_eq!(e.error.message, "too many failed logins; wait 15 minutes");
    }
    // Other accounts are not affected.
    assert_eq!(
        login(&app, "bob", "s3cret-pass").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_successful_login_resets_the_failure_count() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(&dir);
    signup(&app, "ada").await;

    for _ in 0..9 {
        let r = login(&app, "ada", "wrong-password").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        login(&app, "ada", "s3cret-pass").await.status,
        StatusCode::OK
    );
    // Without the reset this would be the tenth failure, locking the account.
    let r = login(&app, "ada", "wrong-password").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        login(&app, "ada", "s3cret-pass").await.status,
        StatusCode::OK
    );
}
