//! Input that nests deeply is answered, never followed down until the stack runs out: wherever
//! it enters (a document's arguments, variable defaults, directive arguments, list types,
//! selections and fragment chains; a request's JSON variables; a bulk mutation's document and
//! its JSONL lines), it is read as usual up to the limit and refused with an answer past it,
//! and the server goes on serving.

mod support;

use serde_json::{json, Value};
use support::TestServer;

/// How deeply a document may nest (brackets of any kind, and selections through fragments).
const MAX_DEPTH: usize = 64;

/// How deeply JSON may nest: the JSON reader's own limit, counting every array and object.
const MAX_JSON_DEPTH: usize = 127;

const TOO_LARGE: &str = "This query is too large to execute.";

/// A synchronous document whose deepest point nests exactly `depth` levels, for each place a
/// document can nest.
fn documents_nesting(depth: usize) -> Vec<(&'static str, String)> {
    let brackets = |open: &str, close: &str, levels: usize| {
        format!("{}{{}}{}", open.repeat(levels), close.repeat(levels))
    };
    let chain = |fragments: usize| {
        let mut source = String::from("{ products(first: 1) { nodes { ...F0 } } }");
        for index in 0..fragments {
            source.push_str(&format!(
                " fragment F{index} on Product {{ ...F{} }}",
                index + 1
            ));
        }
        source + &format!(" fragment F{fragments} on Product {{ id }}")
    };
    vec![
        // `{` and `(` hold the value two levels down.
        (
            "an argument's list value",
            "{ products(first: 1, query: VALUE) { nodes { id } } }".replace(
                "VALUE",
                &brackets("[", "]", depth - 2).replace("{}", "\"x\""),
            ),
        ),
        (
            "an argument's object value",
            "{ products(first: 1, query: VALUE) { nodes { id } } }".replace(
                "VALUE",
                &brackets("{a: ", "}", depth - 2).replace("{}", "1"),
            ),
        ),
        (
            "a variable's default value",
            "query($a: String = VALUE) { products(first: 1, query: $a) { nodes { id } } }".replace(
                "VALUE",
                &brackets("[", "]", depth - 1).replace("{}", "\"x\""),
            ),
        ),
        (
            "a directive's argument",
            "{ products(first: 1) @include(if: VALUE) { nodes { id } } }".replace(
                "VALUE",
                &brackets("[", "]", depth - 2).replace("{}", "true"),
            ),
        ),
        (
            "a variable's list type",
            "query($a: TYPE) { products(first: 1, query: $a) { nodes { id } } }".replace(
                "TYPE",
                &brackets("[", "]", depth - 1).replace("{}", "String"),
            ),
        ),
        (
            "selections",
            format!(
                "{{ products(first: 1) {{ nodes {{ {}id{} }} }} }}",
                "... on Product { ".repeat(depth - 3),
                " }".repeat(depth - 3)
            ),
        ),
        // The operation's three levels, then one per fragment body.
        ("a chain of fragments", chain(depth - 4)),
    ]
}

async fn still_serving(server: &TestServer) {
    let answer = server
        .graphql("{ products(first: 1) { nodes { id } } }", json!({}))
        .await;
    assert!(answer["data"]["products"]["nodes"].is_array(), "{answer}");
}

#[tokio::test]
async fn synchronous_documents_nest_to_the_limit_and_are_refused_past_it() {
    let server = TestServer::start().await;
    for (place, document) in documents_nesting(MAX_DEPTH) {
        let answer = server.graphql(&document, json!({})).await;
        assert!(
            !answer.to_string().contains(TOO_LARGE),
            "{place} at the limit: {answer}"
        );
    }
    for (place, document) in documents_nesting(MAX_DEPTH + 1) {
        let answer = server.graphql(&document, json!({})).await;
        let errors = answer["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{place}: {answer}");
        assert_eq!(errors[0]["message"], TOO_LARGE, "{place}: {answer}");
        assert_eq!(errors[0]["locations"][0]["line"], 1, "{place}: {answer}");
        assert!(answer.get("data").is_none(), "{place}: {answer}");
    }
    // Far past it, as an attacker would send it: a few kilobytes, thousands of levels.
    for (place, document) in documents_nesting(2_000) {
        let answer = server.graphql(&document, json!({})).await;
        assert_eq!(answer["errors"][0]["message"], TOO_LARGE, "{place}");
    }
    still_serving(&server).await;
}

#[tokio::test]
async fn a_chain_of_ten_thousand_fragments_is_refused_at_once() {
    let server = TestServer::start().await;
    let mut document = String::from("{ products(first: 1) { nodes { ...F0 } } }");
    for index in 0..10_000 {
        document.push_str(&format!(
            " fragment F{index} on Product {{ ...F{} }}",
            index + 1
        ));
    }
    document.push_str(" fragment F10000 on Product { id }");
    let answer = server.graphql(&document, json!({})).await;
    assert_eq!(
        answer,
        json!({"errors": [{"message": TOO_LARGE, "locations": [{"line": 1, "column": 32}]}]})
    );
    still_serving(&server).await;
}

/// A request body whose variable `$a` nests `depth` lists.
fn body_nesting(depth: usize) -> String {
    format!(
        r#"{{"query":"query($a: String) {{ products(first: 1, query: $a) {{ nodes {{ id }} }} }}","variables":{{"a":{}"x"{}}}}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    )
}

#[tokio::test]
async fn json_variables_nest_to_the_limit_and_past_the_readers_limit_get_a_400_with_a_body() {
    let server = TestServer::start().await;
    let post = |body: String| {
        server
            .http
            .post(format!(
                "{}/admin/api/2026-01/graphql.json",
                server.base_url
            ))
            .header("X-Shopify-Access-Token", &server.token)
            .header("Content-Type", "application/json")
            .body(body)
            .send()
    };
    let answer_to = |depth: usize| {
        let response = post(body_nesting(depth));
        async move {
            let response = response.await.unwrap();
            (
                response.status().as_u16(),
                response.json::<Value>().await.unwrap(),
            )
        }
    };

    // At the limit the value is checked against its type, and shown back in the answer.
    let (status, answer) = answer_to(MAX_DEPTH).await;
    assert_eq!(status, 200);
    assert_eq!(
        answer["errors"][0]["extensions"]["code"], "INVALID_VARIABLE",
        "{answer}"
    );
    let (status, answer) = answer_to(MAX_DEPTH + 1).await;
    assert_eq!(status, 200);
    assert_eq!(
        answer,
        json!({"errors": [{"message": TOO_LARGE, "locations": [{"line": 1, "column": 7}]}]})
    );
    // The body itself nests two levels more than the variable.
    for depth in [MAX_JSON_DEPTH - 1, 100_000] {
        let (status, answer) = answer_to(depth).await;
        assert_eq!(status, 400);
        let detail = answer["errors"].as_str().unwrap();
        assert!(detail.contains("recursion limit exceeded"), "{detail}");
    }
    still_serving(&server).await;
}

#[tokio::test]
async fn a_bulk_document_past_the_limit_is_refused_before_the_file_is_read() {
    let server = TestServer::start().await;
    let key = server.upload(&support::product_lines(1)).await;
    let mut chain = String::from(
        "mutation call($input: ProductInput!) { productCreate(input: $input) { ...F0 } }",
    );
    // As many as fit in the 65,535 bytes a bulk document may have.
    for index in 0..1_000 {
        chain.push_str(&format!(
            " fragment F{index} on ProductCreatePayload {{ ...F{} }}",
            index + 1
        ));
    }
    chain.push_str(" fragment F1000 on ProductCreatePayload { product { id } }");
    let deep_value = format!(
        "mutation {{ productCreate(input: {{title: {}\"x\"{}}}) {{ product {{ id }} }} }}",
        "[".repeat(2_000),
        "]".repeat(2_000)
    );
    for document in [chain, deep_value] {
        let payload = server.run_mutation(&document, &key).await;
        assert_eq!(payload["bulkOperation"], Value::Null, "{payload}");
        assert_eq!(
            payload["userErrors"],
            json!([{"field": null, "message": TOO_LARGE, "code": "INVALID_MUTATION"}])
        );
    }
    still_serving(&server).await;
}

/// A JSONL line whose `input` variable nests `depth` levels: the input object, then lists.
fn line_nesting(depth: usize) -> String {
    let lists = depth - 1;
    format!(
        r#"{{"input":{{"title":"Deep","tags":{}"x"{}}}}}"#,
        "[".repeat(lists),
        "]".repeat(lists)
    )
}

#[tokio::test]
async fn jsonl_lines_nest_to_the_limit_and_past_it_get_an_error_line() {
    let server = TestServer::start().await;
    let content = [
        line_nesting(MAX_DEPTH),
        line_nesting(MAX_DEPTH + 1),
        // The line itself nests one level more than its variable.
        line_nesting(MAX_JSON_DEPTH),
        line_nesting(50_000),
        format!(
            r#"{{"input":{{"title":"Shallow"}},"ignored":{}{}}}"#,
            "[".repeat(100),
            "]".repeat(100)
        ),
    ]
    .join("\n");
    let (operation, lines) = server.import(&content, support::PRODUCT_CREATE).await;
    assert_eq!(operation["objectCount"], "5");
    let lines = support::by_line_number(lines);
    assert_eq!(lines.len(), 5);
    // At the limit the line is read and its variables checked against the mutation.
    let problems = &lines[&0]["errors"][0]["extensions"]["problems"];
    assert_eq!(problems[0]["path"], json!(["tags", 0]), "{}", lines[&0]);
    assert_eq!(lines[&1]["errors"], json!([{"message": TOO_LARGE}]));
    for number in [2, 3] {
        let message = lines[&number]["errors"][0]["message"].as_str().unwrap();
        assert!(
            message.starts_with("Invalid JSON: recursion limit exceeded"),
            "{message}"
        );
    }
    // A variable the mutation does not declare is ignored, however deep.
    assert_eq!(
        lines[&4]["data"]["productCreate"]["product"]["title"],
        "Shallow"
    );
    still_serving(&server).await;
}
