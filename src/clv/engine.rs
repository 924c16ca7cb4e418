//! The CLV engine from purchases to a value for every customer: the summary, the simple
//! formulas, the choice of purchase model (by holdout error when the history allows, by
//! BIC otherwise), the fits, and the valuation — or, when the data is too thin for a model,
//! the simple formulas with the reason in words. It never refuses to give a number.

use chrono::{Duration, NaiveDate};

use super::backtest::{Backtest, backtest, backtest_on};
use super::fit::{PurchaseFit, SpendFit, fit_purchase, fit_spend};
use super::purchase::PurchaseModel;
use super::simple::{ShopFormulas, fallback_value, shop_formulas};
use super::spend::SpendHistory;
use super::summary::{CustomerSummary, Purchase, Triple, distinct_triples, split, summarise};
use super::value::{CustomerValue, ValueSettings, value_customers_keyed};

/// Fewer repeat customers than this and the models are not trusted.
pub const MIN_REPEAT_CUSTOMERS: usize = 50;

/// Less history than this (days) and the models are not trusted.
pub const MIN_HISTORY_DAYS: i64 = 91;

/// History from which a holdout backtest chooses the model (days): half a year.
pub const BACKTEST_HISTORY_DAYS: i64 = 182;

/// What to value, and how.
#[derive(Clone, Debug)]
pub struct EngineInput<'a> {
    /// Every purchase (customer index, day, value in minor units).
    pub purchases: &'a [Purchase],
    /// Number of customers (indices are 0..customers).
    pub customers: usize,
    /// Observation end.
    pub end: NaiveDate,
    /// The owner's economics.
    pub settings: ValueSettings,
    /// Use this purchase model instead of choosing.
    pub model: Option<PurchaseModel>,
    /// Backtest with this calibration end instead of the automatic one.
    pub calibration_end: Option<NaiveDate>,
    /// Minor units per major unit of the currency (100 for cents).
    pub minor_per_major: f64,
}

/// How the values were made.
#[derive(Clone, Debug)]
pub enum Method {
    /// A fitted purchase model with Gamma-Gamma spend.
    Model {
        /// The purchase model, fitted on all the data.
        purchase: PurchaseFit,
        /// The spend model, when there were enough repeat customers with spend.
        spend: Option<SpendFit>,
        /// Backtests that chose the model (empty when chosen by BIC or by the owner).
        backtests: Vec<Backtest>,
    },
    /// The simple formulas (data too thin for a model).
    Simple,
}

/// Every customer's value and how it was made.
#[derive(Clone, Debug)]
pub struct Valuation {
    /// The customers' summaries at the observation end.
    pub summaries: Vec<CustomerSummary>,
    /// Shop-level simple formulas.
    pub shop: ShopFormulas,
    /// Model or formulas.
    pub method: Method,
    /// Why, in words an owner reads.
    pub reason: String,
    /// One value per customer index.
    pub values: Vec<CustomerValue>,
    /// The calibration end of the backtest, if one was run.
    pub calibration_end: Option<NaiveDate>,
}

impl Valuation {
    /// The backtest of the model the values use, when one was run.
    pub fn chosen_backtest(&self) -> Option<&Backtest> {
        match &self.method {
            Method::Model {
                purchase,
                backtests,
                ..
            } => backtests.iter().find(|b| b.model == purchase.model),
            Method::Simple => None,
        }
    }
}

/// Why the engine stopped.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// The owner cancelled.
    #[error("the valuation was cancelled")]
    Cancelled,
}

/// Values every customer. `progress(fraction, what)` is called between steps; returning
/// `false` cancels.
pub fn value_shop(
    input: &EngineInput<'_>,
    progress: &mut dyn FnMut(f32, &str) -> bool,
) -> Result<Valuation, EngineError> {
    let settings = input.settings;
    let step = |p: &mut dyn FnMut(f32, &str) -> bool, f: f32, what: &str| {
        if p(f, what) {
            Ok(())
        } else {
            Err(EngineError::Cancelled)
        }
    };
    step(progress, 0.0, "Summarising purchases…")?;
    let summaries = summarise(input.purchases, input.customers, input.end);
    let shop = shop_formulas(
        &summaries,
        input.end,
        settings.margin,
        settings.monthly_discount,
    );
    let repeaters = summaries.iter().filter(|s| s.frequency > 0).count();
    if let Some(reason) = thin_data_reason(repeaters, shop.history_days) {
        return Ok(simple_valuation(
            summaries,
            shop,
            reason,
            &settings,
            input.minor_per_major,
        ));
    }

    // Every customer's (x, tₓ, T), grouped once for the model choice, the fit and the values.
    let all = distinct_triples(&summaries, settings.period);
    step(progress, 0.1, "Choosing a model…")?;
    let (model, backtests, calibration_end, mut choice_reason) =
        choose_model(input, &summaries, &all.triples, progress)?;
    step(progress, 0.6, "Fitting the model to all orders…")?;
    let all_triples = &all.triples;
    let purchase = match fit_purchase(model, all_triples) {
        Ok(fit) if fit.converged => fit,
        _ => {
            // Try the others before giving up on models.
            let other = PurchaseModel::ALL
                .into_iter()
                .filter(|m| *m != model)
                .find_map(|m| fit_purchase(m, all_triples).ok().filter(|f| f.converged));
            match other {
                Some(fit) => {
                    choice_reason = format!(
                        "{} is used: {} did not settle on a fit to all your orders. {choice_reason}",
                        fit.model.label(),
                        model.label()
                    );
                    fit
                }
                None => {
                    let reason = "The purchase models could not be fitted to these orders, so the values use the simple retention formula.".to_owned();
                    return Ok(simple_valuation(
                        summaries,
                        shop,
                        reason,
                        &settings,
                        input.minor_per_major,
                    ));
                }
            }
        }
    };
    step(progress, 0.75, "Fitting spend per order…")?;
    let spend_data: Vec<SpendHistory> = summaries
        .iter()
        .filter(|s| s.frequency > 0 && s.monetary_cents > 0.0)
        .map(|s| SpendHistory {
            x: f64::from(s.frequency),
            mean: s.monetary_cents / input.minor_per_major,
        })
        .collect();
    let spend = if spend_data.len() >= 20 {
        fit_spend(&spend_data).ok().filter(|f| f.converged)
    } else {
        None
    };
    let average_order = shop.average_order_cents / input.minor_per_major;
    step(progress, 0.85, "Valuing customers…")?;
    let values = value_customers_keyed(
        &purchase,
        spend.as_ref(),
        &summaries,
        &all,
        &settings,
        input.minor_per_major,
        average_order,
    );
    let mut reason = choice_reason;
    if spend.is_none() {
        reason.push_str(" Too few customers have bought twice to learn how spend varies, so every customer is valued at the average order value.");
    }
    step(progress, 1.0, "Done")?;
    Ok(Valuation {
        summaries,
        shop,
        method: Method::Model {
            purchase,
            spend,
            backtests,
        },
        reason,
        values,
        calibration_end,
    })
}

/// The words for data too thin for a model, or `None`.
pub fn thin_data_reason(repeat_customers: usize, history_days: i64) -> Option<String> {
    if history_days < MIN_HISTORY_DAYS {
        return Some(format!(
            "Your orders cover {}; a model needs at least 3 months of history to tell regular customers from one-off buyers. Until then the values use the simple retention formula.",
            crate::domain::plural(history_days.max(0).unsigned_abs(), "day", "days")
        ));
    }
    if repeat_customers < MIN_REPEAT_CUSTOMERS {
        return Some(format!(
            "Only {} bought more than once; a model needs about {MIN_REPEAT_CUSTOMERS} to learn how often people come back. Until then the values use the simple retention formula.",
            crate::domain::plural(repeat_customers as u64, "customer has", "customers have")
        ));
    }
    None
}

fn simple_valuation(
    summaries: Vec<CustomerSummary>,
    shop: ShopFormulas,
    reason: String,
    settings: &ValueSettings,
    minor_per_major: f64,
) -> Valuation {
    let value_at = |s: &CustomerSummary, retention: f64| {
        fallback_value(
            s,
            retention,
            settings.margin,
            settings.monthly_discount,
            settings.horizon_months,
        ) / minor_per_major
    };
    // The range: the same formula at the ends of the retention rate's 80% interval.
    let values = summaries
        .iter()
        .map(|s| CustomerValue {
            p_alive: f64::NAN,
            expected_purchases: f64::NAN,
            expected_spend: shop.average_order_cents / minor_per_major,
            clv: value_at(s, shop.yearly_retention),
            clv_low: value_at(s, shop.yearly_retention_low),
            clv_high: value_at(s, shop.yearly_retention_high),
        })
        .collect();
    Valuation {
        summaries,
        shop,
        method: Method::Simple,
        reason,
        values,
        calibration_end: None,
    }
}

type Choice = (PurchaseModel, Vec<Backtest>, Option<NaiveDate>, String);

/// The owner's model, or the one with the smallest holdout error, or by BIC.
fn choose_model(
    input: &EngineInput<'_>,
    summaries: &[CustomerSummary],
    all: &[Triple],
    progress: &mut dyn FnMut(f32, &str) -> bool,
) -> Result<Choice, EngineError> {
    let period = input.settings.period;
    if let Some(model) = input.model {
        // The owner's model; with an explicit calibration end it is still backtested, so
        // its holdout error is reported.
        let mut backtests = Vec::new();
        let mut reason = format!("{} was chosen by you.", model.label());
        if let Some(calibration_end) = input.calibration_end {
            let split = split(input.purchases, input.customers, calibration_end, input.end);
            if let Ok(test) = backtest(model, &split, period) {
                reason = backtest_reason(&test, &[], calibration_end, input.end).replacen(
                    " predicted",
                    " (chosen by you) predicted",
                    1,
                );
                backtests.push(test);
            }
        }
        let calibration_end = input.calibration_end.filter(|_| !backtests.is_empty());
        return Ok((model, backtests, calibration_end, reason));
    }
    let first = summaries
        .iter()
        .filter_map(|s| s.first_day)
        .min()
        .unwrap_or(input.end);
    let history_days = (input.end - first).num_days();
    let calibration_end = input.calibration_end.or_else(|| {
        (history_days >= BACKTEST_HISTORY_DAYS).then(|| {
            let holdout = (history_days / 4).clamp(56, 364);
            input.end - Duration::days(holdout)
        })
    });
    if let Some(calibration_end) = calibration_end {
        let split = split(input.purchases, input.customers, calibration_end, input.end);
        let calibration_repeaters = split.calibration.iter().filter(|s| s.frequency > 0).count();
        if calibration_repeaters >= MIN_REPEAT_CUSTOMERS {
            let keyed = distinct_triples(&split.calibration, period);
            let test = |model| backtest_on(model, &split, &keyed, period);
            // Pareto/NBD, the slowest, on a second core while the other two run here.
            let (results, cancelled) = std::thread::scope(|scope| {
                let pareto = scope.spawn(|| test(PurchaseModel::ParetoNbd));
                let mut results = Vec::new();
                let mut cancelled = false;
                for (i, model) in [PurchaseModel::BgNbd, PurchaseModel::MbgNbd]
                    .into_iter()
                    .enumerate()
                {
                    if !progress(
                        0.1 + 0.2 * i as f32,
                        &format!("Testing {} on past orders…", model.label()),
                    ) {
                        cancelled = true;
                        break;
                    }
                    results.push(test(model));
                }
                results.push(
                    pareto
                        .join()
                        .unwrap_or(Err(super::fit::FitError::Undefined)),
                );
                (results, cancelled)
            });
            if cancelled {
                return Err(EngineError::Cancelled);
            }
            let backtests: Vec<Backtest> = results
                .into_iter()
                .filter_map(Result::ok)
                .filter(|test| test.fit.converged && test.mae.is_finite())
                .collect();
            if let Some(best) = preferred_backtest(&backtests) {
                let model = best.model;
                let reason = backtest_reason(best, &backtests, calibration_end, input.end);
                return Ok((model, backtests, Some(calibration_end), reason));
            }
        }
    }
    // Not enough history for a holdout: the Bayesian information criterion on all data.
    let n: f64 = all.iter().map(|t| t.count).sum();
    let mut scored: Vec<(PurchaseModel, f64)> = PurchaseModel::ALL
        .into_iter()
        .filter_map(|m| {
            fit_purchase(m, all)
                .ok()
                .filter(|f| f.converged)
                .map(|f| (m, -2.0 * f.log_likelihood + 4.0 * n.ln()))
        })
        .collect();
    scored.sort_by(|a, b| a.1.total_cmp(&b.1));
    let Some(&(model, bic)) = scored.first() else {
        return Ok((
            PurchaseModel::BgNbd,
            Vec::new(),
            None,
            "BG/NBD is used (the standard model).".to_owned(),
        ));
    };
    let others: Vec<String> = scored
        .iter()
        .skip(1)
        .map(|(m, b)| format!("{} {:.0}", m.label(), b))
        .collect();
    let reason = format!(
        "{} fits your orders best (BIC {:.0}; {}). There is not yet enough history to test the models on a holdout period.",
        model.label(),
        bic,
        others.join(", ")
    );
    Ok((model, Vec::new(), None, reason))
}

/// Holdout errors within this share of the best are treated as a tie.
pub const TIE_SHARE: f64 = 0.01;

/// The backtest whose model is used: among fits whose parameters are pinned down by the
/// data (a covariance exists; a fit that ran off to a boundary, such as Pareto/NBD with s
/// and β growing without bound, has none), the smallest per-customer holdout error; errors
/// within [`TIE_SHARE`] of it are a tie, won by the simpler model (BG/NBD, then MBG/NBD,
/// then Pareto/NBD), because a difference that small is noise, not evidence.
pub fn preferred_backtest(backtests: &[Backtest]) -> Option<&Backtest> {
    let identified: Vec<&Backtest> = backtests
        .iter()
        .filter(|b| b.fit.covariance.is_some())
        .collect();
    let pool: Vec<&Backtest> = if identified.is_empty() {
        backtests.iter().collect()
    } else {
        identified
    };
    let best_mae = pool.iter().map(|b| b.mae).min_by(f64::total_cmp)?;
    let rank = |m: PurchaseModel| PurchaseModel::ALL.iter().position(|x| *x == m);
    pool.into_iter()
        .filter(|b| b.mae <= best_mae * (1.0 + TIE_SHARE))
        .min_by_key(|b| rank(b.model))
}

fn backtest_reason(
    best: &Backtest,
    all: &[Backtest],
    calibration_end: NaiveDate,
    end: NaiveDate,
) -> String {
    let weeks = ((end - calibration_end).num_days() as f64 / 7.0).round();
    let others: Vec<String> = all
        .iter()
        .filter(|b| b.model != best.model)
        .map(|b| {
            format!(
                "{} {:+.1}%, {:.2} per customer",
                b.model.label(),
                b.error_pct(),
                b.mae
            )
        })
        .collect();
    let tie = all
        .iter()
        .any(|b| b.model != best.model && b.mae < best.mae);
    let verdict = if tie {
        format!(
            "{} is used: the models predicted the last {weeks:.0} weeks of repeat purchases about equally well (within {:.0}%), and it is the simplest. Fitted on the orders before {}, it was",
            best.model.label(),
            100.0 * TIE_SHARE,
            calibration_end.format("%-d %b %Y")
        )
    } else {
        format!(
            "{} predicted the last {weeks:.0} weeks of repeat purchases best when fitted on the orders before {}:",
            best.model.label(),
            calibration_end.format("%-d %b %Y")
        )
    };
    format!(
        "{verdict} {:+.1}% in total ({:.0} predicted, {:.0} actual), off by {:.2} purchases per customer on average{}.",
        best.error_pct(),
        best.predicted_total,
        best.actual_total,
        best.mae,
        if others.is_empty() {
            String::new()
        } else {
            format!(" ({})", others.join("; "))
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_of(model: PurchaseModel, mae: f64, identified: bool) -> Backtest {
        Backtest {
            model,
            fit: PurchaseFit {
                model,
                params: [1.0; 4],
                log_likelihood: -1.0,
                customers: 1,
                converged: true,
                iterations: 1,
                covariance: identified.then(|| vec![vec![0.0; 4]; 4]),
            },
            holdout_periods: 1,
            actual_cumulative: Vec::new(),
            predicted_cumulative: Vec::new(),
            mae,
            actual_total: 1.0,
            predicted_total: 1.0,
        }
    }

    fn chosen(maes: [f64; 3], identified: [bool; 3]) -> PurchaseModel {
        let tests: Vec<Backtest> = PurchaseModel::ALL
            .into_iter()
            .zip(maes.into_iter().zip(identified))
            .map(|(m, (mae, id))| test_of(m, mae, id))
            .collect();
        preferred_backtest(&tests).map(|b| b.model).unwrap()
    }

    #[test]
    fn the_lowest_error_wins_ties_go_to_the_simplest_and_runaway_fits_lose() {
        use PurchaseModel::*;
        assert_eq!(chosen([1.2, 1.0, 0.9], [true; 3]), ParetoNbd);
        assert_eq!(chosen([1.2, 0.9, 1.0], [true; 3]), MbgNbd);
        // Within 1% of the best: noise, so the simplest.
        assert_eq!(chosen([0.999, 0.995, 0.990], [true; 3]), BgNbd);
        assert_eq!(chosen([1.2, 0.905, 0.9], [true; 3]), MbgNbd);
        // A fit whose parameters the data does not pin down is not used while another is.
        assert_eq!(chosen([1.2, 1.0, 0.5], [true, true, false]), MbgNbd);
        assert_eq!(chosen([1.2, 1.0, 0.5], [false; 3]), ParetoNbd);
    }
}
