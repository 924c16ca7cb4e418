//! The care queue in the database: the owner's rules and message templates (in
//! `settings`), the tasks the rules produce (`care_tasks`, one row per `rule_key`, so a
//! refresh never adds a task twice), working through them (done with a touchpoint, snooze,
//! skip — one at a time or in bulk), the mail-merge CSV that leaves out customers without
//! marketing consent, and disputes with their status flow.
//!
//! The rules themselves are pure and live in [`crate::programs::care`]; this module reads
//! the facts they need in a few scans and writes what they produce in one transaction.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use chrono::NaiveDate;
use rusqlite::{OptionalExtension as _, params};

use super::{Store, StoreError, now_utc};
use crate::domain::CustomerId;
use crate::export::spreadsheet_safe;
use crate::export::thank_you_cards::{Card, card_sheet};
use crate::programs::care::{
    CareCustomer, CareOrder, CareRules, ClosedDispute, DisputeRetention, Lift, PastTask, TaskKind,
    default_template, dispute_retention, fill_template, generate_tasks, lift_by_kind,
};

/// The `settings` key of the rules (JSON).
const RULES_KEY: &str = "care_rules";

/// What a refresh of the queue did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RefreshOutcome {
    /// Tasks added.
    pub added: u64,
    /// Snoozed tasks whose day came, opened again.
    pub woken: u64,
}

/// One task of the queue with who it is for.
#[derive(Clone, Debug, PartialEq)]
pub struct CareTaskRow {
    /// Row id.
    pub id: i64,
    /// The kind.
    pub kind: TaskKind,
    /// The customer.
    pub customer_id: i64,
    /// Their name.
    pub name: String,
    /// Their e-mail.
    pub email: Option<String>,
    /// Whether they agreed to marketing.
    pub marketing_consent: bool,
    /// Why, in words.
    pub reason: String,
    /// Due day.
    pub due: String,
    /// `open`, `done`, `snoozed` or `skipped`.
    pub status: String,
}

/// What the owner does with a task.
#[derive(Clone, Debug, PartialEq)]
pub enum TaskAction {
    /// Done, contacted through `channel` (e-mail, phone, in person, card, other).
    Done {
        /// How they were contacted.
        channel: String,
        /// A note for the customer's history.
        note: String,
    },
    /// Hide until this day.
    Snooze(NaiveDate),
    /// Not worth doing.
    Skip,
}

/// What a mail merge wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MailMergeOutcome {
    /// Rows written.
    pub written: u64,
    /// Tasks left out: the customer did not agree to marketing.
    pub without_consent: u64,
    /// Tasks left out: no e-mail address.
    pub without_email: u64,
}

/// What printing thank-you cards wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CardsOutcome {
    /// Cards printed.
    pub cards: u64,
    /// A4 pages they fill.
    pub pages: u64,
    /// Cards whose message was too long for the card even in small type and was shortened.
    pub shortened: u64,
}

/// One contact logged with a customer (a task marked done, or a note).
#[derive(Clone, Debug, PartialEq)]
pub struct TouchpointRow {
    /// The task it did, if any.
    pub task_id: Option<i64>,
    /// The task kind it was for (`thank_new`, …) or what it was.
    pub kind: String,
    /// How they were contacted (e-mail, phone, in person, card, other).
    pub channel: String,
    /// When (seconds since the epoch, UTC).
    pub at_utc: i64,
    /// The owner's note.
    pub note: String,
}

/// Everything the care program did with one customer, for their profile.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CustomerCareHistory {
    /// Their care tasks, newest first.
    pub tasks: Vec<CareTaskRow>,
    /// Contacts logged, newest first.
    pub touchpoints: Vec<TouchpointRow>,
    /// Their disputes, open ones first.
    pub disputes: Vec<DisputeRow>,
}

impl CustomerCareHistory {
    /// The contact logged for task `id`, if it was done.
    pub fn touchpoint_of(&self, task: i64) -> Option<&TouchpointRow> {
        self.touchpoints.iter().find(|t| t.task_id == Some(task))
    }

    /// Whether there is nothing to show.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty() && self.touchpoints.is_empty() && self.disputes.is_empty()
    }
}

/// Whether care paid off, as far as the data shows: per task kind, contacted customers
/// against those not contacted; and customers after a closed dispute against similar
/// customers without one. Both observational.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CareOutcomes {
    /// Per task kind with counted tasks, in [`TaskKind::ALL`] order.
    pub lift_by_kind: Vec<(TaskKind, Lift)>,
    /// After closed disputes.
    pub after_disputes: DisputeRetention,
}

/// A dispute as listed.
#[derive(Clone, Debug, PartialEq)]
pub struct DisputeRow {
    /// Row id.
    pub id: i64,
    /// The customer.
    pub customer_id: i64,
    /// The customer's name as shown ("Customer #12" when they have none).
    pub customer_name: String,
    /// The order it is about, if any.
    pub order_id: Option<i64>,
    /// Category (late delivery, damaged, wrong item, billing, service, other).
    pub category: String,
    /// What happened.
    pub description: String,
    /// `open`, `in_progress`, `resolved` or `rejected`.
    pub status: String,
    /// How it was resolved.
    pub resolution: String,
    /// Goodwill points given.
    pub goodwill_points: i64,
    /// Goodwill refund given (minor units).
    pub goodwill_cents: i64,
    /// Opened (seconds since the epoch, UTC).
    pub opened_utc: i64,
    /// Resolved or rejected (seconds since the epoch, UTC).
    pub resolved_utc: Option<i64>,
}

impl DisputeRow {
    /// Days from opening to resolution, once closed.
    pub fn days_to_resolve(&self) -> Option<f64> {
        self.resolved_utc
            .map(|done| (done - self.opened_utc) as f64 / 86_400.0)
    }
}

impl Store {
    /// The owner's care rules (defaults until saved).
    pub fn care_rules(&self) -> Result<CareRules, StoreError> {
        Ok(self
            .setting(RULES_KEY)?
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or_default())
    }

    /// Saves the care rules; refused with the problems in words when they are not usable.
    pub fn save_care_rules(&mut self, rules: &CareRules) -> Result<(), StoreError> {
        let problems = rules.problems();
        if !problems.is_empty() {
            return Err(StoreError::Refused {
                reason: problems.join(" "),
            });
        }
        let json = serde_json::to_string(rules).map_err(|e| StoreError::Refused {
            reason: format!("the rules could not be saved: {e}"),
        })?;
        self.put_setting(RULES_KEY, &json)
    }

    /// The message template for `kind`: the owner's, else the default.
    pub fn care_template(&self, kind: TaskKind) -> Result<String, StoreError> {
        Ok(self
            .setting(&template_key(kind))?
            .unwrap_or_else(|| default_template(kind).to_owned()))
    }

    /// Saves the owner's template for `kind` (an empty text goes back to the default).
    pub fn save_care_template(&mut self, kind: TaskKind, template: &str) -> Result<(), StoreError> {
        if template.trim().is_empty() {
            return self
                .conn()
                .execute("DELETE FROM settings WHERE key = ?1", [template_key(kind)])
                .map(|_| ())
                .map_err(|e| self.err(e));
        }
        self.put_setting(&template_key(kind), template)
    }

    /// Runs the rules on today's facts and adds the tasks they ask for that the queue does
    /// not hold yet; snoozed tasks whose day came are opened again. One transaction.
    pub fn refresh_care_queue(
        &mut self,
        today: NaiveDate,
        money: &dyn Fn(f64) -> String,
    ) -> Result<RefreshOutcome, StoreError> {
        let rules = self.care_rules()?;
        let facts = self.care_facts()?;
        let existing: BTreeSet<String> = self.column("SELECT rule_key FROM care_tasks")?;
        let tasks = generate_tasks(&rules, &facts, today, &existing, money);
        let path = self.path().to_path_buf();
        let sql = |e| StoreError::from_sqlite(&path, e);
        let tx = self.conn_mut().transaction().map_err(sql)?;
        let mut outcome = RefreshOutcome::default();
        {
            let mut insert = tx
                .prepare(
                    "INSERT OR IGNORE INTO care_tasks (kind, customer_id, rule_key, reason,
                                                      due_date, created_utc)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .map_err(sql)?;
            let now = now_utc();
            for task in &tasks {
                outcome.added += insert
                    .execute(params![
                        task.kind.as_str(),
                        task.customer.0,
                        task.rule_key,
                        task.reason,
                        task.due.to_string(),
                        now
                    ])
                    .map_err(sql)? as u64;
            }
            outcome.woken = tx
                .execute(
                    "UPDATE care_tasks SET status = 'open', snoozed_until = NULL
                     WHERE status = 'snoozed' AND snoozed_until <= ?1",
                    [today.to_string()],
                )
                .map_err(sql)? as u64;
        }
        tx.commit().map_err(sql)?;
        Ok(outcome)
    }

    /// Open tasks due by `today`, in the queue's order (kind, then due day).
    pub fn open_care_tasks(&self, today: NaiveDate) -> Result<Vec<CareTaskRow>, StoreError> {
        let mut rows = self.task_rows(
            "WHERE t.status = 'open' AND t.due_date <= ?1",
            &today.to_string(),
        )?;
        rows.sort_by_key(|t| {
            (
                TaskKind::ALL.iter().position(|k| *k == t.kind),
                t.due.clone(),
                t.id,
            )
        });
        Ok(rows)
    }

    /// Every task of one customer, newest first (their care history).
    pub fn customer_care_tasks(&self, customer: i64) -> Result<Vec<CareTaskRow>, StoreError> {
        let mut rows = self.task_rows("WHERE t.customer_id = ?1", &customer.to_string())?;
        rows.sort_by(|a, b| b.due.cmp(&a.due).then(b.id.cmp(&a.id)));
        Ok(rows)
    }

    /// Whether care paid off as of `today` (see [`CareOutcomes`]): every task done, skipped
    /// or left undone and every closed dispute, against the customers' order days.
    pub fn care_outcomes(&self, today: NaiveDate) -> Result<CareOutcomes, StoreError> {
        let order_days = self.order_days_by_customer()?;
        let mut stmt = self
            .conn()
            .prepare(
                "SELECT t.kind, coalesce(c.merged_into, c.id), t.status, t.due_date, t.done_utc
                 FROM care_tasks t JOIN customers c ON c.id = t.customer_id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<i64>>(4)?,
                ))
            })
            .map_err(|e| self.err(e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))?;
        let tasks: Vec<PastTask> = rows
            .into_iter()
            .filter_map(|(kind, customer, status, due, done_utc)| {
                let kind = TaskKind::parse(&kind)?;
                let contacted = status == "done";
                let day = match done_utc.filter(|_| contacted) {
                    Some(done) => utc_day(done)?,
                    None => NaiveDate::parse_from_str(&due, "%Y-%m-%d").ok()?,
                };
                Some(PastTask {
                    kind,
                    customer: CustomerId(customer),
                    day,
                    contacted,
                })
            })
            .collect();
        let mut stmt = self
            .conn()
            .prepare(
                "SELECT coalesce(c.merged_into, c.id), d.opened_utc
                 FROM disputes d JOIN customers c ON c.id = d.customer_id
                 WHERE d.status IN ('resolved', 'rejected')",
            )
            .map_err(|e| self.err(e))?;
        let closed: Vec<ClosedDispute> = stmt
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))
            .map_err(|e| self.err(e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))?
            .into_iter()
            .filter_map(|(customer, opened)| {
                Some(ClosedDispute {
                    customer: CustomerId(customer),
                    opened: utc_day(opened)?,
                })
            })
            .collect();
        let with_any_dispute: BTreeSet<CustomerId> = self
            .column(
                "SELECT DISTINCT CAST(coalesce(c.merged_into, c.id) AS TEXT)
                 FROM disputes d JOIN customers c ON c.id = d.customer_id",
            )?
            .into_iter()
            .filter_map(|id| id.parse().ok().map(CustomerId))
            .collect();
        Ok(CareOutcomes {
            lift_by_kind: lift_by_kind(&tasks, &order_days, today),
            after_disputes: dispute_retention(&closed, &with_any_dispute, &order_days, today),
        })
    }

    /// Every customer's purchase days (refund entries and fully refunded orders left out;
    /// merged customers under the customer they were merged into), sorted.
    fn order_days_by_customer(&self) -> Result<BTreeMap<CustomerId, Vec<NaiveDate>>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare(
                "SELECT coalesce(c.merged_into, c.id), o.local_date
                 FROM orders o JOIN customers c ON c.id = o.customer_id
                 WHERE o.status <> 'refund' AND NOT (o.refunded_cents > 0 AND o.net_cents <= 0)",
            )
            .map_err(|e| self.err(e))?;
        let mut days: BTreeMap<CustomerId, Vec<NaiveDate>> = BTreeMap::new();
        let mut found = stmt.query([]).map_err(|e| self.err(e))?;
        while let Some(r) = found.next().map_err(|e| self.err(e))? {
            let customer: i64 = r.get(0).map_err(|e| self.err(e))?;
            let day: String = r.get(1).map_err(|e| self.err(e))?;
            if let Ok(day) = NaiveDate::parse_from_str(&day, "%Y-%m-%d") {
                days.entry(CustomerId(customer)).or_default().push(day);
            }
        }
        for list in days.values_mut() {
            list.sort_unstable();
        }
        Ok(days)
    }

    /// Customer `customer`'s care history: tasks, contacts and disputes, including those of
    /// customers merged into them.
    pub fn customer_care_history(&self, customer: i64) -> Result<CustomerCareHistory, StoreError> {
        let ids: Vec<i64> = std::iter::once(customer)
            .chain(self.merged_ids_of(customer)?)
            .collect();
        let mut history = CustomerCareHistory::default();
        for id in &ids {
            history.tasks.extend(self.customer_care_tasks(*id)?);
            let mut stmt = self
                .conn()
                .prepare_cached(
                    "SELECT task_id, kind, channel, at_utc, note FROM touchpoints
                     WHERE customer_id = ?1",
                )
                .map_err(|e| self.err(e))?;
            let rows = stmt
                .query_map([id], |r| {
                    Ok(TouchpointRow {
                        task_id: r.get(0)?,
                        kind: r.get(1)?,
                        channel: r.get(2)?,
                        at_utc: r.get(3)?,
                        note: r.get(4)?,
                    })
                })
                .map_err(|e| self.err(e))?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(|e| self.err(e))?;
            history.touchpoints.extend(rows);
        }
        history
            .tasks
            .sort_by(|a, b| b.due.cmp(&a.due).then(b.id.cmp(&a.id)));
        history
            .touchpoints
            .sort_by_key(|t| std::cmp::Reverse(t.at_utc));
        history.disputes = self
            .disputes()?
            .into_iter()
            .filter(|d| ids.contains(&d.customer_id))
            .collect();
        Ok(history)
    }

    /// Customers merged into `customer`.
    fn merged_ids_of(&self, customer: i64) -> Result<Vec<i64>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare("SELECT id FROM customers WHERE merged_into = ?1")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([customer], |r| r.get(0))
            .map_err(|e| self.err(e))?
            .collect::<rusqlite::Result<Vec<i64>>>()
            .map_err(|e| self.err(e))?;
        Ok(rows)
    }

    /// Applies `action` to each task in `ids` in one transaction (done logs a touchpoint);
    /// returns how many changed. Tasks already done or skipped are left as they are.
    pub fn act_on_care_tasks(
        &mut self,
        ids: &[i64],
        action: &TaskAction,
    ) -> Result<u64, StoreError> {
        let path = self.path().to_path_buf();
        let sql = |e| StoreError::from_sqlite(&path, e);
        let tx = self.conn_mut().transaction().map_err(sql)?;
        let now = now_utc();
        let mut changed = 0;
        for id in ids {
            let task: Option<(i64, String)> = tx
                .query_row(
                    "SELECT customer_id, kind FROM care_tasks
                     WHERE id = ?1 AND status IN ('open', 'snoozed')",
                    [id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(sql)?;
            let Some((customer, kind)) = task else {
                continue;
            };
            changed += match action {
                TaskAction::Done { channel, note } => {
                    tx.execute(
                        "INSERT INTO touchpoints (customer_id, task_id, kind, channel, at_utc, note)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        params![customer, id, kind, channel, now, note],
                    )
                    .map_err(sql)?;
                    tx.execute(
                        "UPDATE care_tasks SET status = 'done', done_utc = ?2, outcome = ?3
                         WHERE id = ?1",
                        params![id, now, channel],
                    )
                    .map_err(sql)?
                }
                TaskAction::Snooze(until) => tx
                    .execute(
                        "UPDATE care_tasks SET status = 'snoozed', snoozed_until = ?2 WHERE id = ?1",
                        params![id, until.to_string()],
                    )
                    .map_err(sql)?,
                TaskAction::Skip => tx
                    .execute("UPDATE care_tasks SET status = 'skipped' WHERE id = ?1", [id])
                    .map_err(sql)?,
            } as u64;
        }
        tx.commit().map_err(sql)?;
        Ok(changed)
    }

    /// The suggested message of a task: its kind's template with the customer's fields.
    pub fn care_message(&self, task: &CareTaskRow) -> Result<String, StoreError> {
        let template = self.care_template(task.kind)?;
        let values = self.message_fields(task.customer_id)?;
        Ok(fill_template(&template, &values))
    }

    /// Writes the tasks as a mail merge (e-mail, first name, kind, reason, message), leaving
    /// out customers without marketing consent or without an e-mail, and counting them.
    /// Dispute follow-ups are service messages and go out without marketing consent.
    pub fn write_mail_merge_csv(
        &self,
        tasks: &[CareTaskRow],
        out: &mut dyn Write,
    ) -> Result<MailMergeOutcome, StoreError> {
        let csv_err = |e: csv::Error| StoreError::Refused {
            reason: format!("the mail merge file could not be written: {e}"),
        };
        let mut writer = csv::Writer::from_writer(out);
        writer
            .write_record(["email", "first_name", "name", "task", "reason", "message"])
            .map_err(csv_err)?;
        let mut outcome = MailMergeOutcome::default();
        for task in tasks {
            let service = task.kind == TaskKind::DisputeFollowUp;
            if !task.marketing_consent && !service {
                outcome.without_consent += 1;
                continue;
            }
            let Some(email) = task.email.as_deref().filter(|e| !e.trim().is_empty()) else {
                outcome.without_email += 1;
                continue;
            };
            let message = self.care_message(task)?;
            let safe = |text: &str| spreadsheet_safe(text).into_owned();
            writer
                .write_record([
                    safe(email),
                    safe(&first_name(&task.name)),
                    safe(&task.name),
                    task.kind.label().to_owned(),
                    safe(&task.reason),
                    safe(&message),
                ])
                .map_err(csv_err)?;
            outcome.written += 1;
        }
        writer.flush().map_err(|e| csv_err(e.into()))?;
        Ok(outcome)
    }

    /// Writes a printable PDF of thank-you cards for `tasks`, four A6 cards to an A4 page,
    /// each with the customer's first name and the task's suggested message. Cards are
    /// handed over or posted by the owner, so consent is not needed as for a mail merge.
    pub fn write_thank_you_cards_pdf(
        &self,
        tasks: &[CareTaskRow],
        out: &mut dyn Write,
    ) -> Result<CardsOutcome, StoreError> {
        let cards = tasks
            .iter()
            .map(|task| {
                Ok(Card {
                    first_name: first_name(&task.name),
                    message: self.care_message(task)?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let sheet = card_sheet(&cards, &self.shop_name()?);
        out.write_all(&sheet.document.to_bytes())
            .map_err(|e| StoreError::Refused {
                reason: format!("the thank-you cards could not be written: {e}"),
            })?;
        Ok(CardsOutcome {
            cards: sheet.cards as u64,
            pages: sheet.document.pages.len() as u64,
            shortened: sheet.shortened as u64,
        })
    }

    /// Logs a complaint; returns its id.
    pub fn open_dispute(
        &mut self,
        customer: i64,
        order: Option<i64>,
        category: &str,
        description: &str,
    ) -> Result<i64, StoreError> {
        if category.trim().is_empty() {
            return Err(StoreError::Refused {
                reason: "Choose what the dispute is about.".to_owned(),
            });
        }
        self.conn()
            .execute(
                "INSERT INTO disputes (customer_id, order_id, category, description, opened_utc)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    customer,
                    order,
                    category.trim(),
                    description.trim(),
                    now_utc()
                ],
            )
            .map_err(|e| self.err(e))?;
        Ok(self.conn().last_insert_rowid())
    }

    /// Moves a dispute along open → in progress → resolved or rejected. Closing needs a
    /// resolution text; goodwill is recorded with it. Closed disputes stay closed.
    pub fn update_dispute(
        &mut self,
        id: i64,
        status: &str,
        resolution: &str,
        goodwill_points: i64,
        goodwill_cents: i64,
    ) -> Result<(), StoreError> {
        let refuse = |reason: &str| {
            Err(StoreError::Refused {
                reason: reason.to_owned(),
            })
        };
        let closing = matches!(status, "resolved" | "rejected");
        if !matches!(status, "open" | "in_progress" | "resolved" | "rejected") {
            return refuse("A dispute is open, in progress, resolved or rejected.");
        }
        if closing && resolution.trim().is_empty() {
            return refuse("Say how the dispute was resolved before closing it.");
        }
        if goodwill_points < 0 || goodwill_cents < 0 {
            return refuse("Goodwill cannot be negative.");
        }
        let now_closed: Option<String> = self
            .conn()
            .query_row("SELECT status FROM disputes WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| self.err(e))?;
        match now_closed.as_deref() {
            None => return refuse("There is no such dispute."),
            Some("resolved" | "rejected") => return refuse("This dispute is closed already."),
            Some(_) => {}
        }
        self.conn()
            .execute(
                "UPDATE disputes SET status = ?2, resolution = ?3, goodwill_points = ?4,
                        goodwill_cents = ?5, resolved_utc = ?6
                 WHERE id = ?1",
                params![
                    id,
                    status,
                    resolution.trim(),
                    goodwill_points,
                    goodwill_cents,
                    closing.then(now_utc)
                ],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// How many disputes are not resolved or rejected yet, and when the oldest of them was
    /// opened (seconds since the epoch, UTC).
    pub fn open_disputes_summary(&self) -> Result<(u64, Option<i64>), StoreError> {
        self.conn()
            .query_row(
                "SELECT count(*), min(opened_utc) FROM disputes
                 WHERE status IN ('open', 'in_progress')",
                [],
                |r| Ok((r.get::<_, i64>(0)?.max(0) as u64, r.get(1)?)),
            )
            .map_err(|e| self.err(e))
    }

    /// Disputes, open ones first, newest first within each.
    pub fn disputes(&self) -> Result<Vec<DisputeRow>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare(
                "SELECT d.id, d.customer_id, d.order_id, d.category, d.description, d.status,
                        d.resolution, d.goodwill_points, d.goodwill_cents, d.opened_utc,
                        d.resolved_utc, coalesce(c.display_name, '')
                 FROM disputes d LEFT JOIN customers c ON c.id = d.customer_id
                 ORDER BY d.status IN ('resolved', 'rejected'), d.opened_utc DESC, d.id DESC",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                let customer_id: i64 = r.get(1)?;
                let name: String = r.get(11)?;
                Ok(DisputeRow {
                    id: r.get(0)?,
                    customer_id,
                    customer_name: shown_name(customer_id, &name),
                    order_id: r.get(2)?,
                    category: r.get(3)?,
                    description: r.get(4)?,
                    status: r.get(5)?,
                    resolution: r.get(6)?,
                    goodwill_points: r.get(7)?,
                    goodwill_cents: r.get(8)?,
                    opened_utc: r.get(9)?,
                    resolved_utc: r.get(10)?,
                })
            })
            .map_err(|e| self.err(e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))?;
        Ok(rows)
    }

    /// Every customer in their own right (not merged into another) by number, with the
    /// name shown for them, for picking a customer by name.
    pub fn customer_names(&self) -> Result<Vec<(i64, String)>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare("SELECT id, display_name FROM customers WHERE merged_into IS NULL ORDER BY id")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                let id: i64 = r.get(0)?;
                Ok((id, shown_name(id, &r.get::<_, String>(1)?)))
            })
            .map_err(|e| self.err(e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))?;
        Ok(rows)
    }

    /// What the rules need about every customer, in a few scans.
    fn care_facts(&self) -> Result<Vec<CareCustomer>, StoreError> {
        let values = self.customer_values()?;
        let previous = self.previous_p_alive()?;
        let mut facts: BTreeMap<i64, CareCustomer> = BTreeMap::new();
        let extra = self.contact_facts()?;
        for row in values {
            let (birthday, consent) = extra.get(&row.id).cloned().unwrap_or((None, false));
            let score = row.score.as_ref();
            facts.insert(
                row.id,
                CareCustomer {
                    id: CustomerId(row.id),
                    first_name: first_name(&row.name),
                    spent_cents: row.revenue_cents,
                    clv_cents: score.map(|s| s.predicted_clv_cents),
                    p_alive: score.and_then(|s| s.p_alive),
                    previous_p_alive: previous.get(&row.id).copied(),
                    birthday,
                    marketing_consent: consent,
                    segment: score.and_then(|s| s.segment.clone()),
                    ..CareCustomer::default()
                },
            );
        }
        let mut orders = self
            .conn()
            .prepare(
                "SELECT coalesce(c.merged_into, c.id), o.id, o.local_date
                 FROM orders o JOIN customers c ON c.id = o.customer_id
                 WHERE o.status <> 'refund' AND NOT (o.refunded_cents > 0 AND o.net_cents <= 0)
                 ORDER BY o.placed_utc",
            )
            .map_err(|e| self.err(e))?;
        let mut found = orders.query([]).map_err(|e| self.err(e))?;
        while let Some(r) = found.next().map_err(|e| self.err(e))? {
            let customer: i64 = r.get(0).map_err(|e| self.err(e))?;
            let day: String = r.get(2).map_err(|e| self.err(e))?;
            if let (Some(f), Ok(day)) = (
                facts.get_mut(&customer),
                NaiveDate::parse_from_str(&day, "%Y-%m-%d"),
            ) {
                f.orders.push(CareOrder {
                    order_ref: format!("order:{}", r.get::<_, i64>(1).map_err(|e| self.err(e))?),
                    day,
                    product: None,
                });
            }
        }
        let mut requests = self
            .conn()
            .prepare("SELECT customer_id, due_date FROM care_tasks WHERE kind = 'review'")
            .map_err(|e| self.err(e))?;
        let mut found = requests.query([]).map_err(|e| self.err(e))?;
        while let Some(r) = found.next().map_err(|e| self.err(e))? {
            let customer: i64 = r.get(0).map_err(|e| self.err(e))?;
            let day: String = r.get(1).map_err(|e| self.err(e))?;
            if let (Some(f), Ok(day)) = (
                facts.get_mut(&customer),
                NaiveDate::parse_from_str(&day, "%Y-%m-%d"),
            ) {
                f.review_requests.push(day);
            }
        }
        let mut disputes = self
            .conn()
            .prepare(
                "SELECT customer_id, id, resolved_utc FROM disputes
                 WHERE status = 'resolved' AND resolved_utc IS NOT NULL",
            )
            .map_err(|e| self.err(e))?;
        let mut found = disputes.query([]).map_err(|e| self.err(e))?;
        while let Some(r) = found.next().map_err(|e| self.err(e))? {
            let customer: i64 = r.get(0).map_err(|e| self.err(e))?;
            let resolved: i64 = r.get(2).map_err(|e| self.err(e))?;
            if let (Some(f), Some(day)) = (
                facts.get_mut(&customer),
                chrono::DateTime::from_timestamp(resolved, 0).map(|t| t.date_naive()),
            ) {
                f.resolved_disputes
                    .push((r.get(1).map_err(|e| self.err(e))?, day));
            }
        }
        Ok(facts.into_values().collect())
    }

    /// Birthday (month, day) and consent per customer.
    fn contact_facts(&self) -> Result<BTreeMap<i64, ContactFacts>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare(
                "SELECT id, birthday, marketing_consent FROM customers WHERE merged_into IS NULL",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                let birthday: Option<String> = r.get(1)?;
                Ok((
                    r.get::<_, i64>(0)?,
                    (
                        birthday.as_deref().and_then(month_day),
                        r.get::<_, bool>(2)?,
                    ),
                ))
            })
            .map_err(|e| self.err(e))?
            .collect::<rusqlite::Result<BTreeMap<_, _>>>()
            .map_err(|e| self.err(e))?;
        Ok(rows)
    }

    /// Chance still active per customer in the run before the current one.
    fn previous_p_alive(&self) -> Result<BTreeMap<i64, f64>, StoreError> {
        let Some(current) = self.current_run()? else {
            return Ok(BTreeMap::new());
        };
        let Some(before) = self.run_before(current.id)? else {
            return Ok(BTreeMap::new());
        };
        Ok(self
            .run_scores(before.id)?
            .into_iter()
            .filter_map(|s| s.p_alive.map(|p| (s.customer_id.0, p)))
            .collect())
    }

    /// The template fields of one customer.
    fn message_fields(&self, customer: i64) -> Result<BTreeMap<&'static str, String>, StoreError> {
        let name: String = self
            .conn()
            .query_row(
                "SELECT display_name FROM customers WHERE id = ?1",
                [customer],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))?
            .unwrap_or_default();
        let points: i64 = self
            .conn()
            .query_row(
                "SELECT coalesce(sum(points), 0) FROM points_ledger
                 WHERE customer_id IN (SELECT id FROM customers
                                       WHERE id = ?1 OR merged_into = ?1)",
                [customer],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))?;
        let code: Option<String> = self
            .conn()
            .query_row(
                "SELECT code FROM referral_codes WHERE customer_id = ?1",
                [customer],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        let product: Option<String> = self
            .conn()
            .query_row(
                "SELECT l.name FROM order_lines l JOIN orders o ON o.id = l.order_id
                 WHERE o.customer_id IN (SELECT id FROM customers
                                         WHERE id = ?1 OR merged_into = ?1)
                   AND l.name <> ''
                 ORDER BY o.placed_utc DESC, l.line_no LIMIT 1",
                [customer],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        let reward: Option<String> = self
            .conn()
            .query_row(
                "SELECT name FROM rewards WHERE active = 1 ORDER BY points_cost LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        let mut fields = BTreeMap::new();
        fields.insert("first_name", first_name(&name));
        // No points, no code: the sentences that would name them are left out.
        if points > 0 {
            fields.insert("points", points.to_string());
        }
        if let Some(code) = code {
            fields.insert("code", code);
        }
        fields.insert(
            "last_product",
            product.unwrap_or_else(|| "order".to_owned()),
        );
        fields.insert(
            "reward",
            reward.unwrap_or_else(|| "a small thank-you".to_owned()),
        );
        let shop_name = self.shop_name()?;
        fields.insert(
            "shop_name",
            if shop_name.is_empty() {
                "our shop".to_owned()
            } else {
                shop_name
            },
        );
        Ok(fields)
    }

    fn task_rows(&self, filter: &str, value: &str) -> Result<Vec<CareTaskRow>, StoreError> {
        let sql = format!(
            "SELECT t.id, t.kind, t.customer_id, c.display_name, c.email, c.marketing_consent,
                    t.reason, t.due_date, t.status
             FROM care_tasks t JOIN customers c ON c.id = t.customer_id {filter}"
        );
        let mut stmt = self.conn().prepare(&sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([value], |r| {
                Ok((
                    r.get::<_, String>(1)?,
                    CareTaskRow {
                        id: r.get(0)?,
                        kind: TaskKind::ThankNew,
                        customer_id: r.get(2)?,
                        name: r.get(3)?,
                        email: r.get(4)?,
                        marketing_consent: r.get(5)?,
                        reason: r.get(6)?,
                        due: r.get(7)?,
                        status: r.get(8)?,
                    },
                ))
            })
            .map_err(|e| self.err(e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))?;
        Ok(rows
            .into_iter()
            .filter_map(|(kind, row)| {
                TaskKind::parse(&kind).map(|kind| CareTaskRow { kind, ..row })
            })
            .collect())
    }

    fn column(&self, sql: &str) -> Result<BTreeSet<String>, StoreError> {
        let mut stmt = self.conn().prepare(sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(|e| self.err(e))?
            .collect::<rusqlite::Result<BTreeSet<_>>>()
            .map_err(|e| self.err(e))?;
        Ok(rows)
    }

    fn put_setting(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }
}

/// What [`create_demo_care`] added.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DemoCare {
    /// Past thank-you tasks, done or skipped.
    pub past_tasks: u64,
    /// Disputes, closed and open.
    pub disputes: u64,
}

/// Complaints the demo shop received: category, what happened, and how it ended (an
/// empty resolution: still open).
const DEMO_DISPUTES: [(&str, &str, &str, &str); 8] = [
    (
        "Late delivery",
        "The parcel arrived nine days late.",
        "resolved",
        "Refunded the shipping and apologised.",
    ),
    (
        "Damaged",
        "The bag of beans was torn open in the box.",
        "resolved",
        "Sent a new bag with a sample of the house blend.",
    ),
    (
        "Wrong item",
        "Received decaf instead of the espresso blend.",
        "resolved",
        "Swapped the bag; they kept the decaf.",
    ),
    (
        "Billing",
        "Charged twice for one order.",
        "resolved",
        "Refunded the duplicate charge the same day.",
    ),
    (
        "Late delivery",
        "Says the order never arrived.",
        "rejected",
        "Tracking shows it was delivered to the front desk.",
    ),
    (
        "Service",
        "Unhappy with how the counter staff spoke to them.",
        "rejected",
        "Spoke with the team; no fault found, apologised for the experience.",
    ),
    ("Damaged", "The grinder lid cracked in transit.", "open", ""),
    (
        "Billing",
        "Asks why the welcome coupon was not applied.",
        "in_progress",
        "",
    ),
];

/// Sample care history for the demo shop, after its orders are loaded: thank-you tasks of
/// the past year done (by card or e-mail) or skipped, so "Did it help?" has results, and
/// a few disputes — closed ones on past orders, two still open — so the disputes tab and
/// the dashboard have something to show. One transaction; `today` is the day the demo
/// is loaded.
pub fn create_demo_care(store: &mut Store, today: NaiveDate) -> Result<DemoCare, StoreError> {
    let order_days = store.order_days_by_customer()?;
    let day_utc = |day: NaiveDate| {
        day.and_hms_opt(12, 0, 0)
            .map_or(0, |t| t.and_utc().timestamp())
    };
    let ago = |days: u64| today - chrono::Days::new(days);
    // Thank-you tasks for customers whose first order was 100 to 400 days ago.
    let mut newcomers: Vec<(NaiveDate, CustomerId)> = order_days
        .iter()
        .filter_map(|(id, days)| days.first().map(|first| (*first, *id)))
        .filter(|(first, _)| *first >= ago(400) && *first <= ago(100))
        .collect();
    newcomers.sort();
    let step = (newcomers.len() / 60).max(1);
    // Closed disputes: customers with an order 100 days ago or more and another after it.
    let mut regulars: Vec<(CustomerId, NaiveDate)> = order_days
        .iter()
        .filter_map(|(id, days)| {
            let earlier = days.iter().rev().find(|d| **d <= ago(100))?;
            (days.len() >= 2).then_some((*id, *earlier))
        })
        .collect();
    regulars.sort_by_key(|(id, day)| (std::cmp::Reverse(*day), *id));
    // Open disputes: the two customers who ordered last.
    let mut latest: Vec<(NaiveDate, CustomerId)> = order_days
        .iter()
        .filter_map(|(id, days)| days.last().map(|d| (*d, *id)))
        .collect();
    latest.sort();
    let path = store.path().to_path_buf();
    let sql = |e| StoreError::from_sqlite(&path, e);
    let tx = store.conn_mut().transaction().map_err(sql)?;
    let mut out = DemoCare::default();
    for (n, (first, customer)) in newcomers.iter().step_by(step).take(60).enumerate() {
        let due = *first + chrono::Days::new(2);
        let done = n % 3 != 2;
        let channel = if n % 2 == 0 { "card" } else { "email" };
        let added = tx
            .execute(
                "INSERT OR IGNORE INTO care_tasks (kind, customer_id, rule_key, reason, due_date,
                                                  status, done_utc, outcome, created_utc)
                 VALUES ('thank_new', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    customer.0,
                    format!("thank_new:{}", customer.0),
                    format!(
                        "First order on {first}: a personal thank-you makes a second order more likely."
                    ),
                    due.to_string(),
                    if done { "done" } else { "skipped" },
                    done.then(|| day_utc(due)),
                    done.then_some(channel),
                    day_utc(*first)
                ],
            )
            .map_err(sql)?;
        if added == 1 && done {
            tx.execute(
                "INSERT INTO touchpoints (customer_id, task_id, kind, channel, at_utc, note)
                 VALUES (?1, ?2, 'thank_new', ?3, ?4, '')",
                params![customer.0, tx.last_insert_rowid(), channel, day_utc(due)],
            )
            .map_err(sql)?;
        }
        out.past_tasks += added as u64;
    }
    let closed = DEMO_DISPUTES.iter().filter(|d| !d.3.is_empty());
    let open = DEMO_DISPUTES.iter().filter(|d| d.3.is_empty());
    let regular_step = (regulars.len() / 6).max(1);
    for ((category, what, status, resolution), (customer, day)) in
        closed.zip(regulars.iter().step_by(regular_step))
    {
        let opened = day_utc(*day + chrono::Days::new(1));
        tx.execute(
            "INSERT INTO disputes (customer_id, category, description, opened_utc, status,
                                   resolution, goodwill_points, resolved_utc)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                customer.0,
                category,
                what,
                opened,
                status,
                resolution,
                if *status == "resolved" { 50 } else { 0 },
                opened + 3 * 86_400
            ],
        )
        .map_err(sql)?;
        out.disputes += 1;
    }
    for ((category, what, status, _), (customer, days_ago)) in
        open.zip(latest.iter().rev().map(|(_, id)| id).zip([3_u64, 9]))
    {
        tx.execute(
            "INSERT INTO disputes (customer_id, category, description, opened_utc, status)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![customer.0, category, what, day_utc(ago(days_ago)), status],
        )
        .map_err(sql)?;
        out.disputes += 1;
    }
    tx.commit().map_err(sql)?;
    Ok(out)
}

/// A customer's birthday `(month, day)` and marketing consent.
type ContactFacts = (Option<(u32, u32)>, bool);

fn template_key(kind: TaskKind) -> String {
    format!("care_template:{}", kind.as_str())
}

/// The first word of a name ("Jane" of "Jane Doe"); the whole text when it is one word.
fn first_name(name: &str) -> String {
    name.split_whitespace().next().unwrap_or("").to_owned()
}

/// The UTC day of an instant (seconds since the epoch).
fn utc_day(utc_seconds: i64) -> Option<NaiveDate> {
    chrono::DateTime::from_timestamp(utc_seconds, 0).map(|t| t.date_naive())
}

/// The name shown for customer `id`: their display name, else "Customer #id".
fn shown_name(id: i64, display_name: &str) -> String {
    if display_name.trim().is_empty() {
        format!("Customer #{id}")
    } else {
        display_name.trim().to_owned()
    }
}

/// `(month, day)` of a stored birthday (`YYYY-MM-DD` or `--MM-DD`).
fn month_day(stored: &str) -> Option<(u32, u32)> {
    let tail = stored.get(stored.len().checked_sub(5)?..)?;
    let (month, day) = tail.split_once('-')?;
    Some((month.parse().ok()?, day.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn birthdays_read_with_or_without_year() {
        assert_eq!(month_day("1990-11-05"), Some((11, 5)));
        assert_eq!(month_day("--02-29"), Some((2, 29)));
        assert_eq!(month_day("x"), None);
        assert_eq!(first_name("Jane  Doe"), "Jane");
        assert_eq!(first_name(""), "");
    }
}
