//! Whole-database figures for the dashboard headline and the empty states: how many
//! customers and orders there are, how many customers came back, revenue, dates, imports.
//!
//! Computed once after opening and after each write, never per frame.

use chrono::NaiveDate;

use rusqlite::OptionalExtension as _;

use super::{Store, StoreError};
use crate::domain::Currency;

/// The headline facts of the database.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Overview {
    /// Customers with at least one order (merged duplicates not counted twice).
    pub customers: u64,
    /// Customers with at least two orders.
    pub repeat_customers: u64,
    /// All orders, guests included.
    pub orders: u64,
    /// Orders with no customer identity.
    pub guest_orders: u64,
    /// Net revenue (after discounts and refunds) per currency, largest first.
    pub revenue_by_currency: Vec<(Currency, i64)>,
    /// Day of the first order.
    pub first_order: Option<NaiveDate>,
    /// Day of the latest order.
    pub last_order: Option<NaiveDate>,
}

impl Overview {
    /// True when no order has been imported yet.
    pub fn is_empty(&self) -> bool {
        self.orders == 0
    }

    /// Share of customers who ordered at least twice, 0–1; `None` without customers.
    pub fn repeat_rate(&self) -> Option<f64> {
        (self.customers > 0).then(|| self.repeat_customers as f64 / self.customers as f64)
    }

    /// Net revenue in `currency`, 0 when there is none in it.
    pub fn revenue_in(&self, currency: Currency) -> i64 {
        self.revenue_by_currency
            .iter()
            .find(|(c, _)| *c == currency)
            .map_or(0, |(_, cents)| *cents)
    }
}

/// One row of the import history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportSummary {
    /// Row id.
    pub id: i64,
    /// File name (or "Demo data").
    pub file_name: String,
    /// Preset used.
    pub preset: String,
    /// When it started, seconds since the epoch (UTC).
    pub started_utc: i64,
    /// Rows stored.
    pub rows_imported: i64,
    /// Rows skipped.
    pub rows_skipped: i64,
    /// New orders.
    pub orders_created: i64,
    /// Changed orders.
    pub orders_updated: i64,
    /// New customers.
    pub customers_created: i64,
    /// Undone, and when.
    pub undone_utc: Option<i64>,
}

/// The settings key of the cached overview.
const OVERVIEW_CACHE: &str = "overview_cache";

impl Overview {
    fn to_json(&self, key: &str) -> serde_json::Value {
        serde_json::json!({
            "key": key,
            "customers": self.customers,
            "repeat_customers": self.repeat_customers,
            "orders": self.orders,
            "guest_orders": self.guest_orders,
            "revenue_by_currency": self
                .revenue_by_currency
                .iter()
                .map(|(c, cents)| (c.code().to_owned(), *cents))
                .collect::<Vec<_>>(),
            "first_order": self.first_order.map(|d| d.to_string()),
            "last_order": self.last_order.map(|d| d.to_string()),
        })
    }

    fn from_json(value: &serde_json::Value, key: &str) -> Option<Overview> {
        if value["key"].as_str()? != key {
            return None;
        }
        let day = |v: &serde_json::Value| v.as_str().and_then(|d| d.parse::<NaiveDate>().ok());
        Some(Overview {
            customers: value["customers"].as_u64()?,
            repeat_customers: value["repeat_customers"].as_u64()?,
            orders: value["orders"].as_u64()?,
            guest_orders: value["guest_orders"].as_u64()?,
            revenue_by_currency: value["revenue_by_currency"]
                .as_array()?
                .iter()
                .map(|pair| Some((Currency::parse(pair[0].as_str()?)?, pair[1].as_i64()?)))
                .collect::<Option<Vec<_>>>()?,
            first_order: day(&value["first_order"]),
            last_order: day(&value["last_order"]),
        })
    }
}

impl Store {
    /// The headline facts. They change only when orders are written, which always goes
    /// through an import or an undo, so they are kept in `settings` under the data's key
    /// ([`Store::valuation_data_key`]) and computed again (one pass over the orders) only
    /// when that key moved: opening a large database does not scan its orders.
    pub fn overview(&self) -> Result<Overview, StoreError> {
        let key = self.valuation_data_key()?;
        let cached: Option<String> = self
            .conn()
            .query_row(
                "SELECT value FROM settings WHERE key = ?1",
                [OVERVIEW_CACHE],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        if let Some(overview) = cached
            .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
            .and_then(|value| Overview::from_json(&value, &key))
        {
            return Ok(overview);
        }
        let overview = self.computed_overview()?;
        // A cache that cannot be written (a read-only file) only costs the next open a scan.
        let _ = self.conn().execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            rusqlite::params![OVERVIEW_CACHE, overview.to_json(&key).to_string()],
        );
        Ok(overview)
    }

    /// [`Store::overview`] computed from the orders.
    pub fn computed_overview(&self) -> Result<Overview, StoreError> {
        let conn = self.conn();
        let err = |e| self.err(e);
        // One pass over the orders instead of one query per figure (each a full scan).
        // Refund entries (a credit memo, a refund of an earlier import's sale) are stored as
        // order rows with status 'refund': they reduce revenue but are not orders.
        let mut stmt = conn
            .prepare("SELECT currency, customer_id, status = 'refund', net_cents, local_date FROM orders")
            .map_err(err)?;
        // Orders of a merged duplicate count for the survivor (few rows: merges are manual).
        let survivor_of: rustc_hash::FxHashMap<i64, i64> = conn
            .prepare("SELECT id, merged_into FROM customers WHERE merged_into IS NOT NULL")
            .map_err(err)?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(err)?
            .collect::<rusqlite::Result<_>>()
            .map_err(err)?;
        let mut rows = stmt.query([]).map_err(err)?;
        let (mut orders, mut linked) = (0i64, 0i64);
        let mut per_customer: rustc_hash::FxHashMap<i64, u32> = rustc_hash::FxHashMap::default();
        let mut revenue: Vec<([u8; 3], i64)> = Vec::new();
        let (mut first, mut last): (Option<String>, Option<String>) = (None, None);
        while let Some(row) = rows.next().map_err(err)? {
            let currency = row.get_ref(0).map_err(err)?.as_bytes().unwrap_or_default();
            let code: [u8; 3] = currency.try_into().unwrap_or(*b"???");
            let net: i64 = row.get(3).map_err(err)?;
            match revenue.iter_mut().find(|(c, _)| *c == code) {
                Some((_, total)) => *total += net,
                None => revenue.push((code, net)),
            }
            if let Ok(day) = row.get_ref(4).map_err(err)?.as_str() {
                if first.as_deref().is_none_or(|f| day < f) {
                    first = Some(day.to_owned());
                }
                if last.as_deref().is_none_or(|l| day > l) {
                    last = Some(day.to_owned());
                }
            }
            let is_refund: bool = row.get(2).map_err(err)?;
            if is_refund {
                continue;
            }
            orders += 1;
            if let Some(customer) = row.get::<_, Option<i64>>(1).map_err(err)? {
                linked += 1;
                let customer = survivor_of.get(&customer).copied().unwrap_or(customer);
                *per_customer.entry(customer).or_default() += 1;
            }
        }
        // Customers are the people with at least one order: a customer row can outlive its
        // orders (an undone import whose customer earned loyalty points keeps the row, since
        // the ledger is append-only), and such a row is nobody the owner sells to.
        let customers = per_customer.len() as i64;
        let repeat_customers = per_customer.values().filter(|n| **n >= 2).count() as i64;
        revenue.sort_by_key(|(_, cents)| std::cmp::Reverse(*cents));
        let revenue_by_currency: Vec<(Currency, i64)> = revenue
            .into_iter()
            .filter_map(|(code, cents)| {
                std::str::from_utf8(&code)
                    .ok()
                    .and_then(Currency::parse)
                    .map(|c| (c, cents))
            })
            .collect();
        let day = |d: Option<String>| d.and_then(|d| d.parse::<NaiveDate>().ok());
        Ok(Overview {
            customers: customers.unsigned_abs(),
            repeat_customers: repeat_customers.unsigned_abs(),
            orders: orders.unsigned_abs(),
            guest_orders: (orders - linked).unsigned_abs(),
            revenue_by_currency,
            first_order: day(first),
            last_order: day(last),
        })
    }

    /// The most recent imports, newest first.
    pub fn recent_imports(&self, limit: usize) -> Result<Vec<ImportSummary>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare(
                "SELECT id, file_name, preset, started_utc, rows_imported, rows_skipped,
                        orders_created, orders_updated, customers_created, undone_utc
                 FROM imports WHERE finished_utc IS NOT NULL ORDER BY id DESC LIMIT ?1",
            )
            .map_err(|e| self.err(e))?;
        stmt.query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
            Ok(ImportSummary {
                id: r.get(0)?,
                file_name: r.get(1)?,
                preset: r.get(2)?,
                started_utc: r.get(3)?,
                rows_imported: r.get(4)?,
                rows_skipped: r.get(5)?,
                orders_created: r.get(6)?,
                orders_updated: r.get(7)?,
                customers_created: r.get(8)?,
                undone_utc: r.get(9)?,
            })
        })
        .map_err(|e| self.err(e))?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refund_entries_are_not_orders_and_do_not_make_a_customer_return() {
        use crate::store::orders::NewImport;
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("r.sqlite")).unwrap();
        let sale = crate::demo::tests_support::order("S1", "a@example.com", 5000, "paid");
        let refund = crate::demo::tests_support::order("C1", "a@example.com", 0, "refund");
        let refund = crate::domain::NewOrder {
            refunded_cents: 1200,
            ..refund
        };
        store
            .write_import(
                &NewImport::default(),
                vec![sale, refund].as_slice(),
                &[],
                &mut |_| true,
            )
            .unwrap();
        let overview = store.overview().unwrap();
        assert_eq!(
            (
                overview.orders,
                overview.customers,
                overview.repeat_customers
            ),
            (1, 1, 0)
        );
        assert_eq!(overview.revenue_in(Currency::EUR), 5000 - 1200);
    }

    #[test]
    fn empty_database_overview() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.sqlite")).unwrap();
        let overview = store.overview().unwrap();
        assert!(overview.is_empty());
        assert_eq!(overview.repeat_rate(), None);
        assert_eq!(overview.revenue_in(Currency::USD), 0);
        assert!(store.recent_imports(10).unwrap().is_empty());
    }
}
