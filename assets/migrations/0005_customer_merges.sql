-- CLV Desk schema, version 5: merges of duplicate customers the owner confirmed.
--
-- A merge only sets `customers.merged_into` (orders stay on the duplicate's row and every
-- read goes through `merged_into`), so undoing it is exact. This table is the history the
-- Customers view shows ("who into whom, when") and remembers which contact fields the
-- merge filled in on the survivor from the duplicate, so an unmerge can take them back.
CREATE TABLE customer_merges (
    id           INTEGER PRIMARY KEY,
    -- The customer the duplicate now counts for. Chains are flattened: when a survivor is
    -- itself merged later, its rows here follow it to the new survivor.
    survivor_id  INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    duplicate_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    merged_utc   INTEGER NOT NULL,
    unmerged_utc INTEGER,
    -- The customer the fields below were written to (the survivor at the time of the merge).
    filled_into  INTEGER REFERENCES customers(id) ON DELETE SET NULL,
    -- {"email": "…", "phone": "…", …}: contact fields that were empty on `filled_into` and
    -- were filled from the duplicate. Emptied when either customer is erased.
    filled_json  TEXT NOT NULL DEFAULT '{}'
) STRICT;
-- At most one merge in force per duplicate.
CREATE UNIQUE INDEX customer_merges_active ON customer_merges(duplicate_id) WHERE unmerged_utc IS NULL;
CREATE INDEX customer_merges_survivor ON customer_merges(survivor_id);
