//! What `kiln train` prints: a table for a person, or one JSON object for a program.

use kiln_engine::fit::Outcome;
use kiln_engine::train::{Prepared, Task};
use kiln_engine::validate::CvScores;
use kiln_protocol::evaluation::Evaluation;
use serde_json::{Map, Value, json};

#[derive(Debug, Clone, Copy)]
pub struct Timing {
    pub fit_seconds: f64,
    pub predict_seconds: f64,
}

/// The metrics every report of a task carries (null where undefined, e.g. ROC-AUC with a
/// class missing from the test rows), then any others the evaluation has.
fn metrics(task: Task, evaluation: &Evaluation) -> Map<String, Value> {
    let required: &[&str] = match task {
        Task::Classification => &["accuracy", "f1_macro", "roc_auc", "log_loss"],
        Task::Regression => &["rmse", "mae", "r2"],
        Task::Clustering => match evaluation {
            Evaluation::Decomposition(_) => &[],
            _ => &["ari", "silhouette"],
        },
    };
    let mut out: Map<String, Value> = required
        .iter()
        .map(|k| (k.to_string(), Value::Null))
        .collect();
    for (name, value) in evaluation.scalars() {
        out.insert(name, json!(value));
    }
    if let Evaluation::Decomposition(d) = evaluation {
        out.insert(
            "explained_variance_ratio".into(),
            json!(d.explained_variance_ratio),
        );
    }
    out
}

pub fn json(
    prepared: &Prepared,
    outcome: &Outcome,
    cv: Option<&CvScores>,
    timing: Timing,
) -> Value {
    let a = &outcome.artifact;
    let task = prepared.config.task;
    let mut report = json!({
        "task": task.label(),
        "model": a.lineage.family,
        "target": (!a.target.is_empty()).then_some(&a.target),
        "n_train": prepared.split.train.len(),
        "n_test": prepared.split.holdout.len(),
        "fit_seconds": timing.fit_seconds,
        "predict_seconds": timing.predict_seconds,
        "metrics": metrics(task, &outcome.evaluation.model),
        "baseline": outcome.evaluation.baseline.as_ref().map(|b| metrics(task, b)),
        "classes": a.classes,
        "params": a.lineage.params,
        "seed": a.lineage.seed,
        "data_hash": a.lineage.data_hash,
        "features": a.recipe.features,
        "notes": a.recipe.notes,
    });
    if let Evaluation::Classification(c) = &outcome.evaluation.model {
        report["confusion"] = json!({ "labels": c.labels, "counts": c.confusion });
    }
    if let Some(cv) = cv {
        let summary: Map<String, Value> = cv
            .summary()
            .into_iter()
            .map(|(name, (mean, std))| (name, json!({ "mean": mean, "std": std })))
            .collect();
        report["cv"] = Value::Object(summary);
        report["cv_folds"] = json!(cv.folds.len());
    }
    report
}

pub fn print(prepared: &Prepared, outcome: &Outcome, cv: Option<&CvScores>, timing: Timing) {
    let a = &outcome.artifact;
    println!(
        "{} ({}) on {} training rows, {} test rows; fit {:.3} s, predict {:.3} s",
        a.lineage.family,
        prepared.config.task.label(),
        prepared.split.train.len(),
        prepared.split.holdout.len(),
        timing.fit_seconds,
        timing.predict_seconds
    );
    let model = outcome.evaluation.model.scalars();
    let baseline = outcome
        .evaluation
        .baseline
        .as_ref()
        .map(Evaluation::scalars)
        .unwrap_or_default();
    if baseline.is_empty() {
        println!("{:<20}{:>12}", "metric", "model");
    } else {
        println!("{:<20}{:>12}{:>12}", "metric", "model", "baseline");
    }
    for (name, value) in &model {
        match baseline.get(name) {
            Some(b) => println!("{name:<20}{value:>12.4}{b:>12.4}"),
            None => println!("{name:<20}{value:>12.4}"),
        }
    }
    match &outcome.evaluation.model {
        Evaluation::Classification(c) => {
            println!("confusion (rows: actual, columns: predicted):");
            println!("  {}", c.labels.join("\t"));
            for (label, row) in c.labels.iter().zip(&c.confusion) {
                let cells: Vec<String> = row.iter().map(u64::to_string).collect();
                println!("  {}\t{label}", cells.join("\t"));
            }
        }
        Evaluation::Decomposition(d) => {
            let ratios: Vec<String> = d
                .explained_variance_ratio
                .iter()
                .map(|r| format!("{r:.4}"))
                .collect();
            println!("explained variance ratio: {}", ratios.join(" "));
        }
        _ => {}
    }
    if let Some(cv) = cv {
        let (mean, std) = cv.mean_std();
        println!(
            "cross-validation ({} folds): {} {mean:.4} ± {std:.4}",
            cv.folds.len(),
            cv.metric
        );
    }
    for note in &a.recipe.notes {
        println!("note: {note}");
    }
}

/// How a neural network trained: device, epochs, and the last epoch's figures.
pub fn print_history(history: &kiln_protocol::project::TrainingHistory, device: &str) {
    let Some(last) = history.epochs.last() else {
        return;
    };
    println!(
        "trained on {device}: {} epochs, last train loss {:.4}{}",
        history.epochs.len(),
        last.train_loss,
        last.val_loss
            .map(|v| format!(", validation loss {v:.4}"))
            .unwrap_or_default()
    );
    if let Some(stopped) = &history.stopped {
        println!("{stopped}");
    }
}
