//! The referral program in the database: the rules (a `settings` row), customers' codes
//! (`referral_codes`), the referrals themselves (`referrals`, recorded by hand or matched
//! from imported coupon codes), their evaluation into statuses with the rewards written to
//! the loyalty `points_ledger`, the owner's review, the report and the CSV exports. The
//! rules themselves are pure, in [`crate::programs::referral`].
//!
//! **Statuses are re-derived, rewards are issued once.** [`Store::evaluate_referrals`] runs
//! after every import: it reads each referral's facts (the friend's first order and its
//! refunds, contact details, the referrer's other referrals) and sets the status the rules
//! give. Only what cannot be derived is stored: the owner's approval or rejection and the
//! day a referral qualified.
//!
//! **Ledger entries.** Rewards are `referral` rows keyed by `referral:<id>:referrer` and
//! `referral:<id>:friend` (points) and `referral:<id>:<side>:voucher` (a reward of the
//! catalogue as a voucher, zero points). Later rows of the same key are `<key>#v2`, `#v3`, …
//! An evaluation appends points only when a rewarded referral's key sums to zero, and a
//! reversing row (minus the sum) when a referral with points is no longer rewarded (its
//! first order refunded within the window, learnt from a later import; or rejected by the
//! owner). So a second evaluation, or a second import of the same file, appends nothing.
//! The loyalty recompute ([`Store::recompute_loyalty_ledger`]) reads `referral` rows as
//! inputs and never writes or corrects them, so it neither duplicates nor drops them.
//!
//! **Coupon matching.** [`Store::match_coupon_referrals`] (after every import) looks for
//! orders whose coupon cell carries a referral code (case-insensitive; a cell may list
//! several codes) and records a referral when the order is its customer's first purchase
//! and they were not referred yet (`referee_id` is UNIQUE, and the check goes through
//! merges), so matching again adds nothing.
//!
//! One transaction per write; SQL beside the code, parameterised.

use std::collections::{BTreeMap, HashSet};
use std::io::Write;

use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension as _, Transaction, params};

use super::customers::{canonical_email, phone_key};
use super::{Store, StoreError, now_utc};
use crate::domain::CustomerId;
use crate::export::referral_codes_pdf::{CodeLine, code_list};
use crate::programs::referral::{
    CODE_ALPHABET, Contact, DatedReferral, Decision, FirstOrder, FraudFlag, FraudRule,
    OwnerDecision, ReferralFacts, ReferralReport, ReferralRules, ReferralStatus, ReportCustomer,
    ReportReferral, RuleProblem, build_report, burst_flags, code_suffix, coupon_codes, decide,
    flags_text, normalise_code, referral_code, self_referral, shared_contact,
};

/// The `settings` key of the rules (JSON).
pub const RULES_KEY: &str = "referral_rules";

/// Separates a ledger key from its version number (as in the loyalty ledger).
const VERSION_MARK: &str = "#v";

/// How many referrers the report ranks.
pub const TOP_REFERRERS: usize = 10;

/// Why a referral write was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ReferralError {
    /// The rules have problems; nothing was saved.
    #[error("the referral rules were not saved: {}", join_problems(.0))]
    Invalid(Vec<RuleProblem>),
    /// No such customer.
    #[error("there is no customer number {0}")]
    UnknownCustomer(i64),
    /// The customer's personal data was erased.
    #[error("customer number {0} was erased and cannot take part in referrals")]
    Erased(i64),
    /// Referrer and friend are the same customer (or merged into one).
    #[error("a customer cannot refer themselves")]
    SelfReferral,
    /// The friend already has a referral.
    #[error("{friend} was already referred by {referrer} (referral number {id})")]
    AlreadyReferred {
        /// The friend's name.
        friend: String,
        /// Who referred them.
        referrer: String,
        /// That referral.
        id: i64,
    },
    /// No such referral.
    #[error("there is no referral number {0}")]
    UnknownReferral(i64),
    /// Only referrals waiting for review can be approved.
    #[error("referral number {id} is {status}, not waiting for review")]
    NotInReview {
        /// The referral.
        id: i64,
        /// Its status now.
        status: &'static str,
    },
    /// A rejection needs a reason.
    #[error("rejecting a referral needs a reason")]
    ReasonRequired,
    /// A reward of the rules is not in the catalogue.
    #[error("there is no active reward number {0} in the rewards catalogue")]
    UnknownReward(i64),
    /// Writing a CSV file failed.
    #[error("could not write the CSV file: {0}")]
    Csv(String),
    /// Writing the printable PDF failed.
    #[error("could not write the PDF file: {0}")]
    Pdf(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn join_problems(problems: &[RuleProblem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A failure inside a transaction: SQLite's, or a refusal.
enum Fail {
    Sql(rusqlite::Error),
    Refused(ReferralError),
}

impl From<rusqlite::Error> for Fail {
    fn from(e: rusqlite::Error) -> Self {
        Fail::Sql(e)
    }
}

impl From<ReferralError> for Fail {
    fn from(e: ReferralError) -> Self {
        Fail::Refused(e)
    }
}

/// A customer's code, for the printable list and its CSV.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ReferralCodeRow {
    /// The customer.
    pub customer: i64,
    /// Their name.
    pub name: String,
    /// Their e-mail.
    pub email: Option<String>,
    /// The code.
    pub code: String,
}

/// One referral as listed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ReferralRow {
    /// Row id.
    pub id: i64,
    /// Day of the referral.
    pub referred_date: String,
    /// Who referred (survivor of any merge).
    pub referrer: i64,
    /// Their name.
    pub referrer_name: String,
    /// The friend (survivor of any merge).
    pub friend: i64,
    /// Their name.
    pub friend_name: String,
    /// The code used, if any.
    pub code: Option<String>,
    /// `manual` or `coupon`.
    pub origin: String,
    /// The order that carried the code (coupon referrals).
    pub order_id: Option<i64>,
    /// Status.
    #[serde(serialize_with = "status_name")]
    pub status: ReferralStatus,
    /// Why, in words.
    pub reason: String,
    /// Fraud evidence at the last evaluation ('' when clean).
    pub flags: String,
    /// The owner's decision: `approved`, `rejected` or none.
    pub review_decision: Option<String>,
    /// Day it qualified.
    pub qualified_date: Option<String>,
    /// What its rewards gave and still stand, in words ("200 points to the referrer;
    /// voucher RF-ABCD-EFGH (Free drink) to the friend"); '' when nothing.
    pub rewards: String,
}

fn status_name<S: serde::Serializer>(status: &ReferralStatus, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(status.as_str())
}

/// A friend a customer brought, for their profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReferredFriend {
    /// The referral (friend, status, reason, rewards).
    pub referral: ReferralRow,
    /// What the friend has spent so far (refunds taken off), in minor units.
    pub revenue_cents: i64,
}

/// One customer's part in the referral program, for their profile.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CustomerReferrals {
    /// The customer (a survivor: merged customers' referrals count for them).
    pub customer: i64,
    /// Their referral code, when they have one.
    pub code: Option<String>,
    /// The referral that brought them, when one did.
    pub referred_by: Option<ReferralRow>,
    /// The friends they brought, newest referral first.
    pub friends: Vec<ReferredFriend>,
}

/// What [`Store::write_referral_codes_pdf`] printed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CodesPrinted {
    /// Codes listed.
    pub codes: usize,
    /// A4 pages.
    pub pages: usize,
}

/// What [`Store::match_coupon_referrals`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CouponMatchOutcome {
    /// Orders whose coupon cell carries a referral code.
    pub orders_with_codes: usize,
    /// Referrals recorded now.
    pub recorded: usize,
    /// Customers already referred (by this or an earlier match, or by hand).
    pub already_referred: usize,
    /// Orders that are not their customer's first purchase.
    pub not_first_order: usize,
    /// Customers who used their own code.
    pub own_code: usize,
}

/// What [`Store::evaluate_referrals`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EvaluationOutcome {
    /// Referrals looked at.
    pub evaluated: usize,
    /// Of those, whose status or reason changed.
    pub changed: usize,
    /// Referrals rewarded now (rewards written).
    pub rewarded_now: usize,
    /// Referrals whose rewards were reversed now.
    pub reversed_now: usize,
    /// Referrals waiting for review.
    pub in_review: usize,
    /// Ledger rows appended.
    pub ledger_rows: usize,
}

/// What [`create_demo_referrals`] recorded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DemoReferrals {
    /// Referrals recorded.
    pub recorded: usize,
    /// The evaluation that followed.
    pub evaluation: EvaluationOutcome,
}

impl Store {
    /// The stored rules (the defaults before any were saved, or when the row is unreadable).
    pub fn referral_rules(&self) -> Result<ReferralRules, StoreError> {
        read_rules(self.conn()).map_err(|e| self.err(e))
    }

    /// Validates and saves `rules` (rewards must be active rewards of the catalogue). Does
    /// not evaluate.
    pub fn save_referral_rules(&mut self, rules: &ReferralRules) -> Result<(), ReferralError> {
        rules.validate().map_err(ReferralError::Invalid)?;
        let json = serde_json::to_string(rules).unwrap_or_default();
        self.write(|tx| {
            for id in [rules.referrer_reward_id, rules.friend_reward_id]
                .into_iter()
                .flatten()
            {
                if !reward_exists(tx, id)? {
                    return Err(ReferralError::UnknownReward(id).into());
                }
            }
            tx.execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![RULES_KEY, json],
            )?;
            Ok(())
        })
    }

    /// The referral code of `customer` (the survivor of any merge), created if they have
    /// none yet.
    pub fn ensure_referral_code(&mut self, customer: CustomerId) -> Result<String, ReferralError> {
        self.write(|tx| {
            let survivor = live_survivor(tx, customer)?;
            Ok(ensure_code(tx, survivor)?)
        })
    }

    /// Gives every customer who is neither merged nor erased a code; how many were created.
    pub fn generate_all_referral_codes(&mut self) -> Result<usize, ReferralError> {
        self.write(|tx| Ok(generate_all_codes(tx)?))
    }

    /// Every code with its customer, by customer id (merged and erased customers left out).
    pub fn referral_codes(&self) -> Result<Vec<ReferralCodeRow>, StoreError> {
        read_codes(self.conn()).map_err(|e| self.err(e))
    }

    /// Writes [`Store::referral_codes`] as CSV (spreadsheet-safe); the number of rows.
    pub fn write_referral_codes_csv(&self, out: &mut dyn Write) -> Result<usize, ReferralError> {
        let rows = self.referral_codes()?;
        write_codes_csv(&rows, out).map_err(|e| ReferralError::Csv(e.to_string()))?;
        Ok(rows.len())
    }

    /// Writes the printable list of every customer's code (an A4 PDF table: name, code,
    /// e-mail; customers by name) to `out`.
    pub fn write_referral_codes_pdf(
        &self,
        out: &mut dyn Write,
    ) -> Result<CodesPrinted, ReferralError> {
        let mut lines: Vec<CodeLine> = self
            .referral_codes()?
            .into_iter()
            .map(|row| CodeLine {
                name: row.name,
                code: row.code,
                email: row.email.unwrap_or_default(),
            })
            .collect();
        lines.sort_by_cached_key(|l| (l.name.to_lowercase(), l.code.clone()));
        let document = code_list("Referral codes", &lines);
        out.write_all(&document.to_bytes())
            .map_err(|e| ReferralError::Pdf(e.to_string()))?;
        Ok(CodesPrinted {
            codes: lines.len(),
            pages: document.pages.len(),
        })
    }

    /// Records by hand that `referrer` referred `friend` on `date` (both counted as the
    /// survivors of any merge). Refuses unknown or erased customers, a self-referral and a
    /// friend who already has a referral. The new referral is `pending` until the next
    /// [`Store::evaluate_referrals`]. Its id.
    pub fn record_referral(
        &mut self,
        referrer: CustomerId,
        friend: CustomerId,
        date: NaiveDate,
    ) -> Result<i64, ReferralError> {
        self.write(|tx| {
            let referrer = live_survivor(tx, referrer)?;
            let friend = live_survivor(tx, friend)?;
            if referrer == friend {
                return Err(ReferralError::SelfReferral.into());
            }
            if let Some((id, by)) = existing_referral(tx, friend)? {
                return Err(ReferralError::AlreadyReferred {
                    friend: display_name(tx, friend)?,
                    referrer: display_name(tx, by)?,
                    id,
                }
                .into());
            }
            let code = ensure_code(tx, referrer)?;
            tx.execute(
                "INSERT INTO referrals (referrer_id, referee_id, code, referred_date, status,
                                        reason, origin, created_utc)
                 VALUES (?1, ?2, ?3, ?4, 'pending', 'recorded by hand', 'manual', ?5)",
                params![referrer.0, friend.0, code, date.to_string(), now_utc()],
            )?;
            Ok(tx.last_insert_rowid())
        })
    }

    /// Records a referral for every customer whose first purchase carries a referral code
    /// in its coupon cell (see the module documentation); idempotent.
    pub fn match_coupon_referrals(&mut self) -> Result<CouponMatchOutcome, StoreError> {
        let path = self.path().to_path_buf();
        let err = |e| StoreError::from_sqlite(&path, e);
        let tx = self.conn_mut().transaction().map_err(err)?;
        let outcome = match_coupons(&tx).map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(outcome)
    }

    /// Applies the rules and fraud checks to every referral as of `today` (the data is
    /// judged up to its last imported day, never after `today`), stores the statuses and
    /// writes or reverses rewards in the ledger, in one transaction.
    pub fn evaluate_referrals(
        &mut self,
        today: NaiveDate,
    ) -> Result<EvaluationOutcome, StoreError> {
        let path = self.path().to_path_buf();
        let err = |e| StoreError::from_sqlite(&path, e);
        let tx = self.conn_mut().transaction().map_err(err)?;
        let outcome = evaluate_in(&tx, today).map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(outcome)
    }

    /// The owner approves referral `id`, which waits for review: its fraud flags no longer
    /// hold it back, and it is evaluated at once. Its new status.
    pub fn approve_referral(
        &mut self,
        id: i64,
        today: NaiveDate,
    ) -> Result<ReferralStatus, ReferralError> {
        self.write(|tx| {
            let status = referral_status(tx, id)?;
            if status != ReferralStatus::Review {
                return Err(ReferralError::NotInReview {
                    id,
                    status: status.as_str(),
                }
                .into());
            }
            tx.execute(
                "UPDATE referrals SET review_decision = 'approved', reviewed_utc = ?2
                 WHERE id = ?1",
                params![id, now_utc()],
            )?;
            evaluate_in(tx, today)?;
            referral_status(tx, id)
        })
    }

    /// The owner rejects referral `id` (in any status) with `reason`; the rejection is
    /// final and any rewards issued are reversed at once.
    pub fn reject_referral(
        &mut self,
        id: i64,
        reason: &str,
        today: NaiveDate,
    ) -> Result<(), ReferralError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(ReferralError::ReasonRequired);
        }
        self.write(|tx| {
            referral_status(tx, id)?;
            tx.execute(
                "UPDATE referrals SET review_decision = 'rejected', review_reason = ?2,
                                      reviewed_utc = ?3
                 WHERE id = ?1",
                params![id, reason, now_utc()],
            )?;
            evaluate_in(tx, today)?;
            Ok(())
        })
    }

    /// Every referral, newest first.
    pub fn referrals(&self) -> Result<Vec<ReferralRow>, StoreError> {
        read_referrals(self.conn()).map_err(|e| self.err(e))
    }

    /// `customer`'s code, who referred them and the friends they brought with what each
    /// has spent (for their profile). `customer` is read as the survivor of any merge.
    pub fn customer_referrals(
        &self,
        customer: CustomerId,
    ) -> Result<CustomerReferrals, StoreError> {
        read_customer_referrals(self.conn(), customer).map_err(|e| self.err(e))
    }

    /// The referral figures (see [`build_report`]) with CLV from the current valuation.
    pub fn referral_report(&self) -> Result<ReferralReport, StoreError> {
        let customers: Vec<ReportCustomer> = self
            .customer_values()?
            .into_iter()
            .map(|row| ReportCustomer {
                customer: CustomerId(row.id),
                name: row.name,
                orders: row.orders,
                revenue_cents: row.revenue_cents,
                predicted_clv_cents: row.score.map(|s| s.predicted_clv_cents),
            })
            .collect();
        let referrals: Vec<ReportReferral> = self
            .referrals()?
            .into_iter()
            .map(|r| ReportReferral {
                referrer: CustomerId(r.referrer),
                friend: CustomerId(r.friend),
                status: r.status,
            })
            .collect();
        Ok(build_report(&customers, &referrals, TOP_REFERRERS))
    }

    /// Writes every referral as CSV (spreadsheet-safe); the number of rows.
    pub fn write_referrals_csv(&self, out: &mut dyn Write) -> Result<usize, ReferralError> {
        let rows = self.referrals()?;
        write_referrals_rows_csv(&rows, out).map_err(|e| ReferralError::Csv(e.to_string()))?;
        Ok(rows.len())
    }

    /// Runs `body` in one transaction, committing on success.
    fn write<T>(
        &mut self,
        body: impl FnOnce(&Transaction<'_>) -> Result<T, Fail>,
    ) -> Result<T, ReferralError> {
        let path = self.path().to_path_buf();
        let sql = |e| ReferralError::Store(StoreError::from_sqlite(&path, e));
        let tx = self.conn_mut().transaction().map_err(sql)?;
        let value = body(&tx).map_err(|fail| match fail {
            Fail::Sql(e) => sql(e),
            Fail::Refused(e) => e,
        })?;
        tx.commit().map_err(sql)?;
        Ok(value)
    }
}

/// Sample referrals for the demo shop, after its orders are loaded: codes for everyone,
/// a few referrers, friends whose first order is old enough to qualify, some still inside
/// the refund window (pending), and one pair given the same postcode so it waits for
/// review; then one evaluation as of `today`.
pub fn create_demo_referrals(
    store: &mut Store,
    today: NaiveDate,
) -> Result<DemoReferrals, ReferralError> {
    let rules = store.referral_rules()?;
    let mut buyers: Vec<(i64, NaiveDate, u64)> = store
        .customer_values()?
        .into_iter()
        .filter_map(|row| {
            let first = row.first_order.as_deref().and_then(parse_day)?;
            Some((row.id, first, row.orders))
        })
        .collect();
    buyers.sort_by_key(|(id, first, _)| (*first, *id));
    let referrers: Vec<(i64, NaiveDate)> = buyers
        .iter()
        .filter(|(_, _, orders)| *orders >= 3)
        .take(3)
        .map(|(id, first, _)| (*id, *first))
        .collect();
    if referrers.is_empty() {
        return Ok(DemoReferrals::default());
    }
    let window = chrono::Duration::days(i64::from(rules.refund_window_days));
    let is_referrer = |id: i64| referrers.iter().any(|(r, _)| *r == id);
    let candidates: Vec<(i64, NaiveDate)> = buyers
        .iter()
        .filter(|(id, first, _)| !is_referrer(*id) && *first > referrers[0].1)
        .map(|(id, first, _)| (*id, *first))
        .collect();
    let recent = |first: &NaiveDate| *first + window > today;
    let older: Vec<_> = candidates.iter().filter(|(_, f)| !recent(f)).collect();
    let newer: Vec<_> = candidates.iter().filter(|(_, f)| recent(f)).collect();
    let older_step = (older.len() / 8).max(1);
    let mut friends: Vec<(i64, NaiveDate)> = older
        .iter()
        .step_by(older_step)
        .take(8)
        .map(|p| **p)
        .collect();
    friends.extend(newer.iter().rev().take(3).map(|p| **p));
    let mut recorded = 0;
    let mut flagged = false;
    for (n, (friend, first)) in friends.iter().enumerate() {
        let Some((referrer, _)) = referrers
            .iter()
            .cycle()
            .skip(n % referrers.len())
            .take(referrers.len())
            .find(|(_, since)| since < first)
        else {
            continue;
        };
        store.record_referral(CustomerId(*referrer), CustomerId(*friend), *first)?;
        recorded += 1;
        if !flagged && n == 1 {
            share_demo_postcode(store, *referrer, *friend)?;
            flagged = true;
        }
    }
    recorded += demo_coupon_friends(store, &referrers, today)?;
    store.generate_all_referral_codes()?;
    let evaluation = store.evaluate_referrals(today)?;
    Ok(DemoReferrals {
        recorded,
        evaluation,
    })
}

/// Two new demo customers whose first orders, days before the data ends, carry a
/// referrer's code: imported as a small "Demo referrals" file and matched, so the demo
/// also shows coupon referrals still inside the refund window. How many were recorded.
fn demo_coupon_friends(
    store: &mut Store,
    referrers: &[(i64, NaiveDate)],
    today: NaiveDate,
) -> Result<usize, ReferralError> {
    let last_day = known_until(store.conn(), today).map_err(|e| store.err(e))?;
    let currency = store.business_settings()?.currency;
    let friends = [("Mila Hart", 4, 32_00), ("Ravi Shah", 11, 45_50)];
    let mut orders = Vec::new();
    for (n, (name, days_before, cents)) in friends.into_iter().enumerate() {
        let (referrer, _) = referrers[n % referrers.len()];
        let code = store.ensure_referral_code(CustomerId(referrer))?;
        let day = last_day - chrono::Duration::days(days_before);
        let email = format!("{}@example.com", name.to_lowercase().replace(' ', "."));
        orders.push(demo_order(n, name, &email, day, cents, currency, &code));
    }
    let import = crate::store::orders::NewImport {
        file_name: "Demo referrals".to_owned(),
        preset: "demo".to_owned(),
        rows_read: orders.len() as u64,
        ..crate::store::orders::NewImport::default()
    };
    match store.write_import(&import, &orders, &[], &mut |_| true) {
        Ok(_) => {}
        Err(crate::store::orders::WriteError::Store(e)) => return Err(e.into()),
        Err(crate::store::orders::WriteError::Cancelled) => return Ok(0),
    }
    Ok(store.match_coupon_referrals()?.recorded)
}

/// One demo order with a coupon code.
fn demo_order(
    n: usize,
    name: &str,
    email: &str,
    day: NaiveDate,
    cents: i64,
    currency: crate::domain::Currency,
    code: &str,
) -> crate::domain::NewOrder {
    let noon = day.and_hms_opt(12, 0, 0).unwrap_or_default().and_utc();
    let customer = crate::domain::CustomerIdentity {
        email: Some(email.to_owned()),
        name: Some(name.to_owned()),
        ..crate::domain::CustomerIdentity::default()
    };
    let number = format!("REF{:04}", n + 1);
    let mut order = crate::domain::NewOrder::paid("demo", &number, customer, noon, currency, cents);
    order.coupon_code = Some(code.to_owned());
    order.channel = Some("web".into());
    order
}

/// Gives two demo customers the same postcode (a shared-address fraud flag).
fn share_demo_postcode(store: &mut Store, a: i64, b: i64) -> Result<(), StoreError> {
    store
        .conn()
        .execute(
            "UPDATE customers SET postcode = 'CB2 1TN' WHERE id IN (?1, ?2)",
            params![a, b],
        )
        .map(|_| ())
        .map_err(|e| store.err(e))
}

// ---------------------------------------------------------------------------------------
// Rules and customers

/// The stored rules, or the defaults.
fn read_rules(conn: &Connection) -> rusqlite::Result<ReferralRules> {
    let json: Option<String> = conn
        .query_row(
            "SELECT value FROM settings WHERE key = ?1",
            [RULES_KEY],
            |r| r.get(0),
        )
        .optional()?;
    Ok(json
        .and_then(|j| serde_json::from_str(&j).ok())
        .unwrap_or_default())
}

fn reward_exists(conn: &Connection, id: i64) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM rewards WHERE id = ?1 AND active = 1)",
        [id],
        |r| r.get(0),
    )
}

/// The survivor of `customer`'s merges; refused when unknown or erased.
fn live_survivor(conn: &Connection, customer: CustomerId) -> Result<CustomerId, Fail> {
    let found: Option<(i64, bool)> = conn
        .query_row(
            "SELECT s.id, s.erased_utc IS NOT NULL
             FROM customers c JOIN customers s ON s.id = coalesce(c.merged_into, c.id)
             WHERE c.id = ?1",
            [customer.0],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    match found {
        None => Err(ReferralError::UnknownCustomer(customer.0).into()),
        Some((id, true)) => Err(ReferralError::Erased(id).into()),
        Some((id, false)) => Ok(CustomerId(id)),
    }
}

fn display_name(conn: &Connection, customer: CustomerId) -> rusqlite::Result<String> {
    conn.query_row(
        "SELECT display_name FROM customers WHERE id = ?1",
        [customer.0],
        |r| r.get(0),
    )
    .optional()
    .map(Option::unwrap_or_default)
}

/// The referral (id, referrer survivor) of `friend` or anyone merged with them.
fn existing_referral(
    conn: &Connection,
    friend: CustomerId,
) -> rusqlite::Result<Option<(i64, CustomerId)>> {
    conn.query_row(
        "SELECT r.id, coalesce(b.merged_into, b.id)
         FROM referrals r
         JOIN customers f ON f.id = r.referee_id
         JOIN customers b ON b.id = r.referrer_id
         WHERE coalesce(f.merged_into, f.id) = ?1
         ORDER BY r.id LIMIT 1",
        [friend.0],
        |r| Ok((r.get(0)?, CustomerId(r.get(1)?))),
    )
    .optional()
}

// ---------------------------------------------------------------------------------------
// Codes

fn code_taken(conn: &Connection, code: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM referral_codes WHERE code = ?1)",
        [code],
        |r| r.get(0),
    )
}

/// `survivor`'s code, created when missing.
fn ensure_code(conn: &Connection, survivor: CustomerId) -> rusqlite::Result<String> {
    let existing: Option<String> = conn
        .query_row(
            "SELECT code FROM referral_codes WHERE customer_id = ?1",
            [survivor.0],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(code) = existing {
        return Ok(code);
    }
    let name = display_name(conn, survivor)?;
    let seed = survivor.0.unsigned_abs();
    let mut attempt = 0u32;
    let code = loop {
        let code = referral_code(&name, seed, attempt);
        if !code_taken(conn, &code)? {
            break code;
        }
        attempt = attempt.saturating_add(1);
    };
    insert_code(conn, survivor, &code)?;
    Ok(code)
}

fn insert_code(conn: &Connection, customer: CustomerId, code: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO referral_codes (customer_id, code, created_utc) VALUES (?1, ?2, ?3)",
        params![customer.0, code, now_utc()],
    )
    .map(|_| ())
}

/// Codes for every live customer without one; how many were created.
fn generate_all_codes(conn: &Connection) -> rusqlite::Result<usize> {
    let mut taken: HashSet<String> = conn
        .prepare("SELECT upper(code) FROM referral_codes")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let missing: Vec<(i64, String)> = conn
        .prepare(
            "SELECT c.id, c.display_name FROM customers c
             WHERE c.merged_into IS NULL AND c.erased_utc IS NULL
               AND NOT EXISTS (SELECT 1 FROM referral_codes r WHERE r.customer_id = c.id)
             ORDER BY c.id",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (id, name) in &missing {
        let mut attempt = 0u32;
        let code = loop {
            let code = referral_code(name, id.unsigned_abs(), attempt);
            if !taken.contains(&code) {
                break code;
            }
            attempt = attempt.saturating_add(1);
        };
        insert_code(conn, CustomerId(*id), &code)?;
        taken.insert(code);
    }
    Ok(missing.len())
}

fn read_codes(conn: &Connection) -> rusqlite::Result<Vec<ReferralCodeRow>> {
    conn.prepare(
        "SELECT c.id, c.display_name, c.email, r.code
         FROM referral_codes r JOIN customers c ON c.id = r.customer_id
         WHERE c.merged_into IS NULL AND c.erased_utc IS NULL
         ORDER BY c.id",
    )?
    .query_map([], |r| {
        Ok(ReferralCodeRow {
            customer: r.get(0)?,
            name: r.get(1)?,
            email: r.get(2)?,
            code: r.get(3)?,
        })
    })?
    .collect()
}

// ---------------------------------------------------------------------------------------
// Coupon matching

/// The owners (survivors) of every code, by upper-case code.
fn code_owners(conn: &Connection) -> rusqlite::Result<BTreeMap<String, (CustomerId, String)>> {
    conn.prepare(
        "SELECT upper(r.code), coalesce(c.merged_into, c.id), r.code
         FROM referral_codes r JOIN customers c ON c.id = r.customer_id
         WHERE c.erased_utc IS NULL",
    )?
    .query_map([], |r| Ok((r.get(0)?, (CustomerId(r.get(1)?), r.get(2)?))))?
    .collect()
}

/// The first purchase (order id) of `survivor` and everyone merged into them.
fn first_order_id(conn: &Connection, survivor: CustomerId) -> rusqlite::Result<Option<i64>> {
    conn.query_row(
        "SELECT o.id FROM orders o
         WHERE o.customer_id IN (SELECT id FROM customers WHERE id = ?1 OR merged_into = ?1)
           AND o.status <> 'refund'
         ORDER BY o.placed_utc, o.id LIMIT 1",
        [survivor.0],
        |r| r.get(0),
    )
    .optional()
}

fn match_coupons(conn: &Connection) -> rusqlite::Result<CouponMatchOutcome> {
    let owners = code_owners(conn)?;
    let mut outcome = CouponMatchOutcome::default();
    if owners.is_empty() {
        return Ok(outcome);
    }
    let orders: Vec<(i64, String, CustomerId, String)> = conn
        .prepare(
            "SELECT o.id, o.coupon_code, coalesce(c.merged_into, c.id), o.local_date
             FROM orders o JOIN customers c ON c.id = o.customer_id
             WHERE o.coupon_code IS NOT NULL AND o.status <> 'refund'
               AND c.erased_utc IS NULL
             ORDER BY o.placed_utc, o.id",
        )?
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, CustomerId(r.get(2)?), r.get(3)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let now = now_utc();
    for (order_id, cell, customer, day) in orders {
        let Some((referrer, code)) = coupon_codes(&cell).find_map(|c| owners.get(&c)) else {
            continue;
        };
        outcome.orders_with_codes += 1;
        if *referrer == customer {
            outcome.own_code += 1;
            continue;
        }
        if existing_referral(conn, customer)?.is_some() {
            outcome.already_referred += 1;
            continue;
        }
        if first_order_id(conn, customer)? != Some(order_id) {
            outcome.not_first_order += 1;
            continue;
        }
        conn.execute(
            "INSERT INTO referrals (referrer_id, referee_id, code, order_id, referred_date,
                                    status, reason, origin, created_utc)
             VALUES (?1, ?2, ?3, ?4, ?5, 'pending', 'code used on the first order', 'coupon', ?6)",
            params![referrer.0, customer.0, code, order_id, day, now],
        )?;
        outcome.recorded += 1;
    }
    Ok(outcome)
}

// ---------------------------------------------------------------------------------------
// Evaluation

/// A stored referral as the evaluation reads it.
struct Stored {
    id: i64,
    referrer: CustomerId,
    friend: CustomerId,
    referred_date: NaiveDate,
    status: ReferralStatus,
    reason: String,
    flags: String,
    owner: OwnerDecision,
    qualified_date: Option<NaiveDate>,
    /// The minimum first order in force when the rewards were issued.
    rewarded_min_cents: Option<i64>,
}

fn parse_day(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

fn read_stored(conn: &Connection) -> rusqlite::Result<Vec<Stored>> {
    let mut stmt = conn.prepare(
        "SELECT r.id, coalesce(b.merged_into, b.id), coalesce(f.merged_into, f.id),
                r.referred_date, r.status, r.reason, r.flags, r.review_decision,
                r.review_reason, r.qualified_date, r.rewarded_min_cents
         FROM referrals r
         JOIN customers b ON b.id = r.referrer_id
         JOIN customers f ON f.id = r.referee_id
         ORDER BY r.id",
    )?;
    let rows = stmt.query_map([], |r| {
        let decision: Option<String> = r.get(7)?;
        let owner = match decision.as_deref() {
            Some("approved") => OwnerDecision::Approved,
            Some("rejected") => OwnerDecision::Rejected(r.get(8)?),
            _ => OwnerDecision::None,
        };
        let day: String = r.get(3)?;
        let status: String = r.get(4)?;
        Ok(Stored {
            id: r.get(0)?,
            referrer: CustomerId(r.get(1)?),
            friend: CustomerId(r.get(2)?),
            referred_date: parse_day(&day).unwrap_or_default(),
            status: ReferralStatus::parse(&status).unwrap_or(ReferralStatus::Pending),
            reason: r.get(5)?,
            flags: r.get(6)?,
            owner,
            qualified_date: r
                .get::<_, Option<String>>(9)?
                .as_deref()
                .and_then(parse_day),
            rewarded_min_cents: r.get(10)?,
        })
    })?;
    rows.collect()
}

/// The last day the imported data covers, and not after `today`.
fn known_until(conn: &Connection, today: NaiveDate) -> rusqlite::Result<NaiveDate> {
    let last: Option<String> =
        conn.query_row("SELECT max(local_date) FROM orders", [], |r| r.get(0))?;
    Ok(last
        .as_deref()
        .and_then(parse_day)
        .map_or(today, |day| day.min(today)))
}

fn contact(conn: &Connection, customer: CustomerId) -> rusqlite::Result<Contact> {
    conn.query_row(
        "SELECT display_name, email, phone, postcode FROM customers
         WHERE id = ?1 AND erased_utc IS NULL",
        [customer.0],
        |r| {
            let email: Option<String> = r.get(1)?;
            let phone: Option<String> = r.get(2)?;
            Ok(Contact {
                name: r.get(0)?,
                email_key: email
                    .as_deref()
                    .filter(|e| e.contains('@'))
                    .map(canonical_email),
                phone_key: phone.as_deref().and_then(phone_key),
                email,
                phone,
                postcode: r.get(3)?,
            })
        },
    )
    .optional()
    .map(Option::unwrap_or_default)
}

/// The friend's first purchase with its refunds (in the order and linked refund entries).
fn first_order(conn: &Connection, friend: CustomerId) -> rusqlite::Result<Option<FirstOrder>> {
    conn.query_row(
        "SELECT o.local_date, o.net_cents, o.refunded_cents, o.refunded_utc, o.placed_utc,
                o.utc_offset_minutes,
                (SELECT coalesce(sum(x.net_cents), 0) FROM orders x WHERE x.refund_of = o.id),
                (SELECT max(x.local_date) FROM orders x WHERE x.refund_of = o.id)
         FROM orders o
         WHERE o.customer_id IN (SELECT id FROM customers WHERE id = ?1 OR merged_into = ?1)
           AND o.status <> 'refund'
         ORDER BY o.placed_utc, o.id LIMIT 1",
        [friend.0],
        |r| {
            let day: String = r.get(0)?;
            let net: i64 = r.get(1)?;
            let in_order: i64 = r.get(2)?;
            let refunded_utc: Option<i64> = r.get(3)?;
            let placed_utc: i64 = r.get(4)?;
            let offset: Option<i64> = r.get(5)?;
            let linked: i64 = r.get(6)?; // refund entries are negative
            let linked_day: Option<String> = r.get(7)?;
            Ok((
                day,
                net,
                in_order,
                refunded_utc,
                placed_utc,
                offset,
                linked,
                linked_day,
            ))
        },
    )
    .optional()
    .map(|found| {
        let (day, net, in_order, refunded_utc, placed_utc, offset, linked, linked_day) = found?;
        let date = parse_day(&day)?;
        let refunded_cents = in_order - linked;
        let in_order_day = refunded_utc
            .filter(|_| in_order > 0)
            .map(|at| super::loyalty::refund_day(date, placed_utc, at, offset));
        let linked_day = linked_day.as_deref().and_then(parse_day);
        Some(FirstOrder {
            date,
            paid_cents: net + in_order,
            refunded_cents,
            refund_date: (refunded_cents > 0).then(|| in_order_day.max(linked_day).unwrap_or(date)),
        })
    })
}

/// The fraud flags of one referral (the burst flag comes from `bursts`).
fn fraud_flags(
    conn: &Connection,
    stored: &Stored,
    bursts: &BTreeMap<i64, FraudFlag>,
) -> rusqlite::Result<Vec<FraudFlag>> {
    let mut flags = Vec::new();
    if stored.referrer == stored.friend {
        flags.push(FraudFlag {
            rule: FraudRule::SelfReferral,
            evidence: "referrer and friend were merged into one customer".to_owned(),
        });
    } else {
        let referrer = contact(conn, stored.referrer)?;
        let friend = contact(conn, stored.friend)?;
        flags.extend(self_referral(&referrer, &friend));
        flags.extend(shared_contact(&referrer, &friend));
    }
    flags.extend(bursts.get(&stored.id).cloned());
    Ok(flags)
}

/// Rewarded referrals' qualifying days per referrer.
type RewardDays = BTreeMap<CustomerId, Vec<NaiveDate>>;

fn rewarded_in_period(days: &RewardDays, referrer: CustomerId, on: NaiveDate, period: u32) -> u32 {
    let from = on - chrono::Duration::days(i64::from(period.max(1)) - 1);
    let count = days.get(&referrer).map_or(0, |list| {
        list.iter().filter(|d| **d >= from && **d <= on).count()
    });
    u32::try_from(count).unwrap_or(u32::MAX)
}

/// Evaluates every referral inside `conn`'s transaction.
fn evaluate_in(conn: &Connection, today: NaiveDate) -> rusqlite::Result<EvaluationOutcome> {
    let stored = read_stored(conn)?;
    if stored.is_empty() {
        // Nothing to judge (and no look at every order for the last day known).
        return Ok(EvaluationOutcome::default());
    }
    let rules = read_rules(conn)?;
    let known = known_until(conn, today)?;
    let dated: Vec<DatedReferral> = stored
        .iter()
        .map(|s| DatedReferral {
            id: s.id,
            referrer: s.referrer,
            date: s.referred_date,
        })
        .collect();
    let bursts = burst_flags(&rules, &dated);
    let window = chrono::Duration::days(i64::from(rules.refund_window_days));
    let mut work = Vec::with_capacity(stored.len());
    let mut reward_days = RewardDays::new();
    for s in &stored {
        let first = first_order(conn, s.friend)?;
        let rewarded = s.status == ReferralStatus::Rewarded;
        if rewarded {
            let day = s
                .qualified_date
                .or(first.map(|f| f.date + window))
                .unwrap_or(s.referred_date);
            reward_days.entry(s.referrer).or_default().push(day);
        }
        let flags = fraud_flags(conn, s, &bursts)?;
        let qualifying = first.map_or(NaiveDate::MAX, |f| f.date + window);
        work.push((qualifying, s, first, flags));
    }
    work.sort_by_key(|(qualifying, s, _, _)| (*qualifying, s.id));
    let mut ledger = Ledger::read(conn)?;
    let mut outcome = EvaluationOutcome {
        evaluated: stored.len(),
        ..EvaluationOutcome::default()
    };
    for (qualifying, s, first, flags) in work {
        let rewarded = s.status == ReferralStatus::Rewarded;
        let facts = ReferralFacts {
            referred_date: s.referred_date,
            first_order: first,
            known_until: known,
            rewarded,
            rewarded_min_cents: s.rewarded_min_cents,
            owner: s.owner.clone(),
            flags: flags.clone(),
            referrer_rewarded_in_period: if rewarded {
                0
            } else {
                rewarded_in_period(&reward_days, s.referrer, qualifying, rules.cap_period_days)
            },
        };
        let decision = decide(&rules, &facts);
        if decision.status == ReferralStatus::Rewarded && !rewarded {
            let day = decision.qualified_on.unwrap_or(known);
            reward_days.entry(s.referrer).or_default().push(day);
            outcome.rewarded_now += 1;
        }
        if rewarded && decision.status != ReferralStatus::Rewarded {
            outcome.reversed_now += 1;
        }
        if decision.status == ReferralStatus::Review {
            outcome.in_review += 1;
        }
        outcome.ledger_rows += ledger.sync(conn, &rules, s, &decision, today)?;
        if store_decision(conn, s, &decision, &flags_text(&flags), &rules)? {
            outcome.changed += 1;
        }
    }
    Ok(outcome)
}

/// Writes the status, reason, flags, qualifying day and the minimum a reward was issued
/// under (`rules`' when it is issued now) when they changed.
fn store_decision(
    conn: &Connection,
    s: &Stored,
    decision: &Decision,
    flags: &str,
    rules: &ReferralRules,
) -> rusqlite::Result<bool> {
    let qualified = match decision.status {
        ReferralStatus::Rewarded | ReferralStatus::Qualified => decision.qualified_on,
        _ => None,
    };
    let rewarded_min = match (decision.status, s.status) {
        (ReferralStatus::Rewarded, ReferralStatus::Rewarded) => s.rewarded_min_cents,
        (ReferralStatus::Rewarded, _) => Some(rules.min_first_order_cents),
        _ => None,
    };
    let same = s.status == decision.status
        && s.reason == decision.reason
        && s.flags == flags
        && s.qualified_date == qualified
        && s.rewarded_min_cents == rewarded_min;
    if same {
        return Ok(false);
    }
    conn.execute(
        "UPDATE referrals SET status = ?2, reason = ?3, flags = ?4, qualified_date = ?5,
                              rewarded_min_cents = ?6
         WHERE id = ?1",
        params![
            s.id,
            decision.status.as_str(),
            decision.reason,
            flags,
            qualified.map(|d| d.to_string()),
            rewarded_min
        ],
    )?;
    Ok(true)
}

// ---------------------------------------------------------------------------------------
// Ledger

/// The stored rows of one referral ledger key.
#[derive(Default)]
struct Group {
    versions: u32,
    sums: BTreeMap<CustomerId, i64>,
    /// Whether the latest row holds a voucher (voucher keys only).
    voucher_live: bool,
}

/// Stored `referral` ledger rows by base key.
struct Ledger {
    groups: BTreeMap<String, Group>,
    rewards: BTreeMap<i64, bool>,
}

/// `referral:3:friend#v2` → `referral:3:friend`.
fn base_ref(source_ref: &str) -> &str {
    source_ref
        .rsplit_once(VERSION_MARK)
        .filter(|(_, n)| n.parse::<u32>().is_ok())
        .map_or(source_ref, |(base, _)| base)
}

fn versioned_ref(base: &str, n: u32) -> String {
    if n <= 1 {
        base.to_owned()
    } else {
        format!("{base}{VERSION_MARK}{n}")
    }
}

/// A row to append.
struct Row<'a> {
    customer: CustomerId,
    base: &'a str,
    points: i64,
    date: NaiveDate,
    reason: String,
    reward_id: Option<i64>,
    voucher: Option<String>,
}

impl Ledger {
    fn read(conn: &Connection) -> rusqlite::Result<Ledger> {
        let mut stmt = conn.prepare(
            "SELECT l.source_ref, coalesce(c.merged_into, c.id), l.points, l.voucher_code
             FROM points_ledger l JOIN customers c ON c.id = l.customer_id
             WHERE l.kind = 'referral' AND l.source_ref LIKE 'referral:%'
             ORDER BY l.id",
        )?;
        let mut rows = stmt.query([])?;
        let mut groups: BTreeMap<String, Group> = BTreeMap::new();
        while let Some(row) = rows.next()? {
            let source_ref: String = row.get(0)?;
            let group = groups.entry(base_ref(&source_ref).to_owned()).or_default();
            group.versions += 1;
            *group.sums.entry(CustomerId(row.get(1)?)).or_default() += row.get::<_, i64>(2)?;
            group.voucher_live = row.get::<_, Option<String>>(3)?.is_some();
        }
        Ok(Ledger {
            groups,
            rewards: BTreeMap::new(),
        })
    }

    fn reward_ok(&mut self, conn: &Connection, id: i64) -> rusqlite::Result<bool> {
        if let Some(ok) = self.rewards.get(&id) {
            return Ok(*ok);
        }
        let ok = reward_exists(conn, id)?;
        self.rewards.insert(id, ok);
        Ok(ok)
    }

    /// Brings one referral's rows to its decision; rows appended.
    fn sync(
        &mut self,
        conn: &Connection,
        rules: &ReferralRules,
        s: &Stored,
        decision: &Decision,
        today: NaiveDate,
    ) -> rusqlite::Result<usize> {
        let wanted = decision.status == ReferralStatus::Rewarded;
        let issue_day = decision.qualified_on.unwrap_or(today).min(today);
        let mut appended = 0;
        let sides = [
            (
                "referrer",
                s.referrer,
                rules.referrer_points,
                rules.referrer_reward_id,
            ),
            (
                "friend",
                s.friend,
                rules.friend_points,
                rules.friend_reward_id,
            ),
        ];
        for (side, customer, points, reward) in sides {
            let base = format!("referral:{}:{side}", s.id);
            let stored = self.groups.get(&base);
            let sums: Vec<(CustomerId, i64)> = stored
                .map(|g| {
                    g.sums
                        .iter()
                        .map(|(c, p)| (*c, *p))
                        .filter(|(_, p)| *p != 0)
                        .collect()
                })
                .unwrap_or_default();
            if wanted && sums.is_empty() && points > 0 {
                let reason = format!("referral {} reward ({side})", s.id);
                appended += self.append(
                    conn,
                    Row {
                        customer,
                        base: &base,
                        points,
                        date: issue_day,
                        reason,
                        reward_id: None,
                        voucher: None,
                    },
                )?;
            }
            if !wanted {
                for (holder, sum) in sums {
                    let reason = format!(
                        "reversed referral {} reward ({side}): {}",
                        s.id, decision.reason
                    );
                    appended += self.append(
                        conn,
                        Row {
                            customer: holder,
                            base: &base,
                            points: -sum,
                            date: today,
                            reason,
                            reward_id: None,
                            voucher: None,
                        },
                    )?;
                }
            }
            appended +=
                self.sync_voucher(conn, s, side, customer, reward, wanted, issue_day, today)?;
        }
        Ok(appended)
    }

    #[allow(clippy::too_many_arguments)]
    fn sync_voucher(
        &mut self,
        conn: &Connection,
        s: &Stored,
        side: &str,
        customer: CustomerId,
        reward: Option<i64>,
        wanted: bool,
        issue_day: NaiveDate,
        today: NaiveDate,
    ) -> rusqlite::Result<usize> {
        let base = format!("referral:{}:{side}:voucher", s.id);
        let live = self.groups.get(&base).is_some_and(|g| g.voucher_live);
        match reward {
            Some(id) if wanted && !live && self.reward_ok(conn, id)? => {
                let code = new_voucher_code(conn, s.id, side)?;
                self.append(
                    conn,
                    Row {
                        customer,
                        base: &base,
                        points: 0,
                        date: issue_day,
                        reason: format!("referral {} reward ({side}): voucher {code}", s.id),
                        reward_id: Some(id),
                        voucher: Some(code),
                    },
                )
            }
            _ if !wanted && live => self.append(
                conn,
                Row {
                    customer,
                    base: &base,
                    points: 0,
                    date: today,
                    reason: format!("voucher of referral {} ({side}) cancelled", s.id),
                    reward_id: None,
                    voucher: None,
                },
            ),
            _ => Ok(0),
        }
    }

    fn append(&mut self, conn: &Connection, row: Row<'_>) -> rusqlite::Result<usize> {
        let group = self.groups.entry(row.base.to_owned()).or_default();
        group.versions += 1;
        *group.sums.entry(row.customer).or_default() += row.points;
        group.voucher_live = row.voucher.is_some();
        conn.execute(
            "INSERT INTO points_ledger (customer_id, kind, points, effective_date, source_ref,
                                        reason, reward_id, voucher_code, created_utc)
             VALUES (?1, 'referral', ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                row.customer.0,
                row.points,
                row.date.to_string(),
                versioned_ref(row.base, group.versions),
                row.reason,
                row.reward_id,
                row.voucher,
                now_utc()
            ],
        )
    }
}

/// A voucher code not yet in the ledger: `RF-XXXX-XXXX`.
fn new_voucher_code(conn: &Connection, referral: i64, side: &str) -> rusqlite::Result<String> {
    let seed = referral.unsigned_abs().wrapping_mul(2) + u64::from(side == "friend");
    let salt = u64::try_from(now_utc()).unwrap_or_default();
    let mut attempt = 0u32;
    loop {
        let letters = code_suffix(seed ^ salt.rotate_left(17), attempt, 8);
        let code = format!("RF-{}-{}", &letters[..4], &letters[4..]);
        let taken: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM points_ledger WHERE voucher_code = ?1)",
            [&code],
            |r| r.get(0),
        )?;
        if !taken {
            return Ok(code);
        }
        attempt = attempt.saturating_add(1);
    }
}

// ---------------------------------------------------------------------------------------
// Listing and CSV

fn referral_status(conn: &Connection, id: i64) -> Result<ReferralStatus, Fail> {
    let status: Option<String> = conn
        .query_row("SELECT status FROM referrals WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .optional()?;
    status
        .as_deref()
        .and_then(ReferralStatus::parse)
        .ok_or_else(|| ReferralError::UnknownReferral(id).into())
}

/// What one side of a referral holds in the ledger.
#[derive(Default)]
struct SideRewards {
    points: i64,
    /// The latest voucher row's code and reward name (no code: cancelled).
    voucher: Option<(Option<String>, Option<String>)>,
}

/// The standing rewards of every referral in words, by referral id.
fn rewards_given(conn: &Connection) -> rusqlite::Result<BTreeMap<i64, String>> {
    let mut stmt = conn.prepare(
        "SELECT l.source_ref, l.points, l.voucher_code, w.name
         FROM points_ledger l LEFT JOIN rewards w ON w.id = l.reward_id
         WHERE l.kind = 'referral' AND l.source_ref LIKE 'referral:%'
         ORDER BY l.id",
    )?;
    let mut rows = stmt.query([])?;
    let mut sides: BTreeMap<(i64, bool), SideRewards> = BTreeMap::new();
    while let Some(row) = rows.next()? {
        let source_ref: String = row.get(0)?;
        let mut parts = base_ref(&source_ref).split(':').skip(1);
        let Some(id) = parts.next().and_then(|id| id.parse::<i64>().ok()) else {
            continue;
        };
        let friend = parts.next() == Some("friend");
        let side = sides.entry((id, friend)).or_default();
        if parts.next() == Some("voucher") {
            side.voucher = Some((row.get(2)?, row.get(3)?));
        } else {
            side.points += row.get::<_, i64>(1)?;
        }
    }
    let mut words: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for ((id, friend), side) in sides {
        let to = if friend {
            "to the friend"
        } else {
            "to the referrer"
        };
        let list = words.entry(id).or_default();
        if side.points != 0 {
            list.push(format!("{} points {to}", side.points));
        }
        if let Some((Some(code), name)) = side.voucher {
            let name = name.map_or_else(String::new, |n| format!(" ({n})"));
            list.push(format!("voucher {code}{name} {to}"));
        }
    }
    Ok(words
        .into_iter()
        .map(|(id, list)| (id, list.join("; ")))
        .collect())
}

fn read_customer_referrals(
    conn: &Connection,
    customer: CustomerId,
) -> rusqlite::Result<CustomerReferrals> {
    let survivor: i64 = conn
        .query_row(
            "SELECT coalesce(merged_into, id) FROM customers WHERE id = ?1",
            [customer.0],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(customer.0);
    let code: Option<String> = conn
        .query_row(
            "SELECT code FROM referral_codes WHERE customer_id = ?1",
            [survivor],
            |r| r.get(0),
        )
        .optional()?;
    let mut revenue = conn.prepare(
        "SELECT coalesce(sum(o.net_cents), 0)
         FROM orders o JOIN customers c ON c.id = o.customer_id
         WHERE coalesce(c.merged_into, c.id) = ?1",
    )?;
    let mut found = CustomerReferrals {
        customer: survivor,
        code,
        ..CustomerReferrals::default()
    };
    for row in read_referrals(conn)? {
        if row.friend == survivor && found.referred_by.is_none() {
            found.referred_by = Some(row);
        } else if row.referrer == survivor {
            let revenue_cents = revenue.query_row([row.friend], |r| r.get(0))?;
            found.friends.push(ReferredFriend {
                referral: row,
                revenue_cents,
            });
        }
    }
    Ok(found)
}

fn read_referrals(conn: &Connection) -> rusqlite::Result<Vec<ReferralRow>> {
    let mut rewards = rewards_given(conn)?;
    conn.prepare(
        "SELECT r.id, r.referred_date, b.id, b.display_name, f.id, f.display_name, r.code,
                r.origin, r.order_id, r.status, r.reason, r.flags, r.review_decision,
                r.qualified_date
         FROM referrals r
         JOIN customers rb ON rb.id = r.referrer_id
         JOIN customers b ON b.id = coalesce(rb.merged_into, rb.id)
         JOIN customers rf ON rf.id = r.referee_id
         JOIN customers f ON f.id = coalesce(rf.merged_into, rf.id)
         ORDER BY r.referred_date DESC, r.id DESC",
    )?
    .query_map([], |r| {
        let status: String = r.get(9)?;
        let id: i64 = r.get(0)?;
        Ok(ReferralRow {
            id,
            rewards: rewards.remove(&id).unwrap_or_default(),
            referred_date: r.get(1)?,
            referrer: r.get(2)?,
            referrer_name: r.get(3)?,
            friend: r.get(4)?,
            friend_name: r.get(5)?,
            code: r.get(6)?,
            origin: r.get(7)?,
            order_id: r.get(8)?,
            status: ReferralStatus::parse(&status).unwrap_or(ReferralStatus::Pending),
            reason: r.get(10)?,
            flags: r.get(11)?,
            review_decision: r.get(12)?,
            qualified_date: r.get(13)?,
        })
    })?
    .collect()
}

/// Columns of the referrals CSV.
const REFERRAL_CSV_COLUMNS: [&str; 14] = [
    "id",
    "referred_date",
    "referrer_id",
    "referrer",
    "friend_id",
    "friend",
    "code",
    "origin",
    "order_id",
    "status",
    "reason",
    "flags",
    "qualified_date",
    "rewards",
];

/// Writes `rows` as CSV; text cells go through [`crate::export::spreadsheet_safe`].
pub fn write_referrals_rows_csv(rows: &[ReferralRow], out: &mut dyn Write) -> csv::Result<()> {
    let safe = |text: &str| crate::export::spreadsheet_safe(text).into_owned();
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(REFERRAL_CSV_COLUMNS)?;
    for row in rows {
        writer.write_record([
            row.id.to_string(),
            safe(&row.referred_date),
            row.referrer.to_string(),
            safe(&row.referrer_name),
            row.friend.to_string(),
            safe(&row.friend_name),
            safe(row.code.as_deref().unwrap_or("")),
            safe(&row.origin),
            row.order_id.map(|id| id.to_string()).unwrap_or_default(),
            row.status.as_str().to_owned(),
            safe(&row.reason),
            safe(&row.flags),
            safe(row.qualified_date.as_deref().unwrap_or("")),
            safe(&row.rewards),
        ])?;
    }
    writer.flush()?;
    Ok(())
}

/// Writes the codes as CSV (customer id, name, e-mail, code), spreadsheet-safe.
pub fn write_codes_csv(rows: &[ReferralCodeRow], out: &mut dyn Write) -> csv::Result<()> {
    let safe = |text: &str| crate::export::spreadsheet_safe(text).into_owned();
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(["customer_id", "customer", "email", "code"])?;
    for row in rows {
        writer.write_record([
            row.customer.to_string(),
            safe(&row.name),
            safe(row.email.as_deref().unwrap_or("")),
            safe(&row.code),
        ])?;
    }
    writer.flush()?;
    Ok(())
}

/// Whether `code` looks like a referral code this program writes (`NAME-XXX`).
pub fn looks_like_referral_code(code: &str) -> bool {
    let code = normalise_code(code);
    code.rsplit_once('-').is_some_and(|(stem, suffix)| {
        !stem.is_empty()
            && stem.bytes().all(|b| b.is_ascii_uppercase())
            && (3..=4).contains(&suffix.len())
            && suffix.bytes().all(|b| CODE_ALPHABET.contains(&b))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_code_shape() {
        assert_eq!(base_ref("referral:3:friend#v2"), "referral:3:friend");
        assert_eq!(base_ref("referral:3:friend"), "referral:3:friend");
        assert_eq!(
            versioned_ref("referral:3:friend", 3),
            "referral:3:friend#v3"
        );
        assert!(looks_like_referral_code(" jane-7k2 "));
        assert!(!looks_like_referral_code("WELCOME10"));
        assert!(!looks_like_referral_code("JANE-0O1"));
    }

    #[test]
    fn csv_cells_are_spreadsheet_safe() {
        let row = ReferralCodeRow {
            customer: 1,
            name: "=cmd()".into(),
            email: Some("@x".into()),
            code: "JANE-7K2".into(),
        };
        let mut out = Vec::new();
        write_codes_csv(&[row], &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("'=cmd()") && text.contains("'@x"), "{text}");
    }
}
