//! Newtype ids and the one global-id type that formats and parses `gid://shopify/Type/N`.

use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A shop: the tenant that owns tokens, uploads, operations and catalog data.
    ShopId
);
id_type!(
    /// A bulk operation, shown to clients as `gid://shopify/BulkOperation/N`.
    OperationId
);
id_type!(
    /// A product of the embedded catalog, `gid://shopify/Product/N`.
    ProductId
);

impl ShopId {
    pub fn gid(self) -> Gid {
        Gid::new("Shop", self.0)
    }
}

impl OperationId {
    pub fn gid(self) -> Gid {
        Gid::new("BulkOperation", self.0)
    }
}

impl ProductId {
    pub fn gid(self) -> Gid {
        Gid::new("Product", self.0)
    }
}

/// A global id: `gid://shopify/<Type>/<integer ≥ 0>`. Zero parses (the hosted API answers
/// `gid://shopify/BulkOperation/0` with null, not an error) and names nothing.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Gid {
    pub type_name: String,
    pub id: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GidError {
    /// Not of the `gid://shopify/Type/N` form at all.
    #[error("Invalid global id '{0}'")]
    Malformed(String),
    /// A well-formed global id of another type than the one asked for.
    #[error("Invalid id: {0}")]
    WrongType(String),
}

impl Gid {
    const PREFIX: &'static str = "gid://shopify/";

    pub fn new(type_name: &str, id: i64) -> Self {
        Self {
            type_name: type_name.to_owned(),
            id,
        }
    }

    pub fn parse(text: &str) -> Result<Self, GidError> {
        let malformed = || GidError::Malformed(text.to_owned());
        let rest = text.strip_prefix(Self::PREFIX).ok_or_else(malformed)?;
        let (type_name, id) = rest.split_once('/').ok_or_else(malformed)?;
        // A query string (`?foo=bar`) may follow the id in Shopify's gids; it carries nothing here.
        let id = id.split_once('?').map_or(id, |(id, _)| id);
        let valid_type =
            !type_name.is_empty() && type_name.chars().all(|c| c.is_ascii_alphanumeric());
        let id: i64 = id.parse().map_err(|_| malformed())?;
        if !valid_type || id < 0 {
            return Err(malformed());
        }
        Ok(Self::new(type_name, id))
    }

    /// Parses and checks the type in one step: `Gid::parse_as("gid://shopify/Product/1", "Product")`.
    pub fn parse_as(text: &str, type_name: &str) -> Result<i64, GidError> {
        let gid = Self::parse(text)?;
        if gid.type_name != type_name {
            return Err(GidError::WrongType(text.to_owned()));
        }
        Ok(gid.id)
    }
}

impl fmt::Display for Gid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}/{}", Self::PREFIX, self.type_name, self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_round_trip() {
        let gid = OperationId(8008814690610).gid();
        assert_eq!(gid.to_string(), "gid://shopify/BulkOperation/8008814690610");
        assert_eq!(Gid::parse(&gid.to_string()).unwrap(), gid);
    }

    #[test]
    fn distinguishes_malformed_from_wrong_type() {
        assert_eq!(
            Gid::parse_as("not-a-gid", "BulkOperation")
                .unwrap_err()
                .to_string(),
            "Invalid global id 'not-a-gid'"
        );
        assert_eq!(
            Gid::parse_as("gid://shopify/Product/1", "BulkOperation")
                .unwrap_err()
                .to_string(),
            "Invalid id: gid://shopify/Product/1"
        );
        for bad in [
            "gid://shopify/Product/",
            "gid://shopify//1",
            "gid://shopify/Product/-1",
            "gid://other/Product/1",
        ] {
            assert!(
                matches!(Gid::parse(bad), Err(GidError::Malformed(_))),
                "{bad}"
            );
        }
    }
}
