//! Durable state, through sqlx: shops and their tokens, staged uploads, bulk operations and
//! their chunks, and the server's own settings. One module per aggregate.
//!
//! The embedded default is a SQLite file. Every instant is stored as epoch milliseconds and
//! every statement uses `$N` placeholders, so the same SQL serves other dialects.

pub mod chunks;
pub mod operations;
pub mod settings;
pub mod shops;
pub mod uploads;
pub mod webhooks;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::ConnectOptions;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use stevedore_core::Clock;

pub use sqlx::sqlite::{Sqlite, SqliteConnection, SqlitePool};
pub type Transaction = sqlx::Transaction<'static, Sqlite>;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
}

impl From<stevedore_core::operation::UnknownValue> for StoreError {
    fn from(value: stevedore_core::operation::UnknownValue) -> Self {
        Self::Corrupt(value.to_string())
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The database handle shared by every part of a process.
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
    clock: Arc<dyn Clock>,
}

impl Store {
    /// Opens (creating if needed) the SQLite database at `path` and applies migrations.
    /// `connections` bounds the pool; give every engine worker one, plus some for requests.
    pub async fn open_sqlite(path: &Path, clock: Arc<dyn Clock>, connections: u32) -> Result<Self> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|error| StoreError::Database(sqlx::Error::Io(error)))?;
        }
        Self::connect_with(
            SqliteConnectOptions::new().filename(path),
            clock,
            connections,
        )
        .await
    }

    /// Opens a database from a `sqlite:` URL.
    pub async fn open_url(url: &str, clock: Arc<dyn Clock>, connections: u32) -> Result<Self> {
        Self::connect_with(SqliteConnectOptions::from_str(url)?, clock, connections).await
    }

    async fn connect_with(
        options: SqliteConnectOptions,
        clock: Arc<dyn Clock>,
        connections: u32,
    ) -> Result<Self> {
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // WAL with synchronous=NORMAL is durable against process crashes, which is what the
            // exactly-once guarantee needs; FULL would also survive power loss at a large cost.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(30))
            .foreign_keys(true)
            // SQLite has one writer: a statement that waited for the write lock while a chunk
            // committed is expected, not a problem worth a warning.
            .log_slow_statements(log::LevelFilter::Debug, Duration::from_secs(1));
        let pool = SqlitePoolOptions::new()
            .max_connections(connections.max(2))
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(Self { pool, clock })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    pub fn now_millis(&self) -> i64 {
        self.clock.now().timestamp_millis()
    }

    /// Starts a write transaction that takes SQLite's write lock at once, so that it never has
    /// to upgrade a read lock later (which fails immediately under contention instead of waiting).
    pub async fn begin_write(&self) -> Result<Transaction> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}
