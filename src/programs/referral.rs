//! The referral program as pure rules: no SQLite, no egui. `store::referrals` gathers the
//! facts (codes, referrals, friends' first orders, contact details, CLV) and persists what
//! these functions decide; keeping the rules here lets each one be tested on hand-built
//! cases and keeps every decision explainable in plain words.
//!
//! # The rules, precisely
//! * **Codes** are `NAME-XXX`: the customer's first name (letters only, accents folded,
//!   upper case, at most 8 letters; `FRIEND` when there is none) and three characters from
//!   an alphabet without look-alikes (no `0/O`, `1/I/L`). The suffix is derived from a seed
//!   (the customer id) and an attempt number, so the same customer gets the same code; a
//!   collision moves to the next attempt, and after 64 attempts to four characters.
//! * **Qualification.** The friend's *first order* (earliest purchase) must be on or after
//!   the referral's day (else the friend was already a customer), be worth at least
//!   [`ReferralRules::min_first_order_cents`] (paid, before refunds), and keep at least that
//!   value after any refund dated within [`ReferralRules::refund_window_days`] of the order.
//!   The window must be over — judged on the day the imported data reaches
//!   ([`ReferralFacts::known_until`], not the calendar: a refund is only known once a file
//!   with it is imported) — before the referral qualifies. The qualifying day is the order
//!   day + the window.
//! * **Review.** A referral with fraud flags waits in `review` (with the evidence) until the
//!   owner approves it, unless it already failed a hard rule (then it is rejected).
//! * **Cap.** At most [`ReferralRules::cap_per_referrer`] rewarded referrals per referrer
//!   among those qualifying within any [`ReferralRules::cap_period_days`]-day span; a
//!   referral over the cap is `qualified` (not rewarded), with the reason.
//! * **Rewards** are issued once: a `rewarded` referral stays rewarded unless its first
//!   order is refunded within the window (learnt from a later import) or the owner rejects
//!   it; then it is `rejected` and the store appends reversing entries. Later fraud flags,
//!   a full cap or a minimum first order raised after the reward never take an issued
//!   reward back.
//! * **Fraud checks** (each returns its evidence in words): *self-referral* — the same
//!   mailbox (canonical e-mail: case, Gmail dots and `+tags` ignored), the same phone (last
//!   9 digits) or the same full name; *shared contact details* — the same postcode, or the
//!   same e-mail user name at another domain; *burst* — more than
//!   [`ReferralRules::burst_count`] referrals by one referrer within
//!   [`ReferralRules::burst_days`] days.
//!
//! # The report's ranges
//! 80% ranges: a Student-t interval for mean CLV (mean ± t₀.₉,ₙ₋₁ · s/√n; exact table up to
//! 30 degrees of freedom, Cornish–Fisher expansion beyond), a Wilson score interval for the
//! repeat rate (it stays inside 0–1 and behaves for small groups). Groups under two
//! customers get no range.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{Duration, NaiveDate};

use crate::domain::CustomerId;

/// Characters of code suffixes and vouchers: no `0/O`, `1/I/L` look-alikes.
pub const CODE_ALPHABET: &[u8; 31] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// Longest name part of a code, in letters.
const MAX_STEM_LETTERS: usize = 8;

/// Attempts with a three-character suffix before a fourth character is added.
const SHORT_SUFFIX_ATTEMPTS: u32 = 64;

/// z for a two-sided 80% range (the 90th percentile of the standard normal).
const Z_80: f64 = 1.281_551_565_545;

/// t₀.₉ for 1 … 30 degrees of freedom.
const T_80: [f64; 30] = [
    3.078, 1.886, 1.638, 1.533, 1.476, 1.440, 1.415, 1.397, 1.383, 1.372, 1.363, 1.356, 1.350,
    1.345, 1.341, 1.337, 1.333, 1.330, 1.328, 1.325, 1.323, 1.321, 1.319, 1.318, 1.316, 1.315,
    1.314, 1.313, 1.311, 1.310,
];

/// The owner's referral rules.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ReferralRules {
    /// Loyalty points for the referrer when a referral is rewarded (0: none).
    pub referrer_points: i64,
    /// Loyalty points for the friend when a referral is rewarded (0: none).
    pub friend_points: i64,
    /// A reward of the catalogue given to the referrer as a voucher, if any.
    pub referrer_reward_id: Option<i64>,
    /// A reward of the catalogue given to the friend as a voucher, if any.
    pub friend_reward_id: Option<i64>,
    /// The friend's first order must be worth at least this (paid, in cents).
    pub min_first_order_cents: i64,
    /// A refund within this many days of the first order disqualifies it.
    pub refund_window_days: u32,
    /// At most this many rewarded referrals per referrer per period; `None`: no cap.
    pub cap_per_referrer: Option<u32>,
    /// The cap's period in days.
    pub cap_period_days: u32,
    /// More than this many referrals by one referrer within `burst_days` is a burst.
    pub burst_count: u32,
    /// The burst check's span in days (0 switches it off).
    pub burst_days: u32,
}

impl Default for ReferralRules {
    fn default() -> Self {
        ReferralRules {
            referrer_points: 200,
            friend_points: 100,
            referrer_reward_id: None,
            friend_reward_id: None,
            min_first_order_cents: 20_00,
            refund_window_days: 30,
            cap_per_referrer: Some(5),
            cap_period_days: 365,
            burst_count: 3,
            burst_days: 7,
        }
    }
}

/// One problem with [`ReferralRules`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleProblem {
    /// Which field (`referrer_points`, …).
    pub field: &'static str,
    /// What is wrong, in a sentence an owner can act on.
    pub message: String,
}

impl fmt::Display for RuleProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl ReferralRules {
    /// Checks the rules; every problem found, each naming its field.
    pub fn validate(&self) -> Result<(), Vec<RuleProblem>> {
        let mut problems = Vec::new();
        let mut problem = |field: &'static str, message: &str| {
            problems.push(RuleProblem {
                field,
                message: message.to_owned(),
            });
        };
        if self.referrer_points < 0 {
            problem(
                "referrer_points",
                "The referrer's points cannot be negative.",
            );
        }
        if self.friend_points < 0 {
            problem("friend_points", "The friend's points cannot be negative.");
        }
        if self.referrer_reward_id.is_some_and(|id| id <= 0) {
            problem("referrer_reward_id", "Choose a reward from the catalogue.");
        }
        if self.friend_reward_id.is_some_and(|id| id <= 0) {
            problem("friend_reward_id", "Choose a reward from the catalogue.");
        }
        if self.min_first_order_cents < 0 {
            problem(
                "min_first_order_cents",
                "The minimum first order cannot be negative.",
            );
        }
        if self.refund_window_days > 365 {
            problem(
                "refund_window_days",
                "The refund window can be at most 365 days.",
            );
        }
        if self.cap_per_referrer == Some(0) {
            problem(
                "cap_per_referrer",
                "A cap of 0 rewards nobody; switch the cap off instead.",
            );
        }
        if self.cap_per_referrer.is_some() && self.cap_period_days == 0 {
            problem(
                "cap_period_days",
                "The cap's period must be at least 1 day.",
            );
        }
        if self.burst_days > 0 && self.burst_count == 0 {
            problem(
                "burst_count",
                "A burst must be more than at least 1 referral; set the days to 0 to switch the check off.",
            );
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// Whether a rewarded referral gives anything (points or a voucher) to either side.
    pub fn gives_rewards(&self) -> bool {
        self.referrer_points > 0
            || self.friend_points > 0
            || self.referrer_reward_id.is_some()
            || self.friend_reward_id.is_some()
    }
}

// ---------------------------------------------------------------------------------------
// Codes

/// The name part of a code: the first name's letters, accents folded, upper case.
pub fn code_stem(name: &str) -> String {
    let name = name.split('@').next().unwrap_or(name);
    let first = name
        .split(|c: char| !c.is_alphabetic())
        .find(|w| !w.is_empty())
        .unwrap_or("");
    let stem: String = first
        .chars()
        .filter_map(fold_letter)
        .take(MAX_STEM_LETTERS)
        .collect();
    if stem.is_empty() {
        "FRIEND".to_owned()
    } else {
        stem
    }
}

/// An ASCII capital for a letter (common Latin accents folded); `None` for anything else.
fn fold_letter(c: char) -> Option<char> {
    let upper = c.to_uppercase().next().unwrap_or(c);
    let folded = match upper {
        'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' | 'Ą' => 'A',
        'Ç' | 'Ć' | 'Č' => 'C',
        'È' | 'É' | 'Ê' | 'Ë' | 'Ę' | 'Ě' => 'E',
        'Ì' | 'Í' | 'Î' | 'Ï' => 'I',
        'Ñ' | 'Ń' | 'Ň' => 'N',
        'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => 'O',
        'Ù' | 'Ú' | 'Û' | 'Ü' | 'Ů' => 'U',
        'Ý' | 'Ÿ' => 'Y',
        'Ś' | 'Š' | 'ß' => 'S',
        'Ź' | 'Ż' | 'Ž' => 'Z',
        'Ł' => 'L',
        'Ř' => 'R',
        other => other,
    };
    folded.is_ascii_uppercase().then_some(folded)
}

/// SplitMix64: a small, well-mixed deterministic hash step.
fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// `length` characters of [`CODE_ALPHABET`] from `seed` and `attempt`.
pub fn code_suffix(seed: u64, attempt: u32, length: usize) -> String {
    let mut state = splitmix64(seed ^ splitmix64(u64::from(attempt)));
    (0..length)
        .map(|_| {
            state = splitmix64(state);
            char::from(CODE_ALPHABET[(state % CODE_ALPHABET.len() as u64) as usize])
        })
        .collect()
}

/// The code of attempt `attempt` for `name` and `seed`: `NAME-XXX` (four characters after
/// [`SHORT_SUFFIX_ATTEMPTS`] attempts).
pub fn referral_code(name: &str, seed: u64, attempt: u32) -> String {
    let length = if attempt < SHORT_SUFFIX_ATTEMPTS {
        3
    } else {
        4
    };
    format!("{}-{}", code_stem(name), code_suffix(seed, attempt, length))
}

/// The first code for `name` and `seed` that `is_taken` says is free (compare it
/// case-insensitively).
pub fn unique_referral_code(
    name: &str,
    seed: u64,
    mut is_taken: impl FnMut(&str) -> bool,
) -> String {
    let mut attempt = 0u32;
    loop {
        let code = referral_code(name, seed, attempt);
        if !is_taken(&code) || attempt == u32::MAX {
            return code;
        }
        attempt += 1;
    }
}

/// A referral code as typed into a checkout: trimmed, upper case.
pub fn normalise_code(text: &str) -> String {
    text.trim().to_uppercase()
}

/// The codes in a coupon cell (platforms list several separated by commas or spaces).
pub fn coupon_codes(cell: &str) -> impl Iterator<Item = String> + '_ {
    cell.split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|c| !c.is_empty())
        .map(normalise_code)
}

// ---------------------------------------------------------------------------------------
// Statuses and the decision

/// Where a referral stands (the `referrals.status` values).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReferralStatus {
    /// Waiting for the friend's first order or for the refund window to close.
    Pending,
    /// Flagged by a fraud check; waits for the owner.
    Review,
    /// Meets the rules but was not rewarded (cap reached, or no reward set up).
    Qualified,
    /// Rewards issued.
    Rewarded,
    /// Does not count (with the reason).
    Rejected,
}

impl ReferralStatus {
    /// Every status, in display order.
    pub const ALL: [ReferralStatus; 5] = [
        ReferralStatus::Pending,
        ReferralStatus::Review,
        ReferralStatus::Qualified,
        ReferralStatus::Rewarded,
        ReferralStatus::Rejected,
    ];

    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            ReferralStatus::Pending => "pending",
            ReferralStatus::Review => "review",
            ReferralStatus::Qualified => "qualified",
            ReferralStatus::Rewarded => "rewarded",
            ReferralStatus::Rejected => "rejected",
        }
    }

    /// Reads a stored name.
    pub fn parse(text: &str) -> Option<ReferralStatus> {
        ReferralStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether the friend counts as brought by the referral (everything but rejected).
    pub fn counts(self) -> bool {
        self != ReferralStatus::Rejected
    }
}

/// The friend's first order as the rules read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FirstOrder {
    /// The shop's day of the order.
    pub date: NaiveDate,
    /// What was paid, before refunds, in cents.
    pub paid_cents: i64,
    /// Refunded so far, in cents (positive).
    pub refunded_cents: i64,
    /// Day of the (latest) refund, when there is one.
    pub refund_date: Option<NaiveDate>,
}

/// What the owner decided about a referral, if anything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum OwnerDecision {
    /// Nothing yet.
    #[default]
    None,
    /// Fraud flags looked at and accepted.
    Approved,
    /// Rejected, with the owner's reason (final).
    Rejected(String),
}

/// Which fraud check raised a flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FraudRule {
    /// The friend looks like the referrer themselves.
    SelfReferral,
    /// Referrer and friend share an address or e-mail user name.
    SharedContact,
    /// Many referrals by one referrer in a short time.
    Burst,
}

impl FraudRule {
    /// The check's name in words.
    pub fn label(self) -> &'static str {
        match self {
            FraudRule::SelfReferral => "possible self-referral",
            FraudRule::SharedContact => "shared contact details",
            FraudRule::Burst => "burst of referrals",
        }
    }
}

/// A fraud check's finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FraudFlag {
    /// Which check.
    pub rule: FraudRule,
    /// What it found, in words.
    pub evidence: String,
}

impl fmt::Display for FraudFlag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.rule.label(), self.evidence)
    }
}

/// Joins flags into one sentence.
pub fn flags_text(flags: &[FraudFlag]) -> String {
    flags
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Everything [`decide`] reads about one referral.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReferralFacts {
    /// The referral's day.
    pub referred_date: NaiveDate,
    /// The friend's first order, when there is one.
    pub first_order: Option<FirstOrder>,
    /// The last day the imported data covers (and not after today).
    pub known_until: NaiveDate,
    /// Rewards were issued and not reversed.
    pub rewarded: bool,
    /// The minimum first order in force when the rewards were issued, when known.
    pub rewarded_min_cents: Option<i64>,
    /// The owner's decision.
    pub owner: OwnerDecision,
    /// Fraud flags found now.
    pub flags: Vec<FraudFlag>,
    /// The referrer's rewarded referrals qualifying within the cap's period ending on this
    /// referral's qualifying day (this one not included).
    pub referrer_rewarded_in_period: u32,
}

/// The status a referral should have, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The status.
    pub status: ReferralStatus,
    /// Why, in plain words.
    pub reason: String,
    /// The day it qualified (order day + window), when it did.
    pub qualified_on: Option<NaiveDate>,
    /// The day a disqualifying refund happened, when one did.
    pub refunded_on: Option<NaiveDate>,
}

impl Decision {
    fn new(status: ReferralStatus, reason: String) -> Decision {
        Decision {
            status,
            reason,
            qualified_on: None,
            refunded_on: None,
        }
    }
}

/// Cents as `12.34` for reasons (the currency is the shop's).
pub fn cents_text(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// The status of one referral under `rules` (see the module documentation).
pub fn decide(rules: &ReferralRules, facts: &ReferralFacts) -> Decision {
    if let OwnerDecision::Rejected(reason) = &facts.owner {
        return Decision::new(
            ReferralStatus::Rejected,
            format!("rejected by the owner: {reason}"),
        );
    }
    let Some(order) = facts.first_order else {
        if facts.rewarded {
            // The first order is gone (an import undone): keep what was issued.
            return Decision::new(ReferralStatus::Rewarded, "rewarded".to_owned());
        }
        return flagged_or(facts, || {
            Decision::new(
                ReferralStatus::Pending,
                "waiting for the friend's first order".to_owned(),
            )
        });
    };
    if let Some(rejected) = hard_failure(rules, facts, &order) {
        return rejected;
    }
    let window_end = order.date + Duration::days(i64::from(rules.refund_window_days));
    if facts.rewarded {
        let mut decision = rewarded(rules, facts, &order);
        decision.qualified_on = Some(window_end);
        return decision;
    }
    flagged_or(facts, || {
        if facts.known_until < window_end {
            return Decision::new(
                ReferralStatus::Pending,
                format!(
                    "first order of {} on {}; refund window open until {window_end}",
                    cents_text(order.paid_cents),
                    order.date
                ),
            );
        }
        let mut decision = reward_or_cap(rules, facts, &order);
        decision.qualified_on = Some(window_end);
        decision
    })
}

/// Rejections no approval can lift: an earlier customer, a small or refunded first order.
fn hard_failure(
    rules: &ReferralRules,
    facts: &ReferralFacts,
    order: &FirstOrder,
) -> Option<Decision> {
    let min = rules.min_first_order_cents;
    if order.date < facts.referred_date {
        return Some(Decision::new(
            ReferralStatus::Rejected,
            format!(
                "the friend was already a customer: first order on {}, before the referral on {}",
                order.date, facts.referred_date
            ),
        ));
    }
    // The paid amount was judged when the reward was issued: a minimum raised later (a
    // rules save judges every referral again) does not take the reward back.
    if order.paid_cents < min && !facts.rewarded {
        return Some(Decision::new(
            ReferralStatus::Rejected,
            format!(
                "first order of {} is below the minimum of {}",
                cents_text(order.paid_cents),
                cents_text(min)
            ),
        ));
    }
    let window_end = order.date + Duration::days(i64::from(rules.refund_window_days));
    let refund_in_window = order.refund_date.filter(|day| *day <= window_end);
    // An issued reward is judged by the minimum it was issued under, or today's if lower:
    // a minimum raised since does not turn a partial refund into a reversal.
    let min = match (facts.rewarded, facts.rewarded_min_cents) {
        (true, Some(then)) => then.min(min),
        _ => min,
    };
    if let Some(day) = refund_in_window {
        let kept = order.paid_cents - order.refunded_cents;
        if order.refunded_cents > 0 && kept < min {
            let reversed = if facts.rewarded {
                "; rewards reversed"
            } else {
                ""
            };
            let mut decision = Decision::new(
                ReferralStatus::Rejected,
                format!(
                    "first order refunded on {day} (within {} days), {} kept is below the minimum of {}{reversed}",
                    rules.refund_window_days,
                    cents_text(kept),
                    cents_text(min)
                ),
            );
            decision.refunded_on = Some(day);
            return Some(decision);
        }
    }
    None
}

/// `review` with the evidence when flagged and not approved; otherwise `otherwise()`.
fn flagged_or(facts: &ReferralFacts, otherwise: impl FnOnce() -> Decision) -> Decision {
    if !facts.flags.is_empty() && facts.owner != OwnerDecision::Approved {
        return Decision::new(
            ReferralStatus::Review,
            format!("waiting for review: {}", flags_text(&facts.flags)),
        );
    }
    otherwise()
}

/// `rewarded`, or `qualified` when the cap is reached or nothing is given.
fn reward_or_cap(rules: &ReferralRules, facts: &ReferralFacts, order: &FirstOrder) -> Decision {
    if let Some(cap) = rules.cap_per_referrer
        && facts.referrer_rewarded_in_period >= cap
    {
        return Decision::new(
            ReferralStatus::Qualified,
            format!(
                "qualified, not rewarded: the referrer already has {} rewarded referrals within {} days (cap {cap})",
                facts.referrer_rewarded_in_period, rules.cap_period_days
            ),
        );
    }
    if !rules.gives_rewards() {
        return Decision::new(
            ReferralStatus::Qualified,
            "qualified; no referral reward is set up".to_owned(),
        );
    }
    rewarded(rules, facts, order)
}

/// The `rewarded` decision and its reason (the same on every evaluation).
fn rewarded(rules: &ReferralRules, facts: &ReferralFacts, order: &FirstOrder) -> Decision {
    let approved = if facts.owner == OwnerDecision::Approved {
        " (approved after review)"
    } else {
        ""
    };
    Decision::new(
        ReferralStatus::Rewarded,
        format!(
            "rewarded: first order of {} on {} not refunded within {} days{approved}",
            cents_text(order.paid_cents),
            order.date,
            rules.refund_window_days
        ),
    )
}

// ---------------------------------------------------------------------------------------
// Fraud checks

/// A customer's contact details as the fraud checks read them. The store fills the keys
/// with the same normalisation the duplicate suggestions use.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Contact {
    /// Display name.
    pub name: String,
    /// E-mail as stored.
    pub email: Option<String>,
    /// The mailbox: `store::customers::canonical_email`.
    pub email_key: Option<String>,
    /// Phone as stored.
    pub phone: Option<String>,
    /// `store::customers::phone_key`.
    pub phone_key: Option<String>,
    /// Postcode as stored.
    pub postcode: Option<String>,
}

/// Lower case, whitespace collapsed; `None` for a name that is an e-mail or has one word
/// of under two letters (too common to mean anything).
fn name_key(name: &str) -> Option<String> {
    if name.contains('@') {
        return None;
    }
    let key = crate::domain::normalise_name(name);
    (key.chars().filter(|c| c.is_alphabetic()).count() >= 2 && key.contains(' ')).then_some(key)
}

/// Upper case letters and digits only.
fn postcode_key(postcode: &str) -> Option<String> {
    let key: String = postcode
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .collect();
    (!key.is_empty()).then_some(key)
}

fn same<'a>(a: Option<&'a str>, b: Option<&'a str>) -> Option<&'a str> {
    match (a, b) {
        (Some(a), Some(b)) if !a.is_empty() && a == b => Some(a),
        _ => None,
    }
}

/// Whether the friend looks like the referrer themselves: the same mailbox, phone or full
/// name. `None` for a clean pair.
pub fn self_referral(referrer: &Contact, friend: &Contact) -> Option<FraudFlag> {
    let mut found = Vec::new();
    if same(referrer.email_key.as_deref(), friend.email_key.as_deref()).is_some() {
        let a = referrer.email.as_deref().unwrap_or("");
        let b = friend.email.as_deref().unwrap_or("");
        if a.trim().eq_ignore_ascii_case(b.trim()) {
            found.push(format!("the same e-mail {}", a.trim()));
        } else {
            found.push(format!("the same mailbox ({a} and {b})"));
        }
    }
    if same(referrer.phone_key.as_deref(), friend.phone_key.as_deref()).is_some() {
        let a = referrer.phone.as_deref().unwrap_or("");
        let b = friend.phone.as_deref().unwrap_or("");
        found.push(format!("the same phone number ({a} and {b})"));
    }
    if same(
        name_key(&referrer.name).as_deref(),
        name_key(&friend.name).as_deref(),
    )
    .is_some()
    {
        found.push(format!("the same name ({})", friend.name.trim()));
    }
    (!found.is_empty()).then(|| FraudFlag {
        rule: FraudRule::SelfReferral,
        evidence: format!("referrer and friend have {}", found.join(", ")),
    })
}

/// The user name of an address (before `@`), lower case, when it has at least 3 characters.
fn email_user(email: Option<&str>) -> Option<(String, String)> {
    let (user, domain) = email?
        .trim()
        .to_lowercase()
        .rsplit_once('@')
        .map(|(u, d)| (u.to_owned(), d.to_owned()))?;
    let user = user.split('+').next().unwrap_or(&user).replace('.', "");
    (user.chars().count() >= 3).then_some((user, domain))
}

/// Whether referrer and friend share contact details that different people rarely share:
/// the same postcode, or the same e-mail user name at another domain.
pub fn shared_contact(referrer: &Contact, friend: &Contact) -> Option<FraudFlag> {
    let mut found = Vec::new();
    let a = referrer.postcode.as_deref().and_then(postcode_key);
    let b = friend.postcode.as_deref().and_then(postcode_key);
    if same(a.as_deref(), b.as_deref()).is_some() {
        found.push(format!(
            "the same postcode {}",
            friend.postcode.as_deref().unwrap_or("").trim()
        ));
    }
    if let (Some((user_a, domain_a)), Some((user_b, domain_b))) = (
        email_user(referrer.email.as_deref()),
        email_user(friend.email.as_deref()),
    ) && user_a == user_b
        && domain_a != domain_b
    {
        found.push(format!(
            "the same e-mail user name \"{user_a}\" at {domain_a} and {domain_b}"
        ));
    }
    (!found.is_empty()).then(|| FraudFlag {
        rule: FraudRule::SharedContact,
        evidence: format!("referrer and friend share {}", found.join(" and ")),
    })
}

/// One referral as the burst check reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DatedReferral {
    /// The referral's id.
    pub id: i64,
    /// Who referred (survivor of any merge).
    pub referrer: CustomerId,
    /// The referral's day.
    pub date: NaiveDate,
}

/// Referrals that are part of a burst — more than `burst_count` by one referrer within
/// `burst_days` days — by id, with the evidence (the largest burst each belongs to).
pub fn burst_flags(rules: &ReferralRules, referrals: &[DatedReferral]) -> BTreeMap<i64, FraudFlag> {
    let mut flagged: BTreeMap<i64, (usize, FraudFlag)> = BTreeMap::new();
    if rules.burst_days == 0 {
        return BTreeMap::new();
    }
    let mut by_referrer: BTreeMap<CustomerId, Vec<&DatedReferral>> = BTreeMap::new();
    for referral in referrals {
        by_referrer
            .entry(referral.referrer)
            .or_default()
            .push(referral);
    }
    let span = i64::from(rules.burst_days) - 1;
    for mut list in by_referrer.into_values() {
        list.sort_by_key(|r| (r.date, r.id));
        let mut end = 0;
        for start in 0..list.len() {
            let last_day = list[start].date + Duration::days(span);
            end = end.max(start);
            while end + 1 < list.len() && list[end + 1].date <= last_day {
                end += 1;
            }
            let count = end - start + 1;
            if count <= rules.burst_count as usize {
                continue;
            }
            let evidence = format!(
                "{count} referrals by the same referrer between {} and {} (more than {} within {} days)",
                list[start].date, list[end].date, rules.burst_count, rules.burst_days
            );
            for referral in &list[start..=end] {
                let better = flagged.get(&referral.id).is_none_or(|(n, _)| *n < count);
                if better {
                    let flag = FraudFlag {
                        rule: FraudRule::Burst,
                        evidence: evidence.clone(),
                    };
                    flagged.insert(referral.id, (count, flag));
                }
            }
        }
    }
    flagged
        .into_iter()
        .map(|(id, (_, flag))| (id, flag))
        .collect()
}

// ---------------------------------------------------------------------------------------
// Report

/// One customer as the report reads them.
#[derive(Clone, Debug, PartialEq)]
pub struct ReportCustomer {
    /// The customer (survivor of any merge).
    pub customer: CustomerId,
    /// Display name.
    pub name: String,
    /// Orders (refund entries not counted).
    pub orders: u64,
    /// Net revenue so far, in cents.
    pub revenue_cents: i64,
    /// Predicted future value from the current valuation, when valued.
    pub predicted_clv_cents: Option<f64>,
}

/// One referral as the report reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReportReferral {
    /// Who referred (survivor).
    pub referrer: CustomerId,
    /// The friend (survivor).
    pub friend: CustomerId,
    /// Its status.
    pub status: ReferralStatus,
}

/// A group's figures with 80% ranges.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct GroupFigures {
    /// Customers with at least one order.
    pub customers: u64,
    /// Of those, customers with a CLV from the current valuation.
    pub valued: u64,
    /// Mean predicted CLV of the valued customers, in cents.
    pub mean_clv_cents: Option<f64>,
    /// 80% t-interval of the mean CLV (two or more valued customers).
    pub mean_clv_range_cents: Option<(f64, f64)>,
    /// Share of customers with two or more orders.
    pub repeat_rate: Option<f64>,
    /// 80% Wilson interval of the repeat rate.
    pub repeat_rate_range: Option<(f64, f64)>,
    /// Mean revenue so far per customer, in cents.
    pub mean_revenue_cents: Option<f64>,
}

/// A referrer ranked by the value of the friends they brought.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct TopReferrer {
    /// The referrer.
    pub customer: i64,
    /// Their name.
    pub name: String,
    /// Friends brought (referrals not rejected).
    pub friends: u64,
    /// The friends' revenue so far, in cents.
    pub friends_revenue_cents: i64,
    /// The friends' predicted CLV, in cents.
    pub friends_clv_cents: f64,
    /// Revenue plus predicted CLV: the referral network's value.
    pub network_value_cents: f64,
}

/// The referral program's figures.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct ReferralReport {
    /// Referrals per status, in [`ReferralStatus::ALL`] order.
    pub by_status: Vec<(String, u64)>,
    /// Revenue so far of the customers brought by referrals, in cents.
    pub referral_revenue_cents: i64,
    /// Customers with orders brought by a referral that is not rejected.
    pub referred_customers: u64,
    /// All customers with orders.
    pub customers: u64,
    /// `referred_customers / customers`.
    pub referred_share: Option<f64>,
    /// Referred customers' figures.
    pub referred: GroupFigures,
    /// Everyone else's figures.
    pub not_referred: GroupFigures,
    /// Referrers by network value, highest first.
    pub top_referrers: Vec<TopReferrer>,
}

/// The report over `customers` and `referrals`, with the `top` best referrers.
pub fn build_report(
    customers: &[ReportCustomer],
    referrals: &[ReportReferral],
    top: usize,
) -> ReferralReport {
    let by_status = ReferralStatus::ALL
        .iter()
        .map(|s| {
            let n = referrals.iter().filter(|r| r.status == *s).count() as u64;
            (s.as_str().to_owned(), n)
        })
        .collect();
    let referred_by: BTreeMap<CustomerId, CustomerId> = referrals
        .iter()
        .filter(|r| r.status.counts())
        .map(|r| (r.friend, r.referrer))
        .collect();
    let buyers: Vec<&ReportCustomer> = customers.iter().filter(|c| c.orders > 0).collect();
    let (referred, others): (Vec<&ReportCustomer>, Vec<&ReportCustomer>) = buyers
        .iter()
        .partition(|c| referred_by.contains_key(&c.customer));
    let names: BTreeMap<CustomerId, &str> = customers
        .iter()
        .map(|c| (c.customer, c.name.as_str()))
        .collect();
    let mut networks: BTreeMap<CustomerId, TopReferrer> = BTreeMap::new();
    for friend in &referred {
        let Some(referrer) = referred_by.get(&friend.customer) else {
            continue;
        };
        let entry = networks.entry(*referrer).or_insert_with(|| TopReferrer {
            customer: referrer.0,
            name: names.get(referrer).copied().unwrap_or("").to_owned(),
            friends: 0,
            friends_revenue_cents: 0,
            friends_clv_cents: 0.0,
            network_value_cents: 0.0,
        });
        let clv = friend.predicted_clv_cents.unwrap_or(0.0);
        entry.friends += 1;
        entry.friends_revenue_cents += friend.revenue_cents;
        entry.friends_clv_cents += clv;
        entry.network_value_cents += friend.revenue_cents as f64 + clv;
    }
    let mut top_referrers: Vec<TopReferrer> = networks.into_values().collect();
    top_referrers.sort_by(|a, b| {
        b.network_value_cents
            .total_cmp(&a.network_value_cents)
            .then(a.customer.cmp(&b.customer))
    });
    top_referrers.truncate(top);
    let total = buyers.len() as u64;
    ReferralReport {
        by_status,
        referral_revenue_cents: referred.iter().map(|c| c.revenue_cents).sum(),
        referred_customers: referred.len() as u64,
        customers: total,
        referred_share: (total > 0).then(|| referred.len() as f64 / total as f64),
        referred: group_figures(&referred),
        not_referred: group_figures(&others),
        top_referrers,
    }
}

/// Figures of one group.
fn group_figures(group: &[&ReportCustomer]) -> GroupFigures {
    let clv: Vec<f64> = group.iter().filter_map(|c| c.predicted_clv_cents).collect();
    let n = group.len() as u64;
    let repeaters = group.iter().filter(|c| c.orders >= 2).count() as u64;
    let revenue: i64 = group.iter().map(|c| c.revenue_cents).sum();
    GroupFigures {
        customers: n,
        valued: clv.len() as u64,
        mean_clv_cents: mean(&clv),
        mean_clv_range_cents: mean_range_80(&clv),
        repeat_rate: (n > 0).then(|| repeaters as f64 / n as f64),
        repeat_rate_range: wilson_80(repeaters, n),
        mean_revenue_cents: (n > 0).then(|| revenue as f64 / n as f64),
    }
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// t₀.₉ with `df` degrees of freedom (table to 30, Cornish–Fisher beyond).
pub fn t_quantile_80(df: u64) -> f64 {
    match df {
        0 => f64::INFINITY,
        1..=30 => T_80[(df - 1) as usize],
        _ => {
            let z = Z_80;
            let n = df as f64;
            z + (z.powi(3) + z) / (4.0 * n)
                + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * n * n)
        }
    }
}

/// 80% Student-t interval of the mean; `None` under two values.
pub fn mean_range_80(values: &[f64]) -> Option<(f64, f64)> {
    let n = values.len();
    if n < 2 {
        return None;
    }
    let m = mean(values)?;
    let variance = values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1) as f64;
    let half = t_quantile_80(n as u64 - 1) * (variance / n as f64).sqrt();
    Some((m - half, m + half))
}

/// 80% Wilson score interval of `successes / n`; `None` under two trials.
pub fn wilson_80(successes: u64, n: u64) -> Option<(f64, f64)> {
    if n < 2 {
        return None;
    }
    let n = n as f64;
    let p = successes as f64 / n;
    let z2 = Z_80 * Z_80;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half = Z_80 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denominator;
    Some(((centre - half).max(0.0), (centre + half).min(1.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn facts(first: Option<FirstOrder>, known_until: &str) -> ReferralFacts {
        ReferralFacts {
            referred_date: d("2024-01-01"),
            first_order: first,
            known_until: d(known_until),
            rewarded: false,
            rewarded_min_cents: None,
            owner: OwnerDecision::None,
            flags: Vec::new(),
            referrer_rewarded_in_period: 0,
        }
    }

    fn first(day: &str, paid: i64) -> FirstOrder {
        FirstOrder {
            date: d(day),
            paid_cents: paid,
            refunded_cents: 0,
            refund_date: None,
        }
    }

    fn contact(name: &str, email: &str, phone: &str, postcode: &str) -> Contact {
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        Contact {
            name: name.into(),
            email: opt(email),
            email_key: opt(email).map(|e| e.to_lowercase().replace('.', "")),
            phone: opt(phone),
            phone_key: opt(phone).map(|p| p.chars().filter(char::is_ascii_digit).collect()),
            postcode: opt(postcode),
        }
    }

    #[test]
    fn rules_validate() {
        assert!(ReferralRules::default().validate().is_ok());
        let bad = ReferralRules {
            referrer_points: -1,
            cap_per_referrer: Some(0),
            burst_count: 0,
            refund_window_days: 400,
            ..ReferralRules::default()
        };
        let fields: Vec<_> = bad
            .validate()
            .unwrap_err()
            .iter()
            .map(|p| p.field)
            .collect();
        assert_eq!(
            fields,
            [
                "referrer_points",
                "refund_window_days",
                "cap_per_referrer",
                "burst_count"
            ]
        );
    }

    #[test]
    fn codes_are_readable_deterministic_and_retry_on_collision() {
        assert_eq!(code_stem("Jane Doe"), "JANE");
        assert_eq!(code_stem("  zoë-anne smith"), "ZOE");
        assert_eq!(code_stem("józef.k@example.com"), "JOZEF");
        assert_eq!(code_stem("Christopher"), "CHRISTOP");
        assert_eq!(code_stem("李"), "FRIEND");
        let code = referral_code("Jane Doe", 7, 0);
        assert_eq!(code, referral_code("Jane Doe", 7, 0));
        assert!(code.starts_with("JANE-") && code.len() == 8, "{code}");
        assert!(
            code[5..].bytes().all(|b| CODE_ALPHABET.contains(&b)),
            "{code}"
        );
        assert_ne!(code, referral_code("Jane Doe", 8, 0));
        let taken = [code.clone(), referral_code("Jane Doe", 7, 1)];
        let next = unique_referral_code("Jane Doe", 7, |c| taken.contains(&c.to_owned()));
        assert_eq!(next, referral_code("Jane Doe", 7, 2));
        assert_eq!(referral_code("Jane", 7, 64).len(), 9);
        let cell: Vec<_> = coupon_codes(" jane-7k2, WELCOME10 ").collect();
        assert_eq!(cell, ["JANE-7K2", "WELCOME10"]);
    }

    #[test]
    fn pending_until_first_order_and_window_then_rewarded() {
        let rules = ReferralRules::default();
        let decision = decide(&rules, &facts(None, "2024-03-01"));
        assert_eq!(decision.status, ReferralStatus::Pending);
        assert!(
            decision.reason.contains("first order"),
            "{}",
            decision.reason
        );
        let open = decide(
            &rules,
            &facts(Some(first("2024-01-10", 25_00)), "2024-02-08"),
        );
        assert_eq!(open.status, ReferralStatus::Pending);
        assert!(open.reason.contains("2024-02-09"), "{}", open.reason);
        let closed = decide(
            &rules,
            &facts(Some(first("2024-01-10", 25_00)), "2024-02-09"),
        );
        assert_eq!(closed.status, ReferralStatus::Rewarded);
        assert_eq!(closed.qualified_on, Some(d("2024-02-09")));
    }

    #[test]
    fn a_raised_minimum_does_not_take_an_issued_reward_back() {
        let raised = ReferralRules {
            min_first_order_cents: 50_00,
            ..ReferralRules::default()
        };
        let mut rewarded = facts(Some(first("2024-01-10", 25_00)), "2024-06-01");
        rewarded.rewarded = true;
        assert_eq!(decide(&raised, &rewarded).status, ReferralStatus::Rewarded);
        let not_yet = facts(Some(first("2024-01-10", 25_00)), "2024-06-01");
        assert_eq!(decide(&raised, &not_yet).status, ReferralStatus::Rejected);
    }

    #[test]
    fn a_partial_refund_is_judged_by_the_minimum_the_reward_was_issued_under() {
        let raised = ReferralRules {
            min_first_order_cents: 50_00,
            ..ReferralRules::default()
        };
        // Rewarded at a $20 minimum for a $60 order; then the minimum went up to $50 and a
        // $15 refund within the window came in: $45 kept is above what the reward needed.
        let mut order = first("2024-01-10", 60_00);
        order.refunded_cents = 15_00;
        order.refund_date = Some(d("2024-01-20"));
        let mut rewarded = facts(Some(order), "2024-06-01");
        rewarded.rewarded = true;
        rewarded.rewarded_min_cents = Some(20_00);
        assert_eq!(decide(&raised, &rewarded).status, ReferralStatus::Rewarded);
        // Unknown (issued before the minimum was recorded): today's minimum, as before.
        rewarded.rewarded_min_cents = None;
        assert_eq!(decide(&raised, &rewarded).status, ReferralStatus::Rejected);
        // Below even the minimum it was issued under: reversed.
        order.refunded_cents = 45_00;
        let mut mostly_refunded = facts(Some(order), "2024-06-01");
        mostly_refunded.rewarded = true;
        mostly_refunded.rewarded_min_cents = Some(20_00);
        let reversed = decide(&raised, &mostly_refunded);
        assert_eq!(reversed.status, ReferralStatus::Rejected);
        assert!(reversed.reason.contains("20.00"), "{}", reversed.reason);
        // A minimum lowered since the reward is the one used.
        let lowered = ReferralRules {
            min_first_order_cents: 10_00,
            ..ReferralRules::default()
        };
        assert_eq!(
            decide(&lowered, &mostly_refunded).status,
            ReferralStatus::Rewarded
        );
    }

    #[test]
    fn minimum_and_refund_window_reject() {
        let rules = ReferralRules::default();
        let small = decide(
            &rules,
            &facts(Some(first("2024-01-10", 19_99)), "2024-06-01"),
        );
        assert_eq!(small.status, ReferralStatus::Rejected);
        assert!(small.reason.contains("19.99") && small.reason.contains("20.00"));
        let mut refunded = first("2024-01-10", 30_00);
        refunded.refunded_cents = 30_00;
        refunded.refund_date = Some(d("2024-02-09"));
        let decision = decide(&rules, &facts(Some(refunded), "2024-06-01"));
        assert_eq!(decision.status, ReferralStatus::Rejected);
        assert_eq!(decision.refunded_on, Some(d("2024-02-09")));
        // A refund after the window, or a partial one that keeps the minimum, does not count.
        refunded.refund_date = Some(d("2024-02-10"));
        let late = decide(&rules, &facts(Some(refunded), "2024-06-01"));
        assert_eq!(late.status, ReferralStatus::Rewarded);
        refunded.refund_date = Some(d("2024-01-12"));
        refunded.refunded_cents = 5_00;
        let partial = decide(&rules, &facts(Some(refunded), "2024-06-01"));
        assert_eq!(partial.status, ReferralStatus::Rewarded);
        // Rewarded, then a refund within the window learnt later: rejected, reversed.
        refunded.refunded_cents = 30_00;
        let mut was = facts(Some(refunded), "2024-06-01");
        was.rewarded = true;
        let reversed = decide(&rules, &was);
        assert_eq!(reversed.status, ReferralStatus::Rejected);
        assert!(reversed.reason.contains("reversed"), "{}", reversed.reason);
    }

    #[test]
    fn earlier_customer_is_rejected() {
        let decision = decide(
            &ReferralRules::default(),
            &facts(Some(first("2023-12-31", 50_00)), "2024-06-01"),
        );
        assert_eq!(decision.status, ReferralStatus::Rejected);
        assert!(decision.reason.contains("already a customer"));
    }

    #[test]
    fn cap_review_approval_and_owner_rejection() {
        let rules = ReferralRules {
            cap_per_referrer: Some(2),
            ..ReferralRules::default()
        };
        let mut f = facts(Some(first("2024-01-10", 25_00)), "2024-06-01");
        f.referrer_rewarded_in_period = 2;
        let capped = decide(&rules, &f);
        assert_eq!(capped.status, ReferralStatus::Qualified);
        assert!(capped.reason.contains("cap 2"), "{}", capped.reason);
        f.rewarded = true;
        assert_eq!(decide(&rules, &f).status, ReferralStatus::Rewarded);
        f.rewarded = false;
        f.referrer_rewarded_in_period = 0;
        f.flags = vec![FraudFlag {
            rule: FraudRule::Burst,
            evidence: "many".into(),
        }];
        let review = decide(&rules, &f);
        assert_eq!(review.status, ReferralStatus::Review);
        assert!(review.reason.contains("burst of referrals: many"));
        f.owner = OwnerDecision::Approved;
        assert_eq!(decide(&rules, &f).status, ReferralStatus::Rewarded);
        f.owner = OwnerDecision::Rejected("friend is staff".into());
        let rejected = decide(&rules, &f);
        assert_eq!(rejected.status, ReferralStatus::Rejected);
        assert!(rejected.reason.contains("friend is staff"));
        let none = ReferralRules {
            referrer_points: 0,
            friend_points: 0,
            ..ReferralRules::default()
        };
        f.owner = OwnerDecision::None;
        f.flags.clear();
        assert_eq!(decide(&none, &f).status, ReferralStatus::Qualified);
    }

    #[test]
    fn self_referral_flags_each_case_and_not_a_clean_pair() {
        let jane = contact(
            "Jane Doe",
            "jane.doe@gmail.com",
            "+44 7700 900123",
            "SW1A 1AA",
        );
        let clean = contact("Tom Smith", "tom@example.com", "07700 900999", "N1 9GU");
        assert_eq!(self_referral(&jane, &clean), None);
        assert_eq!(shared_contact(&jane, &clean), None);
        let mailbox = contact("J D", "janedoe@gmail.com", "", "");
        let flag = self_referral(&jane, &mailbox).unwrap();
        assert_eq!(flag.rule, FraudRule::SelfReferral);
        assert!(flag.evidence.contains("mailbox"), "{}", flag.evidence);
        let phone = contact("Anne Other", "a@example.com", "447700900123", "");
        assert!(
            self_referral(&jane, &phone)
                .unwrap()
                .evidence
                .contains("phone")
        );
        let name = contact("jane  DOE", "x@example.com", "", "");
        assert!(
            self_referral(&jane, &name)
                .unwrap()
                .evidence
                .contains("name")
        );
    }

    #[test]
    fn shared_contact_flags_postcode_and_user_name() {
        let jane = contact("Jane Doe", "jane.doe@gmail.com", "", "SW1A 1AA");
        let house = contact("Tom Doe", "tom@example.com", "", "sw1a1aa");
        let flag = shared_contact(&jane, &house).unwrap();
        assert_eq!(flag.rule, FraudRule::SharedContact);
        assert!(flag.evidence.contains("postcode"), "{}", flag.evidence);
        let user = contact("Jim Bo", "janedoe@yahoo.com", "", "");
        assert!(
            shared_contact(&jane, &user)
                .unwrap()
                .evidence
                .contains("user name")
        );
    }

    #[test]
    fn bursts_flag_only_the_crowded_span() {
        let rules = ReferralRules {
            burst_count: 2,
            burst_days: 3,
            ..ReferralRules::default()
        };
        let r = |id, who, day: &str| DatedReferral {
            id,
            referrer: CustomerId(who),
            date: d(day),
        };
        let list = [
            r(1, 1, "2024-01-01"),
            r(2, 1, "2024-01-02"),
            r(3, 1, "2024-01-03"),
            r(4, 1, "2024-01-10"),
            r(5, 2, "2024-01-01"),
            r(6, 2, "2024-01-02"),
        ];
        let flags = burst_flags(&rules, &list);
        assert_eq!(flags.keys().copied().collect::<Vec<_>>(), [1, 2, 3]);
        assert!(
            flags[&1].evidence.contains("3 referrals"),
            "{}",
            flags[&1].evidence
        );
        let off = ReferralRules {
            burst_days: 0,
            ..rules
        };
        assert!(burst_flags(&off, &list).is_empty());
    }

    #[test]
    fn intervals_match_hand_computation() {
        assert!((t_quantile_80(30) - 1.310).abs() < 1e-3);
        assert!((t_quantile_80(31) - 1.309).abs() < 2e-3);
        assert!((t_quantile_80(10_000) - Z_80).abs() < 1e-3);
        // mean 2, s = 1, n = 3: 2 ± 1.886 / √3.
        let (low, high) = mean_range_80(&[1.0, 2.0, 3.0]).unwrap();
        assert!((low - (2.0 - 1.886 / 3f64.sqrt())).abs() < 1e-9);
        assert!((high - (2.0 + 1.886 / 3f64.sqrt())).abs() < 1e-9);
        assert_eq!(mean_range_80(&[5.0]), None);
        let (low, high) = wilson_80(5, 10).unwrap();
        assert!(low < 0.5 && high > 0.5 && (low + high - 1.0).abs() < 1e-12);
        let (low, high) = wilson_80(0, 10).unwrap();
        assert!(low == 0.0 && high > 0.0 && high < 0.2);
    }

    #[test]
    fn report_on_a_hand_built_set() {
        let c = |id, orders, revenue, clv: Option<f64>| ReportCustomer {
            customer: CustomerId(id),
            name: format!("C{id}"),
            orders,
            revenue_cents: revenue,
            predicted_clv_cents: clv,
        };
        let customers = [
            c(1, 3, 10_000, Some(5000.0)),
            c(2, 2, 40_00, Some(3000.0)),
            c(3, 1, 20_00, Some(1000.0)),
            c(4, 1, 60_00, None),
            c(5, 0, 0, None),
        ];
        let r = |referrer, friend, status| ReportReferral {
            referrer: CustomerId(referrer),
            friend: CustomerId(friend),
            status,
        };
        let referrals = [
            r(1, 2, ReferralStatus::Rewarded),
            r(1, 3, ReferralStatus::Pending),
            r(2, 4, ReferralStatus::Rejected),
            r(2, 5, ReferralStatus::Pending),
        ];
        let report = build_report(&customers, &referrals, 10);
        assert_eq!(report.referral_revenue_cents, 60_00);
        assert_eq!(report.referred_customers, 2);
        assert_eq!(report.customers, 4);
        assert_eq!(report.referred_share, Some(0.5));
        assert_eq!(report.referred.mean_clv_cents, Some(2000.0));
        assert_eq!(report.referred.repeat_rate, Some(0.5));
        assert_eq!(report.not_referred.customers, 2);
        assert_eq!(report.not_referred.valued, 1);
        assert_eq!(report.not_referred.mean_clv_cents, Some(5000.0));
        assert_eq!(report.not_referred.mean_clv_range_cents, None);
        assert_eq!(report.top_referrers.len(), 1);
        assert_eq!(report.top_referrers[0].friends, 2);
        assert_eq!(report.top_referrers[0].network_value_cents, 10000.0);
        assert_eq!(report.by_status[0], ("pending".to_owned(), 2));
    }
}
