//! The bulk-operation engine: admission of new operations (coordinator), planning an input
//! into chunks, workers that claim chunks under a lease and hand them to an executor, and the
//! assembler that writes the result JSONL once every chunk is committed.
//!
//! All state lives in the store, so any number of engine processes can share one database;
//! a crash at any point leaves work that another (or the restarted) process picks up.

pub mod coordinator;
pub mod executor;
pub mod lines;
pub mod result_line;
mod worker;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use stevedore_blob::BlobStore;
use stevedore_core::OperationId;
use stevedore_store::Store;
use tokio::sync::Notify;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub use coordinator::{AdmissionError, RunMutation};
pub use executor::{ChunkOutcome, ChunkWork, Executor, ExecutorError, Rejection};
pub use lines::ChunkLimits;

#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Worker tasks in this process.
    pub workers: usize,
    pub chunk_limits: ChunkLimits,
    /// How long a claim lasts without renewal; renewed at a third of it while work runs.
    pub lease: Duration,
    /// How often idle workers look for work that another process created.
    pub idle_poll: Duration,
    /// Attempts after which a chunk's lines are answered with errors instead of run again,
    /// so that one poisonous chunk cannot crash every worker in turn.
    pub max_chunk_attempts: i64,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            workers: 2,
            chunk_limits: ChunkLimits {
                // A commit costs a few milliseconds however many lines it holds (on SQLite the
                // commit and its share of WAL checkpoints): a 500,000-line import ran about a
                // fifth faster with 4,000 lines a chunk than with 1,000.
                max_lines: 4000,
                max_bytes: 1 << 20,
                max_line_bytes: stevedore_core::limits::MAX_LINE_BYTES,
            },
            lease: Duration::from_secs(30),
            idle_poll: Duration::from_millis(250),
            max_chunk_attempts: 5,
        }
    }
}

/// A validated document and the input it runs over, cached per operation in each process.
struct OperationPlan<P> {
    prepared: Result<P, stevedore_core::BulkUserError>,
    staged_key: String,
    /// The version of the staged object the plan was made from.
    input_etag: Option<String>,
    /// What the lines may do: the scopes of the token that started the operation.
    scopes: stevedore_core::Scopes,
}

pub struct Engine<E: Executor> {
    store: Store,
    blobs: BlobStore,
    executor: Arc<E>,
    config: EngineConfig,
    owner: String,
    wake: Notify,
    plans: Mutex<HashMap<OperationId, Arc<OperationPlan<E::Prepared>>>>,
    /// When (store clock, epoch ms) this process next looks for timed-out and expired
    /// operations.
    next_sweep: std::sync::atomic::AtomicI64,
}

impl<E: Executor> Engine<E> {
    pub fn new(
        store: Store,
        blobs: BlobStore,
        executor: Arc<E>,
        config: EngineConfig,
    ) -> Arc<Self> {
        let owner = format!("{}-{}", std::process::id(), uuid::Uuid::new_v4().simple());
        Arc::new(Self {
            store,
            blobs,
            executor,
            config,
            owner,
            wake: Notify::new(),
            plans: Mutex::new(HashMap::new()),
            next_sweep: std::sync::atomic::AtomicI64::new(0),
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn blobs(&self) -> &BlobStore {
        &self.blobs
    }

    /// Tells idle workers in this process that there may be work.
    pub fn wake(&self) {
        self.wake.notify_waiters();
    }

    /// Starts the worker tasks; they stop when `shutdown` is cancelled, finishing the step in hand.
    pub fn spawn_workers(self: &Arc<Self>, shutdown: CancellationToken) -> JoinSet<()> {
        let mut workers = JoinSet::new();
        for index in 0..self.config.workers.max(1) {
            let engine = Arc::clone(self);
            let shutdown = shutdown.clone();
            workers.spawn(async move { engine.work(index, shutdown).await });
        }
        workers
    }

    /// When this process is the only engine on its database (the embedded default), leases held
    /// by an earlier run of it belong to nobody: free them so a restart resumes at once instead of
    /// waiting for them to expire.
    pub async fn release_abandoned_leases(&self) -> Result<(), stevedore_store::StoreError> {
        self.store.release_all_leases().await
    }
}
