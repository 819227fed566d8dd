//! Projects persisted in the browser's IndexedDB: one object store, one JSON document per
//! project, each write its own transaction, so a reload or a crash loses nothing saved.

use kiln_protocol::project::Project;
use rexie::{ObjectStore, Rexie, TransactionMode};
use wasm_bindgen::JsValue;

const DB_NAME: &str = "kiln";
const STORE: &str = "projects";

async fn open() -> Result<Rexie, String> {
    Rexie::builder(DB_NAME)
        .version(1)
        .add_object_store(ObjectStore::new(STORE))
        .build()
        .await
        .map_err(|e| format!("cannot open the browser database: {e}"))
}

/// Writes one project (insert or replace).
pub async fn save(project: &Project) -> Result<(), String> {
    let json = serde_json::to_string(project).map_err(|e| e.to_string())?;
    let db = open().await?;
    let tx = db
        .transaction(&[STORE], TransactionMode::ReadWrite)
        .map_err(|e| format!("cannot save: {e}"))?;
    let store = tx.store(STORE).map_err(|e| format!("cannot save: {e}"))?;
    store
        .put(
            &JsValue::from_str(&json),
            Some(&JsValue::from_str(&project.id)),
        )
        .await
        .map_err(|e| format!("cannot save: {e}"))?;
    tx.done().await.map_err(|e| format!("cannot save: {e}"))?;
    db.close();
    Ok(())
}

/// Every saved project, newest first. Unreadable entries are skipped and counted.
pub async fn load_all() -> Result<(Vec<Project>, usize), String> {
    let db = open().await?;
    let tx = db
        .transaction(&[STORE], TransactionMode::ReadOnly)
        .map_err(|e| format!("cannot load projects: {e}"))?;
    let store = tx
        .store(STORE)
        .map_err(|e| format!("cannot load projects: {e}"))?;
    let values = store
        .get_all(None, None)
        .await
        .map_err(|e| format!("cannot load projects: {e}"))?;
    let mut skipped = 0;
    let mut projects: Vec<Project> = values
        .into_iter()
        .filter_map(|v| {
            let parsed = v.as_string().and_then(|s| serde_json::from_str(&s).ok());
            if parsed.is_none() {
                skipped += 1;
            }
            parsed
        })
        .collect();
    db.close();
    projects.sort_by(|a, b| b.updated_at_ms.total_cmp(&a.updated_at_ms));
    Ok((projects, skipped))
}
