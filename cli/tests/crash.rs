//! `kiln serve` killed with SIGKILL while writes are in flight, again and again: after every
//! restart the SQLite file passes `PRAGMA integrity_check` and every write the server had
//! acknowledged is there.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

const ROUNDS: u64 = 8;
const WRITERS: usize = 4;

/// Starts `kiln serve` on a free port over `db`; returns the process and its base URL.
fn start(db: &Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kiln"))
        .args(["serve", "--addr", "127.0.0.1:0", "--dist", "no-such-dist"])
        .arg("--db")
        .arg(db)
        .args(["--rate-per-address", "0", "--rate-per-token", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim()
        .strip_prefix("Kiln is running at ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    (child, base)
}

fn integrity(db: &Path) -> String {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap()
}

/// Writes `{"k": 1, 2, ...}` to its own project until the server stops answering, recording
/// the last `k` the server acknowledged.
async fn writer(
    base: String,
    token: String,
    w: usize,
    acked: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let mut k = acked.load(Ordering::SeqCst);
    while !stop.load(Ordering::SeqCst) {
        k += 1;
        let body = json!({ "name": format!("w{w}"), "body": { "k": k, "pad": "x".repeat(2000) } });
        let sent = http
            .put(format!("{base}/api/projects/w{w}"))
            .bearer_auth(&token)
            .header("if-match", "*")
            .json(&body)
            .send()
            .await;
        match sent {
            Ok(res) if res.status().is_success() => acked.store(k, Ordering::SeqCst),
            Ok(res) => panic!("write {k} of w{w} refused: {}", res.status()),
            Err(_) => return,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_writes_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kiln.db");
    let http = reqwest::Client::new();
    let (mut child, base) = start(&db);
    let session: Value = http
        .post(format!("{base}/api/auth/signup"))
        .json(&json!({ "username": "ada", "password": "s3cret-pass" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = session["token"].as_str().unwrap().to_owned();
    for w in 0..WRITERS {
        let res = http
            .put(format!("{base}/api/projects/w{w}"))
            .bearer_auth(&token)
            .json(&json!({ "name": format!("w{w}"), "body": { "k": 0 } }))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success());
    }
    let acked: Vec<Arc<AtomicU64>> = (0..WRITERS).map(|_| Arc::default()).collect();
    let mut base = base;
    for round in 0..ROUNDS {
        let stop = Arc::new(AtomicBool::new(false));
        let tasks: Vec<_> = (0..WRITERS)
            .map(|w| {
                tokio::spawn(writer(
                    base.clone(),
                    token.clone(),
                    w,
                    Arc::clone(&acked[w]),
                    Arc::clone(&stop),
                ))
            })
            .collect();
        // Kill at a different moment each round, with all writers busy.
        tokio::time::sleep(Duration::from_millis(150 + 60 * round)).await;
        child.kill().unwrap();
        child.wait().unwrap();
        stop.store(true, Ordering::SeqCst);
        for task in tasks {
            task.await.unwrap();
        }

        assert_eq!(integrity(&db), "ok", "round {round}");
        let (next, next_base) = start(&db);
        child = next;
        base = next_base;
        for (w, acked) in acked.iter().enumerate() {
            let project: Value = http
                .get(format!("{base}/api/projects/w{w}"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let stored = project["body"]["k"].as_u64().unwrap();
            let acked = acked.load(Ordering::SeqCst);
            // A write in flight at the kill may have landed without its answer arriving.
            assert!(
                stored == acked || stored == acked + 1,
                "round {round}, w{w}: acknowledged {acked}, stored {stored}"
            );
        }
    }
    let total: u64 = acked.iter().map(|a| a.load(Ordering::SeqCst)).sum();
    eprintln!("{ROUNDS} kills, {total} acknowledged writes, none lost");
    assert!(
        total > ROUNDS * WRITERS as u64,
        "writes were in flight at each kill"
    );
    child.kill().unwrap();
    child.wait().unwrap();
}
