//! The Admin GraphQL API: the schema (catalog, bulk operations, staged uploads, `node`), how a
//! request is executed for an authenticated caller, and the embedded executor that runs a bulk
//! operation's lines through the same schema.
//!
//! The HTTP edge authenticates and hands requests here; the engine hands chunks to
//! [`EmbeddedExecutor`]. Both see one schema, so a bulk line answers exactly as the same
//! synchronous call would. (The executor answers the common `productCreate` import lines
//! without the schema, through the catalog's direct path, with the same bytes.)

// The merged schema (every catalog aggregate's queries and mutations) is deeper than the
// compiler's default query depth allows when it lays out the resolver futures.
#![recursion_limit = "256"]

mod bounds;
mod bulk;
mod cost;
mod direct;
mod document;
mod executor;
mod input_size;
mod listing;
mod node;
mod refusals;
mod schema;
mod services;
mod staged;
mod types;
mod validation_memo;
mod variables;
mod versions;
mod webhooks;

pub use cost::DEFAULT_RESTORE_RATE;
pub use document::PreparedMutation;
pub use executor::EmbeddedExecutor;
pub use schema::{build_schema, AdminSchema, MUTATION_ROOT};
pub use services::{execute, AdminEngine, Services};
