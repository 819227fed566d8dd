//! The inference engine behind `<kiln-predict>` (`static/embed.js`) and the JS API
//! (`static/kiln.js`): it decodes and validates a model artifact, describes its inputs, and
//! scores rows or images (decoded and resized by the page's own browser), using the engine's
//! inference path only, so the download stays small (no training code, no burn).
//!
//! Row problems come back as data, not exceptions: `{"error": {code, message, field, value,
//! expected, row}}`, so the JS side can throw a typed `KilnError` a host page can act on.

use kiln_engine::artifact::Artifact;
use kiln_engine::data::ColumnType;
use kiln_engine::recipe::PrepError;
use serde::Serialize;
use serde_json::{Map, Value};
use wasm_bindgen::prelude::*;

/// A loaded model.
#[wasm_bindgen]
pub struct Model {
    artifact: Artifact,
}

/// Why a row could not be scored, for the JS API's `KilnError`.
#[derive(Debug, Serialize, PartialEq)]
pub struct RowError {
    /// `missing_field`, `mistyped_field` or `not_a_row`.
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<&'static str>,
    /// The row's index when several were given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<usize>,
}

#[derive(Serialize)]
struct Description<'a> {
    target: &'a str,
    task: &'a str,
    family: &'a str,
    classes: &'a [String],
    image_size: usize,
    schema: Vec<kiln_engine::artifact::InputField>,
}

#[wasm_bindgen]
impl Model {
    /// Decodes an artifact document (JSON text); throws with the reason if it is not one.
    pub fn load(json: &str) -> Result<Model, JsError> {
        let artifact = Artifact::decode(json).map_err(|e| JsError::new(&e.to_string()))?;
        Ok(Model { artifact })
    }

    /// What the model takes and gives, as JSON: `{target, task, family, classes, image_size,
    /// schema: [{name, numeric, kind, categories, default, min?, max?}]}` (`image_size` is the
    /// side in pixels of the square images an image model takes, 0 for a table model).
    pub fn describe(&self) -> String {
        let a = &self.artifact;
        let task = match a.task {
            kiln_engine::train::Task::Classification => "classification",
            kiln_engine::train::Task::Regression => "regression",
            kiln_engine::train::Task::Clustering => "clustering",
        };
        let description = Description {
            target: &a.target,
            task,
            family: &a.lineage.family,
            classes: &a.classes,
            image_size: a.image.map_or(0, |shape| shape.size),
            schema: if a.image.is_some() {
                Vec::new()
            } else {
                a.input_schema()
            },
        };
        serde_json::to_string(&description).unwrap_or_else(|_| "{}".into())
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

    /// Scores a JSON array of rows (objects of column name to value); returns
    /// `{"predictions": [{label, value, probabilities, components?}]}` or `{"error": RowError}`
    /// for the first row that cannot be scored. Every input must be present; `null` or `""`
    /// is a missing value, which the recipe fills as it did in training.
    pub fn predict_rows(&self, rows_json: &str) -> String {
        let result = parse_rows(rows_json).and_then(|rows| {
            rows.iter()
                .enumerate()
                .map(|(i, row)| self.score(row).map_err(|e| RowError { row: Some(i), ..e }))
                .collect::<Result<Vec<_>, _>>()
        });
        match result {
            Ok(predictions) => serde_json::json!({ "predictions": predictions }).to_string(),
            Err(e) => serde_json::json!({ "error": e }).to_string(),
        }
    }

    /// Why the model predicts what it does for one row (as for `predict_rows`): `{"explanation":
    /// {method, space, outputs, features, feature_values, expected, prediction, values,
    /// label}}`, where `expected[o] + sum(values[o]) = prediction[o]`, or `{"error": RowError}`.
    pub fn explain(&self, row_json: &str) -> String {
        let result = parse_rows(&format!("[{row_json}]")).and_then(|rows| {
            let row = rows.first().ok_or_else(|| not_a_row("no row was given"))?;
            let x = self.prepare(row)?;
            kiln_engine::explain::contributions(&self.artifact, &x, self.artifact.lineage.seed)
                .map_err(|e| RowError {
                    code: "not_explainable",
                    message: e.to_string(),
                    field: None,
                    value: None,
                    expected: None,
                    row: None,
                })
        });
        match result {
            Ok(explanation) => serde_json::json!({ "explanation": explanation }).to_string(),
            Err(e) => serde_json::json!({ "error": e }).to_string(),
        }
    }
}

impl Model {
    fn score(
        &self,
        row: &Map<String, Value>,
    ) -> Result<kiln_engine::artifact::Prediction, RowError> {
        let x = self.prepare(row)?;
        Ok(self.artifact.predict_prepared(&x))
    }

    /// The row through the recipe, after checking every input is there with a usable type.
    fn prepare(&self, row: &Map<String, Value>) -> Result<Vec<f64>, RowError> {
        if self.artifact.image.is_some() {
            return Err(not_a_row(
                "this model classifies images: use predictImage with a picture",
            ));
        }
        let mut cells = Vec::with_capacity(self.artifact.recipe.inputs.len());
        for input in &self.artifact.recipe.inputs {
            let value = row.get(&input.name).ok_or_else(|| RowError {
                code: "missing_field",
                message: format!(
                    "the row has no \"{}\" field; give null for a missing value",
                    input.name
                ),
                field: Some(input.name.clone()),
                value: None,
                expected: None,
                row: None,
            })?;
            cells.push((
                input.name.as_str(),
                cell_text(value, &input.name, input.kind)?,
            ));
        }
        let lookup = |column: &str| {
            cells
                .iter()
                .find(|(name, _)| *name == column)
                .and_then(|(_, text)| text.clone())
        };
        self.artifact
            .recipe
            .transform_text(lookup)
            .map_err(|e| match e {
                PrepError::NotNumeric {
                    column,
                    value,
                    expected,
                } => RowError {
                    code: "mistyped_field",
                    message: format!("\"{column}\" must be {expected}, not \"{value}\""),
                    field: Some(column),
                    value: Some(value),
                    expected: Some(expected),
                    row: None,
                },
                other => not_a_row(&other.to_string()),
            })
    }
}

fn not_a_row(message: &str) -> RowError {
    RowError {
        code: "not_a_row",
        message: message.to_string(),
        field: None,
        value: None,
        expected: None,
        row: None,
    }
}

/// A JSON array of objects (or one object) as rows.
fn parse_rows(json: &str) -> Result<Vec<Map<String, Value>>, RowError> {
    let value: Value = serde_json::from_str(json)
        .map_err(|e| not_a_row(&format!("the rows are not JSON: {e}")))?;
    let items = match value {
        Value::Array(items) => items,
        one => vec![one],
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| match item {
            Value::Object(map) => Ok(map),
            other => Err(RowError {
                row: Some(i),
                ..not_a_row(&format!(
                    "a row must be an object of field name to value, not {}",
                    kind_of(&other)
                ))
            }),
        })
        .collect()
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// A field's value as the text the recipe reads: `None` for a missing value (`null` or empty
/// text); numbers and booleans as JSON writes them; lists and objects are refused.
fn cell_text(value: &Value, field: &str, kind: ColumnType) -> Result<Option<String>, RowError> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        other => {
            let expected = match kind {
                ColumnType::Integer | ColumnType::Float => "a number",
                ColumnType::Boolean => "true or false",
                ColumnType::Datetime => "a date",
                ColumnType::Categorical | ColumnType::Text => "text",
            };
            Err(RowError {
                code: "mistyped_field",
                message: format!("\"{field}\" must be {expected}, not {}", kind_of(other)),
                field: Some(field.to_string()),
                value: Some(other.to_string()),
                expected: Some(expected),
                row: None,
            })
        }
    }
}
