//! The embedded executor: runs each line of a chunk through the Admin schema, inside the
//! chunk's one write transaction, each line in its own savepoint, then commits the chunk's
//! result lines in the same transaction. A crash before the commit leaves neither products nor
//! results; a crash after it leaves both.

use crate::document::{prepare, PreparedMutation};
use crate::schema::{AdminSchema, MUTATION_ROOT};
use crate::types::TypeIndex;
use crate::variables;
use async_graphql::{Request, Response, Variables};
use serde_json::{Map, Value};
use stevedore_catalog::{CatalogDb, ChunkTransaction};
use stevedore_engine::lines::Line;
use stevedore_engine::result_line::{push_error_line, push_result_line};
use stevedore_engine::{ChunkOutcome, ChunkWork, Executor, ExecutorError, Rejection};
use stevedore_store::chunks::ChunkOutput;
use stevedore_store::Store;

pub struct EmbeddedExecutor {
    schema: AdminSchema,
    types: TypeIndex,
    store: Store,
}

impl EmbeddedExecutor {
    pub fn new(schema: AdminSchema, store: Store) -> Self {
        let types = TypeIndex::from_sdl(&schema.sdl());
        Self {
            schema,
            types,
            store,
        }
    }

    /// Runs one line inside the open savepoint `line` and appends its result line.
    async fn run_line(
        &self,
        prepared: &PreparedMutation,
        shop: stevedore_core::ShopId,
        scopes: &stevedore_core::Scopes,
        transaction: &ChunkTransaction,
        line: Line<'_>,
        out: &mut Vec<u8>,
    ) -> Result<LineRun, ExecutorError> {
        let values: Map<String, Value> = match serde_json::from_slice::<Value>(line.text) {
            Ok(Value::Object(values)) => values,
            Ok(_) => {
                push_error_line(out, "Variables must be a JSON object.", line.number);
                return Ok(LineRun::REFUSED);
            }
            Err(error) => {
                push_error_line(out, &format!("Invalid JSON: {error}."), line.number);
                return Ok(LineRun::REFUSED);
            }
        };
        let problems = variables::check(&prepared.variables, &values, &self.types);
        if !problems.is_empty() {
            let response =
                serde_json::to_vec(&serde_json::json!({ "errors": problems })).map_err(internal)?;
            push_result_line(out, &response, line.number);
            return Ok(LineRun::REFUSED);
        }

        let mut request = Request::new(prepared.source.clone())
            .variables(Variables::from_json(Value::Object(values)))
            .data(shop)
            .data(scopes.clone())
            .data(CatalogDb::Chunk(transaction.clone()));
        request.set_parsed_query(prepared.document.clone());
        let mut response = self.schema.execute(request).await;
        if let Some((_, operation)) = crate::cost::selected_operation(&prepared.document, None) {
            crate::services::null_failed_roots(&mut response, &operation.node, &self.types);
        }
        // A database error is the chunk's trouble, not the line's answer: give the chunk back.
        if let Some(fault) = transaction.take_fault() {
            return Err(ExecutorError {
                message: format!("line {}: {}", line.number, fault.message),
                transient: fault.transient,
            });
        }
        // Execution errors undo whatever the line wrote; userErrors wrote nothing to undo.
        let undo = response.is_err();
        let has_user_errors = has_user_errors(&response, &prepared.root_field);
        let serialized = serde_json::to_vec(&response).map_err(internal)?;
        push_result_line(out, &serialized, line.number);
        Ok(LineRun {
            failed: undo || has_user_errors,
            ran: true,
            undo,
        })
    }
}

/// How a line went, for its result count and for its savepoint.
#[derive(Debug, Clone, Copy)]
struct LineRun {
    /// The line's answer is an error of any kind.
    failed: bool,
    /// The mutation ran (and may have written).
    ran: bool,
    /// What it wrote must be undone.
    undo: bool,
}

impl LineRun {
    /// Refused before running: nothing was written.
    const REFUSED: LineRun = LineRun {
        failed: true,
        ran: false,
        undo: false,
    };

    /// The savepoint commands between this line and the next (or the chunk's end), sent as
    /// one round trip: undo a failed line (its savepoint stays open for the next), or keep
    /// what it wrote and open the next line's savepoint. A line that never ran leaves its
    /// savepoint to the next.
    fn boundary(self, last: bool) -> Option<&'static str> {
        match (self.undo, self.ran, last) {
            (true, _, false) => Some("ROLLBACK TO line"),
            (true, _, true) => Some("ROLLBACK TO line; RELEASE line"),
            (false, true, false) => Some("RELEASE line; SAVEPOINT line"),
            (false, _, true) => Some("RELEASE line"),
            (false, false, false) => None,
        }
    }
}

fn internal(error: impl std::fmt::Display) -> ExecutorError {
    ExecutorError::permanent(error)
}

fn database(error: sqlx::Error) -> ExecutorError {
    ExecutorError {
        transient: stevedore_store::is_transient(&error),
        message: error.to_string(),
    }
}

async fn savepoint(
    transaction: &ChunkTransaction,
    statement: &'static str,
) -> Result<(), ExecutorError> {
    transaction.execute(statement).await.map_err(database)
}

/// Whether the mutation's payload carries a non-empty `userErrors` list (or a
/// `…UserErrors` one, such as `mediaUserErrors`).
fn has_user_errors(response: &Response, root_field: &str) -> bool {
    let async_graphql::Value::Object(data) = &response.data else {
        return false;
    };
    let Some(async_graphql::Value::Object(payload)) = data.get(root_field) else {
        return false;
    };
    payload.iter().any(|(name, value)| {
        (name.as_str() == "userErrors" || name.as_str().ends_with("UserErrors"))
            && matches!(value, async_graphql::Value::List(items) if !items.is_empty())
    })
}

impl Executor for EmbeddedExecutor {
    type Prepared = PreparedMutation;

    fn prepare(&self, document: &str) -> Result<PreparedMutation, Rejection> {
        prepare(document, &self.types, MUTATION_ROOT)
    }

    async fn run_chunk(
        &self,
        work: ChunkWork<'_, PreparedMutation>,
    ) -> Result<ChunkOutcome, ExecutorError> {
        let transaction = ChunkTransaction::new(self.store.begin_write().await?);
        let mut output = ChunkOutput::default();
        let mut lines = work.lines.into_iter().peekable();
        if lines.peek().is_some() {
            savepoint(&transaction, "SAVEPOINT line").await?;
        }
        while let Some(line) = lines.next() {
            let run = self
                .run_line(
                    work.prepared,
                    work.claim.shop_id,
                    work.scopes,
                    &transaction,
                    line,
                    &mut output.jsonl,
                )
                .await?;
            if let Some(statements) = run.boundary(lines.peek().is_none()) {
                savepoint(&transaction, statements).await?;
            }
            output.lines += 1;
            output.error_lines += u64::from(run.failed);
        }
        let mut tx = transaction
            .finish()
            .await
            .ok_or_else(|| internal("the chunk transaction has ended"))?;
        if !Store::commit_chunk(&mut tx, work.claim, &output).await? {
            tx.rollback().await.map_err(database)?;
            return Ok(ChunkOutcome::LeaseLost);
        }
        tx.commit().await.map_err(database)?;
        Ok(output.into())
    }
}
