-- The access scopes of the token that started an operation: every line runs with them.
-- Operations admitted before scopes were recorded ran unrestricted on the catalog, and keep
-- doing so; every insert names its scopes.
ALTER TABLE bulk_operations ADD COLUMN access_scopes TEXT NOT NULL DEFAULT 'read_products,write_products';
