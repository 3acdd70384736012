//! Access scopes: a token without the scope a field needs gets the hosted API's ACCESS_DENIED
//! error for that field, synchronously and on each line of a bulk operation (which runs with the
//! scopes of the token that started it); shops never see each other's operations or uploads.

mod support;

use serde_json::{json, Value};
use support::{product_lines, TestServer, PRODUCT_CREATE};

const READER: &str = "shpat_reader";

async fn with_reader() -> TestServer {
    let server = TestServer::start().await;
    server
        .add_token("test.myshopify.com", READER, &["read_products"])
        .await;
    server
}

fn denied(field: &str, scope: &str) -> Value {
    json!({
        "message": format!("Access denied for {field} field. Required access: `{scope}` access scope."),
        "code": "ACCESS_DENIED",
        "documentation": "https://shopify.dev/api/usage/access-scopes",
        "requiredAccess": format!("`{scope}` access scope."),
    })
}

fn error_summary(error: &Value) -> Value {
    json!({
        "message": error["message"],
        "code": error["extensions"]["code"],
        "documentation": error["extensions"]["documentation"],
        "requiredAccess": error["extensions"]["requiredAccess"],
    })
}

#[tokio::test]
async fn a_synchronous_call_without_the_scope_is_denied_at_its_field() {
    let server = with_reader().await;
    let create = server
        .graphql_as(
            READER,
            "2026-04",
            "mutation { productCreate(product: {title: \"Board\"}) { product { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(create["data"], json!({"productCreate": null}));
    assert_eq!(
        error_summary(&create["errors"][0]),
        denied("productCreate", "write_products")
    );
    assert_eq!(create["errors"][0]["path"], json!(["productCreate"]));
    assert!(
        create["extensions"]["cost"].is_object(),
        "it ran, and is paid for"
    );

    // Reading needs read_products, which the token has; write_products includes it.
    let read = server
        .graphql_as(
            READER,
            "2026-04",
            "{ products(first: 1) { nodes { id } } }",
            json!({}),
        )
        .await;
    assert!(read.get("errors").is_none(), "{read}");
    server
        .app
        .services()
        .engine
        .store()
        .create_shop_token("bare.myshopify.com", "shpat_bare", &[], "hush", false)
        .await
        .unwrap();
    let refused = server
        .graphql_as(
            "shpat_bare",
            "2026-04",
            "{ products(first: 1) { nodes { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        error_summary(&refused["errors"][0]),
        denied("products", "read_products")
    );
}

#[tokio::test]
async fn each_line_of_a_bulk_operation_runs_with_the_starting_tokens_scopes() {
    let server = with_reader().await;
    // The reader stages and starts the operation: bulk operations themselves need no scope.
    let key = server.upload(&product_lines(3)).await;
    let run = server
        .run_mutation_as(READER, "2026-04", PRODUCT_CREATE, &key)
        .await;
    assert_eq!(run["userErrors"], json!([]), "{run}");
    let operation = server
        .wait(run["bulkOperation"]["id"].as_str().unwrap())
        .await;
    assert_eq!(
        operation["status"], "COMPLETED",
        "lines are denied, the operation is not"
    );
    assert_eq!(operation["objectCount"], "3");
    let text = server
        .get(operation["url"].as_str().unwrap())
        .await
        .text()
        .await
        .unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    for (number, line) in lines.iter().enumerate() {
        assert_eq!(line["__lineNumber"], number as u64);
        assert_eq!(line["data"], json!({"productCreate": null}));
        assert_eq!(
            error_summary(&line["errors"][0]),
            denied("productCreate", "write_products")
        );
    }
    let products = server
        .graphql("{ products(first: 5) { nodes { id } } }", json!({}))
        .await;
    assert_eq!(
        products["data"]["products"]["nodes"],
        json!([]),
        "nothing was written"
    );

    // The same file run by a writer creates the products.
    let (_, lines) = server.import(&product_lines(3), PRODUCT_CREATE).await;
    assert!(lines.iter().all(|line| line.get("errors").is_none()));
}

#[tokio::test]
async fn shops_never_see_each_others_operations_or_uploads() {
    let server = TestServer::start().await;
    server.add_shop("other.myshopify.com", "shpat_other").await;
    let (operation, _) = server.import(&product_lines(1), PRODUCT_CREATE).await;
    let id = operation["id"].as_str().unwrap();
    let seen = server
        .graphql_as(
            "shpat_other",
            "2026-04",
            "query($id: ID!) { bulkOperation(id: $id) { id } node(id: $id) { id } bulkOperations(first: 5) { nodes { id } } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        seen["data"],
        json!({"bulkOperation": null, "node": null, "bulkOperations": {"nodes": []}})
    );
    let cancel = server
        .graphql_as(
            "shpat_other",
            "2026-04",
            "mutation($id: ID!) { bulkOperationCancel(id: $id) { userErrors { field message } } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        cancel["data"]["bulkOperationCancel"]["userErrors"],
        json!([{"field": ["id"], "message": "Bulk operation does not exist"}])
    );
    // A staged file of this shop is not a file of the other's.
    let key = server.upload(&product_lines(1)).await;
    let run = server
        .run_mutation_as("shpat_other", "2026-04", PRODUCT_CREATE, &key)
        .await;
    assert_eq!(run["userErrors"][0]["code"], "NO_SUCH_FILE", "{run}");
}
