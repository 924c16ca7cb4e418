//! Privacy erasure of one person: their contact details, the keys imports recognised them
//! by and the free text about them are removed; their orders stay, linked to the erased
//! record, so every total, cohort and valuation stays as it was.
//!
//! A person is the customer and everyone merged into them: erasing any of those records
//! erases the whole group (they are one person, and the other records hold the same
//! details).
//!
//! What is removed, from every record of the group:
//! * the name (it becomes "Erased customer N"), e-mail, phone, birthday, postcode, tags,
//!   notes; marketing consent is switched off; `erased_utc` is set;
//! * every customer key (e-mail, platform id, username, phone, name);
//! * the contact details an import or a merge recorded for undo (`import_changes`,
//!   `customer_merges.filled_json`), so neither an undo nor an unmerge can bring them back;
//! * free text about them in the care tables (touchpoint notes, dispute descriptions and
//!   resolutions, care task reasons and outcomes) and their referral code.
//!
//! Orders keep their amounts, dates, products and order numbers: they hold no contact
//! details. **Importing an old export that contains the person again** creates a new
//! customer from that file's details (no key is left to recognise them by, and no hash of
//! one is kept — that would still identify them), and the orders in it that are stored
//! move to that new customer (matched by order number, so totals still do not change). The
//! owner should therefore also delete the person in their shop platform and not re-import
//! exports made before the erasure.

use rusqlite::{Connection, Transaction};

use super::{Fail, bump_revision, group_of, merge_state};
use crate::store::{Store, StoreError, now_utc};

/// What [`Store::erase_customer`] will remove, for the confirmation dialog.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ErasurePreview {
    /// The customer the person is known as (the survivor of any merge).
    pub customer_id: i64,
    /// Their display name now.
    pub display_name: String,
    /// Every record that will be erased: the customer and those merged into them.
    pub customers: Vec<i64>,
    /// The contact fields that hold something, in words (`name`, `e-mail`, `phone`,
    /// `birthday`, `postcode`, `tags`, `notes`, `marketing consent`).
    pub fields: Vec<String>,
    /// Customer keys that will be removed.
    pub keys: u64,
    /// Length of the notes in characters.
    pub notes_chars: u64,
    /// Care notes, dispute texts and referral codes that will be emptied or removed.
    pub care_records: u64,
    /// Orders that stay (anonymous, totals unchanged).
    pub orders_kept: u64,
    /// Every record of the group is erased already.
    pub already_erased: bool,
}

impl ErasurePreview {
    /// The preview in one sentence: "Removes name, e-mail and notes (120 characters) and 2
    /// keys of 1 customer record; 5 orders stay, anonymous."
    pub fn summary(&self) -> String {
        let mut fields: Vec<String> = self.fields.clone();
        if let Some(notes) = fields.iter_mut().find(|f| *f == "notes") {
            *notes = format!("notes ({} characters)", self.notes_chars);
        }
        fields.push(format!("{} keys", self.keys));
        if self.care_records > 0 {
            fields.push(format!("{} care records", self.care_records));
        }
        let records = self.customers.len();
        format!(
            "Removes {} of {records} customer record{}; {} orders stay, anonymous.",
            super::duplicates::in_words(&fields),
            if records == 1 { "" } else { "s" },
            self.orders_kept
        )
    }
}

/// What an erasure did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ErasureOutcome {
    /// The records erased (the customer and those merged into them).
    pub customers_erased: Vec<i64>,
    /// Customer keys removed.
    pub keys_removed: u64,
    /// Orders kept, anonymous.
    pub orders_kept: u64,
}

/// The fields the preview names, each with the SQL condition that says it holds data.
const FIELDS: &[(&str, &str)] = &[
    ("name", "display_name <> '' AND erased_utc IS NULL"),
    ("e-mail", "email IS NOT NULL"),
    ("phone", "phone IS NOT NULL"),
    ("birthday", "birthday IS NOT NULL"),
    ("postcode", "postcode IS NOT NULL"),
    ("tags", "tags <> ''"),
    ("notes", "notes <> ''"),
    ("marketing consent", "marketing_consent = 1"),
];

impl Store {
    /// What erasing customer `id` would remove (see [`Store::erase_customer`]).
    pub fn erasure_preview(&self, id: i64) -> Result<ErasurePreview, StoreError> {
        let conn = self.conn();
        let root = person_of(conn, id).map_err(|e| self.err(e))?;
        let root = root.ok_or(StoreError::NoSuchCustomer { id })?;
        preview(conn, root).map_err(|e| self.err(e))
    }

    /// Erases the person customer `id` belongs to (the customer and everyone merged into
    /// them) in one transaction, as the module documentation describes: contact details,
    /// keys and free text removed, orders kept and still counted. Erasing again changes
    /// nothing more.
    pub fn erase_customer(&mut self, id: i64) -> Result<ErasureOutcome, StoreError> {
        self.customers_tx(|tx| {
            let root = person_of(tx, id)?.ok_or(Fail::Store(StoreError::NoSuchCustomer { id }))?;
            erase(tx, root)
        })
    }
}

/// The customer `id` counts for (itself, or the survivor it is merged into).
fn person_of(conn: &Connection, id: i64) -> rusqlite::Result<Option<i64>> {
    Ok(merge_state(conn, id)?.map(|(merged, _)| merged.unwrap_or(id)))
}

fn preview(conn: &Connection, root: i64) -> rusqlite::Result<ErasurePreview> {
    let group = group_of(conn, root)?;
    let ids = serde_json::Value::from(group.clone()).to_string();
    let count = |sql: &str| -> rusqlite::Result<u64> {
        conn.query_row(sql, [&ids], |r| r.get::<_, i64>(0))
            .map(i64::unsigned_abs)
    };
    let mut fields = Vec::new();
    for (field, holds) in FIELDS {
        let sql = format!(
            "SELECT count(*) FROM customers WHERE id IN (SELECT value FROM json_each(?1)) AND {holds}"
        );
        if count(&sql)? > 0 {
            fields.push((*field).to_owned());
        }
    }
    Ok(ErasurePreview {
        customer_id: root,
        display_name: super::name_of(conn, root)?,
        fields,
        keys: count(
            "SELECT count(*) FROM customer_keys WHERE customer_id IN (SELECT value FROM json_each(?1))",
        )?,
        notes_chars: count(
            "SELECT coalesce(sum(length(notes)), 0) FROM customers
             WHERE id IN (SELECT value FROM json_each(?1))",
        )?,
        care_records: count(
            "SELECT (SELECT count(*) FROM touchpoints WHERE note <> ''
                        AND customer_id IN (SELECT value FROM json_each(?1)))
                  + (SELECT count(*) FROM disputes WHERE (description <> '' OR resolution <> '')
                        AND customer_id IN (SELECT value FROM json_each(?1)))
                  + (SELECT count(*) FROM care_tasks WHERE (reason <> '' OR outcome IS NOT NULL)
                        AND customer_id IN (SELECT value FROM json_each(?1)))
                  + (SELECT count(*) FROM referral_codes
                        WHERE customer_id IN (SELECT value FROM json_each(?1)))",
        )?,
        orders_kept: count(
            "SELECT count(*) FROM orders WHERE customer_id IN (SELECT value FROM json_each(?1))",
        )?,
        already_erased: count(
            "SELECT count(*) FROM customers
             WHERE id IN (SELECT value FROM json_each(?1)) AND erased_utc IS NULL",
        )? == 0,
        customers: group,
    })
}

/// The statements of an erasure, each bound to the group (`?1`, a JSON array of ids).
const ERASE: &[&str] = &[
    "UPDATE customers SET display_name = 'Erased customer ' || id, email = NULL, phone = NULL,
            birthday = NULL, postcode = NULL, tags = '', notes = '', marketing_consent = 0,
            erased_utc = coalesce(erased_utc, ?2)
     WHERE id IN (SELECT value FROM json_each(?1))",
    "DELETE FROM import_changes WHERE kind = 'customer'
        AND key IN (SELECT CAST(value AS TEXT) FROM json_each(?1))",
    "UPDATE customer_merges SET filled_json = '{}'
     WHERE survivor_id IN (SELECT value FROM json_each(?1))
        OR duplicate_id IN (SELECT value FROM json_each(?1))
        OR filled_into IN (SELECT value FROM json_each(?1))",
    "UPDATE touchpoints SET note = '' WHERE customer_id IN (SELECT value FROM json_each(?1))",
    "UPDATE disputes SET description = '', resolution = ''
     WHERE customer_id IN (SELECT value FROM json_each(?1))",
    "UPDATE care_tasks SET reason = '', outcome = NULL
     WHERE customer_id IN (SELECT value FROM json_each(?1))",
    "UPDATE referrals SET code = NULL WHERE referrer_id IN (SELECT value FROM json_each(?1))",
    // Fraud evidence and review notes quote contact details of both people.
    "UPDATE referrals SET flags = '', reason = '', review_reason = ''
     WHERE referrer_id IN (SELECT value FROM json_each(?1))
        OR referee_id IN (SELECT value FROM json_each(?1))",
    "DELETE FROM referral_codes WHERE customer_id IN (SELECT value FROM json_each(?1))",
];

fn erase(tx: &Transaction<'_>, root: i64) -> Result<ErasureOutcome, Fail> {
    let group = group_of(tx, root)?;
    let ids = serde_json::Value::from(group.clone()).to_string();
    let keys_removed = tx.execute(
        "DELETE FROM customer_keys WHERE customer_id IN (SELECT value FROM json_each(?1))",
        [&ids],
    )?;
    let now = now_utc();
    for sql in ERASE {
        // Only the first statement records the time (?2).
        let mut stmt = tx.prepare(sql)?;
        stmt.raw_bind_parameter(1, &ids)?;
        if stmt.parameter_count() >= 2 {
            stmt.raw_bind_parameter(2, now)?;
        }
        stmt.raw_execute()?;
    }
    let orders_kept: i64 = tx.query_row(
        "SELECT count(*) FROM orders WHERE customer_id IN (SELECT value FROM json_each(?1))",
        [&ids],
        |r| r.get(0),
    )?;
    bump_revision(tx)?;
    Ok(ErasureOutcome {
        customers_erased: group,
        keys_removed: keys_removed as u64,
        orders_kept: orders_kept.unsigned_abs(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_names_what_goes() {
        let preview = ErasurePreview {
            customer_id: 7,
            display_name: "Jane".into(),
            customers: vec![7],
            fields: vec!["name".into(), "e-mail".into(), "notes".into()],
            keys: 2,
            notes_chars: 120,
            care_records: 0,
            orders_kept: 5,
            already_erased: false,
        };
        assert_eq!(
            preview.summary(),
            "Removes name, e-mail, notes (120 characters) and 2 keys of 1 customer record; 5 orders stay, anonymous."
        );
    }
}
