//! The program settings form: earn rules, tiers, the rewards catalogue, expiry and the value
//! of a point, with the validation problems beside it, Save (disabled while anything is
//! wrong) and Activate / Deactivate.
//!
//! Numbers are typed as text and read on every frame, so a half-typed number is a problem
//! in words, never a silently changed value. Money is shown in currency units; the program
//! keeps cents.

use egui::RichText;

use crate::app::loyalty::{LoyaltyCommand, LoyaltyData};
use crate::app::{AppState, Command};
use crate::domain::Currency;
use crate::programs::loyalty::{
    EarnRules, LoyaltyProgram, QualificationWindow, Reward, RewardKind, Rounding, ThresholdKind,
    Tier,
};
use crate::store::loyalty::StoredProgram;

use super::name_widget;

/// One tier row as typed.
#[derive(Clone, Debug, Default, PartialEq)]
struct TierDraft {
    id: Option<i64>,
    name: String,
    threshold: String,
    kind: ThresholdKind,
    window: QualificationWindow,
    multiplier: String,
    benefits: String,
}

/// One reward row as typed.
#[derive(Clone, Debug, Default, PartialEq)]
struct RewardDraft {
    id: Option<i64>,
    name: String,
    kind: RewardKind,
    cost: String,
    value: String,
    min_tier: Option<String>,
}

/// The whole form as typed.
#[derive(Clone, Debug, Default, PartialEq)]
struct ProgramDraft {
    rate: String,
    per_order: String,
    first_order: String,
    birthday: String,
    rounding: Rounding,
    never_expire: bool,
    expiry_months: String,
    point_value: String,
    tiers: Vec<TierDraft>,
    rewards: Vec<RewardDraft>,
}

/// The form between frames: the saved program it started from and the draft.
#[derive(Debug, Default)]
pub struct ProgramForm {
    loaded: Option<(StoredProgram, Currency)>,
    draft: ProgramDraft,
}

impl ProgramForm {
    /// Starts again from the saved program when it changed (saved, another file opened).
    fn sync(&mut self, stored: &StoredProgram, currency: Currency) {
        let same = self
            .loaded
            .as_ref()
            .is_some_and(|(s, c)| s == stored && *c == currency);
        if !same {
            self.draft = ProgramDraft::from_program(&stored.program, currency);
            self.loaded = Some((stored.clone(), currency));
        }
    }

    /// The draft as a program with every problem in words (typing first, then the rules'
    /// own validation). Used by the replay tab too.
    pub fn candidate(
        &mut self,
        stored: &StoredProgram,
        currency: Currency,
    ) -> (LoyaltyProgram, Vec<String>) {
        self.sync(stored, currency);
        let (program, mut problems) = self.draft.to_program(currency);
        if problems.is_empty()
            && let Err(found) = program.validate()
        {
            problems.extend(found.iter().map(ToString::to_string));
        }
        (program, problems)
    }
}

/// A number as the form shows it: up to 6 decimals, no trailing zeros.
fn number_text(value: f64) -> String {
    let text = format!("{value:.6}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text.is_empty() || text == "-" {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

/// Cents as currency units, as the form shows them.
fn units_text(cents: f64, currency: Currency) -> String {
    number_text(cents / currency.minor_per_major() as f64)
}

/// Removes float noise (`0.05 × 100 = 5.000000000000001`).
fn tidy(value: f64) -> f64 {
    (value * 1e6).round() / 1e6
}

/// Reads a number; a problem naming `what` when it is not one.
fn read_number(text: &str, what: &str, problems: &mut Vec<String>) -> f64 {
    match text.trim().parse::<f64>() {
        Ok(value) if value.is_finite() => value,
        _ => {
            problems.push(format!("{what} must be a number, e.g. 1.5."));
            0.0
        }
    }
}

/// Reads a whole number; a problem naming `what` when it is not one.
fn read_whole(text: &str, what: &str, problems: &mut Vec<String>) -> i64 {
    match text.trim().parse::<i64>() {
        Ok(value) => value,
        Err(_) => {
            problems.push(format!("{what} must be a whole number, e.g. 50."));
            0
        }
    }
}

impl ProgramDraft {
    fn from_program(program: &LoyaltyProgram, currency: Currency) -> ProgramDraft {
        let earn = &program.earn;
        ProgramDraft {
            rate: number_text(earn.points_per_currency_unit),
            per_order: earn.points_per_order.to_string(),
            first_order: earn.first_order_bonus.to_string(),
            birthday: earn.birthday_bonus.to_string(),
            rounding: earn.rounding,
            never_expire: program.expiry_months.is_none(),
            expiry_months: program.expiry_months.unwrap_or(12).to_string(),
            point_value: units_text(program.point_value_cents, currency),
            tiers: program
                .tiers
                .iter()
                .map(|t| TierDraft {
                    id: t.id,
                    name: t.name.clone(),
                    threshold: match t.threshold_kind {
                        ThresholdKind::Spend => units_text(t.threshold as f64, currency),
                        ThresholdKind::Points => t.threshold.to_string(),
                    },
                    kind: t.threshold_kind,
                    window: t.window,
                    multiplier: number_text(t.earn_multiplier),
                    benefits: t.benefits.clone(),
                })
                .collect(),
            rewards: program
                .rewards
                .iter()
                .map(|r| RewardDraft {
                    id: r.id,
                    name: r.name.clone(),
                    kind: r.kind,
                    cost: r.points_cost.to_string(),
                    value: match r.kind {
                        RewardKind::FixedDiscount => units_text(r.value, currency),
                        _ => number_text(r.value),
                    },
                    min_tier: r.min_tier.clone(),
                })
                .collect(),
        }
    }

    fn to_program(&self, currency: Currency) -> (LoyaltyProgram, Vec<String>) {
        let mut problems = Vec::new();
        let unit = currency.minor_per_major() as f64;
        let p = &mut problems;
        let earn = EarnRules {
            points_per_currency_unit: read_number(&self.rate, "Points per currency unit", p),
            points_per_order: read_whole(&self.per_order, "Points per order", p),
            first_order_bonus: read_whole(&self.first_order, "First-order bonus", p),
            birthday_bonus: read_whole(&self.birthday, "Birthday bonus", p),
            rounding: self.rounding,
        };
        let expiry_months = if self.never_expire {
            None
        } else {
            let months = read_whole(&self.expiry_months, "Months points stay valid", p);
            Some(u32::try_from(months.max(0)).unwrap_or(u32::MAX))
        };
        let point_value_cents = tidy(read_number(&self.point_value, "Value of a point", p) * unit);
        let tiers = self
            .tiers
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let what = format!("Tier {} entry threshold", i + 1);
                let threshold = match t.kind {
                    ThresholdKind::Spend => (read_number(&t.threshold, &what, p) * unit).round(),
                    ThresholdKind::Points => read_whole(&t.threshold, &what, p) as f64,
                } as i64;
                Tier {
                    id: t.id,
                    name: t.name.clone(),
                    threshold,
                    threshold_kind: t.kind,
                    window: t.window,
                    earn_multiplier: read_number(
                        &t.multiplier,
                        &format!("Tier {} points multiplier", i + 1),
                        p,
                    ),
                    benefits: t.benefits.clone(),
                }
            })
            .collect();
        let rewards = self
            .rewards
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let value = match r.kind {
                    RewardKind::FixedDiscount => tidy(
                        read_number(&r.value, &format!("Reward {} amount off", i + 1), p) * unit,
                    ),
                    RewardKind::PercentDiscount => {
                        read_number(&r.value, &format!("Reward {} percent off", i + 1), p)
                    }
                    _ => 0.0,
                };
                Reward {
                    id: r.id,
                    name: r.name.clone(),
                    kind: r.kind,
                    points_cost: read_whole(&r.cost, &format!("Reward {} points cost", i + 1), p),
                    value,
                    min_tier: r.min_tier.clone(),
                }
            })
            .collect();
        let program = LoyaltyProgram {
            earn,
            tiers,
            rewards,
            expiry_months,
            point_value_cents,
        };
        (program, problems)
    }
}

/// The settings tab.
pub fn program_ui(
    ui: &mut egui::Ui,
    state: &mut AppState,
    form: &mut ProgramForm,
    data: &LoyaltyData,
) {
    let currency = data.currency;
    let (candidate, problems) = form.candidate(&data.stored, currency);
    let changed = candidate != data.stored.program;
    let busy = state.running_job().is_some();

    section(ui, "How customers earn points");
    earn_ui(ui, &mut form.draft, currency);
    ui.add_space(10.0);
    section(ui, "Tiers");
    ui.label(
        "Customers move up (and down) by what they spent or earned over the window you choose. \
         Each tier multiplies the points for spending; list them from lowest to highest.",
    );
    tiers_ui(ui, &mut form.draft, currency);
    ui.add_space(10.0);
    section(ui, "Rewards customers can redeem");
    rewards_ui(ui, &mut form.draft, currency);
    ui.add_space(10.0);

    if problems.is_empty() {
        if changed {
            ui.label("Your changes are not saved yet.");
        }
    } else {
        ui.label(RichText::new("Fix these before saving:").strong());
        for problem in &problems {
            ui.colored_label(ui.visuals().error_fg_color, problem);
        }
    }
    ui.horizontal(|ui| {
        let save = ui
            .add_enabled(
                changed && problems.is_empty() && !busy,
                egui::Button::new("Save program"),
            )
            .on_hover_text(
                "Saves the rules. While the program is active, every member's points are \
                 recomputed from their orders under the new rules (the ledger only ever \
                 gains correcting entries).",
            );
        if save.clicked() {
            state.push(Command::Loyalty(LoyaltyCommand::SaveProgram(
                candidate.clone(),
                data.stored.active,
            )));
        }
        if ui
            .add_enabled(changed, egui::Button::new("Undo changes"))
            .clicked()
        {
            form.loaded = None;
        }
        activation_ui(ui, state, data, changed || busy);
    });
}

/// Activate or Deactivate the saved program.
fn activation_ui(ui: &mut egui::Ui, state: &mut AppState, data: &LoyaltyData, blocked: bool) {
    let (text, help, active) = if data.stored.active {
        (
            "Deactivate",
            "Stops giving points. Balances stay as they are and can still be looked up.",
            false,
        )
    } else {
        (
            "Activate",
            "Starts the saved program: every customer's points are worked out from their past \
             orders, then kept up to date after every import.",
            true,
        )
    };
    let help = if blocked {
        "Save or undo your changes first (and wait for any work to finish)."
    } else {
        help
    };
    if ui
        .add_enabled(!blocked, egui::Button::new(text))
        .on_hover_text(help)
        .on_disabled_hover_text(help)
        .clicked()
    {
        state.push(Command::Loyalty(LoyaltyCommand::SetActive(active)));
    }
}

fn section(ui: &mut egui::Ui, title: &str) {
    ui.label(RichText::new(title).size(17.0).strong());
}

/// A labelled text box in a two-column grid with a sentence on what it means.
fn field(ui: &mut egui::Ui, label: &str, text: &mut String, meaning: &str) {
    let name = ui.label(label);
    ui.add_sized(
        egui::vec2(90.0, ui.spacing().interact_size.y),
        egui::TextEdit::singleline(text),
    )
    .labelled_by(name.id);
    ui.weak(meaning);
    ui.end_row();
}

fn earn_ui(ui: &mut egui::Ui, draft: &mut ProgramDraft, currency: Currency) {
    let code = currency.code();
    egui::Grid::new("loyalty-earn")
        .num_columns(3)
        .spacing([16.0, 6.0])
        .show(ui, |ui| {
            field(
                ui,
                "Points per currency unit",
                &mut draft.rate,
                &format!("Points for each 1 {code} a customer pays (before the tier multiplier)."),
            );
            field(
                ui,
                "Points per order",
                &mut draft.per_order,
                "Extra points for every order, whatever its size.",
            );
            field(
                ui,
                "First-order bonus",
                &mut draft.first_order,
                "A welcome: extra points on a customer's first purchase.",
            );
            field(
                ui,
                "Birthday bonus",
                &mut draft.birthday,
                "Points once a year on the customer's birthday (when you know it).",
            );
            let label = ui.label("Rounding");
            egui::ComboBox::from_id_salt("loyalty-rounding")
                .selected_text(rounding_label(draft.rounding))
                .show_ui(ui, |ui| {
                    for r in [Rounding::Down, Rounding::Nearest, Rounding::Up] {
                        ui.selectable_value(&mut draft.rounding, r, rounding_label(r));
                    }
                })
                .response
                .labelled_by(label.id);
            ui.weak("How part-points from spending become whole points.");
            ui.end_row();
            field(
                ui,
                "Value of a point",
                &mut draft.point_value,
                &format!(
                    "What one point is worth to a customer, in {code}; used for what you owe \
                     in unspent points."
                ),
            );
            let label = ui.label("Points expire");
            ui.horizontal(|ui| {
                ui.checkbox(&mut draft.never_expire, "Never");
                if !draft.never_expire {
                    let months = ui.add(
                        egui::TextEdit::singleline(&mut draft.expiry_months).desired_width(40.0),
                    );
                    name_widget(ui, &months, "Months points stay valid");
                    ui.label("months after the last activity");
                }
            })
            .response
            .labelled_by(label.id);
            ui.weak("Any purchase, bonus or redemption restarts the clock.");
            ui.end_row();
        });
}

fn rounding_label(rounding: Rounding) -> &'static str {
    match rounding {
        Rounding::Down => "Down (never a point not fully earned)",
        Rounding::Nearest => "To the nearest point",
        Rounding::Up => "Up",
    }
}

fn kind_label(kind: ThresholdKind) -> &'static str {
    match kind {
        ThresholdKind::Spend => "Spend",
        ThresholdKind::Points => "Points earned",
    }
}

fn window_label(window: QualificationWindow) -> &'static str {
    match window {
        QualificationWindow::Lifetime => "Since the first order",
        QualificationWindow::CalendarYear => "This or last calendar year",
        QualificationWindow::Rolling12Months => "Last 12 months",
    }
}

fn reward_kind_label(kind: RewardKind) -> &'static str {
    match kind {
        RewardKind::FixedDiscount => "Amount off",
        RewardKind::PercentDiscount => "Percent off",
        RewardKind::FreeItem => "Free item",
        RewardKind::EarlyAccess => "Early access",
        RewardKind::BonusOffer => "Special offer",
    }
}

fn tiers_ui(ui: &mut egui::Ui, draft: &mut ProgramDraft, currency: Currency) {
    let mut remove = None;
    if !draft.tiers.is_empty() {
        egui::Grid::new("loyalty-tiers")
            .num_columns(7)
            .spacing([10.0, 6.0])
            .striped(true)
            .show(ui, |ui| {
                for heading in [
                    "Name",
                    "Measured by",
                    "Entry at",
                    "Over",
                    "Points multiplier",
                    "Benefits",
                    "",
                ] {
                    ui.strong(heading);
                }
                ui.end_row();
                for (i, tier) in draft.tiers.iter_mut().enumerate() {
                    let n = i + 1;
                    let r = ui.add_sized(
                        egui::vec2(90.0, ui.spacing().interact_size.y),
                        egui::TextEdit::singleline(&mut tier.name),
                    );
                    name_widget(ui, &r, &format!("Tier {n} name"));
                    let combo = egui::ComboBox::from_id_salt(("tier-kind", i))
                        .selected_text(kind_label(tier.kind))
                        .show_ui(ui, |ui| {
                            for k in [ThresholdKind::Spend, ThresholdKind::Points] {
                                ui.selectable_value(&mut tier.kind, k, kind_label(k));
                            }
                        })
                        .response;
                    name_widget(ui, &combo, &format!("Tier {n} measured by"));
                    ui.horizontal(|ui| {
                        let r = ui.add(
                            egui::TextEdit::singleline(&mut tier.threshold).desired_width(70.0),
                        );
                        name_widget(ui, &r, &format!("Tier {n} entry threshold"));
                        ui.label(match tier.kind {
                            ThresholdKind::Spend => currency.code(),
                            ThresholdKind::Points => "points",
                        });
                    });
                    let combo = egui::ComboBox::from_id_salt(("tier-window", i))
                        .selected_text(window_label(tier.window))
                        .show_ui(ui, |ui| {
                            for w in [
                                QualificationWindow::Rolling12Months,
                                QualificationWindow::CalendarYear,
                                QualificationWindow::Lifetime,
                            ] {
                                ui.selectable_value(&mut tier.window, w, window_label(w));
                            }
                        })
                        .response;
                    name_widget(ui, &combo, &format!("Tier {n} qualifying window"));
                    let r = ui.add_sized(
                        egui::vec2(50.0, ui.spacing().interact_size.y),
                        egui::TextEdit::singleline(&mut tier.multiplier),
                    );
                    name_widget(ui, &r, &format!("Tier {n} points multiplier"));
                    let r = ui.add_sized(
                        egui::vec2(200.0, ui.spacing().interact_size.y),
                        egui::TextEdit::singleline(&mut tier.benefits),
                    );
                    name_widget(ui, &r, &format!("Tier {n} benefits"));
                    if ui
                        .button(format!("Remove tier {n}"))
                        .on_hover_text("Takes this tier out of the draft.")
                        .clicked()
                    {
                        remove = Some(i);
                    }
                    ui.end_row();
                }
            });
    }
    if let Some(i) = remove {
        draft.tiers.remove(i);
    }
    if ui
        .button("Add a tier")
        .on_hover_text("A new tier above the others; give it a name and a higher entry point.")
        .clicked()
    {
        let n = draft.tiers.len() + 1;
        draft.tiers.push(TierDraft {
            name: format!("Tier {n}"),
            threshold: "0".to_owned(),
            window: QualificationWindow::Rolling12Months,
            multiplier: "1".to_owned(),
            ..TierDraft::default()
        });
    }
}

fn rewards_ui(ui: &mut egui::Ui, draft: &mut ProgramDraft, currency: Currency) {
    let tier_names: Vec<String> = draft.tiers.iter().map(|t| t.name.clone()).collect();
    let mut remove = None;
    if !draft.rewards.is_empty() {
        egui::Grid::new("loyalty-rewards")
            .num_columns(6)
            .spacing([10.0, 6.0])
            .striped(true)
            .show(ui, |ui| {
                for heading in ["Reward", "Kind", "Costs", "Gives", "For", ""] {
                    ui.strong(heading);
                }
                ui.end_row();
                for (i, reward) in draft.rewards.iter_mut().enumerate() {
                    reward_row_ui(ui, i, reward, &tier_names, currency, &mut remove);
                    ui.end_row();
                }
            });
    }
    if let Some(i) = remove {
        draft.rewards.remove(i);
    }
    if ui.button("Add a reward").clicked() {
        draft.rewards.push(RewardDraft {
            name: format!("Reward {}", draft.rewards.len() + 1),
            cost: "100".to_owned(),
            value: "5".to_owned(),
            ..RewardDraft::default()
        });
    }
}

fn reward_row_ui(
    ui: &mut egui::Ui,
    i: usize,
    reward: &mut RewardDraft,
    tier_names: &[String],
    currency: Currency,
    remove: &mut Option<usize>,
) {
    let n = i + 1;
    let r = ui.add_sized(
        egui::vec2(130.0, ui.spacing().interact_size.y),
        egui::TextEdit::singleline(&mut reward.name),
    );
    name_widget(ui, &r, &format!("Reward {n} name"));
    let combo = egui::ComboBox::from_id_salt(("reward-kind", i))
        .selected_text(reward_kind_label(reward.kind))
        .show_ui(ui, |ui| {
            for k in [
                RewardKind::FixedDiscount,
                RewardKind::PercentDiscount,
                RewardKind::FreeItem,
                RewardKind::EarlyAccess,
                RewardKind::BonusOffer,
            ] {
                ui.selectable_value(&mut reward.kind, k, reward_kind_label(k));
            }
        })
        .response;
    name_widget(ui, &combo, &format!("Reward {n} kind"));
    ui.horizontal(|ui| {
        let r = ui.add_sized(
            egui::vec2(60.0, ui.spacing().interact_size.y),
            egui::TextEdit::singleline(&mut reward.cost),
        );
        name_widget(ui, &r, &format!("Reward {n} points cost"));
        ui.label("points");
    });
    ui.horizontal(|ui| match reward.kind {
        RewardKind::FixedDiscount | RewardKind::PercentDiscount => {
            let r = ui.add_sized(
                egui::vec2(60.0, ui.spacing().interact_size.y),
                egui::TextEdit::singleline(&mut reward.value),
            );
            name_widget(ui, &r, &format!("Reward {n} value"));
            ui.label(if reward.kind == RewardKind::FixedDiscount {
                format!("{} off", currency.code())
            } else {
                "% off".to_owned()
            });
        }
        _ => {
            ui.weak("what the name says");
        }
    });
    let combo = egui::ComboBox::from_id_salt(("reward-tier", i))
        .selected_text(
            reward
                .min_tier
                .as_deref()
                .map_or_else(|| "Everyone".to_owned(), |t| format!("{t} and up")),
        )
        .show_ui(ui, |ui| {
            ui.selectable_value(&mut reward.min_tier, None, "Everyone");
            for name in tier_names {
                ui.selectable_value(
                    &mut reward.min_tier,
                    Some(name.clone()),
                    format!("{name} and up"),
                );
            }
        })
        .response;
    name_widget(ui, &combo, &format!("Reward {n} lowest tier"));
    if ui.button(format!("Remove reward {n}")).clicked() {
        *remove = Some(i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::loyalty::demo_program;

    #[test]
    fn a_saved_program_reads_back_unchanged() {
        for currency in [
            Currency::USD,
            Currency::parse("JPY").unwrap_or(Currency::EUR),
        ] {
            let program = demo_program(currency);
            let draft = ProgramDraft::from_program(&program, currency);
            let (back, problems) = draft.to_program(currency);
            assert!(problems.is_empty(), "{problems:?}");
            assert_eq!(back, program);
        }
    }

    #[test]
    fn half_typed_numbers_are_problems_in_words() {
        let mut draft = ProgramDraft::from_program(&demo_program(Currency::USD), Currency::USD);
        draft.rate = "1,5".to_owned();
        draft.birthday = "ten".to_owned();
        let (_, problems) = draft.to_program(Currency::USD);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].starts_with("Points per currency unit must be a number"));
    }
}
