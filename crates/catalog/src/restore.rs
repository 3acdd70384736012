//! Records written with the ids they already have: a catalog brought over from another store
//! keeps every product's, option's, option value's, variant's and metafield's id, so the
//! references to them that callers hold stay good. The conformance runner replays recorded
//! answers this way, starting each from the records the recording's store had.
//!
//! Nothing here checks a record as a mutation would: what is restored was valid where it came
//! from. A product whose handle this shop already has is skipped, as is a metafield whose owner
//! and key are taken.
//!
//! On Postgres the tables' identity sequences are not moved: restored ids are expected to lie
//! far above the ones this store gives out (another store's ids do), never below.

use crate::db::CatalogDb;
use crate::error::CatalogResult;
use crate::product::ProductRow;
use crate::shape::{OptionValue, ProductOption, Shape, VariantRow};
use futures::FutureExt;
use stevedore_core::ShopId;

/// A product with its options and variants, each with its id.
#[derive(Debug, Clone, Default)]
pub struct RestoredProduct {
    pub id: i64,
    pub title: String,
    pub handle: String,
    pub description_html: String,
    pub product_type: String,
    pub vendor: String,
    pub tags: Vec<String>,
    /// `ACTIVE`, `ARCHIVED`, `DRAFT` or `UNLISTED`.
    pub status: String,
    pub template_suffix: Option<String>,
    pub seo_title: Option<String>,
    pub seo_description: Option<String>,
    /// Unix milliseconds.
    pub created_at: i64,
    pub updated_at: i64,
    /// In their order; empty for the default option ("Title").
    pub options: Vec<RestoredOption>,
    /// In their order.
    pub variants: Vec<RestoredVariant>,
    /// In their order.
    pub media: Vec<RestoredMedia>,
}

/// A media item of a product.
#[derive(Debug, Clone, Default)]
pub struct RestoredMedia {
    pub id: i64,
    /// `IMAGE`, `VIDEO`, `EXTERNAL_VIDEO` or `MODEL_3D`.
    pub content_type: String,
    pub alt: String,
    pub original_source: String,
    /// Its image's `ProductImage` id, where the record shows one.
    pub image_id: Option<i64>,
}

/// An option: its id, name and values (id 0 where the record did not show one: a new id).
#[derive(Debug, Clone, Default)]
pub struct RestoredOption {
    pub id: i64,
    pub name: String,
    pub values: Vec<(i64, String)>,
}

/// A variant with its inventory item's settings.
#[derive(Debug, Clone, Default)]
pub struct RestoredVariant {
    pub id: i64,
    /// Its inventory item's id, where the record shows one.
    pub inventory_item_id: Option<i64>,
    /// Its option values' names, in the options' order.
    pub values: Vec<String>,
    pub price: Option<String>,
    pub compare_at_price: Option<String>,
    pub sku: Option<String>,
    pub barcode: Option<String>,
    pub taxable: Option<bool>,
    pub inventory_policy: Option<String>,
    pub inventory_quantity: Option<i64>,
    pub tracked: Option<bool>,
    pub requires_shipping: Option<bool>,
}

/// A metafield of an owner this catalog keeps (`PRODUCT`, `PRODUCTVARIANT`, `SHOP`, …).
#[derive(Debug, Clone, Default)]
pub struct RestoredMetafield {
    pub id: i64,
    pub owner_type: String,
    pub owner_id: i64,
    pub namespace: String,
    pub key: String,
    pub type_name: String,
    pub value: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A metafield definition.
#[derive(Debug, Clone, Default)]
pub struct RestoredDefinition {
    pub id: i64,
    /// `PRODUCT`, `PRODUCTVARIANT`, `CUSTOMER`, …
    pub owner_type: String,
    pub namespace: String,
    pub key: String,
    pub name: String,
    pub description: Option<String>,
    pub type_name: String,
    /// Its validations: (name, value), in order.
    pub validations: Vec<(String, String)>,
    pub pinned_position: Option<i64>,
}

/// What is restored in one go.
#[derive(Debug, Clone, Default)]
pub struct Records {
    pub products: Vec<RestoredProduct>,
    pub metafields: Vec<RestoredMetafield>,
    pub definitions: Vec<RestoredDefinition>,
}

/// Writes `records` of `shop` with their ids, in one transaction.
pub async fn restore(db: &CatalogDb, shop: ShopId, records: Records) -> CatalogResult<()> {
    let Records {
        products,
        metafields,
        definitions,
    } = records;
    db.write(move |conn| {
        async move {
            for definition in definitions {
                let validations: Vec<crate::metafield::definition::rules::Validation> = definition
                    .validations
                    .iter()
                    .map(
                        |(name, value)| crate::metafield::definition::rules::Validation {
                            name: name.clone(),
                            value: value.clone(),
                        },
                    )
                    .collect();
                let row = crate::metafield::definition::storage::DefinitionRow {
                    id: definition.id,
                    owner_type: definition.owner_type.clone(),
                    namespace: definition.namespace.clone(),
                    key: definition.key.clone(),
                    name: definition.name.clone(),
                    description: definition.description.clone(),
                    type_name: definition.type_name.clone(),
                    validations: serde_json::to_string(&validations)
                        .unwrap_or_else(|_| "[]".into()),
                    pinned_position: definition.pinned_position,
                    created_at: 0,
                };
                crate::metafield::definition::storage::insert(&mut *conn, shop, &row).await?;
            }
            for product in products {
                let mut row = ProductRow {
                    id: product.id,
                    title: product.title.clone(),
                    handle: product.handle.clone(),
                    description_html: product.description_html.clone(),
                    product_type: product.product_type.clone(),
                    vendor: product.vendor.clone(),
                    tags: serde_json::to_string(&product.tags).unwrap_or_else(|_| "[]".into()),
                    status: product.status.clone(),
                    template_suffix: product.template_suffix.clone(),
                    gift_card: 0,
                    seo_title: product.seo_title.clone(),
                    seo_description: product.seo_description.clone(),
                    created_at: product.created_at,
                    updated_at: product.updated_at,
                };
                if !row.insert_if_handle_free(shop, &mut *conn).await? {
                    continue;
                }
                let mut shape = shape_of(&product);
                crate::shape::save(
                    &mut *conn,
                    shop,
                    &Shape {
                        product_id: product.id,
                        ..Shape::default()
                    },
                    &mut shape,
                    product.created_at,
                )
                .await?;
                crate::media::storage::insert_restored(
                    &mut *conn,
                    shop,
                    product.id,
                    &product.media,
                    product.created_at,
                )
                .await?;
            }
            for metafield in metafields {
                sqlx::query(
                    "INSERT INTO metafields (id, shop_id, owner_type, owner_id, namespace, key,
                         type, value, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                     ON CONFLICT DO NOTHING",
                )
                .bind(metafield.id)
                .bind(shop.0)
                .bind(metafield.owner_type.as_str())
                .bind(metafield.owner_id)
                .bind(metafield.namespace.as_str())
                .bind(metafield.key.as_str())
                .bind(metafield.type_name.as_str())
                .bind(metafield.value.as_str())
                .bind(metafield.created_at)
                .bind(metafield.updated_at)
                .execute(&mut *conn)
                .await?;
            }
            Ok(())
        }
        .boxed()
    })
    .await
}

/// The shape a restored product has: its options (the default one when it shows none) and its
/// variants (the default variant when it shows none), each variant's unset settings the new
/// variant's defaults.
fn shape_of(product: &RestoredProduct) -> Shape {
    let options: Vec<ProductOption> = if product.options.is_empty() {
        vec![ProductOption::new(
            crate::shape::DEFAULT_OPTION,
            [crate::shape::DEFAULT_VALUE.to_owned()],
        )]
    } else {
        product
            .options
            .iter()
            .map(|option| ProductOption {
                id: option.id,
                name: option.name.clone(),
                values: option
                    .values
                    .iter()
                    .map(|(id, name)| OptionValue {
                        id: *id,
                        name: name.clone(),
                    })
                    .collect(),
            })
            .collect()
    };
    let mut shape = Shape::with_options(options, product.created_at);
    shape.product_id = product.id;
    shape.variants[0].product_id = product.id;
    if !product.variants.is_empty() {
        shape.variants = product
            .variants
            .iter()
            .map(|restored| variant_row(product, restored, &shape))
            .collect();
    }
    // Values some variant shows that no option listed.
    for variant in &shape.variants {
        for (index, value) in variant.values().enumerate() {
            if let Some(option) = shape.options.get(index) {
                if option.value_named(value).is_none() {
                    let value = value.to_owned();
                    shape.options[index]
                        .values
                        .push(OptionValue { id: 0, name: value });
                }
            }
        }
    }
    shape
}

fn variant_row(product: &RestoredProduct, restored: &RestoredVariant, shape: &Shape) -> VariantRow {
    let mut row = VariantRow::new(product.id, product.created_at);
    row.id = restored.id;
    row.inventory_item_id = restored
        .inventory_item_id
        .filter(|item| *item != restored.id);
    let values = if restored.values.is_empty() {
        shape.variants[0].values().map(str::to_owned).collect()
    } else {
        restored.values.clone()
    };
    row.set_values(&values);
    let flag = |value: Option<bool>, default: i64| value.map_or(default, i64::from);
    if let Some(price) = &restored.price {
        row.price = price.clone();
    }
    row.compare_at_price = restored.compare_at_price.clone();
    row.sku = restored.sku.clone();
    row.barcode = restored.barcode.clone();
    row.taxable = flag(restored.taxable, row.taxable);
    if let Some(policy) = &restored.inventory_policy {
        row.inventory_policy = policy.clone();
    }
    row.inventory_quantity = restored.inventory_quantity.unwrap_or(0);
    row.tracked = flag(restored.tracked, row.tracked);
    row.requires_shipping = flag(restored.requires_shipping, row.requires_shipping);
    row
}
