//! Handles: URL-safe names derived from titles, unique per shop.

use crate::error::CatalogResult;
use stevedore_core::ShopId;
use stevedore_store::{AnyConnection, Dialect};

/// `"Sweet new snowboard 1!"` → `"sweet-new-snowboard-1"`.
pub fn parameterize(title: &str) -> String {
    let mut handle = String::with_capacity(title.len());
    let mut pending_dash = false;
    for character in title.chars().flat_map(char::to_lowercase) {
        if character.is_alphanumeric() {
            if pending_dash && !handle.is_empty() {
                handle.push('-');
            }
            pending_dash = false;
            handle.push(character);
        } else {
            pending_dash = true;
        }
    }
    handle
}

/// Which catalog table a handle belongs to.
#[derive(Clone, Copy, Debug)]
pub enum HandleTable {
    Products,
    Collections,
}

impl HandleTable {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Products => "products",
            Self::Collections => "collections",
        }
    }
}

/// Whether the shop already has `handle` in `table` (one index lookup).
pub async fn is_taken(
    conn: &mut AnyConnection,
    table: HandleTable,
    shop: ShopId,
    handle: &str,
) -> CatalogResult<bool> {
    let sql = match table {
        HandleTable::Products => "SELECT 1 FROM products WHERE shop_id = $1 AND handle = $2",
        HandleTable::Collections => "SELECT 1 FROM collections WHERE shop_id = $1 AND handle = $2",
    };
    let found: Option<i64> = sqlx::query_scalar(sql)
        .bind(shop.0)
        .bind(handle)
        .fetch_optional(conn)
        .await?;
    Ok(found.is_some())
}

/// A handle split at its numeric tail, as the hosted API reads it to find the next free one:
/// `board-41` is `board` and 41 (the next is `board-42`), `board` is `board` and 0 (the next is
/// `board-1`). A tail of more than 15 digits is part of the stem: counting on from it could
/// run past what the database's integers hold.
pub fn split_tail(handle: &str) -> (&str, u64) {
    if let Some((stem, digits)) = handle.rsplit_once('-') {
        let is_number =
            (1..=15).contains(&digits.len()) && digits.bytes().all(|byte| byte.is_ascii_digit());
        if is_number && !stem.is_empty() {
            if let Ok(number) = digits.parse::<u64>() {
                return (stem, number);
            }
        }
    }
    (handle, 0)
}

/// `base` if it is free; else, as the hosted API does, the next number after its numeric tail
/// that is free (`board` → `board-1`, `board-41` → `board-42`).
///
/// A per-stem counter in `handle_sequences` remembers the highest number handed out, so a
/// thousand products with one title cost a thousand counter steps, not a thousand probes each.
/// The next number is taken as the hosted API takes it when it is free; when it is not (the
/// counter is past it, or products already hold the numbers above it), the handle goes above
/// the highest number any product of the stem holds — what the hosted API's one-by-one search
/// finds too wherever those numbers run without gaps.
pub async fn unique_handle(
    conn: &mut AnyConnection,
    table: HandleTable,
    shop: ShopId,
    base: &str,
) -> CatalogResult<String> {
    if !is_taken(&mut *conn, table, shop, base).await? {
        return Ok(base.to_owned());
    }
    let (stem, tail) = split_tail(base);
    let mut floor = tail;
    loop {
        let number = next_number(&mut *conn, table, shop, stem, floor).await?;
        let candidate = format!("{stem}-{number}");
        if !is_taken(&mut *conn, table, shop, &candidate).await? {
            return Ok(candidate);
        }
        // Taken: products hold numbers the counter has not seen (given explicitly, or made
        // before the counter existed). Go above all of them at once.
        let dialect = Dialect::of(conn);
        floor = highest_number(&mut *conn, dialect, table, shop, stem)
            .await?
            .max(number);
    }
}

/// Moves the stem's counter to one past the larger of itself and `floor`, and returns it.
async fn next_number(
    conn: &mut AnyConnection,
    table: HandleTable,
    shop: ShopId,
    stem: &str,
    floor: u64,
) -> CatalogResult<u64> {
    let floor = i64::try_from(floor).unwrap_or(i64::MAX - 1);
    let number: i64 = sqlx::query_scalar(
        "INSERT INTO handle_sequences (shop_id, kind, base, last_suffix) VALUES ($1, $2, $3, $4 + 1)
         ON CONFLICT (shop_id, kind, base) DO UPDATE SET last_suffix =
            CASE WHEN handle_sequences.last_suffix > excluded.last_suffix - 1
                 THEN handle_sequences.last_suffix ELSE excluded.last_suffix - 1 END + 1
         RETURNING last_suffix",
    )
    .bind(shop.0)
    .bind(table.name())
    .bind(stem)
    .bind(floor)
    .fetch_one(&mut *conn)
    .await?;
    Ok(number.max(0) as u64)
}

/// The highest number any of the shop's handles in `table` carries after `stem-` (0 if none).
/// A lookup of the handles that start so: it runs only when a numbered handle turned out taken.
/// The prefix match differs by dialect so that an index serves it: GLOB (case-sensitive, served
/// by the unique index) on SQLite, LIKE (served by the catalog's `text_pattern_ops` index) on
/// Postgres. Handles hold letters, digits and dashes only, so neither pattern needs escapes.
pub(crate) async fn highest_number(
    conn: &mut AnyConnection,
    dialect: Dialect,
    table: HandleTable,
    shop: ShopId,
    stem: &str,
) -> CatalogResult<u64> {
    let (operator, pattern) = match dialect {
        Dialect::Sqlite => ("GLOB", format!("{stem}-*")),
        Dialect::Postgres => ("LIKE", format!("{stem}-%")),
    };
    let sql = format!(
        "SELECT handle FROM {} WHERE shop_id = $1 AND handle {operator} $2",
        table.name()
    );
    let handles: Vec<String> = sqlx::query_scalar(&sql)
        .bind(shop.0)
        .bind(pattern)
        .fetch_all(conn)
        .await?;
    Ok(handles
        .iter()
        .filter_map(|handle| {
            let (found_stem, number) = split_tail(handle);
            (found_stem == stem).then_some(number)
        })
        .max()
        .unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameterizes_titles() {
        assert_eq!(
            parameterize("Sweet new snowboard 1"),
            "sweet-new-snowboard-1"
        );
        assert_eq!(parameterize("  Ski & Snow -- Wax!! "), "ski-snow-wax");
        assert_eq!(parameterize("Été"), "été");
    }

    #[test]
    fn numeric_tails_are_split_off() {
        assert_eq!(split_tail("board-41"), ("board", 41));
        assert_eq!(split_tail("board"), ("board", 0));
        assert_eq!(split_tail("board-5-1"), ("board-5", 1));
        assert_eq!(split_tail("iphone-15-pro"), ("iphone-15-pro", 0));
        assert_eq!(split_tail("-7"), ("-7", 0));
        assert_eq!(split_tail("board-"), ("board-", 0));
        assert_eq!(
            split_tail("sku-99999999999999999999999"),
            ("sku-99999999999999999999999", 0)
        );
        assert_eq!(
            split_tail("sku-999999999999999"),
            ("sku", 999_999_999_999_999)
        );
        assert_eq!(
            split_tail("sku-1000000000000000"),
            ("sku-1000000000000000", 0)
        );
    }
}
