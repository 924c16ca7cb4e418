//! Money as integer minor units with an ISO 4217 currency, and how it is shown to owners.
//!
//! Floating point never holds a stored amount: imports parse straight into minor units and
//! only model outputs (expected spend, CLV) are real numbers, rounded when shown.

use std::fmt;

/// An ISO 4217 currency code such as `EUR`, always three upper-case ASCII letters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

/// The active ISO 4217 currency codes, sorted (for [`Currency::is_in_use`]).
const CURRENCIES_IN_USE: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD",
    "CDF", "CHF", "CLP", "CNY", "COP", "CRC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD",
    "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ",
    "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD",
    "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR",
    "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR",
    "MWK", "MXN", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN",
    "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR",
    "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB",
    "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "UYU", "UZS",
    "VES", "VND", "VUV", "WST", "XAF", "XCD", "XCG", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWG",
];

impl Currency {
    /// US dollar, the default for a new database until the owner picks their own.
    pub const USD: Currency = Currency(*b"USD");
    /// Euro.
    pub const EUR: Currency = Currency(*b"EUR");

    /// Parses a code case-insensitively (`usd`, ` EUR `); `None` unless it is three letters.
    pub fn parse(code: &str) -> Option<Currency> {
        let code = code.trim();
        let bytes = code.as_bytes();
        if bytes.len() != 3 || !bytes.iter().all(u8::is_ascii_alphabetic) {
            return None;
        }
        Some(Currency([
            bytes[0].to_ascii_uppercase(),
            bytes[1].to_ascii_uppercase(),
            bytes[2].to_ascii_uppercase(),
        ]))
    }

    /// The three-letter code.
    pub fn code(&self) -> &str {
        // The bytes are ASCII letters by construction.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// Number of digits after the decimal point (ISO 4217 exponent).
    pub fn minor_digits(&self) -> u32 {
        match &self.0 {
            b"JPY" | b"KRW" | b"VND" | b"CLP" | b"ISK" | b"HUF" | b"XAF" | b"XOF" | b"PYG"
            | b"UGX" | b"RWF" => 0,
            b"BHD" | b"KWD" | b"OMR" | b"JOD" | b"TND" | b"IQD" | b"LYD" => 3,
            _ => 2,
        }
    }

    /// Whether this is a currency in use (ISO 4217, 2026): what an owner types is checked
    /// against it, so a slip such as `EUO` is refused; a file's own codes are not.
    pub fn is_in_use(&self) -> bool {
        CURRENCIES_IN_USE.binary_search(&self.code()).is_ok()
    }

    /// Minor units in one major unit (100 for EUR, 1 for JPY).
    pub fn minor_per_major(&self) -> i64 {
        10_i64.pow(self.minor_digits())
    }

    /// The symbol written before the amount, for the currencies owners most often use.
    pub fn prefix_symbol(&self) -> Option<&'static str> {
        Some(match &self.0 {
            b"USD" => "$",
            b"EUR" => "€",
            b"GBP" => "£",
            b"JPY" => "¥",
            b"INR" => "₹",
            b"CAD" => "CA$",
            b"AUD" => "A$",
            b"NZD" => "NZ$",
            b"BRL" => "R$",
            b"MXN" => "MX$",
            _ => return None,
        })
    }
}

impl Default for Currency {
    fn default() -> Self {
        Currency::USD
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Currency({})", self.code())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An amount of money: integer minor units (cents) and its currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Money {
    /// Amount in minor units, e.g. 1250 for €12.50.
    pub amount_cents: i64,
    /// The currency the amount is in.
    pub currency: Currency,
}

impl Money {
    /// An amount in minor units of `currency`.
    pub fn new(amount_cents: i64, currency: Currency) -> Money {
        Money {
            amount_cents,
            currency,
        }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_money(self.amount_cents, self.currency))
    }
}

/// `$1,240.50`, `-€0.95`, `¥1,200`, `1,240.50 CHF`: an exact amount with grouping.
pub fn format_money(amount_cents: i64, currency: Currency) -> String {
    let digits = currency.minor_digits();
    let per_major = currency.minor_per_major();
    let abs = amount_cents.unsigned_abs();
    let major = abs / per_major.unsigned_abs();
    let minor = abs % per_major.unsigned_abs();
    let mut number = group_thousands(major);
    if digits > 0 {
        number.push('.');
        number.push_str(&format!("{minor:0width$}", width = digits as usize));
    }
    with_symbol(amount_cents < 0, &number, currency)
}

/// `$1,241`, `€84`: an amount rounded to whole major units, for headline figures and
/// model outputs (which are estimates, so cents would be false precision).
pub fn format_money_rounded(amount_cents: f64, currency: Currency) -> String {
    if !amount_cents.is_finite() {
        return "—".to_owned();
    }
    let major = (amount_cents / currency.minor_per_major() as f64).round();
    let number = group_thousands(major.abs() as u64);
    with_symbol(major < 0.0, &number, currency)
}

/// How to write an estimate and its range alike: in whole units, as
/// [`format_money_rounded`] does, unless that would make the range's two ends the same
/// (`$10, likely between $10 and $10` says nothing): then every amount to the minor unit
/// (`$9.64, likely between $9.52 and $9.77`), as far as the currency has one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EstimateFormat {
    currency: Currency,
    to_minor_unit: bool,
}

impl EstimateFormat {
    /// The format for estimates whose range runs from `low_cents` to `high_cents`.
    pub fn for_range(low_cents: f64, high_cents: f64, currency: Currency) -> EstimateFormat {
        // A range of one amount (a customer valued at nothing) needs no cents to say so.
        let to_minor_unit = low_cents.is_finite()
            && high_cents.is_finite()
            && low_cents != high_cents
            && format_money_rounded(low_cents, currency)
                == format_money_rounded(high_cents, currency);
        EstimateFormat {
            currency,
            to_minor_unit,
        }
    }

    /// `amount_cents` written in this format.
    pub fn amount(&self, amount_cents: f64) -> String {
        if self.to_minor_unit && amount_cents.is_finite() {
            format_money(amount_cents.round() as i64, self.currency)
        } else {
            format_money_rounded(amount_cents, self.currency)
        }
    }
}

fn with_symbol(negative: bool, number: &str, currency: Currency) -> String {
    let sign = if negative { "-" } else { "" };
    match currency.prefix_symbol() {
        Some(symbol) => format!("{sign}{symbol}{number}"),
        None => format!("{sign}{number} {}", currency.code()),
    }
}

/// `3 customers` / `1 customer`: the count with its thousands grouped and the word that
/// agrees with it.
pub fn plural(count: u64, one: &str, many: &str) -> String {
    let word = if count == 1 { one } else { many };
    format!("{} {word}", group_thousands(count))
}

/// `1234567` → `1,234,567`.
pub fn group_thousands(value: u64) -> String {
    let raw = value.to_string();
    let mut out = String::with_capacity(raw.len() + raw.len() / 3);
    for (i, ch) in raw.chars().enumerate() {
        if i > 0 && (raw.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// A file size in megabytes with one decimal: `3,984,588` → `3.8 MB`.
pub fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_048_576.0)
}

/// A share (0 to 1) as a percentage an owner can trust: whole percents, but one decimal
/// when the whole number would claim 0% or 100% and the share is neither (`0.4%`,
/// `99.7%`), and "less than 0.1%" / "more than 99.9%" beyond that.
pub fn share_percent(share: f64) -> String {
    if !share.is_finite() {
        return "unknown".to_owned();
    }
    let percent = 100.0 * share;
    let whole = format!("{percent:.0}");
    let hides_some = whole == "0" && percent > 0.0;
    let hides_rest = whole == "100" && percent < 100.0;
    if !hides_some && !hides_rest {
        return format!("{whole}%");
    }
    match format!("{percent:.1}").as_str() {
        "0.0" => "less than 0.1%".to_owned(),
        "100.0" => "more than 99.9%".to_owned(),
        one_decimal => format!("{one_decimal}%"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_never_round_to_0_or_100_when_they_are_not() {
        assert_eq!(share_percent(0.0), "0%");
        assert_eq!(share_percent(1.0), "100%");
        assert_eq!(share_percent(0.5), "50%");
        assert_eq!(share_percent(0.456), "46%");
        assert_eq!(share_percent(0.006), "1%");
        // 9 of 2,002 customers: 0.45%, not "0%".
        assert_eq!(share_percent(9.0 / 2002.0), "0.4%");
        assert_eq!(share_percent(0.0004), "less than 0.1%");
        assert_eq!(share_percent(0.997), "99.7%");
        assert_eq!(share_percent(1993.0 / 2002.0), "99.6%");
        assert_eq!(share_percent(0.99995), "more than 99.9%");
        assert_eq!(share_percent(f64::NAN), "unknown");
    }

    #[test]
    fn currency_parse_normalises_and_rejects() {
        assert_eq!(Currency::parse(" usd "), Some(Currency::USD));
        assert_eq!(
            Currency::parse("EUR").map(|c| c.to_string()),
            Some("EUR".into())
        );
        assert_eq!(Currency::parse("EURO"), None);
        assert_eq!(Currency::parse("U$D"), None);
        assert_eq!(Currency::parse(""), None);
    }

    #[test]
    fn currencies_in_use_are_known_and_a_slip_is_not() {
        assert!(CURRENCIES_IN_USE.is_sorted());
        for code in ["USD", "eur", "GBP", "JPY", "CHF", "XCG"] {
            assert!(
                Currency::parse(code).is_some_and(|c| c.is_in_use()),
                "{code}"
            );
        }
        for code in ["EUO", "XYZ", "ABC"] {
            assert!(
                Currency::parse(code).is_some_and(|c| !c.is_in_use()),
                "{code}"
            );
        }
    }

    #[test]
    fn minor_digits_follow_iso_4217() {
        assert_eq!(Currency::USD.minor_per_major(), 100);
        assert_eq!(Currency::parse("JPY").map(|c| c.minor_per_major()), Some(1));
        assert_eq!(
            Currency::parse("KWD").map(|c| c.minor_per_major()),
            Some(1000)
        );
    }

    #[test]
    fn format_money_groups_and_signs() {
        assert_eq!(format_money(124_050, Currency::USD), "$1,240.50");
        assert_eq!(format_money(-95, Currency::EUR), "-€0.95");
        assert_eq!(format_money(0, Currency::EUR), "€0.00");
        assert_eq!(
            format_money(1200, Currency::parse("JPY").unwrap_or_default()),
            "¥1,200"
        );
        assert_eq!(
            format_money(124_050, Currency::parse("CHF").unwrap_or_default()),
            "1,240.50 CHF"
        );
        assert_eq!(
            format_money(12_345_678_900, Currency::USD),
            "$123,456,789.00"
        );
    }

    #[test]
    fn format_money_rounded_rounds_half_away() {
        assert_eq!(format_money_rounded(8_450.0, Currency::EUR), "€85");
        assert_eq!(
            format_money_rounded(-1_234_549.0, Currency::USD),
            "-$12,345"
        );
        assert_eq!(format_money_rounded(f64::NAN, Currency::USD), "—");
    }

    #[test]
    fn an_estimate_whose_range_rounds_to_one_amount_is_written_to_the_cent() {
        let usd = Currency::USD;
        let wide = EstimateFormat::for_range(95_200.0, 97_700.0, usd);
        assert_eq!(
            [
                wide.amount(96_400.0),
                wide.amount(95_200.0),
                wide.amount(97_700.0)
            ],
            ["$964", "$952", "$977"]
        );
        // $9.52 to $9.77 both round to $10.
        let narrow = EstimateFormat::for_range(952.3, 976.8, usd);
        assert_eq!(
            [
                narrow.amount(964.27),
                narrow.amount(952.3),
                narrow.amount(976.8)
            ],
            ["$9.64", "$9.52", "$9.77"]
        );
        assert_eq!(narrow.amount(f64::NAN), "—");
        // No minor unit to fall back to.
        let yen = Currency::parse("JPY").unwrap_or_default();
        assert_eq!(
            EstimateFormat::for_range(1_000.2, 1_000.4, yen).amount(1_000.3),
            "¥1,000"
        );
        // No range, or a range of one amount: whole units.
        assert_eq!(
            EstimateFormat::for_range(f64::NAN, 5.0, usd).amount(964.27),
            "$10"
        );
        assert_eq!(EstimateFormat::for_range(0.0, 0.0, usd).amount(0.0), "$0");
    }

    #[test]
    fn group_thousands_boundaries() {
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(1000), "1,000");
        assert_eq!(group_thousands(100_000), "100,000");
    }
}
