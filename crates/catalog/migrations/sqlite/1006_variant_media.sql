-- A variant's image: at most one media item of its product (`productVariantAppendMedia`);
-- deleting the media item detaches it.
ALTER TABLE product_variants ADD COLUMN media_id INTEGER REFERENCES media (id) ON DELETE SET NULL;
