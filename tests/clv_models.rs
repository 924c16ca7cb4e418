//! The models against the published CDNOW results (2,357 customers, 39-week calibration):
//! fitted parameters to 3 significant digits and log-likelihoods to 0.1 of Fader, Hardie &
//! Lee (2005) and Fader & Hardie (2013); and, tighter, against the high-precision
//! reference values of `tests/data/clv_reference.json` (mpmath), including predictions.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::needless_range_loop)] // test code: a panic is the failure report; parameters are compared by index

use clv_desk::clv::fit::{fit_purchase, fit_spend};
use clv_desk::clv::purchase::PurchaseModel;
use clv_desk::clv::spend::{self, SpendHistory};
use clv_desk::clv::summary::Triple;
use serde_json::Value;

fn reference() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/clv_reference.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// (x, tₓ, T, mean repeat spend) of the 2,357 CDNOW sample customers, in weeks.
fn cdnow() -> Vec<(f64, f64, f64, f64)> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/cdnow/cdnow_customers_summary_with_transactions.csv"
    );
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<f64> = l
                .trim()
                .split(',')
                .map(|v| v.trim().parse().unwrap())
                .collect();
            (f[1], f[2], f[3], f[4])
        })
        .collect()
}

fn triples() -> Vec<Triple> {
    let mut t: Vec<Triple> = cdnow()
        .into_iter()
        .map(|(x, tx, t, _)| Triple {
            x,
            tx,
            t,
            count: 1.0,
        })
        .collect();
    t.sort_by(|a, b| a.x.total_cmp(&b.x));
    t
}

fn params4(v: &Value, names: [&str; 4]) -> [f64; 4] {
    names.map(|n| v[n].as_f64().unwrap())
}

fn three_significant(a: f64, b: f64) -> bool {
    let scale = 10f64.powi(2 - b.abs().log10().floor() as i32);
    (a * scale).round() == (b * scale).round()
}

#[test]
fn purchase_models_reproduce_the_published_fits() {
    let data = reference();
    let triples = triples();
    assert_eq!(triples.len(), 2357);
    for (model, key) in [
        (PurchaseModel::BgNbd, "bgnbd"),
        (PurchaseModel::MbgNbd, "mbgnbd"),
        (PurchaseModel::ParetoNbd, "pareto_nbd"),
    ] {
        let fit = fit_purchase(model, &triples).unwrap();
        let names = model.parameter_names();
        let published = &data["fits"][key]["published"];
        let published_params = params4(&published["params"], names);
        for (i, name) in names.iter().enumerate() {
            assert!(
                three_significant(fit.params[i], published_params[i]),
                "{key} {name}: {} vs published {}",
                fit.params[i],
                published_params[i]
            );
        }
        let published_ll = published["log_likelihood"].as_f64().unwrap();
        assert!(
            (fit.log_likelihood - published_ll).abs() <= 0.1,
            "{key}: ln L {} vs {published_ll}",
            fit.log_likelihood
        );
        // Tighter: the refined maximum-likelihood optimum of the reference script.
        let refined = &data["fits"][key]["refined_mle"];
        let refined_ll = refined["log_likelihood"].as_f64().unwrap();
        assert!(
            ((fit.log_likelihood - refined_ll) / refined_ll).abs() < 1e-9,
            "{key}: ln L {} vs {refined_ll}",
            fit.log_likelihood
        );
        let refined_params = params4(&refined["params"], names);
        for i in 0..4 {
            assert!(
                ((fit.params[i] - refined_params[i]) / refined_params[i]).abs() < 1e-3,
                "{key} param {i}: {} vs {}",
                fit.params[i],
                refined_params[i]
            );
        }
        assert!(fit.converged, "{key} did not converge: {fit:?}");
        assert!(
            fit.covariance.is_some(),
            "{key}: Hessian not positive definite"
        );
        println!(
            "{key}: {:?} ln L {:.4} ({} iterations)",
            fit.params, fit.log_likelihood, fit.iterations
        );
    }
}

#[test]
fn gamma_gamma_reproduces_the_published_fit() {
    let data = reference();
    let spend_data: Vec<SpendHistory> = cdnow()
        .into_iter()
        .filter(|(x, _, _, m)| *x > 0.0 && *m > 0.0)
        .map(|(x, _, _, mean)| SpendHistory { x, mean })
        .collect();
    assert_eq!(spend_data.len(), 946);
    let fit = fit_spend(&spend_data).unwrap();
    let published = [6.25, 3.74, 15.44];
    for i in 0..3 {
        assert!(
            three_significant(fit.params[i], published[i]),
            "param {i}: {} vs {}",
            fit.params[i],
            published[i]
        );
    }
    let reference_ll = data["fits"]["gamma_gamma"]["log_likelihood"]
        .as_f64()
        .unwrap();
    assert!(
        (fit.log_likelihood - reference_ll).abs() < 1e-6,
        "{} vs {reference_ll}",
        fit.log_likelihood
    );
    assert!(fit.converged);
}

fn close(got: f64, want: f64, rel: f64) -> bool {
    (got - want).abs() <= rel * want.abs().max(1e-300)
}

#[test]
fn predictions_match_the_reference_values() {
    let data = reference();
    let mut failures = Vec::new();
    for (model, key) in [
        (PurchaseModel::BgNbd, "bgnbd"),
        (PurchaseModel::MbgNbd, "mbgnbd"),
        (PurchaseModel::ParetoNbd, "pareto_nbd"),
    ] {
        let section = &data["predictions"][key];
        let params = params4(&section["params"], model.parameter_names());
        for customer in section["customers"].as_array().unwrap() {
            let (x, tx, t) = (
                customer["frequency"].as_f64().unwrap(),
                customer["recency"].as_f64().unwrap(),
                customer["T"].as_f64().unwrap(),
            );
            let want = customer["p_alive"]["value"].as_f64().unwrap();
            let got = model.p_alive(&params, x, tx, t);
            if !close(got, want, 1e-9) {
                failures.push(format!(
                    "{key} P(alive | {x}, {tx}, {t}) = {got:e}, reference {want:e}"
                ));
            }
            for point in customer["conditional_expected_purchases"]
                .as_array()
                .unwrap()
            {
                let horizon = point["t"].as_f64().unwrap();
                let want = point["value"].as_f64().unwrap();
                let got = model.expected_purchases(&params, x, tx, t, horizon);
                if !close(got, want, 1e-9) {
                    failures.push(format!(
                        "{key} E[Y({horizon}) | {x}, {tx}, {t}] = {got:e}, reference {want:e}"
                    ));
                }
            }
        }
        for point in section["unconditional_expected_purchases"]
            .as_array()
            .unwrap()
        {
            let horizon = point["t"].as_f64().unwrap();
            let want = point["value"].as_f64().unwrap();
            let got = model.expected_purchases_new(&params, horizon);
            if !close(got, want, 1e-9) {
                failures.push(format!(
                    "{key} E[X({horizon})] = {got:e}, reference {want:e}"
                ));
            }
        }
        for point in section["conditional_corner_cases"].as_array().unwrap() {
            let (x, tx, t, horizon) = (
                point["frequency"].as_f64().unwrap(),
                point["recency"].as_f64().unwrap(),
                point["T"].as_f64().unwrap(),
                point["t"].as_f64().unwrap(),
            );
            let want = point["value"].as_f64().unwrap();
            let got = model.expected_purchases(&params, x, tx, t, horizon);
            if !close(got, want, 1e-7) {
                failures.push(format!(
                    "{key} corner E[Y({horizon}) | {x}, {tx}, {t}] = {got:e}, reference {want:e}"
                ));
            }
        }
    }
    let gg = &data["predictions"]["gamma_gamma"];
    let params = [
        gg["params"]["p"].as_f64().unwrap(),
        gg["params"]["q"].as_f64().unwrap(),
        gg["params"]["gamma"].as_f64().unwrap(),
    ];
    for point in gg["conditional_expected_average_profit"]
        .as_array()
        .unwrap()
    {
        let (x, m) = (
            point["frequency"].as_f64().unwrap(),
            point["monetary_value"].as_f64().unwrap(),
        );
        let want = point["value"].as_f64().unwrap();
        let got = spend::expected_spend(&params, x, m);
        if !close(got, want, 1e-12) {
            failures.push(format!(
                "Gamma-Gamma E[M | {x}, {m}] = {got}, reference {want}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} predictions off:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_published_expected_purchases_example() {
    // FHL 2005: a customer with x = 2, tₓ = 30.43, T = 38.86 is expected to make 1.226
    // purchases in the next 39 weeks.
    let params = [0.243, 4.414, 0.793, 2.426];
    let e = PurchaseModel::BgNbd.expected_purchases(&params, 2.0, 30.43, 38.86, 39.0);
    assert!((e - 1.226).abs() < 0.0005, "{e}");
}

/// The covariance the fits return (the inverse of the exact Hessian of −ln L in
/// log-parameters at the optimum) against the inverse of a Hessian by second differences of
/// the reference likelihood.
#[test]
fn covariances_are_the_inverse_hessians_of_the_reference_likelihood() {
    let triples = triples();
    for model in PurchaseModel::ALL {
        let fit = fit_purchase(model, &triples).unwrap();
        let theta: Vec<f64> = fit.params.iter().map(|p| p.ln()).collect();
        let f = |t: &[f64]| -> f64 {
            let p = [t[0].exp(), t[1].exp(), t[2].exp(), t[3].exp()];
            -model.ln_likelihood(&p, &triples, None)
        };
        let h = 1e-3;
        let mut hessian = vec![vec![0.0; 4]; 4];
        for i in 0..4 {
            for j in 0..4 {
                let at = |di: f64, dj: f64| {
                    let mut t = theta.clone();
                    t[i] += di;
                    t[j] += dj;
                    f(&t)
                };
                hessian[i][j] = (at(h, h) - at(h, -h) - at(-h, h) + at(-h, -h)) / (4.0 * h * h);
            }
        }
        let numeric = clv_desk::clv::optim::inverse_spd(&hessian).unwrap();
        let covariance = fit.covariance.unwrap();
        for i in 0..4 {
            for j in 0..4 {
                let scale = (numeric[i][i] * numeric[j][j]).sqrt();
                assert!(
                    (covariance[i][j] - numeric[i][j]).abs() <= 1e-4 * scale,
                    "{model:?} [{i}][{j}]: {} vs {}",
                    covariance[i][j],
                    numeric[i][j]
                );
            }
        }
    }
}

/// Newton's optimum against the former method (BFGS on the reference likelihood and its
/// gradient) from the same start, both scored by the reference likelihood: on the CDNOW
/// sample (Pareto/NBD with α < β there), and on a simulated shop whose Pareto/NBD optimum
/// has β > 2α (where the fast evaluation cannot use its recurrence and sums a series at
/// every node).
#[test]
fn newton_fits_are_at_least_as_good_as_bfgs_on_the_reference_likelihood() {
    use clv_desk::clv::optim::{self, Options};
    use clv_desk::clv::simulate::{Dropout, PurchaseProcess, SpendProcess, simulate_customers};
    use rand::SeedableRng as _;

    let simulated: Vec<Triple> = {
        let process = PurchaseProcess {
            r: 0.8,
            alpha: 2.0,
            a: 0.6,
            b: 30.0,
            dropout: Dropout::ExponentialLifetime,
        };
        let spend = SpendProcess {
            p: 6.0,
            q: 4.0,
            gamma: 40.0,
        };
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(5);
        let customers = simulate_customers(process, spend, 3000, 52.0, 104.0, &mut rng).unwrap();
        let mut t: Vec<Triple> = customers
            .iter()
            .map(|c| Triple {
                x: (c.purchase_weeks.len() - 1) as f64,
                tx: c.purchase_weeks.last().copied().unwrap_or(0.0),
                t: 104.0 - c.first_purchase_week,
                count: 1.0,
            })
            .collect();
        t.sort_by(|a, b| a.x.total_cmp(&b.x));
        t
    };
    let cases = [
        (PurchaseModel::BgNbd, triples()),
        (PurchaseModel::MbgNbd, triples()),
        (PurchaseModel::ParetoNbd, triples()),
        (PurchaseModel::ParetoNbd, simulated),
    ];
    for (model, data) in cases {
        let fit = fit_purchase(model, &data).unwrap();
        assert!(fit.converged, "{model:?}");
        let mut objective = |theta: &[f64], g: &mut [f64]| -> f64 {
            let p = [
                theta[0].exp(),
                theta[1].exp(),
                theta[2].exp(),
                theta[3].exp(),
            ];
            let mut grad = [0.0; 4];
            let ll = model.ln_likelihood(&p, &data, Some(&mut grad));
            for i in 0..4 {
                g[i] = -grad[i] * p[i];
            }
            -ll
        };
        let mean_age = data.iter().map(|t| t.t).sum::<f64>() / data.len() as f64;
        let scale = mean_age / 4.0;
        let start = match model {
            PurchaseModel::ParetoNbd => [1.0, scale, 1.0, scale],
            // Not b = 1, where the reference gradient's x = 0 terms are 0/0.
            _ => [0.5, scale, 0.8, 2.0],
        };
        let theta0: Vec<f64> = start.iter().map(|v: &f64| v.ln()).collect();
        let bfgs = optim::minimize(&mut objective, &theta0, Options::default());
        let newton = model.ln_likelihood(&fit.params, &data, None);
        println!(
            "{model:?}: Newton {:?} ln L {newton:.10}; BFGS {:?} ln L {:.10}",
            fit.params,
            bfgs.x.iter().map(|t| t.exp()).collect::<Vec<_>>(),
            -bfgs.value
        );
        assert!(bfgs.converged, "{model:?}: {bfgs:?}");
        // Equal within the rounding of the sums (~10⁻¹⁵ relative), or Newton better.
        assert!(
            newton >= -bfgs.value - 1e-13 * bfgs.value.abs(),
            "{model:?}: {newton} vs BFGS {}",
            -bfgs.value
        );
        assert!(((fit.log_likelihood - newton) / newton).abs() < 1e-12);
    }
}
