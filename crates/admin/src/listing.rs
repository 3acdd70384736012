//! `bulkOperations`: the shop's operations as a connection, sorted by creation or completion,
//! filtered with Shopify's search syntax (`status`, `operation_type`, `id`, `created_at`), with
//! the warnings Shopify reports in the response's `extensions.search`.

use crate::bulk::BulkOperationObject;
use async_graphql::connection::{Connection, CursorType, Edge};
use async_graphql::{Context, Enum, ErrorExtensions};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use stevedore_core::search::{self, Comparator, Term};
use stevedore_core::OrInternal;
use stevedore_core::{OperationStatus, OperationType};
use stevedore_store::operations::{Compare, ListCondition, ListCursor, ListKey, ListPage};

/// `BulkOperationsSortKeys`.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum BulkOperationsSortKeys {
    CompletedAt,
    CreatedAt,
}

impl From<BulkOperationsSortKeys> for ListKey {
    fn from(key: BulkOperationsSortKeys) -> Self {
        match key {
            BulkOperationsSortKeys::CompletedAt => ListKey::CompletedAt,
            BulkOperationsSortKeys::CreatedAt => ListKey::CreatedAt,
        }
    }
}

/// A position in a listing: the sort value and id of an operation, opaque to clients, encoded
/// as Shopify encodes its cursors (base64 of `{"last_id":…,"last_value":…}`).
#[derive(Debug, Clone, Copy)]
pub struct OperationCursor(ListCursor);

impl CursorType for OperationCursor {
    type Error = &'static str;

    fn decode_cursor(text: &str) -> Result<Self, Self::Error> {
        let bytes = BASE64.decode(text).map_err(|_| "invalid cursor")?;
        let value: Value = serde_json::from_slice(&bytes).map_err(|_| "invalid cursor")?;
        let id = value["last_id"].as_i64().ok_or("invalid cursor")?;
        let sort_value = value["last_value"]
            .as_str()
            .and_then(|text| text.parse().ok())
            .ok_or("invalid cursor")?;
        Ok(Self(ListCursor {
            value: sort_value,
            id,
        }))
    }

    fn encode_cursor(&self) -> String {
        BASE64.encode(
            json!({"last_id": self.0.id, "last_value": self.0.value.to_string()}).to_string(),
        )
    }
}

/// The `extensions.search` entries of one request, filled by the fields that read a search
/// query and attached to the response when it is complete.
#[derive(Clone, Default)]
pub struct SearchReports(Arc<Mutex<Vec<Value>>>);

impl SearchReports {
    fn push(&self, report: Value) {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(report);
    }

    /// Adds the reports, if any, to the response's extensions.
    pub fn attach(&self, response: &mut async_graphql::Response) {
        let reports = std::mem::take(
            &mut *self
                .0
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        );
        if !reports.is_empty() {
            if let Ok(value) = async_graphql::Value::from_json(Value::Array(reports)) {
                response.extensions.insert("search".to_owned(), value);
            }
        }
    }
}

fn bad_request(message: &str) -> async_graphql::Error {
    async_graphql::Error::new(message)
        .extend_with(|_, extensions| extensions.set("code", "BAD_REQUEST"))
}

/// The arguments of a `bulkOperations` call.
pub struct ListArguments {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
    pub reverse: bool,
    pub sort_key: BulkOperationsSortKeys,
    pub query: Option<String>,
}

pub async fn bulk_operations(
    ctx: &Context<'_>,
    arguments: ListArguments,
) -> async_graphql::Result<Connection<OperationCursor, BulkOperationObject>> {
    let (from_end, limit) =
        stevedore_core::paging::window(arguments.first, arguments.last).map_err(bad_request)?;
    let cursor = |text: Option<String>| -> async_graphql::Result<Option<ListCursor>> {
        text.map(|text| {
            OperationCursor::decode_cursor(&text)
                .map(|cursor| cursor.0)
                .map_err(bad_request)
        })
        .transpose()
    };
    let key = ListKey::from(arguments.sort_key);
    let page = ListPage {
        key,
        // Newest first unless reversed.
        ascending: arguments.reverse,
        from_end,
        limit,
        after: cursor(arguments.after)?,
        before: cursor(arguments.before)?,
    };

    let mut conditions = Vec::new();
    if let Some(query) = arguments
        .query
        .as_deref()
        .filter(|query| !query.trim().is_empty())
    {
        let terms = search::parse(query);
        let mut warnings = Vec::new();
        for term in &terms {
            interpret(term, &mut conditions, &mut warnings)?;
        }
        if !warnings.is_empty() {
            let path: Vec<String> = ctx
                .path_node
                .map(|node| node.to_string_vec())
                .unwrap_or_else(|| vec!["bulkOperations".to_owned()]);
            ctx.data::<SearchReports>()?.push(json!({
                "path": path,
                "query": query,
                "parsed": search::parsed(&terms),
                "warnings": warnings,
            }));
        }
    }

    let services = ctx.data::<Arc<crate::services::Services>>()?;
    let shop = *ctx.data::<stevedore_core::ShopId>()?;
    let (operations, more) = services
        .engine
        .store()
        .list_operations(shop, &conditions, &page)
        .await
        .or_internal()?;
    // Beyond the far end: whether more rows were found. Behind the near end: whether the page
    // starts at a cursor, as other connections here report it.
    let mut connection = Connection::new(
        if from_end { more } else { page.after.is_some() },
        if from_end {
            page.before.is_some()
        } else {
            more
        },
    );
    connection
        .edges
        .extend(operations.into_iter().map(|operation| {
            let cursor = OperationCursor(ListCursor {
                value: key.value_of(&operation),
                id: operation.id.0,
            });
            Edge::new(cursor, BulkOperationObject(operation))
        }));
    Ok(connection)
}

/// Turns one search term into conditions, or a warning for a field or value this listing does
/// not take (the term then filters nothing, or everything out, as Shopify does).
fn interpret(
    term: &Term,
    conditions: &mut Vec<ListCondition>,
    warnings: &mut Vec<Value>,
) -> async_graphql::Result<()> {
    let Some(field) = term.field.as_deref() else {
        // Free text: bulk operations have no text to match it against.
        return Ok(());
    };
    let mut invalid_value = |field: &str| {
        warnings.push(json!({
            "field": field,
            "message": format!("Input `{}` is not an accepted value.", term.value),
            "code": "invalid_value",
        }));
        ListCondition::Nothing
    };
    let condition = match field {
        "status" => {
            let status = term.value.to_ascii_uppercase();
            match status.parse::<OperationStatus>() {
                // Expiry is a state of the result link, not one to search by.
                Ok(status) if status != OperationStatus::Expired => ListCondition::Status(status),
                _ => invalid_value(field),
            }
        }
        "operation_type" => match term.value.to_ascii_uppercase().parse::<OperationType>() {
            Ok(kind) => ListCondition::Type(kind),
            Err(_) => invalid_value(field),
        },
        "id" => {
            let numeric = term
                .value
                .parse::<i64>()
                .ok()
                .or_else(|| stevedore_core::Gid::parse_as(&term.value, "BulkOperation").ok());
            match numeric {
                Some(id) => ListCondition::Id(compare(term.comparator, id)),
                None => invalid_value(field),
            }
        }
        "created_at" => {
            let Some((start, end)) = instant_range(&term.value) else {
                return Err(bad_request(
                    "Invalid timestamp for query filter `created_at`.",
                ));
            };
            // A bare date or second is a span: equality means within it.
            let compare = match term.comparator {
                Comparator::Equals => {
                    conditions.push(ListCondition::CreatedAt(Compare::GreaterOrEqual(start)));
                    Compare::Less(end)
                }
                Comparator::Greater => Compare::GreaterOrEqual(end),
                Comparator::GreaterOrEqual => Compare::GreaterOrEqual(start),
                Comparator::Less => Compare::Less(start),
                Comparator::LessOrEqual => Compare::Less(end),
            };
            ListCondition::CreatedAt(compare)
        }
        other => {
            warnings.push(json!({
                "field": other,
                "message": "Invalid search field for this query.",
                "code": "invalid_field",
            }));
            return Ok(());
        }
    };
    conditions.push(condition);
    Ok(())
}

fn compare(comparator: Comparator, value: i64) -> Compare {
    match comparator {
        Comparator::Equals => Compare::Equal(value),
        Comparator::Greater => Compare::Greater(value),
        Comparator::GreaterOrEqual => Compare::GreaterOrEqual(value),
        Comparator::Less => Compare::Less(value),
        Comparator::LessOrEqual => Compare::LessOrEqual(value),
    }
}

/// The span of epoch milliseconds a `created_at` value names: a whole day for a date, a second
/// for a timestamp without fractions (UTC unless it carries an offset).
fn instant_range(text: &str) -> Option<(i64, i64)> {
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let start = date.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis();
        return Some((start, start + TimeDelta::days(1).num_milliseconds()));
    }
    let start = chrono::DateTime::parse_from_rfc3339(text)
        .map(|at| at.timestamp_millis())
        .or_else(|_| {
            NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S")
                .map(|at| at.and_utc().timestamp_millis())
        })
        .ok()?;
    Some((start, start + 1000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_at_values_are_dates_or_timestamps() {
        let day = instant_range("2026-07-19").unwrap();
        assert_eq!(day.1 - day.0, 86_400_000);
        let second = instant_range("2026-07-19T12:41:45Z").unwrap();
        assert_eq!(second.1 - second.0, 1000);
        assert_eq!(instant_range("2026-07-19T12:41:45").unwrap(), second);
        assert_eq!(instant_range("2026-07-19T14:41:45+02:00").unwrap(), second);
        assert_eq!(instant_range("not-a-date"), None);
    }

    #[test]
    fn cursors_read_back() {
        let cursor = OperationCursor(ListCursor {
            value: 1_784_000_000_000,
            id: 42,
        });
        let decoded = OperationCursor::decode_cursor(&cursor.encode_cursor()).unwrap();
        assert_eq!(decoded.0, cursor.0);
        assert!(OperationCursor::decode_cursor("bm9wZQ==").is_err());
    }
}
