//! Import into a real database: the same file twice adds nothing, an overlapping later
//! export updates what changed and adds only what is new, Undo restores the previous state
//! exactly, Cancel leaves the file as it was, and the CLI's JSON has the documented shape.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use clv_desk::app::import::{stage, write};
use clv_desk::domain::ImportId;
use clv_desk::import::ImportOptions;
use clv_desk::store::Store;

const SHOPIFY_HEADER: &str = "Name,Email,Financial Status,Paid at,Fulfillment Status,Fulfilled at,Accepts Marketing,Currency,Subtotal,Shipping,Taxes,Total,Discount Code,Discount Amount,Shipping Method,Created at,Lineitem quantity,Lineitem name,Lineitem price,Lineitem sku,Billing Name,Billing Phone,Refunded Amount,Id";

/// A Shopify-shaped export of orders `(number, email, day in 2025, total, refunded)`.
fn shopify_file(dir: &Path, name: &str, orders: &[(u32, &str, &str, &str, &str)]) -> PathBuf {
    let mut text = String::from(SHOPIFY_HEADER);
    text.push('\n');
    for (number, email, day, total, refunded) in orders {
        let status = if *refunded == "0.00" {
            "paid"
        } else {
            "partially_refunded"
        };
        text.push_str(&format!(
            "#{number},{email},{status},{day} 10:00:00 +0100,fulfilled,,yes,EUR,{total},0.00,0.00,{total},,0.00,Standard,{day} 09:58:00 +0100,1,Coffee beans,{total},BEAN-1,Name {number},,{refunded},{number}00\n"
        ));
        // A second line item row: order fields empty, as Shopify writes it.
        text.push_str(&format!(
            "#{number},{email},,,,,,,,,,,,,,{day} 09:58:00 +0100,1,Mug,0.00,MUG-1,,,,\n"
        ));
    }
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn import(store: &mut Store, path: &Path) -> serde_json::Value {
    let staged = stage(store, path, ImportOptions::default(), &mut |_, _| true).unwrap();
    write(store, staged, false, &mut |_| true)
        .unwrap()
        .to_json()
}

/// Every row of the tables an import touches, in a stable order, as text.
fn dump(path: &Path) -> Vec<String> {
    common::db::table_rows(path, &common::db::IMPORT_TABLES, &[])
}

#[test]
fn the_same_file_twice_adds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.sqlite");
    let file = shopify_file(
        dir.path(),
        "jan.csv",
        &[
            (1001, "a@example.com", "2025-01-05", "20.00", "0.00"),
            (1002, "b@example.com", "2025-01-09", "35.50", "0.00"),
        ],
    );
    let mut store = Store::open(&db).unwrap();
    let first = import(&mut store, &file);
    assert_eq!(
        (
            first["orders_added"].as_u64(),
            first["customers_new"].as_u64()
        ),
        (Some(2), Some(2))
    );
    let before = dump(&db);
    let second = import(&mut store, &file);
    assert_eq!(second["orders_added"], 0);
    assert_eq!(second["orders_updated"], 0);
    assert_eq!(second["customers_new"], 0);
    assert_eq!(second["customers_matched"], 2);
    assert_eq!(
        dump(&db),
        before,
        "a second import of the same file changes nothing"
    );
}

#[test]
fn an_overlapping_export_updates_changed_orders_and_adds_only_new_ones() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.sqlite");
    let jan_mar = shopify_file(
        dir.path(),
        "jan-mar.csv",
        &[
            (1001, "a@example.com", "2025-01-05", "20.00", "0.00"),
            (1002, "b@example.com", "2025-02-09", "35.50", "0.00"),
            (1003, "a@example.com", "2025-03-02", "12.00", "0.00"),
        ],
    );
    // February to April: #1002 got a refund since, #1003 is unchanged, #1004 is new.
    let feb_apr = shopify_file(
        dir.path(),
        "feb-apr.csv",
        &[
            (1002, "b@example.com", "2025-02-09", "35.50", "10.00"),
            (1003, "a@example.com", "2025-03-02", "12.00", "0.00"),
            (1004, "c@example.com", "2025-04-11", "50.00", "0.00"),
        ],
    );
    let mut store = Store::open(&db).unwrap();
    import(&mut store, &jan_mar);
    let second = import(&mut store, &feb_apr);
    assert_eq!(second["orders_added"], 1);
    assert_eq!(second["orders_updated"], 1);
    assert_eq!(second["orders_unchanged"], 1);
    assert_eq!(second["customers_new"], 1);
    assert_eq!(second["customers_matched"], 2);
    let conn = rusqlite::Connection::open(&db).unwrap();
    let (orders, net): (i64, i64) = conn
        .query_row("SELECT count(*), sum(net_cents) FROM orders", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(orders, 4);
    assert_eq!(net, 2000 + 3550 - 1000 + 1200 + 5000);
}

#[test]
fn undo_restores_the_previous_state_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.sqlite");
    let jan_mar = shopify_file(
        dir.path(),
        "jan-mar.csv",
        &[
            (1001, "a@example.com", "2025-01-05", "20.00", "0.00"),
            (1002, "b@example.com", "2025-02-09", "35.50", "0.00"),
        ],
    );
    let feb_apr = shopify_file(
        dir.path(),
        "feb-apr.csv",
        &[
            (1002, "b@example.com", "2025-02-09", "35.50", "10.00"),
            (1004, "c@example.com", "2025-04-11", "50.00", "0.00"),
        ],
    );
    let mut store = Store::open(&db).unwrap();
    import(&mut store, &jan_mar);
    let before = dump(&db);
    import(&mut store, &feb_apr);
    assert_ne!(dump(&db), before);

    // The first import cannot be undone while the later one depends on it.
    let err = store.undo_import(ImportId(1)).unwrap_err();
    assert!(
        err.to_string().contains("Undo “feb-apr.csv” first"),
        "{err}"
    );

    let outcome = store.undo_import(ImportId(2)).unwrap();
    assert_eq!(
        (
            outcome.orders_removed,
            outcome.orders_restored,
            outcome.customers_removed
        ),
        (1, 1, 1)
    );
    assert_eq!(dump(&db), before, "undo puts every row back as it was");
    assert!(
        store
            .undo_import(ImportId(2))
            .unwrap_err()
            .to_string()
            .contains("already undone")
    );

    // Now the first one can go too, back to an empty database.
    store.undo_import(ImportId(1)).unwrap();
    let conn = rusqlite::Connection::open(&db).unwrap();
    let left: i64 = conn
        .query_row("SELECT (SELECT count(*) FROM orders) + (SELECT count(*) FROM customers) + (SELECT count(*) FROM customer_keys)", [], |r| r.get(0))
        .unwrap();
    assert_eq!(left, 0);
}

#[test]
fn cancel_mid_import_leaves_the_database_file_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.sqlite");
    let small = shopify_file(
        dir.path(),
        "small.csv",
        &[(1, "a@example.com", "2025-01-05", "20.00", "0.00")],
    );
    let big_orders: Vec<(u32, String, String)> = (0..3000)
        .map(|i| {
            (
                10_000 + i,
                format!("c{i}@example.com"),
                format!("2025-{:02}-{:02}", 1 + i % 12, 1 + i % 28),
            )
        })
        .collect();
    let rows: Vec<(u32, &str, &str, &str, &str)> = big_orders
        .iter()
        .map(|(n, e, d)| (*n, e.as_str(), d.as_str(), "9.99", "0.00"))
        .collect();
    let big = shopify_file(dir.path(), "big.csv", &rows);
    {
        let mut store = Store::open(&db).unwrap();
        import(&mut store, &small);
    }
    let bytes_before = std::fs::read(&db).unwrap();
    let rows_before = dump(&db);
    {
        let mut store = Store::open(&db).unwrap();
        let staged = stage(&store, &big, ImportOptions::default(), &mut |_, _| true).unwrap();
        let result = write(&mut store, staged, false, &mut |done| done < 1500);
        assert!(result.unwrap_err().to_string().contains("cancelled"));
    }
    assert_eq!(dump(&db), rows_before);
    assert_eq!(
        std::fs::read(&db).unwrap(),
        bytes_before,
        "the database file is byte-for-byte as before"
    );
}

#[test]
fn cli_json_has_the_documented_shape_and_a_refused_file_fails() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.sqlite");
    let file = shopify_file(
        dir.path(),
        "jan.csv",
        &[(1001, "a@example.com", "2025-01-05", "20.00", "5.00")],
    );
    let output = Command::new(env!("CARGO_BIN_EXE_clv-desk"))
        .arg("--db")
        .arg(&db)
        .args(["import", "--json"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "one JSON object per file");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    for key in [
        "file",
        "preset",
        "encoding",
        "delimiter",
        "rows_read",
        "orders_added",
        "orders_updated",
        "customers_new",
        "customers_matched",
        "guest_orders",
        "refunds",
        "skipped",
        "net_total_minor",
    ] {
        assert!(json.get(key).is_some(), "missing {key} in {json}");
    }
    assert_eq!(json["preset"], "shopify");
    assert_eq!(json["net_total_minor"], 1500);
    assert_eq!(json["refunds"], 1);

    let empty = dir.path().join("empty.csv");
    std::fs::write(&empty, "").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_clv-desk"))
        .arg("--db")
        .arg(&db)
        .args(["import", "--json"])
        .arg(&empty)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    assert!(String::from_utf8_lossy(&output.stderr).contains("empty.csv is empty"));
}

#[test]
fn a_mapping_chosen_once_is_offered_for_the_next_file_with_the_same_header() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.sqlite");
    let write_file = |name: &str, rows: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, format!("Receipt,When,Client,Takings\n{rows}")).unwrap();
        path
    };
    let march = write_file(
        "march.csv",
        "R1,2025-03-01,a@example.com,12.50\nR2,2025-03-04,b@example.com,8.00\n",
    );
    let april = write_file("april.csv", "R3,2025-04-02,a@example.com,20.00\n");
    let mut store = Store::open(&db).unwrap();

    // Without a mapping, the amount column is not recognised.
    let err = stage(&store, &april, ImportOptions::default(), &mut |_, _| true).unwrap_err();
    assert!(
        err.to_string().contains("no column for the order date"),
        "{err}"
    );

    let chosen = ImportOptions {
        overrides: vec![
            (clv_desk::import::Field::Date, "When".to_owned()),
            (clv_desk::import::Field::Total, "Takings".to_owned()),
            (clv_desk::import::Field::Email, "Client".to_owned()),
        ],
        ..ImportOptions::default()
    };
    let staged = stage(&store, &march, chosen, &mut |_, _| true).unwrap();
    write(&mut store, staged, false, &mut |_| true).unwrap();

    // The next file with the same header uses the remembered columns by itself.
    let staged = stage(&store, &april, ImportOptions::default(), &mut |_, _| true).unwrap();
    assert_eq!(staged.orders.len(), 1);
    assert_eq!(staged.orders[0].net_cents(), 2000);
    assert_eq!(
        staged.orders[0].customer.email.as_deref(),
        Some("a@example.com")
    );
}

#[test]
fn a_file_in_another_currency_needs_a_rate() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.sqlite");
    let eur = shopify_file(
        dir.path(),
        "eur.csv",
        &[(1001, "a@example.com", "2025-01-05", "20.00", "0.00")],
    );
    let usd_path = dir.path().join("usd.csv");
    std::fs::write(
        &usd_path,
        std::fs::read_to_string(&eur)
            .unwrap()
            .replace(",EUR,", ",USD,")
            .replace("#1001", "#2001"),
    )
    .unwrap();
    let mut store = Store::open(&db).unwrap();
    import(&mut store, &eur);
    assert_eq!(
        store.business_settings().unwrap().currency.code(),
        "EUR",
        "the first import chose the base currency"
    );

    let err = stage(&store, &usd_path, ImportOptions::default(), &mut |_, _| {
        true
    })
    .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("usd.csv is in USD, but this database keeps its figures in EUR"),
        "{message}"
    );

    let with_rate = ImportOptions {
        exchange_rate: Some(0.5),
        ..ImportOptions::default()
    };
    let staged = stage(&store, &usd_path, with_rate, &mut |_, _| true).unwrap();
    assert_eq!(staged.stored_currency.code(), "EUR");
    assert_eq!(
        staged.orders[0].net_cents(),
        1000,
        "$20.00 at 0.5 EUR per USD"
    );
    assert!(
        staged
            .report
            .warnings
            .iter()
            .any(|w| w.contains("converted to EUR at 0.5"))
    );
}
