//! Loyalty: the program's settings, a what-if replay of a draft on the past orders, the
//! members with their points and tiers (redeem a reward, adjust points), and the points
//! ledger for audit and export — one tab each.
//!
//! Everything shown comes from [`crate::app::loyalty`], read in the background and cached;
//! the view only lays it out and pushes [`LoyaltyCommand`]s.

mod ledger;
mod members;
mod program;
mod replay;

use egui::RichText;

use crate::app::loyalty::{LoyaltyCommand, LoyaltyData, READING_LOYALTY_LABEL};
use crate::app::{AppState, Command};
use crate::domain::{Currency, format_money_rounded, group_thousands};

use super::widgets::{empty_state_ui, first_steps_ui};

/// The loyalty view's tabs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LoyaltyTab {
    /// Earn rules, tiers, rewards, expiry.
    #[default]
    Program,
    /// The what-if replay.
    Replay,
    /// Members, redeem, adjust.
    Members,
    /// The points ledger.
    Ledger,
}

impl LoyaltyTab {
    /// Every tab in order.
    pub const ALL: [LoyaltyTab; 4] = [
        LoyaltyTab::Program,
        LoyaltyTab::Replay,
        LoyaltyTab::Members,
        LoyaltyTab::Ledger,
    ];

    /// The tab's short name on the command line (`clv-desk screenshot --tab`).
    pub fn slug(self) -> &'static str {
        match self {
            LoyaltyTab::Program => "program",
            LoyaltyTab::Replay => "replay",
            LoyaltyTab::Members => "members",
            LoyaltyTab::Ledger => "ledger",
        }
    }

    /// The tab with this short name.
    pub fn from_slug(slug: &str) -> Option<LoyaltyTab> {
        LoyaltyTab::ALL.into_iter().find(|t| t.slug() == slug)
    }

    /// The tab's button text (also how tests find it).
    pub fn label(self) -> &'static str {
        match self {
            LoyaltyTab::Program => "Program settings",
            LoyaltyTab::Replay => "Try it on past orders",
            LoyaltyTab::Members => "Members and rewards",
            LoyaltyTab::Ledger => "Points ledger",
        }
    }
}

/// What the loyalty view remembers between frames.
#[derive(Debug, Default)]
pub struct LoyaltyViewState {
    tab: LoyaltyTab,
    program: program::ProgramForm,
    members: members::MembersViewState,
    ledger: ledger::LedgerViewState,
}

impl LoyaltyViewState {
    /// Shows `tab` (the screenshot command's `--tab`).
    pub fn show_tab(&mut self, tab: LoyaltyTab) {
        self.tab = tab;
    }
}

/// The loyalty view.
pub fn loyalty_ui(ui: &mut egui::Ui, state: &mut AppState, view: &mut LoyaltyViewState) {
    let Some(snapshot) = state.snapshot() else {
        return;
    };
    let db_path = snapshot.db_path.clone();
    let no_customers = snapshot.overview.customers == 0;
    let no_orders = snapshot.overview.is_empty();
    let data = state.loyalty.data.clone().filter(|d| d.db_path == db_path);
    if no_orders && data.is_none() {
        empty_ui(ui, state);
        return;
    }
    if state.loyalty_needs_read() {
        state.push(Command::Loyalty(LoyaltyCommand::Refresh));
    }
    let Some(data) = data else {
        reading_ui(ui, state);
        return;
    };
    if !state.loyalty_is_current() {
        ui.label(
            RichText::new("Bringing the points up to date with the latest changes…")
                .small()
                .color(ui.visuals().weak_text_color()),
        );
    }
    program_state_ui(ui, &data, no_customers);
    ui.add_space(6.0);
    ui.horizontal(|ui| {
        for tab in LoyaltyTab::ALL {
            ui.selectable_value(&mut view.tab, tab, tab.label());
        }
    });
    ui.separator();
    match view.tab {
        LoyaltyTab::Program => program::program_ui(ui, state, &mut view.program, &data),
        LoyaltyTab::Replay => replay::replay_ui(ui, state, &mut view.program, &data),
        LoyaltyTab::Members => members::members_ui(ui, state, &mut view.members, &data),
        LoyaltyTab::Ledger => ledger::ledger_ui(ui, state, &mut view.ledger, &data),
    }
}

/// An empty database: the ways to get data in, or setting the program up first.
fn empty_ui(ui: &mut egui::Ui, state: &mut AppState) {
    empty_state_ui(
        ui,
        "No loyalty members yet",
        "Customers earn points, climb tiers and redeem rewards here. Import your orders (or \
         explore the demo shop, which comes with a sample program) to see what a program \
         would give them — or set the program up now and import later.",
    );
    first_steps_ui(ui, state);
    let busy = state.running_job().is_some();
    if ui
        .add_enabled(!busy, egui::Button::new("Set up the program now"))
        .clicked()
    {
        state.push(Command::Loyalty(LoyaltyCommand::Refresh));
    }
}

/// While the program is read for the first time.
fn reading_ui(ui: &mut egui::Ui, state: &AppState) {
    ui.horizontal(|ui| {
        ui.spinner();
        let words = match state.running_job() {
            Some(job) if job.label == READING_LOYALTY_LABEL => "Reading the loyalty program…",
            Some(_) => "The loyalty program is shown once the work below has finished…",
            None => "Reading the loyalty program…",
        };
        ui.label(words);
    });
}

/// One line on whether the program runs, and what that means.
fn program_state_ui(ui: &mut egui::Ui, data: &LoyaltyData, no_customers: bool) {
    let summary = &data.summary;
    let words = if data.stored.active {
        format!(
            "The program is active: {} members hold {} points, worth {} to them.",
            group_thousands(summary.members as u64),
            group_thousands(summary.outstanding_points.max(0) as u64),
            money(summary.liability_cents as f64, data.currency)
        )
    } else {
        "The program is off: no points are given. Set it up below, try it on your past orders, \
         then activate it."
            .to_owned()
    };
    ui.label(RichText::new(words).strong());
    if no_customers {
        ui.label(
            "Members appear once you import orders: every customer with a purchase earns \
             points under the rules below.",
        );
    }
}

/// Cents as money, rounded to whole units.
fn money(cents: f64, currency: Currency) -> String {
    format_money_rounded(cents, currency)
}

/// Sets the accessible name of a widget (a screen reader reads it; tests find it by it).
fn name_widget(ui: &egui::Ui, response: &egui::Response, name: &str) {
    let name = name.to_owned();
    ui.ctx()
        .accesskit_node_builder(response.id, |node| node.set_label(name));
}

/// Text that may hold an arrow (tier changes are "Bronze → Silver") in words the bundled
/// font can draw.
fn drawable(text: &str) -> String {
    text.replace('→', "to")
}
