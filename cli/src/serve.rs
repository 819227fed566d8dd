//! `kiln serve`: the sync service and the built studio on one address.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use kiln_sync::store::Store;
use kiln_sync::store::postgres::PgStore;
use kiln_sync::store::sqlite::SqliteStore;
use kiln_sync::{AppState, HeaderValue, Limits, Options, Rate};

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "KILN_ADDR", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// SQLite database file; created on first start.
    #[arg(long, env = "KILN_DB", default_value = "kiln.db")]
    db: PathBuf,
    /// PostgreSQL instead of SQLite: a connection URL such as
    /// `postgres://kiln@localhost/kiln` (the schema is created on first start).
    #[arg(long, env = "KILN_DATABASE_URL")]
    database_url: Option<String>,
    /// Directory of the built studio (`trunk build` output).
    #[arg(long, env = "KILN_DIST", default_value = "dist")]
    dist: PathBuf,
    /// Another origin whose pages may call the API (repeat, or comma-separate in the
    /// environment variable). The studio served here needs none.
    #[arg(
        long = "allow-origin",
        env = "KILN_ALLOWED_ORIGINS",
        value_delimiter = ','
    )]
    allowed_origins: Vec<String>,
    /// Largest request body accepted, in MiB.
    #[arg(long, env = "KILN_BODY_LIMIT_MB", default_value_t = 32)]
    body_limit_mb: usize,
    /// Requests per second allowed from one address (bursts of twice that); 0: no limit.
    #[arg(long, env = "KILN_RATE_PER_ADDRESS", default_value_t = 200)]
    rate_per_address: u32,
    /// Requests per second allowed with one bearer token (bursts of twice that); 0: no limit.
    #[arg(long, env = "KILN_RATE_PER_TOKEN", default_value_t = 100)]
    rate_per_token: u32,
}

fn rate(per_second: u32) -> Rate {
    Rate {
        per_second,
        burst: per_second.saturating_mul(2),
    }
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
    let allowed_origins = args
        .allowed_origins
        .iter()
        .map(|o| o.trim())
        .filter(|o| !o.is_empty())
        .map(|o| {
            HeaderValue::from_str(o.trim_end_matches('/'))
                .with_context(|| format!("--allow-origin {o:?} is not a valid origin"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let limits = Limits {
        body_bytes: args.body_limit_mb.saturating_mul(1 << 20),
        per_address: rate(args.rate_per_address),
        per_token: rate(args.rate_per_token),
    };
    // Opened before the async runtime starts: both stores block.
    let store: Arc<dyn Store> = match &args.database_url {
        Some(url) => Arc::new(PgStore::open(url).context("cannot open the PostgreSQL database")?),
        None => Arc::new(
            SqliteStore::open(&args.db)
                .with_context(|| format!("cannot open the database {}", args.db.display()))?,
        ),
    };
    let state = AppState::new(store, &limits);
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let (listener, addr) = kiln_sync::bind(args.addr)
            .await
            .with_context(|| format!("cannot listen on {}", args.addr))?;
        println!("Kiln is running at http://{addr}");
        let options = Options {
            dist,
            allowed_origins,
        };
        kiln_sync::serve_on(listener, state, options)
            .await
            .context("the server stopped")?;
        Ok(())
    })
}
