//! `stevedore`: the one binary. `serve` runs the API and the engine, `worker` only the engine,
//! `import` the whole bulk-import flow from the command line, `shops` manages shops and tokens,
//! `migrate` prepares the database.

mod import;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use stevedore_api::{App, AppConfig};
use stevedore_engine::EngineConfig;
use tokio_util::sync::CancellationToken;

/// Every line of a bulk operation allocates and frees many small values (its variables, its
/// response) on both cores at once, where glibc's allocator spends about a fifth of the CPU;
/// mimalloc's per-thread pages cost far less there.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "stevedore",
    version,
    about = "A self-hostable bulk-operation engine with staged uploads"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the Admin API (and, unless --no-worker, run the engine).
    Serve(ServeArgs),
    /// Run only the engine: plan, run and assemble bulk operations; no HTTP.
    Worker(StoreArgs),
    /// Import a JSONL file through the whole bulk flow and print a summary.
    Import(import::ImportArgs),
    /// Manage shops and their access tokens.
    Shops {
        #[command(subcommand)]
        command: ShopsCommand,
    },
    /// Create or upgrade the database schema.
    Migrate(StoreArgs),
    /// Inspect webhook deliveries.
    Webhooks {
        #[command(subcommand)]
        command: WebhooksCommand,
    },
}

#[derive(Subcommand)]
enum WebhooksCommand {
    /// The newest deliveries: status, attempts, last error, next attempt.
    Deliveries {
        #[arg(long, default_value_t = 50)]
        limit: i64,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Args, Clone, Debug)]
pub struct StoreArgs {
    /// Folder for the SQLite file and the blob folder.
    #[arg(long, env = "STEVEDORE_DATA_DIR", default_value = "./stevedore-data")]
    data_dir: PathBuf,
    /// Database URL: sqlite://PATH or postgres://USER@HOST/DB; default: <data dir>/stevedore.db.
    #[arg(long, env = "DATABASE_URL")]
    database_url: Option<String>,
    /// Blob store URL: file:///PATH, s3://BUCKET/PREFIX (endpoint, region and credentials from
    /// the AWS_* variables), gs://BUCKET/PREFIX or az://CONTAINER/PREFIX; default: <data dir>/blobs.
    #[arg(long, env = "STEVEDORE_BLOB_URL")]
    blob_url: Option<String>,
    /// Engine worker tasks in this process.
    #[arg(long, env = "STEVEDORE_WORKERS", default_value_t = EngineConfig::default().workers)]
    workers: usize,
    /// Input lines per chunk: the unit a worker claims, runs and commits at once.
    #[arg(
        long,
        env = "STEVEDORE_CHUNK_LINES",
        default_value_t = EngineConfig::default().chunk_limits.max_lines
    )]
    chunk_lines: u64,
    /// Seconds a claim on a chunk or an operation step lasts without renewal (renewed every
    /// third of it while the work runs); work of a process that died is taken over after it.
    #[arg(long, env = "STEVEDORE_LEASE_SECONDS", default_value_t = 30.0)]
    lease_seconds: f64,
    /// Where webhooks may be sent: public+loopback (default), public, or any (also private
    /// networks; only where every subscriber is trusted).
    #[arg(
        long,
        env = "STEVEDORE_WEBHOOK_DESTINATIONS",
        default_value = "public+loopback"
    )]
    webhook_destinations: stevedore_webhooks::Destinations,
    /// Retries of a failed webhook delivery before it is given up.
    #[arg(long, env = "STEVEDORE_WEBHOOK_RETRIES", default_value_t = 8)]
    webhook_retries: u32,
    /// Seconds before the first retry; each later retry waits twice as long.
    #[arg(
        long,
        env = "STEVEDORE_WEBHOOK_FIRST_RETRY_SECONDS",
        default_value_t = 60.0
    )]
    webhook_first_retry_seconds: f64,
    /// Given-up deliveries in a row after which a subscription is removed.
    #[arg(long, env = "STEVEDORE_WEBHOOK_MAX_FAILURES", default_value_t = 8)]
    webhook_max_failures: i64,
    /// Rate limit of synchronous calls: points a second each token's bucket refills at (the
    /// hosted plans: 100 Standard, 200 Advanced, 1000 Plus, 2000 Enterprise); a bucket holds
    /// twenty seconds' worth. Bulk operation lines are never rate limited.
    #[arg(long, env = "STEVEDORE_RESTORE_RATE", default_value_t = 100)]
    restore_rate: u64,
}

impl StoreArgs {
    pub fn config(&self) -> AppConfig {
        let mut config = AppConfig::new(&self.data_dir);
        config.database_url = self.database_url.clone();
        config.blob_url = self.blob_url.clone();
        config.engine.workers = self.workers;
        config.engine.chunk_limits.max_lines = self.chunk_lines.max(1);
        config.engine.lease = std::time::Duration::try_from_secs_f64(self.lease_seconds)
            .unwrap_or(config.engine.lease)
            .max(std::time::Duration::from_millis(300));
        config.webhooks.destinations = self.webhook_destinations;
        config.webhooks.retry.retries = self.webhook_retries;
        config.webhooks.retry.base_delay =
            std::time::Duration::try_from_secs_f64(self.webhook_first_retry_seconds)
                .unwrap_or(config.webhooks.retry.base_delay);
        config.webhooks.max_consecutive_failures = self.webhook_max_failures.max(1);
        config.restore_rate = self.restore_rate.max(1);
        config
    }
}

#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Address to listen on.
    #[arg(long, env = "STEVEDORE_LISTEN", default_value = "127.0.0.1:8080")]
    listen: String,
    /// Base URL clients reach this server at (upload and result links are built from it);
    /// default: http://<listen address>.
    #[arg(long, env = "STEVEDORE_PUBLIC_URL")]
    public_url: Option<String>,
    /// Serve the API only; leave the engine to `stevedore worker` processes.
    #[arg(long)]
    no_worker: bool,
}

#[derive(Subcommand)]
enum ShopsCommand {
    /// Create a shop (or add a token to an existing one) and print its token and webhook secret.
    Create {
        /// The shop's domain, e.g. demo.myshopify.com.
        domain: String,
        /// The id a new shop takes (its global id is gid://shopify/Shop/ID), e.g. the id it
        /// had on the platform it comes from; default: the next free one.
        #[arg(long)]
        id: Option<i64>,
        /// The access token to create; default: a random shpat_ token.
        #[arg(long)]
        token: Option<String>,
        /// Comma-separated access scopes; default: all.
        #[arg(long, value_delimiter = ',')]
        scopes: Option<Vec<String>>,
        /// The shop's webhook secret; default: keep the existing one, or a random one for a new shop.
        #[arg(long)]
        secret: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
    },
}

const ALL_SCOPES: &[&str] = &[
    "read_products",
    "write_products",
    "read_customers",
    "write_customers",
];

pub fn random_token(prefix: &str) -> String {
    format!("{prefix}{}", hex::encode(rand::random::<[u8; 16]>()))
}

async fn shutdown_signal(shutdown: CancellationToken) {
    let terminate = async {
        #[cfg(unix)]
        if let Ok(mut signal) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            signal.recv().await;
            return;
        }
        std::future::pending::<()>().await;
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
    shutdown.cancel();
}

async fn serve(args: ServeArgs) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(&args.listen).await?;
    let address = listener.local_addr()?;
    let public_url = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{address}"));
    let app = App::open(&args.store.config(), &public_url).await?;
    let shutdown = CancellationToken::new();
    tokio::spawn(shutdown_signal(shutdown.clone()));
    // One `serve` per embedded data directory: what an earlier run of it left leased is free.
    app.release_abandoned_leases().await?;
    let mut workers = if args.no_worker {
        tokio::task::JoinSet::new()
    } else {
        app.start_workers(shutdown.clone())
    };
    tracing::info!(%address, %public_url, "serving the Admin API");
    println!("stevedore listening on http://{address} (public URL {public_url})");
    app.serve(listener, shutdown).await?;
    while workers.join_next().await.is_some() {}
    Ok(())
}

async fn worker(args: StoreArgs) -> Result<()> {
    let app = App::open(&args.config(), "http://127.0.0.1").await?;
    let shutdown = CancellationToken::new();
    tokio::spawn(shutdown_signal(shutdown.clone()));
    let mut workers = app.start_workers(shutdown);
    while workers.join_next().await.is_some() {}
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    let quiet = matches!(cli.command, Command::Import(_));
    let default_filter = if quiet { "warn" } else { "info" };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| default_filter.into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match cli.command {
        Command::Serve(args) => serve(args).await,
        Command::Worker(args) => worker(args).await,
        Command::Import(args) => import::run(args).await,
        Command::Migrate(args) => {
            args.config().open_store().await?;
            println!("database is up to date");
            Ok(())
        }
        Command::Webhooks {
            command: WebhooksCommand::Deliveries { limit, store },
        } => {
            let store = store.config().open_store().await?;
            let millis = |at: i64| {
                chrono::DateTime::from_timestamp_millis(at)
                    .unwrap_or_default()
                    .format("%Y-%m-%dT%H:%M:%SZ")
                    .to_string()
            };
            println!(
                "{:<6} {:<36} {:<10} {:>8}  {:<20}  {:<28} uri (last error)",
                "id", "webhook id", "status", "attempts", "next attempt", "shop"
            );
            for delivery in store.recent_deliveries(limit).await? {
                let next = if delivery.status == "pending" {
                    millis(delivery.next_attempt_at)
                } else {
                    "-".to_owned()
                };
                println!(
                    "{:<6} {:<36} {:<10} {:>8}  {:<20}  {:<28} {}{}",
                    delivery.id,
                    delivery.webhook_id,
                    delivery.status,
                    delivery.attempts,
                    next,
                    delivery.shop_domain,
                    delivery.uri,
                    delivery
                        .last_error
                        .map(|error| format!(" ({error})"))
                        .unwrap_or_default()
                );
            }
            Ok(())
        }
        Command::Shops {
            command:
                ShopsCommand::Create {
                    domain,
                    id,
                    token,
                    scopes,
                    secret,
                    store,
                },
        } => {
            let store = store.config().open_store().await?;
            let token = token.unwrap_or_else(|| random_token("shpat_"));
            let scopes =
                scopes.unwrap_or_else(|| ALL_SCOPES.iter().map(|s| (*s).to_owned()).collect());
            let replace_secret = secret.is_some();
            let secret = secret.unwrap_or_else(|| random_token(""));
            if let Some(id) = id {
                match store
                    .create_shop_with_id(stevedore_core::ShopId(id), &domain, &secret)
                    .await?
                {
                    Some(shop) if shop.id.0 == id => {}
                    Some(shop) => {
                        anyhow::bail!("the shop {domain} exists already, with the id {}", shop.id)
                    }
                    None => anyhow::bail!("the id {id} is another shop's"),
                }
            }
            let shop = store
                .create_shop_token(&domain, &token, &scopes, &secret, replace_secret)
                .await?;
            println!("shop:           {} (id {})", shop.domain, shop.id);
            println!("access token:   {token}");
            println!("webhook secret: {}", shop.webhook_secret);
            Ok(())
        }
    }
}
