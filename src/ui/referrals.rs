//! Referrals: the program's report (what referred customers bring, with ranges), every
//! referral with its status (record one by hand, review the flagged ones), and the codes
//! and rules — one tab each.
//!
//! Everything shown comes from [`crate::app::referrals`], read in the background and
//! cached; the view only lays it out and pushes [`ReferralCommand`]s.

mod list;
mod report;
mod rules;

use egui::RichText;

use crate::app::referrals::{READING_REFERRALS_LABEL, ReferralCommand};
use crate::app::{AppState, Command};
use crate::domain::{Currency, format_money_rounded, share_percent};

use super::widgets::{empty_state_ui, first_steps_ui};

/// The referrals view's tabs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ReferralsTab {
    /// The figures and the chart.
    #[default]
    Report,
    /// Every referral, recording and review.
    List,
    /// Codes and rules.
    Rules,
}

impl ReferralsTab {
    /// Every tab in order.
    pub const ALL: [ReferralsTab; 3] = [
        ReferralsTab::Report,
        ReferralsTab::List,
        ReferralsTab::Rules,
    ];

    /// The tab's short name on the command line (`clv-desk screenshot --tab`).
    pub fn slug(self) -> &'static str {
        match self {
            ReferralsTab::Report => "report",
            ReferralsTab::List => "list",
            ReferralsTab::Rules => "rules",
        }
    }

    /// The tab with this short name.
    pub fn from_slug(slug: &str) -> Option<ReferralsTab> {
        ReferralsTab::ALL.into_iter().find(|t| t.slug() == slug)
    }

    /// The tab's button text (also how tests find it).
    pub fn label(self) -> &'static str {
        match self {
            ReferralsTab::Report => "What referrals bring",
            ReferralsTab::List => "All referrals",
            ReferralsTab::Rules => "Codes and rules",
        }
    }
}

/// What the referrals view remembers between frames.
#[derive(Debug, Default)]
pub struct ReferralsViewState {
    tab: ReferralsTab,
    list: list::ListViewState,
    rules: rules::RulesForm,
}

impl ReferralsViewState {
    /// Shows `tab` (the screenshot command's `--tab`).
    pub fn show_tab(&mut self, tab: ReferralsTab) {
        self.tab = tab;
    }
}

/// The referrals view.
pub fn referrals_ui(ui: &mut egui::Ui, state: &mut AppState, view: &mut ReferralsViewState) {
    let Some(snapshot) = state.snapshot() else {
        return;
    };
    let db_path = snapshot.db_path.clone();
    let no_orders = snapshot.overview.is_empty();
    let data = state
        .referrals
        .data
        .clone()
        .filter(|d| d.db_path == db_path);
    if no_orders && data.is_none() {
        empty_state_ui(
            ui,
            "No referrals yet",
            "Customers who bring friends are tracked here: give everyone a referral code, \
             record referrals by hand or let coupon codes in your imports record them, and \
             see what referred customers are worth. Import your orders (or explore the demo \
             shop, which comes with sample referrals) to start.",
        );
        first_steps_ui(ui, state);
        return;
    }
    if state.referrals_need_read() {
        state.push(Command::Referrals(ReferralCommand::Refresh));
    }
    let Some(data) = data else {
        reading_ui(ui, state);
        return;
    };
    if !state.referrals_is_current() {
        ui.label(
            RichText::new("Bringing the referrals up to date with the latest changes…")
                .small()
                .color(ui.visuals().weak_text_color()),
        );
    }
    notice_ui(ui, state);
    ui.horizontal(|ui| {
        for tab in ReferralsTab::ALL {
            ui.selectable_value(&mut view.tab, tab, tab.label());
        }
    });
    ui.separator();
    match view.tab {
        ReferralsTab::Report => report::report_ui(ui, &data),
        ReferralsTab::List => list::list_ui(ui, state, &mut view.list, &data),
        ReferralsTab::Rules => rules::rules_ui(ui, state, &mut view.rules, &data),
    }
}

/// While the referrals are read for the first time.
fn reading_ui(ui: &mut egui::Ui, state: &AppState) {
    ui.horizontal(|ui| {
        ui.spinner();
        let words = match state.running_job() {
            Some(job) if job.label == READING_REFERRALS_LABEL => "Reading the referrals…",
            Some(_) => "The referrals are shown once the work below has finished…",
            None => "Reading the referrals…",
        };
        ui.label(words);
    });
}

/// The last write's outcome, until dismissed.
fn notice_ui(ui: &mut egui::Ui, state: &mut AppState) {
    let Some(notice) = state.referrals.notice.clone() else {
        return;
    };
    ui.horizontal(|ui| {
        if notice.is_error {
            ui.colored_label(ui.visuals().error_fg_color, &notice.text);
        } else {
            ui.label(RichText::new(&notice.text).strong());
        }
        if ui.small_button("Dismiss").clicked() {
            state.push(Command::Referrals(ReferralCommand::DismissNotice));
        }
    });
    ui.add_space(4.0);
}

/// Cents as money, rounded to whole units.
fn money(cents: f64, currency: Currency) -> String {
    format_money_rounded(cents, currency)
}

/// A share as a percentage (one decimal where a whole number would say 0% or 100%).
fn percent(share: f64) -> String {
    share_percent(share)
}

/// Sets the accessible name of a widget (a screen reader reads it; tests find it by it).
fn name_widget(ui: &egui::Ui, response: &egui::Response, name: &str) {
    let name = name.to_owned();
    ui.ctx()
        .accesskit_node_builder(response.id, |node| node.set_label(name));
}

/// A labelled one-line text field, named for screen readers and tests.
fn field(ui: &mut egui::Ui, text: &mut String, name: &str, hint: &str, width: f32) {
    ui.label(name);
    let response = ui.add(
        egui::TextEdit::singleline(text)
            .hint_text(hint)
            .desired_width(width),
    );
    name_widget(ui, &response, name);
}
