//! Webhook subscriptions in the schema: `webhookSubscriptionCreate` / `Update` / `Delete`,
//! `webhookSubscription(id:)` and `webhookSubscriptions`.

use crate::services::Services;
use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Enum, InputObject, Object, SimpleObject, ID};
use std::sync::Arc;
use stevedore_catalog::UserError;
use stevedore_core::clock::from_millis;
use stevedore_core::nullable;
use stevedore_core::scalars::{DateTime, Url};
use stevedore_core::OrInternal;
use stevedore_core::{ApiVersion, Gid, ShopId};
use stevedore_store::webhooks::{
    AddressTaken, CreateRefused, Subscription, SubscriptionFields, MAX_SUBSCRIPTIONS_PER_SHOP,
};
use stevedore_webhooks::Destinations;

/// `WebhookSubscriptionTopic`: the topics clients commonly name. Only `BULK_OPERATIONS_FINISH`
/// is ever triggered here; subscribing to another is refused with a userError.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum WebhookSubscriptionTopic {
    AppUninstalled,
    BulkOperationsFinish,
    CollectionsCreate,
    CollectionsUpdate,
    OrdersCreate,
    ProductsCreate,
    ProductsDelete,
    ProductsUpdate,
}

impl WebhookSubscriptionTopic {
    /// The stored (and GraphQL) spelling.
    fn stored(self) -> &'static str {
        match self {
            Self::AppUninstalled => "APP_UNINSTALLED",
            Self::BulkOperationsFinish => stevedore_core::webhook::BULK_OPERATIONS_FINISH,
            Self::CollectionsCreate => "COLLECTIONS_CREATE",
            Self::CollectionsUpdate => "COLLECTIONS_UPDATE",
            Self::OrdersCreate => "ORDERS_CREATE",
            Self::ProductsCreate => "PRODUCTS_CREATE",
            Self::ProductsDelete => "PRODUCTS_DELETE",
            Self::ProductsUpdate => "PRODUCTS_UPDATE",
        }
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum WebhookSubscriptionFormat {
    Json,
    Xml,
}

impl WebhookSubscriptionFormat {
    fn stored(self) -> &'static str {
        match self {
            Self::Json => "JSON",
            Self::Xml => "XML",
        }
    }
}

/// `WebhookSubscriptionInput`.
#[derive(InputObject, Default)]
pub struct WebhookSubscriptionInput {
    uri: Option<String>,
    /// The pre-2025 name of `uri`.
    callback_url: Option<Url>,
    format: Option<WebhookSubscriptionFormat>,
    include_fields: Option<Vec<String>>,
    filter: Option<String>,
    name: Option<String>,
    metafield_namespaces: Option<Vec<String>>,
}

/// `WebhookSubscription`.
pub struct WebhookSubscription(Subscription);

#[Object]
impl WebhookSubscription {
    async fn id(&self) -> ID {
        ID(Gid::new("WebhookSubscription", self.0.id).to_string())
    }
    async fn legacy_resource_id(&self) -> stevedore_core::scalars::UnsignedInt64 {
        stevedore_core::scalars::UnsignedInt64(self.0.id as u64)
    }
    async fn topic(&self) -> &str {
        &self.0.topic
    }
    async fn uri(&self) -> &str {
        &self.0.uri
    }
    async fn format(&self) -> &str {
        &self.0.format
    }
    async fn include_fields(&self) -> Vec<String> {
        serde_json::from_str(&self.0.include_fields).unwrap_or_default()
    }
    async fn filter(&self) -> Option<&str> {
        self.0.filter.as_deref()
    }
    async fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }
    async fn api_version(&self) -> &str {
        &self.0.api_version
    }
    async fn created_at(&self) -> DateTime {
        DateTime(from_millis(self.0.created_at))
    }
    async fn updated_at(&self) -> DateTime {
        DateTime(from_millis(self.0.updated_at))
    }
}

#[derive(SimpleObject)]
pub struct WebhookSubscriptionCreatePayload {
    webhook_subscription: Option<WebhookSubscription>,
    user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub struct WebhookSubscriptionUpdatePayload {
    webhook_subscription: Option<WebhookSubscription>,
    user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub struct WebhookSubscriptionDeletePayload {
    deleted_webhook_subscription_id: Option<ID>,
    user_errors: Vec<UserError>,
}

fn error(field: &[&str], message: &str) -> Vec<UserError> {
    vec![UserError::new(field, message)]
}

fn address_taken() -> Vec<UserError> {
    error(
        &["webhookSubscription", "callbackUrl"],
        "Address for this topic has already been taken",
    )
}

/// Checks the input and turns it into stored attributes; userErrors if it cannot be stored.
fn fields_of(
    input: WebhookSubscriptionInput,
    creating: bool,
) -> Result<SubscriptionFields, Vec<UserError>> {
    let uri = input.uri.or(input.callback_url.map(|url| url.0));
    match &uri {
        Some(uri) if Destinations::check_uri(uri).is_err() => {
            return Err(error(
                &["webhookSubscription", "callbackUrl"],
                "Address is invalid",
            ));
        }
        Some(_) => {}
        None if creating => {
            return Err(error(
                &["webhookSubscription", "callbackUrl"],
                "Address can't be blank",
            ))
        }
        None => {}
    }
    if input.format == Some(WebhookSubscriptionFormat::Xml) {
        return Err(error(
            &["webhookSubscription", "format"],
            "Only the JSON format is supported by this server",
        ));
    }
    // Accepted and kept, but not applied to deliveries: refusing them is more honest than
    // silently sending events a filter would have excluded.
    if input
        .filter
        .as_deref()
        .is_some_and(|filter| !filter.trim().is_empty())
    {
        return Err(error(
            &["webhookSubscription", "filter"],
            "Filters are not supported by this server",
        ));
    }
    if input
        .include_fields
        .as_ref()
        .is_some_and(|fields| !fields.is_empty())
    {
        return Err(error(
            &["webhookSubscription", "includeFields"],
            "includeFields is not supported by this server",
        ));
    }
    let _ = input.metafield_namespaces;
    Ok(SubscriptionFields {
        uri,
        format: input.format.map(|format| format.stored().to_owned()),
        include_fields: input
            .include_fields
            .map(|fields| serde_json::to_string(&fields).unwrap_or_default()),
        filter: input.filter,
        name: input.name,
    })
}

fn subscription_id(id: &str) -> Option<i64> {
    Gid::parse_as(id, "WebhookSubscription").ok()
}

#[derive(Default)]
pub struct WebhookMutation;

#[Object]
impl WebhookMutation {
    /// Subscribes an address to a topic.
    async fn webhook_subscription_create(
        &self,
        ctx: &Context<'_>,
        topic: WebhookSubscriptionTopic,
        webhook_subscription: WebhookSubscriptionInput,
    ) -> async_graphql::Result<Option<WebhookSubscriptionCreatePayload>> {
        nullable(async move {
            let refused = |user_errors| {
                Ok(WebhookSubscriptionCreatePayload {
                    webhook_subscription: None,
                    user_errors,
                })
            };
            if topic != WebhookSubscriptionTopic::BulkOperationsFinish {
                return refused(error(
                    &["topic"],
                    "Topic is not supported by this server; only BULK_OPERATIONS_FINISH is",
                ));
            }
            let fields = match fields_of(webhook_subscription, true) {
                Ok(fields) => fields,
                Err(errors) => return refused(errors),
            };
            let services = ctx.data::<Arc<Services>>()?;
            let version = ctx.data::<ApiVersion>()?.to_string();
            let topic = topic.stored();
            match services
                .engine
                .store()
                .create_subscription(*ctx.data::<ShopId>()?, topic, &version, &fields)
                .await
                .or_internal()?
            {
                Ok(created) => Ok(WebhookSubscriptionCreatePayload {
                    webhook_subscription: Some(WebhookSubscription(created)),
                    user_errors: vec![],
                }),
                Err(CreateRefused::AddressTaken) => refused(address_taken()),
                Err(CreateRefused::LimitReached) => refused(error(
                    &["webhookSubscription"],
                    &format!(
                        "A shop can have at most {MAX_SUBSCRIPTIONS_PER_SHOP} webhook subscriptions"
                    ),
                )),
            }
        })
        .await
    }

    /// Changes a subscription's attributes.
    async fn webhook_subscription_update(
        &self,
        ctx: &Context<'_>,
        id: ID,
        webhook_subscription: WebhookSubscriptionInput,
    ) -> async_graphql::Result<Option<WebhookSubscriptionUpdatePayload>> {
        nullable(async move {
            let refused = |user_errors| {
                Ok(WebhookSubscriptionUpdatePayload {
                    webhook_subscription: None,
                    user_errors,
                })
            };
            let fields = match fields_of(webhook_subscription, false) {
                Ok(fields) => fields,
                Err(errors) => return refused(errors),
            };
            let not_found = || refused(error(&["id"], "Webhook subscription does not exist"));
            let Some(id) = subscription_id(&id) else {
                return not_found();
            };
            let store = ctx.data::<Arc<Services>>()?.engine.store();
            match store
                .update_subscription(*ctx.data::<ShopId>()?, id, &fields)
                .await
                .or_internal()?
            {
                Ok(Some(updated)) => Ok(WebhookSubscriptionUpdatePayload {
                    webhook_subscription: Some(WebhookSubscription(updated)),
                    user_errors: vec![],
                }),
                Ok(None) => not_found(),
                Err(AddressTaken) => refused(address_taken()),
            }
        })
        .await
    }

    /// Removes a subscription.
    async fn webhook_subscription_delete(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<WebhookSubscriptionDeletePayload>> {
        nullable(async move {
            let store = ctx.data::<Arc<Services>>()?.engine.store();
            let deleted = match subscription_id(&id) {
                Some(numeric) => store
                    .delete_subscription(*ctx.data::<ShopId>()?, numeric)
                    .await
                    .or_internal()?,
                None => false,
            };
            Ok(if deleted {
                WebhookSubscriptionDeletePayload {
                    deleted_webhook_subscription_id: Some(id),
                    user_errors: vec![],
                }
            } else {
                WebhookSubscriptionDeletePayload {
                    deleted_webhook_subscription_id: None,
                    user_errors: error(&["id"], "Webhook subscription does not exist"),
                }
            })
        })
        .await
    }
}

#[derive(Default)]
pub struct WebhookQuery;

#[Object]
impl WebhookQuery {
    /// A subscription of this shop by id.
    async fn webhook_subscription(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<WebhookSubscription>> {
        let Some(id) = subscription_id(&id) else {
            return Ok(None);
        };
        let store = ctx.data::<Arc<Services>>()?.engine.store();
        Ok(store
            .subscription(*ctx.data::<ShopId>()?, id)
            .await
            .or_internal()?
            .map(WebhookSubscription))
    }

    /// This shop's subscriptions in creation order.
    async fn webhook_subscriptions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        topics: Option<Vec<WebhookSubscriptionTopic>>,
    ) -> async_graphql::Result<Connection<String, WebhookSubscription>> {
        let first = first.ok_or("you must provide one of first or last")?;
        if !(0..=250).contains(&first) {
            return Err("The page size must be between 0 and 250.".into());
        }
        let after = after
            .map(|cursor| cursor.parse::<i64>().map_err(|_| "invalid cursor"))
            .transpose()?;
        let topics: Option<Vec<String>> = topics.map(|topics| {
            topics
                .into_iter()
                .map(|topic| topic.stored().to_owned())
                .collect()
        });
        let store = ctx.data::<Arc<Services>>()?.engine.store();
        let mut rows = store
            .subscriptions(
                *ctx.data::<ShopId>()?,
                topics.as_deref(),
                after,
                i64::from(first) + 1,
            )
            .await
            .or_internal()?;
        let more = rows.len() > first as usize;
        rows.truncate(first as usize);
        let mut connection = Connection::new(after.is_some(), more);
        connection.edges.extend(
            rows.into_iter()
                .map(|row| Edge::new(row.id.to_string(), WebhookSubscription(row))),
        );
        Ok(connection)
    }
}
