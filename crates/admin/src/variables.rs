//! Checks one line's variables against the mutation's declared variables before it runs, and
//! words every problem as the hosted API (graphql-ruby) does:
//! `Variable $input of type ProductInput! was provided invalid value for x (Field is not defined on ProductInput)`
//! with `extensions { value, problems: [{path, explanation}] }`.
//!
//! Written by hand because the GraphQL executor's own coercion errors are worded differently and
//! carry no `problems`; clients match on these.

use crate::document::VariableSpec;
use crate::types::TypeIndex;
use async_graphql_parser::types::{BaseType, Type};
use serde_json::{json, Map, Value};

/// The `errors` entries for every declared variable whose value does not fit; empty if all fit.
pub fn check(specs: &[VariableSpec], values: &Map<String, Value>, types: &TypeIndex) -> Vec<Value> {
    let mut errors = Vec::new();
    for spec in specs {
        let value = values.get(&spec.name);
        let mut problems = Vec::new();
        match value {
            None if spec.default.is_some() || spec.ty.nullable => continue,
            None => problems.push(problem(&[], "Expected value to not be null".to_owned())),
            Some(value) => check_value(value, &spec.ty, types, &mut Vec::new(), &mut problems),
        }
        if problems.is_empty() {
            continue;
        }
        let mut message = format!(
            "Variable ${} of type {} was provided invalid value",
            spec.name, spec.ty
        );
        let located: Vec<String> = problems
            .iter()
            .filter(|problem| {
                problem["path"]
                    .as_array()
                    .is_some_and(|path| !path.is_empty())
            })
            .map(|problem| {
                let path: Vec<String> = problem["path"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|part| {
                        part.as_str()
                            .map_or_else(|| part.to_string(), str::to_owned)
                    })
                    .collect();
                format!(
                    "{} ({})",
                    path.join("."),
                    problem["explanation"].as_str().unwrap_or_default()
                )
            })
            .collect();
        if !located.is_empty() {
            message.push_str(" for ");
            message.push_str(&located.join(", "));
        }
        errors.push(json!({
            "message": message,
            "locations": [{"line": spec.pos.line, "column": spec.pos.column}],
            "extensions": {"value": value.cloned().unwrap_or(Value::Null), "problems": problems},
        }));
    }
    errors
}

fn problem(path: &[Value], explanation: String) -> Value {
    json!({"path": path, "explanation": explanation})
}

/// Problems reported per variable at most: a line of millions of wrong list items must not turn
/// into millions of problem objects. (graphql-ruby reports all; nobody reads past the first few.)
const MAX_PROBLEMS: usize = 50;

fn check_value(
    value: &Value,
    ty: &Type,
    types: &TypeIndex,
    path: &mut Vec<Value>,
    problems: &mut Vec<Value>,
) {
    if problems.len() >= MAX_PROBLEMS {
        return;
    }
    if value.is_null() {
        if !ty.nullable {
            problems.push(problem(path, "Expected value to not be null".to_owned()));
        }
        return;
    }
    match &ty.base {
        BaseType::List(item_type) => match value {
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    path.push(json!(index));
                    check_value(item, item_type, types, path, problems);
                    path.pop();
                }
            }
            // A single value where a list is expected is a list of one.
            single => check_value(single, item_type, types, path, problems),
        },
        BaseType::Named(name) => check_named(value, name.as_str(), types, path, problems),
    }
}

fn check_named(
    value: &Value,
    name: &str,
    types: &TypeIndex,
    path: &mut Vec<Value>,
    problems: &mut Vec<Value>,
) {
    if let Some(fields) = types.inputs.get(name) {
        let Value::Object(object) = value else {
            problems.push(problem(
                path,
                format!("Expected {value} to be a key-value object."),
            ));
            return;
        };
        for key in object.keys() {
            if problems.len() >= MAX_PROBLEMS {
                return;
            }
            if !fields.iter().any(|field| &field.name == key) {
                path.push(json!(key));
                problems.push(problem(path, format!("Field is not defined on {name}")));
                path.pop();
            }
        }
        for field in fields {
            path.push(json!(field.name));
            match object.get(&field.name) {
                Some(field_value) => check_value(field_value, &field.ty, types, path, problems),
                None if !field.ty.nullable && !field.has_default => {
                    problems.push(problem(path, "Expected value to not be null".to_owned()));
                }
                None => {}
            }
            path.pop();
        }
        return;
    }
    if let Some(values) = types.enums.get(name) {
        if !value
            .as_str()
            .is_some_and(|text| values.iter().any(|allowed| allowed == text))
        {
            problems.push(problem(
                path,
                format!("Expected {value} to be one of: {}", values.join(", ")),
            ));
        }
        return;
    }
    if name == "ID" {
        // Ids are global ids; the hosted API refuses anything else while coercing.
        if let Some(Err(error)) = value.as_str().map(stevedore_core::Gid::parse) {
            let message = error.to_string();
            problems.push(json!({"path": path, "explanation": message, "message": message}));
            return;
        }
    }
    if !scalar_fits(name, value) {
        problems.push(problem(
            path,
            format!("Could not coerce value {value} to {name}"),
        ));
    }
}

/// Whether `value` is a value of the scalar `name` as the hosted API coerces one: an `ID` is a
/// global id (or a number), an `Int` fits in 32 bits, and scalars this index does not know
/// (`JSON`) take anything.
pub(crate) fn scalar_fits(name: &str, value: &Value) -> bool {
    match name {
        "String" | "HTML" | "URL" | "DateTime" | "Date" | "Decimal" | "Money"
        | "FormattedString" => value.is_string(),
        "Int" => value
            .as_i64()
            .is_some_and(|number| i32::try_from(number).is_ok()),
        "Float" => value.is_number(),
        "Boolean" => value.is_boolean(),
        "ID" => match value.as_str() {
            Some(text) => stevedore_core::Gid::parse(text).is_ok(),
            None => value.is_i64() || value.is_u64(),
        },
        "UnsignedInt64" => {
            value.is_u64()
                || value
                    .as_str()
                    .is_some_and(|text| text.parse::<u64>().is_ok())
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::prepare;

    fn errors_for(line: Value) -> Vec<Value> {
        let types = TypeIndex::from_sdl(
            "type Mutation { productCreate(input: ProductInput): Boolean }
             input ProductInput { title: String tags: [String!] status: ProductStatus seo: SEOInput }
             input SEOInput { title: String! }
             enum ProductStatus { ACTIVE ARCHIVED DRAFT }
             type QueryRoot { a: Int }
             schema { query: QueryRoot mutation: Mutation }",
        );
        let prepared = prepare(
            "mutation call($input: ProductInput!) { productCreate(input: $input) }",
            &types,
            "Mutation",
        )
        .unwrap();
        check(&prepared.variables, line.as_object().unwrap(), &types)
    }

    #[test]
    fn an_unknown_input_field_is_worded_as_shopify_does() {
        let errors = errors_for(json!({"input": {"title": "Board", "myfavoriteaddress": "here"}}));
        assert_eq!(
            errors[0]["message"],
            "Variable $input of type ProductInput! was provided invalid value for myfavoriteaddress (Field is not defined on ProductInput)"
        );
        assert_eq!(
            errors[0]["extensions"]["problems"],
            json!([{"path": ["myfavoriteaddress"], "explanation": "Field is not defined on ProductInput"}])
        );
        assert_eq!(errors[0]["extensions"]["value"]["title"], "Board");
        assert_eq!(errors[0]["locations"], json!([{"line": 1, "column": 15}]));
        // GraphQL's error shape, in its usual order: message, locations, extensions.
        let serialized = serde_json::to_string(&errors[0]).unwrap();
        assert!(
            serialized.starts_with(r#"{"message":"Variable $input"#),
            "{serialized}"
        );
        assert!(
            serialized.find("\"locations\"") < serialized.find("\"extensions\""),
            "{serialized}"
        );
    }

    #[test]
    fn reports_every_problem_with_its_path() {
        let errors = errors_for(
            json!({"input": {"title": 5, "tags": ["a", 1], "status": "LIVE", "seo": {}}}),
        );
        let problems = errors[0]["extensions"]["problems"].as_array().unwrap();
        let explanations: Vec<(String, &str)> = problems
            .iter()
            .map(|p| (p["path"].to_string(), p["explanation"].as_str().unwrap()))
            .collect();
        assert_eq!(
            explanations,
            [
                (
                    "[\"title\"]".to_owned(),
                    "Could not coerce value 5 to String"
                ),
                (
                    "[\"tags\",1]".to_owned(),
                    "Could not coerce value 1 to String"
                ),
                (
                    "[\"status\"]".to_owned(),
                    "Expected \"LIVE\" to be one of: ACTIVE, ARCHIVED, DRAFT"
                ),
                (
                    "[\"seo\",\"title\"]".to_owned(),
                    "Expected value to not be null"
                ),
            ]
        );
    }

    #[test]
    fn problems_are_bounded_however_many_items_are_wrong() {
        let tags: Vec<Value> = (0..100_000).map(|i| json!(i)).collect();
        let errors = errors_for(json!({"input": {"title": "ok", "tags": tags}}));
        assert_eq!(
            errors[0]["extensions"]["problems"]
                .as_array()
                .unwrap()
                .len(),
            MAX_PROBLEMS
        );
    }

    #[test]
    fn a_missing_required_variable_has_no_path() {
        let errors = errors_for(json!({}));
        assert_eq!(
            errors[0]["message"],
            "Variable $input of type ProductInput! was provided invalid value"
        );
        assert!(errors_for(json!({"input": {"title": "ok", "tags": "a, b"}})).is_empty());
    }
}
