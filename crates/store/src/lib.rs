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

/// The migration versions of the store's own tables. Each crate that owns tables owns their
/// migrations too, in a range of versions of its own (the catalog's: 1000 to 1999), and all
/// of them share the database's one migrations table.
pub const STORE_MIGRATIONS: std::ops::RangeInclusive<i64> = 1..=999;

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
    /// A migration of a part's range that this build does not have: a newer version of the
    /// program migrated the database. Processes of two versions must not share one.
    #[error(
        "the database has {part} migration {version}, which this build does not know: a newer \
         version migrated it; run that version, or stop it and restore the database first"
    )]
    NewerSchema { part: &'static str, version: i64 },
}

impl From<stevedore_core::operation::UnknownValue> for StoreError {
    fn from(value: stevedore_core::operation::UnknownValue) -> Self {
        Self::Corrupt(value.to_string())
    }
}

impl StoreError {
    /// Whether trying the same work again may succeed (see [`is_transient`]).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Database(error) => is_transient(error),
            _ => false,
        }
    }
}

/// Whether trying the same work again may succeed: a lost race (deadlock, serialization
/// failure, a unique key taken by a concurrent Postgres transaction that committed first, a busy
/// SQLite file) or a lost connection, as opposed to a statement that will always fail.
pub fn is_transient(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(error) => match database_code(error.as_ref()) {
            // A unique violation is a race only where writers run side by side; with SQLite's
            // one writer it would happen again.
            Code::Postgres(code) => matches!(
                code.as_str(),
                // Unique violation, serialization failure, deadlock, lock timeout, shutdown.
                "23505" | "40001" | "40P01" | "55P03" | "57P01"
            ),
            // SQLITE_BUSY and SQLITE_LOCKED, with their extended codes.
            Code::Sqlite(code) => matches!(code & 0xff, 5 | 6),
            Code::Unknown => false,
        },
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => true,
        _ => false,
    }
}

/// Whether the database refused a statement because of the values it was given (a character
/// it cannot store, a value out of range or too large for an index, a constraint), so that the
/// input line that supplied them is at fault and not the chunk it ran in.
pub fn is_caused_by_values(error: &sqlx::Error) -> bool {
    let sqlx::Error::Database(error) = error else {
        return false;
    };
    match database_code(error.as_ref()) {
        // Classes 22 data exception, 23 integrity (but a unique violation is a race, above),
        // 54 program limit exceeded (an index row too large, say).
        Code::Postgres(code) => {
            code != "23505"
                && ["22", "23", "54"]
                    .iter()
                    .any(|class| code.starts_with(class))
        }
        // TOOBIG, CONSTRAINT, MISMATCH, RANGE.
        Code::Sqlite(code) => matches!(code & 0xff, 18 | 19 | 20 | 25),
        Code::Unknown => false,
    }
}

/// A database's error code, told apart by the driver that raised it (Postgres' SQLSTATEs can
/// be all digits, like SQLite's numeric codes).
enum Code {
    Postgres(String),
    Sqlite(u32),
    Unknown,
}

fn database_code(error: &dyn sqlx::error::DatabaseError) -> Code {
    let code = error
        .code()
        .map(|code| code.into_owned())
        .unwrap_or_default();
    if error
        .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
        .is_some()
    {
        Code::Postgres(code)
    } else if error
        .try_downcast_ref::<sqlx::sqlite::SqliteError>()
        .is_some()
    {
        code.parse().map_or(Code::Unknown, Code::Sqlite)
    } else {
        Code::Unknown
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

    /// Opens the database a URL names (`sqlite://PATH` or `postgres://…`) and
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
        let store = Self {
            pool,
            dialect,
            clock,
        };
        let migrator = match dialect {
            Dialect::Sqlite => sqlx::migrate!("../../migrations/sqlite"),
            Dialect::Postgres => sqlx::migrate!("../../migrations/postgres"),
        };
        store
            .migrate_part("store", STORE_MIGRATIONS, migrator)
            .await?;
        Ok(store)
    }

    /// Applies one part's migrations (`migrator`, this dialect's), whose versions all lie in
    /// `versions`, and refuses a database that has a migration in that range the part does not
    /// know. The parts share the migrations table, so each runs ignoring the others'.
    pub async fn migrate_part(
        &self,
        part: &'static str,
        versions: std::ops::RangeInclusive<i64>,
        mut migrator: sqlx::migrate::Migrator,
    ) -> Result<()> {
        debug_assert!(migrator.iter().all(|m| versions.contains(&m.version)));
        migrator.set_ignore_missing(true);
        migrator.run(&self.pool).await?;
        let applied: Vec<i64> = sqlx::query_scalar(
            "SELECT version FROM _sqlx_migrations WHERE version >= $1 AND version <= $2",
        )
        .bind(*versions.start())
        .bind(*versions.end())
        .fetch_all(&self.pool)
        .await?;
        match applied
            .into_iter()
            .find(|version| !migrator.version_exists(*version))
        {
            Some(version) => Err(StoreError::NewerSchema { part, version }),
            None => Ok(()),
        }
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
