//! The owner's business settings that every CLV figure depends on, with their validation.

use chrono::Weekday;

use super::Currency;

/// Settings the owner chooses once: the currency they report in and the economics used to
/// turn expected spend into lifetime value.
#[derive(Clone, Debug, PartialEq)]
pub struct BusinessSettings {
    /// Currency figures are shown in (orders keep their own currency).
    pub currency: Currency,
    /// Gross margin in percent: the share of revenue left after the cost of goods.
    pub margin_pct: f64,
    /// Monthly discount rate in percent: what a euro next month is worth less than today.
    pub monthly_discount_pct: f64,
    /// How far ahead lifetime value looks, in months.
    pub horizon_months: u32,
    /// First day of the week for weekly charts.
    pub week_start: Weekday,
    /// The shop's IANA time zone (`Europe/Berlin`) for order times a file gives without a
    /// zone; empty means this computer's zone.
    pub time_zone: String,
    /// The shop's name as its customers know it: it signs printed thank-you cards and
    /// fills `{shop_name}` in care messages. Empty leaves cards unsigned.
    pub shop_name: String,
}

/// The longest shop name that still fits on a card's signature line.
pub const SHOP_NAME_MAX_CHARS: usize = 60;

impl Default for BusinessSettings {
    fn default() -> Self {
        BusinessSettings {
            currency: Currency::USD,
            margin_pct: 30.0,
            monthly_discount_pct: 1.0,
            horizon_months: 12,
            week_start: Weekday::Mon,
            time_zone: String::new(),
            shop_name: String::new(),
        }
    }
}

impl BusinessSettings {
    /// Every problem with the values, each as a sentence an owner can act on; empty when valid.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if !(self.margin_pct.is_finite() && (0.0..=100.0).contains(&self.margin_pct)) {
            problems.push("Gross margin must be between 0% and 100%.".to_owned());
        }
        if !(self.monthly_discount_pct.is_finite()
            && (0.0..=20.0).contains(&self.monthly_discount_pct))
        {
            problems.push(
                "Monthly discount rate must be between 0% and 20% (1% is typical).".to_owned(),
            );
        }
        if !(1..=120).contains(&self.horizon_months) {
            problems.push("The horizon must be between 1 and 120 months.".to_owned());
        }
        if !matches!(self.week_start, Weekday::Mon | Weekday::Sun | Weekday::Sat) {
            problems.push("Weeks can start on Monday, Saturday or Sunday.".to_owned());
        }
        if self.shop_zone().is_err() {
            problems.push(format!(
                "“{}” is not a time zone name; use one like Europe/Berlin or America/New_York, or leave it empty for this computer's zone.",
                self.time_zone.trim()
            ));
        }
        if self.shop_name.trim().chars().count() > SHOP_NAME_MAX_CHARS {
            problems.push(format!(
                "The shop name can be at most {SHOP_NAME_MAX_CHARS} characters long, to fit on a card."
            ));
        }
        problems
    }
}

/// A time zone name that is not in the time zone database.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("“{0}” is not a time zone name")]
pub struct UnknownTimeZone(pub String);

impl BusinessSettings {
    /// The shop's zone: `Ok(None)` for this computer's zone.
    pub fn shop_zone(&self) -> Result<Option<chrono_tz::Tz>, UnknownTimeZone> {
        let name = self.time_zone.trim();
        if name.is_empty() {
            return Ok(None);
        }
        name.parse::<chrono_tz::Tz>()
            .map(Some)
            .map_err(|_| UnknownTimeZone(name.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        assert!(BusinessSettings::default().problems().is_empty());
    }

    #[test]
    fn each_bad_value_is_named() {
        let bad = BusinessSettings {
            margin_pct: 130.0,
            monthly_discount_pct: -1.0,
            horizon_months: 0,
            week_start: Weekday::Wed,
            time_zone: "Mars/Olympus".into(),
            shop_name: "Café ".repeat(13),
            ..BusinessSettings::default()
        };
        let problems = bad.problems();
        assert_eq!(problems.len(), 6, "{problems:?}");
        assert!(problems[0].contains("margin"));
        assert!(problems[1].contains("discount"));
        assert!(problems[2].contains("horizon"));
        assert!(problems[3].contains("Weeks"));
        assert!(problems[4].contains("Mars/Olympus"));
        assert!(problems[5].contains("shop name"));
    }

    #[test]
    fn time_zone_names() {
        let mut s = BusinessSettings::default();
        assert_eq!(s.shop_zone(), Ok(None));
        s.time_zone = " Europe/Berlin ".into();
        assert_eq!(
            s.shop_zone().map(|z| z.map(|t| t.name())),
            Ok(Some("Europe/Berlin"))
        );
    }

    #[test]
    fn nan_is_rejected() {
        let bad = BusinessSettings {
            margin_pct: f64::NAN,
            ..BusinessSettings::default()
        };
        assert_eq!(bad.problems().len(), 1);
    }
}
