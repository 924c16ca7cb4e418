//! The window as an owner uses it, driven through egui_kittest: find widgets by their
//! label, click and type, and check what changed on screen and in the state.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use std::path::Path;
use std::time::{Duration, Instant};

use clv_desk::app::{DataState, ThemeChoice, UiPrefs, View, prefs::PREFS_KEY};
use clv_desk::domain::Currency;
use clv_desk::store::Store;
use clv_desk::ui::ClvDeskApp;
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};

fn harness_on(db: &Path, prefs: UiPrefs) -> Harness<'static, ClvDeskApp> {
    let app = ClvDeskApp::new(db, prefs);
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_ui_state(|ui, app: &mut ClvDeskApp| app.show(ui), app);
    harness.run();
    harness
}

/// Steps the UI (as the window would, ~20 frames a second) until `done` or 60 s pass.
fn run_until(
    harness: &mut Harness<'_, ClvDeskApp>,
    what: &str,
    done: impl Fn(&ClvDeskApp) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done(harness.state()) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        harness.step();
        std::thread::sleep(Duration::from_millis(50));
    }
    harness.run();
}

fn job_finished(app: &ClvDeskApp) -> bool {
    app.state.running_job().is_none()
}

#[test]
fn each_navigation_label_opens_its_view() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = harness_on(&dir.path().join("nav.sqlite"), UiPrefs::default());
    harness.get_by_label(View::Dashboard.heading());
    for view in View::ALL.into_iter().rev() {
        harness.get_by_label(view.label()).click();
        harness.run();
        assert_eq!(harness.state().state.view, view);
        harness.get_by_label(view.heading());
    }
}

#[test]
fn an_empty_database_says_no_orders_yet_and_offers_both_ways_in() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = harness_on(&dir.path().join("empty.sqlite"), UiPrefs::default());
    harness.get_by_label("No orders yet");
    harness.get_by_label("Go to Import").click();
    harness.run();
    assert_eq!(harness.state().state.view, View::Import);
    harness.get_by_label("No imports yet.");
    // Every view says what to do first on an empty database.
    for view in [
        View::Customers,
        View::ValueCharts,
        View::Loyalty,
        View::Referrals,
        View::Care,
    ] {
        harness.get_by_label(view.label()).click();
        harness.run();
        assert!(
            harness.query_by_label("Explore demo data").is_some(),
            "{view:?} offers demo data on an empty database"
        );
    }
    harness.get_by_label("Customers").click();
    harness.run();
    harness.get_by_label("No customers yet");
}

#[test]
fn ctrl_number_switches_views() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = harness_on(&dir.path().join("keys.sqlite"), UiPrefs::default());
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Num3);
    harness.run();
    assert_eq!(harness.state().state.view, View::Customers);
    harness.get_by_label(View::Customers.heading());
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Num8);
    harness.run();
    harness.get_by_label(View::Settings.heading());
    // Without the modifier a digit does nothing.
    harness.key_press(Key::Num1);
    harness.run();
    assert_eq!(harness.state().state.view, View::Settings);
}

#[test]
fn loading_demo_data_fills_the_dashboard() {
    let dir = tempfile::tempdir().unwrap();
    let own = dir.path().join("mine.sqlite");
    let mut harness = harness_on(&own, UiPrefs::default());
    harness.get_by_label("Explore demo data").click();
    harness.run_steps(2);
    assert!(
        harness.state().state.running_job().is_some(),
        "demo runs in the background"
    );
    // The demo is written, then the customers are valued in the background by themselves.
    run_until(&mut harness, "the demo and its valuation", |app| {
        job_finished(app) && app.state.snapshot().is_some_and(|s| s.valuation.is_some())
    });

    let snapshot = harness.state().state.snapshot().cloned().unwrap();
    assert_eq!(
        snapshot.overview.customers,
        clv_desk::app::DEMO_CUSTOMERS as u64 + 2,
        "plus the sample referrals' two coupon friends"
    );
    assert!(snapshot.overview.repeat_customers > 0);
    assert!(harness.query_by_label("No orders yet").is_none());
    harness.get_by_label("Came back");
    harness.get_by_label(&clv_desk::domain::group_thousands(
        snapshot.overview.customers,
    ));
    let status = harness.state().state.status.clone().unwrap();
    assert!(!snapshot.needs_valuation());
    let run = snapshot.valuation.clone().unwrap();
    // Customers whose only order was refunded in full have bought nothing to value.
    assert!((1_900..=2_000).contains(&run.summary.customers_valued));
    let valued = clv_desk::domain::group_thousands(run.summary.customers_valued);
    assert!(
        status
            .text
            .starts_with(&format!("Valued {valued} customers with")),
        "{status:?}"
    );
    assert!(run.summary.mean_clv_cents > 0.0);
    // The difference from the customers card is said where the valued customers are.
    let refunded_only = snapshot.overview.customers - run.summary.customers_valued;
    harness.get_by_label_contains(&format!(
        "What your existing {valued} customers are expected to spend"
    ));
    harness.get_by_label_contains(&format!(
        "before new customers. Not counted: {refunded_only} customers whose every order was refunded."
    ));
    harness.get_by_label("Average customer value");
    harness.get_by_label(
        &clv_desk::domain::EstimateFormat::for_range(
            run.summary.mean_clv_low_cents,
            run.summary.mean_clv_high_cents,
            snapshot.settings.currency,
        )
        .amount(run.summary.mean_clv_cents),
    );

    // On demand: a new run replaces the current one.
    harness.get_by_label("Recalculate values").click();
    harness.run_steps(2);
    run_until(&mut harness, "the recalculation", job_finished);
    let again = harness.state().state.snapshot().cloned().unwrap();
    let rerun = again.valuation.unwrap();
    assert!(rerun.run_id > run.run_id);
    assert_eq!(
        again.previous_valuation.map(|p| p.run_id),
        Some(run.run_id),
        "the dashboard compares with the run before"
    );
    assert!(
        harness
            .query_all_by_label_contains("Since the previous valuation")
            .next()
            .is_some()
    );
    harness.get_by_label("Best fifth of customers");
    harness.get_by_label("Valuable customers slipping away");
    if rerun.summary.insights.at_risk.customers > 0 {
        harness.get_by_label("Do this next");
        harness
            .query_all_by_label("Open Customers")
            .next()
            .unwrap()
            .click();
        harness.step();
        assert_eq!(harness.state().state.view, View::Customers);
        assert!(harness.state().state.customers.query.at_risk_only);
        run_until(&mut harness, "the customers table", |app| {
            app.state.running_job().is_none() && app.state.customers_table_is_current()
        });
        assert_eq!(
            harness.state().state.customers.visible.len() as u64,
            rerun.summary.insights.at_risk.customers
        );
        harness.get_by_label("Dashboard").click();
        harness.run();
    }
    assert_eq!(rerun.summary.customers_valued, run.summary.customers_valued);

    // Each figure links to the view that explains it.
    harness
        .query_all_by_label("See it in Customers")
        .next()
        .unwrap()
        .click();
    harness.step(); // the table is being read: its spinner keeps painting
    assert_eq!(harness.state().state.view, View::Customers);
    harness.get_by_label("Dashboard").click();
    harness.step();
    run_until(&mut harness, "the customers table", |app| {
        app.state.running_job().is_none()
    });
    assert!(harness.query_all_by_label("See it in Value charts").count() >= 5);

    harness.get_by_label("See the import history").click();
    harness.run();
    harness.get_by_label("Demo data");

    // The demo lives in its own, clearly labelled database; the owner's file is untouched.
    let demo_path = dir.path().join(clv_desk::app::DEMO_DB_FILE);
    assert_eq!(snapshot.db_path, demo_path);
    assert!(snapshot.is_demo);
    harness.get_by_label("Demo shop: these customers and orders are made up, not your data.");
    harness.get_by_label("Back to your database").click();
    harness.run();
    let back = harness.state().state.snapshot().cloned().unwrap();
    assert_eq!(back.db_path, own);
    assert!(back.overview.is_empty() && !back.is_demo);
    assert!(harness.query_by_label("Back to your database").is_none());
    harness.get_by_label("No orders yet");

    // Exploring again opens the demo that is already there, without generating it again.
    harness.get_by_label("Explore demo data").click();
    harness.run();
    let again = harness.state().state.snapshot().cloned().unwrap();
    assert_eq!(again.db_path, demo_path);
    assert_eq!(again.overview.customers, snapshot.overview.customers);
    assert!(harness.state().state.running_job().is_none());
}

#[test]
fn the_cancel_button_stops_a_running_job() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = harness_on(&dir.path().join("cancel.sqlite"), UiPrefs::default());
    // A job that only ends when cancelled, so the click is what stops it.
    harness.state_mut().state.start_job(
        "Counting slowly",
        Box::new(|_store, progress| {
            while !progress.is_cancelled() {
                progress.set(0.5, "Counting customers…");
                std::thread::sleep(Duration::from_millis(5));
            }
            Ok("Stopped; nothing was changed.".to_owned())
        }),
    );
    run_until(&mut harness, "the progress message", |app| {
        app.state
            .running_job()
            .is_some_and(|j| j.progress.message() == "Counting customers…")
    });
    harness.step();
    harness.get_by_label("Counting customers…");
    // No second write can start beside the first: the demo button is disabled meanwhile.
    assert!(
        harness
            .get_by_label("Explore demo data")
            .accesskit_node()
            .is_disabled()
    );

    harness.get_by_label("Cancel").click();
    run_until(&mut harness, "the job to stop", job_finished);
    assert_eq!(
        harness.state().state.status.as_ref().unwrap().text,
        "Stopped; nothing was changed."
    );
    assert!(
        harness
            .state()
            .state
            .snapshot()
            .unwrap()
            .overview
            .is_empty()
    );
    assert!(harness.query_by_label("Cancel").is_none());
    assert!(
        !harness
            .get_by_label("Explore demo data")
            .accesskit_node()
            .is_disabled()
    );
}

#[test]
fn settings_theme_switches_and_is_remembered() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("theme.sqlite");
    let mut harness = harness_on(&db, UiPrefs::default());
    harness.get_by_label("Settings").click();
    harness.run();
    harness.get_by_label("Dark").click();
    harness.run();
    assert_eq!(harness.state().state.prefs.theme, ThemeChoice::Dark);
    assert_eq!(harness.ctx.theme(), egui::Theme::Dark);
    harness.get_by_label("Light").click();
    harness.run();
    assert_eq!(harness.ctx.theme(), egui::Theme::Light);

    // What eframe stores on exit brings back the theme and the last view.
    harness.get_by_label("Dark").click();
    harness.run();
    let mut storage = MemoryStorage::default();
    eframe::App::save(harness.state_mut(), &mut storage);
    let prefs: UiPrefs = eframe::get_value(&storage, PREFS_KEY).unwrap();
    assert_eq!(
        prefs,
        UiPrefs {
            theme: ThemeChoice::Dark,
            last_view: View::Settings,
            ..UiPrefs::default()
        }
    );
    drop(harness);
    let reopened = harness_on(&db, prefs);
    assert_eq!(reopened.state().state.view, View::Settings);
    assert_eq!(reopened.ctx.theme(), egui::Theme::Dark);
    reopened.get_by_label(View::Settings.heading());
}

#[test]
fn business_settings_are_validated_and_saved() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = harness_on(
        &dir.path().join("biz.sqlite"),
        UiPrefs {
            last_view: View::Settings,
            ..UiPrefs::default()
        },
    );
    let save_enabled = |h: &Harness<'_, ClvDeskApp>| {
        !h.get_by_label("Save settings")
            .accesskit_node()
            .is_disabled()
    };
    assert!(!save_enabled(&harness), "nothing changed yet");

    let currency = harness.get_by_label("Currency");
    currency.focus();
    harness.run();
    harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    harness.run();
    let currency = harness.get_by_label("Currency");
    currency.type_text("E1");
    harness.run();
    harness.get_by_label("Currency must be a three-letter code such as USD, EUR or GBP.");
    assert!(!save_enabled(&harness), "invalid currency cannot be saved");

    let currency = harness.get_by_label("Currency");
    currency.focus();
    harness.run();
    harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    harness.run();
    let currency = harness.get_by_label("Currency");
    currency.type_text("eur");
    harness.run();
    harness.get_by_label("Shop name").focus();
    harness.run();
    harness.get_by_label("Shop name").type_text("Café Zoë");
    harness.run();
    assert!(save_enabled(&harness));
    harness.get_by_label("Save settings").click();
    harness.run_steps(1);
    run_until(&mut harness, "saving settings", job_finished);
    let saved = harness.state().state.snapshot().unwrap().settings.clone();
    assert_eq!(saved.currency, Currency::EUR);
    assert_eq!(saved.shop_name, "Café Zoë");
    let stored = Store::open(&dir.path().join("biz.sqlite"))
        .unwrap()
        .business_settings()
        .unwrap();
    assert_eq!(stored.shop_name, "Café Zoë", "kept in the database");
    assert!(!save_enabled(&harness), "saved: nothing left to save");
    assert_eq!(
        harness.state().state.status.as_ref().unwrap().text,
        "Settings saved."
    );
}

#[test]
fn a_backup_copy_is_saved_from_settings_with_the_latest_changes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.sqlite");
    let mut harness = harness_on(
        &db,
        UiPrefs {
            last_view: View::Settings,
            ..UiPrefs::default()
        },
    );
    harness.get_by_label("Shop name").focus();
    harness.run();
    harness.get_by_label("Shop name").type_text("Café Zoë");
    harness.run();
    harness.get_by_label("Save settings").click();
    harness.run_steps(1);
    run_until(&mut harness, "saving settings", job_finished);
    let backup = harness.get_by_label("Save a backup copy…");
    assert!(!backup.accesskit_node().is_disabled());

    // The save dialog is bypassed: the command it leads to.
    let copy = dir.path().join("copy.sqlite");
    harness
        .state_mut()
        .state
        .push(clv_desk::app::Command::SaveBackup(copy.clone()));
    harness.run_steps(1);
    run_until(&mut harness, "the backup copy", job_finished);
    let status = harness.state().state.status.clone().unwrap();
    assert!(
        status.text.starts_with("Saved a backup copy (") && !status.is_error,
        "{status:?}"
    );
    assert!(status.text.contains("copy.sqlite"), "{status:?}");
    let stored = Store::open(&copy).unwrap().business_settings().unwrap();
    assert_eq!(
        stored.shop_name, "Café Zoë",
        "the latest change is in the copy"
    );

    // The open database itself cannot be the copy: said, and nothing is lost.
    harness
        .state_mut()
        .state
        .push(clv_desk::app::Command::SaveBackup(db.clone()));
    harness.run_steps(1);
    run_until(&mut harness, "the refused copy", job_finished);
    let status = harness.state().state.status.clone().unwrap();
    assert!(
        status.is_error && status.text.contains("is the database itself"),
        "{status:?}"
    );
    assert_eq!(
        harness.state().state.snapshot().unwrap().settings.shop_name,
        "Café Zoë"
    );
}

#[test]
fn about_shows_version_and_commit() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = harness_on(&dir.path().join("about.sqlite"), UiPrefs::default());
    harness.get_by_label("About CLV Desk").click();
    harness.run();
    harness.get_by_label(&format!("Version {}", clv_desk::build_info::VERSION));
    harness.get_by_label(&format!(
        "Built from commit {}",
        clv_desk::build_info::GIT_COMMIT
    ));
    harness.get_by_label("Close").click();
    harness.run();
    assert!(!harness.state().state.show_about);
    assert!(harness.query_by_label("Built from commit",).is_none());
}

#[test]
fn an_unopenable_database_shows_the_reason_instead_of_crashing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("not-a-db.sqlite");
    std::fs::write(&path, "Name,Email\n#1,a@b.c\n".repeat(10)).unwrap();
    let mut harness = harness_on(&path, UiPrefs::default());
    assert!(matches!(
        harness.state().state.data,
        DataState::Failed { .. }
    ));
    harness.get_by_label("The database could not be opened");
    harness.get_by_label_contains("is not a CLV Desk database");
    // Views and their shortcuts are not reachable without a database.
    assert!(harness.query_by_label("Dashboard").is_none());
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Num3);
    harness.run();
    assert_eq!(harness.state().state.view, View::Dashboard);
    harness.get_by_label("Quit").click();
    harness.run();
    assert!(harness.state().state.quit_requested);
}

/// eframe storage in memory, to check what the app saves on exit.
#[derive(Default)]
struct MemoryStorage(std::collections::HashMap<String, String>);

impl eframe::Storage for MemoryStorage {
    fn get_string(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }
    fn set_string(&mut self, key: &str, value: String) {
        self.0.insert(key.to_owned(), value);
    }
    fn remove_string(&mut self, key: &str) {
        self.0.remove(key);
    }
    fn flush(&mut self) {}
}
