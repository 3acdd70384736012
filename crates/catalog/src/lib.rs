//! The embedded commerce catalog: products and collections with the Admin API's GraphQL types,
//! mutations (`productCreate`, `productUpdate`, `collectionCreate`) and queries (`product`,
//! `products`, `collection`), stored in the deployment's database.
//!
//! Resolvers write through a [`CatalogDb`] from the request context: the pool for a synchronous
//! call, or the transaction of the chunk a bulk line runs in, so a line's writes commit (or roll
//! back) together with its result.

mod collection;
mod db;
mod direct;
mod error;
mod handle;
mod media;
mod metafield;
mod option;
mod paging;
mod pending;
mod product;
pub mod restore;
mod shape;
mod shop;
mod sql;
mod user_errors;
mod variant;

pub use collection::{Collection, CollectionInput};
pub use db::{CatalogDb, ChunkFault, ChunkTransaction, ChunkWrites};
pub use direct::{DirectCreate, DirectError, HandleNotAnswered, PayloadField, ProductField};
pub use error::{CatalogError, CatalogResult};
pub use media::{ExternalVideo, Media, MediaImage, Model3d, Video};
pub use metafield::Metafield;
pub use option::{ProductOption, ProductOptionValue};
pub use paging::Count;
pub use pending::ReservedIds;
pub use product::{Product, ProductFields, ProductStatus};
pub use variant::{InventoryItem, ProductVariant};

use async_graphql::MergedObject;

/// The migration versions of the catalog's tables (see `stevedore_store::STORE_MIGRATIONS`).
pub const CATALOG_MIGRATIONS: std::ops::RangeInclusive<i64> = 1000..=1999;

/// Applies the catalog's migrations to `store` (after the store's own, which `Store::open_*`
/// applies).
pub async fn migrate(store: &stevedore_store::Store) -> Result<(), stevedore_store::StoreError> {
    let migrator = match store.dialect() {
        stevedore_store::Dialect::Sqlite => sqlx::migrate!("./migrations/sqlite"),
        stevedore_store::Dialect::Postgres => sqlx::migrate!("./migrations/postgres"),
    };
    store
        .migrate_part("catalog", CATALOG_MIGRATIONS, migrator)
        .await
}

/// Catalog fields of the Admin query root.
#[derive(MergedObject, Default)]
pub struct CatalogQuery(
    product::ProductQuery,
    product::operation::ProductOperationQuery,
    variant::query::VariantQuery,
    media::mutation::JobQuery,
    metafield::definition::DefinitionQuery,
    collection::CollectionQuery,
    shop::ShopQuery,
);

/// Catalog fields of the Admin mutation root.
#[derive(MergedObject, Default)]
pub struct CatalogMutation(
    product::ProductMutation,
    product::set::ProductSetMutation,
    product::duplicate::ProductDuplicateMutation,
    variant::mutation::VariantMutation,
    variant::media::VariantMediaMutation,
    option::mutation::OptionMutation,
    media::mutation::MediaMutation,
    metafield::definition::DefinitionMutation,
    metafield::mutation::MetafieldMutation,
    collection::CollectionMutation,
);

/// `UserError`: a business-rule failure of a mutation, reported inside its payload.
#[derive(async_graphql::SimpleObject, Debug, Clone, PartialEq, Eq)]
pub struct UserError {
    pub field: Option<Vec<String>>,
    pub message: String,
}

impl UserError {
    pub fn new(field: &[&str], message: impl Into<String>) -> Self {
        Self {
            field: Some(field.iter().map(|part| (*part).to_owned()).collect()),
            message: message.into(),
        }
    }
}

/// Reads a product or collection by global id, for `node(id:)`.
pub async fn find_product(
    db: &CatalogDb,
    shop: stevedore_core::ShopId,
    id: i64,
) -> async_graphql::Result<Option<Product>> {
    product::find(db, shop, id).await
}

pub async fn find_collection(
    db: &CatalogDb,
    shop: stevedore_core::ShopId,
    id: i64,
) -> async_graphql::Result<Option<Collection>> {
    collection::find(db, shop, id).await
}

/// Reads a variant by global id, for `node(id:)`.
pub async fn find_variant(
    db: &CatalogDb,
    shop: stevedore_core::ShopId,
    id: i64,
) -> async_graphql::Result<Option<ProductVariant>> {
    variant::query::find(db, shop, id).await
}

/// Reads an inventory item by global id, for `node(id:)`.
pub async fn find_inventory_item(
    db: &CatalogDb,
    shop: stevedore_core::ShopId,
    id: i64,
) -> async_graphql::Result<Option<InventoryItem>> {
    Ok(variant::query::find_item(db, shop, id)
        .await?
        .map(|variant| variant.item()))
}

/// Reads a media item by global id (of its own type), for `node(id:)`.
pub async fn find_media(
    db: &CatalogDb,
    shop: stevedore_core::ShopId,
    gid_type: &str,
    id: i64,
) -> async_graphql::Result<Option<Media>> {
    use futures::FutureExt;
    let row = db
        .read(move |conn| media::storage::find(conn, shop, id).boxed())
        .await?;
    Ok(row
        .map(|row| media::MediaItem { row, fresh: false })
        .filter(|item| item.kind().gid_type() == gid_type)
        .map(media::MediaItem::into_media))
}

/// Reads a metafield by global id, for `node(id:)`.
pub async fn find_metafield(
    db: &CatalogDb,
    shop: stevedore_core::ShopId,
    id: i64,
) -> async_graphql::Result<Option<Metafield>> {
    let sql = format!(
        "SELECT {} FROM metafields WHERE id = $1 AND shop_id = $2",
        metafield::COLUMNS
    );
    Ok(db.find_row(sql, shop, id).await?.map(Metafield))
}
