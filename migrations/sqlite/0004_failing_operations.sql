-- An operation that must fail (it ran too long, or its input changed) keeps its status until the
-- chunks in flight have stopped; then its finished lines are assembled as partial data and it
-- turns FAILED with this code.
ALTER TABLE bulk_operations ADD COLUMN pending_error_code TEXT;
