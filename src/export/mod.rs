//! Getting data out of CLV Desk in files the owner asked for: CSV files and printable PDF
//! sheets ([`pdf`], [`thank_you_cards`], [`referral_codes_pdf`]). Every CSV ends up in a spreadsheet, so text cells are neutralised
//! against formula injection: a cell that starts with `=`, `+`, `-`, `@`, a tab or a
//! carriage return would be run as a formula by Excel or LibreOffice, so it is prefixed
//! with an apostrophe (design §8).
//! Numbers are written as numbers and never prefixed.

use std::borrow::Cow;

pub mod customers_csv;
pub mod orders_csv;
pub mod pdf;
pub mod referral_codes_pdf;
pub mod thank_you_cards;

/// `text` made safe to open in a spreadsheet: prefixed with `'` when it starts with a
/// character a spreadsheet would read as the start of a formula.
pub fn spreadsheet_safe(text: &str) -> Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{text}")),
        _ => Cow::Borrowed(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_neutralised_and_plain_text_is_not() {
        for dangerous in ["=HYPERLINK(\"x\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            let safe = spreadsheet_safe(dangerous);
            assert!(safe.starts_with('\''), "{dangerous:?} became {safe:?}");
            assert_eq!(&safe[1..], dangerous);
        }
        for plain in ["Jane Doe", "jane@example.com", "", "1 Main St", "'quoted"] {
            assert_eq!(spreadsheet_safe(plain), plain);
        }
    }
}
