//! The `Node` interface and `node(id:)` / `nodes(ids:)`.

use crate::bulk::BulkOperationObject;
use async_graphql::{Context, Interface, Object, ID};
use std::sync::Arc;
use stevedore_catalog::{
    CatalogDb, Collection, ExternalVideo, InventoryItem, Media, MediaImage, Metafield, Model3d,
    Product, ProductVariant, Video,
};
use stevedore_core::access::access_denied;
use stevedore_core::OrInternal;
use stevedore_core::{Gid, OperationId, Scopes, ShopId};

#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID"))]
pub enum Node {
    BulkOperation(BulkOperationObject),
    Product(Product),
    ProductVariant(ProductVariant),
    InventoryItem(InventoryItem),
    Metafield(Metafield),
    Collection(Collection),
    MediaImage(MediaImage),
    Video(Video),
    ExternalVideo(ExternalVideo),
    Model3d(Model3d),
}

impl From<Media> for Node {
    fn from(media: Media) -> Self {
        match media {
            Media::MediaImage(media) => Node::MediaImage(media),
            Media::Video(media) => Node::Video(media),
            Media::ExternalVideo(media) => Node::ExternalVideo(media),
            Media::Model3d(media) => Node::Model3d(media),
        }
    }
}

/// The object `id` names, for the `field` (`node` or `nodes`) asking. Catalog objects need
/// `read_products`, as the `product` and `collection` fields do.
async fn find(ctx: &Context<'_>, field: &str, id: &str) -> async_graphql::Result<Option<Node>> {
    let gid = Gid::parse(id).map_err(|error| async_graphql::Error::new(error.to_string()))?;
    let shop = *ctx.data::<ShopId>()?;
    let db = ctx.data::<CatalogDb>()?;
    if matches!(
        gid.type_name.as_str(),
        "Product"
            | "ProductVariant"
            | "InventoryItem"
            | "Metafield"
            | "Collection"
            | "MediaImage"
            | "Video"
            | "ExternalVideo"
            | "Model3d"
    ) && !ctx
        .data_opt::<Scopes>()
        .is_some_and(|scopes| scopes.allows("read_products"))
    {
        return Err(access_denied(field, "read_products"));
    }
    Ok(match gid.type_name.as_str() {
        "BulkOperation" => {
            let services = ctx.data::<Arc<crate::Services>>()?;
            let store = services.engine.store();
            store
                .operation(shop, OperationId(gid.id))
                .await
                .or_internal()?
                .map(|operation| Node::BulkOperation(BulkOperationObject(operation)))
        }
        "Product" => stevedore_catalog::find_product(db, shop, gid.id)
            .await?
            .map(Node::Product),
        "ProductVariant" => stevedore_catalog::find_variant(db, shop, gid.id)
            .await?
            .map(Node::ProductVariant),
        "InventoryItem" => stevedore_catalog::find_inventory_item(db, shop, gid.id)
            .await?
            .map(Node::InventoryItem),
        kind @ ("MediaImage" | "Video" | "ExternalVideo" | "Model3d") => {
            stevedore_catalog::find_media(db, shop, kind, gid.id)
                .await?
                .map(Node::from)
        }
        "Metafield" => stevedore_catalog::find_metafield(db, shop, gid.id)
            .await?
            .map(Node::Metafield),
        "Collection" => stevedore_catalog::find_collection(db, shop, gid.id)
            .await?
            .map(Node::Collection),
        _ => None,
    })
}

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Any object of this shop by global id.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Node>> {
        find(ctx, "node", &id).await
    }

    /// Several objects by global id, in the order asked; null where there is none.
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        ids: Vec<ID>,
    ) -> async_graphql::Result<Vec<Option<Node>>> {
        let mut found = Vec::with_capacity(ids.len());
        for id in &ids {
            found.push(find(ctx, "nodes", id).await?);
        }
        Ok(found)
    }
}
