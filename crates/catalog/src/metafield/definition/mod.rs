//! Metafield definitions: `MetafieldDefinition`, `metafieldDefinitionCreate` and
//! `metafieldDefinitionDelete`, the `metafieldDefinition` and `metafieldDefinitions` reads, and
//! `Metafield.definition`. `metafieldsSet` holds the values it writes to the definition their
//! owner type, namespace and key have (see [`rules::violation`]).

pub(crate) mod rules;
pub(crate) mod storage;

use crate::db::CatalogDb;
use crate::paging::{IdCursor, Window};
use crate::product::mutation::{now_millis, shop};
use crate::product::WRITE_PRODUCTS;
use async_graphql::connection::Connection;
use async_graphql::{Context, Enum, InputObject, Object, SimpleObject, ID};
use futures::FutureExt;
use rules::{definition_problems, Validation};
use stevedore_core::{nullable, Gid, RequireScope};
use storage::DefinitionRow;

/// The most definitions an owner type has, and the most pinned ones.
const MAX_DEFINITIONS: usize = 256;
const MAX_PINNED: i64 = 50;

/// The position a definition pinned now takes among `existing` (its owner type's): after the
/// last pinned one. Past the limit, the refusal's message.
fn next_pinned_position(existing: &[DefinitionRow]) -> Result<i64, String> {
    let last = existing
        .iter()
        .filter_map(|other| other.pinned_position)
        .max()
        .unwrap_or(0);
    match last >= MAX_PINNED {
        true => Err(format!("Limit of {MAX_PINNED} pinned definitions.")),
        false => Ok(last + 1),
    }
}

/// Validation options as given.
fn given_validations(given: Vec<MetafieldDefinitionValidationInput>) -> Vec<Validation> {
    given
        .into_iter()
        .map(|validation| Validation {
            name: validation.name,
            value: validation.value,
        })
        .collect()
}

/// `MetafieldOwnerType`: the kinds of resources a definition is for.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum MetafieldOwnerType {
    ApiPermission,
    Article,
    Blog,
    Cartransform,
    Collection,
    Company,
    CompanyLocation,
    Customer,
    DeliveryCustomization,
    Discount,
    #[graphql(name = "DRAFTORDER")]
    DraftOrder,
    FulfillmentConstraintRule,
    GiftCardTransaction,
    Location,
    Market,
    Order,
    OrderRoutingLocationRule,
    Page,
    PaymentCustomization,
    Product,
    #[graphql(name = "PRODUCTVARIANT")]
    ProductVariant,
    SellingPlan,
    Shop,
    Validation,
}

impl MetafieldOwnerType {
    /// As stored (and as `Metafield.ownerType` answers).
    fn stored(self) -> String {
        match async_graphql::InputType::to_value(&self) {
            async_graphql::Value::Enum(name) => name.to_string(),
            other => other.to_string(),
        }
    }

    fn from_stored(text: &str) -> Option<Self> {
        <Self as async_graphql::InputType>::parse(Some(async_graphql::Value::Enum(
            async_graphql::Name::new(text),
        )))
        .ok()
    }

    /// The name the hosted API gives the resource in messages ("Product metafields").
    fn resource(self) -> String {
        let stored = self.stored();
        match self {
            Self::ProductVariant => "ProductVariant".into(),
            Self::DraftOrder => "DraftOrder".into(),
            _ => stored
                .split('_')
                .map(|part| {
                    let lower = part.to_lowercase();
                    let mut chars = lower.chars();
                    chars
                        .next()
                        .map(|first| first.to_uppercase().chain(chars).collect())
                        .unwrap_or_default()
                })
                .collect::<Vec<String>>()
                .join(""),
        }
    }
}

/// `MetafieldDefinitionType`.
#[derive(SimpleObject, Clone, Debug)]
pub struct MetafieldDefinitionType {
    name: String,
    category: String,
}

/// `MetafieldDefinitionValidation`.
#[derive(SimpleObject, Clone, Debug)]
pub struct MetafieldDefinitionValidation {
    name: String,
    value: Option<String>,
}

/// `MetafieldDefinitionValidationStatus`: values are checked when written, so all are valid.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum MetafieldDefinitionValidationStatus {
    AllValid,
    InProgress,
    SomeInvalid,
}

/// `MetafieldAdminAccess`.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum MetafieldAdminAccess {
    Private,
    PublicRead,
    PublicReadWrite,
    MerchantRead,
    MerchantReadWrite,
}

/// `MetafieldStorefrontAccess`.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum MetafieldStorefrontAccess {
    PublicRead,
    None,
}

/// `MetafieldCustomerAccountAccess`.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum MetafieldCustomerAccountAccess {
    ReadWrite,
    Read,
    None,
}

/// `MetafieldAccess`: every definition here is the app's own, public to the admin.
#[derive(SimpleObject, Clone, Debug)]
pub struct MetafieldAccess {
    admin: MetafieldAdminAccess,
    storefront: MetafieldStorefrontAccess,
    customer_account: MetafieldCustomerAccountAccess,
}

/// `MetafieldDefinitionAdminFilterStatus`.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum MetafieldDefinitionAdminFilterStatus {
    NotFilterable,
    InProgress,
    Filterable,
    Failed,
}

#[derive(SimpleObject, Clone, Debug)]
pub struct MetafieldCapabilityAdminFilterable {
    enabled: bool,
    eligible: bool,
    status: MetafieldDefinitionAdminFilterStatus,
}

#[derive(SimpleObject, Clone, Debug)]
pub struct MetafieldCapabilitySmartCollectionCondition {
    enabled: bool,
    eligible: bool,
}

#[derive(SimpleObject, Clone, Debug)]
pub struct MetafieldCapabilityUniqueValues {
    enabled: bool,
    eligible: bool,
}

/// `MetafieldCapabilities`: which capabilities a definition's type allows; none is switched on
/// but `uniqueValues` of an `id` definition, which that type requires.
#[derive(SimpleObject, Clone, Debug)]
pub struct MetafieldCapabilities {
    admin_filterable: MetafieldCapabilityAdminFilterable,
    smart_collection_condition: MetafieldCapabilitySmartCollectionCondition,
    unique_values: MetafieldCapabilityUniqueValues,
}

/// `MetafieldDefinition`.
#[derive(Clone, Debug)]
pub struct MetafieldDefinition(pub(crate) DefinitionRow);

#[Object]
impl MetafieldDefinition {
    pub async fn id(&self) -> ID {
        ID(Gid::new("MetafieldDefinition", self.0.id).to_string())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn namespace(&self) -> &str {
        &self.0.namespace
    }
    async fn key(&self) -> &str {
        &self.0.key
    }
    async fn owner_type(&self) -> Option<MetafieldOwnerType> {
        MetafieldOwnerType::from_stored(&self.0.owner_type)
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    #[graphql(name = "type")]
    async fn type_(&self) -> MetafieldDefinitionType {
        MetafieldDefinitionType {
            name: self.0.type_name.clone(),
            category: rules::category(&self.0.type_name).to_owned(),
        }
    }
    async fn validations(&self) -> Vec<MetafieldDefinitionValidation> {
        self.0
            .validations()
            .into_iter()
            .map(|validation| MetafieldDefinitionValidation {
                name: validation.name,
                value: Some(validation.value),
            })
            .collect()
    }
    async fn pinned_position(&self) -> Option<i32> {
        self.0.pinned_position.map(|position| position as i32)
    }
    async fn validation_status(&self) -> MetafieldDefinitionValidationStatus {
        MetafieldDefinitionValidationStatus::AllValid
    }
    async fn use_as_collection_condition(&self) -> bool {
        false
    }
    async fn access(&self) -> MetafieldAccess {
        MetafieldAccess {
            admin: MetafieldAdminAccess::PublicReadWrite,
            storefront: MetafieldStorefrontAccess::None,
            customer_account: MetafieldCustomerAccountAccess::None,
        }
    }
    async fn capabilities(&self) -> MetafieldCapabilities {
        let kind = self.0.type_name.as_str();
        let category = rules::category(kind);
        let json = kind == "json";
        let id = kind == "id";
        MetafieldCapabilities {
            admin_filterable: MetafieldCapabilityAdminFilterable {
                enabled: false,
                eligible: !json,
                status: MetafieldDefinitionAdminFilterStatus::NotFilterable,
            },
            smart_collection_condition: MetafieldCapabilitySmartCollectionCondition {
                enabled: false,
                eligible: matches!(category, "TEXT" | "NUMBER" | "TRUE_FALSE" | "RATING"),
            },
            unique_values: MetafieldCapabilityUniqueValues {
                enabled: id,
                eligible: id
                    || matches!(
                        kind,
                        "single_line_text_field" | "number_integer" | "number_decimal" | "url"
                    ),
            },
        }
    }
    async fn metafields_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i32> {
        let (shop, row) = (shop(ctx)?, self.0.clone());
        let count = ctx
            .data::<CatalogDb>()?
            .read(move |conn| async move { storage::values_count(conn, shop, &row).await }.boxed())
            .await?;
        Ok(count as i32)
    }
}

/// `MetafieldDefinitionValidationInput`.
#[derive(InputObject, Clone, Debug)]
pub struct MetafieldDefinitionValidationInput {
    pub name: String,
    pub value: String,
}

/// `MetafieldAccessInput`.
#[derive(InputObject, Clone, Debug)]
pub struct MetafieldAccessInput {
    pub admin: Option<MetafieldAdminAccess>,
    pub storefront: Option<MetafieldStorefrontAccess>,
    pub customer_account: Option<MetafieldCustomerAccountAccess>,
}

/// `MetafieldDefinitionInput`.
#[derive(InputObject, Clone, Debug)]
pub struct MetafieldDefinitionInput {
    pub name: String,
    pub namespace: Option<String>,
    pub key: String,
    pub description: Option<String>,
    #[graphql(name = "type")]
    pub type_name: String,
    pub owner_type: MetafieldOwnerType,
    pub validations: Option<Vec<MetafieldDefinitionValidationInput>>,
    pub pin: Option<bool>,
    pub access: Option<MetafieldAccessInput>,
}

/// `MetafieldDefinitionIdentifierInput`.
#[derive(InputObject, Clone, Debug)]
pub struct MetafieldDefinitionIdentifierInput {
    pub owner_type: MetafieldOwnerType,
    pub namespace: Option<String>,
    pub key: String,
}

/// `MetafieldDefinitionIdentifier`.
#[derive(SimpleObject, Clone, Debug)]
pub struct MetafieldDefinitionIdentifier {
    owner_type: Option<MetafieldOwnerType>,
    namespace: String,
    key: String,
}

macro_rules! definition_user_error {
    ($($name:ident),*) => {$(
        #[derive(SimpleObject, Clone, Debug)]
        pub struct $name {
            field: Option<Vec<String>>,
            message: String,
            code: Option<String>,
        }

        impl $name {
            fn new(field: Option<&[&str]>, message: impl Into<String>, code: &str) -> Self {
                Self {
                    field: field.map(|field| field.iter().map(|part| (*part).to_owned()).collect()),
                    message: message.into(),
                    code: Some(code.to_owned()),
                }
            }
        }

        impl From<rules::DefinitionProblem> for $name {
            /// A problem of the input's fields, at its place under `definition`.
            fn from(problem: rules::DefinitionProblem) -> Self {
                let field: Vec<&str> = std::iter::once("definition").chain(problem.field).collect();
                Self::new(Some(&field), problem.message, problem.code)
            }
        }
    )*};
}
definition_user_error!(
    MetafieldDefinitionCreateUserError,
    MetafieldDefinitionUpdateUserError,
    MetafieldDefinitionDeleteUserError
);

/// `MetafieldDefinitionUpdateInput`: the definition is named by its owner type, namespace and
/// key; its type cannot change.
#[derive(InputObject, Clone, Debug)]
pub struct MetafieldDefinitionUpdateInput {
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub key: String,
    pub description: Option<String>,
    pub owner_type: MetafieldOwnerType,
    pub validations: Option<Vec<MetafieldDefinitionValidationInput>>,
    pub pin: Option<bool>,
    pub access: Option<MetafieldAccessInput>,
}

#[derive(SimpleObject)]
pub struct MetafieldDefinitionUpdatePayload {
    updated_definition: Option<MetafieldDefinition>,
    user_errors: Vec<MetafieldDefinitionUpdateUserError>,
    /// The revalidation of the definition's values, when its validations changed.
    validation_job: Option<crate::media::mutation::Job>,
}

#[derive(SimpleObject)]
pub struct MetafieldDefinitionCreatePayload {
    created_definition: Option<MetafieldDefinition>,
    user_errors: Vec<MetafieldDefinitionCreateUserError>,
}

#[derive(SimpleObject)]
pub struct MetafieldDefinitionDeletePayload {
    deleted_definition_id: Option<ID>,
    deleted_definition: Option<MetafieldDefinitionIdentifier>,
    user_errors: Vec<MetafieldDefinitionDeleteUserError>,
}

/// The definition `id` or `identifier` names, if this shop has it.
async fn named(
    ctx: &Context<'_>,
    id: Option<ID>,
    identifier: Option<MetafieldDefinitionIdentifierInput>,
) -> async_graphql::Result<Option<DefinitionRow>> {
    let shop = shop(ctx)?;
    let db = ctx.data::<CatalogDb>()?;
    if let Some(id) = id {
        let Ok(id) = Gid::parse_as(&id, "MetafieldDefinition") else {
            return Ok(None);
        };
        return Ok(db
            .read(move |conn| storage::find(conn, shop, id).boxed())
            .await?);
    }
    let Some(identifier) = identifier else {
        return Ok(None);
    };
    let owner = identifier.owner_type.stored();
    let namespace = super::mutation::namespace_of(identifier.namespace.as_deref());
    let key = identifier.key;
    Ok(db
        .read(move |conn| {
            async move { storage::find_by_key(conn, shop, &owner, &namespace, &key).await }.boxed()
        })
        .await?)
}

/// Why an `access` input is refused: apps may only give the admin access every definition
/// here has.
fn admin_access_problem(access: Option<&MetafieldAccessInput>) -> Option<&'static str> {
    let admin = access.and_then(|access| access.admin);
    admin
        .is_some_and(|admin| admin != MetafieldAdminAccess::PublicReadWrite)
        .then_some(
            "Setting this access control is not permitted. It must be one of [\"public_read_write\"].",
        )
}

/// Refuses, as the hosted API does (a top-level access error), a definition in the platform's
/// namespace or in another app's.
fn check_namespace_access(mutation: &str, namespace: &str) -> async_graphql::Result<()> {
    let foreign_app = namespace.starts_with("app--")
        && namespace != super::mutation::APP_NAMESPACE
        && !namespace.starts_with(&format!("{}--", super::mutation::APP_NAMESPACE));
    if namespace != "shopify" && !foreign_app {
        return Ok(());
    }
    Err(stevedore_core::access::access_denied_for(
        mutation,
        "API client to have access to the namespace and the resource type associated with the metafield definition.\n",
    ))
}

#[derive(Default)]
pub struct DefinitionMutation;

#[Object]
impl DefinitionMutation {
    /// Defines metafields of an owner type at a namespace and key: their type, name and the
    /// validations their values must meet.
    #[graphql(guard = "RequireScope::new(\"metafieldDefinitionCreate\", WRITE_PRODUCTS)")]
    async fn metafield_definition_create(
        &self,
        ctx: &Context<'_>,
        mut definition: MetafieldDefinitionInput,
    ) -> async_graphql::Result<Option<MetafieldDefinitionCreatePayload>> {
        nullable(async move {
            let refused = |errors| MetafieldDefinitionCreatePayload {
                created_definition: None,
                user_errors: errors,
            };
            let namespace = super::mutation::namespace_of(definition.namespace.as_deref());
            let validations = given_validations(definition.validations.take().unwrap_or_default());
            let mut errors: Vec<MetafieldDefinitionCreateUserError> = definition_problems(
                &namespace,
                &definition.key,
                &definition.name,
                &definition.type_name,
                &validations,
            )
            .into_iter()
            .map(Into::into)
            .collect();
            if let Some(message) = admin_access_problem(definition.access.as_ref()) {
                errors.push(MetafieldDefinitionCreateUserError::new(
                    Some(&["definition"]),
                    message,
                    "INVALID",
                ));
            }
            if !errors.is_empty() {
                return Ok(refused(errors));
            }
            check_namespace_access("metafieldDefinitionCreate", &namespace)?;
            let (shop, now) = (shop(ctx)?, now_millis(ctx)?);
            let owner = definition.owner_type;
            let row = DefinitionRow {
                id: 0,
                owner_type: owner.stored(),
                namespace,
                key: definition.key.clone(),
                name: definition.name.clone(),
                description: definition.description.clone(),
                type_name: definition.type_name.clone(),
                validations: rules::stored(&validations),
                pinned_position: None,
                created_at: now,
            };
            let pin = definition.pin == Some(true);
            let written = ctx
                .data::<CatalogDb>()?
                .write(move |conn| {
                    async move {
                        let existing = storage::of_owner_type(&mut *conn, shop, &row.owner_type).await?;
                        if existing
                            .iter()
                            .any(|other| other.namespace == row.namespace && other.key == row.key)
                        {
                            return Ok(Err(MetafieldDefinitionCreateUserError::new(
                                Some(&["definition", "key"]),
                                format!(
                                    "Key is in use for {} metafields on the '{}' namespace.",
                                    owner.resource(),
                                    row.namespace
                                ),
                                "TAKEN",
                            )));
                        }
                        if existing.len() >= MAX_DEFINITIONS {
                            return Ok(Err(MetafieldDefinitionCreateUserError::new(
                                Some(&["definition"]),
                                format!("Stores can only have {MAX_DEFINITIONS} definitions for each store resource."),
                                "RESOURCE_TYPE_LIMIT_EXCEEDED",
                            )));
                        }
                        let mut row = row;
                        if pin {
                            match next_pinned_position(&existing) {
                                Ok(position) => row.pinned_position = Some(position),
                                Err(message) => {
                                    return Ok(Err(MetafieldDefinitionCreateUserError::new(
                                        Some(&["definition"]),
                                        message,
                                        "PINNED_LIMIT_REACHED",
                                    )))
                                }
                            }
                        }
                        Ok(Ok(storage::insert(conn, shop, &row).await?))
                    }
                    .boxed()
                })
                .await?;
            Ok(match written {
                Ok(row) => MetafieldDefinitionCreatePayload {
                    created_definition: Some(MetafieldDefinition(row)),
                    user_errors: vec![],
                },
                Err(error) => refused(vec![error]),
            })
        })
        .await
    }

    /// Changes a definition's name, description, validations, pin or access; the definition is
    /// named by owner type, namespace and key.
    #[graphql(guard = "RequireScope::new(\"metafieldDefinitionUpdate\", WRITE_PRODUCTS)")]
    async fn metafield_definition_update(
        &self,
        ctx: &Context<'_>,
        definition: MetafieldDefinitionUpdateInput,
    ) -> async_graphql::Result<Option<MetafieldDefinitionUpdatePayload>> {
        nullable(async move {
            let refused = |errors| MetafieldDefinitionUpdatePayload {
                updated_definition: None,
                user_errors: errors,
                validation_job: None,
            };
            let namespace = super::mutation::namespace_of(definition.namespace.as_deref());
            check_namespace_access("metafieldDefinitionUpdate", &namespace)?;
            let identifier = MetafieldDefinitionIdentifierInput {
                owner_type: definition.owner_type,
                namespace: Some(namespace),
                key: definition.key.clone(),
            };
            let Some(mut row) = named(ctx, None, Some(identifier)).await? else {
                return Ok(refused(vec![MetafieldDefinitionUpdateUserError::new(
                    Some(&["definition"]),
                    "Definition not found.",
                    "NOT_FOUND",
                )]));
            };
            let validations = definition.validations.map(given_validations);
            let mut errors: Vec<MetafieldDefinitionUpdateUserError> = (definition.name.as_deref())
                .and_then(rules::name_problem)
                .into_iter()
                .chain(
                    definition
                        .description
                        .as_deref()
                        .and_then(rules::description_problem),
                )
                .chain(validations.iter().flat_map(|validations| {
                    rules::validation_problems(&row.type_name, validations)
                }))
                .map(Into::into)
                .collect();
            if let Some(message) = admin_access_problem(definition.access.as_ref()) {
                errors.push(MetafieldDefinitionUpdateUserError::new(
                    Some(&["definition"]),
                    message,
                    "INVALID_INPUT",
                ));
            }
            if !errors.is_empty() {
                return Ok(refused(errors));
            }
            let revalidates = validations
                .as_ref()
                .is_some_and(|validations| *validations != row.validations());
            if let Some(name) = definition.name {
                row.name = name;
            }
            if let Some(description) = definition.description {
                row.description = Some(description);
            }
            if let Some(validations) = validations {
                row.validations = rules::stored(&validations);
            }
            let (shop, now) = (shop(ctx)?, now_millis(ctx)?);
            let pin = definition.pin;
            let written = ctx
                .data::<CatalogDb>()?
                .write(move |conn| {
                    async move {
                        match pin {
                            Some(true) if row.pinned_position.is_none() => {
                                let existing =
                                    storage::of_owner_type(&mut *conn, shop, &row.owner_type)
                                        .await?;
                                match next_pinned_position(&existing) {
                                    Ok(position) => row.pinned_position = Some(position),
                                    Err(message) => {
                                        return Ok(Err(MetafieldDefinitionUpdateUserError::new(
                                            Some(&["definition"]),
                                            message,
                                            "PINNED_LIMIT_REACHED",
                                        )))
                                    }
                                }
                            }
                            Some(false) => row.pinned_position = None,
                            _ => {}
                        }
                        Ok(Ok(storage::update(conn, shop, &row, now).await?))
                    }
                    .boxed()
                })
                .await?;
            Ok(match written {
                Ok(row) => MetafieldDefinitionUpdatePayload {
                    updated_definition: Some(MetafieldDefinition(row)),
                    user_errors: vec![],
                    validation_job: revalidates.then(crate::media::mutation::Job::started),
                },
                Err(error) => refused(vec![error]),
            })
        })
        .await
    }

    /// Deletes a definition; with `deleteAllAssociatedMetafields`, the values written under it
    /// too (an `id` or reference type's definition, or one in the app's namespace, requires it).
    #[graphql(guard = "RequireScope::new(\"metafieldDefinitionDelete\", WRITE_PRODUCTS)")]
    async fn metafield_definition_delete(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        identifier: Option<MetafieldDefinitionIdentifierInput>,
        #[graphql(default = false)] delete_all_associated_metafields: bool,
    ) -> async_graphql::Result<Option<MetafieldDefinitionDeletePayload>> {
        nullable(async move {
            let refused = |error| MetafieldDefinitionDeletePayload {
                deleted_definition_id: None,
                deleted_definition: None,
                user_errors: vec![error],
            };
            let at_id = if id.is_some() { "id" } else { "identifier" };
            let Some(row) = named(ctx, id, identifier).await? else {
                return Ok(refused(MetafieldDefinitionDeleteUserError::new(
                    Some(&[at_id]),
                    "Definition not found.",
                    "NOT_FOUND",
                )));
            };
            let element = row.type_name.strip_prefix("list.").unwrap_or(&row.type_name);
            if !delete_all_associated_metafields {
                let refusal = if element == "id" {
                    Some((
                        "Deleting an id type metafield definition requires deletion of its associated metafields.",
                        "ID_TYPE_DELETION_ERROR",
                    ))
                } else if element.ends_with("_reference") {
                    Some((
                        "Deleting a reference type metafield definition requires deletion of its associated metafields.",
                        "REFERENCE_TYPE_DELETION_ERROR",
                    ))
                } else if row.namespace.starts_with(super::mutation::APP_NAMESPACE) {
                    Some((
                        "Deleting a definition in a reserved namespace must have deleteAllAssociatedMetafields set to true.",
                        "RESERVED_NAMESPACE_ORPHANED_METAFIELDS",
                    ))
                } else {
                    None
                };
                if let Some((message, code)) = refusal {
                    return Ok(refused(MetafieldDefinitionDeleteUserError::new(None, message, code)));
                }
            }
            let shop = shop(ctx)?;
            let deleted = row.clone();
            ctx.data::<CatalogDb>()?
                .write(move |conn| {
                    async move {
                        storage::delete(conn, shop, &deleted, delete_all_associated_metafields).await
                    }
                    .boxed()
                })
                .await?;
            Ok(MetafieldDefinitionDeletePayload {
                deleted_definition_id: Some(ID(Gid::new("MetafieldDefinition", row.id).to_string())),
                deleted_definition: Some(MetafieldDefinitionIdentifier {
                    owner_type: MetafieldOwnerType::from_stored(&row.owner_type),
                    namespace: row.namespace,
                    key: row.key,
                }),
                user_errors: vec![],
            })
        })
        .await
    }
}

/// `MetafieldDefinitionSortKeys`.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum MetafieldDefinitionSortKeys {
    Id,
    Name,
    PinnedPosition,
    Relevance,
}

/// `MetafieldDefinitionPinnedStatus`.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum MetafieldDefinitionPinnedStatus {
    Any,
    Pinned,
    Unpinned,
}

#[derive(Default)]
pub struct DefinitionQuery;

#[Object]
impl DefinitionQuery {
    /// A definition by id, or by owner type, namespace and key.
    #[graphql(guard = "RequireScope::new(\"metafieldDefinition\", \"read_products\")")]
    async fn metafield_definition(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        identifier: Option<MetafieldDefinitionIdentifierInput>,
    ) -> async_graphql::Result<Option<MetafieldDefinition>> {
        Ok(named(ctx, id, identifier).await?.map(MetafieldDefinition))
    }

    /// The definitions of an owner type (those of `namespace`, `key`, or the `query`'s
    /// `namespace:`/`key:` only), by id, name or pinned position.
    #[allow(clippy::too_many_arguments)]
    #[graphql(guard = "RequireScope::new(\"metafieldDefinitions\", \"read_products\")")]
    async fn metafield_definitions(
        &self,
        ctx: &Context<'_>,
        owner_type: MetafieldOwnerType,
        namespace: Option<String>,
        key: Option<String>,
        pinned_status: Option<MetafieldDefinitionPinnedStatus>,
        sort_key: Option<MetafieldDefinitionSortKeys>,
        query: Option<String>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        #[graphql(default_with = "Some(false)")] reverse: Option<bool>,
    ) -> async_graphql::Result<Connection<IdCursor, MetafieldDefinition>> {
        let window = Window::from_arguments(first, last, after, before, reverse.unwrap_or(false))?;
        let shop = shop(ctx)?;
        let owner = owner_type.stored();
        let mut rows = ctx
            .data::<CatalogDb>()?
            .read(move |conn| {
                async move { storage::of_owner_type(conn, shop, &owner).await }.boxed()
            })
            .await?;
        let namespace = namespace.map(|given| super::mutation::namespace_of(Some(&given)));
        let mut terms: Vec<(String, String)> = Vec::new();
        for term in query.as_deref().unwrap_or_default().split_whitespace() {
            if let Some((field, value)) = term.split_once(':') {
                terms.push((
                    field.to_lowercase(),
                    value.trim_matches(['"', '\'']).to_owned(),
                ));
            }
        }
        rows.retain(|row| {
            namespace
                .as_ref()
                .is_none_or(|namespace| row.namespace == *namespace)
                && key.as_ref().is_none_or(|key| row.key == *key)
                && match pinned_status {
                    Some(MetafieldDefinitionPinnedStatus::Pinned) => row.pinned_position.is_some(),
                    Some(MetafieldDefinitionPinnedStatus::Unpinned) => {
                        row.pinned_position.is_none()
                    }
                    _ => true,
                }
                && terms.iter().all(|(field, value)| match field.as_str() {
                    "namespace" => matches_term(&row.namespace, value),
                    "key" => matches_term(&row.key, value),
                    "type" => matches_term(&row.type_name, value),
                    // Filters this catalog does not know select everything, as the hosted
                    // API's do.
                    _ => true,
                })
        });
        match sort_key {
            Some(MetafieldDefinitionSortKeys::Name) => {
                rows.sort_by_key(|row| (row.name.to_lowercase(), row.id));
            }
            Some(MetafieldDefinitionSortKeys::PinnedPosition) => {
                rows.sort_by_key(|row| (std::cmp::Reverse(row.pinned_position), row.id));
            }
            _ => {}
        }
        let ranked: Vec<(i64, MetafieldDefinition)> = rows
            .into_iter()
            .enumerate()
            .map(|(index, row)| (index as i64 + 1, MetafieldDefinition(row)))
            .collect();
        let place: std::collections::HashMap<i64, i64> = ranked
            .iter()
            .map(|(rank, definition)| (definition.0.id, *rank))
            .collect();
        Ok(window.page_in_order(
            ranked
                .into_iter()
                .map(|(_, definition)| definition)
                .collect(),
            |definition| place[&definition.0.id],
        ))
    }
}

/// A search term's match: whole value, or a prefix when it ends in `*`, any case.
fn matches_term(value: &str, term: &str) -> bool {
    let (value, term) = (value.to_lowercase(), term.to_lowercase());
    match term.strip_suffix('*') {
        Some(prefix) => value.starts_with(prefix),
        None => value == term,
    }
}

/// The definition metafields of `owner_type` at `namespace` and `key` have, if any.
pub(crate) async fn of_key(
    db: &CatalogDb,
    shop: stevedore_core::ShopId,
    owner_type: String,
    namespace: String,
    key: String,
) -> crate::CatalogResult<Option<DefinitionRow>> {
    db.read(move |conn| {
        async move { storage::find_by_key(conn, shop, &owner_type, &namespace, &key).await }.boxed()
    })
    .await
}
