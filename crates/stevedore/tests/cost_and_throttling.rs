//! Every executed response reports its cost as the hosted API does, synchronous calls pay for it
//! from a per-token leaky bucket and are refused `THROTTLED` when it runs dry, and the lines of
//! a bulk operation never draw from it.

mod support;

use serde_json::{json, Value};
use support::{product_lines, TestServer, PRODUCT_CREATE};

/// One request, without the support client's patience for THROTTLED.
async fn post(server: &TestServer, token: &str, query: &str) -> Value {
    server
        .post_graphql(token, "2026-04", &json!({"query": query}))
        .await
        .json()
        .await
        .unwrap()
}

fn cost(body: &Value) -> (u64, u64) {
    let cost = &body["extensions"]["cost"];
    assert_eq!(cost["throttleStatus"]["maximumAvailable"], 2000, "{body}");
    assert_eq!(cost["throttleStatus"]["restoreRate"], 100, "{body}");
    (
        cost["requestedQueryCost"].as_u64().unwrap(),
        cost["throttleStatus"]["currentlyAvailable"]
            .as_u64()
            .unwrap(),
    )
}

#[tokio::test]
async fn responses_report_the_published_costs() {
    let server = TestServer::start().await;
    let token = server.token.clone();
    let poll = post(
        &server,
        &token,
        "{ bulkOperation(id: \"gid://shopify/BulkOperation/1\") { id status } }",
    )
    .await;
    assert_eq!(cost(&poll), (1, 1999));
    // A connection: 2, plus one edge and one node for each of the `first` items.
    let listing = post(
        &server,
        &token,
        "{ bulkOperations(first: 5) { edges { cursor node { id } } pageInfo { hasNextPage } } }",
    )
    .await;
    assert_eq!(cost(&listing).0, 2 + 1 + 5 * 2);
    let staged = post(&server, &token, "mutation { stagedUploadsCreate(input: [{resource: BULK_MUTATION_VARIABLES, filename: \"a.jsonl\", mimeType: \"text/jsonl\", httpMethod: POST}]) { stagedTargets { url } userErrors { message } } }").await;
    assert_eq!(cost(&staged).0, 11);
    let cancel = post(&server, &token, "mutation { bulkOperationCancel(id: \"gid://shopify/BulkOperation/1\") { userErrors { field message } } }").await;
    assert_eq!(cost(&cancel).0, 10);
    // Each cost is taken from the bucket, less what refilled meanwhile (100 points a second).
    let spent = 1 + 13 + 11 + 10;
    assert!(
        (2000 - spent..2000 - spent + 20).contains(&cost(&cancel).1),
        "{cancel}"
    );

    // Variables' defaults and fragments on a type are priced like the fields they stand for.
    let defaulted = post(
        &server,
        &token,
        "query($n: Int = 20) { products(first: $n) { nodes { id } } }",
    )
    .await;
    assert_eq!(cost(&defaulted).0, 2 + 20);
    let spread = post(&server, &token, "{ nodes(ids: [\"gid://shopify/Product/1\"]) { ... on Product { variants(first: 50) { nodes { id } } } } }").await;
    assert_eq!(cost(&spread).0, 1 + 2 + 50);

    // Refused before running: no cost, nothing taken.
    let refused = post(&server, &token, "{ bulkOperation { id } }").await;
    assert!(refused.get("extensions").is_none(), "{refused}");
    assert!(refused.get("data").is_none(), "{refused}");
}

#[tokio::test]
async fn a_dry_bucket_answers_throttled_and_refills_over_time() {
    let server = TestServer::start().await;
    let token = server.token.clone();
    // 2 + 250 nodes: about an eighth of the bucket per call.
    let expensive = "{ products(first: 250) { nodes { id } } }";
    let mut throttled = None;
    for _ in 0..20 {
        let body = post(&server, &token, expensive).await;
        if body.pointer("/errors/0/extensions/code") == Some(&json!("THROTTLED")) {
            throttled = Some(body);
            break;
        }
        assert_eq!(cost(&body).0, 252, "{body}");
    }
    let throttled = throttled.expect("the bucket ran dry within 20 calls");
    assert_eq!(
        throttled["errors"],
        json!([{"message": "Throttled", "extensions": {"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}])
    );
    assert!(throttled.get("data").is_none());
    assert_eq!(
        throttled["extensions"]["cost"]["actualQueryCost"],
        Value::Null
    );
    let (requested, available) = cost(&throttled);
    assert!(available < requested, "{throttled}");

    // Another token of the same server has a bucket of its own.
    server.add_shop("other.myshopify.com", "shpat_other").await;
    let other = post(&server, "shpat_other", expensive).await;
    assert_eq!(cost(&other), (252, 2000 - 252));

    // 100 points a second come back.
    let wait = std::time::Duration::from_secs_f64((requested - available) as f64 / 100.0 + 0.2);
    tokio::time::sleep(wait).await;
    let again = post(&server, &token, expensive).await;
    assert!(again.get("errors").is_none(), "{again}");
}

#[tokio::test]
async fn a_request_over_the_single_query_limit_is_refused_whole() {
    let server = TestServer::start().await;
    let token = server.token.clone();
    // Two aliased listings of 250 edges and nodes: 2 × (2 + 250 × 2) = 1004 points.
    let body = post(&server, &token, "{ a: bulkOperations(first: 250) { edges { node { id } } } b: bulkOperations(first: 250) { edges { node { id } } } }").await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "MAX_COST_EXCEEDED",
        "{body}"
    );
    assert_eq!(body["errors"][0]["extensions"]["cost"], 1004);
    assert_eq!(body["errors"][0]["extensions"]["maxCost"], 1000);
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .starts_with("Query cost is 1004, which exceeds the single query max cost limit (1000)."));
    let (_, available) = cost(&body);
    assert_eq!(available, 2000, "a refused request costs nothing");
}

#[tokio::test]
async fn bulk_lines_do_not_draw_from_the_bucket() {
    let server = TestServer::start().await;
    // 400 productCreate lines would cost 4000 points as synchronous calls: twice the bucket.
    let (operation, lines) = server.import(&product_lines(400), PRODUCT_CREATE).await;
    assert_eq!(operation["objectCount"], "400");
    assert!(lines.iter().all(|line| line.get("errors").is_none()));
    let poll = post(
        &server,
        &server.token.clone(),
        "{ bulkOperations(first: 1) { nodes { id } } }",
    )
    .await;
    let (_, available) = cost(&poll);
    assert!(
        available > 1500,
        "only the requests around the import were paid for: {poll}"
    );
}
