//! `stagedUploadsCreate`: signed targets for uploading a bulk mutation's JSONL input.

use crate::services::{Access, Services};
use async_graphql::{Context, Enum, InputObject, Object, SimpleObject};
use std::sync::Arc;
use stevedore_blob::PostPolicy;
use stevedore_catalog::UserError;
use stevedore_core::limits::{upload_policy_ttl, MAX_STAGED_FILE_BYTES};
use stevedore_core::nullable;
use stevedore_core::scalars::{UnsignedInt64, Url};
use stevedore_core::{Clock, ShopId};

/// How long a signed PUT URL stays valid, as the hosted API issues them.
const PUT_URL_TTL_SECONDS: i64 = 604_800;

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
// In the hosted schema's order: refusals list the values as it does.
pub enum StagedUploadTargetGenerateUploadResource {
    CollectionImage,
    File,
    Image,
    #[graphql(name = "MODEL_3D")]
    Model3d,
    ProductImage,
    ShopImage,
    Video,
    BulkMutationVariables,
    ReturnLabel,
    UrlRedirectImport,
    DisputeFileUpload,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum StagedUploadHttpMethodType {
    Post,
    Put,
}

/// `StagedUploadInput`.
#[derive(InputObject)]
pub struct StagedUploadInput {
    resource: StagedUploadTargetGenerateUploadResource,
    filename: String,
    mime_type: String,
    #[graphql(default_with = "StagedUploadHttpMethodType::Put")]
    http_method: StagedUploadHttpMethodType,
    file_size: Option<UnsignedInt64>,
}

#[derive(SimpleObject)]
pub struct StagedUploadParameter {
    name: String,
    value: String,
}

/// `StagedMediaUploadTarget`.
#[derive(SimpleObject)]
pub struct StagedMediaUploadTarget {
    url: Option<Url>,
    resource_url: Option<Url>,
    parameters: Vec<StagedUploadParameter>,
}

#[derive(SimpleObject)]
pub struct StagedUploadsCreatePayload {
    staged_targets: Option<Vec<StagedMediaUploadTarget>>,
    user_errors: Vec<UserError>,
}

/// A file name safe to use as the last segment of an object key.
fn safe_filename(filename: &str) -> String {
    filename
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[derive(Default)]
pub struct StagedUploadMutation;

#[Object]
impl StagedUploadMutation {
    /// Creates signed targets to upload files to. Only `BULK_MUTATION_VARIABLES` is served here.
    async fn staged_uploads_create(
        &self,
        ctx: &Context<'_>,
        input: Vec<StagedUploadInput>,
    ) -> async_graphql::Result<Option<StagedUploadsCreatePayload>> {
        nullable(async move {
            let services = ctx.data::<Arc<Services>>()?;
            let shop = *ctx.data::<ShopId>()?;
            let now = ctx.data::<Arc<dyn Clock>>()?.now();
            let mut user_errors = Vec::new();
            for (index, target) in input.iter().enumerate() {
                let field =
                    |name: &str| vec!["input".to_owned(), index.to_string(), name.to_owned()];
                if target.resource
                    != StagedUploadTargetGenerateUploadResource::BulkMutationVariables
                {
                    user_errors.push(UserError {
                        field: Some(field("resource")),
                        message: "Only BULK_MUTATION_VARIABLES uploads are supported.".to_owned(),
                    });
                }
                let filename = safe_filename(&target.filename);
                // Object keys cannot end in `.` or `..` segments, and file systems cap names at 255 bytes.
                let filename_problem = if filename.trim_matches('_').is_empty() {
                    Some("Filename can't be blank")
                } else if filename.len() > 255 || filename.chars().all(|c| c == '.') {
                    Some("Filename is invalid")
                } else {
                    None
                };
                if let Some(message) = filename_problem {
                    user_errors.push(UserError {
                        field: Some(field("filename")),
                        message: message.to_owned(),
                    });
                }
            }
            if !user_errors.is_empty() {
                return Ok(StagedUploadsCreatePayload {
                    staged_targets: None,
                    user_errors,
                });
            }
            let mut targets = Vec::with_capacity(input.len());
            for target in input {
                let key = format!(
                    "{}{}/{}",
                    stevedore_engine::coordinator::staged_prefix(shop),
                    uuid::Uuid::new_v4(),
                    safe_filename(&target.filename)
                );
                targets.push(match target.http_method {
                    StagedUploadHttpMethodType::Post => {
                        let policy = PostPolicy::issue(
                            &services.signer,
                            services.engine.blobs().bucket(),
                            &key,
                            &target.mime_type,
                            MAX_STAGED_FILE_BYTES,
                            now,
                            now + upload_policy_ttl(),
                        );
                        StagedMediaUploadTarget {
                            url: Some(Url(services.upload_url())),
                            resource_url: Some(Url(services.upload_url())),
                            parameters: policy
                                .parameters
                                .into_iter()
                                .map(|(name, value)| StagedUploadParameter { name, value })
                                .collect(),
                        }
                    }
                    StagedUploadHttpMethodType::Put => {
                        let link = services
                            .link(Access::Upload, &key, now.timestamp() + PUT_URL_TTL_SECONDS)
                            .await
                            .map_err(|error| {
                                stevedore_core::internal_error(&format!(
                                    "signing an upload link to {key}: {error}"
                                ))
                            })?;
                        StagedMediaUploadTarget {
                            url: Some(Url(link.clone())),
                            resource_url: Some(Url(link)),
                            parameters: vec![
                                StagedUploadParameter {
                                    name: "content_type".into(),
                                    value: target.mime_type,
                                },
                                StagedUploadParameter {
                                    name: "acl".into(),
                                    value: "private".into(),
                                },
                            ],
                        }
                    }
                });
            }
            Ok(StagedUploadsCreatePayload {
                staged_targets: Some(targets),
                user_errors: vec![],
            })
        })
        .await
    }
}
