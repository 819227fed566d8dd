//! End-to-end tests of projects through the in-process router: optimistic concurrency and
//! per-account ids.

// Helpers outside #[test] functions may unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::{StatusCode, header};
use common::{get, open, put, signup};
use kiln_protocol::sync::{ProjectEnvelope, ProjectSummary};
use serde_json::json;

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
        json!({ "name": "X", "body": {} }),
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
        json!({ "name": "X", "body": {} }),
    )
    .await;
    assert_eq!(r.status, StatusCode::PRECONDITION_REQUIRED);
    assert_eq!(r.error().error.kind, "precondition_required");

    let env: ProjectEnvelope = get(&app, "/api/projects/p1", Some(&ada)).await.json();
    assert_eq!(env.etag, again.etag);
    assert_eq!(env.body, doc2);

    // Another account can neither see nor overwrite it, and is not told it exists.
    let r = get(&app, "/api/projects/p1", Some(&bob)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.error().error.kind, "not_found");
    let missing = get(&app, "/api/projects/never-made", Some(&bob)).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(
        r.error().error.message.replace("p1", "never-made"),
        missing.error().error.message,
        "the same answer as for an id nobody has"
    );
    for tag in [again.etag.as_str(), "*"] {
        let r = put(
            &app,
            "/api/projects/p1",
            &bob,
            Some(tag),
            json!({ "name": "X", "body": {} }),
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(r.error().error.kind, "not_found");
    }
    let list: Vec<ProjectSummary> = get(&app, "/api/projects", Some(&bob)).await.json();
    assert!(list.is_empty());

    // Invalid ids are rejected.
    let r = put(
        &app,
        "/api/projects/bad.id",
        &ada,
        None,
        json!({ "name": "X", "body": {} }),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.error().error.kind, "invalid_input");
}

#[tokio::test]
async fn project_ids_are_per_account() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(&dir);
    let ada = signup(&app, "ada").await;
    let bob = signup(&app, "bob").await;

    let r = put(
        &app,
        "/api/projects/shared-id",
        &ada,
        None,
        json!({ "name": "Ada's", "body": { "owner": "ada" } }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let ada_summary: ProjectSummary = r.json();

    // Bob pushing the same id makes his own project instead of being refused.
    let r = put(
        &app,
        "/api/projects/shared-id",
        &bob,
        None,
        json!({ "name": "Bob's", "body": { "owner": "bob" } }),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    let bob_summary: ProjectSummary = r.json();
    assert_eq!(bob_summary.name, "Bob's");

    // Each sees only their own, and each updates only their own.
    for (token, name, owner) in [(&ada, "Ada's", "ada"), (&bob, "Bob's", "bob")] {
        let list: Vec<ProjectSummary> = get(&app, "/api/projects", Some(token)).await.json();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].name, name);
        let env: ProjectEnvelope = get(&app, "/api/projects/shared-id", Some(token))
            .await
            .json();
        assert_eq!(env.body, json!({ "owner": owner }));
    }
    let r = put(
        &app,
        "/api/projects/shared-id",
        &bob,
        Some(&bob_summary.etag),
        json!({ "name": "Bob's v2", "body": { "v": 2 } }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let env: ProjectEnvelope = get(&app, "/api/projects/shared-id", Some(&ada))
        .await
        .json();
    assert_eq!(env.name, "Ada's");
    assert_eq!(env.etag, ada_summary.etag);
}
