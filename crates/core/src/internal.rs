//! The hosted API's answer to a failure on its own side, for every place one can reach a
//! client: a fixed message with a request id to quote, and the detail only in the log.

use async_graphql::ErrorExtensions;
use std::fmt::Write;

/// `Internal error. Looks like something went wrong on our end.` with a fresh request id in the
/// message and in `extensions` (`code: INTERNAL_SERVER_ERROR`), as the hosted API words it. The
/// detail is logged once, here, under the same id, so an operator can find what a client quotes.
pub fn internal_error(detail: &str) -> async_graphql::Error {
    let request_id = uuid::Uuid::new_v4().to_string();
    tracing::error!(request_id = %request_id, error = %detail, "request failed");
    let mut message = String::from("Internal error. Looks like something went wrong on our end.");
    let _ = write!(
        message,
        "\nRequest ID: {request_id} (include this in support requests)."
    );
    async_graphql::Error::new(message).extend_with(|_, extensions| {
        extensions.set("requestId", request_id.as_str());
        extensions.set("code", "INTERNAL_SERVER_ERROR");
    })
}

/// For `?` on a failure of this side (the store, the blob store) in a resolver: answered as
/// [`internal_error`], never with the failure's own text.
pub trait OrInternal<T> {
    fn or_internal(self) -> async_graphql::Result<T>;
}

impl<T, E: std::fmt::Display> OrInternal<T> for Result<T, E> {
    fn or_internal(self) -> async_graphql::Result<T> {
        self.map_err(|error| internal_error(&error.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_detail_stays_out_of_the_answer() {
        let error = internal_error("error returned from database: LIKE pattern too complex");
        assert!(error.message.starts_with(
            "Internal error. Looks like something went wrong on our end.\nRequest ID: "
        ));
        assert!(!error.message.contains("database"));
        let extensions = serde_json::to_value(error.extensions.unwrap()).unwrap();
        assert_eq!(extensions["code"], "INTERNAL_SERVER_ERROR");
        let request_id = extensions["requestId"].as_str().unwrap();
        assert!(error.message.contains(request_id));
    }
}
