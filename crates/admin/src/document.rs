//! Validation of a bulk mutation document, once per operation: the checks and messages of
//! `bulkOperationRunMutation` (parse errors, operation type, a single allowed root field, at most
//! one connection, fields that exist), before any line runs.

use crate::types::{named, TypeIndex};
use async_graphql_parser::types::{
    DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet, Type,
};
use async_graphql_parser::Pos;
use async_graphql_value::ConstValue;
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

/// A validated bulk mutation: its source, its parsed form (reused for every line), and its variables.
#[derive(Debug, Clone)]
pub struct PreparedMutation {
    pub source: String,
    pub document: ExecutableDocument,
    pub variables: Vec<VariableSpec>,
    pub root_field: String,
}

pub fn prepare(
    source: &str,
    types: &TypeIndex,
    mutation_root: &str,
) -> Result<PreparedMutation, Rejection> {
    let document = async_graphql_parser::parse_query(source).map_err(|error| {
        Rejection::Document(BulkUserError::unparsable_mutation(&syntax_message(
            source, &error,
        )))
    })?;
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
    let roots = fields_of(&document, &operation.node.selection_set.node);
    let [(root, root_field)] = roots.as_slice() else {
        return Err(Rejection::Document(BulkUserError::not_single_root_field()));
    };
    if DISALLOWED_ROOTS.contains(root) {
        return Err(Rejection::Document(BulkUserError::disallowed_root_field()));
    }
    let root_type = types
        .outputs
        .get(mutation_root)
        .and_then(|fields| fields.get(*root))
        .ok_or_else(|| {
            Rejection::Schema(BulkUserError::invalid_mutation(format!(
                "Field '{root}' doesn't exist on type '{mutation_root}'"
            )))
        })?;
    let mut connections = 0;
    check_selection(
        &document,
        types,
        named(root_type),
        &root_field.selection_set.node,
        &mut connections,
    )
    .map_err(Rejection::Schema)?;
    if named(root_type).ends_with("Connection") {
        connections += 1;
    }
    if connections > 1 {
        return Err(Rejection::Document(BulkUserError::too_many_connections()));
    }
    let variables = operation
        .node
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
        .collect();
    Ok(PreparedMutation {
        source: source.to_owned(),
        root_field: (*root).to_owned(),
        document,
        variables,
    })
}

/// The fields of a selection set with fragments expanded (one level of the tree).
fn fields_of<'a>(
    document: &'a ExecutableDocument,
    selection_set: &'a SelectionSet,
) -> Vec<(&'a str, &'a async_graphql_parser::types::Field)> {
    let mut fields = Vec::new();
    for selection in &selection_set.items {
        match &selection.node {
            Selection::Field(field) => fields.push((field.node.name.node.as_str(), &field.node)),
            Selection::InlineFragment(fragment) => {
                fields.extend(fields_of(document, &fragment.node.selection_set.node))
            }
            Selection::FragmentSpread(spread) => {
                if let Some(fragment) = document.fragments.get(&spread.node.fragment_name.node) {
                    fields.extend(fields_of(document, &fragment.node.selection_set.node));
                }
            }
        }
    }
    fields
}

/// Checks that every selected field exists on its parent type and counts connection fields.
fn check_selection(
    document: &ExecutableDocument,
    types: &TypeIndex,
    parent: &str,
    selection_set: &SelectionSet,
    connections: &mut usize,
) -> Result<(), BulkUserError> {
    for selection in &selection_set.items {
        match &selection.node {
            Selection::Field(field) => {
                let name = field.node.name.node.as_str();
                if name == "__typename" {
                    continue;
                }
                let Some(fields) = types.outputs.get(parent) else {
                    // Unions select through fragments only; nothing to check at this level.
                    continue;
                };
                let ty = fields.get(name).ok_or_else(|| {
                    BulkUserError::invalid_mutation(format!(
                        "Field '{name}' doesn't exist on type '{parent}'"
                    ))
                })?;
                let child = named(ty);
                if child.ends_with("Connection") {
                    *connections += 1;
                }
                check_selection(
                    document,
                    types,
                    child,
                    &field.node.selection_set.node,
                    connections,
                )?;
            }
            Selection::InlineFragment(fragment) => {
                let on = fragment
                    .node
                    .type_condition
                    .as_ref()
                    .map_or(parent, |condition| condition.node.on.node.as_str());
                check_selection(
                    document,
                    types,
                    on,
                    &fragment.node.selection_set.node,
                    connections,
                )?;
            }
            Selection::FragmentSpread(spread) => {
                let fragment = document
                    .fragments
                    .get(&spread.node.fragment_name.node)
                    .ok_or_else(|| {
                        BulkUserError::invalid_mutation(format!(
                            "Fragment {} was used, but not defined",
                            spread.node.fragment_name.node
                        ))
                    })?;
                let on = fragment.node.type_condition.node.on.node.as_str();
                check_selection(
                    document,
                    types,
                    on,
                    &fragment.node.selection_set.node,
                    connections,
                )?;
            }
        }
    }
    Ok(())
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

/// Words a parse error as the hosted API does: `syntax error, unexpected end of file at [1, 21]`
/// (the position of the last token), or `syntax error, unexpected RCURLY ("}") at [1, 10]`.
fn syntax_message(source: &str, error: &async_graphql_parser::Error) -> String {
    let found = tokens(source);
    let failed_at = error.positions().next();
    let offending = failed_at.and_then(|pos| {
        found
            .iter()
            .find(|token| (token.line, token.column) >= (pos.line, pos.column))
    });
    match offending {
        Some(token) => format!(
            "syntax error, unexpected {} ({:?}) at [{}, {}]",
            token_kind(token.text),
            token.text,
            token.line,
            token.column
        ),
        None => {
            let (line, column) = found
                .last()
                .map_or((1, 1), |token| (token.line, token.column));
            debug_assert!(found.last().is_none_or(|token| token.offset < source.len()));
            format!("syntax error, unexpected end of file at [{line}, {column}]")
        }
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
             type Product { id: ID! title: String! variants(first: Int): ProductVariantConnection! media: MediaConnection! }
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
