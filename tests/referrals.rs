//! The referral program with a real database: codes matched from coupon cells across two
//! imports without duplicates, qualification on the minimum and the refund window, the cap,
//! rewards written to the loyalty ledger exactly once and reversed by a refund imported
//! later, each fraud check flagging its case (and not a clean one), the owner's review,
//! the report on a hand-built set, and the demo's sample referrals.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic is the test failure report

mod common;

use common::orders::{customer_id_by_email as id_of, paid_order as order, who};

use chrono::NaiveDate;
use clv_desk::domain::{Currency, CustomerId, CustomerIdentity, NewOrder, RefundOfOrder};
use clv_desk::programs::loyalty::{EntryKind, LoyaltyProgram};
use clv_desk::programs::referral::{ReferralRules, ReferralStatus};
use clv_desk::store::Store;
use clv_desk::store::loyalty::LedgerFilter;
use clv_desk::store::orders::NewImport;
use clv_desk::store::referrals::{ReferralError, create_demo_referrals};

fn d(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn coupon(mut order: NewOrder, code: &str) -> NewOrder {
    order.coupon_code = Some(code.into());
    order
}

fn refund_of(id: &str, refund_id: &str, day: &str, cents: i64) -> RefundOfOrder {
    let mut entry = order(refund_id, CustomerIdentity::default(), day, 0);
    entry.refunded_cents = cents;
    entry.refunded_utc = Some(entry.placed_utc);
    entry.status = "refund".into();
    RefundOfOrder {
        external_id: id.into(),
        alt_id: None,
        amount_cents: cents,
        entry,
    }
}

fn import(store: &mut Store, orders: &[NewOrder], refunds: &[RefundOfOrder]) {
    store
        .write_import(&NewImport::default(), orders, refunds, &mut |_| true)
        .unwrap();
}

fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("referrals.sqlite")).unwrap();
    (dir, store)
}

/// Sum of the referral ledger rows of `customer`, and how many rows there are in all.
fn referral_points(store: &Store, customer: CustomerId) -> (i64, usize) {
    let all = store
        .ledger_entries(&LedgerFilter {
            kinds: vec![EntryKind::Referral],
            ..LedgerFilter::default()
        })
        .unwrap();
    let sum = all
        .iter()
        .filter(|r| r.customer == customer)
        .map(|r| r.points)
        .sum();
    (sum, all.len())
}

fn status_of(store: &Store, friend: CustomerId) -> (ReferralStatus, String) {
    let row = store
        .referrals()
        .unwrap()
        .into_iter()
        .find(|r| r.friend == friend.0)
        .unwrap();
    (row.status, row.reason)
}

const TODAY: &str = "2024-12-31";

/// Jane buys in January; the data runs to June through an unrelated customer.
fn shop_with_jane(store: &mut Store) -> CustomerId {
    import(
        store,
        &[
            order(
                "J1",
                who("jane.doe@gmail.com", "Jane Doe"),
                "2024-01-05",
                40_00,
            ),
            order(
                "J2",
                who("jane.doe@gmail.com", "Jane Doe"),
                "2024-02-05",
                40_00,
            ),
            order(
                "X1",
                who("x@example.com", "Xavier Other"),
                "2024-06-30",
                10_00,
            ),
        ],
        &[],
    );
    id_of(store, "jane.doe@gmail.com")
}

#[test]
fn coupon_matching_across_two_imports_is_idempotent() {
    let (_dir, mut store) = open();
    let jane = shop_with_jane(&mut store);
    let code = store.ensure_referral_code(jane).unwrap();
    assert!(code.starts_with("JANE-"), "{code}");
    assert_eq!(store.ensure_referral_code(jane).unwrap(), code);
    let tom = who("tom@example.com", "Tom Smith");
    let file = vec![
        coupon(
            order("T1", tom.clone(), "2024-03-01", 30_00),
            &code.to_lowercase(),
        ),
        coupon(order("T2", tom.clone(), "2024-04-01", 30_00), &code),
        coupon(
            order(
                "J3",
                who("jane.doe@gmail.com", "Jane Doe"),
                "2024-03-02",
                50_00,
            ),
            &code,
        ),
        // Xavier has bought before (30 June): not his first order.
        coupon(
            order(
                "X9",
                who("x@example.com", "Xavier Other"),
                "2024-07-01",
                20_00,
            ),
            &format!(" WELCOME10, {code}"),
        ),
    ];
    import(&mut store, &file, &[]);
    let first = store.match_coupon_referrals().unwrap();
    assert_eq!(first.recorded, 1);
    assert_eq!(first.own_code, 1);
    assert_eq!(first.already_referred, 1, "Tom's second order");
    assert_eq!(first.not_first_order, 1);
    let evaluation = store.evaluate_referrals(d(TODAY)).unwrap();
    assert_eq!(evaluation.rewarded_now, 1);
    let tom_id = id_of(&store, "tom@example.com");
    assert_eq!(status_of(&store, tom_id).0, ReferralStatus::Rewarded);
    assert_eq!(referral_points(&store, jane), (200, 2));
    assert_eq!(referral_points(&store, tom_id).0, 100);

    // The same file again: no second referral, no second reward.
    import(&mut store, &file, &[]);
    let second = store.match_coupon_referrals().unwrap();
    assert_eq!(second.recorded, 0);
    assert_eq!(second.already_referred, 2);
    assert_eq!(second.not_first_order, 1);
    let again = store.evaluate_referrals(d(TODAY)).unwrap();
    assert_eq!(again.ledger_rows, 0);
    assert_eq!(again.changed, 0);
    assert_eq!(store.referrals().unwrap().len(), 1);
    assert_eq!(referral_points(&store, jane), (200, 2));
    let row = &store.referrals().unwrap()[0];
    assert_eq!(row.origin, "coupon");
    assert_eq!(row.code.as_deref(), Some(code.as_str()));
}

#[test]
fn qualification_on_the_minimum_and_the_refund_window() {
    let (_dir, mut store) = open();
    let jane = shop_with_jane(&mut store);
    import(
        &mut store,
        &[
            order(
                "S1",
                who("small@example.com", "Sam Small"),
                "2024-03-01",
                19_99,
            ),
            order(
                "L1",
                who("late@example.com", "Lea Late"),
                "2024-06-10",
                25_00,
            ),
        ],
        &[],
    );
    let small = id_of(&store, "small@example.com");
    let late = id_of(&store, "late@example.com");
    store.record_referral(jane, small, d("2024-03-01")).unwrap();
    store.record_referral(jane, late, d("2024-06-01")).unwrap();
    store.evaluate_referrals(d(TODAY)).unwrap();
    let (status, reason) = status_of(&store, small);
    assert_eq!(status, ReferralStatus::Rejected);
    assert!(reason.contains("below the minimum of 20.00"), "{reason}");
    // The data ends on 30 June: the window of an order on 10 June is still open then.
    let (status, reason) = status_of(&store, late);
    assert_eq!(status, ReferralStatus::Pending);
    assert!(reason.contains("open until 2024-07-10"), "{reason}");
    // A later import reaches past the window: now it qualifies and is rewarded.
    import(
        &mut store,
        &[order(
            "X2",
            who("x@example.com", "Xavier Other"),
            "2024-07-10",
            10_00,
        )],
        &[],
    );
    store.evaluate_referrals(d(TODAY)).unwrap();
    assert_eq!(status_of(&store, late).0, ReferralStatus::Rewarded);
}

#[test]
fn the_cap_limits_rewards_per_referrer_and_period() {
    let (_dir, mut store) = open();
    let jane = shop_with_jane(&mut store);
    store
        .save_referral_rules(&ReferralRules {
            cap_per_referrer: Some(1),
            cap_period_days: 90,
            ..ReferralRules::default()
        })
        .unwrap();
    import(
        &mut store,
        &[
            order("A1", who("a@example.com", "Ann Able"), "2024-02-01", 30_00),
            order("B1", who("b@example.com", "Ben Baker"), "2024-02-20", 30_00),
            order("C1", who("c@example.com", "Cat Cole"), "2024-05-15", 30_00),
        ],
        &[],
    );
    for (email, day) in [
        ("a@example.com", "2024-02-01"),
        ("b@example.com", "2024-02-20"),
        ("c@example.com", "2024-05-15"),
    ] {
        let friend = id_of(&store, email);
        store.record_referral(jane, friend, d(day)).unwrap();
    }
    store.evaluate_referrals(d(TODAY)).unwrap();
    assert_eq!(
        status_of(&store, id_of(&store, "a@example.com")).0,
        ReferralStatus::Rewarded
    );
    let (status, reason) = status_of(&store, id_of(&store, "b@example.com"));
    assert_eq!(status, ReferralStatus::Qualified);
    assert!(reason.contains("cap 1"), "{reason}");
    // More than 90 days after the first one qualified: room again.
    assert_eq!(
        status_of(&store, id_of(&store, "c@example.com")).0,
        ReferralStatus::Rewarded
    );
    assert_eq!(referral_points(&store, jane).0, 400);
}

/// Tom's first order (`paid_cents` on 1 March) and Jane's referral of him, evaluated.
fn tom_referred_by(store: &mut Store, jane: CustomerId, paid_cents: i64) -> CustomerId {
    import(
        store,
        &[order(
            "T1",
            who("tom@example.com", "Tom Smith"),
            "2024-03-01",
            paid_cents,
        )],
        &[],
    );
    let tom = id_of(store, "tom@example.com");
    store.record_referral(jane, tom, d("2024-03-01")).unwrap();
    store.evaluate_referrals(d(TODAY)).unwrap();
    tom
}

#[test]
fn rewards_land_once_and_a_later_refund_reverses_them() {
    let (_dir, mut store) = open();
    let jane = shop_with_jane(&mut store);
    let mut program = LoyaltyProgram::default();
    program.earn.points_per_currency_unit = 1.0;
    store.save_loyalty_program(&program, true).unwrap();
    let tom = tom_referred_by(&mut store, jane, 30_00);
    store.recompute_loyalty_ledger(d(TODAY)).unwrap();
    assert_eq!(referral_points(&store, jane), (200, 2));
    let before = store.ledger_available_points(jane).unwrap();
    // Jane: 40 + 40 earned, + 200 referral.
    assert_eq!(before, 280);
    // A second evaluation and a second recompute append nothing.
    assert_eq!(store.evaluate_referrals(d(TODAY)).unwrap().ledger_rows, 0);
    assert_eq!(
        store.recompute_loyalty_ledger(d(TODAY)).unwrap().appended,
        0
    );
    assert_eq!(store.ledger_available_points(jane).unwrap(), 280);

    // A later file says Tom's first order was refunded within the window.
    import(
        &mut store,
        &[],
        &[refund_of("T1", "R1", "2024-03-20", 30_00)],
    );
    let outcome = store.evaluate_referrals(d(TODAY)).unwrap();
    assert_eq!(outcome.reversed_now, 1);
    let (status, reason) = status_of(&store, tom);
    assert_eq!(status, ReferralStatus::Rejected);
    assert!(
        reason.contains("refunded on 2024-03-20") && reason.contains("reversed"),
        "{reason}"
    );
    assert_eq!(referral_points(&store, jane), (0, 4));
    assert_eq!(referral_points(&store, tom).0, 0);
    assert_eq!(store.evaluate_referrals(d(TODAY)).unwrap().ledger_rows, 0);
    store.recompute_loyalty_ledger(d(TODAY)).unwrap();
    assert_eq!(store.ledger_available_points(jane).unwrap(), 80);
    assert_eq!(
        store.recompute_loyalty_ledger(d(TODAY)).unwrap().appended,
        0
    );
}

/// Jane refers `friend` (first order on 1 March); the friend's referral status and reason.
fn flagged(friend: CustomerIdentity, rules: ReferralRules) -> (ReferralStatus, String) {
    let (_dir, mut store) = open();
    let jane = who("jane.doe@gmail.com", "Jane Doe");
    let jane = CustomerIdentity {
        phone: Some("+44 7700 900123".into()),
        postcode: Some("SW1A 1AA".into()),
        ..jane
    };
    let email = friend.email.clone().unwrap();
    import(
        &mut store,
        &[
            order("J1", jane, "2024-01-05", 40_00),
            order("F1", friend, "2024-03-01", 30_00),
            order(
                "X1",
                who("x@example.com", "Xavier Other"),
                "2024-06-30",
                10_00,
            ),
        ],
        &[],
    );
    store.save_referral_rules(&rules).unwrap();
    let jane = id_of(&store, "jane.doe@gmail.com");
    let friend = id_of(&store, &email);
    store
        .record_referral(jane, friend, d("2024-03-01"))
        .unwrap();
    store.evaluate_referrals(d(TODAY)).unwrap();
    status_of(&store, friend)
}

#[test]
fn each_fraud_rule_flags_its_case_and_not_a_clean_one() {
    let rules = ReferralRules::default;
    let clean = flagged(who("tom@example.com", "Tom Smith"), rules());
    assert_eq!(clean.0, ReferralStatus::Rewarded, "{}", clean.1);

    let mailbox = flagged(who("JaneDoe+deals@gmail.com", "J. D."), rules());
    assert_eq!(mailbox.0, ReferralStatus::Review);
    assert!(
        mailbox.1.contains("possible self-referral") && mailbox.1.contains("mailbox"),
        "{}",
        mailbox.1
    );

    let phone = CustomerIdentity {
        phone: Some("07700 900123".into()),
        ..who("p@example.com", "Pat Jones")
    };
    let phone = flagged(phone, rules());
    assert_eq!(phone.0, ReferralStatus::Review);
    assert!(phone.1.contains("phone"), "{}", phone.1);

    let name = flagged(who("other@example.com", "jane doe"), rules());
    assert_eq!(name.0, ReferralStatus::Review);
    assert!(name.1.contains("same name"), "{}", name.1);

    let address = CustomerIdentity {
        postcode: Some("sw1a 1aa".into()),
        ..who("flat2@example.com", "Ron Roe")
    };
    let address = flagged(address, rules());
    assert_eq!(address.0, ReferralStatus::Review);
    assert!(
        address.1.contains("shared contact details") && address.1.contains("postcode"),
        "{}",
        address.1
    );
}

#[test]
fn a_burst_waits_for_review_and_the_owner_decides() {
    let (_dir, mut store) = open();
    let jane = shop_with_jane(&mut store);
    store
        .save_referral_rules(&ReferralRules {
            burst_count: 2,
            burst_days: 7,
            ..ReferralRules::default()
        })
        .unwrap();
    let friends = ["a", "b", "c", "d"];
    let days = ["2024-03-01", "2024-03-02", "2024-03-03", "2024-04-20"];
    let orders: Vec<NewOrder> = friends
        .iter()
        .zip(days)
        .map(|(f, day)| {
            order(
                f,
                who(&format!("{f}@example.com"), &format!("{f} Friend{f}")),
                day,
                30_00,
            )
        })
        .collect();
    import(&mut store, &orders, &[]);
    for (f, day) in friends.iter().zip(days) {
        let friend = id_of(&store, &format!("{f}@example.com"));
        store.record_referral(jane, friend, d(day)).unwrap();
    }
    let outcome = store.evaluate_referrals(d(TODAY)).unwrap();
    assert_eq!(outcome.in_review, 3);
    let (status, reason) = status_of(&store, id_of(&store, "a@example.com"));
    assert_eq!(status, ReferralStatus::Review);
    assert!(
        reason.contains("3 referrals by the same referrer"),
        "{reason}"
    );
    assert_eq!(
        status_of(&store, id_of(&store, "d@example.com")).0,
        ReferralStatus::Rewarded
    );
    assert_eq!(referral_points(&store, jane).0, 200);

    let id = |store: &Store, email: &str| {
        let friend = id_of(store, email).0;
        store
            .referrals()
            .unwrap()
            .into_iter()
            .find(|r| r.friend == friend)
            .unwrap()
            .id
    };
    let a = id(&store, "a@example.com");
    assert_eq!(
        store.approve_referral(a, d(TODAY)).unwrap(),
        ReferralStatus::Rewarded
    );
    // Approval holds through later evaluations.
    store.evaluate_referrals(d(TODAY)).unwrap();
    assert_eq!(
        status_of(&store, id_of(&store, "a@example.com")).0,
        ReferralStatus::Rewarded
    );
    assert_eq!(referral_points(&store, jane).0, 400);
    // Approving one that is not in review is refused; a rejection needs a reason.
    assert!(matches!(
        store.approve_referral(a, d(TODAY)),
        Err(ReferralError::NotInReview { .. })
    ));
    let b = id(&store, "b@example.com");
    assert!(matches!(
        store.reject_referral(b, "  ", d(TODAY)),
        Err(ReferralError::ReasonRequired)
    ));
    store
        .reject_referral(b, "same household", d(TODAY))
        .unwrap();
    let (status, reason) = status_of(&store, id_of(&store, "b@example.com"));
    assert_eq!(status, ReferralStatus::Rejected);
    assert!(reason.contains("same household"), "{reason}");
    // Rejecting a rewarded one reverses its rewards.
    store.reject_referral(a, "staff member", d(TODAY)).unwrap();
    assert_eq!(referral_points(&store, jane).0, 200);
}

#[test]
fn recording_by_hand_refuses_self_unknown_and_twice_referred() {
    let (_dir, mut store) = open();
    let jane = shop_with_jane(&mut store);
    let xavier = id_of(&store, "x@example.com");
    assert!(matches!(
        store.record_referral(jane, jane, d("2024-03-01")),
        Err(ReferralError::SelfReferral)
    ));
    assert!(matches!(
        store.record_referral(jane, CustomerId(999), d("2024-03-01")),
        Err(ReferralError::UnknownCustomer(999))
    ));
    store
        .record_referral(jane, xavier, d("2024-06-30"))
        .unwrap();
    let again = store
        .record_referral(jane, xavier, d("2024-06-30"))
        .unwrap_err();
    assert!(
        again.to_string().contains("already referred by Jane Doe"),
        "{again}"
    );
}

#[test]
fn report_figures_on_a_hand_built_set() {
    let (_dir, mut store) = open();
    let jane = shop_with_jane(&mut store);
    import(
        &mut store,
        &[
            order("A1", who("a@example.com", "Ann Able"), "2024-02-01", 30_00),
            order("A2", who("a@example.com", "Ann Able"), "2024-03-01", 20_00),
            order("B1", who("b@example.com", "Ben Baker"), "2024-02-20", 10_00),
        ],
        &[],
    );
    let a = id_of(&store, "a@example.com");
    let b = id_of(&store, "b@example.com");
    store.record_referral(jane, a, d("2024-02-01")).unwrap();
    store.record_referral(jane, b, d("2024-02-20")).unwrap();
    store.evaluate_referrals(d(TODAY)).unwrap();
    let report = store.referral_report().unwrap();
    // B's first order is below the minimum: rejected, not counted.
    assert_eq!(status_of(&store, b).0, ReferralStatus::Rejected);
    assert_eq!(report.customers, 4);
    assert_eq!(report.referred_customers, 1);
    assert_eq!(report.referred_share, Some(0.25));
    assert_eq!(report.referral_revenue_cents, 50_00);
    assert_eq!(report.referred.repeat_rate, Some(1.0));
    assert_eq!(report.not_referred.customers, 3);
    assert_eq!(report.not_referred.repeat_rate, Some(1.0 / 3.0));
    let (low, high) = report.not_referred.repeat_rate_range.unwrap();
    assert!(low < 1.0 / 3.0 && high > 1.0 / 3.0);
    assert_eq!(report.top_referrers.len(), 1);
    assert_eq!(report.top_referrers[0].customer, jane.0);
    assert_eq!(report.top_referrers[0].friends_revenue_cents, 50_00);

    let mut csv = Vec::new();
    assert_eq!(store.write_referrals_csv(&mut csv).unwrap(), 2);
    let text = String::from_utf8(csv).unwrap();
    assert!(text.starts_with("id,referred_date,referrer_id,referrer,friend_id,friend"));
    assert_eq!(store.generate_all_referral_codes().unwrap(), 3);
    let mut codes = Vec::new();
    assert_eq!(store.write_referral_codes_csv(&mut codes).unwrap(), 4);
}

#[test]
fn demo_referrals_have_rewarded_pending_and_flagged_ones() {
    let (_dir, mut store) = open();
    let today = d("2025-06-30");
    let orders = clv_desk::demo::demo_orders(&clv_desk::demo::DemoOptions {
        customers: 300,
        seed: 7,
        end_date: today,
        currency: Currency::USD,
    });
    import(&mut store, &orders, &[]);
    let demo = create_demo_referrals(&mut store, today).unwrap();
    assert!(demo.recorded >= 8, "{demo:?}");
    let rows = store.referrals().unwrap();
    let count = |s| rows.iter().filter(|r| r.status == s).count();
    assert!(count(ReferralStatus::Rewarded) >= 2, "{rows:#?}");
    assert!(count(ReferralStatus::Pending) >= 1, "{rows:#?}");
    assert_eq!(count(ReferralStatus::Review), 1, "{rows:#?}");
    assert!(!store.referral_codes().unwrap().is_empty());
}

#[test]
fn a_voucher_reward_is_issued_once_and_cancelled_on_reversal() {
    let (_dir, mut store) = open();
    let jane = shop_with_jane(&mut store);
    let mut program = LoyaltyProgram::default();
    program.rewards.push(clv_desk::programs::loyalty::Reward {
        id: None,
        name: "Free coffee".into(),
        kind: clv_desk::programs::loyalty::RewardKind::FreeItem,
        points_cost: 100,
        value: 0.0,
        min_tier: None,
    });
    store.save_loyalty_program(&program, false).unwrap();
    let reward = store.loyalty_program().unwrap().program.rewards[0].id;
    assert!(matches!(
        store.save_referral_rules(&ReferralRules {
            friend_reward_id: Some(999),
            ..ReferralRules::default()
        }),
        Err(ReferralError::UnknownReward(999))
    ));
    store
        .save_referral_rules(&ReferralRules {
            friend_points: 0,
            friend_reward_id: reward,
            ..ReferralRules::default()
        })
        .unwrap();
    let tom = tom_referred_by(&mut store, jane, 30_00);
    store.evaluate_referrals(d(TODAY)).unwrap();
    let vouchers = |store: &Store| {
        store
            .ledger_entries(&LedgerFilter {
                customer: Some(tom),
                kinds: vec![EntryKind::Referral],
                ..LedgerFilter::default()
            })
            .unwrap()
    };
    let rows = vouchers(&store);
    assert_eq!(rows.len(), 1);
    assert!(rows[0].voucher_code.as_deref().unwrap().starts_with("RF-"));
    assert_eq!(rows[0].reward_id, reward);
    import(
        &mut store,
        &[],
        &[refund_of("T1", "R1", "2024-03-05", 30_00)],
    );
    store.evaluate_referrals(d(TODAY)).unwrap();
    store.evaluate_referrals(d(TODAY)).unwrap();
    let rows = vouchers(&store);
    assert_eq!(rows.len(), 2);
    assert!(rows[1].reason.contains("cancelled"), "{}", rows[1].reason);
}

#[test]
fn a_partial_refund_after_a_raised_minimum_keeps_the_reward_it_still_earns() {
    let (_dir, mut store) = open();
    let jane = shop_with_jane(&mut store);
    let tom = tom_referred_by(&mut store, jane, 60_00);
    assert_eq!(status_of(&store, tom).0, ReferralStatus::Rewarded);
    let rewarded_points = referral_points(&store, jane).0;
    assert!(rewarded_points > 0);
    // The owner raises the minimum first order from $20 to $50 after the reward.
    let mut rules = store.referral_rules().unwrap();
    assert_eq!(rules.min_first_order_cents, 20_00);
    rules.min_first_order_cents = 50_00;
    store.save_referral_rules(&rules).unwrap();
    assert_eq!(status_of(&store, tom).0, ReferralStatus::Rewarded);
    // Then a later file brings a $15 refund within the window: $45 kept is more than the
    // $20 the reward was issued for, so the reward stands.
    import(
        &mut store,
        &[],
        &[refund_of("T1", "R1", "2024-03-20", 15_00)],
    );
    let outcome = store.evaluate_referrals(d(TODAY)).unwrap();
    assert_eq!(outcome.reversed_now, 0);
    assert_eq!(status_of(&store, tom).0, ReferralStatus::Rewarded);
    assert_eq!(referral_points(&store, jane).0, rewarded_points);
    // A further $30 refund leaves $15, below even the $20: reversed.
    import(
        &mut store,
        &[],
        &[refund_of("T1", "R2", "2024-03-21", 30_00)],
    );
    let outcome = store.evaluate_referrals(d(TODAY)).unwrap();
    assert_eq!(outcome.reversed_now, 1);
    let (status, reason) = status_of(&store, tom);
    assert_eq!(status, ReferralStatus::Rejected);
    assert!(reason.contains("20.00"), "{reason}");
    assert_eq!(referral_points(&store, jane).0, 0);
}
