//! What resolvers reach beyond the catalog: the engine, the signer, and the public URL that
//! links are built from; and the one entry point that runs a request for a caller.

use crate::cost::{self, Throttle};
use crate::executor::EmbeddedExecutor;
use crate::schema::AdminSchema;
use crate::types::TypeIndex;
use async_graphql::PathSegment;
use async_graphql_parser::types::{OperationDefinition, Selection};
use serde_json::json;
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
    types: TypeIndex,
    throttle: Throttle,
}

impl Services {
    pub fn new(
        schema: AdminSchema,
        engine: Arc<AdminEngine>,
        signer: Signer,
        public_url: &str,
        restore_rate: u64,
    ) -> Self {
        Self {
            types: TypeIndex::from_sdl(&schema.sdl()),
            schema,
            engine,
            signer,
            public_url: public_url.trim_end_matches('/').to_owned(),
            throttle: Throttle::new(restore_rate),
        }
    }

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

/// Runs an Admin API request for an authenticated caller and answers it as the hosted API
/// does: its cost in `extensions.cost`, paid from the caller's bucket (or `THROTTLED`), and
/// static validation errors in graphql-ruby's words, without `data`.
pub async fn execute(
    services: &Arc<Services>,
    caller: Caller,
    version: ApiVersion,
    request: async_graphql::Request,
) -> serde_json::Value {
    let mut request = request;
    // Before anything recursive reads the document, the parser included.
    if let Err(refusal) = crate::bounds::check_nesting(&request.query) {
        return json!({ "errors": [refusal.to_error()] });
    }
    let document = match async_graphql_parser::parse_query(&request.query) {
        Ok(document) => document,
        Err(error) => {
            let error = crate::document::SyntaxError::new(&request.query, &error);
            return json!({ "errors": [error.to_error()] });
        }
    };
    request.set_parsed_query(document.clone());
    // The validator expands fragment spreads: refuse documents that would take it too deep or
    // make it work exponentially before it starts.
    if let Err(refusal) = crate::bounds::check_expansion(&document) {
        return json!({ "errors": [refusal.to_error()] });
    }
    let Some((name, operation)) =
        cost::selected_operation(&document, request.operation_name.as_deref())
    else {
        // Several operations and none picked: graphql-ruby's words, nothing run.
        let message = match request.operation_name.as_deref() {
            Some(name) => format!("No operation named \"{name}\""),
            None => "An operation name is required".to_owned(),
        };
        return json!({ "errors": [{ "message": message }] });
    };
    let declared = operation
        .node
        .variable_definitions
        .iter()
        .map(|definition| {
            let name = definition.node.name.node.as_str();
            (definition.pos, request.variables.get(name))
        });
    if let Err(refusal) = crate::bounds::check_variables(declared) {
        return json!({ "errors": [refusal.to_error()] });
    }
    let refusals = crate::refusals::check(
        &document,
        operation,
        name,
        &request.variables,
        &services.types,
    );
    if !refusals.is_empty() {
        return json!({ "errors": refusals });
    }
    let requested = cost::requested(
        &document,
        &operation.node,
        &request.variables,
        &services.types,
    );
    if requested > cost::MAX_QUERY_COST {
        return max_cost_exceeded(requested, services.throttle.peek(&caller.token));
    }
    let status = match services.throttle.take(&caller.token, requested) {
        Ok(status) => status,
        Err(status) => return throttled(requested, status),
    };
    // Charged, as the hosted API charges it, but nothing runs.
    if let Some(error) =
        crate::input_size::check(&operation.node, &request.variables, &services.types)
    {
        return json!({
            "errors": [error],
            "extensions": { "cost": cost::extension(requested, None, status) },
        });
    }
    let db = CatalogDb::Pool(services.engine.store().clone());
    let search = crate::listing::SearchReports::default();
    let token = caller.token.clone();
    let request = request
        .data(search.clone())
        .data(caller.shop.id)
        .data(caller.scopes.clone())
        .data(caller)
        .data(version)
        .data(db)
        .data(Arc::clone(services));
    let mut response = services.schema.execute(request).await;
    search.attach(&mut response);
    null_failed_roots(&mut response, &operation.node, &services.types);
    if is_static_refusal(&response) {
        // Nothing ran: the hosted API charges nothing and reports no cost.
        services.throttle.refund(&token, requested);
        return answer(response, None);
    }
    answer(
        response,
        Some(cost::extension(requested, Some(requested), status)),
    )
}

/// The executor leaves a root field whose resolver failed (ACCESS_DENIED, say) out of `data`;
/// the hosted API, as the GraphQL spec asks, answers a nullable one with null beside its
/// error. A failed non-null root nulls all of `data`.
pub(crate) fn null_failed_roots(
    response: &mut async_graphql::Response,
    operation: &OperationDefinition,
    types: &TypeIndex,
) {
    // Most responses, and nearly every bulk line, have no errors: nothing to look up. One
    // whose every root field was skipped (`@skip`, `@include`) has `data: {}`, as the hosted
    // API answers it, not null.
    if response.errors.is_empty() {
        if response.data == async_graphql::Value::Null {
            response.data = async_graphql::Value::Object(Default::default());
        }
        return;
    }
    let root = types.root(operation.ty);
    let mut failed = Vec::new();
    for error in &response.errors {
        let [PathSegment::Field(key)] = error.path.as_slice() else {
            continue;
        };
        let field = operation
            .selection_set
            .node
            .items
            .iter()
            .find_map(|item| match &item.node {
                Selection::Field(field) if field.node.response_key().node == key.as_str() => {
                    Some(&field.node)
                }
                _ => None,
            });
        let Some(ty) = field.and_then(|field| types.field_type(root, &field.name.node)) else {
            continue;
        };
        if !ty.nullable {
            // A non-null root that failed nulls all of `data`, as the spec asks.
            response.data = async_graphql::Value::Null;
            return;
        }
        failed.push(key.clone());
    }
    for key in failed {
        let name = async_graphql::Name::new(key);
        match &mut response.data {
            async_graphql::Value::Object(fields) => {
                fields.entry(name).or_insert(async_graphql::Value::Null);
            }
            data @ async_graphql::Value::Null => {
                let mut fields = async_graphql::indexmap::IndexMap::new();
                fields.insert(name, async_graphql::Value::Null);
                *data = async_graphql::Value::Object(fields);
            }
            _ => {}
        }
    }
}

/// Validation errors carry no path; errors raised while resolving always do.
fn is_static_refusal(response: &async_graphql::Response) -> bool {
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|error| error.path.is_empty())
}

fn answer(response: async_graphql::Response, cost: Option<serde_json::Value>) -> serde_json::Value {
    let refused = is_static_refusal(&response);
    let mut body = serde_json::to_value(&response).unwrap_or_else(|error| {
        json!({ "errors": [{ "message": format!("response could not be encoded: {error}") }] })
    });
    if let Some(object) = body.as_object_mut() {
        if refused {
            object.remove("data");
        }
        if let Some(cost) = cost {
            let extensions = object.entry("extensions").or_insert_with(|| json!({}));
            if let Some(extensions) = extensions.as_object_mut() {
                extensions.insert("cost".to_owned(), cost);
            }
        }
    }
    body
}

fn throttled(requested: u64, status: cost::ThrottleStatus) -> serde_json::Value {
    json!({
        "errors": [{
            "message": "Throttled",
            "extensions": {
                "code": "THROTTLED",
                "documentation": "https://shopify.dev/api/usage/rate-limits",
            },
        }],
        "extensions": { "cost": cost::extension(requested, None, status) },
    })
}

fn max_cost_exceeded(requested: u64, status: cost::ThrottleStatus) -> serde_json::Value {
    let max = cost::MAX_QUERY_COST;
    json!({
        "errors": [{
            "message": format!(
                "Query cost is {requested}, which exceeds the single query max cost limit ({max}).\n\n\
                 See https://shopify.dev/concepts/about-apis/rate-limits for more information on how the\n\
                 cost of a query is calculated.\n\n\
                 To query larger amounts of data with fewer limits, bulk operations should be used instead.\n\
                 See https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for usage details.\n"
            ),
            "extensions": {
                "code": "MAX_COST_EXCEEDED",
                "cost": requested,
                "maxCost": max,
                "documentation": "https://shopify.dev/api/usage/rate-limits",
            },
        }],
        "extensions": { "cost": cost::extension(requested, None, status) },
    })
}
