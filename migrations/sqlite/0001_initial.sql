-- Instants are stored as milliseconds since the Unix epoch (INTEGER) so that the same queries
-- compare them on every database.

CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE shops (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    domain TEXT NOT NULL UNIQUE,
    webhook_secret TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE access_tokens (
    token TEXT PRIMARY KEY,
    shop_id INTEGER NOT NULL REFERENCES shops (id),
    scopes TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

-- A file that arrived at the upload endpoint; `key` is the stagedUploadPath clients pass back.
CREATE TABLE staged_uploads (
    key TEXT PRIMARY KEY,
    shop_id INTEGER NOT NULL REFERENCES shops (id),
    size INTEGER NOT NULL,
    md5_hex TEXT NOT NULL,
    uploaded_at INTEGER NOT NULL
);

CREATE TABLE bulk_operations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    shop_id INTEGER NOT NULL REFERENCES shops (id),
    operation_type TEXT NOT NULL,
    status TEXT NOT NULL,
    error_code TEXT,
    query TEXT NOT NULL,
    api_version TEXT NOT NULL,
    client_identifier TEXT,
    staged_upload_key TEXT,
    input_size INTEGER,
    input_md5_hex TEXT,
    -- The staged object's version when planned; every chunk reads exactly that version.
    input_etag TEXT,
    object_count INTEGER NOT NULL DEFAULT 0,
    root_object_count INTEGER NOT NULL DEFAULT 0,
    line_count INTEGER,
    file_size INTEGER,
    result_key TEXT,
    partial_result_key TEXT,
    created_at INTEGER NOT NULL,
    started_at INTEGER,
    completed_at INTEGER,
    -- Who holds the operation-level step (planning or assembly) and until when.
    lease_owner TEXT,
    lease_until INTEGER
);

CREATE INDEX bulk_operations_by_shop ON bulk_operations (shop_id, operation_type, status);
CREATE INDEX bulk_operations_by_status ON bulk_operations (status);

-- A byte range of an operation's input, run as one unit: its catalog writes and its result
-- lines commit together, guarded by `fence` so a worker that lost its lease cannot commit.
CREATE TABLE bulk_chunks (
    operation_id INTEGER NOT NULL REFERENCES bulk_operations (id),
    chunk_index INTEGER NOT NULL,
    start_offset INTEGER NOT NULL,
    end_offset INTEGER NOT NULL,
    first_line INTEGER NOT NULL,
    oversized INTEGER NOT NULL DEFAULT 0,
    shop_id INTEGER NOT NULL,
    done INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_until INTEGER,
    fence INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    result BLOB,
    result_lines INTEGER,
    error_lines INTEGER,
    PRIMARY KEY (operation_id, chunk_index)
);

CREATE INDEX bulk_chunks_claimable ON bulk_chunks (done, lease_until);

-- The embedded catalog.
CREATE TABLE products (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    shop_id INTEGER NOT NULL REFERENCES shops (id),
    title TEXT NOT NULL,
    handle TEXT NOT NULL,
    description_html TEXT NOT NULL DEFAULT '',
    product_type TEXT NOT NULL DEFAULT '',
    vendor TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '[]',
    status TEXT NOT NULL DEFAULT 'ACTIVE',
    template_suffix TEXT,
    gift_card INTEGER NOT NULL DEFAULT 0,
    seo_title TEXT,
    seo_description TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (shop_id, handle)
);

CREATE TABLE collections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    shop_id INTEGER NOT NULL REFERENCES shops (id),
    title TEXT NOT NULL,
    handle TEXT NOT NULL,
    description_html TEXT NOT NULL DEFAULT '',
    template_suffix TEXT,
    sort_order TEXT NOT NULL DEFAULT 'BEST_SELLING',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (shop_id, handle)
);

-- The last numeric suffix handed out per handle base ("board" -> "board-1", "board-2", ...).
CREATE TABLE handle_sequences (
    shop_id INTEGER NOT NULL REFERENCES shops (id),
    kind TEXT NOT NULL,
    base TEXT NOT NULL,
    last_suffix INTEGER NOT NULL,
    PRIMARY KEY (shop_id, kind, base)
);
