//! A server process assembled from its parts: store, blob store, schema, engine, HTTP routes.

use crate::{graphql, results, uploads};
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};
use axum::Router;
use std::path::PathBuf;
use std::sync::Arc;
use stevedore_admin::{build_schema, EmbeddedExecutor, Services};
use stevedore_blob::{BlobStore, Signer};
use stevedore_core::{Clock, SystemClock};
use stevedore_engine::{Engine, EngineConfig};
use stevedore_store::Store;
use stevedore_webhooks::{Dispatcher, DispatcherConfig};
use tokio::net::TcpListener;
use tower_http::limit::RequestBodyLimitLayer;

/// Largest GraphQL request body accepted.
const MAX_GRAPHQL_BODY_BYTES: usize = 2 * 1024 * 1024;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone)]
pub struct AppConfig {
    /// Holds the SQLite file and the blob folder unless URLs say otherwise.
    pub data_dir: PathBuf,
    /// `sqlite://PATH` or `postgres://…`; default: `<data dir>/stevedore.db`.
    pub database_url: Option<String>,
    /// `file:///...`; default: `<data dir>/blobs`.
    pub blob_url: Option<String>,
    pub engine: EngineConfig,
    /// Webhook delivery: retry schedule, allowed destinations, timeouts.
    pub webhooks: DispatcherConfig,
    pub clock: Arc<dyn Clock>,
    /// Points a second each token's rate-limit bucket refills at; it holds twenty seconds' worth.
    pub restore_rate: u64,
}

impl AppConfig {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            database_url: None,
            blob_url: None,
            engine: EngineConfig::default(),
            webhooks: DispatcherConfig::default(),
            clock: Arc::new(SystemClock),
            restore_rate: stevedore_admin::DEFAULT_RESTORE_RATE,
        }
    }

    /// Opens the database alone (for the `shops` and `migrate` commands).
    pub async fn open_store(&self) -> anyhow::Result<Store> {
        // Every worker may hold a connection while it waits for the write lock; requests
        // (authentication, polling) must still find one.
        let connections = u32::try_from(self.engine.workers)
            .unwrap_or(u32::MAX)
            .saturating_add(8);
        let clock = self.clock.clone();
        let store = match &self.database_url {
            Some(url) => Store::open_url(url, clock, connections).await?,
            None => {
                Store::open_sqlite(&self.data_dir.join("stevedore.db"), clock, connections).await?
            }
        };
        stevedore_catalog::migrate(&store).await?;
        Ok(store)
    }

    fn open_blobs(&self) -> anyhow::Result<BlobStore> {
        Ok(match &self.blob_url {
            Some(url) => BlobStore::from_url(url)?,
            None => BlobStore::local(&self.data_dir.join("blobs"))?,
        })
    }
}

#[derive(Clone)]
pub struct AppState {
    pub services: Arc<Services>,
}

/// A running server's parts, before or after it starts serving.
pub struct App {
    state: AppState,
    webhooks: DispatcherConfig,
}

impl App {
    /// Opens every part. `public_url` is where clients reach this server (links are built from it).
    pub async fn open(config: &AppConfig, public_url: &str) -> anyhow::Result<Self> {
        let store = config.open_store().await?;
        let blobs = config.open_blobs()?;
        let secret = store
            .setting_or_insert("signing_secret", random_hex)
            .await?;
        let schema = build_schema(config.clock.clone());
        let executor = Arc::new(EmbeddedExecutor::new(config.clock.clone(), store.clone()));
        let engine = Engine::new(store, blobs, executor, config.engine.clone());
        let services = Services::new(
            schema,
            engine,
            Signer::new(secret.into_bytes()),
            public_url,
            config.restore_rate,
        );
        Ok(Self {
            state: AppState {
                services: Arc::new(services),
            },
            webhooks: config.webhooks.clone(),
        })
    }

    pub fn services(&self) -> &Arc<Services> {
        &self.state.services
    }

    pub fn router(&self) -> Router {
        // Uploads are bounded by their policy while they stream; a GraphQL body is read whole, so
        // it is bounded up front (the GraphQL extractor does not apply axum's default limit).
        let uploads = Router::new()
            .route("/staged-uploads", post(uploads::post))
            .route("/staged-uploads/", post(uploads::post))
            .route("/staged-uploads/{*key}", put(uploads::put))
            .layer(DefaultBodyLimit::disable());
        Router::new()
            .route(
                "/admin/api/{version}/graphql.json",
                post(graphql::handle).layer(RequestBodyLimitLayer::new(MAX_GRAPHQL_BODY_BYTES)),
            )
            .merge(uploads)
            .route("/bulk-results/{*key}", get(results::download))
            .route("/healthz", get(|| async { "ok" }))
            .with_state(self.state.clone())
            .layer(tower_http::trace::TraceLayer::new_for_http())
    }

    /// Starts this process's engine workers and its webhook dispatcher; they stop when
    /// `shutdown` is cancelled.
    pub fn start_workers(&self, shutdown: CancellationToken) -> tokio::task::JoinSet<()> {
        let engine = &self.state.services.engine;
        let mut tasks = engine.spawn_workers(shutdown.clone());
        let dispatcher = Dispatcher::new(engine.store().clone(), self.webhooks.clone());
        tasks.spawn(dispatcher.run(shutdown));
        tasks
    }

    /// For the one server of an embedded SQLite database, at start-up: leases held by an earlier
    /// run of it belong to nobody, so they are freed and a restart resumes at once instead of
    /// waiting for them to expire. A Postgres database is shared by many processes, some of them
    /// busy right now, so nothing is freed there: abandoned leases simply run out.
    pub async fn release_abandoned_leases(&self) -> anyhow::Result<()> {
        let engine = &self.state.services.engine;
        if engine.store().dialect() != stevedore_store::Dialect::Sqlite {
            return Ok(());
        }
        Ok(engine.release_abandoned_leases().await?)
    }

    /// Serves HTTP on `listener` until `shutdown` is cancelled.
    pub async fn serve(
        &self,
        listener: TcpListener,
        shutdown: CancellationToken,
    ) -> anyhow::Result<()> {
        axum::serve(listener, self.router())
            .with_graceful_shutdown(async move { shutdown.cancelled().await })
            .await?;
        Ok(())
    }
}

fn random_hex() -> String {
    let bytes: [u8; 32] = rand::random();
    hex::encode(bytes)
}
