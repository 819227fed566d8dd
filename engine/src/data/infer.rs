//! Column type inference and cell parsing. A column is boolean, integer or float when every
//! non-missing cell reads as one; a date when every cell reads with one date format (ISO 8601
//! first, then day-first and month-first forms); otherwise categorical, or free text when its
//! values are long and mostly unique.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime};

use super::{Column, ColumnData, ColumnType, Frame, RawColumn, RawTable, is_missing};

/// Date and date-time formats tried, in order. `rfc3339` means ISO 8601 with a zone offset.
pub const DATE_FORMATS: [&str; 19] = [
    "%Y-%m-%d",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%d %H:%M",
    "rfc3339",
    "%Y/%m/%d",
    "%d/%m/%Y",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%m/%d/%Y",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%d %b %Y",
    "%b %d %Y",
];

/// Mean length from which a mostly-unique text column counts as free text.
const TEXT_MIN_MEAN_LEN: f64 = 25.0;

/// Seconds since the Unix epoch for a date in `format`, or `None`.
fn parse_with(text: &str, format: &str) -> Option<f64> {
    if format == "rfc3339" {
        let t = DateTime::parse_from_rfc3339(text).ok()?;
        return Some(t.timestamp() as f64 + f64::from(t.timestamp_subsec_millis()) / 1000.0);
    }
    let t = if format.contains("%H") {
        NaiveDateTime::parse_from_str(text, format).ok()?
    } else {
        NaiveDate::parse_from_str(text, format)
            .ok()?
            .and_hms_opt(0, 0, 0)?
    };
    let t = t.and_utc();
    Some(t.timestamp() as f64 + f64::from(t.timestamp_subsec_millis()) / 1000.0)
}

/// Parses a date, trying `preferred` first, then every known format.
pub fn parse_date(text: &str, preferred: Option<&str>) -> Option<(f64, &'static str)> {
    if let Some(p) = preferred
        && let Some(fmt) = DATE_FORMATS.iter().find(|f| **f == p)
        && let Some(x) = parse_with(text, fmt)
    {
        return Some((x, fmt));
    }
    DATE_FORMATS
        .iter()
        .find_map(|fmt| parse_with(text, fmt).map(|x| (x, *fmt)))
}

/// ISO 8601 text for seconds since the epoch (date only when there is no time of day).
pub fn format_date(seconds: f64) -> String {
    let Some(t) = DateTime::from_timestamp(seconds.floor() as i64, 0) else {
        return super::format_number(seconds);
    };
    if seconds.rem_euclid(86_400.0) == 0.0 {
        t.format("%Y-%m-%d").to_string()
    } else {
        t.format("%Y-%m-%dT%H:%M:%S").to_string()
    }
}

fn parse_bool(text: &str) -> Option<f64> {
    const TRUE: [&str; 3] = ["true", "yes", "1"];
    const FALSE: [&str; 3] = ["false", "no", "0"];
    if TRUE.iter().any(|t| text.eq_ignore_ascii_case(t)) {
        Some(1.0)
    } else if FALSE.iter().any(|t| text.eq_ignore_ascii_case(t)) {
        Some(0.0)
    } else {
        None
    }
}

fn parse_float(text: &str) -> Option<f64> {
    text.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// A non-missing cell as a number of the given numeric type, or `None` when it does not read
/// as one.
pub fn parse_cell(kind: ColumnType, text: &str, date_format: Option<&str>) -> Option<f64> {
    let text = text.trim();
    match kind {
        ColumnType::Integer | ColumnType::Float => parse_float(text),
        ColumnType::Boolean => parse_bool(text),
        ColumnType::Datetime => parse_date(text, date_format).map(|(x, _)| x),
        ColumnType::Categorical | ColumnType::Text => None,
    }
}

/// What inference learned about a column; `numbers` holds the parsed values when every cell
/// is a number, so numeric columns are parsed once.
struct Inferred {
    kind: ColumnType,
    date_format: Option<&'static str>,
    numbers: Option<Vec<Option<f64>>>,
}

fn infer(column: &RawColumn) -> Inferred {
    let (mut all_bool, mut all_int, mut all_float) = (true, true, true);
    let mut first = None;
    let mut numbers: Vec<Option<f64>> = Vec::with_capacity(column.len());
    for cell in column.iter() {
        if is_missing(cell) {
            numbers.push(None);
            continue;
        }
        first.get_or_insert(cell);
        // Only true/false: yes/no columns stay categorical so labels keep their words.
        all_bool &= cell.eq_ignore_ascii_case("true") || cell.eq_ignore_ascii_case("false");
        if all_float {
            let int = if all_int {
                cell.parse::<i64>().ok()
            } else {
                None
            };
            all_int &= int.is_some();
            match int.map(|i| i as f64).or_else(|| parse_float(cell)) {
                Some(x) => numbers.push(Some(x)),
                None => all_float = false,
            }
        }
        if !(all_bool || all_float) {
            break;
        }
    }
    let (kind, date_format) = kind_of(column, first, all_bool, all_int, all_float);
    Inferred {
        kind,
        date_format,
        numbers: (all_float && !all_bool).then_some(numbers),
    }
}

fn kind_of(
    column: &RawColumn,
    first: Option<&str>,
    all_bool: bool,
    all_int: bool,
    all_float: bool,
) -> (ColumnType, Option<&'static str>) {
    let Some(first) = first else {
        return (ColumnType::Categorical, None);
    };
    if all_bool {
        return (ColumnType::Boolean, None);
    }
    if all_int {
        return (ColumnType::Integer, None);
    }
    if all_float {
        return (ColumnType::Float, None);
    }
    for format in DATE_FORMATS {
        if parse_with(first, format).is_some()
            && column
                .iter()
                .filter(|c| !is_missing(c))
                .all(|c| parse_with(c, format).is_some())
        {
            return (ColumnType::Datetime, Some(format));
        }
    }
    let mut values: Vec<&str> = column.iter().filter(|c| !is_missing(c)).collect();
    let count = values.len();
    let mean_len = values.iter().map(|v| v.chars().count()).sum::<usize>() as f64 / count as f64;
    values.sort_unstable();
    values.dedup();
    if mean_len >= TEXT_MIN_MEAN_LEN && values.len() * 2 > count {
        (ColumnType::Text, None)
    } else {
        (ColumnType::Categorical, None)
    }
}

/// Types every column (the person's choice first, else inferred) and builds the frame.
pub fn type_columns(raw: RawTable, overrides: &BTreeMap<String, ColumnType>) -> Frame {
    let rows = raw.rows;
    let columns = raw
        .names
        .into_iter()
        .zip(raw.columns)
        .map(|(name, cells)| {
            let Inferred {
                kind: inferred,
                date_format: inferred_format,
                numbers,
            } = infer(&cells);
            let kind = overrides.get(&name).copied().unwrap_or(inferred);
            let mut unparsed = 0;
            let mut date_format = inferred_format.map(str::to_string);
            let plain_numbers = matches!(kind, ColumnType::Integer | ColumnType::Float);
            let data = if let (true, Some(numbers)) = (plain_numbers, numbers) {
                ColumnData::Numeric(numbers)
            } else if kind.is_numeric() {
                if kind == ColumnType::Datetime && date_format.is_none() {
                    date_format = cells
                        .iter()
                        .find(|c| !is_missing(c))
                        .and_then(|c| parse_date(c, None))
                        .map(|(_, f)| f.to_string());
                }
                ColumnData::Numeric(
                    cells
                        .iter()
                        .map(|c| {
                            if is_missing(c) {
                                return None;
                            }
                            let x = parse_cell(kind, c, date_format.as_deref());
                            unparsed += usize::from(x.is_none());
                            x
                        })
                        .collect(),
                )
            } else {
                ColumnData::Categorical(
                    cells
                        .iter()
                        .map(|c| (!is_missing(c)).then(|| c.to_string()))
                        .collect(),
                )
            };
            Column {
                name,
                kind,
                inferred,
                data,
                date_format,
                unparsed,
            }
        })
        .collect();
    Frame {
        columns,
        rows,
        format: raw.format,
    }
}
