//! Customer values in a real database: which orders count as purchases, the valuation run
//! and every customer's score recorded in one go, cached until the orders or the owner's
//! economics change, older runs' scores pruned, cancel keeps the previous values.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use clv_desk::app::import::{stage, write};
use clv_desk::app::valuation::{
    ValuationOptions, scores_are_current, value_and_save, value_and_save_with,
};
use clv_desk::app::{Progress, load_demo};
use clv_desk::demo::DemoOptions;
use clv_desk::domain::{BusinessSettings, Currency};
use clv_desk::import::ImportOptions;
use clv_desk::store::Store;
use clv_desk::store::scores::KEPT_RUNS;

const HEADER: &str = "Name,Email,Financial Status,Created at,Currency,Subtotal,Shipping,Taxes,Total,Refunded Amount,Lineitem quantity,Lineitem name,Lineitem price,Billing Name";

/// A Shopify-shaped export: `(order, email, day, total, refunded, billing name)`.
fn shopify(dir: &Path, name: &str, orders: &[(u32, &str, &str, &str, &str, &str)]) -> PathBuf {
    let mut text = format!("{HEADER}\n");
    for (number, email, day, total, refunded, billing) in orders {
        let status = match *refunded {
            "0.00" => "paid",
            r if r == *total => "refunded",
            _ => "partially_refunded",
        };
        text.push_str(&format!(
            "#{number},{email},{status},{day} 10:00:00 +0000,USD,{total},0.00,0.00,{total},{refunded},1,Beans,{total},{billing}\n"
        ));
    }
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn import(store: &mut Store, path: &Path) {
    let staged = stage(store, path, ImportOptions::default(), &mut |_, _| true).unwrap();
    write(store, staged, false, &mut |_| true).unwrap();
}

fn day(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

#[test]
fn refunds_reduce_purchases_full_refunds_and_guests_are_not_purchases() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("p.sqlite")).unwrap();
    let file = shopify(
        dir.path(),
        "orders.csv",
        &[
            (1, "ann@example.com", "2025-01-10", "50.00", "0.00", "Ann"),
            (2, "ann@example.com", "2025-02-10", "40.00", "15.00", "Ann"),
            (3, "ann@example.com", "2025-03-10", "30.00", "30.00", "Ann"),
            (4, "ben@example.com", "2025-01-15", "0.00", "0.00", "Ben"),
            (5, "", "2025-01-20", "20.00", "0.00", ""),
        ],
    );
    import(&mut store, &file);
    let history = store.purchase_history().unwrap();
    assert_eq!(history.customer_ids.len(), 2, "the guest is not a customer");
    let mut purchases: Vec<(usize, NaiveDate, i64)> = history
        .purchases
        .iter()
        .map(|p| (p.customer, p.day, p.value_cents))
        .collect();
    purchases.sort();
    assert_eq!(
        purchases,
        vec![
            (0, day("2025-01-10"), 5000),
            // Partly refunded: what was kept.
            (0, day("2025-02-10"), 2500),
            // A free order is still a visit.
            (1, day("2025-01-15"), 0),
        ],
        "the fully refunded order and the guest order are not purchases"
    );
    assert_eq!(history.last_day, Some(day("2025-02-10")));
}

fn demo_store(dir: &Path, customers: usize) -> Store {
    let mut store = Store::open(&dir.join("demo.sqlite")).unwrap();
    let options = DemoOptions {
        customers,
        seed: 11,
        end_date: day("2025-06-30"),
        currency: Currency::USD,
    };
    load_demo(&mut store, &Progress::default(), &options).unwrap();
    store
}

#[test]
fn scores_are_cached_until_orders_or_economics_change() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = demo_store(dir.path(), 400);
    assert!(
        !scores_are_current(&store).unwrap(),
        "new orders need values"
    );
    let words = value_and_save(&mut store, &Progress::default()).unwrap();
    assert!(words.starts_with("Valued "), "{words}");
    assert!(scores_are_current(&store).unwrap());

    // Every customer has one score in the current run; opening the file again keeps them.
    let run = store.current_run().unwrap().unwrap();
    let rows = store.customer_values().unwrap();
    assert_eq!(
        rows.len(),
        400 + 2,
        "plus the sample referrals' two coupon friends"
    );
    assert!(rows.iter().all(|r| r.score.is_some()));
    let path = store.path().to_path_buf();
    drop(store);
    let mut store = Store::open(&path).unwrap();
    assert!(
        scores_are_current(&store).unwrap(),
        "starting never recomputes"
    );
    assert_eq!(store.current_run().unwrap().unwrap().id, run.id);

    // A new margin makes the values stale; lifetime value is proportional to the margin.
    let before: Vec<f64> = rows
        .iter()
        .map(|r| r.score.as_ref().unwrap().predicted_clv_cents)
        .collect();
    let settings = BusinessSettings {
        margin_pct: 60.0,
        ..store.business_settings().unwrap()
    };
    store.save_business_settings(&settings).unwrap();
    assert!(!scores_are_current(&store).unwrap());
    value_and_save(&mut store, &Progress::default()).unwrap();
    assert!(scores_are_current(&store).unwrap());
    let after: Vec<f64> = store
        .customer_values()
        .unwrap()
        .iter()
        .map(|r| r.score.as_ref().unwrap().predicted_clv_cents)
        .collect();
    for (b, a) in before.iter().zip(&after) {
        assert!((a - 2.0 * b).abs() <= 1e-6 * a.abs().max(1.0), "{b} → {a}");
    }

    // New orders make them stale again.
    let file = shopify(
        dir.path(),
        "more.csv",
        &[(
            9001,
            "new@example.com",
            "2025-06-29",
            "20.00",
            "0.00",
            "New",
        )],
    );
    import(&mut store, &file);
    assert!(!scores_are_current(&store).unwrap());
}

#[test]
fn only_the_last_runs_keep_their_scores_and_cancel_keeps_the_current_values() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = demo_store(dir.path(), 150);
    for _ in 0..KEPT_RUNS + 2 {
        value_and_save(&mut store, &Progress::default()).unwrap();
    }
    assert_eq!(store.run_count().unwrap(), KEPT_RUNS as u64 + 2);
    let conn = rusqlite::Connection::open(store.path()).unwrap();
    let runs_with_scores: i64 = conn
        .query_row(
            "SELECT count(DISTINCT run_id) FROM customer_scores",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(runs_with_scores, KEPT_RUNS);
    let current = store.current_run().unwrap().unwrap().id;

    let progress = Progress::default();
    progress.request_cancel();
    let words = value_and_save(&mut store, &progress).unwrap();
    assert!(words.contains("cancelled"), "{words}");
    assert_eq!(store.current_run().unwrap().unwrap().id, current);
    assert_eq!(store.run_count().unwrap(), KEPT_RUNS as u64 + 2);
}

#[test]
fn a_chosen_model_is_backtested_when_asked_and_the_app_revalues_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = demo_store(dir.path(), 600);
    let options = ValuationOptions {
        model: Some(clv_desk::clv::purchase::PurchaseModel::MbgNbd),
        holdout_from: Some(day("2025-01-01")),
        ..ValuationOptions::default()
    };
    let computed = value_and_save_with(&mut store, &options, &Progress::default())
        .unwrap()
        .unwrap();
    assert_eq!(computed.run.model, "mbgnbd");
    assert_eq!(computed.run.calibration_end, Some(day("2025-01-01")));
    let holdout = computed.run.holdout_json.clone().unwrap();
    assert!(holdout.contains("\"actual_total\""), "{holdout}");
    assert!(
        computed.run.reason.contains("chosen by you"),
        "{}",
        computed.run.reason
    );
    // Not the app's own choice: the window would value again with its defaults.
    assert!(!scores_are_current(&store).unwrap());
}

#[test]
fn the_cached_headline_figures_follow_imports_and_undo() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = demo_store(dir.path(), 120);
    // The demo's loyalty program stays on: points a customer of the undone import earned
    // keep their row (the ledger is append-only), but without orders they are not counted.
    let before = store.overview().unwrap();
    assert_eq!(before, store.computed_overview().unwrap());
    assert_eq!(
        store.overview().unwrap(),
        before,
        "read again from the cache"
    );
    let file = shopify(
        dir.path(),
        "more.csv",
        &[
            (
                9001,
                "new@example.com",
                "2025-06-29",
                "20.00",
                "0.00",
                "New",
            ),
            (
                9002,
                "new@example.com",
                "2025-06-30",
                "25.00",
                "0.00",
                "New",
            ),
        ],
    );
    import(&mut store, &file);
    let after = store.overview().unwrap();
    assert_eq!(after, store.computed_overview().unwrap());
    assert_eq!(after.customers, before.customers + 1);
    assert_eq!(after.orders, before.orders + 2);
    assert_eq!(after.repeat_customers, before.repeat_customers + 1);
    let last = store.recent_imports(1).unwrap()[0].id;
    store.undo_import(clv_desk::domain::ImportId(last)).unwrap();
    assert_eq!(store.overview().unwrap(), before);
}
