//! `clv-desk import`'s streamed import (the write overlaps the reading) stores exactly what
//! the window's two phases (preview, then write) store: on a generated Shopify export, on a
//! file that returns to an order already written (it starts over the two-phase way), and on
//! a refund of such an order. Re-importing adds nothing; cancelling leaves the file as it
//! was; ambiguous dates are still refused.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

mod common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use clv_desk::app::import::{ImportFailure, ImportResult, import_streamed, stage, write};
use clv_desk::domain::NewOrder;
use clv_desk::import::{
    ImportError, ImportOptions, OrderSink, StagedImport, Streamed, stage_file, stage_file_streamed,
};
use clv_desk::store::Store;

/// Keeps what a streamed staging passes on.
#[derive(Default)]
struct Recorder {
    started: bool,
    batches: Vec<Vec<NewOrder>>,
}

impl OrderSink for Recorder {
    fn start(&mut self, _decided: &StagedImport) -> bool {
        self.started = true;
        true
    }

    fn orders(&mut self, orders: Vec<NewOrder>) -> bool {
        self.batches.push(orders);
        true
    }
}

fn stage_streamed(file: &Path) -> (Recorder, Streamed) {
    let mut recorder = Recorder::default();
    let streamed = stage_file_streamed(
        file,
        &ImportOptions::default(),
        &mut |_, _| true,
        &mut recorder,
    )
    .unwrap();
    (recorder, streamed)
}

/// Every row of the tables an import writes, its record and remembered mapping among them,
/// in a stable order, without the columns that hold the time of the import itself.
fn dump(db: &Path) -> Vec<String> {
    let mut tables = common::db::IMPORT_TABLES.to_vec();
    tables.extend([("imports", "id"), ("import_mappings", "signature")]);
    common::db::table_rows(db, &tables, &common::db::CLOCK_COLUMNS)
}

fn two_phase(db: &Path, file: &Path) -> ImportResult {
    let mut store = Store::open(db).unwrap();
    let staged = stage(&store, file, ImportOptions::default(), &mut |_, _| true).unwrap();
    write(&mut store, staged, false, &mut |_| true).unwrap()
}

fn streamed(db: &Path, file: &Path) -> Result<ImportResult, ImportFailure> {
    let mut store = Store::open(db)?;
    import_streamed(&mut store, file, ImportOptions::default(), &mut |_, _| true)
}

/// What the CLI prints, without the file's path (the two databases read the same file).
fn report(result: &ImportResult) -> serde_json::Value {
    let mut json = result.to_json();
    json.as_object_mut().unwrap().remove("file");
    json
}

/// Imports `file` both ways into fresh databases under `dir` and asserts they agree.
fn assert_both_ways_agree(dir: &Path, file: &Path) -> ImportResult {
    let (a, b) = (dir.join("streamed.sqlite"), dir.join("two-phase.sqlite"));
    let by_stream = streamed(&a, file).unwrap();
    let by_phases = two_phase(&b, file);
    assert_eq!(report(&by_stream), report(&by_phases));
    let (dump_a, dump_b) = (dump(&a), dump(&b));
    assert!(dump_a.len() > 10, "something was written: {dump_a:?}");
    for (x, y) in dump_a.iter().zip(&dump_b) {
        assert_eq!(x, y);
    }
    assert_eq!(dump_a.len(), dump_b.len());
    by_stream
}

#[test]
fn a_generated_shopify_export_is_stored_exactly_as_the_two_phases_store_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shopify.csv");
    let generated = clv_desk::bench::write_shopify_export(&file, 40_000, 11).unwrap();
    let result = assert_both_ways_agree(dir.path(), &file);
    // Some generated orders are unpaid or voided, and skipped.
    let created = result.outcome.orders_created as usize;
    assert!(
        (5_000..=generated).contains(&created),
        "enough orders to be passed on in several batches: {created} of {generated}"
    );
    assert!(!result.staged.report.skipped.is_empty());
}

#[test]
fn orders_passed_on_while_reading_and_those_left_at_the_end_are_the_staged_orders() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shopify.csv");
    clv_desk::bench::write_shopify_export(&file, 40_000, 5).unwrap();
    let whole = stage_file(&file, &ImportOptions::default(), &mut |_, _| true).unwrap();
    let (recorder, streamed) = stage_streamed(&file);
    let Streamed::Staged(tail) = streamed else {
        panic!("a Shopify export lists each order's rows together");
    };
    assert!(recorder.started);
    assert!(
        recorder.batches.len() >= 3,
        "passed on in batches while reading: {}",
        recorder.batches.len()
    );
    let mut orders: Vec<NewOrder> = recorder.batches.into_iter().flatten().collect();
    assert!(
        orders.len() > tail.orders.len(),
        "most orders were passed on"
    );
    orders.extend(tail.orders);
    assert!(orders == whole.orders, "the same orders, in the same order");
    assert_eq!(tail.report, whole.report, "the report counts every order");
    assert_eq!(tail.sha256, whole.sha256);
}

/// Hands every batch back once the next one comes, as the write does, and keeps a copy of
/// each batch's orders and where its memory was.
#[derive(Default)]
struct HandingBack {
    copies: Vec<NewOrder>,
    buffers: Vec<*const NewOrder>,
    held: Option<Vec<NewOrder>>,
}

impl OrderSink for HandingBack {
    fn start(&mut self, _decided: &StagedImport) -> bool {
        true
    }

    fn orders(&mut self, orders: Vec<NewOrder>) -> bool {
        self.copies.extend(orders.iter().cloned());
        self.buffers.push(orders.as_ptr());
        self.held = Some(orders);
        true
    }

    fn spent(&mut self) -> Option<Vec<NewOrder>> {
        self.held.take()
    }
}

#[test]
fn a_batch_handed_back_carries_later_orders_and_they_are_the_staged_orders() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shopify.csv");
    clv_desk::bench::write_shopify_export(&file, 40_000, 7).unwrap();
    let whole = stage_file(&file, &ImportOptions::default(), &mut |_, _| true).unwrap();
    let mut sink = HandingBack::default();
    let streamed = stage_file_streamed(
        &file,
        &ImportOptions::default(),
        &mut |_, _| true,
        &mut sink,
    )
    .unwrap();
    let Streamed::Staged(tail) = streamed else {
        panic!("a Shopify export lists each order's rows together");
    };
    assert!(sink.buffers.len() >= 3, "batches: {}", sink.buffers.len());
    // The third batch fills the first one's memory (the second was taken while the first
    // was still out).
    assert_eq!(
        sink.buffers[2], sink.buffers[0],
        "the memory handed back is refilled"
    );
    let mut orders = sink.copies;
    orders.extend(tail.orders);
    assert!(orders == whole.orders, "the same orders, in the same order");
}

/// A generic export (order, date, e-mail, amount), one row per order, with `extra` rows
/// appended at the end.
fn generic_file(dir: &Path, orders: usize, extra: &[&str]) -> PathBuf {
    let mut text = String::from("Order ID,Date,Email,Amount,Product\n");
    for n in 0..orders {
        let day = 1 + n % 28;
        writeln!(
            text,
            "A{n},2025-03-{day:02},c{}@example.com,{}.50,Beans",
            n % 300,
            10 + n % 40
        )
        .unwrap();
    }
    for row in extra {
        text.push_str(row);
        text.push('\n');
    }
    let path = dir.join("generic.csv");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_file_that_returns_to_an_order_already_written_is_imported_the_two_phase_way() {
    let dir = tempfile::tempdir().unwrap();
    // A second line of order A0, three thousand rows after its first.
    let file = generic_file(
        dir.path(),
        3_000,
        &["A0,2025-03-01,c0@example.com,4.00,Mug"],
    );
    assert!(matches!(stage_streamed(&file).1, Streamed::Revisited));
    let result = assert_both_ways_agree(dir.path(), &file);
    assert_eq!(result.outcome.orders_created, 3_000);
    let conn = rusqlite::Connection::open(dir.path().join("streamed.sqlite")).unwrap();
    let lines: i64 = conn
        .query_row(
            "SELECT count(*) FROM order_lines l JOIN orders o ON o.id = l.order_id
             WHERE o.external_id = 'A0'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(lines, 2, "both rows of order A0 are its lines");
    let imports: i64 = conn
        .query_row("SELECT count(*) FROM imports", [], |r| r.get(0))
        .unwrap();
    assert_eq!(imports, 1, "the streamed attempt was rolled back");
}

#[test]
fn a_refund_of_an_order_already_written_is_imported_the_two_phase_way() {
    let dir = tempfile::tempdir().unwrap();
    // A negative amount on a later row of an order already seen refunds it.
    let file = generic_file(
        dir.path(),
        3_000,
        &["A1,2025-03-20,c1@example.com,-5.00,Beans"],
    );
    assert!(matches!(stage_streamed(&file).1, Streamed::Revisited));
    let result = assert_both_ways_agree(dir.path(), &file);
    assert_eq!(result.staged.report.refunds, 1);
    let conn = rusqlite::Connection::open(dir.path().join("streamed.sqlite")).unwrap();
    let refunded: i64 = conn
        .query_row(
            "SELECT refunded_cents FROM orders WHERE external_id = 'A1'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(refunded, 500);
}

#[test]
fn the_same_file_streamed_twice_adds_nothing_and_records_the_import_completely() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.sqlite");
    let file = generic_file(dir.path(), 4_000, &[]);
    let first = streamed(&db, &file).unwrap();
    assert_eq!(first.outcome.orders_created, 4_000);
    let before = dump(&db);
    let second = streamed(&db, &file).unwrap();
    assert_eq!(
        (
            second.outcome.orders_created,
            second.outcome.orders_updated,
            second.outcome.orders_unchanged,
            second.outcome.customers_matched
        ),
        (0, 0, 4_000, 300)
    );
    let after: Vec<String> = dump(&db)
        .into_iter()
        .filter(|row| !row.starts_with("imports:"))
        .collect();
    let before: Vec<String> = before
        .into_iter()
        .filter(|row| !row.starts_with("imports:"))
        .collect();
    assert_eq!(after, before);
    // The record written at the start is completed at the end: rows, SHA-256, skips.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let (rows_read, sha256, imported): (i64, String, i64) = conn
        .query_row(
            "SELECT rows_read, sha256, rows_imported FROM imports WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!((rows_read, imported), (4_000, 4_000));
    assert_eq!(sha256, first.staged.sha256);
    assert_eq!(sha256.len(), 64);
}

#[test]
fn cancelling_a_streamed_import_leaves_the_database_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.sqlite");
    let file = dir.path().join("shopify.csv");
    clv_desk::bench::write_shopify_export(&file, 30_000, 3).unwrap();
    drop(Store::open(&db).unwrap());
    let empty = dump(&db);
    let mut store = Store::open(&db).unwrap();
    // Cancel at the second progress report, once orders have gone to the write.
    let mut reports = 0;
    let outcome = import_streamed(&mut store, &file, ImportOptions::default(), &mut |_, _| {
        reports += 1;
        reports < 4
    });
    assert!(
        matches!(outcome, Err(ImportFailure::File(ImportError::Cancelled))),
        "{outcome:?}"
    );
    drop(store);
    assert_eq!(dump(&db), empty);
}

#[test]
fn ambiguous_dates_are_refused_as_before() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.sqlite");
    let file = dir.path().join("ambiguous.csv");
    std::fs::write(
        &file,
        "Order ID,Date,Email,Amount\nB1,03/04/2025,a@example.com,10.00\nB2,05/06/2025,b@example.com,12.00\n",
    )
    .unwrap();
    let outcome = streamed(&db, &file);
    assert!(
        matches!(
            outcome,
            Err(ImportFailure::File(ImportError::AmbiguousDates { .. }))
        ),
        "{outcome:?}"
    );
    let conn = rusqlite::Connection::open(&db).unwrap();
    let orders: i64 = conn
        .query_row("SELECT count(*) FROM orders", [], |r| r.get(0))
        .unwrap();
    assert_eq!(orders, 0);
}
