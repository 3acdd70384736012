-- The catalog's own migrations start here (versions 1000 to 1999). Its first tables were
-- created by the store's 0001_initial.sql, before each crate owned its tables' migrations.
--
-- Finding the highest number a handle stem carries (`board-41`, `board-42`, ...) looks up
-- handles by prefix. On SQLite the query uses GLOB, which the existing unique index on
-- (shop_id, handle) serves as it is: nothing to add.
SELECT 1;
