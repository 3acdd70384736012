//! The `products` table: its rows, the statements that write them, and how a new product's
//! row is made from its input.

use super::input::{handle_or_fallback, normalize_tags, validate, HandleRequest};
use super::{Product, ProductFields, ProductStatus};
use crate::db::CatalogDb;
use crate::error::{CatalogError, CatalogResult};
use crate::handle::{unique_handle, HandleTable};
use crate::UserError;
use stevedore_core::ShopId;

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

pub(crate) const COLUMNS: &str =
    "id, title, handle, description_html, product_type, vendor, tags, status, template_suffix, \
     gift_card, seo_title, seo_description, created_at, updated_at";

pub(crate) async fn find(
    db: &CatalogDb,
    shop: ShopId,
    id: i64,
) -> async_graphql::Result<Option<Product>> {
    let sql = format!("SELECT {COLUMNS} FROM products WHERE id = $1 AND shop_id = $2");
    Ok(db
        .find_row::<ProductRow>(sql, shop, id)
        .await?
        .map(Product::from))
}

pub(crate) enum Created {
    /// Written, with its shape when it was not the default one.
    Product(Box<ProductRow>, Option<std::sync::Arc<crate::shape::Shape>>),
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
    pub(crate) async fn insert_if_handle_free(
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
    /// its handle was given or made from the title; or the input's user errors, in the order
    /// the hosted API reports them (an `id` first: a product being created has none).
    pub(crate) fn new_product(
        fields: ProductFields,
        now: i64,
    ) -> Result<(ProductRow, HandleFrom), Vec<UserError>> {
        if fields.id.is_some() {
            return Err(vec![UserError::new(
                &["input"],
                "id cannot be specified during creation",
            )]);
        }
        let errors = validate(&fields, true);
        if !errors.is_empty() {
            return Err(errors);
        }
        let request = HandleRequest::of(&fields);
        let title = fields.title.unwrap_or_default();
        let (handle, handle_from) = match request {
            HandleRequest::Given {
                kept: Some(kept), ..
            } => (kept, HandleFrom::Input),
            // Nothing left of the given handle: `product`, suffixed when taken, as a title's.
            HandleRequest::Given { kept: None, .. } => (handle_or_fallback(""), HandleFrom::Title),
            HandleRequest::FromTitle => (handle_or_fallback(&title), HandleFrom::Title),
        };
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
