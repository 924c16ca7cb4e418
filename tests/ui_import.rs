//! The Import view as an owner uses it: a file arrives (dialog bypassed, or dropped on the
//! window), the preview shows what will be stored, the owner settles the ambiguous dates,
//! imports, reads the report and the history, and undoes it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clv_desk::app::{Command, Preview, UiPrefs, View};
use clv_desk::ui::ClvDeskApp;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};

fn fixture(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/import")
        .join(relative)
}

fn harness_on(db: &Path) -> Harness<'static, ClvDeskApp> {
    let app = ClvDeskApp::new(db, UiPrefs::default());
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1280.0, 1000.0))
        .build_ui_state(|ui, app: &mut ClvDeskApp| app.show(ui), app);
    harness.run();
    harness
}

fn run_until(
    harness: &mut Harness<'_, ClvDeskApp>,
    what: &str,
    done: impl Fn(&ClvDeskApp) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        harness.step();
        if done(harness.state()) {
            break;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
    harness.run();
}

fn idle(app: &ClvDeskApp) -> bool {
    app.state.running_job().is_none()
        && !matches!(
            app.state.import.preview,
            Preview::Staging | Preview::Writing
        )
}

fn orders_in_db(app: &ClvDeskApp) -> u64 {
    app.state.snapshot().unwrap().overview.orders
}

#[test]
fn preview_choose_date_order_import_then_undo() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = harness_on(&dir.path().join("import.sqlite"));

    // The file arrives as if chosen in the dialog.
    harness
        .state_mut()
        .state
        .push(Command::StageFiles(vec![fixture(
            "generic/ambiguous_dates.csv",
        )]));
    run_until(&mut harness, "the preview", |app| {
        idle(app) && matches!(app.state.import.preview, Preview::Ready(_))
    });
    assert_eq!(harness.state().state.view, View::Import);
    harness.get_by_label("Preview of ambiguous_dates.csv");
    harness.get_by_label(
        "Every date in this file could be read both ways: choose how they are written.",
    );
    let import_button = harness.get_by_label("Import 10 orders");
    assert!(
        import_button.accesskit_node().is_disabled(),
        "ambiguous dates must be settled first"
    );
    assert_eq!(
        orders_in_db(harness.state()),
        0,
        "the preview writes nothing"
    );

    // Settle the dates: month first.
    harness.get_by_label("Dates").click();
    harness.run();
    harness.get_by_label("month/day/year (12/31/2025)").click();
    harness.step();
    run_until(&mut harness, "the preview to be read again", |app| {
        idle(app)
            && matches!(&app.state.import.preview, Preview::Ready(s) if !s.date_order_ambiguous)
    });
    assert!(
        harness
            .query_by_label(
                "Every date in this file could be read both ways: choose how they are written."
            )
            .is_none()
    );
    // Month first: INV-101 is on 2 January 2025.
    harness.get_by_label("2 Jan 2025");

    harness.get_by_label("Import 10 orders").click();
    harness.step();
    run_until(&mut harness, "the import", |app| {
        idle(app) && app.state.import.last_report.is_some()
    });
    harness.get_by_label("Imported ambiguous_dates.csv");
    assert_eq!(orders_in_db(harness.state()), 10);
    let history_row = harness.get_all_by_label("ambiguous_dates.csv").count();
    assert!(history_row >= 1, "the history lists the file");

    // Undo, confirmed in a dialog.
    harness.get_by_label("Undo").click();
    harness.run();
    harness.get_by_label("Undo the import of ambiguous_dates.csv?");
    harness.get_by_label("Undo import").click();
    harness.step();
    run_until(&mut harness, "the undo", idle);
    assert_eq!(orders_in_db(harness.state()), 0);
    assert!(
        harness.query_by_label("Undo").is_none(),
        "an undone import cannot be undone twice"
    );
    harness.get_by_label_contains("Undone ");
}

#[test]
fn a_missing_column_is_fixed_in_the_preview() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = harness_on(&dir.path().join("fix.sqlite"));
    let csv = dir.path().join("till.csv");
    std::fs::write(&csv, "Receipt,When,Client,Takings\nR1,2025-03-01,a@example.com,12.50\nR2,2025-03-04,b@example.com,8.00\n").unwrap();
    harness
        .state_mut()
        .state
        .push(Command::StageFiles(vec![csv]));
    run_until(&mut harness, "the failed preview", |app| {
        idle(app) && matches!(app.state.import.preview, Preview::Failed { .. })
    });
    harness.get_by_label_contains("has no column for the order date");

    harness.get_by_label("Order date").click();
    harness.run();
    harness.get_by_label("When").click();
    harness.step();
    run_until(&mut harness, "the preview", |app| {
        idle(app) && !matches!(app.state.import.preview, Preview::Staging)
    });
    // "Takings" is not a name the guess knows: the amount is still missing, and asked for.
    harness.get_by_label_contains("has no column for the amount paid");
    harness.get_by_label("Amount paid").click();
    harness.run();
    harness.get_by_label("Takings").click();
    harness.step();
    run_until(&mut harness, "the preview", |app| {
        idle(app) && matches!(app.state.import.preview, Preview::Ready(_))
    });
    harness.get_by_label("Import 2 orders").click();
    harness.step();
    run_until(&mut harness, "the import", |app| {
        idle(app) && app.state.import.last_report.is_some()
    });
    assert_eq!(orders_in_db(harness.state()), 2);
}

/// A file dropped on the window, as eframe's integration hands it over.
#[derive(Debug)]
struct Dropped(PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }
    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

#[test]
fn a_file_dropped_on_any_view_opens_its_preview() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = harness_on(&dir.path().join("drop.sqlite"));
    harness.get_by_label("Settings").click();
    harness.run();
    harness
        .input_mut()
        .dropped_files
        .push(Arc::new(Dropped(fixture("shopify/orders_export.csv"))));
    run_until(&mut harness, "the preview", |app| {
        idle(app) && matches!(app.state.import.preview, Preview::Ready(_))
    });
    assert_eq!(harness.state().state.view, View::Import);
    harness.get_by_label("Preview of orders_export.csv");
    harness.get_by_label("Import 11 orders");
}
