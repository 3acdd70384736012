//! Which bulk documents the catalog's direct `productCreate` path answers (see
//! `stevedore_catalog::DirectCreate`): found once per operation from the parsed document.
//!
//! The document qualifies when its only root field is `productCreate` with its whole input in
//! one variable, and it selects only plain fields (aliases allowed): `__typename`, `product`
//! with attributes of the product row, and `userErrors`. Fragments, directives, field
//! arguments, or one response key used twice leave the operation to the executor: the direct
//! path does not merge or skip fields. It runs only once the executor has validated the
//! document against the schema (see the executor), so a variable of the wrong type or a
//! misspelt field never reaches it.

use async_graphql_parser::types::{
    BaseType, ExecutableDocument, Field, OperationDefinition, Selection, SelectionSet,
};
use async_graphql_value::Value;
use std::collections::HashSet;
use stevedore_catalog::{DirectCreate, PayloadField, ProductField};

/// The direct path for `operation`, if it qualifies.
pub(crate) fn plan(
    document: &ExecutableDocument,
    operation: &OperationDefinition,
) -> Option<DirectCreate> {
    if !document.fragments.is_empty() || !operation.directives.is_empty() {
        return None;
    }
    let [variable] = operation.variable_definitions.as_slice() else {
        return None;
    };
    let variable = &variable.node;
    if variable.default_value.is_some() || !variable.directives.is_empty() {
        return None;
    }
    let root = only_field(&operation.selection_set.node)?;
    if root.name.node.as_str() != "productCreate" || !root.directives.is_empty() {
        return None;
    }
    let [(argument, value)] = root.arguments.as_slice() else {
        return None;
    };
    let input_type = match argument.node.as_str() {
        "input" => "ProductInput",
        "product" => "ProductCreateInput",
        _ => return None,
    };
    let BaseType::Named(declared) = &variable.var_type.node.base else {
        return None;
    };
    match &value.node {
        Value::Variable(name) if *name == variable.name.node && declared.as_str() == input_type => {
        }
        _ => return None,
    }
    let mut payload = Vec::new();
    for (key, field) in plain_fields(&root.selection_set.node)? {
        let selected = match field.name.node.as_str() {
            "__typename" => PayloadField::Typename,
            "userErrors" => PayloadField::UserErrors,
            "product" => PayloadField::Product(
                plain_fields(&field.selection_set.node)?
                    .into_iter()
                    .map(|(key, field)| {
                        let answered = ProductField::named(&field.name.node)
                            .filter(|_| field.selection_set.node.items.is_empty())?;
                        Some((key, answered))
                    })
                    .collect::<Option<_>>()?,
            ),
            _ => return None,
        };
        payload.push((key, selected));
    }
    Some(DirectCreate::new(
        variable.name.node.to_string(),
        response_key(root),
        payload,
    ))
}

/// The single field of a selection set, if that is all it holds.
fn only_field(selection_set: &SelectionSet) -> Option<&Field> {
    match selection_set.items.as_slice() {
        [selection] => match &selection.node {
            Selection::Field(field) => Some(&field.node),
            _ => None,
        },
        _ => None,
    }
}

/// The fields of a selection set under their response keys, if all are fields without
/// arguments or directives and no key repeats.
fn plain_fields(selection_set: &SelectionSet) -> Option<Vec<(String, &Field)>> {
    let mut keys = HashSet::new();
    selection_set
        .items
        .iter()
        .map(|selection| {
            let Selection::Field(field) = &selection.node else {
                return None;
            };
            let field = &field.node;
            let key = response_key(field);
            let plain = field.arguments.is_empty() && field.directives.is_empty();
            (plain && keys.insert(key.clone())).then_some((key, field))
        })
        .collect()
}

fn response_key(field: &Field) -> String {
    field.alias.as_ref().unwrap_or(&field.name).node.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql_parser::types::DocumentOperations;

    fn planned(source: &str) -> Option<DirectCreate> {
        let document = async_graphql_parser::parse_query(source).unwrap();
        let operation = match &document.operations {
            DocumentOperations::Single(operation) => operation,
            DocumentOperations::Multiple(named) => named.values().next().unwrap(),
        };
        plan(&document, &operation.node)
    }

    #[test]
    fn the_usual_import_documents_are_answered_directly() {
        for source in [
            "mutation call($input: ProductInput!) { productCreate(input: $input) { product { id } userErrors { field message } } }",
            "mutation($p: ProductCreateInput!) { made: productCreate(product: $p) { __typename userErrors { message } product { key: id title handle tags status createdAt } } }",
        ] {
            assert!(planned(source).is_some(), "{source}");
        }
    }

    #[test]
    fn documents_with_anything_else_go_through_the_executor() {
        for source in [
            // another root field, or a second one
            "mutation($input: ProductInput!) { productUpdate(input: $input) { product { id } } }",
            // a field of the product that is not one of its row's attributes
            "mutation($input: ProductInput!) { productCreate(input: $input) { product { id variants(first: 1) { edges { node { id } } } } } }",
            "mutation($input: ProductInput!) { productCreate(input: $input) { product { seo { title } } } }",
            // the input built in the document, or spread over several variables
            "mutation($title: String!) { productCreate(input: {title: $title}) { product { id } } }",
            "mutation($input: ProductInput!, $x: String) { productCreate(input: $input) { product { id } } }",
            "mutation($input: ProductInput = {title: \"x\"}) { productCreate(input: $input) { product { id } } }",
            // fragments, directives, repeated keys
            "mutation($input: ProductInput!) { productCreate(input: $input) { ...P } } fragment P on ProductCreatePayload { product { id } }",
            "mutation($input: ProductInput!, ) { productCreate(input: $input) { product { id @skip(if: true) } } }",
            "mutation($input: ProductInput!) { productCreate(input: $input) { product { id } product { title } } }",
            // an argument of the wrong input type (the schema refuses it anyway)
            "mutation($input: ProductInput!) { productCreate(product: $input) { product { id } } }",
        ] {
            assert!(planned(source).is_none(), "{source}");
        }
    }
}
