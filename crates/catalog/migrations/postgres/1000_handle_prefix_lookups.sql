-- The catalog's own migrations start here (versions 1000 to 1999). Its first tables were
-- created by the store's 0001_initial.sql, before each crate owned its tables' migrations.
--
-- Finding the highest number a handle stem carries (`board-41`, `board-42`, ...) looks up
-- handles by prefix with LIKE, which an index in the database's collation cannot serve.
CREATE INDEX products_handle_prefix ON products (shop_id, handle text_pattern_ops);
CREATE INDEX collections_handle_prefix ON collections (shop_id, handle text_pattern_ops);
