//! Watching a model after it ships: drift of a new batch against the training data, the
//! batch's scores when it has labels, and the gate a retrained model must pass before it is
//! promoted. The engine computes the reports (`kiln_engine::drift`, `kiln_engine::gate`).

use serde::{Deserialize, Serialize};

/// The statistical test a feature was checked with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftTest {
    /// Two-sample Kolmogorov–Smirnov (numeric, batches up to 1,000 rows): drift when
    /// `p_value < alpha`.
    Ks,
    /// Wasserstein distance divided by the training standard deviation (numeric, larger
    /// batches): drift when above the distance threshold.
    Wasserstein,
    /// Pearson's chi-square against the training shares (categorical, batches up to 1,000
    /// rows): drift when `p_value < alpha`.
    ChiSquare,
    /// Jensen–Shannon distance (categorical, larger batches): drift when above the distance
    /// threshold.
    JensenShannon,
}

impl DriftTest {
    pub fn name(self) -> &'static str {
        match self {
            DriftTest::Ks => "ks",
            DriftTest::Wasserstein => "wasserstein",
            DriftTest::ChiSquare => "chi_square",
            DriftTest::JensenShannon => "jensen_shannon",
        }
    }
}

/// Thresholds of the drift check.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DriftSettings {
    /// Significance of the KS and chi-square tests.
    pub alpha: f64,
    /// Threshold of the Wasserstein (normed) and Jensen–Shannon distances.
    pub distance: f64,
    /// Batches above this many rows use the distances instead of the tests (large samples
    /// make tests flag differences too small to matter).
    pub test_rows: usize,
}

impl Default for DriftSettings {
    fn default() -> Self {
        Self {
            alpha: 0.05,
            distance: 0.1,
            test_rows: 1000,
        }
    }
}

/// One bin of a distribution as the check compares it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftBin {
    pub label: String,
    /// Share of the training rows.
    pub reference: f64,
    /// Share of the batch rows.
    pub batch: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureDrift {
    pub name: String,
    pub numeric: bool,
    pub test: DriftTest,
    pub statistic: f64,
    /// The test's p-value (KS and chi-square only).
    pub p_value: Option<f64>,
    /// Population stability index over the bins (shown for every feature).
    pub psi: f64,
    pub drifted: bool,
    /// Rows of the batch with a value (missing ones are counted apart).
    pub rows: usize,
    /// Missing share in the training data and in the batch.
    pub missing_reference: f64,
    pub missing_batch: f64,
    pub bins: Vec<DriftBin>,
}

/// The batch's scores next to the model's own test scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchPerformance {
    pub metric: String,
    pub training: Option<f64>,
    pub batch: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftReport {
    pub rows: usize,
    pub settings: DriftSettings,
    pub features: Vec<FeatureDrift>,
    /// Names of the features that drifted.
    pub drifted: Vec<String>,
    /// Share of the features that drifted.
    pub drifted_share: f64,
    /// The model's predictions on the batch against its predictions on the training data.
    #[serde(default)]
    pub prediction: Option<FeatureDrift>,
    /// Scores on the batch, when it has the target column.
    #[serde(default)]
    pub performance: Vec<BatchPerformance>,
    /// Input columns the model reads that the batch lacks (their values are imputed).
    #[serde(default)]
    pub missing_columns: Vec<String>,
}

/// What a retrained model must do to replace the production version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gate {
    /// The metric compared (`accuracy`, `f1_macro`, `rmse`, ...).
    pub metric: String,
    /// How much worse than production it may be, in the metric's units (0.005 is half a
    /// point of accuracy).
    pub max_drop: f64,
    /// A sensitive column whose groups are checked, with the largest gap allowed.
    #[serde(default)]
    pub fairness: Option<FairnessGate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FairnessGate {
    pub column: String,
    pub positive: String,
    pub max_gap: f64,
}

/// The gate's verdict on a candidate against production, on the same held-out rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GateDecision {
    pub passed: bool,
    pub metric: String,
    pub candidate: f64,
    pub production: Option<f64>,
    /// The candidate's largest fairness gap, when the gate checks one.
    #[serde(default)]
    pub fairness_gap: Option<f64>,
    pub rows: usize,
    /// One sentence per rule, saying whether it held and by how much.
    pub reasons: Vec<String>,
}

/// A retrained candidate beside the production version, both scored on the same held-out rows
/// of the new batch (rows the candidate did not learn from), with the gate's verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetrainReport {
    pub decision: GateDecision,
    /// Every metric of each model on the held-out rows.
    pub candidate: std::collections::BTreeMap<String, f64>,
    pub production: std::collections::BTreeMap<String, f64>,
    /// Production's largest fairness gap on the same rows, when the gate checks one.
    #[serde(default)]
    pub production_gap: Option<f64>,
    /// Rows the candidate learned from: from the earlier data and from the batch.
    pub base_rows: usize,
    pub batch_train_rows: usize,
    /// Held-out rows of the batch (both models are scored on them).
    pub held_out: usize,
    /// Rows of the earlier data left out of training because they repeat a held-out row.
    #[serde(default)]
    pub overlap: usize,
}
