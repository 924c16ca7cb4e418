//! Orders written as a sales export: `clv-desk demo --csv OUT --format shopify|generic`
//! turns the demo shop into a file shaped like the exports owners import, so the import
//! path can be tried (and tested) end to end on data whose truth is known.
//!
//! * `shopify`: Shopify's `orders_export.csv` layout — one row per line item, the order's
//!   own fields (status, totals, discount, refund) on its first row only, as Shopify
//!   writes them; `Total` is what the customer paid (subtotal after discounts + shipping +
//!   tax), `Refunded Amount` what was given back.
//! * `generic`: one row per order with plain column names any spreadsheet user would
//!   write (`Order ID, Date, Customer, Email, …, Total, Refunded`).
//!
//! Text cells go through [`spreadsheet_safe`](super::spreadsheet_safe).

use std::io::Write;

use crate::domain::{Currency, NewOrder};

/// The layout of the written file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrdersFormat {
    /// Shopify's orders export (line-item rows).
    Shopify,
    /// One row per order, plain column names.
    Generic,
}

const SHOPIFY_COLUMNS: [&str; 20] = [
    "Name",
    "Email",
    "Financial Status",
    "Paid at",
    "Accepts Marketing",
    "Currency",
    "Subtotal",
    "Shipping",
    "Taxes",
    "Total",
    "Discount Code",
    "Discount Amount",
    "Created at",
    "Lineitem quantity",
    "Lineitem name",
    "Lineitem price",
    "Lineitem sku",
    "Billing Name",
    "Billing Phone",
    "Refunded Amount",
];

const GENERIC_COLUMNS: [&str; 11] = [
    "Order ID", "Date", "Customer", "Email", "Phone", "Total", "Refunded", "Discount", "Coupon",
    "Status", "Currency",
];

/// Money in major units as an export writes it (`1234.50`).
fn amount(cents: i64, currency: Currency) -> String {
    let digits = currency.minor_digits() as usize;
    let major = cents as f64 / currency.minor_per_major() as f64;
    format!("{major:.digits$}")
}

fn safe(text: Option<&str>) -> String {
    super::spreadsheet_safe(text.unwrap_or("")).into_owned()
}

/// What the customer paid for `order` before refunds: lines after discount, plus shipping
/// and tax.
fn paid_cents(order: &NewOrder) -> i64 {
    order.gross_cents - order.discount_cents + order.shipping_cents + order.tax_cents
}

/// Writes `orders` in `format`; returns the number of data rows.
pub fn write_orders_csv(
    out: impl Write,
    orders: &[NewOrder],
    format: OrdersFormat,
) -> Result<u64, csv::Error> {
    let mut writer = csv::Writer::from_writer(out);
    let mut rows = 0;
    match format {
        OrdersFormat::Shopify => {
            writer.write_record(SHOPIFY_COLUMNS)?;
            for order in orders {
                rows += write_shopify_order(&mut writer, order)?;
            }
        }
        OrdersFormat::Generic => {
            writer.write_record(GENERIC_COLUMNS)?;
            for order in orders {
                let c = order.currency;
                let who = &order.customer;
                writer.write_record([
                    safe(Some(&order.external_id)),
                    order.placed_utc.format("%Y-%m-%d %H:%M:%S").to_string(),
                    safe(who.name.as_deref()),
                    safe(who.email.as_deref()),
                    safe(who.phone.as_deref()),
                    amount(paid_cents(order), c),
                    amount(order.refunded_cents, c),
                    amount(order.discount_cents, c),
                    safe(order.coupon_code.as_deref()),
                    order.status.clone(),
                    c.code().to_owned(),
                ])?;
                rows += 1;
            }
        }
    }
    writer.flush()?;
    Ok(rows)
}

fn write_shopify_order<W: Write>(
    writer: &mut csv::Writer<W>,
    order: &NewOrder,
) -> Result<u64, csv::Error> {
    let c = order.currency;
    let who = &order.customer;
    let created = order
        .placed_utc
        .format("%Y-%m-%d %H:%M:%S +0000")
        .to_string();
    let consent = match who.marketing_consent {
        Some(true) => "yes",
        _ => "no",
    };
    // An order without lines still gets one row, as Shopify writes custom sales.
    let empty_line = crate::domain::NewOrderLine {
        sku: None,
        name: "Custom sale".into(),
        quantity: 1.0,
        unit_price_cents: order.gross_cents,
        total_cents: order.gross_cents,
    };
    let lines: Vec<&crate::domain::NewOrderLine> = if order.lines.is_empty() {
        vec![&empty_line]
    } else {
        order.lines.iter().collect()
    };
    for (i, line) in lines.iter().enumerate() {
        let first = i == 0;
        let order_field = |value: String| if first { value } else { String::new() };
        writer.write_record([
            safe(Some(&format!("#{}", order.external_id))),
            safe(who.email.as_deref()),
            order_field(order.status.clone()),
            order_field(created.clone()),
            order_field(consent.to_owned()),
            order_field(c.code().to_owned()),
            order_field(amount(order.gross_cents - order.discount_cents, c)),
            order_field(amount(order.shipping_cents, c)),
            order_field(amount(order.tax_cents, c)),
            order_field(amount(paid_cents(order), c)),
            order_field(safe(order.coupon_code.as_deref())),
            order_field(amount(order.discount_cents, c)),
            created.clone(),
            format!("{}", line.quantity),
            safe(Some(&line.name)),
            amount(line.unit_price_cents, c),
            safe(line.sku.as_deref()),
            order_field(safe(who.name.as_deref())),
            order_field(safe(who.phone.as_deref())),
            order_field(amount(order.refunded_cents, c)),
        ])?;
    }
    Ok(lines.len() as u64)
}
