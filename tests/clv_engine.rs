//! The CLV engine on simulated shops whose true parameters are known: fits recover them,
//! the 80% ranges cover the value computed with the true parameters about 80% of the time,
//! thin data falls back to the formulas with the reason said, the model is chosen by its
//! holdout error; and on CDNOW the holdout tracking matches the reference curve.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use chrono::{Duration, NaiveDate};
use clv_desk::clv::engine::{EngineInput, Method, TIE_SHARE, value_shop};
use clv_desk::clv::fit::{fit_purchase, fit_spend};
use clv_desk::clv::purchase::PurchaseModel;
use clv_desk::clv::simulate::{
    Dropout, PurchaseProcess, SimulatedCustomer, SpendProcess, daily_purchases, simulate_customers,
};
use clv_desk::clv::spend::SpendHistory;
use clv_desk::clv::summary::{Period, Purchase, Triple, summarise};
use clv_desk::clv::value::{ValueSettings, value_customers};
use rand::SeedableRng as _;
use rand::rngs::Xoshiro256PlusPlus;

const SPEND: SpendProcess = SpendProcess {
    p: 6.0,
    q: 4.0,
    gamma: 40.0,
};

fn start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 1, 1).unwrap()
}

/// Simulated customers as daily purchases (as a shop's export would have them).
fn purchases(customers: &[SimulatedCustomer]) -> Vec<Purchase> {
    daily_purchases(customers, start())
}

fn simulate(process: PurchaseProcess, customers: usize, seed: u64) -> Vec<SimulatedCustomer> {
    // Acquired over the first year, observed for two.
    simulate_customers(
        process,
        SPEND,
        customers,
        52.0,
        104.0,
        &mut Xoshiro256PlusPlus::seed_from_u64(seed),
    )
    .unwrap()
}

fn end() -> NaiveDate {
    start() + Duration::days(104 * 7)
}

#[test]
fn fits_recover_the_parameters_of_20000_simulated_customers() {
    let cases = [
        (
            PurchaseModel::BgNbd,
            PurchaseProcess {
                r: 0.5,
                alpha: 6.0,
                a: 0.9,
                b: 2.5,
                dropout: Dropout::AfterRepeatPurchases,
            },
        ),
        (
            PurchaseModel::MbgNbd,
            PurchaseProcess {
                r: 0.5,
                alpha: 6.0,
                a: 0.9,
                b: 2.5,
                dropout: Dropout::AfterEveryPurchase,
            },
        ),
        (
            PurchaseModel::ParetoNbd,
            PurchaseProcess {
                r: 0.6,
                alpha: 8.0,
                a: 0.7,
                b: 12.0,
                dropout: Dropout::ExponentialLifetime,
            },
        ),
    ];
    for (i, (model, truth)) in cases.into_iter().enumerate() {
        let customers = simulate(truth, 20_000, 100 + i as u64);
        let summaries = summarise(&purchases(&customers), customers.len(), end());
        let triples = clv_desk::clv::summary::triples(&summaries, Period::Week);
        let fit = fit_purchase(model, &triples).unwrap();
        assert!(fit.converged, "{model:?}: {fit:?}");
        let true_params = [truth.r, truth.alpha, truth.a, truth.b];
        let cov = fit.covariance.clone().unwrap();
        for k in 0..4 {
            // Stated tolerance: within 4 standard errors (from the fit's own covariance) and
            // within 25% of the true value.
            let se = cov[k][k].sqrt();
            let log_error = (fit.params[k] / true_params[k]).ln();
            println!(
                "{model:?} {}: true {} fitted {:.4} (se {:.3} on log scale)",
                model.parameter_names()[k],
                true_params[k],
                fit.params[k],
                se
            );
            assert!(
                log_error.abs() < 4.0 * se,
                "{model:?} {}: {} vs {} (se {se})",
                model.parameter_names()[k],
                fit.params[k],
                true_params[k]
            );
            assert!(
                log_error.abs() < 0.25,
                "{model:?} {}: {} vs {}",
                model.parameter_names()[k],
                fit.params[k],
                true_params[k]
            );
        }
    }
    // Gamma-Gamma on the spend of the same kind of shop.
    let customers = simulate(cases[0].1, 20_000, 7);
    let summaries = summarise(&purchases(&customers), customers.len(), end());
    let spend: Vec<SpendHistory> = summaries
        .iter()
        .filter(|s| s.frequency > 0 && s.monetary_cents > 0.0)
        .map(|s| SpendHistory {
            x: f64::from(s.frequency),
            mean: s.monetary_cents / 100.0,
        })
        .collect();
    let fit = fit_spend(&spend).unwrap();
    let truth = [SPEND.p, SPEND.q, SPEND.gamma];
    let cov = fit.covariance.clone().unwrap();
    for k in 0..3 {
        let se = cov[k][k].sqrt();
        let log_error = (fit.params[k] / truth[k]).ln();
        println!(
            "Gamma-Gamma {k}: true {} fitted {:.3} (se {se:.3})",
            truth[k], fit.params[k]
        );
        assert!(
            log_error.abs() < 4.0 * se && log_error.abs() < 0.25,
            "{k}: {} vs {}",
            fit.params[k],
            truth[k]
        );
    }
}

#[test]
fn eighty_percent_ranges_cover_the_true_value_eighty_percent_of_the_time() {
    // Many small shops from known parameters; each customer's range (from the fit's
    // parameter uncertainty) is checked against the value computed with the true
    // parameters given the same history.
    let truth = PurchaseProcess {
        r: 0.5,
        alpha: 6.0,
        a: 0.9,
        b: 2.5,
        dropout: Dropout::AfterRepeatPurchases,
    };
    let settings = ValueSettings {
        horizon_months: 6.0,
        monthly_discount: 0.01,
        margin: 0.3,
        period: Period::Week,
    };
    let true_fit = clv_desk::clv::fit::PurchaseFit {
        model: PurchaseModel::BgNbd,
        params: [truth.r, truth.alpha, truth.a, truth.b],
        log_likelihood: 0.0,
        customers: 0,
        converged: true,
        iterations: 0,
        covariance: None,
    };
    let true_spend = clv_desk::clv::fit::SpendFit {
        params: [SPEND.p, SPEND.q, SPEND.gamma],
        log_likelihood: 0.0,
        customers: 0,
        converged: true,
        iterations: 0,
        covariance: None,
    };
    let (mut covered, mut total) = (0u64, 0u64);
    let shops = 120;
    for shop in 0..shops {
        let customers = simulate(truth, 1500, 10_000 + shop);
        let summaries = summarise(&purchases(&customers), customers.len(), end());
        let triples: Vec<Triple> = clv_desk::clv::summary::triples(&summaries, Period::Week);
        let fit = fit_purchase(PurchaseModel::BgNbd, &triples).unwrap();
        let spend: Vec<SpendHistory> = summaries
            .iter()
            .filter(|s| s.frequency > 0 && s.monetary_cents > 0.0)
            .map(|s| SpendHistory {
                x: f64::from(s.frequency),
                mean: s.monetary_cents / 100.0,
            })
            .collect();
        let spend_fit = fit_spend(&spend).unwrap();
        // Every fourth customer keeps the test quick; all are valued the same way.
        let sample: Vec<_> = summaries.iter().copied().step_by(4).collect();
        let estimated = value_customers(&fit, Some(&spend_fit), &sample, &settings, 100.0, 50.0);
        let true_values = value_customers(
            &true_fit,
            Some(&true_spend),
            &sample,
            &settings,
            100.0,
            50.0,
        );
        for (e, t) in estimated.iter().zip(&true_values) {
            if !e.clv_low.is_finite() {
                continue;
            }
            total += 1;
            if e.clv_low <= t.clv && t.clv <= e.clv_high {
                covered += 1;
            }
        }
    }
    let coverage = covered as f64 / total as f64;
    println!(
        "coverage {:.1}% of {total} ranges over {shops} shops",
        100.0 * coverage
    );
    assert!(
        (coverage - 0.8).abs() <= 0.03,
        "80% ranges covered {:.1}%",
        100.0 * coverage
    );
}

fn engine_input(purchases: &[Purchase], customers: usize, end: NaiveDate) -> EngineInput<'_> {
    EngineInput {
        purchases,
        customers,
        end,
        settings: ValueSettings {
            horizon_months: 12.0,
            monthly_discount: 0.01,
            margin: 0.3,
            period: Period::Week,
        },
        model: None,
        calibration_end: None,
        minor_per_major: 100.0,
    }
}

#[test]
fn thin_data_uses_the_formulas_and_says_why() {
    let truth = PurchaseProcess {
        r: 0.5,
        alpha: 6.0,
        a: 0.9,
        b: 2.5,
        dropout: Dropout::AfterRepeatPurchases,
    };
    let customers = simulate(truth, 60, 3);
    let all = purchases(&customers);
    let result = value_shop(&engine_input(&all, customers.len(), end()), &mut |_, _| {
        true
    })
    .unwrap();
    let repeaters = result.summaries.iter().filter(|s| s.frequency > 0).count();
    assert!(repeaters < 50);
    assert!(matches!(result.method, Method::Simple));
    assert!(
        result.reason.contains(&format!(
            "Only {repeaters} customers have bought more than once"
        )),
        "{}",
        result.reason
    );
    assert!(
        result
            .values
            .iter()
            .zip(&result.summaries)
            .all(|(v, s)| !s.is_acquired() || v.clv.is_finite()),
        "a number for everyone"
    );
    // With a range from how sure the measured retention is.
    let valued: Vec<_> = result.values.iter().filter(|v| v.clv > 0.0).collect();
    assert!(!valued.is_empty());
    assert!(
        valued
            .iter()
            .all(|v| v.clv_low < v.clv && v.clv < v.clv_high),
        "{:?}",
        valued.first()
    );

    // Six weeks of history is too short, whatever the number of customers.
    let short_end = start() + Duration::days(42);
    let result = value_shop(
        &engine_input(&all, customers.len(), short_end),
        &mut |_, _| true,
    )
    .unwrap();
    assert!(matches!(result.method, Method::Simple));
    assert!(
        result.reason.contains("at least 3 months"),
        "{}",
        result.reason
    );
}

#[test]
fn the_model_is_chosen_by_its_holdout_error_and_the_reason_says_so() {
    let truth = PurchaseProcess {
        r: 0.6,
        alpha: 8.0,
        a: 0.7,
        b: 12.0,
        dropout: Dropout::ExponentialLifetime,
    };
    let customers = simulate(truth, 4000, 11);
    let all = purchases(&customers);
    let result = value_shop(&engine_input(&all, customers.len(), end()), &mut |_, _| {
        true
    })
    .unwrap();
    let Method::Model {
        purchase,
        backtests,
        ..
    } = &result.method
    else {
        panic!("expected a model: {}", result.reason);
    };
    assert_eq!(backtests.len(), 3, "all three models were tested");
    // The chosen model has the lowest holdout error, up to a 1% tie which the simplest
    // model wins.
    let best_mae = backtests
        .iter()
        .map(|b| b.mae)
        .fold(f64::INFINITY, f64::min);
    let chosen = backtests
        .iter()
        .find(|b| b.model == purchase.model)
        .unwrap();
    assert!(chosen.mae <= best_mae * (1.0 + TIE_SHARE));
    let rank = |m: PurchaseModel| PurchaseModel::ALL.iter().position(|x| *x == m);
    for b in backtests {
        if b.mae <= best_mae * (1.0 + TIE_SHARE) && b.fit.covariance.is_some() {
            assert!(
                rank(chosen.model) <= rank(b.model),
                "{:?} over {:?}",
                chosen.model,
                b.model
            );
        }
    }
    assert!(
        result.reason.starts_with(chosen.model.label()),
        "{}",
        result.reason
    );
    assert!(
        result.reason.contains("predicted the last"),
        "{}",
        result.reason
    );
    assert!(result.calibration_end.is_some());
    for test in backtests {
        assert!(
            test.error_pct().abs() < 25.0,
            "{:?} is off by {:.1}%",
            test.model,
            test.error_pct()
        );
    }
    let valued = result.values.iter().filter(|v| v.clv > 0.0).count();
    assert!(valued > 3000, "{valued}");
    assert!(
        result
            .values
            .iter()
            .filter(|v| v.clv > 0.0)
            .all(|v| v.clv_low < v.clv && v.clv < v.clv_high)
    );
}

#[test]
fn cdnow_holdout_tracking_matches_the_reference_curve() {
    // FHL 2005 Figure 2: the 2,357 CDNOW sample customers, acquired in weeks 1–12 of 1997.
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/cdnow/CDNOW_sample.txt"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let reference: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/clv_reference.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let tracking = &reference["holdout_tracking"];
    let day0 = NaiveDate::from_ymd_opt(1997, 1, 1).unwrap();
    let mut ids = std::collections::HashMap::new();
    let mut purchases = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let next = ids.len();
        let customer = *ids.entry(f[0].to_owned()).or_insert(next);
        let day = NaiveDate::parse_from_str(f[2], "%Y%m%d").unwrap();
        purchases.push(Purchase {
            customer,
            day,
            value_cents: (f[4].parse::<f64>().unwrap() * 100.0).round() as i64,
        });
    }
    let summaries = summarise(
        &purchases,
        ids.len(),
        NaiveDate::from_ymd_opt(1998, 6, 30).unwrap(),
    );
    let params = [
        0.2425929282798216,
        4.413532265271803,
        0.7928859664405851,
        2.42575238262545,
    ];
    let weeks = tracking["weeks"].as_array().unwrap();
    let actual_reference = tracking["actual_cumulative_repeat_transactions"]
        .as_array()
        .unwrap();
    let predicted_reference = tracking["predicted_cumulative_repeat_transactions"]
        .as_array()
        .unwrap();
    for ((week, actual_want), predicted_want) in
        weeks.iter().zip(actual_reference).zip(predicted_reference)
    {
        let w = week.as_i64().unwrap();
        let cutoff = day0 + Duration::days(7 * w - 1);
        // Actual: repeat purchase days up to the end of week w.
        let at_week = summarise(&purchases, ids.len(), cutoff);
        let actual: u64 = at_week.iter().map(|s| u64::from(s.frequency)).sum();
        assert_eq!(actual, actual_want.as_u64().unwrap(), "week {w} actual");
        // Predicted: each customer's E[X(t)] since their first purchase.
        let predicted: f64 = summaries
            .iter()
            .filter_map(|s| s.first_day)
            .map(|first| {
                let t = (cutoff - first).num_days() as f64 / 7.0;
                PurchaseModel::BgNbd.expected_purchases_new(&params, t)
            })
            .sum();
        let want = predicted_want.as_f64().unwrap();
        assert!(
            (predicted - want).abs() < 1e-6 * want.max(1.0),
            "week {w}: predicted {predicted} vs {want}"
        );
    }
}
