//! One customer's profile beside the customers table: what they are worth and how sure we
//! are, contact details, tags, notes and consent (editable), their orders with lines and
//! refunds, value across valuation runs, merges, and the privacy actions (export everything
//! held about them, erase their personal details after a confirmation that names it all),
//! and their referrals (in [`referrals`]).
//! Also the shop-wide list of likely duplicates with the evidence and a merge button.

mod care;
mod referrals;

use egui::RichText;

use crate::app::customer_profile::{ProfileCommand, profile_name};
use crate::app::{AppState, Command};
use crate::domain::{Currency, EstimateFormat, format_money, format_money_rounded};
use crate::store::customers::{CustomerEdits, CustomerProfile, ErasurePreview};

use super::widgets::plural;

/// What the profile remembers between frames: the edits being typed, and whether the
/// erase confirmation is open.
#[derive(Debug, Default)]
pub struct ProfileDraft {
    /// The customer the draft belongs to.
    for_id: Option<i64>,
    /// Tags as typed.
    tags: String,
    /// Notes as typed.
    notes: String,
    /// Consent as ticked.
    consent: bool,
    /// Customer number typed to merge into this one.
    merge_id: String,
    /// The erase confirmation is open.
    confirm_erase: bool,
}

/// The profile panel content.
pub fn profile_ui(
    ui: &mut egui::Ui,
    state: &mut AppState,
    draft: &mut ProfileDraft,
    currency: Currency,
) {
    let Some((profile, preview)) = state.profile.open.clone() else {
        if state.profile.reading.is_some() {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Opening the customer…");
            });
        }
        return;
    };
    if draft.for_id != Some(profile.id) {
        *draft = ProfileDraft {
            for_id: Some(profile.id),
            tags: profile.tags.clone(),
            notes: profile.notes.clone(),
            consent: profile.marketing_consent,
            ..ProfileDraft::default()
        };
    }
    ui.horizontal(|ui| {
        ui.label(RichText::new(profile_name(&profile)).size(20.0).strong());
        if ui.button("Close").clicked() {
            state.push(Command::Profile(ProfileCommand::Close));
        }
    });
    ui.label(
        RichText::new(format!(
            "Customer #{} · {} · {} so far",
            profile.id,
            plural(profile.order_count, "order", "orders"),
            format_money(profile.net_cents, currency)
        ))
        .color(ui.visuals().weak_text_color()),
    );
    if let Some(survivor) = profile.merged_into {
        ui.horizontal_wrapped(|ui| {
            ui.label(format!("Merged into customer #{survivor}."));
            if ui.link("Open them").clicked() {
                state.push(Command::Profile(ProfileCommand::Open(survivor)));
            }
        });
    }
    if profile.is_erased() {
        ui.label("Personal details erased. The orders stay, anonymous, so your totals are right.");
    }
    let loyalty = state.customers.table.as_ref().and_then(|t| {
        t.rows
            .binary_search_by_key(&profile.id, |r| r.id)
            .ok()
            .and_then(|at| t.rows[at].points.map(|p| (p, t.rows[at].tier.clone())))
    });
    if let Some((points, tier)) = loyalty {
        let tier = tier.map_or_else(|| "no tier yet".to_owned(), |t| format!("tier {t}"));
        ui.label(format!(
            "Loyalty: {points} points to spend, {tier}. Redeem or adjust in Loyalty."
        ));
    }
    ui.separator();
    egui::ScrollArea::vertical()
        .id_salt("profile-scroll")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            value_ui(ui, &profile, currency);
            contact_ui(ui, &profile);
            if !profile.is_erased() {
                edits_ui(ui, state, draft, &profile);
            }
            merges_ui(ui, state, draft, &profile);
            privacy_ui(ui, state, draft, &profile, &preview);
            referrals::referrals_ui(ui, state, currency);
            if let Some(history) = state.profile.care.as_ref() {
                care::care_history_ui(ui, history);
            }
            orders_ui(ui, &profile, currency);
        });
}

/// The current value with its range, chance still active and expected purchases, and how
/// the value moved across the runs that keep scores.
fn value_ui(ui: &mut egui::Ui, profile: &CustomerProfile, currency: Currency) {
    ui.label(RichText::new("What they are worth").strong());
    let Some(now) = profile.scores.iter().find(|s| s.is_current) else {
        ui.label("Not valued yet: values appear after the next valuation.");
        return;
    };
    let (low, high) = (
        now.clv_low_cents.unwrap_or(f64::NAN),
        now.clv_high_cents.unwrap_or(f64::NAN),
    );
    let estimate = EstimateFormat::for_range(low, high, currency);
    let range = if low.is_finite() && high.is_finite() {
        format!(
            ", most likely between {} and {}",
            estimate.amount(low),
            estimate.amount(high)
        )
    } else {
        String::new()
    };
    ui.label(format!(
        "Expected value {}{range}: the profit they are likely to bring over your horizon, in today's money.",
        estimate.amount(now.clv_cents)
    ));
    if let Some(p) = now.p_alive.filter(|p| p.is_finite()) {
        ui.label(format!(
            "{:.0}% chance they still buy from you, judged from how often and how recently they bought.",
            p * 100.0
        ));
    }
    if let Some(purchases) = now.expected_purchases.filter(|e| e.is_finite()) {
        ui.label(format!(
            "About {purchases:.1} more purchases expected over your horizon."
        ));
    }
    if let Some(segment) = &now.segment {
        ui.label(format!("Segment: {segment}."));
    }
    if profile.scores.len() > 1 {
        egui::CollapsingHeader::new("Value in earlier valuations")
            .id_salt("profile-history")
            .show(ui, |ui| {
                egui::Grid::new("profile-history-grid")
                    .striped(true)
                    .show(ui, |ui| {
                        ui.strong("Valued on");
                        ui.strong("Expected value");
                        ui.strong("Still active");
                        ui.end_row();
                        for score in &profile.scores {
                            ui.label(day_of(score.created_utc));
                            ui.label(format_money_rounded(score.clv_cents, currency));
                            ui.label(
                                score
                                    .p_alive
                                    .filter(|p| p.is_finite())
                                    .map_or_else(String::new, |p| format!("{:.0}%", p * 100.0)),
                            );
                            ui.end_row();
                        }
                    });
            });
    }
    ui.add_space(6.0);
}

/// Contact details as stored.
fn contact_ui(ui: &mut egui::Ui, profile: &CustomerProfile) {
    ui.label(RichText::new("Contact").strong());
    egui::Grid::new("profile-contact").show(ui, |ui| {
        let rows = [
            ("E-mail", profile.email.clone()),
            ("Phone", profile.phone.clone()),
            ("Birthday", profile.birthday.as_deref().map(birthday_words)),
            ("Postcode", profile.postcode.clone()),
            ("First order", profile.first_order.clone()),
            ("Latest order", profile.last_order.clone()),
            ("First bought via", profile.acquisition_source.clone()),
        ];
        for (label, value) in rows {
            ui.label(label);
            ui.label(value.unwrap_or_else(|| "—".to_owned()));
            ui.end_row();
        }
    });
    ui.add_space(6.0);
}

/// Tags, notes and marketing consent, saved with one button.
fn edits_ui(
    ui: &mut egui::Ui,
    state: &mut AppState,
    draft: &mut ProfileDraft,
    profile: &CustomerProfile,
) {
    ui.label(RichText::new("Your notes").strong());
    ui.checkbox(&mut draft.consent, "Agreed to marketing messages");
    let tags_label = ui.label("Tags (comma separated)");
    ui.add(
        egui::TextEdit::singleline(&mut draft.tags)
            .hint_text("e.g. wholesale, vegan")
            .desired_width(f32::INFINITY),
    )
    .labelled_by(tags_label.id);
    let notes_label = ui.label("Notes");
    ui.add(
        egui::TextEdit::multiline(&mut draft.notes)
            .desired_rows(3)
            .desired_width(f32::INFINITY),
    )
    .labelled_by(notes_label.id);
    let changed = draft.tags != profile.tags
        || draft.notes != profile.notes
        || draft.consent != profile.marketing_consent;
    let busy = state.running_job().is_some();
    if ui
        .add_enabled(changed && !busy, egui::Button::new("Save notes"))
        .clicked()
    {
        state.push(Command::Profile(ProfileCommand::SaveDetails(
            profile.id,
            CustomerEdits {
                tags: draft.tags.clone(),
                notes: draft.notes.clone(),
                marketing_consent: draft.consent,
            },
        )));
    }
    ui.add_space(6.0);
}

/// Orders newest first, each with its lines and refunds on opening.
fn orders_ui(ui: &mut egui::Ui, profile: &CustomerProfile, currency: Currency) {
    egui::CollapsingHeader::new(format!("Orders ({})", profile.order_count))
        .id_salt("profile-orders")
        .default_open(true)
        .show(ui, |ui| {
            for order in profile.orders.iter().take(200) {
                let what = if order.status == "refund" {
                    format!(
                        "{}  refund {}  {}",
                        order.local_date,
                        order.external_id,
                        format_money(order.net_cents, currency)
                    )
                } else {
                    let code = order
                        .coupon_code
                        .as_deref()
                        .map_or_else(String::new, |c| format!("  code {c}"));
                    let refunded = if order.refunded_cents > 0 {
                        format!(
                            "  ({} refunded)",
                            format_money(order.refunded_cents, currency)
                        )
                    } else {
                        String::new()
                    };
                    format!(
                        "{}  #{}  {}{refunded}{code}",
                        order.local_date,
                        order.external_id,
                        format_money(order.net_cents, currency)
                    )
                };
                egui::CollapsingHeader::new(what)
                    .id_salt(("profile-order", order.id))
                    .show(ui, |ui| {
                        if order.lines.is_empty() {
                            ui.label("No line items in the export.");
                        }
                        for line in &order.lines {
                            ui.label(format!(
                                "{} × {} — {}{}",
                                trim_quantity(line.quantity),
                                line.name,
                                format_money(line.total_cents, currency),
                                if line.refunded_cents > 0 {
                                    format!(
                                        " ({} refunded)",
                                        format_money(line.refunded_cents, currency)
                                    )
                                } else {
                                    String::new()
                                }
                            ));
                        }
                    });
            }
            if profile.orders.len() > 200 {
                ui.label(format!(
                    "The 200 latest of {} are shown; export the customer's data for all.",
                    profile.orders.len()
                ));
            }
        });
}

/// Who is merged into this customer (with Unmerge), and merging another in by number.
fn merges_ui(
    ui: &mut egui::Ui,
    state: &mut AppState,
    draft: &mut ProfileDraft,
    profile: &CustomerProfile,
) {
    if profile.is_erased() || profile.merged_into.is_some() {
        return;
    }
    egui::CollapsingHeader::new("Same person?")
        .id_salt("profile-merges")
        .show(ui, |ui| {
            let busy = state.running_job().is_some();
            for merged in &profile.merged_ids {
                ui.horizontal(|ui| {
                    ui.label(format!("Customer #{merged} is merged into this one."));
                    if ui
                        .add_enabled(!busy, egui::Button::new(format!("Unmerge #{merged}")))
                        .clicked()
                    {
                        state.push(Command::Profile(ProfileCommand::Unmerge(*merged)));
                    }
                });
            }
            ui.horizontal(|ui| {
                let label = ui.label("Merge customer #");
                ui.add(egui::TextEdit::singleline(&mut draft.merge_id).desired_width(70.0))
                    .labelled_by(label.id);
                let other = draft.merge_id.trim().trim_start_matches('#').parse::<i64>();
                let valid = other.as_ref().is_ok_and(|id| *id != profile.id);
                if ui
                    .add_enabled(valid && !busy, egui::Button::new("into this customer"))
                    .on_hover_text(
                        "Their orders then count as this customer's, and future imports of their e-mail or number land here. Unmerge undoes it.",
                    )
                    .clicked()
                    && let Ok(duplicate) = other
                {
                    state.push(Command::Profile(ProfileCommand::Merge {
                        survivor: profile.id,
                        duplicate,
                    }));
                    draft.merge_id.clear();
                }
            });
        });
}

/// Export everything held about the customer, and erase their personal details.
fn privacy_ui(
    ui: &mut egui::Ui,
    state: &mut AppState,
    draft: &mut ProfileDraft,
    profile: &CustomerProfile,
    preview: &ErasurePreview,
) {
    egui::CollapsingHeader::new("Privacy")
        .id_salt("profile-privacy")
        .show(ui, |ui| {
            let busy = state.running_job().is_some();
            if ui
                .add_enabled(!busy, egui::Button::new("Export their data (JSON)…"))
                .on_hover_text(
                    "Everything CLV Desk holds about this customer, for a data access request.",
                )
                .clicked()
            {
                state.push(Command::Profile(ProfileCommand::ChooseJson(profile.id)));
            }
            if !preview.already_erased
                && ui
                    .add_enabled(!busy, egui::Button::new("Erase personal details…"))
                    .clicked()
            {
                draft.confirm_erase = true;
            }
        });
    if draft.confirm_erase {
        erase_confirmation_ui(ui, state, draft, profile, preview);
    }
}

fn erase_confirmation_ui(
    ui: &mut egui::Ui,
    state: &mut AppState,
    draft: &mut ProfileDraft,
    profile: &CustomerProfile,
    preview: &ErasurePreview,
) {
    let response = egui::Modal::new(egui::Id::unique("erase-customer")).show(ui.ctx(), |ui| {
        ui.set_max_width(460.0);
        ui.heading(format!("Erase {}'s personal details?", profile_name(profile)));
        ui.label(preview.summary());
        ui.label("This cannot be undone. If you import an old export that still holds them, they come back as a new customer.");
        ui.horizontal(|ui| {
            if ui.button("Erase for good").clicked() {
                state.push(Command::Profile(ProfileCommand::Erase(profile.id)));
                draft.confirm_erase = false;
            }
            if ui.button("Keep them").clicked() {
                draft.confirm_erase = false;
            }
        });
    });
    if response.should_close() {
        draft.confirm_erase = false;
    }
}

/// The likely duplicates among all customers, with the evidence and a merge button.
pub fn duplicates_ui(ui: &mut egui::Ui, state: &mut AppState) {
    let count = state.profile.duplicates.as_ref().map(Vec::len);
    let title = match count {
        Some(n) => format!("Possible duplicates ({n})"),
        None => "Possible duplicates".to_owned(),
    };
    egui::CollapsingHeader::new(title)
        .id_salt("customer-duplicates")
        .show(ui, |ui| {
            let busy = state.running_job().is_some();
            ui.horizontal_wrapped(|ui| {
                ui.label("Customers who share an e-mail (ignoring how Gmail and others write it), a phone number, or a name and postcode.");
                if ui
                    .add_enabled(!busy, egui::Button::new("Find possible duplicates"))
                    .clicked()
                {
                    state.push(Command::Profile(ProfileCommand::FindDuplicates));
                }
            });
            let Some(found) = state.profile.duplicates.clone() else {
                return;
            };
            if found.is_empty() {
                ui.label("None found.");
            }
            egui::ScrollArea::vertical()
                .id_salt("duplicates-scroll")
                .max_height(220.0)
                .show(ui, |ui| {
                    for suggestion in found.iter().take(300) {
                        let Some(survivor) = suggestion.customers.first() else {
                            continue;
                        };
                        ui.horizontal_wrapped(|ui| {
                            for customer in &suggestion.customers {
                                if ui
                                    .link(format!("{} (#{})", customer.name, customer.id))
                                    .clicked()
                                {
                                    state.push(Command::SelectCustomer(Some(customer.id)));
                                }
                            }
                            ui.label(
                                RichText::new(suggestion.evidence_text())
                                    .small()
                                    .color(ui.visuals().weak_text_color()),
                            );
                            for duplicate in suggestion.customers.iter().skip(1) {
                                if ui
                                    .add_enabled(
                                        !busy,
                                        egui::Button::new(format!(
                                            "Merge #{} into #{}",
                                            duplicate.id, survivor.id
                                        )),
                                    )
                                    .clicked()
                                {
                                    state.push(Command::Profile(ProfileCommand::Merge {
                                        survivor: survivor.id,
                                        duplicate: duplicate.id,
                                    }));
                                }
                            }
                        });
                    }
                });
        });
}

/// "5 November 1990", or "5 November" for a birthday stored without its year (`--11-05`).
fn birthday_words(stored: &str) -> String {
    let (with_year, text) = match stored.strip_prefix("--") {
        Some(rest) => (false, format!("2000-{rest}")),
        None => (true, stored.to_owned()),
    };
    match chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
        Ok(day) if with_year => day.format("%-d %B %Y").to_string(),
        Ok(day) => day.format("%-d %B").to_string(),
        Err(_) => stored.to_owned(),
    }
}

/// `2` for 2.0, `1.5` for 1.5.
fn trim_quantity(quantity: f64) -> String {
    if quantity.fract() == 0.0 {
        format!("{quantity:.0}")
    } else {
        format!("{quantity}")
    }
}

/// The shop-local day of a UTC instant.
fn day_of(utc_seconds: i64) -> String {
    chrono::DateTime::from_timestamp(utc_seconds, 0)
        .map(|t| {
            t.with_timezone(&chrono::Local)
                .format("%-d %b %Y")
                .to_string()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn birthdays_read_as_words_with_or_without_year() {
        assert_eq!(birthday_words("1990-11-05"), "5 November 1990");
        assert_eq!(birthday_words("--02-29"), "29 February");
        assert_eq!(birthday_words("sometime"), "sometime");
    }
}
