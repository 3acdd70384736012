//! Product mutations asked to run in the background: `productSet` with `synchronous: false`,
//! recorded with what it came to, and `productOperation(id:)` to read it back.

use super::mutation::shop;
use super::set::{ProductOperationStatus, ProductSetOperation};
use super::Product;
use crate::db::CatalogDb;
use crate::user_errors::ProductSetUserError;
use async_graphql::{Context, Object, ID};
use futures::FutureExt;
use stevedore_core::{Gid, RequireScope, ShopId};

/// Records a finished `productSet` and gives its operation.
pub(crate) async fn record(
    db: &CatalogDb,
    shop: ShopId,
    product: Option<&Product>,
    user_errors: &[ProductSetUserError],
    now: i64,
) -> async_graphql::Result<ProductSetOperation> {
    let product_id = product.map(|product| product.row.id);
    let errors: Vec<serde_json::Value> = user_errors
        .iter()
        .map(|error| {
            serde_json::json!({ "field": error.field, "message": error.message, "code": error.code })
        })
        .collect();
    let text = serde_json::Value::from(errors).to_string();
    let id: i64 = db
        .write(move |conn| {
            async move {
                Ok(sqlx::query_scalar(
                    "INSERT INTO product_operations (shop_id, kind, product_id, user_errors, created_at)
                     VALUES ($1, 'SET', $2, $3, $4) RETURNING id",
                )
                .bind(shop.0)
                .bind(product_id)
                .bind(text)
                .bind(now)
                .fetch_one(conn)
                .await?)
            }
            .boxed()
        })
        .await?;
    Ok(ProductSetOperation {
        id,
        status: ProductOperationStatus::Complete,
        product_id,
        user_errors: user_errors.to_vec(),
    })
}

#[derive(Default)]
pub struct ProductOperationQuery;

#[Object]
impl ProductOperationQuery {
    /// A product operation of this shop by id.
    #[graphql(guard = "RequireScope::new(\"productOperation\", \"read_products\")")]
    async fn product_operation(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<ProductSetOperation>> {
        let Ok(id) = Gid::parse_as(&id, "ProductSetOperation") else {
            return Ok(None);
        };
        let shop = shop(ctx)?;
        let row: Option<(Option<i64>, String)> = ctx
            .data::<CatalogDb>()?
            .read(move |conn| {
                async move {
                    Ok(sqlx::query_as(
                        "SELECT product_id, user_errors FROM product_operations
                         WHERE id = $1 AND shop_id = $2",
                    )
                    .bind(id)
                    .bind(shop.0)
                    .fetch_optional(conn)
                    .await?)
                }
                .boxed()
            })
            .await?;
        Ok(row.map(|(product_id, errors)| {
            let errors: Vec<serde_json::Value> = serde_json::from_str(&errors).unwrap_or_default();
            ProductSetOperation {
                id,
                status: ProductOperationStatus::Complete,
                product_id,
                user_errors: errors
                    .into_iter()
                    .map(|error| ProductSetUserError {
                        field: serde_json::from_value(error["field"].clone()).ok(),
                        message: error["message"].as_str().unwrap_or_default().to_owned(),
                        code: error["code"].as_str().map(str::to_owned),
                    })
                    .collect(),
            }
        }))
    }
}
