//! What the Data page shows about an imported table: shape, per-column types and statistics,
//! small distributions, correlations, relation to the target, and warnings.

use serde::{Deserialize, Serialize};

use crate::recipe::{ColumnType, Recipe};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetProfile {
    pub rows: usize,
    pub columns: Vec<ColumnProfile>,
    /// The first rows, as text.
    pub preview: Vec<Vec<String>>,
    /// Pearson correlations between numeric columns (at most [`MAX_CORRELATED`] of them).
    #[serde(default)]
    pub correlations: Option<Correlations>,
    /// Each feature's relation to the target, strongest first, when a target is chosen.
    #[serde(default)]
    pub target: Option<TargetRelations>,
    #[serde(default)]
    pub warnings: Vec<Warning>,
    /// The recipe used when the person gives none.
    #[serde(default)]
    pub default_recipe: Recipe,
    /// Delimiter and format that import detected, e.g. `CSV (,)` or `NDJSON`.
    #[serde(default)]
    pub format: String,
}

/// Most numeric columns in the correlation matrix.
pub const MAX_CORRELATED: usize = 30;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnProfile {
    pub name: String,
    /// The type in use (the person's override, else the inferred one).
    #[serde(alias = "kind")]
    pub kind: ColumnType,
    /// What import inferred.
    #[serde(default)]
    pub inferred: Option<ColumnType>,
    /// Non-missing values.
    #[serde(default)]
    pub count: usize,
    pub missing: usize,
    pub distinct: usize,
    #[serde(default)]
    pub stats: Option<NumericStats>,
    #[serde(default)]
    pub histogram: Option<Histogram>,
    /// Most frequent values with their counts (categorical, boolean and text columns).
    #[serde(default)]
    pub top: Vec<(String, u64)>,
}

impl ColumnProfile {
    /// One line: the range and centre of a numeric column (numbers written by `show`), else
    /// its three most frequent values with their counts.
    pub fn summary(&self, show: impl Fn(f64) -> String) -> String {
        match &self.stats {
            Some(s) => format!(
                "min {} · median {} · mean {} · max {}",
                show(s.min),
                show(s.median),
                show(s.mean),
                show(s.max)
            ),
            None => self
                .top
                .iter()
                .take(3)
                .map(|(v, n)| format!("{v} ({n})"))
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumericStats {
    pub min: f64,
    pub max: f64,
    pub mean: f64,
    pub std: f64,
    pub q1: f64,
    pub median: f64,
    pub q3: f64,
    /// Sample skewness (0 for a symmetric distribution).
    pub skew: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    /// `counts.len() + 1` bin edges.
    pub edges: Vec<f64>,
    pub counts: Vec<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Correlations {
    pub columns: Vec<String>,
    /// Row-major, `columns.len()` squared; `None` where a pair has too few shared values or a
    /// column is constant.
    pub values: Vec<Vec<Option<f64>>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetRelations {
    pub target: String,
    /// What `strength` measures, in words.
    pub measure: String,
    pub features: Vec<FeatureRelation>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureRelation {
    pub column: String,
    /// 0 (no relation) to 1 (the feature determines the target).
    pub strength: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    Constant,
    IdLike,
    HighCardinality,
    Missing,
    Skew,
    Outliers,
    Imbalance,
    Leak,
    PersonalData,
    Unparsed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Warning {
    pub column: String,
    pub kind: WarningKind,
    pub message: String,
}
