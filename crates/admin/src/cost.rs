//! What a request costs, by the hosted API's published rules, and the per-token leaky bucket
//! that pays for it.
//!
//! Rules: a scalar or enum field costs 0; an object, interface or union field 1; a connection
//! 2 plus, for each of the `first`/`last` items it may return, the cost of one edge or node; a
//! mutation root field 10 (`stagedUploadsCreate` 11, as recorded), whatever it selects. A
//! bucket refills at its restore rate (100 points a second by default, the hosted API's
//! Standard plan) and holds twenty seconds of it (2000 points); a request that costs more than
//! the bucket holds is answered `THROTTLED` and runs nothing; no single request may cost more
//! than 1000. The lines of a bulk operation never pass through here: that is what bulk is for.

use crate::types::{named, TypeIndex};
use async_graphql::Variables;
use async_graphql_parser::types::{
    DocumentOperations, ExecutableDocument, Field, OperationDefinition, OperationType, Selection,
    SelectionSet,
};
use async_graphql_parser::Positioned;
use async_graphql_value::{ConstValue, Value};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// The hosted API's Standard plan: 100 points a second.
pub const DEFAULT_RESTORE_RATE: u64 = 100;
/// A bucket holds this many seconds of its restore rate (2000 points at 100 a second, 20000 at
/// the Plus plan's 1000).
const BUCKET_SECONDS: u64 = 20;
pub const MAX_QUERY_COST: u64 = 1000;

const MUTATION_COST: u64 = 10;
const CONNECTION_COST: u64 = 2;

/// The operation a request runs, as the executor will pick it, with its name.
pub fn selected_operation<'a>(
    document: &'a ExecutableDocument,
    name: Option<&str>,
) -> Option<(Option<&'a str>, &'a Positioned<OperationDefinition>)> {
    match &document.operations {
        DocumentOperations::Single(operation) => Some((None, operation)),
        DocumentOperations::Multiple(operations) => match name {
            Some(name) => operations
                .get_key_value(name)
                .map(|(name, operation)| (Some(name.as_str()), operation)),
            None if operations.len() == 1 => operations
                .iter()
                .next()
                .map(|(name, operation)| (Some(name.as_str()), operation)),
            None => None,
        },
    }
}

/// The requested cost of `operation`.
pub fn requested(
    document: &ExecutableDocument,
    operation: &OperationDefinition,
    variables: &Variables,
    types: &TypeIndex,
) -> u64 {
    let walker = Walker {
        document,
        variables,
        operation,
        types,
    };
    match operation.ty {
        OperationType::Mutation => walker
            .fields(&operation.selection_set.node, types.root(operation.ty), 0)
            .into_iter()
            .map(|(field, _)| match field.name.node.as_str() {
                "stagedUploadsCreate" => MUTATION_COST + 1,
                "__typename" => 0,
                _ => MUTATION_COST,
            })
            .sum(),
        _ => walker.selection(&operation.selection_set.node, types.root(operation.ty)),
    }
}

struct Walker<'a> {
    document: &'a ExecutableDocument,
    variables: &'a Variables,
    operation: &'a OperationDefinition,
    types: &'a TypeIndex,
}

impl<'a> Walker<'a> {
    /// The fields of a selection set with fragments spread, each with the type it is selected
    /// on (a fragment's type condition, or the parent's type).
    fn fields(
        &self,
        set: &'a SelectionSet,
        parent: &'a str,
        depth: usize,
    ) -> Vec<(&'a Field, &'a str)> {
        // Fragment cycles were refused before this runs; the depth cap is a second guard.
        if depth > 64 {
            return Vec::new();
        }
        let mut fields = Vec::new();
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => fields.push((&field.node, parent)),
                Selection::InlineFragment(fragment) => {
                    let on = crate::types::fragment_type(&fragment.node, parent);
                    fields.extend(self.fields(&fragment.node.selection_set.node, on, depth + 1));
                }
                Selection::FragmentSpread(spread) => {
                    if let Some(fragment) =
                        self.document.fragments.get(&spread.node.fragment_name.node)
                    {
                        let on = fragment.node.type_condition.node.on.node.as_str();
                        fields.extend(self.fields(
                            &fragment.node.selection_set.node,
                            on,
                            depth + 1,
                        ));
                    }
                }
            }
        }
        fields
    }

    fn selection(&self, set: &'a SelectionSet, parent: &'a str) -> u64 {
        self.fields(set, parent, 0)
            .into_iter()
            .map(|(field, on)| self.field(field, on))
            .sum()
    }

    fn field(&self, field: &'a Field, parent: &str) -> u64 {
        let Some(ty) = self.types.field_type(parent, &field.name.node) else {
            return 0;
        };
        let type_name = named(ty);
        if !self.types.outputs.contains_key(type_name) {
            return 0;
        }
        if !self.types.is_connection(type_name) {
            return 1 + self.selection(&field.selection_set.node, type_name);
        }
        let items = ["first", "last"]
            .iter()
            .filter_map(|name| field.get_argument(name))
            .filter_map(|value| self.integer(&value.node))
            .max()
            .unwrap_or(0);
        let mut per_item = 0;
        let mut once = 0;
        for (child, on) in self.fields(&field.selection_set.node, type_name, 0) {
            match child.name.node.as_str() {
                "edges" | "nodes" => per_item += self.field(child, on),
                _ => once += self.field(child, on),
            }
        }
        CONNECTION_COST + once + items.saturating_mul(per_item)
    }

    /// An integer argument: a literal, a variable's value, or the variable's default.
    fn integer(&self, value: &Value) -> Option<u64> {
        let constant = match value {
            Value::Variable(name) => match self.variables.get(name) {
                Some(value) => value.clone(),
                None => self
                    .operation
                    .variable_definitions
                    .iter()
                    .find(|definition| definition.node.name.node == *name)?
                    .node
                    .default_value
                    .as_ref()?
                    .node
                    .clone(),
            },
            other => other.clone().into_const()?,
        };
        match constant {
            ConstValue::Number(number) => number.as_u64(),
            _ => None,
        }
    }
}

/// One bucket per access token.
pub struct Throttle {
    restore_rate: f64,
    maximum: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl Default for Throttle {
    fn default() -> Self {
        Self::new(DEFAULT_RESTORE_RATE)
    }
}

struct Bucket {
    available: f64,
    at: Instant,
}

/// The bucket as a response reports it.
#[derive(Debug, Clone, Copy)]
pub struct ThrottleStatus {
    pub currently_available: u64,
    pub maximum_available: u64,
    pub restore_rate: u64,
}

impl Throttle {
    /// Buckets that refill at `restore_rate` points a second (at least 1).
    pub fn new(restore_rate: u64) -> Self {
        let restore_rate = restore_rate.max(1);
        Self {
            restore_rate: restore_rate as f64,
            // Never below the single-request limit, or a request under it could never be paid.
            maximum: restore_rate
                .saturating_mul(BUCKET_SECONDS)
                .max(MAX_QUERY_COST) as f64,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn status(&self, bucket: &Bucket) -> ThrottleStatus {
        ThrottleStatus {
            currently_available: bucket.available.floor() as u64,
            maximum_available: self.maximum as u64,
            restore_rate: self.restore_rate as u64,
        }
    }

    /// Takes `cost` points from `token`'s bucket, or leaves the bucket as it is and says so.
    pub fn take(&self, token: &str, cost: u64) -> Result<ThrottleStatus, ThrottleStatus> {
        let now = Instant::now();
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let bucket = buckets.entry(token.to_owned()).or_insert(Bucket {
            available: self.maximum,
            at: now,
        });
        let refilled = now.duration_since(bucket.at).as_secs_f64() * self.restore_rate;
        bucket.available = (bucket.available + refilled).min(self.maximum);
        bucket.at = now;
        let cost = cost as f64;
        if cost > bucket.available {
            return Err(self.status(bucket));
        }
        bucket.available -= cost;
        Ok(self.status(bucket))
    }
}

impl Throttle {
    /// Gives back points taken for a request that did not run.
    pub fn refund(&self, token: &str, cost: u64) {
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        if let Some(bucket) = buckets.get_mut(token) {
            bucket.available = (bucket.available + cost as f64).min(self.maximum);
        }
    }

    /// The bucket as it stands, taking nothing.
    pub fn peek(&self, token: &str) -> ThrottleStatus {
        self.take(token, 0).unwrap_or_else(|status| status)
    }
}

/// `extensions.cost` of a response.
pub fn extension(requested: u64, actual: Option<u64>, status: ThrottleStatus) -> serde_json::Value {
    json!({
        "requestedQueryCost": requested,
        "actualQueryCost": actual,
        "throttleStatus": {
            "maximumAvailable": status.maximum_available,
            "currentlyAvailable": status.currently_available,
            "restoreRate": status.restore_rate,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_refuses_what_it_cannot_pay_and_keeps_its_points() {
        let throttle = Throttle::default();
        assert_eq!(throttle.take("t", 1990).unwrap().currently_available, 10);
        assert_eq!(throttle.take("t", 50).unwrap_err().currently_available, 10);
        assert_eq!(throttle.take("t", 10).unwrap().currently_available, 0);
        assert_eq!(
            throttle.take("other", 10).unwrap().currently_available,
            1990,
            "every token has a bucket of its own"
        );
        let plus = Throttle::new(1000);
        assert_eq!(plus.take("t", 0).unwrap().maximum_available, 20_000);
    }
}
