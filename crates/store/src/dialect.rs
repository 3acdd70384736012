//! Where SQLite and Postgres need different words for the same intent.

use crate::{Result, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// One file, one writer at a time: a write transaction holds the database's write lock,
    /// so claims and caps need no row locks.
    Sqlite,
    /// Many processes on one database: claims lock the rows they take and skip rows another
    /// transaction holds, and caps lock the row they count under.
    Postgres,
}

impl Dialect {
    pub fn from_url(url: &str) -> Result<Self> {
        let scheme = url.split(':').next().unwrap_or_default();
        match scheme {
            "sqlite" => Ok(Self::Sqlite),
            "postgres" | "postgresql" => Ok(Self::Postgres),
            _ => Err(StoreError::UnsupportedUrl(url.to_owned())),
        }
    }

    /// The dialect of an open connection, for code that holds a connection but not the store.
    pub fn of(conn: &sqlx::AnyConnection) -> Self {
        match conn.backend_name() {
            "PostgreSQL" => Self::Postgres,
            _ => Self::Sqlite,
        }
    }

    pub(crate) fn begin_write(self) -> &'static str {
        match self {
            Self::Sqlite => "BEGIN IMMEDIATE",
            Self::Postgres => "BEGIN",
        }
    }

    /// Statements every new connection runs.
    pub(crate) fn session_setup(self) -> &'static [&'static str] {
        match self {
            Self::Sqlite => &[
                // WAL with synchronous=NORMAL is durable against process crashes, which is what
                // the exactly-once guarantee needs; FULL would also survive power loss at a
                // large cost.
                "PRAGMA journal_mode = WAL",
                "PRAGMA synchronous = NORMAL",
                // One writer: waiting for the write lock while a chunk commits is expected.
                "PRAGMA busy_timeout = 30000",
                "PRAGMA foreign_keys = ON",
            ],
            Self::Postgres => &[],
        }
    }

    /// Appended to the subquery that picks rows to claim: on Postgres, concurrent claimers
    /// each take a different row instead of queueing behind (and then double-taking) the same
    /// one. `table` is the alias of the table whose rows are claimed.
    pub(crate) fn skip_locked(self, table: &str) -> String {
        match self {
            Self::Sqlite => String::new(),
            Self::Postgres => format!(" FOR UPDATE OF {table} SKIP LOCKED"),
        }
    }

    /// A statement, binding `$1` to a shop id, that makes the rest of the transaction the only
    /// one counting or adding that shop's rows (operations under the concurrency cap,
    /// subscriptions under theirs). SQLite's write transaction is already alone.
    ///
    /// `NO KEY UPDATE`, not `UPDATE`: every running chunk that inserts a product holds a key-share
    /// lock on its shop's row (the foreign key) until it commits, and admission must not wait
    /// for those.
    pub(crate) fn lock_shop(self) -> Option<&'static str> {
        match self {
            Self::Sqlite => None,
            Self::Postgres => Some("SELECT id FROM shops WHERE id = $1 FOR NO KEY UPDATE"),
        }
    }

    /// Appended to a query whose rows the transaction goes on to change, so that on Postgres it
    /// takes their locks first, in the same order (chunks before their operation) as every
    /// other transaction that touches both.
    pub(crate) fn lock_rows(self) -> &'static str {
        match self {
            Self::Sqlite => "",
            Self::Postgres => " FOR UPDATE",
        }
    }

    /// An expression for the next claim turn, a number that grows with every chunk handed
    /// out; fairness serves the shop and operation whose last turn is oldest.
    pub(crate) fn next_claim_turn(self) -> &'static str {
        match self {
            // Inside a write transaction nobody else can take the same number.
            Self::Sqlite => "(SELECT COALESCE(MAX(claim_turn), 0) + 1 FROM shops)",
            Self::Postgres => "nextval('claim_turns')",
        }
    }
}
