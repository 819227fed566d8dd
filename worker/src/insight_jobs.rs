//! Jobs that look at a trained model rather than train one: drift of a new batch against the
//! model's training reference, the Explain page's global explanation (on the run's test rows,
//! re-split as the run split them), fairness per group on the same rows, and one row's
//! contributions.

use std::collections::{BTreeMap, BTreeSet};

use kiln_engine::artifact::{Artifact, fingerprint};
use kiln_engine::data::{Frame, ParseOptions, parse};
use kiln_engine::explain::importance::{Rows, global};
use kiln_engine::explain::{ExplainError, contributions};
use kiln_engine::train::{Prepared, prepare};
use kiln_protocol::explain::{FairnessRequest, ModelExplanation};
use kiln_protocol::monitor::DriftSettings;
use kiln_protocol::project::TrainSpec;
use kiln_protocol::worker::{JobError, WorkerEvent};

use crate::convert;

/// Permutation repeats on the Explain page.
const REPEATS: usize = 5;
/// Test rows offered to pick from.
const PICKABLE_ROWS: usize = 100;
/// Most distinct values of a column offered as sensitive.
const MAX_GROUPS: usize = 20;

fn failed(job_id: u64, error: JobError) -> WorkerEvent {
    WorkerEvent::Failed { job_id, error }
}

fn artifact_of(value: serde_json::Value) -> Result<Artifact, JobError> {
    Artifact::from_value(value).map_err(|e| convert::error("artifact", e))
}

fn explain_error(e: ExplainError) -> JobError {
    convert::error("explain", e)
}

pub fn drift(
    job_id: u64,
    artifact: serde_json::Value,
    file_name: &str,
    text: &str,
    settings: &DriftSettings,
) -> WorkerEvent {
    let run = || -> Result<_, JobError> {
        let artifact = artifact_of(artifact)?;
        let frame = parse(
            file_name,
            text.as_bytes(),
            &ParseOptions::default(),
            &mut |_| {},
        )
        .map_err(|e| convert::error("parse", format!("{file_name}: {e}")))?;
        kiln_engine::drift::check(&artifact, &frame, settings)
            .map_err(|e| convert::error("drift", e))
    };
    match run() {
        Ok(report) => WorkerEvent::Drifted {
            job_id,
            report: Box::new(report),
        },
        Err(e) => failed(job_id, e),
    }
}

pub fn explain_model(
    job_id: u64,
    artifact: serde_json::Value,
    file_name: &str,
    text: &str,
    spec: &TrainSpec,
) -> WorkerEvent {
    let run = || -> Result<ModelExplanation, JobError> {
        let artifact = artifact_of(artifact)?;
        let (prepared, frame_rows) = test_rows(file_name, text, spec)?;
        let rows = Rows::new(&artifact, &prepared.frame, &frame_rows, None, spec.seed)
            .map_err(explain_error)?;
        let explanation = global(&artifact, &rows, REPEATS, spec.seed).map_err(explain_error)?;
        let note = (fingerprint(text.as_bytes()) != artifact.lineage.data_hash).then(|| {
            "This model learned from other data than the project's current data (it was retrained on a batch, or the data changed since). It is measured on the test rows of the project's data, which it may have learned from: importances and fairness can look better here than on new rows.".to_string()
        });
        Ok(ModelExplanation {
            global: explanation,
            rows: pickable(&artifact, &prepared.frame, &frame_rows),
            group_columns: group_columns(&prepared.frame, &artifact.target),
            note,
        })
    };
    match run() {
        Ok(explanation) => WorkerEvent::ExplainedModel {
            job_id,
            explanation: Box::new(explanation),
        },
        Err(e) => failed(job_id, e),
    }
}

/// The project's data prepared as the run split it, and the frame rows of its test rows.
fn test_rows(
    file_name: &str,
    text: &str,
    spec: &TrainSpec,
) -> Result<(Prepared, Vec<usize>), JobError> {
    let prepared =
        prepare(file_name, text, &convert::config(spec)).map_err(|e| convert::train_error(&e))?;
    let frame_rows = prepared.frame_rows(&prepared.split.holdout);
    Ok((prepared, frame_rows))
}

pub fn fairness(
    job_id: u64,
    artifact: serde_json::Value,
    file_name: &str,
    text: &str,
    spec: &TrainSpec,
    request: &FairnessRequest,
) -> WorkerEvent {
    let run = || -> Result<_, JobError> {
        let artifact = artifact_of(artifact)?;
        let (prepared, frame_rows) = test_rows(file_name, text, spec)?;
        kiln_engine::fairness::on_rows(&artifact, &prepared.frame, &frame_rows, request)
            .map_err(|e| convert::error("fairness", e))
    };
    match run() {
        Ok(report) => WorkerEvent::FairnessChecked {
            job_id,
            report: Box::new(report),
        },
        Err(e) => failed(job_id, e),
    }
}

pub fn explain_row(
    job_id: u64,
    artifact: serde_json::Value,
    row: &BTreeMap<String, String>,
) -> WorkerEvent {
    let run = || -> Result<_, JobError> {
        let artifact = artifact_of(artifact)?;
        let x = artifact
            .recipe
            .transform_text(|c| row.get(c).cloned())
            .map_err(|e| convert::error("input", e))?;
        contributions(&artifact, &x, artifact.lineage.seed).map_err(explain_error)
    };
    match run() {
        Ok(c) => WorkerEvent::ExplainedRow {
            job_id,
            contributions: Box::new(c),
        },
        Err(e) => failed(job_id, e),
    }
}

/// The first test rows as the prediction form holds them: each input's text, and the target.
fn pickable(artifact: &Artifact, frame: &Frame, rows: &[usize]) -> Vec<BTreeMap<String, String>> {
    let names: Vec<&str> = artifact
        .recipe
        .inputs
        .iter()
        .map(|i| i.name.as_str())
        .chain([artifact.target.as_str()])
        .collect();
    rows.iter()
        .take(PICKABLE_ROWS)
        .map(|&r| {
            names
                .iter()
                .filter_map(|n| Some((n.to_string(), frame.column(n)?.cell_text(r))))
                .collect()
        })
        .collect()
}

/// Columns with between 2 and [`MAX_GROUPS`] distinct values, the target left out.
fn group_columns(frame: &Frame, target: &str) -> Vec<String> {
    frame
        .columns
        .iter()
        .filter(|c| c.name != target)
        .filter(|c| {
            let mut seen = BTreeSet::new();
            for r in 0..frame.rows {
                let v = c.cell_text(r);
                if !v.is_empty() {
                    seen.insert(v);
                    if seen.len() > MAX_GROUPS {
                        return false;
                    }
                }
            }
            seen.len() >= 2
        })
        .map(|c| c.name.clone())
        .collect()
}
