//! Whole-database figures for the dashboard headline and the empty states: how many
//! customers and orders there are, how many customers came back, revenue, dates, imports.
//!
//! Computed once after opening and after each write, never per frame.

use chrono::NaiveDate;

use super::{Store, StoreError};
use crate::domain::Currency;

/// The headline facts of the database.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Overview {
    /// Customers (merged duplicates not counted twice).
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

impl Store {
    /// The headline facts; a handful of indexed aggregate queries.
    pub fn overview(&self) -> Result<Overview, StoreError> {
        let conn = self.conn();
        let err = |e| self.err(e);
        let customers: i64 = conn
            .query_row(
                "SELECT count(*) FROM customers WHERE merged_into IS NULL",
                [],
                |r| r.get(0),
            )
            .map_err(err)?;
        // Refund entries (a credit memo, a refund of an earlier import's sale) are stored as
        // order rows with status 'refund': they reduce revenue but are not orders.
        let (orders, linked): (i64, i64) = conn
            .query_row(
                "SELECT count(*), count(customer_id) FROM orders WHERE status <> 'refund'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(err)?;
        let repeat_customers: i64 = conn
            .query_row(
                "SELECT count(*) FROM (SELECT customer_id FROM orders
                                       WHERE customer_id IS NOT NULL AND status <> 'refund'
                                       GROUP BY customer_id HAVING count(*) >= 2)",
                [],
                |r| r.get(0),
            )
            .map_err(err)?;
        let mut stmt = conn
            .prepare(
                "SELECT currency, sum(net_cents) FROM orders GROUP BY currency ORDER BY 2 DESC",
            )
            .map_err(err)?;
        let revenue_by_currency = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
            .map_err(err)?
            .filter_map(|row| match row {
                Ok((code, cents)) => Currency::parse(&code).map(|c| Ok((c, cents))),
                Err(e) => Some(Err(e)),
            })
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(err)?;
        let (first, last): (Option<String>, Option<String>) = conn
            .query_row(
                "SELECT min(local_date), max(local_date) FROM orders",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(err)?;
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
