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

    /// Runs one line and appends its result line; returns whether the line failed in any way.
    async fn run_line(
        &self,
        prepared: &PreparedMutation,
        shop: stevedore_core::ShopId,
        scopes: &stevedore_core::Scopes,
        transaction: &ChunkTransaction,
        line: Line<'_>,
        out: &mut Vec<u8>,
    ) -> Result<bool, ExecutorError> {
        let values: Map<String, Value> = match serde_json::from_slice::<Value>(line.text) {
            Ok(Value::Object(values)) => values,
            Ok(_) => {
                push_error_line(out, "Variables must be a JSON object.", line.number);
                return Ok(true);
            }
            Err(error) => {
                push_error_line(out, &format!("Invalid JSON: {error}."), line.number);
                return Ok(true);
            }
        };
        let problems = variables::check(&prepared.variables, &values, &self.types);
        if !problems.is_empty() {
            let response =
                serde_json::to_vec(&serde_json::json!({ "errors": problems })).map_err(internal)?;
            push_result_line(out, &response, line.number);
            return Ok(true);
        }

        savepoint(transaction, "SAVEPOINT line").await?;
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
        let failed = response.is_err();
        if failed {
            // Execution errors undo whatever the line wrote; userErrors wrote nothing to undo.
            savepoint(transaction, "ROLLBACK TO line").await?;
        }
        savepoint(transaction, "RELEASE line").await?;

        let has_user_errors = has_user_errors(&response, &prepared.root_field);
        let serialized = serde_json::to_vec(&response).map_err(internal)?;
        push_result_line(out, &serialized, line.number);
        Ok(failed || has_user_errors)
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
        for line in work.lines {
            let failed = self
                .run_line(
                    work.prepared,
                    work.claim.shop_id,
                    work.scopes,
                    &transaction,
                    line,
                    &mut output.jsonl,
                )
                .await?;
            output.lines += 1;
            output.error_lines += u64::from(failed);
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
