//! Abuse and failure: body size limits (413), rate limits per token and per address (429
//! with `Retry-After`), and internal failures answered without their details (500).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::http::{StatusCode, header};
use common::{get, put, signup};
use kiln_sync::store::sqlite::SqliteStore;
use kiln_sync::{AppState, Limits, Options, Rate, app, bind, serve_with_shutdown};
use serde_json::json;

const OFF: Rate = Rate {
    per_second: 0,
    burst: 0,
};

fn service(dir: &tempfile::TempDir, limits: &Limits) -> axum::Router {
    let store = SqliteStore::open(&dir.path().join("kiln.db")).unwrap();
    app(AppState::new(Arc::new(store), limits), &Options::default())
}

#[tokio::test]
async fn bodies_over_the_limit_are_refused_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits {
        body_bytes: 4096,
        per_address: OFF,
        per_token: OFF,
    };
    let app = service(&dir, &limits);
    let ada = signup(&app, "ada").await;
    let big = "x".repeat(8000);
    let r = put(
        &app,
        "/api/projects/p1",
        &ada,
        None,
        json!({ "name": "P", "body": { "big": big } }),
    )
    .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    let e = r.error();
    assert_eq!(e.error.kind, "payload_too_large");
    assert!(e.error.message.contains("4 KiB"), "{}", e.error.message);
    let r = get(&app, "/api/projects/p1", Some(&ada)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "nothing was stored");
    let r = put(
        &app,
        "/api/projects/p1",
        &ada,
        None,
        json!({ "name": "P", "body": {} }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "a small body still goes through");
}

#[tokio::test]
async fn a_token_beyond_its_rate_gets_429_and_others_do_not() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits {
        per_address: OFF,
        per_token: Rate {
            per_second: 1,
            burst: 3,
        },
        ..Limits::default()
    };
    let app = service(&dir, &limits);
    let ada = signup(&app, "ada").await;
    let bob = signup(&app, "bob").await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(get(&app, "/api/projects", Some(&ada)).await.status);
    }
    assert_eq!(&statuses[..3], [StatusCode::OK; 3], "the burst is allowed");
    assert_eq!(statuses[4], StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");
    let r = get(&app, "/api/projects", Some(&ada)).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.error().error.kind, "too_many_requests");
    let wait: u64 = r.header(header::RETRY_AFTER).unwrap().parse().unwrap();
    assert!((1..=2).contains(&wait), "Retry-After {wait}");
    assert_eq!(
        get(&app, "/api/projects", Some(&bob)).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_address_beyond_its_rate_gets_429_over_a_real_socket() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits {
        per_address: Rate {
            per_second: 1,
            burst: 5,
        },
        per_token: OFF,
        ..Limits::default()
    };
    let store = SqliteStore::open(&dir.path().join("kiln.db")).unwrap();
    let state = AppState::new(Arc::new(store), &limits);
    let (listener, addr) = bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve_with_shutdown(
        listener,
        state,
        Options::default(),
        async {
            let _ = stopped.await;
        },
    ));
    let http = reqwest::Client::new();
    let mut codes = Vec::new();
    for _ in 0..8 {
        let res = http
            .get(format!("http://{addr}/api/health"))
            .send()
            .await
            .unwrap();
        codes.push(res.status().as_u16());
    }
    assert_eq!(&codes[..5], [200; 5], "{codes:?}");
    assert_eq!(codes[7], 429, "{codes:?}");
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn internal_failures_never_show_their_details() {
    let dir = tempfile::tempdir().unwrap();
    let app = service(&dir, &Limits::default());
    let ada = signup(&app, "ada").await;
    let r = put(
        &app,
        "/api/projects/p1",
        &ada,
        None,
        json!({ "name": "P", "body": {} }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    // Damage the stored document behind the service's back.
    let conn = rusqlite::Connection::open(dir.path().join("kiln.db")).unwrap();
    conn.execute("UPDATE projects SET body = '{not json'", [])
        .unwrap();
    let r = get(&app, "/api/projects/p1", Some(&ada)).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    let e = r.error();
    assert_eq!(e.error.kind, "internal");
    assert_eq!(
        e.error.message,
        "internal server error; details are in the server log"
    );
    let text = String::from_utf8_lossy(&r.body);
    assert!(!text.contains("key must be a string"), "{text}");
}
