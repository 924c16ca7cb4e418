//! Disputes: logging a complaint (for a customer found by name or number), moving it along
//! open, in progress, resolved or rejected (with the resolution and any goodwill), how
//! long they took to resolve, and whether customers came back after one as often as
//! similar customers without one.

use std::collections::BTreeMap;

use egui::RichText;

use crate::app::care::{CareCommand, CareData};
use crate::app::{AppState, Command, View};
use crate::domain::{Currency, format_money_rounded, group_thousands};
use crate::store::care::DisputeRow;

use super::name_widget;

/// What a dispute can be about.
pub const CATEGORIES: [&str; 6] = [
    "Late delivery",
    "Damaged",
    "Wrong item",
    "Billing",
    "Service",
    "Other",
];

/// What the disputes tab remembers between frames.
#[derive(Debug, Default)]
pub struct DisputesViewState {
    logging: bool,
    /// The customer's name or number as typed.
    customer: String,
    /// The customer picked (a number typed, or a name clicked among the matches).
    chosen: Option<i64>,
    /// Customers whose name contains the typed text: `(text, matches)`, kept until the
    /// text changes so the names are not searched every frame.
    found: (String, Vec<(i64, String)>),
    category: Option<usize>,
    description: String,
    closing: BTreeMap<i64, ClosingDraft>,
}

/// The resolution being typed for one dispute.
#[derive(Debug, Default)]
struct ClosingDraft {
    resolution: String,
    points: String,
    amount: String,
}

/// The disputes tab.
pub fn disputes_ui(
    ui: &mut egui::Ui,
    state: &mut AppState,
    view: &mut DisputesViewState,
    data: &CareData,
) {
    let busy = state.running_job().is_some();
    ui.label(format!(
        "Open disputes (not resolved or rejected yet): {}. {}",
        group_thousands(data.open_disputes() as u64),
        average_words(&data.disputes)
    ));
    ui.label(data.outcomes.after_disputes.words());
    if ui.button("Log a dispute…").clicked() {
        view.logging = !view.logging;
    }
    if view.logging {
        log_form_ui(ui, state, view, data, busy);
    }
    ui.separator();
    if data.disputes.is_empty() {
        ui.label("No disputes logged.");
    }
    for dispute in &data.disputes {
        dispute_ui(ui, state, view, dispute, data.currency, busy);
    }
}

/// "Closed disputes took 2.5 days on average to resolve." or nothing.
fn average_words(disputes: &[DisputeRow]) -> String {
    let days: Vec<f64> = disputes
        .iter()
        .filter_map(DisputeRow::days_to_resolve)
        .collect();
    if days.is_empty() {
        return String::new();
    }
    format!(
        "Closed disputes took {:.1} days on average from logging to closing.",
        days.iter().sum::<f64>() / days.len() as f64
    )
}

/// At most this many customers are offered for a typed name.
const MATCHES_SHOWN: usize = 6;

fn log_form_ui(
    ui: &mut egui::Ui,
    state: &mut AppState,
    view: &mut DisputesViewState,
    data: &CareData,
    busy: bool,
) {
    egui::Frame::group(ui.style()).show(ui, |ui| {
        customer_picker_ui(ui, view, data);
        ui.horizontal_wrapped(|ui| {
            ui.label("About:");
            for (n, category) in CATEGORIES.iter().enumerate() {
                ui.radio_value(&mut view.category, Some(n), *category);
            }
        });
        ui.label("What happened:");
        let r = ui.text_edit_multiline(&mut view.description);
        name_widget(ui, &r, "What happened");
        let category = view.category.and_then(|n| CATEGORIES.get(n));
        let ready = view.chosen.is_some() && category.is_some() && !busy;
        if ui
            .add_enabled(ready, egui::Button::new("Log dispute"))
            .clicked()
            && let (Some(customer), Some(category)) = (view.chosen, category)
        {
            state.push(Command::Care(CareCommand::OpenDispute {
                customer,
                category: (*category).to_owned(),
                description: view.description.trim().to_owned(),
            }));
            view.logging = false;
            view.customer.clear();
            view.chosen = None;
            view.category = None;
            view.description.clear();
        }
    });
}

/// Who the dispute is from: a customer number, or part of a name with the matching
/// customers to click.
fn customer_picker_ui(ui: &mut egui::Ui, view: &mut DisputesViewState, data: &CareData) {
    ui.horizontal(|ui| {
        ui.label("Customer (name or number):");
        let r = ui.text_edit_singleline(&mut view.customer);
        name_widget(ui, &r, "Customer name or number");
        if r.changed() {
            view.chosen = view
                .customer
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|id| data.customer_name(*id).is_some());
        }
    });
    let typed = view.customer.trim().to_owned();
    if let Some(id) = view.chosen {
        let name = data.customer_name(id).unwrap_or("");
        ui.label(format!("Customer: {name} (customer {id})"));
        return;
    }
    if typed.is_empty() {
        return;
    }
    if view.found.0 != typed {
        view.found = (
            typed.clone(),
            matching_customers(&data.customer_names, &typed),
        );
    }
    if view.found.1.is_empty() {
        ui.colored_label(
            ui.visuals().error_fg_color,
            "No customer has this number or a name containing it.",
        );
        return;
    }
    ui.horizontal_wrapped(|ui| {
        ui.label("Pick the customer:");
        for (id, name) in &view.found.1 {
            if ui.button(format!("{name} (customer {id})")).clicked() {
                view.chosen = Some(*id);
                view.customer = name.clone();
            }
        }
    });
}

/// Customers whose name contains `text` (ignoring case), at most [`MATCHES_SHOWN`]. Runs
/// on the UI thread once per change of the text, over every customer: names are only
/// lower-cased (an allocation each) when the text is not plain ASCII.
fn matching_customers(names: &[(i64, String)], text: &str) -> Vec<(i64, String)> {
    let wanted = text.to_lowercase();
    let contains = |name: &str| {
        if wanted.is_empty() {
            true
        } else if wanted.is_ascii() {
            name.as_bytes()
                .windows(wanted.len())
                .any(|w| w.eq_ignore_ascii_case(wanted.as_bytes()))
        } else {
            name.to_lowercase().contains(&wanted)
        }
    };
    names
        .iter()
        .filter(|(_, name)| contains(name))
        .take(MATCHES_SHOWN)
        .cloned()
        .collect()
}

fn status_words(status: &str) -> &'static str {
    match status {
        "open" => "Open",
        "in_progress" => "In progress",
        "resolved" => "Resolved",
        "rejected" => "Rejected",
        _ => "Unknown",
    }
}

fn dispute_ui(
    ui: &mut egui::Ui,
    state: &mut AppState,
    view: &mut DisputesViewState,
    dispute: &DisputeRow,
    currency: Currency,
    busy: bool,
) {
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.horizontal_wrapped(|ui| {
            ui.label(
                RichText::new(format!(
                    "Dispute {}: {} (customer {}), {} ({})",
                    dispute.id,
                    dispute.customer_name,
                    dispute.customer_id,
                    dispute.category,
                    status_words(&dispute.status)
                ))
                .strong(),
            );
            if ui
                .link(profile_link_text(dispute))
                .on_hover_text("Their orders, value, contact details and care history.")
                .clicked()
            {
                state.push(Command::Navigate(View::Customers));
                state.push(Command::SelectCustomer(Some(dispute.customer_id)));
            }
        });
        if !dispute.description.is_empty() {
            ui.label(&dispute.description);
        }
        match dispute.days_to_resolve() {
            Some(days) => {
                ui.label(closed_words(dispute, days, currency));
            }
            None => {
                flow_ui(ui, state, view, dispute, currency, busy);
            }
        }
    });
}

/// The link from a dispute to its customer's profile (unique per customer, so a test or a
/// screen reader can tell the links apart).
fn profile_link_text(dispute: &DisputeRow) -> String {
    format!("Open the profile of {}", dispute.customer_name)
}

fn closed_words(dispute: &DisputeRow, days: f64, currency: Currency) -> String {
    let mut words = format!(
        "{} after {days:.1} days: {}.",
        status_words(&dispute.status),
        dispute.resolution.trim().trim_end_matches('.')
    );
    if dispute.goodwill_points > 0 {
        words.push_str(&format!(
            " Goodwill: {} points.",
            group_thousands(dispute.goodwill_points as u64)
        ));
    }
    if dispute.goodwill_cents > 0 {
        words.push_str(&format!(
            " Goodwill refund: {}.",
            format_money_rounded(dispute.goodwill_cents as f64, currency)
        ));
    }
    words
}

/// Start, resolve or reject an open dispute.
fn flow_ui(
    ui: &mut egui::Ui,
    state: &mut AppState,
    view: &mut DisputesViewState,
    dispute: &DisputeRow,
    currency: Currency,
    busy: bool,
) {
    let id = dispute.id;
    let draft = view.closing.entry(id).or_default();
    ui.horizontal(|ui| {
        ui.label("Resolution, or why it is rejected:");
        let r = ui.text_edit_singleline(&mut draft.resolution);
        name_widget(ui, &r, &format!("Resolution of dispute {id}"));
    });
    ui.horizontal(|ui| {
        ui.label("Goodwill points:");
        let r = ui.text_edit_singleline(&mut draft.points);
        name_widget(ui, &r, &format!("Goodwill points for dispute {id}"));
        ui.label(format!("Goodwill refund ({}):", currency.code()));
        let r = ui.text_edit_singleline(&mut draft.amount);
        name_widget(ui, &r, &format!("Goodwill refund for dispute {id}"));
    });
    let points = whole_or_zero(&draft.points);
    let cents = amount_cents(&draft.amount, currency);
    if points.is_none() || cents.is_none() {
        ui.colored_label(
            ui.visuals().error_fg_color,
            "Goodwill is a number of points and an amount, zero or more.",
        );
    }
    let has_reason = !draft.resolution.trim().is_empty();
    let resolution = draft.resolution.trim().to_owned();
    ui.horizontal(|ui| {
        let start = ui.add_enabled(
            !busy && dispute.status == "open",
            egui::Button::new("Start"),
        );
        name_widget(ui, &start, &format!("Start dispute {id}"));
        if start.clicked() {
            push_update(state, id, "in_progress", String::new(), 0, 0);
        }
        let can_close = !busy && has_reason;
        let resolve = ui.add_enabled(
            can_close && points.is_some() && cents.is_some(),
            egui::Button::new("Resolve"),
        );
        name_widget(ui, &resolve, &format!("Resolve dispute {id}"));
        if resolve.clicked() {
            let (p, c) = (points.unwrap_or(0), cents.unwrap_or(0));
            push_update(state, id, "resolved", resolution.clone(), p, c);
            view.closing.remove(&id);
        }
        let reject = ui.add_enabled(can_close, egui::Button::new("Reject"));
        name_widget(ui, &reject, &format!("Reject dispute {id}"));
        if reject.clicked() {
            push_update(state, id, "rejected", resolution, 0, 0);
            view.closing.remove(&id);
        }
    });
}

fn push_update(
    state: &mut AppState,
    id: i64,
    status: &str,
    resolution: String,
    goodwill_points: i64,
    goodwill_cents: i64,
) {
    state.push(Command::Care(CareCommand::UpdateDispute {
        id,
        status: status.to_owned(),
        resolution,
        goodwill_points,
        goodwill_cents,
    }));
}

/// A whole number of zero or more; empty is zero.
fn whole_or_zero(text: &str) -> Option<i64> {
    let text = text.trim();
    if text.is_empty() {
        return Some(0);
    }
    text.parse::<i64>().ok().filter(|n| *n >= 0)
}

/// An amount in currency units as minor units; empty is zero.
fn amount_cents(text: &str, currency: Currency) -> Option<i64> {
    let text = text.trim().replace(',', ".");
    if text.is_empty() {
        return Some(0);
    }
    let units = text
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)?;
    Some((units * currency.minor_per_major() as f64).round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goodwill_amounts_read_as_minor_units() {
        assert_eq!(amount_cents("12,50", Currency::EUR), Some(1250));
        assert_eq!(amount_cents("", Currency::EUR), Some(0));
        assert_eq!(amount_cents("-1", Currency::EUR), None);
        assert_eq!(whole_or_zero("abc"), None);
    }

    #[test]
    fn customers_are_found_by_part_of_their_name() {
        let names: Vec<(i64, String)> = (1..=10)
            .map(|n| (n, format!("Anna Smith {n}")))
            .chain([(11, "Zoë Müller".to_owned())])
            .collect();
        assert_eq!(
            matching_customers(&names, "müll"),
            [(11, "Zoë Müller".to_owned())]
        );
        assert_eq!(matching_customers(&names, "ANNA").len(), MATCHES_SHOWN);
        assert!(matching_customers(&names, "Bob").is_empty());
    }
}
