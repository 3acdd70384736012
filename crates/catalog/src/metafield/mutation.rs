//! `metafieldsSet` and `metafieldsDelete`, and the setting of metafields other mutations carry
//! (`productSet`'s, a variant input's): one check and one write for all of them.

use super::value::{known_type, normalize, referenced_type};
use super::{owner_of, Metafield, MetafieldRow, COLUMNS};
use crate::db::CatalogDb;
use crate::error::CatalogResult;
use crate::product::mutation::{now_millis, shop};
use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use futures::FutureExt;
use stevedore_core::{nullable, Gid, RequireScope, ShopId};
use stevedore_store::AnyConnection;

/// The most metafields one `metafieldsSet` sets.
const MAX_SET: usize = 25;
/// The namespace of a metafield set without one: the app's own.
pub(crate) const APP_NAMESPACE: &str = "app--1";
/// The namespace a metafield input means: the app's own when it gives none, and `$app` (alone
/// or as the `$app:` prefix) expanded to it, as the hosted API expands it.
pub(crate) fn namespace_of(given: Option<&str>) -> String {
    match given {
        None | Some("$app") => APP_NAMESPACE.to_owned(),
        Some(given) => match given.strip_prefix("$app:") {
            Some(rest) => format!("{APP_NAMESPACE}--{rest}"),
            None => given.to_owned(),
        },
    }
}

const RESERVED_NAMESPACES: &[&str] = &["shopify_standard", "protected", "shopify-l10n-fields"];

/// `MetafieldsSetInput`.
#[derive(InputObject, Clone, Debug)]
pub struct MetafieldsSetInput {
    pub owner_id: ID,
    pub namespace: Option<String>,
    pub key: String,
    pub value: String,
    #[graphql(name = "type")]
    pub kind: Option<String>,
    pub compare_digest: Option<String>,
}

/// `MetafieldIdentifierInput`.
#[derive(InputObject, Clone, Debug)]
pub struct MetafieldIdentifierInput {
    pub owner_id: ID,
    pub namespace: String,
    pub key: String,
}

/// `MetafieldIdentifier`.
#[derive(SimpleObject, Clone, Debug)]
pub struct MetafieldIdentifier {
    owner_id: ID,
    namespace: String,
    key: String,
}

/// `MetafieldsSetUserError`.
#[derive(SimpleObject, Clone, Debug, PartialEq, Eq)]
pub struct MetafieldsSetUserError {
    pub field: Option<Vec<String>>,
    pub message: String,
    pub code: Option<String>,
    pub element_index: Option<i32>,
}

#[derive(SimpleObject)]
pub struct MetafieldsSetPayload {
    metafields: Option<Vec<Metafield>>,
    user_errors: Vec<MetafieldsSetUserError>,
}

#[derive(SimpleObject)]
pub struct MetafieldsDeletePayload {
    deleted_metafields: Option<Vec<Option<MetafieldIdentifier>>>,
    user_errors: Vec<crate::UserError>,
}

/// One metafield to set on one owner.
#[derive(Clone, Debug)]
pub(crate) struct Setting {
    pub(crate) owner_type: &'static str,
    /// 0 for an owner still to be made (its id is filled in before the write).
    pub(crate) owner_id: i64,
    pub(crate) namespace: String,
    pub(crate) key: String,
    pub(crate) kind: Option<String>,
    pub(crate) value: String,
    pub(crate) compare_digest: Option<String>,
}

/// A setting refused: where (under the input's own path), and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub(crate) index: usize,
    /// The field under the setting's place (`value`, `key`, …), empty for the setting itself.
    pub(crate) field: Option<&'static str>,
    pub(crate) message: String,
    pub(crate) code: Option<&'static str>,
    pub(crate) element: Option<usize>,
}

impl Refusal {
    fn new(
        index: usize,
        field: Option<&'static str>,
        message: impl Into<String>,
        code: Option<&'static str>,
    ) -> Self {
        Self {
            index,
            field,
            message: message.into(),
            code,
            element: None,
        }
    }

    /// As `metafieldsSet` reports it: under `metafields.<index>`.
    fn set_error(&self) -> MetafieldsSetUserError {
        let mut field = vec!["metafields".to_owned(), self.index.to_string()];
        field.extend(self.field.map(str::to_owned));
        MetafieldsSetUserError {
            field: Some(field),
            message: self.message.clone(),
            code: self.code.map(str::to_owned),
            element_index: self.element.map(|index| index as i32),
        }
    }
}

/// The checks that need no database, in the hosted API's order; the settings' values come back
/// normalized.
fn check_settings(settings: &mut [Setting]) -> Vec<Refusal> {
    let mut refusals = Vec::new();
    for (index, setting) in settings.iter_mut().enumerate() {
        let namespace = setting.namespace.chars().count();
        if namespace < 3 {
            refusals.push(Refusal::new(
                index,
                Some("namespace"),
                "Namespace is too short (minimum is 3 characters)",
                Some("TOO_SHORT"),
            ));
        } else if namespace > 255 {
            refusals.push(Refusal::new(
                index,
                Some("namespace"),
                "Namespace is too long (maximum is 255 characters)",
                Some("TOO_LONG"),
            ));
        } else if RESERVED_NAMESPACES.contains(&setting.namespace.as_str()) {
            refusals.push(Refusal::new(
                index,
                Some("namespace"),
                format!("Namespace {} is a reserved namespace", setting.namespace),
                None,
            ));
        }
        let key = setting.key.chars().count();
        if key < 2 {
            refusals.push(Refusal::new(
                index,
                Some("key"),
                "Key is too short (minimum is 2 characters)",
                Some("TOO_SHORT"),
            ));
        } else if key > 64 {
            refusals.push(Refusal::new(
                index,
                Some("key"),
                "Key is too long (maximum is 64 characters)",
                Some("TOO_LONG"),
            ));
        }
        let Some(kind) = setting.kind.clone().filter(|kind| !kind.trim().is_empty()) else {
            refusals.push(Refusal::new(
                index,
                Some("type"),
                "Type can't be blank",
                Some("BLANK"),
            ));
            continue;
        };
        if !known_type(&kind) {
            refusals.push(Refusal::new(
                index,
                Some("type"),
                format!("Type '{kind}' is not a valid type."),
                Some("INVALID_TYPE"),
            ));
            continue;
        }
        match normalize(&kind, &setting.value) {
            Ok((stored, _)) => setting.value = stored,
            Err(misfit) => refusals.push(Refusal {
                element: misfit.element,
                ..Refusal::new(index, Some("value"), misfit.message, Some("INVALID_VALUE"))
            }),
        }
    }
    refusals
}

/// The checks against what the shop has: owners, referenced objects, compare digests.
async fn check_against_shop(
    conn: &mut AnyConnection,
    shop: ShopId,
    settings: &[Setting],
) -> CatalogResult<Vec<Refusal>> {
    let mut refusals = Vec::new();
    for (index, setting) in settings.iter().enumerate() {
        if setting.owner_id != 0 {
            let table = super::OWNERS
                .iter()
                .find(|(_, owner, _)| *owner == setting.owner_type)
                .map_or("products", |(_, _, table)| *table);
            if !exists(conn, shop, table, setting.owner_id).await? {
                refusals.push(Refusal::new(
                    index,
                    Some("ownerId"),
                    "Owner does not exist.",
                    Some("INVALID_VALUE"),
                ));
                continue;
            }
        }
        let kind = setting.kind.as_deref().unwrap_or_default();
        if let Some(target) = referenced_type(kind) {
            let (_, references) = normalize(kind, &setting.value).unwrap_or_default();
            for reference in references {
                let found = match Gid::parse_as(&reference, target) {
                    Ok(id) => {
                        let table = owner_of(target).map_or("products", |(_, table)| table);
                        exists(conn, shop, table, id).await?
                    }
                    Err(_) => false,
                };
                if !found {
                    refusals.push(Refusal::new(
                        index,
                        Some("value"),
                        format!("Value references non-existent resource {reference}."),
                        Some("INVALID_VALUE"),
                    ));
                    break;
                }
            }
        }
        if let Some(digest) = &setting.compare_digest {
            let current = current(conn, shop, setting).await?;
            match current {
                None => refusals.push(Refusal::new(
                    index,
                    None,
                    "Invalid `compareDigest` value.",
                    Some("INVALID_COMPARE_DIGEST"),
                )),
                Some(current) if current.digest() != *digest && current.value != setting.value => {
                    refusals.push(Refusal::new(index, None, "The resource has been updated since it was loaded. Try again with an updated `compareDigest` value.", Some("STALE_OBJECT")));
                }
                Some(_) => {}
            }
        }
    }
    Ok(refusals)
}

async fn exists(
    conn: &mut AnyConnection,
    shop: ShopId,
    table: &str,
    id: i64,
) -> CatalogResult<bool> {
    let sql = format!("SELECT 1 FROM {table} WHERE id = $1 AND shop_id = $2");
    let found: Option<i32> = sqlx::query_scalar(&sql)
        .bind(id)
        .bind(shop.0)
        .fetch_optional(conn)
        .await?;
    Ok(found.is_some())
}

async fn current(
    conn: &mut AnyConnection,
    shop: ShopId,
    setting: &Setting,
) -> CatalogResult<Option<MetafieldRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM metafields WHERE shop_id = $1 AND owner_type = $2 AND owner_id = $3
         AND namespace = $4 AND key = $5"
    );
    Ok(sqlx::query_as(&sql)
        .bind(shop.0)
        .bind(setting.owner_type)
        .bind(setting.owner_id)
        .bind(setting.namespace.as_str())
        .bind(setting.key.as_str())
        .fetch_optional(conn)
        .await?)
}

/// Checks `settings` (normalizing their values); the refusals, none if all may be written.
pub(crate) async fn check(
    db: &CatalogDb,
    shop: ShopId,
    settings: &mut [Setting],
) -> CatalogResult<Vec<Refusal>> {
    // The definitions the settings fall under: a setting without a type takes its
    // definition's, and its value must meet the definition's validations.
    let keys: Vec<(String, String, String)> = settings
        .iter()
        .map(|setting| {
            (
                setting.owner_type.to_owned(),
                setting.namespace.clone(),
                setting.key.clone(),
            )
        })
        .collect();
    let definitions = super::definition::storage::find_by_keys(db, shop, keys).await?;
    for (setting, definition) in settings.iter_mut().zip(&definitions) {
        if let (None, Some(definition)) = (&setting.kind, definition) {
            setting.kind = Some(definition.type_name.clone());
        }
    }
    let mut refusals = check_settings(settings);
    if refusals.is_empty() {
        for (index, (setting, definition)) in settings.iter().zip(&definitions).enumerate() {
            let Some(definition) = definition else {
                continue;
            };
            let kind = setting.kind.as_deref().unwrap_or_default();
            if let Some(message) =
                super::definition::rules::violation(kind, &definition.validations(), &setting.value)
            {
                refusals.push(Refusal::new(
                    index,
                    Some("value"),
                    message,
                    Some("INVALID_VALUE"),
                ));
            }
        }
    }
    if !refusals.is_empty() {
        return Ok(refusals);
    }
    // Only an owner named by id and a reference need the database.
    let needs_shop = settings.iter().any(|setting| {
        setting.owner_id != 0
            || referenced_type(setting.kind.as_deref().unwrap_or_default()).is_some()
    });
    if !needs_shop {
        return Ok(refusals);
    }
    let checked = settings.to_vec();
    db.read(move |conn| async move { check_against_shop(conn, shop, &checked).await }.boxed())
        .await
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Binds a setting's values in the `metafields` columns' order from `shop_id` to `value`,
/// after what `query` has bound.
fn bind_setting<'q>(query: AnyQuery<'q>, shop: ShopId, setting: &'q Setting) -> AnyQuery<'q> {
    query
        .bind(shop.0)
        .bind(setting.owner_type)
        .bind(setting.owner_id)
        .bind(setting.namespace.as_str())
        .bind(setting.key.as_str())
        .bind(setting.kind.as_deref().unwrap_or_default())
        .bind(setting.value.as_str())
}

/// Writes checked settings (the last of several for one metafield wins), in order.
pub(crate) async fn write(
    conn: &mut AnyConnection,
    shop: ShopId,
    settings: &[Setting],
    now: i64,
) -> CatalogResult<Vec<MetafieldRow>> {
    let sql = format!(
        "INSERT INTO metafields (shop_id, owner_type, owner_id, namespace, key, type, value, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
         ON CONFLICT (shop_id, owner_type, owner_id, namespace, key)
         DO UPDATE SET type = excluded.type, value = excluded.value, updated_at = excluded.updated_at
         RETURNING {COLUMNS}"
    );
    let mut written = Vec::with_capacity(settings.len());
    for setting in settings {
        let row = bind_setting(sqlx::query(&sql), shop, setting)
            .bind(now)
            .fetch_one(&mut *conn)
            .await?;
        let row: MetafieldRow = sqlx::FromRow::from_row(&row)?;
        written.push(row);
    }
    Ok(written)
}

/// Writes the metafields of recorded products and their variants (new, as their owners are),
/// in multi-row inserts.
pub(crate) async fn insert_new(
    conn: &mut AnyConnection,
    dialect: stevedore_store::Dialect,
    metafields: &[(ShopId, &crate::pending::RecordedMetafield)],
) -> CatalogResult<()> {
    const COLUMNS: &str =
        "id, shop_id, owner_type, owner_id, namespace, key, type, value, created_at, updated_at";
    const PER_ROW: usize = 10;
    for batch in metafields.chunks(crate::sql::rows_per_insert(PER_ROW, 500)) {
        let sql =
            crate::sql::multi_row_insert(dialect, "metafields", COLUMNS, PER_ROW, batch.len());
        let mut query = sqlx::query(&sql);
        for &(shop, metafield) in batch {
            query = bind_setting(query.bind(metafield.id), shop, &metafield.setting)
                .bind(metafield.at)
                .bind(metafield.at);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Writes checked settings through `db` (see [`write`]).
pub(crate) async fn write_all(
    db: &CatalogDb,
    shop: ShopId,
    settings: Vec<Setting>,
    now: i64,
) -> CatalogResult<Vec<MetafieldRow>> {
    db.write(move |conn| async move { write(conn, shop, &settings, now).await }.boxed())
        .await
}

/// The settings a `metafields` list of another input asks for, on an owner of `owner_type`
/// (its id to come).
pub(crate) fn settings_of(
    inputs: &[crate::variant::input::MetafieldInput],
    owner_type: &'static str,
) -> Vec<Setting> {
    inputs
        .iter()
        .map(|input| Setting {
            owner_type,
            owner_id: 0,
            namespace: namespace_of(input.namespace.as_deref()),
            key: input.key.clone().unwrap_or_default(),
            kind: input.kind.clone(),
            value: input.value.clone().unwrap_or_default(),
            compare_digest: None,
        })
        .collect()
}

/// A refusal of a setting carried by another input, as a user error under `at` (the list's
/// path), in the payload's own error type.
pub(crate) fn refusal_path(at: &[&str], refusal: &Refusal) -> Vec<String> {
    let mut field: Vec<String> = at.iter().map(|part| (*part).to_owned()).collect();
    field.push(refusal.index.to_string());
    field.extend(refusal.field.map(str::to_owned));
    field
}

#[derive(Default)]
pub struct MetafieldMutation;

#[Object]
impl MetafieldMutation {
    /// Sets metafields (creating or updating each): all of them, or none when one is refused.
    #[graphql(guard = "RequireScope::new(\"metafieldsSet\", \"write_products\")")]
    async fn metafields_set(
        &self,
        ctx: &Context<'_>,
        metafields: Vec<MetafieldsSetInput>,
    ) -> async_graphql::Result<Option<MetafieldsSetPayload>> {
        nullable(async move {
            if metafields.len() > MAX_SET {
                return Ok(MetafieldsSetPayload {
                    metafields: None,
                    user_errors: vec![MetafieldsSetUserError {
                        field: Some(vec!["metafields".to_owned()]),
                        message: format!(
                            "Exceeded the maximum metafields input limit of {MAX_SET}."
                        ),
                        code: Some("LESS_THAN_OR_EQUAL_TO".to_owned()),
                        element_index: None,
                    }],
                });
            }
            let mut owner_refusals = Vec::new();
            let mut settings: Vec<Setting> = metafields
                .iter()
                .enumerate()
                .map(|(index, input)| {
                    let owner = Gid::parse(&input.owner_id)
                        .ok()
                        .and_then(|gid| owner_of(&gid.type_name).map(|(owner, _)| (owner, gid.id)));
                    let (owner_type, owner_id) = owner.unwrap_or_else(|| {
                        owner_refusals.push(Refusal::new(
                            index,
                            Some("ownerId"),
                            "Owner does not exist.",
                            Some("INVALID_VALUE"),
                        ));
                        ("PRODUCT", -1)
                    });
                    Setting {
                        owner_type,
                        owner_id,
                        namespace: namespace_of(input.namespace.as_deref()),
                        key: input.key.clone(),
                        kind: input.kind.clone(),
                        value: input.value.clone(),
                        compare_digest: input.compare_digest.clone(),
                    }
                })
                .collect();
            let db = ctx.data::<CatalogDb>()?;
            let shop = shop(ctx)?;
            let mut refusals = owner_refusals;
            if refusals.is_empty() {
                refusals = check(db, shop, &mut settings).await?;
            }
            if !refusals.is_empty() {
                return Ok(MetafieldsSetPayload {
                    metafields: Some(vec![]),
                    user_errors: refusals.iter().map(Refusal::set_error).collect(),
                });
            }
            let now = now_millis(ctx)?;
            let rows = db
                .write(move |conn| async move { write(conn, shop, &settings, now).await }.boxed())
                .await?;
            Ok(MetafieldsSetPayload {
                metafields: Some(rows.into_iter().map(Metafield).collect()),
                user_errors: vec![],
            })
        })
        .await
    }

    /// Deletes metafields by owner, namespace and key; null in the answer where there was none.
    #[graphql(guard = "RequireScope::new(\"metafieldsDelete\", \"write_products\")")]
    async fn metafields_delete(
        &self,
        ctx: &Context<'_>,
        metafields: Vec<MetafieldIdentifierInput>,
    ) -> async_graphql::Result<Option<MetafieldsDeletePayload>> {
        nullable(async move {
            let db = ctx.data::<CatalogDb>()?;
            let shop = shop(ctx)?;
            let targets: Vec<(Option<(&'static str, i64)>, MetafieldIdentifierInput)> = metafields
                .into_iter()
                .map(|input| {
                    let owner = Gid::parse(&input.owner_id)
                        .ok()
                        .and_then(|gid| owner_of(&gid.type_name).map(|(owner, _)| (owner, gid.id)));
                    (owner, input)
                })
                .collect();
            let deleted = db
                .write(move |conn| {
                    async move {
                        let mut deleted = Vec::with_capacity(targets.len());
                        for (owner, input) in targets {
                            let Some((owner_type, owner_id)) = owner else {
                                deleted.push(None);
                                continue;
                            };
                            let done = sqlx::query(
                                "DELETE FROM metafields WHERE shop_id = $1 AND owner_type = $2
                                 AND owner_id = $3 AND namespace = $4 AND key = $5",
                            )
                            .bind(shop.0)
                            .bind(owner_type)
                            .bind(owner_id)
                            .bind(input.namespace.as_str())
                            .bind(input.key.as_str())
                            .execute(&mut *conn)
                            .await?;
                            deleted.push((done.rows_affected() > 0).then_some(
                                MetafieldIdentifier {
                                    owner_id: input.owner_id,
                                    namespace: input.namespace,
                                    key: input.key,
                                },
                            ));
                        }
                        Ok(deleted)
                    }
                    .boxed()
                })
                .await?;
            Ok(MetafieldsDeletePayload {
                deleted_metafields: Some(deleted),
                user_errors: vec![],
            })
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_app_namespace_is_given_and_expanded() {
        assert_eq!(namespace_of(None), APP_NAMESPACE);
        assert_eq!(namespace_of(Some("$app")), APP_NAMESPACE);
        assert_eq!(
            namespace_of(Some("$app:guards")),
            format!("{APP_NAMESPACE}--guards")
        );
        assert_eq!(namespace_of(Some("custom")), "custom");
    }
}
