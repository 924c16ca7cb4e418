//! The loyalty program as pure rules: settings (earn rules, tiers, rewards, expiry), their
//! validation, and one function, [`derive_ledger`], that turns every customer's purchases
//! and manual entries into the complete ledger the rules ask for, plus balances, the
//! redemption check and the what-if replay summary.
//!
//! It exists apart from `store` so that a real recompute and a what-if replay of a draft run
//! exactly the same code, and so each rule is tested on hand-built histories. No SQLite, no
//! egui; deterministic: the same inputs always give the same entries in the same order.
//!
//! # The rules, precisely
//! * **Days.** Everything happens on the shop's local calendar days. Within one day the order
//!   is: expiry (at the start of the day), tier evaluation (start of the day), purchases (in
//!   input order), refunds, birthday bonus, manual entries.
//! * **Earn.** An order earns `round(rate × paid units × multiplier) + points per order +
//!   first-order bonus`, where *paid* is what the customer paid before any refund (net after
//!   refunds + refunded), *units* are major currency units (cents ÷ 100 for most currencies),
//!   the multiplier is that of the tier in force on the order's day (1 without a tier), and
//!   the first-order bonus goes to the customer's first purchase (earliest day, then input
//!   order), even if it is later refunded (it is then clawed back and not given again).
//!   Rounding is down, nearest (half away from zero) or up, after a 1e-9 tolerance so that
//!   `1.1 × 10` is 11 and not 12 when rounding up.
//! * **Clawback.** On the refund's day the order keeps exactly what its net after refunds
//!   would have earned on its own day (same multiplier and bonuses); the clawback is the
//!   difference. A full refund (nothing left paid) claws back everything the order earned,
//!   per-order points and first-order bonus included. A partial refund is therefore
//!   proportional on the spend part (up to rounding) and keeps the fixed parts.
//! * **Birthday.** Once per calendar year, on the birthday, from the customer's first
//!   purchase day on (a birthday on that day counts). `--MM-DD` birthdays work the same. A
//!   29 February birthday falls on 28 February in years that are not leap years.
//! * **Tiers.** A tier's qualifying measure is the spend (cents paid, refunds subtracted on
//!   their day) or the purchase points (earn plus clawback) of the days *before* the day
//!   being evaluated: a purchase counts from the next day on. Windows: `Lifetime` — all of
//!   them; `Rolling12Months` — an event on day `e` counts on days `d` with `e < d ≤ e + 12
//!   months`; `CalendarYear` — the better of this year so far and the whole previous year
//!   (qualify in one year, keep the tier through the next). A customer is in the last tier in
//!   the list whose threshold is met (none: no tier, multiplier 1). Tiers move up *and* down;
//!   each change is a zero-point `tier_change` entry dated the first day of the new tier.
//! * **Expiry.** *Activity* is an earn, a birthday bonus, a redemption, a manual adjustment
//!   or a referral reward (not a clawback, not an expiry). With expiry after `N` months and
//!   the last activity on day `L`, the **boundary day** is `E = L + N months` (calendar
//!   months; a day missing in the target month becomes its last day, so 31 January + 1 month
//!   is 28/29 February). The points are available up to and including `E − 1`; at the start
//!   of `E` the whole positive available balance expires (an `expire` entry dated `E`).
//!   Activity on `E` itself comes after the expiry. Nothing after `today` is derived.
//! * **Balances.** *Available* is the sum of every entry. *Lifetime* is every entry except
//!   redemptions and expiries (so clawbacks and manual corrections reduce it). A negative
//!   available balance (a refund after the points were spent) never expires.
//!
//! # Source references (the ledger's idempotency keys)
//! `order:<id>` for earn and clawback (given by the caller per purchase),
//! `birthday:<customer>:<year>`, `tier:<customer>:<YYYY-MM-DD>`,
//! `expire:<customer>:<YYYY-MM-DD>`. With the kind they key one entry each.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{Datelike as _, Months, NaiveDate};

use crate::domain::CustomerId;

/// Tolerance before rounding points, so float noise never moves a whole point.
const ROUNDING_TOLERANCE: f64 = 1e-9;

/// How fractional points are turned into whole ones.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Rounding {
    /// Always down (the customer never gets a point they have not fully earned).
    #[default]
    Down,
    /// To the nearest point, halves away from zero.
    Nearest,
    /// Always up.
    Up,
}

impl Rounding {
    /// The name stored in the database (`down`, `nearest`, `up`).
    pub fn as_str(self) -> &'static str {
        match self {
            Rounding::Down => "down",
            Rounding::Nearest => "nearest",
            Rounding::Up => "up",
        }
    }

    /// Reads a stored name; `None` for anything else.
    pub fn parse(text: &str) -> Option<Rounding> {
        match text {
            "down" => Some(Rounding::Down),
            "nearest" => Some(Rounding::Nearest),
            "up" => Some(Rounding::Up),
            _ => None,
        }
    }

    /// `points` as whole points under this rounding (see the module documentation).
    pub fn whole_points(self, points: f64) -> i64 {
        if !points.is_finite() {
            return 0;
        }
        let rounded = match self {
            Rounding::Down => (points + ROUNDING_TOLERANCE).floor(),
            Rounding::Nearest => (points + ROUNDING_TOLERANCE.copysign(points)).round(),
            Rounding::Up => (points - ROUNDING_TOLERANCE).ceil(),
        };
        rounded as i64
    }
}

/// How purchases and birthdays earn points.
#[derive(Clone, Debug, PartialEq)]
pub struct EarnRules {
    /// Points per major currency unit paid (after discounts, before the tier multiplier).
    pub points_per_currency_unit: f64,
    /// Points every order earns, whatever its value.
    pub points_per_order: i64,
    /// Extra points on the customer's first purchase.
    pub first_order_bonus: i64,
    /// Points on the customer's birthday, once a year.
    pub birthday_bonus: i64,
    /// How fractional points are rounded.
    pub rounding: Rounding,
}

impl Default for EarnRules {
    fn default() -> Self {
        EarnRules {
            points_per_currency_unit: 1.0,
            points_per_order: 0,
            first_order_bonus: 0,
            birthday_bonus: 0,
            rounding: Rounding::Down,
        }
    }
}

/// What a tier's threshold measures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ThresholdKind {
    /// Cents paid in the window (refunds subtracted).
    #[default]
    Spend,
    /// Purchase points (earn plus clawback) in the window.
    Points,
}

impl ThresholdKind {
    /// The name stored in the database (`spend`, `points`).
    pub fn as_str(self) -> &'static str {
        match self {
            ThresholdKind::Spend => "spend",
            ThresholdKind::Points => "points",
        }
    }

    /// Reads a stored name; `None` for anything else.
    pub fn parse(text: &str) -> Option<ThresholdKind> {
        match text {
            "spend" => Some(ThresholdKind::Spend),
            "points" => Some(ThresholdKind::Points),
            _ => None,
        }
    }
}

/// Which past activity qualifies for a tier.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum QualificationWindow {
    /// Everything since the first purchase.
    #[default]
    Lifetime,
    /// This calendar year so far, or the whole previous year, whichever is more.
    CalendarYear,
    /// The 12 months before the day.
    Rolling12Months,
}

impl QualificationWindow {
    /// The name stored in the database (`lifetime`, `calendar_year`, `rolling_12_months`).
    pub fn as_str(self) -> &'static str {
        match self {
            QualificationWindow::Lifetime => "lifetime",
            QualificationWindow::CalendarYear => "calendar_year",
            QualificationWindow::Rolling12Months => "rolling_12_months",
        }
    }

    /// Reads a stored name; `None` for anything else.
    pub fn parse(text: &str) -> Option<QualificationWindow> {
        match text {
            "lifetime" => Some(QualificationWindow::Lifetime),
            "calendar_year" => Some(QualificationWindow::CalendarYear),
            "rolling_12_months" => Some(QualificationWindow::Rolling12Months),
            _ => None,
        }
    }
}

/// One tier; the program's list is in rank order, lowest first.
#[derive(Clone, Debug, PartialEq)]
pub struct Tier {
    /// Row id once stored; `None` for a new tier.
    pub id: Option<i64>,
    /// Name shown to the owner and on vouchers, unique in the program.
    pub name: String,
    /// Entry threshold: cents for [`ThresholdKind::Spend`], points for [`ThresholdKind::Points`].
    pub threshold: i64,
    /// What the threshold measures.
    pub threshold_kind: ThresholdKind,
    /// Which past activity counts.
    pub window: QualificationWindow,
    /// Multiplier on the spend part of earned points while in this tier.
    pub earn_multiplier: f64,
    /// What the tier gives, in the owner's words.
    pub benefits: String,
}

/// The kinds of reward in the catalogue.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum RewardKind {
    /// A fixed amount off (`value` in cents).
    #[default]
    FixedDiscount,
    /// A percentage off (`value` in percent).
    PercentDiscount,
    /// A free item.
    FreeItem,
    /// Early access to something new.
    EarlyAccess,
    /// A special offer.
    BonusOffer,
}

impl RewardKind {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            RewardKind::FixedDiscount => "fixed_discount",
            RewardKind::PercentDiscount => "percent_discount",
            RewardKind::FreeItem => "free_item",
            RewardKind::EarlyAccess => "early_access",
            RewardKind::BonusOffer => "bonus_offer",
        }
    }

    /// Reads a stored name; `None` for anything else.
    pub fn parse(text: &str) -> Option<RewardKind> {
        match text {
            "fixed_discount" => Some(RewardKind::FixedDiscount),
            "percent_discount" => Some(RewardKind::PercentDiscount),
            "free_item" => Some(RewardKind::FreeItem),
            "early_access" => Some(RewardKind::EarlyAccess),
            "bonus_offer" => Some(RewardKind::BonusOffer),
            _ => None,
        }
    }
}

/// One reward in the catalogue.
#[derive(Clone, Debug, PartialEq)]
pub struct Reward {
    /// Row id once stored; `None` for a new reward.
    pub id: Option<i64>,
    /// Name shown to the owner and the customer.
    pub name: String,
    /// What kind of reward.
    pub kind: RewardKind,
    /// Points it costs.
    pub points_cost: i64,
    /// Cents for a fixed discount, percent for a percent discount, otherwise unused.
    pub value: f64,
    /// Name of the lowest tier that may redeem it; `None`: everyone.
    pub min_tier: Option<String>,
}

/// A whole loyalty program: what the owner edits, activates and replays.
#[derive(Clone, Debug, PartialEq)]
pub struct LoyaltyProgram {
    /// How points are earned.
    pub earn: EarnRules,
    /// Tiers in rank order, lowest first.
    pub tiers: Vec<Tier>,
    /// The rewards catalogue.
    pub rewards: Vec<Reward>,
    /// Points expire this many months after the last activity; `None`: never.
    pub expiry_months: Option<u32>,
    /// What one point is worth to the customer, in cents (for the liability).
    pub point_value_cents: f64,
}

impl Default for LoyaltyProgram {
    fn default() -> Self {
        LoyaltyProgram {
            earn: EarnRules::default(),
            tiers: Vec::new(),
            rewards: Vec::new(),
            expiry_months: None,
            point_value_cents: 1.0,
        }
    }
}

/// One thing wrong with a program, naming the field in plain words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgramProblem {
    /// Which field: `earn.points_per_order`, `tiers[1].threshold`, `rewards[0].name`, …
    pub field: String,
    /// What is wrong, in a sentence an owner can act on.
    pub message: String,
}

impl fmt::Display for ProgramProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl LoyaltyProgram {
    /// Checks the program; every problem found, each naming its field.
    pub fn validate(&self) -> Result<(), Vec<ProgramProblem>> {
        let mut problems = Vec::new();
        let mut problem = |field: String, message: String| {
            problems.push(ProgramProblem { field, message });
        };
        let earn = &self.earn;
        if !(earn.points_per_currency_unit.is_finite() && earn.points_per_currency_unit >= 0.0) {
            problem(
                "earn.points_per_currency_unit".into(),
                "Points per currency unit cannot be negative.".into(),
            );
        }
        for (field, label, value) in [
            (
                "earn.points_per_order",
                "Points per order",
                earn.points_per_order,
            ),
            (
                "earn.first_order_bonus",
                "First-order bonus",
                earn.first_order_bonus,
            ),
            ("earn.birthday_bonus", "Birthday bonus", earn.birthday_bonus),
        ] {
            if value < 0 {
                problem(field.into(), format!("{label} cannot be negative."));
            }
        }
        if !(self.point_value_cents.is_finite() && self.point_value_cents >= 0.0) {
            problem(
                "point_value_cents".into(),
                "The value of a point cannot be negative.".into(),
            );
        }
        if self.expiry_months == Some(0) {
            problem(
                "expiry_months".into(),
                "Points must stay valid for at least 1 month (or never expire).".into(),
            );
        }
        self.tier_problems(&mut problem);
        self.reward_problems(&mut problem);
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    fn tier_problems(&self, problem: &mut impl FnMut(String, String)) {
        let mut seen = BTreeSet::new();
        for (i, tier) in self.tiers.iter().enumerate() {
            let name = tier.name.trim();
            let label = if name.is_empty() {
                format!("Tier {}", i + 1)
            } else {
                format!("Tier \"{name}\"")
            };
            if name.is_empty() {
                problem(format!("tiers[{i}].name"), format!("{label} needs a name."));
            } else if !seen.insert(name.to_lowercase()) {
                problem(
                    format!("tiers[{i}].name"),
                    format!("{label}: another tier already has this name."),
                );
            }
            if tier.threshold < 0 {
                problem(
                    format!("tiers[{i}].threshold"),
                    format!("{label}: the entry threshold cannot be negative."),
                );
            }
            if let Some(previous) = i.checked_sub(1).and_then(|p| self.tiers.get(p))
                && tier.threshold <= previous.threshold
            {
                problem(
                    format!("tiers[{i}].threshold"),
                    format!(
                        "{label}: the entry threshold must be higher than the tier before it ({}).",
                        previous.threshold
                    ),
                );
            }
            if !(tier.earn_multiplier.is_finite() && tier.earn_multiplier >= 0.0) {
                problem(
                    format!("tiers[{i}].earn_multiplier"),
                    format!("{label}: the earn multiplier cannot be negative."),
                );
            }
        }
    }

    fn reward_problems(&self, problem: &mut impl FnMut(String, String)) {
        let mut seen = BTreeSet::new();
        for (i, reward) in self.rewards.iter().enumerate() {
            let name = reward.name.trim();
            let label = if name.is_empty() {
                format!("Reward {}", i + 1)
            } else {
                format!("Reward \"{name}\"")
            };
            if name.is_empty() {
                problem(
                    format!("rewards[{i}].name"),
                    format!("{label} needs a name."),
                );
            } else if !seen.insert(name.to_lowercase()) {
                problem(
                    format!("rewards[{i}].name"),
                    format!("{label}: another reward already has this name."),
                );
            }
            if reward.points_cost < 0 {
                problem(
                    format!("rewards[{i}].points_cost"),
                    format!("{label}: the points cost cannot be negative."),
                );
            }
            if !(reward.value.is_finite() && reward.value >= 0.0) {
                problem(
                    format!("rewards[{i}].value"),
                    format!("{label}: the value cannot be negative."),
                );
            } else if reward.kind == RewardKind::PercentDiscount && reward.value > 100.0 {
                problem(
                    format!("rewards[{i}].value"),
                    format!("{label}: a percent discount cannot be more than 100%."),
                );
            }
            if let Some(tier) = &reward.min_tier
                && self.tier_rank(tier).is_none()
            {
                problem(
                    format!("rewards[{i}].min_tier"),
                    format!("{label}: there is no tier named \"{tier}\"."),
                );
            }
        }
    }

    /// Position of the tier named `name` in the rank order (case-insensitive, trimmed).
    pub fn tier_rank(&self, name: &str) -> Option<usize> {
        let name = name.trim();
        self.tiers
            .iter()
            .position(|t| t.name.trim().eq_ignore_ascii_case(name))
    }
}

/// A birthday without a year: month and day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Birthday {
    /// 1–12.
    pub month: u32,
    /// 1–31 (29 February allowed).
    pub day: u32,
}

impl Birthday {
    /// Reads `YYYY-MM-DD` or `--MM-DD`; `None` when it is neither or not a real day.
    pub fn parse(text: &str) -> Option<Birthday> {
        let text = text.trim();
        let month_day = match text.strip_prefix("--") {
            Some(rest) => rest,
            None => {
                let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
                return Some(Birthday {
                    month: date.month(),
                    day: date.day(),
                });
            }
        };
        let (month, day) = month_day.split_once('-')?;
        let birthday = Birthday {
            month: month.parse().ok()?,
            day: day.parse().ok()?,
        };
        // 2000 is a leap year, so 29 February is accepted.
        NaiveDate::from_ymd_opt(2000, birthday.month, birthday.day).map(|_| birthday)
    }

    /// The day it is celebrated in `year`: 29 February becomes 28 February in other years.
    pub fn in_year(self, year: i32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(year, self.month, self.day)
            .or_else(|| NaiveDate::from_ymd_opt(year, self.month, self.day.saturating_sub(1)))
    }
}

/// A refund of a purchase: when, and how much.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RefundEvent {
    /// The shop's day of the refund (the latest one, when there were several).
    pub date: NaiveDate,
    /// Cents refunded in total (positive).
    pub cents: i64,
}

/// One purchase as the loyalty rules read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PurchaseEvent {
    /// The ledger key of its earn and clawback entries, e.g. `order:123`.
    pub source_ref: String,
    /// The shop's day of the order.
    pub date: NaiveDate,
    /// What the customer paid after discounts *and* refunds, in cents.
    pub net_cents: i64,
    /// The refund, if any.
    pub refund: Option<RefundEvent>,
}

impl PurchaseEvent {
    /// Cents paid before any refund.
    pub fn paid_cents(&self) -> i64 {
        self.net_cents + self.refund.map_or(0, |r| r.cents)
    }
}

/// One customer's purchases (any order; sorted by day, stably) and birthday.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerHistory {
    /// The customer (survivor of any merge).
    pub customer: CustomerId,
    /// Their birthday, if known.
    pub birthday: Option<Birthday>,
    /// Their purchases.
    pub purchases: Vec<PurchaseEvent>,
}

/// The kinds of ledger entry (the `points_ledger.kind` values).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntryKind {
    /// Points for an order.
    Earn,
    /// Points taken back for a refund.
    Clawback,
    /// The yearly birthday bonus.
    Birthday,
    /// A tier change (zero points; the reason says from and to).
    TierChange,
    /// Points that expired.
    Expire,
    /// A manual adjustment with a reason.
    Adjust,
    /// Points spent on a reward.
    Redeem,
    /// Points for a referral (written by the referral program).
    Referral,
}

impl EntryKind {
    /// Every kind, in display order.
    pub const ALL: [EntryKind; 8] = [
        EntryKind::Earn,
        EntryKind::Clawback,
        EntryKind::Birthday,
        EntryKind::TierChange,
        EntryKind::Expire,
        EntryKind::Adjust,
        EntryKind::Redeem,
        EntryKind::Referral,
    ];

    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Earn => "earn",
            EntryKind::Clawback => "clawback",
            EntryKind::Birthday => "birthday",
            EntryKind::TierChange => "tier_change",
            EntryKind::Expire => "expire",
            EntryKind::Adjust => "adjust",
            EntryKind::Redeem => "redeem",
            EntryKind::Referral => "referral",
        }
    }

    /// Reads a stored name; `None` for anything else.
    pub fn parse(text: &str) -> Option<EntryKind> {
        EntryKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// Whether the rules derive entries of this kind (recomputed), rather than a person
    /// or another program writing them.
    pub fn is_derived(self) -> bool {
        matches!(
            self,
            EntryKind::Earn
                | EntryKind::Clawback
                | EntryKind::Birthday
                | EntryKind::TierChange
                | EntryKind::Expire
        )
    }

    /// Whether an entry of this kind is activity that restarts the expiry clock.
    pub fn is_activity(self) -> bool {
        matches!(
            self,
            EntryKind::Earn
                | EntryKind::Birthday
                | EntryKind::Adjust
                | EntryKind::Redeem
                | EntryKind::Referral
        )
    }

    /// Whether it counts towards lifetime points (all but redemptions and expiries).
    pub fn counts_for_lifetime(self) -> bool {
        !matches!(self, EntryKind::Redeem | EntryKind::Expire)
    }
}

/// An entry written by a person or another program (adjustment, redemption, referral).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManualEntry {
    /// The customer (survivor of any merge).
    pub customer: CustomerId,
    /// Day it counts from.
    pub date: NaiveDate,
    /// Signed points.
    pub points: i64,
    /// [`EntryKind::Adjust`], [`EntryKind::Redeem`] or [`EntryKind::Referral`].
    pub kind: EntryKind,
}

/// Everything the rules read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerInputs {
    /// Every customer with purchases.
    pub customers: Vec<CustomerHistory>,
    /// Manual and referral entries already in the ledger.
    pub manual: Vec<ManualEntry>,
    /// Cents per major currency unit (100 for most currencies, 1 for JPY).
    pub minor_per_major: i64,
}

impl Default for LedgerInputs {
    fn default() -> Self {
        LedgerInputs {
            customers: Vec::new(),
            manual: Vec::new(),
            minor_per_major: 100,
        }
    }
}

/// One entry the rules ask for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DerivedEntry {
    /// Whose points.
    pub customer: CustomerId,
    /// What kind (always a [derived](EntryKind::is_derived) kind).
    pub kind: EntryKind,
    /// The key that, with the kind, identifies the entry (see the module documentation).
    pub source_ref: String,
    /// Day it counts from.
    pub date: NaiveDate,
    /// Signed points (zero only for tier changes).
    pub points: i64,
    /// Why, in words.
    pub reason: String,
}

/// Points that will expire unless there is activity first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExpiringPoints {
    /// How many.
    pub points: i64,
    /// The boundary day: the first day they are no longer available.
    pub on: NaiveDate,
}

/// One customer's points as of `today`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Balance {
    /// The customer.
    pub customer: CustomerId,
    /// Everything credited, net of clawbacks and corrections; not reduced by redemptions
    /// or expiry.
    pub lifetime_points: i64,
    /// What can be spent now (may be negative after a refund of spent points).
    pub available_points: i64,
    /// The next expiry, when points would expire.
    pub expiring: Option<ExpiringPoints>,
    /// The tier in force today, if any.
    pub tier: Option<String>,
    /// The last activity day (see the module documentation).
    pub last_activity: Option<NaiveDate>,
    /// The tier above the one in force and how far the customer is from it (`None` at the
    /// top, without tiers, or when only the ledger's sums are known).
    pub next_tier: Option<NextTier>,
}

/// How far a customer is from the next tier up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NextTier {
    /// The tier's name.
    pub name: String,
    /// What its threshold measures.
    pub kind: ThresholdKind,
    /// Its entry threshold (cents or points).
    pub threshold: i64,
    /// The customer's qualifying measure for it at the start of tomorrow (today's purchases
    /// included), in the same unit.
    pub measure: i64,
}

impl NextTier {
    /// What is still missing (cents or points; 0 when the threshold is met).
    pub fn missing(&self) -> i64 {
        (self.threshold - self.measure).max(0)
    }
}

/// The complete desired ledger and the balances it leads to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DerivedLedger {
    /// Derived entries by day, then customer, kind and key.
    pub entries: Vec<DerivedEntry>,
    /// Balances of every customer with purchases or manual entries.
    pub balances: BTreeMap<CustomerId, Balance>,
}

/// One thing that happens to a customer on a day, in the order they are applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Action {
    Purchase(usize),
    Refund(usize),
    Birthday(i32),
    Manual(usize),
}

/// A qualifying event for tiers: spend cents and purchase points on a day.
#[derive(Clone, Copy, Debug)]
struct Qualifying {
    date: NaiveDate,
    spend_cents: i64,
    points: i64,
}

/// The running state of one customer while their days are replayed.
struct Walk<'a> {
    program: &'a LoyaltyProgram,
    customer: CustomerId,
    minor_per_major: i64,
    entries: Vec<DerivedEntry>,
    qualifying: Vec<Qualifying>,
    available: i64,
    lifetime: i64,
    last_activity: Option<NaiveDate>,
    expired_after: Option<NaiveDate>,
    tier: Option<usize>,
    earned: BTreeMap<usize, (i64, f64, i64)>,
}

/// Derives the complete ledger the `program` asks for from every purchase and manual entry,
/// up to and including `today`, with every customer's balance (see the module documentation
/// for each rule). Pure and deterministic.
pub fn derive_ledger(
    program: &LoyaltyProgram,
    inputs: &LedgerInputs,
    today: NaiveDate,
) -> DerivedLedger {
    let mut manual_by_customer: BTreeMap<CustomerId, Vec<&ManualEntry>> = BTreeMap::new();
    for entry in &inputs.manual {
        manual_by_customer
            .entry(entry.customer)
            .or_default()
            .push(entry);
    }
    let empty = CustomerHistory {
        customer: CustomerId(0),
        birthday: None,
        purchases: Vec::new(),
    };
    let mut histories: BTreeMap<CustomerId, &CustomerHistory> = BTreeMap::new();
    for history in &inputs.customers {
        histories.insert(history.customer, history);
    }
    let customers: BTreeSet<CustomerId> = histories
        .keys()
        .chain(manual_by_customer.keys())
        .copied()
        .collect();
    let mut derived = DerivedLedger::default();
    for customer in customers {
        let history = histories.get(&customer).copied().unwrap_or(&empty);
        let manual = manual_by_customer.remove(&customer).unwrap_or_default();
        let (entries, balance) = walk_customer(
            program,
            customer,
            history,
            &manual,
            inputs.minor_per_major,
            today,
        );
        derived.entries.extend(entries);
        derived.balances.insert(customer, balance);
    }
    derived.entries.sort_by(|a, b| {
        (a.date, a.customer, a.kind, &a.source_ref).cmp(&(
            b.date,
            b.customer,
            b.kind,
            &b.source_ref,
        ))
    });
    derived
}

/// Replays one customer's days; their derived entries and balance at `today`.
fn walk_customer(
    program: &LoyaltyProgram,
    customer: CustomerId,
    history: &CustomerHistory,
    manual: &[&ManualEntry],
    minor_per_major: i64,
    today: NaiveDate,
) -> (Vec<DerivedEntry>, Balance) {
    let mut purchases: Vec<&PurchaseEvent> = history.purchases.iter().collect();
    purchases.sort_by_key(|p| p.date);
    let actions = actions_by_day(program, history.birthday, &purchases, manual, today);
    let checkpoints = tier_checkpoints(program, &purchases, &actions, today);
    let mut walk = Walk {
        program,
        customer,
        minor_per_major: minor_per_major.max(1),
        entries: Vec::new(),
        qualifying: Vec::new(),
        available: 0,
        lifetime: 0,
        last_activity: None,
        expired_after: None,
        tier: None,
        earned: BTreeMap::new(),
    };
    let days: BTreeSet<NaiveDate> = actions.keys().chain(checkpoints.iter()).copied().collect();
    for day in days {
        walk.expire_until(day);
        walk.evaluate_tier(day);
        for action in actions.get(&day).into_iter().flatten() {
            match *action {
                Action::Purchase(i) => walk.earn(i, &purchases, day),
                Action::Refund(i) => walk.claw_back(i, &purchases, day),
                Action::Birthday(year) => walk.birthday(year, day),
                Action::Manual(i) => {
                    if let Some(entry) = manual.get(i) {
                        walk.manual(entry);
                    }
                }
            }
        }
    }
    walk.expire_until(today);
    let mut balance = walk.balance();
    balance.next_tier = walk.next_tier(today);
    (walk.entries, balance)
}

/// Every action on or before `today`, grouped by day in application order.
fn actions_by_day(
    program: &LoyaltyProgram,
    birthday: Option<Birthday>,
    purchases: &[&PurchaseEvent],
    manual: &[&ManualEntry],
    today: NaiveDate,
) -> BTreeMap<NaiveDate, Vec<Action>> {
    let mut actions: BTreeMap<NaiveDate, Vec<Action>> = BTreeMap::new();
    let mut add = |day: NaiveDate, action: Action| {
        if day <= today {
            actions.entry(day).or_default().push(action);
        }
    };
    for (i, purchase) in purchases.iter().enumerate() {
        add(purchase.date, Action::Purchase(i));
        if let Some(refund) = purchase.refund {
            add(refund.date.max(purchase.date), Action::Refund(i));
        }
    }
    if let (Some(birthday), Some(first)) = (birthday, purchases.first())
        && program.earn.birthday_bonus > 0
    {
        for year in first.date.year()..=today.year() {
            if let Some(day) = birthday.in_year(year)
                && day >= first.date
            {
                add(day, Action::Birthday(year));
            }
        }
    }
    for (i, entry) in manual.iter().enumerate() {
        add(entry.date, Action::Manual(i));
    }
    for day_actions in actions.values_mut() {
        day_actions.sort();
    }
    actions
}

/// Days on which a tier can change without anything else happening: the day after each
/// qualifying event, the day it leaves a rolling window, every 1 January, and `today`.
fn tier_checkpoints(
    program: &LoyaltyProgram,
    purchases: &[&PurchaseEvent],
    actions: &BTreeMap<NaiveDate, Vec<Action>>,
    today: NaiveDate,
) -> BTreeSet<NaiveDate> {
    let mut days = BTreeSet::new();
    let Some(first) = actions.keys().next().copied() else {
        return days;
    };
    days.insert(today);
    if program.tiers.is_empty() {
        return days;
    }
    let qualifying_days = purchases
        .iter()
        .flat_map(|p| std::iter::once(p.date).chain(p.refund.map(|r| r.date.max(p.date))));
    for day in qualifying_days {
        days.extend(day.succ_opt());
        if program
            .tiers
            .iter()
            .any(|t| t.window == QualificationWindow::Rolling12Months)
        {
            days.extend(
                day.checked_add_months(Months::new(12))
                    .and_then(|d| d.succ_opt()),
            );
        }
    }
    if program
        .tiers
        .iter()
        .any(|t| t.window == QualificationWindow::CalendarYear)
    {
        for year in first.year() + 1..=today.year() {
            days.extend(NaiveDate::from_ymd_opt(year, 1, 1));
        }
    }
    days.retain(|d| *d >= first && *d <= today);
    days
}

impl Walk<'_> {
    /// Applies an expiry whose boundary day is on or before `day` (see the module docs).
    fn expire_until(&mut self, day: NaiveDate) {
        let (Some(months), Some(last)) = (self.program.expiry_months, self.last_activity) else {
            return;
        };
        if self.expired_after == Some(last) {
            return;
        }
        let Some(boundary) = boundary_day(last, months) else {
            return;
        };
        if boundary > day {
            return;
        }
        self.expired_after = Some(last);
        if self.available <= 0 {
            return;
        }
        let points = self.available;
        self.push(
            EntryKind::Expire,
            format!("expire:{}:{boundary}", self.customer.0),
            boundary,
            -points,
            format!("{points} points expired: no activity for {months} months since {last}"),
        );
    }

    /// Re-evaluates the tier at the start of `day` and records a change.
    fn evaluate_tier(&mut self, day: NaiveDate) {
        if self.program.tiers.is_empty() {
            return;
        }
        let tier = self
            .program
            .tiers
            .iter()
            .rposition(|t| tier_measure(&self.qualifying, t, day) >= t.threshold);
        if tier == self.tier {
            return;
        }
        let name = |t: Option<usize>| {
            t.and_then(|i| self.program.tiers.get(i))
                .map_or_else(|| "no tier".to_owned(), |t| t.name.clone())
        };
        let reason = format!("{} → {}", name(self.tier), name(tier));
        self.tier = tier;
        self.push(
            EntryKind::TierChange,
            format!("tier:{}:{day}", self.customer.0),
            day,
            0,
            reason,
        );
    }

    /// The multiplier of the tier in force now.
    fn multiplier(&self) -> f64 {
        self.tier
            .and_then(|i| self.program.tiers.get(i))
            .map_or(1.0, |t| t.earn_multiplier)
    }

    /// Points for `cents` paid at `multiplier`, plus the fixed parts.
    fn order_points(&self, cents: i64, multiplier: f64, bonus: i64) -> i64 {
        let earn = &self.program.earn;
        let units = cents.max(0) as f64 / self.minor_per_major as f64;
        earn.rounding
            .whole_points(earn.points_per_currency_unit * units * multiplier)
            + earn.points_per_order
            + bonus
    }

    fn earn(&mut self, index: usize, purchases: &[&PurchaseEvent], day: NaiveDate) {
        let Some(purchase) = purchases.get(index) else {
            return;
        };
        let bonus = if index == 0 {
            self.program.earn.first_order_bonus
        } else {
            0
        };
        let multiplier = self.multiplier();
        let paid = purchase.paid_cents();
        let points = self.order_points(paid, multiplier, bonus);
        self.earned.insert(index, (points, multiplier, bonus));
        self.qualifying.push(Qualifying {
            date: day,
            spend_cents: paid,
            points,
        });
        self.last_activity = Some(day);
        let mut reason = format!("order of {} paid", cents_text(paid));
        if multiplier != 1.0 {
            reason.push_str(&format!(", tier multiplier ×{multiplier}"));
        }
        if bonus > 0 {
            reason.push_str(", first-order bonus");
        }
        self.push(
            EntryKind::Earn,
            purchase.source_ref.clone(),
            day,
            points,
            reason,
        );
    }

    fn claw_back(&mut self, index: usize, purchases: &[&PurchaseEvent], day: NaiveDate) {
        let (Some(purchase), Some(refund), Some(&(earned, multiplier, bonus))) = (
            purchases.get(index),
            purchases.get(index).and_then(|p| p.refund),
            self.earned.get(&index),
        ) else {
            return;
        };
        let kept = if purchase.net_cents <= 0 {
            0
        } else {
            self.order_points(purchase.net_cents, multiplier, bonus)
        };
        let points = (kept - earned).min(0);
        self.qualifying.push(Qualifying {
            date: day,
            spend_cents: -refund.cents,
            points,
        });
        if points == 0 {
            return;
        }
        let reason = format!(
            "refund of {} (order keeps {kept} of {earned} points)",
            cents_text(refund.cents)
        );
        self.push(
            EntryKind::Clawback,
            purchase.source_ref.clone(),
            day,
            points,
            reason,
        );
    }

    fn birthday(&mut self, year: i32, day: NaiveDate) {
        let points = self.program.earn.birthday_bonus;
        self.last_activity = Some(day);
        self.push(
            EntryKind::Birthday,
            format!("birthday:{}:{year}", self.customer.0),
            day,
            points,
            format!("birthday bonus {year}"),
        );
    }

    fn manual(&mut self, entry: &ManualEntry) {
        self.available += entry.points;
        if entry.kind.counts_for_lifetime() {
            self.lifetime += entry.points;
        }
        if entry.kind.is_activity() {
            self.last_activity = Some(entry.date);
        }
    }

    fn push(
        &mut self,
        kind: EntryKind,
        source_ref: String,
        date: NaiveDate,
        points: i64,
        reason: String,
    ) {
        self.available += points;
        if kind.counts_for_lifetime() {
            self.lifetime += points;
        }
        self.entries.push(DerivedEntry {
            customer: self.customer,
            kind,
            source_ref,
            date,
            points,
            reason,
        });
    }

    fn balance(&self) -> Balance {
        let expiring = match (self.program.expiry_months, self.last_activity) {
            (Some(months), Some(last))
                if self.available > 0 && self.expired_after != Some(last) =>
            {
                boundary_day(last, months).map(|on| ExpiringPoints {
                    points: self.available,
                    on,
                })
            }
            _ => None,
        };
        Balance {
            customer: self.customer,
            lifetime_points: self.lifetime,
            available_points: self.available,
            expiring,
            tier: self
                .tier
                .and_then(|i| self.program.tiers.get(i))
                .map(|t| t.name.clone()),
            last_activity: self.last_activity,
            next_tier: None,
        }
    }

    /// The tier above the one in force, with the measure at the start of the day after
    /// `today` (when today's purchases start to count).
    fn next_tier(&self, today: NaiveDate) -> Option<NextTier> {
        let rank = self.tier.map_or(0, |t| t + 1);
        let tier = self.program.tiers.get(rank)?;
        let tomorrow = today.succ_opt().unwrap_or(today);
        Some(NextTier {
            name: tier.name.clone(),
            kind: tier.threshold_kind,
            threshold: tier.threshold,
            measure: tier_measure(&self.qualifying, tier, tomorrow),
        })
    }
}

/// The boundary day of points whose last activity was `last`: `last + months` calendar
/// months (clamped to the month's last day). The first day they are no longer available.
pub fn boundary_day(last: NaiveDate, months: u32) -> Option<NaiveDate> {
    last.checked_add_months(Months::new(months))
}

/// The tier's qualifying measure at the start of `day` (see the module documentation).
fn tier_measure(events: &[Qualifying], tier: &Tier, day: NaiveDate) -> i64 {
    let value = |q: &Qualifying| match tier.threshold_kind {
        ThresholdKind::Spend => q.spend_cents,
        ThresholdKind::Points => q.points,
    };
    let before = events.iter().filter(|q| q.date < day);
    match tier.window {
        QualificationWindow::Lifetime => before.map(value).sum(),
        QualificationWindow::Rolling12Months => before
            .filter(|q| {
                q.date
                    .checked_add_months(Months::new(12))
                    .is_some_and(|end| day <= end)
            })
            .map(value)
            .sum(),
        QualificationWindow::CalendarYear => {
            let (mut this_year, mut last_year) = (0, 0);
            for q in before {
                if q.date.year() == day.year() {
                    this_year += value(q);
                } else if q.date.year() == day.year() - 1 {
                    last_year += value(q);
                }
            }
            this_year.max(last_year)
        }
    }
}

/// `1234` → `12.34` (for reasons; currency-free on purpose).
fn cents_text(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    format!("{sign}{}.{:02}", cents / 100, cents % 100)
}

/// Why a redemption was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RedeemRefusal {
    /// The reward costs more points than are available.
    #[error("not enough points: {available} available, the reward costs {cost}")]
    NotEnoughPoints {
        /// Points available.
        available: i64,
        /// Points the reward costs.
        cost: i64,
    },
    /// The reward needs a higher tier.
    #[error("this reward is for tier {required} and up; the customer is in {}", current.as_deref().unwrap_or("no tier"))]
    TierTooLow {
        /// The tier the reward needs.
        required: String,
        /// The customer's tier.
        current: Option<String>,
    },
}

/// Whether a customer with `available` points in `tier` may redeem `reward` now.
pub fn check_redemption(
    program: &LoyaltyProgram,
    reward: &Reward,
    available: i64,
    tier: Option<&str>,
) -> Result<(), RedeemRefusal> {
    if let Some(required) = &reward.min_tier {
        let needed = program.tier_rank(required);
        let has = tier.and_then(|t| program.tier_rank(t));
        let enough = match (needed, has) {
            (Some(needed), Some(has)) => has >= needed,
            _ => false,
        };
        if !enough {
            return Err(RedeemRefusal::TierTooLow {
                required: required.clone(),
                current: tier.map(str::to_owned),
            });
        }
    }
    if reward.points_cost > available {
        return Err(RedeemRefusal::NotEnoughPoints {
            available,
            cost: reward.points_cost,
        });
    }
    Ok(())
}

/// Points the rules issued (earn, clawback, birthday) in one calendar month.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MonthPoints {
    /// First day of the month.
    pub month: NaiveDate,
    /// Net points issued (clawbacks subtracted).
    pub points: i64,
}

/// How many members are in a tier today.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TierMembers {
    /// The tier; `None`: members in no tier.
    pub tier: Option<String>,
    /// How many.
    pub members: usize,
}

/// What a program does to the shop's past orders, for the what-if replay.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplaySummary {
    /// Net points issued by the rules per month, oldest first (months with none left out).
    pub points_issued_per_month: Vec<MonthPoints>,
    /// Net points issued by the rules in total.
    pub points_issued: i64,
    /// Points expired (positive).
    pub points_expired: i64,
    /// Points available today, summed over customers with a positive balance.
    pub outstanding_points: i64,
    /// `outstanding_points × point value`, in cents (rounded).
    pub liability_cents: i64,
    /// Members per tier: no tier first, then each tier in rank order.
    pub members_per_tier: Vec<TierMembers>,
    /// Customers with at least one purchase up to today.
    pub members: usize,
    /// Those members' revenue after refunds, in cents.
    pub members_revenue_cents: i64,
    /// Those members' CLV, in cents (from the CLV map given).
    pub members_clv_cents: f64,
    /// Value of the points issued that did not expire, in cents:
    /// `(points_issued − points_expired) × point value`, at least 0.
    pub reward_cost_cents: i64,
    /// `reward_cost_cents ÷ members_revenue_cents`; `None` without revenue.
    pub cost_share_of_revenue: Option<f64>,
    /// `reward_cost_cents ÷ members_clv_cents`; `None` without CLV.
    pub cost_share_of_clv: Option<f64>,
}

/// A draft program side by side with the current one on the same orders.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplayComparison {
    /// The program in force (`None` when there is none yet).
    pub current: Option<ReplaySummary>,
    /// The draft.
    pub draft: ReplaySummary,
}

/// Replays `program` on the past orders up to `today` (exactly what activating it would
/// derive) and sums it up; `clv_cents` gives each customer's CLV (missing: 0).
pub fn replay(
    program: &LoyaltyProgram,
    inputs: &LedgerInputs,
    clv_cents: &BTreeMap<CustomerId, f64>,
    today: NaiveDate,
) -> ReplaySummary {
    let derived = derive_ledger(program, inputs, today);
    summarise(program, inputs, &derived, clv_cents, today)
}

/// [`replay`] of the `draft` and of the `current` program on the same inputs.
pub fn compare_programs(
    current: Option<&LoyaltyProgram>,
    draft: &LoyaltyProgram,
    inputs: &LedgerInputs,
    clv_cents: &BTreeMap<CustomerId, f64>,
    today: NaiveDate,
) -> ReplayComparison {
    ReplayComparison {
        current: current.map(|p| replay(p, inputs, clv_cents, today)),
        draft: replay(draft, inputs, clv_cents, today),
    }
}

/// The replay summary of an already derived ledger.
pub fn summarise(
    program: &LoyaltyProgram,
    inputs: &LedgerInputs,
    derived: &DerivedLedger,
    clv_cents: &BTreeMap<CustomerId, f64>,
    today: NaiveDate,
) -> ReplaySummary {
    let mut per_month: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    let (mut issued, mut expired) = (0, 0);
    for entry in &derived.entries {
        match entry.kind {
            EntryKind::Earn | EntryKind::Clawback | EntryKind::Birthday => {
                issued += entry.points;
                if let Some(month) = entry.date.with_day(1) {
                    *per_month.entry(month).or_default() += entry.points;
                }
            }
            EntryKind::Expire => expired -= entry.points,
            _ => {}
        }
    }
    let outstanding: i64 = derived
        .balances
        .values()
        .map(|b| b.available_points.max(0))
        .sum();
    let value = program.point_value_cents;
    let members: Vec<&CustomerHistory> = inputs
        .customers
        .iter()
        .filter(|c| c.purchases.iter().any(|p| p.date <= today))
        .collect();
    let revenue: i64 = members
        .iter()
        .flat_map(|c| c.purchases.iter().filter(|p| p.date <= today))
        .map(|p| p.net_cents)
        .sum();
    let clv: f64 = members
        .iter()
        .map(|c| clv_cents.get(&c.customer).copied().unwrap_or(0.0))
        .sum();
    let mut per_tier = vec![0usize; program.tiers.len() + 1];
    for member in &members {
        let rank = derived
            .balances
            .get(&member.customer)
            .and_then(|b| b.tier.as_deref())
            .and_then(|t| program.tier_rank(t))
            .map_or(0, |r| r + 1);
        if let Some(count) = per_tier.get_mut(rank) {
            *count += 1;
        }
    }
    let members_per_tier = per_tier
        .into_iter()
        .enumerate()
        .map(|(i, members)| TierMembers {
            tier: i
                .checked_sub(1)
                .and_then(|r| program.tiers.get(r))
                .map(|t| t.name.clone()),
            members,
        })
        .collect();
    let cost = ((issued - expired) as f64 * value).round().max(0.0) as i64;
    ReplaySummary {
        points_issued_per_month: per_month
            .into_iter()
            .map(|(month, points)| MonthPoints { month, points })
            .collect(),
        points_issued: issued,
        points_expired: expired,
        outstanding_points: outstanding,
        liability_cents: (outstanding as f64 * value).round() as i64,
        members_per_tier,
        members: members.len(),
        members_revenue_cents: revenue,
        members_clv_cents: clv,
        reward_cost_cents: cost,
        cost_share_of_revenue: (revenue > 0).then(|| cost as f64 / revenue as f64),
        cost_share_of_clv: (clv > 0.0).then(|| cost as f64 / clv),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn rate(points_per_currency_unit: f64) -> LoyaltyProgram {
        LoyaltyProgram {
            earn: EarnRules {
                points_per_currency_unit,
                ..EarnRules::default()
            },
            ..LoyaltyProgram::default()
        }
    }

    fn tier(
        name: &str,
        threshold: i64,
        kind: ThresholdKind,
        window: QualificationWindow,
        multiplier: f64,
    ) -> Tier {
        Tier {
            id: None,
            name: name.into(),
            threshold,
            threshold_kind: kind,
            window,
            earn_multiplier: multiplier,
            benefits: String::new(),
        }
    }

    fn buy(id: u32, date: &str, net_cents: i64) -> PurchaseEvent {
        PurchaseEvent {
            source_ref: format!("order:{id}"),
            date: d(date),
            net_cents,
            refund: None,
        }
    }

    fn refunded(mut purchase: PurchaseEvent, date: &str, cents: i64) -> PurchaseEvent {
        purchase.net_cents -= cents;
        purchase.refund = Some(RefundEvent {
            date: d(date),
            cents,
        });
        purchase
    }

    fn one(purchases: Vec<PurchaseEvent>) -> LedgerInputs {
        LedgerInputs {
            customers: vec![CustomerHistory {
                customer: CustomerId(1),
                birthday: None,
                purchases,
            }],
            ..LedgerInputs::default()
        }
    }

    fn balance(program: &LoyaltyProgram, inputs: &LedgerInputs, today: &str) -> Balance {
        derive_ledger(program, inputs, d(today)).balances[&CustomerId(1)].clone()
    }

    fn entries(
        program: &LoyaltyProgram,
        inputs: &LedgerInputs,
        today: &str,
        kind: EntryKind,
    ) -> Vec<(NaiveDate, i64, String)> {
        derive_ledger(program, inputs, d(today))
            .entries
            .into_iter()
            .filter(|e| e.kind == kind)
            .map(|e| (e.date, e.points, e.reason))
            .collect()
    }

    #[test]
    fn rate_per_order_and_first_order_bonus_give_exact_points() {
        let mut program = rate(1.5);
        program.earn.points_per_order = 10;
        program.earn.first_order_bonus = 50;
        let inputs = one(vec![buy(2, "2024-01-20", 2000), buy(1, "2024-01-10", 1234)]);
        let derived = derive_ledger(&program, &inputs, d("2024-12-31"));
        let earns: Vec<(&str, i64)> = derived
            .entries
            .iter()
            .map(|e| (e.source_ref.as_str(), e.points))
            .collect();
        // 12.34 × 1.5 = 18.51 → 18, + 10 per order + 50 first-order bonus; 20.00 × 1.5 + 10.
        assert_eq!(earns, [("order:1", 78), ("order:2", 40)]);
        let b = &derived.balances[&CustomerId(1)];
        assert_eq!((b.lifetime_points, b.available_points), (118, 118));
        assert_eq!(b.expiring, None);
        assert_eq!(b.last_activity, Some(d("2024-01-20")));
    }

    #[test]
    fn each_rounding_mode_and_float_noise() {
        // 12.30 × 1.5 = 18.45.
        let inputs = one(vec![buy(1, "2024-01-10", 1230)]);
        for (rounding, expected) in [
            (Rounding::Down, 18),
            (Rounding::Nearest, 18),
            (Rounding::Up, 19),
        ] {
            let mut program = rate(1.5);
            program.earn.rounding = rounding;
            assert_eq!(
                balance(&program, &inputs, "2024-02-01").available_points,
                expected,
                "{rounding:?}"
            );
        }
        // 12.50 × 1 = 12.5: nearest goes away from zero.
        let mut program = rate(1.0);
        program.earn.rounding = Rounding::Nearest;
        assert_eq!(
            balance(
                &program,
                &one(vec![buy(1, "2024-01-10", 1250)]),
                "2024-02-01"
            )
            .available_points,
            13
        );
        // 1.1 × 10.00 is 11.000000000000002 in floating point: rounding up must still give 11.
        let mut program = rate(1.1);
        program.earn.rounding = Rounding::Up;
        assert_eq!(
            balance(
                &program,
                &one(vec![buy(1, "2024-01-10", 1000)]),
                "2024-02-01"
            )
            .available_points,
            11
        );
        // Currencies without minor units.
        let mut yen = one(vec![buy(1, "2024-01-10", 1500)]);
        yen.minor_per_major = 1;
        assert_eq!(
            balance(&rate(0.1), &yen, "2024-02-01").available_points,
            150
        );
    }

    #[test]
    fn the_tier_multiplier_applies_from_the_day_after_qualifying() {
        let mut program = rate(1.0);
        program.earn.points_per_order = 1;
        program.tiers = vec![tier(
            "Silver",
            5000,
            ThresholdKind::Spend,
            QualificationWindow::Lifetime,
            2.0,
        )];
        let inputs = one(vec![
            buy(1, "2024-03-01", 6000),
            buy(2, "2024-03-01", 1000),
            buy(3, "2024-03-02", 1000),
        ]);
        let earns = entries(&program, &inputs, "2024-12-31", EntryKind::Earn);
        let points: Vec<i64> = earns.iter().map(|e| e.1).collect();
        // The multiplier is on the spend part only; per-order points are not multiplied.
        assert_eq!(points, [61, 11, 21]);
        let changes = entries(&program, &inputs, "2024-12-31", EntryKind::TierChange);
        assert_eq!(
            changes,
            [(d("2024-03-02"), 0, "no tier → Silver".to_owned())]
        );
        assert_eq!(
            balance(&program, &inputs, "2024-12-31").tier.as_deref(),
            Some("Silver")
        );
    }

    #[test]
    fn a_full_refund_claws_back_everything_the_order_earned() {
        let mut program = rate(1.0);
        program.earn.points_per_order = 5;
        program.earn.first_order_bonus = 20;
        let inputs = one(vec![
            refunded(buy(1, "2024-01-10", 5000), "2024-02-03", 5000),
            buy(2, "2024-01-15", 1000),
        ]);
        let claws = entries(&program, &inputs, "2024-12-31", EntryKind::Clawback);
        assert_eq!(claws.len(), 1);
        assert_eq!((claws[0].0, claws[0].1), (d("2024-02-03"), -75));
        // Before the refund day the points are there.
        assert_eq!(
            balance(&program, &inputs, "2024-02-02").available_points,
            75 + 15
        );
        let after = balance(&program, &inputs, "2024-02-03");
        assert_eq!((after.available_points, after.lifetime_points), (15, 15));
    }

    #[test]
    fn a_partial_refund_keeps_what_the_net_would_have_earned_at_the_orders_multiplier() {
        let mut program = rate(1.0);
        program.earn.points_per_order = 5;
        program.earn.first_order_bonus = 20;
        program.tiers = vec![tier(
            "Silver",
            1,
            ThresholdKind::Spend,
            QualificationWindow::Lifetime,
            3.0,
        )];
        let inputs = one(vec![
            buy(1, "2024-01-10", 100),
            // Earned at Silver ×3: 50 × 3 + 5 = 155; 20.00 refunded later keeps 30 × 3 + 5 = 95.
            refunded(buy(2, "2024-01-20", 5000), "2024-06-01", 2000),
        ]);
        let earns = entries(&program, &inputs, "2024-12-31", EntryKind::Earn);
        assert_eq!(earns[1].1, 155);
        let claws = entries(&program, &inputs, "2024-12-31", EntryKind::Clawback);
        assert_eq!((claws[0].0, claws[0].1), (d("2024-06-01"), -60));
    }

    #[test]
    fn birthday_bonus_once_a_year_from_the_first_purchase_with_the_leap_day_rule() {
        let mut program = rate(0.0);
        program.earn.birthday_bonus = 100;
        let mut inputs = one(vec![buy(1, "2023-01-10", 1000)]);
        inputs.customers[0].birthday = Birthday::parse("--02-29");
        let days: Vec<NaiveDate> = entries(&program, &inputs, "2025-03-01", EntryKind::Birthday)
            .into_iter()
            .map(|e| e.0)
            .collect();
        assert_eq!(days, [d("2023-02-28"), d("2024-02-29"), d("2025-02-28")]);
        // A birthday before the first purchase in that year waits for the next year.
        inputs.customers[0].birthday = Birthday::parse("1990-01-05");
        let days: Vec<NaiveDate> = entries(&program, &inputs, "2025-01-04", EntryKind::Birthday)
            .into_iter()
            .map(|e| e.0)
            .collect();
        assert_eq!(days, [d("2024-01-05")]);
        assert_eq!(
            balance(&program, &inputs, "2025-01-05").available_points,
            200
        );
        assert_eq!(Birthday::parse("--13-01"), None);
        assert_eq!(Birthday::parse("--02-30"), None);
        assert_eq!(Birthday::parse("nonsense"), None);
    }

    #[test]
    fn points_expire_at_the_start_of_the_boundary_day() {
        let mut program = rate(1.0);
        program.expiry_months = Some(6);
        let inputs = one(vec![buy(1, "2024-01-31", 10000)]);
        // Boundary: 31 January + 6 months = 31 July. Available through 30 July.
        let before = balance(&program, &inputs, "2024-07-30");
        assert_eq!(before.available_points, 100);
        assert_eq!(
            before.expiring,
            Some(ExpiringPoints {
                points: 100,
                on: d("2024-07-31")
            })
        );
        let on = balance(&program, &inputs, "2024-07-31");
        assert_eq!(
            (on.available_points, on.lifetime_points, on.expiring),
            (0, 100, None)
        );
        let expired = entries(&program, &inputs, "2024-08-01", EntryKind::Expire);
        assert_eq!(expired.len(), 1);
        assert_eq!((expired[0].0, expired[0].1), (d("2024-07-31"), -100));
        // An order on the boundary day comes after the expiry; one the day before saves them.
        let on_day = one(vec![
            buy(1, "2024-01-31", 10000),
            buy(2, "2024-07-31", 1000),
        ]);
        assert_eq!(
            balance(&program, &on_day, "2024-08-01").available_points,
            10
        );
        let day_before = one(vec![
            buy(1, "2024-01-31", 10000),
            buy(2, "2024-07-30", 1000),
        ]);
        let saved = balance(&program, &day_before, "2024-08-01");
        assert_eq!(saved.available_points, 110);
        assert_eq!(saved.expiring.map(|e| e.on), Some(d("2025-01-30")));
        // A day missing in the target month becomes the month's last day.
        assert_eq!(boundary_day(d("2024-08-31"), 6), Some(d("2025-02-28")));
    }

    #[test]
    fn manual_entries_count_as_activity_and_redemptions_not_for_lifetime() {
        let mut program = rate(1.0);
        program.expiry_months = Some(1);
        let mut inputs = one(vec![buy(1, "2024-01-10", 10000)]);
        inputs.manual = vec![
            ManualEntry {
                customer: CustomerId(1),
                date: d("2024-02-05"),
                points: -30,
                kind: EntryKind::Redeem,
            },
            ManualEntry {
                customer: CustomerId(1),
                date: d("2024-02-06"),
                points: 5,
                kind: EntryKind::Adjust,
            },
        ];
        let b = balance(&program, &inputs, "2024-03-05");
        assert_eq!((b.available_points, b.lifetime_points), (75, 105));
        assert_eq!(
            b.expiring,
            Some(ExpiringPoints {
                points: 75,
                on: d("2024-03-06")
            })
        );
        assert_eq!(balance(&program, &inputs, "2024-03-06").available_points, 0);
    }

    #[test]
    fn rolling_twelve_month_tier_goes_up_and_down() {
        let mut program = rate(1.0);
        program.tiers = vec![tier(
            "Gold",
            10000,
            ThresholdKind::Spend,
            QualificationWindow::Rolling12Months,
            1.5,
        )];
        let inputs = one(vec![buy(1, "2023-03-10", 10000)]);
        assert_eq!(balance(&program, &inputs, "2023-03-10").tier, None);
        assert_eq!(
            balance(&program, &inputs, "2023-03-11").tier.as_deref(),
            Some("Gold")
        );
        assert_eq!(
            balance(&program, &inputs, "2024-03-10").tier.as_deref(),
            Some("Gold")
        );
        assert_eq!(balance(&program, &inputs, "2024-03-11").tier, None);
        let changes: Vec<NaiveDate> =
            entries(&program, &inputs, "2024-12-31", EntryKind::TierChange)
                .into_iter()
                .map(|e| e.0)
                .collect();
        assert_eq!(changes, [d("2023-03-11"), d("2024-03-11")]);
    }

    #[test]
    fn calendar_year_tier_is_kept_through_the_next_year() {
        let mut program = rate(1.0);
        program.tiers = vec![
            tier(
                "Silver",
                5000,
                ThresholdKind::Spend,
                QualificationWindow::CalendarYear,
                1.0,
            ),
            tier(
                "Gold",
                10000,
                ThresholdKind::Spend,
                QualificationWindow::CalendarYear,
                2.0,
            ),
        ];
        let inputs = one(vec![
            buy(1, "2023-06-01", 10000),
            buy(2, "2024-02-01", 6000),
        ]);
        assert_eq!(
            balance(&program, &inputs, "2023-06-02").tier.as_deref(),
            Some("Gold")
        );
        assert_eq!(
            balance(&program, &inputs, "2024-12-31").tier.as_deref(),
            Some("Gold")
        );
        // 2024 spend (60.00) only qualifies for Silver in 2025.
        assert_eq!(
            balance(&program, &inputs, "2025-01-01").tier.as_deref(),
            Some("Silver")
        );
        assert_eq!(balance(&program, &inputs, "2026-01-01").tier, None);
        let reasons: Vec<String> = entries(&program, &inputs, "2026-01-01", EntryKind::TierChange)
            .into_iter()
            .map(|e| format!("{} {}", e.0, e.2))
            .collect();
        assert_eq!(
            reasons,
            [
                "2023-06-02 no tier → Gold",
                "2025-01-01 Gold → Silver",
                "2026-01-01 Silver → no tier"
            ]
        );
    }

    #[test]
    fn lifetime_tier_goes_down_after_a_refund_and_points_tiers_count_points() {
        let mut program = rate(1.0);
        program.tiers = vec![tier(
            "Silver",
            10000,
            ThresholdKind::Spend,
            QualificationWindow::Lifetime,
            1.0,
        )];
        let inputs = one(vec![refunded(
            buy(1, "2024-01-01", 12000),
            "2024-01-10",
            5000,
        )]);
        assert_eq!(
            balance(&program, &inputs, "2024-01-10").tier.as_deref(),
            Some("Silver")
        );
        assert_eq!(balance(&program, &inputs, "2024-01-11").tier, None);

        let mut program = rate(2.0);
        program.tiers = vec![tier(
            "Fan",
            150,
            ThresholdKind::Points,
            QualificationWindow::Lifetime,
            1.0,
        )];
        let inputs = one(vec![buy(1, "2024-01-01", 7400), buy(2, "2024-01-05", 100)]);
        assert_eq!(balance(&program, &inputs, "2024-01-05").tier, None);
        assert_eq!(
            balance(&program, &inputs, "2024-01-06").tier.as_deref(),
            Some("Fan")
        );
    }

    #[test]
    fn deriving_is_deterministic_whatever_the_input_order() {
        let mut program = rate(1.0);
        program.expiry_months = Some(3);
        program.earn.birthday_bonus = 7;
        program.tiers = vec![tier(
            "Gold",
            5000,
            ThresholdKind::Spend,
            QualificationWindow::Rolling12Months,
            2.0,
        )];
        let customer = |id: i64, shift: u32| CustomerHistory {
            customer: CustomerId(id),
            birthday: Birthday::parse("--05-05"),
            purchases: vec![
                buy(10 * id as u32, "2023-01-10", 6000 + i64::from(shift)),
                refunded(
                    buy(10 * id as u32 + 1, "2023-02-10", 3000),
                    "2023-09-01",
                    1000,
                ),
                buy(10 * id as u32 + 2, "2024-01-10", 2000),
            ],
        };
        let a = LedgerInputs {
            customers: vec![customer(1, 0), customer(2, 5)],
            ..LedgerInputs::default()
        };
        let mut b = a.clone();
        b.customers.reverse();
        for c in &mut b.customers {
            c.purchases.reverse();
        }
        let first = derive_ledger(&program, &a, d("2025-01-01"));
        assert_eq!(first, derive_ledger(&program, &a, d("2025-01-01")));
        assert_eq!(first, derive_ledger(&program, &b, d("2025-01-01")));
        let mut keys: Vec<(EntryKind, &str)> = first
            .entries
            .iter()
            .map(|e| (e.kind, e.source_ref.as_str()))
            .collect();
        let count = keys.len();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), count, "every (kind, source_ref) is unique");
    }

    #[test]
    fn redemption_cannot_overdraw_and_respects_the_tier() {
        let mut program = rate(1.0);
        program.tiers = vec![
            tier(
                "Silver",
                100,
                ThresholdKind::Spend,
                QualificationWindow::Lifetime,
                1.0,
            ),
            tier(
                "Gold",
                200,
                ThresholdKind::Spend,
                QualificationWindow::Lifetime,
                1.0,
            ),
        ];
        let reward = Reward {
            id: Some(1),
            name: "Free coffee".into(),
            kind: RewardKind::FreeItem,
            points_cost: 100,
            value: 0.0,
            min_tier: Some("Silver".into()),
        };
        assert_eq!(
            check_redemption(&program, &reward, 100, Some("Silver")),
            Ok(())
        );
        assert_eq!(
            check_redemption(&program, &reward, 100, Some("Gold")),
            Ok(())
        );
        assert_eq!(
            check_redemption(&program, &reward, 99, Some("Gold")),
            Err(RedeemRefusal::NotEnoughPoints {
                available: 99,
                cost: 100
            })
        );
        assert!(matches!(
            check_redemption(&program, &reward, 500, None),
            Err(RedeemRefusal::TierTooLow { .. })
        ));
    }

    #[test]
    fn validation_names_each_field_in_plain_words() {
        assert_eq!(LoyaltyProgram::default().validate(), Ok(()));
        let mut program = rate(-1.0);
        program.earn.points_per_order = -2;
        program.expiry_months = Some(0);
        program.tiers = vec![
            tier(
                "Gold",
                500,
                ThresholdKind::Spend,
                QualificationWindow::Lifetime,
                1.0,
            ),
            tier(
                " gold ",
                500,
                ThresholdKind::Spend,
                QualificationWindow::Lifetime,
                -1.0,
            ),
            tier(
                "",
                700,
                ThresholdKind::Spend,
                QualificationWindow::Lifetime,
                1.0,
            ),
        ];
        program.rewards = vec![Reward {
            id: None,
            name: "Half off".into(),
            kind: RewardKind::PercentDiscount,
            points_cost: -5,
            value: 150.0,
            min_tier: Some("Platinum".into()),
        }];
        let problems = program.validate().unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "earn.points_per_currency_unit",
                "earn.points_per_order",
                "expiry_months",
                "tiers[1].name",
                "tiers[1].threshold",
                "tiers[1].earn_multiplier",
                "tiers[2].name",
                "rewards[0].points_cost",
                "rewards[0].value",
                "rewards[0].min_tier",
            ]
        );
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(text.contains(&"Points per order cannot be negative.".to_owned()));
        assert!(
            text.contains(
                &"Tier \"gold\": the entry threshold must be higher than the tier before it (500)."
                    .to_owned()
            )
        );
        assert!(text.contains(&"Tier 3 needs a name.".to_owned()));
        assert!(
            text.contains(&"Reward \"Half off\": there is no tier named \"Platinum\".".to_owned())
        );
    }

    #[test]
    fn replay_sums_up_points_liability_tiers_and_cost_shares() {
        let mut program = rate(1.0);
        program.point_value_cents = 2.0;
        program.expiry_months = Some(12);
        program.tiers = vec![tier(
            "Gold",
            10000,
            ThresholdKind::Spend,
            QualificationWindow::Lifetime,
            1.0,
        )];
        let inputs = LedgerInputs {
            customers: vec![
                CustomerHistory {
                    customer: CustomerId(1),
                    birthday: None,
                    purchases: vec![
                        buy(1, "2024-01-05", 15000),
                        refunded(buy(2, "2024-02-05", 5000), "2024-03-01", 5000),
                    ],
                },
                CustomerHistory {
                    customer: CustomerId(2),
                    birthday: None,
                    purchases: vec![buy(3, "2023-01-05", 4000)],
                },
            ],
            ..LedgerInputs::default()
        };
        let clv = BTreeMap::from([(CustomerId(1), 40000.0), (CustomerId(2), 10000.0)]);
        let summary = replay(&program, &inputs, &clv, d("2024-06-30"));
        let months: Vec<(String, i64)> = summary
            .points_issued_per_month
            .iter()
            .map(|m| (m.month.format("%Y-%m").to_string(), m.points))
            .collect();
        assert_eq!(
            months,
            [
                ("2023-01".into(), 40),
                ("2024-01".into(), 150),
                ("2024-02".into(), 50),
                ("2024-03".into(), -50)
            ]
        );
        assert_eq!((summary.points_issued, summary.points_expired), (190, 40));
        assert_eq!(
            (summary.outstanding_points, summary.liability_cents),
            (150, 300)
        );
        assert_eq!(summary.members, 2);
        assert_eq!(
            summary.members_per_tier,
            [
                TierMembers {
                    tier: None,
                    members: 1
                },
                TierMembers {
                    tier: Some("Gold".into()),
                    members: 1
                }
            ]
        );
        assert_eq!(summary.members_revenue_cents, 19000);
        assert_eq!(summary.reward_cost_cents, 300);
        assert_eq!(summary.cost_share_of_revenue, Some(300.0 / 19000.0));
        assert_eq!(summary.cost_share_of_clv, Some(300.0 / 50000.0));
        let comparison =
            compare_programs(Some(&rate(2.0)), &program, &inputs, &clv, d("2024-06-30"));
        assert_eq!(comparison.draft, summary);
        assert_eq!(comparison.current.map(|c| c.points_issued), Some(380));
    }
}
