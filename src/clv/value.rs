//! What a customer is worth: probability still active, expected purchases and spend, and
//! discounted lifetime value over the owner's horizon, with an 80% range.
//!
//! CLV over H months with monthly discount rate d and margin m:
//!   CLV = m · E[spend per purchase] · Σ_{k=1..H} (E[Y(k)] − E[Y(k−1)]) / (1+d)^k,
//! where E[Y(k)] is the expected number of purchases in the k months after the observation
//! end (the purchase model) and E[spend] comes from Gamma-Gamma.
//!
//! **The range** reflects parameter uncertainty (how well the data pins the models down),
//! by the delta method: with θ the purchase model's log-parameters and φ Gamma-Gamma's, and
//! their covariances Σθ, Σφ from the inverse Hessians (the fits are independent),
//!   Var(ln CLV) ≈ ∇θ ln V ᵀ Σθ ∇θ ln V + ∇φ ln S ᵀ Σφ ∇φ ln S,
//! and the 80% range is CLV · exp(± 1.2816 · sd). ∇θ ln V is taken by central differences,
//! ∇φ ln S analytically. Working on the log scale keeps the range positive and skewed like
//! the value itself. Its coverage is checked by simulation in `tests/clv_engine.rs`: over
//! repeated simulated shops, ~80% of ranges contain the value computed with the true
//! parameters. It does not include the randomness of the customer's own future purchases
//! (no range can: one customer buys or does not).
//!
//! Purchase-model work depends only on a customer's (x, tₓ, T), so it is computed once per
//! distinct triple; 200,000 customers share a few thousand triples.

use rustc_hash::FxHashMap as HashMap;

use super::fit::{PurchaseFit, SpendFit};
use super::purchase::PurchaseModel;
use super::spend;
use super::summary::{CustomerSummary, KeyedTriples, Period, Triple, distinct_triples};

/// z such that P(−z < Z < z) = 0.8 for a standard normal Z.
pub const Z_80: f64 = 1.281_551_565_544_600_5;

/// The owner's economics for valuing customers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ValueSettings {
    /// Months ahead (a fraction allowed: `--horizon-weeks 26` is 5.98 months).
    pub horizon_months: f64,
    /// Monthly discount rate as a fraction (0.01 = 1%).
    pub monthly_discount: f64,
    /// Gross margin as a fraction (0.3 = 30%).
    pub margin: f64,
    /// The model time unit.
    pub period: Period,
}

/// One customer's valuation. Money in major currency units.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CustomerValue {
    /// Probability the customer is still active.
    pub p_alive: f64,
    /// Expected purchases over the horizon.
    pub expected_purchases: f64,
    /// Expected spend per purchase.
    pub expected_spend: f64,
    /// Discounted margin over the horizon.
    pub clv: f64,
    /// Lower end of the 80% range (NaN when no range could be computed).
    pub clv_low: f64,
    /// Upper end of the 80% range.
    pub clv_high: f64,
}

/// What the purchase model says about one (x, tₓ, T): P(alive), undiscounted expected
/// purchases over the horizon, the discounted sum V, and the variance of ln V.
#[derive(Clone, Copy, Debug)]
struct TripleValue {
    p_alive: f64,
    expected: f64,
    discounted: f64,
    ln_variance: f64,
}

/// The ends of the monthly steps of a horizon: 1, 2, …, ⌊H⌋, then H itself when it is not
/// a whole number of months. Cash flows of a step are discounted at its end.
pub fn month_steps(horizon_months: f64) -> Vec<f64> {
    if !(horizon_months.is_finite() && horizon_months > 0.0) {
        return Vec::new();
    }
    let whole = horizon_months.floor();
    let mut steps: Vec<f64> = (1..=whole as u32).map(f64::from).collect();
    if horizon_months - whole > 1e-9 {
        steps.push(horizon_months);
    }
    steps
}

/// The horizon as the valuation walks it: step ends in model periods and their discount
/// factors 1/(1+d)^k.
struct Horizon {
    ends: Vec<f64>,
    discounts: Vec<f64>,
}

impl Horizon {
    fn new(settings: &ValueSettings) -> Horizon {
        let months = month_steps(settings.horizon_months);
        Horizon {
            ends: months
                .iter()
                .map(|k| k * settings.period.per_month())
                .collect(),
            discounts: months
                .iter()
                .map(|k| (1.0 + settings.monthly_discount).powf(-k))
                .collect(),
        }
    }
}

/// Step in log-parameters for the forward differences of the range's gradient. The range
/// needs the gradient to a few digits; O(h) truncation is 10⁻⁵ relative.
const LN_STEP: f64 = 1e-5;

/// W = Σ_k (G(k) − G(k−1)) / (1+d)^k and the undiscounted G(H), with G the expected
/// purchases of a customer of frequency x and age T if still active
/// ([`PurchaseModel::expected_purchases_if_alive`]).
fn discounted_if_alive(
    model: PurchaseModel,
    params: &[f64; 4],
    x: f64,
    t: f64,
    horizon: &Horizon,
) -> (f64, f64) {
    let mut previous = 0.0;
    let mut discounted = 0.0;
    for (end, discount) in horizon.ends.iter().zip(&horizon.discounts) {
        let cumulative = model.expected_purchases_if_alive(params, x, t, *end);
        discounted += (cumulative - previous) * discount;
        previous = cumulative;
    }
    (discounted, previous)
}

/// The part of a value shared by every customer of frequency x and age T: W, G(H) and,
/// when the fit has a covariance, ∂ ln W / ∂ ln θ.
#[derive(Clone, Copy, Debug)]
struct AgeValue {
    discounted: f64,
    expected: f64,
    ln_gradient: Option<[f64; 4]>,
}

fn age_value(fit: &PurchaseFit, x: f64, t: f64, horizon: &Horizon) -> AgeValue {
    let (discounted, expected) = discounted_if_alive(fit.model, &fit.params, x, t, horizon);
    let ln_gradient = (fit.covariance.is_some() && discounted > 0.0).then(|| {
        let mut gradient = [0.0; 4];
        for (i, g) in gradient.iter_mut().enumerate() {
            let mut moved = fit.params;
            moved[i] *= LN_STEP.exp();
            let (up, _) = discounted_if_alive(fit.model, &moved, x, t, horizon);
            *g = (up.ln() - discounted.ln()) / LN_STEP;
        }
        gradient
    });
    AgeValue {
        discounted,
        expected,
        ln_gradient,
    }
}

/// A customer's value: V = P(alive | x, tₓ, T) · W(x, T); ln V's gradient is the sum of
/// ln P's (forward differences: `moved_p_alive[i]` is P(alive) with parameter i moved by
/// [`LN_STEP`] on the log scale) and ln W's.
fn triple_value(
    fit: &PurchaseFit,
    age: &AgeValue,
    p_alive: f64,
    moved_p_alive: Option<[f64; 4]>,
) -> TripleValue {
    let discounted = p_alive * age.discounted;
    let ln_variance = match (&fit.covariance, age.ln_gradient, moved_p_alive) {
        (Some(cov), Some(mut gradient), Some(moved)) if p_alive > 0.0 => {
            for (g, up) in gradient.iter_mut().zip(moved) {
                *g += (up.ln() - p_alive.ln()) / LN_STEP;
            }
            quadratic_form(cov, &gradient)
        }
        _ => f64::NAN,
    };
    TripleValue {
        p_alive,
        expected: p_alive * age.expected,
        discounted,
        ln_variance,
    }
}

fn quadratic_form(m: &[Vec<f64>], v: &[f64]) -> f64 {
    let mut total = 0.0;
    for (i, row) in m.iter().enumerate() {
        for (j, value) in row.iter().enumerate() {
            total += v[i] * value * v[j];
        }
    }
    total
}

/// Expected spend per purchase and the variance of its log, for a history (x, m̄). Without
/// a spend model, or when q ≤ 1 (spend too heavy-tailed for a finite mean), the fallback
/// (the shop's average order value) is used and held fixed.
fn spend_value(fit: Option<&SpendFit>, x: f64, mean: f64, fallback: f64) -> (f64, f64) {
    let Some(fit) = fit else {
        return (fallback, 0.0);
    };
    let [p, q, gamma] = fit.params;
    let denominator = p * x + q - 1.0;
    if denominator <= 0.0 {
        return (fallback, f64::NAN);
    }
    let s = spend::expected_spend(&fit.params, x, mean);
    let variance = match &fit.covariance {
        Some(cov) => {
            let base = gamma + mean * x;
            // d ln S / d ln p, d ln q, d ln γ
            let gradient = [(q - 1.0) / denominator, -q / denominator, gamma / base];
            quadratic_form(cov, &gradient)
        }
        None => f64::NAN,
    };
    (s, variance)
}

/// Values every acquired customer in `summaries` (money in the summaries is in minor units;
/// `minor_per_major` converts). Customers not yet acquired get a default value. Without a
/// spend model every customer's spend is `fallback_spend`.
///
/// The purchase side depends on a customer's (x, tₓ, T) only, so it is computed once per
/// distinct triple (in parallel over ranges of them, in a large shop), and each customer
/// then combines their triple's with their own spend.
pub fn value_customers(
    purchase: &PurchaseFit,
    spend: Option<&SpendFit>,
    summaries: &[CustomerSummary],
    settings: &ValueSettings,
    minor_per_major: f64,
    fallback_spend: f64,
) -> Vec<CustomerValue> {
    let keyed = distinct_triples(summaries, settings.period);
    value_customers_keyed(
        purchase,
        spend,
        summaries,
        &keyed,
        settings,
        minor_per_major,
        fallback_spend,
    )
}

/// [`value_customers`] with the customers' triples already grouped: `keyed` is
/// `distinct_triples(summaries, settings.period)`.
pub fn value_customers_keyed(
    purchase: &PurchaseFit,
    spend: Option<&SpendFit>,
    summaries: &[CustomerSummary],
    keyed: &KeyedTriples,
    settings: &ValueSettings,
    minor_per_major: f64,
    fallback_spend: f64,
) -> Vec<CustomerValue> {
    let triple_values = in_parallel(keyed.triples.len(), PARALLEL_TRIPLES, |range| {
        triple_values_part(
            purchase,
            &keyed.keys[range.clone()],
            &keyed.triples[range],
            settings,
        )
    });
    in_parallel(summaries.len(), PARALLEL_CUSTOMERS, |range| {
        summaries[range]
            .iter()
            .map(|s| {
                let Some(index) = keyed.index(s) else {
                    return CustomerValue::default();
                };
                let triple = triple_values[index];
                let x = f64::from(s.frequency);
                let (spend_per_purchase, spend_variance) =
                    spend_value(spend, x, s.monetary_cents / minor_per_major, fallback_spend);
                let clv = settings.margin * spend_per_purchase * triple.discounted;
                let sd = (triple.ln_variance + spend_variance).sqrt();
                let (clv_low, clv_high) = if sd.is_finite() && clv > 0.0 {
                    (clv * (-Z_80 * sd).exp(), clv * (Z_80 * sd).exp())
                } else if clv == 0.0 {
                    (0.0, 0.0)
                } else {
                    (f64::NAN, f64::NAN)
                };
                CustomerValue {
                    p_alive: triple.p_alive,
                    expected_purchases: triple.expected,
                    expected_spend: spend_per_purchase,
                    clv,
                    clv_low,
                    clv_high,
                }
            })
            .collect()
    })
}

/// Distinct triples from which their valuation is split over the cores.
const PARALLEL_TRIPLES: usize = 4096;

/// Customers from which their valuation is split over the cores.
const PARALLEL_CUSTOMERS: usize = 20_000;

/// `part` of every index in `0..len`, in order: on every core, each part a contiguous range,
/// when there are at least `min` (a thread costs tens of microseconds to start).
fn in_parallel<T: Send>(
    len: usize,
    min: usize,
    part: impl Fn(std::ops::Range<usize>) -> Vec<T> + Sync,
) -> Vec<T> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8);
    if len < min || threads == 1 {
        return part(0..len);
    }
    let chunk = len.div_ceil(threads).max(1);
    let part = &part;
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..len)
            .step_by(chunk)
            .map(|start| scope.spawn(move || part(start..(start + chunk).min(len))))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

/// [`triple_value`] of each of `triples` (sorted by x), whose day keys are `keys`.
fn triple_values_part(
    purchase: &PurchaseFit,
    keys: &[(u32, i64, i64)],
    triples: &[Triple],
    settings: &ValueSettings,
) -> Vec<TripleValue> {
    let horizon = Horizon::new(settings);
    let model = purchase.model;
    let alive = model.p_alive_sorted(&purchase.params, triples);
    // P(alive) with each parameter moved, for the range's gradient (batched like `alive`).
    let moved: Option<[Vec<f64>; 4]> = purchase.covariance.as_ref().map(|_| {
        std::array::from_fn(|i| {
            let mut params = purchase.params;
            params[i] *= LN_STEP.exp();
            model.p_alive_sorted(&params, triples)
        })
    });
    // The expected purchases if alive depend on (x, T) only.
    let mut ages: HashMap<(u32, i64), AgeValue> = HashMap::default();
    keys.iter()
        .zip(triples)
        .enumerate()
        .map(|(i, (key, triple))| {
            let age = *ages
                .entry((key.0, key.2))
                .or_insert_with(|| age_value(purchase, triple.x, triple.t, &horizon));
            let moved_p = moved.as_ref().map(|m| std::array::from_fn(|j| m[j][i]));
            triple_value(purchase, &age, alive[i], moved_p)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bg_fit(covariance: Option<Vec<Vec<f64>>>) -> PurchaseFit {
        PurchaseFit {
            model: PurchaseModel::BgNbd,
            params: [0.243, 4.414, 0.793, 2.426],
            log_likelihood: 0.0,
            customers: 1,
            converged: true,
            iterations: 1,
            covariance,
        }
    }

    fn gg_fit() -> SpendFit {
        SpendFit {
            params: [6.25, 3.74, 15.44],
            log_likelihood: 0.0,
            customers: 1,
            converged: true,
            iterations: 1,
            covariance: Some(vec![
                vec![0.01, 0.0, 0.0],
                vec![0.0, 0.01, 0.0],
                vec![0.0, 0.0, 0.01],
            ]),
        }
    }

    fn settings(months: f64, discount: f64) -> ValueSettings {
        ValueSettings {
            horizon_months: months,
            monthly_discount: discount,
            margin: 0.3,
            period: Period::Week,
        }
    }

    fn customer(x: u32, tx_days: i64, t_days: i64, monetary_cents: f64) -> CustomerSummary {
        CustomerSummary {
            frequency: x,
            recency_days: tx_days,
            age_days: t_days,
            monetary_cents,
            revenue_cents: 0,
            purchase_days: x + 1,
            first_day: None,
            last_day: None,
        }
    }

    #[test]
    fn undiscounted_value_is_margin_times_spend_times_expected_purchases() {
        let fit = bg_fit(None);
        let c = customer(2, 213, 272, 2235.0);
        let v = value_customers(
            &fit,
            Some(&gg_fit()),
            &[c],
            &settings(9.0, 0.0),
            100.0,
            35.0,
        )[0];
        assert!((v.clv - 0.3 * v.expected_spend * v.expected_purchases).abs() < 1e-9 * v.clv);
        let direct = PurchaseModel::BgNbd.expected_purchases(
            &fit.params,
            2.0,
            213.0 / 7.0,
            272.0 / 7.0,
            9.0 * 365.25 / 12.0 / 7.0,
        );
        assert!((v.expected_purchases - direct).abs() < 1e-12);
        assert!(v.clv_low.is_nan(), "no purchase covariance, no range");
    }

    #[test]
    fn discounting_lowers_value_and_ranges_bracket_it() {
        let cov = vec![
            vec![0.01, 0.0, 0.0, 0.0],
            vec![0.0, 0.01, 0.0, 0.0],
            vec![0.0, 0.0, 0.02, 0.0],
            vec![0.0, 0.0, 0.0, 0.02],
        ];
        let fit = bg_fit(Some(cov));
        let c = customer(5, 200, 272, 3000.0);
        let plain = value_customers(
            &fit,
            Some(&gg_fit()),
            &[c],
            &settings(24.0, 0.0),
            100.0,
            35.0,
        )[0];
        let discounted = value_customers(
            &fit,
            Some(&gg_fit()),
            &[c],
            &settings(24.0, 0.02),
            100.0,
            35.0,
        )[0];
        assert!(discounted.clv < plain.clv);
        assert!(
            discounted.clv_low < discounted.clv && discounted.clv < discounted.clv_high,
            "{discounted:?}"
        );
        let longer = value_customers(
            &fit,
            Some(&gg_fit()),
            &[c],
            &settings(36.0, 0.02),
            100.0,
            35.0,
        )[0];
        assert!(longer.clv > discounted.clv);
    }

    #[test]
    fn customers_not_yet_acquired_are_worth_nothing_yet() {
        let v = value_customers(
            &bg_fit(None),
            Some(&gg_fit()),
            &[CustomerSummary::default()],
            &settings(12.0, 0.01),
            100.0,
            35.0,
        );
        assert_eq!(v[0].clv, 0.0);
    }
}
