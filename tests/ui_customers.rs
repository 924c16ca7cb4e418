//! The customers table as an owner uses it on the demo shop: searching as they type,
//! sorting by clicking a heading, filtering by segment and "slipping away", selecting a
//! row, and exporting exactly what is shown as a spreadsheet-safe CSV.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

mod common;

use common::ui::run_until;

use std::path::Path;

use clv_desk::app::customer_table::SortColumn;
use clv_desk::app::{Command, View};
use clv_desk::domain::group_thousands;
use clv_desk::store::Store;
use clv_desk::ui::ClvDeskApp;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};

/// A demo shop of `customers`, valued, with one customer renamed to a formula.
fn valued_demo(db: &Path, customers: usize) {
    common::ui::demo_shop(db, customers, 11);
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.execute(
        "UPDATE customers SET display_name = '=HYPERLINK(\"http://evil\")' WHERE id = 1",
        [],
    )
    .unwrap();
    drop(conn);
    common::ui::value(db);
}

fn harness_on(db: &Path) -> Harness<'static, ClvDeskApp> {
    common::ui::harness_on(db, View::Customers, [1400.0, 1300.0], |app| {
        app.state.customers_table_is_current()
    })
}

/// The customers the table shows, in order.
fn shown(harness: &Harness<'_, ClvDeskApp>) -> Vec<clv_desk::domain::customer::CustomerValueRow> {
    harness
        .state()
        .state
        .customers
        .visible_rows()
        .cloned()
        .collect()
}

#[test]
fn search_sort_and_filter_as_an_owner_would() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.sqlite");
    valued_demo(&db, 600);
    let mut harness = harness_on(&db);
    let everyone = shown(&harness);
    let total = harness.state().state.snapshot().unwrap().overview.customers;
    assert_eq!(everyone.len() as u64, total);
    harness.get_by_label(&format!("{} customers.", group_thousands(total)));

    // Typing part of a name narrows the table to the customers whose name has it.
    let someone = everyone
        .iter()
        .find(|r| r.name.split_whitespace().count() >= 2 && !r.name.starts_with('='))
        .unwrap()
        .clone();
    let surname = someone.name.split_whitespace().last().unwrap().to_owned();
    let search = harness
        .query_all_by_role(egui::accesskit::Role::TextInput)
        .next()
        .unwrap();
    search.click();
    search.type_text(&surname);
    harness.run();
    let found = shown(&harness);
    assert!(found.iter().any(|r| r.id == someone.id), "{surname}");
    assert!(found.len() < everyone.len());
    let lower = surname.to_lowercase();
    assert!(found.iter().all(|r| {
        r.name.to_lowercase().contains(&lower)
            || r.email.as_deref().unwrap_or("").contains(&lower)
            || r.customer_key.to_lowercase().contains(&lower)
    }));
    harness.get_by_label(&format!(
        "Showing {} of {} customers.",
        group_thousands(found.len() as u64),
        group_thousands(total)
    ));
    harness.get_by_label("Clear search and filters").click();
    harness.run();
    assert_eq!(shown(&harness).len(), everyone.len());

    // A click on a heading sorts by it, largest first; a second click turns the order.
    harness.get_by_label(SortColumn::Revenue.label()).click();
    harness.run();
    let by_revenue: Vec<i64> = shown(&harness).iter().map(|r| r.revenue_cents).collect();
    assert!(by_revenue.windows(2).all(|w| w[0] >= w[1]));
    assert!(by_revenue[0] > by_revenue[by_revenue.len() - 1]);
    assert!(harness.state().state.customers.query.descending);
    harness.get_by_label(SortColumn::Revenue.label()).click();
    harness.run();
    let upwards: Vec<i64> = shown(&harness).iter().map(|r| r.revenue_cents).collect();
    assert!(upwards.windows(2).all(|w| w[0] <= w[1]));
    assert!(!harness.state().state.customers.query.descending);

    // The segment drop-down keeps only that segment, still in the chosen order.
    let table = harness.state().state.customers.table.clone().unwrap();
    let champions = table
        .segment_totals
        .iter()
        .find(|t| t.segment.label() == "Champions")
        .unwrap()
        .customers;
    harness
        .query_all_by_role(egui::accesskit::Role::ComboBox)
        .next()
        .unwrap()
        .click();
    harness.run();
    harness
        .get_by_label(&format!("Champions ({})", group_thousands(champions)))
        .click();
    harness.run();
    let in_segment = shown(&harness);
    assert_eq!(in_segment.len() as u64, champions);
    assert!(
        in_segment
            .iter()
            .all(|r| { r.score.as_ref().and_then(|s| s.segment.as_deref()) == Some("Champions") })
    );
    assert!(
        in_segment
            .windows(2)
            .all(|w| w[0].revenue_cents <= w[1].revenue_cents)
    );

    // "Slipping away" keeps valuable customers whose chance of still buying is low.
    harness.get_by_label("Clear search and filters").click();
    harness.run();
    harness
        .get_by_label("Only valuable customers slipping away")
        .click();
    harness.run();
    let slipping = shown(&harness);
    assert!(!slipping.is_empty() && slipping.len() < everyone.len());
    assert!(slipping.iter().all(|r| {
        r.score
            .as_ref()
            .and_then(|s| s.p_alive)
            .is_some_and(|p| p < 0.5)
    }));
    let dashboard = harness
        .state()
        .state
        .snapshot()
        .unwrap()
        .valuation
        .as_ref()
        .unwrap()
        .summary
        .insights
        .at_risk
        .customers;
    assert_eq!(
        slipping.len() as u64,
        dashboard,
        "same rule as the dashboard"
    );

    // Clicking a row selects that customer.
    let first = slipping[0].clone();
    open_profile(&mut harness, &first);
    assert_eq!(harness.state().state.customers.selected, Some(first.id));
}

#[test]
fn export_writes_what_is_shown_and_neutralises_formulas() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.sqlite");
    valued_demo(&db, 300);
    let mut harness = harness_on(&db);
    harness.get_by_label(SortColumn::Name.label()).click();
    harness.run();
    let expected: Vec<i64> = shown(&harness).iter().map(|r| r.id).collect();
    assert!(
        !harness
            .get_by_label("Export table as CSV…")
            .accesskit_node()
            .is_disabled()
    );

    // The save dialog is bypassed: the command it leads to.
    let out = dir.path().join("customers.csv");
    harness
        .state_mut()
        .state
        .push(Command::ExportCustomers(out.clone()));
    harness.run();
    run_until(&mut harness, |app| app.state.running_job().is_none());
    let status = harness.state().state.status.clone().unwrap();
    assert!(status.text.starts_with("Exported "), "{status:?}");

    let mut reader = csv::Reader::from_path(&out).unwrap();
    let headers = reader.headers().unwrap().clone();
    let id_at = headers.iter().position(|h| h == "customer_id").unwrap();
    let name_at = headers.iter().position(|h| h == "name").unwrap();
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let ids: Vec<i64> = records.iter().map(|r| r[id_at].parse().unwrap()).collect();
    assert_eq!(ids, expected, "the rows shown, in the order shown");
    let evil = records.iter().find(|r| &r[id_at] == "1").unwrap();
    assert_eq!(&evil[name_at], "'=HYPERLINK(\"http://evil\")");
}

/// Opens `customer`'s profile as an owner would: searches for their e-mail (names repeat),
/// clicks their row, waits for the profile; the search is left in place.
fn open_profile(
    harness: &mut Harness<'_, ClvDeskApp>,
    customer: &clv_desk::domain::customer::CustomerValueRow,
) {
    let search = harness
        .query_all_by_role(egui::accesskit::Role::TextInput)
        .next()
        .unwrap();
    search.click();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.key_press(egui::Key::Backspace);
    let search = harness
        .query_all_by_role(egui::accesskit::Role::TextInput)
        .next()
        .unwrap();
    search.type_text(customer.email.as_deref().unwrap());
    harness.run();
    let name = if customer.name.trim().is_empty() {
        format!("Customer #{}", customer.id)
    } else {
        customer.name.clone()
    };
    // The table is drawn after a profile that may be open beside it: its row comes last.
    harness.query_all_by_label(&name).last().unwrap().click();
    harness.step();
    run_until(harness, |app| {
        app.state.running_job().is_none() && app.state.profile.open_id() == Some(customer.id)
    });
}

#[test]
fn the_profile_shows_value_and_orders_and_saves_tags_and_notes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.sqlite");
    valued_demo(&db, 300);
    let mut harness = harness_on(&db);
    harness.get_by_label(SortColumn::Orders.label()).click();
    harness.run();
    let best = shown(&harness)[0].clone();
    open_profile(&mut harness, &best);
    harness.get_by_label(&format!(
        "Customer #{} · {} orders · {} so far",
        best.id,
        best.orders,
        clv_desk::domain::format_money(
            best.revenue_cents,
            harness.state().state.snapshot().unwrap().settings.currency
        )
    ));
    assert!(
        harness
            .query_all_by_label_contains("Expected value")
            .next()
            .is_some()
    );
    harness.get_by_label(&format!("Orders ({})", best.orders));

    let consent_before = harness
        .state()
        .state
        .profile
        .open
        .as_ref()
        .unwrap()
        .0
        .marketing_consent;
    let tags = harness.get_by_label("Tags (comma separated)");
    tags.click();
    tags.type_text("wholesale, Wholesale , vegan");
    let notes = harness.get_by_label("Notes");
    notes.click();
    notes.type_text("Prefers oat milk");
    harness.get_by_label("Agreed to marketing messages").click();
    harness.run();
    harness.get_by_label("Save notes").click();
    harness.step();
    run_until(&mut harness, |app| app.state.running_job().is_none());
    let stored = Store::open(&db)
        .unwrap()
        .customer_profile(best.id)
        .unwrap()
        .unwrap();
    assert_eq!(stored.tags, "wholesale, vegan", "tidied: repeats dropped");
    assert_eq!(stored.notes, "Prefers oat milk");
    assert_eq!(
        stored.marketing_consent, !consent_before,
        "the tick was saved"
    );
    let shown_profile = harness.state().state.profile.open.clone().unwrap().0;
    assert_eq!(
        shown_profile.notes, "Prefers oat milk",
        "the view shows what was saved"
    );

    harness.get_by_label("Close").click();
    harness.run();
    assert!(harness.state().state.profile.open.is_none());
}

#[test]
fn duplicates_are_found_merged_and_unmerged_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.sqlite");
    valued_demo(&db, 300);
    // Customer 3 used a Gmail address with dots; customer 2 the same one without.
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute(
        "UPDATE customers SET email = 'ana.lee@gmail.com' WHERE id = 3",
        [],
    )
    .unwrap();
    conn.execute(
        "UPDATE customers SET email = 'analee@gmail.com' WHERE id = 2",
        [],
    )
    .unwrap();
    drop(conn);
    let mut harness = harness_on(&db);
    let before = shown(&harness).len();
    let revenue_of = |rows: &[clv_desk::domain::customer::CustomerValueRow], id: i64| {
        rows.iter().find(|r| r.id == id).unwrap().revenue_cents
    };
    let together = revenue_of(&shown(&harness), 2) + revenue_of(&shown(&harness), 3);

    harness.get_by_label("Possible duplicates").click();
    harness.run();
    harness.get_by_label("Find possible duplicates").click();
    harness.step();
    run_until(&mut harness, |app| {
        app.state.running_job().is_none() && app.state.profile.duplicates.is_some()
    });
    assert!(
        harness
            .query_all_by_label_contains("Gmail ignores dots")
            .next()
            .is_some()
    );
    harness.get_by_label("Merge #3 into #2").click();
    harness.step();
    // The merge, then the revaluation and the table read it causes.
    run_until(&mut harness, |app| {
        app.state.running_job().is_none()
            && app.state.customers_table_is_current()
            && app.state.snapshot().is_some_and(|s| !s.needs_valuation())
    });
    let merged = shown(&harness);
    assert_eq!(merged.len(), before - 1, "one customer fewer");
    assert!(merged.iter().all(|r| r.id != 3));
    assert_eq!(
        revenue_of(&merged, 2),
        together,
        "their orders count as one"
    );
    assert!(
        harness
            .state()
            .state
            .profile
            .duplicates
            .as_ref()
            .unwrap()
            .iter()
            .all(|d| !d.ids().contains(&3)),
        "the settled pair left the list"
    );

    // Unmerge from the survivor's profile.
    let survivor = merged.iter().find(|r| r.id == 2).unwrap().clone();
    open_profile(&mut harness, &survivor);
    harness.get_by_label("Same person?").click();
    harness.run();
    harness.get_by_label("Customer #3 is merged into this one.");
    harness.get_by_label("Unmerge #3").click();
    harness.step();
    run_until(&mut harness, |app| {
        app.state.running_job().is_none()
            && app.state.customers_table_is_current()
            && app.state.snapshot().is_some_and(|s| !s.needs_valuation())
    });
    let apart = shown(&harness);
    assert_eq!(apart.len(), before);
    assert_eq!(revenue_of(&apart, 2) + revenue_of(&apart, 3), together);
}

#[test]
fn erasing_names_what_goes_and_keeps_the_totals() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.sqlite");
    valued_demo(&db, 300);
    let mut harness = harness_on(&db);
    let revenue_before = harness.state().state.snapshot().unwrap().overview.clone();
    let someone = shown(&harness)
        .into_iter()
        .find(|r| r.email.is_some() && r.orders > 1 && !r.name.starts_with('='))
        .unwrap();
    open_profile(&mut harness, &someone);

    // The JSON export for a data access request (dialog bypassed).
    let json = dir.path().join("someone.json");
    harness.state_mut().state.push(Command::Profile(
        clv_desk::app::customer_profile::ProfileCommand::ExportJson(someone.id, json.clone()),
    ));
    harness.step();
    run_until(&mut harness, |app| app.state.running_job().is_none());
    let data: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert!(data.to_string().contains(someone.email.as_deref().unwrap()));

    harness.get_by_label("Privacy").click();
    harness.run();
    harness.get_by_label("Erase personal details…").click();
    harness.run();
    let preview = harness.state().state.profile.open.clone().unwrap().1;
    harness.get_by_label(&preview.summary());
    assert!(preview.fields.iter().any(|f| f == "e-mail"));
    harness.get_by_label("Erase for good").click();
    harness.step();
    run_until(&mut harness, |app| {
        app.state.running_job().is_none()
            && app.state.customers_table_is_current()
            && app.state.snapshot().is_some_and(|s| !s.needs_valuation())
    });
    harness.get_by_label(
        "Personal details erased. The orders stay, anonymous, so your totals are right.",
    );
    let erased = Store::open(&db)
        .unwrap()
        .customer_profile(someone.id)
        .unwrap()
        .unwrap();
    assert!(erased.email.is_none() && erased.phone.is_none() && erased.keys.is_empty());
    assert!(!erased.display_name.contains(&someone.name));
    let after = harness.state().state.snapshot().unwrap().overview.clone();
    assert_eq!(
        after.revenue_by_currency,
        revenue_before.revenue_by_currency
    );
    assert_eq!(after.orders, revenue_before.orders);
}

#[test]
fn loyalty_points_and_tier_show_in_the_table_and_the_profile() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.sqlite");
    valued_demo(&db, 300);
    let mut harness = harness_on(&db);
    harness.get_by_label(SortColumn::Points.label()).click();
    harness.run();
    let rows = shown(&harness);
    let points: Vec<i64> = rows.iter().map(|r| r.points.unwrap()).collect();
    assert!(points.windows(2).all(|w| w[0] >= w[1]), "most points first");
    assert!(points[0] > 0);
    let top = rows[0].clone();
    let today = chrono::Local::now().date_naive();
    let balance = Store::open(&db)
        .unwrap()
        .loyalty_balances(today)
        .unwrap()
        .into_iter()
        .find(|b| b.customer.0 == top.id)
        .unwrap();
    assert_eq!(top.points, Some(balance.available_points));
    assert_eq!(top.tier, balance.tier);
    harness.get_by_label(SortColumn::Tier.label());

    open_profile(&mut harness, &top);
    let tier = top
        .tier
        .as_ref()
        .map_or_else(|| "no tier yet".to_owned(), |t| format!("tier {t}"));
    harness.get_by_label(&format!(
        "Loyalty: {} points to spend, {tier}. Redeem or adjust in Loyalty.",
        balance.available_points
    ));
}

#[test]
fn small_values_whose_range_rounds_to_one_amount_are_shown_to_the_cent() {
    use clv_desk::domain::{format_money, format_money_rounded};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.sqlite");
    common::ui::demo_shop(&db, 300, 11);
    // Values scale with the margin: at 1% every value is a few euros, with a narrow range.
    {
        let mut store = Store::open(&db).unwrap();
        let mut settings = store.business_settings().unwrap();
        settings.margin_pct = 1.0;
        store.save_business_settings(&settings).unwrap();
    }
    common::ui::value(&db);
    let mut harness = harness_on(&db);
    let currency = harness.state().state.snapshot().unwrap().settings.currency;
    let cents = |amount: f64| format_money(amount.round() as i64, currency);
    let rounds_to_one = |low: f64, high: f64| {
        low < high && format_money_rounded(low, currency) == format_money_rounded(high, currency)
    };

    // The table, lowest values first.
    let heading = SortColumn::Clv.label();
    harness.get_by_label(heading).click();
    harness.run();
    if shown(&harness)[0]
        .score
        .as_ref()
        .unwrap()
        .predicted_clv_cents
        > shown(&harness)[1]
            .score
            .as_ref()
            .unwrap()
            .predicted_clv_cents
    {
        harness.get_by_label(heading).click();
        harness.run();
    }
    let narrow = shown(&harness)
        .into_iter()
        .take(20)
        .find_map(|row| {
            let score = row.score?;
            let (low, high) = (score.clv_low_cents?, score.clv_high_cents?);
            rounds_to_one(low, high).then_some((score.predicted_clv_cents, low, high))
        })
        .expect("a customer whose range rounds to one amount among the lowest 20");
    let (value, low, high) = narrow;
    harness.get_by_label(&format!(
        "{} ({}–{})",
        cents(value),
        cents(low),
        cents(high)
    ));

    // The dashboard's average, with its range.
    harness.get_by_label("Dashboard").click();
    harness.run();
    let run = harness
        .state()
        .state
        .snapshot()
        .unwrap()
        .valuation
        .clone()
        .unwrap();
    let summary = &run.summary;
    assert!(
        rounds_to_one(summary.mean_clv_low_cents, summary.mean_clv_high_cents),
        "the premise: whole units would say {} to {}",
        format_money_rounded(summary.mean_clv_low_cents, currency),
        format_money_rounded(summary.mean_clv_high_cents, currency)
    );
    harness.get_by_label(&cents(summary.mean_clv_cents));
    let range = format!(
        "Likely between {} and {} (80% range).",
        cents(summary.mean_clv_low_cents),
        cents(summary.mean_clv_high_cents)
    );
    assert!(
        harness.query_all_by_label_contains(&range).next().is_some(),
        "{range}"
    );

    // Valued again, the comparison with the run before is written the same way.
    harness.get_by_label("Recalculate values").click();
    harness.step();
    run_until(&mut harness, |app| {
        app.state.running_job().is_none()
            && app
                .state
                .snapshot()
                .is_some_and(|s| s.previous_valuation.is_some())
    });
    let snapshot = harness.state().state.snapshot().cloned().unwrap();
    let now = snapshot.valuation.unwrap().summary.mean_clv_cents;
    let then = snapshot.previous_valuation.unwrap().summary.mean_clv_cents;
    let change = format!("average value {} then, {} now", cents(then), cents(now));
    assert!(
        harness
            .query_all_by_label_contains(&change)
            .next()
            .is_some(),
        "{change}"
    );
}

#[test]
fn every_column_fits_the_window_the_app_opens_with() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.sqlite");
    valued_demo(&db, 200);
    let [width, height] = clv_desk::ui::FIRST_WINDOW_SIZE;
    let harness = common::ui::harness_on(&db, View::Customers, [width, height], |app| {
        app.state.customers_table_is_current()
    });
    // The demo shop runs a loyalty program: its points and tier are columns too.
    assert!(
        harness
            .state()
            .state
            .customers
            .visible_rows()
            .next()
            .is_some()
    );
    for column in SortColumn::ALL {
        // "Segment" also names the segment filter: the heading is the rightmost.
        let right = harness
            .get_all_by_label(column.label())
            .map(|heading| heading.rect().right())
            .fold(f32::MIN, f32::max);
        assert!(
            right <= width,
            "the {:?} heading ends at {right}, past the window's {width}",
            column.label()
        );
    }
}
