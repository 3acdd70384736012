//! Metafields of the catalog's objects (products, variants, collections): the `Metafield` read,
//! the `metafield(namespace:, key:)` / `metafields` fields of their owners, and `metafieldsSet` /
//! `metafieldsDelete`. Values are checked against their type (see `value`).

pub(crate) mod definition;
pub(crate) mod mutation;
pub(crate) mod value;

use crate::db::CatalogDb;
use crate::error::CatalogResult;
use crate::paging::{IdCursor, Window};
use async_graphql::connection::Connection;
use async_graphql::{Context, Object, ID};
use futures::FutureExt;
use sha2::Digest;
use stevedore_core::clock::from_millis;
use stevedore_core::scalars::{DateTime, UnsignedInt64};
use stevedore_core::{Gid, ShopId};
use stevedore_store::AnyConnection;

/// The owners metafields may have here: the global id type, and the owner type named in rows
/// and answers (`MetafieldOwnerType`).
pub(crate) const OWNERS: &[(&str, &str, &str)] = &[
    ("Product", "PRODUCT", "products"),
    ("ProductVariant", "PRODUCTVARIANT", "product_variants"),
    ("Collection", "COLLECTION", "collections"),
    // The shop itself: the `shops` row of the request's shop.
    ("Shop", "SHOP", "shops"),
];

/// The owner type and table of a global id type that may own metafields.
pub(crate) fn owner_of(gid_type: &str) -> Option<(&'static str, &'static str)> {
    OWNERS
        .iter()
        .find(|(name, _, _)| *name == gid_type)
        .map(|(_, owner, table)| (*owner, *table))
}

#[derive(sqlx::FromRow, Debug, Clone)]
pub(crate) struct MetafieldRow {
    pub(crate) id: i64,
    pub(crate) owner_type: String,
    #[allow(dead_code)]
    pub(crate) owner_id: i64,
    pub(crate) namespace: String,
    pub(crate) key: String,
    #[sqlx(rename = "type")]
    pub(crate) kind: String,
    pub(crate) value: String,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
}

pub(crate) const COLUMNS: &str =
    "id, owner_type, owner_id, namespace, key, type, value, created_at, updated_at";

impl MetafieldRow {
    /// `compareDigest`: a digest of what the value is, which changes whenever it does.
    pub(crate) fn digest(&self) -> String {
        let mut hasher = sha2::Sha256::new();
        for part in [&self.namespace, &self.key, &self.kind, &self.value] {
            hasher.update(part.as_bytes());
            hasher.update([0]);
        }
        hasher.update(self.updated_at.to_le_bytes());
        hex::encode(hasher.finalize())
    }
}

/// `Metafield`.
#[derive(Debug, Clone)]
pub struct Metafield(pub(crate) MetafieldRow);

impl Metafield {
    async fn definition_row(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<definition::storage::DefinitionRow>> {
        let shop = *ctx.data::<ShopId>()?;
        Ok(definition::of_key(
            ctx.data::<CatalogDb>()?,
            shop,
            self.0.owner_type.clone(),
            self.0.namespace.clone(),
            self.0.key.clone(),
        )
        .await?)
    }
}

#[Object]
impl Metafield {
    pub async fn id(&self) -> ID {
        ID(Gid::new("Metafield", self.0.id).to_string())
    }
    async fn legacy_resource_id(&self) -> UnsignedInt64 {
        UnsignedInt64(self.0.id as u64)
    }
    async fn namespace(&self) -> &str {
        &self.0.namespace
    }
    async fn key(&self) -> &str {
        &self.0.key
    }
    #[graphql(name = "type")]
    async fn kind(&self) -> &str {
        &self.0.kind
    }
    async fn value(&self) -> &str {
        &self.0.value
    }
    async fn json_value(&self) -> async_graphql::Json<serde_json::Value> {
        async_graphql::Json(value::json_of(&self.0.kind, &self.0.value))
    }
    async fn compare_digest(&self) -> String {
        self.0.digest()
    }
    async fn owner_type(&self) -> &str {
        &self.0.owner_type
    }
    /// The description of its definition, if it has one.
    async fn description(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        Ok(self
            .definition_row(ctx)
            .await?
            .and_then(|row| row.description))
    }
    /// The definition its owner type, namespace and key have, if any.
    async fn definition(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<definition::MetafieldDefinition>> {
        Ok(self
            .definition_row(ctx)
            .await?
            .map(definition::MetafieldDefinition))
    }
    async fn created_at(&self) -> DateTime {
        DateTime(from_millis(self.0.created_at))
    }
    async fn updated_at(&self) -> DateTime {
        DateTime(from_millis(self.0.updated_at))
    }
}

/// The metafields of an owner, in id order (those of `namespace` only, if given).
pub(crate) async fn of_owner(
    conn: &mut AnyConnection,
    shop: ShopId,
    owner_type: &str,
    owner_id: i64,
) -> CatalogResult<Vec<MetafieldRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM metafields WHERE shop_id = $1 AND owner_type = $2 AND owner_id = $3 ORDER BY id"
    );
    Ok(sqlx::query_as(&sql)
        .bind(shop.0)
        .bind(owner_type)
        .bind(owner_id)
        .fetch_all(conn)
        .await?)
}

/// `metafield(namespace:, key:)` of an owner.
pub(crate) async fn field_of(
    ctx: &Context<'_>,
    owner_type: &'static str,
    owner_id: i64,
    namespace: Option<String>,
    key: String,
) -> async_graphql::Result<Option<Metafield>> {
    let namespace = namespace.map(|given| mutation::namespace_of(Some(&given)));
    let shop = *ctx.data::<ShopId>()?;
    let rows = ctx
        .data::<CatalogDb>()?
        .read(move |conn| of_owner(conn, shop, owner_type, owner_id).boxed())
        .await?;
    Ok(rows
        .into_iter()
        .find(|row| {
            row.key == key
                && namespace
                    .as_deref()
                    .is_none_or(|namespace| row.namespace == namespace)
        })
        .map(Metafield))
}

/// A connection's paging arguments.
pub(crate) struct Page {
    pub(crate) first: Option<i32>,
    pub(crate) after: Option<String>,
    pub(crate) last: Option<i32>,
    pub(crate) before: Option<String>,
    pub(crate) reverse: Option<bool>,
}

/// `metafields(namespace:, keys:, first: …)` of an owner.
pub(crate) async fn connection_of(
    ctx: &Context<'_>,
    owner_type: &'static str,
    owner_id: i64,
    namespace: Option<String>,
    keys: Option<Vec<String>>,
    page: Page,
) -> async_graphql::Result<Connection<IdCursor, Metafield>> {
    let Page {
        first,
        after,
        last,
        before,
        reverse,
    } = page;
    let window = Window::from_arguments(first, last, after, before, reverse.unwrap_or(false))?;
    let namespace = namespace.map(|given| mutation::namespace_of(Some(&given)));
    let shop = *ctx.data::<ShopId>()?;
    let rows = ctx
        .data::<CatalogDb>()?
        .read(move |conn| of_owner(conn, shop, owner_type, owner_id).boxed())
        .await?;
    let wanted = |row: &MetafieldRow| {
        namespace
            .as_deref()
            .is_none_or(|namespace| row.namespace == namespace)
            && keys.as_ref().is_none_or(|keys| {
                keys.iter()
                    .any(|key| *key == format!("{}.{}", row.namespace, row.key))
            })
    };
    let found: Vec<Metafield> = rows.into_iter().filter(wanted).map(Metafield).collect();
    Ok(window.page_in_order(found, |metafield| metafield.0.id))
}

/// Deletes the metafields of owners gone (`owner_ids` of `owner_type`).
pub(crate) async fn delete_of_owners(
    conn: &mut AnyConnection,
    shop: ShopId,
    owner_type: &str,
    owner_ids: &[i64],
) -> CatalogResult<()> {
    if owner_ids.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "DELETE FROM metafields WHERE shop_id = $1 AND owner_type = $2 AND owner_id IN ({})",
        crate::sql::numbered(3, owner_ids.len())
    );
    let mut query = sqlx::query(&sql).bind(shop.0).bind(owner_type);
    for id in owner_ids {
        query = query.bind(*id);
    }
    query.execute(conn).await?;
    Ok(())
}
