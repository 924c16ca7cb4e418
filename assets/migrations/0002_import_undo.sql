-- CLV Desk schema, version 2: what imports need to be exact, idempotent and undoable.

-- Shipping and tax kept apart from the amount paid, so Settings can exclude them from CLV.
ALTER TABLE orders ADD COLUMN shipping_cents INTEGER NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN tax_cents INTEGER NOT NULL DEFAULT 0;
-- Another number the platform knows the order by (Square Payment ID), for matching refunds.
ALTER TABLE orders ADD COLUMN alt_external_id TEXT;
-- A refund entry points at the order it refunds when that order is stored.
ALTER TABLE orders ADD COLUMN refund_of INTEGER REFERENCES orders(id) ON DELETE SET NULL;
CREATE INDEX orders_alt ON orders(source, alt_external_id) WHERE alt_external_id IS NOT NULL;
CREATE INDEX orders_refund_of ON orders(refund_of) WHERE refund_of IS NOT NULL;
CREATE INDEX orders_updated_import ON orders(updated_import_id) WHERE updated_import_id IS NOT NULL;

-- The decisions an import was made with, and its full report.
ALTER TABLE imports ADD COLUMN header_signature TEXT;
ALTER TABLE imports ADD COLUMN date_order TEXT;
ALTER TABLE imports ADD COLUMN decimal_separator TEXT;
ALTER TABLE imports ADD COLUMN currency TEXT;
ALTER TABLE imports ADD COLUMN report_json TEXT NOT NULL DEFAULT '{}';

-- Everything an import changed that existed before it (orders updated, customer details
-- filled in, the base currency set), as it was, so Undo can put it back exactly.
CREATE TABLE import_changes (
    import_id   INTEGER NOT NULL REFERENCES imports(id),
    kind        TEXT NOT NULL CHECK (kind IN ('order', 'customer', 'setting')),
    key         TEXT NOT NULL,
    before_json TEXT NOT NULL,
    PRIMARY KEY (import_id, kind, key)
) STRICT;

-- Column choices remembered per header signature and offered for the next file.
CREATE TABLE import_mappings (
    signature         TEXT PRIMARY KEY,
    preset            TEXT NOT NULL,
    mapping_json      TEXT NOT NULL,
    date_order        TEXT,
    decimal_separator TEXT,
    updated_utc       INTEGER NOT NULL
) STRICT;
