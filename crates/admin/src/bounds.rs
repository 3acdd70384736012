//! Bounds a GraphQL document must keep before anything recursive reads it: how deeply it nests
//! and how far its fragments expand.
//!
//! The parser, the validator, the cost and refusal walkers and the executor all descend a
//! document recursively, on a thread's fixed stack. A few kilobytes of `[[[[…]]]]` in an
//! argument, or a chain of thousands of fragments each spreading the next, would take them
//! deeper than any stack: the process aborts. So a document is first scanned as text, with a
//! loop and a counter, for how deeply its brackets nest; once parsed, its fragment graph is
//! walked with an explicit stack for cycles, for how deep its selections go once every spread is
//! expanded, and for how many selections that makes. Only a document within every bound reaches
//! a recursive walker, and each of those then stays within [`MAX_DEPTH`] levels.

use async_graphql_parser::types::{
    DocumentOperations, ExecutableDocument, Selection, SelectionSet,
};
use async_graphql_parser::Pos;
use std::collections::HashMap;

/// How deeply a document may nest: brackets of any kind (`{` selections, `[` lists, `{` input
/// objects, `(` arguments) within one definition, and selections through fragment spreads once
/// expanded. Real documents stay far below (the standard introspection query nests about 16
/// levels); the walkers this protects stay within a small fraction of a worker thread's stack.
pub const MAX_DEPTH: usize = 64;

/// Selections a document may expand to, fragments spread out. Normal documents stay far
/// below; a few lines of fragments that each spread the next twice reach millions, and the
/// GraphQL validator (which expands spreads) would spend seconds on each execution.
pub const MAX_EXPANDED_SELECTIONS: u64 = 20_000;

/// Why a document is refused before anything walks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unbounded {
    /// It nests deeper than [`MAX_DEPTH`]; `at` is where it first goes past it.
    TooDeep { at: Pos },
    /// The named fragment spreads itself, directly or through others.
    FragmentCycle(String),
    /// It expands past [`MAX_EXPANDED_SELECTIONS`].
    TooComplex,
}

impl Unbounded {
    /// The message a client reads. A document too deep gets graphql-ruby's own answer to a query
    /// that would exhaust its stack (`Schema.query_stack_error`); the others are graphql-ruby's
    /// words for fragment cycles and the wording this server has always used for expansion.
    pub fn message(&self) -> String {
        match self {
            Unbounded::TooDeep { .. } => "This query is too large to execute.".to_owned(),
            Unbounded::FragmentCycle(name) => format!("Fragment {name} contains an infinite loop"),
            Unbounded::TooComplex => "Query is too complex.".to_owned(),
        }
    }

    /// Where in the document the refusal points, if at one place.
    pub fn position(&self) -> Option<Pos> {
        match self {
            Unbounded::TooDeep { at } => Some(*at),
            _ => None,
        }
    }

    /// The refusal as an entry of a response's `errors`.
    pub fn to_error(&self) -> serde_json::Value {
        let mut error = serde_json::json!({ "message": self.message() });
        if let Some(at) = self.position() {
            error["locations"] = serde_json::json!([{ "line": at.line, "column": at.column }]);
        }
        error
    }
}

/// Refuses a variable whose value nests deeper than [`MAX_DEPTH`] lists and objects. The JSON
/// reader already stops far past that; this keeps a value within what the walkers that check
/// and coerce it expect, and keeps every answer that shows the value back (`extensions.value`
/// of `INVALID_VARIABLE`) within what a JSON reader reads. Only the operation's own variables
/// count: values for variables it does not declare are ignored, as GraphQL ignores them.
pub fn check_variables<'v, V: Nested + 'v>(
    declared: impl IntoIterator<Item = (Pos, Option<&'v V>)>,
) -> Result<(), Unbounded> {
    for (at, value) in declared {
        if value.is_some_and(|value| nests_deeper_than(value, MAX_DEPTH)) {
            return Err(Unbounded::TooDeep { at });
        }
    }
    Ok(())
}

/// A variable's value, as JSON from a line or as a request's coerced variables.
pub trait Nested {
    /// Whether this is a list or an object (one level of nesting, empty or not).
    fn is_nested(&self) -> bool;
    /// The values it holds, if it is a list or an object.
    fn children<'a>(&'a self, into: &mut Vec<&'a Self>);
}

impl Nested for serde_json::Value {
    fn is_nested(&self) -> bool {
        matches!(
            self,
            serde_json::Value::Array(_) | serde_json::Value::Object(_)
        )
    }

    fn children<'a>(&'a self, into: &mut Vec<&'a Self>) {
        match self {
            serde_json::Value::Array(items) => into.extend(items),
            serde_json::Value::Object(fields) => into.extend(fields.values()),
            _ => {}
        }
    }
}

impl Nested for async_graphql_value::ConstValue {
    fn is_nested(&self) -> bool {
        use async_graphql_value::ConstValue;
        matches!(self, ConstValue::List(_) | ConstValue::Object(_))
    }

    fn children<'a>(&'a self, into: &mut Vec<&'a Self>) {
        use async_graphql_value::ConstValue;
        match self {
            ConstValue::List(items) => into.extend(items),
            ConstValue::Object(fields) => into.extend(fields.values()),
            _ => {}
        }
    }
}

/// Whether `value` holds more than `max` levels of lists and objects, found with a stack of
/// its own rather than the thread's.
fn nests_deeper_than<V: Nested>(value: &V, max: usize) -> bool {
    let mut pending = vec![(value, 0usize)];
    let mut children = Vec::new();
    while let Some((value, above)) = pending.pop() {
        if !value.is_nested() {
            continue;
        }
        let depth = above + 1;
        if depth > max {
            return true;
        }
        value.children(&mut children);
        pending.extend(children.drain(..).map(|child| (child, depth)));
    }
    false
}

/// Refuses a document whose brackets nest deeper than [`MAX_DEPTH`], reading it as text before
/// it is parsed. Strings, block strings and comments are skipped as the GraphQL grammar reads
/// them, so brackets inside a string value (a JSON metafield written inline, say) never count.
/// A scan that skipped less than the parser only refuses more; one that skipped more could hide
/// nesting, so a plain string ends at a line break here as it must for the parser.
pub fn check_nesting(source: &str) -> Result<(), Unbounded> {
    let bytes = source.as_bytes();
    let mut depth = 0usize;
    let mut at = 0usize;
    while at < bytes.len() {
        match bytes[at] {
            b'#' => {
                while at < bytes.len() && !matches!(bytes[at], b'\n' | b'\r') {
                    at += 1;
                }
                continue;
            }
            b'"' if bytes[at..].starts_with(b"\"\"\"") => {
                at += 3;
                while at < bytes.len() && !bytes[at..].starts_with(b"\"\"\"") {
                    // `\"""` is the one escape of a block string.
                    at += if bytes[at..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                at += 3;
                continue;
            }
            b'"' => {
                at += 1;
                while at < bytes.len() {
                    match bytes[at] {
                        b'\\' => at += 2,
                        b'"' => {
                            at += 1;
                            break;
                        }
                        b'\n' | b'\r' => break,
                        _ => at += 1,
                    }
                }
                continue;
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(Unbounded::TooDeep {
                        at: position(source, at),
                    });
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        at += 1;
    }
    Ok(())
}

/// The 1-based line and column (in characters) of a byte offset, as the parser reports them.
fn position(source: &str, offset: usize) -> Pos {
    let before = &source[..offset];
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    Pos {
        line: before.bytes().filter(|&byte| byte == b'\n').count() + 1,
        column: before[line_start..].chars().count() + 1,
    }
}

/// Refuses a parsed document whose fragments loop, whose selections nest deeper than
/// [`MAX_DEPTH`] once spreads are expanded, or which expands past [`MAX_EXPANDED_SELECTIONS`],
/// in time linear in the document and without recursion over fragments: a chain of ten
/// thousand fragments is as cheap to refuse as one.
pub fn check_expansion(document: &ExecutableDocument) -> Result<(), Unbounded> {
    let fragments: HashMap<&str, Summary<'_>> = document
        .fragments
        .iter()
        .map(|(name, fragment)| {
            let summary = Summary::of(&fragment.node.selection_set.node);
            (name.as_str(), summary)
        })
        .collect();
    let expanded = Expansion::of(&fragments)?;
    let operations: Vec<&SelectionSet> = match &document.operations {
        DocumentOperations::Single(operation) => vec![&operation.node.selection_set.node],
        DocumentOperations::Multiple(operations) => operations
            .values()
            .map(|operation| &operation.node.selection_set.node)
            .collect(),
    };
    for selection_set in operations {
        let (depth, size) = expanded.of_summary(&Summary::of(selection_set));
        if depth > MAX_DEPTH {
            return Err(Unbounded::TooDeep {
                at: first_spread_position(selection_set).unwrap_or(Pos { line: 1, column: 1 }),
            });
        }
        if size > MAX_EXPANDED_SELECTIONS {
            return Err(Unbounded::TooComplex);
        }
    }
    Ok(())
}

/// A selection set on its own, spreads not followed: how many fields it selects, how deep
/// they nest, and which fragments it spreads at which level.
struct Summary<'a> {
    fields: u64,
    depth: usize,
    spreads: Vec<(&'a str, usize)>,
}

impl<'a> Summary<'a> {
    /// Walks one definition's selections. Recursion is bounded here: `check_nesting` has
    /// already kept each definition within [`MAX_DEPTH`] brackets.
    fn of(selection_set: &'a SelectionSet) -> Self {
        let mut summary = Summary {
            fields: 0,
            depth: 0,
            spreads: Vec::new(),
        };
        summary.walk(selection_set, 1);
        summary
    }

    fn walk(&mut self, selection_set: &'a SelectionSet, level: usize) {
        self.depth = self.depth.max(level);
        for selection in &selection_set.items {
            match &selection.node {
                Selection::Field(field) => {
                    self.fields += 1;
                    if !field.node.selection_set.node.items.is_empty() {
                        self.walk(&field.node.selection_set.node, level + 1);
                    }
                }
                Selection::InlineFragment(fragment) => {
                    self.walk(&fragment.node.selection_set.node, level + 1)
                }
                Selection::FragmentSpread(spread) => self
                    .spreads
                    .push((spread.node.fragment_name.node.as_str(), level)),
            }
        }
    }
}

/// Each defined fragment's depth and size with its spreads expanded.
struct Expansion<'a> {
    expanded: HashMap<&'a str, (usize, u64)>,
}

impl<'a> Expansion<'a> {
    /// Expands every fragment once, children before parents, by a depth-first walk over the
    /// fragment graph that keeps its path in a vector instead of on the call stack. A spread of
    /// a fragment on the path is a cycle; the first one found (fragments taken in name order,
    /// spreads in document order) is the one reported.
    fn of(fragments: &HashMap<&'a str, Summary<'a>>) -> Result<Self, Unbounded> {
        let mut expansion = Expansion {
            expanded: HashMap::with_capacity(fragments.len()),
        };
        let mut names: Vec<&str> = fragments.keys().copied().collect();
        names.sort_unstable();
        let mut on_path = std::collections::HashSet::new();
        for root in names {
            if expansion.expanded.contains_key(root) {
                continue;
            }
            // Each entry: a fragment being expanded and how many of its spreads are done.
            let mut path: Vec<(&str, usize)> = vec![(root, 0)];
            on_path.insert(root);
            while let Some(&(name, done)) = path.last() {
                let summary = &fragments[name];
                let Some(&(target, _)) = summary.spreads.get(done) else {
                    let totals = expansion.of_summary(summary);
                    expansion.expanded.insert(name, totals);
                    on_path.remove(name);
                    path.pop();
                    continue;
                };
                if let Some(top) = path.last_mut() {
                    top.1 += 1;
                }
                if !fragments.contains_key(target) || expansion.expanded.contains_key(target) {
                    continue;
                }
                if !on_path.insert(target) {
                    return Err(Unbounded::FragmentCycle(target.to_owned()));
                }
                path.push((target, 0));
            }
        }
        Ok(expansion)
    }

    /// The depth and size of a selection set whose spread fragments are all expanded (an
    /// undefined one counts for nothing: the validator reports it).
    fn of_summary(&self, summary: &Summary<'_>) -> (usize, u64) {
        let mut depth = summary.depth;
        let mut size = summary.fields;
        for (target, level) in &summary.spreads {
            let (target_depth, target_size) = self.expanded.get(target).copied().unwrap_or((0, 0));
            // A spread counts as a level of its own, as an inline fragment does.
            depth = depth.max(level.saturating_add(target_depth));
            size = size.saturating_add(target_size);
        }
        (depth, size)
    }
}

/// Where an operation first spreads a fragment: the refusal of a document too deep only
/// through its fragments points there.
fn first_spread_position(selection_set: &SelectionSet) -> Option<Pos> {
    let mut sets = vec![selection_set];
    while let Some(set) = sets.pop() {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => sets.push(&field.node.selection_set.node),
                Selection::InlineFragment(fragment) => sets.push(&fragment.node.selection_set.node),
                Selection::FragmentSpread(_) => return Some(selection.pos),
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(open: &str, close: &str, levels: usize) -> String {
        format!("{}1{}", open.repeat(levels), close.repeat(levels))
    }

    /// `{ products(first: 1, query: <value>) { nodes { id } } }`: the query, the field and its
    /// arguments hold the value three levels down.
    fn in_an_argument(value: &str) -> String {
        format!("{{ products(first: 1, query: {value}) {{ nodes {{ id }} }} }}")
    }

    #[test]
    fn a_document_may_nest_to_the_limit_and_not_past_it() {
        let at_limit = in_an_argument(&nested("[", "]", MAX_DEPTH - 2));
        assert_eq!(check_nesting(&at_limit), Ok(()));
        let past = in_an_argument(&nested("[", "]", MAX_DEPTH - 1));
        assert_eq!(
            check_nesting(&past),
            Err(Unbounded::TooDeep {
                at: Pos {
                    line: 1,
                    column: 27 + MAX_DEPTH
                }
            })
        );
    }

    #[test]
    fn every_kind_of_bracket_counts() {
        let objects = format!("{}1{}", "{a: ".repeat(MAX_DEPTH), "}".repeat(MAX_DEPTH));
        assert!(check_nesting(&in_an_argument(&objects)).is_err());
        let selections = format!(
            "{}id{}",
            "{ a ".repeat(MAX_DEPTH + 1),
            "}".repeat(MAX_DEPTH + 1)
        );
        assert!(check_nesting(&selections).is_err());
        let list_type = format!(
            "query($a: {}Int{}) {{ shop {{ id }} }}",
            "[".repeat(MAX_DEPTH),
            "]".repeat(MAX_DEPTH)
        );
        assert!(check_nesting(&list_type).is_err());
        let default = format!(
            "query($a: Int = {}) {{ shop {{ id }} }}",
            nested("[", "]", MAX_DEPTH)
        );
        assert!(check_nesting(&default).is_err());
        let directive = format!(
            "{{ shop @include(if: {}) {{ id }} }}",
            nested("[", "]", MAX_DEPTH)
        );
        assert!(check_nesting(&directive).is_err());
    }

    #[test]
    fn brackets_in_strings_and_comments_do_not_count() {
        let deep = "[".repeat(10 * MAX_DEPTH);
        for value in [
            format!("{deep:?}"),
            format!("\"\"\"{deep}\"\"\""),
            format!("\"\"\"say \\\"\"\" {deep} \"\"\""),
            format!("\"quoted \\\" {deep}\""),
        ] {
            assert_eq!(check_nesting(&in_an_argument(&value)), Ok(()), "{value}");
        }
        assert_eq!(
            check_nesting(&format!("# {deep}\n{{ shop {{ id }} }}")),
            Ok(())
        );
    }

    #[test]
    fn a_string_cut_by_a_line_break_hides_nothing() {
        let source = format!("{{ a(b: \"open\n{}) }}", nested("[", "]", MAX_DEPTH + 1));
        assert!(check_nesting(&source).is_err());
    }

    #[test]
    fn positions_count_lines_and_characters() {
        let source = format!("# é\n{{ a(b: {}) }}", nested("[", "]", MAX_DEPTH));
        let Err(Unbounded::TooDeep { at }) = check_nesting(&source) else {
            panic!("not refused");
        };
        assert_eq!((at.line, at.column), (2, 9 + MAX_DEPTH - 3));
    }

    fn parse(source: &str) -> ExecutableDocument {
        async_graphql_parser::parse_query(source).unwrap()
    }

    /// An operation spreading `F0`, each `Fi` spreading `Fi+1`, the last selecting `id`.
    fn chain(fragments: usize) -> String {
        let mut source = String::from("{ shop { ...F0 } }");
        for index in 0..fragments {
            source.push_str(&format!(
                " fragment F{index} on Shop {{ ...F{} }}",
                index + 1
            ));
        }
        source + &format!(" fragment F{fragments} on Shop {{ id }}")
    }

    #[test]
    fn a_chain_of_fragments_may_reach_the_limit_and_not_pass_it() {
        // The operation's two levels, then one per fragment body.
        assert_eq!(check_expansion(&parse(&chain(MAX_DEPTH - 3))), Ok(()));
        assert_eq!(
            check_expansion(&parse(&chain(MAX_DEPTH - 2))),
            Err(Unbounded::TooDeep {
                at: Pos {
                    line: 1,
                    column: 10
                }
            })
        );
    }

    #[test]
    fn a_chain_of_ten_thousand_fragments_is_refused_without_deep_recursion() {
        // On a small stack, so a walker that recursed once per fragment would overflow it.
        let source = chain(10_000);
        let refused = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || check_expansion(&parse(&source)))
            .unwrap()
            .join()
            .unwrap();
        assert!(matches!(refused, Err(Unbounded::TooDeep { .. })));
    }

    #[test]
    fn cycles_are_named_by_the_fragment_met_again() {
        assert_eq!(
            check_expansion(&parse(
                "{ shop { ...F } } fragment F on Shop { ...G } fragment G on Shop { id ...F }"
            )),
            Err(Unbounded::FragmentCycle("F".to_owned()))
        );
        assert_eq!(
            check_expansion(&parse("{ shop { ...A } } fragment A on Shop { ...A }")),
            Err(Unbounded::FragmentCycle("A".to_owned()))
        );
    }

    #[test]
    fn fan_outs_are_counted_once_per_fragment() {
        // Fragments each spreading the next twice: 2^levels selections once expanded.
        let fan_out = |levels: usize| {
            let mut source = String::from("{ shop { ...F0 } }");
            for level in 0..levels {
                source.push_str(&format!(
                    " fragment F{level} on Shop {{ ...F{} ...F{} }}",
                    level + 1,
                    level + 1
                ));
            }
            source + &format!(" fragment F{levels} on Shop {{ id }}")
        };
        assert_eq!(check_expansion(&parse(&fan_out(10))), Ok(()));
        assert_eq!(
            check_expansion(&parse(&fan_out(50))),
            Err(Unbounded::TooComplex)
        );
    }

    #[test]
    fn variable_values_may_nest_to_the_limit_and_not_past_it() {
        let nested_json = |levels: usize| -> serde_json::Value {
            let text = format!("{}{}", "[".repeat(levels), "]".repeat(levels));
            serde_json::from_str(&text).unwrap()
        };
        let at = Pos { line: 1, column: 7 };
        let check = |value: &serde_json::Value| check_variables([(at, Some(value))]);
        assert_eq!(check(&nested_json(MAX_DEPTH)), Ok(()));
        assert_eq!(
            check(&nested_json(MAX_DEPTH + 1)),
            Err(Unbounded::TooDeep { at })
        );
        assert_eq!(check(&serde_json::json!("scalar")), Ok(()));
        assert_eq!(check_variables::<serde_json::Value>([(at, None)]), Ok(()));
        let object = serde_json::json!({"a": {"b": nested_json(MAX_DEPTH - 1)}});
        assert_eq!(check(&object), Err(Unbounded::TooDeep { at }));
        let coerced =
            async_graphql_value::ConstValue::from_json(nested_json(MAX_DEPTH + 1)).unwrap();
        assert_eq!(
            check_variables([(at, Some(&coerced))]),
            Err(Unbounded::TooDeep { at })
        );
    }

    #[test]
    fn undefined_fragments_are_left_to_the_validator() {
        assert_eq!(
            check_expansion(&parse("{ shop { ...Missing id } }")),
            Ok(())
        );
    }
}
