//! The preparation recipe as a person writes it: column type overrides and an ordered list of
//! steps. The studio edits it, exports it as JSON, and `kiln train --recipe` reads the same
//! file. The engine fits it on training rows and freezes the fitted form into the artifact.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What a column holds, as inferred on import or set by the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnType {
    Integer,
    /// `numeric` is the name earlier projects used.
    #[serde(alias = "numeric")]
    Float,
    Boolean,
    Categorical,
    /// Free text (long, mostly unique values); not used as a model input unless re-typed.
    Text,
    /// Dates and times, held as seconds since 1970-01-01 UTC.
    Datetime,
}

impl ColumnType {
    pub const ALL: [ColumnType; 6] = [
        ColumnType::Integer,
        ColumnType::Float,
        ColumnType::Boolean,
        ColumnType::Categorical,
        ColumnType::Text,
        ColumnType::Datetime,
    ];

    /// Held as numbers (booleans as 0/1, dates as seconds).
    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            ColumnType::Integer | ColumnType::Float | ColumnType::Boolean | ColumnType::Datetime
        )
    }

    pub fn label(self) -> &'static str {
        match self {
            ColumnType::Integer => "integer",
            ColumnType::Float => "float",
            ColumnType::Boolean => "boolean",
            ColumnType::Categorical => "categorical",
            ColumnType::Text => "text",
            ColumnType::Datetime => "datetime",
        }
    }

    pub fn from_label(label: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.label() == label)
    }
}

/// A preparation recipe. Steps run in order on a working table; each replaces the columns it
/// names in place. The target column is never touched by a step. Whatever is left at the end
/// becomes the model's inputs: numbers as they are (a missing number gets the training mean),
/// categories one-hot encoded, free text left out.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Recipe {
    /// Column types that override what import inferred.
    #[serde(default)]
    pub types: BTreeMap<String, ColumnType>,
    #[serde(default)]
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Step {
    /// Leave columns out of the model.
    Drop {
        columns: Vec<String>,
    },
    /// Fill missing values; optionally add a `<column>_missing` 0/1 column first.
    Impute {
        columns: Vec<String>,
        strategy: Impute,
        #[serde(default)]
        indicator: bool,
    },
    /// Limit numbers to bounds learned from training rows.
    Clip {
        columns: Vec<String>,
        method: Clip,
    },
    Scale {
        columns: Vec<String>,
        method: Scale,
    },
    /// `sign(x) * ln(1 + |x|)`: compresses long tails, defined for negatives too.
    Log1p {
        columns: Vec<String>,
    },
    /// One 0/1 column per level; levels beyond `max_levels` (by training frequency) and values
    /// never seen in training go to an `other` column; a missing value is all zeros.
    OneHot {
        columns: Vec<String>,
        #[serde(default = "default_max_levels")]
        max_levels: usize,
    },
    /// Levels numbered in sorted order; an unseen level is treated as missing.
    Ordinal {
        columns: Vec<String>,
    },
    /// Replace a date column by numeric parts.
    DateParts {
        columns: Vec<String>,
        parts: Vec<DatePart>,
    },
    /// Replace numbers by the index of their quantile bin (bin edges from training rows).
    Bin {
        columns: Vec<String>,
        bins: usize,
    },
    /// A new numeric column computed from others, e.g. `log(income) / age`.
    Formula {
        name: String,
        expr: String,
    },
}

impl Recipe {
    /// Drops `column` before every step: added to the first drop step (or a new one at the
    /// start) and taken out of the other steps, a step left with no columns removed. False
    /// when the recipe already dropped it there.
    pub fn drop_column(&mut self, column: &str) -> bool {
        let first_drop = self
            .steps
            .iter()
            .position(|s| matches!(s, Step::Drop { .. }));
        let already = first_drop == Some(0) && self.steps[0].columns().iter().any(|c| c == column);
        for step in &mut self.steps {
            if !matches!(step, Step::Drop { .. })
                && let Some(columns) = step.columns_mut()
            {
                columns.retain(|c| c != column);
            }
        }
        self.steps.retain(|s| {
            matches!(s, Step::Formula { .. } | Step::Drop { .. }) || !s.columns().is_empty()
        });
        if already {
            return false;
        }
        match self.steps.first_mut() {
            Some(Step::Drop { columns }) => {
                if !columns.iter().any(|c| c == column) {
                    columns.push(column.to_string());
                }
            }
            _ => self.steps.insert(
                0,
                Step::Drop {
                    columns: vec![column.to_string()],
                },
            ),
        }
        true
    }
}

pub fn default_max_levels() -> usize {
    20
}

impl Step {
    pub fn op(&self) -> &'static str {
        match self {
            Step::Drop { .. } => "drop",
            Step::Impute { .. } => "impute",
            Step::Clip { .. } => "clip",
            Step::Scale { .. } => "scale",
            Step::Log1p { .. } => "log1p",
            Step::OneHot { .. } => "one_hot",
            Step::Ordinal { .. } => "ordinal",
            Step::DateParts { .. } => "date_parts",
            Step::Bin { .. } => "bin",
            Step::Formula { .. } => "formula",
        }
    }

    /// The columns a step reads (a formula's are inside its expression).
    pub fn columns(&self) -> &[String] {
        match self {
            Step::Drop { columns }
            | Step::Impute { columns, .. }
            | Step::Clip { columns, .. }
            | Step::Scale { columns, .. }
            | Step::Log1p { columns }
            | Step::OneHot { columns, .. }
            | Step::Ordinal { columns }
            | Step::DateParts { columns, .. }
            | Step::Bin { columns, .. } => columns,
            Step::Formula { .. } => &[],
        }
    }

    /// The columns a step reads, to edit (`None` for a formula).
    pub fn columns_mut(&mut self) -> Option<&mut Vec<String>> {
        match self {
            Step::Drop { columns }
            | Step::Impute { columns, .. }
            | Step::Clip { columns, .. }
            | Step::Scale { columns, .. }
            | Step::Log1p { columns }
            | Step::OneHot { columns, .. }
            | Step::Ordinal { columns }
            | Step::DateParts { columns, .. }
            | Step::Bin { columns, .. } => Some(columns),
            Step::Formula { .. } => None,
        }
    }

    /// One line a person reads in the recipe list.
    pub fn describe(&self) -> String {
        let cols = self.columns().join(", ");
        match self {
            Step::Drop { .. } => format!("drop {cols}"),
            Step::Impute {
                strategy,
                indicator,
                ..
            } => {
                let how = match strategy {
                    Impute::Mean => "mean".to_string(),
                    Impute::Median => "median".to_string(),
                    Impute::MostFrequent => "most frequent value".to_string(),
                    Impute::Constant(v) => format!("\"{v}\""),
                };
                let flag = if *indicator {
                    ", with missing indicator"
                } else {
                    ""
                };
                format!("fill missing {cols} with the {how}{flag}")
            }
            Step::Clip { method, .. } => match method {
                Clip::Iqr => format!("clip {cols} to 1.5 × IQR beyond the quartiles"),
                Clip::Percentiles(lo, hi) => format!("clip {cols} to percentiles {lo}–{hi}"),
            },
            Step::Scale { method, .. } => {
                let how = match method {
                    Scale::Standard => "standard (mean 0, sd 1)",
                    Scale::MinMax => "min-max (0 to 1)",
                    Scale::Robust => "robust (median, IQR)",
                };
                format!("scale {cols}: {how}")
            }
            Step::Log1p { .. } => format!("log1p {cols}"),
            Step::OneHot { max_levels, .. } => {
                format!("one-hot {cols} (at most {max_levels} levels, rest as other)")
            }
            Step::Ordinal { .. } => format!("ordinal-encode {cols}"),
            Step::DateParts { parts, .. } => {
                let parts: Vec<&str> = parts.iter().map(|p| p.label()).collect();
                format!("date parts of {cols}: {}", parts.join(", "))
            }
            Step::Bin { bins, .. } => format!("{bins} quantile bins of {cols}"),
            Step::Formula { name, expr } => format!("{name} = {expr}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Impute {
    Mean,
    Median,
    MostFrequent,
    Constant(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Clip {
    /// Tukey's fences: quartiles ± 1.5 × IQR.
    Iqr,
    /// Lower and upper percentile, 0–100.
    Percentiles(f64, f64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scale {
    Standard,
    MinMax,
    Robust,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DatePart {
    Year,
    Month,
    Day,
    Weekday,
    Hour,
    DayOfYear,
}

impl DatePart {
    pub const ALL: [DatePart; 6] = [
        DatePart::Year,
        DatePart::Month,
        DatePart::Day,
        DatePart::Weekday,
        DatePart::Hour,
        DatePart::DayOfYear,
    ];

    pub fn label(self) -> &'static str {
        match self {
            DatePart::Year => "year",
            DatePart::Month => "month",
            DatePart::Day => "day",
            DatePart::Weekday => "weekday",
            DatePart::Hour => "hour",
            DatePart::DayOfYear => "day_of_year",
        }
    }
}
