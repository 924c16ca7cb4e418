//! The loyalty program in the database: its settings, tiers and rewards (`loyalty_settings`,
//! `tiers`, `rewards`), and the append-only `points_ledger` the pure rules of
//! [`crate::programs::loyalty`] are recomputed into, with manual adjustments, redemptions,
//! balances, the audit listing and its CSV export.
//!
//! **Append-only recompute.** The ledger refuses updates and deletes (triggers), so a
//! recompute compares what the rules want with what is stored and only *appends*: entries are
//! grouped by kind and *base* source reference (`order:12`, `expire:3:2024-07-31`, …); a
//! group's later versions are stored as `<base>#v2`, `<base>#v3`, … of the same kind. For
//! points, the sum over a group (per customer, merged customers counting for the survivor)
//! is brought to the desired value by one correcting entry; a group the rules no longer
//! want is brought to zero. For zero-point tier changes the group's latest row is what
//! counts: a changed description appends a new version, a change that no longer happens gets
//! a `cancelled: …` version. So a second recompute on the same data appends nothing.
//!
//! **Which orders count** follows [`Store::purchase_history`]: refund entries are not
//! purchases but reduce the order they refund; guests are left out; orders of merged
//! customers count for the survivor (`coalesce(merged_into, id)`). Unlike the CLV engine,
//! a fully refunded order is kept: it earned points on its day and the refund claws them
//! back on the refund's day.
//!
//! One transaction per write; SQL is beside the code that runs it, parameterised.

use std::collections::BTreeMap;
use std::io::Write;

use chrono::{Duration, NaiveDate};
use rusqlite::{Connection, OptionalExtension as _, params};
use sha2::{Digest as _, Sha256};

use super::{Store, StoreError, now_utc};
use crate::domain::CustomerId;
use crate::programs::loyalty::{
    Balance, Birthday, CustomerHistory, DerivedEntry, DerivedLedger, EarnRules, EntryKind,
    LedgerInputs, LoyaltyProgram, ManualEntry, ProgramProblem, PurchaseEvent, QualificationWindow,
    RedeemRefusal, RefundEvent, ReplayComparison, Reward, RewardKind, Rounding, ThresholdKind,
    Tier, check_redemption, compare_programs, derive_ledger,
};

/// Separates a ledger group's base source reference from its version number.
const VERSION_MARK: &str = "#v";

/// Start of the reason of a tier change that no longer happens.
const CANCELLED: &str = "cancelled: ";

/// Letters of voucher codes: no 0/O, 1/I/L look-alikes.
const VOUCHER_ALPHABET: &[u8; 31] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// The program as stored, and whether it is switched on.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredProgram {
    /// Earn rules, tiers (rank order), active rewards, expiry, point value.
    pub program: LoyaltyProgram,
    /// Whether the ledger is recomputed from it (an inactive program derives nothing).
    pub active: bool,
}

/// What [`Store::recompute_loyalty_ledger`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RecomputeOutcome {
    /// Whether the program is active (when not, nothing was derived or written).
    pub active: bool,
    /// Entries the rules ask for (zero-point earns included).
    pub derived_entries: usize,
    /// Rows appended, first versions and corrections together.
    pub appended: usize,
    /// Of those, corrections of groups that already had rows.
    pub corrections: usize,
}

/// A redeemed reward: what the customer is given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Voucher {
    /// The ledger row of the redemption.
    pub entry_id: i64,
    /// Readable unique code, e.g. `RW-7KQ3-M9TX`.
    pub code: String,
    /// The customer (survivor of any merge).
    pub customer: CustomerId,
    /// The reward's row id.
    pub reward_id: i64,
    /// The reward's name.
    pub reward_name: String,
    /// Points spent (positive).
    pub points: i64,
    /// Day of the redemption.
    pub date: NaiveDate,
}

/// Which ledger rows [`Store::ledger_entries`] lists; the default lists everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LedgerFilter {
    /// Only this customer (merged customers' rows included).
    pub customer: Option<CustomerId>,
    /// Only these kinds; empty: all.
    pub kinds: Vec<EntryKind>,
    /// Effective on or after this day.
    pub from: Option<NaiveDate>,
    /// Effective on or before this day.
    pub to: Option<NaiveDate>,
    /// Text found (case-insensitively) in the source reference, reason or voucher code.
    pub text: String,
    /// At most this many rows (the earliest first).
    pub limit: Option<u32>,
}

/// One stored ledger row, for the audit view and the CSV export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerRow {
    /// Row id (the order rows were written in).
    pub id: i64,
    /// The customer it counts for (survivor of any merge).
    pub customer: CustomerId,
    /// That customer's display name.
    pub customer_name: String,
    /// Kind of entry.
    pub kind: EntryKind,
    /// Signed points.
    pub points: i64,
    /// Day it counts from.
    pub effective_date: String,
    /// Idempotency key (with `#vN` for later versions); `None` for manual adjustments.
    pub source_ref: Option<String>,
    /// Why.
    pub reason: String,
    /// Reward redeemed.
    pub reward_id: Option<i64>,
    /// Voucher code of a redemption.
    pub voucher_code: Option<String>,
    /// When it was written, seconds since 1970 UTC.
    pub created_utc: i64,
}

/// Why a loyalty write was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum LoyaltyError {
    /// The program has problems; nothing was saved.
    #[error("the loyalty program was not saved: {}", join_problems(.0))]
    Invalid(Vec<ProgramProblem>),
    /// Manual adjustments need a reason.
    #[error("a points adjustment needs a reason")]
    ReasonRequired,
    /// An adjustment of zero points.
    #[error("an adjustment of 0 points changes nothing")]
    ZeroPoints,
    /// No such customer.
    #[error("there is no customer number {0}")]
    UnknownCustomer(i64),
    /// No such active reward.
    #[error("there is no active reward number {0}")]
    UnknownReward(i64),
    /// Rewards are redeemed only while the program is active.
    #[error("the loyalty program is not active; activate it before redeeming rewards")]
    Inactive,
    /// The customer may not redeem the reward (not enough points, tier too low).
    #[error("cannot redeem: {0}")]
    Refused(#[from] RedeemRefusal),
    /// Writing the CSV file failed.
    #[error("could not write the ledger CSV: {0}")]
    Csv(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn join_problems(problems: &[ProgramProblem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

impl Store {
    /// The stored program (the defaults, inactive, before anything was saved).
    pub fn loyalty_program(&self) -> Result<StoredProgram, StoreError> {
        read_program(self.conn()).map_err(|e| self.err(e))
    }

    /// Validates and saves `program` (settings, tiers in list order, rewards) and whether it
    /// is active, in one transaction. Tiers are replaced; rewards missing from the list are
    /// switched off, never deleted (redemptions refer to them). Does not recompute.
    pub fn save_loyalty_program(
        &mut self,
        program: &LoyaltyProgram,
        active: bool,
    ) -> Result<(), LoyaltyError> {
        program.validate().map_err(LoyaltyError::Invalid)?;
        let path = self.path().to_path_buf();
        let err = |e| StoreError::from_sqlite(&path, e);
        let tx = self.conn_mut().transaction().map_err(err)?;
        write_program(&tx, program, active).map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(())
    }

    /// Every customer's purchases, birthday and manual ledger entries, as the rules read
    /// them (see the module documentation for which orders count).
    pub fn loyalty_inputs(&self) -> Result<LedgerInputs, StoreError> {
        let minor_per_major = self.business_settings()?.currency.minor_per_major();
        read_inputs(self.conn(), minor_per_major).map_err(|e| self.err(e))
    }

    /// Derives the whole ledger the active program asks for up to `today` and appends only
    /// what differs (see the module documentation), in one transaction. Running it twice on
    /// the same data appends nothing the second time. An inactive program writes nothing.
    pub fn recompute_loyalty_ledger(
        &mut self,
        today: NaiveDate,
    ) -> Result<RecomputeOutcome, StoreError> {
        let minor_per_major = self.business_settings()?.currency.minor_per_major();
        let path = self.path().to_path_buf();
        let err = |e| StoreError::from_sqlite(&path, e);
        let tx = self.conn_mut().transaction().map_err(err)?;
        let outcome = recompute_in(&tx, minor_per_major, today).map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(outcome.0)
    }

    /// Adds a manual adjustment of `points` (either sign) for `customer` on day `on`, with
    /// the `reason` required. The row id.
    pub fn adjust_points(
        &mut self,
        customer: CustomerId,
        points: i64,
        reason: &str,
        on: NaiveDate,
    ) -> Result<i64, LoyaltyError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(LoyaltyError::ReasonRequired);
        }
        if points == 0 {
            return Err(LoyaltyError::ZeroPoints);
        }
        let path = self.path().to_path_buf();
        let err = |e| StoreError::from_sqlite(&path, e);
        let tx = self.conn_mut().transaction().map_err(err)?;
        let survivor = survivor_of(&tx, customer)
            .map_err(err)?
            .ok_or(LoyaltyError::UnknownCustomer(customer.0))?;
        tx.execute(
            "INSERT INTO points_ledger (customer_id, kind, points, effective_date, source_ref,
                                        reason, created_utc)
             VALUES (?1, 'adjust', ?2, ?3, NULL, ?4, ?5)",
            params![survivor.0, points, on.to_string(), reason, now_utc()],
        )
        .map_err(err)?;
        let id = tx.last_insert_rowid();
        tx.commit().map_err(err)?;
        Ok(id)
    }

    /// Redeems reward `reward_id` for `customer` on `today`: in one transaction the ledger
    /// is first brought up to date, then the stored available balance and the tier are
    /// checked (no overdraft), and a redemption with a new voucher code is appended.
    pub fn redeem_reward(
        &mut self,
        customer: CustomerId,
        reward_id: i64,
        today: NaiveDate,
    ) -> Result<Voucher, LoyaltyError> {
        let minor_per_major = self.business_settings()?.currency.minor_per_major();
        let path = self.path().to_path_buf();
        let err = |e| StoreError::from_sqlite(&path, e);
        let tx = self.conn_mut().transaction().map_err(err)?;
        let stored = read_program(&tx).map_err(err)?;
        if !stored.active {
            return Err(LoyaltyError::Inactive);
        }
        let reward = stored
            .program
            .rewards
            .iter()
            .find(|r| r.id == Some(reward_id))
            .cloned()
            .ok_or(LoyaltyError::UnknownReward(reward_id))?;
        let survivor = survivor_of(&tx, customer)
            .map_err(err)?
            .ok_or(LoyaltyError::UnknownCustomer(customer.0))?;
        let (_, derived) = recompute_in(&tx, minor_per_major, today).map_err(err)?;
        let available = ledger_sum(&tx, survivor).map_err(err)?;
        let tier = derived
            .balances
            .get(&survivor)
            .and_then(|b| b.tier.as_deref());
        check_redemption(&stored.program, &reward, available, tier)?;
        let code = new_voucher_code(&tx, survivor, reward_id).map_err(err)?;
        tx.execute(
            "INSERT INTO points_ledger (customer_id, kind, points, effective_date, source_ref,
                                        reason, reward_id, voucher_code, created_utc)
             VALUES (?1, 'redeem', ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                survivor.0,
                -reward.points_cost,
                today.to_string(),
                format!("voucher:{code}"),
                format!("redeemed {}", reward.name),
                reward_id,
                code,
                now_utc()
            ],
        )
        .map_err(err)?;
        let entry_id = tx.last_insert_rowid();
        tx.commit().map_err(err)?;
        Ok(Voucher {
            entry_id,
            code,
            customer: survivor,
            reward_id,
            reward_name: reward.name,
            points: reward.points_cost,
            date: today,
        })
    }

    /// Every member's points as of `today`, by customer id. With the program active they
    /// are the rules' balances (equal to the ledger's sums after a recompute), with tier and
    /// next expiry; with it inactive, the ledger's sums alone.
    pub fn loyalty_balances(&self, today: NaiveDate) -> Result<Vec<Balance>, StoreError> {
        let stored = self.loyalty_program()?;
        if stored.active {
            let inputs = self.loyalty_inputs()?;
            let derived = derive_ledger(&stored.program, &inputs, today);
            return Ok(derived.balances.into_values().collect());
        }
        ledger_balances(self.conn()).map_err(|e| self.err(e))
    }

    /// Every customer's display name by id (merged customers left out: they count for the
    /// survivor), for the members list.
    pub fn loyalty_member_names(&self) -> Result<BTreeMap<CustomerId, String>, StoreError> {
        let read = || -> rusqlite::Result<BTreeMap<CustomerId, String>> {
            let mut stmt = self
                .conn()
                .prepare("SELECT id, display_name FROM customers WHERE merged_into IS NULL")?;
            stmt.query_map([], |r| Ok((CustomerId(r.get(0)?), r.get(1)?)))?
                .collect()
        };
        read().map_err(|e| self.err(e))
    }

    /// Rows in the points ledger (0: the shop never had points).
    pub fn ledger_entry_count(&self) -> Result<u64, StoreError> {
        self.conn()
            .query_row("SELECT count(*) FROM points_ledger", [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n.max(0) as u64)
            .map_err(|e| self.err(e))
    }

    /// Points in the ledger for `customer` (merged customers included): what can be spent.
    pub fn ledger_available_points(&self, customer: CustomerId) -> Result<i64, StoreError> {
        ledger_sum(self.conn(), customer).map_err(|e| self.err(e))
    }

    /// Stored ledger rows matching `filter`, by effective day then row id.
    pub fn ledger_entries(&self, filter: &LedgerFilter) -> Result<Vec<LedgerRow>, StoreError> {
        read_ledger_rows(self.conn(), filter).map_err(|e| self.err(e))
    }

    /// Writes the ledger rows matching `filter` as CSV to `out` (text cells neutralised
    /// against formula injection); the number of rows written.
    pub fn write_ledger_csv(
        &self,
        filter: &LedgerFilter,
        out: &mut dyn Write,
    ) -> Result<usize, LoyaltyError> {
        let rows = self.ledger_entries(filter)?;
        write_ledger_rows_csv(&rows, out).map_err(|e| LoyaltyError::Csv(e.to_string()))?;
        Ok(rows.len())
    }

    /// The what-if replay: `draft` and the active program (if any) on the stored orders up
    /// to `today`, with CLV from the current valuation run.
    pub fn replay_loyalty(
        &self,
        draft: &LoyaltyProgram,
        today: NaiveDate,
    ) -> Result<ReplayComparison, StoreError> {
        let stored = self.loyalty_program()?;
        let inputs = self.loyalty_inputs()?;
        let clv = current_clv_cents(self.conn()).map_err(|e| self.err(e))?;
        let current = stored.active.then_some(&stored.program);
        Ok(compare_programs(current, draft, &inputs, &clv, today))
    }
}

/// The program row, tiers and active rewards.
fn read_program(conn: &Connection) -> rusqlite::Result<StoredProgram> {
    let settings = conn
        .query_row(
            "SELECT active, points_per_currency_unit, points_per_order, first_order_bonus,
                    birthday_bonus, rounding, expiry_months, point_value_cents
             FROM loyalty_settings WHERE id = 1",
            [],
            |r| {
                let rounding: String = r.get(5)?;
                let expiry: Option<i64> = r.get(6)?;
                Ok((
                    r.get::<_, bool>(0)?,
                    EarnRules {
                        points_per_currency_unit: r.get(1)?,
                        points_per_order: r.get(2)?,
                        first_order_bonus: r.get(3)?,
                        birthday_bonus: r.get(4)?,
                        rounding: Rounding::parse(&rounding).unwrap_or_default(),
                    },
                    expiry.and_then(|m| u32::try_from(m).ok()),
                    r.get::<_, f64>(7)?,
                ))
            },
        )
        .optional()?;
    let defaults = LoyaltyProgram::default();
    let (active, earn, expiry_months, point_value_cents) = settings.unwrap_or((
        false,
        defaults.earn,
        defaults.expiry_months,
        defaults.point_value_cents,
    ));
    let mut stmt = conn.prepare(
        "SELECT id, name, threshold, threshold_kind, window, earn_multiplier, benefits
         FROM tiers ORDER BY sort_order, id",
    )?;
    let tiers = stmt
        .query_map([], |r| {
            let kind: String = r.get(3)?;
            let window: String = r.get(4)?;
            Ok(Tier {
                id: Some(r.get(0)?),
                name: r.get(1)?,
                threshold: r.get(2)?,
                threshold_kind: ThresholdKind::parse(&kind).unwrap_or_default(),
                window: QualificationWindow::parse(&window).unwrap_or_default(),
                earn_multiplier: r.get(5)?,
                benefits: r.get(6)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut stmt = conn.prepare(
        "SELECT r.id, r.name, r.kind, r.points_cost, r.value, t.name
         FROM rewards r LEFT JOIN tiers t ON t.id = r.min_tier_id
         WHERE r.active = 1 ORDER BY r.id",
    )?;
    let rewards = stmt
        .query_map([], |r| {
            let kind: String = r.get(2)?;
            Ok(Reward {
                id: Some(r.get(0)?),
                name: r.get(1)?,
                kind: RewardKind::parse(&kind).unwrap_or_default(),
                points_cost: r.get(3)?,
                value: r.get(4)?,
                min_tier: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(StoredProgram {
        program: LoyaltyProgram {
            earn,
            tiers,
            rewards,
            expiry_months,
            point_value_cents,
        },
        active,
    })
}

/// Writes the settings row, replaces the tiers and upserts the rewards.
fn write_program(
    conn: &Connection,
    program: &LoyaltyProgram,
    active: bool,
) -> rusqlite::Result<()> {
    let earn = &program.earn;
    conn.execute(
        "INSERT INTO loyalty_settings (id, active, points_per_currency_unit, points_per_order,
                                       first_order_bonus, birthday_bonus, rounding,
                                       expiry_months, point_value_cents, updated_utc)
         VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (id) DO UPDATE SET
             active = excluded.active,
             points_per_currency_unit = excluded.points_per_currency_unit,
             points_per_order = excluded.points_per_order,
             first_order_bonus = excluded.first_order_bonus,
             birthday_bonus = excluded.birthday_bonus,
             rounding = excluded.rounding,
             expiry_months = excluded.expiry_months,
             point_value_cents = excluded.point_value_cents,
             updated_utc = excluded.updated_utc",
        params![
            active,
            earn.points_per_currency_unit,
            earn.points_per_order,
            earn.first_order_bonus,
            earn.birthday_bonus,
            earn.rounding.as_str(),
            program.expiry_months.map(i64::from),
            program.point_value_cents,
            now_utc()
        ],
    )?;
    // Rewards' tier requirement is set to NULL by the foreign key and written again below.
    conn.execute("DELETE FROM tiers", [])?;
    let mut tier_ids: BTreeMap<String, i64> = BTreeMap::new();
    for (rank, tier) in program.tiers.iter().enumerate() {
        conn.execute(
            "INSERT INTO tiers (id, name, threshold, threshold_kind, window, earn_multiplier,
                                benefits, sort_order)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                tier.id,
                tier.name.trim(),
                tier.threshold,
                tier.threshold_kind.as_str(),
                tier.window.as_str(),
                tier.earn_multiplier,
                tier.benefits,
                i64::try_from(rank).unwrap_or(i64::MAX)
            ],
        )?;
        tier_ids.insert(tier.name.trim().to_lowercase(), conn.last_insert_rowid());
    }
    let mut kept = Vec::new();
    for reward in &program.rewards {
        let min_tier = reward
            .min_tier
            .as_ref()
            .and_then(|t| tier_ids.get(&t.trim().to_lowercase()));
        conn.execute(
            "INSERT INTO rewards (id, name, kind, points_cost, value, min_tier_id, active)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1)
             ON CONFLICT (id) DO UPDATE SET
                 name = excluded.name, kind = excluded.kind,
                 points_cost = excluded.points_cost, value = excluded.value,
                 min_tier_id = excluded.min_tier_id, active = 1",
            params![
                reward.id,
                reward.name.trim(),
                reward.kind.as_str(),
                reward.points_cost,
                reward.value,
                min_tier
            ],
        )?;
        kept.push(reward.id.unwrap_or_else(|| conn.last_insert_rowid()));
    }
    let mut stmt = conn.prepare("SELECT id FROM rewards WHERE active = 1")?;
    let stored: Vec<i64> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for id in stored.into_iter().filter(|id| !kept.contains(id)) {
        conn.execute("UPDATE rewards SET active = 0 WHERE id = ?1", [id])?;
    }
    Ok(())
}

/// The customer `customer` counts as (itself, or whom it was merged into); `None` if unknown.
fn survivor_of(conn: &Connection, customer: CustomerId) -> rusqlite::Result<Option<CustomerId>> {
    conn.query_row(
        "SELECT coalesce(merged_into, id) FROM customers WHERE id = ?1",
        [customer.0],
        |r| Ok(CustomerId(r.get(0)?)),
    )
    .optional()
}

/// Sum of the ledger for `customer` and everyone merged into them.
fn ledger_sum(conn: &Connection, customer: CustomerId) -> rusqlite::Result<i64> {
    conn.query_row(
        "SELECT coalesce(sum(l.points), 0)
         FROM points_ledger l JOIN customers c ON c.id = l.customer_id
         WHERE coalesce(c.merged_into, c.id) = ?1",
        [customer.0],
        |r| r.get(0),
    )
}

/// Available and lifetime points per customer from the ledger's sums alone.
fn ledger_balances(conn: &Connection) -> rusqlite::Result<Vec<Balance>> {
    let mut stmt = conn.prepare(
        "SELECT coalesce(c.merged_into, c.id), sum(l.points),
                coalesce(sum(l.points) FILTER (WHERE l.kind NOT IN ('redeem', 'expire')), 0)
         FROM points_ledger l JOIN customers c ON c.id = l.customer_id
         GROUP BY 1 ORDER BY 1",
    )?;
    stmt.query_map([], |r| {
        Ok(Balance {
            customer: CustomerId(r.get(0)?),
            available_points: r.get(1)?,
            lifetime_points: r.get(2)?,
            expiring: None,
            tier: None,
            last_activity: None,
            next_tier: None,
        })
    })?
    .collect()
}

/// A stored `YYYY-MM-DD` day.
fn parse_day(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// Purchases per customer (survivor), birthdays, and manual entries.
fn read_inputs(conn: &Connection, minor_per_major: i64) -> rusqlite::Result<LedgerInputs> {
    let mut stmt = conn.prepare(
        "SELECT o.id, coalesce(c.merged_into, c.id), o.local_date, o.net_cents,
                o.refunded_cents, o.refunded_utc, o.placed_utc, o.utc_offset_minutes,
                coalesce(r.cents, 0), r.day
         FROM orders o
         JOIN customers c ON c.id = o.customer_id
         LEFT JOIN (SELECT refund_of, sum(net_cents) AS cents, max(local_date) AS day
                    FROM orders WHERE refund_of IS NOT NULL GROUP BY refund_of) r
                ON r.refund_of = o.id
         WHERE o.status <> 'refund'
         ORDER BY 2, o.local_date, o.placed_utc, o.id",
    )?;
    let mut rows = stmt.query([])?;
    let mut customers: Vec<CustomerHistory> = Vec::new();
    while let Some(row) = rows.next()? {
        let customer = CustomerId(row.get(1)?);
        let Some(date) = parse_day(&row.get::<_, String>(2)?) else {
            continue;
        };
        let net_cents: i64 = row.get(3)?;
        let in_order_refund: i64 = row.get(4)?;
        let refunded_utc: Option<i64> = row.get(5)?;
        let placed_utc: i64 = row.get(6)?;
        let offset_minutes: Option<i64> = row.get(7)?;
        let linked_cents: i64 = row.get(8)?; // refund entries are negative
        let linked_day = row
            .get::<_, Option<String>>(9)?
            .as_deref()
            .and_then(parse_day);
        let refunded_cents = in_order_refund - linked_cents;
        let refund = (refunded_cents > 0).then(|| {
            let in_order_day =
                refunded_utc.map(|at| refund_day(date, placed_utc, at, offset_minutes));
            RefundEvent {
                date: [in_order_day, linked_day, Some(date)]
                    .into_iter()
                    .flatten()
                    .max()
                    .unwrap_or(date),
                cents: refunded_cents,
            }
        });
        let purchase = PurchaseEvent {
            source_ref: format!("order:{}", row.get::<_, i64>(0)?),
            date,
            net_cents: net_cents + linked_cents,
            refund,
        };
        match customers.last_mut() {
            Some(last) if last.customer == customer => last.purchases.push(purchase),
            _ => customers.push(CustomerHistory {
                customer,
                birthday: None,
                purchases: vec![purchase],
            }),
        }
    }
    let mut stmt = conn.prepare(
        "SELECT id, birthday FROM customers
         WHERE merged_into IS NULL AND birthday IS NOT NULL",
    )?;
    let birthdays: BTreeMap<i64, Birthday> = stmt
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?
        .filter_map(|row| match row {
            Ok((id, text)) => Birthday::parse(&text).map(|b| Ok((id, b))),
            Err(e) => Some(Err(e)),
        })
        .collect::<rusqlite::Result<_>>()?;
    for history in &mut customers {
        history.birthday = birthdays.get(&history.customer.0).copied();
    }
    let mut stmt = conn.prepare(
        "SELECT coalesce(c.merged_into, c.id), l.kind, l.points, l.effective_date
         FROM points_ledger l JOIN customers c ON c.id = l.customer_id
         WHERE l.kind IN ('adjust', 'redeem', 'referral')
         ORDER BY l.effective_date, l.id",
    )?;
    let manual = stmt
        .query_map([], |r| {
            let kind: String = r.get(1)?;
            let date: String = r.get(3)?;
            Ok((CustomerId(r.get(0)?), kind, r.get::<_, i64>(2)?, date))
        })?
        .filter_map(|row| match row {
            Ok((customer, kind, points, date)) => Some(Ok(ManualEntry {
                customer,
                date: parse_day(&date)?,
                points,
                kind: EntryKind::parse(&kind)?,
            })),
            Err(e) => Some(Err(e)),
        })
        .collect::<rusqlite::Result<_>>()?;
    Ok(LedgerInputs {
        customers,
        manual,
        minor_per_major,
    })
}

/// The shop's day of a refund at `refunded_utc`: with the export's UTC offset exactly;
/// without it, the order's day moved by the whole days between order and refund.
pub(super) fn refund_day(
    order_day: NaiveDate,
    placed_utc: i64,
    refunded_utc: i64,
    offset_minutes: Option<i64>,
) -> NaiveDate {
    let by_offset = offset_minutes.and_then(|minutes| {
        chrono::DateTime::from_timestamp(refunded_utc + minutes * 60, 0).map(|t| t.date_naive())
    });
    by_offset.unwrap_or_else(|| {
        let days = (refunded_utc - placed_utc).div_euclid(86_400);
        order_day
            .checked_add_signed(Duration::days(days))
            .unwrap_or(order_day)
    })
}

/// A stored group of derived rows: one (kind, base source reference).
#[derive(Default)]
struct StoredGroup {
    versions: u32,
    sums: BTreeMap<CustomerId, i64>,
    latest_customer: Option<CustomerId>,
    latest_reason: String,
    latest_date: String,
}

/// `order:12#v3` → (`order:12`); a reference without a version is its own base.
fn base_ref(source_ref: &str) -> &str {
    source_ref
        .rsplit_once(VERSION_MARK)
        .filter(|(_, n)| n.parse::<u32>().is_ok())
        .map_or(source_ref, |(base, _)| base)
}

/// The source reference of version `n` (1 is the base itself).
fn versioned_ref(base: &str, n: u32) -> String {
    if n <= 1 {
        base.to_owned()
    } else {
        format!("{base}{VERSION_MARK}{n}")
    }
}

/// Every stored derived row grouped by (kind, base reference).
fn read_stored_groups(
    conn: &Connection,
) -> rusqlite::Result<BTreeMap<(EntryKind, String), StoredGroup>> {
    let mut stmt = conn.prepare(
        "SELECT coalesce(c.merged_into, c.id), l.kind, l.points, l.source_ref, l.reason,
                l.effective_date
         FROM points_ledger l JOIN customers c ON c.id = l.customer_id
         WHERE l.kind IN ('earn', 'clawback', 'birthday', 'tier_change', 'expire')
           AND l.source_ref IS NOT NULL
         ORDER BY l.id",
    )?;
    let mut rows = stmt.query([])?;
    let mut groups: BTreeMap<(EntryKind, String), StoredGroup> = BTreeMap::new();
    while let Some(row) = rows.next()? {
        let Some(kind) = EntryKind::parse(&row.get::<_, String>(1)?) else {
            continue;
        };
        let customer = CustomerId(row.get(0)?);
        let source_ref: String = row.get(3)?;
        let group = groups
            .entry((kind, base_ref(&source_ref).to_owned()))
            .or_default();
        group.versions += 1;
        *group.sums.entry(customer).or_default() += row.get::<_, i64>(2)?;
        group.latest_customer = Some(customer);
        group.latest_reason = row.get(4)?;
        group.latest_date = row.get(5)?;
    }
    Ok(groups)
}

/// A row to append.
struct Append {
    customer: CustomerId,
    kind: EntryKind,
    base: String,
    date: String,
    points: i64,
    reason: String,
}

/// Rows that bring one stored group to the desired entry (or to nothing).
fn group_appends(
    kind: EntryKind,
    base: &str,
    stored: Option<&StoredGroup>,
    desired: Option<&DerivedEntry>,
) -> Vec<Append> {
    let append = |customer, date: &str, points, reason: String| Append {
        customer,
        kind,
        base: base.to_owned(),
        date: date.to_owned(),
        points,
        reason,
    };
    let mut out = Vec::new();
    if kind == EntryKind::TierChange {
        match (stored, desired) {
            (Some(s), Some(e))
                if s.latest_reason == e.reason && s.latest_customer == Some(e.customer) => {}
            (_, Some(e)) => out.push(append(e.customer, &e.date.to_string(), 0, e.reason.clone())),
            (Some(s), None) if !s.latest_reason.starts_with(CANCELLED) => {
                if let Some(customer) = s.latest_customer {
                    let reason = format!("{CANCELLED}{}", s.latest_reason);
                    out.push(append(customer, &s.latest_date, 0, reason));
                }
            }
            _ => {}
        }
        return out;
    }
    let empty = BTreeMap::new();
    let sums = stored.map_or(&empty, |s| &s.sums);
    let stored_date = stored.map_or("", |s| s.latest_date.as_str());
    for (&customer, &sum) in sums {
        if sum != 0 && desired.is_none_or(|e| e.customer != customer) {
            let reason = format!("correction: no longer applies (was {sum})");
            let date = desired.map_or(stored_date.to_owned(), |e| e.date.to_string());
            out.push(append(customer, &date, -sum, reason));
        }
    }
    if let Some(e) = desired {
        let had = sums.get(&e.customer).copied().unwrap_or(0);
        if e.points != had {
            let reason = if stored.is_some() {
                format!("correction: {} (now {}, was {had})", e.reason, e.points)
            } else {
                e.reason.clone()
            };
            out.push(append(
                e.customer,
                &e.date.to_string(),
                e.points - had,
                reason,
            ));
        }
    }
    out
}

/// Derives the ledger inside `conn`'s transaction and appends what differs.
fn recompute_in(
    conn: &Connection,
    minor_per_major: i64,
    today: NaiveDate,
) -> rusqlite::Result<(RecomputeOutcome, DerivedLedger)> {
    let stored_program = read_program(conn)?;
    if !stored_program.active {
        return Ok((RecomputeOutcome::default(), DerivedLedger::default()));
    }
    let inputs = read_inputs(conn, minor_per_major)?;
    let derived = derive_ledger(&stored_program.program, &inputs, today);
    let mut groups = read_stored_groups(conn)?;
    let mut desired: BTreeMap<(EntryKind, String), &DerivedEntry> = BTreeMap::new();
    for entry in &derived.entries {
        desired.insert((entry.kind, entry.source_ref.clone()), entry);
    }
    let mut appends = Vec::new();
    for (key, entry) in &desired {
        appends.extend(group_appends(key.0, &key.1, groups.get(key), Some(entry)));
    }
    for (key, group) in &groups {
        if !desired.contains_key(key) {
            appends.extend(group_appends(key.0, &key.1, Some(group), None));
        }
    }
    let mut outcome = RecomputeOutcome {
        active: true,
        derived_entries: derived.entries.len(),
        ..RecomputeOutcome::default()
    };
    let mut insert = conn.prepare(
        "INSERT INTO points_ledger (customer_id, kind, points, effective_date, source_ref,
                                    reason, created_utc)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    let now = now_utc();
    for row in appends {
        let group = groups.entry((row.kind, row.base.clone())).or_default();
        if group.versions > 0 {
            outcome.corrections += 1;
        }
        group.versions += 1;
        insert.execute(params![
            row.customer.0,
            row.kind.as_str(),
            row.points,
            row.date,
            versioned_ref(&row.base, group.versions),
            row.reason,
            now
        ])?;
        outcome.appended += 1;
    }
    Ok((outcome, derived))
}

/// A new voucher code not yet in the ledger: `RW-XXXX-XXXX`.
fn new_voucher_code(
    conn: &Connection,
    customer: CustomerId,
    reward_id: i64,
) -> rusqlite::Result<String> {
    let nanos = chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default();
    let mut attempt = 0u32;
    loop {
        let digest = Sha256::digest(format!("{}:{reward_id}:{nanos}:{attempt}", customer.0));
        let letters: String = digest
            .iter()
            .take(8)
            .map(|b| char::from(VOUCHER_ALPHABET[usize::from(*b) % VOUCHER_ALPHABET.len()]))
            .collect();
        let code = format!("RW-{}-{}", &letters[..4], &letters[4..]);
        let taken: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM points_ledger WHERE voucher_code = ?1)",
            [&code],
            |r| r.get(0),
        )?;
        if !taken {
            return Ok(code);
        }
        attempt += 1;
    }
}

/// CLV per customer from the current valuation run (empty without one).
fn current_clv_cents(conn: &Connection) -> rusqlite::Result<BTreeMap<CustomerId, f64>> {
    let mut stmt = conn.prepare(
        "SELECT customer_id, clv_cents FROM customer_scores
         WHERE run_id = (SELECT id FROM model_runs WHERE is_current = 1
                         ORDER BY id DESC LIMIT 1)",
    )?;
    stmt.query_map([], |r| Ok((CustomerId(r.get(0)?), r.get(1)?)))?
        .collect()
}

/// The rows matching `filter`.
fn read_ledger_rows(conn: &Connection, filter: &LedgerFilter) -> rusqlite::Result<Vec<LedgerRow>> {
    let kinds: String = filter
        .kinds
        .iter()
        .map(|k| format!(",{},", k.as_str()))
        .collect();
    let mut stmt = conn.prepare(
        "SELECT l.id, coalesce(c.merged_into, c.id), coalesce(s.display_name, ''), l.kind,
                l.points, l.effective_date, l.source_ref, l.reason, l.reward_id,
                l.voucher_code, l.created_utc
         FROM points_ledger l
         JOIN customers c ON c.id = l.customer_id
         LEFT JOIN customers s ON s.id = coalesce(c.merged_into, c.id)
         WHERE (?1 IS NULL OR coalesce(c.merged_into, c.id) = ?1)
           AND (?2 = '' OR instr(?2, ',' || l.kind || ',') > 0)
           AND (?3 IS NULL OR l.effective_date >= ?3)
           AND (?4 IS NULL OR l.effective_date <= ?4)
           AND (?5 = '' OR instr(lower(coalesce(l.source_ref, '') || ' ' || l.reason || ' '
                                       || coalesce(l.voucher_code, '')), lower(?5)) > 0)
         ORDER BY l.effective_date, l.id
         LIMIT ?6",
    )?;
    let limit = filter.limit.map_or(-1, i64::from);
    stmt.query_map(
        params![
            filter.customer.map(|c| c.0),
            kinds,
            filter.from.map(|d| d.to_string()),
            filter.to.map(|d| d.to_string()),
            filter.text.trim(),
            limit
        ],
        |r| {
            let kind: String = r.get(3)?;
            Ok(LedgerRow {
                id: r.get(0)?,
                customer: CustomerId(r.get(1)?),
                customer_name: r.get(2)?,
                kind: EntryKind::parse(&kind).unwrap_or(EntryKind::Adjust),
                points: r.get(4)?,
                effective_date: r.get(5)?,
                source_ref: r.get(6)?,
                reason: r.get(7)?,
                reward_id: r.get(8)?,
                voucher_code: r.get(9)?,
                created_utc: r.get(10)?,
            })
        },
    )?
    .collect()
}

/// Columns of the ledger CSV.
const LEDGER_CSV_COLUMNS: [&str; 11] = [
    "id",
    "effective_date",
    "customer_id",
    "customer",
    "kind",
    "points",
    "source_ref",
    "reason",
    "reward_id",
    "voucher_code",
    "created_utc",
];

/// Writes `rows` as CSV; text cells go through [`crate::export::spreadsheet_safe`]
/// (numbers are written as numbers: a spreadsheet reads `-30` as a number, not a formula).
pub fn write_ledger_rows_csv(rows: &[LedgerRow], out: &mut dyn Write) -> csv::Result<()> {
    let safe = |text: &str| crate::export::spreadsheet_safe(text).into_owned();
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(LEDGER_CSV_COLUMNS)?;
    for row in rows {
        writer.write_record([
            row.id.to_string(),
            safe(&row.effective_date),
            row.customer.0.to_string(),
            safe(&row.customer_name),
            row.kind.as_str().to_owned(),
            row.points.to_string(),
            safe(row.source_ref.as_deref().unwrap_or("")),
            safe(&row.reason),
            row.reward_id.map(|id| id.to_string()).unwrap_or_default(),
            safe(row.voucher_code.as_deref().unwrap_or("")),
            row.created_utc.to_string(),
        ])?;
    }
    writer.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_of_a_source_reference() {
        assert_eq!(base_ref("order:12"), "order:12");
        assert_eq!(base_ref("order:12#v3"), "order:12");
        assert_eq!(base_ref("odd#vx"), "odd#vx");
        assert_eq!(versioned_ref("order:12", 1), "order:12");
        assert_eq!(versioned_ref("order:12", 2), "order:12#v2");
    }

    #[test]
    fn refund_day_uses_the_offset_or_whole_days() {
        let day = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap_or_default();
        // 2024-03-01 23:30 at UTC+2 = 21:30 UTC; refunded 3 hours later = 02:30 next day local.
        let placed = 1_709_328_600;
        assert_eq!(
            refund_day(day, placed, placed + 3 * 3600, Some(120)),
            NaiveDate::from_ymd_opt(2024, 3, 2).unwrap_or_default()
        );
        assert_eq!(refund_day(day, placed, placed + 3 * 3600, None), day);
        assert_eq!(
            refund_day(day, placed, placed + 2 * 86_400 + 5, None),
            NaiveDate::from_ymd_opt(2024, 3, 3).unwrap_or_default()
        );
    }

    #[test]
    fn ledger_csv_neutralises_formula_text() {
        let row = LedgerRow {
            id: 1,
            customer: CustomerId(7),
            customer_name: "=HYPERLINK(\"x\")".into(),
            kind: EntryKind::Adjust,
            points: -30,
            effective_date: "2024-01-01".into(),
            source_ref: None,
            reason: "@SUM(A1)".into(),
            reward_id: None,
            voucher_code: None,
            created_utc: 5,
        };
        let mut out = Vec::new();
        write_ledger_rows_csv(&[row], &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("'=HYPERLINK"), "{text}");
        assert!(text.contains("'@SUM(A1)"), "{text}");
        assert!(text.contains(",-30,"), "{text}");
    }
}
