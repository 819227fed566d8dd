//! Tabular data: parsing delimited text (CSV/TSV) into a typed columnar [`Frame`], and the
//! profile a person sees right after import. Parsing never panics on user input: every
//! malformed file yields a [`DataError`] naming the line and column.

use std::collections::BTreeSet;

/// Cells read as missing values.
const MISSING_TOKENS: [&str; 7] = ["", "na", "n/a", "nan", "null", "none", "?"];
/// Largest file accepted, in bytes.
pub const MAX_TEXT_BYTES: usize = 256 * 1024 * 1024;

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
    #[error("line {line}: {message}")]
    Malformed { line: u64, message: String },
    #[error("the file is {bytes} bytes; the limit is {limit} bytes")]
    TooLarge { bytes: usize, limit: usize },
    #[error("the file has only one column; a table needs at least a feature and a target")]
    SingleColumn,
}

/// The values of one column, typed.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnData {
    /// `None` marks a missing value.
    Numeric(Vec<Option<f64>>),
    Categorical(Vec<Option<String>>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub data: ColumnData,
}

impl Column {
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
            ColumnData::Numeric(v) => v
                .iter()
                .flatten()
                .map(|x| x.to_bits())
                .collect::<BTreeSet<_>>()
                .len(),
            ColumnData::Categorical(v) => v.iter().flatten().collect::<BTreeSet<_>>().len(),
        }
    }

    /// The cell as text, as it would be typed into a form.
    pub fn cell_text(&self, row: usize) -> String {
        match &self.data {
            ColumnData::Numeric(v) => v.get(row).copied().flatten().map(format_number),
            ColumnData::Categorical(v) => v.get(row).cloned().flatten(),
        }
        .unwrap_or_default()
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
}

impl Frame {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

pub fn is_missing(cell: &str) -> bool {
    let t = cell.trim();
    MISSING_TOKENS.iter().any(|m| t.eq_ignore_ascii_case(m))
}

/// Picks the delimiter from the file name, else from the header line.
fn delimiter_for(file_name: &str, text: &str) -> u8 {
    let lower = file_name.to_ascii_lowercase();
    if lower.ends_with(".tsv") || lower.ends_with(".tab") {
        return b'\t';
    }
    let header = text.lines().next().unwrap_or("");
    let count = |c: char| header.matches(c).count();
    [(b',', count(',')), (b'\t', count('\t')), (b';', count(';'))]
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .filter(|(_, n)| *n > 0)
        .map_or(b',', |(d, _)| d)
}

/// Parses a delimited text table with a header row and infers each column's type: a column is
/// numeric when every non-missing cell parses as a number.
pub fn parse_table(file_name: &str, text: &str) -> Result<Frame, DataError> {
    if text.len() > MAX_TEXT_BYTES {
        return Err(DataError::TooLarge {
            bytes: text.len(),
            limit: MAX_TEXT_BYTES,
        });
    }
    if let Some(offset) = text.find(|c: char| c == '\0' || (c.is_control() && !c.is_whitespace())) {
        return Err(DataError::NotText { offset });
    }
    if text.trim().is_empty() {
        return Err(DataError::Empty);
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter_for(file_name, text))
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| malformed(&e))?
        .iter()
        .map(str::to_string)
        .collect();
    check_headers(&headers)?;
    let width = headers.len();
    let mut cells: Vec<Vec<String>> = vec![Vec::new(); width];
    for record in reader.records() {
        let record = record.map_err(|e| malformed(&e))?;
        if record.iter().all(|c| c.is_empty()) {
            continue;
        }
        if record.len() != width {
            let line = record.position().map_or(0, |p| p.line());
            return Err(DataError::Ragged {
                line,
                expected: width,
                found: record.len(),
            });
        }
        for (column, cell) in cells.iter_mut().zip(record.iter()) {
            column.push(cell.to_string());
        }
    }
    let rows = cells.first().map_or(0, Vec::len);
    if rows == 0 {
        return Err(DataError::NoRows);
    }
    let columns = headers
        .into_iter()
        .zip(cells)
        .map(|(name, values)| Column {
            name,
            data: infer(values),
        })
        .collect();
    Ok(Frame { columns, rows })
}

fn check_headers(headers: &[String]) -> Result<(), DataError> {
    if headers.len() < 2 {
        return Err(DataError::SingleColumn);
    }
    for (i, name) in headers.iter().enumerate() {
        if name.is_empty() {
            return Err(DataError::EmptyHeader { column: i + 1 });
        }
        if let Some(j) = headers[..i].iter().position(|h| h == name) {
            return Err(DataError::DuplicateHeader {
                name: name.clone(),
                first: j + 1,
                second: i + 1,
            });
        }
    }
    Ok(())
}

fn malformed(e: &csv::Error) -> DataError {
    let line = e.position().map_or(0, |p| p.line());
    DataError::Malformed {
        line,
        message: e.to_string(),
    }
}

fn infer(values: Vec<String>) -> ColumnData {
    let parsed: Option<Vec<Option<f64>>> = values
        .iter()
        .map(|v| {
            if is_missing(v) {
                Some(None)
            } else {
                v.parse::<f64>().ok().filter(|x| x.is_finite()).map(Some)
            }
        })
        .collect();
    match parsed {
        Some(numbers) if numbers.iter().any(Option::is_some) => ColumnData::Numeric(numbers),
        _ => ColumnData::Categorical(
            values
                .into_iter()
                .map(|v| (!is_missing(&v)).then_some(v))
                .collect(),
        ),
    }
}

/// What the import screen shows: per-column type, missing count, distinct count, first rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub rows: usize,
    pub columns: Vec<ColumnSummary>,
    pub preview: Vec<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ColumnSummary {
    pub name: String,
    pub numeric: bool,
    pub missing: usize,
    pub distinct: usize,
}

pub fn profile(frame: &Frame, preview_rows: usize) -> Profile {
    let columns = frame
        .columns
        .iter()
        .map(|c| ColumnSummary {
            name: c.name.clone(),
            numeric: c.is_numeric(),
            missing: c.missing(),
            distinct: c.distinct(),
        })
        .collect();
    let preview = (0..frame.rows.min(preview_rows))
        .map(|r| frame.columns.iter().map(|c| c.cell_text(r)).collect())
        .collect();
    Profile {
        rows: frame.rows,
        columns,
        preview,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_and_categorical_columns_are_inferred_with_missing_counts() {
        let f = parse_table("t.csv", "a,b,c\n1,x,2.5\n2,,NA\n3,y,4\n").unwrap();
        assert_eq!(f.rows, 3);
        assert!(f.columns[0].is_numeric());
        assert!(!f.columns[1].is_numeric());
        assert_eq!(f.columns[1].missing(), 1);
        assert_eq!(f.columns[2].missing(), 1);
        assert!(f.columns[2].is_numeric());
    }

    #[test]
    fn ragged_row_names_its_line() {
        let err = parse_table("t.csv", "a,b\n1,2\n3\n").unwrap_err();
        assert_eq!(
            err,
            DataError::Ragged {
                line: 3,
                expected: 2,
                found: 1
            }
        );
        assert!(err.to_string().contains("line 3"));
    }

    #[test]
    fn empty_and_binary_files_are_refused() {
        assert_eq!(parse_table("t.csv", "  \n").unwrap_err(), DataError::Empty);
        assert!(matches!(
            parse_table("t.png", "\u{89}PNG\r\n\u{1a}\n\0\0").unwrap_err(),
            DataError::NotText { .. }
        ));
        assert_eq!(
            parse_table("t.csv", "a,b\n").unwrap_err(),
            DataError::NoRows
        );
    }

    #[test]
    fn tab_separated_files_are_read_by_extension_and_by_content() {
        let f = parse_table("t.tsv", "a\tb\n1\t2\n").unwrap();
        assert_eq!(f.columns.len(), 2);
        let g = parse_table("t.txt", "a\tb\n1\t2\n").unwrap();
        assert_eq!(g.columns[1].name, "b");
    }

    #[test]
    fn byte_order_mark_crlf_and_quoted_fields_are_read_as_a_spreadsheet_writes_them() {
        let text = "\u{feff}name,score\r\n\"Smith, Ann\",1.5\r\n\"O'Brien\",2\r\n";
        let f = parse_table("export.csv", text).unwrap();
        assert_eq!(f.columns[0].name, "name");
        assert_eq!(f.columns[0].cell_text(0), "Smith, Ann");
        assert!(f.columns[1].is_numeric());
        let g = parse_table("eu.csv", "a;b\n1;x\n2;y\n").unwrap();
        assert_eq!(g.columns.len(), 2);
    }

    #[test]
    fn duplicate_header_is_reported_with_both_positions() {
        let err = parse_table("t.csv", "a,b,a\n1,2,3\n").unwrap_err();
        assert!(err.to_string().contains("columns 1 and 3"), "{err}");
    }

    #[test]
    fn profile_shows_first_rows_as_text() {
        let f = parse_table("t.csv", "a,b\n1,x\n2.5,y\n").unwrap();
        let p = profile(&f, 1);
        assert_eq!(p.preview, vec![vec!["1".to_string(), "x".to_string()]]);
        assert_eq!(p.columns[1].distinct, 2);
    }
}
