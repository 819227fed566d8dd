//! Retraining a model on newer data and checking it against the version in production before
//! it may replace it. The candidate keeps the production run's recipe, family, hyperparameters,
//! split rule and seed; it learns from the batch alone or from the earlier rows plus the batch.
//! Both are judged on new ground: the held-out rows are drawn from the batch only (the
//! production model learned from the earlier rows, so rows from there would flatter it), the
//! candidate learns no row that repeats one of them, and both models are scored on exactly
//! those rows before `gate::decide` rules.

use std::collections::HashSet;

use kiln_protocol::explain::FairnessRequest;
use kiln_protocol::monitor::{Gate, RetrainReport};

use crate::artifact::{Artifact, fingerprint};
use crate::data::{Column, Frame, parse_parts};
use crate::fairness;
use crate::gate;
use crate::score::evaluate_rows;
use crate::split::Split;
use crate::train::{
    Labels, Prepared, SplitSpec, Task, TrainConfig, TrainError, labelled_rows, prepare_split,
};
use crate::validate::split_rows;

/// Where a prepared retraining's batch is among its frame's rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchRows {
    /// The batch's first frame row (the earlier file's rows come first).
    pub start: usize,
    /// Rows left out of training for repeating a held-out row (or sharing its group).
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
/// labelled row used for training, except rows that repeat a held-out one (or share its group
/// under a group split). Returns the run and where the batch's rows are.
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
    let (frame, starts) = parse_parts(&parts, &config.parse_options()).map_err(|(i, e)| {
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
    let in_batch = |e: &dyn std::fmt::Display| {
        TrainError::Config(format!(
            "{} (held-out rows are drawn from {} only): {e}",
            batch.file_name, batch.file_name
        ))
    };
    let inner = split_rows(&frame, &batch_rows, &restrict(&labels, &batch_pos), config)
        .map_err(|e| in_batch(&e))?;
    if inner.holdout.is_empty() || (inner.train.is_empty() && batch_start == 0) {
        return Err(in_batch(&"no row could be held out for the comparison"));
    }
    let mut held = vec![false; rows.len()];
    for &i in &inner.holdout {
        held[batch_pos[i]] = true;
    }
    let (train, overlap) = leave_out_repeats(&frame, &rows, &held, batch_start, config);
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

/// The training positions, leaving out every row a held-out row would otherwise be judged
/// against itself through: rows identical to a held-out one (compared on the columns both files
/// fill), and under a group split the rows of a held-out group. Returns them and how many were
/// left out.
fn leave_out_repeats(
    frame: &Frame,
    rows: &[usize],
    held: &[bool],
    batch_start: usize,
    config: &TrainConfig,
) -> (Vec<usize>, usize) {
    let filled = |c: &Column, range: std::ops::Range<usize>| {
        range.into_iter().any(|r| !c.data.is_missing(r))
    };
    let keys: Vec<&Column> = frame
        .columns
        .iter()
        .filter(|c| {
            batch_start == 0 || (filled(c, 0..batch_start) && filled(c, batch_start..frame.rows))
        })
        .collect();
    let signature = |r: usize| {
        keys.iter()
            .map(|c| c.cell_text(r))
            .collect::<Vec<_>>()
            .join("\u{1f}")
    };
    let group = match &config.split {
        SplitSpec::Group { column } => frame.column(column),
        _ => None,
    };
    let held_out = || (0..rows.len()).filter(|&p| held[p]).map(|p| rows[p]);
    let judged: HashSet<String> = held_out().map(signature).collect();
    let groups: HashSet<String> = group
        .map(|g| held_out().map(|r| g.cell_text(r)).collect())
        .unwrap_or_default();
    let mut train = Vec::with_capacity(rows.len());
    let mut overlap = 0;
    for p in (0..rows.len()).filter(|&p| !held[p]) {
        let r = rows[p];
        if judged.contains(&signature(r)) || group.is_some_and(|g| groups.contains(&g.cell_text(r)))
        {
            overlap += 1;
        } else {
            train.push(p);
        }
    }
    (train, overlap)
}

fn batch_has_no_target(frame: &Frame, config: &TrainConfig, start: usize) -> bool {
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
    if let (Task::Classification, Some(target)) =
        (production.task, prepared.frame.column(&production.target))
    {
        let mut unknown: Vec<String> = holdout
            .iter()
            .map(|&r| target.cell_text(r).trim().to_string())
            .filter(|label| !production.classes.contains(label))
            .collect();
        let count = unknown.len();
        unknown.sort();
        unknown.dedup();
        if count > 0 {
            decision.reasons.push(format!(
                "{count} of the {} held-out rows have a class production does not know ({}): production is scored without them.",
                holdout.len(),
                unknown.join(", ")
            ));
        }
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
