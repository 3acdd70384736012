//! What product mutations take: the input types (one attribute list for the three of them)
//! and the checks the hosted API applies to it.

use crate::UserError;
use async_graphql::{Enum, InputObject, ID};

const MAX_TITLE_CHARS: usize = 255;

/// `ProductStatus`.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProductStatus {
    Active,
    Archived,
    Draft,
}

impl ProductStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Active => "ACTIVE",
            Self::Archived => "ARCHIVED",
            Self::Draft => "DRAFT",
        }
    }

    pub(crate) fn from_stored(text: &str) -> Self {
        match text {
            "ARCHIVED" => Self::Archived,
            "DRAFT" => Self::Draft,
            _ => Self::Active,
        }
    }
}

/// `SEOInput`.
#[derive(InputObject, Clone, Debug, Default, serde::Deserialize)]
#[graphql(name = "SEOInput")]
#[serde(deny_unknown_fields)]
pub struct SeoInput {
    pub title: Option<String>,
    pub description: Option<String>,
}

/// The product attributes every product input carries, whichever argument delivered them.
///
/// It also reads a bulk line's input directly from JSON (see the `direct` module), strictly:
/// a field it does not know (`id` included), or a value of another JSON type than the
/// attribute's, fails the read and leaves the line to the GraphQL executor. `null` reads as
/// absent, as the executor coerces it for these nullable fields.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProductFields {
    #[serde(skip)]
    pub(crate) id: Option<ID>,
    pub(crate) title: Option<String>,
    pub(crate) description_html: Option<String>,
    pub(crate) handle: Option<String>,
    pub(crate) product_type: Option<String>,
    pub(crate) vendor: Option<String>,
    pub(crate) tags: Option<Vec<String>>,
    pub(crate) status: Option<ProductStatus>,
    pub(crate) template_suffix: Option<String>,
    pub(crate) gift_card: Option<bool>,
    pub(crate) seo: Option<SeoInput>,
}

/// The three product input types share their attributes; only the presence of `id` differs.
macro_rules! product_input {
    ($(#[$doc:meta])* $name:ident $(, $id:ident)?) => {
        $(#[$doc])*
        #[derive(InputObject, Clone, Debug, Default)]
        pub struct $name {
            $(pub $id: Option<ID>,)?
            pub title: Option<String>,
            pub description_html: Option<String>,
            pub handle: Option<String>,
            pub product_type: Option<String>,
            pub vendor: Option<String>,
            pub tags: Option<Vec<String>>,
            pub status: Option<ProductStatus>,
            pub template_suffix: Option<String>,
            pub gift_card: Option<bool>,
            pub seo: Option<SeoInput>,
        }

        impl From<$name> for ProductFields {
            #[allow(clippy::needless_update)]
            fn from(input: $name) -> Self {
                ProductFields {
                    $($id: input.$id,)?
                    title: input.title,
                    description_html: input.description_html,
                    handle: input.handle,
                    product_type: input.product_type,
                    vendor: input.vendor,
                    tags: input.tags,
                    status: input.status,
                    template_suffix: input.template_suffix,
                    gift_card: input.gift_card,
                    seo: input.seo,
                    ..ProductFields::default()
                }
            }
        }
    };
}

product_input!(
    /// `ProductInput`: the pre-2024-04 argument of `productCreate` / `productUpdate`.
    ProductInput, id
);
product_input!(
    /// `ProductCreateInput`: the `product:` argument of `productCreate`.
    ProductCreateInput
);
product_input!(
    /// `ProductUpdateInput`: the `product:` argument of `productUpdate`.
    ProductUpdateInput, id
);

/// Tags as Shopify keeps them: split on commas, trimmed, without blanks or duplicates, sorted.
pub(crate) fn normalize_tags(tags: &[String]) -> Vec<String> {
    let mut normalized: Vec<String> = tags
        .iter()
        .flat_map(|tag| tag.split(','))
        .map(|tag| tag.trim().to_owned())
        .filter(|tag| !tag.is_empty())
        .collect();
    normalized.sort();
    normalized.dedup();
    normalized
}

pub(crate) fn validate_title(title: Option<&str>, required: bool) -> Option<UserError> {
    match title {
        None if !required => None,
        Some(title) if !title.trim().is_empty() => {
            (title.chars().count() > MAX_TITLE_CHARS).then(|| {
                UserError::new(
                    &["title"],
                    format!("Title is too long (maximum is {MAX_TITLE_CHARS} characters)"),
                )
            })
        }
        _ => Some(UserError::new(&["title"], "Title can't be blank")),
    }
}

/// Picks the one product argument given; both or neither is a client mistake.
pub(crate) fn one_of<A: Into<ProductFields>, B: Into<ProductFields>>(
    input: Option<A>,
    product: Option<B>,
) -> Result<ProductFields, UserError> {
    match (input, product) {
        (Some(input), None) => Ok(input.into()),
        (None, Some(product)) => Ok(product.into()),
        _ => Err(UserError {
            field: None,
            message: "Exactly one of the arguments input or product must be given.".into(),
        }),
    }
}
