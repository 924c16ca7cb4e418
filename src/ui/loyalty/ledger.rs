//! The points ledger for audit: every entry ever written (the ledger is append-only), with
//! filters (customer, kind, days, text), a virtualised table, and "Export ledger as CSV…".

use chrono::NaiveDate;
use egui_extras::{Column, TableBuilder};

use crate::app::loyalty::{LEDGER_ROWS_SHOWN, LoyaltyCommand, LoyaltyData};
use crate::app::{AppState, Command};
use crate::domain::{CustomerId, group_thousands};
use crate::programs::loyalty::EntryKind;
use crate::store::loyalty::{LedgerFilter, LedgerRow};

use super::{drawable, name_widget};

/// The filters as typed.
#[derive(Debug, Default)]
pub struct LedgerViewState {
    customer: String,
    kind: Option<EntryKind>,
    from: String,
    to: String,
    text: String,
}

/// The kind in words.
pub fn kind_label(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::Earn => "Earned on an order",
        EntryKind::Clawback => "Taken back (refund)",
        EntryKind::Birthday => "Birthday bonus",
        EntryKind::TierChange => "Tier change",
        EntryKind::Expire => "Expired",
        EntryKind::Adjust => "Adjusted by hand",
        EntryKind::Redeem => "Redeemed",
        EntryKind::Referral => "Referral",
    }
}

impl LedgerViewState {
    /// The typed filters as a ledger filter, or what is wrong with them.
    fn filter(&self) -> Result<LedgerFilter, String> {
        let day = |text: &str, what: &str| -> Result<Option<NaiveDate>, String> {
            let text = text.trim();
            if text.is_empty() {
                return Ok(None);
            }
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| format!("{what} must be a day like 2025-03-31."))
        };
        let customer = match self.customer.trim() {
            "" => None,
            text => Some(CustomerId(text.trim_start_matches('#').parse().map_err(
                |_| "Customer must be a customer number, e.g. 42.".to_owned(),
            )?)),
        };
        Ok(LedgerFilter {
            customer,
            kinds: self.kind.into_iter().collect(),
            from: day(&self.from, "From")?,
            to: day(&self.to, "To")?,
            text: self.text.trim().to_owned(),
            limit: None,
        })
    }
}

/// The ledger tab.
pub fn ledger_ui(
    ui: &mut egui::Ui,
    state: &mut AppState,
    view: &mut LedgerViewState,
    data: &LoyaltyData,
) {
    ui.label(
        "Every change to anyone's points, oldest first. Entries are never edited or deleted: \
         a correction is a new entry, so this is a complete audit trail.",
    );
    let filter = view.filter();
    filters_ui(ui, view);
    let busy = state.running_job().is_some();
    let page = state.loyalty.ledger.clone();
    ui.horizontal(|ui| {
        match &filter {
            Ok(filter) => {
                if ui
                    .add_enabled(!busy, egui::Button::new("Apply filters"))
                    .clicked()
                {
                    state.push(Command::Loyalty(LoyaltyCommand::FilterLedger(
                        filter.clone(),
                    )));
                }
            }
            Err(problem) => {
                ui.colored_label(ui.visuals().error_fg_color, problem);
            }
        }
        if ui
            .add_enabled(!busy, egui::Button::new("Clear filters"))
            .clicked()
        {
            *view = LedgerViewState::default();
            state.push(Command::Loyalty(LoyaltyCommand::FilterLedger(
                LedgerFilter::default(),
            )));
        }
        let rows = page.as_ref().map_or(0, |p| p.rows.len());
        if ui
            .add_enabled(
                rows > 0 && !busy && !state.dialog_is_open(),
                egui::Button::new("Export ledger as CSV…"),
            )
            .on_hover_text(
                "Saves every entry the filters shown below select as a CSV file that opens in \
                 Excel or LibreOffice.",
            )
            .clicked()
        {
            state.push(Command::Loyalty(LoyaltyCommand::ChooseLedgerCsv));
        }
    });
    let Some(page) = page else {
        ui.spinner();
        return;
    };
    let count = group_thousands(page.rows.len() as u64);
    ui.label(if page.truncated {
        format!(
            "Showing the first {} entries; narrow the filters to see the rest (the export has them all).",
            group_thousands(u64::from(LEDGER_ROWS_SHOWN))
        )
    } else if page.rows.is_empty() && !data.stored.active {
        "No entries: the ledger fills once the program is active.".to_owned()
    } else if page.rows.len() == 1 {
        "1 entry.".to_owned()
    } else {
        format!("{count} entries.")
    });
    table_ui(ui, &page.rows);
}

fn filters_ui(ui: &mut egui::Ui, view: &mut LedgerViewState) {
    ui.horizontal_wrapped(|ui| {
        let edit = |ui: &mut egui::Ui, text: &mut String, name: &str, hint: &str, width: f32| {
            ui.label(name);
            let r = ui.add(
                egui::TextEdit::singleline(text)
                    .hint_text(hint)
                    .desired_width(width),
            );
            name_widget(ui, &r, &format!("Ledger filter: {name}"));
        };
        edit(ui, &mut view.customer, "Customer", "number", 80.0);
        let kind_label_response = ui.label("Kind");
        egui::ComboBox::from_id_salt("ledger-kind")
            .selected_text(view.kind.map_or("All kinds", kind_label))
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut view.kind, None, "All kinds");
                for kind in EntryKind::ALL {
                    ui.selectable_value(&mut view.kind, Some(kind), kind_label(kind));
                }
            })
            .response
            .labelled_by(kind_label_response.id);
        edit(ui, &mut view.from, "From", "YYYY-MM-DD", 130.0);
        edit(ui, &mut view.to, "To", "YYYY-MM-DD", 130.0);
        edit(ui, &mut view.text, "Text", "order, reason, voucher", 200.0);
    });
}

fn table_ui(ui: &mut egui::Ui, rows: &[LedgerRow]) {
    let row_height = ui.spacing().interact_size.y;
    TableBuilder::new(ui)
        .id_salt("loyalty-ledger")
        .striped(true)
        .max_scroll_height(460.0)
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
        .column(Column::initial(90.0).at_least(80.0))
        .column(Column::initial(170.0).at_least(80.0).clip(true))
        .column(Column::initial(140.0).at_least(80.0).clip(true))
        .column(Column::initial(70.0).at_least(50.0))
        .column(Column::initial(260.0).at_least(100.0).clip(true))
        .column(Column::initial(140.0).at_least(80.0).clip(true))
        .column(Column::remainder().at_least(100.0).clip(true))
        .header(row_height + 4.0, |mut header| {
            for (title, help) in [
                ("Day", "The day the entry counts from."),
                ("Customer", "Who the points belong to (number in brackets)."),
                ("Kind", "What happened."),
                ("Points", "Points added (positive) or taken (negative)."),
                ("Why", "The reason, as written by the rules or by you."),
                (
                    "Reference",
                    "The order, birthday, tier change or voucher it is about.",
                ),
                ("Voucher", "The code given for a redeemed reward."),
            ] {
                header.col(|ui| {
                    ui.strong(title).on_hover_text(help);
                });
            }
        })
        .body(|body| {
            body.rows(row_height, rows.len(), |mut row| {
                let Some(entry) = rows.get(row.index()) else {
                    return;
                };
                for cell in cells(entry) {
                    row.col(|ui| {
                        ui.add(egui::Label::new(cell).truncate());
                    });
                }
            });
        });
}

fn cells(entry: &LedgerRow) -> [String; 7] {
    [
        entry.effective_date.clone(),
        format!("{} (#{})", entry.customer_name, entry.customer.0),
        kind_label(entry.kind).to_owned(),
        if entry.points > 0 {
            format!("+{}", entry.points)
        } else {
            entry.points.to_string()
        },
        drawable(&entry.reason),
        entry.source_ref.clone().unwrap_or_default(),
        entry.voucher_code.clone().unwrap_or_default(),
    ]
}
