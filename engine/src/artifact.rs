//! The model artifact: everything needed to score new rows, as one serde document — format
//! version, input schema, fitted recipe, fitted model, class labels, holdout scores and lineage.
//! Artifacts arrive from links and servers, so decoding checks size, version and every shape.

use serde::{Deserialize, Serialize};

use crate::data::ColumnType;
use crate::metrics::Scores;
use crate::model::{FittedModel, argmax, softmax};
use crate::recipe::{FittedRecipe, PrepError, upgrade_v1};
use crate::train::Task;

pub const ARTIFACT_FORMAT: u32 = 2;
pub const ARTIFACT_KIND: &str = "kiln-model";
/// Largest artifact document accepted, in bytes.
pub const MAX_ARTIFACT_BYTES: usize = 64 * 1024 * 1024;

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
    pub scores: Scores,
    pub lineage: Lineage,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lineage {
    /// FNV-1a 64-bit hash (hex) of the training file's text.
    pub data_hash: String,
    pub training_rows: usize,
    pub seed: u64,
    pub family: String,
    pub engine_version: String,
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
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    pub label: String,
    pub value: Option<f64>,
    pub probabilities: Vec<(String, f64)>,
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
        if format == 1 {
            // Format 1 differs only in its recipe; convert it.
            let old = value.get("recipe").cloned().unwrap_or_default();
            let recipe = upgrade_v1(old).map_err(ArtifactError::Inconsistent)?;
            let recipe = serde_json::to_value(recipe)
                .map_err(|e| ArtifactError::Inconsistent(e.to_string()))?;
            if let Some(map) = value.as_object_mut() {
                map.insert("recipe".into(), recipe);
                map.insert("format".into(), ARTIFACT_FORMAT.into());
            }
        } else if format != u64::from(ARTIFACT_FORMAT) {
            return Err(ArtifactError::Version {
                found: u32::try_from(format).unwrap_or(u32::MAX),
                supported: ARTIFACT_FORMAT,
            });
        }
        let artifact: Artifact = serde_json::from_value(value)
            .map_err(|e| ArtifactError::Inconsistent(e.to_string()))?;
        artifact.validate()?;
        Ok(artifact)
    }

    fn validate(&self) -> Result<(), ArtifactError> {
        let bad = |m: String| Err(ArtifactError::Inconsistent(m));
        let layers = self.model.layers();
        let (Some(first), Some(last)) = (layers.first(), layers.last()) else {
            return bad("the model has no layers".into());
        };
        if let Some(l) = layers.iter().find(|l| !l.is_consistent()) {
            return bad(format!(
                "a {}x{} layer has the wrong number of weights",
                l.inputs, l.outputs
            ));
        }
        if layers.windows(2).any(|w| w[0].outputs != w[1].inputs) {
            return bad("consecutive layers do not connect".into());
        }
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
        if first.inputs != self.recipe.width() {
            return bad(format!(
                "the recipe makes {} inputs but the model takes {}",
                self.recipe.width(),
                first.inputs
            ));
        }
        let outputs = match self.task {
            Task::Classification => self.classes.len(),
            Task::Regression => 1,
        };
        if self.task == Task::Classification && outputs < 2 {
            return bad("a classifier needs at least two classes".into());
        }
        if last.outputs != outputs {
            return bad(format!(
                "the model gives {} outputs, expected {outputs}",
                last.outputs
            ));
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
            })
            .collect()
    }

    /// Scores one row given as column name to raw text.
    pub fn predict(&self, cell: impl Fn(&str) -> Option<String>) -> Result<Prediction, PrepError> {
        let x = self.recipe.transform_text(cell)?;
        Ok(self.predict_prepared(&x))
    }

    /// Scores one row already transformed by the recipe.
    pub fn predict_prepared(&self, x: &[f64]) -> Prediction {
        let out = self.model.forward(x);
        match self.task {
            Task::Classification => {
                let p = softmax(&out);
                let best = argmax(&p);
                Prediction {
                    label: self.classes.get(best).cloned().unwrap_or_default(),
                    value: None,
                    probabilities: self.classes.iter().cloned().zip(p).collect(),
                }
            }
            Task::Regression => {
                let (mean, scale) = self.target_scale.unwrap_or((0.0, 1.0));
                let v = out.first().copied().unwrap_or(0.0) * scale + mean;
                Prediction {
                    label: format_value(v),
                    value: Some(v),
                    probabilities: Vec::new(),
                }
            }
        }
    }
}

/// A regression value for display: four significant decimals at most.
pub fn format_value(v: f64) -> String {
    let s = format!("{v:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// FNV-1a 64-bit: a fast, stable fingerprint for lineage (not a security hash).
pub fn fingerprint(bytes: &[u8]) -> String {
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("{hash:016x}")
}
