//! Customer care: today's queue of customers to thank, win back or ask for a review (done,
//! snoozed or skipped one at a time or in bulk, and a mail merge for the owner's own mail
//! program), the rules that fill it, the suggested messages, disputes, and whether
//! contacted customers came back more often — one tab each.
//!
//! Everything shown comes from [`crate::app::care`], read in the background and cached;
//! the view only lays it out and pushes [`CareCommand`]s.

mod disputes;
mod queue;
mod results;
mod rules;
mod templates;

use egui::RichText;

use crate::app::care::{CareCommand, CareData, READING_CARE_LABEL};
use crate::app::{AppState, Command};
use crate::domain::group_thousands;

use super::widgets::{empty_state_ui, first_steps_ui};

/// The care view's tabs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CareTab {
    /// Today's tasks.
    #[default]
    Queue,
    /// The rules that fill the queue.
    Rules,
    /// The suggested messages.
    Messages,
    /// Complaints and their resolution.
    Disputes,
    /// Whether contacted customers came back more often.
    Results,
}

impl CareTab {
    /// Every tab in order.
    pub const ALL: [CareTab; 5] = [
        CareTab::Queue,
        CareTab::Rules,
        CareTab::Messages,
        CareTab::Disputes,
        CareTab::Results,
    ];

    /// The tab's short name on the command line (`clv-desk screenshot --tab`).
    pub fn slug(self) -> &'static str {
        match self {
            CareTab::Queue => "queue",
            CareTab::Rules => "rules",
            CareTab::Messages => "messages",
            CareTab::Disputes => "disputes",
            CareTab::Results => "results",
        }
    }

    /// The tab with this short name.
    pub fn from_slug(slug: &str) -> Option<CareTab> {
        CareTab::ALL.into_iter().find(|t| t.slug() == slug)
    }

    /// The tab's button text (also how tests find it).
    pub fn label(self) -> &'static str {
        match self {
            CareTab::Queue => "Today's queue",
            CareTab::Rules => "Rules",
            CareTab::Messages => "Messages",
            CareTab::Disputes => "Disputes",
            CareTab::Results => "Did it help?",
        }
    }
}

/// What the care view remembers between frames.
#[derive(Debug, Default)]
pub struct CareViewState {
    tab: CareTab,
    queue: queue::QueueViewState,
    rules: rules::RulesForm,
    templates: templates::TemplatesForm,
    disputes: disputes::DisputesViewState,
}

impl CareViewState {
    /// Shows `tab` (the screenshot command's `--tab`).
    pub fn show_tab(&mut self, tab: CareTab) {
        self.tab = tab;
    }
}

/// The care view.
pub fn care_ui(ui: &mut egui::Ui, state: &mut AppState, view: &mut CareViewState) {
    let Some(snapshot) = state.snapshot() else {
        return;
    };
    let db_path = snapshot.db_path.clone();
    let no_orders = snapshot.overview.is_empty();
    let data = state.care.data.clone().filter(|d| d.db_path == db_path);
    if no_orders && data.is_none() {
        empty_state_ui(
            ui,
            "No care tasks yet",
            "A daily list of customers to thank, win back or ask for a review appears here \
             once you import your orders (or explore the demo shop).",
        );
        first_steps_ui(ui, state);
        return;
    }
    if state.care_needs_read() {
        state.push(Command::Care(CareCommand::Refresh));
    }
    let Some(data) = data else {
        reading_ui(ui, state);
        return;
    };
    if std::mem::take(&mut state.care.show_disputes) {
        view.tab = CareTab::Disputes;
    }
    summary_ui(ui, state, &data);
    ui.add_space(6.0);
    ui.horizontal(|ui| {
        for tab in CareTab::ALL {
            ui.selectable_value(&mut view.tab, tab, tab.label());
        }
    });
    ui.separator();
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| match view.tab {
            CareTab::Queue => queue::queue_ui(ui, state, &mut view.queue, &data),
            CareTab::Rules => rules::rules_ui(ui, state, &mut view.rules, &data),
            CareTab::Messages => templates::templates_ui(ui, state, &mut view.templates, &data),
            CareTab::Disputes => disputes::disputes_ui(ui, state, &mut view.disputes, &data),
            CareTab::Results => results::results_ui(ui, &data),
        });
}

/// While the queue is read for the first time.
fn reading_ui(ui: &mut egui::Ui, state: &AppState) {
    ui.horizontal(|ui| {
        ui.spinner();
        let words = match state.running_job() {
            Some(job) if job.label == READING_CARE_LABEL => "Finding who to look after today…",
            Some(_) => "The care queue is shown once the work below has finished…",
            None => "Finding who to look after today…",
        };
        ui.label(words);
    });
}

/// The day's totals and the last action's outcome.
fn summary_ui(ui: &mut egui::Ui, state: &mut AppState, data: &CareData) {
    if !state.care_is_current() {
        ui.label(
            RichText::new("Bringing the queue up to date with the latest changes…")
                .small()
                .color(ui.visuals().weak_text_color()),
        );
    }
    ui.label(
        RichText::new(format!(
            "{} care tasks due today ({}); {} open disputes.",
            group_thousands(data.open_tasks as u64),
            data.today,
            group_thousands(data.open_disputes() as u64)
        ))
        .strong(),
    );
    let Some(notice) = state.care.notice.clone() else {
        return;
    };
    ui.horizontal(|ui| {
        let color = if notice.is_error {
            ui.visuals().error_fg_color
        } else {
            ui.visuals().text_color()
        };
        ui.label(RichText::new(&notice.text).color(color));
        if ui.small_button("Dismiss").clicked() {
            state.push(Command::Care(CareCommand::DismissNotice));
        }
    });
}

/// Sets the accessible name of a widget (a screen reader reads it; tests find it by it).
fn name_widget(ui: &egui::Ui, response: &egui::Response, name: &str) {
    let name = name.to_owned();
    ui.ctx()
        .accesskit_node_builder(response.id, |node| node.set_label(name));
}
