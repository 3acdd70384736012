//! The Admin schema's roots.

use crate::bulk::{BulkMutation, BulkQuery};
use crate::node::NodeQuery;
use crate::staged::StagedUploadMutation;
use crate::versions::VersionQuery;
use crate::webhooks::{WebhookMutation, WebhookQuery};
use async_graphql::{EmptySubscription, MergedObject, Schema, SchemaBuilder};
use std::sync::Arc;
use stevedore_catalog::{CatalogMutation, CatalogQuery};
use stevedore_core::Clock;

/// The mutation root's name, as the hosted API calls it.
pub const MUTATION_ROOT: &str = "Mutation";

#[derive(MergedObject, Default)]
#[graphql(name = "QueryRoot")]
pub struct QueryRoot(
    CatalogQuery,
    BulkQuery,
    NodeQuery,
    WebhookQuery,
    VersionQuery,
);

#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    CatalogMutation,
    BulkMutation,
    StagedUploadMutation,
    WebhookMutation,
);

pub type AdminSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

pub fn build_schema(clock: Arc<dyn Clock>) -> AdminSchema {
    builder(clock).finish()
}

/// The schema bulk lines run on: the same, and it validates an operation's document once
/// rather than once per line (see `validation_memo`).
pub(crate) fn build_bulk_schema(clock: Arc<dyn Clock>) -> AdminSchema {
    builder(clock)
        .extension(crate::validation_memo::ReuseValidation)
        .finish()
}

fn builder(clock: Arc<dyn Clock>) -> SchemaBuilder<QueryRoot, MutationRoot, EmptySubscription> {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        EmptySubscription,
    )
    .data(clock)
    .limit_depth(32)
    .limit_complexity(10_000)
}
