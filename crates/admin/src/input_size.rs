//! The hosted API's limit on list inputs: no list an argument carries, at any depth of its
//! input objects, may hold more items than its limit (250, or more for the few lists
//! `stevedore_core::limits::list_limit` names). A request that sends one
//! is refused before anything runs (`MAX_INPUT_SIZE_EXCEEDED`), whether the list is written in
//! the document or sent in a variable; a bulk line that sends one gets the same answer.

use crate::types::{named, TypeIndex};
use async_graphql::Variables;
use async_graphql_parser::types::{BaseType, OperationDefinition, Selection, Type};
use async_graphql_value::ConstValue;
use serde_json::json;
use stevedore_core::limits::list_limit;

/// The refusal of the first list over the limit in the operation's root fields, if any: its
/// path is the root field, the argument and the input fields leading to the list (list items
/// add no step), and it points at the root field, as the hosted API's does.
pub fn check(
    operation: &OperationDefinition,
    variables: &Variables,
    types: &TypeIndex,
) -> Option<serde_json::Value> {
    let root = types.root(operation.ty);
    for selection in &operation.selection_set.node.items {
        let Selection::Field(field) = &selection.node else {
            continue;
        };
        let name = field.node.name.node.as_str();
        let Some(accepted) = types
            .arguments
            .get(root)
            .and_then(|fields| fields.get(name))
        else {
            continue;
        };
        for (argument, value) in &field.node.arguments {
            let Some(spec) = accepted
                .iter()
                .find(|spec| spec.name == argument.node.as_str())
            else {
                continue;
            };
            let Ok(value) = value
                .node
                .clone()
                .into_const_with(|variable| variables.get(&variable).cloned().ok_or(()))
            else {
                continue;
            };
            let mut path = vec![name.to_owned(), argument.node.to_string()];
            let limit = list_limit(name, argument.node.as_str());
            if let Some((size, limit)) = oversized(&value, &spec.ty, limit, types, &mut path) {
                return Some(json!({
                    "message": format!(
                        "The input array size of {size} is greater than the maximum allowed of {limit}."
                    ),
                    "locations": [{ "line": selection.pos.line, "column": selection.pos.column }],
                    "path": path,
                    "extensions": { "code": "MAX_INPUT_SIZE_EXCEEDED" },
                }));
            }
        }
    }
    None
}

/// The size of the first list in `value` (of type `ty`, a list in it allowed `limit` items) over
/// its limit, and that limit, with `path` left at it. Values nest at most `bounds::MAX_DEPTH`
/// levels by now, so the recursion is bounded.
fn oversized(
    value: &ConstValue,
    ty: &Type,
    limit: usize,
    types: &TypeIndex,
    path: &mut Vec<String>,
) -> Option<(usize, usize)> {
    match (value, &ty.base) {
        (ConstValue::List(items), BaseType::List(item_type)) => {
            if items.len() > limit {
                return Some((items.len(), limit));
            }
            items
                .iter()
                .find_map(|item| oversized(item, item_type, limit, types, path))
        }
        (ConstValue::Object(fields), BaseType::Named(_)) => {
            let declared = types.inputs.get(named(ty))?;
            for (name, value) in fields {
                let Some(field) = declared.iter().find(|field| field.name == name.as_str()) else {
                    continue;
                };
                path.push(name.to_string());
                let limit = list_limit(named(ty), name.as_str());
                if let Some(found) = oversized(value, &field.ty, limit, types, path) {
                    return Some(found);
                }
                path.pop();
            }
            None
        }
        _ => None,
    }
}
