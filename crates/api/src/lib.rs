//! The HTTP edge: the Admin GraphQL endpoint, the staged-upload endpoints (multipart POST and
//! signed PUT, streamed into the blob store) and signed result downloads, plus how a whole
//! server process is assembled from its parts.
//!
//! Handlers are adapters: authenticate, make one call inward, convert the answer. Every error
//! becomes a 4xx with a body here, in one place (`error.rs`).

mod app;
mod error;
mod graphql;
mod results;
mod uploads;

pub use app::{App, AppConfig};
