//! Scoring a model on labelled rows of any frame (a new batch, the test rows of a retrained
//! run, a shuffled copy for permutation importance): the rows whose target cell is a known
//! class or a number are scored; the others are skipped.

use kiln_protocol::evaluation::Evaluation;

use crate::artifact::Artifact;
use crate::data::Frame;
use crate::evaluation;
use crate::models::Matrix;
use crate::train::Task;

/// The model's evaluation on `rows` of `frame`, `None` when the frame has no target column,
/// no row has a usable label, or the model is not supervised.
pub fn evaluate_rows(artifact: &Artifact, frame: &Frame, rows: &[usize]) -> Option<Evaluation> {
    frame.column(&artifact.target)?;
    let x = artifact.recipe.transform_frame(frame, rows);
    let x = Matrix::new(&x, artifact.recipe.width());
    let outputs: Vec<Vec<f64>> = x.rows().map(|r| artifact.model.output(r)).collect();
    evaluate_outputs(artifact, frame, rows, &outputs)
}

/// As [`evaluate_rows`], with the model's outputs on `rows` already computed (one per row,
/// in order), so a caller that needs them anyway does not predict twice.
pub fn evaluate_outputs(
    artifact: &Artifact,
    frame: &Frame,
    rows: &[usize],
    outputs: &[Vec<f64>],
) -> Option<Evaluation> {
    let target = frame.column(&artifact.target)?;
    match artifact.task {
        Task::Classification => {
            let (mut actual, mut proba) = (Vec::new(), Vec::new());
            for (&row, out) in rows.iter().zip(outputs) {
                let label = target.cell_text(row);
                if let Some(c) = artifact.classes.iter().position(|k| *k == label.trim()) {
                    actual.push(c);
                    proba.extend_from_slice(out);
                }
            }
            (!actual.is_empty()).then(|| {
                Evaluation::Classification(evaluation::classification(
                    &actual,
                    &proba,
                    &artifact.classes,
                ))
            })
        }
        Task::Regression => {
            let (mean, scale) = artifact.target_scale.unwrap_or((0.0, 1.0));
            let (mut actual, mut predicted) = (Vec::new(), Vec::new());
            for (&row, out) in rows.iter().zip(outputs) {
                if let Ok(v) = target.cell_text(row).trim().parse::<f64>()
                    && v.is_finite()
                {
                    actual.push(v);
                    predicted.push(out.first().copied().unwrap_or(f64::NAN) * scale + mean);
                }
            }
            (!actual.is_empty())
                .then(|| Evaluation::Regression(evaluation::regression(&actual, &predicted)))
        }
        Task::Clustering => None,
    }
}
