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
    let target = frame.column(&artifact.target)?;
    let x = artifact.recipe.transform_frame(frame, rows);
    let x = Matrix::new(&x, artifact.recipe.width());
    match artifact.task {
        Task::Classification => {
            let (mut actual, mut proba) = (Vec::new(), Vec::new());
            for (&row, values) in rows.iter().zip(x.rows()) {
                let label = target.cell_text(row);
                if let Some(c) = artifact.classes.iter().position(|k| *k == label.trim()) {
                    actual.push(c);
                    proba.extend(artifact.model.output(values));
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
            for (&row, values) in rows.iter().zip(x.rows()) {
                if let Ok(v) = target.cell_text(row).trim().parse::<f64>()
                    && v.is_finite()
                {
                    actual.push(v);
                    let out = artifact.model.output(values);
                    predicted.push(out.first().copied().unwrap_or(f64::NAN) * scale + mean);
                }
            }
            (!actual.is_empty())
                .then(|| Evaluation::Regression(evaluation::regression(&actual, &predicted)))
        }
        Task::Clustering => None,
    }
}
