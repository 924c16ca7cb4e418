//! Import: choose or drop files, check the preview (what was recognised, the orders exactly
//! as they will be stored, what will be skipped and why), change what was guessed, import,
//! read the report, and undo from the history.

use chrono::{DateTime, Local};
use egui::RichText;

use crate::app::{AppState, Command, Preview, PreviewChange};
use crate::domain::{format_money, group_thousands};
use crate::import::{DateOrder, DecimalSeparator, Field, PresetId, StagedImport};

use super::widgets::{empty_state_ui, first_steps_ui, plural};

/// Rows of the staged orders shown in the preview table.
const PREVIEW_ROWS: usize = 20;

/// View-local state: the undo confirmation and the exchange-rate field.
#[derive(Debug, Default)]
pub struct ImportViewState {
    confirm_undo: Option<(i64, String, i64, i64)>,
    rate_text: String,
}

/// The import view.
pub fn import_ui(ui: &mut egui::Ui, state: &mut AppState, view: &mut ImportViewState) {
    let Some(snapshot) = state.snapshot() else {
        return;
    };
    let imports = snapshot.imports.clone();
    let database_empty = snapshot.overview.is_empty();
    let busy = state.running_job().is_some();

    ui.horizontal(|ui| {
        if ui
            .add_enabled(
                !busy,
                egui::Button::new(RichText::new("Import orders…").strong()),
            )
            .on_hover_text("Ctrl+O")
            .clicked()
        {
            state.push(Command::ChooseImportFiles);
        }
        ui.label("or drag your export files onto this window.");
    });
    ui.weak("Shopify, Square, Stripe, PayPal, Etsy, WooCommerce, Amazon, eBay, QuickBooks and Online Retail exports are recognised; any other spreadsheet works with the columns you choose.");
    if state.import.queued() > 0 {
        ui.label(format!(
            "{} waiting after this one.",
            plural(state.import.queued() as u64, "file", "files")
        ));
    }
    ui.add_space(10.0);

    match &state.import.preview {
        Preview::Empty => {
            if database_empty {
                empty_state_ui(
                    ui,
                    "No orders yet",
                    "Export your orders from your shop system (for Shopify: Orders, then Export, then CSV) and import the file here. Nothing is saved until you have checked the preview.",
                );
                first_steps_ui(ui, state);
            }
        }
        Preview::Staging => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Reading the file…");
            });
        }
        Preview::Writing => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Importing… you can keep working; the progress is at the bottom.");
            });
        }
        Preview::Failed {
            message,
            columns,
            needs_rate,
        } => {
            let (message, columns, needs_rate) = (message.clone(), columns.clone(), *needs_rate);
            failed_ui(ui, state, view, &message, &columns, needs_rate);
        }
        Preview::Ready(staged) => {
            let staged = staged.clone();
            preview_ui(ui, state, &staged);
        }
    }

    if let Some(report) = state.import.last_report.clone() {
        ui.add_space(10.0);
        egui::Frame::group(ui.style())
            .inner_margin(egui::Margin::same(12))
            .show(ui, |ui| {
                ui.set_max_width(760.0);
                let title = if report.failed {
                    format!("{} was not imported", report.file_name)
                } else {
                    format!("Imported {}", report.file_name)
                };
                ui.label(RichText::new(title).size(17.0).strong());
                for line in &report.lines {
                    if report.failed {
                        ui.colored_label(ui.visuals().error_fg_color, line);
                    } else {
                        ui.label(line);
                    }
                }
                if !report.failed && ui.button("See the dashboard").clicked() {
                    state.push(Command::Navigate(crate::app::View::Dashboard));
                }
            });
    }

    ui.add_space(14.0);
    history_ui(ui, view, &imports, busy);
    undo_confirmation_ui(ui, state, view);
}

fn preview_ui(ui: &mut egui::Ui, state: &mut AppState, staged: &StagedImport) {
    let report = &staged.report;
    let orders = staged.orders.len() + staged.refunds_for_other_orders.len();
    ui.label(
        RichText::new(format!("Preview of {}", staged.file_name))
            .size(17.0)
            .strong(),
    );
    ui.weak(
        "Nothing is saved until you press Import. Change anything that was recognised wrongly.",
    );
    ui.add_space(4.0);
    ui.label(
        RichText::new(format!(
            "{} read: {}, {}, {}, {}, worth {} in all.",
            plural(report.rows_read, "row", "rows"),
            plural(orders as u64, "order", "orders"),
            plural(report.customers, "customer", "customers"),
            plural(report.guest_orders, "guest order", "guest orders"),
            plural(report.refunds, "refund", "refunds"),
            format_money(report.net_total_minor, staged.stored_currency)
        ))
        .strong(),
    );
    ui.horizontal(|ui| {
        let ready = !staged.date_order_ambiguous && state.running_job().is_none();
        let text = format!("Import {}", plural(orders as u64, "order", "orders"));
        let button = ui.add_enabled(ready, egui::Button::new(RichText::new(text).strong()));
        let button = if staged.date_order_ambiguous {
            button.on_disabled_hover_text("Choose how the dates are written first.")
        } else {
            button
        };
        if button.clicked() {
            state.push(Command::ConfirmImport);
        }
        if ui.button("Skip this file").clicked() {
            state.push(Command::SkipImportFile);
        }
    });
    ui.add_space(6.0);
    decisions_ui(ui, state, staged);

    let open_columns = staged.preset == PresetId::Generic;
    egui::CollapsingHeader::new("Columns used")
        .default_open(open_columns)
        .show(ui, |ui| columns_ui(ui, state, staged));

    if report.layout_rows > 0 {
        ui.weak(format!(
            "{} around the table (titles, totals, footers) were left out.",
            plural(report.layout_rows, "layout row", "layout rows")
        ));
    }
    for (reason, stat) in &report.skipped {
        ui.label(format!(
            "{} skipped: {}. For example {}.",
            plural(stat.rows, "row", "rows"),
            reason.text(),
            stat.examples.join("; ")
        ));
    }
    for warning in &report.warnings {
        ui.colored_label(ui.visuals().warn_fg_color, warning);
    }
    ui.add_space(6.0);
    orders_table_ui(ui, staged);
}

/// What was recognised: platform, text format, date order, decimal separator, currency.
fn decisions_ui(ui: &mut egui::Ui, state: &mut AppState, staged: &StagedImport) {
    egui::Grid::new("import-decisions")
        .num_columns(2)
        .spacing([16.0, 6.0])
        .show(ui, |ui| {
            let label = ui.label("Platform");
            let current = staged.preset;
            let mut chosen = current;
            egui::ComboBox::from_id_salt("preset")
                .selected_text(preset_text(staged))
                .width(260.0)
                .show_ui(ui, |ui| {
                    for preset in PresetId::ALL {
                        ui.selectable_value(&mut chosen, preset, preset.label());
                    }
                })
                .response
                .labelled_by(label.id);
            if chosen != current {
                state.push(Command::ChangePreview(PreviewChange::Preset(Some(chosen))));
            }
            ui.end_row();

            ui.label("File");
            ui.label(format!(
                "{} text, {}",
                staged.encoding.label().to_uppercase(),
                staged.layout.describe()
            ));
            ui.end_row();

            let label = ui.label("Dates");
            let mut order = staged.date_order;
            ui.horizontal(|ui| {
                egui::ComboBox::from_id_salt("date-order")
                    .selected_text(if staged.date_order_ambiguous {
                        "Choose…"
                    } else {
                        order.example()
                    })
                    .width(260.0)
                    .show_ui(ui, |ui| {
                        for o in [DateOrder::Dmy, DateOrder::Mdy, DateOrder::Ymd] {
                            // While ambiguous every choice is a real decision, even the default.
                            let selected = order == o && !staged.date_order_ambiguous;
                            if ui.selectable_label(selected, o.example()).clicked() {
                                order = o;
                                state.push(Command::ChangePreview(PreviewChange::DateOrder(o)));
                            }
                        }
                    })
                    .response
                    .labelled_by(label.id);
                if staged.date_order_ambiguous {
                    ui.colored_label(
                    ui.visuals().warn_fg_color,
                    "Every date in this file could be read both ways: choose how they are written.",
                );
                }
            });
            ui.end_row();

            let label = ui.label("Amounts");
            let mut decimal = staged.decimal;
            egui::ComboBox::from_id_salt("decimal")
                .selected_text(decimal_text(decimal))
                .width(260.0)
                .show_ui(ui, |ui| {
                    for d in [DecimalSeparator::Dot, DecimalSeparator::Comma] {
                        ui.selectable_value(&mut decimal, d, decimal_text(d));
                    }
                })
                .response
                .labelled_by(label.id);
            if decimal != staged.decimal {
                state.push(Command::ChangePreview(PreviewChange::Decimal(decimal)));
            }
            ui.end_row();

            ui.label("Currency");
            ui.label(staged.stored_currency.code());
            ui.end_row();
        });
}

fn preset_text(staged: &StagedImport) -> String {
    if staged.variant.is_empty() {
        staged.preset.label().to_owned()
    } else {
        format!("{} ({})", staged.preset.label(), staged.variant)
    }
}

fn decimal_text(decimal: DecimalSeparator) -> &'static str {
    match decimal {
        DecimalSeparator::Dot => "1,234.56 (decimal point)",
        DecimalSeparator::Comma => "1.234,56 (decimal comma)",
    }
}

/// The column chosen for each field, two fields per row; changing one reads the file again.
fn columns_ui(ui: &mut egui::Ui, state: &mut AppState, staged: &StagedImport) {
    let names = &staged.header.names;
    egui::Grid::new("import-columns")
        .num_columns(4)
        .spacing([16.0, 4.0])
        .show(ui, |ui| {
            for pair in Field::MAPPABLE.chunks(2) {
                for field in pair {
                    let field = *field;
                    let label = ui.label(field.label());
                    let current = staged.mapping.get(field);
                    let mut chosen = current;
                    let text = current
                        .and_then(|c| names.get(c))
                        .map_or_else(|| "— not in the file —".to_owned(), Clone::clone);
                    egui::ComboBox::from_id_salt(("column", field.key()))
                        .selected_text(text)
                        .width(200.0)
                        .show_ui(ui, |ui| {
                            ui.selectable_value(&mut chosen, None, "— not in the file —");
                            for (i, name) in names.iter().enumerate() {
                                ui.selectable_value(&mut chosen, Some(i), name);
                            }
                        })
                        .response
                        .labelled_by(label.id);
                    if chosen != current {
                        let column = chosen.and_then(|c| names.get(c).cloned());
                        state.push(Command::ChangePreview(PreviewChange::Column(field, column)));
                    }
                }
                ui.end_row();
            }
        });
}

/// The first orders exactly as they will be stored.
fn orders_table_ui(ui: &mut egui::Ui, staged: &StagedImport) {
    let currency = staged.stored_currency;
    egui::Grid::new("import-orders")
        .striped(true)
        .num_columns(5)
        .spacing([20.0, 4.0])
        .show(ui, |ui| {
            for title in ["Order", "Date", "Customer"] {
                ui.strong(title);
            }
            money_cell_ui(ui, RichText::new("Paid").strong());
            money_cell_ui(ui, RichText::new("Net").strong());
            ui.end_row();
            let all = staged
                .orders
                .iter()
                .chain(staged.refunds_for_other_orders.iter().map(|r| &r.entry));
            for order in all.take(PREVIEW_ROWS) {
                ui.label(&order.external_id);
                ui.label(order.local_date.format("%-d %b %Y").to_string());
                let who = &order.customer;
                let customer = who
                    .name
                    .clone()
                    .or_else(|| who.email.clone())
                    .or_else(|| who.username.clone())
                    .or_else(|| who.platform_id.clone())
                    .unwrap_or_else(|| "Guest".to_owned());
                ui.label(customer);
                money_cell_ui(
                    ui,
                    format_money(order.gross_cents - order.discount_cents, currency),
                );
                money_cell_ui(ui, format_money(order.net_cents(), currency));
                ui.end_row();
            }
        });
    let shown = (staged.orders.len() + staged.refunds_for_other_orders.len()).min(PREVIEW_ROWS);
    let total = staged.orders.len() + staged.refunds_for_other_orders.len();
    if total > shown {
        ui.weak(format!(
            "The first {shown} of {} orders.",
            group_thousands(total as u64)
        ));
    }
}

/// An amount, right-aligned in its grid cell so the digits line up.
fn money_cell_ui(ui: &mut egui::Ui, text: impl Into<egui::WidgetText>) {
    ui.allocate_ui_with_layout(
        egui::vec2(MONEY_CELL_WIDTH, ui.spacing().interact_size.y),
        egui::Layout::right_to_left(egui::Align::Center),
        |ui| {
            ui.label(text);
        },
    );
}

/// Width of an amount column in the preview table.
const MONEY_CELL_WIDTH: f32 = 100.0;

fn failed_ui(
    ui: &mut egui::Ui,
    state: &mut AppState,
    view: &mut ImportViewState,
    message: &str,
    columns: &[String],
    needs_rate: bool,
) {
    egui::Frame::group(ui.style())
        .inner_margin(egui::Margin::same(12))
        .show(ui, |ui| {
            ui.set_max_width(760.0);
            ui.label(
                RichText::new("This file cannot be imported as it is")
                    .size(17.0)
                    .strong(),
            );
            ui.colored_label(ui.visuals().error_fg_color, message);
            if needs_rate {
                ui.horizontal(|ui| {
                    let label =
                        ui.label("Exchange rate (how many of your currency for one of the file's)");
                    ui.add(egui::TextEdit::singleline(&mut view.rate_text).desired_width(80.0))
                        .labelled_by(label.id);
                    let rate = view
                        .rate_text
                        .trim()
                        .replace(',', ".")
                        .parse::<f64>()
                        .ok()
                        .filter(|r| *r > 0.0);
                    if ui
                        .add_enabled(rate.is_some(), egui::Button::new("Convert and read again"))
                        .clicked()
                    {
                        state.push(Command::ChangePreview(PreviewChange::Rate(rate)));
                    }
                });
            }
            if !columns.is_empty() {
                ui.add_space(4.0);
                ui.label("Tell CLV Desk which column holds what:");
                egui::Grid::new("missing-columns")
                    .num_columns(2)
                    .show(ui, |ui| {
                        for field in [Field::Date, Field::Total, Field::OrderId, Field::Email] {
                            let label = ui.label(field.label());
                            let mut chosen: Option<usize> = None;
                            egui::ComboBox::from_id_salt(("fix-column", field.key()))
                                .selected_text("Choose a column…")
                                .width(240.0)
                                .show_ui(ui, |ui| {
                                    for (i, name) in columns.iter().enumerate() {
                                        ui.selectable_value(&mut chosen, Some(i), name);
                                    }
                                })
                                .response
                                .labelled_by(label.id);
                            if let Some(name) = chosen.and_then(|c| columns.get(c)) {
                                state.push(Command::ChangePreview(PreviewChange::Column(
                                    field,
                                    Some(name.clone()),
                                )));
                            }
                            ui.end_row();
                        }
                    });
            }
            if ui.button("Skip this file").clicked() {
                state.push(Command::SkipImportFile);
            }
        });
}

fn history_ui(
    ui: &mut egui::Ui,
    view: &mut ImportViewState,
    imports: &[crate::store::stats::ImportSummary],
    busy: bool,
) {
    ui.label(RichText::new("Import history").size(17.0).strong());
    if imports.is_empty() {
        ui.label("No imports yet.");
        return;
    }
    egui::Grid::new("import-history")
        .striped(true)
        .num_columns(5)
        .spacing([24.0, 6.0])
        .show(ui, |ui| {
            for title in ["When", "File", "Orders", "Customers", ""] {
                ui.strong(title);
            }
            ui.end_row();
            for import in imports {
                ui.label(local_time(import.started_utc));
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
                match import.undone_utc {
                    Some(at) => {
                        ui.weak(format!("Undone {}", local_time(at)));
                    }
                    None => {
                        let button = ui
                            .add_enabled(!busy, egui::Button::new("Undo"))
                            .on_hover_text(format!(
                                "Remove what importing {} added or changed",
                                import.file_name
                            ));
                        if button.clicked() {
                            view.confirm_undo = Some((
                                import.id,
                                import.file_name.clone(),
                                import.orders_created,
                                import.orders_updated,
                            ));
                        }
                    }
                }
                ui.end_row();
            }
        });
}

fn undo_confirmation_ui(ui: &mut egui::Ui, state: &mut AppState, view: &mut ImportViewState) {
    let Some((id, file_name, created, updated)) = view.confirm_undo.clone() else {
        return;
    };
    let response = egui::Modal::new(egui::Id::unique("undo-import")).show(ui.ctx(), |ui| {
        ui.set_max_width(440.0);
        ui.heading(format!("Undo the import of {file_name}?"));
        ui.label(format!(
            "This removes the {} it added and puts the {} it changed back as they were. Customers it created are removed if nothing else refers to them.",
            plural(created.unsigned_abs(), "order", "orders"),
            plural(updated.unsigned_abs(), "order", "orders")
        ));
        ui.horizontal(|ui| {
            if ui.button("Undo import").clicked() {
                state.push(Command::UndoImport(id, file_name.clone()));
                view.confirm_undo = None;
            }
            if ui.button("Keep it").clicked() {
                view.confirm_undo = None;
            }
        });
    });
    if response.should_close() {
        view.confirm_undo = None;
    }
}

fn local_time(utc_seconds: i64) -> String {
    DateTime::from_timestamp(utc_seconds, 0)
        .map(|t| {
            t.with_timezone(&Local)
                .format("%-d %b %Y %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}
