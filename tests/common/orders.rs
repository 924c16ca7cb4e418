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
    let on = day(on);
    NewOrder {
        source: "test".into(),
        external_id: id.into(),
        alt_external_id: None,
        customer,
        placed_utc: Utc.from_utc_datetime(&on.and_hms_opt(10, 0, 0).unwrap()),
        local_date: on,
        utc_offset_minutes: Some(0),
        currency: Currency::USD,
        gross_cents: cents,
        discount_cents: 0,
        refunded_cents: 0,
        refunded_utc: None,
        shipping_cents: 0,
        tax_cents: 0,
        coupon_code: None,
        status: "paid".into(),
        channel: None,
        lines: Vec::new(),
    }
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
