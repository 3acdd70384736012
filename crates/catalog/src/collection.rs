//! Collections: `collectionCreate` and `collection(id:)`.

use crate::db::CatalogDb;
use crate::handle::{parameterize, unique_handle, HandleTable};
use crate::UserError;
use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use futures::FutureExt;
use stevedore_core::clock::from_millis;
use stevedore_core::nullable;
use stevedore_core::scalars::{DateTime, Html, UnsignedInt64};
use stevedore_core::{Gid, RequireScope, ShopId};

/// `CollectionInput`.
#[derive(InputObject, Clone, Debug, Default)]
pub struct CollectionInput {
    pub id: Option<ID>,
    pub title: Option<String>,
    pub description_html: Option<String>,
    pub handle: Option<String>,
    pub template_suffix: Option<String>,
}

#[derive(sqlx::FromRow, Debug, Clone)]
struct CollectionRow {
    id: i64,
    title: String,
    handle: String,
    description_html: String,
    template_suffix: Option<String>,
    updated_at: i64,
}

const COLUMNS: &str = "id, title, handle, description_html, template_suffix, updated_at";

/// `Collection`.
#[derive(Debug, Clone)]
pub struct Collection(CollectionRow);

#[Object]
impl Collection {
    pub async fn id(&self) -> ID {
        ID(Gid::new("Collection", self.0.id).to_string())
    }
    async fn legacy_resource_id(&self) -> UnsignedInt64 {
        UnsignedInt64(self.0.id as u64)
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn handle(&self) -> &str {
        &self.0.handle
    }
    async fn description_html(&self) -> Html {
        Html(self.0.description_html.clone())
    }
    async fn template_suffix(&self) -> Option<&str> {
        self.0.template_suffix.as_deref()
    }
    async fn updated_at(&self) -> DateTime {
        DateTime(from_millis(self.0.updated_at))
    }
}

#[derive(SimpleObject)]
pub struct CollectionCreatePayload {
    collection: Option<Collection>,
    user_errors: Vec<UserError>,
}

pub(crate) async fn find(
    db: &CatalogDb,
    shop: ShopId,
    id: i64,
) -> async_graphql::Result<Option<Collection>> {
    let sql = format!("SELECT {COLUMNS} FROM collections WHERE id = $1 AND shop_id = $2");
    Ok(db
        .find_row::<CollectionRow>(sql, shop, id)
        .await?
        .map(Collection))
}

#[derive(Default)]
pub struct CollectionMutation;

#[Object]
impl CollectionMutation {
    /// Creates a custom collection.
    #[graphql(guard = "RequireScope::new(\"collectionCreate\", crate::product::WRITE_PRODUCTS)")]
    async fn collection_create(
        &self,
        ctx: &Context<'_>,
        input: CollectionInput,
    ) -> async_graphql::Result<Option<CollectionCreatePayload>> {
        nullable(async move {
            // An id is refused first, as the hosted API does.
            if input.id.is_some() {
                return Ok(CollectionCreatePayload {
                    collection: None,
                    user_errors: vec![UserError::new(
                        &["id"],
                        "id cannot be specified on collection creation",
                    )],
                });
            }
            let title = input.title.clone().unwrap_or_default();
            if title.trim().is_empty() {
                return Ok(CollectionCreatePayload {
                    collection: None,
                    user_errors: vec![UserError::new(&["title"], "Title can't be blank")],
                });
            }
            let shop = *ctx.data::<ShopId>()?;
            let now = ctx
                .data::<std::sync::Arc<dyn stevedore_core::Clock>>()?
                .now()
                .timestamp_millis();
            let base = input
                .handle
                .as_deref()
                .map(parameterize)
                .filter(|h| !h.is_empty())
                .unwrap_or_else(|| parameterize(&title));
            let row = ctx
                .data::<CatalogDb>()?
                .write(move |conn| {
                    async move {
                        let handle = unique_handle(&mut *conn, HandleTable::Collections, shop, &base).await?;
                        sqlx::query_as::<_, CollectionRow>(&format!(
                            "INSERT INTO collections (shop_id, title, handle, description_html, template_suffix, created_at, updated_at)
                             VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING {COLUMNS}"
                        ))
                        .bind(shop.0)
                        .bind(&title)
                        .bind(handle)
                        .bind(input.description_html.unwrap_or_default())
                        .bind(input.template_suffix)
                        .bind(now)
                        .fetch_one(&mut *conn)
                        .await
                        .map_err(Into::into)
                    }
                    .boxed()
                })
                .await?;
            Ok(CollectionCreatePayload {
                collection: Some(Collection(row)),
                user_errors: vec![],
            })
        })
        .await
    }
}

#[derive(Default)]
pub struct CollectionQuery;

#[Object]
impl CollectionQuery {
    /// A collection of this shop by id.
    #[graphql(guard = "RequireScope::new(\"collection\", \"read_products\")")]
    async fn collection(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<Collection>> {
        let Ok(id) = Gid::parse_as(&id, "Collection") else {
            return Ok(None);
        };
        find(ctx.data::<CatalogDb>()?, *ctx.data::<ShopId>()?, id).await
    }
}
