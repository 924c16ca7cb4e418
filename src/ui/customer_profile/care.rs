//! The care section of a customer's profile: every care task the queue made for them
//! (when, what, what became of it, how they were contacted and the note kept), and their
//! disputes with how each ended.
//!
//! It lives in its own file, apart from `customer_profile.rs`, so the profile's other
//! program sections (loyalty, referrals) can grow beside it without touching it. The data
//! is read with the profile ([`crate::app::customer_profile::ProfileState::care`]).

use egui::RichText;

use super::day_of;

use crate::store::care::{CustomerCareHistory, DisputeRow, TouchpointRow};

/// The profile's "Care history" section.
pub fn care_history_ui(ui: &mut egui::Ui, history: &CustomerCareHistory) {
    egui::CollapsingHeader::new(format!("Care history ({})", history.tasks.len()))
        .id_salt("profile-care")
        .default_open(true)
        .show(ui, |ui| {
            if history.tasks.is_empty() {
                ui.label("No care tasks for this customer yet.");
            } else {
                tasks_list_ui(ui, history);
            }
            let loose: Vec<_> = history
                .touchpoints
                .iter()
                .filter(|t| t.task_id.is_none())
                .collect();
            for touch in loose {
                ui.label(format!(
                    "{}: {}",
                    touch.kind.replace('_', " "),
                    contact_words(touch)
                ));
            }
            ui.add_space(4.0);
            ui.label(RichText::new(format!("Disputes ({})", history.disputes.len())).strong());
            if history.disputes.is_empty() {
                ui.label("No disputes.");
            }
            for dispute in &history.disputes {
                ui.label(dispute_words(dispute));
            }
        });
}

/// One entry per task, wrapped to the panel's width: due day, kind and status, then how
/// and when the customer was contacted, with the note kept.
fn tasks_list_ui(ui: &mut egui::Ui, history: &CustomerCareHistory) {
    for task in history.tasks.iter().take(100) {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(format!("{}: {}", task.due, task.kind.label())).strong());
            ui.label(format!("({})", status_words(&task.status)));
        });
        if let Some(touch) = history.touchpoint_of(task.id) {
            ui.horizontal_wrapped(|ui| {
                ui.add_space(12.0);
                ui.label(contact_words(touch));
            });
        }
    }
    if history.tasks.len() > 100 {
        ui.label(format!(
            "The 100 latest of {} tasks are shown.",
            history.tasks.len()
        ));
    }
}

/// "Contacted by phone on 6 Dec 2026: called, all well."
fn contact_words(touch: &TouchpointRow) -> String {
    let how = match touch.channel.as_str() {
        "email" => "by e-mail".to_owned(),
        "phone" => "by phone".to_owned(),
        "in_person" => "in person".to_owned(),
        "card" => "with a card".to_owned(),
        "other" => "another way".to_owned(),
        other => format!("by {}", other.replace('_', " ")),
    };
    let mut words = format!("Contacted {how} on {}", day_of(touch.at_utc));
    if touch.note.trim().is_empty() {
        words.push('.');
    } else {
        words.push_str(&format!(": {}", touch.note.trim()));
    }
    words
}

/// A task's status in words.
fn status_words(status: &str) -> &'static str {
    match status {
        "open" => "Open",
        "done" => "Done",
        "snoozed" => "Snoozed",
        "skipped" => "Skipped",
        _ => "Unknown",
    }
}

/// "Dispute 3, opened 5 Mar 2026: Damaged (the lid cracked). Resolved on 8 Mar 2026: sent a
/// new bag."
fn dispute_words(dispute: &DisputeRow) -> String {
    let mut words = format!(
        "Dispute {}, opened {}: {}",
        dispute.id,
        day_of(dispute.opened_utc),
        dispute.category
    );
    let description = dispute.description.trim().trim_end_matches('.');
    if !description.is_empty() {
        words.push_str(&format!(" ({description})"));
    }
    words.push('.');
    match (dispute.status.as_str(), dispute.resolved_utc) {
        ("resolved" | "rejected", Some(at)) => {
            let how = if dispute.status == "resolved" {
                "Resolved"
            } else {
                "Rejected"
            };
            words.push_str(&format!(
                " {how} on {}: {}.",
                day_of(at),
                dispute.resolution.trim().trim_end_matches('.')
            ));
        }
        ("in_progress", _) => words.push_str(" In progress."),
        _ => words.push_str(" Open."),
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disputes_read_as_a_sentence() {
        let dispute = DisputeRow {
            id: 3,
            customer_id: 1,
            customer_name: "Ann".to_owned(),
            order_id: None,
            category: "Damaged".to_owned(),
            description: String::new(),
            status: "resolved".to_owned(),
            resolution: "Sent a new bag".to_owned(),
            goodwill_points: 0,
            goodwill_cents: 0,
            opened_utc: 1_772_700_000,
            resolved_utc: Some(1_772_900_000),
        };
        let words = dispute_words(&dispute);
        assert!(words.starts_with("Dispute 3, opened "), "{words}");
        assert!(words.contains(": Damaged. Resolved on "), "{words}");
        assert!(words.ends_with(": Sent a new bag."), "{words}");
        let described = DisputeRow {
            description: "The lid cracked.".to_owned(),
            status: "open".to_owned(),
            resolved_utc: None,
            ..dispute
        };
        let words = dispute_words(&described);
        assert!(
            words.ends_with(": Damaged (The lid cracked). Open."),
            "{words}"
        );
        let touch = TouchpointRow {
            task_id: Some(1),
            kind: "thank_new".to_owned(),
            channel: "in_person".to_owned(),
            at_utc: 1_772_700_000,
            note: " Gave a card ".to_owned(),
        };
        let words = contact_words(&touch);
        assert!(words.starts_with("Contacted in person on "), "{words}");
        assert!(words.ends_with(": Gave a card"), "{words}");
    }
}
