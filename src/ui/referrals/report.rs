//! The report tab: what referrals brought, referred against other customers with 80%
//! ranges, one chart of their predicted value, and the best referrers.

use egui::{Color32, RichText};
use egui_plot::{Bar, BarChart, Legend, Line, Plot, PlotPoints};

use crate::app::referrals::{ReferralData, status_label};
use crate::domain::{Currency, group_thousands};
use crate::programs::referral::{GroupFigures, ReferralStatus};

use super::{money, percent};

/// The report tab.
pub fn report_ui(ui: &mut egui::Ui, data: &ReferralData) {
    egui::ScrollArea::vertical()
        .id_salt("referrals-report")
        .show(ui, |ui| {
            headline_ui(ui, data);
            ui.add_space(8.0);
            comparison_ui(ui, data);
            ui.add_space(8.0);
            chart_ui(ui, data);
            ui.add_space(8.0);
            top_referrers_ui(ui, data);
        });
}

/// Referral revenue, new customers and their share, statuses.
fn headline_ui(ui: &mut egui::Ui, data: &ReferralData) {
    let report = &data.report;
    let share = report
        .referred_share
        .map_or_else(|| "no share yet".to_owned(), percent);
    ui.label(
        RichText::new(format!(
            "Referrals brought {} customers who ordered: {} of your {} customers.",
            group_thousands(report.referred_customers),
            share,
            group_thousands(report.customers)
        ))
        .strong(),
    );
    ui.label(format!(
        "Referral revenue: {} spent so far by the customers referrals brought (refunds taken off).",
        money(report.referral_revenue_cents as f64, data.currency)
    ));
    let statuses: Vec<String> = report
        .by_status
        .iter()
        .filter_map(|(name, n)| {
            let status = ReferralStatus::parse(name)?;
            Some(format!("{}: {}", status_label(status), group_thousands(*n)))
        })
        .collect();
    ui.label(format!("Referrals by status. {}.", statuses.join(", ")));
}

/// Referred against other customers: value and repeat rate with their ranges.
fn comparison_ui(ui: &mut egui::Ui, data: &ReferralData) {
    let report = &data.report;
    ui.label(RichText::new("Are referred customers worth more?").strong());
    for (who, group) in [
        ("Referred customers", &report.referred),
        ("Other customers", &report.not_referred),
    ] {
        ui.label(format!(
            "{who} ({}): {} {}",
            group_thousands(group.customers),
            value_words(group, data.currency),
            repeat_words(group)
        ));
    }
    ui.label(
        RichText::new(
            "The ranges hold the true average 8 times out of 10; when the two ranges overlap, \
             the difference may be chance.",
        )
        .small()
        .color(ui.visuals().weak_text_color()),
    );
}

/// "Predicted to spend 120 each on average (80% range 100 to 140)."
fn value_words(group: &GroupFigures, currency: Currency) -> String {
    match (group.mean_clv_cents, group.mean_clv_range_cents) {
        (Some(mean), Some((low, high))) => format!(
            "predicted to spend {} each in future on average (80% range {} to {}).",
            money(mean, currency),
            money(low, currency),
            money(high, currency)
        ),
        (Some(mean), None) => format!(
            "predicted to spend {} each in future on average (too few to give a range).",
            money(mean, currency)
        ),
        _ => "no predicted value yet (value your customers on the Dashboard).".to_owned(),
    }
}

/// "45% ordered again (80% range 40% to 50%)."
fn repeat_words(group: &GroupFigures) -> String {
    match (group.repeat_rate, group.repeat_rate_range) {
        (Some(rate), Some((low, high))) => format!(
            "{} ordered more than once (80% range {} to {}).",
            percent(rate),
            percent(low),
            percent(high)
        ),
        (Some(rate), None) => format!("{} ordered more than once.", percent(rate)),
        _ => "No repeat rate yet.".to_owned(),
    }
}

/// Mean predicted value per group with its 80% range as a bar and a whisker.
fn chart_ui(ui: &mut egui::Ui, data: &ReferralData) {
    let unit = data.currency.minor_per_major() as f64;
    let groups = [
        ("Referred", &data.report.referred),
        ("Not referred", &data.report.not_referred),
    ];
    if groups.iter().all(|(_, g)| g.mean_clv_cents.is_none()) {
        return;
    }
    ui.label(RichText::new("Predicted future value per customer").strong());
    let bars: Vec<Bar> = groups
        .iter()
        .enumerate()
        .filter_map(|(i, (name, g))| {
            let mean = g.mean_clv_cents? / unit;
            Some(Bar::new(i as f64, mean).width(0.5).name(*name))
        })
        .collect();
    let whiskers: Vec<(usize, f64, f64)> = groups
        .iter()
        .enumerate()
        .filter_map(|(i, (_, g))| {
            let (low, high) = g.mean_clv_range_cents?;
            Some((i, low / unit, high / unit))
        })
        .collect();
    let names = ["Referred", "Not referred"];
    Plot::new("referrals-value")
        .height(220.0)
        .legend(Legend::default())
        .allow_scroll(false)
        .x_axis_label("Customers")
        .y_axis_label(format!("Predicted future value ({})", data.currency.code()))
        .x_axis_formatter(move |mark, _| {
            let i = mark.value.round();
            if (mark.value - i).abs() < 1e-6 && i >= 0.0 {
                names
                    .get(i as usize)
                    .map_or_else(String::new, |s| (*s).to_owned())
            } else {
                String::new()
            }
        })
        .show(ui, |plot_ui| {
            plot_ui.bar_chart(
                BarChart::new("Average per customer", bars).color(Color32::from_rgb(60, 130, 200)),
            );
            for (i, low, high) in whiskers {
                let points: PlotPoints = vec![[i as f64, low], [i as f64, high]].into();
                plot_ui.line(
                    Line::new("80% range", points)
                        .color(Color32::from_rgb(200, 90, 40))
                        .width(3.0),
                );
            }
        });
}

/// The referrers whose friends are worth most.
fn top_referrers_ui(ui: &mut egui::Ui, data: &ReferralData) {
    ui.label(RichText::new("Best referrers by network value").strong());
    ui.label(
        "Network value: what the friends they brought have spent so far plus what they are \
         predicted to spend.",
    );
    if data.report.top_referrers.is_empty() {
        ui.label("No referrer has brought a customer yet.");
        return;
    }
    egui::Grid::new("referrals-top")
        .striped(true)
        .num_columns(5)
        .show(ui, |ui| {
            for title in [
                "Referrer",
                "Friends",
                "Spent so far",
                "Predicted",
                "Network value",
            ] {
                ui.strong(title);
            }
            ui.end_row();
            for top in &data.report.top_referrers {
                ui.label(format!("{} (#{})", top.name, top.customer));
                ui.label(group_thousands(top.friends));
                ui.label(money(top.friends_revenue_cents as f64, data.currency));
                ui.label(money(top.friends_clv_cents, data.currency));
                ui.label(money(top.network_value_cents, data.currency));
                ui.end_row();
            }
        });
}
