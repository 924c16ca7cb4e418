//! The loyalty program between the views and the store: the commands the loyalty view
//! emits, the background jobs that run them on the writer thread, and the data the view
//! draws (program, members, a page of the ledger, the what-if replay), read in a job into
//! a slot and cached, never per frame.
//!
//! The ledger is brought up to date (`Store::recompute_loyalty_ledger`) after every write
//! that can change it: imports, undos, the demo, business settings, program changes,
//! adjustments. [`recompute_ledger`] is the one call those jobs make.

use super::dialogs::DialogPurpose;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{Local, NaiveDate};

use super::AppState;
use super::view_data::{self, Slot};
use crate::domain::{Currency, CustomerId};
use crate::programs::loyalty::{
    Balance, EarnRules, LoyaltyProgram, QualificationWindow, ReplayComparison, Reward, RewardKind,
    Rounding, ThresholdKind, Tier,
};
use crate::store::loyalty::{
    LedgerFilter, LedgerRow, LoyaltyError, RecomputeOutcome, StoredProgram, Voucher,
};
use crate::store::{Store, StoreError};

/// The label of the job that reads the loyalty view's data.
pub const READING_LOYALTY_LABEL: &str = "Reading the loyalty program";

/// The label of the what-if replay job.
pub const REPLAY_LABEL: &str = "Trying the program on past orders";

/// At most this many ledger rows are read for the audit table (the CSV has them all).
pub const LEDGER_ROWS_SHOWN: u32 = 50_000;

/// Days ahead the members summary counts expiring points for.
pub const EXPIRING_SOON_DAYS: i64 = 30;

/// An action of the loyalty view; applied after the frame.
#[derive(Clone, Debug, PartialEq)]
pub enum LoyaltyCommand {
    /// Read the program, members and ledger page again.
    Refresh,
    /// Save the program (validated first) with whether it is active, then bring the ledger
    /// up to date.
    SaveProgram(LoyaltyProgram, bool),
    /// Switch the saved program on or off, then bring the ledger up to date.
    SetActive(bool),
    /// Replay this draft and the active program on the past orders, side by side.
    Replay(LoyaltyProgram),
    /// Show the ledger rows this filter selects (its limit is set here).
    FilterLedger(LedgerFilter),
    /// Ask where to save the ledger rows the filter selects as CSV (file dialog).
    ChooseLedgerCsv,
    /// Save the ledger rows the current filter selects as CSV at this path.
    ExportLedger(PathBuf),
    /// Redeem a reward for a customer today.
    Redeem {
        /// The customer.
        customer: CustomerId,
        /// The reward's row id.
        reward_id: i64,
    },
    /// Add or take away points for a customer today, with the reason.
    Adjust {
        /// The customer.
        customer: CustomerId,
        /// Signed points.
        points: i64,
        /// Why, in the owner's words (required).
        reason: String,
    },
    /// Forget the last voucher and message shown.
    DismissNotice,
}

/// One member in the members list.
#[derive(Clone, Debug, PartialEq)]
pub struct MemberRow {
    /// The customer's display name.
    pub name: String,
    /// Their points, tier, expiry and next tier.
    pub balance: Balance,
}

/// The members' totals above the list.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MembersSummary {
    /// Customers with points or purchases.
    pub members: usize,
    /// Points that can be spent now, over members with a positive balance.
    pub outstanding_points: i64,
    /// What those points are worth to the customers, in cents.
    pub liability_cents: i64,
    /// Points that expire within [`EXPIRING_SOON_DAYS`] unless there is activity first.
    pub expiring_soon_points: i64,
    /// Members whose points expire within [`EXPIRING_SOON_DAYS`].
    pub expiring_soon_members: usize,
    /// Members per tier: no tier first, then each tier in rank order.
    pub per_tier: Vec<(Option<String>, usize)>,
}

/// Everything the loyalty view draws except the ledger page and the replay.
#[derive(Clone, Debug, PartialEq)]
pub struct LoyaltyData {
    /// What the data was read for (see [`AppState::loyalty_key`]).
    pub key: String,
    /// The database it was read from.
    pub db_path: PathBuf,
    /// The day balances are as of.
    pub today: NaiveDate,
    /// The shop's currency.
    pub currency: Currency,
    /// The saved program and whether it is active.
    pub stored: StoredProgram,
    /// Members, most points first.
    pub members: Vec<MemberRow>,
    /// Their totals.
    pub summary: MembersSummary,
}

impl LoyaltyData {
    /// The member with this customer id.
    pub fn member(&self, customer: CustomerId) -> Option<&MemberRow> {
        self.members.iter().find(|m| m.balance.customer == customer)
    }
}

/// The ledger rows one filter selects.
#[derive(Clone, Debug, PartialEq)]
pub struct LedgerPage {
    /// The filter (with its limit).
    pub filter: LedgerFilter,
    /// The rows, earliest first.
    pub rows: Vec<LedgerRow>,
    /// Whether there are more rows than were read.
    pub truncated: bool,
}

/// A finished what-if replay.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplayResult {
    /// The draft it replayed.
    pub draft: LoyaltyProgram,
    /// The draft and the active program side by side.
    pub comparison: ReplayComparison,
    /// The last day replayed.
    pub today: NaiveDate,
}

/// The outcome of a redemption or adjustment, shown in the view until dismissed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// What happened, in words.
    pub text: String,
    /// Whether it was refused or failed.
    pub is_error: bool,
}

/// What a loyalty job leaves for the UI thread; each part replaces the one shown.
#[derive(Debug, Default)]
struct LoyaltyUpdate {
    data: Option<LoyaltyData>,
    ledger: Option<LedgerPage>,
    replay: Option<ReplayResult>,
    voucher: Option<Voucher>,
    notice: Option<Notice>,
}

/// Where loyalty jobs leave their results.
type LoyaltySlot = Slot<LoyaltyUpdate>;

/// The loyalty side of [`AppState`].
#[derive(Debug, Default)]
pub struct LoyaltyState {
    /// Program, members and totals, once read.
    pub data: Option<Arc<LoyaltyData>>,
    /// The ledger rows shown in the audit table.
    pub ledger: Option<Arc<LedgerPage>>,
    /// The filter the next reads of the ledger use.
    pub ledger_filter: LedgerFilter,
    /// The last what-if replay.
    pub replay: Option<Arc<ReplayResult>>,
    /// The last voucher issued.
    pub voucher: Option<Voucher>,
    /// The last redemption's or adjustment's outcome.
    pub notice: Option<Notice>,
    /// The key of the last read started, so a failing read is not restarted every frame.
    read_started_for: Option<String>,
    slot: LoyaltySlot,
}

impl LoyaltyState {
    /// Takes what a finished job left in the slot.
    fn take_update(&mut self) {
        let Some(update) = self.slot.take() else {
            return;
        };
        if let Some(data) = update.data {
            let other_file = self
                .data
                .as_ref()
                .is_some_and(|old| old.db_path != data.db_path);
            if other_file {
                self.replay = None;
                self.voucher = None;
                self.notice = None;
                self.ledger_filter = LedgerFilter::default();
            }
            self.data = Some(Arc::new(data));
        }
        if let Some(ledger) = update.ledger {
            self.ledger = Some(Arc::new(ledger));
        }
        if let Some(replay) = update.replay {
            self.replay = Some(Arc::new(replay));
        }
        if update.voucher.is_some() || update.notice.is_some() {
            self.voucher = update.voucher;
            self.notice = update.notice;
        }
    }
}

impl LoyaltyState {
    /// Marks the data on screen as read before a change made elsewhere (referral rewards
    /// written to the ledger), so the loyalty view reads it again; it stays on screen,
    /// marked as being brought up to date, until then.
    pub(super) fn mark_stale(&mut self) {
        self.read_started_for = None;
        if let Some(data) = &mut self.data {
            Arc::make_mut(data).key.clear();
        }
    }
}

/// Today on this computer's calendar: the day every recompute, balance and redemption is
/// as of.
pub fn today() -> NaiveDate {
    Local::now().date_naive()
}

/// Brings the points ledger up to date with the data as it is now (nothing happens while
/// the program is inactive). Called by every job that changes orders or settings.
pub fn recompute_ledger(store: &mut Store) -> Result<RecomputeOutcome, StoreError> {
    store.recompute_loyalty_ledger(today())
}

/// The sample program of the demo shop, in `currency`: a point per currency unit, a
/// 50-point welcome, a birthday bonus, Bronze/Silver/Gold by spend over the last 12 months,
/// three rewards, points valid 12 months, a point worth 5 hundredths of a unit.
pub fn demo_program(currency: Currency) -> LoyaltyProgram {
    let unit = currency.minor_per_major();
    let tier = |name: &str, units: i64, multiplier: f64, benefits: &str| Tier {
        id: None,
        name: name.to_owned(),
        threshold: units * unit,
        threshold_kind: ThresholdKind::Spend,
        window: QualificationWindow::Rolling12Months,
        earn_multiplier: multiplier,
        benefits: benefits.to_owned(),
    };
    let reward = |name: &str, kind: RewardKind, cost: i64, value: f64, min: Option<&str>| Reward {
        id: None,
        name: name.to_owned(),
        kind,
        points_cost: cost,
        value,
        min_tier: min.map(str::to_owned),
    };
    LoyaltyProgram {
        earn: EarnRules {
            points_per_currency_unit: 1.0,
            points_per_order: 0,
            first_order_bonus: 50,
            birthday_bonus: 25,
            rounding: Rounding::Down,
        },
        tiers: vec![
            tier("Bronze", 0, 1.0, "Points on every purchase"),
            tier("Silver", 150, 1.25, "A quarter more points per purchase"),
            tier(
                "Gold",
                400,
                1.5,
                "Half as many points again; first taste of new beans",
            ),
        ],
        rewards: vec![
            reward("Free drink", RewardKind::FreeItem, 80, 0.0, None),
            reward(
                "5 off your order",
                RewardKind::FixedDiscount,
                100,
                (5 * unit) as f64,
                None,
            ),
            reward(
                "15% off beans",
                RewardKind::PercentDiscount,
                250,
                15.0,
                Some("Silver"),
            ),
        ],
        expiry_months: Some(12),
        point_value_cents: 0.05 * unit as f64,
    }
}

/// Sets up and activates [`demo_program`] when no program was saved yet, then brings the
/// ledger up to date. Part of loading the demo shop.
pub fn set_up_demo_program(store: &mut Store) -> anyhow::Result<RecomputeOutcome> {
    let stored = store.loyalty_program()?;
    if !stored.active && stored.program == LoyaltyProgram::default() {
        let currency = store.business_settings()?.currency;
        store.save_loyalty_program(&demo_program(currency), true)?;
    }
    Ok(recompute_ledger(store)?)
}

/// Reads the program, every member's balance and the totals as of `today`.
fn read_data(store: &Store, key: String, today: NaiveDate) -> Result<LoyaltyData, StoreError> {
    let stored = store.loyalty_program()?;
    let currency = store.business_settings()?.currency;
    let mut names = store.loyalty_member_names()?;
    let mut members: Vec<MemberRow> = store
        .loyalty_balances(today)?
        .into_iter()
        .map(|balance| MemberRow {
            name: names.remove(&balance.customer).unwrap_or_default(),
            balance,
        })
        .collect();
    members.sort_by(|a, b| {
        b.balance
            .available_points
            .cmp(&a.balance.available_points)
            .then_with(|| a.name.cmp(&b.name))
    });
    let summary = summarise_members(&stored.program, &members, today);
    Ok(LoyaltyData {
        key,
        db_path: store.path().to_path_buf(),
        today,
        currency,
        stored,
        members,
        summary,
    })
}

/// The members' totals (see [`MembersSummary`]).
pub fn summarise_members(
    program: &LoyaltyProgram,
    members: &[MemberRow],
    today: NaiveDate,
) -> MembersSummary {
    let soon = today + chrono::Duration::days(EXPIRING_SOON_DAYS);
    let outstanding: i64 = members
        .iter()
        .map(|m| m.balance.available_points.max(0))
        .sum();
    let mut per_tier: Vec<(Option<String>, usize)> = std::iter::once(None)
        .chain(program.tiers.iter().map(|t| Some(t.name.clone())))
        .map(|t| (t, 0))
        .collect();
    let mut summary = MembersSummary {
        members: members.len(),
        outstanding_points: outstanding,
        liability_cents: (outstanding as f64 * program.point_value_cents).round() as i64,
        ..MembersSummary::default()
    };
    for member in members {
        let rank = member
            .balance
            .tier
            .as_deref()
            .and_then(|t| program.tier_rank(t))
            .map_or(0, |r| r + 1);
        if let Some((_, count)) = per_tier.get_mut(rank) {
            *count += 1;
        }
        if let Some(expiring) = member.balance.expiring.filter(|e| e.on <= soon) {
            summary.expiring_soon_points += expiring.points;
            summary.expiring_soon_members += 1;
        }
    }
    summary.per_tier = per_tier;
    summary
}

/// Reads the ledger rows `filter` selects, at most [`LEDGER_ROWS_SHOWN`].
fn read_ledger(store: &Store, filter: &LedgerFilter) -> Result<LedgerPage, StoreError> {
    let mut filter = filter.clone();
    filter.limit = Some(LEDGER_ROWS_SHOWN + 1);
    let mut rows = store.ledger_entries(&filter)?;
    let truncated = rows.len() > LEDGER_ROWS_SHOWN as usize;
    rows.truncate(LEDGER_ROWS_SHOWN as usize);
    filter.limit = Some(LEDGER_ROWS_SHOWN);
    Ok(LedgerPage {
        filter,
        rows,
        truncated,
    })
}

/// Data and ledger page, as one update.
fn read_all(
    store: &Store,
    key: String,
    filter: &LedgerFilter,
) -> Result<LoyaltyUpdate, StoreError> {
    let today = today();
    Ok(LoyaltyUpdate {
        data: Some(read_data(store, key, today)?),
        ledger: Some(read_ledger(store, filter)?),
        ..LoyaltyUpdate::default()
    })
}

/// "12 entries added to the ledger." or nothing new.
fn recompute_words(outcome: RecomputeOutcome) -> String {
    match (outcome.active, outcome.appended) {
        (false, _) => "The program is off; the ledger is unchanged.".to_owned(),
        (true, 0) => "The ledger was already up to date.".to_owned(),
        (true, 1) => "1 entry added to the ledger.".to_owned(),
        (true, n) => format!(
            "{} entries added to the ledger.",
            crate::domain::group_thousands(n as u64)
        ),
    }
}

impl AppState {
    /// What the loyalty data must have been read from to be current: the data and
    /// settings, the file, and the day.
    pub fn loyalty_key(&self) -> Option<String> {
        self.program_data_key("")
    }

    /// Whether the loyalty data on screen was read from the data as it is now.
    pub fn loyalty_is_current(&self) -> bool {
        let data_key = self.loyalty.data.as_ref().map(|d| d.key.as_str());
        view_data::is_current(data_key, self.loyalty_key().as_deref())
    }

    /// Whether the loyalty view should ask for a read: its data is missing or stale,
    /// nothing runs, and no read was started for the data as it is now.
    pub fn loyalty_needs_read(&self) -> bool {
        self.program_needs_read(
            self.loyalty_is_current(),
            self.loyalty_key(),
            self.loyalty.read_started_for.as_ref(),
        )
    }

    /// Collects what a finished loyalty job left (called when any job finishes).
    pub(super) fn take_loyalty_update(&mut self) {
        self.loyalty.take_update();
    }

    /// Applies one loyalty command.
    pub(super) fn apply_loyalty(&mut self, command: LoyaltyCommand) {
        match command {
            LoyaltyCommand::Refresh => self.start_loyalty_read(),
            LoyaltyCommand::SaveProgram(program, active) => {
                self.start_save_program(program, active)
            }
            LoyaltyCommand::SetActive(active) => self.start_set_active(active),
            LoyaltyCommand::Replay(draft) => self.start_replay(draft),
            LoyaltyCommand::FilterLedger(filter) => self.start_ledger_read(filter),
            LoyaltyCommand::ChooseLedgerCsv => self.dialogs.save_csv(
                DialogPurpose::LedgerCsv,
                "Export the points ledger",
                "points-ledger.csv",
            ),
            LoyaltyCommand::ExportLedger(path) => self.start_ledger_export(path),
            LoyaltyCommand::Redeem {
                customer,
                reward_id,
            } => self.start_redeem(customer, reward_id),
            LoyaltyCommand::Adjust {
                customer,
                points,
                reason,
            } => self.start_adjust(customer, points, reason),
            LoyaltyCommand::DismissNotice => {
                self.loyalty.voucher = None;
                self.loyalty.notice = None;
            }
        }
    }

    fn start_loyalty_read(&mut self) {
        let Some(key) = self.loyalty_key() else {
            return;
        };
        self.loyalty.read_started_for = Some(key.clone());
        let slot = self.loyalty.slot.clone();
        let filter = self.loyalty.ledger_filter.clone();
        self.start_job(
            READING_LOYALTY_LABEL,
            Box::new(move |store, progress| {
                progress.set(0.2, "Reading points and tiers…");
                let update = read_all(store, key, &filter)?;
                let members = update.data.as_ref().map_or(0, |d| d.members.len());
                slot.put(update);
                Ok(format!(
                    "Loyalty: {} members read.",
                    crate::domain::group_thousands(members as u64)
                ))
            }),
        );
    }

    /// A write job that ends by reading the data again; `write` says what it did.
    fn start_loyalty_write(
        &mut self,
        label: &str,
        write: impl FnOnce(&mut Store) -> Result<(String, LoyaltyUpdate), LoyaltyError> + Send + 'static,
    ) {
        let Some(key) = self.loyalty_key() else {
            return;
        };
        let slot = self.loyalty.slot.clone();
        let filter = self.loyalty.ledger_filter.clone();
        self.start_job(
            label,
            Box::new(move |store, progress| {
                progress.set(0.1, "Writing…");
                let written = write(store);
                let (words, mut update, failed) = match written {
                    Ok((words, update)) => (words, update, false),
                    Err(e) => {
                        let words = e.to_string();
                        let update = LoyaltyUpdate {
                            notice: Some(Notice {
                                text: capitalised(&words),
                                is_error: true,
                            }),
                            ..LoyaltyUpdate::default()
                        };
                        (words, update, true)
                    }
                };
                progress.set(0.6, "Reading points and tiers…");
                let fresh = read_all(store, key, &filter)?;
                update.data = fresh.data;
                update.ledger = fresh.ledger;
                slot.put(update);
                if failed {
                    Err(anyhow::anyhow!(words))
                } else {
                    Ok(words)
                }
            }),
        );
    }

    fn start_save_program(&mut self, program: LoyaltyProgram, active: bool) {
        if let Err(problems) = program.validate() {
            self.error_dialog = Some(
                problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n"),
            );
            return;
        }
        self.start_loyalty_write("Saving the loyalty program", move |store| {
            store.save_loyalty_program(&program, active)?;
            let outcome = recompute_ledger(store)?;
            Ok((
                format!("Loyalty program saved. {}", recompute_words(outcome)),
                LoyaltyUpdate::default(),
            ))
        });
    }

    fn start_set_active(&mut self, active: bool) {
        let label = if active {
            "Activating the loyalty program"
        } else {
            "Deactivating the loyalty program"
        };
        self.start_loyalty_write(label, move |store| {
            let stored = store.loyalty_program()?;
            store.save_loyalty_program(&stored.program, active)?;
            let outcome = recompute_ledger(store)?;
            let words = if active {
                format!("Loyalty program active. {}", recompute_words(outcome))
            } else {
                "Loyalty program off: no new points; balances stay as they are.".to_owned()
            };
            Ok((words, LoyaltyUpdate::default()))
        });
    }

    fn start_redeem(&mut self, customer: CustomerId, reward_id: i64) {
        self.start_loyalty_write("Redeeming a reward", move |store| {
            let voucher = store.redeem_reward(customer, reward_id, today())?;
            let words = format!(
                "Voucher {} for “{}”: {} points spent.",
                voucher.code,
                voucher.reward_name,
                crate::domain::group_thousands(voucher.points.unsigned_abs())
            );
            let update = LoyaltyUpdate {
                voucher: Some(voucher),
                notice: Some(Notice {
                    text: words.clone(),
                    is_error: false,
                }),
                ..LoyaltyUpdate::default()
            };
            Ok((words, update))
        });
    }

    fn start_adjust(&mut self, customer: CustomerId, points: i64, reason: String) {
        self.start_loyalty_write("Adjusting points", move |store| {
            store.adjust_points(customer, points, &reason, today())?;
            recompute_ledger(store)?;
            let words = format!(
                "{} {} points ({}).",
                if points > 0 { "Added" } else { "Took away" },
                crate::domain::group_thousands(points.unsigned_abs()),
                reason.trim()
            );
            let update = LoyaltyUpdate {
                notice: Some(Notice {
                    text: words.clone(),
                    is_error: false,
                }),
                ..LoyaltyUpdate::default()
            };
            Ok((words, update))
        });
    }

    fn start_replay(&mut self, draft: LoyaltyProgram) {
        if let Err(problems) = draft.validate() {
            self.error_dialog = Some(
                problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n"),
            );
            return;
        }
        let slot = self.loyalty.slot.clone();
        self.start_job(
            REPLAY_LABEL,
            Box::new(move |store, progress| {
                progress.set(0.1, "Replaying every order under both programs…");
                let today = today();
                let comparison = store.replay_loyalty(&draft, today)?;
                let words = format!(
                    "Replayed: the draft would have issued {} points.",
                    crate::domain::group_thousands(comparison.draft.points_issued.max(0) as u64)
                );
                slot.put(LoyaltyUpdate {
                    replay: Some(ReplayResult {
                        draft,
                        comparison,
                        today,
                    }),
                    ..LoyaltyUpdate::default()
                });
                Ok(words)
            }),
        );
    }

    fn start_ledger_read(&mut self, filter: LedgerFilter) {
        self.loyalty.ledger_filter = filter.clone();
        let slot = self.loyalty.slot.clone();
        self.start_job(
            "Reading the points ledger",
            Box::new(move |store, _| {
                let page = read_ledger(store, &filter)?;
                let words = format!(
                    "{}{} ledger entries match.",
                    if page.truncated { "More than " } else { "" },
                    crate::domain::group_thousands(page.rows.len() as u64)
                );
                slot.put(LoyaltyUpdate {
                    ledger: Some(page),
                    ..LoyaltyUpdate::default()
                });
                Ok(words)
            }),
        );
    }

    fn start_ledger_export(&mut self, path: PathBuf) {
        let mut filter = self.loyalty.ledger_filter.clone();
        filter.limit = None;
        self.start_job(
            "Exporting the points ledger",
            Box::new(move |store, _| {
                let file = std::fs::File::create(&path)
                    .map_err(|e| anyhow::anyhow!("could not create {}: {e}", path.display()))?;
                let mut out = std::io::BufWriter::new(file);
                let rows = store.write_ledger_csv(&filter, &mut out)?;
                std::io::Write::flush(&mut out)
                    .map_err(|e| anyhow::anyhow!("could not write {}: {e}", path.display()))?;
                Ok(format!(
                    "Exported {} ledger entries to {}",
                    crate::domain::group_thousands(rows as u64),
                    path.display()
                ))
            }),
        );
    }
}

/// The first letter in upper case (store errors start in lower case).
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_program_is_valid_in_any_currency() {
        for code in ["USD", "EUR", "JPY"] {
            let currency = Currency::parse(code).unwrap_or(Currency::USD);
            assert_eq!(demo_program(currency).validate(), Ok(()), "{code}");
        }
    }

    #[test]
    fn capitalising_keeps_the_rest() {
        assert_eq!(capitalised("cannot redeem: x"), "Cannot redeem: x");
        assert_eq!(capitalised(""), "");
    }
}
