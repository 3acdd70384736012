//! The `media` table: a product's media rows in their order, and the statements that add,
//! change, reorder and delete them.

use crate::error::CatalogResult;
use stevedore_core::ShopId;
use stevedore_store::AnyConnection;

#[derive(sqlx::FromRow, Debug, Clone, PartialEq)]
pub(crate) struct MediaRow {
    pub(crate) id: i64,
    pub(crate) product_id: Option<i64>,
    /// 1-based among the product's media.
    pub(crate) position: i64,
    pub(crate) content_type: String,
    pub(crate) alt: String,
    pub(crate) original_source: String,
    pub(crate) filename: Option<String>,
    /// Its `ProductImage` id where that is not its own (a restored item's).
    pub(crate) image_id: Option<i64>,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
}

const COLUMNS: &str = "id, product_id, position, content_type, alt, original_source, filename, \
     image_id, created_at, updated_at";

/// A media item to add: what its input gave.
#[derive(Debug, Clone)]
pub(crate) struct NewMedia {
    pub(crate) content_type: &'static str,
    pub(crate) alt: String,
    pub(crate) original_source: String,
    pub(crate) filename: Option<String>,
}

/// The media of product `product` of `shop`, in their order.
pub(crate) async fn of_product(
    conn: &mut AnyConnection,
    shop: ShopId,
    product: i64,
) -> CatalogResult<Vec<MediaRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM media WHERE shop_id = $1 AND product_id = $2 ORDER BY position, id"
    );
    Ok(sqlx::query_as(&sql)
        .bind(shop.0)
        .bind(product)
        .fetch_all(conn)
        .await?)
}

/// The media item `id` of `shop`, on a product or not.
pub(crate) async fn find(
    conn: &mut AnyConnection,
    shop: ShopId,
    id: i64,
) -> CatalogResult<Option<MediaRow>> {
    let sql = format!("SELECT {COLUMNS} FROM media WHERE shop_id = $1 AND id = $2");
    Ok(sqlx::query_as(&sql)
        .bind(shop.0)
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

/// The media item attached to variant `variant` of `shop`, if it has one.
pub(crate) async fn of_variant(
    conn: &mut AnyConnection,
    shop: ShopId,
    variant: i64,
) -> CatalogResult<Option<MediaRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM media WHERE shop_id = $1
         AND id = (SELECT media_id FROM product_variants WHERE shop_id = $1 AND id = $2)"
    );
    Ok(sqlx::query_as(&sql)
        .bind(shop.0)
        .bind(variant)
        .fetch_optional(conn)
        .await?)
}

/// Adds `media` after product `product`'s last (or, with no product, as files of the shop's).
pub(crate) async fn append(
    conn: &mut AnyConnection,
    shop: ShopId,
    product: Option<i64>,
    media: &[NewMedia],
    now: i64,
) -> CatalogResult<Vec<MediaRow>> {
    let last: Option<i64> = match product {
        Some(product) => {
            sqlx::query_scalar("SELECT MAX(position) FROM media WHERE product_id = $1")
                .bind(product)
                .fetch_one(&mut *conn)
                .await?
        }
        None => None,
    };
    let sql = format!(
        "INSERT INTO media (shop_id, product_id, position, content_type, alt, original_source,
             filename, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING {COLUMNS}"
    );
    let mut written = Vec::with_capacity(media.len());
    for (index, item) in media.iter().enumerate() {
        let row: MediaRow = sqlx::query_as(&sql)
            .bind(shop.0)
            .bind(product)
            .bind(last.unwrap_or(0) + index as i64 + 1)
            .bind(item.content_type)
            .bind(item.alt.as_str())
            .bind(item.original_source.as_str())
            .bind(item.filename.as_deref())
            .bind(now)
            .fetch_one(&mut *conn)
            .await?;
        written.push(row);
    }
    Ok(written)
}

/// Writes the alt text of `row` (already changed in memory).
pub(crate) async fn update_alt(conn: &mut AnyConnection, row: &MediaRow) -> CatalogResult<()> {
    sqlx::query("UPDATE media SET alt = $1, updated_at = $2 WHERE id = $3")
        .bind(row.alt.as_str())
        .bind(row.updated_at)
        .bind(row.id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes `ids`, then numbers what is left of the product's media 1, 2, … in order.
pub(crate) async fn delete(
    conn: &mut AnyConnection,
    shop: ShopId,
    product: i64,
    ids: &[i64],
) -> CatalogResult<()> {
    for id in ids {
        sqlx::query("DELETE FROM media WHERE id = $1 AND shop_id = $2")
            .bind(*id)
            .bind(shop.0)
            .execute(&mut *conn)
            .await?;
    }
    let left: Vec<i64> = of_product(&mut *conn, shop, product)
        .await?
        .into_iter()
        .map(|row| row.id)
        .collect();
    put_in_order(conn, &left).await
}

/// Numbers `ids` (one product's media) 1, 2, … in the order given.
pub(crate) async fn put_in_order(conn: &mut AnyConnection, ids: &[i64]) -> CatalogResult<()> {
    for (index, id) in ids.iter().enumerate() {
        sqlx::query("UPDATE media SET position = $1 WHERE id = $2")
            .bind(index as i64 + 1)
            .bind(*id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Writes restored media of product `product` with their ids, in their order.
pub(crate) async fn insert_restored(
    conn: &mut AnyConnection,
    shop: ShopId,
    product: i64,
    media: &[crate::restore::RestoredMedia],
    now: i64,
) -> CatalogResult<()> {
    for (index, item) in media.iter().enumerate() {
        sqlx::query(
            "INSERT INTO media (id, shop_id, product_id, position, content_type, alt,
                 original_source, image_id, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
        )
        .bind(item.id)
        .bind(shop.0)
        .bind(product)
        .bind(index as i64 + 1)
        .bind(item.content_type.as_str())
        .bind(item.alt.as_str())
        .bind(item.original_source.as_str())
        .bind(item.image_id.filter(|image| *image != item.id))
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Copies the media of product `from` onto product `to` (after its own), as new items.
pub(crate) async fn copy(
    conn: &mut AnyConnection,
    shop: ShopId,
    from: i64,
    to: i64,
    now: i64,
) -> CatalogResult<()> {
    let media: Vec<NewMedia> = of_product(&mut *conn, shop, from)
        .await?
        .into_iter()
        .map(|row| NewMedia {
            content_type: super::MediaContentType::from_stored(&row.content_type).stored(),
            alt: row.alt,
            original_source: row.original_source,
            filename: row.filename,
        })
        .collect();
    append(conn, shop, Some(to), &media, now).await?;
    Ok(())
}
