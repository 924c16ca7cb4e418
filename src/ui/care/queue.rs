//! Today's queue: the tasks grouped by kind, each with the customer, the reason in words
//! and the suggested message; done (with how the customer was contacted), snoozed or
//! skipped one at a time or several at once; and the mail merge.

use std::collections::BTreeSet;

use egui::RichText;

use crate::app::care::{
    CareCommand, CareData, QueueTask, SNOOZE_DAYS, TASKS_SHOWN, mail_merge_words,
};
use crate::app::{AppState, Command};
use crate::domain::group_thousands;
use crate::programs::care::TaskKind;
use crate::store::care::TaskAction;

use super::name_widget;

/// How a customer can be contacted: stored value and words.
pub const CHANNELS: [(&str, &str); 5] = [
    ("email", "E-mail"),
    ("phone", "Phone"),
    ("in_person", "In person"),
    ("card", "Card"),
    ("other", "Other"),
];

/// What the queue remembers between frames.
#[derive(Debug, Default)]
pub struct QueueViewState {
    selected: BTreeSet<i64>,
    channel: usize,
    note: String,
}

/// The queue tab.
pub fn queue_ui(
    ui: &mut egui::Ui,
    state: &mut AppState,
    view: &mut QueueViewState,
    data: &CareData,
) {
    let shown: BTreeSet<i64> = data.tasks.iter().map(|t| t.task.id).collect();
    view.selected.retain(|id| shown.contains(id));
    let busy = state.running_job().is_some();
    mail_merge_ui(ui, state, data, busy);
    cards_ui(ui, state, view, data, busy);
    ui.separator();
    if data.tasks.is_empty() {
        ui.label("Nothing to do today: every customer the rules pick has been looked after.");
        return;
    }
    contact_ui(ui, view);
    bulk_ui(ui, state, view, data, busy);
    if data.open_tasks > data.tasks.len() {
        ui.label(format!(
            "Showing the first {} of {} tasks; the mail merge includes them all.",
            group_thousands(TASKS_SHOWN as u64),
            group_thousands(data.open_tasks as u64)
        ));
    }
    for kind in TaskKind::ALL {
        let tasks: Vec<&QueueTask> = data.tasks.iter().filter(|t| t.task.kind == kind).collect();
        if tasks.is_empty() {
            continue;
        }
        ui.add_space(8.0);
        ui.heading(format!("{} ({})", kind.label(), tasks.len()));
        for task in tasks {
            task_ui(ui, state, view, data, task, busy);
        }
    }
}

/// The mail-merge button and what the last one wrote.
fn mail_merge_ui(ui: &mut egui::Ui, state: &mut AppState, data: &CareData, busy: bool) {
    ui.horizontal(|ui| {
        let enabled = !busy && data.open_tasks > 0 && !state.dialog_is_open();
        if ui
            .add_enabled(enabled, egui::Button::new("Export mail merge (CSV)…"))
            .on_hover_text(
                "Saves today's tasks with their messages for your mail program. Customers \
                 who did not agree to marketing, or have no e-mail address, are left out.",
            )
            .clicked()
        {
            state.push(Command::Care(CareCommand::ChooseMailMerge));
        }
        if let Some(outcome) = state.care.mail_merge {
            ui.label(mail_merge_words(&outcome));
        }
    });
}

/// The button that prints thank-you cards: for the selected tasks, or for every open
/// thank-you task when none is selected; and what the cards will cover.
fn cards_ui(
    ui: &mut egui::Ui,
    state: &mut AppState,
    view: &QueueViewState,
    data: &CareData,
    busy: bool,
) {
    let selected = view.selected.len();
    let (count, words) = if selected == 1 {
        (1, "A card for the selected task.".to_owned())
    } else if selected > 1 {
        (
            selected,
            format!(
                "Cards for the {} selected tasks.",
                group_thousands(selected as u64)
            ),
        )
    } else {
        (
            data.thank_you_tasks,
            format!(
                "Cards for all {} thank-you tasks (select tasks to print cards for others).",
                group_thousands(data.thank_you_tasks as u64)
            ),
        )
    };
    ui.horizontal(|ui| {
        let enabled = !busy && count > 0 && !state.dialog_is_open();
        if ui
            .add_enabled(enabled, egui::Button::new("Print thank-you cards…"))
            .on_hover_text(
                "Saves a PDF to print: four postcard-size cards to an A4 page, each with the \
                 customer's first name and the suggested message. Mark the tasks done \
                 (contacted by Card) once you have sent them.",
            )
            .clicked()
        {
            let ids = view.selected.iter().copied().collect();
            state.push(Command::Care(CareCommand::ChooseCards(ids)));
        }
        ui.label(words);
    });
}

/// How "Done" says the customer was contacted, and the note kept with it.
fn contact_ui(ui: &mut egui::Ui, view: &mut QueueViewState) {
    ui.horizontal(|ui| {
        ui.label("Done means contacted by:");
        for (n, (_, words)) in CHANNELS.iter().enumerate() {
            ui.radio_value(&mut view.channel, n, *words);
        }
    });
    ui.horizontal(|ui| {
        ui.label("Note for the customer's history (optional):");
        let r = ui.text_edit_singleline(&mut view.note);
        name_widget(ui, &r, "Note for the customer's history");
    });
}

fn done(view: &QueueViewState) -> TaskAction {
    TaskAction::Done {
        channel: CHANNELS
            .get(view.channel)
            .map_or("other", |(value, _)| value)
            .to_owned(),
        note: view.note.trim().to_owned(),
    }
}

fn snooze(data: &CareData) -> TaskAction {
    TaskAction::Snooze(data.today + chrono::Duration::days(SNOOZE_DAYS))
}

fn act(state: &mut AppState, ids: Vec<i64>, action: TaskAction) {
    state.push(Command::Care(CareCommand::Act { ids, action }));
}

/// Selecting several tasks and acting on them at once.
fn bulk_ui(
    ui: &mut egui::Ui,
    state: &mut AppState,
    view: &mut QueueViewState,
    data: &CareData,
    busy: bool,
) {
    ui.horizontal(|ui| {
        ui.label(format!("{} selected.", view.selected.len()));
        if ui.button("Select all shown").clicked() {
            view.selected = data.tasks.iter().map(|t| t.task.id).collect();
        }
        let some = !view.selected.is_empty();
        if ui
            .add_enabled(some, egui::Button::new("Clear selection"))
            .clicked()
        {
            view.selected.clear();
        }
        let enabled = some && !busy;
        let ids: Vec<i64> = view.selected.iter().copied().collect();
        if ui
            .add_enabled(enabled, egui::Button::new("Mark selected done"))
            .clicked()
        {
            act(state, ids.clone(), done(view));
            view.selected.clear();
            view.note.clear();
        }
        let snooze_words = format!("Snooze selected {SNOOZE_DAYS} days");
        if ui
            .add_enabled(enabled, egui::Button::new(snooze_words))
            .clicked()
        {
            act(state, ids.clone(), snooze(data));
            view.selected.clear();
        }
        if ui
            .add_enabled(enabled, egui::Button::new("Skip selected"))
            .clicked()
        {
            act(state, ids, TaskAction::Skip);
            view.selected.clear();
        }
    });
}

/// One task: who, why, the message, and its actions.
fn task_ui(
    ui: &mut egui::Ui,
    state: &mut AppState,
    view: &mut QueueViewState,
    data: &CareData,
    task: &QueueTask,
    busy: bool,
) {
    let row = &task.task;
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.horizontal(|ui| {
            let mut selected = view.selected.contains(&row.id);
            let r = ui.checkbox(&mut selected, "");
            name_widget(ui, &r, &format!("Select task {}", row.id));
            if r.changed() {
                if selected {
                    view.selected.insert(row.id);
                } else {
                    view.selected.remove(&row.id);
                }
            }
            ui.label(RichText::new(&row.name).strong());
            ui.label(
                RichText::new(format!("customer {}, due {}", row.customer_id, row.due))
                    .color(ui.visuals().weak_text_color()),
            );
            if !row.marketing_consent && row.kind != TaskKind::DisputeFollowUp {
                ui.label(
                    RichText::new("no marketing consent: contact in person only")
                        .color(ui.visuals().warn_fg_color),
                );
            }
        });
        ui.label(format!("Why: {}", row.reason));
        ui.label(RichText::new(format!("Suggested message: {}", task.message)).italics());
        ui.horizontal(|ui| {
            let r = ui.add_enabled(!busy, egui::Button::new("Done"));
            name_widget(ui, &r, &format!("Done task {}", row.id));
            if r.clicked() {
                act(state, vec![row.id], done(view));
                view.note.clear();
            }
            let r = ui.add_enabled(
                !busy,
                egui::Button::new(format!("Snooze {SNOOZE_DAYS} days")),
            );
            name_widget(ui, &r, &format!("Snooze task {}", row.id));
            if r.clicked() {
                act(state, vec![row.id], snooze(data));
            }
            let r = ui.add_enabled(!busy, egui::Button::new("Skip"));
            name_widget(ui, &r, &format!("Skip task {}", row.id));
            if r.clicked() {
                act(state, vec![row.id], TaskAction::Skip);
            }
        });
    });
}
