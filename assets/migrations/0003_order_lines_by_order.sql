-- CLV Desk schema, version 3: order lines in one B-tree keyed by (order, line number).
--
-- Version 1 kept lines in a rowid table plus a unique index on (order_id, line_no): two
-- B-trees to update per line, which dominated the cost of importing a million-line export.
-- Keyed by (order_id, line_no) WITHOUT ROWID, the lines of an order are stored together and
-- inserted in one place. Nothing refers to order_lines, so the table is simply rebuilt.
CREATE TABLE order_lines_v3 (
    order_id         INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
    line_no          INTEGER NOT NULL,
    sku              TEXT,
    name             TEXT NOT NULL DEFAULT '',
    quantity         REAL NOT NULL DEFAULT 1,
    unit_price_cents INTEGER NOT NULL DEFAULT 0,
    total_cents      INTEGER NOT NULL,
    refunded_cents   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (order_id, line_no)
) STRICT, WITHOUT ROWID;
INSERT INTO order_lines_v3 (order_id, line_no, sku, name, quantity, unit_price_cents, total_cents, refunded_cents)
    SELECT order_id, line_no, sku, name, quantity, unit_price_cents, total_cents, refunded_cents FROM order_lines;
DROP TABLE order_lines;
ALTER TABLE order_lines_v3 RENAME TO order_lines;
