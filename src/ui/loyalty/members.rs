//! Members: every member's points, tier, the next tier and what is missing, and points about
//! to expire, in a virtualised table; a click selects a member to redeem a reward for or to
//! adjust their points (with a required reason).

use egui::RichText;
use egui_extras::{Column, TableBuilder};

use crate::app::loyalty::{EXPIRING_SOON_DAYS, LoyaltyCommand, LoyaltyData, MemberRow};
use crate::app::{AppState, Command};
use crate::domain::{Currency, CustomerId, format_money_rounded, group_thousands};
use crate::programs::loyalty::{Reward, RewardKind, ThresholdKind, check_redemption};

use super::{money, name_widget};

/// The hint in the members' search box (also how tests find it).
pub const MEMBER_SEARCH_HINT: &str = "Search members by name";

/// What the members tab remembers between frames.
#[derive(Debug, Default)]
pub struct MembersViewState {
    search: String,
    /// Rows matching the search, and what they were found for (data key, rows, search).
    hits: Vec<u32>,
    hits_for: Option<(String, usize, String)>,
    selected: Option<CustomerId>,
    reward: Option<i64>,
    adjust_points: String,
    adjust_reason: String,
}

impl MembersViewState {
    /// Rows matching the search, found again only when the data or the search changed.
    fn refresh_hits(&mut self, data: &LoyaltyData) {
        let wanted = (data.key.clone(), data.members.len(), self.search.clone());
        if self.hits_for.as_ref() == Some(&wanted) {
            return;
        }
        let needle = self.search.trim().to_lowercase();
        self.hits = data
            .members
            .iter()
            .enumerate()
            .filter(|(_, m)| needle.is_empty() || m.name.to_lowercase().contains(&needle))
            .map(|(i, _)| u32::try_from(i).unwrap_or(u32::MAX))
            .collect();
        self.hits_for = Some(wanted);
    }
}

/// The members tab.
pub fn members_ui(
    ui: &mut egui::Ui,
    state: &mut AppState,
    view: &mut MembersViewState,
    data: &LoyaltyData,
) {
    summary_ui(ui, data);
    notice_ui(ui, state);
    if data.members.is_empty() {
        ui.label(if data.stored.active {
            "No members yet: customers become members with their first purchase."
        } else {
            "No members: activate the program to give your customers points for their orders."
        });
        return;
    }
    if let Some(member) = view.selected.and_then(|c| data.member(c)).cloned() {
        selected_ui(ui, state, view, data, &member);
        ui.add_space(6.0);
    }
    ui.horizontal(|ui| {
        let search = ui.add(
            egui::TextEdit::singleline(&mut view.search)
                .hint_text(MEMBER_SEARCH_HINT)
                .desired_width(240.0),
        );
        name_widget(ui, &search, "Search members");
        ui.label("Click a member to redeem a reward or adjust their points.");
    });
    view.refresh_hits(data);
    table_ui(ui, view, data);
}

/// The members' totals in sentences.
fn summary_ui(ui: &mut egui::Ui, data: &LoyaltyData) {
    let s = &data.summary;
    ui.label(format!(
        "{} members hold {} unspent points, worth {} to them: what you owe in rewards.",
        group_thousands(s.members as u64),
        group_thousands(s.outstanding_points.max(0) as u64),
        money(s.liability_cents as f64, data.currency)
    ));
    if s.expiring_soon_members > 0 {
        ui.label(format!(
            "{} points of {} members expire in the next {EXPIRING_SOON_DAYS} days unless they \
             buy something first: a good moment to remind them.",
            group_thousands(s.expiring_soon_points.max(0) as u64),
            group_thousands(s.expiring_soon_members as u64)
        ));
    }
    if data.stored.program.tiers.is_empty() {
        return;
    }
    let tiers: Vec<String> = s
        .per_tier
        .iter()
        .map(|(tier, n)| {
            format!(
                "{} {}",
                group_thousands(*n as u64),
                tier.as_deref().unwrap_or("in no tier")
            )
        })
        .collect();
    ui.label(format!("Members by tier: {}.", tiers.join(", ")));
}

/// The last voucher or adjustment outcome, until dismissed.
fn notice_ui(ui: &mut egui::Ui, state: &mut AppState) {
    let notice = state.loyalty.notice.clone();
    let voucher = state.loyalty.voucher.clone();
    if notice.is_none() && voucher.is_none() {
        return;
    }
    egui::Frame::group(ui.style()).show(ui, |ui| {
        if let Some(voucher) = &voucher {
            ui.label(
                RichText::new(format!("Voucher code: {}", voucher.code))
                    .size(20.0)
                    .strong(),
            );
            ui.label(format!(
                "Give this code with “{}”. {} points were taken from the member's balance on {}.",
                voucher.reward_name,
                group_thousands(voucher.points.unsigned_abs()),
                voucher.date
            ));
        } else if let Some(notice) = &notice {
            if notice.is_error {
                ui.colored_label(ui.visuals().error_fg_color, &notice.text);
            } else {
                ui.label(&notice.text);
            }
        }
        if ui.button("Dismiss").clicked() {
            state.push(Command::Loyalty(LoyaltyCommand::DismissNotice));
        }
    });
}

/// The selected member with Redeem and Adjust.
fn selected_ui(
    ui: &mut egui::Ui,
    state: &mut AppState,
    view: &mut MembersViewState,
    data: &LoyaltyData,
    member: &MemberRow,
) {
    let b = &member.balance;
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.horizontal(|ui| {
            ui.label(RichText::new(display_name(member)).size(17.0).strong());
            if ui.button("Close").clicked() {
                view.selected = None;
            }
        });
        ui.label(format!(
            "{} points to spend ({} earned in all); {}.",
            group_thousands_signed(b.available_points),
            group_thousands_signed(b.lifetime_points),
            b.tier
                .as_deref()
                .map_or_else(|| "in no tier".to_owned(), |t| format!("tier {t}"))
        ));
        ui.columns(2, |columns| {
            redeem_ui(&mut columns[0], state, view, data, member);
            adjust_ui(&mut columns[1], state, view, member);
        });
    });
}

fn reward_text(reward: &Reward, currency: Currency) -> String {
    let gives = match reward.kind {
        RewardKind::FixedDiscount => {
            format!(", {} off", format_money_rounded(reward.value, currency))
        }
        RewardKind::PercentDiscount => format!(", {}% off", reward.value),
        _ => String::new(),
    };
    format!(
        "{} ({} points{gives})",
        reward.name,
        group_thousands(reward.points_cost.max(0) as u64)
    )
}

fn redeem_ui(
    ui: &mut egui::Ui,
    state: &mut AppState,
    view: &mut MembersViewState,
    data: &LoyaltyData,
    member: &MemberRow,
) {
    ui.label(RichText::new("Redeem a reward").strong());
    let program = &data.stored.program;
    if !data.stored.active || program.rewards.is_empty() {
        ui.label("Rewards can be redeemed once the program is active and has rewards.");
        return;
    }
    let chosen = view
        .reward
        .and_then(|id| program.rewards.iter().find(|r| r.id == Some(id)));
    let label = ui.label("Reward");
    egui::ComboBox::from_id_salt("redeem-reward")
        .selected_text(chosen.map_or_else(
            || "Choose a reward".to_owned(),
            |r| reward_text(r, data.currency),
        ))
        .width(260.0)
        .show_ui(ui, |ui| {
            for reward in &program.rewards {
                ui.selectable_value(
                    &mut view.reward,
                    reward.id,
                    reward_text(reward, data.currency),
                );
            }
        })
        .response
        .labelled_by(label.id);
    let Some(reward) = chosen else {
        return;
    };
    let balance = &member.balance;
    let check = check_redemption(
        program,
        reward,
        balance.available_points,
        balance.tier.as_deref(),
    );
    match &check {
        Ok(()) => ui.label(format!(
            "Balance after: {} points.",
            group_thousands_signed(balance.available_points - reward.points_cost)
        )),
        Err(refusal) => ui.colored_label(
            ui.visuals().error_fg_color,
            format!("Cannot redeem: {refusal}."),
        ),
    };
    let busy = state.running_job().is_some();
    if ui
        .add_enabled(check.is_ok() && !busy, egui::Button::new("Redeem"))
        .on_hover_text("Takes the points and gives a voucher code to hand to the customer.")
        .clicked()
        && let Some(reward_id) = reward.id
    {
        state.push(Command::Loyalty(LoyaltyCommand::Redeem {
            customer: balance.customer,
            reward_id,
        }));
    }
}

fn adjust_ui(
    ui: &mut egui::Ui,
    state: &mut AppState,
    view: &mut MembersViewState,
    member: &MemberRow,
) {
    ui.label(RichText::new("Add or take away points").strong());
    let r = ui.add(
        egui::TextEdit::singleline(&mut view.adjust_points)
            .hint_text("e.g. 20 or -20")
            .desired_width(90.0),
    );
    name_widget(ui, &r, "Points to add or take away");
    let r = ui.add(
        egui::TextEdit::singleline(&mut view.adjust_reason)
            .hint_text("why, e.g. missed in-store order")
            .desired_width(240.0),
    );
    name_widget(ui, &r, "Reason for the adjustment");
    let points = view
        .adjust_points
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|p| *p != 0);
    let reason = view.adjust_reason.trim();
    let problem = match (points, reason.is_empty()) {
        (None, _) if !view.adjust_points.trim().is_empty() => {
            Some("Points must be a whole number other than 0, e.g. 20 or -20.")
        }
        (Some(_), true) => Some("A reason is required: it is kept in the ledger for audit."),
        _ => None,
    };
    if let Some(problem) = problem {
        ui.colored_label(ui.visuals().error_fg_color, problem);
    }
    let busy = state.running_job().is_some();
    if ui
        .add_enabled(
            points.is_some() && !reason.is_empty() && !busy,
            egui::Button::new("Adjust points"),
        )
        .clicked()
        && let Some(points) = points
    {
        state.push(Command::Loyalty(LoyaltyCommand::Adjust {
            customer: member.balance.customer,
            points,
            reason: reason.to_owned(),
        }));
        view.adjust_points.clear();
        view.adjust_reason.clear();
    }
}

fn display_name(member: &MemberRow) -> String {
    if member.name.trim().is_empty() {
        format!("Customer #{}", member.balance.customer.0)
    } else {
        member.name.clone()
    }
}

fn group_thousands_signed(value: i64) -> String {
    let sign = if value < 0 { "-" } else { "" };
    format!("{sign}{}", group_thousands(value.unsigned_abs()))
}

/// What is still missing for the next tier, in its unit.
fn missing_text(member: &MemberRow, currency: Currency) -> (String, String) {
    let Some(next) = &member.balance.next_tier else {
        return (String::new(), String::new());
    };
    let missing = match next.kind {
        ThresholdKind::Spend => format_money_rounded(next.missing() as f64, currency),
        ThresholdKind::Points => {
            format!("{} points", group_thousands(next.missing().max(0) as u64))
        }
    };
    (next.name.clone(), missing)
}

const HEADINGS: [(&str, &str); 8] = [
    ("Member", "The customer's name."),
    (
        "Points to spend",
        "Available now: earned, minus redeemed and expired.",
    ),
    (
        "Earned in all",
        "Everything ever credited, net of refunds; redemptions do not reduce it.",
    ),
    ("Tier", "The tier in force today."),
    ("Next tier", "The tier above."),
    (
        "Still needed",
        "Spend or points still missing for the next tier, counting purchases up to today.",
    ),
    (
        "Expiring points",
        "Points that expire unless the member buys, redeems or gets a bonus first.",
    ),
    ("Expire on", "The first day those points are gone."),
];

fn table_ui(ui: &mut egui::Ui, view: &mut MembersViewState, data: &LoyaltyData) {
    let row_height = ui.spacing().interact_size.y;
    let mut clicked = None;
    TableBuilder::new(ui)
        .id_salt("loyalty-members")
        .striped(true)
        .sense(egui::Sense::click())
        .max_scroll_height(420.0)
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
        .column(Column::initial(180.0).at_least(80.0).clip(true))
        .columns(Column::initial(95.0).at_least(60.0), 2)
        .column(Column::initial(80.0).at_least(50.0).clip(true))
        .column(Column::initial(80.0).at_least(50.0).clip(true))
        .column(Column::initial(100.0).at_least(60.0))
        .column(Column::initial(100.0).at_least(60.0))
        .column(Column::remainder().at_least(90.0))
        .header(row_height + 4.0, |mut header| {
            for (title, help) in HEADINGS {
                header.col(|ui| {
                    ui.strong(title).on_hover_text(help);
                });
            }
        })
        .body(|body| {
            body.rows(row_height, view.hits.len(), |mut row| {
                let Some(member) = view
                    .hits
                    .get(row.index())
                    .and_then(|i| data.members.get(*i as usize))
                else {
                    return;
                };
                row.set_selected(view.selected == Some(member.balance.customer));
                for cell in row_cells(member, data.currency) {
                    row.col(|ui| {
                        ui.add(egui::Label::new(cell).truncate().selectable(false));
                    });
                }
                if row.response().clicked() {
                    clicked = Some(member.balance.customer);
                }
            });
        });
    if let Some(customer) = clicked {
        view.selected = Some(customer);
        view.reward = None;
    }
}

fn row_cells(member: &MemberRow, currency: Currency) -> [String; 8] {
    let b = &member.balance;
    let (next, missing) = missing_text(member, currency);
    [
        display_name(member),
        group_thousands_signed(b.available_points),
        group_thousands_signed(b.lifetime_points),
        b.tier.clone().unwrap_or_default(),
        next,
        missing,
        b.expiring
            .map_or_else(String::new, |e| group_thousands_signed(e.points)),
        b.expiring.map_or_else(String::new, |e| e.on.to_string()),
    ]
}
