//! Maximum-likelihood fits of the purchase and spend models: parameters are optimised on
//! the log scale (so they stay positive and the surface is better conditioned) by Newton's
//! method with the exact Hessian (`optim::newton`, likelihoods from `derivatives`), from a
//! data-scaled start and, if that does not converge, from up to two more. The covariance of
//! the log-parameters is the inverse Hessian of −ln L at the optimum, which the last Newton
//! evaluation already holds; it drives the ranges on CLV (see `value`).

use super::derivatives::{self, Derivatives, PreparedTriples};
use super::optim::{self, NewtonOptions};
use super::pareto::{self, ParetoLayout};
use super::purchase::PurchaseModel;
use super::spend::SpendHistory;
use super::summary::Triple;

/// A fitted purchase model.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct PurchaseFit {
    /// Which model.
    pub model: PurchaseModel,
    /// Parameters, in the model's order.
    pub params: [f64; 4],
    /// Total log-likelihood.
    pub log_likelihood: f64,
    /// Customers the fit used.
    pub customers: u64,
    /// Whether the optimiser met its convergence test.
    pub converged: bool,
    /// Optimiser (Newton) iterations of the start that was kept.
    pub iterations: u32,
    /// Covariance of the log-parameters (inverse Hessian of −ln L); `None` if the Hessian
    /// was not positive definite (a flat or degenerate likelihood).
    #[serde(skip)]
    pub covariance: Option<Vec<Vec<f64>>>,
}

/// A fitted Gamma-Gamma spend model.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SpendFit {
    /// `[p, q, γ]`.
    pub params: [f64; 3],
    /// Total log-likelihood.
    pub log_likelihood: f64,
    /// Repeat customers the fit used.
    pub customers: u64,
    /// Whether the optimiser met its convergence test.
    pub converged: bool,
    /// Optimiser (Newton) iterations of the start that was kept.
    pub iterations: u32,
    /// Covariance of the log-parameters.
    #[serde(skip)]
    pub covariance: Option<Vec<Vec<f64>>>,
}

/// Why a model could not be fitted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FitError {
    /// Nothing to fit on.
    #[error("there are no customers to fit the model on")]
    NoData,
    /// The likelihood could not be evaluated at any start.
    #[error(
        "the model could not be fitted to this data (the likelihood is undefined at every starting point)"
    )]
    Undefined,
}

/// Fits `model` to `triples` by maximum likelihood.
pub fn fit_purchase(model: PurchaseModel, triples: &[Triple]) -> Result<PurchaseFit, FitError> {
    let customers: f64 = triples.iter().map(|t| t.count).sum();
    if customers == 0.0 {
        return Err(FitError::NoData);
    }
    // α and β are rates in the model's time unit: start them at a quarter of the mean age.
    let mean_age = triples.iter().map(|t| t.t * t.count).sum::<f64>() / customers;
    let scale = (mean_age / 4.0).max(1e-3);
    let starts: [[f64; 4]; 3] = match model {
        PurchaseModel::BgNbd | PurchaseModel::MbgNbd => [
            [1.0, scale, 1.0, 1.0],
            [0.3, scale * 0.5, 0.8, 2.5],
            [2.0, scale * 4.0, 2.0, 6.0],
        ],
        PurchaseModel::ParetoNbd => [
            [1.0, scale, 1.0, scale],
            [0.5, scale * 2.0, 0.5, scale * 2.0],
            [2.0, scale * 0.5, 2.0, scale * 0.5],
        ],
    };
    let prepared = PreparedTriples::new(triples);
    let layout = (model == PurchaseModel::ParetoNbd).then(|| ParetoLayout::new(&prepared));
    let mut objective = |theta: &[f64], g: &mut [f64], h: &mut [f64]| -> f64 {
        let params = exp4(theta);
        if !in_fit_domain(model, &params) {
            return f64::NAN;
        }
        let d = match &layout {
            Some(layout) => pareto::pareto(&params, &prepared, layout),
            None => derivatives::bg_family(&params, &prepared, model == PurchaseModel::MbgNbd),
        };
        negate_into(&d.in_log_parameters(&params), g, h)
    };
    let best = best_of_starts(&starts, |theta0| {
        optim::newton(&mut objective, theta0, NewtonOptions::default())
    })?;
    let covariance = covariance(&mut objective, &best);
    Ok(PurchaseFit {
        model,
        params: exp4(&best.x),
        log_likelihood: -best.value,
        customers: customers as u64,
        converged: best.converged,
        iterations: best.iterations,
        covariance,
    })
}

/// Largest α/β or β/α a Pareto/NBD fit explores. Beyond it the data is saying that the
/// dropout rates of all customers are the same (s and β grow together without bound): the
/// likelihood is flat along that ridge, its series grow long, and the model adds nothing
/// over BG/NBD. Such a fit stops at the edge, unconverged, and the engine uses another model.
pub const PARETO_RATIO_LIMIT: f64 = 100.0;

/// Whether the optimiser may evaluate `model` at `params`: inside the likelihood's
/// [`PARAM_MIN`, `PARAM_MAX`] box, and for Pareto/NBD within [`PARETO_RATIO_LIMIT`].
fn in_fit_domain(model: PurchaseModel, params: &[f64; 4]) -> bool {
    use super::purchase::{PARAM_MAX, PARAM_MIN};
    if params
        .iter()
        .any(|p| !(p.is_finite() && (PARAM_MIN..=PARAM_MAX).contains(p)))
    {
        return false;
    }
    match model {
        PurchaseModel::ParetoNbd => {
            let ratio = params[1] / params[3];
            (1.0 / PARETO_RATIO_LIMIT..=PARETO_RATIO_LIMIT).contains(&ratio)
        }
        PurchaseModel::BgNbd | PurchaseModel::MbgNbd => true,
    }
}

/// Fits the Gamma-Gamma model to repeat customers' spend.
pub fn fit_spend(data: &[SpendHistory]) -> Result<SpendFit, FitError> {
    let data: Vec<SpendHistory> = data
        .iter()
        .copied()
        .filter(|h| h.x > 0.0 && h.mean > 0.0)
        .collect();
    if data.is_empty() {
        return Err(FitError::NoData);
    }
    let mean = data.iter().map(|h| h.mean).sum::<f64>() / data.len() as f64;
    let prepared = derivatives::PreparedSpend::new(&data);
    let mut objective = |theta: &[f64], g: &mut [f64], h: &mut [f64]| -> f64 {
        let params = [theta[0].exp(), theta[1].exp(), theta[2].exp()];
        let d = derivatives::gamma_gamma(&params, &prepared);
        negate_into(&d.in_log_parameters(&params), g, h)
    };
    let starts = [
        [1.0, 2.0, mean],
        [5.0, 3.0, mean * 2.0],
        [0.5, 5.0, mean * 5.0],
    ];
    let best = best_of_starts(&starts, |theta0| {
        optim::newton(&mut objective, theta0, NewtonOptions::default())
    })?;
    let covariance = covariance(&mut objective, &best);
    Ok(SpendFit {
        params: [best.x[0].exp(), best.x[1].exp(), best.x[2].exp()],
        log_likelihood: -best.value,
        customers: data.len() as u64,
        converged: best.converged,
        iterations: best.iterations,
        covariance,
    })
}

/// The inverse of the Hessian at the optimum: the exact one Newton's last evaluation left,
/// or, where the objective had none there (the rare points where `pareto` falls back to
/// differences of ₂F₁ and the Hessian came out non-finite), central differences of the
/// gradient.
fn covariance(
    objective: &mut optim::SecondOrderObjective<'_>,
    best: &optim::Minimum,
) -> Option<Vec<Vec<f64>>> {
    let hessian = match &best.hessian {
        Some(h) => h.clone(),
        None => {
            let n = best.x.len();
            let mut scratch = vec![0.0; n * n];
            let mut gradient_only =
                |theta: &[f64], g: &mut [f64]| objective(theta, g, &mut scratch);
            optim::hessian(&mut gradient_only, &best.x, 1e-5)
        }
    };
    optim::inverse_spd(&hessian)
}

/// Minimises from each start (natural scale) in turn until one converges; the best result.
fn best_of_starts<const N: usize>(
    starts: &[[f64; N]],
    mut minimise: impl FnMut(&[f64]) -> optim::Minimum,
) -> Result<optim::Minimum, FitError> {
    let mut best: Option<optim::Minimum> = None;
    for start in starts {
        let theta0: Vec<f64> = start.iter().map(|v| v.ln()).collect();
        let result = minimise(&theta0);
        if !result.value.is_finite() {
            continue;
        }
        let converged = result.converged;
        if best.as_ref().is_none_or(|b| result.value < b.value) {
            best = Some(result);
        }
        if converged {
            break;
        }
    }
    best.ok_or(FitError::Undefined)
}

/// −ln L with its gradient and row-major Hessian written into `g` and `h` (the objective
/// the optimiser minimises).
fn negate_into<const N: usize>(d: &Derivatives<N>, g: &mut [f64], h: &mut [f64]) -> f64 {
    for i in 0..N {
        g[i] = -d.gradient[i];
        for j in 0..N {
            h[i * N + j] = -d.hessian[i][j];
        }
    }
    -d.value
}

fn exp4(theta: &[f64]) -> [f64; 4] {
    [
        theta[0].exp(),
        theta[1].exp(),
        theta[2].exp(),
        theta[3].exp(),
    ]
}
