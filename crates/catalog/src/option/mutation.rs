//! `productOptionsCreate`, `productOptionUpdate`, `productOptionsDelete` and
//! `productOptionsReorder`: each a change of the product's shape (see `crate::shape`) by the
//! rules in [`super::rules`].

use super::rules::{
    create_options, delete_options, reorder_options, update_option, Combinations, DeleteStrategy,
    NewOption, OptionOrder, OptionUpdate, Selector,
};
use super::OptionCreateInput;
use crate::db::CatalogDb;
use crate::product::mutation::{now_millis, shop};
use crate::product::{Product, WRITE_PRODUCTS};
use crate::shape::{change, Change, Shape};
use crate::user_errors::{
    ProductOptionUpdateUserError, ProductOptionsCreateUserError, ProductOptionsDeleteUserError,
    ProductOptionsReorderUserError, Refusal,
};
use async_graphql::{Context, Enum, ErrorExtensions, InputObject, Object, SimpleObject, ID};
use stevedore_core::{nullable, Gid, RequireScope};

/// `ProductOptionCreateVariantStrategy`.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ProductOptionCreateVariantStrategy {
    LeaveAsIs,
    Create,
}

/// `ProductOptionUpdateVariantStrategy`.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ProductOptionUpdateVariantStrategy {
    LeaveAsIs,
    Manage,
}

/// `ProductOptionDeleteStrategy`.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ProductOptionDeleteStrategy {
    Default,
    NonDestructive,
    Position,
}

/// `OptionUpdateInput`.
#[derive(InputObject, Clone, Debug)]
pub struct OptionUpdateInput {
    pub id: ID,
    pub name: Option<String>,
    pub position: Option<i32>,
}

/// `OptionValueUpdateInput`.
#[derive(InputObject, Clone, Debug)]
pub struct OptionValueUpdateInput {
    pub id: ID,
    pub name: Option<String>,
}

/// `OptionValueReorderInput`: a value by `id` or by `name`.
#[derive(InputObject, Clone, Debug)]
pub struct OptionValueReorderInput {
    pub id: Option<ID>,
    pub name: Option<String>,
}

/// `OptionReorderInput`: an option by `id` or by `name`, with its values in their new order.
#[derive(InputObject, Clone, Debug)]
pub struct OptionReorderInput {
    pub id: Option<ID>,
    pub name: Option<String>,
    pub values: Option<Vec<OptionValueReorderInput>>,
}

#[derive(SimpleObject)]
pub struct ProductOptionsCreatePayload {
    product: Option<Product>,
    user_errors: Vec<ProductOptionsCreateUserError>,
}

#[derive(SimpleObject)]
pub struct ProductOptionUpdatePayload {
    product: Option<Product>,
    user_errors: Vec<ProductOptionUpdateUserError>,
}

#[derive(SimpleObject)]
pub struct ProductOptionsDeletePayload {
    deleted_options_ids: Option<Vec<ID>>,
    product: Option<Product>,
    user_errors: Vec<ProductOptionsDeleteUserError>,
}

#[derive(SimpleObject)]
pub struct ProductOptionsReorderPayload {
    product: Option<Product>,
    user_errors: Vec<ProductOptionsReorderUserError>,
}

/// What became of an option change: the product after it, or the refusal with the product as
/// it stays (None when there is no such product).
enum Outcome<T> {
    Done(Product, T),
    Refused(Option<Product>, Vec<Refusal>),
}

/// Runs `work` on the shape of the product `product_id` names, saving what it changed.
async fn run<T, F>(ctx: &Context<'_>, product_id: &ID, work: F) -> async_graphql::Result<Outcome<T>>
where
    F: FnOnce(&mut Shape) -> Result<T, Vec<Refusal>> + Send + 'static,
    T: Send + 'static,
{
    let missing = || {
        Outcome::Refused(
            None,
            vec![Refusal::new(
                &["productId"],
                "Product does not exist",
                "PRODUCT_DOES_NOT_EXIST",
            )],
        )
    };
    let Ok(product) = Gid::parse_as(product_id, "Product") else {
        return Ok(missing());
    };
    let now = now_millis(ctx)?;
    let db = ctx.data::<CatalogDb>()?;
    let shop = shop(ctx)?;
    Ok(match change(db, shop, product, now, work).await? {
        Change::NoProduct => missing(),
        Change::Refused(refusals) => {
            Outcome::Refused(crate::product::find(db, shop, product).await?, refusals)
        }
        Change::Done(done) => {
            Outcome::Done(Product::with_shape(done.product, done.shape), done.outcome)
        }
    })
}

fn errors<E: From<Refusal>>(refusals: Vec<Refusal>) -> Vec<E> {
    refusals.into_iter().map(Into::into).collect()
}

/// A selector given both or neither of `id` and `name`, refused before the mutation runs as
/// the hosted API refuses a `@oneOf` input broken that way.
fn selector(
    input_type: &str,
    id: &Option<ID>,
    name: &Option<String>,
    kind: &str,
) -> async_graphql::Result<Selector> {
    match (id, name) {
        (Some(id), None) => Ok(Selector::Id(Gid::parse_as(id, kind).ok(), id.to_string())),
        (None, Some(name)) => Ok(Selector::Name(name.clone())),
        _ => Err(async_graphql::Error::new(format!(
            "{input_type} requires exactly one of id, name"
        ))
        .extend_with(|_, extensions| extensions.set("code", "INVALID_FIELD_ARGUMENTS"))),
    }
}

#[derive(Default)]
pub struct OptionMutation;

#[Object]
impl OptionMutation {
    /// Adds options to a product; its variants take each new option's first value, and with
    /// `variantStrategy: CREATE` a variant is made for every other combination.
    #[graphql(guard = "RequireScope::new(\"productOptionsCreate\", WRITE_PRODUCTS)")]
    async fn product_options_create(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        options: Vec<OptionCreateInput>,
        variant_strategy: Option<ProductOptionCreateVariantStrategy>,
    ) -> async_graphql::Result<Option<ProductOptionsCreatePayload>> {
        nullable(async move {
            let options: Vec<NewOption> = options
                .into_iter()
                .map(|input| NewOption {
                    name: input.name.unwrap_or_default(),
                    position: input.position,
                    values: input
                        .values
                        .into_iter()
                        .flatten()
                        .map(|value| value.name.unwrap_or_default())
                        .collect(),
                })
                .collect();
            let combinations = match variant_strategy {
                Some(ProductOptionCreateVariantStrategy::Create) => Combinations::Create,
                _ => Combinations::LeaveAsIs,
            };
            let outcome = run(ctx, &product_id, move |shape| {
                create_options(shape, &options, combinations)
            })
            .await?;
            Ok(match outcome {
                Outcome::Done(product, ()) => ProductOptionsCreatePayload {
                    product: Some(product),
                    user_errors: vec![],
                },
                Outcome::Refused(product, refusals) => ProductOptionsCreatePayload {
                    product,
                    user_errors: errors(refusals),
                },
            })
        })
        .await
    }

    /// Renames or moves one option of a product, and adds, renames or deletes its values.
    #[graphql(guard = "RequireScope::new(\"productOptionUpdate\", WRITE_PRODUCTS)")]
    #[allow(clippy::too_many_arguments)]
    async fn product_option_update(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        option: OptionUpdateInput,
        option_values_to_add: Option<Vec<super::OptionValueCreateInput>>,
        option_values_to_update: Option<Vec<OptionValueUpdateInput>>,
        option_values_to_delete: Option<Vec<ID>>,
        variant_strategy: Option<ProductOptionUpdateVariantStrategy>,
    ) -> async_graphql::Result<Option<ProductOptionUpdatePayload>> {
        nullable(async move {
            let value_id = |id: &ID| Gid::parse_as(id, "ProductOptionValue").ok();
            let update = OptionUpdate {
                id: Gid::parse_as(&option.id, "ProductOption").ok(),
                name: option.name,
                position: option.position,
                values_to_add: option_values_to_add
                    .into_iter()
                    .flatten()
                    .map(|value| value.name.unwrap_or_default())
                    .collect(),
                values_to_update: option_values_to_update
                    .into_iter()
                    .flatten()
                    .map(|value| (value_id(&value.id), value.name))
                    .collect(),
                values_to_delete: option_values_to_delete
                    .iter()
                    .flatten()
                    .map(value_id)
                    .collect(),
                manage_variants: variant_strategy
                    == Some(ProductOptionUpdateVariantStrategy::Manage),
            };
            let outcome = run(ctx, &product_id, move |shape| update_option(shape, &update)).await?;
            Ok(match outcome {
                Outcome::Done(product, ()) => ProductOptionUpdatePayload {
                    product: Some(product),
                    user_errors: vec![],
                },
                Outcome::Refused(product, refusals) => ProductOptionUpdatePayload {
                    product,
                    user_errors: errors(refusals),
                },
            })
        })
        .await
    }

    /// Deletes options of a product; variants they alone told apart go as `strategy` says.
    #[graphql(guard = "RequireScope::new(\"productOptionsDelete\", WRITE_PRODUCTS)")]
    async fn product_options_delete(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        options: Vec<ID>,
        strategy: Option<ProductOptionDeleteStrategy>,
    ) -> async_graphql::Result<Option<ProductOptionsDeletePayload>> {
        nullable(async move {
            let ids: Vec<Option<i64>> = options
                .iter()
                .map(|id| Gid::parse_as(id, "ProductOption").ok())
                .collect();
            let strategy = match strategy {
                Some(ProductOptionDeleteStrategy::NonDestructive) => DeleteStrategy::NonDestructive,
                Some(ProductOptionDeleteStrategy::Position) => DeleteStrategy::Position,
                _ => DeleteStrategy::Default,
            };
            let outcome = run(ctx, &product_id, move |shape| {
                delete_options(shape, &ids, strategy)
            })
            .await?;
            Ok(match outcome {
                Outcome::Done(product, deleted) => ProductOptionsDeletePayload {
                    deleted_options_ids: Some(
                        deleted
                            .into_iter()
                            .map(|id| ID(Gid::new("ProductOption", id).to_string()))
                            .collect(),
                    ),
                    product: Some(product),
                    user_errors: vec![],
                },
                Outcome::Refused(product, refusals) => ProductOptionsDeletePayload {
                    deleted_options_ids: Some(vec![]),
                    product,
                    user_errors: errors(refusals),
                },
            })
        })
        .await
    }

    /// Puts a product's options, and the values of each, in a new order.
    #[graphql(guard = "RequireScope::new(\"productOptionsReorder\", WRITE_PRODUCTS)")]
    async fn product_options_reorder(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        options: Vec<OptionReorderInput>,
    ) -> async_graphql::Result<Option<ProductOptionsReorderPayload>> {
        let mut orders = Vec::with_capacity(options.len());
        for option in &options {
            let values = option
                .values
                .iter()
                .flatten()
                .map(|value| {
                    selector(
                        "OptionValueReorderInput",
                        &value.id,
                        &value.name,
                        "ProductOptionValue",
                    )
                })
                .collect::<async_graphql::Result<Vec<_>>>()?;
            orders.push(OptionOrder {
                option: selector(
                    "OptionReorderInput",
                    &option.id,
                    &option.name,
                    "ProductOption",
                )?,
                values,
            });
        }
        nullable(async move {
            let outcome = run(ctx, &product_id, move |shape| {
                reorder_options(shape, &orders)
            })
            .await?;
            Ok(match outcome {
                Outcome::Done(product, ()) => ProductOptionsReorderPayload {
                    product: Some(product),
                    user_errors: vec![],
                },
                Outcome::Refused(product, refusals) => ProductOptionsReorderPayload {
                    product,
                    user_errors: errors(refusals),
                },
            })
        })
        .await
    }
}
