//! `productCreateMedia`, `productUpdateMedia`, `productDeleteMedia` and `productReorderMedia`,
//! and `job(id:)` for the job a reorder answers with. Messages and codes are the captured ones.
//!
//! Creating keeps the valid items and reports the others; updating and deleting change nothing
//! when an id names no media of the product, as the hosted API does.

use super::storage::{self, NewMedia};
use super::{Media, MediaContentType, MediaItem};
use crate::db::CatalogDb;
use crate::product::mutation::{now_millis, shop};
use crate::product::{Product, WRITE_PRODUCTS};
use crate::user_errors::{MediaUserError, Refusal};
use crate::UserError;
use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use futures::FutureExt;
use stevedore_core::scalars::UnsignedInt64;
use stevedore_core::{nullable, Gid, RequireScope};

/// The longest alt text a media item takes.
const ALT_LIMIT: usize = 512;

/// `CreateMediaInput`.
#[derive(InputObject, Clone, Debug)]
pub struct CreateMediaInput {
    pub alt: Option<String>,
    pub media_content_type: MediaContentType,
    pub original_source: String,
}

/// `UpdateMediaInput`.
#[derive(InputObject, Clone, Debug)]
pub struct UpdateMediaInput {
    pub id: ID,
    pub alt: Option<String>,
    pub preview_image_source: Option<String>,
}

/// `MoveInput`.
#[derive(InputObject, Clone, Debug)]
pub struct MoveInput {
    pub id: ID,
    pub new_position: UnsignedInt64,
}

/// `Job`: work the hosted API finishes later. Here it is done when it is answered; `done`
/// reads false in the mutation's own payload (as captured) and true from `job(id:)`.
#[derive(SimpleObject, Clone, Debug)]
pub struct Job {
    id: ID,
    done: bool,
}

impl Job {
    /// A job just begun, as the mutation that begins it answers it.
    pub(crate) fn started() -> Self {
        Self {
            id: ID(format!("gid://shopify/Job/{}", uuid::Uuid::new_v4())),
            done: false,
        }
    }
}

/// `FileContentType`.
#[derive(async_graphql::Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum FileContentType {
    Image,
    File,
    Video,
    ExternalVideo,
    #[graphql(name = "MODEL_3D")]
    Model3d,
}

/// `FileSetInput`: one of the files `productSet` gives a product, by `id` (one it has) or by
/// source.
#[derive(InputObject, Clone, Debug)]
pub struct FileSetInput {
    pub id: Option<ID>,
    pub original_source: Option<String>,
    pub alt: Option<String>,
    pub content_type: Option<FileContentType>,
    pub filename: Option<String>,
}

/// The most files one `productSet` gives a product.
pub(crate) const MAX_SET_FILES: usize = 250;

/// The kind of media a file becomes: its content type, or else what its URL's extension says
/// (an image unless it names a video or a 3D model). None for `FILE`: a generic file is no
/// product media.
fn kind_of_file(input: &FileSetInput) -> Option<MediaContentType> {
    match input.content_type {
        Some(FileContentType::Image) => Some(MediaContentType::Image),
        Some(FileContentType::Video) => Some(MediaContentType::Video),
        Some(FileContentType::ExternalVideo) => Some(MediaContentType::ExternalVideo),
        Some(FileContentType::Model3d) => Some(MediaContentType::Model3d),
        Some(FileContentType::File) => None,
        None => {
            let source = input.original_source.as_deref().unwrap_or_default();
            let path = source.split(['?', '#']).next().unwrap_or(source);
            let extension = path
                .rsplit_once('.')
                .map(|(_, extension)| extension.to_ascii_lowercase());
            Some(match extension.as_deref() {
                Some("mp4" | "mov" | "webm") => MediaContentType::Video,
                Some("glb" | "gltf" | "usdz") => MediaContentType::Model3d,
                _ => MediaContentType::Image,
            })
        }
    }
}

/// What is wrong with `productSet`'s `files`, each at its place under `at`; checked before
/// anything is written.
pub(crate) fn file_set_refusals(files: &[FileSetInput], at: &[&str]) -> Vec<Refusal> {
    if files.len() > MAX_SET_FILES {
        return vec![Refusal::new(
            &[at, &["files"]].concat(),
            format!("Files can't exceed {MAX_SET_FILES}."),
            "INVALID_INPUT",
        )];
    }
    let mut refusals = Vec::new();
    for (index, file) in files.iter().enumerate() {
        let index = index.to_string();
        let place =
            |field: &'static str| -> Vec<&str> { [at, &["files", index.as_str(), field]].concat() };
        if file.id.is_some() {
            continue;
        }
        match &file.original_source {
            Some(source) if is_source_url(source) => {}
            _ => refusals.push(Refusal::new(
                &place("originalSource"),
                "File URL is invalid",
                "INVALID_INPUT",
            )),
        }
        if kind_of_file(file).is_none() {
            refusals.push(Refusal::new(
                &place("contentType"),
                "Only images, videos and 3D models can be a product's files.",
                "INVALID_INPUT",
            ));
        }
        if file
            .alt
            .as_deref()
            .is_some_and(|alt| alt.chars().count() > ALT_LIMIT)
        {
            refusals.push(Refusal::new(
                &place("alt"),
                format!("The alt value exceeds the maximum limit of {ALT_LIMIT} characters."),
                "INVALID_INPUT",
            ));
        }
    }
    refusals
}

/// Makes product `product`'s media exactly `files`, in their order: those given by id (media
/// the product has) stay, with a new alt text if one is given; the others are made from their
/// source; media not listed go. Returns the ids of those made. `files` has passed
/// [`file_set_refusals`]; an id naming no media of the product is passed over.
pub(crate) async fn set_product_media(
    conn: &mut stevedore_store::AnyConnection,
    shop: stevedore_core::ShopId,
    product: i64,
    files: &[FileSetInput],
    now: i64,
) -> crate::CatalogResult<Vec<i64>> {
    let rows = storage::of_product(&mut *conn, shop, product).await?;
    let mut order: Vec<Option<i64>> = Vec::with_capacity(files.len());
    let mut made = Vec::new();
    for file in files {
        match &file.id {
            Some(id) => {
                let Ok(mut found) = pick(&rows, std::slice::from_ref(id)) else {
                    continue;
                };
                let mut row = found.remove(0);
                if let Some(alt) = &file.alt {
                    row.alt = alt.clone();
                    row.updated_at = now;
                    storage::update_alt(&mut *conn, &row).await?;
                }
                order.push(Some(row.id));
            }
            None => {
                order.push(None);
                made.push(NewMedia {
                    content_type: kind_of_file(file)
                        .unwrap_or(MediaContentType::Image)
                        .stored(),
                    alt: file.alt.clone().unwrap_or_default(),
                    original_source: file.original_source.clone().unwrap_or_default(),
                    filename: file.filename.clone(),
                });
            }
        }
    }
    let kept: Vec<i64> = order.iter().flatten().copied().collect();
    let gone: Vec<i64> = rows
        .iter()
        .map(|row| row.id)
        .filter(|id| !kept.contains(id))
        .collect();
    storage::delete(&mut *conn, shop, product, &gone).await?;
    let new: Vec<i64> = storage::append(&mut *conn, shop, Some(product), &made, now)
        .await?
        .into_iter()
        .map(|row| row.id)
        .collect();
    let mut new_ids = new.iter();
    let ids: Vec<i64> = order
        .into_iter()
        .filter_map(|id| id.or_else(|| new_ids.next().copied()))
        .collect();
    storage::put_in_order(conn, &ids).await?;
    Ok(new)
}

/// Payloads carry each error twice: coded in `mediaUserErrors`, and in the older `userErrors`.
fn both(refusals: Vec<Refusal>) -> (Vec<MediaUserError>, Vec<UserError>) {
    let older = refusals
        .iter()
        .map(|refusal| UserError {
            field: Some(refusal.field.clone()),
            message: refusal.message.clone(),
        })
        .collect();
    (refusals.into_iter().map(Into::into).collect(), older)
}

pub(crate) fn product_missing(at: &str) -> Refusal {
    Refusal::new(&[at], "Product does not exist", "PRODUCT_DOES_NOT_EXIST")
}

/// The refusal of ids that name no media of the product: one error for all of them.
fn media_missing(at: &str, ids: &[&ID]) -> Refusal {
    let listed: Vec<&str> = ids.iter().map(|id| id.as_str()).collect();
    let message = match listed.as_slice() {
        [one] => format!("Media id {one} does not exist"),
        many => format!("Media ids {} do not exist", many.join(",")),
    };
    Refusal::new(&[at], message, "MEDIA_DOES_NOT_EXIST")
}

/// Whether `source` is an absolute http(s) URL with a host: nothing else can be a media
/// item's source.
pub(crate) fn is_source_url(source: &str) -> bool {
    let Some(rest) = source
        .strip_prefix("https://")
        .or_else(|| source.strip_prefix("http://"))
    else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    !host.is_empty() && !source.chars().any(char::is_whitespace)
}

/// The new media `inputs` ask for, and the refusals of those that cannot be made (each at its
/// place under `at`).
pub(crate) fn new_media(inputs: &[CreateMediaInput], at: &str) -> (Vec<NewMedia>, Vec<Refusal>) {
    let mut made = Vec::new();
    let mut refusals = Vec::new();
    for (index, input) in inputs.iter().enumerate() {
        let index = index.to_string();
        if !is_source_url(&input.original_source) {
            let message = match input.media_content_type {
                MediaContentType::Image => "Image URL is invalid",
                _ => "Media URL is invalid",
            };
            refusals.push(Refusal::new(
                &[at, &index, "originalSource"],
                message,
                "INVALID",
            ));
            continue;
        }
        let alt = input.alt.clone().unwrap_or_default();
        if alt.chars().count() > ALT_LIMIT {
            refusals.push(Refusal::new(
                &[at, &index, "alt"],
                format!("The alt value exceeds the maximum limit of {ALT_LIMIT} characters."),
                "INVALID",
            ));
            continue;
        }
        made.push(NewMedia {
            content_type: input.media_content_type.stored(),
            alt,
            original_source: input.original_source.clone(),
            filename: None,
        });
    }
    (made, refusals)
}

/// `productCreateMedia`'s payload.
#[derive(SimpleObject)]
pub struct ProductCreateMediaPayload {
    media: Option<Vec<Media>>,
    media_user_errors: Vec<MediaUserError>,
    user_errors: Vec<UserError>,
    product: Option<Product>,
}

/// `productUpdateMedia`'s payload.
#[derive(SimpleObject)]
pub struct ProductUpdateMediaPayload {
    media: Option<Vec<Media>>,
    media_user_errors: Vec<MediaUserError>,
    user_errors: Vec<UserError>,
    product: Option<Product>,
}

/// `productDeleteMedia`'s payload.
#[derive(SimpleObject)]
pub struct ProductDeleteMediaPayload {
    deleted_media_ids: Option<Vec<ID>>,
    deleted_product_image_ids: Option<Vec<ID>>,
    media_user_errors: Vec<MediaUserError>,
    user_errors: Vec<UserError>,
    product: Option<Product>,
}

/// `productReorderMedia`'s payload.
#[derive(SimpleObject)]
pub struct ProductReorderMediaPayload {
    job: Option<Job>,
    media_user_errors: Vec<MediaUserError>,
    user_errors: Vec<UserError>,
}

/// The product `id` names, if this shop has it.
pub(crate) async fn product_of(
    ctx: &Context<'_>,
    id: &ID,
) -> async_graphql::Result<Option<Product>> {
    match Gid::parse_as(id, "Product") {
        Ok(id) => crate::product::find(ctx.data::<CatalogDb>()?, shop(ctx)?, id).await,
        Err(_) => Ok(None),
    }
}

/// Each of `ids` as the product's media row it names, or the ids that name none.
fn pick<'i>(
    rows: &[storage::MediaRow],
    ids: &'i [ID],
) -> Result<Vec<storage::MediaRow>, Vec<&'i ID>> {
    let mut found = Vec::with_capacity(ids.len());
    let mut missing = Vec::new();
    for id in ids {
        let row = Gid::parse(id).ok().and_then(|gid| {
            rows.iter().find(|row| {
                row.id == gid.id
                    && MediaContentType::from_stored(&row.content_type).gid_type() == gid.type_name
            })
        });
        match row {
            Some(row) => found.push(row.clone()),
            None => missing.push(id),
        }
    }
    if missing.is_empty() {
        Ok(found)
    } else {
        Err(missing)
    }
}

#[derive(Default)]
pub struct MediaMutation;

#[Object]
impl MediaMutation {
    /// Adds media to a product, after those it has; those with a bad source are reported and
    /// the others made.
    #[graphql(guard = "RequireScope::new(\"productCreateMedia\", WRITE_PRODUCTS)")]
    async fn product_create_media(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        media: Vec<CreateMediaInput>,
    ) -> async_graphql::Result<Option<ProductCreateMediaPayload>> {
        nullable(async move {
            let Some(product) = product_of(ctx, &product_id).await? else {
                let (media_user_errors, user_errors) = both(vec![product_missing("productId")]);
                return Ok(ProductCreateMediaPayload {
                    media: None,
                    media_user_errors,
                    user_errors,
                    product: None,
                });
            };
            let (made, refusals) = new_media(&media, "media");
            let (shop, now, id) = (shop(ctx)?, now_millis(ctx)?, product.row.id);
            let rows = ctx
                .data::<CatalogDb>()?
                .write(move |conn| {
                    async move { storage::append(conn, shop, Some(id), &made, now).await }.boxed()
                })
                .await?;
            let fresh: Vec<i64> = rows.iter().map(|row| row.id).collect();
            let (media_user_errors, user_errors) = both(refusals);
            Ok(ProductCreateMediaPayload {
                media: Some(
                    rows.into_iter()
                        .map(|row| MediaItem { row, fresh: true }.into_media())
                        .collect(),
                ),
                media_user_errors,
                user_errors,
                product: Some(product.with_fresh_media(fresh)),
            })
        })
        .await
    }

    /// Changes the alt text of media of a product; an id that names none changes nothing.
    #[graphql(guard = "RequireScope::new(\"productUpdateMedia\", WRITE_PRODUCTS)")]
    async fn product_update_media(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        media: Vec<UpdateMediaInput>,
    ) -> async_graphql::Result<Option<ProductUpdateMediaPayload>> {
        nullable(async move {
            let refused = |refusal, product| {
                let (media_user_errors, user_errors) = both(vec![refusal]);
                ProductUpdateMediaPayload {
                    media: None,
                    media_user_errors,
                    user_errors,
                    product,
                }
            };
            let Some(product) = product_of(ctx, &product_id).await? else {
                return Ok(refused(product_missing("productId"), None));
            };
            let (shop, now, id) = (shop(ctx)?, now_millis(ctx)?, product.row.id);
            let db = ctx.data::<CatalogDb>()?;
            let rows = db
                .read(move |conn| storage::of_product(conn, shop, id).boxed())
                .await?;
            let ids: Vec<ID> = media.iter().map(|input| input.id.clone()).collect();
            let mut picked = match pick(&rows, &ids) {
                Ok(picked) => picked,
                Err(missing) => {
                    return Ok(refused(media_missing("media", &missing), Some(product)))
                }
            };
            for (row, input) in picked.iter_mut().zip(&media) {
                if let Some(alt) = &input.alt {
                    row.alt = alt.clone();
                    row.updated_at = now;
                }
            }
            let written = picked.clone();
            db.write(move |conn| {
                async move {
                    for row in &written {
                        storage::update_alt(&mut *conn, row).await?;
                    }
                    Ok(())
                }
                .boxed()
            })
            .await?;
            Ok(ProductUpdateMediaPayload {
                media: Some(
                    picked
                        .into_iter()
                        .map(|row| MediaItem { row, fresh: false }.into_media())
                        .collect(),
                ),
                media_user_errors: vec![],
                user_errors: vec![],
                product: Some(product),
            })
        })
        .await
    }

    /// Deletes media of a product; an id that names none deletes nothing.
    #[graphql(guard = "RequireScope::new(\"productDeleteMedia\", WRITE_PRODUCTS)")]
    async fn product_delete_media(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        media_ids: Vec<ID>,
    ) -> async_graphql::Result<Option<ProductDeleteMediaPayload>> {
        nullable(async move {
            let refused = |refusal, product| {
                let (media_user_errors, user_errors) = both(vec![refusal]);
                ProductDeleteMediaPayload {
                    deleted_media_ids: None,
                    deleted_product_image_ids: None,
                    media_user_errors,
                    user_errors,
                    product,
                }
            };
            let Some(product) = product_of(ctx, &product_id).await? else {
                return Ok(refused(product_missing("productId"), None));
            };
            let (shop, id) = (shop(ctx)?, product.row.id);
            let db = ctx.data::<CatalogDb>()?;
            let rows = db
                .read(move |conn| storage::of_product(conn, shop, id).boxed())
                .await?;
            let picked = match pick(&rows, &media_ids) {
                Ok(picked) => picked,
                Err(missing) => {
                    return Ok(refused(media_missing("mediaIds", &missing), Some(product)))
                }
            };
            let gone: Vec<i64> = picked.iter().map(|row| row.id).collect();
            db.write(move |conn| {
                async move { storage::delete(conn, shop, id, &gone).await }.boxed()
            })
            .await?;
            let items: Vec<MediaItem> = picked
                .into_iter()
                .map(|row| MediaItem { row, fresh: false })
                .collect();
            Ok(ProductDeleteMediaPayload {
                deleted_media_ids: Some(items.iter().map(|item| ID(item.gid())).collect()),
                deleted_product_image_ids: Some(
                    items
                        .iter()
                        .filter(|item| item.kind() == MediaContentType::Image)
                        .map(|item| {
                            let image = item.row.image_id.unwrap_or(item.row.id);
                            ID(Gid::new("ProductImage", image).to_string())
                        })
                        .collect(),
                ),
                media_user_errors: vec![],
                user_errors: vec![],
                product: Some(product),
            })
        })
        .await
    }

    /// Moves media of a product, one move after another: each to its 0-based `newPosition`.
    /// Ids that name no media of the product are passed over.
    #[graphql(guard = "RequireScope::new(\"productReorderMedia\", WRITE_PRODUCTS)")]
    async fn product_reorder_media(
        &self,
        ctx: &Context<'_>,
        id: ID,
        moves: Vec<MoveInput>,
    ) -> async_graphql::Result<Option<ProductReorderMediaPayload>> {
        nullable(async move {
            let Some(product) = product_of(ctx, &id).await? else {
                let (media_user_errors, user_errors) = both(vec![product_missing("id")]);
                return Ok(ProductReorderMediaPayload {
                    job: None,
                    media_user_errors,
                    user_errors,
                });
            };
            let (shop, product) = (shop(ctx)?, product.row.id);
            let moves: Vec<(ID, u64)> = moves
                .into_iter()
                .map(|item| (item.id, item.new_position.0))
                .collect();
            ctx.data::<CatalogDb>()?
                .write(move |conn| {
                    async move {
                        let rows = storage::of_product(&mut *conn, shop, product).await?;
                        let mut order: Vec<storage::MediaRow> = rows.clone();
                        for (id, position) in &moves {
                            let Ok(picked) = pick(&order, std::slice::from_ref(id)) else {
                                continue;
                            };
                            let from = order.iter().position(|row| row.id == picked[0].id);
                            if let Some(from) = from {
                                let row = order.remove(from);
                                let to = (*position as usize).min(order.len());
                                order.insert(to, row);
                            }
                        }
                        let ids: Vec<i64> = order.iter().map(|row| row.id).collect();
                        storage::put_in_order(conn, &ids).await
                    }
                    .boxed()
                })
                .await?;
            Ok(ProductReorderMediaPayload {
                job: Some(Job::started()),
                media_user_errors: vec![],
                user_errors: vec![],
            })
        })
        .await
    }
}

#[derive(Default)]
pub struct JobQuery;

#[Object]
impl JobQuery {
    /// A job by id: every job here is done by the time its id is known.
    async fn job(&self, id: ID) -> Option<Job> {
        let rest = id.strip_prefix("gid://shopify/Job/")?;
        uuid::Uuid::parse_str(rest).ok()?;
        Some(Job {
            id: id.clone(),
            done: true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_must_be_web_urls() {
        assert!(is_source_url("https://placehold.co/600x400/png"));
        assert!(is_source_url("http://example.com/a.jpg?x=1"));
        assert!(!is_source_url("not-a-url"));
        assert!(!is_source_url("data:image/png;base64,AAAA"));
        assert!(!is_source_url("https:///nohost.png"));
    }

    #[test]
    fn several_missing_ids_are_named_in_one_error() {
        let (a, b) = (
            ID("gid://shopify/MediaImage/1".into()),
            ID("gid://shopify/MediaImage/2".into()),
        );
        assert_eq!(
            media_missing("media", &[&a]).message,
            "Media id gid://shopify/MediaImage/1 does not exist"
        );
        assert_eq!(
            media_missing("media", &[&a, &b]).message,
            "Media ids gid://shopify/MediaImage/1,gid://shopify/MediaImage/2 do not exist"
        );
    }
}
