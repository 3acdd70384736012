//! The vocabulary every other crate speaks: typed ids and global ids, the bulk operation's
//! states and codes, API versions, the protocol's limits, and an injectable clock.
//!
//! Nothing here does I/O; it is the typed core the HTTP edges and the engine convert to and from.

pub mod clock;
pub mod ids;
pub mod limits;
pub mod operation;
pub mod paging;
pub mod scalars;
pub mod search;
pub mod user_error;
pub mod version;
pub mod webhook;

pub use clock::{Clock, ManualClock, SystemClock};
pub use ids::{Gid, GidError, OperationId, ProductId, ShopId};
pub use operation::{BulkOperation, ErrorCode, OperationStatus, OperationType};
pub use user_error::{BulkMutationErrorCode, BulkUserError};
pub use version::{ApiVersion, PublicVersion};
