//! The About window: what this build is (version and commit embedded by `build.rs`) and
//! where the data lives.

use crate::app::{AppState, Command};
use crate::build_info;

/// Shows the About window while `state.show_about` is set.
pub fn about_window_ui(ctx: &egui::Context, state: &mut AppState) {
    if !state.show_about {
        return;
    }
    let db_path = state.snapshot().map(|s| s.db_path.display().to_string());
    let mut open = true;
    egui::Window::new("About CLV Desk")
        .open(&mut open)
        .collapsible(false)
        .resizable(false)
        .default_width(420.0)
        .show(ctx, |ui| {
            ui.label(egui::RichText::new("CLV Desk").size(20.0).strong());
            ui.label(format!("Version {}", build_info::VERSION));
            ui.label(format!("Built from commit {}", build_info::GIT_COMMIT));
            ui.add_space(6.0);
            ui.label(
                "See what each customer is worth over their lifetime, and run the loyalty, \
                 referral and care programs that raise it.",
            );
            ui.label("Works offline. Your data never leaves this computer unless you export it.");
            if let Some(path) = &db_path {
                ui.label(format!("Database: {path}"));
            }
            ui.add_space(6.0);
            if ui.button("Close").clicked() {
                state.push(Command::ShowAbout(false));
            }
        });
    if !open {
        state.push(Command::ShowAbout(false));
    }
}
