//! The preparation recipe: fitted on training rows only, then frozen into the artifact so
//! training and serving transform inputs identically. Numeric columns are mean-imputed and
//! standardised; categorical columns are one-hot encoded over the categories seen in training
//! (an unseen or missing category encodes as all zeros).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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
    /// What fitting decided that a person should know (columns skipped, categories capped).
    #[serde(default)]
    pub notes: Vec<String>,
}

/// Most categories one-hot encoded per column; rarer ones encode as all zeros.
pub const MAX_CATEGORIES: usize = 50;
/// A text column with more distinct values than this share of training rows looks like an
/// identifier (names, ids, timestamps) and is left out.
const ID_LIKE_SHARE: f64 = 0.5;
/// Below this many training rows, no column is judged identifier-like.
const ID_LIKE_MIN_ROWS: usize = 20;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PrepError {
    #[error("column \"{column}\": \"{value}\" is not a number")]
    NotNumeric { column: String, value: String },
    #[error("there are no usable feature columns besides the target")]
    NoFeatures,
}

impl FittedRecipe {
    /// Fits on `rows` of `frame`, using every column except `target`.
    pub fn fit(frame: &Frame, target: &str, rows: &[usize]) -> Result<Self, PrepError> {
        let mut steps = Vec::new();
        let mut notes = Vec::new();
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
                    match one_hot(&column.name, values, rows, &mut notes) {
                        Some(step) => step,
                        None => continue,
                    }
                }
            };
            steps.push(step);
        }
        let recipe = Self { steps, notes };
        if recipe.width() == 0 {
            return Err(PrepError::NoFeatures);
        }
        Ok(recipe)
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

/// One-hot step over the most frequent categories, or `None` for an identifier-like column.
fn one_hot(
    column: &str,
    values: &[Option<String>],
    rows: &[usize],
    notes: &mut Vec<String>,
) -> Option<FeatureStep> {
    let mut counts: BTreeMap<&String, usize> = BTreeMap::new();
    for value in rows.iter().filter_map(|&r| values[r].as_ref()) {
        *counts.entry(value).or_default() += 1;
    }
    let distinct = counts.len();
    if rows.len() >= ID_LIKE_MIN_ROWS && distinct as f64 > ID_LIKE_SHARE * rows.len() as f64 {
        notes.push(format!(
            "left out \"{column}\": {distinct} different values in {} training rows looks like an identifier",
            rows.len()
        ));
        return None;
    }
    let mut ranked: Vec<(&String, usize)> = counts.into_iter().collect();
    // Most frequent first; ties in name order, so fitting is deterministic.
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    if ranked.len() > MAX_CATEGORIES {
        notes.push(format!(
            "\"{column}\" keeps its {MAX_CATEGORIES} most frequent of {distinct} categories; the rest count as unknown"
        ));
        ranked.truncate(MAX_CATEGORIES);
    }
    let mut categories: Vec<String> = ranked.into_iter().map(|(c, _)| c.clone()).collect();
    categories.sort();
    Some(FeatureStep::OneHot {
        column: column.to_string(),
        categories,
    })
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
    fn identifier_like_columns_are_left_out_and_said_so() {
        let mut text = String::from("id,x,y\n");
        for i in 0..30 {
            text.push_str(&format!("user{i},{},{}\n", i % 3, i % 2));
        }
        let f = parse_table("t.csv", &text).unwrap();
        let rows: Vec<usize> = (0..30).collect();
        let r = FittedRecipe::fit(&f, "y", &rows).unwrap();
        assert_eq!(r.steps.len(), 1);
        assert_eq!(r.steps[0].column(), "x");
        assert!(r.notes[0].contains("\"id\""), "{:?}", r.notes);
    }

    #[test]
    fn categories_are_capped_at_the_most_frequent() {
        let mut text = String::from("c,y\n");
        for i in 0..400 {
            // 60 categories; "c0".."c9" are the most frequent.
            let c = if i < 200 { i % 10 } else { 10 + i % 50 };
            text.push_str(&format!("c{c},{}\n", i % 2));
        }
        let f = parse_table("t.csv", &text).unwrap();
        let rows: Vec<usize> = (0..400).collect();
        let r = FittedRecipe::fit(&f, "y", &rows).unwrap();
        assert_eq!(r.width(), MAX_CATEGORIES);
        let FeatureStep::OneHot { categories, .. } = &r.steps[0] else {
            panic!("expected one-hot")
        };
        assert!(categories.contains(&"c0".to_string()));
        assert!(
            r.notes[0].contains("50 most frequent of 60"),
            "{:?}",
            r.notes
        );
    }

    #[test]
    fn a_table_whose_only_feature_is_empty_has_no_features() {
        let f = parse_table("t.csv", "x,y\nNA,1\nNA,2\n").unwrap();
        assert_eq!(
            FittedRecipe::fit(&f, "y", &[0, 1]).unwrap_err(),
            PrepError::NoFeatures
        );
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
