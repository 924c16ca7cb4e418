//! Shown instead of the views when the database could not be opened: the reason in words
//! and the ways out (another file, a new file, quit). Never a crash.

use crate::app::{AppState, Command, DataState};

/// The "database could not be opened" screen.
pub fn store_problem_ui(ui: &mut egui::Ui, state: &mut AppState) {
    let DataState::Failed { path, message } = &state.data else {
        return;
    };
    let path = path.display().to_string();
    let message = message.clone();
    ui.add_space(40.0);
    ui.vertical_centered(|ui| {
        ui.set_max_width(640.0);
        ui.heading("The database could not be opened");
        ui.add_space(10.0);
        ui.label(egui::RichText::new(&message).size(16.0));
        ui.add_space(6.0);
        ui.weak(format!("File: {path}"));
        ui.add_space(16.0);
        ui.horizontal(|ui| {
            if ui.button("Open another database…").clicked() {
                state.push(Command::ChooseDatabase);
            }
            if ui.button("Create a new database…").clicked() {
                state.push(Command::ChooseNewDatabase);
            }
            if ui.button("Quit").clicked() {
                state.push(Command::Quit);
            }
        });
    });
}
