//! The catalog's own failures: everything that can go wrong below a mutation's business rules
//! (those are `userErrors`, part of a successful answer).
//!
//! A client never reads this error's detail. It is logged where it becomes an answer, and the
//! client gets the hosted API's generic internal error with a request id to quote
//! ([`stevedore_core::internal_error`]). The type deliberately has no `Display`: async-graphql
//! turns any displayable error into a message shown to the client, and this one must only ever
//! become a GraphQL error through its own conversion below.

use stevedore_store::StoreError;

#[derive(Debug)]
pub enum CatalogError {
    /// The database failed a statement, a connection or a transaction.
    Database(sqlx::Error),
    /// The store failed outside a statement (beginning a transaction, a stored value that does
    /// not read back).
    Store(StoreError),
    /// A bulk chunk's transaction was used after the chunk ended it.
    ChunkEnded,
    /// A product recorded for a chunk's flush could not be written as it had been answered.
    DeferralFailed,
    /// Reserving product ids gave none.
    NoIdReserved,
    /// A handle counter gave no suffix for a base it was asked for.
    NoSuffix { base: String },
    /// Every suffix tried for a handle was taken by concurrent writers.
    NoFreeHandle { base: String },
    /// The shop a call acts for has no row (it authenticated, so it was removed meanwhile).
    NoShop(stevedore_core::ShopId),
}

impl CatalogError {
    /// What went wrong, for logs and for the engine's reports; never for a client.
    pub fn detail(&self) -> String {
        match self {
            CatalogError::Database(error) => format!("database error: {error}"),
            CatalogError::Store(error) => error.to_string(),
            CatalogError::ChunkEnded => "the chunk transaction has ended".to_owned(),
            CatalogError::DeferralFailed => {
                "a recorded product could not be written as answered".to_owned()
            }
            CatalogError::NoIdReserved => "no product id was reserved".to_owned(),
            CatalogError::NoSuffix { base } => format!("no suffix came back for '{base}'"),
            CatalogError::NoFreeHandle { base } => {
                format!("no free handle for '{base}' after 8 attempts under concurrent writes")
            }
            CatalogError::NoShop(id) => format!("shop {id} has no row"),
        }
    }

    /// Whether doing the same work again may succeed (a lost connection, a deadlock, a lost
    /// race with another writer), as the store classifies database errors.
    pub fn is_transient(&self) -> bool {
        match self {
            CatalogError::Database(error) => stevedore_store::is_transient(error),
            CatalogError::Store(error) => error.is_transient(),
            _ => false,
        }
    }

    /// Whether the database refused the values it was given (a NUL character in Postgres text,
    /// say): the fault of the line that sent them, not of the chunk.
    pub fn is_caused_by_values(&self) -> bool {
        match self {
            CatalogError::Database(error) => stevedore_store::is_caused_by_values(error),
            _ => false,
        }
    }
}

impl From<sqlx::Error> for CatalogError {
    fn from(error: sqlx::Error) -> Self {
        CatalogError::Database(error)
    }
}

impl From<StoreError> for CatalogError {
    fn from(error: StoreError) -> Self {
        match error {
            // Kept as the database's own error, so it is classified as what it is.
            StoreError::Database(error) => CatalogError::Database(error),
            other => CatalogError::Store(other),
        }
    }
}

/// The one way a catalog failure reaches a client: the hosted API's internal error, the detail
/// logged under the same request id.
impl From<CatalogError> for async_graphql::Error {
    fn from(error: CatalogError) -> Self {
        stevedore_core::internal_error(&error.detail())
    }
}

pub type CatalogResult<T> = Result<T, CatalogError>;
