//! The CLV engine's input and output in the database: which orders count as purchases,
//! the valuation runs (`model_runs`) and every customer's score (`customer_scores`), and the
//! per-customer rows the `customers` command and the customer table read.
//!
//! **What counts as a purchase** (the rule `clv::summary` relies on):
//! * refund entries (`status = 'refund'`) are not purchases; a refund entry linked to its
//!   order (`refund_of`) reduces that order's value;
//! * an order whose value after refunds is zero or less *because it was refunded* is not a
//!   purchase (the customer gave it back);
//! * a zero-value order that was never refunded (a free sample, a 100% coupon) is a
//!   purchase: the customer came back, even if they paid nothing;
//! * guest orders (no customer) are left out; orders of a customer merged into another count
//!   for the survivor.
//!
//! Scores are cached: the app recomputes them only when [`Store::valuation_data_key`] (what
//! the orders look like) or the owner's economics differ from the current run's
//! `inputs_key`, so opening the app never recomputes. The last [`KEPT_RUNS`] runs keep their
//! scores (for "what changed since the previous import"); older runs keep only their row.

use std::sync::{Arc, LazyLock};

use chrono::NaiveDate;
use rusqlite::{OptionalExtension as _, params};

use super::orders::MultiInsert;
use super::{Store, StoreError, now_utc};
use crate::domain::{CustomerId, Purchase};

/// Runs whose per-customer scores are kept; older runs keep only their `model_runs` row.
pub const KEPT_RUNS: i64 = 3;

/// Score rows written per INSERT statement.
const SCORE_ROWS_PER_INSERT: usize = 64;

/// Scores saved between two calls of the save's `keep_going`.
const SCORES_PER_PROGRESS: usize = 4096;

/// Every purchase of every customer, as the CLV engine reads them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PurchaseHistory {
    /// Customer ids in ascending order; a purchase's `customer` indexes this list.
    pub customer_ids: Vec<CustomerId>,
    /// The purchases (see the module documentation for which orders count).
    pub purchases: Vec<Purchase>,
    /// Day of the latest purchase: the observation end the app values at.
    pub last_day: Option<NaiveDate>,
    /// Per customer index, how they came: the sales channel of their first purchase (or the
    /// platform, when the export names no channel) and the discount code it used.
    pub acquisition: Vec<Acquisition>,
}

/// How a customer came to the shop: their first purchase's channel and discount code.
/// Channel and platform are shared among the customers who came through them (see
/// [`SharedNames`]): a shop has a few, and tens of thousands of customers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Acquisition {
    /// When the first purchase was placed (seconds since the epoch, UTC).
    pub first_placed_utc: i64,
    /// Its channel (`web`, `pos`, …), else its platform (`shopify`, …).
    pub channel: Arc<str>,
    /// The platform it was imported from (`shopify`, `square`, `demo`, …).
    pub source: Arc<str>,
    /// The discount or coupon code it used.
    pub coupon: Option<String>,
}

impl Default for Acquisition {
    /// Not known yet: no purchase, no channel or platform. Every default shares one empty
    /// name (`Arc::default` would allocate one each time, two per customer).
    fn default() -> Self {
        static UNKNOWN: LazyLock<Arc<str>> = LazyLock::new(|| Arc::from(""));
        Acquisition {
            first_placed_utc: i64::MAX,
            channel: Arc::clone(&UNKNOWN),
            source: Arc::clone(&UNKNOWN),
            coupon: None,
        }
    }
}

/// The channel and platform names of a history's customers, each allocated once and shared
/// (an allocation per customer made building a large history several milliseconds slower).
#[derive(Default)]
pub(crate) struct SharedNames {
    seen: Vec<Arc<str>>,
}

impl SharedNames {
    /// Names held for sharing at most: past them (a file whose channel column holds
    /// something else) each is allocated on its own rather than searched for.
    const HELD_AT_MOST: usize = 32;

    /// `name`, shared with its earlier uses.
    pub(crate) fn get(&mut self, name: &str) -> Arc<str> {
        if let Some(seen) = self.seen.iter().find(|seen| ***seen == *name) {
            return Arc::clone(seen);
        }
        let shared: Arc<str> = Arc::from(name);
        if self.seen.len() < SharedNames::HELD_AT_MOST {
            self.seen.push(Arc::clone(&shared));
        }
        shared
    }
}

/// One stored order, as far as the purchase rules look at it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct StoredPurchase {
    /// Its customer (the survivor, for a merged customer).
    pub(crate) customer: CustomerId,
    /// The shop's calendar day of the order; `None` when unreadable (left out).
    pub(crate) day: Option<NaiveDate>,
    /// Its value after every refund, in minor units.
    pub(crate) value_cents: i64,
    /// Whether any refund touched it.
    pub(crate) refunded: bool,
    /// When it was placed (seconds since the epoch, UTC).
    pub(crate) placed_utc: i64,
}

impl StoredPurchase {
    /// Whether it counts as a purchase: dated, and not refunded to nothing (or less).
    pub(crate) fn is_purchase(&self) -> bool {
        self.day.is_some() && !(self.refunded && self.value_cents <= 0)
    }
}

/// Builds a [`PurchaseHistory`] order by order with the rules of the module documentation
/// (refund entries are left out by the caller): one place for them, whether the orders are
/// read back from the table ([`Store::purchase_history`]) or gathered by the import that
/// writes them into an empty database.
pub(crate) struct HistoryBuilder {
    history: PurchaseHistory,
}

impl HistoryBuilder {
    /// A history of the customers `customer_ids` (ascending), with no purchases yet and
    /// room for `orders` of them.
    pub(crate) fn new(customer_ids: Vec<CustomerId>, orders: usize) -> HistoryBuilder {
        HistoryBuilder {
            history: PurchaseHistory {
                acquisition: vec![Acquisition::default(); customer_ids.len()],
                customer_ids,
                purchases: Vec::with_capacity(orders),
                last_day: None,
            },
        }
    }

    /// A history of no customers yet, with room for `customers` of them and `orders`
    /// purchases, to fill with [`HistoryBuilder::add_customer`] and
    /// [`HistoryBuilder::add`].
    pub(crate) fn growing(customers: usize, orders: usize) -> HistoryBuilder {
        let mut builder = HistoryBuilder::new(Vec::with_capacity(customers), orders);
        builder.history.acquisition.reserve(customers);
        builder
    }

    /// Adds customer `id`, with no purchases yet; ids come in ascending order.
    pub(crate) fn add_customer(&mut self, id: CustomerId) {
        debug_assert!(self.history.customer_ids.last() < Some(&id));
        self.history.customer_ids.push(id);
        self.history.acquisition.push(Acquisition::default());
    }

    /// Whether `customer` is one of the history's customers.
    pub(crate) fn knows(&self, customer: CustomerId) -> bool {
        customer_index(&self.history.customer_ids, customer).is_some()
    }

    /// Counts `order` if it is a purchase; when it is its customer's earliest so far, the
    /// customer's acquisition for the caller to fill in.
    pub(crate) fn add(&mut self, order: &StoredPurchase) -> Option<&mut Acquisition> {
        let history = &mut self.history;
        if !order.is_purchase() {
            return None;
        }
        let day = order.day?;
        let index = customer_index(&history.customer_ids, order.customer)?;
        history.last_day = history.last_day.max(Some(day));
        history.purchases.push(Purchase {
            customer: index,
            day,
            value_cents: order.value_cents,
        });
        let first = &mut history.acquisition[index];
        (order.placed_utc < first.first_placed_utc).then_some(first)
    }

    /// The history built.
    pub(crate) fn finish(self) -> PurchaseHistory {
        self.history
    }
}

/// Where `customer` is in `customer_ids` (ascending). Where no customer was merged away or
/// erased (always in a new import's) the ids run without gaps: the index is then the
/// difference from the first, checked, instead of a binary search.
fn customer_index(customer_ids: &[CustomerId], customer: CustomerId) -> Option<usize> {
    let first = customer_ids.first()?;
    let guess = customer
        .0
        .checked_sub(first.0)
        .and_then(|d| usize::try_from(d).ok());
    match guess {
        Some(index) if customer_ids.get(index) == Some(&customer) => Some(index),
        _ => customer_ids.binary_search(&customer).ok(),
    }
}

/// One valuation run to record.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NewRun {
    /// `bgnbd`, `mbgnbd`, `pareto-nbd` or `simple`.
    pub model: String,
    /// The purchase model's parameters as a JSON object (`{}` for `simple`).
    pub params_json: String,
    /// Total log-likelihood of the purchase fit.
    pub log_likelihood: Option<f64>,
    /// Customers valued.
    pub customers: u64,
    /// `day` or `week`.
    pub period: String,
    /// The observation end.
    pub observation_end: NaiveDate,
    /// The calibration end of the backtest, when one chose the model.
    pub calibration_end: Option<NaiveDate>,
    /// The backtests as JSON, when run.
    pub holdout_json: Option<String>,
    /// Whether the purchase fit converged.
    pub converged: bool,
    /// Optimiser iterations of the purchase fit.
    pub iterations: u32,
    /// Why this model, in the owner's words.
    pub reason: String,
    /// What the run was computed from (data and economics); see [`Store::valuation_data_key`].
    pub inputs_key: String,
    /// The Gamma-Gamma fit as JSON, when spend was modelled.
    pub spend_json: Option<String>,
    /// Shop-level figures as JSON.
    pub summary_json: String,
    /// Wall time of the run.
    pub seconds: f64,
}

/// A recorded run.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRecord {
    /// Row id.
    pub id: i64,
    /// When it was computed (seconds since the epoch, UTC).
    pub created_utc: i64,
    /// The run as it was recorded.
    pub run: NewRun,
}

/// One customer's score in a run. Money in minor units; times in the run's period unit.
/// `None` where the method gives no such figure (the simple formulas have no P(alive)).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Score {
    /// The customer.
    pub customer_id: CustomerId,
    /// Repeat purchases.
    pub frequency: u32,
    /// Time from first to last purchase.
    pub recency: f64,
    /// Time from first purchase to the observation end.
    pub t: f64,
    /// Mean value of the repeat purchases.
    pub monetary_cents: f64,
    /// Probability still active.
    pub p_alive: Option<f64>,
    /// Expected purchases over the horizon.
    pub expected_purchases: Option<f64>,
    /// Expected spend per purchase.
    pub expected_spend_cents: Option<f64>,
    /// Lifetime value over the horizon (discounted margin).
    pub clv_cents: f64,
    /// Low end of the 80% range.
    pub clv_low_cents: Option<f64>,
    /// High end of the 80% range.
    pub clv_high_cents: Option<f64>,
    /// RFM scores (recency, frequency, monetary, 1–5) and segment name, for customers who
    /// bought.
    pub rfm: Option<([u8; 3], &'static str)>,
}

/// A score as stored, read back for filtering the charts. Money in minor units.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredScore {
    /// The customer.
    pub customer_id: CustomerId,
    /// Probability still active.
    pub p_alive: Option<f64>,
    /// Expected purchases over the horizon.
    pub expected_purchases: Option<f64>,
    /// Expected spend per purchase.
    pub expected_spend_cents: Option<f64>,
    /// Lifetime value over the horizon.
    pub clv_cents: f64,
    /// Low end of the 80% range.
    pub clv_low_cents: Option<f64>,
    /// High end of the 80% range.
    pub clv_high_cents: Option<f64>,
    /// R, F and M scores.
    pub rfm: Option<[u8; 3]>,
    /// Segment name.
    pub segment: Option<String>,
}

pub use crate::domain::customer::{CustomerValueRow, ScoreColumns};

impl Store {
    /// What the orders look like, for deciding whether the current scores are stale: every
    /// write of orders goes through an import (new row) or an undo (marks one), so the
    /// latest import id and the number undone change whenever the purchases can have; every
    /// change of whose orders they are (merge, unmerge, erasure) bumps the customers'
    /// revision (left out while it is 0, so keys of earlier versions still match).
    pub fn valuation_data_key(&self) -> Result<String, StoreError> {
        let (latest, undone): (Option<i64>, i64) = self
            .conn()
            .query_row("SELECT max(id), count(undone_utc) FROM imports", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .map_err(|e| self.err(e))?;
        let revision = super::customers::revision(self.conn()).map_err(|e| self.err(e))?;
        let imports = format!("imports {}/{undone}", latest.unwrap_or(0));
        Ok(if revision == 0 {
            imports
        } else {
            format!("{imports} customers {revision}")
        })
    }

    /// Every customer's purchases (see the module documentation for the rules).
    pub fn purchase_history(&self) -> Result<PurchaseHistory, StoreError> {
        let err = |e| self.err(e);
        let conn = self.conn();
        let mut ids_stmt = conn
            .prepare("SELECT id FROM customers WHERE merged_into IS NULL ORDER BY id")
            .map_err(err)?;
        let customer_ids: Vec<CustomerId> = ids_stmt
            .query_map([], |r| Ok(CustomerId(r.get(0)?)))
            .map_err(err)?
            .collect::<rusqlite::Result<_>>()
            .map_err(err)?;
        // Refund entries linked to their order, summed per order (few rows).
        let mut refunds: rustc_hash::FxHashMap<i64, i64> = rustc_hash::FxHashMap::default();
        let mut refund_stmt = conn
            .prepare(
                "SELECT refund_of, sum(net_cents) FROM orders
                 WHERE refund_of IS NOT NULL GROUP BY refund_of",
            )
            .map_err(err)?;
        let mut refund_rows = refund_stmt.query([]).map_err(err)?;
        while let Some(row) = refund_rows.next().map_err(err)? {
            refunds.insert(row.get(0).map_err(err)?, row.get(1).map_err(err)?);
        }
        // Orders of merged customers count for the survivor; without merges, no join.
        let merges: i64 = conn
            .query_row(
                "SELECT count(*) FROM customers WHERE merged_into IS NOT NULL",
                [],
                |r| r.get(0),
            )
            .map_err(err)?;
        let sql = if merges == 0 {
            "SELECT o.id, o.customer_id, o.local_date, o.net_cents, o.refunded_cents,
                    o.placed_utc, coalesce(o.channel, o.source), o.coupon_code, o.source
             FROM orders o WHERE o.customer_id IS NOT NULL AND o.status <> 'refund'"
        } else {
            "SELECT o.id, coalesce(c.merged_into, c.id), o.local_date, o.net_cents,
                    o.refunded_cents, o.placed_utc, coalesce(o.channel, o.source), o.coupon_code,
                    o.source
             FROM orders o JOIN customers c ON c.id = o.customer_id
             WHERE o.status <> 'refund'"
        };
        let mut stmt = conn.prepare(sql).map_err(err)?;
        let mut rows = stmt.query([]).map_err(err)?;
        let mut history = HistoryBuilder::new(customer_ids, 0);
        let mut names = SharedNames::default();
        while let Some(row) = rows.next().map_err(err)? {
            let order_id: i64 = row.get(0).map_err(err)?;
            let customer: i64 = row.get(1).map_err(err)?;
            let refund = refunds.get(&order_id).copied();
            let text = |i: usize| -> Result<Option<&str>, StoreError> {
                Ok(row.get_ref(i).map_err(err)?.as_str_or_null().ok().flatten())
            };
            let order = StoredPurchase {
                customer: CustomerId(customer),
                day: text(2)?.and_then(parse_day),
                value_cents: row.get::<_, i64>(3).map_err(err)? + refund.unwrap_or(0),
                refunded: row.get::<_, i64>(4).map_err(err)? > 0 || refund.is_some(),
                placed_utc: row.get(5).map_err(err)?,
            };
            if let Some(first) = history.add(&order) {
                *first = Acquisition {
                    first_placed_utc: order.placed_utc,
                    channel: names.get(text(6)?.unwrap_or_default()),
                    coupon: text(7)?.filter(|c| !c.trim().is_empty()).map(str::to_owned),
                    source: names.get(text(8)?.unwrap_or_default()),
                };
            }
        }
        Ok(history.finish())
    }

    /// Records `run` with its `scores` in one transaction and makes it the current run;
    /// scores of runs older than the last [`KEPT_RUNS`] are dropped. `keep_going(done)` is
    /// called every few thousand scores; returning `false` rolls everything back and gives
    /// `Ok(None)`.
    pub fn save_run(
        &mut self,
        run: &NewRun,
        scores: &[Score],
        keep_going: &mut dyn FnMut(usize) -> bool,
    ) -> Result<Option<i64>, StoreError> {
        let saved =
            self.save_run_described(run, scores, keep_going, &mut || run.summary_json.clone())?;
        Ok(saved.map(|(run_id, _)| run_id))
    }

    /// [`Store::save_run`] whose `summary_json` is `describe()`, called once (after the
    /// scores are written, so the caller can compute it meanwhile) and stored in the same
    /// transaction. Gives the run's id and the summary stored.
    pub fn save_run_described(
        &mut self,
        run: &NewRun,
        scores: &[Score],
        keep_going: &mut dyn FnMut(usize) -> bool,
        describe: &mut dyn FnMut() -> String,
    ) -> Result<Option<(i64, String)>, StoreError> {
        // SQLite's foreign-key check opens a cursor on `customers` and one on `model_runs`
        // for every score row, a sixth of the save. The run is this transaction's own row;
        // the customers are checked once, all together, before the commit (a customer
        // removed since the valuation read them fails the save, as the per-row check did).
        self.with_row_checks_off(false, |store| {
            store.save_run_unchecked(run, scores, keep_going, describe)
        })
    }

    /// [`Store::save_run_described`] with SQLite's per-row foreign-key checks off.
    fn save_run_unchecked(
        &mut self,
        run: &NewRun,
        scores: &[Score],
        keep_going: &mut dyn FnMut(usize) -> bool,
        describe: &mut dyn FnMut() -> String,
    ) -> Result<Option<(i64, String)>, StoreError> {
        let path = self.path().to_path_buf();
        let err = |e| StoreError::from_sqlite(&path, e);
        let tx = self.conn_mut().transaction().map_err(err)?;
        tx.execute(
            "UPDATE model_runs SET is_current = 0 WHERE is_current = 1",
            [],
        )
        .map_err(err)?;
        tx.execute(
            "INSERT INTO model_runs (model, params_json, log_likelihood, customers, period,
                 observation_end, calibration_end, holdout_json, converged, iterations, reason,
                 created_utc, is_current, inputs_key, spend_json, summary_json, seconds)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 1, ?13, ?14, ?15, ?16)",
            params![
                run.model,
                run.params_json,
                run.log_likelihood.filter(|v| v.is_finite()),
                run.customers as i64,
                run.period,
                run.observation_end.to_string(),
                run.calibration_end.map(|d| d.to_string()),
                run.holdout_json,
                run.converged,
                run.iterations,
                run.reason,
                now_utc(),
                run.inputs_key,
                run.spend_json,
                run.summary_json,
                run.seconds,
            ],
        )
        .map_err(err)?;
        let run_id = tx.last_insert_rowid();
        // Many rows per statement: a quarter of the statement overhead of one per row. `OR
        // FAIL` needs no statement journal; any error rolls the whole save back.
        let mut insert = MultiInsert::new(
            "INSERT OR FAIL INTO customer_scores (run_id, customer_id, frequency, recency, t,
                 monetary_cents, p_alive, expected_purchases, expected_spend_cents,
                 clv_cents, clv_low_cents, clv_high_cents, r_score, f_score, m_score, segment)
             VALUES ",
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            SCORE_ROWS_PER_INSERT,
        );
        let finite = |v: Option<f64>| v.filter(|v| v.is_finite());
        for (chunk_index, chunk) in scores.chunks(SCORES_PER_PROGRESS).enumerate() {
            if !keep_going(chunk_index * SCORES_PER_PROGRESS) {
                return Ok(None);
            }
            insert
                .run_all(&tx, chunk, |stmt, i, s| {
                    let rfm = |k: usize| s.rfm.map(|(scores, _)| i64::from(scores[k]));
                    stmt.raw_bind_parameter(i, run_id)?;
                    stmt.raw_bind_parameter(i + 1, s.customer_id.0)?;
                    stmt.raw_bind_parameter(i + 2, i64::from(s.frequency))?;
                    stmt.raw_bind_parameter(i + 3, s.recency)?;
                    stmt.raw_bind_parameter(i + 4, s.t)?;
                    stmt.raw_bind_parameter(i + 5, s.monetary_cents)?;
                    stmt.raw_bind_parameter(i + 6, finite(s.p_alive))?;
                    stmt.raw_bind_parameter(i + 7, finite(s.expected_purchases))?;
                    stmt.raw_bind_parameter(i + 8, finite(s.expected_spend_cents))?;
                    stmt.raw_bind_parameter(i + 9, finite(Some(s.clv_cents)).unwrap_or(0.0))?;
                    stmt.raw_bind_parameter(i + 10, finite(s.clv_low_cents))?;
                    stmt.raw_bind_parameter(i + 11, finite(s.clv_high_cents))?;
                    stmt.raw_bind_parameter(i + 12, rfm(0))?;
                    stmt.raw_bind_parameter(i + 13, rfm(1))?;
                    stmt.raw_bind_parameter(i + 14, rfm(2))?;
                    stmt.raw_bind_parameter(i + 15, s.rfm.map(|(_, segment)| segment))
                })
                .map_err(err)?;
        }
        let scored_nobody: bool = tx
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM customer_scores AS s
                                WHERE s.run_id = ?1
                                  AND NOT EXISTS (SELECT 1 FROM customers AS c
                                                  WHERE c.id = s.customer_id))",
                [run_id],
                |r| r.get(0),
            )
            .map_err(err)?;
        if scored_nobody {
            return Err(err(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY),
                Some("FOREIGN KEY constraint failed: a scored customer is not stored".to_owned()),
            )));
        }
        let summary_json = describe();
        if summary_json != run.summary_json {
            tx.execute(
                "UPDATE model_runs SET summary_json = ?2 WHERE id = ?1",
                params![run_id, summary_json],
            )
            .map_err(err)?;
        }
        tx.execute(
            "DELETE FROM customer_scores WHERE run_id IN
                 (SELECT id FROM model_runs ORDER BY id DESC LIMIT -1 OFFSET ?1)",
            [KEPT_RUNS],
        )
        .map_err(err)?;
        drop(insert);
        tx.commit().map_err(err)?;
        Ok(Some((run_id, summary_json)))
    }

    /// The current run, if the customers have been valued.
    pub fn current_run(&self) -> Result<Option<RunRecord>, StoreError> {
        self.conn()
            .query_row(
                &format!("{RUN_COLUMNS} WHERE is_current = 1 ORDER BY id DESC LIMIT 1"),
                [],
                run_record,
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// The run recorded before run `id`, for "what changed since the previous import".
    pub fn run_before(&self, id: i64) -> Result<Option<RunRecord>, StoreError> {
        self.conn()
            .query_row(
                &format!("{RUN_COLUMNS} WHERE id < ?1 ORDER BY id DESC LIMIT 1"),
                [id],
                run_record,
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Every customer's score in run `run_id`, by customer id (ascending).
    pub fn run_scores(&self, run_id: i64) -> Result<Vec<StoredScore>, StoreError> {
        let err = |e| self.err(e);
        let mut stmt = self
            .conn()
            .prepare(
                "SELECT customer_id, p_alive, expected_purchases, expected_spend_cents, clv_cents,
                        clv_low_cents, clv_high_cents, r_score, f_score, m_score, segment
                 FROM customer_scores WHERE run_id = ?1 ORDER BY customer_id",
            )
            .map_err(err)?;
        let rows = stmt
            .query_map([run_id], |r| {
                let scores: (Option<u8>, Option<u8>, Option<u8>) =
                    (r.get(7)?, r.get(8)?, r.get(9)?);
                Ok(StoredScore {
                    customer_id: CustomerId(r.get(0)?),
                    p_alive: r.get(1)?,
                    expected_purchases: r.get(2)?,
                    expected_spend_cents: r.get(3)?,
                    clv_cents: r.get(4)?,
                    clv_low_cents: r.get(5)?,
                    clv_high_cents: r.get(6)?,
                    rfm: match scores {
                        (Some(rs), Some(fs), Some(ms)) => Some([rs, fs, ms]),
                        _ => None,
                    },
                    segment: r.get(10)?,
                })
            })
            .map_err(err)?;
        rows.collect::<rusqlite::Result<_>>().map_err(err)
    }

    /// Number of recorded runs (with or without kept scores).
    pub fn run_count(&self) -> Result<u64, StoreError> {
        self.conn()
            .query_row("SELECT count(*) FROM model_runs", [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n.max(0) as u64)
            .map_err(|e| self.err(e))
    }

    /// Every customer (merged duplicates once, under the survivor) with their orders and
    /// their score in the current run, ordered by id. Three plain scans merged here: a join
    /// of the customers with a grouped subquery has no index to use and is quadratic.
    pub fn customer_values(&self) -> Result<Vec<CustomerValueRow>, StoreError> {
        let run_id = self.current_run()?.map_or(-1, |r| r.id);
        let err = |e| self.err(e);
        let conn = self.conn();
        let mut rows: Vec<CustomerValueRow> = conn
            .prepare(
                "SELECT c.id, c.display_name, c.email, c.phone,
                        (SELECT k.key FROM customer_keys k WHERE k.customer_id = c.id
                         ORDER BY CASE k.kind WHEN 'email' THEN 0 WHEN 'platform_id' THEN 1
                                  WHEN 'username' THEN 2 WHEN 'phone' THEN 3 ELSE 4 END, k.id
                         LIMIT 1)
                 FROM customers c WHERE c.merged_into IS NULL ORDER BY c.id",
            )
            .map_err(err)?
            .query_map([], |r| {
                Ok(CustomerValueRow {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    email: r.get(2)?,
                    phone: r.get(3)?,
                    customer_key: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
                    orders: 0,
                    first_order: None,
                    last_order: None,
                    revenue_cents: 0,
                    score: None,
                    points: None,
                    tier: None,
                })
            })
            .map_err(err)?
            .collect::<rusqlite::Result<_>>()
            .map_err(err)?;
        let position =
            |rows: &[CustomerValueRow], id: i64| rows.binary_search_by_key(&id, |row| row.id).ok();
        let mut orders = conn
            .prepare(
                "SELECT coalesce(m.merged_into, m.id),
                        count(*) FILTER (WHERE o.status <> 'refund'),
                        min(o.local_date) FILTER (WHERE o.status <> 'refund'),
                        max(o.local_date) FILTER (WHERE o.status <> 'refund'),
                        sum(o.net_cents)
                 FROM orders o JOIN customers m ON m.id = o.customer_id
                 GROUP BY 1",
            )
            .map_err(err)?;
        let mut found = orders.query([]).map_err(err)?;
        while let Some(r) = found.next().map_err(err)? {
            let Some(at) = position(&rows, r.get(0).map_err(err)?) else {
                continue;
            };
            let row = &mut rows[at];
            row.orders = r.get::<_, i64>(1).map_err(err)?.max(0) as u64;
            row.first_order = r.get(2).map_err(err)?;
            row.last_order = r.get(3).map_err(err)?;
            row.revenue_cents = r.get(4).map_err(err)?;
        }
        let mut scores = conn
            .prepare(
                "SELECT customer_id, frequency, recency, t, monetary_cents, p_alive,
                        expected_purchases, clv_cents, clv_low_cents, clv_high_cents, segment
                 FROM customer_scores WHERE run_id = ?1",
            )
            .map_err(err)?;
        let mut found = scores.query([run_id]).map_err(err)?;
        while let Some(r) = found.next().map_err(err)? {
            let Some(at) = position(&rows, r.get(0).map_err(err)?) else {
                continue;
            };
            rows[at].score = Some(ScoreColumns {
                frequency: r.get(1).map_err(err)?,
                recency: r.get(2).map_err(err)?,
                t: r.get(3).map_err(err)?,
                monetary_value_cents: r.get(4).map_err(err)?,
                p_alive: r.get(5).map_err(err)?,
                expected_purchases: r.get(6).map_err(err)?,
                predicted_clv_cents: r.get(7).map_err(err)?,
                clv_low_cents: r.get(8).map_err(err)?,
                clv_high_cents: r.get(9).map_err(err)?,
                segment: r.get(10).map_err(err)?,
            });
        }
        Ok(rows)
    }
}

/// The columns [`run_record`] reads, as the start of a query on `model_runs`.
const RUN_COLUMNS: &str = "SELECT id, created_utc, model, params_json, log_likelihood, customers,
        period, observation_end, calibration_end, holdout_json, converged, iterations, reason,
        inputs_key, spend_json, summary_json, seconds
    FROM model_runs";

/// A [`RunRecord`] from a row of [`RUN_COLUMNS`].
fn run_record(r: &rusqlite::Row<'_>) -> rusqlite::Result<RunRecord> {
    let day = |text: Option<String>| text.as_deref().and_then(parse_day);
    Ok(RunRecord {
        id: r.get(0)?,
        created_utc: r.get(1)?,
        run: NewRun {
            model: r.get(2)?,
            params_json: r.get(3)?,
            log_likelihood: r.get(4)?,
            customers: r.get::<_, i64>(5)?.max(0) as u64,
            period: r.get(6)?,
            observation_end: day(r.get(7)?).unwrap_or_default(),
            calibration_end: day(r.get(8)?),
            holdout_json: r.get(9)?,
            converged: r.get(10)?,
            iterations: r.get(11)?,
            reason: r.get(12)?,
            inputs_key: r.get(13)?,
            spend_json: r.get(14)?,
            summary_json: r.get(15)?,
            seconds: r.get::<_, Option<f64>>(16)?.unwrap_or(0.0),
        },
    })
}

/// `YYYY-MM-DD` without the general date parser (a million of them per valuation).
fn parse_day(text: &str) -> Option<NaiveDate> {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return NaiveDate::parse_from_str(text, "%Y-%m-%d").ok();
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        bytes[range].iter().try_fold(0u32, |acc, b| {
            b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
        })
    };
    NaiveDate::from_ymd_opt(number(0..4)? as i32, number(5..7)?, number(8..10)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_parse_fast_and_bad_ones_are_none() {
        assert_eq!(parse_day("2025-03-09"), NaiveDate::from_ymd_opt(2025, 3, 9));
        assert_eq!(parse_day("2025-02-30"), None);
        assert_eq!(parse_day("2025-0a-01"), None);
        assert_eq!(parse_day(""), None);
    }
}
