//! The product model through the Admin API: options with their values, variants with their
//! prices and inventory items, and the mutations that change them, answered as the hosted API
//! answers (the captures in `fixtures/catalog-captures` are the reference).

mod support;

use serde_json::{json, Value};
use support::TestServer;

const PRODUCT_SHAPE: &str =
    "id options { id name position values optionValues { id name hasVariants } }
    variants(first: 50) { nodes { id title price compareAtPrice sku barcode taxable position
      inventoryPolicy inventoryQuantity selectedOptions { name value }
      inventoryItem { id tracked requiresShipping sku measurement { weight { unit value } } } } }
    variantsCount { count precision } hasOnlyDefaultVariant totalInventory tracksInventory
    priceRangeV2 { minVariantPrice { amount } maxVariantPrice { amount } }";

async fn create(server: &TestServer, product: Value) -> Value {
    let answer = server
        .graphql(
            &format!(
                "mutation($product: ProductCreateInput!) {{ productCreate(product: $product) {{
                    product {{ {PRODUCT_SHAPE} }} userErrors {{ field message }} }} }}"
            ),
            json!({ "product": product }),
        )
        .await;
    assert_eq!(
        answer["data"]["productCreate"]["userErrors"],
        json!([]),
        "{answer}"
    );
    answer["data"]["productCreate"]["product"].clone()
}

async fn read(server: &TestServer, id: &Value) -> Value {
    let answer = server
        .graphql(
            &format!("query($id: ID!) {{ product(id: $id) {{ {PRODUCT_SHAPE} }} }}"),
            json!({ "id": id }),
        )
        .await;
    answer["data"]["product"].clone()
}

fn titles(product: &Value) -> Vec<String> {
    product["variants"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|variant| variant["title"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_product_made_without_options_has_the_default_option_and_variant() {
    let server = TestServer::start().await;
    let product = create(&server, json!({ "title": "Board" })).await;
    assert_eq!(product["options"][0]["name"], "Title");
    assert_eq!(product["options"][0]["values"], json!(["Default Title"]));
    assert_eq!(
        product["options"][0]["optionValues"][0]["hasVariants"],
        true
    );
    let variant = &product["variants"]["nodes"][0];
    assert_eq!(variant["title"], "Default Title");
    assert_eq!(variant["price"], "0.00");
    assert_eq!(variant["sku"], Value::Null);
    assert_eq!(variant["taxable"], true);
    assert_eq!(variant["inventoryPolicy"], "DENY");
    assert_eq!(variant["position"], 1);
    assert_eq!(
        variant["selectedOptions"],
        json!([{ "name": "Title", "value": "Default Title" }])
    );
    assert_eq!(variant["inventoryItem"]["tracked"], false);
    assert_eq!(variant["inventoryItem"]["requiresShipping"], true);
    assert_eq!(
        product["variantsCount"],
        json!({ "count": 1, "precision": "EXACT" })
    );
    assert_eq!(product["hasOnlyDefaultVariant"], true);
    assert_eq!(product["tracksInventory"], false);
    assert_eq!(product["priceRangeV2"]["minVariantPrice"]["amount"], "0.0");
    // The same product read back.
    assert_eq!(read(&server, &product["id"]).await, product);
}

#[tokio::test]
async fn variants_are_created_updated_reordered_and_deleted_in_bulk() {
    let server = TestServer::start().await;
    let product = create(&server, json!({ "title": "Shirt" })).await;
    let created = server
        .graphql(
            &format!(
                "mutation($id: ID!, $variants: [ProductVariantsBulkInput!]!) {{
                   productVariantsBulkCreate(productId: $id, variants: $variants) {{
                     product {{ {PRODUCT_SHAPE} }}
                     productVariants {{ id title price }}
                     userErrors {{ field message code }} }} }}"
            ),
            json!({ "id": product["id"], "variants": [
                { "optionValues": [{ "optionName": "Title", "name": "Small" }], "price": "10",
                  "inventoryItem": { "sku": "S-1", "tracked": true } },
                { "optionValues": [{ "optionName": "Title", "name": "Large" }], "price": "19.5",
                  "compareAtPrice": "25" },
            ]}),
        )
        .await;
    let payload = &created["data"]["productVariantsBulkCreate"];
    assert_eq!(payload["userErrors"], json!([]), "{created}");
    // The default variant made way for the new ones (the DEFAULT strategy).
    assert_eq!(titles(&payload["product"]), ["Small", "Large"]);
    assert_eq!(
        payload["product"]["options"][0]["values"],
        json!(["Small", "Large"])
    );
    assert_eq!(payload["productVariants"][1]["price"], "19.50");
    assert_eq!(payload["product"]["tracksInventory"], true);
    assert_eq!(
        payload["product"]["priceRangeV2"]["maxVariantPrice"]["amount"],
        "19.5"
    );
    let small = payload["productVariants"][0]["id"].clone();
    let large = payload["productVariants"][1]["id"].clone();

    let refused = server
        .graphql(
            "mutation($id: ID!, $variants: [ProductVariantsBulkInput!]!) {
               productVariantsBulkUpdate(productId: $id, variants: $variants) {
                 product { id } productVariants { id } userErrors { field message code } } }",
            json!({ "id": product["id"], "variants": [
                { "id": small, "price": "12" },
                { "id": large, "price": "-1" },
            ]}),
        )
        .await;
    assert_eq!(
        refused["data"]["productVariantsBulkUpdate"]["userErrors"],
        json!([{ "field": ["variants", "1", "price"],
                 "message": "Price must be greater than or equal to 0",
                 "code": "GREATER_THAN_OR_EQUAL_TO" }])
    );
    // Nothing of a refused batch is written.
    let unchanged = read(&server, &product["id"]).await;
    assert_eq!(unchanged["variants"]["nodes"][0]["price"], "10.00");

    let reordered = server
        .graphql(
            "mutation($id: ID!, $positions: [ProductVariantPositionInput!]!) {
               productVariantsBulkReorder(productId: $id, positions: $positions) {
                 product { variants(first: 5) { nodes { title position } } } userErrors { field message code } } }",
            json!({ "id": product["id"], "positions": [{ "id": large, "position": 1 }] }),
        )
        .await;
    assert_eq!(
        reordered["data"]["productVariantsBulkReorder"]["product"]["variants"]["nodes"],
        json!([{ "title": "Large", "position": 1 }, { "title": "Small", "position": 2 }])
    );

    let deleted = server
        .graphql(
            "mutation($id: ID!, $ids: [ID!]!) {
               productVariantsBulkDelete(productId: $id, variantsIds: $ids) {
                 product { variants(first: 5) { nodes { title position } } } userErrors { field message code } } }",
            json!({ "id": product["id"], "ids": [large, "gid://shopify/ProductVariant/999999"] }),
        )
        .await;
    assert_eq!(
        deleted["data"]["productVariantsBulkDelete"],
        json!({ "product": null, "userErrors": [{ "field": ["variantsIds", "1"],
            "message": "At least one variant does not belong to the product",
            "code": "AT_LEAST_ONE_VARIANT_DOES_NOT_BELONG_TO_THE_PRODUCT" }] })
    );
    let deleted = server
        .graphql(
            "mutation($id: ID!, $ids: [ID!]!) {
               productVariantsBulkDelete(productId: $id, variantsIds: $ids) {
                 product { variants(first: 5) { nodes { title position } } } userErrors { field message code } } }",
            json!({ "id": product["id"], "ids": [large] }),
        )
        .await;
    assert_eq!(
        deleted["data"]["productVariantsBulkDelete"]["product"]["variants"]["nodes"],
        json!([{ "title": "Small", "position": 1 }])
    );
}

#[tokio::test]
async fn a_variant_input_naming_an_option_the_product_lacks_is_refused_whole() {
    let server = TestServer::start().await;
    let product = create(&server, json!({ "title": "Mug" })).await;
    let answer = server
        .graphql(
            "mutation($id: ID!, $variants: [ProductVariantsBulkInput!]!) {
               productVariantsBulkCreate(productId: $id, variants: $variants) {
                 product { id } productVariants { id } userErrors { field message code } } }",
            json!({ "id": product["id"], "variants": [
                { "optionValues": [{ "optionName": "Title", "name": "Blue" }] },
                { "optionValues": [{ "optionName": "Color", "name": "Red" }] },
            ]}),
        )
        .await;
    assert_eq!(
        answer["data"]["productVariantsBulkCreate"],
        json!({ "product": null, "productVariants": [], "userErrors": [{
            "field": ["variants", "1", "optionValues", "0"],
            "message": "Option does not exist", "code": "INVALID_INPUT" }] })
    );
    assert_eq!(
        titles(&read(&server, &product["id"]).await),
        ["Default Title"]
    );
}

#[tokio::test]
async fn variants_and_inventory_items_are_read_by_id_and_by_sku() {
    let server = TestServer::start().await;
    let product = create(&server, json!({ "title": "Cap" })).await;
    let variant = product["variants"]["nodes"][0].clone();
    server
        .graphql(
            "mutation($id: ID!, $variants: [ProductVariantsBulkInput!]!) {
               productVariantsBulkUpdate(productId: $id, variants: $variants) { userErrors { message } } }",
            json!({ "id": product["id"], "variants": [
                { "id": variant["id"], "barcode": "123", "inventoryItem": { "sku": "CAP-1",
                  "measurement": { "weight": { "value": 0.25, "unit": "GRAMS" } } } },
            ]}),
        )
        .await;
    let answer = server
        .graphql(
            "query($id: ID!, $item: ID!) {
               productVariant(id: $id) { sku barcode displayName product { id } }
               inventoryItem(id: $item) { sku measurement { weight { unit value } } variant { id } }
               productVariants(first: 5, query: \"sku:CAP-1\") { nodes { id } }
               productVariantsCount(query: \"sku:CAP-1\") { count }
               node(id: $id) { ... on ProductVariant { title } } }",
            json!({ "id": variant["id"], "item": variant["inventoryItem"]["id"] }),
        )
        .await;
    let data = &answer["data"];
    assert_eq!(data["productVariant"]["sku"], "CAP-1", "{answer}");
    assert_eq!(data["productVariant"]["displayName"], "Cap - Default Title");
    assert_eq!(data["productVariant"]["product"]["id"], product["id"]);
    assert_eq!(
        data["inventoryItem"]["measurement"]["weight"],
        json!({ "unit": "GRAMS", "value": 0.25 })
    );
    assert_eq!(data["inventoryItem"]["variant"]["id"], variant["id"]);
    assert_eq!(
        data["productVariants"]["nodes"],
        json!([{ "id": variant["id"] }])
    );
    assert_eq!(data["productVariantsCount"]["count"], 1);
    assert_eq!(data["node"]["title"], "Default Title");
}

const SET: &str = "mutation($input: ProductSetInput!, $identifier: ProductSetIdentifiers, $synchronous: Boolean!) {
  productSet(input: $input, identifier: $identifier, synchronous: $synchronous) {
    product { id title handle options { name values } variants(first: 10) { nodes { id title sku price compareAtPrice
      inventoryQuantity inventoryPolicy inventoryItem { tracked measurement { weight { unit value } } } } } totalInventory }
    productSetOperation { id status }
    userErrors { field message code } } }";

async fn option_change(server: &TestServer, field: &str, args: &str, variables: Value) -> Value {
    let answer = server
        .graphql(
            &format!(
                "mutation({args}) {{ {field}({}) {{ product {{ {PRODUCT_SHAPE} }}
                    userErrors {{ field message code }} }} }}",
                args.split(", ")
                    .map(|arg| {
                        let name = arg.split(':').next().unwrap().trim_start_matches('$');
                        format!("{name}: ${name}")
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            variables,
        )
        .await;
    answer["data"][field].clone()
}

#[tokio::test]
async fn options_are_added_renamed_reordered_and_deleted_with_the_variants_following() {
    let server = TestServer::start().await;
    let product = create(&server, json!({ "title": "Mug" })).await;
    let id = product["id"].clone();
    let default_variant = product["variants"]["nodes"][0]["id"].clone();

    // The default option gives way; its variant takes the first values and keeps its id.
    let created = option_change(
        &server,
        "productOptionsCreate",
        "$productId: ID!, $options: [OptionCreateInput!]!, $variantStrategy: ProductOptionCreateVariantStrategy",
        json!({ "productId": id, "variantStrategy": "CREATE", "options": [
            { "name": "Color", "values": [{ "name": "Red" }, { "name": "Blue" }] },
            { "name": "Size", "values": [{ "name": "S" }, { "name": "M" }] } ] }),
    )
    .await;
    assert_eq!(created["userErrors"], json!([]));
    let product = &created["product"];
    assert_eq!(
        titles(product),
        ["Red / S", "Red / M", "Blue / S", "Blue / M"]
    );
    assert_eq!(product["variants"]["nodes"][0]["id"], default_variant);

    // The title delimiter is refused and nothing changes.
    let refused = option_change(
        &server,
        "productOptionsCreate",
        "$productId: ID!, $options: [OptionCreateInput!]!",
        json!({ "productId": id, "options": [{ "name": "Fit / Cut", "values": [{ "name": "Slim" }] }] }),
    )
    .await;
    assert_eq!(
        refused["userErrors"],
        json!([{ "field": ["options", "0", "name"],
                 "message": "The name contains unsupported sequence ' / '", "code": "INVALID_NAME" }])
    );
    assert_eq!(titles(&refused["product"]), titles(product));

    // Rename Color, move it last, rename a value and drop another with its variants.
    let color = &product["options"][0];
    let updated = option_change(
        &server,
        "productOptionUpdate",
        "$productId: ID!, $option: OptionUpdateInput!, $optionValuesToUpdate: [OptionValueUpdateInput!], $optionValuesToDelete: [ID!], $variantStrategy: ProductOptionUpdateVariantStrategy",
        json!({ "productId": id, "variantStrategy": "MANAGE",
                "option": { "id": color["id"], "name": "Shade", "position": 2 },
                "optionValuesToUpdate": [{ "id": color["optionValues"][0]["id"], "name": "Crimson" }],
                "optionValuesToDelete": [color["optionValues"][1]["id"]] }),
    )
    .await;
    assert_eq!(updated["userErrors"], json!([]));
    assert_eq!(titles(&updated["product"]), ["S / Crimson", "M / Crimson"]);

    // Sizes in a new order, by name; the variants follow.
    let reordered = option_change(
        &server,
        "productOptionsReorder",
        "$productId: ID!, $options: [OptionReorderInput!]!",
        json!({ "productId": id, "options": [
            { "name": "Size", "values": [{ "name": "M" }, { "name": "S" }] } ] }),
    )
    .await;
    assert_eq!(reordered["userErrors"], json!([]));
    assert_eq!(
        titles(&reordered["product"]),
        ["M / Crimson", "S / Crimson"]
    );

    // Deleting every option brings back the default one, with the first variant.
    let options: Vec<Value> = reordered["product"]["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|option| option["id"].clone())
        .collect();
    let answer = server
        .graphql(
            "mutation($productId: ID!, $options: [ID!]!) {
                productOptionsDelete(productId: $productId, options: $options, strategy: POSITION) {
                    deletedOptionsIds userErrors { field message code } } }",
            json!({ "productId": id, "options": options }),
        )
        .await;
    let deleted = &answer["data"]["productOptionsDelete"];
    assert_eq!(deleted["userErrors"], json!([]), "{answer}");
    assert_eq!(deleted["deletedOptionsIds"], json!(options));
    let product = read(&server, &id).await;
    assert_eq!(titles(&product), ["Default Title"]);
    assert_eq!(product["hasOnlyDefaultVariant"], true);
}

fn shirt(sizes: &[&str]) -> Value {
    json!({
        "title": "Shirt", "vendor": "Acme", "tags": ["b", "a"],
        "productOptions": [
            { "name": "Size", "position": 1, "values": sizes.iter().map(|s| json!({ "name": s })).collect::<Vec<_>>() },
            { "name": "Color", "position": 2, "values": [{ "name": "Red" }] },
        ],
        "variants": sizes.iter().map(|size| json!({
            "optionValues": [{ "optionName": "Size", "name": size }, { "optionName": "Color", "name": "Red" }],
            "sku": format!("SHIRT-{size}"), "price": "20", "compareAtPrice": "25.5",
            "inventoryPolicy": "CONTINUE",
            "inventoryQuantities": [{ "locationId": "gid://shopify/Location/1", "name": "available", "quantity": 3 }],
            "inventoryItem": { "tracked": true, "measurement": { "weight": { "value": 0.5, "unit": "KILOGRAMS" } } },
        })).collect::<Vec<_>>(),
    })
}

#[tokio::test]
async fn product_set_creates_a_whole_product_and_brings_it_to_a_new_state() {
    let server = TestServer::start().await;
    let created = server
        .graphql(
            SET,
            json!({ "input": shirt(&["S", "M"]), "synchronous": true }),
        )
        .await;
    let payload = &created["data"]["productSet"];
    assert_eq!(payload["userErrors"], json!([]), "{created}");
    let product = &payload["product"];
    assert_eq!(
        product["options"],
        json!([
            { "name": "Size", "values": ["S", "M"] }, { "name": "Color", "values": ["Red"] }
        ])
    );
    assert_eq!(titles(product), ["S / Red", "M / Red"]);
    let small = &product["variants"]["nodes"][0];
    assert_eq!(small["sku"], "SHIRT-S");
    assert_eq!(small["price"], "20.00");
    assert_eq!(small["compareAtPrice"], "25.50");
    assert_eq!(small["inventoryQuantity"], 3);
    assert_eq!(small["inventoryPolicy"], "CONTINUE");
    assert_eq!(
        small["inventoryItem"]["measurement"]["weight"]["value"],
        0.5
    );
    assert_eq!(product["totalInventory"], 6);

    // The same product again, by id: M goes, L comes, S keeps its id.
    let mut input = shirt(&["S", "L"]);
    input["variants"][0]["id"] = small["id"].clone();
    let updated = server
        .graphql(
            SET,
            json!({ "input": input, "identifier": { "id": product["id"] }, "synchronous": true }),
        )
        .await;
    let payload = &updated["data"]["productSet"];
    assert_eq!(payload["userErrors"], json!([]), "{updated}");
    assert_eq!(payload["product"]["id"], product["id"]);
    assert_eq!(titles(&payload["product"]), ["S / Red", "L / Red"]);
    assert_eq!(
        payload["product"]["variants"]["nodes"][0]["id"],
        small["id"]
    );
    assert_eq!(
        titles(&read(&server, &product["id"]).await),
        ["S / Red", "L / Red"]
    );
}

#[tokio::test]
async fn product_set_refuses_an_input_whole_and_writes_nothing() {
    let server = TestServer::start().await;
    let mut input = shirt(&["S", "M"]);
    input["variants"][1]["optionValues"][0]["name"] = json!("S");
    input["variants"][0]["inventoryItem"]["cost"] = json!("-1");
    let answer = server
        .graphql(SET, json!({ "input": input, "synchronous": true }))
        .await;
    assert_eq!(
        answer["data"]["productSet"]["userErrors"],
        json!([
            { "field": ["input", "variants", "0", "inventoryItem", "cost"],
              "message": "Cost per item must be greater than or equal to 0", "code": "INVALID_VARIANT" },
            { "field": ["input", "variants", "1"],
              "message": "The variant 'S / Red' already exists. Please change at least one option value.", "code": null },
        ]),
        "{answer}"
    );
    assert_eq!(answer["data"]["productSet"]["product"], Value::Null);
    let count = server
        .graphql("{ productsCount { count } }", json!({}))
        .await;
    assert_eq!(count["data"]["productsCount"]["count"], 0, "{count}");

    let options_only = server
        .graphql(
            SET,
            json!({ "input": { "title": "T", "productOptions": [{ "name": "Size", "values": [{ "name": "S" }] }] },
                    "synchronous": true }),
        )
        .await;
    assert_eq!(
        options_only["data"]["productSet"]["userErrors"],
        json!([{ "field": ["input", "variants"],
                 "message": "Variants input is required when updating product options", "code": null }])
    );
}

#[tokio::test]
async fn an_asynchronous_product_set_is_read_back_as_a_finished_operation() {
    let server = TestServer::start().await;
    let answer = server
        .graphql(
            SET,
            json!({ "input": { "title": "Later" }, "synchronous": false }),
        )
        .await;
    let payload = &answer["data"]["productSet"];
    assert_eq!(payload["product"], Value::Null, "{answer}");
    assert_eq!(payload["productSetOperation"]["status"], "CREATED");
    let read = server
        .graphql(
            "query($id: ID!) { productOperation(id: $id) { __typename status
               ... on ProductSetOperation { product { title handle variantsCount { count } } userErrors { message } } } }",
            json!({ "id": payload["productSetOperation"]["id"] }),
        )
        .await;
    assert_eq!(
        read["data"]["productOperation"],
        json!({ "__typename": "ProductSetOperation", "status": "COMPLETE",
                "product": { "title": "Later", "handle": "later", "variantsCount": { "count": 1 } },
                "userErrors": [] }),
        "{read}"
    );
}

#[tokio::test]
async fn metafields_are_set_checked_against_their_type_read_and_deleted() {
    let server = TestServer::start().await;
    let product = create(&server, json!({ "title": "Lamp" })).await;
    const SET_METAFIELDS: &str = "mutation($metafields: [MetafieldsSetInput!]!) {
        metafieldsSet(metafields: $metafields) {
          metafields { namespace key type value jsonValue ownerType compareDigest }
          userErrors { field message code elementIndex } } }";
    let set = server
        .graphql(
            SET_METAFIELDS,
            json!({ "metafields": [
                { "ownerId": product["id"], "namespace": "specs", "key": "watts", "type": "number_integer", "value": "60.0" },
                { "ownerId": product["id"], "namespace": "specs", "key": "dimmable", "type": "boolean", "value": "f" },
            ]}),
        )
        .await;
    let payload = &set["data"]["metafieldsSet"];
    assert_eq!(payload["userErrors"], json!([]), "{set}");
    assert_eq!(payload["metafields"][0]["value"], "60");
    assert_eq!(payload["metafields"][0]["jsonValue"], 60);
    assert_eq!(payload["metafields"][1]["jsonValue"], "false");
    assert_eq!(payload["metafields"][0]["ownerType"], "PRODUCT");
    assert_eq!(
        payload["metafields"][0]["compareDigest"]
            .as_str()
            .unwrap()
            .len(),
        64
    );

    let refused = server
        .graphql(
            SET_METAFIELDS,
            json!({ "metafields": [
                { "ownerId": product["id"], "namespace": "specs", "key": "color", "type": "color", "value": "#00ff00" },
                { "ownerId": product["id"], "namespace": "specs", "key": "sizes", "type": "list.number_integer", "value": "[1,\"x\"]" },
            ]}),
        )
        .await;
    assert_eq!(
        refused["data"]["metafieldsSet"],
        json!({ "metafields": [], "userErrors": [{ "field": ["metafields", "1", "value"],
            "message": "Value must be an integer.", "code": "INVALID_VALUE", "elementIndex": 1 }] })
    );

    let read = server
        .graphql(
            "query($id: ID!) { product(id: $id) { watts: metafield(namespace: \"specs\", key: \"watts\") { value }
               color: metafield(namespace: \"specs\", key: \"color\") { value }
               metafields(first: 10) { nodes { key } } } }",
            json!({ "id": product["id"] }),
        )
        .await;
    assert_eq!(
        read["data"]["product"],
        json!({ "watts": { "value": "60" }, "color": null,
                "metafields": { "nodes": [{ "key": "watts" }, { "key": "dimmable" }] } })
    );

    let deleted = server
        .graphql(
            "mutation($metafields: [MetafieldIdentifierInput!]!) { metafieldsDelete(metafields: $metafields) {
               deletedMetafields { key namespace ownerId } userErrors { message } } }",
            json!({ "metafields": [
                { "ownerId": product["id"], "namespace": "specs", "key": "watts" },
                { "ownerId": product["id"], "namespace": "specs", "key": "nothing" },
            ]}),
        )
        .await;
    assert_eq!(
        deleted["data"]["metafieldsDelete"]["deletedMetafields"],
        json!([{ "key": "watts", "namespace": "specs", "ownerId": product["id"] }, null])
    );
}

#[tokio::test]
async fn product_set_writes_the_metafields_of_the_product_and_of_its_variants() {
    let server = TestServer::start().await;
    let mut input = shirt(&["S"]);
    input["metafields"] = json!([{ "namespace": "custom", "key": "material", "type": "single_line_text_field", "value": "canvas" }]);
    input["variants"][0]["metafields"] = json!([{ "namespace": "custom", "key": "fit", "type": "single_line_text_field", "value": "slim" }]);
    let answer = server
        .graphql(
            "mutation($input: ProductSetInput!) { productSet(input: $input, synchronous: true) {
               product { metafield(namespace: \"custom\", key: \"material\") { value ownerType }
                 variants(first: 1) { nodes { metafield(namespace: \"custom\", key: \"fit\") { value ownerType } } } }
               userErrors { field message } } }",
            json!({ "input": input }),
        )
        .await;
    let product = &answer["data"]["productSet"]["product"];
    assert_eq!(
        product["metafield"],
        json!({ "value": "canvas", "ownerType": "PRODUCT" }),
        "{answer}"
    );
    assert_eq!(
        product["variants"]["nodes"][0]["metafield"],
        json!({ "value": "slim", "ownerType": "PRODUCTVARIANT" })
    );
}

#[tokio::test]
async fn a_bulk_import_of_product_set_lines_makes_each_product_whole_once() {
    let server = TestServer::start().await;
    let mut content = String::new();
    for n in 0..40 {
        let mut input = shirt(&["S", "M", "L"]);
        input["title"] = json!(format!("Shirt {n}"));
        for variant in input["variants"].as_array_mut().unwrap() {
            let sku = format!("{}-{n}", variant["sku"].as_str().unwrap());
            variant["sku"] = json!(sku);
        }
        // Metafields of the product (one set twice: the last value stands) and of a variant,
        // written with the product at the chunk's flush.
        input["metafields"] = json!([
            { "namespace": "custom", "key": "fabric", "type": "single_line_text_field", "value": "wool" },
            { "namespace": "custom", "key": "fabric", "type": "single_line_text_field", "value": format!("linen {n}") },
        ]);
        input["variants"][1]["metafields"] = json!([
            { "namespace": "custom", "key": "fit", "type": "single_line_text_field", "value": format!("slim {n}") },
        ]);
        if n == 7 {
            // One line refused: its variants repeat one another.
            input["variants"][2]["optionValues"][0]["name"] = json!("S");
        }
        content.push_str(&json!({ "input": input }).to_string());
        content.push('\n');
    }
    let (operation, lines) = server
        .import(
            &content,
            "mutation($input: ProductSetInput!) { productSet(input: $input, synchronous: true) {
               product { id title variantsCount { count } } userErrors { field message } } }",
        )
        .await;
    assert_eq!(operation["objectCount"], "40", "{operation}");
    let lines = support::by_line_number(lines);
    assert_eq!(lines.len(), 40);
    let refused = &lines[&7]["data"]["productSet"];
    assert_eq!(refused["product"], Value::Null);
    assert_eq!(
        refused["userErrors"][0]["field"],
        json!(["input", "variants", "2"])
    );
    let made = &lines[&12]["data"]["productSet"]["product"];
    assert_eq!(made["title"], "Shirt 12");
    assert_eq!(made["variantsCount"]["count"], 3);
    let read = read(&server, &made["id"]).await;
    assert_eq!(titles(&read), ["S / Red", "M / Red", "L / Red"]);
    let metafields = server
        .graphql(
            "query($id: ID!) { product(id: $id) {
               metafields(first: 5) { nodes { key value } }
               variants(first: 3) { nodes { metafields(first: 5) { nodes { key value } } } } } }",
            json!({ "id": made["id"] }),
        )
        .await;
    let product = &metafields["data"]["product"];
    assert_eq!(
        product["metafields"]["nodes"],
        json!([{ "key": "fabric", "value": "linen 12" }]),
        "{metafields}"
    );
    let of_variants: Vec<&Value> = product["variants"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|variant| &variant["metafields"]["nodes"])
        .collect();
    assert_eq!(
        of_variants,
        [
            &json!([]),
            &json!([{ "key": "fit", "value": "slim 12" }]),
            &json!([])
        ]
    );
    let count = server
        .graphql(
            "{ productsCount { count } productVariantsCount { count } }",
            json!({}),
        )
        .await;
    assert_eq!(count["data"]["productsCount"]["count"], 39, "{count}");
    assert_eq!(count["data"]["productVariantsCount"]["count"], 39 * 3);
}

#[tokio::test]
async fn the_readmes_realistic_catalog_imports_and_reads_back_whole() {
    let server = TestServer::start().await;
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/catalog");
    let content = std::fs::read_to_string(fixtures.join("products.jsonl")).unwrap();
    let document = std::fs::read_to_string(fixtures.join("product-set.graphql")).unwrap();
    let (operation, lines) = server.import(&content, &document).await;
    assert_eq!(operation["objectCount"], "1000", "{operation}");
    assert!(
        lines
            .iter()
            .all(|line| line["data"]["productSet"]["userErrors"] == json!([])),
        "{:?}",
        lines
            .iter()
            .find(|line| line["data"]["productSet"]["userErrors"] != json!([]))
    );
    let lines = support::by_line_number(lines);
    let input: Value = serde_json::from_str(content.lines().nth(417).unwrap()).unwrap();
    let made = &lines[&417]["data"]["productSet"]["product"];
    let read = server
        .graphql(
            "query($id: ID!) { product(id: $id) { title vendor tags seo { title }
               options { name values }
               variants(first: 5) { nodes { sku barcode price compareAtPrice inventoryPolicy
                 inventoryItem { measurement { weight { value } } } } }
               material: metafield(namespace: \"custom\", key: \"material\") { value }
               media(first: 5) { nodes { alt status ... on MediaImage { image { url } } } } } }",
            json!({ "id": made["id"] }),
        )
        .await;
    let product = &read["data"]["product"];
    let input = &input["input"];
    assert_eq!(product["title"], input["title"], "{read}");
    assert_eq!(product["vendor"], input["vendor"]);
    assert_eq!(product["seo"]["title"], input["seo"]["title"]);
    assert_eq!(
        product["material"]["value"],
        input["metafields"][0]["value"]
    );
    assert_eq!(product["options"][0]["values"].as_array().unwrap().len(), 3);
    let images: Vec<Value> = input["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|file| {
            json!({ "alt": file["alt"], "status": "READY",
                            "image": { "url": file["originalSource"] } })
        })
        .collect();
    assert_eq!(product["media"]["nodes"], json!(images));
    for (variant, sent) in product["variants"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .zip(input["variants"].as_array().unwrap())
    {
        assert_eq!(variant["sku"], sent["sku"]);
        assert_eq!(variant["barcode"], sent["barcode"]);
        assert_eq!(variant["price"], sent["price"]);
        assert_eq!(variant["compareAtPrice"], sent["compareAtPrice"]);
        assert_eq!(variant["inventoryPolicy"], sent["inventoryPolicy"]);
        assert_eq!(
            variant["inventoryItem"]["measurement"]["weight"]["value"],
            sent["inventoryItem"]["measurement"]["weight"]["value"]
        );
    }
    let vendor = input["vendor"].as_str().unwrap();
    let counted = server
        .graphql(
            "query($q: String) { all: productsCount { count } vendor: productsCount(query: $q) { count } }",
            json!({ "q": format!("vendor:'{vendor}'") }),
        )
        .await;
    assert_eq!(counted["data"]["all"]["count"], 1000, "{counted}");
    let expected = content
        .lines()
        .filter(|line| line.contains(&format!("\"vendor\":\"{vendor}\"")))
        .count();
    assert_eq!(counted["data"]["vendor"]["count"], expected);
}

#[tokio::test]
async fn a_restored_product_keeps_the_ids_it_had_and_changes_like_any_other() {
    use stevedore_catalog::restore::{restore, RestoredOption, RestoredProduct, RestoredVariant};
    let server = TestServer::start().await;
    let store = server.app.services().engine.store().clone();
    let shop = store
        .authenticate(&server.token)
        .await
        .unwrap()
        .unwrap()
        .shop
        .id;
    let variant = |id: i64, color: &str, item: i64| RestoredVariant {
        id,
        inventory_item_id: Some(item),
        values: vec![color.to_owned()],
        price: Some("12.50".into()),
        sku: Some(format!("MUG-{color}")),
        ..RestoredVariant::default()
    };
    let product = RestoredProduct {
        id: 9_000_000_001,
        title: "Restored mug".into(),
        handle: "restored-mug".into(),
        status: "ACTIVE".into(),
        created_at: 1_700_000_000_000,
        updated_at: 1_700_000_000_000,
        options: vec![RestoredOption {
            id: 9_000_000_101,
            name: "Color".into(),
            values: vec![
                (9_000_000_201, "Red".into()),
                (9_000_000_202, "Blue".into()),
            ],
        }],
        variants: vec![
            variant(9_000_000_301, "Red", 9_000_000_401),
            variant(9_000_000_302, "Blue", 9_000_000_402),
        ],
        ..RestoredProduct::default()
    };
    let records = stevedore_catalog::restore::Records {
        products: vec![product],
        ..Default::default()
    };
    restore(&stevedore_catalog::CatalogDb::Pool(store), shop, records)
        .await
        .unwrap();

    let id = json!("gid://shopify/Product/9000000001");
    let product = read(&server, &id).await;
    assert_eq!(
        product["options"][0]["id"],
        "gid://shopify/ProductOption/9000000101"
    );
    assert_eq!(
        product["options"][0]["optionValues"][1]["id"],
        "gid://shopify/ProductOptionValue/9000000202"
    );
    assert_eq!(titles(&product), ["Red", "Blue"]);
    let blue = &product["variants"]["nodes"][1];
    assert_eq!(blue["id"], "gid://shopify/ProductVariant/9000000302");
    assert_eq!(
        blue["inventoryItem"]["id"],
        "gid://shopify/InventoryItem/9000000402"
    );
    let answer = server
        .graphql(
            "query($id: ID!) { inventoryItem(id: $id) { id sku } }",
            json!({ "id": "gid://shopify/InventoryItem/9000000402" }),
        )
        .await;
    assert_eq!(
        answer["data"]["inventoryItem"]["sku"], "MUG-Blue",
        "{answer}"
    );

    // A restored product takes the same mutations as any other.
    let created = option_change(
        &server,
        "productOptionsCreate",
        "$productId: ID!, $options: [OptionCreateInput!]!",
        json!({ "productId": id, "options": [{ "name": "Size", "values": [{ "name": "L" }] }] }),
    )
    .await;
    assert_eq!(created["userErrors"], json!([]));
    assert_eq!(titles(&created["product"]), ["Red / L", "Blue / L"]);
    assert_eq!(
        created["product"]["variants"]["nodes"][1]["inventoryItem"]["id"],
        "gid://shopify/InventoryItem/9000000402"
    );
}

const MEDIA_SHAPE: &str = "media(first: 10) { nodes { id alt mediaContentType status
    ... on MediaImage { image { url altText } } } }
    featuredMedia { id } images(first: 10) { nodes { id url altText } }";

async fn media_of(server: &TestServer, id: &Value) -> Value {
    let answer = server
        .graphql(
            &format!("query($id: ID!) {{ product(id: $id) {{ {MEDIA_SHAPE} }} }}"),
            json!({ "id": id }),
        )
        .await;
    answer["data"]["product"].clone()
}

#[tokio::test]
async fn media_are_added_by_url_read_back_ready_changed_reordered_and_deleted() {
    let server = TestServer::start().await;
    let product = create(&server, json!({ "title": "Poster" })).await;
    let id = product["id"].clone();
    let answer = server
        .graphql(
            &format!(
                "mutation($productId: ID!, $media: [CreateMediaInput!]!) {{
                    productCreateMedia(productId: $productId, media: $media) {{
                        media {{ alt mediaContentType status ... on MediaImage {{ image {{ url }} }} }}
                        mediaUserErrors {{ field message code }}
                        product {{ {MEDIA_SHAPE} }} }} }}"
            ),
            json!({ "productId": id, "media": [
                { "alt": "Front", "mediaContentType": "IMAGE", "originalSource": "https://cdn.example.test/front.png" },
                { "alt": "Broken", "mediaContentType": "IMAGE", "originalSource": "not-a-url" },
                { "alt": "Back", "mediaContentType": "IMAGE", "originalSource": "https://cdn.example.test/back.jpg" } ] }),
        )
        .await;
    let created = &answer["data"]["productCreateMedia"];
    // The valid ones are made, as the hosted API shows them before processing.
    assert_eq!(
        created["media"],
        json!([
            { "alt": "Front", "mediaContentType": "IMAGE", "status": "UPLOADED", "image": null },
            { "alt": "Back", "mediaContentType": "IMAGE", "status": "UPLOADED", "image": null } ]),
        "{answer}"
    );
    assert_eq!(
        created["mediaUserErrors"],
        json!([{ "field": ["media", "1", "originalSource"], "message": "Image URL is invalid", "code": "INVALID" }])
    );
    assert_eq!(created["product"]["featuredMedia"], Value::Null);

    // A later request finds them ready, with their source as the image.
    let read = media_of(&server, &id).await;
    let nodes = read["media"]["nodes"].as_array().unwrap().clone();
    assert_eq!(nodes[0]["status"], "READY");
    assert_eq!(
        nodes[0]["image"]["url"],
        "https://cdn.example.test/front.png"
    );
    assert_eq!(read["featuredMedia"]["id"], nodes[0]["id"]);
    assert_eq!(read["images"]["nodes"].as_array().unwrap().len(), 2);
    let node = server
        .graphql(
            "query($id: ID!) { node(id: $id) { id ... on MediaImage { alt } } }",
            json!({ "id": nodes[1]["id"] }),
        )
        .await;
    assert_eq!(node["data"]["node"]["alt"], "Back", "{node}");

    // An unknown id changes nothing; a known one takes its new alt.
    let update = "mutation($productId: ID!, $media: [UpdateMediaInput!]!) {
        productUpdateMedia(productId: $productId, media: $media) {
            media { alt status } mediaUserErrors { field message code } } }";
    let missing = "gid://shopify/MediaImage/999999999";
    let answer = server
        .graphql(
            update,
            json!({ "productId": id, "media": [
            { "id": nodes[0]["id"], "alt": "Never" }, { "id": missing, "alt": "Never" } ] }),
        )
        .await;
    assert_eq!(
        answer["data"]["productUpdateMedia"]["mediaUserErrors"],
        json!([{ "field": ["media"], "message": format!("Media id {missing} does not exist"),
                 "code": "MEDIA_DOES_NOT_EXIST" }])
    );
    let answer = server
        .graphql(
            update,
            json!({ "productId": id, "media": [{ "id": nodes[0]["id"], "alt": "Front, again" }] }),
        )
        .await;
    assert_eq!(
        answer["data"]["productUpdateMedia"]["media"],
        json!([{ "alt": "Front, again", "status": "READY" }])
    );

    // Back first, then the front one deleted.
    let answer = server
        .graphql(
            "mutation($id: ID!, $moves: [MoveInput!]!) { productReorderMedia(id: $id, moves: $moves) {
                job { id done } mediaUserErrors { message } } }",
            json!({ "id": id, "moves": [{ "id": nodes[1]["id"], "newPosition": "0" }] }),
        )
        .await;
    assert_eq!(
        answer["data"]["productReorderMedia"]["mediaUserErrors"],
        json!([])
    );
    let alts: Vec<Value> = media_of(&server, &id).await["media"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|node| node["alt"].clone())
        .collect();
    assert_eq!(alts, [json!("Back"), json!("Front, again")]);
    let answer = server
        .graphql(
            "mutation($productId: ID!, $mediaIds: [ID!]!) { productDeleteMedia(productId: $productId, mediaIds: $mediaIds) {
                deletedMediaIds mediaUserErrors { message } } }",
            json!({ "productId": id, "mediaIds": [nodes[0]["id"]] }),
        )
        .await;
    assert_eq!(
        answer["data"]["productDeleteMedia"]["deletedMediaIds"],
        json!([nodes[0]["id"]])
    );
    let left = media_of(&server, &id).await;
    assert_eq!(left["media"]["nodes"].as_array().unwrap().len(), 1);
    assert_eq!(left["media"]["nodes"][0]["alt"], "Back");
}

#[tokio::test]
async fn product_set_makes_a_products_media_exactly_its_files() {
    let server = TestServer::start().await;
    let set = "mutation($input: ProductSetInput!) { productSet(input: $input) {
        product { id media(first: 10) { nodes { id alt status } } }
        userErrors { field message code } } }";
    let answer = server
        .graphql(
            set,
            json!({ "input": { "title": "Lamp", "files": [
            { "originalSource": "https://cdn.example.test/lamp-1.jpg", "alt": "On" },
            { "originalSource": "https://cdn.example.test/lamp-2.jpg", "alt": "Off" } ] } }),
        )
        .await;
    let product = &answer["data"]["productSet"]["product"];
    assert_eq!(
        product["media"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|node| (node["alt"].clone(), node["status"].clone()))
            .collect::<Vec<_>>(),
        [
            (json!("On"), json!("UPLOADED")),
            (json!("Off"), json!("UPLOADED"))
        ],
        "{answer}"
    );
    let kept = product["media"]["nodes"][1]["id"].clone();
    // Again by id: one kept (first now), one new, the other gone.
    let answer = server
        .graphql(
            set,
            json!({ "input": { "id": product["id"], "files": [
            { "id": kept, "alt": "Off, kept" },
            { "originalSource": "https://cdn.example.test/lamp-3.jpg", "alt": "Dimmed" } ] } }),
        )
        .await;
    let media = &answer["data"]["productSet"]["product"]["media"]["nodes"];
    assert_eq!(media[0]["id"], kept, "{answer}");
    assert_eq!(media[0]["alt"], "Off, kept");
    assert_eq!(media[0]["status"], "READY");
    assert_eq!(media[1]["alt"], "Dimmed");
    assert_eq!(media.as_array().unwrap().len(), 2);

    // A source that is no URL refuses the whole input.
    let answer = server
        .graphql(
            set,
            json!({ "input": { "title": "Broken", "files": [{ "originalSource": "lamp.jpg" }] } }),
        )
        .await;
    assert_eq!(
        answer["data"]["productSet"]["userErrors"],
        json!([{ "field": ["input", "files", "0", "originalSource"], "message": "File URL is invalid",
                 "code": "INVALID_INPUT" }])
    );
}

#[tokio::test]
async fn a_metafield_definition_types_and_validates_the_values_written_under_it() {
    let server = TestServer::start().await;
    let product = create(&server, json!({ "title": "Kettle" })).await;
    let define = "mutation($definition: MetafieldDefinitionInput!) {
        metafieldDefinitionCreate(definition: $definition) {
            createdDefinition { id name namespace key ownerType type { name category }
                validations { name value } pinnedPosition }
            userErrors { field message code } } }";
    let answer = server
        .graphql(
            define,
            json!({ "definition": {
            "name": "Capacity", "namespace": "specs", "key": "capacity", "ownerType": "PRODUCT",
            "type": "number_integer", "pin": true,
            "validations": [{ "name": "min", "value": "1" }, { "name": "max", "value": "5" }] } }),
        )
        .await;
    let created = &answer["data"]["metafieldDefinitionCreate"];
    assert_eq!(created["userErrors"], json!([]), "{answer}");
    assert_eq!(
        created["createdDefinition"]["type"],
        json!({ "name": "number_integer", "category": "NUMBER" })
    );
    assert_eq!(created["createdDefinition"]["pinnedPosition"], 1);

    // The same key again is taken; a type that does not exist is named.
    let again = server
        .graphql(
            define,
            json!({ "definition": {
            "name": "Capacity", "namespace": "specs", "key": "capacity", "ownerType": "PRODUCT",
            "type": "number_integer" } }),
        )
        .await;
    assert_eq!(
        again["data"]["metafieldDefinitionCreate"]["userErrors"],
        json!([{ "field": ["definition", "key"],
                 "message": "Key is in use for Product metafields on the 'specs' namespace.",
                 "code": "TAKEN" }])
    );

    // A value outside the validations is refused; one inside takes the definition's type.
    let set =
        "mutation($metafields: [MetafieldsSetInput!]!) { metafieldsSet(metafields: $metafields) {
        metafields { type value definition { name } } userErrors { field message code } } }";
    let input = |value: &str| {
        json!({ "metafields": [{ "ownerId": product["id"], "namespace": "specs",
                                                        "key": "capacity", "value": value }] })
    };
    let refused = server.graphql(set, input("9")).await;
    assert_eq!(
        refused["data"]["metafieldsSet"]["userErrors"],
        json!([{ "field": ["metafields", "0", "value"], "message": "Value has a maximum of 5.",
                 "code": "INVALID_VALUE" }]),
        "{refused}"
    );
    let written = server.graphql(set, input("3")).await;
    assert_eq!(
        written["data"]["metafieldsSet"]["metafields"],
        json!([{ "type": "number_integer", "value": "3", "definition": { "name": "Capacity" } }]),
        "{written}"
    );

    // Read back by identifier and in the owner type's list; deleted with its values.
    let read = server
        .graphql(
            "{ metafieldDefinition(identifier: { ownerType: PRODUCT, namespace: \"specs\", key: \"capacity\" }) {
                 name metafieldsCount }
               metafieldDefinitions(first: 5, ownerType: PRODUCT) { nodes { key } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        read["data"]["metafieldDefinition"],
        json!({ "name": "Capacity", "metafieldsCount": 1 })
    );
    assert_eq!(
        read["data"]["metafieldDefinitions"]["nodes"],
        json!([{ "key": "capacity" }])
    );
    let deleted = server
        .graphql(
            "mutation($id: ID!) { metafieldDefinitionDelete(id: $id, deleteAllAssociatedMetafields: true) {
                deletedDefinitionId userErrors { message } } }",
            json!({ "id": created["createdDefinition"]["id"] }),
        )
        .await;
    assert_eq!(
        deleted["data"]["metafieldDefinitionDelete"]["deletedDefinitionId"],
        created["createdDefinition"]["id"]
    );
    let value = server
        .graphql(
            "query($id: ID!) { product(id: $id) { metafield(namespace: \"specs\", key: \"capacity\") { value } } }",
            json!({ "id": product["id"] }),
        )
        .await;
    assert_eq!(value["data"]["product"]["metafield"], Value::Null);
}

#[tokio::test]
async fn a_duplicate_copies_options_variants_and_metafields_under_new_ids() {
    let server = TestServer::start().await;
    let answer = server
        .graphql(
            "mutation($input: ProductSetInput!) { productSet(input: $input) { product { id } userErrors { message } } }",
            json!({ "input": shirt(&["S", "M"]) }),
        )
        .await;
    let source = answer["data"]["productSet"]["product"]["id"].clone();
    server
        .graphql(
            "mutation($metafields: [MetafieldsSetInput!]!) { metafieldsSet(metafields: $metafields) { userErrors { message } } }",
            json!({ "metafields": [{ "ownerId": source, "namespace": "custom", "key": "fit",
                                     "type": "single_line_text_field", "value": "Slim" }] }),
        )
        .await;
    let answer = server
        .graphql(
            &format!(
                "mutation($id: ID!) {{ productDuplicate(productId: $id, newTitle: \"Shirt, again\", newStatus: DRAFT) {{
                    newProduct {{ title handle status {PRODUCT_SHAPE}
                      fit: metafield(namespace: \"custom\", key: \"fit\") {{ value }} }}
                    userErrors {{ field message }} }} }}"
            ),
            json!({ "id": source }),
        )
        .await;
    let duplicate = &answer["data"]["productDuplicate"];
    assert_eq!(duplicate["userErrors"], json!([]), "{answer}");
    let copy = &duplicate["newProduct"];
    assert_eq!(copy["title"], "Shirt, again");
    assert_eq!(copy["handle"], "shirt-again");
    assert_eq!(copy["status"], "DRAFT");
    assert_eq!(copy["fit"]["value"], "Slim");
    let original = read(&server, &source).await;
    assert_eq!(titles(copy), titles(&original));
    assert_ne!(copy["id"], original["id"]);
    assert_ne!(
        copy["variants"]["nodes"][0]["id"],
        original["variants"]["nodes"][0]["id"]
    );
    assert_eq!(
        copy["variants"]["nodes"][0]["price"],
        original["variants"]["nodes"][0]["price"]
    );

    // Found again by handle and by id.
    let found = server
        .graphql(
            "query($id: ID!) { byHandle: productByIdentifier(identifier: { handle: \"shirt-again\" }) { id }
                               byId: productByIdentifier(identifier: { id: $id }) { id }
                               none: productByIdentifier(identifier: { handle: \"no-such-thing\" }) { id } }",
            json!({ "id": copy["id"] }),
        )
        .await;
    assert_eq!(found["data"]["byHandle"]["id"], copy["id"], "{found}");
    assert_eq!(found["data"]["byId"]["id"], copy["id"]);
    assert_eq!(found["data"]["none"], Value::Null);

    let missing = server
        .graphql(
            "mutation { productDuplicate(productId: \"gid://shopify/Product/999999\", newTitle: \"X\") {
                newProduct { id } userErrors { field message } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        missing["data"]["productDuplicate"]["userErrors"],
        json!([{ "field": ["productId"], "message": "Product does not exist" }])
    );
}

/// A page of `products(arguments)`, which may use `$after` and `$query`.
async fn page(server: &TestServer, arguments: &str, variables: Value) -> Value {
    let declared: Vec<String> = ["after", "query"]
        .iter()
        .filter(|name| arguments.contains(&format!("${name}")))
        .map(|name| format!("${name}: String"))
        .collect();
    let declared = match declared.is_empty() {
        true => String::new(),
        false => format!("({})", declared.join(", ")),
    };
    let answer = server
        .graphql(
            &format!(
                "query{declared} {{ products({arguments}) {{
                    edges {{ cursor node {{ title vendor }} }}
                    pageInfo {{ hasNextPage endCursor }} }} }}"
            ),
            variables,
        )
        .await;
    assert!(answer["errors"].is_null(), "{answer}");
    answer["data"]["products"].clone()
}

fn page_titles(page: &Value) -> Vec<&str> {
    page["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"]["title"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn products_are_sorted_paged_and_searched_as_the_hosted_api_does() {
    let server = TestServer::start().await;
    for (title, vendor, sku) in [
        ("Delta", "Acme", "D-1"),
        ("alpha", "Zenith", "A-1"),
        ("Charlie", "Acme", "C-1"),
        ("bravo", "Mid", "B-1"),
    ] {
        create(
            &server,
            json!({
                "title": title, "vendor": vendor,
                "productOptions": [{ "name": "Size", "values": [{ "name": "S" }] }],
            }),
        )
        .await;
        let product = server
            .graphql(
                "query($q: String) { products(first: 1, query: $q) { nodes { variants(first: 1) { nodes { id } } id } } }",
                json!({ "q": format!("title:{title}") }),
            )
            .await;
        let product = &product["data"]["products"]["nodes"][0];
        let answer = server
            .graphql(
                "mutation($id: ID!, $variants: [ProductVariantsBulkInput!]!) {
                    productVariantsBulkUpdate(productId: $id, variants: $variants) {
                        userErrors { message } } }",
                json!({ "id": product["id"], "variants": [{
                    "id": product["variants"]["nodes"][0]["id"],
                    "inventoryItem": { "sku": sku },
                }] }),
            )
            .await;
        assert_eq!(
            answer["data"]["productVariantsBulkUpdate"]["userErrors"],
            json!([]),
            "{answer}"
        );
    }

    // Titles sort without regard to case; each cursor carries the id and the sort value.
    let first = page(&server, "first: 2, sortKey: TITLE", json!({})).await;
    assert_eq!(page_titles(&first), ["alpha", "bravo"]);
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    let cursor = first["pageInfo"]["endCursor"].as_str().unwrap();
    let decoded: Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::STANDARD, cursor).unwrap(),
    )
    .unwrap();
    assert_eq!(decoded["last_value"], "bravo");
    let rest = page(
        &server,
        "first: 2, after: $after, sortKey: TITLE",
        json!({ "after": cursor }),
    )
    .await;
    assert_eq!(page_titles(&rest), ["Charlie", "Delta"]);
    assert_eq!(rest["pageInfo"]["hasNextPage"], false);

    // Reversed, by vendor then id.
    let by_vendor = page(
        &server,
        "first: 4, sortKey: VENDOR, reverse: true",
        json!({}),
    )
    .await;
    assert_eq!(
        page_titles(&by_vendor),
        ["alpha", "bravo", "Charlie", "Delta"]
    );

    // A variant's SKU, OR groups, and id ranges.
    let by_sku = page(
        &server,
        "first: 5, query: $query",
        json!({ "query": "sku:c-1" }),
    )
    .await;
    assert_eq!(page_titles(&by_sku), ["Charlie"]);
    let by_prefix = page(
        &server,
        "first: 5, query: $query, sortKey: TITLE",
        json!({ "query": "vendor:ac*" }),
    )
    .await;
    assert_eq!(page_titles(&by_prefix), ["Charlie", "Delta"]);
    let either = page(
        &server,
        "first: 5, query: $query, sortKey: TITLE",
        json!({ "query": "vendor:zenith OR vendor:mid" }),
    )
    .await;
    assert_eq!(page_titles(&either), ["alpha", "bravo"]);
    let ids = server
        .graphql("{ products(first: 5) { nodes { id } } }", json!({}))
        .await;
    let second = ids["data"]["products"]["nodes"][1]["id"].as_str().unwrap();
    let second = second.rsplit('/').next().unwrap();
    let after_second = page(
        &server,
        "first: 5, query: $query",
        json!({ "query": format!("id:>{second}") }),
    )
    .await;
    assert_eq!(page_titles(&after_second), ["Charlie", "bravo"]);
}

#[tokio::test]
async fn a_metafield_definition_is_updated_by_owner_type_namespace_and_key() {
    let server = TestServer::start().await;
    let created = server
        .graphql(
            r#"mutation { metafieldDefinitionCreate(definition: {
                name: "Fabric", namespace: "specs", key: "fabric", ownerType: PRODUCT,
                type: "single_line_text_field" }) { userErrors { message } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        created["data"]["metafieldDefinitionCreate"]["userErrors"],
        json!([])
    );
    let update = |definition: Value| {
        let server = &server;
        async move {
            server
                .graphql(
                    "mutation($definition: MetafieldDefinitionUpdateInput!) {
                        metafieldDefinitionUpdate(definition: $definition) {
                            updatedDefinition { name description pinnedPosition validations { name value } }
                            userErrors { field message code } validationJob { done } } }",
                    json!({ "definition": definition }),
                )
                .await["data"]["metafieldDefinitionUpdate"]
                .clone()
        }
    };
    let renamed = update(json!({
        "namespace": "specs", "key": "fabric", "ownerType": "PRODUCT",
        "name": "Material", "pin": true,
    }))
    .await;
    assert_eq!(
        renamed["updatedDefinition"],
        json!({ "name": "Material", "description": null, "pinnedPosition": 1, "validations": [] })
    );
    assert_eq!(renamed["validationJob"], Value::Null);
    let validated = update(json!({
        "namespace": "specs", "key": "fabric", "ownerType": "PRODUCT",
        "validations": [{ "name": "max", "value": "20" }],
    }))
    .await;
    assert_eq!(validated["validationJob"], json!({ "done": false }));
    assert_eq!(
        validated["updatedDefinition"]["validations"],
        json!([{ "name": "max", "value": "20" }])
    );
    let too_long = update(json!({
        "namespace": "specs", "key": "fabric", "ownerType": "PRODUCT",
        "description": "x".repeat(256),
    }))
    .await;
    assert_eq!(
        too_long["userErrors"],
        json!([{
            "field": ["definition", "description"],
            "message": "Description is too long (maximum is 255 characters)",
            "code": "TOO_LONG",
        }])
    );
    let missing =
        update(json!({ "namespace": "specs", "key": "nope", "ownerType": "PRODUCT" })).await;
    assert_eq!(
        missing["userErrors"],
        json!([{ "field": ["definition"], "message": "Definition not found.", "code": "NOT_FOUND" }])
    );
}

#[tokio::test]
async fn the_shop_is_read_from_the_root_and_from_a_product_payload() {
    let server = TestServer::start().await;
    let answer = server
        .graphql(r#"{ shop { id name myshopifyDomain url } }"#, json!({}))
        .await;
    let shop = &answer["data"]["shop"];
    assert!(shop["id"]
        .as_str()
        .unwrap()
        .starts_with("gid://shopify/Shop/"));
    assert_eq!(shop["name"], "test");
    assert_eq!(shop["myshopifyDomain"], "test.myshopify.com");
    assert_eq!(shop["url"], "https://test.myshopify.com");
    let created = server
        .graphql(
            r#"mutation { productCreate(product: { title: "Board" }) { shop { id } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(created["data"]["productCreate"]["shop"]["id"], shop["id"]);
}

#[tokio::test]
async fn a_variant_takes_one_image_of_its_product_and_lets_it_go() {
    let server = TestServer::start().await;
    let product = create(
        &server,
        json!({
            "title": "Tee",
            "productOptions": [{ "name": "Color", "values": [{ "name": "Red" }, { "name": "Blue" }] }],
        }),
    )
    .await;
    let (product_id, variant) = (
        product["id"].clone(),
        product["variants"]["nodes"][0]["id"].clone(),
    );
    let added = server
        .graphql(
            "mutation($productId: ID!, $media: [CreateMediaInput!]!) {
                productCreateMedia(productId: $productId, media: $media) { media { id } } }",
            json!({ "productId": product_id, "media": [
                { "originalSource": "https://example.com/red.png", "alt": "Red", "mediaContentType": "IMAGE" },
                { "originalSource": "https://example.com/spin.mp4", "alt": "Spin", "mediaContentType": "VIDEO" },
            ] }),
        )
        .await;
    let media = &added["data"]["productCreateMedia"]["media"];
    let (image, video) = (media[0]["id"].clone(), media[1]["id"].clone());
    let change = |root: &'static str, media: Value| {
        let (server, product_id, variant) = (&server, product_id.clone(), variant.clone());
        async move {
            let input = if root == "productVariantAppendMedia" {
                "ProductVariantAppendMediaInput"
            } else {
                "ProductVariantDetachMediaInput"
            };
            let answer = server
                .graphql(
                    &format!(
                        "mutation($productId: ID!, $variantMedia: [{input}!]!) {{
                            {root}(productId: $productId, variantMedia: $variantMedia) {{
                                productVariants {{ id media(first: 5) {{ nodes {{ id alt }} }} }}
                                userErrors {{ field message code }} }} }}"
                    ),
                    json!({ "productId": product_id,
                            "variantMedia": [{ "variantId": variant, "mediaIds": media }] }),
                )
                .await;
            answer["data"][root].clone()
        }
    };
    let refused = |code: &str, at: &str| {
        json!([{ "field": ["variantMedia", "0", at], "message": match code {
            "INVALID_MEDIA_TYPE" => "Non-image media cannot be attached to variants.",
            "PRODUCT_VARIANT_ALREADY_HAS_MEDIA" => "The given variant already has attached media.",
            "MEDIA_IS_NOT_ATTACHED_TO_VARIANT" => "The specified media is not attached to the specified variant.",
            _ => "The mediaIds list cannot be empty.",
        }, "code": code }])
    };

    let video_refused = change("productVariantAppendMedia", json!([video])).await;
    assert_eq!(
        video_refused["userErrors"],
        refused("INVALID_MEDIA_TYPE", "mediaIds")
    );
    assert_eq!(video_refused["productVariants"], Value::Null);
    let empty = change("productVariantAppendMedia", json!([])).await;
    assert_eq!(empty["userErrors"], refused("BLANK", "mediaIds"));

    let appended = change("productVariantAppendMedia", json!([image])).await;
    assert_eq!(appended["userErrors"], json!([]));
    assert_eq!(
        appended["productVariants"][0]["media"]["nodes"],
        json!([{ "id": image, "alt": "Red" }])
    );
    let again = change("productVariantAppendMedia", json!([image])).await;
    assert_eq!(
        again["userErrors"],
        refused("PRODUCT_VARIANT_ALREADY_HAS_MEDIA", "variantId")
    );

    let detached = change("productVariantDetachMedia", json!([image])).await;
    assert_eq!(detached["userErrors"], json!([]));
    assert_eq!(detached["productVariants"][0]["media"]["nodes"], json!([]));
    let not_attached = change("productVariantDetachMedia", json!([image])).await;
    assert_eq!(
        not_attached["userErrors"],
        refused("MEDIA_IS_NOT_ATTACHED_TO_VARIANT", "variantId")
    );

    // Deleting the product's media item takes it off the variant too.
    change("productVariantAppendMedia", json!([image])).await;
    server
        .graphql(
            "mutation($productId: ID!, $mediaIds: [ID!]!) {
                productDeleteMedia(productId: $productId, mediaIds: $mediaIds) { deletedMediaIds } }",
            json!({ "productId": product_id, "mediaIds": [image] }),
        )
        .await;
    let read = server
        .graphql(
            "query($id: ID!) { productVariant(id: $id) { media(first: 5) { nodes { id } } } }",
            json!({ "id": variant }),
        )
        .await;
    assert_eq!(
        read["data"]["productVariant"]["media"]["nodes"],
        json!([]),
        "{read}"
    );
}
