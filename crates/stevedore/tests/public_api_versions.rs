//! `publicApiVersions`: clients discover which versions to call with it.

mod support;

use serde_json::json;
use support::{Options, TestServer};

#[tokio::test]
async fn the_supported_releases_a_candidate_and_unstable_are_listed() {
    let start = chrono::DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);
    let server = TestServer::start_with(Options {
        clock: Some(stevedore_core::ManualClock::new(start)),
        ..Default::default()
    })
    .await;
    let body = server
        .graphql(
            "{ publicApiVersions { __typename handle displayName supported } }",
            json!({}),
        )
        .await;
    let listed = &body["data"]["publicApiVersions"];
    assert_eq!(
        listed[0],
        json!({"__typename": "ApiVersion", "handle": "2026-01", "displayName": "2026-01", "supported": true})
    );
    assert_eq!(listed[3]["handle"], "2026-10");
    assert_eq!(
        listed[4],
        json!({"__typename": "ApiVersion", "handle": "2027-01", "displayName": "2027-01 (Release candidate)", "supported": false})
    );
    assert_eq!(
        listed[5],
        json!({"__typename": "ApiVersion", "handle": "unstable", "displayName": "unstable", "supported": false})
    );
    // Every listed handle is one this server answers on.
    for version in listed.as_array().unwrap() {
        let handle = version["handle"].as_str().unwrap();
        let answer = server
            .graphql_as(
                &server.token,
                handle,
                "{ publicApiVersions { handle } }",
                json!({}),
            )
            .await;
        assert!(
            answer["data"]["publicApiVersions"].is_array(),
            "{handle}: {answer}"
        );
    }
}
