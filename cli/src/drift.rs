//! `kiln drift`: check a new batch of rows against the training data a model keeps in its
//! artifact — per feature, the model's predictions, and the batch's scores when it has the
//! target — as a table for a person or one JSON document for a program.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use kiln_engine::artifact::{Artifact, format_value};
use kiln_engine::data::{ParseOptions, parse};
use kiln_protocol::monitor::{DriftReport, DriftSettings, FeatureDrift};

#[derive(Args)]
pub struct DriftArgs {
    /// A model file written by `kiln train --out` or downloaded from the studio.
    #[arg(long)]
    model: PathBuf,
    /// The new rows (CSV, TSV, JSON or NDJSON with the model's input columns; the target
    /// column too, to score the model on them).
    #[arg(long)]
    data: PathBuf,
    /// Print one JSON document instead of a table.
    #[arg(long)]
    json: bool,
    /// Significance level of the Kolmogorov–Smirnov and chi-square tests.
    #[arg(long, default_value_t = 0.05)]
    alpha: f64,
    /// Threshold of the Wasserstein (in training standard deviations) and Jensen–Shannon
    /// distances used for large batches.
    #[arg(long, default_value_t = 0.1)]
    threshold: f64,
    /// Batches with more rows than this are compared by distances instead of tests.
    #[arg(long, default_value_t = 1000)]
    test_rows: usize,
    /// Exit with status 3 when any feature drifted (for scheduled checks).
    #[arg(long)]
    fail_on_drift: bool,
}

pub fn run(args: &DriftArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.model)
        .with_context(|| format!("cannot read {}", args.model.display()))?;
    let artifact = Artifact::decode(&text)
        .with_context(|| format!("cannot use {} as a model", args.model.display()))?;
    let bytes = std::fs::read(&args.data)
        .with_context(|| format!("cannot read {}", args.data.display()))?;
    let name = args
        .data
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let frame = parse(&name, &bytes, &ParseOptions::default(), &mut |_| {})
        .with_context(|| format!("cannot read {}", args.data.display()))?;
    let settings = DriftSettings {
        alpha: args.alpha,
        distance: args.threshold,
        test_rows: args.test_rows,
    };
    let report = kiln_engine::drift::check(&artifact, &frame, &settings).with_context(|| {
        format!(
            "cannot check {} against {}",
            args.data.display(),
            args.model.display()
        )
    })?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", table(&report, &name, &artifact.target));
    }
    if args.fail_on_drift && !report.drifted.is_empty() {
        std::process::exit(3);
    }
    Ok(())
}

fn p_value(p: Option<f64>) -> String {
    match p {
        Some(p) if p < 0.001 => "<0.001".into(),
        Some(p) => format!("{p:.3}"),
        None => "-".into(),
    }
}

fn line(f: &FeatureDrift, width: usize) -> String {
    format!(
        "{:width$}  {:14}  {:>9}  {:>7}  {:>6}  {}\n",
        f.name,
        f.test.name(),
        format!("{:.4}", f.statistic),
        p_value(f.p_value),
        format!("{:.3}", f.psi),
        if f.drifted { "DRIFTED" } else { "ok" },
    )
}

fn table(r: &DriftReport, batch: &str, target: &str) -> String {
    let width = r
        .features
        .iter()
        .map(|f| f.name.chars().count())
        .chain([10, "feature".len()])
        .max()
        .unwrap_or(10);
    let mut out = format!("{batch}: {} rows against the training data\n\n", r.rows);
    out += &format!(
        "{:width$}  {:14}  {:>9}  {:>7}  {:>6}  drift\n",
        "feature", "test", "statistic", "p-value", "PSI"
    );
    for f in &r.features {
        out += &line(f, width);
    }
    if let Some(p) = &r.prediction {
        out += &line(p, width);
    }
    out += &format!(
        "\n{} of {} features drifted{}\n",
        r.drifted.len(),
        r.features.len(),
        if r.drifted.is_empty() {
            String::new()
        } else {
            format!(": {}", r.drifted.join(", "))
        }
    );
    if !r.missing_columns.is_empty() {
        out += &format!(
            "The batch lacks {} (imputed for the predictions)\n",
            r.missing_columns.join(", ")
        );
    }
    if !r.performance.is_empty() {
        out += &format!("\nScores on the batch (it has \"{target}\"):\n");
        for p in &r.performance {
            let training = p
                .training
                .map(|t| format!(" (test rows: {})", format_value(t)))
                .unwrap_or_default();
            out += &format!("  {:20} {}{}\n", p.metric, format_value(p.batch), training);
        }
    }
    out
}
