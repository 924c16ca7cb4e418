//! Small building blocks the views share: the view heading, the empty state that tells an
//! owner what to do first, and a headline figure with its meaning in one sentence.

use egui::RichText;

use crate::app::{AppState, Command, View};

/// The heading at the top of every view.
pub fn view_heading_ui(ui: &mut egui::Ui, heading: &str) {
    ui.add_space(4.0);
    ui.heading(heading);
    ui.add_space(8.0);
}

/// An honest empty state: a title, what it means, and the next step.
pub fn empty_state_ui(ui: &mut egui::Ui, title: &str, body: &str) {
    egui::Frame::group(ui.style())
        .inner_margin(egui::Margin::same(16))
        .show(ui, |ui| {
            ui.set_max_width(620.0);
            ui.label(RichText::new(title).size(18.0).strong());
            ui.add_space(4.0);
            ui.label(body);
        });
    ui.add_space(8.0);
}

/// The two ways to get data in, offered wherever the database is still empty.
pub fn first_steps_ui(ui: &mut egui::Ui, state: &mut AppState) {
    ui.horizontal(|ui| {
        if state.view != View::Import && ui.button("Go to Import").clicked() {
            state.push(Command::Navigate(View::Import));
        }
        let busy = state.running_job().is_some();
        if ui
            .add_enabled(!busy, egui::Button::new("Explore demo data"))
            .on_hover_text("Opens a separate demo database with a sample coffee shop (2,000 made-up customers) so you can try every view. Your own database is not touched.")
            .clicked()
        {
            state.push(Command::ExploreDemo);
        }
    });
}

/// Inner width of a headline figure card.
const FIGURE_WIDTH: f32 = 230.0;

/// A headline figure: a label, the value, and one sentence saying what it means.
#[derive(Clone, Debug)]
pub struct Figure {
    /// What is counted ("Customers").
    pub label: String,
    /// The number, formatted.
    pub value: String,
    /// One sentence on what it means.
    pub meaning: String,
    /// The view that explains it, offered as a link under the meaning.
    pub link: Option<View>,
}

/// Figure cards in as many columns as the width allows, wrapping onto new rows; the view
/// whose link was clicked, if any.
pub fn figures_ui(ui: &mut egui::Ui, figures: &[Figure]) -> Option<View> {
    let mut clicked = None;
    let margin = 12.0;
    let card_outer = FIGURE_WIDTH + 2.0 * margin + 2.0 + ui.spacing().item_spacing.x;
    let per_row = ((ui.available_width() + ui.spacing().item_spacing.x) / card_outer)
        .floor()
        .max(1.0) as usize;
    for row in figures.chunks(per_row) {
        ui.horizontal(|ui| {
            for figure in row {
                egui::Frame::group(ui.style())
                    .inner_margin(egui::Margin::same(margin as i8))
                    .show(ui, |ui| {
                        ui.set_width(FIGURE_WIDTH);
                        ui.set_min_height(110.0);
                        ui.vertical(|ui| {
                            ui.label(
                                RichText::new(&figure.label).color(ui.visuals().weak_text_color()),
                            );
                            ui.label(RichText::new(&figure.value).size(26.0).strong());
                            ui.label(RichText::new(&figure.meaning).small());
                            if let Some(view) = figure.link
                                && ui.link(RichText::new(link_words(view)).small()).clicked()
                            {
                                clicked = Some(view);
                            }
                        });
                    });
            }
        });
    }
    clicked
}

/// "See it in Value charts".
fn link_words(view: View) -> String {
    format!("See it in {}", view.label())
}

pub use crate::domain::plural;

/// The state of a view whose program is not built yet: says so plainly, and on an empty
/// database points to the first step instead.
pub fn pending_program_ui(ui: &mut egui::Ui, state: &mut AppState, title: &str, body: &str) {
    let empty = state.snapshot().is_none_or(|s| s.overview.is_empty());
    empty_state_ui(ui, title, body);
    if empty {
        ui.label("Start by bringing in your orders:");
        first_steps_ui(ui, state);
    }
}

/// The band across the top of every view while the demo shop is open: says plainly that
/// the numbers are made up, and leads back to the owner's own database.
pub fn demo_banner_ui(ui: &mut egui::Ui, state: &mut AppState) {
    if !state.snapshot().is_some_and(|s| s.is_demo) {
        return;
    }
    let fill = ui.visuals().warn_fg_color.gamma_multiply(0.18);
    egui::Frame::new()
        .fill(fill)
        .inner_margin(egui::Margin::symmetric(12, 8))
        .corner_radius(4.0)
        .show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.label(
                    RichText::new(
                        "Demo shop: these customers and orders are made up, not your data.",
                    )
                    .strong(),
                );
                let busy = state.running_job().is_some();
                if let Some(own) = state.return_from_demo.clone()
                    && ui
                        .add_enabled(!busy, egui::Button::new("Back to your database"))
                        .on_hover_text(own.display().to_string())
                        .clicked()
                {
                    state.push(Command::OpenDatabase(own));
                }
            });
        });
    ui.add_space(6.0);
}
