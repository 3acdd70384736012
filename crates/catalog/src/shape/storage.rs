//! The rows of a product's shape (`product_options`, `product_option_values`,
//! `product_variants`): read whole, written as the difference between two shapes.

use super::{OptionValue, ProductOption, Shape, VariantRow, DEFAULT_OPTION, DEFAULT_VALUE};
use crate::error::CatalogResult;
use crate::sql::{multi_row_insert, numbered, rows_per_insert};
use std::collections::HashMap;
use stevedore_core::ShopId;
use stevedore_store::{AnyConnection, Dialect};

/// The variant columns after its id, in [`bind_variant`]'s order.
const VARIANT_COLUMNS: &str = "product_id, position, option1, option2, option3, price, \
     compare_at_price, sku, barcode, taxable, inventory_policy, inventory_quantity, tracked, \
     requires_shipping, unit_cost, weight, weight_unit, tax_code, requires_components, \
     show_unit_price, unit_price_measurement, country_code_of_origin, province_code_of_origin, \
     harmonized_system_code, created_at, updated_at, inventory_item_id";

/// What a variant read selects, in [`VariantRow`]'s order.
pub(crate) const VARIANT_SELECT: &str = "id, product_id, position, option1, option2, option3, \
     price, compare_at_price, sku, barcode, taxable, inventory_policy, inventory_quantity, \
     tracked, requires_shipping, unit_cost, weight, weight_unit, tax_code, requires_components, \
     show_unit_price, unit_price_measurement, country_code_of_origin, province_code_of_origin, \
     harmonized_system_code, created_at, updated_at, inventory_item_id";

/// Inserts of an option and of a value: the table's next id, or (second) the one the row
/// carries.
const INSERT_OPTION: [&str; 2] = [
    "INSERT INTO product_options (shop_id, product_id, name, position)
     VALUES ($1, $2, $3, $4) RETURNING id",
    "INSERT INTO product_options (shop_id, product_id, name, position, id)
     VALUES ($1, $2, $3, $4, $5) RETURNING id",
];
const INSERT_VALUE: [&str; 2] = [
    "INSERT INTO product_option_values (shop_id, product_id, option_id, name, position)
     VALUES ($1, $2, $3, $4, $5) RETURNING id",
    "INSERT INTO product_option_values (shop_id, product_id, option_id, name, position, id)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
];

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

fn bind_variant<'q>(query: AnyQuery<'q>, row: &'q VariantRow) -> AnyQuery<'q> {
    query
        .bind(row.product_id)
        .bind(row.position)
        .bind(row.option1.as_deref())
        .bind(row.option2.as_deref())
        .bind(row.option3.as_deref())
        .bind(row.price.as_str())
        .bind(row.compare_at_price.as_deref())
        .bind(row.sku.as_deref())
        .bind(row.barcode.as_deref())
        .bind(row.taxable)
        .bind(row.inventory_policy.as_str())
        .bind(row.inventory_quantity)
        .bind(row.tracked)
        .bind(row.requires_shipping)
        .bind(row.unit_cost.as_deref())
        .bind(row.weight)
        .bind(row.weight_unit.as_str())
        .bind(row.tax_code.as_deref())
        .bind(row.requires_components)
        .bind(row.show_unit_price)
        .bind(row.unit_price_measurement.as_deref())
        .bind(row.country_code_of_origin.as_deref())
        .bind(row.province_code_of_origin.as_deref())
        .bind(row.harmonized_system_code.as_deref())
        .bind(row.created_at)
        .bind(row.updated_at)
        .bind(row.inventory_item_id)
}

/// Writes the default option, value and variant of each of `products` (products of one shop or
/// several, already written, without a shape yet), in three statements whatever their number.
pub(crate) async fn insert_defaults(
    conn: &mut AnyConnection,
    products: &[i64],
) -> CatalogResult<()> {
    if products.is_empty() {
        return Ok(());
    }
    let statements = [
        format!(
            "INSERT INTO product_options (shop_id, product_id, name, position)
             SELECT shop_id, id, '{DEFAULT_OPTION}', 1 FROM products WHERE id IN (?ids) ORDER BY id"
        ),
        format!(
            "INSERT INTO product_option_values (shop_id, product_id, option_id, name, position)
             SELECT shop_id, product_id, id, '{DEFAULT_VALUE}', 1 FROM product_options
             WHERE product_id IN (?ids) ORDER BY product_id"
        ),
        format!(
            "INSERT INTO product_variants (shop_id, product_id, position, option1, created_at, updated_at)
             SELECT shop_id, id, 1, '{DEFAULT_VALUE}', created_at, updated_at FROM products
             WHERE id IN (?ids) ORDER BY id"
        ),
    ];
    let ids = numbered(1, products.len());
    for statement in statements {
        let sql = statement.replace("?ids", &ids);
        let mut query = sqlx::query(&sql);
        for id in products {
            query = query.bind(*id);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Rows per multi-row insert of new shapes' rows.
const ROWS_PER_INSERT: usize = 500;

/// Writes the options, values and variants of new products' `shapes` (their products written,
/// every row carrying its reserved id), each table in multi-row inserts.
pub(crate) async fn insert_new(
    conn: &mut AnyConnection,
    dialect: Dialect,
    shapes: &[(ShopId, &Shape)],
) -> CatalogResult<()> {
    // (shop, product, option, position) of each option; (…, value, position) of each value.
    let mut options = Vec::new();
    let mut values = Vec::new();
    let mut variants = Vec::new();
    for &(shop, shape) in shapes {
        for (index, option) in shape.options.iter().enumerate() {
            options.push((shop, shape.product_id, option, index as i64 + 1));
            for (value_index, value) in option.values.iter().enumerate() {
                values.push((
                    shop,
                    shape.product_id,
                    option.id,
                    value,
                    value_index as i64 + 1,
                ));
            }
        }
        variants.extend(shape.variants.iter().map(|variant| (shop, variant)));
    }
    const OPTION_COLUMNS: &str = "id, shop_id, product_id, name, position";
    for batch in options.chunks(rows_per_insert(5, ROWS_PER_INSERT)) {
        let sql = multi_row_insert(dialect, "product_options", OPTION_COLUMNS, 5, batch.len());
        let mut query = sqlx::query(&sql);
        for &(shop, product, option, position) in batch {
            query = query
                .bind(option.id)
                .bind(shop.0)
                .bind(product)
                .bind(option.name.as_str())
                .bind(position);
        }
        query.execute(&mut *conn).await?;
    }
    const VALUE_COLUMNS: &str = "id, shop_id, product_id, option_id, name, position";
    for batch in values.chunks(rows_per_insert(6, ROWS_PER_INSERT)) {
        let sql = multi_row_insert(
            dialect,
            "product_option_values",
            VALUE_COLUMNS,
            6,
            batch.len(),
        );
        let mut query = sqlx::query(&sql);
        for &(shop, product, option, value, position) in batch {
            query = query
                .bind(value.id)
                .bind(shop.0)
                .bind(product)
                .bind(option)
                .bind(value.name.as_str())
                .bind(position);
        }
        query.execute(&mut *conn).await?;
    }
    let columns = format!("id, shop_id, {VARIANT_COLUMNS}");
    let per_row = columns.split(", ").count();
    for batch in variants.chunks(rows_per_insert(per_row, ROWS_PER_INSERT)) {
        let sql = multi_row_insert(dialect, "product_variants", &columns, per_row, batch.len());
        let mut query = sqlx::query(&sql);
        for &(shop, variant) in batch {
            query = bind_variant(query.bind(variant.id).bind(shop.0), variant);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct OptionRow {
    id: i64,
    product_id: i64,
    name: String,
}

#[derive(sqlx::FromRow)]
struct ValueRow {
    id: i64,
    option_id: i64,
    name: String,
}

/// The shape of product `product_id` of `shop` (empty if it has none: no such product).
pub(crate) async fn load(
    conn: &mut AnyConnection,
    shop: ShopId,
    product_id: i64,
) -> CatalogResult<Shape> {
    let mut shapes = load_many(conn, shop, &[product_id]).await?;
    Ok(shapes.remove(&product_id).unwrap_or(Shape {
        product_id,
        ..Shape::default()
    }))
}

/// The shapes of `products` of `shop`, by product id (three statements whatever their number).
pub(crate) async fn load_many(
    conn: &mut AnyConnection,
    shop: ShopId,
    products: &[i64],
) -> CatalogResult<HashMap<i64, Shape>> {
    let mut shapes: HashMap<i64, Shape> = HashMap::new();
    if products.is_empty() {
        return Ok(shapes);
    }
    let ids = numbered(2, products.len());
    let options_sql = format!(
        "SELECT id, product_id, name FROM product_options
         WHERE shop_id = $1 AND product_id IN ({ids}) ORDER BY product_id, position"
    );
    let mut query = sqlx::query_as::<_, OptionRow>(&options_sql).bind(shop.0);
    for id in products {
        query = query.bind(*id);
    }
    let options = query.fetch_all(&mut *conn).await?;
    let values_sql = format!(
        "SELECT id, option_id, name FROM product_option_values
         WHERE shop_id = $1 AND product_id IN ({ids}) ORDER BY option_id, position"
    );
    let mut query = sqlx::query_as::<_, ValueRow>(&values_sql).bind(shop.0);
    for id in products {
        query = query.bind(*id);
    }
    let mut values: HashMap<i64, Vec<OptionValue>> = HashMap::new();
    for value in query.fetch_all(&mut *conn).await? {
        values
            .entry(value.option_id)
            .or_default()
            .push(OptionValue {
                id: value.id,
                name: value.name,
            });
    }
    let variants_sql = format!(
        "SELECT {VARIANT_SELECT} FROM product_variants
         WHERE shop_id = $1 AND product_id IN ({ids}) ORDER BY product_id, position"
    );
    let mut query = sqlx::query_as::<_, VariantRow>(&variants_sql).bind(shop.0);
    for id in products {
        query = query.bind(*id);
    }
    let variants = query.fetch_all(&mut *conn).await?;
    for option in options {
        shapes
            .entry(option.product_id)
            .or_insert_with(|| Shape {
                product_id: option.product_id,
                ..Shape::default()
            })
            .options
            .push(ProductOption {
                id: option.id,
                name: option.name,
                values: values.remove(&option.id).unwrap_or_default(),
            });
    }
    for variant in variants {
        shapes
            .entry(variant.product_id)
            .or_insert_with(|| Shape {
                product_id: variant.product_id,
                ..Shape::default()
            })
            .variants
            .push(variant);
    }
    Ok(shapes)
}

/// Writes what `after` changed of `before` (the same product's shape as loaded), at `now`: rows
/// gone are deleted, new ones inserted, changed ones updated. A new row with id 0 is given the
/// table's next id; one that carries an id (a restored record, see `crate::restore`) keeps it.
/// Positions follow the order of `after`.
pub(crate) async fn save(
    conn: &mut AnyConnection,
    shop: ShopId,
    before: &Shape,
    after: &mut Shape,
    now: i64,
) -> CatalogResult<()> {
    let product = after.product_id;
    after.renumber();
    // Variants first: a variant goes before the values it names.
    let kept: std::collections::HashSet<i64> = after.variants.iter().map(|v| v.id).collect();
    let gone: Vec<i64> = before
        .variants
        .iter()
        .map(|variant| variant.id)
        .filter(|id| !kept.contains(id))
        .collect();
    for id in &gone {
        sqlx::query("DELETE FROM product_variants WHERE id = $1")
            .bind(*id)
            .execute(&mut *conn)
            .await?;
    }
    crate::metafield::delete_of_owners(&mut *conn, shop, "PRODUCTVARIANT", &gone).await?;
    let kept: std::collections::HashSet<i64> = after.options.iter().map(|o| o.id).collect();
    for gone in before.options.iter().filter(|o| !kept.contains(&o.id)) {
        sqlx::query("DELETE FROM product_options WHERE id = $1")
            .bind(gone.id)
            .execute(&mut *conn)
            .await?;
    }
    let old_options: HashMap<i64, (usize, &ProductOption)> = before
        .options
        .iter()
        .enumerate()
        .map(|(index, option)| (option.id, (index, option)))
        .collect();
    for (index, option) in after.options.iter_mut().enumerate() {
        let position = index as i64 + 1;
        let old = old_options.get(&option.id);
        match old {
            None => {
                let query = sqlx::query_scalar(INSERT_OPTION[usize::from(option.id != 0)])
                    .bind(shop.0)
                    .bind(product)
                    .bind(option.name.as_str())
                    .bind(position);
                let query = if option.id == 0 {
                    query
                } else {
                    query.bind(option.id)
                };
                option.id = query.fetch_one(&mut *conn).await?;
            }
            Some(&(old_index, old)) if old.name != option.name || old_index != index => {
                sqlx::query("UPDATE product_options SET name = $1, position = $2 WHERE id = $3")
                    .bind(option.name.as_str())
                    .bind(position)
                    .bind(option.id)
                    .execute(&mut *conn)
                    .await?;
            }
            Some(_) => {}
        }
        let old_values: HashMap<i64, (usize, &OptionValue)> = old
            .map(|(_, old)| {
                old.values
                    .iter()
                    .enumerate()
                    .map(|(index, value)| (value.id, (index, value)))
                    .collect()
            })
            .unwrap_or_default();
        let kept: std::collections::HashSet<i64> = option.values.iter().map(|v| v.id).collect();
        for gone in old_values.keys().filter(|id| !kept.contains(id)) {
            sqlx::query("DELETE FROM product_option_values WHERE id = $1")
                .bind(*gone)
                .execute(&mut *conn)
                .await?;
        }
        for (value_index, value) in option.values.iter_mut().enumerate() {
            let value_position = value_index as i64 + 1;
            match old_values.get(&value.id) {
                None => {
                    let query = sqlx::query_scalar(INSERT_VALUE[usize::from(value.id != 0)])
                        .bind(shop.0)
                        .bind(product)
                        .bind(option.id)
                        .bind(value.name.as_str())
                        .bind(value_position);
                    let query = if value.id == 0 {
                        query
                    } else {
                        query.bind(value.id)
                    };
                    value.id = query.fetch_one(&mut *conn).await?;
                }
                Some(&(old_index, old)) if old.name != value.name || old_index != value_index => {
                    sqlx::query(
                        "UPDATE product_option_values SET name = $1, position = $2 WHERE id = $3",
                    )
                    .bind(value.name.as_str())
                    .bind(value_position)
                    .bind(value.id)
                    .execute(&mut *conn)
                    .await?;
                }
                Some(_) => {}
            }
        }
    }
    let old_variants: HashMap<i64, &VariantRow> =
        before.variants.iter().map(|v| (v.id, v)).collect();
    static INSERT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let count = VARIANT_COLUMNS.split(", ").count();
        let values: Vec<String> = (2..=count + 1).map(|n| format!("${n}")).collect();
        format!(
            "INSERT INTO product_variants (shop_id, {VARIANT_COLUMNS}) VALUES ($1, {}) RETURNING id",
            values.join(", ")
        )
    });
    static INSERT_WITH_ID: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let count = VARIANT_COLUMNS.split(", ").count();
        let values: Vec<String> = (2..=count + 2).map(|n| format!("${n}")).collect();
        format!(
            "INSERT INTO product_variants (shop_id, {VARIANT_COLUMNS}, id) VALUES ($1, {})",
            values.join(", ")
        )
    });
    static UPDATE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let sets: Vec<String> = VARIANT_COLUMNS
            .split(", ")
            .enumerate()
            .map(|(index, column)| format!("{column} = ${}", index + 2))
            .collect();
        format!(
            "UPDATE product_variants SET {} WHERE id = $1",
            sets.join(", ")
        )
    });
    for variant in after.variants.iter_mut() {
        variant.product_id = product;
        match old_variants.get(&variant.id) {
            None if variant.id != 0 => {
                // A restored variant keeps its id and its times.
                bind_variant(sqlx::query(INSERT_WITH_ID.as_str()).bind(shop.0), variant)
                    .bind(variant.id)
                    .execute(&mut *conn)
                    .await?;
            }
            None => {
                variant.created_at = now;
                variant.updated_at = now;
                variant.id = bind_variant(sqlx::query(INSERT.as_str()).bind(shop.0), variant)
                    .fetch_one(&mut *conn)
                    .await
                    .and_then(|row| sqlx::Row::try_get(&row, 0))?;
            }
            Some(old) if *old != variant => {
                variant.updated_at = now;
                bind_variant(sqlx::query(UPDATE.as_str()).bind(variant.id), variant)
                    .execute(&mut *conn)
                    .await?;
            }
            Some(_) => {}
        }
    }
    Ok(())
}
