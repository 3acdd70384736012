//! Result lines as the protocol writes them: the GraphQL response's members, then
//! `"__lineNumber"` last, with `/` escaped as `\/` as the hosted API's encoder does.

use serde::Serialize;

/// Appends one result line: `{"data":...,"__lineNumber":N}\n` from a serialized GraphQL
/// response object (`{"data":...}` or `{"errors":[...]}`).
pub fn push_result_line(out: &mut Vec<u8>, response_object: &[u8], line_number: u64) {
    debug_assert!(response_object.starts_with(b"{") && response_object.ends_with(b"}"));
    let body = &response_object[..response_object.len() - 1];
    for byte in body {
        // Inside JSON, `/` can only occur in strings, where `\/` is an equivalent escape.
        if *byte == b'/' {
            out.extend_from_slice(b"\\/");
        } else {
            out.push(*byte);
        }
    }
    if body.len() > 1 {
        out.push(b',');
    }
    out.extend_from_slice(b"\"__lineNumber\":");
    out.extend_from_slice(line_number.to_string().as_bytes());
    out.extend_from_slice(b"}\n");
}

#[derive(Serialize)]
struct ErrorsOnly<'a> {
    errors: [ErrorMessage<'a>; 1],
}

#[derive(Serialize)]
struct ErrorMessage<'a> {
    message: &'a str,
}

/// Appends `{"errors":[{"message":...}],"__lineNumber":N}\n`.
pub fn push_error_line(out: &mut Vec<u8>, message: &str, line_number: u64) {
    let object = serde_json::to_vec(&ErrorsOnly {
        errors: [ErrorMessage { message }],
    })
    .expect("serializing a string into a Vec cannot fail");
    push_result_line(out, &object, line_number);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_number_goes_last_and_slashes_are_escaped() {
        let mut out = Vec::new();
        push_result_line(
            &mut out,
            br#"{"data":{"productCreate":{"product":{"id":"gid://shopify/Product/1"}}}}"#,
            7,
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"data\":{\"productCreate\":{\"product\":{\"id\":\"gid:\\/\\/shopify\\/Product\\/1\"}}},\"__lineNumber\":7}\n"
        );
        let mut out = Vec::new();
        push_error_line(&mut out, "bad \"json\"", 0);
        let parsed: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(parsed["errors"][0]["message"], "bad \"json\"");
        assert_eq!(parsed["__lineNumber"], 0);
    }
}
