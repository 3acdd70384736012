//! What a metafield definition may be (the checks `metafieldDefinitionCreate` applies, with the
//! captured messages and codes), and what its validations demand of the values `metafieldsSet`
//! writes under it.

use rust_decimal::Decimal;
use std::str::FromStr;

/// The types a definition may have, in the order the hosted API lists them when refusing one.
pub(crate) const DEFINITION_TYPES: &[&str] = &[
    "antenna_gain",
    "area",
    "battery_charge_capacity",
    "battery_energy_capacity",
    "boolean",
    "capacitance",
    "color",
    "concentration",
    "data_storage_capacity",
    "data_transfer_rate",
    "date_time",
    "date",
    "dimension",
    "display_density",
    "distance",
    "duration",
    "electric_current",
    "electrical_resistance",
    "energy",
    "frequency",
    "id",
    "illuminance",
    "inductance",
    "json",
    "jurisdiction",
    "language",
    "link",
    "list.antenna_gain",
    "list.area",
    "list.battery_charge_capacity",
    "list.battery_energy_capacity",
    "list.capacitance",
    "list.color",
    "list.concentration",
    "list.data_storage_capacity",
    "list.data_transfer_rate",
    "list.date_time",
    "list.date",
    "list.dimension",
    "list.display_density",
    "list.distance",
    "list.duration",
    "list.electric_current",
    "list.electrical_resistance",
    "list.energy",
    "list.frequency",
    "list.illuminance",
    "list.inductance",
    "list.jurisdiction",
    "list.link",
    "list.luminous_flux",
    "list.mass_flow_rate",
    "list.number_decimal",
    "list.number_integer",
    "list.power",
    "list.pressure",
    "list.rating",
    "list.resolution",
    "list.rotational_speed",
    "list.single_line_text_field",
    "list.sound_level",
    "list.speed",
    "list.temperature",
    "list.thermal_power",
    "list.url",
    "list.voltage",
    "list.volume",
    "list.volumetric_flow_rate",
    "list.weight",
    "luminous_flux",
    "mass_flow_rate",
    "money",
    "multi_line_text_field",
    "number_decimal",
    "number_integer",
    "power",
    "pressure",
    "rating",
    "resolution",
    "rich_text_field",
    "rotational_speed",
    "single_line_text_field",
    "sound_level",
    "speed",
    "temperature",
    "thermal_power",
    "url",
    "voltage",
    "volume",
    "volumetric_flow_rate",
    "weight",
    "company_reference",
    "list.company_reference",
    "customer_reference",
    "list.customer_reference",
    "product_reference",
    "list.product_reference",
    "collection_reference",
    "list.collection_reference",
    "variant_reference",
    "list.variant_reference",
    "file_reference",
    "list.file_reference",
    "product_taxonomy_value_reference",
    "list.product_taxonomy_value_reference",
    "product_taxonomy_disclosure_reference",
    "metaobject_reference",
    "list.metaobject_reference",
    "mixed_reference",
    "list.mixed_reference",
    "disclosure_reference",
    "list.disclosure_reference",
    "page_reference",
    "list.page_reference",
    "article_reference",
    "list.article_reference",
    "order_reference",
    "list.order_reference",
];

/// A type's category, as `MetafieldDefinitionType.category` shows it.
pub(crate) fn category(type_name: &str) -> &'static str {
    let element = type_name.strip_prefix("list.").unwrap_or(type_name);
    match element {
        "single_line_text_field" | "multi_line_text_field" | "rich_text_field" => "TEXT",
        "number_integer" | "number_decimal" => "NUMBER",
        "rating" => "RATING",
        "date" | "date_time" => "DATE_TIME",
        "json" => "JSON",
        "id" => "ID",
        "boolean" => "TRUE_FALSE",
        "color" => "COLOR",
        "url" | "link" => "URL",
        "money" => "MONEY",
        element if element.ends_with("_reference") => "REFERENCE",
        _ => "MEASUREMENT",
    }
}

/// Validations as a definition row stores them (JSON).
pub(crate) fn stored(validations: &[Validation]) -> String {
    serde_json::to_string(validations).unwrap_or_else(|_| "[]".into())
}

/// A validation option as given: `{name, value}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Validation {
    pub(crate) name: String,
    pub(crate) value: String,
}

/// A refusal of a definition input: where under `definition`, what, and its code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DefinitionProblem {
    /// The field under `definition` (None: the definition itself).
    pub(crate) field: Option<&'static str>,
    pub(crate) message: String,
    pub(crate) code: &'static str,
}

fn problem(
    field: Option<&'static str>,
    message: impl Into<String>,
    code: &'static str,
) -> DefinitionProblem {
    DefinitionProblem {
        field,
        message: message.into(),
        code,
    }
}

/// The validation options a type takes.
fn options_of(type_name: &str) -> &'static [&'static str] {
    if let Some(element) = type_name.strip_prefix("list.") {
        return match element {
            "single_line_text_field" => &["list.min", "list.max", "min", "max", "regex", "choices"],
            "number_integer" | "number_decimal" | "date" | "date_time" => {
                &["list.min", "list.max", "min", "max"]
            }
            "metaobject_reference" => &["list.min", "list.max", "metaobject_definition_id"],
            "rating" => &["list.min", "list.max", "scale_min", "scale_max"],
            _ => &["list.min", "list.max"],
        };
    }
    match type_name {
        "single_line_text_field" => &["min", "max", "regex", "choices"],
        "multi_line_text_field" => &["min", "max", "regex"],
        "number_integer" | "date" | "date_time" => &["min", "max"],
        "number_decimal" => &["min", "max", "max_precision"],
        "rating" => &["scale_min", "scale_max"],
        "url" => &["allowed_domains"],
        "metaobject_reference" => &["metaobject_definition_id"],
        "mixed_reference" => &["metaobject_definition_ids"],
        "file_reference" => &["file_type_options"],
        "dimension" | "weight" | "volume" => &["min", "max"],
        _ => &[],
    }
}

/// Whether a key or namespace uses only the characters the hosted API allows.
fn plain(text: &str) -> bool {
    text.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// What is wrong with a definition's namespace, key, name, type and validations, in the order
/// the hosted API reports them.
pub(crate) fn definition_problems(
    namespace: &str,
    key: &str,
    name: &str,
    type_name: &str,
    validations: &[Validation],
) -> Vec<DefinitionProblem> {
    let mut problems = Vec::new();
    let namespace_length = namespace.chars().count();
    if namespace_length < 3 {
        problems.push(problem(
            Some("namespace"),
            "Namespace is too short (minimum is 3 characters)",
            "TOO_SHORT",
        ));
    } else if namespace_length > 255 {
        problems.push(problem(
            Some("namespace"),
            "Namespace is too long (maximum is 255 characters)",
            "TOO_LONG",
        ));
    } else if !plain(namespace) {
        problems.push(problem(
            Some("namespace"),
            "Namespace contains one or more invalid characters.",
            "INVALID_CHARACTER",
        ));
    }
    let key_length = key.chars().count();
    if key_length < 2 {
        problems.push(problem(
            Some("key"),
            "Key is too short (minimum is 2 characters)",
            "TOO_SHORT",
        ));
    } else if key_length > 64 {
        problems.push(problem(
            Some("key"),
            "Key is too long (maximum is 64 characters)",
            "TOO_LONG",
        ));
    } else if !plain(key) {
        problems.push(problem(
            Some("key"),
            "Key contains one or more invalid characters.",
            "INVALID_CHARACTER",
        ));
    }
    problems.extend(name_problem(name));
    if !DEFINITION_TYPES.contains(&type_name) {
        problems.push(problem(
            Some("type"),
            format!(
                "Type name {type_name} is not a valid type. Valid types are: {}.",
                DEFINITION_TYPES.join(", ")
            ),
            "INCLUSION",
        ));
        return problems;
    }
    problems.extend(validation_problems(type_name, validations));
    problems
}

/// The longest name and description a definition may have.
const MAX_TEXT: usize = 255;

/// What is wrong with a definition's name.
pub(crate) fn name_problem(name: &str) -> Option<DefinitionProblem> {
    if name.trim().is_empty() {
        Some(problem(Some("name"), "Name can't be blank", "BLANK"))
    } else if name.chars().count() > MAX_TEXT {
        Some(problem(
            Some("name"),
            format!("Name is too long (maximum is {MAX_TEXT} characters)"),
            "TOO_LONG",
        ))
    } else {
        None
    }
}

/// What is wrong with a definition's description.
pub(crate) fn description_problem(description: &str) -> Option<DefinitionProblem> {
    (description.chars().count() > MAX_TEXT).then(|| {
        problem(
            Some("description"),
            format!("Description is too long (maximum is {MAX_TEXT} characters)"),
            "TOO_LONG",
        )
    })
}

pub(crate) fn validation_problems(
    type_name: &str,
    validations: &[Validation],
) -> Vec<DefinitionProblem> {
    let invalid = |message: String| problem(Some("validations"), message, "INVALID_OPTION");
    let supported = options_of(type_name);
    let mut problems = Vec::new();
    for (index, validation) in validations.iter().enumerate() {
        if validations[..index]
            .iter()
            .any(|earlier| earlier.name == validation.name)
        {
            return vec![problem(
                Some("validations"),
                "Validations cannot contain duplicate \"name\" options.",
                "DUPLICATE_OPTION",
            )];
        }
        let name = validation.name.as_str();
        if !supported.contains(&name) {
            problems.push(invalid(format!(
                "Validations value for option {name} contains an invalid value: '{name}' isn't supported for {type_name}."
            )));
            continue;
        }
        let element = type_name.strip_prefix("list.").unwrap_or(type_name);
        if matches!(name, "min" | "max") {
            if element == "number_integer" && validation.value.trim().parse::<i64>().is_err() {
                problems.push(invalid(format!(
                    "Validations value for option {name} must be an integer."
                )));
            } else if element == "number_decimal"
                && Decimal::from_str(validation.value.trim()).is_err()
            {
                problems.push(invalid(format!(
                    "Validations value for option {name} must be a decimal."
                )));
            }
        }
    }
    if !problems.is_empty() {
        return problems;
    }
    let value = |name: &str| {
        validations
            .iter()
            .find(|validation| validation.name == name)
            .map(|validation| validation.value.as_str())
    };
    if let (Some(min), Some(max)) = (value("min"), value("max")) {
        let ordered = match (Decimal::from_str(min.trim()), Decimal::from_str(max.trim())) {
            (Ok(min), Ok(max)) => min <= max,
            _ => min <= max,
        };
        if !ordered {
            problems.push(invalid(
                "Validations contains an invalid value: 'min' must be less than 'max'.".into(),
            ));
        }
    }
    let element = type_name.strip_prefix("list.").unwrap_or(type_name);
    if element == "rating" {
        for bound in ["scale_max", "scale_min"] {
            if value(bound).is_none() {
                problems.push(invalid(format!(
                    "Validations requires '{bound}' to be provided."
                )));
            }
        }
    }
    if element == "metaobject_reference" && value("metaobject_definition_id").is_none() {
        problems.push(invalid(
            "Validations require that you select a metaobject.".into(),
        ));
    }
    problems
}

/// Why `value` (already normalized for `type_name`) breaks the definition's `validations`, if
/// it does: the message `metafieldsSet` answers with `INVALID_VALUE`.
pub(crate) fn violation(
    type_name: &str,
    validations: &[Validation],
    value: &str,
) -> Option<String> {
    let bound = |name: &str| {
        validations
            .iter()
            .find(|validation| validation.name == name)
            .map(|validation| validation.value.trim())
    };
    match type_name {
        "number_integer" | "number_decimal" => {
            let number = Decimal::from_str(value.trim()).ok()?;
            if let Some(min) =
                bound("min").filter(|min| Decimal::from_str(min).is_ok_and(|min| number < min))
            {
                return Some(format!("Value has a minimum of {min}."));
            }
            if let Some(max) =
                bound("max").filter(|max| Decimal::from_str(max).is_ok_and(|max| number > max))
            {
                return Some(format!("Value has a maximum of {max}."));
            }
            None
        }
        "single_line_text_field" | "multi_line_text_field" => {
            let length = value.chars().count();
            if let Some(min) = bound("min").and_then(|min| min.parse::<usize>().ok()) {
                if length < min {
                    return Some(format!("Value has a minimum length of {min}."));
                }
            }
            if let Some(max) = bound("max").and_then(|max| max.parse::<usize>().ok()) {
                if length > max {
                    return Some(format!("Value has a maximum length of {max}."));
                }
            }
            if let Some(pattern) = bound("regex") {
                // The hosted API's patterns are RE2; the regex crate takes the same syntax.
                if regex::Regex::new(pattern).is_ok_and(|pattern| !pattern.is_match(value)) {
                    return Some("Value is not the correct format.".into());
                }
            }
            if let Some(choices) = bound("choices") {
                let choices: Vec<String> = serde_json::from_str(choices).unwrap_or_default();
                if !choices.iter().any(|choice| choice == value) {
                    let listed: Vec<String> =
                        choices.iter().map(|choice| format!("{choice:?}")).collect();
                    return Some(format!(
                        "Value does not exist in provided choices: [{}].",
                        listed.join(", ")
                    ));
                }
            }
            None
        }
        "date" => {
            if let Some(min) = bound("min").filter(|min| value < *min) {
                return Some(format!("Value has a minimum of {min}."));
            }
            if let Some(max) = bound("max").filter(|max| value > *max) {
                return Some(format!("Value has a maximum of {max}."));
            }
            None
        }
        "date_time" => {
            let at = chrono::DateTime::parse_from_rfc3339(value).ok()?;
            let shown = |bound: &str| {
                chrono::DateTime::parse_from_rfc3339(bound)
                    .map(|bound| bound.format("%Y-%m-%d %H:%M:%S %z").to_string())
                    .unwrap_or_else(|_| bound.to_owned())
            };
            let parse = |bound: &str| chrono::DateTime::parse_from_rfc3339(bound).ok();
            if let Some(min) = bound("min").filter(|min| parse(min).is_some_and(|min| at < min)) {
                return Some(format!("Value has a minimum of {}.", shown(min)));
            }
            if let Some(max) = bound("max").filter(|max| parse(max).is_some_and(|max| at > max)) {
                return Some(format!("Value has a maximum of {}.", shown(max)));
            }
            None
        }
        "rating" => {
            let rating: serde_json::Value = serde_json::from_str(value).ok()?;
            let same = |field: &str, bound: Option<&str>| {
                let given = rating[field]
                    .as_str()
                    .and_then(|text| Decimal::from_str(text).ok());
                let wanted = bound.and_then(|text| Decimal::from_str(text).ok());
                given == wanted
            };
            (!same("scale_min", bound("scale_min")) || !same("scale_max", bound("scale_max"))).then(|| {
                "Value min and max on the rating value must be the same as the min and max on the definition.".to_owned()
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(pairs: &[(&str, &str)]) -> Vec<Validation> {
        pairs
            .iter()
            .map(|(name, value)| Validation {
                name: (*name).into(),
                value: (*value).into(),
            })
            .collect()
    }

    #[test]
    fn a_definitions_names_and_type_are_checked_in_the_hosted_apis_order() {
        let problems = definition_problems("ab", "x", "Size", "single_line_text_field", &[]);
        let codes: Vec<_> = problems.iter().map(|p| (p.field, p.code)).collect();
        assert_eq!(
            codes,
            [(Some("namespace"), "TOO_SHORT"), (Some("key"), "TOO_SHORT")]
        );
        let problems = definition_problems("custom", "size", "Size", "totally_made_up_type", &[]);
        assert!(problems[0]
            .message
            .starts_with("Type name totally_made_up_type is not a valid type. Valid types are: antenna_gain, area,"));
    }

    #[test]
    fn validation_options_must_suit_the_type() {
        let problems =
            definition_problems("custom", "flag", "Flag", "boolean", &rules(&[("max", "5")]));
        assert_eq!(
            problems[0].message,
            "Validations value for option max contains an invalid value: 'max' isn't supported for boolean."
        );
        let problems = definition_problems("custom", "stars", "Stars", "rating", &[]);
        let messages: Vec<_> = problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "Validations requires 'scale_max' to be provided.",
                "Validations requires 'scale_min' to be provided."
            ]
        );
    }

    #[test]
    fn values_are_held_to_the_definitions_validations() {
        let bounds = rules(&[("min", "2"), ("max", "5")]);
        assert_eq!(
            violation("number_integer", &bounds, "1").unwrap(),
            "Value has a minimum of 2."
        );
        assert_eq!(
            violation("number_integer", &bounds, "6").unwrap(),
            "Value has a maximum of 5."
        );
        assert_eq!(violation("number_integer", &bounds, "5"), None);
        let text = rules(&[("max", "5")]);
        assert_eq!(
            violation("single_line_text_field", &text, "too long").unwrap(),
            "Value has a maximum length of 5."
        );
        let choices = rules(&[("choices", "[\"red\",\"blue\"]")]);
        assert_eq!(
            violation("single_line_text_field", &choices, "green").unwrap(),
            "Value does not exist in provided choices: [\"red\", \"blue\"]."
        );
        let format = rules(&[("regex", "^[A-Z]{3}$")]);
        assert_eq!(
            violation("single_line_text_field", &format, "abc").unwrap(),
            "Value is not the correct format."
        );
        let window = rules(&[
            ("min", "2026-01-01T00:00:00+00:00"),
            ("max", "2026-12-31T23:59:59+00:00"),
        ]);
        assert_eq!(
            violation("date_time", &window, "2027-01-01T00:00:00+00:00").unwrap(),
            "Value has a maximum of 2026-12-31 23:59:59 +0000."
        );
    }
}
