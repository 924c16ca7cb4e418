//! The customers table as CSV: `clv-desk customers --format csv` and the Customers view's
//! "Export table as CSV…" write the same columns, so a file from either opens the same way in
//! Excel or LibreOffice (text cells neutralised against formula injection).

use crate::domain::Currency;
use crate::domain::customer::CustomerValueRow;

use super::spreadsheet_safe;

/// Column names of `customers --format csv`, in order.
pub const CUSTOMER_COLUMNS: [&str; 19] = [
    "customer_key",
    "name",
    "email",
    "orders",
    "first_order",
    "last_order",
    "revenue",
    "currency",
    "frequency",
    "recency",
    "T",
    "monetary_value",
    "p_alive",
    "expected_purchases",
    "predicted_clv",
    "clv_low",
    "clv_high",
    "customer_id",
    "segment",
];

/// Money in major units with the currency's digits, as a plain number (`1234.50`).
fn amount(cents: f64, currency: Currency) -> String {
    let digits = currency.minor_digits() as usize;
    format!(
        "{:.digits$}",
        cents / currency.minor_per_major() as f64,
        digits = digits
    )
}

/// A finite number with `decimals` decimals, or an empty cell.
fn optional_number(value: Option<f64>, decimals: usize) -> String {
    value
        .filter(|v| v.is_finite())
        .map_or_else(String::new, |v| format!("{v:.decimals$}"))
}

/// The cells of one row, in [`CUSTOMER_COLUMNS`] order.
pub fn customer_cells(row: &CustomerValueRow, currency: Currency) -> Vec<String> {
    let safe = |text: &str| spreadsheet_safe(text).into_owned();
    let mut cells = vec![
        safe(&row.customer_key),
        safe(&row.name),
        safe(row.email.as_deref().unwrap_or("")),
        row.orders.to_string(),
        row.first_order.clone().unwrap_or_default(),
        row.last_order.clone().unwrap_or_default(),
        amount(row.revenue_cents as f64, currency),
        currency.code().to_owned(),
    ];
    match &row.score {
        Some(s) => cells.extend([
            s.frequency.to_string(),
            format!("{:.4}", s.recency),
            format!("{:.4}", s.t),
            amount(s.monetary_value_cents, currency),
            optional_number(s.p_alive, 4),
            optional_number(s.expected_purchases, 4),
            amount(s.predicted_clv_cents, currency),
            s.clv_low_cents
                .filter(|v| v.is_finite())
                .map_or_else(String::new, |v| amount(v, currency)),
            s.clv_high_cents
                .filter(|v| v.is_finite())
                .map_or_else(String::new, |v| amount(v, currency)),
        ]),
        None => cells.extend(std::iter::repeat_n(String::new(), 9)),
    }
    cells.push(row.id.to_string());
    cells.push(
        row.score
            .as_ref()
            .and_then(|s| s.segment.clone())
            .unwrap_or_default(),
    );
    cells
}

/// Writes `rows` as CSV with a header of [`CUSTOMER_COLUMNS`]; text cells are made
/// spreadsheet-safe, money is in major units with the currency beside it.
pub fn write_customers_csv<'r>(
    out: &mut dyn std::io::Write,
    rows: impl Iterator<Item = &'r CustomerValueRow>,
    currency: Currency,
) -> csv::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(CUSTOMER_COLUMNS)?;
    for row in rows {
        writer.write_record(customer_cells(row, currency))?;
    }
    writer.flush()?;
    Ok(())
}
