-- An inventory item's own id, where it differs from its variant's: a restored variant keeps the
-- item id it had elsewhere. NULL (every variant made here) means the variant's id.
ALTER TABLE product_variants ADD COLUMN inventory_item_id BIGINT;
CREATE INDEX product_variants_inventory_item ON product_variants (inventory_item_id);
