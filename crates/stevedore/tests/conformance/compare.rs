//! Structural comparison of a recorded response with ours.
//!
//! Keys, JSON types, status values, messages, codes and `field` paths must be equal. Values that
//! differ between any two servers by nature are compared by shape: ids (`gid://shopify/<Type>/N`
//! with the same type), timestamps, URLs, cursors, staged keys and signatures, byte sizes and
//! cost numbers. Each such pair is remembered, so a recorded id met again later (in a request's
//! variables, in a message) stands for ours.
//!
//! A connection that lists operations the replay did not create (the recorded store's history)
//! is compared by the shape of its elements.

use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};

/// Recorded value → ours, learnt while comparing.
#[derive(Default)]
pub struct Substitutions {
    pub values: HashMap<String, String>,
}

impl Substitutions {
    /// `recorded` with every learnt recorded id replaced by ours.
    pub fn apply(&self, recorded: &str) -> String {
        let mut text = recorded.to_owned();
        if text.contains("gid://") {
            for (theirs, ours) in &self.values {
                if theirs.starts_with("gid://") {
                    text = text.replace(theirs.as_str(), ours);
                }
            }
        }
        text
    }

    /// A request's variables with the recorded values we know the counterpart of replaced.
    pub fn request(&self, variables: &Value) -> Value {
        match variables {
            Value::String(text) => Value::String(
                self.values
                    .get(text)
                    .cloned()
                    .unwrap_or_else(|| self.apply(text)),
            ),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.request(v)).collect()),
            Value::Object(object) => Value::Object(
                object
                    .iter()
                    .map(|(k, v)| (k.clone(), self.request(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

/// Fields whose value depends on how far an operation has got; left out when ours has moved
/// past the recorded status (the replay's engine is faster than the recorded store).
pub const PROGRESS_FIELDS: &[&str] = &[
    "status",
    "completedAt",
    "objectCount",
    "rootObjectCount",
    "fileSize",
    "url",
    "partialDataUrl",
];

/// Counts of an operation still running or canceling: how far it got depends on the engine's speed.
pub const IN_FLIGHT_COUNTS: &[&str] = &["objectCount", "rootObjectCount"];

/// String fields compared by shape only.
const SHAPE_STRINGS: &[&str] = &[
    "cursor",
    "startCursor",
    "endCursor",
    "fileSize",
    "resourceUrl",
    "url",
    "partialDataUrl",
    "createdAt",
    "completedAt",
    "updatedAt",
];

/// Staged-target parameters whose values are fixed by the protocol; the others are keys,
/// dates, credentials and signatures.
const FIXED_PARAMETERS: &[&str] = &[
    "Content-Type",
    "content_type",
    "success_action_status",
    "acl",
];

const COST_NUMBERS: &[&str] = &[
    "requestedQueryCost",
    "actualQueryCost",
    "maximumAvailable",
    "currentlyAvailable",
    "restoreRate",
];

pub struct Comparison<'a> {
    pub learnt: &'a mut Substitutions,
    /// Keys left out of the comparison at any depth.
    pub ignored: HashSet<&'static str>,
    pub problems: Vec<String>,
    /// Whether some part was compared by shape because it lists the recorded store's history.
    pub history: bool,
    /// Whether such a history list was empty on our side, so its elements went unchecked.
    pub unchecked_history: bool,
}

impl<'a> Comparison<'a> {
    pub fn new(learnt: &'a mut Substitutions) -> Self {
        Self {
            learnt,
            ignored: HashSet::new(),
            problems: Vec::new(),
            history: false,
            unchecked_history: false,
        }
    }

    pub fn compare(&mut self, recorded: &Value, ours: &Value, at: &str) {
        self.value(recorded, ours, at, None, false);
    }

    fn problem(&mut self, at: &str, message: String) {
        if self.problems.len() < 12 {
            self.problems.push(format!("{at}: {message}"));
        }
    }

    fn value(&mut self, recorded: &Value, ours: &Value, at: &str, key: Option<&str>, shape: bool) {
        match (recorded, ours) {
            (Value::Object(theirs), Value::Object(mine)) => self.object(theirs, mine, at, shape),
            (Value::Array(theirs), Value::Array(mine)) => self.array(theirs, mine, at, key, shape),
            (Value::String(theirs), Value::String(mine)) => {
                self.string(theirs, mine, at, key, shape)
            }
            (Value::Number(theirs), Value::Number(mine)) => {
                if !shape && !key.is_some_and(|k| COST_NUMBERS.contains(&k)) && theirs != mine {
                    self.problem(at, format!("recorded {theirs}, ours {mine}"));
                }
            }
            (Value::Null, Value::Null) => {}
            (Value::Null, _) | (_, Value::Null) if shape => {}
            (Value::Bool(theirs), Value::Bool(mine)) => {
                if !shape && theirs != mine {
                    self.problem(at, format!("recorded {theirs}, ours {mine}"));
                }
            }
            _ => self.problem(at, format!("recorded {recorded}, ours {ours}")),
        }
    }

    fn object(
        &mut self,
        theirs: &Map<String, Value>,
        mine: &Map<String, Value>,
        at: &str,
        shape: bool,
    ) {
        let shape = shape || self.lists_history(theirs);
        // A staged target's parameter: its name is exact, its value mostly a credential.
        let credential = theirs
            .get("name")
            .and_then(Value::as_str)
            .is_some_and(|name| !FIXED_PARAMETERS.contains(&name))
            && theirs.contains_key("value");
        for (key, recorded) in theirs {
            if self.ignored.contains(key.as_str()) {
                continue;
            }
            if credential && key == "value" {
                match (recorded, mine.get(key)) {
                    (Value::String(theirs), Some(Value::String(ours))) => {
                        self.learnt.values.insert(theirs.clone(), ours.clone());
                    }
                    (_, ours) => self.problem(at, format!("parameter value {ours:?}")),
                }
                continue;
            }
            match mine.get(key) {
                Some(ours) => self.value(recorded, ours, &format!("{at}.{key}"), Some(key), shape),
                None => self.problem(at, format!("missing key `{key}`")),
            }
        }
        for key in mine.keys() {
            if !theirs.contains_key(key) && !self.ignored.contains(key.as_str()) {
                self.problem(at, format!("extra key `{key}`"));
            }
        }
    }

    fn array(
        &mut self,
        theirs: &[Value],
        mine: &[Value],
        at: &str,
        key: Option<&str>,
        shape: bool,
    ) {
        if shape && matches!(key, Some("edges" | "nodes")) {
            match theirs.first() {
                Some(_) if mine.is_empty() => self.unchecked_history = true,
                Some(model) => {
                    for (index, ours) in mine.iter().enumerate() {
                        self.value(model, ours, &format!("{at}[{index}]"), None, true);
                    }
                }
                None => {}
            }
            return;
        }
        if theirs.len() != mine.len() {
            self.problem(
                at,
                format!("recorded {} items, ours {}", theirs.len(), mine.len()),
            );
            return;
        }
        for (index, (recorded, ours)) in theirs.iter().zip(mine).enumerate() {
            self.value(recorded, ours, &format!("{at}[{index}]"), None, shape);
        }
    }

    fn string(&mut self, theirs: &str, mine: &str, at: &str, key: Option<&str>, shape: bool) {
        if let Some(known) = self.learnt.values.get(theirs) {
            // Recorded instants that coincide (several operations made within one second) need
            // not coincide in a replay, which may cross a second's boundary between them.
            if known != mine && !(is_timestamp(theirs) && is_timestamp(mine)) {
                self.problem(
                    at,
                    format!("recorded {theirs:?} is ours {known:?}, got {mine:?}"),
                );
            }
            return;
        }
        if let Some(kind) = gid_type(theirs) {
            if gid_type(mine) != Some(kind) {
                self.problem(at, format!("recorded a {kind} id, ours {mine:?}"));
            } else if !shape {
                self.learnt
                    .values
                    .insert(theirs.to_owned(), mine.to_owned());
            }
            return;
        }
        let by_shape = key.is_some_and(|k| SHAPE_STRINGS.contains(&k))
            || is_timestamp(theirs)
            || is_url(theirs);
        if by_shape {
            let same_kind = (is_timestamp(theirs) == is_timestamp(mine))
                && (is_url(theirs) == is_url(mine))
                && !mine.is_empty();
            if !same_kind {
                self.problem(
                    at,
                    format!("recorded {theirs:?}, ours {mine:?}: not the same kind"),
                );
            } else if !shape {
                self.learnt
                    .values
                    .insert(theirs.to_owned(), mine.to_owned());
                // A PUT target names its staged key only inside its URL.
                if let (Some(theirs), Some(mine)) = (staged_key(theirs), staged_key(mine)) {
                    self.learnt
                        .values
                        .insert(theirs.to_owned(), mine.to_owned());
                }
            }
            return;
        }
        if shape {
            return;
        }
        let expected = self.learnt.apply(theirs);
        if expected != mine && mask_ids(&expected) != mask_ids(mine) {
            self.problem(at, format!("recorded {theirs:?}, ours {mine:?}"));
        }
    }

    /// A connection whose recorded nodes include operations this replay never met.
    fn lists_history(&mut self, connection: &Map<String, Value>) -> bool {
        let nodes = connection
            .get("nodes")
            .or_else(|| connection.get("edges"))
            .and_then(Value::as_array);
        let Some(nodes) = nodes else {
            return false;
        };
        let foreign = nodes.iter().any(|node| {
            let node = node.get("node").unwrap_or(node);
            node.get("id")
                .and_then(Value::as_str)
                .is_some_and(|id| gid_type(id).is_some() && !self.learnt.values.contains_key(id))
        });
        self.history |= foreign;
        foreign
    }
}

/// `BulkOperation` for `gid://shopify/BulkOperation/123`.
pub fn gid_type(text: &str) -> Option<&str> {
    let rest = text.strip_prefix("gid://shopify/")?;
    let (kind, id) = rest.split_once('/')?;
    let id = id.split('?').next()?;
    (!kind.is_empty() && !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())).then_some(kind)
}

/// The `tmp/…` key inside a staged target's URL.
fn staged_key(url: &str) -> Option<&str> {
    let path = url.split('?').next()?;
    Some(&path[path.find("/tmp/")? + 1..])
}

fn is_timestamp(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() >= 20
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes[10] == b'T'
        && text.ends_with('Z')
        && bytes[..4].iter().all(u8::is_ascii_digit)
}

fn is_url(text: &str) -> bool {
    text.starts_with("https://") || text.starts_with("http://")
}

/// Ids inside a message, with their numbers blanked.
fn mask_ids(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("gid://shopify/") {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, ':' | '/')))
            .unwrap_or(tail.len());
        let id = &tail[..end];
        let prefix_end = id.rfind('/').map_or(end, |slash| slash + 1);
        out.push_str(&id[..prefix_end]);
        out.push('N');
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}
