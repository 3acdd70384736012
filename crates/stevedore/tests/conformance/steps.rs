//! A capture file, read as the ordered steps a client took: GraphQL exchanges, uploads to a
//! staged target, the operation's terminal state, and the result download.

use serde_json::Value;

pub enum Step<'a> {
    /// A GraphQL request and the response the real API gave it.
    Exchange(&'a Value),
    /// The upload to the target of the last `stagedUploadsCreate`, with its recorded answer
    /// (`status`, `body` or `sizeBytes`) and, where recorded, the file's content.
    Upload {
        recorded: &'a Value,
        content: Option<&'a str>,
    },
    /// The operation as it stood when the client stopped polling.
    Terminal(&'a Value),
    /// The download of the operation's result (`status`, `body`).
    Result(&'a Value),
}

pub struct Case<'a> {
    /// Where in the capture file the step sits, e.g. `/success/statusPolls/0`.
    pub path: String,
    pub step: Step<'a>,
    /// A probe the capture repeated until the hosted search index caught up, followed by a
    /// later probe of the same list.
    pub superseded_probe: bool,
}

/// Every step of a capture, in the order the file records them.
///
/// `upstreamCalls` are left out: they are the reads the capturing proxy made to hydrate its own
/// state, not requests a client sent.
pub fn cases(capture: &Value) -> Vec<Case<'_>> {
    let mut found = Vec::new();
    walk(capture, String::new(), &mut found);
    found
}

fn is_exchange(object: &serde_json::Map<String, Value>) -> bool {
    object.get("query").is_some_and(Value::is_string) && object.contains_key("response")
}

fn walk<'a>(node: &'a Value, path: String, found: &mut Vec<Case<'a>>) {
    match node {
        Value::Object(object) => {
            if is_exchange(object) {
                found.push(Case {
                    path: path.clone(),
                    step: Step::Exchange(node),
                    superseded_probe: false,
                });
            }
            for (key, child) in object {
                let child_path = format!("{path}/{key}");
                match key.as_str() {
                    "upstreamCalls" | "resultRows" | "uploadContent" => {}
                    "query" | "variables" | "response" if is_exchange(object) => {}
                    "terminalOperation" => found.push(Case {
                        path: child_path,
                        step: Step::Terminal(child),
                        superseded_probe: false,
                    }),
                    "result" if child.get("body").is_some() => found.push(Case {
                        path: child_path,
                        step: Step::Result(child),
                        superseded_probe: false,
                    }),
                    _ if is_upload(key, child) => found.push(Case {
                        path: child_path,
                        step: Step::Upload {
                            recorded: child,
                            content: object.get("uploadContent").and_then(Value::as_str),
                        },
                        superseded_probe: false,
                    }),
                    _ => walk(child, child_path, found),
                }
            }
        }
        Value::Array(items) => {
            let probes = path.ends_with("Probes");
            for (index, child) in items.iter().enumerate() {
                let first_new = found.len();
                walk(child, format!("{path}/{index}"), found);
                if probes && index + 1 < items.len() {
                    found[first_new..]
                        .iter_mut()
                        .for_each(|case| case.superseded_probe = true);
                }
            }
        }
        _ => {}
    }
}

/// `upload`, `oversizedUpload`, …: a recorded HTTP answer that is not a GraphQL exchange.
fn is_upload(key: &str, value: &Value) -> bool {
    key.to_ascii_lowercase().ends_with("upload")
        && value.get("status").is_some_and(Value::is_u64)
        && value.get("query").is_none()
}
