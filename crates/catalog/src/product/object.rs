//! What product reads show: `Product`, its default `ProductVariant`, and the mutations'
//! payloads.

use super::storage::ProductRow;
use super::ProductStatus;
use crate::paging::{IdCursor, Window};
use crate::UserError;
use async_graphql::connection::Connection;
use async_graphql::{InputObject, Object, SimpleObject, ID};
use stevedore_core::clock::from_millis;
use stevedore_core::scalars::{DateTime, Html, UnsignedInt64};
use stevedore_core::{Gid, ProductId};

/// `SEO`.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "SEO")]
pub struct Seo {
    pub title: Option<String>,
    pub description: Option<String>,
}

/// `Product`.
#[derive(Debug, Clone)]
pub struct Product(pub(crate) ProductRow);

#[Object]
impl Product {
    pub async fn id(&self) -> ID {
        ID(ProductId(self.0.id).gid().to_string())
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
    async fn product_type(&self) -> &str {
        &self.0.product_type
    }
    async fn vendor(&self) -> &str {
        &self.0.vendor
    }
    async fn tags(&self) -> Vec<String> {
        serde_json::from_str(&self.0.tags).unwrap_or_default()
    }
    async fn status(&self) -> ProductStatus {
        ProductStatus::from_stored(&self.0.status)
    }
    async fn template_suffix(&self) -> Option<&str> {
        self.0.template_suffix.as_deref()
    }
    async fn is_gift_card(&self) -> bool {
        self.0.gift_card != 0
    }
    async fn seo(&self) -> Seo {
        Seo {
            title: self.0.seo_title.clone(),
            description: self.0.seo_description.clone(),
        }
    }
    async fn created_at(&self) -> DateTime {
        DateTime(from_millis(self.0.created_at))
    }
    async fn updated_at(&self) -> DateTime {
        DateTime(from_millis(self.0.updated_at))
    }

    /// The product's variants. The embedded catalog keeps no options, so every product has
    /// exactly the default variant the hosted API creates with it ("Default Title").
    async fn variants(
        &self,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        #[graphql(default_with = "Some(false)")] reverse: Option<bool>,
    ) -> async_graphql::Result<Connection<IdCursor, ProductVariant>> {
        // Nullable with a default, as in Shopify's schema: `$reverse: Boolean` may be left out.
        let reverse = reverse.unwrap_or(false);
        let window = Window::from_arguments(first, last, after, before, reverse)?;
        let id = self.0.id;
        let in_window = window
            .after
            .is_none_or(|after| if reverse { id < after } else { id > after })
            && window
                .before
                .is_none_or(|before| if reverse { id > before } else { id < before });
        let variants = if in_window {
            vec![ProductVariant { product_id: id }]
        } else {
            vec![]
        };
        Ok(window.page(variants, |variant| variant.product_id))
    }
}

/// `ProductVariant`: the default variant of a product (its id mirrors the product's).
#[derive(Debug, Clone)]
pub struct ProductVariant {
    product_id: i64,
}

#[Object]
impl ProductVariant {
    async fn id(&self) -> ID {
        ID(Gid::new("ProductVariant", self.product_id).to_string())
    }
    async fn title(&self) -> &str {
        "Default Title"
    }
    async fn sku(&self) -> Option<String> {
        None
    }
    async fn price(&self) -> &str {
        "0.00"
    }
    async fn inventory_quantity(&self) -> i32 {
        0
    }
}

#[derive(SimpleObject)]
pub struct ProductCreatePayload {
    pub(crate) product: Option<Product>,
    pub(crate) user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub struct ProductUpdatePayload {
    pub(crate) product: Option<Product>,
    pub(crate) user_errors: Vec<UserError>,
}

/// `ProductDeleteInput`.
#[derive(InputObject)]
pub struct ProductDeleteInput {
    pub(crate) id: ID,
}

#[derive(SimpleObject)]
pub struct ProductDeletePayload {
    pub(crate) deleted_product_id: Option<ID>,
    pub(crate) user_errors: Vec<UserError>,
}
