//! A bulk operation as the protocol sees it: its status machine, type and error codes.

use crate::ids::{OperationId, ShopId};
use chrono::{DateTime, Utc};
use std::fmt;
use std::str::FromStr;

macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The protocol's spelling (upper case), also the stored form.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;
            fn from_str(text: &str) -> Result<Self, UnknownValue> {
                match text {
                    $($text => Ok($name::$variant),)+
                    other => Err(UnknownValue(other.to_owned())),
                }
            }
        }
    };
}

#[derive(Debug, thiserror::Error)]
#[error("unknown stored value {0:?}")]
pub struct UnknownValue(pub String);

text_enum!(
    /// `BulkOperationStatus`.
    OperationStatus {
        Created => "CREATED",
        Running => "RUNNING",
        Completed => "COMPLETED",
        Canceling => "CANCELING",
        Canceled => "CANCELED",
        Failed => "FAILED",
        Expired => "EXPIRED",
    }
);

text_enum!(
    /// `BulkOperationType`.
    OperationType {
        Mutation => "MUTATION",
        Query => "QUERY",
    }
);

text_enum!(
    /// `BulkOperationErrorCode`: why an operation failed as a whole.
    ErrorCode {
        AccessDenied => "ACCESS_DENIED",
        InternalServerError => "INTERNAL_SERVER_ERROR",
        Timeout => "TIMEOUT",
    }
);

impl OperationStatus {
    /// Statuses that count against the per-shop concurrency cap.
    pub const NON_TERMINAL: &'static [OperationStatus] = &[
        OperationStatus::Created,
        OperationStatus::Running,
        OperationStatus::Canceling,
    ];

    pub fn is_terminal(self) -> bool {
        !Self::NON_TERMINAL.contains(&self)
    }
}

impl OperationType {
    /// The word Shopify uses in messages: "A bulk mutation operation ...".
    pub fn noun(self) -> &'static str {
        match self {
            Self::Mutation => "mutation",
            Self::Query => "query",
        }
    }
}

/// A bulk operation's public state, as `bulkOperation(id:)` returns it. Result locations are
/// blob keys here; the HTTP edge turns them into signed URLs.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkOperation {
    pub id: OperationId,
    pub shop_id: ShopId,
    pub operation_type: OperationType,
    pub status: OperationStatus,
    pub error_code: Option<ErrorCode>,
    pub query: String,
    pub created_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    pub object_count: u64,
    pub root_object_count: u64,
    pub file_size: Option<u64>,
    pub result_key: Option<String>,
    pub partial_result_key: Option<String>,
}
