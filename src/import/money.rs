//! Money as owners' files write it, to integer minor units: `3227.00`, `$8.00`, `-$0.95`,
//! `"$1,240.00"`, `1.234,56`, `116,99 €`, `(12.50)`, Excel-trimmed `17`.
//!
//! The decimal separator is decided once per file from every amount in it ([`DecimalVotes`]),
//! never per cell: `1,234` means one thousand two hundred and thirty-four in a file whose
//! other amounts are `12.50`, and one point two three four nowhere.

/// Which character separates the fraction.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum DecimalSeparator {
    /// `1,234.56`
    #[default]
    Dot,
    /// `1.234,56`
    Comma,
}

impl DecimalSeparator {
    /// `.` or `,`.
    pub fn symbol(self) -> char {
        match self {
            DecimalSeparator::Dot => '.',
            DecimalSeparator::Comma => ',',
        }
    }
}

/// Why a cell is not an amount.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Nothing in the cell.
    #[error("the cell is empty")]
    Empty,
    /// Not a number.
    #[error("expected an amount such as 12.50")]
    NotANumber,
    /// Larger than any order: beyond [`MAX_AMOUNT_MINOR`].
    #[error("the amount is too large for an order (at most 10,000,000,000)")]
    TooLarge,
}

/// Evidence for the decimal separator, collected over every amount of a file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DecimalVotes {
    /// Amounts that only make sense with a dot decimal (`12.5`, `1,234.56`).
    pub dot: u64,
    /// Amounts that only make sense with a comma decimal (`12,5`, `1.234,56`).
    pub comma: u64,
    /// Amounts with one dot and three digits after it (`1.250`): whole amounts grouped by
    /// a dot, unless the currency has three decimals.
    pub dot_three_after: u64,
    /// Amounts with one comma and three digits after it (`1,250`).
    pub comma_three_after: u64,
}

impl DecimalVotes {
    /// Adds the evidence of one cell.
    pub fn observe(&mut self, raw: &str) {
        let digits_and_marks: String = raw
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '.' || *c == ',')
            .collect();
        let last_dot = digits_and_marks.rfind('.');
        let last_comma = digits_and_marks.rfind(',');
        match (last_dot, last_comma) {
            (Some(d), Some(c)) if d > c => self.dot += 1,
            (Some(_), Some(_)) => self.comma += 1,
            (Some(d), None) => {
                let after = digits_and_marks.len() - d - 1;
                let dots = digits_and_marks.matches('.').count();
                // `1.234.567` or `1.234` (three digits) could be thousands; anything else is a decimal.
                if dots == 1 && after != 3 {
                    self.dot += 1;
                } else if dots == 1 {
                    self.dot_three_after += 1;
                } else if dots > 1 {
                    self.comma += 1;
                }
            }
            (None, Some(c)) => {
                let after = digits_and_marks.len() - c - 1;
                let commas = digits_and_marks.matches(',').count();
                if commas == 1 && after != 3 {
                    self.comma += 1;
                } else if commas == 1 {
                    self.comma_three_after += 1;
                } else if commas > 1 {
                    self.dot += 1;
                }
            }
            (None, None) => {}
        }
    }

    /// The separator the amounts show, or `None` when none shows it (or they split evenly).
    pub fn settled(&self) -> Option<DecimalSeparator> {
        match self.comma.cmp(&self.dot) {
            std::cmp::Ordering::Greater => Some(DecimalSeparator::Comma),
            std::cmp::Ordering::Less => Some(DecimalSeparator::Dot),
            std::cmp::Ordering::Equal => None,
        }
    }

    /// The separator the evidence supports for a currency of `minor_digits` decimals: the
    /// one the amounts show, else a comma when the only marks are dots before three digits
    /// (`1.250` is a thousand two hundred and fifty euros, not one and a quarter, in a
    /// two-decimal currency), else a dot.
    pub fn decide(&self, minor_digits: u32) -> DecimalSeparator {
        match self.settled() {
            Some(shown) => shown,
            None if self.dot_three_after > 0
                && self.comma_three_after == 0
                && minor_digits != 3 =>
            {
                DecimalSeparator::Comma
            }
            None => DecimalSeparator::Dot,
        }
    }
}

/// Parses an amount to minor units with `minor_digits` fraction digits (2 for cents),
/// rounding half away from zero when the file has more digits than the currency. One pass
/// over the characters, no allocation (it runs for every amount of a million-row file).
pub fn parse_money(
    raw: &str,
    decimal: DecimalSeparator,
    minor_digits: u32,
) -> Result<i64, MoneyError> {
    let text = raw.trim().trim_start_matches('\'').trim();
    if text.is_empty() {
        return Err(MoneyError::Empty);
    }
    if let Some(minor) = scientific_minor(text, minor_digits) {
        return minor;
    }
    let (grouping, fraction_mark) = match decimal {
        DecimalSeparator::Dot => (',', '.'),
        DecimalSeparator::Comma => ('.', ','),
    };
    let mut negative = false;
    let mut paren_open = false;
    let mut seen_digit = false;
    let mut in_fraction = false;
    let mut whole: i128 = 0;
    let mut fraction: i128 = 0;
    let mut fraction_digits = 0u32;
    let mut round_up = false;
    for ch in text.chars() {
        match ch {
            '0'..='9' => {
                seen_digit = true;
                let digit = i128::from(ch as u8 - b'0');
                if !in_fraction {
                    whole = whole
                        .checked_mul(10)
                        .and_then(|w| w.checked_add(digit))
                        .filter(|w| *w < 10_i128.pow(30))
                        .ok_or(MoneyError::TooLarge)?;
                } else if fraction_digits < minor_digits {
                    fraction = fraction * 10 + digit;
                    fraction_digits += 1;
                } else if fraction_digits == minor_digits {
                    round_up = digit >= 5;
                    fraction_digits += 1;
                }
            }
            c if c == fraction_mark => {
                if in_fraction {
                    return Err(MoneyError::NotANumber);
                }
                in_fraction = true;
            }
            c if c == grouping => {}
            '-' | '−' | '–' => negative = true,
            '(' if !seen_digit => paren_open = true,
            ')' if paren_open => negative = true,
            '+' | ' ' | '\u{a0}' | '\u{202f}' | '\'' | '’' => {}
            c if c.is_alphabetic() || is_currency_symbol(c) => {}
            _ => return Err(MoneyError::NotANumber),
        }
    }
    if !seen_digit {
        return Err(MoneyError::NotANumber);
    }
    let kept = fraction_digits.min(minor_digits);
    let mut minor = whole * 10_i128.pow(minor_digits) + fraction * 10_i128.pow(minor_digits - kept);
    if round_up {
        minor += 1;
    }
    if negative {
        minor = -minor;
    }
    within_limit(minor)
}

/// `minor` as an amount a cell may hold (at most ±[`MAX_AMOUNT_MINOR`]).
fn within_limit(minor: i128) -> Result<i64, MoneyError> {
    if minor.unsigned_abs() > MAX_AMOUNT_MINOR.unsigned_abs().into() {
        return Err(MoneyError::TooLarge);
    }
    i64::try_from(minor).map_err(|_| MoneyError::TooLarge)
}

/// A number in scientific notation (`1.5E+03`, `2e3`, `5.0E-01`: what spreadsheets write
/// for long or tiny numbers) in minor units, rounded half up; `None` when `text` is not
/// one, so currency words such as `EUR 12` are read as before.
fn scientific_minor(text: &str, minor_digits: u32) -> Option<Result<i64, MoneyError>> {
    let (mantissa, exponent) = text.split_once(['e', 'E'])?;
    let exponent: i64 = exponent
        .strip_prefix('+')
        .unwrap_or(exponent)
        .parse()
        .ok()?;
    let (negative, mantissa) = match mantissa.strip_prefix(['-', '−']) {
        Some(rest) => (true, rest),
        None => (false, mantissa.strip_prefix('+').unwrap_or(mantissa)),
    };
    let (whole, fraction) = mantissa.split_once(['.', ',']).unwrap_or((mantissa, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) {
        return None;
    }
    let digits: String = [whole, fraction].concat();
    let Ok(digits) = digits.trim_start_matches('0').parse::<i128>().or_else(|e| {
        if digits.bytes().all(|b| b == b'0') {
            Ok(0)
        } else {
            Err(e)
        }
    }) else {
        return Some(Err(MoneyError::TooLarge));
    };
    // value = digits × 10^(exponent − fraction digits); minor = value × 10^minor_digits.
    let shift = exponent - fraction.len() as i64 + i64::from(minor_digits);
    let minor = if shift >= 0 {
        u32::try_from(shift)
            .ok()
            .and_then(|s| 10_i128.checked_pow(s))
            .and_then(|scale| digits.checked_mul(scale))
    } else {
        Some(
            match u32::try_from(-shift)
                .ok()
                .and_then(|s| 10_i128.checked_pow(s))
            {
                Some(scale) => (digits + scale / 2) / scale,
                None => 0,
            },
        )
    };
    Some(match minor {
        Some(minor) => within_limit(if negative { -minor } else { minor }),
        None => Err(MoneyError::TooLarge),
    })
}

/// The largest amount one cell may hold, in minor units: ten billion of a two-decimal
/// currency. No order is larger, and sums over millions of orders stay far inside `i64`.
pub const MAX_AMOUNT_MINOR: i64 = 1_000_000_000_000;

/// A unit price times a quantity, rounded to the minor unit and kept within
/// ±[`MAX_AMOUNT_MINOR`] (a quantity of `1e300` makes no amount larger).
pub fn price_times_quantity(unit_price_minor: i64, quantity: f64) -> i64 {
    let amount = (unit_price_minor as f64 * quantity).round();
    if amount.is_nan() {
        return 0;
    }
    amount.clamp(-(MAX_AMOUNT_MINOR as f64), MAX_AMOUNT_MINOR as f64) as i64
}

fn is_currency_symbol(c: char) -> bool {
    matches!(
        c,
        '$' | '€' | '£' | '¥' | '₹' | '₩' | '₽' | '₺' | '₫' | '₱' | '₪' | '¢' | '฿' | '₴'
    )
}

/// The ISO code of a currency named inside an amount cell (`116,99 €`, `$8.00`, `12 CHF`),
/// when the cell names one unambiguously.
pub fn currency_in_cell(raw: &str) -> Option<&'static str> {
    let upper = raw.to_ascii_uppercase();
    for code in [
        "EUR", "USD", "GBP", "CHF", "CAD", "AUD", "NZD", "JPY", "SEK", "NOK", "DKK", "PLN", "CZK",
    ] {
        if upper.contains(code) {
            return Some(code);
        }
    }
    if raw.contains('€') {
        Some("EUR")
    } else if raw.contains('£') {
        Some("GBP")
    } else if raw.contains('¥') {
        Some("JPY")
    } else if raw.contains('₹') {
        Some("INR")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DecimalSeparator::{Comma, Dot};

    fn cents(raw: &str, decimal: DecimalSeparator) -> Result<i64, MoneyError> {
        parse_money(raw, decimal, 2)
    }

    #[test]
    fn scientific_notation_is_read_as_the_number_it_is() {
        let dot = |t: &str| parse_money(t, Dot, 2);
        assert_eq!(dot("1.5E+03"), Ok(150_000));
        assert_eq!(dot("2E3"), Ok(200_000));
        assert_eq!(dot("5.0E-01"), Ok(50));
        assert_eq!(dot("-1.25e2"), Ok(-12_500));
        assert_eq!(dot("1.2345E-01"), Ok(12), "rounded to the cent");
        assert_eq!(dot("0E0"), Ok(0));
        assert_eq!(dot("1e308"), Err(MoneyError::TooLarge));
        assert_eq!(dot("1e-308"), Ok(0));
        assert_eq!(parse_money("1,5E+03", Comma, 2), Ok(150_000));
        // Currency words with an E are no exponents.
        assert_eq!(dot("EUR 12.50"), Ok(1250));
        assert_eq!(dot("12.50 EUR"), Ok(1250));
    }

    #[test]
    fn the_most_negative_amount_is_refused_not_wrapped() {
        assert_eq!(
            parse_money("-92233720368547758.08", Dot, 2),
            Err(MoneyError::TooLarge)
        );
        assert_eq!(
            parse_money("-92233720368547758.09", Dot, 2),
            Err(MoneyError::TooLarge)
        );
    }

    #[test]
    fn the_shapes_in_real_files() {
        assert_eq!(cents("3227.00", Dot), Ok(322_700));
        assert_eq!(cents("$8.00", Dot), Ok(800));
        assert_eq!(cents("-$0.95", Dot), Ok(-95));
        assert_eq!(cents("$-0.95", Dot), Ok(-95));
        assert_eq!(cents("\"$1,240.00\"".trim_matches('"'), Dot), Ok(124_000));
        assert_eq!(cents("1,560.00", Dot), Ok(156_000));
        assert_eq!(cents("35,82", Comma), Ok(3582));
        assert_eq!(cents("1.234,56", Comma), Ok(123_456));
        assert_eq!(cents("116,99 €", Comma), Ok(11_699));
        assert_eq!(cents("17", Dot), Ok(1700));
        assert_eq!(cents("4.25", Dot), Ok(425));
        assert_eq!(cents("4.2", Dot), Ok(420));
        assert_eq!(cents("(12.50)", Dot), Ok(-1250));
        assert_eq!(cents("12.50-", Dot), Ok(-1250));
        assert_eq!(cents("USD 1 234.50", Dot), Ok(123_450));
        assert_eq!(cents("1\u{a0}234,50", Comma), Ok(123_450));
        assert_eq!(cents("CHF 1'234.50", Dot), Ok(123_450));
        assert_eq!(cents("'97", Dot), Ok(9700));
    }

    #[test]
    fn rounding_and_other_currencies() {
        assert_eq!(cents("4.255", Dot), Ok(426));
        assert_eq!(cents("-4.255", Dot), Ok(-426));
        assert_eq!(cents("4.254", Dot), Ok(425));
        assert_eq!(parse_money("1,200", Dot, 0), Ok(1200));
        assert_eq!(parse_money("1.5", Dot, 3), Ok(1500));
    }

    #[test]
    fn what_is_not_money() {
        assert_eq!(cents("", Dot), Err(MoneyError::Empty));
        assert_eq!(cents("   ", Dot), Err(MoneyError::Empty));
        assert_eq!(cents("n/a", Dot), Err(MoneyError::NotANumber));
        assert_eq!(cents("12.3.4", Dot), Err(MoneyError::NotANumber));
        assert_eq!(
            cents("99999999999999999999999", Dot),
            Err(MoneyError::TooLarge)
        );
        assert_eq!(cents("#REF!", Dot), Err(MoneyError::NotANumber));
    }

    #[test]
    fn votes_decide_per_file() {
        let mut votes = DecimalVotes::default();
        for v in ["1,234", "12.50", "7"] {
            votes.observe(v);
        }
        assert_eq!(votes.decide(2), Dot);
        let mut votes = DecimalVotes::default();
        for v in ["35,82", "1.234,56", "116,99 €", "1.234"] {
            votes.observe(v);
        }
        assert_eq!(votes.decide(2), Comma);
        assert_eq!(DecimalVotes::default().decide(2), Dot);
        // Whole euros grouped by dots: no decimal shows, and 1.250 is no price in cents.
        let mut votes = DecimalVotes::default();
        for v in ["1.250", "17", "2.500"] {
            votes.observe(v);
        }
        assert_eq!(votes.settled(), None, "not shown, so not remembered");
        assert_eq!(votes.decide(2), Comma);
        assert_eq!(votes.decide(3), Dot, "12.500 dinars are twelve and a half");
        // Whole dollars grouped by commas stay read with a dot.
        let mut votes = DecimalVotes::default();
        for v in ["1,250", "17"] {
            votes.observe(v);
        }
        assert_eq!(votes.decide(2), Dot);
    }

    #[test]
    fn currency_named_in_the_cell() {
        assert_eq!(currency_in_cell("116,99 €"), Some("EUR"));
        assert_eq!(currency_in_cell("12 CHF"), Some("CHF"));
        assert_eq!(currency_in_cell("12.00"), None);
    }
}
