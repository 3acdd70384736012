//! `productSet`: a product made or brought to the state its input describes, options, variants
//! and metafields included, in one call, as an ERP or PIM sync sends it. Options and variants
//! the input leaves out go; those it names by id (or options by name) are kept and changed.
//!
//! Everything the input could be refused for is checked before anything is written, so that a
//! bulk line (whose writes the executor keeps whenever its answer is not an error) never keeps
//! half a product.

use super::input::{handle_taken, HandleRequest, SeoInput, MAX_TEXT_CHARS};
use super::mutation::{create, now_millis, shop, update};
use super::{Product, ProductFields, ProductStatus, WRITE_PRODUCTS};
use crate::db::CatalogDb;
use crate::metafield::mutation::{check, refusal_path, settings_of, Setting};
use crate::option::has_delimiter;
use crate::shape::rules::{amount_problems, Broken, Problem};
use crate::shape::{OptionValue, ProductOption, Shape, VariantRow};
use crate::user_errors::ProductSetUserError;
use crate::variant::input::{MetafieldInput, ProductVariantSetInput, VariantChanges};
use async_graphql::{Context, Enum, InputObject, Object, SimpleObject, ID};
use futures::FutureExt;
use stevedore_core::{nullable, Gid, RequireScope, ShopId};

/// `OptionSetInput`.
#[derive(InputObject, Clone, Debug, Default)]
pub struct OptionSetInput {
    pub id: Option<ID>,
    pub name: Option<String>,
    pub position: Option<i32>,
    pub values: Option<Vec<OptionValueSetInput>>,
}

/// `OptionValueSetInput`.
#[derive(InputObject, Clone, Debug, Default)]
pub struct OptionValueSetInput {
    pub id: Option<ID>,
    pub name: Option<String>,
}

/// `ProductSetIdentifiers`: which product a `productSet` is for, other than by `input.id`.
#[derive(InputObject, Clone, Debug, Default)]
pub struct ProductSetIdentifiers {
    pub id: Option<ID>,
    pub handle: Option<String>,
}

/// `ProductSetInput`.
#[derive(InputObject, Clone, Debug, Default)]
pub struct ProductSetInput {
    pub id: Option<ID>,
    pub title: Option<String>,
    pub description_html: Option<String>,
    pub handle: Option<String>,
    pub product_type: Option<String>,
    pub vendor: Option<String>,
    pub tags: Option<Vec<String>>,
    pub status: Option<ProductStatus>,
    pub template_suffix: Option<String>,
    pub gift_card: Option<bool>,
    pub gift_card_template_suffix: Option<String>,
    pub seo: Option<SeoInput>,
    pub category: Option<ID>,
    pub requires_selling_plan: Option<bool>,
    pub product_options: Option<Vec<OptionSetInput>>,
    pub variants: Option<Vec<ProductVariantSetInput>>,
    pub metafields: Option<Vec<MetafieldInput>>,
    /// The product's media, exactly these in this order (left as they are when not given).
    pub files: Option<Vec<crate::media::mutation::FileSetInput>>,
}

impl ProductSetInput {
    fn fields(&self) -> ProductFields {
        ProductFields {
            id: None,
            title: self.title.clone(),
            description_html: self.description_html.clone(),
            handle: self.handle.clone(),
            product_type: self.product_type.clone(),
            vendor: self.vendor.clone(),
            tags: self.tags.clone(),
            status: self.status,
            template_suffix: self.template_suffix.clone(),
            gift_card: self.gift_card,
            seo: self.seo.clone(),
            product_options: None,
        }
    }
}

/// `ProductOperationStatus`.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ProductOperationStatus {
    Created,
    Active,
    Complete,
}

/// `ProductSetOperation`: a `productSet` asked to run in the background. The catalog runs it
/// before answering, so reading it back finds it `COMPLETE`; the answer itself shows it
/// `CREATED`, as the hosted API's does.
#[derive(Clone, Debug)]
pub struct ProductSetOperation {
    pub(crate) id: i64,
    pub(crate) status: ProductOperationStatus,
    pub(crate) product_id: Option<i64>,
    pub(crate) user_errors: Vec<ProductSetUserError>,
}

#[Object]
impl ProductSetOperation {
    pub async fn id(&self) -> ID {
        ID(Gid::new("ProductSetOperation", self.id).to_string())
    }
    async fn status(&self) -> ProductOperationStatus {
        self.status
    }
    async fn product(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Product>> {
        match (self.status, self.product_id) {
            (ProductOperationStatus::Complete, Some(id)) => {
                super::find(ctx.data::<CatalogDb>()?, shop(ctx)?, id).await
            }
            _ => Ok(None),
        }
    }
    async fn user_errors(&self) -> Vec<ProductSetUserError> {
        match self.status {
            ProductOperationStatus::Complete => self.user_errors.clone(),
            _ => vec![],
        }
    }
}

#[derive(SimpleObject)]
pub struct ProductSetPayload {
    product: Option<Product>,
    product_set_operation: Option<ProductSetOperation>,
    user_errors: Vec<ProductSetUserError>,
}

fn error(field: &[&str], message: impl Into<String>, code: Option<&str>) -> ProductSetUserError {
    ProductSetUserError::new(field, message, code)
}

/// The product attribute checks, worded as `productSet` words them (under `input`).
fn attribute_errors(fields: &ProductFields, creating: bool) -> Vec<ProductSetUserError> {
    let mut errors: Vec<ProductSetUserError> = super::input::validate(fields, creating)
        .into_iter()
        .map(|user_error| {
            let field = user_error.field.unwrap_or_default();
            if field.first().map(String::as_str) == Some("title") {
                let message = user_error
                    .message
                    .strip_prefix("Title ")
                    .unwrap_or(&user_error.message)
                    .to_owned();
                error(&["input", "title"], message, None)
            } else {
                error(&["input"], user_error.message, None)
            }
        })
        .collect();
    // A handle made from a title too long is too long as well.
    let title_too_long = fields
        .title
        .as_deref()
        .is_some_and(|title| title.chars().count() > MAX_TEXT_CHARS);
    if fields.handle.is_none() && title_too_long {
        errors.push(error(
            &["input"],
            format!("Handle is too long (maximum is {MAX_TEXT_CHARS} characters)"),
            None,
        ));
    }
    errors
}

/// The shape `input` describes, made from `current` (the product's shape, or an empty one for a
/// new product); or the problems, under `input`.
fn planned_shape(
    current: &Shape,
    options: Option<&[OptionSetInput]>,
    variants: Option<&[VariantChanges]>,
    now: i64,
) -> Result<Option<Planned>, Vec<ProductSetUserError>> {
    let (options, variants) = match (options, variants) {
        (None, None) => return Ok(None),
        (Some(_), None) => {
            return Err(vec![error(
                &["input", "variants"],
                "Variants input is required when updating product options",
                None,
            )])
        }
        (options, Some(variants)) => (options, variants),
    };
    let mut errors = Vec::new();
    let mut shape = Shape {
        product_id: current.product_id,
        options: current.options.clone(),
        variants: Vec::new(),
    };
    if let Some(inputs) = options {
        let mut ordered: Vec<(usize, &OptionSetInput)> = inputs.iter().enumerate().collect();
        ordered.sort_by_key(|(index, input)| (input.position.map_or(i64::MAX, i64::from), *index));
        let mut planned = Vec::with_capacity(inputs.len());
        for (index, input) in ordered {
            let name = input.name.clone().unwrap_or_default();
            let at = index.to_string();
            if has_delimiter(&name) {
                errors.push(error(
                    &["input", "productOptions", &at, "name"],
                    "The name contains unsupported sequence ' / '",
                    Some("INVALID_INPUT"),
                ));
                continue;
            }
            let existing = match &input.id {
                Some(id) => {
                    let id = Gid::parse_as(id, "ProductOption").ok();
                    match current.options.iter().find(|option| Some(option.id) == id) {
                        Some(option) => Some(option),
                        None => {
                            errors.push(error(
                                &["input", "productOptions", &at, "id"],
                                "Option does not exist",
                                Some("OPTION_DOES_NOT_EXIST"),
                            ));
                            continue;
                        }
                    }
                }
                None => current
                    .options
                    .iter()
                    .find(|option| option.name.to_lowercase() == name.to_lowercase()),
            };
            let values = input
                .values
                .iter()
                .flatten()
                .map(|value| {
                    let known = existing.and_then(|option| match (&value.id, &value.name) {
                        (Some(id), _) => {
                            let id = Gid::parse_as(id, "ProductOptionValue").ok();
                            option.values.iter().find(|known| Some(known.id) == id)
                        }
                        (None, Some(name)) => option.value_named(name),
                        _ => None,
                    });
                    OptionValue {
                        id: known.map_or(0, |known| known.id),
                        name: value
                            .name
                            .clone()
                            .or_else(|| known.map(|known| known.name.clone()))
                            .unwrap_or_default(),
                    }
                })
                .collect();
            planned.push(ProductOption {
                id: existing.map_or(0, |option| option.id),
                name: if name.is_empty() {
                    existing
                        .map(|option| option.name.clone())
                        .unwrap_or_default()
                } else {
                    name
                },
                values,
            });
        }
        if planned.len() > crate::shape::MAX_OPTIONS {
            errors.push(error(
                &["input", "productOptions"],
                format!(
                    "Options count is over the allowed limit of {}.",
                    crate::shape::MAX_OPTIONS
                ),
                Some("OPTIONS_OVER_LIMIT"),
            ));
        }
        shape.options = planned;
    } else if current.variants.is_empty() {
        // A new product given variants but no options: its options are those the variants name,
        // in the order they first appear.
        for variant in variants {
            for value in variant.option_values.iter().flatten() {
                let Some(name) = &value.option_name else {
                    continue;
                };
                if !shape
                    .options
                    .iter()
                    .any(|o| o.name.to_lowercase() == name.to_lowercase())
                {
                    shape.options.push(ProductOption::new(name, []));
                }
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut placed = Vec::with_capacity(variants.len());
    for (index, input) in variants.iter().enumerate() {
        let at = index.to_string();
        let place = ["input", "variants", at.as_str()];
        let mut row = match &input.id {
            Some(id) => {
                let id = Gid::parse_as(id, "ProductVariant").ok();
                match current
                    .variants
                    .iter()
                    .find(|variant| Some(variant.id) == id)
                {
                    Some(variant) => variant.clone(),
                    None => {
                        errors.push(ProductSetUserError::from(
                            Problem::at(&["id"], Broken::VariantMissing).under(&place),
                        ));
                        continue;
                    }
                }
            }
            None => VariantRow::new(shape.product_id, now),
        };
        let mut problems: Vec<Problem> = amount_problems(input);
        let current_row = input.id.as_ref().map(|_| row.clone());
        match shape.place_values(
            input.option_values.as_deref().unwrap_or_default(),
            current_row.as_ref(),
        ) {
            Ok(values) if shape.variant_with_values(&values, None).is_some() => {
                problems.push(Problem::at(&[], Broken::VariantExists(values.join(" / "))));
            }
            Ok(values) => row.set_values(&values),
            Err(problem) => problems.push(problem),
        }
        errors.extend(
            problems
                .into_iter()
                .map(|problem| ProductSetUserError::from(problem.under(&place))),
        );
        // Kept even when refused (the shape is then dropped), so that a later variant with the
        // same values is found a duplicate as well.
        input.apply(&mut row);
        placed.push(row.values().map(str::to_owned).collect());
        shape.variants.push(row);
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    // Variants named with a position go there; the others keep the input's order.
    let mut positioned: Vec<(usize, VariantRow)> = variants
        .iter()
        .zip(std::mem::take(&mut shape.variants))
        .enumerate()
        .map(|(index, (input, row))| {
            let position = input
                .position
                .map_or(index, |position| position.max(1) as usize - 1);
            (position, row)
        })
        .collect();
    positioned.sort_by_key(|(position, _)| *position);
    shape.variants = positioned.into_iter().map(|(_, row)| row).collect();
    Ok(Some(Planned { shape, placed }))
}

/// The shape a `productSet` input describes, and the values each of its variants has (so that
/// what is written for a variant input, its metafields, finds the variant once saved).
struct Planned {
    shape: Shape,
    placed: Vec<Vec<String>>,
}

/// The metafields of the product and of each variant input, checked; or the refusals as user
/// errors under `input`.
async fn metafield_settings(
    db: &CatalogDb,
    shop: ShopId,
    product: &[MetafieldInput],
    variants: &[VariantChanges],
) -> async_graphql::Result<Result<(Vec<Setting>, Vec<Vec<Setting>>), Vec<ProductSetUserError>>> {
    let refused = |at: &[&str], refusals: Vec<crate::metafield::mutation::Refusal>| {
        refusals
            .iter()
            .map(|refusal| ProductSetUserError {
                field: Some(refusal_path(at, refusal)),
                message: refusal.message.clone(),
                code: Some("INVALID_METAFIELD".to_owned()),
            })
            .collect::<Vec<_>>()
    };
    let mut errors = Vec::new();
    let mut own = settings_of(product, "PRODUCT");
    errors.extend(refused(
        &["input", "metafields"],
        check(db, shop, &mut own).await?,
    ));
    let mut of_variants = Vec::with_capacity(variants.len());
    for (index, variant) in variants.iter().enumerate() {
        let mut settings = settings_of(
            variant.metafields.as_deref().unwrap_or_default(),
            "PRODUCTVARIANT",
        );
        let at = index.to_string();
        errors.extend(refused(
            &["input", "variants", &at, "metafields"],
            check(db, shop, &mut settings).await?,
        ));
        of_variants.push(settings);
    }
    Ok(if errors.is_empty() {
        Ok((own, of_variants))
    } else {
        Err(errors)
    })
}

/// The product `identifier` (or `input.id`) names: `Ok(None)` to create one.
async fn target(
    db: &CatalogDb,
    shop: ShopId,
    input: &ProductSetInput,
    identifier: Option<&ProductSetIdentifiers>,
) -> async_graphql::Result<Result<Option<i64>, ProductSetUserError>> {
    let missing = |field: &[&str]| {
        Err(error(
            field,
            "Product does not exist",
            Some("PRODUCT_DOES_NOT_EXIST"),
        ))
    };
    if let Some(identifier) = identifier {
        if input.id.is_some() {
            return Ok(Err(error(
                &["input"],
                "The id field is not allowed if identifier is provided.",
                Some("ID_NOT_ALLOWED"),
            )));
        }
        if let Some(id) = &identifier.id {
            let Ok(id) = Gid::parse_as(id, "Product") else {
                return Ok(missing(&["identifier", "id"]));
            };
            return Ok(match super::find(db, shop, id).await? {
                Some(_) => Ok(Some(id)),
                None => missing(&["identifier", "id"]),
            });
        }
        if let Some(handle) = &identifier.handle {
            let handle = handle.clone();
            let found: Option<i64> = db
                .read(move |conn| {
                    async move {
                        Ok(sqlx::query_scalar(
                            "SELECT id FROM products WHERE shop_id = $1 AND handle = $2",
                        )
                        .bind(shop.0)
                        .bind(handle)
                        .fetch_optional(conn)
                        .await?)
                    }
                    .boxed()
                })
                .await?;
            return Ok(Ok(found));
        }
        return Ok(Ok(None));
    }
    match &input.id {
        None => Ok(Ok(None)),
        Some(id) => {
            let Ok(id) = Gid::parse_as(id, "Product") else {
                return Ok(missing(&["input", "id"]));
            };
            Ok(match super::find(db, shop, id).await? {
                Some(_) => Ok(Some(id)),
                None => missing(&["input", "id"]),
            })
        }
    }
}

/// Runs a `productSet`: the product as it now is, or the user errors (nothing written).
pub(crate) async fn run(
    db: &CatalogDb,
    shop: ShopId,
    input: ProductSetInput,
    identifier: Option<ProductSetIdentifiers>,
    now: i64,
    handle_answered: bool,
) -> async_graphql::Result<(Option<Product>, Vec<ProductSetUserError>)> {
    let target = match target(db, shop, &input, identifier.as_ref()).await? {
        Ok(target) => target,
        Err(refused) => return Ok((None, vec![refused])),
    };
    let mut fields = input.fields();
    // A new product named by handle gets that handle.
    if target.is_none() && fields.handle.is_none() {
        fields.handle = identifier
            .as_ref()
            .and_then(|identifier| identifier.handle.clone());
    }
    let mut errors = attribute_errors(&fields, target.is_none());
    let files = input.files.clone();
    errors.extend(
        crate::media::mutation::file_set_refusals(files.as_deref().unwrap_or_default(), &["input"])
            .into_iter()
            .map(ProductSetUserError::from),
    );
    if !errors.is_empty() {
        return Ok((None, errors));
    }
    let variants: Option<Vec<VariantChanges>> = input
        .variants
        .map(|variants| variants.into_iter().map(Into::into).collect());
    let current = match target {
        Some(id) => {
            db.read(move |conn| crate::shape::load(conn, shop, id).boxed())
                .await?
        }
        None => Shape::default(),
    };
    let planned = match planned_shape(
        &current,
        input.product_options.as_deref(),
        variants.as_deref(),
        now,
    ) {
        Ok(planned) => planned,
        Err(errors) => return Ok((None, errors)),
    };
    let (placed, planned) = match planned {
        Some(Planned { shape, placed }) => (placed, Some(shape)),
        None => (Vec::new(), None),
    };
    let (mut own_metafields, variant_metafields) = match metafield_settings(
        db,
        shop,
        input.metafields.as_deref().unwrap_or_default(),
        variants.as_deref().unwrap_or_default(),
    )
    .await?
    {
        Ok(settings) => settings,
        Err(errors) => return Ok((None, errors)),
    };
    db.atomically(
        |(product, _): &(Option<Product>, Vec<ProductSetUserError>)| product.is_some(),
        |db| async move {
            let product = match target {
                None => {
                    let created = create(&db, shop, fields, now, handle_answered, planned).await?;
                    match created.product {
                        Some(product) => product,
                        None => {
                            let errors = created.user_errors.into_iter().map(set_error).collect();
                            return Ok((None, errors));
                        }
                    }
                }
                Some(id) => {
                    fields.id = Some(ID(Gid::new("Product", id).to_string()));
                    let written = fields.handle.clone();
                    let updated = update(&db, shop, fields, now).await?;
                    if !updated.user_errors.is_empty() {
                        // Only a handle another product holds is refused this late; the
                        // product is shown as it is.
                        let errors = match (
                            &written,
                            HandleRequest::of(&ProductFields {
                                handle: written.clone(),
                                ..ProductFields::default()
                            }),
                        ) {
                            (Some(written), HandleRequest::Given { .. }) => {
                                vec![set_error(handle_taken(written))]
                            }
                            _ => updated.user_errors.into_iter().map(set_error).collect(),
                        };
                        return Ok((updated.product, errors));
                    }
                    if let Some(planned) = planned {
                        let changed = crate::shape::change(&db, shop, id, now, move |shape| {
                            let mut planned = planned;
                            planned.product_id = shape.product_id;
                            *shape = planned;
                            Ok::<_, ()>(())
                        })
                        .await?;
                        if let crate::shape::Change::Done(done) = changed {
                            Product::with_shape(done.product, done.shape)
                        } else {
                            return Ok((None, vec![]));
                        }
                    } else {
                        match updated.product {
                            Some(product) => product,
                            None => return Ok((None, vec![])),
                        }
                    }
                }
            };
            // The metafields, now that their owners have ids.
            let mut settings = Vec::new();
            for setting in &mut own_metafields {
                setting.owner_id = product.row.id;
            }
            settings.append(&mut own_metafields);
            if variant_metafields.iter().any(|of_one| !of_one.is_empty()) {
                let shape = product.shape_in(&db, shop).await?;
                for (values, of_one) in placed.iter().zip(variant_metafields) {
                    let Some(index) = shape.variant_with_values(values, None) else {
                        continue;
                    };
                    let owner = shape.variants[index].id;
                    settings.extend(of_one.into_iter().map(|setting| Setting {
                        owner_id: owner,
                        ..setting
                    }));
                }
            }
            // A product this call made and a bulk chunk recorded takes its metafields (and its
            // variants') along to the chunk's flush.
            let recorded = match (&db, target) {
                (CatalogDb::Chunk(chunk), None) if !settings.is_empty() => {
                    chunk
                        .defer_metafields(product.row.id, &settings, now)
                        .await?
                }
                _ => false,
            };
            if !settings.is_empty() && !recorded {
                crate::metafield::mutation::write_all(&db, shop, settings, now).await?;
            }
            let product = match files {
                Some(files) => {
                    let id = product.row.id;
                    let made = db
                        .write(move |conn| {
                            async move {
                                crate::media::mutation::set_product_media(
                                    conn, shop, id, &files, now,
                                )
                                .await
                            }
                            .boxed()
                        })
                        .await?;
                    product.with_fresh_media(made)
                }
                None => product,
            };
            Ok((Some(product), vec![]))
        },
    )
    .await
}

fn set_error(user_error: crate::UserError) -> ProductSetUserError {
    ProductSetUserError {
        field: user_error.field,
        message: user_error.message,
        code: None,
    }
}

#[derive(Default)]
pub struct ProductSetMutation;

#[Object]
impl ProductSetMutation {
    /// Makes or updates a product to the state `input` describes. With `synchronous: false`
    /// the answer names a `ProductSetOperation` to read back with `productOperation(id:)`.
    #[graphql(guard = "RequireScope::new(\"productSet\", WRITE_PRODUCTS)")]
    async fn product_set(
        &self,
        ctx: &Context<'_>,
        input: ProductSetInput,
        #[graphql(default = true)] synchronous: bool,
        identifier: Option<ProductSetIdentifiers>,
    ) -> async_graphql::Result<Option<ProductSetPayload>> {
        nullable(async move {
            let db = ctx.data::<CatalogDb>()?;
            let shop = shop(ctx)?;
            let now = now_millis(ctx)?;
            let (product, user_errors) = run(
                db,
                shop,
                input,
                identifier,
                now,
                ctx.data_opt::<crate::direct::HandleNotAnswered>().is_none(),
            )
            .await?;
            if synchronous {
                return Ok(ProductSetPayload {
                    product,
                    product_set_operation: None,
                    user_errors,
                });
            }
            let operation =
                super::operation::record(db, shop, product.as_ref(), &user_errors, now).await?;
            Ok(ProductSetPayload {
                product: None,
                product_set_operation: Some(ProductSetOperation {
                    status: ProductOperationStatus::Created,
                    ..operation
                }),
                user_errors: vec![],
            })
        })
        .await
    }
}
