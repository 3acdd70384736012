//! The documented bulk-import flow over real HTTP: stage, multipart upload with `file` last,
//! run, poll, download; one result line per input line.

mod support;

const INTERNAL_ERROR: &str =
    "Internal error. Looks like something went wrong on our end.\nRequest ID: ";

use base64::Engine;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use support::{product_lines, TestServer, PRODUCT_CREATE};

#[tokio::test]
async fn staged_target_carries_the_documented_parameters_and_policy() {
    let server = TestServer::start().await;
    let (url, parameters) = server.stage().await;
    // POST uploads always come to this server, which checks the policy and streams the file on.
    assert_eq!(url, format!("{}/staged-uploads", server.base_url));
    let names: Vec<&str> = parameters.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Content-Type",
            "success_action_status",
            "acl",
            "key",
            "x-goog-date",
            "x-goog-credential",
            "x-goog-algorithm",
            "x-goog-signature",
            "policy"
        ]
    );
    let value = |name: &str| {
        parameters
            .iter()
            .find(|(n, _)| n == name)
            .unwrap()
            .1
            .clone()
    };
    assert_eq!(value("Content-Type"), "text/jsonl");
    assert_eq!(value("success_action_status"), "201");
    assert_eq!(value("acl"), "private");
    let key = value("key");
    let parts: Vec<&str> = key.split('/').collect();
    assert_eq!(
        (parts[0], parts[2], parts[4]),
        ("tmp", "bulk", "bulk_op_vars"),
        "{key}"
    );
    assert_eq!(parts[3].len(), 36, "a uuid: {key}");

    let policy: Value = serde_json::from_slice(
        &base64::engine::general_purpose::STANDARD
            .decode(value("policy"))
            .unwrap(),
    )
    .unwrap();
    let conditions = policy["conditions"].as_array().unwrap();
    assert!(conditions.contains(&json!(["content-length-range", 1, 104857600])));
    assert!(conditions.contains(&json!({"key": key})));
    let expiration =
        chrono::DateTime::parse_from_rfc3339(policy["expiration"].as_str().unwrap()).unwrap();
    let hours =
        (expiration.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_minutes() as f64 / 60.0;
    assert!((23.9..=24.0).contains(&hours), "expires in {hours} h");
}

#[tokio::test]
async fn upload_answers_201_with_a_post_response() {
    let server = TestServer::start().await;
    let (url, parameters) = server.stage().await;
    let content = product_lines(3);
    let response = server
        .post_form(&url, &parameters, Some(content.as_bytes()))
        .await;
    assert_eq!(response.status(), 201);
    let body = response.text().await.unwrap();
    let key = &parameters.iter().find(|(name, _)| name == "key").unwrap().1;
    let md5 = hex::encode(<md5::Md5 as md5::Digest>::digest(content.as_bytes()));
    assert!(
        body.starts_with("<?xml version='1.0' encoding='UTF-8'?><PostResponse>"),
        "{body}"
    );
    assert!(
        body.contains(&format!("<Location>{url}/{key}</Location>")),
        "{body}"
    );
    // The bucket the file went to: the local folder calls itself "stevedore".
    let bucket = match &server.backend.blob_url {
        Some(url) => url.trim_start_matches("s3://").split('/').next().unwrap(),
        None => "stevedore",
    };
    assert!(
        body.contains(&format!("<Bucket>{bucket}</Bucket>")),
        "{body}"
    );
    assert!(body.contains(&format!("<Key>{key}</Key>")), "{body}");
    assert!(
        body.contains(&format!("<ETag>&quot;{md5}&quot;</ETag>")),
        "{body}"
    );
}

#[tokio::test]
async fn every_input_line_gets_exactly_one_result_line() {
    let server = TestServer::start_with(support::Options {
        chunk_lines: 3,
        ..Default::default()
    })
    .await;
    let input = [
        r#"{"input":{"title":"Sweet new snowboard 1","productType":"Snowboard","vendor":"JadedPixel"}}"#,
        r#"{"input":{"title":"Sweet new snowboard 2"}"#,
        r#"{"input":{"title":"Sweet new snowboard 3","myfavoriteaddress":"here"}}"#,
        "",
        r#"{"input":{"title":""}}"#,
        r#"{"input":{"title":"Sweet new snowboard 5","tags":"winter, sale"}}"#,
        r#"[1,2]"#,
        r#"{"input":{"title":"Sweet new snowboard 7"}}"#,
    ]
    .join("\n");
    let key = server.upload(&input).await;

    let run = server.run_mutation(PRODUCT_CREATE, &key).await;
    let created = &run["bulkOperation"];
    assert_eq!(run["userErrors"], json!([]));
    assert_eq!(created["status"], "CREATED");
    assert_eq!(created["type"], "MUTATION");
    assert_eq!(
        (
            created["objectCount"].clone(),
            created["rootObjectCount"].clone()
        ),
        (json!("0"), json!("0"))
    );
    assert_eq!(
        (
            created["fileSize"].clone(),
            created["url"].clone(),
            created["completedAt"].clone()
        ),
        (Value::Null, Value::Null, Value::Null)
    );
    assert_eq!(created["query"], PRODUCT_CREATE);
    let id = created["id"].as_str().unwrap();
    assert!(id.starts_with("gid://shopify/BulkOperation/"));

    let done = server.wait(id).await;
    assert_eq!(done["status"], "COMPLETED");
    assert_eq!(done["objectCount"], "7");
    assert_eq!(done["errorCode"], Value::Null);
    assert!(done["completedAt"].as_str().unwrap().ends_with('Z'));

    let response = server.get(done["url"].as_str().unwrap()).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/jsonl");
    let number = id.rsplit('/').next().unwrap();
    assert_eq!(
        response.headers()["content-disposition"],
        format!("attachment; filename=\"bulk-{number}.jsonl\"").as_str()
    );
    let text = response.text().await.unwrap();
    assert_eq!(done["fileSize"], text.len().to_string());
    assert!(text.ends_with('\n'));
    assert!(
        text.contains(r#""id":"gid:\/\/shopify\/Product\/"#),
        "slashes are escaped as the hosted API does"
    );

    let by_line: BTreeMap<u64, Value> = text
        .lines()
        .map(|line| {
            let value: Value = serde_json::from_str(line).unwrap();
            (value["__lineNumber"].as_u64().unwrap(), value)
        })
        .collect();
    assert_eq!(text.lines().count(), 7, "one line per non-blank input line");
    assert_eq!(
        by_line.keys().copied().collect::<Vec<_>>(),
        [0, 1, 2, 4, 5, 6, 7]
    );

    assert_eq!(
        by_line[&0]["data"]["productCreate"]["product"]["title"],
        "Sweet new snowboard 1"
    );
    assert_eq!(
        by_line[&0]["data"]["productCreate"]["userErrors"],
        json!([])
    );
    assert!(by_line[&1]["errors"][0]["message"]
        .as_str()
        .unwrap()
        .starts_with("Invalid JSON"));
    assert_eq!(
        by_line[&2]["errors"][0]["message"],
        "Variable $input of type ProductInput! was provided invalid value for myfavoriteaddress (Field is not defined on ProductInput)"
    );
    assert_eq!(
        by_line[&2]["errors"][0]["extensions"]["problems"],
        json!([{"path": ["myfavoriteaddress"], "explanation": "Field is not defined on ProductInput"}])
    );
    assert_eq!(
        by_line[&4]["data"]["productCreate"],
        json!({"product": null, "userErrors": [{"field": ["title"], "message": "Title can't be blank"}]})
    );
    assert_eq!(
        by_line[&5]["data"]["productCreate"]["product"]["title"],
        "Sweet new snowboard 5"
    );
    assert_eq!(
        by_line[&6]["errors"][0]["message"],
        "Variables must be a JSON object."
    );

    // Exactly the valid lines became products, readable through the catalog's queries.
    let products = server
        .graphql(
            "{ products(first: 50) { nodes { id title tags } } }",
            json!({}),
        )
        .await;
    // Chunks run in parallel, so products are created in no particular order.
    let mut nodes: Vec<Value> = products["data"]["products"]["nodes"]
        .as_array()
        .unwrap()
        .clone();
    nodes.sort_by_key(|product| product["title"].as_str().unwrap().to_owned());
    let titles: Vec<&str> = nodes.iter().map(|p| p["title"].as_str().unwrap()).collect();
    assert_eq!(
        titles,
        [
            "Sweet new snowboard 1",
            "Sweet new snowboard 5",
            "Sweet new snowboard 7"
        ]
    );
    assert_eq!(nodes[1]["tags"], json!(["sale", "winter"]));

    // The same operation through node(id:) and currentBulkOperation.
    let node = server
        .graphql(
            "query($id: ID!) { node(id: $id) { id ... on BulkOperation { status } } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        node["data"]["node"],
        json!({"id": id, "status": "COMPLETED"})
    );
    let current = server
        .graphql(
            "{ currentBulkOperation(type: MUTATION) { id status } }",
            json!({}),
        )
        .await;
    assert_eq!(
        current["data"]["currentBulkOperation"],
        json!({"id": id, "status": "COMPLETED"})
    );
}

#[tokio::test]
async fn the_product_argument_form_of_2024_04_works_in_bulk() {
    let server = TestServer::start().await;
    let mutation = "mutation ProductCreate($product: ProductCreateInput!) { productCreate(product: $product) { product { id title status } userErrors { field message } } }";
    let (_, lines) = server
        .import(
            "{\"product\":{\"title\":\"Draft board\",\"status\":\"DRAFT\"}}\n",
            mutation,
        )
        .await;
    assert_eq!(
        lines[0]["data"]["productCreate"]["product"]["status"],
        "DRAFT"
    );
    assert_eq!(lines[0]["__lineNumber"], 0);
}

#[tokio::test]
async fn product_update_and_collection_create_run_in_bulk() {
    let server = TestServer::start().await;
    let (_, created) = server.import(&product_lines(2), PRODUCT_CREATE).await;
    let first = created[0]["data"]["productCreate"]["product"]["id"]
        .as_str()
        .unwrap();
    let updates = format!("{{\"input\":{{\"id\":\"{first}\",\"vendor\":\"Burton\"}}}}\n{{\"input\":{{\"id\":\"gid://shopify/Product/999999\",\"vendor\":\"x\"}}}}\n");
    let update = "mutation($input: ProductInput!) { productUpdate(input: $input) { product { id vendor } userErrors { field message } } }";
    let (_, updated) = server.import(&updates, update).await;
    assert_eq!(
        updated[0]["data"]["productUpdate"]["product"],
        json!({"id": first, "vendor": "Burton"})
    );
    assert_eq!(
        updated[1]["data"]["productUpdate"]["userErrors"],
        json!([{"field": ["id"], "message": "Product does not exist"}])
    );

    let collections = "mutation($input: CollectionInput!) { collectionCreate(input: $input) { collection { title handle } userErrors { field message } } }";
    let (_, lines) = server.import("{\"input\":{\"title\":\"Winter Boards\"}}\n{\"input\":{\"title\":\"Winter Boards\"}}\n", collections).await;
    assert_eq!(
        lines[0]["data"]["collectionCreate"]["collection"]["handle"],
        "winter-boards"
    );
    assert_eq!(
        lines[1]["data"]["collectionCreate"]["collection"]["handle"],
        "winter-boards-1"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn one_title_on_every_line_gets_distinct_handles_across_parallel_chunks() {
    // Two workers run 20-line chunks at once, all allocating handles from one base: on
    // Postgres they race for the same handles, and a lost race re-runs the chunk rather than
    // failing a line.
    let server = TestServer::start_with(support::Options {
        chunk_lines: 20,
        ..Default::default()
    })
    .await;
    let input = "{\"input\":{\"title\":\"Same board\"}}\n".repeat(400);
    let (operation, lines) = server.import(&input, PRODUCT_CREATE).await;
    assert_eq!(operation["objectCount"], "400");
    let mut handles = std::collections::HashSet::new();
    for line in &lines {
        assert_eq!(
            line["data"]["productCreate"]["userErrors"],
            json!([]),
            "{line}"
        );
        let id = line["data"]["productCreate"]["product"]["id"]
            .as_str()
            .unwrap();
        let product = server
            .graphql(
                "query($id: ID!) { product(id: $id) { handle } }",
                json!({"id": id}),
            )
            .await;
        assert!(handles.insert(
            product["data"]["product"]["handle"]
                .as_str()
                .unwrap()
                .to_owned()
        ));
    }
    assert!(handles.contains("same-board"));
    assert!(handles.contains("same-board-399"), "{handles:?}");
}

#[tokio::test]
async fn a_value_the_database_refuses_fails_its_line_only() {
    // Postgres cannot store a NUL character in text; SQLite can. Either way the line gets one
    // answer of its own and its neighbours in the same chunk are unaffected.
    let server = TestServer::start().await;
    let input = "{\"input\":{\"title\":\"Before\"}}\n{\"input\":{\"title\":\"Nul \\u0000 board\"}}\n{\"input\":{\"title\":\"After\"}}\n";
    let (operation, lines) = server.import(input, PRODUCT_CREATE).await;
    assert_eq!(operation["objectCount"], "3");
    let by_line = support::by_line_number(lines);
    assert_eq!(by_line.len(), 3);
    for (number, title) in [(0, "Before"), (2, "After")] {
        assert_eq!(
            by_line[&number]["data"]["productCreate"]["product"]["title"], title,
            "{by_line:?}"
        );
    }
    let refused = &by_line[&1];
    if server.backend.is_postgres() {
        // The database's own words stay in the log; the line gets the hosted API's
        // internal error with a request id to quote.
        let error = &refused["errors"][0];
        let message = error["message"].as_str().unwrap();
        assert!(message.starts_with(INTERNAL_ERROR), "{refused}");
        assert_eq!(
            error["extensions"]["code"], "INTERNAL_SERVER_ERROR",
            "{refused}"
        );
        assert!(!message.contains("UTF8"), "{refused}");
        assert_eq!(refused["data"]["productCreate"], Value::Null, "{refused}");
    } else {
        assert_eq!(
            refused["data"]["productCreate"]["product"]["title"],
            "Nul \u{0} board"
        );
    }

    // The same with the refused line last in its chunk, after a line that never ran: each
    // line's savepoint is opened, kept or undone between lines and closed at the end.
    let input = "not json\n{\"input\":{\"title\":\"Second before\"}}\n{\"input\":{\"title\":\"Nul \\u0000 again\"}}\n";
    let (_, lines) = server.import(input, PRODUCT_CREATE).await;
    let by_line = support::by_line_number(lines);
    assert!(by_line[&0]["errors"][0]["message"]
        .as_str()
        .unwrap()
        .starts_with("Invalid JSON"));
    assert_eq!(
        by_line[&1]["data"]["productCreate"]["product"]["title"],
        "Second before"
    );
    let titles = server
        .graphql("{ products(first: 10) { nodes { title } } }", json!({}))
        .await["data"]["products"]["nodes"]
        .clone();
    let expected = if server.backend.is_postgres() {
        json!([{"title": "Before"}, {"title": "After"}, {"title": "Second before"}])
    } else {
        json!([{"title": "Before"}, {"title": "Nul \u{0} board"}, {"title": "After"}, {"title": "Second before"}, {"title": "Nul \u{0} again"}])
    };
    assert_eq!(titles, expected, "an undone line leaves nothing behind");
}

#[tokio::test]
async fn a_line_that_fails_after_writing_leaves_nothing_behind() {
    // The product is inserted, then its selection fails (a page of 300 variants is refused), so
    // the line's answer is an error and its product must go; the lines around it, in the same
    // chunk, keep theirs.
    let server = TestServer::start().await;
    let mutation = "mutation call($input: ProductInput!, $n: Int) { productCreate(input: $input) { product { title variants(first: $n) { nodes { id } } } userErrors { field message } } }";
    let input = [("Kept first", 1), ("Undone", 300), ("Kept last", 1)]
        .map(|(title, n)| format!("{{\"input\":{{\"title\":\"{title}\"}},\"n\":{n}}}\n"))
        .concat();
    let (operation, lines) = server.import(&input, mutation).await;
    assert_eq!(operation["status"], "COMPLETED", "{operation}");
    let by_line = support::by_line_number(lines);
    for (number, title) in [(0, "Kept first"), (2, "Kept last")] {
        assert_eq!(
            by_line[&number]["data"]["productCreate"]["product"]["title"], title,
            "{by_line:?}"
        );
    }
    let failed = &by_line[&1];
    assert_eq!(
        failed["errors"][0]["message"], "The page size must be between 0 and 250.",
        "{failed}"
    );
    let titles = server
        .graphql("{ products(first: 10) { nodes { title } } }", json!({}))
        .await["data"]["products"]["nodes"]
        .clone();
    assert_eq!(
        titles,
        json!([{"title": "Kept first"}, {"title": "Kept last"}])
    );
}

#[tokio::test]
async fn a_tampered_result_link_is_refused() {
    let server = TestServer::start().await;
    let (operation, _) = server.import(&product_lines(1), PRODUCT_CREATE).await;
    let url = operation["url"].as_str().unwrap();
    let tampered = support::tamper_signature(url);
    let response = server.get(&tampered).await;
    assert_eq!(response.status(), 403);
    let body = response.text().await.unwrap();
    assert!(
        body.contains("<Code>SignatureDoesNotMatch</Code>")
            || server.backend.is_s3() && body.contains("<Code>AccessDenied</Code>"),
        "{body}"
    );
    let other_object = url.replace("/results/", "/results/9");
    assert_eq!(server.get(&other_object).await.status(), 403);
}

#[tokio::test]
async fn a_result_link_expires_after_seven_days() {
    let clock = stevedore_core::ManualClock::new(chrono::Utc::now());
    let server = TestServer::start_with(support::Options {
        clock: Some(clock.clone()),
        ..Default::default()
    })
    .await;
    let (operation, _) = server.import(&product_lines(1), PRODUCT_CREATE).await;
    let url = operation["url"].as_str().unwrap().to_owned();
    let completed =
        chrono::DateTime::parse_from_rfc3339(operation["completedAt"].as_str().unwrap()).unwrap();
    let query = |name: &str| -> i64 {
        url.split(&format!("{name}="))
            .nth(1)
            .unwrap()
            .split('&')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    if server.backend.is_s3() {
        // Presigned by the bucket: valid for the seven days from completion (signed a moment
        // after it), checked by the bucket on its own clock.
        let valid_for = query("X-Amz-Expires");
        assert!(
            (7 * 24 * 3600 - 60..=7 * 24 * 3600).contains(&valid_for),
            "{url}"
        );
    } else {
        assert_eq!(query("expires") - completed.timestamp(), 7 * 24 * 3600);
    }
    assert_eq!(server.get(&url).await.status(), 200);

    clock.advance(chrono::TimeDelta::days(7) + chrono::TimeDelta::minutes(1));
    let id = operation["id"].as_str().unwrap();
    assert_eq!(
        server.operation(id).await["url"],
        Value::Null,
        "no link is handed out once it would have expired"
    );
    if !server.backend.is_s3() {
        let response = server.get(&url).await;
        assert_eq!(response.status(), 403);
        assert!(response.text().await.unwrap().contains("expired"));
    }
}

#[tokio::test]
async fn a_line_over_the_line_limit_is_answered_without_being_run() {
    let server = TestServer::start_with(support::Options {
        max_line_bytes: 200,
        ..Default::default()
    })
    .await;
    let long = format!("{{\"input\":{{\"title\":\"{}\"}}}}", "x".repeat(300));
    let input = format!("{{\"input\":{{\"title\":\"Short 0\"}}}}\n{long}\n{{\"input\":{{\"title\":\"Short 2\"}}}}\n");
    let (operation, lines) = server.import(&input, PRODUCT_CREATE).await;
    assert_eq!(operation["objectCount"], "3");
    let by_line = support::by_line_number(lines);
    assert_eq!(by_line.len(), 3);
    assert_eq!(
        by_line[&1]["errors"][0]["message"],
        "The line is longer than the maximum of 200 bytes."
    );
    assert_eq!(
        by_line[&0]["data"]["productCreate"]["product"]["title"],
        "Short 0"
    );
    assert_eq!(
        by_line[&2]["data"]["productCreate"]["product"]["title"],
        "Short 2"
    );
}

#[tokio::test]
async fn a_handle_taken_before_the_import_still_gets_its_suffix() {
    // A chunk answers productCreate lines before writing them, assuming each handle is free;
    // the write finds the taken one, and the chunk is answered again line by line.
    let server = TestServer::start().await;
    let existing = server
        .graphql(
            "mutation { productCreate(input: {title: \"Taken board\"}) { product { id handle } } }",
            json!({}),
        )
        .await;
    let existing_id = existing["data"]["productCreate"]["product"]["id"].clone();
    assert_eq!(
        existing["data"]["productCreate"]["product"]["handle"],
        "taken-board"
    );
    let mutation = "mutation call($input: ProductInput!) { productCreate(input: $input) { product { id handle } userErrors { field message } } }";
    let input = [
        r#"{"input":{"title":"Fresh board"}}"#,
        r#"{"input":{"title":"Taken board"}}"#,
        r#"{"input":{"title":"Explicit","handle":"taken-board"}}"#,
        r#"{"input":{"title":"Other board"}}"#,
    ]
    .map(|line| format!("{line}\n"))
    .concat();
    let (operation, lines) = server.import(&input, mutation).await;
    assert_eq!(operation["status"], "COMPLETED", "{operation}");
    let by_line = support::by_line_number(lines);
    let handle =
        |number: u64| by_line[&number]["data"]["productCreate"]["product"]["handle"].clone();
    assert_eq!(handle(0), "fresh-board");
    assert_eq!(handle(1), "taken-board-1");
    assert_eq!(
        by_line[&2]["data"]["productCreate"],
        json!({"product": null, "userErrors": [{"field": ["input", "handle"], "message": "Handle 'taken-board' already in use. Please provide a new handle."}]})
    );
    assert_eq!(handle(3), "other-board");

    // What the answers promised is what was stored, and a product created afterwards gets an
    // id of its own.
    let after = server
        .graphql(
            "mutation { productCreate(input: {title: \"After board\"}) { product { id } } }",
            json!({}),
        )
        .await;
    let stored = server
        .graphql("{ products(first: 10) { nodes { id handle } } }", json!({}))
        .await["data"]["products"]["nodes"]
        .clone();
    let id = |number: u64| by_line[&number]["data"]["productCreate"]["product"]["id"].clone();
    assert_eq!(
        stored,
        json!([
            {"id": existing_id, "handle": "taken-board"},
            {"id": id(0), "handle": "fresh-board"},
            {"id": id(1), "handle": "taken-board-1"},
            {"id": id(3), "handle": "other-board"},
            {"id": after["data"]["productCreate"]["product"]["id"], "handle": "after-board"},
        ])
    );
}

#[tokio::test]
async fn each_bulk_answer_shows_the_product_as_stored() {
    // After an operation's first chunk, lines of this document are answered without running
    // the GraphQL schema: the answer is written from the product as recorded. It must be what
    // the API reads back afterwards, field for field.
    const FIELDS: &str = "id legacyResourceId title handle descriptionHtml productType vendor \
                          tags status templateSuffix isGiftCard createdAt updatedAt __typename";
    let server = TestServer::start_with(support::Options {
        chunk_lines: 4,
        ..Default::default()
    })
    .await;
    let document = format!(
        "mutation call($input: ProductInput!) {{ productCreate(input: $input) {{ __typename \
         product {{ {FIELDS} }} userErrors {{ field message }} }} }}"
    );
    let input: Vec<String> = (0..24)
        .map(|n| {
            let status = ["ACTIVE", "DRAFT", "ARCHIVED"][n % 3];
            json!({"input": {
                "title": format!("Board {n} / \"quoted\" é"),
                "descriptionHtml": "<p>a/b</p>",
                "productType": "Snowboard",
                "vendor": "Stevedore",
                "tags": ["z, a", " b ", "a"],
                "status": status,
                "giftCard": n % 2 == 0,
                "templateSuffix": if n % 4 == 0 { Value::Null } else { json!("special") },
                "seo": {"title": "Boards"},
            }})
            .to_string()
        })
        .collect();
    let (operation, lines) = server.import(&input.join("\n"), &document).await;
    assert_eq!(operation["objectCount"], "24");
    for line in &lines {
        let payload = &line["data"]["productCreate"];
        assert_eq!(payload["userErrors"], json!([]), "{line}");
        assert_eq!(payload["__typename"], "ProductCreatePayload");
        let answered = &payload["product"];
        assert_eq!(answered["tags"], json!(["a", "b", "z"]));
        let stored = server
            .graphql(
                &format!("query($id: ID!) {{ product(id: $id) {{ {FIELDS} }} }}"),
                json!({"id": answered["id"]}),
            )
            .await;
        assert_eq!(&stored["data"]["product"], answered, "{line}");
    }
}

#[tokio::test]
async fn importing_the_same_titles_again_gives_every_product_the_next_free_number() {
    // The second import finds every handle taken when its chunks write. Its answers show ids
    // only, so the rows get their numbers as they are written: as the hosted API numbers them,
    // after the numeric tail (`board-3` taken: `board-4`, and on until one is free), here above
    // every number the stem's products hold, one chosen explicitly (`board-12`) included. A
    // line that chose a taken handle is still refused.
    let server = TestServer::start_with(support::Options {
        chunk_lines: 4,
        ..Default::default()
    })
    .await;
    let titles: Vec<String> = (0..12)
        .map(|n| json!({"input": {"title": format!("Board {n}")}}).to_string())
        .collect();
    let mut first_lines = titles.clone();
    first_lines.push(json!({"input": {"title": "Squatter", "handle": "board-12"}}).to_string());
    let (first, _) = server.import(&first_lines.join("\n"), PRODUCT_CREATE).await;
    assert_eq!(first["status"], "COMPLETED");
    let mut again = titles.clone();
    again.push(json!({"input": {"title": "Chosen", "handle": "board-3"}}).to_string());
    let (second, lines) = server.import(&again.join("\n"), PRODUCT_CREATE).await;
    assert_eq!(second["status"], "COMPLETED", "{second}");
    let by_line = support::by_line_number(lines);
    let mut numbers = Vec::new();
    for number in 0..12 {
        let payload = &by_line[&number]["data"]["productCreate"];
        assert_eq!(payload["userErrors"], json!([]), "{payload}");
        let product = server
            .graphql(
                "query($id: ID!) { product(id: $id) { title handle } }",
                json!({"id": payload["product"]["id"]}),
            )
            .await;
        let product = &product["data"]["product"];
        assert_eq!(product["title"], format!("Board {number}"));
        let handle = product["handle"].as_str().unwrap();
        let suffix = handle
            .strip_prefix("board-")
            .unwrap_or_else(|| panic!("{handle}"));
        numbers.push(suffix.parse::<u64>().unwrap());
    }
    numbers.sort_unstable();
    assert_eq!(numbers, (13..=24).collect::<Vec<u64>>());
    assert_eq!(
        by_line[&12]["data"]["productCreate"],
        json!({"product": null, "userErrors": [{"field": ["input", "handle"], "message": "Handle 'board-3' already in use. Please provide a new handle."}]})
    );
    let products = server
        .graphql(
            "{ products(first: 100) { edges { node { handle } } } }",
            json!({}),
        )
        .await;
    let handles: std::collections::HashSet<&str> = products["data"]["products"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"]["handle"].as_str().unwrap())
        .collect();
    assert_eq!(handles.len(), 25, "{products}");
}

/// Lines the hosted API refuses are refused alike in bulk, whichever path answers the line:
/// a list over 250 items before the mutation runs, attributes over 255 characters with their
/// user errors; and tags are kept as the hosted API keeps them.
#[tokio::test]
async fn bulk_lines_get_the_hosted_apis_refusals_and_tag_rules() {
    // A chunk a line: once the first has validated the document, the others are offered to
    // the direct path, which must leave the refused ones to the schema.
    let server = TestServer::start_with(support::Options {
        chunk_lines: 1,
        ..Default::default()
    })
    .await;
    let mutation = "mutation call($input: ProductInput!) { productCreate(input: $input) { product { title tags } userErrors { field message } } }";
    let too_many: Vec<String> = (0..251).map(|n| format!("tag-{n}")).collect();
    let input = [
        json!({"input": {"title": "First"}}),
        json!({"input": {"title": "Many tags", "tags": too_many}}),
        json!({"input": {"title": "Long vendor", "vendor": "v".repeat(256)}}),
        json!({"input": {"title": "Tagged", "tags": [" Red ", "red", "RED", " big   sale "]}}),
    ]
    .map(|line| format!("{line}\n"))
    .concat();
    let (_, lines) = server.import(&input, mutation).await;
    let by_line = support::by_line_number(lines);
    assert_eq!(
        by_line[&1]["errors"],
        json!([{
            "message": "The input array size of 251 is greater than the maximum allowed of 250.",
            "locations": [{"line": 1, "column": 40}],
            "path": ["productCreate", "input", "tags"],
            "extensions": {"code": "MAX_INPUT_SIZE_EXCEEDED"},
        }])
    );
    assert_eq!(
        by_line[&2]["data"]["productCreate"],
        json!({"product": null, "userErrors": [{"field": ["vendor"], "message": "Vendor is too long (maximum is 255 characters)"}]})
    );
    assert_eq!(
        by_line[&3]["data"]["productCreate"]["product"],
        json!({"title": "Tagged", "tags": ["big   sale", "Red"]})
    );
    let stored = server
        .graphql("{ products(first: 10) { nodes { title } } }", json!({}))
        .await;
    assert_eq!(
        stored["data"]["products"]["nodes"],
        json!([{"title": "First"}, {"title": "Tagged"}])
    );
}

/// A document the direct path has no plan for (it selects `variants`): a re-import completes
/// with every product under a number of its own (that the numbers are given as the chunk
/// writes is the executor's unit test's to show).
#[tokio::test]
async fn reimporting_with_a_document_the_direct_path_does_not_plan_numbers_every_taken_handle() {
    let server = TestServer::start_with(support::Options {
        chunk_lines: 4,
        ..Default::default()
    })
    .await;
    let mutation = "mutation call($input: ProductInput!) { productCreate(input: $input) { product { id title variants(first: 1) { nodes { title } } } userErrors { field message } } }";
    let lines: String = (0..12)
        .map(|n| format!("{}\n", json!({"input": {"title": format!("Board {n}")}})))
        .collect();
    for _ in 0..2 {
        let (operation, results) = server.import(&lines, mutation).await;
        assert_eq!(operation["status"], "COMPLETED", "{operation}");
        for result in results {
            assert_eq!(
                result["data"]["productCreate"]["userErrors"],
                json!([]),
                "{result}"
            );
        }
    }
    let products = server
        .graphql("{ products(first: 100) { nodes { handle } } }", json!({}))
        .await;
    let handles: std::collections::BTreeSet<&str> = products["data"]["products"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|node| node["handle"].as_str().unwrap())
        .collect();
    let expected: std::collections::BTreeSet<String> =
        (0..24).map(|n| format!("board-{n}")).collect();
    assert_eq!(
        handles,
        expected.iter().map(String::as_str).collect(),
        "{products}"
    );
}
