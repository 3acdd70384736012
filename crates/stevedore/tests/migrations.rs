//! Each part of the schema (the store's tables, the catalog's) runs its own migrations over the
//! one database, in a range of versions of its own; a database that a newer build migrated is
//! refused instead of being used with a schema this build does not know.

mod support;

use std::sync::Arc;
use stevedore_store::StoreError;
use support::Backend;

#[tokio::test]
async fn each_part_migrates_once_and_refuses_a_migration_it_does_not_know() {
    let backend = Backend::fresh().await;
    let dir = tempfile::tempdir().unwrap();
    let clock: Arc<dyn stevedore_core::Clock> = Arc::new(stevedore_core::SystemClock);
    let store = backend.open_store(dir.path(), clock.clone()).await;
    stevedore_catalog::migrate(&store).await.unwrap();
    // Again, as every start does: nothing left to apply.
    stevedore_catalog::migrate(&store).await.unwrap();
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
            .fetch_all(store.pool())
            .await
            .unwrap();
    assert!(applied.contains(&1), "{applied:?}");
    assert!(applied.contains(&1000), "{applied:?}");

    // A newer build's catalog migration.
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (1999, 'from a newer build', $1, $2, 0)",
    )
    .bind(true)
    .bind(vec![0u8; 48])
    .execute(store.pool())
    .await
    .unwrap();
    match stevedore_catalog::migrate(&store).await {
        Err(StoreError::NewerSchema { part, version }) => {
            assert_eq!((part, version), ("catalog", 1999));
        }
        other => panic!("not refused: {other:?}"),
    }
    // The store's own part does not count the catalog's versions as its own.
    drop(store);
    backend.open_store(dir.path(), clock).await;
}
