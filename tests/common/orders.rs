#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

//! Orders built by hand for the store and program tests: one paid order with no line
//! items, changed by struct update where a test needs more (a coupon, a refund, lines);
//! and the customer such an order made, found again by e-mail.

use chrono::{NaiveDate, TimeZone as _, Utc};
use clv_desk::domain::{Currency, CustomerId, CustomerIdentity, NewOrder};
use clv_desk::store::Store;

/// `YYYY-MM-DD` as a day.
pub fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

/// Who ordered: an e-mail address and a name.
pub fn who(email: &str, name: &str) -> CustomerIdentity {
    CustomerIdentity {
        email: Some(email.into()),
        name: Some(name.into()),
        ..CustomerIdentity::default()
    }
}

/// Order `id` of source `test`, paid in US dollars by `customer` on `on` (`YYYY-MM-DD`) at
/// 10:00 UTC: `cents` gross, nothing discounted, refunded, shipped or taxed, no lines.
pub fn paid_order(id: &str, customer: CustomerIdentity, on: &str, cents: i64) -> NewOrder {
    let placed = Utc.from_utc_datetime(&day(on).and_hms_opt(10, 0, 0).unwrap());
    NewOrder::paid("test", id, customer, placed, Currency::USD, cents)
}

/// The customer whose e-mail is `email`, as the store lists them.
pub fn customer_id_by_email(store: &Store, email: &str) -> CustomerId {
    let row = store
        .customer_values()
        .unwrap()
        .into_iter()
        .find(|c| c.email.as_deref() == Some(email))
        .unwrap();
    CustomerId(row.id)
}
