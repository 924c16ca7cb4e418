-- CLV Desk schema, version 9: orders are no longer indexed by time alone. Every query that
-- reads orders in time order reads either one customer's (orders_customer serves it) or all
-- of them, and a scan sorted afterwards beats walking this index and looking up each row
-- (half the time on 70,000 orders); it also led the coupon query away from orders_coupon.
-- The index cost every import its upkeep, and a large import its rebuild.
DROP INDEX IF EXISTS orders_placed;
