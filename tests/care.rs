//! The care queue in a real database: a refresh adds each task once, working through the
//! queue persists, the mail merge leaves out customers without consent (and counts them),
//! and a dispute moves open → in progress → resolved with its goodwill, then asks for a
//! follow-up.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

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
