//! `kiln predict`: score every row of a data file with a model artifact and write one CSV row
//! per input row — the prediction, then each class's probability for a classifier (the
//! cluster for k-means, the component scores for PCA).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use kiln_engine::artifact::{Artifact, format_value};
use kiln_engine::data::{Column, Frame, ParseOptions, parse};
use kiln_engine::train::Task;

#[derive(Args)]
pub struct PredictArgs {
    /// A model file written by `kiln train --out` or downloaded from the studio.
    #[arg(long)]
    model: PathBuf,
    /// The rows to score (CSV, TSV, JSON or NDJSON with the model's input columns).
    #[arg(long, required_unless_present = "images", conflicts_with = "images")]
    data: Option<PathBuf>,
    /// Images to classify with an image model: one file, or a folder (searched through).
    #[arg(long, value_name = "PATH")]
    images: Option<PathBuf>,
    /// Write the predictions here instead of to standard output.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Rows prepared together.
const BLOCK_ROWS: usize = 10_000;

pub fn run(args: &PredictArgs) -> anyhow::Result<()> {
    let artifact = load(&args.model)?;
    let mut writer = csv_out(args.out.as_deref())?;
    match (&artifact.image, &args.images, &args.data) {
        (Some(shape), Some(path), _) => {
            let mut head = vec!["file".to_string()];
            head.extend(kiln_engine::batch::prediction_columns(&artifact));
            writer.write_record(head)?;
            for (file, p) in crate::images::predict(&artifact, *shape, path)? {
                let mut record = vec![file, p.label];
                record.extend(p.probabilities.iter().map(|(_, v)| format_value(*v)));
                writer.write_record(record)?;
            }
            writer.flush()?;
            return Ok(());
        }
        (Some(_), None, _) => anyhow::bail!(
            "{} classifies images: give them with --images FILE_OR_FOLDER",
            args.model.display()
        ),
        (None, Some(_), _) => anyhow::bail!(
            "{} takes table rows, not images: give them with --data FILE",
            args.model.display()
        ),
        (None, None, None) => anyhow::bail!("give the rows to score with --data FILE"),
        (None, None, Some(_)) => {}
    }
    let data = args
        .data
        .as_ref()
        .context("give the rows to score with --data FILE")?;
    let frame = read_rows(&artifact, data)?;
    writer.write_record(kiln_engine::batch::prediction_columns(&artifact))?;
    let columns = input_columns(&artifact, &frame);
    // Blocks of rows through the recipe at once (one pass of its steps per block).
    for start in (0..frame.rows).step_by(BLOCK_ROWS) {
        let end = (start + BLOCK_ROWS).min(frame.rows);
        let inputs = artifact.recipe.inputs.len();
        let texts: Vec<Option<String>> = (start..end)
            .flat_map(|row| {
                let columns = &columns;
                let artifact = &artifact;
                artifact
                    .recipe
                    .inputs
                    .iter()
                    .map(move |i| cell(artifact, columns, &i.name, row))
            })
            .collect();
        let (x, errors) = artifact
            .recipe
            .transform_texts(end - start, |r, i| texts[r * inputs + i].as_deref());
        let predictions = artifact.predict_prepared_rows(&x, end - start);
        for (r, (error, prediction)) in errors.into_iter().zip(predictions).enumerate() {
            if let Some(e) = error {
                // Data rows are numbered from 1, after the header line.
                return Err(anyhow::Error::new(e).context(format!(
                    "{}: data row {}",
                    data.display(),
                    start + r + 1
                )));
            }
            let mut record = Vec::new();
            match artifact.task {
                Task::Clustering if !prediction.components.is_empty() => {
                    record.extend(prediction.components.iter().map(|v| format_value(*v)));
                }
                _ => {
                    record.push(prediction.label.clone());
                    record.extend(
                        prediction
                            .probabilities
                            .iter()
                            .map(|(_, p)| format!("{p:.6}")),
                    );
                }
            }
            writer.write_record(&record)?;
        }
    }
    writer.flush().context("cannot write the predictions")?;
    Ok(())
}

/// Reads and checks a model file.
pub fn load(path: &Path) -> anyhow::Result<Artifact> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    Artifact::decode(&text).with_context(|| format!("cannot use {} as a model", path.display()))
}

/// Reads the rows of a data file, refusing one that has none of the model's input columns.
pub fn read_rows(artifact: &Artifact, data: &Path) -> anyhow::Result<Frame> {
    let bytes = std::fs::read(data).with_context(|| format!("cannot read {}", data.display()))?;
    let name = data
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let frame = parse(&name, &bytes, &ParseOptions::default(), &mut |_| {})
        .with_context(|| format!("cannot read {}", data.display()))?;
    let absent: Vec<&str> = artifact
        .recipe
        .inputs
        .iter()
        .map(|i| i.name.as_str())
        .filter(|n| frame.column(n).is_none())
        .collect();
    if absent.len() == artifact.recipe.inputs.len() && !absent.is_empty() {
        anyhow::bail!(
            "{} has none of the model's input columns ({})",
            data.display(),
            absent.join(", ")
        );
    }
    Ok(frame)
}

/// The frame's column for each of the model's inputs (`None` where the file lacks it).
pub fn input_columns<'a>(artifact: &Artifact, frame: &'a Frame) -> Vec<Option<&'a Column>> {
    artifact
        .recipe
        .inputs
        .iter()
        .map(|i| frame.column(&i.name))
        .collect()
}

/// The raw text of one input in one row, as a form would give it (`None`: missing).
pub fn cell(
    artifact: &Artifact,
    columns: &[Option<&Column>],
    name: &str,
    row: usize,
) -> Option<String> {
    let position = artifact.recipe.inputs.iter().position(|i| i.name == name)?;
    let text = columns.get(position).copied().flatten()?.cell_text(row);
    (!text.is_empty()).then_some(text)
}

/// A CSV writer to `out`, or to standard output.
pub fn csv_out(
    out: Option<&Path>,
) -> anyhow::Result<csv::Writer<std::io::BufWriter<Box<dyn Write>>>> {
    let sink: Box<dyn Write> = match out {
        Some(path) => Box::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot write {}", path.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    Ok(csv::Writer::from_writer(std::io::BufWriter::new(sink)))
}
