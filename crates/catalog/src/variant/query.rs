//! `productVariant(id:)`, `productVariants(query:)` and `inventoryItem(id:)`.

use super::{InventoryItem, ProductVariant};
use crate::db::CatalogDb;
use crate::paging::{Count, IdCursor, Window};
use crate::product::mutation::shop;
use async_graphql::connection::Connection;
use async_graphql::{Context, Object, ID};
use futures::FutureExt;
use std::sync::Arc;
use stevedore_core::{Gid, RequireScope, ShopId};

/// The variant `id` of `shop`, with its product's shape.
pub(crate) async fn find(
    db: &CatalogDb,
    shop: ShopId,
    id: i64,
) -> async_graphql::Result<Option<ProductVariant>> {
    find_by(db, shop, id, "id = $1").await
}

/// The variant whose inventory item has id `id`.
pub(crate) async fn find_item(
    db: &CatalogDb,
    shop: ShopId,
    id: i64,
) -> async_graphql::Result<Option<ProductVariant>> {
    find_by(
        db,
        shop,
        id,
        "(inventory_item_id = $1 OR (inventory_item_id IS NULL AND id = $1))",
    )
    .await
}

/// The variant that `condition` (on `$1`, `id`) finds.
async fn find_by(
    db: &CatalogDb,
    shop: ShopId,
    id: i64,
    condition: &'static str,
) -> async_graphql::Result<Option<ProductVariant>> {
    let found = db
        .read(move |conn| {
            async move {
                let sql = format!(
                    "SELECT id, product_id FROM product_variants WHERE {condition} AND shop_id = $2"
                );
                let found: Option<(i64, i64)> = sqlx::query_as(&sql)
                    .bind(id)
                    .bind(shop.0)
                    .fetch_optional(&mut *conn)
                    .await?;
                match found {
                    Some((variant, product)) => Ok(Some((
                        variant,
                        crate::shape::load(conn, shop, product).await?,
                    ))),
                    None => Ok(None),
                }
            }
            .boxed()
        })
        .await?;
    Ok(found.and_then(|(variant, shape)| ProductVariant::with_id(&Arc::new(shape), variant)))
}

/// `productVariants(query:)`: the terms this catalog answers, as a `WHERE` fragment binding
/// from `$first_bind` on. Other terms are ignored, as the hosted search ignores unknown fields.
fn variant_filter(query: Option<&str>, first_bind: usize) -> (String, Vec<String>) {
    let mut clauses = Vec::new();
    let mut values = Vec::new();
    for term in stevedore_core::search::parse(query.unwrap_or_default()) {
        if term.comparator != stevedore_core::search::Comparator::Equals {
            continue;
        }
        let column = match term
            .field
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("sku") => "sku",
            Some("barcode") => "barcode",
            Some("product_id") => "CAST(product_id AS TEXT)",
            None | Some("title") => "LOWER(COALESCE(option1, ''))",
            _ => continue,
        };
        clauses.push(format!("{column} = ${}", first_bind + values.len()));
        values.push(if column.starts_with("LOWER") {
            term.value.to_lowercase()
        } else {
            term.value.clone()
        });
    }
    if clauses.is_empty() {
        ("TRUE".to_owned(), values)
    } else {
        (clauses.join(" AND "), values)
    }
}

#[derive(Default)]
pub struct VariantQuery;

#[Object]
impl VariantQuery {
    /// A variant of this shop by id.
    #[graphql(guard = "RequireScope::new(\"productVariant\", \"read_products\")")]
    async fn product_variant(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<ProductVariant>> {
        let Ok(id) = Gid::parse_as(&id, "ProductVariant") else {
            return Ok(None);
        };
        find(ctx.data::<CatalogDb>()?, shop(ctx)?, id).await
    }

    /// An inventory item of this shop by id (a variant's item has the variant's id unless it
    /// was restored with one of its own).
    #[graphql(guard = "RequireScope::new(\"inventoryItem\", \"read_products\")")]
    async fn inventory_item(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<InventoryItem>> {
        let Ok(id) = Gid::parse_as(&id, "InventoryItem") else {
            return Ok(None);
        };
        Ok(find_item(ctx.data::<CatalogDb>()?, shop(ctx)?, id)
            .await?
            .map(InventoryItem))
    }

    /// This shop's variants in id order, those the `query` matches (`sku:`, `barcode:`,
    /// `product_id:`).
    #[allow(clippy::too_many_arguments)]
    #[graphql(guard = "RequireScope::new(\"productVariants\", \"read_products\")")]
    async fn product_variants(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        #[graphql(default_with = "Some(false)")] reverse: Option<bool>,
        query: Option<String>,
    ) -> async_graphql::Result<Connection<IdCursor, ProductVariant>> {
        let reverse = reverse.unwrap_or(false);
        let window = Window::from_arguments(first, last, after, before, reverse)?;
        let shop = shop(ctx)?;
        let (filter, values) = variant_filter(query.as_deref(), 5);
        let sql = format!(
            "SELECT id, product_id FROM product_variants WHERE shop_id = $1 AND {filter} AND {}",
            window.sql()
        );
        let (after, before, limit) = (window.after, window.before, window.limit + 1);
        let (ids, shapes) = ctx
            .data::<CatalogDb>()?
            .read(move |conn| {
                async move {
                    let mut query = sqlx::query_as::<_, (i64, i64)>(&sql)
                        .bind(shop.0)
                        .bind(after)
                        .bind(before)
                        .bind(limit);
                    for value in values {
                        query = query.bind(value);
                    }
                    let ids = query.fetch_all(&mut *conn).await?;
                    let mut products: Vec<i64> = ids.iter().map(|(_, product)| *product).collect();
                    products.sort_unstable();
                    products.dedup();
                    let shapes = crate::shape::load_many(conn, shop, &products).await?;
                    Ok((ids, shapes))
                }
                .boxed()
            })
            .await?;
        let shapes: std::collections::HashMap<i64, Arc<crate::shape::Shape>> = shapes
            .into_iter()
            .map(|(id, shape)| (id, Arc::new(shape)))
            .collect();
        let variants = ids
            .into_iter()
            .filter_map(|(id, product)| ProductVariant::with_id(shapes.get(&product)?, id))
            .collect();
        Ok(window.page(variants, |variant| variant.row().id))
    }

    /// How many variants this shop has (the `query` as `productVariants` reads it).
    #[graphql(guard = "RequireScope::new(\"productVariantsCount\", \"read_products\")")]
    async fn product_variants_count(
        &self,
        ctx: &Context<'_>,
        query: Option<String>,
    ) -> async_graphql::Result<Count> {
        let shop = shop(ctx)?;
        let (filter, values) = variant_filter(query.as_deref(), 2);
        let sql = format!("SELECT COUNT(*) FROM product_variants WHERE shop_id = $1 AND {filter}");
        let count = ctx
            .data::<CatalogDb>()?
            .read(move |conn| {
                async move {
                    let mut query = sqlx::query_scalar::<_, i64>(&sql).bind(shop.0);
                    for value in values {
                        query = query.bind(value);
                    }
                    Ok(query.fetch_one(conn).await?)
                }
                .boxed()
            })
            .await?;
        Ok(Count::exact(count as usize))
    }
}
