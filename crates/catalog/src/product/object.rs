//! What product reads show: `Product`, its default `ProductVariant`, and the mutations'
//! payloads.

use super::storage::ProductRow;
use super::ProductStatus;
use crate::db::CatalogDb;
use crate::media::{Media, MediaContentType, MediaItem, ProductImage};
use crate::option::ProductOption;
use crate::paging::Count;
use crate::paging::{IdCursor, Window};
use crate::shape::Shape;
use crate::variant::{MoneyV2, ProductVariant};
use crate::UserError;
use async_graphql::connection::Connection;
use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use futures::FutureExt;
use std::sync::Arc;
use stevedore_core::clock::from_millis;
use stevedore_core::scalars::Money;
use stevedore_core::scalars::{DateTime, Html, UnsignedInt64};
use stevedore_core::ProductId;

/// `SEO`.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "SEO")]
pub struct Seo {
    pub title: Option<String>,
    pub description: Option<String>,
}

/// `Product`: its row, and its shape once a field has needed it (or the mutation that made it
/// had it at hand).
#[derive(Debug, Clone)]
pub struct Product {
    pub(crate) row: ProductRow,
    shape: Arc<tokio::sync::OnceCell<Arc<Shape>>>,
    /// Media the request showing it made (shown before processing, see `crate::media`).
    fresh_media: Arc<Vec<i64>>,
}

impl From<ProductRow> for Product {
    fn from(row: ProductRow) -> Self {
        Self {
            row,
            shape: Arc::default(),
            fresh_media: Arc::default(),
        }
    }
}

impl Product {
    /// A product whose shape is known already.
    pub(crate) fn with_shape(row: ProductRow, shape: Arc<Shape>) -> Self {
        Self {
            row,
            shape: Arc::new(tokio::sync::OnceCell::new_with(Some(shape))),
            fresh_media: Arc::default(),
        }
    }

    /// The product in the payload of the request that made media `fresh`.
    pub(crate) fn with_fresh_media(mut self, fresh: Vec<i64>) -> Self {
        self.fresh_media = Arc::new(fresh);
        self
    }

    /// Its media in their order, as this request sees them.
    async fn media_items(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<MediaItem>> {
        let db = ctx.data::<CatalogDb>()?;
        let (shop, id) = (super::mutation::shop(ctx)?, self.row.id);
        let rows = db
            .read(move |conn| crate::media::storage::of_product(conn, shop, id).boxed())
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| MediaItem {
                fresh: self.fresh_media.contains(&row.id),
                row,
            })
            .collect())
    }

    /// Its images that are ready, in their order.
    async fn ready_images(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ProductImage>> {
        Ok(self
            .media_items(ctx)
            .await?
            .into_iter()
            .filter(|item| !item.fresh && item.kind() == MediaContentType::Image)
            .map(ProductImage)
            .collect())
    }

    /// Its shape, read through `db` if no field has read it yet.
    pub(crate) async fn shape_in(
        &self,
        db: &CatalogDb,
        shop: stevedore_core::ShopId,
    ) -> crate::CatalogResult<Arc<Shape>> {
        let id = self.row.id;
        let shape = self
            .shape
            .get_or_try_init(|| async {
                let shape = db
                    .read(move |conn| crate::shape::load(conn, shop, id).boxed())
                    .await?;
                Ok::<_, crate::CatalogError>(Arc::new(shape))
            })
            .await?;
        Ok(shape.clone())
    }

    /// Its options and variants, read once per product object.
    pub(crate) async fn shape(&self, ctx: &Context<'_>) -> async_graphql::Result<Arc<Shape>> {
        let db = ctx.data::<CatalogDb>()?;
        Ok(self.shape_in(db, super::mutation::shop(ctx)?).await?)
    }
}

#[Object]
impl Product {
    pub async fn id(&self) -> ID {
        ID(ProductId(self.row.id).gid().to_string())
    }
    async fn legacy_resource_id(&self) -> UnsignedInt64 {
        UnsignedInt64(self.row.id as u64)
    }
    async fn title(&self) -> &str {
        &self.row.title
    }
    async fn handle(&self) -> &str {
        &self.row.handle
    }
    async fn description_html(&self) -> Html {
        Html(self.row.description_html.clone())
    }
    async fn product_type(&self) -> &str {
        &self.row.product_type
    }
    async fn vendor(&self) -> &str {
        &self.row.vendor
    }
    async fn tags(&self) -> Vec<String> {
        serde_json::from_str(&self.row.tags).unwrap_or_default()
    }
    async fn status(&self) -> ProductStatus {
        ProductStatus::from_stored(&self.row.status)
    }
    async fn template_suffix(&self) -> Option<&str> {
        self.row.template_suffix.as_deref()
    }
    async fn is_gift_card(&self) -> bool {
        self.row.gift_card != 0
    }
    async fn seo(&self) -> Seo {
        Seo {
            title: self.row.seo_title.clone(),
            description: self.row.seo_description.clone(),
        }
    }
    async fn created_at(&self) -> DateTime {
        DateTime(from_millis(self.row.created_at))
    }
    async fn updated_at(&self) -> DateTime {
        DateTime(from_millis(self.row.updated_at))
    }

    async fn options(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
    ) -> async_graphql::Result<Vec<ProductOption>> {
        let shape = self.shape(ctx).await?;
        let mut options = ProductOption::all(&shape);
        if let Some(first) = first {
            options.truncate(usize::try_from(first).unwrap_or(0));
        }
        Ok(options)
    }

    async fn variants(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        #[graphql(default_with = "Some(false)")] reverse: Option<bool>,
    ) -> async_graphql::Result<Connection<IdCursor, ProductVariant>> {
        // Nullable with a default, as in Shopify's schema: `$reverse: Boolean` may be left out.
        let reverse = reverse.unwrap_or(false);
        let window = Window::from_arguments(first, last, after, before, reverse)?;
        let shape = self.shape(ctx).await?;
        Ok(
            window.page_in_order(ProductVariant::all(&shape), |variant| {
                variant.index as i64 + 1
            }),
        )
    }

    async fn variants_count(&self, ctx: &Context<'_>) -> async_graphql::Result<Count> {
        Ok(Count::exact(self.shape(ctx).await?.variants.len()))
    }

    async fn has_only_default_variant(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        Ok(self.shape(ctx).await?.has_only_default_variant())
    }

    async fn has_out_of_stock_variants(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        let shape = self.shape(ctx).await?;
        Ok(shape
            .variants
            .iter()
            .any(|variant| variant.tracked != 0 && variant.inventory_quantity <= 0))
    }

    /// The sum of the tracked variants' quantities.
    async fn total_inventory(&self, ctx: &Context<'_>) -> async_graphql::Result<i32> {
        let shape = self.shape(ctx).await?;
        Ok(shape
            .variants
            .iter()
            .filter(|variant| variant.tracked != 0)
            .map(|variant| variant.inventory_quantity as i32)
            .sum())
    }

    async fn tracks_inventory(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        let shape = self.shape(ctx).await?;
        Ok(shape.variants.iter().any(|variant| variant.tracked != 0))
    }

    async fn price_range_v2(&self, ctx: &Context<'_>) -> async_graphql::Result<PriceRange> {
        let shape = self.shape(ctx).await?;
        let prices = shape
            .variants
            .iter()
            .map(|variant| Money::from_stored(&variant.price));
        let min = prices.clone().min().unwrap_or_default();
        let max = prices.max().unwrap_or_default();
        Ok(PriceRange {
            min_variant_price: MoneyV2::of(&min.text()),
            max_variant_price: MoneyV2::of(&max.text()),
        })
    }

    async fn published_at(&self) -> Option<DateTime> {
        (self.row.status == "ACTIVE").then(|| DateTime(from_millis(self.row.created_at)))
    }

    /// The online store is not part of this catalog.
    async fn online_store_url(&self) -> Option<String> {
        None
    }

    async fn metafield(
        &self,
        ctx: &Context<'_>,
        namespace: Option<String>,
        key: String,
    ) -> async_graphql::Result<Option<crate::metafield::Metafield>> {
        crate::metafield::field_of(ctx, "PRODUCT", self.row.id, namespace, key).await
    }

    #[allow(clippy::too_many_arguments)]
    async fn metafields(
        &self,
        ctx: &Context<'_>,
        namespace: Option<String>,
        keys: Option<Vec<String>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        #[graphql(default_with = "Some(false)")] reverse: Option<bool>,
    ) -> async_graphql::Result<Connection<IdCursor, crate::metafield::Metafield>> {
        let page = crate::metafield::Page {
            first,
            after,
            last,
            before,
            reverse,
        };
        crate::metafield::connection_of(ctx, "PRODUCT", self.row.id, namespace, keys, page).await
    }

    /// Its media in their order (`sortKey: POSITION`, the only order kept).
    #[allow(clippy::too_many_arguments)]
    async fn media(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        #[graphql(default_with = "Some(false)")] reverse: Option<bool>,
        #[graphql(name = "sortKey")] _sort_key: Option<crate::media::ProductMediaSortKeys>,
    ) -> async_graphql::Result<Connection<IdCursor, Media>> {
        let window = Window::from_arguments(first, last, after, before, reverse.unwrap_or(false))?;
        let items = self.media_items(ctx).await?;
        Ok(window.page_in_order(
            items.into_iter().map(MediaItem::into_media).collect(),
            |media| media.item().row.position,
        ))
    }

    async fn media_count(&self, ctx: &Context<'_>) -> async_graphql::Result<Count> {
        Ok(Count::exact(self.media_items(ctx).await?.len()))
    }

    /// Its first media item, once ready.
    async fn featured_media(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Media>> {
        Ok(self
            .media_items(ctx)
            .await?
            .into_iter()
            .next()
            .filter(|item| !item.fresh)
            .map(MediaItem::into_media))
    }

    /// Its ready images, in their order.
    async fn images(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        #[graphql(default_with = "Some(false)")] reverse: Option<bool>,
    ) -> async_graphql::Result<Connection<IdCursor, ProductImage>> {
        let window = Window::from_arguments(first, last, after, before, reverse.unwrap_or(false))?;
        let images = self.ready_images(ctx).await?;
        Ok(window.page_in_order(images, |image| image.0.row.position))
    }

    async fn featured_image(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<ProductImage>> {
        Ok(self.ready_images(ctx).await?.into_iter().next())
    }

    async fn total_variants(&self, ctx: &Context<'_>) -> async_graphql::Result<i32> {
        Ok(self.shape(ctx).await?.variants.len() as i32)
    }
}

/// `ProductPriceRangeV2`.
#[derive(SimpleObject)]
#[graphql(name = "ProductPriceRangeV2")]
pub struct PriceRange {
    min_variant_price: MoneyV2,
    max_variant_price: MoneyV2,
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct ProductCreatePayload {
    pub(crate) product: Option<Product>,
    pub(crate) user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub struct ProductUpdatePayload {
    pub(crate) product: Option<Product>,
    pub(crate) user_errors: Vec<UserError>,
}

/// `ProductDeleteInput`.
#[derive(InputObject)]
pub struct ProductDeleteInput {
    pub(crate) id: ID,
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct ProductDeletePayload {
    pub(crate) deleted_product_id: Option<ID>,
    pub(crate) user_errors: Vec<UserError>,
}

#[async_graphql::ComplexObject]
impl ProductCreatePayload {
    /// The shop the product belongs to.
    async fn shop(&self, ctx: &Context<'_>) -> async_graphql::Result<crate::shop::Shop> {
        crate::shop::Shop::of(ctx)
    }
}

#[async_graphql::ComplexObject]
impl ProductDeletePayload {
    /// The shop the product belongs to.
    async fn shop(&self, ctx: &Context<'_>) -> async_graphql::Result<crate::shop::Shop> {
        crate::shop::Shop::of(ctx)
    }
}
