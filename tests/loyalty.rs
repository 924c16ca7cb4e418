//! The loyalty ledger with a real database: hand-built orders imported, a program
//! activated, the append-only ledger recomputed (twice: the second time appends nothing),
//! refunds in a later import clawed back exactly, redemptions that cannot overdraw, and the
//! what-if replay equal to a real activation on the same orders.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic is the test failure report

mod common;

use std::collections::BTreeMap;

use chrono::{NaiveDate, TimeZone as _, Utc};
use clv_desk::domain::{CustomerId, CustomerIdentity, NewOrder, RefundOfOrder};
use clv_desk::programs::loyalty::{
    EarnRules, EntryKind, LoyaltyProgram, QualificationWindow, RedeemRefusal, Reward, RewardKind,
    Rounding, ThresholdKind, Tier,
};
use clv_desk::store::Store;
use clv_desk::store::loyalty::{LedgerFilter, LoyaltyError};
use clv_desk::store::orders::NewImport;

fn order(id: &str, email: Option<&str>, on: &str, cents: i64) -> NewOrder {
    let customer = CustomerIdentity {
        email: email.map(Into::into),
        ..CustomerIdentity::default()
    };
    common::orders::paid_order(id, customer, on, cents)
}

fn d(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn refund_of(id: &str, refund_id: &str, day: &str, cents: i64) -> RefundOfOrder {
    let mut entry = order(refund_id, None, day, 0);
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
    let store = Store::open(&dir.path().join("loyalty.sqlite")).unwrap();
    (dir, store)
}

/// 1 point per dollar, 10 per order, 50 for the first order; Silver (×2) from $100 lifetime.
fn program() -> LoyaltyProgram {
    LoyaltyProgram {
        earn: EarnRules {
            points_per_currency_unit: 1.0,
            points_per_order: 10,
            first_order_bonus: 50,
            birthday_bonus: 0,
            rounding: Rounding::Down,
        },
        tiers: vec![Tier {
            id: None,
            name: "Silver".into(),
            threshold: 10_000,
            threshold_kind: ThresholdKind::Spend,
            window: QualificationWindow::Lifetime,
            earn_multiplier: 2.0,
            benefits: "double points".into(),
        }],
        rewards: vec![
            Reward {
                id: None,
                name: "Free coffee".into(),
                kind: RewardKind::FreeItem,
                points_cost: 100,
                value: 0.0,
                min_tier: None,
            },
            Reward {
                id: None,
                name: "Silver lounge".into(),
                kind: RewardKind::EarlyAccess,
                points_cost: 10,
                value: 0.0,
                min_tier: Some("Silver".into()),
            },
        ],
        expiry_months: Some(24),
        point_value_cents: 1.0,
    }
}

/// Ann: $50 (first), $80 (reaches Silver the next day), $20 at ×2. Bob: $30. A guest: $99.
fn first_file() -> Vec<NewOrder> {
    vec![
        order("1", Some("ann@example.com"), "2024-01-10", 5_000),
        order("2", Some("ann@example.com"), "2024-02-10", 8_000),
        order("3", Some("ann@example.com"), "2024-03-01", 2_000),
        order("4", Some("bob@example.com"), "2024-01-15", 3_000),
        order("5", None, "2024-01-16", 9_900),
    ]
}

fn customer(store: &Store, email: &str) -> CustomerId {
    // Customers are created in file order: Ann first, then Bob.
    let ids = store.purchase_history().unwrap().customer_ids;
    match email {
        "ann@example.com" => ids[0],
        _ => ids[1],
    }
}

/// Sum of stored points per (kind, base source reference).
fn sums_by_source(store: &Store) -> BTreeMap<(String, String), i64> {
    let mut sums = BTreeMap::new();
    for row in store.ledger_entries(&LedgerFilter::default()).unwrap() {
        let source = row.source_ref.unwrap_or_default();
        let base = source.split("#v").next().unwrap_or_default().to_owned();
        *sums
            .entry((row.kind.as_str().to_owned(), base))
            .or_default() += row.points;
    }
    sums
}

/// The base source reference of the earn entry dated `day`.
fn order_ref(store: &Store, day: &str) -> String {
    let row = store
        .ledger_entries(&LedgerFilter {
            kinds: vec![EntryKind::Earn],
            from: Some(d(day)),
            to: Some(d(day)),
            ..LedgerFilter::default()
        })
        .unwrap();
    let source = row[0].source_ref.clone().unwrap();
    source.split("#v").next().unwrap().to_owned()
}

#[test]
fn activation_recompute_twice_and_a_later_refund_claws_back_exactly() {
    let (_dir, mut store) = open();
    import(&mut store, &first_file(), &[]);
    let today = d("2024-06-30");

    // Inactive: nothing is derived or written.
    let outcome = store.recompute_loyalty_ledger(today).unwrap();
    assert!(!outcome.active);
    assert_eq!(outcome.appended, 0);

    store.save_loyalty_program(&program(), true).unwrap();
    let stored = store.loyalty_program().unwrap();
    assert!(stored.active);
    assert_eq!(stored.program.tiers[0].name, "Silver");
    assert!(stored.program.tiers[0].id.is_some());
    assert_eq!(stored.program.rewards.len(), 2);
    assert_eq!(
        stored.program.rewards[1].min_tier.as_deref(),
        Some("Silver")
    );

    let first = store.recompute_loyalty_ledger(today).unwrap();
    // 4 earns + Ann's tier change; the guest earns nothing.
    assert_eq!((first.appended, first.corrections), (5, 0));
    let second = store.recompute_loyalty_ledger(today).unwrap();
    assert_eq!(second.appended, 0, "a second recompute appends nothing");

    let ann = customer(&store, "ann@example.com");
    let bob = customer(&store, "bob@example.com");
    // Ann: 50+10+50, 80+10, 20×2+10. Bob: 30+10+50.
    assert_eq!(store.ledger_available_points(ann).unwrap(), 110 + 90 + 50);
    assert_eq!(store.ledger_available_points(bob).unwrap(), 90);
    let balances = store.loyalty_balances(today).unwrap();
    let ann_balance = balances.iter().find(|b| b.customer == ann).unwrap();
    assert_eq!(ann_balance.available_points, 250);
    assert_eq!(ann_balance.tier.as_deref(), Some("Silver"));
    assert_eq!(
        ann_balance.expiring.map(|e| e.on),
        Some(d("2026-03-01")),
        "24 months after the last activity"
    );

    // A later import: order 2 refunded in full, order 1 re-exported with $20 refunded.
    let mut order_1 = first_file().remove(0);
    order_1.refunded_cents = 2_000;
    order_1.refunded_utc =
        Some(Utc.from_utc_datetime(&d("2024-04-05").and_hms_opt(9, 0, 0).unwrap()));
    import(
        &mut store,
        &[order_1],
        &[refund_of("2", "R2", "2024-04-01", 8_000)],
    );
    let after = store.recompute_loyalty_ledger(today).unwrap();
    assert!(
        after.appended >= 3,
        "two clawbacks and a tier change down: {after:?}"
    );
    assert_eq!(store.recompute_loyalty_ledger(today).unwrap().appended, 0);

    let sums = sums_by_source(&store);
    let ref_1 = order_ref(&store, "2024-01-10");
    let ref_2 = order_ref(&store, "2024-02-10");
    // Order 2 earned 90: all of it back. Order 1 keeps 30+10+50 of its 110.
    assert_eq!(sums[&("clawback".to_owned(), ref_2.clone())], -90);
    assert_eq!(sums[&("clawback".to_owned(), ref_1.clone())], -20);
    assert_eq!(
        sums[&("earn".to_owned(), ref_2)],
        90,
        "the earn entry stays"
    );
    assert_eq!(store.ledger_available_points(ann).unwrap(), 250 - 90 - 20);
    let clawbacks = store
        .ledger_entries(&LedgerFilter {
            kinds: vec![EntryKind::Clawback],
            ..LedgerFilter::default()
        })
        .unwrap();
    let days: Vec<&str> = clawbacks
        .iter()
        .map(|r| r.effective_date.as_str())
        .collect();
    assert_eq!(days, ["2024-04-01", "2024-04-05"]);
    // $130 − $80 − $20 = $30 lifetime: back below Silver the day after the refund.
    let balances = store.loyalty_balances(today).unwrap();
    let ann_balance = balances.iter().find(|b| b.customer == ann).unwrap();
    assert_eq!(ann_balance.tier, None);
    assert_eq!(ann_balance.available_points, 140);

    // A settings change is corrected by appending: every source sums to the new value.
    let mut doubled = program();
    doubled.earn.points_per_currency_unit = 2.0;
    doubled.rewards = store.loyalty_program().unwrap().program.rewards;
    store.save_loyalty_program(&doubled, true).unwrap();
    let changed = store.recompute_loyalty_ledger(today).unwrap();
    assert!(changed.corrections > 0);
    assert_eq!(store.recompute_loyalty_ledger(today).unwrap().appended, 0);
    let inputs = store.loyalty_inputs().unwrap();
    let desired = clv_desk::programs::loyalty::derive_ledger(&doubled, &inputs, today);
    let sums = sums_by_source(&store);
    for entry in desired
        .entries
        .iter()
        .filter(|e| e.kind != EntryKind::TierChange)
    {
        let key = (entry.kind.as_str().to_owned(), entry.source_ref.clone());
        assert_eq!(
            sums.get(&key).copied().unwrap_or(0),
            entry.points,
            "{key:?}"
        );
    }
    let corrected = store
        .ledger_entries(&LedgerFilter {
            text: "#v2".into(),
            ..LedgerFilter::default()
        })
        .unwrap();
    assert!(!corrected.is_empty());
    assert!(corrected.iter().all(|r| r.reason.starts_with("correction")));
}

#[test]
fn redemption_cannot_overdraw_and_adjustments_need_a_reason() {
    let (_dir, mut store) = open();
    import(&mut store, &first_file(), &[]);
    let today = d("2024-06-30");
    store.save_loyalty_program(&program(), true).unwrap();
    let bob = customer(&store, "bob@example.com");
    let ann = customer(&store, "ann@example.com");
    let rewards = store.loyalty_program().unwrap().program.rewards;
    let coffee = rewards[0].id.unwrap();
    let lounge = rewards[1].id.unwrap();

    // Bob has 90 (the redemption recomputes first): the 100-point coffee is refused.
    let refused = store.redeem_reward(bob, coffee, today).unwrap_err();
    assert!(
        matches!(
            refused,
            LoyaltyError::Refused(RedeemRefusal::NotEnoughPoints {
                available: 90,
                cost: 100
            })
        ),
        "{refused:?}"
    );
    // The lounge is for Silver members only.
    assert!(matches!(
        store.redeem_reward(bob, lounge, today).unwrap_err(),
        LoyaltyError::Refused(RedeemRefusal::TierTooLow { .. })
    ));
    assert!(matches!(
        store.adjust_points(bob, 20, "  ", today).unwrap_err(),
        LoyaltyError::ReasonRequired
    ));
    store
        .adjust_points(bob, 20, "goodwill: late delivery", today)
        .unwrap();
    let voucher = store.redeem_reward(bob, coffee, today).unwrap();
    assert_eq!(voucher.points, 100);
    assert_eq!(voucher.code.len(), "RW-XXXX-XXXX".len());
    assert!(voucher.code.starts_with("RW-"));
    assert_eq!(store.ledger_available_points(bob).unwrap(), 10);
    assert!(matches!(
        store.redeem_reward(bob, coffee, today).unwrap_err(),
        LoyaltyError::Refused(RedeemRefusal::NotEnoughPoints { available: 10, .. })
    ));
    let other = store.redeem_reward(ann, lounge, today).unwrap();
    assert_ne!(other.code, voucher.code);
    // Manual rows survive a recompute untouched, and balances count them.
    assert_eq!(store.recompute_loyalty_ledger(today).unwrap().appended, 0);
    let balances = store.loyalty_balances(today).unwrap();
    let bob_balance = balances.iter().find(|b| b.customer == bob).unwrap();
    assert_eq!(
        (bob_balance.available_points, bob_balance.lifetime_points),
        (10, 110)
    );

    let redemptions = store
        .ledger_entries(&LedgerFilter {
            customer: Some(bob),
            kinds: vec![EntryKind::Redeem],
            ..LedgerFilter::default()
        })
        .unwrap();
    assert_eq!(redemptions.len(), 1);
    assert_eq!(
        redemptions[0].voucher_code.as_deref(),
        Some(voucher.code.as_str())
    );
    assert_eq!(redemptions[0].points, -100);

    let mut csv = Vec::new();
    let written = store
        .write_ledger_csv(&LedgerFilter::default(), &mut csv)
        .unwrap();
    let text = String::from_utf8(csv).unwrap();
    assert_eq!(text.lines().count(), written + 1);
    assert!(text.starts_with("id,effective_date,customer_id,customer,kind,points"));
    assert!(text.contains("goodwill: late delivery"));
}

#[test]
fn the_replay_equals_a_real_activation_on_the_same_orders() {
    let (_dir, mut store) = open();
    let mut orders = first_file();
    orders.push(order("6", Some("cy@example.com"), "2021-05-01", 12_000));
    import(
        &mut store,
        &orders,
        &[refund_of("3", "R3", "2024-05-01", 500)],
    );
    let today = d("2024-06-30");
    let draft = program();

    let comparison = store.replay_loyalty(&draft, today).unwrap();
    assert!(comparison.current.is_none(), "no program is active yet");
    let replay = comparison.draft;

    store.save_loyalty_program(&draft, true).unwrap();
    store.recompute_loyalty_ledger(today).unwrap();
    let balances = store.loyalty_balances(today).unwrap();
    let rows = store.ledger_entries(&LedgerFilter::default()).unwrap();

    let outstanding: i64 = balances.iter().map(|b| b.available_points.max(0)).sum();
    let ledger_total: i64 = rows.iter().map(|r| r.points).sum();
    assert_eq!(replay.outstanding_points, outstanding);
    assert_eq!(replay.outstanding_points, ledger_total);
    let issued: i64 = rows
        .iter()
        .filter(|r| {
            matches!(
                r.kind,
                EntryKind::Earn | EntryKind::Clawback | EntryKind::Birthday
            )
        })
        .map(|r| r.points)
        .sum();
    assert_eq!(replay.points_issued, issued);
    let expired: i64 = rows
        .iter()
        .filter(|r| r.kind == EntryKind::Expire)
        .map(|r| -r.points)
        .sum();
    assert_eq!(replay.points_expired, expired);
    assert!(expired > 0, "Cy's 2021 points expired after 24 months");
    for tier in &replay.members_per_tier {
        let members = balances.iter().filter(|b| b.tier == tier.tier).count();
        assert_eq!(members, tier.members, "{:?}", tier.tier);
    }
    assert_eq!(replay.members, 3);
    assert_eq!(replay.liability_cents, outstanding);

    // With the program active, the replay shows it as the current program.
    let comparison = store.replay_loyalty(&draft, today).unwrap();
    assert_eq!(comparison.current.as_ref(), Some(&comparison.draft));
}

#[test]
fn undoing_an_import_takes_its_points_back_by_appending() {
    let (_dir, mut store) = open();
    import(&mut store, &first_file(), &[]);
    let later = store
        .write_import(
            &NewImport::default(),
            &[order("7", Some("bob@example.com"), "2024-05-01", 4_000)],
            &[],
            &mut |_| true,
        )
        .unwrap();
    let today = d("2024-06-30");
    store.save_loyalty_program(&program(), true).unwrap();
    store.recompute_loyalty_ledger(today).unwrap();
    let bob = customer(&store, "bob@example.com");
    assert_eq!(store.ledger_available_points(bob).unwrap(), 90 + 50);

    store.undo_import(later.import_id).unwrap();
    let outcome = store.recompute_loyalty_ledger(today).unwrap();
    assert_eq!((outcome.appended, outcome.corrections), (1, 1));
    assert_eq!(store.ledger_available_points(bob).unwrap(), 90);
    assert_eq!(store.recompute_loyalty_ledger(today).unwrap().appended, 0);
}
