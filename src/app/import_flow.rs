//! The import as the window runs it: files queued (dialog, drag and drop, Ctrl+O), each
//! staged on the writer thread into a preview, the owner's changes to the preview (date
//! order, decimal separator, platform, columns, exchange rate) restaging it, then the write
//! with progress and Cancel, the result report, and Undo from the history.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::Instant;

use super::import::{ImportFailure, stage, write};
use crate::domain::ImportId;
use crate::import::{
    DateOrder, DecimalSeparator, Field, ImportError, ImportOptions, PresetId, StagedImport,
};

/// A change the owner makes in the preview.
#[derive(Clone, Debug, PartialEq)]
pub enum PreviewChange {
    /// Day/month order of numeric dates.
    DateOrder(DateOrder),
    /// Decimal separator.
    Decimal(DecimalSeparator),
    /// Platform (`None`: recognise it).
    Preset(Option<PresetId>),
    /// The column for a field, by name (`None`: not in the file).
    Column(Field, Option<String>),
    /// Exchange rate from the file's currency to the database's.
    Rate(Option<f64>),
}

/// What the Import view shows for the current file.
#[derive(Debug, Default)]
pub enum Preview {
    /// No file in hand.
    #[default]
    Empty,
    /// Being read.
    Staging,
    /// Read: the preview.
    Ready(Box<StagedImport>),
    /// Could not be read; the message, and the file's columns when it has a header (so the
    /// owner can map a missing column).
    Failed {
        /// Why.
        message: String,
        /// The header, if any.
        columns: Vec<String>,
        /// True when a rate would fix it.
        needs_rate: bool,
    },
    /// Being written.
    Writing,
}

/// A finished import, for the result panel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportReportView {
    /// File name.
    pub file_name: String,
    /// The result in plain lines.
    pub lines: Vec<String>,
    /// Whether it failed.
    pub failed: bool,
}

enum Event {
    Staged {
        path: PathBuf,
        result: Result<Box<StagedImport>, (String, Vec<String>, bool)>,
    },
    Written {
        report: ImportReportView,
    },
}

/// The import part of the application state.
pub struct ImportFlow {
    queue: VecDeque<PathBuf>,
    /// The file in the preview and the options it is staged with.
    pub current: Option<(PathBuf, ImportOptions)>,
    /// What the preview shows.
    pub preview: Preview,
    /// The last import's result.
    pub last_report: Option<ImportReportView>,
    sender: Sender<Event>,
    receiver: Receiver<Event>,
}

impl std::fmt::Debug for ImportFlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportFlow")
            .field("queue", &self.queue)
            .field("current", &self.current.as_ref().map(|c| &c.0))
            .finish_non_exhaustive()
    }
}

impl Default for ImportFlow {
    fn default() -> Self {
        let (sender, receiver) = mpsc::channel();
        ImportFlow {
            queue: VecDeque::new(),
            current: None,
            preview: Preview::Empty,
            last_report: None,
            sender,
            receiver,
        }
    }
}

/// A job to hand to the writer thread: its label and work.
pub type FlowJob = (String, super::worker::JobFn);

impl ImportFlow {
    /// Files waiting after the current one.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Adds files; returns the staging job for the first if nothing is in the preview.
    pub fn add_files(&mut self, paths: Vec<PathBuf>) -> Option<FlowJob> {
        self.queue.extend(paths);
        if self.current.is_none() {
            self.next_file()
        } else {
            None
        }
    }

    /// Moves on to the next queued file (or empties the preview).
    pub fn next_file(&mut self) -> Option<FlowJob> {
        self.current = None;
        self.preview = Preview::Empty;
        let path = self.queue.pop_front()?;
        self.current = Some((path, ImportOptions::default()));
        Some(self.stage_job())
    }

    /// Applies a preview change; returns the restaging job.
    pub fn change(&mut self, change: PreviewChange) -> Option<FlowJob> {
        let (_, options) = self.current.as_mut()?;
        match change {
            PreviewChange::DateOrder(order) => options.date_order = Some(order),
            PreviewChange::Decimal(decimal) => options.decimal = Some(decimal),
            PreviewChange::Preset(preset) => {
                options.preset = preset;
                options.overrides.clear();
            }
            PreviewChange::Column(field, column) => {
                options.overrides.retain(|(f, _)| *f != field);
                options
                    .overrides
                    .push((field, column.unwrap_or_else(|| "-".to_owned())));
                if options.preset.is_none() {
                    options.preset = Some(PresetId::Generic);
                }
            }
            PreviewChange::Rate(rate) => options.exchange_rate = rate,
        }
        Some(self.stage_job())
    }

    fn stage_job(&mut self) -> FlowJob {
        let Some((path, options)) = self.current.clone() else {
            return (
                "Nothing to read".to_owned(),
                Box::new(|_, _| Ok(String::new())),
            );
        };
        self.preview = Preview::Staging;
        let sender = self.sender.clone();
        let file = display_name(&path);
        let label = format!("Reading {file}");
        let run: super::worker::JobFn = Box::new(move |store, progress| {
            let started = Instant::now();
            let result = stage(store, &path, options, &mut |fraction, rows| {
                progress.set(
                    fraction,
                    super::import::progress_words(&file, fraction, rows, started),
                );
                !progress.is_cancelled()
            });
            let message = match &result {
                // The preview counts what it holds (refund entries too); said once, there.
                Ok(_) => format!("{file} read: check it in the preview, then import it."),
                Err(_) => format!("{file} could not be read."),
            };
            let result = result.map(Box::new).map_err(|e| {
                let needs_rate =
                    matches!(e, ImportFailure::File(ImportError::CurrencyMismatch { .. }));
                (
                    e.to_string(),
                    crate::import::header_names(&path).unwrap_or_default(),
                    needs_rate,
                )
            });
            let _ = sender.send(Event::Staged { path, result });
            Ok(message)
        });
        (label, run)
    }

    /// The write job for the previewed file, if it is ready and unambiguous.
    pub fn confirm(&mut self) -> Option<FlowJob> {
        let Preview::Ready(staged) = std::mem::take(&mut self.preview) else {
            return None;
        };
        if staged.date_order_ambiguous {
            self.preview = Preview::Ready(staged);
            return None;
        }
        self.preview = Preview::Writing;
        let sender = self.sender.clone();
        let file = staged.file_name.clone();
        let label = format!("Importing {file}");
        let run: super::worker::JobFn = Box::new(move |store, progress| {
            let total = (staged.orders.len() + staged.refunds_for_other_orders.len()).max(1);
            let started = Instant::now();
            let result = write(store, *staged, false, &mut |done| {
                let fraction = done as f32 / total as f32;
                progress.set(
                    fraction,
                    super::import::progress_words(&file, fraction, done as u64, started),
                );
                !progress.is_cancelled()
            });
            let (report, message) = match result {
                Ok(result) => {
                    let lines = result.summary_lines();
                    let first = lines.first().cloned().unwrap_or_default();
                    (
                        ImportReportView {
                            file_name: file.clone(),
                            lines,
                            failed: false,
                        },
                        first,
                    )
                }
                Err(e) => (
                    ImportReportView {
                        file_name: file.clone(),
                        lines: vec![e.to_string()],
                        failed: true,
                    },
                    e.to_string(),
                ),
            };
            let _ = sender.send(Event::Written { report });
            Ok(message)
        });
        Some((label, run))
    }

    /// The undo job for import `id`.
    pub fn undo_job(id: ImportId, file_name: &str) -> FlowJob {
        (
            format!("Undoing the import of {file_name}"),
            Box::new(move |store, _| super::import::undo(store, id)),
        )
    }

    /// Collects staging and writing results; returns the next file's staging job after a
    /// write finished.
    pub fn poll(&mut self) -> Option<FlowJob> {
        let mut next = None;
        while let Ok(event) = self.receiver.try_recv() {
            match event {
                Event::Staged { path, result } => {
                    if self.current.as_ref().is_none_or(|(p, _)| *p != path) {
                        continue; // a stale answer for a file no longer in the preview
                    }
                    self.preview = match result {
                        Ok(staged) => Preview::Ready(staged),
                        Err((message, columns, needs_rate)) => Preview::Failed {
                            message,
                            columns,
                            needs_rate,
                        },
                    };
                }
                Event::Written { report } => {
                    let failed = report.failed;
                    self.last_report = Some(report);
                    if failed {
                        // Back to the preview of the same file: nothing was written.
                        next = Some(self.stage_job());
                    } else {
                        next = self.next_file();
                    }
                }
            }
        }
        next
    }
}

fn display_name(path: &Path) -> String {
    crate::import::read::display_name(path)
}
