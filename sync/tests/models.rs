//! End-to-end tests of the model registry and public artifacts through the in-process router.

// Helpers outside #[test] functions may unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::ops::ControlFlow;

use axum::http::{Method, StatusCode, header};
use common::{get, open, post, send, signup};
use kiln_engine::artifact::Artifact;
use kiln_engine::train::{Family, Task, TrainConfig, prepare, train};
use kiln_protocol::sync::{ModelInfo, ModelSummary, ModelVersionInfo, Stage};
use serde_json::{Value, json};

/// A real model artifact: a linear classifier of the iris sample, trained with `seed`.
fn iris_artifact(seed: u64) -> Value {
    let mut config = TrainConfig::new(Task::Classification, "species", Family::Linear);
    config.seed = seed;
    let text = include_str!("../../static/samples/iris.csv");
    let prepared = prepare("iris.csv", text, &config).unwrap();
    let outcome = train(&prepared, &mut |_| ControlFlow::Continue(())).unwrap();
    serde_json::to_value(&outcome.artifact).unwrap()
}

#[tokio::test]
async fn model_registry_and_public_artifacts() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(&dir);
    let ada = signup(&app, "ada").await;

    let artifact1 = iris_artifact(1);
    let artifact2 = iris_artifact(2);
    assert_ne!(artifact1, artifact2);
    let mut infos = Vec::new();
    for artifact in [&artifact1, &artifact2] {
        let body = json!({ "artifact": artifact, "project_id": "p1", "run_id": "run-7" });
        let r = post(&app, "/api/models/Iris%20model/versions", Some(&ada), body).await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "{}",
            String::from_utf8_lossy(&r.body)
        );
        infos.push(r.json::<ModelVersionInfo>());
    }
    assert_eq!(infos[0].version, 1);
    assert_eq!(infos[1].version, 2);
    for info in &infos {
        assert_eq!(info.name, "Iris model");
        assert_eq!(info.stage, Stage::None);
        assert_eq!(info.public_id.len(), 32);
        assert_eq!(
            info.public_path,
            format!("/api/public/models/{}", info.public_id)
        );
    }
    assert_ne!(infos[0].public_id, infos[1].public_id);

    let other = post(
        &app,
        "/api/models/abc/versions",
        Some(&ada),
        json!({ "artifact": artifact1, "project_id": null, "run_id": null }),
    )
    .await;
    assert_eq!(other.status, StatusCode::CREATED);
    let other: ModelVersionInfo = other.json();
    assert_eq!(other.version, 1);

    let list: Vec<ModelSummary> = get(&app, "/api/models", Some(&ada)).await.json();
    let keys: Vec<(&str, u32, bool)> = list
        .iter()
        .map(|m| (m.name.as_str(), m.latest_version, m.public))
        .collect();
    assert_eq!(keys, [("Iris model", 2, false), ("abc", 1, false)]);

    // Lineage and metrics come from the artifact and the upload.
    let model: ModelInfo = get(&app, "/api/models/Iris%20model", Some(&ada))
        .await
        .json();
    let v1 = &model.versions[0];
    assert_eq!(v1.lineage.project_id.as_deref(), Some("p1"));
    assert_eq!(v1.lineage.run_id.as_deref(), Some("run-7"));
    assert_eq!(v1.lineage.data_hash, artifact1["lineage"]["data_hash"]);
    assert_eq!(v1.lineage.family, "logistic");
    assert_eq!(v1.lineage.training_rows, 120);
    assert!(v1.metrics["accuracy"] > 0.8, "{:?}", v1.metrics);

    // A new model is private: its artifacts are not served until it is marked public.
    let r = get(&app, &infos[0].public_path, None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = send(
        &app,
        Method::PUT,
        "/api/models/Iris%20model/public",
        Some(&ada),
        &[],
        Some(json!({ "public": true }).to_string()),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.json::<ModelInfo>().public);

    // Versions are per account.
    let bob = signup(&app, "bob").await;
    let list: Vec<ModelSummary> = get(&app, "/api/models", Some(&bob)).await.json();
    assert!(list.is_empty());
    let r = get(&app, "/api/models/Iris%20model", Some(&bob)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = post(
        &app,
        "/api/models/abc/versions",
        Some(&bob),
        json!({ "artifact": artifact1, "project_id": null, "run_id": null }),
    )
    .await;
    assert_eq!(r.json::<ModelVersionInfo>().version, 1);

    // Public fetch: no auth, CORS for any origin, exactly the uploaded document.
    let r = send(
        &app,
        Method::GET,
        &infos[0].public_path,
        None,
        &[("origin", "https://blog.example")],
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header(header::ACCESS_CONTROL_ALLOW_ORIGIN), Some("*"));
    assert_eq!(
        r.headers
            .get_all(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .iter()
            .count(),
        1
    );
    assert!(
        r.header(header::CONTENT_TYPE)
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(r.json::<Value>(), artifact1);
    assert_eq!(
        r.body,
        serde_json::to_vec(&artifact1).unwrap(),
        "byte for byte what was uploaded"
    );
    let decoded = Artifact::from_value(r.json()).unwrap();
    assert_eq!(decoded.classes, ["setosa", "versicolor", "virginica"]);
    let r = get(&app, &infos[1].public_path, None).await;
    assert_eq!(r.header(header::ACCESS_CONTROL_ALLOW_ORIGIN), Some("*"));
    assert_eq!(r.json::<Value>(), artifact2);

    let r = get(
        &app,
        "/api/public/models/00000000000000000000000000000000",
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.error().error.kind, "not_found");

    // Bad names and artifacts.
    let r = post(
        &app,
        "/api/models/a%2Fb/versions",
        Some(&ada),
        json!({ "artifact": artifact1, "project_id": null, "run_id": null }),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = post(
        &app,
        "/api/models/abc/versions",
        Some(&ada),
        json!({ "artifact": [1], "project_id": null, "run_id": null }),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.error().error.kind, "invalid_field");
    assert_eq!(r.error().error.field.as_deref(), Some("artifact"));

    // Marking it private again takes the artifacts offline.
    let r = send(
        &app,
        Method::PUT,
        "/api/models/Iris%20model/public",
        Some(&ada),
        &[],
        Some(json!({ "public": false }).to_string()),
    )
    .await;
    assert!(!r.json::<ModelInfo>().public);
    assert_eq!(
        get(&app, &infos[1].public_path, None).await.status,
        StatusCode::NOT_FOUND
    );
}

async fn stage(app: &axum::Router, token: &str, version: u32, stage: &str) -> ModelInfo {
    let r = send(
        app,
        Method::PUT,
        &format!("/api/models/iris/versions/{version}/stage"),
        Some(token),
        &[],
        Some(json!({ "stage": stage, "reason": format!("{stage} v{version}") }).to_string()),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    r.json()
}

fn stages(model: &ModelInfo) -> Vec<Stage> {
    model.versions.iter().map(|v| v.stage).collect()
}

#[tokio::test]
async fn stages_keep_one_production_version_and_roll_back() {
    let dir = tempfile::tempdir().unwrap();
    for (_backend, store) in common::stores(&dir).await {
        let app = common::app_on(store);
        stage_walk(&app).await;
    }
}

async fn stage_walk(app: &axum::Router) {
    let app = app.clone();
    let ada = signup(&app, "ada").await;
    for seed in 1..=3 {
        let body = json!({ "artifact": iris_artifact(seed), "public": true });
        let r = post(&app, "/api/models/iris/versions", Some(&ada), body).await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    let production = "/api/public/models/ada/iris/production";
    let r = get(&app, production, None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "nothing in production yet");

    let model = stage(&app, &ada, 1, "production").await;
    assert_eq!(model.production_path, production);
    let first = get(&app, production, None).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.header(header::ACCESS_CONTROL_ALLOW_ORIGIN), Some("*"));
    assert_eq!(first.header(header::CACHE_CONTROL), Some("no-cache"));
    let etag1 = first.header(header::ETAG).unwrap().to_owned();
    assert_eq!(etag1, format!("\"{}\"", model.versions[0].public_id));
    // Revalidation: unchanged production answers 304 without the artifact.
    let r = send(
        &app,
        Method::GET,
        production,
        None,
        &[("if-none-match", &etag1)],
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_MODIFIED);
    assert!(r.body.is_empty());

    stage(&app, &ada, 2, "staging").await;
    let model = stage(&app, &ada, 2, "production").await;
    assert_eq!(
        stages(&model),
        [Stage::Archived, Stage::Production, Stage::None],
        "promoting 2 archived 1"
    );
    let model = stage(&app, &ada, 3, "production").await;
    assert_eq!(
        stages(&model),
        [Stage::Archived, Stage::Archived, Stage::Production]
    );
    let r = send(
        &app,
        Method::GET,
        production,
        None,
        &[("if-none-match", &etag1)],
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "embeds follow the promotion");
    assert_eq!(
        r.header(header::ETAG).unwrap(),
        format!("\"{}\"", model.versions[2].public_id)
    );

    // Rollback restores 2, then 1; with nothing earlier it is refused.
    let rollback = |reason: &'static str| {
        let app = app.clone();
        let ada = ada.clone();
        async move {
            let body = json!({ "reason": reason });
            post(&app, "/api/models/iris/rollback", Some(&ada), body).await
        }
    };
    let model: ModelInfo = rollback("v3 misbehaves").await.json();
    assert_eq!(
        stages(&model),
        [Stage::Archived, Stage::Production, Stage::Archived]
    );
    let latest = &model.history[0];
    assert_eq!(
        (latest.version, latest.to, latest.rollback),
        (2, Stage::Production, true)
    );
    assert_eq!(latest.reason, "v3 misbehaves");
    assert_eq!(latest.by, "ada");
    let model: ModelInfo = rollback("again").await.json();
    assert_eq!(
        stages(&model),
        [Stage::Production, Stage::Archived, Stage::Archived]
    );
    let r = rollback("once more").await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.error().error.message.contains("nothing to roll back"));

    // A fixed version stays reachable by number and is cached for good.
    let r = get(&app, "/api/public/models/ada/iris/versions/3", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.header(header::CACHE_CONTROL)
            .unwrap()
            .contains("immutable")
    );
    let r = get(&app, "/api/public/models/ada/iris/versions/9", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = send(
        &app,
        Method::PUT,
        "/api/models/iris/versions/9/stage",
        Some(&ada),
        &[],
        Some(json!({ "stage": "staging" }).to_string()),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // The history records every change, newest first.
    let model: ModelInfo = get(&app, "/api/models/iris", Some(&ada)).await.json();
    assert_eq!(model.history.len(), 10);
    assert_eq!(model.history.last().unwrap().reason, "production v1");
}

#[tokio::test]
async fn artifacts_the_engine_refuses_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let app = open(&dir);
    let ada = signup(&app, "ada").await;

    let good = iris_artifact(1);
    let mut damaged = good.clone();
    damaged["classes"] = json!(["setosa", "versicolor"]);
    let mut future = good.clone();
    future["format"] = json!(99);
    let fake = json!({ "format": "kiln-model", "weights": [0.5, -1.25], "n": 1 });
    for (artifact, detail) in [
        (json!({}), "this is not a Kiln model file"),
        (json!([1]), "this is not a Kiln model file"),
        (fake, "this is not a Kiln model file"),
        (future, "model format 99 is not supported"),
        (
            damaged,
            "the model file is damaged: the model gives 3 outputs",
        ),
    ] {
        let expected = Artifact::from_value(artifact.clone()).unwrap_err();
        let body = json!({ "artifact": artifact, "project_id": null, "run_id": null });
        let r = post(&app, "/api/models/iris/versions", Some(&ada), body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{artifact}");
        let e = r.error();
        assert_eq!(e.error.kind, "invalid_field");
        assert_eq!(
            e.error.message,
            format!("the model file is not valid: {expected}")
        );
        assert!(e.error.message.contains(detail), "{}", e.error.message);
    }
    let list: Vec<ModelSummary> = get(&app, "/api/models", Some(&ada)).await.json();
    assert!(list.is_empty(), "nothing was registered");

    let body = json!({ "artifact": good, "project_id": null, "run_id": null });
    let r = post(&app, "/api/models/iris/versions", Some(&ada), body).await;
    assert_eq!(r.status, StatusCode::CREATED);
}
