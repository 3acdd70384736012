//! Chunks: claimed by workers under a lease, committed with a fencing token together with the
//! catalog writes they caused, read back in order by the assembler.

use crate::{AnyConnection, Result, Store};
pub use cursor::ChunkResults;
use stevedore_core::{OperationId, ShopId};

/// A chunk this worker holds. `fence` increases on every claim, so a commit carrying an older
/// fence (from a worker whose lease expired and was taken over) changes nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkClaim {
    pub operation_id: OperationId,
    pub chunk_index: i64,
    pub shop_id: ShopId,
    pub start_offset: u64,
    pub end_offset: u64,
    pub first_line: u64,
    /// One line too long to run; answer it without reading it.
    pub oversized: bool,
    pub fence: i64,
    pub attempts: i64,
}

#[derive(sqlx::FromRow)]
struct ClaimRow {
    operation_id: i64,
    chunk_index: i64,
    shop_id: i64,
    start_offset: i64,
    end_offset: i64,
    first_line: i64,
    oversized: i64,
    fence: i64,
    attempts: i64,
}

/// What a chunk produced: its result JSONL (one line per non-blank input line) and counts.
#[derive(Debug, Clone, Default)]
pub struct ChunkOutput {
    pub jsonl: Vec<u8>,
    pub lines: u64,
    pub error_lines: u64,
}

/// How a chunk's result lines are stored in its row.
///
/// Result lines repeat themselves (the same keys, ids that differ in a few digits), and every
/// byte of them goes through SQLite's write-ahead log twice, under the one write lock. LZ4
/// stores 4,000 `productCreate` answers (470 KB) in 41 KB, and is fast enough to run on every
/// chunk; it runs before the chunk's transaction begins, so no writer waits for it.
const LZ4: &str = "lz4";

/// A chunk's output ready to commit: its result lines compressed. Made with
/// [`ChunkOutput::seal`] before the chunk's transaction, so no writer waits for the compression.
#[derive(Debug, Clone)]
pub struct SealedOutput {
    result: Vec<u8>,
    pub lines: u64,
    pub error_lines: u64,
}

impl ChunkOutput {
    pub fn seal(self) -> SealedOutput {
        SealedOutput {
            result: lz4_flex::compress_prepend_size(&self.jsonl),
            lines: self.lines,
            error_lines: self.error_lines,
        }
    }
}

/// A chunk's result lines as committed. Rows committed before results were compressed have no
/// codec and hold the lines as they are.
fn result_lines(result: Option<Vec<u8>>, codec: Option<&str>) -> Result<Vec<u8>, String> {
    match (result, codec) {
        (None, _) => Ok(Vec::new()),
        (Some(raw), None) => Ok(raw),
        (Some(compressed), Some(LZ4)) => lz4_flex::decompress_size_prepended(&compressed)
            .map_err(|error| format!("a chunk result does not decompress: {error}")),
        (Some(_), Some(other)) => Err(format!("a chunk result has the unknown codec {other:?}")),
    }
}

impl Store {
    /// Claims one runnable chunk of a RUNNING operation (never claimed, or its lease expired),
    /// fairly: the shop served longest ago first, then that shop's operation served longest ago,
    /// then the operation's next chunk in input order. One shop's five huge operations thus take
    /// turns with another shop's small one instead of running first to last ahead of it.
    pub async fn claim_chunk(&self, owner: &str, lease_millis: i64) -> Result<Option<ChunkClaim>> {
        const RUNNABLE: &str = "c.done = 0 AND (c.lease_until IS NULL OR c.lease_until < $1)";
        let now = self.now_millis();
        // The operations with runnable chunks, in the order they are to be served: a sort of
        // the running operations, not of every chunk they have.
        let candidates_sql = format!(
            "SELECT o.id FROM bulk_operations o JOIN shops s ON s.id = o.shop_id
             WHERE o.status = 'RUNNING' AND o.pending_error_code IS NULL
               AND EXISTS (SELECT 1 FROM bulk_chunks c WHERE c.operation_id = o.id AND {RUNNABLE})
             ORDER BY s.claim_turn, o.claim_turn, o.id LIMIT 8"
        );
        // A read first: idle workers ask often, and should not queue for SQLite's write lock.
        let any: Vec<i64> = sqlx::query_scalar(&candidates_sql)
            .bind(now)
            .fetch_all(self.pool())
            .await?;
        if any.is_empty() {
            return Ok(None);
        }
        let mut tx = self.begin_write().await?;
        let candidates: Vec<i64> = sqlx::query_scalar(&candidates_sql)
            .bind(now)
            .fetch_all(&mut *tx)
            .await?;
        let mut picked = None;
        for operation_id in candidates {
            // On Postgres a chunk another worker is claiming right now is skipped, not waited for.
            let chunk: Option<i64> = sqlx::query_scalar(&format!(
                "SELECT c.chunk_index FROM bulk_chunks c
                 WHERE c.operation_id = $2 AND {RUNNABLE}
                   AND EXISTS (SELECT 1 FROM bulk_operations o WHERE o.id = c.operation_id
                                 AND o.status = 'RUNNING' AND o.pending_error_code IS NULL)
                 ORDER BY c.chunk_index LIMIT 1{}",
                self.dialect.skip_locked("c")
            ))
            .bind(now)
            .bind(operation_id)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(chunk_index) = chunk {
                picked = Some((operation_id, chunk_index));
                break;
            }
        }
        let Some((operation_id, chunk_index)) = picked else {
            return Ok(None);
        };
        let row: ClaimRow = sqlx::query_as(
            "UPDATE bulk_chunks SET lease_owner = $1, lease_until = $2, fence = fence + 1, attempts = attempts + 1
             WHERE operation_id = $3 AND chunk_index = $4
             RETURNING operation_id, chunk_index, shop_id, start_offset, end_offset, first_line, oversized, fence, attempts",
        )
        .bind(owner)
        .bind(now + lease_millis)
        .bind(operation_id)
        .bind(chunk_index)
        .fetch_one(&mut *tx)
        .await?;
        let turn: i64 = sqlx::query_scalar(&format!(
            "UPDATE shops SET claim_turn = {} WHERE id = $1 RETURNING claim_turn",
            self.dialect.next_claim_turn()
        ))
        .bind(row.shop_id)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("UPDATE bulk_operations SET claim_turn = $1 WHERE id = $2")
            .bind(turn)
            .bind(operation_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(ChunkClaim {
            operation_id: OperationId(row.operation_id),
            chunk_index: row.chunk_index,
            shop_id: ShopId(row.shop_id),
            start_offset: row.start_offset as u64,
            end_offset: row.end_offset as u64,
            first_line: row.first_line as u64,
            oversized: row.oversized != 0,
            fence: row.fence,
            attempts: row.attempts,
        }))
    }

    /// Extends the lease of a chunk still held under `claim.fence`. False if it was taken over.
    pub async fn renew_chunk_lease(&self, claim: &ChunkClaim, lease_millis: i64) -> Result<bool> {
        let renewed = sqlx::query(
            // An operation on its way to failing waits for its chunks in flight; a chunk that
            // runs on and on must not hold that up past one lease period.
            "UPDATE bulk_chunks SET lease_until = $1 WHERE operation_id = $2 AND chunk_index = $3 AND fence = $4 AND done = 0
               AND NOT EXISTS (SELECT 1 FROM bulk_operations o WHERE o.id = bulk_chunks.operation_id
                                 AND o.pending_error_code IS NOT NULL)",
        )
        .bind(self.now_millis() + lease_millis)
        .bind(claim.operation_id.0)
        .bind(claim.chunk_index)
        .bind(claim.fence)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(renewed == 1)
    }

    /// Gives a claimed chunk back at once. A failure that was not the chunk's fault (storage or
    /// database trouble, a lost race) does not count against it; one that will recur does, so
    /// that the chunk ends with error lines once it has used up its attempts.
    pub async fn release_chunk(&self, claim: &ChunkClaim, count_attempt: bool) -> Result<()> {
        sqlx::query(
            "UPDATE bulk_chunks SET lease_owner = NULL, lease_until = NULL, attempts = attempts - $1
             WHERE operation_id = $2 AND chunk_index = $3 AND fence = $4 AND done = 0",
        )
        .bind(i64::from(!count_attempt))
        .bind(claim.operation_id.0)
        .bind(claim.chunk_index)
        .bind(claim.fence)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Records a chunk's results inside the caller's transaction, which also holds the chunk's
    /// catalog writes. Returns false if the fence is stale: the caller must roll back.
    pub async fn commit_chunk(
        conn: &mut AnyConnection,
        claim: &ChunkClaim,
        output: &SealedOutput,
    ) -> Result<bool> {
        let committed = sqlx::query(
            "UPDATE bulk_chunks SET done = 1, result = $1, result_codec = $7, result_lines = $2, error_lines = $3,
                 lease_owner = NULL, lease_until = NULL
             WHERE operation_id = $4 AND chunk_index = $5 AND fence = $6 AND done = 0",
        )
        .bind(&output.result)
        .bind(output.lines as i64)
        .bind(output.error_lines as i64)
        .bind(claim.operation_id.0)
        .bind(claim.chunk_index)
        .bind(claim.fence)
        .bind(LZ4)
        .execute(&mut *conn)
        .await?
        .rows_affected()
            == 1;
        if committed {
            sqlx::query(
                "UPDATE bulk_operations SET object_count = object_count + $1, root_object_count = root_object_count + $1
                 WHERE id = $2",
            )
            .bind(output.lines as i64)
            .bind(claim.operation_id.0)
            .execute(&mut *conn)
            .await?;
        }
        Ok(committed)
    }

    /// Whether any chunk of the operation is still to run.
    pub async fn has_pending_chunks(&self, id: OperationId) -> Result<bool> {
        let pending: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM bulk_chunks WHERE operation_id = $1 AND done = 0 LIMIT 1",
        )
        .bind(id.0)
        .fetch_optional(self.pool())
        .await?;
        Ok(pending.is_some())
    }

    /// The operation's chunk results in input order, one chunk at a time, so assembling a
    /// million-line result never holds more than one chunk in memory.
    pub fn chunk_results(&self, id: OperationId) -> ChunkResults {
        ChunkResults {
            store: self.clone(),
            operation_id: id,
            next_index: 0,
        }
    }
}

mod cursor {
    use super::*;

    /// A cursor over an operation's chunk results, in chunk order.
    pub struct ChunkResults {
        pub(super) store: Store,
        pub(super) operation_id: OperationId,
        pub(super) next_index: i64,
    }

    impl ChunkResults {
        pub async fn next(&mut self) -> Result<Option<Vec<u8>>> {
            let row: Option<(i64, Option<Vec<u8>>, Option<String>)> = sqlx::query_as(
                "SELECT chunk_index, result, result_codec FROM bulk_chunks
                 WHERE operation_id = $1 AND chunk_index >= $2
                 ORDER BY chunk_index LIMIT 1",
            )
            .bind(self.operation_id.0)
            .bind(self.next_index)
            .fetch_optional(self.store.pool())
            .await?;
            let Some((index, result, codec)) = row else {
                return Ok(None);
            };
            self.next_index = index + 1;
            result_lines(result, codec.as_deref())
                .map(Some)
                .map_err(crate::StoreError::Corrupt)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A chunk's worth of the usual `productCreate` answers.
    fn answers(lines: u64) -> ChunkOutput {
        let mut jsonl = Vec::new();
        for number in 0..lines {
            jsonl.extend_from_slice(
                format!(
                    "{{\"data\":{{\"productCreate\":{{\"product\":{{\"id\":\"gid:\\/\\/shopify\\/Product\\/{}\"}},\"userErrors\":[]}}}},\"__lineNumber\":{number}}}\n",
                    1_000_000 + number
                )
                .as_bytes(),
            );
        }
        ChunkOutput {
            jsonl,
            lines,
            error_lines: 0,
        }
    }

    #[test]
    fn sealed_results_read_back_as_they_were_and_much_smaller() {
        let output = answers(4000);
        let jsonl = output.jsonl.clone();
        let sealed = output.seal();
        assert_eq!((sealed.lines, sealed.error_lines), (4000, 0));
        assert!(
            sealed.result.len() * 5 < jsonl.len(),
            "{} bytes stored for {}",
            sealed.result.len(),
            jsonl.len()
        );
        assert_eq!(result_lines(Some(sealed.result), Some(LZ4)).unwrap(), jsonl);
    }

    #[test]
    fn a_chunk_without_lines_seals_and_reads_back_empty() {
        let sealed = ChunkOutput::default().seal();
        assert_eq!(result_lines(Some(sealed.result), Some(LZ4)).unwrap(), b"");
    }

    #[test]
    fn rows_committed_before_compression_read_as_they_are() {
        let jsonl = answers(3).jsonl;
        assert_eq!(result_lines(Some(jsonl.clone()), None).unwrap(), jsonl);
        assert_eq!(result_lines(None, None).unwrap(), b"");
    }

    #[test]
    fn a_damaged_or_unknown_result_is_an_error_not_a_panic() {
        let mut sealed = answers(100).seal().result;
        sealed.truncate(sealed.len() / 2);
        assert!(result_lines(Some(sealed), Some(LZ4)).is_err());
        assert!(result_lines(Some(vec![0xff; 8]), Some(LZ4)).is_err());
        assert!(result_lines(Some(b"x".to_vec()), Some("zstd")).is_err());
    }
}
