//! The figures behind the value charts, computed once per valuation in the background and
//! stored with the run, so a chart never recomputes anything while it is drawn:
//!
//! * **cohorts**: customers grouped by the month of their first purchase; for each month
//!   since, the share who bought in that month (the retention triangle) and the revenue per
//!   cohort customer so far (the LTV curves);
//! * **revenue by month**, split into first purchases (new customers) and later ones
//!   (returning customers);
//! * the **top-customer curve** (Pareto): customers sorted by revenue, the share of revenue
//!   the top p% bring, and the top 20% share;
//! * the **distribution of lifetime values** (histogram, linear and logarithmic bins) with
//!   the median and the top-20% threshold;
//! * **P(alive) and expected purchases by frequency × time since the last purchase**: the
//!   average over the customers in each cell.
//!
//! Inputs are the engine's (purchases, summaries, values); money in the output is in major
//! units of the shop's currency. Guest orders are not in the purchases, so they are not in
//! these figures.

use chrono::{Datelike as _, NaiveDate};

use super::segments::{Rfm, Segment};
use super::summary::{CustomerSummary, Purchase};
use super::value::CustomerValue;

/// Cohorts shown at most (the most recent ones).
pub const MAX_COHORTS: usize = 24;
/// Bins of the lifetime-value histogram.
pub const HISTOGRAM_BINS: usize = 30;
/// Frequency rows of the matrices: 0, 1, …, `FREQUENCY_ROWS − 2`, and "that many or more".
pub const FREQUENCY_ROWS: usize = 8;
/// Column edges of the matrices, in weeks since the last purchase.
pub const WEEKS_SINCE_EDGES: [f64; 6] = [4.0, 8.0, 13.0, 26.0, 52.0, 104.0];

/// A calendar month, as `YYYY-MM`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct Month {
    /// Year.
    pub year: i32,
    /// Month 1–12.
    pub month: u32,
}

impl Month {
    /// The month a day falls in.
    pub fn of(day: NaiveDate) -> Month {
        Month {
            year: day.year(),
            month: day.month(),
        }
    }

    /// Months from `self` to `later` (0 for the same month).
    pub fn months_until(self, later: Month) -> i64 {
        i64::from(later.year - self.year) * 12 + i64::from(later.month) - i64::from(self.month)
    }

    /// "Mar 2025".
    pub fn label(self) -> String {
        NaiveDate::from_ymd_opt(self.year, self.month, 1)
            .map_or_else(String::new, |d| d.format("%b %Y").to_string())
    }
}

/// One cohort: the customers whose first purchase fell in `month`.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Cohort {
    /// First-purchase month.
    pub month: Option<Month>,
    /// Customers in the cohort.
    pub customers: u64,
    /// For k = 0, 1, …: the share (0–1) of the cohort who bought in month k after their
    /// first; only months up to the observation end.
    #[serde(deserialize_with = "crate::domain::json::numbers")]
    pub retention: Vec<f64>,
    /// For k = 0, 1, …: revenue per cohort customer up to and including month k.
    #[serde(deserialize_with = "crate::domain::json::numbers")]
    pub cumulative_value: Vec<f64>,
}

/// Revenue of one month, by new and returning customers.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MonthRevenue {
    /// The month.
    pub month: Month,
    /// First purchases.
    #[serde(deserialize_with = "crate::domain::json::number")]
    pub new: f64,
    /// Later purchases.
    #[serde(deserialize_with = "crate::domain::json::number")]
    pub returning: f64,
}

/// A histogram with its bin edges.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Histogram {
    /// Bin edges, one more than the counts; the last bin also holds everything above it.
    #[serde(deserialize_with = "crate::domain::json::numbers")]
    pub edges: Vec<f64>,
    /// Customers per bin.
    pub counts: Vec<u64>,
}

/// The lifetime values of the valued customers.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ValueDistribution {
    /// Equal-width bins from 0 to the 99th percentile (the last bin holds the rest).
    pub linear: Histogram,
    /// Bins equal on a logarithmic scale, over the positive values.
    pub logarithmic: Histogram,
    /// The median value.
    #[serde(deserialize_with = "crate::domain::json::number")]
    pub median: f64,
    /// The value above which the top 20% of customers are.
    #[serde(deserialize_with = "crate::domain::json::number")]
    pub top20_threshold: f64,
    /// Customers with a value of zero (not in the logarithmic bins).
    pub zero: u64,
}

/// A frequency × weeks-since-last-purchase table of averages.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Matrix {
    /// Rows (frequency 0, 1, …, the last "or more") × columns (see [`WEEKS_SINCE_EDGES`]):
    /// the average, `None` for an empty cell.
    pub values: Vec<Vec<Option<f64>>>,
    /// Customers per cell.
    pub counts: Vec<Vec<u64>>,
}

/// Everything the value charts draw.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Insights {
    /// Cohorts, oldest first.
    pub cohorts: Vec<Cohort>,
    /// Revenue per month, oldest first.
    pub revenue_by_month: Vec<MonthRevenue>,
    /// (share of customers, share of revenue) from the top, 0 to 1 in 1% steps.
    pub pareto: Vec<(f64, f64)>,
    /// Share of revenue from the top 20% of customers.
    #[serde(deserialize_with = "crate::domain::json::number")]
    pub top20_revenue_share: f64,
    /// Lifetime values.
    pub values: ValueDistribution,
    /// Average P(alive) per cell.
    pub p_alive: Matrix,
    /// Average expected purchases over the horizon per cell.
    pub expected_purchases: Matrix,
    /// Valuable customers slipping away: among the top 20% by revenue so far, those whose
    /// chance of still being active is below [`AT_RISK_P_ALIVE`].
    pub at_risk: AtRisk,
    /// Customers, revenue so far and expected value per RFM segment, best segment first.
    pub by_segment: Vec<GroupValue>,
    /// The same per channel (or platform) of the first purchase, most valuable first.
    pub by_channel: Vec<GroupValue>,
    /// The same per discount code of the first purchase ("No code" included), largest first.
    pub by_first_code: Vec<GroupValue>,
}

/// Name of the group of customers whose first purchase used no discount code.
pub const NO_CODE: &str = "No code";
/// Codes shown one by one; the rest are "Other codes".
pub const MAX_CODES: usize = 12;

/// What one group of customers (a segment, a channel, a first discount code) is worth.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GroupValue {
    /// The group's name.
    pub segment: String,
    /// Customers in it.
    pub customers: u64,
    /// What they spent so far (major units).
    #[serde(deserialize_with = "crate::domain::json::number")]
    pub revenue: f64,
    /// What they are expected to bring over the horizon (major units).
    #[serde(deserialize_with = "crate::domain::json::number")]
    pub clv: f64,
}

/// Below this P(alive) a valuable customer counts as slipping away.
pub const AT_RISK_P_ALIVE: f64 = 0.5;

/// The valuable customers at risk of being lost.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AtRisk {
    /// How many.
    pub customers: u64,
    /// What they have spent so far (major units).
    #[serde(deserialize_with = "crate::domain::json::number")]
    pub revenue: f64,
    /// What they are still expected to bring over the horizon (major units).
    #[serde(deserialize_with = "crate::domain::json::number")]
    pub clv: f64,
    /// The spending (major units) that puts a customer among the best fifth: the customers
    /// list flags the same people with it. `None` in runs made before it was recorded.
    #[serde(default)]
    pub revenue_cut: Option<f64>,
}

/// [`AtRisk`] of the customers: the top 20% by revenue (ties included) with P(alive) below
/// [`AT_RISK_P_ALIVE`]. Without P(alive) (the simple formulas) nobody is counted.
pub fn at_risk(summaries: &[CustomerSummary], values: &[CustomerValue], revenue: &[f64]) -> AtRisk {
    let mut acquired: Vec<f64> = summaries
        .iter()
        .zip(revenue)
        .filter(|(s, _)| s.is_acquired())
        .map(|(_, r)| *r)
        .collect();
    if acquired.is_empty() {
        return AtRisk::default();
    }
    acquired.sort_unstable_by(|a, b| b.total_cmp(a));
    let cut =
        acquired[((acquired.len() as f64 * 0.2).ceil() as usize).clamp(1, acquired.len()) - 1];
    let mut out = AtRisk {
        revenue_cut: Some(cut),
        ..AtRisk::default()
    };
    for ((s, v), r) in summaries.iter().zip(values).zip(revenue) {
        if s.is_acquired() && *r >= cut && v.p_alive.is_finite() && v.p_alive < AT_RISK_P_ALIVE {
            out.customers += 1;
            out.revenue += r;
            out.clv += v.clv;
        }
    }
    out
}

/// What [`insights`] reads; every slice is per customer index except `purchases`.
#[derive(Clone, Copy, Debug)]
pub struct InsightsInput<'a> {
    /// The purchases (money in minor units).
    pub purchases: &'a [Purchase],
    /// The customers' summaries at `end`.
    pub summaries: &'a [CustomerSummary],
    /// Their values.
    pub values: &'a [CustomerValue],
    /// Their RFM segments.
    pub segments: &'a [Option<Rfm>],
    /// The channel (or platform) of their first purchase.
    pub channels: &'a [&'a str],
    /// The discount code of their first purchase.
    pub first_codes: &'a [Option<&'a str>],
    /// The observation end.
    pub end: NaiveDate,
    /// Minor units per major unit.
    pub minor_per_major: f64,
}

/// The figures for the charts.
pub fn insights(input: &InsightsInput<'_>) -> Insights {
    let InsightsInput {
        purchases,
        summaries,
        values,
        segments,
        channels,
        first_codes,
        end,
        minor_per_major,
    } = *input;
    let revenue: Vec<f64> = summaries
        .iter()
        .map(|s| s.revenue_cents as f64 / minor_per_major)
        .collect();
    let (pareto, top20_revenue_share) = pareto_curve(summaries, &revenue);
    let clv: Vec<f64> = summaries
        .iter()
        .zip(values)
        .filter(|(s, _)| s.is_acquired())
        .map(|(_, v)| v.clv)
        .filter(|v| v.is_finite())
        .collect();
    let (p_alive, expected_purchases) = matrices(summaries, values, end);
    let at_risk = at_risk(summaries, values, &revenue);
    let by_segment = by_segment(segments, values, &revenue);
    let by_channel = by_channel(summaries, channels, values, &revenue);
    let by_first_code = by_first_code(summaries, first_codes, values, &revenue);
    Insights {
        cohorts: cohorts(purchases, summaries, end, minor_per_major),
        revenue_by_month: revenue_by_month(purchases, summaries, end, minor_per_major),
        pareto,
        top20_revenue_share,
        values: value_distribution(&clv),
        p_alive,
        expected_purchases,
        at_risk,
        by_segment,
        by_channel,
        by_first_code,
    }
}

/// Customers, revenue and expected value per label (customers without a label are left
/// out), in the order the labels first appear.
pub fn group_values<'a>(
    labels: impl Iterator<Item = Option<&'a str>>,
    values: &[CustomerValue],
    revenue: &[f64],
) -> Vec<GroupValue> {
    let mut groups: Vec<GroupValue> = Vec::new();
    let mut index: rustc_hash::FxHashMap<&'a str, usize> = Default::default();
    for ((label, value), revenue) in labels.zip(values).zip(revenue) {
        let Some(label) = label else {
            continue;
        };
        let at = *index.entry(label).or_insert_with(|| {
            groups.push(GroupValue {
                segment: label.to_owned(),
                ..GroupValue::default()
            });
            groups.len() - 1
        });
        let group = &mut groups[at];
        group.customers += 1;
        group.revenue += revenue;
        if value.clv.is_finite() {
            group.clv += value.clv;
        }
    }
    groups
}

/// [`GroupValue`] per segment that has customers, best segment first.
pub fn by_segment(
    segments: &[Option<Rfm>],
    values: &[CustomerValue],
    revenue: &[f64],
) -> Vec<GroupValue> {
    let mut groups = group_values(
        segments.iter().map(|r| r.map(|r| r.segment.label())),
        values,
        revenue,
    );
    groups.sort_by_key(|g| Segment::from_label(&g.segment));
    groups
}

/// [`GroupValue`] per first-purchase channel, most expected value first.
pub fn by_channel(
    summaries: &[CustomerSummary],
    channels: &[&str],
    values: &[CustomerValue],
    revenue: &[f64],
) -> Vec<GroupValue> {
    let labels = summaries.iter().zip(channels).map(|(s, c)| {
        s.is_acquired()
            .then_some(if c.is_empty() { "Unknown" } else { c })
    });
    let mut groups = group_values(labels, values, revenue);
    groups.sort_by(|a, b| b.clv.total_cmp(&a.clv));
    groups
}

/// [`GroupValue`] per first-purchase discount code ([`NO_CODE`] for none), the
/// [`MAX_CODES`] most used first and the rest together as "Other codes".
pub fn by_first_code(
    summaries: &[CustomerSummary],
    codes: &[Option<&str>],
    values: &[CustomerValue],
    revenue: &[f64],
) -> Vec<GroupValue> {
    let labels = summaries
        .iter()
        .zip(codes)
        .map(|(s, c)| s.is_acquired().then_some(c.unwrap_or(NO_CODE)));
    let mut groups = group_values(labels, values, revenue);
    groups.sort_by(|a, b| {
        b.customers
            .cmp(&a.customers)
            .then(a.segment.cmp(&b.segment))
    });
    let (mut kept, mut rest): (Vec<GroupValue>, Vec<GroupValue>) = (Vec::new(), Vec::new());
    for group in groups {
        if group.segment == NO_CODE || kept.len() < MAX_CODES {
            kept.push(group);
        } else {
            rest.push(group);
        }
    }
    if !rest.is_empty() {
        kept.push(GroupValue {
            segment: "Other codes".to_owned(),
            customers: rest.iter().map(|g| g.customers).sum(),
            revenue: rest.iter().map(|g| g.revenue).sum(),
            clv: rest.iter().map(|g| g.clv).sum(),
        });
    }
    kept
}

/// Cohorts by first-purchase month (the last [`MAX_COHORTS`]).
pub fn cohorts(
    purchases: &[Purchase],
    summaries: &[CustomerSummary],
    end: NaiveDate,
    minor_per_major: f64,
) -> Vec<Cohort> {
    let last = Month::of(end);
    let mut months: Vec<Month> = summaries
        .iter()
        .filter_map(|s| s.first_day.map(Month::of))
        .collect();
    months.sort_unstable();
    months.dedup();
    let keep_from = months.len().saturating_sub(MAX_COHORTS);
    let months = &months[keep_from..];
    let index_of = |m: Month| months.binary_search(&m).ok();
    let mut out: Vec<Cohort> = months
        .iter()
        .map(|m| {
            let span = (m.months_until(last) + 1).max(1) as usize;
            Cohort {
                month: Some(*m),
                customers: 0,
                retention: vec![0.0; span],
                cumulative_value: vec![0.0; span],
            }
        })
        .collect();
    for s in summaries {
        if let Some(i) = s.first_day.and_then(|d| index_of(Month::of(d))) {
            out[i].customers += 1;
        }
    }
    // Per customer and month since, whether they bought (counted once) and what they spent.
    let mut bought: rustc_hash::FxHashSet<(usize, usize)> = Default::default();
    for p in purchases.iter().filter(|p| p.day <= end) {
        let Some(first) = summaries.get(p.customer).and_then(|s| s.first_day) else {
            continue;
        };
        let Some(i) = index_of(Month::of(first)) else {
            continue;
        };
        let k = Month::of(first).months_until(Month::of(p.day));
        let Ok(k) = usize::try_from(k) else {
            continue;
        };
        if k >= out[i].retention.len() {
            continue;
        }
        out[i].cumulative_value[k] += p.value_cents as f64 / minor_per_major;
        if bought.insert((p.customer, k)) {
            out[i].retention[k] += 1.0;
        }
    }
    for cohort in &mut out {
        let n = cohort.customers.max(1) as f64;
        let mut running = 0.0;
        for (share, value) in cohort
            .retention
            .iter_mut()
            .zip(&mut cohort.cumulative_value)
        {
            *share /= n;
            running += *value / n;
            *value = running;
        }
    }
    out
}

/// Revenue per month: a customer's first purchase day counts as new, later ones as
/// returning.
pub fn revenue_by_month(
    purchases: &[Purchase],
    summaries: &[CustomerSummary],
    end: NaiveDate,
    minor_per_major: f64,
) -> Vec<MonthRevenue> {
    let mut by_month: std::collections::BTreeMap<Month, (f64, f64)> = Default::default();
    for p in purchases.iter().filter(|p| p.day <= end) {
        let first = summaries.get(p.customer).and_then(|s| s.first_day);
        let entry = by_month.entry(Month::of(p.day)).or_default();
        let value = p.value_cents as f64 / minor_per_major;
        if first == Some(p.day) {
            entry.0 += value;
        } else {
            entry.1 += value;
        }
    }
    by_month
        .into_iter()
        .map(|(month, (new, returning))| MonthRevenue {
            month,
            new,
            returning,
        })
        .collect()
}

/// The Pareto curve in 1% steps of customers (acquired ones, by revenue, largest first)
/// and the revenue share of the top 20%.
pub fn pareto_curve(summaries: &[CustomerSummary], revenue: &[f64]) -> (Vec<(f64, f64)>, f64) {
    let mut sorted: Vec<f64> = summaries
        .iter()
        .zip(revenue)
        .filter(|(s, _)| s.is_acquired())
        .map(|(_, r)| r.max(0.0))
        .collect();
    sorted.sort_unstable_by(|a, b| b.total_cmp(a));
    let total: f64 = sorted.iter().sum();
    if sorted.is_empty() || total <= 0.0 {
        return (Vec::new(), 0.0);
    }
    let n = sorted.len();
    let mut prefix = Vec::with_capacity(n + 1);
    prefix.push(0.0);
    for r in &sorted {
        let last = prefix.last().copied().unwrap_or(0.0);
        prefix.push(last + r);
    }
    // Share of revenue of the top `fraction` of customers, interpolating within a customer.
    let share = |fraction: f64| {
        let position = fraction * n as f64;
        let whole = (position.floor() as usize).min(n);
        let part = if whole < n {
            (position - whole as f64) * sorted[whole]
        } else {
            0.0
        };
        (prefix[whole] + part) / total
    };
    let curve = (0..=100)
        .map(|p| {
            let fraction = f64::from(p) / 100.0;
            (fraction, share(fraction))
        })
        .collect();
    (curve, share(0.2))
}

/// The distribution of `values` (finite, ≥ 0 expected).
pub fn value_distribution(values: &[f64]) -> ValueDistribution {
    let mut sorted: Vec<f64> = values.iter().map(|v| v.max(0.0)).collect();
    sorted.sort_unstable_by(f64::total_cmp);
    if sorted.is_empty() {
        return ValueDistribution::default();
    }
    let quantile = |q: f64| {
        let position = q * (sorted.len() - 1) as f64;
        let low = position.floor() as usize;
        let high = position.ceil() as usize;
        sorted[low] + (sorted[high] - sorted[low]) * (position - low as f64)
    };
    let top = quantile(0.99).max(f64::MIN_POSITIVE);
    let width = top / HISTOGRAM_BINS as f64;
    let linear_edges: Vec<f64> = (0..=HISTOGRAM_BINS).map(|i| i as f64 * width).collect();
    let mut linear = vec![0u64; HISTOGRAM_BINS];
    for v in &sorted {
        let bin = ((v / width) as usize).min(HISTOGRAM_BINS - 1);
        linear[bin] += 1;
    }
    let positive: Vec<f64> = sorted.iter().copied().filter(|v| *v > 0.0).collect();
    let logarithmic = match (positive.first(), positive.last()) {
        (Some(low), Some(high)) if high > low => {
            let (a, b) = (low.log10(), high.log10());
            let step = (b - a) / HISTOGRAM_BINS as f64;
            let edges: Vec<f64> = (0..=HISTOGRAM_BINS)
                .map(|i| 10f64.powf(a + i as f64 * step))
                .collect();
            let mut counts = vec![0u64; HISTOGRAM_BINS];
            for v in &positive {
                let bin = (((v.log10() - a) / step) as usize).min(HISTOGRAM_BINS - 1);
                counts[bin] += 1;
            }
            Histogram { edges, counts }
        }
        (Some(only), Some(_)) => Histogram {
            edges: vec![*only, *only],
            counts: vec![positive.len() as u64],
        },
        _ => Histogram::default(),
    };
    ValueDistribution {
        linear: Histogram {
            edges: linear_edges,
            counts: linear,
        },
        logarithmic,
        median: quantile(0.5),
        top20_threshold: quantile(0.8),
        zero: (sorted.len() - positive.len()) as u64,
    }
}

/// The row of a frequency and the column of weeks since the last purchase.
fn cell(frequency: u32, weeks_since: f64) -> (usize, usize) {
    let row = (frequency as usize).min(FREQUENCY_ROWS - 1);
    let column = WEEKS_SINCE_EDGES
        .iter()
        .position(|edge| weeks_since < *edge)
        .unwrap_or(WEEKS_SINCE_EDGES.len());
    (row, column)
}

/// Average P(alive) and expected purchases per frequency × weeks-since-last-purchase cell.
pub fn matrices(
    summaries: &[CustomerSummary],
    values: &[CustomerValue],
    end: NaiveDate,
) -> (Matrix, Matrix) {
    let columns = WEEKS_SINCE_EDGES.len() + 1;
    let mut counts = vec![vec![0u64; columns]; FREQUENCY_ROWS];
    let mut alive = vec![vec![0.0; columns]; FREQUENCY_ROWS];
    let mut expected = vec![vec![0.0; columns]; FREQUENCY_ROWS];
    for (s, v) in summaries.iter().zip(values) {
        let Some(last) = s.last_day else {
            continue;
        };
        if !(v.p_alive.is_finite() && v.expected_purchases.is_finite()) {
            continue;
        }
        let weeks = (end - last).num_days() as f64 / 7.0;
        let (row, column) = cell(s.frequency, weeks);
        counts[row][column] += 1;
        alive[row][column] += v.p_alive;
        expected[row][column] += v.expected_purchases;
    }
    let average = |sums: Vec<Vec<f64>>| Matrix {
        values: sums
            .iter()
            .zip(&counts)
            .map(|(row, n)| {
                row.iter()
                    .zip(n)
                    .map(|(sum, n)| (*n > 0).then(|| sum / *n as f64))
                    .collect()
            })
            .collect(),
        counts: counts.clone(),
    };
    (average(alive), average(expected))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clv::summary::summarise;

    fn d(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn p(customer: usize, day: &str, cents: i64) -> Purchase {
        Purchase {
            customer,
            day: d(day),
            value_cents: cents,
        }
    }

    /// A: Jan (10), Feb (20), Apr (30). B: Jan (40). C: Feb (50), Mar (5). End 30 Apr.
    fn shop() -> (Vec<Purchase>, Vec<CustomerSummary>, NaiveDate) {
        let purchases = vec![
            p(0, "2025-01-05", 1000),
            p(0, "2025-02-10", 2000),
            p(0, "2025-04-01", 3000),
            p(1, "2025-01-20", 4000),
            p(2, "2025-02-03", 5000),
            p(2, "2025-03-03", 500),
        ];
        let end = d("2025-04-30");
        let summaries = summarise(&purchases, 3, end);
        (purchases, summaries, end)
    }

    #[test]
    fn cohort_triangle_and_ltv_curves_by_hand() {
        let (purchases, summaries, end) = shop();
        let cohorts = cohorts(&purchases, &summaries, end, 100.0);
        assert_eq!(cohorts.len(), 2);
        let jan = &cohorts[0];
        assert_eq!(
            jan.month,
            Some(Month {
                year: 2025,
                month: 1
            })
        );
        assert_eq!(jan.customers, 2);
        // Months 0..3 (Jan..Apr): both bought in Jan, A in Feb, nobody in Mar, A in Apr.
        assert_eq!(jan.retention, vec![1.0, 0.5, 0.0, 0.5]);
        // Revenue per customer: (10+40)/2, +20/2, +0, +30/2.
        assert_eq!(jan.cumulative_value, vec![25.0, 35.0, 35.0, 50.0]);
        let feb = &cohorts[1];
        assert_eq!(feb.customers, 1);
        assert_eq!(feb.retention, vec![1.0, 1.0, 0.0]);
        assert_eq!(feb.cumulative_value, vec![50.0, 55.0, 55.0]);
    }

    #[test]
    fn new_and_returning_revenue_by_month_by_hand() {
        let (purchases, summaries, end) = shop();
        let months = revenue_by_month(&purchases, &summaries, end, 100.0);
        let as_tuples: Vec<(u32, f64, f64)> = months
            .iter()
            .map(|m| (m.month.month, m.new, m.returning))
            .collect();
        assert_eq!(
            as_tuples,
            vec![
                (1, 50.0, 0.0),
                (2, 50.0, 20.0),
                (3, 0.0, 5.0),
                (4, 0.0, 30.0)
            ]
        );
    }

    #[test]
    fn pareto_curve_and_top_share_by_hand() {
        // Five customers: 50, 20, 15, 10, 5 → the top 20% (one customer) bring 50%.
        let purchases: Vec<Purchase> = [5000, 2000, 1500, 1000, 500]
            .iter()
            .enumerate()
            .map(|(i, c)| p(i, "2025-01-01", *c))
            .collect();
        let summaries = summarise(&purchases, 5, d("2025-02-01"));
        let revenue: Vec<f64> = summaries
            .iter()
            .map(|s| s.revenue_cents as f64 / 100.0)
            .collect();
        let (curve, top20) = pareto_curve(&summaries, &revenue);
        assert!((top20 - 0.5).abs() < 1e-12);
        assert_eq!(curve.len(), 101);
        assert_eq!(curve[0], (0.0, 0.0));
        assert!((curve[100].1 - 1.0).abs() < 1e-12);
        assert!((curve[40].1 - 0.7).abs() < 1e-12, "{:?}", curve[40]);
        // Halfway through the third customer: 50 + 20 + 7.5.
        assert!((curve[50].1 - 0.775).abs() < 1e-12, "{:?}", curve[50]);
    }

    #[test]
    fn value_distribution_marks_median_and_top_fifth() {
        let values: Vec<f64> = (0..=100).map(f64::from).collect();
        let dist = value_distribution(&values);
        assert_eq!(dist.median, 50.0);
        assert_eq!(dist.top20_threshold, 80.0);
        assert_eq!(dist.zero, 1);
        assert_eq!(dist.linear.counts.iter().sum::<u64>(), 101);
        assert_eq!(dist.logarithmic.counts.iter().sum::<u64>(), 100);
        assert_eq!(dist.linear.edges.len(), HISTOGRAM_BINS + 1);
        assert!(value_distribution(&[]).linear.counts.is_empty());
    }

    #[test]
    fn valuable_customers_slipping_away_by_hand() {
        let (_, summaries, _) = shop();
        // Revenue so far: A 60, B 40, C 55 → the top 20% (one customer) is A.
        let revenue: Vec<f64> = summaries
            .iter()
            .map(|s| s.revenue_cents as f64 / 100.0)
            .collect();
        let value = |p_alive: f64| CustomerValue {
            p_alive,
            clv: 7.0,
            ..CustomerValue::default()
        };
        let risk = at_risk(&summaries, &[value(0.3), value(0.1), value(0.9)], &revenue);
        assert_eq!(risk.customers, 1);
        assert_eq!(risk.revenue, 60.0);
        assert_eq!(risk.clv, 7.0);
        assert_eq!(
            risk.revenue_cut,
            Some(60.0),
            "the best fifth starts at A's 60"
        );
        let safe = at_risk(&summaries, &[value(0.8), value(0.1), value(0.1)], &revenue);
        assert_eq!(
            safe,
            AtRisk {
                revenue_cut: Some(60.0),
                ..AtRisk::default()
            },
            "B and C are not among the most valuable"
        );
    }

    #[test]
    fn value_by_segment_adds_up_each_group() {
        use crate::clv::segments::Rfm;
        let rfm = |segment| {
            Some(Rfm {
                r: 3,
                f: 3,
                m: 3,
                segment,
            })
        };
        let segments = [
            rfm(Segment::Champions),
            None,
            rfm(Segment::Lost),
            rfm(Segment::Champions),
        ];
        let values: Vec<CustomerValue> = [10.0, 0.0, 1.0, 30.0]
            .iter()
            .map(|clv| CustomerValue {
                clv: *clv,
                ..CustomerValue::default()
            })
            .collect();
        let groups = by_segment(&segments, &values, &[100.0, 5.0, 20.0, 300.0]);
        assert_eq!(groups.len(), 2, "only segments with customers, best first");
        assert_eq!(groups[0].segment, "Champions");
        assert_eq!(
            (groups[0].customers, groups[0].revenue, groups[0].clv),
            (2, 400.0, 40.0)
        );
        assert_eq!(groups[1].segment, "Lost");
        assert_eq!(
            (groups[1].customers, groups[1].revenue, groups[1].clv),
            (1, 20.0, 1.0)
        );
    }

    #[test]
    fn value_by_first_channel_and_code_by_hand() {
        let (_, summaries, _) = shop();
        let values: Vec<CustomerValue> = [10.0, 20.0, 30.0]
            .iter()
            .map(|clv| CustomerValue {
                clv: *clv,
                ..CustomerValue::default()
            })
            .collect();
        let revenue = [60.0, 40.0, 55.0];
        let channels = by_channel(&summaries, &["web", "pos", "web"], &values, &revenue);
        assert_eq!(channels[0].segment, "web");
        assert_eq!((channels[0].customers, channels[0].clv), (2, 40.0));
        assert_eq!(
            (channels[1].segment.as_str(), channels[1].clv),
            ("pos", 20.0)
        );
        let codes = by_first_code(
            &summaries,
            &[Some("WELCOME10"), None, None],
            &values,
            &revenue,
        );
        assert_eq!(codes[0].segment, NO_CODE);
        assert_eq!((codes[0].customers, codes[0].revenue), (2, 95.0));
        assert_eq!(
            (codes[1].segment.as_str(), codes[1].clv),
            ("WELCOME10", 10.0)
        );
    }

    #[test]
    fn matrices_average_each_cell() {
        let (_, summaries, end) = shop();
        let values = [
            CustomerValue {
                p_alive: 0.9,
                expected_purchases: 2.0,
                ..CustomerValue::default()
            },
            CustomerValue {
                p_alive: 0.2,
                expected_purchases: 0.5,
                ..CustomerValue::default()
            },
            CustomerValue {
                p_alive: 0.6,
                expected_purchases: 1.0,
                ..CustomerValue::default()
            },
        ];
        let (alive, expected) = matrices(&summaries, &values, end);
        // A: x = 2, last 1 Apr (4.1 weeks → column 1). B: x = 0, last 20 Jan (14.4 weeks →
        // column 3). C: x = 1, last 3 Mar (8.3 weeks → column 2).
        assert_eq!(alive.values[2][1], Some(0.9));
        assert_eq!(alive.values[0][3], Some(0.2));
        assert_eq!(expected.values[1][2], Some(1.0));
        assert_eq!(alive.counts.iter().flatten().sum::<u64>(), 3);
        assert_eq!(alive.values[5][5], None);
    }
}
