//! The recipe used when the person gives none, derived from the data: identifiers, constant
//! columns and free text dropped; dates split into parts; missing numbers filled with the
//! median (with an indicator); numbers standardised; categories one-hot encoded.

use super::{DatePart, Impute, Recipe, Scale, Step};
use crate::data::{ColumnData, ColumnType, Frame};
use crate::profile::Facts;

pub fn default_recipe(frame: &Frame, target: Option<&str>) -> Recipe {
    let facts: Vec<Facts> = frame.columns.iter().map(Facts::of).collect();
    default_recipe_with(frame, target, &facts)
}

/// The default recipe, given each column's [`Facts`] (in frame order).
pub fn default_recipe_with(frame: &Frame, target: Option<&str>, facts: &[Facts]) -> Recipe {
    let mut drop = Vec::new();
    let mut dates = Vec::new();
    let mut impute = Vec::new();
    let mut scale = Vec::new();
    let mut one_hot = Vec::new();
    let mut has_time = false;
    for (c, f) in frame.columns.iter().zip(facts) {
        if Some(c.name.as_str()) == target {
            continue;
        }
        let name = c.name.clone();
        let all_missing = c.missing() == c.data.len();
        let constant = f.distinct <= 1 && c.missing() == 0;
        if all_missing || constant || c.kind == ColumnType::Text || f.id_like {
            drop.push(name);
            continue;
        }
        match c.kind {
            ColumnType::Datetime => {
                if let ColumnData::Numeric(v) = &c.data {
                    has_time |= v.iter().flatten().any(|x| x.rem_euclid(86_400.0) != 0.0);
                }
                dates.push(name);
            }
            ColumnType::Integer | ColumnType::Float | ColumnType::Boolean => {
                if c.missing() > 0 {
                    impute.push(name.clone());
                }
                if c.kind != ColumnType::Boolean {
                    scale.push(name);
                }
            }
            ColumnType::Categorical | ColumnType::Text => one_hot.push(name),
        }
    }
    let mut parts = vec![
        DatePart::Year,
        DatePart::Month,
        DatePart::Day,
        DatePart::Weekday,
    ];
    if has_time {
        parts.push(DatePart::Hour);
    }
    for d in &dates {
        scale.extend(parts.iter().map(|p| format!("{d}_{}", p.label())));
    }
    let mut steps = Vec::new();
    if !drop.is_empty() {
        steps.push(Step::Drop { columns: drop });
    }
    if !dates.is_empty() {
        steps.push(Step::DateParts {
            columns: dates,
            parts,
        });
    }
    if !impute.is_empty() {
        steps.push(Step::Impute {
            columns: impute,
            strategy: Impute::Median,
            indicator: true,
        });
    }
    if !scale.is_empty() {
        steps.push(Step::Scale {
            columns: scale,
            method: Scale::Standard,
        });
    }
    if !one_hot.is_empty() {
        steps.push(Step::OneHot {
            columns: one_hot,
            max_levels: kiln_protocol::recipe::default_max_levels(),
        });
    }
    Recipe {
        types: Default::default(),
        steps,
    }
}
