//! Product variants and their inventory items: the `ProductVariant` and `InventoryItem` reads,
//! `productVariant(s)` / `inventoryItem`, and the `productVariantsBulk*` mutations.
//!
//! A variant has exactly one inventory item, created and deleted with it, so the item's fields
//! are kept on the variant's row and the item's id is the variant's.

pub(crate) mod input;
pub(crate) mod media;
pub(crate) mod mutation;
pub(crate) mod query;

use crate::option::ProductOptionValue;
use crate::paging::IdCursor;
use crate::shape::{Shape, VariantRow};
use async_graphql::connection::Connection;
use async_graphql::{Context, Enum, Object, SimpleObject, ID};
use std::sync::Arc;
use stevedore_core::clock::from_millis;
use stevedore_core::scalars::{DateTime, Decimal, Money, UnsignedInt64};
use stevedore_core::Gid;

/// The currency amounts are in: the catalog keeps one shop currency.
pub(crate) const SHOP_CURRENCY: &str = "USD";

/// `ProductVariantInventoryPolicy`.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProductVariantInventoryPolicy {
    Deny,
    Continue,
}

impl ProductVariantInventoryPolicy {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Deny => "DENY",
            Self::Continue => "CONTINUE",
        }
    }
}

/// `WeightUnit`.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WeightUnit {
    Kilograms,
    Grams,
    Pounds,
    Ounces,
}

impl WeightUnit {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Kilograms => "KILOGRAMS",
            Self::Grams => "GRAMS",
            Self::Pounds => "POUNDS",
            Self::Ounces => "OUNCES",
        }
    }

    fn from_stored(text: &str) -> Self {
        match text {
            "GRAMS" => Self::Grams,
            "POUNDS" => Self::Pounds,
            "OUNCES" => Self::Ounces,
            _ => Self::Kilograms,
        }
    }
}

/// `ProductVariant`: variant `index` of a product's shape.
#[derive(Clone, Debug)]
pub struct ProductVariant {
    pub(crate) shape: Arc<Shape>,
    pub(crate) index: usize,
}

impl ProductVariant {
    pub(crate) fn row(&self) -> &VariantRow {
        &self.shape.variants[self.index]
    }

    /// Every variant of `shape`, in order.
    pub(crate) fn all(shape: &Arc<Shape>) -> Vec<Self> {
        (0..shape.variants.len())
            .map(|index| Self {
                shape: shape.clone(),
                index,
            })
            .collect()
    }

    /// Its inventory item.
    pub fn item(&self) -> InventoryItem {
        InventoryItem(self.clone())
    }

    /// The variant of `shape` with id `id`.
    pub(crate) fn with_id(shape: &Arc<Shape>, id: i64) -> Option<Self> {
        let index = shape.variants.iter().position(|variant| variant.id == id)?;
        Some(Self {
            shape: shape.clone(),
            index,
        })
    }
}

/// `SelectedOption`.
#[derive(SimpleObject)]
pub struct SelectedOption {
    name: String,
    value: String,
    option_value: ProductOptionValue,
}

/// `MoneyV2`.
#[derive(SimpleObject)]
#[graphql(name = "MoneyV2")]
pub struct MoneyV2 {
    amount: Decimal,
    currency_code: String,
}

impl MoneyV2 {
    pub(crate) fn of(stored: &str) -> Self {
        Self {
            amount: Decimal(Money::from_stored(stored).0),
            currency_code: SHOP_CURRENCY.to_owned(),
        }
    }
}

#[Object]
impl ProductVariant {
    pub async fn id(&self) -> ID {
        ID(Gid::new("ProductVariant", self.row().id).to_string())
    }
    async fn legacy_resource_id(&self) -> UnsignedInt64 {
        UnsignedInt64(self.row().id as u64)
    }
    async fn title(&self) -> String {
        self.row().title()
    }
    async fn display_name(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        let product = self.product(ctx).await?;
        Ok(format!("{} - {}", product.row.title, self.row().title()))
    }
    async fn price(&self) -> Money {
        Money::from_stored(&self.row().price)
    }
    async fn compare_at_price(&self) -> Option<Money> {
        self.row()
            .compare_at_price
            .as_deref()
            .map(Money::from_stored)
    }
    async fn sku(&self) -> Option<&str> {
        self.row().sku.as_deref()
    }
    async fn barcode(&self) -> Option<&str> {
        self.row().barcode.as_deref()
    }
    async fn taxable(&self) -> bool {
        self.row().taxable != 0
    }
    async fn inventory_policy(&self) -> ProductVariantInventoryPolicy {
        match self.row().inventory_policy.as_str() {
            "CONTINUE" => ProductVariantInventoryPolicy::Continue,
            _ => ProductVariantInventoryPolicy::Deny,
        }
    }
    async fn inventory_quantity(&self) -> i32 {
        self.row().inventory_quantity as i32
    }
    async fn available_for_sale(&self) -> bool {
        let row = self.row();
        row.tracked == 0 || row.inventory_quantity > 0 || row.inventory_policy == "CONTINUE"
    }
    async fn position(&self) -> i32 {
        self.index as i32 + 1
    }
    async fn selected_options(&self) -> Vec<SelectedOption> {
        self.row()
            .values()
            .enumerate()
            .filter_map(|(option, value)| {
                let value_index = self
                    .shape
                    .options
                    .get(option)?
                    .values
                    .iter()
                    .position(|v| v.name == value)?;
                Some(SelectedOption {
                    name: self.shape.options[option].name.clone(),
                    value: value.to_owned(),
                    option_value: ProductOptionValue {
                        shape: self.shape.clone(),
                        option,
                        value: value_index,
                    },
                })
            })
            .collect()
    }
    /// Its image, as a connection of at most one media item.
    async fn media(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        #[graphql(default_with = "Some(false)")] reverse: Option<bool>,
    ) -> async_graphql::Result<Connection<IdCursor, crate::media::Media>> {
        let window = crate::paging::Window::from_arguments(
            first,
            last,
            after,
            before,
            reverse.unwrap_or(false),
        )?;
        media::connection(ctx, self.row().id, window).await
    }
    async fn inventory_item(&self) -> InventoryItem {
        InventoryItem(self.clone())
    }
    async fn product(&self, ctx: &Context<'_>) -> async_graphql::Result<crate::Product> {
        let db = ctx.data::<crate::CatalogDb>()?;
        let shop = crate::product::mutation::shop(ctx)?;
        crate::product::find(db, shop, self.shape.product_id)
            .await?
            .ok_or_else(|| stevedore_core::internal_error("a variant's product is missing"))
    }
    async fn metafield(
        &self,
        ctx: &Context<'_>,
        namespace: Option<String>,
        key: String,
    ) -> async_graphql::Result<Option<crate::metafield::Metafield>> {
        crate::metafield::field_of(ctx, "PRODUCTVARIANT", self.row().id, namespace, key).await
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
        crate::metafield::connection_of(ctx, "PRODUCTVARIANT", self.row().id, namespace, keys, page)
            .await
    }
    async fn created_at(&self) -> DateTime {
        DateTime(from_millis(self.row().created_at))
    }
    async fn updated_at(&self) -> DateTime {
        DateTime(from_millis(self.row().updated_at))
    }
}

/// `InventoryItem`: the one item of a variant.
#[derive(Clone, Debug)]
pub struct InventoryItem(pub(crate) ProductVariant);

/// `Weight`.
#[derive(SimpleObject)]
pub struct Weight {
    unit: WeightUnit,
    value: f64,
}

/// `InventoryItemMeasurement`.
#[derive(SimpleObject)]
pub struct InventoryItemMeasurement {
    id: ID,
    weight: Option<Weight>,
}

#[Object]
impl InventoryItem {
    pub async fn id(&self) -> ID {
        ID(Gid::new("InventoryItem", self.0.row().item_id()).to_string())
    }
    async fn legacy_resource_id(&self) -> UnsignedInt64 {
        UnsignedInt64(self.0.row().item_id() as u64)
    }
    async fn sku(&self) -> Option<&str> {
        self.0.row().sku.as_deref()
    }
    async fn tracked(&self) -> bool {
        self.0.row().tracked != 0
    }
    async fn requires_shipping(&self) -> bool {
        self.0.row().requires_shipping != 0
    }
    async fn unit_cost(&self) -> Option<MoneyV2> {
        self.0.row().unit_cost.as_deref().map(MoneyV2::of)
    }
    async fn measurement(&self) -> InventoryItemMeasurement {
        let row = self.0.row();
        InventoryItemMeasurement {
            id: ID(Gid::new("InventoryItemMeasurement", row.id).to_string()),
            weight: Some(Weight {
                unit: WeightUnit::from_stored(&row.weight_unit),
                value: row.weight,
            }),
        }
    }
    async fn variant(&self) -> ProductVariant {
        self.0.clone()
    }
    async fn country_code_of_origin(&self) -> Option<String> {
        None
    }
    async fn harmonized_system_code(&self) -> Option<String> {
        None
    }
    async fn created_at(&self) -> DateTime {
        DateTime(from_millis(self.0.row().created_at))
    }
    async fn updated_at(&self) -> DateTime {
        DateTime(from_millis(self.0.row().updated_at))
    }
}
