-- How a chunk's `result` is stored: NULL for the lines as they are (rows committed before
-- results were compressed), 'lz4' for an LZ4 block with its size in front.
ALTER TABLE bulk_chunks ADD COLUMN result_codec TEXT;
-- The bytes are compressed already: keep Postgres from trying again when it moves them out of line.
ALTER TABLE bulk_chunks ALTER COLUMN result SET STORAGE EXTERNAL;
