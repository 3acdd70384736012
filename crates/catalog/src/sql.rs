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

/// The most values one statement binds: under SQLite's limit (32,766) and Postgres's (65,535).
const MAX_BOUND_VALUES: usize = 30_000;

/// Rows per multi-row insert of rows of `per_row` values: as many as `limit` allows, within
/// [`MAX_BOUND_VALUES`].
pub(crate) fn rows_per_insert(per_row: usize, limit: usize) -> usize {
    (MAX_BOUND_VALUES / per_row.max(1)).clamp(1, limit)
}

/// `INSERT INTO {table} ({columns}) VALUES (…),(…)` for `rows` rows of `per_row` placeholders.
pub(crate) fn multi_row_insert(
    dialect: Dialect,
    table: &str,
    columns: &str,
    per_row: usize,
    rows: usize,
) -> String {
    let mut sql = String::with_capacity(columns.len() + rows * per_row * 7 + 64);
    sql.push_str("INSERT INTO ");
    sql.push_str(table);
    sql.push_str(" (");
    sql.push_str(columns);
    sql.push_str(") VALUES ");
    for row in 0..rows {
        if row > 0 {
            sql.push(',');
        }
        sql.push('(');
        push_placeholders(&mut sql, dialect, row * per_row + 1, per_row);
        sql.push(')');
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_multi_row_insert_numbers_every_value_of_every_row() {
        let sql = multi_row_insert(Dialect::Postgres, "t", "a, b", 2, 2);
        assert_eq!(sql, "INSERT INTO t (a, b) VALUES ($1,$2),($3,$4)");
        let sql = multi_row_insert(Dialect::Sqlite, "t", "a, b", 2, 2);
        assert_eq!(sql, "INSERT INTO t (a, b) VALUES (?,?),(?,?)");
    }

    #[test]
    fn wide_rows_go_fewer_to_a_statement() {
        assert_eq!(rows_per_insert(15, 500), 500);
        assert_eq!(rows_per_insert(100, 500), 300);
        assert_eq!(rows_per_insert(0, 500), 500);
    }
}
