//! The purchase-process models: BG/NBD, MBG/NBD and Pareto/NBD. For each, the
//! log-likelihood of a customer's (x, tₓ, T) summed over distinct triples, its gradient,
//! and the predictions the app shows: P(alive), expected purchases in a coming period, and
//! expected purchases of a new customer.
//!
//! Sources (formula numbers refer to these):
//! * BG/NBD: Fader, Hardie & Lee (2005), "Counting your customers the easy way", eqs. 6, 8,
//!   10, 12; and Fader & Hardie, "Computing P(alive) using the BG/NBD model";
//! * MBG/NBD: Batislam, Denizel & Filiztekin (2007): a customer may also drop out right after
//!   the first purchase, so P(alive | x = 0) < 1;
//! * Pareto/NBD: Schmittlein, Morrison & Colombo (1987) in the form of Fader & Hardie, "A note
//!   on deriving the Pareto/NBD model and related expressions" (2005), with the α ≥ β and
//!   α < β cases that keep ₂F₁'s argument in [0, 1).
//!
//! Parameters are `[r, α, a, b]` (BG/NBD, MBG/NBD) and `[r, α, s, β]` (Pareto/NBD), time in
//! the period unit of the summary. BG/NBD and MBG/NBD gradients are analytic (checked
//! against finite differences in tests); Pareto/NBD's gradient is by central differences of
//! its exact likelihood. These evaluations are the reference: the fits use the faster ones
//! of `derivatives` and `pareto` (same formulas, prepared data, exact gradients and
//! Hessians — Pareto/NBD's through an integral representation of its ₂F₁), which the tests
//! check against these.

use rustc_hash::FxHashMap;

use super::special::{digamma, ln_gamma, ln_hyp2f1, ln_hyp2f1_near_one};
use super::summary::Triple;

/// Smallest parameter value a likelihood is evaluated at.
pub const PARAM_MIN: f64 = 1e-10;
/// Largest parameter value a likelihood is evaluated at.
pub const PARAM_MAX: f64 = 1e10;

/// A purchase-process model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum PurchaseModel {
    /// Beta-geometric / negative binomial distribution.
    #[serde(rename = "bgnbd")]
    BgNbd,
    /// Modified BG/NBD.
    #[serde(rename = "mbgnbd")]
    MbgNbd,
    /// Pareto/NBD.
    #[serde(rename = "pareto-nbd")]
    ParetoNbd,
}

impl PurchaseModel {
    /// All three, simplest first.
    pub const ALL: [PurchaseModel; 3] = [
        PurchaseModel::BgNbd,
        PurchaseModel::MbgNbd,
        PurchaseModel::ParetoNbd,
    ];

    /// The command-line and JSON name.
    pub fn name(self) -> &'static str {
        match self {
            PurchaseModel::BgNbd => "bgnbd",
            PurchaseModel::MbgNbd => "mbgnbd",
            PurchaseModel::ParetoNbd => "pareto-nbd",
        }
    }

    /// Parses a command-line name.
    pub fn from_name(name: &str) -> Option<PurchaseModel> {
        let name = name.trim().to_ascii_lowercase().replace(['_', '/'], "-");
        match name.as_str() {
            "bgnbd" | "bg-nbd" => Some(PurchaseModel::BgNbd),
            "mbgnbd" | "mbg-nbd" => Some(PurchaseModel::MbgNbd),
            "pareto-nbd" | "paretonbd" | "pareto" => Some(PurchaseModel::ParetoNbd),
            _ => None,
        }
    }

    /// How the owner reads it.
    pub fn label(self) -> &'static str {
        match self {
            PurchaseModel::BgNbd => "BG/NBD",
            PurchaseModel::MbgNbd => "MBG/NBD",
            PurchaseModel::ParetoNbd => "Pareto/NBD",
        }
    }

    /// Parameter names, in order.
    pub fn parameter_names(self) -> [&'static str; 4] {
        match self {
            PurchaseModel::BgNbd | PurchaseModel::MbgNbd => ["r", "alpha", "a", "b"],
            PurchaseModel::ParetoNbd => ["r", "alpha", "s", "beta"],
        }
    }

    /// Total log-likelihood over `triples`; with `gradient`, also its gradient with respect
    /// to the parameters. NaN when the parameters are outside the model's domain.
    pub fn ln_likelihood(
        self,
        params: &[f64; 4],
        triples: &[Triple],
        gradient: Option<&mut [f64; 4]>,
    ) -> f64 {
        // Outside [1e-10, 1e10] the terms (ln Γ of 1e50, powers of 1e-46) cancel into
        // garbage that can look like an excellent fit; an optimiser's wild first step must
        // see "undefined" there and step back.
        if params
            .iter()
            .any(|p| !(p.is_finite() && (PARAM_MIN..=PARAM_MAX).contains(p)))
        {
            return f64::NAN;
        }
        match self {
            PurchaseModel::BgNbd => bg_family(params, triples, gradient, false),
            PurchaseModel::MbgNbd => bg_family(params, triples, gradient, true),
            PurchaseModel::ParetoNbd => {
                let value = pareto_total(params, triples);
                if let Some(gradient) = gradient {
                    *gradient = pareto_gradient(params, triples);
                }
                value
            }
        }
    }

    /// Probability that a customer with history (x, tₓ, T) is still active at T.
    pub fn p_alive(self, params: &[f64; 4], x: f64, tx: f64, t: f64) -> f64 {
        let [r, alpha, a, b] = *params;
        match self {
            PurchaseModel::BgNbd => {
                if x == 0.0 {
                    return 1.0;
                }
                let ln_odds =
                    (a / (b + x - 1.0)).ln() + (r + x) * ((alpha + t) / (alpha + tx)).ln();
                logistic_of_negative(ln_odds)
            }
            PurchaseModel::MbgNbd => {
                let ln_odds = (a / (b + x)).ln() + (r + x) * ((alpha + t) / (alpha + tx)).ln();
                logistic_of_negative(ln_odds)
            }
            PurchaseModel::ParetoNbd => match pareto_terms(params, x, tx, t) {
                Some((ln_alive_term, ln_rest)) => logistic_of_negative(ln_rest - ln_alive_term),
                None => f64::NAN,
            },
        }
    }

    /// [`p_alive`](Self::p_alive) of many customers at once, in the order given; `triples`
    /// must be sorted by x. Pareto/NBD evaluates its ₂F₁ once per distinct (x, τ) instead
    /// of twice per customer.
    pub fn p_alive_sorted(self, params: &[f64; 4], triples: &[Triple]) -> Vec<f64> {
        let one_by_one = || {
            triples
                .iter()
                .map(|t| self.p_alive(params, t.x, t.tx, t.t))
                .collect()
        };
        match self {
            PurchaseModel::ParetoNbd => match pareto_parts_all(params, triples) {
                Some(parts) => parts
                    .into_iter()
                    .map(|(alive, died)| logistic_of_negative(died - alive))
                    .collect(),
                None => one_by_one(),
            },
            PurchaseModel::BgNbd | PurchaseModel::MbgNbd => one_by_one(),
        }
    }

    /// Expected purchases in (T, T + `horizon`] for a customer with history (x, tₓ, T):
    /// P(alive | x, tₓ, T) × [`expected_purchases_if_alive`](Self::expected_purchases_if_alive).
    pub fn expected_purchases(
        self,
        params: &[f64; 4],
        x: f64,
        tx: f64,
        t: f64,
        horizon: f64,
    ) -> f64 {
        if horizon <= 0.0 {
            return 0.0;
        }
        self.p_alive(params, x, tx, t) * self.expected_purchases_if_alive(params, x, t, horizon)
    }

    /// Expected purchases in (T, T + `horizon`] of a customer with x repeat purchases and
    /// age T, given that they are still active at T. It does not depend on tₓ, so a
    /// valuation computes it once per distinct (x, T) and multiplies by each customer's
    /// P(alive) (FHL 2005 eq. 10 and the Pareto/NBD analogue are of this product form).
    pub fn expected_purchases_if_alive(
        self,
        params: &[f64; 4],
        x: f64,
        t: f64,
        horizon: f64,
    ) -> f64 {
        if horizon <= 0.0 {
            return 0.0;
        }
        match self {
            PurchaseModel::BgNbd | PurchaseModel::MbgNbd => {
                let [r, alpha, a, b] = *params;
                let k = if self == PurchaseModel::MbgNbd {
                    1.0
                } else {
                    0.0
                };
                // 1 − ((α+T)/(α+T+t))^(r+x) · ₂F₁(r+x, b+x+k; a+b+x+k−1; t/(α+T+t)), as −expm1(ln …)
                let z = horizon / (alpha + t + horizon);
                let Ok(ln_f) = ln_hyp2f1_near_one(r + x, b + x + k, a + b + x + k - 1.0, z) else {
                    return f64::NAN;
                };
                let ln_ratio = -(r + x) * (horizon / (alpha + t)).ln_1p() + ln_f;
                (a + b + x + k - 1.0) / (a - 1.0) * -ln_ratio.exp_m1()
            }
            PurchaseModel::ParetoNbd => {
                let [r, alpha, s, beta] = *params;
                let rate = (r + x) * (beta + t) / ((alpha + t) * (s - 1.0));
                // 1 − ((β+T)/(β+T+t))^(s−1)
                let fraction = -(-(s - 1.0) * (horizon / (beta + t)).ln_1p()).exp_m1();
                rate * fraction
            }
        }
    }

    /// Expected purchases of a new customer in their first `horizon` after acquisition,
    /// E[X(t)] (repeat purchases).
    pub fn expected_purchases_new(self, params: &[f64; 4], horizon: f64) -> f64 {
        if horizon <= 0.0 {
            return 0.0;
        }
        match self {
            PurchaseModel::BgNbd | PurchaseModel::MbgNbd => {
                let [r, alpha, a, b] = *params;
                let z = horizon / (alpha + horizon);
                let (b_param, c_param, factor) = if self == PurchaseModel::BgNbd {
                    (b, a + b - 1.0, (a + b - 1.0) / (a - 1.0))
                } else {
                    (b + 1.0, a + b, b / (a - 1.0))
                };
                let Ok(ln_f) = ln_hyp2f1_near_one(r, b_param, c_param, z) else {
                    return f64::NAN;
                };
                let ln_ratio = -r * (horizon / alpha).ln_1p() + ln_f;
                factor * -ln_ratio.exp_m1()
            }
            PurchaseModel::ParetoNbd => {
                let [r, alpha, s, beta] = *params;
                r * beta / (alpha * (s - 1.0)) * -(-(s - 1.0) * (horizon / beta).ln_1p()).exp_m1()
            }
        }
    }
}

/// 1 / (1 + e^ln_odds), computed without overflow.
fn logistic_of_negative(ln_odds: f64) -> f64 {
    if ln_odds > 0.0 {
        let e = (-ln_odds).exp();
        e / (1.0 + e)
    } else {
        1.0 / (1.0 + ln_odds.exp())
    }
}

/// ln(eᵘ + eᵛ).
fn log_add_exp(u: f64, v: f64) -> f64 {
    let (hi, lo) = if u >= v { (u, v) } else { (v, u) };
    if lo == f64::NEG_INFINITY {
        hi
    } else {
        hi + (lo - hi).exp().ln_1p()
    }
}

/// BG/NBD (FHL 2005 eq. 6) and MBG/NBD log-likelihoods and gradients. Per customer:
/// ln L = ln Γ(r+x) − ln Γ(r) + r ln α + ln Γ(a+b) + ln Γ(b+x+k) − ln Γ(b) − ln Γ(a+b+x+k)
///      + ln[(α+T)^−(r+x) + δ · a/(b+x+k−1) · (α+tₓ)^−(r+x)]
/// with k = 0, δ = [x > 0] for BG/NBD and k = 1, δ = 1 for MBG/NBD.
fn bg_family(
    params: &[f64; 4],
    triples: &[Triple],
    gradient: Option<&mut [f64; 4]>,
    modified: bool,
) -> f64 {
    let [r, alpha, a, b] = *params;
    let k = if modified { 1.0 } else { 0.0 };
    let ln_alpha = alpha.ln();
    let ln_a = a.ln();
    let base = -ln_gamma(r) + r * ln_alpha + ln_gamma(a + b) - ln_gamma(b);
    let want_gradient = gradient.is_some();
    let (psi_r, psi_ab, psi_b) = if want_gradient {
        (digamma(r), digamma(a + b), digamma(b))
    } else {
        (0.0, 0.0, 0.0)
    };
    let mut total = 0.0;
    let mut g = [0.0; 4];
    let mut current_x = f64::NAN;
    // Terms that depend on x only, recomputed when x changes (triples are sorted by x).
    let mut per_x = (0.0, 0.0, 0.0, 0.0);
    for triple in triples {
        let x = triple.x;
        if x != current_x {
            current_x = x;
            let ln_terms = ln_gamma(r + x) + ln_gamma(b + x + k) - ln_gamma(a + b + x + k);
            let (psi_rx, psi_bx, psi_abx) = if want_gradient {
                (digamma(r + x), digamma(b + x + k), digamma(a + b + x + k))
            } else {
                (0.0, 0.0, 0.0)
            };
            per_x = (ln_terms, psi_rx, psi_bx, psi_abx);
        }
        let (ln_terms, psi_rx, psi_bx, psi_abx) = per_x;
        let ln_at = (alpha + triple.t).ln();
        let u = -(r + x) * ln_at;
        let has_second = modified || x > 0.0;
        let (d, w2, ln_atx) = if has_second {
            let ln_atx = (alpha + triple.tx).ln();
            let v = ln_a - (b + x + k - 1.0).ln() - (r + x) * ln_atx;
            let d = log_add_exp(u, v);
            (d, (v - d).exp(), ln_atx)
        } else {
            (u, 0.0, 0.0)
        };
        let ll = base + ln_terms + d;
        total += triple.count * ll;
        if want_gradient {
            let w1 = 1.0 - w2;
            let n = triple.count;
            g[0] += n * (psi_rx - psi_r + ln_alpha - w1 * ln_at - w2 * ln_atx);
            g[1] +=
                n * (r / alpha - (r + x) * (w1 / (alpha + triple.t) + w2 / (alpha + triple.tx)));
            g[2] += n * (psi_ab - psi_abx + w2 / a);
            g[3] += n * (psi_ab + psi_bx - psi_b - psi_abx - w2 / (b + x + k - 1.0));
        }
    }
    if let Some(gradient) = gradient {
        *gradient = g;
    }
    total
}

/// F(τ) = ₂F₁(r+s+x, b; r+s+x+1; |α−β|/(max+τ)) / (max+τ)^(r+s+x) for one x, with the α ≥ β
/// or α < β form (FH note, eqs. 19–22) that keeps ₂F₁'s argument in [0, 1). It depends on
/// (x, τ) only, so a likelihood evaluates it once per distinct (x, tₓ) and (x, T).
struct ParetoF {
    rsx: f64,
    b_param: f64,
    big: f64,
    gap: f64,
}

impl ParetoF {
    fn new(r: f64, alpha: f64, s: f64, beta: f64, x: f64) -> ParetoF {
        let (big, b_param) = if alpha >= beta {
            (alpha, s + 1.0)
        } else {
            (beta, r + x)
        };
        ParetoF {
            rsx: r + s + x,
            b_param,
            big,
            gap: (alpha - beta).abs(),
        }
    }

    /// ln F(τ); `None` if ₂F₁ fails.
    fn ln_f(&self, tau: f64) -> Option<f64> {
        let z = self.gap / (self.big + tau);
        let f = ln_hyp2f1(self.rsx, self.b_param, self.rsx + 1.0, z).ok()?;
        Some(f.ln_abs - self.rsx * (self.big + tau).ln())
    }
}

/// The two parts of a Pareto/NBD likelihood, in logs: the "alive at T" term
/// (α+T)^−(r+x) (β+T)^−s and the "died in (tₓ, T]" term s/(r+s+x) · A₀ with
/// A₀ = F(tₓ) − F(T). Both exclude the common factor Γ(r+x) α^r β^s / Γ(r).
fn pareto_parts(params: &[f64; 4], x: f64, t: f64, ln_f_tx: f64, ln_f_t: f64) -> (f64, f64) {
    let [r, alpha, s, beta] = *params;
    let ln_alive = -(r + x) * (alpha + t).ln() - s * (beta + t).ln();
    // ln A₀ = ln F(tₓ) + ln(1 − F(T)/F(tₓ)); F decreases in τ.
    let diff = ln_f_t - ln_f_tx;
    let ln_a0 = if diff >= 0.0 {
        f64::NEG_INFINITY
    } else {
        ln_f_tx + (-(diff.exp())).ln_1p()
    };
    (ln_alive, (s / (r + s + x)).ln() + ln_a0)
}

/// [`pareto_parts`] for one customer; `None` if ₂F₁ fails.
fn pareto_terms(params: &[f64; 4], x: f64, tx: f64, t: f64) -> Option<(f64, f64)> {
    let [r, alpha, s, beta] = *params;
    let f = ParetoF::new(r, alpha, s, beta, x);
    Some(pareto_parts(params, x, t, f.ln_f(tx)?, f.ln_f(t)?))
}

/// Per triple, the Pareto/NBD (ln alive term, ln died term), ₂F₁ evaluated once per
/// distinct (x, τ); `None` if ₂F₁ fails anywhere. Triples must be sorted by x.
fn pareto_parts_all(params: &[f64; 4], triples: &[Triple]) -> Option<Vec<(f64, f64)>> {
    let [r, alpha, s, beta] = *params;
    let mut out = Vec::with_capacity(triples.len());
    let mut cache: FxHashMap<u64, f64> = FxHashMap::default();
    let mut current_x = f64::NAN;
    let mut f = ParetoF::new(r, alpha, s, beta, 0.0);
    for triple in triples {
        if triple.x != current_x {
            current_x = triple.x;
            f = ParetoF::new(r, alpha, s, beta, triple.x);
            cache.clear();
        }
        let mut ln_f = |tau: f64| -> Option<f64> {
            if let Some(v) = cache.get(&tau.to_bits()) {
                return Some(*v);
            }
            let v = f.ln_f(tau)?;
            cache.insert(tau.to_bits(), v);
            Some(v)
        };
        let at_tx = ln_f(triple.tx)?;
        let at_t = ln_f(triple.t)?;
        out.push(pareto_parts(params, triple.x, triple.t, at_tx, at_t));
    }
    Some(out)
}

/// Pareto/NBD total log-likelihood.
fn pareto_total(params: &[f64; 4], triples: &[Triple]) -> f64 {
    let [r, alpha, s, beta] = *params;
    let base = -ln_gamma(r) + r * alpha.ln() + s * beta.ln();
    let Some(parts) = pareto_parts_all(params, triples) else {
        return f64::NAN;
    };
    let mut total = 0.0;
    let mut current_x = f64::NAN;
    let mut ln_g = 0.0;
    for (triple, (alive, died)) in triples.iter().zip(parts) {
        if triple.x != current_x {
            current_x = triple.x;
            ln_g = ln_gamma(r + triple.x);
        }
        total += triple.count * (base + ln_g + log_add_exp(alive, died));
    }
    total
}

/// Central differences of the Pareto/NBD likelihood, step 1e-6 relative per parameter.
fn pareto_gradient(params: &[f64; 4], triples: &[Triple]) -> [f64; 4] {
    let mut g = [0.0; 4];
    for i in 0..4 {
        let h = 1e-6 * params[i];
        let mut plus = *params;
        plus[i] += h;
        let mut minus = *params;
        minus[i] -= h;
        g[i] = (pareto_total(&plus, triples) - pareto_total(&minus, triples)) / (2.0 * h);
    }
    g
}

#[cfg(test)]
mod tests {
    use super::*;

    fn triples() -> Vec<Triple> {
        [
            (0.0, 0.0, 38.86),
            (2.0, 30.43, 38.86),
            (1.0, 1.71, 38.86),
            (5.0, 20.0, 30.0),
            (12.0, 37.0, 38.0),
        ]
        .into_iter()
        .map(|(x, tx, t)| Triple {
            x,
            tx,
            t,
            count: 1.0,
        })
        .collect()
    }

    #[test]
    fn absurd_parameters_are_undefined_not_a_great_fit() {
        // An optimiser step once landed here and MBG/NBD's terms cancelled into ln L = +9e58.
        let wild = [8.6e53, 1.2e-46, 1.2e-113, 3.4e81];
        for model in PurchaseModel::ALL {
            assert!(model.ln_likelihood(&wild, &triples(), None).is_nan());
            assert!(
                model
                    .ln_likelihood(&[1e11, 1.0, 1.0, 1.0], &triples(), None)
                    .is_nan()
            );
            assert!(
                model
                    .ln_likelihood(&[0.5, 5.0, 0.8, 2.0], &triples(), None)
                    .is_finite()
            );
        }
    }

    #[test]
    fn analytic_gradients_match_finite_differences() {
        for (model, params) in [
            (PurchaseModel::BgNbd, [0.243, 4.414, 0.793, 2.426]),
            (PurchaseModel::MbgNbd, [0.525, 6.183, 0.891, 1.614]),
        ] {
            let data = triples();
            let mut g = [0.0; 4];
            model.ln_likelihood(&params, &data, Some(&mut g));
            for i in 0..4 {
                let h = 1e-6 * params[i];
                let mut plus = params;
                plus[i] += h;
                let mut minus = params;
                minus[i] -= h;
                let numeric = (model.ln_likelihood(&plus, &data, None)
                    - model.ln_likelihood(&minus, &data, None))
                    / (2.0 * h);
                assert!(
                    (g[i] - numeric).abs() < 1e-6 * numeric.abs().max(1.0),
                    "{model:?} param {i}: {} vs {numeric}",
                    g[i]
                );
            }
        }
    }

    #[test]
    fn p_alive_for_a_single_purchase() {
        let bg = [0.243, 4.414, 0.793, 2.426];
        assert_eq!(PurchaseModel::BgNbd.p_alive(&bg, 0.0, 0.0, 38.86), 1.0);
        let mbg = [0.525, 6.183, 0.891, 1.614];
        assert!(PurchaseModel::MbgNbd.p_alive(&mbg, 0.0, 0.0, 38.86) < 1.0);
        let pareto = [0.553, 10.578, 0.606, 11.669];
        assert!(PurchaseModel::ParetoNbd.p_alive(&pareto, 0.0, 0.0, 38.86) < 1.0);
    }

    #[test]
    fn batched_p_alive_equals_one_by_one() {
        let mut data = triples();
        data.sort_by(|a, b| a.x.total_cmp(&b.x).then(a.t.total_cmp(&b.t)));
        for (model, params) in [
            (PurchaseModel::BgNbd, [0.243, 4.414, 0.793, 2.426]),
            (PurchaseModel::MbgNbd, [0.525, 6.183, 0.891, 1.614]),
            (PurchaseModel::ParetoNbd, [0.553, 10.578, 0.606, 11.669]),
            (PurchaseModel::ParetoNbd, [0.553, 4.0, 0.606, 30.0]),
        ] {
            let batched = model.p_alive_sorted(&params, &data);
            for (t, p) in data.iter().zip(batched) {
                let single = model.p_alive(&params, t.x, t.tx, t.t);
                assert!(
                    (p - single).abs() <= 1e-14,
                    "{model:?} {t:?}: {p} vs {single}"
                );
            }
        }
    }

    #[test]
    fn outside_the_domain_is_nan() {
        assert!(
            PurchaseModel::BgNbd
                .ln_likelihood(&[-1.0, 1.0, 1.0, 1.0], &triples(), None)
                .is_nan()
        );
        assert!(
            PurchaseModel::ParetoNbd
                .ln_likelihood(&[1.0, 0.0, 1.0, 1.0], &triples(), None)
                .is_nan()
        );
    }
}
