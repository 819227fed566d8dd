//! `kiln train`: fit a model on a file and report holdout metrics next to a trivial baseline,
//! as the studio does. `--json` prints one object other tools read (the contract is in the
//! README).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use kiln_engine::artifact::fingerprint;
use kiln_engine::data::{ColumnData, ColumnType, Frame, ParseOptions, parse};
use kiln_engine::fit::{FitTarget, finish, fit_model, no_stop, outputs};
use kiln_engine::models::Matrix;
use kiln_engine::recipe::Recipe;
use kiln_engine::train::{Family, Prepared, SplitSpec, Task, TrainConfig, prepare_frame};
use kiln_engine::validate::cross_validate;

use crate::report;

#[derive(Clone, Copy, ValueEnum)]
enum TaskArg {
    Classification,
    Regression,
    /// Unsupervised: k-means and PCA.
    Clustering,
}

#[derive(Clone, Copy, ValueEnum)]
enum SplitArg {
    /// Stratified by class for classification, random otherwise.
    Auto,
    Random,
    Stratified,
    /// Keep rows sharing a value of --split-column on one side.
    Group,
    /// Train on the past, evaluate on the latest rows by --split-column.
    Time,
    /// Test rows are those where --split-column is true (true, yes, 1 or test).
    Predefined,
}

#[derive(Args)]
pub struct TrainArgs {
    /// The data file (CSV, TSV, JSON or NDJSON).
    #[arg(long, required_unless_present = "images", conflicts_with = "images")]
    data: Option<PathBuf>,
    /// A folder of images with one folder per class (PNG or JPEG), for `--model cnn`.
    #[arg(long, value_name = "DIR")]
    pub images: Option<PathBuf>,
    /// The column to predict (optional for kmeans and pca; kmeans then compares its clusters
    /// with it).
    #[arg(long)]
    target: Option<String>,
    /// linear, ridge, lasso, elastic_net, logistic, tree, forest, gbdt, knn, naive_bayes,
    /// kmeans, pca, mlp, or cnn (with --images).
    #[arg(long, default_value = "linear", value_name = "NAME")]
    pub model: String,
    /// Default: from the model, then from the target (categories → classification).
    #[arg(long, value_enum)]
    task: Option<TaskArg>,
    /// Fraction of rows held out for evaluation.
    #[arg(
        long = "test-size",
        alias = "holdout",
        default_value_t = 0.2,
        value_name = "F"
    )]
    pub test_size: f64,
    /// How rows are split between training and evaluation.
    #[arg(long, value_enum, default_value = "auto")]
    split: SplitArg,
    /// The group or time column for `--split group|time`.
    #[arg(long)]
    split_column: Option<String>,
    /// Also cross-validate with K folds of the training rows (the recipe refitted in each).
    #[arg(long, value_name = "K")]
    pub cv: Option<u32>,
    /// A hyperparameter, e.g. `--param max_depth=6`; repeat for more.
    #[arg(long = "param", value_name = "KEY=VALUE")]
    pub params: Vec<String>,
    /// A preparation recipe (JSON, as the studio exports it); default: derived from the data.
    #[arg(long)]
    recipe: Option<PathBuf>,
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Training epochs for neural networks.
    #[arg(long, default_value_t = 200)]
    pub epochs: u32,
    /// Where neural networks train: `cpu`, or `gpu` (wgpu on Vulkan, Metal or DX12).
    #[arg(long, value_enum, default_value_t = DeviceArg::Cpu)]
    pub device: DeviceArg,
    /// Write the trained model artifact to this file.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

pub fn read_params(given: &[String]) -> anyhow::Result<BTreeMap<String, String>> {
    let mut params = BTreeMap::new();
    for p in given {
        let Some((key, value)) = p.split_once('=') else {
            bail!("--param takes KEY=VALUE (got \"{p}\")");
        };
        let key = key.trim();
        if key.is_empty() {
            bail!("--param \"{p}\" has no name before '='");
        }
        if params
            .insert(key.to_string(), value.trim().to_string())
            .is_some()
        {
            bail!("--param {key} is given twice");
        }
    }
    Ok(params)
}

/// The task when none is given: the only one the family does, else from the target column.
fn infer_task(family: Family, frame: &Frame, target: Option<&str>) -> Task {
    if let [only] = family.tasks()[..] {
        return only;
    }
    let Some(column) = target.and_then(|t| frame.column(t)) else {
        return Task::Regression;
    };
    match (&column.data, column.kind) {
        (ColumnData::Categorical(_), _) | (_, ColumnType::Boolean) => Task::Classification,
        (ColumnData::Numeric(v), ColumnType::Integer) => {
            let mut distinct: Vec<i64> = v.iter().flatten().map(|x| *x as i64).collect();
            distinct.sort_unstable();
            distinct.dedup();
            if distinct.len() <= 20 {
                Task::Classification
            } else {
                Task::Regression
            }
        }
        _ => Task::Regression,
    }
}

pub fn run(args: &TrainArgs) -> anyhow::Result<()> {
    if let Some(dir) = &args.images {
        return crate::images::train(args, dir);
    }
    let data = args
        .data
        .as_ref()
        .context("give --data FILE or --images DIR")?;
    let bytes = std::fs::read(data).with_context(|| format!("cannot read {}", data.display()))?;
    let file_name = data
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let Some(family) = Family::parse(&args.model) else {
        let names: Vec<&str> = Family::ALL.iter().map(|f| f.name()).collect();
        bail!(
            "unknown model \"{}\"; choose one of: {}",
            args.model,
            names.join(", ")
        );
    };
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
            .context("--split group, time and predefined need --split-column COLUMN")
    };
    let split = match args.split {
        SplitArg::Auto => SplitSpec::Auto,
        SplitArg::Random => SplitSpec::Random,
        SplitArg::Stratified => SplitSpec::Stratified,
        SplitArg::Group => SplitSpec::Group { column: column()? },
        SplitArg::Time => SplitSpec::Time { column: column()? },
        SplitArg::Predefined => SplitSpec::Predefined { column: column()? },
    };
    if args.epochs == 0 {
        bail!("--epochs must be at least 1");
    }
    if !(args.test_size > 0.0 && args.test_size < 1.0) {
        bail!(
            "--test-size must be between 0 and 1 (exclusive), got {}",
            args.test_size
        );
    }
    if family.supervised() && args.target.is_none() {
        bail!("--model {} needs --target COLUMN", family.name());
    }
    let options = ParseOptions {
        types: recipe.as_ref().map(|r| r.types.clone()).unwrap_or_default(),
        ..ParseOptions::default()
    };
    let frame = parse(&file_name, &bytes, &options, &mut |_| {})
        .with_context(|| format!("cannot read {}", data.display()))?;
    let task = match args.task {
        Some(TaskArg::Classification) => Task::Classification,
        Some(TaskArg::Regression) => Task::Regression,
        Some(TaskArg::Clustering) => Task::Clustering,
        None => infer_task(family, &frame, args.target.as_deref()),
    };
    let mut config = TrainConfig::new(task, args.target.as_deref().unwrap_or(""), family);
    config.seed = args.seed;
    config.holdout = args.test_size;
    config.epochs = args.epochs;
    config.recipe = recipe;
    config.split = split;
    config.params = read_params(&args.params)?;
    let prepared = prepare_frame(frame, fingerprint(&bytes), &config)
        .with_context(|| format!("cannot train on {}", data.display()))?;
    let started = Instant::now();
    let mut network = None;
    let (model, curve) = if family == Family::Mlp {
        let (model, curve, history, device) = train_mlp(&prepared, args.device)?;
        network = Some((history, device));
        (model, curve)
    } else {
        let x = Matrix::new(&prepared.x_train, prepared.width());
        let target = FitTarget::of(&prepared.labels, &prepared.split.train);
        fit_model(&prepared.config, &x, &target, &mut no_stop)?
    };
    let fit_seconds = started.elapsed().as_secs_f64();
    // Prediction alone is timed here; `finish` scores the same rows again with the metrics.
    let started = Instant::now();
    let holdout = Matrix::new(&prepared.x_holdout, prepared.width());
    std::hint::black_box(outputs(&model, &holdout));
    let predict_seconds = started.elapsed().as_secs_f64();
    let outcome = finish(&prepared, model, curve);
    let cv = match args.cv {
        None | Some(0 | 1) => None,
        Some(k) if family == Family::Mlp => {
            Some(cross_validate_network(&prepared, k as usize, args.device)?)
        }
        Some(k) => Some(cross_validate(&prepared, k as usize, &mut |_| {
            std::ops::ControlFlow::Continue(())
        })?),
    };
    if let Some(out) = &args.out {
        std::fs::write(out, outcome.artifact.encode()?)
            .with_context(|| format!("cannot write {}", out.display()))?;
    }
    let timing = report::Timing {
        fit_seconds,
        predict_seconds,
    };
    if args.json {
        let mut json = report::json(&prepared, &outcome, cv.as_ref(), timing);
        if let Some((history, device)) = &network {
            json["device"] = serde_json::json!(device);
            json["history"] = serde_json::to_value(history)?;
        }
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        report::print(&prepared, &outcome, cv.as_ref(), timing);
        if let Some((history, device)) = &network {
            report::print_history(history, device);
        }
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DeviceArg {
    Cpu,
    Gpu,
}

pub type Network = (
    kiln_engine::model::FittedModel,
    Vec<f64>,
    kiln_protocol::project::TrainingHistory,
    String,
);

#[cfg(feature = "nn")]
fn compute_for(device: DeviceArg) -> anyhow::Result<kiln_engine::nn::Compute> {
    use kiln_engine::nn::{self, Compute};
    Ok(match device {
        DeviceArg::Cpu => Compute::Cpu,
        DeviceArg::Gpu => {
            nn::block_on(nn::init_gpu()).map_err(|e| {
                anyhow::anyhow!(
                    "--device gpu: no usable GPU adapter ({e}); train with --device cpu, or install a Vulkan driver"
                )
            })?;
            Compute::Gpu
        }
    })
}

/// k-fold cross-validation of the network on `device` (a fresh network per fold).
#[cfg(feature = "nn")]
pub fn cross_validate_network(
    prepared: &Prepared,
    k: usize,
    device: DeviceArg,
) -> anyhow::Result<kiln_engine::validate::CvScores> {
    use kiln_engine::nn;
    let compute = compute_for(device)?;
    let mut go_on = |_| std::ops::ControlFlow::Continue(());
    Ok(nn::block_on(nn::cross_validate_net(
        prepared, k, compute, &mut go_on,
    ))?)
}

#[cfg(not(feature = "nn"))]
pub fn cross_validate_network(
    _: &Prepared,
    _: usize,
    _: DeviceArg,
) -> anyhow::Result<kiln_engine::validate::CvScores> {
    bail!("this kiln was built without neural networks; rebuild with `--features nn`")
}

#[cfg(feature = "nn")]
pub fn train_mlp(prepared: &Prepared, device: DeviceArg) -> anyhow::Result<Network> {
    use kiln_engine::nn::{self, Compute};
    let params = nn::NetParams::read(prepared)?;
    let compute = compute_for(device)?;
    let mut progress = |_: &kiln_protocol::project::EpochStats| std::ops::ControlFlow::Continue(());
    let trained = nn::block_on(nn::train_net(prepared, &params, compute, &mut progress))?;
    let label = match compute {
        Compute::Cpu => "CPU".to_string(),
        Compute::Gpu => "GPU (wgpu)".to_string(),
    };
    Ok((
        trained.outcome.artifact.model,
        trained.outcome.loss_curve,
        trained.history,
        label,
    ))
}

#[cfg(not(feature = "nn"))]
pub fn train_mlp(_: &Prepared, _: DeviceArg) -> anyhow::Result<Network> {
    bail!("this kiln was built without neural networks; rebuild with `--features nn`")
}
