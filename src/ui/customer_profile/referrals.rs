//! The customer profile's referrals section: the customer's referral code, who referred
//! them (with the referral's status) and the friends they brought (status, what each has
//! spent, the rewards that stand). A file of its own so the profile's other sections can
//! grow beside it without touching it.

use egui::RichText;

use crate::app::referrals::status_label;
use crate::app::{AppState, Command};
use crate::domain::{Currency, format_money};
use crate::store::referrals::{CustomerReferrals, ReferralRow, ReferredFriend};

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
    // One wrapped entry per friend, not a table: the profile is a narrow panel beside the
    // customers table, and a row of five columns (the rewards in words) would widen it
    // over the table.
    for friend in &referrals.friends {
        let row = &friend.referral;
        ui.horizontal_wrapped(|ui| {
            if ui
                .link(format!("{} (#{})", row.friend_name, row.friend))
                .on_hover_text("Open their profile.")
                .clicked()
            {
                state.push(Command::SelectCustomer(Some(row.friend)));
            }
            ui.label(friend_words(friend, currency))
                .on_hover_text(&row.reason);
        });
    }
}

/// "referred on 2026-11-24, rewarded; spent $45.50 so far; rewards: 200 points to the
/// referrer; 100 points to the friend."
fn friend_words(friend: &ReferredFriend, currency: Currency) -> String {
    let row = &friend.referral;
    let rewards = if row.rewards.is_empty() {
        "none"
    } else {
        row.rewards.as_str()
    };
    format!(
        "referred on {}, {}; spent {} so far; rewards: {}.",
        row.referred_date,
        status_words(row),
        format_money(friend.revenue_cents, currency),
        rewards.trim_end_matches('.')
    )
}

/// The status in words, lower case: "rewarded", "waiting".
fn status_words(referral: &ReferralRow) -> String {
    status_label(referral.status).to_lowercase()
}
