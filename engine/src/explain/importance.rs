//! Global explanations on labelled rows: permutation importance of each input column (the
//! drop of a metric when that column's values are shuffled among the rows, repeated for a
//! spread), the model's own importances (impurity for trees, weight sizes for linear models)
//! and partial dependence. Columns are shuffled before the recipe, so a one-hot encoded or
//! derived column counts once, under the name a person knows.

use kiln_protocol::evaluation::Evaluation;
use kiln_protocol::explain::{
    FeatureImportance, GlobalExplanation, Importances, PartialDependence,
};
use kiln_protocol::rng::SplitMix64;

use super::ExplainError;
use crate::artifact::Artifact;
use crate::data::{ColumnData, Frame, format_typed};
use crate::model::FittedModel;
use crate::models::Matrix;
use crate::stats::{mean_std, sorted};
use crate::train::Task;

/// Rows used at most (a sample of larger sets).
pub const MAX_ROWS: usize = 2_000;
/// Grid points of a partial dependence curve.
const GRID_POINTS: usize = 20;
/// Columns given a partial dependence curve (the most important).
const PDP_COLUMNS: usize = 3;

/// Labelled rows a global explanation is measured on (the run's test rows in the studio).
pub struct Rows {
    frame: Frame,
    metric: String,
}

impl Rows {
    /// The given rows of a frame (at most [`MAX_ROWS`], sampled with `seed`), scored by
    /// `metric` (`None`: accuracy or R²).
    pub fn new(
        artifact: &Artifact,
        frame: &Frame,
        rows: &[usize],
        metric: Option<&str>,
        seed: u64,
    ) -> Result<Self, ExplainError> {
        if artifact.task == Task::Clustering || artifact.image.is_some() {
            return Err(ExplainError::Unsupported(if artifact.image.is_some() {
                "image"
            } else {
                "clustering"
            }));
        }
        let mut rows = rows.to_vec();
        if rows.len() > MAX_ROWS {
            SplitMix64::new(seed ^ 0x0070_6572).shuffle(&mut rows);
            rows.truncate(MAX_ROWS);
            rows.sort_unstable();
        }
        let columns = frame
            .columns
            .iter()
            .map(|c| {
                let mut c = c.clone();
                c.data = c.data.take(&rows);
                c
            })
            .collect();
        let frame = Frame {
            columns,
            rows: rows.len(),
            format: frame.format.clone(),
        };
        let metric = metric
            .map(str::to_string)
            .unwrap_or_else(|| match artifact.task {
                Task::Regression => "r2".into(),
                _ => "accuracy".into(),
            });
        Ok(Self { frame, metric })
    }

    fn all(&self) -> Vec<usize> {
        (0..self.frame.rows).collect()
    }

    /// The metric of the model on a version of these rows, `None` without usable labels.
    fn score(&self, artifact: &Artifact, frame: &Frame) -> Option<f64> {
        crate::score::evaluate_rows(artifact, frame, &self.all())?
            .metric(&self.metric)
            .filter(|v| v.is_finite())
    }
}

/// Permutation importance of every input column, most important first.
pub fn permutation(
    artifact: &Artifact,
    rows: &Rows,
    repeats: usize,
    seed: u64,
) -> Result<Importances, ExplainError> {
    let baseline = rows.score(artifact, &rows.frame).ok_or_else(|| {
        ExplainError::Damaged(format!(
            "the rows have no usable \"{}\" values to score against",
            artifact.target
        ))
    })?;
    let higher = Evaluation::higher_is_better(&rows.metric);
    let repeats = repeats.clamp(1, 50);
    let mut rng = SplitMix64::new(seed ^ 0x7065_726d);
    let mut features = Vec::new();
    for input in &artifact.recipe.inputs {
        let Some(position) = rows.frame.columns.iter().position(|c| c.name == input.name) else {
            continue;
        };
        let mut drops = Vec::with_capacity(repeats);
        for _ in 0..repeats {
            let mut order = rows.all();
            rng.shuffle(&mut order);
            let mut shuffled = rows.frame.clone();
            shuffled.columns[position].data = rows.frame.columns[position].data.take(&order);
            let score = rows.score(artifact, &shuffled).unwrap_or(baseline);
            drops.push(if higher {
                baseline - score
            } else {
                score - baseline
            });
        }
        let (importance, spread) = mean_std(&drops);
        features.push(FeatureImportance {
            name: input.name.clone(),
            importance,
            spread,
        });
    }
    features.sort_by(|a, b| b.importance.total_cmp(&a.importance));
    Ok(Importances {
        method: "permutation".into(),
        metric: rows.metric.clone(),
        baseline: Some(baseline),
        repeats,
        rows: rows.frame.rows,
        features,
    })
}

/// The model's own importances: impurity decrease for trees, forests and boosting; weight
/// sizes times the feature's spread in the training rows for linear models.
pub fn model_importances(artifact: &Artifact) -> Option<Importances> {
    let width = artifact.recipe.width();
    let (method, metric, values) = match &artifact.model {
        FittedModel::Tree(t) => (
            "impurity",
            "share of impurity decrease",
            t.feature_importances(width),
        ),
        FittedModel::Forest(f) => (
            "impurity",
            "share of impurity decrease",
            f.feature_importances(width),
        ),
        FittedModel::Gbdt(g) => (
            "impurity",
            "share of split gain",
            g.feature_importances(width),
        ),
        FittedModel::Linear { layer } => {
            let rows = artifact.reference.as_ref()?.background_rows();
            let background = Matrix::new(&rows, width);
            let spread: Vec<f64> = (0..width)
                .map(|j| {
                    let column: Vec<f64> = background
                        .rows()
                        .map(|r| r[j])
                        .filter(|v| v.is_finite())
                        .collect();
                    mean_std(&column).1
                })
                .collect();
            let sizes = (0..width)
                .map(|j| {
                    layer
                        .weights
                        .chunks_exact(width.max(1))
                        .map(|w| w[j].abs())
                        .fold(0.0, f64::max)
                        * spread[j]
                })
                .collect();
            ("coefficient", "weight × training spread", sizes)
        }
        _ => return None,
    };
    let mut features: Vec<FeatureImportance> = artifact
        .recipe
        .features
        .iter()
        .zip(values)
        .map(|(name, importance)| FeatureImportance {
            name: name.clone(),
            importance: if importance.is_finite() {
                importance
            } else {
                0.0
            },
            spread: 0.0,
        })
        .collect();
    features.sort_by(|a, b| b.importance.total_cmp(&a.importance));
    Some(Importances {
        method: method.into(),
        metric: metric.into(),
        baseline: None,
        repeats: 1,
        rows: artifact.lineage.training_rows,
        features,
    })
}

/// The mean output as one input column is set to each grid value on every row.
pub fn partial_dependence(
    artifact: &Artifact,
    rows: &Rows,
    column: &str,
) -> Option<PartialDependence> {
    let input = artifact.recipe.inputs.iter().find(|i| i.name == column)?;
    let position = rows.frame.columns.iter().position(|c| c.name == column)?;
    let typed = artifact.recipe.input_columns(&rows.frame, &rows.all());
    let values = &typed.iter().find(|c| c.name == column)?.data;
    let n = rows.frame.rows;
    let numeric = input.kind.is_numeric();
    // (text shown, position on the x axis, the column set to it)
    let grid: Vec<(String, f64, ColumnData)> = match values {
        ColumnData::Numeric(v) => {
            let present = sorted(v.iter().filter_map(|x| *x));
            let mut points: Vec<f64> = (0..GRID_POINTS)
                .filter_map(|k| {
                    let at = k * present.len().saturating_sub(1) / (GRID_POINTS - 1);
                    present.get(at).copied()
                })
                .collect();
            points.dedup();
            points
                .into_iter()
                .map(|p| {
                    (
                        format_typed(input.kind, p),
                        p,
                        ColumnData::Numeric(vec![Some(p); n]),
                    )
                })
                .collect()
        }
        ColumnData::Categorical(_) => input
            .categories
            .iter()
            .take(GRID_POINTS)
            .enumerate()
            .map(|(i, c)| {
                (
                    c.clone(),
                    i as f64,
                    ColumnData::Categorical(vec![Some(c.clone()); n]),
                )
            })
            .collect(),
    };
    if grid.is_empty() {
        return None;
    }
    let (mean, scale) = artifact.target_scale.unwrap_or((0.0, 1.0));
    let regression = artifact.task == Task::Regression;
    let mut curve = Vec::with_capacity(grid.len());
    for (_, _, data) in &grid {
        let mut frame = rows.frame.clone();
        frame.columns[position].data = data.clone();
        frame.columns[position].kind = input.kind;
        let x = artifact.recipe.transform_frame(&frame, &rows.all());
        let x = Matrix::new(&x, artifact.recipe.width());
        let mut sums: Vec<f64> = Vec::new();
        for row in x.rows() {
            let out = artifact.model.output(row);
            sums.resize(out.len(), 0.0);
            sums.iter_mut().zip(&out).for_each(|(s, v)| *s += v);
        }
        curve.push(
            sums.into_iter()
                .map(|s| {
                    let m = s / n.max(1) as f64;
                    let m = if regression { m * scale + mean } else { m };
                    if m.is_finite() { m } else { 0.0 }
                })
                .collect(),
        );
    }
    Some(PartialDependence {
        feature: column.to_string(),
        numeric,
        grid: grid.iter().map(|(t, _, _)| t.clone()).collect(),
        x: grid.iter().map(|(_, x, _)| *x).collect(),
        outputs: if regression {
            vec![artifact.target.clone()]
        } else {
            artifact.classes.clone()
        },
        values: curve,
        rows: n,
    })
}

/// Everything the Explain page shows before a row is picked.
pub fn global(
    artifact: &Artifact,
    rows: &Rows,
    repeats: usize,
    seed: u64,
) -> Result<GlobalExplanation, ExplainError> {
    let permutation = permutation(artifact, rows, repeats, seed)?;
    let partial_dependence = permutation
        .features
        .iter()
        .take(PDP_COLUMNS)
        .filter_map(|f| partial_dependence(artifact, rows, &f.name))
        .collect();
    Ok(GlobalExplanation {
        permutation,
        model: model_importances(artifact),
        partial_dependence,
    })
}
