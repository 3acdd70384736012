//! Delivery of webhooks from the outbox: claim due deliveries under a lease, POST them signed
//! (`X-Shopify-Hmac-Sha256`) with Shopify's headers, and record the answer: only a 2xx
//! delivers; anything else is retried on a backoff schedule and, after the last retry, given up
//! — and a subscription whose deliveries are given up too often in a row is removed.

mod destinations;
mod retry;

pub use destinations::{DestinationError, Destinations};
pub use retry::RetryPolicy;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::Duration;
use stevedore_core::webhook::BULK_OPERATIONS_FINISH_TOPIC;
use stevedore_store::webhooks::{AfterFailure, DueDelivery};
use stevedore_store::Store;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone)]
pub struct DispatcherConfig {
    pub retry: RetryPolicy,
    pub destinations: Destinations,
    /// Given-up deliveries in a row after which a subscription is removed.
    pub max_consecutive_failures: i64,
    /// How often to look for due deliveries.
    pub poll: Duration,
    pub connect_timeout: Duration,
    pub timeout: Duration,
}

impl Default for DispatcherConfig {
    fn default() -> Self {
        Self {
            retry: RetryPolicy::shopify(),
            destinations: Destinations::PublicAndLoopback,
            max_consecutive_failures: 8,
            poll: Duration::from_secs(1),
            connect_timeout: Duration::from_secs(1),
            timeout: Duration::from_secs(5),
        }
    }
}

/// base64(HMAC-SHA256(secret, body)): the `X-Shopify-Hmac-Sha256` header.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC accepts keys of any length");
    mac.update(body);
    BASE64.encode(mac.finalize().into_bytes())
}

/// The wire name of a subscription topic: `BULK_OPERATIONS_FINISH` → `bulk_operations/finish`.
fn topic_header(topic: &str) -> String {
    match topic {
        stevedore_core::webhook::BULK_OPERATIONS_FINISH => BULK_OPERATIONS_FINISH_TOPIC.to_owned(),
        other => other.to_lowercase().replacen('_', "/", 1),
    }
}

pub struct Dispatcher {
    store: Store,
    config: DispatcherConfig,
    owner: String,
}

impl Dispatcher {
    pub fn new(store: Store, config: DispatcherConfig) -> Self {
        let owner = format!(
            "webhooks-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        );
        Self {
            store,
            config,
            owner,
        }
    }

    /// Delivers due webhooks until `shutdown` is cancelled.
    pub async fn run(self, shutdown: CancellationToken) {
        while !shutdown.is_cancelled() {
            match self.deliver_due().await {
                Ok(0) => {}
                Ok(_) => continue,
                Err(error) => tracing::warn!(%error, "webhook dispatch failed"),
            }
            tokio::select! {
                () = tokio::time::sleep(self.config.poll) => {}
                () = shutdown.cancelled() => {}
            }
        }
    }

    /// Sends every delivery due now (a batch at a time, in parallel); returns how many it tried.
    pub async fn deliver_due(&self) -> Result<usize, stevedore_store::StoreError> {
        // Longer than an attempt (lookup, connect, answer) plus the database's 30 s lock wait
        // for recording it, so no other dispatcher takes a delivery that is still being settled.
        let lease =
            (self.config.timeout * 2 + self.config.connect_timeout + Duration::from_secs(30))
                .as_millis() as i64;
        let due = self
            .store
            .claim_due_deliveries(&self.owner, lease, 16)
            .await?;
        let count = due.len();
        let mut sends = tokio::task::JoinSet::new();
        for delivery in due {
            let (store, config, owner) =
                (self.store.clone(), self.config.clone(), self.owner.clone());
            sends.spawn(async move {
                // The whole attempt, DNS included, is bounded: a host whose lookup hangs must not
                // hold up the other deliveries of the batch.
                let limit = config.timeout + config.connect_timeout;
                let outcome = tokio::time::timeout(limit, attempt(&config, &delivery))
                    .await
                    .unwrap_or_else(|_| Err("timed out".to_owned()));
                settle(&store, &config, &owner, &delivery, outcome).await
            });
        }
        while let Some(result) = sends.join_next().await {
            if let Ok(Err(error)) = result {
                tracing::warn!(%error, "could not record a webhook delivery");
            }
        }
        Ok(count)
    }
}

/// One POST of a delivery: Ok on a 2xx, else why not.
async fn attempt(config: &DispatcherConfig, delivery: &DueDelivery) -> Result<(), String> {
    let target = config
        .destinations
        .resolve(&delivery.uri)
        .await
        .map_err(|error| error.to_string())?;
    let client = reqwest::Client::builder()
        .connect_timeout(config.connect_timeout)
        .timeout(config.timeout)
        .redirect(reqwest::redirect::Policy::none())
        // A proxy from the environment would connect elsewhere than the checked address.
        .no_proxy()
        // Connect to the address that was checked, not to whatever a second lookup returns.
        .resolve(&target.host, target.address)
        .build()
        .map_err(|error| error.to_string())?;
    let triggered_at = chrono::DateTime::from_timestamp_millis(delivery.triggered_at)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string();
    let response = client
        .post(&delivery.uri)
        .header("Content-Type", "application/json")
        .header("X-Shopify-Topic", topic_header(&delivery.topic))
        .header(
            "X-Shopify-Hmac-Sha256",
            sign(&delivery.shop_secret, delivery.body.as_bytes()),
        )
        .header("X-Shopify-Shop-Domain", &delivery.shop_domain)
        .header("X-Shopify-API-Version", &delivery.api_version)
        .header("X-Shopify-Webhook-Id", &delivery.webhook_id)
        .header("X-Shopify-Event-Id", &delivery.event_id)
        .header("X-Shopify-Triggered-At", triggered_at)
        .body(delivery.body.clone())
        .send()
        .await
        .map_err(|error| format!("request failed: {error}"))?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("answered {status}"))
    }
}

async fn settle(
    store: &Store,
    config: &DispatcherConfig,
    owner: &str,
    delivery: &DueDelivery,
    outcome: Result<(), String>,
) -> Result<(), stevedore_store::StoreError> {
    let error = match outcome {
        Ok(()) => {
            tracing::info!(webhook.id = %delivery.webhook_id, attempts = delivery.attempts + 1, "webhook delivered");
            return store.delivery_succeeded(delivery, owner).await;
        }
        Err(error) => error,
    };
    let retries_used = delivery.attempts as u32;
    let after = match config.retry.delay(retries_used, rand::random()) {
        Some(delay) => AfterFailure::RetryAt(store.now_millis() + delay.as_millis() as i64),
        None => AfterFailure::GiveUp,
    };
    tracing::warn!(webhook.id = %delivery.webhook_id, attempts = delivery.attempts + 1, %error, ?after, "webhook delivery failed");
    let removed = store
        .delivery_failed(
            delivery,
            owner,
            &error,
            after,
            config.max_consecutive_failures,
        )
        .await?;
    if removed {
        tracing::warn!(
            webhook.subscription = delivery.subscription_id,
            "webhook subscription removed after repeated failed deliveries"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_as_shopify_libraries_verify() {
        // echo -n '{"a":1}' | openssl dgst -sha256 -hmac secret -binary | base64
        assert_eq!(
            sign("secret", br#"{"a":1}"#),
            "qp4uNXX11wmLbKzNeQiIw21f22M0KnO62i1qUXR6hJQ="
        );
        assert_eq!(
            topic_header("BULK_OPERATIONS_FINISH"),
            "bulk_operations/finish"
        );
        assert_eq!(topic_header("PRODUCTS_CREATE"), "products/create");
    }
}
