//! The customers table behind the Customers view, built for 500,000 rows.
//!
//! Every customer's columns are read once, in the background, after each valuation
//! ([`CustomerTable::build`]). Building also prepares what makes each interaction cheap:
//!
//! * one lower-case search text for all rows (name, e-mail, phone, phone digits, customer
//!   key, number), searched with SIMD substring search (`memchr::memmem`) in one pass, and
//!   only within the previous matches while the owner keeps typing;
//! * one sorted order per column, so sorting is a walk through a ready order that keeps the
//!   rows the filter lets through — never a sort in a frame.
//!
//! Nothing here runs SQL or touches egui; the view reads [`CustomerBrowser::visible`].

use std::sync::Arc;

use memchr::memmem;

use crate::clv::insights::AT_RISK_P_ALIVE;
use crate::clv::segments::Segment;
use crate::domain::customer::CustomerValueRow;

/// A column the table can be sorted by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SortColumn {
    /// Display name (case-insensitive).
    Name,
    /// E-mail address (case-insensitive).
    Email,
    /// Number of orders.
    Orders,
    /// Day of the first order.
    FirstOrder,
    /// Day of the latest order.
    LastOrder,
    /// Net revenue so far.
    Revenue,
    /// Predicted lifetime value.
    Clv,
    /// Chance the customer is still active.
    PAlive,
    /// RFM segment (in the order of [`Segment::ALL`]).
    Segment,
    /// Loyalty points to spend.
    Points,
    /// Loyalty tier (by name).
    Tier,
}

impl SortColumn {
    /// Every column, in the order the table shows them.
    pub const ALL: [SortColumn; 11] = [
        SortColumn::Name,
        SortColumn::Email,
        SortColumn::Orders,
        SortColumn::FirstOrder,
        SortColumn::LastOrder,
        SortColumn::Revenue,
        SortColumn::Clv,
        SortColumn::PAlive,
        SortColumn::Segment,
        SortColumn::Points,
        SortColumn::Tier,
    ];

    /// The column heading.
    pub fn label(self) -> &'static str {
        match self {
            SortColumn::Name => "Name",
            SortColumn::Email => "E-mail",
            SortColumn::Orders => "Orders",
            SortColumn::FirstOrder => "First order",
            SortColumn::LastOrder => "Last order",
            SortColumn::Revenue => "Spent so far",
            SortColumn::Clv => "Expected value",
            SortColumn::PAlive => "Still active",
            SortColumn::Segment => "Segment",
            SortColumn::Points => "Points",
            SortColumn::Tier => "Tier",
        }
    }

    /// Whether a click sorts this column largest first (numbers and dates: the biggest,
    /// latest, most valuable first is what an owner looks for).
    pub fn starts_descending(self) -> bool {
        !matches!(
            self,
            SortColumn::Name | SortColumn::Email | SortColumn::Segment | SortColumn::Tier
        )
    }

    fn index(self) -> usize {
        SortColumn::ALL.iter().position(|c| *c == self).unwrap_or(0)
    }
}

/// Customers and total value in one segment.
#[derive(Clone, Debug, PartialEq)]
pub struct SegmentTotal {
    /// The segment.
    pub segment: Segment,
    /// How many customers are in it.
    pub customers: u64,
    /// Their spending so far (minor units).
    pub revenue_cents: i64,
    /// Their predicted lifetime value together (minor units).
    pub clv_cents: f64,
}

/// Every customer's columns and the indexes that make searching and sorting cheap.
#[derive(Debug)]
pub struct CustomerTable {
    /// The rows, in customer id order.
    pub rows: Vec<CustomerValueRow>,
    /// Each row's segment (parsed once).
    pub segments: Vec<Option<Segment>>,
    /// Whether each row is a valuable customer slipping away: among the best fifth by
    /// spending, with a chance still active under 50% (the dashboard's rule).
    pub at_risk: Vec<bool>,
    /// Customers and value per segment, in [`Segment::ALL`] order, empty segments left out.
    pub segment_totals: Vec<SegmentTotal>,
    /// What the table was read from (the valuation's inputs key and run); a different key
    /// means it is stale.
    pub source_key: String,
    /// All rows' search text, lower case, each row ending in `\n`.
    haystack: Vec<u8>,
    /// Where each row's text starts in `haystack` (one more entry than rows).
    starts: Vec<usize>,
    /// Row positions sorted ascending by each column of [`SortColumn::ALL`], rows without a
    /// value at the end; ties in id order.
    sorted: Vec<Vec<u32>>,
    /// How many rows at the end of each `sorted` order have no value in that column.
    missing: Vec<usize>,
}

impl CustomerTable {
    /// Builds the table from the store's rows (in id order) and the key they were read for.
    /// `at_risk_cut` is the valuation's spending threshold for the best fifth, in major units
    /// per `minor_per_major` (so the table flags exactly the dashboard's customers); without
    /// it the threshold is taken from the rows. Costs a few sorts of all rows; runs in the
    /// background.
    pub fn build(
        rows: Vec<CustomerValueRow>,
        source_key: String,
        at_risk_cut: Option<(f64, f64)>,
    ) -> CustomerTable {
        let segments: Vec<Option<Segment>> = rows
            .iter()
            .map(|r| {
                r.score
                    .as_ref()
                    .and_then(|s| s.segment.as_deref())
                    .and_then(Segment::from_label)
            })
            .collect();
        let at_risk = at_risk_flags(&rows, at_risk_cut);
        let segment_totals = segment_totals(&rows, &segments);
        let (haystack, starts) = search_text(&rows);
        let mut table = CustomerTable {
            rows,
            segments,
            at_risk,
            segment_totals,
            source_key,
            haystack,
            starts,
            sorted: Vec::new(),
            missing: Vec::new(),
        };
        let orders: Vec<(Vec<u32>, usize)> = std::thread::scope(|scope| {
            let table = &table;
            let handles: Vec<_> = SortColumn::ALL
                .iter()
                .map(|column| scope.spawn(move || table.sorted_by(*column)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_default())
                .collect()
        });
        for (order, missing) in orders {
            table.sorted.push(order);
            table.missing.push(missing);
        }
        table
    }

    /// Number of customers.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are no customers.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Row positions ascending by `column`, and how many at the end have no value.
    fn sorted_by(&self, column: SortColumn) -> (Vec<u32>, usize) {
        let mut order: Vec<u32> = (0..self.rows.len() as u32).collect();
        let rows = &self.rows;
        let number = |i: u32| -> Option<f64> {
            let row = &rows[i as usize];
            let score = row.score.as_ref();
            match column {
                SortColumn::Orders => Some(row.orders as f64),
                SortColumn::Revenue => Some(row.revenue_cents as f64),
                SortColumn::Points => row.points.map(|p| p as f64),
                SortColumn::Clv => score.map(|s| s.predicted_clv_cents),
                SortColumn::PAlive => score.and_then(|s| s.p_alive),
                SortColumn::Segment => self.segments[i as usize]
                    .and_then(|s| Segment::ALL.iter().position(|x| *x == s))
                    .map(|p| p as f64),
                _ => None,
            }
            .filter(|v| v.is_finite())
        };
        match column {
            SortColumn::Name | SortColumn::Email | SortColumn::Tier => {
                let keys: Vec<String> = rows
                    .iter()
                    .map(|r| {
                        let text = match column {
                            SortColumn::Name => r.name.as_str(),
                            SortColumn::Email => r.email.as_deref().unwrap_or(""),
                            _ => r.tier.as_deref().unwrap_or(""),
                        };
                        text.trim().to_lowercase()
                    })
                    .collect();
                order.sort_by(|a, b| {
                    let (ka, kb) = (&keys[*a as usize], &keys[*b as usize]);
                    ka.is_empty()
                        .cmp(&kb.is_empty())
                        .then_with(|| ka.cmp(kb))
                        .then(a.cmp(b))
                });
                let missing = keys.iter().filter(|k| k.is_empty()).count();
                (order, missing)
            }
            SortColumn::FirstOrder | SortColumn::LastOrder => {
                let day = |i: u32| {
                    let row = &rows[i as usize];
                    if column == SortColumn::FirstOrder {
                        row.first_order.as_deref()
                    } else {
                        row.last_order.as_deref()
                    }
                };
                order.sort_by(|a, b| match (day(*a), day(*b)) {
                    (Some(x), Some(y)) => x.cmp(y).then(a.cmp(b)),
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (None, None) => a.cmp(b),
                });
                let missing = order.iter().filter(|i| day(**i).is_none()).count();
                (order, missing)
            }
            _ => {
                let values: Vec<Option<f64>> = (0..rows.len() as u32).map(number).collect();
                order.sort_by(|a, b| match (values[*a as usize], values[*b as usize]) {
                    (Some(x), Some(y)) => x.total_cmp(&y).then(a.cmp(b)),
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (None, None) => a.cmp(b),
                });
                let missing = values.iter().filter(|v| v.is_none()).count();
                (order, missing)
            }
        }
    }

    /// The rows (ascending positions) whose search text contains `needle` (lower case),
    /// looking only at `within` when given. Both halves of the work run on their own core.
    fn rows_containing(&self, needle: &[u8], within: Option<&[u32]>) -> Vec<u32> {
        let finder = memmem::Finder::new(needle);
        let finder = &finder;
        match within {
            Some(rows) => {
                let (first, second) = rows.split_at(rows.len() / 2);
                let keep = move |part: &[u32]| -> Vec<u32> {
                    part.iter()
                        .copied()
                        .filter(|row| finder.find(self.row_text(*row as usize)).is_some())
                        .collect()
                };
                two_halves(|| keep(first), || keep(second))
            }
            None => {
                let middle = self.rows.len() / 2;
                two_halves(
                    || self.scan(finder, 0..middle),
                    || self.scan(finder, middle..self.rows.len()),
                )
            }
        }
    }

    /// Rows in `rows` whose text holds a match, by searching their stretch of the
    /// haystack in one pass and jumping to the next row after each hit.
    fn scan(&self, finder: &memmem::Finder<'_>, rows: std::ops::Range<usize>) -> Vec<u32> {
        let mut hits = Vec::new();
        let (mut from, end) = (self.starts[rows.start], self.starts[rows.end]);
        let mut row = rows.start;
        while from < end {
            let Some(at) = finder.find(&self.haystack[from..end]) else {
                break;
            };
            let at = from + at;
            // The row whose text holds the hit (rows never contain `\n`, so a hit never
            // spans two rows): hits only move forward, so walking on from the last row
            // costs one step per row in total.
            while self.starts[row + 1] <= at {
                row += 1;
            }
            hits.push(row as u32);
            row += 1;
            from = self.starts[row];
        }
        hits
    }

    fn row_text(&self, row: usize) -> &[u8] {
        &self.haystack[self.starts[row]..self.starts[row + 1]]
    }
}

/// Puts each customer's loyalty points and tier into `rows` when the shop has a loyalty
/// program (the rules' balances with the program active, the ledger's sums otherwise).
pub fn add_loyalty(
    rows: &mut [CustomerValueRow],
    store: &crate::store::Store,
) -> Result<(), crate::store::StoreError> {
    let program = store.loyalty_program()?;
    if !program.active && store.ledger_entry_count()? == 0 {
        return Ok(());
    }
    let today = chrono::Local::now().date_naive();
    let balances: rustc_hash::FxHashMap<i64, (i64, Option<String>)> = store
        .loyalty_balances(today)?
        .into_iter()
        .map(|b| (b.customer.0, (b.available_points, b.tier)))
        .collect();
    for row in rows.iter_mut() {
        let (points, tier) = balances.get(&row.id).cloned().unwrap_or((0, None));
        row.points = Some(points);
        row.tier = tier;
    }
    Ok(())
}

/// What the owner asked the table to show.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CustomerQuery {
    /// Search text: every word must appear in the name, e-mail, phone, customer key or
    /// number (case-insensitive; phone numbers match on their digits).
    pub text: String,
    /// Only this segment.
    pub segment: Option<Segment>,
    /// Only valuable customers slipping away.
    pub at_risk_only: bool,
    /// Sort column (`None`: by customer number).
    pub sort: Option<SortColumn>,
    /// Largest (or last in the alphabet) first.
    pub descending: bool,
}

impl CustomerQuery {
    /// The query sorted by `column`: a second click on the sorted column turns the order.
    pub fn sorted_by(&self, column: SortColumn) -> CustomerQuery {
        let descending = if self.sort == Some(column) {
            !self.descending
        } else {
            column.starts_descending()
        };
        CustomerQuery {
            sort: Some(column),
            descending,
            ..self.clone()
        }
    }

    /// Whether anything narrows the rows.
    pub fn filters(&self) -> bool {
        !self.text.trim().is_empty() || self.segment.is_some() || self.at_risk_only
    }
}

/// The table as the view shows it: the loaded table, the query, and the rows it selects.
/// It starts with the most valuable customers first.
#[derive(Debug)]
pub struct CustomerBrowser {
    /// The loaded table, once read.
    pub table: Option<Arc<CustomerTable>>,
    /// The query the visible rows answer.
    pub query: CustomerQuery,
    /// Row positions to show, in order.
    pub visible: Vec<u32>,
    /// The customer the owner clicked, whose profile is open.
    pub selected: Option<i64>,
    /// The last search done, to narrow while the owner types.
    searched: Option<SearchResult>,
    /// A search running on its own thread (large tables), and where its answer arrives.
    pending: Option<std::sync::mpsc::Receiver<SearchResult>>,
}

impl Default for CustomerBrowser {
    fn default() -> CustomerBrowser {
        CustomerBrowser {
            table: None,
            query: CustomerQuery {
                sort: Some(SortColumn::Clv),
                descending: true,
                ..CustomerQuery::default()
            },
            visible: Vec::new(),
            selected: None,
            searched: None,
            pending: None,
        }
    }
}

/// Tables with more rows than this are searched on a thread of their own, so typing never
/// holds up a frame; smaller ones are searched at once.
pub const BACKGROUND_SEARCH_ROWS: usize = 50_000;

/// The rows matching one search text.
#[derive(Debug)]
struct SearchResult {
    /// The search text, trimmed and lower case.
    text: String,
    /// Matching row positions, ascending.
    rows: Vec<u32>,
    /// The same as a flag per row.
    mask: Vec<bool>,
}

impl SearchResult {
    fn new(table: &CustomerTable, text: String, within: Option<&[u32]>) -> SearchResult {
        let rows = search_rows(table, &text, within);
        let mut mask = vec![false; table.len()];
        for row in &rows {
            mask[*row as usize] = true;
        }
        SearchResult { text, rows, mask }
    }
}

impl CustomerBrowser {
    /// Takes a freshly loaded table and shows it with the current query.
    pub fn set_table(&mut self, table: Arc<CustomerTable>) {
        self.table = Some(table);
        self.searched = None;
        self.pending = None;
        self.search_and_refresh();
    }

    /// Answers `query`: filters and orders the rows (a new search text on a large table
    /// is answered by [`Self::poll`] once its thread is done).
    pub fn set_query(&mut self, query: CustomerQuery) {
        self.query = query;
        self.search_and_refresh();
    }

    /// Whether a search is still running.
    pub fn is_searching(&self) -> bool {
        self.pending.is_some()
    }

    /// Takes the answer of a finished search. Called once per frame.
    pub fn poll(&mut self) {
        let Some(receiver) = &self.pending else {
            return;
        };
        match receiver.try_recv() {
            Ok(result) => {
                self.pending = None;
                if result.text == search_text_of(&self.query) {
                    self.searched = Some(result);
                    self.refresh();
                }
            }
            Err(std::sync::mpsc::TryRecvError::Empty) => {}
            Err(std::sync::mpsc::TryRecvError::Disconnected) => self.pending = None,
        }
    }

    /// Starts (or does) the search the query's text needs, then refreshes the rows.
    fn search_and_refresh(&mut self) {
        let Some(table) = self.table.clone() else {
            self.visible.clear();
            return;
        };
        let text = search_text_of(&self.query);
        let searched = self.searched.as_ref().is_some_and(|s| s.text == text);
        if text.is_empty() || searched {
            self.pending = None;
            self.refresh();
            return;
        }
        // While the owner keeps typing, only the previous matches can still match.
        let within: Option<Vec<u32>> = self
            .searched
            .as_ref()
            .filter(|s| !s.text.is_empty() && text.starts_with(s.text.as_str()))
            .map(|s| s.rows.clone());
        if table.len() <= BACKGROUND_SEARCH_ROWS {
            self.searched = Some(SearchResult::new(&table, text, within.as_deref()));
            self.refresh();
            return;
        }
        let (answer, receiver) = std::sync::mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("clv-desk-search".to_owned())
            .spawn(move || {
                // The receiver is gone when a newer search replaced this one.
                let _ = answer.send(SearchResult::new(&table, text, within.as_deref()));
            });
        self.pending = spawned.is_ok().then_some(receiver);
    }

    /// Recomputes [`Self::visible`] for the current table, query and search result.
    fn refresh(&mut self) {
        let Some(table) = self.table.clone() else {
            self.visible.clear();
            return;
        };
        let text = search_text_of(&self.query);
        let matches: Option<&[bool]> = if text.is_empty() {
            None
        } else {
            match &self.searched {
                Some(result) if result.text == text => Some(result.mask.as_slice()),
                // The search is still running: the rows stay as they are until it answers.
                _ => return,
            }
        };
        let keep = |i: usize| -> bool {
            matches.is_none_or(|m| m[i])
                && self
                    .query
                    .segment
                    .is_none_or(|s| table.segments[i] == Some(s))
                && (!self.query.at_risk_only || table.at_risk[i])
        };
        self.visible = match self.query.sort {
            None => (0..table.len() as u32)
                .filter(|i| keep(*i as usize))
                .collect(),
            Some(column) => {
                let order = &table.sorted[column.index()];
                let with_value = &order[..order.len() - table.missing[column.index()]];
                let without = &order[with_value.len()..];
                let keep_u32 = |i: &&u32| keep(**i as usize);
                if self.query.descending {
                    with_value
                        .iter()
                        .rev()
                        .filter(keep_u32)
                        .chain(without.iter().filter(keep_u32))
                        .copied()
                        .collect()
                } else {
                    with_value
                        .iter()
                        .chain(without.iter())
                        .filter(keep_u32)
                        .copied()
                        .collect()
                }
            }
        };
    }

    /// The rows on screen, as store rows, in order (for the CSV export).
    pub fn visible_rows(&self) -> impl Iterator<Item = &CustomerValueRow> {
        let rows = self.table.as_ref().map_or(&[][..], |t| t.rows.as_slice());
        self.visible.iter().filter_map(|i| rows.get(*i as usize))
    }
}

/// The query's search text as searched: trimmed and lower case.
fn search_text_of(query: &CustomerQuery) -> String {
    query.text.trim().to_lowercase()
}

/// Rows (ascending positions) matching every word of `text` (lower case), looking only at
/// `within` when given.
fn search_rows(table: &CustomerTable, text: &str, within: Option<&[u32]>) -> Vec<u32> {
    let mut found: Option<Vec<u32>> = within.map(<[u32]>::to_vec);
    for word in text.split_whitespace() {
        let literal = table.rows_containing(word.as_bytes(), found.as_deref());
        let digits: String = word.chars().filter(char::is_ascii_digit).collect();
        let phone_like = digits.len() >= 3
            && digits.len() != word.len()
            && word
                .chars()
                .all(|c| c.is_ascii_digit() || "+-()./".contains(c));
        found = Some(if phone_like {
            let by_digits = table.rows_containing(digits.as_bytes(), found.as_deref());
            union_sorted(&literal, &by_digits)
        } else {
            literal
        });
    }
    found.unwrap_or_else(|| (0..table.len() as u32).collect())
}

/// The union of two ascending lists, ascending.
fn union_sorted(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let next = match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x == y => {
                i += 1;
                j += 1;
                *x
            }
            (Some(x), Some(y)) if x < y => {
                i += 1;
                *x
            }
            (Some(x), None) => {
                i += 1;
                *x
            }
            (_, Some(y)) => {
                j += 1;
                *y
            }
            (None, None) => break,
        };
        out.push(next);
    }
    out
}

/// `first` on this thread and `second` on another, their results joined in order.
fn two_halves(
    first: impl FnOnce() -> Vec<u32> + Send,
    second: impl FnOnce() -> Vec<u32> + Send,
) -> Vec<u32> {
    std::thread::scope(|scope| {
        let other = scope.spawn(second);
        let mut out = first();
        // A panic in the search would be a bug; the rows it looked at are then left out.
        if let Ok(rest) = other.join() {
            out.extend(rest);
        }
        out
    })
}

/// The search text of every row (lower case; fields separated by a tab, each row ending
/// in `\n`) and where each row starts.
fn search_text(rows: &[CustomerValueRow]) -> (Vec<u8>, Vec<usize>) {
    let mut haystack = Vec::with_capacity(rows.len() * 64);
    let mut starts = Vec::with_capacity(rows.len() + 1);
    let push = |haystack: &mut Vec<u8>, text: &str| {
        for c in text.chars().flat_map(char::to_lowercase) {
            let c = if c == '\n' || c == '\t' { ' ' } else { c };
            let mut buffer = [0u8; 4];
            haystack.extend_from_slice(c.encode_utf8(&mut buffer).as_bytes());
        }
        haystack.push(b'\t');
    };
    for row in rows {
        starts.push(haystack.len());
        push(&mut haystack, &row.name);
        push(&mut haystack, row.email.as_deref().unwrap_or(""));
        if let Some(phone) = &row.phone {
            push(&mut haystack, phone);
            let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
            push(&mut haystack, &digits);
        }
        if !row
            .email
            .as_deref()
            .is_some_and(|e| e.eq_ignore_ascii_case(&row.customer_key))
        {
            push(&mut haystack, &row.customer_key);
        }
        push(&mut haystack, &format!("#{}", row.id));
        haystack.push(b'\n');
    }
    starts.push(haystack.len());
    (haystack, starts)
}

/// The dashboard's "valuable customers slipping away" per row: spending among the best
/// fifth of the customers who bought (ties included) and a chance still active under
/// [`AT_RISK_P_ALIVE`]. `cut` is the valuation's threshold (major units, minor units per
/// major); without it the threshold is the rows' own best fifth.
fn at_risk_flags(rows: &[CustomerValueRow], cut: Option<(f64, f64)>) -> Vec<bool> {
    let (cut_major, minor) = match cut {
        Some(cut) => cut,
        None => {
            let mut spent: Vec<i64> = rows
                .iter()
                .filter(|r| r.orders > 0)
                .map(|r| r.revenue_cents)
                .collect();
            if spent.is_empty() {
                return vec![false; rows.len()];
            }
            spent.sort_unstable_by(|a, b| b.cmp(a));
            let at = ((spent.len() as f64 * 0.2).ceil() as usize).clamp(1, spent.len()) - 1;
            (spent[at] as f64, 1.0)
        }
    };
    rows.iter()
        .map(|r| {
            r.orders > 0
                && r.revenue_cents as f64 / minor >= cut_major
                && r.score
                    .as_ref()
                    .and_then(|s| s.p_alive)
                    .is_some_and(|p| p.is_finite() && p < AT_RISK_P_ALIVE)
        })
        .collect()
}

fn segment_totals(rows: &[CustomerValueRow], segments: &[Option<Segment>]) -> Vec<SegmentTotal> {
    let mut totals: Vec<SegmentTotal> = Segment::ALL
        .iter()
        .map(|s| SegmentTotal {
            segment: *s,
            customers: 0,
            revenue_cents: 0,
            clv_cents: 0.0,
        })
        .collect();
    for (row, segment) in rows.iter().zip(segments) {
        let Some(at) = segment.and_then(|s| Segment::ALL.iter().position(|x| *x == s)) else {
            continue;
        };
        let total = &mut totals[at];
        total.customers += 1;
        total.revenue_cents += row.revenue_cents;
        total.clv_cents += row
            .score
            .as_ref()
            .map_or(0.0, |s| s.predicted_clv_cents)
            .max(0.0);
    }
    totals.retain(|t| t.customers > 0);
    totals
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::customer::ScoreColumns;

    fn row(id: i64, name: &str, email: &str, phone: &str, revenue: i64) -> CustomerValueRow {
        CustomerValueRow {
            id,
            customer_key: email.to_owned(),
            name: name.to_owned(),
            email: (!email.is_empty()).then(|| email.to_owned()),
            phone: (!phone.is_empty()).then(|| phone.to_owned()),
            orders: 1,
            first_order: Some(format!("2025-01-{:02}", id)),
            last_order: Some(format!("2025-02-{:02}", id)),
            revenue_cents: revenue,
            score: None,
            points: None,
            tier: None,
        }
    }

    fn scored(mut r: CustomerValueRow, clv: f64, p_alive: f64, segment: &str) -> CustomerValueRow {
        r.score = Some(ScoreColumns {
            frequency: 1,
            recency: 1.0,
            t: 2.0,
            monetary_value_cents: 100.0,
            p_alive: Some(p_alive),
            expected_purchases: Some(1.0),
            predicted_clv_cents: clv,
            clv_low_cents: None,
            clv_high_cents: None,
            segment: Some(segment.to_owned()),
        });
        r
    }

    fn sample() -> Arc<CustomerTable> {
        Arc::new(CustomerTable::build(
            vec![
                scored(
                    row(
                        1,
                        "Jane Doe",
                        "jane@example.com",
                        "+1 (555) 123-4567",
                        90_00,
                    ),
                    500.0,
                    0.2,
                    "At risk",
                ),
                scored(
                    row(2, "Ben Stone", "ben@example.org", "", 20_00),
                    900.0,
                    0.9,
                    "Champions",
                ),
                scored(
                    row(3, "Ana Díaz", "", "555 987 0000", 10_00),
                    100.0,
                    0.9,
                    "Champions",
                ),
                row(4, "", "zed@example.com", "", 5_00),
                row(5, "jane smith", "js@example.com", "", 1_00),
            ],
            "key".to_owned(),
            None,
        ))
    }

    fn names(browser: &CustomerBrowser) -> Vec<i64> {
        browser.visible_rows().map(|r| r.id).collect()
    }

    /// A browser on the sample, in customer number order.
    fn by_number() -> CustomerBrowser {
        let mut b = CustomerBrowser::default();
        b.set_table(sample());
        assert_eq!(
            names(&b),
            [2, 1, 3, 4, 5],
            "most valuable first at the start"
        );
        b.set_query(CustomerQuery::default());
        b
    }

    #[test]
    fn search_matches_every_word_in_any_field_and_phone_digits() {
        let mut b = by_number();
        assert_eq!(names(&b), [1, 2, 3, 4, 5]);
        let search = |b: &mut CustomerBrowser, text: &str| {
            b.set_query(CustomerQuery {
                text: text.to_owned(),
                ..b.query.clone()
            });
            names(b)
        };
        assert_eq!(search(&mut b, "JANE"), [1, 5]);
        assert_eq!(search(&mut b, "jane d"), [1]);
        assert_eq!(search(&mut b, "jane"), [1, 5]); // shorter again: all matches come back
        assert_eq!(search(&mut b, "example.org"), [2]);
        assert_eq!(search(&mut b, "555-123"), [1]); // digits of "+1 (555) 123-4567"
        assert_eq!(search(&mut b, "555 987"), [3]);
        assert_eq!(search(&mut b, "díaz"), [3]);
        assert_eq!(search(&mut b, "#4"), [4]);
        assert_eq!(search(&mut b, "nobody"), Vec::<i64>::new());
        assert_eq!(search(&mut b, "  "), [1, 2, 3, 4, 5]);
    }

    #[test]
    fn sorting_walks_ready_orders_with_blanks_last_both_ways() {
        let mut b = by_number();
        let revenue = b.query.sorted_by(SortColumn::Revenue);
        assert!(revenue.descending, "money starts largest first");
        b.set_query(revenue);
        assert_eq!(names(&b), [1, 2, 3, 4, 5]);
        b.set_query(b.query.sorted_by(SortColumn::Revenue));
        assert_eq!(names(&b), [5, 4, 3, 2, 1]);
        b.set_query(b.query.sorted_by(SortColumn::Clv));
        assert_eq!(names(&b), [2, 1, 3, 4, 5], "unvalued customers last");
        b.set_query(b.query.sorted_by(SortColumn::Clv));
        assert_eq!(names(&b), [3, 1, 2, 4, 5], "and still last when reversed");
        b.set_query(b.query.sorted_by(SortColumn::Name));
        assert!(!b.query.descending);
        assert_eq!(names(&b), [3, 2, 1, 5, 4], "case-insensitive, no name last");
    }

    #[test]
    fn segment_and_at_risk_filters_combine_with_search_and_sort() {
        let mut b = by_number();
        b.set_query(CustomerQuery {
            segment: Some(Segment::Champions),
            ..CustomerQuery::default()
        });
        assert_eq!(names(&b), [2, 3]);
        b.set_query(b.query.sorted_by(SortColumn::Clv));
        assert_eq!(names(&b), [2, 3]);
        b.set_query(CustomerQuery {
            text: "ana".to_owned(),
            ..b.query.clone()
        });
        assert_eq!(names(&b), [3]);
        // Best fifth of five buyers by spending is Jane alone; her chance is 20%.
        b.set_query(CustomerQuery {
            at_risk_only: true,
            ..CustomerQuery::default()
        });
        assert_eq!(names(&b), [1]);
    }

    #[test]
    fn a_large_table_is_searched_on_its_own_thread_with_the_same_answer() {
        let rows: Vec<CustomerValueRow> = (0..BACKGROUND_SEARCH_ROWS as i64 + 5)
            .map(|id| {
                let name = if id % 7 == 0 { "Ann Lee" } else { "Bo Park" };
                row(id, name, &format!("c{id}@example.com"), "", id)
            })
            .collect();
        let table = Arc::new(CustomerTable::build(rows, String::new(), None));
        let expected = search_rows(&table, "ann", None);
        assert_eq!(expected.len(), table.len().div_ceil(7));
        let mut b = CustomerBrowser::default();
        b.set_table(Arc::clone(&table));
        b.set_query(CustomerQuery {
            text: "Ann".to_owned(),
            ..CustomerQuery::default()
        });
        assert!(b.is_searching());
        assert_eq!(b.visible.len(), table.len(), "rows stay until the answer");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while b.is_searching() {
            assert!(std::time::Instant::now() < deadline);
            std::thread::sleep(std::time::Duration::from_millis(1));
            b.poll();
        }
        assert_eq!(b.visible, expected);
        // Sorting the answer again needs no new search.
        b.set_query(b.query.sorted_by(SortColumn::Revenue));
        assert!(!b.is_searching());
        assert_eq!(b.visible.len(), expected.len());
        assert!(b.visible.windows(2).all(|w| w[0] > w[1]));
    }

    #[test]
    fn segment_totals_count_customers_and_value() {
        let table = sample();
        let champions = table
            .segment_totals
            .iter()
            .find(|t| t.segment == Segment::Champions)
            .unwrap();
        assert_eq!(champions.customers, 2);
        assert_eq!(champions.revenue_cents, 30_00);
        assert!((champions.clv_cents - 1000.0).abs() < 1e-9);
        assert_eq!(table.segment_totals.len(), 2);
    }
}
