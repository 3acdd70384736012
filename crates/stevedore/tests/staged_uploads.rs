//! The upload endpoints refuse what a storage service would: bad or expired signatures (403),
//! malformed forms and sizes outside the policy (400), always with an XML error body.

mod support;

use support::TestServer;

fn with_value(fields: &[(String, String)], name: &str, value: &str) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|(n, v)| {
            (
                n.clone(),
                if n == name {
                    value.to_owned()
                } else {
                    v.clone()
                },
            )
        })
        .collect()
}

async fn expect_xml_error(response: reqwest::Response, status: u16, code: &str, words: &str) {
    assert_eq!(response.status(), status);
    assert_eq!(response.headers()["content-type"], "application/xml");
    let body = response.text().await.unwrap();
    assert!(
        body.starts_with("<?xml version='1.0' encoding='UTF-8'?><Error>"),
        "{body}"
    );
    assert!(body.contains(&format!("<Code>{code}</Code>")), "{body}");
    assert!(body.contains(words), "{body} should mention {words}");
}

#[tokio::test]
async fn a_bad_signature_is_forbidden() {
    let server = TestServer::start().await;
    let (url, fields) = server.stage().await;
    let forged = with_value(&fields, "x-goog-signature", &"0".repeat(64));
    expect_xml_error(
        server.post_form(&url, &forged, Some(b"{}\n")).await,
        403,
        "SignatureDoesNotMatch",
        "signature",
    )
    .await;
}

#[tokio::test]
async fn a_field_that_differs_from_the_policy_is_forbidden() {
    let server = TestServer::start().await;
    let (url, fields) = server.stage().await;
    let moved = with_value(&fields, "key", "tmp/1/bulk/elsewhere/file.jsonl");
    expect_xml_error(
        server.post_form(&url, &moved, Some(b"{}\n")).await,
        403,
        "AccessDenied",
        "key",
    )
    .await;
}

#[tokio::test]
async fn an_expired_policy_is_forbidden() {
    let clock = stevedore_core::ManualClock::new(chrono::Utc::now());
    let server = TestServer::start_with(support::Options {
        clock: Some(clock.clone()),
        ..Default::default()
    })
    .await;
    let (url, fields) = server.stage().await;
    clock.advance(chrono::TimeDelta::hours(24) + chrono::TimeDelta::seconds(1));
    expect_xml_error(
        server.post_form(&url, &fields, Some(b"{}\n")).await,
        403,
        "AccessDenied",
        "expired",
    )
    .await;
}

#[tokio::test]
async fn the_file_must_come_last() {
    let server = TestServer::start().await;
    let (url, fields) = server.stage().await;
    let form = reqwest::multipart::Form::new();
    let form = fields
        .iter()
        .take(8)
        .fold(form, |form, (name, value)| {
            form.text(name.clone(), value.clone())
        })
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"{}\n".to_vec()).file_name("a.jsonl"),
        )
        .text("policy", fields[8].1.clone());
    let response = server.http.post(&url).multipart(form).send().await.unwrap();
    // Without its policy before the file, the form cannot be checked: a missing field.
    expect_xml_error(response, 400, "InvalidArgument", "policy").await;

    let form = fields
        .iter()
        .fold(reqwest::multipart::Form::new(), |form, (name, value)| {
            form.text(name.clone(), value.clone())
        })
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"{}\n".to_vec()).file_name("a.jsonl"),
        )
        .text("extra", "late");
    let response = server.http.post(&url).multipart(form).send().await.unwrap();
    expect_xml_error(response, 400, "InvalidArgument", "must be the last field").await;

    // Nothing was kept at the key: running on it finds no file.
    let key = &fields.iter().find(|(name, _)| name == "key").unwrap().1;
    let run = server.run_mutation(support::PRODUCT_CREATE, key).await;
    assert_eq!(run["userErrors"][0]["code"], "NO_SUCH_FILE");
}

#[tokio::test]
async fn missing_fields_and_a_missing_file_are_bad_requests() {
    let server = TestServer::start().await;
    let (url, fields) = server.stage().await;
    let without_acl: Vec<_> = fields
        .iter()
        .filter(|(name, _)| name != "acl")
        .cloned()
        .collect();
    expect_xml_error(
        server.post_form(&url, &without_acl, Some(b"{}\n")).await,
        400,
        "InvalidArgument",
        "acl",
    )
    .await;
    expect_xml_error(
        server.post_form(&url, &fields, None).await,
        400,
        "InvalidArgument",
        "file",
    )
    .await;
}

#[tokio::test]
async fn an_empty_file_is_outside_the_policy() {
    let server = TestServer::start().await;
    let (url, fields) = server.stage().await;
    expect_xml_error(
        server.post_form(&url, &fields, Some(b"")).await,
        400,
        "EntityTooSmall",
        "minimum",
    )
    .await;
}

#[tokio::test]
async fn a_signed_put_url_accepts_the_file_and_answers_200_with_no_body() {
    let server = TestServer::start().await;
    let (url, parameters) = server.stage_put("vars.jsonl").await;
    let url = url.as_str();
    assert_eq!(
        parameters,
        serde_json::json!([{"name": "content_type", "value": "text/jsonl"}, {"name": "acl", "value": "private"}])
    );
    let response = server
        .http
        .put(url)
        .body(support::product_lines(2))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "");
    let tampered = server
        .http
        .put(support::tamper_signature(url))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(tampered.status(), 403);

    let run = server
        .run_mutation(support::PRODUCT_CREATE, support::key_of_put_url(url))
        .await;
    let done = server
        .wait(run["bulkOperation"]["id"].as_str().unwrap())
        .await;
    assert_eq!(done["objectCount"], "2");
}

#[tokio::test]
async fn requests_without_a_valid_token_or_version_are_refused_with_a_body() {
    let server = TestServer::start().await;
    let endpoint = format!("{}/admin/api/2026-01/graphql.json", server.base_url);
    let response = server
        .http
        .post(&endpoint)
        .json(&serde_json::json!({"query": "{ shop }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("Invalid API key or access token"));
    let response = server
        .post_graphql(
            &server.token,
            "2026-02",
            &serde_json::json!({"query": "{ shop }"}),
        )
        .await;
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn uploads_stream_past_the_request_buffer_limit_that_other_bodies_keep() {
    let server = TestServer::start().await;
    let (url, fields) = server.stage().await;
    let large = support::product_lines(40_000);
    assert!(large.len() > 3 * 1024 * 1024);
    let response = server
        .post_form(&url, &fields, Some(large.as_bytes()))
        .await;
    assert_eq!(response.status(), 201);

    let oversized =
        serde_json::json!({"query": "{ __typename }", "padding": "x".repeat(3 * 1024 * 1024)});
    let response = server
        .post_graphql(&server.token, "2026-01", &oversized)
        .await;
    assert_eq!(response.status(), 413);
}

#[tokio::test]
async fn unusable_targets_are_refused_with_user_errors() {
    let server = TestServer::start().await;
    let stage = |input: serde_json::Value| {
        let server = &server;
        async move {
            server
                .graphql(
                    "mutation($input: [StagedUploadInput!]!) { stagedUploadsCreate(input: $input) { stagedTargets { url } userErrors { field message } } }",
                    serde_json::json!({"input": [input]}),
                )
                .await["data"]["stagedUploadsCreate"]
                .clone()
        }
    };
    let bulk = |filename: &str| serde_json::json!({"resource": "BULK_MUTATION_VARIABLES", "filename": filename, "mimeType": "text/jsonl", "httpMethod": "POST"});
    for (input, field, message) in [
        (bulk(".."), "filename", "Filename is invalid"),
        (bulk(&"a".repeat(300)), "filename", "Filename is invalid"),
        (bulk(""), "filename", "Filename can't be blank"),
        (
            serde_json::json!({"resource": "IMAGE", "filename": "a.png", "mimeType": "image/png", "httpMethod": "POST"}),
            "resource",
            "Only BULK_MUTATION_VARIABLES uploads are supported.",
        ),
    ] {
        let payload = stage(input).await;
        assert_eq!(payload["stagedTargets"], serde_json::Value::Null);
        assert_eq!(
            payload["userErrors"],
            serde_json::json!([{"field": ["input", "0", field], "message": message}])
        );
    }
}
