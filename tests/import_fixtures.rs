//! Every fixture in `tests/data/import/` (files shaped like real platform exports, with
//! their quirks) is staged and compared with its hand-computed `.expected.json`: preset,
//! encoding, delimiter, row counts, orders, customers, guests, refunds, skip reasons, net
//! total, currency, date order, decimal separator, and spot-checked orders.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

mod common;

use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use clv_desk::domain::NewOrder;
use clv_desk::import::{
    DateOrder, ImportOptions, OrderSink, ShopZone, StagedImport, Streamed, stage_file,
    stage_file_streamed,
};
use serde_json::Value;

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/import")
}

/// Every `(data file, expected json)` pair.
fn fixtures() -> Vec<(PathBuf, Value)> {
    common::fixtures::import_fixtures()
        .into_iter()
        .map(|(file, expected)| {
            let expected = std::fs::read_to_string(&expected).unwrap();
            (file, serde_json::from_str(&expected).unwrap())
        })
        .collect()
}

fn options() -> ImportOptions {
    ImportOptions {
        shop_zone: ShopZone::Named(Tz::UTC),
        ..ImportOptions::default()
    }
}

fn stage(
    path: &Path,
    options: &ImportOptions,
) -> Result<StagedImport, clv_desk::import::ImportError> {
    stage_file(path, options, &mut |_, _| true)
}

fn customer_key(order: &NewOrder) -> Option<String> {
    let who = &order.customer;
    who.email
        .clone()
        .or_else(|| who.platform_id.clone())
        .or_else(|| who.username.clone())
        .or_else(|| who.name.clone())
}

/// All stored orders of a staging: the file's orders plus refunds of orders not in the file
/// (which an empty database keeps as refund entries).
fn stored(staged: &StagedImport) -> Vec<NewOrder> {
    let mut all = staged.orders.clone();
    all.extend(
        staged
            .refunds_for_other_orders
            .iter()
            .map(|r| r.entry.clone()),
    );
    all
}

fn compare(file: &Path, staged: &StagedImport, expected: &Value, problems: &mut Vec<String>) {
    let name = file
        .strip_prefix(fixtures_dir())
        .unwrap_or(file)
        .display()
        .to_string();
    let mut check = |what: &str, got: Value, want: &Value| {
        if want.is_null() {
            return;
        }
        if &got != want {
            problems.push(format!("{name}: {what}: got {got}, expected {want}"));
        }
    };
    let report = &staged.report;
    let orders = stored(staged);
    check(
        "preset",
        Value::from(staged.preset.name()),
        &expected["preset"],
    );
    check(
        "encoding",
        Value::from(staged.encoding.label()),
        &expected["encoding"],
    );
    check(
        "delimiter",
        Value::from(staged.layout.label()),
        &expected["delimiter"],
    );
    check(
        "rows_read",
        Value::from(report.rows_read),
        &expected["rows_read"],
    );
    check(
        "wrapper_rows",
        Value::from(report.layout_rows),
        &expected["wrapper_rows"],
    );
    check("orders", Value::from(orders.len()), &expected["orders"]);
    check(
        "customers",
        Value::from(report.customers),
        &expected["customers"],
    );
    check(
        "guest_orders",
        Value::from(report.guest_orders),
        &expected["guest_orders"],
    );
    check("refunds", Value::from(report.refunds), &expected["refunds"]);
    let skipped: serde_json::Map<String, Value> = report
        .skipped
        .iter()
        .map(|(reason, stat)| (reason.text().to_owned(), Value::from(stat.rows)))
        .collect();
    check("skipped", Value::Object(skipped), &expected["skipped"]);
    check(
        "net_total_minor",
        Value::from(report.net_total_minor),
        &expected["net_total_minor"],
    );
    check(
        "currency",
        Value::from(staged.currency.code()),
        &expected["currency"],
    );
    if !expected["date_order"].is_null() {
        check(
            "date_order",
            Value::from(staged.date_order.code()),
            &expected["date_order"],
        );
    }
    check(
        "decimal",
        Value::from(staged.decimal.symbol().to_string()),
        &expected["decimal"],
    );
    let net_sum: i64 = orders.iter().map(NewOrder::net_cents).sum();
    check(
        "sum of stored nets",
        Value::from(net_sum),
        &Value::from(report.net_total_minor),
    );

    for spot in expected["spot_checks"].as_array().into_iter().flatten() {
        let found = orders.iter().find(|o| match spot["external_id"].as_str() {
            Some(id) => o.external_id == id,
            None => {
                customer_key(o).as_deref() == spot["customer_key"].as_str()
                    && o.local_date.to_string() == spot["local_date"].as_str().unwrap_or_default()
            }
        });
        let Some(order) = found else {
            check(
                "spot check",
                Value::from("missing"),
                &Value::from(format!("{spot}")),
            );
            continue;
        };
        let label = format!("order {}", order.external_id);
        check(
            &format!("{label} customer"),
            customer_key(order).map_or(Value::Null, Value::from),
            &spot["customer_key"],
        );
        if spot["customer_key"].is_null() && customer_key(order).is_some() {
            check(
                &format!("{label} guest"),
                Value::from(customer_key(order)),
                &Value::from("a guest"),
            );
        }
        check(
            &format!("{label} local_date"),
            Value::from(order.local_date.to_string()),
            &spot["local_date"],
        );
        check(
            &format!("{label} net"),
            Value::from(order.net_cents()),
            &spot["net_minor"],
        );
        check(
            &format!("{label} lines"),
            Value::from(order.lines.len()),
            &spot["lines"],
        );
    }
}

#[test]
fn every_platform_fixture_stages_as_expected() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for (file, expected) in fixtures() {
        if expected.get("error_contains").is_some() || expected.get("ambiguous_dates").is_some() {
            continue;
        }
        match stage(&file, &options()) {
            Ok(staged) => compare(&file, &staged, &expected, &mut problems),
            Err(e) => problems.push(format!("{}: failed: {e}", file.display())),
        }
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} fixtures found");
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn bad_files_give_the_documented_messages() {
    let mut seen = 0;
    for (file, expected) in fixtures() {
        let Some(phrase) = expected["error_contains"].as_str() else {
            continue;
        };
        seen += 1;
        match stage(&file, &options()) {
            Ok(_) => panic!(
                "{} imported, expected an error containing “{phrase}”",
                file.display()
            ),
            Err(e) => {
                let message = e.to_string();
                assert!(
                    message.contains(phrase),
                    "{}: “{message}” lacks “{phrase}”",
                    file.display()
                );
                let name = file.file_name().unwrap().to_string_lossy().into_owned();
                assert!(
                    message.contains(&name),
                    "the message names the file: {message}"
                );
            }
        }
    }
    assert_eq!(seen, 4);
}

#[test]
fn ambiguous_dates_are_asked_not_guessed() {
    let file = fixtures_dir().join("generic/ambiguous_dates.csv");
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(file.with_extension("csv.expected.json")).unwrap(),
    )
    .unwrap();
    let staged = stage(&file, &options()).unwrap();
    assert!(
        staged.date_order_ambiguous,
        "all day values ≤ 12: the owner must be asked"
    );
    for (order, key) in [(DateOrder::Dmy, "if_dmy"), (DateOrder::Mdy, "if_mdy")] {
        let chosen = stage(
            &file,
            &ImportOptions {
                date_order: Some(order),
                ..options()
            },
        )
        .unwrap();
        assert!(!chosen.date_order_ambiguous);
        assert_eq!(
            Value::from(chosen.report.net_total_minor),
            expected[key]["net_total_minor"]
        );
        let first = chosen.orders.iter().map(|o| o.local_date).min().unwrap();
        assert_eq!(
            Value::from(first.to_string()),
            expected[key]["first_local_date"],
            "{key}"
        );
        let last = chosen.orders.iter().map(|o| o.local_date).max().unwrap();
        assert_eq!(
            Value::from(last.to_string()),
            expected[key]["last_local_date"],
            "{key}"
        );
    }
}

/// Takes every order a streamed staging passes on, with the narrowest window: an order is
/// passed on as soon as the reading is one row past it, in batches of one.
#[derive(Default)]
struct Eager {
    passed: Vec<NewOrder>,
    batches: usize,
}

impl OrderSink for Eager {
    fn start(&mut self, _decided: &StagedImport) -> bool {
        true
    }

    fn orders(&mut self, orders: Vec<NewOrder>) -> bool {
        self.passed.extend(orders);
        self.batches += 1;
        true
    }

    fn settled_after_rows(&self) -> u64 {
        1
    }

    fn batch_orders(&self) -> usize {
        1
    }
}

/// Streaming passes orders on early; whatever a platform's rows do (an order over several
/// rows, refund rows before or after their sale, summary rows, customer group rows), the
/// orders passed on plus those left at the end are exactly the two-phase staging's, or the
/// staging says it revisited one (and the import then runs the two-phase way).
#[test]
fn every_fixture_streams_to_the_same_orders_or_says_it_revisited_one() {
    let (mut streamed, mut revisited) = (Vec::new(), Vec::new());
    for (file, _) in fixtures() {
        let Ok(whole) = stage(&file, &options()) else {
            continue;
        };
        let mut eager = Eager::default();
        let outcome = stage_file_streamed(&file, &options(), &mut |_, _| true, &mut eager).unwrap();
        let name = file.display().to_string();
        match outcome {
            Streamed::Staged(tail) => {
                let mut orders = eager.passed;
                orders.extend(tail.orders.iter().cloned());
                assert!(orders == whole.orders, "{name}: the same orders in order");
                assert_eq!(tail.report, whole.report, "{name}");
                assert_eq!(
                    tail.refunds_for_other_orders, whole.refunds_for_other_orders,
                    "{name}"
                );
                if eager.batches > 0 {
                    streamed.push(name);
                }
            }
            Streamed::Revisited => revisited.push(name),
        }
    }
    assert!(
        streamed.len() >= 10,
        "most platforms pass orders on while reading: {streamed:?}, revisited {revisited:?}"
    );
}
