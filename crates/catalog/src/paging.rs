//! Paging of catalog connections: opaque cursors over id order, and the window a connection's
//! arguments ask for.

use async_graphql::connection::{Connection, CursorType, Edge};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;

/// A product cursor: opaque to clients, the position in id order underneath.
#[derive(Debug, Clone, Copy)]
pub struct IdCursor(pub i64);

impl CursorType for IdCursor {
    type Error = &'static str;

    fn decode_cursor(text: &str) -> Result<Self, Self::Error> {
        SortCursor::decode_cursor(text).map(|cursor| IdCursor(cursor.id))
    }

    fn encode_cursor(&self) -> String {
        BASE64.encode(format!("{{\"last_id\":{}}}", self.0))
    }
}

/// A cursor of a connection sorted by a key other than the id alone: the last row's id and its
/// value of the sort key, as the hosted API's cursors carry them (`last_value` is the id, as a
/// string, under the id sort).
#[derive(Debug, Clone, PartialEq)]
pub struct SortCursor {
    pub id: i64,
    pub value: serde_json::Value,
}

impl CursorType for SortCursor {
    type Error = &'static str;

    fn decode_cursor(text: &str) -> Result<Self, Self::Error> {
        let bytes = BASE64.decode(text).map_err(|_| "invalid cursor")?;
        let value: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|_| "invalid cursor")?;
        Ok(SortCursor {
            id: value["last_id"].as_i64().ok_or("invalid cursor")?,
            value: value["last_value"].clone(),
        })
    }

    fn encode_cursor(&self) -> String {
        let value = serde_json::json!({ "last_id": self.id, "last_value": self.value });
        BASE64.encode(value.to_string())
    }
}

/// A window over rows ordered by id, in the direction and from the side a connection asks for.
pub(crate) struct Window {
    pub forward: bool,
    pub limit: i64,
    pub after: Option<i64>,
    pub before: Option<i64>,
    pub reverse: bool,
}

impl Window {
    pub fn from_arguments(
        first: Option<i32>,
        last: Option<i32>,
        after: Option<String>,
        before: Option<String>,
        reverse: bool,
    ) -> async_graphql::Result<Self> {
        let (from_end, limit) = stevedore_core::paging::window(first, last)?;
        let forward = !from_end;
        let decode = |cursor: Option<String>| -> async_graphql::Result<Option<i64>> {
            cursor
                .map(|text| {
                    IdCursor::decode_cursor(&text)
                        .map(|cursor| cursor.0)
                        .map_err(Into::into)
                })
                .transpose()
        };
        Ok(Self {
            forward,
            limit,
            after: decode(after)?,
            before: decode(before)?,
            reverse,
        })
    }

    /// `WHERE` and `ORDER BY` for the scan; `$2`/`$3` bind `after`/`before`, `$4` the limit + 1.
    pub fn sql(&self) -> String {
        let ascending = !self.reverse;
        let (beyond_after, before_before) = if ascending { (">", "<") } else { ("<", ">") };
        let scan_ascending = ascending == self.forward;
        format!(
            "($2 IS NULL OR id {beyond_after} $2) AND ($3 IS NULL OR id {before_before} $3) ORDER BY id {} LIMIT $4",
            if scan_ascending { "ASC" } else { "DESC" }
        )
    }

    /// Turns the scanned rows (limit + 1 at most) into a page in display order.
    pub fn page<T: async_graphql::OutputType, F: Fn(&T) -> i64>(
        &self,
        rows: Vec<T>,
        id_of: F,
    ) -> Connection<IdCursor, T> {
        self.page_with(
            rows.into_iter()
                .map(|row| (IdCursor(id_of(&row)), row))
                .collect(),
        )
    }

    /// [`Self::page`] of rows that come with their cursors.
    pub fn page_with<C: CursorType + Send + Sync, T: async_graphql::OutputType>(
        &self,
        mut rows: Vec<(C, T)>,
    ) -> Connection<C, T> {
        let more = rows.len() as i64 > self.limit;
        rows.truncate(self.limit as usize);
        if !self.forward {
            rows.reverse();
        }
        let mut connection = Connection::new(!self.forward && more, self.forward && more);
        connection
            .edges
            .extend(rows.into_iter().map(|(cursor, row)| Edge::new(cursor, row)));
        connection
    }
}

impl Window {
    /// The page of `items` (a whole list in display order, each keyed by `key_of`, ascending)
    /// this window asks for: a connection over a list already in memory.
    pub fn page_in_order<T: async_graphql::OutputType, F: Fn(&T) -> i64>(
        &self,
        mut items: Vec<T>,
        key_of: F,
    ) -> Connection<IdCursor, T> {
        if self.reverse {
            items.reverse();
        }
        let ascending = !self.reverse;
        let (mut passed, mut beyond_before) = (false, false);
        items.retain(|item| {
            let key = key_of(item);
            let beyond = |bound: i64| if ascending { key > bound } else { key < bound };
            let short_of = |bound: i64| if ascending { key < bound } else { key > bound };
            let after_ok = self.after.is_none_or(beyond);
            let before_ok = self.before.is_none_or(short_of);
            passed |= !after_ok;
            beyond_before |= !before_ok;
            after_ok && before_ok
        });
        if !self.forward {
            items.reverse();
        }
        let mut connection = self.page(items, key_of);
        // Items the cursor passed over are a page before this one (and, paging back, those
        // past `before` a page after), as the hosted API reports.
        connection.has_previous_page |= self.forward && passed;
        connection.has_next_page |= !self.forward && beyond_before;
        connection
    }
}

/// `CountPrecision`.
#[derive(async_graphql::Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum CountPrecision {
    Exact,
    AtLeast,
}

/// `Count`: how many there are, and whether that is exact.
#[derive(async_graphql::SimpleObject, Debug, Clone)]
pub struct Count {
    count: i32,
    precision: CountPrecision,
}

impl Count {
    pub fn at_least(count: usize) -> Self {
        Self {
            count: i32::try_from(count).unwrap_or(i32::MAX),
            precision: CountPrecision::AtLeast,
        }
    }

    pub fn exact(count: usize) -> Self {
        Self {
            count: i32::try_from(count).unwrap_or(i32::MAX),
            precision: CountPrecision::Exact,
        }
    }
}
