//! The customer-care queue between the view and the store: the commands the care view
//! emits, the background jobs that run them on the writer thread, and the data the view
//! draws (today's open tasks with their suggested messages, the rules, the templates and
//! the disputes), read in a job into a slot and cached, never per frame.
//!
//! Reading the queue first brings it up to date (`Store::refresh_care_queue`), so opening
//! the view on a new day, or after new orders, adds the tasks that became due.

use super::dialogs::DialogPurpose;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::NaiveDate;

use super::AppState;
use super::loyalty::today;
use super::view_data::{self, Slot};
use crate::domain::{Currency, format_money_rounded, group_thousands};
use crate::programs::care::{CareRules, TaskKind};
use crate::store::care::{
    CardsOutcome, CareOutcomes, CareTaskRow, DisputeRow, MailMergeOutcome, TaskAction,
};
use crate::store::{Store, StoreError};

/// The label of the job that reads the care queue.
pub const READING_CARE_LABEL: &str = "Reading the care queue";

/// At most this many open tasks are shown with their messages (the mail merge has all).
pub const TASKS_SHOWN: usize = 300;

/// Days a snoozed task stays hidden.
pub const SNOOZE_DAYS: i64 = 7;

/// An action of the care view; applied after the frame.
#[derive(Clone, Debug, PartialEq)]
pub enum CareCommand {
    /// Bring the queue up to date and read it again.
    Refresh,
    /// Apply an action to these tasks (one or several).
    Act {
        /// The tasks' row ids.
        ids: Vec<i64>,
        /// Done, snooze or skip.
        action: TaskAction,
    },
    /// Save the rules (checked first).
    SaveRules(CareRules),
    /// Save the message template of one kind (an empty text goes back to the default).
    SaveTemplate(TaskKind, String),
    /// Ask where to save the mail merge (file dialog).
    ChooseMailMerge,
    /// Write today's open tasks as a mail merge CSV at this path.
    ExportMailMerge(PathBuf),
    /// Ask where to save thank-you cards for these tasks (file dialog); no ids means
    /// every open thank-you task.
    ChooseCards(Vec<i64>),
    /// Write thank-you cards for these open tasks (no ids: every open thank-you task) as a
    /// printable PDF at this path.
    PrintCards {
        /// The tasks' row ids; empty for all open thank-you tasks.
        ids: Vec<i64>,
        /// Where to write the PDF.
        path: PathBuf,
    },
    /// Log a dispute.
    OpenDispute {
        /// The customer's number.
        customer: i64,
        /// What it is about.
        category: String,
        /// What happened.
        description: String,
    },
    /// Move a dispute along its status flow.
    UpdateDispute {
        /// The dispute's row id.
        id: i64,
        /// `in_progress`, `resolved` or `rejected`.
        status: String,
        /// How it was resolved, or why it was rejected.
        resolution: String,
        /// Goodwill points given.
        goodwill_points: i64,
        /// Goodwill refund given, in minor units.
        goodwill_cents: i64,
    },
    /// Open the care view on its disputes tab (from the dashboard).
    ShowDisputes,
    /// Forget the last message shown.
    DismissNotice,
}

/// Disputes not resolved or rejected yet: how many and since when (for the dashboard).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpenDisputes {
    /// How many.
    pub count: u64,
    /// When the oldest was opened (seconds since the epoch, UTC).
    pub oldest_opened_utc: Option<i64>,
}

impl OpenDisputes {
    /// Reads them through `store`.
    pub fn load(store: &Store) -> Result<OpenDisputes, StoreError> {
        let (count, oldest_opened_utc) = store.open_disputes_summary()?;
        Ok(OpenDisputes {
            count,
            oldest_opened_utc,
        })
    }

    /// "3 open disputes (oldest 12 days)" as of `now_utc`; `None` when there are none.
    pub fn words(&self, now_utc: i64) -> Option<String> {
        if self.count == 0 {
            return None;
        }
        let what = if self.count == 1 {
            "1 open dispute".to_owned()
        } else {
            format!("{} open disputes", group_thousands(self.count))
        };
        let Some(oldest) = self.oldest_opened_utc else {
            return Some(what);
        };
        let days = ((now_utc - oldest).max(0) / 86_400).unsigned_abs();
        let age = match (self.count, days) {
            (1, 0) => "opened today".to_owned(),
            (1, 1) => "open 1 day".to_owned(),
            (1, d) => format!("open {} days", group_thousands(d)),
            (_, 0) => "oldest opened today".to_owned(),
            (_, 1) => "oldest 1 day".to_owned(),
            (_, d) => format!("oldest {} days", group_thousands(d)),
        };
        Some(format!("{what} ({age})"))
    }
}

/// One open task with its suggested message.
#[derive(Clone, Debug, PartialEq)]
pub struct QueueTask {
    /// The task and who it is for.
    pub task: CareTaskRow,
    /// The kind's template filled in for this customer.
    pub message: String,
}

/// Everything the care view draws.
#[derive(Clone, Debug, PartialEq)]
pub struct CareData {
    /// What the data was read for (see [`AppState::care_key`]).
    pub key: String,
    /// The database it was read from.
    pub db_path: PathBuf,
    /// The day the queue is as of.
    pub today: NaiveDate,
    /// The shop's currency.
    pub currency: Currency,
    /// Open tasks due by today, at most [`TASKS_SHOWN`], in the queue's order.
    pub tasks: Vec<QueueTask>,
    /// How many open tasks there are in all.
    pub open_tasks: usize,
    /// How many of them are thank-yous (new or top customers): the cards printed when
    /// no task is selected.
    pub thank_you_tasks: usize,
    /// The owner's rules.
    pub rules: CareRules,
    /// The message template of each kind, in [`TaskKind::ALL`] order.
    pub templates: Vec<(TaskKind, String)>,
    /// Disputes, open ones first.
    pub disputes: Vec<DisputeRow>,
    /// Every customer by number with their name, for logging a dispute by name.
    pub customer_names: Vec<(i64, String)>,
    /// Whether contacting customers and resolving disputes went with them coming back.
    pub outcomes: CareOutcomes,
}

impl CareData {
    /// The name of customer `id`, when there is such a customer.
    pub fn customer_name(&self, id: i64) -> Option<&str> {
        self.customer_names
            .binary_search_by_key(&id, |(n, _)| *n)
            .ok()
            .map(|at| self.customer_names[at].1.as_str())
    }

    /// Disputes not resolved or rejected yet.
    pub fn open_disputes(&self) -> usize {
        self.disputes
            .iter()
            .filter(|d| matches!(d.status.as_str(), "open" | "in_progress"))
            .count()
    }

    /// The saved template of `kind`.
    pub fn template(&self, kind: TaskKind) -> &str {
        self.templates
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or("", |(_, t)| t.as_str())
    }
}

/// The outcome of the last action, shown in the view until dismissed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CareNotice {
    /// What happened, in words.
    pub text: String,
    /// Whether it was refused or failed.
    pub is_error: bool,
}

/// What a care job leaves for the UI thread.
#[derive(Debug, Default)]
struct CareUpdate {
    data: Option<CareData>,
    notice: Option<CareNotice>,
    mail_merge: Option<MailMergeOutcome>,
}

/// Where care jobs leave their results.
type CareSlot = Slot<CareUpdate>;

/// The care side of [`AppState`].
#[derive(Debug, Default)]
pub struct CareState {
    /// The queue, rules, templates and disputes, once read.
    pub data: Option<Arc<CareData>>,
    /// The last action's outcome.
    pub notice: Option<CareNotice>,
    /// What the last mail merge wrote and left out.
    pub mail_merge: Option<MailMergeOutcome>,
    /// The care view should open on its disputes tab (asked for from the dashboard).
    pub show_disputes: bool,
    /// Thank-you cards waiting for their file dialog: the tasks (empty for all thank-yous).
    pub(crate) cards_for: Option<Vec<i64>>,
    /// The key of the last read started, so a failing read is not restarted every frame.
    read_started_for: Option<String>,
    slot: CareSlot,
}

impl CareState {
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
                self.notice = None;
                self.mail_merge = None;
            }
            self.data = Some(Arc::new(data));
        }
        if update.notice.is_some() {
            self.notice = update.notice;
        }
        if update.mail_merge.is_some() {
            self.mail_merge = update.mail_merge;
        }
    }
}

/// Brings the queue up to date as of `today`, then reads everything the view draws.
fn refresh_and_read(
    store: &mut Store,
    key: String,
    today: NaiveDate,
) -> Result<CareData, StoreError> {
    let currency = store.business_settings()?.currency;
    let money = move |cents: f64| format_money_rounded(cents, currency);
    store.refresh_care_queue(today, &money)?;
    let open = store.open_care_tasks(today)?;
    let open_tasks = open.len();
    let thank_you_tasks = open.iter().filter(|t| is_thank_you(t.kind)).count();
    let tasks = open
        .into_iter()
        .take(TASKS_SHOWN)
        .map(|task| {
            let message = store.care_message(&task)?;
            Ok(QueueTask { task, message })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let templates = TaskKind::ALL
        .into_iter()
        .map(|kind| Ok((kind, store.care_template(kind)?)))
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(CareData {
        key,
        db_path: store.path().to_path_buf(),
        today,
        currency,
        tasks,
        open_tasks,
        thank_you_tasks,
        rules: store.care_rules()?,
        templates,
        disputes: store.disputes()?,
        customer_names: store.customer_names()?,
        outcomes: store.care_outcomes(today)?,
    })
}

/// Whether a task of `kind` thanks the customer (a card suits it).
pub fn is_thank_you(kind: TaskKind) -> bool {
    matches!(kind, TaskKind::ThankNew | TaskKind::ThankTop)
}

/// The tasks to print cards for: those of `open` whose id is in `ids`, or every thank-you
/// task when `ids` is empty. Queue order is kept.
pub fn card_tasks(open: Vec<CareTaskRow>, ids: &[i64]) -> Vec<CareTaskRow> {
    open.into_iter()
        .filter(|t| {
            if ids.is_empty() {
                is_thank_you(t.kind)
            } else {
                ids.contains(&t.id)
            }
        })
        .collect()
}

/// "Printed 6 thank-you cards on 2 pages." with any shortened messages.
pub fn cards_words(outcome: &CardsOutcome) -> String {
    let cards = if outcome.cards == 1 {
        "1 thank-you card".to_owned()
    } else {
        format!("{} thank-you cards", group_thousands(outcome.cards))
    };
    let pages = if outcome.pages == 1 {
        "1 page".to_owned()
    } else {
        format!("{} pages", group_thousands(outcome.pages))
    };
    let mut words =
        format!("Printed {cards} on {pages} (four to a page, cut along the dashed lines).");
    match outcome.shortened {
        0 => {}
        1 => words.push_str(
            " 1 message was too long for a card and was shortened: shorten its message template.",
        ),
        n => words.push_str(&format!(
            " {} messages were too long for a card and were shortened: shorten their message \
             templates.",
            group_thousands(n)
        )),
    }
    words
}

/// "Done: 2 tasks." and the like.
fn action_words(action: &TaskAction, changed: u64) -> String {
    let tasks = if changed == 1 {
        "1 task".to_owned()
    } else {
        format!("{} tasks", group_thousands(changed))
    };
    match action {
        TaskAction::Done { channel, .. } => {
            format!("Marked done ({}): {tasks}.", channel.replace('_', " "))
        }
        TaskAction::Snooze(until) => format!("Snoozed until {until}: {tasks}."),
        TaskAction::Skip => format!("Skipped: {tasks}."),
    }
}

/// What a mail merge did, in words.
pub fn mail_merge_words(outcome: &MailMergeOutcome) -> String {
    format!(
        "Mail merge: {} messages written; left out {} without marketing consent and {} \
         without an e-mail address.",
        group_thousands(outcome.written),
        group_thousands(outcome.without_consent),
        group_thousands(outcome.without_email)
    )
}

impl AppState {
    /// What the care data must have been read from to be current: the data and settings,
    /// the file, and the day.
    pub fn care_key(&self) -> Option<String> {
        self.program_data_key("")
    }

    /// Whether the care data on screen was read from the data as it is now.
    pub fn care_is_current(&self) -> bool {
        let data_key = self.care.data.as_ref().map(|d| d.key.as_str());
        view_data::is_current(data_key, self.care_key().as_deref())
    }

    /// Whether the care view should ask for a read: its data is missing or stale, nothing
    /// runs, and no read was started for the data as it is now.
    pub fn care_needs_read(&self) -> bool {
        self.program_needs_read(
            self.care_is_current(),
            self.care_key(),
            self.care.read_started_for.as_ref(),
        )
    }

    /// Collects what a finished care job left (called when any job finishes).
    pub(super) fn take_care_update(&mut self) {
        self.care.take_update();
    }

    /// Applies one care command.
    pub(super) fn apply_care(&mut self, command: CareCommand) {
        match command {
            CareCommand::Refresh => self.start_care_read(),
            CareCommand::Act { ids, action } => self.start_act(ids, action),
            CareCommand::SaveRules(rules) => self.start_save_care_rules(rules),
            CareCommand::SaveTemplate(kind, text) => self.start_save_template(kind, text),
            CareCommand::ChooseMailMerge => self.dialogs.save_csv(
                DialogPurpose::MailMergeCsv,
                "Export the mail merge",
                "care-mail-merge.csv",
            ),
            CareCommand::ExportMailMerge(path) => self.start_mail_merge(path),
            CareCommand::ChooseCards(ids) => {
                if !self.dialogs.is_open() {
                    self.care.cards_for = Some(ids);
                    self.dialogs.save_pdf(
                        DialogPurpose::ThankYouCardsPdf,
                        "Save the thank-you cards to print",
                        "thank-you-cards.pdf",
                    );
                }
            }
            CareCommand::PrintCards { ids, path } => self.start_print_cards(ids, path),
            CareCommand::OpenDispute {
                customer,
                category,
                description,
            } => self.start_open_dispute(customer, category, description),
            CareCommand::UpdateDispute {
                id,
                status,
                resolution,
                goodwill_points,
                goodwill_cents,
            } => self.start_care_write("Updating a dispute", move |store| {
                store.update_dispute(id, &status, &resolution, goodwill_points, goodwill_cents)?;
                Ok(format!("Dispute {id} is now {}.", status.replace('_', " ")))
            }),
            CareCommand::ShowDisputes => {
                self.care.show_disputes = true;
                self.apply(super::Command::Navigate(super::View::Care));
            }
            CareCommand::DismissNotice => {
                self.care.notice = None;
                self.care.mail_merge = None;
            }
        }
    }

    fn start_care_read(&mut self) {
        let Some(key) = self.care_key() else {
            return;
        };
        self.care.read_started_for = Some(key.clone());
        let slot = self.care.slot.clone();
        self.start_job(
            READING_CARE_LABEL,
            Box::new(move |store, progress| {
                progress.set(0.2, "Finding who to look after today…");
                let data = refresh_and_read(store, key, today())?;
                let words = format!(
                    "Care: {} tasks for today.",
                    group_thousands(data.open_tasks as u64)
                );
                slot.put(CareUpdate {
                    data: Some(data),
                    ..CareUpdate::default()
                });
                Ok(words)
            }),
        );
    }

    /// A write job that ends by reading the queue again; `write` says what it did. A
    /// refusal becomes the notice shown in the view.
    fn start_care_write(
        &mut self,
        label: &str,
        write: impl FnOnce(&mut Store) -> Result<String, StoreError> + Send + 'static,
    ) {
        let Some(key) = self.care_key() else {
            return;
        };
        let slot = self.care.slot.clone();
        self.start_job(
            label,
            Box::new(move |store, progress| {
                progress.set(0.1, "Writing…");
                let written = write(store);
                progress.set(0.5, "Reading the care queue…");
                let data = refresh_and_read(store, key, today())?;
                let (notice, result) = match written {
                    Ok(words) => (
                        CareNotice {
                            text: words.clone(),
                            is_error: false,
                        },
                        Ok(words),
                    ),
                    Err(e) => {
                        let words = e.to_string();
                        (
                            CareNotice {
                                text: words.clone(),
                                is_error: true,
                            },
                            Err(anyhow::anyhow!(words)),
                        )
                    }
                };
                slot.put(CareUpdate {
                    data: Some(data),
                    notice: Some(notice),
                    ..CareUpdate::default()
                });
                result
            }),
        );
    }

    fn start_act(&mut self, ids: Vec<i64>, action: TaskAction) {
        if ids.is_empty() {
            return;
        }
        self.start_care_write("Working through the care queue", move |store| {
            let changed = store.act_on_care_tasks(&ids, &action)?;
            Ok(action_words(&action, changed))
        });
    }

    fn start_save_care_rules(&mut self, rules: CareRules) {
        let problems = rules.problems();
        if !problems.is_empty() {
            self.error_dialog = Some(problems.join("\n"));
            return;
        }
        self.start_care_write("Saving the care rules", move |store| {
            store.save_care_rules(&rules)?;
            Ok("Care rules saved; the queue follows them from now on.".to_owned())
        });
    }

    fn start_save_template(&mut self, kind: TaskKind, text: String) {
        self.start_care_write("Saving a message template", move |store| {
            store.save_care_template(kind, &text)?;
            Ok(if text.trim().is_empty() {
                format!("“{}” uses the default message again.", kind.label())
            } else {
                format!("Message for “{}” saved.", kind.label())
            })
        });
    }

    fn start_open_dispute(&mut self, customer: i64, category: String, description: String) {
        self.start_care_write("Logging a dispute", move |store| {
            let id = store.open_dispute(customer, None, &category, &description)?;
            let name = store
                .disputes()?
                .into_iter()
                .find(|d| d.id == id)
                .map_or_else(|| format!("customer {customer}"), |d| d.customer_name);
            Ok(format!("Dispute {id} logged for {name} ({category})."))
        });
    }

    fn start_print_cards(&mut self, ids: Vec<i64>, path: PathBuf) {
        let slot = self.care.slot.clone();
        self.start_job(
            "Printing thank-you cards",
            Box::new(move |store, _| {
                let tasks = card_tasks(store.open_care_tasks(today())?, &ids);
                if tasks.is_empty() {
                    anyhow::bail!("There are no open thank-you tasks to print cards for.");
                }
                let file = std::fs::File::create(&path)
                    .map_err(|e| anyhow::anyhow!("could not create {}: {e}", path.display()))?;
                let mut out = std::io::BufWriter::new(file);
                let outcome = store.write_thank_you_cards_pdf(&tasks, &mut out)?;
                std::io::Write::flush(&mut out)
                    .map_err(|e| anyhow::anyhow!("could not write {}: {e}", path.display()))?;
                let words = format!("{} Saved to {}", cards_words(&outcome), path.display());
                slot.put(CareUpdate {
                    notice: Some(CareNotice {
                        text: words.clone(),
                        is_error: outcome.shortened > 0,
                    }),
                    ..CareUpdate::default()
                });
                Ok(words)
            }),
        );
    }

    fn start_mail_merge(&mut self, path: PathBuf) {
        let slot = self.care.slot.clone();
        self.start_job(
            "Exporting the mail merge",
            Box::new(move |store, _| {
                let tasks = store.open_care_tasks(today())?;
                let file = std::fs::File::create(&path)
                    .map_err(|e| anyhow::anyhow!("could not create {}: {e}", path.display()))?;
                let mut out = std::io::BufWriter::new(file);
                let outcome = store.write_mail_merge_csv(&tasks, &mut out)?;
                std::io::Write::flush(&mut out)
                    .map_err(|e| anyhow::anyhow!("could not write {}: {e}", path.display()))?;
                slot.put(CareUpdate {
                    mail_merge: Some(outcome),
                    ..CareUpdate::default()
                });
                Ok(format!(
                    "{} Saved to {}",
                    mail_merge_words(&outcome),
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
    fn action_words_count_tasks() {
        assert_eq!(action_words(&TaskAction::Skip, 1), "Skipped: 1 task.");
        let done = TaskAction::Done {
            channel: "phone".to_owned(),
            note: String::new(),
        };
        assert_eq!(action_words(&done, 2), "Marked done (phone): 2 tasks.");
    }

    #[test]
    fn cards_go_to_the_selected_tasks_or_every_thank_you() {
        let task = |id: i64, kind: TaskKind| CareTaskRow {
            id,
            kind,
            customer_id: id,
            name: format!("C{id}"),
            email: None,
            marketing_consent: false,
            reason: String::new(),
            due: "2026-06-30".to_owned(),
            status: "open".to_owned(),
        };
        let open = vec![
            task(1, TaskKind::WinBack),
            task(2, TaskKind::ThankNew),
            task(3, TaskKind::Review),
            task(4, TaskKind::ThankTop),
        ];
        let ids = |tasks: Vec<CareTaskRow>| tasks.iter().map(|t| t.id).collect::<Vec<_>>();
        assert_eq!(ids(card_tasks(open.clone(), &[])), [2, 4]);
        assert_eq!(ids(card_tasks(open.clone(), &[3, 1])), [1, 3]);
        assert!(card_tasks(open, &[9]).is_empty());
        let words = cards_words(&CardsOutcome {
            cards: 5,
            pages: 2,
            shortened: 1,
        });
        assert!(
            words.starts_with("Printed 5 thank-you cards on 2 pages"),
            "{words}"
        );
        assert!(words.contains("1 message was too long"));
    }

    #[test]
    fn open_disputes_say_how_many_and_how_old() {
        let day = 86_400;
        let none = OpenDisputes::default();
        assert_eq!(none.words(10 * day), None);
        let one = OpenDisputes {
            count: 1,
            oldest_opened_utc: Some(day),
        };
        assert_eq!(
            one.words(day + 3600).unwrap(),
            "1 open dispute (opened today)"
        );
        let three = OpenDisputes {
            count: 3,
            oldest_opened_utc: Some(day),
        };
        assert_eq!(
            three.words(13 * day + 5).unwrap(),
            "3 open disputes (oldest 12 days)"
        );
    }

    #[test]
    fn mail_merge_words_say_what_was_left_out() {
        let outcome = MailMergeOutcome {
            written: 3,
            without_consent: 2,
            without_email: 1,
        };
        assert!(mail_merge_words(&outcome).contains("2 without marketing consent"));
    }
}
