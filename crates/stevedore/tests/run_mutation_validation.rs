//! `bulkOperationRunMutation` refuses what the hosted API refuses, with its messages and codes
//! (from the captures in fixtures/shopify-captures), in its order of precedence.

mod support;

use serde_json::{json, Value};
use support::{product_lines, TestServer, PRODUCT_CREATE};

const NO_SUCH_FILE: &str = "The JSONL file could not be found. Try uploading the file again, and check that you've entered the URL correctly for the stagedUploadPath mutation argument.";

fn only_error(payload: &Value) -> &Value {
    assert_eq!(payload["bulkOperation"], Value::Null, "{payload}");
    let errors = payload["userErrors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{payload}");
    &errors[0]
}

#[tokio::test]
async fn a_missing_file_is_no_such_file() {
    let server = TestServer::start().await;
    let (_, fields) = server.stage().await;
    let staged_but_never_uploaded = &fields.iter().find(|(name, _)| name == "key").unwrap().1;
    for path in [
        staged_but_never_uploaded.as_str(),
        "tmp/1/bulk/missing/name-independent.jsonl",
        "valid",
        "../../etc/passwd",
    ] {
        let payload = server.run_mutation(PRODUCT_CREATE, path).await;
        assert_eq!(
            only_error(&payload),
            &json!({"field": null, "message": NO_SUCH_FILE, "code": "NO_SUCH_FILE"}),
            "{path}"
        );
    }
}

#[tokio::test]
async fn another_shops_file_does_not_exist_for_this_shop() {
    let server = TestServer::start().await;
    let key = server.upload(&product_lines(1)).await;
    server.add_shop("other.myshopify.com", "shpat_other").await;
    let payload = server
        .run_mutation_as("shpat_other", "2026-01", PRODUCT_CREATE, &key)
        .await;
    assert_eq!(only_error(&payload)["code"], "NO_SUCH_FILE");
}

#[tokio::test]
async fn an_empty_file_is_refused() {
    let server = TestServer::start().await;
    // POST policies refuse empty files, so stage the empty file through a signed PUT.
    let (url, _) = server.stage_put("empty.jsonl").await;
    assert_eq!(
        server
            .http
            .put(&url)
            .body("")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let key = support::key_of_put_url(&url);
    let payload = server.run_mutation(PRODUCT_CREATE, key).await;
    assert_eq!(
        only_error(&payload),
        &json!({"field": null, "message": "The input file is empty.", "code": "INVALID_STAGED_UPLOAD_FILE"})
    );
}

#[tokio::test]
async fn documents_that_are_not_one_allowed_mutation_are_refused() {
    let server = TestServer::start().await;
    let key = server.upload(&product_lines(1)).await;
    let cases = [
        (
            "mutation { not real syntax",
            json!({"field": null, "message": "Failed to parse the mutation - syntax error, unexpected end of file at [1, 21]", "code": "INVALID_MUTATION"}),
        ),
        (
            "query { products(first: 1) { nodes { id } } }",
            json!({"field": null, "message": "Invalid operation type. Only `mutation` operations are supported.", "code": "INVALID_MUTATION"}),
        ),
        (
            "mutation { a: productCreate(input: {title: \"a\"}) { product { id } } b: productCreate(input: {title: \"b\"}) { product { id } } }",
            json!({"field": ["mutation"], "message": "You must specify a single top level mutation.", "code": null}),
        ),
        (
            "mutation Probe($mutation: String!, $stagedUploadPath: String!, $clientIdentifier: String) { bulkOperationRunMutation(mutation: $mutation, stagedUploadPath: $stagedUploadPath, clientIdentifier: $clientIdentifier) { bulkOperation { id } userErrors { field message } } }",
            json!({"field": ["mutation"], "message": "You must use an allowed mutation name.", "code": null}),
        ),
        (
            "mutation { bulkOperationRunQuery(query: \"{ products { edges { node { id } } } }\") { bulkOperation { id } } }",
            json!({"field": ["mutation"], "message": "You must use an allowed mutation name.", "code": null}),
        ),
        (
            "mutation($input: ProductInput!) { productCreate(input: $input) { product { variants(first: 1) { nodes { id } } } userErrors { field message } } productUpdate(input: $input) { product { id } } }",
            json!({"field": ["mutation"], "message": "You must specify a single top level mutation.", "code": null}),
        ),
    ];
    for (document, expected) in cases {
        let payload = server.run_mutation(document, &key).await;
        assert_eq!(only_error(&payload), &expected, "{document}");
    }
    // Shopify checks the document before the file: a bad document on a missing path is still a bad document.
    let payload = server
        .run_mutation("mutation { not real syntax", "valid")
        .await;
    assert_eq!(only_error(&payload)["code"], "INVALID_MUTATION");
}

#[tokio::test]
async fn client_identifier_and_document_size_are_bounded() {
    let server = TestServer::start().await;
    let key = server.upload(&product_lines(1)).await;
    let run = |identifier: &str| {
        let server = &server;
        let key = key.clone();
        let identifier = identifier.to_owned();
        async move {
            server
                .graphql(
                    "mutation($m: String!, $p: String!, $c: String) { bulkOperationRunMutation(mutation: $m, stagedUploadPath: $p, clientIdentifier: $c) { bulkOperation { id } userErrors { field message code } } }",
                    json!({"m": PRODUCT_CREATE, "p": key, "c": identifier}),
                )
                .await["data"]["bulkOperationRunMutation"]
                .clone()
        }
    };
    assert_eq!(
        only_error(&run("abc").await),
        &json!({"field": ["clientIdentifier"], "message": "is too short (minimum is 10 characters)", "code": "INVALID_MUTATION"})
    );
    assert_eq!(
        only_error(&run(&"x".repeat(256)).await),
        &json!({"field": ["clientIdentifier"], "message": "is too long (maximum is 255 characters)", "code": "INVALID_MUTATION"})
    );
    let large = format!(
        "#{}\n{PRODUCT_CREATE}",
        "a".repeat(65_535 - PRODUCT_CREATE.len())
    );
    assert_eq!(large.len(), 65_537);
    let payload = server.run_mutation(&large, &key).await;
    assert_eq!(
        only_error(&payload),
        &json!({"field": ["query"], "message": "is too large (65537 bytes; maximum is 65535 bytes)", "code": "INVALID_MUTATION"})
    );
}

/// Twenty parallel runs for one shop on a 2026-01+ version: exactly five are admitted, and the
/// others are told which five are running.
#[tokio::test]
async fn twenty_parallel_runs_admit_exactly_five() {
    // Without workers the admitted operations stay CREATED, so all five count against the cap.
    let server = TestServer::start_with(support::Options {
        workers: false,
        ..Default::default()
    })
    .await;
    let mut keys = Vec::new();
    for _ in 0..20 {
        keys.push(server.upload(&product_lines(1)).await);
    }
    let runs = futures::future::join_all(
        keys.iter()
            .map(|key| server.run_mutation(PRODUCT_CREATE, key)),
    )
    .await;
    let admitted: Vec<&str> = runs
        .iter()
        .filter_map(|run| run["bulkOperation"]["id"].as_str())
        .collect();
    assert_eq!(admitted.len(), 5);
    let mut sorted_ids = admitted.clone();
    sorted_ids.sort_by_key(|id| id.rsplit('/').next().unwrap().parse::<i64>().unwrap());
    let expected = format!(
        "A bulk mutation operation for this app and shop is already in progress: {}.",
        sorted_ids.join(", ")
    );
    for refused in runs.iter().filter(|run| run["bulkOperation"].is_null()) {
        assert_eq!(
            only_error(refused),
            &json!({"field": null, "message": expected, "code": "OPERATION_IN_PROGRESS"})
        );
    }

    // A missing file is reported even at the cap: the file is checked first.
    let payload = server
        .run_mutation(PRODUCT_CREATE, "tmp/1/bulk/missing/file.jsonl")
        .await;
    assert_eq!(only_error(&payload)["code"], "NO_SUCH_FILE");

    // The cap is per shop.
    server.add_shop("other.myshopify.com", "shpat_other").await;
    let other = server
        .graphql_as(
            "shpat_other",
            "2026-01",
            "{ currentBulkOperation(type: MUTATION) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(
        other["data"]["currentBulkOperation"],
        Value::Null,
        "shops never see each other's operations"
    );
}

#[tokio::test]
async fn versions_before_2026_01_admit_one() {
    let server = TestServer::start_with(support::Options {
        workers: false,
        ..Default::default()
    })
    .await;
    let first = server.upload(&product_lines(1)).await;
    let second = server.upload(&product_lines(1)).await;
    let admitted = server
        .run_mutation_as(&server.token, "2025-10", PRODUCT_CREATE, &first)
        .await;
    let id = admitted["bulkOperation"]["id"].as_str().unwrap();
    let refused = server
        .run_mutation_as(&server.token, "2025-10", PRODUCT_CREATE, &second)
        .await;
    assert_eq!(
        only_error(&refused),
        &json!({"field": null, "message": format!("A bulk mutation operation for this app and shop is already in progress: {id}."), "code": "OPERATION_IN_PROGRESS"})
    );
    // The same shop on 2026-01 may run more.
    let newer = server.run_mutation(PRODUCT_CREATE, &second).await;
    assert_eq!(newer["bulkOperation"]["status"], "CREATED");
}

#[tokio::test]
async fn looking_up_operations_by_id() {
    let server = TestServer::start().await;
    let query = "query($id: ID!) { bulkOperation(id: $id) { id } }";
    let wrong_type = server
        .graphql(query, json!({"id": "gid://shopify/Product/1"}))
        .await;
    assert_eq!(wrong_type["data"]["bulkOperation"], Value::Null);
    assert_eq!(
        wrong_type["errors"][0]["message"],
        "Invalid id: gid://shopify/Product/1"
    );
    assert_eq!(
        wrong_type["errors"][0]["extensions"]["code"],
        "RESOURCE_NOT_FOUND"
    );
    // Refused while coercing the variable, before anything runs: no data, no cost.
    let malformed = server.graphql(query, json!({"id": "not-a-gid"})).await;
    assert_eq!(
        malformed,
        json!({"errors": [{
            "message": "Variable $id of type ID! was provided invalid value",
            "locations": [{"line": 1, "column": 7}],
            "extensions": {
                "code": "INVALID_VARIABLE",
                "value": "not-a-gid",
                "problems": [{"path": [], "explanation": "Invalid global id 'not-a-gid'", "message": "Invalid global id 'not-a-gid'"}],
            },
        }]})
    );
    let unknown = server
        .graphql(query, json!({"id": "gid://shopify/BulkOperation/424242"}))
        .await;
    assert_eq!(unknown["data"]["bulkOperation"], Value::Null);
    assert!(unknown.get("errors").is_none());
}

/// Fragments that loop, or that each spread the next twice, are refused at once, in bulk
/// documents and in synchronous requests alike, instead of being expanded.
#[tokio::test]
async fn fragment_bombs_are_refused_before_they_expand() {
    let server = TestServer::start().await;
    let key = server.upload(&product_lines(1)).await;
    let mut bomb = String::from("mutation { productCreate(input: {title: \"x\"}) { ...F0 } }");
    for level in 0..40 {
        bomb.push_str(&format!(
            " fragment F{level} on ProductCreatePayload {{ ...F{} ...F{} }}",
            level + 1,
            level + 1
        ));
    }
    bomb.push_str(" fragment F40 on ProductCreatePayload { product { id } }");
    let looping = "mutation { productCreate(input: {title: \"x\"}) { ...F } } fragment F on ProductCreatePayload { product { id } ...F }";

    let started = std::time::Instant::now();
    let payload = server.run_mutation(&bomb, &key).await;
    assert_eq!(
        only_error(&payload),
        &json!({"field": null, "message": "Query is too complex.", "code": "INVALID_MUTATION"})
    );
    let payload = server.run_mutation(looping, &key).await;
    assert_eq!(
        only_error(&payload)["message"],
        "Fragment F contains an infinite loop"
    );

    let synchronous = server.graphql(&bomb, json!({})).await;
    assert_eq!(synchronous["errors"][0]["message"], "Query is too complex.");
    let synchronous = server.graphql(looping, json!({})).await;
    assert_eq!(
        synchronous["errors"][0]["message"],
        "Fragment F contains an infinite loop"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
}
