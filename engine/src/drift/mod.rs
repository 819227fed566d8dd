//! Monitoring a shipped model: how a new batch of rows differs from the data the model was
//! trained on, feature by feature and in the model's own predictions, and how the model scores
//! on the batch when it carries the target. The training side is the [`Reference`] kept in the
//! artifact, so the check never needs the training rows.
//!
//! Each feature gets a test chosen by its type and the batch's size: Kolmogorov–Smirnov
//! (numbers) or chi-square (categories) for batches up to `test_rows` rows, where a p-value
//! means something; the normed Wasserstein distance or the Jensen–Shannon distance for larger
//! batches, where every test rejects differences too small to matter. PSI is reported for all.

pub mod reference;
pub mod stats;

use kiln_protocol::monitor::{
    BatchPerformance, DriftBin, DriftReport, DriftSettings, DriftTest, FeatureDrift,
};

use crate::artifact::{Artifact, format_value};
use crate::data::{ColumnType, Frame, format_typed};
use crate::model::{FittedModel, argmax};
use crate::models::Matrix;
use crate::train::Task;
pub use reference::{ColumnReference, Distribution, OTHER, Reference};
use reference::{Values, values_of};

/// Bins shown per numeric feature and used for its PSI (the reference keeps finer ones).
const SHOWN_BINS: usize = 10;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DriftError {
    #[error(
        "this model keeps no picture of its training data (it was trained before drift checks or on images); retrain it to check drift"
    )]
    NoReference,
    #[error("the batch has none of the model's input columns ({0})")]
    NoInputs(String),
    #[error("the batch has no rows")]
    Empty,
    #[error("{0}")]
    Settings(String),
}

/// Checks a batch against the model's training data.
pub fn check(
    artifact: &Artifact,
    batch: &Frame,
    settings: &DriftSettings,
) -> Result<DriftReport, DriftError> {
    check_settings(settings)?;
    let reference = artifact.reference.as_ref().ok_or(DriftError::NoReference)?;
    if batch.rows == 0 {
        return Err(DriftError::Empty);
    }
    let inputs = &artifact.recipe.inputs;
    let missing_columns: Vec<String> = inputs
        .iter()
        .filter(|i| batch.column(&i.name).is_none())
        .map(|i| i.name.clone())
        .collect();
    if !inputs.is_empty() && missing_columns.len() == inputs.len() {
        return Err(DriftError::NoInputs(missing_columns.join(", ")));
    }
    let rows: Vec<usize> = (0..batch.rows).collect();
    let columns = artifact.recipe.input_columns(batch, &rows);
    let mut features = Vec::with_capacity(columns.len());
    for (column, training) in columns.iter().zip(&reference.columns) {
        if missing_columns.contains(&column.name) {
            continue;
        }
        let (values, missing) = values_of(column);
        let show: fn(f64) -> String = if column.kind == ColumnType::Datetime {
            |x| format_typed(ColumnType::Datetime, x)
        } else {
            format_value
        };
        features.push(feature_drift(training, values, missing, settings, show));
    }
    let x = artifact.recipe.transform_frame(batch, &rows);
    let x = Matrix::new(&x, artifact.recipe.width());
    let outputs: Vec<Vec<f64>> = x.rows().map(|r| artifact.model.output(r)).collect();
    let prediction = reference.prediction.as_ref().and_then(|training| {
        let values = prediction_values(artifact, &outputs)?;
        let reference = ColumnReference {
            name: "prediction".into(),
            rows: training_rows(training),
            missing: 0,
            distribution: training.clone(),
        };
        Some(feature_drift(&reference, values, 0, settings, format_value))
    });
    let drifted: Vec<String> = features
        .iter()
        .filter(|f| f.drifted)
        .map(|f| f.name.clone())
        .collect();
    let drifted_share = if features.is_empty() {
        0.0
    } else {
        drifted.len() as f64 / features.len() as f64
    };
    Ok(DriftReport {
        rows: batch.rows,
        settings: *settings,
        drifted,
        drifted_share,
        features,
        prediction,
        performance: performance(artifact, batch, &rows, &outputs),
        missing_columns,
    })
}

fn check_settings(s: &DriftSettings) -> Result<(), DriftError> {
    if !(s.alpha > 0.0 && s.alpha < 1.0) {
        return Err(DriftError::Settings(format!(
            "the significance level must be between 0 and 1 (got {})",
            s.alpha
        )));
    }
    if !(s.distance > 0.0 && s.distance.is_finite()) {
        return Err(DriftError::Settings(format!(
            "the distance threshold must be above 0 (got {})",
            s.distance
        )));
    }
    Ok(())
}

fn training_rows(d: &Distribution) -> usize {
    match d {
        Distribution::Numeric { counts, .. } => counts.iter().sum::<u64>() as usize,
        Distribution::Categorical { categories } => {
            categories.iter().map(|(_, c)| c).sum::<u64>() as usize
        }
    }
}

/// The model's predictions on the batch as the reference keeps them: class labels, values in
/// the target's units, or cluster labels.
fn prediction_values<'a>(artifact: &Artifact, outputs: &[Vec<f64>]) -> Option<Values<'a>> {
    match (artifact.task, &artifact.model) {
        (Task::Classification, _) => Some(Values::Text(
            outputs
                .iter()
                .map(|o| artifact.classes.get(argmax(o)).cloned().unwrap_or_default())
                .map(Into::into)
                .collect(),
        )),
        (Task::Regression, _) => {
            let (mean, scale) = artifact.target_scale.unwrap_or((0.0, 1.0));
            Some(Values::Numbers(
                outputs
                    .iter()
                    .filter_map(|o| o.first())
                    .map(|v| v * scale + mean)
                    .filter(|v| v.is_finite())
                    .collect(),
            ))
        }
        (Task::Clustering, FittedModel::Pca(_)) => None,
        (Task::Clustering, _) => Some(Values::Text(
            outputs
                .iter()
                .map(|o| cluster_label(o.first().copied().unwrap_or(0.0)).into())
                .collect(),
        )),
    }
}

/// How a cluster is named in the prediction reference.
pub fn cluster_label(c: f64) -> String {
    format!("cluster {}", c.max(0.0) as usize)
}

/// Compares one feature's batch values with its training reference.
fn feature_drift(
    training: &ColumnReference,
    values: Values<'_>,
    missing: usize,
    settings: &DriftSettings,
    show: fn(f64) -> String,
) -> FeatureDrift {
    let total_ref = (training.rows + training.missing).max(1) as f64;
    let batch_rows;
    let (test, statistic, p_value, psi, bins, numeric);
    match (&training.distribution, values) {
        (
            Distribution::Numeric {
                edges,
                counts,
                min,
                std,
                ..
            },
            Values::Numbers(mut v),
        ) => {
            v.sort_by(f64::total_cmp);
            batch_rows = v.len();
            numeric = true;
            let ref_rows: u64 = counts.iter().sum();
            if v.len() <= settings.test_rows {
                let d = stats::ks_statistic(edges, counts, *min, &v);
                test = DriftTest::Ks;
                statistic = d;
                p_value = Some(stats::ks_p_value(d, ref_rows as usize, v.len()));
            } else {
                let w = stats::wasserstein(edges, counts, *min, &v);
                test = DriftTest::Wasserstein;
                statistic = if *std > 0.0 { w / std } else { w };
                p_value = None;
            }
            bins = numeric_bins(edges, counts, &v, show);
            psi = bins_psi(&bins);
        }
        (Distribution::Categorical { categories }, values) => {
            let text: Vec<String> = match values {
                Values::Text(t) => t.into_iter().map(|s| s.trim().to_string()).collect(),
                Values::Numbers(n) => n.into_iter().map(format_value).collect(),
            };
            batch_rows = text.len();
            numeric = false;
            bins = categorical_bins(categories, &text);
            let reference: Vec<f64> = bins.iter().map(|b| b.reference).collect();
            let batch: Vec<f64> = bins.iter().map(|b| b.batch).collect();
            if text.len() <= settings.test_rows {
                let observed: Vec<u64> = batch
                    .iter()
                    .map(|s| (s * text.len() as f64).round() as u64)
                    .collect();
                let (stat, p) = stats::chi_square(&observed, &reference);
                test = DriftTest::ChiSquare;
                statistic = stat;
                p_value = Some(p);
            } else {
                test = DriftTest::JensenShannon;
                statistic = stats::jensen_shannon(&reference, &batch);
                p_value = None;
            }
            psi = bins_psi(&bins);
        }
        (Distribution::Numeric { .. }, Values::Text(_)) => {
            // The recipe types the batch like the training data, so this cannot happen; a
            // column that could not be compared is reported as unchanged.
            batch_rows = 0;
            numeric = true;
            test = DriftTest::Ks;
            statistic = 0.0;
            p_value = Some(1.0);
            psi = 0.0;
            bins = Vec::new();
        }
    }
    let drifted = batch_rows > 0
        && match p_value {
            Some(p) => p < settings.alpha,
            None => statistic > settings.distance,
        };
    let batch_total = (batch_rows + missing).max(1) as f64;
    FeatureDrift {
        name: training.name.clone(),
        numeric,
        test,
        statistic: finite(statistic),
        p_value: p_value.map(finite),
        psi: finite(psi),
        drifted,
        rows: batch_rows,
        missing_reference: training.missing as f64 / total_ref,
        missing_batch: missing as f64 / batch_total,
        bins,
    }
}

fn finite(v: f64) -> f64 {
    if v.is_finite() { v } else { 0.0 }
}

/// The reference's quantile bins merged into at most [`SHOWN_BINS`], with the share of the
/// training rows and of the batch in each (batch values outside the training range go to the
/// first or last bin), labelled by their edges as `show` writes them.
fn numeric_bins(
    edges: &[f64],
    counts: &[u64],
    sorted_batch: &[f64],
    show: fn(f64) -> String,
) -> Vec<DriftBin> {
    let total: u64 = counts.iter().sum::<u64>().max(1);
    let n = edges.len();
    let groups = n.min(SHOWN_BINS);
    let mut out = Vec::with_capacity(groups);
    let mut below = 0usize;
    for g in 0..groups {
        let (start, end) = (g * n / groups, (g + 1) * n / groups);
        let upper = edges[end - 1];
        let reference: u64 = counts[start..end].iter().sum();
        let at_or_below = if g + 1 == groups {
            sorted_batch.len()
        } else {
            sorted_batch.partition_point(|x| *x <= upper)
        };
        let label = if g + 1 == groups {
            format!("> {}", show(edges[start.saturating_sub(1)]))
        } else {
            format!("≤ {}", show(upper))
        };
        out.push(DriftBin {
            label,
            reference: reference as f64 / total as f64,
            batch: (at_or_below - below) as f64 / sorted_batch.len().max(1) as f64,
        });
        below = at_or_below;
    }
    if groups == 1 {
        out[0].label = format!("≤ {}", show(edges[n - 1]));
    }
    out
}

/// The training categories with the batch's shares; batch values the training data did not
/// have join the reference's [`OTHER`] bin, or a new one.
fn categorical_bins(categories: &[(String, u64)], batch: &[String]) -> Vec<DriftBin> {
    let total: u64 = categories.iter().map(|(_, c)| c).sum::<u64>().max(1);
    let mut counts = vec![0usize; categories.len()];
    let other = categories.iter().position(|(c, _)| c == OTHER);
    let mut unseen = 0usize;
    for v in batch {
        match categories.iter().position(|(c, _)| c == v) {
            Some(i) => counts[i] += 1,
            None => match other {
                Some(i) => counts[i] += 1,
                None => unseen += 1,
            },
        }
    }
    let n = batch.len().max(1) as f64;
    let mut bins: Vec<DriftBin> = categories
        .iter()
        .zip(&counts)
        .map(|((label, c), b)| DriftBin {
            label: label.clone(),
            reference: *c as f64 / total as f64,
            batch: *b as f64 / n,
        })
        .collect();
    if unseen > 0 {
        bins.push(DriftBin {
            label: OTHER.into(),
            reference: 0.0,
            batch: unseen as f64 / n,
        });
    }
    bins
}

fn bins_psi(bins: &[DriftBin]) -> f64 {
    let reference: Vec<f64> = bins.iter().map(|b| b.reference).collect();
    let batch: Vec<f64> = bins.iter().map(|b| b.batch).collect();
    stats::psi(&reference, &batch)
}

/// The model's scores on the batch when it has the target, next to its test scores.
fn performance(
    artifact: &Artifact,
    batch: &Frame,
    rows: &[usize],
    outputs: &[Vec<f64>],
) -> Vec<BatchPerformance> {
    let Some(scores) = crate::score::evaluate_outputs(artifact, batch, rows, outputs) else {
        return Vec::new();
    };
    scores
        .scalars()
        .into_iter()
        .filter(|(_, v)| v.is_finite())
        .map(|(metric, batch)| BatchPerformance {
            training: artifact.scores.get(&metric).copied(),
            metric,
            batch,
        })
        .collect()
}
