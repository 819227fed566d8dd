//! The project document: everything the studio keeps about one project. It is what IndexedDB
//! stores, what a share link carries and what the sync service keeps (as opaque JSON).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use crate::evaluation::Report;
pub use crate::profile::DatasetProfile;
use crate::recipe::{ColumnType, Recipe};

/// Format version of [`Project`]; bump on incompatible change.
pub const PROJECT_FORMAT: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Task {
    Classification,
    Regression,
    /// Unsupervised: k-means clusters, PCA components.
    Clustering,
}

impl Task {
    pub const ALL: [Task; 3] = [Task::Classification, Task::Regression, Task::Clustering];

    pub fn label(self) -> &'static str {
        match self {
            Task::Classification => "classification",
            Task::Regression => "regression",
            Task::Clustering => "clustering",
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
    /// Images added per class (the images themselves stay in the browser's database).
    #[serde(default)]
    pub images: BTreeMap<String, usize>,
    /// Milliseconds since the Unix epoch of the last edit.
    pub updated_at_ms: f64,
}

/// Where the studio keeps a project's images: the browser database's name and version, and an
/// object store of `{project, class, name, blob}` records indexed by `project`. The studio adds
/// them; its engine worker reads them to train.
pub mod image_store {
    pub const DB: &str = "kiln";
    pub const VERSION: u32 = 2;
    pub const STORE: &str = "images";
    pub const BY_PROJECT: &str = "project";
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

/// A model family, by the name the command line uses (`--model NAME`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// Least squares; on classes, logistic regression.
    Linear,
    Ridge,
    Lasso,
    ElasticNet,
    Logistic,
    Tree,
    Forest,
    Gbdt,
    Knn,
    NaiveBayes,
    #[serde(rename = "kmeans")]
    KMeans,
    Pca,
    /// Multilayer perceptron trained with burn.
    Mlp,
    /// Convolutional network on images, trained with burn.
    Cnn,
}

impl ModelKind {
    /// The families that learn from tables (every family but the image network).
    pub const ALL: [ModelKind; 13] = [
        ModelKind::Linear,
        ModelKind::Ridge,
        ModelKind::Lasso,
        ModelKind::ElasticNet,
        ModelKind::Logistic,
        ModelKind::Tree,
        ModelKind::Forest,
        ModelKind::Gbdt,
        ModelKind::Knn,
        ModelKind::NaiveBayes,
        ModelKind::KMeans,
        ModelKind::Pca,
        ModelKind::Mlp,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ModelKind::Linear => "Linear / logistic",
            ModelKind::Ridge => "Ridge regression",
            ModelKind::Lasso => "Lasso",
            ModelKind::ElasticNet => "Elastic net",
            ModelKind::Logistic => "Logistic regression",
            ModelKind::Tree => "Decision tree",
            ModelKind::Forest => "Random forest",
            ModelKind::Gbdt => "Gradient boosting",
            ModelKind::Knn => "k-nearest neighbours",
            ModelKind::NaiveBayes => "Naive Bayes",
            ModelKind::KMeans => "k-means",
            ModelKind::Pca => "PCA",
            ModelKind::Mlp => "Neural network (MLP)",
            ModelKind::Cnn => "Convolutional network (images)",
        }
    }

    /// The name on the command line and in forms.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Linear => "linear",
            ModelKind::Ridge => "ridge",
            ModelKind::Lasso => "lasso",
            ModelKind::ElasticNet => "elastic_net",
            ModelKind::Logistic => "logistic",
            ModelKind::Tree => "tree",
            ModelKind::Forest => "forest",
            ModelKind::Gbdt => "gbdt",
            ModelKind::Knn => "knn",
            ModelKind::NaiveBayes => "naive_bayes",
            ModelKind::KMeans => "kmeans",
            ModelKind::Pca => "pca",
            ModelKind::Mlp => "mlp",
            ModelKind::Cnn => "cnn",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .chain([ModelKind::Cnn])
            .find(|k| k.name() == name)
    }

    /// Whether the family learns from images rather than a table.
    pub fn images(self) -> bool {
        self == ModelKind::Cnn
    }

    /// A name as a person types it: any case, `-` for `_` (`Naive-Bayes`).
    pub fn parse(name: &str) -> Option<Self> {
        Self::from_name(&name.trim().to_ascii_lowercase().replace('-', "_"))
    }

    /// The tasks the family learns.
    pub fn tasks(self) -> Vec<Task> {
        Task::ALL
            .into_iter()
            .filter(|t| self.supports(*t))
            .collect()
    }

    /// The families that learn `task`.
    pub fn for_task(task: Task) -> Vec<ModelKind> {
        Self::ALL.into_iter().filter(|k| k.supports(task)).collect()
    }

    /// Whether the learner takes missing values as they are (the default recipe then leaves
    /// them missing instead of imputing).
    pub fn handles_missing(self) -> bool {
        self == ModelKind::Gbdt
    }

    /// Whether the family needs a target column.
    pub fn supervised(self) -> bool {
        !matches!(self, ModelKind::KMeans | ModelKind::Pca)
    }

    /// Whether the family learns `task`.
    pub fn supports(self, task: Task) -> bool {
        use ModelKind::*;
        match task {
            Task::Classification => matches!(
                self,
                Linear | Logistic | Tree | Forest | Gbdt | Knn | NaiveBayes | Mlp | Cnn
            ),
            Task::Regression => matches!(
                self,
                Linear | Ridge | Lasso | ElasticNet | Tree | Forest | Gbdt | Knn | Mlp
            ),
            Task::Clustering => matches!(self, KMeans | Pca),
        }
    }
}

/// Where a run is allowed to compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DevicePreference {
    /// WebGPU when the worker finds an adapter and a short benchmark of the model finds it
    /// faster than the CPU; otherwise the CPU.
    Auto,
    Cpu,
    /// WebGPU whenever an adapter exists, without benchmarking.
    Gpu,
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
    /// Hyperparameters by name, as written (`max_depth` → `6`).
    #[serde(default)]
    pub params: BTreeMap<String, String>,
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
    /// Rows whose `column` is true (true, yes, 1 or test) are the test rows; the column is
    /// never a feature.
    Predefined {
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
            SplitSpec::Predefined { column } => format!("test rows marked by {column}"),
        }
    }
}

/// Cross-validation scores: the recipe and model refitted inside each fold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrossValidation {
    /// The headline metric, e.g. `accuracy` or `rmse`.
    pub metric: String,
    /// The headline metric in each fold.
    pub folds: Vec<f64>,
    pub mean: f64,
    pub std: f64,
    /// Every metric's mean and standard deviation over the folds.
    #[serde(default)]
    pub summary: BTreeMap<String, MeanStd>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MeanStd {
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
    /// Test-row metrics by name (`accuracy`, `f1_macro`, `rmse`, `silhouette`, ...).
    #[serde(default)]
    pub scores: BTreeMap<String, f64>,
    /// The summary older runs kept instead of `scores`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<Metrics>,
    pub loss_curve: Vec<f64>,
    /// The trained model artifact (engine JSON document); null for a search trial, which keeps
    /// only its scores. Shared, so copying a project never copies models.
    pub artifact: Arc<serde_json::Value>,
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
    #[serde(default)]
    pub task: Option<Task>,
    #[serde(default)]
    pub target: Option<String>,
    /// Hyperparameters as given (defaults are not listed).
    #[serde(default)]
    pub params: BTreeMap<String, String>,
    #[serde(default)]
    pub seed: Option<u64>,
    /// Fingerprint of the training data's text.
    #[serde(default)]
    pub data_hash: Option<String>,
    #[serde(default)]
    pub engine_version: Option<String>,
    /// The full test-row evaluation (curves, confusion matrix, baseline).
    #[serde(default)]
    pub evaluation: Option<Arc<Report>>,
    /// The hyperparameter search this run was a trial of.
    #[serde(default)]
    pub search: Option<String>,
    /// Milliseconds spent fitting the model alone (no parsing, recipe or scoring).
    #[serde(default)]
    pub fit_ms: Option<f64>,
    /// Per-epoch curves of a neural network's training.
    #[serde(default)]
    pub history: Option<TrainingHistory>,
    /// The share of rows held out for evaluation (what Explain measures on again).
    #[serde(default)]
    pub holdout: Option<f64>,
}

/// One finished epoch of neural-network training.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochStats {
    /// 1-based.
    pub epoch: u32,
    pub train_loss: f64,
    /// Loss on the rows kept aside for validation, when there are some.
    pub val_loss: Option<f64>,
    /// The history's metric on the training batches (as they were seen, during the epoch).
    pub train_metric: f64,
    pub val_metric: Option<f64>,
    pub learning_rate: f64,
    pub ms: f64,
    /// The device that ran the epoch, e.g. `CPU` or `WebGPU`.
    pub device: String,
}

/// How a neural network trained, epoch by epoch.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainingHistory {
    /// `accuracy` (classification) or `rmse` (regression, in target units).
    pub metric: String,
    pub epochs: Vec<EpochStats>,
    /// The epoch whose weights were kept (the best validation loss under early stopping).
    pub best_epoch: Option<u32>,
    /// Why training ended before the last epoch, if it did.
    pub stopped: Option<String>,
}

impl RunRecord {
    /// A test metric by name, from the scores or an older run's summary.
    pub fn score(&self, name: &str) -> Option<f64> {
        if let Some(v) = self.scores.get(name) {
            return Some(*v);
        }
        match (&self.metrics, name) {
            (Some(Metrics::Classification { accuracy, .. }), "accuracy") => Some(*accuracy),
            (Some(Metrics::Classification { macro_f1, .. }), "f1_macro") => Some(*macro_f1),
            (Some(Metrics::Regression { rmse, .. }), "rmse") => Some(*rmse),
            (Some(Metrics::Regression { mae, .. }), "mae") => Some(*mae),
            (Some(Metrics::Regression { r2, .. }), "r2") => Some(*r2),
            _ => None,
        }
    }
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
    /// Whether the model may be embedded on other sites: pushing it makes it public on the
    /// sync service (otherwise it stays private there).
    #[serde(default)]
    pub public: bool,
    /// The version in production in this project (the first one registered, then each
    /// retrained version that passed the gate).
    #[serde(default)]
    pub production: Option<u32>,
    /// Why each version went to production, oldest first.
    #[serde(default)]
    pub promotions: Vec<Promotion>,
}

impl RegisteredModel {
    /// The version in production, else the latest registered.
    pub fn serving(&self) -> Option<&RegisteredVersion> {
        self.production
            .and_then(|n| self.versions.iter().find(|v| v.version == n))
            .or_else(|| self.versions.iter().max_by_key(|v| v.version))
    }
}

/// A version's move to production and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Promotion {
    pub version: u32,
    /// The version it replaced.
    pub replaced: Option<u32>,
    pub at_ms: f64,
    /// One sentence per rule of the gate (or why no gate applied).
    pub reasons: Vec<String>,
    /// The gate it passed, when there was one.
    #[serde(default)]
    pub gate: Option<crate::monitor::Gate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegisteredVersion {
    pub version: u32,
    pub run_id: String,
    pub created_at_ms: f64,
    /// Public artifact path on the sync service once pushed.
    pub public_path: Option<String>,
}
