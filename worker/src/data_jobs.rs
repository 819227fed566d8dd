//! Data jobs: reading and profiling a table (with progress), previewing a recipe, and
//! removing or hashing a column that holds personal data.

use std::collections::BTreeMap;

use kiln_engine::artifact::fingerprint;
use kiln_engine::data::{ColumnType, ParseOptions, format_number, parse, read_raw, rewrite_csv};
use kiln_engine::profile::profile as profile_frame;
use kiln_engine::train::prepare;
use kiln_protocol::project::TrainSpec;
use kiln_protocol::worker::{RecipePreview, Redaction, WorkerEvent};

use crate::convert;

/// Rows shown in the import and recipe previews.
const PREVIEW_ROWS: usize = 20;

pub fn profile(
    job_id: u64,
    file_name: &str,
    text: &str,
    types: BTreeMap<String, ColumnType>,
    target: Option<&str>,
    post: &dyn Fn(WorkerEvent),
) -> WorkerEvent {
    let options = ParseOptions {
        types,
        ..ParseOptions::default()
    };
    let mut last = -1.0;
    let mut report = |fraction: f64| {
        // Reading is most of the work; profiling takes the last tenth.
        if fraction - last >= 0.02 {
            last = fraction;
            post(WorkerEvent::Progress {
                job_id,
                fraction: fraction * 0.9,
                phase: "reading".into(),
                loss: None,
                device: None,
            });
        }
    };
    match parse(file_name, text.as_bytes(), &options, &mut report) {
        Ok(frame) => {
            post(WorkerEvent::Progress {
                job_id,
                fraction: 0.9,
                phase: "profiling".into(),
                loss: None,
                device: None,
            });
            // The studio's default target is the last column.
            let target = target
                .filter(|t| frame.column(t).is_some())
                .or_else(|| frame.columns.last().map(|c| c.name.as_str()));
            WorkerEvent::Profiled {
                job_id,
                profile: profile_frame(&frame, target, PREVIEW_ROWS),
            }
        }
        Err(e) => WorkerEvent::Failed {
            job_id,
            error: convert::error("parse", e),
        },
    }
}

pub fn preview(job_id: u64, file_name: &str, text: &str, spec: &TrainSpec) -> WorkerEvent {
    let config = convert::config(spec);
    let prepared = match prepare(file_name, text, &config) {
        Ok(p) => p,
        Err(e) => {
            return WorkerEvent::Failed {
                job_id,
                error: convert::train_error(&e),
            };
        }
    };
    let rows: Vec<usize> = (0..prepared.frame.rows.min(PREVIEW_ROWS)).collect();
    let width = prepared.recipe.width().max(1);
    let matrix = prepared.recipe.transform_frame(&prepared.frame, &rows);
    WorkerEvent::Previewed {
        job_id,
        preview: RecipePreview {
            columns: prepared.recipe.features.clone(),
            rows: matrix
                .chunks_exact(width)
                .map(|row| row.iter().map(|x| short(*x)).collect())
                .collect(),
            notes: prepared.recipe.notes.clone(),
            training_rows: prepared.split.train.len(),
        },
    }
}

/// A prepared value for display: at most four decimals.
fn short(x: f64) -> String {
    format_number((x * 10_000.0).round() / 10_000.0)
}

pub fn redact(
    job_id: u64,
    file_name: &str,
    text: &str,
    column: &str,
    mode: Redaction,
    salt: &str,
) -> WorkerEvent {
    let failed = |message: String| WorkerEvent::Failed {
        job_id,
        error: convert::error("redact", message),
    };
    let mut raw = match read_raw(
        file_name,
        text.as_bytes(),
        &ParseOptions::default(),
        &mut |_| {},
    ) {
        Ok(raw) => raw,
        Err(e) => return failed(e.to_string()),
    };
    let found = match mode {
        Redaction::Drop => raw.remove_column(column),
        Redaction::Hash => raw.map_column(column, &|v| {
            fingerprint(format!("{salt}\u{0}{v}").as_bytes())
        }),
    };
    if !found {
        return failed(format!("there is no column \"{column}\""));
    }
    let stem = stem(file_name);
    match rewrite_csv(&raw) {
        Ok(text) => WorkerEvent::Redacted {
            job_id,
            file_name: format!("{stem}.csv"),
            text,
        },
        Err(e) => failed(e.to_string()),
    }
}

/// A seeded random sample of at most `rows` rows, in file order, as CSV with its profile.
pub fn sample(
    job_id: u64,
    file_name: &str,
    text: &str,
    rows: usize,
    seed: u64,
    types: BTreeMap<String, ColumnType>,
) -> WorkerEvent {
    let failed = |message: String| WorkerEvent::Failed {
        job_id,
        error: convert::error("sample", message),
    };
    let mut raw = match read_raw(
        file_name,
        text.as_bytes(),
        &ParseOptions::default(),
        &mut |_| {},
    ) {
        Ok(raw) => raw,
        Err(e) => return failed(e.to_string()),
    };
    let mut order: Vec<usize> = (0..raw.rows).collect();
    kiln_protocol::rng::SplitMix64::new(seed).shuffle(&mut order);
    order.truncate(rows);
    order.sort_unstable();
    raw.keep_rows(&order);
    let stem = stem(file_name);
    let name = format!("{stem}-sample.csv");
    let text = match rewrite_csv(&raw) {
        Ok(text) => text,
        Err(e) => return failed(e.to_string()),
    };
    match profile(job_id, &name, &text, types, None, &|_| {}) {
        WorkerEvent::Profiled { profile, .. } => WorkerEvent::Sampled {
            job_id,
            file_name: name,
            text,
            profile,
        },
        other => other,
    }
}

/// A file name without its extension.
fn stem(file_name: &str) -> &str {
    file_name
        .rsplit_once('.')
        .map_or(file_name, |(stem, _)| stem)
}
