//! Products: GraphQL types, `productCreate` / `productUpdate` / `productDelete`, `product` /
//! `products` (with the search syntax's `query:`).

use crate::db::{CatalogDb, Deferral};
use crate::direct::HandleNotAnswered;
use crate::error::{CatalogError, CatalogResult};
use crate::handle::{parameterize, unique_handle, HandleTable};
use crate::pending::Handle;
use crate::UserError;
use async_graphql::connection::{Connection, CursorType, Edge};
use async_graphql::{Context, Enum, InputObject, Object, SimpleObject, ID};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use futures::FutureExt;
use stevedore_core::clock::from_millis;
use stevedore_core::nullable;
use stevedore_core::scalars::{DateTime, Html, UnsignedInt64};
use stevedore_core::{Gid, ProductId, RequireScope, ShopId};

const MAX_TITLE_CHARS: usize = 255;

/// The access scope product mutations need.
pub(crate) const WRITE_PRODUCTS: &str = "write_products";

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

/// `SEO`.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "SEO")]
pub struct Seo {
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
    id: Option<ID>,
    title: Option<String>,
    description_html: Option<String>,
    handle: Option<String>,
    product_type: Option<String>,
    vendor: Option<String>,
    tags: Option<Vec<String>>,
    status: Option<ProductStatus>,
    template_suffix: Option<String>,
    gift_card: Option<bool>,
    seo: Option<SeoInput>,
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

#[derive(sqlx::FromRow, Debug, Clone)]
pub(crate) struct ProductRow {
    pub(crate) id: i64,
    pub(crate) title: String,
    pub(crate) handle: String,
    pub(crate) description_html: String,
    pub(crate) product_type: String,
    pub(crate) vendor: String,
    pub(crate) tags: String,
    pub(crate) status: String,
    pub(crate) template_suffix: Option<String>,
    /// 0 or 1: flags are integers in every dialect.
    pub(crate) gift_card: i64,
    pub(crate) seo_title: Option<String>,
    pub(crate) seo_description: Option<String>,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
}

const COLUMNS: &str =
    "id, title, handle, description_html, product_type, vendor, tags, status, template_suffix, \
     gift_card, seo_title, seo_description, created_at, updated_at";

/// `Product`.
#[derive(Debug, Clone)]
pub struct Product(ProductRow);

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
    product: Option<Product>,
    user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub struct ProductUpdatePayload {
    product: Option<Product>,
    user_errors: Vec<UserError>,
}

/// Tags as Shopify keeps them: split on commas, trimmed, without blanks or duplicates, sorted.
fn normalize_tags(tags: &[String]) -> Vec<String> {
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

fn validate_title(title: Option<&str>, required: bool) -> Option<UserError> {
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

fn shop(ctx: &Context<'_>) -> async_graphql::Result<ShopId> {
    Ok(*ctx.data::<ShopId>()?)
}

fn now_millis(ctx: &Context<'_>) -> async_graphql::Result<i64> {
    Ok(ctx
        .data::<std::sync::Arc<dyn stevedore_core::Clock>>()?
        .now()
        .timestamp_millis())
}

pub(crate) async fn find(
    db: &CatalogDb,
    shop: ShopId,
    id: i64,
) -> async_graphql::Result<Option<Product>> {
    let sql = format!("SELECT {COLUMNS} FROM products WHERE id = $1 AND shop_id = $2");
    Ok(db.find_row::<ProductRow>(sql, shop, id).await?.map(Product))
}

enum Created {
    Product(Box<ProductRow>),
    HandleTaken(String),
}

/// The columns of a product row after its id, in the order [`bind_row`] binds them.
pub(crate) const ROW_COLUMNS: &str =
    "shop_id, title, handle, description_html, product_type, vendor, tags, status, \
     template_suffix, gift_card, seo_title, seo_description, created_at, updated_at";
/// How many values [`bind_row`] binds: one per column.
pub(crate) const ROW_VALUES: usize = column_count(ROW_COLUMNS);

const fn column_count(columns: &str) -> usize {
    let bytes = columns.as_bytes();
    let (mut count, mut at) = (1, 0);
    while at < bytes.len() {
        if bytes[at] == b',' {
            count += 1;
        }
        at += 1;
    }
    count
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Binds the row's values in [`ROW_COLUMNS`] order. Text is bound borrowed: the driver copies
/// it once on its way to the database, and a bound `&String` would be copied twice.
pub(crate) fn bind_row<'q>(query: AnyQuery<'q>, shop: ShopId, row: &'q ProductRow) -> AnyQuery<'q> {
    query
        .bind(shop.0)
        .bind(row.title.as_str())
        .bind(row.handle.as_str())
        .bind(row.description_html.as_str())
        .bind(row.product_type.as_str())
        .bind(row.vendor.as_str())
        .bind(row.tags.as_str())
        .bind(row.status.as_str())
        .bind(row.template_suffix.as_deref())
        .bind(row.gift_card)
        .bind(row.seo_title.as_deref())
        .bind(row.seo_description.as_deref())
        .bind(row.created_at)
        .bind(row.updated_at)
}

impl ProductRow {
    /// Inserts the row unless the shop already has its handle (then false, writing nothing).
    /// A row without an id (0) gets the table's next one; a row with an id reserved for it keeps
    /// it. Only the id comes back: the rest of the row is what was sent, and decoding it again
    /// would be a good part of a bulk line's cost.
    async fn insert_if_handle_free(
        &mut self,
        shop: ShopId,
        conn: &mut stevedore_store::AnyConnection,
    ) -> CatalogResult<bool> {
        fn insert(with_id: bool) -> String {
            let (id_column, first) = if with_id { ("id, ", 2) } else { ("", 1) };
            let values: Vec<String> = (first..first + ROW_VALUES)
                .map(|n| format!("${n}"))
                .collect();
            let ids = if with_id { "$1, " } else { "" };
            format!(
                "INSERT INTO products ({id_column}{ROW_COLUMNS}) VALUES ({ids}{})
                 ON CONFLICT (shop_id, handle) DO NOTHING RETURNING id",
                values.join(", ")
            )
        }
        static INSERT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| insert(false));
        static INSERT_WITH_ID: std::sync::LazyLock<String> =
            std::sync::LazyLock::new(|| insert(true));
        let query = match self.id {
            0 => bind_row(sqlx::query(INSERT.as_str()), shop, self),
            id => bind_row(sqlx::query(INSERT_WITH_ID.as_str()).bind(id), shop, self),
        };
        let inserted = query.fetch_optional(conn).await?;
        let Some(inserted) = inserted else {
            return Ok(false);
        };
        self.id = sqlx::Row::try_get(&inserted, 0)?;
        Ok(true)
    }

    /// Inserts the row under the first free suffix of `base` (`base-1`, `base-2`, …). On
    /// Postgres another transaction may commit that handle first: the next one is taken then.
    pub(crate) async fn insert_with_free_suffix(
        &mut self,
        shop: ShopId,
        conn: &mut stevedore_store::AnyConnection,
        base: &str,
    ) -> CatalogResult<()> {
        for _ in 0..8 {
            self.handle = unique_handle(conn, HandleTable::Products, shop, base).await?;
            if self.insert_if_handle_free(shop, conn).await? {
                return Ok(());
            }
        }
        Err(CatalogError::NoFreeHandle {
            base: base.to_owned(),
        })
    }

    /// The row `productCreate` makes of its input at `now` (its id still to come), and whether
    /// its handle was derived from the title rather than given; or the input's user error.
    pub(crate) fn new_product(
        fields: ProductFields,
        now: i64,
    ) -> Result<(ProductRow, HandleFrom), UserError> {
        if let Some(error) = validate_title(fields.title.as_deref(), true) {
            return Err(error);
        }
        let title = fields.title.unwrap_or_default();
        let explicit_handle = fields
            .handle
            .as_deref()
            .map(parameterize)
            .filter(|handle| !handle.is_empty());
        let handle_from = match explicit_handle {
            Some(_) => HandleFrom::Input,
            None => HandleFrom::Title,
        };
        let handle = explicit_handle.unwrap_or_else(|| {
            Some(parameterize(&title))
                .filter(|base| !base.is_empty())
                .unwrap_or_else(|| "product".into())
        });
        let tags = normalize_tags(fields.tags.as_deref().unwrap_or_default());
        let seo = fields.seo.unwrap_or_default();
        let row = ProductRow {
            id: 0,
            title,
            handle,
            description_html: fields.description_html.unwrap_or_default(),
            product_type: fields.product_type.unwrap_or_default(),
            vendor: fields.vendor.unwrap_or_default(),
            // Text from a list of strings: writing it cannot fail.
            tags: serde_json::Value::from(tags).to_string(),
            status: fields
                .status
                .unwrap_or(ProductStatus::Active)
                .as_str()
                .to_owned(),
            template_suffix: fields.template_suffix,
            gift_card: i64::from(fields.gift_card.unwrap_or(false)),
            seo_title: seo.title,
            seo_description: seo.description,
            created_at: now,
            updated_at: now,
        };
        Ok((row, handle_from))
    }
}

/// Where a new product's handle came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HandleFrom {
    /// Given in the input: refused when taken.
    Input,
    /// Derived from the title: a taken one gets a free suffix.
    Title,
}

async fn create(
    db: &CatalogDb,
    shop: ShopId,
    fields: ProductFields,
    now: i64,
    handle_answered: bool,
) -> async_graphql::Result<ProductCreatePayload> {
    let (row, handle_from) = match ProductRow::new_product(fields, now) {
        Ok(made) => made,
        Err(error) => {
            return Ok(ProductCreatePayload {
                product: None,
                user_errors: vec![error],
            })
        }
    };
    // A bulk chunk records the row and writes it later with its neighbours (the `pending`
    // module); the id is all it needs now.
    let mut row = match db {
        CatalogDb::Chunk(chunk) => match chunk
            .defer_product(
                shop,
                row,
                Handle::answered(handle_from, handle_answered),
                |row| row.clone(),
            )
            .await?
        {
            Deferral::Recorded(product) => {
                return Ok(ProductCreatePayload {
                    product: Some(Product(product)),
                    user_errors: vec![],
                })
            }
            Deferral::WriteNow(row) => *row,
        },
        CatalogDb::Pool(_) => row,
    };
    let created = db
        .write(move |conn| {
            async move {
                // The common case costs one statement: the insert itself finds out whether the
                // handle is free. Only a taken one costs the search for a free suffix.
                if row.insert_if_handle_free(shop, conn).await? {
                    return Ok(Created::Product(Box::new(row)));
                }
                if handle_from == HandleFrom::Input {
                    return Ok(Created::HandleTaken(row.handle));
                }
                let base = std::mem::take(&mut row.handle);
                row.insert_with_free_suffix(shop, conn, &base).await?;
                Ok(Created::Product(Box::new(row)))
            }
            .boxed()
        })
        .await?;
    Ok(match created {
        Created::Product(row) => ProductCreatePayload {
            product: Some(Product(*row)),
            user_errors: vec![],
        },
        Created::HandleTaken(handle) => ProductCreatePayload {
            product: None,
            user_errors: vec![UserError::new(
                &["handle"],
                format!("Handle '{handle}' already in use. Please provide a new handle."),
            )],
        },
    })
}

async fn update(
    db: &CatalogDb,
    shop: ShopId,
    fields: ProductFields,
    now: i64,
) -> async_graphql::Result<ProductUpdatePayload> {
    let refused = |error: UserError| {
        Ok(ProductUpdatePayload {
            product: None,
            user_errors: vec![error],
        })
    };
    let Some(id) = fields
        .id
        .as_ref()
        .and_then(|id| Gid::parse_as(id, "Product").ok())
    else {
        return refused(UserError::new(&["id"], "Product does not exist"));
    };
    if let Some(error) = validate_title(fields.title.as_deref(), false) {
        return refused(error);
    }
    let handle = fields
        .handle
        .as_deref()
        .map(parameterize)
        .filter(|handle| !handle.is_empty());
    let tags = match &fields.tags {
        Some(tags) => Some(serde_json::to_string(&normalize_tags(tags))?),
        None => None,
    };
    let seo = fields.seo.clone().unwrap_or_default();
    let updated = db
        .write(move |conn| {
            async move {
            // A handle another product holds is refused before the write; a unique violation
            // after this check can only be a concurrent writer, which the database reports.
            if let Some(handle) = &handle {
                let holder: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM products WHERE shop_id = $1 AND handle = $2",
                )
                .bind(shop.0)
                .bind(handle)
                .fetch_optional(&mut *conn)
                .await?;
                if holder.is_some_and(|holder| holder != id) {
                    return Ok(Updated::HandleTaken);
                }
            }
            let row = sqlx::query_as::<_, ProductRow>(&format!(
                "UPDATE products SET title = COALESCE($1, title), handle = COALESCE($2, handle),
                     description_html = COALESCE($3, description_html), product_type = COALESCE($4, product_type),
                     vendor = COALESCE($5, vendor), tags = COALESCE($6, tags), status = COALESCE($7, status),
                     template_suffix = COALESCE($8, template_suffix), gift_card = COALESCE($9, gift_card),
                     seo_title = COALESCE($10, seo_title), seo_description = COALESCE($11, seo_description),
                     updated_at = $12
                 WHERE id = $13 AND shop_id = $14
                 RETURNING {COLUMNS}"
            ))
            .bind(fields.title)
            .bind(handle)
            .bind(fields.description_html)
            .bind(fields.product_type)
            .bind(fields.vendor)
            .bind(tags)
            .bind(fields.status.map(ProductStatus::as_str))
            .bind(fields.template_suffix)
            .bind(fields.gift_card.map(i64::from))
            .bind(seo.title)
            .bind(seo.description)
            .bind(now)
            .bind(id)
            .bind(shop.0)
            .fetch_optional(conn)
            .await?;
            Ok(row.map_or(Updated::Missing, |row| Updated::Product(Box::new(row))))
            }
            .boxed()
        })
        .await?;
    match updated {
        Updated::Product(row) => Ok(ProductUpdatePayload {
            product: Some(Product(*row)),
            user_errors: vec![],
        }),
        Updated::Missing => refused(UserError::new(&["id"], "Product does not exist")),
        Updated::HandleTaken => {
            refused(UserError::new(&["handle"], "Handle has already been taken"))
        }
    }
}

enum Updated {
    Product(Box<ProductRow>),
    Missing,
    HandleTaken,
}

/// Picks the one product argument given; both or neither is a client mistake.
fn one_of<A: Into<ProductFields>, B: Into<ProductFields>>(
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

#[derive(Default)]
pub struct ProductMutation;

#[Object]
impl ProductMutation {
    /// Creates a product. `input` is the pre-2024-04 form of `product`.
    #[graphql(guard = "RequireScope::new(\"productCreate\", WRITE_PRODUCTS)")]
    async fn product_create(
        &self,
        ctx: &Context<'_>,
        input: Option<ProductInput>,
        product: Option<ProductCreateInput>,
    ) -> async_graphql::Result<Option<ProductCreatePayload>> {
        nullable(async move {
            let fields = match one_of(input, product) {
                Ok(fields) => fields,
                Err(error) => {
                    return Ok(ProductCreatePayload {
                        product: None,
                        user_errors: vec![error],
                    })
                }
            };
            create(
                ctx.data::<CatalogDb>()?,
                shop(ctx)?,
                fields,
                now_millis(ctx)?,
                // Unless told otherwise, the answer may show the handle (`handle`, or anything
                // made from it).
                ctx.data_opt::<HandleNotAnswered>().is_none(),
            )
            .await
        })
        .await
    }

    /// Deletes the product named by the input's `id`.
    #[graphql(guard = "RequireScope::new(\"productDelete\", WRITE_PRODUCTS)")]
    async fn product_delete(
        &self,
        ctx: &Context<'_>,
        input: ProductDeleteInput,
    ) -> async_graphql::Result<Option<ProductDeletePayload>> {
        nullable(async move { delete(ctx.data::<CatalogDb>()?, shop(ctx)?, input).await }).await
    }

    /// Updates the product named by the input's `id`; absent attributes are left as they are.
    #[graphql(guard = "RequireScope::new(\"productUpdate\", WRITE_PRODUCTS)")]
    async fn product_update(
        &self,
        ctx: &Context<'_>,
        input: Option<ProductInput>,
        product: Option<ProductUpdateInput>,
    ) -> async_graphql::Result<Option<ProductUpdatePayload>> {
        nullable(async move {
            let fields = match one_of(input, product) {
                Ok(fields) => fields,
                Err(error) => {
                    return Ok(ProductUpdatePayload {
                        product: None,
                        user_errors: vec![error],
                    })
                }
            };
            update(
                ctx.data::<CatalogDb>()?,
                shop(ctx)?,
                fields,
                now_millis(ctx)?,
            )
            .await
        })
        .await
    }
}

/// `ProductDeleteInput`.
#[derive(InputObject)]
pub struct ProductDeleteInput {
    id: ID,
}

#[derive(SimpleObject)]
pub struct ProductDeletePayload {
    deleted_product_id: Option<ID>,
    user_errors: Vec<UserError>,
}

async fn delete(
    db: &CatalogDb,
    shop: ShopId,
    input: ProductDeleteInput,
) -> async_graphql::Result<ProductDeletePayload> {
    let missing = || ProductDeletePayload {
        deleted_product_id: None,
        user_errors: vec![UserError::new(&["id"], "Product does not exist")],
    };
    let Ok(id) = Gid::parse_as(&input.id, "Product") else {
        return Ok(missing());
    };
    let deleted = db
        .write(move |conn| {
            async move {
                sqlx::query("DELETE FROM products WHERE id = $1 AND shop_id = $2")
                    .bind(id)
                    .bind(shop.0)
                    .execute(conn)
                    .await
                    .map(|done| done.rows_affected() > 0)
                    .map_err(Into::into)
            }
            .boxed()
        })
        .await?;
    Ok(if deleted {
        ProductDeletePayload {
            deleted_product_id: Some(ID(ProductId(id).gid().to_string())),
            user_errors: vec![],
        }
    } else {
        missing()
    })
}

/// `products(query:)`: the terms this catalog can answer, as a `WHERE` fragment whose values
/// bind from `$first_bind` on. Terms on other fields are ignored, as the hosted search ignores
/// fields it does not know.
fn product_filter(query: Option<&str>, first_bind: usize) -> (String, Vec<String>) {
    let mut clauses = Vec::new();
    let mut values = Vec::new();
    for term in stevedore_core::search::parse(query.unwrap_or_default()) {
        if term.comparator != stevedore_core::search::Comparator::Equals {
            continue;
        }
        let field = term.field.as_deref().map(str::to_ascii_lowercase);
        let value = term.value.to_lowercase();
        let (clause, bound) = match field.as_deref() {
            // Free text and titles match anywhere in the title; tags match whole.
            None | Some("title") => ("LOWER(title) LIKE $? ESCAPE '\\'", like_anywhere(&value)),
            Some("tag") => (
                "LOWER(tags) LIKE $? ESCAPE '\\'",
                like_anywhere(&serde_json::Value::String(value).to_string()),
            ),
            Some("handle") => ("LOWER(handle) = $?", value),
            Some("product_type") => ("LOWER(product_type) = $?", value),
            Some("vendor") => ("LOWER(vendor) = $?", value),
            Some("status") => ("LOWER(status) = $?", value),
            _ => continue,
        };
        clauses.push(clause.replace("$?", &format!("${}", first_bind + values.len())));
        values.push(bound);
    }
    let sql = if clauses.is_empty() {
        "TRUE".to_owned()
    } else {
        clauses.join(" AND ")
    };
    (sql, values)
}

/// A `LIKE` pattern matching `text` anywhere, with the pattern's own wildcards escaped.
fn like_anywhere(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// A product cursor: opaque to clients, the position in id order underneath.
#[derive(Debug, Clone, Copy)]
pub struct IdCursor(pub i64);

impl CursorType for IdCursor {
    type Error = &'static str;

    fn decode_cursor(text: &str) -> Result<Self, Self::Error> {
        let bytes = BASE64.decode(text).map_err(|_| "invalid cursor")?;
        let value: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|_| "invalid cursor")?;
        value["last_id"]
            .as_i64()
            .map(IdCursor)
            .ok_or("invalid cursor")
    }

    fn encode_cursor(&self) -> String {
        BASE64.encode(format!("{{\"last_id\":{}}}", self.0))
    }
}

/// A window over rows ordered by id, in the direction and from the side a connection asks for.
pub(crate) struct Window {
    pub forward: bool,
    pub limit: i64,
    pub after: Option<i64>,
    pub before: Option<i64>,
    pub reverse: bool,
}

impl Window {
    pub fn from_arguments(
        first: Option<i32>,
        last: Option<i32>,
        after: Option<String>,
        before: Option<String>,
        reverse: bool,
    ) -> async_graphql::Result<Self> {
        let (from_end, limit) = stevedore_core::paging::window(first, last)?;
        let forward = !from_end;
        let decode = |cursor: Option<String>| -> async_graphql::Result<Option<i64>> {
            cursor
                .map(|text| {
                    IdCursor::decode_cursor(&text)
                        .map(|cursor| cursor.0)
                        .map_err(Into::into)
                })
                .transpose()
        };
        Ok(Self {
            forward,
            limit,
            after: decode(after)?,
            before: decode(before)?,
            reverse,
        })
    }

    /// `WHERE` and `ORDER BY` for the scan; `$2`/`$3` bind `after`/`before`, `$4` the limit + 1.
    pub fn sql(&self) -> String {
        let ascending = !self.reverse;
        let (beyond_after, before_before) = if ascending { (">", "<") } else { ("<", ">") };
        let scan_ascending = ascending == self.forward;
        format!(
            "($2 IS NULL OR id {beyond_after} $2) AND ($3 IS NULL OR id {before_before} $3) ORDER BY id {} LIMIT $4",
            if scan_ascending { "ASC" } else { "DESC" }
        )
    }

    /// Turns the scanned rows (limit + 1 at most) into a page in display order.
    pub fn page<T: async_graphql::OutputType, F: Fn(&T) -> i64>(
        &self,
        mut rows: Vec<T>,
        id_of: F,
    ) -> Connection<IdCursor, T> {
        let more = rows.len() as i64 > self.limit;
        rows.truncate(self.limit as usize);
        if !self.forward {
            rows.reverse();
        }
        let mut connection = Connection::new(!self.forward && more, self.forward && more);
        connection.edges.extend(
            rows.into_iter()
                .map(|row| Edge::new(IdCursor(id_of(&row)), row)),
        );
        connection
    }
}

#[derive(Default)]
pub struct ProductQuery;

#[Object]
impl ProductQuery {
    /// A product of this shop by id.
    #[graphql(guard = "RequireScope::new(\"product\", \"read_products\")")]
    async fn product(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Product>> {
        let Ok(id) = Gid::parse_as(&id, "Product") else {
            return Ok(None);
        };
        find(ctx.data::<CatalogDb>()?, shop(ctx)?, id).await
    }

    /// This shop's products in id order, those the `query` matches: `title:` (anywhere in
    /// the title, as free text does), `tag:`, `handle:`, `product_type:`, `vendor:`, `status:`.
    #[allow(clippy::too_many_arguments)]
    #[graphql(guard = "RequireScope::new(\"products\", \"read_products\")")]
    async fn products(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        #[graphql(default_with = "Some(false)")] reverse: Option<bool>,
        query: Option<String>,
    ) -> async_graphql::Result<Connection<IdCursor, Product>> {
        let reverse = reverse.unwrap_or(false);
        let window = Window::from_arguments(first, last, after, before, reverse)?;
        let shop = shop(ctx)?;
        let (filter, values) = product_filter(query.as_deref(), 5);
        let sql = format!(
            "SELECT {COLUMNS} FROM products WHERE shop_id = $1 AND {filter} AND {}",
            window.sql()
        );
        let (after, before, limit) = (window.after, window.before, window.limit + 1);
        let rows = ctx
            .data::<CatalogDb>()?
            .read(move |conn| {
                async move {
                    let mut query = sqlx::query_as::<_, ProductRow>(&sql)
                        .bind(shop.0)
                        .bind(after)
                        .bind(before)
                        .bind(limit);
                    for value in values {
                        query = query.bind(value);
                    }
                    Ok(query.fetch_all(conn).await?)
                }
                .boxed()
            })
            .await?;
        Ok(
            window.page(rows.into_iter().map(Product).collect(), |product| {
                product.0.id
            }),
        )
    }
}
