//! The inference engine behind `<kiln-predict>` (see `static/embed.js`) and the `Kiln` JS API:
//! it decodes and validates a model artifact, describes its inputs, and scores rows or images
//! (decoded and resized by the page's own browser), using the
//! engine's inference path only, so the download stays small (no training code, no burn).

use std::collections::BTreeMap;

use kiln_engine::artifact::Artifact;
use wasm_bindgen::prelude::*;

/// A loaded model.
#[wasm_bindgen]
pub struct Model {
    artifact: Artifact,
}

#[wasm_bindgen]
impl Model {
    /// Decodes an artifact document (JSON text); throws with the reason if it is not one.
    pub fn load(json: &str) -> Result<Model, JsError> {
        let artifact = Artifact::decode(json).map_err(|e| JsError::new(&e.to_string()))?;
        Ok(Model { artifact })
    }

    /// The side in pixels of the square images an image model takes, or 0 for a table model.
    pub fn image_size(&self) -> usize {
        self.artifact.image.map_or(0, |shape| shape.size)
    }

    /// Classifies one image given as RGBA bytes already resized to `image_size` pixels square
    /// (what a canvas's `getImageData` gives); returns `{label, probabilities}` as JSON.
    pub fn predict_image(&self, rgba: &[u8]) -> Result<String, JsError> {
        let prediction = self
            .artifact
            .predict_rgba(rgba)
            .map_err(|e| JsError::new(&e))?;
        serde_json::to_string(&prediction).map_err(|e| JsError::new(&e.to_string()))
    }

    /// The inputs, as JSON: `[{name, numeric, categories, default}]`.
    pub fn schema(&self) -> Result<String, JsError> {
        serde_json::to_string(&self.artifact.input_schema())
            .map_err(|e| JsError::new(&e.to_string()))
    }

    /// What the model predicts: the target column's name.
    pub fn target(&self) -> String {
        self.artifact.target.clone()
    }

    /// Scores one row given as a JSON object of column name to text; returns
    /// `{label, value, probabilities}` as JSON. Throws naming the bad field.
    pub fn predict(&self, row_json: &str) -> Result<String, JsError> {
        let row = row_of(row_json)?;
        let prediction = self
            .artifact
            .predict(|column| cell(&row, column))
            .map_err(|e| JsError::new(&e.to_string()))?;
        serde_json::to_string(&prediction).map_err(|e| JsError::new(&e.to_string()))
    }

    /// Why the model predicts what it does for one row (as for `predict`): each feature's
    /// contribution, `{method, space, outputs, features, feature_values, expected, prediction,
    /// values, label}` as JSON, where `expected[o] + sum(values[o]) = prediction[o]`.
    pub fn explain(&self, row_json: &str) -> Result<String, JsError> {
        let row = row_of(row_json)?;
        let x = self
            .artifact
            .recipe
            .transform_text(|column| cell(&row, column))
            .map_err(|e| JsError::new(&e.to_string()))?;
        let contributions =
            kiln_engine::explain::contributions(&self.artifact, &x, self.artifact.lineage.seed)
                .map_err(|e| JsError::new(&e.to_string()))?;
        serde_json::to_string(&contributions).map_err(|e| JsError::new(&e.to_string()))
    }
}

fn row_of(row_json: &str) -> Result<BTreeMap<String, serde_json::Value>, JsError> {
    serde_json::from_str(row_json)
        .map_err(|e| JsError::new(&format!("the row is not a JSON object: {e}")))
}

/// A row's cell as text (numbers and booleans as JSON writes them).
fn cell(row: &BTreeMap<String, serde_json::Value>, column: &str) -> Option<String> {
    row.get(column).map(|v| match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    })
}
