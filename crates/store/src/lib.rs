//! Durable state, through sqlx: shops and their tokens, staged uploads, bulk operations and
//! their chunks, the webhook outbox, and the server's own settings. One module per aggregate.
//!
//! The backend is chosen once, from the database URL: a SQLite file (the embedded default) or
//! Postgres (many processes on one database). Everything after that goes through sqlx's `Any`
//! driver, so one body of SQL serves both: instants are epoch milliseconds, flags are 0/1
//! integers, statements use `$N` placeholders, and the few places where the dialects differ
//! (how a write transaction starts, row locks for claims) ask [`Dialect`].

pub mod chunks;
mod dialect;
pub mod operations;
pub mod settings;
pub mod shops;
pub mod uploads;
pub mod webhooks;

pub use dialect::Dialect;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{ConnectOptions, Executor};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use stevedore_core::Clock;

pub use sqlx::any::Any;
pub use sqlx::{AnyConnection, AnyPool};
pub type Transaction = sqlx::Transaction<'static, Any>;

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
    #[error("unsupported database url {0:?}: expected sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
}

impl From<stevedore_core::operation::UnknownValue> for StoreError {
    fn from(value: stevedore_core::operation::UnknownValue) -> Self {
        Self::Corrupt(value.to_string())
    }
}

impl StoreError {
    /// Whether trying the same work again may succeed: a lost race (deadlock, serialization
    /// failure, a unique key taken by a transaction that committed meanwhile, a busy SQLite
    /// file) or a lost connection, as opposed to a statement that will always fail.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Database(error) => is_transient(error),
            _ => false,
        }
    }
}

/// See [`StoreError::is_transient`].
pub fn is_transient(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(error) => {
            error.is_unique_violation()
                || matches!(
                    error.code().as_deref(),
                    // Postgres: serialization failure, deadlock, lock timeout, admin shutdown.
                    Some("40001" | "40P01" | "55P03" | "57P01")
                    // SQLite: SQLITE_BUSY and SQLITE_LOCKED, with their extended codes.
                    | Some("5" | "6" | "261" | "262" | "517" | "773")
                )
        }
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => true,
        _ => false,
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The database handle shared by every part of a process.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    dialect: Dialect,
    clock: Arc<dyn Clock>,
}

impl Store {
    /// Opens (creating if needed) the SQLite database at `path` and applies migrations.
    pub async fn open_sqlite(path: &Path, clock: Arc<dyn Clock>, connections: u32) -> Result<Self> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|error| StoreError::Database(sqlx::Error::Io(error)))?;
        }
        let url = url_for_sqlite_path(path);
        Self::open_url(&url, clock, connections).await
    }

    /// Opens the database a URL names (`sqlite://PATH`, `sqlite::memory:`, `postgres://…`) and
    /// applies that dialect's migrations. `connections` bounds the pool; give every engine
    /// worker one, plus some for requests.
    pub async fn open_url(url: &str, clock: Arc<dyn Clock>, connections: u32) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let dialect = Dialect::from_url(url)?;
        let url = match dialect {
            // Create the file on first use, as the embedded default promises.
            Dialect::Sqlite if !url.contains("mode=") => {
                let separator = if url.contains('?') { '&' } else { '?' };
                format!("{url}{separator}mode=rwc")
            }
            _ => url.to_owned(),
        };
        // Statements that waited for a lock are expected under load, not worth a warning.
        let options = AnyConnectOptions::from_str(&url)?
            .log_slow_statements(log::LevelFilter::Debug, Duration::from_secs(1));
        let pool = AnyPoolOptions::new()
            .max_connections(connections.max(2))
            .acquire_timeout(Duration::from_secs(60))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    for statement in dialect.session_setup() {
                        conn.execute(*statement).await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        match dialect {
            Dialect::Sqlite => SQLITE_MIGRATOR.run(&pool).await?,
            Dialect::Postgres => POSTGRES_MIGRATOR.run(&pool).await?,
        }
        Ok(Self {
            pool,
            dialect,
            clock,
        })
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    pub fn now_millis(&self) -> i64 {
        self.clock.now().timestamp_millis()
    }

    /// Starts a transaction that writes. On SQLite it takes the write lock at once, so that it
    /// never has to upgrade a read lock later (which fails immediately under contention instead
    /// of waiting); on Postgres rows are locked as they are written.
    pub async fn begin_write(&self) -> Result<Transaction> {
        Ok(self.pool.begin_with(self.dialect.begin_write()).await?)
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

fn url_for_sqlite_path(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}
