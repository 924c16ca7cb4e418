//! Dashboard: the headline numbers of the business, each with what it means, and the open
//! disputes waiting for the owner.

use egui::RichText;

use crate::app::care::CareCommand;
use crate::app::customer_table::{CustomerQuery, SortColumn};
use crate::app::valuation::RunOverview;
use crate::app::{AppState, Command, VALUING_LABEL, View};
use crate::domain::{Currency, EstimateFormat, format_money_rounded, group_thousands};

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
    let figure = |label: &str, value: String, meaning: String, link: View| Figure {
        label: label.to_owned(),
        value,
        meaning,
        link: Some(link),
    };
    let clicked = figures_ui(
        ui,
        &[
            figure(
                "Customers",
                group_thousands(overview.customers),
                format!(
                    "People who ordered at least once. {} without a name or e-mail are counted apart.",
                    plural(overview.guest_orders, "guest order", "guest orders")
                ),
                View::Customers,
            ),
            figure(
                "Came back",
                format!("{repeat_pct:.0}%"),
                format!(
                    "{} ordered a second time or more.",
                    plural(overview.repeat_customers, "customer", "customers")
                ),
                View::ValueCharts,
            ),
            figure(
                "Orders",
                group_thousands(overview.orders),
                format!("Orders from {period}."),
                View::Import,
            ),
            figure(
                "Revenue",
                format_money_rounded(revenue as f64, currency),
                "What customers paid after discounts and refunds.".to_owned(),
                View::ValueCharts,
            ),
        ],
    );
    if let Some(view) = clicked {
        state.push(Command::Navigate(view));
    }
    open_disputes_ui(ui, state);
    value_figures_ui(ui, state);
    let Some(snapshot) = state.snapshot() else {
        return;
    };
    let other_currencies: Vec<String> = snapshot
        .overview
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

/// "3 open disputes (oldest 12 days)" with a link to the care view's disputes tab; nothing
/// when every dispute is resolved or rejected.
fn open_disputes_ui(ui: &mut egui::Ui, state: &mut AppState) {
    let Some(snapshot) = state.snapshot() else {
        return;
    };
    let Some(words) = snapshot.open_disputes.words(chrono::Utc::now().timestamp()) else {
        return;
    };
    ui.add_space(8.0);
    ui.horizontal_wrapped(|ui| {
        ui.label(
            RichText::new(format!("{words}."))
                .strong()
                .color(ui.visuals().warn_fg_color),
        );
        ui.label("Unhappy customers are the first to leave: resolve them soon.");
        if ui.link("See the disputes").clicked() {
            state.push(Command::Care(CareCommand::ShowDisputes));
        }
    });
}

/// What the customers are worth: the current valuation's headline figures with their range
/// and how they were made, or what is happening while they are being computed.
fn value_figures_ui(ui: &mut egui::Ui, state: &mut AppState) {
    let mut commands = Vec::new();
    value_figures_inner_ui(ui, state, &mut commands);
    for command in commands {
        state.push(command);
    }
}

/// [`value_figures_ui`] reading the state; clicks become `commands`.
fn value_figures_inner_ui(ui: &mut egui::Ui, state: &AppState, commands: &mut Vec<Command>) {
    let Some(snapshot) = state.snapshot() else {
        return;
    };
    let currency = snapshot.settings.currency;
    let valuing = state
        .running_job()
        .is_some_and(|job| job.label == VALUING_LABEL);
    ui.add_space(12.0);
    ui.label(
        RichText::new("What your customers are worth")
            .strong()
            .size(16.0),
    );
    let Some(run) = snapshot.valuation.as_ref() else {
        ui.label(if valuing {
            "Working out what each customer is worth… the figures appear here in a moment."
        } else {
            "Customer values have not been worked out yet."
        });
        return;
    };
    let summary = &run.summary;
    let months = summary.horizon_months;
    let horizon = if (months - 12.0).abs() < 1e-9 {
        "the next 12 months".to_owned()
    } else {
        format!("the next {months:.0} months")
    };
    let (low, high) = (summary.mean_clv_low_cents, summary.mean_clv_high_cents);
    let estimate = EstimateFormat::for_range(low, high, currency);
    let range = if low.is_finite() && high.is_finite() {
        format!(
            " Likely between {} and {} (80% range).",
            estimate.amount(low),
            estimate.amount(high)
        )
    } else {
        String::new()
    };
    let mut figures = vec![Figure {
        label: "Average customer value".to_owned(),
        link: Some(View::ValueCharts),
        value: estimate.amount(summary.mean_clv_cents),
        meaning: format!(
            "Profit (after your {:.0}% margin) an average customer is expected to bring over {horizon}, in today's money.{range}",
            snapshot.settings.margin_pct
        ),
    }];
    if summary.expected_revenue_cents > 0.0 {
        // The customers card above counts everyone who ordered; a customer whose every
        // order was refunded has bought nothing to value. Said only when the values are
        // current, when that is the whole difference.
        let not_valued = snapshot
            .overview
            .customers
            .saturating_sub(summary.customers_valued);
        let refunded_only = if not_valued > 0 && !snapshot.needs_valuation() {
            format!(
                " Not counted: {} whose every order was refunded.",
                plural(not_valued, "customer", "customers")
            )
        } else {
            String::new()
        };
        figures.push(Figure {
            label: format!("Expected sales, {}", horizon.trim_start_matches("the ")),
            link: Some(View::ValueCharts),
            value: format_money_rounded(summary.expected_revenue_cents, currency),
            meaning: format!(
                "What your existing {} customers are expected to spend in {horizon} ({} orders), before new customers.{refunded_only}",
                group_thousands(summary.customers_valued),
                group_thousands(summary.expected_purchases.round() as u64)
            ),
        });
    }
    let insights = &summary.insights;
    if insights.top20_revenue_share > 0.0 {
        figures.push(Figure {
            label: "Best fifth of customers".to_owned(),
            link: Some(View::ValueCharts),
            value: format!("{:.0}%", 100.0 * insights.top20_revenue_share),
            meaning: "of your revenue comes from your top 20% of customers.".to_owned(),
        });
    }
    if summary.mean_p_alive.is_finite() {
        figures.push(Figure {
            label: "Valuable customers slipping away".to_owned(),
            link: Some(View::Customers),
            value: group_thousands(insights.at_risk.customers),
            meaning: format!(
                "Among your top 20% they spent {} so far, but each is now more likely gone than still buying.",
                format_money_rounded(
                    insights.at_risk.revenue * currency.minor_per_major() as f64,
                    currency
                )
            ),
        });
    }
    if summary.mean_p_alive.is_finite() {
        figures.push(Figure {
            label: "Still active".to_owned(),
            link: Some(View::ValueCharts),
            value: format!("{:.0}%", 100.0 * summary.mean_p_alive),
            meaning: "The average chance that a customer is still buying from you rather than gone for good.".to_owned(),
        });
    }
    if let Some(view) = figures_ui(ui, &figures) {
        commands.push(open_view(view));
    }
    if let Some(change) = snapshot
        .previous_valuation
        .as_ref()
        .map(|previous| change_words(previous, run, currency))
    {
        ui.label(change);
    }
    let next = next_steps(run, currency);
    if !next.is_empty() {
        ui.add_space(6.0);
        ui.label(RichText::new("Do this next").strong());
        for (words, view) in next {
            ui.horizontal_wrapped(|ui| {
                ui.label(format!("• {words}"));
                if let Some(view) = view
                    && ui.link(format!("Open {}", view.label())).clicked()
                {
                    commands.push(open_view(view));
                }
            });
        }
    }
    ui.add_space(6.0);
    ui.horizontal_wrapped(|ui| {
        ui.label(
            RichText::new(format!(
                "Method: {}. {} Valued at {}.",
                run.method_label,
                run.reason,
                run.observation_end.format("%-d %b %Y")
            ))
            .small(),
        );
    });
    let stale = snapshot.needs_valuation();
    ui.horizontal(|ui| {
        if valuing {
            ui.label("Updating the values…");
        } else if stale {
            ui.label("Your orders or settings changed since these values were made.");
        }
        let busy = state.running_job().is_some();
        if ui
            .add_enabled(!busy, egui::Button::new("Recalculate values"))
            .on_hover_text("Fit the models to your orders again and value every customer. This happens by itself after each import.")
            .clicked()
        {
            commands.push(Command::RevalueCustomers);
        }
    });
}

/// "Since the previous valuation (orders up to 12 Mar 2026): 120 more customers; average value
/// $84 then, $86 now; …"
fn change_words(previous: &RunOverview, current: &RunOverview, currency: Currency) -> String {
    let (before, now) = (&previous.summary, &current.summary);
    let customers = now.customers_valued as i64 - before.customers_valued as i64;
    let customers = match customers {
        0 => "the same customers".to_owned(),
        n if n > 0 => format!("{} more customers", group_thousands(n.unsigned_abs())),
        n => format!("{} fewer customers", group_thousands(n.unsigned_abs())),
    };
    // Written as the average above it is (to the cent when its range needs it), both alike.
    let estimate =
        EstimateFormat::for_range(now.mean_clv_low_cents, now.mean_clv_high_cents, currency);
    format!(
        "Since the previous valuation (orders up to {}): {customers}; average value {} then, {} now; valuable customers slipping away {} then, {} now.",
        previous.observation_end.format("%-d %b %Y"),
        estimate.amount(before.mean_clv_cents),
        estimate.amount(now.mean_clv_cents),
        before.insights.at_risk.customers,
        now.insights.at_risk.customers,
    )
}

/// The command behind a link among the value figures and next steps: the customers view
/// opens on the valuable customers slipping away (the only figure there that links to
/// it), most valuable first; other views open as they are.
fn open_view(view: View) -> Command {
    if view == View::Customers {
        Command::ShowCustomers(CustomerQuery {
            at_risk_only: true,
            sort: Some(SortColumn::Clv),
            descending: true,
            ..CustomerQuery::default()
        })
    } else {
        Command::Navigate(view)
    }
}

/// The few things worth doing now, each with the view that helps, from the figures.
fn next_steps(run: &RunOverview, currency: Currency) -> Vec<(String, Option<View>)> {
    let summary = &run.summary;
    let mut steps = Vec::new();
    let risk = summary.insights.at_risk;
    if risk.customers > 0 {
        steps.push((
            format!(
                "{} valuable customers are slipping away (they spent {} with you). Reach out before they are gone: the customers list shows who they are.",
                group_thousands(risk.customers),
                format_money_rounded(risk.revenue * currency.minor_per_major() as f64, currency)
            ),
            Some(View::Customers),
        ));
    }
    if run.method_label == "Simple formulas" {
        steps.push((
            "Import more of your order history: with at least three months and 50 returning customers, CLV Desk can predict each customer's value instead of using a rule of thumb.".to_owned(),
            Some(View::Import),
        ));
    }
    if let Some(error) = summary.holdout_error_pct
        && error.abs() > 20.0
    {
        steps.push((
            format!(
                "On past orders the model was off by {error:+.0}%: treat the values as rough, and check the backtest chart."
            ),
            Some(View::ValueCharts),
        ));
    }
    let first_month_return = summary
        .insights
        .cohorts
        .iter()
        .filter(|c| c.retention.len() > 1 && c.customers > 0)
        .map(|c| (c.retention[1] * c.customers as f64, c.customers as f64))
        .fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
    if first_month_return.1 > 0.0 && first_month_return.0 / first_month_return.1 < 0.15 {
        steps.push((
            format!(
                "Only {:.0}% of new customers buy again the next month: a thank-you note after the first order is the cheapest way to raise that.",
                100.0 * first_month_return.0 / first_month_return.1
            ),
            Some(View::ValueCharts),
        ));
    }
    steps
}
