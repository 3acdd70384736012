//! `bulk_operations/finish` webhooks, received by a real HTTP listener on 127.0.0.1: signed as
//! Shopify signs them, retried with the same webhook id, and never lost across a restart.

mod support;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{product_lines, Options, TestServer, PRODUCT_CREATE};

/// What a receiver saw: the headers and the raw body of each request.
#[derive(Clone, Default)]
struct Received(Arc<Mutex<Vec<(HeaderMap, Bytes)>>>);

struct Receiver {
    url: String,
    received: Received,
}

/// Answers 500 to its first `failures` requests, then 200.
async fn receiver_on(listener: tokio::net::TcpListener, failures: usize) -> Receiver {
    let url = format!("http://{}/webhooks", listener.local_addr().unwrap());
    let received = Received::default();
    let app = axum::Router::new()
        .route(
            "/webhooks",
            axum::routing::post(|State(received): State<(Received, usize)>, headers: HeaderMap, body: Bytes| async move {
                let mut seen = received.0 .0.lock().unwrap();
                seen.push((headers, body));
                if seen.len() <= received.1 {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::OK
                }
            }),
        )
        .with_state((received.clone(), failures));
    tokio::spawn(async move { axum::serve(listener, app).await });
    Receiver { url, received }
}

async fn receiver(failures: usize) -> Receiver {
    receiver_on(
        tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
        failures,
    )
    .await
}

impl Receiver {
    /// Waits until `count` requests have arrived; returns them all.
    async fn wait_for(&self, count: usize) -> Vec<(HeaderMap, Bytes)> {
        for _ in 0..1000 {
            let seen = self.received.0.lock().unwrap().clone();
            if seen.len() >= count {
                return seen;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!(
            "expected {count} webhook requests, got {}",
            self.received.0.lock().unwrap().len()
        );
    }
}

/// Verifies a request exactly as Shopify's libraries do: base64 HMAC-SHA256 of the raw body
/// with the app's secret, compared in constant time.
fn verify_hmac(headers: &HeaderMap, body: &[u8], secret: &str) -> bool {
    let Some(signature) = headers
        .get("x-shopify-hmac-sha256")
        .and_then(|value| value.to_str().ok())
    else {
        return false;
    };
    let Ok(signature) = base64::engine::general_purpose::STANDARD.decode(signature) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    mac.verify_slice(&signature).is_ok()
}

const CREATE: &str = "mutation($topic: WebhookSubscriptionTopic!, $sub: WebhookSubscriptionInput!) { webhookSubscriptionCreate(topic: $topic, webhookSubscription: $sub) { webhookSubscription { id topic uri format includeFields filter name apiVersion createdAt updatedAt } userErrors { field message } } }";

async fn subscribe(server: &TestServer, uri: &str) -> Value {
    let body = server
        .graphql(
            CREATE,
            json!({"topic": "BULK_OPERATIONS_FINISH", "sub": {"uri": uri, "format": "JSON"}}),
        )
        .await;
    body["data"]["webhookSubscriptionCreate"].clone()
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .unwrap_or_else(|| panic!("missing header {name}"))
        .to_str()
        .unwrap()
}

#[tokio::test]
async fn subscriptions_can_be_created_read_updated_and_deleted() {
    let server = TestServer::start().await;
    let created = subscribe(&server, "https://example.com/hooks").await;
    assert_eq!(created["userErrors"], json!([]));
    let subscription = &created["webhookSubscription"];
    let id = subscription["id"].as_str().unwrap();
    assert!(id.starts_with("gid://shopify/WebhookSubscription/"));
    assert_eq!(subscription["topic"], "BULK_OPERATIONS_FINISH");
    assert_eq!(subscription["uri"], "https://example.com/hooks");
    assert_eq!(subscription["format"], "JSON");
    assert_eq!(subscription["apiVersion"], "2026-01");

    let duplicate = subscribe(&server, "https://example.com/hooks").await;
    assert_eq!(duplicate["webhookSubscription"], Value::Null);
    assert_eq!(
        duplicate["userErrors"][0]["message"],
        "Address for this topic has already been taken"
    );
    for bad in ["ftp://example.com/x", "https://", "not a url"] {
        let refused = subscribe(&server, bad).await;
        assert_eq!(
            refused["userErrors"][0]["message"], "Address is invalid",
            "{bad}"
        );
    }
    let filtered = server
        .graphql(CREATE, json!({"topic": "BULK_OPERATIONS_FINISH", "sub": {"uri": "https://example.com/f", "filter": "status:failed"}}))
        .await;
    assert_eq!(
        filtered["data"]["webhookSubscriptionCreate"]["userErrors"][0]["field"],
        json!(["webhookSubscription", "filter"])
    );
    let other_topic = server
        .graphql(
            CREATE,
            json!({"topic": "PRODUCTS_CREATE", "sub": {"uri": "https://example.com/p"}}),
        )
        .await;
    assert_eq!(
        other_topic["data"]["webhookSubscriptionCreate"]["userErrors"][0]["field"],
        json!(["topic"])
    );
    let unknown_topic = server
        .graphql(
            CREATE,
            json!({"topic": "NOT_A_TOPIC", "sub": {"uri": "https://example.com/p"}}),
        )
        .await;
    assert!(
        unknown_topic["errors"].is_array(),
        "an unknown enum value is a GraphQL error: {unknown_topic}"
    );

    let updated = server
        .graphql(
            "mutation($id: ID!) { webhookSubscriptionUpdate(id: $id, webhookSubscription: {uri: \"https://example.com/v2\", name: \"bulk\"}) { webhookSubscription { uri name } userErrors { field message } } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        updated["data"]["webhookSubscriptionUpdate"]["webhookSubscription"],
        json!({"uri": "https://example.com/v2", "name": "bulk"})
    );

    let read = server
        .graphql(
            "query($id: ID!) { webhookSubscription(id: $id) { uri } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        read["data"]["webhookSubscription"]["uri"],
        "https://example.com/v2"
    );
    let listed = server
        .graphql("{ webhookSubscriptions(first: 10, topics: [BULK_OPERATIONS_FINISH]) { edges { node { id } } pageInfo { hasNextPage } } }", json!({}))
        .await;
    assert_eq!(
        listed["data"]["webhookSubscriptions"]["edges"],
        json!([{"node": {"id": id}}])
    );

    let delete = "mutation($id: ID!) { webhookSubscriptionDelete(id: $id) { deletedWebhookSubscriptionId userErrors { field message } } }";
    let deleted = server.graphql(delete, json!({"id": id})).await;
    assert_eq!(
        deleted["data"]["webhookSubscriptionDelete"],
        json!({"deletedWebhookSubscriptionId": id, "userErrors": []})
    );
    let again = server.graphql(delete, json!({"id": id})).await;
    assert_eq!(
        again["data"]["webhookSubscriptionDelete"]["userErrors"][0]["field"],
        json!(["id"])
    );
}

#[tokio::test]
async fn completed_failed_and_canceled_operations_each_deliver_one_signed_webhook() {
    let mut server = TestServer::start_with(Options {
        workers: false,
        ..Default::default()
    })
    .await;
    let receiver = receiver(0).await;
    assert_eq!(
        subscribe(&server, &receiver.url).await["userErrors"],
        json!([])
    );

    // One operation that will complete, one whose staged file is replaced before it runs.
    let completing = server.upload(&product_lines(3)).await;
    let completing = server.run_mutation(PRODUCT_CREATE, &completing).await["bulkOperation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (url, fields) = server.stage().await;
    assert_eq!(
        server
            .post_form(&url, &fields, Some(product_lines(2).as_bytes()))
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
    let failing = server.run_mutation(PRODUCT_CREATE, &key).await["bulkOperation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        server
            .post_form(&url, &fields, Some(product_lines(4).as_bytes()))
            .await
            .status(),
        201
    );
    let canceled = server.upload(&product_lines(2)).await;
    let canceled = server.run_mutation(PRODUCT_CREATE, &canceled).await["bulkOperation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let cancel = server
        .graphql("mutation($id: ID!) { bulkOperationCancel(id: $id) { bulkOperation { status } userErrors { field message } } }", json!({"id": canceled}))
        .await;
    assert_eq!(
        cancel["data"]["bulkOperationCancel"]["bulkOperation"]["status"],
        "CANCELING"
    );
    server.start_engine().await;
    assert_eq!(server.wait(&completing).await["status"], "COMPLETED");
    assert_eq!(server.wait(&failing).await["status"], "FAILED");
    assert_eq!(server.wait(&canceled).await["status"], "CANCELED");

    let requests = receiver.wait_for(3).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        receiver.received.0.lock().unwrap().len(),
        3,
        "exactly one delivery per finished operation"
    );
    let mut by_operation = std::collections::HashMap::new();
    for (headers, body) in &requests {
        assert!(
            verify_hmac(headers, body, "hush"),
            "signature verifies with the shop's secret"
        );
        assert!(!verify_hmac(headers, body, "another secret"));
        assert_eq!(header(headers, "x-shopify-topic"), "bulk_operations/finish");
        assert_eq!(
            header(headers, "x-shopify-shop-domain"),
            "test.myshopify.com"
        );
        assert_eq!(header(headers, "x-shopify-api-version"), "2026-01");
        assert_eq!(header(headers, "content-type"), "application/json");
        assert!(!header(headers, "x-shopify-webhook-id").is_empty());
        assert!(!header(headers, "x-shopify-event-id").is_empty());
        assert!(header(headers, "x-shopify-triggered-at").ends_with('Z'));
        let payload: Value = serde_json::from_slice(body).unwrap();
        let keys: Vec<&String> = payload.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "admin_graphql_api_id",
                "completed_at",
                "created_at",
                "error_code",
                "status",
                "type"
            ]
        );
        by_operation.insert(
            payload["admin_graphql_api_id"].as_str().unwrap().to_owned(),
            payload,
        );
    }
    let completed = &by_operation[&completing];
    assert_eq!(
        (completed["status"].as_str(), completed["type"].as_str()),
        (Some("completed"), Some("mutation"))
    );
    assert_eq!(completed["error_code"], Value::Null);
    assert!(completed["completed_at"]
        .as_str()
        .unwrap()
        .ends_with("+00:00"));
    let failed = &by_operation[&failing];
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["error_code"], "internal_server_error");
    assert_eq!(failed["completed_at"], Value::Null);
    let canceled = &by_operation[&canceled];
    assert_eq!(
        (canceled["status"].as_str(), canceled["error_code"].clone()),
        (Some("canceled"), Value::Null)
    );
    assert_eq!(canceled["completed_at"], Value::Null);
}

#[tokio::test]
async fn a_failing_receiver_gets_the_same_webhook_again_until_it_answers_2xx() {
    let server = TestServer::start().await;
    let receiver = receiver(2).await;
    subscribe(&server, &receiver.url).await;
    server.import(&product_lines(1), PRODUCT_CREATE).await;

    let requests = receiver.wait_for(3).await;
    let ids: Vec<&str> = requests
        .iter()
        .map(|(headers, _)| header(headers, "x-shopify-webhook-id"))
        .collect();
    assert!(
        ids.iter().all(|id| *id == ids[0]),
        "retries keep the webhook id: {ids:?}"
    );
    assert!(
        requests.iter().all(|(_, body)| *body == requests[0].1),
        "retries resend the original payload"
    );

    let store = server.app.services().engine.store();
    let mut deliveries = store.recent_deliveries(10).await.unwrap();
    for _ in 0..100 {
        if deliveries[0].status == "delivered" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        deliveries = store.recent_deliveries(10).await.unwrap();
    }
    assert_eq!(deliveries.len(), 1);
    assert_eq!(
        (deliveries[0].status.as_str(), deliveries[0].attempts),
        ("delivered", 3)
    );
}

#[tokio::test]
async fn a_delivery_waits_out_a_receiver_that_is_down_across_a_server_restart() {
    // A port nobody listens on yet.
    let reserved = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = reserved.local_addr().unwrap();
    drop(reserved);

    // Retries spread over about three seconds: the restart fits well inside them.
    let mut webhooks = support::fast_webhooks();
    webhooks.retry.base_delay = Duration::from_millis(50);
    webhooks.retry.max_delay = Duration::from_millis(500);
    let server = TestServer::start_with(Options {
        webhooks,
        ..Default::default()
    })
    .await;
    subscribe(&server, &format!("http://{address}/webhooks")).await;
    server.import(&product_lines(1), PRODUCT_CREATE).await;
    let store = server.app.services().engine.store().clone();
    for _ in 0..200 {
        let deliveries = store.recent_deliveries(1).await.unwrap();
        if deliveries
            .first()
            .is_some_and(|delivery| delivery.attempts >= 1)
        {
            assert_eq!(deliveries[0].status, "pending");
            assert!(deliveries[0].last_error.is_some());
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    let server = server.restart().await;
    let receiver = receiver_on(tokio::net::TcpListener::bind(address).await.unwrap(), 0).await;
    let requests = receiver.wait_for(1).await;
    assert!(verify_hmac(&requests[0].0, &requests[0].1, "hush"));
    drop(server);
}

#[tokio::test]
async fn a_subscription_whose_deliveries_keep_failing_is_removed() {
    let mut webhooks = support::fast_webhooks();
    webhooks.retry.retries = 1;
    webhooks.max_consecutive_failures = 2;
    let server = TestServer::start_with(Options {
        webhooks,
        ..Default::default()
    })
    .await;
    let receiver = receiver(usize::MAX).await;
    let id = subscribe(&server, &receiver.url).await["webhookSubscription"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    for _ in 0..2 {
        server.import(&product_lines(1), PRODUCT_CREATE).await;
    }
    receiver.wait_for(4).await;
    let query = "query($id: ID!) { webhookSubscription(id: $id) { id } }";
    let mut found = server.graphql(query, json!({"id": id})).await;
    for _ in 0..100 {
        if found["data"]["webhookSubscription"].is_null() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        found = server.graphql(query, json!({"id": id})).await;
    }
    assert_eq!(found["data"]["webhookSubscription"], Value::Null);
    let deliveries = server
        .app
        .services()
        .engine
        .store()
        .recent_deliveries(10)
        .await
        .unwrap();
    assert_eq!(
        deliveries
            .iter()
            .map(|d| (d.status.as_str(), d.attempts))
            .collect::<Vec<_>>(),
        [("failed", 2), ("failed", 2)]
    );
}

#[tokio::test]
async fn deliveries_to_private_addresses_are_refused_by_default() {
    let server = TestServer::start().await;
    subscribe(&server, "http://10.0.0.1:9/webhooks").await;
    server.import(&product_lines(1), PRODUCT_CREATE).await;
    let store = server.app.services().engine.store();
    for _ in 0..200 {
        let deliveries = store.recent_deliveries(1).await.unwrap();
        if let Some(error) = deliveries
            .first()
            .and_then(|delivery| delivery.last_error.clone())
        {
            assert!(error.contains("not allowed"), "{error}");
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the delivery was never attempted");
}
