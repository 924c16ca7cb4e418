-- The schema a new database gets in one step: what assets/migrations make, one
-- after the other. Written by `CLV_DESK_WRITE_SCHEMA=1 cargo test --lib
-- the_schema_snapshot`; do not edit. Older databases still take the migrations.
-- migrations: 1:70be4c7483f180fa,2:67ae1852a93639f4,3:ed405f4f68a95c06,4:658003d8e3aec4a7,5:0214a4d9979e8c4d,6:5b4aceee612254f0,7:60d40d711bbd0da5,8:00eda7c4f14d5a26,9:b7ef6e83656b55ed

CREATE TABLE schema_migrations (
    version     INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    checksum    TEXT NOT NULL,
    applied_utc INTEGER NOT NULL
) STRICT;

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE imports (
    id                 INTEGER PRIMARY KEY,
    file_name          TEXT NOT NULL,
    file_path          TEXT,
    sha256             TEXT,
    size_bytes         INTEGER,
    preset             TEXT NOT NULL,
    mapping_json       TEXT NOT NULL DEFAULT '{}',
    encoding           TEXT,
    delimiter          TEXT,
    rows_read          INTEGER NOT NULL DEFAULT 0,
    rows_imported      INTEGER NOT NULL DEFAULT 0,
    rows_skipped       INTEGER NOT NULL DEFAULT 0,
    skipped_json       TEXT NOT NULL DEFAULT '{}',
    orders_created     INTEGER NOT NULL DEFAULT 0,
    orders_updated     INTEGER NOT NULL DEFAULT 0,
    customers_created  INTEGER NOT NULL DEFAULT 0,
    started_utc        INTEGER NOT NULL,
    finished_utc       INTEGER,
    undone_utc         INTEGER
, header_signature TEXT, date_order TEXT, decimal_separator TEXT, currency TEXT, report_json TEXT NOT NULL DEFAULT '{}') STRICT;

CREATE TABLE customers (
    id                 INTEGER PRIMARY KEY,
    display_name       TEXT NOT NULL DEFAULT '',
    email              TEXT,
    phone              TEXT,
    birthday           TEXT,             -- 'YYYY-MM-DD', or '--MM-DD' when the year is unknown
    postcode           TEXT,
    acquisition_source TEXT,             -- channel of the first order (web, pos, referral, …)
    marketing_consent  INTEGER NOT NULL DEFAULT 0 CHECK (marketing_consent IN (0, 1)),
    tags               TEXT NOT NULL DEFAULT '',
    notes              TEXT NOT NULL DEFAULT '',
    first_order_utc    INTEGER,
    last_order_utc     INTEGER,
    merged_into        INTEGER REFERENCES customers(id) ON DELETE SET NULL,
    created_import_id  INTEGER REFERENCES imports(id) ON DELETE SET NULL,
    created_utc        INTEGER NOT NULL,
    erased_utc         INTEGER
) STRICT;

CREATE TABLE customer_keys (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('email', 'platform_id', 'username', 'phone', 'name')),
    source      TEXT NOT NULL DEFAULT '',
    key         TEXT NOT NULL,
    import_id   INTEGER REFERENCES imports(id) ON DELETE SET NULL,
    UNIQUE (kind, source, key)
) STRICT;

CREATE TABLE orders (
    id                 INTEGER PRIMARY KEY,
    import_id          INTEGER NOT NULL REFERENCES imports(id),
    source             TEXT NOT NULL,    -- platform the order came from (shopify, square, demo, …)
    external_id        TEXT NOT NULL,    -- the platform's order number
    customer_id        INTEGER REFERENCES customers(id) ON DELETE SET NULL, -- NULL: guest
    placed_utc         INTEGER NOT NULL,
    local_date         TEXT NOT NULL,    -- the shop's calendar day of the order
    utc_offset_minutes INTEGER,          -- offset the export stated, NULL when unknown
    currency           TEXT NOT NULL CHECK (length(currency) = 3),
    gross_cents        INTEGER NOT NULL,
    discount_cents     INTEGER NOT NULL DEFAULT 0,
    refunded_cents     INTEGER NOT NULL DEFAULT 0,
    net_cents          INTEGER NOT NULL, -- gross − discount − refunded
    refunded_utc       INTEGER,
    coupon_code        TEXT,
    status             TEXT NOT NULL DEFAULT 'paid',
    channel            TEXT,
    updated_import_id  INTEGER REFERENCES imports(id), shipping_cents INTEGER NOT NULL DEFAULT 0, tax_cents INTEGER NOT NULL DEFAULT 0, alt_external_id TEXT, refund_of INTEGER REFERENCES orders(id) ON DELETE SET NULL, refund_of_number TEXT,
    UNIQUE (source, external_id)
) STRICT;

CREATE TABLE model_runs (
    id                  INTEGER PRIMARY KEY,
    model               TEXT NOT NULL,   -- bgnbd, mbgnbd, pareto-nbd, gamma-gamma, simple
    params_json         TEXT NOT NULL DEFAULT '{}',
    log_likelihood      REAL,
    customers           INTEGER NOT NULL DEFAULT 0,
    period              TEXT NOT NULL DEFAULT 'week' CHECK (period IN ('day', 'week')),
    observation_end     TEXT NOT NULL,   -- 'YYYY-MM-DD'
    calibration_end     TEXT,            -- set when a holdout backtest was run
    holdout_json        TEXT,
    converged           INTEGER NOT NULL DEFAULT 0 CHECK (converged IN (0, 1)),
    iterations          INTEGER NOT NULL DEFAULT 0,
    reason              TEXT NOT NULL DEFAULT '', -- why this model was chosen, in words
    created_utc         INTEGER NOT NULL,
    is_current          INTEGER NOT NULL DEFAULT 0 CHECK (is_current IN (0, 1))
, inputs_key TEXT NOT NULL DEFAULT '', spend_json TEXT, summary_json TEXT NOT NULL DEFAULT '{}', seconds REAL) STRICT;

CREATE TABLE customer_scores (
    run_id                INTEGER NOT NULL REFERENCES model_runs(id) ON DELETE CASCADE,
    customer_id           INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    frequency             INTEGER NOT NULL,
    recency               REAL NOT NULL,
    t                     REAL NOT NULL,
    monetary_cents        REAL NOT NULL,
    p_alive               REAL,
    expected_purchases    REAL,
    expected_spend_cents  REAL,
    clv_cents             REAL NOT NULL,
    clv_low_cents         REAL,
    clv_high_cents        REAL,
    r_score               INTEGER CHECK (r_score BETWEEN 1 AND 5),
    f_score               INTEGER CHECK (f_score BETWEEN 1 AND 5),
    m_score               INTEGER CHECK (m_score BETWEEN 1 AND 5),
    segment               TEXT,
    PRIMARY KEY (run_id, customer_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE loyalty_settings (
    id                      INTEGER PRIMARY KEY CHECK (id = 1),
    active                  INTEGER NOT NULL DEFAULT 0 CHECK (active IN (0, 1)),
    points_per_currency_unit REAL NOT NULL DEFAULT 1 CHECK (points_per_currency_unit >= 0),
    points_per_order        INTEGER NOT NULL DEFAULT 0 CHECK (points_per_order >= 0),
    first_order_bonus       INTEGER NOT NULL DEFAULT 0 CHECK (first_order_bonus >= 0),
    birthday_bonus          INTEGER NOT NULL DEFAULT 0 CHECK (birthday_bonus >= 0),
    rounding                TEXT NOT NULL DEFAULT 'down' CHECK (rounding IN ('down', 'nearest', 'up')),
    expiry_months           INTEGER CHECK (expiry_months IS NULL OR expiry_months > 0),
    point_value_cents       REAL NOT NULL DEFAULT 1 CHECK (point_value_cents >= 0),
    updated_utc             INTEGER
) STRICT;

CREATE TABLE tiers (
    id               INTEGER PRIMARY KEY,
    name             TEXT NOT NULL UNIQUE,
    threshold        INTEGER NOT NULL CHECK (threshold >= 0),
    threshold_kind   TEXT NOT NULL DEFAULT 'spend' CHECK (threshold_kind IN ('spend', 'points')),
    window           TEXT NOT NULL DEFAULT 'lifetime'
                     CHECK (window IN ('lifetime', 'calendar_year', 'rolling_12_months')),
    earn_multiplier  REAL NOT NULL DEFAULT 1 CHECK (earn_multiplier >= 0),
    benefits         TEXT NOT NULL DEFAULT '',
    sort_order       INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE rewards (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('fixed_discount', 'percent_discount', 'free_item',
                                                'early_access', 'bonus_offer')),
    points_cost   INTEGER NOT NULL CHECK (points_cost >= 0),
    value         REAL NOT NULL DEFAULT 0,  -- cents for fixed discounts, percent for percent discounts
    min_tier_id   INTEGER REFERENCES tiers(id) ON DELETE SET NULL,
    active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
) STRICT;

CREATE TABLE points_ledger (
    id             INTEGER PRIMARY KEY,
    customer_id    INTEGER NOT NULL REFERENCES customers(id),
    kind           TEXT NOT NULL CHECK (kind IN ('earn', 'redeem', 'adjust', 'expire', 'clawback',
                                                 'referral', 'birthday', 'tier_change')),
    points         INTEGER NOT NULL,
    effective_date TEXT NOT NULL,          -- 'YYYY-MM-DD' the entry counts from
    source_ref     TEXT,                   -- e.g. 'order:123'; NULL for manual entries
    reason         TEXT NOT NULL DEFAULT '',
    reward_id      INTEGER REFERENCES rewards(id),
    voucher_code   TEXT UNIQUE,
    created_utc    INTEGER NOT NULL,
    UNIQUE (kind, source_ref)
) STRICT;

CREATE TABLE referral_codes (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL UNIQUE REFERENCES customers(id) ON DELETE CASCADE,
    code        TEXT NOT NULL UNIQUE COLLATE NOCASE,
    created_utc INTEGER NOT NULL
) STRICT;

CREATE TABLE referrals (
    id            INTEGER PRIMARY KEY,
    referrer_id   INTEGER NOT NULL REFERENCES customers(id),
    referee_id    INTEGER NOT NULL UNIQUE REFERENCES customers(id),
    code          TEXT,
    order_id      INTEGER REFERENCES orders(id) ON DELETE SET NULL,
    referred_date TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'review', 'qualified', 'rewarded', 'rejected')),
    reason        TEXT NOT NULL DEFAULT '',
    origin        TEXT NOT NULL DEFAULT 'manual' CHECK (origin IN ('manual', 'coupon')),
    created_utc   INTEGER NOT NULL, review_decision TEXT
    CHECK (review_decision IS NULL OR review_decision IN ('approved', 'rejected')), review_reason TEXT NOT NULL DEFAULT '', reviewed_utc INTEGER, flags TEXT NOT NULL DEFAULT '', qualified_date TEXT, rewarded_min_cents INTEGER,
    CHECK (referrer_id <> referee_id)
) STRICT;

CREATE TABLE care_tasks (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('thank_new', 'thank_top', 'birthday', 'win_back',
                                                'review', 'dispute_follow_up', 'feature')),
    customer_id   INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    rule_key      TEXT NOT NULL UNIQUE,   -- makes regeneration idempotent
    reason        TEXT NOT NULL DEFAULT '',
    due_date      TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'snoozed', 'skipped')),
    snoozed_until TEXT,
    done_utc      INTEGER,
    outcome       TEXT,
    created_utc   INTEGER NOT NULL
) STRICT;

CREATE TABLE touchpoints (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    task_id     INTEGER REFERENCES care_tasks(id) ON DELETE SET NULL,
    kind        TEXT NOT NULL,
    channel     TEXT NOT NULL DEFAULT 'other',
    at_utc      INTEGER NOT NULL,
    note        TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE TABLE disputes (
    id              INTEGER PRIMARY KEY,
    customer_id     INTEGER NOT NULL REFERENCES customers(id),
    order_id        INTEGER REFERENCES orders(id) ON DELETE SET NULL,
    category        TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    opened_utc      INTEGER NOT NULL,
    status          TEXT NOT NULL DEFAULT 'open'
                    CHECK (status IN ('open', 'in_progress', 'resolved', 'rejected')),
    resolution      TEXT NOT NULL DEFAULT '',
    goodwill_points INTEGER NOT NULL DEFAULT 0,
    goodwill_cents  INTEGER NOT NULL DEFAULT 0,
    resolved_utc    INTEGER
) STRICT;

CREATE TABLE import_changes (
    import_id   INTEGER NOT NULL REFERENCES imports(id),
    kind        TEXT NOT NULL CHECK (kind IN ('order', 'customer', 'setting')),
    key         TEXT NOT NULL,
    before_json TEXT NOT NULL,
    PRIMARY KEY (import_id, kind, key)
) STRICT;

CREATE TABLE import_mappings (
    signature         TEXT PRIMARY KEY,
    preset            TEXT NOT NULL,
    mapping_json      TEXT NOT NULL,
    date_order        TEXT,
    decimal_separator TEXT,
    updated_utc       INTEGER NOT NULL
) STRICT;

CREATE TABLE "order_lines" (
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

CREATE INDEX customers_merged_into ON customers(merged_into) WHERE merged_into IS NOT NULL;

CREATE INDEX customers_email ON customers(email COLLATE NOCASE);

CREATE INDEX customer_keys_customer ON customer_keys(customer_id);

CREATE INDEX orders_customer ON orders(customer_id, placed_utc);

CREATE INDEX orders_import ON orders(import_id);

CREATE INDEX orders_coupon ON orders(coupon_code COLLATE NOCASE) WHERE coupon_code IS NOT NULL;

CREATE INDEX customer_scores_customer ON customer_scores(customer_id);

CREATE INDEX points_ledger_customer ON points_ledger(customer_id, effective_date);

CREATE INDEX referrals_referrer ON referrals(referrer_id);

CREATE INDEX care_tasks_due ON care_tasks(status, due_date);

CREATE INDEX touchpoints_customer ON touchpoints(customer_id, at_utc);

CREATE INDEX disputes_status ON disputes(status);

CREATE INDEX orders_alt ON orders(source, alt_external_id) WHERE alt_external_id IS NOT NULL;

CREATE INDEX orders_refund_of ON orders(refund_of) WHERE refund_of IS NOT NULL;

CREATE INDEX orders_updated_import ON orders(updated_import_id) WHERE updated_import_id IS NOT NULL;

CREATE INDEX model_runs_current ON model_runs(is_current) WHERE is_current = 1;

CREATE UNIQUE INDEX customer_merges_active ON customer_merges(duplicate_id) WHERE unmerged_utc IS NULL;

CREATE INDEX customer_merges_survivor ON customer_merges(survivor_id);

CREATE INDEX orders_refund_waiting ON orders(source, refund_of_number)
    WHERE refund_of_number IS NOT NULL AND refund_of IS NULL;

CREATE TRIGGER points_ledger_no_update BEFORE UPDATE ON points_ledger
BEGIN
    SELECT RAISE(ABORT, 'points_ledger is append-only: add a correcting entry instead');
END;

CREATE TRIGGER points_ledger_no_delete BEFORE DELETE ON points_ledger
BEGIN
    SELECT RAISE(ABORT, 'points_ledger is append-only: add a correcting entry instead');
END;
