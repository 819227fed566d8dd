//! The preparation recipe: fitted on training rows only, then frozen into the artifact so
//! training and serving transform inputs identically. Numeric columns are mean-imputed and
//! standardised; categorical columns are one-hot encoded over the categories seen in training
//! (an unseen or missing category encodes as all zeros).

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

use crate::data::{ColumnData, Frame, is_missing};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FeatureStep {
    Numeric {
        column: String,
        mean: f64,
        scale: f64,
    },
    OneHot {
        column: String,
        categories: Vec<String>,
    },
}

impl FeatureStep {
    pub fn column(&self) -> &str {
        match self {
            FeatureStep::Numeric { column, .. } | FeatureStep::OneHot { column, .. } => column,
        }
    }

    fn width(&self) -> usize {
        match self {
            FeatureStep::Numeric { .. } => 1,
            FeatureStep::OneHot { categories, .. } => categories.len(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FittedRecipe {
    pub steps: Vec<FeatureStep>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PrepError {
    #[error("column \"{column}\": \"{value}\" is not a number")]
    NotNumeric { column: String, value: String },
    #[error("there are no feature columns besides the target")]
    NoFeatures,
}

impl FittedRecipe {
    /// Fits on `rows` of `frame`, using every column except `target`.
    pub fn fit(frame: &Frame, target: &str, rows: &[usize]) -> Result<Self, PrepError> {
        let mut steps = Vec::new();
        for column in frame.columns.iter().filter(|c| c.name != target) {
            let step = match &column.data {
                ColumnData::Numeric(values) => {
                    let seen: Vec<f64> = rows.iter().filter_map(|&r| values[r]).collect();
                    let n = seen.len().max(1) as f64;
                    let mean = seen.iter().sum::<f64>() / n;
                    let var = seen.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
                    let scale = if var.sqrt() > 1e-12 { var.sqrt() } else { 1.0 };
                    FeatureStep::Numeric {
                        column: column.name.clone(),
                        mean,
                        scale,
                    }
                }
                ColumnData::Categorical(values) => {
                    let categories: BTreeSet<&String> =
                        rows.iter().filter_map(|&r| values[r].as_ref()).collect();
                    FeatureStep::OneHot {
                        column: column.name.clone(),
                        categories: categories.into_iter().cloned().collect(),
                    }
                }
            };
            steps.push(step);
        }
        if steps.is_empty() {
            return Err(PrepError::NoFeatures);
        }
        Ok(Self { steps })
    }

    /// Number of model inputs the recipe produces.
    pub fn width(&self) -> usize {
        self.steps.iter().map(FeatureStep::width).sum()
    }

    /// Transforms the given rows of a frame into a row-major matrix.
    pub fn transform_frame(&self, frame: &Frame, rows: &[usize]) -> Vec<f64> {
        let mut out = Vec::with_capacity(rows.len() * self.width());
        let columns: Vec<Option<&ColumnData>> = self
            .steps
            .iter()
            .map(|s| frame.column(s.column()).map(|c| &c.data))
            .collect();
        for &r in rows {
            for (step, data) in self.steps.iter().zip(&columns) {
                match (step, data) {
                    (FeatureStep::Numeric { mean, scale, .. }, Some(ColumnData::Numeric(v))) => {
                        out.push(v[r].map_or(0.0, |x| (x - mean) / scale));
                    }
                    (FeatureStep::OneHot { categories, .. }, Some(ColumnData::Categorical(v))) => {
                        push_one_hot(&mut out, categories, v[r].as_deref());
                    }
                    (FeatureStep::OneHot { categories, .. }, Some(ColumnData::Numeric(v))) => {
                        let text = v[r].map(crate::data::format_number);
                        push_one_hot(&mut out, categories, text.as_deref());
                    }
                    (step, _) => out.extend(std::iter::repeat_n(0.0, step.width())),
                }
            }
        }
        out
    }

    /// Transforms one row given as column name to raw text (a form, a link, a widget).
    /// Absent or missing cells are imputed; unparsable numbers are an error.
    pub fn transform_text(
        &self,
        cell: impl Fn(&str) -> Option<String>,
    ) -> Result<Vec<f64>, PrepError> {
        let mut out = Vec::with_capacity(self.width());
        for step in &self.steps {
            let raw = cell(step.column()).filter(|v| !is_missing(v));
            match step {
                FeatureStep::Numeric {
                    column,
                    mean,
                    scale,
                } => match raw {
                    None => out.push(0.0),
                    Some(text) => {
                        let x = text
                            .trim()
                            .parse::<f64>()
                            .ok()
                            .filter(|x| x.is_finite())
                            .ok_or(PrepError::NotNumeric {
                                column: column.clone(),
                                value: text.clone(),
                            })?;
                        out.push((x - mean) / scale);
                    }
                },
                FeatureStep::OneHot { categories, .. } => {
                    push_one_hot(&mut out, categories, raw.as_deref().map(str::trim));
                }
            }
        }
        Ok(out)
    }
}

fn push_one_hot(out: &mut Vec<f64>, categories: &[String], value: Option<&str>) {
    out.extend(
        categories
            .iter()
            .map(|c| if Some(c.as_str()) == value { 1.0 } else { 0.0 }),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::parse_table;

    #[test]
    fn recipe_is_fitted_on_training_rows_only() {
        let f = parse_table("t.csv", "x,c,y\n1,a,0\n3,b,1\n100,c,0\n").unwrap();
        let r = FittedRecipe::fit(&f, "y", &[0, 1]).unwrap();
        assert_eq!(
            r.steps[0],
            FeatureStep::Numeric {
                column: "x".into(),
                mean: 2.0,
                scale: 1.0
            }
        );
        assert_eq!(
            r.steps[1],
            FeatureStep::OneHot {
                column: "c".into(),
                categories: vec!["a".into(), "b".into()]
            }
        );
        // Row 2 has the unseen category "c": all zeros.
        assert_eq!(r.transform_frame(&f, &[2]), vec![98.0, 0.0, 0.0]);
    }

    #[test]
    fn text_rows_transform_like_frame_rows_and_bad_numbers_are_named() {
        let f = parse_table("t.csv", "x,c,y\n1,a,0\n3,b,1\n").unwrap();
        let r = FittedRecipe::fit(&f, "y", &[0, 1]).unwrap();
        let row = r
            .transform_text(|c| match c {
                "x" => Some("3".into()),
                "c" => Some("b".into()),
                _ => None,
            })
            .unwrap();
        assert_eq!(row, r.transform_frame(&f, &[1]));
        let err = r.transform_text(|_| Some("abc".into())).unwrap_err();
        assert_eq!(err.to_string(), "column \"x\": \"abc\" is not a number");
    }
}
