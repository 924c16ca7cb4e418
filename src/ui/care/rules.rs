//! The rules that fill the queue: each rule's switch and numbers, with what they mean,
//! the problems in words, and Save.

use crate::app::care::{CareCommand, CareData};
use crate::app::{AppState, Command};
use crate::programs::care::CareRules;

use super::name_widget;

/// The rules being edited and the saved rules they started from.
#[derive(Debug, Default)]
pub struct RulesForm {
    draft: Option<CareRules>,
    saved: Option<CareRules>,
}

impl RulesForm {
    /// Follows the saved rules unless the owner has unsaved changes.
    fn sync(&mut self, saved: &CareRules) {
        if self.draft.is_none() || self.draft == self.saved {
            self.draft = Some(saved.clone());
        }
        self.saved = Some(saved.clone());
    }
}

/// The rules tab.
pub fn rules_ui(ui: &mut egui::Ui, state: &mut AppState, form: &mut RulesForm, data: &CareData) {
    form.sync(&data.rules);
    let Some(draft) = form.draft.as_mut() else {
        return;
    };
    ui.label(
        "Each rule adds tasks to the queue when they are due. Switch a rule off and it adds \
         no more tasks; the tasks already in the queue stay until you act on them.",
    );
    rule_rows_ui(ui, draft);
    ui.add_space(8.0);
    let problems = draft.problems();
    for problem in &problems {
        ui.colored_label(ui.visuals().error_fg_color, problem);
    }
    let changed = form.draft != form.saved;
    if changed {
        ui.label("Your changes are not saved yet.");
    }
    let busy = state.running_job().is_some();
    ui.horizontal(|ui| {
        let enabled = changed && problems.is_empty() && !busy;
        if ui
            .add_enabled(enabled, egui::Button::new("Save rules"))
            .clicked()
            && let Some(rules) = form.draft.clone()
        {
            state.push(Command::Care(CareCommand::SaveRules(rules)));
        }
        if ui
            .add_enabled(changed, egui::Button::new("Undo changes"))
            .clicked()
        {
            form.draft = form.saved.clone();
        }
    });
}

fn rule_rows_ui(ui: &mut egui::Ui, draft: &mut CareRules) {
    rule(ui, &mut draft.thank_new, "Thank new customers", |ui| {
        whole(
            ui,
            &mut draft.thank_new_days_after,
            "Days after the first order",
            0..=365,
        );
    });
    rule(ui, &mut draft.thank_top, "Thank top customers", |ui| {
        decimal(
            ui,
            &mut draft.thank_top_percent,
            "Top share by expected value (%)",
            0.0..=100.0,
        );
        whole(
            ui,
            &mut draft.thank_top_every_months,
            "Months between thanks",
            0..=60,
        );
    });
    rule(ui, &mut draft.birthday, "Birthday offers", |ui| {
        whole(
            ui,
            &mut draft.birthday_days_ahead,
            "Days before the birthday",
            0..=365,
        );
    });
    rule(
        ui,
        &mut draft.win_back,
        "Win back valuable customers slipping away",
        |ui| {
            decimal(
                ui,
                &mut draft.win_back_top_percent,
                "Top share by spending (%)",
                0.0..=100.0,
            );
            let before = draft.win_back_p_alive_below * 100.0;
            let mut percent = before;
            decimal(
                ui,
                &mut percent,
                "Chance still active below (%)",
                0.0..=100.0,
            );
            if percent != before {
                draft.win_back_p_alive_below = percent / 100.0;
            }
            decimal(
                ui,
                &mut draft.win_back_overdue_factor,
                "Or this many usual gaps overdue",
                0.0..=20.0,
            );
        },
    );
    rule(ui, &mut draft.review, "Ask for a review or survey", |ui| {
        whole(
            ui,
            &mut draft.review_days_after,
            "Days after an order",
            0..=365,
        );
        whole(
            ui,
            &mut draft.review_min_days_between,
            "At least this many days between two requests",
            0..=3650,
        );
    });
    rule(
        ui,
        &mut draft.dispute_follow_up,
        "Follow up resolved disputes",
        |ui| {
            whole(
                ui,
                &mut draft.dispute_days_after,
                "Days after the resolution",
                0..=365,
            );
        },
    );
    rule(
        ui,
        &mut draft.feature,
        "Suggest featuring Champions who agreed to marketing (once a year)",
        |_| {},
    );
}

/// A rule's switch and, while it is on, its numbers.
fn rule(ui: &mut egui::Ui, on: &mut bool, words: &str, numbers: impl FnOnce(&mut egui::Ui)) {
    ui.add_space(4.0);
    ui.checkbox(on, words);
    if *on {
        ui.indent(words, numbers);
    }
}

fn whole(ui: &mut egui::Ui, value: &mut u32, words: &str, range: std::ops::RangeInclusive<u32>) {
    ui.horizontal(|ui| {
        ui.label(words);
        let r = ui.add(egui::DragValue::new(value).range(range));
        name_widget(ui, &r, words);
    });
}

fn decimal(ui: &mut egui::Ui, value: &mut f64, words: &str, range: std::ops::RangeInclusive<f64>) {
    ui.horizontal(|ui| {
        ui.label(words);
        let r = ui.add(
            egui::DragValue::new(value)
                .range(range)
                .speed(0.1)
                .max_decimals(2),
        );
        name_widget(ui, &r, words);
    });
}
