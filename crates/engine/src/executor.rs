//! The seam between the engine and whatever runs a line's mutation. The engine plans, claims
//! and assembles; an executor validates the document once per operation and runs a claimed
//! chunk's lines, committing their effects and results together.

use crate::lines::Line;
use std::future::Future;
use stevedore_core::BulkUserError;
use stevedore_store::chunks::{ChunkClaim, SealedOutput};

/// A chunk handed to an executor: the claim to commit under and the lines to run.
pub struct ChunkWork<'a, P> {
    pub prepared: &'a P,
    pub claim: &'a ChunkClaim,
    /// The scopes every line runs with.
    pub scopes: &'a stevedore_core::Scopes,
    pub lines: Vec<Line<'a>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChunkOutcome {
    /// Effects and results committed.
    Committed { lines: u64, error_lines: u64 },
    /// The lease was taken over before commit; nothing was committed.
    LeaseLost,
}

/// A chunk could not be run; nothing of it was committed.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ExecutorError {
    pub message: String,
    /// Running the chunk again may succeed (a lost race or lost connection), so the attempt is
    /// not held against the chunk. Other failures count towards its attempt limit.
    pub transient: bool,
}

impl ExecutorError {
    /// A failure that will happen again if the chunk is run again as it is.
    pub fn permanent(message: impl std::fmt::Display) -> Self {
        Self {
            message: message.to_string(),
            transient: false,
        }
    }
}

impl From<stevedore_store::StoreError> for ExecutorError {
    fn from(error: stevedore_store::StoreError) -> Self {
        Self {
            transient: error.is_transient(),
            message: error.to_string(),
        }
    }
}

impl From<SealedOutput> for ChunkOutcome {
    fn from(output: SealedOutput) -> Self {
        Self::Committed {
            lines: output.lines,
            error_lines: output.error_lines,
        }
    }
}

/// Why a bulk mutation document was refused, which also decides when the refusal is reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// The document is not a single well-formed mutation: reported before the staged file is
    /// looked at.
    Document(BulkUserError),
    /// The document is well formed but does not fit this server's schema (for example a
    /// mutation the embedded catalog does not have). The hosted API, where every mutation exists,
    /// reports a missing staged file for such a document, so this is reported after the file
    /// checks.
    Schema(BulkUserError),
}

impl Rejection {
    pub fn into_user_error(self) -> BulkUserError {
        match self {
            Self::Document(error) | Self::Schema(error) => error,
        }
    }
}

pub trait Executor: Send + Sync + 'static {
    /// A validated mutation document, parsed once per operation and reused for every line.
    type Prepared: Send + Sync + 'static;

    /// Validates a bulk mutation document, reporting problems as Shopify's `userErrors`.
    fn prepare(&self, document: &str) -> Result<Self::Prepared, Rejection>;

    /// Runs every line of the chunk and commits their effects with their result lines through
    /// `Store::commit_chunk`, atomically. A line's failure is a result line, not an error; an
    /// `Err` means nothing was committed and the chunk will be retried.
    fn run_chunk(
        &self,
        work: ChunkWork<'_, Self::Prepared>,
    ) -> impl Future<Output = Result<ChunkOutcome, ExecutorError>> + Send;
}
