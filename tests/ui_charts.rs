//! The value charts as an owner sees them after loading the demo shop: every chart is there
//! with its plain-words reading, the logarithmic switch works, and "Copy data as CSV" puts
//! the numbers behind a chart on the clipboard.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use std::time::{Duration, Instant};

use clv_desk::app::{UiPrefs, View};
use clv_desk::ui::ClvDeskApp;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};

fn harness_on(db: &std::path::Path) -> Harness<'static, ClvDeskApp> {
    let app = ClvDeskApp::new(db, UiPrefs::default());
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1280.0, 4000.0))
        .build_ui_state(|ui, app: &mut ClvDeskApp| app.show(ui), app);
    harness.run();
    harness
}

fn run_until(harness: &mut Harness<'_, ClvDeskApp>, done: impl Fn(&ClvDeskApp) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done(harness.state()) {
        assert!(Instant::now() < deadline, "timed out");
        harness.step();
        std::thread::sleep(Duration::from_millis(50));
    }
    harness.run();
}

#[test]
fn every_chart_is_shown_with_its_reading_after_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = harness_on(&dir.path().join("mine.sqlite"));
    harness.get_by_label("Value charts").click();
    harness.run();
    harness.get_by_label("No charts yet");
    harness.get_by_label("Explore demo data").click();
    run_until(&mut harness, |app| {
        app.state.running_job().is_none()
            && app.state.snapshot().is_some_and(|s| s.valuation.is_some())
    });
    harness.get_by_label("Value charts").click();
    harness.run();
    assert_eq!(harness.state().state.view, View::ValueCharts);
    for title in [
        "What are your customers worth?",
        "Do new customers come back?",
        "How much is a new customer worth over time?",
        "Where does your revenue come from?",
        "How much do your best customers bring?",
        "Which groups of customers matter most?",
        "Where do your valuable customers come from?",
        "Do discount codes bring good customers?",
        "Who is still buying from you?",
        "How many purchases to expect",
        "Does the model predict well?",
    ] {
        harness.get_by_label(title);
    }
    let insights = harness
        .state()
        .state
        .snapshot()
        .unwrap()
        .valuation
        .clone()
        .unwrap()
        .summary
        .insights;
    // The readings are computed from the data.
    let top = format!(
        "Your top 20% of customers bring {:.0}% of your revenue.",
        100.0 * insights.top20_revenue_share
    );
    assert!(
        harness.query_all_by_label_contains(&top).next().is_some(),
        "{top}"
    );
    assert!(insights.cohorts.len() > 12 && insights.revenue_by_month.len() > 12);
    // Every segment with customers has its row, with the rule on hover.
    assert!(insights.by_segment.len() >= 5);
    for group in &insights.by_segment {
        harness.get_by_label(&group.segment);
    }
    // The demo's customers came through the web shop or the café, some with WELCOME10.
    let channels: Vec<&str> = insights
        .by_channel
        .iter()
        .map(|g| g.segment.as_str())
        .collect();
    assert!(
        channels.contains(&"web") && channels.contains(&"pos"),
        "{channels:?}"
    );
    let codes: Vec<&str> = insights
        .by_first_code
        .iter()
        .map(|g| g.segment.as_str())
        .collect();
    assert_eq!(codes[..2], ["No code", "WELCOME10"]);

    // The logarithmic switch is a real control.
    let toggle = "Logarithmic axis (spreads out the many small values)";
    assert!(!is_checked(&harness, toggle));
    harness.get_by_label(toggle).click();
    harness.run();
    assert!(is_checked(&harness, toggle));

    // "Copy data as CSV" of the first chart copies its histogram.
    harness
        .query_all_by_label("Copy data as CSV")
        .next()
        .unwrap()
        .click();
    harness.step();
    let copied: Vec<String> = harness
        .output()
        .platform_output
        .commands
        .iter()
        .filter_map(|c| match c {
            egui::OutputCommand::CopyText(text) => Some(text.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(copied.len(), 1, "{copied:?}");
    assert!(
        copied[0].starts_with("from_USD,to_USD,customers\n"),
        "{}",
        copied[0]
    );
    assert!(copied[0].lines().count() > 10);
}

#[test]
fn save_as_png_is_offered_under_every_chart_and_explains_when_the_chart_is_not_shown() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = harness_on(&dir.path().join("mine.sqlite"));
    harness.get_by_label("Explore demo data").click();
    run_until(&mut harness, |app| {
        app.state.running_job().is_none()
            && app.state.snapshot().is_some_and(|s| s.valuation.is_some())
    });
    harness.get_by_label("Value charts").click();
    harness.run();
    let titles = harness.query_all_by_label_contains("?").count();
    let buttons = harness.query_all_by_label("Save as PNG…").count();
    assert_eq!(buttons, 11, "one under each of the eleven charts");
    assert!(titles >= 9);

    // The picture is cut out of the drawn window, so the chart has to be on screen.
    harness.get_by_label("Dashboard").click();
    harness.run();
    harness
        .state_mut()
        .state
        .push(clv_desk::app::Command::SaveChartPng(
            "What are your customers worth?".to_owned(),
            dir.path().join("chart.png"),
        ));
    harness.run();
    let status = harness.state().state.status.clone().unwrap();
    assert!(status.is_error, "{status:?}");
    assert!(status.text.contains("is not on screen"), "{status:?}");
    assert!(!dir.path().join("chart.png").exists());
}

fn is_checked(harness: &Harness<'_, ClvDeskApp>, label: &str) -> bool {
    harness.get_by_label(label).accesskit_node().toggled() == Some(egui::accesskit::Toggled::True)
}

#[test]
fn a_filter_recomputes_the_charts_for_the_chosen_customers_and_can_be_cleared() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = harness_on(&dir.path().join("mine.sqlite"));
    harness.get_by_label("Explore demo data").click();
    run_until(&mut harness, |app| {
        app.state.running_job().is_none()
            && app.state.snapshot().is_some_and(|s| s.valuation.is_some())
    });
    harness.get_by_label("Value charts").click();
    harness.run();
    let everyone = harness
        .state()
        .state
        .snapshot()
        .unwrap()
        .valuation
        .clone()
        .unwrap()
        .summary
        .insights;

    // A date that is not one is explained, and nothing runs.
    harness
        .get_by_label("Show customers who first bought from")
        .click();
    let from = harness
        .query_all_by_role(egui::accesskit::Role::TextInput)
        .next()
        .unwrap();
    from.click();
    from.type_text("31/12/2025");
    harness.run();
    harness.get_by_label("Apply filter").click();
    harness.run();
    harness.get_by_label("“31/12/2025” (from) is not a date like 2025-03-31.");
    assert!(harness.state().state.running_job().is_none());

    // Champions only, chosen in the drop-down (the bad date cleared first).
    harness
        .query_all_by_role(egui::accesskit::Role::TextInput)
        .next()
        .unwrap()
        .click();
    harness.run();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.key_press(egui::Key::Backspace);
    harness.run();
    harness
        .query_all_by_role(egui::accesskit::Role::ComboBox)
        .next()
        .unwrap()
        .click();
    harness.run();
    harness
        .query_all_by_label("Champions")
        .find(|n| n.accesskit_node().role() != egui::accesskit::Role::Label)
        .unwrap()
        .click();
    harness.run();
    harness.get_by_label("Apply filter").click();
    harness.step(); // the filter runs as a background job with a progress bar
    run_until(&mut harness, |app| {
        app.state.running_job().is_none() && app.state.filtered_charts.is_some()
    });
    let filtered = harness.state().state.filtered_charts.clone().unwrap();
    let champions = everyone
        .by_segment
        .iter()
        .find(|g| g.segment == "Champions")
        .unwrap();
    assert_eq!(filtered.customers, champions.customers);
    assert_eq!(filtered.insights.by_segment.len(), 1);
    let (got, want) = (filtered.insights.by_segment[0].clv, champions.clv);
    assert!((got - want).abs() <= 1e-9 * want.abs(), "{got} vs {want}");
    assert_ne!(
        filtered.insights.top20_revenue_share,
        everyone.top20_revenue_share
    );
    let words = format!(
        "Showing {} customers in “Champions”.",
        clv_desk::domain::group_thousands(filtered.customers)
    );
    harness.get_by_label(&words);

    harness.get_by_label("Show everyone").click();
    harness.run();
    assert!(harness.state().state.filtered_charts.is_none());
    assert!(harness.query_by_label(&words).is_none());
}
