//! Bulk operations: admission under the per-shop cap, reads for polling, and the
//! operation-level steps (planning, assembly) that one process at a time holds by lease.

use crate::{AnyConnection, Result, Store, StoreError};
use stevedore_core::clock::from_millis;
use stevedore_core::{BulkOperation, OperationId, OperationType, ShopId};

const COLUMNS: &str =
    "id, shop_id, operation_type, status, error_code, query, created_at, completed_at, \
     object_count, root_object_count, file_size, result_key, partial_result_key";

#[derive(sqlx::FromRow)]
struct OperationRow {
    id: i64,
    shop_id: i64,
    operation_type: String,
    status: String,
    error_code: Option<String>,
    query: String,
    created_at: i64,
    completed_at: Option<i64>,
    object_count: i64,
    root_object_count: i64,
    file_size: Option<i64>,
    result_key: Option<String>,
    partial_result_key: Option<String>,
}

impl TryFrom<OperationRow> for BulkOperation {
    type Error = StoreError;

    fn try_from(row: OperationRow) -> Result<Self> {
        Ok(BulkOperation {
            id: OperationId(row.id),
            shop_id: ShopId(row.shop_id),
            operation_type: row.operation_type.parse()?,
            status: row.status.parse()?,
            error_code: row.error_code.map(|code| code.parse()).transpose()?,
            query: row.query,
            created_at: from_millis(row.created_at),
            completed_at: row.completed_at.map(from_millis),
            object_count: row.object_count as u64,
            root_object_count: row.root_object_count as u64,
            file_size: row.file_size.map(|size| size as u64),
            result_key: row.result_key,
            partial_result_key: row.partial_result_key,
        })
    }
}

/// What `bulkOperationRunMutation` admits, once validated.
#[derive(Debug, Clone)]
pub struct NewOperation {
    pub shop_id: ShopId,
    pub operation_type: OperationType,
    pub query: String,
    pub api_version: String,
    pub client_identifier: Option<String>,
    pub staged_upload_key: Option<String>,
    pub input_size: Option<u64>,
    /// The MD5 the input must have, checked when the operation is planned: that of an upload
    /// whose object was replaced by other means before admission. Absent when there is nothing
    /// to check against, or no need (the admitted version is the one the upload stored).
    pub input_md5_hex: Option<String>,
    /// The staged object's version when it was admitted; the operation runs over exactly it.
    pub input_etag: Option<String>,
    /// The scopes of the token that starts it, comma-separated; its lines run with them.
    pub access_scopes: String,
}

/// A result object kept past its seven days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiredResult {
    pub id: OperationId,
    pub key: String,
}

/// Admission refused: the shop already has `cap` non-terminal operations of this type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InProgress {
    pub running: Vec<OperationId>,
}

/// An operation whose planning step this process holds.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PlanningLease {
    pub id: i64,
    pub staged_upload_key: Option<String>,
    /// The MD5 the staged file must have, when admission could not take it on trust.
    pub input_md5_hex: Option<String>,
    /// The staged object's version when the operation was admitted.
    pub input_etag: Option<String>,
}

/// What workers need to run an operation's chunks.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OperationInput {
    pub query: String,
    pub staged_upload_key: Option<String>,
    pub input_etag: Option<String>,
    /// Comma-separated, as recorded at admission.
    pub access_scopes: String,
}

/// One planned chunk: a byte range of the input holding whole lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkPlan {
    pub start_offset: u64,
    pub end_offset: u64,
    pub first_line: u64,
    /// The chunk is one line too long to run: it is answered with an error, never read.
    pub oversized: bool,
}

impl Store {
    /// Inserts the operation unless the shop already has `cap` non-terminal operations of its
    /// type. The count and the insert run in one transaction that is the only one admitting for
    /// this shop (SQLite has one writer; on Postgres the shop's row is locked first), so
    /// parallel callers cannot both slip under the cap.
    pub async fn admit_operation(
        &self,
        new: &NewOperation,
        cap: usize,
    ) -> Result<std::result::Result<BulkOperation, InProgress>> {
        let now = self.now_millis();
        let mut tx = self.begin_write().await?;
        self.lock_shop(&mut tx, new.shop_id).await?;
        let inserted: Option<OperationRow> = sqlx::query_as(&format!(
            "INSERT INTO bulk_operations (shop_id, operation_type, status, query, api_version, client_identifier,
                 staged_upload_key, input_size, input_md5_hex, created_at, input_etag, access_scopes)
             SELECT $1, $2, 'CREATED', $3, $4, $5, $6, $7, $8, $9, $11, $12
             WHERE (SELECT COUNT(*) FROM bulk_operations
                    WHERE shop_id = $1 AND operation_type = $2 AND status IN ('CREATED', 'RUNNING', 'CANCELING')) < $10
             RETURNING {COLUMNS}"
        ))
        .bind(new.shop_id.0)
        .bind(new.operation_type.as_str())
        .bind(&new.query)
        .bind(&new.api_version)
        .bind(&new.client_identifier)
        .bind(&new.staged_upload_key)
        .bind(new.input_size.map(|size| size as i64))
        .bind(&new.input_md5_hex)
        .bind(now)
        .bind(cap as i64)
        .bind(&new.input_etag)
        .bind(&new.access_scopes)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = inserted {
            tx.commit().await?;
            return Ok(Ok(row.try_into()?));
        }
        let running: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM bulk_operations
             WHERE shop_id = $1 AND operation_type = $2 AND status IN ('CREATED', 'RUNNING', 'CANCELING')
             ORDER BY id",
        )
        .bind(new.shop_id.0)
        .bind(new.operation_type.as_str())
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Err(InProgress {
            running: running.into_iter().map(OperationId).collect(),
        }))
    }

    /// Takes the step lease (planning, assembly, the last step of a failure) of the oldest
    /// operation that meets `condition` and whose lease is free, returning `returning` of it.
    /// `condition` names the operation's row `{op}` and may use `$3`, the current instant. It is
    /// checked twice: to pick the row, and again on the row as locked, because on Postgres a
    /// claimer that waited for the row must see what the claimer before it wrote.
    async fn claim_step<R>(
        &self,
        owner: &str,
        lease_millis: i64,
        condition: &str,
        returning: &str,
    ) -> Result<Option<R>>
    where
        R: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
    {
        let on = |row: &str| {
            format!(
                "{} AND ({row}.lease_until IS NULL OR {row}.lease_until < $3)",
                condition.replace("{op}", row)
            )
        };
        let now = self.now_millis();
        // A read first: every worker step asks for each kind of step, and on SQLite even an
        // UPDATE that matches nothing waits for the write lock behind a committing chunk.
        let any: Option<i64> = sqlx::query_scalar(&format!(
            "SELECT o.id FROM bulk_operations o WHERE {} LIMIT 1",
            on("o").replace("$3", "$1")
        ))
        .bind(now)
        .fetch_optional(self.pool())
        .await?;
        if any.is_none() {
            return Ok(None);
        }
        Ok(sqlx::query_as(&format!(
            "UPDATE bulk_operations SET lease_owner = $1, lease_until = $2
             WHERE id = (SELECT o.id FROM bulk_operations o WHERE {} ORDER BY o.id LIMIT 1{})
               AND {}
             RETURNING {returning}",
            on("o"),
            self.dialect.skip_locked("o"),
            on("bulk_operations"),
        ))
        .bind(owner)
        .bind(now + lease_millis)
        .bind(now)
        .fetch_optional(self.pool())
        .await?)
    }

    /// Makes the caller's transaction the only one counting or adding rows of this shop.
    pub(crate) async fn lock_shop(&self, conn: &mut AnyConnection, shop_id: ShopId) -> Result<()> {
        if let Some(statement) = self.dialect.lock_shop() {
            sqlx::query(statement)
                .bind(shop_id.0)
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }

    /// The shop's operation `id`; another shop's operation is as absent as a missing one.
    pub async fn operation(
        &self,
        shop_id: ShopId,
        id: OperationId,
    ) -> Result<Option<BulkOperation>> {
        let row: Option<OperationRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM bulk_operations WHERE id = $1 AND shop_id = $2"
        ))
        .bind(id.0)
        .bind(shop_id.0)
        .fetch_optional(self.pool())
        .await?;
        row.map(TryInto::try_into).transpose()
    }

    /// The shop's newest operation of a type, terminal or not (`currentBulkOperation`).
    pub async fn newest_operation(
        &self,
        shop_id: ShopId,
        kind: OperationType,
    ) -> Result<Option<BulkOperation>> {
        let row: Option<OperationRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM bulk_operations WHERE shop_id = $1 AND operation_type = $2 ORDER BY id DESC LIMIT 1"
        ))
        .bind(shop_id.0)
        .bind(kind.as_str())
        .fetch_optional(self.pool())
        .await?;
        row.map(TryInto::try_into).transpose()
    }

    /// Takes the planning step of the oldest CREATED operation nobody holds.
    pub async fn claim_planning(
        &self,
        owner: &str,
        lease_millis: i64,
    ) -> Result<Option<PlanningLease>> {
        self.claim_step(
            owner,
            lease_millis,
            "{op}.status = 'CREATED' AND {op}.pending_error_code IS NULL",
            "id, staged_upload_key, input_md5_hex, input_etag",
        )
        .await
    }

    /// Stores the plan and moves the operation CREATED → RUNNING in one transaction. Returns
    /// false (and changes nothing) if the lease was lost or the operation left CREATED meanwhile.
    pub async fn start_operation(
        &self,
        id: OperationId,
        owner: &str,
        line_count: u64,
        input_etag: Option<&str>,
        chunks: &[ChunkPlan],
    ) -> Result<bool> {
        let now = self.now_millis();
        let mut tx = self.begin_write().await?;
        let started = sqlx::query(
            "UPDATE bulk_operations SET status = 'RUNNING', started_at = $1, line_count = $2, input_etag = $5,
                 lease_owner = NULL, lease_until = NULL
             WHERE id = $3 AND status = 'CREATED' AND lease_owner = $4",
        )
        .bind(now)
        .bind(line_count as i64)
        .bind(id.0)
        .bind(owner)
        .bind(input_etag)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if !started {
            return Ok(false);
        }
        sqlx::query("DELETE FROM bulk_chunks WHERE operation_id = $1")
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        for (index, chunk) in chunks.iter().enumerate() {
            sqlx::query(
                "INSERT INTO bulk_chunks (operation_id, chunk_index, start_offset, end_offset, first_line, oversized, shop_id)
                 SELECT $1, $2, $3, $4, $5, $6, shop_id FROM bulk_operations WHERE id = $1",
            )
            .bind(id.0)
            .bind(index as i64)
            .bind(chunk.start_offset as i64)
            .bind(chunk.end_offset as i64)
            .bind(chunk.first_line as i64)
            .bind(i64::from(chunk.oversized))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Takes the assembly step of a RUNNING operation whose chunks are all done.
    pub async fn claim_assembly(
        &self,
        owner: &str,
        lease_millis: i64,
    ) -> Result<Option<OperationId>> {
        let claimed: Option<(i64,)> = self
            .claim_step(
                owner,
                lease_millis,
                "{op}.status = 'RUNNING' AND {op}.pending_error_code IS NULL
                 AND NOT EXISTS (SELECT 1 FROM bulk_chunks c WHERE c.operation_id = {op}.id AND c.done = 0)",
                "id",
            )
            .await?;
        Ok(claimed.map(|(id,)| OperationId(id)))
    }

    /// Marks the operation COMPLETED with its assembled result, and drops the per-chunk results
    /// it no longer needs, in one transaction. False if the assembly lease was lost.
    pub async fn complete_operation(
        &self,
        id: OperationId,
        owner: &str,
        result_key: &str,
        file_size: u64,
    ) -> Result<bool> {
        let now = self.now_millis();
        let mut tx = self.begin_write().await?;
        let completed = sqlx::query(
            "UPDATE bulk_operations SET status = 'COMPLETED', completed_at = $1, result_key = $2, file_size = $3,
                 lease_owner = NULL, lease_until = NULL
             WHERE id = $4 AND status = 'RUNNING' AND pending_error_code IS NULL AND lease_owner = $5",
        )
        .bind(now)
        .bind(result_key)
        .bind(file_size as i64)
        .bind(id.0)
        .bind(owner)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        // Canceled or failing meanwhile: the step is given back so that ending can proceed.
        Self::conclude_or_release(tx, id, owner, completed, now).await?;
        Ok(completed)
    }

    /// Sets an operation on its way to FAILED with `error_code`: no more of its chunks are handed
    /// out, and once the ones in flight have stopped a worker assembles its partial data and
    /// finishes it ([`Store::claim_failure`]). Does nothing to an operation already finished or
    /// already failing.
    /// `holder` gives up the operation's step lease if it holds it (a planner that found the
    /// input unusable), so the last step can be taken at once.
    pub async fn begin_failure(
        &self,
        id: OperationId,
        error_code: stevedore_core::ErrorCode,
        holder: &str,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE bulk_operations SET pending_error_code = $1,
                 lease_until = CASE WHEN lease_owner = $3 THEN NULL ELSE lease_until END,
                 lease_owner = CASE WHEN lease_owner = $3 THEN NULL ELSE lease_owner END
             WHERE id = $2 AND status IN ('CREATED', 'RUNNING') AND pending_error_code IS NULL",
        )
        .bind(error_code.as_str())
        .bind(id.0)
        .bind(holder)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Sets every mutation operation that started before `started_before` and is still going on
    /// its way to FAILED with `TIMEOUT`; returns how many.
    pub async fn time_out_operations(&self, started_before: i64) -> Result<u64> {
        Ok(sqlx::query(
            "UPDATE bulk_operations SET pending_error_code = 'TIMEOUT'
             WHERE operation_type = 'MUTATION' AND pending_error_code IS NULL
               AND COALESCE(started_at, created_at) < $1
               -- Not one whose lines are all done: it is being assembled, and completes.
               AND (status = 'CREATED'
                    OR status = 'RUNNING' AND EXISTS (SELECT 1 FROM bulk_chunks c
                                                      WHERE c.operation_id = bulk_operations.id AND c.done = 0))",
        )
        .bind(started_before)
        .execute(self.pool())
        .await?
        .rows_affected())
    }

    /// Takes the last step of a failing operation whose chunks are no longer running: returns
    /// it with the number of lines done so far (the partial data to assemble).
    pub async fn claim_failure(
        &self,
        owner: &str,
        lease_millis: i64,
    ) -> Result<Option<(OperationId, u64)>> {
        // A read first: idle workers ask on every step, and mostly nothing is failing.
        let failing: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM bulk_operations WHERE pending_error_code IS NOT NULL
               AND status IN ('CREATED', 'RUNNING') LIMIT 1",
        )
        .fetch_optional(self.pool())
        .await?;
        if failing.is_none() {
            return Ok(None);
        }
        let claimed: Option<(i64, i64)> = self
            .claim_step(
                owner,
                lease_millis,
                "{op}.pending_error_code IS NOT NULL AND {op}.status IN ('CREATED', 'RUNNING')
                 AND NOT EXISTS (SELECT 1 FROM bulk_chunks c WHERE c.operation_id = {op}.id AND c.done = 0
                                   AND c.lease_until IS NOT NULL AND c.lease_until >= $3)",
                "id, object_count",
            )
            .await?;
        Ok(claimed.map(|(id, done)| (OperationId(id), done as u64)))
    }

    /// Turns a failing operation FAILED with its pending code and its partial data, drops its
    /// chunks and announces it, in one transaction — if exactly `lines_done` lines are done: a
    /// chunk presumed dead that committed while the partial data was written makes the partial
    /// data short, so the step is given back to be done again. False if nothing changed.
    pub async fn finish_failure(
        &self,
        id: OperationId,
        owner: &str,
        partial_result_key: Option<&str>,
        lines_done: u64,
    ) -> Result<bool> {
        let now = self.now_millis();
        let mut tx = self.begin_write().await?;
        // The chunks' locks before the operation's, the order commits take them in.
        sqlx::query(&format!(
            "SELECT chunk_index FROM bulk_chunks WHERE operation_id = $1{}",
            self.dialect.lock_rows()
        ))
        .bind(id.0)
        .fetch_all(&mut *tx)
        .await?;
        let failed = sqlx::query(
            "UPDATE bulk_operations SET status = 'FAILED', error_code = pending_error_code,
                 pending_error_code = NULL, partial_result_key = $1, completed_at = NULL,
                 lease_owner = NULL, lease_until = NULL
             WHERE id = $2 AND lease_owner = $3 AND pending_error_code IS NOT NULL
               AND status IN ('CREATED', 'RUNNING') AND object_count = $4",
        )
        .bind(partial_result_key)
        .bind(id.0)
        .bind(owner)
        .bind(lines_done as i64)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        Self::conclude_or_release(tx, id, owner, failed, now).await?;
        Ok(failed)
    }

    /// Results kept past their seven days: COMPLETED operations that completed before
    /// `before` (the whole result) and FAILED ones created before it (the partial data).
    pub async fn expired_results(&self, before: i64) -> Result<Vec<ExpiredResult>> {
        let rows: Vec<(i64, String, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT id, status, result_key, partial_result_key FROM bulk_operations
             WHERE status = 'COMPLETED' AND completed_at < $1
                OR status = 'FAILED' AND partial_result_key IS NOT NULL AND created_at < $1
             ORDER BY id LIMIT 100",
        )
        .bind(before)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, status, result, partial)| {
                let key = if status == "COMPLETED" {
                    result
                } else {
                    partial
                }?;
                Some(ExpiredResult {
                    id: OperationId(id),
                    key,
                })
            })
            .collect())
    }

    /// Records that an expired result's object is gone: a COMPLETED operation turns EXPIRED
    /// (its `url` null from then on), a FAILED one keeps its status and loses its partial data.
    pub async fn forget_result(&self, id: OperationId) -> Result<()> {
        sqlx::query(
            "UPDATE bulk_operations SET
                 status = CASE WHEN status = 'COMPLETED' THEN 'EXPIRED' ELSE status END,
                 partial_result_key = CASE WHEN status = 'FAILED' THEN NULL ELSE partial_result_key END
             WHERE id = $1",
        )
        .bind(id.0)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Asks a CREATED or RUNNING operation to stop: it turns CANCELING at once, and workers take
    /// no more of its chunks. Returns the operation as it now stands (unchanged if it was not
    /// running), or None if the shop has no such operation.
    pub async fn cancel_operation(
        &self,
        shop_id: ShopId,
        id: OperationId,
    ) -> Result<Option<BulkOperation>> {
        // The changed row itself is the answer: a worker may finish the cancellation right after.
        // A write transaction taken up front waits for running chunks to commit; a lone
        // statement could meet SQLite's "database is locked" when a chunk commits meanwhile.
        let mut tx = self.begin_write().await?;
        let canceling: Option<OperationRow> = sqlx::query_as(&format!(
            "UPDATE bulk_operations SET status = 'CANCELING'
             WHERE id = $1 AND shop_id = $2 AND status IN ('CREATED', 'RUNNING') RETURNING {COLUMNS}"
        ))
        .bind(id.0)
        .bind(shop_id.0)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        match canceling {
            Some(row) => Ok(Some(row.try_into()?)),
            None => self.operation(shop_id, id).await,
        }
    }

    /// Moves one CANCELING operation whose chunks are no longer being run to CANCELED (lines
    /// already committed stay committed; `completedAt` stays null) and announces it. Returns the
    /// operation it finished, if any.
    pub async fn finish_cancellation(&self) -> Result<Option<OperationId>> {
        const STOPPED: &str = "status = 'CANCELING' AND (lease_until IS NULL OR lease_until < $1)
             AND NOT EXISTS (SELECT 1 FROM bulk_chunks c WHERE c.operation_id = bulk_operations.id AND c.done = 0
                               AND c.lease_until IS NOT NULL AND c.lease_until >= $1)";
        let now = self.now_millis();
        // A read first: idle workers ask often, and mostly nothing is being canceled.
        let candidate: Option<i64> = sqlx::query_scalar(&format!(
            "SELECT id FROM bulk_operations WHERE {STOPPED} ORDER BY id LIMIT 1"
        ))
        .bind(now)
        .fetch_optional(self.pool())
        .await?;
        let Some(candidate) = candidate else {
            return Ok(None);
        };
        let mut tx = self.begin_write().await?;
        // The chunks' locks before the operation's, the order claims and commits take them in.
        sqlx::query(&format!(
            "SELECT chunk_index FROM bulk_chunks WHERE operation_id = $1{}",
            self.dialect.lock_rows()
        ))
        .bind(candidate)
        .fetch_all(&mut *tx)
        .await?;
        // Conditions again: another worker may have finished it, or a chunk been claimed.
        let id: Option<i64> = sqlx::query_scalar(&format!(
            "UPDATE bulk_operations SET status = 'CANCELED', lease_owner = NULL, lease_until = NULL
             WHERE id = $2 AND {STOPPED}
             RETURNING id"
        ))
        .bind(now)
        .bind(candidate)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(id) = id {
            Self::conclude(&mut tx, OperationId(id), now).await?;
        }
        tx.commit().await?;
        Ok(id.map(OperationId))
    }

    /// Ends the transaction of an operation's last step: concludes the operation if the step
    /// `ended` it, otherwise gives the step's lease back for another try.
    async fn conclude_or_release(
        mut tx: crate::Transaction,
        id: OperationId,
        owner: &str,
        ended: bool,
        now: i64,
    ) -> Result<()> {
        if ended {
            Self::conclude(&mut tx, id, now).await?;
        } else {
            sqlx::query(
                "UPDATE bulk_operations SET lease_owner = NULL, lease_until = NULL
                 WHERE id = $1 AND lease_owner = $2",
            )
            .bind(id.0)
            .bind(owner)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// For an operation that just ended, inside the transaction that ended it: drops the chunks
    /// it no longer needs and writes its `bulk_operations/finish` outbox rows.
    async fn conclude(conn: &mut AnyConnection, id: OperationId, now: i64) -> Result<()> {
        sqlx::query("DELETE FROM bulk_chunks WHERE operation_id = $1")
            .bind(id.0)
            .execute(&mut *conn)
            .await?;
        Self::announce_finish(conn, id, now).await
    }

    /// Writes the `bulk_operations/finish` outbox rows for an operation that just ended.
    async fn announce_finish(conn: &mut AnyConnection, id: OperationId, now: i64) -> Result<()> {
        let row: OperationRow = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM bulk_operations WHERE id = $1"
        ))
        .bind(id.0)
        .fetch_one(&mut *conn)
        .await?;
        Self::enqueue_finish_webhooks(conn, &row.try_into()?, now).await
    }
}

impl Store {
    /// The document and staged input of an operation, for the workers that run it.
    pub async fn operation_input(&self, id: OperationId) -> Result<OperationInput> {
        Ok(sqlx::query_as(
            "SELECT query, staged_upload_key, input_etag, access_scopes FROM bulk_operations WHERE id = $1",
        )
        .bind(id.0)
        .fetch_one(self.pool())
        .await?)
    }

    pub async fn operation_shop(&self, id: OperationId) -> Result<Option<ShopId>> {
        let shop: Option<i64> =
            sqlx::query_scalar("SELECT shop_id FROM bulk_operations WHERE id = $1")
                .bind(id.0)
                .fetch_optional(self.pool())
                .await?;
        Ok(shop.map(ShopId))
    }

    /// Frees every operation and chunk lease (webhook deliveries keep theirs: a `worker`
    /// process may be sending one right now). Only for a process that knows it is the sole
    /// engine on this database, at start-up.
    pub async fn release_all_leases(&self) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE bulk_operations SET lease_owner = NULL, lease_until = NULL WHERE lease_owner IS NOT NULL")
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE bulk_chunks SET lease_owner = NULL, lease_until = NULL WHERE lease_owner IS NOT NULL")
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// What `bulkOperations` sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKey {
    CreatedAt,
    /// Operations that never completed sort as older than every completed one.
    CompletedAt,
}

impl ListKey {
    /// The value an operation sorts by, as a cursor records it.
    pub fn value_of(self, operation: &BulkOperation) -> i64 {
        match self {
            Self::CreatedAt => operation.created_at.timestamp_millis(),
            Self::CompletedAt => operation
                .completed_at
                .map_or(-1, |completed| completed.timestamp_millis()),
        }
    }

    fn expression(self) -> &'static str {
        match self {
            Self::CreatedAt => "created_at",
            Self::CompletedAt => "COALESCE(completed_at, -1)",
        }
    }
}

/// A condition on the listed operations; all of a listing's conditions must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListCondition {
    Status(stevedore_core::OperationStatus),
    Type(OperationType),
    /// Compares the numeric id: `Compare::Less(5)` keeps ids below 5.
    Id(Compare),
    /// Compares the creation instant in epoch milliseconds.
    CreatedAt(Compare),
    /// A condition nothing meets (a value the field does not take).
    Nothing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compare {
    Equal(i64),
    Greater(i64),
    GreaterOrEqual(i64),
    Less(i64),
    LessOrEqual(i64),
}

impl Compare {
    fn sql(self, column: &str, placeholder: usize) -> (String, i64) {
        let (op, value) = match self {
            Self::Equal(value) => ("=", value),
            Self::Greater(value) => (">", value),
            Self::GreaterOrEqual(value) => (">=", value),
            Self::Less(value) => ("<", value),
            Self::LessOrEqual(value) => ("<=", value),
        };
        (format!("{column} {op} ${placeholder}"), value)
    }
}

/// Where a page of a listing begins: the sort value and id of the row before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListCursor {
    pub value: i64,
    pub id: i64,
}

/// A page of the shop's operations: `limit` rows from `after` (or up to `before`), newest first
/// unless `ascending`; `from_end` takes the last `limit` rows instead of the first.
#[derive(Debug, Clone)]
pub struct ListPage {
    pub key: ListKey,
    pub ascending: bool,
    pub from_end: bool,
    pub limit: i64,
    pub after: Option<ListCursor>,
    pub before: Option<ListCursor>,
}

impl Store {
    /// One page of the shop's operations that meet every condition, in display order, and
    /// whether there are more beyond the page's far end.
    pub async fn list_operations(
        &self,
        shop_id: ShopId,
        conditions: &[ListCondition],
        page: &ListPage,
    ) -> Result<(Vec<BulkOperation>, bool)> {
        let mut sql = format!("SELECT {COLUMNS} FROM bulk_operations WHERE shop_id = $1");
        let mut binds: Vec<Bind> = vec![Bind::Int(shop_id.0)];
        for condition in conditions {
            let (clause, bind) = match *condition {
                ListCondition::Status(status) => (
                    format!("status = ${}", binds.len() + 1),
                    Bind::Text(status.as_str()),
                ),
                ListCondition::Type(kind) => (
                    format!("operation_type = ${}", binds.len() + 1),
                    Bind::Text(kind.as_str()),
                ),
                ListCondition::Id(compare) => {
                    let (clause, value) = compare.sql("id", binds.len() + 1);
                    (clause, Bind::Int(value))
                }
                ListCondition::CreatedAt(compare) => {
                    let (clause, value) = compare.sql("created_at", binds.len() + 1);
                    (clause, Bind::Int(value))
                }
                ListCondition::Nothing => {
                    sql.push_str(" AND 1 = 0");
                    continue;
                }
            };
            sql.push_str(" AND ");
            sql.push_str(&clause);
            binds.push(bind);
        }
        let key = page.key.expression();
        // `after` is beyond the cursor in display order, `before` short of it.
        let (beyond, short_of) = if page.ascending {
            (">", "<")
        } else {
            ("<", ">")
        };
        for (cursor, op) in [(page.after, beyond), (page.before, short_of)] {
            if let Some(cursor) = cursor {
                sql.push_str(&format!(
                    " AND ({key}, id) {op} (${}, ${})",
                    binds.len() + 1,
                    binds.len() + 2
                ));
                binds.push(Bind::Int(cursor.value));
                binds.push(Bind::Int(cursor.id));
            }
        }
        // The last rows of a page are the first ones of a scan the other way round.
        let scan_ascending = page.ascending != page.from_end;
        let direction = if scan_ascending { "ASC" } else { "DESC" };
        sql.push_str(&format!(
            " ORDER BY {key} {direction}, id {direction} LIMIT ${}",
            binds.len() + 1
        ));
        binds.push(Bind::Int(page.limit + 1));

        let mut query = sqlx::query_as::<_, OperationRow>(&sql);
        for bind in binds {
            query = match bind {
                Bind::Int(value) => query.bind(value),
                Bind::Text(value) => query.bind(value),
            };
        }
        let mut rows = query.fetch_all(self.pool()).await?;
        let more = rows.len() as i64 > page.limit;
        rows.truncate(page.limit.max(0) as usize);
        if page.from_end {
            rows.reverse();
        }
        let operations = rows
            .into_iter()
            .map(TryInto::try_into)
            .collect::<Result<Vec<_>>>()?;
        Ok((operations, more))
    }
}

enum Bind {
    Int(i64),
    Text(&'static str),
}
