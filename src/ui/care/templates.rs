//! The suggested messages: one template per kind of task, the fields it may use, and a
//! live preview with sample values.

use std::collections::BTreeMap;

use crate::app::care::{CareCommand, CareData};
use crate::app::{AppState, Command};
use crate::programs::care::{TEMPLATE_FIELDS, TaskKind, default_template, fill_template};

use super::name_widget;

/// The kind being edited and its draft.
#[derive(Debug, Default)]
pub struct TemplatesForm {
    kind: Option<TaskKind>,
    draft: String,
    saved: String,
}

impl TemplatesForm {
    /// Follows the saved template of the chosen kind unless the owner has unsaved changes.
    fn sync(&mut self, kind: TaskKind, saved: &str) {
        if self.kind != Some(kind) || self.draft == self.saved {
            self.draft = saved.to_owned();
        }
        self.kind = Some(kind);
        self.saved = saved.to_owned();
    }
}

/// What each field stands for, and the sample the preview uses.
const FIELD_MEANINGS: [(&str, &str, &str); 6] = [
    ("first_name", "the customer's first name", "Anna"),
    (
        "points",
        "their unspent loyalty points (a sentence with it is left out when they have none)",
        "120",
    ),
    ("reward", "a reward they can have", "a free drink"),
    (
        "code",
        "their referral code (a sentence with it is left out when they have none)",
        "THANKS-4821",
    ),
    (
        "last_product",
        "the product of their last order",
        "house blend",
    ),
    (
        "shop_name",
        "your shop's name (from Settings; \"our shop\" until you set it)",
        "Café Zoë",
    ),
];

/// The messages tab.
pub fn templates_ui(
    ui: &mut egui::Ui,
    state: &mut AppState,
    form: &mut TemplatesForm,
    data: &CareData,
) {
    let mut kind = form.kind.unwrap_or(TaskKind::ALL[0]);
    ui.horizontal_wrapped(|ui| {
        for k in TaskKind::ALL {
            ui.selectable_value(&mut kind, k, k.label());
        }
    });
    form.sync(kind, data.template(kind));
    ui.add_space(6.0);
    ui.label("The message suggested for this kind of task. These fields are filled in for each customer:");
    for (field, meaning, _) in FIELD_MEANINGS {
        debug_assert!(TEMPLATE_FIELDS.contains(&field));
        ui.label(format!("{{{field}}}: {meaning}"));
    }
    let r = ui.add(
        egui::TextEdit::multiline(&mut form.draft)
            .desired_rows(4)
            .desired_width(f32::INFINITY),
    );
    name_widget(ui, &r, "Message template");
    ui.add_space(4.0);
    ui.label("Preview with sample values:");
    let samples: BTreeMap<&str, String> = FIELD_MEANINGS
        .iter()
        .map(|(field, _, sample)| (*field, (*sample).to_owned()))
        .collect();
    ui.label(egui::RichText::new(fill_template(&form.draft, &samples)).italics());
    let changed = form.draft != form.saved;
    if changed {
        ui.label("Your changes are not saved yet.");
    }
    let busy = state.running_job().is_some();
    ui.horizontal(|ui| {
        if ui
            .add_enabled(changed && !busy, egui::Button::new("Save message"))
            .clicked()
        {
            state.push(Command::Care(CareCommand::SaveTemplate(
                kind,
                form.draft.clone(),
            )));
        }
        let default = default_template(kind);
        if ui
            .add_enabled(
                form.draft != default,
                egui::Button::new("Use the default message"),
            )
            .clicked()
        {
            form.draft = default.to_owned();
        }
    });
}
