//! Training a run end to end: parse, pick the target, split, fit the recipe on the training
//! part, fit the model, score the holdout, and bundle the artifact. Neural networks share
//! everything here but the fitting step (see `nn`).

use std::collections::BTreeSet;
use std::ops::ControlFlow;

use serde::{Deserialize, Serialize};

use crate::artifact::{ARTIFACT_FORMAT, ARTIFACT_KIND, Artifact, Lineage, fingerprint};
use crate::data::{ColumnData, DataError, Frame, ParseOptions, format_typed, parse};
use crate::linear::{Design, LinearParams, fit_logistic, fit_ridge};
use crate::metrics;
use crate::model::{FittedModel, argmax};
use crate::recipe::{FittedRecipe, PrepError, Recipe, default_recipe};
use crate::split::{Split, SplitError};
use crate::validate::split_rows;

pub use kiln_protocol::project::SplitSpec;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Task {
    Classification,
    Regression,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    Linear,
    Mlp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TrainConfig {
    pub task: Task,
    pub target: String,
    pub family: Family,
    pub seed: u64,
    pub holdout: f64,
    pub epochs: u32,
    /// `None`: the default recipe for the data.
    pub recipe: Option<Recipe>,
    pub split: SplitSpec,
}

impl TrainConfig {
    /// A configuration with the default recipe, split and settings.
    pub fn new(task: Task, target: &str, family: Family) -> Self {
        Self {
            task,
            target: target.to_string(),
            family,
            seed: 42,
            holdout: 0.2,
            epochs: 100,
            recipe: None,
            split: SplitSpec::Auto,
        }
    }
}

/// A progress report: how far, doing what, latest loss.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub fraction: f64,
    pub phase: String,
    pub loss: Option<f64>,
}

impl Progress {
    pub fn iteration(done: u32, total: u32, loss: f64) -> Self {
        Self {
            fraction: f64::from(done) / f64::from(total.max(1)),
            phase: format!("iteration {done} of {total}"),
            loss: Some(loss),
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TrainError {
    #[error(transparent)]
    Data(#[from] DataError),
    #[error(transparent)]
    Prep(#[from] PrepError),
    #[error(transparent)]
    Split(#[from] SplitError),
    #[error("{0}")]
    Config(String),
    #[error("the target \"{target}\" has no values; choose a column with values to predict")]
    TargetEmpty { target: String },
    #[error("there is no column \"{target}\"; the columns are: {available}")]
    UnknownTarget { target: String, available: String },
    #[error(
        "the target \"{target}\" has only one class (\"{class}\"); classification needs at least two"
    )]
    OneClass { target: String, class: String },
    #[error("the target \"{target}\" is not numeric; regression needs a numeric target")]
    TargetNotNumeric { target: String },
    #[error("only {rows} rows have a target value; at least 4 are needed to train and evaluate")]
    TooFewRows { rows: usize },
    #[error(
        "the target \"{target}\" has {classes} different values in {rows} rows; that looks like a quantity to predict: choose a regression task, or a target with fewer classes"
    )]
    TooManyClasses {
        target: String,
        classes: usize,
        rows: usize,
    },
    #[error("no row could be held out for evaluation: each class needs at least two rows")]
    NoHoldout,
    #[error(
        "training diverged (the loss became {loss} at step {step}); try fewer epochs or check the data for extreme values"
    )]
    Diverged { loss: f64, step: u32 },
    #[error("training was cancelled")]
    Cancelled,
    #[error("the compute device failed: {0}")]
    Device(String),
}

/// The labelled part of the data after the split.
#[derive(Debug, Clone)]
pub enum Labels {
    Classes {
        all: Vec<usize>,
        names: Vec<String>,
    },
    Values {
        all: Vec<f64>,
        mean: f64,
        scale: f64,
    },
}

/// Everything the fitting step needs, prepared identically for every model family.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub config: TrainConfig,
    pub frame: Frame,
    pub rows: Vec<usize>,
    pub labels: Labels,
    pub split: Split,
    pub recipe: FittedRecipe,
    /// The recipe as written (what was fitted).
    pub recipe_spec: Recipe,
    pub x_train: Vec<f64>,
    pub x_holdout: Vec<f64>,
    pub data_hash: String,
}

impl Prepared {
    pub fn width(&self) -> usize {
        self.recipe.width()
    }

    /// Training targets: class indices.
    pub fn train_classes(&self) -> Vec<usize> {
        match &self.labels {
            Labels::Classes { all, .. } => self.split.train.iter().map(|&i| all[i]).collect(),
            Labels::Values { .. } => Vec::new(),
        }
    }

    /// Training targets: standardised values.
    pub fn train_values(&self) -> Vec<f64> {
        match &self.labels {
            Labels::Values { all, mean, scale } => self
                .split
                .train
                .iter()
                .map(|&i| (all[i] - mean) / scale)
                .collect(),
            Labels::Classes { .. } => Vec::new(),
        }
    }

    pub fn n_outputs(&self) -> usize {
        match &self.labels {
            Labels::Classes { names, .. } => names.len(),
            Labels::Values { .. } => 1,
        }
    }
}

/// Parses the text and prepares the split, recipe and matrices for `config`.
pub fn prepare(file_name: &str, text: &str, config: &TrainConfig) -> Result<Prepared, TrainError> {
    let options = ParseOptions {
        types: config
            .recipe
            .as_ref()
            .map(|r| r.types.clone())
            .unwrap_or_default(),
        ..ParseOptions::default()
    };
    let frame = parse(file_name, text.as_bytes(), &options, &mut |_| {})?;
    prepare_frame(frame, fingerprint(text.as_bytes()), config)
}

/// Prepares an already parsed frame.
pub fn prepare_frame(
    frame: Frame,
    data_hash: String,
    config: &TrainConfig,
) -> Result<Prepared, TrainError> {
    let Some(target) = frame.column(&config.target) else {
        return Err(TrainError::UnknownTarget {
            target: config.target.clone(),
            available: frame.names().join(", "),
        });
    };
    if target.missing() == target.data.len() {
        return Err(TrainError::TargetEmpty {
            target: config.target.clone(),
        });
    }
    let (rows, mut labels) = labels_for(target, config)?;
    if rows.len() < 4 {
        return Err(TrainError::TooFewRows { rows: rows.len() });
    }
    if let Labels::Classes { names, .. } = &labels
        && (names.len() > MAX_CLASSES || names.len() * 2 > rows.len())
    {
        return Err(TrainError::TooManyClasses {
            target: config.target.clone(),
            classes: names.len(),
            rows: rows.len(),
        });
    }
    if !(config.holdout > 0.0 && config.holdout < 1.0) {
        return Err(TrainError::Config(format!(
            "the holdout fraction must be between 0 and 1 (got {})",
            config.holdout
        )));
    }
    let split_local = split_rows(&frame, &rows, &labels, config)?;
    if split_local.holdout.is_empty() || split_local.train.is_empty() {
        return Err(TrainError::NoHoldout);
    }
    // The target's scale, like the recipe, is learned from training rows only.
    if let Labels::Values { all, mean, scale } = &mut labels {
        (*mean, *scale) = mean_and_scale(split_local.train.iter().map(|&i| all[i]));
    }
    // `split_local` indexes `rows`; the recipe needs frame rows.
    let to_frame = |ix: &[usize]| ix.iter().map(|&i| rows[i]).collect::<Vec<_>>();
    let recipe_spec = config
        .recipe
        .clone()
        .unwrap_or_else(|| default_recipe(&frame, Some(&config.target)));
    let recipe = FittedRecipe::fit(
        &recipe_spec,
        &frame,
        &config.target,
        &to_frame(&split_local.train),
    )?;
    let x_train = recipe.transform_frame(&frame, &to_frame(&split_local.train));
    let x_holdout = recipe.transform_frame(&frame, &to_frame(&split_local.holdout));
    Ok(Prepared {
        config: config.clone(),
        rows,
        labels,
        split: split_local,
        recipe,
        recipe_spec,
        x_train,
        x_holdout,
        data_hash,
        frame,
    })
}

/// Most classes a classifier is trained for.
pub const MAX_CLASSES: usize = 100;

/// Mean and standard deviation (1 when the values are constant).
fn mean_and_scale(values: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    let n = values.clone().count().max(1) as f64;
    let mean = values.clone().sum::<f64>() / n;
    let sd = (values.map(|y| (y - mean).powi(2)).sum::<f64>() / n).sqrt();
    (mean, if sd > 1e-12 { sd } else { 1.0 })
}

/// Rows with a target value, and their labels (a regression target's scale is set later,
/// from the training rows).
fn labels_for(
    target: &crate::data::Column,
    config: &TrainConfig,
) -> Result<(Vec<usize>, Labels), TrainError> {
    let data = &target.data;
    match config.task {
        Task::Classification => {
            let text: Vec<Option<String>> = match data {
                ColumnData::Numeric(v) => v
                    .iter()
                    .map(|x| x.map(|x| format_typed(target.kind, x)))
                    .collect(),
                ColumnData::Categorical(v) => v.clone(),
            };
            let names: Vec<String> = text
                .iter()
                .flatten()
                .cloned()
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            if names.len() == 1 {
                return Err(TrainError::OneClass {
                    target: config.target.clone(),
                    class: names[0].clone(),
                });
            }
            let (rows, all) = text
                .iter()
                .enumerate()
                .filter_map(|(r, t)| {
                    let t = t.as_ref()?;
                    Some((r, names.iter().position(|n| n == t)?))
                })
                .unzip();
            Ok((rows, Labels::Classes { all, names }))
        }
        Task::Regression => {
            let ColumnData::Numeric(v) = data else {
                return Err(TrainError::TargetNotNumeric {
                    target: config.target.clone(),
                });
            };
            let (rows, all): (Vec<usize>, Vec<f64>) = v
                .iter()
                .enumerate()
                .filter_map(|(r, x)| Some((r, (*x)?)))
                .unzip();
            Ok((
                rows,
                Labels::Values {
                    all,
                    mean: 0.0,
                    scale: 1.0,
                },
            ))
        }
    }
}

/// Fits a linear model (logistic or ridge) and finishes the run.
pub fn train_linear(
    prepared: &Prepared,
    progress: &mut dyn FnMut(Progress) -> ControlFlow<()>,
) -> Result<Outcome, TrainError> {
    let design = Design {
        x: &prepared.x_train,
        width: prepared.width(),
    };
    let params = LinearParams::default();
    let fitted = match &prepared.labels {
        Labels::Classes { names, .. } => fit_logistic(
            &design,
            &prepared.train_classes(),
            names.len(),
            &params,
            progress,
        ),
        Labels::Values { .. } => fit_ridge(&design, &prepared.train_values(), &params, progress),
    };
    let (layer, curve) = fitted.ok_or(TrainError::Cancelled)?;
    Ok(finish(prepared, FittedModel::Linear { layer }, curve))
}

/// The result of a run: the artifact (with holdout scores) and the loss curve.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub artifact: Artifact,
    pub loss_curve: Vec<f64>,
}

/// Scores the fitted model on the holdout and bundles the artifact.
pub fn finish(prepared: &Prepared, model: FittedModel, loss_curve: Vec<f64>) -> Outcome {
    let config = &prepared.config;
    let (classes, target_scale) = match &prepared.labels {
        Labels::Classes { names, .. } => (names.clone(), None),
        Labels::Values { mean, scale, .. } => (Vec::new(), Some((*mean, *scale))),
    };
    let mut artifact = Artifact {
        format: ARTIFACT_FORMAT,
        kind: ARTIFACT_KIND.to_string(),
        task: config.task,
        target: config.target.clone(),
        recipe: prepared.recipe.clone(),
        model,
        classes,
        target_scale,
        scores: metrics::regression(&[], &[]),
        lineage: Lineage {
            data_hash: prepared.data_hash.clone(),
            training_rows: prepared.split.train.len(),
            seed: config.seed,
            family: match config.family {
                Family::Linear => "linear",
                Family::Mlp => "mlp",
            }
            .to_string(),
            engine_version: env!("CARGO_PKG_VERSION").to_string(),
        },
    };
    let width = prepared.width().max(1);
    let holdout_rows = prepared.x_holdout.chunks_exact(width);
    artifact.scores = match &prepared.labels {
        Labels::Classes { all, names } => {
            let actual: Vec<usize> = prepared.split.holdout.iter().map(|&i| all[i]).collect();
            let predicted: Vec<usize> = holdout_rows
                .map(|x| argmax(&artifact.model.forward(x)))
                .collect();
            metrics::classification(&actual, &predicted, names.len())
        }
        Labels::Values { all, .. } => {
            let actual: Vec<f64> = prepared.split.holdout.iter().map(|&i| all[i]).collect();
            let predicted: Vec<f64> = holdout_rows
                .map(|x| artifact.predict_prepared(x).value.unwrap_or(f64::NAN))
                .collect();
            metrics::regression(&actual, &predicted)
        }
    };
    Outcome {
        artifact,
        loss_curve,
    }
}
