//! Shopify's search syntax for `query:` arguments, as far as listings here use it: terms
//! separated by spaces (an explicit `AND` between them changes nothing), each `field:value` or
//! `field:<op>value` with `<op>` one of `>`, `>=`, `<`, `<=`, `=`, values optionally in double
//! quotes. What the terms mean is up to the listing; this module only reads them.

use serde_json::{json, Value};

/// How a term compares its field with its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparator {
    /// `field:value` or `field:=value`.
    Equals,
    Greater,
    GreaterOrEqual,
    Less,
    LessOrEqual,
}

/// One term of a search query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// None for free text without a `field:`.
    pub field: Option<String>,
    pub comparator: Comparator,
    pub value: String,
}

impl Term {
    /// The term as Shopify reports it back in `extensions.search[].parsed`.
    pub fn parsed(&self) -> Value {
        let key = match self.comparator {
            Comparator::Equals => "match_all",
            Comparator::Greater => "range_gt",
            Comparator::GreaterOrEqual => "range_gte",
            Comparator::Less => "range_lt",
            Comparator::LessOrEqual => "range_lte",
        };
        match &self.field {
            Some(field) => json!({ "field": field, key: self.value }),
            None => json!({ key: self.value }),
        }
    }
}

/// The terms of `query`, in order.
pub fn parse(query: &str) -> Vec<Term> {
    words(query)
        .into_iter()
        .filter(|word| word != "AND")
        .map(|word| term(&word))
        .collect()
}

/// A whole query's parse as Shopify reports it: the term itself, or `{"and": [...]}`.
pub fn parsed(terms: &[Term]) -> Value {
    match terms {
        [one] => one.parsed(),
        many => json!({ "and": many.iter().map(Term::parsed).collect::<Vec<_>>() }),
    }
}

/// Splits on whitespace outside quotes (double or single, as the hosted search accepts
/// both); the quotes stay in the word.
fn words(query: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    for character in query.chars() {
        match character {
            '"' | '\'' if quote.is_none_or(|open| open == character) => {
                quote = if quote.is_some() {
                    None
                } else {
                    Some(character)
                };
                current.push(character);
            }
            c if c.is_whitespace() && quote.is_none() => {
                if !current.is_empty() {
                    words.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

fn term(word: &str) -> Term {
    let Some((field, rest)) = word.split_once(':') else {
        return Term {
            field: None,
            comparator: Comparator::Equals,
            value: unquote(word),
        };
    };
    let (comparator, value) = [
        (">=", Comparator::GreaterOrEqual),
        ("<=", Comparator::LessOrEqual),
        (">", Comparator::Greater),
        ("<", Comparator::Less),
        ("=", Comparator::Equals),
    ]
    .iter()
    .find_map(|(op, comparator)| rest.strip_prefix(op).map(|value| (*comparator, value)))
    .unwrap_or((Comparator::Equals, rest));
    Term {
        field: Some(field.to_owned()),
        comparator,
        value: unquote(value),
    }
}

fn unquote(value: &str) -> String {
    ['"', '\'']
        .iter()
        .find_map(|quote| value.strip_prefix(*quote)?.strip_suffix(*quote))
        .unwrap_or(value)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(field: &str, comparator: Comparator, value: &str) -> Term {
        Term {
            field: Some(field.to_owned()),
            comparator,
            value: value.to_owned(),
        }
    }

    #[test]
    fn reads_fields_comparators_and_quoted_values() {
        assert_eq!(
            parse("status:completed AND created_at:>=2000-01-01 id:<5 type:=\"a b\" title:'c d'"),
            vec![
                t("status", Comparator::Equals, "completed"),
                t("created_at", Comparator::GreaterOrEqual, "2000-01-01"),
                t("id", Comparator::Less, "5"),
                t("type", Comparator::Equals, "a b"),
                t("title", Comparator::Equals, "c d"),
            ]
        );
        assert_eq!(parse("  "), vec![]);
        assert_eq!(parse("word")[0].field, None);
    }

    #[test]
    fn reports_the_parse_as_shopify_does() {
        assert_eq!(
            parsed(&parse("made_up:value")),
            json!({"field": "made_up", "match_all": "value"})
        );
        assert_eq!(
            parsed(&parse("status:running created_at:>2026-01-01")),
            json!({"and": [
                {"field": "status", "match_all": "running"},
                {"field": "created_at", "range_gt": "2026-01-01"}
            ]})
        );
    }

    proptest! {
        #[test]
        fn any_query_parses_without_panicking(query in "\\PC{0,64}") {
            let terms = parse(&query);
            prop_assert!(terms.len() <= query.split_whitespace().count().max(1));
        }

        #[test]
        fn a_written_term_reads_back(field in "[a-z_]{1,12}", value in "[A-Za-z0-9-]{1,12}", op in 0usize..5) {
            let (text, comparator) = [
                ("", Comparator::Equals),
                (">", Comparator::Greater),
                (">=", Comparator::GreaterOrEqual),
                ("<", Comparator::Less),
                ("<=", Comparator::LessOrEqual),
            ][op];
            prop_assert_eq!(parse(&format!("{field}:{text}{value}")), vec![t(&field, comparator, &value)]);
        }
    }
}
