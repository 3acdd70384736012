//! A variant's image: `productVariantAppendMedia`, `productVariantDetachMedia` and
//! `ProductVariant.media`. A variant has at most one media item, an image of its own product
//! (`product_variants.media_id`).

use super::ProductVariant;
use crate::db::CatalogDb;
use crate::error::CatalogResult;
use crate::media::mutation::{product_missing, product_of};
use crate::media::{Media, MediaContentType, MediaItem};
use crate::product::mutation::shop;
use crate::product::{Product, WRITE_PRODUCTS};
use crate::user_errors::MediaUserError;
use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use futures::FutureExt;
use stevedore_core::{nullable, Gid, RequireScope, ShopId};
use stevedore_store::AnyConnection;

/// The most variant and media pairs one call may give.
const MAX_PAIRS: usize = 100;

/// What an append or a detach answers: the product and the variants it changed, or the
/// refusals (and nothing changed).
struct Outcome {
    product: Option<Product>,
    product_variants: Option<Vec<ProductVariant>>,
    user_errors: Vec<MediaUserError>,
}

/// The input and payload types of the two mutations: the same fields under each one's names.
macro_rules! variant_media_types {
    ($($input:ident => $payload:ident),*) => {$(
        #[derive(InputObject, Clone, Debug)]
        pub struct $input {
            pub variant_id: ID,
            pub media_ids: Vec<ID>,
        }

        impl From<$input> for (ID, Vec<ID>) {
            fn from(input: $input) -> Self {
                (input.variant_id, input.media_ids)
            }
        }

        #[derive(SimpleObject)]
        pub struct $payload {
            product: Option<Product>,
            product_variants: Option<Vec<ProductVariant>>,
            user_errors: Vec<MediaUserError>,
        }

        impl From<Outcome> for $payload {
            fn from(outcome: Outcome) -> Self {
                Self {
                    product: outcome.product,
                    product_variants: outcome.product_variants,
                    user_errors: outcome.user_errors,
                }
            }
        }
    )*};
}
variant_media_types!(
    ProductVariantAppendMediaInput => ProductVariantAppendMediaPayload,
    ProductVariantDetachMediaInput => ProductVariantDetachMediaPayload
);

/// What a call asks of one variant.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Change {
    Append,
    Detach,
}

/// The media id of each variant of `product` that has one.
async fn attached(
    conn: &mut AnyConnection,
    shop: ShopId,
    product: i64,
) -> CatalogResult<Vec<(i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT id, media_id FROM product_variants
         WHERE shop_id = $1 AND product_id = $2 AND media_id IS NOT NULL",
    )
    .bind(shop.0)
    .bind(product)
    .fetch_all(conn)
    .await?)
}

/// Checks every pair against the product, its variants, its media and what is attached, and
/// answers the pairs as (variant id, media id), or the refusals (nothing is written then).
async fn plan(
    ctx: &Context<'_>,
    product: &Product,
    pairs: &[(ID, Vec<ID>)],
    change: Change,
) -> async_graphql::Result<Result<Vec<(i64, i64)>, Vec<MediaUserError>>> {
    let refuse = |at: Vec<String>, message: &str, code: &str| MediaUserError {
        field: Some(at),
        message: message.to_owned(),
        code: Some(code.to_owned()),
    };
    if pairs.len() > MAX_PAIRS {
        return Ok(Err(vec![refuse(
            vec!["variantMedia".into()],
            "Exceeded 100 variant-media pairs per mutation.",
            "MAXIMUM_VARIANT_MEDIA_PAIRS_EXCEEDED",
        )]));
    }
    let shape = product.shape(ctx).await?;
    let (shop, id) = (shop(ctx)?, product.row.id);
    let (media, attached) = ctx
        .data::<CatalogDb>()?
        .read(move |conn| {
            async move {
                let media = crate::media::storage::of_product(&mut *conn, shop, id).await?;
                Ok((media, attached(conn, shop, id).await?))
            }
            .boxed()
        })
        .await?;
    let mut errors = Vec::new();
    let mut planned = Vec::new();
    for (at, (variant, media_ids)) in pairs.iter().enumerate() {
        let field = |last: &str| vec!["variantMedia".to_owned(), at.to_string(), last.to_owned()];
        let repeated = pairs
            .iter()
            .enumerate()
            .any(|(other, (same, _))| other != at && same == variant);
        if repeated {
            // Named once, at the first of the inputs that repeat it.
            if pairs[..at].iter().all(|(same, _)| same != variant) {
                errors.push(refuse(
                    field("variantId"),
                    "Variant was specified in more than one media input.",
                    "PRODUCT_VARIANT_SPECIFIED_MULTIPLE_TIMES",
                ));
            }
            continue;
        }
        let media_id = match media_ids.as_slice() {
            [] => {
                errors.push(refuse(
                    field("mediaIds"),
                    "The mediaIds list cannot be empty.",
                    "BLANK",
                ));
                continue;
            }
            [one] => one,
            _ => {
                errors.push(refuse(
                    field("mediaIds"),
                    "Only one mediaId is allowed per media input.",
                    "TOO_MANY_MEDIA_PER_INPUT_PAIR",
                ));
                continue;
            }
        };
        let variant_id = Gid::parse_as(variant, "ProductVariant")
            .ok()
            .filter(|id| shape.variants.iter().any(|row| row.id == *id));
        let Some(variant_id) = variant_id else {
            errors.push(refuse(
                field("variantId"),
                "Variant does not exist on the specified product.",
                "PRODUCT_VARIANT_DOES_NOT_EXIST_ON_PRODUCT",
            ));
            continue;
        };
        let item = Gid::parse(media_id)
            .ok()
            .and_then(|gid| media.iter().find(|row| row.id == gid.id));
        let Some(item) = item else {
            errors.push(refuse(
                field("mediaIds"),
                "Media does not exist on the specified product.",
                "MEDIA_DOES_NOT_EXIST_ON_PRODUCT",
            ));
            continue;
        };
        let now_attached = attached
            .iter()
            .find(|(variant, _)| *variant == variant_id)
            .map(|(_, media)| *media);
        match change {
            Change::Append
                if MediaContentType::from_stored(&item.content_type) != MediaContentType::Image =>
            {
                errors.push(refuse(
                    field("mediaIds"),
                    "Non-image media cannot be attached to variants.",
                    "INVALID_MEDIA_TYPE",
                ));
            }
            Change::Append if now_attached.is_some() => errors.push(refuse(
                field("variantId"),
                "The given variant already has attached media.",
                "PRODUCT_VARIANT_ALREADY_HAS_MEDIA",
            )),
            Change::Detach if now_attached != Some(item.id) => errors.push(refuse(
                field("variantId"),
                "The specified media is not attached to the specified variant.",
                "MEDIA_IS_NOT_ATTACHED_TO_VARIANT",
            )),
            _ => planned.push((variant_id, item.id)),
        }
    }
    Ok(if errors.is_empty() {
        Ok(planned)
    } else {
        Err(errors)
    })
}

/// Runs an append or a detach: checks, writes, and answers the product and the variants named.
async fn change(
    ctx: &Context<'_>,
    product_id: &ID,
    inputs: Vec<impl Into<(ID, Vec<ID>)>>,
    change: Change,
) -> async_graphql::Result<Outcome> {
    let refused = |user_errors| Outcome {
        product: None,
        product_variants: None,
        user_errors,
    };
    let pairs: Vec<(ID, Vec<ID>)> = inputs.into_iter().map(Into::into).collect();
    let Some(product) = product_of(ctx, product_id).await? else {
        return Ok(refused(vec![product_missing("productId").into()]));
    };
    let planned = match plan(ctx, &product, &pairs, change).await? {
        Ok(planned) => planned,
        Err(errors) => return Ok(refused(errors)),
    };
    let shop = shop(ctx)?;
    let writes = planned.clone();
    ctx.data::<CatalogDb>()?
        .write(move |conn| {
            async move {
                for (variant, media) in writes {
                    let media = (change == Change::Append).then_some(media);
                    sqlx::query(
                        "UPDATE product_variants SET media_id = $1 WHERE shop_id = $2 AND id = $3",
                    )
                    .bind(media)
                    .bind(shop.0)
                    .bind(variant)
                    .execute(&mut *conn)
                    .await?;
                }
                Ok(())
            }
            .boxed()
        })
        .await?;
    let shape = product.shape(ctx).await?;
    let variants = planned
        .iter()
        .filter_map(|(variant, _)| {
            let index = shape.variants.iter().position(|row| row.id == *variant)?;
            Some(ProductVariant {
                shape: shape.clone(),
                index,
            })
        })
        .collect();
    Ok(Outcome {
        product: Some(product),
        product_variants: Some(variants),
        user_errors: vec![],
    })
}

#[derive(Default)]
pub struct VariantMediaMutation;

#[Object]
impl VariantMediaMutation {
    /// Attaches an image of the product to each variant named (one each).
    #[graphql(guard = "RequireScope::new(\"productVariantAppendMedia\", WRITE_PRODUCTS)")]
    async fn product_variant_append_media(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        variant_media: Vec<ProductVariantAppendMediaInput>,
    ) -> async_graphql::Result<Option<ProductVariantAppendMediaPayload>> {
        nullable(async move {
            Ok(change(ctx, &product_id, variant_media, Change::Append)
                .await?
                .into())
        })
        .await
    }

    /// Detaches the named media item from each variant named.
    #[graphql(guard = "RequireScope::new(\"productVariantDetachMedia\", WRITE_PRODUCTS)")]
    async fn product_variant_detach_media(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        variant_media: Vec<ProductVariantDetachMediaInput>,
    ) -> async_graphql::Result<Option<ProductVariantDetachMediaPayload>> {
        nullable(async move {
            Ok(change(ctx, &product_id, variant_media, Change::Detach)
                .await?
                .into())
        })
        .await
    }
}

/// `ProductVariant.media`: its image, as a connection of at most one.
pub(crate) async fn connection(
    ctx: &Context<'_>,
    variant: i64,
    window: crate::paging::Window,
) -> async_graphql::Result<async_graphql::connection::Connection<crate::paging::IdCursor, Media>> {
    let shop = shop(ctx)?;
    let row = ctx
        .data::<CatalogDb>()?
        .read(move |conn| crate::media::storage::of_variant(conn, shop, variant).boxed())
        .await?;
    let items: Vec<Media> = row
        .into_iter()
        .map(|row| MediaItem { row, fresh: false }.into_media())
        .collect();
    Ok(window.page_in_order(items, |media| media.item().row.id))
}
