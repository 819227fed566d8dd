//! Why a model predicts what it does, and how it does across groups: the documents the
//! Explain page draws and the widget shows. The engine computes them (`kiln_engine::explain`,
//! `kiln_engine::fairness`); every number is finite so they survive a JSON round trip.

use serde::{Deserialize, Serialize};

/// How a row's contributions were computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ExplainMethod {
    /// Exact Shapley values of a tree model (path-dependent TreeSHAP, weighted by the
    /// training rows that reached each node).
    TreeShap,
    /// Exact for a linear model: each weight times the value's distance from the training
    /// mean.
    Linear,
    /// Monte Carlo permutation sampling against rows drawn from the training data.
    Sampling { permutations: usize },
}

/// The scale contributions add up on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputSpace {
    /// Class probabilities.
    Probability,
    /// The model's raw class scores (log-odds for gradient boosting, logits for linear
    /// models) before they become probabilities.
    LogOdds,
    /// The predicted value, in the target's units.
    Value,
}

/// One row's explanation: for every output, `expected + sum(values) = prediction`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contributions {
    pub method: ExplainMethod,
    pub space: OutputSpace,
    /// What each output is: a class label, or the target's name.
    pub outputs: Vec<String>,
    /// The model's input features (after the recipe), in order.
    pub features: Vec<String>,
    /// The row's value of each feature (after the recipe).
    pub feature_values: Vec<f64>,
    /// The average output over the training data, per output.
    pub expected: Vec<f64>,
    /// The row's output, per output.
    pub prediction: Vec<f64>,
    /// Contribution of each feature to each output: `values[output][feature]`.
    pub values: Vec<Vec<f64>>,
    /// The label or value shown to a person.
    pub label: String,
}

/// How much one input column matters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureImportance {
    pub name: String,
    /// Mean over repeats (permutation), or the model's own figure.
    pub importance: f64,
    /// Standard deviation over repeats (0 for a model's own figure).
    pub spread: f64,
}

/// Importances, most important first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Importances {
    /// `permutation`, `impurity` or `coefficient`.
    pub method: String,
    /// What the importance is measured in: the drop of this metric (permutation), the share
    /// of impurity decrease (impurity), or the size of the weight on standardised features.
    pub metric: String,
    /// The metric on the unpermuted rows (permutation only).
    #[serde(default)]
    pub baseline: Option<f64>,
    pub repeats: usize,
    pub rows: usize,
    pub features: Vec<FeatureImportance>,
}

/// The average prediction as one input column is set to each grid value on every row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartialDependence {
    pub feature: String,
    pub numeric: bool,
    /// Grid values as text (what a form would hold).
    pub grid: Vec<String>,
    /// Numeric grid positions (for the x axis); 0, 1, 2... for categories.
    pub x: Vec<f64>,
    /// What each output is (class labels, or the target's name).
    pub outputs: Vec<String>,
    /// `values[grid point][output]`: mean probability or value.
    pub values: Vec<Vec<f64>>,
    pub rows: usize,
}

/// Everything the Explain page shows for a model before a row is picked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GlobalExplanation {
    pub permutation: Importances,
    /// Impurity importance (trees) or coefficient sizes (linear models).
    #[serde(default)]
    pub model: Option<Importances>,
    pub partial_dependence: Vec<PartialDependence>,
}

/// One group's figures for a sensitive column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupFigures {
    pub group: String,
    pub size: usize,
    pub accuracy: f64,
    /// Share of the group predicted as the positive class.
    pub selection_rate: f64,
    /// Of the group's actual positives, the share predicted positive (`None` without any).
    pub true_positive_rate: Option<f64>,
    /// Of the group's actual negatives, the share predicted positive (`None` without any).
    pub false_positive_rate: Option<f64>,
}

/// The largest difference between two groups on one figure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gap {
    /// `accuracy`, `selection_rate`, `true_positive_rate` or `false_positive_rate`.
    pub metric: String,
    pub gap: f64,
    pub lowest: String,
    pub highest: String,
    pub exceeds: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FairnessReport {
    pub column: String,
    pub positive: String,
    pub threshold: f64,
    pub groups: Vec<GroupFigures>,
    pub gaps: Vec<Gap>,
    /// The largest gap of all.
    pub largest_gap: f64,
    /// A plain sentence when a gap exceeds the threshold.
    #[serde(default)]
    pub warning: Option<String>,
}

/// A sensitive column to check, the class that counts as selected, and the largest gap
/// between groups allowed before a warning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FairnessRequest {
    pub column: String,
    pub positive: String,
    pub threshold: f64,
}

/// What the Explain page receives for a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelExplanation {
    pub global: GlobalExplanation,
    /// Some test rows as text (the model's inputs and the target), to pick one to explain.
    pub rows: Vec<std::collections::BTreeMap<String, String>>,
    /// Columns of the data with few distinct values, that can be marked as sensitive.
    pub group_columns: Vec<String>,
    /// Set when the project's data is not what the model was trained on.
    #[serde(default)]
    pub note: Option<String>,
}
