-- Media: images, videos and 3D models given by URL, each on a product (in its order) or, made
-- by `fileCreate`, on none. Nothing is downloaded: the source URL is kept as given, and a media
-- item is READY from the first request after the one that made it.
CREATE TABLE media (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    shop_id INTEGER NOT NULL REFERENCES shops (id),
    product_id INTEGER REFERENCES products (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    alt TEXT NOT NULL DEFAULT '',
    original_source TEXT NOT NULL,
    filename TEXT,
    -- Its image's id as a ProductImage, where that is not the media item's own (a restored one's).
    image_id INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX media_product ON media (product_id, position);
CREATE INDEX media_shop ON media (shop_id, id);
