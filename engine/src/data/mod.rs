//! Tabular data: reading CSV/TSV/JSON/NDJSON into a typed columnar [`Frame`]. Reading never
//! panics on user input: every malformed file yields a [`DataError`] naming the line and the
//! column.
//!
//! The layer is the `csv` crate under a small frame of our own (see ARCHITECTURE.md for the
//! measurements behind that choice): a file is first read into a [`RawTable`] of text cells
//! (one contiguous buffer per column), then each column's type is inferred (`infer`).

mod infer;
mod json;
mod read;

use std::collections::BTreeMap;

pub use infer::{DATE_FORMATS, parse_cell, parse_date};
pub use kiln_protocol::recipe::ColumnType;
pub use read::{RawColumn, RawTable, read_raw, rewrite_csv};

/// Cells read as missing values (compared case-insensitively, after trimming).
const MISSING_TOKENS: [&str; 7] = ["", "na", "n/a", "#n/a", "nan", "null", "?"];
/// Largest file accepted, in bytes.
pub const MAX_TEXT_BYTES: usize = 256 * 1024 * 1024;
/// Most columns a table may have.
pub const MAX_COLUMNS: usize = 2_000;
/// Longest single value, in bytes.
pub const MAX_FIELD_BYTES: usize = 64 * 1024;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DataError {
    #[error("the file is empty")]
    Empty,
    #[error("the file has a header but no data rows")]
    NoRows,
    #[error("this does not look like a text table (found binary data near byte {offset})")]
    NotText { offset: usize },
    #[error(
        "line {line} has {found} fields but the header has {expected}; every row needs one value per column"
    )]
    Ragged {
        line: u64,
        expected: usize,
        found: usize,
    },
    #[error("column {column} has an empty name in the header")]
    EmptyHeader { column: usize },
    #[error("the header names column \"{name}\" twice (columns {first} and {second})")]
    DuplicateHeader {
        name: String,
        first: usize,
        second: usize,
    },
    #[error("line {line}, column {column}: the text is not valid UTF-8; save the file as UTF-8")]
    InvalidUtf8 { line: u64, column: usize },
    #[error(
        "line {line}, column {column}: a quoted value starts here and its closing quote is missing"
    )]
    UnterminatedQuote { line: u64, column: usize },
    #[error("line {line}, column {column}: a value of {bytes} bytes; the limit is {limit} bytes")]
    FieldTooLarge {
        line: u64,
        column: usize,
        bytes: usize,
        limit: usize,
    },
    #[error("the table has {found} columns; the limit is {limit}")]
    TooManyColumns { found: usize, limit: usize },
    #[error("line {line}: {message}")]
    Malformed { line: u64, message: String },
    #[error("the file is {bytes} bytes; the limit is {limit} bytes")]
    TooLarge { bytes: usize, limit: usize },
    #[error("the file has only one column; a table needs at least a feature and a target")]
    SingleColumn,
    #[error("there is no column \"{0}\"")]
    UnknownColumn(String),
}

/// The values of one column, typed.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnData {
    /// `None` marks a missing value. Booleans are 0/1, dates seconds since the Unix epoch.
    Numeric(Vec<Option<f64>>),
    Categorical(Vec<Option<String>>),
}

impl ColumnData {
    pub fn len(&self) -> usize {
        match self {
            ColumnData::Numeric(v) => v.len(),
            ColumnData::Categorical(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn is_missing(&self, row: usize) -> bool {
        match self {
            ColumnData::Numeric(v) => v.get(row).is_none_or(Option::is_none),
            ColumnData::Categorical(v) => v.get(row).is_none_or(Option::is_none),
        }
    }

    /// The rows' values, in the given order.
    pub fn take(&self, rows: &[usize]) -> ColumnData {
        match self {
            ColumnData::Numeric(v) => ColumnData::Numeric(rows.iter().map(|&r| v[r]).collect()),
            ColumnData::Categorical(v) => {
                ColumnData::Categorical(rows.iter().map(|&r| v[r].clone()).collect())
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub kind: ColumnType,
    /// What import inferred (differs from `kind` when the person overrode it).
    pub inferred: ColumnType,
    pub data: ColumnData,
    /// For dates: the `strftime` format the column was read with.
    pub date_format: Option<String>,
    /// Cells that did not parse as the column's (overridden) type and were read as missing.
    pub unparsed: usize,
}

impl Column {
    pub fn new(name: impl Into<String>, kind: ColumnType, data: ColumnData) -> Self {
        Self {
            name: name.into(),
            kind,
            inferred: kind,
            data,
            date_format: None,
            unparsed: 0,
        }
    }

    pub fn is_numeric(&self) -> bool {
        matches!(self.data, ColumnData::Numeric(_))
    }

    pub fn missing(&self) -> usize {
        match &self.data {
            ColumnData::Numeric(v) => v.iter().filter(|x| x.is_none()).count(),
            ColumnData::Categorical(v) => v.iter().filter(|x| x.is_none()).count(),
        }
    }

    /// Number of distinct non-missing values.
    pub fn distinct(&self) -> usize {
        match &self.data {
            ColumnData::Numeric(v) => {
                let mut bits: Vec<u64> = v.iter().flatten().map(|x| x.to_bits()).collect();
                bits.sort_unstable();
                bits.dedup();
                bits.len()
            }
            ColumnData::Categorical(v) => {
                let mut seen: Vec<&str> = v.iter().flatten().map(String::as_str).collect();
                seen.sort_unstable();
                seen.dedup();
                seen.len()
            }
        }
    }

    /// The cell as text, as it would be typed into a form.
    pub fn cell_text(&self, row: usize) -> String {
        match &self.data {
            ColumnData::Numeric(v) => v
                .get(row)
                .copied()
                .flatten()
                .map(|x| format_typed(self.kind, x)),
            ColumnData::Categorical(v) => v.get(row).cloned().flatten(),
        }
        .unwrap_or_default()
    }
}

/// A number as text for its column type: booleans as true/false, dates in ISO 8601.
pub fn format_typed(kind: ColumnType, x: f64) -> String {
    match kind {
        ColumnType::Boolean => (if x != 0.0 { "true" } else { "false" }).to_string(),
        ColumnType::Datetime => infer::format_date(x),
        _ => format_number(x),
    }
}

/// Shortest faithful text for a number.
pub fn format_number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        format!("{x}")
    }
}

/// A table held by column.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    pub columns: Vec<Column>,
    pub rows: usize,
    /// What was read, e.g. `CSV (,)`, `TSV`, `JSON`, `NDJSON`.
    pub format: String,
}

impl Frame {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn names(&self) -> Vec<&str> {
        self.columns.iter().map(|c| c.name.as_str()).collect()
    }
}

pub fn is_missing(cell: &str) -> bool {
    let t = cell.trim();
    t.len() <= 4 && MISSING_TOKENS.iter().any(|m| t.eq_ignore_ascii_case(m))
}

/// How to read a file; `None` fields are detected.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParseOptions {
    pub delimiter: Option<u8>,
    pub header: Option<bool>,
    /// Column types chosen over the inferred ones.
    pub types: BTreeMap<String, ColumnType>,
}

/// Reads and types a table: `progress` gets the fraction of the input read so far.
pub fn parse(
    file_name: &str,
    bytes: &[u8],
    options: &ParseOptions,
    progress: &mut dyn FnMut(f64),
) -> Result<Frame, DataError> {
    let raw = read_raw(file_name, bytes, options, progress)?;
    Ok(infer::type_columns(raw, &options.types))
}

/// Reads several files of one table (the rows a model learned from and a newer batch) into one
/// frame, typed together. Columns are matched by name; a column a file lacks is missing in its
/// rows. Returns the frame and the first frame row of each file, or the index of the file that
/// could not be read with its error.
pub fn parse_parts(
    parts: &[(&str, &str)],
    options: &ParseOptions,
) -> Result<(Frame, Vec<usize>), (usize, DataError)> {
    let mut raws = Vec::with_capacity(parts.len());
    for (i, (name, text)) in parts.iter().enumerate() {
        raws.push(read_raw(name, text.as_bytes(), options, &mut |_| {}).map_err(|e| (i, e))?);
    }
    let mut names: Vec<String> = Vec::new();
    for raw in &raws {
        for name in &raw.names {
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
    }
    let mut starts = Vec::with_capacity(raws.len());
    let mut rows = 0;
    for raw in &raws {
        starts.push(rows);
        rows += raw.rows;
    }
    if names.len() > MAX_COLUMNS {
        return Err((
            parts.len().saturating_sub(1),
            DataError::TooManyColumns {
                found: names.len(),
                limit: MAX_COLUMNS,
            },
        ));
    }
    let columns = names
        .iter()
        .map(|name| {
            let mut column = RawColumn::default();
            for raw in &raws {
                match raw.names.iter().position(|n| n == name) {
                    Some(c) => raw.columns[c].iter().for_each(|cell| column.push(cell)),
                    None => (0..raw.rows).for_each(|_| column.push("")),
                }
            }
            column
        })
        .collect();
    let format = raws
        .iter()
        .map(|r| r.format.as_str())
        .collect::<Vec<_>>()
        .join(" + ");
    let raw = RawTable {
        names,
        columns,
        rows,
        format,
    };
    Ok((infer::type_columns(raw, &options.types), starts))
}

/// Reads a table with every setting detected.
pub fn parse_table(file_name: &str, text: &str) -> Result<Frame, DataError> {
    parse(
        file_name,
        text.as_bytes(),
        &ParseOptions::default(),
        &mut |_| {},
    )
}

#[cfg(test)]
mod tests;
