//! Import as the application runs it, for the window and the command line alike: staging
//! options completed from the database (base currency, shop time zone, the mapping
//! remembered for this header), then the write (or a dry run), and the result report.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use super::Progress;
use super::valuation::{Computed, ValuationOptions, Valued, inputs_key, save_valued, value_from};
use crate::domain::{BusinessSettings, Currency, ImportId, NewOrder, group_thousands, plural};
use crate::import::{
    DateOrder, DecimalSeparator, ImportError, ImportOptions, OrderSink, PresetId, ShopZone,
    StagedImport, Streamed, stage_file, stage_file_streamed,
};
use crate::store::orders::{ImportPart, NewImport, WriteError, WriteOutcome};
use crate::store::scores::PurchaseHistory;
use crate::store::{Store, StoreError};

/// Why an import did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ImportFailure {
    /// The file was refused.
    #[error(transparent)]
    File(#[from] ImportError),
    /// The database refused.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The owner cancelled while writing.
    #[error("the import was cancelled; nothing was written")]
    Cancelled,
}

impl From<WriteError> for ImportFailure {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::Cancelled => ImportFailure::Cancelled,
            WriteError::Store(s) => ImportFailure::Store(s),
        }
    }
}

/// Completes `options` from the database: base currency, shop time zone and, unless the
/// owner chose a preset or columns, the mapping and decisions remembered for this header.
pub fn options_for(
    store: &Store,
    path: &Path,
    mut options: ImportOptions,
) -> Result<ImportOptions, ImportFailure> {
    options.base_currency = store.base_currency()?;
    let settings = store.business_settings()?;
    options.shop_zone = match settings.shop_zone() {
        Ok(Some(tz)) => ShopZone::Named(tz),
        _ => ShopZone::Local,
    };
    if options.currency.is_none() {
        options.currency = Some(settings.currency);
    }
    if let Some(signature) = crate::import::header_signature(path)?
        && let Some(remembered) = store.remembered_mapping(&signature)?
    {
        if options.overrides.is_empty() && options.preset.is_none() {
            if remembered.preset == PresetId::Generic.name() {
                options.preset = Some(PresetId::Generic);
            }
            options.remembered_mapping = Some(remembered.mapping_json);
        }
        // Only where this file leaves them open: its own dates and amounts come first.
        options.remembered_date_order = remembered
            .date_order
            .as_deref()
            .and_then(DateOrder::from_code);
        options.remembered_decimal = match remembered.decimal_separator.as_deref() {
            Some(",") => Some(DecimalSeparator::Comma),
            Some(".") => Some(DecimalSeparator::Dot),
            _ => None,
        };
    }
    Ok(options)
}

/// Stages `path` with options completed from the database.
pub fn stage(
    store: &Store,
    path: &Path,
    options: ImportOptions,
    progress: &mut dyn FnMut(f32, u64) -> bool,
) -> Result<StagedImport, ImportFailure> {
    let options = options_for(store, path, options)?;
    let mut staged = stage_file(path, &options, progress)?;
    keep_apart_from_other_spreadsheets(store, &mut staged)?;
    Ok(staged)
}

/// Order numbers of a spreadsheet compared with the database at most: enough to tell
/// another system's numbering from a re-export, in a few milliseconds.
const APART_SAMPLE_ORDERS: usize = 2_000;

/// Keeps a spreadsheet from another system apart from the spreadsheets stored: when most
/// of its order numbers that are stored already belong to sales on other days (a till and
/// a web shop both counting from 1001), its orders get a source of their own
/// (`generic:` and its header's signature), so they do not replace the others; an earlier
/// file with the same columns that was kept apart is followed. A re-export of the same
/// system (same numbers, same days) stays `generic` and updates what it restates.
fn keep_apart_from_other_spreadsheets(
    store: &Store,
    staged: &mut StagedImport,
) -> Result<(), StoreError> {
    let generic = PresetId::Generic.name();
    if staged.preset != PresetId::Generic
        || staged.kept_apart_as.is_some()
        || staged.header.names.is_empty()
        || !store.spreadsheet_orders_stored()?
    {
        return Ok(());
    }
    let signature = staged.header.signature();
    let source = match store.source_kept_apart_for(&signature)? {
        Some(source) => source,
        None => {
            let sample: Vec<(&str, chrono::NaiveDate)> = staged
                .orders
                .iter()
                .filter(|o| o.source == generic && o.status != crate::domain::REFUND_STATUS)
                .take(APART_SAMPLE_ORDERS)
                .map(|o| (o.external_id.as_str(), o.local_date))
                .collect();
            let (stored, other_sales) = store.numbers_stored_for_other_sales(generic, &sample)?;
            if stored < 3 || other_sales * 2 <= stored {
                return Ok(());
            }
            staged.report.warnings.push(format!(
                "{} of this file's order numbers are stored already for sales on other days, from another spreadsheet: this file looks like another till or shop, so its orders are kept apart instead of replacing those.",
                group_thousands(other_sales as u64)
            ));
            format!("{generic}:{}", signature.get(..8).unwrap_or(&signature))
        }
    };
    for order in &mut staged.orders {
        order.source.clone_from(&source);
        // First bought via a spreadsheet, as before.
        order.channel.get_or_insert_with(|| generic.to_owned());
    }
    for refund in &mut staged.refunds_for_other_orders {
        refund.entry.source.clone_from(&source);
        refund
            .entry
            .channel
            .get_or_insert_with(|| generic.to_owned());
    }
    staged.kept_apart_as = Some(source);
    Ok(())
}

/// The record of a staged file, as stored in `imports`.
pub fn import_record(staged: &StagedImport) -> NewImport {
    let report = &staged.report;
    let skipped: BTreeMap<&str, u64> = report
        .skipped
        .iter()
        .map(|(r, s)| (r.text(), s.rows))
        .collect();
    NewImport {
        file_name: staged.file_name.clone(),
        file_path: Some(staged.path.display().to_string()),
        sha256: Some(staged.sha256.clone()),
        size_bytes: Some(staged.size_bytes),
        preset: staged.preset.name().to_owned(),
        mapping_json: staged.mapping.to_named_json(&staged.header),
        encoding: Some(staged.encoding.label().to_owned()),
        delimiter: Some(staged.layout.label()),
        rows_read: report.rows_read,
        rows_skipped: report.skipped_rows(),
        skipped_json: serde_json::to_string(&skipped).unwrap_or_default(),
        header_signature: (!staged.header.names.is_empty()).then(|| staged.header.signature()),
        date_order: Some(staged.date_order.code().to_owned()),
        decimal_separator: Some(staged.decimal.symbol().to_string()),
        settled_date_order: staged
            .date_order_settled
            .then(|| staged.date_order.code().to_owned()),
        settled_decimal: staged
            .decimal_settled
            .then(|| staged.decimal.symbol().to_string()),
        currency: Some(staged.stored_currency.code().to_owned()),
        report_json: staged_report_json(staged).to_string(),
        remember_mapping: true,
        cancelled_orders: staged.cancelled_orders.clone(),
        source: staged.kept_apart_as.clone(),
    }
}

/// The result of importing (or dry-running) one file.
#[derive(Clone, Debug)]
pub struct ImportResult {
    /// The staged file.
    pub staged: StagedImport,
    /// What the write did (or would do).
    pub outcome: WriteOutcome,
    /// True for a dry run.
    pub dry_run: bool,
}

/// Writes a staged file in one transaction (or dry-runs it); refuses a file whose dates
/// are still ambiguous.
pub fn write(
    store: &mut Store,
    staged: StagedImport,
    dry_run: bool,
    keep_going: &mut dyn FnMut(usize) -> bool,
) -> Result<ImportResult, ImportFailure> {
    if staged.date_order_ambiguous {
        // A cell as the file writes it: the owner looks for it in their file.
        let example = staged.ambiguous_date_example.clone().unwrap_or_default();
        return Err(ImportError::AmbiguousDates {
            file: staged.file_name.clone(),
            example,
        }
        .into());
    }
    let record = import_record(&staged);
    let outcome = if dry_run {
        store.dry_run_import(&record, &staged.orders, &staged.refunds_for_other_orders)?
    } else {
        store.write_import(
            &record,
            &staged.orders,
            &staged.refunds_for_other_orders,
            keep_going,
        )?
    };
    if !dry_run {
        refresh_programs(store)?;
    }
    Ok(ImportResult {
        staged,
        outcome,
        dry_run,
    })
}

/// Judges referrals and recomputes the loyalty ledger after orders changed.
fn refresh_programs(store: &mut Store) -> Result<(), ImportFailure> {
    super::referrals::refresh_referrals(store)?;
    super::loyalty::recompute_ledger(store)?;
    Ok(())
}

/// Stages and writes `path` in one go, for the command line (which shows no preview):
/// the database writes the orders already settled on a second thread while the rest of
/// the file is read, still in one transaction. The result is what [`stage`] then [`write`]
/// give, except that `staged.orders` is empty: the orders went to the database as they
/// were read. A file the streamed write cannot take (dates still ambiguous) or that
/// returns to an order already written is imported the two-phase way instead; the
/// streamed write is then rolled back, or was never begun.
pub fn import_streamed(
    store: &mut Store,
    path: &Path,
    options: ImportOptions,
    progress: &mut dyn FnMut(f32, u64) -> bool,
) -> Result<ImportResult, ImportFailure> {
    import_streamed_as(store, path, options, progress, false).map(|(result, _)| result)
}

/// [`import_streamed`], then every customer valued and the values saved, as the command
/// line does after importing one file. Into an empty database the valuation does not wait
/// for the write: the write hands over the purchases once it has written the last order
/// (then they are all the database holds), and the customers are valued while it builds
/// the indexes and commits; the values are saved after the commit. The valuation is
/// `None` when that could not be done (orders already stored, a refund of an earlier
/// order, settings the import changed, a file of more than 250,000 rows): then value from
/// the store as usual.
pub fn import_and_value(
    store: &mut Store,
    path: &Path,
    options: ImportOptions,
    progress: &mut dyn FnMut(f32, u64) -> bool,
) -> Result<(ImportResult, Option<Computed>), ImportFailure> {
    import_streamed_as(store, path, options, progress, true)
}

/// Files of more rows than this are valued after their write, once its orders are freed:
/// a million-line export's orders and its valuation at once would pass 300 MB.
const VALUE_ALONGSIDE_MAX_ROWS: usize = 250_000;

fn import_streamed_as(
    store: &mut Store,
    path: &Path,
    options: ImportOptions,
    progress: &mut dyn FnMut(f32, u64) -> bool,
    value: bool,
) -> Result<(ImportResult, Option<Computed>), ImportFailure> {
    let options = options_for(store, path, options)?;
    let expected = expected_rows(path);
    // Valuing alongside keeps the import's orders and the valuation in memory at once.
    let value = value && expected <= VALUE_ALONGSIDE_MAX_ROWS;
    let settings_before = store.business_settings()?;
    // A spreadsheet may have to be kept apart from those stored: that is decided on the
    // whole file, so it is written the two-phase way.
    let spreadsheets_stored = store.spreadsheet_orders_stored()?;
    let (parts, arriving) = std::sync::mpsc::sync_channel::<ImportPart>(2);
    let (purchases_written, purchases) = std::sync::mpsc::sync_channel::<PurchaseHistory>(1);
    // Parts written go back to the reader, which drops their orders and fills them again.
    let (spent_parts, spent) = std::sync::mpsc::channel::<Vec<NewOrder>>();
    let streamed = std::thread::scope(|scope| {
        let writing = &mut *store;
        let writer = std::thread::Builder::new()
            .name("clv-desk-write".to_owned())
            .spawn_scoped(scope, move || {
                // The sender is the thread's: the channel closes when the write ends.
                let hand_over = purchases_written;
                let mut send = |history| {
                    let _ = hand_over.try_send(history);
                };
                let purchases_written: Option<&mut (dyn FnMut(PurchaseHistory) + Send)> =
                    if value { Some(&mut send) } else { None };
                let mut hand_back = |orders| {
                    // Once the reader is done the part is dropped here.
                    let _ = spent_parts.send(orders);
                };
                writing.write_import_streamed(
                    &mut arriving.into_iter(),
                    &mut hand_back,
                    purchases_written,
                )
            });
        // Without a second thread, the two-phase way below.
        let writer = writer.ok()?;
        let mut sink = WriteSink {
            parts: Some(parts),
            spent,
            expected_orders: expected,
            spreadsheets_stored,
        };
        let mut staged = stage_file_streamed(path, &options, progress, &mut sink);
        let mut settings_used = settings_before.clone();
        if let (Ok(Streamed::Staged(staged)), Some(parts)) = (&mut staged, &sink.parts) {
            // The orders still held, then the record as complete.
            let tail = std::mem::take(&mut staged.orders);
            if !tail.is_empty() {
                let _ = parts.send(ImportPart::Orders(tail));
            }
            let import = import_record(staged);
            // The first import into an empty database sets the shop's currency to its own
            // (as `Store::write_import` does).
            if let Some(currency) = import.currency.as_deref().and_then(Currency::parse) {
                settings_used.currency = currency;
            }
            let _ = parts.send(ImportPart::End {
                import,
                refunds: staged.refunds_for_other_orders.clone(),
            });
        }
        // Closing the channel ends the write: committed after `End`, else rolled back.
        drop(sink);
        let valued = value_handed_over(&purchases, settings_used);
        // A panic on the write thread is a bug: it goes on here, as if it happened here.
        let written = writer
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        Some((staged, written, valued))
    });
    // Staged here, not by `stage`: what it decides on the whole file is decided here too.
    let two_phase = |store: &mut Store, mut staged: StagedImport| {
        keep_apart_from_other_spreadsheets(store, &mut staged)?;
        write(store, staged, false, &mut |_| true).map(|result| (result, None))
    };
    let Some((staged, written, valued)) = streamed else {
        return two_phase(store, stage_file(path, &options, progress)?);
    };
    match (staged, written) {
        (Ok(Streamed::Staged(staged)), Ok(Some(outcome))) => {
            refresh_programs(store)?;
            let valued = valued.and_then(|(valued, settings_used)| {
                save_valued_alongside(store, valued, &settings_used)
            });
            Ok((
                ImportResult {
                    staged: *staged,
                    outcome,
                    dry_run: false,
                },
                valued,
            ))
        }
        // Never begun: the two-phase write decides (and refuses ambiguous dates).
        (Ok(Streamed::Staged(staged)), Ok(None)) => two_phase(store, *staged),
        (Ok(Streamed::Revisited), _) => {
            let staged = stage_file(path, &options, progress)?;
            two_phase(store, staged)
        }
        // The write failed first (the reader then stopped as cancelled): its error tells why.
        (_, Err(WriteError::Store(e))) => Err(ImportFailure::Store(e)),
        (Err(e), _) => Err(e.into()),
        (Ok(Streamed::Staged(_)), Err(WriteError::Cancelled)) => Err(ImportFailure::Cancelled),
    }
}

/// The valuation of the purchases the write hands over, with the settings it used. Only a
/// write into an empty database hands them over (after its last order); otherwise the
/// channel closes without them when the write ends, and there is none.
fn value_handed_over(
    purchases: &std::sync::mpsc::Receiver<PurchaseHistory>,
    settings: BusinessSettings,
) -> Option<(Valued, BusinessSettings)> {
    let history = purchases.recv().ok()?;
    // The inputs key is known only after the commit (`save_valued_alongside` sets it).
    let valued = value_from(
        history,
        &settings,
        String::new(),
        &ValuationOptions::default(),
        &Progress::default(),
        Instant::now(),
    )
    .ok()??;
    Some((valued, settings))
}

/// Saves a valuation made while the import was written, once it is committed, if the
/// settings it used are the ones stored now; `None` (value from the store instead) if not,
/// or if the save failed.
fn save_valued_alongside(
    store: &mut Store,
    mut valued: Valued,
    settings_used: &BusinessSettings,
) -> Option<Computed> {
    let settings = store.business_settings().ok()?;
    if settings != *settings_used {
        return None;
    }
    valued.set_inputs_key(inputs_key(store, &settings).ok()?);
    let period = ValuationOptions::default().period;
    save_valued(store, valued, period, &Progress::default()).ok()
}

/// Hands a streamed staging's settled orders to the write thread.
struct WriteSink {
    /// `None` once the write is gone (or was never begun).
    parts: Option<std::sync::mpsc::SyncSender<ImportPart>>,
    /// Parts the write is done with.
    spent: std::sync::mpsc::Receiver<Vec<NewOrder>>,
    expected_orders: usize,
    /// Spreadsheet orders are stored: a spreadsheet is not streamed (see
    /// [`keep_apart_from_other_spreadsheets`]).
    spreadsheets_stored: bool,
}

impl OrderSink for WriteSink {
    fn start(&mut self, decided: &StagedImport) -> bool {
        // A spreadsheet that may have to be kept apart is decided on the whole file.
        let whole_file_first = self.spreadsheets_stored && decided.preset == PresetId::Generic;
        let begun = !decided.date_order_ambiguous
            && !whole_file_first
            && self.parts.as_ref().is_some_and(|parts| {
                parts
                    .send(ImportPart::Start {
                        import: import_record(decided),
                        source: decided.preset.name().to_owned(),
                        expected_orders: self.expected_orders,
                    })
                    .is_ok()
            });
        if !begun {
            self.parts = None;
        }
        begun
    }

    fn orders(&mut self, orders: Vec<NewOrder>) -> bool {
        self.parts
            .as_ref()
            .is_some_and(|parts| parts.send(ImportPart::Orders(orders)).is_ok())
    }

    fn spent(&mut self) -> Option<Vec<NewOrder>> {
        self.spent.try_recv().ok()
    }
}

/// About how many rows `path` has, from the line length of its first 256 KiB (at least
/// one order per row is the most a file can hold, so this bounds its orders from above
/// for the write's bulk-load choice).
fn expected_rows(path: &Path) -> usize {
    use std::io::Read as _;
    let size = std::fs::metadata(path).map_or(0, |m| m.len());
    let mut head = Vec::new();
    let read = std::fs::File::open(path)
        .and_then(|f| f.take(256 * 1024).read_to_end(&mut head))
        .unwrap_or(0);
    let lines = memchr::memchr_iter(b'\n', &head[..read]).count().max(1);
    let bytes_per_line = (read as u64 / lines as u64).max(1);
    usize::try_from(size / bytes_per_line).unwrap_or(usize::MAX)
}

fn staged_report_json(staged: &StagedImport) -> serde_json::Value {
    let report = &staged.report;
    serde_json::json!({
        "rows_read": report.rows_read,
        "layout_rows": report.layout_rows,
        "skipped": report
            .skipped
            .iter()
            .map(|(r, s)| (r.text().to_owned(), serde_json::json!({"rows": s.rows, "examples": s.examples})))
            .collect::<serde_json::Map<String, serde_json::Value>>(),
        "warnings": report.warnings,
    })
}

impl ImportResult {
    /// The one JSON object `clv-desk import --json` prints for this file.
    pub fn to_json(&self) -> serde_json::Value {
        let staged = &self.staged;
        let report = &staged.report;
        let skipped: serde_json::Map<String, serde_json::Value> = report
            .skipped
            .iter()
            .map(|(r, s)| (r.text().to_owned(), serde_json::Value::from(s.rows)))
            .collect();
        serde_json::json!({
            "file": staged.path.display().to_string(),
            "preset": staged.preset.name(),
            "encoding": staged.encoding.label(),
            "delimiter": staged.layout.label(),
            "date_order": staged.date_order.code(),
            "decimal": staged.decimal.symbol().to_string(),
            "currency": staged.stored_currency.code(),
            "rows_read": report.rows_read,
            "orders_added": self.outcome.orders_created,
            "orders_updated": self.outcome.orders_updated,
            "orders_unchanged": self.outcome.orders_unchanged,
            "customers_new": self.outcome.customers_created,
            "customers_matched": self.outcome.customers_matched,
            "customers_merged": self.outcome.customers_merged,
            "guest_orders": report.guest_orders,
            "refunds": report.refunds,
            "skipped": skipped,
            "net_total_minor": report.net_total_minor,
            "warnings": report.warnings,
            "dry_run": self.dry_run,
        })
    }

    /// The result in a few lines of plain words.
    pub fn summary_lines(&self) -> Vec<String> {
        let o = &self.outcome;
        let r = &self.staged.report;
        let n = group_thousands;
        let verb = if self.dry_run { "would add" } else { "added" };
        let mut lines = vec![format!(
            "{}: {verb} {}, updated {}, {} already there; {}, {} matched; {}, {}.",
            self.staged.file_name,
            plural(o.orders_created, "order", "orders"),
            n(o.orders_updated),
            n(o.orders_unchanged),
            plural(o.customers_created, "new customer", "new customers"),
            n(o.customers_matched),
            plural(r.guest_orders, "guest order", "guest orders"),
            plural(r.refunds, "refund", "refunds")
        )];
        if o.customers_merged > 0 {
            lines.push(format!(
                "{} the same person as another (one order named both) and merged; the profile lists them, with Unmerge.",
                plural(o.customers_merged, "customer was", "customers were")
            ));
        }
        for (reason, stat) in &r.skipped {
            lines.push(format!(
                "Skipped {} ({}), e.g. {}.",
                plural(stat.rows, "row", "rows"),
                reason.text(),
                stat.examples.join("; ")
            ));
        }
        lines.extend(r.warnings.iter().cloned());
        lines
    }
}

/// Undoes import `id`; the owner-facing result line.
pub fn undo(store: &mut Store, id: ImportId) -> anyhow::Result<String> {
    let outcome = store.undo_import(id)?;
    super::referrals::refresh_referrals(store)?;
    super::loyalty::recompute_ledger(store)?;
    Ok(format!(
        "Import undone: {} removed, {} restored, {} removed.",
        plural(outcome.orders_removed, "order", "orders"),
        group_thousands(outcome.orders_restored),
        plural(outcome.customers_removed, "customer", "customers")
    ))
}

/// A progress line for a long import: rows, rows per second and the time left.
pub fn progress_words(file: &str, fraction: f32, rows: u64, started: Instant) -> String {
    let seconds = started.elapsed().as_secs_f64().max(1e-3);
    let rate = rows as f64 / seconds;
    let left = if fraction > 0.02 {
        let total = seconds / f64::from(fraction);
        format!(", about {:.0} s left", (total - seconds).max(0.0).ceil())
    } else {
        String::new()
    };
    format!(
        "{file}: {} rows ({} rows/s{left})",
        group_thousands(rows),
        group_thousands(rate as u64)
    )
}
