//! The HTTP edge: the Admin GraphQL endpoint, the staged-upload endpoints (multipart POST and
//! signed PUT, streamed into the blob store) and signed result downloads, plus how a whole
//! server process is assembled from its parts.
//!
//! Handlers are adapters: authenticate, make one call inward, convert the answer. Every error
//! becomes a 4xx with a body here, in one place (`error.rs`).

// The schema's mutation root has more fields than the compiler's default query depth allows
// for the layout of its resolver futures in release builds.
#![recursion_limit = "256"]

mod app;
mod error;
mod graphql;
mod results;
mod uploads;

pub use app::{App, AppConfig};
