-- Fair hand-out of chunks: each claim stamps the shop and the operation it served with a growing
-- turn number, and the next claim serves the shop, then the operation, served longest ago.
ALTER TABLE shops ADD COLUMN claim_turn INTEGER NOT NULL DEFAULT 0;
ALTER TABLE bulk_operations ADD COLUMN claim_turn INTEGER NOT NULL DEFAULT 0;
-- The next turn is one past the highest: an index lookup, not a scan of every shop.
CREATE INDEX shops_by_claim_turn ON shops (claim_turn);

-- Claims look only at chunks still to run.
CREATE INDEX bulk_chunks_pending ON bulk_chunks (operation_id, chunk_index) WHERE done = 0;
