//! Products a bulk chunk has answered for but not yet written.
//!
//! A bulk line's `productCreate` needs no database to answer: the row is what was sent, its id
//! comes from a block reserved for the chunk, and its handle is the one the title asks for. So
//! a chunk records the rows and writes them together, in multi-row inserts, before the chunk's
//! next statement or its commit. Sending one statement per line cost more than the rest of the
//! line's work together (a hand-off to the driver's thread and back each), and without any
//! statement a chunk needs the write lock only for its short flush, so chunks execute side by
//! side on every core.
//!
//! The handle is assumed free. The flush finds out. A row the database skips had its handle
//! taken: if the row's answer did not show its handle and the handle came from the title, the
//! row gets its suffix there and then (a re-import of titles the shop already has would
//! otherwise run line by line). Otherwise, and for a value the database refuses, some line's
//! answer was wrong, and the chunk is run again writing line by line, where the taken handle
//! gets its suffix (or its line's error) and the refused value its line's error.

use crate::error::{CatalogError, CatalogResult};
use crate::handle::{split_tail, HandleTable};
use crate::product::{bind_row, HandleFrom, ProductRow, ROW_COLUMNS, ROW_VALUES};
use crate::sql::push_placeholders;
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
        let ids: Vec<i64> = batch.iter().map(|recorded| recorded.row.id).collect();
        crate::shape::insert_defaults(conn, &ids).await?;
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
    let mut sql = String::with_capacity(ROW_COLUMNS.len() + rows * VALUES_PER_ROW * 7 + 128);
    sql.push_str("INSERT INTO products (id, ");
    sql.push_str(ROW_COLUMNS);
    sql.push_str(") VALUES ");
    for row in 0..rows {
        if row > 0 {
            sql.push(',');
        }
        sql.push('(');
        push_placeholders(&mut sql, dialect, row * VALUES_PER_ROW + 1, VALUES_PER_ROW);
        sql.push(')');
    }
    sql.push_str(" ON CONFLICT (shop_id, handle) DO NOTHING");
    sql
}

/// Ids reserved at once: one short write transaction serves a chunk of the default size.
const IDS_PER_RESERVATION: usize = 4096;

/// Product ids reserved ahead and not yet given out, shared by a process's chunks. An id given
/// to a line whose chunk is then rolled back, or left here when the process ends, is a gap, as
/// a rolled-back insert leaves in a sequence.
#[derive(Debug, Clone, Default)]
pub struct ProductIds(Arc<Mutex<VecDeque<i64>>>);

impl ProductIds {
    fn ids(&self) -> std::sync::MutexGuard<'_, VecDeque<i64>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The next reserved id, if one is left.
    pub(crate) fn take(&self) -> Option<i64> {
        self.ids().pop_front()
    }

    /// Reserves a block in a transaction of its own, committed before any of its ids is used:
    /// ids that reached this pool are never handed out by the database again.
    pub(crate) async fn reserve(&self, store: &stevedore_store::Store) -> CatalogResult<()> {
        let mut transaction = store.begin_write().await?;
        let ids = reserve_ids(&mut transaction, store.dialect(), IDS_PER_RESERVATION).await?;
        transaction.commit().await?;
        self.ids().extend(ids);
        Ok(())
    }
}

/// Reserves `count` product ids, in `conn`'s transaction. On SQLite the reservation moves the
/// table's AUTOINCREMENT counter past the block (a write: the transaction must hold the write
/// lock), so no insert elsewhere takes an id of it; on Postgres it draws from the identity's
/// sequence.
async fn reserve_ids(
    conn: &mut AnyConnection,
    dialect: Dialect,
    count: usize,
) -> CatalogResult<Vec<i64>> {
    let count = count.max(1) as i64;
    match dialect {
        Dialect::Sqlite => {
            // The counter's row appears with the table's first insert; a new database has none.
            sqlx::query(
                "INSERT INTO sqlite_sequence (name, seq)
                 SELECT 'products', COALESCE((SELECT MAX(id) FROM products), 0)
                 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'products')",
            )
            .execute(&mut *conn)
            .await?;
            let last: i64 = sqlx::query_scalar(
                "UPDATE sqlite_sequence SET seq = seq + $1 WHERE name = 'products' RETURNING seq",
            )
            .bind(count)
            .fetch_one(&mut *conn)
            .await?;
            Ok((last - count + 1..=last).collect())
        }
        Dialect::Postgres => sqlx::query_scalar(
            "SELECT nextval(pg_get_serial_sequence('products', 'id')) FROM generate_series(1, $1)",
        )
        .bind(count)
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
