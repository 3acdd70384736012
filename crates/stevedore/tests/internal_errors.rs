//! A failure on this side (the database refusing a statement, say) is answered with the hosted
//! API's internal error and a request id to quote; the database's own words stay in the log.

mod support;

use serde_json::json;
use support::TestServer;

#[tokio::test]
async fn a_search_the_database_cannot_run_answers_the_internal_error_without_its_text() {
    let server = TestServer::start().await;
    let created = server
        .graphql(
            "mutation { productCreate(input: {title: \"Board\"}) { product { id } } }",
            json!({}),
        )
        .await;
    assert!(
        created["data"]["productCreate"]["product"]["id"].is_string(),
        "{created}"
    );
    // SQLite refuses a LIKE pattern this long ("LIKE or GLOB pattern too complex"); Postgres
    // runs it and finds nothing.
    let term = "x".repeat(60_000);
    let answer = server
        .graphql(
            "query($q: String) { products(first: 1, query: $q) { nodes { id } } }",
            json!({ "q": term }),
        )
        .await;
    let text = answer.to_string();
    assert!(!text.contains("LIKE"), "{text:.300}");
    assert!(!text.contains("database"), "{text:.300}");
    let Some(errors) = answer["errors"].as_array() else {
        assert_eq!(answer["data"]["products"]["nodes"], json!([]));
        return;
    };
    assert!(!server.backend.is_postgres(), "{text:.300}");
    assert_eq!(errors.len(), 1, "{text:.300}");
    let error = &errors[0];
    let request_id = error["extensions"]["requestId"].as_str().unwrap();
    assert_eq!(
        error["message"],
        format!(
            "Internal error. Looks like something went wrong on our end.\nRequest ID: {request_id} (include this in support requests)."
        )
    );
    assert_eq!(error["extensions"]["code"], "INTERNAL_SERVER_ERROR");
    assert_eq!(error["path"], json!(["products"]));
}
