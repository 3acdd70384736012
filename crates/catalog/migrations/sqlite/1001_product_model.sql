-- The product model of the Admin API since 2024-04: a product's options with their values, and
-- its variants (each one inventory item: the item's fields live on the variant's row and the
-- item's id is the variant's). Every product has at least one option and one variant; a product
-- made without options has the "Title" option with its one value "Default Title".
CREATE TABLE product_options (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    shop_id INTEGER NOT NULL REFERENCES shops (id),
    product_id INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    position INTEGER NOT NULL
);
CREATE INDEX product_options_product ON product_options (product_id, position);

CREATE TABLE product_option_values (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    shop_id INTEGER NOT NULL REFERENCES shops (id),
    product_id INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    option_id INTEGER NOT NULL REFERENCES product_options (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    position INTEGER NOT NULL
);
CREATE INDEX product_option_values_product ON product_option_values (product_id, option_id, position);

CREATE TABLE product_variants (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    shop_id INTEGER NOT NULL REFERENCES shops (id),
    product_id INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    -- The names of the variant's values of the product's first, second and third option.
    option1 TEXT,
    option2 TEXT,
    option3 TEXT,
    price TEXT NOT NULL DEFAULT '0.00',
    compare_at_price TEXT,
    sku TEXT,
    barcode TEXT,
    taxable INTEGER NOT NULL DEFAULT 1,
    inventory_policy TEXT NOT NULL DEFAULT 'DENY',
    inventory_quantity INTEGER NOT NULL DEFAULT 0,
    tracked INTEGER NOT NULL DEFAULT 0,
    requires_shipping INTEGER NOT NULL DEFAULT 1,
    unit_cost TEXT,
    weight REAL NOT NULL DEFAULT 0,
    weight_unit TEXT NOT NULL DEFAULT 'KILOGRAMS',
    tax_code TEXT,
    requires_components INTEGER NOT NULL DEFAULT 0,
    show_unit_price INTEGER NOT NULL DEFAULT 0,
    -- `unitPriceMeasurement` as the JSON object the API shows.
    unit_price_measurement TEXT,
    country_code_of_origin TEXT,
    province_code_of_origin TEXT,
    harmonized_system_code TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX product_variants_product ON product_variants (product_id, position);
CREATE INDEX product_variants_sku ON product_variants (shop_id, sku);
CREATE INDEX product_variants_barcode ON product_variants (shop_id, barcode);

-- Metafields of any owner the catalog has, named by the owner's type and id.
CREATE TABLE metafields (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    shop_id INTEGER NOT NULL REFERENCES shops (id),
    owner_type TEXT NOT NULL,
    owner_id INTEGER NOT NULL,
    namespace TEXT NOT NULL,
    key TEXT NOT NULL,
    type TEXT NOT NULL,
    value TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (shop_id, owner_type, owner_id, namespace, key)
);

-- Product mutations asked to run in the background (`productSet` with `synchronous: false`):
-- what they came to, for `productOperation(id:)`.
CREATE TABLE product_operations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    shop_id INTEGER NOT NULL REFERENCES shops (id),
    kind TEXT NOT NULL,
    product_id INTEGER,
    -- The user errors, as the JSON list the payload shows.
    user_errors TEXT NOT NULL DEFAULT '[]',
    created_at INTEGER NOT NULL
);

-- Products made before this migration get the default option, value and variant.
INSERT INTO product_options (shop_id, product_id, name, position)
SELECT shop_id, id, 'Title', 1 FROM products;
INSERT INTO product_option_values (shop_id, product_id, option_id, name, position)
SELECT shop_id, product_id, id, 'Default Title', 1 FROM product_options;
INSERT INTO product_variants (shop_id, product_id, position, option1, created_at, updated_at)
SELECT shop_id, id, 1, 'Default Title', created_at, updated_at FROM products;
