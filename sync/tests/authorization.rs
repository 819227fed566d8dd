//! The authorization matrix: the owner of a project and a model, another account, an
//! anonymous caller and a holder of a share token, against every endpoint; every cell's
//! status is asserted, and what another account sees never includes the owner's data. Runs
//! on every store (SQLite, and PostgreSQL when the test command started one).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::ops::ControlFlow;

use axum::Router;
use axum::http::Method;
use common::{Reply, app_on, post, put, send, signup, stores};
use kiln_engine::train::{Family, Task, TrainConfig, prepare, train};
use kiln_protocol::sync::{IssuedToken, ProjectSummary, ShareCreated};
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Actor {
    Anonymous,
    /// Presents the share token as if it were a bearer token.
    Share,
    Other,
    Owner,
}

const ACTORS: [Actor; 4] = [Actor::Anonymous, Actor::Share, Actor::Other, Actor::Owner];

/// What the fixture made: the owner's and the other account's tokens, and ids to aim at.
struct World {
    owner: String,
    other: String,
    share_token: String,
    spare_share: i64,
    spare_token: i64,
    v1_public_id: String,
}

/// A string only the owner's data contains, so a leak to another account is visible.
const SECRET: &str = "ada-secret-7f3a";

fn artifact() -> Value {
    let config = TrainConfig::new(Task::Classification, "species", Family::Linear);
    let text = include_str!("../../static/samples/iris.csv");
    let prepared = prepare("iris.csv", text, &config).unwrap();
    let outcome = train(&prepared, &mut |_| ControlFlow::Continue(())).unwrap();
    serde_json::to_value(&outcome.artifact).unwrap()
}

async fn world(app: &Router, artifact: &Value) -> World {
    let owner = signup(app, "ada").await;
    let other = signup(app, "bob").await;
    for id in ["p1", "p-del"] {
        let body = json!({ "name": SECRET, "body": { "note": SECRET } });
        let r = put(app, &format!("/api/projects/{id}"), &owner, None, body).await;
        assert_eq!(r.status.as_u16(), 200);
    }
    let share: ShareCreated = post(app, "/api/projects/p1/shares", Some(&owner), json!({}))
        .await
        .json();
    let spare: ShareCreated = post(app, "/api/projects/p1/shares", Some(&owner), json!({}))
        .await
        .json();
    let token: IssuedToken = post(
        app,
        "/api/auth/tokens",
        Some(&owner),
        json!({ "label": SECRET }),
    )
    .await
    .json();
    let mut v1_public_id = String::new();
    for n in 1..=2 {
        let body = json!({ "artifact": artifact, "project_id": "p1", "public": true });
        let r = post(app, "/api/models/iris/versions", Some(&owner), body).await;
        assert_eq!(r.status.as_u16(), 201);
        if n == 1 {
            v1_public_id = r.json::<Value>()["public_id"].as_str().unwrap().to_owned();
        }
    }
    let r = send(
        app,
        Method::PUT,
        "/api/models/iris/versions/1/stage",
        Some(&owner),
        &[],
        Some(json!({ "stage": "production" }).to_string()),
    )
    .await;
    assert_eq!(r.status.as_u16(), 200);
    World {
        owner,
        other,
        share_token: share.token,
        spare_share: spare.id,
        spare_token: token.id,
        v1_public_id,
    }
}

/// One endpoint: how to call it, and the status each actor must get.
struct Cell {
    method: Method,
    path: String,
    body: Option<Value>,
    headers: Vec<(&'static str, &'static str)>,
    /// Anonymous, share token, other account, owner.
    expect: [u16; 4],
}

fn cell(method: Method, path: impl Into<String>, body: Option<Value>, expect: [u16; 4]) -> Cell {
    Cell {
        method,
        path: path.into(),
        body,
        headers: Vec::new(),
        expect,
    }
}

/// Every endpoint, in an order where each owner call leaves what later cells need (the
/// destructive ones aim at spare resources; logging out comes last).
fn cells(w: &World, artifact: &Value) -> Vec<Cell> {
    let open = [200, 200, 200, 200];
    let private = |ok: u16| [401, 401, 404, ok];
    let own_namespace = |ok: u16| [401, 401, ok, ok];
    let public_id = &w.v1_public_id;
    let mut project_put = cell(
        Method::PUT,
        "/api/projects/p1",
        Some(json!({ "name": SECRET, "body": { "note": SECRET, "v": 2 } })),
        private(200),
    );
    project_put.headers.push(("if-match", "*"));
    vec![
        cell(Method::GET, "/api/health", None, open),
        cell(Method::GET, "/api/version", None, open),
        cell(Method::GET, "/api/openapi.json", None, open),
        // Anyone may sign up; the same name a second time is taken.
        cell(
            Method::POST,
            "/api/auth/signup",
            Some(json!({ "username": "carol", "password": "s3cret-pass" })),
            [201, 409, 409, 409],
        ),
        cell(
            Method::POST,
            "/api/auth/login",
            Some(json!({ "username": "ada", "password": "s3cret-pass" })),
            open,
        ),
        cell(Method::GET, "/api/auth/tokens", None, own_namespace(200)),
        cell(
            Method::POST,
            "/api/auth/tokens",
            Some(json!({ "label": "script" })),
            own_namespace(201),
        ),
        cell(
            Method::DELETE,
            format!("/api/auth/tokens/{}", w.spare_token),
            None,
            private(204),
        ),
        cell(Method::GET, "/api/projects", None, own_namespace(200)),
        cell(Method::GET, "/api/projects/p1", None, private(200)),
        project_put,
        cell(Method::DELETE, "/api/projects/p-del", None, private(204)),
        cell(Method::GET, "/api/projects/p1/shares", None, private(200)),
        cell(
            Method::POST,
            "/api/projects/p1/shares",
            Some(json!({ "label": "x" })),
            private(201),
        ),
        cell(
            Method::DELETE,
            format!("/api/projects/p1/shares/{}", w.spare_share),
            None,
            private(204),
        ),
        cell(
            Method::GET,
            format!("/api/shared/{}", w.share_token),
            None,
            open,
        ),
        cell(Method::GET, "/api/models", None, own_namespace(200)),
        cell(Method::GET, "/api/models/iris", None, private(200)),
        cell(
            Method::POST,
            "/api/models/fresh/versions",
            Some(json!({ "artifact": artifact })),
            own_namespace(201),
        ),
        cell(
            Method::PUT,
            "/api/models/iris/versions/2/stage",
            Some(json!({ "stage": "production" })),
            private(200),
        ),
        cell(
            Method::POST,
            "/api/models/iris/rollback",
            Some(json!({ "reason": "test" })),
            private(200),
        ),
        cell(
            Method::PUT,
            "/api/models/iris/public",
            Some(json!({ "public": true })),
            private(200),
        ),
        cell(
            Method::GET,
            format!("/api/public/models/{public_id}"),
            None,
            open,
        ),
        cell(
            Method::GET,
            "/api/public/models/ada/iris/production",
            None,
            open,
        ),
        cell(
            Method::GET,
            "/api/public/models/ada/iris/versions/2",
            None,
            open,
        ),
        cell(
            Method::DELETE,
            "/api/auth/session",
            None,
            own_namespace(204),
        ),
    ]
}

async fn call(app: &Router, w: &World, actor: Actor, c: &Cell) -> Reply {
    let token = match actor {
        Actor::Anonymous => None,
        Actor::Share => Some(w.share_token.as_str()),
        Actor::Other => Some(w.other.as_str()),
        Actor::Owner => Some(w.owner.as_str()),
    };
    let body = c.body.as_ref().map(Value::to_string);
    send(app, c.method.clone(), &c.path, token, &c.headers, body).await
}

#[tokio::test]
async fn every_endpoint_answers_each_kind_of_caller_as_it_should() {
    let dir = tempfile::tempdir().unwrap();
    let artifact = artifact();
    for (backend, store) in stores(&dir).await {
        let app = app_on(store);
        let w = world(&app, &artifact).await;
        let cells = cells(&w, &artifact);
        let mut failures = Vec::new();
        for c in &cells {
            for (i, actor) in ACTORS.into_iter().enumerate() {
                let r = call(&app, &w, actor, c).await;
                let body = String::from_utf8_lossy(&r.body);
                if r.status.as_u16() != c.expect[i] {
                    failures.push(format!(
                        "{backend}: {actor:?} {} {} gave {} (expected {}): {body}",
                        c.method, c.path, r.status, c.expect[i]
                    ));
                }
                let public =
                    c.path.starts_with("/api/public/") || c.path.starts_with("/api/shared/");
                if actor != Actor::Owner && !public && body.contains(SECRET) {
                    failures.push(format!(
                        "{backend}: {actor:?} {} {} saw the owner's data: {body}",
                        c.method, c.path
                    ));
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));

        // The owner's project holds the owner's last write, not anyone else's.
        let login = post(
            &app,
            "/api/auth/login",
            None,
            json!({ "username": "ada", "password": "s3cret-pass" }),
        )
        .await;
        let token = login.json::<Value>()["token"].as_str().unwrap().to_owned();
        let list: Vec<ProjectSummary> = common::get(&app, "/api/projects", Some(&token))
            .await
            .json();
        let ids: Vec<&str> = list.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["p1"], "{backend}: p-del is gone for good");
        let p1: Value = common::get(&app, "/api/projects/p1", Some(&token))
            .await
            .json();
        assert_eq!(p1["body"]["v"], 2, "{backend}");
        // Logging out revoked the session it was sent with.
        let r = common::get(&app, "/api/projects", Some(&w.owner)).await;
        assert_eq!(r.status.as_u16(), 401, "{backend}");
    }
}
