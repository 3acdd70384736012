//! `productCreate`, `productUpdate` and `productDelete`.

use super::input::{
    handle_or_fallback, handle_taken, normalize_tags, one_of, validate, HandleRequest,
};
use super::storage::{find, Created, HandleFrom, ProductRow, COLUMNS};
use super::{
    Product, ProductCreateInput, ProductCreatePayload, ProductDeleteInput, ProductDeletePayload,
    ProductFields, ProductInput, ProductStatus, ProductUpdateInput, ProductUpdatePayload,
    WRITE_PRODUCTS,
};
use crate::db::{CatalogDb, Deferral};
use crate::direct::HandleNotAnswered;
use crate::handle::{unique_handle, HandleTable};
use crate::pending::Handle;
use crate::shape::Shape;
use crate::UserError;
use async_graphql::{Context, Object, ID};
use futures::FutureExt;
use stevedore_core::nullable;
use stevedore_core::{Gid, ProductId, RequireScope, ShopId};

pub(crate) fn shop(ctx: &Context<'_>) -> async_graphql::Result<ShopId> {
    Ok(*ctx.data::<ShopId>()?)
}

pub(crate) fn now_millis(ctx: &Context<'_>) -> async_graphql::Result<i64> {
    Ok(ctx
        .data::<std::sync::Arc<dyn stevedore_core::Clock>>()?
        .now()
        .timestamp_millis())
}

pub(crate) async fn create(
    db: &CatalogDb,
    shop: ShopId,
    fields: ProductFields,
    now: i64,
    handle_answered: bool,
    planned: Option<Shape>,
) -> async_graphql::Result<ProductCreatePayload> {
    let written_handle = fields.handle.clone().unwrap_or_default();
    let (row, handle_from) = match ProductRow::new_product(fields, now) {
        Ok(made) => made,
        Err(errors) => {
            return Ok(ProductCreatePayload {
                product: None,
                user_errors: errors,
            })
        }
    };
    // A bulk chunk records the row (and its shape) and writes it later with its neighbours (the
    // `pending` module); the ids are all it needs now.
    let (mut row, planned) = match db {
        CatalogDb::Chunk(chunk) => match chunk
            .defer_product(
                shop,
                row,
                Handle::answered(handle_from, handle_answered),
                planned,
                |row, shape| match shape {
                    Some(shape) => Product::with_shape(row.clone(), shape.clone()),
                    None => Product::from(row.clone()),
                },
            )
            .await?
        {
            Deferral::Recorded(product) => {
                return Ok(ProductCreatePayload {
                    product: Some(product),
                    user_errors: vec![],
                })
            }
            Deferral::WriteNow(row, planned) => (*row, planned),
        },
        _ => (row, planned),
    };
    let created = db
        .write(move |conn| {
            async move {
                // The common case costs one statement: the insert itself finds out whether the
                // handle is free. Only a taken one costs the search for a free suffix.
                if !row.insert_if_handle_free(shop, conn).await? {
                    if handle_from == HandleFrom::Input {
                        return Ok(Created::HandleTaken(written_handle));
                    }
                    let base = std::mem::take(&mut row.handle);
                    row.insert_with_free_suffix(shop, conn, &base).await?;
                }
                let shape = match planned {
                    Some(mut shape) => {
                        shape.product_id = row.id;
                        crate::shape::save(conn, shop, &Shape::default(), &mut shape, now).await?;
                        Some(std::sync::Arc::new(shape))
                    }
                    None => {
                        crate::shape::insert_defaults(conn, &[row.id]).await?;
                        None
                    }
                };
                Ok(Created::Product(Box::new(row), shape))
            }
            .boxed()
        })
        .await?;
    Ok(match created {
        Created::Product(row, shape) => ProductCreatePayload {
            product: Some(match shape {
                Some(shape) => Product::with_shape(*row, shape),
                None => Product::from(*row),
            }),
            user_errors: vec![],
        },
        Created::HandleTaken(written) => ProductCreatePayload {
            product: None,
            user_errors: vec![handle_taken(&written)],
        },
    })
}

/// `productUpdate`: absent attributes stay as they are. An input the hosted API refuses leaves
/// the product unchanged and answers it as it is, beside the user errors.
pub(crate) async fn update(
    db: &CatalogDb,
    shop: ShopId,
    fields: ProductFields,
    now: i64,
) -> async_graphql::Result<ProductUpdatePayload> {
    let missing = || {
        Ok(ProductUpdatePayload {
            product: None,
            user_errors: vec![UserError::new(&["id"], "Product does not exist")],
        })
    };
    let Some(id) = fields
        .id
        .as_ref()
        .and_then(|id| Gid::parse_as(id, "Product").ok())
    else {
        return missing();
    };
    let unchanged_with = |errors: Vec<UserError>| async move {
        match find(db, shop, id).await? {
            Some(product) => Ok(ProductUpdatePayload {
                product: Some(product),
                user_errors: errors,
            }),
            None => missing(),
        }
    };
    let errors = validate(&fields, false);
    if !errors.is_empty() {
        return unchanged_with(errors).await;
    }
    let handle = HandleRequest::of(&fields);
    let tags = match &fields.tags {
        Some(tags) => Some(serde_json::to_string(&normalize_tags(tags))?),
        None => None,
    };
    let seo = fields.seo.clone().unwrap_or_default();
    let blank_handle = fields.handle.is_some() && handle == HandleRequest::FromTitle;
    let updated = db
        .write(move |conn| {
            async move {
                // A handle made here (given blank: from the title; given as punctuation only:
                // `product`) takes a free suffix as a new product's would; one given is refused
                // when another product holds it. Only a made one needs the product as it is.
                let made_from = match &handle {
                    HandleRequest::Given { kept: None, .. } => Some(None),
                    HandleRequest::FromTitle if blank_handle => Some(fields.title.clone()),
                    _ => None,
                };
                let made_from = match made_from {
                    Some(new_title) => {
                        let current: Option<(String, String)> = sqlx::query_as(
                            "SELECT title, handle FROM products WHERE id = $1 AND shop_id = $2",
                        )
                        .bind(id)
                        .bind(shop.0)
                        .fetch_optional(&mut *conn)
                        .await?;
                        let Some((current_title, current_handle)) = current else {
                            return Ok(Updated::Missing);
                        };
                        let base = match (&handle, new_title) {
                            (HandleRequest::Given { .. }, _) => handle_or_fallback(""),
                            (_, title) => handle_or_fallback(title.as_deref().unwrap_or(&current_title)),
                        };
                        Some((base, current_handle))
                    }
                    None => None,
                };
                let new_handle = match (handle, made_from) {
                    (_, Some((base, current))) if base == current => None,
                    (_, Some((base, _))) => {
                        Some(unique_handle(&mut *conn, HandleTable::Products, shop, &base).await?)
                    }
                    // A unique violation after this check can only be a concurrent writer,
                    // which the database reports.
                    (HandleRequest::Given { written, kept: Some(kept) }, None) => {
                        let holder: Option<i64> = sqlx::query_scalar(
                            "SELECT id FROM products WHERE shop_id = $1 AND handle = $2",
                        )
                        .bind(shop.0)
                        .bind(&kept)
                        .fetch_optional(&mut *conn)
                        .await?;
                        if holder.is_some_and(|holder| holder != id) {
                            return Ok(Updated::HandleTaken(written));
                        }
                        Some(kept)
                    }
                    _ => None,
                };
                let row = sqlx::query_as::<_, ProductRow>(&format!(
                    "UPDATE products SET title = COALESCE($1, title), handle = COALESCE($2, handle),
                         description_html = COALESCE($3, description_html), product_type = COALESCE($4, product_type),
                         vendor = COALESCE($5, vendor), tags = COALESCE($6, tags), status = COALESCE($7, status),
                         template_suffix = COALESCE($8, template_suffix), gift_card = COALESCE($9, gift_card),
                         seo_title = COALESCE($10, seo_title), seo_description = COALESCE($11, seo_description),
                         updated_at = $12
                     WHERE id = $13 AND shop_id = $14
                     RETURNING {COLUMNS}"
                ))
                .bind(fields.title)
                .bind(new_handle)
                .bind(fields.description_html)
                .bind(fields.product_type)
                .bind(fields.vendor)
                .bind(tags)
                .bind(fields.status.map(ProductStatus::as_str))
                .bind(fields.template_suffix)
                .bind(fields.gift_card.map(i64::from))
                .bind(seo.title)
                .bind(seo.description)
                .bind(now)
                .bind(id)
                .bind(shop.0)
                .fetch_optional(conn)
                .await?;
                Ok(row.map_or(Updated::Missing, |row| Updated::Product(Box::new(row))))
            }
            .boxed()
        })
        .await?;
    match updated {
        Updated::Product(row) => Ok(ProductUpdatePayload {
            product: Some(Product::from(*row)),
            user_errors: vec![],
        }),
        Updated::Missing => missing(),
        Updated::HandleTaken(written) => unchanged_with(vec![handle_taken(&written)]).await,
    }
}

enum Updated {
    Product(Box<ProductRow>),
    Missing,
    /// Another product holds the handle, given as it was written.
    HandleTaken(String),
}

#[derive(Default)]
pub struct ProductMutation;

#[Object]
impl ProductMutation {
    /// Creates a product. `input` is the pre-2024-04 form of `product`.
    #[graphql(guard = "RequireScope::new(\"productCreate\", WRITE_PRODUCTS)")]
    async fn product_create(
        &self,
        ctx: &Context<'_>,
        input: Option<ProductInput>,
        product: Option<ProductCreateInput>,
    ) -> async_graphql::Result<Option<ProductCreatePayload>> {
        nullable(async move {
            let mut fields = one_of("productCreate", input, product)?;
            let now = now_millis(ctx)?;
            let planned = match fields.product_options.take() {
                Some(options) if !options.is_empty() => {
                    let named = |name: &Option<String>| {
                        name.as_deref().is_some_and(crate::option::has_delimiter)
                    };
                    let delimited = options.iter().any(|option| {
                        named(&option.name)
                            || option.values.iter().flatten().any(|v| named(&v.name))
                    });
                    if delimited {
                        return Ok(ProductCreatePayload {
                            product: None,
                            user_errors: vec![UserError::new(
                                &["options"],
                                "Name cannot contain the character sequence \" / \"",
                            )],
                        });
                    }
                    Some(Shape::with_options(
                        crate::option::ordered_options(&options),
                        now,
                    ))
                }
                _ => None,
            };
            create(
                ctx.data::<CatalogDb>()?,
                shop(ctx)?,
                fields,
                now,
                // Unless told otherwise, the answer may show the handle (`handle`, or anything
                // made from it).
                ctx.data_opt::<HandleNotAnswered>().is_none(),
                planned,
            )
            .await
        })
        .await
    }

    /// Deletes the product named by the input's `id`.
    #[graphql(guard = "RequireScope::new(\"productDelete\", WRITE_PRODUCTS)")]
    async fn product_delete(
        &self,
        ctx: &Context<'_>,
        input: ProductDeleteInput,
    ) -> async_graphql::Result<Option<ProductDeletePayload>> {
        nullable(async move { delete(ctx.data::<CatalogDb>()?, shop(ctx)?, input).await }).await
    }

    /// Updates the product named by the input's `id`; absent attributes are left as they are.
    #[graphql(guard = "RequireScope::new(\"productUpdate\", WRITE_PRODUCTS)")]
    async fn product_update(
        &self,
        ctx: &Context<'_>,
        input: Option<ProductInput>,
        product: Option<ProductUpdateInput>,
    ) -> async_graphql::Result<Option<ProductUpdatePayload>> {
        nullable(async move {
            let fields = one_of("productUpdate", input, product)?;
            update(
                ctx.data::<CatalogDb>()?,
                shop(ctx)?,
                fields,
                now_millis(ctx)?,
            )
            .await
        })
        .await
    }
}

pub(crate) async fn delete(
    db: &CatalogDb,
    shop: ShopId,
    input: ProductDeleteInput,
) -> async_graphql::Result<ProductDeletePayload> {
    let missing = || ProductDeletePayload {
        deleted_product_id: None,
        user_errors: vec![UserError::new(&["id"], "Product does not exist")],
    };
    let Ok(id) = Gid::parse_as(&input.id, "Product") else {
        return Ok(missing());
    };
    let deleted = db
        .write(move |conn| {
            async move {
                // The product's metafields and its variants' go with it (its shape's rows go
                // by the database's cascade).
                let variants: Vec<i64> = sqlx::query_scalar(
                    "SELECT id FROM product_variants WHERE product_id = $1 AND shop_id = $2",
                )
                .bind(id)
                .bind(shop.0)
                .fetch_all(&mut *conn)
                .await?;
                crate::metafield::delete_of_owners(&mut *conn, shop, "PRODUCTVARIANT", &variants)
                    .await?;
                crate::metafield::delete_of_owners(&mut *conn, shop, "PRODUCT", &[id]).await?;
                let done = sqlx::query("DELETE FROM products WHERE id = $1 AND shop_id = $2")
                    .bind(id)
                    .bind(shop.0)
                    .execute(conn)
                    .await?;
                Ok(done.rows_affected() > 0)
            }
            .boxed()
        })
        .await?;
    Ok(if deleted {
        ProductDeletePayload {
            deleted_product_id: Some(ID(ProductId(id).gid().to_string())),
            user_errors: vec![],
        }
    } else {
        missing()
    })
}
