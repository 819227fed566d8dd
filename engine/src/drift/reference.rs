//! What a model keeps of its training data so that drift can be checked and predictions
//! explained without the training rows: per input column a fine histogram (numbers) or the
//! category counts, the same for the model's own predictions, the training means of the
//! model's features and a small sample of prepared training rows.

use serde::{Deserialize, Serialize};

use crate::data::{Column, ColumnData, ColumnType};
use crate::models::Matrix;
use crate::stats::{mean_std, sorted};

/// Quantile bins per numeric column (2% of the training rows each, fewer with ties).
const NUMERIC_BINS: usize = 50;
/// Most categories kept per column; rarer ones are counted together.
const MAX_CATEGORIES: usize = 50;
/// Prepared training rows kept for explanations.
const BACKGROUND_ROWS: usize = 100;
/// Most values kept in those rows (a wide recipe keeps fewer rows, so artifacts stay small).
const BACKGROUND_VALUES: usize = 20_000;

/// The label of the bin holding categories outside the kept ones.
pub const OTHER: &str = "(other)";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reference {
    /// One per input column of the recipe, in its order.
    pub columns: Vec<ColumnReference>,
    /// The model's predictions on its training rows (class labels, values or clusters).
    #[serde(default)]
    pub prediction: Option<Distribution>,
    /// Training mean of each model feature (after the recipe).
    pub feature_means: Vec<f64>,
    /// Some prepared training rows, row-major (`feature_means.len()` values each); a missing
    /// value (kept for models that route missing values themselves) is `null` in JSON.
    pub background: Vec<Option<f64>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnReference {
    pub name: String,
    /// Rows with a value.
    pub rows: usize,
    pub missing: usize,
    pub distribution: Distribution,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Distribution {
    Numeric {
        /// Ascending bin upper edges; the last is the largest value.
        edges: Vec<f64>,
        /// Values in `(previous edge, edge]` (the first bin starts at `min`).
        counts: Vec<u64>,
        min: f64,
        mean: f64,
        std: f64,
    },
    Categorical {
        /// Kept categories with their counts, most frequent first; [`OTHER`] last when some
        /// were left out.
        categories: Vec<(String, u64)>,
    },
}

impl Distribution {
    /// Numbers binned at their quantiles.
    pub fn numeric(values: &[f64]) -> Option<Self> {
        let v = sorted(values.iter().copied());
        let (&min, &max) = (v.first()?, v.last()?);
        let mut edges: Vec<f64> = (1..NUMERIC_BINS)
            .map(|k| v[(k * v.len() / NUMERIC_BINS).min(v.len() - 1)])
            .collect();
        edges.push(max);
        edges.dedup();
        let mut counts = vec![0u64; edges.len()];
        let mut bin = 0;
        for x in &v {
            while *x > edges[bin] {
                bin += 1;
            }
            counts[bin] += 1;
        }
        let (mean, std) = mean_std(&v);
        Some(Distribution::Numeric {
            edges,
            counts,
            min,
            mean,
            std,
        })
    }

    /// Category counts, the most frequent kept.
    pub fn categorical<'a>(values: impl Iterator<Item = &'a str>) -> Self {
        let mut counts = std::collections::BTreeMap::<&str, u64>::new();
        for v in values {
            *counts.entry(v).or_default() += 1;
        }
        let mut all: Vec<(String, u64)> = counts
            .into_iter()
            .map(|(k, c)| (k.to_string(), c))
            .collect();
        all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        if all.len() > MAX_CATEGORIES {
            let rest: u64 = all[MAX_CATEGORIES..].iter().map(|(_, c)| c).sum();
            all.truncate(MAX_CATEGORIES);
            all.push((OTHER.to_string(), rest));
        }
        Distribution::Categorical { categories: all }
    }

    pub fn is_numeric(&self) -> bool {
        matches!(self, Distribution::Numeric { .. })
    }

    /// Checks a decoded distribution: sorted edges, one count per edge, finite numbers.
    pub fn check(&self) -> Result<(), String> {
        match self {
            Distribution::Numeric {
                edges,
                counts,
                min,
                mean,
                std,
            } => {
                let ok = !edges.is_empty()
                    && edges.len() == counts.len()
                    && edges.windows(2).all(|w| w[0] < w[1])
                    && edges.iter().chain([min, mean, std]).all(|v| v.is_finite())
                    && *min <= edges[0];
                if ok {
                    Ok(())
                } else {
                    Err("a numeric drift reference is damaged".into())
                }
            }
            Distribution::Categorical { categories } => {
                if categories.is_empty() {
                    Err("a categorical drift reference has no categories".into())
                } else {
                    Ok(())
                }
            }
        }
    }
}

/// Whether the drift check treats a column of this type as numbers.
pub fn numeric_kind(kind: ColumnType) -> bool {
    matches!(
        kind,
        ColumnType::Integer | ColumnType::Float | ColumnType::Datetime
    )
}

/// A column's values as the check compares them: numbers, or text (booleans as
/// `true`/`false`).
pub enum Values<'a> {
    Numbers(Vec<f64>),
    Text(Vec<std::borrow::Cow<'a, str>>),
}

/// The present values of a typed column, and how many were missing.
pub fn values_of(column: &Column) -> (Values<'_>, usize) {
    match &column.data {
        ColumnData::Numeric(v) => {
            let present: Vec<f64> = v.iter().filter_map(|x| *x).collect();
            let missing = v.len() - present.len();
            if numeric_kind(column.kind) {
                (Values::Numbers(present), missing)
            } else {
                let text = present
                    .iter()
                    .map(|x| crate::data::format_typed(column.kind, *x).into())
                    .collect();
                (Values::Text(text), missing)
            }
        }
        ColumnData::Categorical(v) => {
            let present: Vec<std::borrow::Cow<'_, str>> =
                v.iter().flatten().map(|s| s.as_str().into()).collect();
            let missing = v.len() - present.len();
            (Values::Text(present), missing)
        }
    }
}

impl ColumnReference {
    pub fn of(column: &Column) -> Self {
        let (values, missing) = values_of(column);
        let (rows, distribution) = match values {
            Values::Numbers(v) => (
                v.len(),
                Distribution::numeric(&v).unwrap_or(Distribution::Categorical {
                    categories: vec![(OTHER.to_string(), 0)],
                }),
            ),
            Values::Text(t) => (
                t.len(),
                Distribution::categorical(t.iter().map(|s| s.as_ref())),
            ),
        };
        Self {
            name: column.name.clone(),
            rows,
            missing,
            distribution,
        }
    }
}

impl Reference {
    /// The reference of a model: `inputs` are the recipe's input columns on the training
    /// rows, `x` the prepared training matrix, `predictions` the model's on those rows.
    pub fn build(
        inputs: &[Column],
        x: &Matrix,
        prediction: Option<Distribution>,
        seed: u64,
    ) -> Self {
        let width = x.width;
        let mut sums = vec![0.0; width];
        let mut counts = vec![0usize; width];
        for row in x.rows() {
            for (j, v) in row.iter().enumerate() {
                if v.is_finite() {
                    sums[j] += v;
                    counts[j] += 1;
                }
            }
        }
        let feature_means = sums
            .iter()
            .zip(&counts)
            .map(|(s, &c)| if c > 0 { s / c as f64 } else { 0.0 })
            .collect();
        let mut rows: Vec<usize> = (0..x.len()).collect();
        kiln_protocol::rng::SplitMix64::new(seed ^ 0x0062_6b67).shuffle(&mut rows);
        rows.truncate(BACKGROUND_ROWS.min(BACKGROUND_VALUES / width.max(1)).max(1));
        rows.sort_unstable();
        let background = rows
            .iter()
            .flat_map(|&r| x.row(r).iter().map(|v| v.is_finite().then_some(*v)))
            .collect();
        Self {
            columns: inputs.iter().map(ColumnReference::of).collect(),
            prediction,
            feature_means,
            background,
        }
    }

    /// Checks a decoded reference against the model's width.
    pub fn check(&self, width: usize) -> Result<(), String> {
        if self.feature_means.len() != width
            || (width > 0 && !self.background.len().is_multiple_of(width))
            || self.feature_means.iter().any(|v| !v.is_finite())
            || self.background.iter().flatten().any(|v| !v.is_finite())
        {
            return Err("the model's training reference does not fit its features".into());
        }
        for c in &self.columns {
            c.distribution.check()?;
        }
        if let Some(p) = &self.prediction {
            p.check()?;
        }
        Ok(())
    }

    /// The background rows, row-major, missing values as NaN (see [`Matrix`]).
    pub fn background_rows(&self) -> Vec<f64> {
        self.background
            .iter()
            .map(|v| v.unwrap_or(f64::NAN))
            .collect()
    }
}
