//! The realistic import: `productSet` lines as a catalog sync sends them, and the floor for the
//! same rows.
//!
//! Each line is one product with two options (Color with one value, Size with three), three
//! variants (price, compareAtPrice, sku, barcode, weight, inventory policy), SEO, four tags and
//! two metafields: about 1.6 KB. The document is the README's realistic import
//! (`fixtures/catalog/product-set.graphql`), which answers each product's id, handle and its
//! variants' ids, SKUs and prices.
//!
//! The floor writes the same rows (a product, 2 options, 4 values, 3 variants, 2 metafields:
//! 12 rows a product) into the schema the server's migrations made, with prepared statements in
//! transactions of 1,000 products, and writes the same answer per line: SQLite straight, with
//! no HTTP, no GraphQL, no engine and no checks.

use crate::{fresh_dir, import, Measured};
use anyhow::{Context, Result};
use serde_json::{json, Value};
use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const DOCUMENT: &str = include_str!("../fixtures/catalog/product-set.graphql");
const SIZES: [&str; 3] = ["S", "M", "L"];
const PRODUCTS_PER_TRANSACTION: usize = 1_000;

/// The most a staged file may hold.
const MAX_FILE_BYTES: u64 = 100 * 1024 * 1024;

/// `products` productSet lines in `work`, in as many files as the upload limit makes them;
/// returns the files and their total size.
pub fn generate(work: &Path, products: u64) -> Result<(Vec<PathBuf>, u64)> {
    let mut files = Vec::new();
    let mut out: Option<BufWriter<std::fs::File>> = None;
    let (mut in_file, mut total) = (0, 0);
    for i in 0..products {
        let variants: Vec<Value> = SIZES
            .iter()
            .enumerate()
            .map(|(n, size)| {
                json!({
                    "optionValues": [
                        { "optionName": "Color", "name": "Black" },
                        { "optionName": "Size", "name": size },
                    ],
                    "price": format!("{}.00", 60 + n * 5),
                    "compareAtPrice": format!("{}.00", 90 + n * 5),
                    "sku": format!("TJ-{i:07}-{size}"),
                    "barcode": format!("40{i:07}{n:03}"),
                    "inventoryPolicy": if n == 0 { "CONTINUE" } else { "DENY" },
                    "inventoryItem": { "tracked": true, "measurement": {
                        "weight": { "value": 0.7 + n as f64 / 10.0, "unit": "KILOGRAMS" } } },
                })
            })
            .collect();
        let line = json!({"input": {
            "title": format!("Trail jacket {i:07}"),
            "descriptionHtml": format!("<p>Trail jacket {i}, waterproof.</p>"),
            "vendor": "Stevedore Outfitters",
            "productType": "Jacket",
            "status": "ACTIVE",
            "tags": ["outerwear", "waterproof", "bench", format!("batch-{}", i / 1000)],
            "seo": {
                "title": format!("Trail jacket {i:07}"),
                "description": "A waterproof trail jacket.",
            },
            "productOptions": [
                { "name": "Color", "position": 1, "values": [{ "name": "Black" }] },
                { "name": "Size", "position": 2,
                  "values": SIZES.iter().map(|size| json!({ "name": size })).collect::<Vec<_>>() },
            ],
            "variants": variants,
            "metafields": [
                { "namespace": "custom", "key": "material", "type": "single_line_text_field",
                  "value": "Recycled nylon" },
                { "namespace": "custom", "key": "care", "type": "multi_line_text_field",
                  "value": "Machine wash cold.\nHang to dry." },
            ],
        }});
        let line = format!("{line}\n");
        let size = line.len() as u64;
        if out.is_none() || in_file + size > MAX_FILE_BYTES {
            if let Some(mut done) = out.take() {
                done.flush()?;
            }
            let path = work.join(format!("product-set-{products}-{}.jsonl", files.len()));
            out = Some(BufWriter::new(std::fs::File::create(&path)?));
            files.push(path);
            in_file = 0;
        }
        out.as_mut().expect("a file").write_all(line.as_bytes())?;
        (in_file, total) = (in_file + size, total + size);
    }
    if let Some(mut done) = out {
        done.flush()?;
    }
    Ok((files, total))
}

/// The bulk import of `products` productSet lines.
pub async fn bulk(work: &Path, inputs: &[PathBuf], products: u64, bytes: u64) -> Result<Measured> {
    import(
        work,
        inputs,
        products,
        bytes,
        DOCUMENT,
        &format!("productSet import {products}"),
    )
    .await
}

/// The same rows written straight into the same schema.
pub async fn floor(work: &Path, inputs: &[PathBuf], products: u64, bytes: u64) -> Result<Measured> {
    let dir = fresh_dir(work, &format!("set-floor-{products}"))?;
    crate::create_shop(dir.to_str().context("data dir")?)?;
    let (database, inputs, result) = (
        dir.join("stevedore.db"),
        inputs.to_owned(),
        dir.join("result.jsonl"),
    );
    let wall =
        tokio::task::spawn_blocking(move || write_straight(&database, &inputs, &result)).await??;
    Ok(Measured {
        case: format!("productSet floor {products}"),
        lines: products,
        bytes,
        wall,
        peak_rss_kib: None,
        note: format!(
            "rusqlite, WAL, prepared INSERTs of the 12 rows a product, {PRODUCTS_PER_TRANSACTION} products per transaction"
        ),
    })
}

fn write_straight(database: &Path, inputs: &[PathBuf], result: &Path) -> Result<Duration> {
    let (mut connection, shop) = crate::open_floor(database)?;
    let now = chrono::Utc::now().timestamp_millis();
    let started = Instant::now();
    let mut out = BufWriter::new(std::fs::File::create(result)?);
    let mut files = Vec::new();
    for input in inputs {
        files.push(std::io::BufReader::new(std::fs::File::open(input)?).lines());
    }
    let mut lines = files.into_iter().flatten().enumerate().peekable();
    while lines.peek().is_some() {
        let transaction = connection.transaction()?;
        {
            let mut product = transaction.prepare_cached(
                "INSERT INTO products (shop_id, title, handle, description_html, product_type,
                     vendor, tags, status, seo_title, seo_description, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)",
            )?;
            let mut option = transaction.prepare_cached(
                "INSERT INTO product_options (shop_id, product_id, name, position)
                 VALUES (?1, ?2, ?3, ?4)",
            )?;
            let mut value = transaction.prepare_cached(
                "INSERT INTO product_option_values (shop_id, product_id, option_id, name, position)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            let mut variant = transaction.prepare_cached(
                "INSERT INTO product_variants (shop_id, product_id, position, option1, option2,
                     price, compare_at_price, sku, barcode, inventory_policy, tracked, weight,
                     weight_unit, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 1, ?11, ?12, ?13, ?13)",
            )?;
            let mut metafield = transaction.prepare_cached(
                "INSERT INTO metafields (shop_id, owner_type, owner_id, namespace, key, type, value,
                     created_at, updated_at)
                 VALUES (?1, 'PRODUCT', ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
            )?;
            for (number, line) in lines.by_ref().take(PRODUCTS_PER_TRANSACTION) {
                let line: Value = serde_json::from_str(&line?)?;
                let input = &line["input"];
                let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
                let title = text(&input["title"]);
                let handle = title.to_lowercase().replace(' ', "-");
                product.execute(rusqlite::params![
                    shop,
                    title,
                    handle,
                    text(&input["descriptionHtml"]),
                    text(&input["productType"]),
                    text(&input["vendor"]),
                    input["tags"].to_string(),
                    text(&input["status"]),
                    text(&input["seo"]["title"]),
                    text(&input["seo"]["description"]),
                    now,
                ])?;
                let id = transaction.last_insert_rowid();
                let options = input["productOptions"].as_array().context("options")?;
                for (position, named) in options.iter().enumerate() {
                    option.execute(rusqlite::params![
                        shop,
                        id,
                        text(&named["name"]),
                        position + 1
                    ])?;
                    let option_id = transaction.last_insert_rowid();
                    let values = named["values"].as_array().context("values")?;
                    for (position, named) in values.iter().enumerate() {
                        value.execute(rusqlite::params![
                            shop,
                            id,
                            option_id,
                            text(&named["name"]),
                            position + 1
                        ])?;
                    }
                }
                let mut answered = Vec::new();
                let variants = input["variants"].as_array().context("variants")?;
                for (position, given) in variants.iter().enumerate() {
                    let weight = &given["inventoryItem"]["measurement"]["weight"];
                    variant.execute(rusqlite::params![
                        shop,
                        id,
                        position + 1,
                        text(&given["optionValues"][0]["name"]),
                        text(&given["optionValues"][1]["name"]),
                        text(&given["price"]),
                        text(&given["compareAtPrice"]),
                        text(&given["sku"]),
                        text(&given["barcode"]),
                        text(&given["inventoryPolicy"]),
                        weight["value"].as_f64().unwrap_or_default(),
                        text(&weight["unit"]),
                        now,
                    ])?;
                    answered.push(json!({
                        "id": format!("gid://shopify/ProductVariant/{}", transaction.last_insert_rowid()),
                        "sku": given["sku"],
                        "price": given["price"],
                    }));
                }
                for given in input["metafields"].as_array().context("metafields")? {
                    metafield.execute(rusqlite::params![
                        shop,
                        id,
                        text(&given["namespace"]),
                        text(&given["key"]),
                        text(&given["type"]),
                        text(&given["value"]),
                        now,
                    ])?;
                }
                let answer = json!({
                    "data": { "productSet": {
                        "product": { "id": format!("gid://shopify/Product/{id}"), "handle": handle,
                                     "variants": { "nodes": answered } },
                        "userErrors": [],
                    } },
                    "__lineNumber": number,
                });
                writeln!(out, "{answer}")?;
            }
        }
        transaction.commit()?;
    }
    out.flush()?;
    Ok(started.elapsed())
}
