//! The CLV subcommands of the command line: `fit`, `fit-summary` and `customers`, and the
//! valuation that follows `import` and `demo`. Output shapes are part of the CLI contract
//! (design §5): a fit's JSON has `model`, `params`, `log_likelihood` (total), `customers`,
//! `converged` and `iterations`.

use std::io::Write as _;
use std::path::Path;
use std::time::Instant;

use chrono::NaiveDate;

use super::{FormatArg, PeriodArg, SummaryModel};
use crate::app::Progress;
use crate::app::valuation::{
    self, Computed, ValuationError, ValuationOptions, params_json, value_settings,
};
use crate::clv::engine::Method;
use crate::clv::fit::{fit_purchase, fit_spend};
use crate::clv::purchase::PurchaseModel;
use crate::clv::summary::Period;
use crate::clv::summary_file::{read_summary_file, summary_spend, summary_triples};
use crate::domain::Currency;
use crate::export::customers_csv::write_customers_csv;
use crate::store::Store;
use crate::store::scores::{CustomerValueRow, ScoreColumns};

/// Values the customers after orders were written (import, demo); the line to print.
pub fn value_after_write(store: &mut Store) -> anyhow::Result<String> {
    valuation::value_and_save(store, &Progress::default())
}

fn period_of(arg: PeriodArg) -> Period {
    match arg {
        PeriodArg::Day => Period::Day,
        PeriodArg::Week => Period::Week,
    }
}

/// `clv-desk fit`.
pub fn fit(
    db_path: &Path,
    model: Option<PurchaseModel>,
    period: PeriodArg,
    end: Option<NaiveDate>,
    holdout_from: Option<NaiveDate>,
    json: bool,
) -> anyhow::Result<()> {
    let mut store = Store::open(db_path)?;
    let options = ValuationOptions {
        model,
        period: period_of(period),
        end,
        holdout_from,
        economics: None,
    };
    if let (Some(end), Some(from)) = (end, holdout_from)
        && from >= end
    {
        anyhow::bail!("--holdout-from {from} must be before --end {end}");
    }
    let computed = match valuation::value_and_save_with(&mut store, &options, &Progress::default())
    {
        Ok(Some(computed)) => computed,
        Ok(None) => anyhow::bail!(
            "{} has no orders from identified customers to fit a model to; import orders first",
            db_path.display()
        ),
        Err(ValuationError::Cancelled) => anyhow::bail!("the fit was cancelled"),
        Err(ValuationError::Store(e)) => return Err(e.into()),
    };
    // Asked for one model and valued otherwise (data too thin for it): said on stderr, so a
    // script reading the JSON's "model" is told too.
    if let Some(asked) = model
        && computed.run.model != asked.name()
    {
        eprintln!(
            "clv-desk: {} was asked for but not fitted: {}",
            asked.name(),
            computed.run.reason
        );
    }
    let report = fit_json(&computed);
    if json {
        say!("{report}");
    } else {
        for line in fit_lines(&computed) {
            say!("{line}");
        }
    }
    Ok(())
}

/// The JSON object of a database fit.
fn fit_json(computed: &Computed) -> serde_json::Value {
    let run = &computed.run;
    let params: serde_json::Value =
        serde_json::from_str(&run.params_json).unwrap_or(serde_json::json!({}));
    let spend: serde_json::Value = run
        .spend_json
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or(serde_json::Value::Null);
    let holdout = computed
        .valuation
        .chosen_backtest()
        .map(|b| {
            serde_json::json!({
                "calibration_end": run.calibration_end.map(|d| d.to_string()),
                "periods": b.holdout_periods,
                "actual_repeat_purchases": b.actual_total,
                "predicted_repeat_purchases": b.predicted_total,
                "error_pct": b.error_pct(),
                "mae_per_customer": b.mae,
                "actual_cumulative": b.actual_cumulative,
                "predicted_cumulative": b.predicted_cumulative,
            })
        })
        .unwrap_or(serde_json::Value::Null);
    serde_json::json!({
        "model": run.model,
        "params": params,
        "log_likelihood": run.log_likelihood,
        "customers": run.customers,
        "converged": run.converged,
        "iterations": run.iterations,
        "period": run.period,
        "observation_end": run.observation_end.to_string(),
        "spend": spend,
        "holdout": holdout,
        "reason": run.reason,
        "seconds": run.seconds,
    })
}

fn fit_lines(computed: &Computed) -> Vec<String> {
    let run = &computed.run;
    let mut lines = vec![format!(
        "Valued {} at {} ({} as the time unit).",
        crate::domain::plural(run.customers, "customer", "customers"),
        run.observation_end,
        run.period
    )];
    match &computed.valuation.method {
        Method::Model {
            purchase, spend, ..
        } => {
            lines.push(format!(
                "{}: {} — log-likelihood {:.2}, {} after {} iterations.",
                purchase.model.label(),
                params_words(&purchase.model.parameter_names(), &purchase.params),
                purchase.log_likelihood,
                converged_words(purchase.converged),
                purchase.iterations
            ));
            match spend {
                Some(s) => lines.push(format!(
                    "Gamma-Gamma spend: {} — log-likelihood {:.2} over {} repeat customers, {}.",
                    params_words(&["p", "q", "gamma"], &s.params),
                    s.log_likelihood,
                    s.customers,
                    converged_words(s.converged)
                )),
                None => lines.push("Spend per order: the shop's average order value.".to_owned()),
            }
        }
        Method::Simple => lines.push("Method: the simple retention formula.".to_owned()),
    }
    lines.push(run.reason.clone());
    lines
}

fn params_words(names: &[&str], values: &[f64]) -> String {
    names
        .iter()
        .zip(values)
        .map(|(n, v)| format!("{n} = {v:.4}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn converged_words(converged: bool) -> &'static str {
    if converged {
        "converged"
    } else {
        "NOT converged"
    }
}

/// `clv-desk fit-summary`.
pub fn fit_summary(file: &Path, model: SummaryModel, json: bool) -> anyhow::Result<()> {
    let rows = read_summary_file(file)?;
    let report = match model {
        SummaryModel::Purchase(model) => {
            let triples = summary_triples(&rows);
            let clock = Instant::now();
            let fit = fit_purchase(model, &triples)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let seconds = clock.elapsed().as_secs_f64();
            serde_json::json!({
                "model": model.name(),
                "params": json_object(&params_json(&model.parameter_names(), &fit.params)),
                "log_likelihood": fit.log_likelihood,
                "customers": fit.customers,
                "distinct_triples": triples.len(),
                "converged": fit.converged,
                "iterations": fit.iterations,
                "seconds": seconds,
            })
        }
        SummaryModel::GammaGamma => {
            if rows.iter().all(|r| r.monetary_value.is_none()) {
                anyhow::bail!(
                    "{}: gamma-gamma needs a monetary_value column (mean value of the repeat purchases)",
                    file.display()
                );
            }
            let spend = summary_spend(&rows);
            let clock = Instant::now();
            let fit = fit_spend(&spend).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let seconds = clock.elapsed().as_secs_f64();
            serde_json::json!({
                "model": "gamma-gamma",
                "params": json_object(&params_json(&["p", "q", "gamma"], &fit.params)),
                "log_likelihood": fit.log_likelihood,
                "customers": fit.customers,
                "converged": fit.converged,
                "iterations": fit.iterations,
                "seconds": seconds,
            })
        }
    };
    if json {
        say!("{report}");
    } else {
        say!(
            "{}: {} — log-likelihood {:.4} over {} customers, {} after {} iterations ({:.1} ms).",
            report["model"].as_str().unwrap_or_default(),
            report["params"]
                .as_object()
                .map(|o| o
                    .iter()
                    .map(|(k, v)| format!("{k} = {:.4}", v.as_f64().unwrap_or(f64::NAN)))
                    .collect::<Vec<_>>()
                    .join(", "))
                .unwrap_or_default(),
            report["log_likelihood"].as_f64().unwrap_or(f64::NAN),
            report["customers"],
            if report["converged"].as_bool() == Some(true) {
                "converged"
            } else {
                "NOT converged"
            },
            report["iterations"],
            report["seconds"].as_f64().unwrap_or(0.0) * 1000.0
        );
    }
    Ok(())
}

fn json_object(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or(serde_json::json!({}))
}

/// `clv-desk customers`.
pub fn customers(
    db_path: &Path,
    format: FormatArg,
    horizon_weeks: Option<f64>,
    discount_rate: Option<f64>,
    margin: Option<f64>,
) -> anyhow::Result<()> {
    if let Some(weeks) = horizon_weeks
        && !(weeks.is_finite() && weeks > 0.0 && weeks <= 520.0)
    {
        anyhow::bail!("--horizon-weeks {weeks} must be more than 0 and at most 520 (ten years)");
    }
    let mut store = Store::open(db_path)?;
    let settings = store.business_settings()?;
    let currency = settings.currency;
    let overridden = horizon_weeks.is_some() || discount_rate.is_some() || margin.is_some();
    let mut rows = if overridden {
        // The owner's own figures stay as they are: value in memory with these economics.
        let mut economics = value_settings(&settings);
        if let Some(weeks) = horizon_weeks {
            economics.horizon_months = weeks * 7.0 / (365.25 / 12.0);
        }
        if let Some(rate) = discount_rate {
            economics.monthly_discount = rate;
        }
        if let Some(m) = margin {
            economics.margin = m;
        }
        let options = ValuationOptions {
            economics: Some(economics),
            ..ValuationOptions::default()
        };
        let computed = valuation::compute(&store, &options, &Progress::default())
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut rows = store.customer_values()?;
        if let Some(computed) = computed {
            replace_scores(&mut rows, &computed, currency);
        }
        rows
    } else {
        if !valuation::scores_are_current(&store)? {
            eprintln!("clv-desk: {}", value_after_write(&mut store)?);
        }
        store.customer_values()?
    };
    rows.retain(|r| r.orders > 0 || r.score.is_some());
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match format {
        FormatArg::Csv => write_customers_csv(&mut out, rows.iter(), currency)?,
        FormatArg::Json => {
            let values: Vec<serde_json::Value> =
                rows.iter().map(|r| customer_json(r, currency)).collect();
            serde_json::to_writer(&mut out, &values)?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(())
}

/// Puts the scores of an in-memory valuation into the rows read from the store.
fn replace_scores(rows: &mut [CustomerValueRow], computed: &Computed, currency: Currency) {
    let minor = currency.minor_per_major() as f64;
    let period = Period::Week;
    let scores = valuation::scores(computed, minor, period);
    for row in rows.iter_mut() {
        let Ok(index) = computed
            .customer_ids
            .binary_search(&crate::domain::CustomerId(row.id))
        else {
            continue;
        };
        let s = scores[index];
        row.score = Some(ScoreColumns {
            frequency: s.frequency,
            recency: s.recency,
            t: s.t,
            monetary_value_cents: s.monetary_cents,
            p_alive: s.p_alive,
            expected_purchases: s.expected_purchases,
            predicted_clv_cents: s.clv_cents,
            clv_low_cents: s.clv_low_cents,
            clv_high_cents: s.clv_high_cents,
            segment: s.rfm.map(|(_, segment)| segment.to_owned()),
        });
    }
}

fn customer_json(row: &CustomerValueRow, currency: Currency) -> serde_json::Value {
    let major = |cents: f64| cents / currency.minor_per_major() as f64;
    let finite = |v: Option<f64>| v.filter(|v| v.is_finite());
    let score = row.score.as_ref();
    serde_json::json!({
        "customer_id": row.id,
        "customer_key": row.customer_key,
        "name": row.name,
        "email": row.email,
        "orders": row.orders,
        "first_order": row.first_order,
        "last_order": row.last_order,
        "revenue": major(row.revenue_cents as f64),
        "revenue_minor": row.revenue_cents,
        "currency": currency.code(),
        "frequency": score.map(|s| s.frequency),
        "recency": score.map(|s| s.recency),
        "T": score.map(|s| s.t),
        "monetary_value": score.map(|s| major(s.monetary_value_cents)),
        "p_alive": score.and_then(|s| finite(s.p_alive)),
        "expected_purchases": score.and_then(|s| finite(s.expected_purchases)),
        "predicted_clv": score.map(|s| major(s.predicted_clv_cents)),
        "clv_low": score.and_then(|s| finite(s.clv_low_cents)).map(major),
        "clv_high": score.and_then(|s| finite(s.clv_high_cents)).map(major),
        "segment": score.and_then(|s| s.segment.clone()),
    })
}
