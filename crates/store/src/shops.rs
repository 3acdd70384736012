//! Shops and their access tokens. A token names exactly one shop and carries its scopes.

use crate::{Result, Store};
use stevedore_core::ShopId;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shop {
    pub id: ShopId,
    pub domain: String,
    pub webhook_secret: String,
}

impl Shop {
    /// The shop's name. Shops here are made from a domain alone, so the name is the domain's
    /// first label (`demo` for `demo.myshopify.com`), as a new store's name starts out.
    pub fn name(&self) -> &str {
        self.domain.split('.').next().unwrap_or(&self.domain)
    }
}

/// Who is calling: the shop a token belongs to, and what the token may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub shop: Shop,
    /// The token the caller presented; rate limits are kept per token.
    pub token: String,
    pub scopes: stevedore_core::Scopes,
}

impl Store {
    /// Creates the shop if it is new (keeping an existing shop's secret unless one is given) and
    /// adds `token` to it.
    pub async fn create_shop_token(
        &self,
        domain: &str,
        token: &str,
        scopes: &[String],
        secret: &str,
        replace_secret: bool,
    ) -> Result<Shop> {
        let now = self.now_millis();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO shops (domain, webhook_secret, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (domain) DO UPDATE SET webhook_secret =
                CASE WHEN $4 THEN excluded.webhook_secret ELSE shops.webhook_secret END",
        )
        .bind(domain)
        .bind(secret)
        .bind(now)
        .bind(replace_secret)
        .execute(&mut *tx)
        .await?;
        let (id, webhook_secret): (i64, String) =
            sqlx::query_as("SELECT id, webhook_secret FROM shops WHERE domain = $1")
                .bind(domain)
                .fetch_one(&mut *tx)
                .await?;
        sqlx::query(
            "INSERT INTO access_tokens (token, shop_id, scopes, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (token) DO UPDATE SET shop_id = excluded.shop_id, scopes = excluded.scopes",
        )
        .bind(token)
        .bind(id)
        .bind(scopes.join(","))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Shop {
            id: ShopId(id),
            domain: domain.to_owned(),
            webhook_secret,
        })
    }

    /// Creates the shop `domain` under the id `id` unless a shop has either already: a shop
    /// brought over from another platform keeps its global id (`gid://shopify/Shop/{id}`), so
    /// the ids an app stored for it stay valid. Answers the shop that holds the domain, or
    /// `None` when the id is another domain's.
    pub async fn create_shop_with_id(
        &self,
        id: ShopId,
        domain: &str,
        secret: &str,
    ) -> Result<Option<Shop>> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO shops (id, domain, webhook_secret, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING",
        )
        .bind(id.0)
        .bind(domain)
        .bind(secret)
        .bind(self.now_millis())
        .execute(&mut *tx)
        .await?;
        let row: Option<(i64, String)> =
            sqlx::query_as("SELECT id, webhook_secret FROM shops WHERE domain = $1")
                .bind(domain)
                .fetch_optional(&mut *tx)
                .await?;
        tx.commit().await?;
        Ok(row.map(|(id, webhook_secret)| Shop {
            id: ShopId(id),
            domain: domain.to_owned(),
            webhook_secret,
        }))
    }

    /// The shop with the id `id`, if there is one.
    pub async fn shop(&self, id: ShopId) -> Result<Option<Shop>> {
        let row: Option<(String, String)> =
            sqlx::query_as("SELECT domain, webhook_secret FROM shops WHERE id = $1")
                .bind(id.0)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(domain, webhook_secret)| Shop {
            id,
            domain,
            webhook_secret,
        }))
    }

    pub async fn authenticate(&self, token: &str) -> Result<Option<Caller>> {
        let row: Option<(i64, String, String, String)> = sqlx::query_as(
            "SELECT s.id, s.domain, s.webhook_secret, t.scopes
             FROM access_tokens t JOIN shops s ON s.id = t.shop_id WHERE t.token = $1",
        )
        .bind(token)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(id, domain, webhook_secret, scopes)| Caller {
            shop: Shop {
                id: ShopId(id),
                domain,
                webhook_secret,
            },
            token: token.to_owned(),
            scopes: stevedore_core::Scopes::parse(&scopes),
        }))
    }
}
