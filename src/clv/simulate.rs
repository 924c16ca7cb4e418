//! Generative versions of the CLV models: customers drawn from the BG/NBD purchase process
//! and the Gamma-Gamma spend process.
//!
//! Used for demo data (a shop whose numbers behave like real ones) and by tests that check
//! a fitted model recovers the parameters it was simulated from. Time is in weeks, money in
//! major currency units (the demo turns them into cents).
//!
//! The process, per customer (Fader, Hardie & Lee 2005, §3):
//! * purchase rate λ ~ Gamma(shape r, rate α); while active, purchases arrive as a Poisson
//!   process with rate λ, so gaps are Exponential(λ);
//! * drop-out probability p ~ Beta(a, b); after every *repeat* purchase the customer becomes
//!   inactive with probability p (the first purchase never ends the relationship, which is
//!   why P(alive) = 1 for x = 0 under BG/NBD);
//! * spend (Fader & Hardie 2013): ν ~ Gamma(shape q, rate γ), each purchase's value
//!   z ~ Gamma(shape p, rate ν), so the customer's mean spend is p/ν.

use rand::{Rng, RngExt as _};
use rand_distr::{Beta, Distribution as _, Exp, Gamma};

/// Which model generates the purchases.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Dropout {
    /// BG/NBD: after each repeat purchase the customer leaves with probability p.
    #[default]
    AfterRepeatPurchases,
    /// MBG/NBD: also right after the first purchase.
    AfterEveryPurchase,
    /// Pareto/NBD: a lifetime ~ Exponential(μ), μ ~ Gamma(s, β); here `a` is s and `b` is β.
    ExponentialLifetime,
}

/// Purchase-process parameters (time unit: weeks): BG/NBD and MBG/NBD use r, α, a, b;
/// Pareto/NBD uses r, α and s = `a`, β = `b`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PurchaseProcess {
    /// Shape of the purchase-rate distribution.
    pub r: f64,
    /// Rate (inverse scale) of the purchase-rate distribution, in weeks.
    pub alpha: f64,
    /// First shape of the drop-out probability distribution.
    pub a: f64,
    /// Second shape of the drop-out probability distribution.
    pub b: f64,
    /// How customers leave.
    pub dropout: Dropout,
}

/// Gamma-Gamma spend parameters (money in major units).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SpendProcess {
    /// Shape of each transaction's value.
    pub p: f64,
    /// Shape of the customer's spend-rate distribution.
    pub q: f64,
    /// Rate of the customer's spend-rate distribution.
    pub gamma: f64,
}

/// One simulated customer's history.
#[derive(Clone, Debug, PartialEq)]
pub struct SimulatedCustomer {
    /// When the first purchase happened, in weeks from the start of the simulated history.
    pub first_purchase_week: f64,
    /// Purchase times in weeks since the first purchase; starts with 0.0.
    pub purchase_weeks: Vec<f64>,
    /// Value of each purchase, in major currency units, same order as `purchase_weeks`.
    pub purchase_values: Vec<f64>,
    /// The drawn purchase rate λ (per week).
    pub lambda: f64,
    /// The drawn drop-out probability p.
    pub dropout_p: f64,
    /// Whether the customer was still active at the end of the history.
    pub alive_at_end: bool,
}

/// An invalid simulation parameter.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("simulation parameter {name} must be a positive finite number, got {value}")]
pub struct SimulationError {
    /// Which parameter.
    pub name: &'static str,
    /// Its value.
    pub value: f64,
}

fn positive(name: &'static str, value: f64) -> Result<f64, SimulationError> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(SimulationError { name, value })
    }
}

/// Simulates `customers` customers whose first purchase falls uniformly in
/// `[0, acquisition_weeks)` and who are observed until `history_weeks`.
pub fn simulate_customers(
    purchases: PurchaseProcess,
    spend: SpendProcess,
    customers: usize,
    acquisition_weeks: f64,
    history_weeks: f64,
    rng: &mut impl Rng,
) -> Result<Vec<SimulatedCustomer>, SimulationError> {
    let rate_dist = Gamma::new(
        positive("r", purchases.r)?,
        1.0 / positive("alpha", purchases.alpha)?,
    )
    .map_err(|_| SimulationError {
        name: "r",
        value: purchases.r,
    })?;
    let dropout_dist = Beta::new(positive("a", purchases.a)?, positive("b", purchases.b)?)
        .map_err(|_| SimulationError {
            name: "a",
            value: purchases.a,
        })?;
    // For Pareto/NBD: the dropout rate μ ~ Gamma(shape s = a, rate β = b).
    let lifetime_rate_dist =
        Gamma::new(purchases.a, 1.0 / purchases.b).map_err(|_| SimulationError {
            name: "a",
            value: purchases.a,
        })?;
    let spend_rate_dist = Gamma::new(
        positive("q", spend.q)?,
        1.0 / positive("gamma", spend.gamma)?,
    )
    .map_err(|_| SimulationError {
        name: "q",
        value: spend.q,
    })?;
    let spend_shape = positive("p", spend.p)?;
    let acquisition_weeks = positive("acquisition_weeks", acquisition_weeks)?;
    let history_weeks = positive("history_weeks", history_weeks)?.max(acquisition_weeks);

    let mut out = Vec::with_capacity(customers);
    for _ in 0..customers {
        let first = rng.random_range(0.0..acquisition_weeks);
        let horizon = history_weeks - first;
        // Gamma draws can underflow to 0 for small shapes; a zero rate means "never again".
        let lambda = rate_dist.sample(rng).max(1e-12);
        let dropout_p = dropout_dist.sample(rng);
        let spend_rate = spend_rate_dist.sample(rng).max(1e-9);
        let value_dist =
            Gamma::new(spend_shape, 1.0 / spend_rate).map_err(|_| SimulationError {
                name: "p",
                value: spend.p,
            })?;
        let gap_dist = Exp::new(lambda).map_err(|_| SimulationError {
            name: "lambda",
            value: lambda,
        })?;

        let mut weeks = vec![0.0];
        let mut alive = true;
        let mut t = 0.0;
        match purchases.dropout {
            Dropout::ExponentialLifetime => {
                let mu = lifetime_rate_dist.sample(rng).max(1e-12);
                let lifetime = Exp::new(mu).map(|d| d.sample(rng)).unwrap_or(f64::INFINITY);
                loop {
                    t += gap_dist.sample(rng);
                    if t > horizon || t > lifetime {
                        break;
                    }
                    weeks.push(t);
                }
                alive = lifetime > horizon;
            }
            Dropout::AfterRepeatPurchases | Dropout::AfterEveryPurchase => {
                if purchases.dropout == Dropout::AfterEveryPurchase
                    && rng.random_bool(dropout_p.clamp(0.0, 1.0))
                {
                    alive = false;
                } else {
                    loop {
                        t += gap_dist.sample(rng);
                        if t > horizon {
                            break;
                        }
                        weeks.push(t);
                        if rng.random_bool(dropout_p.clamp(0.0, 1.0)) {
                            alive = false;
                            break;
                        }
                    }
                }
            }
        }
        let values = weeks.iter().map(|_| value_dist.sample(rng)).collect();
        out.push(SimulatedCustomer {
            first_purchase_week: first,
            purchase_weeks: weeks,
            purchase_values: values,
            lambda,
            dropout_p,
            alive_at_end: alive,
        });
    }
    Ok(out)
}

/// Simulated customers as the daily purchases a shop's export would record: each purchase
/// on the calendar day it falls in (weeks after `start`), its value in cents. Customer `i`
/// of the slice is customer index `i`.
pub fn daily_purchases(
    customers: &[SimulatedCustomer],
    start: chrono::NaiveDate,
) -> Vec<super::summary::Purchase> {
    let mut out = Vec::with_capacity(customers.iter().map(|c| c.purchase_weeks.len()).sum());
    for (index, customer) in customers.iter().enumerate() {
        for (week, value) in customer
            .purchase_weeks
            .iter()
            .zip(&customer.purchase_values)
        {
            let day = ((customer.first_purchase_week + week) * 7.0).floor() as i64;
            out.push(super::summary::Purchase {
                customer: index,
                day: start + chrono::Duration::days(day),
                value_cents: (value * 100.0).round() as i64,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng as _;
    use rand::rngs::Xoshiro256PlusPlus;

    use super::*;

    const PURCHASES: PurchaseProcess = PurchaseProcess {
        r: 0.25,
        alpha: 4.0,
        a: 0.8,
        b: 2.5,
        dropout: Dropout::AfterRepeatPurchases,
    };
    const SPEND: SpendProcess = SpendProcess {
        p: 6.0,
        q: 4.0,
        gamma: 40.0,
    };

    #[test]
    fn same_seed_same_customers() {
        let a = simulate_customers(
            PURCHASES,
            SPEND,
            50,
            52.0,
            104.0,
            &mut Xoshiro256PlusPlus::seed_from_u64(7),
        )
        .unwrap();
        let b = simulate_customers(
            PURCHASES,
            SPEND,
            50,
            52.0,
            104.0,
            &mut Xoshiro256PlusPlus::seed_from_u64(7),
        )
        .unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn histories_respect_the_observation_window() {
        let customers = simulate_customers(
            PURCHASES,
            SPEND,
            2000,
            52.0,
            104.0,
            &mut Xoshiro256PlusPlus::seed_from_u64(1),
        )
        .unwrap();
        for c in &customers {
            assert_eq!(c.purchase_weeks[0], 0.0);
            assert!(c.purchase_weeks.windows(2).all(|w| w[0] < w[1]));
            let last = c.purchase_weeks.last().copied().unwrap_or(0.0);
            assert!(c.first_purchase_week + last <= 104.0 + 1e-9);
            assert_eq!(c.purchase_values.len(), c.purchase_weeks.len());
            assert!(c.purchase_values.iter().all(|v| *v > 0.0));
        }
    }

    #[test]
    fn sample_means_match_the_model() {
        let customers = simulate_customers(
            PURCHASES,
            SPEND,
            20_000,
            52.0,
            104.0,
            &mut Xoshiro256PlusPlus::seed_from_u64(3),
        )
        .unwrap();
        let n = customers.len() as f64;
        let mean_lambda = customers.iter().map(|c| c.lambda).sum::<f64>() / n;
        let mean_p = customers.iter().map(|c| c.dropout_p).sum::<f64>() / n;
        // E[λ] = r/α = 0.0625, sd(λ)/√n ≈ 0.125/141 ≈ 0.0009.
        assert!((mean_lambda - 0.0625).abs() < 0.004, "{mean_lambda}");
        // E[p] = a/(a+b) = 0.2424.
        assert!((mean_p - 0.2424).abs() < 0.01, "{mean_p}");
        // E[z] = E[p/ν] = pγ/(q−1) = 80.
        let values: Vec<f64> = customers
            .iter()
            .flat_map(|c| c.purchase_values.iter().copied())
            .collect();
        let mean_value = values.iter().sum::<f64>() / values.len() as f64;
        assert!((mean_value - 80.0).abs() < 4.0, "{mean_value}");
    }

    #[test]
    fn bad_parameters_are_named() {
        let bad = PurchaseProcess {
            alpha: -1.0,
            ..PURCHASES
        };
        let err = simulate_customers(
            bad,
            SPEND,
            1,
            52.0,
            104.0,
            &mut Xoshiro256PlusPlus::seed_from_u64(1),
        )
        .unwrap_err();
        assert_eq!(err.name, "alpha");
    }
}
