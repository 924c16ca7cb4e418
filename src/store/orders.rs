//! Writing a batch of normalised orders as one import: customers resolved through their
//! keys, orders inserted or updated by `(source, external_id)`, all in one transaction.
//!
//! The import paths (file import, demo data) hand over finished [`NewOrder`]s; this module
//! is the second phase of "stage, then write". A cancelled or failed write rolls back and
//! leaves the database exactly as it was.

use std::collections::HashMap;

use rusqlite::{OptionalExtension as _, Transaction, params};

use super::{Store, StoreError, now_utc};
use crate::domain::{CustomerIdentity, ImportId, NewOrder};

/// What is recorded about an import besides its orders.
#[derive(Clone, Debug, Default)]
pub struct NewImport {
    /// File name shown in the import history (or "Demo data").
    pub file_name: String,
    /// Full path of the file, when it came from one.
    pub file_path: Option<String>,
    /// SHA-256 of the file bytes, hex.
    pub sha256: Option<String>,
    /// File size in bytes.
    pub size_bytes: Option<u64>,
    /// Preset used (`shopify`, `generic`, `demo`, …).
    pub preset: String,
    /// Column mapping used, as JSON.
    pub mapping_json: String,
    /// Text encoding detected.
    pub encoding: Option<String>,
    /// Delimiter detected.
    pub delimiter: Option<String>,
    /// Data rows read from the file.
    pub rows_read: u64,
    /// Rows skipped, with reasons in `skipped_json`.
    pub rows_skipped: u64,
    /// `{"reason": count}` for skipped rows.
    pub skipped_json: String,
}

/// Counts of what an import changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriteOutcome {
    /// The import's row id.
    pub import_id: ImportId,
    /// Orders that were new.
    pub orders_created: u64,
    /// Orders that existed and changed.
    pub orders_updated: u64,
    /// Orders that existed unchanged (an overlapping re-import).
    pub orders_unchanged: u64,
    /// Customers that were new.
    pub customers_created: u64,
    /// Orders without any customer identity.
    pub guest_orders: u64,
}

/// Why an import write did not complete. Either way nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The owner pressed Cancel.
    #[error("the import was cancelled; nothing was written")]
    Cancelled,
    /// The database refused the write.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Store {
    /// Writes `orders` as one import in one transaction. `keep_going` is called with the
    /// number of orders written so far every few hundred orders; returning `false` cancels
    /// and rolls everything back.
    pub fn write_import(
        &mut self,
        import: &NewImport,
        orders: &[NewOrder],
        keep_going: &mut dyn FnMut(usize) -> bool,
    ) -> Result<WriteOutcome, WriteError> {
        let path = self.path().to_path_buf();
        let sql_err = |e| WriteError::Store(StoreError::from_sqlite(&path, e));
        let tx = self
            .conn_mut()
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(sql_err)?;
        let import_id = insert_import_row(&tx, import).map_err(sql_err)?;
        let mut outcome = WriteOutcome {
            import_id,
            ..WriteOutcome::default()
        };
        let mut resolver = CustomerResolver::default();
        for (index, order) in orders.iter().enumerate() {
            if index % 512 == 0 && !keep_going(index) {
                return Err(WriteError::Cancelled);
            }
            let customer_id = if order.customer.is_guest() {
                outcome.guest_orders += 1;
                None
            } else {
                let (id, created) = resolver
                    .resolve(&tx, &order.customer, &order.source, import_id)
                    .map_err(sql_err)?;
                outcome.customers_created += u64::from(created);
                Some(id)
            };
            match upsert_order(&tx, order, customer_id, import_id).map_err(sql_err)? {
                Upsert::Created => outcome.orders_created += 1,
                Upsert::Updated => outcome.orders_updated += 1,
                Upsert::Unchanged => outcome.orders_unchanged += 1,
            }
        }
        if !keep_going(orders.len()) {
            return Err(WriteError::Cancelled);
        }
        refresh_order_dates(&tx, import_id).map_err(sql_err)?;
        finish_import_row(&tx, import_id, &outcome, orders.len()).map_err(sql_err)?;
        tx.commit().map_err(sql_err)?;
        Ok(outcome)
    }
}

fn insert_import_row(tx: &Transaction<'_>, import: &NewImport) -> rusqlite::Result<ImportId> {
    tx.execute(
        "INSERT INTO imports (file_name, file_path, sha256, size_bytes, preset, mapping_json,
                              encoding, delimiter, rows_read, rows_skipped, skipped_json, started_utc)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            import.file_name,
            import.file_path,
            import.sha256,
            import.size_bytes.map(|s| i64::try_from(s).unwrap_or(i64::MAX)),
            import.preset,
            if import.mapping_json.is_empty() { "{}" } else { &import.mapping_json },
            import.encoding,
            import.delimiter,
            i64::try_from(import.rows_read).unwrap_or(i64::MAX),
            i64::try_from(import.rows_skipped).unwrap_or(i64::MAX),
            if import.skipped_json.is_empty() { "{}" } else { &import.skipped_json },
            now_utc(),
        ],
    )?;
    Ok(ImportId(tx.last_insert_rowid()))
}

fn finish_import_row(
    tx: &Transaction<'_>,
    import_id: ImportId,
    outcome: &WriteOutcome,
    rows_imported: usize,
) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE imports SET rows_imported = ?2, orders_created = ?3, orders_updated = ?4,
                            customers_created = ?5, finished_utc = ?6
         WHERE id = ?1",
        params![
            import_id.0,
            i64::try_from(rows_imported).unwrap_or(i64::MAX),
            i64::try_from(outcome.orders_created).unwrap_or(i64::MAX),
            i64::try_from(outcome.orders_updated).unwrap_or(i64::MAX),
            i64::try_from(outcome.customers_created).unwrap_or(i64::MAX),
            now_utc(),
        ],
    )?;
    Ok(())
}

/// One identifying key of a customer, normalised for matching.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct IdentityKey {
    kind: &'static str,
    source: String,
    key: String,
}

/// The keys that identify `who`, strongest first: email (across platforms), platform id,
/// username, and the name only when nothing stronger exists.
fn identity_keys(who: &CustomerIdentity, source: &str) -> Vec<IdentityKey> {
    let mut keys = Vec::new();
    let mut push = |kind: &'static str, source: &str, key: Option<String>| {
        if let Some(key) = key.filter(|k| !k.is_empty()) {
            keys.push(IdentityKey {
                kind,
                source: source.to_owned(),
                key,
            });
        }
    };
    push("email", "", who.email.as_deref().map(normalise_email));
    push(
        "platform_id",
        source,
        who.platform_id.as_deref().map(|v| v.trim().to_owned()),
    );
    push(
        "username",
        source,
        who.username.as_deref().map(|v| v.trim().to_lowercase()),
    );
    let name = who.name.as_deref().map(normalise_name);
    if keys.is_empty()
        && let Some(name) = name.filter(|n| !n.is_empty())
    {
        keys.push(IdentityKey {
            kind: "name",
            source: source.to_owned(),
            key: name,
        });
    }
    keys
}

/// Lower-case and trimmed; dots and plus tags are kept (merging on them is a suggestion
/// for the owner to confirm, not an automatic rule).
pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Lower-case with runs of whitespace collapsed, so "Jane  DOE " matches "jane doe".
pub fn normalise_name(name: &str) -> String {
    name.split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Finds or creates customers by their keys, remembering answers within one import.
#[derive(Default)]
struct CustomerResolver {
    known: HashMap<IdentityKey, i64>,
}

impl CustomerResolver {
    /// The customer for `who` and whether it was created now.
    fn resolve(
        &mut self,
        tx: &Transaction<'_>,
        who: &CustomerIdentity,
        source: &str,
        import_id: ImportId,
    ) -> rusqlite::Result<(i64, bool)> {
        let keys = identity_keys(who, source);
        let mut found = None;
        for key in &keys {
            if let Some(&id) = self.known.get(key) {
                found = Some(id);
                break;
            }
            let mut stmt = tx.prepare_cached(
                "SELECT customer_id FROM customer_keys WHERE kind = ?1 AND source = ?2 AND key = ?3",
            )?;
            if let Some(id) = stmt
                .query_row(params![key.kind, key.source, key.key], |r| {
                    r.get::<_, i64>(0)
                })
                .optional()?
            {
                found = Some(surviving_customer(tx, id)?);
                break;
            }
        }
        let (id, created) = match found {
            Some(id) => {
                fill_missing_contact(tx, id, who)?;
                (id, false)
            }
            None => (insert_customer(tx, who, import_id)?, true),
        };
        for key in keys {
            if self.known.contains_key(&key) {
                continue;
            }
            tx.prepare_cached(
                "INSERT OR IGNORE INTO customer_keys (customer_id, kind, source, key, import_id)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![id, key.kind, key.source, key.key, import_id.0])?;
            self.known.insert(key, id);
        }
        Ok((id, created))
    }
}

/// Follows `merged_into` so orders land on the customer that survived a merge.
fn surviving_customer(tx: &Transaction<'_>, mut id: i64) -> rusqlite::Result<i64> {
    // A merge chain is short; the bound protects against a cycle written by hand.
    for _ in 0..32 {
        let next: Option<i64> = tx
            .prepare_cached("SELECT merged_into FROM customers WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?
            .flatten();
        match next {
            Some(n) => id = n,
            None => break,
        }
    }
    Ok(id)
}

fn insert_customer(
    tx: &Transaction<'_>,
    who: &CustomerIdentity,
    import_id: ImportId,
) -> rusqlite::Result<i64> {
    tx.prepare_cached(
        "INSERT INTO customers (display_name, email, phone, postcode, marketing_consent,
                                created_import_id, created_utc)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        display_name(who),
        trimmed(&who.email),
        trimmed(&who.phone),
        trimmed(&who.postcode),
        who.marketing_consent.unwrap_or(false),
        import_id.0,
        now_utc(),
    ])?;
    Ok(tx.last_insert_rowid())
}

/// Adds contact details a later export knows and the customer record lacks; never
/// overwrites what the owner (or an earlier import) already has.
fn fill_missing_contact(
    tx: &Transaction<'_>,
    id: i64,
    who: &CustomerIdentity,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "UPDATE customers SET
            display_name = CASE WHEN display_name = '' THEN ?2 ELSE display_name END,
            email = coalesce(email, ?3),
            phone = coalesce(phone, ?4),
            postcode = coalesce(postcode, ?5),
            marketing_consent = CASE WHEN ?6 IS NULL THEN marketing_consent ELSE ?6 END
         WHERE id = ?1 AND erased_utc IS NULL",
    )?
    .execute(params![
        id,
        display_name(who),
        trimmed(&who.email),
        trimmed(&who.phone),
        trimmed(&who.postcode),
        who.marketing_consent,
    ])?;
    Ok(())
}

fn display_name(who: &CustomerIdentity) -> String {
    trimmed(&who.name)
        .or_else(|| trimmed(&who.email))
        .or_else(|| trimmed(&who.username))
        .or_else(|| trimmed(&who.platform_id))
        .unwrap_or_default()
}

fn trimmed(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// The stored fields of an order that decide whether a re-import changed it.
struct StoredOrder {
    id: i64,
    customer_id: Option<i64>,
    placed_utc: i64,
    gross_cents: i64,
    discount_cents: i64,
    refunded_cents: i64,
    status: String,
    coupon_code: Option<String>,
}

enum Upsert {
    Created,
    Updated,
    Unchanged,
}

/// Inserts the order, or updates the stored one with the same `(source, external_id)` when
/// anything differs; line items are replaced along with a changed order.
fn upsert_order(
    tx: &Transaction<'_>,
    order: &NewOrder,
    customer_id: Option<i64>,
    import_id: ImportId,
) -> rusqlite::Result<Upsert> {
    let existing: Option<StoredOrder> = tx
        .prepare_cached(
            "SELECT id, customer_id, placed_utc, gross_cents, discount_cents, refunded_cents,
                    status, coupon_code
             FROM orders WHERE source = ?1 AND external_id = ?2",
        )?
        .query_row(params![order.source, order.external_id], |r| {
            Ok(StoredOrder {
                id: r.get(0)?,
                customer_id: r.get(1)?,
                placed_utc: r.get(2)?,
                gross_cents: r.get(3)?,
                discount_cents: r.get(4)?,
                refunded_cents: r.get(5)?,
                status: r.get(6)?,
                coupon_code: r.get(7)?,
            })
        })
        .optional()?;
    let placed_utc = order.placed_utc.timestamp();
    match existing {
        None => {
            tx.prepare_cached(
                "INSERT INTO orders (import_id, source, external_id, customer_id, placed_utc,
                                     local_date, utc_offset_minutes, currency, gross_cents,
                                     discount_cents, refunded_cents, net_cents, refunded_utc,
                                     coupon_code, status, channel)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
            )?
            .execute(params![
                import_id.0,
                order.source,
                order.external_id,
                customer_id,
                placed_utc,
                order.local_date.to_string(),
                order.utc_offset_minutes,
                order.currency.code(),
                order.gross_cents,
                order.discount_cents,
                order.refunded_cents,
                order.net_cents(),
                order.refunded_utc.map(|t| t.timestamp()),
                order.coupon_code,
                order.status,
                order.channel,
            ])?;
            let order_id = tx.last_insert_rowid();
            insert_lines(tx, order_id, order)?;
            Ok(Upsert::Created)
        }
        Some(stored) => {
            let id = stored.id;
            let same = stored.customer_id == customer_id
                && stored.placed_utc == placed_utc
                && stored.gross_cents == order.gross_cents
                && stored.discount_cents == order.discount_cents
                && stored.refunded_cents == order.refunded_cents
                && stored.status == order.status
                && stored.coupon_code == order.coupon_code;
            if same {
                return Ok(Upsert::Unchanged);
            }
            tx.prepare_cached(
                "UPDATE orders SET customer_id = ?2, placed_utc = ?3, local_date = ?4,
                        utc_offset_minutes = ?5, currency = ?6, gross_cents = ?7,
                        discount_cents = ?8, refunded_cents = ?9, net_cents = ?10,
                        refunded_utc = ?11, coupon_code = ?12, status = ?13, channel = ?14,
                        updated_import_id = ?15
                 WHERE id = ?1",
            )?
            .execute(params![
                id,
                customer_id,
                placed_utc,
                order.local_date.to_string(),
                order.utc_offset_minutes,
                order.currency.code(),
                order.gross_cents,
                order.discount_cents,
                order.refunded_cents,
                order.net_cents(),
                order.refunded_utc.map(|t| t.timestamp()),
                order.coupon_code,
                order.status,
                order.channel,
                import_id.0,
            ])?;
            tx.prepare_cached("DELETE FROM order_lines WHERE order_id = ?1")?
                .execute([id])?;
            insert_lines(tx, id, order)?;
            Ok(Upsert::Updated)
        }
    }
}

fn insert_lines(tx: &Transaction<'_>, order_id: i64, order: &NewOrder) -> rusqlite::Result<()> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO order_lines (order_id, line_no, sku, name, quantity, unit_price_cents, total_cents)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for (line_no, line) in order.lines.iter().enumerate() {
        stmt.execute(params![
            order_id,
            i64::try_from(line_no + 1).unwrap_or(i64::MAX),
            line.sku,
            line.name,
            line.quantity,
            line.unit_price_cents,
            line.total_cents,
        ])?;
    }
    Ok(())
}

/// Recomputes first/last order instants of every customer this import touched.
fn refresh_order_dates(tx: &Transaction<'_>, import_id: ImportId) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE customers SET
            first_order_utc = (SELECT min(placed_utc) FROM orders WHERE customer_id = customers.id),
            last_order_utc  = (SELECT max(placed_utc) FROM orders WHERE customer_id = customers.id)
         WHERE id IN (SELECT customer_id FROM orders
                      WHERE (import_id = ?1 OR updated_import_id = ?1) AND customer_id IS NOT NULL)",
        [import_id.0],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone as _, Utc};

    use super::*;
    use crate::domain::{Currency, NewOrderLine};

    fn order(id: &str, email: Option<&str>, name: Option<&str>, cents: i64, day: u32) -> NewOrder {
        NewOrder {
            source: "test".into(),
            external_id: id.into(),
            customer: CustomerIdentity {
                email: email.map(Into::into),
                name: name.map(Into::into),
                ..CustomerIdentity::default()
            },
            placed_utc: Utc.with_ymd_and_hms(2025, 3, day, 10, 0, 0).unwrap(),
            local_date: NaiveDate::from_ymd_opt(2025, 3, day).unwrap(),
            utc_offset_minutes: Some(0),
            currency: Currency::EUR,
            gross_cents: cents,
            discount_cents: 0,
            refunded_cents: 0,
            refunded_utc: None,
            coupon_code: None,
            status: "paid".into(),
            channel: None,
            lines: vec![NewOrderLine {
                sku: Some("SKU1".into()),
                name: "Coffee beans".into(),
                quantity: 1.0,
                unit_price_cents: cents,
                total_cents: cents,
            }],
        }
    }

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("o.sqlite")).unwrap();
        (dir, store)
    }

    fn count(store: &Store, sql: &str) -> i64 {
        store.conn().query_row(sql, [], |r| r.get(0)).unwrap()
    }

    #[test]
    fn same_email_in_any_case_is_one_customer_and_guests_stay_unlinked() {
        let (_dir, mut store) = store();
        let orders = vec![
            order("1", Some("Jane@Example.com"), Some("Jane"), 1000, 1),
            order("2", Some(" jane@example.com "), None, 2000, 5),
            order("3", None, None, 500, 6),
            order("4", None, Some("Bob Stone"), 700, 7),
        ];
        let outcome = store
            .write_import(&NewImport::default(), &orders, &mut |_| true)
            .unwrap();
        assert_eq!(outcome.orders_created, 4);
        assert_eq!(outcome.customers_created, 2);
        assert_eq!(outcome.guest_orders, 1);
        assert_eq!(count(&store, "SELECT count(*) FROM customers"), 2);
        assert_eq!(
            count(
                &store,
                "SELECT count(*) FROM orders WHERE customer_id IS NULL"
            ),
            1
        );
        assert_eq!(count(&store, "SELECT count(*) FROM order_lines"), 4);
        let first: i64 = count(
            &store,
            "SELECT first_order_utc FROM customers WHERE email = 'Jane@Example.com'",
        );
        assert_eq!(first, orders[0].placed_utc.timestamp());
    }

    #[test]
    fn reimport_updates_changed_orders_and_never_duplicates() {
        let (_dir, mut store) = store();
        let first = vec![
            order("1", Some("a@x.com"), None, 1000, 1),
            order("2", Some("b@x.com"), None, 2000, 2),
        ];
        store
            .write_import(&NewImport::default(), &first, &mut |_| true)
            .unwrap();
        let mut second = first.clone();
        second[1].refunded_cents = 500;
        second.push(order("3", Some("a@x.com"), None, 3000, 3));
        let outcome = store
            .write_import(&NewImport::default(), &second, &mut |_| true)
            .unwrap();
        assert_eq!(
            (
                outcome.orders_created,
                outcome.orders_updated,
                outcome.orders_unchanged
            ),
            (1, 1, 1)
        );
        assert_eq!(outcome.customers_created, 0);
        assert_eq!(count(&store, "SELECT count(*) FROM orders"), 3);
        assert_eq!(
            count(&store, "SELECT sum(net_cents) FROM orders"),
            1000 + 1500 + 3000
        );
        assert_eq!(count(&store, "SELECT count(*) FROM order_lines"), 3);
    }

    #[test]
    fn cancelled_write_leaves_nothing() {
        let (_dir, mut store) = store();
        let orders: Vec<NewOrder> = (0..2000)
            .map(|i| {
                order(
                    &i.to_string(),
                    Some(&format!("c{i}@x.com")),
                    None,
                    100,
                    1 + (i % 28) as u32,
                )
            })
            .collect();
        let err = store
            .write_import(&NewImport::default(), &orders, &mut |done| done < 1000)
            .unwrap_err();
        assert!(matches!(err, WriteError::Cancelled));
        assert_eq!(count(&store, "SELECT count(*) FROM orders"), 0);
        assert_eq!(count(&store, "SELECT count(*) FROM customers"), 0);
        assert_eq!(count(&store, "SELECT count(*) FROM imports"), 0);
    }

    #[test]
    fn name_keys_only_when_nothing_stronger() {
        let who = CustomerIdentity {
            email: Some("x@y.z".into()),
            name: Some("Jane".into()),
            ..CustomerIdentity::default()
        };
        let keys = identity_keys(&who, "shopify");
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].kind, "email");
        let who = CustomerIdentity {
            name: Some("  Jane   DOE ".into()),
            ..CustomerIdentity::default()
        };
        let keys = identity_keys(&who, "etsy");
        assert_eq!(keys[0].key, "jane doe");
        assert_eq!(keys[0].source, "etsy");
    }
}
