//! Why a model predicts what it does. Local: one row's contributions per feature — exact
//! TreeSHAP for trees, forests and gradient boosting, exact for linear models, Monte Carlo
//! permutation sampling against training rows for every other family. Global: permutation
//! importance of each input column (`importance`), the model's own importances and partial
//! dependence. Everything works from the artifact and the rows given; the training rows it
//! needs are the few the artifact's reference keeps.

pub mod importance;
pub mod treeshap;

use kiln_protocol::explain::{Contributions, ExplainMethod, OutputSpace};
use kiln_protocol::rng::SplitMix64;

use crate::artifact::{Artifact, format_value};
use crate::model::FittedModel;
use crate::train::Task;
use treeshap::{Paths, ShapTree};

/// Permutations drawn by the sampling approximation.
pub const SAMPLING_PERMUTATIONS: usize = 200;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ExplainError {
    #[error("{0} models have no per-feature contributions to explain")]
    Unsupported(&'static str),
    #[error(
        "this model keeps no training rows to explain against (it was trained before explanations); retrain it"
    )]
    NoReference,
    #[error("the row has {given} values; the model takes {expected}")]
    Width { given: usize, expected: usize },
    #[error("the model cannot be explained: {0}")]
    Damaged(String),
}

/// One row's contributions (the row already transformed by the recipe).
pub fn contributions(
    artifact: &Artifact,
    x: &[f64],
    seed: u64,
) -> Result<Contributions, ExplainError> {
    Explainer::new(artifact)?.contributions(x, seed)
}

/// What explaining many rows of one model shares: its trees in the shape TreeSHAP walks and
/// their expected outputs, built once (for a 100-tree forest that is most of the work of one
/// row). Other families need nothing prepared.
pub struct Explainer<'a> {
    artifact: &'a Artifact,
    trees: Vec<ShapTree>,
    /// Expected output of the tree models, per output.
    expected: Vec<f64>,
}

impl<'a> Explainer<'a> {
    pub fn new(artifact: &'a Artifact) -> Result<Self, ExplainError> {
        let damaged = ExplainError::Damaged;
        let (trees, expected) = match &artifact.model {
            FittedModel::Tree(t) => {
                let tree = ShapTree::from_tree(t).map_err(damaged)?;
                let e = tree.expected();
                (vec![tree], e)
            }
            FittedModel::Forest(f) => {
                let trees = f
                    .trees
                    .iter()
                    .map(ShapTree::from_tree)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(damaged)?;
                let scale = 1.0 / trees.len().max(1) as f64;
                let mut e = vec![0.0; trees.first().map_or(1, ShapTree::outputs)];
                for tree in &trees {
                    e.iter_mut()
                        .zip(tree.expected())
                        .for_each(|(e, t)| *e += t * scale);
                }
                (trees, e)
            }
            FittedModel::Gbdt(g) => {
                let per = g.baseline.len().max(1);
                let mut e = g.baseline.clone();
                e.resize(per, 0.0);
                let trees = g
                    .trees
                    .iter()
                    .map(ShapTree::from_gbdt)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(damaged)?;
                for (t, tree) in trees.iter().enumerate() {
                    e[t % per] += tree.expected()[0];
                }
                (trees, e)
            }
            _ => (Vec::new(), Vec::new()),
        };
        Ok(Self {
            artifact,
            trees,
            expected,
        })
    }

    /// One row's contributions (the row already transformed by the recipe).
    pub fn contributions(&self, x: &[f64], seed: u64) -> Result<Contributions, ExplainError> {
        let artifact = self.artifact;
        let width = artifact.recipe.width();
        if x.len() != width {
            return Err(ExplainError::Width {
                given: x.len(),
                expected: width,
            });
        }
        if artifact.task == Task::Clustering {
            return Err(ExplainError::Unsupported("clustering"));
        }
        let (mean, scale) = artifact.target_scale.unwrap_or((0.0, 1.0));
        let classes = &artifact.classes;
        let regression = artifact.task == Task::Regression;
        let value_space = |probability: OutputSpace| {
            if regression {
                OutputSpace::Value
            } else {
                probability
            }
        };
        let (method, space, outputs, expected, values) = match &artifact.model {
            FittedModel::Tree(_) | FittedModel::Forest(_) => {
                let share = 1.0 / self.trees.len().max(1) as f64;
                let outputs = self.expected.len();
                let mut values = vec![0.0; outputs * width];
                let mut paths = Paths::default();
                for tree in &self.trees {
                    tree.add_shap(x, share, &mut values, &mut paths);
                }
                (
                    ExplainMethod::TreeShap,
                    value_space(OutputSpace::Probability),
                    outputs,
                    self.expected.clone(),
                    values,
                )
            }
            FittedModel::Gbdt(g) => {
                if g.n_classes == 1 {
                    return Err(ExplainError::Unsupported("single-class"));
                }
                let per = self.expected.len().max(1);
                let mut values = vec![0.0; per * width];
                let mut paths = Paths::default();
                for (t, tree) in self.trees.iter().enumerate() {
                    let k = t % per;
                    tree.add_shap(x, 1.0, &mut values[k * width..(k + 1) * width], &mut paths);
                }
                (
                    ExplainMethod::TreeShap,
                    value_space(OutputSpace::LogOdds),
                    per,
                    self.expected.clone(),
                    values,
                )
            }
            FittedModel::Linear { layer } => {
                let means = &artifact
                    .reference
                    .as_ref()
                    .ok_or(ExplainError::NoReference)?
                    .feature_means;
                let mut expected = layer.bias.clone();
                let mut values = vec![0.0; layer.outputs * width];
                for (o, weights) in layer.weights.chunks_exact(width.max(1)).enumerate() {
                    for (j, w) in weights.iter().enumerate() {
                        let v = if x[j].is_finite() { x[j] } else { means[j] };
                        values[o * width + j] = w * (v - means[j]);
                        expected[o] += w * means[j];
                    }
                }
                (
                    ExplainMethod::Linear,
                    value_space(OutputSpace::LogOdds),
                    layer.outputs,
                    expected,
                    values,
                )
            }
            FittedModel::KMeans(_) | FittedModel::Pca(_) => {
                return Err(ExplainError::Unsupported("clustering"));
            }
            FittedModel::Cnn(_) => return Err(ExplainError::Unsupported("image")),
            model => {
                let (e, v) = sampling(artifact, model, x, seed)?;
                (
                    ExplainMethod::Sampling {
                        permutations: SAMPLING_PERMUTATIONS,
                    },
                    value_space(OutputSpace::Probability),
                    e.len(),
                    e,
                    v,
                )
            }
        };
        let mut values: Vec<Vec<f64>> = values.chunks(width.max(1)).map(<[f64]>::to_vec).collect();
        values.truncate(outputs);
        let mut expected = expected;
        if regression {
            expected.iter_mut().for_each(|e| *e = *e * scale + mean);
            values.iter_mut().flatten().for_each(|v| *v *= scale);
        }
        let prediction: Vec<f64> = expected
            .iter()
            .zip(&values)
            .map(|(e, v)| e + v.iter().sum::<f64>())
            .collect();
        let names: Vec<String> = if regression {
            vec![artifact.target.clone()]
        } else if outputs == classes.len() {
            classes.clone()
        } else {
            // One score for two classes: the log-odds of the second.
            classes.iter().skip(1).take(outputs).cloned().collect()
        };
        let shown = artifact.predict_prepared(x);
        let label = match shown.value {
            Some(v) => format_value(v),
            None => shown.label,
        };
        let clean = |v: f64| if v.is_finite() { v } else { 0.0 };
        Ok(Contributions {
            method,
            space,
            outputs: names,
            features: artifact.recipe.features.clone(),
            feature_values: x
                .iter()
                .map(|v| if v.is_finite() { *v } else { f64::NAN })
                .map(clean)
                .collect(),
            expected: expected.into_iter().map(clean).collect(),
            prediction: prediction.into_iter().map(clean).collect(),
            values: values
                .into_iter()
                .map(|v| v.into_iter().map(clean).collect())
                .collect(),
            label,
        })
    }
}

/// Shapley values by Monte Carlo permutation sampling: each permutation draws a training
/// row from the reference and walks from it to `x` one feature at a time in a random order,
/// crediting each feature with the change it makes. Every walk adds up to `f(x) - f(z)`, so
/// the values add up exactly to the prediction minus the mean output of the drawn rows.
fn sampling(
    artifact: &Artifact,
    model: &FittedModel,
    x: &[f64],
    seed: u64,
) -> Result<(Vec<f64>, Vec<f64>), ExplainError> {
    let reference = artifact
        .reference
        .as_ref()
        .ok_or(ExplainError::NoReference)?;
    let rows = reference.background_rows();
    let background = crate::models::Matrix::new(&rows, reference.feature_means.len());
    if background.is_empty() {
        return Err(ExplainError::NoReference);
    }
    let width = x.len();
    let outputs = model.output(x).len();
    let mut rng = SplitMix64::new(seed ^ 0x7368_6170);
    let mut values = vec![0.0; outputs * width];
    let mut expected = vec![0.0; outputs];
    let mut order: Vec<usize> = (0..width).collect();
    for _ in 0..SAMPLING_PERMUTATIONS {
        let mut z = background.row(rng.below(background.len())).to_vec();
        rng.shuffle(&mut order);
        let mut before = model.output(&z);
        expected.iter_mut().zip(&before).for_each(|(e, v)| *e += v);
        for &j in &order {
            z[j] = x[j];
            let after = model.output(&z);
            for (o, (a, b)) in after.iter().zip(&before).enumerate() {
                values[o * width + j] += a - b;
            }
            before = after;
        }
    }
    let n = SAMPLING_PERMUTATIONS as f64;
    expected.iter_mut().for_each(|e| *e /= n);
    values.iter_mut().for_each(|v| *v /= n);
    Ok((expected, values))
}
