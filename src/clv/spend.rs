//! The Gamma-Gamma model of spend per purchase (Fader & Hardie 2013, "The Gamma-Gamma model
//! of monetary value"): each purchase's value is Gamma(p, ν) with the customer's rate ν
//! ~ Gamma(q, γ). Fitted on customers with repeat purchases (x > 0) and a positive mean
//! repeat spend m̄, in major currency units.
//!
//! Density of the mean m̄ of x purchases:
//! f(m̄ | p, q, γ, x) = Γ(px+q) / (Γ(px) Γ(q)) · γ^q m̄^(px−1) x^(px) / (γ + m̄x)^(px+q).
//! Expected spend per purchase given history: E[M | x, m̄] = (γ + m̄x) p / (px + q − 1).

use super::special::{digamma, ln_gamma};

/// One repeat customer's spend history.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SpendHistory {
    /// Repeat purchases x (> 0).
    pub x: f64,
    /// Mean value of those purchases, major units (> 0).
    pub mean: f64,
}

/// Gamma-Gamma log-likelihood `[p, q, γ]`; with `gradient`, also its gradient. NaN outside
/// the domain.
pub fn ln_likelihood(
    params: &[f64; 3],
    data: &[SpendHistory],
    gradient: Option<&mut [f64; 3]>,
) -> f64 {
    let [p, q, gamma] = *params;
    if params.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
        return f64::NAN;
    }
    let want = gradient.is_some();
    let base = -ln_gamma(q) + q * gamma.ln();
    let psi_q = if want { digamma(q) } else { 0.0 };
    let ln_gamma_param = gamma.ln();
    let mut total = 0.0;
    let mut g = [0.0; 3];
    for h in data {
        let px = p * h.x;
        let ln_mean = h.mean.ln();
        let ln_x = h.x.ln();
        let ln_denominator = (gamma + h.mean * h.x).ln();
        total += base + ln_gamma(px + q) - ln_gamma(px) + (px - 1.0) * ln_mean + px * ln_x
            - (px + q) * ln_denominator;
        if want {
            let psi_pxq = digamma(px + q);
            g[0] += h.x * (psi_pxq - digamma(px) + ln_mean + ln_x - ln_denominator);
            g[1] += psi_pxq - psi_q + ln_gamma_param - ln_denominator;
            g[2] += q / gamma - (px + q) / (gamma + h.mean * h.x);
        }
    }
    if let Some(gradient) = gradient {
        *gradient = g;
    }
    total
}

/// Expected spend per future purchase for a customer with `x` repeat purchases of mean
/// `mean`; for x = 0 the population mean γp/(q−1).
pub fn expected_spend(params: &[f64; 3], x: f64, mean: f64) -> f64 {
    let [p, q, gamma] = *params;
    (gamma + mean * x) * p / (p * x + q - 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradient_matches_finite_differences() {
        let data = [
            SpendHistory { x: 1.0, mean: 5.0 },
            SpendHistory {
                x: 3.0,
                mean: 22.35,
            },
            SpendHistory {
                x: 10.0,
                mean: 48.2,
            },
        ];
        let params = [6.25, 3.74, 15.44];
        let mut g = [0.0; 3];
        ln_likelihood(&params, &data, Some(&mut g));
        for i in 0..3 {
            let h = 1e-6 * params[i];
            let mut plus = params;
            plus[i] += h;
            let mut minus = params;
            minus[i] -= h;
            let numeric = (ln_likelihood(&plus, &data, None) - ln_likelihood(&minus, &data, None))
                / (2.0 * h);
            assert!(
                (g[i] - numeric).abs() < 1e-6 * numeric.abs().max(1.0),
                "{i}: {} vs {numeric}",
                g[i]
            );
        }
    }

    #[test]
    fn expected_spend_shrinks_towards_the_population() {
        let params = [6.25, 3.74, 15.44];
        let population = expected_spend(&params, 0.0, 0.0);
        let one_big = expected_spend(&params, 1.0, 200.0);
        let many_big = expected_spend(&params, 20.0, 200.0);
        assert!(population < one_big && one_big < many_big && many_big < 200.0);
    }
}
