//! Backtesting a purchase model: fit it on the calibration period, predict the holdout,
//! compare with what customers actually did. Reports the tracking curve (cumulative repeat
//! purchases per period, actual and predicted), the mean absolute error per customer and
//! the total error.

use rustc_hash::FxHashMap as HashMap;

use super::fit::{FitError, PurchaseFit, fit_purchase};
use super::purchase::PurchaseModel;
use super::summary::{KeyedTriples, Period, Split, distinct_triples};

/// How a model did on the holdout.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Backtest {
    /// The model.
    pub model: PurchaseModel,
    /// Its fit on the calibration period.
    #[serde(skip)]
    pub fit: PurchaseFit,
    /// Holdout length in periods.
    pub holdout_periods: u32,
    /// Per period k = 1..: cumulative repeat purchases after the calibration end, actual.
    pub actual_cumulative: Vec<f64>,
    /// The same, predicted.
    pub predicted_cumulative: Vec<f64>,
    /// Mean over calibration customers of |predicted − actual| holdout purchases.
    pub mae: f64,
    /// Actual holdout repeat purchases in all.
    pub actual_total: f64,
    /// Predicted holdout repeat purchases in all.
    pub predicted_total: f64,
}

impl Backtest {
    /// (predicted − actual) / actual, in percent.
    pub fn error_pct(&self) -> f64 {
        if self.actual_total > 0.0 {
            100.0 * (self.predicted_total - self.actual_total) / self.actual_total
        } else {
            f64::NAN
        }
    }
}

/// Fits `model` on the calibration part of `split` and predicts the holdout.
pub fn backtest(model: PurchaseModel, split: &Split, period: Period) -> Result<Backtest, FitError> {
    backtest_on(
        model,
        split,
        &distinct_triples(&split.calibration, period),
        period,
    )
}

/// [`backtest`] with the calibration's distinct triples already made (`keyed`, of
/// `split.calibration` in `period` units): several models tested on one split share them.
pub fn backtest_on(
    model: PurchaseModel,
    split: &Split,
    keyed: &KeyedTriples,
    period: Period,
) -> Result<Backtest, FitError> {
    let fit = fit_purchase(model, &keyed.triples)?;
    let holdout_days = (split.holdout_end - split.calibration_end).num_days();
    let holdout_periods = ((holdout_days as f64 / period.days()).ceil() as u32).max(1);
    // A prediction is P(alive | x, tₓ, T) × the expected purchases if alive, which depends
    // on (x, T) only: one curve per distinct (x, T), one P(alive) per distinct triple.
    let alive = fit.model.p_alive_sorted(&fit.params, &keyed.triples);
    let horizon = holdout_days as f64 / period.days();
    let mut curves: HashMap<(u32, i64), Vec<f64>> = HashMap::default();
    let mut predicted_cumulative = vec![0.0; holdout_periods as usize];
    let mut predicted_per_triple = Vec::with_capacity(keyed.triples.len());
    for ((key, triple), p) in keyed.keys.iter().zip(&keyed.triples).zip(&alive) {
        let curve = curves.entry((key.0, key.2)).or_insert_with(|| {
            (1..=holdout_periods)
                .map(|k| {
                    fit.model.expected_purchases_if_alive(
                        &fit.params,
                        triple.x,
                        triple.t,
                        f64::from(k).min(horizon),
                    )
                })
                .collect()
        });
        for (total, value) in predicted_cumulative.iter_mut().zip(curve.iter()) {
            *total += triple.count * p * value;
        }
        predicted_per_triple.push(p * curve.last().copied().unwrap_or(0.0));
    }
    let mut actual_cumulative = vec![0.0; holdout_periods as usize];
    for days in &split.holdout_days {
        for day in days {
            let k =
                ((*day as f64 / period.days()).ceil() as usize).clamp(1, holdout_periods as usize);
            actual_cumulative[k - 1] += 1.0;
        }
    }
    for k in 1..actual_cumulative.len() {
        actual_cumulative[k] += actual_cumulative[k - 1];
    }
    let mut absolute_error = 0.0;
    let mut customers = 0.0;
    for (s, actual) in split.calibration.iter().zip(&split.holdout_purchases) {
        if !s.is_acquired() {
            continue;
        }
        let predicted = keyed.index(s).map_or(0.0, |i| predicted_per_triple[i]);
        absolute_error += (predicted - f64::from(*actual)).abs();
        customers += 1.0;
    }
    Ok(Backtest {
        model,
        holdout_periods,
        actual_total: actual_cumulative.last().copied().unwrap_or(0.0),
        predicted_total: predicted_cumulative.last().copied().unwrap_or(0.0),
        actual_cumulative,
        predicted_cumulative,
        mae: if customers > 0.0 {
            absolute_error / customers
        } else {
            f64::NAN
        },
        fit,
    })
}
