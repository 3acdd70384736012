//! Validation of a bulk mutation document, once per operation: the checks and messages of
//! `bulkOperationRunMutation` (parse errors, operation type, a single allowed root field, at most
//! one connection, fields that exist), before any line runs.

use crate::bounds::{check_expansion, check_nesting, Unbounded};
use crate::types::{named, TypeIndex};
use async_graphql_parser::types::{
    DocumentOperations, ExecutableDocument, OperationDefinition, OperationType, Selection,
    SelectionSet, Type,
};
use async_graphql_parser::Pos;
use async_graphql_value::ConstValue;
use std::collections::HashSet;
use stevedore_core::BulkUserError;
use stevedore_engine::Rejection;

/// Root fields a bulk operation may not run: they would start bulk operations recursively.
const DISALLOWED_ROOTS: &[&str] = &["bulkOperationRunMutation", "bulkOperationRunQuery"];

/// A declared variable of the mutation, checked against each line's values.
#[derive(Debug, Clone)]
pub struct VariableSpec {
    pub name: String,
    pub ty: Type,
    pub default: Option<ConstValue>,
    pub pos: Pos,
}

/// The variables an operation declares.
pub fn variable_specs(operation: &OperationDefinition) -> Vec<VariableSpec> {
    operation
        .variable_definitions
        .iter()
        .map(|definition| VariableSpec {
            name: definition.node.name.node.to_string(),
            ty: definition.node.var_type.node.clone(),
            default: definition
                .node
                .default_value
                .as_ref()
                .map(|value| value.node.clone()),
            pos: definition.pos,
        })
        .collect()
}

/// A validated bulk mutation: its source, its parsed form (reused for every line), and its variables.
#[derive(Debug, Clone)]
pub struct PreparedMutation {
    pub source: String,
    pub document: ExecutableDocument,
    pub variables: Vec<VariableSpec>,
    pub root_field: String,
    /// The document's validation by the schema, once the first line has run.
    pub(crate) validation: crate::validation_memo::ValidationMemo,
    /// Set once a chunk's recorded products could not all be written as answered (their
    /// handles were taken, say): the operation's later chunks write line by line from the
    /// start instead of finding that out again.
    pub(crate) writes_immediately: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// The catalog's direct answer to the document's lines, if it has one.
    pub(crate) direct: Option<stevedore_catalog::DirectCreate>,
    /// Whether a line's answer may show a product's handle: the document selects a field named
    /// `handle` anywhere. When it cannot, a title-derived handle found taken as the chunk writes
    /// may still get its number there, whatever the document (not only the direct path's).
    pub(crate) shows_handle: bool,
}

pub fn prepare(
    source: &str,
    types: &TypeIndex,
    mutation_root: &str,
) -> Result<PreparedMutation, Rejection> {
    let unbounded = |refusal: Unbounded| {
        Rejection::Document(BulkUserError::invalid_mutation(refusal.message()))
    };
    // Before anything recursive reads it: the parser included.
    check_nesting(source).map_err(unbounded)?;
    let document = async_graphql_parser::parse_query(source).map_err(|error| {
        Rejection::Document(BulkUserError::unparsable_mutation(
            &SyntaxError::new(source, &error).message,
        ))
    })?;
    check_expansion(&document).map_err(unbounded)?;
    let operation = match &document.operations {
        DocumentOperations::Single(operation) => operation,
        DocumentOperations::Multiple(operations) if operations.len() == 1 => {
            operations.values().next().expect("one operation")
        }
        DocumentOperations::Multiple(_) => {
            return Err(Rejection::Document(BulkUserError::invalid_mutation(
                "Bulk mutations must contain exactly one operation.",
            )))
        }
    };
    if operation.node.ty != OperationType::Mutation {
        return Err(Rejection::Document(BulkUserError::not_a_mutation()));
    }
    let roots = fields_of(
        &document,
        &operation.node.selection_set.node,
        &mut HashSet::new(),
    );
    let [(root, root_field)] = roots.as_slice() else {
        return Err(Rejection::Document(BulkUserError::not_single_root_field()));
    };
    if DISALLOWED_ROOTS.contains(root) {
        return Err(Rejection::Document(BulkUserError::disallowed_root_field()));
    }
    // The hosted API knows every field, so its checks of the document's shape (how many
    // connections it selects) come before anything a field unknown here would say: an unknown
    // field's connections are told by their selections.
    let mut check = SelectionCheck {
        document: &document,
        types,
        walked_fragments: HashSet::new(),
        connections: 0,
        unknown: None,
    };
    let root_type = types
        .outputs
        .get(mutation_root)
        .and_then(|fields| fields.get(*root))
        .map(named);
    if root_type.is_none() {
        check.unknown = Some(BulkUserError::invalid_mutation(format!(
            "Field '{root}' doesn't exist on type '{mutation_root}'"
        )));
    }
    let root_is_connection = match root_type {
        Some(ty) => ty.ends_with("Connection"),
        None => looks_like_a_connection(&root_field.selection_set.node),
    };
    check.walk(root_type, &root_field.selection_set.node)?;
    if check.connections + usize::from(root_is_connection) > 1 {
        return Err(Rejection::Document(BulkUserError::too_many_connections()));
    }
    if let Some(unknown) = check.unknown {
        return Err(Rejection::Schema(unknown));
    }
    let variables = variable_specs(&operation.node);
    let direct = crate::direct::plan(&document, &operation.node);
    let shows_handle = selects_field_named(&document, "handle");
    Ok(PreparedMutation {
        source: source.to_owned(),
        root_field: (*root).to_owned(),
        document,
        variables,
        validation: Default::default(),
        writes_immediately: Default::default(),
        direct,
        shows_handle,
    })
}

/// Whether any selection of the document (its operations' and its fragments') is a field
/// called `name`, whatever its type: a check that never needs the schema and errs on the side
/// of "yes". Selections nest at most `bounds::MAX_DEPTH` levels by now.
fn selects_field_named(document: &ExecutableDocument, name: &str) -> bool {
    fn within(set: &SelectionSet, name: &str) -> bool {
        set.items.iter().any(|item| match &item.node {
            Selection::Field(field) => {
                field.node.name.node.as_str() == name
                    || within(&field.node.selection_set.node, name)
            }
            Selection::InlineFragment(fragment) => within(&fragment.node.selection_set.node, name),
            Selection::FragmentSpread(_) => false,
        })
    }
    let in_operations = match &document.operations {
        DocumentOperations::Single(operation) => within(&operation.node.selection_set.node, name),
        DocumentOperations::Multiple(operations) => operations
            .values()
            .any(|operation| within(&operation.node.selection_set.node, name)),
    };
    in_operations
        || document
            .fragments
            .values()
            .any(|fragment| within(&fragment.node.selection_set.node, name))
}

/// The fields of a selection set with fragments expanded (one level of the tree). A fragment
/// spread twice contributes its fields once, as GraphQL merges them.
fn fields_of<'a>(
    document: &'a ExecutableDocument,
    selection_set: &'a SelectionSet,
    spread: &mut HashSet<&'a str>,
) -> Vec<(&'a str, &'a async_graphql_parser::types::Field)> {
    let mut fields = Vec::new();
    for selection in &selection_set.items {
        match &selection.node {
            Selection::Field(field) => fields.push((field.node.name.node.as_str(), &field.node)),
            Selection::InlineFragment(fragment) => fields.extend(fields_of(
                document,
                &fragment.node.selection_set.node,
                spread,
            )),
            Selection::FragmentSpread(spread_node) => {
                let name = spread_node.node.fragment_name.node.as_str();
                if !spread.insert(name) {
                    continue;
                }
                if let Some(fragment) = document.fragments.get(name) {
                    fields.extend(fields_of(
                        document,
                        &fragment.node.selection_set.node,
                        spread,
                    ));
                }
            }
        }
    }
    fields
}

/// Walks a document's selections against the schema: every selected field should exist on its
/// parent type (the first that does not is kept, to report after the shape checks); connection
/// fields are counted, by their type where it is known and by their selections (`edges` or
/// `nodes`) where it is not. Each fragment is walked once (a fragment spread many times selects
/// the same fields), so the walk is linear in the document's size.
struct SelectionCheck<'a> {
    document: &'a ExecutableDocument,
    types: &'a TypeIndex,
    walked_fragments: HashSet<&'a str>,
    connections: usize,
    unknown: Option<BulkUserError>,
}

impl<'a> SelectionCheck<'a> {
    /// `parent`: the type the selections are made on, if this schema knows it.
    fn walk(
        &mut self,
        parent: Option<&'a str>,
        selection_set: &'a SelectionSet,
    ) -> Result<(), Rejection> {
        for selection in &selection_set.items {
            match &selection.node {
                Selection::Field(field) => {
                    let name = field.node.name.node.as_str();
                    if name == "__typename" {
                        continue;
                    }
                    // Unions select through fragments only; nothing to check at this level.
                    let fields = parent.and_then(|parent| self.types.outputs.get(parent));
                    let child = match (parent, fields) {
                        (Some(parent), Some(fields)) => match fields.get(name) {
                            Some(ty) => Some(named(ty)),
                            None => {
                                self.unknown.get_or_insert_with(|| {
                                    BulkUserError::invalid_mutation(format!(
                                        "Field '{name}' doesn't exist on type '{parent}'"
                                    ))
                                });
                                None
                            }
                        },
                        _ => None,
                    };
                    let is_connection = match child {
                        Some(child) => child.ends_with("Connection"),
                        None => looks_like_a_connection(&field.node.selection_set.node),
                    };
                    if is_connection {
                        self.connections += 1;
                    }
                    self.walk(child, &field.node.selection_set.node)?;
                }
                Selection::InlineFragment(fragment) => {
                    let on =
                        parent.map(|parent| crate::types::fragment_type(&fragment.node, parent));
                    self.walk(on, &fragment.node.selection_set.node)?;
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    let fragment = self.document.fragments.get(name).ok_or_else(|| {
                        Rejection::Schema(BulkUserError::invalid_mutation(format!(
                            "Fragment {name} was used, but not defined"
                        )))
                    })?;
                    if self.walked_fragments.insert(name) {
                        let on = fragment.node.type_condition.node.on.node.as_str();
                        let known = self.types.outputs.contains_key(on).then_some(on);
                        self.walk(known, &fragment.node.selection_set.node)?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// Whether a field of a type this schema does not know is a connection, by what it selects.
fn looks_like_a_connection(selection_set: &SelectionSet) -> bool {
    selection_set.items.iter().any(|item| {
        matches!(&item.node, Selection::Field(field)
            if matches!(field.node.name.node.as_str(), "edges" | "nodes"))
    })
}

/// A lexical token of a GraphQL document, with its 1-based position.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Token<'a> {
    line: usize,
    column: usize,
    offset: usize,
    text: &'a str,
}

/// Splits a document into tokens. Only positions and spellings are needed (to word parse
/// errors as the hosted API does), so this is a scanner, not a parser.
fn tokens(source: &str) -> Vec<Token<'_>> {
    let mut found = Vec::new();
    let (mut line, mut column) = (1, 1);
    let mut chars = source.char_indices().peekable();
    while let Some((offset, character)) = chars.next() {
        let (start_line, start_column) = (line, column);
        let advance = |line: &mut usize, column: &mut usize, c: char| {
            if c == '\n' {
                *line += 1;
                *column = 1;
            } else {
                *column += 1;
            }
        };
        advance(&mut line, &mut column, character);
        let mut end = offset + character.len_utf8();
        match character {
            c if c.is_whitespace() || c == ',' || c == '\u{feff}' => continue,
            '#' => {
                while let Some(&(_, next)) = chars.peek() {
                    if next == '\n' {
                        break;
                    }
                    advance(&mut line, &mut column, next);
                    chars.next();
                }
                continue;
            }
            '"' => {
                let mut escaped = false;
                for (at, next) in chars.by_ref() {
                    advance(&mut line, &mut column, next);
                    end = at + next.len_utf8();
                    if next == '"' && !escaped {
                        break;
                    }
                    escaped = next == '\\' && !escaped;
                }
            }
            '.' => {
                while let Some(&(at, '.')) = chars.peek() {
                    advance(&mut line, &mut column, '.');
                    chars.next();
                    end = at + 1;
                }
            }
            c if c.is_alphanumeric() || c == '_' || c == '-' => {
                while let Some(&(at, next)) = chars.peek() {
                    if !(next.is_alphanumeric() || next == '_' || next == '.' && c.is_ascii_digit())
                    {
                        break;
                    }
                    advance(&mut line, &mut column, next);
                    chars.next();
                    end = at + next.len_utf8();
                }
            }
            _ => {}
        }
        found.push(Token {
            line: start_line,
            column: start_column,
            offset,
            text: &source[offset..end],
        });
    }
    found
}

/// The name graphql-ruby's lexer gives a token, used in "unexpected X" messages.
fn token_kind(text: &str) -> String {
    let kind = match text {
        "{" => "LCURLY",
        "}" => "RCURLY",
        "(" => "LPAREN",
        ")" => "RPAREN",
        "[" => "LBRACKET",
        "]" => "RBRACKET",
        ":" => "COLON",
        "=" => "EQUALS",
        "!" => "BANG",
        "$" => "VAR_SIGN",
        "@" => "DIR_SIGN",
        "..." => "ELLIPSIS",
        "|" => "PIPE",
        "&" => "AMP",
        "query" | "mutation" | "subscription" | "fragment" | "on" | "true" | "false" | "null" => {
            return text.to_uppercase();
        }
        _ if text.starts_with('"') => "STRING",
        _ if text.starts_with(|c: char| c.is_ascii_digit() || c == '-') => {
            if text.contains(['.', 'e', 'E']) {
                "FLOAT"
            } else {
                "INT"
            }
        }
        _ if text.starts_with(|c: char| c.is_alphabetic() || c == '_') => "IDENTIFIER",
        _ => "UNKNOWN_CHAR",
    };
    kind.to_owned()
}

/// A parse error as the hosted API words and places it.
pub struct SyntaxError {
    pub message: String,
    pub line: usize,
    pub column: usize,
}

impl SyntaxError {
    /// Words a parse error as the hosted API does: `syntax error, unexpected end of file at
    /// [1, 21]` (the position of the last token), or `syntax error, unexpected RCURLY ("}") at
    /// [1, 10]`.
    pub fn new(source: &str, error: &async_graphql_parser::Error) -> Self {
        let found = tokens(source);
        let failed_at = error.positions().next();
        let offending = failed_at.and_then(|pos| {
            found
                .iter()
                .find(|token| (token.line, token.column) >= (pos.line, pos.column))
        });
        let (what, line, column) = match offending {
            Some(token) => (
                format!("{} ({:?})", token_kind(token.text), token.text),
                token.line,
                token.column,
            ),
            None => {
                let (line, column) = found
                    .last()
                    .map_or((1, 1), |token| (token.line, token.column));
                debug_assert!(found.last().is_none_or(|token| token.offset < source.len()));
                ("end of file".to_owned(), line, column)
            }
        };
        SyntaxError {
            message: format!("syntax error, unexpected {what} at [{line}, {column}]"),
            line,
            column,
        }
    }

    /// The error as an entry of a synchronous response's `errors`, as the hosted API gives it.
    pub fn to_error(&self) -> serde_json::Value {
        serde_json::json!({
            "message": self.message,
            "locations": [{ "line": self.line, "column": self.column }],
            "extensions": { "code": "PARSE_ERROR" },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> TypeIndex {
        TypeIndex::from_sdl(
            "type Mutation { productCreate(input: ProductInput): ProductCreatePayload bulkOperationRunMutation(mutation: String!): Payload }
             type ProductCreatePayload { product: Product userErrors: [UserError!]! }
             type Payload { ok: Boolean }
             type Product { id: ID! title: String! handle: String! variants(first: Int): ProductVariantConnection! media: MediaConnection! }
             type ProductVariantConnection { nodes: [Variant!]! }
             type MediaConnection { nodes: [Variant!]! }
             type Variant { id: ID! }
             type UserError { field: [String!] message: String! }
             input ProductInput { title: String }
             type QueryRoot { shop: String }
             schema { query: QueryRoot mutation: Mutation }",
        )
    }

    fn refusal(source: &str) -> BulkUserError {
        prepare(source, &index(), "Mutation")
            .unwrap_err()
            .into_user_error()
    }

    #[test]
    fn reports_parse_errors_at_the_last_token_for_end_of_file() {
        assert_eq!(
            refusal("mutation { not real syntax").message,
            "Failed to parse the mutation - syntax error, unexpected end of file at [1, 21]"
        );
        assert_eq!(
            refusal("mutation { productCreate(input: { }) { ) } }").message,
            "Failed to parse the mutation - syntax error, unexpected RPAREN (\")\") at [1, 40]"
        );
    }

    #[test]
    fn enforces_the_shape_of_a_bulk_mutation() {
        assert_eq!(refusal("query { shop }"), BulkUserError::not_a_mutation());
        assert_eq!(refusal("mutation { a: productCreate { product { id } } b: productCreate { product { id } } }"), BulkUserError::not_single_root_field());
        assert_eq!(
            refusal("mutation { bulkOperationRunMutation(mutation: \"\") { ok } }"),
            BulkUserError::disallowed_root_field()
        );
        assert_eq!(
            refusal("mutation { productCreate { product { variants { nodes { id } } media { nodes { id } } } } }"),
            BulkUserError::too_many_connections()
        );
        assert_eq!(
            refusal("mutation { productCreate { product { nope } } }").message,
            "Field 'nope' doesn't exist on type 'Product'"
        );
    }

    #[test]
    fn connections_are_counted_before_unknown_fields_are_reported() {
        // Two connections under a field this schema lacks: the hosted API, which knows the
        // field, refuses the shape; a field unknown here must not change that answer.
        let unknown_root = "mutation { productSet(input: {}) { product { variants(first: 1) { nodes { id } } media(first: 1) { edges { node { id } } } } } }";
        assert!(matches!(
            prepare(unknown_root, &index(), "Mutation"),
            Err(Rejection::Document(error)) if error == BulkUserError::too_many_connections()
        ));
        let unknown_field = "mutation { productCreate { product { variants { nodes { id } } metafields(first: 1) { nodes { id } } } } }";
        assert!(matches!(
            prepare(unknown_field, &index(), "Mutation"),
            Err(Rejection::Document(error)) if error == BulkUserError::too_many_connections()
        ));
        // With one connection, the unknown field is what is reported, after the file checks.
        let one =
            "mutation { productCreate { product { metafields(first: 1) { nodes { id } } } } }";
        assert!(matches!(
            prepare(one, &index(), "Mutation"),
            Err(Rejection::Schema(error)) if error.message == "Field 'metafields' doesn't exist on type 'Product'"
        ));
    }

    #[test]
    fn refuses_documents_past_their_bounds_as_invalid_mutations() {
        assert_eq!(
            refusal("mutation { productCreate { ...F } } fragment F on ProductCreatePayload { ...G } fragment G on ProductCreatePayload { ...F }"),
            BulkUserError::invalid_mutation("Fragment F contains an infinite loop")
        );
        let deep = format!(
            "mutation {{ productCreate(input: {{title: {}\"x\"{}}}) {{ product {{ id }} }} }}",
            "[".repeat(100),
            "]".repeat(100)
        );
        assert_eq!(
            refusal(&deep),
            BulkUserError::invalid_mutation("This query is too large to execute.")
        );
    }

    #[test]
    fn knows_whether_an_answer_may_show_a_handle() {
        let shows = |source: &str| prepare(source, &index(), "Mutation").unwrap().shows_handle;
        assert!(!shows(
            "mutation { productCreate { product { id title variants { nodes { id } } } } }"
        ));
        assert!(shows(
            "mutation { productCreate { product { id handle } } }"
        ));
        assert!(shows("mutation { productCreate { ...P } } fragment P on ProductCreatePayload { product { handle } }"));
        assert!(shows(
            "mutation { productCreate { product { ... on Product { h: handle } } } }"
        ));
    }

    #[test]
    fn accepts_the_guides_mutation_and_remembers_its_variables() {
        let prepared = prepare(
            "mutation call($input: ProductInput!) { productCreate(input: $input) { product { id title variants { nodes { id } } } userErrors { message field } } }",
            &index(),
            "Mutation",
        )
        .unwrap();
        assert_eq!(prepared.root_field, "productCreate");
        assert_eq!(prepared.variables.len(), 1);
        assert_eq!(prepared.variables[0].name, "input");
    }
}
