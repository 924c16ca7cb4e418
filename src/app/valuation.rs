//! Valuing every customer: read the purchases from the store, run the CLV engine
//! (`clv::engine`), record the run and every customer's score. The window runs it as a
//! background job whenever the scores are stale (after an import, an undo, or a change of
//! the owner's economics); the CLI runs it after `import`, in `fit` and in `customers`.
//!
//! Scores are cached: [`scores_are_current`] compares the current run's `inputs_key` with
//! what the data and settings are now, so starting the app never recomputes.

use std::time::Instant;

use chrono::NaiveDate;

use super::Progress;
use crate::clv::engine::{EngineInput, Method, Valuation, value_shop};
use crate::clv::insights::{Insights, InsightsInput};
use crate::clv::purchase::PurchaseModel;
use crate::clv::segments::{Rfm, rfm_segments};
use crate::clv::summary::Period;
use crate::clv::value::ValueSettings;
use crate::domain::{BusinessSettings, CustomerId};
use crate::store::scores::{NewRun, PurchaseHistory, Score};
use crate::store::{Store, StoreError};

/// Bumped when the engine's mathematics changes, so stored scores are recomputed by a new
/// version of the app instead of being trusted (4: runs list the first-purchase sources the
/// chart filter offers; 5: runs record the best fifth's spending threshold).
pub const ENGINE_VERSION: u32 = 5;

/// The owner's economics as the engine reads them (weeks as the model time unit).
pub fn value_settings(settings: &BusinessSettings) -> ValueSettings {
    ValueSettings {
        horizon_months: f64::from(settings.horizon_months),
        monthly_discount: settings.monthly_discount_pct / 100.0,
        margin: settings.margin_pct / 100.0,
        period: Period::Week,
    }
}

/// What a valuation is computed from: the data's state and the economics.
pub fn inputs_key(store: &Store, settings: &BusinessSettings) -> Result<String, StoreError> {
    let v = value_settings(settings);
    Ok(format!(
        "engine {ENGINE_VERSION}; {}; {}; margin {}; discount {}; horizon {} months; {}",
        store.valuation_data_key()?,
        settings.currency.code(),
        v.margin,
        v.monthly_discount,
        v.horizon_months,
        v.period.name()
    ))
}

/// Whether the current run was computed from the data and settings as they are now.
/// A database without orders needs no valuation and counts as current.
pub fn scores_are_current(store: &Store) -> Result<bool, StoreError> {
    let settings = store.business_settings()?;
    let key = inputs_key(store, &settings)?;
    match store.current_run()? {
        Some(run) => Ok(run.run.inputs_key == key),
        None => Ok(store.overview()?.orders == 0),
    }
}

/// The current run as the views show it.
#[derive(Clone, Debug, PartialEq)]
pub struct RunOverview {
    /// Row id of the run.
    pub run_id: i64,
    /// "BG/NBD", or "Simple formulas".
    pub method_label: String,
    /// Why this method, in the owner's words.
    pub reason: String,
    /// When it was computed (seconds since the epoch, UTC).
    pub created_utc: i64,
    /// The day the customers were valued at.
    pub observation_end: NaiveDate,
    /// Shop-level figures.
    pub summary: RunSummary,
    /// The run's `inputs_key`.
    pub inputs_key: String,
}

/// The current run, if any, for the snapshot.
pub fn current_overview(store: &Store) -> Result<Option<RunOverview>, StoreError> {
    Ok(store.current_run()?.map(overview_of))
}

/// The run before the current one, for "what changed since the previous import".
pub fn previous_overview(store: &Store) -> Result<Option<RunOverview>, StoreError> {
    let Some(current) = store.current_run()? else {
        return Ok(None);
    };
    Ok(store.run_before(current.id)?.map(overview_of))
}

fn overview_of(record: crate::store::scores::RunRecord) -> RunOverview {
    RunOverview {
        run_id: record.id,
        method_label: PurchaseModel::from_name(&record.run.model)
            .map_or("Simple formulas", |m| m.label())
            .to_owned(),
        reason: record.run.reason,
        created_utc: record.created_utc,
        observation_end: record.run.observation_end,
        summary: serde_json::from_str(&record.run.summary_json).unwrap_or_default(),
        inputs_key: record.run.inputs_key,
    }
}

/// Choices for one valuation; the defaults are what the app does after an import.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ValuationOptions {
    /// Use this purchase model instead of choosing by backtest.
    pub model: Option<PurchaseModel>,
    /// Model time unit.
    pub period: Period,
    /// Observation end; default the day of the latest purchase.
    pub end: Option<NaiveDate>,
    /// Calibration end of the backtest; default chosen from the history's length.
    pub holdout_from: Option<NaiveDate>,
    /// Replace the stored economics (CLI `--margin`, `--discount-rate`, `--horizon-weeks`).
    pub economics: Option<ValueSettings>,
}

/// A finished valuation with the customer ids its indices refer to.
#[derive(Debug)]
pub struct Computed {
    /// The engine's result; customer `i` is `customer_ids[i]`.
    pub valuation: Valuation,
    /// Customer ids in index order.
    pub customer_ids: Vec<CustomerId>,
    /// The run as it is (or would be) recorded.
    pub run: NewRun,
    /// RFM scores and segment per customer index (`None` for customers who never bought).
    pub segments: Vec<Option<Rfm>>,
}

/// Why a valuation did not finish.
#[derive(Debug, thiserror::Error)]
pub enum ValuationError {
    /// The owner cancelled; nothing was written.
    #[error("the valuation was cancelled; the previous values are kept")]
    Cancelled,
    /// The database could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Runs the engine on the store's purchases. `Ok(None)` when there are no purchases.
/// Progress goes from 0 to 0.8 here; saving takes the rest.
pub fn compute(
    store: &Store,
    options: &ValuationOptions,
    progress: &Progress,
) -> Result<Option<Computed>, ValuationError> {
    Ok(value_stored(store, options, progress)?.map(Valued::described))
}

/// Every customer in the store valued, the run not yet described (see [`Valued`]).
fn value_stored(
    store: &Store,
    options: &ValuationOptions,
    progress: &Progress,
) -> Result<Option<Valued>, ValuationError> {
    let started = Instant::now();
    progress.set(0.02, "Reading orders…");
    let settings = store.business_settings()?;
    let key = inputs_key(store, &settings)?;
    let history = store.purchase_history()?;
    value_from(history, &settings, key, options, progress, started)
}

/// A valuation whose run is not yet described: every customer valued and segmented, but
/// not the shop-level figures and charts of the run's summary. Describing takes about as
/// long as saving the scores does, so [`save_valued`] does the two at once.
#[derive(Debug)]
pub struct Valued {
    valuation: Valuation,
    /// The purchases valued (what the summary's charts are drawn from).
    history: PurchaseHistory,
    segments: Vec<Option<Rfm>>,
    economics: ValueSettings,
    end: NaiveDate,
    inputs_key: String,
    minor_per_major: f64,
    started: Instant,
}

impl Valued {
    /// Records the valuation as computed from `key` (see [`inputs_key`]): an import values
    /// its orders before it commits them, when the key cannot yet be read.
    pub fn set_inputs_key(&mut self, key: String) {
        self.inputs_key = key;
    }

    /// The run to record with an empty summary (`{}`), which [`Valued::summary_json`]
    /// fills in.
    fn run_undescribed(&self) -> NewRun {
        new_run(
            &self.valuation,
            &self.economics,
            "{}".to_owned(),
            self.inputs_key.clone(),
            self.started.elapsed().as_secs_f64(),
            self.end,
        )
    }

    /// The run's shop-level figures and the value charts' data, as stored.
    fn summary_json(&self) -> String {
        let acquisition = &self.history.acquisition;
        let channels: Vec<&str> = acquisition.iter().map(|a| &*a.channel).collect();
        let first_codes: Vec<Option<&str>> =
            acquisition.iter().map(|a| a.coupon.as_deref()).collect();
        let insights = crate::clv::insights::insights(&InsightsInput {
            purchases: &self.history.purchases,
            summaries: &self.valuation.summaries,
            values: &self.valuation.values,
            segments: &self.segments,
            channels: &channels,
            first_codes: &first_codes,
            end: self.end,
            minor_per_major: self.minor_per_major,
        });
        let mut first_sources: Vec<String> = acquisition
            .iter()
            .zip(&self.valuation.summaries)
            .filter(|(a, s)| s.is_acquired() && !a.source.is_empty())
            .map(|(a, _)| a.source.to_string())
            .collect();
        first_sources.sort_unstable();
        first_sources.dedup();
        let summary = run_summary(
            &self.valuation,
            &self.economics,
            self.minor_per_major,
            insights,
            first_sources,
        );
        serde_json::to_string(&summary).unwrap_or_else(|_| "{}".to_owned())
    }

    /// The valuation with `run` as its record.
    fn into_computed(self, run: NewRun) -> Computed {
        Computed {
            valuation: self.valuation,
            customer_ids: self.history.customer_ids,
            run,
            segments: self.segments,
        }
    }

    /// The valuation described, with its run.
    fn described(self) -> Computed {
        let run = NewRun {
            summary_json: self.summary_json(),
            ..self.run_undescribed()
        };
        self.into_computed(run)
    }
}

/// Every customer of `history` valued and segmented, the run not yet described: the
/// purchases read from the store, or gathered by the import that wrote them. `key` is
/// [`inputs_key`] for the data and settings they are (empty when the caller sets it with
/// [`Valued::set_inputs_key`] before saving, as an import not yet committed must).
/// `Ok(None)` when there are no purchases.
pub fn value_from(
    history: PurchaseHistory,
    settings: &BusinessSettings,
    mut key: String,
    options: &ValuationOptions,
    progress: &Progress,
    started: Instant,
) -> Result<Option<Valued>, ValuationError> {
    if *options != ValuationOptions::default() {
        // Not the app's own valuation: the app will see the difference and value again.
        key.push_str(&format!("; options {options:?}"));
    }
    let Some(end) = options.end.or(history.last_day) else {
        return Ok(None);
    };
    let mut economics = options
        .economics
        .unwrap_or_else(|| value_settings(settings));
    economics.period = options.period;
    let minor_per_major = settings.currency.minor_per_major() as f64;
    let input = EngineInput {
        purchases: &history.purchases,
        customers: history.customer_ids.len(),
        end,
        settings: economics,
        model: options.model,
        calibration_end: options.holdout_from,
        minor_per_major,
    };
    let valuation = value_shop(&input, &mut |fraction, what| {
        progress.set(0.05 + 0.75 * fraction, what);
        !progress.is_cancelled()
    })
    .map_err(|_| ValuationError::Cancelled)?;
    progress.set(0.78, "Preparing the charts…");
    let segments = rfm_segments(&valuation.summaries, end);
    Ok(Some(Valued {
        valuation,
        history,
        segments,
        economics,
        end,
        inputs_key: key,
        minor_per_major,
        started,
    }))
}

/// The scores of a computed valuation, one per customer (money in minor units).
pub fn scores(computed: &Computed, minor_per_major: f64, period: Period) -> Vec<Score> {
    score_rows(
        &computed.valuation,
        &computed.customer_ids,
        &computed.segments,
        minor_per_major,
        period,
    )
}

/// One score per customer of `valuation` (customer `i` is `customer_ids[i]`).
fn score_rows(
    valuation: &Valuation,
    customer_ids: &[CustomerId],
    segments: &[Option<Rfm>],
    minor_per_major: f64,
    period: Period,
) -> Vec<Score> {
    let optional = |v: f64| v.is_finite().then_some(v);
    valuation
        .summaries
        .iter()
        .zip(&valuation.values)
        .zip(customer_ids)
        .zip(segments)
        .map(|(((s, v), id), rfm)| Score {
            customer_id: *id,
            frequency: s.frequency,
            recency: s.recency(period),
            t: s.age(period),
            monetary_cents: s.monetary_cents,
            p_alive: optional(v.p_alive).filter(|_| s.is_acquired()),
            expected_purchases: optional(v.expected_purchases).filter(|_| s.is_acquired()),
            expected_spend_cents: optional(v.expected_spend * minor_per_major),
            clv_cents: v.clv * minor_per_major,
            clv_low_cents: optional(v.clv_low * minor_per_major),
            clv_high_cents: optional(v.clv_high * minor_per_major),
            rfm: rfm.map(|r| ([r.r, r.f, r.m], r.segment.label())),
        })
        .collect()
}

/// Computes and records a valuation with the app's defaults; the one-line result for the
/// owner. This is the background job the window starts when the scores are stale.
pub fn value_and_save(store: &mut Store, progress: &Progress) -> anyhow::Result<String> {
    match value_and_save_with(store, &ValuationOptions::default(), progress) {
        Ok(Some(computed)) => Ok(result_words(&computed)),
        Ok(None) => Ok("There are no orders to value yet.".to_owned()),
        Err(ValuationError::Cancelled) => {
            Ok("Valuation cancelled; the previous values are kept.".to_owned())
        }
        Err(e) => Err(e.into()),
    }
}

/// [`compute`], then record the run and its scores in one transaction.
pub fn value_and_save_with(
    store: &mut Store,
    options: &ValuationOptions,
    progress: &Progress,
) -> Result<Option<Computed>, ValuationError> {
    let Some(valued) = value_stored(store, options, progress)? else {
        return Ok(None);
    };
    save_valued(store, valued, options.period, progress).map(Some)
}

/// Records a valuation: its run and every customer's score, in one transaction. The run's
/// summary is described on a second thread while the scores are written (both take tens
/// of milliseconds for tens of thousands of customers), and goes into the run before the
/// commit.
pub fn save_valued(
    store: &mut Store,
    valued: Valued,
    period: Period,
    progress: &Progress,
) -> Result<Computed, ValuationError> {
    let minor = store.business_settings()?.currency.minor_per_major() as f64;
    let rows = score_rows(
        &valued.valuation,
        &valued.history.customer_ids,
        &valued.segments,
        minor,
        period,
    );
    let total = rows.len().max(1);
    progress.set(0.8, "Saving customer values…");
    let saving = Instant::now();
    let mut run = valued.run_undescribed();
    let saved = std::thread::scope(|scope| {
        let valued = &valued;
        // Inline if no thread can start.
        let mut describing = std::thread::Builder::new()
            .name("clv-desk-describe".to_owned())
            .spawn_scoped(scope, move || valued.summary_json())
            .ok();
        let mut described = || match describing.take() {
            // A panic there is a bug: it goes on here, as if it happened here.
            Some(thread) => thread
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            None => valued.summary_json(),
        };
        store.save_run_described(
            &run,
            &rows,
            &mut |done| {
                progress.set(
                    0.8 + 0.2 * done as f32 / total as f32,
                    format!("Saving customer values ({done} of {total})…"),
                );
                !progress.is_cancelled()
            },
            &mut described,
        )
    })?;
    let Some((_, summary_json)) = saved else {
        return Err(ValuationError::Cancelled);
    };
    run.summary_json = summary_json;
    run.seconds += saving.elapsed().as_secs_f64();
    Ok(valued.into_computed(run))
}

/// Customers of `valuation` who have bought (the ones it values).
fn acquired_customers(valuation: &Valuation) -> u64 {
    valuation
        .summaries
        .iter()
        .filter(|s| s.is_acquired())
        .count() as u64
}

/// "Valued 2,000 customers with BG/NBD: average lifetime value …" for the status line.
pub fn result_words(computed: &Computed) -> String {
    let acquired = acquired_customers(&computed.valuation);
    let method = match &computed.valuation.method {
        Method::Model { purchase, .. } => purchase.model.label(),
        Method::Simple => "the simple retention formula",
    };
    format!(
        "Valued {} with {method} in {:.2} s.",
        crate::domain::plural(acquired, "customer", "customers"),
        computed.run.seconds
    )
}

/// Shop-level figures of a run, stored as its `summary_json` and shown on the dashboard.
/// Money in minor units.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct RunSummary {
    /// Customers who have bought (and were valued).
    pub customers_valued: u64,
    /// Customers who bought more than once.
    pub repeat_customers: u64,
    /// Mean lifetime value over the horizon.
    #[serde(deserialize_with = "crate::domain::json::number")]
    pub mean_clv_cents: f64,
    /// Mean of the low ends of the 80% ranges (parameter uncertainty moves every customer's
    /// value the same way, so the ends add up like the values); NaN without ranges.
    #[serde(deserialize_with = "crate::domain::json::number")]
    pub mean_clv_low_cents: f64,
    /// Mean of the high ends.
    #[serde(deserialize_with = "crate::domain::json::number")]
    pub mean_clv_high_cents: f64,
    /// Sum of the customers' lifetime values.
    #[serde(deserialize_with = "crate::domain::json::number")]
    pub total_clv_cents: f64,
    /// Expected purchases by existing customers over the horizon.
    #[serde(deserialize_with = "crate::domain::json::number")]
    pub expected_purchases: f64,
    /// What existing customers are expected to spend over the horizon (undiscounted, before
    /// margin): Σ expected purchases × expected spend per purchase.
    #[serde(deserialize_with = "crate::domain::json::number")]
    pub expected_revenue_cents: f64,
    /// Mean P(alive) of valued customers; NaN for the simple formulas.
    #[serde(deserialize_with = "crate::domain::json::number")]
    pub mean_p_alive: f64,
    /// Horizon in months.
    #[serde(deserialize_with = "crate::domain::json::number")]
    pub horizon_months: f64,
    /// The simple formulas: average order value.
    #[serde(deserialize_with = "crate::domain::json::number")]
    pub average_order_cents: f64,
    /// HubSpot CLV (AOV × purchases per year × lifespan).
    #[serde(deserialize_with = "crate::domain::json::number")]
    pub hubspot_cents: f64,
    /// The retention formula m·r/(1+d−r).
    #[serde(deserialize_with = "crate::domain::json::number")]
    pub retention_formula_cents: f64,
    /// Yearly retention from the data (0–1).
    #[serde(deserialize_with = "crate::domain::json::number")]
    pub yearly_retention: f64,
    /// Holdout error of the chosen model in percent (predicted vs actual), when backtested.
    pub holdout_error_pct: Option<f64>,
    /// The chosen model's backtest as the tracking chart draws it, when one was run.
    pub backtest: Option<BacktestCurve>,
    /// The figures behind the value charts.
    pub insights: Insights,
    /// The platforms customers' first purchases came from, for the charts' filter.
    pub first_sources: Vec<String>,
}

/// Actual and predicted cumulative repeat purchases after the calibration end.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BacktestCurve {
    /// The model that was tested.
    pub model_label: String,
    /// Last day the model was fitted on.
    pub calibration_end: Option<NaiveDate>,
    /// Days per period of the curves (7 for weeks).
    #[serde(deserialize_with = "crate::domain::json::number")]
    pub period_days: f64,
    /// Per period after the calibration end, cumulative repeat purchases that happened.
    #[serde(deserialize_with = "crate::domain::json::numbers")]
    pub actual: Vec<f64>,
    /// The same, predicted.
    #[serde(deserialize_with = "crate::domain::json::numbers")]
    pub predicted: Vec<f64>,
    /// (predicted − actual) / actual over the whole holdout, in percent.
    #[serde(deserialize_with = "crate::domain::json::number")]
    pub error_pct: f64,
}

fn run_summary(
    valuation: &Valuation,
    economics: &ValueSettings,
    minor: f64,
    insights: Insights,
    first_sources: Vec<String>,
) -> RunSummary {
    let valued: Vec<(usize, &crate::clv::value::CustomerValue)> = valuation
        .values
        .iter()
        .enumerate()
        .filter(|(i, _)| valuation.summaries[*i].is_acquired())
        .collect();
    let n = valued.len().max(1) as f64;
    let mean = |f: &dyn Fn(&crate::clv::value::CustomerValue) -> f64| {
        valued.iter().map(|(_, v)| f(v)).sum::<f64>() / n
    };
    let holdout_error_pct = valuation
        .chosen_backtest()
        .map(|b| b.error_pct())
        .filter(|e| e.is_finite());
    RunSummary {
        customers_valued: valued.len() as u64,
        repeat_customers: valuation
            .summaries
            .iter()
            .filter(|s| s.frequency > 0)
            .count() as u64,
        mean_clv_cents: mean(&|v| v.clv) * minor,
        mean_clv_low_cents: mean(&|v| v.clv_low) * minor,
        mean_clv_high_cents: mean(&|v| v.clv_high) * minor,
        total_clv_cents: mean(&|v| v.clv) * n * minor,
        expected_purchases: valued
            .iter()
            .map(|(_, v)| v.expected_purchases)
            .filter(|e| e.is_finite())
            .sum(),
        expected_revenue_cents: valued
            .iter()
            .map(|(_, v)| v.expected_purchases * v.expected_spend)
            .filter(|e| e.is_finite())
            .sum::<f64>()
            * minor,
        mean_p_alive: mean(&|v| v.p_alive),
        horizon_months: economics.horizon_months,
        average_order_cents: valuation.shop.average_order_cents,
        hubspot_cents: valuation.shop.hubspot_cents,
        retention_formula_cents: valuation.shop.retention_formula_cents,
        yearly_retention: valuation.shop.yearly_retention,
        holdout_error_pct,
        backtest: valuation.chosen_backtest().map(|b| BacktestCurve {
            model_label: b.model.label().to_owned(),
            calibration_end: valuation.calibration_end,
            period_days: economics.period.days(),
            actual: b.actual_cumulative.clone(),
            predicted: b.predicted_cumulative.clone(),
            error_pct: b.error_pct(),
        }),
        insights,
        first_sources,
    }
}

fn new_run(
    valuation: &Valuation,
    economics: &ValueSettings,
    summary_json: String,
    inputs_key: String,
    seconds: f64,
    observation_end: NaiveDate,
) -> NewRun {
    match &valuation.method {
        Method::Model {
            purchase,
            spend,
            backtests,
        } => NewRun {
            model: purchase.model.name().to_owned(),
            params_json: params_json(&purchase.model.parameter_names(), &purchase.params),
            log_likelihood: Some(purchase.log_likelihood),
            customers: purchase.customers,
            period: economics.period.name().to_owned(),
            observation_end,
            calibration_end: valuation.calibration_end,
            holdout_json: (!backtests.is_empty())
                .then(|| serde_json::to_string(backtests).unwrap_or_default()),
            converged: purchase.converged,
            iterations: purchase.iterations,
            reason: valuation.reason.clone(),
            inputs_key,
            spend_json: spend.as_ref().map(|s| {
                serde_json::json!({
                    "params": serde_json::from_str::<serde_json::Value>(&params_json(&["p", "q", "gamma"], &s.params)).unwrap_or_default(),
                    "log_likelihood": s.log_likelihood,
                    "customers": s.customers,
                    "converged": s.converged,
                    "iterations": s.iterations,
                })
                .to_string()
            }),
            summary_json,
            seconds,
        },
        Method::Simple => NewRun {
            model: "simple".to_owned(),
            params_json: "{}".to_owned(),
            log_likelihood: None,
            customers: acquired_customers(valuation),
            period: economics.period.name().to_owned(),
            observation_end,
            calibration_end: None,
            holdout_json: None,
            converged: true,
            iterations: 0,
            reason: valuation.reason.clone(),
            inputs_key,
            spend_json: None,
            summary_json,
            seconds,
        },
    }
}

/// `{"r": 0.243, "alpha": 4.414, …}` in the model's parameter order.
pub fn params_json(names: &[&str], values: &[f64]) -> String {
    let object: serde_json::Map<String, serde_json::Value> = names
        .iter()
        .zip(values)
        .map(|(name, value)| ((*name).to_owned(), serde_json::json!(value)))
        .collect();
    serde_json::Value::Object(object).to_string()
}
