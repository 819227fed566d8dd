//! Applying fitted steps to a working table. Every function here is total: a column a step
//! names but the table lacks is skipped (fitting has already checked names and types).

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Timelike};

use super::{DatePart, Fill, FittedStep};
use crate::data::{Column, ColumnData, ColumnType, format_typed};
use crate::formula::Formula;

fn position(table: &[Column], name: &str) -> Option<usize> {
    table.iter().position(|c| c.name == name)
}

/// A column's values as text (numbers written as their type shows them).
pub fn texts(c: &Column) -> Vec<Option<String>> {
    match &c.data {
        ColumnData::Categorical(v) => v.clone(),
        ColumnData::Numeric(v) => v
            .iter()
            .map(|x| x.map(|x| format_typed(c.kind, x)))
            .collect(),
    }
}

fn map_numbers(table: &mut [Column], name: &str, f: impl Fn(f64) -> f64) {
    if let Some(i) = position(table, name)
        && let ColumnData::Numeric(v) = &mut table[i].data
    {
        for x in v.iter_mut().flatten() {
            *x = f(*x);
        }
        table[i].kind = ColumnType::Float;
    }
}

/// Replaces column `i` by `new` columns, in place.
fn replace(table: &mut Vec<Column>, i: usize, new: Vec<Column>) {
    table.splice(i..=i, new);
}

pub fn signed_log1p(x: f64) -> f64 {
    x.signum() * x.abs().ln_1p()
}

pub fn date_part(seconds: f64, part: DatePart) -> Option<f64> {
    let t = DateTime::from_timestamp(seconds.floor() as i64, 0)?;
    Some(f64::from(match part {
        DatePart::Year => t.year(),
        DatePart::Month => t.month() as i32,
        DatePart::Day => t.day() as i32,
        DatePart::Weekday => t.weekday().num_days_from_monday() as i32,
        DatePart::Hour => t.hour() as i32,
        DatePart::DayOfYear => t.ordinal() as i32,
    }))
}

pub fn apply(step: &FittedStep, table: &mut Vec<Column>) {
    match step {
        FittedStep::Drop { columns } => table.retain(|c| !columns.contains(&c.name)),
        FittedStep::Impute {
            column,
            fill,
            indicator,
        } => {
            let Some(i) = position(table, column) else {
                return;
            };
            let n = table[i].data.len();
            let flags: Vec<Option<f64>> = (0..n)
                .map(|r| {
                    Some(if table[i].data.is_missing(r) {
                        1.0
                    } else {
                        0.0
                    })
                })
                .collect();
            match (&mut table[i].data, fill) {
                (ColumnData::Numeric(v), Fill::Number(x)) => {
                    v.iter_mut()
                        .filter(|c| c.is_none())
                        .for_each(|c| *c = Some(*x));
                }
                (ColumnData::Categorical(v), Fill::Text(t)) => {
                    v.iter_mut()
                        .filter(|c| c.is_none())
                        .for_each(|c| *c = Some(t.clone()));
                }
                _ => {}
            }
            if *indicator {
                let name = format!("{column}_missing");
                let flag = Column::new(name, ColumnType::Boolean, ColumnData::Numeric(flags));
                table.insert(i + 1, flag);
            }
        }
        FittedStep::Clip { column, low, high } => {
            let (low, high) = (*low, *high);
            map_numbers(table, column, |x| x.clamp(low, high.max(low)));
        }
        FittedStep::Scale {
            column,
            center,
            scale,
        } => map_numbers(table, column, |x| (x - center) / scale),
        FittedStep::Log1p { column } => map_numbers(table, column, signed_log1p),
        FittedStep::OneHot {
            column,
            levels,
            other,
        } => {
            let Some(i) = position(table, column) else {
                return;
            };
            let values = texts(&table[i]);
            let index: HashMap<&str, usize> = levels
                .iter()
                .enumerate()
                .map(|(j, l)| (l.as_str(), j))
                .collect();
            let width = levels.len() + usize::from(*other);
            let mut cols = vec![Vec::with_capacity(values.len()); width];
            for v in &values {
                let hot = v
                    .as_deref()
                    .and_then(|v| index.get(v).copied().or(other.then_some(levels.len())));
                for (j, col) in cols.iter_mut().enumerate() {
                    col.push(Some(if hot == Some(j) { 1.0 } else { 0.0 }));
                }
            }
            let names = levels
                .iter()
                .cloned()
                .chain(other.then(|| "other".to_string()));
            let new = names
                .zip(cols)
                .map(|(l, v)| {
                    Column::new(
                        format!("{column}={l}"),
                        ColumnType::Boolean,
                        ColumnData::Numeric(v),
                    )
                })
                .collect();
            replace(table, i, new);
        }
        FittedStep::Ordinal { column, levels } => {
            let Some(i) = position(table, column) else {
                return;
            };
            let values = texts(&table[i]);
            let v = values
                .iter()
                .map(|t| {
                    let t = t.as_deref()?;
                    levels.iter().position(|l| l == t).map(|p| p as f64)
                })
                .collect();
            table[i].data = ColumnData::Numeric(v);
            table[i].kind = ColumnType::Integer;
        }
        FittedStep::DateParts { column, parts } => {
            let Some(i) = position(table, column) else {
                return;
            };
            let ColumnData::Numeric(v) = &table[i].data else {
                return;
            };
            let new = parts
                .iter()
                .map(|p| {
                    let values = v.iter().map(|x| x.and_then(|x| date_part(x, *p))).collect();
                    Column::new(
                        format!("{column}_{}", p.label()),
                        ColumnType::Integer,
                        ColumnData::Numeric(values),
                    )
                })
                .collect();
            replace(table, i, new);
        }
        FittedStep::Bin { column, edges } => {
            map_numbers(table, column, |x| {
                edges.iter().filter(|&&e| x > e).count() as f64
            });
            if let Some(i) = position(table, column) {
                table[i].kind = ColumnType::Integer;
            }
        }
        FittedStep::Formula { name, expr } => {
            let n = table.first().map_or(0, |c| c.data.len());
            let values = match Formula::parse(expr) {
                Ok(f) => {
                    let numeric: HashMap<&str, &Vec<Option<f64>>> = table
                        .iter()
                        .filter_map(|c| match &c.data {
                            ColumnData::Numeric(v) => Some((c.name.as_str(), v)),
                            ColumnData::Categorical(_) => None,
                        })
                        .collect();
                    (0..n)
                        .map(|r| {
                            f.eval(&|col| {
                                numeric.get(col).and_then(|v| v.get(r).copied().flatten())
                            })
                        })
                        .collect()
                }
                // Fitting parsed it; a damaged artifact yields missing values, not a crash.
                Err(_) => vec![None; n],
            };
            table.push(Column::new(
                name.clone(),
                ColumnType::Float,
                ColumnData::Numeric(values),
            ));
        }
    }
}
