//! The referrals view as an owner uses it on the demo shop (which comes with sample
//! referrals, one of them flagged for review): reading the report, finding the referrals,
//! recording one by hand (and being refused a second referral of the same friend),
//! approving the flagged one, and exporting the referrals and codes as CSV; and on a
//! small hand-built shop: saving gentler rules judges the referrals again at once, and a
//! friend can be given a voucher for a reward of the loyalty catalogue instead of points;
//! a customer's profile shows their code, who referred them and the friends they brought.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

mod common;

use common::ui::{finish_job, is_disabled, run_until, set_text, valued_demo};

use std::path::Path;

use chrono::NaiveDate;
use clv_desk::app::loyalty::LoyaltyCommand;
use clv_desk::app::referrals::{ReferralCommand, ReferralData};
use clv_desk::app::{Command, UiPrefs, View};
use clv_desk::domain::{Currency, CustomerId, NewOrder, group_thousands};
use clv_desk::programs::loyalty::EntryKind;
use clv_desk::programs::referral::ReferralStatus;
use clv_desk::store::Store;
use clv_desk::store::loyalty::{LedgerFilter, LedgerRow};
use clv_desk::store::orders::NewImport;
use clv_desk::ui::ClvDeskApp;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};

fn harness_on(db: &Path) -> Harness<'static, ClvDeskApp> {
    common::ui::harness_on(db, View::Referrals, [1500.0, 1000.0], |app| {
        app.state.referrals_is_current()
    })
}

/// Whether some widget (the view's notice, the status line) says `text`.
fn shown(harness: &Harness<'_, ClvDeskApp>, text: &str) {
    assert!(
        harness.query_all_by_label(text).next().is_some(),
        "{text} is not shown"
    );
}

fn data(harness: &Harness<'_, ClvDeskApp>) -> ReferralData {
    (**harness.state().state.referrals.data.as_ref().unwrap()).clone()
}

#[test]
fn the_report_and_the_referrals_of_the_demo_shop() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.sqlite");
    valued_demo(&db, 300);
    let mut harness = harness_on(&db);
    let data = data(&harness);
    let report = &data.report;
    assert!(report.referred_customers > 0, "{report:?}");
    harness.get_by_label_contains(&format!(
        "Referrals brought {} customers who ordered",
        group_thousands(report.referred_customers)
    ));
    harness.get_by_label_contains("Referral revenue:");
    harness.get_by_label_contains("Referred customers (");
    harness.get_by_label_contains("Other customers (");
    harness.get_by_label("Best referrers by network value");
    let top = &report.top_referrers[0];
    harness.get_by_label(&format!("{} (#{})", top.name, top.customer));

    harness.get_by_label("All referrals").click();
    harness.run();
    harness.get_by_label(&format!(
        "{} referrals, newest first.",
        group_thousands(data.referrals.len() as u64)
    ));
    let newest = &data.referrals[0];
    harness.get_by_label(&format!("{} (#{})", newest.friend_name, newest.friend));
    assert!(data.in_review().count() > 0, "the demo flags one referral");
    harness.get_by_label_contains("1 referral needs your review");
    // The flags show in the review line and in the table's Why cell.
    let flagged = data.in_review().next().unwrap();
    assert_eq!(
        harness
            .query_all_by_label_contains(&format!("Flagged: {}", flagged.flags))
            .count(),
        2
    );
}

#[test]
fn record_a_referral_by_hand_and_be_refused_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.sqlite");
    valued_demo(&db, 300);
    let mut harness = harness_on(&db);
    let before = data(&harness);
    let store = Store::open(&db).unwrap();
    let in_referral = |id: i64| {
        before
            .referrals
            .iter()
            .any(|r| r.friend == id || r.referrer == id)
    };
    let mut free = store
        .customer_values()
        .unwrap()
        .into_iter()
        .filter(|c| c.orders > 0 && c.email.is_some() && !in_referral(c.id));
    let referrer = free.next().unwrap();
    let friend = free.next().unwrap();
    drop(store);

    harness.get_by_label("All referrals").click();
    harness.run();
    harness.get_by_label("Record a referral…").click();
    harness.run();
    set_text(&mut harness, "Referrer", "Ann Smith");
    harness.get_by_label_contains("is neither a customer number");
    assert!(is_disabled(&harness, "Record referral"));

    set_text(&mut harness, "Referrer", &format!("#{}", referrer.id));
    set_text(&mut harness, "Friend", friend.email.as_deref().unwrap());
    set_text(&mut harness, "Day of the referral", "2026-06-01");
    harness.get_by_label("Record referral").click();
    finish_job(&mut harness);
    let after = data(&harness);
    assert_eq!(after.referrals.len(), before.referrals.len() + 1);
    let new = after
        .referrals
        .iter()
        .find(|r| r.friend == friend.id)
        .unwrap();
    assert_eq!(new.referrer, referrer.id);
    assert_eq!(new.referred_date, "2026-06-01");
    assert_ne!(new.status, ReferralStatus::Pending, "evaluated at once");
    let notice = harness.state().state.referrals.notice.clone().unwrap();
    assert!(!notice.is_error, "{notice:?}");
    shown(&harness, &notice.text);
    harness.get_by_label_contains(&format!("{} (#{})", friend.name, friend.id));

    // The same friend again: refused, in words.
    harness.get_by_label("Record a referral…").click();
    harness.run();
    set_text(&mut harness, "Referrer", &referrer.id.to_string());
    set_text(&mut harness, "Friend", &friend.id.to_string());
    harness.get_by_label("Record referral").click();
    finish_job(&mut harness);
    let notice = harness.state().state.referrals.notice.clone().unwrap();
    assert!(notice.is_error);
    assert!(notice.text.contains("was already referred"), "{notice:?}");
    shown(&harness, &notice.text);
    assert_eq!(data(&harness).referrals.len(), after.referrals.len());
}

#[test]
fn approve_the_flagged_referral_and_export_csv() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.sqlite");
    valued_demo(&db, 300);
    let mut harness = harness_on(&db);
    let flagged = data(&harness).in_review().next().unwrap().clone();
    assert!(!flagged.flags.is_empty());

    harness.get_by_label("All referrals").click();
    harness.run();
    let reject = format!("Reject referral {}", flagged.id);
    assert!(is_disabled(&harness, &reject), "a reason is required");
    harness
        .get_by_label(&format!("Approve referral {}", flagged.id))
        .click();
    finish_job(&mut harness);
    let after = data(&harness);
    let approved = after.referrals.iter().find(|r| r.id == flagged.id).unwrap();
    assert_ne!(approved.status, ReferralStatus::Review);
    assert_eq!(approved.review_decision.as_deref(), Some("approved"));
    assert!(harness.query_by_label(&reject).is_none());
    let notice = harness.state().state.referrals.notice.clone().unwrap();
    assert!(notice.text.contains("approved"), "{notice:?}");

    let out = dir.path().join("referrals.csv");
    harness
        .state_mut()
        .state
        .push(Command::Referrals(ReferralCommand::ExportReferrals(
            out.clone(),
        )));
    finish_job(&mut harness);
    let text = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), after.referrals.len() + 1, "{text}");
    assert!(lines[0].starts_with("id,"), "{text}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(&format!("{},", flagged.id))),
        "{text}"
    );

    // The codes: everyone has one; the export lists them.
    harness.get_by_label("Codes and rules").click();
    harness.run();
    harness.get_by_label("Create codes for everyone").click();
    finish_job(&mut harness);
    let codes = data(&harness).codes;
    assert!(codes > 0);
    let out = dir.path().join("codes.csv");
    harness
        .state_mut()
        .state
        .push(Command::Referrals(ReferralCommand::ExportCodes(
            out.clone(),
        )));
    finish_job(&mut harness);
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text.lines().count(), codes + 1, "{text}");

    // The printable list: every code, the header on every page, the pages it needs.
    assert!(!is_disabled(&harness, "Print codes…"));
    let pdf = dir.path().join("codes.pdf");
    harness
        .state_mut()
        .state
        .push(Command::Referrals(ReferralCommand::PrintCodes(pdf.clone())));
    finish_job(&mut harness);
    let bytes = std::fs::read(&pdf).unwrap();
    let pages = codes.div_ceil(clv_desk::export::referral_codes_pdf::rows_per_page());
    assert!(pages >= 2, "{codes} codes");
    assert_eq!(clv_desk::export::pdf::check_file(&bytes).unwrap().1, pages);
    let content = String::from_utf8_lossy(&bytes);
    for row in Store::open(&db).unwrap().referral_codes().unwrap() {
        assert!(content.contains(&format!("({})", row.code)), "{}", row.code);
    }
    assert_eq!(content.matches("(Referral code)").count(), pages);
    assert!(content.contains(&format!("(Page {pages} of {pages})")));
    shown(
        &harness,
        &format!(
            "Printed {} referral codes on {pages} A4 pages to {}",
            group_thousands(codes as u64),
            pdf.display()
        ),
    );
}

#[test]
fn the_rules_form_validates_and_saves() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.sqlite");
    valued_demo(&db, 150);
    let mut harness = harness_on(&db);
    harness.get_by_label("Codes and rules").click();
    harness.run();
    assert!(is_disabled(&harness, "Save rules"), "nothing changed yet");
    set_text(&mut harness, "Points for the referrer", "lots");
    harness.get_by_label_contains("Points for the referrer must be a whole number");
    assert!(is_disabled(&harness, "Save rules"));
    harness.get_by_label("Undo changes").click();
    harness.run();
    assert!(
        harness
            .query_by_label_contains("must be a whole number")
            .is_none()
    );
    assert!(is_disabled(&harness, "Undo changes"));
    set_text(&mut harness, "Points for the referrer", "300");
    set_text(&mut harness, "Minimum first order", "15.50");
    harness.get_by_label("Your changes are not saved yet.");
    harness.get_by_label("Save rules").click();
    finish_job(&mut harness);
    let rules = Store::open(&db).unwrap().referral_rules().unwrap();
    assert_eq!(rules.referrer_points, 300);
    assert_eq!(rules.min_first_order_cents, 1550);
    assert_eq!(data(&harness).rules, rules);
    assert!(
        is_disabled(&harness, "Save rules"),
        "saved: nothing to save"
    );
}

fn paid_order(id: &str, email: &str, name: &str, on: &str, cents: i64) -> NewOrder {
    common::orders::paid_order(id, common::orders::who(email, name), on, cents)
}

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

/// The customers of [`small_shop`].
struct SmallShop {
    ann: CustomerId,
    bob: CustomerId,
    cy: CustomerId,
}

/// Ann referred Bob (first order of 30.00 ten days before the data ends: waiting for the
/// 30-day refund window) and Cy (first order of 15.00: below the 20.00 minimum, rejected).
fn small_shop(db: &Path) -> SmallShop {
    let mut store = Store::open(db).unwrap();
    let orders = [
        paid_order("1", "ann@example.com", "Ann Archer", "2025-01-05", 10_000),
        paid_order("2", "cy@example.com", "Cy Cole", "2025-03-01", 15_00),
        paid_order("3", "bob@example.com", "Bob Baker", "2025-06-20", 30_00),
        paid_order("4", "dee@example.com", "Dee Dale", "2025-06-30", 40_00),
    ];
    store
        .write_import(&NewImport::default(), &orders, &[], &mut |_| true)
        .unwrap();
    let id = |email: &str| common::orders::customer_id_by_email(&store, email);
    let shop = SmallShop {
        ann: id("ann@example.com"),
        bob: id("bob@example.com"),
        cy: id("cy@example.com"),
    };
    store
        .record_referral(shop.ann, shop.bob, day("2025-06-01"))
        .unwrap();
    store
        .record_referral(shop.ann, shop.cy, day("2025-02-01"))
        .unwrap();
    store.evaluate_referrals(day("2025-07-01")).unwrap();
    shop
}

fn status_of(data: &ReferralData, friend: CustomerId) -> ReferralStatus {
    data.referrals
        .iter()
        .find(|r| r.friend == friend.0)
        .unwrap()
        .status
}

fn referral_ledger(db: &Path) -> Vec<LedgerRow> {
    Store::open(db)
        .unwrap()
        .ledger_entries(&LedgerFilter {
            kinds: vec![EntryKind::Referral],
            ..LedgerFilter::default()
        })
        .unwrap()
}

#[test]
fn saving_gentler_rules_rewards_waiting_and_small_first_orders_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.sqlite");
    let shop = small_shop(&db);
    let mut harness = harness_on(&db);
    let before = data(&harness);
    assert_eq!(status_of(&before, shop.bob), ReferralStatus::Pending);
    assert_eq!(status_of(&before, shop.cy), ReferralStatus::Rejected);
    assert!(referral_ledger(&db).is_empty());
    // The loyalty view has read the ledger: it must learn about the rewards.
    harness
        .state_mut()
        .state
        .push(Command::Loyalty(LoyaltyCommand::Refresh));
    finish_job(&mut harness);
    assert!(harness.state().state.loyalty_is_current());

    harness.get_by_label("Codes and rules").click();
    harness.run();
    harness.get_by_label_contains("Your loyalty catalogue has no rewards yet");
    set_text(&mut harness, "Minimum first order", "10");
    set_text(&mut harness, "Refund window", "7");
    harness.get_by_label("Save rules").click();
    finish_job(&mut harness);

    let after = data(&harness);
    assert_eq!(status_of(&after, shop.bob), ReferralStatus::Rewarded);
    assert_eq!(status_of(&after, shop.cy), ReferralStatus::Rewarded);
    let notice = harness.state().state.referrals.notice.clone().unwrap();
    assert!(!notice.is_error, "{notice:?}");
    assert!(notice.text.contains("2 rewarded now"), "{notice:?}");
    shown(&harness, &notice.text);
    let ledger = referral_ledger(&db);
    let points = |who: CustomerId| -> i64 {
        ledger
            .iter()
            .filter(|r| r.customer == who)
            .map(|r| r.points)
            .sum()
    };
    assert_eq!(points(shop.ann), 400, "{ledger:?}");
    assert_eq!(points(shop.bob), 100, "{ledger:?}");
    assert_eq!(points(shop.cy), 100, "{ledger:?}");
    assert!(
        !harness.state().state.loyalty_is_current(),
        "the loyalty view reads the ledger again"
    );

    // Saving the same rules again judges again and changes nothing.
    set_text(&mut harness, "Minimum first order", "12");
    harness.get_by_label("Save rules").click();
    finish_job(&mut harness);
    assert_eq!(referral_ledger(&db).len(), ledger.len());
    let notice = harness.state().state.referrals.notice.clone().unwrap();
    assert!(notice.text.contains("0 changed"), "{notice:?}");
}

#[test]
fn give_the_friend_a_catalogue_voucher_instead_of_points() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.sqlite");
    let shop = small_shop(&db);
    let mut store = Store::open(&db).unwrap();
    clv_desk::app::loyalty::set_up_demo_program(&mut store).unwrap();
    drop(store);
    let drink = common::ui::reward_named(&db, "Free drink");
    let mut harness = harness_on(&db);
    harness.get_by_label("Codes and rules").click();
    harness.run();
    assert!(
        harness
            .query_by_label_contains("Your loyalty catalogue has no rewards yet")
            .is_none()
    );
    harness
        .get_by_role_and_label(Role::ComboBox, "Friend's reward")
        .click();
    harness.run();
    harness.get_by_label_contains("Voucher: Free drink").click();
    harness.run();
    assert!(
        harness
            .query_by_role_and_label(Role::TextInput, "Points for the friend")
            .is_none(),
        "a voucher replaces the friend's points"
    );
    set_text(&mut harness, "Minimum first order", "10");
    set_text(&mut harness, "Refund window", "7");
    harness.get_by_label("Save rules").click();
    finish_job(&mut harness);

    let rules = Store::open(&db).unwrap().referral_rules().unwrap();
    assert_eq!(rules.friend_reward_id, drink.id);
    assert_eq!(rules.friend_points, 0);
    assert_eq!(rules.referrer_reward_id, None);
    assert_eq!(rules.referrer_points, 200);
    let after = data(&harness);
    assert_eq!(status_of(&after, shop.bob), ReferralStatus::Rewarded);
    assert_eq!(status_of(&after, shop.cy), ReferralStatus::Rewarded);
    let combo = harness.get_by_role_and_label(Role::ComboBox, "Friend's reward");
    assert_eq!(
        combo.accesskit_node().value().as_deref(),
        Some("Voucher: Free drink"),
        "the saved rules come back into the form"
    );

    let ledger = referral_ledger(&db);
    for friend in [shop.bob, shop.cy] {
        let rows: Vec<&LedgerRow> = ledger.iter().filter(|r| r.customer == friend).collect();
        assert_eq!(rows.len(), 1, "{ledger:?}");
        assert_eq!(rows[0].points, 0);
        assert_eq!(rows[0].reward_id, drink.id);
        let code = rows[0].voucher_code.clone().unwrap();
        assert!(code.starts_with("RF-"), "{code}");
        assert!(rows[0].reason.contains(&code), "{:?}", rows[0]);
    }
    let ann: i64 = ledger
        .iter()
        .filter(|r| r.customer == shop.ann)
        .map(|r| r.points)
        .sum();
    assert_eq!(ann, 400);
    // The referral list shows the voucher beside the status.
    harness.get_by_label("All referrals").click();
    harness.run();
    let bob_voucher = ledger
        .iter()
        .find(|r| r.customer == shop.bob)
        .and_then(|r| r.voucher_code.clone())
        .unwrap();
    harness.get_by_label_contains(&bob_voucher);
}

#[test]
fn the_profile_shows_the_code_the_referrer_and_the_friends() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.sqlite");
    let shop = small_shop(&db);
    let code = Store::open(&db)
        .unwrap()
        .ensure_referral_code(shop.ann)
        .unwrap();
    let prefs = UiPrefs {
        last_view: View::Customers,
        ..UiPrefs::default()
    };
    let app = ClvDeskApp::new(&db, prefs);
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1500.0, 1000.0))
        .build_ui_state(|ui, app: &mut ClvDeskApp| app.show(ui), app);
    harness.step();
    run_until(&mut harness, |app| {
        app.state.running_job().is_none() && app.state.customers_table_is_current()
    });
    let open = |harness: &mut Harness<'_, ClvDeskApp>, who: CustomerId| {
        harness.step();
        run_until(harness, |app| {
            app.state.running_job().is_none() && app.state.profile.open_id() == Some(who.0)
        });
    };

    // Ann, from the table: her code and the two friends she brought.
    harness
        .query_all_by_label("Ann Archer")
        .last()
        .unwrap()
        .click();
    open(&mut harness, shop.ann);
    harness.get_by_label(&format!("Referral code: {code}"));
    harness.get_by_label("Nobody referred them.");
    let spent = clv_desk::domain::format_money(45_00, Currency::USD);
    harness.get_by_label(&format!(
        "They brought 2 friends, who have spent {spent} so far:"
    ));
    harness.get_by_label_contains(", waiting; spent ");
    harness.get_by_label_contains(", rejected; spent ");

    // Bob, through the link: who referred him, and the way back.
    harness
        .get_by_label(&format!("Bob Baker (#{})", shop.bob.0))
        .click();
    open(&mut harness, shop.bob);
    harness.get_by_label(&format!(
        "Referred by Ann Archer (#{}) on 2025-06-01: waiting.",
        shop.ann.0
    ));
    harness.get_by_label("They have not brought any friends yet.");
    harness.get_by_label_contains("No referral code yet");

    // Gentler rules saved meanwhile: the open profile is read again with the new status.
    let rules = clv_desk::programs::referral::ReferralRules {
        refund_window_days: 7,
        ..Store::open(&db).unwrap().referral_rules().unwrap()
    };
    harness
        .state_mut()
        .state
        .push(Command::Referrals(ReferralCommand::SaveRules(rules)));
    finish_job(&mut harness);
    harness.get_by_label(&format!(
        "Referred by Ann Archer (#{}) on 2025-06-01: rewarded.",
        shop.ann.0
    ));
    harness.get_by_label("Open Ann Archer").click();
    open(&mut harness, shop.ann);
    harness.get_by_label_contains(", rewarded; spent ");
    harness
        .get_by_label_contains("; rewards: 200 points to the referrer; 100 points to the friend.");
}
