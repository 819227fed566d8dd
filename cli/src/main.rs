//! `kiln`: the native face of Kiln. `kiln serve` runs the sync service and serves the built
//! studio on one port; the other commands run the same engine the studio uses, headless.

mod profile;
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
    /// Train a model on a CSV/TSV file and print its holdout metrics.
    Train(train::TrainArgs),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Serve(args) => serve::run(args),
        Command::Profile(args) => profile::run(&args),
        Command::Train(args) => train::run(&args),
    }
}
