//! SQL text shared by the catalog's statements.

use stevedore_store::Dialect;

/// Appends `count` placeholders from number `first`, comma-separated (SQLite's are anonymous:
/// the driver looks each numbered one up by name, and SQLite's name lookup walks every
/// parameter, which made a 500-row insert cost more than its rows' execution).
pub(crate) fn push_placeholders(sql: &mut String, dialect: Dialect, first: usize, count: usize) {
    for number in first..first + count {
        if number > first {
            sql.push(',');
        }
        match dialect {
            Dialect::Sqlite => sql.push('?'),
            Dialect::Postgres => {
                sql.push('$');
                sql.push_str(&number.to_string());
            }
        }
    }
}

/// `$first, …` for `count` values, in either dialect (for statements of a few values, where
/// SQLite's lookup of numbered placeholders costs nothing worth avoiding).
pub(crate) fn numbered(first: usize, count: usize) -> String {
    let mut sql = String::new();
    push_placeholders(&mut sql, Dialect::Postgres, first, count);
    sql
}
