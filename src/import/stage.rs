//! Staging a file: two streaming passes. The first gathers per-file evidence (day/month
//! order, decimal separator, currency); the second parses every row with those decisions
//! and groups rows into orders by the platform's rules. Nothing is written.
//!
//! A staged import can also be streamed ([`stage_file_streamed`]): orders whose last row
//! lies well behind the row being read are passed on to an [`OrderSink`] (the database
//! write, on another thread) while the rest of the file is read. Exports list an order's
//! rows together, so this holds for real files; a file that returns to an order already
//! passed on (or refunds one) is reported as [`Streamed::Revisited`], and the caller
//! stages it again without streaming.

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};
use std::io::Read as _;
use std::path::Path;

use chrono::{FixedOffset, NaiveDateTime, Offset as _, TimeZone as _, Utc};

use super::dates::{
    DateOrderVotes, OrderDecision, ParsedMoment, named_zone, offset_in_zone, parse_moment,
    parse_offset,
};
use super::fields::{ColumnMapping, Field, FieldColumns, Header, guess_mapping};
use super::money::{
    DecimalSeparator, DecimalVotes, currency_in_cell, parse_money, price_times_quantity,
};
use super::presets::{
    self, Extras, PresetId, RowClass, RowView, Shape, SkipReason, classify, is_cancelled_status,
    is_unpaid_status,
};
use super::read::{Layout, RawRow, RowReader, Sniffed, TextEncoding, display_name, sniff};
use super::{DateOrder, ImportError, ImportOptions, ShopZone, StageReport, StagedImport};
use crate::domain::{
    Currency, CustomerIdentity, NewOrder, NewOrderLine, RefundOfOrder, name_key, phone_key,
};

/// Rows between progress reports (and cancel checks).
const PROGRESS_EVERY: u64 = 4096;

/// Examples kept per skip reason.
const EXAMPLES_PER_REASON: usize = 3;

/// Stages `path`. `progress(fraction, rows)` is called every few thousand rows; returning
/// `false` cancels.
pub fn stage_file(
    path: &Path,
    options: &ImportOptions,
    progress: &mut dyn FnMut(f32, u64) -> bool,
) -> Result<StagedImport, ImportError> {
    match stage(path, options, progress, None)? {
        Streamed::Staged(staged) => Ok(*staged),
        // Orders are passed on only to a sink, so without one none can be revisited.
        Streamed::Revisited => unreachable!("an order was revisited, yet none was passed on"),
    }
}

/// Where [`stage_file_streamed`] passes orders on while it reads.
pub trait OrderSink {
    /// Called once every decision is taken and before any row is parsed, with the staged
    /// import as far as it is known (no orders, no counts, no SHA-256 yet). Returns whether
    /// to pass orders on while reading; if not, staging goes on as [`stage_file`].
    fn start(&mut self, decided: &StagedImport) -> bool;
    /// Orders that no later row changes, in file order. Returns `false` to stop reading
    /// (staging then ends as cancelled).
    fn orders(&mut self, orders: Vec<NewOrder>) -> bool;

    /// Rows after an order's last row before it counts as settled and is passed on.
    fn settled_after_rows(&self) -> u64 {
        SETTLED_AFTER_ROWS
    }

    /// Settled orders handed on together.
    fn batch_orders(&self) -> usize {
        PASS_ON_ORDERS
    }

    /// A batch [`OrderSink::orders`] was given and is done with, if one is back: its
    /// orders are dropped here and its memory filled with the next batch (memory the
    /// reader has touched already costs no page faults).
    fn spent(&mut self) -> Option<Vec<NewOrder>> {
        None
    }
}

/// How a streamed staging ended.
#[derive(Debug)]
pub enum Streamed {
    /// Read to the end. The orders not yet passed on are in `orders`; the report counts
    /// every order, passed on or not.
    Staged(Box<StagedImport>),
    /// A row returned to an order already passed on (or refunded one): the orders passed on
    /// are not final, so the caller discards them and stages the file again.
    Revisited,
}

/// Stages `path` like [`stage_file`], passing settled orders on to `sink` as it reads.
pub fn stage_file_streamed(
    path: &Path,
    options: &ImportOptions,
    progress: &mut dyn FnMut(f32, u64) -> bool,
    sink: &mut dyn OrderSink,
) -> Result<Streamed, ImportError> {
    stage(path, options, progress, Some(sink))
}

fn stage(
    path: &Path,
    options: &ImportOptions,
    progress: &mut dyn FnMut(f32, u64) -> bool,
    mut sink: Option<&mut dyn OrderSink>,
) -> Result<Streamed, ImportError> {
    let file = display_name(path);
    let sniffed = sniff(path, &presets::is_known_header)?;
    let (header, shape, preset) = resolve_preset(&sniffed, options);
    let mapping = resolve_mapping(&file, &header, shape, preset, options)?;
    require_columns(&file, &header, &mapping, preset)?;
    let size_bytes = std::fs::metadata(path).map_or(0, |m| m.len());

    let evidence = gather_evidence(path, &sniffed, &mapping, preset, size_bytes, progress)?;
    if evidence.data_rows == 0 {
        return Err(ImportError::NoDataRows { file });
    }
    let decided_dates = evidence.dates.decide();
    let date_order_settled = options.date_order.is_some()
        || matches!(
            decided_dates,
            OrderDecision::Decided(DateOrder::Dmy | DateOrder::Mdy)
        );
    let (date_order, date_order_ambiguous) = match (options.date_order, decided_dates) {
        (Some(order), _) => (order, false),
        (None, OrderDecision::Decided(order)) => (order, false),
        (None, OrderDecision::NotNeeded) if preset == PresetId::Cdnow => (DateOrder::Ymd, false),
        (None, OrderDecision::NotNeeded) => (DateOrder::Mdy, false),
        // Etsy writes MM/DD/YY or M/D/YYYY whatever the shop's country.
        (None, OrderDecision::Ambiguous) if options.remembered_date_order.is_some() => (
            options.remembered_date_order.unwrap_or(DateOrder::Dmy),
            false,
        ),
        (None, OrderDecision::Ambiguous) if preset == PresetId::Etsy => (DateOrder::Mdy, false),
        (None, OrderDecision::Ambiguous) => (DateOrder::Dmy, true),
        (None, OrderDecision::Contradictory) => {
            let votes = &evidence.dates;
            (
                if votes.day_first >= votes.month_first {
                    DateOrder::Dmy
                } else {
                    DateOrder::Mdy
                },
                false,
            )
        }
    };
    let currency = evidence
        .currency()
        .or_else(|| currency_in_money_headers(&header, &mapping))
        .or(options.currency)
        .or(options.base_currency)
        .unwrap_or_default();
    // The first file of a shop that names no currency (no column, symbol or code): its
    // amounts are taken in the shop's currency, and the report says which.
    let currency_assumed = options.base_currency.is_none()
        && evidence.currency().is_none()
        && currency_in_money_headers(&header, &mapping).is_none();
    let shown_decimal = evidence.decimals.settled();
    let decimal_settled = options.decimal.is_some() || shown_decimal.is_some();
    let decimal = options
        .decimal
        .or(shown_decimal)
        .or(options.remembered_decimal)
        .unwrap_or_else(|| evidence.decimals.decide(currency.minor_digits()));
    let conversion = conversion(&file, currency, options)?;

    let mut decided = StagedImport {
        path: path.to_path_buf(),
        file_name: file.clone(),
        size_bytes,
        sha256: String::new(),
        preset,
        variant: shape.map_or("", |s| s.variant),
        encoding: sniffed.encoding,
        layout: sniffed.layout,
        header,
        mapping,
        date_order,
        date_order_ambiguous,
        ambiguous_date_example: evidence.dates.first_two_way.clone(),
        date_order_settled,
        decimal,
        decimal_settled,
        currency,
        stored_currency: conversion.map_or(currency, |c| c.to),
        orders: Vec::new(),
        refunds_for_other_orders: Vec::new(),
        cancelled_orders: Vec::new(),
        kept_apart_as: None,
        report: StageReport::default(),
    };
    let sink = match sink.take() {
        Some(sink) => sink.start(&decided).then_some(sink),
        None => None,
    };
    let (header, mapping) = (&decided.header, &decided.mapping);
    let columns = FieldColumns::of(mapping);
    let mut parser = Parser {
        preset,
        extras: shape.map_or(Extras::PerOrder, |s| s.extras),
        name_is_key: shape.is_none_or(|s| s.name_is_key),
        product_list: shape.is_some_and(|s| s.product_list),
        packed_lines: packed_line_columns(header),
        header,
        mapping,
        columns: &columns,
        encoding: sniffed.encoding,
        date_order,
        decimal,
        currency,
        conversion,
        shop_zone: options.shop_zone,
        date_is_utc: mapping
            .get(Field::Date)
            .and_then(|c| header.names.get(c))
            .is_some_and(|n| n.to_ascii_lowercase().contains("utc")),
        drafts: Drafts::default(),
        by_key: FxHashMap::default(),
        by_alt: FxHashMap::default(),
        pending_refunds: Vec::new(),
        report: StageReport::default(),
        customer_group: None,
        synthetic_counts: FxHashMap::default(),
        cdnow_days: FxHashMap::default(),
        pool: TextPool::default(),
        key_buffer: String::new(),
        skipped_orders: Vec::new(),
        section: 0,
        last_draft: None,
        straddling: None,
        cancelled: Vec::new(),
        refund_targets: FxHashSet::default(),
        revisited: false,
        orders_with_line_amounts: 0,
        orders_with_one_amount: std::cell::Cell::new(0),
        local_offsets: std::cell::RefCell::default(),
        tally: Tally::default(),
        unknown_zone: std::cell::RefCell::default(),
        stream: sink.map(|sink| Stream {
            settled_after_rows: sink.settled_after_rows().max(1),
            batch_orders: sink.batch_orders().max(1),
            sink,
            settled: Vec::new(),
        }),
    };
    let digest = parser.parse_rows(path, &sniffed, size_bytes, progress)?;
    if parser.revisited {
        return Ok(Streamed::Revisited);
    }
    let Some((orders, refunds_for_other_orders)) = parser.finish() else {
        return Ok(Streamed::Revisited);
    };
    parser.tally.add(&orders);
    let tally = std::mem::take(&mut parser.tally);
    let cancelled_orders = std::mem::take(&mut parser.cancelled);
    let mut report = std::mem::take(&mut parser.report);
    let unknown_zone = parser.unknown_zone.take();
    drop(parser);
    if report.rows_read == 0 {
        return Err(ImportError::NoDataRows { file });
    }
    // A newer export may hold only cancellations of stored orders: that is still news.
    if tally.orders == 0 && refunds_for_other_orders.is_empty() && cancelled_orders.is_empty() {
        let reasons = report
            .skipped
            .iter()
            .map(|(r, s)| match s.examples.first() {
                // The first row of each reason, with its column, value and what was expected.
                Some(example) => format!("{}: {}, e.g. {example}", r.text(), s.rows),
                None => format!("{}: {}", r.text(), s.rows),
            })
            .collect::<Vec<_>>()
            .join(", ");
        return Err(ImportError::NothingImportable {
            file,
            rows: report.rows_read,
            reasons,
        });
    }
    tally.into_report(&mut report, &refunds_for_other_orders, &decided.mapping);
    if let Some(zone) = unknown_zone {
        report.warnings.push(format!(
            "The time zone \"{zone}\" is not one this app knows: those times were read in the shop's time zone (Settings)."
        ));
    }
    if currency_assumed {
        report.warnings.push(format!(
            "The file names no currency: its amounts are taken as {currency}. If they are in another one, set the shop's currency in Settings (or pass --currency) and import again."
        ));
    }
    if let Some((from, rate, to)) = conversion.map(|c| (currency, c.rate, c.to)) {
        report.warnings.push(format!(
            "Amounts in {from} were converted to {to} at {rate} {to} per {from}."
        ));
    }
    if let (Some(sheet), false) = (&sniffed.sheet, sniffed.sheets_passed.is_empty()) {
        let quoted: Vec<String> = sniffed
            .sheets_passed
            .iter()
            .map(|name| format!("'{name}'"))
            .collect();
        report.warnings.push(format!(
            "Read the sheet '{sheet}': {} before it {} no table of orders.",
            quoted.join(", "),
            if quoted.len() == 1 { "holds" } else { "hold" }
        ));
    }
    if preset == PresetId::Amazon
        && decided.mapping.get(Field::Email).is_none()
        && decided.mapping.get(Field::Name).is_none()
    {
        report.warnings.push(
            "This Amazon report has no buyer names or e-mails, so every order is a guest order: revenue counts, but lifetime values cannot be computed from it. Use the seller-fulfilled report with buyer-email instead."
                .to_owned(),
        );
    }
    decided.sha256 = match digest {
        Some(hex) => hex,
        None => sha256_of(path)?,
    };
    decided.orders = orders;
    decided.refunds_for_other_orders = refunds_for_other_orders;
    decided.cancelled_orders = cancelled_orders;
    decided.report = report;
    Ok(Streamed::Staged(Box::new(decided)))
}

/// The header (synthetic for CDNOW), the platform shape and the preset.
fn resolve_preset(
    sniffed: &Sniffed,
    options: &ImportOptions,
) -> (Header, Option<&'static Shape>, PresetId) {
    if sniffed.layout == Layout::Whitespace {
        let names = ["customer", "sample id", "date", "quantity", "amount"].map(String::from);
        return (
            Header::new(&names),
            None,
            options.preset.unwrap_or(PresetId::Cdnow),
        );
    }
    let header = Header::new(sniffed.header.as_deref().unwrap_or_default());
    match options.preset {
        Some(PresetId::Generic) => (header, None, PresetId::Generic),
        Some(preset) => {
            let shape = presets::shape_for(preset, &header);
            (header, shape, preset)
        }
        None => match presets::detect(&header) {
            Some(shape) => (header, Some(shape), shape.id),
            None => (header, None, PresetId::Generic),
        },
    }
}

fn resolve_mapping(
    file: &str,
    header: &Header,
    shape: Option<&Shape>,
    preset: PresetId,
    options: &ImportOptions,
) -> Result<ColumnMapping, ImportError> {
    let mut mapping = match (preset, shape) {
        (PresetId::Cdnow, _) => ColumnMapping::default(),
        (_, Some(shape)) => presets::bind(shape, header),
        (_, None) => options
            .remembered_mapping
            .as_deref()
            .and_then(|json| ColumnMapping::from_named_json(json, header))
            .unwrap_or_else(|| guess_mapping(header)),
    };
    for (field, column) in &options.overrides {
        if column.trim().is_empty() || column == "-" {
            mapping.set(*field, None);
            continue;
        }
        let index = header
            .position_of(column)
            .ok_or_else(|| ImportError::UnknownColumn {
                file: file.to_owned(),
                column: column.clone(),
                field: field.meaning(),
                columns: header.names.join(", "),
            })?;
        mapping.set(*field, Some(index));
    }
    Ok(mapping)
}

fn require_columns(
    file: &str,
    header: &Header,
    mapping: &ColumnMapping,
    preset: PresetId,
) -> Result<(), ImportError> {
    if preset == PresetId::Cdnow {
        return Ok(());
    }
    let missing = |what: &'static str, key: &'static str| ImportError::MissingColumn {
        file: file.to_owned(),
        what,
        key,
        columns: header.names.join(", "),
    };
    if mapping.get(Field::Date).is_none() {
        return Err(missing("the order date", "date"));
    }
    let has_amount = mapping.get(Field::Total).is_some()
        || mapping.get(Field::LineTotal).is_some()
        || (mapping.get(Field::Quantity).is_some() && mapping.get(Field::UnitPrice).is_some());
    if !has_amount {
        return Err(missing("the amount paid", "amount"));
    }
    Ok(())
}

/// What the first pass learns.
struct Evidence {
    dates: DateOrderVotes,
    decimals: DecimalVotes,
    currencies: HashMap<String, u64>,
    data_rows: u64,
}

/// Rows the first pass reads at least before it may stop early.
const EVIDENCE_ROWS: u64 = 5000;

impl Evidence {
    /// Whether reading further cannot change the decisions: a date has settled day/month
    /// order (or the dates are ISO or use month names) and an amount has settled the
    /// decimal separator. A file whose dates stay ambiguous is read to its end, so
    /// "every day value is ≤ 12" is checked on every row.
    fn is_decisive(&self) -> bool {
        let d = &self.dates;
        let dates_settled = d.day_first > 0 || d.month_first > 0 || d.numeric == d.year_first;
        let decimal_settled = self.decimals.dot + self.decimals.comma > 0;
        dates_settled && decimal_settled
    }

    /// The currency the file names most often, in a currency column or in amount cells.
    fn currency(&self) -> Option<Currency> {
        self.currencies
            .iter()
            .max_by_key(|(code, n)| (**n, std::cmp::Reverse((*code).clone())))
            .and_then(|(code, _)| Currency::parse(code))
    }
}

const MONEY_FIELDS: [Field; 8] = [
    Field::Total,
    Field::LineTotal,
    Field::UnitPrice,
    Field::Refunded,
    Field::AdjustedTotal,
    Field::Discount,
    Field::Shipping,
    Field::Tax,
];

fn gather_evidence(
    path: &Path,
    sniffed: &Sniffed,
    mapping: &ColumnMapping,
    preset: PresetId,
    size_bytes: u64,
    progress: &mut dyn FnMut(f32, u64) -> bool,
) -> Result<Evidence, ImportError> {
    let mut evidence = Evidence {
        dates: DateOrderVotes::default(),
        decimals: DecimalVotes::default(),
        currencies: HashMap::new(),
        data_rows: 0,
    };
    if preset == PresetId::Cdnow {
        evidence.data_rows = 1;
        evidence.currencies.insert("USD".to_owned(), 1);
        return Ok(evidence);
    }
    let columns = FieldColumns::of(mapping);
    let mut reader = RowReader::open(path, sniffed)?;
    let mut row = RawRow::default();
    let mut rows = 0u64;
    while reader.next_row(&mut row, path)? {
        rows += 1;
        if rows.is_multiple_of(PROGRESS_EVERY)
            && !progress(0.4 * fraction(&row, rows, size_bytes), rows)
        {
            return Err(ImportError::Cancelled);
        }
        if row.filled_cells() == 0 {
            continue;
        }
        let view = RowView {
            row: &row,
            mapping,
            columns: &columns,
            encoding: sniffed.encoding,
        };
        let date = view.get(Field::Date);
        if date.is_empty() {
            continue;
        }
        evidence.data_rows += 1;
        evidence.dates.observe(&date);
        for field in MONEY_FIELDS {
            let cell = view.get(field);
            if !cell.is_empty() {
                evidence.decimals.observe(&cell);
                if let Some(code) = currency_in_cell(&cell) {
                    *evidence.currencies.entry(code.to_owned()).or_default() += 1;
                }
            }
        }
        let code = view.get(Field::Currency);
        if let Some(c) = Currency::parse(&code) {
            *evidence.currencies.entry(c.code().to_owned()).or_default() += 1;
        }
        if evidence.data_rows >= EVIDENCE_ROWS && evidence.is_decisive() {
            break;
        }
    }
    Ok(evidence)
}

/// A currency named in the header of an amount column (`Amount, EUR`, `Total (€)`).
fn currency_in_money_headers(header: &Header, mapping: &ColumnMapping) -> Option<Currency> {
    MONEY_FIELDS
        .iter()
        .filter_map(|f| mapping.get(*f))
        .filter_map(|c| header.names.get(c))
        .find_map(|name| currency_in_cell(name))
        .and_then(Currency::parse)
}

/// How far through the file a row is (bytes for text, rows for sheets).
fn fraction(row: &RawRow, rows: u64, size_bytes: u64) -> f32 {
    match row.position() {
        Some(pos) if size_bytes > 0 => (pos.byte() as f32 / size_bytes as f32).min(1.0),
        _ => (rows as f32 / (rows as f32 + 1000.0)).min(1.0),
    }
}

/// A currency conversion to the database's base currency.
#[derive(Clone, Copy, Debug)]
struct Conversion {
    rate: f64,
    from: Currency,
    to: Currency,
}

impl Conversion {
    fn apply(&self, minor: i64) -> i64 {
        let scale = self.to.minor_per_major() as f64 / self.from.minor_per_major() as f64;
        (minor as f64 * self.rate * scale).round() as i64
    }
}

fn conversion(
    file: &str,
    currency: Currency,
    options: &ImportOptions,
) -> Result<Option<Conversion>, ImportError> {
    let Some(base) = options.base_currency else {
        return Ok(None);
    };
    if base == currency {
        return Ok(None);
    }
    match options.exchange_rate.filter(|r| r.is_finite() && *r > 0.0) {
        Some(rate) => Ok(Some(Conversion {
            rate,
            from: currency,
            to: base,
        })),
        None => Err(ImportError::CurrencyMismatch {
            file: file.to_owned(),
            file_currency: currency.code().to_owned(),
            base: base.code().to_owned(),
        }),
    }
}

/// An order being assembled from its rows.
#[derive(Default)]
struct Draft {
    key: String,
    alt: Option<String>,
    first_row: u64,
    /// The last row that added to the order (for passing it on once settled).
    last_row: u64,
    rows: u64,
    /// The first few row numbers, for examples when the whole order is skipped.
    row_numbers: RowNumbers,
    moment: Option<(NaiveDateTime, FixedOffset, chrono::NaiveDate)>,
    customer: CustomerIdentity,
    /// The part of the file (between repeated headers) whose rows state the order.
    section: u32,
    total: Option<i64>,
    /// How the order's rows filled the total column (a generic file's "Amount" may be
    /// each line's, not the order's).
    row_totals: RowTotals,
    line_sum: i64,
    refunded: Option<i64>,
    /// How the order's rows filled the refunded column (a generic file's may be per line).
    row_refunds: RowTotals,
    refund_rows: i64,
    adjusted_total: Option<i64>,
    discount: Option<i64>,
    discount_sum: i64,
    shipping: Option<i64>,
    shipping_sum: i64,
    tax: Option<i64>,
    tax_sum: i64,
    coupon: Option<String>,
    status: Option<String>,
    captured: Option<String>,
    currency: Option<Currency>,
    channel: Option<String>,
    lines: Vec<NewOrderLine>,
    customer_refund: bool,
}

/// The amounts an order's rows give in the total column.
#[derive(Clone, Copy)]
struct RowTotals {
    /// Rows with an amount there.
    rows: u32,
    /// Their sum.
    sum: i64,
    /// Whether two of them differ.
    differ: bool,
    /// Whether each equals its row's quantity × unit price (so far).
    all_quantity_times_price: bool,
    /// Whether one is not its row's quantity × unit price (then it is no line amount).
    not_quantity_times_price: bool,
}

impl Default for RowTotals {
    fn default() -> RowTotals {
        RowTotals {
            rows: 0,
            sum: 0,
            differ: false,
            all_quantity_times_price: true,
            not_quantity_times_price: false,
        }
    }
}

impl RowTotals {
    /// Counts one row's amount; `line` is its quantity × unit price when it has both.
    fn add(&mut self, amount: i64, first: Option<i64>, line: Option<i64>) {
        self.differ |= first.is_some_and(|f| f != amount);
        self.all_quantity_times_price &= line.is_some_and(|l| (l - amount).abs() <= 1);
        self.not_quantity_times_price |= line.is_some_and(|l| (l - amount).abs() > 1);
        self.rows += 1;
        self.sum += amount;
    }

    /// The order's total when the column holds each line's amount: its rows differ
    /// (an order total would repeat), or each is its row's quantity × price, or other
    /// orders' rows differed (`file_has_line_amounts`) and none of its rows says otherwise.
    /// `None` when it reads as the order total, repeated or on one row.
    fn line_amounts_sum(self, file_has_line_amounts: bool) -> Option<i64> {
        let lines = self.differ
            || self.all_quantity_times_price
            || (file_has_line_amounts && !self.not_quantity_times_price);
        (self.rows >= 2 && lines).then_some(self.sum)
    }
}

/// The first few row numbers of an order, kept inline (every order has some).
#[derive(Default)]
struct RowNumbers {
    numbers: [u64; EXAMPLES_PER_REASON],
    len: usize,
}

impl RowNumbers {
    /// Keeps `number` if fewer than [`EXAMPLES_PER_REASON`] are kept.
    fn push(&mut self, number: u64) {
        if let Some(slot) = self.numbers.get_mut(self.len) {
            *slot = number;
            self.len += 1;
        }
    }

    fn get(&self, index: usize) -> Option<u64> {
        self.numbers[..self.len].get(index).copied()
    }
}

/// Which order-level fields an order still lacks (so a row's cells for them are read).
#[derive(Clone, Copy)]
struct Needs {
    moment: bool,
    customer: bool,
    refunded: bool,
    adjusted: bool,
    discount: bool,
    shipping: bool,
    tax: bool,
    currency: bool,
    coupon: bool,
    status: bool,
    captured: bool,
    channel: bool,
    alt: bool,
}

impl Needs {
    /// A new order needs everything.
    const ALL: Needs = Needs {
        moment: true,
        customer: true,
        refunded: true,
        adjusted: true,
        discount: true,
        shipping: true,
        tax: true,
        currency: true,
        coupon: true,
        status: true,
        captured: true,
        channel: true,
        alt: true,
    };

    fn of(draft: &Draft) -> Needs {
        Needs {
            moment: draft.moment.is_none(),
            customer: draft.customer.is_guest(),
            refunded: draft.refunded.is_none(),
            adjusted: draft.adjusted_total.is_none(),
            discount: draft.discount.is_none(),
            shipping: draft.shipping.is_none(),
            tax: draft.tax.is_none(),
            currency: draft.currency.is_none(),
            coupon: draft.coupon.is_none(),
            status: draft.status.is_none(),
            captured: draft.captured.is_none(),
            channel: draft.channel.is_none(),
            alt: draft.alt.is_none(),
        }
    }
}

/// The line items of one row: most rows carry one, so it needs no list of its own.
enum RowLines {
    None,
    One(NewOrderLine),
    Many(Vec<NewOrderLine>),
}

/// A refund row waiting for its order (which may come later in the file).
struct PendingRefund {
    order: String,
    alt: Option<String>,
    amount: i64,
    draft: Draft,
}

struct Parser<'a> {
    preset: PresetId,
    extras: Extras,
    name_is_key: bool,
    product_list: bool,
    packed_lines: Vec<usize>,
    header: &'a Header,
    mapping: &'a ColumnMapping,
    columns: &'a FieldColumns,
    encoding: TextEncoding,
    date_order: DateOrder,
    decimal: DecimalSeparator,
    currency: Currency,
    conversion: Option<Conversion>,
    shop_zone: ShopZone,
    date_is_utc: bool,
    drafts: Drafts,
    by_key: FxHashMap<String, usize>,
    by_alt: FxHashMap<String, usize>,
    pending_refunds: Vec<PendingRefund>,
    report: StageReport,
    customer_group: Option<String>,
    synthetic_counts: FxHashMap<String, u32>,
    /// Orders so far per CDNOW customer and day, by [`cdnow_day_key`] (the keys of
    /// `synthetic_counts` without a string per order).
    cdnow_days: FxHashMap<u64, u32>,
    pool: TextPool,
    /// Reused for building synthetic order keys.
    key_buffer: String,
    /// Rows of orders skipped as a whole (unpaid, other currency), reported at the end in
    /// row order.
    skipped_orders: Vec<(u64, SkipReason)>,
    /// Repeated headers passed: a file of exports pasted one below another has one part
    /// per export, and a later part states an order anew.
    section: u32,
    /// The draft of the last sale row read.
    last_draft: Option<usize>,
    /// The draft of the last sale row before the latest repeated header: an order a page
    /// header splits goes on below it rather than being stated anew.
    straddling: Option<usize>,
    /// Orders skipped as cancelled or voided: number and status.
    cancelled: Vec<(String, String)>,
    /// Order numbers (and alternative ids) named by refund rows still waiting: such orders
    /// are not passed on before the end.
    refund_targets: FxHashSet<String>,
    /// A row returned to an order already passed on.
    revisited: bool,
    /// Orders whose rows gave different amounts in the total column (so it holds each
    /// line's amount), and orders of several rows that gave one amount, built so far: when
    /// enough differ, an order whose lines cost the same (two coffees) is their sum too,
    /// not one line's amount read as a repeated order total.
    orders_with_line_amounts: u32,
    orders_with_one_amount: std::cell::Cell<u32>,
    /// The shop zone's offset at local times already seen (files without offsets repeat
    /// their times, and asking the zone, the computer's own above all, is slow).
    local_offsets: std::cell::RefCell<FxHashMap<NaiveDateTime, FixedOffset>>,
    /// Counts of every built order, passed on or not.
    tally: Tally,
    /// The first time zone cell that names no zone this app knows (its times are read in
    /// the shop's zone, and the report says so).
    unknown_zone: std::cell::RefCell<Option<String>>,
    /// Where settled orders go while reading, when streaming.
    stream: Option<Stream<'a>>,
}

/// A streamed staging's sink and the settled orders not yet handed to it.
struct Stream<'a> {
    sink: &'a mut dyn OrderSink,
    settled: Vec<NewOrder>,
    /// [`OrderSink::settled_after_rows`].
    settled_after_rows: u64,
    /// [`OrderSink::batch_orders`].
    batch_orders: usize,
}

/// Rows after an order's last row before it counts as settled and is passed on, unless the
/// sink says otherwise. Exports list an order's rows together; a file that does not is
/// staged again without streaming.
const SETTLED_AFTER_ROWS: u64 = 1024;

/// Local times whose offset [`Parser::shop_offset_at_local`] keeps at most.
const LOCAL_OFFSETS_KEPT: usize = 4096;

/// Settled orders handed to the sink at a time, unless the sink says otherwise.
const PASS_ON_ORDERS: usize = 1024;

/// The drafts, by index in order of their first row. Those passed on to a streamed write
/// are gone from the front; their indexes stay taken.
#[derive(Default)]
struct Drafts {
    /// How many were passed on (the index of the first one still here).
    passed: usize,
    open: VecDeque<Draft>,
}

impl Drafts {
    /// Adds `draft`; returns its index.
    fn push(&mut self, draft: Draft) -> usize {
        self.open.push_back(draft);
        self.passed + self.open.len() - 1
    }

    /// Whether draft `index` was passed on.
    fn is_passed(&self, index: usize) -> bool {
        index < self.passed
    }

    fn get(&self, index: usize) -> Option<&Draft> {
        self.open.get(index.checked_sub(self.passed)?)
    }

    fn get_mut(&mut self, index: usize) -> Option<&mut Draft> {
        self.open.get_mut(index.checked_sub(self.passed)?)
    }

    /// Takes the oldest draft out if `settled` says so.
    fn pass_front_if(&mut self, settled: impl Fn(&Draft) -> bool) -> Option<Draft> {
        let draft = self.open.pop_front_if(|d| settled(d))?;
        self.passed += 1;
        Some(draft)
    }
}

/// What the report counts over the built orders, gathered a batch at a time (a streamed
/// staging no longer holds the orders it passed on).
#[derive(Default)]
struct Tally {
    orders: u64,
    guest_orders: u64,
    refunds: u64,
    net_total_minor: i64,
    /// Distinct customer keys, by the strongest kind an order names: e-mail, platform id,
    /// user name, name.
    customers: [FxHashSet<String>; 5],
}

impl Tally {
    fn add(&mut self, orders: &[NewOrder]) {
        // Keys are lower-cased into this one buffer: no allocation per order.
        let mut scratch = String::new();
        for order in orders {
            self.orders += 1;
            let who = &order.customer;
            if who.is_guest() {
                self.guest_orders += 1;
            } else {
                let key = if let Some(email) = who.email.as_deref() {
                    Some((0, lower_in(email.trim(), &mut scratch)))
                } else if let Some(id) = who.platform_id.as_deref() {
                    Some((1, Cow::Borrowed(id)))
                } else if let Some(user) = who.username.as_deref() {
                    Some((2, lower_in(user, &mut scratch)))
                } else if let Some(phone) = who.phone.as_deref().and_then(phone_key) {
                    Some((4, Cow::Owned(phone)))
                } else {
                    who.name.as_deref().map(|n| (3, name_key(n)))
                };
                if let Some((kind, key)) = key
                    && !self.customers[kind].contains(key.as_ref())
                {
                    self.customers[kind].insert(key.into_owned());
                }
            }
            if order.refunded_cents > 0 {
                self.refunds += 1;
            }
            self.net_total_minor += order.net_cents();
        }
    }

    /// Writes the counts into `report`, with the refunds of other imports' orders.
    fn into_report(
        self,
        report: &mut StageReport,
        refunds: &[RefundOfOrder],
        mapping: &ColumnMapping,
    ) {
        report.guest_orders = self.guest_orders;
        report.refunds = self.refunds + refunds.len() as u64;
        report.net_total_minor =
            self.net_total_minor - refunds.iter().map(|r| r.amount_cents).sum::<i64>();
        report.customers = self.customers.iter().map(|set| set.len() as u64).sum();
        let has_customer = [
            Field::Email,
            Field::CustomerId,
            Field::Username,
            Field::Phone,
            Field::Name,
            Field::FirstName,
        ]
        .iter()
        .any(|f| mapping.get(*f).is_some());
        if !has_customer && self.orders > 0 && self.guest_orders == self.orders {
            report
                .warnings
                .push("No column identifies the customer, so every order is a guest order. Choose the e-mail or customer column in the preview.".to_owned());
        }
    }
}

/// One shared copy of each product name and SKU.
#[derive(Default)]
struct TextPool(FxHashSet<Arc<str>>);

impl TextPool {
    fn get(&mut self, text: &str) -> Arc<str> {
        if let Some(shared) = self.0.get(text) {
            return Arc::clone(shared);
        }
        let shared: Arc<str> = Arc::from(text);
        self.0.insert(Arc::clone(&shared));
        shared
    }
}

/// A problem with one cell, for the report.
struct CellProblem {
    reason: SkipReason,
    field: Field,
    value: String,
    expected: String,
}

impl Parser<'_> {
    fn parse_rows(
        &mut self,
        path: &Path,
        sniffed: &Sniffed,
        size_bytes: u64,
        progress: &mut dyn FnMut(f32, u64) -> bool,
    ) -> Result<Option<String>, ImportError> {
        let mut reader = RowReader::open_threaded(path, sniffed)?;
        let mut row = RawRow::default();
        let mut rows = 0u64;
        self.report.layout_rows = sniffed.rows_before_header as u64;
        while reader.next_row(&mut row, path)? {
            rows += 1;
            if rows.is_multiple_of(PROGRESS_EVERY)
                && !progress(0.4 + 0.6 * fraction(&row, rows, size_bytes), rows)
            {
                return Err(ImportError::Cancelled);
            }
            if self.preset == PresetId::Cdnow {
                self.cdnow_row(&row);
            } else {
                self.row(&row);
            }
            // Settled orders are looked for every 64 rows (every row for a narrower window).
            if let Some(stream) = &self.stream
                && rows.is_multiple_of(stream.settled_after_rows.min(64))
            {
                if self.revisited {
                    return Ok(None);
                }
                if !self.pass_on_settled(row.number) {
                    return Err(ImportError::Cancelled);
                }
            }
        }
        progress(1.0, rows);
        Ok(reader.finish())
    }

    fn skip(&mut self, reason: SkipReason, row: u64, problem: Option<&CellProblem>) {
        let stat = self.report.skipped.entry(reason).or_default();
        stat.rows += 1;
        if stat.examples.len() < EXAMPLES_PER_REASON {
            stat.examples.push(match problem {
                Some(p) => {
                    let column = self
                        .mapping
                        .get(p.field)
                        .and_then(|c| self.header.names.get(c))
                        .map_or_else(|| p.field.label().to_owned(), Clone::clone);
                    format!("row {row}, column {column}: “{}” ({})", p.value, p.expected)
                }
                None => format!("row {row}"),
            });
        }
    }

    fn row(&mut self, row: &RawRow) {
        let view = RowView {
            row,
            mapping: self.mapping,
            columns: self.columns,
            encoding: self.encoding,
        };
        let class = classify(self.preset, &view, self.header);
        match class {
            RowClass::Layout => {
                self.report.layout_rows += 1;
                return;
            }
            RowClass::RepeatedHeader => {
                self.report.layout_rows += 1;
                self.section += 1;
                self.straddling = self.last_draft;
                return;
            }
            RowClass::CustomerGroup(name) => {
                self.report.layout_rows += 1;
                self.customer_group = Some(name);
                return;
            }
            _ => {}
        }
        self.report.rows_read += 1;
        match class {
            RowClass::Skip(reason) => self.skip(reason, row.number, None),
            RowClass::Sale => {
                if let Err(problem) = self.sale_row(&view, false) {
                    self.skip(problem.reason, row.number, Some(&problem));
                }
            }
            RowClass::CustomerRefund => {
                if let Err(problem) = self.sale_row(&view, true) {
                    self.skip(problem.reason, row.number, Some(&problem));
                }
            }
            RowClass::Refund { order, alt } => {
                if let Err(problem) = self.refund_row(&view, order, alt) {
                    self.skip(problem.reason, row.number, Some(&problem));
                }
            }
            RowClass::Layout | RowClass::RepeatedHeader | RowClass::CustomerGroup(_) => {}
        }
    }

    fn money(&self, view: &RowView<'_>, field: Field) -> Result<Option<i64>, CellProblem> {
        let cell = view.get(field);
        if cell.is_empty() {
            return Ok(None);
        }
        match parse_money(&cell, self.decimal, self.currency.minor_digits()) {
            Ok(minor) => Ok(Some(self.conversion.map_or(minor, |c| c.apply(minor)))),
            Err(e) => Err(CellProblem {
                reason: SkipReason::UnreadableAmount,
                field,
                value: cell.into_owned(),
                expected: e.to_string(),
            }),
        }
    }

    /// Optional amounts (discount, shipping, …) that cannot be read count as absent.
    fn money_or_none(&self, view: &RowView<'_>, field: Field) -> Option<i64> {
        self.money(view, field).ok().flatten()
    }

    /// The order instant: wall-clock time, its UTC offset, and the shop's day.
    fn moment(
        &self,
        view: &RowView<'_>,
    ) -> Result<(NaiveDateTime, FixedOffset, chrono::NaiveDate), CellProblem> {
        let date = view.get(Field::Date);
        let time = view.get(Field::Time);
        let text = if time.is_empty() {
            date
        } else {
            Cow::Owned(format!("{date} {time}"))
        };
        let parsed: ParsedMoment =
            parse_moment(&text, self.date_order).map_err(|e| CellProblem {
                reason: SkipReason::UnreadableDate,
                field: Field::Date,
                value: text.to_string(),
                expected: e.to_string(),
            })?;
        if let Some(expected) = implausible_order_day(parsed.local.date(), Utc::now().date_naive())
        {
            return Err(CellProblem {
                reason: SkipReason::UnreadableDate,
                field: Field::Date,
                value: text.to_string(),
                expected,
            });
        }
        let zone_cell = view.get(Field::TimeZone);
        let from_zone_column = if zone_cell.is_empty() {
            None
        } else if let Some(tz) = named_zone(&zone_cell) {
            Some(offset_in_zone(tz, parsed.local))
        } else {
            let offset = parse_offset(&zone_cell);
            if offset.is_none() {
                let mut unknown = self.unknown_zone.borrow_mut();
                if unknown.is_none() {
                    *unknown = Some(zone_cell.to_string());
                }
            }
            offset
        };
        let utc_zero = FixedOffset::east_opt(0).unwrap_or_else(|| Utc.fix());
        match (parsed.offset.or(from_zone_column), self.date_is_utc) {
            (Some(offset), false) => Ok((parsed.local, offset, parsed.local.date())),
            (given, true) => {
                // A UTC column (Stripe): the shop's day is the UTC instant in the shop's zone.
                let offset = given.unwrap_or(utc_zero);
                let utc =
                    parsed.local - chrono::Duration::seconds(i64::from(offset.local_minus_utc()));
                let shop_offset = self.shop_offset_at_utc(utc);
                let shop_local =
                    utc + chrono::Duration::seconds(i64::from(shop_offset.local_minus_utc()));
                Ok((parsed.local, offset, shop_local.date()))
            }
            (None, false) => {
                let offset = self.shop_offset_at_local(parsed.local);
                Ok((parsed.local, offset, parsed.local.date()))
            }
        }
    }

    fn shop_offset_at_local(&self, local: NaiveDateTime) -> FixedOffset {
        let mut known = self.local_offsets.borrow_mut();
        if let Some(offset) = known.get(&local) {
            return *offset;
        }
        let offset = match self.shop_zone {
            ShopZone::Named(tz) => offset_in_zone(tz, local),
            ShopZone::Local => chrono::Local
                .from_local_datetime(&local)
                .earliest()
                .map_or_else(|| Utc.fix(), |t| t.offset().fix()),
        };
        if known.len() >= LOCAL_OFFSETS_KEPT {
            known.clear();
        }
        known.insert(local, offset);
        offset
    }

    fn shop_offset_at_utc(&self, utc: NaiveDateTime) -> FixedOffset {
        match self.shop_zone {
            ShopZone::Named(tz) => tz.offset_from_utc_datetime(&utc).fix(),
            ShopZone::Local => chrono::Local.offset_from_utc_datetime(&utc).fix(),
        }
    }

    /// The customer of a refund row: as [`Self::identity`], except that where the file
    /// names a recipient (PayPal's `To Email Address`) the money went back to them, and
    /// the sender's address is the shop's own.
    fn refund_identity(&self, view: &RowView<'_>) -> CustomerIdentity {
        let mut who = self.identity(view);
        if view.has(Field::RecipientEmail) {
            who.email = email_in(&view.get(Field::RecipientEmail));
        }
        who
    }

    fn identity(&self, view: &RowView<'_>) -> CustomerIdentity {
        let text = |field: Field| {
            let value = view.get(field);
            let value = value.trim_start_matches('\'').trim();
            (!value.is_empty()).then(|| value.to_owned())
        };
        let name = text(Field::Name).or_else(|| {
            let first = text(Field::FirstName).unwrap_or_default();
            let last = text(Field::LastName).unwrap_or_default();
            let full = format!("{first} {last}").trim().to_owned();
            (!full.is_empty()).then_some(full)
        });
        let platform_id = text(Field::CustomerId)
            .map(|id| match id.strip_suffix(".0") {
                // Online Retail copies write customer numbers as floats: 17850.0.
                Some(int) if int.bytes().all(|b| b.is_ascii_digit()) => int.to_owned(),
                _ => id,
            })
            // WooCommerce writes 0 for guest checkouts; others write placeholders.
            .filter(|id| {
                !["0", "-", "guest", "n/a", "none", "null"]
                    .iter()
                    .any(|p| id.eq_ignore_ascii_case(p))
            });
        let consent = {
            let value = view.get(Field::Consent);
            let value = value.trim_start_matches('\'').trim();
            let is = |words: &[&str]| words.iter().any(|w| value.eq_ignore_ascii_case(w));
            if is(&["yes", "true", "1", "y", "subscribed"]) {
                Some(true)
            } else if is(&["no", "false", "0", "n", "unsubscribed", "not subscribed"]) {
                Some(false)
            } else {
                None
            }
        };
        let who = CustomerIdentity {
            email: text(Field::Email).and_then(|cell| email_in(&cell)),
            platform_id,
            username: text(Field::Username),
            name: name.or_else(|| self.customer_group.clone()),
            phone: text(Field::Phone),
            postcode: text(Field::Postcode),
            marketing_consent: consent,
            // No sales export in formats.md carries birthdays; the owner adds them on the
            // profile (and the demo shop has them).
            birthday: None,
        };
        let unidentified =
            who.email.is_none() && who.platform_id.is_none() && who.username.is_none();
        if unidentified {
            let walk_in = who.name.as_deref().is_some_and(is_placeholder_name);
            let named = who.name.is_some() && !walk_in;
            // An owner's spreadsheet may know customers by phone alone (a salon's till).
            let by_phone = self.preset == PresetId::Generic
                && who.phone.as_deref().and_then(phone_key).is_some();
            if walk_in || !(by_phone || (self.name_is_key && named)) {
                // On platforms with e-mail or ids, a bare billing name ("Walk-in Customer")
                // or phone (often the shop's own) is a guest.
                return CustomerIdentity::default();
            }
        }
        who
    }

    /// The order key of a row: its order number (borrowed from the row), or a stable
    /// synthetic one for files without order numbers.
    fn order_key<'r>(&mut self, view: &'r RowView<'_>) -> Cow<'r, str> {
        let id = view.get(Field::OrderId);
        if !id.is_empty() {
            return id;
        }
        let who = self.identity(view);
        let customer = who
            .email
            .or(who.platform_id)
            .or(who.name)
            .unwrap_or_default();
        // A file of line amounts only (QuickBooks receipts without a number): a known
        // customer's lines of one day are one order, not one order per line.
        let lines_only = self.columns.get(Field::Total).is_none()
            && self.columns.get(Field::LineTotal).is_some();
        if lines_only && !customer.is_empty() {
            return Cow::Owned(format!("row:{}:{customer}:lines", view.get(Field::Date)));
        }
        let base = format!(
            "row:{}:{customer}:{}",
            view.get(Field::Date),
            view.get(Field::Total)
        );
        let n = self.synthetic_counts.entry(base.clone()).or_insert(0);
        *n += 1;
        Cow::Owned(format!("{base}:{n}"))
    }

    fn new_draft(&mut self, key: &str, row_number: u64) -> usize {
        let i = self.drafts.push(Draft {
            key: key.to_owned(),
            first_row: row_number,
            section: self.section,
            ..Draft::default()
        });
        self.by_key.insert(key.to_owned(), i);
        i
    }

    /// Passes the orders settled by row `row_number` on to the stream's sink (a batch at a
    /// time). Returns `false` when the sink wants no more.
    fn pass_on_settled(&mut self, row_number: u64) -> bool {
        let Some(mut stream) = self.stream.take() else {
            return true;
        };
        loop {
            let targets = &self.refund_targets;
            let Some(draft) = self.drafts.pass_front_if(|d| {
                d.last_row.saturating_add(stream.settled_after_rows) < row_number
                    && (targets.is_empty()
                        || !targets.contains(&d.key)
                            && d.alt.as_ref().is_none_or(|a| !targets.contains(a)))
            }) else {
                break;
            };
            if let Some(order) = self.judged(draft) {
                stream.settled.push(order);
            }
        }
        let mut go_on = true;
        if stream.settled.len() >= stream.batch_orders {
            let room = stream.batch_orders + stream.batch_orders / 4;
            let next = match stream.sink.spent() {
                Some(mut spent) => {
                    spent.clear();
                    spent.reserve(room);
                    spent
                }
                None => Vec::with_capacity(room),
            };
            let settled = std::mem::replace(&mut stream.settled, next);
            self.tally.add(&settled);
            go_on = stream.sink.orders(settled);
        }
        self.stream = Some(stream);
        go_on
    }

    /// The order a finished draft makes, or `None` when it is skipped as a whole (unpaid,
    /// another currency; its rows are reported) or has no date.
    fn judged(&mut self, draft: Draft) -> Option<NewOrder> {
        let reason = self.unpaid_reason(&draft).or_else(|| {
            (draft.currency.is_some_and(|c| c != self.currency) && self.conversion.is_none())
                .then_some(SkipReason::OtherCurrency)
        });
        if let Some(reason) = reason {
            if reason == SkipReason::NotPaid
                && let Some(status) = draft.status.as_deref().filter(|s| is_cancelled_status(s))
            {
                self.cancelled
                    .push((draft.key.clone(), status.trim().to_ascii_lowercase()));
            }
            for k in 0..draft.rows {
                let row = draft.row_numbers.get(k as usize).unwrap_or(draft.first_row);
                self.skipped_orders.push((row, reason));
            }
            return None;
        }
        self.build(draft)
    }

    /// One row of a sale. Line-level cells are read on every row; order-level cells
    /// (status, refund, discount, customer, …) only while the order still lacks them, which
    /// in a Shopify export means on its first row only.
    fn sale_row(&mut self, view: &RowView<'_>, customer_refund: bool) -> Result<(), CellProblem> {
        let total = self.money(view, Field::Total)?;
        let line_total = self.money(view, Field::LineTotal)?;
        let key = self.order_key(view);
        // A negative amount on a sale row is a refund of the order it names (WooCommerce
        // Analytics, generic files with refund rows): of one in this file, before or after
        // it, or in an earlier import (the write links it), or else a refund of its own.
        // Never a sale of a negative amount, which would overwrite the stored sale.
        if !customer_refund && let Some(amount) = total.or(line_total).filter(|a| *a < 0) {
            return self.refund_amount(view, key.into_owned(), None, -amount);
        }
        let unit_price = self.money(view, Field::UnitPrice)?;
        let quantity = parse_quantity(&view.get(Field::Quantity));
        // One lookup per row: the order's draft, if it has one yet.
        let known = self.by_key.get(key.as_ref()).copied();
        if known.is_some_and(|i| self.drafts.is_passed(i)) {
            self.revisited = true;
            return Ok(());
        }
        // A spreadsheet's order whose first row has no amount at all is no sale of nothing:
        // the cell was left empty.
        if self.preset == PresetId::Generic
            && known.is_none()
            && total.is_none()
            && line_total.is_none()
            && unit_price.is_none()
            && self.columns.get(Field::Total).is_some()
        {
            return Err(CellProblem {
                reason: SkipReason::UnreadableAmount,
                field: Field::Total,
                value: String::new(),
                expected: "an amount; the cell is empty".to_owned(),
            });
        }
        // An order a later export (below a repeated header) states again: the newer rows
        // replace what the earlier ones said (a paid order was pending, a refund came).
        // The order last before the header goes on below it when its next row carries only
        // a line (a page break); a row with the order's status or total states it anew.
        let straddling = known.is_some()
            && known == self.straddling
            && total.is_none()
            && !view.has(Field::Status);
        if let Some(draft) = known.and_then(|i| self.drafts.get_mut(i))
            && draft.section < self.section
        {
            if straddling {
                draft.section = self.section;
            } else {
                *draft = Draft {
                    key: std::mem::take(&mut draft.key),
                    first_row: view.row.number,
                    section: self.section,
                    ..Draft::default()
                };
            }
        }
        let needs = known
            .and_then(|i| self.drafts.get(i))
            .map_or(Needs::ALL, Needs::of);
        // A spreadsheet's refund column may hold each line's refund: every row is read.
        let needs = Needs {
            refunded: needs.refunded || self.preset == PresetId::Generic,
            ..needs
        };
        let moment = if needs.moment {
            Some(self.moment(view)?)
        } else {
            None
        };
        let identity = needs.customer.then(|| self.identity(view));
        let per_line = self.extras == Extras::PerLine;
        let amount = |f: Field, needed: bool| {
            if needed || per_line {
                self.money_or_none(view, f)
            } else {
                None
            }
        };
        let discount = amount(Field::Discount, needs.discount);
        let shipping = amount(Field::Shipping, needs.shipping);
        let tax = amount(Field::Tax, needs.tax);
        let refunded = if needs.refunded {
            self.money_or_none(view, Field::Refunded)
        } else {
            None
        };
        let adjusted = if needs.adjusted {
            self.money_or_none(view, Field::AdjustedTotal)
        } else {
            None
        };
        let text = |f: Field, needed: bool| {
            needed
                .then(|| view.get(f))
                .filter(|v| !v.is_empty())
                .map(Cow::into_owned)
        };
        let currency = if needs.currency {
            Currency::parse(&view.get(Field::Currency))
        } else {
            None
        };
        let coupon = text(Field::Coupon, needs.coupon);
        let status = text(Field::Status, needs.status);
        let captured = text(Field::Captured, needs.captured);
        let channel = text(Field::Channel, needs.channel);
        let alt = text(Field::AltOrderId, needs.alt);
        let lines = self.lines_of(view, quantity, unit_price, line_total);
        let computed_line = match (line_total, unit_price) {
            (Some(t), _) => Some(t),
            (None, Some(p)) if total.is_none() => {
                Some(price_times_quantity(p, quantity.unwrap_or(1.0)))
            }
            _ => None,
        };

        let index = match known {
            Some(i) => i,
            None => self.new_draft(&key, view.row.number),
        };
        self.last_draft = Some(index);
        let Some(draft) = self.drafts.get_mut(index) else {
            // Not reached: a passed-on index returned above, and a new one is open.
            self.revisited = true;
            return Ok(());
        };
        draft.rows += 1;
        draft.last_row = view.row.number;
        draft.row_numbers.push(view.row.number);
        draft.customer_refund |= customer_refund;
        set_once(&mut draft.moment, moment);
        if let Some(identity) = identity {
            merge_identity(&mut draft.customer, identity);
        }
        if let Some(amount) = total {
            let line = unit_price.map(|p| price_times_quantity(p, quantity.unwrap_or(1.0)));
            let differed = draft.row_totals.differ;
            draft.row_totals.add(amount, draft.total, line);
            if draft.row_totals.differ && !differed {
                self.orders_with_line_amounts += 1;
            }
        }
        set_once(&mut draft.total, total);
        if let Some(amount) = refunded {
            draft
                .row_refunds
                .add(amount.abs(), draft.refunded.map(i64::abs), None);
        }
        set_once(&mut draft.refunded, refunded);
        set_once(&mut draft.adjusted_total, adjusted);
        set_once(&mut draft.currency, currency);
        set_once(&mut draft.coupon, coupon);
        set_once(&mut draft.status, status);
        set_once(&mut draft.captured, captured);
        set_once(&mut draft.channel, channel);
        let new_alt = draft.alt.is_none() && alt.is_some();
        set_once(&mut draft.alt, alt);
        draft.line_sum += computed_line.unwrap_or(0);
        if per_line {
            draft.discount_sum += discount.unwrap_or(0).abs();
            draft.shipping_sum += shipping.unwrap_or(0);
            draft.tax_sum += tax.unwrap_or(0);
        } else {
            set_once(&mut draft.discount, discount);
            set_once(&mut draft.shipping, shipping);
            set_once(&mut draft.tax, tax);
        }
        match lines {
            RowLines::None => {}
            RowLines::One(line) => draft.lines.push(line),
            RowLines::Many(lines) => draft.lines.extend(lines),
        }
        // Registered when the order gets its alternative id (later rows would find it there).
        if new_alt && let Some(alt) = draft.alt.clone() {
            self.by_alt.entry(alt).or_insert(index);
        }
        Ok(())
    }

    /// The line items a row carries: none on an eBay summary row, several for a
    /// comma-separated product list (WooCommerce Analytics) or packed `line_item_N` cells
    /// (WebToffee), else at most one.
    fn lines_of(
        &mut self,
        view: &RowView<'_>,
        quantity: Option<f64>,
        unit_price: Option<i64>,
        line_total: Option<i64>,
    ) -> RowLines {
        if self.columns.get(Field::ItemNumber).is_some() && !view.has(Field::ItemNumber) {
            return RowLines::None;
        }
        if !self.packed_lines.is_empty() {
            return RowLines::Many(
                self.packed_lines
                    .iter()
                    .filter_map(|c| {
                        packed_line(
                            &view.row.cell(*c, self.encoding),
                            self.decimal,
                            self.currency.minor_digits(),
                            &mut self.pool,
                        )
                    })
                    .collect(),
            );
        }
        let product = view.get(Field::Product);
        if self.product_list && product.contains(", ") {
            return RowLines::Many(
                product
                    .split(", ")
                    .map(|name| NewOrderLine {
                        sku: None,
                        name: self.pool.get(name.trim()),
                        quantity: 1.0,
                        unit_price_cents: 0,
                        total_cents: 0,
                    })
                    .collect(),
            );
        }
        match line_of(
            view,
            &product,
            quantity,
            unit_price,
            line_total,
            &mut self.pool,
        ) {
            Some(line) => RowLines::One(line),
            None => RowLines::None,
        }
    }

    fn refund_row(
        &mut self,
        view: &RowView<'_>,
        order: String,
        alt: Option<String>,
    ) -> Result<(), CellProblem> {
        let total = self.money(view, Field::Total)?;
        let line = self.money(view, Field::LineTotal)?;
        let tax = if self.extras == Extras::PerLine {
            self.money_or_none(view, Field::Tax)
        } else {
            None
        };
        let amount = total
            .or(line.map(|l| l + tax.unwrap_or(0)))
            .unwrap_or(0)
            .abs();
        self.refund_amount(view, order, alt, amount)
    }

    fn refund_amount(
        &mut self,
        view: &RowView<'_>,
        order: String,
        alt: Option<String>,
        amount: i64,
    ) -> Result<(), CellProblem> {
        let moment = self.moment(view)?;
        let own_key = {
            let id = view.get(Field::OrderId);
            if id.is_empty() || id == order {
                self.refund_key(&order, moment.0, amount)
            } else {
                id.into_owned()
            }
        };
        let draft = Draft {
            key: own_key,
            first_row: view.row.number,
            rows: 1,
            moment: Some(moment),
            customer: self.refund_identity(view),
            refund_rows: amount,
            customer_refund: true,
            ..Draft::default()
        };
        let passed = |key: &str, map: &FxHashMap<String, usize>| {
            map.get(key).is_some_and(|i| self.drafts.is_passed(*i))
        };
        if passed(&order, &self.by_key)
            || passed(&order, &self.by_alt)
            || alt.as_deref().is_some_and(|a| passed(a, &self.by_alt))
        {
            self.revisited = true;
        }
        if self.stream.is_some() {
            self.refund_targets.insert(order.clone());
            if let Some(alt) = &alt {
                self.refund_targets.insert(alt.clone());
            }
        }
        self.pending_refunds.push(PendingRefund {
            order,
            alt,
            amount,
            draft,
        });
        Ok(())
    }

    /// The key of a refund row that has no number of its own: the order, the moment and
    /// the amount, so the same refund in an overlapping later export is the same entry (not
    /// a second one, as a row number would make it); the second identical refund of a file
    /// gets `:2`.
    fn refund_key(&mut self, order: &str, when: NaiveDateTime, amount: i64) -> String {
        let base = format!("refund:{order}:{}:{amount}", when.format("%Y%m%dT%H%M%S"));
        let n = self.synthetic_counts.entry(base.clone()).or_insert(0);
        *n += 1;
        if *n == 1 { base } else { format!("{base}:{n}") }
    }

    fn cdnow_row(&mut self, row: &RawRow) {
        if row.is_empty() {
            self.report.layout_rows += 1;
            return;
        }
        self.report.rows_read += 1;
        let cell = |i: usize| row.cell(i, self.encoding);
        // id date cds dollars, or the sample's: id sample-id date cds dollars.
        let (id, date, cds, dollars) = match row.len() {
            5 => (cell(0), cell(2), cell(3), cell(4)),
            4 => (cell(0), cell(1), cell(2), cell(3)),
            _ => {
                self.skip(SkipReason::UnreadableAmount, row.number, None);
                return;
            }
        };
        let Ok(parsed) = parse_moment(&date, DateOrder::Ymd) else {
            let problem = CellProblem {
                reason: SkipReason::UnreadableDate,
                field: Field::Date,
                value: date.into_owned(),
                expected: "a date as YYYYMMDD".to_owned(),
            };
            self.skip(SkipReason::UnreadableDate, row.number, Some(&problem));
            return;
        };
        let Ok(amount) = parse_money(&dollars, DecimalSeparator::Dot, 2) else {
            let problem = CellProblem {
                reason: SkipReason::UnreadableAmount,
                field: Field::Total,
                value: dollars.into_owned(),
                expected: "an amount such as 12.50".to_owned(),
            };
            self.skip(SkipReason::UnreadableAmount, row.number, Some(&problem));
            return;
        };
        // The order key `{id}-{date}-{n}`, n counting the customer's orders of that day.
        let mut key = std::mem::take(&mut self.key_buffer);
        key.clear();
        key.push_str(&id);
        key.push('-');
        key.push_str(&date);
        let n = match cdnow_day_key(&id, &date) {
            Some(day) => {
                let n = self.cdnow_days.entry(day).or_insert(0);
                *n += 1;
                *n
            }
            None => match self.synthetic_counts.get_mut(key.as_str()) {
                Some(n) => {
                    *n += 1;
                    *n
                }
                None => {
                    self.synthetic_counts.insert(key.clone(), 1);
                    1
                }
            },
        };
        key.push('-');
        key.push_str(itoa_u32(n, &mut [0; 10]));
        let offset = self.shop_offset_at_local(parsed.local);
        let name = self.pool.get("CDs");
        // Every key is new (`n` makes it so), so the draft needs no lookup, and no index:
        // nothing looks a CDNOW order up by its key.
        self.drafts.push(Draft {
            key: key.clone(),
            first_row: row.number,
            last_row: row.number,
            rows: 1,
            moment: Some((parsed.local, offset, parsed.local.date())),
            customer: CustomerIdentity {
                platform_id: Some(id.into_owned()),
                ..CustomerIdentity::default()
            },
            total: Some(amount),
            currency: Some(Currency::USD),
            lines: vec![NewOrderLine {
                sku: None,
                name,
                quantity: cds.parse().unwrap_or(1.0),
                unit_price_cents: 0,
                total_cents: amount,
            }],
            ..Draft::default()
        });
        self.key_buffer = key;
    }

    /// Applies refunds to their orders, drops unpaid orders, and builds the orders not
    /// passed on. `None` when a refund is of an order already passed on.
    fn finish(&mut self) -> Option<(Vec<NewOrder>, Vec<RefundOfOrder>)> {
        let mut for_others = Vec::new();
        for pending in std::mem::take(&mut self.pending_refunds) {
            let target = self
                .by_key
                .get(&pending.order)
                .or_else(|| pending.alt.as_ref().and_then(|a| self.by_alt.get(a)))
                .or_else(|| self.by_alt.get(&pending.order))
                .copied();
            match target {
                Some(i) => self.drafts.get_mut(i)?.refund_rows += pending.amount,
                None => {
                    if let Some(entry) = self.build(pending.draft) {
                        for_others.push(RefundOfOrder {
                            external_id: pending.order,
                            alt_id: pending.alt,
                            amount_cents: pending.amount,
                            entry,
                        });
                    }
                }
            }
        }
        // The lookups are done with: free them before the orders are built.
        self.by_key = FxHashMap::default();
        self.by_alt = FxHashMap::default();
        self.synthetic_counts = FxHashMap::default();
        self.cdnow_days = FxHashMap::default();
        self.pool = TextPool::default();
        // Built from the back, so the drafts shrink while the orders grow and the two never
        // both hold every order (the peak memory of a large import).
        let mut drafts = std::mem::take(&mut self.drafts.open);
        let mut orders = Vec::with_capacity(drafts.len());
        while let Some(draft) = drafts.pop_back() {
            if drafts.capacity() > 4096 && drafts.len() < drafts.capacity() / 2 {
                drafts.shrink_to_fit();
            }
            if let Some(order) = self.judged(draft) {
                orders.push(order);
            }
        }
        orders.reverse();
        if let Some(stream) = &mut self.stream {
            // Settled but not yet handed on: they go first.
            let mut settled = std::mem::take(&mut stream.settled);
            settled.append(&mut orders);
            orders = settled;
        }
        let mut skipped_orders = std::mem::take(&mut self.skipped_orders);
        skipped_orders.sort_unstable();
        for (row, reason) in skipped_orders {
            self.skip(reason, row, None);
        }
        orders.shrink_to_fit();
        Some((orders, for_others))
    }

    /// Whether the total column holds line amounts, by the orders built so far: at least two
    /// orders' rows differed, and at least one in five of the orders of several rows (one
    /// odd order of an export that repeats its order totals is not enough). Counts `totals`.
    fn file_has_line_amounts(&self, totals: &RowTotals) -> bool {
        if totals.rows >= 2 && !totals.differ {
            let one = &self.orders_with_one_amount;
            one.set(one.get().saturating_add(1));
        }
        let differing = self.orders_with_line_amounts;
        differing >= 2 && differing.saturating_mul(4) >= self.orders_with_one_amount.get()
    }

    fn unpaid_reason(&self, draft: &Draft) -> Option<SkipReason> {
        let status = draft.status.as_deref().unwrap_or("");
        if self.preset == PresetId::Stripe {
            let failed = status.eq_ignore_ascii_case("failed")
                || draft
                    .captured
                    .as_deref()
                    .is_some_and(|c| c.eq_ignore_ascii_case("false"));
            if failed {
                return Some(SkipReason::FailedCharge);
            }
        }
        is_unpaid_status(status).then_some(SkipReason::NotPaid)
    }

    fn build(&self, draft: Draft) -> Option<NewOrder> {
        let (local, offset, local_date) = draft.moment?;
        let placed_utc = Utc.from_utc_datetime(
            &(local - chrono::Duration::seconds(i64::from(offset.local_minus_utc()))),
        );
        if draft.customer_refund {
            let amount = (draft.total.unwrap_or(draft.line_sum)).abs() + draft.refund_rows;
            return Some(NewOrder {
                source: self.preset.name().to_owned(),
                external_id: draft.key,
                alt_external_id: None,
                customer: draft.customer,
                placed_utc,
                local_date,
                utc_offset_minutes: Some(offset.local_minus_utc() / 60),
                currency: self.stored_currency(),
                gross_cents: 0,
                discount_cents: 0,
                refunded_cents: amount,
                refunded_utc: Some(placed_utc),
                shipping_cents: 0,
                tax_cents: 0,
                coupon_code: None,
                status: crate::domain::REFUND_STATUS.to_owned(),
                channel: draft.channel,
                lines: draft.lines,
            });
        }
        let per_line = self.extras == Extras::PerLine;
        let shipping = if per_line {
            draft.shipping_sum
        } else {
            draft.shipping.unwrap_or(0)
        };
        let tax = if per_line {
            draft.tax_sum
        } else {
            draft.tax.unwrap_or(0)
        };
        // A spreadsheet of one row per line item with each line's amount: the order's
        // total is their sum (the platforms' layouts are known and say which they give).
        let line_amounts = if self.preset == PresetId::Generic {
            draft
                .row_totals
                .line_amounts_sum(self.file_has_line_amounts(&draft.row_totals))
        } else {
            None
        };
        let paid = line_amounts
            .or(draft.total)
            .unwrap_or(draft.line_sum + if per_line { shipping + tax } else { 0 });
        let discount = if per_line {
            draft.discount_sum
        } else {
            draft.discount.unwrap_or(0).abs()
        };
        let adjusted_refund = draft
            .adjusted_total
            .map_or(0, |adjusted| (paid - adjusted).max(0));
        let stated = draft
            .status
            .map(|s| s.trim().to_ascii_lowercase())
            .filter(|s| !s.is_empty());
        // A generic file's rows that give different refunds refund their own lines (a
        // repeated amount is the order's, as for totals).
        let stated_refund = match (self.preset, draft.row_refunds) {
            (PresetId::Generic, rows) if rows.rows >= 2 && rows.differ => rows.sum,
            _ => draft.refunded.unwrap_or(0).abs(),
        };
        let mut refunded = stated_refund.max(adjusted_refund) + draft.refund_rows;
        // Said refunded in full with no refunded amount given: nothing was kept.
        if refunded == 0
            && draft.refunded.is_none()
            && matches!(
                stated
                    .as_deref()
                    .map(|s| s.strip_prefix("wc-").unwrap_or(s)),
                Some(
                    "refunded"
                        | "fully refunded"
                        | "returned"
                        | "return"
                        | "chargeback"
                        | "charged back"
                        | "disputed lost"
                        | "rückerstattet"
                        | "remboursé"
                        | "reembolsado"
                )
            )
        {
            refunded = paid;
        }
        let status = match stated {
            Some(s) => s,
            _ if refunded >= paid && refunded > 0 => "refunded".to_owned(),
            _ if refunded > 0 => "partially_refunded".to_owned(),
            _ => "paid".to_owned(),
        };
        Some(NewOrder {
            source: self.preset.name().to_owned(),
            external_id: draft.key,
            alt_external_id: draft.alt,
            customer: draft.customer,
            placed_utc,
            local_date,
            utc_offset_minutes: Some(offset.local_minus_utc() / 60),
            currency: self.stored_currency(),
            gross_cents: paid + discount,
            discount_cents: discount,
            refunded_cents: refunded,
            refunded_utc: None,
            shipping_cents: shipping,
            tax_cents: tax,
            coupon_code: draft.coupon,
            status,
            channel: draft.channel,
            lines: draft.lines,
        })
    }

    fn stored_currency(&self) -> Currency {
        self.conversion.map_or(self.currency, |c| c.to)
    }
}

/// A CDNOW customer id and day (`YYYYMMDD`) as one number, when the id is 1 to 9 ASCII
/// digits and the day 8: one-to-one (the id's length keeps `007` and `7` apart), so it
/// counts a customer's orders of a day exactly, without a string per order. The length
/// takes 4 bits, the id 30 (below 10^9) and the day 27 (below 10^8): 8 bytes, so a map
/// entry is 16 (the map grows through half the memory, each step fresh pages, than with
/// room for 19 digits). Longer ids are counted by text.
fn cdnow_day_key(id: &str, day: &str) -> Option<u64> {
    if id.is_empty() || id.len() > 9 || day.len() != 8 {
        return None;
    }
    let digits = |text: &str| {
        text.bytes().try_fold(0u64, |n, b| {
            b.is_ascii_digit().then(|| n * 10 + u64::from(b - b'0'))
        })
    };
    let (id_value, day_value) = (digits(id)?, digits(day)?);
    Some((id.len() as u64) << 57 | id_value << 27 | day_value)
}

/// `n` in decimal, written into `buffer`.
fn itoa_u32(mut n: u32, buffer: &mut [u8; 10]) -> &str {
    let mut start = buffer.len();
    loop {
        start -= 1;
        buffer[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    std::str::from_utf8(&buffer[start..]).unwrap_or_default()
}

fn set_once<T>(slot: &mut Option<T>, value: Option<T>) {
    if slot.is_none() {
        *slot = value;
    }
}

fn merge_identity(into: &mut CustomerIdentity, from: CustomerIdentity) {
    set_once(&mut into.email, from.email);
    set_once(&mut into.platform_id, from.platform_id);
    set_once(&mut into.username, from.username);
    set_once(&mut into.name, from.name);
    set_once(&mut into.phone, from.phone);
    set_once(&mut into.postcode, from.postcode);
    set_once(&mut into.marketing_consent, from.marketing_consent);
}

fn parse_quantity(cell: &str) -> Option<f64> {
    if !cell.contains(|c: char| c.is_whitespace() || c == ',') {
        // Already clean (nearly every cell): no copies.
        return cell.parse::<f64>().ok().filter(|q| plausible_quantity(*q));
    }
    let cleaned: String = cell.chars().filter(|c| !c.is_whitespace()).collect();
    let cleaned = cleaned.replace(',', ".");
    cleaned
        .parse::<f64>()
        .ok()
        .filter(|q| plausible_quantity(*q))
}

/// Whether a name only says there was no known buyer ("Walk-in", "Guest", "Cash
/// customer"): such orders are guests', not one busy customer's.
fn is_placeholder_name(name: &str) -> bool {
    let name: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                ' '
            }
        })
        .collect();
    let words: Vec<&str> = name.split_whitespace().collect();
    matches!(
        words.as_slice(),
        [] | ["walk", "in"]
            | ["walkin"]
            | ["walk", "in", "customer"]
            | ["walkin", "customer"]
            | ["guest"]
            | ["guest", "customer"]
            | ["cash"]
            | ["cash", "customer"]
            | ["cash", "sale"]
            | ["customer"]
            | ["anonymous"]
            | ["unknown"]
            | ["n", "a"]
            | ["na"]
            | ["none"]
            | ["no", "name"]
    )
}

/// The e-mail address a cell holds: `mailto:` and a display name around `<…>` dropped, a
/// trailing dot too; `None` for placeholders (`n/a`, `none`, `-`) and anything without
/// an `@` between two parts, which would otherwise make every walk-in one customer.
fn email_in(cell: &str) -> Option<String> {
    let mut text = cell.trim();
    if let (Some(open), Some(close)) = (text.find('<'), text.rfind('>'))
        && open < close
    {
        text = text[open + 1..close].trim();
    }
    if let Some(prefix) = text.get(..7)
        && prefix.eq_ignore_ascii_case("mailto:")
    {
        text = text[7..].trim();
    }
    let text = text.trim_end_matches('.');
    let (local, domain) = text.split_once('@')?;
    let plausible = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !text.contains(char::is_whitespace);
    plausible.then(|| text.to_owned())
}

/// Why `day` cannot be the day of an order placed by `today` (UTC), if it cannot: after
/// tomorrow anywhere on Earth (a mistyped year such as 2204 would make every customer look
/// long gone), or before 1900.
fn implausible_order_day(day: chrono::NaiveDate, today: chrono::NaiveDate) -> Option<String> {
    use chrono::Datelike as _;
    if day > today + chrono::Days::new(1) {
        Some(format!(
            "a date no later than today ({today}); this one is in the future"
        ))
    } else if day.year() < 1900 {
        Some("a date after 1900".to_owned())
    } else {
        None
    }
}

/// A quantity an order line can have: finite and at most a billion either way.
fn plausible_quantity(quantity: f64) -> bool {
    quantity.is_finite() && quantity.abs() <= 1e9
}

/// The line item of a row, when it names a product, SKU or quantity.
fn line_of(
    view: &RowView<'_>,
    product: &str,
    quantity: Option<f64>,
    unit_price: Option<i64>,
    line_total: Option<i64>,
    pool: &mut TextPool,
) -> Option<NewOrderLine> {
    let sku = view.get(Field::Sku);
    if product.is_empty() && sku.is_empty() && quantity.is_none() {
        return None;
    }
    let quantity = quantity.unwrap_or(1.0);
    let unit = unit_price.unwrap_or_else(|| match line_total {
        Some(t) if quantity != 0.0 => (t as f64 / quantity).round() as i64,
        _ => 0,
    });
    Some(NewOrderLine {
        sku: (!sku.is_empty()).then(|| pool.get(&sku)),
        name: pool.get(product),
        quantity,
        unit_price_cents: unit,
        total_cents: line_total.unwrap_or_else(|| price_times_quantity(unit, quantity)),
    })
}

/// Columns named `line_item_1`, `line_item_2`, … (WebToffee packs a whole line in each).
fn packed_line_columns(header: &Header) -> Vec<usize> {
    header
        .names
        .iter()
        .enumerate()
        .filter(|(_, n)| {
            let n = super::fields::normalise_header(n);
            n.strip_prefix("line item ")
                .is_some_and(|k| !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()))
        })
        .map(|(i, _)| i)
        .collect()
}

/// `name:Jute Twine|product_id:64|sku:TWINE|quantity:1|total:4.50|…` as a line item.
fn packed_line(
    cell: &str,
    decimal: DecimalSeparator,
    minor_digits: u32,
    pool: &mut TextPool,
) -> Option<NewOrderLine> {
    if cell.trim().is_empty() {
        return None;
    }
    let mut name = String::new();
    let mut sku = None;
    let mut quantity = 1.0;
    let mut total = 0;
    for part in cell.split('|') {
        let Some((key, value)) = part.split_once(':') else {
            continue;
        };
        match key.trim() {
            "name" => name = value.trim().to_owned(),
            "sku" if !value.trim().is_empty() => sku = Some(pool.get(value.trim())),
            "quantity" | "qty" => quantity = parse_quantity(value).unwrap_or(1.0),
            "total" => total = parse_money(value, decimal, minor_digits).unwrap_or(0),
            _ => {}
        }
    }
    Some(NewOrderLine {
        sku,
        name: pool.get(&name),
        quantity,
        unit_price_cents: if quantity == 0.0 {
            0
        } else {
            (total as f64 / quantity).round() as i64
        },
        total_cents: total,
    })
}

/// `text.to_lowercase()`, borrowed when that changes nothing, else written into `scratch`
/// when ASCII (no allocation).
fn lower_in<'t>(text: &'t str, scratch: &'t mut String) -> Cow<'t, str> {
    if !text.is_ascii() {
        return Cow::Owned(text.to_lowercase());
    }
    if !text.bytes().any(|b| b.is_ascii_uppercase()) {
        return Cow::Borrowed(text);
    }
    scratch.clear();
    scratch.push_str(text);
    scratch.make_ascii_lowercase();
    Cow::Borrowed(scratch.as_str())
}

fn sha256_of(path: &Path) -> Result<String, ImportError> {
    use sha2::Digest as _;
    let mut file = std::fs::File::open(path).map_err(|e| ImportError::Io {
        file: display_name(path),
        detail: e.to_string(),
    })?;
    let mut hasher = sha2::Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buffer).map_err(|e| ImportError::Io {
            file: display_name(path),
            detail: e.to_string(),
        })?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_day_in_the_future_or_before_1900_is_refused() {
        let day = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
        let today = day(2026, 12, 7);
        assert_eq!(implausible_order_day(day(2026, 12, 7), today), None);
        assert_eq!(
            implausible_order_day(day(2026, 12, 8), today),
            None,
            "tomorrow somewhere"
        );
        assert!(
            implausible_order_day(day(2204, 5, 2), today).is_some_and(|e| e.contains("future"))
        );
        assert!(implausible_order_day(day(1, 1, 1), today).is_some_and(|e| e.contains("1900")));
        assert_eq!(implausible_order_day(day(1997, 1, 1), today), None);
    }

    #[test]
    fn email_in_reads_wrapped_addresses_and_never_slices_inside_a_letter() {
        assert_eq!(
            email_in("Ann Lee <ANN@example.org>").as_deref(),
            Some("ANN@example.org")
        );
        assert_eq!(
            email_in("mailto:ann@example.org.").as_deref(),
            Some("ann@example.org")
        );
        assert_eq!(
            email_in("tom.beãker@example.org").as_deref(),
            Some("tom.beãker@example.org")
        );
        assert_eq!(email_in("ãããã@x"), None);
        assert_eq!(email_in("n/a"), None);
        assert_eq!(email_in("ann@example"), None);
    }

    #[test]
    fn a_cdnow_day_key_tells_every_id_and_day_apart() {
        let key = |id, day| cdnow_day_key(id, day);
        assert_eq!(key("00001", "19970101"), key("00001", "19970101"));
        assert_ne!(key("00001", "19970101"), key("00001", "19970102"));
        assert_ne!(
            key("00001", "19970101"),
            key("0001", "19970101"),
            "leading zeros"
        );
        assert_ne!(key("1", "19970101"), key("01", "19970101"));
        assert_ne!(key("12", "19970101"), key("1", "21997010"));
        assert_ne!(key("999999999", "99991231"), key("99999999", "99991231"));
        assert_ne!(key("999999999", "99991231"), key("999999999", "99991230"));
        assert_ne!(key("100000000", "00000000"), key("099999999", "99999999"));
        assert!(key("999999999", "99991231").is_some(), "9 digits fit");
        assert_eq!(key("1000000000", "19970101"), None, "10 do not");
        assert_eq!(key("A0001", "19970101"), None);
        assert_eq!(key("00001", "1997-01-01"), None);
        assert_eq!(key("", "19970101"), None);
    }

    #[test]
    fn cdnow_orders_of_one_customer_and_day_are_numbered_in_file_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cdnow.txt");
        // Ids of up to 9 digits are counted by number, others (7-1, 10 digits) by text: all
        // the same way.
        let rows = [
            " 00001 19970101  1   11.77",
            " 00002 19970112  1   12.00",
            " 00001 19970101  2   20.00",
            "   7-1 19970103  1    5.00",
            " 00002 19970112  1    7.00",
            "   7-1 19970103  1    6.00",
            " 00001 19970101  1    3.00",
            " 1234567890 19970104  1    4.00",
            " 1234567890 19970104  1    4.50",
        ];
        std::fs::write(&path, rows.join("\n") + "\n").unwrap();
        let options = ImportOptions {
            preset: Some(PresetId::Cdnow),
            ..ImportOptions::default()
        };
        let staged = stage_file(&path, &options, &mut |_, _| true).unwrap();
        let keys: Vec<&str> = staged
            .orders
            .iter()
            .map(|o| o.external_id.as_str())
            .collect();
        assert_eq!(
            keys,
            [
                "00001-19970101-1",
                "00002-19970112-1",
                "00001-19970101-2",
                "7-1-19970103-1",
                "00002-19970112-2",
                "7-1-19970103-2",
                "00001-19970101-3",
                "1234567890-19970104-1",
                "1234567890-19970104-2",
            ]
        );
    }
}
