-- CLV Desk schema, version 4: what a valuation run needs to be cached and trusted.
--
-- A run is the whole valuation after an import (model choice, purchase fit, spend fit,
-- every customer's score). The app recomputes only when the data or the owner's economics
-- changed since the current run: `inputs_key` records what the run was computed from.
ALTER TABLE model_runs ADD COLUMN inputs_key TEXT NOT NULL DEFAULT '';
-- The Gamma-Gamma spend fit of the run ({"p", "q", "gamma", "log_likelihood", …}), NULL
-- when spend was not modelled.
ALTER TABLE model_runs ADD COLUMN spend_json TEXT;
-- Shop-level figures of the run (average CLV and its range, expected purchases, simple
-- formulas), so views read one row instead of scanning every score.
ALTER TABLE model_runs ADD COLUMN summary_json TEXT NOT NULL DEFAULT '{}';
-- Wall time of the run in seconds.
ALTER TABLE model_runs ADD COLUMN seconds REAL;
CREATE INDEX model_runs_current ON model_runs(is_current) WHERE is_current = 1;
