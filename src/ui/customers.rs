//! Customers: every customer in one table that stays smooth at 500,000 rows — search as
//! you type, sort by any column, filter by segment or "slipping away", export what is
//! shown — with the segments' sizes and value above it.
//!
//! The rows come from [`crate::app::customer_table`], read in the background; a frame only
//! lays out the rows on screen (`egui_extras` virtualises the rest).

use egui::RichText;
use egui_extras::{Column, TableBuilder};

use crate::app::customer_table::{CustomerQuery, CustomerTable, SortColumn};
use crate::app::{AppState, Command, LOADING_CUSTOMERS_LABEL};
use crate::clv::segments::Segment;
use crate::domain::customer::CustomerValueRow;
use crate::domain::{
    Currency, EstimateFormat, format_money, format_money_rounded, group_thousands,
};

use super::customer_profile::{ProfileDraft, duplicates_ui, profile_ui};
use super::widgets::{empty_state_ui, first_steps_ui};

/// The hint in the search box (also how tests find it).
pub const SEARCH_HINT: &str = "Search name, e-mail, phone or number";

/// What the customers view remembers between frames.
#[derive(Debug, Default)]
pub struct CustomersViewState {
    /// The search box as typed.
    search: String,
    /// The open profile's edits being typed.
    profile: ProfileDraft,
}

/// The customers view.
pub fn customers_ui(ui: &mut egui::Ui, state: &mut AppState, view: &mut CustomersViewState) {
    let Some(snapshot) = state.snapshot() else {
        return;
    };
    let currency = snapshot.settings.currency;
    if snapshot.overview.customers == 0 {
        empty_state_ui(
            ui,
            "No customers yet",
            "Customers appear here after your first import: everyone who ordered with a name, \
             e-mail or customer number. Guest orders are counted but not listed.",
        );
        first_steps_ui(ui, state);
        return;
    }
    let Some(table) = state.customers.table.clone() else {
        reading_ui(ui, state);
        return;
    };
    if !state.customers_table_is_current() {
        ui.label(
            RichText::new("The table is being brought up to date with the latest import…")
                .small()
                .color(ui.visuals().weak_text_color()),
        );
    }
    if state.profile.open.is_some() || state.profile.reading.is_some() {
        // At most 60% of the width, so the table beside it keeps room for its columns.
        let max_width = (ui.available_width() * 0.6).max(320.0);
        egui::Panel::right("customer-profile")
            .resizable(true)
            .default_size(440.0_f32.min(max_width))
            .min_size(320.0)
            .max_size(max_width)
            .show(ui, |ui| profile_ui(ui, state, &mut view.profile, currency));
    }
    controls_ui(ui, state, view, &table);
    segments_ui(ui, state, &table, currency);
    duplicates_ui(ui, state);
    ui.add_space(4.0);
    // Narrower than the columns (a profile open beside it): the table scrolls sideways.
    egui::ScrollArea::horizontal()
        .id_salt("customers-table-sideways")
        .show(ui, |ui| table_ui(ui, state, &table, currency));
}

/// While the table is read for the first time.
fn reading_ui(ui: &mut egui::Ui, state: &AppState) {
    ui.horizontal(|ui| {
        ui.spinner();
        let words = match state.running_job() {
            Some(job) if job.label == LOADING_CUSTOMERS_LABEL => "Reading your customers…",
            Some(_) => "Your customers are listed here once the work below has finished…",
            None => "Reading your customers…",
        };
        ui.label(words);
    });
}

/// Search box, segment and "slipping away" filters, the count shown, and the export.
fn controls_ui(
    ui: &mut egui::Ui,
    state: &mut AppState,
    view: &mut CustomersViewState,
    table: &CustomerTable,
) {
    let query = state.customers.query.clone();
    // A search set from elsewhere (a dashboard link) shows in the box; what the owner types
    // reaches the query right after the frame, so the two agree again on the next one.
    if view.search != query.text {
        view.search = query.text.clone();
    }
    ui.horizontal_wrapped(|ui| {
        let search = ui.add(
            egui::TextEdit::singleline(&mut view.search)
                .hint_text(SEARCH_HINT)
                .desired_width(280.0),
        );
        if search.changed() {
            state.push(Command::QueryCustomers(CustomerQuery {
                text: view.search.clone(),
                ..query.clone()
            }));
        }
        if state.customers.is_searching() {
            ui.spinner();
            ui.label("Searching…");
        }
        let segment_label = ui.label("Segment");
        let mut segment = query.segment;
        egui::ComboBox::from_id_salt("customers-segment")
            .selected_text(segment.map_or("All segments", Segment::label))
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut segment, None, "All segments");
                for total in &table.segment_totals {
                    ui.selectable_value(
                        &mut segment,
                        Some(total.segment),
                        format!(
                            "{} ({})",
                            total.segment.label(),
                            group_thousands(total.customers)
                        ),
                    )
                    .on_hover_text(total.segment.rule());
                }
            })
            .response
            .labelled_by(segment_label.id);
        if segment != query.segment {
            state.push(Command::QueryCustomers(CustomerQuery {
                segment,
                ..query.clone()
            }));
        }
        let mut at_risk_only = query.at_risk_only;
        if ui
            .checkbox(&mut at_risk_only, "Only valuable customers slipping away")
            .on_hover_text(
                "Customers among the best fifth by spending whose chance of still being active \
                 has fallen under 50%. They are worth a personal word before they are gone.",
            )
            .changed()
        {
            state.push(Command::QueryCustomers(CustomerQuery {
                at_risk_only,
                ..query.clone()
            }));
        }
    });
    let shown = state.customers.visible.len() as u64;
    ui.horizontal(|ui| {
        let words = if query.filters() {
            format!(
                "Showing {} of {} customers.",
                group_thousands(shown),
                group_thousands(table.len() as u64)
            )
        } else {
            format!("{} customers.", group_thousands(table.len() as u64))
        };
        ui.label(words);
        if query.filters() && ui.button("Clear search and filters").clicked() {
            view.search.clear();
            state.push(Command::QueryCustomers(CustomerQuery {
                sort: query.sort,
                descending: query.descending,
                ..CustomerQuery::default()
            }));
        }
        let busy = state.running_job().is_some();
        if ui
            .add_enabled(
                shown > 0 && !busy,
                egui::Button::new("Export table as CSV…"),
            )
            .on_hover_text(format!(
                "Saves the {} customers shown, in this order, as a CSV file that opens in Excel \
                 or LibreOffice.",
                group_thousands(shown)
            ))
            .clicked()
        {
            state.push(Command::ChooseCustomersCsv);
        }
    });
}

/// Customers and value per segment; a click on a segment filters the table to it.
fn segments_ui(ui: &mut egui::Ui, state: &mut AppState, table: &CustomerTable, currency: Currency) {
    if table.segment_totals.is_empty() {
        return;
    }
    egui::CollapsingHeader::new("Segments: how many customers, what they are worth")
        .default_open(false)
        .show(ui, |ui| {
            egui::Grid::new("customer-segments")
                .striped(true)
                .num_columns(4)
                .show(ui, |ui| {
                    ui.strong("Segment");
                    ui.strong("Customers");
                    ui.strong("Spent so far");
                    ui.strong("Expected value");
                    ui.end_row();
                    for total in &table.segment_totals {
                        if ui
                            .link(total.segment.label())
                            .on_hover_text(format!("{} Click to list them.", total.segment.rule()))
                            .clicked()
                        {
                            state.push(Command::QueryCustomers(CustomerQuery {
                                segment: Some(total.segment),
                                ..state.customers.query.clone()
                            }));
                        }
                        ui.label(group_thousands(total.customers));
                        ui.label(format_money_rounded(total.revenue_cents as f64, currency));
                        ui.label(format_money_rounded(total.clv_cents, currency));
                        ui.end_row();
                    }
                });
        });
}

/// The virtualised table; clicking a heading sorts, clicking a row selects the customer.
fn table_ui(ui: &mut egui::Ui, state: &mut AppState, table: &CustomerTable, currency: Currency) {
    let query = state.customers.query.clone();
    let visible = &state.customers.visible;
    let selected = state.customers.selected;
    let mut clicked_row: Option<i64> = None;
    let mut clicked_heading: Option<SortColumn> = None;
    let row_height = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
    let loyalty = table.rows.first().is_some_and(|r| r.points.is_some());
    let columns: Vec<SortColumn> = SortColumn::ALL
        .into_iter()
        .filter(|c| loyalty || !matches!(c, SortColumn::Points | SortColumn::Tier))
        .collect();
    let mut builder = TableBuilder::new(ui)
        .id_salt("customers-table")
        .striped(true)
        .sense(egui::Sense::click())
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
        // Name and e-mail share what the figures leave, so every column fits the window
        // the app opens with (`FIRST_WINDOW_SIZE`), loyalty's two included, and a wider
        // window widens them.
        .column(Column::remainder().at_least(100.0).clip(true))
        .column(Column::remainder().at_least(60.0).clip(true))
        .column(Column::initial(55.0).at_least(50.0))
        .column(Column::initial(85.0).at_least(80.0))
        .column(Column::initial(85.0).at_least(80.0))
        .column(Column::initial(95.0).at_least(70.0))
        .column(Column::initial(170.0).at_least(90.0).clip(true))
        .column(Column::initial(80.0).at_least(70.0))
        .column(Column::initial(120.0).at_least(90.0).clip(true));
    if loyalty {
        builder = builder
            .column(Column::initial(60.0).at_least(50.0))
            .column(Column::initial(80.0).at_least(60.0).clip(true));
    }
    builder
        .header(row_height + 4.0, |mut header| {
            for column in columns.iter().copied() {
                header.col(|ui| {
                    let sorted = (query.sort == Some(column)).then_some(query.descending);
                    let help = match sorted {
                        Some(true) => format!("{} Sorted largest first.", heading_help(column)),
                        Some(false) => format!("{} Sorted smallest first.", heading_help(column)),
                        None => heading_help(column).to_owned(),
                    };
                    if ui
                        .add(egui::Button::new(RichText::new(column.label()).strong()).frame(false))
                        .on_hover_text(help)
                        .clicked()
                    {
                        clicked_heading = Some(column);
                    }
                    if let Some(descending) = sorted {
                        sort_arrow_ui(ui, descending);
                    }
                });
            }
        })
        .body(|body| {
            body.rows(row_height, visible.len(), |mut row| {
                let Some(customer) = visible
                    .get(row.index())
                    .and_then(|i| table.rows.get(*i as usize))
                else {
                    return;
                };
                row.set_selected(selected == Some(customer.id));
                let cells = row_cells(customer, currency);
                for cell in cells.into_iter().take(columns.len()) {
                    row.col(|ui| {
                        ui.add(egui::Label::new(cell).truncate().selectable(false));
                    });
                }
                if row.response().clicked() {
                    clicked_row = Some(customer.id);
                }
            });
        });
    if let Some(column) = clicked_heading {
        state.push(Command::QueryCustomers(query.sorted_by(column)));
    }
    if let Some(id) = clicked_row {
        state.push(Command::SelectCustomer(Some(id)));
    }
}

/// A small triangle after the sorted column's heading, pointing down when the largest
/// come first (painted: the bundled font has no arrow glyphs).
fn sort_arrow_ui(ui: &mut egui::Ui, descending: bool) {
    let size = egui::vec2(10.0, 10.0);
    let (rect, _) = ui.allocate_exact_size(size, egui::Sense::hover());
    let c = rect.center();
    let h = 3.5;
    let points = if descending {
        vec![
            egui::pos2(c.x - h, c.y - h * 0.6),
            egui::pos2(c.x + h, c.y - h * 0.6),
            egui::pos2(c.x, c.y + h * 0.8),
        ]
    } else {
        vec![
            egui::pos2(c.x - h, c.y + h * 0.6),
            egui::pos2(c.x + h, c.y + h * 0.6),
            egui::pos2(c.x, c.y - h * 0.8),
        ]
    };
    let colour = ui.visuals().strong_text_color();
    ui.painter().add(egui::Shape::convex_polygon(
        points,
        colour,
        egui::Stroke::NONE,
    ));
}

/// What a column means, on hover over its heading.
fn heading_help(column: SortColumn) -> &'static str {
    match column {
        SortColumn::Name => "Click to sort by name.",
        SortColumn::Email => "Click to sort by e-mail address.",
        SortColumn::Orders => "Orders placed (refunds not counted). Click to sort.",
        SortColumn::FirstOrder => "Day of the first order. Click to sort.",
        SortColumn::LastOrder => "Day of the latest order. Click to sort.",
        SortColumn::Revenue => "What they have paid you so far, after discounts and refunds.",
        SortColumn::Clv => {
            "Profit they are expected to bring over your horizon, in today's money, with the \
             range it most likely falls in (80%)."
        }
        SortColumn::PAlive => {
            "How likely it is that they still buy from you, judged from how often and how \
             recently they bought."
        }
        SortColumn::Segment => {
            "Group by how recently, how often and how much they bought. Hover a segment in the \
             filter for its rule."
        }
        SortColumn::Points => "Loyalty points they can spend now. Click to sort.",
        SortColumn::Tier => "Loyalty tier they are in today. Click to sort.",
    }
}

/// The texts of one row, in [`SortColumn::ALL`] order.
fn row_cells(customer: &CustomerValueRow, currency: Currency) -> [String; 11] {
    let score = customer.score.as_ref();
    // The expected value with its 80% range, both to the cent when whole units would make
    // the range one amount.
    let value = score.map_or_else(String::new, |s| {
        let (low, high) = (
            s.clv_low_cents.unwrap_or(f64::NAN),
            s.clv_high_cents.unwrap_or(f64::NAN),
        );
        let estimate = EstimateFormat::for_range(low, high, currency);
        let value = estimate.amount(s.predicted_clv_cents);
        if low.is_finite() && high.is_finite() {
            format!(
                "{value} ({}–{})",
                estimate.amount(low),
                estimate.amount(high)
            )
        } else {
            value
        }
    });
    [
        if customer.name.trim().is_empty() {
            format!("Customer #{}", customer.id)
        } else {
            customer.name.clone()
        },
        customer.email.clone().unwrap_or_default(),
        group_thousands(customer.orders),
        customer.first_order.clone().unwrap_or_default(),
        customer.last_order.clone().unwrap_or_default(),
        format_money(customer.revenue_cents, currency),
        value,
        score
            .and_then(|s| s.p_alive)
            .filter(|p| p.is_finite())
            .map_or_else(String::new, |p| format!("{:.0}%", p * 100.0)),
        score.and_then(|s| s.segment.clone()).unwrap_or_default(),
        customer
            .points
            .map_or_else(String::new, group_thousands_signed),
        customer.tier.clone().unwrap_or_default(),
    ]
}

/// `1,234` or `-50`.
fn group_thousands_signed(value: i64) -> String {
    let sign = if value < 0 { "-" } else { "" };
    format!("{sign}{}", group_thousands(value.unsigned_abs()))
}
