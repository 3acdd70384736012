//! A product's shape: its options (each with its values) and its variants. Every mutation of the
//! product model (`productCreate` with options, `productSet`, `productVariantsBulk*`,
//! `productOptions*`) changes the shape the same way: [`storage::load`] it, change it in memory
//! with the rules below, and [`storage::save`] what changed. The rules live here once, whatever
//! mutation asks.

pub(crate) mod rules;
pub(crate) mod storage;

pub(crate) use storage::{insert_defaults, insert_new, load, load_many, save};

/// The option every product without options of its own has, and its one value.
pub(crate) const DEFAULT_OPTION: &str = "Title";
pub(crate) const DEFAULT_VALUE: &str = "Default Title";

/// The most options a product may have.
pub(crate) const MAX_OPTIONS: usize = 3;
/// The most variants a product may have.
pub(crate) const MAX_VARIANTS: usize = 2048;

/// An option value: `id` 0 until it is saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OptionValue {
    pub(crate) id: i64,
    pub(crate) name: String,
}

/// An option with its values in order: `id` 0 until it is saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProductOption {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) values: Vec<OptionValue>,
}

impl ProductOption {
    pub(crate) fn new(name: &str, values: impl IntoIterator<Item = String>) -> Self {
        Self {
            id: 0,
            name: name.to_owned(),
            values: values
                .into_iter()
                .map(|name| OptionValue { id: 0, name })
                .collect(),
        }
    }

    /// The value named `name`, ignoring case as the hosted API matches value names.
    pub(crate) fn value_named(&self, name: &str) -> Option<&OptionValue> {
        self.values
            .iter()
            .find(|value| value.name.to_lowercase() == name.to_lowercase())
    }
}

/// A variant's own attributes (its inventory item's included), as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub(crate) struct VariantRow {
    pub(crate) id: i64,
    pub(crate) product_id: i64,
    pub(crate) position: i64,
    pub(crate) option1: Option<String>,
    pub(crate) option2: Option<String>,
    pub(crate) option3: Option<String>,
    pub(crate) price: String,
    pub(crate) compare_at_price: Option<String>,
    pub(crate) sku: Option<String>,
    pub(crate) barcode: Option<String>,
    pub(crate) taxable: i64,
    pub(crate) inventory_policy: String,
    pub(crate) inventory_quantity: i64,
    pub(crate) tracked: i64,
    pub(crate) requires_shipping: i64,
    pub(crate) unit_cost: Option<String>,
    pub(crate) weight: f64,
    pub(crate) weight_unit: String,
    pub(crate) tax_code: Option<String>,
    pub(crate) requires_components: i64,
    pub(crate) show_unit_price: i64,
    pub(crate) unit_price_measurement: Option<String>,
    pub(crate) country_code_of_origin: Option<String>,
    pub(crate) province_code_of_origin: Option<String>,
    pub(crate) harmonized_system_code: Option<String>,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
    /// Its inventory item's id where that is not the variant's own (a restored variant's).
    pub(crate) inventory_item_id: Option<i64>,
}

impl VariantRow {
    /// A new variant of `product_id` with the hosted API's defaults, made at `now`.
    pub(crate) fn new(product_id: i64, now: i64) -> Self {
        Self {
            id: 0,
            product_id,
            position: 0,
            option1: None,
            option2: None,
            option3: None,
            price: "0.00".to_owned(),
            compare_at_price: None,
            sku: None,
            barcode: None,
            taxable: 1,
            inventory_policy: "DENY".to_owned(),
            inventory_quantity: 0,
            tracked: 0,
            requires_shipping: 1,
            unit_cost: None,
            weight: 0.0,
            weight_unit: "KILOGRAMS".to_owned(),
            tax_code: None,
            requires_components: 0,
            show_unit_price: 0,
            unit_price_measurement: None,
            country_code_of_origin: None,
            province_code_of_origin: None,
            harmonized_system_code: None,
            created_at: now,
            updated_at: now,
            inventory_item_id: None,
        }
    }

    /// Its inventory item's id.
    pub(crate) fn item_id(&self) -> i64 {
        self.inventory_item_id.unwrap_or(self.id)
    }

    /// The names of its values, in the options' order.
    pub(crate) fn values(&self) -> impl Iterator<Item = &str> {
        [&self.option1, &self.option2, &self.option3]
            .into_iter()
            .map_while(|value| value.as_deref())
    }

    pub(crate) fn set_values(&mut self, values: &[String]) {
        let mut values = values.iter().cloned();
        self.option1 = values.next();
        self.option2 = values.next();
        self.option3 = values.next();
    }

    /// `title`: its values joined as the hosted API joins them.
    pub(crate) fn title(&self) -> String {
        self.values().collect::<Vec<_>>().join(" / ")
    }
}

/// A product's options and variants, in their order.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Shape {
    pub(crate) product_id: i64,
    pub(crate) options: Vec<ProductOption>,
    pub(crate) variants: Vec<VariantRow>,
}

impl Shape {
    /// A new product's shape with `options`, and its one variant: the first value of each.
    pub(crate) fn with_options(options: Vec<ProductOption>, now: i64) -> Self {
        let mut variant = VariantRow::new(0, now);
        let firsts: Vec<String> = options
            .iter()
            .filter_map(|option| option.values.first().map(|value| value.name.clone()))
            .collect();
        variant.set_values(&firsts);
        Self {
            product_id: 0,
            options,
            variants: vec![variant],
        }
    }

    /// Whether the product has only the default variant of the default option.
    pub(crate) fn has_only_default_variant(&self) -> bool {
        self.options.len() == 1
            && self.options[0].name == DEFAULT_OPTION
            && self.options[0].values.len() == 1
            && self.options[0].values[0].name == DEFAULT_VALUE
            && self.variants.len() <= 1
    }

    /// Whether some variant has `value` of the option at `option_index`.
    pub(crate) fn value_has_variants(&self, option_index: usize, value: &str) -> bool {
        self.variants
            .iter()
            .any(|variant| variant.values().nth(option_index) == Some(value))
    }

    /// Puts the options in `order` (indexes of the current options, each once); every
    /// variant's values follow.
    pub(crate) fn reorder_options(&mut self, order: &[usize]) {
        self.options = order
            .iter()
            .map(|index| self.options[*index].clone())
            .collect();
        for variant in &mut self.variants {
            let old: Vec<String> = variant.values().map(str::to_owned).collect();
            let values: Vec<String> = order
                .iter()
                .map(|index| old.get(*index).cloned().unwrap_or_default())
                .collect();
            variant.set_values(&values);
        }
    }

    /// Numbers the variants 1, 2, … in their order.
    /// Whether a row of it carries an id already (saved, or a restored record's own).
    pub(crate) fn has_saved_rows(&self) -> bool {
        self.options
            .iter()
            .any(|option| option.id != 0 || option.values.iter().any(|value| value.id != 0))
            || self.variants.iter().any(|variant| variant.id != 0)
    }

    /// How many options, values and variants it has.
    pub(crate) fn row_counts(&self) -> (usize, usize, usize) {
        let values = self.options.iter().map(|option| option.values.len()).sum();
        (self.options.len(), values, self.variants.len())
    }

    /// Gives a new product's shape its product id and each row its id (from ids reserved, as
    /// many as [`Self::row_counts`] says), numbering the variants.
    pub(crate) fn give_ids(
        &mut self,
        product_id: i64,
        options: Vec<i64>,
        values: Vec<i64>,
        variants: Vec<i64>,
    ) {
        self.product_id = product_id;
        let mut values = values.into_iter();
        for (option, id) in self.options.iter_mut().zip(options) {
            option.id = id;
            for (value, id) in option.values.iter_mut().zip(values.by_ref()) {
                value.id = id;
            }
        }
        for (variant, id) in self.variants.iter_mut().zip(variants) {
            variant.id = id;
            variant.product_id = product_id;
        }
        self.renumber();
    }

    pub(crate) fn renumber(&mut self) {
        for (index, variant) in self.variants.iter_mut().enumerate() {
            variant.position = index as i64 + 1;
        }
    }
}

/// A product's shape after a change, with the product's row (its `updated_at` moved).
pub(crate) struct Changed<T> {
    pub(crate) product: crate::product::ProductRow,
    pub(crate) shape: std::sync::Arc<Shape>,
    pub(crate) outcome: T,
}

/// What became of a change asked of a product's shape.
pub(crate) enum Change<T, E> {
    /// No such product.
    NoProduct,
    /// The rules refused it: nothing was written.
    Refused(E),
    Done(Box<Changed<T>>),
}

/// Loads product `product_id`'s shape, lets `change` work on it, and saves what it changed (in
/// one transaction: the pool's own, or the bulk chunk's). `change` refusing leaves everything
/// as it was.
pub(crate) async fn change<T, E, F>(
    db: &crate::CatalogDb,
    shop: stevedore_core::ShopId,
    product_id: i64,
    now: i64,
    change: F,
) -> crate::CatalogResult<Change<T, E>>
where
    F: FnOnce(&mut Shape) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    use futures::FutureExt;
    db.write(move |conn| {
        async move {
            let sql = format!(
                "SELECT {} FROM products WHERE id = $1 AND shop_id = $2",
                crate::product::storage::COLUMNS
            );
            let product: Option<crate::product::ProductRow> = sqlx::query_as(&sql)
                .bind(product_id)
                .bind(shop.0)
                .fetch_optional(&mut *conn)
                .await?;
            let Some(mut product) = product else {
                return Ok(Change::NoProduct);
            };
            let before = load(&mut *conn, shop, product_id).await?;
            let mut after = before.clone();
            let outcome = match change(&mut after) {
                Ok(outcome) => outcome,
                Err(refused) => return Ok(Change::Refused(refused)),
            };
            save(&mut *conn, shop, &before, &mut after, now).await?;
            sqlx::query("UPDATE products SET updated_at = $1 WHERE id = $2")
                .bind(now)
                .bind(product_id)
                .execute(&mut *conn)
                .await?;
            product.updated_at = now;
            Ok(Change::Done(Box::new(Changed {
                product,
                shape: std::sync::Arc::new(after),
                outcome,
            })))
        }
        .boxed()
    })
    .await
}
