//! What variant mutations take (`ProductVariantsBulkInput`, and `productSet`'s
//! `ProductVariantSetInput`), and how an input changes a variant's row.

use super::{ProductVariantInventoryPolicy, WeightUnit};
use crate::shape::VariantRow;
use async_graphql::{InputObject, ID};
use stevedore_core::scalars::{Decimal, Money};

/// `VariantOptionValueInput`: a variant's value of one option, by names or ids.
#[derive(InputObject, Clone, Debug, Default)]
pub struct VariantOptionValueInput {
    pub id: Option<ID>,
    pub name: Option<String>,
    pub linked_metafield_value: Option<String>,
    pub option_id: Option<ID>,
    pub option_name: Option<String>,
}

/// `WeightInput`.
#[derive(InputObject, Clone, Debug)]
pub struct WeightInput {
    pub value: f64,
    pub unit: WeightUnit,
}

/// `InventoryItemMeasurementInput`.
#[derive(InputObject, Clone, Debug, Default)]
pub struct InventoryItemMeasurementInput {
    pub weight: Option<WeightInput>,
}

/// `InventoryItemInput`.
#[derive(InputObject, Clone, Debug, Default)]
pub struct InventoryItemInput {
    pub sku: Option<String>,
    pub tracked: Option<bool>,
    pub requires_shipping: Option<bool>,
    pub cost: Option<Decimal>,
    pub country_code_of_origin: Option<String>,
    pub province_code_of_origin: Option<String>,
    pub harmonized_system_code: Option<String>,
    pub measurement: Option<InventoryItemMeasurementInput>,
}

/// `InventoryLevelInput`: a quantity at a location. The catalog keeps one quantity per
/// variant, whatever location is named.
#[derive(InputObject, Clone, Debug)]
pub struct InventoryLevelInput {
    pub available_quantity: i32,
    pub location_id: ID,
}

/// `ProductSetInventoryInput`: a quantity of `productSet`'s, named (`available`, `on_hand`).
#[derive(InputObject, Clone, Debug)]
pub struct ProductSetInventoryInput {
    pub location_id: ID,
    pub name: String,
    pub quantity: i32,
}

/// A variant's quantities as an input gives them, whichever type carried them.
pub(crate) trait Quantities {
    /// The variant's quantity: what is available (on hand where nothing is said available).
    fn total(levels: &[Self]) -> i64
    where
        Self: Sized;
}

impl Quantities for InventoryLevelInput {
    fn total(levels: &[Self]) -> i64 {
        levels
            .iter()
            .map(|level| i64::from(level.available_quantity))
            .sum()
    }
}

impl Quantities for ProductSetInventoryInput {
    fn total(levels: &[Self]) -> i64 {
        let named = |name: &str| -> Option<i64> {
            let mut named = levels.iter().filter(|level| level.name == name).peekable();
            named.peek()?;
            Some(named.map(|level| i64::from(level.quantity)).sum())
        };
        named("available").or_else(|| named("on_hand")).unwrap_or(0)
    }
}

/// `UnitPriceMeasurementInput`.
#[derive(InputObject, Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UnitPriceMeasurementInput {
    pub quantity_value: Option<f64>,
    pub quantity_unit: Option<String>,
    pub reference_value: Option<i32>,
    pub reference_unit: Option<String>,
}

/// `MetafieldInput` as variant and product inputs carry it.
#[derive(InputObject, Clone, Debug, Default)]
pub struct MetafieldInput {
    pub id: Option<ID>,
    pub namespace: Option<String>,
    pub key: Option<String>,
    pub value: Option<String>,
    #[graphql(name = "type")]
    pub kind: Option<String>,
}

/// The two variant input types share their attributes; `productSet`'s also takes a `sku` and a
/// `position` of its own.
macro_rules! variant_input {
    ($(#[$doc:meta])* $name:ident, $levels:ty $(, $extra:ident: $ty:ty)*) => {
        $(#[$doc])*
        #[derive(InputObject, Clone, Debug, Default)]
        pub struct $name {
            pub id: Option<ID>,
            pub option_values: Option<Vec<VariantOptionValueInput>>,
            pub price: Option<Money>,
            pub compare_at_price: Option<Money>,
            pub barcode: Option<String>,
            pub taxable: Option<bool>,
            pub tax_code: Option<String>,
            pub inventory_policy: Option<ProductVariantInventoryPolicy>,
            pub inventory_quantities: Option<Vec<$levels>>,
            pub inventory_item: Option<InventoryItemInput>,
            pub metafields: Option<Vec<MetafieldInput>>,
            pub media_id: Option<ID>,
            pub media_src: Option<Vec<String>>,
            pub requires_components: Option<bool>,
            pub show_unit_price: Option<bool>,
            pub unit_price_measurement: Option<UnitPriceMeasurementInput>,
            $(pub $extra: $ty,)*
        }

        impl From<$name> for VariantChanges {
            fn from(input: $name) -> Self {
                #[allow(unused_mut)]
                let mut changes = VariantChanges {
                    id: input.id,
                    option_values: input.option_values,
                    price: input.price,
                    compare_at_price: input.compare_at_price,
                    barcode: input.barcode,
                    taxable: input.taxable,
                    tax_code: input.tax_code,
                    inventory_policy: input.inventory_policy,
                    inventory_quantities: input
                        .inventory_quantities
                        .as_deref()
                        .map(<$levels as Quantities>::total),
                    inventory_item: input.inventory_item,
                    metafields: input.metafields,
                    requires_components: input.requires_components,
                    show_unit_price: input.show_unit_price,
                    unit_price_measurement: input.unit_price_measurement,
                    sku: None,
                    position: None,
                };
                $(changes.$extra = input.$extra;)*
                changes
            }
        }
    };
}

variant_input!(
    /// `ProductVariantsBulkInput`.
    ProductVariantsBulkInput, InventoryLevelInput
);
variant_input!(
    /// `ProductVariantSetInput`: a variant of `productSet`'s input.
    ProductVariantSetInput, ProductSetInventoryInput, sku: Option<String>, position: Option<i32>
);

/// What a variant input asks to change, whichever type delivered it.
#[derive(Clone, Debug, Default)]
pub(crate) struct VariantChanges {
    pub(crate) id: Option<ID>,
    pub(crate) option_values: Option<Vec<VariantOptionValueInput>>,
    pub(crate) price: Option<Money>,
    pub(crate) compare_at_price: Option<Money>,
    pub(crate) barcode: Option<String>,
    pub(crate) taxable: Option<bool>,
    pub(crate) tax_code: Option<String>,
    pub(crate) inventory_policy: Option<ProductVariantInventoryPolicy>,
    /// The quantity the input's levels add up to, if it gives any.
    pub(crate) inventory_quantities: Option<i64>,
    pub(crate) inventory_item: Option<InventoryItemInput>,
    pub(crate) metafields: Option<Vec<MetafieldInput>>,
    pub(crate) requires_components: Option<bool>,
    pub(crate) show_unit_price: Option<bool>,
    pub(crate) unit_price_measurement: Option<UnitPriceMeasurementInput>,
    pub(crate) sku: Option<String>,
    pub(crate) position: Option<i32>,
}

impl VariantChanges {
    /// Writes the attributes the input gives into `row` (its option values are the shape's to
    /// place). The checks came first: see [`crate::shape::rules`].
    pub(crate) fn apply(&self, row: &mut VariantRow) {
        if let Some(price) = self.price {
            row.price = price.text();
        }
        if let Some(compare_at) = self.compare_at_price {
            row.compare_at_price = Some(compare_at.text());
        }
        if let Some(barcode) = &self.barcode {
            row.barcode = Some(barcode.clone());
        }
        if let Some(taxable) = self.taxable {
            row.taxable = i64::from(taxable);
        }
        if let Some(tax_code) = &self.tax_code {
            row.tax_code = Some(tax_code.clone());
        }
        if let Some(policy) = self.inventory_policy {
            row.inventory_policy = policy.as_str().to_owned();
        }
        if let Some(quantity) = self.inventory_quantities {
            row.inventory_quantity = quantity;
        }
        if let Some(requires) = self.requires_components {
            row.requires_components = i64::from(requires);
        }
        if let Some(show) = self.show_unit_price {
            row.show_unit_price = i64::from(show);
        }
        if let Some(measurement) = &self.unit_price_measurement {
            row.unit_price_measurement = serde_json::to_string(measurement).ok();
        }
        if let Some(sku) = &self.sku {
            row.sku = Some(sku.clone());
        }
        if let Some(item) = &self.inventory_item {
            if let Some(sku) = &item.sku {
                row.sku = Some(sku.clone());
            }
            if let Some(tracked) = item.tracked {
                row.tracked = i64::from(tracked);
            }
            if let Some(requires) = item.requires_shipping {
                row.requires_shipping = i64::from(requires);
            }
            if let Some(cost) = item.cost {
                row.unit_cost = Some(Money(cost.0).text());
            }
            if let Some(country) = &item.country_code_of_origin {
                row.country_code_of_origin = Some(country.clone());
            }
            if let Some(province) = &item.province_code_of_origin {
                row.province_code_of_origin = Some(province.clone());
            }
            if let Some(code) = &item.harmonized_system_code {
                // The hosted API keeps the code's digits only (`1234.56` → `123456`).
                row.harmonized_system_code =
                    Some(code.chars().filter(char::is_ascii_alphanumeric).collect());
            }
            if let Some(weight) = item.measurement.as_ref().and_then(|m| m.weight.as_ref()) {
                row.weight = weight.value;
                row.weight_unit = weight.unit.as_str().to_owned();
            }
        }
    }
}
