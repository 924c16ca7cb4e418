//! The referrals tab: the referrals waiting for review (approve, or reject with a reason),
//! "Record a referral…", every referral in a virtualised table, and the CSV export.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use egui::RichText;
use egui_extras::{Column, TableBuilder};

use crate::app::referrals::{ReferralCommand, ReferralData, parse_customer_ref, status_label};
use crate::app::{AppState, Command};
use crate::store::referrals::ReferralRow;

use super::{field, name_widget};

/// The typed "Record a referral" form and the rejection reasons.
#[derive(Debug, Default)]
pub struct ListViewState {
    recording: bool,
    referrer: String,
    friend: String,
    date: String,
    reasons: BTreeMap<i64, String>,
}

impl ListViewState {
    /// The typed referral as a command, or what is wrong with it.
    fn record_command(&self, today: NaiveDate) -> Result<ReferralCommand, String> {
        parse_customer_ref(&self.referrer).map_err(|e| format!("Referrer: {e}"))?;
        parse_customer_ref(&self.friend).map_err(|e| format!("Friend: {e}"))?;
        let date = match self.date.trim() {
            "" => today,
            text => NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map_err(|_| "The day must look like 2025-03-31.".to_owned())?,
        };
        if date > today {
            return Err("The day cannot be in the future.".to_owned());
        }
        Ok(ReferralCommand::Record {
            referrer: self.referrer.trim().to_owned(),
            friend: self.friend.trim().to_owned(),
            date,
        })
    }
}

/// The referrals tab.
pub fn list_ui(
    ui: &mut egui::Ui,
    state: &mut AppState,
    view: &mut ListViewState,
    data: &ReferralData,
) {
    review_ui(ui, state, view, data);
    record_ui(ui, state, view, data);
    ui.add_space(6.0);
    ui.horizontal(|ui| {
        ui.label(format!(
            "{} referrals, newest first.",
            crate::domain::group_thousands(data.referrals.len() as u64)
        ));
        let busy = state.running_job().is_some();
        if ui
            .add_enabled(
                !data.referrals.is_empty() && !busy && !state.dialog_is_open(),
                egui::Button::new("Export referrals as CSV…"),
            )
            .on_hover_text("Saves every referral as a CSV file that opens in Excel or LibreOffice.")
            .clicked()
        {
            state.push(Command::Referrals(ReferralCommand::ChooseReferralsCsv));
        }
    });
    table_ui(ui, &data.referrals);
}

/// The flagged referrals: approve, or reject with a reason.
fn review_ui(
    ui: &mut egui::Ui,
    state: &mut AppState,
    view: &mut ListViewState,
    data: &ReferralData,
) {
    let waiting: Vec<&ReferralRow> = data.in_review().collect();
    if waiting.is_empty() {
        return;
    }
    ui.label(
        RichText::new(format!(
            "{} your review: a fraud check flagged them, so no rewards are given until you \
             approve them.",
            match waiting.len() {
                1 => "1 referral needs".to_owned(),
                n => format!("{n} referrals need"),
            }
        ))
        .strong(),
    );
    let busy = state.running_job().is_some();
    for referral in waiting {
        ui.horizontal_wrapped(|ui| {
            ui.label(format!(
                "Number {}: {} (#{}) referred {} (#{}). Flagged: {}.",
                referral.id,
                referral.referrer_name,
                referral.referrer,
                referral.friend_name,
                referral.friend,
                referral.flags
            ));
        });
        ui.horizontal(|ui| {
            let approve = format!("Approve referral {}", referral.id);
            if ui.add_enabled(!busy, egui::Button::new(&approve)).clicked() {
                state.push(Command::Referrals(ReferralCommand::Approve(referral.id)));
            }
            let reason = view.reasons.entry(referral.id).or_default();
            let response = ui.add(
                egui::TextEdit::singleline(reason)
                    .hint_text("why it does not count")
                    .desired_width(220.0),
            );
            name_widget(
                ui,
                &response,
                &format!("Reason to reject referral {}", referral.id),
            );
            let has_reason = !reason.trim().is_empty();
            let reject = format!("Reject referral {}", referral.id);
            let clicked = ui
                .add_enabled(!busy && has_reason, egui::Button::new(&reject))
                .on_disabled_hover_text("A reason is required to reject a referral.")
                .clicked();
            if clicked {
                let reason = reason.trim().to_owned();
                state.push(Command::Referrals(ReferralCommand::Reject {
                    id: referral.id,
                    reason,
                }));
                view.reasons.remove(&referral.id);
            }
        });
    }
    ui.separator();
}

/// "Record a referral…" and its form.
fn record_ui(
    ui: &mut egui::Ui,
    state: &mut AppState,
    view: &mut ListViewState,
    data: &ReferralData,
) {
    if !view.recording {
        if ui
            .button("Record a referral…")
            .on_hover_text("Write down that one customer brought another, e.g. told in the shop.")
            .clicked()
        {
            view.recording = true;
        }
        return;
    }
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.label(
            "Type each customer's number or e-mail address. The friend's first order then \
             decides whether the referral is rewarded under your rules.",
        );
        ui.horizontal(|ui| {
            field(
                ui,
                &mut view.referrer,
                "Referrer",
                "number or e-mail",
                160.0,
            );
            field(ui, &mut view.friend, "Friend", "number or e-mail", 160.0);
            field(
                ui,
                &mut view.date,
                "Day of the referral",
                &data.today.to_string(),
                100.0,
            );
        });
        let command = view.record_command(data.today);
        let busy = state.running_job().is_some();
        ui.horizontal(|ui| {
            let ready = command.is_ok() && !busy;
            if ui
                .add_enabled(ready, egui::Button::new("Record referral"))
                .clicked()
                && let Ok(command) = command.clone()
            {
                state.push(Command::Referrals(command));
                *view = ListViewState {
                    reasons: std::mem::take(&mut view.reasons),
                    ..ListViewState::default()
                };
            }
            if ui.button("Cancel").clicked() {
                view.recording = false;
            }
            let typed = !view.referrer.trim().is_empty() || !view.friend.trim().is_empty();
            if let Err(problem) = &command
                && typed
            {
                ui.colored_label(ui.visuals().error_fg_color, problem);
            }
        });
    });
}

fn table_ui(ui: &mut egui::Ui, rows: &[ReferralRow]) {
    let row_height = ui.spacing().interact_size.y;
    TableBuilder::new(ui)
        .id_salt("referrals-table")
        .striped(true)
        .max_scroll_height(420.0)
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
        .column(Column::initial(40.0).at_least(36.0))
        .column(Column::initial(86.0).at_least(80.0))
        .column(Column::initial(140.0).at_least(80.0).clip(true))
        .column(Column::initial(140.0).at_least(80.0).clip(true))
        .column(Column::initial(120.0).at_least(70.0).clip(true))
        .column(Column::initial(135.0).at_least(80.0).clip(true))
        .column(Column::initial(230.0).at_least(100.0).clip(true))
        .column(Column::remainder().at_least(120.0).clip(true))
        .header(row_height + 4.0, |mut header| {
            for (title, help) in [
                ("No.", "The referral's number."),
                ("Day", "The day of the referral."),
                (
                    "Referrer",
                    "Who brought the friend (customer number in brackets).",
                ),
                ("Friend", "The customer who was brought."),
                (
                    "How",
                    "Recorded by hand, or found as a code on the friend's first order.",
                ),
                ("Status", "Where the referral stands."),
                (
                    "Rewards",
                    "The points and vouchers it gave that still stand (vouchers with their code).",
                ),
                (
                    "Why",
                    "The reason for the status, and what the fraud checks found, if anything. \
                     Hover a cell to read all of it.",
                ),
            ] {
                header.col(|ui| {
                    ui.strong(title).on_hover_text(help);
                });
            }
        })
        .body(|body| {
            body.rows(row_height, rows.len(), |mut row| {
                let Some(referral) = rows.get(row.index()) else {
                    return;
                };
                for cell in cells(referral) {
                    row.col(|ui| {
                        // A cut-off cell shows all of its text on hover.
                        ui.add(egui::Label::new(cell).truncate());
                    });
                }
            });
        });
}

fn cells(referral: &ReferralRow) -> [String; 8] {
    let how = match (referral.origin.as_str(), &referral.code) {
        ("coupon", Some(code)) => format!("Code {code}"),
        ("coupon", None) => "Code on an order".to_owned(),
        _ => "By hand".to_owned(),
    };
    let status = match referral.review_decision.as_deref() {
        Some("approved") => format!("{} (approved)", status_label(referral.status)),
        _ => status_label(referral.status).to_owned(),
    };
    let why = if referral.flags.is_empty() {
        referral.reason.clone()
    } else {
        format!("{}. Flagged: {}.", referral.reason, referral.flags)
    };
    [
        referral.id.to_string(),
        referral.referred_date.clone(),
        format!("{} (#{})", referral.referrer_name, referral.referrer),
        format!("{} (#{})", referral.friend_name, referral.friend),
        how,
        status,
        referral.rewards.clone(),
        why,
    ]
}
