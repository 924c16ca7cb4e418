//! Dashboard: the headline numbers of the business, each with what it means.

use crate::app::{AppState, Command, View};
use crate::domain::{format_money_rounded, group_thousands};

use super::widgets::{Figure, empty_state_ui, figures_ui, first_steps_ui, plural};

/// The dashboard view.
pub fn dashboard_ui(ui: &mut egui::Ui, state: &mut AppState) {
    let Some(snapshot) = state.snapshot() else {
        return;
    };
    let overview = snapshot.overview.clone();
    let currency = snapshot.settings.currency;
    if overview.is_empty() {
        empty_state_ui(
            ui,
            "No orders yet",
            "Import the sales export you already have (Shopify, Square, WooCommerce, Etsy, Stripe, \
             PayPal or a spreadsheet) and CLV Desk shows how many customers came back and what \
             they are worth. Or look around first with a demo coffee shop.",
        );
        first_steps_ui(ui, state);
        return;
    }

    let repeat_pct = overview.repeat_rate().map_or(0.0, |r| r * 100.0);
    let revenue = overview.revenue_in(currency);
    let period = match (overview.first_order, overview.last_order) {
        (Some(first), Some(last)) => format!(
            "{} to {}",
            first.format("%-d %b %Y"),
            last.format("%-d %b %Y")
        ),
        _ => "—".to_owned(),
    };
    let figure = |label: &str, value: String, meaning: String| Figure {
        label: label.to_owned(),
        value,
        meaning,
    };
    figures_ui(
        ui,
        &[
            figure(
                "Customers",
                group_thousands(overview.customers),
                format!(
                    "People who ordered at least once. {} without a name or e-mail are counted apart.",
                    plural(overview.guest_orders, "guest order", "guest orders")
                ),
            ),
            figure(
                "Came back",
                format!("{repeat_pct:.0}%"),
                format!(
                    "{} ordered a second time or more.",
                    plural(overview.repeat_customers, "customer", "customers")
                ),
            ),
            figure(
                "Orders",
                group_thousands(overview.orders),
                format!("Orders from {period}."),
            ),
            figure(
                "Revenue",
                format_money_rounded(revenue as f64, currency),
                "What customers paid after discounts and refunds.".to_owned(),
            ),
        ],
    );
    let other_currencies: Vec<String> = overview
        .revenue_by_currency
        .iter()
        .filter(|(c, _)| *c != currency)
        .map(|(c, cents)| format_money_rounded(*cents as f64, *c))
        .collect();
    if !other_currencies.is_empty() {
        ui.label(format!(
            "Orders in other currencies are not included in revenue: {}.",
            other_currencies.join(", ")
        ));
    }
    ui.add_space(12.0);
    ui.horizontal(|ui| {
        ui.label("Data comes from your imports.");
        if ui.link("See the import history").clicked() {
            state.push(Command::Navigate(View::Import));
        }
    });
}
