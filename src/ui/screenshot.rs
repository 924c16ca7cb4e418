//! `clv-desk screenshot`: opens a real window on a database, renders one view for a few
//! frames, saves what the GPU drew (via `ViewportCommand::Screenshot`) as a PNG, and exits.
//!
//! Used for the README picture and to look at every view as an owner would (under Xvfb on
//! a machine without a screen).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::app::{AppState, Command, ThemeChoice, UiPrefs, View};

use super::{ClvDeskApp, native_options, theme};

/// Frames drawn before the picture is taken, so layout (grids, wrapped text) has settled.
const WARM_UP_FRAMES: u32 = 8;

/// How long the whole run may take before it is abandoned with an error.
const TIMEOUT: Duration = Duration::from_secs(90);

/// What to photograph.
#[derive(Clone, Debug)]
pub struct ScreenshotRequest {
    /// Database to open.
    pub db_path: PathBuf,
    /// View to show.
    pub view: View,
    /// PNG file to write.
    pub out: PathBuf,
    /// Inner window size in pixels (width, height).
    pub size: [u32; 2],
    /// Theme to draw in.
    pub theme: ThemeChoice,
    /// Files to read into the import preview before the picture is taken.
    pub import_preview: Vec<PathBuf>,
    /// Save only this chart (by its title) through the app's own "Save as PNG…", instead of
    /// the whole window.
    pub chart: Option<String>,
    /// Open this customer's profile (customers view) before the picture is taken.
    pub customer: Option<i64>,
    /// Show this tab of the view.
    pub tab: Option<super::ViewTab>,
}

/// Why no screenshot was written.
#[derive(Debug, thiserror::Error)]
pub enum ScreenshotError {
    /// No display server to open a window on.
    #[error(
        "no display to open a window on: DISPLAY and WAYLAND_DISPLAY are not set. On a machine without a screen, start a virtual one first, e.g. `Xvfb :99 & DISPLAY=:99 clv-desk screenshot …`"
    )]
    NoDisplay,
    /// The window could not be created.
    #[error("could not open the window: {0}")]
    Window(String),
    /// The picture could not be saved.
    #[error("could not write {}: {detail}", path.display())]
    Write {
        /// Target file.
        path: PathBuf,
        /// Why.
        detail: String,
    },
    /// The window closed before a picture was taken.
    #[error("the window closed before the screenshot was taken")]
    NotTaken,
}

/// Where the saved picture's size (or the reason it failed) is handed back to the caller.
type ResultSlot = Arc<Mutex<Option<Result<[u32; 2], String>>>>;

/// The screenshot's progress inside the running app.
pub(super) struct ScreenshotRun {
    out: PathBuf,
    chart: Option<String>,
    frames: u32,
    requested: bool,
    result: ResultSlot,
}

impl ScreenshotRun {
    /// Called after every frame: warm up (while no background job runs), ask for the
    /// picture, close once it is saved.
    pub(super) fn after_frame(&mut self, ctx: &egui::Context, busy: bool, state: &mut AppState) {
        if busy {
            self.frames = 0;
            ctx.request_repaint();
            return;
        }
        self.frames += 1;
        let finished = self.result.lock().map(|r| r.is_some()).unwrap_or(true);
        if finished {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            return;
        }
        if let Some(title) = self.chart.clone() {
            self.after_frame_for_chart(ctx, state, title);
            return;
        }
        // Background reads (the customers table, a profile) finish before the picture.
        if self.frames >= WARM_UP_FRAMES && !self.requested && state.running_job().is_none() {
            self.requested = true;
            let out = self.out.clone();
            let result = Arc::clone(&self.result);
            let repaint = ctx.clone();
            ctx.request_screenshot(move |image| {
                let saved = save_png(&image, &out);
                if let Ok(mut slot) = result.lock() {
                    *slot = Some(saved);
                }
                repaint.request_repaint();
            });
        }
        ctx.request_repaint();
    }
}

impl ScreenshotRun {
    /// The chart's picture goes through the app: the same command "Save as PNG…" gives after
    /// its file dialog; the outcome comes back in the status line.
    fn after_frame_for_chart(&mut self, ctx: &egui::Context, state: &mut AppState, title: String) {
        // Background reads (the customers table, a profile) finish before the picture.
        if self.frames >= WARM_UP_FRAMES && !self.requested && state.running_job().is_none() {
            self.requested = true;
            state.status = None;
            state.push(Command::SaveChartPng(title, self.out.clone()));
        } else if self.requested
            && let Some(status) = &state.status
        {
            let outcome = if status.is_error {
                Err(status.text.clone())
            } else {
                image::image_dimensions(&self.out)
                    .map(|(w, h)| [w, h])
                    .map_err(|e| e.to_string())
            };
            if let Ok(mut slot) = self.result.lock() {
                *slot = Some(outcome);
            }
        }
        ctx.request_repaint();
    }
}

/// Takes the screenshot described by `request`; returns the PNG's size in pixels.
pub fn take_screenshot(request: &ScreenshotRequest) -> Result<[u32; 2], ScreenshotError> {
    if cfg!(target_os = "linux")
        && std::env::var_os("DISPLAY").is_none()
        && std::env::var_os("WAYLAND_DISPLAY").is_none()
    {
        return Err(ScreenshotError::NoDisplay);
    }
    let result: ResultSlot = Arc::new(Mutex::new(None));
    let done = Arc::new(AtomicBool::new(false));
    start_watchdog(Arc::clone(&done));

    let size = [request.size[0] as f32, request.size[1] as f32];
    let request_copy = request.clone();
    let result_slot = Arc::clone(&result);
    let run = eframe::run_native(
        super::APP_TITLE,
        native_options(Some(size)),
        Box::new(move |cc| {
            theme::install_style(&cc.egui_ctx);
            let prefs = UiPrefs {
                theme: request_copy.theme,
                last_view: request_copy.view,
                ..UiPrefs::default()
            };
            let mut app = ClvDeskApp::new(&request_copy.db_path, prefs);
            if !request_copy.import_preview.is_empty() {
                app.state
                    .push(Command::StageFiles(request_copy.import_preview.clone()));
                app.state.apply_commands();
            }
            if let Some(id) = request_copy.customer {
                app.state.push(Command::SelectCustomer(Some(id)));
                app.state.apply_commands();
            }
            match request_copy.tab {
                Some(super::ViewTab::Loyalty(tab)) => app.views.loyalty.show_tab(tab),
                Some(super::ViewTab::Referrals(tab)) => app.views.referrals.show_tab(tab),
                Some(super::ViewTab::Care(tab)) => app.views.care.show_tab(tab),
                None => {}
            }
            app.screenshot = Some(ScreenshotRun {
                out: request_copy.out.clone(),
                chart: request_copy.chart.clone(),
                frames: 0,
                requested: false,
                result: result_slot,
            });
            Ok(Box::new(app))
        }),
    );
    done.store(true, Ordering::Relaxed);
    run.map_err(|e| ScreenshotError::Window(e.to_string()))?;
    let outcome = result.lock().ok().and_then(|mut r| r.take());
    match outcome {
        Some(Ok(size)) => Ok(size),
        Some(Err(detail)) => Err(ScreenshotError::Write {
            path: request.out.clone(),
            detail,
        }),
        None => Err(ScreenshotError::NotTaken),
    }
}

/// Ends the process with a message if the window never produces a picture (a display that
/// accepts the connection but never draws would otherwise hang a script forever).
fn start_watchdog(done: Arc<AtomicBool>) {
    let _ = std::thread::Builder::new()
        .name("clv-desk-screenshot-watchdog".to_owned())
        .spawn(move || {
            std::thread::sleep(TIMEOUT);
            if !done.load(Ordering::Relaxed) {
                eprintln!(
                    "clv-desk: screenshot: no picture after {} seconds; giving up",
                    TIMEOUT.as_secs()
                );
                std::process::exit(3);
            }
        });
}

/// Saves the part of `image` (a screenshot of the window) under `rect` (in points) as a PNG;
/// returns its size in pixels.
pub fn save_region_png(
    image: &egui::ColorImage,
    rect: egui::Rect,
    pixels_per_point: f32,
    out: &Path,
) -> Result<[u32; 2], String> {
    let [width, height] = image.size;
    let to_px =
        |v: f32, limit: usize| ((v * pixels_per_point).round().max(0.0) as usize).min(limit);
    let (x0, x1) = (to_px(rect.min.x, width), to_px(rect.max.x, width));
    let (y0, y1) = (to_px(rect.min.y, height), to_px(rect.max.y, height));
    if x1 <= x0 || y1 <= y0 {
        return Err("the chart is outside the window".to_owned());
    }
    let pixels = (y0..y1)
        .flat_map(|y| image.pixels[y * width + x0..y * width + x1].iter().copied())
        .collect();
    let region = egui::ColorImage::new([x1 - x0, y1 - y0], pixels);
    save_png(&region, out)
}

fn save_png(image: &egui::ColorImage, out: &Path) -> Result<[u32; 2], String> {
    let [width, height] = image.size;
    let bytes: Vec<u8> = image
        .pixels
        .iter()
        .flat_map(|c| c.to_srgba_unmultiplied())
        .collect();
    let (w, h) = (
        u32::try_from(width).map_err(|e| e.to_string())?,
        u32::try_from(height).map_err(|e| e.to_string())?,
    );
    let buffer =
        image::RgbaImage::from_raw(w, h, bytes).ok_or("image buffer has the wrong size")?;
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
    }
    buffer
        .save_with_format(out, image::ImageFormat::Png)
        .map_err(|e| e.to_string())?;
    Ok([w, h])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_region_is_cut_out_and_saved_as_a_png() {
        let dir = tempfile::tempdir().unwrap();
        // A 40 × 30 pixel window at 2 pixels per point, red left half, blue right half.
        let pixels = (0..30)
            .flat_map(|_| {
                (0..40).map(|x| {
                    if x < 20 {
                        egui::Color32::RED
                    } else {
                        egui::Color32::BLUE
                    }
                })
            })
            .collect();
        let image = egui::ColorImage::new([40, 30], pixels);
        let out = dir.path().join("charts").join("chart.png");
        let rect = egui::Rect::from_min_max(egui::pos2(10.0, 5.0), egui::pos2(20.0, 15.0));
        assert_eq!(save_region_png(&image, rect, 2.0, &out), Ok([20, 20]));
        let saved = image::open(&out).unwrap().to_rgba8();
        assert_eq!(saved.dimensions(), (20, 20));
        assert_eq!(
            saved.get_pixel(0, 0).0,
            [0, 0, 255, 255],
            "the blue half only"
        );
        let outside = egui::Rect::from_min_max(egui::pos2(30.0, 0.0), egui::pos2(40.0, 5.0));
        assert!(save_region_png(&image, outside, 2.0, &out).is_err());
    }
}
