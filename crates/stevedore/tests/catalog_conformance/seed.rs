//! Seeding a fresh server with the records a capture shows the recorded store had: the answers
//! of the calls made to that store while the capture ran (`upstreamCalls`) and the read made
//! before it (`preconditionRead`). Every object there with a global id is gathered, whatever
//! the query that read it: products (with their options, values and variants), variants
//! (under their product, or naming it), and metafields (under their owner), each merged from
//! every place it appears, and written with its recorded id (`stevedore_catalog::restore`).
//!
//! Records of kinds this catalog cannot hold yet (customers, media, locations, metafield
//! definitions, inventory items apart from their variant, …) are named: a capture that needs
//! one is skipped with that name as the feature it waits for.

use chrono::DateTime;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use stevedore_catalog::restore::{
    RestoredDefinition, RestoredMedia, RestoredMetafield, RestoredOption, RestoredProduct,
    RestoredVariant,
};

/// Kinds of records the store keeps outside the catalog, or that are the shop's own: they need
/// no seeding.
const NOT_RECORDS: &[&str] = &[
    "Shop",
    "Domain",
    "ApiVersion",
    "App",
    "AppInstallation",
    "ProductOption",
    "ProductOptionValue",
    "StagedUploadTarget",
    // Views of a product's media item, which is seeded.
    "ProductImage",
    "ImageSource",
];

/// The global id types of media, with the content type each is.
const MEDIA: &[(&str, &str)] = &[
    ("MediaImage", "IMAGE"),
    ("Video", "VIDEO"),
    ("ExternalVideo", "EXTERNAL_VIDEO"),
    ("Model3d", "MODEL_3D"),
];

/// What a capture's recorded store held, as this catalog will hold it.
#[derive(Default, Debug)]
pub struct Seed {
    pub products: BTreeMap<i64, RestoredProduct>,
    pub metafields: BTreeMap<i64, RestoredMetafield>,
    pub definitions: BTreeMap<i64, RestoredDefinition>,
    /// Every recorded global id the seed writes (options and values included).
    pub ids: BTreeSet<String>,
    /// Kinds of records it shows that cannot be written yet.
    pub missing: BTreeSet<String>,
}

impl Seed {
    /// The seed of `capture`, whose `compared` parts (the recorded answers of the requests
    /// the replay sends) are left to the replay to make.
    pub fn of(capture: &Value, compared: &[&Value]) -> Seed {
        let mut seed = Seed::default();
        seed.walk(&capture["preconditionRead"], None);
        for call in capture["upstreamCalls"].as_array().into_iter().flatten() {
            seed.walk(&call["response"]["body"]["data"], None);
        }
        // The recording's store already held what the capture went on to create when the
        // calls were made; what the replayed requests create, the replay makes itself.
        let mut created = BTreeSet::new();
        for answer in compared {
            created_ids(answer, &mut created);
        }
        seed.definitions
            .retain(|id, _| !created.contains(&format!("gid://shopify/MetafieldDefinition/{id}")));
        seed
    }

    pub fn is_empty(&self) -> bool {
        self.products.is_empty() && self.metafields.is_empty() && self.definitions.is_empty()
    }

    fn walk(&mut self, value: &Value, owner: Option<(&'static str, i64)>) {
        match value {
            Value::Array(items) => items.iter().for_each(|item| self.walk(item, owner)),
            Value::Object(fields) => {
                let typed = fields.get("id").and_then(Value::as_str).and_then(parse_gid);
                match typed {
                    Some(("Product", id)) => self.product(id, fields),
                    Some(("ProductVariant", id)) => self.variant(id, fields, owner),
                    Some(("InventoryItem", id)) => self.inventory_item(id, fields, owner),
                    Some(("Metafield", id)) => self.metafield(id, fields, owner),
                    Some(("MetafieldDefinition", id)) => self.definition(id, fields),
                    Some((kind, _)) if NOT_RECORDS.contains(&kind) => {
                        fields.values().for_each(|item| self.walk(item, owner));
                    }
                    Some((kind, _)) => {
                        self.missing.insert(kind.to_owned());
                    }
                    None => fields.values().for_each(|item| self.walk(item, owner)),
                }
            }
            _ => {}
        }
    }

    fn product_entry(&mut self, id: i64) -> &mut RestoredProduct {
        self.ids.insert(format!("gid://shopify/Product/{id}"));
        self.products.entry(id).or_insert_with(|| RestoredProduct {
            id,
            handle: format!("recorded-product-{id}"),
            status: "ACTIVE".into(),
            ..RestoredProduct::default()
        })
    }

    fn product(&mut self, id: i64, fields: &serde_json::Map<String, Value>) {
        let text = |key: &str| fields.get(key).and_then(Value::as_str).map(str::to_owned);
        let product = self.product_entry(id);
        if let Some(title) = text("title") {
            product.title = title;
        }
        if let Some(handle) = text("handle") {
            product.handle = handle;
        }
        if let Some(status) = text("status") {
            product.status = status;
        }
        if let Some(vendor) = text("vendor") {
            product.vendor = vendor;
        }
        if let Some(product_type) = text("productType") {
            product.product_type = product_type;
        }
        if let Some(html) = text("descriptionHtml") {
            product.description_html = html;
        }
        if let Some(suffix) = text("templateSuffix") {
            product.template_suffix = Some(suffix);
        }
        if let Some(tags) = fields.get("tags").and_then(Value::as_array) {
            product.tags = tags
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect();
        }
        if let Some(seo) = fields.get("seo").filter(|seo| seo.is_object()) {
            product.seo_title = seo["title"].as_str().map(str::to_owned);
            product.seo_description = seo["description"].as_str().map(str::to_owned);
        }
        if let Some(at) = text("createdAt").and_then(|at| millis(&at)) {
            product.created_at = at;
        }
        if let Some(at) = text("updatedAt").and_then(|at| millis(&at)) {
            product.updated_at = at;
        }
        if let Some(options) = fields.get("options").and_then(Value::as_array) {
            let options: Vec<RestoredOption> = options.iter().map(option_of).collect();
            if !options.is_empty() {
                product.options = options;
            }
        }
        let options: Vec<String> = product
            .options
            .iter()
            .flat_map(|option| {
                std::iter::once(format!("gid://shopify/ProductOption/{}", option.id)).chain(
                    option
                        .values
                        .iter()
                        .map(|(id, _)| format!("gid://shopify/ProductOptionValue/{id}")),
                )
            })
            .collect();
        self.ids.extend(options);
        for key in ["media", "featuredMedia"] {
            for item in nodes_of(fields.get(key)) {
                self.media(id, item);
            }
        }
        for (key, value) in fields {
            if [
                "options",
                "media",
                "featuredMedia",
                "images",
                "featuredImage",
            ]
            .contains(&key.as_str())
            {
                continue;
            }
            self.walk(value, Some(("PRODUCT", id)));
        }
    }

    /// A media item of product `product`, as the product's `media` showed it.
    fn media(&mut self, product: i64, item: &Value) {
        let Some((kind, id)) = item["id"].as_str().and_then(parse_gid) else {
            return;
        };
        let Some((_, content_type)) = MEDIA.iter().find(|(name, _)| *name == kind) else {
            self.missing.insert(kind.to_owned());
            return;
        };
        self.ids.insert(format!("gid://shopify/{kind}/{id}"));
        let source = [
            &item["image"]["url"],
            &item["preview"]["image"]["url"],
            &item["originUrl"],
            &item["originalSource"]["url"],
        ]
        .into_iter()
        .find_map(Value::as_str)
        .map_or_else(
            || format!("https://cdn.shopify.com/recorded/{id}"),
            str::to_owned,
        );
        let product = self.product_entry(product);
        if product.media.iter().any(|media| media.id == id) {
            return;
        }
        product.media.push(RestoredMedia {
            id,
            content_type: (*content_type).to_owned(),
            alt: item["alt"].as_str().unwrap_or_default().to_owned(),
            original_source: source,
            image_id: item["image"]["id"]
                .as_str()
                .and_then(parse_gid)
                .filter(|(kind, _)| *kind == "ProductImage")
                .map(|(_, id)| id),
        });
    }

    fn variant(
        &mut self,
        id: i64,
        fields: &serde_json::Map<String, Value>,
        owner: Option<(&'static str, i64)>,
    ) {
        let product_id = fields
            .get("product")
            .and_then(|product| product["id"].as_str())
            .and_then(parse_gid)
            .map(|(_, id)| id)
            .or(match owner {
                Some(("PRODUCT", product)) => Some(product),
                _ => None,
            });
        let Some(product_id) = product_id else {
            self.missing
                .insert("ProductVariant without its product".into());
            return;
        };
        self.ids
            .insert(format!("gid://shopify/ProductVariant/{id}"));
        let product = self.product_entry(product_id);
        let at = match product.variants.iter().position(|variant| variant.id == id) {
            Some(at) => at,
            None => {
                product.variants.push(RestoredVariant {
                    id,
                    ..RestoredVariant::default()
                });
                product.variants.len() - 1
            }
        };
        let variant = &mut product.variants[at];
        let text = |key: &str| fields.get(key).and_then(Value::as_str).map(str::to_owned);
        if let Some(price) = text("price") {
            variant.price = Some(price);
        }
        if fields.contains_key("compareAtPrice") {
            variant.compare_at_price = text("compareAtPrice");
        }
        if fields.contains_key("sku") {
            variant.sku = text("sku");
        }
        if fields.contains_key("barcode") {
            variant.barcode = text("barcode");
        }
        if let Some(taxable) = fields.get("taxable").and_then(Value::as_bool) {
            variant.taxable = Some(taxable);
        }
        if let Some(policy) = text("inventoryPolicy") {
            variant.inventory_policy = Some(policy);
        }
        if let Some(quantity) = fields.get("inventoryQuantity").and_then(Value::as_i64) {
            variant.inventory_quantity = Some(quantity);
        }
        if let Some(selected) = fields.get("selectedOptions").and_then(Value::as_array) {
            variant.values = selected
                .iter()
                .filter_map(|option| option["value"].as_str())
                .map(str::to_owned)
                .collect();
            // The options a product shows only through its variants.
            if product.options.is_empty() {
                product.options = selected
                    .iter()
                    .filter_map(|option| option["name"].as_str())
                    .map(|name| RestoredOption {
                        id: 0,
                        name: name.to_owned(),
                        values: vec![],
                    })
                    .collect();
            }
        }
        if let Some(item) = fields.get("inventoryItem").filter(|item| item.is_object()) {
            if let Some((_, item_id)) = item["id"].as_str().and_then(parse_gid) {
                variant.inventory_item_id = Some(item_id);
            }
            if let Some(tracked) = item["tracked"].as_bool() {
                variant.tracked = Some(tracked);
            }
            if let Some(requires) = item["requiresShipping"].as_bool() {
                variant.requires_shipping = Some(requires);
            }
        }
        for (key, value) in fields {
            // An inventory item's id is its own there, and its variant's here: it is not a
            // record of its own when read under its variant.
            if key == "inventoryItem" || key == "product" {
                continue;
            }
            self.walk(value, Some(("PRODUCTVARIANT", id)));
        }
        if let Some(product) = fields.get("product") {
            self.walk(product, None);
        }
    }

    /// An inventory item read by its own id: this catalog knows it only as its variant's, so
    /// a capture that names it waits for inventory items of their own.
    fn inventory_item(
        &mut self,
        _id: i64,
        fields: &serde_json::Map<String, Value>,
        owner: Option<(&'static str, i64)>,
    ) {
        self.missing.insert("InventoryItem".into());
        fields.values().for_each(|item| self.walk(item, owner));
    }

    fn metafield(
        &mut self,
        id: i64,
        fields: &serde_json::Map<String, Value>,
        owner: Option<(&'static str, i64)>,
    ) {
        let Some((owner_type, owner_id)) = owner else {
            self.missing.insert("Metafield without its owner".into());
            return;
        };
        let text = |key: &str| fields.get(key).and_then(Value::as_str).map(str::to_owned);
        let (Some(namespace), Some(key), Some(type_name), Some(value)) =
            (text("namespace"), text("key"), text("type"), text("value"))
        else {
            self.missing
                .insert("Metafield read without its value".into());
            return;
        };
        self.ids.insert(format!("gid://shopify/Metafield/{id}"));
        let created_at = text("createdAt").and_then(|at| millis(&at)).unwrap_or(0);
        self.metafields.insert(
            id,
            RestoredMetafield {
                id,
                owner_type: owner_type.to_owned(),
                owner_id,
                namespace,
                key,
                type_name,
                value,
                created_at,
                updated_at: text("updatedAt")
                    .and_then(|at| millis(&at))
                    .unwrap_or(created_at),
            },
        );
        if let Some(definition) = fields.get("definition").filter(|d| !d.is_null()) {
            self.walk(definition, None);
        }
    }

    /// A metafield definition, as far as the answer shows it (a definition read only by id
    /// and name is made with what the metafields under it show, or a text type).
    fn definition(&mut self, id: i64, fields: &serde_json::Map<String, Value>) {
        let text = |key: &str| fields.get(key).and_then(Value::as_str).map(str::to_owned);
        let (Some(namespace), Some(key)) = (text("namespace"), text("key")) else {
            self.missing
                .insert("MetafieldDefinition read without its key".into());
            return;
        };
        self.ids
            .insert(format!("gid://shopify/MetafieldDefinition/{id}"));
        let entry = self
            .definitions
            .entry(id)
            .or_insert_with(|| RestoredDefinition {
                id,
                owner_type: "PRODUCT".into(),
                namespace: namespace.clone(),
                key: key.clone(),
                name: key.clone(),
                type_name: "single_line_text_field".into(),
                ..RestoredDefinition::default()
            });
        if let Some(owner) = text("ownerType") {
            entry.owner_type = owner;
        }
        if let Some(name) = text("name") {
            entry.name = name;
        }
        if fields.contains_key("description") {
            entry.description = text("description");
        }
        if let Some(kind) = fields.get("type").and_then(|kind| kind["name"].as_str()) {
            entry.type_name = kind.to_owned();
        }
        if let Some(validations) = fields.get("validations").and_then(Value::as_array) {
            entry.validations = validations
                .iter()
                .filter_map(|validation| {
                    Some((
                        validation["name"].as_str()?.to_owned(),
                        validation["value"].as_str()?.to_owned(),
                    ))
                })
                .collect();
        }
        if fields.contains_key("pinnedPosition") {
            entry.pinned_position = fields["pinnedPosition"].as_i64();
        }
    }
}

/// The ids of what a capture's mutations answered they created (`createdDefinition`, …),
/// outside the calls to the store.
fn created_ids(value: &Value, found: &mut BTreeSet<String>) {
    match value {
        Value::Object(fields) => {
            for (key, item) in fields {
                if key == "upstreamCalls" {
                    continue;
                }
                if key.starts_with("created") {
                    if let Some(id) = item["id"].as_str() {
                        found.insert(id.to_owned());
                    }
                }
                created_ids(item, found);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| created_ids(item, found)),
        _ => {}
    }
}

/// The items of a connection (`nodes`, or `edges[].node`), or a single object.
fn nodes_of(value: Option<&Value>) -> Vec<&Value> {
    let Some(value) = value.filter(|value| value.is_object()) else {
        return vec![];
    };
    if let Some(nodes) = value["nodes"].as_array() {
        return nodes.iter().collect();
    }
    if let Some(edges) = value["edges"].as_array() {
        return edges.iter().map(|edge| &edge["node"]).collect();
    }
    if value.get("id").is_some() {
        return vec![value];
    }
    vec![]
}

fn option_of(option: &Value) -> RestoredOption {
    let id = option["id"]
        .as_str()
        .and_then(parse_gid)
        .map_or(0, |(_, id)| id);
    let mut values: Vec<(i64, String)> = option["optionValues"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|value| {
            let name = value["name"].as_str()?.to_owned();
            let id = value["id"]
                .as_str()
                .and_then(parse_gid)
                .map_or(0, |(_, id)| id);
            Some((id, name))
        })
        .collect();
    if values.is_empty() {
        values = option["values"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(|name| (0, name.to_owned()))
            .collect();
    }
    RestoredOption {
        id,
        name: option["name"].as_str().unwrap_or_default().to_owned(),
        values,
    }
}

/// `gid://shopify/Type/123` (query strings ignored) → (`Type`, 123).
fn parse_gid(text: &str) -> Option<(&str, i64)> {
    let rest = text.strip_prefix("gid://shopify/")?;
    let (kind, id) = rest.split_once('/')?;
    let id = id.split('?').next()?.parse().ok()?;
    Some((kind, id))
}

fn millis(text: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|at| at.timestamp_millis())
}
