//! Webhook subscriptions and the delivery outbox: rows written with the event they announce,
//! claimed by dispatchers under a lease, and kept as history once delivered or given up.

use crate::{AnyConnection, Result, Store};
use stevedore_core::webhook::{finish_payload, BULK_OPERATIONS_FINISH};
use stevedore_core::{BulkOperation, ShopId};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Subscription {
    pub id: i64,
    pub shop_id: i64,
    pub topic: String,
    pub uri: String,
    pub format: String,
    /// JSON array of field names.
    pub include_fields: String,
    pub filter: Option<String>,
    pub name: Option<String>,
    pub api_version: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const SUBSCRIPTION_COLUMNS: &str =
    "id, shop_id, topic, uri, format, include_fields, filter, name, api_version, created_at, updated_at";

/// The attributes a subscription is created or updated with.
#[derive(Debug, Clone, Default)]
pub struct SubscriptionFields {
    pub uri: Option<String>,
    pub format: Option<String>,
    pub include_fields: Option<String>,
    pub filter: Option<String>,
    pub name: Option<String>,
}

/// The shop already has a subscription to this topic at this address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressTaken;

/// Subscriptions a shop may hold: each finished operation fans out to all of them inside its
/// finishing transaction, so their number is bounded.
pub const MAX_SUBSCRIPTIONS_PER_SHOP: i64 = 100;

/// Why a subscription was not created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateRefused {
    AddressTaken,
    LimitReached,
}

/// A delivery this dispatcher holds, with what it needs to send and sign it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DueDelivery {
    pub id: i64,
    pub subscription_id: i64,
    pub webhook_id: String,
    pub event_id: String,
    pub topic: String,
    pub uri: String,
    pub api_version: String,
    pub body: String,
    pub triggered_at: i64,
    pub attempts: i64,
    pub shop_domain: String,
    pub shop_secret: String,
}

/// A delivery as operators see it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeliveryRecord {
    pub id: i64,
    pub webhook_id: String,
    pub shop_domain: String,
    pub topic: String,
    pub uri: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub delivered_at: Option<i64>,
}

/// How a failed attempt ends: tried again at a time, or given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    RetryAt(i64),
    GiveUp,
}

impl Store {
    /// Writes a `bulk_operations/finish` delivery for every subscription of the operation's shop,
    /// inside the caller's transaction, which also holds the status change it announces.
    pub(crate) async fn enqueue_finish_webhooks(
        conn: &mut AnyConnection,
        operation: &BulkOperation,
        now: i64,
    ) -> Result<()> {
        let subscriptions: Vec<(i64, String, String)> =
            sqlx::query_as("SELECT id, uri, api_version FROM webhook_subscriptions WHERE shop_id = $1 AND topic = $2")
                .bind(operation.shop_id.0)
                .bind(BULK_OPERATIONS_FINISH)
                .fetch_all(&mut *conn)
                .await?;
        if subscriptions.is_empty() {
            return Ok(());
        }
        // One event id for all deliveries of this event; one webhook id per delivery, kept
        // across its retries.
        let event_id = uuid::Uuid::new_v4().to_string();
        let body = finish_payload(operation);
        for (subscription_id, uri, api_version) in subscriptions {
            sqlx::query(
                "INSERT INTO webhook_deliveries (subscription_id, shop_id, webhook_id, event_id, topic, uri, api_version,
                     body, triggered_at, next_attempt_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
            )
            .bind(subscription_id)
            .bind(operation.shop_id.0)
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(&event_id)
            .bind(BULK_OPERATIONS_FINISH)
            .bind(uri)
            .bind(api_version)
            .bind(&body)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }

    pub async fn create_subscription(
        &self,
        shop: ShopId,
        topic: &str,
        api_version: &str,
        fields: &SubscriptionFields,
    ) -> Result<std::result::Result<Subscription, CreateRefused>> {
        let now = self.now_millis();
        let mut tx = self.begin_write().await?;
        self.lock_shop(&mut tx, shop).await?;
        let held: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM webhook_subscriptions WHERE shop_id = $1")
                .bind(shop.0)
                .fetch_one(&mut *tx)
                .await?;
        if held >= MAX_SUBSCRIPTIONS_PER_SHOP {
            return Ok(Err(CreateRefused::LimitReached));
        }
        let created: Option<Subscription> = sqlx::query_as(&format!(
            "INSERT INTO webhook_subscriptions (shop_id, topic, uri, format, include_fields, filter, name, api_version,
                 created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
             ON CONFLICT (shop_id, topic, uri) DO NOTHING
             RETURNING {SUBSCRIPTION_COLUMNS}"
        ))
        .bind(shop.0)
        .bind(topic)
        .bind(fields.uri.as_deref().unwrap_or_default())
        .bind(fields.format.as_deref().unwrap_or("JSON"))
        .bind(fields.include_fields.as_deref().unwrap_or("[]"))
        .bind(&fields.filter)
        .bind(&fields.name)
        .bind(api_version)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(created.ok_or(CreateRefused::AddressTaken))
    }

    /// Changes the given attributes; None if the shop has no such subscription.
    pub async fn update_subscription(
        &self,
        shop: ShopId,
        id: i64,
        fields: &SubscriptionFields,
    ) -> Result<std::result::Result<Option<Subscription>, AddressTaken>> {
        let updated = sqlx::query_as(&format!(
            "UPDATE webhook_subscriptions SET uri = COALESCE($1, uri), format = COALESCE($2, format),
                 include_fields = COALESCE($3, include_fields), filter = COALESCE($4, filter),
                 name = COALESCE($5, name), updated_at = $6
             WHERE id = $7 AND shop_id = $8
             RETURNING {SUBSCRIPTION_COLUMNS}"
        ))
        .bind(&fields.uri)
        .bind(&fields.format)
        .bind(&fields.include_fields)
        .bind(&fields.filter)
        .bind(&fields.name)
        .bind(self.now_millis())
        .bind(id)
        .bind(shop.0)
        .fetch_optional(self.pool())
        .await;
        match updated {
            Ok(found) => Ok(Ok(found)),
            Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
                Ok(Err(AddressTaken))
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Removes the subscription; false if the shop has none with this id.
    pub async fn delete_subscription(&self, shop: ShopId, id: i64) -> Result<bool> {
        // Taken up front, the write lock waits for running chunks (see `cancel_operation`).
        let mut tx = self.begin_write().await?;
        let deleted =
            sqlx::query("DELETE FROM webhook_subscriptions WHERE id = $1 AND shop_id = $2")
                .bind(id)
                .bind(shop.0)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        tx.commit().await?;
        Ok(deleted == 1)
    }

    pub async fn subscription(&self, shop: ShopId, id: i64) -> Result<Option<Subscription>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions WHERE id = $1 AND shop_id = $2"
        ))
        .bind(id)
        .bind(shop.0)
        .fetch_optional(self.pool())
        .await?)
    }

    /// The shop's subscriptions in id order after `after`, optionally of some topics only.
    pub async fn subscriptions(
        &self,
        shop: ShopId,
        topics: Option<&[String]>,
        after: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Subscription>> {
        // One placeholder per topic asked for; the topic list is short (an enum's values).
        let topic_filter = match topics {
            None => String::new(),
            Some([]) => " AND 1 = 0".to_owned(),
            Some(topics) => format!(
                " AND topic IN ({})",
                (0..topics.len())
                    .map(|index| format!("${}", index + 4))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let sql = format!(
            "SELECT {SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions
             WHERE shop_id = $1 AND ($2 IS NULL OR id > $2){topic_filter}
             ORDER BY id LIMIT $3"
        );
        let mut query = sqlx::query_as(&sql).bind(shop.0).bind(after).bind(limit);
        for topic in topics.unwrap_or_default() {
            query = query.bind(topic);
        }
        Ok(query.fetch_all(self.pool()).await?)
    }

    /// Claims up to `limit` deliveries that are due and not held by another dispatcher.
    pub async fn claim_due_deliveries(
        &self,
        owner: &str,
        lease_millis: i64,
        limit: i64,
    ) -> Result<Vec<DueDelivery>> {
        let now = self.now_millis();
        // A read first: idle dispatchers poll often, and should not queue for the write lock
        // that running chunks hold.
        let any_due: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= $1
               AND (lease_until IS NULL OR lease_until < $1) LIMIT 1",
        )
        .bind(now)
        .fetch_optional(self.pool())
        .await?;
        if any_due.is_none() {
            return Ok(Vec::new());
        }
        let mut tx = self.begin_write().await?;
        // Picked, and on Postgres locked, by one query, then leased one by one: an `IN
        // (SELECT … LIMIT … FOR UPDATE SKIP LOCKED)` inside the UPDATE could be evaluated more
        // than once by the planner and take more than `limit` rows.
        let picked: Vec<i64> = sqlx::query_scalar(&format!(
            "SELECT d.id FROM webhook_deliveries d
             WHERE d.status = 'pending' AND d.next_attempt_at <= $1
               AND (d.lease_until IS NULL OR d.lease_until < $1)
             ORDER BY d.next_attempt_at LIMIT $2{}",
            self.dialect.skip_locked("d")
        ))
        .bind(now)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        let mut ids = Vec::with_capacity(picked.len());
        for id in picked {
            let leased: Option<i64> = sqlx::query_scalar(
                "UPDATE webhook_deliveries SET lease_owner = $1, lease_until = $2
                 WHERE id = $3 AND status = 'pending' AND (lease_until IS NULL OR lease_until < $4)
                 RETURNING id",
            )
            .bind(owner)
            .bind(now + lease_millis)
            .bind(id)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            ids.extend(leased);
        }
        let mut due = Vec::with_capacity(ids.len());
        for id in ids {
            due.push(
                sqlx::query_as(
                    "SELECT d.id, d.subscription_id, d.webhook_id, d.event_id, d.topic, d.uri, d.api_version, d.body,
                         d.triggered_at, d.attempts, s.domain AS shop_domain, s.webhook_secret AS shop_secret
                     FROM webhook_deliveries d JOIN shops s ON s.id = d.shop_id WHERE d.id = $1",
                )
                .bind(id)
                .fetch_one(&mut *tx)
                .await?,
            );
        }
        tx.commit().await?;
        Ok(due)
    }

    /// Records a 2xx answer; the subscription's run of failures ends.
    pub async fn delivery_succeeded(&self, delivery: &DueDelivery, owner: &str) -> Result<()> {
        let now = self.now_millis();
        let mut tx = self.begin_write().await?;
        let recorded = sqlx::query(
            "UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1, delivered_at = $1,
                 last_error = NULL, lease_owner = NULL, lease_until = NULL
             WHERE id = $2 AND lease_owner = $3 AND status = 'pending'",
        )
        .bind(now)
        .bind(delivery.id)
        .bind(owner)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if recorded == 1 {
            sqlx::query("UPDATE webhook_subscriptions SET consecutive_failures = 0 WHERE id = $1")
                .bind(delivery.subscription_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records a failed attempt. A delivery given up counts against its subscription, which is
    /// removed once `max_consecutive_failures` deliveries in a row have been given up. Returns
    /// whether the subscription was removed.
    pub async fn delivery_failed(
        &self,
        delivery: &DueDelivery,
        owner: &str,
        error: &str,
        after: AfterFailure,
        max_consecutive_failures: i64,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let (status, next_attempt_at) = match after {
            AfterFailure::RetryAt(at) => ("pending", at),
            AfterFailure::GiveUp => ("failed", self.now_millis()),
        };
        let recorded = sqlx::query(
            "UPDATE webhook_deliveries SET status = $1, attempts = attempts + 1, next_attempt_at = $2, last_error = $3,
                 lease_owner = NULL, lease_until = NULL
             WHERE id = $4 AND lease_owner = $5 AND status = 'pending'",
        )
        .bind(status)
        .bind(next_attempt_at)
        .bind(error)
        .bind(delivery.id)
        .bind(owner)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let mut removed = false;
        if recorded == 1 && after == AfterFailure::GiveUp {
            let failures: Option<i64> = sqlx::query_scalar(
                "UPDATE webhook_subscriptions SET consecutive_failures = consecutive_failures + 1 WHERE id = $1
                 RETURNING consecutive_failures",
            )
            .bind(delivery.subscription_id)
            .fetch_optional(&mut *tx)
            .await?;
            if failures.is_some_and(|failures| failures >= max_consecutive_failures) {
                sqlx::query("DELETE FROM webhook_subscriptions WHERE id = $1")
                    .bind(delivery.subscription_id)
                    .execute(&mut *tx)
                    .await?;
                removed = true;
            }
        }
        tx.commit().await?;
        Ok(removed)
    }

    /// The newest deliveries, for operators.
    pub async fn recent_deliveries(&self, limit: i64) -> Result<Vec<DeliveryRecord>> {
        Ok(sqlx::query_as(
            "SELECT d.id, d.webhook_id, s.domain AS shop_domain, d.topic, d.uri, d.status, d.attempts, d.next_attempt_at,
                 d.last_error, d.delivered_at
             FROM webhook_deliveries d JOIN shops s ON s.id = d.shop_id ORDER BY d.id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }
}
