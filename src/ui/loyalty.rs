//! Loyalty: the view's honest state while its program is not built.

use crate::app::AppState;

use super::widgets::pending_program_ui;

/// The loyalty view.
pub fn loyalty_ui(ui: &mut egui::Ui, state: &mut AppState) {
    pending_program_ui(
        ui,
        state,
        "No loyalty program yet",
        "Points, tiers, rewards and birthday bonuses run here once the loyalty program is available; it is not in this version yet.",
    );
}
