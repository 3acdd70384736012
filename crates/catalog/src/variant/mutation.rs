//! `productVariantsBulkCreate`, `productVariantsBulkUpdate`, `productVariantsBulkDelete` and
//! `productVariantsBulkReorder`: each a change of the product's shape (see `crate::shape`).

use super::input::{ProductVariantsBulkInput, VariantChanges};
use super::ProductVariant;
use crate::db::CatalogDb;
use crate::metafield::mutation::{check, refusal_path, settings_of, write_all, Setting};
use crate::product::mutation::{now_millis, shop};
use crate::product::{Product, WRITE_PRODUCTS};
use crate::shape::rules::{amount_problems, Broken, Problem};
use crate::shape::{change, Change, Shape, VariantRow};
use crate::user_errors::{
    ProductVariantsBulkCreateUserError, ProductVariantsBulkDeleteUserError,
    ProductVariantsBulkReorderUserError, ProductVariantsBulkUpdateUserError,
};
use async_graphql::{Context, Enum, InputObject, Object, SimpleObject, ID};
use stevedore_core::{nullable, Gid, RequireScope};

/// `ProductVariantsBulkCreateStrategy`: what becomes of a product's one variant when others
/// are created.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ProductVariantsBulkCreateStrategy {
    /// The default variant ("Default Title") goes; a product's one variant of its own stays.
    Default,
    /// The one variant goes, whatever it is.
    RemoveStandaloneVariant,
    /// The one variant stays.
    PreserveStandaloneVariant,
}

/// `ProductVariantPositionInput`.
#[derive(InputObject, Clone, Debug)]
pub struct ProductVariantPositionInput {
    pub id: ID,
    pub position: i32,
}

macro_rules! variants_payload {
    ($name:ident, $error:ident) => {
        #[derive(SimpleObject)]
        pub struct $name {
            product: Option<Product>,
            product_variants: Option<Vec<ProductVariant>>,
            user_errors: Vec<$error>,
        }
    };
}
variants_payload!(
    ProductVariantsBulkCreatePayload,
    ProductVariantsBulkCreateUserError
);
variants_payload!(
    ProductVariantsBulkUpdatePayload,
    ProductVariantsBulkUpdateUserError
);

#[derive(SimpleObject)]
pub struct ProductVariantsBulkDeletePayload {
    product: Option<Product>,
    user_errors: Vec<ProductVariantsBulkDeleteUserError>,
}

#[derive(SimpleObject)]
pub struct ProductVariantsBulkReorderPayload {
    product: Option<Product>,
    user_errors: Vec<ProductVariantsBulkReorderUserError>,
}

fn product_gid(id: &ID) -> Option<i64> {
    Gid::parse_as(id, "Product").ok()
}

fn index_text(index: usize) -> String {
    index.to_string()
}

/// Makes new variants of `shape` from `inputs`, as `productVariantsBulkCreate` (and
/// `productSet`) make them; the new ones are appended. Problems are placed under `at`.
pub(crate) fn create_variants(
    shape: &mut Shape,
    inputs: &[VariantChanges],
    now: i64,
    at: &[&str],
) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (index, input) in inputs.iter().enumerate() {
        let index = index_text(index);
        let place = [at, &[index.as_str()]].concat();
        let mut found: Vec<Problem> = amount_problems(input)
            .into_iter()
            .map(|problem| problem.under(&place))
            .collect();
        let values = input.option_values.as_deref().unwrap_or_default();
        match shape.place_values(values, None) {
            Ok(values) => {
                if shape.variant_with_values(&values, None).is_some() {
                    found.push(Problem::at(
                        &place,
                        Broken::VariantExists(values.join(" / ")),
                    ));
                } else {
                    // Kept even when refused (the shape is then dropped), so that a later input
                    // with the same values is found a duplicate as well.
                    let mut row = VariantRow::new(shape.product_id, now);
                    row.set_values(&values);
                    input.apply(&mut row);
                    shape.variants.push(row);
                }
            }
            Err(problem) => found.push(problem.under(&place)),
        }
        problems.extend(found);
    }
    if shape.variants.len() > crate::shape::MAX_VARIANTS {
        problems.push(Problem::at(at, Broken::TooManyVariants));
    }
    problems
}

/// Applies `inputs` to the variants of `shape` they name by id. Each input that breaks a rule
/// is left out and reported under `at`; the others are applied.
pub(crate) fn update_variants(
    shape: &mut Shape,
    inputs: &[VariantChanges],
    at: &[&str],
) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (index, input) in inputs.iter().enumerate() {
        let index = index_text(index);
        let place = [at, &[index.as_str()]].concat();
        let Some(id) = &input.id else {
            problems.push(Problem::at(
                &[&place[..], &["id"]].concat(),
                Broken::VariantIdMissing,
            ));
            continue;
        };
        let target = Gid::parse_as(id, "ProductVariant")
            .ok()
            .and_then(|id| shape.variants.iter().position(|variant| variant.id == id));
        let Some(target) = target else {
            problems.push(Problem::at(
                &[&place[..], &["id"]].concat(),
                Broken::VariantMissing,
            ));
            continue;
        };
        let mut found: Vec<Problem> = Vec::new();
        if input.inventory_quantities.is_some() {
            found.push(Problem::at(
                &["inventoryQuantities"],
                Broken::QuantitiesOnUpdate,
            ));
        }
        found.extend(amount_problems(input));
        let mut trial = shape.clone();
        if let Some(values) = &input.option_values {
            let current = trial.variants[target].clone();
            match trial.place_values(values, Some(&current)) {
                Ok(values) if trial.variant_with_values(&values, Some(target)).is_some() => {
                    found.push(Problem::at(&[], Broken::VariantExists(values.join(" / "))));
                }
                Ok(values) => trial.variants[target].set_values(&values),
                Err(problem) => found.push(problem),
            }
        }
        if !found.is_empty() {
            problems.extend(found.into_iter().map(|problem| problem.under(&place)));
            continue;
        }
        input.apply(&mut trial.variants[target]);
        *shape = trial;
    }
    problems
}

/// Whether `shape`'s one variant goes when variants are created under `strategy`.
fn standalone_goes(shape: &Shape, strategy: ProductVariantsBulkCreateStrategy) -> bool {
    use ProductVariantsBulkCreateStrategy::*;
    shape.variants.len() == 1
        && match strategy {
            Default => shape.has_only_default_variant(),
            RemoveStandaloneVariant => true,
            PreserveStandaloneVariant => false,
        }
}

#[derive(Default)]
pub struct VariantMutation;

#[Object]
impl VariantMutation {
    /// Creates variants of a product.
    #[graphql(guard = "RequireScope::new(\"productVariantsBulkCreate\", WRITE_PRODUCTS)")]
    async fn product_variants_bulk_create(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        variants: Vec<ProductVariantsBulkInput>,
        strategy: Option<ProductVariantsBulkCreateStrategy>,
    ) -> async_graphql::Result<Option<ProductVariantsBulkCreatePayload>> {
        nullable(async move {
            let refused = |errors| ProductVariantsBulkCreatePayload {
                product: None,
                product_variants: Some(vec![]),
                user_errors: errors,
            };
            let missing = || {
                refused(vec![
                    Problem::at(&["productId"], Broken::ProductMissing).into()
                ])
            };
            let Some(product) = product_gid(&product_id) else {
                return Ok(missing());
            };
            let inputs: Vec<VariantChanges> = variants.into_iter().map(Into::into).collect();
            let strategy = strategy.unwrap_or(ProductVariantsBulkCreateStrategy::Default);
            let now = now_millis(ctx)?;
            let db = ctx.data::<CatalogDb>()?;
            let shop = shop(ctx)?;
            // Each variant's metafields, checked before anything is written.
            let mut metafields = Vec::with_capacity(inputs.len());
            let mut refusals = Vec::new();
            for (index, input) in inputs.iter().enumerate() {
                let mut settings = settings_of(
                    input.metafields.as_deref().unwrap_or_default(),
                    "PRODUCTVARIANT",
                );
                let at = index.to_string();
                for refusal in check(db, shop, &mut settings).await? {
                    refusals.push(ProductVariantsBulkCreateUserError {
                        field: Some(refusal_path(&["variants", &at, "metafields"], &refusal)),
                        message: refusal.message,
                        code: Some("INVALID_INPUT".to_owned()),
                    });
                }
                metafields.push(settings);
            }
            if !refusals.is_empty() {
                return Ok(refused(refusals));
            }
            let changed = db
                .atomically(
                    |_| true,
                    |db| async move {
                        let changed = change(&db, shop, product, now, move |shape| {
                            let goes = !inputs.is_empty() && standalone_goes(shape, strategy);
                            let problems = create_variants(shape, &inputs, now, &["variants"]);
                            if !problems.is_empty() {
                                return Err(problems);
                            }
                            if goes {
                                // The standalone variant goes, and with it the values only it
                                // had.
                                let gone = shape.variants.remove(0);
                                for (index, value) in gone.values().enumerate() {
                                    if !shape.value_has_variants(index, value) {
                                        shape.options[index].values.retain(|v| v.name != value);
                                    }
                                }
                            }
                            Ok(inputs.len())
                        })
                        .await?;
                        if let Change::Done(done) = &changed {
                            let new =
                                &done.shape.variants[done.shape.variants.len() - done.outcome..];
                            let settings: Vec<Setting> = new
                                .iter()
                                .zip(metafields)
                                .flat_map(|(variant, settings)| {
                                    settings.into_iter().map(|setting| Setting {
                                        owner_id: variant.id,
                                        ..setting
                                    })
                                })
                                .collect();
                            if !settings.is_empty() {
                                write_all(&db, shop, settings, now).await?;
                            }
                        }
                        Ok(changed)
                    },
                )
                .await?;
            Ok(match changed {
                Change::NoProduct => missing(),
                Change::Refused(problems) => {
                    refused(problems.into_iter().map(Into::into).collect())
                }
                Change::Done(done) => {
                    let all = ProductVariant::all(&done.shape);
                    let new = all[all.len() - done.outcome..].to_vec();
                    ProductVariantsBulkCreatePayload {
                        product: Some(Product::with_shape(done.product, done.shape)),
                        product_variants: Some(new),
                        user_errors: vec![],
                    }
                }
            })
        })
        .await
    }

    /// Updates variants of a product. Unless `allowPartialUpdates`, one refused variant leaves
    /// all of them as they were.
    #[graphql(guard = "RequireScope::new(\"productVariantsBulkUpdate\", WRITE_PRODUCTS)")]
    async fn product_variants_bulk_update(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        variants: Vec<ProductVariantsBulkInput>,
        #[graphql(default = false)] allow_partial_updates: bool,
    ) -> async_graphql::Result<Option<ProductVariantsBulkUpdatePayload>> {
        nullable(async move {
            let refused = |errors| ProductVariantsBulkUpdatePayload {
                product: None,
                product_variants: None,
                user_errors: errors,
            };
            let missing = || {
                refused(vec![
                    Problem::at(&["productId"], Broken::ProductMissing).into()
                ])
            };
            let Some(product) = product_gid(&product_id) else {
                return Ok(missing());
            };
            let inputs: Vec<VariantChanges> = variants.into_iter().map(Into::into).collect();
            let ids: Vec<Option<i64>> = inputs
                .iter()
                .map(|input| {
                    input
                        .id
                        .as_ref()
                        .and_then(|id| Gid::parse_as(id, "ProductVariant").ok())
                })
                .collect();
            let now = now_millis(ctx)?;
            let db = ctx.data::<CatalogDb>()?;
            let changed = change(db, shop(ctx)?, product, now, move |shape| {
                let problems = update_variants(shape, &inputs, &["variants"]);
                if !problems.is_empty() && !allow_partial_updates {
                    return Err(problems);
                }
                Ok(problems)
            })
            .await?;
            Ok(match changed {
                Change::NoProduct => missing(),
                Change::Refused(problems) => ProductVariantsBulkUpdatePayload {
                    product: crate::product::find(db, shop(ctx)?, product).await?,
                    product_variants: None,
                    user_errors: problems.into_iter().map(Into::into).collect(),
                },
                Change::Done(done) => {
                    let updated = ids
                        .into_iter()
                        .flatten()
                        .filter_map(|id| ProductVariant::with_id(&done.shape, id))
                        .collect();
                    ProductVariantsBulkUpdatePayload {
                        product: Some(Product::with_shape(done.product, done.shape)),
                        product_variants: Some(updated),
                        user_errors: done.outcome.into_iter().map(Into::into).collect(),
                    }
                }
            })
        })
        .await
    }

    /// Deletes variants of a product.
    #[graphql(guard = "RequireScope::new(\"productVariantsBulkDelete\", WRITE_PRODUCTS)")]
    async fn product_variants_bulk_delete(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        variants_ids: Vec<ID>,
    ) -> async_graphql::Result<Option<ProductVariantsBulkDeletePayload>> {
        nullable(async move {
            let refused = |errors| ProductVariantsBulkDeletePayload {
                product: None,
                user_errors: errors,
            };
            let missing = || {
                refused(vec![ProductVariantsBulkDeleteUserError::new(
                    &["productId"],
                    "Product does not exist",
                    Some("PRODUCT_DOES_NOT_EXIST"),
                )])
            };
            let Some(product) = product_gid(&product_id) else {
                return Ok(missing());
            };
            let ids: Vec<Option<i64>> = variants_ids
                .iter()
                .map(|id| Gid::parse_as(id, "ProductVariant").ok())
                .collect();
            let now = now_millis(ctx)?;
            let db = ctx.data::<CatalogDb>()?;
            let changed = change(db, shop(ctx)?, product, now, move |shape| {
                let foreign: Vec<ProductVariantsBulkDeleteUserError> = ids
                    .iter()
                    .enumerate()
                    .filter(|(_, id)| {
                        !id.is_some_and(|id| shape.variants.iter().any(|variant| variant.id == id))
                    })
                    .map(|(index, _)| {
                        ProductVariantsBulkDeleteUserError::new(
                            &["variantsIds", &index.to_string()],
                            "At least one variant does not belong to the product",
                            Some("AT_LEAST_ONE_VARIANT_DOES_NOT_BELONG_TO_THE_PRODUCT"),
                        )
                    })
                    .collect();
                if !foreign.is_empty() {
                    return Err(foreign);
                }
                shape
                    .variants
                    .retain(|variant| !ids.contains(&Some(variant.id)));
                Ok(())
            })
            .await?;
            Ok(match changed {
                Change::NoProduct => missing(),
                Change::Refused(errors) => refused(errors),
                Change::Done(done) => ProductVariantsBulkDeletePayload {
                    product: Some(Product::with_shape(done.product, done.shape)),
                    user_errors: vec![],
                },
            })
        })
        .await
    }

    /// Moves variants of a product to new positions (1-based), in the order given.
    #[graphql(guard = "RequireScope::new(\"productVariantsBulkReorder\", WRITE_PRODUCTS)")]
    async fn product_variants_bulk_reorder(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        positions: Vec<ProductVariantPositionInput>,
    ) -> async_graphql::Result<Option<ProductVariantsBulkReorderPayload>> {
        nullable(async move {
            let refused = |errors| ProductVariantsBulkReorderPayload {
                product: None,
                user_errors: errors,
            };
            let missing = || {
                refused(vec![ProductVariantsBulkReorderUserError::new(
                    &["productId"],
                    "Product does not exist",
                    Some("PRODUCT_DOES_NOT_EXIST"),
                )])
            };
            let Some(product) = product_gid(&product_id) else {
                return Ok(missing());
            };
            let moves: Vec<(Option<i64>, i32)> = positions
                .iter()
                .map(|input| {
                    (
                        Gid::parse_as(&input.id, "ProductVariant").ok(),
                        input.position,
                    )
                })
                .collect();
            let now = now_millis(ctx)?;
            let db = ctx.data::<CatalogDb>()?;
            let changed = change(db, shop(ctx)?, product, now, move |shape| {
                reorder(shape, &moves)
            })
            .await?;
            Ok(match changed {
                Change::NoProduct => missing(),
                Change::Refused(errors) => refused(errors),
                Change::Done(done) => ProductVariantsBulkReorderPayload {
                    product: Some(Product::with_shape(done.product, done.shape)),
                    user_errors: vec![],
                },
            })
        })
        .await
    }
}

/// Moves each named variant to its 1-based position, in the order given (a position past the
/// end moves it last).
fn reorder(
    shape: &mut Shape,
    moves: &[(Option<i64>, i32)],
) -> Result<(), Vec<ProductVariantsBulkReorderUserError>> {
    let mut seen = std::collections::HashSet::new();
    if moves
        .iter()
        .any(|(id, _)| id.is_some_and(|id| !seen.insert(id)))
    {
        return Err(vec![ProductVariantsBulkReorderUserError::new(
            &["positions"],
            "Product variant IDs must be unique",
            Some("DUPLICATED_VARIANT_ID"),
        )]);
    }
    let mut errors = Vec::new();
    for (index, (id, position)) in moves.iter().enumerate() {
        let at = index.to_string();
        if *position <= 0 {
            errors.push(ProductVariantsBulkReorderUserError::new(
                &["positions", &at, "position"],
                "Position can not be zero or negative number",
                Some("INVALID_POSITION"),
            ));
        } else if !id.is_some_and(|id| shape.variants.iter().any(|variant| variant.id == id)) {
            errors.push(ProductVariantsBulkReorderUserError::new(
                &["positions", &at, "id"],
                "Product variant does not exist",
                Some("MISSING_VARIANT"),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    for (id, position) in moves.iter() {
        let Some(from) = shape
            .variants
            .iter()
            .position(|variant| Some(variant.id) == *id)
        else {
            continue;
        };
        let variant = shape.variants.remove(from);
        let to = (*position as usize - 1).min(shape.variants.len());
        shape.variants.insert(to, variant);
    }
    Ok(())
}
