//! The customer-care queue as pure rules: which customers to look after today and why,
//! the suggested message with its fields filled in, which tasks may go into a mail merge,
//! whether contacted customers came back more often than similar ones who were not, and
//! whether customers came back after a dispute as often as similar customers without one.
//!
//! It exists apart from `store` so the rules are tested on hand-built facts and the store
//! only persists what they produce. No SQLite, no egui, nothing is sent: the owner writes
//! the messages with their own mail program.
//!
//! # The rules, precisely (each can be switched off)
//! * **Thank new customers** — one task per customer, due `days_after` days after their
//!   first order. Key `thank_new:<customer>`.
//! * **Thank top customers** — customers in the top `top_percent`% by expected value (ties
//!   included) get a task every `every_months` months; the period is counted in whole
//!   `every_months` blocks from 1 January 2000, so regenerating inside one period gives the
//!   same key `thank_top:<customer>:<period>`.
//! * **Birthday offers** — due `days_ahead` days before the next birthday (a 29 February
//!   birthday is kept on 28 February in other years); customers who never bought are left
//!   out. Key `birthday:<customer>:<year>`.
//! * **Win back** — valuable customers (top `top_percent`% by what they spent) whose chance
//!   of still being active fell below `p_alive_below`, or who are more than `overdue_factor`
//!   times their usual gap past their last order. One task per last order: key
//!   `win_back:<customer>:<last order day>` — a new order resets it.
//! * **Review or survey** — `days_after` days after an order, but never within
//!   `min_days_between` days of the previous review request to that customer (counting
//!   requests already in the queue or done). Key `review:<customer>:<order ref>`.
//! * **Dispute follow-up** — `days_after` days after a dispute was resolved. Key
//!   `dispute:<dispute id>`.
//! * **Feature this customer** — Champions who agreed to marketing, once a year. Key
//!   `feature:<customer>:<year>`.
//!
//! Tasks are produced only when due on or before `today` (birthdays: when the offer day is
//! inside the lead time) and not more than [`CATCH_UP_DAYS`] days ago — the first refresh on
//! years of history asks for this fortnight's thank-yous and reviews, not for every order
//! ever — and a key already in the queue is never produced twice (the store keeps
//! `rule_key` unique, and [`generate_tasks`] skips keys it is told exist).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike as _, NaiveDate};

use crate::domain::CustomerId;

/// Tasks due longer ago than this are not produced: they are history, not today's work.
pub const CATCH_UP_DAYS: u64 = 14;

/// What kind of care a task asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TaskKind {
    /// Thank a new customer after their first order.
    ThankNew,
    /// Thank one of the most valuable customers.
    ThankTop,
    /// A birthday offer.
    Birthday,
    /// Win back a valuable customer who is slipping away.
    WinBack,
    /// Ask for a review or a survey answer.
    Review,
    /// Follow up after a resolved dispute.
    DisputeFollowUp,
    /// Feature a loyal customer (with their consent).
    Feature,
}

impl TaskKind {
    /// Every kind, in the order the queue lists them.
    pub const ALL: [TaskKind; 7] = [
        TaskKind::WinBack,
        TaskKind::DisputeFollowUp,
        TaskKind::Birthday,
        TaskKind::ThankNew,
        TaskKind::ThankTop,
        TaskKind::Review,
        TaskKind::Feature,
    ];

    /// The name stored in `care_tasks.kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskKind::ThankNew => "thank_new",
            TaskKind::ThankTop => "thank_top",
            TaskKind::Birthday => "birthday",
            TaskKind::WinBack => "win_back",
            TaskKind::Review => "review",
            TaskKind::DisputeFollowUp => "dispute_follow_up",
            TaskKind::Feature => "feature",
        }
    }

    /// The kind stored as `text`.
    pub fn parse(text: &str) -> Option<TaskKind> {
        TaskKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// The kind in words, for the queue.
    pub fn label(self) -> &'static str {
        match self {
            TaskKind::ThankNew => "Thank a new customer",
            TaskKind::ThankTop => "Thank a top customer",
            TaskKind::Birthday => "Birthday offer",
            TaskKind::WinBack => "Win back",
            TaskKind::Review => "Ask for a review",
            TaskKind::DisputeFollowUp => "Follow up a dispute",
            TaskKind::Feature => "Feature this customer",
        }
    }
}

/// The owner's rules for the queue. Days and months are whole numbers.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CareRules {
    /// Thank new customers.
    pub thank_new: bool,
    /// Days after the first order.
    pub thank_new_days_after: u32,
    /// Thank top customers.
    pub thank_top: bool,
    /// Top share by expected value, in percent.
    pub thank_top_percent: f64,
    /// Months between thanks.
    pub thank_top_every_months: u32,
    /// Birthday offers.
    pub birthday: bool,
    /// Days before the birthday.
    pub birthday_days_ahead: u32,
    /// Win back valuable customers slipping away.
    pub win_back: bool,
    /// Top share by spending that counts as valuable, in percent.
    pub win_back_top_percent: f64,
    /// Chance still active below which they are slipping away.
    pub win_back_p_alive_below: f64,
    /// Or this many usual gaps past their last order.
    pub win_back_overdue_factor: f64,
    /// Review and survey requests.
    pub review: bool,
    /// Days after an order.
    pub review_days_after: u32,
    /// At least this many days between two requests to one customer.
    pub review_min_days_between: u32,
    /// Follow up resolved disputes.
    pub dispute_follow_up: bool,
    /// Days after the resolution.
    pub dispute_days_after: u32,
    /// Suggest featuring Champions who agreed to marketing.
    pub feature: bool,
}

impl Default for CareRules {
    fn default() -> CareRules {
        CareRules {
            thank_new: true,
            thank_new_days_after: 2,
            thank_top: true,
            thank_top_percent: 5.0,
            thank_top_every_months: 6,
            birthday: true,
            birthday_days_ahead: 7,
            win_back: true,
            win_back_top_percent: 20.0,
            win_back_p_alive_below: 0.5,
            win_back_overdue_factor: 3.0,
            review: true,
            review_days_after: 10,
            review_min_days_between: 90,
            dispute_follow_up: true,
            dispute_days_after: 14,
            feature: true,
        }
    }
}

impl CareRules {
    /// What is wrong with the rules, in words; empty when they are usable.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let percent = |value: f64, what: &str, out: &mut Vec<String>| {
            if !(value.is_finite() && value > 0.0 && value <= 100.0) {
                out.push(format!("{what} must be more than 0% and at most 100%."));
            }
        };
        percent(
            self.thank_top_percent,
            "The share of top customers",
            &mut out,
        );
        percent(
            self.win_back_top_percent,
            "The share of valuable customers",
            &mut out,
        );
        if self.thank_top_every_months == 0 {
            out.push("Top customers can be thanked at most once a month.".to_owned());
        }
        if !(self.win_back_p_alive_below > 0.0 && self.win_back_p_alive_below < 1.0) {
            out.push(
                "The chance still active for win-back must be between 0% and 100%.".to_owned(),
            );
        }
        if !(self.win_back_overdue_factor.is_finite() && self.win_back_overdue_factor >= 1.0) {
            out.push("Overdue means at least one usual gap past the last order.".to_owned());
        }
        if self.birthday_days_ahead > 60 {
            out.push("Birthday offers go out at most 60 days ahead.".to_owned());
        }
        out
    }
}

/// One order as the rules see it.
#[derive(Clone, Debug, PartialEq)]
pub struct CareOrder {
    /// Stable reference (`order:<id>`).
    pub order_ref: String,
    /// The shop's day of the order.
    pub day: NaiveDate,
    /// The first product on it, for `{last_product}`.
    pub product: Option<String>,
}

/// What the rules know about one customer.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct CareCustomer {
    /// The customer.
    pub id: CustomerId,
    /// First name for messages.
    pub first_name: String,
    /// Purchases, any order (refund entries and fully refunded orders left out).
    pub orders: Vec<CareOrder>,
    /// Spending so far in minor units.
    pub spent_cents: i64,
    /// Expected value (minor units), when valued.
    pub clv_cents: Option<f64>,
    /// Chance still active now, when modelled.
    pub p_alive: Option<f64>,
    /// Chance still active in the previous valuation, for the reason's "fell from".
    pub previous_p_alive: Option<f64>,
    /// Birthday: `(month, day)`.
    pub birthday: Option<(u32, u32)>,
    /// Agreed to marketing messages.
    pub marketing_consent: bool,
    /// RFM segment name.
    pub segment: Option<String>,
    /// Days of review requests already in the queue or done.
    pub review_requests: Vec<NaiveDate>,
    /// Disputes resolved: `(dispute id, resolution day)`.
    pub resolved_disputes: Vec<(i64, NaiveDate)>,
}

/// A task the queue should hold.
#[derive(Clone, Debug, PartialEq)]
pub struct NewCareTask {
    /// The kind.
    pub kind: TaskKind,
    /// The customer.
    pub customer: CustomerId,
    /// The idempotency key (unique in `care_tasks.rule_key`).
    pub rule_key: String,
    /// When it is due.
    pub due: NaiveDate,
    /// Why, in plain words with the figures.
    pub reason: String,
}

/// Every task the rules ask for on `today` whose key is not in `existing`, in the order of
/// [`TaskKind::ALL`] then customer. Money in the reasons is formatted by `money`.
pub fn generate_tasks(
    rules: &CareRules,
    customers: &[CareCustomer],
    today: NaiveDate,
    existing: &BTreeSet<String>,
    money: &dyn Fn(f64) -> String,
) -> Vec<NewCareTask> {
    let top_clv = percentile_cut(
        customers.iter().filter_map(|c| c.clv_cents),
        rules.thank_top_percent,
    );
    let valuable_spend = percentile_cut(
        customers
            .iter()
            .filter(|c| !c.orders.is_empty())
            .map(|c| c.spent_cents as f64),
        rules.win_back_top_percent,
    );
    let mut tasks = Vec::new();
    for customer in customers {
        let Some(first) = customer.orders.iter().map(|o| o.day).min() else {
            continue;
        };
        let last = customer.orders.iter().map(|o| o.day).max().unwrap_or(first);
        let oldest = today - chrono::Days::new(CATCH_UP_DAYS);
        let mut add = |kind, key: String, due, reason: String| {
            if due <= today && due >= oldest && !existing.contains(&key) {
                tasks.push(NewCareTask {
                    kind,
                    customer: customer.id,
                    rule_key: key,
                    due,
                    reason,
                });
            }
        };
        if rules.thank_new {
            let due = first + chrono::Days::new(u64::from(rules.thank_new_days_after));
            add(
                TaskKind::ThankNew,
                format!("thank_new:{}", customer.id.0),
                due,
                format!(
                    "First order on {first}: a personal thank-you makes a second order more likely."
                ),
            );
        }
        if rules.thank_top
            && let (Some(clv), Some(cut)) = (customer.clv_cents, top_clv)
            && clv >= cut
        {
            let period = months_since_2000(today) / rules.thank_top_every_months.max(1);
            add(
                TaskKind::ThankTop,
                format!("thank_top:{}:{period}", customer.id.0),
                today,
                format!(
                    "One of your top {}% customers, worth {} over your horizon.",
                    rules.thank_top_percent,
                    money(clv)
                ),
            );
        }
        if rules.birthday
            && let Some((month, day)) = customer.birthday
            && let Some(next) = next_birthday(month, day, today)
        {
            let offer_from = next - chrono::Days::new(u64::from(rules.birthday_days_ahead));
            if offer_from <= today {
                add(
                    TaskKind::Birthday,
                    format!("birthday:{}:{}", customer.id.0, next.year()),
                    offer_from,
                    format!(
                        "Birthday on {}: send a birthday offer.",
                        next.format("%-d %B")
                    ),
                );
            }
        }
        if rules.win_back
            && let Some(cut) = valuable_spend
            && customer.spent_cents as f64 >= cut
            && let Some(why) = slipping_reason(rules, customer, last, today, money)
        {
            add(
                TaskKind::WinBack,
                format!("win_back:{}:{last}", customer.id.0),
                today,
                why,
            );
        }
        if rules.review {
            review_tasks(rules, customer, today, &mut add);
        }
        if rules.dispute_follow_up {
            for (dispute, resolved) in &customer.resolved_disputes {
                add(
                    TaskKind::DisputeFollowUp,
                    format!("dispute:{dispute}"),
                    *resolved + chrono::Days::new(u64::from(rules.dispute_days_after)),
                    format!("Dispute resolved on {resolved}: check they are happy now."),
                );
            }
        }
        if rules.feature
            && customer.marketing_consent
            && customer.segment.as_deref() == Some("Champions")
        {
            add(
                TaskKind::Feature,
                format!("feature:{}:{}", customer.id.0, today.year()),
                today,
                "A Champion who agreed to marketing: feature them (with their permission) in a post or newsletter.".to_owned(),
            );
        }
    }
    tasks.sort_by_key(|t| {
        (
            TaskKind::ALL.iter().position(|k| *k == t.kind),
            t.customer,
            t.due,
        )
    });
    tasks
}

/// Review requests: after each order, never within the spam window of another request.
fn review_tasks(
    rules: &CareRules,
    customer: &CareCustomer,
    today: NaiveDate,
    add: &mut dyn FnMut(TaskKind, String, NaiveDate, String),
) {
    let mut asked: Vec<NaiveDate> = customer.review_requests.clone();
    let mut orders: Vec<&CareOrder> = customer.orders.iter().collect();
    orders.sort_by_key(|o| o.day);
    for order in orders {
        let due = order.day + chrono::Days::new(u64::from(rules.review_days_after));
        if due > today {
            continue;
        }
        let too_soon = asked
            .iter()
            .any(|a| (due - *a).num_days().abs() < i64::from(rules.review_min_days_between));
        if too_soon {
            continue;
        }
        asked.push(due);
        add(
            TaskKind::Review,
            format!("review:{}:{}", customer.id.0, order.order_ref),
            due,
            format!(
                "Ordered on {}: ask how it went, or for a review.",
                order.day
            ),
        );
    }
}

/// Why a valuable customer counts as slipping away, or `None` when they do not.
fn slipping_reason(
    rules: &CareRules,
    customer: &CareCustomer,
    last: NaiveDate,
    today: NaiveDate,
    money: &dyn Fn(f64) -> String,
) -> Option<String> {
    let worth = format!("Spent {} with you; ", money(customer.spent_cents as f64));
    if let Some(p) = customer.p_alive
        && p < rules.win_back_p_alive_below
    {
        let change = match customer.previous_p_alive {
            Some(before) if before > p => format!(
                "chance still active fell from {:.0}% to {:.0}%",
                before * 100.0,
                p * 100.0
            ),
            _ => format!("chance still active is {:.0}%", p * 100.0),
        };
        return Some(format!("{worth}{change}."));
    }
    let gap = usual_gap_days(&customer.orders)?;
    let since = (today - last).num_days() as f64;
    (since > rules.win_back_overdue_factor * gap).then(|| {
        format!("{worth}usually orders every {gap:.0} days, last order {since:.0} days ago.")
    })
}

/// The median gap between a customer's order days, when they ordered on two days or more.
fn usual_gap_days(orders: &[CareOrder]) -> Option<f64> {
    let days: BTreeSet<NaiveDate> = orders.iter().map(|o| o.day).collect();
    let days: Vec<NaiveDate> = days.into_iter().collect();
    let mut gaps: Vec<i64> = days.windows(2).map(|w| (w[1] - w[0]).num_days()).collect();
    if gaps.is_empty() {
        return None;
    }
    gaps.sort_unstable();
    let mid = gaps.len() / 2;
    Some(if gaps.len().is_multiple_of(2) {
        (gaps[mid - 1] + gaps[mid]) as f64 / 2.0
    } else {
        gaps[mid] as f64
    })
}

/// The smallest value among the top `percent`% of `values` (ties included); `None` when
/// there are none.
fn percentile_cut(values: impl Iterator<Item = f64>, percent: f64) -> Option<f64> {
    let mut sorted: Vec<f64> = values.filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_unstable_by(|a, b| b.total_cmp(a));
    let count = ((sorted.len() as f64 * percent / 100.0).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[count - 1])
}

/// The next day (today or later) of a `month`/`day` birthday; 29 February falls on
/// 28 February in other years.
pub fn next_birthday(month: u32, day: u32, today: NaiveDate) -> Option<NaiveDate> {
    let in_year = |year: i32| {
        NaiveDate::from_ymd_opt(year, month, day).or_else(|| {
            (month == 2 && day == 29)
                .then(|| NaiveDate::from_ymd_opt(year, 2, 28))
                .flatten()
        })
    };
    let this_year = in_year(today.year())?;
    if this_year >= today {
        Some(this_year)
    } else {
        in_year(today.year() + 1)
    }
}

fn months_since_2000(day: NaiveDate) -> u32 {
    let months = (day.year() - 2000) * 12 + day.month0() as i32;
    months.max(0) as u32
}

/// The fields a message template may use.
pub const TEMPLATE_FIELDS: [&str; 6] = [
    "first_name",
    "points",
    "reward",
    "code",
    "last_product",
    "shop_name",
];

/// `template` with each `{field}` of [`TEMPLATE_FIELDS`] replaced by its value in `values`.
/// A sentence that uses a field `values` has no entry for is left out, so a customer with no
/// points is not told "You have 0 points waiting"; if that would leave nothing, the whole
/// template is filled with such fields empty. Anything else in braces is left exactly as
/// written, so a typo stays visible; nothing is escaped — the text goes into the owner's
/// own mail program as it is.
pub fn fill_template(template: &str, values: &BTreeMap<&str, String>) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    for sentence in sentences(template) {
        if fields_in(sentence).all(|field| values.contains_key(field)) {
            fill_sentence(sentence, values, &mut out);
        }
    }
    if out.trim().is_empty() {
        out.clear();
        fill_sentence(template, values, &mut out);
    }
    let kept = out.trim_end().len();
    out.truncate(kept);
    out
}

/// The sentences of `text`, each with the spaces after it: a sentence ends at `.`, `!` or
/// `?` followed by white space (or the end of the text).
fn sentences(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let bytes = rest.as_bytes();
        let mut end = rest.len();
        for (i, b) in bytes.iter().enumerate() {
            let next_is_space = bytes.get(i + 1).is_none_or(|n| n.is_ascii_whitespace());
            if matches!(b, b'.' | b'!' | b'?') && next_is_space {
                // The spaces after it belong to this sentence.
                end = i + 1;
                while bytes.get(end).is_some_and(u8::is_ascii_whitespace) {
                    end += 1;
                }
                break;
            }
        }
        let (sentence, after) = rest.split_at(end);
        rest = after;
        Some(sentence)
    })
}

/// The fields of [`TEMPLATE_FIELDS`] that `text` uses, as `{field}`.
fn fields_in(text: &str) -> impl Iterator<Item = &str> {
    TEMPLATE_FIELDS
        .into_iter()
        .filter(move |field| text.contains(&format!("{{{field}}}")))
}

/// Appends `sentence` to `out` with its known fields filled in.
fn fill_sentence(sentence: &str, values: &BTreeMap<&str, String>, out: &mut String) {
    let mut rest = sentence;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) if TEMPLATE_FIELDS.contains(&&after[..close]) => {
                let field = &after[..close];
                out.push_str(values.get(field).map_or("", String::as_str));
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
}

/// The default message for each kind of task. A reward's name is put after a colon, where
/// it reads right however the owner capitalised it ("…: Free drink.").
pub fn default_template(kind: TaskKind) -> &'static str {
    match kind {
        TaskKind::ThankNew => {
            "Hi {first_name}, thank you for your first order! We hope you enjoy the {last_product}."
        }
        TaskKind::ThankTop => {
            "Hi {first_name}, you are one of our favourite customers — thank you. You have {points} points waiting."
        }
        TaskKind::Birthday => {
            "Happy birthday, {first_name}! A present from us for your next visit: {reward}."
        }
        TaskKind::WinBack => {
            "Hi {first_name}, we miss you! Your next visit comes with a present on us: {reward}."
        }
        TaskKind::Review => {
            "Hi {first_name}, how was the {last_product}? We would love to hear what you think."
        }
        TaskKind::DisputeFollowUp => {
            "Hi {first_name}, we wanted to check that everything is fine now. Thank you for your patience."
        }
        TaskKind::Feature => {
            "Hi {first_name}, may we feature you as one of our regulars? We would love to tell your story."
        }
    }
}

/// A contacted (or comparable, not contacted) customer and whether they bought again
/// within 90 days.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Outcome {
    /// Contacted by this task kind.
    pub contacted: bool,
    /// Bought again within 90 days (of the contact, or of the day they would have been).
    pub came_back: bool,
}

/// Whether contact went with coming back more often: counts and shares of both groups and
/// the difference in percentage points. Observational: the groups may differ in other ways.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Lift {
    /// Contacted customers.
    pub contacted: u64,
    /// Of them, came back within 90 days.
    pub contacted_back: u64,
    /// Similar customers not contacted.
    pub others: u64,
    /// Of them, came back within 90 days.
    pub others_back: u64,
}

impl Lift {
    /// Counts the outcomes.
    pub fn of(outcomes: &[Outcome]) -> Lift {
        let mut lift = Lift {
            contacted: 0,
            contacted_back: 0,
            others: 0,
            others_back: 0,
        };
        for o in outcomes {
            if o.contacted {
                lift.contacted += 1;
                lift.contacted_back += u64::from(o.came_back);
            } else {
                lift.others += 1;
                lift.others_back += u64::from(o.came_back);
            }
        }
        lift
    }

    /// Percentage points more (or fewer) of the contacted who came back; `None` when a
    /// group is empty.
    pub fn points(&self) -> Option<f64> {
        (self.contacted > 0 && self.others > 0).then(|| {
            100.0
                * (self.contacted_back as f64 / self.contacted as f64
                    - self.others_back as f64 / self.others as f64)
        })
    }

    /// The comparison in words, labelled as observational.
    pub fn words(&self) -> String {
        match self.points() {
            None => "Not enough customers yet to compare.".to_owned(),
            Some(points) => format!(
                "{} of {} contacted customers came back within 90 days ({:.0}%), against {} of {} similar customers not contacted ({:.0}%): {points:+.0} points. Observed, not an experiment: the groups may differ in other ways.",
                self.contacted_back,
                self.contacted,
                100.0 * self.contacted_back as f64 / self.contacted as f64,
                self.others_back,
                self.others,
                100.0 * self.others_back as f64 / self.others as f64,
            ),
        }
    }
}

/// Days after a task (or a dispute) in which an order counts as coming back.
pub const OUTCOME_DAYS: u64 = 90;

/// Whether one of `order_days` (sorted) falls in the [`OUTCOME_DAYS`] days after `day`
/// (not on `day` itself: that order is what the task or dispute was about).
pub fn came_back_within(order_days: &[NaiveDate], day: NaiveDate) -> bool {
    let end = day + chrono::Days::new(OUTCOME_DAYS);
    let after = order_days.partition_point(|d| *d <= day);
    order_days.get(after).is_some_and(|d| *d <= end)
}

/// A past task as the outcome comparison sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PastTask {
    /// The kind.
    pub kind: TaskKind,
    /// The customer.
    pub customer: CustomerId,
    /// The day it was done, or (not done) the day it was due.
    pub day: NaiveDate,
    /// Done: the customer was contacted.
    pub contacted: bool,
}

/// Per task kind, whether contacted customers came back more often than customers the
/// same rule picked who were not contacted (the task skipped, or left open or snoozed).
/// Only tasks whose [`OUTCOME_DAYS`] have passed by `today` count. `order_days` holds each
/// customer's order days, sorted. Kinds without any counted task are left out; the rest
/// follow [`TaskKind::ALL`].
pub fn lift_by_kind(
    tasks: &[PastTask],
    order_days: &BTreeMap<CustomerId, Vec<NaiveDate>>,
    today: NaiveDate,
) -> Vec<(TaskKind, Lift)> {
    TaskKind::ALL
        .into_iter()
        .filter_map(|kind| {
            let outcomes: Vec<Outcome> = tasks
                .iter()
                .filter(|t| t.kind == kind)
                .filter(|t| t.day + chrono::Days::new(OUTCOME_DAYS) <= today)
                .map(|t| Outcome {
                    contacted: t.contacted,
                    came_back: order_days
                        .get(&t.customer)
                        .is_some_and(|days| came_back_within(days, t.day)),
                })
                .collect();
            (!outcomes.is_empty()).then(|| (kind, Lift::of(&outcomes)))
        })
        .collect()
}

/// A resolved or rejected dispute: who, and the day it was opened.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClosedDispute {
    /// The customer.
    pub customer: CustomerId,
    /// The day the dispute was opened.
    pub opened: NaiveDate,
}

/// How customers with a closed dispute came back, against similar customers without one.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct DisputeRetention {
    /// Customers with a closed dispute whose 90 days have passed (one per dispute).
    pub disputed: u64,
    /// Of them, ordered again within 90 days of opening it.
    pub disputed_back: u64,
    /// Comparisons with similar customers without a dispute (summed over the disputes; a
    /// customer may be compared with several disputes).
    pub similar: u64,
    /// Of those comparisons, the similar customer ordered within the same 90 days.
    pub similar_back: u64,
    /// The share of similar customers who came back, averaged over the disputes so each
    /// disputed customer counts once (`None` without comparisons).
    pub similar_share: Option<f64>,
    /// Closed disputes opened less than 90 days ago: too recent to tell.
    pub too_recent: u64,
}

impl DisputeRetention {
    /// The share of disputed customers who came back (`None` without any).
    pub fn disputed_share(&self) -> Option<f64> {
        (self.disputed > 0).then(|| self.disputed_back as f64 / self.disputed as f64)
    }

    /// The comparison in plain words, labelled as observational.
    pub fn words(&self) -> String {
        let recent = match self.too_recent {
            0 => String::new(),
            1 => " 1 closed dispute is too recent to tell.".to_owned(),
            n => format!(" {n} closed disputes are too recent to tell."),
        };
        let (Some(disputed), Some(similar)) = (self.disputed_share(), self.similar_share) else {
            return format!(
                "Not enough closed disputes older than {OUTCOME_DAYS} days yet to compare \
                 how customers came back after one.{recent}"
            );
        };
        let points = 100.0 * (disputed - similar);
        let verdict = if points.abs() < 5.0 {
            "about as often as".to_owned()
        } else if points > 0.0 {
            format!("{:.0} points more often than", points.abs())
        } else {
            format!("{:.0} points less often than", points.abs())
        };
        format!(
            "After a dispute was closed, {} of {} customers ordered again within {OUTCOME_DAYS} \
             days of raising it ({:.0}%): {verdict} similar customers without a dispute, with \
             the same number of orders by the same day ({:.0}%, from {} comparisons). \
             Observational, not proof: customers who complain may differ in other ways.{recent}",
            self.disputed_back,
            self.disputed,
            100.0 * disputed,
            100.0 * similar,
            crate::domain::group_thousands(self.similar)
        )
    }
}

/// Orders up to `day` put in bands (1, 2, 3-4, 5-9, 10 or more) so customers with a
/// similar history are compared; 0 when they had not ordered yet.
fn order_band(order_days: &[NaiveDate], day: NaiveDate) -> u8 {
    match order_days.partition_point(|d| *d <= day) {
        0 => 0,
        1 => 1,
        2 => 2,
        3..=4 => 3,
        5..=9 => 4,
        _ => 5,
    }
}

/// For each closed dispute whose [`OUTCOME_DAYS`] have passed by `today`: did the
/// customer order again within 90 days of opening it; and, on the same day, did
/// customers without any dispute (none of `with_any_dispute`, which also holds those with
/// a dispute still open) in the same band of orders so far. `order_days` holds every
/// customer's order days, sorted.
pub fn dispute_retention(
    disputes: &[ClosedDispute],
    with_any_dispute: &BTreeSet<CustomerId>,
    order_days: &BTreeMap<CustomerId, Vec<NaiveDate>>,
    today: NaiveDate,
) -> DisputeRetention {
    let disputed: BTreeSet<CustomerId> = disputes
        .iter()
        .map(|d| d.customer)
        .chain(with_any_dispute.iter().copied())
        .collect();
    let empty = Vec::new();
    let mut out = DisputeRetention::default();
    let mut shares = Vec::new();
    // Per opening day, (similar, came back) for each band: one pass over the customers per
    // distinct day, however many disputes were opened on it.
    let mut by_day: BTreeMap<NaiveDate, [(u64, u64); 6]> = BTreeMap::new();
    for dispute in disputes {
        if dispute.opened + chrono::Days::new(OUTCOME_DAYS) > today {
            out.too_recent += 1;
            continue;
        }
        let days = order_days.get(&dispute.customer).unwrap_or(&empty);
        out.disputed += 1;
        out.disputed_back += u64::from(came_back_within(days, dispute.opened));
        let band = usize::from(order_band(days, dispute.opened).max(1));
        let bands = by_day.entry(dispute.opened).or_insert_with(|| {
            let mut bands = [(0, 0); 6];
            for (customer, days) in order_days {
                if disputed.contains(customer) {
                    continue;
                }
                let slot = &mut bands[usize::from(order_band(days, dispute.opened))];
                slot.0 += 1;
                slot.1 += u64::from(came_back_within(days, dispute.opened));
            }
            bands
        });
        let (similar, back) = bands[band];
        if similar > 0 {
            shares.push(back as f64 / similar as f64);
        }
        out.similar += similar;
        out.similar_back += back;
    }
    if !shares.is_empty() {
        out.similar_share = Some(shares.iter().sum::<f64>() / shares.len() as f64);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn customer(id: i64, order_days: &[&str]) -> CareCustomer {
        CareCustomer {
            id: CustomerId(id),
            first_name: format!("C{id}"),
            orders: order_days
                .iter()
                .enumerate()
                .map(|(i, d)| CareOrder {
                    order_ref: format!("order:{id}{i}"),
                    day: day(d),
                    product: Some("Latte".to_owned()),
                })
                .collect(),
            spent_cents: 1_000 * order_days.len() as i64,
            ..CareCustomer::default()
        }
    }

    fn only(rules: &CareRules) -> impl Fn(&[CareCustomer], &str) -> Vec<NewCareTask> + '_ {
        move |customers, today| {
            generate_tasks(rules, customers, day(today), &BTreeSet::new(), &|v| {
                format!("€{:.0}", v / 100.0)
            })
        }
    }

    fn off() -> CareRules {
        CareRules {
            thank_new: false,
            thank_top: false,
            birthday: false,
            win_back: false,
            review: false,
            dispute_follow_up: false,
            feature: false,
            ..CareRules::default()
        }
    }

    #[test]
    fn thank_new_is_due_after_the_first_order_once() {
        let rules = CareRules {
            thank_new: true,
            ..off()
        };
        let run = only(&rules);
        let people = [customer(1, &["2026-03-01", "2026-03-20"])];
        assert!(run(&people, "2026-03-02").is_empty(), "not due yet");
        assert!(
            run(&people, "2026-04-01").is_empty(),
            "a month late is history"
        );
        let tasks = run(&people, "2026-03-03");
        assert_eq!(tasks.len(), 1);
        assert_eq!(tasks[0].rule_key, "thank_new:1");
        assert_eq!(tasks[0].due, day("2026-03-03"));
        let existing: BTreeSet<String> = tasks.iter().map(|t| t.rule_key.clone()).collect();
        let again = generate_tasks(&rules, &people, day("2026-04-01"), &existing, &|v| {
            format!("{v}")
        });
        assert!(again.is_empty(), "never twice");
    }

    #[test]
    fn top_customers_are_thanked_once_per_period() {
        let rules = CareRules {
            thank_top: true,
            thank_top_percent: 50.0,
            thank_top_every_months: 6,
            ..off()
        };
        let mut people: Vec<CareCustomer> = (1..=4).map(|i| customer(i, &["2026-01-05"])).collect();
        for (i, p) in people.iter_mut().enumerate() {
            p.clv_cents = Some(100.0 * (i as f64 + 1.0));
        }
        let run = only(&rules);
        let first = run(&people, "2026-02-10");
        let ids: Vec<i64> = first.iter().map(|t| t.customer.0).collect();
        assert_eq!(ids, [3, 4], "the top half by expected value");
        let later_same_period = run(&people, "2026-05-30");
        assert_eq!(first[0].rule_key, later_same_period[0].rule_key);
        let next_period = run(&people, "2026-07-01");
        assert_ne!(first[0].rule_key, next_period[0].rule_key);
    }

    #[test]
    fn birthday_offers_come_the_lead_time_ahead_including_leap_days() {
        let rules = CareRules {
            birthday: true,
            birthday_days_ahead: 7,
            ..off()
        };
        let run = only(&rules);
        let mut jane = customer(1, &["2025-01-10"]);
        jane.birthday = Some((3, 15));
        assert!(run(std::slice::from_ref(&jane), "2026-03-07").is_empty());
        let tasks = run(std::slice::from_ref(&jane), "2026-03-08");
        assert_eq!(tasks[0].rule_key, "birthday:1:2026");
        assert_eq!(tasks[0].due, day("2026-03-08"));
        let mut leap = customer(2, &["2025-01-10"]);
        leap.birthday = Some((2, 29));
        let tasks = run(&[leap], "2026-02-21");
        assert_eq!(
            tasks[0].reason,
            "Birthday on 28 February: send a birthday offer."
        );
        let mut never_bought = customer(3, &[]);
        never_bought.birthday = Some((3, 15));
        assert!(run(&[never_bought], "2026-03-10").is_empty());
    }

    #[test]
    fn win_back_needs_value_and_a_fall_or_a_long_silence() {
        let rules = CareRules {
            win_back: true,
            win_back_top_percent: 50.0,
            ..off()
        };
        let run = only(&rules);
        let mut falling = customer(1, &["2025-01-01", "2025-02-01", "2025-03-01"]);
        falling.p_alive = Some(0.35);
        falling.previous_p_alive = Some(0.82);
        falling.clv_cents = Some(124_000.0);
        let mut quiet = customer(2, &["2025-01-01", "2025-01-11", "2025-01-21"]);
        quiet.p_alive = Some(0.9);
        let mut small = customer(3, &["2025-06-01"]);
        small.p_alive = Some(0.1);
        let mut fine = customer(4, &["2025-01-01", "2025-02-01", "2025-03-01"]);
        fine.p_alive = Some(0.9);
        let tasks = run(&[falling, quiet, small, fine], "2025-03-20");
        let ids: Vec<i64> = tasks.iter().map(|t| t.customer.0).collect();
        assert_eq!(ids, [1, 2]);
        assert_eq!(
            tasks[0].reason,
            "Spent €30 with you; chance still active fell from 82% to 35%."
        );
        assert_eq!(
            tasks[1].reason,
            "Spent €30 with you; usually orders every 10 days, last order 58 days ago."
        );
        assert_eq!(tasks[0].rule_key, "win_back:1:2025-03-01");
    }

    #[test]
    fn review_requests_respect_the_spam_window() {
        let rules = CareRules {
            review: true,
            review_days_after: 10,
            review_min_days_between: 90,
            ..off()
        };
        let run = only(&rules);
        let mut regular = customer(1, &["2026-01-01", "2026-01-15", "2026-05-01"]);
        let dues = |tasks: Vec<NewCareTask>| tasks.iter().map(|t| t.due).collect::<Vec<_>>();
        let once = dues(run(std::slice::from_ref(&regular), "2026-01-20"));
        assert_eq!(
            once,
            [day("2026-01-11")],
            "the 15 January order is too soon after"
        );
        // Asked on 11 January: 25 January is inside 90 days, 11 May is not.
        regular.review_requests = vec![day("2026-01-11")];
        assert!(run(std::slice::from_ref(&regular), "2026-01-26").is_empty());
        let may = dues(run(std::slice::from_ref(&regular), "2026-05-12"));
        assert_eq!(may, [day("2026-05-11")]);
        // A request already made on 20 April blocks the May one.
        regular.review_requests = vec![day("2026-04-20")];
        assert!(run(&[regular], "2026-05-12").is_empty());
    }

    #[test]
    fn disputes_and_featured_champions() {
        let rules = CareRules {
            dispute_follow_up: true,
            feature: true,
            ..off()
        };
        let run = only(&rules);
        let mut upset = customer(1, &["2026-01-01"]);
        upset.resolved_disputes = vec![(9, day("2026-02-01"))];
        let mut champion = customer(2, &["2026-01-01"]);
        champion.segment = Some("Champions".to_owned());
        champion.marketing_consent = true;
        let mut shy = champion.clone();
        shy.id = CustomerId(3);
        shy.marketing_consent = false;
        let tasks = run(&[upset, champion, shy], "2026-02-20");
        let keys: Vec<&str> = tasks.iter().map(|t| t.rule_key.as_str()).collect();
        assert_eq!(keys, ["dispute:9", "feature:2:2026"]);
        assert_eq!(tasks[0].due, day("2026-02-15"));
    }

    #[test]
    fn templates_fill_known_fields_and_leave_the_rest_as_written() {
        let values: BTreeMap<&str, String> = [
            ("first_name", "Zoë".to_owned()),
            ("points", "120".to_owned()),
            ("code", "<B&D-7K2>".to_owned()),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            fill_template("Hi {first_name}, {points} points; code {code}.", &values),
            "Hi Zoë, 120 points; code <B&D-7K2>."
        );
        for (template, filled) in [
            // A sentence with a field that has no value (no reward here) is left out,
            // wherever it stands; the others keep their punctuation and spacing.
            (
                "Hi {first_name}! Enjoy {reward}. You have {points} points. Thanks?  Bye.",
                "Hi Zoë! You have 120 points. Thanks?  Bye.",
            ),
            (
                "Thanks, {first_name}. Your present: {reward}.",
                "Thanks, Zoë.",
            ),
            ("Hi {first_name}. {reward}", "Hi Zoë."),
            // A full stop inside a word or number does not end a sentence; a template that
            // would be left empty is filled whole, the missing field empty.
            (
                "See www.shop.example for 2.5 kg of {reward}",
                "See www.shop.example for 2.5 kg of",
            ),
            // Unknown fields and stray braces stay as written.
            ("{first_nam} {{first_name}} {", "{first_nam} {Zoë} {"),
        ] {
            assert_eq!(fill_template(template, &values), filled, "{template}");
        }
        let mut every_field = values.clone();
        every_field.insert("reward", "Free drink".to_owned());
        every_field.insert("last_product", "House blend".to_owned());
        every_field.insert("shop_name", "Bean There".to_owned());
        for kind in TaskKind::ALL {
            let filled = fill_template(default_template(kind), &every_field);
            assert!(filled.contains("Zoë"), "{kind:?}");
            assert_eq!(TaskKind::parse(kind.as_str()), Some(kind));
            // The owner's reward name ("Free drink") reads right after a colon, not
            // mid-sentence ("enjoy Free drink").
            let template = default_template(kind);
            if let Some(at) = template.find("{reward}") {
                assert!(template[..at].ends_with(": "), "{kind:?}: {template}");
            }
        }
    }

    #[test]
    fn lift_compares_the_contacted_with_the_others() {
        let outcomes: Vec<Outcome> = [
            (true, true),
            (true, true),
            (true, false),
            (false, true),
            (false, false),
            (false, false),
            (false, false),
        ]
        .into_iter()
        .map(|(contacted, came_back)| Outcome {
            contacted,
            came_back,
        })
        .collect();
        let lift = Lift::of(&outcomes);
        assert_eq!(
            (
                lift.contacted,
                lift.contacted_back,
                lift.others,
                lift.others_back
            ),
            (3, 2, 4, 1)
        );
        assert!((lift.points().unwrap() - (200.0 / 3.0 - 25.0)).abs() < 1e-9);
        assert!(lift.words().contains("Observed, not an experiment"));
        assert_eq!(Lift::of(&[]).points(), None);
    }

    fn days(list: &[&str]) -> Vec<NaiveDate> {
        list.iter().map(|d| day(d)).collect()
    }

    #[test]
    fn coming_back_counts_orders_in_the_90_days_after() {
        let orders = days(&["2026-01-01", "2026-04-01"]);
        assert!(
            came_back_within(&orders, day("2026-01-01")),
            "90 days later"
        );
        assert!(came_back_within(&orders, day("2025-12-31")), "the next day");
        assert!(
            !came_back_within(&orders, day("2026-04-01")),
            "not the same day"
        );
        assert!(!came_back_within(
            &days(&["2026-01-01", "2026-04-02"]),
            day("2026-01-01")
        ));
        assert!(!came_back_within(&[], day("2026-01-01")));
    }

    #[test]
    fn lift_by_kind_compares_done_with_skipped_once_90_days_passed() {
        let orders: BTreeMap<CustomerId, Vec<NaiveDate>> = [
            (1, days(&["2026-01-01", "2026-02-01"])), // back after the task
            (2, days(&["2026-01-01", "2026-02-15"])), // back
            (3, days(&["2026-01-01"])),               // never back
            (4, days(&["2026-01-01", "2026-05-01"])), // back, but after 90 days
            (5, days(&["2026-01-01", "2026-01-20"])), // back
            (6, days(&["2026-03-01", "2026-03-05"])), // too recent to count
        ]
        .into_iter()
        .map(|(id, d)| (CustomerId(id), d))
        .collect();
        let task = |kind, id, d: &str, contacted| PastTask {
            kind,
            customer: CustomerId(id),
            day: day(d),
            contacted,
        };
        let tasks = [
            task(TaskKind::ThankNew, 1, "2026-01-03", true),
            task(TaskKind::ThankNew, 2, "2026-01-03", true),
            task(TaskKind::ThankNew, 3, "2026-01-03", true),
            task(TaskKind::ThankNew, 4, "2026-01-03", false),
            task(TaskKind::ThankNew, 5, "2026-01-03", false),
            task(TaskKind::ThankNew, 6, "2026-03-03", true),
            task(TaskKind::Review, 3, "2026-01-11", false),
        ];
        let lifts = lift_by_kind(&tasks, &orders, day("2026-05-01"));
        let kinds: Vec<TaskKind> = lifts.iter().map(|(k, _)| *k).collect();
        assert_eq!(kinds, [TaskKind::ThankNew, TaskKind::Review]);
        let thank = lifts[0].1;
        assert_eq!(
            (
                thank.contacted,
                thank.contacted_back,
                thank.others,
                thank.others_back
            ),
            (3, 2, 2, 1)
        );
        assert!((thank.points().unwrap() - (200.0 / 3.0 - 50.0)).abs() < 1e-9);
        let review = lifts[1].1;
        assert_eq!(
            (review.contacted, review.others, review.others_back),
            (0, 1, 0)
        );
        assert_eq!(review.points(), None);
    }

    #[test]
    fn dispute_retention_compares_with_customers_of_the_same_history() {
        let orders: BTreeMap<CustomerId, Vec<NaiveDate>> = [
            // Disputed customers: 10 came back, 11 did not.
            (10, days(&["2025-12-01", "2026-01-01", "2026-02-01"])),
            (11, days(&["2026-01-01"])),
            // Similar (two orders by 5 January): one back of two.
            (20, days(&["2025-11-01", "2026-01-02", "2026-03-01"])),
            (21, days(&["2025-10-01", "2025-12-20"])),
            // Similar to 11 (one order): none back.
            (22, days(&["2025-12-30"])),
            // Not similar to either: six orders, always back.
            (
                23,
                days(&[
                    "2025-07-01",
                    "2025-08-01",
                    "2025-09-01",
                    "2025-10-01",
                    "2025-11-01",
                    "2026-01-10",
                ]),
            ),
            // Not a customer yet on 5 January.
            (24, days(&["2026-02-01", "2026-02-10"])),
        ]
        .into_iter()
        .map(|(id, d)| (CustomerId(id), d))
        .collect();
        let closed = [
            ClosedDispute {
                customer: CustomerId(10),
                opened: day("2026-01-05"),
            },
            ClosedDispute {
                customer: CustomerId(11),
                opened: day("2026-01-05"),
            },
            ClosedDispute {
                customer: CustomerId(11),
                opened: day("2026-06-01"),
            },
        ];
        let open_dispute: BTreeSet<CustomerId> = [CustomerId(21)].into_iter().collect();
        let r = dispute_retention(&closed, &BTreeSet::new(), &orders, day("2026-06-30"));
        assert_eq!((r.disputed, r.disputed_back, r.too_recent), (2, 1, 1));
        assert_eq!((r.similar, r.similar_back), (3, 1));
        assert!(
            (r.similar_share.unwrap() - 0.25).abs() < 1e-9,
            "mean of 1/2 and 0/1"
        );
        let words = r.words();
        assert!(
            words.contains("1 of 2 customers ordered again within 90 days"),
            "{words}"
        );
        assert!(words.contains("25 points more often than"), "{words}");
        assert!(words.contains("Observational, not proof"));
        assert!(words.contains("1 closed dispute is too recent to tell."));
        // Customer 21 with a dispute still open is not a customer "without a dispute".
        let r = dispute_retention(&closed, &open_dispute, &orders, day("2026-06-30"));
        assert_eq!((r.similar, r.similar_back), (2, 1));
        assert!(
            (r.similar_share.unwrap() - 0.5).abs() < 1e-9,
            "mean of 1/1 and 0/1"
        );
        let none = dispute_retention(&[], &BTreeSet::new(), &orders, day("2026-06-30"));
        assert!(none.words().starts_with("Not enough closed disputes"));
    }

    #[test]
    fn rules_are_checked_in_words() {
        assert!(CareRules::default().problems().is_empty());
        let bad = CareRules {
            thank_top_percent: 0.0,
            win_back_p_alive_below: 1.5,
            ..CareRules::default()
        };
        assert_eq!(bad.problems().len(), 2);
    }
}
