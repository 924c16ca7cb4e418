//! Settings: appearance, the business figures every lifetime value depends on, and which
//! database file is open.

use chrono::Weekday;

use crate::app::{AppState, Command, ThemeChoice};
use crate::domain::{BusinessSettings, Currency};

/// The settings form while the owner edits it.
#[derive(Debug, Default)]
pub struct SettingsForm {
    /// The values as last loaded from the database; a change there resets the form.
    loaded: Option<BusinessSettings>,
    draft: BusinessSettings,
    currency_text: String,
}

impl SettingsForm {
    fn sync(&mut self, saved: &BusinessSettings) {
        if self.loaded.as_ref() != Some(saved) {
            self.loaded = Some(saved.clone());
            self.draft = saved.clone();
            self.currency_text = saved.currency.code().to_owned();
        }
    }

    /// The draft as it would be saved, with every problem in words.
    fn candidate(&self) -> (BusinessSettings, Vec<String>) {
        let mut candidate = self.draft.clone();
        let mut problems = Vec::new();
        match Currency::parse(&self.currency_text) {
            Some(currency) => candidate.currency = currency,
            None => problems
                .push("Currency must be a three-letter code such as USD, EUR or GBP.".to_owned()),
        }
        problems.extend(candidate.problems());
        (candidate, problems)
    }
}

/// The settings view.
pub fn settings_ui(ui: &mut egui::Ui, state: &mut AppState, form: &mut SettingsForm) {
    let Some(snapshot) = state.snapshot() else {
        return;
    };
    let saved = snapshot.settings.clone();
    let db_path = snapshot.db_path.display().to_string();
    let schema_version = snapshot.schema_version;
    let db_size_bytes = snapshot.db_size_bytes;
    form.sync(&saved);

    section_title(ui, "Appearance");
    ui.horizontal(|ui| {
        for theme in [ThemeChoice::System, ThemeChoice::Light, ThemeChoice::Dark] {
            if ui
                .radio(state.prefs.theme == theme, theme.label())
                .clicked()
            {
                state.push(Command::SetTheme(theme));
            }
        }
    });

    ui.add_space(14.0);
    section_title(ui, "Your business");
    ui.label("These figures turn expected purchases into lifetime value. Change them when your costs change.");
    ui.add_space(4.0);
    business_form_ui(ui, form);
    let (candidate, problems) = form.candidate();
    for problem in &problems {
        ui.colored_label(ui.visuals().error_fg_color, problem);
    }
    let changed = candidate != saved;
    ui.horizontal(|ui| {
        let busy = state.running_job().is_some();
        if ui
            .add_enabled(
                changed && problems.is_empty() && !busy,
                egui::Button::new("Save settings"),
            )
            .clicked()
        {
            state.push(Command::SaveSettings(candidate.clone()));
        }
        if ui
            .add_enabled(changed, egui::Button::new("Undo changes"))
            .clicked()
        {
            form.loaded = None;
            form.sync(&saved);
        }
    });

    ui.add_space(14.0);
    section_title(ui, "Database");
    egui::Grid::new("database-facts")
        .num_columns(2)
        .spacing([16.0, 4.0])
        .show(ui, |ui| {
            ui.label("File");
            ui.label(&db_path);
            ui.end_row();
            ui.label("Size");
            ui.label(crate::domain::megabytes(db_size_bytes));
            ui.end_row();
            ui.label("Schema version");
            ui.label(schema_version.to_string());
            ui.end_row();
        });
    ui.label(
        "Everything stays in this one file on this computer. Save a backup copy now and then, \
         and keep one somewhere else too (a USB stick, another computer).",
    );
    ui.horizontal(|ui| {
        let busy = state.running_job().is_some();
        if ui
            .add_enabled(!busy, egui::Button::new("Save a backup copy…"))
            .on_hover_text(
                "A complete copy of your customers, orders, programs and settings, safe to make \
                 while CLV Desk is open (copying the file by hand then can miss the latest \
                 changes). Open it with “Open another database…” to look at it or go back to it.",
            )
            .clicked()
        {
            state.push(Command::ChooseBackup);
        }
        if ui.button("Open another database…").clicked() {
            state.push(Command::ChooseDatabase);
        }
        if ui.button("Create a new database…").clicked() {
            state.push(Command::ChooseNewDatabase);
        }
    });
}

fn section_title(ui: &mut egui::Ui, title: &str) {
    ui.label(egui::RichText::new(title).size(17.0).strong());
}

fn business_form_ui(ui: &mut egui::Ui, form: &mut SettingsForm) {
    egui::Grid::new("business-settings")
        .num_columns(3)
        .spacing([16.0, 8.0])
        .show(ui, |ui| {
            let label = ui.label("Currency");
            ui.add(
                egui::TextEdit::singleline(&mut form.currency_text)
                    .desired_width(70.0)
                    .char_limit(3),
            )
            .labelled_by(label.id);
            ui.weak("Three-letter code, e.g. USD, EUR, GBP.");
            ui.end_row();

            let label = ui.label("Gross margin");
            ui.add(
                egui::DragValue::new(&mut form.draft.margin_pct)
                    .range(0.0..=100.0)
                    .speed(0.5)
                    .suffix(" %"),
            )
            .labelled_by(label.id);
            ui.weak("Share of each sale left after the cost of the goods.");
            ui.end_row();

            let label = ui.label("Monthly discount rate");
            ui.add(
                egui::DragValue::new(&mut form.draft.monthly_discount_pct)
                    .range(0.0..=20.0)
                    .speed(0.05)
                    .suffix(" %"),
            )
            .labelled_by(label.id);
            ui.weak("How much less money next month is worth than today (1% is typical).");
            ui.end_row();

            let label = ui.label("Horizon");
            ui.add(
                egui::DragValue::new(&mut form.draft.horizon_months)
                    .range(1..=120)
                    .suffix(" months"),
            )
            .labelled_by(label.id);
            ui.weak("How far ahead lifetime value looks.");
            ui.end_row();

            let label = ui.label("Weeks start on");
            egui::ComboBox::from_id_salt("week-start")
                .selected_text(weekday_name(form.draft.week_start))
                .show_ui(ui, |ui| {
                    for day in [Weekday::Mon, Weekday::Sat, Weekday::Sun] {
                        ui.selectable_value(&mut form.draft.week_start, day, weekday_name(day));
                    }
                })
                .response
                .labelled_by(label.id);
            ui.weak("Used by weekly charts.");
            ui.end_row();

            let label = ui.label("Time zone");
            ui.add_sized(
                [190.0, ui.spacing().interact_size.y],
                egui::TextEdit::singleline(&mut form.draft.time_zone)
                    .hint_text("this computer's zone"),
            )
            .labelled_by(label.id);
            ui.weak("For order times your files give without a zone, e.g. Europe/Berlin.");
            ui.end_row();

            let label = ui.label("Shop name");
            ui.add_sized(
                [190.0, ui.spacing().interact_size.y],
                egui::TextEdit::singleline(&mut form.draft.shop_name)
                    .hint_text("e.g. Café Zoë")
                    .char_limit(crate::domain::settings::SHOP_NAME_MAX_CHARS),
            )
            .labelled_by(label.id);
            ui.weak("Signs your printed thank-you cards; {shop_name} in messages.");
            ui.end_row();
        });
}

fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}
