//! Where catalog resolvers read and write: the store's pool, or a bulk chunk's transaction.

use crate::error::{CatalogError, CatalogResult};
use crate::metafield::definition::storage::DefinitionRow;
use crate::metafield::mutation::Setting;
use crate::pending::{
    self, Flushed, Handle, PendingProducts, Recorded, RecordedMetafield, ReservedIds, Table,
};
use crate::product::ProductRow;
use crate::shape::Shape;
use futures::future::BoxFuture;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use stevedore_core::ShopId;
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

/// How a chunk's lines write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkWrites {
    /// Created products (with their shapes and metafields) are recorded and written together
    /// when the chunk next needs the database, or at its end (see the `pending` module).
    Deferred,
    /// Every write goes to the database as the line makes it.
    Immediate,
}

/// What became of a created product in a chunk.
pub(crate) enum Deferral<T> {
    /// Recorded with its id, to be written with the chunk's other rows; `T` is the answer made
    /// from the row with its id.
    Recorded(T),
    /// To be written now, as in a synchronous call (with its shape, if it has one of its own).
    WriteNow(Box<ProductRow>, Option<Shape>),
}

/// The one transaction a bulk chunk's lines write in, and the first database error any of them
/// met. A database error is never a line's own result: it means the chunk as a whole could not
/// be done (a lost race with another worker, a dropped connection), so the executor gives the
/// whole chunk back instead of writing the error into a result line.
///
/// The transaction begins with the chunk's first statement, so a chunk whose lines only record
/// products holds SQLite's write lock just for their flush and its commit.
#[derive(Clone)]
pub struct ChunkTransaction {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    writes: ChunkWrites,
    ids: ReservedIds,
    transaction: Mutex<Stage>,
    /// Metafield definitions by shop and owner type, read before the transaction began (see
    /// [`ChunkTransaction::definitions`]).
    definitions: std::sync::Mutex<DefinitionsRead>,
    pending: std::sync::Mutex<PendingProducts>,
    fault: std::sync::Mutex<Option<ChunkFault>>,
    /// Whether the current line has sent anything to the database: a line that has not needs
    /// no undo beyond dropping what it recorded, whatever its answer.
    touched: AtomicBool,
    /// A flush found an answer given for a recorded product wrong.
    deferral_failed: AtomicBool,
}

/// Metafield definitions by shop and owner type.
type DefinitionsRead = HashMap<(ShopId, String), Arc<Vec<DefinitionRow>>>;

enum Stage {
    NotBegun,
    Open(Transaction),
    Ended,
}

impl ChunkTransaction {
    /// A chunk writing as `writes` says, its products' ids drawn from `ids`.
    pub fn new(store: Store, writes: ChunkWrites, ids: ReservedIds) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                writes,
                ids,
                transaction: Mutex::new(Stage::NotBegun),
                definitions: std::sync::Mutex::default(),
                pending: std::sync::Mutex::default(),
                fault: std::sync::Mutex::default(),
                touched: AtomicBool::default(),
                deferral_failed: AtomicBool::default(),
            }),
        }
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, PendingProducts> {
        self.inner.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts a new line: it has not touched the database yet, nor recorded anything.
    pub fn begin_line(&self) {
        self.inner.touched.store(false, Ordering::Relaxed);
        self.pending().begin_line();
    }

    /// Whether the line begun last has run anything on the connection (even a statement that
    /// failed).
    pub fn line_touched(&self) -> bool {
        self.inner.touched.load(Ordering::Relaxed)
    }

    /// Forgets what the line begun last recorded without writing. What it sent to the database
    /// (see [`Self::line_touched`]) is the executor's to undo.
    pub fn drop_line(&self) {
        self.pending().drop_line();
    }

    /// Whether a flush found that an answer given for a recorded product was wrong: the chunk's
    /// answers cannot be kept, and it must run again with [`ChunkWrites::Immediate`].
    pub fn deferral_failed(&self) -> bool {
        self.inner.deferral_failed.load(Ordering::Relaxed)
    }

    /// The chunk's open transaction, begun (and the pending rows written into it) if need be.
    async fn open<'g>(&self, stage: &'g mut Stage) -> CatalogResult<&'g mut Transaction> {
        if let Stage::NotBegun = stage {
            let transaction = self.inner.store.begin_write().await?;
            *stage = Stage::Open(transaction);
        }
        let Stage::Open(transaction) = stage else {
            return Err(CatalogError::ChunkEnded);
        };
        let rows = self.pending().take_rows();
        if rows.is_empty() {
            return Ok(transaction);
        }
        let dialect = self.inner.store.dialect();
        if pending::write(transaction, dialect, &rows).await? == Flushed::Wrong {
            self.inner.deferral_failed.store(true, Ordering::Relaxed);
            return Err(CatalogError::DeferralFailed);
        }
        Ok(transaction)
    }

    /// Runs `work` on the chunk's connection, remembering a database error it returns.
    pub async fn run<T, F>(&self, work: F) -> CatalogResult<T>
    where
        F: for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, CatalogResult<T>> + Send,
        T: Send,
    {
        let mut stage = self.inner.transaction.lock().await;
        self.inner.touched.store(true, Ordering::Relaxed);
        let result = match self.open(&mut stage).await {
            Ok(transaction) => work(transaction).await,
            Err(error) => Err(error),
        };
        // A value the database refuses is the line's own error: the executor rolls the line back
        // (see the executor's module comment) and answers it with the error.
        if let Err(error) = &result {
            if error.is_caused_by_values() || self.deferral_failed() {
                return result;
            }
            self.note_fault(error);
        }
        result
    }

    /// Remembers the first database error of the chunk: the executor gives the chunk back
    /// instead of answering a line with it.
    fn note_fault(&self, error: &CatalogError) {
        let mut fault = self.inner.fault.lock().unwrap_or_else(|p| p.into_inner());
        if fault.is_none() {
            *fault = Some(ChunkFault {
                message: error.detail(),
                transient: error.is_transient(),
            });
        }
    }

    /// Runs savepoint commands on the chunk's connection: several, separated by `;`, go in
    /// one round trip. They do not count as the line's own work.
    pub async fn execute(&self, statements: &'static str) -> CatalogResult<()> {
        let touched = self.line_touched();
        let result = self
            .run(move |conn| {
                // A query without arguments goes as one simple query: all its statements at once.
                Box::pin(async move {
                    sqlx::Executor::execute(conn, statements).await?;
                    Ok(())
                })
            })
            .await;
        self.inner.touched.store(touched, Ordering::Relaxed);
        result
    }

    /// Records a created product to write later, giving it (and each row of its `shape`, if it
    /// has one of its own) an id, or hands it back to be written now: when the chunk writes
    /// immediately, when the chunk already recorded or wrote a product with the same handle, or
    /// when ids ran out once the chunk's transaction was open (a reservation of its own would
    /// then wait for the chunk's own write lock on SQLite). A recorded product is answered by
    /// `answer`, given the row and the shape with their ids, before the chunk keeps them.
    pub(crate) async fn defer_product<T>(
        &self,
        shop: ShopId,
        mut row: ProductRow,
        handle: Handle,
        shape: Option<Shape>,
        answer: impl FnOnce(&ProductRow, Option<&Arc<Shape>>) -> T,
    ) -> CatalogResult<Deferral<T>> {
        let known = self.pending().knows_handle(shop, &row.handle);
        let restored = shape.as_ref().is_some_and(Shape::has_saved_rows);
        if self.inner.writes == ChunkWrites::Immediate || known || restored {
            return Ok(Deferral::WriteNow(Box::new(row), shape));
        }
        let (options, values, variants) = shape.as_ref().map_or((0, 0, 0), Shape::row_counts);
        let wanted = [
            (Table::Products, 1),
            (Table::Options, options),
            (Table::Values, values),
            (Table::Variants, variants),
        ];
        let Some(ids) = self.take_ids(&wanted).await? else {
            return Ok(Deferral::WriteNow(Box::new(row), shape));
        };
        let [product, options, values, variants] =
            <[Vec<i64>; 4]>::try_from(ids).map_err(|_| CatalogError::NoIdReserved)?;
        row.id = product[0];
        let shape = shape.map(|mut shape| {
            shape.give_ids(row.id, options, values, variants);
            Arc::new(shape)
        });
        let answered = answer(&row, shape.as_ref());
        self.pending().push(Recorded {
            shop,
            row,
            handle,
            shape,
            metafields: Vec::new(),
        });
        Ok(Deferral::Recorded(answered))
    }

    /// Records `settings` (metafields of product `product`, which the line in progress
    /// recorded, and of its variants: new, as their owners are) to write with the product,
    /// giving each an id. `Ok(false)`: the product is not recorded, or ids ran out once the
    /// chunk's transaction was open; the caller writes them. Of several settings for one
    /// metafield, the last one's value is written, as one upsert after another would leave it.
    pub(crate) async fn defer_metafields(
        &self,
        product: i64,
        settings: &[Setting],
        at: i64,
    ) -> CatalogResult<bool> {
        if self.pending().line_product(product).is_none() {
            return Ok(false);
        }
        let mut distinct: Vec<Setting> = Vec::with_capacity(settings.len());
        for setting in settings {
            let same = distinct.iter_mut().find(|kept| {
                (kept.owner_type, kept.owner_id, &kept.namespace, &kept.key)
                    == (
                        setting.owner_type,
                        setting.owner_id,
                        &setting.namespace,
                        &setting.key,
                    )
            });
            match same {
                Some(kept) => {
                    kept.kind = setting.kind.clone();
                    kept.value = setting.value.clone();
                }
                None => distinct.push(setting.clone()),
            }
        }
        let Some(mut ids) = self
            .take_ids(&[(Table::Metafields, distinct.len())])
            .await?
        else {
            return Ok(false);
        };
        let ids = ids.pop().unwrap_or_default();
        let mut pending = self.pending();
        let Some(recorded) = pending.line_product(product) else {
            return Ok(false);
        };
        recorded.metafields.extend(
            ids.into_iter()
                .zip(distinct)
                .map(|(id, setting)| RecordedMetafield { id, setting, at }),
        );
        Ok(true)
    }

    /// `wanted` ids of each table from the process's reserved blocks, reserving more (in a
    /// transaction of its own) if some pool runs short and the chunk's transaction has not
    /// begun. `Ok(None)`: there are not enough, and no reservation may be made now.
    async fn take_ids(&self, wanted: &[(Table, usize)]) -> CatalogResult<Option<Vec<Vec<i64>>>> {
        let short = match self.inner.ids.take(wanted) {
            Ok(ids) => return Ok(Some(ids)),
            Err(short) => short,
        };
        if !matches!(*self.inner.transaction.lock().await, Stage::NotBegun) {
            return Ok(None);
        }
        if let Err(error) = self.inner.ids.reserve(&self.inner.store, &short).await {
            self.note_fault(&error);
            return Err(error);
        }
        // Another chunk may have drawn on the new blocks meanwhile: then this product is
        // written now.
        Ok(self.inner.ids.take(wanted).ok())
    }

    /// The metafield definitions of `shop` for each of `owner_types`, if the chunk's
    /// transaction has not begun: the chunk has then written nothing, so the committed
    /// definitions are those it would see, read once per chunk (a pooled connection, not the
    /// transaction, so that a read does not take the write lock). `Ok(None)` once the
    /// transaction has begun: read them there.
    pub(crate) async fn definitions(
        &self,
        shop: ShopId,
        owner_types: &[String],
    ) -> CatalogResult<Option<Vec<Arc<Vec<DefinitionRow>>>>> {
        let stage = self.inner.transaction.lock().await;
        if !matches!(*stage, Stage::NotBegun) {
            return Ok(None);
        }
        let mut found = Vec::with_capacity(owner_types.len());
        for owner_type in owner_types {
            let key = (shop, owner_type.clone());
            let cached = self
                .inner
                .definitions
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(&key)
                .cloned();
            let definitions = match cached {
                Some(definitions) => definitions,
                None => {
                    let mut conn = self.inner.store.pool().acquire().await?;
                    let read = crate::metafield::definition::storage::of_owner_type(
                        &mut conn, shop, owner_type,
                    )
                    .await?;
                    let read = Arc::new(read);
                    self.inner
                        .definitions
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(key, read.clone());
                    read
                }
            };
            found.push(definitions);
        }
        drop(stage);
        Ok(Some(found))
    }

    /// The first database error a line met, if any.
    pub fn take_fault(&self) -> Option<ChunkFault> {
        self.inner
            .fault
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
    }

    /// Ends the chunk's use of the transaction without writing what is pending, handing it back
    /// (if it had begun) to roll back.
    pub async fn abandon(&self) -> Option<Transaction> {
        self.pending().take_rows();
        match std::mem::replace(&mut *self.inner.transaction.lock().await, Stage::Ended) {
            Stage::Open(transaction) => Some(transaction),
            _ => None,
        }
    }

    /// Ends the chunk's use of the transaction, handing it back (begun if it was not, and with
    /// every pending product written) to commit or roll back. `Ok(None)`: it had ended already.
    /// After a flush that found an answer wrong ([`Self::deferral_failed`]) the transaction
    /// comes back all the same, for the executor to roll back.
    pub async fn finish(&self) -> CatalogResult<Option<Transaction>> {
        let mut stage = self.inner.transaction.lock().await;
        if let Stage::Ended = *stage {
            return Ok(None);
        }
        match self.open(&mut stage).await {
            Ok(_) => {}
            Err(_) if self.deferral_failed() => {}
            Err(error) => return Err(error),
        }
        match std::mem::replace(&mut *stage, Stage::Ended) {
            Stage::Open(transaction) => Ok(Some(transaction)),
            _ => Ok(None),
        }
    }
}

/// A database error met by a line of a chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkFault {
    pub message: String,
    /// Whether running the chunk again may succeed (see `stevedore_store::is_transient`).
    pub transient: bool,
}

impl CatalogDb {
    /// Runs `work` on a connection. On the pool it gets a write transaction of its own, committed
    /// if `work` succeeds; in a chunk it joins the chunk's transaction.
    pub async fn write<T, F>(&self, work: F) -> CatalogResult<T>
    where
        F: for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, CatalogResult<T>> + Send,
        T: Send,
    {
        match self {
            CatalogDb::Pool(store) => {
                let mut tx = store.begin_write().await?;
                let value = work(&mut tx).await?;
                tx.commit().await?;
                Ok(value)
            }
            CatalogDb::Chunk(chunk) => chunk.run(work).await,
        }
    }

    /// Runs `work` as one unit: everything it writes commits together, or (when it returns an
    /// error, or `keep` says no to its value) nothing does. On the pool the unit gets a
    /// transaction of its own, used by every write `work` makes through the `CatalogDb` it is
    /// given; in a bulk chunk it is the line itself, which the executor commits or undoes.
    pub(crate) async fn atomically<T, F, Fut>(
        &self,
        keep: impl FnOnce(&T) -> bool,
        work: F,
    ) -> async_graphql::Result<T>
    where
        F: FnOnce(CatalogDb) -> Fut,
        Fut: std::future::Future<Output = async_graphql::Result<T>>,
    {
        match self {
            CatalogDb::Chunk(_) => work(self.clone()).await,
            CatalogDb::Pool(store) => {
                let unit = ChunkTransaction::new(
                    store.clone(),
                    ChunkWrites::Immediate,
                    ReservedIds::default(),
                );
                let outcome = work(CatalogDb::Chunk(unit.clone())).await;
                let kept = outcome.as_ref().is_ok_and(keep);
                if kept {
                    if let Some(transaction) = unit.finish().await? {
                        transaction.commit().await.map_err(CatalogError::from)?;
                    }
                } else if let Some(transaction) = unit.abandon().await {
                    transaction.rollback().await.map_err(CatalogError::from)?;
                }
                outcome
            }
        }
    }

    /// The store under the catalog, for reads of the tables it owns (shops).
    pub(crate) fn store(&self) -> &Store {
        match self {
            CatalogDb::Pool(store) => store,
            CatalogDb::Chunk(chunk) => &chunk.inner.store,
        }
    }

    /// Runs a read on a connection (the chunk's, inside a bulk line, to see its own writes).
    pub async fn read<T, F>(&self, work: F) -> CatalogResult<T>
    where
        F: for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, CatalogResult<T>> + Send,
        T: Send,
    {
        match self {
            CatalogDb::Pool(store) => {
                let mut conn = store.pool().acquire().await?;
                work(&mut conn).await
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
    ) -> CatalogResult<Option<R>>
    where
        R: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin + 'static,
    {
        self.read(move |conn| {
            Box::pin(async move {
                let row = sqlx::query_as::<_, R>(&sql)
                    .bind(id)
                    .bind(shop.0)
                    .fetch_optional(conn)
                    .await?;
                Ok(row)
            })
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::product::ProductRow;

    fn row(handle: &str) -> ProductRow {
        ProductRow {
            id: 0,
            title: handle.to_owned(),
            handle: handle.to_owned(),
            description_html: String::new(),
            product_type: String::new(),
            vendor: String::new(),
            tags: "[]".to_owned(),
            status: "ACTIVE".to_owned(),
            template_suffix: None,
            gift_card: 0,
            seo_title: None,
            seo_description: None,
            created_at: 0,
            updated_at: 0,
        }
    }

    async fn store(dir: &tempfile::TempDir) -> Store {
        let clock = std::sync::Arc::new(stevedore_core::clock::SystemClock);
        let store = Store::open_sqlite(&dir.path().join("catalog.db"), clock, 2)
            .await
            .unwrap();
        crate::migrate(&store).await.unwrap();
        store
    }

    #[tokio::test]
    async fn a_failed_id_reservation_is_the_chunks_fault_not_the_lines_answer() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(&dir).await;
        store.close().await;
        let chunk = ChunkTransaction::new(store, ChunkWrites::Deferred, ReservedIds::default());
        chunk.begin_line();
        assert!(chunk
            .defer_product(ShopId(1), row("board"), Handle::Promised, None, |_, _| ())
            .await
            .is_err());
        let fault = chunk.take_fault().expect("the chunk is given back");
        assert!(fault.transient, "{fault:?}");
    }

    /// Whether the chunk records a product with `handle` (rather than writing it now).
    async fn records(chunk: &ChunkTransaction, shop: ShopId, handle: &str) -> bool {
        matches!(
            chunk
                .defer_product(shop, row(handle), Handle::Promised, None, |_, _| ())
                .await
                .unwrap(),
            Deferral::Recorded(_)
        )
    }

    #[tokio::test]
    async fn a_handle_written_mid_chunk_is_not_promised_again() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(&dir).await;
        let shop = store
            .create_shop_token("a.myshopify.com", "token", &[], "secret", false)
            .await
            .unwrap()
            .id;
        let chunk = ChunkTransaction::new(store, ChunkWrites::Deferred, ReservedIds::default());
        chunk.begin_line();
        assert!(records(&chunk, shop, "board").await);
        chunk.begin_line();
        // A second "board" is written at once, after the first is flushed...
        assert!(!records(&chunk, shop, "board").await);
        chunk
            .run(|conn| {
                Box::pin(async move {
                    sqlx::query("SELECT 1").execute(conn).await?;
                    Ok(())
                })
            })
            .await
            .unwrap();
        // ...and so is a third, although nothing is pending any more.
        chunk.begin_line();
        assert!(!records(&chunk, shop, "board").await);
        assert!(records(&chunk, shop, "other").await);
    }
}
