//! Bulk operations in the schema: the `BulkOperation` object, `bulkOperation(id:)`,
//! `currentBulkOperation`, and `bulkOperationRunMutation`.

use crate::listing::{BulkOperationsSortKeys, ListArguments, OperationCursor};
use crate::services::{Access, Services};
use async_graphql::connection::Connection;
use async_graphql::{Context, Enum, ErrorExtensions, Object, SimpleObject, ID};
use std::sync::Arc;
use stevedore_core::limits::result_url_ttl;
use stevedore_core::nullable;
use stevedore_core::scalars::{DateTime, UnsignedInt64, Url};
use stevedore_core::OrInternal;
use stevedore_core::{
    ApiVersion, BulkOperation, Clock, Gid, GidError, OperationId, OperationStatus, Scopes, ShopId,
};
use stevedore_engine::{AdmissionError, RunMutation};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(
    name = "BulkOperationStatus",
    remote = "stevedore_core::OperationStatus"
)]
pub enum BulkOperationStatus {
    Canceled,
    Canceling,
    Completed,
    Created,
    Expired,
    Failed,
    Running,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "BulkOperationType", remote = "stevedore_core::OperationType")]
pub enum BulkOperationType {
    Mutation,
    Query,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "BulkOperationErrorCode", remote = "stevedore_core::ErrorCode")]
pub enum BulkOperationErrorCode {
    AccessDenied,
    InternalServerError,
    Timeout,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(
    name = "BulkMutationErrorCode",
    remote = "stevedore_core::BulkMutationErrorCode"
)]
pub enum BulkMutationErrorCode {
    InternalFileServerError,
    InvalidMutation,
    InvalidStagedUploadFile,
    LimitReached,
    NoSuchFile,
    OperationInProgress,
}

/// `BulkMutationUserError`.
#[derive(SimpleObject)]
pub struct BulkMutationUserError {
    code: Option<BulkMutationErrorCode>,
    field: Option<Vec<String>>,
    message: String,
}

impl From<stevedore_core::BulkUserError> for BulkMutationUserError {
    fn from(error: stevedore_core::BulkUserError) -> Self {
        Self {
            code: error.code.map(Into::into),
            field: error.field,
            message: error.message,
        }
    }
}

/// `BulkOperation`.
#[derive(Debug, Clone)]
pub struct BulkOperationObject(pub BulkOperation);

impl BulkOperationObject {
    /// The signed link to a result object, valid seven days from when the operation ended
    /// (its creation, for one that never completed); None once that has passed.
    async fn link(
        &self,
        ctx: &Context<'_>,
        key: Option<&str>,
    ) -> async_graphql::Result<Option<Url>> {
        let Some(key) = key else {
            return Ok(None);
        };
        let expires = self.0.completed_at.unwrap_or(self.0.created_at) + result_url_ttl();
        if expires <= ctx.data::<Arc<dyn Clock>>()?.now() {
            return Ok(None);
        }
        let services = ctx.data::<Arc<Services>>()?;
        let link = services
            .link(Access::Download, key, expires.timestamp())
            .await
            .map_err(|error| {
                stevedore_core::internal_error(&format!("signing a result link to {key}: {error}"))
            })?;
        Ok(Some(Url(link)))
    }
}

#[Object(name = "BulkOperation")]
impl BulkOperationObject {
    pub async fn id(&self) -> ID {
        ID(self.0.id.gid().to_string())
    }
    async fn status(&self) -> BulkOperationStatus {
        self.0.status.into()
    }
    #[graphql(name = "type")]
    async fn operation_type(&self) -> BulkOperationType {
        self.0.operation_type.into()
    }
    async fn error_code(&self) -> Option<BulkOperationErrorCode> {
        self.0.error_code.map(Into::into)
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at)
    }
    async fn completed_at(&self) -> Option<DateTime> {
        self.0.completed_at.map(DateTime)
    }
    async fn object_count(&self) -> UnsignedInt64 {
        UnsignedInt64(self.0.object_count)
    }
    async fn root_object_count(&self) -> UnsignedInt64 {
        UnsignedInt64(self.0.root_object_count)
    }
    async fn file_size(&self) -> Option<UnsignedInt64> {
        self.0
            .file_size
            .filter(|_| self.0.status == OperationStatus::Completed)
            .map(UnsignedInt64)
    }
    async fn url(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Url>> {
        if self.0.status != OperationStatus::Completed {
            return Ok(None);
        }
        self.link(ctx, self.0.result_key.as_deref()).await
    }
    async fn partial_data_url(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Url>> {
        if self.0.status != OperationStatus::Failed {
            return Ok(None);
        }
        self.link(ctx, self.0.partial_result_key.as_deref()).await
    }
    async fn query(&self) -> &str {
        &self.0.query
    }
}

fn operation_id(id: &str) -> async_graphql::Result<OperationId> {
    Gid::parse_as(id, "BulkOperation")
        .map(OperationId)
        .map_err(|error| {
            let code = match error {
                GidError::WrongType(_) => "RESOURCE_NOT_FOUND",
                GidError::Malformed(_) => "INVALID_ID",
            };
            async_graphql::Error::new(error.to_string())
                .extend_with(|_, extensions| extensions.set("code", code))
        })
}

#[derive(Default)]
pub struct BulkQuery;

#[Object]
impl BulkQuery {
    /// A bulk operation of this shop by id.
    async fn bulk_operation(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<BulkOperationObject>> {
        let id = operation_id(&id)?;
        let services = ctx.data::<Arc<Services>>()?;
        let found = services
            .engine
            .store()
            .operation(*ctx.data::<ShopId>()?, id)
            .await
            .or_internal()?;
        Ok(found.map(BulkOperationObject))
    }

    /// The shop's bulk operations, newest first unless reversed, filtered by `query`
    /// (`status:`, `operation_type:`, `id:`, `created_at:`).
    #[allow(clippy::too_many_arguments)]
    async fn bulk_operations(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        // Nullable with defaults, as in Shopify's schema: clients declare `$reverse: Boolean`
        // and may leave it out.
        #[graphql(default_with = "Some(false)")] reverse: Option<bool>,
        #[graphql(default_with = "Some(BulkOperationsSortKeys::CreatedAt)")] sort_key: Option<
            BulkOperationsSortKeys,
        >,
        query: Option<String>,
    ) -> async_graphql::Result<Connection<OperationCursor, BulkOperationObject>> {
        crate::listing::bulk_operations(
            ctx,
            ListArguments {
                first,
                after,
                last,
                before,
                reverse: reverse.unwrap_or(false),
                sort_key: sort_key.unwrap_or(BulkOperationsSortKeys::CreatedAt),
                query,
            },
        )
        .await
    }

    /// The shop's newest bulk operation of a type, finished or not.
    #[graphql(deprecation = "Use `bulkOperations` with status filter instead.")]
    async fn current_bulk_operation(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "type", default_with = "BulkOperationType::Query")]
        operation_type: BulkOperationType,
    ) -> async_graphql::Result<Option<BulkOperationObject>> {
        let services = ctx.data::<Arc<Services>>()?;
        let found = services
            .engine
            .store()
            .newest_operation(*ctx.data::<ShopId>()?, operation_type.into())
            .await
            .or_internal()?;
        Ok(found.map(BulkOperationObject))
    }
}

/// `BulkOperationRunMutationPayload`.
#[derive(SimpleObject)]
pub struct BulkOperationRunMutationPayload {
    bulk_operation: Option<BulkOperationObject>,
    user_errors: Vec<BulkMutationUserError>,
}

/// `BulkOperationCancelPayload`.
#[derive(SimpleObject)]
pub struct BulkOperationCancelPayload {
    bulk_operation: Option<BulkOperationObject>,
    user_errors: Vec<stevedore_catalog::UserError>,
}

#[derive(Default)]
pub struct BulkMutation;

#[Object]
impl BulkMutation {
    /// Stops a CREATED or RUNNING operation: CANCELING at once, CANCELED once its workers stop.
    async fn bulk_operation_cancel(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<BulkOperationCancelPayload>> {
        nullable(async move {
            let store = ctx.data::<Arc<Services>>()?.engine.store();
            let found = match Gid::parse_as(&id, "BulkOperation") {
                Ok(numeric) => store
                    .cancel_operation(*ctx.data::<ShopId>()?, OperationId(numeric))
                    .await
                    .or_internal()?,
                Err(_) => None,
            };
            let Some(operation) = found else {
                return Ok(BulkOperationCancelPayload {
                    bulk_operation: None,
                    user_errors: vec![stevedore_catalog::UserError::new(
                        &["id"],
                        "Bulk operation does not exist",
                    )],
                });
            };
            let user_errors = if operation.status.is_terminal() {
                vec![stevedore_catalog::UserError {
                    field: None,
                    message: format!(
                        "A bulk operation cannot be canceled when it is {}",
                        operation.status.as_str().to_lowercase()
                    ),
                }]
            } else {
                vec![]
            };
            Ok(BulkOperationCancelPayload {
                bulk_operation: Some(BulkOperationObject(operation)),
                user_errors,
            })
        })
        .await
    }

    /// Runs `mutation` once per line of the staged JSONL file at `stagedUploadPath`.
    async fn bulk_operation_run_mutation(
        &self,
        ctx: &Context<'_>,
        mutation: String,
        staged_upload_path: String,
        client_identifier: Option<String>,
        #[graphql(default = true)] group_objects: bool,
    ) -> async_graphql::Result<Option<BulkOperationRunMutationPayload>> {
        nullable(async move {
            // Accepted for compatibility; it has no effect on mutations from 2026-01 on.
            let _ = group_objects;
            let services = ctx.data::<Arc<Services>>()?;
            let request = RunMutation {
                shop_id: *ctx.data::<ShopId>()?,
                api_version: *ctx.data::<ApiVersion>()?,
                mutation,
                staged_upload_path,
                client_identifier,
                scopes: ctx.data::<Scopes>()?.clone(),
            };
            match services.engine.run_mutation(request).await {
                Ok(operation) => Ok(BulkOperationRunMutationPayload {
                    bulk_operation: Some(BulkOperationObject(operation)),
                    user_errors: vec![],
                }),
                Err(AdmissionError::Refused(errors)) => Ok(BulkOperationRunMutationPayload {
                    bulk_operation: None,
                    user_errors: errors.into_iter().map(Into::into).collect(),
                }),
                Err(AdmissionError::Store(error)) => Err(stevedore_core::internal_error(&format!(
                    "bulk mutation admission failed: {error}"
                ))),
            }
        })
        .await
    }
}
