//! A normalised order as an import (or the demo generator) hands it to the store.

use std::borrow::Cow;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};

use super::Currency;

/// Who placed an order, as far as the export tells. Every field is optional: a guest has
/// none, and identity is resolved in the order email → platform id → username → name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CustomerIdentity {
    /// E-mail address as written in the export.
    pub email: Option<String>,
    /// The platform's own customer id (Stripe `cus_…`, Square customer id, …).
    pub platform_id: Option<String>,
    /// A marketplace username (Etsy, eBay).
    pub username: Option<String>,
    /// Display name, e.g. billing name.
    pub name: Option<String>,
    /// Phone number as written.
    pub phone: Option<String>,
    /// Postcode of the billing address.
    pub postcode: Option<String>,
    /// Whether the customer agreed to marketing messages, when the export says.
    pub marketing_consent: Option<bool>,
    /// Birthday as `YYYY-MM-DD`, or `--MM-DD` when the year is unknown.
    pub birthday: Option<String>,
}

impl CustomerIdentity {
    /// True when nothing identifies the buyer: the order is kept, unlinked, as a guest order.
    pub fn is_guest(&self) -> bool {
        fn blank(value: &Option<String>) -> bool {
            value.as_deref().is_none_or(|v| v.trim().is_empty())
        }
        blank(&self.email)
            && blank(&self.platform_id)
            && blank(&self.username)
            && blank(&self.name)
            && self.phone.as_deref().and_then(phone_key).is_none()
    }
}

/// One line item of an order. Product names and SKUs are shared (`Arc<str>`): a large
/// export repeats the same few hundred products over a million lines.
#[derive(Clone, Debug, PartialEq)]
pub struct NewOrderLine {
    /// Stock keeping unit, when the export has one.
    pub sku: Option<Arc<str>>,
    /// Product name.
    pub name: Arc<str>,
    /// Quantity (fractional for goods sold by weight).
    pub quantity: f64,
    /// Price of one unit in minor units.
    pub unit_price_cents: i64,
    /// Line total in minor units.
    pub total_cents: i64,
}

/// One order, normalised: money in minor units, the instant in UTC plus the shop's day.
#[derive(Clone, Debug, PartialEq)]
pub struct NewOrder {
    /// Platform the order came from (`shopify`, `square`, `demo`, …).
    pub source: String,
    /// The platform's order number, unique per source.
    pub external_id: String,
    /// Another number the platform knows the order by (Square Payment ID).
    pub alt_external_id: Option<String>,
    /// Who placed it.
    pub customer: CustomerIdentity,
    /// When it was placed, in UTC.
    pub placed_utc: DateTime<Utc>,
    /// The shop's calendar day of the order, as the export shows it.
    pub local_date: NaiveDate,
    /// The UTC offset the export stated, in minutes; `None` when the file does not say.
    pub utc_offset_minutes: Option<i32>,
    /// Currency of the amounts.
    pub currency: Currency,
    /// Order total before discounts and refunds, in minor units.
    pub gross_cents: i64,
    /// Discounts given, in minor units (positive).
    pub discount_cents: i64,
    /// Amount refunded so far, in minor units (positive).
    pub refunded_cents: i64,
    /// When the refund happened, if any.
    pub refunded_utc: Option<DateTime<Utc>>,
    /// Shipping charged, in minor units (part of the amount paid, kept apart for Settings).
    pub shipping_cents: i64,
    /// Tax charged, in minor units (part of the amount paid, kept apart for Settings).
    pub tax_cents: i64,
    /// Discount or coupon code used (referral codes arrive this way).
    pub coupon_code: Option<String>,
    /// Payment status as normalised by the import (`paid`, `refunded`, …).
    pub status: String,
    /// Sales channel (web, pos, …) when known.
    pub channel: Option<String>,
    /// Line items; may be empty when the export has none (Stripe, PayPal).
    pub lines: Vec<NewOrderLine>,
}

impl NewOrder {
    /// A paid order of `source` numbered `external_id`, placed by `customer` at
    /// `placed_utc` (the shop's day is that instant's UTC day) for `gross_cents` in
    /// `currency`: nothing discounted, refunded, shipped or taxed, and no code, channel or
    /// lines. Callers set what their order has besides.
    pub fn paid(
        source: &str,
        external_id: &str,
        customer: CustomerIdentity,
        placed_utc: DateTime<Utc>,
        currency: Currency,
        gross_cents: i64,
    ) -> NewOrder {
        NewOrder {
            source: source.to_owned(),
            external_id: external_id.to_owned(),
            alt_external_id: None,
            customer,
            placed_utc,
            local_date: placed_utc.date_naive(),
            utc_offset_minutes: Some(0),
            currency,
            gross_cents,
            discount_cents: 0,
            refunded_cents: 0,
            refunded_utc: None,
            shipping_cents: 0,
            tax_cents: 0,
            coupon_code: None,
            status: "paid".to_owned(),
            channel: None,
            lines: Vec::new(),
        }
    }
}

/// A refund, found in an import, of an order that was not in the same file: applied to the
/// stored order it names when there is one (as a linked refund entry), else kept as a refund
/// entry of its own so the customer's totals stay right.
#[derive(Clone, Debug, PartialEq)]
pub struct RefundOfOrder {
    /// Order number of the refunded order (same source as `entry`).
    pub external_id: String,
    /// Another number the refunded order may be stored under.
    pub alt_id: Option<String>,
    /// Refunded amount in minor units (positive).
    pub amount_cents: i64,
    /// The refund as an order row: gross 0, refunded = amount, its own id.
    pub entry: NewOrder,
}

impl NewOrder {
    /// What the order is worth to the business after discounts and refunds, in minor units.
    pub fn net_cents(&self) -> i64 {
        self.gross_cents - self.discount_cents - self.refunded_cents
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_key_is_the_normalised_name_and_borrows_a_normal_one() {
        for name in [
            "jane doe",
            "Jane  DOE ",
            " jane doe",
            "jane\tdoe",
            "jane\u{a0}doe",
            "zoë müller",
            "ZOË",
            "",
        ] {
            assert_eq!(name_key(name), normalise_name(name), "{name:?}");
        }
        assert_eq!(normalise_name("Jane  DOE "), "jane doe");
        assert!(matches!(name_key("jane doe"), Cow::Borrowed(_)));
        assert!(matches!(name_key("zoë müller"), Cow::Borrowed(_)));
        assert!(matches!(name_key("Jane Doe"), Cow::Owned(_)));
    }

    #[test]
    fn guest_has_no_identifying_field() {
        let mut who = CustomerIdentity::default();
        assert!(who.is_guest());
        who.phone = Some("555".into());
        assert!(
            who.is_guest(),
            "a phone alone does not identify (shared shop phones)"
        );
        who.email = Some("  ".into());
        assert!(who.is_guest());
        who.name = Some("Jane Doe".into());
        assert!(!who.is_guest());
    }
}

/// [`NewOrder::status`] of a refund entry: money given back, not a purchase.
pub const REFUND_STATUS: &str = "refund";

/// One purchase as the CLV models read it: a customer (by index into the caller's list of
/// customers), the shop's calendar day, and what the customer paid for it after discounts
/// and refunds. `store::scores` decides which orders are purchases; `clv::summary` reads them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Purchase {
    /// Index of the customer in the caller's list.
    pub customer: usize,
    /// The shop's calendar day of the purchase.
    pub day: NaiveDate,
    /// Value in minor units (after discounts and refunds).
    pub value_cents: i64,
}

/// A customer's name as identities compare it: lower case, runs of whitespace collapsed to
/// one space, no space around it, so "Jane  DOE " matches "jane doe".
pub fn normalise_name(name: &str) -> String {
    name.split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The digits phones are compared by: `None` under 7 digits, else the last 9 (or all), so
/// `+44 7700 900123` and `07700 900123` are one number.
pub fn phone_key(phone: &str) -> Option<String> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 7 {
        return None;
    }
    Some(digits[digits.len().saturating_sub(9)..].to_owned())
}

/// [`normalise_name`], borrowed when the name already is normal (no allocation for most
/// names an export repeats on every order).
pub fn name_key(name: &str) -> Cow<'_, str> {
    let normal = !name.chars().any(char::is_uppercase)
        && !name.starts_with(char::is_whitespace)
        && !name.ends_with(char::is_whitespace)
        && !name.contains("  ")
        && !name.contains(|c: char| c.is_whitespace() && c != ' ');
    if normal {
        Cow::Borrowed(name)
    } else {
        Cow::Owned(normalise_name(name))
    }
}
