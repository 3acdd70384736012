//! Products: the `Product` aggregate, from its inputs to its rows.
//!
//! - `input`: what mutations take (`ProductInput`, `ProductCreateInput`, …) and their checks;
//! - `object`: what reads show (`Product`, its default `ProductVariant`, the payloads);
//! - `storage`: the `products` table's rows and statements;
//! - `mutation`: `productCreate` / `productUpdate` / `productDelete`;
//! - `duplicate`: `productDuplicate`;
//! - `query`: `product` / `products`, with the search syntax's `query:`.

pub(crate) mod duplicate;
mod input;
pub(crate) mod mutation;
mod object;
pub(crate) mod operation;
mod query;
mod search;
pub(crate) mod set;
pub(crate) mod storage;

pub use input::{
    ProductCreateInput, ProductFields, ProductInput, ProductStatus, ProductUpdateInput,
};
pub use mutation::ProductMutation;
pub use object::{
    Product, ProductCreatePayload, ProductDeleteInput, ProductDeletePayload, ProductUpdatePayload,
};
pub use query::ProductQuery;
pub(crate) use storage::{bind_row, find, HandleFrom, ProductRow, ROW_COLUMNS, ROW_VALUES};

/// The access scope product mutations need.
pub(crate) const WRITE_PRODUCTS: &str = "write_products";
