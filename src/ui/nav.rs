//! The left navigation: one entry per view with its Ctrl+N shortcut, and About at the foot.

use egui::RichText;

use crate::app::{AppState, Command, View};

/// Draws the navigation and pushes [`Command::Navigate`] on a click.
pub fn navigation_ui(ui: &mut egui::Ui, state: &mut AppState) {
    ui.add_space(10.0);
    ui.label(RichText::new("CLV Desk").size(20.0).strong());
    ui.label(RichText::new("Customer lifetime value").small().weak());
    ui.add_space(12.0);
    for view in View::ALL {
        let selected = state.view == view;
        let response = ui
            .add_sized(
                [ui.available_width(), 30.0],
                egui::Button::selectable(selected, view.label()),
            )
            .on_hover_text(format!("Ctrl+{}", view.number()));
        if response.clicked() && !selected {
            state.push(Command::Navigate(view));
        }
    }
    ui.with_layout(egui::Layout::bottom_up(egui::Align::Min), |ui| {
        ui.add_space(8.0);
        if ui.button("About CLV Desk").clicked() {
            state.push(Command::ShowAbout(true));
        }
    });
}
