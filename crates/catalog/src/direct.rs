//! `productCreate` for bulk lines without the GraphQL executor.
//!
//! Most bulk imports run one document: `productCreate` with the whole product input in one
//! variable, selecting plain product fields and `userErrors`. Executing that document through
//! the schema costs more per line than everything else a line does together: the request, a
//! copy of the parsed document, the variables coerced from JSON twice over, a response tree
//! and its serialization. Here the line's JSON is read straight into the product's fields, and
//! the answer is written straight from the recorded row in the selection's order.
//!
//! The path is narrow on purpose. It answers only a line whose input it reads completely and
//! whose product is recorded for the chunk's flush; every other line (unknown or mistyped
//! input fields, a user error, a product that must be written at once) is declined before
//! anything is recorded, and goes to the executor, which answers it as before. The answers it
//! does give are the executor's, byte for byte; a property test in the admin crate compares
//! the two paths.

use crate::db::{ChunkTransaction, Deferral};
use crate::pending::Handle;
use crate::product::{ProductFields, ProductRow, ProductStatus, WRITE_PRODUCTS};
use async_graphql::ScalarType;
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde::Serialize;
use std::fmt;
use stevedore_core::clock::from_millis;
use stevedore_core::scalars::{DateTime, UnsignedInt64};
use stevedore_core::{ProductId, Scopes, ShopId};

/// A field of `Product` this path can answer: the row's own attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProductField {
    Typename,
    Id,
    LegacyResourceId,
    Title,
    Handle,
    DescriptionHtml,
    ProductType,
    Vendor,
    Tags,
    Status,
    TemplateSuffix,
    IsGiftCard,
    CreatedAt,
    UpdatedAt,
}

impl ProductField {
    /// The field of `Product` with this GraphQL name, if this path answers it.
    pub fn named(name: &str) -> Option<Self> {
        Some(match name {
            "__typename" => Self::Typename,
            "id" => Self::Id,
            "legacyResourceId" => Self::LegacyResourceId,
            "title" => Self::Title,
            "handle" => Self::Handle,
            "descriptionHtml" => Self::DescriptionHtml,
            "productType" => Self::ProductType,
            "vendor" => Self::Vendor,
            "tags" => Self::Tags,
            "status" => Self::Status,
            "templateSuffix" => Self::TemplateSuffix,
            "isGiftCard" => Self::IsGiftCard,
            "createdAt" => Self::CreatedAt,
            "updatedAt" => Self::UpdatedAt,
            _ => return None,
        })
    }
}

/// A field of `ProductCreatePayload`, as selected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayloadField {
    Typename,
    /// `product`, with its selected fields under their response keys.
    Product(Vec<(String, ProductField)>),
    /// `userErrors`: always empty on this path, whatever it selects.
    UserErrors,
}

/// The `productCreate` of one operation, answered directly.
#[derive(Debug, Clone)]
pub struct DirectCreate {
    /// The variable that holds the whole product input.
    variable: String,
    /// The response key of the root field: `productCreate` or its alias.
    root_key: String,
    /// The payload's fields under their response keys, in the selection's order.
    payload: Vec<(String, PayloadField)>,
}

impl DirectCreate {
    pub fn new(variable: String, root_key: String, payload: Vec<(String, PayloadField)>) -> Self {
        Self {
            variable,
            root_key,
            payload,
        }
    }

    /// Whether a caller with `scopes` may create products; one that may not is answered by the
    /// executor's access error.
    pub fn allowed(scopes: &Scopes) -> bool {
        scopes.allows(WRITE_PRODUCTS)
    }

    /// The product input of a line, if the line is a JSON object whose value for the variable
    /// (given once) is an input this path reads completely. Other variables are ignored, as
    /// GraphQL ignores values for undeclared variables. `None` leaves the line to the executor,
    /// which reads it again and reports what is wrong with it.
    pub fn read(&self, line: &[u8]) -> Option<ProductFields> {
        let mut json = serde_json::Deserializer::from_slice(line);
        let fields = LineVariables {
            variable: &self.variable,
        }
        .deserialize(&mut json)
        .ok()?;
        json.end().ok()?;
        // A list over the input limit is refused before the mutation runs: the schema's path
        // answers it.
        fields.filter(|fields| {
            (fields.tags.as_ref())
                .is_none_or(|tags| tags.len() <= stevedore_core::limits::MAX_INPUT_ARRAY_SIZE)
        })
    }

    /// Records the product of `fields` for the chunk's flush and appends the line's GraphQL
    /// response object to `response`. `shows_handle`: whether the operation's answers may
    /// show a handle (the executor knows it for every document). `Ok(false)`: declined,
    /// nothing recorded or appended; the executor must run the line.
    pub async fn answer(
        &self,
        chunk: &ChunkTransaction,
        shop: ShopId,
        fields: ProductFields,
        now: i64,
        shows_handle: bool,
        response: &mut Vec<u8>,
    ) -> Result<bool, DirectError> {
        let Ok((row, handle_from)) = ProductRow::new_product(fields, now) else {
            return Ok(false);
        };
        let handle = Handle::answered(handle_from, shows_handle);
        let written = chunk
            .defer_product(shop, row, handle, None, |row, _| {
                self.write_response(row, response)
            })
            .await?;
        match written {
            Deferral::Recorded(written) => written.map(|()| true).map_err(DirectError::Json),
            Deferral::WriteNow(..) => Ok(false),
        }
    }

    /// `{"data":{"<root>":{<payload>}}}`, as the executor serializes it.
    fn write_response(&self, row: &ProductRow, out: &mut Vec<u8>) -> serde_json::Result<()> {
        out.extend_from_slice(b"{\"data\":{");
        key(out, &self.root_key)?;
        out.push(b'{');
        for (index, (name, field)) in self.payload.iter().enumerate() {
            if index > 0 {
                out.push(b',');
            }
            key(out, name)?;
            match field {
                PayloadField::Typename => out.extend_from_slice(b"\"ProductCreatePayload\""),
                PayloadField::UserErrors => out.extend_from_slice(b"[]"),
                PayloadField::Product(fields) => write_product(row, fields, out)?,
            }
        }
        out.extend_from_slice(b"}}}");
        Ok(())
    }
}

/// Request data for a bulk line whose answer cannot show a created product's handle: a handle
/// derived from the title may then still get its suffix when the chunk writes the product,
/// instead of the chunk running again line by line (see the `pending` module).
#[derive(Debug, Clone, Copy)]
pub struct HandleNotAnswered;

/// Why a directly answered line could not be done: the chunk's trouble, not the line's.
#[derive(Debug)]
pub enum DirectError {
    Catalog(crate::CatalogError),
    /// Writing the answer failed.
    Json(serde_json::Error),
}

impl From<crate::CatalogError> for DirectError {
    fn from(error: crate::CatalogError) -> Self {
        DirectError::Catalog(error)
    }
}

fn key(out: &mut Vec<u8>, name: &str) -> serde_json::Result<()> {
    serde_json::to_writer(&mut *out, name)?;
    out.push(b':');
    Ok(())
}

/// Each value as the `Product` resolver gives it and the executor serializes it.
fn write_product(
    row: &ProductRow,
    fields: &[(String, ProductField)],
    out: &mut Vec<u8>,
) -> serde_json::Result<()> {
    out.push(b'{');
    for (index, (name, field)) in fields.iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        key(out, name)?;
        let value = &mut *out;
        match field {
            ProductField::Typename => serde_json::to_writer(value, "Product")?,
            ProductField::Id => serde_json::to_writer(value, &Displayed(ProductId(row.id).gid()))?,
            ProductField::LegacyResourceId => {
                serde_json::to_writer(value, &UnsignedInt64(row.id as u64).to_value())?
            }
            ProductField::Title => serde_json::to_writer(value, &row.title)?,
            ProductField::Handle => serde_json::to_writer(value, &row.handle)?,
            ProductField::DescriptionHtml => serde_json::to_writer(value, &row.description_html)?,
            ProductField::ProductType => serde_json::to_writer(value, &row.product_type)?,
            ProductField::Vendor => serde_json::to_writer(value, &row.vendor)?,
            // The row's tags are already the JSON list the resolver would give back.
            ProductField::Tags => value.extend_from_slice(row.tags.as_bytes()),
            ProductField::Status => {
                serde_json::to_writer(value, ProductStatus::from_stored(&row.status).as_str())?
            }
            ProductField::TemplateSuffix => serde_json::to_writer(value, &row.template_suffix)?,
            ProductField::IsGiftCard => serde_json::to_writer(value, &(row.gift_card != 0))?,
            ProductField::CreatedAt => {
                serde_json::to_writer(value, &DateTime(from_millis(row.created_at)).to_value())?
            }
            ProductField::UpdatedAt => {
                serde_json::to_writer(value, &DateTime(from_millis(row.updated_at)).to_value())?
            }
        }
    }
    out.push(b'}');
    Ok(())
}

/// A value serialized as the JSON string of its `Display` text, without an intermediate
/// `String`.
struct Displayed<T>(T);

impl<T: fmt::Display> Serialize for Displayed<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

/// Reads a line's variables object, keeping only the product input under `variable`.
/// Written by hand because the variable's name is known only at run time: a derived struct
/// would need it at compile time, and a map would keep every value of the line.
struct LineVariables<'v> {
    variable: &'v str,
}

impl<'de> DeserializeSeed<'de> for LineVariables<'_> {
    /// `None`: the variable is missing.
    type Value = Option<ProductFields>;

    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for LineVariables<'_> {
    type Value = Option<ProductFields>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("an object of variables")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields = None;
        while let Some(is_input) = map.next_key_seed(IsKey(self.variable))? {
            if !is_input {
                map.next_value::<IgnoredAny>()?;
            } else if fields.is_none() {
                fields = Some(map.next_value::<ProductFields>()?);
            } else {
                // The executor's reading keeps the last of repeated keys; leave it to that.
                return Err(serde::de::Error::custom("the variable is given twice"));
            }
        }
        Ok(fields)
    }
}

/// Reads an object key as whether it is the given name, without keeping it.
struct IsKey<'n>(&'n str);

impl<'de> DeserializeSeed<'de> for IsKey<'_> {
    type Value = bool;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for IsKey<'_> {
    type Value = bool;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a variable name")
    }

    fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<bool, E> {
        Ok(key == self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn direct() -> DirectCreate {
        DirectCreate::new("input".into(), "productCreate".into(), vec![])
    }

    #[test]
    fn a_plain_product_input_is_read() {
        let fields = direct()
            .read(br#"{"input":{"title":"Board","tags":["a","b"],"status":"DRAFT","giftCard":false,"seo":{"title":null}},"unused":[1,{"x":2}]}"#)
            .expect("read directly");
        let (row, _) = ProductRow::new_product(fields, 0).unwrap();
        assert_eq!(row.title, "Board");
        assert_eq!(row.tags, r#"["a","b"]"#);
        assert_eq!(row.status, "DRAFT");
    }

    #[test]
    fn anything_the_executor_would_coerce_or_refuse_is_left_to_it() {
        for line in [
            r#"{"input":{"title":"Board","id":"gid://shopify/Product/1"}}"#,
            r#"{"input":{"title":"Board","colour":"red"}}"#,
            r#"{"input":{"title":"Board","tags":"single"}}"#,
            r#"{"input":{"title":"Board","status":"active"}}"#,
            r#"{"input":{"title":7}}"#,
            r#"{"input":{"title":"Board","seo":{"keywords":"x"}}}"#,
            r#"{"input":{"title":"A"},"input":{"title":"B"}}"#,
            r#"{"input":{"title":"Board"}} trailing"#,
            r#"{"input":null}"#,
            r#"[{"input":{"title":"Board"}}]"#,
            r#"{"other":{"title":"Board"}}"#,
        ] {
            assert!(direct().read(line.as_bytes()).is_none(), "{line}");
        }
    }
}
