//! `publicApiVersions`: the versions clients may pick, as the Admin API advertises them.

use async_graphql::{Context, Object, SimpleObject};
use std::sync::Arc;
use stevedore_core::{ApiVersion, Clock};

/// `ApiVersion`.
#[derive(SimpleObject)]
#[graphql(name = "ApiVersion")]
pub struct ApiVersionObject {
    /// The path segment that selects it: `2026-10`, `unstable`.
    handle: String,
    display_name: String,
    /// Whether it is a stable release within its year of support.
    supported: bool,
}

#[derive(Default)]
pub struct VersionQuery;

#[Object]
impl VersionQuery {
    /// The supported stable releases, the next release candidate and `unstable`.
    async fn public_api_versions(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<ApiVersionObject>> {
        let today = ctx.data::<Arc<dyn Clock>>()?.now().date_naive();
        Ok(ApiVersion::public_versions(today)
            .into_iter()
            .map(|version| ApiVersionObject {
                handle: version.version.to_string(),
                display_name: version.display_name,
                supported: version.supported,
            })
            .collect())
    }
}
