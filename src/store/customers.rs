//! One customer at a time, for the Customers view: their profile (contact details, keys,
//! orders with their lines, scores across valuation runs), the owner's edits, likely
//! duplicates, merging and unmerging them, privacy erasure and the subject-access export.
//!
//! **Merges are a pointer, never a move.** Merging sets the duplicate's `merged_into` to
//! the survivor; the duplicate's orders and keys stay on the duplicate's row and every read
//! (purchases, customer values, overview, profile) counts them for the survivor. An import
//! after a merge attaches orders to the customer that owns the matched key (the duplicate,
//! for the duplicate's keys), so the pair stays one customer in every figure, and an unmerge
//! gives the duplicate back exactly its own orders — including ones imported since.
//! * Merging into a customer who is merged into someone else follows the chain: the
//!   duplicate joins the final survivor. Chains are flattened, so `merged_into` always names
//!   a customer who is not merged: merging a customer who has others merged into them moves
//!   those too (they then count for, and are listed under, the new survivor; unmerging the
//!   middle customer later does not take them along).
//! * A customer cannot be merged into themselves, a customer already merged must be
//!   unmerged first, and erased customers take part in no merge.
//! * Contact fields the survivor lacks (e-mail, phone, birthday, postcode, name) are filled
//!   from the duplicate and recorded in `customer_merges.filled_json`; an unmerge empties each
//!   again unless the owner changed it since.
//!
//! **Every change of who owns which orders** (merge, unmerge, erase) bumps the setting
//! `customers_revision` in the same transaction; [`Store::valuation_data_key`] includes it,
//! so the app revalues and the cached overview is recomputed.
//!
//! Erasure is described in [`Store::erase_customer`]; duplicate rules in
//! [`Store::duplicate_suggestions`].

mod duplicates;
mod erase;
mod merge;

use std::path::Path;

use rusqlite::{Connection, OptionalExtension as _, Transaction, TransactionBehavior, params};

use super::{Store, StoreError, now_utc};

pub use duplicates::{DuplicateSuggestion, SuggestedCustomer, canonical_email, phone_key};
pub use erase::{ErasureOutcome, ErasurePreview};
pub(crate) use merge::merge_same_person;
pub use merge::{MergeOutcome, MergeRecord};

/// The `settings` key of the counter bumped by every merge, unmerge and erasure.
pub const CUSTOMERS_REVISION: &str = "customers_revision";

/// Longest tags text the owner can save, in characters.
pub const MAX_TAGS_CHARS: usize = 1_000;

/// Longest notes text the owner can save, in characters.
pub const MAX_NOTES_CHARS: usize = 20_000;

/// Everything the app holds about one customer, for the profile view.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct CustomerProfile {
    /// Row id.
    pub id: i64,
    /// Name shown (an import's name, else e-mail, username or platform id).
    pub display_name: String,
    /// E-mail address as imported or edited.
    pub email: Option<String>,
    /// Phone number as written.
    pub phone: Option<String>,
    /// `YYYY-MM-DD`, or `--MM-DD` when the year is unknown.
    pub birthday: Option<String>,
    /// Postcode of the billing address.
    pub postcode: Option<String>,
    /// Whether the customer agreed to marketing messages.
    pub marketing_consent: bool,
    /// The owner's tags, comma separated.
    pub tags: String,
    /// The owner's notes.
    pub notes: String,
    /// Channel of the first order, when recorded.
    pub acquisition_source: Option<String>,
    /// When the record was created (seconds since the epoch, UTC).
    pub created_utc: i64,
    /// Day of the first order of this customer and everyone merged into them (refund
    /// entries not counted).
    pub first_order: Option<String>,
    /// Day of the latest such order.
    pub last_order: Option<String>,
    /// When the customer was erased; `None` when not.
    pub erased_utc: Option<i64>,
    /// The survivor this customer is merged into; `None` for a customer in their own right.
    pub merged_into: Option<i64>,
    /// Customers merged into this one.
    pub merged_ids: Vec<i64>,
    /// The keys imports recognise this customer (and those merged into them) by.
    pub keys: Vec<CustomerKey>,
    /// Orders of this customer and of those merged into them, newest first; refund entries
    /// included (status `refund`).
    pub orders: Vec<CustomerOrder>,
    /// Orders, refund entries not counted.
    pub order_count: u64,
    /// Net revenue of all [`CustomerProfile::orders`] in minor units (refund entries reduce it).
    pub net_cents: i64,
    /// The customer's score in every run that still keeps scores, newest run first.
    pub scores: Vec<ScoreHistoryEntry>,
}

impl CustomerProfile {
    /// Whether the customer's personal details were erased.
    pub fn is_erased(&self) -> bool {
        self.erased_utc.is_some()
    }
}

/// One key an import recognises a customer by.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CustomerKey {
    /// The customer row that owns the key (the profile's customer or one merged into them).
    pub customer_id: i64,
    /// `email`, `platform_id`, `username`, `phone` or `name`.
    pub kind: String,
    /// Platform of the key (`''` for e-mail, which matches across platforms).
    pub source: String,
    /// The normalised key.
    pub key: String,
}

/// One order in a profile. Money in minor units of `currency`.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct CustomerOrder {
    /// Row id.
    pub id: i64,
    /// The customer row the order is stored under (differs from the profile's id for orders
    /// of a merged duplicate).
    pub customer_id: i64,
    /// Platform it came from.
    pub source: String,
    /// The platform's order number.
    pub external_id: String,
    /// When it was placed (seconds since the epoch, UTC).
    pub placed_utc: i64,
    /// The shop's day of the order, `YYYY-MM-DD`.
    pub local_date: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Total before discounts and refunds.
    pub gross_cents: i64,
    /// Discounts given.
    pub discount_cents: i64,
    /// Refunded so far.
    pub refunded_cents: i64,
    /// Gross − discount − refunded.
    pub net_cents: i64,
    /// Shipping charged (part of gross).
    pub shipping_cents: i64,
    /// Tax charged (part of gross).
    pub tax_cents: i64,
    /// Discount or coupon code used.
    pub coupon_code: Option<String>,
    /// `paid`, `refunded`, `refund` (a refund entry), …
    pub status: String,
    /// Sales channel, when known.
    pub channel: Option<String>,
    /// The order a refund entry refunds.
    pub refund_of: Option<i64>,
    /// Line items in their order in the export.
    pub lines: Vec<CustomerOrderLine>,
}

/// One line item of a [`CustomerOrder`].
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct CustomerOrderLine {
    /// Position in the order, from 1.
    pub line_no: i64,
    /// Stock keeping unit.
    pub sku: Option<String>,
    /// Product name.
    pub name: String,
    /// Quantity (fractional for goods sold by weight).
    pub quantity: f64,
    /// Price of one unit in minor units.
    pub unit_price_cents: i64,
    /// Line total in minor units.
    pub total_cents: i64,
    /// Refunded on this line in minor units.
    pub refunded_cents: i64,
}

/// The customer's score in one valuation run. Money in minor units.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ScoreHistoryEntry {
    /// The run.
    pub run_id: i64,
    /// When the run was computed (seconds since the epoch, UTC).
    pub created_utc: i64,
    /// `bgnbd`, `mbgnbd`, `pareto-nbd` or `simple`.
    pub model: String,
    /// Whether it is the run the views show.
    pub is_current: bool,
    /// Lifetime value over the horizon.
    pub clv_cents: f64,
    /// Low end of the 80% range.
    pub clv_low_cents: Option<f64>,
    /// High end of the 80% range.
    pub clv_high_cents: Option<f64>,
    /// Probability still active.
    pub p_alive: Option<f64>,
    /// Expected purchases over the horizon.
    pub expected_purchases: Option<f64>,
    /// Repeat purchases at the time of the run.
    pub frequency: i64,
    /// RFM segment name.
    pub segment: Option<String>,
}

/// What the owner edits on a profile; saved together by [`Store::update_customer_details`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CustomerEdits {
    /// Tags, comma separated; trimmed, blanks and repeats (ignoring capitals) dropped.
    pub tags: String,
    /// Free notes, at most [`MAX_NOTES_CHARS`] characters.
    pub notes: String,
    /// Whether the customer agreed to marketing messages.
    pub marketing_consent: bool,
}

/// Contact details the owner corrects, saved together by [`Store::update_customer_contact`].
/// Empty text clears a field. Imports only ever fill empty fields, so an edit is kept.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContactEdits {
    /// Name shown; must not be empty.
    pub display_name: String,
    /// E-mail address: one `@`, a dotted domain, no spaces.
    pub email: String,
    /// Phone number: digits with `+ - ( ) . /` and spaces, 7 to 15 digits.
    pub phone: String,
    /// `YYYY-MM-DD` or `--MM-DD` (a real day).
    pub birthday: String,
    /// Postcode, at most 16 characters.
    pub postcode: String,
}

impl Store {
    /// The profile of customer `id`; `None` when there is no such customer. For a merged
    /// duplicate it is the duplicate's own record with [`CustomerProfile::merged_into`] set
    /// (the view usually shows the survivor instead).
    pub fn customer_profile(&self, id: i64) -> Result<Option<CustomerProfile>, StoreError> {
        read_profile(self.conn(), id).map_err(|e| self.err(e))
    }

    /// Saves the owner's tags, notes and marketing consent of customer `id` in one
    /// statement. Refused for an erased customer and for text over the limits.
    pub fn update_customer_details(
        &mut self,
        id: i64,
        edits: &CustomerEdits,
    ) -> Result<(), StoreError> {
        let tags = normalise_tags(&edits.tags);
        check_length("Tags", &tags, MAX_TAGS_CHARS)?;
        check_length("Notes", &edits.notes, MAX_NOTES_CHARS)?;
        let notes = edits.notes.trim_end();
        self.customers_tx(|tx| {
            require_editable(tx, id)?;
            tx.execute(
                "UPDATE customers SET tags = ?2, notes = ?3, marketing_consent = ?4 WHERE id = ?1",
                params![id, tags, notes, edits.marketing_consent],
            )?;
            Ok(())
        })
    }

    /// Saves corrected contact details of customer `id` in one statement, after checking
    /// each (see [`ContactEdits`]). The keys imports match by are not changed.
    pub fn update_customer_contact(
        &mut self,
        id: i64,
        edits: &ContactEdits,
    ) -> Result<(), StoreError> {
        let contact = ValidContact::check(edits)?;
        self.customers_tx(|tx| {
            require_editable(tx, id)?;
            tx.execute(
                "UPDATE customers SET display_name = ?2, email = ?3, phone = ?4, birthday = ?5,
                                      postcode = ?6
                 WHERE id = ?1",
                params![
                    id,
                    contact.display_name,
                    contact.email,
                    contact.phone,
                    contact.birthday,
                    contact.postcode
                ],
            )?;
            Ok(())
        })
    }

    /// Everything the app holds about customer `id` (and the records merged into them), as
    /// one JSON object for a subject-access request: the profile with keys, orders and their
    /// lines and scores; every customer record of the group as stored; merges; and the rows
    /// of the loyalty, referral and care tables that name them.
    pub fn customer_export_json(&self, id: i64) -> Result<serde_json::Value, StoreError> {
        let profile = self
            .customer_profile(id)?
            .ok_or(StoreError::NoSuchCustomer { id })?;
        let profile_json = serde_json::to_value(&profile).map_err(|e| StoreError::Refused {
            reason: format!("customer {id} could not be written as JSON: {e}"),
        })?;
        let group = group_json(&profile);
        let related = related_rows(self.conn(), &group).map_err(|e| self.err(e))?;
        Ok(serde_json::json!({
            "format": "CLV Desk customer export",
            "version": 1,
            "exported_utc": now_utc(),
            "customer": profile_json,
            "related": related,
        }))
    }

    /// Runs `work` in one IMMEDIATE transaction, committed when it succeeds.
    pub(super) fn customers_tx<T>(
        &mut self,
        work: impl FnOnce(&Transaction<'_>) -> Result<T, Fail>,
    ) -> Result<T, StoreError> {
        let path = self.path().to_path_buf();
        let run = || -> Result<T, Fail> {
            let tx = self
                .conn_mut()
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let value = work(&tx)?;
            tx.commit()?;
            Ok(value)
        };
        run().map_err(|fail| fail.into_store_error(&path))
    }
}

/// Why a customers transaction stopped: SQLite failed, or the rules refused the change.
pub(super) enum Fail {
    Sql(rusqlite::Error),
    Store(StoreError),
}

impl From<rusqlite::Error> for Fail {
    fn from(error: rusqlite::Error) -> Fail {
        Fail::Sql(error)
    }
}

impl From<StoreError> for Fail {
    fn from(error: StoreError) -> Fail {
        Fail::Store(error)
    }
}

impl Fail {
    fn into_store_error(self, path: &Path) -> StoreError {
        match self {
            Fail::Sql(e) => StoreError::from_sqlite(path, e),
            Fail::Store(e) => e,
        }
    }
}

/// A refusal in the owner's words.
pub(super) fn refused(reason: impl Into<String>) -> Fail {
    Fail::Store(StoreError::Refused {
        reason: reason.into(),
    })
}

/// Adds one to [`CUSTOMERS_REVISION`]; called inside every transaction that changes which
/// orders count for whom.
pub(super) fn bump_revision(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO settings (key, value) VALUES (?1, '1')
         ON CONFLICT(key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)",
        [CUSTOMERS_REVISION],
    )?;
    Ok(())
}

/// The current [`CUSTOMERS_REVISION`] (0 before the first merge, unmerge or erasure).
pub(crate) fn revision(conn: &Connection) -> rusqlite::Result<i64> {
    let value: Option<String> = conn
        .query_row(
            "SELECT value FROM settings WHERE key = ?1",
            [CUSTOMERS_REVISION],
            |r| r.get(0),
        )
        .optional()?;
    Ok(value.and_then(|v| v.trim().parse().ok()).unwrap_or(0))
}

/// A customer's `merged_into` and `erased_utc`; `None` when there is no such customer.
pub(super) fn merge_state(
    conn: &Connection,
    id: i64,
) -> rusqlite::Result<Option<(Option<i64>, Option<i64>)>> {
    conn.query_row(
        "SELECT merged_into, erased_utc FROM customers WHERE id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()
}

/// The customer's display name, for messages ("" when unknown).
pub(super) fn name_of(conn: &Connection, id: i64) -> rusqlite::Result<String> {
    Ok(conn
        .query_row(
            "SELECT display_name FROM customers WHERE id = ?1",
            [id],
            |r| r.get::<_, String>(0),
        )
        .optional()?
        .unwrap_or_default())
}

/// `id` and the customers merged into it (ascending after `id`).
pub(super) fn group_of(conn: &Connection, id: i64) -> rusqlite::Result<Vec<i64>> {
    let mut ids = vec![id];
    let mut stmt = conn.prepare("SELECT id FROM customers WHERE merged_into = ?1 ORDER BY id")?;
    for row in stmt.query_map([id], |r| r.get(0))? {
        ids.push(row?);
    }
    Ok(ids)
}

/// Refuses edits of a missing or erased customer.
fn require_editable(tx: &Transaction<'_>, id: i64) -> Result<(), Fail> {
    match merge_state(tx, id)? {
        None => Err(Fail::Store(StoreError::NoSuchCustomer { id })),
        Some((_, Some(_))) => Err(refused(format!(
            "customer {id} was erased; an erased customer's details cannot be edited"
        ))),
        Some(_) => Ok(()),
    }
}

fn check_length(what: &str, text: &str, max: usize) -> Result<(), StoreError> {
    let chars = text.chars().count();
    if chars > max {
        return Err(StoreError::Refused {
            reason: format!("{what} are {chars} characters long; at most {max} can be saved"),
        });
    }
    Ok(())
}

/// Tags trimmed, blanks and repeats (ignoring capitals) dropped, joined with ", ".
pub fn normalise_tags(tags: &str) -> String {
    let mut seen = std::collections::HashSet::new();
    tags.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty() && seen.insert(t.to_lowercase()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// [`ContactEdits`] checked: empty fields become `None`.
struct ValidContact {
    display_name: String,
    email: Option<String>,
    phone: Option<String>,
    birthday: Option<String>,
    postcode: Option<String>,
}

impl ValidContact {
    fn check(edits: &ContactEdits) -> Result<ValidContact, StoreError> {
        let refuse = |reason: String| StoreError::Refused { reason };
        let display_name = edits.display_name.trim().to_owned();
        if display_name.is_empty() {
            return Err(refuse("a customer needs a name".to_owned()));
        }
        check_length("Names", &display_name, 200)?;
        let given = |text: &str| Some(text.trim().to_owned()).filter(|t| !t.is_empty());
        let email = given(&edits.email);
        if let Some(email) = &email
            && !valid_email(email)
        {
            return Err(refuse(format!("“{email}” is not an e-mail address")));
        }
        let phone = given(&edits.phone);
        if let Some(phone) = &phone
            && !valid_phone(phone)
        {
            return Err(refuse(format!(
                "“{phone}” is not a phone number (7 to 15 digits, with + - ( ) . / or spaces)"
            )));
        }
        let birthday = given(&edits.birthday);
        if let Some(day) = &birthday
            && !valid_birthday(day)
        {
            return Err(refuse(format!(
                "“{day}” is not a birthday: write YYYY-MM-DD, or --MM-DD without the year"
            )));
        }
        let postcode = given(&edits.postcode);
        if let Some(code) = &postcode {
            check_length("Postcodes", code, 16)?;
        }
        Ok(ValidContact {
            display_name,
            email,
            phone,
            birthday,
            postcode,
        })
    }
}

/// One `@` between a non-empty local part and a dotted domain, no spaces, at most 254.
pub fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    email.len() <= 254
        && !local.is_empty()
        && !domain.contains('@')
        && !email.chars().any(char::is_whitespace)
        && domain.split('.').count() >= 2
        && domain.split('.').all(|part| !part.is_empty())
}

/// Digits with `+ - ( ) . /` and spaces; 7 to 15 digits (E.164 allows 15).
pub fn valid_phone(phone: &str) -> bool {
    let allowed = |c: char| c.is_ascii_digit() || " +-()./".contains(c);
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    phone.chars().all(allowed) && (7..=15).contains(&digits)
}

/// `YYYY-MM-DD` (a real day) or `--MM-DD` (29 February allowed).
pub fn valid_birthday(day: &str) -> bool {
    match day.strip_prefix("--") {
        Some(month_day) => {
            chrono::NaiveDate::parse_from_str(&format!("2000-{month_day}"), "%Y-%m-%d")
                .is_ok_and(|_| month_day.len() == 5)
        }
        None => day.len() == 10 && chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").is_ok(),
    }
}

/// The profile read: the customer's row, then keys, orders with lines and scores.
fn read_profile(conn: &Connection, id: i64) -> rusqlite::Result<Option<CustomerProfile>> {
    let Some(mut profile) = read_customer_row(conn, id)? else {
        return Ok(None);
    };
    let group = group_of(conn, id)?;
    profile.merged_ids = group[1..].to_vec();
    let group_json = serde_json::Value::from(group).to_string();
    profile.keys = read_keys(conn, &group_json)?;
    profile.orders = read_orders(conn, &group_json)?;
    let purchases = profile.orders.iter().filter(|o| o.status != "refund");
    profile.order_count = purchases.clone().count() as u64;
    profile.first_order = purchases.clone().map(|o| o.local_date.clone()).min();
    profile.last_order = purchases.map(|o| o.local_date.clone()).max();
    profile.net_cents = profile.orders.iter().map(|o| o.net_cents).sum();
    profile.scores = read_scores(conn, id)?;
    Ok(Some(profile))
}

fn read_customer_row(conn: &Connection, id: i64) -> rusqlite::Result<Option<CustomerProfile>> {
    conn.query_row(
        "SELECT id, display_name, email, phone, birthday, postcode, marketing_consent, tags,
                notes, acquisition_source, created_utc, erased_utc, merged_into
         FROM customers WHERE id = ?1",
        [id],
        |r| {
            Ok(CustomerProfile {
                id: r.get(0)?,
                display_name: r.get(1)?,
                email: r.get(2)?,
                phone: r.get(3)?,
                birthday: r.get(4)?,
                postcode: r.get(5)?,
                marketing_consent: r.get(6)?,
                tags: r.get(7)?,
                notes: r.get(8)?,
                acquisition_source: r.get(9)?,
                created_utc: r.get(10)?,
                erased_utc: r.get(11)?,
                merged_into: r.get(12)?,
                first_order: None,
                last_order: None,
                merged_ids: Vec::new(),
                keys: Vec::new(),
                orders: Vec::new(),
                order_count: 0,
                net_cents: 0,
                scores: Vec::new(),
            })
        },
    )
    .optional()
}

fn read_keys(conn: &Connection, group_json: &str) -> rusqlite::Result<Vec<CustomerKey>> {
    let mut stmt = conn.prepare(
        "SELECT customer_id, kind, source, key FROM customer_keys
         WHERE customer_id IN (SELECT value FROM json_each(?1))
         ORDER BY CASE kind WHEN 'email' THEN 0 WHEN 'platform_id' THEN 1 WHEN 'username' THEN 2
                  WHEN 'phone' THEN 3 ELSE 4 END, id",
    )?;
    stmt.query_map([group_json], |r| {
        Ok(CustomerKey {
            customer_id: r.get(0)?,
            kind: r.get(1)?,
            source: r.get(2)?,
            key: r.get(3)?,
        })
    })?
    .collect()
}

fn read_orders(conn: &Connection, group_json: &str) -> rusqlite::Result<Vec<CustomerOrder>> {
    let mut stmt = conn.prepare(
        "SELECT id, customer_id, source, external_id, placed_utc, local_date, currency,
                gross_cents, discount_cents, refunded_cents, net_cents, shipping_cents, tax_cents,
                coupon_code, status, channel, refund_of
         FROM orders WHERE customer_id IN (SELECT value FROM json_each(?1))
         ORDER BY placed_utc DESC, id DESC",
    )?;
    let mut orders: Vec<CustomerOrder> = stmt
        .query_map([group_json], |r| {
            Ok(CustomerOrder {
                id: r.get(0)?,
                customer_id: r.get(1)?,
                source: r.get(2)?,
                external_id: r.get(3)?,
                placed_utc: r.get(4)?,
                local_date: r.get(5)?,
                currency: r.get(6)?,
                gross_cents: r.get(7)?,
                discount_cents: r.get(8)?,
                refunded_cents: r.get(9)?,
                net_cents: r.get(10)?,
                shipping_cents: r.get(11)?,
                tax_cents: r.get(12)?,
                coupon_code: r.get(13)?,
                status: r.get(14)?,
                channel: r.get(15)?,
                refund_of: r.get(16)?,
                lines: Vec::new(),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    attach_lines(conn, group_json, &mut orders)?;
    Ok(orders)
}

/// Reads the line items of the group's orders in one query and hangs them on `orders`.
fn attach_lines(
    conn: &Connection,
    group_json: &str,
    orders: &mut [CustomerOrder],
) -> rusqlite::Result<()> {
    let position: std::collections::HashMap<i64, usize> =
        orders.iter().enumerate().map(|(i, o)| (o.id, i)).collect();
    let mut stmt = conn.prepare(
        "SELECT l.order_id, l.line_no, l.sku, l.name, l.quantity, l.unit_price_cents,
                l.total_cents, l.refunded_cents
         FROM orders o JOIN order_lines l ON l.order_id = o.id
         WHERE o.customer_id IN (SELECT value FROM json_each(?1))
         ORDER BY l.order_id, l.line_no",
    )?;
    let mut rows = stmt.query([group_json])?;
    while let Some(r) = rows.next()? {
        let Some(&at) = position.get(&r.get::<_, i64>(0)?) else {
            continue;
        };
        orders[at].lines.push(CustomerOrderLine {
            line_no: r.get(1)?,
            sku: r.get(2)?,
            name: r.get(3)?,
            quantity: r.get(4)?,
            unit_price_cents: r.get(5)?,
            total_cents: r.get(6)?,
            refunded_cents: r.get(7)?,
        });
    }
    Ok(())
}

fn read_scores(conn: &Connection, id: i64) -> rusqlite::Result<Vec<ScoreHistoryEntry>> {
    let mut stmt = conn.prepare(
        "SELECT r.id, r.created_utc, r.model, r.is_current, s.clv_cents, s.clv_low_cents,
                s.clv_high_cents, s.p_alive, s.expected_purchases, s.frequency, s.segment
         FROM customer_scores s JOIN model_runs r ON r.id = s.run_id
         WHERE s.customer_id = ?1 ORDER BY r.id DESC",
    )?;
    stmt.query_map([id], |r| {
        Ok(ScoreHistoryEntry {
            run_id: r.get(0)?,
            created_utc: r.get(1)?,
            model: r.get(2)?,
            is_current: r.get(3)?,
            clv_cents: r.get(4)?,
            clv_low_cents: r.get(5)?,
            clv_high_cents: r.get(6)?,
            p_alive: r.get(7)?,
            expected_purchases: r.get(8)?,
            frequency: r.get(9)?,
            segment: r.get(10)?,
        })
    })?
    .collect()
}

/// The profile's customer and those merged into them, as a JSON array text.
fn group_json(profile: &CustomerProfile) -> String {
    let mut ids = vec![profile.id];
    ids.extend(&profile.merged_ids);
    serde_json::Value::from(ids).to_string()
}

/// The export's other tables: each a query over the group (`?1`, a JSON array of ids).
const RELATED: &[(&str, &str)] = &[
    (
        "customer_records",
        "SELECT * FROM customers WHERE id IN (SELECT value FROM json_each(?1)) ORDER BY id",
    ),
    (
        "merges",
        "SELECT id, survivor_id, duplicate_id, merged_utc, unmerged_utc, filled_json
         FROM customer_merges
         WHERE survivor_id IN (SELECT value FROM json_each(?1))
            OR duplicate_id IN (SELECT value FROM json_each(?1)) ORDER BY id",
    ),
    (
        "points_ledger",
        "SELECT * FROM points_ledger WHERE customer_id IN (SELECT value FROM json_each(?1)) ORDER BY id",
    ),
    (
        "referral_codes",
        "SELECT * FROM referral_codes WHERE customer_id IN (SELECT value FROM json_each(?1)) ORDER BY id",
    ),
    (
        "referrals",
        "SELECT * FROM referrals WHERE referrer_id IN (SELECT value FROM json_each(?1))
            OR referee_id IN (SELECT value FROM json_each(?1)) ORDER BY id",
    ),
    (
        "care_tasks",
        "SELECT * FROM care_tasks WHERE customer_id IN (SELECT value FROM json_each(?1)) ORDER BY id",
    ),
    (
        "touchpoints",
        "SELECT * FROM touchpoints WHERE customer_id IN (SELECT value FROM json_each(?1)) ORDER BY id",
    ),
    (
        "disputes",
        "SELECT * FROM disputes WHERE customer_id IN (SELECT value FROM json_each(?1)) ORDER BY id",
    ),
];

/// Every [`RELATED`] table's rows naming the group, as `{table: [{column: value}]}`.
fn related_rows(conn: &Connection, group_json: &str) -> rusqlite::Result<serde_json::Value> {
    let mut related = serde_json::Map::new();
    for (name, sql) in RELATED {
        related.insert((*name).to_owned(), rows_as_json(conn, sql, group_json)?);
    }
    Ok(serde_json::Value::Object(related))
}

/// The rows of `sql` (bound to `group_json`) as JSON objects keyed by column name.
fn rows_as_json(
    conn: &Connection,
    sql: &str,
    group_json: &str,
) -> rusqlite::Result<serde_json::Value> {
    use rusqlite::types::ValueRef;
    let mut stmt = conn.prepare(sql)?;
    let names: Vec<String> = stmt.column_names().map(str::to_owned).collect();
    let mut rows = stmt.query([group_json])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let mut object = serde_json::Map::new();
        for (i, name) in names.iter().enumerate() {
            let value = match row.get_ref(i)? {
                ValueRef::Null => serde_json::Value::Null,
                ValueRef::Integer(n) => n.into(),
                ValueRef::Real(x) => x.into(),
                ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned().into(),
                ValueRef::Blob(b) => format!("({} bytes)", b.len()).into(),
            };
            object.insert(name.clone(), value);
        }
        out.push(serde_json::Value::Object(object));
    }
    Ok(serde_json::Value::Array(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_trimmed_and_deduplicated() {
        assert_eq!(
            normalise_tags(" vip, Wholesale ,,VIP, cafe "),
            "vip, Wholesale, cafe"
        );
        assert_eq!(normalise_tags(" , "), "");
    }

    #[test]
    fn contact_checks() {
        assert!(valid_email("jane.doe+shop@gmail.com"));
        assert!(!valid_email("jane@localhost"));
        assert!(!valid_email("jane doe@x.com"));
        assert!(!valid_email("@x.com"));
        assert!(!valid_email("a@b@x.com"));
        assert!(valid_phone("+44 (0)7700 900-123"));
        assert!(!valid_phone("12345"));
        assert!(!valid_phone("call 0123456789"));
        assert!(valid_birthday("1990-02-28"));
        assert!(valid_birthday("--02-29"));
        assert!(!valid_birthday("--02-30"));
        assert!(!valid_birthday("1990-2-28"));
        assert!(!valid_birthday("1991-02-29"));
    }
}
