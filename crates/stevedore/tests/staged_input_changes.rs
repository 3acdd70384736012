//! An operation runs over exactly the file it was admitted with. A refused re-upload leaves the
//! earlier file alone; a file replaced after admission fails the operation with
//! INTERNAL_SERVER_ERROR, as the hosted API does when the staged file's checksum changes.

mod support;

use support::{product_lines, Options, TestServer, PRODUCT_CREATE};

#[tokio::test]
async fn a_refused_re_upload_keeps_the_earlier_file() {
    let server = TestServer::start().await;
    let (url, fields) = server.stage().await;
    let first = server
        .post_form(&url, &fields, Some(product_lines(2).as_bytes()))
        .await;
    assert_eq!(first.status(), 201);
    let refused = server.post_form(&url, &fields, Some(b"")).await;
    assert_eq!(refused.status(), 400);

    let key = &fields.iter().find(|(name, _)| name == "key").unwrap().1;
    let run = server.run_mutation(PRODUCT_CREATE, key).await;
    let done = server
        .wait(run["bulkOperation"]["id"].as_str().unwrap())
        .await;
    assert_eq!(done["status"], "COMPLETED");
    assert_eq!(done["objectCount"], "2");
}

#[tokio::test]
async fn a_file_replaced_after_admission_fails_the_operation() {
    let mut server = TestServer::start_with(Options {
        workers: false,
        ..Default::default()
    })
    .await;
    let (url, fields) = server.stage().await;
    assert_eq!(
        server
            .post_form(&url, &fields, Some(product_lines(3).as_bytes()))
            .await
            .status(),
        201
    );
    let key = fields
        .iter()
        .find(|(name, _)| name == "key")
        .unwrap()
        .1
        .clone();
    let run = server.run_mutation(PRODUCT_CREATE, &key).await;
    let id = run["bulkOperation"]["id"].as_str().unwrap().to_owned();

    // Same key, same signed form, other content, before any worker has looked at it.
    assert_eq!(
        server
            .post_form(&url, &fields, Some(product_lines(5).as_bytes()))
            .await
            .status(),
        201
    );
    server.start_engine().await;
    let done = server.wait(&id).await;
    assert_eq!(done["status"], "FAILED", "{done}");
    assert_eq!(done["errorCode"], "INTERNAL_SERVER_ERROR");
    assert_eq!(done["url"], serde_json::Value::Null);
    let products = server
        .graphql(
            "{ products(first: 10) { nodes { id } } }",
            serde_json::json!({}),
        )
        .await;
    assert_eq!(products["data"]["products"]["nodes"], serde_json::json!([]));
}

#[tokio::test]
async fn a_file_replaced_while_running_fails_the_operation() {
    let server = TestServer::start_with(Options {
        chunk_lines: 5,
        ..Default::default()
    })
    .await;
    let (url, fields) = server.stage().await;
    let lines = 3000;
    assert_eq!(
        server
            .post_form(&url, &fields, Some(product_lines(lines).as_bytes()))
            .await
            .status(),
        201
    );
    let key = fields
        .iter()
        .find(|(name, _)| name == "key")
        .unwrap()
        .1
        .clone();
    let run = server.run_mutation(PRODUCT_CREATE, &key).await;
    let id = run["bulkOperation"]["id"].as_str().unwrap().to_owned();

    let mut running = server.operation(&id).await;
    while running["objectCount"] == "0" {
        running = server.operation(&id).await;
    }
    assert_eq!(running["status"], "RUNNING");
    assert_eq!(
        server
            .post_form(&url, &fields, Some(product_lines(lines).as_bytes()))
            .await
            .status(),
        201
    );
    let done = server.wait(&id).await;
    assert_eq!(done["status"], "FAILED", "{done}");
    assert_eq!(done["errorCode"], "INTERNAL_SERVER_ERROR");
    let processed: usize = done["objectCount"].as_str().unwrap().parse().unwrap();
    assert!(
        processed < lines,
        "the operation stopped early: {processed} of {lines}"
    );
}
