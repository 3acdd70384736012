//! The Admin API's custom scalars, with the hosted API's wire formats: `DateTime` as
//! `2026-07-04T23:47:25Z` (UTC, whole seconds), `UnsignedInt64` as a JSON string, `URL` and
//! `HTML` as strings.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{SecondsFormat, Utc};

/// `DateTime`: an ISO-8601 instant in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct DateTime(pub chrono::DateTime<Utc>);

#[Scalar(name = "DateTime")]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        let Value::String(text) = &value else {
            return Err(InputValueError::expected_type(value));
        };
        chrono::DateTime::parse_from_rfc3339(text)
            .map(|at| DateTime(at.with_timezone(&Utc)))
            .map_err(|_| InputValueError::custom(format!("invalid DateTime {text:?}")))
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339_opts(SecondsFormat::Secs, true))
    }
}

/// `UnsignedInt64`: serialized as a string, since JSON numbers lose precision past 2^53.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct UnsignedInt64(pub u64);

#[Scalar(name = "UnsignedInt64")]
impl ScalarType for UnsignedInt64 {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => text
                .parse()
                .map(UnsignedInt64)
                .map_err(|_| InputValueError::expected_type(value)),
            Value::Number(number) => number
                .as_u64()
                .map(UnsignedInt64)
                .ok_or_else(|| InputValueError::expected_type(value)),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}

/// `URL`: an absolute URL, as a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url(pub String);

#[Scalar(name = "URL")]
impl ScalarType for Url {
    fn parse(value: Value) -> InputValueResult<Self> {
        match value {
            Value::String(text) => Ok(Url(text)),
            other => Err(InputValueError::expected_type(other)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.clone())
    }
}

/// `HTML`: markup, as a string.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Html(pub String);

#[Scalar(name = "HTML")]
impl ScalarType for Html {
    fn parse(value: Value) -> InputValueResult<Self> {
        match value {
            Value::String(text) => Ok(Html(text)),
            other => Err(InputValueError::expected_type(other)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.clone())
    }
}

/// Reads a decimal amount as the hosted API takes one: a string (`"10"`, `"19.99"`) or a JSON
/// number.
fn parse_amount(value: &Value) -> Option<rust_decimal::Decimal> {
    use std::str::FromStr;
    match value {
        Value::String(text) => rust_decimal::Decimal::from_str(text.trim()).ok(),
        Value::Number(number) => rust_decimal::Decimal::from_str(&number.to_string())
            .or_else(|_| rust_decimal::Decimal::from_scientific(&number.to_string()))
            .ok(),
        _ => None,
    }
}

/// `Money`: an amount in the shop's currency, written with its two decimal places (`"19.90"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Money(pub rust_decimal::Decimal);

impl Money {
    /// The amount as the hosted API writes it: rounded half away from zero to two places.
    pub fn text(&self) -> String {
        let mut amount = self
            .0
            .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        amount.rescale(2);
        amount.to_string()
    }

    /// An amount stored as [`Money::text`] wrote it.
    pub fn from_stored(text: &str) -> Self {
        use std::str::FromStr;
        Money(rust_decimal::Decimal::from_str(text).unwrap_or_default())
    }
}

#[Scalar(name = "Money")]
impl ScalarType for Money {
    fn parse(value: Value) -> InputValueResult<Self> {
        parse_amount(&value)
            .map(Money)
            .ok_or_else(|| InputValueError::expected_type(value))
    }

    fn to_value(&self) -> Value {
        Value::String(self.text())
    }
}

/// `Decimal`: an exact decimal number, as a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Decimal(pub rust_decimal::Decimal);

#[Scalar(name = "Decimal")]
impl ScalarType for Decimal {
    fn parse(value: Value) -> InputValueResult<Self> {
        parse_amount(&value)
            .map(Decimal)
            .ok_or_else(|| InputValueError::expected_type(value))
    }

    /// Written as the hosted API writes it: without trailing zeros, but with at least one
    /// decimal place (`"10.0"`, `"19.99"`).
    fn to_value(&self) -> Value {
        let normalized = self.0.normalize();
        Value::String(if normalized.scale() == 0 {
            format!("{normalized}.0")
        } else {
            normalized.to_string()
        })
    }
}
