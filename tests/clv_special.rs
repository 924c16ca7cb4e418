//! ln Γ and ₂F₁ against mpmath at 30 digits (tests/data/clv_reference.json), including the
//! corners where SciPy itself is wrong: large parameters, z near 1, z far below −1.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use clv_desk::clv::special::{hyp2f1, ln_gamma};
use serde_json::Value;

fn reference() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/clv_reference.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn truth(point: &Value) -> f64 {
    point["mpmath_30"].as_str().unwrap().parse().unwrap()
}

#[test]
fn ln_gamma_matches_mpmath() {
    let data = reference();
    let mut worst: f64 = 0.0;
    for point in data["special_functions"]["gammaln"].as_array().unwrap() {
        let x = point["x"].as_f64().unwrap();
        let want = truth(point);
        let got = ln_gamma(x);
        let err = if want.abs() > 1e-3 {
            ((got - want) / want).abs()
        } else {
            (got - want).abs()
        };
        worst = worst.max(err);
        assert!(err < 1e-13, "ln_gamma({x}) = {got}, mpmath {want}");
    }
    println!("ln_gamma worst relative error {worst:e}");
}

#[test]
fn hyp2f1_matches_mpmath_at_every_corner() {
    let data = reference();
    let mut failures = Vec::new();
    let mut worst: f64 = 0.0;
    for point in data["special_functions"]["hyp2f1"].as_array().unwrap() {
        let (a, b, c, z) = (
            point["a"].as_f64().unwrap(),
            point["b"].as_f64().unwrap(),
            point["c"].as_f64().unwrap(),
            point["z"].as_f64().unwrap(),
        );
        let want = truth(point);
        match hyp2f1(a, b, c, z) {
            Ok(got) => {
                let err = ((got - want) / want).abs();
                worst = worst.max(err);
                if err > 1e-10 {
                    failures.push(format!(
                        "2F1({a}, {b}; {c}; {z}) = {got:e}, mpmath {want:e} (rel {err:e}) [{}]",
                        point["note"]
                    ));
                }
            }
            Err(e) => failures.push(format!("2F1({a}, {b}; {c}; {z}): {e} [{}]", point["note"])),
        }
    }
    println!("hyp2f1 worst relative error {worst:e}");
    assert!(
        failures.is_empty(),
        "{} of the points are off:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The ₂F₁(A, B; A+1; z) the Pareto/NBD likelihood needs, for z in [0.9, 1) where the fast
/// 1−z transformation is used, including s within 0.02 of 1 (c−a−b near −1).
#[test]
fn hyp2f1_of_the_pareto_shape_matches_mpmath_near_one() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/hyp2f1_pareto.json");
    let data: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let points = data["points"].as_array().unwrap();
    assert!(points.len() > 100);
    let mut worst: f64 = 0.0;
    for point in points {
        let (a, b, c, z) = (
            point["a"].as_f64().unwrap(),
            point["b"].as_f64().unwrap(),
            point["c"].as_f64().unwrap(),
            point["z"].as_f64().unwrap(),
        );
        let want = truth(point);
        let got = hyp2f1(a, b, c, z).unwrap();
        let err = ((got - want) / want).abs();
        worst = worst.max(err);
        assert!(
            err < 1e-11,
            "2F1({a}, {b}; {c}; {z}) = {got:e}, mpmath {want:e}"
        );
    }
    println!("Pareto-shape hyp2f1 worst relative error {worst:e}");
}
