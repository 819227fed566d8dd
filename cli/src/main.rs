//! `kiln`: the native face of Kiln. `kiln serve` runs the sync service and serves the built
//! studio on one port; the other commands run the same engine the studio uses, headless.

mod drift;
mod export;
mod images;
mod predict;
mod profile;
mod report;
mod serve;
mod train;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "kiln",
    version,
    about = "Kiln: a machine-learning studio that runs in the browser"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the studio and the sync service.
    Serve(serve::ServeArgs),
    /// Profile a data file: column types, statistics, warnings, the default recipe.
    Profile(profile::ProfileArgs),
    /// Train a model on a data file and print its test metrics next to a baseline.
    Train(train::TrainArgs),
    /// Score every row of a data file with a trained model.
    Predict(predict::PredictArgs),
    /// Check a new batch of rows for drift against a model's training data.
    Drift(drift::DriftArgs),
    /// Write a linear model or neural network (MLP) as ONNX.
    Export(export::ExportArgs),
    /// Write the prepared feature vector of every row (the ONNX graph's input) as CSV.
    Features(export::FeaturesArgs),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Serve(args) => serve::run(args),
        Command::Profile(args) => profile::run(&args),
        Command::Train(args) => train::run(&args),
        Command::Predict(args) => predict::run(&args),
        Command::Drift(args) => drift::run(&args),
        Command::Export(args) => export::run(&args),
        Command::Features(args) => export::features(&args),
    }
}
