//! Value charts: each chart answers one question in plain words, with a title, axes with
//! units, hover values, zoom and pan (double-click or "Reset view" to go back), a one-line
//! reading computed from the data, and "Copy data as CSV".
//!
//! Everything drawn here was computed in the background with the valuation
//! (`clv::insights`, stored with the run); a frame only lays it out.

use egui::{Color32, RichText, Sense, vec2};
use egui_plot::{Bar, BarChart, Legend, Line, Plot, PlotPoints, VLine};

use chrono::NaiveDate;

use crate::app::AppState;
use crate::app::chart_filter::ChartFilter;
use crate::app::valuation::{BacktestCurve, RunOverview};
use crate::clv::insights::{
    Cohort, FREQUENCY_ROWS, GroupValue, Insights, Matrix, NO_CODE, WEEKS_SINCE_EDGES,
};
use crate::domain::{Currency, format_money_rounded};

use super::widgets::{empty_state_ui, pending_program_ui};

/// Height of every plot.
const PLOT_HEIGHT: f32 = 260.0;
/// LTV curves drawn at most (the most recent cohorts with some history).
const LTV_COHORTS: usize = 6;
/// Cohorts smaller than this are left out of the LTV curves (one customer is no curve).
const LTV_MIN_CUSTOMERS: u64 = 10;

/// What the charts view remembers between frames.
#[derive(Debug, Default)]
pub struct ChartsViewState {
    /// The value distribution on a logarithmic axis.
    pub log_scale: bool,
    /// What the owner clicked under the charts this frame.
    actions: ChartActions,
    /// The filter being edited.
    filter: FilterDraft,
}

/// The filter as the owner is typing it.
#[derive(Debug, Default)]
struct FilterDraft {
    from: String,
    to: String,
    segment: Option<String>,
    source: Option<String>,
    problem: Option<String>,
}

/// The filter bar; the filter to apply when the owner asked for one.
fn filter_bar_ui(
    ui: &mut egui::Ui,
    draft: &mut FilterDraft,
    run: &RunOverview,
    filtered: bool,
    busy: bool,
) -> Option<ChartFilter> {
    let mut apply = None;
    egui::Frame::group(ui.style())
        .inner_margin(egui::Margin::same(8))
        .show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                let label = ui.label("Show customers who first bought from");
                ui.add(
                    egui::TextEdit::singleline(&mut draft.from)
                        .desired_width(95.0)
                        .hint_text("YYYY-MM-DD"),
                )
                .labelled_by(label.id)
                .on_hover_text("Leave empty for the beginning.");
                let label = ui.label("to");
                ui.add(
                    egui::TextEdit::singleline(&mut draft.to)
                        .desired_width(95.0)
                        .hint_text("YYYY-MM-DD"),
                )
                .labelled_by(label.id)
                .on_hover_text("Leave empty for the latest order.");
                let label = ui.label("in");
                let segments: Vec<String> = run
                    .summary
                    .insights
                    .by_segment
                    .iter()
                    .map(|g| g.segment.clone())
                    .collect();
                choice_ui(ui, label.id, "all segments", &segments, &mut draft.segment);
                let label = ui.label("through");
                choice_ui(
                    ui,
                    label.id,
                    "all sources",
                    &run.summary.first_sources,
                    &mut draft.source,
                );
                if ui
                    .add_enabled(!busy, egui::Button::new("Apply filter"))
                    .clicked()
                {
                    match draft_filter(draft) {
                        Ok(filter) => {
                            draft.problem = None;
                            apply = Some(filter);
                        }
                        Err(problem) => draft.problem = Some(problem),
                    }
                }
                if ui
                    .add_enabled(filtered && !busy, egui::Button::new("Show everyone"))
                    .clicked()
                {
                    *draft = FilterDraft::default();
                    apply = Some(ChartFilter::default());
                }
            });
            if let Some(problem) = &draft.problem {
                ui.colored_label(ui.visuals().error_fg_color, problem);
            }
        });
    apply
}

/// A drop-down of `options` with "all …" for no choice, named by the label `label`.
fn choice_ui(
    ui: &mut egui::Ui,
    label: egui::Id,
    all: &str,
    options: &[String],
    chosen: &mut Option<String>,
) {
    egui::ComboBox::from_id_salt(("chart-filter", all))
        .selected_text(chosen.clone().unwrap_or_else(|| all.to_owned()))
        .show_ui(ui, |ui| {
            ui.selectable_value(chosen, None, all);
            for option in options {
                ui.selectable_value(chosen, Some(option.clone()), option);
            }
        })
        .response
        .labelled_by(label);
}

/// The filter the draft describes, or what is wrong with a date.
fn draft_filter(draft: &FilterDraft) -> Result<ChartFilter, String> {
    let day = |text: &str, which: &str| -> Result<Option<NaiveDate>, String> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| format!("“{text}” ({which}) is not a date like 2025-03-31."))
    };
    let filter = ChartFilter {
        first_from: day(&draft.from, "from")?,
        first_to: day(&draft.to, "to")?,
        segment: draft.segment.clone(),
        source: draft.source.clone(),
    };
    if let (Some(from), Some(to)) = (filter.first_from, filter.first_to)
        && from > to
    {
        return Err("The first date is after the second.".to_owned());
    }
    Ok(filter)
}

/// Clicks under a chart, acted on after the charts are drawn.
#[derive(Debug, Default)]
struct ChartActions {
    /// The chart whose zoom and pan to reset.
    reset: Option<&'static str>,
    /// The title of the chart to save as a picture.
    save_png: Option<String>,
}

/// Where a chart was drawn this frame, by title, for saving it as a picture.
pub fn chart_rect(ctx: &egui::Context, title: &str) -> Option<egui::Rect> {
    ctx.data(|d| d.get_temp::<egui::Rect>(chart_rect_id(title)))
}

fn chart_rect_id(title: &str) -> egui::Id {
    egui::Id::unique(("clv-desk-chart-rect", title))
}

/// The value charts view.
pub fn charts_ui(ui: &mut egui::Ui, state: &mut AppState, view: &mut ChartsViewState) {
    if state.snapshot().is_none_or(|s| s.overview.is_empty()) {
        pending_program_ui(
            ui,
            state,
            "No charts yet",
            "Import your orders (or explore the demo shop) and this view shows what customers are worth, how each month's new customers keep buying, and who brings the revenue.",
        );
        return;
    }
    let Some(snapshot) = state.snapshot() else {
        return;
    };
    let Some(run) = snapshot.valuation.as_ref() else {
        empty_state_ui(
            ui,
            "Charts are being prepared",
            "CLV Desk is working out what each customer is worth; the charts appear when it is done.",
        );
        return;
    };
    let currency = snapshot.settings.currency;
    let filtered = state
        .filtered_charts
        .as_ref()
        .filter(|f| f.run_id == run.run_id);
    let insights = filtered.map_or(&run.summary.insights, |f| &f.insights);
    let reset = view.actions.reset.take();
    ui.label(
        RichText::new(format!(
            "Values from {} as of {}. Drag to move a chart, scroll to zoom, double-click to reset.",
            run.method_label,
            run.observation_end.format("%-d %b %Y")
        ))
        .weak(),
    );
    let busy = state.running_job().is_some();
    let filter_command = filter_bar_ui(ui, &mut view.filter, run, filtered.is_some(), busy);
    if let Some(f) = filtered {
        ui.label(
            RichText::new(format!(
                "Showing {} {}.",
                crate::domain::group_thousands(f.customers),
                f.filter.describe()
            ))
            .strong(),
        );
    }
    ui.add_space(6.0);
    distribution_ui(ui, view, insights, currency, reset);
    cohort_table_ui(ui, &mut view.actions, insights);
    ltv_curves_ui(ui, view, insights, currency, reset);
    revenue_ui(ui, view, insights, currency, reset);
    pareto_ui(ui, view, insights, reset);
    segments_ui(
        ui,
        &mut view.actions,
        insights,
        currency,
        run.summary.horizon_months,
    );
    acquisition_ui(ui, &mut view.actions, insights, currency);
    matrix_ui(
        ui,
        &mut view.actions,
        "Who is still buying from you?",
        "Average chance that a customer is still active, by how often they bought and how long ago they last did.",
        &insights.p_alive,
        |v| format!("{:.0}%", 100.0 * v),
        1.0,
    );
    matrix_ui(
        ui,
        &mut view.actions,
        "How many purchases to expect",
        &format!(
            "Average purchases each customer is expected to make in the next {:.0} months, by the same groups.",
            run.summary.horizon_months
        ),
        &insights.expected_purchases,
        |v| format!("{v:.1}"),
        max_of(&insights.expected_purchases).max(1e-9),
    );
    backtest_ui(ui, view, run, reset);
    if let Some(title) = view.actions.save_png.take() {
        state.push(crate::app::Command::ChooseChartPng(title));
    }
    if let Some(filter) = filter_command {
        state.push(crate::app::Command::FilterCharts(filter));
    }
}

/// A chart's frame: title, question, reading aid, body, and the buttons under it. Where
/// it was drawn is remembered (by title) so "Save as PNG…" can cut it out of the window.
fn chart_frame(
    ui: &mut egui::Ui,
    title: &str,
    reading: &str,
    csv: impl FnOnce() -> String,
    actions: &mut ChartActions,
    reset_id: Option<&'static str>,
    body: impl FnOnce(&mut egui::Ui),
) {
    let response = egui::Frame::group(ui.style())
        .inner_margin(egui::Margin::same(12))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.label(RichText::new(title).size(17.0).strong());
            ui.label(reading);
            ui.add_space(4.0);
            body(ui);
            ui.horizontal(|ui| {
                if let Some(id) = reset_id
                    && ui.button("Reset view").clicked()
                {
                    actions.reset = Some(id);
                }
                if ui
                    .button("Copy data as CSV")
                    .on_hover_text(
                        "Copies the numbers behind this chart, to paste into a spreadsheet.",
                    )
                    .clicked()
                {
                    ui.ctx().copy_text(csv());
                }
                if ui
                    .button("Save as PNG…")
                    .on_hover_text("Saves this chart as a picture, for a report or an e-mail.")
                    .clicked()
                {
                    actions.save_png = Some(title.to_owned());
                }
            });
        })
        .response;
    let visible = response.rect.intersect(ui.clip_rect());
    ui.ctx()
        .data_mut(|d| d.insert_temp(chart_rect_id(title), visible));
    ui.add_space(10.0);
}

fn plot<'a>(id: &'static str, reset: Option<&'static str>) -> Plot<'a> {
    let plot = Plot::new(id)
        .height(PLOT_HEIGHT)
        .legend(Legend::default())
        .allow_scroll(false);
    if reset == Some(id) {
        plot.reset()
    } else {
        plot
    }
}

fn money(major: f64, currency: Currency) -> String {
    format_money_rounded(major * currency.minor_per_major() as f64, currency)
}

fn distribution_ui(
    ui: &mut egui::Ui,
    view: &mut ChartsViewState,
    insights: &Insights,
    currency: Currency,
    reset: Option<&'static str>,
) {
    let dist = &insights.values;
    let reading = format!(
        "Half of your customers are worth less than {} each; the top 20% are worth {} or more.",
        money(dist.median, currency),
        money(dist.top20_threshold, currency)
    );
    let log_scale = view.log_scale;
    let mut log_choice = log_scale;
    let histogram = if log_scale {
        &dist.logarithmic
    } else {
        &dist.linear
    };
    let csv = || {
        let mut out = format!("from_{0},to_{0},customers\n", currency.code());
        for (edges, count) in histogram.edges.windows(2).zip(&histogram.counts) {
            out.push_str(&format!("{:.2},{:.2},{count}\n", edges[0], edges[1]));
        }
        out
    };
    let axis = |x: f64| if log_scale { x.max(1e-9).log10() } else { x };
    let code = currency.code();
    chart_frame(
        ui,
        "What are your customers worth?",
        &reading,
        csv,
        &mut view.actions,
        Some("distribution"),
        |ui| {
            let bars: Vec<Bar> = histogram
                .edges
                .windows(2)
                .zip(&histogram.counts)
                .map(|(e, count)| {
                    let (a, b) = (axis(e[0]), axis(e[1]));
                    Bar::new((a + b) / 2.0, *count as f64)
                        .width((b - a) * 0.95)
                        .name(format!(
                            "{} to {}",
                            money(e[0], currency),
                            money(e[1], currency)
                        ))
                })
                .collect();
            let x_label = if log_scale {
                format!("Lifetime value per customer ({code}, logarithmic)")
            } else {
                format!("Lifetime value per customer ({code})")
            };
            plot("distribution", reset)
                .x_axis_label(x_label)
                .y_axis_label("Customers")
                .x_axis_formatter(move |mark, _| {
                    let value = if log_scale {
                        10f64.powf(mark.value)
                    } else {
                        mark.value
                    };
                    format!("{value:.0}")
                })
                .show(ui, |plot_ui| {
                    plot_ui.bar_chart(
                        BarChart::new("Customers", bars).color(Color32::from_rgb(90, 140, 200)),
                    );
                    plot_ui
                        .vline(VLine::new("Median", axis(dist.median)).color(Color32::DARK_GREEN));
                    plot_ui.vline(
                        VLine::new("Top 20% start here", axis(dist.top20_threshold))
                            .color(Color32::from_rgb(200, 120, 30)),
                    );
                });
            ui.checkbox(
                &mut log_choice,
                "Logarithmic axis (spreads out the many small values)",
            );
        },
    );
    view.log_scale = log_choice;
}

/// Colour for a share between 0 and `max`: from the background to a strong blue.
fn heat(value: f64, max: f64, dark: bool) -> Color32 {
    let t = (value / max).clamp(0.0, 1.0) as f32;
    let (from, to) = if dark {
        ([40.0, 44.0, 52.0], [70.0, 150.0, 250.0])
    } else {
        ([240.0, 244.0, 250.0], [30.0, 90.0, 190.0])
    };
    let channel = |i: usize| (from[i] + (to[i] - from[i]) * t) as u8;
    Color32::from_rgb(channel(0), channel(1), channel(2))
}

fn text_on(background: Color32) -> Color32 {
    let [r, g, b, _] = background.to_array();
    let luminance = 0.299 * f32::from(r) + 0.587 * f32::from(g) + 0.114 * f32::from(b);
    if luminance > 140.0 {
        Color32::from_gray(20)
    } else {
        Color32::WHITE
    }
}

/// One coloured cell with its text and a hover explanation.
fn cell_ui(ui: &mut egui::Ui, text: &str, fill: Color32, hover: &str) {
    let (rect, response) = ui.allocate_exact_size(vec2(52.0, 22.0), Sense::hover());
    ui.painter().rect_filled(rect, 2.0, fill);
    ui.painter().text(
        rect.center(),
        egui::Align2::CENTER_CENTER,
        text,
        egui::FontId::proportional(12.0),
        text_on(fill),
    );
    response.on_hover_text(hover);
}

/// The colour scale under a heat table.
fn heat_legend_ui(ui: &mut egui::Ui, max: f64, format: impl Fn(f64) -> String) {
    let dark = ui.visuals().dark_mode;
    ui.horizontal(|ui| {
        ui.label(RichText::new("Colour scale:").small());
        for step in 0..=4 {
            let value = max * f64::from(step) / 4.0;
            cell_ui(ui, &format(value), heat(value, max, dark), "");
        }
    });
}

fn cohort_table_ui(ui: &mut egui::Ui, actions: &mut ChartActions, insights: &Insights) {
    let cohorts: Vec<&Cohort> = insights
        .cohorts
        .iter()
        .filter(|c| c.customers > 0)
        .collect();
    let later_max = cohorts
        .iter()
        .flat_map(|c| c.retention.iter().skip(1))
        .fold(0.0_f64, |m, v| m.max(*v))
        .max(0.01);
    let reading = cohort_reading(&cohorts);
    let csv = || {
        let mut out = String::from("first_order_month,customers,months_since,share_buying\n");
        for c in &cohorts {
            for (k, share) in c.retention.iter().enumerate() {
                let month = c.month.map(|m| m.label()).unwrap_or_default();
                out.push_str(&format!("{month},{},{k},{share:.4}\n", c.customers));
            }
        }
        out
    };
    let dark = ui.visuals().dark_mode;
    chart_frame(
        ui,
        "Do new customers come back?",
        &reading,
        csv,
        actions,
        None,
        |ui| {
            let months = cohorts
                .iter()
                .map(|c| c.retention.len())
                .max()
                .unwrap_or(0)
                .min(13);
            egui::ScrollArea::horizontal().id_salt("cohort-scroll").show(ui, |ui| {
                egui::Grid::new("cohort-grid").spacing(vec2(10.0, 3.0)).show(ui, |ui| {
                    ui.label(RichText::new("First order in").strong());
                    ui.label(RichText::new("Customers").strong());
                    for k in 1..months {
                        ui.label(RichText::new(format!("+{k} mo")).strong());
                    }
                    ui.end_row();
                    for c in &cohorts {
                        let month = c.month.map(|m| m.label()).unwrap_or_default();
                        ui.label(&month);
                        ui.label(crate::domain::group_thousands(c.customers));
                        for (k, share) in c.retention.iter().enumerate().take(months).skip(1) {
                            cell_ui(
                                ui,
                                &format!("{:.0}%", 100.0 * share),
                                heat(*share, later_max, dark),
                                &format!(
                                    "{:.1}% of the {} customers who first bought in {month} bought again {k} month{} later.",
                                    100.0 * share,
                                    c.customers,
                                    if k == 1 { "" } else { "s" }
                                ),
                            );
                        }
                        ui.end_row();
                    }
                });
            });
            heat_legend_ui(ui, later_max, |v| format!("{:.0}%", 100.0 * v));
        },
    );
}

fn cohort_reading(cohorts: &[&Cohort]) -> String {
    let average_at = |k: usize| {
        let (mut sum, mut n) = (0.0, 0.0);
        for c in cohorts.iter().filter(|c| c.retention.len() > k) {
            sum += c.retention[k] * c.customers as f64;
            n += c.customers as f64;
        }
        (n > 0.0).then(|| sum / n)
    };
    match (average_at(1), average_at(6)) {
        (Some(one), Some(six)) => format!(
            "On average {:.0}% of new customers buy again the month after their first order, and {:.0}% are buying six months later. Each row is the customers whose first order fell in that month.",
            100.0 * one,
            100.0 * six
        ),
        (Some(one), None) => format!(
            "On average {:.0}% of new customers buy again the month after their first order.",
            100.0 * one
        ),
        _ => "Not enough months of orders yet to see customers come back.".to_owned(),
    }
}

const COHORT_COLOURS: [Color32; LTV_COHORTS] = [
    Color32::from_rgb(31, 119, 180),
    Color32::from_rgb(255, 127, 14),
    Color32::from_rgb(44, 160, 44),
    Color32::from_rgb(214, 39, 40),
    Color32::from_rgb(148, 103, 189),
    Color32::from_rgb(140, 86, 75),
];

fn ltv_curves_ui(
    ui: &mut egui::Ui,
    view: &mut ChartsViewState,
    insights: &Insights,
    currency: Currency,
    reset: Option<&'static str>,
) {
    // The most recent cohorts with at least three months of history, oldest first.
    let mut shown: Vec<&Cohort> = insights
        .cohorts
        .iter()
        .rev()
        .filter(|c| c.customers >= LTV_MIN_CUSTOMERS && c.cumulative_value.len() >= 3)
        .take(LTV_COHORTS)
        .collect();
    shown.reverse();
    let reading = shown
        .iter()
        .rev()
        .find(|c| c.cumulative_value.len() > 6)
        .map_or_else(
            || "Each line is the revenue per customer of one month's new customers, month by month.".to_owned(),
            |c| {
                format!(
                    "Customers who joined in {} are worth {} each after 6 months.",
                    c.month.map(|m| m.label()).unwrap_or_default(),
                    money(c.cumulative_value[6], currency)
                )
            },
        );
    let csv = || {
        let mut out = format!(
            "first_order_month,months_since,revenue_per_customer_{}\n",
            currency.code()
        );
        for c in &insights.cohorts {
            for (k, v) in c.cumulative_value.iter().enumerate() {
                let month = c.month.map(|m| m.label()).unwrap_or_default();
                out.push_str(&format!("{month},{k},{v:.2}\n"));
            }
        }
        out
    };
    let code = currency.code();
    chart_frame(
        ui,
        "How much is a new customer worth over time?",
        &reading,
        csv,
        &mut view.actions,
        Some("ltv"),
        |ui| {
            plot("ltv", reset)
                .x_axis_label("Months since the first order")
                .y_axis_label(format!("Revenue per customer so far ({code})"))
                .show(ui, |plot_ui| {
                    for (c, colour) in shown.iter().zip(COHORT_COLOURS) {
                        let points: PlotPoints = c
                            .cumulative_value
                            .iter()
                            .enumerate()
                            .map(|(k, v)| [k as f64, *v])
                            .collect();
                        let name = c.month.map(|m| m.label()).unwrap_or_default();
                        plot_ui.line(Line::new(name, points).color(colour).width(2.0));
                    }
                });
        },
    );
}

fn revenue_ui(
    ui: &mut egui::Ui,
    view: &mut ChartsViewState,
    insights: &Insights,
    currency: Currency,
    reset: Option<&'static str>,
) {
    let months = &insights.revenue_by_month;
    let recent = &months[months.len().saturating_sub(12)..];
    let (new, returning) = recent
        .iter()
        .fold((0.0, 0.0), |(n, r), m| (n + m.new, r + m.returning));
    let reading = if new + returning > 0.0 {
        format!(
            "Returning customers brought {:.0}% of your revenue in the last {} months ({} of {}).",
            100.0 * returning / (new + returning),
            recent.len(),
            money(returning, currency),
            money(new + returning, currency)
        )
    } else {
        "No revenue yet.".to_owned()
    };
    let csv = || {
        let mut out = format!(
            "month,new_customers_{0},returning_customers_{0}\n",
            currency.code()
        );
        for m in months {
            out.push_str(&format!(
                "{},{:.2},{:.2}\n",
                m.month.label(),
                m.new,
                m.returning
            ));
        }
        out
    };
    let labels: Vec<String> = months.iter().map(|m| m.month.label()).collect();
    let code = currency.code();
    chart_frame(
        ui,
        "Where does your revenue come from?",
        &reading,
        csv,
        &mut view.actions,
        Some("revenue"),
        |ui| {
            let new_bars: Vec<Bar> = months
                .iter()
                .enumerate()
                .map(|(i, m)| Bar::new(i as f64, m.new).width(0.8).name(m.month.label()))
                .collect();
            let returning_bars: Vec<Bar> = months
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    Bar::new(i as f64, m.returning)
                        .width(0.8)
                        .name(m.month.label())
                })
                .collect();
            let new_chart =
                BarChart::new("New customers", new_bars).color(Color32::from_rgb(255, 160, 60));
            let returning_chart = BarChart::new("Returning customers", returning_bars)
                .color(Color32::from_rgb(60, 130, 200))
                .stack_on(&[&new_chart]);
            plot("revenue", reset)
                .x_axis_label("Month")
                .y_axis_label(format!("Revenue ({code})"))
                .x_axis_formatter(move |mark, _| {
                    let i = mark.value.round();
                    if (mark.value - i).abs() < 1e-6 && i >= 0.0 {
                        labels.get(i as usize).cloned().unwrap_or_default()
                    } else {
                        String::new()
                    }
                })
                .show(ui, |plot_ui| {
                    plot_ui.bar_chart(new_chart);
                    plot_ui.bar_chart(returning_chart);
                });
        },
    );
}

fn pareto_ui(
    ui: &mut egui::Ui,
    view: &mut ChartsViewState,
    insights: &Insights,
    reset: Option<&'static str>,
) {
    let reading = format!(
        "Your top 20% of customers bring {:.0}% of your revenue. The further the curve is above the diagonal, the more you depend on a few customers.",
        100.0 * insights.top20_revenue_share
    );
    let csv = || {
        let mut out = String::from("share_of_customers,share_of_revenue\n");
        for (c, r) in &insights.pareto {
            out.push_str(&format!("{c:.2},{r:.4}\n"));
        }
        out
    };
    chart_frame(
        ui,
        "How much do your best customers bring?",
        &reading,
        csv,
        &mut view.actions,
        Some("pareto"),
        |ui| {
            let curve: PlotPoints = insights
                .pareto
                .iter()
                .map(|(c, r)| [100.0 * c, 100.0 * r])
                .collect();
            plot("pareto", reset)
                .x_axis_label("Customers, best first (% of all)")
                .y_axis_label("Share of revenue (%)")
                .include_x(0.0)
                .include_x(100.0)
                .include_y(0.0)
                .include_y(100.0)
                .show(ui, |plot_ui| {
                    plot_ui.line(
                        Line::new("Your customers", curve)
                            .color(Color32::from_rgb(60, 130, 200))
                            .width(2.0),
                    );
                    plot_ui.line(
                        Line::new(
                            "If every customer spent the same",
                            vec![[0.0, 0.0], [100.0, 100.0]],
                        )
                        .color(Color32::GRAY),
                    );
                    plot_ui
                        .vline(VLine::new("Top 20%", 20.0).color(Color32::from_rgb(200, 120, 30)));
                });
        },
    );
}

fn max_of(matrix: &Matrix) -> f64 {
    matrix
        .values
        .iter()
        .flatten()
        .flatten()
        .fold(0.0_f64, |m, v| m.max(*v))
}

/// The column headings of the matrices.
fn weeks_since_labels() -> Vec<String> {
    let mut labels = Vec::new();
    let mut previous = 0.0;
    for edge in WEEKS_SINCE_EDGES {
        labels.push(format!("{previous:.0}–{edge:.0} wk"));
        previous = edge;
    }
    labels.push(format!("{previous:.0}+ wk"));
    labels
}

fn matrix_ui(
    ui: &mut egui::Ui,
    actions: &mut ChartActions,
    title: &str,
    reading: &str,
    matrix: &Matrix,
    format: impl Fn(f64) -> String + Copy,
    max: f64,
) {
    let columns = weeks_since_labels();
    let row_label = |row: usize| {
        if row + 1 == FREQUENCY_ROWS {
            format!("{row}+ repeat")
        } else {
            format!("{row} repeat")
        }
    };
    let csv = || {
        let mut out =
            String::from("repeat_purchases,weeks_since_last_purchase,average,customers\n");
        for (row, (values, counts)) in matrix.values.iter().zip(&matrix.counts).enumerate() {
            for ((value, count), column) in values.iter().zip(counts).zip(&columns) {
                let value = value.map(|v| format!("{v:.4}")).unwrap_or_default();
                out.push_str(&format!("{},{column},{value},{count}\n", row_label(row)));
            }
        }
        out
    };
    let dark = ui.visuals().dark_mode;
    chart_frame(ui, title, reading, csv, actions, None, |ui| {
        egui::Grid::new(title).spacing(vec2(10.0, 3.0)).show(ui, |ui| {
            ui.label(RichText::new("Bought again / last purchase").strong());
            for column in &columns {
                ui.label(RichText::new(column).strong());
            }
            ui.end_row();
            for (row, (values, counts)) in matrix.values.iter().zip(&matrix.counts).enumerate() {
                ui.label(row_label(row));
                for ((value, count), column) in values.iter().zip(counts).zip(&columns) {
                    match value {
                        Some(v) => cell_ui(
                            ui,
                            &format(*v),
                            heat(*v, max, dark),
                            &format!(
                                "{} customers with {} purchases, last one {column} ago: {} on average.",
                                count,
                                row_label(row),
                                format(*v)
                            ),
                        ),
                        None => cell_ui(ui, "", ui.visuals().faint_bg_color, "No customers here."),
                    }
                }
                ui.end_row();
            }
        });
        heat_legend_ui(ui, max, format);
    });
}

fn backtest_ui(
    ui: &mut egui::Ui,
    view: &mut ChartsViewState,
    run: &RunOverview,
    reset: Option<&'static str>,
) {
    let Some(test) = &run.summary.backtest else {
        chart_frame(
            ui,
            "Does the model predict well?",
            "Not enough history yet to test the model on past orders: it needs about six months.",
            String::new,
            &mut view.actions,
            None,
            |_| {},
        );
        return;
    };
    let unit = if test.period_days == 7.0 {
        "weeks"
    } else {
        "days"
    };
    let reading = backtest_reading(test, unit);
    let csv = || {
        let mut out =
            format!("{unit}_after_calibration_end,actual_cumulative,predicted_cumulative\n");
        for (k, (a, p)) in test.actual.iter().zip(&test.predicted).enumerate() {
            out.push_str(&format!("{},{a:.0},{p:.1}\n", k + 1));
        }
        out
    };
    let since = test
        .calibration_end
        .map_or_else(String::new, |d| format!(" {}", d.format("%-d %b %Y")));
    chart_frame(
        ui,
        "Does the model predict well?",
        &reading,
        csv,
        &mut view.actions,
        Some("backtest"),
        |ui| {
            let line = |values: &[f64]| -> PlotPoints {
                std::iter::once([0.0, 0.0])
                    .chain(values.iter().enumerate().map(|(k, v)| [(k + 1) as f64, *v]))
                    .collect()
            };
            plot("backtest", reset)
                .x_axis_label(format!(
                    "{} after{since} (the model saw only orders before)",
                    capitalised(unit)
                ))
                .y_axis_label("Repeat purchases, cumulative")
                .show(ui, |plot_ui| {
                    plot_ui.line(
                        Line::new("What happened", line(&test.actual))
                            .color(Color32::from_rgb(40, 40, 40))
                            .width(2.0),
                    );
                    plot_ui.line(
                        Line::new(
                            format!("{} predicted", test.model_label),
                            line(&test.predicted),
                        )
                        .color(Color32::from_rgb(214, 39, 40))
                        .style(egui_plot::LineStyle::dashed_loose())
                        .width(2.0),
                    );
                    plot_ui.vline(VLine::new("Calibration end", 0.0).color(Color32::GRAY));
                });
        },
    );
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn backtest_reading(test: &BacktestCurve, unit: &str) -> String {
    let actual = test.actual.last().copied().unwrap_or(0.0);
    let predicted = test.predicted.last().copied().unwrap_or(0.0);
    let when = test.calibration_end.map_or_else(String::new, |d| {
        format!(" before {}", d.format("%-d %b %Y"))
    });
    format!(
        "Fitted only on the orders{when}, {} predicted {predicted:.0} repeat purchases in the next {} {unit}; {actual:.0} happened ({:+.1}%).",
        test.model_label,
        test.actual.len(),
        test.error_pct
    )
}

fn segments_ui(
    ui: &mut egui::Ui,
    actions: &mut ChartActions,
    insights: &Insights,
    currency: Currency,
    horizon_months: f64,
) {
    let groups = &insights.by_segment;
    let total_customers: u64 = groups.iter().map(|g| g.customers).sum();
    let total_clv: f64 = groups.iter().map(|g| g.clv).sum();
    let reading = match groups.iter().max_by(|a, b| a.clv.total_cmp(&b.clv)) {
        Some(top) if total_clv > 0.0 && total_customers > 0 => format!(
            "{} ({:.0}% of your customers) are expected to bring {:.0}% of the value of all your customers over the next {horizon_months:.0} months. Hover a name for the rule.",
            top.segment,
            100.0 * top.customers as f64 / total_customers as f64,
            100.0 * top.clv / total_clv
        ),
        _ => "Segments appear once customers have bought.".to_owned(),
    };
    group_table_ui(
        ui,
        actions,
        GroupTableText {
            title: "Which groups of customers matter most?",
            reading: &reading,
            group_heading: "Segment",
        },
        groups,
        currency,
        |name| crate::clv::segments::Segment::from_label(name).map_or("", |s| s.rule()),
    );
}

fn acquisition_ui(
    ui: &mut egui::Ui,
    actions: &mut ChartActions,
    insights: &Insights,
    currency: Currency,
) {
    let per_customer = |g: &GroupValue| g.clv / g.customers.max(1) as f64;
    let channels = &insights.by_channel;
    if channels.len() > 1 {
        let best = channels
            .iter()
            .max_by(|a, b| per_customer(a).total_cmp(&per_customer(b)));
        let reading = best.map_or_else(String::new, |best| {
            format!(
                "Customers who first bought through “{}” are expected to be worth {} each, the most of any channel.",
                best.segment,
                money(per_customer(best), currency)
            )
        });
        group_table_ui(
            ui,
            actions,
            GroupTableText {
                title: "Where do your valuable customers come from?",
                reading: &reading,
                group_heading: "First order via",
            },
            channels,
            currency,
            |_| "",
        );
    }
    let codes = &insights.by_first_code;
    if codes.iter().any(|g| g.segment != NO_CODE) {
        let without = codes.iter().find(|g| g.segment == NO_CODE);
        let top_code = codes.iter().find(|g| g.segment != NO_CODE);
        let reading = match (top_code, without) {
            (Some(code), Some(none)) => format!(
                "Customers whose first order used {} are expected to be worth {} each; those who paid full price, {}.",
                code.segment,
                money(per_customer(code), currency),
                money(per_customer(none), currency)
            ),
            _ => "How customers won with a discount code compare.".to_owned(),
        };
        group_table_ui(
            ui,
            actions,
            GroupTableText {
                title: "Do discount codes bring good customers?",
                reading: &reading,
                group_heading: "First order's code",
            },
            codes,
            currency,
            |_| "",
        );
    }
}

/// A table of groups of customers with their count, spend so far and expected value, and
/// a bar of the expected value per customer.
/// The words around a table of groups.
struct GroupTableText<'a> {
    title: &'a str,
    reading: &'a str,
    group_heading: &'a str,
}

fn group_table_ui(
    ui: &mut egui::Ui,
    actions: &mut ChartActions,
    text: GroupTableText<'_>,
    groups: &[GroupValue],
    currency: Currency,
    hover: impl Fn(&str) -> &'static str,
) {
    let csv = || {
        let mut out = format!(
            "group,customers,spent_so_far_{0},expected_value_{0},expected_value_per_customer_{0}\n",
            currency.code()
        );
        for g in groups {
            out.push_str(&format!(
                "{},{},{:.2},{:.2},{:.2}\n",
                g.segment.replace(',', " "),
                g.customers,
                g.revenue,
                g.clv,
                g.clv / g.customers.max(1) as f64
            ));
        }
        out
    };
    let GroupTableText {
        title,
        reading,
        group_heading,
    } = text;
    let per_customer = |g: &GroupValue| g.clv / g.customers.max(1) as f64;
    let largest = groups
        .iter()
        .fold(0.0_f64, |m, g| m.max(per_customer(g)))
        .max(1e-9);
    let bar_colour = Color32::from_rgb(60, 130, 200);
    chart_frame(ui, title, reading, csv, actions, None, |ui| {
        egui::Grid::new(title)
            .spacing(vec2(14.0, 4.0))
            .show(ui, |ui| {
                for heading in [
                    group_heading,
                    "Customers",
                    "Spent so far",
                    "Expected value",
                    "Per customer",
                ] {
                    ui.label(RichText::new(heading).strong());
                }
                ui.end_row();
                for g in groups {
                    let rule = hover(&g.segment);
                    let name = ui.label(&g.segment);
                    if !rule.is_empty() {
                        name.on_hover_text(rule);
                    }
                    ui.label(crate::domain::group_thousands(g.customers));
                    ui.label(money(g.revenue, currency));
                    ui.label(money(g.clv, currency));
                    ui.horizontal(|ui| {
                        let (rect, _) = ui.allocate_exact_size(vec2(200.0, 14.0), Sense::hover());
                        let width =
                            rect.width() * (per_customer(g) / largest).clamp(0.0, 1.0) as f32;
                        ui.painter().rect_filled(
                            egui::Rect::from_min_size(rect.min, vec2(width, rect.height())),
                            2.0,
                            bar_colour,
                        );
                        ui.label(money(per_customer(g), currency));
                    });
                    ui.end_row();
                }
            });
    });
}
