//! Where catalog resolvers read and write: the store's pool, or a bulk chunk's open transaction.

use futures::future::BoxFuture;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use stevedore_store::{AnyConnection, Store, Transaction};
use tokio::sync::Mutex;

#[derive(Clone)]
pub enum CatalogDb {
    /// A synchronous API call: each mutation runs in its own transaction.
    Pool(Store),
    /// A bulk line: the chunk's transaction, which the executor commits with the line's result,
    /// or undoes (the whole attempt, or the line's savepoint) if the line's answer is an error.
    Chunk(ChunkTransaction),
}

/// The one transaction a bulk chunk's lines write in, and the first database error any of them
/// met. A database error is never a line's own result: it means the chunk as a whole could not
/// be done (a lost race with another worker, a dropped connection), so the executor gives the
/// whole chunk back instead of writing the error into a result line.
#[derive(Clone)]
pub struct ChunkTransaction {
    transaction: Arc<Mutex<Option<Transaction>>>,
    fault: Arc<std::sync::Mutex<Option<ChunkFault>>>,
    /// Whether the current line has sent anything to the database: a line that has not needs
    /// no undo, whatever its answer.
    touched: Arc<AtomicBool>,
}

impl ChunkTransaction {
    pub fn new(transaction: Transaction) -> Self {
        Self {
            transaction: Arc::new(Mutex::new(Some(transaction))),
            fault: Arc::default(),
            touched: Arc::default(),
        }
    }

    /// Starts a new line: it has not touched the database yet.
    pub fn begin_line(&self) {
        self.touched.store(false, Ordering::Relaxed);
    }

    /// Whether the line begun last has run anything on the connection (even a statement that
    /// failed).
    pub fn line_touched(&self) -> bool {
        self.touched.load(Ordering::Relaxed)
    }

    /// Runs `work` on the chunk's connection, remembering a database error it returns.
    pub async fn run<T, F>(&self, work: F) -> Result<T, sqlx::Error>
    where
        F: for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, Result<T, sqlx::Error>> + Send,
        T: Send,
    {
        let mut guard = self.transaction.lock().await;
        let Some(transaction) = guard.as_mut() else {
            return Err(sqlx::Error::Configuration(
                "the chunk transaction has ended".into(),
            ));
        };
        self.touched.store(true, Ordering::Relaxed);
        let result = work(transaction).await;
        // A value the database refuses is the line's own error: the executor rolls the line back
        // (see the executor's module comment) and answers it with the error.
        if let Err(error) = &result {
            if stevedore_store::is_caused_by_values(error) {
                return result;
            }
            let mut fault = self.fault.lock().unwrap_or_else(|p| p.into_inner());
            if fault.is_none() {
                *fault = Some(ChunkFault {
                    message: error.to_string(),
                    transient: stevedore_store::is_transient(error),
                });
            }
        }
        result
    }

    /// Runs savepoint commands on the chunk's connection: several, separated by `;`, go in
    /// one round trip. They do not count as the line's own work.
    pub async fn execute(&self, statements: &'static str) -> Result<(), sqlx::Error> {
        let touched = self.line_touched();
        let result = self
            .run(move |conn| {
                // A query without arguments goes as one simple query: all its statements at once.
                Box::pin(async move { sqlx::Executor::execute(conn, statements).await.map(drop) })
            })
            .await;
        self.touched.store(touched, Ordering::Relaxed);
        result
    }

    /// The first database error a line met, if any.
    pub fn take_fault(&self) -> Option<ChunkFault> {
        self.fault.lock().unwrap_or_else(|p| p.into_inner()).take()
    }

    /// Ends the chunk's use of the transaction, handing it back to commit or roll back.
    pub async fn finish(&self) -> Option<Transaction> {
        self.transaction.lock().await.take()
    }
}

/// A database error met by a line of a chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkFault {
    pub message: String,
    /// Whether running the chunk again may succeed (see `stevedore_store::is_transient`).
    pub transient: bool,
}

/// The GraphQL error for a database error: a value the database refused is named as such,
/// anything else keeps sqlx's description.
fn refusal(error: sqlx::Error) -> async_graphql::Error {
    match &error {
        sqlx::Error::Database(database) if stevedore_store::is_caused_by_values(&error) => {
            async_graphql::Error::new(format!("Invalid value: {}", database.message()))
        }
        _ => error.into(),
    }
}

impl CatalogDb {
    /// Runs `work` on a connection. On the pool it gets a write transaction of its own, committed
    /// if `work` succeeds; in a chunk it joins the chunk's transaction.
    pub async fn write<T, F>(&self, work: F) -> async_graphql::Result<T>
    where
        F: for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, Result<T, sqlx::Error>> + Send,
        T: Send,
    {
        match self {
            CatalogDb::Pool(store) => {
                let mut tx = store.begin_write().await?;
                let value = work(&mut tx).await.map_err(refusal)?;
                tx.commit().await?;
                Ok(value)
            }
            CatalogDb::Chunk(chunk) => Ok(chunk.run(work).await.map_err(refusal)?),
        }
    }

    /// Runs a read on a connection (the chunk's, inside a bulk line, to see its own writes).
    pub async fn read<T, F>(&self, work: F) -> async_graphql::Result<T>
    where
        F: for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, Result<T, sqlx::Error>> + Send,
        T: Send,
    {
        match self {
            CatalogDb::Pool(store) => {
                let mut conn = store.pool().acquire().await?;
                Ok(work(&mut conn).await?)
            }
            CatalogDb::Chunk(_) => self.write(work).await,
        }
    }

    /// The shop's row `id` of a catalog table, read by `sql` (which binds `$1` id, `$2` shop).
    pub(crate) async fn find_row<R>(
        &self,
        sql: String,
        shop: stevedore_core::ShopId,
        id: i64,
    ) -> async_graphql::Result<Option<R>>
    where
        R: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin + 'static,
    {
        self.read(move |conn| {
            Box::pin(async move {
                sqlx::query_as::<_, R>(&sql)
                    .bind(id)
                    .bind(shop.0)
                    .fetch_optional(conn)
                    .await
            })
        })
        .await
    }
}
