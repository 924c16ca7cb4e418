#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

//! The `egui_kittest` harness the view tests share: a valued demo shop, the app opened on
//! one view and stepped until its background read is done, and the helpers that click,
//! type and wait as a person would.

use std::path::Path;
use std::time::{Duration, Instant};

use clv_desk::app::{Progress, UiPrefs, View, load_demo};
use clv_desk::demo::DemoOptions;
use clv_desk::programs::loyalty::Reward;
use clv_desk::store::Store;
use clv_desk::ui::ClvDeskApp;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};

/// Loads the demo shop of `customers` (seed `seed`, ending 30 June 2026, in euros).
pub fn demo_shop(db: &Path, customers: usize, seed: u64) {
    let mut store = Store::open(db).unwrap();
    let options = DemoOptions {
        customers,
        seed,
        end_date: chrono::NaiveDate::from_ymd_opt(2026, 6, 30).unwrap(),
        currency: clv_desk::domain::Currency::EUR,
    };
    load_demo(&mut store, &Progress::default(), &options).unwrap();
}

/// Values the customers of the database at `db`, as the app does after an import.
pub fn value(db: &Path) {
    let mut store = Store::open(db).unwrap();
    clv_desk::app::valuation::value_and_save(&mut store, &Progress::default()).unwrap();
}

/// A valued demo shop of `customers` (seed 5), with the demo's loyalty program,
/// referrals and care queue.
pub fn valued_demo(db: &Path, customers: usize) {
    demo_shop(db, customers, 5);
    value(db);
}

/// The app on `db`, `width` × `height` points, opened on `view` and stepped until nothing
/// runs and `ready` says the view's background read is done (a spinner until then).
pub fn harness_on(
    db: &Path,
    view: View,
    [width, height]: [f32; 2],
    ready: impl Fn(&ClvDeskApp) -> bool,
) -> Harness<'static, ClvDeskApp> {
    let prefs = UiPrefs {
        last_view: view,
        ..UiPrefs::default()
    };
    let app = ClvDeskApp::new(db, prefs);
    let mut harness = Harness::builder()
        .with_size(egui::vec2(width, height))
        .build_ui_state(|ui, app: &mut ClvDeskApp| app.show(ui), app);
    harness.step();
    run_until(&mut harness, |app| {
        app.state.running_job().is_none() && ready(app)
    });
    harness
}

/// Steps the app until `done` (at most a minute), then until the frame has settled.
pub fn run_until(harness: &mut Harness<'_, ClvDeskApp>, done: impl Fn(&ClvDeskApp) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done(harness.state()) {
        assert!(Instant::now() < deadline, "timed out");
        harness.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    harness.run();
}

/// Steps until the running job (started by the last click) has finished.
pub fn finish_job(harness: &mut Harness<'_, ClvDeskApp>) {
    harness.step();
    run_until(harness, |app| app.state.running_job().is_none());
}

/// Clicks the widget labelled `label` and lets any job the click started finish (a job
/// finishing while `Harness::run` waits for the frame to settle would make it fail).
pub fn click(harness: &mut Harness<'_, ClvDeskApp>, label: &str) {
    harness.get_by_label(label).click();
    finish_job(harness);
}

/// Types `text` into the text field labelled `field`.
pub fn set_text(harness: &mut Harness<'_, ClvDeskApp>, field: &str, text: &str) {
    set_text_in(harness, Role::TextInput, field, text);
}

/// Types `text` into the field of `role` (a single- or multi-line input) labelled `field`.
pub fn set_text_in(harness: &mut Harness<'_, ClvDeskApp>, role: Role, field: &str, text: &str) {
    harness
        .get_by_role_and_label(role, field)
        .set_text_value_accesskit(text);
    harness.run();
}

/// Whether the widget labelled `label` is greyed out.
pub fn is_disabled(harness: &Harness<'_, ClvDeskApp>, label: &str) -> bool {
    harness.get_by_label(label).accesskit_node().is_disabled()
}

/// The reward called `name` in the loyalty catalogue of the database at `db`.
pub fn reward_named(db: &Path, name: &str) -> Reward {
    Store::open(db)
        .unwrap()
        .loyalty_program()
        .unwrap()
        .program
        .rewards
        .into_iter()
        .find(|r| r.name == name)
        .unwrap()
}
