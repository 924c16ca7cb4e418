//! The loyalty view as an owner uses it on the demo shop (which comes with a sample program,
//! active): editing the program with its validation, trying a draft on past orders,
//! redeeming a reward (and being refused an overdraw), adjusting points, and exporting the
//! ledger as CSV.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

mod common;

use common::ui::{finish_job, is_disabled, set_text, valued_demo};

use std::path::Path;

use clv_desk::app::loyalty::{LoyaltyCommand, MemberRow};
use clv_desk::app::{Command, View};
use clv_desk::domain::group_thousands;
use clv_desk::store::Store;
use clv_desk::ui::ClvDeskApp;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;

fn harness_on(db: &Path) -> Harness<'static, ClvDeskApp> {
    common::ui::harness_on(db, View::Loyalty, [1500.0, 1000.0], |app| {
        app.state.loyalty_is_current()
    })
}

fn members(harness: &Harness<'_, ClvDeskApp>) -> Vec<MemberRow> {
    harness
        .state()
        .state
        .loyalty
        .data
        .as_ref()
        .unwrap()
        .members
        .clone()
}

#[test]
fn edit_the_program_see_problems_save_and_replay() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.sqlite");
    valued_demo(&db, 300);
    let mut harness = harness_on(&db);
    let before = harness
        .state()
        .state
        .loyalty
        .data
        .clone()
        .unwrap()
        .stored
        .clone();
    assert!(before.active);
    assert_eq!(before.program.tiers.len(), 3);
    harness.get_by_label_contains("The program is active:");
    assert!(is_disabled(&harness, "Save program"), "nothing changed yet");

    // A new rate and a fourth tier whose threshold is below Gold's: a problem in words.
    set_text(&mut harness, "Points per currency unit", "2");
    harness.get_by_label("Add a tier").click();
    harness.run();
    harness.get_by_label_contains("the entry threshold must be higher than the tier before it");
    assert!(is_disabled(&harness, "Save program"));

    // Fixed: a name and a threshold above Gold's.
    set_text(&mut harness, "Tier 4 name", "Platinum");
    set_text(&mut harness, "Tier 4 entry threshold", "1000");
    assert!(
        harness
            .query_by_label_contains("the entry threshold must be higher")
            .is_none()
    );
    harness.get_by_label("Your changes are not saved yet.");

    // Try the draft on past orders before saving: twice the points of the program in force.
    harness.get_by_label("Try it on past orders").click();
    harness.run();
    harness.get_by_label("Try the draft on past orders").click();
    finish_job(&mut harness);
    let replay = harness.state().state.loyalty.replay.clone().unwrap();
    let draft = &replay.comparison.draft;
    let current = replay.comparison.current.as_ref().unwrap();
    assert!(draft.points_issued > current.points_issued);
    assert_eq!(draft.members_per_tier.len(), 5, "no tier + 4 tiers");
    harness.get_by_label_contains(&format!(
        "the draft would have given your {} members {} points",
        group_thousands(draft.members as u64),
        group_thousands(draft.points_issued as u64)
    ));
    harness.get_by_label_contains(&format!(
        "The program in force gives {} points on the same orders ({} fewer than the draft)",
        group_thousands(current.points_issued as u64),
        group_thousands((draft.points_issued - current.points_issued) as u64)
    ));
    harness.get_by_label("Members in Platinum");
    harness.get_by_label("Points issued per month");
    harness.get_by_label("Cost share of lifetime value");
    assert!(draft.cost_share_of_revenue.unwrap() > 0.0);

    // Save: the stored program changed and the points were recomputed.
    harness.get_by_label("Program settings").click();
    harness.run();
    assert!(!is_disabled(&harness, "Save program"));
    harness.get_by_label("Save program").click();
    finish_job(&mut harness);
    let after = harness
        .state()
        .state
        .loyalty
        .data
        .clone()
        .unwrap()
        .stored
        .clone();
    assert!(after.active);
    assert_eq!(after.program.earn.points_per_currency_unit, 2.0);
    assert_eq!(after.program.tiers.len(), 4);
    assert_eq!(after.program.tiers[3].name, "Platinum");
    assert_eq!(
        after.program.tiers[3].threshold, 100_000,
        "1000 EUR in cents"
    );
    let store = Store::open(&db).unwrap();
    assert_eq!(store.loyalty_program().unwrap(), after);
    let lifetime: i64 = members(&harness)
        .iter()
        .map(|m| m.balance.lifetime_points)
        .sum();
    assert!(lifetime > 0);
    assert!(
        is_disabled(&harness, "Save program"),
        "saved: nothing to save"
    );
}

#[test]
fn redeem_a_reward_refuse_an_overdraw_adjust_and_export_the_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.sqlite");
    valued_demo(&db, 200);
    let mut harness = harness_on(&db);
    harness.get_by_label("Members and rewards").click();
    harness.run();
    harness.get_by_label_contains("unspent points, worth");

    // The richest member redeems "Free drink" (80 points).
    let richest = members(&harness)[0].clone();
    assert!(richest.balance.available_points >= 80, "{richest:?}");
    harness.get_by_label(&richest.name).click();
    harness.run();
    harness
        .get_by_role_and_label(Role::ComboBox, "Reward")
        .click();
    harness.run();
    harness
        .get_by_label_contains("Free drink (80 points")
        .click();
    harness.run();
    harness.get_by_label_contains(&format!(
        "Balance after: {} points.",
        group_thousands((richest.balance.available_points - 80) as u64)
    ));
    harness.get_by_label("Redeem").click();
    finish_job(&mut harness);
    let voucher = harness.state().state.loyalty.voucher.clone().unwrap();
    assert!(voucher.code.starts_with("RW-"), "{}", voucher.code);
    harness.get_by_label(&format!("Voucher code: {}", voucher.code));
    let now = members(&harness)
        .into_iter()
        .find(|m| m.balance.customer == richest.balance.customer)
        .unwrap();
    assert_eq!(
        now.balance.available_points,
        richest.balance.available_points - 80
    );
    harness.get_by_label("Dismiss").click();
    harness.run();

    // A member with too few points for the dearest reward: the view says so and Redeem is
    // off; asking anyway (the command the button would send) is refused by the store.
    let everyone = members(&harness);
    let poor = everyone
        .iter()
        .rev()
        .find(|m| {
            m.balance.available_points < 80
                && !m.name.is_empty()
                && everyone.iter().filter(|o| o.name.contains(&m.name)).count() == 1
        })
        .unwrap()
        .clone();
    let drink = common::ui::reward_named(&db, "Free drink");
    set_text(&mut harness, "Search members", &poor.name);
    harness.get_by_label(&poor.name).click();
    harness.run();
    harness
        .get_by_role_and_label(Role::ComboBox, "Reward")
        .click();
    harness.run();
    harness
        .get_by_label_contains("Free drink (80 points")
        .click();
    harness.run();
    harness.get_by_label_contains("Cannot redeem: not enough points");
    assert!(is_disabled(&harness, "Redeem"));
    harness
        .state_mut()
        .state
        .push(Command::Loyalty(LoyaltyCommand::Redeem {
            customer: poor.balance.customer,
            reward_id: drink.id.unwrap(),
        }));
    finish_job(&mut harness);
    let notice = harness.state().state.loyalty.notice.clone().unwrap();
    assert!(notice.is_error);
    assert!(
        notice.text.starts_with("Cannot redeem: not enough points"),
        "{}",
        notice.text
    );
    harness.get_by_label(&notice.text);
    assert!(harness.state().state.loyalty.voucher.is_none());
    harness.get_by_label("Dismiss").click();
    harness.run();

    // Adjusting needs a reason.
    set_text(&mut harness, "Points to add or take away", "25");
    harness.get_by_label_contains("A reason is required");
    assert!(is_disabled(&harness, "Adjust points"));
    set_text(
        &mut harness,
        "Reason for the adjustment",
        "missed in-store order",
    );
    harness.get_by_label("Adjust points").click();
    finish_job(&mut harness);
    let adjusted = members(&harness)
        .into_iter()
        .find(|m| m.balance.customer == poor.balance.customer)
        .unwrap();
    assert_eq!(
        adjusted.balance.available_points,
        poor.balance.available_points + 25
    );

    // The ledger: filter to redemptions and adjustments of these two, export as CSV.
    harness.get_by_label("Points ledger").click();
    harness.run();
    set_text(&mut harness, "Ledger filter: Text", "voucher");
    harness.get_by_label("Apply filters").click();
    finish_job(&mut harness);
    let page = harness.state().state.loyalty.ledger.clone().unwrap();
    assert_eq!(page.rows.len(), 1, "{:?}", page.rows);
    assert_eq!(
        page.rows[0].voucher_code.as_deref(),
        Some(voucher.code.as_str())
    );
    harness.get_by_label("1 entry.");
    harness.get_by_label(&voucher.code);

    let out = dir.path().join("ledger.csv");
    harness
        .state_mut()
        .state
        .push(Command::Loyalty(LoyaltyCommand::ExportLedger(out.clone())));
    finish_job(&mut harness);
    let text = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("id,effective_date,customer_id,customer,kind,points"));
    assert!(lines[1].contains(",redeem,-80,"), "{text}");
    assert!(lines[1].contains(&voucher.code), "{text}");

    // Everything: the export has every row the store has.
    harness.get_by_label("Clear filters").click();
    finish_job(&mut harness);
    harness
        .state_mut()
        .state
        .push(Command::Loyalty(LoyaltyCommand::ExportLedger(out.clone())));
    finish_job(&mut harness);
    let store = Store::open(&db).unwrap();
    let all = store.ledger_entries(&Default::default()).unwrap();
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text.lines().count(), all.len() + 1);
    assert!(text.contains("missed in-store order"));
}
