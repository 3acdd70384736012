//! How chunks are handed out, on the store the tests run on: fairly across shops and
//! operations, and never to two holders at once — a lease that runs out is taken over, and the
//! old holder can neither renew it nor commit under it.

mod support;

use std::sync::Arc;
use stevedore_core::{ManualClock, OperationId, OperationType, ShopId};
use stevedore_store::chunks::{ChunkClaim, ChunkOutput};
use stevedore_store::operations::{ChunkPlan, NewOperation};
use stevedore_store::{Dialect, Store};
use support::Backend;

async fn shop(store: &Store, domain: &str) -> ShopId {
    store
        .create_shop_token(domain, &format!("shpat_{domain}"), &[], "hush", false)
        .await
        .unwrap()
        .id
}

fn new_operation(shop_id: ShopId, chunks: u64) -> NewOperation {
    NewOperation {
        shop_id,
        operation_type: OperationType::Mutation,
        query: support::PRODUCT_CREATE.to_owned(),
        api_version: "2026-01".to_owned(),
        client_identifier: None,
        staged_upload_key: Some(format!("tmp/{shop_id}/bulk/x/f.jsonl")),
        input_size: Some(chunks * 100),
        input_md5_hex: None,
        input_etag: None,
        access_scopes: "write_products".to_owned(),
    }
}

/// Admits an operation of `chunks` ten-line chunks and plans it, as a worker would.
async fn running_operation(store: &Store, shop_id: ShopId, chunks: u64) -> OperationId {
    let new = new_operation(shop_id, chunks);
    let operation = store.admit_operation(&new, 100).await.unwrap().unwrap();
    let planning = store
        .claim_planning("planner", 30_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(planning.id, operation.id.0);
    let plan: Vec<ChunkPlan> = (0..chunks)
        .map(|index| ChunkPlan {
            start_offset: index * 100,
            end_offset: (index + 1) * 100,
            first_line: index * 10,
            oversized: false,
        })
        .collect();
    assert!(store
        .start_operation(operation.id, "planner", chunks * 10, None, &plan)
        .await
        .unwrap());
    operation.id
}

/// A migrated store on the backend the tests run on, with a clock the test moves.
async fn store_with_clock() -> (tempfile::TempDir, ManualClock, Store) {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(chrono::Utc::now());
    let store = Backend::fresh()
        .await
        .open_store(dir.path(), Arc::new(clock.clone()))
        .await;
    (dir, clock, store)
}

/// Commits a claimed chunk with ten result lines, as an executor would; false if the claim
/// was no longer current.
async fn commit(store: &Store, claim: &ChunkClaim) -> bool {
    let output = ChunkOutput {
        jsonl: b"{}\n".repeat(10),
        lines: 10,
        error_lines: 0,
    }
    .seal();
    let mut tx = store.begin_write().await.unwrap();
    let committed = Store::commit_chunk(&mut tx, claim, &output).await.unwrap();
    tx.commit().await.unwrap();
    committed
}

#[tokio::test]
async fn a_small_operation_of_another_shop_is_served_between_five_large_ones() {
    let (_dir, _clock, store) = store_with_clock().await;
    let busy = shop(&store, "busy.myshopify.com").await;
    let mut large = Vec::new();
    for _ in 0..5 {
        large.push(running_operation(&store, busy, 40).await);
    }
    let quiet = shop(&store, "quiet.myshopify.com").await;
    // Ten chunks of ten lines, so it needs ten turns of its own.
    let small = running_operation(&store, quiet, 10).await;

    let mut turns = Vec::new();
    while let Some(claim) = store.claim_chunk("worker", 30_000).await.unwrap() {
        assert!(commit(&store, &claim).await);
        turns.push(claim.operation_id);
    }
    assert_eq!(turns.len(), 5 * 40 + 10, "every chunk is handed out once");

    // The quiet shop gets every other turn while it has work: its last chunk comes by turn 20,
    // not after the busy shop's 200.
    let last_small_turn = turns.iter().rposition(|id| *id == small).unwrap();
    assert!(
        last_small_turn < 20,
        "the small operation finished at turn {last_small_turn}: {turns:?}"
    );
    // Within the busy shop, its operations take turns too: in its first ten turns each of
    // its five operations is served twice.
    let busy_turns: Vec<_> = turns.iter().filter(|id| **id != small).take(10).collect();
    for operation in &large {
        assert_eq!(
            busy_turns.iter().filter(|id| **id == operation).count(),
            2,
            "{busy_turns:?}"
        );
    }
}

#[tokio::test]
async fn an_expired_lease_is_taken_over_and_the_old_holder_cannot_commit() {
    let (_dir, clock, store) = store_with_clock().await;
    let shop_id = shop(&store, "lease.myshopify.com").await;
    let operation = running_operation(&store, shop_id, 1).await;

    let old = store.claim_chunk("old", 1_000).await.unwrap().unwrap();
    assert_eq!(old.operation_id, operation);
    assert_eq!(
        store.claim_chunk("new", 1_000).await.unwrap(),
        None,
        "a held chunk is not handed out again"
    );
    assert!(store.renew_chunk_lease(&old, 1_000).await.unwrap());

    clock.advance(chrono::TimeDelta::milliseconds(1_001));
    let new = store.claim_chunk("new", 1_000).await.unwrap().unwrap();
    assert_eq!(
        (new.operation_id, new.chunk_index),
        (old.operation_id, old.chunk_index)
    );
    assert!(new.fence > old.fence);
    assert_eq!(new.attempts, old.attempts + 1);

    assert!(
        !store.renew_chunk_lease(&old, 1_000).await.unwrap(),
        "the old holder cannot renew"
    );
    assert!(
        !commit(&store, &old).await,
        "the old holder's late commit is rejected"
    );
    assert!(commit(&store, &new).await, "the new holder commits");
    let counted = store.operation(shop_id, operation).await.unwrap().unwrap();
    assert_eq!(counted.object_count, 10, "the chunk's lines count once");
    assert!(
        !commit(&store, &new).await,
        "a chunk commits once, even for its holder"
    );
}

#[tokio::test]
async fn admission_does_not_wait_for_the_shops_running_chunks() {
    let (_dir, _clock, store) = store_with_clock().await;
    if store.dialect() != Dialect::Postgres {
        // SQLite has one writer: an open chunk holds every other write back by design.
        eprintln!("skipped on SQLite: one writer at a time");
        return;
    }
    let shop_id = shop(&store, "busy.myshopify.com").await;
    // A chunk mid-run: its transaction has written a product of the shop and not committed.
    let mut chunk = store.begin_write().await.unwrap();
    sqlx::query(
        "INSERT INTO products (shop_id, title, handle, created_at, updated_at) VALUES ($1, 'Board', 'board', 0, 0)",
    )
    .bind(shop_id.0)
    .execute(&mut *chunk)
    .await
    .unwrap();

    let admitted = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        store.admit_operation(&new_operation(shop_id, 1), 5),
    )
    .await
    .expect("admission goes ahead while the shop's chunk is open");
    assert!(admitted.unwrap().is_ok());
    let subscribed = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        store.create_subscription(
            shop_id,
            "BULK_OPERATIONS_FINISH",
            "2026-01",
            &stevedore_store::webhooks::SubscriptionFields {
                uri: Some("https://example.com/hooks".to_owned()),
                ..Default::default()
            },
        ),
    )
    .await
    .expect("so does a webhook subscription");
    assert!(subscribed.unwrap().is_ok());
    chunk.rollback().await.unwrap();
}
