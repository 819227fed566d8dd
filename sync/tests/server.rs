//! Tests over a real TCP socket: the API and the static studio files.

// Helpers outside #[test] functions may unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::path::PathBuf;

use kiln_protocol::sync::{Health, Session};
use kiln_sync::{AppState, bind, serve_with_shutdown};
use reqwest::StatusCode;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

struct Server {
    base: String,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), kiln_sync::SyncError>>,
    _dir: tempfile::TempDir,
}

impl Server {
    async fn start(dist: Option<PathBuf>) -> Server {
        Server::start_with(kiln_sync::Options {
            dist,
            allowed_origins: vec![kiln_sync::HeaderValue::from_static("https://team.example")],
        })
        .await
    }

    async fn start_with(options: kiln_sync::Options) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let state = AppState::open(&dir.path().join("kiln.db")).unwrap();
        let (listener, addr) = bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap();
        assert_ne!(addr.port(), 0, "bind reports the real port");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve_with_shutdown(listener, state, options, async move {
            let _ = stopped.await;
        }));
        Server {
            base: format!("http://{addr}"),
            stop: Some(stop),
            task,
            _dir: dir,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            stop.send(()).unwrap();
        }
        (&mut self.task).await.unwrap().unwrap();
    }
}

#[tokio::test]
async fn health_and_signup_over_http() {
    let server = Server::start(None).await;
    let client = reqwest::Client::new();

    let res = client.get(server.url("/api/health")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let health: Health = res.json().await.unwrap();
    assert_eq!(health.status, "ok");
    assert_eq!(health.version, env!("CARGO_PKG_VERSION"));

    let res = client
        .post(server.url("/api/auth/signup"))
        .json(&serde_json::json!({ "username": "ada", "password": "s3cret-pass" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let session: Session = res.json().await.unwrap();
    assert_eq!(session.username, "ada");

    let res = client
        .get(server.url("/api/projects"))
        .bearer_auth(&session.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), "[]");

    // Without a dist folder, non-API paths are simply not found.
    let res = client.get(server.url("/")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    server.shutdown().await;
}

#[tokio::test]
async fn serves_studio_files_with_spa_fallback_and_cors() {
    let dist = tempfile::tempdir().unwrap();
    let index = "<!doctype html><title>Kiln</title>";
    let embed = "console.log('kiln embed');";
    std::fs::write(dist.path().join("index.html"), index).unwrap();
    std::fs::write(dist.path().join("embed.js"), embed).unwrap();
    std::fs::write(dist.path().join("kiln-widget_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(dist.path().join("kiln-app_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    let server = Server::start(Some(dist.path().to_path_buf())).await;
    let client = reqwest::Client::new();

    let res = client.get(server.url("/")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert_eq!(res.text().await.unwrap(), index);

    let res = client
        .get(server.url("/some/deep/link"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), index);

    let res = client
        .get(server.url("/embed.js"))
        .header("origin", "https://blog.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("javascript")
    );
    assert_eq!(res.text().await.unwrap(), embed);

    let res = client
        .get(server.url("/kiln-widget_bg.wasm"))
        .header("origin", "https://blog.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/wasm");
    assert_eq!(res.headers()["access-control-allow-origin"], "*");

    // The studio's own files are for this origin only.
    let res = client
        .get(server.url("/kiln-app_bg.wasm"))
        .header("origin", "https://blog.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().get("access-control-allow-origin").is_none());

    // Unknown API paths stay API errors rather than falling back to the studio.
    let res = client.get(server.url("/api/nope")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let err: kiln_protocol::sync::ApiError = res.json().await.unwrap();
    assert_eq!(err.error.kind, "not_found");

    // CORS preflight for an API write from an origin that is not allowed: no grant.
    let res = client
        .request(reqwest::Method::OPTIONS, server.url("/api/projects/p1"))
        .header("origin", "https://other.example")
        .header("access-control-request-method", "PUT")
        .send()
        .await
        .unwrap();
    assert!(res.headers().get("access-control-allow-origin").is_none());

    // ... and from the configured one.
    let res = client
        .request(reqwest::Method::OPTIONS, server.url("/api/projects/p1"))
        .header("origin", "https://team.example")
        .header("access-control-request-method", "PUT")
        .header(
            "access-control-request-headers",
            "authorization, content-type, if-match",
        )
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        "https://team.example"
    );
    let allowed = res.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(
        allowed.contains("if-match") && allowed.contains("authorization"),
        "{allowed}"
    );

    // Logging out (DELETE) is allowed from the configured origin too.
    let res = client
        .request(reqwest::Method::OPTIONS, server.url("/api/auth/session"))
        .header("origin", "https://team.example")
        .header("access-control-request-method", "DELETE")
        .header("access-control-request-headers", "authorization")
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    let methods = res.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .to_uppercase();
    assert!(methods.contains("DELETE"), "{methods}");
    assert!(!methods.contains("PATCH"), "{methods}");

    server.shutdown().await;
}

#[tokio::test]
async fn missing_files_are_not_found_but_deep_links_get_the_studio() {
    let dist = tempfile::tempdir().unwrap();
    let index = "<!doctype html><title>Kiln</title>";
    std::fs::write(dist.path().join("index.html"), index).unwrap();
    std::fs::create_dir(dist.path().join("samples")).unwrap();
    std::fs::write(dist.path().join("samples/iris.csv"), "a,b\n1,2\n").unwrap();
    let server = Server::start(Some(dist.path().to_path_buf())).await;
    let client = reqwest::Client::new();

    for path in [
        "/no-such.js",
        "/kiln-worker_loader.js",
        "/samples/x.csv",
        "/pkg/missing_bg.wasm",
    ] {
        let res = client.get(server.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
        assert_ne!(res.text().await.unwrap(), index, "{path}");
    }
    for path in [
        "/a/deep/link",
        "/projects/abc",
        "/projects/abc/",
        "/models?tab=1",
    ] {
        let res = client.get(server.url(path)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(res.text().await.unwrap(), index, "{path}");
    }
    let res = client
        .get(server.url("/samples/iris.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), "a,b\n1,2\n");

    server.shutdown().await;
}
