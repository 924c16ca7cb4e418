//! From purchases to what the models read: per customer the frequency, recency, age and
//! mean repeat spend (the "RFM summary"), with an optional calibration/holdout split, and
//! the distinct (x, tₓ, T) triples the likelihoods are summed over.
//!
//! Conventions (as in the literature and `../shared/clv-reference.md`):
//! * purchases are counted per calendar **day**: several orders on one day are one purchase
//!   (their values summed), whatever the time unit;
//! * `frequency` x = purchase days − 1 (repeat purchases);
//! * `recency` tₓ = time from the first purchase day to the last; 0 when x = 0;
//! * `T` = time from the first purchase day to the observation end;
//! * `monetary` = mean value of the repeat purchase days (the first is left out); 0 when x = 0;
//! * time is in days, or in weeks = days / 7.
//!
//! What counts as a purchase is decided by the caller (`store::scores`): orders fully refunded
//! are not purchases, zero-value orders (free samples, 100% discounts) are, and a refund
//! reduces the value of the order it refunds.

use rustc_hash::FxHashMap as HashMap;

use chrono::NaiveDate;

/// The time unit models work in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    /// Days.
    Day,
    /// Weeks of seven days.
    #[default]
    Week,
}

impl Period {
    /// Days in one unit.
    pub fn days(self) -> f64 {
        match self {
            Period::Day => 1.0,
            Period::Week => 7.0,
        }
    }

    /// `day` or `week`.
    pub fn name(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Week => "week",
        }
    }

    /// Units in a month (365.25 / 12 days).
    pub fn per_month(self) -> f64 {
        365.25 / 12.0 / self.days()
    }
}

pub use crate::domain::Purchase;

/// A customer's summary at an observation end.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CustomerSummary {
    /// Repeat purchase days.
    pub frequency: u32,
    /// Days from first to last purchase.
    pub recency_days: i64,
    /// Days from first purchase to the observation end.
    pub age_days: i64,
    /// Mean value of the repeat purchase days, in minor units (0 when x = 0).
    pub monetary_cents: f64,
    /// Value of all purchase days up to the observation end, in minor units.
    pub revenue_cents: i64,
    /// Purchase days up to the observation end (x + 1, or 0 for a customer not yet acquired).
    pub purchase_days: u32,
    /// First purchase day.
    pub first_day: Option<NaiveDate>,
    /// Last purchase day up to the observation end.
    pub last_day: Option<NaiveDate>,
}

impl CustomerSummary {
    /// Whether the customer had bought by the observation end.
    pub fn is_acquired(&self) -> bool {
        self.purchase_days > 0
    }

    /// Recency in `period` units.
    pub fn recency(&self, period: Period) -> f64 {
        self.recency_days as f64 / period.days()
    }

    /// Age T in `period` units.
    pub fn age(&self, period: Period) -> f64 {
        self.age_days as f64 / period.days()
    }
}

/// Summaries at `end`, one per customer index (`customers` of them), from purchases on or
/// before `end`; later purchases are ignored.
pub fn summarise(purchases: &[Purchase], customers: usize, end: NaiveDate) -> Vec<CustomerSummary> {
    let mut by_customer: Vec<Vec<(NaiveDate, i64)>> = vec![Vec::new(); customers];
    for p in purchases {
        if p.day <= end && p.customer < customers {
            by_customer[p.customer].push((p.day, p.value_cents));
        }
    }
    by_customer
        .into_iter()
        .map(|mut days| summary_of(&mut days, end))
        .collect()
}

fn summary_of(purchases: &mut [(NaiveDate, i64)], end: NaiveDate) -> CustomerSummary {
    if purchases.is_empty() {
        return CustomerSummary::default();
    }
    purchases.sort_unstable_by_key(|(day, _)| *day);
    // One purchase per day, values summed.
    let mut days: Vec<(NaiveDate, i64)> = Vec::with_capacity(purchases.len());
    for &(day, value) in purchases.iter() {
        match days.last_mut() {
            // Saturating: a database written before amounts were bounded may hold extremes.
            Some((last, total)) if *last == day => *total = total.saturating_add(value),
            _ => days.push((day, value)),
        }
    }
    let first = days[0].0;
    let last = days[days.len() - 1].0;
    let frequency = (days.len() - 1) as u32;
    let repeat_total = days
        .iter()
        .skip(1)
        .fold(0i64, |sum, (_, v)| sum.saturating_add(*v));
    CustomerSummary {
        frequency,
        recency_days: (last - first).num_days(),
        age_days: (end - first).num_days(),
        monetary_cents: if frequency > 0 {
            repeat_total as f64 / f64::from(frequency)
        } else {
            0.0
        },
        revenue_cents: days.iter().fold(0i64, |sum, (_, v)| sum.saturating_add(*v)),
        purchase_days: days.len() as u32,
        first_day: Some(first),
        last_day: Some(last),
    }
}

/// A calibration/holdout split: summaries at the calibration end, and for each customer
/// acquired by then, the repeat purchase days in (calibration end, holdout end].
#[derive(Clone, Debug, PartialEq)]
pub struct Split {
    /// Summaries at the calibration end.
    pub calibration: Vec<CustomerSummary>,
    /// Purchase days after the calibration end, up to the holdout end.
    pub holdout_purchases: Vec<u32>,
    /// Each holdout purchase day, as days after the calibration end, per customer (for the
    /// tracking curve).
    pub holdout_days: Vec<Vec<i64>>,
    /// Last day of the calibration period.
    pub calibration_end: NaiveDate,
    /// Last day of the holdout period.
    pub holdout_end: NaiveDate,
}

/// Splits the purchases at `calibration_end`.
pub fn split(
    purchases: &[Purchase],
    customers: usize,
    calibration_end: NaiveDate,
    holdout_end: NaiveDate,
) -> Split {
    let calibration = summarise(purchases, customers, calibration_end);
    let mut holdout_days: Vec<Vec<i64>> = vec![Vec::new(); customers];
    for p in purchases {
        if p.day > calibration_end
            && p.day <= holdout_end
            && p.customer < customers
            && calibration[p.customer].is_acquired()
        {
            holdout_days[p.customer].push((p.day - calibration_end).num_days());
        }
    }
    for days in &mut holdout_days {
        days.sort_unstable();
        days.dedup();
    }
    Split {
        holdout_purchases: holdout_days.iter().map(|d| d.len() as u32).collect(),
        calibration,
        holdout_days,
        calibration_end,
        holdout_end,
    }
}

/// One distinct (x, tₓ, T) triple and how many customers share it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Triple {
    /// Frequency.
    pub x: f64,
    /// Recency in model units.
    pub tx: f64,
    /// Age in model units.
    pub t: f64,
    /// Customers with this triple.
    pub count: f64,
}

/// The distinct (x, tₓ, T) of acquired customers, in `period` units, with their counts,
/// sorted by x, then T, then tₓ. A likelihood summed over these costs O(distinct triples),
/// not O(customers).
pub fn triples(summaries: &[CustomerSummary], period: Period) -> Vec<Triple> {
    distinct_triples(summaries, period).triples
}

/// The distinct (x, tₓ, T) of acquired customers, sorted by x (then T, tₓ) as the batched
/// P(alive) wants them, with their day keys to find a customer's triple again.
pub struct KeyedTriples {
    /// (x, tₓ in days, T in days) per triple.
    pub keys: Vec<(u32, i64, i64)>,
    /// The triples in model units, with their customer counts.
    pub triples: Vec<Triple>,
    positions: HashMap<(u32, i64, i64), usize>,
}

impl KeyedTriples {
    /// The index of `s`'s triple, if `s` was acquired.
    pub fn index(&self, s: &CustomerSummary) -> Option<usize> {
        self.positions
            .get(&(s.frequency, s.recency_days, s.age_days))
            .copied()
    }
}

/// [`KeyedTriples`] of `summaries` in `period` units.
pub fn distinct_triples(summaries: &[CustomerSummary], period: Period) -> KeyedTriples {
    let mut counts: HashMap<(u32, i64, i64), u32> = HashMap::default();
    for s in summaries.iter().filter(|s| s.is_acquired()) {
        *counts
            .entry((s.frequency, s.recency_days, s.age_days))
            .or_default() += 1;
    }
    let mut keyed: Vec<((u32, i64, i64), u32)> = counts.into_iter().collect();
    keyed.sort_unstable_by_key(|((x, tx, t), _)| (*x, *t, *tx));
    let days = period.days();
    KeyedTriples {
        positions: keyed
            .iter()
            .enumerate()
            .map(|(i, (key, _))| (*key, i))
            .collect(),
        triples: keyed
            .iter()
            .map(|((x, tx, t), n)| Triple {
                x: f64::from(*x),
                tx: *tx as f64 / days,
                t: *t as f64 / days,
                count: f64::from(*n),
            })
            .collect(),
        keys: keyed.into_iter().map(|(key, _)| key).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn p(customer: usize, day: &str, cents: i64) -> Purchase {
        Purchase {
            customer,
            day: d(day),
            value_cents: cents,
        }
    }

    #[test]
    fn same_day_orders_are_one_purchase_and_the_first_is_not_monetary() {
        let purchases = [
            p(0, "2025-01-01", 1000),
            p(0, "2025-01-01", 500),
            p(0, "2025-01-15", 2000),
            p(0, "2025-01-29", 4000),
            p(1, "2025-01-10", 700),
        ];
        let s = summarise(&purchases, 3, d("2025-02-01"));
        assert_eq!(s[0].frequency, 2);
        assert_eq!(s[0].recency_days, 28);
        assert_eq!(s[0].age_days, 31);
        assert_eq!(s[0].monetary_cents, 3000.0);
        assert_eq!(s[0].revenue_cents, 7500);
        assert_eq!(
            (
                s[1].frequency,
                s[1].recency_days,
                s[1].age_days,
                s[1].monetary_cents
            ),
            (0, 0, 22, 0.0)
        );
        assert!(!s[2].is_acquired());
        assert!((s[0].recency(Period::Week) - 4.0).abs() < 1e-12);
    }

    #[test]
    fn purchases_after_the_end_are_ignored() {
        let purchases = [p(0, "2025-01-01", 1000), p(0, "2025-03-01", 1000)];
        let s = summarise(&purchases, 1, d("2025-02-01"));
        assert_eq!(s[0].frequency, 0);
        assert_eq!(s[0].revenue_cents, 1000);
    }

    #[test]
    fn split_counts_holdout_repeat_days_of_acquired_customers_only() {
        let purchases = [
            p(0, "2025-01-01", 1),
            p(0, "2025-02-10", 1),
            p(0, "2025-02-10", 1),
            p(0, "2025-02-20", 1),
            p(1, "2025-02-05", 1), // acquired in the holdout: not a calibration customer
        ];
        let split = split(&purchases, 2, d("2025-01-31"), d("2025-03-31"));
        assert_eq!(split.holdout_purchases, vec![2, 0]);
        assert_eq!(split.holdout_days[0], vec![10, 20]);
        assert!(!split.calibration[1].is_acquired());
    }

    #[test]
    fn triples_group_identical_customers() {
        let purchases = [
            p(0, "2025-01-01", 1),
            p(0, "2025-01-08", 1),
            p(1, "2025-01-01", 1),
            p(1, "2025-01-08", 1),
            p(2, "2025-01-02", 1),
        ];
        let s = summarise(&purchases, 3, d("2025-01-15"));
        let t = triples(&s, Period::Week);
        assert_eq!(t.len(), 2);
        let repeaters = t.iter().find(|t| t.x == 1.0).unwrap();
        assert_eq!(
            (repeaters.tx, repeaters.t, repeaters.count),
            (1.0, 2.0, 2.0)
        );
    }
}
