//! Reading the sales exports owners really have into normalised orders.
//!
//! Import is two phases (as in Anki's importer): **stage** reads and checks the whole file
//! and produces [`StagedImport`] — the orders exactly as they will be stored, the decisions
//! taken (preset, encoding, delimiter, date order, decimal separator, currency) and the rows
//! skipped with reasons — without touching the database; the preview shows it and the owner
//! may change a decision and stage again. **Write** (`store::orders`) then stores it in one
//! transaction.
//!
//! No egui, no SQLite here: every rule is tested on files alone.

pub mod dates;
pub mod fields;
pub mod money;
pub mod presets;
pub mod read;
mod stage;

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono_tz::Tz;

pub use dates::DateOrder;
pub use fields::{ColumnMapping, Field, Header};
pub use money::DecimalSeparator;
pub use presets::{PresetId, SkipReason};
pub use read::{Layout, TextEncoding};
pub use stage::{OrderSink, Streamed, stage_file, stage_file_streamed};

/// The column names of a file's header (empty for header-less files), for mapping a
/// missing column after staging failed.
pub fn header_names(path: &std::path::Path) -> Result<Vec<String>, ImportError> {
    let sniffed = read::sniff(path, &presets::is_known_header)?;
    Ok(Header::new(&sniffed.header.unwrap_or_default()).names)
}

/// The fingerprint of a file's header (for remembered mappings), or `None` for header-less
/// files; sniffs only the start of the file.
pub fn header_signature(path: &std::path::Path) -> Result<Option<String>, ImportError> {
    let sniffed = read::sniff(path, &presets::is_known_header)?;
    Ok(sniffed.header.map(|h| Header::new(&h).signature()))
}

use crate::domain::{Currency, NewOrder, RefundOfOrder};

/// The shop's time zone, for times a file gives without a zone.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ShopZone {
    /// The zone of this computer.
    #[default]
    Local,
    /// A named zone.
    Named(Tz),
}

/// Choices for staging; `Default` means "detect everything".
#[derive(Clone, Debug, Default)]
pub struct ImportOptions {
    /// Force a preset instead of detecting one.
    pub preset: Option<PresetId>,
    /// Column choices that override the preset's or the guess (`--map`, the preview form).
    pub overrides: Vec<(Field, String)>,
    /// A complete remembered mapping (by column name), used instead of the guess.
    pub remembered_mapping: Option<String>,
    /// Day/month order, when the owner chose it.
    pub date_order: Option<DateOrder>,
    /// Decimal separator, when the owner chose it.
    pub decimal: Option<DecimalSeparator>,
    /// Day/month order settled for an earlier file with the same columns: used only when
    /// this file's own dates leave the order open.
    pub remembered_date_order: Option<DateOrder>,
    /// Decimal separator settled for an earlier file with the same columns: used only when
    /// this file's own amounts leave it open.
    pub remembered_decimal: Option<DecimalSeparator>,
    /// Currency of the file when it names none.
    pub currency: Option<Currency>,
    /// The database's base currency; `None` while the database has no orders.
    pub base_currency: Option<Currency>,
    /// How many base-currency units one unit of the file's currency is worth.
    pub exchange_rate: Option<f64>,
    /// Zone for times without one.
    pub shop_zone: ShopZone,
}

/// One skip reason's count and the first rows it happened on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SkipStat {
    /// Rows skipped for this reason.
    pub rows: u64,
    /// The first few, each as "row 12, column Created at: '31/02/2025' (expected a date)".
    pub examples: Vec<String>,
}

/// What staging found; nothing is written yet.
#[derive(Clone, Debug)]
pub struct StagedImport {
    /// The file.
    pub path: PathBuf,
    /// Its name, for messages.
    pub file_name: String,
    /// Size in bytes.
    pub size_bytes: u64,
    /// SHA-256 of the file, hex.
    pub sha256: String,
    /// Preset used.
    pub preset: PresetId,
    /// The preset's variant ("Analytics download"), if it has several.
    pub variant: &'static str,
    /// Encoding detected.
    pub encoding: TextEncoding,
    /// Layout detected.
    pub layout: Layout,
    /// The header (synthetic for header-less files).
    pub header: Header,
    /// Field → column used.
    pub mapping: ColumnMapping,
    /// Day/month order used.
    pub date_order: DateOrder,
    /// True when the file could be read both ways and the owner has not chosen.
    pub date_order_ambiguous: bool,
    /// The first date cell that reads both ways, as the file writes it.
    pub ambiguous_date_example: Option<String>,
    /// Whether the day/month order was settled (chosen, or proven by the dates) rather
    /// than a default: only a settled order is remembered for the next file.
    pub date_order_settled: bool,
    /// Decimal separator used.
    pub decimal: DecimalSeparator,
    /// Whether the decimal separator was settled (chosen, or shown by the amounts).
    pub decimal_settled: bool,
    /// Currency of the file.
    pub currency: Currency,
    /// Currency the orders are stored in (the base currency, after conversion).
    pub stored_currency: Currency,
    /// The orders, in file order, as they will be stored.
    pub orders: Vec<NewOrder>,
    /// Refunds of orders that are not in this file.
    pub refunds_for_other_orders: Vec<RefundOfOrder>,
    /// The source its orders are stored under instead of the preset's name: a spreadsheet
    /// from another system that numbers its orders like one stored (`generic:…`, set by the
    /// app once it has compared the numbers with the database).
    pub kept_apart_as: Option<String>,
    /// Order numbers the file gives as cancelled or voided, with that status: not imported,
    /// but an order of an earlier import with the number is marked so (a newer export).
    pub cancelled_orders: Vec<(String, String)>,
    /// Counts for the report.
    pub report: StageReport,
}

/// What the preview and the result report count.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StageReport {
    /// Data rows read (after the header, layout rows excluded).
    pub rows_read: u64,
    /// Title, padding, subtotal and footer rows skipped around the table.
    pub layout_rows: u64,
    /// Skipped data rows by reason.
    pub skipped: BTreeMap<SkipReason, SkipStat>,
    /// Distinct customers identified in the file.
    pub customers: u64,
    /// Orders without any customer identity.
    pub guest_orders: u64,
    /// Orders with a refund, plus refunds of orders not in the file.
    pub refunds: u64,
    /// The file's orders' value: paid minus refunded, in minor units.
    pub net_total_minor: i64,
    /// Things the owner should know (no customer column, one currency converted, …).
    pub warnings: Vec<String>,
}

impl StageReport {
    /// Rows skipped for any reason.
    pub fn skipped_rows(&self) -> u64 {
        self.skipped.values().map(|s| s.rows).sum()
    }
}

/// Why a file cannot be imported. Every message names the file and says what to do.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Zero bytes, or only blank lines.
    #[error("{file} is empty: there is nothing to import.")]
    Empty {
        /// File name.
        file: String,
    },
    /// A header but no rows.
    #[error("{file} has a header but no data rows.")]
    NoDataRows {
        /// File name.
        file: String,
    },
    /// Not text in rows and columns.
    #[error(
        "{file} is not a table CLV Desk can read: expected a CSV, TSV or spreadsheet export of your orders."
    )]
    NotATable {
        /// File name.
        file: String,
    },
    /// A column the import needs is missing.
    #[error(
        "{file} has no column for {what}. The columns are: {columns}. Choose the column in the preview, or pass --map {key}=COLUMN."
    )]
    MissingColumn {
        /// File name.
        file: String,
        /// What is missing, in words ("the order date").
        what: &'static str,
        /// The `--map` key.
        key: &'static str,
        /// The header, for the owner to pick from.
        columns: String,
    },
    /// `--map` names a column the file does not have.
    #[error("{file} has no column named “{column}” (for {field}). The columns are: {columns}.")]
    UnknownColumn {
        /// File name.
        file: String,
        /// The column asked for.
        column: String,
        /// The field it was for.
        field: &'static str,
        /// The header.
        columns: String,
    },
    /// Numeric dates could be read as day/month or month/day.
    #[error(
        "{file}: every date could be read as day/month or as month/day (for example “{example}”). Choose the order in the preview, or pass --date-order dmy or --date-order mdy."
    )]
    AmbiguousDates {
        /// File name.
        file: String,
        /// A date from the file.
        example: String,
    },
    /// The file's currency differs from the database's.
    #[error(
        "{file} is in {file_currency}, but this database keeps its figures in {base}. Give an exchange rate in the preview (or --rate), or import it into another database."
    )]
    CurrencyMismatch {
        /// File name.
        file: String,
        /// The file's currency.
        file_currency: String,
        /// The database's base currency.
        base: String,
    },
    /// Every data row was skipped.
    #[error("{file}: none of its {rows} rows could be imported ({reasons}).")]
    NothingImportable {
        /// File name.
        file: String,
        /// Rows read.
        rows: u64,
        /// The skip reasons with counts.
        reasons: String,
    },
    /// A spreadsheet that calamine cannot read.
    #[error("{file} could not be read as a spreadsheet: {detail}")]
    Spreadsheet {
        /// File name.
        file: String,
        /// What calamine said.
        detail: String,
    },
    /// Reading the file failed.
    #[error("{file} could not be read: {detail}")]
    Io {
        /// File name.
        file: String,
        /// What the system said.
        detail: String,
    },
    /// The owner cancelled.
    #[error("the import was cancelled; nothing was written")]
    Cancelled,
}
