//! Server-wide settings kept in the database, so every process of a deployment shares them.

use crate::{Result, Store};

impl Store {
    /// The value stored under `name`, creating it with `make()` if this is the first ask.
    /// Concurrent first asks agree: the first insert wins and everyone reads it back.
    pub async fn setting_or_insert(
        &self,
        name: &str,
        make: impl FnOnce() -> String,
    ) -> Result<String> {
        sqlx::query(
            "INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(make())
        .execute(&self.pool)
        .await?;
        let value: String = sqlx::query_scalar("SELECT value FROM settings WHERE name = $1")
            .bind(name)
            .fetch_one(&self.pool)
            .await?;
        Ok(value)
    }
}
