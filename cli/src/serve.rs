//! `kiln serve`: the sync service and the built studio on one address.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// SQLite database file; created on first start.
    #[arg(long, default_value = "kiln.db")]
    db: PathBuf,
    /// Directory of the built studio (`trunk build` output).
    #[arg(long, default_value = "dist")]
    dist: PathBuf,
}

pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,kiln_sync=info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let dist = if args.dist.join("index.html").is_file() {
        Some(args.dist.clone())
    } else {
        eprintln!(
            "note: {} has no index.html; serving the sync API only (build the studio with `make web`)",
            args.dist.display()
        );
        None
    };
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let state = kiln_sync::AppState::open(&args.db)
            .with_context(|| format!("cannot open the database {}", args.db.display()))?;
        let (listener, addr) = kiln_sync::bind(args.addr)
            .await
            .with_context(|| format!("cannot listen on {}", args.addr))?;
        println!("Kiln is running at http://{addr}");
        kiln_sync::serve_on(listener, state, dist)
            .await
            .context("the server stopped")?;
        Ok(())
    })
}
