//! The referral program between the views and the store: the commands the referrals view
//! emits, the background jobs that run them on the writer thread, and the data the view
//! draws (rules, report, every referral), read in a job into a slot and cached, never per
//! frame.
//!
//! Referrals are matched from coupon codes and evaluated (`Store::match_coupon_referrals`,
//! `Store::evaluate_referrals`) after every import and undo: [`refresh_referrals`] is the
//! one call those jobs make, before the loyalty ledger is brought up to date.

use super::dialogs::DialogPurpose;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::NaiveDate;

use super::AppState;
use super::loyalty::{Notice, today};
use super::view_data::{self, Slot};
use crate::domain::{Currency, CustomerId, group_thousands};
use crate::programs::loyalty::Reward;
use crate::programs::referral::{ReferralReport, ReferralRules, ReferralStatus};
use crate::store::referrals::{EvaluationOutcome, ReferralRow};
use crate::store::{Store, StoreError};

/// The label of the job that reads the referrals view's data.
pub const READING_REFERRALS_LABEL: &str = "Reading the referrals";

/// An action of the referrals view; applied after the frame.
#[derive(Clone, Debug, PartialEq)]
pub enum ReferralCommand {
    /// Read the rules, report and referrals again.
    Refresh,
    /// Record by hand that `referrer` referred `friend` on `date`, then evaluate.
    Record {
        /// Who referred, as typed: a customer number or an e-mail address.
        referrer: String,
        /// The friend, as typed: a customer number or an e-mail address.
        friend: String,
        /// The day of the referral.
        date: NaiveDate,
    },
    /// Approve the referral with this id (it waits for review).
    Approve(i64),
    /// Reject the referral with this id, with the owner's reason.
    Reject {
        /// The referral's id.
        id: i64,
        /// Why (required).
        reason: String,
    },
    /// Save the rules (validated first), then evaluate every referral again.
    SaveRules(ReferralRules),
    /// Give every customer a referral code.
    CreateCodes,
    /// Ask where to save the referral codes as CSV (file dialog).
    ChooseCodesCsv,
    /// Ask where to save the referrals as CSV (file dialog).
    ChooseReferralsCsv,
    /// Ask where to save the printable list of codes (file dialog).
    ChoosePrintCodes,
    /// Save the printable list of every code (A4 PDF) at this path.
    PrintCodes(PathBuf),
    /// Save every referral code as CSV at this path.
    ExportCodes(PathBuf),
    /// Save every referral as CSV at this path.
    ExportReferrals(PathBuf),
    /// Forget the last message shown.
    DismissNotice,
}

/// Everything the referrals view draws.
#[derive(Clone, Debug, PartialEq)]
pub struct ReferralData {
    /// What the data was read for (see [`AppState::referrals_key`]).
    pub key: String,
    /// The database it was read from.
    pub db_path: PathBuf,
    /// The day the referrals were evaluated as of.
    pub today: NaiveDate,
    /// The shop's currency.
    pub currency: Currency,
    /// The saved rules.
    pub rules: ReferralRules,
    /// The figures.
    pub report: ReferralReport,
    /// Every referral, newest first.
    pub referrals: Vec<ReferralRow>,
    /// Customers with a referral code.
    pub codes: usize,
    /// The loyalty catalogue's active rewards, which the rules can give as vouchers.
    pub catalogue: Vec<Reward>,
    /// Whether the loyalty program is switched on.
    pub loyalty_active: bool,
}

impl ReferralData {
    /// The referrals waiting for the owner's review.
    pub fn in_review(&self) -> impl Iterator<Item = &ReferralRow> {
        self.referrals
            .iter()
            .filter(|r| r.status == ReferralStatus::Review)
    }
}

/// A customer as typed in the "Record a referral" form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CustomerRef {
    /// A customer number.
    Number(i64),
    /// An e-mail address (compared without regard to case).
    Email(String),
}

/// Reads what was typed for a customer: a number (`42` or `#42`) or an e-mail address.
pub fn parse_customer_ref(text: &str) -> Result<CustomerRef, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("Type a customer number or an e-mail address.".to_owned());
    }
    if let Ok(number) = text.trim_start_matches('#').parse::<i64>() {
        return Ok(CustomerRef::Number(number));
    }
    if text.contains('@') && !text.contains(char::is_whitespace) {
        return Ok(CustomerRef::Email(text.to_lowercase()));
    }
    Err(format!(
        "“{text}” is neither a customer number (like 42) nor an e-mail address."
    ))
}

/// The customer `text` names, or why there is none.
fn resolve_customer(store: &Store, text: &str) -> Result<CustomerId, String> {
    match parse_customer_ref(text)? {
        CustomerRef::Number(n) => Ok(CustomerId(n)),
        CustomerRef::Email(email) => store
            .customer_values()
            .map_err(|e| e.to_string())?
            .into_iter()
            .find(|row| {
                row.email
                    .as_deref()
                    .is_some_and(|e| e.trim().to_lowercase() == email)
            })
            .map(|row| CustomerId(row.id))
            .ok_or_else(|| format!("No customer has the e-mail address {email}.")),
    }
}

/// What a referral job leaves for the UI thread; each part replaces the one shown.
#[derive(Debug, Default)]
struct ReferralUpdate {
    data: Option<ReferralData>,
    notice: Option<Notice>,
    /// A write ran: statuses and the loyalty ledger may have changed.
    wrote: bool,
}

/// Where referral jobs leave their results.
type ReferralSlot = Slot<ReferralUpdate>;

/// Which export a save dialog was opened for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CsvExport {
    /// The referral codes.
    Codes,
    /// The referrals.
    Referrals,
}

/// The referrals side of [`AppState`].
#[derive(Debug, Default)]
pub struct ReferralsState {
    /// Rules, report and referrals, once read.
    pub data: Option<Arc<ReferralData>>,
    /// The last write's outcome.
    pub notice: Option<Notice>,
    /// The key of the last read started, so a failing read is not restarted every frame.
    read_started_for: Option<String>,
    slot: ReferralSlot,
}

impl ReferralsState {
    /// Takes what a finished job left in the slot; whether it came from a write.
    fn take_update(&mut self) -> bool {
        let Some(update) = self.slot.take() else {
            return false;
        };
        if let Some(data) = update.data {
            let other_file = self
                .data
                .as_ref()
                .is_some_and(|old| old.db_path != data.db_path);
            if other_file {
                self.notice = None;
            }
            self.data = Some(Arc::new(data));
        }
        if update.notice.is_some() {
            self.notice = update.notice;
        }
        update.wrote
    }
}

/// Records the referrals coupon codes show and evaluates every referral as of today.
/// Called by every job that changes orders (imports, undos) or the rules, before the
/// loyalty ledger is brought up to date.
pub fn refresh_referrals(store: &mut Store) -> Result<EvaluationOutcome, StoreError> {
    store.match_coupon_referrals()?;
    store.evaluate_referrals(today())
}

/// What saving the rules changed, in words: "Referral rules saved. 12 referrals judged
/// again: 3 changed status, 2 rewarded now."
pub fn rules_saved_words(outcome: &EvaluationOutcome) -> String {
    let mut words = format!(
        "Referral rules saved. {} referrals judged again: {} changed",
        group_thousands(outcome.evaluated as u64),
        group_thousands(outcome.changed as u64)
    );
    if outcome.rewarded_now > 0 {
        words.push_str(&format!(
            ", {} rewarded now",
            group_thousands(outcome.rewarded_now as u64)
        ));
    }
    if outcome.reversed_now > 0 {
        words.push_str(&format!(
            ", {} rewards taken back",
            group_thousands(outcome.reversed_now as u64)
        ));
    }
    words.push('.');
    words
}

/// Reads the rules, report and referrals.
fn read_data(store: &Store, key: String) -> Result<ReferralData, StoreError> {
    let loyalty = store.loyalty_program()?;
    Ok(ReferralData {
        catalogue: loyalty.program.rewards,
        loyalty_active: loyalty.active,
        key,
        db_path: store.path().to_path_buf(),
        today: today(),
        currency: store.business_settings()?.currency,
        rules: store.referral_rules()?,
        report: store.referral_report()?,
        referrals: store.referrals()?,
        codes: store.referral_codes()?.len(),
    })
}

/// The first letter in upper case (store errors start in lower case).
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// The status in words.
pub fn status_label(status: ReferralStatus) -> &'static str {
    match status {
        ReferralStatus::Pending => "Waiting",
        ReferralStatus::Review => "Needs your review",
        ReferralStatus::Qualified => "Qualified",
        ReferralStatus::Rewarded => "Rewarded",
        ReferralStatus::Rejected => "Rejected",
    }
}

impl AppState {
    /// What the referral data must have been read from to be current: the data and
    /// settings, the valuation, the file, and the day.
    pub fn referrals_key(&self) -> Option<String> {
        self.program_data_key(&format!(
            "; run {:?}",
            self.snapshot()?.valuation.as_ref().map(|v| v.run_id)
        ))
    }

    /// Whether the referral data on screen was read from the data as it is now.
    pub fn referrals_is_current(&self) -> bool {
        let data_key = self.referrals.data.as_ref().map(|d| d.key.as_str());
        view_data::is_current(data_key, self.referrals_key().as_deref())
    }

    /// Whether the referrals view should ask for a read: its data is missing or stale,
    /// nothing runs, and no read was started for the data as it is now.
    pub fn referrals_need_read(&self) -> bool {
        self.program_needs_read(
            self.referrals_is_current(),
            self.referrals_key(),
            self.referrals.read_started_for.as_ref(),
        )
    }

    /// Collects what a finished referral job left (called when any job finishes). After a
    /// write the loyalty view reads the ledger again: referral rewards live in it.
    pub(super) fn take_referrals_update(&mut self) {
        if self.referrals.take_update() {
            self.loyalty.mark_stale();
        }
    }

    /// Applies one referral command.
    pub(super) fn apply_referrals(&mut self, command: ReferralCommand) {
        match command {
            ReferralCommand::Refresh => self.start_referrals_read(),
            ReferralCommand::Record {
                referrer,
                friend,
                date,
            } => self.start_record(referrer, friend, date),
            ReferralCommand::Approve(id) => self.start_approve(id),
            ReferralCommand::Reject { id, reason } => self.start_reject(id, reason),
            ReferralCommand::SaveRules(rules) => self.start_save_referral_rules(rules),
            ReferralCommand::CreateCodes => self.start_create_codes(),
            ReferralCommand::ChooseCodesCsv => self.dialogs.save_csv(
                DialogPurpose::ReferralCodesCsv,
                "Export the referral codes",
                "referral-codes.csv",
            ),
            ReferralCommand::ChooseReferralsCsv => self.dialogs.save_csv(
                DialogPurpose::ReferralsCsv,
                "Export the referrals",
                "referrals.csv",
            ),
            ReferralCommand::ChoosePrintCodes => self.dialogs.save_pdf(
                DialogPurpose::ReferralCodesPdf,
                "Print the referral codes",
                "referral-codes.pdf",
            ),
            ReferralCommand::PrintCodes(path) => self.start_print_codes(path),
            ReferralCommand::ExportCodes(path) => self.start_export(CsvExport::Codes, path),
            ReferralCommand::ExportReferrals(path) => self.start_export(CsvExport::Referrals, path),
            ReferralCommand::DismissNotice => self.referrals.notice = None,
        }
    }

    fn start_referrals_read(&mut self) {
        let Some(key) = self.referrals_key() else {
            return;
        };
        self.referrals.read_started_for = Some(key.clone());
        let slot = self.referrals.slot.clone();
        self.start_job(
            READING_REFERRALS_LABEL,
            Box::new(move |store, progress| {
                progress.set(0.2, "Reading referrals and their value…");
                let data = read_data(store, key)?;
                let words = format!(
                    "Referrals: {} read.",
                    group_thousands(data.referrals.len() as u64)
                );
                slot.put(ReferralUpdate {
                    data: Some(data),
                    notice: None,
                    wrote: false,
                });
                Ok(words)
            }),
        );
    }

    /// A write job that ends by reading the data again (and the open customer profile,
    /// which lists the customer's referrals); `write` says what it did or why it was
    /// refused (shown as the notice either way).
    fn start_referral_write(
        &mut self,
        label: &str,
        write: impl FnOnce(&mut Store) -> Result<String, String> + Send + 'static,
    ) {
        let Some(key) = self.referrals_key() else {
            return;
        };
        let slot = self.referrals.slot.clone();
        let profile = self
            .profile
            .open_id()
            .map(|id| (id, Arc::clone(&self.profile.slot)));
        self.start_job(
            label,
            Box::new(move |store, progress| {
                progress.set(0.1, "Writing…");
                let written = write(store);
                progress.set(0.6, "Reading referrals and their value…");
                let data = read_data(store, key)?;
                if let Some((id, profile_slot)) = &profile {
                    super::customer_profile::reread_profile(store, *id, profile_slot)?;
                }
                let (text, is_error) = match &written {
                    Ok(words) => (words.clone(), false),
                    Err(words) => (capitalised(words), true),
                };
                let notice = Some(Notice { text, is_error });
                slot.put(ReferralUpdate {
                    data: Some(data),
                    notice,
                    wrote: true,
                });
                written.map_err(|words| anyhow::anyhow!(words))
            }),
        );
    }

    fn start_record(&mut self, referrer: String, friend: String, date: NaiveDate) {
        self.start_referral_write("Recording a referral", move |store| {
            let referrer = resolve_customer(store, &referrer)?;
            let friend = resolve_customer(store, &friend)?;
            let id = store
                .record_referral(referrer, friend, date)
                .map_err(|e| e.to_string())?;
            store
                .evaluate_referrals(today())
                .map_err(|e| e.to_string())?;
            super::loyalty::recompute_ledger(store).map_err(|e| e.to_string())?;
            Ok(format!(
                "Referral number {id} recorded: customer {} referred customer {}.",
                referrer.0, friend.0
            ))
        });
    }

    fn start_approve(&mut self, id: i64) {
        self.start_referral_write("Approving a referral", move |store| {
            let status = store
                .approve_referral(id, today())
                .map_err(|e| e.to_string())?;
            super::loyalty::recompute_ledger(store).map_err(|e| e.to_string())?;
            Ok(format!(
                "Referral number {id} approved; it is now: {}.",
                status_label(status).to_lowercase()
            ))
        });
    }

    fn start_reject(&mut self, id: i64, reason: String) {
        self.start_referral_write("Rejecting a referral", move |store| {
            store
                .reject_referral(id, &reason, today())
                .map_err(|e| e.to_string())?;
            super::loyalty::recompute_ledger(store).map_err(|e| e.to_string())?;
            Ok(format!(
                "Referral number {id} rejected ({}).",
                reason.trim()
            ))
        });
    }

    fn start_save_referral_rules(&mut self, rules: ReferralRules) {
        if let Err(problems) = rules.validate() {
            self.error_dialog = Some(
                problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n"),
            );
            return;
        }
        self.start_referral_write("Saving the referral rules", move |store| {
            store
                .save_referral_rules(&rules)
                .map_err(|e| e.to_string())?;
            let outcome = refresh_referrals(store).map_err(|e| e.to_string())?;
            super::loyalty::recompute_ledger(store).map_err(|e| e.to_string())?;
            Ok(rules_saved_words(&outcome))
        });
    }

    fn start_create_codes(&mut self) {
        self.start_referral_write("Creating referral codes", move |store| {
            let created = store
                .generate_all_referral_codes()
                .map_err(|e| e.to_string())?;
            Ok(match created {
                0 => "Every customer already has a referral code.".to_owned(),
                1 => "1 referral code created.".to_owned(),
                n => format!("{} referral codes created.", group_thousands(n as u64)),
            })
        });
    }

    fn start_print_codes(&mut self, path: PathBuf) {
        self.start_job(
            "Printing the referral codes",
            Box::new(move |store, _| {
                let file = std::fs::File::create(&path)
                    .map_err(|e| anyhow::anyhow!("could not create {}: {e}", path.display()))?;
                let mut out = std::io::BufWriter::new(file);
                let printed = store.write_referral_codes_pdf(&mut out)?;
                std::io::Write::flush(&mut out)
                    .map_err(|e| anyhow::anyhow!("could not write {}: {e}", path.display()))?;
                Ok(format!(
                    "Printed {} referral codes on {} A4 pages to {}",
                    group_thousands(printed.codes as u64),
                    group_thousands(printed.pages as u64),
                    path.display()
                ))
            }),
        );
    }

    fn start_export(&mut self, export: CsvExport, path: PathBuf) {
        let (label, what) = match export {
            CsvExport::Codes => ("Exporting the referral codes", "referral codes"),
            CsvExport::Referrals => ("Exporting the referrals", "referrals"),
        };
        self.start_job(
            label,
            Box::new(move |store, _| {
                let file = std::fs::File::create(&path)
                    .map_err(|e| anyhow::anyhow!("could not create {}: {e}", path.display()))?;
                let mut out = std::io::BufWriter::new(file);
                let rows = match export {
                    CsvExport::Codes => store.write_referral_codes_csv(&mut out)?,
                    CsvExport::Referrals => store.write_referrals_csv(&mut out)?,
                };
                std::io::Write::flush(&mut out)
                    .map_err(|e| anyhow::anyhow!("could not write {}: {e}", path.display()))?;
                Ok(format!(
                    "Exported {} {what} to {}",
                    group_thousands(rows as u64),
                    path.display()
                ))
            }),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customers_are_typed_as_numbers_or_email_addresses() {
        assert_eq!(parse_customer_ref(" #42 "), Ok(CustomerRef::Number(42)));
        assert_eq!(parse_customer_ref("7"), Ok(CustomerRef::Number(7)));
        assert_eq!(
            parse_customer_ref("Ann@Example.com"),
            Ok(CustomerRef::Email("ann@example.com".to_owned()))
        );
        assert!(parse_customer_ref("").is_err());
        assert!(parse_customer_ref("Ann Smith").is_err());
    }
}
