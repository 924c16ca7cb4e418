//! Import: bringing sales exports in, and the history of what was imported.

use chrono::{DateTime, Local};

use crate::app::AppState;
use crate::domain::group_thousands;

use super::widgets::{empty_state_ui, first_steps_ui, plural};

/// The import view.
pub fn import_ui(ui: &mut egui::Ui, state: &mut AppState) {
    let Some(snapshot) = state.snapshot() else {
        return;
    };
    let imports = snapshot.imports.clone();
    empty_state_ui(
        ui,
        "Reading your own sales export is not available in this version yet",
        "The next version reads Shopify, Square, WooCommerce, Etsy, Stripe and PayPal exports \
         and spreadsheets. Until then you can explore CLV Desk with a demo coffee shop.",
    );
    if snapshot.overview.is_empty() {
        first_steps_ui(ui, state);
    }
    ui.add_space(12.0);
    ui.label(egui::RichText::new("Import history").size(17.0).strong());
    if imports.is_empty() {
        ui.label("No imports yet.");
        return;
    }
    egui::Grid::new("import-history")
        .striped(true)
        .num_columns(4)
        .spacing([24.0, 6.0])
        .show(ui, |ui| {
            ui.strong("When");
            ui.strong("File");
            ui.strong("Orders");
            ui.strong("Customers");
            ui.end_row();
            for import in &imports {
                let when = DateTime::from_timestamp(import.started_utc, 0)
                    .map(|t| {
                        t.with_timezone(&Local)
                            .format("%-d %b %Y %H:%M")
                            .to_string()
                    })
                    .unwrap_or_default();
                ui.label(when);
                ui.label(&import.file_name);
                ui.label(format!(
                    "{} new, {} changed",
                    group_thousands(import.orders_created.unsigned_abs()),
                    group_thousands(import.orders_updated.unsigned_abs())
                ));
                ui.label(plural(
                    import.customers_created.unsigned_abs(),
                    "new customer",
                    "new customers",
                ));
                ui.end_row();
            }
        });
}
