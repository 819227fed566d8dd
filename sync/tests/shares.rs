//! Tokens that can be listed and revoked, read-only share tokens, and deleting a project
//! for good. Runs on every store.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::{Method, StatusCode};
use common::{app_on, get, post, put, send, signup, stores};
use kiln_protocol::sync::{IssuedToken, ProjectEnvelope, ShareCreated, ShareInfo, TokenInfo};
use serde_json::json;

async fn delete(app: &axum::Router, uri: &str, token: &str) -> StatusCode {
    send(app, Method::DELETE, uri, Some(token), &[], None)
        .await
        .status
}

#[tokio::test]
async fn tokens_are_listed_and_revoked_one_by_one() {
    let dir = tempfile::tempdir().unwrap();
    for (backend, store) in stores(&dir).await {
        let app = app_on(store);
        let session = signup(&app, "ada").await;
        let r = post(
            &app,
            "/api/auth/tokens",
            Some(&session),
            json!({ "label": "nightly job" }),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{backend}");
        let script: IssuedToken = r.json();
        assert_eq!(script.token.len(), 64);
        let r = post(
            &app,
            "/api/auth/tokens",
            Some(&session),
            json!({ "label": " " }),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{backend}");
        assert_eq!(r.error().error.field.as_deref(), Some("label"));

        let list: Vec<TokenInfo> = get(&app, "/api/auth/tokens", Some(&session)).await.json();
        let labels: Vec<(&str, bool)> =
            list.iter().map(|t| (t.label.as_str(), t.current)).collect();
        assert_eq!(
            labels,
            [("nightly job", false), ("session", true)],
            "{backend}"
        );
        let list: Vec<TokenInfo> = get(&app, "/api/auth/tokens", Some(&script.token))
            .await
            .json();
        assert!(
            list.iter().any(|t| t.id == script.id && t.current),
            "{backend}"
        );

        // Revoking the script's token stops it at once; the session goes on.
        let uri = format!("/api/auth/tokens/{}", script.id);
        assert_eq!(delete(&app, &uri, &session).await, StatusCode::NO_CONTENT);
        let r = get(&app, "/api/projects", Some(&script.token)).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{backend}");
        assert_eq!(
            get(&app, "/api/projects", Some(&session)).await.status,
            StatusCode::OK
        );
        assert_eq!(
            delete(&app, &uri, &session).await,
            StatusCode::NOT_FOUND,
            "{backend}"
        );
    }
}

#[tokio::test]
async fn share_tokens_open_one_project_read_only_until_revoked() {
    let dir = tempfile::tempdir().unwrap();
    for (backend, store) in stores(&dir).await {
        let app = app_on(store);
        let ada = signup(&app, "ada").await;
        let body = json!({ "name": "Iris", "body": { "cells": [1, 2] } });
        assert_eq!(
            put(&app, "/api/projects/p1", &ada, None, body).await.status,
            StatusCode::OK
        );
        let r = post(
            &app,
            "/api/projects/p1/shares",
            Some(&ada),
            json!({ "label": "for Grace" }),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{backend}");
        let share: ShareCreated = r.json();
        assert_eq!(share.studio_path, format!("/#shared={}", share.token));
        let second: ShareCreated = post(&app, "/api/projects/p1/shares", Some(&ada), json!({}))
            .await
            .json();

        // Anyone with the token reads the project, without an account.
        let r = get(&app, &format!("/api/shared/{}", share.token), None).await;
        assert_eq!(r.status, StatusCode::OK, "{backend}");
        let project: ProjectEnvelope = r.json();
        assert_eq!(
            (project.name.as_str(), &project.body["cells"]),
            ("Iris", &json!([1, 2]))
        );
        // The share token is no bearer token: it cannot list or change anything.
        let r = get(&app, "/api/projects", Some(&share.token)).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{backend}");

        let list: Vec<ShareInfo> = get(&app, "/api/projects/p1/shares", Some(&ada))
            .await
            .json();
        let labels: Vec<&str> = list.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(labels, ["", "for Grace"], "{backend}");
        let uri = format!("/api/projects/p1/shares/{}", share.id);
        assert_eq!(delete(&app, &uri, &ada).await, StatusCode::NO_CONTENT);
        let r = get(&app, &format!("/api/shared/{}", share.token), None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{backend}: revoked");
        assert!(r.error().error.message.contains("revoked"));
        let r = get(&app, "/api/shared/not-a-token", None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{backend}");

        // Deleting the project (with a stale If-Match first) takes its shares with it.
        let r = send(
            &app,
            Method::DELETE,
            "/api/projects/p1",
            Some(&ada),
            &[("if-match", "\"old\"")],
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::PRECONDITION_FAILED, "{backend}");
        assert_eq!(
            delete(&app, "/api/projects/p1", &ada).await,
            StatusCode::NO_CONTENT
        );
        let r = get(&app, &format!("/api/shared/{}", second.token), None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{backend}");
        assert_eq!(
            get(&app, "/api/projects/p1", Some(&ada)).await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            delete(&app, "/api/projects/p1", &ada).await,
            StatusCode::NOT_FOUND
        );
        // The id is free again: creating it starts a new project.
        let body = json!({ "name": "Again", "body": {} });
        assert_eq!(
            put(&app, "/api/projects/p1", &ada, None, body).await.status,
            StatusCode::OK
        );
    }
}
