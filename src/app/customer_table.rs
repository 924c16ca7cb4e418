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
}

impl SortColumn {
    /// Every column, in the order the table shows them.
    pub const ALL: [SortColumn; 9] = [
        SortColumn::Name,
        SortColumn::Email,
        SortColumn::Orders,
        SortColumn::FirstOrder,
        SortColumn::LastOrder,
        SortColumn::Revenue,
        SortColumn::Clv,
        SortColumn::PAlive,
        SortColumn::Segment,
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
        }
    }

    /// Whether a click sorts this column largest first (numbers and dates: the biggest,
    /// latest, most valuable first is what an owner looks for).
    pub fn starts_descending(self) -> bool {
        !matches!(
            self,
            SortColumn::Name | SortColumn::Email | SortColumn::Segment
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
    /// Costs a few sorts of all rows; runs in the background.
    pub fn build(rows: Vec<CustomerValueRow>, source_key: String) -> CustomerTable {
        let segments: Vec<Option<Segment>> = rows
            .iter()
            .map(|r| {
                r.score
                    .as_ref()
                    .and_then(|s| s.segment.as_deref())
                    .and_then(Segment::from_label)
            })
            .collect();
        let at_risk = at_risk_flags(&rows);
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
            SortColumn::Name | SortColumn::Email => {
                let keys: Vec<String> = rows
                    .iter()
                    .map(|r| {
                        let text = if column == SortColumn::Name {
                            r.name.as_str()
                        } else {
                            r.email.as_deref().unwrap_or("")
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

    /// Which rows contain `needle` (lower case) in their search text, looking only at the
    /// rows `within` lets through (all rows when `None`).
    fn rows_containing(&self, needle: &[u8], within: Option<&[bool]>) -> Vec<bool> {
        let finder = memmem::Finder::new(needle);
        match within {
            Some(mask) => (0..self.rows.len())
                .map(|i| mask[i] && finder.find(self.row_text(i)).is_some())
                .collect(),
            None => {
                let mut hits = vec![false; self.rows.len()];
                let mut from = 0;
                while let Some(at) = finder.find(&self.haystack[from..]) {
                    let at = from + at;
                    // The row whose text holds the hit; rows never contain `\n`, so a hit
                    // never spans two rows.
                    let row = self.starts.partition_point(|s| *s <= at) - 1;
                    hits[row] = true;
                    from = self.starts[row + 1];
                    if from >= self.haystack.len() {
                        break;
                    }
                }
                hits
            }
        }
    }

    fn row_text(&self, row: usize) -> &[u8] {
        &self.haystack[self.starts[row]..self.starts[row + 1]]
    }
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
#[derive(Debug, Default)]
pub struct CustomerBrowser {
    /// The loaded table, once read.
    pub table: Option<Arc<CustomerTable>>,
    /// The query the visible rows answer.
    pub query: CustomerQuery,
    /// Row positions to show, in order.
    pub visible: Vec<u32>,
    /// The customer the owner clicked, whose profile is open.
    pub selected: Option<i64>,
    /// The last search text and its matches, to narrow while the owner types.
    searched: Option<(String, Vec<bool>)>,
}

impl CustomerBrowser {
    /// Takes a freshly loaded table and shows it with the current query.
    pub fn set_table(&mut self, table: Arc<CustomerTable>) {
        self.table = Some(table);
        self.searched = None;
        self.refresh();
    }

    /// Answers `query`: filters and orders the rows.
    pub fn set_query(&mut self, query: CustomerQuery) {
        self.query = query;
        self.refresh();
    }

    /// Recomputes [`Self::visible`] for the current table and query.
    fn refresh(&mut self) {
        let Some(table) = self.table.clone() else {
            self.visible.clear();
            return;
        };
        let text = self.query.text.trim().to_lowercase();
        let matches = if text.is_empty() {
            None
        } else {
            let within = self
                .searched
                .as_ref()
                .filter(|(before, _)| !before.is_empty() && text.starts_with(before.as_str()))
                .map(|(_, mask)| mask.as_slice());
            let mask = search_mask(&table, &text, within);
            self.searched = Some((text, mask));
            self.searched.as_ref().map(|(_, m)| m.as_slice())
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

/// Rows matching every word of `text` (lower case), within `within` when given.
fn search_mask(table: &CustomerTable, text: &str, within: Option<&[bool]>) -> Vec<bool> {
    let mut mask: Option<Vec<bool>> = within.map(<[bool]>::to_vec);
    for word in text.split_whitespace() {
        let literal = table.rows_containing(word.as_bytes(), mask.as_deref());
        let digits: String = word.chars().filter(char::is_ascii_digit).collect();
        let phone_like = digits.len() >= 3
            && digits.len() != word.len()
            && word
                .chars()
                .all(|c| c.is_ascii_digit() || "+-()./".contains(c));
        let found = if phone_like {
            let by_digits = table.rows_containing(digits.as_bytes(), mask.as_deref());
            literal
                .iter()
                .zip(by_digits)
                .map(|(a, b)| *a || b)
                .collect()
        } else {
            literal
        };
        mask = Some(found);
    }
    mask.unwrap_or_else(|| vec![true; table.len()])
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
        push(&mut haystack, &row.customer_key);
        push(&mut haystack, &format!("#{}", row.id));
        haystack.push(b'\n');
    }
    starts.push(haystack.len());
    (haystack, starts)
}

/// The dashboard's "valuable customers slipping away" per row: spending among the best
/// fifth of the customers who bought (ties included) and a chance still active under
/// [`AT_RISK_P_ALIVE`].
fn at_risk_flags(rows: &[CustomerValueRow]) -> Vec<bool> {
    let mut spent: Vec<i64> = rows
        .iter()
        .filter(|r| r.orders > 0)
        .map(|r| r.revenue_cents)
        .collect();
    if spent.is_empty() {
        return vec![false; rows.len()];
    }
    spent.sort_unstable_by(|a, b| b.cmp(a));
    let cut = spent[((spent.len() as f64 * 0.2).ceil() as usize).clamp(1, spent.len()) - 1];
    rows.iter()
        .map(|r| {
            r.orders > 0
                && r.revenue_cents >= cut
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
        ))
    }

    fn names(browser: &CustomerBrowser) -> Vec<i64> {
        browser.visible_rows().map(|r| r.id).collect()
    }

    #[test]
    fn search_matches_every_word_in_any_field_and_phone_digits() {
        let mut b = CustomerBrowser::default();
        b.set_table(sample());
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
        let mut b = CustomerBrowser::default();
        b.set_table(sample());
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
        let mut b = CustomerBrowser::default();
        b.set_table(sample());
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
