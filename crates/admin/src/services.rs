//! What resolvers reach beyond the catalog: the engine, the signer, and the public URL that
//! links are built from; and the one entry point that runs a request for a caller.

use crate::executor::EmbeddedExecutor;
use crate::schema::AdminSchema;
use std::sync::Arc;
use std::time::Duration;
use stevedore_blob::{PresignMethod, Signer};
use stevedore_catalog::CatalogDb;
use stevedore_core::ApiVersion;
use stevedore_engine::Engine;
use stevedore_store::shops::Caller;

pub type AdminEngine = Engine<EmbeddedExecutor>;

pub struct Services {
    pub schema: AdminSchema,
    pub engine: Arc<AdminEngine>,
    pub signer: Signer,
    /// Base URL clients reach this server at, without a trailing slash.
    pub public_url: String,
}

impl Services {
    /// The endpoint staged POST uploads go to.
    pub fn upload_url(&self) -> String {
        format!("{}/staged-uploads", self.public_url)
    }

    /// A link to `key` that allows `access` until `expires_unix`: presigned by the blob store
    /// when it can sign (S3, GCS, Azure: clients then upload and download straight from the
    /// bucket), otherwise signed by this server and served by its own routes.
    pub async fn link(
        &self,
        access: Access,
        key: &str,
        expires_unix: i64,
    ) -> Result<String, stevedore_blob::BlobError> {
        let now = self.engine.store().clock().now().timestamp();
        // Signers refuse more than seven days; a clock ahead of the one that stamped the
        // completion must not push a fresh result link past that.
        let expires_in = Duration::from_secs(
            expires_unix
                .saturating_sub(now)
                .clamp(1, MAX_PRESIGNED_SECONDS) as u64,
        );
        let method = match access {
            Access::Download => PresignMethod::Get,
            Access::Upload => PresignMethod::Put,
        };
        if let Some(url) = self
            .engine
            .blobs()
            .presigned_url(method, key, expires_in)
            .await?
        {
            return Ok(url.to_string());
        }
        let (method, route) = match access {
            Access::Download => ("GET", "bulk-results"),
            Access::Upload => ("PUT", "staged-uploads"),
        };
        let signature = self.signer.sign_link(method, key, expires_unix);
        Ok(format!(
            "{}/{route}/{key}?expires={expires_unix}&signature={signature}",
            self.public_url
        ))
    }
}

/// The longest validity S3's and GCS's V4 signatures accept: seven days.
const MAX_PRESIGNED_SECONDS: i64 = 604_800;

/// What a link lets its holder do with one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Download a result.
    Download,
    /// Upload a staged input with PUT.
    Upload,
}

/// Runs an Admin API request for an authenticated caller.
pub async fn execute(
    services: &Arc<Services>,
    caller: Caller,
    version: ApiVersion,
    request: async_graphql::Request,
) -> async_graphql::Response {
    let mut request = request;
    // The validator expands fragment spreads; refuse documents that would make it work
    // exponentially before it starts (parsing here is cached in the request, not repeated).
    if let Ok(document) = request.parsed_query() {
        if let Err(message) = crate::document::check_expansion(document) {
            return async_graphql::Response::from_errors(vec![async_graphql::ServerError::new(
                message, None,
            )]);
        }
    }
    let db = CatalogDb::Pool(services.engine.store().clone());
    let search = crate::listing::SearchReports::default();
    let request = request
        .data(search.clone())
        .data(caller.shop.id)
        .data(caller)
        .data(version)
        .data(db)
        .data(Arc::clone(services));
    let mut response = services.schema.execute(request).await;
    search.attach(&mut response);
    response
}
