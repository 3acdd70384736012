//! What product mutations take: the input types (one attribute list for the three of them)
//! and the checks the hosted API applies to it.

use crate::UserError;
use async_graphql::{Enum, InputObject, ID};

/// The longest title, vendor, product type or tag, in characters.
pub(crate) const MAX_TEXT_CHARS: usize = 255;

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
    /// Options to make the product with (its one variant has the first value of each). A
    /// bulk line's direct read does not take them: such a line goes to the executor.
    #[serde(skip)]
    pub(crate) product_options: Option<Vec<crate::option::OptionCreateInput>>,
}

/// The three product input types share their attributes; only the presence of `id` differs.
macro_rules! product_input {
    ($(#[$doc:meta])* $name:ident $(, $id:ident)? $(; $options:ident)?) => {
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
            $(pub $options: Option<Vec<crate::option::OptionCreateInput>>,)?
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
                    $($options: input.$options,)?
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
    ProductCreateInput; product_options
);
product_input!(
    /// `ProductUpdateInput`: the `product:` argument of `productUpdate`.
    ProductUpdateInput, id
);

/// Tags as Shopify keeps them: split on commas, trimmed, without blanks, the first spelling of
/// each tag kept (`Red`, `RED` and ` red ` are one tag), ordered without regard to case.
pub(crate) fn normalize_tags(tags: &[String]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    let mut normalized: Vec<String> = tags
        .iter()
        .flat_map(|tag| tag.split(','))
        .map(str::trim)
        .filter(|tag| !tag.is_empty() && seen.insert(tag.to_lowercase()))
        .map(str::to_owned)
        .collect();
    normalized.sort_by_cached_key(|tag| tag.to_lowercase());
    normalized
}

/// The hosted API's checks of a product's attributes, in its order. `creating` requires a title.
pub(crate) fn validate(fields: &ProductFields, creating: bool) -> Vec<UserError> {
    let too_long = |text: &Option<String>| {
        text.as_deref()
            .is_some_and(|text| text.chars().count() > MAX_TEXT_CHARS)
    };
    let mut errors: Vec<UserError> = validate_title(fields.title.as_deref(), creating)
        .into_iter()
        .collect();
    if too_long(&fields.handle) {
        errors.push(UserError::new(
            &["handle"],
            format!("Handle is too long (maximum is {MAX_TEXT_CHARS} characters)"),
        ));
    }
    if too_long(&fields.vendor) {
        errors.push(UserError::new(
            &["vendor"],
            format!("Vendor is too long (maximum is {MAX_TEXT_CHARS} characters)"),
        ));
    }
    if too_long(&fields.product_type) {
        // The hosted API reports the type under both of its names.
        errors.push(UserError::new(
            &["productType"],
            format!("Product type is too long (maximum is {MAX_TEXT_CHARS} characters)"),
        ));
        errors.push(UserError::new(
            &["customProductType"],
            format!("Custom product type is too long (maximum is {MAX_TEXT_CHARS} characters)"),
        ));
    }
    let tag_too_long = fields.tags.iter().flatten().any(|tags| {
        tags.split(',')
            .any(|tag| tag.trim().chars().count() > MAX_TEXT_CHARS)
    });
    if tag_too_long {
        errors.push(UserError::new(&["tags"], "Product tags is invalid"));
    }
    errors
}

fn validate_title(title: Option<&str>, required: bool) -> Option<UserError> {
    match title {
        None if !required => None,
        Some(title) if !title.trim().is_empty() => {
            (title.chars().count() > MAX_TEXT_CHARS).then(|| {
                UserError::new(
                    &["title"],
                    format!("Title is too long (maximum is {MAX_TEXT_CHARS} characters)"),
                )
            })
        }
        _ => Some(UserError::new(&["title"], "Title can't be blank")),
    }
}

/// What an input asks of a product's handle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HandleRequest {
    /// None given (or only blanks): made from the title.
    FromTitle,
    /// One given, as written, and as it is kept (`"  PRODUCT-A  "` is kept as `product-a`);
    /// `None` when nothing of it is left (punctuation only): the product is then handled as
    /// one whose title left nothing, `product`.
    Given {
        written: String,
        kept: Option<String>,
    },
}

impl HandleRequest {
    pub(crate) fn of(fields: &ProductFields) -> Self {
        match fields.handle.as_deref() {
            Some(written) if !written.trim().is_empty() => HandleRequest::Given {
                written: written.to_owned(),
                kept: Some(crate::handle::parameterize(written)).filter(|kept| !kept.is_empty()),
            },
            _ => HandleRequest::FromTitle,
        }
    }
}

/// A text made a handle, or `product` when nothing of it is left.
pub(crate) fn handle_or_fallback(text: &str) -> String {
    Some(crate::handle::parameterize(text))
        .filter(|handle| !handle.is_empty())
        .unwrap_or_else(|| "product".to_owned())
}

/// The user error of a handle another product holds, in the hosted API's words (the handle as
/// it was written; the field under `input` whichever argument carried it).
pub(crate) fn handle_taken(written: &str) -> UserError {
    UserError::new(
        &["input", "handle"],
        format!("Handle '{written}' already in use. Please provide a new handle."),
    )
}

/// Picks the one product argument `field` was given; both or neither is refused before the
/// mutation runs, as the hosted API refuses it (`INVALID_FIELD_ARGUMENTS`, the field null).
pub(crate) fn one_of<A: Into<ProductFields>, B: Into<ProductFields>>(
    field: &str,
    input: Option<A>,
    product: Option<B>,
) -> async_graphql::Result<ProductFields> {
    use async_graphql::ErrorExtensions;
    match (input, product) {
        (Some(input), None) => Ok(input.into()),
        (None, Some(product)) => Ok(product.into()),
        _ => Err(async_graphql::Error::new(format!(
            "{field} must include exactly one of the following arguments: input, product."
        ))
        .extend_with(|_, extensions| extensions.set("code", "INVALID_FIELD_ARGUMENTS"))),
    }
}
