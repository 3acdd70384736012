//! `Shop`: the shop a call or a bulk line acts for, as the `shop` root and the payloads that
//! show it (`productCreate`, `productDelete`, `collectionDelete`) read it.

use crate::product::mutation::shop;
use crate::CatalogDb;
use async_graphql::{Context, Object, ID};
use stevedore_core::ShopId;

/// A shop, read from the store (once) when a field other than its id is selected.
pub struct Shop {
    id: ShopId,
    row: tokio::sync::OnceCell<stevedore_store::shops::Shop>,
}

impl Shop {
    /// The shop of the call (or of the bulk operation) being answered.
    pub(crate) fn of(ctx: &Context<'_>) -> async_graphql::Result<Self> {
        Ok(Self {
            id: shop(ctx)?,
            row: tokio::sync::OnceCell::new(),
        })
    }

    async fn row(&self, ctx: &Context<'_>) -> async_graphql::Result<&stevedore_store::shops::Shop> {
        self.row
            .get_or_try_init(|| async {
                // A synchronous call authenticated with its shop's row; a bulk line reads it.
                if let Some(caller) = ctx
                    .data_opt::<stevedore_store::shops::Caller>()
                    .filter(|caller| caller.shop.id == self.id)
                {
                    return Ok(caller.shop.clone());
                }
                let found = ctx
                    .data::<CatalogDb>()?
                    .store()
                    .shop(self.id)
                    .await
                    .map_err(crate::CatalogError::from)?;
                found.ok_or_else(|| crate::CatalogError::NoShop(self.id).into())
            })
            .await
    }
}

#[Object]
impl Shop {
    async fn id(&self) -> ID {
        ID(self.id.gid().to_string())
    }

    async fn name(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        Ok(self.row(ctx).await?.name().to_owned())
    }

    async fn myshopify_domain(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        Ok(self.row(ctx).await?.domain.clone())
    }

    /// The shop's storefront address: its domain over https, as a shop without a custom
    /// domain has it.
    async fn url(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        Ok(format!("https://{}", self.row(ctx).await?.domain))
    }
}

/// The `shop` root.
#[derive(Default)]
pub struct ShopQuery;

#[Object]
impl ShopQuery {
    /// The shop the call acts for.
    async fn shop(&self, ctx: &Context<'_>) -> async_graphql::Result<Shop> {
        Shop::of(ctx)
    }
}
