//! Where catalog resolvers read and write: the pool, or a bulk chunk's open transaction.

use futures::future::BoxFuture;
use std::sync::Arc;
use stevedore_store::{SqliteConnection, SqlitePool, Transaction};
use tokio::sync::Mutex;

#[derive(Clone)]
pub enum CatalogDb {
    /// A synchronous API call: each mutation runs in its own transaction.
    Pool(SqlitePool),
    /// A bulk line: the chunk's transaction, inside the line's savepoint, which the executor
    /// commits or rolls back with the line's result.
    Chunk(Arc<Mutex<Option<Transaction>>>),
}

impl CatalogDb {
    /// Runs `work` on a connection. On the pool it gets a write transaction of its own, committed
    /// if `work` succeeds; in a chunk it joins the chunk's transaction.
    pub async fn write<T, F>(&self, work: F) -> async_graphql::Result<T>
    where
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T, sqlx::Error>> + Send,
        T: Send,
    {
        match self {
            CatalogDb::Pool(pool) => {
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                let value = work(&mut tx).await?;
                tx.commit().await?;
                Ok(value)
            }
            CatalogDb::Chunk(shared) => {
                let mut guard = shared.lock().await;
                let tx = guard.as_mut().ok_or("the chunk transaction has ended")?;
                Ok(work(tx).await?)
            }
        }
    }

    /// Runs a read on a connection (the chunk's, inside a bulk line, to see its own writes).
    pub async fn read<T, F>(&self, work: F) -> async_graphql::Result<T>
    where
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T, sqlx::Error>> + Send,
        T: Send,
    {
        match self {
            CatalogDb::Pool(pool) => {
                let mut conn = pool.acquire().await?;
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
        R: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> + Send + Unpin + 'static,
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
