-- CLV Desk schema, version 8: a refund whose order was not stored yet (its file imported
-- before the sale's) keeps the order number it refunds, so the import that brings the sale
-- links the two (store::orders). The number stays after the link: undoing that import
-- unlinks them, and the sale imported again links them again.
ALTER TABLE orders ADD COLUMN refund_of_number TEXT;
CREATE INDEX orders_refund_waiting ON orders(source, refund_of_number)
    WHERE refund_of_number IS NOT NULL AND refund_of IS NULL;
