//! `clv-desk import` of one file into an empty database values the customers while the
//! write finishes: the write hands over the purchases it wrote once its last order is in.
//! Those purchases must be exactly what the store reads back after the commit (every
//! platform fixture, a generated Shopify export, the demo shop), the values saved must be
//! the ones valuing from the store gives, and they must count as current. Into a database
//! that already holds orders nothing is handed over and the values come from the store.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

mod common;

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use clv_desk::app::Progress;
use clv_desk::app::import::{import_and_value, import_record, stage};
use clv_desk::app::valuation::{current_overview, scores_are_current, value_and_save};
use clv_desk::demo::{DemoOptions, demo_orders};
use clv_desk::domain::{Currency, NewOrder};
use clv_desk::import::ImportOptions;
use clv_desk::store::Store;
use clv_desk::store::orders::{ImportPart, NewImport};
use clv_desk::store::scores::PurchaseHistory;

/// Every platform fixture file.
fn fixture_files() -> Vec<PathBuf> {
    common::fixtures::import_fixtures()
        .into_iter()
        .map(|(file, _)| file)
        .collect()
}

/// Orders per part in [`write_gathering`]: few, so most buyers' orders straddle a part
/// boundary and every fixture's write crosses several.
const ORDERS_PER_PART: usize = 7;

/// Streams `orders` into `store` as one import, in parts of [`ORDERS_PER_PART`]; what the
/// write handed over, if anything. Every part must come back spent, whole.
fn write_gathering(
    store: &mut Store,
    import: NewImport,
    source: &str,
    orders: Vec<NewOrder>,
    refunds: Vec<clv_desk::domain::RefundOfOrder>,
) -> Option<PurchaseHistory> {
    let expected_orders = orders.len();
    let mut parts = vec![ImportPart::Start {
        import: import.clone(),
        source: source.to_owned(),
        expected_orders,
    }];
    let mut orders = orders.into_iter().peekable();
    while orders.peek().is_some() {
        parts.push(ImportPart::Orders(
            orders.by_ref().take(ORDERS_PER_PART).collect(),
        ));
    }
    let sent = parts.len() - 1;
    parts.push(ImportPart::End { import, refunds });
    let mut handed = None;
    let mut spent: Vec<Vec<NewOrder>> = Vec::new();
    let written = store
        .write_import_streamed(
            &mut parts.into_iter(),
            &mut |part| spent.push(part),
            Some(&mut |history| handed = Some(history)),
        )
        .unwrap();
    assert!(written.is_some(), "the write committed");
    assert_eq!(spent.len(), sent, "every part of orders comes back spent");
    assert_eq!(
        spent.iter().map(Vec::len).sum::<usize>(),
        expected_orders,
        "each part comes back whole"
    );
    handed
}

/// Stages `file` for `store` and streams it in; what the write handed over, and whether
/// the file refunds orders it does not hold (then nothing may be handed over).
fn import_gathering(store: &mut Store, file: &Path) -> Option<(Option<PurchaseHistory>, bool)> {
    let staged = stage(store, file, ImportOptions::default(), &mut |_, _| true).ok()?;
    if staged.date_order_ambiguous {
        return None;
    }
    let refunds_earlier = !staged.refunds_for_other_orders.is_empty();
    let handed = write_gathering(
        store,
        import_record(&staged),
        staged.preset.name(),
        staged.orders.clone(),
        staged.refunds_for_other_orders.clone(),
    );
    Some((handed, refunds_earlier))
}

#[test]
fn every_fixture_hands_over_exactly_the_purchases_the_store_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let (mut compared, mut read_back) = (Vec::new(), Vec::new());
    for (i, file) in fixture_files().iter().enumerate() {
        let mut store = Store::open(&dir.path().join(format!("{i}.sqlite"))).unwrap();
        let Some((handed, refunds_earlier)) = import_gathering(&mut store, file) else {
            continue;
        };
        let name = file.display().to_string();
        let stored = store.purchase_history().unwrap();
        match handed {
            Some(history) => {
                assert!(
                    !refunds_earlier,
                    "{name}: refunds of earlier orders are read back"
                );
                assert_eq!(history, stored, "{name}");
                compared.push((name.clone(), stored.purchases.len()));
            }
            None => {
                assert!(
                    refunds_earlier,
                    "{name}: handed over unless it refunds earlier orders"
                );
                read_back.push(name.clone());
            }
        }
        // The same file again: the database held orders, so nothing is handed over.
        let again = import_gathering(&mut store, file).unwrap();
        assert!(again.0.is_none(), "{name}: a second import reads back");
    }
    assert!(
        compared.len() >= 15 && compared.iter().filter(|(_, n)| *n > 0).count() >= 15,
        "most fixtures hand over purchases: {compared:?}, read back: {read_back:?}"
    );
}

#[test]
fn a_generated_export_and_the_demo_shop_hand_over_what_the_store_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shopify.csv");
    clv_desk::bench::write_shopify_export(&file, 20_000, 3).unwrap();
    let mut store = Store::open(&dir.path().join("shopify.sqlite")).unwrap();
    let (handed, _) = import_gathering(&mut store, &file).unwrap();
    let history = handed.expect("an export with no refunds of earlier orders hands over");
    assert!(history.purchases.len() > 1_000);
    assert_eq!(history, store.purchase_history().unwrap());

    // The demo shop: refunds, guests, coupons, channels, several orders a customer.
    let orders = demo_orders(&DemoOptions {
        customers: 1_500,
        seed: 7,
        end_date: NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
        currency: Currency::EUR,
    });
    assert!(
        orders.iter().any(|o| o.refunded_cents > 0) && orders.iter().any(|o| o.customer.is_guest())
    );
    let mut store = Store::open(&dir.path().join("demo.sqlite")).unwrap();
    let handed = write_gathering(&mut store, NewImport::default(), "demo", orders, Vec::new());
    let history = handed.expect("an empty database hands over");
    assert!(history.acquisition.iter().any(|a| a.coupon.is_some()));
    assert_eq!(history, store.purchase_history().unwrap());
}

/// Every saved score of run `run`, as text, in customer order.
fn score_rows(db: &Path, run: i64) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT customer_id, frequency, recency, t, monetary_cents, p_alive,
                    expected_purchases, expected_spend_cents, clv_cents, clv_low_cents,
                    clv_high_cents, r_score, f_score, m_score, segment
             FROM customer_scores WHERE run_id = ?1 ORDER BY customer_id",
        )
        .unwrap();
    stmt.query_map([run], |r| {
        let values: Vec<String> = (0..15)
            .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
            .collect();
        Ok(values.join("|"))
    })
    .unwrap()
    .collect::<Result<Vec<_>, _>>()
    .unwrap()
}

#[test]
fn values_made_alongside_the_write_are_the_values_from_the_store_and_are_current() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shopify.csv");
    clv_desk::bench::write_shopify_export(&file, 20_000, 9).unwrap();
    let db = dir.path().join("shop.sqlite");
    let mut store = Store::open(&db).unwrap();
    let (result, valued) =
        import_and_value(&mut store, &file, ImportOptions::default(), &mut |_, _| {
            true
        })
        .unwrap();
    assert!(result.outcome.orders_created > 1_000);
    let valued = valued.expect("an empty database is valued alongside the write");
    assert_eq!(
        valued.customer_ids.len() as u64,
        result.outcome.customers_created
    );
    assert!(
        scores_are_current(&store).unwrap(),
        "the saved run's inputs key is the data's: opening the app does not value again"
    );
    let alongside = store.current_run().unwrap().unwrap();
    let alongside_rows = score_rows(&db, alongside.id);
    assert_eq!(alongside_rows.len(), valued.customer_ids.len());
    // The summary described while the scores were written is the one stored and returned,
    // with the value charts' figures, not the placeholder the run row starts with.
    assert_eq!(valued.run.summary_json, alongside.run.summary_json);
    let summary = current_overview(&store).unwrap().unwrap().summary;
    let acquired = valued
        .valuation
        .summaries
        .iter()
        .filter(|s| s.is_acquired())
        .count();
    assert_eq!(summary.customers_valued, acquired as u64);
    assert!(acquired > 1_000);
    assert!(!summary.insights.revenue_by_month.is_empty());
    assert!(summary.mean_clv_cents > 0.0);

    // Valuing from the store gives the same run and the same scores.
    value_and_save(&mut store, &Progress::default()).unwrap();
    let from_store = store.current_run().unwrap().unwrap();
    assert_ne!(from_store.id, alongside.id);
    for (a, b) in [
        (&alongside.run.model, &from_store.run.model),
        (&alongside.run.params_json, &from_store.run.params_json),
        (&alongside.run.inputs_key, &from_store.run.inputs_key),
        (&alongside.run.reason, &from_store.run.reason),
        (&alongside.run.summary_json, &from_store.run.summary_json),
    ] {
        assert_eq!(a, b);
    }
    assert_eq!(alongside_rows, score_rows(&db, from_store.id));
}

#[test]
fn a_database_with_orders_is_valued_from_the_store_afterwards() {
    let dir = tempfile::tempdir().unwrap();
    let (first, second) = (dir.path().join("a.csv"), dir.path().join("b.csv"));
    clv_desk::bench::write_shopify_export(&first, 3_000, 1).unwrap();
    clv_desk::bench::write_shopify_export(&second, 3_000, 2).unwrap();
    let mut store = Store::open(&dir.path().join("shop.sqlite")).unwrap();
    let (_, valued) =
        import_and_value(&mut store, &first, ImportOptions::default(), &mut |_, _| {
            true
        })
        .unwrap();
    assert!(valued.is_some());
    // Orders are stored now: the write gathers nothing, and the import still completes.
    let (result, valued) = import_and_value(
        &mut store,
        &second,
        ImportOptions::default(),
        &mut |_, _| true,
    )
    .unwrap();
    assert!(result.outcome.orders_created > 0);
    assert!(valued.is_none(), "a second file is valued from the store");
    assert!(
        !scores_are_current(&store).unwrap(),
        "the caller values next"
    );
}

#[test]
fn a_small_shops_summary_reads_back_with_its_figures_and_no_p_alive() {
    // Five customers, three of them repeat: too few for a model, so the simple formulas
    // value them, and they have no P(alive). Stored as JSON `null`, that figure once made
    // the whole summary unreadable: the dashboard showed €0 over 0 months.
    let file =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/import/shopify/orders_export.csv");
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("shop.sqlite")).unwrap();
    import_and_value(&mut store, &file, ImportOptions::default(), &mut |_, _| {
        true
    })
    .unwrap();
    if !scores_are_current(&store).unwrap() {
        value_and_save(&mut store, &Progress::default()).unwrap();
    }
    let overview = current_overview(&store).unwrap().unwrap();
    assert_eq!(overview.method_label, "Simple formulas");
    let summary = overview.summary;
    assert_eq!(summary.customers_valued, 5);
    assert!(summary.mean_p_alive.is_nan(), "no P(alive) without a model");
    assert!(summary.mean_clv_cents > 0.0);
    assert!(summary.horizon_months > 0.0);
    assert!(!summary.insights.revenue_by_month.is_empty());
}
