//! Errors at the HTTP edge, mapped to status codes and bodies once.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

#[derive(Debug)]
pub enum ApiError {
    /// Missing or unknown access token.
    Unauthorized,
    /// An API version or route that does not exist.
    NotFound,
    /// A request body that cannot be read as a GraphQL request (not JSON, nested past the JSON
    /// reader's limit, a malformed multipart form), with what was wrong.
    BadRequest(String),
    /// A request body over the size the endpoint accepts.
    PayloadTooLarge,
    /// A storage-style error for the upload and download endpoints, answered as XML.
    Storage {
        status: StatusCode,
        code: &'static str,
        message: String,
    },
    /// Anything unexpected: logged with its detail, answered without it.
    Internal(String),
}

impl ApiError {
    pub fn storage(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self::Storage {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn internal(error: impl std::fmt::Display) -> Self {
        Self::Internal(error.to_string())
    }
}

/// The GraphQL endpoint's body reader refuses with this; its Debug text is not an answer.
impl From<async_graphql::ParseRequestError> for ApiError {
    fn from(error: async_graphql::ParseRequestError) -> Self {
        match error {
            async_graphql::ParseRequestError::PayloadTooLarge => ApiError::PayloadTooLarge,
            other => ApiError::BadRequest(other.to_string()),
        }
    }
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// A storage-style XML document: `<?xml ...?><Error><Code/><Message/></Error>`.
pub fn xml_error_body(code: &str, message: &str) -> String {
    format!(
        "<?xml version='1.0' encoding='UTF-8'?><Error><Code>{}</Code><Message>{}</Message></Error>",
        xml_escape(code),
        xml_escape(message)
    )
}

pub fn xml_element(name: &str, value: &str) -> String {
    format!("<{name}>{}</{name}>", xml_escape(value))
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                [(header::CONTENT_TYPE, "application/json")],
                r#"{"errors":"[API] Invalid API key or access token (unrecognized login or wrong password)"}"#,
            )
                .into_response(),
            ApiError::NotFound => {
                (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "application/json")], r#"{"errors":"Not Found"}"#).into_response()
            }
            ApiError::BadRequest(detail) => (
                StatusCode::BAD_REQUEST,
                [(header::CONTENT_TYPE, "application/json")],
                serde_json::json!({ "errors": detail }).to_string(),
            )
                .into_response(),
            ApiError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                [(header::CONTENT_TYPE, "application/json")],
                r#"{"errors":"Payload Too Large"}"#,
            )
                .into_response(),
            ApiError::Storage { status, code, message } => {
                (status, [(header::CONTENT_TYPE, "application/xml")], xml_error_body(code, &message)).into_response()
            }
            ApiError::Internal(detail) => {
                tracing::error!(error = %detail, "request failed");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    [(header::CONTENT_TYPE, "application/json")],
                    r#"{"errors":"Internal error. Please try again."}"#,
                )
                    .into_response()
            }
        }
    }
}
