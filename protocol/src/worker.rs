//! Messages between the studio and its engine workers: one request enum, one event enum,
//! every variant carries the job id it belongs to.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::project::{CrossValidation, DatasetProfile, EpochStats, RunRecord, TrainSpec};
use crate::recipe::ColumnType;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum WorkerRequest {
    /// Parse a table (CSV/TSV/JSON/NDJSON) and profile it, reporting progress while reading.
    Profile {
        job_id: u64,
        file_name: String,
        text: String,
        /// Column types the person chose over the inferred ones.
        #[serde(default)]
        types: BTreeMap<String, ColumnType>,
        /// Profile each feature's relation to this column.
        #[serde(default)]
        target: Option<String>,
    },
    /// Fit the spec's recipe on its training rows and show the first prepared rows.
    Preview {
        job_id: u64,
        file_name: String,
        text: String,
        spec: TrainSpec,
    },
    /// Remove a column from the data, or replace its values by salted hashes.
    Redact {
        job_id: u64,
        file_name: String,
        text: String,
        column: String,
        mode: Redaction,
        /// Random salt for hashing, chosen by the studio and never stored.
        salt: String,
    },
    /// A seeded random sample of at most `rows` rows of a table (in file order), rewritten as
    /// CSV and profiled with the given column types, for a share link that carries a sample.
    Sample {
        job_id: u64,
        file_name: String,
        text: String,
        rows: usize,
        seed: u64,
        #[serde(default)]
        types: BTreeMap<String, ColumnType>,
    },
    /// Fit the spec's model on the dataset text.
    Train {
        job_id: u64,
        file_name: String,
        text: String,
        spec: TrainSpec,
    },
    /// One trial of a hyperparameter search: fit the spec (on at most `max_rows` training
    /// rows, for the early rounds of successive halving) and report its scores, keeping no
    /// model.
    Trial {
        job_id: u64,
        file_name: String,
        text: String,
        spec: TrainSpec,
        #[serde(default)]
        max_rows: Option<usize>,
    },
    /// Fit the spec's convolutional network on the project's images, read from the browser's
    /// database (see `project::image_store`).
    TrainImages {
        job_id: u64,
        project_id: String,
        spec: TrainSpec,
    },
    /// Score rows (column name to raw text) with an artifact.
    Predict {
        job_id: u64,
        artifact: serde_json::Value,
        rows: Vec<BTreeMap<String, String>>,
    },
    /// Plan batch scoring of a delimited file: its output header and where to cut it into
    /// chunks of about `rows` rows (see `ChunksPlanned`). The file (UTF-8 as stored, perhaps
    /// with a byte-order mark) is posted beside the JSON: a `Blob` the worker reads a piece at
    /// a time, or bytes that fill `file`.
    PlanChunks {
        job_id: u64,
        artifact: serde_json::Value,
        #[serde(skip)]
        file: Vec<u8>,
        delimiter: u8,
        rows: usize,
    },
    /// Score one chunk of a delimited file (rows only, no header line) with an artifact: its
    /// rows come back with the model's outputs appended. `columns` is the file's header;
    /// `first_row` numbers the chunk's first row in the file (1 = the first data row).
    ScoreChunk {
        job_id: u64,
        /// The artifact's JSON text, posted beside the request (see `model_mut`).
        #[serde(skip)]
        artifact: String,
        columns: Vec<String>,
        delimiter: u8,
        /// The chunk's bytes, posted beside the JSON.
        #[serde(skip)]
        chunk: Vec<u8>,
        first_row: usize,
    },
    /// Export a linear model or MLP as ONNX (its input is the recipe's feature vector).
    ExportOnnx {
        job_id: u64,
        artifact: serde_json::Value,
    },
    /// Classify one image with an image model's artifact: RGBA bytes, row by row, already
    /// resized to the artifact's square size (the page decodes with the browser's decoders).
    PredictImage {
        job_id: u64,
        artifact: serde_json::Value,
        rgba: Vec<u8>,
    },
    /// Check a batch of rows (a data file's text) for drift against the training reference
    /// an artifact keeps, and score the artifact on it when it has the target.
    Drift {
        job_id: u64,
        artifact: serde_json::Value,
        file_name: String,
        text: String,
        settings: crate::monitor::DriftSettings,
    },
    /// Explain a model on its run's test rows (the spec re-splits the project's data as the
    /// run did): importances, partial dependence, rows to pick and columns to compare groups of.
    ExplainModel {
        job_id: u64,
        artifact: serde_json::Value,
        file_name: String,
        text: String,
        spec: TrainSpec,
    },
    /// A classifier's figures per group of a sensitive column on its run's test rows
    /// (re-split as for `ExplainModel`).
    Fairness {
        job_id: u64,
        artifact: serde_json::Value,
        file_name: String,
        text: String,
        spec: TrainSpec,
        request: crate::explain::FairnessRequest,
    },
    /// One row's contributions (column name to raw text, as a form holds it).
    ExplainRow {
        job_id: u64,
        artifact: serde_json::Value,
        row: BTreeMap<String, String>,
    },
    /// Retrain a production model's run on a batch (alone, or after the project's data) and
    /// compare the candidate with production on held-out rows of the batch under `gate`.
    Retrain {
        job_id: u64,
        production: serde_json::Value,
        spec: TrainSpec,
        /// The project's data (file name, text) when the batch is added to it.
        #[serde(default)]
        base: Option<(String, String)>,
        file_name: String,
        text: String,
        gate: crate::monitor::Gate,
    },
    /// Steer the running training job. Handled as soon as it arrives (not queued); takes
    /// effect at the end of the current epoch.
    Control { job_id: u64, action: Control },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Control {
    Pause,
    Resume,
    /// Test hook: treat the GPU device as lost, as if the browser had destroyed it, so that
    /// training must go on on the CPU.
    LoseGpu,
}

impl WorkerRequest {
    /// The bytes a request carries (a file to plan, a chunk to score). They cross to the
    /// worker beside the request's JSON, never inside it (serde skips them): the page posts a
    /// `Blob` (the picked file, or a slice of it) that the worker reads itself, so megabytes of
    /// CSV are neither decoded on the page nor escaped into JSON. `None` for every other
    /// request.
    pub fn bytes_mut(&mut self) -> Option<&mut Vec<u8>> {
        match self {
            WorkerRequest::PlanChunks { file, .. } => Some(file),
            WorkerRequest::ScoreChunk { chunk, .. } => Some(chunk),
            _ => None,
        }
    }

    /// The model a request names by its artifact's JSON text (a chunk to score). The text is
    /// posted beside the request, never parsed as part of it, so a worker scoring many chunks
    /// with one model decodes it once and knows it again by its text. `None` for every other
    /// request.
    pub fn model_mut(&mut self) -> Option<&mut String> {
        match self {
            WorkerRequest::ScoreChunk { artifact, .. } => Some(artifact),
            _ => None,
        }
    }

    pub fn job_id(&self) -> u64 {
        match self {
            WorkerRequest::Profile { job_id, .. }
            | WorkerRequest::Preview { job_id, .. }
            | WorkerRequest::Redact { job_id, .. }
            | WorkerRequest::Sample { job_id, .. }
            | WorkerRequest::Train { job_id, .. }
            | WorkerRequest::TrainImages { job_id, .. }
            | WorkerRequest::Trial { job_id, .. }
            | WorkerRequest::Predict { job_id, .. }
            | WorkerRequest::ScoreChunk { job_id, .. }
            | WorkerRequest::ExportOnnx { job_id, .. }
            | WorkerRequest::PlanChunks { job_id, .. }
            | WorkerRequest::PredictImage { job_id, .. }
            | WorkerRequest::Drift { job_id, .. }
            | WorkerRequest::ExplainModel { job_id, .. }
            | WorkerRequest::Fairness { job_id, .. }
            | WorkerRequest::ExplainRow { job_id, .. }
            | WorkerRequest::Retrain { job_id, .. }
            | WorkerRequest::Control { job_id, .. } => *job_id,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum WorkerEvent {
    /// Posted once, after the worker's message handler is installed.
    Ready,
    Profiled {
        job_id: u64,
        profile: DatasetProfile,
    },
    Progress {
        job_id: u64,
        /// 0.0 to 1.0.
        fraction: f64,
        phase: String,
        /// Latest training loss, if the model reports one.
        loss: Option<f64>,
        /// Compute device, once known.
        device: Option<String>,
    },
    Previewed {
        job_id: u64,
        preview: RecipePreview,
    },
    Redacted {
        job_id: u64,
        /// The table rewritten as CSV, and its new file name (JSON input becomes `.csv`).
        file_name: String,
        text: String,
    },
    /// A sample of a table: its CSV text, new file name and profile.
    Sampled {
        job_id: u64,
        file_name: String,
        text: String,
        profile: DatasetProfile,
    },
    Trained {
        job_id: u64,
        run: Box<RunRecord>,
    },
    Predicted {
        job_id: u64,
        predictions: Vec<Prediction>,
    },
    /// An ONNX file's bytes, and the feature names its input takes, in order.
    ExportedOnnx {
        job_id: u64,
        bytes: Vec<u8>,
        features: Vec<String>,
    },
    /// A batch-scoring plan: the file's column names, the output file's header line (the
    /// columns, then the model's outputs; ending in a line break), and the byte offsets where
    /// chunks start (the first just after the header line).
    ChunksPlanned {
        job_id: u64,
        columns: Vec<String>,
        header: String,
        starts: Vec<usize>,
        /// Data rows in the file.
        rows: usize,
    },
    /// A scored chunk: its rows with the outputs appended (no header line; UTF-8, posted
    /// beside the JSON), how many rows it had and could not score, and the first few reasons.
    ScoredChunk {
        job_id: u64,
        #[serde(skip)]
        csv: Vec<u8>,
        rows: usize,
        failed: usize,
        errors: Vec<String>,
    },
    TrialDone {
        job_id: u64,
        result: TrialResult,
    },
    /// A neural network finished an epoch (for live curves).
    Epoch {
        job_id: u64,
        stats: EpochStats,
    },
    /// Training stopped at an epoch's end to wait (`true`), or went on (`false`).
    Paused {
        job_id: u64,
        paused: bool,
    },
    Drifted {
        job_id: u64,
        report: Box<crate::monitor::DriftReport>,
    },
    ExplainedModel {
        job_id: u64,
        explanation: Box<crate::explain::ModelExplanation>,
    },
    ExplainedRow {
        job_id: u64,
        contributions: Box<crate::explain::Contributions>,
    },
    FairnessChecked {
        job_id: u64,
        report: Box<crate::explain::FairnessReport>,
    },
    /// A retrained candidate (as a run) and its comparison with production.
    Retrained {
        job_id: u64,
        run: Box<RunRecord>,
        report: Box<crate::monitor::RetrainReport>,
    },
    Failed {
        job_id: u64,
        error: JobError,
    },
}

impl WorkerEvent {
    /// The bytes an event carries (a scored chunk), posted beside its JSON as a transferred
    /// `Uint8Array`, as [`WorkerRequest::bytes_mut`]'s are.
    pub fn bytes_mut(&mut self) -> Option<&mut Vec<u8>> {
        match self {
            WorkerEvent::ScoredChunk { csv, .. } => Some(csv),
            _ => None,
        }
    }

    /// The job an event belongs to (0 for `Ready`).
    pub fn job_id(&self) -> u64 {
        match self {
            WorkerEvent::Ready => 0,
            WorkerEvent::Profiled { job_id, .. }
            | WorkerEvent::Progress { job_id, .. }
            | WorkerEvent::Previewed { job_id, .. }
            | WorkerEvent::Redacted { job_id, .. }
            | WorkerEvent::Sampled { job_id, .. }
            | WorkerEvent::Trained { job_id, .. }
            | WorkerEvent::Predicted { job_id, .. }
            | WorkerEvent::ScoredChunk { job_id, .. }
            | WorkerEvent::ChunksPlanned { job_id, .. }
            | WorkerEvent::ExportedOnnx { job_id, .. }
            | WorkerEvent::TrialDone { job_id, .. }
            | WorkerEvent::Epoch { job_id, .. }
            | WorkerEvent::Paused { job_id, .. }
            | WorkerEvent::Drifted { job_id, .. }
            | WorkerEvent::ExplainedModel { job_id, .. }
            | WorkerEvent::ExplainedRow { job_id, .. }
            | WorkerEvent::FairnessChecked { job_id, .. }
            | WorkerEvent::Retrained { job_id, .. }
            | WorkerEvent::Failed { job_id, .. } => *job_id,
        }
    }

    /// True for the event that ends its job (a result or a failure).
    pub fn is_final(&self) -> bool {
        !matches!(
            self,
            WorkerEvent::Ready
                | WorkerEvent::Progress { .. }
                | WorkerEvent::Epoch { .. }
                | WorkerEvent::Paused { .. }
        )
    }
}

/// What a search trial measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrialResult {
    /// Test-row metrics by name.
    pub scores: BTreeMap<String, f64>,
    /// Cross-validation over the training rows, when the spec asks for folds.
    pub cv: Option<CrossValidation>,
    pub train_rows: usize,
    pub duration_ms: f64,
    pub loss_curve: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// Predicted label (classification) or value formatted for display (regression).
    pub label: String,
    pub value: Option<f64>,
    /// Class probabilities, sorted by class label; empty for regression.
    pub probabilities: Vec<(String, f64)>,
    /// Component scores of a PCA model.
    #[serde(default)]
    pub components: Vec<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Redaction {
    Drop,
    Hash,
}

/// The prepared table as the model will see it (first rows).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecipePreview {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub notes: Vec<String>,
    pub training_rows: usize,
}

/// A failed job, typed so the studio can say what happened and where.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobError {
    /// Stable kind, e.g. `parse`, `invalid_target`, `cancelled`, `device`.
    pub kind: String,
    pub message: String,
    pub details: Option<String>,
}
