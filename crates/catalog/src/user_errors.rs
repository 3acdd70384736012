//! The typed user errors of the product model's payloads: each mutation has its own type with
//! a `code`, as the hosted API's schema has.

use crate::shape::rules::{Asking, Problem};

/// A refusal already worded: where, what, and its code. Rules that only one family of
/// mutations applies (the `productOptions*` ones) refuse with these; each payload's type takes
/// them as they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub(crate) field: Vec<String>,
    pub(crate) message: String,
    pub(crate) code: &'static str,
}

impl Refusal {
    pub(crate) fn new(field: &[&str], message: impl Into<String>, code: &'static str) -> Self {
        Self {
            field: field.iter().map(|part| (*part).to_owned()).collect(),
            message: message.into(),
            code,
        }
    }
}

macro_rules! coded_user_error {
    ($($(#[$doc:meta])* $name:ident $(: $asking:expr)?;)*) => {$(
        $(#[$doc])*
        #[derive(async_graphql::SimpleObject, Debug, Clone, PartialEq, Eq)]
        pub struct $name {
            pub field: Option<Vec<String>>,
            pub message: String,
            /// The code's enum value (each type's enum in the hosted schema; the same text here).
            pub code: Option<String>,
        }

        impl $name {
            #[allow(dead_code)]
            pub(crate) fn new(field: &[&str], message: impl Into<String>, code: Option<&str>) -> Self {
                Self {
                    field: Some(field.iter().map(|part| (*part).to_owned()).collect()),
                    message: message.into(),
                    code: code.map(str::to_owned),
                }
            }
        }

        impl From<Refusal> for $name {
            fn from(refusal: Refusal) -> Self {
                Self {
                    field: Some(refusal.field),
                    message: refusal.message,
                    code: Some(refusal.code.to_owned()),
                }
            }
        }

        $(
        impl From<Problem> for $name {
            fn from(problem: Problem) -> Self {
                let (message, code) = problem.words($asking);
                Self {
                    field: Some(problem.field),
                    message,
                    code: code.map(str::to_owned),
                }
            }
        }
        )?
    )*};
}

coded_user_error! {
    /// `ProductVariantsBulkCreateUserError`.
    ProductVariantsBulkCreateUserError: Asking::BulkCreate;
    /// `ProductVariantsBulkUpdateUserError`.
    ProductVariantsBulkUpdateUserError: Asking::BulkUpdate;
    /// `ProductVariantsBulkDeleteUserError`.
    ProductVariantsBulkDeleteUserError: Asking::BulkUpdate;
    /// `ProductVariantsBulkReorderUserError`.
    ProductVariantsBulkReorderUserError: Asking::BulkUpdate;
    /// `ProductSetUserError`.
    ProductSetUserError: Asking::Set;
    /// `ProductOptionsCreateUserError`.
    ProductOptionsCreateUserError;
    /// `ProductOptionUpdateUserError`.
    ProductOptionUpdateUserError;
    /// `ProductOptionsDeleteUserError`.
    ProductOptionsDeleteUserError;
    /// `ProductOptionsReorderUserError`.
    ProductOptionsReorderUserError;
    /// `MediaUserError`.
    MediaUserError;
}
