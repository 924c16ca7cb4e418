//! The customer profile's referrals section: the customer's referral code, who referred
//! them (with the referral's status) and the friends they brought (status, what each has
//! spent, the rewards that stand). A file of its own so the profile's other sections can
//! grow beside it without touching it.

use egui::RichText;

use crate::app::referrals::status_label;
use crate::app::{AppState, Command};
use crate::domain::{Currency, format_money};
use crate::store::referrals::{CustomerReferrals, ReferralRow};

use super::super::widgets::plural;

/// The referrals section of the open profile (nothing until they have been read).
pub fn referrals_ui(ui: &mut egui::Ui, state: &mut AppState, currency: Currency) {
    let Some(referrals) = state.profile.open_referrals().cloned() else {
        return;
    };
    ui.add_space(8.0);
    ui.label(RichText::new("Referrals").strong());
    match &referrals.code {
        Some(code) => ui.label(format!("Referral code: {code}")),
        None => ui.label(
            "No referral code yet: create codes for everyone under Referrals, Codes and rules.",
        ),
    };
    referred_by_ui(ui, state, referrals.referred_by.as_ref());
    friends_ui(ui, state, &referrals, currency);
}

/// "Referred by Ann Archer (#3) on 2025-06-01: rewarded." with a link to open them.
fn referred_by_ui(ui: &mut egui::Ui, state: &mut AppState, referral: Option<&ReferralRow>) {
    let Some(referral) = referral else {
        ui.label("Nobody referred them.");
        return;
    };
    ui.label(format!(
        "Referred by {} (#{}) on {}: {}.",
        referral.referrer_name,
        referral.referrer,
        referral.referred_date,
        status_words(referral)
    ))
    .on_hover_text(&referral.reason);
    if ui
        .link(format!("Open {}", referral.referrer_name))
        .on_hover_text("Open the profile of the customer who referred them.")
        .clicked()
    {
        state.push(Command::SelectCustomer(Some(referral.referrer)));
    }
}

/// The friends they brought, one row each, with the total they spent.
fn friends_ui(
    ui: &mut egui::Ui,
    state: &mut AppState,
    referrals: &CustomerReferrals,
    currency: Currency,
) {
    if referrals.friends.is_empty() {
        ui.label("They have not brought any friends yet.");
        return;
    }
    let spent: i64 = referrals.friends.iter().map(|f| f.revenue_cents).sum();
    ui.label(format!(
        "They brought {}, who have spent {} so far:",
        plural(referrals.friends.len() as u64, "friend", "friends"),
        format_money(spent, currency)
    ));
    egui::Grid::new("profile-referrals")
        .striped(true)
        .num_columns(5)
        .show(ui, |ui| {
            for title in ["Friend", "Day", "Status", "Spent so far", "Rewards"] {
                ui.strong(title);
            }
            ui.end_row();
            for friend in &referrals.friends {
                let row = &friend.referral;
                if ui
                    .link(format!("{} (#{})", row.friend_name, row.friend))
                    .on_hover_text("Open their profile.")
                    .clicked()
                {
                    state.push(Command::SelectCustomer(Some(row.friend)));
                }
                ui.label(&row.referred_date);
                ui.label(status_words(row)).on_hover_text(&row.reason);
                ui.label(format_money(friend.revenue_cents, currency));
                ui.label(if row.rewards.is_empty() {
                    "none"
                } else {
                    &row.rewards
                });
                ui.end_row();
            }
        });
}

/// The status in words, lower case: "rewarded", "waiting".
fn status_words(referral: &ReferralRow) -> String {
    status_label(referral.status).to_lowercase()
}
