//! `bulkOperationCancel`: CANCELING at once, CANCELED when the workers stop; lines already
//! done stay done; terminal and unknown operations are refused with Shopify's messages.

mod support;

use serde_json::{json, Value};
use support::{product_lines, Options, TestServer, PRODUCT_CREATE};

const CANCEL: &str = "mutation($id: ID!) { bulkOperationCancel(id: $id) { bulkOperation { id status completedAt objectCount url partialDataUrl } userErrors { field message } } }";

async fn cancel(server: &TestServer, id: &str) -> Value {
    server.graphql(CANCEL, json!({"id": id})).await["data"]["bulkOperationCancel"].clone()
}

#[tokio::test]
async fn a_created_operation_is_canceled_before_any_line_runs() {
    let mut server = TestServer::start_with(Options {
        workers: false,
        ..Default::default()
    })
    .await;
    let key = server.upload(&product_lines(5)).await;
    let id = server.run_mutation(PRODUCT_CREATE, &key).await["bulkOperation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let canceling = cancel(&server, &id).await;
    assert_eq!(canceling["userErrors"], json!([]));
    assert_eq!(canceling["bulkOperation"]["status"], "CANCELING");

    server.start_engine().await;
    let done = server.wait(&id).await;
    assert_eq!(done["status"], "CANCELED");
    assert_eq!(
        (
            done["completedAt"].clone(),
            done["url"].clone(),
            done["partialDataUrl"].clone()
        ),
        (Value::Null, Value::Null, Value::Null)
    );
    assert_eq!(done["objectCount"], "0");
    let products = server
        .graphql("{ products(first: 10) { nodes { id } } }", json!({}))
        .await;
    assert_eq!(products["data"]["products"]["nodes"], json!([]));
}

#[tokio::test]
async fn a_running_operation_stops_and_keeps_what_it_did() {
    let server = TestServer::start_with(Options {
        chunk_lines: 5,
        ..Default::default()
    })
    .await;
    let lines = 3000;
    let id = server.start_running(lines).await;
    assert_eq!(
        cancel(&server, &id).await["bulkOperation"]["status"],
        "CANCELING"
    );

    let done = server.wait(&id).await;
    assert_eq!(done["status"], "CANCELED");
    let processed: usize = done["objectCount"].as_str().unwrap().parse().unwrap();
    assert!(
        processed > 0 && processed < lines,
        "stopped after {processed} of {lines}"
    );
    let mut products = 0;
    let mut after: Option<String> = None;
    loop {
        let page = server
            .graphql("query($after: String) { products(first: 250, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } }", json!({"after": after}))
            .await;
        let page = &page["data"]["products"];
        products += page["nodes"].as_array().unwrap().len();
        if !page["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = page["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(
        products, processed,
        "the lines done before the cancel stay done, and only those"
    );
}

#[tokio::test]
async fn finished_and_unknown_operations_cannot_be_canceled() {
    let server = TestServer::start().await;
    let (operation, _) = server.import(&product_lines(1), PRODUCT_CREATE).await;
    let id = operation["id"].as_str().unwrap();
    let refused = cancel(&server, id).await;
    assert_eq!(refused["bulkOperation"]["status"], "COMPLETED");
    assert_eq!(
        refused["userErrors"],
        json!([{"field": null, "message": "A bulk operation cannot be canceled when it is completed"}])
    );

    let unknown = cancel(&server, "gid://shopify/BulkOperation/424242").await;
    assert_eq!(
        unknown,
        json!({"bulkOperation": null, "userErrors": [{"field": ["id"], "message": "Bulk operation does not exist"}]})
    );
}
