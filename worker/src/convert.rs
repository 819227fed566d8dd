//! Engine values turned into the protocol's boundary types.

use kiln_engine::metrics::Scores;
use kiln_engine::train::{Family, Task, TrainConfig, TrainError};
use kiln_protocol::project::{self, ConfusionMatrix, Metrics, ModelKind, TrainSpec};
use kiln_protocol::worker::JobError;

/// The engine's run configuration for a studio train spec.
pub fn config(spec: &TrainSpec) -> TrainConfig {
    TrainConfig {
        task: match spec.task {
            project::Task::Classification => Task::Classification,
            project::Task::Regression => Task::Regression,
        },
        target: spec.target.clone(),
        family: match spec.model {
            ModelKind::Linear => Family::Linear,
            ModelKind::Mlp => Family::Mlp,
        },
        seed: spec.seed,
        holdout: spec.holdout,
        epochs: spec.epochs,
        recipe: spec.recipe.clone(),
        split: spec.split.clone(),
    }
}

pub fn metrics(scores: &Scores, classes: &[String]) -> Metrics {
    match scores {
        Scores::Classification {
            accuracy,
            macro_f1,
            confusion,
            holdout_rows,
        } => Metrics::Classification {
            accuracy: *accuracy,
            macro_f1: *macro_f1,
            confusion: ConfusionMatrix {
                labels: classes.to_vec(),
                counts: confusion.clone(),
            },
            holdout_rows: *holdout_rows,
        },
        Scores::Regression {
            rmse,
            mae,
            r2,
            holdout_rows,
        } => Metrics::Regression {
            rmse: *rmse,
            mae: *mae,
            r2: *r2,
            holdout_rows: *holdout_rows,
        },
    }
}

pub fn input(field: kiln_engine::artifact::InputField) -> kiln_protocol::project::InputField {
    kiln_protocol::project::InputField {
        name: field.name,
        numeric: field.numeric,
        kind: Some(field.kind),
        categories: field.categories,
        default: field.default,
    }
}

pub fn train_error(e: &TrainError) -> JobError {
    let kind = match e {
        TrainError::Data(_) => "parse",
        TrainError::Prep(_) => "prepare",
        TrainError::Split(_) | TrainError::Config(_) => "split",
        TrainError::UnknownTarget { .. }
        | TrainError::OneClass { .. }
        | TrainError::TargetNotNumeric { .. }
        | TrainError::TooFewRows { .. }
        | TrainError::TooManyClasses { .. }
        | TrainError::TargetEmpty { .. }
        | TrainError::NoHoldout => "invalid_target",
        TrainError::Diverged { .. } => "diverged",
        TrainError::Cancelled => "cancelled",
        TrainError::Device(_) => "device",
    };
    JobError {
        kind: kind.to_string(),
        message: e.to_string(),
        details: None,
    }
}

pub fn error(kind: &str, message: impl ToString) -> JobError {
    JobError {
        kind: kind.to_string(),
        message: message.to_string(),
        details: None,
    }
}
