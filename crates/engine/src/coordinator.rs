//! Admission of new operations: `bulkOperationRunMutation`'s validation, in Shopify's order of
//! precedence, and the per-shop concurrency cap.

use crate::executor::{Executor, Rejection};
use crate::Engine;
use stevedore_core::limits::{
    CLIENT_IDENTIFIER_MAX_CHARS, CLIENT_IDENTIFIER_MIN_CHARS, MAX_DOCUMENT_BYTES,
    MAX_STAGED_FILE_BYTES,
};
use stevedore_core::{ApiVersion, BulkOperation, BulkUserError, OperationType, ShopId};
use stevedore_store::operations::NewOperation;

/// A request to run a bulk mutation, as the API received it.
#[derive(Debug, Clone)]
pub struct RunMutation {
    pub shop_id: ShopId,
    pub api_version: ApiVersion,
    pub mutation: String,
    pub staged_upload_path: String,
    pub client_identifier: Option<String>,
    /// The caller's scopes: the operation's lines run with them.
    pub scopes: stevedore_core::Scopes,
}

#[derive(Debug, thiserror::Error)]
pub enum AdmissionError {
    /// The request is refused with these userErrors.
    #[error("refused: {0:?}")]
    Refused(Vec<BulkUserError>),
    #[error(transparent)]
    Store(#[from] stevedore_store::StoreError),
}

impl From<BulkUserError> for AdmissionError {
    fn from(error: BulkUserError) -> Self {
        Self::Refused(vec![error])
    }
}

/// The key prefix under which a shop's staged bulk inputs live.
pub fn staged_prefix(shop_id: ShopId) -> String {
    format!("tmp/{shop_id}/bulk/")
}

/// The staged key a `stagedUploadPath` names, if it names one of the shop's. Clients pass the
/// POST target's `key`; for a PUT target, whose URL is all they are given, some pass that URL or
/// its path, which for a bucket carries the bucket and a prefix before the key (and a query
/// after it). Nothing outside the shop's own staged prefix can be named either way.
pub fn staged_key(path: &str, shop_id: ShopId) -> Option<&str> {
    let path = path.trim();
    let path = path.split('?').next().unwrap_or(path);
    let prefix = staged_prefix(shop_id);
    if path.starts_with(&prefix) {
        return Some(path);
    }
    path.find(&format!("/{prefix}")).map(|at| &path[at + 1..])
}

impl<E: Executor> Engine<E> {
    /// Validates and admits a bulk mutation. The order of checks is the hosted API's: the
    /// arguments, then the document, then the staged file, and the concurrency cap last (so a
    /// missing or empty file is reported even when the shop is at its cap).
    pub async fn run_mutation(
        &self,
        request: RunMutation,
    ) -> Result<BulkOperation, AdmissionError> {
        if let Some(identifier) = &request.client_identifier {
            let chars = identifier.chars().count();
            if chars < CLIENT_IDENTIFIER_MIN_CHARS {
                return Err(BulkUserError::client_identifier_too_short().into());
            }
            if chars > CLIENT_IDENTIFIER_MAX_CHARS {
                return Err(BulkUserError::client_identifier_too_long().into());
            }
        }
        if request.mutation.len() > MAX_DOCUMENT_BYTES {
            return Err(BulkUserError::document_too_large(request.mutation.len()).into());
        }
        let schema_rejection = match self.executor.prepare(&request.mutation) {
            Ok(_) => None,
            Err(Rejection::Document(error)) => return Err(error.into()),
            Err(Rejection::Schema(error)) => Some(error),
        };

        let Some(key) = staged_key(&request.staged_upload_path, request.shop_id) else {
            return Err(BulkUserError::no_such_file().into());
        };
        let version = match self.blobs.head(key).await {
            Ok(Some(version)) => version,
            Ok(None) | Err(stevedore_blob::BlobError::InvalidKey(_)) => {
                return Err(BulkUserError::no_such_file().into())
            }
            Err(error) => {
                tracing::error!(blob.key = key, %error, "could not stat a staged upload");
                return Err(BulkUserError::internal_file_server_error().into());
            }
        };
        let size = version.size;
        if size == 0 {
            return Err(BulkUserError::empty_file().into());
        }
        if size > MAX_STAGED_FILE_BYTES {
            return Err(BulkUserError::file_too_large().into());
        }
        if let Some(error) = schema_rejection {
            return Err(error.into());
        }
        // The MD5 to check at planning: none when the object is still the version the upload
        // stored, whose bytes are pinned from here on by its entity tag; none either for a file
        // that did not arrive through this server, whose MD5 is unknown.
        let md5 = self
            .store
            .find_upload(request.shop_id, key)
            .await?
            .filter(|upload| !upload.is_stored_version(version.e_tag.as_deref()))
            .map(|upload| upload.md5_hex);

        let new = NewOperation {
            shop_id: request.shop_id,
            operation_type: OperationType::Mutation,
            query: request.mutation,
            api_version: request.api_version.to_string(),
            client_identifier: request.client_identifier,
            staged_upload_key: Some(key.to_owned()),
            input_size: Some(size),
            input_md5_hex: md5,
            input_etag: version.e_tag,
            access_scopes: request.scopes.to_text(),
        };
        let cap = request.api_version.concurrent_operations_per_type();
        match self.store.admit_operation(&new, cap).await? {
            Ok(operation) => {
                tracing::info!(bulk_operation.id = %operation.id, shop.id = %operation.shop_id, bytes = size, "bulk mutation admitted");
                self.wake();
                Ok(operation)
            }
            Err(in_progress) => Err(BulkUserError::operation_in_progress(
                OperationType::Mutation,
                &in_progress.running,
            )
            .into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_staged_path_is_the_key_or_a_link_that_ends_in_it() {
        let shop = ShopId(7);
        let key = "tmp/7/bulk/0b9f/vars.jsonl";
        assert_eq!(staged_key(key, shop), Some(key));
        assert_eq!(staged_key(&format!(" {key}\n"), shop), Some(key));
        assert_eq!(
            staged_key(
                &format!("http://127.0.0.1:9000/bucket/prefix/{key}?X-Amz-Signature=ab"),
                shop
            ),
            Some(key)
        );
        assert_eq!(staged_key(&format!("/bucket/{key}"), shop), Some(key));
        assert_eq!(
            staged_key("tmp/8/bulk/0b9f/vars.jsonl", shop),
            None,
            "another shop's"
        );
        assert_eq!(staged_key("results/7/1/bulk-1.jsonl", shop), None);
        assert_eq!(staged_key("xtmp/7/bulk/0b9f/vars.jsonl", shop), None);
    }
}
