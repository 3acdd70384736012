//! Which database and blob store a test runs on. SQLite and a local folder by default; with
//! `STEVEDORE_TEST_DATABASE_URL` (a Postgres URL) and/or `STEVEDORE_TEST_BLOB_URL` (an `s3://`
//! bucket URL) set, the same tests run on Postgres and S3, each test in a fresh schema and a
//! fresh key prefix so runs never see each other's rows or objects.

use sqlx::Connection;

#[derive(Clone, Debug, Default)]
pub struct Backend {
    /// None: the SQLite file in the data directory.
    pub database_url: Option<String>,
    /// None: the blob folder in the data directory.
    pub blob_url: Option<String>,
}

impl Backend {
    /// A fresh backend as the environment asks for.
    pub async fn fresh() -> Self {
        let unique = uuid::Uuid::new_v4().simple().to_string();
        let database_url = match std::env::var("STEVEDORE_TEST_DATABASE_URL") {
            Ok(base) if !base.is_empty() => Some(fresh_schema(&base, &unique).await),
            _ => None,
        };
        let blob_url = match std::env::var("STEVEDORE_TEST_BLOB_URL") {
            Ok(base) if !base.is_empty() => {
                Some(format!("{}/test-{unique}", base.trim_end_matches('/')))
            }
            _ => None,
        };
        Self {
            database_url,
            blob_url,
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.database_url.is_some()
    }

    pub fn is_s3(&self) -> bool {
        self.blob_url.is_some()
    }

    /// Opens this backend's database directly (migrated), for tests of the store itself.
    pub async fn open_store(
        &self,
        data_dir: &std::path::Path,
        clock: std::sync::Arc<dyn stevedore_core::Clock>,
    ) -> stevedore_store::Store {
        match &self.database_url {
            Some(url) => stevedore_store::Store::open_url(url, clock, 8).await,
            None => {
                stevedore_store::Store::open_sqlite(&data_dir.join("stevedore.db"), clock, 8).await
            }
        }
        .unwrap()
    }

    /// Command-line flags that point a `stevedore` process at this backend.
    pub fn args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(url) = &self.database_url {
            args.extend(["--database-url".to_owned(), url.clone()]);
        }
        if let Some(url) = &self.blob_url {
            args.extend(["--blob-url".to_owned(), url.clone()]);
        }
        args
    }
}

/// Creates a schema of its own for one test and returns a URL whose connections use it.
async fn fresh_schema(base: &str, unique: &str) -> String {
    let schema = format!("stevedore_test_{unique}");
    let mut conn = sqlx::PgConnection::connect(base)
        .await
        .unwrap_or_else(|error| {
            panic!("STEVEDORE_TEST_DATABASE_URL is set but unreachable: {error}")
        });
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let separator = if base.contains('?') { '&' } else { '?' };
    format!("{base}{separator}options=-c%20search_path%3D{schema}")
}
