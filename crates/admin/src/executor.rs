//! The embedded executor: runs each line of a chunk through the Admin schema, inside the
//! chunk's one write transaction, then commits the chunk's result lines in the same
//! transaction. A crash before the commit leaves neither products nor results; a crash after it
//! leaves both.
//!
//! A chunk first runs with its created products recorded and written together at its end
//! (`ChunkWrites::Deferred`), which needs the database only for that flush and the commit. If
//! the flush finds an answer wrong (a handle already taken), the attempt is rolled back and the
//! chunk runs again writing line by line.
//!
//! A line whose answer is an error must leave nothing behind. What it only recorded is dropped.
//! Most chunks have no failing line that sent anything to the database, so a chunk first runs
//! without savepoints (a round trip per line saved); when a failing line did touch the
//! database, that attempt is rolled back and the chunk runs again with a savepoint around each
//! line.
//!
//! Lines of the usual import document (`productCreate` of one input variable, plain fields
//! selected) are read and answered by the catalog's direct path instead of the schema, once
//! the document has validated against the schema on a line of its own. A line the direct path
//! declines runs through the schema as any other.

use crate::document::{prepare, PreparedMutation};
use crate::schema::{AdminSchema, MUTATION_ROOT};
use crate::types::TypeIndex;
use crate::variables;
use async_graphql::{Request, Response, Variables};
use serde_json::{Map, Value};
use std::sync::atomic::Ordering;
use stevedore_catalog::{
    CatalogDb, CatalogError, ChunkTransaction, ChunkWrites, DirectCreate, DirectError,
    HandleNotAnswered, ProductFields, ReservedIds,
};
use stevedore_engine::lines::Line;
use stevedore_engine::result_line::{push_error_line, push_result_line};
use stevedore_engine::{ChunkOutcome, ChunkWork, Executor, ExecutorError, Rejection};
use stevedore_store::chunks::ChunkOutput;
use stevedore_store::Store;
use stevedore_store::Transaction;

pub struct EmbeddedExecutor {
    schema: AdminSchema,
    clock: std::sync::Arc<dyn stevedore_core::Clock>,
    types: TypeIndex,
    store: Store,
    /// Ids of new catalog rows reserved ahead for this process's chunks.
    reserved_ids: ReservedIds,
}

impl EmbeddedExecutor {
    pub fn new(clock: std::sync::Arc<dyn stevedore_core::Clock>, store: Store) -> Self {
        let schema = crate::schema::build_bulk_schema(clock.clone());
        let types = TypeIndex::from_sdl(&schema.sdl());
        Self {
            schema,
            clock,
            types,
            store,
            reserved_ids: ReservedIds::default(),
        }
    }

    /// The direct path, if the chunk's lines may take it now: the document has validated
    /// against the schema, and the token may create products.
    fn direct_path<'a>(&self, work: Chunk<'a, '_>) -> Option<&'a DirectCreate> {
        work.prepared
            .direct
            .as_ref()
            .filter(|_| work.prepared.validation.validated() && DirectCreate::allowed(work.scopes))
    }

    /// Reads and checks a line's variables, for `direct` if it takes the line. This needs no
    /// database, so it happens before the chunk queues for the write lock, while another chunk
    /// may hold it.
    fn read_line(
        &self,
        direct: Option<&DirectCreate>,
        work: Chunk<'_, '_>,
        line: Line<'_>,
    ) -> Result<LineInput, ExecutorError> {
        if let Some(fields) = direct.and_then(|direct| direct.read(line.text)) {
            return Ok(LineInput::Direct(fields));
        }
        Ok(LineInput::Schema(
            self.read_for_schema(work.prepared, line)?,
        ))
    }

    /// Reads and checks a line's variables for the schema's execution.
    fn read_for_schema(
        &self,
        prepared: &PreparedMutation,
        line: Line<'_>,
    ) -> Result<SchemaInput, ExecutorError> {
        let refused = |message: &str| {
            let mut answer = Vec::new();
            push_error_line(&mut answer, message, line.number);
            Ok(SchemaInput::Refused(answer))
        };
        // A line refused with errors of its own shape (`extensions`, `path`, …).
        let refused_with = |errors: Vec<Value>| {
            let response =
                serde_json::to_vec(&serde_json::json!({ "errors": errors })).map_err(internal)?;
            let mut answer = Vec::new();
            push_result_line(&mut answer, &response, line.number);
            Ok(SchemaInput::Refused(answer))
        };
        let values: Map<String, Value> = match serde_json::from_slice::<Value>(line.text) {
            Ok(Value::Object(values)) => values,
            Ok(_) => return refused("Variables must be a JSON object."),
            Err(error) => return refused(&format!("Invalid JSON: {error}.")),
        };
        let declared = (prepared.variables.iter()).map(|spec| (spec.pos, values.get(&spec.name)));
        if let Err(refusal) = crate::bounds::check_variables(declared) {
            return refused(&refusal.message());
        }
        let problems = variables::check(&prepared.variables, &values, &self.types);
        if !problems.is_empty() {
            return refused_with(problems);
        }
        let variables = Variables::from_json(Value::Object(values));
        let operation = crate::cost::selected_operation(&prepared.document, None);
        if let Some(error) = operation.and_then(|(_, operation)| {
            crate::input_size::check(&operation.node, &variables, &self.types)
        }) {
            return refused_with(vec![error]);
        }
        Ok(SchemaInput::Ready(variables))
    }

    fn read_lines(&self, work: Chunk<'_, '_>) -> Result<Vec<LineInput>, ExecutorError> {
        let direct = self.direct_path(work);
        work.lines
            .iter()
            .map(|&line| self.read_line(direct, work, line))
            .collect()
    }

    /// Runs one line (inside the open savepoint `line`, if any) and appends its result line.
    async fn run_line(
        &self,
        work: Chunk<'_, '_>,
        transaction: &ChunkTransaction,
        line: Line<'_>,
        input: LineInput,
        out: &mut Vec<u8>,
    ) -> Result<LineRun, ExecutorError> {
        let prepared = work.prepared;
        let input = match input {
            LineInput::Direct(fields) => {
                if self
                    .answer_directly(work, transaction, line, fields, out)
                    .await?
                {
                    return Ok(LineRun::ANSWERED);
                }
                // Declined before recording anything: the schema answers the line.
                self.read_for_schema(prepared, line)?
            }
            LineInput::Schema(input) => input,
        };
        let variables = match input {
            SchemaInput::Ready(variables) => variables,
            SchemaInput::Refused(answer) => {
                out.extend_from_slice(&answer);
                return Ok(LineRun::REFUSED);
            }
        };
        let mut request = Request::new(prepared.source.clone())
            .variables(variables)
            .data(work.claim.shop_id)
            .data(work.scopes.clone())
            .data(prepared.validation.clone())
            .data(CatalogDb::Chunk(transaction.clone()));
        if !prepared.shows_handle {
            request = request.data(HandleNotAnswered);
        }
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

    /// Answers a line through the catalog's direct path and appends its result line; false if
    /// the path declined it, having recorded and appended nothing.
    async fn answer_directly(
        &self,
        work: Chunk<'_, '_>,
        transaction: &ChunkTransaction,
        line: Line<'_>,
        fields: ProductFields,
        out: &mut Vec<u8>,
    ) -> Result<bool, ExecutorError> {
        let Some(direct) = &work.prepared.direct else {
            return Ok(false);
        };
        let now = self.clock.now().timestamp_millis();
        let mut response = Vec::with_capacity(256);
        let answered = direct
            .answer(
                transaction,
                work.claim.shop_id,
                fields,
                now,
                work.prepared.shows_handle,
                &mut response,
            )
            .await
            .map_err(|error| match error {
                DirectError::Catalog(error) => database(error),
                DirectError::Json(error) => internal(error),
            })?;
        if answered {
            push_result_line(out, &response, line.number);
        }
        Ok(answered)
    }
}

/// A line read for the direct path, or for the schema.
// The large variant is the common one: boxing it would cost an allocation per line.
#[allow(clippy::large_enum_variant)]
enum LineInput {
    Direct(ProductFields),
    Schema(SchemaInput),
}

/// A line's variables, read and checked; or its answer, if they were refused.
enum SchemaInput {
    Ready(Variables),
    Refused(Vec<u8>),
}

/// How a line went, for its result count and for what must be undone.
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
    /// Answered with its product, nothing sent to the database yet.
    const ANSWERED: LineRun = LineRun {
        failed: false,
        ran: true,
        undo: false,
    };

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

/// A database failure of the chunk (not of a line): given back, and run again if it may pass.
fn database(error: impl Into<CatalogError>) -> ExecutorError {
    let error = error.into();
    ExecutorError {
        transient: error.is_transient(),
        message: error.detail(),
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
        let chunk = Chunk {
            prepared: work.prepared,
            claim: work.claim,
            scopes: work.scopes,
            lines: &work.lines,
        };
        let writes_immediately = chunk.prepared.writes_immediately.load(Ordering::Relaxed);
        let mut mode = Mode {
            writes: match writes_immediately {
                true => ChunkWrites::Immediate,
                false => ChunkWrites::Deferred,
            },
            undo: Undo::WholeChunk,
        };
        // Each step down the ladder writes more carefully, so the third attempt at most is done.
        for _ in 0..3 {
            // Read for each attempt: an attempt uses its inputs up. Only rare chunks need more.
            let inputs = self.read_lines(chunk)?;
            mode = match self.run_lines(chunk, inputs, mode).await? {
                Attempt::Done(outcome) => return Ok(outcome),
                Attempt::NeedsSavepoints => Mode {
                    writes: ChunkWrites::Immediate,
                    undo: Undo::PerLine,
                },
                Attempt::DeferralFailed => {
                    chunk
                        .prepared
                        .writes_immediately
                        .store(true, Ordering::Relaxed);
                    Mode {
                        writes: ChunkWrites::Immediate,
                        undo: mode.undo,
                    }
                }
            };
        }
        Err(internal(
            "writing line by line with savepoints was not enough",
        ))
    }
}

/// How one attempt at a chunk writes, and how it undoes a failing line.
#[derive(Debug, Clone, Copy)]
struct Mode {
    writes: ChunkWrites,
    undo: Undo,
}

/// How a chunk attempt undoes a failing line's writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Undo {
    /// No savepoints: a failing line that touched the database ends the attempt.
    WholeChunk,
    /// A savepoint around each line.
    PerLine,
}

/// A chunk's work, borrowed for one attempt.
#[derive(Clone, Copy)]
struct Chunk<'a, 'l> {
    prepared: &'a PreparedMutation,
    claim: &'a stevedore_store::chunks::ChunkClaim,
    scopes: &'a stevedore_core::Scopes,
    lines: &'a [Line<'l>],
}

enum Attempt {
    Done(ChunkOutcome),
    /// A failing line touched the database without a savepoint; everything was rolled back.
    NeedsSavepoints,
    /// A recorded product could not be written as answered; everything was rolled back.
    DeferralFailed,
}

impl EmbeddedExecutor {
    async fn run_lines(
        &self,
        work: Chunk<'_, '_>,
        inputs: Vec<LineInput>,
        mode: Mode,
    ) -> Result<Attempt, ExecutorError> {
        let transaction =
            ChunkTransaction::new(self.store.clone(), mode.writes, self.reserved_ids.clone());
        let savepoints = mode.undo == Undo::PerLine;
        let mut output = ChunkOutput::default();
        if savepoints && !work.lines.is_empty() {
            savepoint(&transaction, "SAVEPOINT line").await?;
        }
        for (index, (&line, input)) in work.lines.iter().zip(inputs).enumerate() {
            let last = index + 1 == work.lines.len();
            transaction.begin_line();
            let run = self
                .run_line(work, &transaction, line, input, &mut output.jsonl)
                .await?;
            if transaction.deferral_failed() {
                rollback(transaction.abandon().await).await?;
                return Ok(Attempt::DeferralFailed);
            }
            if savepoints {
                if let Some(statements) = run.boundary(last) {
                    savepoint(&transaction, statements).await?;
                }
            } else if run.undo && transaction.line_touched() {
                rollback(transaction.abandon().await).await?;
                return Ok(Attempt::NeedsSavepoints);
            } else if run.undo {
                transaction.drop_line();
            }
            output.lines += 1;
            output.error_lines += u64::from(run.failed);
        }
        let output = output.seal();
        let mut tx = transaction
            .finish()
            .await
            .map_err(database)?
            .ok_or_else(|| internal("the chunk transaction has ended"))?;
        if transaction.deferral_failed() {
            tx.rollback().await.map_err(database)?;
            return Ok(Attempt::DeferralFailed);
        }
        if !Store::commit_chunk(&mut tx, work.claim, &output).await? {
            tx.rollback().await.map_err(database)?;
            return Ok(Attempt::Done(ChunkOutcome::LeaseLost));
        }
        tx.commit().await.map_err(database)?;
        Ok(Attempt::Done(output.into()))
    }
}

async fn rollback(transaction: Option<Transaction>) -> Result<(), ExecutorError> {
    match transaction {
        Some(tx) => tx.rollback().await.map_err(database),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests;
