//! `products(query:, sortKey:)` as SQL over the `products` table: the search terms this
//! catalog answers, the sort keys, and the keyset that pages a sorted list.

use crate::paging::SortCursor;
use chrono::{NaiveDate, NaiveDateTime};
use stevedore_core::search::{Comparator, Term};

/// `ProductSortKeys`.
#[derive(async_graphql::Enum, Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum ProductSortKeys {
    CreatedAt,
    #[default]
    Id,
    InventoryTotal,
    ProductType,
    PublishedAt,
    /// Without a ranking of its own here, relevance is the id order.
    Relevance,
    Title,
    UpdatedAt,
    Vendor,
}

/// What a sort key's values are, for the keyset and the cursor.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Kind {
    Id,
    Text,
    Integer,
    /// Epoch milliseconds.
    Instant,
}

/// A product's total stock: the sum over its variants.
const INVENTORY_TOTAL: &str = "(SELECT COALESCE(SUM(v.inventory_quantity), 0) \
     FROM product_variants v WHERE v.product_id = products.id)";

impl ProductSortKeys {
    /// The SQL expression the key sorts by (never null), and its kind.
    fn expression(self) -> (&'static str, Kind) {
        match self {
            Self::Id | Self::Relevance => ("id", Kind::Id),
            Self::Title => ("LOWER(title)", Kind::Text),
            Self::ProductType => ("LOWER(product_type)", Kind::Text),
            Self::Vendor => ("LOWER(vendor)", Kind::Text),
            Self::CreatedAt => ("created_at", Kind::Instant),
            Self::UpdatedAt => ("updated_at", Kind::Instant),
            // A product is published when it is active, since its creation.
            Self::PublishedAt => (
                "(CASE WHEN status = 'ACTIVE' THEN created_at ELSE 0 END)",
                Kind::Instant,
            ),
            Self::InventoryTotal => (INVENTORY_TOTAL, Kind::Integer),
        }
    }

    /// The cursor of a row whose sort value (the expression cast to text) is `value`: instants
    /// and totals as numbers (epoch milliseconds), the rest as text, as the hosted API's
    /// cursors carry them.
    pub(crate) fn cursor(self, id: i64, value: &str) -> SortCursor {
        let value = match (self.expression().1, value.parse::<i64>()) {
            (Kind::Instant | Kind::Integer, Ok(number)) => serde_json::Value::from(number),
            _ => serde_json::Value::String(value.to_owned()),
        };
        SortCursor { id, value }
    }
}

/// The parts of a sorted page's statement.
pub(crate) struct SortedScan {
    /// `SELECT` list addition: the sort value as text, named `sort_value`.
    pub select: String,
    /// `AND`-joined keyset conditions (or `TRUE`).
    pub keyset: String,
    /// `ORDER BY` body.
    pub order: String,
}

/// The scan of a page sorted by `key`: rows beyond `after` and short of `before` in display
/// order (ascending unless `reverse`), read in `forward` order. Text values of the cursors are
/// added to `values`, to bind from `$first_bind + values.len()`; numbers are written inline.
pub(crate) fn sorted_scan(
    key: ProductSortKeys,
    reverse: bool,
    forward: bool,
    after: Option<&SortCursor>,
    before: Option<&SortCursor>,
    first_bind: usize,
    values: &mut Vec<String>,
) -> SortedScan {
    let (expression, kind) = key.expression();
    let ascending = !reverse;
    let mut conditions = Vec::new();
    let mut bound = |cursor: &SortCursor, greater: bool| {
        let op = if greater { ">" } else { "<" };
        let value = match kind {
            Kind::Id => return format!("id {op} {}", cursor.id),
            Kind::Text => {
                values.push(cursor.value.as_str().unwrap_or_default().to_owned());
                format!("${}", first_bind + values.len() - 1)
            }
            Kind::Integer | Kind::Instant => cursor_number(kind, &cursor.value).to_string(),
        };
        format!(
            "({expression} {op} {value} OR ({expression} = {value} AND id {op} {}))",
            cursor.id
        )
    };
    if let Some(cursor) = after {
        conditions.push(bound(cursor, ascending));
    }
    if let Some(cursor) = before {
        conditions.push(bound(cursor, !ascending));
    }
    let direction = if ascending == forward { "ASC" } else { "DESC" };
    SortedScan {
        select: format!("CAST({expression} AS TEXT) AS sort_value"),
        keyset: if conditions.is_empty() {
            "TRUE".to_owned()
        } else {
            conditions.join(" AND ")
        },
        order: match kind {
            Kind::Id => format!("id {direction}"),
            _ => format!("{expression} {direction}, id {direction}"),
        },
    }
}

/// A cursor's number: an integer, or an instant as cursors show it.
fn cursor_number(kind: Kind, value: &serde_json::Value) -> i64 {
    if let Some(number) = value.as_i64() {
        return number;
    }
    let text = value.as_str().unwrap_or_default();
    match kind {
        Kind::Instant => NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
            .map(|at| at.and_utc().timestamp_millis())
            .unwrap_or(0),
        _ => text.parse().unwrap_or(0),
    }
}

/// `products(query:)`: the terms this catalog can answer, as a `WHERE` fragment whose text
/// values bind from `$first_bind` on (numbers are written inline). Terms on other fields are
/// ignored, as the hosted search ignores fields it does not know.
pub(crate) fn product_filter(query: Option<&str>, first_bind: usize) -> (String, Vec<String>) {
    let mut values: Vec<String> = Vec::new();
    // `OR` joins groups of terms that hold together (`a b OR c` is `(a AND b) OR c`); a
    // dangling `OR`, with nothing on one side, joins nothing.
    let mut groups: Vec<Vec<String>> = vec![Vec::new()];
    for mut term in stevedore_core::search::parse(query.unwrap_or_default()) {
        if term.field.is_none() && term.value == "OR" {
            groups.push(Vec::new());
            continue;
        }
        if term.field.is_none() {
            // A bracket of grouping that encloses no group is not part of the word.
            term.value = term
                .value
                .trim_start_matches('(')
                .trim_end_matches(')')
                .to_owned();
            if term.value.is_empty() {
                continue;
            }
        }
        let field = term.field.as_deref().map(str::to_ascii_lowercase);
        let clause = match field.as_deref() {
            Some("id") => number_clause("id", &term, term.value.parse().ok()),
            Some("created_at") => number_clause("created_at", &term, instant(&term.value)),
            Some("updated_at") => number_clause("updated_at", &term, instant(&term.value)),
            _ if term.comparator != Comparator::Equals => None,
            field => text_clause(field, &term.value.to_lowercase()).map(|(clause, bound)| {
                let clause = clause.replace("$?", &format!("${}", first_bind + values.len()));
                values.push(bound);
                clause
            }),
        };
        if let (Some(clause), Some(group)) = (clause, groups.last_mut()) {
            group.push(clause);
        }
    }
    groups.retain(|group| !group.is_empty());
    let sql = match groups.as_slice() {
        [] => "TRUE".to_owned(),
        [one] => one.join(" AND "),
        many => many
            .iter()
            .map(|group| format!("({})", group.join(" AND ")))
            .collect::<Vec<_>>()
            .join(" OR "),
    };
    (format!("({sql})"), values)
}

/// An equality term on a text field: the clause (its value as `$?`) and the value to bind.
/// `word*` matches what starts with `word` (a field's value, a tag; in the title, anywhere).
fn text_clause(field: Option<&str>, value: &str) -> Option<(String, String)> {
    let (stem, prefix) = match value.strip_suffix('*') {
        Some(stem) => (stem, true),
        None => (value, false),
    };
    let whole = |column: &str| match prefix {
        true => (
            format!("{column} LIKE $? ESCAPE '\\'"),
            format!("{}%", escape_like(stem)),
        ),
        false => (format!("{column} = $?"), stem.to_owned()),
    };
    Some(match field {
        // Free text and titles match anywhere in the title; tags match whole.
        None | Some("title") => (
            "LOWER(title) LIKE $? ESCAPE '\\'".to_owned(),
            like_anywhere(stem),
        ),
        Some("tag") => {
            // Tags are stored as a JSON list: a whole tag is its quoted string, a prefix that
            // string without its closing quote.
            let quoted = serde_json::Value::String(stem.to_owned()).to_string();
            let pattern = match prefix {
                true => &quoted[..quoted.len() - 1],
                false => quoted.as_str(),
            };
            (
                "LOWER(tags) LIKE $? ESCAPE '\\'".to_owned(),
                like_anywhere(pattern),
            )
        }
        Some(column @ ("handle" | "product_type" | "vendor" | "status")) => {
            whole(&format!("LOWER({column})"))
        }
        Some(column @ ("sku" | "barcode")) => {
            let (test, bound) = whole(&format!("LOWER(v.{column})"));
            (
                format!(
                    "EXISTS (SELECT 1 FROM product_variants v \
                     WHERE v.product_id = products.id AND {test})"
                ),
                bound,
            )
        }
        _ => return None,
    })
}

/// A term on a numeric column (an id, or an instant in epoch milliseconds). A date alone
/// (`created_at:2026-01-05`) is its whole day under equality, and its start otherwise.
fn number_clause(column: &str, term: &Term, value: Option<i64>) -> Option<String> {
    let value = value?;
    let day = column != "id" && NaiveDate::parse_from_str(&term.value, "%Y-%m-%d").is_ok();
    Some(match term.comparator {
        Comparator::Equals if day => format!(
            "({column} >= {value} AND {column} < {})",
            value + 86_400_000
        ),
        Comparator::Equals => format!("{column} = {value}"),
        Comparator::Greater if day => format!("{column} >= {}", value + 86_400_000),
        Comparator::Greater => format!("{column} > {value}"),
        Comparator::GreaterOrEqual => format!("{column} >= {value}"),
        Comparator::Less => format!("{column} < {value}"),
        Comparator::LessOrEqual if day => format!("{column} < {}", value + 86_400_000),
        Comparator::LessOrEqual => format!("{column} <= {value}"),
    })
}

/// An instant of a search term in epoch milliseconds: an RFC 3339 time, or a date (its start,
/// UTC).
fn instant(text: &str) -> Option<i64> {
    if let Ok(at) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(at.timestamp_millis());
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok().map(|day| {
        day.and_hms_opt(0, 0, 0)
            .unwrap_or_default()
            .and_utc()
            .timestamp_millis()
    })
}

/// `text` with the `LIKE` wildcards (and the escape character) escaped.
fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// A `LIKE` pattern matching `text` anywhere.
fn like_anywhere(text: &str) -> String {
    format!("%{}%", escape_like(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_on_ids_and_dates_are_written_inline() {
        let (sql, values) = product_filter(
            Some("id:>10 created_at:2026-01-05 updated_at:<=2026-01-05T10:00:00Z"),
            2,
        );
        assert!(values.is_empty());
        assert_eq!(
            sql,
            "(id > 10 AND (created_at >= 1767571200000 AND created_at < 1767657600000) \
             AND updated_at <= 1767607200000)"
        );
    }

    #[test]
    fn text_terms_bind_in_order_and_unknown_fields_are_ignored() {
        let (sql, values) = product_filter(Some("vendor:Acme colour:red sku:ABC-1"), 3);
        assert_eq!(values, ["acme", "abc-1"]);
        assert!(sql.starts_with("(LOWER(vendor) = $3 AND EXISTS"), "{sql}");
        assert!(sql.ends_with("LOWER(v.sku) = $4))"), "{sql}");
    }

    #[test]
    fn or_joins_groups_and_a_dangling_or_or_a_lone_bracket_is_ignored() {
        let (sql, values) = product_filter(Some("vendor:a product_type:b OR vendor:c"), 2);
        assert_eq!(values, ["a", "b", "c"]);
        assert_eq!(
            sql,
            "((LOWER(vendor) = $2 AND LOWER(product_type) = $3) OR (LOWER(vendor) = $4))"
        );
        let (dangling, _) = product_filter(Some("tag:x OR"), 2);
        assert_eq!(dangling, "(LOWER(tags) LIKE $2 ESCAPE '\\')");
        let (_, values) = product_filter(Some("(board"), 2);
        assert_eq!(values, ["%board%"]);
    }

    #[test]
    fn a_trailing_star_matches_a_prefix() {
        let (sql, values) = product_filter(Some("vendor:ac* tag:win* sku:ab_*"), 2);
        assert_eq!(values, ["ac%", "%\"win%", "ab\\_%"]);
        assert!(sql.starts_with("(LOWER(vendor) LIKE $2 ESCAPE"), "{sql}");
        assert!(sql.contains("LOWER(v.sku) LIKE $4 ESCAPE"), "{sql}");
        let (_, values) = product_filter(Some("snow*"), 2);
        assert_eq!(values, ["%snow%"]);
    }

    #[test]
    fn a_sorted_keyset_continues_after_the_cursor_in_display_order() {
        let mut values = Vec::new();
        let after = SortCursor {
            id: 7,
            value: serde_json::json!("bravo"),
        };
        let scan = sorted_scan(
            ProductSortKeys::Title,
            true,
            true,
            Some(&after),
            None,
            2,
            &mut values,
        );
        assert_eq!(values, ["bravo"]);
        assert_eq!(
            scan.keyset,
            "(LOWER(title) < $2 OR (LOWER(title) = $2 AND id < 7))"
        );
        assert_eq!(scan.order, "LOWER(title) DESC, id DESC");
    }

    #[test]
    fn instant_cursors_carry_epoch_milliseconds() {
        let cursor = ProductSortKeys::UpdatedAt.cursor(3, "1767607200123");
        assert_eq!(cursor.value, serde_json::json!(1767607200123_i64));
        assert_eq!(cursor_number(Kind::Instant, &cursor.value), 1767607200123);
        let title = ProductSortKeys::Id.cursor(3, "3");
        assert_eq!(title.value, serde_json::json!("3"));
    }
}
