//! `bulkOperations`: the shop's operations newest first, sorted by creation or completion,
//! filtered with Shopify's search syntax, paged with cursors, and refused or warned about as
//! the captured Admin API does.

mod support;

use serde_json::{json, Value};
use support::{product_lines, Options, TestServer, PRODUCT_CREATE};

const LIST: &str = "query($first: Int, $last: Int, $after: String, $before: String, $query: String, $sortKey: BulkOperationsSortKeys, $reverse: Boolean) {
  bulkOperations(first: $first, last: $last, after: $after, before: $before, query: $query, sortKey: $sortKey, reverse: $reverse) {
    edges { cursor node { id status type completedAt } }
    nodes { id }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}";

/// Three operations, oldest first: one canceled (never completed), then two completed.
async fn three_operations() -> (TestServer, Vec<String>) {
    let mut server = TestServer::start_with(Options {
        workers: false,
        ..Default::default()
    })
    .await;
    let key = server.upload(&product_lines(2)).await;
    let canceled = server.run_mutation(PRODUCT_CREATE, &key).await["bulkOperation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    server
        .graphql(
            "mutation($id: ID!) { bulkOperationCancel(id: $id) { userErrors { message } } }",
            json!({"id": canceled}),
        )
        .await;
    server.start_engine().await;
    assert_eq!(server.wait(&canceled).await["status"], "CANCELED");
    let mut ids = vec![canceled];
    for _ in 0..2 {
        let (operation, _) = server.import(&product_lines(1), PRODUCT_CREATE).await;
        ids.push(operation["id"].as_str().unwrap().to_owned());
    }
    (server, ids)
}

async fn list(server: &TestServer, variables: Value) -> Value {
    server.graphql(LIST, variables).await
}

fn ids(body: &Value) -> Vec<String> {
    body["data"]["bulkOperations"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|node| node["id"].as_str().unwrap().to_owned())
        .collect()
}

fn reversed(ids: &[String]) -> Vec<String> {
    ids.iter().rev().cloned().collect()
}

#[tokio::test]
async fn operations_are_listed_newest_first_and_by_completion() {
    let (server, oldest_first) = three_operations().await;
    let newest_first = reversed(&oldest_first);
    assert_eq!(
        ids(&list(&server, json!({"first": 10})).await),
        newest_first
    );
    assert_eq!(
        ids(&list(&server, json!({"first": 10, "reverse": true})).await),
        oldest_first
    );
    // By completion: the completed ones newest first, the canceled one (no completedAt) last;
    // reversed, it comes first.
    let by_completion = list(&server, json!({"first": 10, "sortKey": "COMPLETED_AT"})).await;
    assert_eq!(
        ids(&by_completion),
        [
            newest_first[0].clone(),
            newest_first[1].clone(),
            oldest_first[0].clone()
        ]
    );
    assert_eq!(
        ids(&list(
            &server,
            json!({"first": 10, "sortKey": "COMPLETED_AT", "reverse": true})
        )
        .await),
        oldest_first
    );
    let edges = &by_completion["data"]["bulkOperations"]["edges"];
    assert_eq!(edges[2]["node"]["status"], "CANCELED");
    assert_eq!(edges[2]["node"]["completedAt"], Value::Null);
    assert_eq!(edges[0]["node"]["type"], "MUTATION");

    let rejected = server
        .graphql(
            "{ bulkOperations(first: 5, sortKey: ID) { nodes { id } } }",
            json!({}),
        )
        .await;
    assert!(
        rejected["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("sortKey"),
        "{rejected}"
    );
}

#[tokio::test]
async fn pages_follow_their_cursors_both_ways() {
    let (server, oldest_first) = three_operations().await;
    let newest_first = reversed(&oldest_first);

    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let page = list(&server, json!({"first": 1, "after": after})).await;
        let connection = &page["data"]["bulkOperations"];
        seen.extend(ids(&page));
        assert_eq!(
            connection["pageInfo"]["startCursor"],
            connection["edges"][0]["cursor"]
        );
        assert_eq!(
            connection["pageInfo"]["hasPreviousPage"],
            !after.is_null(),
            "a page after a cursor has one before it"
        );
        if !connection["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = connection["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(seen, newest_first);

    let mut seen = Vec::new();
    let mut before = Value::Null;
    loop {
        let page = list(&server, json!({"last": 2, "before": before})).await;
        let connection = &page["data"]["bulkOperations"];
        let mut page_ids = ids(&page);
        page_ids.extend(seen);
        seen = page_ids;
        if !connection["pageInfo"]["hasPreviousPage"].as_bool().unwrap() {
            break;
        }
        before = connection["pageInfo"]["startCursor"].clone();
    }
    assert_eq!(seen, newest_first);

    let empty = list(&server, json!({"first": 5, "query": "status:running"})).await;
    assert_eq!(
        empty["data"]["bulkOperations"]["pageInfo"],
        json!({"hasNextPage": false, "hasPreviousPage": false, "startCursor": null, "endCursor": null})
    );
}

#[tokio::test]
async fn search_filters_by_status_type_id_and_creation() {
    let (server, oldest_first) = three_operations().await;
    let newest_first = reversed(&oldest_first);
    let search = |query: &str| {
        let server = &server;
        let query = query.to_owned();
        async move { ids(&list(server, json!({"first": 10, "query": query})).await) }
    };
    assert_eq!(search("status:completed").await, newest_first[..2]);
    assert_eq!(search("status:CANCELED").await, [oldest_first[0].clone()]);
    assert_eq!(search("operation_type:mutation").await, newest_first);
    assert_eq!(
        search("status:running operation_type:query").await,
        Vec::<String>::new()
    );
    let numeric = |gid: &str| gid.rsplit('/').next().unwrap().to_owned();
    assert_eq!(
        search(&format!("id:>={}", numeric(&oldest_first[1]))).await,
        newest_first[..2]
    );
    assert_eq!(
        search(&format!("id:{}", numeric(&oldest_first[0]))).await,
        [oldest_first[0].clone()]
    );
    assert_eq!(
        search("status:completed AND created_at:>=2000-01-01").await,
        newest_first[..2]
    );
    assert_eq!(search("created_at:<2000-01-01").await, Vec::<String>::new());
    let created = server.operation(&oldest_first[0]).await["createdAt"].clone();
    let today = created.as_str().unwrap()[..10].to_owned();
    assert_eq!(search(&format!("created_at:{today}")).await, newest_first);
}

#[tokio::test]
async fn refusals_and_warnings_are_shopifys() {
    let server = TestServer::start().await;
    for (arguments, message) in [
        ("", "you must provide one of first or last"),
        (
            "first: 1, last: 1",
            "providing both first and last is not supported",
        ),
        (
            "first: 1, query: \"created_at:>=not-a-date\"",
            "Invalid timestamp for query filter `created_at`.",
        ),
    ] {
        let arguments = if arguments.is_empty() {
            String::new()
        } else {
            format!("({arguments})")
        };
        let body = server
            .graphql(
                &format!("{{ bulkOperations{arguments} {{ nodes {{ id }} }} }}"),
                json!({}),
            )
            .await;
        assert_eq!(body["data"], Value::Null, "{body}");
        assert_eq!(body["errors"][0]["message"], message);
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST");
        assert_eq!(body["errors"][0]["path"], json!(["bulkOperations"]));
    }

    let (operation, _) = server.import(&product_lines(1), PRODUCT_CREATE).await;
    let unknown = server
        .graphql(
            "{ bulkOperations(first: 1, query: \"made_up:value\") { nodes { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        unknown["data"]["bulkOperations"]["nodes"],
        json!([{"id": operation["id"]}])
    );
    assert_eq!(
        unknown["extensions"]["search"],
        json!([{
            "path": ["bulkOperations"],
            "query": "made_up:value",
            "parsed": {"field": "made_up", "match_all": "value"},
            "warnings": [{"field": "made_up", "message": "Invalid search field for this query.", "code": "invalid_field"}]
        }])
    );
    let expired = server
        .graphql(
            "{ bulkOperations(first: 1, query: \"status:EXPIRED\") { nodes { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(expired["data"]["bulkOperations"]["nodes"], json!([]));
    assert_eq!(
        expired["extensions"]["search"][0]["warnings"],
        json!([{"field": "status", "message": "Input `EXPIRED` is not an accepted value.", "code": "invalid_value"}])
    );
    let plain = server
        .graphql(
            "{ bulkOperations(first: 1, query: \"status:completed\") { nodes { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        plain["extensions"]["search"],
        Value::Null,
        "no warnings, no report"
    );
}

#[tokio::test]
async fn shops_see_only_their_own_operations() {
    let server = TestServer::start().await;
    server.import(&product_lines(1), PRODUCT_CREATE).await;
    server.add_shop("other.myshopify.com", "shpat_other").await;
    let other = server
        .graphql_as(
            "shpat_other",
            "2026-01",
            "{ bulkOperations(first: 10) { nodes { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(other["data"]["bulkOperations"]["nodes"], json!([]));
}
