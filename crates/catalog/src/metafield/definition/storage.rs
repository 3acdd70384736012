//! The `metafield_definitions` table.

use super::rules::Validation;
use crate::error::CatalogResult;
use stevedore_core::ShopId;
use stevedore_store::AnyConnection;

#[derive(sqlx::FromRow, Debug, Clone)]
pub(crate) struct DefinitionRow {
    pub(crate) id: i64,
    pub(crate) owner_type: String,
    pub(crate) namespace: String,
    pub(crate) key: String,
    pub(crate) name: String,
    pub(crate) description: Option<String>,
    #[sqlx(rename = "type")]
    pub(crate) type_name: String,
    /// JSON: a list of `{name, value}`.
    pub(crate) validations: String,
    pub(crate) pinned_position: Option<i64>,
    pub(crate) created_at: i64,
}

impl DefinitionRow {
    pub(crate) fn validations(&self) -> Vec<Validation> {
        serde_json::from_str(&self.validations).unwrap_or_default()
    }
}

pub(crate) const COLUMNS: &str = "id, owner_type, namespace, key, name, description, type, \
     validations, pinned_position, created_at";

/// The definition of `shop` for metafields of `owner_type` at `namespace` and `key`.
pub(crate) async fn find_by_key(
    conn: &mut AnyConnection,
    shop: ShopId,
    owner_type: &str,
    namespace: &str,
    key: &str,
) -> CatalogResult<Option<DefinitionRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM metafield_definitions
         WHERE shop_id = $1 AND owner_type = $2 AND namespace = $3 AND key = $4"
    );
    Ok(sqlx::query_as(&sql)
        .bind(shop.0)
        .bind(owner_type)
        .bind(namespace)
        .bind(key)
        .fetch_optional(conn)
        .await?)
}

/// The definition each of `keys` (owner type, namespace, key) falls under, if any, of `shop`.
/// A bulk chunk that has not yet written reads each owner type's definitions once (see
/// [`crate::db::ChunkTransaction::definitions`]); otherwise each key is looked up.
pub(crate) async fn find_by_keys(
    db: &crate::db::CatalogDb,
    shop: ShopId,
    keys: Vec<(String, String, String)>,
) -> CatalogResult<Vec<Option<DefinitionRow>>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    if let crate::db::CatalogDb::Chunk(chunk) = db {
        let owner_types: Vec<String> = keys.iter().map(|(owner, _, _)| owner.clone()).collect();
        if let Some(of_owners) = chunk.definitions(shop, &owner_types).await? {
            return Ok(keys
                .iter()
                .zip(of_owners)
                .map(|((_, namespace, key), definitions)| {
                    definitions
                        .iter()
                        .find(|found| found.namespace == *namespace && found.key == *key)
                        .cloned()
                })
                .collect());
        }
    }
    db.read(move |conn| {
        Box::pin(async move {
            let mut found = Vec::with_capacity(keys.len());
            for (owner, namespace, key) in &keys {
                found.push(find_by_key(conn, shop, owner, namespace, key).await?);
            }
            Ok(found)
        })
    })
    .await
}

pub(crate) async fn find(
    conn: &mut AnyConnection,
    shop: ShopId,
    id: i64,
) -> CatalogResult<Option<DefinitionRow>> {
    let sql = format!("SELECT {COLUMNS} FROM metafield_definitions WHERE shop_id = $1 AND id = $2");
    Ok(sqlx::query_as(&sql)
        .bind(shop.0)
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

/// Every definition of `shop` for `owner_type`, in id order.
pub(crate) async fn of_owner_type(
    conn: &mut AnyConnection,
    shop: ShopId,
    owner_type: &str,
) -> CatalogResult<Vec<DefinitionRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM metafield_definitions WHERE shop_id = $1 AND owner_type = $2
         ORDER BY id"
    );
    Ok(sqlx::query_as(&sql)
        .bind(shop.0)
        .bind(owner_type)
        .fetch_all(conn)
        .await?)
}

/// Writes a new definition (its id 0: the table's next, or a restored one's own).
pub(crate) async fn insert(
    conn: &mut AnyConnection,
    shop: ShopId,
    row: &DefinitionRow,
) -> CatalogResult<DefinitionRow> {
    let (id_column, id_value) = if row.id == 0 {
        ("", "")
    } else {
        ("id, ", "$11, ")
    };
    let sql = format!(
        "INSERT INTO metafield_definitions ({id_column}shop_id, owner_type, namespace, key, name,
             description, type, validations, pinned_position, created_at, updated_at)
         VALUES ({id_value}$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING {COLUMNS}"
    );
    let query = sqlx::query_as(&sql)
        .bind(shop.0)
        .bind(row.owner_type.as_str())
        .bind(row.namespace.as_str())
        .bind(row.key.as_str())
        .bind(row.name.as_str())
        .bind(row.description.as_deref())
        .bind(row.type_name.as_str())
        .bind(row.validations.as_str())
        .bind(row.pinned_position)
        .bind(row.created_at);
    let query = if row.id == 0 {
        query
    } else {
        query.bind(row.id)
    };
    Ok(query.fetch_one(conn).await?)
}

/// Writes what an update may change of a definition: its name, description, validations and
/// pinned position.
pub(crate) async fn update(
    conn: &mut AnyConnection,
    shop: ShopId,
    row: &DefinitionRow,
    now: i64,
) -> CatalogResult<DefinitionRow> {
    let sql = format!(
        "UPDATE metafield_definitions SET name = $1, description = $2, validations = $3,
             pinned_position = $4, updated_at = $5
         WHERE id = $6 AND shop_id = $7 RETURNING {COLUMNS}"
    );
    Ok(sqlx::query_as(&sql)
        .bind(row.name.as_str())
        .bind(row.description.as_deref())
        .bind(row.validations.as_str())
        .bind(row.pinned_position)
        .bind(now)
        .bind(row.id)
        .bind(shop.0)
        .fetch_one(conn)
        .await?)
}

/// Deletes definition `id`; with `values`, the metafields written under it as well.
pub(crate) async fn delete(
    conn: &mut AnyConnection,
    shop: ShopId,
    row: &DefinitionRow,
    values: bool,
) -> CatalogResult<()> {
    sqlx::query("DELETE FROM metafield_definitions WHERE id = $1 AND shop_id = $2")
        .bind(row.id)
        .bind(shop.0)
        .execute(&mut *conn)
        .await?;
    if values {
        sqlx::query(
            "DELETE FROM metafields
             WHERE shop_id = $1 AND owner_type = $2 AND namespace = $3 AND key = $4",
        )
        .bind(shop.0)
        .bind(row.owner_type.as_str())
        .bind(row.namespace.as_str())
        .bind(row.key.as_str())
        .execute(conn)
        .await?;
    }
    Ok(())
}

/// How many metafields are written under the definition's owner type, namespace and key.
pub(crate) async fn values_count(
    conn: &mut AnyConnection,
    shop: ShopId,
    row: &DefinitionRow,
) -> CatalogResult<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM metafields
         WHERE shop_id = $1 AND owner_type = $2 AND namespace = $3 AND key = $4",
    )
    .bind(shop.0)
    .bind(row.owner_type.as_str())
    .bind(row.namespace.as_str())
    .bind(row.key.as_str())
    .fetch_one(conn)
    .await?)
}
