//! Handles: URL-safe names derived from titles, unique per shop.

use crate::error::CatalogResult;
use stevedore_core::ShopId;
use stevedore_store::AnyConnection;

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

/// `base` if it is free, else `base-N` with N from a per-base counter: a thousand products with
/// one title cost a thousand counter steps, not a scan of every earlier handle each.
pub async fn unique_handle(
    conn: &mut AnyConnection,
    table: HandleTable,
    shop: ShopId,
    base: &str,
) -> CatalogResult<String> {
    if !is_taken(&mut *conn, table, shop, base).await? {
        return Ok(base.to_owned());
    }
    loop {
        let suffix: i64 = sqlx::query_scalar(
            "INSERT INTO handle_sequences (shop_id, kind, base, last_suffix) VALUES ($1, $2, $3, 1)
             ON CONFLICT (shop_id, kind, base) DO UPDATE SET last_suffix = handle_sequences.last_suffix + 1
             RETURNING last_suffix",
        )
        .bind(shop.0)
        .bind(table.name())
        .bind(base)
        .fetch_one(&mut *conn)
        .await?;
        let candidate = format!("{base}-{suffix}");
        // A handle given explicitly may already hold this suffix; take the next one.
        if !is_taken(&mut *conn, table, shop, &candidate).await? {
            return Ok(candidate);
        }
    }
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
}
