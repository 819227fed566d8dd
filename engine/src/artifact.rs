//! The model artifact: everything needed to score new rows, as one serde document — format
//! version, input schema, fitted recipe, fitted model, class labels, holdout scores and lineage.
//! Artifacts arrive from links and servers, so decoding checks size, version and every shape.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::data::ColumnType;
use crate::model::{FittedModel, argmax};
use crate::recipe::{FittedRecipe, PrepError, upgrade_v1};
use crate::train::Task;

/// Format 3 added the classical families, clustering, scalar scores and hyperparameters.
pub const ARTIFACT_FORMAT: u32 = 3;
pub const ARTIFACT_KIND: &str = "kiln-model";
/// Largest artifact document accepted, in bytes (a default 100-tree forest fitted on 80,000
/// rows is about 80 MB of JSON).
pub const MAX_ARTIFACT_BYTES: usize = 256 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Artifact {
    pub format: u32,
    pub kind: String,
    pub task: Task,
    pub target: String,
    pub recipe: FittedRecipe,
    pub model: FittedModel,
    /// Class labels in model output order (sorted); empty for regression.
    pub classes: Vec<String>,
    /// Mean and scale of the regression target (the model predicts it standardised).
    pub target_scale: Option<(f64, f64)>,
    /// Holdout metrics by name (`accuracy`, `f1_macro`, `rmse`, ...).
    pub scores: BTreeMap<String, f64>,
    pub lineage: Lineage,
    /// The image shape a convolutional network takes (its inputs are images, not columns).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<crate::models::cnn::ImageShape>,
    /// What the model keeps of its training data (distributions, feature means, a few
    /// prepared rows) to check drift and explain predictions without the training rows.
    /// Absent in models trained before it was kept and in image models.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<crate::drift::Reference>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lineage {
    /// FNV-1a 64-bit hash (hex) of the training file's text.
    pub data_hash: String,
    pub training_rows: usize,
    pub seed: u64,
    pub family: String,
    pub engine_version: String,
    /// Hyperparameters as given (defaults are not listed).
    #[serde(default)]
    pub params: BTreeMap<String, String>,
}

/// One input a person (or a form) supplies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputField {
    pub name: String,
    pub numeric: bool,
    pub kind: ColumnType,
    /// Allowed values of a categorical input, sorted; empty for numeric.
    pub categories: Vec<String>,
    /// A sensible default: the training mean, or the first category.
    pub default: String,
    /// The smallest and largest training values of a numeric input (dates in seconds since
    /// the epoch); absent in models fitted before they were kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    pub label: String,
    pub value: Option<f64>,
    pub probabilities: Vec<(String, f64)>,
    /// Component scores of a PCA model.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<f64>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ArtifactError {
    #[error("the model file is {bytes} bytes; the limit is {limit}")]
    TooLarge { bytes: usize, limit: usize },
    #[error("this is not a Kiln model file: {0}")]
    NotJson(String),
    #[error("this is not a Kiln model file (kind \"{0}\")")]
    WrongKind(String),
    #[error("model format {found} is not supported; this version reads format {supported}")]
    Version { found: u32, supported: u32 },
    #[error("the model file is damaged: {0}")]
    Inconsistent(String),
}

impl Artifact {
    pub fn encode(&self) -> Result<String, ArtifactError> {
        serde_json::to_string(self).map_err(|e| ArtifactError::NotJson(e.to_string()))
    }

    pub fn decode(text: &str) -> Result<Self, ArtifactError> {
        if text.len() > MAX_ARTIFACT_BYTES {
            return Err(ArtifactError::TooLarge {
                bytes: text.len(),
                limit: MAX_ARTIFACT_BYTES,
            });
        }
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| ArtifactError::NotJson(e.to_string()))?;
        Self::from_value(value)
    }

    pub fn from_value(value: serde_json::Value) -> Result<Self, ArtifactError> {
        let kind = value
            .get("kind")
            .and_then(|k| k.as_str())
            .unwrap_or_default();
        if kind != ARTIFACT_KIND {
            return Err(ArtifactError::WrongKind(kind.to_string()));
        }
        let mut value = value;
        let format = value.get("format").and_then(|f| f.as_u64()).unwrap_or(0);
        match format {
            1 | 2 => upgrade(&mut value, format)?,
            3 => {}
            _ => {
                return Err(ArtifactError::Version {
                    found: u32::try_from(format).unwrap_or(u32::MAX),
                    supported: ARTIFACT_FORMAT,
                });
            }
        }
        let artifact: Artifact = serde_json::from_value(value)
            .map_err(|e| ArtifactError::Inconsistent(e.to_string()))?;
        artifact.validate()?;
        Ok(artifact)
    }

    fn validate(&self) -> Result<(), ArtifactError> {
        let bad = |m: String| Err(ArtifactError::Inconsistent(m));
        for step in &self.recipe.steps {
            if let crate::recipe::FittedStep::Formula { name, expr } = step
                && let Err(e) = crate::formula::Formula::parse(expr)
            {
                return bad(format!("the formula of \"{name}\" does not parse: {e}"));
            }
        }
        if self.recipe.fills.len() != self.recipe.features.len() {
            return bad("the recipe's features and fill values differ in number".into());
        }
        if self.task == Task::Classification && self.classes.len() < 2 {
            return bad("a classifier needs at least two classes".into());
        }
        let outputs = match (&self.task, &self.model) {
            (Task::Classification, _) => self.classes.len(),
            (_, FittedModel::Pca(p)) => p.n_components(),
            _ => 1,
        };
        self.model
            .check(self.recipe.width(), outputs)
            .map_err(ArtifactError::Inconsistent)?;
        if let Some(r) = &self.reference {
            if r.columns.len() != self.recipe.inputs.len() {
                return bad("the training reference does not match the model's inputs".into());
            }
            r.check(self.recipe.width())
                .map_err(ArtifactError::Inconsistent)?;
        }
        Ok(())
    }

    /// The form a person fills in to get a prediction.
    pub fn input_schema(&self) -> Vec<InputField> {
        self.recipe
            .inputs
            .iter()
            .map(|input| InputField {
                name: input.name.clone(),
                numeric: matches!(input.kind, ColumnType::Integer | ColumnType::Float),
                kind: input.kind,
                categories: match input.kind {
                    ColumnType::Boolean => vec!["false".into(), "true".into()],
                    _ => input.categories.clone(),
                },
                default: input.default.clone(),
                min: input.min,
                max: input.max,
            })
            .collect()
    }

    /// Scores one row given as column name to raw text.
    pub fn predict(&self, cell: impl Fn(&str) -> Option<String>) -> Result<Prediction, PrepError> {
        let x = self.recipe.transform_text(cell)?;
        Ok(self.predict_prepared(&x))
    }

    /// Scores one image's values (`[channels, size, size]`, 0 to 1) with an image model.
    pub fn predict_values(&self, values: &[f64]) -> Result<Prediction, String> {
        if values.len() != self.recipe.width() {
            return Err(format!(
                "the model takes {} values per input, {} were given",
                self.recipe.width(),
                values.len()
            ));
        }
        Ok(self.predict_prepared(values))
    }

    /// Scores one image given as RGBA bytes already resized to the model's square size (see
    /// `ImageShape::values_from_rgba`).
    pub fn predict_rgba(&self, rgba: &[u8]) -> Result<Prediction, String> {
        let shape = self
            .image
            .ok_or("this model scores table rows, not images")?;
        let values = shape.values_from_rgba(rgba)?;
        let values: Vec<f64> = values.into_iter().map(f64::from).collect();
        self.predict_values(&values)
    }

    /// Scores one row already transformed by the recipe.
    pub fn predict_prepared(&self, x: &[f64]) -> Prediction {
        self.prediction(self.model.output(x))
    }

    /// [`Artifact::predict_prepared`] of each of `rows` prepared rows laid end to end in `x`.
    pub fn predict_prepared_rows(&self, x: &[f64], rows: usize) -> Vec<Prediction> {
        self.model
            .output_rows(x, rows)
            .into_iter()
            .map(|out| self.prediction(out))
            .collect()
    }

    /// A prediction from the model's outputs for one row.
    fn prediction(&self, out: Vec<f64>) -> Prediction {
        let plain = |label: String, value: Option<f64>| Prediction {
            label,
            value,
            probabilities: Vec::new(),
            components: Vec::new(),
        };
        match (self.task, &self.model) {
            (Task::Classification, _) => {
                let best = argmax(&out);
                Prediction {
                    label: self.classes.get(best).cloned().unwrap_or_default(),
                    value: None,
                    probabilities: self.classes.iter().cloned().zip(out).collect(),
                    components: Vec::new(),
                }
            }
            (Task::Regression, _) => {
                let (mean, scale) = self.target_scale.unwrap_or((0.0, 1.0));
                let v = out.first().copied().unwrap_or(0.0) * scale + mean;
                plain(format_value(v), Some(v))
            }
            (Task::Clustering, FittedModel::Pca(_)) => Prediction {
                components: out,
                ..plain(String::new(), None)
            },
            (Task::Clustering, _) => {
                let c = out.first().copied().unwrap_or(0.0);
                plain(format!("cluster {}", c as usize), Some(c))
            }
        }
    }
}

/// Converts a format-1 or format-2 document: format 1 had an older recipe; both kept scores
/// as a tagged summary instead of metrics by name.
fn upgrade(value: &mut serde_json::Value, format: u64) -> Result<(), ArtifactError> {
    let Some(map) = value.as_object_mut() else {
        return Err(ArtifactError::Inconsistent("not an object".into()));
    };
    if format == 1 {
        let old = map.get("recipe").cloned().unwrap_or_default();
        let recipe = upgrade_v1(old).map_err(ArtifactError::Inconsistent)?;
        let recipe =
            serde_json::to_value(recipe).map_err(|e| ArtifactError::Inconsistent(e.to_string()))?;
        map.insert("recipe".into(), recipe);
    }
    let mut scores = serde_json::Map::new();
    if let Some(old) = map.get("scores").and_then(|s| s.as_object()) {
        for (from, to) in [
            ("accuracy", "accuracy"),
            ("macro_f1", "f1_macro"),
            ("rmse", "rmse"),
            ("mae", "mae"),
            ("r2", "r2"),
        ] {
            if let Some(v) = old.get(from).filter(|v| v.is_number()) {
                scores.insert(to.into(), v.clone());
            }
        }
    }
    map.insert("scores".into(), scores.into());
    map.insert("format".into(), ARTIFACT_FORMAT.into());
    Ok(())
}

/// A regression value for display: four significant decimals at most.
pub fn format_value(v: f64) -> String {
    let s = format!("{v:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// FNV-1a 64-bit: a fast, stable fingerprint for lineage (not a security hash).
pub fn fingerprint(bytes: &[u8]) -> String {
    fingerprint_of(bytes.iter().copied())
}

/// [`fingerprint`] of bytes produced one at a time (no copy of a large input is needed).
pub fn fingerprint_of(bytes: impl Iterator<Item = u8>) -> String {
    let hash = bytes.fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("{hash:016x}")
}
