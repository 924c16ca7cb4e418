//! The simple CLV formulas, computed for every shop: they need no model and work on any
//! amount of data, so they are shown beside the model's numbers and used in its place when
//! the data is too thin for a model.
//!
//! * historic value: what customers have spent so far, and their number of orders;
//! * "average order value × orders" (the estimate of the articles owners read);
//! * HubSpot's CLV = average order value × purchases per year × average lifespan in years;
//! * the retention formula CLV = m · r / (1 + d − r), m the yearly margin per customer,
//!   r the yearly retention rate, d the yearly discount rate;
//! * per customer, for the thin-data fallback: the customer's own monthly margin carried
//!   over the horizon with the shop's retention and the owner's discount rate.

use chrono::NaiveDate;

use super::summary::CustomerSummary;

/// Days in a year.
const YEAR_DAYS: f64 = 365.25;

/// The shop-level formulas. Money in minor units.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct ShopFormulas {
    /// Customers who bought.
    pub customers: u64,
    /// Purchase days in all.
    pub purchases: u64,
    /// Revenue in all.
    pub revenue_cents: f64,
    /// Average order value.
    pub average_order_cents: f64,
    /// Purchases per customer so far.
    pub purchases_per_customer: f64,
    /// Average order value × purchases per customer: the average historic value.
    pub aov_times_orders_cents: f64,
    /// Purchases per customer per year.
    pub purchases_per_year: f64,
    /// Share of customers who buy again within a year (0–1), from the data.
    pub yearly_retention: f64,
    /// Low end of the 80% range of the yearly retention (Wilson interval on the customers
    /// it was measured on); equal to `yearly_retention` when it could not be measured.
    pub yearly_retention_low: f64,
    /// High end of that range.
    pub yearly_retention_high: f64,
    /// Expected lifespan in years, 1 / (1 − retention), at most 20.
    pub lifespan_years: f64,
    /// HubSpot: average order value × purchases per year × lifespan.
    pub hubspot_cents: f64,
    /// Yearly margin per active customer.
    pub yearly_margin_cents: f64,
    /// m · r / (1 + d − r).
    pub retention_formula_cents: f64,
    /// Days of history.
    pub history_days: i64,
}

/// The shop formulas at `end` with the owner's `margin` and `monthly_discount` (fractions).
pub fn shop_formulas(
    summaries: &[CustomerSummary],
    end: NaiveDate,
    margin: f64,
    monthly_discount: f64,
) -> ShopFormulas {
    let acquired: Vec<&CustomerSummary> = summaries.iter().filter(|s| s.is_acquired()).collect();
    let customers = acquired.len() as f64;
    if customers == 0.0 {
        return ShopFormulas::default();
    }
    let purchases: f64 = acquired.iter().map(|s| f64::from(s.purchase_days)).sum();
    let revenue: f64 = acquired.iter().map(|s| s.revenue_cents as f64).sum();
    let first = acquired
        .iter()
        .filter_map(|s| s.first_day)
        .min()
        .unwrap_or(end);
    let history_days = (end - first).num_days().max(1);
    let average_order = revenue / purchases;
    let per_customer = purchases / customers;
    // Purchases per customer per year, over the time each customer has been one.
    let customer_years: f64 = acquired
        .iter()
        .map(|s| (s.age_days as f64 / YEAR_DAYS).max(1.0 / 12.0))
        .sum();
    let per_year = purchases / customer_years;
    let (retention, retention_low, retention_high) = yearly_retention(&acquired, end, history_days);
    let lifespan = if retention < 0.95 {
        1.0 / (1.0 - retention)
    } else {
        20.0
    };
    let yearly_discount = (1.0 + monthly_discount).powi(12) - 1.0;
    let yearly_margin = margin * revenue / customer_years;
    ShopFormulas {
        customers: customers as u64,
        purchases: purchases as u64,
        revenue_cents: revenue,
        average_order_cents: average_order,
        purchases_per_customer: per_customer,
        aov_times_orders_cents: average_order * per_customer,
        purchases_per_year: per_year,
        yearly_retention: retention,
        yearly_retention_low: retention_low,
        yearly_retention_high: retention_high,
        lifespan_years: lifespan.min(20.0),
        hubspot_cents: average_order * per_year * lifespan.min(20.0),
        yearly_margin_cents: yearly_margin,
        retention_formula_cents: yearly_margin * retention / (1.0 + yearly_discount - retention),
        history_days,
    }
}

/// Of the customers who had bought before the last window, the share who bought again in
/// it; the window is a year when the history allows, else half the history, and the rate
/// is then scaled to a year (r_year = r_window^(365/window)). Returned with the ends of its
/// 80% Wilson interval (how sure the count of returning customers lets us be), scaled the
/// same way.
fn yearly_retention(
    acquired: &[&CustomerSummary],
    end: NaiveDate,
    history_days: i64,
) -> (f64, f64, f64) {
    let window = if history_days >= 2 * 365 {
        365
    } else {
        (history_days / 2).max(1)
    };
    let window_start = end - chrono::Duration::days(window);
    let earlier: Vec<&&CustomerSummary> = acquired
        .iter()
        .filter(|s| s.first_day.is_some_and(|d| d < window_start))
        .collect();
    if earlier.is_empty() {
        return (0.0, 0.0, 0.0);
    }
    let returned = earlier
        .iter()
        .filter(|s| s.last_day.is_some_and(|d| d >= window_start))
        .count();
    let n = earlier.len() as f64;
    let rate = returned as f64 / n;
    let (low, high) = wilson_interval(rate, n, super::value::Z_80);
    let yearly = |r: f64| r.powf(365.0 / window as f64).clamp(0.0, 0.99);
    (yearly(rate), yearly(low), yearly(high))
}

/// The Wilson score interval for a proportion `rate` observed on `n` cases, at normal
/// quantile `z`: good for small n and rates near 0 or 1, unlike rate ± z·se.
pub fn wilson_interval(rate: f64, n: f64, z: f64) -> (f64, f64) {
    if n <= 0.0 {
        return (0.0, 1.0);
    }
    let z2 = z * z;
    let denominator = 1.0 + z2 / n;
    let centre = (rate + z2 / (2.0 * n)) / denominator;
    let half = z * (rate * (1.0 - rate) / n + z2 / (4.0 * n * n)).sqrt() / denominator;
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// The thin-data fallback for one customer (minor units): their average monthly margin so
/// far, carried `horizon_months` forward with the shop's monthly retention (from
/// `yearly_retention`) and discounted.
pub fn fallback_value(
    summary: &CustomerSummary,
    yearly_retention: f64,
    margin: f64,
    monthly_discount: f64,
    horizon_months: f64,
) -> f64 {
    if !summary.is_acquired() {
        return 0.0;
    }
    let months = (summary.age_days as f64 / (YEAR_DAYS / 12.0)).max(1.0);
    let monthly_margin = margin * summary.revenue_cents as f64 / months;
    let monthly_retention = yearly_retention.powf(1.0 / 12.0);
    let mut previous = 0.0;
    let mut total = 0.0;
    for k in super::value::month_steps(horizon_months) {
        total += monthly_margin * (k - previous) * monthly_retention.powf(k)
            / (1.0 + monthly_discount).powf(k);
        previous = k;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clv::summary::{Purchase, summarise};

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn wilson_interval_matches_the_textbook() {
        // 50 of 100 at 95%: 0.4038 to 0.5962 (Wilson 1927); 0 of 10 still has a range above zero.
        let (low, high) = wilson_interval(0.5, 100.0, 1.959_963_985);
        assert!((low - 0.403_832).abs() < 1e-5 && (high - 0.596_168).abs() < 1e-5);
        let (low, high) = wilson_interval(0.0, 10.0, 1.959_963_985);
        assert!(low == 0.0 && (high - 0.277_533).abs() < 1e-5, "{high}");
    }

    #[test]
    fn formulas_on_a_small_shop() {
        // Two customers over two years: A buys every 6 months (4 times), B once.
        let purchases = [
            Purchase {
                customer: 0,
                day: d("2023-01-01"),
                value_cents: 5000,
            },
            Purchase {
                customer: 0,
                day: d("2023-07-01"),
                value_cents: 5000,
            },
            Purchase {
                customer: 0,
                day: d("2024-01-01"),
                value_cents: 5000,
            },
            Purchase {
                customer: 0,
                day: d("2024-07-01"),
                value_cents: 5000,
            },
            Purchase {
                customer: 1,
                day: d("2023-02-01"),
                value_cents: 2000,
            },
        ];
        let end = d("2024-12-31");
        let s = summarise(&purchases, 2, end);
        let f = shop_formulas(&s, end, 0.5, 0.0);
        assert_eq!((f.customers, f.purchases), (2, 5));
        assert!((f.average_order_cents - 4400.0).abs() < 1e-9);
        assert!((f.aov_times_orders_cents - 11_000.0).abs() < 1e-9);
        // Both bought before the last year; only A bought again within it.
        assert!((f.yearly_retention - 0.5).abs() < 1e-9);
        assert!((f.lifespan_years - 2.0).abs() < 1e-9);
        // m·r/(1+d−r) with d = 0, r = 0.5: m.
        assert!((f.retention_formula_cents - f.yearly_margin_cents).abs() < 1e-9);
        assert!(
            (f.hubspot_cents - f.average_order_cents * f.purchases_per_year * 2.0).abs() < 1e-6
        );
    }

    #[test]
    fn fallback_grows_with_horizon_and_shrinks_with_discounting() {
        let purchases = [
            Purchase {
                customer: 0,
                day: d("2024-01-01"),
                value_cents: 3000,
            },
            Purchase {
                customer: 0,
                day: d("2024-03-01"),
                value_cents: 3000,
            },
        ];
        let end = d("2024-06-30");
        let s = summarise(&purchases, 1, end);
        let shop = ShopFormulas {
            yearly_retention: 0.6,
            ..ShopFormulas::default()
        };
        let short = fallback_value(&s[0], shop.yearly_retention, 0.3, 0.01, 6.0);
        let long = fallback_value(&s[0], shop.yearly_retention, 0.3, 0.01, 12.0);
        let undiscounted = fallback_value(&s[0], shop.yearly_retention, 0.3, 0.0, 12.0);
        assert!(short > 0.0 && long > short && undiscounted > long);
    }
}
