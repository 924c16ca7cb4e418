//! The codes and rules tab: create a referral code for every customer, export the codes
//! as CSV or print them (an A4 PDF list), and the rules form (for each side loyalty points
//! or a voucher for a reward of the loyalty catalogue; minimum first order, refund window,
//! cap, burst check) with validation and Save.

use egui::RichText;

use crate::app::referrals::{ReferralCommand, ReferralData};
use crate::app::{AppState, Command};
use crate::domain::{Currency, group_thousands};
use crate::programs::loyalty::Reward;
use crate::programs::referral::ReferralRules;

use super::name_widget;

/// The rules as typed, and the saved rules they started from.
#[derive(Debug, Default, PartialEq)]
pub struct RulesForm {
    base: Option<ReferralRules>,
    /// The catalogue reward the referrer gets as a voucher; `None`: points.
    referrer_voucher: Option<i64>,
    referrer_points: String,
    /// The catalogue reward the friend gets as a voucher; `None`: points.
    friend_voucher: Option<i64>,
    friend_points: String,
    min_first_order: String,
    refund_window_days: String,
    cap: String,
    cap_period_days: String,
    burst_count: String,
    burst_days: String,
}

impl RulesForm {
    /// The form filled with `rules`.
    fn from_rules(rules: &ReferralRules, currency: Currency) -> RulesForm {
        let unit = currency.minor_per_major() as f64;
        RulesForm {
            base: Some(rules.clone()),
            referrer_voucher: rules.referrer_reward_id,
            referrer_points: rules.referrer_points.to_string(),
            friend_voucher: rules.friend_reward_id,
            friend_points: rules.friend_points.to_string(),
            min_first_order: format!("{}", rules.min_first_order_cents as f64 / unit),
            refund_window_days: rules.refund_window_days.to_string(),
            cap: rules
                .cap_per_referrer
                .map_or_else(String::new, |c| c.to_string()),
            cap_period_days: rules.cap_period_days.to_string(),
            burst_count: rules.burst_count.to_string(),
            burst_days: rules.burst_days.to_string(),
        }
    }

    /// The typed rules, or every problem with them in words. A side given a voucher gets
    /// no points; `catalogue` is the loyalty catalogue's active rewards.
    fn rules(
        &self,
        currency: Currency,
        catalogue: &[Reward],
    ) -> Result<ReferralRules, Vec<String>> {
        let mut problems = Vec::new();
        let mut whole = |text: &str, what: &str| -> u32 {
            text.trim().parse::<u32>().unwrap_or_else(|_| {
                problems.push(format!("{what} must be a whole number, 0 or more."));
                0
            })
        };
        let referrer_points = match self.referrer_voucher {
            None => whole(&self.referrer_points, "Points for the referrer"),
            Some(_) => 0,
        };
        let friend_points = match self.friend_voucher {
            None => whole(&self.friend_points, "Points for the friend"),
            Some(_) => 0,
        };
        let refund_window_days = whole(&self.refund_window_days, "The refund window");
        let cap_period_days = whole(&self.cap_period_days, "The cap's period");
        let burst_count = whole(&self.burst_count, "The burst count");
        let burst_days = whole(&self.burst_days, "The burst days");
        let cap = match self.cap.trim() {
            "" => None,
            text => Some(whole(text, "The cap")),
        };
        let min = self.min_first_order.trim().replace(',', ".");
        let min_first_order_cents = match min.parse::<f64>() {
            Ok(v) if v.is_finite() && v >= 0.0 => {
                (v * currency.minor_per_major() as f64).round() as i64
            }
            _ => {
                problems.push("The minimum first order must be an amount, 0 or more.".to_owned());
                0
            }
        };
        for (voucher, who) in [
            (self.referrer_voucher, "referrer"),
            (self.friend_voucher, "friend"),
        ] {
            if let Some(id) = voucher
                && !catalogue.iter().any(|r| r.id == Some(id))
            {
                problems.push(format!(
                    "The {who}'s reward is no longer in the loyalty catalogue; choose another."
                ));
            }
        }
        let rules = ReferralRules {
            referrer_points: i64::from(referrer_points),
            friend_points: i64::from(friend_points),
            referrer_reward_id: self.referrer_voucher,
            friend_reward_id: self.friend_voucher,
            min_first_order_cents,
            refund_window_days,
            cap_per_referrer: cap,
            cap_period_days,
            burst_count,
            burst_days,
        };
        if let Err(found) = rules.validate() {
            problems.extend(found.into_iter().map(|p| p.message));
        }
        if problems.is_empty() {
            Ok(rules)
        } else {
            Err(problems)
        }
    }
}

/// The codes and rules tab.
pub fn rules_ui(
    ui: &mut egui::Ui,
    state: &mut AppState,
    form: &mut RulesForm,
    data: &ReferralData,
) {
    codes_ui(ui, state, data);
    ui.separator();
    if form.base.as_ref() != Some(&data.rules) {
        *form = RulesForm::from_rules(&data.rules, data.currency);
    }
    rules_form_ui(ui, state, form, data);
}

/// The code counts and buttons.
fn codes_ui(ui: &mut egui::Ui, state: &mut AppState, data: &ReferralData) {
    ui.label(RichText::new("Referral codes").strong());
    ui.label(format!(
        "{} customers have a referral code. A friend who types a code as the coupon on their \
         first order is recorded as referred by the code's owner at the next import.",
        group_thousands(data.codes as u64)
    ));
    let busy = state.running_job().is_some();
    ui.horizontal(|ui| {
        if ui
            .add_enabled(!busy, egui::Button::new("Create codes for everyone"))
            .on_hover_text("Gives every customer who has no code yet a code of their own.")
            .clicked()
        {
            state.push(Command::Referrals(ReferralCommand::CreateCodes));
        }
        if ui
            .add_enabled(
                data.codes > 0 && !busy && !state.dialog_is_open(),
                egui::Button::new("Export codes as CSV…"),
            )
            .on_hover_text("Saves every customer's code, name and e-mail for a mailing.")
            .clicked()
        {
            state.push(Command::Referrals(ReferralCommand::ChooseCodesCsv));
        }
        if ui
            .add_enabled(
                data.codes > 0 && !busy && !state.dialog_is_open(),
                egui::Button::new("Print codes…"),
            )
            .on_hover_text(
                "Saves an A4 PDF listing every customer's name, code and e-mail, ready to print.",
            )
            .clicked()
        {
            state.push(Command::Referrals(ReferralCommand::ChoosePrintCodes));
        }
    });
}

/// The rules form with its problems and Save.
fn rules_form_ui(
    ui: &mut egui::Ui,
    state: &mut AppState,
    form: &mut RulesForm,
    data: &ReferralData,
) {
    ui.label(RichText::new("Rules").strong());
    ui.label(
        "A referral is rewarded once the friend's first order is big enough and the refund \
         window has passed without a refund. Each side gets loyalty points or a voucher for \
         a reward of your loyalty catalogue; both are written in the loyalty ledger.",
    );
    catalogue_note_ui(ui, data);
    let code = data.currency.code();
    egui::Grid::new("referral-rules")
        .num_columns(2)
        .show(ui, |ui| {
            gift_row(ui, &mut form.referrer_voucher, "Referrer's reward", data);
            if form.referrer_voucher.is_none() {
                row(
                    ui,
                    &mut form.referrer_points,
                    "Points for the referrer",
                    "points",
                );
            }
            gift_row(ui, &mut form.friend_voucher, "Friend's reward", data);
            if form.friend_voucher.is_none() {
                row(
                    ui,
                    &mut form.friend_points,
                    "Points for the friend",
                    "points",
                );
            }
            row(ui, &mut form.min_first_order, "Minimum first order", code);
            row(ui, &mut form.refund_window_days, "Refund window", "days");
            row(
                ui,
                &mut form.cap,
                "Most rewarded referrals per referrer",
                "empty: no cap",
            );
            row(ui, &mut form.cap_period_days, "Cap period", "days");
            row(
                ui,
                &mut form.burst_count,
                "Flag more referrals than",
                "referrals",
            );
            row(ui, &mut form.burst_days, "Within", "days (0: no check)");
        });
    let rules = form.rules(data.currency, &data.catalogue);
    let changed = rules.as_ref().is_ok_and(|r| *r != data.rules);
    if let Err(problems) = &rules {
        for problem in problems {
            ui.colored_label(ui.visuals().error_fg_color, problem);
        }
    } else if changed {
        ui.label("Your changes are not saved yet.");
    }
    let saved = RulesForm::from_rules(&data.rules, data.currency);
    let edited = *form != saved;
    let busy = state.running_job().is_some();
    ui.horizontal(|ui| {
        if ui
            .add_enabled(changed && !busy, egui::Button::new("Save rules"))
            .on_hover_text("Saves the rules and judges every referral again under them.")
            .clicked()
            && let Ok(rules) = rules
        {
            state.push(Command::Referrals(ReferralCommand::SaveRules(rules)));
        }
        if ui
            .add_enabled(edited, egui::Button::new("Undo changes"))
            .on_hover_text("Puts the saved rules back in the form.")
            .clicked()
        {
            *form = saved;
        }
    });
}

/// Why the vouchers list is empty or may not be used yet, when it is.
fn catalogue_note_ui(ui: &mut egui::Ui, data: &ReferralData) {
    let note = if data.catalogue.is_empty() {
        "Your loyalty catalogue has no rewards yet, so referrals can give points only. \
         Add rewards under Loyalty to give a voucher instead."
    } else if !data.loyalty_active {
        "Your loyalty program is switched off: points and vouchers are still recorded in \
         the ledger, and customers can use them once you switch it on under Loyalty."
    } else {
        return;
    };
    ui.label(
        RichText::new(note)
            .small()
            .color(ui.visuals().weak_text_color()),
    );
}

/// The words for a side's gift: "Loyalty points" or "Voucher: Free drink".
fn gift_text(voucher: Option<i64>, catalogue: &[Reward]) -> String {
    match voucher {
        None => "Loyalty points".to_owned(),
        Some(id) => catalogue.iter().find(|r| r.id == Some(id)).map_or_else(
            || format!("Voucher: reward number {id} (no longer in the catalogue)"),
            |r| format!("Voucher: {}", r.name),
        ),
    }
}

/// A rules-grid row choosing what one side gets: points, or a catalogue reward as a voucher.
fn gift_row(ui: &mut egui::Ui, voucher: &mut Option<i64>, name: &str, data: &ReferralData) {
    let label = ui.label(name);
    egui::ComboBox::from_id_salt(name)
        .selected_text(gift_text(*voucher, &data.catalogue))
        .width(260.0)
        .show_ui(ui, |ui| {
            ui.selectable_value(voucher, None, gift_text(None, &data.catalogue));
            for reward in &data.catalogue {
                let text = format!(
                    "{} (worth {} points)",
                    gift_text(reward.id, &data.catalogue),
                    group_thousands(reward.points_cost.max(0) as u64)
                );
                ui.selectable_value(voucher, reward.id, text);
            }
        })
        .response
        .labelled_by(label.id);
    ui.end_row();
}

/// One labelled field of the rules grid: the name in the first column, the field and its
/// unit in the second, so every field lines up whatever the length of its name.
fn row(ui: &mut egui::Ui, text: &mut String, name: &str, unit: &str) {
    ui.label(name);
    ui.horizontal(|ui| {
        let response = ui.add(
            egui::TextEdit::singleline(text)
                .hint_text(unit)
                .desired_width(90.0),
        );
        name_widget(ui, &response, name);
        ui.label(RichText::new(unit).small());
    });
    ui.end_row();
}
