//! The care queue in a real database: a refresh adds each task once, working through the
//! queue persists, the mail merge leaves out customers without consent (and counts them),
//! and a dispute moves open → in progress → resolved with its goodwill, then asks for a
//! follow-up.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

mod common;

use chrono::NaiveDate;
use clv_desk::app::{Progress, load_demo};
use clv_desk::demo::DemoOptions;
use clv_desk::programs::care::{CareRules, TaskKind};
use clv_desk::store::Store;
use clv_desk::store::care::TaskAction;

fn demo_store(dir: &std::path::Path) -> (Store, NaiveDate) {
    let today = NaiveDate::from_ymd_opt(2026, 6, 30).unwrap();
    let mut store = Store::open(&dir.join("care.sqlite")).unwrap();
    let options = DemoOptions {
        customers: 300,
        seed: 5,
        end_date: today,
        currency: clv_desk::domain::Currency::EUR,
    };
    load_demo(&mut store, &Progress::default(), &options).unwrap();
    clv_desk::app::valuation::value_and_save(&mut store, &Progress::default()).unwrap();
    (store, today)
}

fn money(cents: f64) -> String {
    format!("€{:.0}", cents / 100.0)
}

#[test]
fn a_refresh_adds_each_task_once_and_actions_persist() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, today) = demo_store(dir.path());
    let first = store.refresh_care_queue(today, &money).unwrap();
    assert!(first.added > 0);
    let again = store.refresh_care_queue(today, &money).unwrap();
    assert_eq!(again.added, 0, "no task twice");
    let open = store.open_care_tasks(today).unwrap();
    assert_eq!(open.len() as u64, first.added);
    for kind in [TaskKind::WinBack, TaskKind::Review] {
        assert!(open.iter().any(|t| t.kind == kind), "{kind:?}");
    }
    assert!(open.iter().all(|t| !t.reason.is_empty()));

    let (a, b, c) = (open[0].id, open[1].id, open[2].id);
    let done = TaskAction::Done {
        channel: "email".to_owned(),
        note: "Sent a card".to_owned(),
    };
    assert_eq!(store.act_on_care_tasks(&[a], &done).unwrap(), 1);
    assert_eq!(
        store.act_on_care_tasks(&[a], &TaskAction::Skip).unwrap(),
        0,
        "done stays done"
    );
    let later = today + chrono::Days::new(7);
    store
        .act_on_care_tasks(&[b], &TaskAction::Snooze(later))
        .unwrap();
    store.act_on_care_tasks(&[c], &TaskAction::Skip).unwrap();
    let open_now: Vec<i64> = store
        .open_care_tasks(today)
        .unwrap()
        .iter()
        .map(|t| t.id)
        .collect();
    assert!(!open_now.contains(&a) && !open_now.contains(&b) && !open_now.contains(&c));
    let history = store.customer_care_tasks(open[0].customer_id).unwrap();
    assert!(history.iter().any(|t| t.id == a && t.status == "done"));

    // The snoozed task comes back on its day.
    let woken = store.refresh_care_queue(later, &money).unwrap();
    assert!(woken.woken >= 1);
    assert!(
        store
            .open_care_tasks(later)
            .unwrap()
            .iter()
            .any(|t| t.id == b)
    );

    // Reopening the database keeps it all.
    drop(store);
    let store = Store::open(&dir.path().join("care.sqlite")).unwrap();
    let history = store.customer_care_tasks(open[0].customer_id).unwrap();
    assert!(history.iter().any(|t| t.id == a && t.status == "done"));
}

#[test]
fn the_mail_merge_leaves_out_customers_without_consent() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, today) = demo_store(dir.path());
    store.refresh_care_queue(today, &money).unwrap();
    let open = store.open_care_tasks(today).unwrap();
    let consenting = open
        .iter()
        .filter(|t| t.marketing_consent && t.email.is_some())
        .count();
    let without = open
        .iter()
        .filter(|t| !t.marketing_consent && t.kind != TaskKind::DisputeFollowUp)
        .count();
    assert!(consenting > 0 && without > 0, "the demo has both");
    let mut out = Vec::new();
    let outcome = store.write_mail_merge_csv(&open, &mut out).unwrap();
    assert_eq!(outcome.without_consent as usize, without);
    assert_eq!(outcome.written as usize, consenting);
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().count(), consenting + 1);
    let first = open
        .iter()
        .find(|t| t.marketing_consent && t.email.is_some())
        .unwrap();
    let message = store.care_message(first).unwrap();
    let name = first.name.split_whitespace().next().unwrap();
    assert!(message.contains(name), "{message}");
    assert!(!message.contains("{first_name}"));
    for task in open.iter().filter(|t| !t.marketing_consent) {
        if let Some(email) = &task.email {
            assert!(!text.contains(email.as_str()), "{email} has no consent");
        }
    }
}

#[test]
fn a_dispute_moves_through_its_states_and_asks_for_a_follow_up() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, today) = demo_store(dir.path());
    let customer = store.customer_values().unwrap()[3].id;
    assert!(
        store.open_dispute(customer, None, " ", "x").is_err(),
        "a category is needed"
    );
    let id = store
        .open_dispute(customer, None, "Damaged item", "Cup arrived broken")
        .unwrap();
    assert_eq!(store.disputes().unwrap()[0].status, "open");
    store.update_dispute(id, "in_progress", "", 0, 0).unwrap();
    assert!(
        store.update_dispute(id, "resolved", " ", 0, 0).is_err(),
        "say how"
    );
    store
        .update_dispute(id, "resolved", "Sent a new cup", 50, 0)
        .unwrap();
    let dispute = store
        .disputes()
        .unwrap()
        .into_iter()
        .find(|d| d.id == id)
        .unwrap();
    assert_eq!(dispute.status, "resolved");
    assert_eq!(dispute.goodwill_points, 50);
    assert!(dispute.days_to_resolve().unwrap() >= 0.0);
    assert!(
        store.update_dispute(id, "open", "", 0, 0).is_err(),
        "closed stays closed"
    );

    store
        .save_care_rules(&CareRules {
            dispute_days_after: 0,
            ..CareRules::default()
        })
        .unwrap();
    let resolved_day = chrono::DateTime::from_timestamp(dispute.resolved_utc.unwrap(), 0)
        .unwrap()
        .date_naive();
    let day = resolved_day.max(today);
    store.refresh_care_queue(day, &money).unwrap();
    let follow_up = store
        .open_care_tasks(day)
        .unwrap()
        .into_iter()
        .find(|t| t.kind == TaskKind::DisputeFollowUp)
        .unwrap();
    assert_eq!(follow_up.customer_id, customer);
    assert!(
        store
            .save_care_rules(&CareRules {
                thank_top_percent: 0.0,
                ..CareRules::default()
            })
            .is_err()
    );
}

/// A customer with orders on `days` (one import each call), returning their id.
fn customer_with_orders(store: &mut Store, n: usize, days: &[&str]) -> i64 {
    let orders: Vec<clv_desk::domain::NewOrder> = days
        .iter()
        .enumerate()
        .map(|(i, day)| clv_desk::domain::NewOrder {
            currency: clv_desk::domain::Currency::EUR,
            ..common::orders::paid_order(
                &format!("{n}-{i}"),
                common::orders::who(&format!("c{n}@example.com"), &format!("Customer {n}")),
                day,
                2_000,
            )
        })
        .collect();
    store
        .write_import(
            &clv_desk::store::orders::NewImport::default(),
            &orders,
            &[],
            &mut |_| true,
        )
        .unwrap();
    let conn = rusqlite::Connection::open(store.path()).unwrap();
    conn.query_row(
        "SELECT id FROM customers WHERE email = ?1",
        [format!("c{n}@example.com")],
        |r| r.get(0),
    )
    .unwrap()
}

fn utc(day: &str) -> i64 {
    NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .unwrap()
        .and_hms_opt(12, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp()
}

#[test]
fn outcomes_compare_contacted_customers_and_disputes_on_a_hand_built_shop() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("outcomes.sqlite")).unwrap();
    // Thank-you tasks on 3 January: customers 1 and 2 contacted (1 came back), customer 3
    // skipped (came back), customer 4's task left open (did not come back).
    let c1 = customer_with_orders(&mut store, 1, &["2026-01-01", "2026-02-01"]);
    let c2 = customer_with_orders(&mut store, 2, &["2026-01-01"]);
    let c3 = customer_with_orders(&mut store, 3, &["2026-01-01", "2026-03-01"]);
    let c4 = customer_with_orders(&mut store, 4, &["2026-01-01"]);
    // Customer 5: a dispute opened 10 January, resolved, and back on 1 March; customer 6
    // one rejected, not back. Customer 7 a dispute still open (not counted).
    let c5 = customer_with_orders(&mut store, 5, &["2025-12-01", "2026-01-08", "2026-03-01"]);
    let c6 = customer_with_orders(&mut store, 6, &["2025-12-01", "2026-01-08"]);
    let c7 = customer_with_orders(&mut store, 7, &["2025-12-01", "2026-01-08"]);
    // Customer 8: no dispute, two orders by 10 January like 5 and 6, back on 20 February.
    customer_with_orders(&mut store, 8, &["2025-12-05", "2026-01-05", "2026-02-20"]);
    let conn = rusqlite::Connection::open(store.path()).unwrap();
    for (customer, status, done) in [
        (c1, "done", Some(utc("2026-01-03"))),
        (c2, "done", Some(utc("2026-01-03"))),
        (c3, "skipped", None),
        (c4, "open", None),
    ] {
        conn.execute(
            "INSERT INTO care_tasks (kind, customer_id, rule_key, due_date, status, done_utc,
                                     created_utc)
             VALUES ('thank_new', ?1, ?2, '2026-01-03', ?3, ?4, 0)",
            rusqlite::params![customer, format!("thank_new:{customer}"), status, done],
        )
        .unwrap();
    }
    for (customer, status) in [(c5, "resolved"), (c6, "rejected"), (c7, "open")] {
        conn.execute(
            "INSERT INTO disputes (customer_id, category, opened_utc, status, resolved_utc)
             VALUES (?1, 'Damaged', ?2, ?3, ?4)",
            rusqlite::params![customer, utc("2026-01-10"), status, utc("2026-01-12")],
        )
        .unwrap();
    }
    let today = NaiveDate::from_ymd_opt(2026, 6, 30).unwrap();
    let outcomes = store.care_outcomes(today).unwrap();
    assert_eq!(outcomes.lift_by_kind.len(), 1);
    let (kind, lift) = outcomes.lift_by_kind[0];
    assert_eq!(kind, TaskKind::ThankNew);
    assert_eq!(
        (
            lift.contacted,
            lift.contacted_back,
            lift.others,
            lift.others_back
        ),
        (2, 1, 2, 1)
    );
    assert_eq!(lift.points(), Some(0.0));
    let after = outcomes.after_disputes;
    assert_eq!((after.disputed, after.disputed_back), (2, 1));
    // Similar on 10 January (two orders by then, no dispute): only customer 8. Customer 7
    // has a dispute (still open) and customers 1 to 4 had one order then.
    assert_eq!((after.similar, after.similar_back), (2, 2));
    assert_eq!(after.similar_share, Some(1.0));
    let words = after.words();
    assert!(words.contains("1 of 2 customers ordered again"), "{words}");
    assert!(words.contains("50 points less often than"), "{words}");

    // Too recent: as of 1 March nothing has had its 90 days.
    let early = store
        .care_outcomes(NaiveDate::from_ymd_opt(2026, 3, 1).unwrap())
        .unwrap();
    assert!(early.lift_by_kind.is_empty());
    assert_eq!(early.after_disputes.too_recent, 2);
}

#[test]
fn the_demo_has_a_queue_past_thank_yous_and_disputes() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, today) = demo_store(dir.path());
    assert!(store.refresh_care_queue(today, &money).unwrap().added > 0);
    assert!(!store.open_care_tasks(today).unwrap().is_empty());
    let disputes = store.disputes().unwrap();
    let status = |s: &str| disputes.iter().filter(|d| d.status == s).count();
    assert_eq!(
        (
            status("open"),
            status("in_progress"),
            status("resolved"),
            status("rejected")
        ),
        (1, 1, 4, 2)
    );
    assert!(disputes.iter().all(|d| !d.customer_name.is_empty()));
    let (open, oldest) = store.open_disputes_summary().unwrap();
    assert_eq!(open, 2);
    assert!(oldest.is_some());
    // Past thank-yous, done (with a touchpoint) or skipped, none left in today's queue.
    let conn = rusqlite::Connection::open(store.path()).unwrap();
    let (done, skipped, touchpoints): (i64, i64, i64) = conn
        .query_row(
            "SELECT (SELECT count(*) FROM care_tasks WHERE status = 'done'),
                    (SELECT count(*) FROM care_tasks WHERE status = 'skipped'),
                    (SELECT count(*) FROM touchpoints)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert!(done > 10 && skipped > 5, "{done} done, {skipped} skipped");
    assert_eq!(done, touchpoints);
    let outcomes = store
        .care_outcomes(clv_desk::app::loyalty::today())
        .unwrap();
    assert!(!outcomes.lift_by_kind.is_empty());
}

#[test]
fn the_mail_merge_neutralises_cells_a_spreadsheet_would_run_as_formulas() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, today) = demo_store(dir.path());
    store.refresh_care_queue(today, &money).unwrap();
    let open = store.open_care_tasks(today).unwrap();
    let target = open
        .iter()
        .find(|t| t.marketing_consent && t.email.is_some())
        .unwrap()
        .clone();
    let formula = "=HYPERLINK(\"http://evil.example\",\"Click\")";
    let conn = rusqlite::Connection::open(dir.path().join("care.sqlite")).unwrap();
    conn.execute(
        "UPDATE customers SET display_name = ?1 WHERE id = ?2",
        rusqlite::params![formula, target.customer_id],
    )
    .unwrap();
    drop(conn);
    let open = store.open_care_tasks(today).unwrap();
    let renamed: Vec<_> = open
        .iter()
        .filter(|t| t.customer_id == target.customer_id)
        .cloned()
        .collect();
    assert!(!renamed.is_empty() && renamed.iter().all(|t| t.name == formula));
    let mut out = Vec::new();
    let outcome = store.write_mail_merge_csv(&renamed, &mut out).unwrap();
    assert_eq!(outcome.written as usize, renamed.len());
    let mut reader = csv::Reader::from_reader(out.as_slice());
    for record in reader.records() {
        let record = record.unwrap();
        // first_name and name: the formula as text, behind the apostrophe a spreadsheet hides.
        assert!(record[1].starts_with("'="), "{:?}", &record[1]);
        assert_eq!(&record[2], format!("'{formula}"));
        // The message starts with its greeting, so it needs no apostrophe.
        assert!(!record[5].starts_with('\''), "{:?}", &record[5]);
    }
}

#[test]
fn the_shop_name_signs_the_cards_and_fills_messages() {
    let dir = tempfile::tempdir().unwrap();
    let (mut store, today) = demo_store(dir.path());
    store.refresh_care_queue(today, &money).unwrap();
    let thanks: Vec<_> = store
        .open_care_tasks(today)
        .unwrap()
        .into_iter()
        .filter(|t| t.kind == TaskKind::ThankNew)
        .take(3)
        .collect();
    assert!(!thanks.is_empty());
    store
        .save_care_template(TaskKind::ThankNew, "Thank you from {shop_name}!")
        .unwrap();
    // Not set yet: messages say "our shop", cards are unsigned.
    assert_eq!(
        store.care_message(&thanks[0]).unwrap(),
        "Thank you from our shop!"
    );
    let pdf = |store: &Store| {
        let mut out = Vec::new();
        store.write_thank_you_cards_pdf(&thanks, &mut out).unwrap();
        out
    };
    let signed_as = b"(\x97 Caf\xE9 Zo\xEB) Tj";
    let contains = |bytes: &[u8]| bytes.windows(signed_as.len()).any(|w| w == signed_as);
    assert!(!contains(&pdf(&store)));
    let mut settings = store.business_settings().unwrap();
    settings.shop_name = " Café Zoë ".into();
    store.save_business_settings(&settings).unwrap();
    assert_eq!(
        store.care_message(&thanks[0]).unwrap(),
        "Thank you from Café Zoë!"
    );
    let signed = pdf(&store);
    let signatures = signed
        .windows(signed_as.len())
        .filter(|w| *w == signed_as)
        .count();
    assert_eq!(signatures, thanks.len(), "every card is signed");
    assert!(contains(&signed));
}

#[test]
fn a_message_leaves_out_the_sentence_about_points_a_customer_does_not_have() {
    // A small shop without a loyalty programme: its best customer has no points, so the
    // thank-you does not say "You have 0 points waiting".
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("shop.sqlite")).unwrap();
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/import/shopify/orders_export.csv");
    clv_desk::app::import::import_streamed(
        &mut store,
        &file,
        clv_desk::import::ImportOptions::default(),
        &mut |_, _| true,
    )
    .unwrap();
    clv_desk::app::valuation::value_and_save(&mut store, &Progress::default()).unwrap();
    let today = NaiveDate::from_ymd_opt(2021, 6, 20).unwrap();
    store.refresh_care_queue(today, &money).unwrap();
    let tasks = store.open_care_tasks(today).unwrap();
    let top = tasks
        .iter()
        .find(|t| t.kind == TaskKind::ThankTop)
        .expect("the best customer is thanked");
    let first = top.name.split_whitespace().next().unwrap();
    assert_eq!(
        store.care_message(top).unwrap(),
        format!("Hi {first}, you are one of our favourite customers — thank you.")
    );
}
