//! "Try it on past orders": the draft program and the active one replayed on every past
//! order, side by side — points issued per month (chart), what is owed in unspent points,
//! members per tier, and the reward cost against the members' revenue and lifetime value.

use egui::{Color32, RichText};
use egui_plot::{Bar, BarChart, Legend, Plot};

use crate::app::loyalty::{LoyaltyCommand, LoyaltyData, REPLAY_LABEL, ReplayResult};
use crate::app::{AppState, Command};
use crate::domain::{Currency, group_thousands};
use crate::programs::loyalty::ReplaySummary;

use super::money;
use super::program::ProgramForm;

/// The replay tab.
pub fn replay_ui(
    ui: &mut egui::Ui,
    state: &mut AppState,
    form: &mut ProgramForm,
    data: &LoyaltyData,
) {
    let (candidate, problems) = form.candidate(&data.stored, data.currency);
    ui.label(
        "See what the program in the settings tab would have done on every order you have \
         imported, before you switch it on. Nothing is saved.",
    );
    let busy = state.running_job().is_some();
    ui.horizontal(|ui| {
        if ui
            .add_enabled(
                problems.is_empty() && !busy,
                egui::Button::new("Try the draft on past orders"),
            )
            .on_disabled_hover_text("Fix the problems in the settings tab first.")
            .clicked()
        {
            state.push(Command::Loyalty(LoyaltyCommand::Replay(candidate.clone())));
        }
        if state
            .running_job()
            .is_some_and(|job| job.label == REPLAY_LABEL)
        {
            ui.spinner();
            ui.label("Replaying…");
        }
    });
    for problem in &problems {
        ui.colored_label(ui.visuals().error_fg_color, problem);
    }
    let Some(result) = state.loyalty.replay.clone() else {
        return;
    };
    if result.draft != candidate {
        ui.label(
            RichText::new("The draft changed since this replay; try it again to see the change.")
                .color(ui.visuals().warn_fg_color),
        );
    }
    ui.add_space(6.0);
    reading_ui(ui, &result, data.currency);
    ui.add_space(8.0);
    comparison_ui(ui, &result, data.currency);
    ui.add_space(8.0);
    chart_ui(ui, &result);
}

fn share(value: Option<f64>) -> String {
    value.map_or_else(|| "not known".to_owned(), |s| format!("{:.1}%", 100.0 * s))
}

/// The draft's effect in sentences.
fn reading_ui(ui: &mut egui::Ui, result: &ReplayResult, currency: Currency) {
    let d = &result.comparison.draft;
    let n = |v: i64| group_thousands(v.max(0) as u64);
    ui.label(format!(
        "Up to {}, the draft would have given your {} members {} points; {} of them would \
         have expired. {} are unspent today: you would owe your customers {} in rewards.",
        result.today,
        group_thousands(d.members as u64),
        n(d.points_issued),
        n(d.points_expired),
        n(d.outstanding_points),
        money(d.liability_cents as f64, currency),
    ));
    ui.label(format!(
        "The points that did not expire are worth {}: {} of what these members paid you ({}) \
         and {} of their expected lifetime value.",
        money(d.reward_cost_cents as f64, currency),
        share(d.cost_share_of_revenue),
        money(d.members_revenue_cents as f64, currency),
        share(d.cost_share_of_clv),
    ));
    match &result.comparison.current {
        Some(c) => ui.label(format!(
            "The program in force gives {} points on the same orders ({} the draft).",
            n(c.points_issued),
            more_or_less(d.points_issued - c.points_issued)
        )),
        None => ui.label("No program is active yet, so there is nothing to compare with."),
    };
}

fn more_or_less(difference: i64) -> String {
    match difference {
        0 => "the same as".to_owned(),
        d if d > 0 => format!("{} fewer than", group_thousands(d as u64)),
        d => format!("{} more than", group_thousands(d.unsigned_abs())),
    }
}

/// One figure of a replay summary, as text.
type Figure = Box<dyn Fn(&ReplaySummary) -> String>;

/// Current and draft side by side.
fn comparison_ui(ui: &mut egui::Ui, result: &ReplayResult, currency: Currency) {
    let current = result.comparison.current.as_ref();
    let draft = &result.comparison.draft;
    let rows: Vec<(&str, Figure, &str)> = vec![
        (
            "Points issued",
            Box::new(|s| group_thousands(s.points_issued.max(0) as u64)),
            "Earned on purchases and birthdays, minus refunds.",
        ),
        (
            "Points expired",
            Box::new(|s| group_thousands(s.points_expired.max(0) as u64)),
            "Lost after a long time without activity.",
        ),
        (
            "Unspent points today",
            Box::new(|s| group_thousands(s.outstanding_points.max(0) as u64)),
            "What members could still redeem.",
        ),
        (
            "What you owe",
            Box::new(move |s| money(s.liability_cents as f64, currency)),
            "Unspent points at the value of a point.",
        ),
        (
            "Reward cost",
            Box::new(move |s| money(s.reward_cost_cents as f64, currency)),
            "Points that did not expire, at the value of a point.",
        ),
        (
            "Cost share of revenue",
            Box::new(|s| share(s.cost_share_of_revenue)),
            "Reward cost out of what the members paid.",
        ),
        (
            "Cost share of lifetime value",
            Box::new(|s| share(s.cost_share_of_clv)),
            "Reward cost out of the members' expected lifetime value.",
        ),
    ];
    egui::Grid::new("loyalty-replay")
        .num_columns(4)
        .striped(true)
        .spacing([18.0, 4.0])
        .show(ui, |ui| {
            ui.strong("");
            ui.strong("Program in force");
            ui.strong("Draft");
            ui.strong("What it means");
            ui.end_row();
            for (label, value, meaning) in &rows {
                ui.label(*label);
                ui.label(current.map_or_else(|| "none".to_owned(), value));
                ui.label(value(draft));
                ui.weak(*meaning);
                ui.end_row();
            }
            tier_rows_ui(ui, current, draft);
        });
}

/// Members per tier rows: the draft's tiers, with the current count when it has the tier.
fn tier_rows_ui(ui: &mut egui::Ui, current: Option<&ReplaySummary>, draft: &ReplaySummary) {
    for tier in &draft.members_per_tier {
        let name = tier.tier.as_deref().unwrap_or("no tier");
        ui.label(format!("Members in {name}"));
        let now = current
            .and_then(|c| c.members_per_tier.iter().find(|t| t.tier == tier.tier))
            .map_or_else(|| "none".to_owned(), |t| group_thousands(t.members as u64));
        ui.label(now);
        ui.label(group_thousands(tier.members as u64));
        ui.weak("Where members stand today.");
        ui.end_row();
    }
}

/// Points issued per month: current and draft bars side by side.
fn chart_ui(ui: &mut egui::Ui, result: &ReplayResult) {
    let mut months: Vec<chrono::NaiveDate> = result
        .comparison
        .draft
        .points_issued_per_month
        .iter()
        .map(|m| m.month)
        .collect();
    if let Some(current) = &result.comparison.current {
        months.extend(current.points_issued_per_month.iter().map(|m| m.month));
    }
    months.sort();
    months.dedup();
    if months.is_empty() {
        ui.label("No points would have been issued: there are no purchases to replay.");
        return;
    }
    ui.label(RichText::new("Points issued per month").strong());
    let bars = |summary: &ReplaySummary, offset: f64| -> Vec<Bar> {
        summary
            .points_issued_per_month
            .iter()
            .filter_map(|m| {
                let i = months.binary_search(&m.month).ok()?;
                Some(
                    Bar::new(i as f64 + offset, m.points as f64)
                        .width(0.4)
                        .name(m.month.format("%b %Y").to_string()),
                )
            })
            .collect()
    };
    let draft = BarChart::new("Draft", bars(&result.comparison.draft, 0.2))
        .color(Color32::from_rgb(255, 160, 60));
    let current = result.comparison.current.as_ref().map(|c| {
        BarChart::new("Program in force", bars(c, -0.2)).color(Color32::from_rgb(60, 130, 200))
    });
    let labels: Vec<String> = months
        .iter()
        .map(|m| m.format("%b %Y").to_string())
        .collect();
    Plot::new("loyalty-replay-points")
        .height(240.0)
        .legend(Legend::default())
        .allow_scroll(false)
        .x_axis_label("Month")
        .y_axis_label("Points issued (net of refunds)")
        .x_axis_formatter(move |mark, _| {
            let i = mark.value.round();
            if (mark.value - i).abs() < 1e-6 && i >= 0.0 {
                labels.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .show(ui, |plot_ui| {
            if let Some(current) = current {
                plot_ui.bar_chart(current);
            }
            plot_ui.bar_chart(draft);
        });
}
