//! The import history's other half: undoing an import exactly, remembering column
//! mappings per header, and the base currency the database keeps its figures in.

use rusqlite::{OptionalExtension as _, params};

use super::orders::ORDER_SNAPSHOT_COLUMNS;
use super::{Store, StoreError, now_utc};
use crate::domain::{Currency, ImportId};

/// A mapping remembered for a header signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RememberedMapping {
    /// Preset that was used.
    pub preset: String,
    /// Field → column name, as JSON.
    pub mapping_json: String,
    /// Day/month order chosen (`dmy`, `mdy`, `ymd`).
    pub date_order: Option<String>,
    /// Decimal separator chosen (`.` or `,`).
    pub decimal_separator: Option<String>,
}

/// What an undo removed or restored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UndoOutcome {
    /// Orders the import had added, now removed.
    pub orders_removed: u64,
    /// Orders the import had changed, now as they were.
    pub orders_restored: u64,
    /// Customers the import had added, now removed.
    pub customers_removed: u64,
}

/// Why an import cannot be undone.
#[derive(Debug, thiserror::Error)]
pub enum UndoError {
    /// No such import.
    #[error("there is no import number {0}")]
    NotFound(i64),
    /// It was undone before.
    #[error("“{0}” was already undone")]
    AlreadyUndone(String),
    /// A later import built on what this one added.
    #[error(
        "“{later}” (imported later) changed orders or customers that “{this}” added. Undo “{later}” first."
    )]
    LaterImportDepends {
        /// This import's file name.
        this: String,
        /// The later import's file name.
        later: String,
    },
    /// The database refused.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Store {
    /// The currency figures are kept in, once the database has orders; `None` before the
    /// first import (which then chooses it).
    pub fn base_currency(&self) -> Result<Option<Currency>, StoreError> {
        let has_orders: bool = self
            .conn()
            .query_row("SELECT EXISTS (SELECT 1 FROM orders)", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        if !has_orders {
            return Ok(None);
        }
        Ok(Some(self.business_settings()?.currency))
    }

    /// The mapping remembered for files with this header signature.
    pub fn remembered_mapping(
        &self,
        signature: &str,
    ) -> Result<Option<RememberedMapping>, StoreError> {
        self.conn()
            .query_row(
                "SELECT preset, mapping_json, date_order, decimal_separator FROM import_mappings WHERE signature = ?1",
                [signature],
                |r| {
                    Ok(RememberedMapping {
                        preset: r.get(0)?,
                        mapping_json: r.get(1)?,
                        date_order: r.get(2)?,
                        decimal_separator: r.get(3)?,
                    })
                },
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Whether orders of any spreadsheet (preset `generic`, kept apart or not) are stored.
    pub fn spreadsheet_orders_stored(&self) -> Result<bool, StoreError> {
        self.conn()
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM orders
                                WHERE source = 'generic' OR source LIKE 'generic:%')",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))
    }

    /// The source an earlier spreadsheet with this header signature was kept apart under
    /// (`generic:…`), if one was.
    pub fn source_kept_apart_for(&self, signature: &str) -> Result<Option<String>, StoreError> {
        self.conn()
            .query_row(
                "SELECT o.source FROM imports i JOIN orders o ON o.import_id = i.id
                 WHERE i.header_signature = ?1 AND i.undone_utc IS NULL
                   AND o.source LIKE 'generic:%'
                 LIMIT 1",
                [signature],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Of `orders` (number, the shop's day), how many are stored under `source`, and how
    /// many of those on a day more than one day away: the same number for another sale.
    pub fn numbers_stored_for_other_sales(
        &self,
        source: &str,
        orders: &[(&str, chrono::NaiveDate)],
    ) -> Result<(usize, usize), StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached("SELECT local_date FROM orders WHERE source = ?1 AND external_id = ?2")
            .map_err(|e| self.err(e))?;
        let (mut found, mut other) = (0, 0);
        for (number, day) in orders {
            let stored: Option<String> = stmt
                .query_row(params![source, number], |r| r.get(0))
                .optional()
                .map_err(|e| self.err(e))?;
            let Some(stored) = stored else { continue };
            found += 1;
            let apart = chrono::NaiveDate::parse_from_str(&stored, "%Y-%m-%d")
                .map_or(true, |d| (d - *day).num_days().abs() > 1);
            other += usize::from(apart);
        }
        Ok((found, other))
    }

    /// Whether a finished, not undone import with this file content (SHA-256) exists; its
    /// file name if so.
    pub fn imported_before(&self, sha256: &str) -> Result<Option<String>, StoreError> {
        self.conn()
            .query_row(
                "SELECT file_name FROM imports WHERE sha256 = ?1 AND undone_utc IS NULL
                 AND finished_utc IS NOT NULL ORDER BY id DESC LIMIT 1",
                [sha256],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Undoes import `id` in one transaction: removes the orders, customers and customer
    /// keys it added and puts back, exactly, what it changed. Refused while a later import
    /// depends on what this one added.
    pub fn undo_import(&mut self, id: ImportId) -> Result<UndoOutcome, UndoError> {
        let path = self.path().to_path_buf();
        let sql_err = |e| UndoError::Store(StoreError::from_sqlite(&path, e));
        let tx = self
            .conn_mut()
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(sql_err)?;
        let row: Option<(String, Option<i64>)> = tx
            .query_row(
                "SELECT file_name, undone_utc FROM imports WHERE id = ?1",
                [id.0],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(sql_err)?;
        let (file_name, undone) = row.ok_or(UndoError::NotFound(id.0))?;
        if undone.is_some() {
            return Err(UndoError::AlreadyUndone(file_name));
        }
        if let Some(later) = later_dependent_import(&tx, id).map_err(sql_err)? {
            return Err(UndoError::LaterImportDepends {
                this: file_name,
                later,
            });
        }
        let mut outcome = UndoOutcome::default();

        // Customers whose first/last order dates must be recomputed afterwards.
        tx.execute_batch("CREATE TEMP TABLE IF NOT EXISTS undo_customers (id INTEGER PRIMARY KEY); DELETE FROM undo_customers;")
            .map_err(sql_err)?;
        tx.execute(
            "INSERT OR IGNORE INTO undo_customers SELECT customer_id FROM orders
             WHERE (import_id = ?1 OR updated_import_id = ?1) AND customer_id IS NOT NULL",
            [id.0],
        )
        .map_err(sql_err)?;

        let changes: Vec<(String, String, String)> = {
            let mut stmt = tx
                .prepare("SELECT kind, key, before_json FROM import_changes WHERE import_id = ?1")
                .map_err(sql_err)?;
            stmt.query_map([id.0], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .map_err(sql_err)?
                .collect::<rusqlite::Result<_>>()
                .map_err(sql_err)?
        };
        for (kind, key, before) in &changes {
            let before: serde_json::Value = serde_json::from_str(before).unwrap_or_default();
            match kind.as_str() {
                "order" => {
                    restore_order(&tx, key, &before).map_err(sql_err)?;
                    outcome.orders_restored += 1;
                }
                "customer" => restore_customer(&tx, key, &before).map_err(sql_err)?,
                "setting" => restore_setting(&tx, key, &before).map_err(sql_err)?,
                _ => {}
            }
        }
        outcome.orders_removed = tx
            .execute("DELETE FROM orders WHERE import_id = ?1", [id.0])
            .map_err(sql_err)? as u64;
        tx.execute("DELETE FROM customer_keys WHERE import_id = ?1", [id.0])
            .map_err(sql_err)?;
        outcome.customers_removed = tx
            .execute(
                "DELETE FROM customers WHERE created_import_id = ?1
                   AND NOT EXISTS (SELECT 1 FROM orders WHERE customer_id = customers.id)
                   AND NOT EXISTS (SELECT 1 FROM customer_keys WHERE customer_id = customers.id)
                   AND NOT EXISTS (SELECT 1 FROM points_ledger WHERE customer_id = customers.id)
                   AND NOT EXISTS (SELECT 1 FROM referrals WHERE referrer_id = customers.id OR referee_id = customers.id)
                   AND NOT EXISTS (SELECT 1 FROM disputes WHERE customer_id = customers.id)",
                [id.0],
            )
            .map_err(sql_err)? as u64;
        tx.execute(
            "UPDATE customers SET
                first_order_utc = (SELECT min(placed_utc) FROM orders WHERE customer_id = customers.id),
                last_order_utc  = (SELECT max(placed_utc) FROM orders WHERE customer_id = customers.id)
             WHERE id IN (SELECT id FROM undo_customers)",
            [],
        )
        .map_err(sql_err)?;
        tx.execute("DELETE FROM undo_customers", [])
            .map_err(sql_err)?;
        tx.execute("DELETE FROM import_changes WHERE import_id = ?1", [id.0])
            .map_err(sql_err)?;
        tx.execute(
            "UPDATE imports SET undone_utc = ?2 WHERE id = ?1",
            params![id.0, now_utc()],
        )
        .map_err(sql_err)?;
        tx.commit().map_err(sql_err)?;
        Ok(outcome)
    }
}

/// The file name of a later, not undone import that changed or built on what `id` added.
fn later_dependent_import(
    tx: &rusqlite::Transaction<'_>,
    id: ImportId,
) -> rusqlite::Result<Option<String>> {
    tx.query_row(
        "SELECT i.file_name FROM imports i
         WHERE i.id > ?1 AND i.undone_utc IS NULL AND i.finished_utc IS NOT NULL AND (
             EXISTS (SELECT 1 FROM import_changes c
                     WHERE c.import_id = i.id AND c.kind = 'order'
                       AND CAST(c.key AS INTEGER) IN (SELECT id FROM orders WHERE import_id = ?1 OR updated_import_id = ?1))
          OR EXISTS (SELECT 1 FROM orders o WHERE o.updated_import_id = i.id AND o.import_id = ?1)
          OR EXISTS (SELECT 1 FROM orders o WHERE o.import_id = i.id
                     AND (o.refund_of IN (SELECT id FROM orders WHERE import_id = ?1)
                          OR o.customer_id IN (SELECT id FROM customers WHERE created_import_id = ?1)))
          OR EXISTS (SELECT 1 FROM import_changes c
                     WHERE c.import_id = i.id AND c.kind = 'customer'
                       AND CAST(c.key AS INTEGER) IN (SELECT id FROM customers WHERE created_import_id = ?1))
         )
         ORDER BY i.id DESC LIMIT 1",
        [id.0],
        |r| r.get(0),
    )
    .optional()
}

fn json_to_sql(value: &serde_json::Value) -> rusqlite::types::Value {
    use rusqlite::types::Value;
    match value {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Integer(i64::from(*b)),
        serde_json::Value::Number(n) => n
            .as_i64()
            .map(Value::Integer)
            .or_else(|| n.as_f64().map(Value::Real))
            .unwrap_or(Value::Null),
        serde_json::Value::String(s) => Value::Text(s.clone()),
        other => Value::Text(other.to_string()),
    }
}

fn restore_order(
    tx: &rusqlite::Transaction<'_>,
    key: &str,
    before: &serde_json::Value,
) -> rusqlite::Result<()> {
    let Ok(order_id) = key.parse::<i64>() else {
        return Ok(());
    };
    let assignments: Vec<String> = ORDER_SNAPSHOT_COLUMNS
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{c} = ?{}", i + 2))
        .collect();
    let sql = format!("UPDATE orders SET {} WHERE id = ?1", assignments.join(", "));
    let mut values = vec![rusqlite::types::Value::Integer(order_id)];
    values.extend(
        ORDER_SNAPSHOT_COLUMNS
            .iter()
            .map(|c| json_to_sql(&before[*c])),
    );
    tx.execute(&sql, rusqlite::params_from_iter(values))?;
    tx.execute("DELETE FROM order_lines WHERE order_id = ?1", [order_id])?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO order_lines (order_id, line_no, sku, name, quantity, unit_price_cents, total_cents, refunded_cents)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for line in before["lines"].as_array().into_iter().flatten() {
        let mut values = vec![rusqlite::types::Value::Integer(order_id)];
        values.extend((0..7).map(|i| json_to_sql(&line[i])));
        insert.execute(rusqlite::params_from_iter(values))?;
    }
    Ok(())
}

fn restore_customer(
    tx: &rusqlite::Transaction<'_>,
    key: &str,
    before: &serde_json::Value,
) -> rusqlite::Result<()> {
    let Ok(customer_id) = key.parse::<i64>() else {
        return Ok(());
    };
    tx.execute(
        "UPDATE customers SET display_name = ?2, email = ?3, phone = ?4, postcode = ?5, marketing_consent = ?6,
                              birthday = ?7
         WHERE id = ?1",
        params![
            customer_id,
            before["display_name"].as_str().unwrap_or_default(),
            before["email"].as_str(),
            before["phone"].as_str(),
            before["postcode"].as_str(),
            before["marketing_consent"].as_bool().unwrap_or(false),
            before["birthday"].as_str(),
        ],
    )?;
    Ok(())
}

fn restore_setting(
    tx: &rusqlite::Transaction<'_>,
    key: &str,
    before: &serde_json::Value,
) -> rusqlite::Result<()> {
    match before["value"].as_str() {
        Some(value) => tx.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?,
        None => tx.execute("DELETE FROM settings WHERE key = ?1", [key])?,
    };
    Ok(())
}
