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
                    let returns = named(ty);
                    if field.selection_set.node.items.is_empty()
                        && self.types.outputs.contains_key(returns)
                    {
                        self.errors.push(json!({
                            "message": format!(
                                "Field must have selections (field '{name}' returns {returns} but has no selections. Did you mean '{name} {{ ... }}'?)"
                            ),
                            "locations": [location(item.pos)],
                            "path": extended(path, name),
                            "extensions": {
                                "code": "selectionMismatch",
                                "nodeName": format!("field '{name}'"),
                                "typeName": returns,
                            },
                        }));
                        continue;
                    }
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
            let argument_path = extended(&field_path, argument_name);
            let owner = Owner::Field(name);
            if let Some(problem) =
                literal_problem(&value.node, &spec.ty, owner, argument_name, self.types)
            {
                self.errors
                    .push(problem.to_error(at, value.pos, argument_path));
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

/// Where graphql-ruby says a literal argument belongs: a field's argument, or an input
/// object's field (which it also calls an argument).
#[derive(Debug, Clone, Copy)]
enum Owner<'a> {
    Field(&'a str),
    InputObject(&'a str),
}

/// A literal written in the document that does not fit its type, as graphql-ruby reports it.
#[derive(Debug)]
enum LiteralProblem<'a> {
    /// `Argument 'x' on Field 'f' has an invalid value (…). Expected type 'T'.`
    Incompatible {
        owner: Owner<'a>,
        argument: String,
        shown: String,
        expected: String,
        /// Input fields (and list positions) from the argument down to the owner's.
        inner_path: Vec<serde_json::Value>,
    },
    /// `Argument 'x' on InputObject 'T' is required. Expected type X!`
    MissingRequired {
        input_object: &'a str,
        argument: String,
        expected: String,
        inner_path: Vec<serde_json::Value>,
    },
    /// `InputObject 'T' doesn't accept argument 'x'`
    NotAccepted {
        input_object: &'a str,
        argument: String,
        inner_path: Vec<serde_json::Value>,
    },
    /// A scalar literal its type's coercion refuses (an `ID` that is not a global id), in the
    /// coercion's own words: `Invalid global id '…'`.
    Coercion {
        message: String,
        /// The input fields from the argument down; list positions are not part of it.
        inner_path: Vec<serde_json::Value>,
    },
}

impl LiteralProblem<'_> {
    /// Whether the value checked does not fit as a whole (rather than something inside it).
    fn is_of_the_value_itself(&self) -> bool {
        matches!(self, LiteralProblem::Incompatible { inner_path, .. } if inner_path.is_empty())
    }

    /// The problem as seen from the object (or list) holding it under `key` (or at a position).
    fn under(mut self, key: serde_json::Value) -> Self {
        if let LiteralProblem::Coercion { .. } = self {
            if !key.is_string() {
                return self;
            }
        }
        let (LiteralProblem::Incompatible { inner_path, .. }
        | LiteralProblem::MissingRequired { inner_path, .. }
        | LiteralProblem::NotAccepted { inner_path, .. }
        | LiteralProblem::Coercion { inner_path, .. }) = &mut self;
        inner_path.insert(0, key);
        self
    }

    /// The refusal: a field's own argument points at the field, an input object's at the
    /// argument's value (where its object literal starts).
    fn to_error(
        &self,
        field_at: Pos,
        value_at: Pos,
        argument_path: Vec<String>,
    ) -> serde_json::Value {
        let with_inner = |inner: &[serde_json::Value]| {
            let mut path: Vec<serde_json::Value> =
                argument_path.iter().map(|step| json!(step)).collect();
            path.extend(inner.iter().cloned());
            path
        };
        match self {
            LiteralProblem::Incompatible {
                owner,
                argument,
                shown,
                expected,
                inner_path,
            } => {
                let (type_name, owner_name, at) = match owner {
                    Owner::Field(name) => ("Field", *name, field_at),
                    Owner::InputObject(name) => ("InputObject", *name, value_at),
                };
                json!({
                    "message": format!(
                        "Argument '{argument}' on {type_name} '{owner_name}' has an invalid value ({shown}). Expected type '{expected}'."
                    ),
                    "locations": [location(at)],
                    "path": with_inner(inner_path),
                    "extensions": {
                        "code": "argumentLiteralsIncompatible",
                        "typeName": type_name,
                        "argumentName": argument,
                    },
                })
            }
            LiteralProblem::MissingRequired {
                input_object,
                argument,
                expected,
                inner_path,
            } => json!({
                "message": format!(
                    "Argument '{argument}' on InputObject '{input_object}' is required. Expected type {expected}"
                ),
                "locations": [location(value_at)],
                "path": with_inner(inner_path),
                "extensions": {
                    "code": "missingRequiredInputObjectAttribute",
                    "argumentName": argument,
                    "argumentType": expected,
                    "inputObjectType": input_object,
                },
            }),
            // The captured refusals of `node(id:)`, `nodes(ids:)` and `customerMerge` point at the
            // field, whatever the value's place in a list.
            LiteralProblem::Coercion {
                message,
                inner_path,
            } => json!({
                "message": message,
                "locations": [location(field_at)],
                "path": with_inner(inner_path),
                "extensions": {
                    "code": "argumentLiteralsIncompatible",
                    "typeName": "CoercionError",
                },
            }),
            LiteralProblem::NotAccepted {
                input_object,
                argument,
                inner_path,
            } => json!({
                "message": format!("InputObject '{input_object}' doesn't accept argument '{argument}'"),
                "locations": [location(value_at)],
                "path": with_inner(inner_path),
                "extensions": {
                    "code": "argumentNotAccepted",
                    "name": input_object,
                    "typeName": "InputObject",
                    "argumentName": argument,
                },
            }),
        }
    }
}

/// The first way `value`, written for `argument` of `owner`, does not fit `ty`. Variables are
/// left to the variables' own check; values nest at most `bounds::MAX_DEPTH` levels here.
fn literal_problem<'a>(
    value: &Value,
    ty: &async_graphql_parser::types::Type,
    owner: Owner<'a>,
    argument: &str,
    types: &'a TypeIndex,
) -> Option<LiteralProblem<'a>> {
    use async_graphql_parser::types::BaseType;
    let incompatible = || LiteralProblem::Incompatible {
        owner,
        argument: argument.to_owned(),
        shown: value.to_string(),
        expected: ty.to_string(),
        inner_path: Vec::new(),
    };
    match (value, &ty.base) {
        (Value::Variable(_), _) => None,
        (Value::Null, _) => (!ty.nullable).then(incompatible),
        (Value::List(items), BaseType::List(item_type)) => {
            items.iter().enumerate().find_map(|(position, item)| {
                let problem = literal_problem(item, item_type, owner, argument, types)?;
                // An item that does not fit makes the whole argument's value invalid; a problem
                // inside an item is placed at the item.
                Some(match problem.is_of_the_value_itself() {
                    true => incompatible(),
                    false => problem.under(json!(position)),
                })
            })
        }
        // A single value where a list is expected stands for a list of one.
        (_, BaseType::List(item_type)) => literal_problem(value, item_type, owner, argument, types)
            .map(|problem| match problem.is_of_the_value_itself() {
                true => incompatible(),
                false => problem,
            }),
        (_, BaseType::Named(name)) => {
            let name = name.as_str();
            if let Some((input_object, fields)) = types.inputs.get_key_value(name) {
                let Value::Object(given) = value else {
                    return Some(incompatible());
                };
                let inside = Owner::InputObject(input_object.as_str());
                for (key, field_value) in given {
                    let Some(field) = fields.iter().find(|field| field.name == key.as_str()) else {
                        return Some(LiteralProblem::NotAccepted {
                            input_object: input_object.as_str(),
                            argument: key.to_string(),
                            inner_path: vec![json!(key.as_str())],
                        });
                    };
                    if let Some(problem) =
                        literal_problem(field_value, &field.ty, inside, key.as_str(), types)
                    {
                        // Paths run from the argument down: this object's field comes first.
                        return Some(problem.under(json!(key.as_str())));
                    }
                }
                let missing = fields.iter().find(|field| {
                    !field.ty.nullable
                        && !field.has_default
                        && !given.keys().any(|key| key.as_str() == field.name)
                })?;
                return Some(LiteralProblem::MissingRequired {
                    input_object: input_object.as_str(),
                    argument: missing.name.clone(),
                    expected: missing.ty.to_string(),
                    inner_path: vec![json!(missing.name)],
                });
            }
            if let Some(values) = types.enums.get(name) {
                let fits = matches!(value, Value::Enum(literal) if values.iter().any(|v| v == literal.as_str()));
                return (!fits).then(incompatible);
            }
            if let (Value::String(text), "ID") = (value, name) {
                if let Err(error) = stevedore_core::Gid::parse(text) {
                    return Some(LiteralProblem::Coercion {
                        message: error.to_string(),
                        inner_path: Vec::new(),
                    });
                }
            }
            let fits = match value.clone().into_const().map(serde_json::to_value) {
                // An enum literal is no scalar's value.
                _ if matches!(value, Value::Enum(_)) => false,
                Some(Ok(json)) => crate::variables::scalar_fits(name, &json),
                _ => true,
            };
            (!fits).then(incompatible)
        }
    }
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
