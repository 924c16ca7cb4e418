//! Value charts: the view's honest state while its program is not built.

use crate::app::AppState;

use super::widgets::pending_program_ui;

/// The value charts view.
pub fn charts_ui(ui: &mut egui::Ui, state: &mut AppState) {
    pending_program_ui(
        ui,
        state,
        "No charts yet",
        "Charts of customer value (lifetime value by customer and by cohort, who is slipping away, how the model tracks reality) are not available in this version yet.",
    );
}
