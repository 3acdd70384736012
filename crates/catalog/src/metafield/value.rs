//! Metafield values checked and normalized as the hosted API checks them, type by type, with its
//! messages (the captures in `fixtures/catalog-captures/*/metafields` are the reference).

use rust_decimal::Decimal;
use serde_json::Value;
use std::str::FromStr;

/// The most elements a list value holds.
const MAX_LIST_ELEMENTS: usize = 128;

/// Why a value does not fit its type: the message, and for a list the element's index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Misfit {
    pub(crate) message: String,
    pub(crate) element: Option<usize>,
}

fn misfit(message: impl Into<String>) -> Misfit {
    Misfit {
        message: message.into(),
        element: None,
    }
}

/// The types a metafield may have.
pub(crate) const TYPES: &[&str] = &[
    "single_line_text_field",
    "multi_line_text_field",
    "number_integer",
    "number_decimal",
    "boolean",
    "json",
    "date",
    "date_time",
    "url",
    "color",
    "weight",
    "dimension",
    "volume",
    "money",
    "rating",
    "link",
    "product_reference",
    "variant_reference",
    "collection_reference",
];

/// Whether `kind` is a type this catalog keeps (`list.` of any but `json`, `money`, `boolean`
/// included).
pub(crate) fn known_type(kind: &str) -> bool {
    match kind.strip_prefix("list.") {
        Some(element) => {
            TYPES.contains(&element) && !matches!(element, "json" | "money" | "boolean")
        }
        None => TYPES.contains(&kind) || kind == "string",
    }
}

/// A reference a value makes to another object, to be checked for existence.
pub(crate) type Reference = String;

/// The value as stored, and the references it makes; or why it does not fit.
pub(crate) fn normalize(kind: &str, value: &str) -> Result<(String, Vec<Reference>), Misfit> {
    if let Some(element) = kind.strip_prefix("list.") {
        return normalize_list(element, value);
    }
    let mut references = Vec::new();
    let stored = normalize_one(kind, value, &mut references)?;
    Ok((stored, references))
}

fn normalize_list(element: &str, value: &str) -> Result<(String, Vec<Reference>), Misfit> {
    let Ok(Value::Array(items)) = serde_json::from_str::<Value>(value) else {
        return Err(misfit("Value must be an array."));
    };
    if items.len() > MAX_LIST_ELEMENTS {
        return Err(misfit(format!(
            "Value has more than {MAX_LIST_ELEMENTS} elements."
        )));
    }
    let mut references = Vec::new();
    let mut stored = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let text = match item {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        let one = normalize_one(element, &text, &mut references).map_err(|mut misfit| {
            misfit.element = Some(index);
            misfit
        })?;
        stored.push(json_of(element, &one));
    }
    Ok((Value::Array(stored).to_string(), references))
}

fn measurement(value: &str, units: &[&str]) -> Result<String, Misfit> {
    let parsed: Value = serde_json::from_str(value).map_err(|_| {
        misfit("Value must be a stringified JSON object with value and unit fields.")
    })?;
    let number = match &parsed["value"] {
        Value::Number(number) => number.as_f64(),
        Value::String(text) => text.parse::<f64>().ok(),
        _ => None,
    };
    if !number.is_some_and(|number| number >= 0.0) {
        return Err(misfit("Value must be a non-negative number."));
    }
    let unit = parsed["unit"].as_str().unwrap_or_default();
    if !units.contains(&unit) {
        return Err(misfit("Value must be a supported unit."));
    }
    Ok(value.to_owned())
}

fn normalize_one(
    kind: &str,
    value: &str,
    references: &mut Vec<Reference>,
) -> Result<String, Misfit> {
    let blank = || misfit("Value can't be blank.");
    match kind {
        "single_line_text_field" | "string" => {
            if value.trim().is_empty() {
                return Err(blank());
            }
            if kind == "single_line_text_field" && value.contains(['\n', '\r']) {
                return Err(misfit("Value must be a single line text string."));
            }
            Ok(value.to_owned())
        }
        "multi_line_text_field" => {
            if value.trim().is_empty() {
                return Err(blank());
            }
            Ok(value.to_owned())
        }
        "number_integer" => {
            let integer = Decimal::from_str(value.trim())
                .ok()
                .filter(|number| !value.trim().starts_with('+') && number.fract().is_zero())
                .and_then(|number| i64::try_from(number.trunc()).ok());
            integer
                .map(|number| number.to_string())
                .ok_or_else(|| misfit("Value must be an integer."))
        }
        "number_decimal" => {
            let number =
                Decimal::from_str(value.trim()).map_err(|_| misfit("Value must be a decimal."))?;
            let limit = Decimal::from(9_999_999_999_999_i64);
            if number.abs() > limit {
                return Err(misfit("Value can't exceed 9999999999999."));
            }
            Ok(number
                .round_dp_with_strategy(9, rust_decimal::RoundingStrategy::ToZero)
                .normalize()
                .to_string())
        }
        "boolean" => match value.trim().to_lowercase().as_str() {
            "t" | "true" | "1" => Ok("true".to_owned()),
            "f" | "false" | "0" => Ok("false".to_owned()),
            _ => Err(misfit("Value must be true or false.")),
        },
        "json" => {
            if value.trim().is_empty() {
                return Err(blank());
            }
            serde_json::from_str::<Value>(value)
                .map(|_| value.to_owned())
                .map_err(|error| misfit(format!("Value is invalid JSON: {error}.")))
        }
        "date" => chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d")
            .map(|date| date.format("%Y-%m-%d").to_string())
            .map_err(|_| misfit("Value must be in YYYY-MM-DD format.")),
        "date_time" => {
            let with_zone = chrono::DateTime::parse_from_rfc3339(value)
                .map(|at| at.format("%Y-%m-%dT%H:%M:%S%:z").to_string());
            let without = || {
                chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S")
                    .map(|at| at.format("%Y-%m-%dT%H:%M:%S").to_string())
            };
            with_zone.or_else(|_| without()).map_err(|_| {
                misfit("Value must be in \u{201c}YYYY-MM-DDTHH:MM:SS\u{201d} format. For example: 2022-06-01T15:30:00")
            })
        }
        "url" => {
            const SCHEMES: [&str; 5] = ["http", "https", "mailto", "sms", "tel"];
            match value.split_once(':') {
                Some((scheme, _)) if !scheme.is_empty() && !scheme.contains(['/', '.']) => {
                    if SCHEMES.contains(&scheme.to_lowercase().as_str()) {
                        Ok(value.to_owned())
                    } else {
                        Err(misfit("Value must be one of the following URL schemes: http, https, mailto, sms, tel."))
                    }
                }
                _ => Err(misfit(
                    "Value cannot have an empty scheme (protocol), must include one of the following URL schemes: [\"http\", \"https\", \"mailto\", \"sms\", \"tel\"].'",
                )),
            }
        }
        "color" => {
            let hex = value.strip_prefix('#').unwrap_or_default();
            if hex.len() == 6 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
                Ok(value.to_lowercase())
            } else {
                Err(misfit("Value must be a hex color code."))
            }
        }
        "weight" => measurement(value, &["oz", "lb", "g", "kg"]),
        "dimension" => measurement(value, &["in", "ft", "yd", "mm", "cm", "m"]),
        "volume" => measurement(
            value,
            &[
                "ml",
                "cl",
                "l",
                "m3",
                "us_fl_oz",
                "us_pt",
                "us_qt",
                "us_gal",
                "imp_fl_oz",
                "imp_pt",
                "imp_qt",
                "imp_gal",
            ],
        ),
        "money" => {
            let shape = "Value must be a stringified JSON object with amount (numeric) and currency_code (string matching the shop's currency) fields.";
            let Ok(Value::Object(object)) = serde_json::from_str::<Value>(value) else {
                return Err(misfit(shape));
            };
            let (Some(amount), Some(currency)) =
                (object.get("amount"), object.get("currency_code"))
            else {
                return Err(misfit(shape));
            };
            let currency = currency.as_str().unwrap_or_default();
            if currency.is_empty() {
                return Err(misfit("Value must have a currency code."));
            }
            let amount = match amount {
                Value::String(text) => Decimal::from_str(text).ok(),
                Value::Number(number) => Decimal::from_str(&number.to_string()).ok(),
                _ => None,
            };
            let Some(amount) = amount else {
                return Err(misfit("Value must have a numeric amount."));
            };
            if amount.abs() > Decimal::from(1_000_000_000_000_000_000_i64) {
                return Err(misfit("Value must be within +/-1000000000000000000."));
            }
            if currency.len() != 3
                || !currency.chars().all(|c| c.is_ascii_uppercase())
                || currency == "ZZZ"
            {
                return Err(misfit(format!(
                    "Value contains an invalid currency, {currency}."
                )));
            }
            Ok(value.to_owned())
        }
        "rating" => {
            let parsed: Value = serde_json::from_str(value).map_err(|_| {
                misfit("Value must be a stringified JSON object with value, scale_min and scale_max fields.")
            })?;
            let number = |key: &str| -> Option<f64> {
                match &parsed[key] {
                    Value::String(text) => text.parse().ok(),
                    Value::Number(number) => number.as_f64(),
                    _ => None,
                }
            };
            let (Some(rating), Some(min), Some(max)) =
                (number("value"), number("scale_min"), number("scale_max"))
            else {
                return Err(misfit("Value must be a stringified JSON object with value, scale_min and scale_max fields."));
            };
            if rating > max {
                return Err(misfit(format!(
                    "Value has a maximum of {}.",
                    text_of(&parsed["scale_max"])
                )));
            }
            if rating < min {
                return Err(misfit(format!(
                    "Value has a minimum of {}.",
                    text_of(&parsed["scale_min"])
                )));
            }
            Ok(value.to_owned())
        }
        "link" => {
            let parsed: Value =
                serde_json::from_str(value).map_err(|_| misfit("Value must be a valid link."))?;
            let url = parsed["url"].as_str().unwrap_or_default();
            let scheme = url.split_once(':').map(|(scheme, _)| scheme.to_lowercase());
            if parsed["label"].is_string()
                && matches!(
                    scheme.as_deref(),
                    Some("http" | "https" | "mailto" | "sms" | "tel")
                )
            {
                Ok(value.to_owned())
            } else {
                Err(misfit("Value must be a valid link."))
            }
        }
        "product_reference" | "variant_reference" | "collection_reference" => {
            references.push(value.to_owned());
            Ok(value.to_owned())
        }
        _ => Err(misfit("Value is invalid.")),
    }
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The global id type a reference of `kind` (or its list) points at.
pub(crate) fn referenced_type(kind: &str) -> Option<&'static str> {
    match kind.strip_prefix("list.").unwrap_or(kind) {
        "product_reference" => Some("Product"),
        "variant_reference" => Some("ProductVariant"),
        "collection_reference" => Some("Collection"),
        _ => None,
    }
}

/// `jsonValue`: the stored value as the JSON the hosted API shows for its type (a `false`
/// boolean shows as the string `"false"`, as the hosted API shows it).
pub(crate) fn json_of(kind: &str, stored: &str) -> Value {
    match kind {
        "boolean" if stored == "true" => Value::Bool(true),
        "number_integer" => stored
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::String(stored.to_owned())),
        "json" | "rating" | "money" | "weight" | "dimension" | "volume" | "link" => {
            serde_json::from_str(stored).unwrap_or_else(|_| Value::String(stored.to_owned()))
        }
        _ if kind.starts_with("list.") => {
            serde_json::from_str(stored).unwrap_or_else(|_| Value::String(stored.to_owned()))
        }
        _ => Value::String(stored.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(kind: &str, value: &str) -> String {
        normalize(kind, value).unwrap().0
    }

    fn refused(kind: &str, value: &str) -> String {
        normalize(kind, value).unwrap_err().message
    }

    #[test]
    fn values_are_kept_as_the_hosted_api_keeps_them() {
        assert_eq!(stored("boolean", " TRUE "), "true");
        assert_eq!(stored("boolean", "0"), "false");
        assert_eq!(stored("number_integer", "5.000"), "5");
        assert_eq!(stored("number_decimal", "1.1234567891"), "1.123456789");
        assert_eq!(
            stored("date_time", "2026-06-25T10:11:12.123+05:30"),
            "2026-06-25T10:11:12+05:30"
        );
        assert_eq!(json_of("boolean", "false"), Value::String("false".into()));
        assert_eq!(json_of("number_integer", "5"), Value::from(5));
    }

    #[test]
    fn values_that_do_not_fit_their_type_are_refused_in_the_hosted_api_words() {
        assert_eq!(refused("number_integer", "+5"), "Value must be an integer.");
        assert_eq!(refused("boolean", "yes"), "Value must be true or false.");
        assert_eq!(refused("color", "blue"), "Value must be a hex color code.");
        assert_eq!(
            refused("date", "2026/06/21"),
            "Value must be in YYYY-MM-DD format."
        );
        assert_eq!(
            refused("number_decimal", "10000000000000.1"),
            "Value can't exceed 9999999999999."
        );
        assert_eq!(
            refused("single_line_text_field", "Line\nBreak"),
            "Value must be a single line text string."
        );
        assert_eq!(
            refused("weight", r#"{"value":1,"unit":"bogus"}"#),
            "Value must be a supported unit."
        );
        assert_eq!(
            refused("dimension", r#"{"value":-1,"unit":"cm"}"#),
            "Value must be a non-negative number."
        );
        assert_eq!(
            refused(
                "rating",
                r#"{"scale_min":"1.0","scale_max":"5.0","value":"6.0"}"#
            ),
            "Value has a maximum of 5.0."
        );
        assert_eq!(
            refused("money", r#"{"amount":"1","currency_code":"ZZZ"}"#),
            "Value contains an invalid currency, ZZZ."
        );
        let list = normalize("list.number_integer", r#"[1,"x"]"#).unwrap_err();
        assert_eq!(
            (list.message.as_str(), list.element),
            ("Value must be an integer.", Some(1))
        );
        assert_eq!(
            refused("url", "ftp://x"),
            "Value must be one of the following URL schemes: http, https, mailto, sms, tel."
        );
    }
}
