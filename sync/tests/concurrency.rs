//! Many clients updating one project over a real socket, each with the ETag it read: every
//! update either lands or is refused with 412 and retried, so none is lost silently. Runs on
//! every store.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::net::SocketAddr;

use kiln_protocol::sync::{ProjectEnvelope, Session};
use kiln_sync::{AppState, Limits, Options, Rate, bind, serve_with_shutdown};
use reqwest::StatusCode;
use serde_json::json;

const CLIENTS: usize = 8;
const UPDATES: usize = 10;

/// One client: appends `UPDATES` entries to the project's list, each as a read-modify-write
/// with `If-Match`, retrying when someone else got there first. Returns the 412s it met.
async fn client(base: String, token: String, me: usize) -> usize {
    let http = reqwest::Client::new();
    let url = format!("{base}/api/projects/shared-doc");
    let mut conflicts = 0;
    for n in 0..UPDATES {
        loop {
            let res = http.get(&url).bearer_auth(&token).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            let etag = res.headers()["etag"].to_str().unwrap().to_owned();
            let mut project: ProjectEnvelope = res.json().await.unwrap();
            let entries = project.body["entries"].as_array_mut().unwrap();
            entries.push(json!(format!("{me}-{n}")));
            let res = http
                .put(&url)
                .bearer_auth(&token)
                .header("if-match", &etag)
                .json(&json!({ "name": "Shared", "body": project.body }))
                .send()
                .await
                .unwrap();
            match res.status() {
                StatusCode::OK => break,
                StatusCode::PRECONDITION_FAILED => conflicts += 1,
                other => panic!("unexpected {other}: {}", res.text().await.unwrap()),
            }
        }
    }
    conflicts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_updates_with_etags_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for (backend, store) in common::stores(&dir).await {
        let off = Rate {
            per_second: 0,
            burst: 0,
        };
        let limits = Limits {
            per_address: off,
            per_token: off,
            ..Limits::default()
        };
        let state = AppState::new(store, &limits);
        let (listener, addr) = bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve_with_shutdown(
            listener,
            state,
            Options::default(),
            async move {
                let _ = stopped.await;
            },
        ));
        let base = format!("http://{addr}");
        let http = reqwest::Client::new();
        let session: Session = http
            .post(format!("{base}/api/auth/signup"))
            .json(&json!({ "username": "ada", "password": "s3cret-pass" }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let res = http
            .put(format!("{base}/api/projects/shared-doc"))
            .bearer_auth(&session.token)
            .json(&json!({ "name": "Shared", "body": { "entries": [] } }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);

        let tasks: Vec<_> = (0..CLIENTS)
            .map(|me| tokio::spawn(client(base.clone(), session.token.clone(), me)))
            .collect();
        let mut conflicts = 0;
        for task in tasks {
            conflicts += task.await.unwrap();
        }

        let project: ProjectEnvelope = http
            .get(format!("{base}/api/projects/shared-doc"))
            .bearer_auth(&session.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let entries: Vec<String> = project.body["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_str().unwrap().to_owned())
            .collect();
        let unique: BTreeSet<&String> = entries.iter().collect();
        assert_eq!(
            entries.len(),
            CLIENTS * UPDATES,
            "{backend}: every acknowledged update is in the document exactly once"
        );
        assert_eq!(unique.len(), CLIENTS * UPDATES, "{backend}");
        eprintln!(
            "{backend}: {} updates, {conflicts} refused as stale and retried",
            entries.len()
        );
        stop.send(()).unwrap();
        server.await.unwrap().unwrap();
    }
}
