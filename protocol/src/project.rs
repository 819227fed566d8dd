//! The project document: everything the studio keeps about one project. It is what IndexedDB
//! stores, what a share link carries and what the sync service keeps (as opaque JSON).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnKind {
    Numeric,
    Categorical,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnProfile {
    pub name: String,
    pub kind: ColumnKind,
    pub missing: usize,
    pub distinct: usize,
}

/// What a person sees right after import: shape, column types, missing counts, first rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetProfile {
    pub rows: usize,
    pub columns: Vec<ColumnProfile>,
    pub preview: Vec<Vec<String>>,
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
}

/// One input of a trained model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputField {
    pub name: String,
    pub numeric: bool,
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
