//! The project document: everything the studio keeps about one project. It is what IndexedDB
//! stores, what a share link carries and what the sync service keeps (as opaque JSON).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use crate::profile::DatasetProfile;
use crate::recipe::{ColumnType, Recipe};

/// Format version of [`Project`]; bump on incompatible change.
pub const PROJECT_FORMAT: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Task {
    Classification,
    Regression,
}

impl Task {
    pub fn label(self) -> &'static str {
        match self {
            Task::Classification => "classification",
            Task::Regression => "regression",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Project {
    pub format: u32,
    pub id: String,
    pub name: String,
    pub task: Task,
    pub target: Option<String>,
    pub dataset: Option<Dataset>,
    #[serde(default)]
    pub runs: Vec<RunRecord>,
    #[serde(default)]
    pub registry: Vec<RegisteredModel>,
    /// The preparation recipe edited on the Prepare page; `None` means the default.
    #[serde(default)]
    pub recipe: Option<Recipe>,
    /// Milliseconds since the Unix epoch of the last edit.
    pub updated_at_ms: f64,
}

/// An imported table: its source text (so the project can be re-opened anywhere) and profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    pub file_name: String,
    /// Shared, so copying a project (the studio does so on every read) never copies the data.
    pub text: Arc<str>,
    pub profile: DatasetProfile,
    /// Column types the person chose over the inferred ones.
    #[serde(default)]
    pub types: BTreeMap<String, ColumnType>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// Logistic regression for classification, linear (ridge) regression for regression.
    Linear,
    /// Small multilayer perceptron trained with burn.
    Mlp,
}

impl ModelKind {
    pub fn label(self) -> &'static str {
        match self {
            ModelKind::Linear => "Linear / logistic",
            ModelKind::Mlp => "Neural network (MLP)",
        }
    }
}

/// Where a run is allowed to compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DevicePreference {
    /// WebGPU when the worker finds an adapter, otherwise the CPU.
    Auto,
    Cpu,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainSpec {
    pub task: Task,
    pub target: String,
    pub model: ModelKind,
    pub device: DevicePreference,
    pub seed: u64,
    /// Fraction of rows held out for evaluation (stratified for classification).
    pub holdout: f64,
    pub epochs: u32,
    /// How rows are divided between training and evaluation.
    #[serde(default)]
    pub split: SplitSpec,
    /// Cross-validation folds in addition to the holdout (0 or 1: none).
    #[serde(default)]
    pub cv_folds: u32,
    /// The preparation recipe; `None` uses the default derived from the profile.
    #[serde(default)]
    pub recipe: Option<Recipe>,
}

/// How rows are divided between training and evaluation. Cross-validation folds follow the
/// same rule (stratified folds, group folds, forward-chaining time folds).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum SplitSpec {
    /// Stratified by class for classification, random for regression.
    #[default]
    Auto,
    Random,
    Stratified,
    /// Rows sharing a value of `column` (a customer, a patient) stay on the same side.
    Group {
        column: String,
    },
    /// Train on the past, evaluate on the latest rows by `column`.
    Time {
        column: String,
    },
}

impl SplitSpec {
    pub fn describe(&self) -> String {
        match self {
            SplitSpec::Auto => "automatic (stratified for classes)".into(),
            SplitSpec::Random => "random".into(),
            SplitSpec::Stratified => "stratified by class".into(),
            SplitSpec::Group { column } => format!("grouped by {column}"),
            SplitSpec::Time { column } => format!("by time ({column})"),
        }
    }
}

/// Cross-validation scores: the recipe and model refitted inside each fold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrossValidation {
    /// The metric, e.g. `accuracy` or `rmse`.
    pub metric: String,
    pub folds: Vec<f64>,
    pub mean: f64,
    pub std: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfusionMatrix {
    pub labels: Vec<String>,
    /// `counts[actual][predicted]`.
    pub counts: Vec<Vec<u64>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Metrics {
    Classification {
        accuracy: f64,
        macro_f1: f64,
        confusion: ConfusionMatrix,
        holdout_rows: usize,
    },
    Regression {
        rmse: f64,
        mae: f64,
        r2: f64,
        holdout_rows: usize,
    },
}

/// One training run, as tracked in the project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub id: String,
    pub model: ModelKind,
    /// Human description of the compute device, e.g. `WebGPU (SwiftShader)` or `CPU`.
    pub device: String,
    pub metrics: Metrics,
    pub loss_curve: Vec<f64>,
    /// The trained model artifact (engine JSON document).
    pub artifact: serde_json::Value,
    pub duration_ms: f64,
    pub created_at_ms: f64,
    /// What preparation decided that a person should know (columns left out, ...).
    #[serde(default)]
    pub notes: Vec<String>,
    /// The model's inputs, as a prediction form shows them.
    #[serde(default)]
    pub inputs: Vec<InputField>,
    #[serde(default)]
    pub cv: Option<CrossValidation>,
    /// The recipe the run was trained with, and how it split the rows.
    #[serde(default)]
    pub recipe: Option<Recipe>,
    #[serde(default)]
    pub split: Option<SplitSpec>,
}

/// One input of a trained model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputField {
    pub name: String,
    pub numeric: bool,
    /// The column's type (numbers, a boolean, a date, categories).
    #[serde(default)]
    pub kind: Option<ColumnType>,
    /// Allowed values of a categorical input, sorted; empty for numeric.
    pub categories: Vec<String>,
    /// A sensible default: the training mean, or the first category.
    pub default: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegisteredModel {
    pub name: String,
    pub versions: Vec<RegisteredVersion>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegisteredVersion {
    pub version: u32,
    pub run_id: String,
    pub created_at_ms: f64,
    /// Public artifact path on the sync service once pushed.
    pub public_path: Option<String>,
}
