//! Application state between the views and the data: which view is open, the snapshot of
//! the database the views read, the background writer, and the commands views emit.
//!
//! Views never touch the store. They read [`AppState`] and push [`Command`]s; the commands
//! are applied after the frame by [`AppState::apply_commands`]. This keeps each frame cheap
//! and makes every user action a value tests can inspect.

pub mod care;
pub mod chart_filter;
pub mod customer_profile;
pub mod customer_table;
pub mod dialogs;
pub mod import;
pub mod import_flow;
pub mod loyalty;
pub mod prefs;
pub mod referrals;
pub mod valuation;
pub mod view_data;
pub mod worker;

use std::path::{Path, PathBuf};

use chrono::Local;

pub use import_flow::{ImportFlow, ImportReportView, Preview, PreviewChange};
pub use prefs::{ThemeChoice, UiPrefs, View};
pub use worker::{JobFinished, Progress, RunningJob, Worker};

use crate::demo::{DemoOptions, demo_orders};
use crate::domain::BusinessSettings;
use crate::domain::ImportId;
use crate::store::orders::{NewImport, WriteError};
use crate::store::stats::{ImportSummary, Overview};
use crate::store::{Store, StoreError};
use dialogs::DialogPurpose;

/// The charts' figures for the customers a filter selects.
#[derive(Clone, Debug, PartialEq)]
pub struct FilteredCharts {
    /// The filter.
    pub filter: chart_filter::ChartFilter,
    /// The figures for its customers.
    pub insights: crate::clv::insights::Insights,
    /// How many customers it selects.
    pub customers: u64,
    /// The valuation run the figures come from (a newer run makes them stale).
    pub run_id: i64,
}

/// Where the filtering job leaves its result for the UI thread.
type FilterSlot = std::sync::Arc<std::sync::Mutex<Option<FilteredCharts>>>;

/// Where the job reading the customers table leaves it for the UI thread.
type TableSlot = std::sync::Arc<std::sync::Mutex<Option<customer_table::CustomerTable>>>;

/// The label of the background job that reads the customers table.
pub const LOADING_CUSTOMERS_LABEL: &str = "Reading the customers";

/// The label of the background valuation job.
pub const VALUING_LABEL: &str = "Valuing customers";

/// The label of the job that saves a backup copy of the database.
pub const BACKUP_LABEL: &str = "Saving a backup copy";

/// File name of the demo shop's database, created beside the owner's own.
pub const DEMO_DB_FILE: &str = "clv-desk-demo.sqlite";

/// Customers in the demo data the app offers on an empty database.
pub const DEMO_CUSTOMERS: usize = 2_000;

/// Everything the views show about the database, read once after opening and after each
/// background job, never per frame.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    /// The database file.
    pub db_path: PathBuf,
    /// Its schema version.
    pub schema_version: u32,
    /// Its size on disk.
    pub db_size_bytes: u64,
    /// The owner's business settings.
    pub settings: BusinessSettings,
    /// Headline counts.
    pub overview: Overview,
    /// Latest imports, newest first.
    pub imports: Vec<ImportSummary>,
    /// The current valuation of the customers, if they have been valued.
    pub valuation: Option<valuation::RunOverview>,
    /// The valuation before it, for what changed since the previous import.
    pub previous_valuation: Option<valuation::RunOverview>,
    /// What a valuation now would be computed from; the current run is stale when its key
    /// differs (and there are orders).
    pub inputs_key: String,
    /// Whether this database holds the demo shop rather than the owner's data.
    pub is_demo: bool,
    /// Disputes not resolved or rejected yet, for the dashboard.
    pub open_disputes: care::OpenDisputes,
}

impl Snapshot {
    /// Whether the customers need (re)valuing: there are orders and no run computed from
    /// the data and settings as they are now.
    pub fn needs_valuation(&self) -> bool {
        !self.overview.is_empty()
            && self
                .valuation
                .as_ref()
                .is_none_or(|run| run.inputs_key != self.inputs_key)
    }
}

impl Snapshot {
    /// Reads the snapshot through `store`.
    pub fn load(store: &Store) -> Result<Snapshot, StoreError> {
        Ok(Snapshot {
            db_path: store.path().to_path_buf(),
            schema_version: store.schema_version()?,
            db_size_bytes: store.file_size_bytes(),
            settings: store.business_settings()?,
            overview: store.overview()?,
            imports: store.recent_imports(20)?,
            valuation: valuation::current_overview(store)?,
            previous_valuation: valuation::previous_overview(store)?,
            inputs_key: valuation::inputs_key(store, &store.business_settings()?)?,
            is_demo: store.is_demo()?,
            open_disputes: care::OpenDisputes::load(store)?,
        })
    }
}

/// An action a view asks for; applied after the frame.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Show another view.
    Navigate(View),
    /// Change the colour theme.
    SetTheme(ThemeChoice),
    /// Open the demo shop: a separate demo database beside the current one, filled with
    /// the demo data the first time.
    ExploreDemo,
    /// Save the business settings.
    SaveSettings(BusinessSettings),
    /// Stop the running background job.
    CancelJob,
    /// Ask for a database file to open (file dialog).
    ChooseDatabase,
    /// Ask for a new database file name (save dialog).
    ChooseNewDatabase,
    /// Open (or create) the database at this path.
    OpenDatabase(PathBuf),
    /// Show or hide the About window.
    ShowAbout(bool),
    /// Close the message dialog.
    DismissError,
    /// Ask for sales exports to import (file dialog).
    ChooseImportFiles,
    /// Read these files into the import preview, one after another.
    StageFiles(Vec<PathBuf>),
    /// Change a decision in the import preview and read the file again.
    ChangePreview(PreviewChange),
    /// Import the previewed file.
    ConfirmImport,
    /// Leave the previewed file out and go to the next one.
    SkipImportFile,
    /// Undo an import (by its id; the file name is for messages).
    UndoImport(i64, String),
    /// Value every customer again now (normally automatic after each import).
    RevalueCustomers,
    /// Ask where to save the chart with this title as a PNG (file dialog).
    ChooseChartPng(String),
    /// Save the chart with this title as a PNG at this path (after the dialog).
    SaveChartPng(String, PathBuf),
    /// Show the charts for these customers only (an empty filter shows everyone).
    FilterCharts(chart_filter::ChartFilter),
    /// Show the customers table searched, filtered and sorted this way.
    QueryCustomers(customer_table::CustomerQuery),
    /// Open the customers view showing the customers this query selects.
    ShowCustomers(customer_table::CustomerQuery),
    /// Select a customer in the table (and open their profile), or none.
    SelectCustomer(Option<i64>),
    /// Something about one customer's profile or the duplicates list.
    Profile(customer_profile::ProfileCommand),
    /// Ask where to save a backup copy of the database (save dialog).
    ChooseBackup,
    /// Save a complete copy of the open database at this path (safe while it is in use).
    SaveBackup(PathBuf),
    /// Ask where to save the customers table as CSV (file dialog).
    ChooseCustomersCsv,
    /// Save the customers the table shows, in its order, as CSV at this path.
    ExportCustomers(PathBuf),
    /// Close the application.
    Quit,
    /// A customer-care queue action (see [`care::CareCommand`]).
    Care(care::CareCommand),
    /// A loyalty program action (see [`loyalty::LoyaltyCommand`]).
    Loyalty(loyalty::LoyaltyCommand),
    /// A referral program action (see [`referrals::ReferralCommand`]).
    Referrals(referrals::ReferralCommand),
}

/// A short message at the bottom of the window after something finished.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusLine {
    /// What happened.
    pub text: String,
    /// Whether it is a problem.
    pub is_error: bool,
}

/// The database side of the state: open and ready, or why it could not be opened.
#[derive(Debug)]
pub enum DataState {
    /// The database is open; the writer thread owns the connection.
    Ready {
        /// What the views read.
        snapshot: Box<Snapshot>,
        /// The writer thread.
        worker: Worker,
    },
    /// Opening failed; the views are replaced by the message and ways out.
    Failed {
        /// The file that was tried.
        path: PathBuf,
        /// Why it failed, in words.
        message: String,
    },
}

/// The whole application state.
#[derive(Debug)]
pub struct AppState {
    /// The view on screen.
    pub view: View,
    /// Theme and other per-user preferences.
    pub prefs: UiPrefs,
    /// The database.
    pub data: DataState,
    /// The last result line.
    pub status: Option<StatusLine>,
    /// A problem to show in a dialog until dismissed.
    pub error_dialog: Option<String>,
    /// Whether the About window is open.
    pub show_about: bool,
    /// The owner's database to go back to from the demo shop.
    pub return_from_demo: Option<PathBuf>,
    /// A chart picture to save: the chart's title and the file. The window takes it on its
    /// next frame (it needs the drawn pixels).
    pub chart_png: Option<(String, PathBuf)>,
    /// The title of the chart whose picture the open save dialog is for.
    chart_png_title: Option<String>,
    /// The charts' figures for a filtered group of customers, when a filter is applied.
    pub filtered_charts: Option<FilteredCharts>,
    /// Where the filtering job leaves its result.
    filter_slot: FilterSlot,
    /// The customers table: loaded rows, the owner's search and sort, the rows shown.
    pub customers: customer_table::CustomerBrowser,
    /// Where the job reading the customers table leaves it.
    table_slot: TableSlot,
    /// The open customer profile and the duplicates list.
    pub profile: customer_profile::ProfileState,
    /// The key of the last customers table read started, so a failing read is not
    /// restarted every frame.
    table_started_for: Option<String>,
    /// Set when the owner asked to quit.
    pub quit_requested: bool,
    /// Files being imported: queue, preview, last result.
    pub import: ImportFlow,
    /// The loyalty program's data, replay, ledger page and last voucher.
    pub loyalty: loyalty::LoyaltyState,
    /// The care queue, its rules, templates and disputes, and the last mail merge.
    pub care: care::CareState,
    /// The referral program's data and last message.
    pub referrals: referrals::ReferralsState,
    /// The inputs key of the last automatic valuation started, so a valuation that fails
    /// is not restarted every frame.
    valuation_started_for: Option<String>,
    commands: Vec<Command>,
    dialogs: dialogs::PendingDialog,
}

impl AppState {
    /// Opens the database at `db_path` and starts the writer thread; a failure becomes the
    /// [`DataState::Failed`] screen instead of an error.
    pub fn open(db_path: &Path, prefs: UiPrefs) -> AppState {
        let data = open_data(db_path);
        let status = match &data {
            DataState::Ready { snapshot, .. } => opened_status(snapshot),
            DataState::Failed { .. } => None,
        };
        AppState {
            view: prefs.last_view,
            prefs: prefs.clone(),
            data,
            status,
            error_dialog: None,
            show_about: false,
            return_from_demo: None,
            chart_png: None,
            chart_png_title: None,
            filtered_charts: None,
            filter_slot: FilterSlot::default(),
            customers: customer_table::CustomerBrowser::default(),
            table_slot: TableSlot::default(),
            profile: customer_profile::ProfileState::default(),
            table_started_for: None,
            quit_requested: false,
            import: ImportFlow::default(),
            loyalty: loyalty::LoyaltyState::default(),
            care: care::CareState::default(),
            referrals: referrals::ReferralsState::default(),
            valuation_started_for: None,
            commands: Vec::new(),
            dialogs: dialogs::PendingDialog::default(),
        }
    }

    /// The snapshot, when the database is open.
    pub fn snapshot(&self) -> Option<&Snapshot> {
        match &self.data {
            DataState::Ready { snapshot, .. } => Some(snapshot),
            DataState::Failed { .. } => None,
        }
    }

    /// Whether a file dialog is open (one at a time).
    pub fn dialog_is_open(&self) -> bool {
        self.dialogs.is_open()
    }

    /// The background job in progress, if any.
    pub fn running_job(&self) -> Option<&RunningJob> {
        match &self.data {
            DataState::Ready { worker, .. } => worker.running(),
            DataState::Failed { .. } => None,
        }
    }

    /// Queues a command to apply after this frame.
    pub fn push(&mut self, command: Command) {
        self.commands.push(command);
    }

    /// Applies the queued commands in order.
    pub fn apply_commands(&mut self) {
        for command in std::mem::take(&mut self.commands) {
            self.apply(command);
        }
    }

    /// Collects finished background work and dialog answers. Called once per frame.
    pub fn poll(&mut self) {
        if let Some((purpose, paths)) = self.dialogs.poll() {
            match purpose {
                DialogPurpose::ImportFiles => self.apply(Command::StageFiles(paths)),
                DialogPurpose::ChartPng => {
                    if let (Some(title), Some(path)) =
                        (self.chart_png_title.take(), paths.into_iter().next())
                    {
                        self.apply(Command::SaveChartPng(title, path));
                    }
                }
                DialogPurpose::CustomerJson => {
                    if let (Some(id), Some(path)) =
                        (self.profile.json_for.take(), paths.into_iter().next())
                    {
                        self.apply_profile(customer_profile::ProfileCommand::ExportJson(id, path));
                    }
                }
                DialogPurpose::LedgerCsv
                | DialogPurpose::MailMergeCsv
                | DialogPurpose::ReferralCodesCsv
                | DialogPurpose::ReferralsCsv => {
                    if let Some(path) = paths.into_iter().next() {
                        self.apply(match purpose {
                            DialogPurpose::LedgerCsv => {
                                Command::Loyalty(loyalty::LoyaltyCommand::ExportLedger(path))
                            }
                            DialogPurpose::MailMergeCsv => {
                                Command::Care(care::CareCommand::ExportMailMerge(path))
                            }
                            DialogPurpose::ReferralCodesCsv => {
                                Command::Referrals(referrals::ReferralCommand::ExportCodes(path))
                            }
                            _ => Command::Referrals(referrals::ReferralCommand::ExportReferrals(
                                path,
                            )),
                        });
                    }
                }
                DialogPurpose::ReferralCodesPdf => {
                    if let Some(path) = paths.into_iter().next() {
                        self.apply(Command::Referrals(referrals::ReferralCommand::PrintCodes(
                            path,
                        )));
                    }
                }
                DialogPurpose::ThankYouCardsPdf => {
                    if let (Some(ids), Some(path)) =
                        (self.care.cards_for.take(), paths.into_iter().next())
                    {
                        self.apply(Command::Care(care::CareCommand::PrintCards { ids, path }));
                    }
                }
                DialogPurpose::CustomersCsv => {
                    if let Some(path) = paths.into_iter().next() {
                        self.apply(Command::ExportCustomers(path));
                    }
                }
                DialogPurpose::Backup => {
                    if let Some(path) = paths.into_iter().next() {
                        self.apply(Command::SaveBackup(path));
                    }
                }
                DialogPurpose::OpenDatabase | DialogPurpose::NewDatabase => {
                    if let Some(path) = paths.into_iter().next() {
                        self.apply(Command::OpenDatabase(path));
                    }
                }
            }
        }
        let finished = match &mut self.data {
            DataState::Ready { worker, .. } => worker.poll(),
            DataState::Failed { .. } => None,
        };
        if let Some(done) = finished {
            self.finish_job(done);
        }
        if let Some((label, run)) = self.import.poll() {
            self.start_job(&label, run);
        }
        self.customers.poll();
        self.value_if_stale();
        self.read_customers_if_stale();
    }

    /// What the customers table must have been read from to be current: the valuation's
    /// inputs and run (scores and data).
    fn customers_table_key(&self) -> Option<String> {
        let snapshot = self.snapshot()?;
        let run = snapshot.valuation.as_ref().map_or(-1, |v| v.run_id);
        Some(format!(
            "{}; run {run}; {}",
            snapshot.inputs_key,
            snapshot.db_path.display()
        ))
    }

    /// Whether the customers table on screen is the current one (or being read).
    pub fn customers_table_is_current(&self) -> bool {
        let key = self.customers_table_key();
        self.customers
            .table
            .as_ref()
            .is_some_and(|t| Some(&t.source_key) == key.as_ref())
    }

    /// Reads the customers table in the background while the Customers view is open and
    /// the table is missing or older than the data and scores, once nothing else runs.
    fn read_customers_if_stale(&mut self) {
        if self.view != View::Customers
            || self.running_job().is_some()
            || self.customers_table_is_current()
        {
            return;
        }
        let Some(key) = self.customers_table_key() else {
            return;
        };
        if self.snapshot().is_some_and(Snapshot::needs_valuation)
            || self.table_started_for.as_ref() == Some(&key)
        {
            return;
        }
        self.table_started_for = Some(key.clone());
        let slot = std::sync::Arc::clone(&self.table_slot);
        self.start_job(
            LOADING_CUSTOMERS_LABEL,
            Box::new(move |store, progress| {
                progress.set(0.1, "Reading customers…");
                let mut rows = store.customer_values()?;
                // Rows without orders (left by an undone import) are nobody to list.
                rows.retain(|r| r.orders > 0);
                progress.set(0.4, "Reading loyalty points…");
                customer_table::add_loyalty(&mut rows, store)?;
                let minor = store.business_settings()?.currency.minor_per_major() as f64;
                let cut = valuation::current_overview(store)?
                    .and_then(|run| run.summary.insights.at_risk.revenue_cut)
                    .map(|cut| (cut, minor));
                progress.set(0.6, "Preparing search and sorting…");
                let table = customer_table::CustomerTable::build(rows, key, cut);
                let words = format!(
                    "{} ready.",
                    crate::domain::plural(table.len() as u64, "customer", "customers")
                );
                if let Ok(mut slot) = slot.lock() {
                    *slot = Some(table);
                }
                Ok(words)
            }),
        );
    }

    fn apply_profile(&mut self, command: customer_profile::ProfileCommand) {
        use customer_profile::{ProfileCommand, change_job, export_json_job, read_profile_job};
        let slot = std::sync::Arc::clone(&self.profile.slot);
        let duplicates = self.profile.duplicates.is_some();
        let shown = self.profile.open_id();
        // The profile a change shows when it ends: the one on screen, or the survivor of a
        // merge made from the duplicates list.
        let shows = match &command {
            ProfileCommand::SaveDetails(id, _) | ProfileCommand::Erase(id) => Some(*id),
            ProfileCommand::Merge { survivor, .. } => Some(shown.unwrap_or(*survivor)),
            ProfileCommand::Unmerge(id) => Some(shown.unwrap_or(*id)),
            _ => None,
        };
        if let Some(id) = shows {
            self.profile.will_show(id);
        }
        match command {
            ProfileCommand::Open(id) => {
                self.profile.reading = Some(id);
                self.start_job("Opening the customer", read_profile_job(id, slot));
            }
            ProfileCommand::Close => {
                self.profile.open = None;
                self.profile.reading = None;
                self.customers.selected = None;
            }
            ProfileCommand::SaveDetails(id, edits) => self.start_job(
                "Saving the customer",
                change_job(id, false, slot, move |store| {
                    store.update_customer_details(id, &edits)?;
                    Ok("Saved tags, notes and consent.".to_owned())
                }),
            ),
            ProfileCommand::Merge {
                survivor,
                duplicate,
            } => self.start_job(
                "Merging customers",
                change_job(shown.unwrap_or(survivor), duplicates, slot, move |store| {
                    let outcome = store.merge_customers(survivor, duplicate)?;
                    Ok(format!(
                        "Merged customer #{} into #{}: their orders now count as one customer's. Unmerge from the profile if this was wrong.",
                        outcome.duplicate, outcome.survivor
                    ))
                }),
            ),
            ProfileCommand::Unmerge(id) => self.start_job(
                "Unmerging the customer",
                change_job(shown.unwrap_or(id), duplicates, slot, move |store| {
                    store.unmerge_customer(id)?;
                    Ok(format!(
                        "Customer #{id} is on their own again, with their own orders."
                    ))
                }),
            ),
            ProfileCommand::Erase(id) => self.start_job(
                "Erasing personal details",
                change_job(id, duplicates, slot, move |store| {
                    let outcome = store.erase_customer(id)?;
                    Ok(format!(
                        "Erased the personal details of {} customer record(s) and removed {} key(s); {} order(s) stay, anonymous, so your totals do not change.",
                        outcome.customers_erased.len(), outcome.keys_removed, outcome.orders_kept
                    ))
                }),
            ),
            ProfileCommand::ChooseJson(id) => {
                self.profile.json_for = Some(id);
                self.dialogs.customer_json(format!("customer-{id}.json"));
            }
            ProfileCommand::ExportJson(id, path) => {
                self.start_job("Exporting the customer's data", export_json_job(id, path));
            }
            ProfileCommand::FindDuplicates => self.start_job(
                "Looking for duplicates",
                customer_profile::find_duplicates_job(slot),
            ),
        }
    }

    /// Saves a backup copy of the database on the writer thread (cancellable).
    fn start_backup(&mut self, path: PathBuf) {
        self.start_job(
            BACKUP_LABEL,
            Box::new(move |store, progress| {
                progress.set(0.1, "Copying every customer, order and setting…");
                let saved = store.save_copy(&path, &|| progress.is_cancelled())?;
                match saved {
                    Some(bytes) => Ok(format!(
                        "Saved a backup copy ({}) to {}. Keep it somewhere else too, e.g. on a USB stick.",
                        crate::domain::megabytes(bytes),
                        path.display()
                    )),
                    None => Err(anyhow::anyhow!("cancelled; no copy was saved")),
                }
            }),
        );
    }

    fn start_customers_export(&mut self, path: PathBuf) {
        let Some(table) = self.customers.table.clone() else {
            self.status = Some(StatusLine {
                text: "The customers table is not read yet; nothing was exported.".to_owned(),
                is_error: true,
            });
            return;
        };
        let visible = self.customers.visible.clone();
        let currency = self
            .snapshot()
            .map_or(crate::domain::Currency::USD, |s| s.settings.currency);
        self.start_job(
            "Exporting customers",
            Box::new(move |_, _| {
                let file = std::fs::File::create(&path)
                    .map_err(|e| anyhow::anyhow!("could not create {}: {e}", path.display()))?;
                let mut out = std::io::BufWriter::new(file);
                let rows = visible.iter().filter_map(|i| table.rows.get(*i as usize));
                crate::export::customers_csv::write_customers_csv(&mut out, rows, currency)
                    .and_then(|()| std::io::Write::flush(&mut out).map_err(csv::Error::from))
                    .map_err(|e| anyhow::anyhow!("could not write {}: {e}", path.display()))?;
                Ok(format!(
                    "Exported {} to {}",
                    crate::domain::plural(visible.len() as u64, "customer", "customers"),
                    path.display()
                ))
            }),
        );
    }

    /// Starts valuing the customers in the background when the scores are stale and
    /// nothing else is running or waiting in the import preview.
    fn value_if_stale(&mut self) {
        let idle = self.running_job().is_none()
            && self.import.current.is_none()
            && self.import.queued() == 0;
        let Some(snapshot) = self.snapshot() else {
            return;
        };
        if !idle || !snapshot.needs_valuation() {
            return;
        }
        let key = snapshot.inputs_key.clone();
        if self.valuation_started_for.as_ref() == Some(&key) {
            return;
        }
        self.valuation_started_for = Some(key);
        self.start_valuation();
    }

    fn start_filter(&mut self, filter: chart_filter::ChartFilter) {
        if filter.is_empty() {
            self.filtered_charts = None;
            return;
        }
        let slot = std::sync::Arc::clone(&self.filter_slot);
        self.start_job(
            "Filtering the charts",
            Box::new(move |store, _| {
                let result = chart_filter::filtered_insights(store, &filter)?;
                let words = match &result {
                    Some((_, customers, _)) => format!(
                        "The charts show {} {}.",
                        crate::domain::group_thousands(*customers),
                        filter.describe()
                    ),
                    None => "The customers have not been valued yet.".to_owned(),
                };
                if let Ok(mut slot) = slot.lock() {
                    *slot = result.map(|(insights, customers, run_id)| FilteredCharts {
                        filter,
                        insights,
                        customers,
                        run_id,
                    });
                }
                Ok(words)
            }),
        );
    }

    fn start_valuation(&mut self) {
        self.start_job(VALUING_LABEL, Box::new(valuation::value_and_save));
    }

    /// Blocks until the running job ends and applies its result (tests and the CLI).
    pub fn wait_for_job(&mut self) {
        let done = match &mut self.data {
            DataState::Ready { worker, .. } => worker.wait(),
            DataState::Failed { .. } => None,
        };
        if let Some(done) = done {
            self.finish_job(done);
        }
    }

    fn finish_job(&mut self, done: JobFinished) {
        if let Some(filtered) = self.filter_slot.lock().ok().and_then(|mut s| s.take()) {
            self.filtered_charts = Some(filtered);
        }
        if let Some(table) = self.table_slot.lock().ok().and_then(|mut s| s.take()) {
            self.customers.set_table(std::sync::Arc::new(table));
        }
        self.profile.take_results();
        self.take_loyalty_update();
        self.take_care_update();
        self.take_referrals_update();
        match done.result {
            Ok(text) => {
                self.status = Some(StatusLine {
                    text,
                    is_error: false,
                })
            }
            Err(text) => {
                self.status = Some(StatusLine {
                    text: format!("{}: {text}", done.label),
                    is_error: true,
                });
            }
        }
        match done.snapshot {
            Ok(fresh) => {
                if let DataState::Ready { snapshot, .. } = &mut self.data {
                    **snapshot = fresh;
                }
            }
            Err(message) => self.error_dialog = Some(message),
        }
    }

    fn apply(&mut self, command: Command) {
        match command {
            Command::Navigate(view) => {
                self.view = view;
                self.prefs.last_view = view;
            }
            Command::SetTheme(theme) => self.prefs.theme = theme,
            Command::ExploreDemo => self.explore_demo(),
            Command::SaveSettings(settings) => self.start_save_settings(settings),
            Command::CancelJob => {
                if let Some(job) = self.running_job() {
                    job.progress.request_cancel();
                }
            }
            Command::ChooseImportFiles => self
                .dialogs
                .import_files(self.prefs.last_import_folder.as_deref()),
            Command::StageFiles(paths) => {
                if let Some(folder) = paths.first().and_then(|p| p.parent()) {
                    self.prefs.last_import_folder = Some(folder.to_path_buf());
                }
                self.view = View::Import;
                self.prefs.last_view = View::Import;
                if let Some((label, run)) = self.import.add_files(paths) {
                    self.start_job(&label, run);
                }
            }
            Command::ChangePreview(change) => {
                if let Some((label, run)) = self.import.change(change) {
                    self.start_job(&label, run);
                }
            }
            Command::ConfirmImport => {
                if let Some((label, run)) = self.import.confirm() {
                    self.start_job(&label, run);
                }
            }
            Command::SkipImportFile => {
                if let Some((label, run)) = self.import.next_file() {
                    self.start_job(&label, run);
                }
            }
            Command::UndoImport(id, file_name) => {
                let (label, run) = ImportFlow::undo_job(ImportId(id), &file_name);
                self.start_job(&label, run);
            }
            Command::RevalueCustomers => self.start_valuation(),
            Command::ChooseChartPng(title) => {
                let file_name = format!("{}.png", file_name_of(&title));
                self.chart_png_title = Some(title);
                self.dialogs.chart_png(file_name);
            }
            Command::SaveChartPng(title, path) => self.chart_png = Some((title, path)),
            Command::FilterCharts(filter) => self.start_filter(filter),
            Command::QueryCustomers(query) => self.customers.set_query(query),
            Command::ShowCustomers(query) => {
                self.apply(Command::Navigate(View::Customers));
                self.customers.set_query(query);
            }
            Command::SelectCustomer(id) => {
                self.customers.selected = id;
                match id {
                    Some(id) => self.apply_profile(customer_profile::ProfileCommand::Open(id)),
                    None => self.apply_profile(customer_profile::ProfileCommand::Close),
                }
            }
            Command::Profile(command) => self.apply_profile(command),
            Command::ChooseBackup => self.dialogs.backup(Local::now().date_naive()),
            Command::SaveBackup(path) => self.start_backup(path),
            Command::ChooseCustomersCsv => self.dialogs.customers_csv(),
            Command::ExportCustomers(path) => self.start_customers_export(path),
            Command::ChooseDatabase => self.dialogs.pick_database(),
            Command::ChooseNewDatabase => self.dialogs.new_database(),
            Command::OpenDatabase(path) => self.switch_database(&path),
            Command::ShowAbout(show) => self.show_about = show,
            Command::DismissError => self.error_dialog = None,
            Command::Quit => self.quit_requested = true,
            Command::Loyalty(command) => self.apply_loyalty(command),
            Command::Care(command) => self.apply_care(command),
            Command::Referrals(command) => self.apply_referrals(command),
        }
    }

    /// Runs `run` on the writer thread with a progress bar and Cancel button; if another
    /// job is running, says so in the status line instead.
    pub fn start_job(&mut self, label: &str, run: worker::JobFn) {
        let DataState::Ready { worker, .. } = &mut self.data else {
            self.error_dialog = Some("No database is open.".to_owned());
            return;
        };
        if !worker.submit(label, run) {
            let busy = worker
                .running()
                .map_or_else(String::new, |j| j.label.clone());
            self.status = Some(StatusLine {
                text: format!("Please wait: “{busy}” is still running."),
                is_error: true,
            });
        }
    }

    /// Opens the demo database (named [`DEMO_DB_FILE`], beside the current file) and fills
    /// it on first use; the owner's own database is remembered to go back to.
    fn explore_demo(&mut self) {
        let Some(snapshot) = self.snapshot() else {
            return;
        };
        if snapshot.is_demo && snapshot.overview.is_empty() {
            self.start_demo();
            return;
        }
        if snapshot.is_demo {
            return;
        }
        let current = snapshot.db_path.clone();
        let demo_path = current.with_file_name(DEMO_DB_FILE);
        self.switch_database(&demo_path);
        let opened = self.snapshot().is_some_and(|s| s.db_path == demo_path);
        if !opened {
            return;
        }
        self.return_from_demo = Some(current);
        if self.snapshot().is_some_and(|s| s.overview.is_empty()) {
            self.start_demo();
        }
    }

    fn start_demo(&mut self) {
        let Some(snapshot) = self.snapshot() else {
            return;
        };
        let options = DemoOptions {
            customers: DEMO_CUSTOMERS,
            seed: 20_240_601,
            end_date: Local::now().date_naive(),
            currency: snapshot.settings.currency,
        };
        self.start_job(
            "Loading demo data",
            Box::new(move |store, progress| load_demo(store, progress, &options)),
        );
    }

    fn start_save_settings(&mut self, settings: BusinessSettings) {
        let problems = settings.problems();
        if !problems.is_empty() {
            self.error_dialog = Some(problems.join("\n"));
            return;
        }
        self.start_job(
            "Saving settings",
            Box::new(move |store, _| {
                store.save_business_settings(&settings)?;
                loyalty::recompute_ledger(store)?;
                Ok("Settings saved.".to_owned())
            }),
        );
    }

    fn switch_database(&mut self, path: &Path) {
        if let Some(job) = self.running_job() {
            self.error_dialog = Some(format!(
                "“{}” is still running. Wait for it to finish (or cancel it) before opening another database.",
                job.label
            ));
            return;
        }
        match open_data(path) {
            DataState::Ready { snapshot, worker } => {
                self.status = opened_status(&snapshot);
                self.valuation_started_for = None;
                self.table_started_for = None;
                self.customers = customer_table::CustomerBrowser::default();
                self.profile = customer_profile::ProfileState::default();
                if !snapshot.is_demo {
                    self.return_from_demo = None;
                }
                self.data = DataState::Ready { snapshot, worker };
            }
            DataState::Failed { path: _, message } => {
                if matches!(self.data, DataState::Ready { .. }) {
                    // Keep working with the database that is open; explain in a dialog.
                    self.error_dialog = Some(message);
                } else {
                    self.data = DataState::Failed {
                        path: path.to_path_buf(),
                        message,
                    };
                }
            }
        }
    }
}

fn open_data(path: &Path) -> DataState {
    let failed = |message: String| DataState::Failed {
        path: path.to_path_buf(),
        message,
    };
    let store = match Store::open(path) {
        Ok(store) => store,
        Err(e) => return failed(e.to_string()),
    };
    match Snapshot::load(&store) {
        Ok(snapshot) => DataState::Ready {
            snapshot: Box::new(snapshot),
            worker: Worker::start(store),
        },
        Err(e) => failed(e.to_string()),
    }
}

/// A file name from a chart title: "What are your customers worth?" →
/// "what-are-your-customers-worth".
pub fn file_name_of(title: &str) -> String {
    let mut name = String::new();
    for c in title.chars() {
        if c.is_alphanumeric() {
            name.extend(c.to_lowercase());
        } else if !name.ends_with('-') && !name.is_empty() {
            name.push('-');
        }
    }
    name.trim_end_matches('-').to_owned()
}

/// Says how saving a chart picture went, in the status line.
impl AppState {
    /// Records the outcome of saving a chart picture for the status line.
    pub fn chart_png_saved(&mut self, outcome: Result<PathBuf, String>) {
        self.status = Some(match outcome {
            Ok(path) => StatusLine {
                text: format!("Saved the chart to {}", path.display()),
                is_error: false,
            },
            Err(why) => StatusLine {
                text: format!("The chart was not saved: {why}"),
                is_error: true,
            },
        });
    }
}

fn opened_status(snapshot: &Snapshot) -> Option<StatusLine> {
    Some(StatusLine {
        text: format!("Opened {}", snapshot.db_path.display()),
        is_error: false,
    })
}

/// Generates the demo shop and writes it as one import; runs on the writer thread.
pub fn load_demo(
    store: &mut Store,
    progress: &Progress,
    options: &DemoOptions,
) -> anyhow::Result<String> {
    progress.set(0.05, "Creating demo customers…");
    store.mark_demo()?;
    let orders = demo_orders(options);
    let import = NewImport {
        file_name: "Demo data".to_owned(),
        preset: "demo".to_owned(),
        rows_read: orders.len() as u64,
        ..NewImport::default()
    };
    let total = orders.len().max(1);
    let outcome = store.write_import(&import, &orders, &[], &mut |done| {
        progress.set(
            0.1 + 0.9 * done as f32 / total as f32,
            format!("Writing order {done} of {total}…"),
        );
        !progress.is_cancelled()
    });
    if outcome.is_ok() {
        progress.set(0.95, "Setting up the sample loyalty program…");
        loyalty::set_up_demo_program(store)?;
        progress.set(0.97, "Adding sample referrals…");
        crate::store::referrals::create_demo_referrals(store, loyalty::today())?;
        progress.set(0.98, "Adding a sample care history and disputes…");
        crate::store::care::create_demo_care(store, loyalty::today())?;
        loyalty::recompute_ledger(store)?;
    }
    match outcome {
        Ok(outcome) => Ok(format!(
            "Demo data loaded: {} customers, {} orders.",
            outcome.customers_created,
            outcome.orders_created + outcome.orders_updated
        )),
        Err(WriteError::Cancelled) => Ok("Demo data cancelled; nothing was written.".to_owned()),
        Err(WriteError::Store(e)) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn not_a_database(dir: &Path) -> PathBuf {
        let path = dir.join("notes.txt");
        std::fs::write(&path, "just some notes, not a database at all").unwrap();
        path
    }

    #[test]
    fn a_failed_start_recovers_when_a_good_file_is_opened() {
        let dir = tempfile::tempdir().unwrap();
        let mut state = AppState::open(&not_a_database(dir.path()), UiPrefs::default());
        assert!(matches!(state.data, DataState::Failed { .. }));
        state.push(Command::OpenDatabase(dir.path().join("good.sqlite")));
        state.apply_commands();
        assert!(state.snapshot().is_some());
        assert!(state.error_dialog.is_none());
    }

    #[test]
    fn choosing_a_bad_file_keeps_the_open_database_and_explains() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good.sqlite");
        let mut state = AppState::open(&good, UiPrefs::default());
        state.push(Command::OpenDatabase(not_a_database(dir.path())));
        state.apply_commands();
        assert_eq!(state.snapshot().map(|s| s.db_path.clone()), Some(good));
        let message = state.error_dialog.clone().unwrap();
        assert!(message.contains("is not a CLV Desk database"), "{message}");
        state.push(Command::DismissError);
        state.apply_commands();
        assert!(state.error_dialog.is_none());
    }

    #[test]
    fn one_write_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let mut state = AppState::open(&dir.path().join("busy.sqlite"), UiPrefs::default());
        state.start_job(
            "Slow job",
            Box::new(|_, progress| {
                while !progress.is_cancelled() {
                    std::thread::sleep(Duration::from_millis(2));
                }
                Ok("slow job stopped".to_owned())
            }),
        );
        state.start_job("Second job", Box::new(|_, _| Ok("second ran".to_owned())));
        let status = state.status.clone().unwrap();
        assert!(status.is_error);
        assert!(
            status.text.contains("“Slow job” is still running"),
            "{status:?}"
        );
        // Switching databases mid-job is refused too.
        state.push(Command::OpenDatabase(dir.path().join("other.sqlite")));
        state.apply_commands();
        assert!(
            state
                .error_dialog
                .clone()
                .unwrap()
                .contains("still running")
        );

        state.push(Command::CancelJob);
        state.apply_commands();
        state.wait_for_job();
        assert_eq!(state.status.clone().unwrap().text, "slow job stopped");
        assert!(!dir.path().join("other.sqlite").exists());
    }

    #[test]
    fn invalid_settings_never_reach_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let mut state = AppState::open(&dir.path().join("s.sqlite"), UiPrefs::default());
        state.push(Command::SaveSettings(BusinessSettings {
            horizon_months: 0,
            ..BusinessSettings::default()
        }));
        state.apply_commands();
        assert!(state.running_job().is_none());
        assert!(state.error_dialog.clone().unwrap().contains("horizon"));
    }
}
