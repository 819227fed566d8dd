//! JSON input: an array of objects, or NDJSON (one object per line). Keys become columns in
//! order of first appearance; a key absent from a row is a missing value.

use std::collections::HashMap;

use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::{DataError, MAX_COLUMNS, MAX_FIELD_BYTES, RawColumn, RawTable};

pub fn read(bytes: &[u8]) -> Result<RawTable, DataError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let before = &bytes[..e.valid_up_to()];
        let line = 1 + before.iter().filter(|&&b| b == b'\n').count() as u64;
        // For JSON the column is the character position in the line.
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let column = 1 + String::from_utf8_lossy(&before[line_start..])
            .chars()
            .count();
        DataError::InvalidUtf8 { line, column }
    })?;
    let mut builder = Builder::default();
    if text.trim_start().starts_with('[') {
        // Items are kept as raw text first, so each can be placed on its line.
        let rows: Vec<&RawValue> = serde_json::from_str(text).map_err(|e| json_error(&e, 0))?;
        for (i, raw) in rows.into_iter().enumerate() {
            let offset = (raw.get().as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
            let line = 1 + text.as_bytes()[..offset.min(text.len())]
                .iter()
                .filter(|&&b| b == b'\n')
                .count() as u64;
            let row: Value = serde_json::from_str(raw.get()).map_err(|e| json_error(&e, line))?;
            let Value::Object(map) = row else {
                return Err(DataError::Malformed {
                    line,
                    message: format!("item {} of the array is not an object", i + 1),
                });
            };
            builder.push(map, line)?;
        }
        builder.finish("JSON")
    } else {
        for (i, line) in text.lines().enumerate() {
            let number = i as u64 + 1;
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<Value>(line).map_err(|e| json_error(&e, number))? {
                Value::Object(map) => builder.push(map, number)?,
                _ => {
                    return Err(DataError::Malformed {
                        line: number,
                        message: "each line must be one JSON object".into(),
                    });
                }
            }
        }
        builder.finish("NDJSON")
    }
}

fn json_error(e: &serde_json::Error, line: u64) -> DataError {
    DataError::Malformed {
        line: if line == 0 { e.line() as u64 } else { line },
        message: format!("invalid JSON at character {}: {e}", e.column()),
    }
}

#[derive(Default)]
struct Builder {
    names: Vec<String>,
    index: HashMap<String, usize>,
    columns: Vec<RawColumn>,
    rows: usize,
}

impl Builder {
    fn push(&mut self, map: Map<String, Value>, line: u64) -> Result<(), DataError> {
        for (key, value) in map {
            let column = match self.index.get(&key) {
                Some(&c) => c,
                None => {
                    if self.names.len() >= MAX_COLUMNS {
                        return Err(DataError::TooManyColumns {
                            found: self.names.len() + 1,
                            limit: MAX_COLUMNS,
                        });
                    }
                    // Earlier rows lack this key: missing.
                    let mut fresh = RawColumn::default();
                    for _ in 0..self.rows {
                        fresh.push("");
                    }
                    self.index.insert(key.clone(), self.names.len());
                    self.names.push(key);
                    self.columns.push(fresh);
                    self.columns.len() - 1
                }
            };
            let text = match value {
                Value::Null => String::new(),
                Value::String(s) => s,
                Value::Bool(b) => b.to_string(),
                Value::Number(n) => n.to_string(),
                nested => nested.to_string(),
            };
            if text.len() > MAX_FIELD_BYTES {
                return Err(DataError::FieldTooLarge {
                    line,
                    column: column + 1,
                    bytes: text.len(),
                    limit: MAX_FIELD_BYTES,
                });
            }
            self.columns[column].push(text.trim());
        }
        self.rows += 1;
        // Keys absent from this row: missing.
        for column in &mut self.columns {
            if column.len() < self.rows {
                column.push("");
            }
        }
        Ok(())
    }

    fn finish(self, format: &str) -> Result<RawTable, DataError> {
        Ok(RawTable {
            names: self.names,
            columns: self.columns,
            rows: self.rows,
            format: format.to_string(),
        })
    }
}
