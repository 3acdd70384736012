//! A bulk operation's document is validated once, not once per line.
//!
//! async-graphql validates every request it executes. A bulk operation executes one document
//! for each of up to hundreds of thousands of lines, and every rule but one gives the same
//! answer each time: the document does not change. The exception is the values of the
//! variables, which each line's own check (`variables::check`) covers before the line runs, and
//! which execution coerces again in any case. So the first line of an operation (in each process)
//! that validates cleanly is remembered, and later lines reuse its result. This holds while no
//! field's complexity depends on its arguments: none in this schema does.

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextValidation};
use async_graphql::{ServerError, ValidationResult};
use std::sync::{Arc, OnceLock};

/// The remembered validation of one prepared document. A request carries it as data to take
/// part; a request without it is validated as usual.
#[derive(Debug, Clone, Default)]
pub struct ValidationMemo(Arc<OnceLock<ValidationResult>>);

impl ValidationMemo {
    /// Whether a line of the document has validated cleanly (in this process).
    pub fn validated(&self) -> bool {
        self.0.get().is_some()
    }
}

/// The schema extension that consults a request's [`ValidationMemo`].
pub struct ReuseValidation;

impl ExtensionFactory for ReuseValidation {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ReuseValidation)
    }
}

#[async_trait::async_trait]
impl Extension for ReuseValidation {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let Some(memo) = ctx.data_opt::<ValidationMemo>() else {
            return next.run(ctx).await;
        };
        if let Some(known) = memo.0.get() {
            return Ok(*known);
        }
        // Only a clean result is remembered: a failure may come from this line's own values,
        // and each line must get its own errors.
        let result = next.run(ctx).await?;
        let _ = memo.0.set(result);
        Ok(result)
    }
}
