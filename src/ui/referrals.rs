//! Referrals: the view's honest state while its program is not built.

use crate::app::AppState;

use super::widgets::pending_program_ui;

/// The referrals view.
pub fn referrals_ui(ui: &mut egui::Ui, state: &mut AppState) {
    pending_program_ui(
        ui,
        state,
        "No referral program yet",
        "Referral codes, rewards for both sides and the value of referred customers are tracked here once the referral program is available; it is not in this version yet.",
    );
}
