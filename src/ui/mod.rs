//! The window: left navigation, one view per file (`*_ui` functions), dialogs, the status
//! bar with background-job progress, keyboard shortcuts and theme.
//!
//! Views read [`AppState`] and push [`Command`]s; [`ClvDeskApp::show`] applies them after
//! the frame. `show` is the whole UI without eframe, so kittest drives exactly what the
//! window shows.

mod about;
mod care;
mod charts;
mod customer_profile;
mod customers;
mod dashboard;
mod import;
mod loyalty;
mod nav;
mod referrals;
pub mod screenshot;
mod settings;
mod store_problem;
mod theme;
mod widgets;

use std::path::Path;
use std::time::Duration;

use egui::{Key, Modifiers};

pub use referrals::ReferralsTab;

/// One tab of a view that has tabs (loyalty, referrals, care): what `clv-desk screenshot
/// --tab NAME` shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViewTab {
    /// A tab of the loyalty view.
    Loyalty(loyalty::LoyaltyTab),
    /// A tab of the referrals view.
    Referrals(ReferralsTab),
    /// A tab of the care view.
    Care(care::CareTab),
}

impl ViewTab {
    /// The tab of `view` with the short name `slug`; the error names the tabs there are.
    pub fn of(view: View, slug: &str) -> Result<ViewTab, String> {
        let (found, names): (Option<ViewTab>, Vec<&str>) = match view {
            View::Loyalty => (
                loyalty::LoyaltyTab::from_slug(slug).map(ViewTab::Loyalty),
                loyalty::LoyaltyTab::ALL.iter().map(|t| t.slug()).collect(),
            ),
            View::Referrals => (
                ReferralsTab::from_slug(slug).map(ViewTab::Referrals),
                ReferralsTab::ALL.iter().map(|t| t.slug()).collect(),
            ),
            View::Care => (
                care::CareTab::from_slug(slug).map(ViewTab::Care),
                care::CareTab::ALL.iter().map(|t| t.slug()).collect(),
            ),
            _ => {
                return Err(format!(
                    "the {} view has no tabs; --tab is for the loyalty, referrals and care views",
                    view.slug()
                ));
            }
        };
        found.ok_or_else(|| {
            format!(
                "the {} view has no tab '{slug}'; choose one of: {}",
                view.slug(),
                names.join(", ")
            )
        })
    }
}

use crate::app::{AppState, Command, DataState, ThemeChoice, UiPrefs, View, prefs::PREFS_KEY};

/// The window title.
pub const APP_TITLE: &str = "CLV Desk";

/// State that belongs to the views only (form drafts), not to the application.
#[derive(Debug, Default)]
pub struct ViewState {
    settings: settings::SettingsForm,
    import: import::ImportViewState,
    charts: charts::ChartsViewState,
    customers: customers::CustomersViewState,
    loyalty: loyalty::LoyaltyViewState,
    care: care::CareViewState,
    referrals: referrals::ReferralsViewState,
}

/// The eframe application: [`AppState`] plus view-local state.
pub struct ClvDeskApp {
    /// Application state (public so tests can inspect what a click changed).
    pub state: AppState,
    views: ViewState,
    applied_theme: Option<ThemeChoice>,
    close_sent: bool,
    screenshot: Option<screenshot::ScreenshotRun>,
    /// Where a chart picture being saved reports back (from the screenshot callback).
    chart_png_outcome: ChartPngOutcome,
}

/// The result of saving a chart picture, handed back by the screenshot callback.
type ChartPngOutcome = std::sync::Arc<std::sync::Mutex<Option<Result<std::path::PathBuf, String>>>>;

impl ClvDeskApp {
    /// Opens the database and restores the per-user preferences.
    pub fn new(db_path: &Path, prefs: UiPrefs) -> ClvDeskApp {
        ClvDeskApp {
            state: AppState::open(db_path, prefs),
            views: ViewState::default(),
            applied_theme: None,
            close_sent: false,
            screenshot: None,
            chart_png_outcome: ChartPngOutcome::default(),
        }
    }

    /// The app inside eframe: preferences from eframe's storage, fonts and style set up.
    pub fn from_creation_context(cc: &eframe::CreationContext<'_>, db_path: &Path) -> ClvDeskApp {
        let prefs = cc
            .storage
            .and_then(|s| eframe::get_value::<UiPrefs>(s, PREFS_KEY))
            .unwrap_or_default();
        theme::install_style(&cc.egui_ctx);
        ClvDeskApp::new(db_path, prefs)
    }

    /// Draws one frame of the whole UI into `ui` and applies the commands it produced.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        self.state.poll();
        if self.state.dialog_is_open() {
            // The answer of a file dialog is collected by `poll`: keep asking while it is open.
            ui.ctx().request_repaint_after(Duration::from_millis(100));
        }
        self.apply_theme(ui.ctx());
        self.handle_shortcuts(ui.ctx());
        self.handle_dropped_files(ui.ctx());

        match &self.state.data {
            DataState::Failed { .. } => {
                egui::CentralPanel::default().show(ui, |ui| {
                    store_problem::store_problem_ui(ui, &mut self.state)
                });
            }
            DataState::Ready { .. } => self.main_ui(ui),
        }
        about::about_window_ui(ui.ctx(), &mut self.state);
        error_dialog_ui(ui.ctx(), &mut self.state);

        if self.state.running_job().is_some() {
            // Keep the progress bar moving while the writer works.
            ui.ctx().request_repaint_after(Duration::from_millis(100));
        }
        self.state.apply_commands();
        self.save_chart_png(ui.ctx());
        if self.state.quit_requested && !self.close_sent {
            self.close_sent = true;
            ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
        }
    }

    /// Takes a requested chart picture from the drawn window (the chart must be on screen
    /// in the Value charts view), and reports how saving went in the status line.
    fn save_chart_png(&mut self, ctx: &egui::Context) {
        if let Some(outcome) = self
            .chart_png_outcome
            .lock()
            .ok()
            .and_then(|mut o| o.take())
        {
            self.state.chart_png_saved(outcome);
        }
        let Some((title, path)) = self.state.chart_png.take() else {
            return;
        };
        let rect = (self.state.view == View::ValueCharts)
            .then(|| charts::chart_rect(ctx, &title))
            .flatten()
            .filter(|r| r.width() > 1.0 && r.height() > 1.0);
        let Some(rect) = rect else {
            self.state.chart_png_saved(Err(format!(
                "“{title}” is not on screen; open Value charts and scroll to it first"
            )));
            return;
        };
        let pixels_per_point = ctx.pixels_per_point();
        let outcome = std::sync::Arc::clone(&self.chart_png_outcome);
        let repaint = ctx.clone();
        ctx.request_screenshot(move |image| {
            let saved = screenshot::save_region_png(&image, rect, pixels_per_point, &path)
                .map(|_| path.clone());
            if let Ok(mut slot) = outcome.lock() {
                *slot = Some(saved);
            }
            repaint.request_repaint();
        });
    }

    fn main_ui(&mut self, ui: &mut egui::Ui) {
        egui::Panel::left("navigation")
            .resizable(false)
            .exact_size(170.0)
            .show(ui, |ui| nav::navigation_ui(ui, &mut self.state));
        egui::Panel::bottom("status").show(ui, |ui| status_bar_ui(ui, &mut self.state));
        egui::CentralPanel::default().show(ui, |ui| {
            if self.state.view == View::Customers {
                // The customers table scrolls itself (virtualised rows, fixed headings).
                self.view_ui(ui);
            } else {
                egui::ScrollArea::vertical()
                    .auto_shrink([false, false])
                    .show(ui, |ui| self.view_ui(ui));
            }
        });
    }

    fn view_ui(&mut self, ui: &mut egui::Ui) {
        let view = self.state.view;
        widgets::demo_banner_ui(ui, &mut self.state);
        widgets::view_heading_ui(ui, view.heading());
        match view {
            View::Dashboard => dashboard::dashboard_ui(ui, &mut self.state),
            View::Import => import::import_ui(ui, &mut self.state, &mut self.views.import),
            View::Customers => {
                customers::customers_ui(ui, &mut self.state, &mut self.views.customers)
            }
            View::ValueCharts => charts::charts_ui(ui, &mut self.state, &mut self.views.charts),
            View::Loyalty => loyalty::loyalty_ui(ui, &mut self.state, &mut self.views.loyalty),
            View::Referrals => {
                referrals::referrals_ui(ui, &mut self.state, &mut self.views.referrals)
            }
            View::Care => care::care_ui(ui, &mut self.state, &mut self.views.care),
            View::Settings => settings::settings_ui(ui, &mut self.state, &mut self.views.settings),
        }
    }

    fn apply_theme(&mut self, ctx: &egui::Context) {
        if self.applied_theme == Some(self.state.prefs.theme) {
            return;
        }
        ctx.set_theme(match self.state.prefs.theme {
            ThemeChoice::System => egui::ThemePreference::System,
            ThemeChoice::Light => egui::ThemePreference::Light,
            ThemeChoice::Dark => egui::ThemePreference::Dark,
        });
        self.applied_theme = Some(self.state.prefs.theme);
    }

    /// Ctrl+1 … Ctrl+8 switch views (Cmd on macOS).
    fn handle_shortcuts(&mut self, ctx: &egui::Context) {
        const KEYS: [Key; 8] = [
            Key::Num1,
            Key::Num2,
            Key::Num3,
            Key::Num4,
            Key::Num5,
            Key::Num6,
            Key::Num7,
            Key::Num8,
        ];
        if !matches!(self.state.data, DataState::Ready { .. }) {
            return;
        }
        for (key, view) in KEYS.into_iter().zip(View::ALL) {
            if ctx.input_mut(|i| i.consume_key(Modifiers::COMMAND, key)) {
                self.state.push(Command::Navigate(view));
            }
        }
        if ctx.input_mut(|i| i.consume_key(Modifiers::COMMAND, Key::O))
            && self.state.running_job().is_none()
        {
            self.state.push(Command::ChooseImportFiles);
        }
    }

    /// Files dropped on the window from any view go to the import preview; while files
    /// hover over the window, a hint says what dropping them does.
    fn handle_dropped_files(&mut self, ctx: &egui::Context) {
        if !matches!(self.state.data, DataState::Ready { .. }) {
            return;
        }
        let (hovering, dropped): (bool, Vec<std::path::PathBuf>) = ctx.input(|i| {
            (
                !i.raw.hovered_files.is_empty(),
                i.raw
                    .dropped_files
                    .iter()
                    .map(|f| f.path().to_path_buf())
                    .filter(|p| !p.as_os_str().is_empty())
                    .collect(),
            )
        });
        if !dropped.is_empty() {
            self.state.push(Command::StageFiles(dropped));
        }
        if hovering {
            let screen = ctx.content_rect();
            let painter = ctx.layer_painter(egui::LayerId::new(
                egui::Order::Foreground,
                egui::Id::unique("drop-hint"),
            ));
            painter.rect_filled(screen, 0.0, egui::Color32::from_black_alpha(160));
            painter.text(
                screen.center(),
                egui::Align2::CENTER_CENTER,
                "Drop to import these orders",
                egui::FontId::proportional(28.0),
                egui::Color32::WHITE,
            );
        }
    }
}

impl eframe::App for ClvDeskApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
        let busy = self.state.running_job().is_some();
        if let Some(run) = &mut self.screenshot {
            run.after_frame(ui.ctx(), busy, &mut self.state);
        }
    }

    /// A screenshot shows the view as it is, not as it is under the pointer: wherever the
    /// display's pointer happens to rest (the middle of a virtual screen), it would draw a
    /// chart's crosshair and hover tooltips into the picture. Pointer input is dropped and
    /// the pointer reported gone.
    fn raw_input_hook(&mut self, _ctx: &egui::Context, raw_input: &mut egui::RawInput) {
        if self.screenshot.is_some() {
            raw_input.events.retain(|event| !is_pointer_event(event));
            raw_input.events.push(egui::Event::PointerGone);
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        if self.screenshot.is_none() {
            eframe::set_value(storage, PREFS_KEY, &self.state.prefs);
        }
    }

    fn persist_egui_memory(&self) -> bool {
        self.screenshot.is_none()
    }
}

/// Whether `event` comes from the mouse or a touch (what a screenshot ignores).
fn is_pointer_event(event: &egui::Event) -> bool {
    matches!(
        event,
        egui::Event::PointerMoved(_)
            | egui::Event::MouseMoved(_)
            | egui::Event::PointerButton { .. }
            | egui::Event::MouseWheel { .. }
            | egui::Event::Touch { .. }
    )
}

/// The bottom bar: the running job with its progress and a Cancel button, or the last result.
fn status_bar_ui(ui: &mut egui::Ui, state: &mut AppState) {
    ui.horizontal(|ui| {
        if let Some(job) = state.running_job() {
            let fraction = job.progress.fraction();
            let message = job.progress.message();
            let cancelling = job.progress.is_cancelled();
            ui.add(
                egui::ProgressBar::new(fraction)
                    .desired_width(220.0)
                    .show_percentage(),
            );
            ui.label(if cancelling {
                "Cancelling…".to_owned()
            } else {
                message
            });
            if ui
                .add_enabled(!cancelling, egui::Button::new("Cancel"))
                .clicked()
            {
                state.push(Command::CancelJob);
            }
        } else if let Some(status) = &state.status {
            if status.is_error {
                ui.colored_label(ui.visuals().error_fg_color, &status.text);
            } else {
                ui.label(&status.text);
            }
        } else {
            ui.label("Ready.");
        }
    });
}

/// A modal message for problems the owner must read (bad file chosen, invalid settings).
fn error_dialog_ui(ctx: &egui::Context, state: &mut AppState) {
    let Some(message) = state.error_dialog.clone() else {
        return;
    };
    let response = egui::Modal::new(egui::Id::unique("error-dialog")).show(ctx, |ui| {
        ui.set_max_width(460.0);
        ui.heading("Something needs your attention");
        ui.add_space(6.0);
        ui.label(message);
        ui.add_space(10.0);
        if ui.button("OK").clicked() {
            state.push(Command::DismissError);
        }
    });
    if response.should_close() {
        state.push(Command::DismissError);
    }
}

/// The window icon, decoded from `assets/icon.png`.
pub fn app_icon() -> Option<egui::IconData> {
    let image = image::load_from_memory(include_bytes!("../../assets/icon.png")).ok()?;
    let rgba = image.to_rgba8();
    Some(egui::IconData {
        width: rgba.width(),
        height: rgba.height(),
        rgba: rgba.into_raw(),
    })
}

/// Opens the main window on `db_path` and runs until it is closed.
pub fn run_window(db_path: &Path) -> Result<(), eframe::Error> {
    let db_path = db_path.to_path_buf();
    eframe::run_native(
        APP_TITLE,
        native_options(None),
        Box::new(move |cc| Ok(Box::new(ClvDeskApp::from_creation_context(cc, &db_path)))),
    )
}

/// The window's inner size (points) the first time the app opens: as wide as most laptop
/// screens allow (1366 × 768 and up), and the width every view's layout is made to fit.
pub const FIRST_WINDOW_SIZE: [f32; 2] = [1280.0, 760.0];

/// Window options: glow renderer, icon, app id; `size` fixes the inner size (screenshots)
/// and then the remembered window geometry is ignored.
fn native_options(size: Option<[f32; 2]>) -> eframe::NativeOptions {
    let mut viewport = egui::ViewportBuilder::default()
        .with_title(APP_TITLE)
        .with_app_id("clv-desk")
        .with_min_inner_size([720.0, 480.0]);
    viewport = match size {
        Some(size) => viewport.with_inner_size(size).with_resizable(false),
        None => viewport.with_inner_size(FIRST_WINDOW_SIZE),
    };
    if let Some(icon) = app_icon() {
        viewport = viewport.with_icon(icon);
    }
    eframe::NativeOptions {
        viewport,
        renderer: eframe::Renderer::Glow,
        persist_window: size.is_none(),
        ..eframe::NativeOptions::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tab_of_every_view_with_tabs_is_found_by_its_short_name() {
        for tab in loyalty::LoyaltyTab::ALL {
            assert_eq!(
                ViewTab::of(View::Loyalty, tab.slug()),
                Ok(ViewTab::Loyalty(tab))
            );
        }
        for tab in ReferralsTab::ALL {
            assert_eq!(
                ViewTab::of(View::Referrals, tab.slug()),
                Ok(ViewTab::Referrals(tab))
            );
        }
        for tab in care::CareTab::ALL {
            assert_eq!(ViewTab::of(View::Care, tab.slug()), Ok(ViewTab::Care(tab)));
        }
        let wrong = ViewTab::of(View::Care, "ledger").unwrap_err();
        assert!(
            wrong.contains("queue, rules, messages, disputes, results"),
            "{wrong}"
        );
        assert!(ViewTab::of(View::Dashboard, "queue").is_err());
    }
}
