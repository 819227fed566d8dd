//! `kiln export`: write a linear model or neural network (MLP) as ONNX, and `kiln features`:
//! write the prepared feature vector of every row of a data file, which is what the ONNX
//! graph takes as its input `features`.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use kiln_engine::onnx;

use crate::predict::{cell, csv_out, input_columns, load, read_rows};

#[derive(Args)]
pub struct ExportArgs {
    /// A model file written by `kiln train --out` or downloaded from the studio.
    #[arg(long)]
    model: PathBuf,
    /// Write the model as ONNX (opset 17) to this file. Its input "features" is the prepared
    /// feature vector that `kiln features` writes; a classifier gives "probabilities" and
    /// "label" (the class index), a regression model "value".
    #[arg(long, value_name = "OUT.onnx")]
    onnx: PathBuf,
}

pub fn run(args: &ExportArgs) -> anyhow::Result<()> {
    let artifact = load(&args.model)?;
    let bytes = onnx::export(&artifact)
        .with_context(|| format!("cannot export {} to ONNX", args.model.display()))?;
    std::fs::write(&args.onnx, &bytes)
        .with_context(|| format!("cannot write {}", args.onnx.display()))?;
    let outputs = if artifact.classes.is_empty() {
        "value [N, 1]".to_string()
    } else {
        format!("probabilities [N, {}], label [N]", artifact.classes.len())
    };
    println!(
        "wrote {} ({} bytes): input {} [N, {}], outputs {outputs}",
        args.onnx.display(),
        bytes.len(),
        onnx::INPUT,
        artifact.recipe.width()
    );
    Ok(())
}

#[derive(Args)]
pub struct FeaturesArgs {
    /// A model file written by `kiln train --out` or downloaded from the studio.
    #[arg(long)]
    model: PathBuf,
    /// The rows to prepare (CSV, TSV, JSON or NDJSON with the model's input columns).
    #[arg(long)]
    data: PathBuf,
    /// Write the features here (CSV) instead of to standard output.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// One CSV row per data row: the recipe's features in the model's order, with their names as
/// the header. Values are written in full (shortest form that reads back the same f64).
pub fn features(args: &FeaturesArgs) -> anyhow::Result<()> {
    let artifact = load(&args.model)?;
    if artifact.image.is_some() {
        anyhow::bail!(
            "{} classifies images: its inputs are image values, not prepared features",
            args.model.display()
        );
    }
    let frame = read_rows(&artifact, &args.data)?;
    let mut writer = csv_out(args.out.as_deref())?;
    writer.write_record(&artifact.recipe.features)?;
    let columns = input_columns(&artifact, &frame);
    for row in 0..frame.rows {
        // The same preparation as `kiln predict` (a form's text, imputed and encoded).
        let x = artifact
            .recipe
            .transform_text(|name| cell(&artifact, &columns, name, row))
            .with_context(|| format!("{}: data row {}", args.data.display(), row + 1))?;
        writer.write_record(x.iter().map(f64::to_string))?;
    }
    writer.flush().context("cannot write the features")?;
    Ok(())
}
