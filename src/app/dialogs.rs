//! Native file dialogs (via `rfd`) run on a helper thread so the window keeps painting
//! while one is open; the answer is collected by [`PendingDialog::poll`].

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver};

/// What a dialog was asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DialogPurpose {
    /// An existing database to open.
    OpenDatabase,
    /// Where to create a new database.
    NewDatabase,
    /// Sales exports to import.
    ImportFiles,
    /// Where to save a chart as a PNG picture.
    ChartPng,
    /// Where to save the customers table as CSV.
    CustomersCsv,
    /// Where to save a backup copy of the database.
    Backup,
    /// Where to save one customer's data as JSON.
    CustomerJson,
    /// Where to save the points ledger as CSV.
    LedgerCsv,
    /// Where to save the care mail merge as CSV.
    MailMergeCsv,
    /// Where to save the printable thank-you cards (PDF).
    ThankYouCardsPdf,
    /// Where to save the referral codes as CSV.
    ReferralCodesCsv,
    /// Where to save the printable list of referral codes (PDF).
    ReferralCodesPdf,
    /// Where to save the referrals as CSV.
    ReferralsCsv,
}

/// At most one open file dialog and the channel its answer arrives on.
#[derive(Debug, Default)]
pub struct PendingDialog {
    answer: Option<(DialogPurpose, Receiver<Vec<PathBuf>>)>,
}

impl PendingDialog {
    /// Asks for an existing CLV Desk database.
    pub fn pick_database(&mut self) {
        self.spawn(DialogPurpose::OpenDatabase, || {
            rfd::FileDialog::new()
                .set_title("Open a CLV Desk database")
                .add_filter("CLV Desk database", &["sqlite", "db"])
                .add_filter("All files", &["*"])
                .pick_file()
                .into_iter()
                .collect()
        });
    }

    /// Asks where to create a new database.
    pub fn new_database(&mut self) {
        self.save_file(
            DialogPurpose::NewDatabase,
            "Create a new CLV Desk database",
            crate::store::DEFAULT_FILE_NAME,
            ("CLV Desk database", &["sqlite"]),
        );
    }

    /// Asks for one or more sales exports, starting in `folder` (the last one used).
    pub fn import_files(&mut self, folder: Option<&Path>) {
        let folder = folder.map(Path::to_path_buf);
        self.spawn(DialogPurpose::ImportFiles, move || {
            let mut dialog = rfd::FileDialog::new()
                .set_title("Import orders")
                .add_filter(
                    "Sales exports",
                    &["csv", "tsv", "txt", "xlsx", "xls", "ods"],
                )
                .add_filter("All files", &["*"]);
            if let Some(folder) = folder {
                dialog = dialog.set_directory(folder);
            }
            dialog.pick_files().unwrap_or_default()
        });
    }

    /// Asks where to save a chart picture, suggesting `file_name`.
    pub fn chart_png(&mut self, file_name: String) {
        self.save_file(
            DialogPurpose::ChartPng,
            "Save the chart as a picture",
            file_name,
            ("PNG picture", &["png"]),
        );
    }

    /// Asks where to save a backup copy of the database, suggesting a dated name.
    pub fn backup(&mut self, today: chrono::NaiveDate) {
        self.save_file(
            DialogPurpose::Backup,
            "Save a backup copy of your data",
            format!("clv-desk-backup-{today}.sqlite"),
            ("CLV Desk database", &["sqlite"]),
        );
    }

    /// Asks where to save the customers table as CSV.
    pub fn customers_csv(&mut self) {
        self.save_csv(
            DialogPurpose::CustomersCsv,
            "Export the customers table",
            "customers.csv",
        );
    }

    /// Asks where to save a CSV file for `purpose`, with this title and suggested name.
    pub fn save_csv(
        &mut self,
        purpose: DialogPurpose,
        title: &'static str,
        file_name: &'static str,
    ) {
        self.save_file(
            purpose,
            title,
            file_name,
            ("CSV (Excel, LibreOffice)", &["csv"]),
        );
    }

    /// Asks where to save a printable PDF for `purpose`, with this title and suggested name.
    pub fn save_pdf(
        &mut self,
        purpose: DialogPurpose,
        title: &'static str,
        file_name: &'static str,
    ) {
        self.save_file(purpose, title, file_name, ("PDF (print it)", &["pdf"]));
    }

    /// Asks where to save one customer's data, suggesting `file_name`.
    pub fn customer_json(&mut self, file_name: String) {
        self.save_file(
            DialogPurpose::CustomerJson,
            "Save everything held about this customer",
            file_name,
            ("JSON", &["json"]),
        );
    }

    /// Whether a dialog is open.
    pub fn is_open(&self) -> bool {
        self.answer.is_some()
    }

    /// The chosen paths once the owner answered; `None` while open or after Cancel.
    pub fn poll(&mut self) -> Option<(DialogPurpose, Vec<PathBuf>)> {
        let (purpose, receiver) = self.answer.as_ref()?;
        match receiver.try_recv() {
            Ok(paths) => {
                let purpose = *purpose;
                self.answer = None;
                (!paths.is_empty()).then_some((purpose, paths))
            }
            Err(mpsc::TryRecvError::Empty) => None,
            Err(mpsc::TryRecvError::Disconnected) => {
                self.answer = None;
                None
            }
        }
    }

    /// Asks where to save a file for `purpose`: the dialog's title, the suggested file
    /// name, and the file type shown (its name and extensions).
    fn save_file(
        &mut self,
        purpose: DialogPurpose,
        title: impl Into<String>,
        file_name: impl Into<String>,
        (kind, extensions): (&'static str, &'static [&'static str]),
    ) {
        let (title, file_name) = (title.into(), file_name.into());
        self.spawn(purpose, move || {
            rfd::FileDialog::new()
                .set_title(title)
                .set_file_name(file_name)
                .add_filter(kind, extensions)
                .save_file()
                .into_iter()
                .collect()
        });
    }

    fn spawn(
        &mut self,
        purpose: DialogPurpose,
        ask: impl FnOnce() -> Vec<PathBuf> + Send + 'static,
    ) {
        if self.answer.is_some() {
            return; // one dialog at a time
        }
        let (tx, rx) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("clv-desk-file-dialog".to_owned())
            .spawn(move || {
                let _ = tx.send(ask());
            });
        if spawned.is_ok() {
            self.answer = Some((purpose, rx));
        }
    }
}
