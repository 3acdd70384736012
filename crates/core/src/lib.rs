//! The vocabulary every other crate speaks: typed ids and global ids, the bulk operation's
//! states and codes, API versions, the protocol's limits, and an injectable clock.
//!
//! Nothing here does I/O; it is the typed core the HTTP edges and the engine convert to and from.

pub mod access;
pub mod clock;
pub mod ids;
pub mod internal;
pub mod limits;
pub mod operation;
pub mod paging;
pub mod scalars;
pub mod search;
pub mod user_error;
pub mod version;
pub mod webhook;

pub use access::{RequireScope, Scopes};
pub use clock::{Clock, ManualClock, SystemClock};
pub use ids::{Gid, GidError, OperationId, ProductId, ShopId};
pub use internal::{internal_error, OrInternal};
pub use operation::{BulkOperation, ErrorCode, OperationStatus, OperationType};
pub use user_error::{BulkMutationErrorCode, BulkUserError};
pub use version::{ApiVersion, PublicVersion};

/// Runs a mutation's resolver for a payload the hosted schema declares nullable (every mutation
/// payload is): an error such as ACCESS_DENIED then nulls only its own field, not `data`.
pub async fn nullable<T>(
    payload: impl std::future::Future<Output = async_graphql::Result<T>>,
) -> async_graphql::Result<Option<T>> {
    payload.await.map(Some)
}
