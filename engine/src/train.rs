//! Preparing a run: parse, pick the target, split, fit the recipe on the training part and
//! transform both parts. Fitting and scoring follow in `fit` (and `nn` for neural networks).

use std::collections::{BTreeMap, BTreeSet};

use crate::artifact::fingerprint;
use crate::data::{ColumnData, DataError, Frame, ParseOptions, format_typed, parse};
use crate::models::params::ParamError;
use crate::recipe::{FittedRecipe, PrepError, Recipe, Step, default_recipe};
use crate::split::{Split, SplitError};
use crate::validate::split_rows;

pub use crate::fit::{Outcome, finish, train};
pub use kiln_protocol::project::{ModelKind as Family, SplitSpec, Task};

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
    /// Hyperparameters by name, as written (`max_depth` → `6`); checked before fitting.
    pub params: BTreeMap<String, String>,
    /// Train on at most this many of the training rows (a search's early rounds); the test
    /// rows stay the same.
    pub max_train_rows: Option<usize>,
}

impl TrainConfig {
    /// How a run reads its data: with the column types its recipe names.
    pub fn parse_options(&self) -> ParseOptions {
        ParseOptions {
            types: self
                .recipe
                .as_ref()
                .map(|r| r.types.clone())
                .unwrap_or_default(),
            ..ParseOptions::default()
        }
    }

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
            params: BTreeMap::new(),
            max_train_rows: None,
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
    #[error(transparent)]
    Param(#[from] ParamError),
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
    /// Unsupervised: every row, no target.
    None,
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

    /// Frame rows of some of the prepared rows (`split.train` or `split.holdout` index the
    /// rows that have a target, not the frame).
    pub fn frame_rows(&self, split_rows: &[usize]) -> Vec<usize> {
        split_rows.iter().map(|&i| self.rows[i]).collect()
    }

    /// Training targets: class indices.
    pub fn train_classes(&self) -> Vec<usize> {
        match &self.labels {
            Labels::Classes { all, .. } => self.split.train.iter().map(|&i| all[i]).collect(),
            Labels::Values { .. } | Labels::None => Vec::new(),
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
            Labels::Classes { .. } | Labels::None => Vec::new(),
        }
    }

    pub fn n_outputs(&self) -> usize {
        match &self.labels {
            Labels::Classes { names, .. } => names.len(),
            Labels::Values { .. } | Labels::None => 1,
        }
    }
}

/// Parses the text and prepares the split, recipe and matrices for `config`.
pub fn prepare(file_name: &str, text: &str, config: &TrainConfig) -> Result<Prepared, TrainError> {
    let frame = parse(
        file_name,
        text.as_bytes(),
        &config.parse_options(),
        &mut |_| {},
    )?;
    prepare_frame(frame, fingerprint(text.as_bytes()), config)
}

/// Prepares an already parsed frame.
pub fn prepare_frame(
    frame: Frame,
    data_hash: String,
    config: &TrainConfig,
) -> Result<Prepared, TrainError> {
    let (rows, labels) = labelled_rows(&frame, config)?;
    let split = split_rows(&frame, &rows, &labels, config)?;
    prepare_split(frame, data_hash, config, rows, labels, split)
}

/// Checks `config` against the frame and returns the rows that take part (frame rows) with
/// their labels, as [`prepare_split`] takes them.
pub fn labelled_rows(
    frame: &Frame,
    config: &TrainConfig,
) -> Result<(Vec<usize>, Labels), TrainError> {
    check_family(config)?;
    if config.family.images() {
        return Err(TrainError::Config(
            "cnn learns from images, not from a table: give a folder with one folder of images per class (kiln train --images DIR --model cnn)".into(),
        ));
    }
    if !(config.holdout > 0.0 && config.holdout < 1.0) {
        return Err(TrainError::Config(format!(
            "the test fraction must be between 0 and 1 (got {})",
            config.holdout
        )));
    }
    let (rows, labels) = rows_and_labels(frame, config)?;
    if rows.len() < 4 {
        return Err(TrainError::TooFewRows { rows: rows.len() });
    }
    Ok((rows, labels))
}

/// Prepares a frame whose rows are already split: `split` indexes `rows` (the labelled frame
/// rows of [`labelled_rows`]).
pub fn prepare_split(
    frame: Frame,
    data_hash: String,
    config: &TrainConfig,
    rows: Vec<usize>,
    mut labels: Labels,
    mut split_local: Split,
) -> Result<Prepared, TrainError> {
    if split_local.holdout.is_empty() || split_local.train.is_empty() {
        return Err(TrainError::NoHoldout);
    }
    if let Some(max) = config.max_train_rows
        && split_local.train.len() > max.max(2)
    {
        let mut rng = crate::split::SplitMix64::new(config.seed ^ 0x00ab_cdef);
        rng.shuffle(&mut split_local.train);
        split_local.train.truncate(max.max(2));
        split_local.train.sort_unstable();
    }
    // The target's scale, like the recipe, is learned from training rows only.
    if let Labels::Values { all, mean, scale } = &mut labels {
        (*mean, *scale) = mean_and_scale(split_local.train.iter().map(|&i| all[i]));
    }
    // `split_local` indexes `rows`; the recipe needs frame rows.
    let to_frame = |ix: &[usize]| ix.iter().map(|&i| rows[i]).collect::<Vec<_>>();
    let recipe_spec = match &config.recipe {
        Some(r) => r.clone(),
        None => {
            let mut r = default_recipe(&frame, Some(&config.target));
            if config.family.handles_missing() {
                r.steps.retain(|s| !matches!(s, Step::Impute { .. }));
            }
            r
        }
    };
    let mut recipe_spec = recipe_spec;
    if let SplitSpec::Predefined { column } = &config.split {
        recipe_spec.drop_column(column);
    }
    let mut recipe = FittedRecipe::fit(
        &recipe_spec,
        &frame,
        &config.target,
        &to_frame(&split_local.train),
    )?;
    recipe.keep_missing = config.family.handles_missing();
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

/// Refuses a family that cannot learn the task, naming those that can.
fn check_family(config: &TrainConfig) -> Result<(), TrainError> {
    let family = config.family;
    // (`linear` on classes means logistic regression: `Family::tasks` lists both.)
    if family.supports(config.task) {
        return Ok(());
    }
    let can: Vec<&str> = Family::for_task(config.task)
        .into_iter()
        .map(Family::name)
        .collect();
    Err(TrainError::Config(format!(
        "{} does not do {}; for {} choose one of: {}",
        family.name(),
        config.task.label(),
        config.task.label(),
        can.join(", ")
    )))
}

/// The rows that take part and their labels. Unsupervised runs use every row; a target, when
/// given, is kept as classes to compare the clusters with.
fn rows_and_labels(
    frame: &Frame,
    config: &TrainConfig,
) -> Result<(Vec<usize>, Labels), TrainError> {
    let unknown = || TrainError::UnknownTarget {
        target: config.target.clone(),
        available: frame.names().join(", "),
    };
    if config.task == Task::Clustering {
        if config.target.is_empty() {
            return Ok(((0..frame.rows).collect(), Labels::None));
        }
        let target = frame.column(&config.target).ok_or_else(unknown)?;
        let (rows, labels) = class_labels(target);
        // Rows without a label still take part in clustering, but the comparison needs labels:
        // keep only labelled rows so every row has one.
        return Ok((rows, labels));
    }
    let target = frame.column(&config.target).ok_or_else(unknown)?;
    if target.missing() == target.data.len() {
        return Err(TrainError::TargetEmpty {
            target: config.target.clone(),
        });
    }
    let (rows, labels) = labels_for(target, config)?;
    if let Labels::Classes { names, .. } = &labels
        && (names.len() > MAX_CLASSES || names.len() * 2 > rows.len())
    {
        return Err(TrainError::TooManyClasses {
            target: config.target.clone(),
            classes: names.len(),
            rows: rows.len(),
        });
    }
    Ok((rows, labels))
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
    match config.task {
        Task::Classification | Task::Clustering => {
            let (rows, labels) = class_labels(target);
            if let Labels::Classes { names, .. } = &labels
                && names.len() == 1
            {
                return Err(TrainError::OneClass {
                    target: config.target.clone(),
                    class: names[0].clone(),
                });
            }
            Ok((rows, labels))
        }
        Task::Regression => {
            let ColumnData::Numeric(v) = &target.data else {
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

/// The labelled rows of a class target, classes sorted by name.
fn class_labels(target: &crate::data::Column) -> (Vec<usize>, Labels) {
    let text: Vec<Option<String>> = match &target.data {
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
    // Class names are sorted, so a binary search finds each row's class.
    let (rows, all) = text
        .iter()
        .enumerate()
        .filter_map(|(r, t)| Some((r, names.binary_search(t.as_ref()?).ok()?)))
        .unzip();
    (rows, Labels::Classes { all, names })
}
