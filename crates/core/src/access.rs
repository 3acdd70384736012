//! Access scopes: what a token may do, and the refusal a field gives a token without the scope
//! it needs. The same check guards synchronous calls and each line of a bulk operation, which
//! runs with the scopes of the token that started it.

use async_graphql::{Context, ErrorExtensions, Guard};

/// The scopes a token carries. `write_x` includes `read_x`, as the hosted API grants it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scopes(Vec<String>);

impl Scopes {
    pub fn new<I: IntoIterator<Item = S>, S: Into<String>>(scopes: I) -> Self {
        Self(scopes.into_iter().map(Into::into).collect())
    }

    /// Scopes as stored: comma-separated.
    pub fn parse(text: &str) -> Self {
        Self::new(text.split(',').map(str::trim).filter(|s| !s.is_empty()))
    }

    pub fn to_text(&self) -> String {
        self.0.join(",")
    }

    pub fn allows(&self, required: &str) -> bool {
        self.0.iter().any(|scope| {
            scope == required
                || required
                    .strip_prefix("read_")
                    .is_some_and(|object| scope.strip_prefix("write_") == Some(object))
        })
    }
}

/// A field that needs `scope`: refuses callers without it with the hosted API's
/// ACCESS_DENIED error, before the resolver runs. A request without scopes in its data is
/// refused too.
pub struct RequireScope {
    pub field: &'static str,
    pub scope: &'static str,
}

impl RequireScope {
    pub const fn new(field: &'static str, scope: &'static str) -> Self {
        Self { field, scope }
    }
}

impl Guard for RequireScope {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        if ctx
            .data_opt::<Scopes>()
            .is_some_and(|scopes| scopes.allows(self.scope))
        {
            return Ok(());
        }
        Err(access_denied(self.field, self.scope))
    }
}

pub fn access_denied(field: &str, scope: &str) -> async_graphql::Error {
    access_denied_for(field, &format!("`{scope}` access scope."))
}

/// The hosted API's access error for `field`, naming what access it requires in its words.
pub fn access_denied_for(field: &str, required: &str) -> async_graphql::Error {
    async_graphql::Error::new(format!(
        "Access denied for {field} field. Required access: {required}"
    ))
    .extend_with(|_, extensions| {
        extensions.set("code", "ACCESS_DENIED");
        extensions.set(
            "documentation",
            "https://shopify.dev/api/usage/access-scopes",
        );
        extensions.set("requiredAccess", required);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_includes_read_of_the_same_object_only() {
        let scopes = Scopes::parse("write_products, read_customers");
        assert!(scopes.allows("write_products"));
        assert!(scopes.allows("read_products"));
        assert!(scopes.allows("read_customers"));
        assert!(!scopes.allows("write_customers"));
        assert!(!scopes.allows("read_orders"));
        assert!(!Scopes::default().allows("read_products"));
        assert_eq!(scopes.to_text(), "write_products,read_customers");
    }
}
