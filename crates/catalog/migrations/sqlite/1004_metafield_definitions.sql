-- Metafield definitions: for an owner type, a namespace and key with a type, a name and the
-- validations `metafieldsSet` applies to values written there. Validations are a JSON list of
-- {"name", "value"}, in the order given.
CREATE TABLE metafield_definitions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    shop_id INTEGER NOT NULL REFERENCES shops (id),
    owner_type TEXT NOT NULL,
    namespace TEXT NOT NULL,
    key TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    type TEXT NOT NULL,
    validations TEXT NOT NULL,
    pinned_position INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (shop_id, owner_type, namespace, key)
);
