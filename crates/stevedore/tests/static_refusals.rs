//! Documents the schema refuses are answered before anything runs, in the hosted API's words
//! (graphql-ruby's messages, paths and codes), with no `data` and no cost.

mod support;

use serde_json::{json, Value};
use support::TestServer;

async fn refusal(server: &TestServer, query: &str, variables: Value) -> Value {
    let body = server
        .graphql_as(&server.token, "2026-04", query, variables)
        .await;
    assert!(body.get("data").is_none(), "{body}");
    assert!(body.get("extensions").is_none(), "{body}");
    body["errors"].clone()
}

#[tokio::test]
async fn fields_and_arguments_the_schema_lacks() {
    let server = TestServer::start().await;
    let errors = refusal(
        &server,
        "mutation Drop($id: ID!) {\n  bulkOperationCancel(id: $id) {\n    userErrors {\n      field\n      code\n    }\n  }\n}",
        json!({"id": "gid://shopify/BulkOperation/1"}),
    )
    .await;
    assert_eq!(
        errors,
        json!([{
            "message": "Field 'code' doesn't exist on type 'UserError'",
            "locations": [{"line": 5, "column": 7}],
            "path": ["mutation Drop", "bulkOperationCancel", "userErrors", "code"],
            "extensions": {"code": "undefinedField", "typeName": "UserError", "fieldName": "code"},
        }])
    );

    let errors = refusal(
        &server,
        "query Window($id: ID!, $unused: String) {\n  bulkOperation(id: $id, sortKey: ID) { id }\n}",
        json!({"id": "gid://shopify/BulkOperation/1"}),
    )
    .await;
    assert_eq!(
        errors,
        json!([
            {
                "message": "Field 'bulkOperation' doesn't accept argument 'sortKey'",
                "locations": [{"line": 2, "column": 26}],
                "path": ["query Window", "bulkOperation", "sortKey"],
                "extensions": {"code": "argumentNotAccepted", "name": "bulkOperation", "typeName": "Field", "argumentName": "sortKey"},
            },
            {
                "message": "Variable $unused is declared by Window but not used",
                "locations": [{"line": 1, "column": 1}],
                "path": ["query Window"],
                "extensions": {"code": "variableNotUsed", "variableName": "unused"},
            },
        ])
    );
}

#[tokio::test]
async fn required_arguments_and_enum_literals() {
    let server = TestServer::start().await;
    let errors = refusal(
        &server,
        "{ bulkOperations(first: 1, sortKey: ID) { nodes { id } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        errors[0]["message"],
        "Argument 'sortKey' on Field 'bulkOperations' has an invalid value (ID). Expected type 'BulkOperationsSortKeys'."
    );
    assert_eq!(
        errors[0]["path"],
        json!(["query", "bulkOperations", "sortKey"])
    );
    assert_eq!(
        errors[0]["extensions"]["code"],
        "argumentLiteralsIncompatible"
    );

    let errors = refusal(
        &server,
        "mutation { stagedUploadsCreate { userErrors { message } } }",
        json!({}),
    )
    .await;
    assert_eq!(
        errors[0]["message"],
        "Field 'stagedUploadsCreate' is missing required arguments: input"
    );
    assert_eq!(errors[0]["extensions"]["code"], "missingRequiredArguments");
}

#[tokio::test]
async fn variables_that_do_not_fit_their_types() {
    let server = TestServer::start().await;
    let errors = refusal(
        &server,
        "mutation Make($product: ProductCreateInput!) { productCreate(product: $product) { product { id } } }",
        json!({"product": {"title": "Board", "colour": "red"}}),
    )
    .await;
    assert_eq!(
        errors,
        json!([{
            "message": "Variable $product of type ProductCreateInput! was provided invalid value for colour (Field is not defined on ProductCreateInput)",
            "locations": [{"line": 1, "column": 15}],
            "extensions": {
                "code": "INVALID_VARIABLE",
                "value": {"title": "Board", "colour": "red"},
                "problems": [{"path": ["colour"], "explanation": "Field is not defined on ProductCreateInput"}],
            },
        }])
    );
}

#[tokio::test]
async fn documents_too_deep_or_too_large_are_refused_before_they_run() {
    let server = TestServer::start().await;
    // Forty levels of `ofType`: past the depth limit of 32.
    let deep = format!(
        "{{ __schema {{ types {{ fields {{ type {{ {} name {} }} }} }} }} }}",
        "ofType { ".repeat(40),
        "} ".repeat(40)
    );
    let body = server.graphql(&deep, json!({})).await;
    assert!(
        body["errors"][0]["message"].as_str().is_some_and(
            |message| message.contains("depth of the query cannot be greater than `32`")
        ),
        "{body}"
    );
    assert!(
        body.get("extensions").is_none(),
        "nothing ran, nothing is charged: {body}"
    );

    // A request body over 2 MiB is refused at the door with 413.
    let huge = format!("{{ a: __typename }} # {}", "x".repeat(3 * 1024 * 1024));
    let response = server
        .post_graphql(&server.token, "2026-04", &json!({"query": huge}))
        .await;
    assert_eq!(response.status(), 413);
}

/// Literals written in the document are checked as graphql-ruby checks them, down into input
/// objects: an id that is not a global id, a scalar or enum of the wrong kind, an input field
/// left out or unknown. Each refusal names where the literal belongs.
#[tokio::test]
async fn literals_that_do_not_fit_their_types() {
    let server = TestServer::start().await;
    // An id literal that is not a global id is refused by the id's coercion, at the field, as
    // the captured `node(id:)` and `nodes(ids:)` refusals are: whatever its place in a list.
    let errors = refusal(&server, "{\n  product(id: \"123\") { id }\n}", json!({})).await;
    assert_eq!(
        errors,
        json!([{
            "message": "Invalid global id '123'",
            "locations": [{"line": 2, "column": 3}],
            "path": ["query", "product", "id"],
            "extensions": {"code": "argumentLiteralsIncompatible", "typeName": "CoercionError"},
        }])
    );
    let errors = refusal(
        &server,
        "query Named {\n  nodes(ids: [\"gid://shopify/Product/1\", \"gid://shopify/Product\"]) { id }\n}",
        json!({}),
    )
    .await;
    assert_eq!(
        errors,
        json!([{
            "message": "Invalid global id 'gid://shopify/Product'",
            "locations": [{"line": 2, "column": 3}],
            "path": ["query Named", "nodes", "ids"],
            "extensions": {"code": "argumentLiteralsIncompatible", "typeName": "CoercionError"},
        }])
    );
    // And inside an input object, down to the input field.
    let errors = refusal(
        &server,
        "mutation {\n  productUpdate(product: {id: \"\", title: \"T\"}) { product { id } }\n}",
        json!({}),
    )
    .await;
    assert_eq!(errors[0]["message"], "Invalid global id ''");
    assert_eq!(
        errors[0]["path"],
        json!(["mutation", "productUpdate", "product", "id"])
    );

    let errors = refusal(
        &server,
        "mutation {\n  productCreate(product: {title: \"T\", seo: {title: 5}}) { product { id } }\n}",
        json!({}),
    )
    .await;
    assert_eq!(
        errors,
        json!([{
            "message": "Argument 'title' on InputObject 'SEOInput' has an invalid value (5). Expected type 'String'.",
            "locations": [{"line": 2, "column": 26}],
            "path": ["mutation", "productCreate", "product", "seo", "title"],
            "extensions": {"code": "argumentLiteralsIncompatible", "typeName": "InputObject", "argumentName": "title"},
        }])
    );

    let errors = refusal(
        &server,
        "mutation {\n  productCreate(product: {title: \"T\", colour: RED}) { product { id } }\n}",
        json!({}),
    )
    .await;
    assert_eq!(
        errors[0]["message"],
        "InputObject 'ProductCreateInput' doesn't accept argument 'colour'"
    );
    assert_eq!(
        errors[0]["path"],
        json!(["mutation", "productCreate", "product", "colour"])
    );

    // A literal that fits is not refused, whatever it holds.
    let fine = server
        .graphql(
            "{ product(id: \"gid://shopify/Product/1\") { id } }",
            json!({}),
        )
        .await;
    assert_eq!(fine["data"]["product"], Value::Null, "{fine}");
}
