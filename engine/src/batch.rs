//! Batch scoring: a delimited text's rows with the model's outputs appended, a chunk at a time,
//! so a caller can spread a large file over several workers. Cells are read as text and typed
//! by the model's recipe (as in training), not inferred again per chunk, so a chunk whose
//! column happens to be empty or numeric-looking scores exactly like the whole file would.

use std::fmt::Write as _;

use crate::artifact::{Artifact, format_value};
use crate::model::FittedModel;
use crate::train::Task;

/// Rows of a chunk that could not be scored are kept (their output cells empty) and counted;
/// the first few reasons are kept to show.
pub const ERRORS_KEPT: usize = 5;

/// One chunk's result.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    /// The rows (no header line), each with the output columns appended.
    pub csv: String,
    pub rows: usize,
    /// Rows whose output cells are empty because they could not be scored.
    pub failed: usize,
    /// The first [`ERRORS_KEPT`] reasons, each naming its row (1 = the first data row).
    pub errors: Vec<String>,
}

/// The columns a model's outputs fill: the prediction, then each class's probability
/// (classifiers), the cluster (k-means) or the component scores (PCA).
pub fn prediction_columns(artifact: &Artifact) -> Vec<String> {
    match (&artifact.task, &artifact.model) {
        (Task::Classification, _) => std::iter::once("prediction".to_string())
            .chain(artifact.classes.iter().map(|c| format!("probability_{c}")))
            .collect(),
        (Task::Regression, _) => vec!["prediction".into()],
        (Task::Clustering, FittedModel::Pca(p)) => {
            (1..=p.n_components()).map(|i| format!("pc{i}")).collect()
        }
        (Task::Clustering, _) => vec!["cluster".into()],
    }
}

/// The columns batch scoring appends: [`prediction_columns`], then the reason a row could not
/// be scored. A name the input already uses gets a `kiln_` prefix.
pub fn output_columns(artifact: &Artifact, input: &[String]) -> Vec<String> {
    prediction_columns(artifact)
        .into_iter()
        .chain(std::iter::once("prediction_error".to_string()))
        .map(|n| {
            let mut name = n;
            while input.contains(&name) {
                name = format!("kiln_{name}");
            }
            name
        })
        .collect()
}

/// The UTF-8 byte-order mark some programs write at the start of a text file.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The header line of a file (its first record) as column names: a leading byte-order mark
/// is not part of the first name, and bytes that are not UTF-8 read as U+FFFD.
pub fn header(file: impl AsRef<[u8]>, delimiter: u8) -> Result<Vec<String>, String> {
    let bytes = file.as_ref();
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(bytes.strip_prefix(BOM).unwrap_or(bytes));
    let header = reader
        .byte_headers()
        .map_err(|e| format!("cannot read the header line: {e}"))?;
    Ok(header
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().to_string())
        .collect())
}

/// One CSV line of `names` (quoted where needed), ending in a line break.
pub fn header_line<'a>(
    names: impl Iterator<Item = &'a String>,
    delimiter: u8,
) -> Result<String, String> {
    let mut writer = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .from_writer(Vec::new());
    writer
        .write_record(names)
        .map_err(|e| format!("cannot write the header line: {e}"))?;
    let bytes = writer.into_inner().map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| e.to_string())
}

/// Scores the rows of `chunk` (delimited UTF-8 text whose column names are `columns`, without
/// a header line; bytes that are not UTF-8 read as U+FFFD). `first_row` is the number of the
/// chunk's first row in the whole file, for the reasons. Fails only when the model takes
/// images, or none of its inputs is a column.
pub fn score_chunk(
    artifact: &Artifact,
    columns: &[String],
    chunk: impl AsRef<[u8]>,
    delimiter: u8,
    first_row: usize,
) -> Result<Scored, String> {
    // Borrowed as it is when it is UTF-8 (the usual case); chunks are cut at line breaks, so
    // a character is never split between two of them.
    let chunk = String::from_utf8_lossy(chunk.as_ref());
    if artifact.image.is_some() {
        return Err("this model classifies images; batch scoring takes table rows".into());
    }
    let positions: Vec<Option<usize>> = artifact
        .recipe
        .inputs
        .iter()
        .map(|input| columns.iter().position(|c| *c == input.name))
        .collect();
    if positions.iter().all(Option::is_none) {
        let names: Vec<&str> = artifact
            .recipe
            .inputs
            .iter()
            .map(|i| i.name.as_str())
            .collect();
        return Err(format!(
            "the file has none of the model's input columns ({})",
            names.join(", ")
        ));
    }
    let outputs = output_columns(artifact, columns).len();
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(chunk.as_bytes());
    let mut records = Vec::new();
    for record in reader.records() {
        let row = first_row + records.len();
        records.push(
            record.map_err(|e| format!("row {row}: the file cannot be read from here: {e}"))?,
        );
    }
    // All the chunk's rows through the recipe, then the model, at once (rows that could not
    // be prepared are scored too, and their outputs left out).
    let (x, errors) = artifact.recipe.transform_texts(records.len(), |r, i| {
        positions[i].and_then(|p| records[r].get(p))
    });
    let predictions = artifact.predict_prepared_rows(&x, records.len());
    let mut writer = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .from_writer(Vec::with_capacity(chunk.len() + chunk.len() / 2));
    let mut scored = Scored {
        csv: String::new(),
        rows: records.len(),
        failed: 0,
        errors: Vec::new(),
    };
    // Fields go to the writer one at a time (no row of owned strings per record).
    let mut number = String::new();
    for (r, ((record, error), p)) in records.iter().zip(errors).zip(&predictions).enumerate() {
        let row = first_row + r;
        // A row with more or fewer cells than the header is not guessed at: its outputs would
        // not line up with the header, nor its cells with the model's inputs.
        let error = if record.len() == columns.len() {
            error.map(|e| e.to_string())
        } else {
            Some(format!(
                "the row has {} cells where the header has {}",
                record.len(),
                columns.len()
            ))
        };
        let written = (|| -> csv::Result<()> {
            for c in 0..columns.len() {
                writer.write_field(record.get(c).unwrap_or_default())?;
            }
            match &error {
                None => {
                    match (&artifact.task, p.components.is_empty()) {
                        (Task::Clustering, false) => {
                            for v in &p.components {
                                writer.write_field(format_value(*v))?;
                            }
                        }
                        _ => {
                            writer.write_field(&p.label)?;
                            for (_, v) in &p.probabilities {
                                number.clear();
                                let _ = write!(number, "{v:.6}");
                                writer.write_field(&number)?;
                            }
                        }
                    }
                    writer.write_field("")?;
                }
                Some(e) => {
                    for _ in 1..outputs {
                        writer.write_field("")?;
                    }
                    writer.write_field(e)?;
                }
            }
            writer.write_record(std::iter::empty::<&[u8]>())
        })();
        written.map_err(|e| format!("row {row}: {e}"))?;
        if let Some(e) = error {
            scored.failed += 1;
            if scored.errors.len() < ERRORS_KEPT {
                scored.errors.push(format!("row {row}: {e}"));
            }
        }
    }
    let bytes = writer.into_inner().map_err(|e| e.to_string())?;
    scored.csv = String::from_utf8(bytes).map_err(|e| e.to_string())?;
    Ok(scored)
}

/// Where to cut a delimited file into chunks.
#[derive(Debug, Clone, PartialEq)]
pub struct Chunks {
    /// Byte offsets of chunk starts, the first being the end of the header line.
    pub starts: Vec<usize>,
    /// Data rows in the file.
    pub rows: usize,
}

/// Where to cut a file (after its header line) into chunks of `rows` rows each (the last may
/// have fewer); offsets count the file's bytes as stored. See [`Cutter`], which this runs
/// over the whole file at once.
pub fn chunk_starts(file: impl AsRef<[u8]>, rows: usize, delimiter: u8) -> Chunks {
    let mut cutter = Cutter::new(rows, delimiter);
    cutter.feed(file.as_ref());
    cutter.finish()
}

/// Where the cutter is within a line.
#[derive(Debug, Clone, Copy, PartialEq)]
enum At {
    CellStart,
    Cell,
    Quoted,
    /// A quote inside a quoted cell: its end, or the first half of `""`.
    QuoteInQuoted,
}

/// Finds where to cut a file into chunks of `rows` rows, reading it a piece at a time (so a
/// worker never holds more than a piece of a large file). The file is followed as the CSV
/// reader reads it, so a row is never split and row numbers agree with the reader's: a quote
/// opens a quoted cell only at the start of a cell (`5'11"` is plain text), `""` inside one is
/// a quote, a line break inside one is text; `\n`, `\r\n` and a lone `\r` end a line; blank
/// lines are skipped, before the header too; a leading byte-order mark is not the first cell's
/// text. Every cut is just after a line break, so none falls inside a UTF-8 character.
#[derive(Debug, Clone)]
pub struct Cutter {
    rows: usize,
    delimiter: u8,
    at: At,
    /// Whether the line so far is empty.
    blank: bool,
    in_chunk: usize,
    total: usize,
    starts: Vec<usize>,
    /// Bytes fed so far.
    seen: usize,
    /// The offset of a `\r` that ended a piece: whether it ends its line depends on the next
    /// piece's first byte.
    held_cr: Option<usize>,
}

impl Cutter {
    pub fn new(rows: usize, delimiter: u8) -> Self {
        Cutter {
            rows: rows.max(1),
            delimiter,
            at: At::CellStart,
            blank: true,
            in_chunk: 0,
            total: 0,
            starts: Vec::new(),
            seen: 0,
            held_cr: None,
        }
    }

    /// Reads the file's next piece (the first must hold its first three bytes, for the mark).
    pub fn feed(&mut self, piece: &[u8]) {
        let Some(&first) = piece.first() else { return };
        // A `\r` then `\n` ends its line at the `\n`; a lone one ends it at once.
        if let Some(cr) = self.held_cr.take()
            && first != b'\n'
        {
            self.line_end(cr);
        }
        let skip = if self.seen == 0 && piece.starts_with(BOM) {
            BOM.len()
        } else {
            0
        };
        for (k, &b) in piece.iter().enumerate().skip(skip) {
            let i = self.seen + k;
            let line_end = match (self.at, b) {
                (At::Quoted, b'"') => {
                    self.at = At::QuoteInQuoted;
                    false
                }
                (At::Quoted, _) => false,
                (At::QuoteInQuoted, b'"') => {
                    self.at = At::Quoted;
                    false
                }
                (_, b'\r') => match piece.get(k + 1) {
                    Some(b'\n') => false,
                    Some(_) => true,
                    None => {
                        self.held_cr = Some(i);
                        false
                    }
                },
                (_, b'\n') => true,
                (_, d) if d == self.delimiter => {
                    self.at = At::CellStart;
                    self.blank = false;
                    false
                }
                (At::CellStart, b'"') => {
                    self.at = At::Quoted;
                    self.blank = false;
                    false
                }
                _ => {
                    self.at = At::Cell;
                    self.blank = false;
                    false
                }
            };
            if line_end {
                self.line_end(i);
            }
        }
        self.seen += piece.len();
    }

    /// Where the header line ends, once it has been fed.
    pub fn header_end(&self) -> Option<usize> {
        self.starts.first().copied()
    }

    /// The line break at offset `i` ends a line.
    fn line_end(&mut self, i: usize) {
        self.at = At::CellStart;
        if std::mem::replace(&mut self.blank, true) {
            return;
        }
        if self.starts.is_empty() {
            // The header line.
            self.starts.push(i + 1);
            return;
        }
        self.total += 1;
        self.in_chunk += 1;
        if self.in_chunk == self.rows {
            self.starts.push(i + 1);
            self.in_chunk = 0;
        }
    }

    /// The cuts, once the whole file has been fed.
    pub fn finish(mut self) -> Chunks {
        if let Some(cr) = self.held_cr.take() {
            self.line_end(cr);
        }
        match self.starts.last() {
            None => self.starts.push(self.seen),
            // A last row without a line break.
            Some(_) if !self.blank => self.total += 1,
            Some(_) => {}
        }
        // A cut at the very end of the file starts no chunk.
        if self.starts.len() > 1 && self.starts.last() == Some(&self.seen) {
            self.starts.pop();
        }
        Chunks {
            starts: self.starts,
            rows: self.total,
        }
    }
}
