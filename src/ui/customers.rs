//! Customers: who buys, and how many came back.

use crate::app::AppState;
use crate::domain::group_thousands;

use super::widgets::{empty_state_ui, first_steps_ui};

/// The customers view.
pub fn customers_ui(ui: &mut egui::Ui, state: &mut AppState) {
    let Some(snapshot) = state.snapshot() else {
        return;
    };
    let overview = &snapshot.overview;
    if overview.customers == 0 {
        empty_state_ui(
            ui,
            "No customers yet",
            "Customers appear here after your first import: everyone who ordered with a name, \
             e-mail or customer number. Guest orders are counted but not listed.",
        );
        first_steps_ui(ui, state);
        return;
    }
    let one_time = overview.customers.saturating_sub(overview.repeat_customers);
    empty_state_ui(
        ui,
        &format!("{} customers", group_thousands(overview.customers)),
        &format!(
            "{} ordered more than once and {} ordered once. The searchable customer table with \
             profiles and segments is not available in this version yet.",
            group_thousands(overview.repeat_customers),
            group_thousands(one_time)
        ),
    );
}
