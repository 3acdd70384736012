//! The `bulk_operations/finish` webhook as the hosted API sends it.

use crate::BulkOperation;
use serde::Serialize;

/// The subscription topic (GraphQL enum value) and its wire name (`X-Shopify-Topic`).
pub const BULK_OPERATIONS_FINISH: &str = "BULK_OPERATIONS_FINISH";
pub const BULK_OPERATIONS_FINISH_TOPIC: &str = "bulk_operations/finish";

#[derive(Serialize)]
struct FinishPayload {
    admin_graphql_api_id: String,
    completed_at: Option<String>,
    created_at: String,
    error_code: Option<String>,
    status: String,
    #[serde(rename = "type")]
    operation_type: String,
}

/// Timestamps carry an offset, as the hosted API writes them (`2024-01-01T07:34:56-05:00`);
/// shops here keep UTC.
fn timestamp(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

/// The body of a `bulk_operations/finish` delivery: status, error code and type in lower case,
/// `completed_at` null unless the operation completed.
pub fn finish_payload(operation: &BulkOperation) -> String {
    let payload = FinishPayload {
        admin_graphql_api_id: operation.id.gid().to_string(),
        completed_at: operation.completed_at.map(timestamp),
        created_at: timestamp(operation.created_at),
        error_code: operation
            .error_code
            .map(|code| code.as_str().to_lowercase()),
        status: operation.status.as_str().to_lowercase(),
        operation_type: operation.operation_type.as_str().to_lowercase(),
    };
    serde_json::to_string(&payload).expect("a payload of strings serializes")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ErrorCode, OperationId, OperationStatus, OperationType, ShopId};

    #[test]
    fn finish_payload_has_the_documented_shape() {
        let created = chrono::DateTime::parse_from_rfc3339("2026-07-01T12:17:28Z")
            .unwrap()
            .to_utc();
        let operation = BulkOperation {
            id: OperationId(147595010),
            shop_id: ShopId(1),
            operation_type: OperationType::Mutation,
            status: OperationStatus::Failed,
            error_code: Some(ErrorCode::InternalServerError),
            query: String::new(),
            created_at: created,
            completed_at: None,
            object_count: 0,
            root_object_count: 0,
            file_size: None,
            result_key: None,
            partial_result_key: None,
        };
        assert_eq!(
            finish_payload(&operation),
            r#"{"admin_graphql_api_id":"gid://shopify/BulkOperation/147595010","completed_at":null,"created_at":"2026-07-01T12:17:28+00:00","error_code":"internal_server_error","status":"failed","type":"mutation"}"#
        );
    }
}
