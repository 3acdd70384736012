//! Replays the `bulkOperationRunMutation` refusals recorded against the real Admin API
//! (fixtures/shopify-captures) whose outcome does not depend on the recorded store's state, and
//! requires the same `userErrors`, field for field.

mod support;

use serde_json::Value;
use std::path::Path;
use support::TestServer;

/// Every recorded request/response pair in a capture file.
fn exchanges<'a>(node: &'a Value, found: &mut Vec<&'a Value>) {
    match node {
        Value::Object(object) => {
            if object.get("query").and_then(Value::as_str).is_some()
                && object.get("response").is_some()
            {
                found.push(node);
            }
            object.values().for_each(|child| exchanges(child, found));
        }
        Value::Array(items) => items.iter().for_each(|child| exchanges(child, found)),
        _ => {}
    }
}

#[tokio::test]
async fn captured_refusals_replay_exactly() {
    let server = TestServer::start().await;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/shopify-captures");
    let mut replayed = Vec::new();
    for version in ["2025-01", "2026-04"] {
        let mut files: Vec<_> = std::fs::read_dir(root.join(version))
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        files.sort();
        for file in files
            .into_iter()
            .filter(|file| file.extension().is_some_and(|ext| ext == "json"))
        {
            let capture: Value =
                serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
            let mut found = Vec::new();
            exchanges(&capture, &mut found);
            for exchange in found {
                let payload = &exchange["response"]["data"]["bulkOperationRunMutation"];
                let Some(errors) = payload["userErrors"]
                    .as_array()
                    .filter(|errors| !errors.is_empty())
                else {
                    continue;
                };
                // Refusals that depend on the recorded store's files or running operations need
                // their setup replayed; they are covered by run_mutation_validation.rs.
                if errors.iter().any(|e| {
                    matches!(
                        e["code"].as_str(),
                        Some("OPERATION_IN_PROGRESS" | "INVALID_STAGED_UPLOAD_FILE")
                    )
                }) {
                    continue;
                }
                let query = exchange["query"].as_str().unwrap();
                let body = server
                    .graphql_as(&server.token, version, query, exchange["variables"].clone())
                    .await;
                let ours = &body["data"]["bulkOperationRunMutation"];
                assert_eq!(ours["bulkOperation"], Value::Null, "{}", file.display());
                assert_eq!(
                    &ours["userErrors"],
                    &payload["userErrors"],
                    "{}",
                    file.display()
                );
                replayed.push(errors[0]["message"].as_str().unwrap().to_owned());
            }
        }
    }
    replayed.sort();
    replayed.dedup();
    println!("replayed captured refusals: {replayed:#?}");
    assert!(
        replayed.len() >= 6,
        "expected the captured refusals to be found, got {replayed:?}"
    );
}
