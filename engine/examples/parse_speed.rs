//! Native parse and profile speed on one file, for `bench/parse.sh` (speed is measured in
//! bench/, never asserted in tests).
//!
//! Times `data::parse` (detection, reading, type inference; default options) and then
//! `profile::profile` on the parsed frame with `y` as the target, each as the best of
//! `RUNS` after one warm-up run, single-threaded, and prints one JSON line. MB are 10^6 bytes.
//!
//! Usage: cargo run --release -p kiln-engine --example parse_speed -- FILE.csv [TARGET]

use std::time::Instant;

use kiln_engine::data::{ParseOptions, parse};
use kiln_engine::profile::profile;

const RUNS: usize = 3;
const PREVIEW_ROWS: usize = 20;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: parse_speed FILE.csv [TARGET]")?;
    let target = args.next().unwrap_or_else(|| "y".to_string());
    let bytes = std::fs::read(&path)?;
    let file_name = std::path::Path::new(&path)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("bench.csv")
        .to_string();
    let options = ParseOptions::default();

    // Warm-up, then the best of RUNS.
    let mut frame = parse(&file_name, &bytes, &options, &mut |_| {})?;
    let mut parse_runs = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        drop(frame);
        let start = Instant::now();
        frame = parse(&file_name, &bytes, &options, &mut |_| {})?;
        parse_runs.push(start.elapsed().as_secs_f64());
    }
    if frame.column(&target).is_none() {
        return Err(format!("the file has no column {target:?}").into());
    }

    let warm = profile(&frame, Some(&target), PREVIEW_ROWS);
    let numeric = frame.columns.iter().filter(|c| c.is_numeric()).count();
    let warnings = warm.warnings.len();
    drop(warm);
    let mut profile_runs = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let start = Instant::now();
        let p = profile(&frame, Some(&target), PREVIEW_ROWS);
        profile_runs.push(start.elapsed().as_secs_f64());
        drop(p);
    }

    let best = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    let parse_s = best(&parse_runs);
    let profile_s = best(&profile_runs);
    let mb = bytes.len() as f64 / 1e6;
    let report = serde_json::json!({
        "file": path,
        "bytes": bytes.len(),
        "rows": frame.rows,
        "columns": frame.columns.len(),
        "numeric_columns": numeric,
        "format": frame.format,
        "warnings": warnings,
        "parse_s": parse_s,
        "parse_runs_s": parse_runs,
        "parse_mb_per_s": mb / parse_s,
        "parse_rows_per_s": frame.rows as f64 / parse_s,
        "profile_s": profile_s,
        "profile_runs_s": profile_runs,
        "parse_plus_profile_s": parse_s + profile_s,
    });
    println!("{report}");
    Ok(())
}
