-- Webhook subscriptions and their durable delivery outbox.

CREATE TABLE webhook_subscriptions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    shop_id INTEGER NOT NULL REFERENCES shops (id),
    topic TEXT NOT NULL,
    uri TEXT NOT NULL,
    format TEXT NOT NULL,
    include_fields TEXT NOT NULL DEFAULT '[]',
    filter TEXT,
    name TEXT,
    api_version TEXT NOT NULL,
    -- Deliveries that ended failed in a row; at the limit the subscription is removed.
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (shop_id, topic, uri)
);

-- One row per (event, subscription), written in the same transaction as the event itself, so a
-- crash between "operation finished" and "webhook sent" loses nothing. The address and body are
-- fixed when the event happens; retries resend them unchanged.
CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    subscription_id INTEGER NOT NULL,
    shop_id INTEGER NOT NULL REFERENCES shops (id),
    webhook_id TEXT NOT NULL UNIQUE,
    event_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    uri TEXT NOT NULL,
    api_version TEXT NOT NULL,
    body TEXT NOT NULL,
    triggered_at INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error TEXT,
    delivered_at INTEGER,
    lease_owner TEXT,
    lease_until INTEGER
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
