//! Reading text into a [`RawTable`]: format and delimiter detection, header detection, and the
//! checks that turn a malformed file into an error naming its line and column.

use super::{DataError, MAX_COLUMNS, MAX_FIELD_BYTES, MAX_TEXT_BYTES, ParseOptions, is_missing};

/// One column's cells as text, in one buffer (a cell per row, no per-cell allocation: a
/// 1M-row file has tens of millions of cells).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawColumn {
    text: String,
    ends: Vec<u32>,
}

impl RawColumn {
    pub fn push(&mut self, cell: &str) {
        self.text.push_str(cell);
        // The input is at most MAX_TEXT_BYTES (< 4 GiB), so offsets fit in u32.
        self.ends
            .push(u32::try_from(self.text.len()).unwrap_or(u32::MAX));
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub fn get(&self, row: usize) -> &str {
        let end = self.ends.get(row).map_or(0, |&e| e as usize);
        let start = match row {
            0 => 0,
            r => self.ends.get(r - 1).map_or(0, |&e| e as usize),
        };
        self.text.get(start..end).unwrap_or("")
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).map(|r| self.get(r))
    }
}

/// A table of text cells with named columns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawTable {
    pub names: Vec<String>,
    pub columns: Vec<RawColumn>,
    pub rows: usize,
    pub format: String,
}

impl RawTable {
    /// Removes a column; false when there is none of that name.
    pub fn remove_column(&mut self, name: &str) -> bool {
        match self.names.iter().position(|n| n == name) {
            Some(i) => {
                self.names.remove(i);
                self.columns.remove(i);
                true
            }
            None => false,
        }
    }

    /// Keeps only `rows` (indices, in the order given).
    pub fn keep_rows(&mut self, rows: &[usize]) {
        for column in &mut self.columns {
            let mut kept = RawColumn::default();
            for &r in rows {
                kept.push(column.get(r));
            }
            *column = kept;
        }
        self.rows = rows.len();
    }

    /// Replaces every non-missing cell of a column by `f(cell)`.
    pub fn map_column(&mut self, name: &str, f: &dyn Fn(&str) -> String) -> bool {
        let Some(i) = self.names.iter().position(|n| n == name) else {
            return false;
        };
        let mut out = RawColumn::default();
        for cell in self.columns[i].iter() {
            if is_missing(cell) {
                out.push(cell);
            } else {
                out.push(&f(cell));
            }
        }
        self.columns[i] = out;
        true
    }
}

/// Writes a table as CSV (comma-separated, quoted where needed).
pub fn rewrite_csv(table: &RawTable) -> Result<String, DataError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let failed = |e: &dyn std::fmt::Display| DataError::Malformed {
        line: 0,
        message: format!("cannot write the table: {e}"),
    };
    writer.write_record(&table.names).map_err(|e| failed(&e))?;
    for row in 0..table.rows {
        writer
            .write_record(table.columns.iter().map(|c| c.get(row)))
            .map_err(|e| failed(&e))?;
    }
    let bytes = writer.into_inner().map_err(|e| failed(&e))?;
    String::from_utf8(bytes).map_err(|e| failed(&e))
}

/// Reads CSV, TSV, JSON (an array of objects) or NDJSON into text cells.
pub fn read_raw(
    file_name: &str,
    bytes: &[u8],
    options: &ParseOptions,
    progress: &mut dyn FnMut(f64),
) -> Result<RawTable, DataError> {
    if bytes.len() > MAX_TEXT_BYTES {
        return Err(DataError::TooLarge {
            bytes: bytes.len(),
            limit: MAX_TEXT_BYTES,
        });
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Some(offset) = bytes
        .iter()
        .position(|&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c))
    {
        return Err(DataError::NotText { offset });
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(DataError::Empty);
    }
    let lower = file_name.to_ascii_lowercase();
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace()).copied();
    let table = if lower.ends_with(".json")
        || lower.ends_with(".ndjson")
        || lower.ends_with(".jsonl")
        || looks_like_json(bytes, first)
    {
        super::json::read(bytes)?
    } else {
        let delimiter = options.delimiter.unwrap_or_else(|| {
            if lower.ends_with(".tsv") || lower.ends_with(".tab") {
                b'\t'
            } else {
                sniff_delimiter(bytes)
            }
        });
        read_delimited(bytes, delimiter, options.header, progress)?
    };
    check_names(&table.names)?;
    if table.rows == 0 {
        return Err(DataError::NoRows);
    }
    progress(1.0);
    Ok(table)
}

/// `{…` or `[{…` / `[]` / `[` + newline: JSON; `[ID],Name` is a CSV header.
fn looks_like_json(bytes: &[u8], first: Option<u8>) -> bool {
    match first {
        Some(b'{') => true,
        Some(b'[') => {
            let after = bytes
                .iter()
                .skip_while(|b| b.is_ascii_whitespace())
                .skip(1)
                .find(|b| !matches!(b, b' ' | b'\t'));
            matches!(after, None | Some(b'{' | b']' | b'\n' | b'\r'))
        }
        _ => false,
    }
}

const DELIMITERS: [u8; 4] = [b',', b'\t', b';', b'|'];

/// The delimiter that splits the first lines into the same number (> 1) of fields most often.
fn sniff_delimiter(bytes: &[u8]) -> u8 {
    let sample = &bytes[..bytes.len().min(64 * 1024)];
    let mut best = (b',', 0.0, 0);
    for d in DELIMITERS {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(d)
            .has_headers(false)
            .flexible(true)
            .from_reader(sample);
        let counts: Vec<usize> = reader
            .byte_records()
            .take(30)
            .map_while(Result::ok)
            .map(|r| r.len())
            .collect();
        // The last sampled line may be cut short.
        let counts = &counts[..counts.len().saturating_sub(1).max(1).min(counts.len())];
        let Some(&mode) = counts.first() else {
            continue;
        };
        if mode < 2 {
            continue;
        }
        let share = counts.iter().filter(|&&c| c == mode).count() as f64 / counts.len() as f64;
        if share > best.1 || (share == best.1 && mode > best.2) {
            best = (d, share, mode);
        }
    }
    best.0
}

fn read_delimited(
    bytes: &[u8],
    delimiter: u8,
    header: Option<bool>,
    progress: &mut dyn FnMut(f64),
) -> Result<RawTable, DataError> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut records = reader.byte_records();
    // Read ahead a little to decide whether the first row is a header.
    let mut ahead = Vec::new();
    for record in records.by_ref() {
        let record = record.map_err(|e| malformed(&e))?;
        if is_blank(&record) {
            continue;
        }
        ahead.push(record);
        if ahead.len() > 100 {
            break;
        }
    }
    let Some(first) = ahead.first() else {
        return Err(DataError::Empty);
    };
    let width = first.len();
    if width > MAX_COLUMNS {
        return Err(DataError::TooManyColumns {
            found: width,
            limit: MAX_COLUMNS,
        });
    }
    let first_line = line_of(first);
    let first_cells = cells(first, first_line, width)?;
    let has_header = header.unwrap_or_else(|| looks_like_header(&first_cells, &ahead[1..]));
    let format = match delimiter {
        b'\t' => "TSV".to_string(),
        d => format!("CSV ({})", char::from(d)),
    };
    let mut table = RawTable {
        names: if has_header {
            first_cells.iter().map(|c| c.to_string()).collect()
        } else {
            (1..=width).map(|i| format!("column_{i}")).collect()
        },
        columns: vec![RawColumn::default(); width],
        rows: 0,
        format,
    };
    if has_header {
        check_names(&table.names)?;
    }
    let total = bytes.len().max(1) as f64;
    let skip = usize::from(has_header);
    let rest = ahead.into_iter().skip(skip).map(Ok).chain(records);
    let mut last_line = first_line;
    for record in rest {
        let record = record.map_err(|e| malformed(&e))?;
        if is_blank(&record) {
            continue;
        }
        let line = line_of(&record);
        last_line = line;
        if record.len() != width {
            if let Some(column) = record.iter().position(|f| f.contains(&b'\n')) {
                return Err(DataError::UnterminatedQuote {
                    line,
                    column: column + 1,
                });
            }
            return Err(DataError::Ragged {
                line,
                expected: width,
                found: record.len(),
            });
        }
        for (i, (column, field)) in table.columns.iter_mut().zip(record.iter()).enumerate() {
            column.push(cell(field, line, i)?);
        }
        table.rows += 1;
        if table.rows.is_multiple_of(4096) {
            let done = record.position().map_or(0, |p| p.byte()) as f64;
            progress(done / total);
        }
    }
    check_closing_quote(bytes, delimiter, last_line)?;
    Ok(table)
}

/// The csv reader takes an unclosed quote to the end of the file as one value; an odd number
/// of quotes in the last record gives it away.
fn check_closing_quote(bytes: &[u8], delimiter: u8, last_line: u64) -> Result<(), DataError> {
    let mut line = 1u64;
    let mut start = 0usize;
    for (i, &b) in bytes.iter().enumerate() {
        if line == last_line {
            start = i;
            break;
        }
        if b == b'\n' {
            line += 1;
        }
    }
    let tail = &bytes[start.min(bytes.len())..];
    // Only a quote at the start of a field opens a quoted value (`55" TV` is plain text).
    let (mut quoted, mut at_start) = (false, true);
    let (mut column, mut open_column) = (1, 1);
    let mut i = 0;
    while i < tail.len() {
        let b = tail[i];
        if quoted {
            if b == b'"' {
                if tail.get(i + 1) == Some(&b'"') {
                    i += 1;
                } else {
                    quoted = false;
                }
            }
        } else if b == b'"' && at_start {
            quoted = true;
            open_column = column;
        } else if b == delimiter {
            column += 1;
            at_start = true;
        } else if b == b'\n' {
            column = 1;
            at_start = true;
        } else if !b.is_ascii_whitespace() {
            at_start = false;
        }
        i += 1;
    }
    if !quoted {
        return Ok(());
    }
    Err(DataError::UnterminatedQuote {
        line: last_line,
        column: open_column,
    })
}

fn is_blank(record: &csv::ByteRecord) -> bool {
    record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace))
}

fn line_of(record: &csv::ByteRecord) -> u64 {
    record.position().map_or(0, |p| p.line())
}

/// A field as trimmed text, checked for encoding and size (`i` counts from 0).
fn cell(field: &[u8], line: u64, i: usize) -> Result<&str, DataError> {
    if field.len() > MAX_FIELD_BYTES {
        return Err(DataError::FieldTooLarge {
            line,
            column: i + 1,
            bytes: field.len(),
            limit: MAX_FIELD_BYTES,
        });
    }
    let text = std::str::from_utf8(field).map_err(|_| DataError::InvalidUtf8 {
        line,
        column: i + 1,
    })?;
    Ok(text.trim())
}

/// The record's cells as trimmed text, checked for encoding and size.
fn cells(record: &csv::ByteRecord, line: u64, width: usize) -> Result<Vec<&str>, DataError> {
    let mut out = Vec::with_capacity(width);
    for (i, field) in record.iter().enumerate() {
        out.push(cell(field, line, i)?);
    }
    Ok(out)
}

/// A first row is data, not a header, when its cells are numbers where the rows below hold
/// numbers (the rule spreadsheet importers use). Undecided means header.
fn looks_like_header(first: &[&str], below: &[csv::ByteRecord]) -> bool {
    let mut votes = 0i32;
    for (j, cell) in first.iter().enumerate() {
        let mut seen = 0;
        let numeric_below = below.iter().all(|r| {
            let v = r
                .get(j)
                .and_then(|f| std::str::from_utf8(f).ok())
                .unwrap_or("")
                .trim();
            if is_missing(v) {
                return true;
            }
            seen += 1;
            is_number(v)
        });
        if seen == 0 || !numeric_below {
            continue;
        }
        votes += if is_number(cell) { -1 } else { 1 };
    }
    votes >= 0
}

fn is_number(text: &str) -> bool {
    text.parse::<f64>().is_ok_and(f64::is_finite)
}

fn check_names(names: &[String]) -> Result<(), DataError> {
    if names.len() > MAX_COLUMNS {
        return Err(DataError::TooManyColumns {
            found: names.len(),
            limit: MAX_COLUMNS,
        });
    }
    if names.len() < 2 {
        return Err(DataError::SingleColumn);
    }
    let mut sorted: Vec<(&str, usize)> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    if let Some(&(_, i)) = sorted.iter().find(|(n, _)| n.is_empty()) {
        return Err(DataError::EmptyHeader { column: i + 1 });
    }
    sorted.sort_unstable();
    if let Some(w) = sorted.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(DataError::DuplicateHeader {
            name: w[0].0.to_string(),
            first: w[0].1 + 1,
            second: w[1].1 + 1,
        });
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
