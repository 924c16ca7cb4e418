//! "Did it help?": per kind of care task, how many contacted customers ordered again
//! within 90 days against customers the same rule picked who were not contacted (the
//! task skipped or left undone), and the difference in percentage points.
//!
//! It exists so the owner sees whether the calls and cards go with customers coming back,
//! said plainly as an observation: the owner chose whom to contact, so the groups may
//! differ in other ways. Computed in [`crate::programs::care::lift_by_kind`].

use egui::RichText;

use crate::app::care::CareData;
use crate::domain::group_thousands;
use crate::programs::care::{Lift, OUTCOME_DAYS};

/// The results tab.
pub fn results_ui(ui: &mut egui::Ui, data: &CareData) {
    ui.label(format!(
        "For each kind of task: of the customers you contacted (task done), how many ordered \
         again within {OUTCOME_DAYS} days; and of customers the same rule picked whom you did \
         not contact (task skipped or left undone), how many did. A task counts once its \
         {OUTCOME_DAYS} days have passed."
    ));
    ui.label(
        RichText::new(
            "Observational, not proof: you chose whom to contact, so the groups may differ in \
             other ways.",
        )
        .strong(),
    );
    ui.add_space(6.0);
    let lifts = &data.outcomes.lift_by_kind;
    if lifts.is_empty() {
        ui.label(format!(
            "No results yet: a task shows here {OUTCOME_DAYS} days after it was done or skipped."
        ));
        return;
    }
    egui::Grid::new("care-lift")
        .striped(true)
        .num_columns(6)
        .spacing([18.0, 6.0])
        .show(ui, |ui| {
            for heading in [
                "Task",
                "Contacted",
                "Came back",
                "Not contacted",
                "Came back",
                "Difference",
            ] {
                ui.label(RichText::new(heading).strong());
            }
            ui.end_row();
            for (kind, lift) in lifts {
                ui.label(kind.label());
                ui.label(group_thousands(lift.contacted));
                ui.label(share_words(lift.contacted_back, lift.contacted));
                ui.label(group_thousands(lift.others));
                ui.label(share_words(lift.others_back, lift.others));
                ui.label(points_words(lift));
                ui.end_row();
            }
        });
    let small = lifts
        .iter()
        .any(|(_, l)| l.contacted.min(l.others) < SMALL_GROUP);
    if small {
        ui.add_space(4.0);
        ui.label(format!(
            "Some groups have fewer than {SMALL_GROUP} customers: a difference of 10 points or \
             more can be chance there."
        ));
    }
}

/// Below this many customers in a group, differences are easily chance.
const SMALL_GROUP: u64 = 30;

/// "40% (2)" or "-" when nobody is in the group.
fn share_words(back: u64, of: u64) -> String {
    if of == 0 {
        "-".to_owned()
    } else {
        format!(
            "{:.0}% ({})",
            100.0 * back as f64 / of as f64,
            group_thousands(back)
        )
    }
}

/// "+12 points", or why there is no difference to show.
fn points_words(lift: &Lift) -> String {
    match lift.points() {
        Some(points) => format!("{points:+.0} points"),
        None if lift.contacted == 0 => "nobody contacted yet".to_owned(),
        None => "nobody to compare with".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_and_points_in_words() {
        assert_eq!(share_words(1, 4), "25% (1)");
        assert_eq!(share_words(0, 0), "-");
        let lift = Lift {
            contacted: 4,
            contacted_back: 2,
            others: 4,
            others_back: 1,
        };
        assert_eq!(points_words(&lift), "+25 points");
        let alone = Lift {
            others: 0,
            others_back: 0,
            ..lift
        };
        assert_eq!(points_words(&alone), "nobody to compare with");
    }
}
