//! `userErrors` of `bulkOperationRunMutation` (`BulkMutationUserError`), with Shopify's codes
//! and messages kept in one place.

use crate::limits::{CLIENT_IDENTIFIER_MAX_CHARS, CLIENT_IDENTIFIER_MIN_CHARS, MAX_DOCUMENT_BYTES};
use crate::OperationId;

/// `BulkMutationErrorCode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BulkMutationErrorCode {
    InternalFileServerError,
    InvalidMutation,
    InvalidStagedUploadFile,
    LimitReached,
    NoSuchFile,
    OperationInProgress,
}

/// One entry of `userErrors { field message code }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkUserError {
    pub field: Option<Vec<String>>,
    pub message: String,
    pub code: Option<BulkMutationErrorCode>,
}

impl BulkUserError {
    fn new(
        field: Option<&[&str]>,
        message: impl Into<String>,
        code: Option<BulkMutationErrorCode>,
    ) -> Self {
        Self {
            field: field.map(|path| path.iter().map(|part| (*part).to_owned()).collect()),
            message: message.into(),
            code,
        }
    }

    pub fn client_identifier_too_short() -> Self {
        Self::new(
            Some(&["clientIdentifier"]),
            format!("is too short (minimum is {CLIENT_IDENTIFIER_MIN_CHARS} characters)"),
            Some(BulkMutationErrorCode::InvalidMutation),
        )
    }

    pub fn client_identifier_too_long() -> Self {
        Self::new(
            Some(&["clientIdentifier"]),
            format!("is too long (maximum is {CLIENT_IDENTIFIER_MAX_CHARS} characters)"),
            Some(BulkMutationErrorCode::InvalidMutation),
        )
    }

    pub fn document_too_large(bytes: usize) -> Self {
        Self::new(
            Some(&["query"]),
            format!("is too large ({bytes} bytes; maximum is {MAX_DOCUMENT_BYTES} bytes)"),
            Some(BulkMutationErrorCode::InvalidMutation),
        )
    }

    /// `detail` is the parser's own words, e.g. "syntax error, unexpected end of file at [1, 21]".
    pub fn unparsable_mutation(detail: &str) -> Self {
        Self::new(
            None,
            format!("Failed to parse the mutation - {detail}"),
            Some(BulkMutationErrorCode::InvalidMutation),
        )
    }

    pub fn not_a_mutation() -> Self {
        Self::new(
            None,
            "Invalid operation type. Only `mutation` operations are supported.",
            Some(BulkMutationErrorCode::InvalidMutation),
        )
    }

    pub fn not_single_root_field() -> Self {
        Self::new(
            Some(&["mutation"]),
            "You must specify a single top level mutation.",
            None,
        )
    }

    pub fn disallowed_root_field() -> Self {
        Self::new(
            Some(&["mutation"]),
            "You must use an allowed mutation name.",
            None,
        )
    }

    pub fn too_many_connections() -> Self {
        Self::new(
            Some(&["mutation"]),
            "Bulk mutations cannot contain more than 1 connection.",
            None,
        )
    }

    /// A document that parses but does not validate against the schema (unknown field,
    /// unknown type, ...). Shopify reports these with the validator's message.
    pub fn invalid_mutation(message: impl Into<String>) -> Self {
        Self::new(None, message, Some(BulkMutationErrorCode::InvalidMutation))
    }

    pub fn no_such_file() -> Self {
        Self::new(
            None,
            "The JSONL file could not be found. Try uploading the file again, and check that you've entered the URL correctly for the stagedUploadPath mutation argument.",
            Some(BulkMutationErrorCode::NoSuchFile),
        )
    }

    pub fn empty_file() -> Self {
        Self::new(
            None,
            "The input file is empty.",
            Some(BulkMutationErrorCode::InvalidStagedUploadFile),
        )
    }

    pub fn file_too_large() -> Self {
        Self::new(
            None,
            "The input file size exceeds the maximum allowed size of 100 MB.",
            Some(BulkMutationErrorCode::InvalidStagedUploadFile),
        )
    }

    pub fn operation_in_progress(kind: crate::OperationType, running: &[OperationId]) -> Self {
        let ids: Vec<String> = running.iter().map(|id| id.gid().to_string()).collect();
        Self::new(
            None,
            format!(
                "A bulk {} operation for this app and shop is already in progress: {}.",
                kind.noun(),
                ids.join(", ")
            ),
            Some(BulkMutationErrorCode::OperationInProgress),
        )
    }

    pub fn internal_file_server_error() -> Self {
        Self::new(
            None,
            "An error occurred while reading the staged upload. Please try again.",
            Some(BulkMutationErrorCode::InternalFileServerError),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_progress_lists_every_running_id() {
        let error = BulkUserError::operation_in_progress(
            crate::OperationType::Mutation,
            &[OperationId(1), OperationId(2)],
        );
        assert_eq!(
            error.message,
            "A bulk mutation operation for this app and shop is already in progress: gid://shopify/BulkOperation/1, gid://shopify/BulkOperation/2."
        );
    }
}
