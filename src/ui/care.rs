//! Care: the view's honest state while its program is not built.

use crate::app::AppState;

use super::widgets::pending_program_ui;

/// The care view.
pub fn care_ui(ui: &mut egui::Ui, state: &mut AppState) {
    pending_program_ui(
        ui,
        state,
        "No care tasks yet",
        "A daily list of customers to thank, win back or ask for a review appears here once the care queue is available; it is not in this version yet.",
    );
}
