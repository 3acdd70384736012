//! `product(id:)` and `products(query:)`.

use super::mutation::shop;
use super::search::{product_filter, sorted_scan, ProductSortKeys};
use super::storage::{find, ProductRow, COLUMNS};
use super::Product;
use crate::db::CatalogDb;
use crate::paging::{Count, SortCursor, Window};
use async_graphql::connection::Connection;
use async_graphql::connection::CursorType;
use async_graphql::{Context, Object, ID};
use futures::FutureExt;
use stevedore_core::{Gid, RequireScope};

/// `ProductIdentifierInput`: one of `id`, `handle` or `customId`.
#[derive(async_graphql::InputObject, Clone, Debug)]
pub struct ProductIdentifierInput {
    pub id: Option<ID>,
    pub handle: Option<String>,
    pub custom_id: Option<UniqueMetafieldValueInput>,
}

/// `UniqueMetafieldValueInput`.
#[derive(async_graphql::InputObject, Clone, Debug)]
pub struct UniqueMetafieldValueInput {
    pub namespace: Option<String>,
    pub key: String,
    pub value: String,
}

/// The product of this shop with `handle`, if any.
async fn by_handle(ctx: &Context<'_>, handle: String) -> async_graphql::Result<Option<Product>> {
    let shop = shop(ctx)?;
    let sql = format!("SELECT {COLUMNS} FROM products WHERE shop_id = $1 AND handle = $2");
    let row: Option<ProductRow> = ctx
        .data::<CatalogDb>()?
        .read(move |conn| {
            async move {
                Ok(sqlx::query_as(&sql)
                    .bind(shop.0)
                    .bind(handle)
                    .fetch_optional(conn)
                    .await?)
            }
            .boxed()
        })
        .await?;
    Ok(row.map(Product::from))
}

/// A product row with its sort value, as a sorted page reads it.
#[derive(sqlx::FromRow)]
struct SortedRow {
    #[sqlx(flatten)]
    row: ProductRow,
    sort_value: String,
}

#[derive(Default)]
pub struct ProductQuery;

#[Object]
impl ProductQuery {
    /// A product of this shop by id.
    #[graphql(guard = "RequireScope::new(\"product\", \"read_products\")")]
    async fn product(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Product>> {
        let Ok(id) = Gid::parse_as(&id, "Product") else {
            return Ok(None);
        };
        find(ctx.data::<CatalogDb>()?, shop(ctx)?, id).await
    }

    /// A product of this shop by id or by handle (`customId` names a metafield value, which
    /// this catalog does not look products up by: none is found).
    #[graphql(guard = "RequireScope::new(\"productByIdentifier\", \"read_products\")")]
    async fn product_by_identifier(
        &self,
        ctx: &Context<'_>,
        identifier: ProductIdentifierInput,
    ) -> async_graphql::Result<Option<Product>> {
        match (identifier.id, identifier.handle) {
            (Some(id), _) => self.product(ctx, id).await,
            (None, Some(handle)) => by_handle(ctx, handle).await,
            _ => Ok(None),
        }
    }

    /// A product of this shop by handle.
    #[graphql(guard = "RequireScope::new(\"productByHandle\", \"read_products\")")]
    async fn product_by_handle(
        &self,
        ctx: &Context<'_>,
        handle: String,
    ) -> async_graphql::Result<Option<Product>> {
        by_handle(ctx, handle).await
    }

    /// This shop's products sorted by `sortKey` (the id unless given), those the `query`
    /// matches: free text and `title:` (anywhere in the title), `tag:`, `handle:`,
    /// `product_type:`, `vendor:`, `status:`, `sku:` and `barcode:` (of any variant), and
    /// `id:`, `created_at:`, `updated_at:` with ranges (`>`, `>=`, `<`, `<=`).
    #[allow(clippy::too_many_arguments)]
    #[graphql(guard = "RequireScope::new(\"products\", \"read_products\")")]
    async fn products(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        #[graphql(default_with = "Some(false)")] reverse: Option<bool>,
        query: Option<String>,
        #[graphql(default)] sort_key: ProductSortKeys,
    ) -> async_graphql::Result<Connection<SortCursor, Product>> {
        let reverse = reverse.unwrap_or(false);
        let cursor = |text: &Option<String>| -> async_graphql::Result<Option<SortCursor>> {
            text.as_deref()
                .map(|text| SortCursor::decode_cursor(text).map_err(Into::into))
                .transpose()
        };
        let (after_at, before_at) = (cursor(&after)?, cursor(&before)?);
        let window = Window::from_arguments(first, last, after, before, reverse)?;
        let shop = shop(ctx)?;
        let (filter, mut values) = product_filter(query.as_deref(), 2);
        let scan = sorted_scan(
            sort_key,
            reverse,
            window.forward,
            after_at.as_ref(),
            before_at.as_ref(),
            2,
            &mut values,
        );
        let sql = format!(
            "SELECT {COLUMNS}, {} FROM products WHERE shop_id = $1 AND {filter} AND {} \
             ORDER BY {} LIMIT {}",
            scan.select,
            scan.keyset,
            scan.order,
            window.limit + 1
        );
        let rows = ctx
            .data::<CatalogDb>()?
            .read(move |conn| {
                async move {
                    let mut query = sqlx::query_as::<_, SortedRow>(&sql).bind(shop.0);
                    for value in values {
                        query = query.bind(value);
                    }
                    Ok(query.fetch_all(conn).await?)
                }
                .boxed()
            })
            .await?;
        let products = rows
            .into_iter()
            .map(|row| {
                (
                    sort_key.cursor(row.row.id, &row.sort_value),
                    Product::from(row.row),
                )
            })
            .collect();
        Ok(window.page_with(products))
    }

    /// How many products the `query` matches, counted up to `limit` (10,000 unless given; a
    /// null limit counts them all): past it the count is the limit, `AT_LEAST`.
    #[graphql(guard = "RequireScope::new(\"productsCount\", \"read_products\")")]
    async fn products_count(
        &self,
        ctx: &Context<'_>,
        query: Option<String>,
        #[graphql(default = 10000)] limit: Option<i32>,
    ) -> async_graphql::Result<Count> {
        let shop = shop(ctx)?;
        let (filter, values) = product_filter(query.as_deref(), 3);
        let limit = limit.map_or(i64::MAX, i64::from);
        let sql = format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM products WHERE shop_id = $1 AND {filter} LIMIT $2) AS counted"
        );
        let counted = ctx
            .data::<CatalogDb>()?
            .read(move |conn| {
                async move {
                    let mut query = sqlx::query_scalar::<_, i64>(&sql)
                        .bind(shop.0)
                        .bind(limit.saturating_add(1));
                    for value in values {
                        query = query.bind(value);
                    }
                    Ok(query.fetch_one(conn).await?)
                }
                .boxed()
            })
            .await?;
        Ok(if counted > limit {
            Count::at_least(limit as usize)
        } else {
            Count::exact(counted as usize)
        })
    }
}
