//! `kiln profile`: the Data page's profile of a file, in a shell.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use kiln_engine::data::{ColumnType, ParseOptions, format_typed, parse};
use kiln_engine::profile::profile;
use kiln_protocol::profile::DatasetProfile;

#[derive(Args)]
pub struct ProfileArgs {
    /// The data file (CSV, TSV, JSON array of objects or NDJSON).
    file: PathBuf,
    /// Also profile each feature's relation to this column.
    #[arg(long)]
    target: Option<String>,
    /// Read a column as another type: COLUMN=integer|float|boolean|categorical|text|datetime.
    #[arg(long = "type", value_name = "COLUMN=TYPE")]
    types: Vec<String>,
    /// Print the profile as JSON.
    #[arg(long)]
    json: bool,
    /// Write the default recipe (what `kiln train` uses without `--recipe`) to this file.
    #[arg(long)]
    recipe_out: Option<PathBuf>,
}

pub fn parse_types(pairs: &[String]) -> anyhow::Result<BTreeMap<String, ColumnType>> {
    pairs
        .iter()
        .map(|pair| {
            let (column, kind) = pair
                .rsplit_once('=')
                .with_context(|| format!("--type needs COLUMN=TYPE, got \"{pair}\""))?;
            let kind = ColumnType::from_label(kind).with_context(|| {
                format!(
                    "unknown type \"{kind}\" for column \"{column}\"; use integer, float, boolean, categorical, text or datetime"
                )
            })?;
            Ok((column.to_string(), kind))
        })
        .collect()
}

pub fn run(args: &ProfileArgs) -> anyhow::Result<()> {
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let file_name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let options = ParseOptions {
        types: parse_types(&args.types)?,
        ..ParseOptions::default()
    };
    let frame = parse(&file_name, &bytes, &options, &mut |_| {})
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    if let Some(t) = &args.target
        && frame.column(t).is_none()
    {
        anyhow::bail!(
            "there is no column \"{t}\"; the columns are: {}",
            frame.names().join(", ")
        );
    }
    let p = profile(&frame, args.target.as_deref(), 5);
    if let Some(out) = &args.recipe_out {
        // The recipe carries the --type choices, so `kiln train --recipe` reads columns alike.
        let mut recipe = p.default_recipe.clone();
        recipe.types.clone_from(&options.types);
        std::fs::write(out, serde_json::to_string_pretty(&recipe)?)
            .with_context(|| format!("cannot write {}", out.display()))?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&p)?);
    } else {
        print_profile(&p);
    }
    Ok(())
}

fn print_profile(p: &DatasetProfile) {
    println!(
        "{} rows, {} columns ({})",
        p.rows,
        p.columns.len(),
        p.format
    );
    println!();
    println!(
        "{:<24} {:<12} {:>8} {:>8} {:>9}  summary",
        "column", "type", "count", "missing", "distinct"
    );
    for c in &p.columns {
        let summary = c.summary(|x| format_typed(c.kind, round(x)));
        let kind = match c.inferred {
            Some(i) if i != c.kind => format!("{}*", c.kind.label()),
            _ => c.kind.label().to_string(),
        };
        println!(
            "{:<24} {:<12} {:>8} {:>8} {:>9}  {summary}",
            c.name, kind, c.count, c.missing, c.distinct
        );
    }
    if !p.warnings.is_empty() {
        println!("\nwarnings:");
        for w in &p.warnings {
            println!("  - {}", w.message);
        }
    }
    if let Some(t) = &p.target {
        println!("\nrelation to \"{}\" ({}):", t.target, t.measure);
        for f in t.features.iter().take(10) {
            println!("  {:<24} {:.3}", f.column, f.strength);
        }
    }
    println!("\ndefault recipe:");
    for (i, step) in p.default_recipe.steps.iter().enumerate() {
        println!("  {}. {}", i + 1, step.describe());
    }
}

fn round(x: f64) -> f64 {
    if x.abs() >= 1e6 || x.fract() == 0.0 {
        x
    } else {
        (x * 1000.0).round() / 1000.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_overrides_are_read_from_column_equals_type() {
        let t = parse_types(&["zip=categorical".into(), "a=b=datetime".into()]).unwrap();
        assert_eq!(t["zip"], ColumnType::Categorical);
        assert_eq!(t["a=b"], ColumnType::Datetime);
        let err = parse_types(&["x=number".into()]).unwrap_err();
        assert!(err.to_string().contains("unknown type \"number\""), "{err}");
    }
}
