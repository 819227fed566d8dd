//! A project's images, read from the browser database the studio stores them in (one record at
//! a time, so the original files are never all in memory) and decoded and resized here with the
//! browser's own decoders (`createImageBitmap`, `OffscreenCanvas`).

use kiln_engine::images::ImageSet;
use kiln_engine::models::cnn::ImageShape;
use kiln_protocol::project::image_store;
use rexie::{Index, KeyRange, ObjectStore, Rexie, TransactionMode};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    ImageBitmapOptions, OffscreenCanvas, OffscreenCanvasRenderingContext2d, ResizeQuality,
};

fn text(e: impl std::fmt::Debug) -> String {
    format!("{e:?}")
}

async fn open() -> Result<Rexie, String> {
    // The same schema as the studio's (app/src/store.rs), so whichever opens first creates it.
    Rexie::builder(image_store::DB)
        .version(image_store::VERSION)
        .add_object_store(ObjectStore::new("projects"))
        .add_object_store(
            ObjectStore::new(image_store::STORE)
                .auto_increment(true)
                .add_index(Index::new(image_store::BY_PROJECT, "project")),
        )
        .build()
        .await
        .map_err(|e| format!("cannot open the browser database: {e}"))
}

/// Keys of the project's image records.
async fn keys(db: &Rexie, project: &str) -> Result<Vec<JsValue>, String> {
    let tx = db
        .transaction(&[image_store::STORE], TransactionMode::ReadOnly)
        .map_err(|e| e.to_string())?;
    let store = tx.store(image_store::STORE).map_err(|e| e.to_string())?;
    let index = store
        .index(image_store::BY_PROJECT)
        .map_err(|e| e.to_string())?;
    let only = KeyRange::only(&JsValue::from_str(project)).map_err(|e| e.to_string())?;
    index
        .get_all_keys(Some(only), None)
        .await
        .map_err(|e| e.to_string())
}

async fn record(db: &Rexie, key: JsValue) -> Result<Option<JsValue>, String> {
    let tx = db
        .transaction(&[image_store::STORE], TransactionMode::ReadOnly)
        .map_err(|e| e.to_string())?;
    let store = tx.store(image_store::STORE).map_err(|e| e.to_string())?;
    store.get(key).await.map_err(|e| e.to_string())
}

/// Decodes a blob into `[channels, size, size]` values from 0 to 1.
async fn decode(blob: &web_sys::Blob, shape: ImageShape) -> Result<Vec<f32>, String> {
    let scope: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
    let options = ImageBitmapOptions::new();
    options.set_resize_width(shape.size as u32);
    options.set_resize_height(shape.size as u32);
    options.set_resize_quality(ResizeQuality::High);
    let promise = scope
        .create_image_bitmap_with_blob_and_image_bitmap_options(blob, &options)
        .map_err(text)?;
    let bitmap: web_sys::ImageBitmap = JsFuture::from(promise)
        .await
        .map_err(|_| "the browser cannot decode it as an image".to_string())?
        .unchecked_into();
    let size = shape.size as u32;
    let canvas = OffscreenCanvas::new(size, size).map_err(text)?;
    let context: OffscreenCanvasRenderingContext2d = canvas
        .get_context("2d")
        .map_err(text)?
        .ok_or("no 2D canvas in this worker")?
        .unchecked_into();
    context
        .draw_image_with_image_bitmap(&bitmap, 0.0, 0.0)
        .map_err(text)?;
    bitmap.close();
    let rgba = context
        .get_image_data(0.0, 0.0, f64::from(size), f64::from(size))
        .map_err(text)?
        .data();
    shape.values_from_rgba(&rgba)
}

fn field(record: &JsValue, name: &str) -> JsValue {
    js_sys::Reflect::get(record, &name.into()).unwrap_or(JsValue::UNDEFINED)
}

/// Every image of `project`, decoded at `shape`; `progress` hears how many are done.
pub async fn load(
    project: &str,
    shape: ImageShape,
    progress: &dyn Fn(usize, usize),
) -> Result<ImageSet, String> {
    let db = open().await?;
    let keys = keys(&db, project).await?;
    let mut set = ImageSet::new(shape);
    for (i, key) in keys.iter().enumerate() {
        let Some(record) = record(&db, key.clone()).await? else {
            continue;
        };
        let class = field(&record, "class").as_string().unwrap_or_default();
        let name = field(&record, "name").as_string().unwrap_or_default();
        let blob: web_sys::Blob = field(&record, "blob")
            .dyn_into()
            .map_err(|_| format!("the stored image \"{name}\" has no data"))?;
        let values = decode(&blob, shape)
            .await
            .map_err(|e| format!("image \"{name}\" of class \"{class}\": {e}"))?;
        set.push(&class, &values).map_err(|e| e.to_string())?;
        if i % 50 == 0 {
            progress(i, keys.len());
        }
    }
    db.close();
    if set.is_empty() {
        return Err("this project has no images yet: add some on the Data page".into());
    }
    Ok(set)
}
