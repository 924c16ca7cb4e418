//! Merging a duplicate customer into the one that survives, and taking it back. The rules
//! (chains followed and flattened, contact fields filled and restored) are in the
//! documentation of the parent module.

use rusqlite::{Connection, OptionalExtension as _, Transaction, params};

use super::{Fail, bump_revision, merge_state, name_of, refused};
use crate::store::{Store, StoreError, now_utc};

/// How deep a `merged_into` chain is followed (chains are flat; this stops a hand-made cycle).
const MAX_CHAIN: usize = 32;

/// What a merge did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct MergeOutcome {
    /// The customer the duplicate now counts for (the one asked for, or the survivor it is
    /// itself merged into).
    pub survivor: i64,
    /// The customer merged.
    pub duplicate: i64,
    /// Customers that were merged into the duplicate and now point at the survivor.
    pub also_moved: Vec<i64>,
    /// Contact fields the survivor lacked and took from the duplicate (`email`, `phone`,
    /// `birthday`, `postcode`, `display_name`).
    pub filled: Vec<String>,
    /// Orders (refund entries included) that now count for the survivor.
    pub orders_moved: u64,
}

/// One merge in the history.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct MergeRecord {
    /// Row id.
    pub id: i64,
    /// The customer the duplicate counts (or counted) for.
    pub survivor_id: i64,
    /// Their display name.
    pub survivor_name: String,
    /// The customer merged.
    pub duplicate_id: i64,
    /// Their display name.
    pub duplicate_name: String,
    /// When it was merged (seconds since the epoch, UTC).
    pub merged_utc: i64,
    /// When it was unmerged; `None` while the merge holds.
    pub unmerged_utc: Option<i64>,
    /// Contact fields the merge filled in on the survivor.
    pub filled: Vec<String>,
}

/// The contact columns a merge may fill (in the order [`fill_contact`] reads them), and the
/// statements that fill and restore each. Column names never come from data.
const FILLABLE: &[(&str, &str, &str)] = &[
    (
        "email",
        "UPDATE customers SET email = ?2 WHERE id = ?1 AND email IS NULL",
        "UPDATE customers SET email = NULL WHERE id = ?1 AND email = ?2",
    ),
    (
        "phone",
        "UPDATE customers SET phone = ?2 WHERE id = ?1 AND phone IS NULL",
        "UPDATE customers SET phone = NULL WHERE id = ?1 AND phone = ?2",
    ),
    (
        "birthday",
        "UPDATE customers SET birthday = ?2 WHERE id = ?1 AND birthday IS NULL",
        "UPDATE customers SET birthday = NULL WHERE id = ?1 AND birthday = ?2",
    ),
    (
        "postcode",
        "UPDATE customers SET postcode = ?2 WHERE id = ?1 AND postcode IS NULL",
        "UPDATE customers SET postcode = NULL WHERE id = ?1 AND postcode = ?2",
    ),
    (
        "display_name",
        "UPDATE customers SET display_name = ?2 WHERE id = ?1 AND display_name = ''",
        "UPDATE customers SET display_name = '' WHERE id = ?1 AND display_name = ?2",
    ),
];

impl Store {
    /// Merges customer `duplicate` into `survivor` in one transaction: from now on every
    /// figure counts the duplicate's orders (and those of anyone merged into the duplicate)
    /// for the survivor. When `survivor` is itself merged, the duplicate joins the customer
    /// it is merged into. Refused for the same customer, an already merged duplicate, and
    /// erased customers.
    pub fn merge_customers(
        &mut self,
        survivor: i64,
        duplicate: i64,
    ) -> Result<MergeOutcome, StoreError> {
        self.customers_tx(|tx| merge(tx, survivor, duplicate))
    }

    /// Takes customer `duplicate` out of the customer it was merged into, in one
    /// transaction: they count for themselves again with all the orders stored under them
    /// (also those imported after the merge), and the contact fields the merge filled in on
    /// the survivor are emptied again unless changed since. Refused when not merged.
    pub fn unmerge_customer(&mut self, duplicate: i64) -> Result<(), StoreError> {
        self.customers_tx(|tx| unmerge(tx, duplicate))
    }

    /// Every merge, newest first, including those undone.
    pub fn merges(&self) -> Result<Vec<MergeRecord>, StoreError> {
        read_merges(self.conn()).map_err(|e| self.err(e))
    }
}

/// Merges the pairs of customers an import found to be one person (one of its orders named
/// keys of both: a Stripe customer id first seen alone, an e-mail first seen alone). The one
/// the import created goes into the other, the later of two new ones into the earlier, so
/// undoing the import takes the merge back with the customer it removes. Two customers
/// stored before the import are left apart for the owner to merge: undo could not part them.
/// So are two with different e-mail addresses of their own (two accounts of a family paying
/// with one address). Returns how many were merged.
pub(crate) fn merge_same_person(
    tx: &Transaction<'_>,
    pairs: &[(i64, i64)],
    first_new_customer: i64,
) -> rusqlite::Result<u64> {
    let mut merged = 0;
    for &(first, second) in pairs {
        let (a, b) = match (final_survivor(tx, first), final_survivor(tx, second)) {
            (Ok(a), Ok(b)) => (a, b),
            (Err(Fail::Sql(e)), _) | (_, Err(Fail::Sql(e))) => return Err(e),
            // A merge loop or a missing customer: left as they are.
            _ => continue,
        };
        if different_emails(tx, a, b)? {
            continue;
        }
        let (survivor, duplicate) = match (a >= first_new_customer, b >= first_new_customer) {
            _ if a == b => continue,
            (false, false) => continue,
            (true, true) => (a.min(b), a.max(b)),
            (false, true) => (a, b),
            (true, false) => (b, a),
        };
        match merge(tx, survivor, duplicate) {
            Ok(_) => merged += 1,
            Err(Fail::Sql(e)) => return Err(e),
            // Refused (an erased customer): left apart.
            Err(Fail::Store(_)) => {}
        }
    }
    Ok(merged)
}

/// Whether customers `a` and `b` both have an e-mail address and they differ.
fn different_emails(tx: &Transaction<'_>, a: i64, b: i64) -> rusqlite::Result<bool> {
    let email = |id: i64| -> rusqlite::Result<Option<String>> {
        Ok(tx
            .prepare_cached("SELECT email FROM customers WHERE id = ?1")?
            .query_row([id], |r| r.get::<_, Option<String>>(0))
            .optional()?
            .flatten()
            .map(|e| e.trim().to_lowercase())
            .filter(|e| !e.is_empty()))
    };
    Ok(matches!((email(a)?, email(b)?), (Some(x), Some(y)) if x != y))
}

fn merge(tx: &Transaction<'_>, survivor: i64, duplicate: i64) -> Result<MergeOutcome, Fail> {
    let (dup_merged, dup_erased) = merge_state(tx, duplicate)?
        .ok_or(Fail::Store(StoreError::NoSuchCustomer { id: duplicate }))?;
    let target = final_survivor(tx, survivor)?;
    if target == duplicate {
        return Err(refused(format!(
            "a customer cannot be merged into themselves (customer {duplicate})"
        )));
    }
    if let Some(current) = dup_merged {
        return Err(refused(format!(
            "{} (customer {duplicate}) is already merged into {} (customer {current}); unmerge them first",
            name_of(tx, duplicate)?,
            name_of(tx, current)?
        )));
    }
    if dup_erased.is_some() || merge_state(tx, target)?.is_some_and(|(_, erased)| erased.is_some())
    {
        return Err(refused("erased customers cannot be merged"));
    }
    let also_moved = flatten_into(tx, duplicate, target)?;
    let filled = fill_contact(tx, target, duplicate)?;
    tx.execute(
        "UPDATE customers SET merged_into = ?2 WHERE id = ?1",
        params![duplicate, target],
    )?;
    let filled_json = serde_json::Value::Object(filled.clone()).to_string();
    tx.execute(
        "INSERT INTO customer_merges (survivor_id, duplicate_id, merged_utc, filled_into, filled_json)
         VALUES (?1, ?2, ?3, ?1, ?4)",
        params![target, duplicate, now_utc(), filled_json],
    )?;
    bump_revision(tx)?;
    let mut counted = vec![duplicate];
    counted.extend(&also_moved);
    let orders_moved: i64 = tx.query_row(
        "SELECT count(*) FROM orders WHERE customer_id IN (SELECT value FROM json_each(?1))",
        [serde_json::Value::from(counted).to_string()],
        |r| r.get(0),
    )?;
    Ok(MergeOutcome {
        survivor: target,
        duplicate,
        also_moved,
        filled: filled.keys().cloned().collect(),
        orders_moved: orders_moved.unsigned_abs(),
    })
}

/// The customer `id` counts for: itself, or the end of its `merged_into` chain.
fn final_survivor(conn: &Connection, id: i64) -> Result<i64, Fail> {
    let mut current = id;
    for _ in 0..MAX_CHAIN {
        match merge_state(conn, current)? {
            None => return Err(Fail::Store(StoreError::NoSuchCustomer { id: current })),
            Some((Some(next), _)) => current = next,
            Some((None, _)) => return Ok(current),
        }
    }
    Err(refused(format!(
        "customer {id} is part of a merge loop; unmerge its customers first"
    )))
}

/// Points everyone merged into `duplicate` at `target` (chains stay one step long), their
/// merge records with them; returns who moved.
fn flatten_into(tx: &Transaction<'_>, duplicate: i64, target: i64) -> rusqlite::Result<Vec<i64>> {
    let moved: Vec<i64> = tx
        .prepare("SELECT id FROM customers WHERE merged_into = ?1 ORDER BY id")?
        .query_map([duplicate], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    tx.execute(
        "UPDATE customers SET merged_into = ?2 WHERE merged_into = ?1",
        params![duplicate, target],
    )?;
    tx.execute(
        "UPDATE customer_merges SET survivor_id = ?2 WHERE survivor_id = ?1 AND unmerged_utc IS NULL",
        params![duplicate, target],
    )?;
    Ok(moved)
}

/// Fills the survivor's empty contact fields from the duplicate; returns what was filled.
fn fill_contact(
    tx: &Transaction<'_>,
    target: i64,
    duplicate: i64,
) -> rusqlite::Result<serde_json::Map<String, serde_json::Value>> {
    let values: Option<[Option<String>; 5]> = tx
        .query_row(
            "SELECT email, phone, birthday, postcode, display_name FROM customers WHERE id = ?1",
            [duplicate],
            |r| Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?]),
        )
        .optional()?;
    let mut filled = serde_json::Map::new();
    for ((column, fill_sql, _), value) in FILLABLE.iter().zip(values.into_iter().flatten()) {
        let Some(value) = value.filter(|v| !v.trim().is_empty()) else {
            continue;
        };
        if tx.execute(fill_sql, params![target, value])? > 0 {
            filled.insert((*column).to_owned(), value.into());
        }
    }
    Ok(filled)
}

fn unmerge(tx: &Transaction<'_>, duplicate: i64) -> Result<(), Fail> {
    let (merged, _) = merge_state(tx, duplicate)?
        .ok_or(Fail::Store(StoreError::NoSuchCustomer { id: duplicate }))?;
    if merged.is_none() {
        return Err(refused(format!(
            "{} (customer {duplicate}) is not merged into anyone",
            name_of(tx, duplicate)?
        )));
    }
    tx.execute(
        "UPDATE customers SET merged_into = NULL WHERE id = ?1",
        [duplicate],
    )?;
    let record: Option<(i64, Option<i64>, String)> = tx
        .query_row(
            "SELECT id, filled_into, filled_json FROM customer_merges
             WHERE duplicate_id = ?1 AND unmerged_utc IS NULL",
            [duplicate],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    if let Some((record_id, filled_into, filled_json)) = record {
        if let Some(filled_into) = filled_into {
            restore_filled(tx, filled_into, &filled_json)?;
        }
        tx.execute(
            "UPDATE customer_merges SET unmerged_utc = ?2 WHERE id = ?1",
            params![record_id, now_utc()],
        )?;
    }
    bump_revision(tx)?;
    Ok(())
}

/// Empties each field a merge filled on `customer`, where it still holds the filled value.
fn restore_filled(tx: &Transaction<'_>, customer: i64, filled_json: &str) -> rusqlite::Result<()> {
    let filled: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(filled_json).unwrap_or_default();
    for (column, _, restore_sql) in FILLABLE {
        if let Some(value) = filled.get(*column).and_then(serde_json::Value::as_str) {
            tx.execute(restore_sql, params![customer, value])?;
        }
    }
    Ok(())
}

fn read_merges(conn: &Connection) -> rusqlite::Result<Vec<MergeRecord>> {
    let mut stmt = conn.prepare(
        "SELECT m.id, m.survivor_id, s.display_name, m.duplicate_id, d.display_name,
                m.merged_utc, m.unmerged_utc, m.filled_json
         FROM customer_merges m
         JOIN customers s ON s.id = m.survivor_id
         JOIN customers d ON d.id = m.duplicate_id
         ORDER BY m.id DESC",
    )?;
    stmt.query_map([], |r| {
        let filled: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&r.get::<_, String>(7)?).unwrap_or_default();
        Ok(MergeRecord {
            id: r.get(0)?,
            survivor_id: r.get(1)?,
            survivor_name: r.get(2)?,
            duplicate_id: r.get(3)?,
            duplicate_name: r.get(4)?,
            merged_utc: r.get(5)?,
            unmerged_utc: r.get(6)?,
            filled: filled.keys().cloned().collect(),
        })
    })?
    .collect()
}
