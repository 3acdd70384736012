//! The worker loop: assemble finished operations, plan new ones, run chunks; sleep when idle.

use crate::executor::{ChunkOutcome, ChunkWork, Executor};
use crate::lines::{lines, ChunkPlanner};
use crate::result_line::push_error_line;
use crate::{Engine, OperationPlan};
use futures::StreamExt;
use md5::{Digest, Md5};
use std::sync::Arc;
use std::time::Duration;
use stevedore_blob::{BlobError, PutAttributes};
use stevedore_core::limits::MAX_STAGED_FILE_BYTES;
use stevedore_core::{ErrorCode, OperationId};
use stevedore_store::chunks::{ChunkClaim, ChunkOutput};
use stevedore_store::operations::PlanningLease;
use stevedore_store::Store;
use tokio_util::sync::CancellationToken;

/// Pause after a step failed for reasons outside the input (database or storage trouble).
const FAILURE_BACKOFF: Duration = Duration::from_millis(500);

impl<E: Executor> Engine<E> {
    pub(crate) async fn work(self: Arc<Self>, index: usize, shutdown: CancellationToken) {
        tracing::debug!(worker = index, owner = %self.owner, "worker started");
        while !shutdown.is_cancelled() {
            // Register for a wake-up before looking, so a notification between the look and
            // the wait is not missed.
            let notified = self.wake.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            match self.step().await {
                Ok(true) => continue,
                Ok(false) => {}
                Err(error) => {
                    tracing::warn!(worker = index, %error, "worker step failed");
                    tokio::time::sleep(FAILURE_BACKOFF).await;
                    continue;
                }
            }
            tokio::select! {
                () = &mut notified => {}
                () = tokio::time::sleep(self.config.idle_poll) => {}
                () = shutdown.cancelled() => {}
            }
        }
        tracing::debug!(worker = index, "worker stopped");
    }

    /// Does one unit of work; false when there was none.
    async fn step(&self) -> Result<bool, StepError> {
        let lease = self.lease_millis();
        self.sweep().await?;
        if let Some(id) = self.store.claim_assembly(&self.owner, lease).await? {
            self.assemble(id).await?;
            return Ok(true);
        }
        if let Some((id, lines_done)) = self.store.claim_failure(&self.owner, lease).await? {
            self.finish_failure(id, lines_done).await?;
            return Ok(true);
        }
        if let Some(id) = self.store.finish_cancellation().await? {
            tracing::info!(bulk_operation.id = %id, "bulk operation canceled");
            return Ok(true);
        }
        if let Some(planning) = self.store.claim_planning(&self.owner, lease).await? {
            self.plan(planning).await?;
            return Ok(true);
        }
        if let Some(claim) = self.store.claim_chunk(&self.owner, lease).await? {
            self.run_claimed(claim).await?;
            return Ok(true);
        }
        Ok(false)
    }

    fn lease_millis(&self) -> i64 {
        self.config.lease.as_millis() as i64
    }

    /// Reads the staged input once, start to end, and records where its chunks begin and end
    /// and which version of the object they belong to. An input that is gone, or is no longer
    /// the file that was admitted (its MD5 differs, where admission left one to check), fails
    /// the operation, as the hosted API fails an operation whose staged file changed.
    async fn plan(&self, planning: PlanningLease) -> Result<(), StepError> {
        let id = OperationId(planning.id);
        let Some(key) = planning.staged_upload_key.as_deref() else {
            return self.fail(id, "the operation has no staged input").await;
        };
        let (version, mut stream) = match self
            .blobs
            .get_stream(key, planning.input_etag.as_deref())
            .await
        {
            Ok(found) => found,
            Err(BlobError::NotFound(_)) => return self.fail(id, "the staged input is gone").await,
            Err(BlobError::Changed(_)) => {
                return self
                    .fail(id, "the staged input changed after admission")
                    .await
            }
            Err(error) => return Err(error.into()),
        };
        let mut planner = ChunkPlanner::new(self.config.chunk_limits);
        // Hashing 100 MB takes longer than finding its chunks: done only when asked for.
        let mut check = planning
            .input_md5_hex
            .as_deref()
            .map(|expected| (expected, Md5::new()));
        while let Some(piece) = stream.next().await {
            let piece = piece?;
            if let Some((_, hasher)) = check.as_mut() {
                hasher.update(&piece);
            }
            planner.feed(&piece);
        }
        let plan = planner.finish();
        if check.is_some_and(|(expected, hasher)| hex::encode(hasher.finalize()) != expected) {
            return self
                .fail(id, "the staged input is not the file that was uploaded")
                .await;
        }
        if plan.size > MAX_STAGED_FILE_BYTES {
            return self
                .fail(id, "the staged input grew past the size limit")
                .await;
        }
        if self
            .store
            .start_operation(
                id,
                &self.owner,
                plan.non_blank_lines,
                version.e_tag.as_deref(),
                &plan.chunks,
            )
            .await?
        {
            tracing::info!(bulk_operation.id = %id, lines = plan.non_blank_lines, chunks = plan.chunks.len(), "bulk operation running");
            self.wake();
        }
        Ok(())
    }

    /// Fails an operation whose input cannot be trusted any more, with the partial data of the
    /// lines it has done.
    async fn fail(&self, id: OperationId, reason: &str) -> Result<(), StepError> {
        tracing::error!(bulk_operation.id = %id, reason, "bulk operation failing");
        self.store
            .begin_failure(id, ErrorCode::InternalServerError, &self.owner)
            .await?;
        self.wake();
        Ok(())
    }

    /// The lifecycle's clock-driven changes, at most once a second per process: mutations
    /// running past their limit fail with TIMEOUT, and results kept past their seven days
    /// expire (their objects are removed).
    async fn sweep(&self) -> Result<(), StepError> {
        let now = self.store.now_millis();
        let due = self.next_sweep.load(std::sync::atomic::Ordering::Relaxed);
        if now < due
            || self
                .next_sweep
                .compare_exchange(
                    due,
                    now + 1000,
                    std::sync::atomic::Ordering::Relaxed,
                    std::sync::atomic::Ordering::Relaxed,
                )
                .is_err()
        {
            return Ok(());
        }
        let limit = stevedore_core::limits::mutation_run_limit().num_milliseconds();
        let timed_out = self.store.time_out_operations(now - limit).await?;
        if timed_out > 0 {
            tracing::warn!(
                operations = timed_out,
                "bulk operations ran past their time limit"
            );
            self.wake();
        }
        let kept = stevedore_core::limits::result_url_ttl().num_milliseconds();
        for expired in self.store.expired_results(now - kept).await? {
            // The object first: if removing it fails, the row still names it for the next sweep.
            match self.blobs.delete(&expired.key).await {
                Ok(()) => self.store.forget_result(expired.id).await?,
                Err(error) => {
                    tracing::warn!(blob.key = %expired.key, %error, "could not remove an expired result")
                }
            }
        }
        Ok(())
    }

    /// Assembles what a failing operation finished as its partial data, then fails it.
    async fn finish_failure(&self, id: OperationId, lines_done: u64) -> Result<(), StepError> {
        let partial = match lines_done > 0 {
            true => {
                let Some(shop_id) = self.store.operation_shop(id).await? else {
                    return Ok(());
                };
                let key = partial_result_key(shop_id, id);
                self.write_results(id, &key).await?;
                Some(key)
            }
            false => None,
        };
        if self
            .store
            .finish_failure(id, &self.owner, partial.as_deref(), lines_done)
            .await?
        {
            self.forget_plan(id);
            tracing::info!(bulk_operation.id = %id, partial_data = partial.is_some(), "bulk operation failed");
        }
        Ok(())
    }

    fn forget_plan(&self, id: OperationId) {
        self.plans
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(&id);
    }

    fn operation_plan(&self, id: OperationId) -> Option<Arc<OperationPlan<E::Prepared>>> {
        self.plans
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(&id)
            .cloned()
    }

    async fn load_plan(
        &self,
        id: OperationId,
    ) -> Result<Arc<OperationPlan<E::Prepared>>, StepError> {
        if let Some(plan) = self.operation_plan(id) {
            return Ok(plan);
        }
        let input = self.store.operation_input(id).await?;
        let plan = Arc::new(OperationPlan {
            prepared: self
                .executor
                .prepare(&input.query)
                .map_err(crate::Rejection::into_user_error),
            staged_key: input.staged_upload_key.unwrap_or_default(),
            input_etag: input.input_etag,
            scopes: stevedore_core::Scopes::parse(&input.access_scopes),
        });
        let mut plans = self
            .plans
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // Plans are small but operations are many over a process's life; forget old ones.
        if plans.len() >= 256 {
            plans.clear();
        }
        plans.insert(id, Arc::clone(&plan));
        Ok(plan)
    }

    /// Runs a claimed chunk. A failure that is not the chunk's fault gives the chunk back without
    /// counting the attempt; an input that changed or vanished fails the operation.
    async fn run_claimed(&self, claim: ChunkClaim) -> Result<(), StepError> {
        match self.run_chunk(&claim).await {
            Ok(()) => Ok(()),
            Err(StepError::Blob(error @ (BlobError::Changed(_) | BlobError::NotFound(_)))) => {
                let reason = match error {
                    BlobError::Changed(_) => "the staged input changed while running",
                    _ => "the staged input vanished while running",
                };
                // Nothing of the chunk ran; giving it back lets the failure finish at once.
                self.store.release_chunk(&claim, false).await?;
                self.fail(claim.operation_id, reason).await
            }
            Err(error) => {
                let count_attempt =
                    matches!(&error, StepError::Executor(error) if !error.transient);
                if let Err(release_error) = self.store.release_chunk(&claim, count_attempt).await {
                    tracing::warn!(%release_error, "could not give a chunk back; its lease will expire");
                }
                Err(error)
            }
        }
    }

    async fn run_chunk(&self, claim: &ChunkClaim) -> Result<(), StepError> {
        let claim = claim.clone();
        if claim.oversized {
            let message = format!(
                "The line is longer than the maximum of {} bytes.",
                self.config.chunk_limits.max_line_bytes
            );
            let outcome = self
                .commit_errors(&claim, std::iter::once(claim.first_line), &message)
                .await?;
            return self.after_chunk(&claim, outcome).await;
        }
        let plan = self.load_plan(claim.operation_id).await?;
        let range = claim.start_offset..claim.end_offset;
        let bytes = self
            .blobs
            .get_range(&plan.staged_key, range, plan.input_etag.as_deref())
            .await?;
        let chunk_lines: Vec<_> = lines(&bytes, claim.first_line).collect();

        let outcome = match &plan.prepared {
            Ok(prepared) if claim.attempts <= self.config.max_chunk_attempts => {
                let work = ChunkWork {
                    prepared,
                    claim: &claim,
                    scopes: &plan.scopes,
                    lines: chunk_lines,
                };
                self.with_lease_renewal(&claim, self.executor.run_chunk(work))
                    .await?
            }
            Ok(_) => {
                tracing::error!(bulk_operation.id = %claim.operation_id, chunk = claim.chunk_index, attempts = claim.attempts,
                    "chunk failed too often; answering its lines with errors");
                let message =
                    "The line could not be processed: its part of the input failed repeatedly.";
                self.commit_errors(&claim, chunk_lines.iter().map(|line| line.number), message)
                    .await?
            }
            // Validated at admission, so only a changed validator can land here.
            Err(error) => {
                self.commit_errors(
                    &claim,
                    chunk_lines.iter().map(|line| line.number),
                    &error.message,
                )
                .await?
            }
        };
        self.after_chunk(&claim, outcome).await
    }

    async fn after_chunk(
        &self,
        claim: &ChunkClaim,
        outcome: ChunkOutcome,
    ) -> Result<(), StepError> {
        match outcome {
            ChunkOutcome::Committed { .. } => {
                if !self.store.has_pending_chunks(claim.operation_id).await? {
                    self.wake();
                }
            }
            ChunkOutcome::LeaseLost => {
                tracing::warn!(bulk_operation.id = %claim.operation_id, chunk = claim.chunk_index, "lease lost; chunk left to its new holder");
            }
        }
        Ok(())
    }

    /// Keeps the chunk's lease alive while `work` runs. The renewals run in a task of their own:
    /// on SQLite the chunk's own transaction holds the write lock, so a renewal may wait for it,
    /// and that wait must never hold up the work itself.
    async fn with_lease_renewal<T>(
        &self,
        claim: &ChunkClaim,
        work: impl std::future::Future<Output = T>,
    ) -> T {
        let store = self.store.clone();
        let (claim, lease, period) = (claim.clone(), self.lease_millis(), self.config.lease / 3);
        let renewals = tokio::spawn(async move {
            let mut ticks = tokio::time::interval(period);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ticks.tick().await;
            loop {
                ticks.tick().await;
                match store.renew_chunk_lease(&claim, lease).await {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!(bulk_operation.id = %claim.operation_id, chunk = claim.chunk_index, "lease taken over while running");
                        return;
                    }
                    Err(error) => tracing::warn!(%error, "could not renew a chunk lease"),
                }
            }
        });
        let result = work.await;
        renewals.abort();
        result
    }

    async fn commit_errors(
        &self,
        claim: &ChunkClaim,
        line_numbers: impl Iterator<Item = u64>,
        message: &str,
    ) -> Result<ChunkOutcome, StepError> {
        let mut output = ChunkOutput::default();
        for number in line_numbers {
            push_error_line(&mut output.jsonl, message, number);
            output.lines += 1;
            output.error_lines += 1;
        }
        let output = output.seal();
        let mut tx = self.store.begin_write().await?;
        if !Store::commit_chunk(&mut tx, claim, &output).await? {
            return Ok(ChunkOutcome::LeaseLost);
        }
        tx.commit()
            .await
            .map_err(stevedore_store::StoreError::from)?;
        Ok(output.into())
    }

    /// Concatenates the chunk results, in order, into the result object, then completes the
    /// operation. Re-running after a crash rewrites the same object from the same rows.
    async fn assemble(&self, id: OperationId) -> Result<(), StepError> {
        let Some(shop_id) = self.store.operation_shop(id).await? else {
            return Ok(());
        };
        let key = result_key(shop_id, id);
        let size = self.write_results(id, &key).await?;
        if self
            .store
            .complete_operation(id, &self.owner, &key, size)
            .await?
        {
            self.forget_plan(id);
            tracing::info!(bulk_operation.id = %id, bytes = size, "bulk operation completed");
        }
        Ok(())
    }

    /// Writes the committed chunk results, in line order, to `key`; returns its size. Re-running
    /// after a crash rewrites the same object from the same rows.
    async fn write_results(&self, id: OperationId, key: &str) -> Result<u64, StepError> {
        let results = self.store.chunk_results(id);
        let stream = futures::stream::try_unfold(results, |mut results| async move {
            Ok::<_, stevedore_store::StoreError>(
                results
                    .next()
                    .await?
                    .map(|bytes| (bytes::Bytes::from(bytes), results)),
            )
        });
        // Served straight from a bucket, the object carries the headers the server would send.
        let attributes = PutAttributes {
            content_type: Some("application/jsonl".to_owned()),
            content_disposition: Some(format!("attachment; filename=\"bulk-{id}.jsonl\"")),
        };
        let stored = self
            .blobs
            .put_stream_with(key, Box::pin(stream), u64::MAX, &attributes)
            .await?;
        Ok(stored.size)
    }
}

/// Where an operation's result JSONL is stored.
pub fn result_key(shop_id: stevedore_core::ShopId, id: OperationId) -> String {
    format!("results/{shop_id}/{id}/bulk-{id}.jsonl")
}

/// Where a failed operation's partial data is stored.
pub fn partial_result_key(shop_id: stevedore_core::ShopId, id: OperationId) -> String {
    format!("results/{shop_id}/{id}/partial/bulk-{id}.jsonl")
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum StepError {
    #[error(transparent)]
    Store(#[from] stevedore_store::StoreError),
    #[error(transparent)]
    Blob(#[from] stevedore_blob::BlobError),
    #[error(transparent)]
    Executor(#[from] crate::executor::ExecutorError),
}
