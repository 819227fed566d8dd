//! Choosing which rows train and which evaluate (holdout by class, at random, by group or by
//! time), and k-fold cross-validation in which the recipe is refitted inside every fold, so no
//! statistic of a validation row reaches the model that is scored on it.

use std::collections::HashMap;
use std::ops::ControlFlow;

use crate::data::{ColumnData, Frame};
use crate::linear::{Design, LinearParams, fit_logistic, fit_ridge};
use crate::model::argmax;
use crate::recipe::FittedRecipe;
use crate::split::{self, Split, SplitError};
use crate::stats::mean_std;
use crate::train::{Labels, Prepared, SplitSpec, TrainConfig, TrainError};

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
            Labels::Values { .. } => {
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
        (SplitSpec::Stratified, Labels::Values { .. }) => {
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
    })
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

/// Scores of k-fold cross-validation.
#[derive(Debug, Clone, PartialEq)]
pub struct CvScores {
    /// `accuracy` (classification) or `rmse` (regression).
    pub metric: &'static str,
    pub folds: Vec<f64>,
}

impl CvScores {
    pub fn mean_std(&self) -> (f64, f64) {
        mean_std(&self.folds)
    }
}

/// k-fold cross-validation of the linear model: in every fold the recipe and the model are
/// fitted on the fold's training rows only.
pub fn cross_validate_linear(
    prepared: &Prepared,
    k: usize,
    cancel: &mut dyn FnMut(usize) -> ControlFlow<()>,
) -> Result<CvScores, TrainError> {
    let mut scores = Vec::new();
    for (f, fold) in folds(prepared, k)?.iter().enumerate() {
        if cancel(f).is_break() {
            return Err(TrainError::Cancelled);
        }
        let (recipe, x, x_val) = fit_fold(prepared, fold)?;
        let design = Design {
            x: &x,
            width: recipe.width(),
        };
        let params = LinearParams::default();
        let width = recipe.width().max(1);
        let score = match &prepared.labels {
            Labels::Classes { all, names } => {
                let y: Vec<usize> = fold.train.iter().map(|&i| all[i]).collect();
                let (layer, _) = fit_logistic(&design, &y, names.len(), &params, &mut |_| {
                    ControlFlow::Continue(())
                })
                .ok_or(TrainError::Cancelled)?;
                let correct = x_val
                    .chunks_exact(width)
                    .zip(&fold.holdout)
                    .filter(|(row, i)| argmax(&layer.forward(row)) == all[**i])
                    .count();
                correct as f64 / fold.holdout.len().max(1) as f64
            }
            Labels::Values { all, .. } => {
                let raw: Vec<f64> = fold.train.iter().map(|&i| all[i]).collect();
                let (mean, sd) = mean_std(&raw);
                let sd = if sd > 1e-12 { sd } else { 1.0 };
                let y: Vec<f64> = raw.iter().map(|v| (v - mean) / sd).collect();
                let (layer, _) =
                    fit_ridge(&design, &y, &params, &mut |_| ControlFlow::Continue(()))
                        .ok_or(TrainError::Cancelled)?;
                let se: f64 = x_val
                    .chunks_exact(width)
                    .zip(&fold.holdout)
                    .map(|(row, i)| {
                        let p = layer.forward(row).first().copied().unwrap_or(0.0) * sd + mean;
                        (p - all[*i]).powi(2)
                    })
                    .sum();
                (se / fold.holdout.len().max(1) as f64).sqrt()
            }
        };
        scores.push(score);
    }
    Ok(CvScores {
        metric: match prepared.labels {
            Labels::Classes { .. } => "accuracy",
            Labels::Values { .. } => "rmse",
        },
        folds: scores,
    })
}
