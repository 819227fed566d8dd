//! Engine values turned into the protocol's boundary types.

use kiln_engine::data::Profile;
use kiln_engine::metrics::Scores;
use kiln_engine::train::TrainError;
use kiln_protocol::project::{ColumnKind, ColumnProfile, ConfusionMatrix, DatasetProfile, Metrics};
use kiln_protocol::worker::JobError;

pub fn profile(p: Profile) -> DatasetProfile {
    DatasetProfile {
        rows: p.rows,
        columns: p
            .columns
            .into_iter()
            .map(|c| ColumnProfile {
                name: c.name,
                kind: if c.numeric {
                    ColumnKind::Numeric
                } else {
                    ColumnKind::Categorical
                },
                missing: c.missing,
                distinct: c.distinct,
            })
            .collect(),
        preview: p.preview,
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
        categories: field.categories,
        default: field.default,
    }
}

pub fn train_error(e: &TrainError) -> JobError {
    let kind = match e {
        TrainError::Data(_) => "parse",
        TrainError::Prep(_) => "prepare",
        TrainError::UnknownTarget { .. }
        | TrainError::OneClass { .. }
        | TrainError::TargetNotNumeric { .. }
        | TrainError::TooFewRows { .. }
        | TrainError::TooManyClasses { .. }
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
