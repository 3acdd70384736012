//! Static refusals in the hosted API's words.
//!
//! The hosted API validates with graphql-ruby, and clients match on its messages, `path`s and
//! `extensions.code`s; async-graphql's validator words the same refusals differently. These
//! checks run first, over the parsed document, for the refusals clients meet most: a field or
//! an argument the schema does not have, a required argument left out, an enum literal outside
//! its enum, a declared variable never used, and (once the document is valid) an `ID`
//! variable that is not a global id. Anything else falls through to async-graphql's validator.

use crate::types::{named, TypeIndex};
use async_graphql::Variables;
use async_graphql_parser::types::{
    ExecutableDocument, OperationDefinition, OperationType, Selection, SelectionSet,
};
use async_graphql_parser::{Pos, Positioned};
use async_graphql_value::Value;
use serde_json::json;
use std::collections::HashSet;

/// The refusals of `operation`, empty when it may run.
pub fn check(
    document: &ExecutableDocument,
    operation: &Positioned<OperationDefinition>,
    operation_name: Option<&str>,
    variables: &Variables,
    types: &TypeIndex,
) -> Vec<serde_json::Value> {
    let kind = match operation.node.ty {
        OperationType::Query => "query",
        OperationType::Mutation => "mutation",
        OperationType::Subscription => "subscription",
    };
    let label = match operation_name {
        Some(name) => format!("{kind} {name}"),
        None => kind.to_owned(),
    };
    let root = types.root(operation.node.ty);
    let mut checker = Checker {
        document,
        types,
        errors: Vec::new(),
        used: HashSet::new(),
    };
    let mut path = vec![label.clone()];
    checker.selection_set(&operation.node.selection_set.node, root, &mut path, 0);
    for definition in &operation.node.variable_definitions {
        let name = definition.node.name.node.as_str();
        if !checker.used.contains(name) {
            checker.errors.push(json!({
                "message": format!(
                    "Variable ${name} is declared by {} but not used",
                    operation_name.map_or_else(|| format!("anonymous {kind}"), str::to_owned)
                ),
                "locations": [location(operation.pos)],
                "path": [label],
                "extensions": { "code": "variableNotUsed", "variableName": name },
            }));
        }
    }
    if !checker.errors.is_empty() {
        return checker.errors;
    }
    invalid_variables(operation, variables, types)
}

struct Checker<'a> {
    document: &'a ExecutableDocument,
    types: &'a TypeIndex,
    errors: Vec<serde_json::Value>,
    used: HashSet<String>,
}

impl Checker<'_> {
    fn selection_set(
        &mut self,
        set: &SelectionSet,
        parent: &str,
        path: &mut Vec<String>,
        depth: usize,
    ) {
        // Fragment cycles are refused before this runs; the cap is a second guard.
        if depth > 64 {
            return;
        }
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let directives = field.directives.iter().flat_map(|d| &d.node.arguments);
                    for (_, value) in field.arguments.iter().chain(directives) {
                        variables_in(&value.node, &mut self.used);
                    }
                    let name = field.name.node.as_str();
                    if name.starts_with("__") {
                        continue;
                    }
                    // Unions and unknown parents are left to the executor's validator.
                    let Some(fields) = self.types.outputs.get(parent) else {
                        continue;
                    };
                    let Some(ty) = fields.get(name) else {
                        self.errors.push(json!({
                            "message": format!("Field '{name}' doesn't exist on type '{parent}'"),
                            "locations": [location(item.pos)],
                            "path": extended(path, name),
                            "extensions": { "code": "undefinedField", "typeName": parent, "fieldName": name },
                        }));
                        continue;
                    };
                    self.arguments(field, item.pos, parent, name, path);
                    let key = field
                        .alias
                        .as_ref()
                        .map_or(name, |alias| alias.node.as_str());
                    path.push(key.to_owned());
                    self.selection_set(&field.selection_set.node, named(ty), path, depth + 1);
                    path.pop();
                }
                Selection::InlineFragment(fragment) => {
                    for directive in &fragment.node.directives {
                        for (_, value) in &directive.node.arguments {
                            variables_in(&value.node, &mut self.used);
                        }
                    }
                    let on = crate::types::fragment_type(&fragment.node, parent);
                    self.selection_set(&fragment.node.selection_set.node, on, path, depth + 1);
                }
                Selection::FragmentSpread(spread) => {
                    for directive in &spread.node.directives {
                        for (_, value) in &directive.node.arguments {
                            variables_in(&value.node, &mut self.used);
                        }
                    }
                    if let Some(fragment) =
                        self.document.fragments.get(&spread.node.fragment_name.node)
                    {
                        let on = fragment.node.type_condition.node.on.node.as_str();
                        self.selection_set(&fragment.node.selection_set.node, on, path, depth + 1);
                    }
                }
            }
        }
    }

    fn arguments(
        &mut self,
        field: &async_graphql_parser::types::Field,
        at: Pos,
        parent: &str,
        name: &str,
        path: &[String],
    ) {
        let accepted = self
            .types
            .arguments
            .get(parent)
            .and_then(|fields| fields.get(name))
            .map(Vec::as_slice)
            .unwrap_or_default();
        let field_path = extended(path, name);
        for (argument, value) in &field.arguments {
            let argument_name = argument.node.as_str();
            let Some(spec) = accepted.iter().find(|spec| spec.name == argument_name) else {
                self.errors.push(json!({
                    "message": format!("Field '{name}' doesn't accept argument '{argument_name}'"),
                    "locations": [location(argument.pos)],
                    "path": extended(&field_path, argument_name),
                    "extensions": {
                        "code": "argumentNotAccepted",
                        "name": name,
                        "typeName": "Field",
                        "argumentName": argument_name,
                    },
                }));
                continue;
            };
            let enum_type = named(&spec.ty);
            if let Some(values) = self.types.enums.get(enum_type) {
                let shown = match &value.node {
                    Value::Enum(literal) if !values.iter().any(|v| v == literal.as_str()) => {
                        Some(literal.to_string())
                    }
                    Value::String(text) => Some(format!("{text:?}")),
                    _ => None,
                };
                if let Some(shown) = shown {
                    self.errors.push(json!({
                        "message": format!(
                            "Argument '{argument_name}' on Field '{name}' has an invalid value ({shown}). Expected type '{}'.",
                            spec.ty
                        ),
                        "locations": [location(at)],
                        "path": extended(&field_path, argument_name),
                        "extensions": {
                            "code": "argumentLiteralsIncompatible",
                            "typeName": "Field",
                            "argumentName": argument_name,
                        },
                    }));
                }
            }
        }
        let missing: Vec<&str> = accepted
            .iter()
            .filter(|spec| !spec.ty.nullable && !spec.has_default)
            .filter(|spec| {
                !field
                    .arguments
                    .iter()
                    .any(|(given, _)| given.node == spec.name)
            })
            .map(|spec| spec.name.as_str())
            .collect();
        if !missing.is_empty() {
            let arguments = missing.join(", ");
            self.errors.push(json!({
                "message": format!("Field '{name}' is missing required arguments: {arguments}"),
                "locations": [location(at)],
                "path": field_path,
                "extensions": {
                    "code": "missingRequiredArguments",
                    "className": "Field",
                    "name": name,
                    "arguments": arguments,
                },
            }));
        }
    }
}

/// Variable values that do not fit their declared types (an `ID` that is not a global id
/// among them): graphql-ruby refuses them while coercing, before anything runs, with the words
/// bulk lines get and `extensions.code` INVALID_VARIABLE.
fn invalid_variables(
    operation: &Positioned<OperationDefinition>,
    variables: &Variables,
    types: &TypeIndex,
) -> Vec<serde_json::Value> {
    let values = match serde_json::to_value(variables) {
        Ok(serde_json::Value::Object(values)) => values,
        _ => serde_json::Map::new(),
    };
    let specs = crate::document::variable_specs(&operation.node);
    let mut errors = crate::variables::check(&specs, &values, types);
    for error in &mut errors {
        if let Some(extensions) = error["extensions"].as_object_mut() {
            let mut coded = serde_json::Map::new();
            coded.insert("code".to_owned(), json!("INVALID_VARIABLE"));
            coded.append(extensions);
            *extensions = coded;
        }
    }
    errors
}

fn variables_in(value: &Value, used: &mut HashSet<String>) {
    match value {
        Value::Variable(name) => {
            used.insert(name.to_string());
        }
        Value::List(items) => items.iter().for_each(|item| variables_in(item, used)),
        Value::Object(fields) => fields.values().for_each(|item| variables_in(item, used)),
        _ => {}
    }
}

fn extended(path: &[String], last: &str) -> Vec<String> {
    let mut path = path.to_vec();
    path.push(last.to_owned());
    path
}

fn location(pos: Pos) -> serde_json::Value {
    json!({ "line": pos.line, "column": pos.column })
}
