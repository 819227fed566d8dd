//! Retraining a model on newer data and checking it against the version in production before
//! it may replace it. The candidate keeps the production run's recipe, family, hyperparameters,
//! split rule and seed; it learns from the batch alone or from the earlier rows plus the batch.
//! Its rival is judged on ground neither has seen: the held-out rows are drawn from the batch
//! only (the production model learned from the earlier rows, so rows from there would flatter
//! it), and both models are scored on exactly those rows before `gate::decide` rules.

use std::collections::HashSet;

use kiln_protocol::explain::FairnessRequest;
use kiln_protocol::monitor::{Gate, RetrainReport};

use crate::artifact::{Artifact, fingerprint};
use crate::data::{ParseOptions, parse_parts};
use crate::fairness;
use crate::gate;
use crate::score::evaluate_rows;
use crate::split::Split;
use crate::train::{Labels, Prepared, Task, TrainConfig, TrainError, labelled_rows, prepare_split};
use crate::validate::split_rows;

/// Where a prepared retraining's batch is among its frame's rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchRows {
    /// The batch's first frame row (the earlier file's rows come first).
    pub start: usize,
    /// Earlier rows left out of training for repeating a held-out batch row.
    pub overlap: usize,
}

/// A table file as the person gave it.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    pub file_name: &'a str,
    pub text: &'a str,
}

/// Prepares the candidate's run: `base` (the earlier rows, when combining) and `batch` typed
/// together, the batch's labelled rows split by the run's own rule and seed, and every other
/// labelled row used for training (but earlier rows identical to a held-out one). Returns the
/// run and where the batch's rows are.
pub fn prepare(
    config: &TrainConfig,
    base: Option<Source<'_>>,
    batch: Source<'_>,
) -> Result<(Prepared, BatchRows), TrainError> {
    if config.task == Task::Clustering {
        return Err(TrainError::Config(
            "a clustering model has no score on labelled rows to compare; retrain it on the Train page instead".into(),
        ));
    }
    let parts: Vec<(&str, &str)> = base
        .iter()
        .chain([&batch])
        .map(|s| (s.file_name, s.text))
        .collect();
    let options = ParseOptions {
        types: config
            .recipe
            .as_ref()
            .map(|r| r.types.clone())
            .unwrap_or_default(),
        ..ParseOptions::default()
    };
    let (frame, starts) = parse_parts(&parts, &options).map_err(|(i, e)| {
        TrainError::Config(format!("{}: {e}", parts.get(i).map_or("", |p| p.0)))
    })?;
    let batch_start = starts.last().copied().unwrap_or(0);
    if frame.column(&config.target).is_none() || batch_has_no_target(&frame, config, batch_start) {
        return Err(TrainError::Config(format!(
            "{} has no values of the target \"{}\": a model is retrained and compared on labelled rows",
            batch.file_name, config.target
        )));
    }
    let (rows, labels) = labelled_rows(&frame, config)?;
    // Positions (in `rows`) of the batch's labelled rows, split on their own.
    let batch_pos: Vec<usize> = (0..rows.len())
        .filter(|&p| rows[p] >= batch_start)
        .collect();
    if batch_pos.len() < 4 {
        return Err(TrainError::Config(format!(
            "{} has {} labelled rows; at least 4 are needed to hold some out for the comparison",
            batch.file_name,
            batch_pos.len()
        )));
    }
    let batch_rows: Vec<usize> = batch_pos.iter().map(|&p| rows[p]).collect();
    let inner = split_rows(&frame, &batch_rows, &restrict(&labels, &batch_pos), config)?;
    let mut held = vec![false; rows.len()];
    for &i in &inner.holdout {
        held[batch_pos[i]] = true;
    }
    // An earlier row identical to a held-out one (a batch that repeats old rows) would let
    // the candidate learn a row it is judged on: such rows are left out of training.
    let signature = |r: usize| {
        frame
            .columns
            .iter()
            .map(|c| c.cell_text(r))
            .collect::<Vec<_>>()
            .join("\u{1f}")
    };
    let judged: HashSet<String> = (0..rows.len())
        .filter(|&p| held[p])
        .map(|p| signature(rows[p]))
        .collect();
    let mut overlap = 0;
    let mut train = Vec::with_capacity(rows.len());
    for p in (0..rows.len()).filter(|&p| !held[p]) {
        if rows[p] < batch_start && judged.contains(&signature(rows[p])) {
            overlap += 1;
        } else {
            train.push(p);
        }
    }
    let split = Split {
        train,
        holdout: (0..rows.len()).filter(|&p| held[p]).collect(),
    };
    let mut hash_input = String::new();
    for (_, text) in &parts {
        hash_input.push_str(text);
    }
    let prepared = prepare_split(
        frame,
        fingerprint(hash_input.as_bytes()),
        config,
        rows,
        labels,
        split,
    )?;
    Ok((
        prepared,
        BatchRows {
            start: batch_start,
            overlap,
        },
    ))
}

fn batch_has_no_target(frame: &crate::data::Frame, config: &TrainConfig, start: usize) -> bool {
    frame
        .column(&config.target)
        .is_none_or(|c| (start..frame.rows).all(|r| c.data.is_missing(r)))
}

/// The labels of some positions only (for splitting the batch's rows on their own).
fn restrict(labels: &Labels, positions: &[usize]) -> Labels {
    match labels {
        Labels::Classes { all, names } => Labels::Classes {
            all: positions.iter().map(|&p| all[p]).collect(),
            names: names.clone(),
        },
        Labels::Values { all, mean, scale } => Labels::Values {
            all: positions.iter().map(|&p| all[p]).collect(),
            mean: *mean,
            scale: *scale,
        },
        Labels::None => Labels::None,
    }
}

/// Scores the candidate and production on the prepared run's held-out rows and applies the
/// gate. `batch` is where [`prepare`] put the batch.
pub fn compare(
    production: &Artifact,
    candidate: &Artifact,
    prepared: &Prepared,
    gate: &Gate,
    batch: BatchRows,
) -> Result<RetrainReport, TrainError> {
    if production.task != candidate.task || production.target != candidate.target {
        return Err(TrainError::Config(format!(
            "the production model predicts \"{}\" ({}), the candidate \"{}\" ({}): they cannot be compared",
            production.target,
            production.task.label(),
            candidate.target,
            candidate.task.label()
        )));
    }
    let holdout = prepared.frame_rows(&prepared.split.holdout);
    let score = |a: &Artifact| {
        evaluate_rows(a, &prepared.frame, &holdout)
            .map(|e| e.scalars())
            .unwrap_or_default()
    };
    let (cand_scores, prod_scores) = (score(candidate), score(production));
    let mut gap_error = None;
    let mut gaps = |a: &Artifact| {
        gate.fairness.as_ref().and_then(|f| {
            let request = FairnessRequest {
                column: f.column.clone(),
                positive: f.positive.clone(),
                threshold: f.max_gap,
            };
            match fairness::on_rows(a, &prepared.frame, &holdout, &request) {
                Ok(report) => Some(report.largest_gap),
                Err(e) => {
                    gap_error.get_or_insert(e);
                    None
                }
            }
        })
    };
    let (cand_gap, prod_gap) = (gaps(candidate), gaps(production));
    let mut decision = gate::decide(
        gate,
        &cand_scores,
        Some(&prod_scores),
        cand_gap,
        holdout.len(),
    );
    if let Some(e) = gap_error.filter(|_| cand_gap.is_none()) {
        decision.reasons.push(format!("Fairness: {e}."));
    }
    let train_frame_rows = prepared.frame_rows(&prepared.split.train);
    let base_rows = train_frame_rows
        .iter()
        .filter(|&&r| r < batch.start)
        .count();
    Ok(RetrainReport {
        decision,
        candidate: cand_scores,
        production: prod_scores,
        production_gap: prod_gap,
        base_rows,
        batch_train_rows: train_frame_rows.len() - base_rows,
        held_out: holdout.len(),
        overlap: batch.overlap,
    })
}
