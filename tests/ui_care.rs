//! The care view as an owner uses it on the valued demo shop: today's queue with its
//! reasons, a task done (with a touchpoint in the store), one snoozed and one skipped, two
//! done at once, the mail merge leaving out customers without marketing consent, and a
//! dispute logged, started and resolved with goodwill.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

mod common;

use common::ui::{click, finish_job, is_disabled, run_until, set_text_in, valued_demo};

use std::path::Path;
use std::sync::Arc;

use clv_desk::app::care::{CareCommand, CareData, mail_merge_words};
use clv_desk::app::{Command, UiPrefs, View};
use clv_desk::programs::care::TaskKind;
use clv_desk::store::Store;
use clv_desk::ui::ClvDeskApp;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;

fn harness_on(db: &Path) -> Harness<'static, ClvDeskApp> {
    common::ui::harness_on(db, View::Care, [1500.0, 1000.0], |app| {
        app.state.care_is_current()
    })
}

fn data(harness: &Harness<'_, ClvDeskApp>) -> Arc<CareData> {
    harness.state().state.care.data.clone().unwrap()
}

fn open_ids(harness: &Harness<'_, ClvDeskApp>) -> Vec<i64> {
    data(harness).tasks.iter().map(|t| t.task.id).collect()
}

/// The status of task `id` as the store has it.
fn stored_status(db: &Path, customer: i64, id: i64) -> String {
    let store = Store::open(db).unwrap();
    let tasks = store.customer_care_tasks(customer).unwrap();
    tasks.into_iter().find(|t| t.id == id).unwrap().status
}

#[test]
fn work_through_the_queue_one_at_a_time_and_in_bulk() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.sqlite");
    valued_demo(&db, 200);
    let mut harness = harness_on(&db);
    let before = data(&harness);
    assert!(before.tasks.len() >= 5, "{} tasks", before.tasks.len());
    harness.get_by_label_contains(&format!("{} care tasks due today", before.open_tasks));
    for task in before.tasks.iter().take(5) {
        assert!(!task.task.reason.is_empty());
        let why = format!("Why: {}", task.task.reason);
        assert!(harness.query_all_by_label(&why).count() >= 1, "{why}");
        let message = format!("Suggested message: {}", task.message);
        assert!(
            harness.query_all_by_label(&message).count() >= 1,
            "{message}"
        );
    }
    let first_kind = before.tasks[0].task.kind;
    harness.get_by_label_contains(first_kind.label());

    // Done by phone, with a note: gone from the queue, a touchpoint in the store.
    let done = before.tasks[0].task.clone();
    click(&mut harness, "Phone");
    set_text_in(
        &mut harness,
        Role::TextInput,
        "Note for the customer's history",
        "Called, all well",
    );
    click(&mut harness, &format!("Done task {}", done.id));
    finish_job(&mut harness);
    assert!(!open_ids(&harness).contains(&done.id));
    assert_eq!(stored_status(&db, done.customer_id, done.id), "done");
    let conn = rusqlite::Connection::open(&db).unwrap();
    let (channel, note): (String, String) = conn
        .query_row(
            "SELECT channel, note FROM touchpoints WHERE task_id = ?1",
            [done.id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        (channel.as_str(), note.as_str()),
        ("phone", "Called, all well")
    );
    assert!(
        harness
            .query_all_by_label("Marked done (phone): 1 task.")
            .count()
            >= 1
    );

    // Snooze one and skip another.
    let snoozed = before.tasks[1].task.clone();
    click(&mut harness, &format!("Snooze task {}", snoozed.id));
    finish_job(&mut harness);
    let skipped = before.tasks[2].task.clone();
    click(&mut harness, &format!("Skip task {}", skipped.id));
    finish_job(&mut harness);
    let open = open_ids(&harness);
    assert!(!open.contains(&snoozed.id) && !open.contains(&skipped.id));
    assert_eq!(
        stored_status(&db, snoozed.customer_id, snoozed.id),
        "snoozed"
    );
    assert_eq!(
        stored_status(&db, skipped.customer_id, skipped.id),
        "skipped"
    );

    // Two at once.
    let (a, b) = (before.tasks[3].task.clone(), before.tasks[4].task.clone());
    click(&mut harness, &format!("Select task {}", a.id));
    click(&mut harness, &format!("Select task {}", b.id));
    harness.get_by_label("2 selected.");
    click(&mut harness, "Mark selected done");
    finish_job(&mut harness);
    let open = open_ids(&harness);
    assert!(!open.contains(&a.id) && !open.contains(&b.id));
    assert_eq!(stored_status(&db, a.customer_id, a.id), "done");
    assert_eq!(stored_status(&db, b.customer_id, b.id), "done");
    assert_eq!(data(&harness).open_tasks, before.open_tasks - 5);
    harness.get_by_label("0 selected.");
}

#[test]
fn the_mail_merge_honours_consent_and_a_dispute_is_resolved() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.sqlite");
    valued_demo(&db, 200);
    let mut harness = harness_on(&db);
    let before = data(&harness);
    assert!(!is_disabled(&harness, "Export mail merge (CSV)…"));

    // The mail merge (the file dialog answer is pushed directly).
    let out = dir.path().join("merge.csv");
    harness
        .state_mut()
        .state
        .push(Command::Care(CareCommand::ExportMailMerge(out.clone())));
    finish_job(&mut harness);
    let outcome = harness.state().state.care.mail_merge.unwrap();
    assert_eq!(
        (outcome.written + outcome.without_consent + outcome.without_email) as usize,
        before.open_tasks
    );
    assert!(
        outcome.written > 0 && outcome.without_consent > 0,
        "{outcome:?}"
    );
    let words = mail_merge_words(&outcome);
    assert!(words.contains(&format!(
        "left out {} without marketing consent",
        outcome.without_consent
    )));
    harness.get_by_label(&words);
    let store = Store::open(&db).unwrap();
    let tasks = store.open_care_tasks(before.today).unwrap();
    let refused: Vec<String> = tasks
        .iter()
        .filter(|t| !t.marketing_consent && t.kind != TaskKind::DisputeFollowUp)
        .filter_map(|t| t.email.clone())
        .collect();
    let mut reader = csv::Reader::from_path(&out).unwrap();
    let emails: Vec<String> = reader
        .records()
        .map(|r| r.unwrap().get(0).unwrap().to_owned())
        .collect();
    assert_eq!(emails.len() as u64, outcome.written);
    assert!(emails.iter().all(|e| !refused.contains(e)));

    // A dispute: logged, started, resolved with goodwill.
    let customer = before.tasks[0].task.customer_id;
    click(&mut harness, "Disputes");
    let open_before = before.open_disputes();
    assert!(open_before >= 1, "the demo has open disputes");
    harness.get_by_label_contains(&format!(
        "Open disputes (not resolved or rejected yet): {open_before}."
    ));
    click(&mut harness, "Log a dispute…");
    assert!(is_disabled(&harness, "Log dispute"));
    // The customer's number shows their name; part of the name offers them to pick.
    let name = before.tasks[0].task.name.clone();
    set_text_in(
        &mut harness,
        Role::TextInput,
        "Customer name or number",
        &customer.to_string(),
    );
    harness.get_by_label(&format!("Customer: {name} (customer {customer})"));
    set_text_in(
        &mut harness,
        Role::TextInput,
        "Customer name or number",
        "no such customer zz",
    );
    harness.get_by_label("No customer has this number or a name containing it.");
    let part: String = name.chars().take(name.chars().count().min(5)).collect();
    set_text_in(
        &mut harness,
        Role::TextInput,
        "Customer name or number",
        &part.to_lowercase(),
    );
    click(&mut harness, &format!("{name} (customer {customer})"));
    harness.get_by_label(&format!("Customer: {name} (customer {customer})"));
    click(&mut harness, "Damaged");
    set_text_in(
        &mut harness,
        Role::MultilineTextInput,
        "What happened",
        "The bag arrived torn",
    );
    click(&mut harness, "Log dispute");
    finish_job(&mut harness);
    let dispute = data(&harness).disputes[0].clone();
    assert_eq!(
        (
            dispute.customer_id,
            dispute.category.as_str(),
            dispute.status.as_str()
        ),
        (customer, "Damaged", "open")
    );
    harness.get_by_label_contains(&format!(
        "Open disputes (not resolved or rejected yet): {}.",
        open_before + 1
    ));
    let id = dispute.id;
    assert_eq!(dispute.customer_name, name);
    harness.get_by_label(&format!(
        "Dispute {id}: {name} (customer {customer}), Damaged (Open)"
    ));
    assert!(
        is_disabled(&harness, &format!("Resolve dispute {id}")),
        "no resolution yet"
    );
    click(&mut harness, &format!("Start dispute {id}"));
    finish_job(&mut harness);
    assert_eq!(data(&harness).disputes[0].status, "in_progress");
    set_text_in(
        &mut harness,
        Role::TextInput,
        &format!("Resolution of dispute {id}"),
        "Sent a new bag",
    );
    set_text_in(
        &mut harness,
        Role::TextInput,
        &format!("Goodwill points for dispute {id}"),
        "50",
    );
    set_text_in(
        &mut harness,
        Role::TextInput,
        &format!("Goodwill refund for dispute {id}"),
        "5",
    );
    click(&mut harness, &format!("Resolve dispute {id}"));
    finish_job(&mut harness);
    let stored = Store::open(&db)
        .unwrap()
        .disputes()
        .unwrap()
        .into_iter()
        .find(|d| d.id == id)
        .unwrap();
    assert_eq!(stored.status, "resolved");
    assert_eq!(stored.resolution, "Sent a new bag");
    assert_eq!((stored.goodwill_points, stored.goodwill_cents), (50, 500));
    assert!(stored.days_to_resolve().is_some());
    harness.get_by_label_contains(&format!(
        "Open disputes (not resolved or rejected yet): {open_before}."
    ));
    assert!(
        harness
            .query_all_by_label_contains("Resolved after")
            .count()
            >= 1
    );
}

#[test]
fn switch_a_rule_off_and_edit_a_message_with_its_preview() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.sqlite");
    valued_demo(&db, 120);
    let mut harness = harness_on(&db);

    // A rule switched off and saved.
    click(&mut harness, "Rules");
    assert!(is_disabled(&harness, "Save rules"), "nothing changed yet");
    click(&mut harness, "Thank new customers");
    harness.get_by_label("Your changes are not saved yet.");
    click(&mut harness, "Save rules");
    finish_job(&mut harness);
    let rules = Store::open(&db).unwrap().care_rules().unwrap();
    assert!(!rules.thank_new && rules.win_back);
    assert!(!data(&harness).rules.thank_new);
    assert!(
        is_disabled(&harness, "Save rules"),
        "saved: nothing to save"
    );

    // The win-back message with a live preview, saved and used by the queue.
    click(&mut harness, "Messages");
    click(&mut harness, TaskKind::WinBack.label());
    harness.get_by_label(
        "{code}: their referral code (a sentence with it is left out when they have none)",
    );
    set_text_in(
        &mut harness,
        Role::MultilineTextInput,
        "Message template",
        "Hello {first_name}, your code is {code}.",
    );
    harness.get_by_label("Hello Anna, your code is THANKS-4821.");
    click(&mut harness, "Save message");
    finish_job(&mut harness);
    let saved = Store::open(&db)
        .unwrap()
        .care_template(TaskKind::WinBack)
        .unwrap();
    assert_eq!(saved, "Hello {first_name}, your code is {code}.");
    let win_back: Vec<String> = data(&harness)
        .tasks
        .iter()
        .filter(|t| t.task.kind == TaskKind::WinBack)
        .map(|t| t.message.clone())
        .collect();
    assert!(!win_back.is_empty());
    assert!(
        win_back.iter().all(|m| m.starts_with("Hello ")),
        "{win_back:?}"
    );
}

/// The text lines a PDF's content streams show (`(…) Tj`), decoded from WinAnsi.
fn pdf_lines(bytes: &[u8]) -> Vec<String> {
    let mut lines = Vec::new();
    let mut rest = bytes;
    while let Some(end) = rest.windows(4).position(|w| w == b") Tj") {
        let before = &rest[..end];
        // The literal starts at the last unescaped "(" before the end.
        let start = (0..before.len())
            .rev()
            .find(|&i| before[i] == b'(' && (i == 0 || before[i - 1] != b'\\'))
            .unwrap();
        let mut raw = Vec::new();
        let mut escaped = false;
        for &b in &before[start + 1..] {
            if !escaped && b == b'\\' {
                escaped = true;
                continue;
            }
            escaped = false;
            raw.push(b);
        }
        lines.push(encoding_rs::WINDOWS_1252.decode(&raw).0.into_owned());
        rest = &rest[end + 4..];
    }
    lines
}

#[test]
fn print_thank_you_cards_for_every_thank_you_and_for_a_selection() {
    use clv_desk::app::care::{card_tasks, cards_words};
    use clv_desk::export::pdf::check_file;

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.sqlite");
    valued_demo(&db, 200);
    let mut harness = harness_on(&db);
    let before = data(&harness);
    let thanks = before.thank_you_tasks;
    assert!(thanks > 0, "the demo has thank-you tasks");
    harness.get_by_label(&format!(
        "Cards for all {thanks} thank-you tasks (select tasks to print cards for others)."
    ));
    assert!(!is_disabled(&harness, "Print thank-you cards…"));

    // Every thank-you task (the file dialog's answer is pushed directly).
    let all = dir.path().join("all.pdf");
    harness
        .state_mut()
        .state
        .push(Command::Care(CareCommand::PrintCards {
            ids: Vec::new(),
            path: all.clone(),
        }));
    finish_job(&mut harness);
    let bytes = std::fs::read(&all).unwrap();
    let (_, pages) = check_file(&bytes).unwrap();
    assert_eq!(pages, thanks.div_ceil(4));
    let store = Store::open(&db).unwrap();
    let tasks = card_tasks(store.open_care_tasks(before.today).unwrap(), &[]);
    assert_eq!(tasks.len(), thanks);
    let text = pdf_lines(&bytes).join(" ");
    for task in &tasks {
        let first = task.name.split_whitespace().next().unwrap_or("");
        assert!(text.contains(&format!("Thank you, {first}!")), "{first}");
        let message = store.care_message(task).unwrap();
        assert!(text.contains(&message), "{message}");
    }
    let outcome = clv_desk::store::care::CardsOutcome {
        cards: thanks as u64,
        pages: pages as u64,
        shortened: 0,
    };
    let words = cards_words(&outcome);
    assert!(
        harness.query_all_by_label_contains(&words).count() >= 1,
        "{words}"
    );

    // Two selected tasks of other kinds: one page with just their two cards.
    let others: Vec<_> = before
        .tasks
        .iter()
        .filter(|t| !matches!(t.task.kind, TaskKind::ThankNew | TaskKind::ThankTop))
        .take(2)
        .cloned()
        .collect();
    for task in &others {
        click(&mut harness, &format!("Select task {}", task.task.id));
    }
    harness.get_by_label("Cards for the 2 selected tasks.");
    let two = dir.path().join("two.pdf");
    harness
        .state_mut()
        .state
        .push(Command::Care(CareCommand::PrintCards {
            ids: others.iter().map(|t| t.task.id).collect(),
            path: two.clone(),
        }));
    finish_job(&mut harness);
    let bytes = std::fs::read(&two).unwrap();
    assert_eq!(check_file(&bytes).unwrap().1, 1);
    let lines = pdf_lines(&bytes);
    let headings: Vec<&String> = lines
        .iter()
        .filter(|l| l.starts_with("Thank you"))
        .collect();
    assert_eq!(headings.len(), 2, "{headings:?}");
    let text = lines.join(" ");
    for task in &others {
        assert!(text.contains(&task.message), "{}", task.message);
    }
    let words = "Printed 2 thank-you cards on 1 page";
    assert!(harness.query_all_by_label_contains(words).count() >= 1);
}

fn harness_on_view(db: &Path, view: View) -> Harness<'static, ClvDeskApp> {
    let prefs = UiPrefs {
        last_view: view,
        ..UiPrefs::default()
    };
    let app = ClvDeskApp::new(db, prefs);
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1500.0, 1000.0))
        .build_ui_state(|ui, app: &mut ClvDeskApp| app.show(ui), app);
    harness.step();
    run_until(&mut harness, |app| app.state.running_job().is_none());
    harness
}

#[test]
fn the_dashboard_counts_open_disputes_and_opens_the_disputes_tab() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.sqlite");
    valued_demo(&db, 120);
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute("DELETE FROM disputes", []).unwrap();

    // None open: nothing about disputes on the dashboard.
    let harness = harness_on_view(&db, View::Dashboard);
    harness.get_by_label("Came back");
    assert_eq!(
        harness.query_all_by_label_contains("open dispute").count(),
        0
    );
    drop(harness);

    // Two open (one 12 days old, one in progress), one resolved: "2 open disputes".
    let mut store = Store::open(&db).unwrap();
    let old = store.open_dispute(1, None, "Late delivery", "").unwrap();
    let newer = store.open_dispute(2, None, "Damaged", "").unwrap();
    store
        .update_dispute(newer, "in_progress", "", 0, 0)
        .unwrap();
    let closed = store.open_dispute(3, None, "Billing", "").unwrap();
    store
        .update_dispute(closed, "resolved", "Refunded", 0, 0)
        .unwrap();
    let twelve_days_ago = chrono::Utc::now().timestamp() - 12 * 86_400 - 600;
    conn.execute(
        "UPDATE disputes SET opened_utc = ?1 WHERE id = ?2",
        rusqlite::params![twelve_days_ago, old],
    )
    .unwrap();
    let mut harness = harness_on_view(&db, View::Dashboard);
    harness.get_by_label("2 open disputes (oldest 12 days).");
    harness.get_by_label("See the disputes").click();
    harness.step();
    run_until(&mut harness, |app| {
        app.state.running_job().is_none() && app.state.care_is_current()
    });
    assert_eq!(harness.state().state.view, View::Care);
    harness.get_by_label_contains("Open disputes (not resolved or rejected yet): 2.");
}

#[test]
fn the_profile_shows_the_customers_care_tasks_and_disputes() {
    use clv_desk::store::care::TaskAction;

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.sqlite");
    valued_demo(&db, 120);
    let mut store = Store::open(&db).unwrap();
    let today = chrono::Local::now().date_naive();
    store
        .refresh_care_queue(today, &|c| format!("{c}"))
        .unwrap();
    let task = store
        .open_care_tasks(today)
        .unwrap()
        .into_iter()
        .find(|t| t.email.is_some())
        .unwrap();
    let done = TaskAction::Done {
        channel: "phone".to_owned(),
        note: "Called, all well".to_owned(),
    };
    store.act_on_care_tasks(&[task.id], &done).unwrap();
    let dispute = store
        .open_dispute(task.customer_id, None, "Wrong item", "Got decaf")
        .unwrap();
    store
        .update_dispute(dispute, "resolved", "Swapped the bag", 0, 0)
        .unwrap();
    drop(store);

    let mut harness = harness_on_view(&db, View::Customers);
    run_until(&mut harness, |app| {
        app.state.running_job().is_none() && app.state.customers_table_is_current()
    });
    // Find the customer by e-mail and open their profile as an owner would.
    harness
        .query_all_by_role(Role::TextInput)
        .next()
        .unwrap()
        .click();
    harness.run();
    harness
        .query_all_by_role(Role::TextInput)
        .next()
        .unwrap()
        .type_text(task.email.as_deref().unwrap());
    harness.step();
    run_until(&mut harness, |app| {
        app.state.running_job().is_none() && app.state.customers.visible_rows().count() == 1
    });
    harness
        .query_all_by_label(&task.name)
        .last()
        .unwrap()
        .click();
    harness.step();
    run_until(&mut harness, |app| {
        app.state.running_job().is_none() && app.state.profile.open_id() == Some(task.customer_id)
    });
    let history = Store::open(&db)
        .unwrap()
        .customer_care_history(task.customer_id)
        .unwrap();
    harness.get_by_label(&format!("Care history ({})", history.tasks.len()));
    harness.get_by_label(&format!("{}: {}", task.due, task.kind.label()));
    harness.get_by_label("(Done)");
    harness.get_by_label_contains("Contacted by phone on ");
    harness.get_by_label_contains(": Called, all well");
    harness.get_by_label("Disputes (1)");
    harness.get_by_label_contains(&format!("Dispute {dispute}, opened "));
    harness.get_by_label_contains(": Wrong item (Got decaf). Resolved on ");
}

#[test]
fn did_it_help_compares_contacted_customers_and_disputes_say_who_came_back() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.sqlite");
    valued_demo(&db, 200);
    let mut harness = harness_on(&db);
    let data = data(&harness);

    // The demo's past thank-you notes, done or skipped, are compared.
    let (kind, lift) = data
        .outcomes
        .lift_by_kind
        .iter()
        .copied()
        .find(|(kind, _)| *kind == TaskKind::ThankNew)
        .expect("the demo's past thank-yous");
    assert!(lift.contacted > 0 && lift.others > 0, "{lift:?}");
    click(&mut harness, "Did it help?");
    harness.get_by_label_contains("Observational, not proof");
    harness.get_by_label(kind.label());
    let share = |back: u64, of: u64| format!("{:.0}% ({back})", 100.0 * back as f64 / of as f64);
    assert!(
        harness
            .query_all_by_label(&share(lift.contacted_back, lift.contacted))
            .count()
            >= 1
    );
    assert!(
        harness
            .query_all_by_label(&share(lift.others_back, lift.others))
            .count()
            >= 1
    );
    harness.get_by_label(&format!("{:+.0} points", lift.points().unwrap()));
    let small_note = harness
        .query_all_by_label_contains("fewer than 30 customers")
        .count();
    assert_eq!(
        small_note,
        usize::from(lift.contacted.min(lift.others) < 30)
    );

    // Marking a task done now does not change the results: its 90 days have not passed.
    let task = data.tasks[0].task.id;
    click(&mut harness, "Today's queue");
    click(&mut harness, &format!("Done task {task}"));
    finish_job(&mut harness);
    assert_eq!(
        harness.state().state.care.data.clone().unwrap().outcomes,
        data.outcomes
    );

    // The disputes tab says how customers came back after a closed dispute.
    click(&mut harness, "Disputes");
    let after = data.outcomes.after_disputes;
    assert!(after.disputed > 0, "the demo's closed disputes: {after:?}");
    harness.get_by_label(&after.words());
    assert!(after.words().contains("Observational, not proof"));
}

#[test]
fn a_dispute_opens_its_customers_profile() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.sqlite");
    valued_demo(&db, 120);
    let store = Store::open(&db).unwrap();
    let dispute = store.disputes().unwrap().into_iter().next().unwrap();
    drop(store);
    let mut harness = harness_on(&db);
    harness.get_by_label("Disputes").click();
    harness.run();
    let link = format!("Open the profile of {}", dispute.customer_name);
    // (A customer with two disputes has a link on each.)
    harness.query_all_by_label(&link).next().unwrap().click();
    harness.step();
    run_until(&mut harness, |app| {
        app.state.running_job().is_none()
            && app.state.profile.open_id() == Some(dispute.customer_id)
            && app.state.profile.care.is_some()
    });
    assert_eq!(harness.state().state.view, View::Customers);
    assert_eq!(
        harness.state().state.customers.selected,
        Some(dispute.customer_id)
    );
    // The profile beside the table shows the dispute in the customer's care history.
    assert!(
        harness
            .query_all_by_label_contains(dispute.description.trim_end_matches('.'))
            .next()
            .is_some()
    );
}
