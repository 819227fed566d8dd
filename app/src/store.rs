//! Projects persisted in the browser's IndexedDB: one object store, one JSON document per
//! project, each write its own transaction, so a reload or a crash loses nothing saved.

use kiln_protocol::project::{Project, image_store};
use rexie::{Index, ObjectStore, Rexie, TransactionMode};
use wasm_bindgen::JsValue;

const STORE: &str = "projects";

async fn open() -> Result<Rexie, String> {
    Rexie::builder(image_store::DB)
        .version(image_store::VERSION)
        .add_object_store(ObjectStore::new(STORE))
        .add_object_store(
            ObjectStore::new(image_store::STORE)
                .auto_increment(true)
                .add_index(Index::new(image_store::BY_PROJECT, "project")),
        )
        .build()
        .await
        .map_err(|e| format!("cannot open the browser database: {e}"))
}

/// An image on its way into the browser database: its class, its file name, its bytes.
pub struct NewImage {
    pub class: String,
    pub name: String,
    pub blob: web_sys::Blob,
}

/// Stores images of a project, in one transaction: all or none.
pub async fn add_images(project: &str, images: &[NewImage]) -> Result<(), String> {
    let db = open().await?;
    let fail = |e: rexie::Error| format!("cannot store the images: {e}");
    let tx = db
        .transaction(&[image_store::STORE], TransactionMode::ReadWrite)
        .map_err(fail)?;
    let store = tx.store(image_store::STORE).map_err(fail)?;
    for image in images {
        let record = js_sys::Object::new();
        for (key, value) in [
            ("project", JsValue::from_str(project)),
            ("class", JsValue::from_str(&image.class)),
            ("name", JsValue::from_str(&image.name)),
            ("blob", image.blob.clone().into()),
        ] {
            js_sys::Reflect::set(&record, &key.into(), &value)
                .map_err(|e| format!("cannot store the images: {e:?}"))?;
        }
        store.add(&record, None).await.map_err(fail)?;
    }
    tx.done().await.map_err(fail)?;
    db.close();
    Ok(())
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
