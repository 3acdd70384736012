//! `productDuplicate`: a new product made from another, as the hosted API copies one. It gets
//! the new title (and the handle made from it), the source's status unless `newStatus` says
//! otherwise, the source's attributes, options and variants (with new ids, quantities
//! included), its metafields and its variants' metafields, and with `includeImages` its media.
//! The copy is made at once (`synchronous: false` is not taken yet).

use super::input::{ProductFields, SeoInput};
use super::mutation::{create, now_millis, shop};
use super::{Product, ProductStatus, WRITE_PRODUCTS};
use crate::db::CatalogDb;
use crate::media::mutation::Job;
use crate::metafield::mutation::{write_all, Setting};
use crate::UserError;
use async_graphql::{Context, Object, SimpleObject, ID};
use futures::FutureExt;
use stevedore_core::{nullable, Gid, RequireScope};

#[derive(SimpleObject)]
pub struct ProductDuplicatePayload {
    new_product: Option<Product>,
    image_job: Option<Job>,
    user_errors: Vec<UserError>,
}

/// The owner types whose metafields go with a copied product, as stored.
fn owner(owner_type: &str) -> &'static str {
    if owner_type == "PRODUCTVARIANT" {
        "PRODUCTVARIANT"
    } else {
        "PRODUCT"
    }
}

#[derive(Default)]
pub struct ProductDuplicateMutation;

#[Object]
impl ProductDuplicateMutation {
    /// Makes a copy of a product under a new title.
    #[graphql(guard = "RequireScope::new(\"productDuplicate\", WRITE_PRODUCTS)")]
    async fn product_duplicate(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        new_title: String,
        new_status: Option<ProductStatus>,
        #[graphql(default = false)] include_images: bool,
        #[graphql(default = false)] include_translations: bool,
    ) -> async_graphql::Result<Option<ProductDuplicatePayload>> {
        // Translations are not kept by this catalog: there are none to copy.
        let _ = include_translations;
        nullable(async move {
            let db = ctx.data::<CatalogDb>()?;
            let (shop, now) = (shop(ctx)?, now_millis(ctx)?);
            let source = match Gid::parse_as(&product_id, "Product") {
                Ok(id) => super::find(db, shop, id).await?,
                Err(_) => None,
            };
            let Some(source) = source else {
                return Ok(ProductDuplicatePayload {
                    new_product: None,
                    image_job: None,
                    user_errors: vec![UserError::new(&["productId"], "Product does not exist")],
                });
            };
            let shape = source.shape_in(db, shop).await?;
            let row = &source.row;
            let fields = ProductFields {
                title: Some(new_title),
                description_html: Some(row.description_html.clone()),
                product_type: Some(row.product_type.clone()),
                vendor: Some(row.vendor.clone()),
                tags: serde_json::from_str(&row.tags).ok(),
                status: Some(new_status.unwrap_or(ProductStatus::from_stored(&row.status))),
                template_suffix: row.template_suffix.clone(),
                gift_card: Some(row.gift_card != 0),
                seo: Some(SeoInput {
                    title: row.seo_title.clone(),
                    description: row.seo_description.clone(),
                }),
                ..ProductFields::default()
            };
            // The same options and variants, every row new.
            let mut planned = (*shape).clone();
            planned.product_id = 0;
            for option in &mut planned.options {
                option.id = 0;
                for value in &mut option.values {
                    value.id = 0;
                }
            }
            for variant in &mut planned.variants {
                variant.id = 0;
                variant.product_id = 0;
                variant.inventory_item_id = None;
            }
            let source_id = row.id;
            let source_variants: Vec<i64> = shape.variants.iter().map(|v| v.id).collect();
            db.atomically(
                |payload: &ProductDuplicatePayload| payload.new_product.is_some(),
                |db| async move {
                    let created = create(&db, shop, fields, now, true, Some(planned)).await?;
                    let Some(copy) = created.product else {
                        return Ok(ProductDuplicatePayload {
                            new_product: None,
                            image_job: None,
                            user_errors: created.user_errors,
                        });
                    };
                    let copy_shape = copy.shape_in(&db, shop).await?;
                    // Each source owner and the copy's owner in its place.
                    let mut owners: Vec<(&'static str, i64, i64)> =
                        vec![("PRODUCT", source_id, copy.row.id)];
                    owners.extend(
                        source_variants
                            .iter()
                            .zip(copy_shape.variants.iter())
                            .map(|(from, to)| ("PRODUCTVARIANT", *from, to.id)),
                    );
                    let copy_id = copy.row.id;
                    let settings = db
                        .read(move |conn| {
                            async move {
                                let mut settings = Vec::new();
                                for (owner_type, from, to) in owners {
                                    let rows =
                                        crate::metafield::of_owner(conn, shop, owner_type, from)
                                            .await?;
                                    settings.extend(rows.into_iter().map(|row| Setting {
                                        owner_type: owner(&row.owner_type),
                                        owner_id: to,
                                        namespace: row.namespace,
                                        key: row.key,
                                        kind: Some(row.kind),
                                        value: row.value,
                                        compare_digest: None,
                                    }));
                                }
                                Ok(settings)
                            }
                            .boxed()
                        })
                        .await?;
                    if !settings.is_empty() {
                        write_all(&db, shop, settings, now).await?;
                    }
                    if include_images {
                        db.write(move |conn| {
                            async move {
                                crate::media::storage::copy(conn, shop, source_id, copy_id, now)
                                    .await
                            }
                            .boxed()
                        })
                        .await?;
                    }
                    Ok(ProductDuplicatePayload {
                        new_product: Some(copy),
                        image_job: None,
                        user_errors: vec![],
                    })
                },
            )
            .await
        })
        .await
    }
}
