//! Choosing which rows train and which evaluate (holdout by class, at random, by group or by
//! time), and k-fold cross-validation in which the recipe is refitted inside every fold, so no
//! statistic of a validation row reaches the model that is scored on it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::ControlFlow;

use crate::data::{ColumnData, Frame};
use crate::fit::{FitTarget, evaluate, fit_model, no_stop};
use crate::models::Matrix;
use crate::recipe::FittedRecipe;
use crate::split::{self, Split, SplitError};
use crate::stats::mean_std;
use crate::train::{Family, Labels, Prepared, SplitSpec, Task, TrainConfig, TrainError};

fn config_error(message: String) -> TrainError {
    TrainError::Config(message)
}

/// A group id per labelled row (a missing value is its own group).
fn group_ids(frame: &Frame, column: &str, rows: &[usize]) -> Result<Vec<usize>, TrainError> {
    let c = frame
        .column(column)
        .ok_or_else(|| config_error(format!("there is no group column \"{column}\"")))?;
    let mut ids: HashMap<String, usize> = HashMap::new();
    Ok(rows
        .iter()
        .map(|&r| {
            let next = ids.len();
            *ids.entry(c.cell_text(r)).or_insert(next)
        })
        .collect())
}

/// A time per labelled row (NaN where missing, which the split reports).
fn time_keys(frame: &Frame, column: &str, rows: &[usize]) -> Result<Vec<f64>, TrainError> {
    let c = frame
        .column(column)
        .ok_or_else(|| config_error(format!("there is no time column \"{column}\"")))?;
    match &c.data {
        ColumnData::Numeric(v) => Ok(rows.iter().map(|&r| v[r].unwrap_or(f64::NAN)).collect()),
        ColumnData::Categorical(_) => Err(config_error(format!(
            "the time column \"{column}\" holds {} values; choose a date or number column, or change its type to datetime",
            c.kind.label()
        ))),
    }
}

fn check_column(config: &TrainConfig, column: &str) -> Result<(), TrainError> {
    if column == config.target {
        return Err(config_error(format!(
            "the target \"{column}\" cannot also be the split column"
        )));
    }
    Ok(())
}

/// Split errors in the person's terms: data rows (not labelled-row indices), class names.
fn explain(e: SplitError, rows: &[usize], labels: &Labels) -> TrainError {
    match e {
        SplitError::MissingTimes { rows: local, count } => {
            TrainError::Split(SplitError::MissingTimes {
                rows: local
                    .iter()
                    .map(|&i| rows.get(i).copied().unwrap_or(i))
                    .collect(),
                count,
            })
        }
        SplitError::ClassTooSmall { k, class, count } => match labels {
            Labels::Classes { names, .. } => TrainError::Config(format!(
                "stratified {k}-fold needs at least {k} rows of every class; \"{}\" has {count}",
                names.get(class).map_or("?", String::as_str)
            )),
            Labels::Values { .. } | Labels::None => {
                TrainError::Split(SplitError::ClassTooSmall { k, class, count })
            }
        },
        other => TrainError::Split(other),
    }
}

/// The train/holdout split of the labelled rows (indices into `rows`).
pub fn split_rows(
    frame: &Frame,
    rows: &[usize],
    labels: &Labels,
    config: &TrainConfig,
) -> Result<Split, TrainError> {
    let (fraction, seed) = (config.holdout, config.seed);
    Ok(match (&config.split, labels) {
        (SplitSpec::Auto | SplitSpec::Stratified, Labels::Classes { all, .. }) => {
            split::stratified(all, fraction, seed)
        }
        (SplitSpec::Stratified, Labels::Values { .. } | Labels::None) => {
            return Err(config_error(
                "a stratified split needs classes; use a random split for regression".into(),
            ));
        }
        (SplitSpec::Auto | SplitSpec::Random, _) => split::shuffled(rows.len(), fraction, seed),
        (SplitSpec::Group { column }, _) => {
            check_column(config, column)?;
            split::group_holdout(&group_ids(frame, column, rows)?, fraction, seed)
                .map_err(|e| explain(e, rows, labels))?
        }
        (SplitSpec::Time { column }, _) => {
            check_column(config, column)?;
            split::by_time(&time_keys(frame, column, rows)?, fraction)
                .map_err(|e| explain(e, rows, labels))?
        }
        (SplitSpec::Predefined { column }, _) => {
            check_column(config, column)?;
            predefined(frame, column, rows)?
        }
    })
}

/// The split a marker column states: rows where it reads true, yes, 1 or test are test rows.
fn predefined(frame: &Frame, column: &str, rows: &[usize]) -> Result<Split, TrainError> {
    let c = frame
        .column(column)
        .ok_or_else(|| config_error(format!("there is no test-marker column \"{column}\"")))?;
    let (mut train, mut holdout) = (Vec::new(), Vec::new());
    for (i, &r) in rows.iter().enumerate() {
        let text = c.cell_text(r).trim().to_ascii_lowercase();
        if matches!(text.as_str(), "true" | "yes" | "1" | "test") {
            holdout.push(i);
        } else {
            train.push(i);
        }
    }
    Ok(Split { train, holdout })
}

/// Cross-validation folds over the training part, following the split's rule. Indices are
/// into the prepared run's labelled rows.
pub fn folds(prepared: &Prepared, k: usize) -> Result<Vec<Split>, TrainError> {
    let train = &prepared.split.train;
    let config = &prepared.config;
    let frame_rows: Vec<usize> = train.iter().map(|&i| prepared.rows[i]).collect();
    let local = match (&config.split, &prepared.labels) {
        (SplitSpec::Auto | SplitSpec::Stratified, Labels::Classes { all, .. }) => {
            let classes: Vec<usize> = train.iter().map(|&i| all[i]).collect();
            split::stratified_kfold(&classes, k, config.seed)
        }
        (SplitSpec::Group { column }, _) => split::group_kfold(
            &group_ids(&prepared.frame, column, &frame_rows)?,
            k,
            config.seed,
        ),
        (SplitSpec::Time { column }, _) => {
            split::time_series_folds(&time_keys(&prepared.frame, column, &frame_rows)?, k)
        }
        _ => split::kfold(train.len(), k, config.seed),
    }
    .map_err(|e| explain(e, &frame_rows, &prepared.labels))?;
    let to_rows = |ix: &[usize]| ix.iter().map(|&i| train[i]).collect::<Vec<_>>();
    Ok(local
        .iter()
        .map(|s| Split {
            train: to_rows(&s.train),
            holdout: to_rows(&s.holdout),
        })
        .collect())
}

/// The recipe fitted on a fold's training rows, and both parts of the fold transformed by it.
pub fn fit_fold(
    prepared: &Prepared,
    fold: &Split,
) -> Result<(FittedRecipe, Vec<f64>, Vec<f64>), TrainError> {
    let to_frame = |ix: &[usize]| ix.iter().map(|&i| prepared.rows[i]).collect::<Vec<_>>();
    let recipe = FittedRecipe::fit(
        &prepared.recipe_spec,
        &prepared.frame,
        &prepared.config.target,
        &to_frame(&fold.train),
    )?;
    let x = recipe.transform_frame(&prepared.frame, &to_frame(&fold.train));
    let x_val = recipe.transform_frame(&prepared.frame, &to_frame(&fold.holdout));
    Ok((recipe, x, x_val))
}

/// Scores of k-fold cross-validation: every scalar metric of every fold.
#[derive(Debug, Clone, PartialEq)]
pub struct CvScores {
    /// The headline metric: `accuracy`, `rmse`, `silhouette` or `explained_variance`.
    pub metric: &'static str,
    /// Per fold, the metrics by name.
    pub folds: Vec<BTreeMap<String, f64>>,
}

impl CvScores {
    /// The headline metric's value in every fold.
    pub fn headline(&self) -> Vec<f64> {
        self.values(self.metric)
    }

    /// One metric's values across the folds (folds without it are skipped).
    pub fn values(&self, metric: &str) -> Vec<f64> {
        self.folds
            .iter()
            .filter_map(|f| f.get(metric).copied())
            .filter(|v| v.is_finite())
            .collect()
    }

    /// Mean and standard deviation of the headline metric.
    pub fn mean_std(&self) -> (f64, f64) {
        mean_std(&self.headline())
    }

    /// Mean and standard deviation of every metric.
    pub fn summary(&self) -> BTreeMap<String, (f64, f64)> {
        let names: BTreeSet<&String> = self.folds.iter().flat_map(|f| f.keys()).collect();
        names
            .into_iter()
            .map(|n| (n.clone(), mean_std(&self.values(n))))
            .collect()
    }
}

/// k-fold cross-validation of the run's model: in every fold the recipe and the model are
/// fitted on the fold's training rows only (a regression target's scale too), and scored on
/// the fold's other rows. `cancel(fold)` is asked before each fold.
pub fn cross_validate(
    prepared: &Prepared,
    k: usize,
    cancel: &mut dyn FnMut(usize) -> ControlFlow<()>,
) -> Result<CvScores, TrainError> {
    let mut folds_scores = Vec::new();
    for (f, fold) in folds(prepared, k)?.iter().enumerate() {
        if cancel(f).is_break() {
            return Err(TrainError::Cancelled);
        }
        let (recipe, x, x_val) = fit_fold(prepared, fold)?;
        let labels = fold_labels(&prepared.labels, &fold.train);
        let width = recipe.width();
        let target = FitTarget::of(&labels, &fold.train);
        let (model, _) = fit_model(
            &prepared.config,
            &Matrix::new(&x, width),
            &target,
            &mut no_stop,
        )?;
        let report = evaluate(
            &model,
            &labels,
            &fold.train,
            &fold.holdout,
            &Matrix::new(&x_val, width),
            prepared.config.seed,
        );
        folds_scores.push(report.model.scalars());
    }
    Ok(CvScores {
        metric: cv_metric(prepared),
        folds: folds_scores,
    })
}

/// The headline metric of a run's cross-validation.
pub fn cv_metric(prepared: &Prepared) -> &'static str {
    match prepared.labels {
        Labels::Classes { .. } if prepared.config.task == Task::Classification => "accuracy",
        Labels::Values { .. } => "rmse",
        _ if prepared.config.family == Family::Pca => "explained_variance",
        _ => "silhouette",
    }
}

/// The run as one fold sees it: the fold's training rows train (the recipe and a regression
/// target's scale refitted on them) and its other rows are the holdout. For models trained from
/// a whole `Prepared` (the networks); the other families cross-validate without the copy.
pub fn fold_prepared(prepared: &Prepared, fold: &Split) -> Result<Prepared, TrainError> {
    let (recipe, x_train, x_holdout) = if prepared.frame.columns.is_empty() {
        // Images: the rows are the pixel values themselves, with no recipe to refit; each fold
        // takes its rows from the run's training matrix.
        let width = prepared.width();
        let at: HashMap<usize, usize> = prepared
            .split
            .train
            .iter()
            .enumerate()
            .map(|(position, &row)| (row, position))
            .collect();
        let gather = |rows: &[usize]| -> Vec<f64> {
            rows.iter()
                .filter_map(|row| at.get(row))
                .flat_map(|&p| prepared.x_train[p * width..(p + 1) * width].iter().copied())
                .collect()
        };
        (
            prepared.recipe.clone(),
            gather(&fold.train),
            gather(&fold.holdout),
        )
    } else {
        fit_fold(prepared, fold)?
    };
    Ok(Prepared {
        config: prepared.config.clone(),
        frame: prepared.frame.clone(),
        rows: prepared.rows.clone(),
        labels: fold_labels(&prepared.labels, &fold.train),
        split: fold.clone(),
        recipe,
        recipe_spec: prepared.recipe_spec.clone(),
        x_train,
        x_holdout,
        data_hash: prepared.data_hash.clone(),
    })
}

/// The labels with a regression target's scale learned from the fold's training rows.
fn fold_labels(labels: &Labels, train: &[usize]) -> Labels {
    match labels {
        Labels::Values { all, .. } => {
            let raw: Vec<f64> = train.iter().map(|&i| all[i]).collect();
            let (mean, sd) = mean_std(&raw);
            Labels::Values {
                all: all.clone(),
                mean,
                scale: if sd > 1e-12 { sd } else { 1.0 },
            }
        }
        other => other.clone(),
    }
}
