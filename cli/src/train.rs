//! `kiln train`: fit a model on a file and report holdout metrics, as the studio does.

use std::ops::ControlFlow;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};
use kiln_engine::metrics::Scores;
use kiln_engine::recipe::Recipe;
use kiln_engine::train::{Family, SplitSpec, Task, TrainConfig, prepare, train_linear};
use kiln_engine::validate::cross_validate_linear;

#[derive(Clone, Copy, ValueEnum)]
enum ModelArg {
    /// Logistic regression (classification) or ridge regression (regression).
    Logistic,
    /// Alias of `logistic` for regression targets.
    Linear,
    /// A small neural network (needs a build with the `nn` feature).
    Mlp,
}

#[derive(Clone, Copy, ValueEnum)]
enum TaskArg {
    Classification,
    Regression,
}

#[derive(Clone, Copy, ValueEnum)]
enum SplitArg {
    /// Stratified by class for classification, random for regression.
    Auto,
    Random,
    Stratified,
    /// Keep rows sharing a value of --split-column on one side.
    Group,
    /// Train on the past, evaluate on the latest rows by --split-column.
    Time,
}

#[derive(Args)]
pub struct TrainArgs {
    /// The data file (CSV or TSV with a header row).
    #[arg(long)]
    data: PathBuf,
    /// The column to predict.
    #[arg(long)]
    target: String,
    #[arg(long, value_enum, default_value = "logistic")]
    model: ModelArg,
    #[arg(long, value_enum, default_value = "classification")]
    task: TaskArg,
    /// Fraction of rows held out for evaluation.
    #[arg(long, alias = "test-size", default_value_t = 0.2)]
    holdout: f64,
    /// How rows are split between training and evaluation.
    #[arg(long, value_enum, default_value = "auto")]
    split: SplitArg,
    /// The group or time column for `--split group|time`.
    #[arg(long)]
    split_column: Option<String>,
    /// Also cross-validate with K folds (the recipe refitted in each fold).
    #[arg(long, value_name = "K")]
    cv: Option<u32>,
    /// A preparation recipe (JSON, as the studio exports it); default: derived from the data.
    #[arg(long)]
    recipe: Option<PathBuf>,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Training epochs for neural networks.
    #[arg(long, default_value_t = 100)]
    epochs: u32,
    /// Write the trained model artifact to this file.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print metrics as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(args: &TrainArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.data)
        .with_context(|| format!("cannot read {}", args.data.display()))?;
    let file_name = args
        .data
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let recipe = match &args.recipe {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            Some(
                serde_json::from_str::<Recipe>(&text)
                    .with_context(|| format!("{} is not a Kiln recipe", path.display()))?,
            )
        }
        None => None,
    };
    let column = || {
        args.split_column
            .clone()
            .context("--split group and --split time need --split-column COLUMN")
    };
    let split = match args.split {
        SplitArg::Auto => SplitSpec::Auto,
        SplitArg::Random => SplitSpec::Random,
        SplitArg::Stratified => SplitSpec::Stratified,
        SplitArg::Group => SplitSpec::Group { column: column()? },
        SplitArg::Time => SplitSpec::Time { column: column()? },
    };
    let config = TrainConfig {
        task: match args.task {
            TaskArg::Classification => Task::Classification,
            TaskArg::Regression => Task::Regression,
        },
        target: args.target.clone(),
        family: match args.model {
            ModelArg::Logistic | ModelArg::Linear => Family::Linear,
            ModelArg::Mlp => Family::Mlp,
        },
        seed: args.seed,
        holdout: args.holdout,
        epochs: args.epochs,
        recipe,
        split,
    };
    if args.epochs == 0 {
        anyhow::bail!("--epochs must be at least 1");
    }
    if !(0.0..1.0).contains(&args.holdout) || args.holdout == 0.0 {
        anyhow::bail!(
            "--holdout must be between 0 and 1 (exclusive), got {}",
            args.holdout
        );
    }
    let prepared = prepare(&file_name, &text, &config)
        .with_context(|| format!("cannot train on {}", args.data.display()))?;
    let outcome = match config.family {
        Family::Linear => train_linear(&prepared, &mut |_| ControlFlow::Continue(()))?,
        Family::Mlp => train_mlp(&prepared)?,
    };
    let cv = match (args.cv, config.family) {
        (None | Some(0 | 1), _) => None,
        (Some(k), Family::Linear) => {
            let scores =
                cross_validate_linear(&prepared, k as usize, &mut |_| ControlFlow::Continue(()))?;
            let (mean, std) = scores.mean_std();
            Some(serde_json::json!({
                "metric": scores.metric, "folds": scores.folds, "mean": mean, "std": std,
            }))
        }
        (Some(_), Family::Mlp) => {
            anyhow::bail!("--cv is available for linear models; drop it for --model mlp")
        }
    };
    if let Some(out) = &args.out {
        std::fs::write(out, outcome.artifact.encode()?)
            .with_context(|| format!("cannot write {}", out.display()))?;
    }
    if args.json {
        let report = serde_json::json!({
            "model": outcome.artifact.lineage.family,
            "target": config.target,
            "classes": outcome.artifact.classes,
            "metrics": outcome.artifact.scores,
            "training_rows": outcome.artifact.lineage.training_rows,
            "data_hash": outcome.artifact.lineage.data_hash,
            "features": outcome.artifact.recipe.features,
            "notes": outcome.artifact.recipe.notes,
            "cv": cv,
        });
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_scores(&outcome.artifact.scores, &outcome.artifact.classes);
        if let Some(cv) = &cv {
            println!(
                "cross-validation ({} folds): {} {:.4} ± {:.4}",
                cv["folds"].as_array().map_or(0, Vec::len),
                cv["metric"].as_str().unwrap_or_default(),
                cv["mean"].as_f64().unwrap_or(f64::NAN),
                cv["std"].as_f64().unwrap_or(f64::NAN)
            );
        }
        for note in &outcome.artifact.recipe.notes {
            println!("note: {note}");
        }
    }
    Ok(())
}

#[cfg(feature = "nn")]
fn train_mlp(
    prepared: &kiln_engine::train::Prepared,
) -> anyhow::Result<kiln_engine::train::Outcome> {
    let params = kiln_engine::nn::MlpParams {
        epochs: prepared.config.epochs,
        ..Default::default()
    };
    let device = kiln_engine::nn::Compute::Cpu;
    let mut progress = |_| ControlFlow::Continue(());
    let training = kiln_engine::nn::train_mlp(prepared, &params, device, &mut progress);
    Ok(kiln_engine::nn::block_on(training)?)
}

#[cfg(not(feature = "nn"))]
fn train_mlp(_: &kiln_engine::train::Prepared) -> anyhow::Result<kiln_engine::train::Outcome> {
    anyhow::bail!("this kiln was built without neural networks; rebuild with `--features nn`")
}

fn print_scores(scores: &Scores, classes: &[String]) {
    match scores {
        Scores::Classification {
            accuracy,
            macro_f1,
            confusion,
            holdout_rows,
        } => {
            println!("holdout rows: {holdout_rows}");
            println!("accuracy:     {accuracy:.4}");
            println!("macro-F1:     {macro_f1:.4}");
            println!("confusion (rows: actual, columns: predicted):");
            println!("  {}", classes.join("\t"));
            for (label, row) in classes.iter().zip(confusion) {
                let cells: Vec<String> = row.iter().map(u64::to_string).collect();
                println!("  {}\t{label}", cells.join("\t"));
            }
        }
        Scores::Regression {
            rmse,
            mae,
            r2,
            holdout_rows,
        } => {
            println!("holdout rows: {holdout_rows}");
            println!("RMSE: {rmse:.4}\nMAE:  {mae:.4}\nR²:   {r2:.4}");
        }
    }
}
