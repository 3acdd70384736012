//! Products a bulk chunk has answered for but not yet written, with their shapes and
//! metafields.
//!
//! A bulk line that creates a product needs no database to answer: the rows are what was sent,
//! their ids come from blocks reserved for the chunk ([`ReservedIds`]), and the handle is the
//! one the title asks for. So a chunk records the rows and writes them together, in multi-row
//! inserts (the products, then their options, values, variants and metafields, each table in
//! a few statements), before the chunk's next statement or its commit. Sending a statement per
//! row cost more than the rest of the line's work together (a hand-off to the driver's thread
//! and back each), and without any statement a chunk needs the write lock only for its short
//! flush, so chunks execute side by side on every core. `productCreate` (the direct path and
//! the schema's) and `productSet` creating a product both take this path.
//!
//! The handle is assumed free. The flush finds out. A row the database skips had its handle
//! taken: if the row's answer did not show its handle and the handle came from the title, the
//! row gets its suffix there and then (a re-import of titles the shop already has would
//! otherwise run line by line). Otherwise, and for a value the database refuses, some line's
//! answer was wrong, and the chunk is run again writing line by line, where the taken handle
//! gets its suffix (or its line's error) and the refused value its line's error.

use crate::error::{CatalogError, CatalogResult};
use crate::handle::{split_tail, HandleTable};
use crate::metafield::mutation::Setting;
use crate::product::{bind_row, HandleFrom, ProductRow, ROW_COLUMNS, ROW_VALUES};
use crate::shape::Shape;
use crate::sql::{multi_row_insert, push_placeholders};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use stevedore_core::ShopId;
use stevedore_store::{AnyConnection, Dialect};

/// Rows per insert statement: 15 values each, well under both databases' limit on bound
/// values, and a statement text that repeats, so its prepared form is reused.
const ROWS_PER_INSERT: usize = 500;

/// The id, then what [`bind_row`] binds.
const VALUES_PER_ROW: usize = ROW_VALUES + 1;

/// Whether a recorded row's handle may still change at the flush.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Handle {
    /// The line's answer showed it, or the input gave it: a taken one makes the answer wrong.
    Promised,
    /// Derived from the title and not shown: a taken one gets its suffix at the flush.
    Open,
}

impl Handle {
    /// The handle of a new product whose handle came `from` there, in an answer that shows it
    /// or not.
    pub(crate) fn answered(from: HandleFrom, shown: bool) -> Self {
        match (from, shown) {
            (HandleFrom::Title, false) => Self::Open,
            _ => Self::Promised,
        }
    }
}

/// A product recorded for the flush.
#[derive(Debug)]
pub(crate) struct Recorded {
    pub(crate) shop: ShopId,
    pub(crate) row: ProductRow,
    pub(crate) handle: Handle,
    /// Its options, values and variants, every row with its reserved id; `None`: the default
    /// option, value and variant, made at the flush.
    pub(crate) shape: Option<Arc<Shape>>,
    /// Metafields of the product and of its variants, each with its reserved id.
    pub(crate) metafields: Vec<RecordedMetafield>,
}

/// A metafield of a recorded product or of one of its variants: new, since its owner is.
#[derive(Debug, Clone)]
pub(crate) struct RecordedMetafield {
    pub(crate) id: i64,
    pub(crate) setting: Setting,
    pub(crate) at: i64,
}

#[derive(Debug, Default)]
pub(crate) struct PendingProducts {
    rows: Vec<Recorded>,
    /// The handles of `rows` and of the rows written before them: a second product asking for
    /// one of them is written at once, after the pending rows, so the database settles its
    /// suffix.
    handles: HashMap<ShopId, HashSet<String>>,
    /// Where the line in progress began in `rows`.
    line_start: usize,
}

/// How a flush went.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Flushed {
    /// Every pending row is written.
    Written,
    /// The database skipped or refused a row, so an answer given for it was wrong; what was
    /// written must be rolled back.
    Wrong,
}

impl PendingProducts {
    /// Whether the chunk has recorded or written a product of the shop with `handle`.
    pub(crate) fn knows_handle(&self, shop: ShopId, handle: &str) -> bool {
        self.handles
            .get(&shop)
            .is_some_and(|handles| handles.contains(handle))
    }

    /// The recorded, not yet written product `id` of the line in progress.
    pub(crate) fn line_product(&mut self, id: i64) -> Option<&mut Recorded> {
        self.rows[self.line_start..]
            .iter_mut()
            .rev()
            .find(|recorded| recorded.row.id == id)
    }

    pub(crate) fn push(&mut self, recorded: Recorded) {
        self.handles
            .entry(recorded.shop)
            .or_default()
            .insert(recorded.row.handle.clone());
        self.rows.push(recorded);
    }

    /// A new line begins: what it records can be dropped again with [`Self::drop_line`].
    pub(crate) fn begin_line(&mut self) {
        self.line_start = self.rows.len();
    }

    /// Forgets the rows the line in progress recorded (its answer was an error). Their ids
    /// stay unused: a gap, as a rolled-back insert leaves in a sequence.
    pub(crate) fn drop_line(&mut self) {
        for Recorded { shop, row, .. } in self.rows.drain(self.line_start..) {
            if let Some(handles) = self.handles.get_mut(&shop) {
                handles.remove(&row.handle);
            }
        }
    }

    /// Takes every pending row out, to be written with [`write`]. Their handles stay known:
    /// a later line asking for one of them is written at once too, where the database gives it
    /// its suffix, instead of being recorded and certain to be skipped.
    pub(crate) fn take_rows(&mut self) -> Vec<Recorded> {
        self.line_start = 0;
        std::mem::take(&mut self.rows)
    }
}

/// Writes recorded rows in `conn`'s transaction.
pub(crate) async fn write(
    conn: &mut AnyConnection,
    dialect: Dialect,
    rows: &[Recorded],
) -> CatalogResult<Flushed> {
    for batch in rows.chunks(ROWS_PER_INSERT) {
        let sql = insert_statement(dialect, batch.len());
        let mut query = sqlx::query(&sql);
        for recorded in batch {
            query = bind_row(query.bind(recorded.row.id), recorded.shop, &recorded.row);
        }
        match query.execute(&mut *conn).await {
            Ok(written) if written.rows_affected() == batch.len() as u64 => {}
            Ok(_) => {
                if settle_skipped(conn, dialect, batch).await? == Flushed::Wrong {
                    return Ok(Flushed::Wrong);
                }
            }
            Err(error) if stevedore_store::is_caused_by_values(&error) => {
                return Ok(Flushed::Wrong)
            }
            Err(error) => return Err(error.into()),
        }
        // Every product made without options has the default option, value and variant.
        let ids: Vec<i64> = batch
            .iter()
            .filter(|recorded| recorded.shape.is_none())
            .map(|recorded| recorded.row.id)
            .collect();
        crate::shape::insert_defaults(conn, &ids).await?;
        let shapes: Vec<(ShopId, &Shape)> = batch
            .iter()
            .filter_map(|recorded| Some((recorded.shop, recorded.shape.as_deref()?)))
            .collect();
        crate::shape::insert_new(conn, dialect, &shapes).await?;
        let metafields: Vec<(ShopId, &RecordedMetafield)> = batch
            .iter()
            .flat_map(|recorded| {
                let shop = recorded.shop;
                recorded
                    .metafields
                    .iter()
                    .map(move |metafield| (shop, metafield))
            })
            .collect();
        crate::metafield::mutation::insert_new(conn, dialect, &metafields).await?;
    }
    Ok(Flushed::Written)
}

/// Finds the rows of `batch` the insert skipped (their handles were taken) and writes them
/// with free suffixes, if none of them had its handle promised.
///
/// In bulk, because a re-import meets a taken handle on every line: one counter step per
/// handle base for all of the batch's rows with that base, one multi-row insert, and the
/// one-by-one path only for a row whose suffixed handle turns out taken as well (given
/// explicitly to another product, or written meanwhile by another transaction on Postgres).
async fn settle_skipped(
    conn: &mut AnyConnection,
    dialect: Dialect,
    batch: &[Recorded],
) -> CatalogResult<Flushed> {
    let skipped = skipped_rows(conn, dialect, batch).await?;
    if skipped
        .iter()
        .any(|&index| batch[index].handle == Handle::Promised)
    {
        return Ok(Flushed::Wrong);
    }
    if skipped.is_empty() {
        return Ok(Flushed::Written);
    }
    let skipped: Vec<&Recorded> = skipped.into_iter().map(|index| &batch[index]).collect();
    let suffixed = with_next_suffixes(conn, dialect, &skipped).await?;
    let sql = insert_statement(dialect, suffixed.len());
    let mut query = sqlx::query(&sql);
    for recorded in &suffixed {
        query = bind_row(query.bind(recorded.row.id), recorded.shop, &recorded.row);
    }
    if query.execute(&mut *conn).await?.rows_affected() == suffixed.len() as u64 {
        return Ok(Flushed::Written);
    }
    for index in skipped_rows(conn, dialect, &suffixed).await? {
        let mut row = skipped[index].row.clone();
        let base = std::mem::take(&mut row.handle);
        row.insert_with_free_suffix(skipped[index].shop, conn, &base)
            .await?;
    }
    Ok(Flushed::Written)
}

/// The positions in `rows` of the rows the database does not have (by their reserved ids).
async fn skipped_rows(
    conn: &mut AnyConnection,
    dialect: Dialect,
    rows: &[Recorded],
) -> CatalogResult<Vec<usize>> {
    let mut sql = "SELECT id FROM products WHERE id IN (".to_owned();
    push_placeholders(&mut sql, dialect, 1, rows.len());
    sql.push(')');
    let mut query = sqlx::query_scalar::<_, i64>(&sql);
    for recorded in rows {
        query = query.bind(recorded.row.id);
    }
    let written: HashSet<i64> = query.fetch_all(&mut *conn).await?.into_iter().collect();
    Ok((0..rows.len())
        .filter(|&index| !written.contains(&rows[index].row.id))
        .collect())
}

/// Copies of `rows` whose handles are the next free numbers of their stems (`board` →
/// `board-1`, `board-41` → `board-42`, see [`crate::handle::unique_handle`]): the per-stem
/// counters of `handle_sequences` are first raised to the highest number the rows carry (only
/// when one carries a number), then moved by as many rows as ask for each stem, each in one
/// statement, as many one-row steps would have moved them. The stems go in sorted, so that two
/// Postgres transactions settling the same stems lock their counters in the same order.
async fn with_next_suffixes(
    conn: &mut AnyConnection,
    dialect: Dialect,
    rows: &[&Recorded],
) -> CatalogResult<Vec<Recorded>> {
    // Per stem: how many rows ask, and the highest number they carry.
    let mut wanted: BTreeMap<(ShopId, &str), (i64, i64)> = BTreeMap::new();
    for recorded in rows {
        let (stem, number) = split_tail(&recorded.row.handle);
        let entry = wanted.entry((recorded.shop, stem)).or_default();
        entry.0 += 1;
        entry.1 = entry.1.max(i64::try_from(number).unwrap_or(i64::MAX / 2));
    }
    let upsert = |update: &str, returning: &str| {
        let mut sql =
            "INSERT INTO handle_sequences (shop_id, kind, base, last_suffix) VALUES ".to_owned();
        for row in 0..wanted.len() {
            if row > 0 {
                sql.push(',');
            }
            sql.push('(');
            push_placeholders(&mut sql, dialect, row * 4 + 1, 4);
            sql.push(')');
        }
        sql.push_str(" ON CONFLICT (shop_id, kind, base) DO UPDATE SET last_suffix = ");
        sql.push_str(update);
        sql.push_str(returning);
        sql
    };
    if wanted.values().any(|&(_, floor)| floor > 0) {
        let sql = upsert(
            "CASE WHEN handle_sequences.last_suffix > excluded.last_suffix
                  THEN handle_sequences.last_suffix ELSE excluded.last_suffix END",
            "",
        );
        let mut query = sqlx::query(&sql);
        for (&(shop, stem), &(_, floor)) in &wanted {
            query = query
                .bind(shop.0)
                .bind(HandleTable::Products.name())
                .bind(stem)
                .bind(floor);
        }
        query.execute(&mut *conn).await?;
    }
    let sql = upsert(
        "handle_sequences.last_suffix + excluded.last_suffix",
        " RETURNING shop_id, base, last_suffix",
    );
    let mut query = sqlx::query_as::<_, (i64, String, i64)>(&sql);
    for (&(shop, stem), &(count, _)) in &wanted {
        query = query
            .bind(shop.0)
            .bind(HandleTable::Products.name())
            .bind(stem)
            .bind(count);
    }
    // The next number to give out per stem: the counter's new value less the rows asking.
    let mut next: HashMap<(ShopId, String), i64> = HashMap::new();
    for (shop, stem, last) in query.fetch_all(&mut *conn).await? {
        let (count, _) = wanted[&(ShopId(shop), stem.as_str())];
        next.insert((ShopId(shop), stem), last - count + 1);
    }
    rows.iter()
        .map(|recorded| {
            let (stem, _) = split_tail(&recorded.row.handle);
            let key = (recorded.shop, stem.to_owned());
            let number = next.get_mut(&key).ok_or_else(|| CatalogError::NoSuffix {
                base: key.1.clone(),
            })?;
            let mut row = recorded.row.clone();
            row.handle = format!("{}-{number}", key.1);
            *number += 1;
            Ok(Recorded {
                shop: recorded.shop,
                row,
                handle: Handle::Open,
                shape: None,
                metafields: Vec::new(),
            })
        })
        .collect()
}

/// `INSERT … VALUES ($1, …), (…) ON CONFLICT (shop_id, handle) DO NOTHING` for `rows` rows: a
/// skipped row is missing from the count of rows inserted. (Counting costs nothing; returning
/// every inserted id cost a row handed back from the driver's thread per product.)
///
/// SQLite gets anonymous `?` placeholders: the driver looks up each numbered one by name, and
/// SQLite's name lookup walks every parameter, which made a 500-row insert cost more than the
/// rows' whole execution.
fn insert_statement(dialect: Dialect, rows: usize) -> String {
    let columns = format!("id, {ROW_COLUMNS}");
    let mut sql = multi_row_insert(dialect, "products", &columns, VALUES_PER_ROW, rows);
    sql.push_str(" ON CONFLICT (shop_id, handle) DO NOTHING");
    sql
}

/// The tables whose new rows a chunk records, by the ids it reserves for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Table {
    Products,
    Options,
    Values,
    Variants,
    Metafields,
}

impl Table {
    const ALL: [Table; 5] = [
        Table::Products,
        Table::Options,
        Table::Values,
        Table::Variants,
        Table::Metafields,
    ];

    fn name(self) -> &'static str {
        match self {
            Table::Products => "products",
            Table::Options => "product_options",
            Table::Values => "product_option_values",
            Table::Variants => "product_variants",
            Table::Metafields => "metafields",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Ids reserved at once per table: one short write transaction serves a chunk of the default
/// size.
const IDS_PER_RESERVATION: usize = 4096;

/// Ids of new rows, reserved ahead per table and not yet given out, shared by a process's
/// chunks. An id given to a line whose chunk is then rolled back, or left here when the process
/// ends, is a gap, as a rolled-back insert leaves in a sequence.
#[derive(Debug, Clone, Default)]
pub struct ReservedIds(Arc<Mutex<[VecDeque<i64>; Table::ALL.len()]>>);

impl ReservedIds {
    fn pools(&self) -> std::sync::MutexGuard<'_, [VecDeque<i64>; Table::ALL.len()]> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `wanted` ids of each table, all of them or (when a pool runs short) none: the tables
    /// short of ids come back instead.
    pub(crate) fn take(
        &self,
        wanted: &[(Table, usize)],
    ) -> Result<Vec<Vec<i64>>, Vec<(Table, usize)>> {
        let mut pools = self.pools();
        let short: Vec<(Table, usize)> = wanted
            .iter()
            .copied()
            .filter(|&(table, count)| pools[table.index()].len() < count)
            .collect();
        if !short.is_empty() {
            return Err(short);
        }
        Ok(wanted
            .iter()
            .map(|&(table, count)| pools[table.index()].drain(..count).collect())
            .collect())
    }

    /// Reserves a block for each of `short` (at least as many as it asks) in a transaction of
    /// its own, committed before any of its ids is used: ids that reached a pool are never
    /// handed out by the database again.
    pub(crate) async fn reserve(
        &self,
        store: &stevedore_store::Store,
        short: &[(Table, usize)],
    ) -> CatalogResult<()> {
        let mut transaction = store.begin_write().await?;
        let mut reserved = Vec::with_capacity(short.len());
        for &(table, count) in short {
            let count = count.max(IDS_PER_RESERVATION);
            reserved.push((
                table,
                reserve_ids(&mut transaction, store.dialect(), table, count).await?,
            ));
        }
        transaction.commit().await?;
        let mut pools = self.pools();
        for (table, ids) in reserved {
            pools[table.index()].extend(ids);
        }
        Ok(())
    }
}

/// Reserves `count` ids of `table`, in `conn`'s transaction. On SQLite the reservation moves
/// the table's AUTOINCREMENT counter past the block (a write: the transaction must hold the
/// write lock), so no insert elsewhere takes an id of it; on Postgres it draws from the
/// identity's sequence.
async fn reserve_ids(
    conn: &mut AnyConnection,
    dialect: Dialect,
    table: Table,
    count: usize,
) -> CatalogResult<Vec<i64>> {
    let count = count.max(1) as i64;
    let name = table.name();
    match dialect {
        Dialect::Sqlite => {
            // The counter's row appears with the table's first insert; a new database has none.
            // (The table name is one of `Table`'s, never input.)
            sqlx::query(&format!(
                "INSERT INTO sqlite_sequence (name, seq)
                 SELECT '{name}', COALESCE((SELECT MAX(id) FROM {name}), 0)
                 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = '{name}')"
            ))
            .execute(&mut *conn)
            .await?;
            let last: i64 = sqlx::query_scalar(
                "UPDATE sqlite_sequence SET seq = seq + $1 WHERE name = $2 RETURNING seq",
            )
            .bind(count)
            .bind(name)
            .fetch_one(&mut *conn)
            .await?;
            Ok((last - count + 1..=last).collect())
        }
        Dialect::Postgres => sqlx::query_scalar(
            "SELECT nextval(pg_get_serial_sequence($2, 'id')) FROM generate_series(1, $1)",
        )
        .bind(count)
        .bind(name)
        .fetch_all(&mut *conn)
        .await
        .map_err(Into::into),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_every_value_of_every_row() {
        let sql = insert_statement(Dialect::Postgres, 2);
        assert!(sql.contains("($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15),($16,"));
        assert!(sql.ends_with("($16,$17,$18,$19,$20,$21,$22,$23,$24,$25,$26,$27,$28,$29,$30) ON CONFLICT (shop_id, handle) DO NOTHING"));
        let sql = insert_statement(Dialect::Sqlite, 2);
        assert!(sql.contains("VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?),(?,"));
    }
}
