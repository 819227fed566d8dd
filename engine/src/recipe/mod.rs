//! The preparation recipe, fitted: each step of a [`Recipe`] learns its parameters from
//! training rows only (means, bounds, levels, bin edges) and is then frozen into the model
//! artifact, so training, evaluation and every later prediction transform rows identically —
//! including values never seen in training (an unknown category, a missing value).
//!
//! Steps run on a working table of typed columns; each replaces the columns it names in
//! place. What remains at the end becomes the model's inputs: numbers as they are (a missing
//! number gets the training mean), categories one-hot encoded, free text left out.

mod default;
mod fit;
mod legacy;
mod steps;

use serde::{Deserialize, Serialize};

pub use default::{default_recipe, default_recipe_with};
pub use kiln_protocol::recipe::{Clip, DatePart, Impute, Recipe, Scale, Step};
pub use legacy::upgrade_v1;

use crate::data::{Column, ColumnData, ColumnType, Frame, is_missing, parse_cell};

/// A raw column the fitted recipe reads, with what a form needs to ask for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputColumn {
    pub name: String,
    pub kind: ColumnType,
    #[serde(default)]
    pub date_format: Option<String>,
    /// Most frequent training values of a categorical input, sorted.
    #[serde(default)]
    pub categories: Vec<String>,
    /// A sensible default: the training mean (numbers) or the most frequent value.
    pub default: String,
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
}

/// A value that fills missing cells.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fill {
    Number(f64),
    Text(String),
}

/// A recipe step with the parameters it learned from training rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum FittedStep {
    Drop {
        columns: Vec<String>,
    },
    Impute {
        column: String,
        fill: Fill,
        indicator: bool,
    },
    Clip {
        column: String,
        low: f64,
        high: f64,
    },
    Scale {
        column: String,
        center: f64,
        scale: f64,
    },
    Log1p {
        column: String,
    },
    OneHot {
        column: String,
        levels: Vec<String>,
        /// Whether rarer levels (and unseen values) have an `other` column.
        other: bool,
    },
    Ordinal {
        column: String,
        levels: Vec<String>,
    },
    DateParts {
        column: String,
        parts: Vec<DatePart>,
    },
    Bin {
        column: String,
        /// Inner bin edges, ascending: a value goes to the number of edges below it.
        edges: Vec<f64>,
    },
    Formula {
        name: String,
        expr: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedRecipe {
    pub inputs: Vec<InputColumn>,
    pub steps: Vec<FittedStep>,
    /// Names of the model's inputs, in order.
    pub features: Vec<String>,
    /// Value a still-missing feature gets (its training mean).
    pub fills: Vec<f64>,
    /// What fitting decided that a person should know (columns left out, levels capped).
    #[serde(default)]
    pub notes: Vec<String>,
    /// Leave still-missing features as NaN instead of filling them, for a model that handles
    /// missing values itself (gradient boosting).
    #[serde(default)]
    pub keep_missing: bool,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PrepError {
    #[error("step {step} ({op}): {message}")]
    Step {
        step: usize,
        op: &'static str,
        message: String,
    },
    #[error("column \"{column}\": \"{value}\" is not {expected}")]
    NotNumeric {
        column: String,
        value: String,
        expected: &'static str,
    },
    #[error("there are no usable feature columns besides the target")]
    NoFeatures,
}

impl FittedRecipe {
    /// Fits `recipe` on `rows` of `frame`, never touching `target`.
    pub fn fit(
        recipe: &Recipe,
        frame: &Frame,
        target: &str,
        rows: &[usize],
    ) -> Result<Self, PrepError> {
        fit::fit(recipe, frame, target, rows)
    }

    /// Number of model inputs the recipe produces.
    pub fn width(&self) -> usize {
        self.features.len()
    }

    /// The working table for some rows of a frame: the inputs, typed as in training (a column
    /// the frame lacks is all missing).
    pub fn input_columns(&self, frame: &Frame, rows: &[usize]) -> Vec<Column> {
        self.inputs
            .iter()
            .map(|input| {
                let data = match frame.column(&input.name) {
                    Some(c) => coerce(&c.data.take(rows), c.kind, input),
                    None => missing_column(input.kind, rows.len()),
                };
                let mut c = Column::new(input.name.clone(), input.kind, data);
                c.date_format.clone_from(&input.date_format);
                c
            })
            .collect()
    }

    /// Runs the steps and returns the prepared columns (before missing numbers are filled).
    pub fn prepared_columns(&self, frame: &Frame, rows: &[usize]) -> Vec<Column> {
        let mut table = self.input_columns(frame, rows);
        for step in &self.steps {
            steps::apply(step, &mut table);
        }
        table
    }

    /// Transforms the given rows of a frame into a row-major matrix.
    pub fn transform_frame(&self, frame: &Frame, rows: &[usize]) -> Vec<f64> {
        let table = self.prepared_columns(frame, rows);
        self.assemble(&table, rows.len())
    }

    fn assemble(&self, table: &[Column], n: usize) -> Vec<f64> {
        let columns: Vec<Option<&Vec<Option<f64>>>> = self
            .features
            .iter()
            .map(|f| {
                table
                    .iter()
                    .find(|c| &c.name == f)
                    .and_then(|c| match &c.data {
                        ColumnData::Numeric(v) => Some(v),
                        ColumnData::Categorical(_) => None,
                    })
            })
            .collect();
        let mut out = Vec::with_capacity(n * self.width());
        for r in 0..n {
            for (c, fill) in columns.iter().zip(&self.fills) {
                let fill = if self.keep_missing { f64::NAN } else { *fill };
                out.push(c.and_then(|v| v.get(r).copied().flatten()).unwrap_or(fill));
            }
        }
        out
    }

    /// Transforms one row given as column name to raw text (a form, a link, a widget).
    /// Absent or missing cells are imputed; a value of the wrong type is an error.
    pub fn transform_text(
        &self,
        cell: impl Fn(&str) -> Option<String>,
    ) -> Result<Vec<f64>, PrepError> {
        let cells: Vec<Option<String>> = self.inputs.iter().map(|i| cell(&i.name)).collect();
        let (x, mut errors) = self.transform_texts(1, |_, i| cells[i].as_deref());
        match errors.pop().flatten() {
            Some(e) => Err(e),
            None => Ok(x),
        }
    }

    /// Transforms `rows` rows at once, each as [`FittedRecipe::transform_text`] would: `cell(row,
    /// input)` is the raw text of the recipe's `input`-th input in `row`. Returns the row-major
    /// matrix and, per row, the first cell that could not be read (that row's values are then
    /// not to be used). One pass of the steps over all the rows, so a large batch costs no
    /// per-row tables.
    pub fn transform_texts<'a>(
        &self,
        rows: usize,
        cell: impl Fn(usize, usize) -> Option<&'a str>,
    ) -> (Vec<f64>, Vec<Option<PrepError>>) {
        let mut errors: Vec<Option<PrepError>> = (0..rows).map(|_| None).collect();
        let mut table = Vec::with_capacity(self.inputs.len());
        for (i, input) in self.inputs.iter().enumerate() {
            let raw = |r: usize| cell(r, i).filter(|v| !is_missing(v));
            let data = if input.kind.is_numeric() {
                let format = input.date_format.as_deref();
                let values = (0..rows)
                    .map(|r| {
                        let text = raw(r)?;
                        let value = parse_cell(input.kind, text, format);
                        if value.is_none() && errors[r].is_none() {
                            errors[r] = Some(PrepError::NotNumeric {
                                column: input.name.clone(),
                                value: text.to_string(),
                                expected: expected(input.kind),
                            });
                        }
                        value
                    })
                    .collect();
                ColumnData::Numeric(values)
            } else {
                ColumnData::Categorical(
                    (0..rows)
                        .map(|r| raw(r).map(|t| t.trim().to_string()))
                        .collect(),
                )
            };
            let mut c = Column::new(input.name.clone(), input.kind, data);
            c.date_format.clone_from(&input.date_format);
            table.push(c);
        }
        for step in &self.steps {
            steps::apply(step, &mut table);
        }
        (self.assemble(&table, rows), errors)
    }
}

fn expected(kind: ColumnType) -> &'static str {
    match kind {
        ColumnType::Boolean => "true or false",
        ColumnType::Datetime => "a date",
        _ => "a number",
    }
}

fn missing_column(kind: ColumnType, n: usize) -> ColumnData {
    if kind.is_numeric() {
        ColumnData::Numeric(vec![None; n])
    } else {
        ColumnData::Categorical(vec![None; n])
    }
}

/// A column's data in the representation the input's type needs.
fn coerce(data: &ColumnData, from: ColumnType, input: &InputColumn) -> ColumnData {
    match (data, input.kind.is_numeric()) {
        (ColumnData::Numeric(_), true) | (ColumnData::Categorical(_), false) => data.clone(),
        (ColumnData::Numeric(v), false) => ColumnData::Categorical(
            v.iter()
                .map(|x| x.map(|x| crate::data::format_typed(from, x)))
                .collect(),
        ),
        (ColumnData::Categorical(v), true) => ColumnData::Numeric(
            v.iter()
                .map(|t| {
                    t.as_deref()
                        .and_then(|t| parse_cell(input.kind, t, input.date_format.as_deref()))
                })
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests;
