//! The little JSONPath the parity specs use (`$`, `.name`, `[N]`, and `[*]` in the paths of
//! expected differences), and the strict comparison of a recorded answer with ours.

use serde_json::Value;

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
    AnyIndex,
}

/// Parses `$.a.b[0].c` into its steps; `None` for anything else.
pub fn parse(path: &str) -> Option<Vec<Step>> {
    let rest = path.strip_prefix('$')?;
    let mut steps = Vec::new();
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                let mut key = String::new();
                while let Some(&next) = chars.peek() {
                    if next == '.' || next == '[' {
                        break;
                    }
                    key.push(next);
                    chars.next();
                }
                if key.is_empty() {
                    return None;
                }
                steps.push(Step::Key(key));
            }
            '[' => {
                let mut inside = String::new();
                for next in chars.by_ref() {
                    if next == ']' {
                        break;
                    }
                    inside.push(next);
                }
                steps.push(match inside.as_str() {
                    "*" => Step::AnyIndex,
                    number => Step::Index(number.parse().ok()?),
                });
            }
            _ => return None,
        }
    }
    Some(steps)
}

/// The value at `path`, if there is one.
pub fn select<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    parse(path)?
        .iter()
        .try_fold(value, |value, step| match step {
            Step::Key(key) => value.get(key),
            Step::Index(index) => value.get(index),
            Step::AnyIndex => None,
        })
}

/// How a value at a path may differ from the recorded one.
#[derive(Debug, Clone)]
pub enum Matcher {
    Ignore,
    IsoTimestamp,
    NonEmptyString,
    AnyString,
    AnyNumber,
    Gid(String),
    /// `regex:^gid://shopify/[A-Za-z][A-Za-z0-9]*/.+$`, the one pattern the catalog specs use
    /// that is not the recording tool's own.
    AnyGid,
}

impl Matcher {
    pub fn parse(difference: &Value) -> Option<Matcher> {
        if difference["ignore"] == true {
            return Some(Matcher::Ignore);
        }
        let text = difference["matcher"].as_str()?;
        Some(match text {
            "iso-timestamp" => Matcher::IsoTimestamp,
            "non-empty-string" => Matcher::NonEmptyString,
            "any-string" => Matcher::AnyString,
            "any-number" => Matcher::AnyNumber,
            _ => {
                if let Some(ty) = text.strip_prefix("shopify-gid:") {
                    Matcher::Gid(ty.to_owned())
                } else if text == "regex:^gid://shopify/[A-Za-z][A-Za-z0-9]*/.+$" {
                    Matcher::AnyGid
                } else {
                    return None;
                }
            }
        })
    }

    /// Whether our value is acceptable where the recorded one was `_recorded`.
    fn accepts(&self, ours: &Value) -> bool {
        let text = ours.as_str();
        match self {
            Matcher::Ignore => true,
            Matcher::IsoTimestamp => {
                text.is_some_and(|text| chrono::DateTime::parse_from_rfc3339(text).is_ok())
            }
            Matcher::NonEmptyString => text.is_some_and(|text| !text.is_empty()),
            Matcher::AnyString => text.is_some(),
            Matcher::AnyNumber => ours.is_number(),
            Matcher::Gid(ty) => text.is_some_and(|text| {
                text.strip_prefix("gid://shopify/")
                    .and_then(|rest| rest.split_once('/'))
                    .is_some_and(|(found, id)| found == ty && !id.is_empty())
            }),
            Matcher::AnyGid => text.is_some_and(|text| {
                text.strip_prefix("gid://shopify/")
                    .and_then(|rest| rest.split_once('/'))
                    .is_some_and(|(ty, id)| !ty.is_empty() && !id.is_empty())
            }),
        }
    }
}

/// Paths (relative to the compared roots) and how the values there may differ.
pub struct Differences(pub Vec<(Vec<Step>, Matcher)>);

impl Differences {
    fn at(&self, path: &[Step]) -> Option<&Matcher> {
        self.0.iter().find_map(|(pattern, matcher)| {
            let matches = pattern.len() == path.len()
                && pattern
                    .iter()
                    .zip(path)
                    .all(|(want, got)| match (want, got) {
                        (Step::AnyIndex, Step::Index(_)) => true,
                        _ => want == got,
                    });
            matches.then_some(matcher)
        })
    }
}

/// Compares the recorded value with ours, strictly (same keys, same lengths, same values),
/// except where `differences` allows; returns where they differ.
pub fn compare(recorded: &Value, ours: &Value, differences: &Differences) -> Vec<String> {
    let mut problems = Vec::new();
    walk(recorded, ours, differences, &mut Vec::new(), &mut problems);
    problems
}

fn walk(
    recorded: &Value,
    ours: &Value,
    differences: &Differences,
    path: &mut Vec<Step>,
    problems: &mut Vec<String>,
) {
    if problems.len() >= 8 {
        return;
    }
    if let Some(matcher) = differences.at(path) {
        if !matcher.accepts(ours) {
            problems.push(format!("{}: {ours} is not {matcher:?}", show(path)));
        }
        return;
    }
    match (recorded, ours) {
        (Value::Object(want), Value::Object(got)) => {
            for (key, value) in want {
                path.push(Step::Key(key.clone()));
                match got.get(key) {
                    Some(found) => walk(value, found, differences, path, problems),
                    None => problems.push(format!("{}: missing", show(path))),
                }
                path.pop();
            }
            for key in got.keys().filter(|key| !want.contains_key(*key)) {
                path.push(Step::Key(key.clone()));
                // A field the recording did not select but the spec lets differ (an ignored
                // path) is no difference.
                let allowed = differences
                    .at(path)
                    .is_some_and(|matcher| matcher.accepts(&got[key]));
                if !allowed {
                    problems.push(format!("{}: not in the recording", show(path)));
                }
                path.pop();
            }
        }
        (Value::Array(want), Value::Array(got)) if want.len() == got.len() => {
            for (index, (value, found)) in want.iter().zip(got).enumerate() {
                path.push(Step::Index(index));
                walk(value, found, differences, path, problems);
                path.pop();
            }
        }
        (want, got) if want == got => {}
        (want, got) => problems.push(format!(
            "{}: recorded {}, ours {}",
            show(path),
            short(want),
            short(got)
        )),
    }
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(160) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
}

pub fn show(path: &[Step]) -> String {
    let mut text = String::from("$");
    for step in path {
        match step {
            Step::Key(key) => {
                text.push('.');
                text.push_str(key);
            }
            Step::Index(index) => text.push_str(&format!("[{index}]")),
            Step::AnyIndex => text.push_str("[*]"),
        }
    }
    text
}

/// Only the values at `paths` of `value`, at the same places (a missing one as null), so that
/// a comparison looks at nothing else.
pub fn project(value: &Value, paths: &[&str]) -> Value {
    let mut projected = Value::Object(Default::default());
    for path in paths {
        let Some(steps) = parse(path) else { continue };
        let found = select(value, path).cloned().unwrap_or(Value::Null);
        let mut at = &mut projected;
        for (index, step) in steps.iter().enumerate() {
            let last = index + 1 == steps.len();
            let next = if last { found.clone() } else { Value::Null };
            at = match step {
                Step::Key(key) => {
                    if !at.is_object() {
                        *at = Value::Object(Default::default());
                    }
                    let fields = at.as_object_mut().expect("made an object");
                    let slot = fields.entry(key.clone()).or_insert(Value::Null);
                    if last {
                        *slot = next;
                    }
                    slot
                }
                Step::Index(position) => {
                    if !at.is_array() {
                        *at = Value::Array(Vec::new());
                    }
                    let items = at.as_array_mut().expect("made an array");
                    while items.len() <= *position {
                        items.push(Value::Null);
                    }
                    if last {
                        items[*position] = next;
                    }
                    &mut items[*position]
                }
                Step::AnyIndex => break,
            };
        }
    }
    projected
}
