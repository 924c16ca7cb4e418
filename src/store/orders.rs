//! Writing a batch of normalised orders as one import: customers resolved through their
//! keys, orders inserted or updated by `(source, external_id)`, refunds of stored orders
//! linked to them, all in one transaction.
//!
//! The import paths (file import, demo data) hand over finished [`NewOrder`]s; this module
//! is the second phase of "stage, then write". A cancelled or failed write rolls back and
//! leaves the database exactly as it was. Everything the write changes that existed before
//! (an order, a customer's details, the base currency) is recorded in `import_changes` as
//! it was, so [`Store::undo_import`](super::Store::undo_import) can restore it exactly.
//!
//! Speed (a million-line file is ~180k orders): customers, keys, orders and line items are
//! queued and inserted in multi-row statements, customers and orders with the row ids SQLite
//! would have given them, so rows that refer to them can be queued at once; anything that
//! reads a table mid-write flushes its queue first. SQLite's foreign-key checks are off for
//! the transaction (every reference is to a row the write just made or read) and back on
//! after it. Large imports drop and rebuild the secondary indexes. New customers are written
//! last, with their first and last order instants already known.

use std::borrow::Cow;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use rusqlite::{OptionalExtension as _, Transaction, params};

use super::scores::{Acquisition, HistoryBuilder, PurchaseHistory, SharedNames, StoredPurchase};
use super::{Store, StoreError, now_utc};
use crate::domain::{
    CustomerId, CustomerIdentity, ImportId, NewOrder, NewOrderLine, REFUND_STATUS, RefundOfOrder,
    name_key,
};

/// What is recorded about an import besides its orders.
#[derive(Clone, Debug, Default)]
pub struct NewImport {
    /// File name shown in the import history (or "Demo data").
    pub file_name: String,
    /// Full path of the file, when it came from one.
    pub file_path: Option<String>,
    /// SHA-256 of the file bytes, hex.
    pub sha256: Option<String>,
    /// File size in bytes.
    pub size_bytes: Option<u64>,
    /// Preset used (`shopify`, `generic`, `demo`, …).
    pub preset: String,
    /// Column mapping used, as JSON (field → column name).
    pub mapping_json: String,
    /// Text encoding detected.
    pub encoding: Option<String>,
    /// Delimiter detected.
    pub delimiter: Option<String>,
    /// Data rows read from the file.
    pub rows_read: u64,
    /// Rows skipped, with reasons in `skipped_json`.
    pub rows_skipped: u64,
    /// `{"reason": count}` for skipped rows.
    pub skipped_json: String,
    /// Fingerprint of the header, for remembering the mapping.
    pub header_signature: Option<String>,
    /// Day/month order used (`dmy`, …).
    pub date_order: Option<String>,
    /// Decimal separator used (`.` or `,`).
    pub decimal_separator: Option<String>,
    /// Currency the orders are stored in.
    pub currency: Option<String>,
    /// The full result report, as JSON.
    pub report_json: String,
    /// Remember this mapping for files with the same header.
    pub remember_mapping: bool,
    /// The day/month order to remember for files with the same header, when this file
    /// settled it (chosen, or proven by its dates); `None` keeps what was remembered.
    pub settled_date_order: Option<String>,
    /// The decimal separator to remember likewise.
    pub settled_decimal: Option<String>,
    /// Order numbers the file gives as cancelled or voided, with that status: a stored
    /// order of an earlier import with one of them is marked so and counts no more.
    pub cancelled_orders: Vec<(String, String)>,
    /// The source of its orders when it is not the preset's name: a spreadsheet kept apart
    /// from another system's that numbers its orders alike (`generic:…`).
    pub source: Option<String>,
}

/// Counts of what an import changed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct WriteOutcome {
    /// The import's row id.
    #[serde(skip)]
    pub import_id: ImportId,
    /// Orders that were new (refund entries included).
    pub orders_created: u64,
    /// Orders that existed and changed.
    pub orders_updated: u64,
    /// Orders that existed unchanged (an overlapping re-import).
    pub orders_unchanged: u64,
    /// Customers that were new.
    pub customers_created: u64,
    /// Existing customers this import's orders were matched to.
    pub customers_matched: u64,
    /// Orders without any customer identity.
    pub guest_orders: u64,
    /// Refund entries linked to an order stored by an earlier import.
    pub refunds_linked: u64,
    /// Customers found to be someone else too (one order names keys of both, such as a
    /// Stripe customer id first seen alone and an e-mail first seen alone) and merged.
    pub customers_merged: u64,
}

/// One part of an import handed to [`Store::write_import_streamed`] while its file is
/// still being read, so the database writes one part while the next is read.
#[derive(Debug)]
pub enum ImportPart {
    /// The first part: the import's record as known before the rows are read, the
    /// platform its orders come from ([`NewOrder::source`]), and about how many orders to
    /// expect (an overestimate only makes a bulk load likelier; both ways are correct).
    Start {
        /// The record as known before the rows are read.
        import: NewImport,
        /// The source of every order the parts will hold.
        source: String,
        /// About how many orders are coming.
        expected_orders: usize,
    },
    /// Orders that no later row of the file changes, in file order.
    Orders(Vec<NewOrder>),
    /// The last part: the complete record (row counts, skips, SHA-256) and the refunds
    /// of orders from earlier imports.
    End {
        /// The complete record, written over the one of `Start`.
        import: NewImport,
        /// Refunds of orders not in this file.
        refunds: Vec<RefundOfOrder>,
    },
}

/// What a write knows before its first order: the stored orders to load for matching,
/// and whether to bulk-load.
struct WritePlan<'a> {
    /// Sources of the incoming orders, with how many orders each (to size the map of
    /// order numbers; 0 when unknown).
    expected: HashMap<&'a str, usize>,
    /// About how many orders are coming (for [`is_bulk_load`]).
    expected_orders: usize,
    /// A dry run whose line items cannot fail: they are not written.
    skip_lines: bool,
    dry_run: bool,
    /// Called with the purchases written, if the database was empty (see
    /// [`Store::write_import_streamed`]).
    purchases_written: Option<&'a mut (dyn FnMut(PurchaseHistory) + Send)>,
}

/// The orders a write takes, and the refunds of earlier imports' orders.
enum Incoming<'a> {
    /// Every order at hand (a staged file).
    Whole {
        orders: &'a [NewOrder],
        refunds: &'a [RefundOfOrder],
    },
    /// The parts after [`ImportPart::Start`] of a streamed import, as they arrive: each
    /// part of orders is written whole (nothing queued still borrows from it) and then
    /// handed to `spent`. [`ImportPart::End`] brings the complete record and the refunds;
    /// parts that stop before it roll the write back.
    Streamed {
        parts: &'a mut dyn Iterator<Item = ImportPart>,
        spent: &'a mut dyn FnMut(Vec<NewOrder>),
    },
}

/// Why an import write did not complete. Either way nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The owner pressed Cancel.
    #[error("the import was cancelled; nothing was written")]
    Cancelled,
    /// The database refused the write.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Store {
    /// Writes `orders` (and refunds of orders from earlier imports) as one import in one
    /// transaction. `keep_going` is called with the number of orders written so far every
    /// few hundred orders; returning `false` cancels and rolls everything back.
    pub fn write_import(
        &mut self,
        import: &NewImport,
        orders: &[NewOrder],
        refunds: &[RefundOfOrder],
        keep_going: &mut dyn FnMut(usize) -> bool,
    ) -> Result<WriteOutcome, WriteError> {
        self.write_import_whole(import, orders, refunds, keep_going, false)
    }

    /// What [`Store::write_import`] would do, computed inside a transaction that is then
    /// rolled back: exact added/updated/matched counts, nothing written. Work that cannot
    /// change the counts or make the write fail is left out: line items (unless one has a
    /// quantity SQLite would refuse), rebuilding dropped indexes no later query needs, and
    /// customers' first and last order dates.
    pub fn dry_run_import(
        &mut self,
        import: &NewImport,
        orders: &[NewOrder],
        refunds: &[RefundOfOrder],
    ) -> Result<WriteOutcome, WriteError> {
        self.write_import_whole(import, orders, refunds, &mut |_| true, true)
    }

    /// Writes an import whose orders arrive while its file is still being read (see
    /// [`ImportPart`]), in one transaction like [`Store::write_import`]: the orders of a
    /// part are written as it arrives, and the transaction commits only after
    /// [`ImportPart::End`]. Parts that stop before `End` (the reader failed, was cancelled
    /// or chose to start over) roll everything back: [`WriteError::Cancelled`]. Returns
    /// `None` when the parts stop before [`ImportPart::Start`]: nothing was begun.
    ///
    /// Each part of orders is handed to `spent` once it is written (the write keeps
    /// nothing of it): the reader can take its memory back for the next part, which then
    /// fills memory already mapped rather than fresh pages.
    ///
    /// Given `purchases_written`, a write into a database that held no customers and no
    /// orders calls it once it has written the last order, with the purchases it wrote:
    /// what [`Store::purchase_history`] reads after the commit, for a valuation that need
    /// not wait for it. Only a committed write makes them true. Not called when the
    /// database held orders, or the import refunds orders of earlier imports.
    pub fn write_import_streamed(
        &mut self,
        parts: &mut dyn Iterator<Item = ImportPart>,
        spent: &mut dyn FnMut(Vec<NewOrder>),
        purchases_written: Option<&mut (dyn FnMut(PurchaseHistory) + Send)>,
    ) -> Result<Option<WriteOutcome>, WriteError> {
        let Some(ImportPart::Start {
            import,
            source,
            expected_orders,
        }) = parts.next()
        else {
            return Ok(None);
        };
        let plan = WritePlan {
            // The estimate counts rows, several per order in most files: the map of order
            // numbers is sized by it only up to a bound, and grows from there as orders come
            // (each growth hashes every number held again).
            expected: [(
                source.as_str(),
                expected_orders.min(ORDER_NUMBERS_RESERVED_AT_MOST),
            )]
            .into_iter()
            .collect(),
            expected_orders,
            skip_lines: false,
            dry_run: false,
            // Reborrowed for as long as the plan lives.
            purchases_written: purchases_written
                .map(|f| f as &mut (dyn FnMut(PurchaseHistory) + Send)),
        };
        let incoming = Incoming::Streamed { parts, spent };
        self.write_import_as(&import, plan, incoming, &mut |_| true)
            .map(Some)
    }

    fn write_import_whole(
        &mut self,
        import: &NewImport,
        orders: &[NewOrder],
        refunds: &[RefundOfOrder],
        keep_going: &mut dyn FnMut(usize) -> bool,
        dry_run: bool,
    ) -> Result<WriteOutcome, WriteError> {
        let mut expected: HashMap<&str, usize> = HashMap::default();
        for source in orders
            .iter()
            .map(|o| o.source.as_str())
            .chain(refunds.iter().map(|r| r.entry.source.as_str()))
        {
            *expected.entry(source).or_default() += 1;
        }
        let plan = WritePlan {
            expected,
            expected_orders: orders.len(),
            // A line's only way to fail is a NaN quantity (stored as NULL, refused).
            skip_lines: dry_run
                && !orders
                    .iter()
                    .chain(refunds.iter().map(|r| &r.entry))
                    .flat_map(|o| &o.lines)
                    .any(|l| l.quantity.is_nan()),
            dry_run,
            purchases_written: None,
        };
        self.write_import_as(
            import,
            plan,
            Incoming::Whole { orders, refunds },
            keep_going,
        )
    }

    fn write_import_as(
        &mut self,
        import: &NewImport,
        plan: WritePlan<'_>,
        incoming: Incoming<'_>,
        keep_going: &mut dyn FnMut(usize) -> bool,
    ) -> Result<WriteOutcome, WriteError> {
        // Every reference the import writes points at a row it inserted or read in this same
        // transaction (its import row, its customers, its orders), so SQLite's per-row
        // foreign-key lookups (one per line item, several per order) only cost time. So do
        // the CHECK constraints of what it writes: a currency is a `Currency` (three
        // letters), consent a `bool`, a key's kind one of `identity_keys`' names, a change's
        // kind one of `record_change`'s; evaluating them took a tenth of a large import's
        // load.
        let result = self.with_row_checks_off(true, |store| {
            store.write_import_tx(import, plan, incoming, keep_going)
        });
        let restored =
            self.conn_mut()
                .pragma_update(None, "wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES);
        let outcome = result?;
        restored.map_err(|e| self.err(e))?;
        Ok(outcome)
    }

    fn write_import_tx(
        &mut self,
        import: &NewImport,
        plan: WritePlan<'_>,
        incoming: Incoming<'_>,
        keep_going: &mut dyn FnMut(usize) -> bool,
    ) -> Result<WriteOutcome, WriteError> {
        let dry_run = plan.dry_run;
        let path = self.path().to_path_buf();
        let sql_err = |e| WriteError::Store(StoreError::from_sqlite(&path, e));
        let tx = self
            .conn_mut()
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(sql_err)?;
        let had_orders: bool = tx
            .query_row("SELECT EXISTS (SELECT 1 FROM orders)", [], |r| r.get(0))
            .map_err(sql_err)?;
        // Into an empty database, the orders written are every purchase there will be.
        let gather_purchases = plan.purchases_written.is_some()
            && !dry_run
            && !had_orders
            && !tx
                .query_row("SELECT EXISTS (SELECT 1 FROM customers)", [], |r| r.get(0))
                .map_err(sql_err)?;
        let import_id = insert_import_row(&tx, import).map_err(sql_err)?;
        let bulk = is_bulk_load(&tx, plan.expected_orders).map_err(sql_err)?;
        // A bulk load's pages are copied from the WAL into the database file after the
        // commit, on a background connection, not at the commit (see
        // `Store::checkpoint_in_background`). The setting is the connection's, restored
        // by `write_import_as` whatever happens.
        let checkpoint_later = bulk && !dry_run;
        if checkpoint_later {
            tx.pragma_update(None, "wal_autocheckpoint", 0)
                .map_err(sql_err)?;
        }
        // Room for as many new customers as orders (up to a bound; past it the lists grow):
        // capacity never used costs no memory, while growing a list copies it into memory
        // never touched before.
        let customers_at_most = plan.expected_orders.min(CUSTOMERS_RESERVED_AT_MOST);
        let batches = Batches::new(&tx, customers_at_most).map_err(sql_err)?;
        let first_new_customer = batches.next_customer_id.saturating_add(1);
        // The order numbers `existing` holds, copied: a streamed part is handed back once
        // written.
        let kept = typed_arena::Arena::new();
        // A streamed import's last part (declared before the writer, which borrows it).
        let mut ended: Option<(NewImport, Vec<RefundOfOrder>)> = None;
        let mut writer = Writer {
            tx: &tx,
            batches,
            import_id,
            outcome: WriteOutcome {
                import_id,
                ..WriteOutcome::default()
            },
            known_keys: KeyIndex::default(),
            matched: HashSet::default(),
            recorded: HashSet::default(),
            contacts: ByCustomer::new(first_new_customer, customers_at_most),
            last_buyer: None,
            existing: existing_orders(&tx, &kept, plan.expected).map_err(sql_err)?,
            kept: &kept,
            keeps_numbers: !matches!(incoming, Incoming::Streamed { .. }),
            stored_keys: None,
            skip_lines: plan.skip_lines,
            dates: (!dry_run).then(|| OrderDates::new(first_new_customer, customers_at_most)),
            updated_orders: HashSet::default(),
            written: gather_purchases.then(|| WrittenPurchases::new(plan.expected_orders)),
            first_new_customer,
            same_person: HashSet::default(),
        };
        let dropped = if bulk {
            writer.stored_keys = Some(stored_customer_keys(&tx).map_err(sql_err)?);
            drop_secondary_indexes(&tx, &["orders", "customers", "customer_keys"])
                .map_err(sql_err)?
        } else {
            Vec::new()
        };
        let mut written = 0;
        let (final_import, refunds): (Option<&NewImport>, &[RefundOfOrder]) = match incoming {
            Incoming::Whole { orders, refunds } => {
                for order in orders {
                    if written % 512 == 0 && !keep_going(written) {
                        return Err(WriteError::Cancelled);
                    }
                    writer.order(order, None, None).map_err(sql_err)?;
                    written += 1;
                }
                (None, refunds)
            }
            Incoming::Streamed { parts, spent } => {
                for part in parts {
                    let orders = match part {
                        ImportPart::Orders(orders) => orders,
                        ImportPart::End { import, refunds } => {
                            ended = Some((import, refunds));
                            break;
                        }
                        // A second start is not a part of this import: stop, and roll back.
                        ImportPart::Start { .. } => break,
                    };
                    // Bound to this part for as long as it is written (nothing is queued yet,
                    // so this rebinding writes nothing), and let go of it after.
                    let mut part_writer = writer.next_part().map_err(sql_err)?;
                    for order in &orders {
                        if written % 512 == 0 && !keep_going(written) {
                            return Err(WriteError::Cancelled);
                        }
                        part_writer.order(order, None, None).map_err(sql_err)?;
                        written += 1;
                    }
                    writer = part_writer.next_part().map_err(sql_err)?;
                    spent(orders);
                }
                // Only now are the refunds of earlier imports' orders known; without the
                // last part the orders were not all there.
                let Some((import, refunds)) = &ended else {
                    return Err(WriteError::Cancelled);
                };
                if !refunds.is_empty() {
                    // A refund entry may bear the number of an order written above.
                    writer.keep_own_numbers().map_err(sql_err)?;
                }
                (Some(import), refunds.as_slice())
            }
        };
        let total = written + refunds.len();
        // Refunds of earlier orders change stored orders: then the purchases are read back.
        let hand_over = match (
            writer.written.take(),
            plan.purchases_written,
            refunds.is_empty(),
        ) {
            (Some(gathered), Some(hand_over), true) => Some((gathered, hand_over)),
            _ => None,
        };
        let outcome = (|| -> Result<WriteOutcome, WriteError> {
            // Handed over before the last orders are flushed and the indexes rebuilt, so the
            // valuation waiting for it starts at once.
            if let Some((gathered, hand_over)) = hand_over {
                hand_over(gathered.history());
            }
            writer.flush_orders().map_err(sql_err)?;
            // Rebuilt (by sorting, much faster than row by row) before anything below queries
            // them: the orders' before the refunds are looked up, the customers' once the last
            // customer is in. A dry run with no refunds to look up needs them no more: the
            // rollback brings them back.
            let rebuild = |table: &str| -> Result<(), WriteError> {
                if dry_run && refunds.is_empty() {
                    return Ok(());
                }
                for (_, sql) in dropped.iter().filter(|(t, _)| t == table) {
                    tx.execute_batch(sql).map_err(sql_err)?;
                }
                Ok(())
            };
            rebuild("orders")?;
            for (index, refund) in refunds.iter().enumerate() {
                if index % 512 == 0 && !keep_going(written + index) {
                    return Err(WriteError::Cancelled);
                }
                writer.refund(refund).map_err(sql_err)?;
            }
            writer.link_waiting_refunds().map_err(sql_err)?;
            let cancelled = &final_import.unwrap_or(import).cancelled_orders;
            let source = import.source.as_deref().unwrap_or(&import.preset);
            writer.cancel_stored(source, cancelled).map_err(sql_err)?;
            writer.finish().map_err(sql_err)?;
            rebuild("customers")?;
            rebuild("customer_keys")?;
            if !keep_going(total) {
                return Err(WriteError::Cancelled);
            }
            let mut outcome = writer.outcome;
            outcome.customers_matched = writer.matched.len() as u64;
            let dates = writer.dates.take();
            // In a fixed order, so the same file merges the same way every time.
            let mut same_person: Vec<(i64, i64)> = writer.same_person.drain().collect();
            same_person.sort_unstable();
            let first_new_customer = writer.first_new_customer;
            drop(writer);
            if !dry_run {
                match dates {
                    Some(dates) => dates.write(&tx).map_err(sql_err)?,
                    None => refresh_order_dates(&tx, import_id).map_err(sql_err)?,
                }
            }
            outcome.customers_merged =
                super::customers::merge_same_person(&tx, &same_person, first_new_customer)
                    .map_err(sql_err)?;
            let import = match final_import {
                Some(complete) => {
                    update_import_row(&tx, import_id, complete).map_err(sql_err)?;
                    complete
                }
                None => import,
            };
            if !had_orders && let Some(currency) = &import.currency {
                set_base_currency(&tx, import_id, currency).map_err(sql_err)?;
            }
            if import.remember_mapping
                && let Some(signature) = &import.header_signature
            {
                remember_mapping(&tx, signature, import).map_err(sql_err)?;
            }
            finish_import_row(&tx, import_id, &outcome, total).map_err(sql_err)?;
            Ok(outcome)
        })()?;
        if dry_run {
            tx.rollback().map_err(sql_err)?;
        } else {
            tx.commit().map_err(sql_err)?;
        }
        if checkpoint_later {
            self.checkpoint_in_background();
        }
        Ok(outcome)
    }
}

/// The refunds stored before their sale (refund id) with the sale this import brought
/// (sale id, its customer); `?1` is [`REFUND_STATUS`].
const WAITING_REFUNDS: &str = "SELECT r.id, s.id, s.customer_id
     FROM orders r JOIN orders s
       ON s.source = r.source
      AND (s.external_id = r.refund_of_number OR s.alt_external_id = r.refund_of_number)
     WHERE r.refund_of_number IS NOT NULL AND r.refund_of IS NULL
       AND s.id <> r.id AND s.status <> ?1";

/// New customers a write makes room for at most before they come.
const CUSTOMERS_RESERVED_AT_MOST: usize = 262_144;

/// Order numbers a streamed write makes room for at most before its orders come (a map of
/// about 8 MB; a million-line export has about 180,000 orders).
const ORDER_NUMBERS_RESERVED_AT_MOST: usize = 131_072;

/// SQLite's default: a commit that leaves more pages than this in the WAL checkpoints.
const WAL_AUTOCHECKPOINT_PAGES: i64 = 1000;

/// Orders in one import from which dropping and rebuilding the secondary indexes of
/// `orders` beats updating them row by row.
const BULK_ORDERS: usize = 20_000;

/// Whether this import is large against what is stored: then the secondary indexes are
/// dropped for the load and rebuilt after it (SQLite builds an index by sorting).
fn is_bulk_load(tx: &Transaction<'_>, incoming: usize) -> rusqlite::Result<bool> {
    if incoming < BULK_ORDERS {
        return Ok(false);
    }
    let stored: i64 = tx.query_row("SELECT count(*) FROM orders", [], |r| r.get(0))?;
    Ok(incoming as i64 * 2 >= stored)
}

/// Drops the explicitly created indexes of `tables` (not the unique constraints, which
/// keep order numbers and customer keys unique) and returns each one's table and the SQL
/// that recreates it. Partial indexes stay: they hold only the few rows their `WHERE`
/// admits, so keeping them up to date costs less than the table scan a rebuild takes.
fn drop_secondary_indexes(
    tx: &Transaction<'_>,
    tables: &[&str],
) -> rusqlite::Result<Vec<(String, String)>> {
    let mut indexes: Vec<(String, String, String)> = Vec::new();
    let mut stmt = tx.prepare(
        "SELECT name, sql FROM sqlite_schema AS s
         WHERE type = 'index' AND tbl_name = ?1 AND sql IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM pragma_index_list(?1) AS l
                           WHERE l.name = s.name AND l.partial)",
    )?;
    for table in tables {
        for index in stmt.query_map([table], |r| Ok(((*table).to_owned(), r.get(0)?, r.get(1)?)))? {
            indexes.push(index?);
        }
    }
    let mut recreate = Vec::with_capacity(indexes.len());
    for (table, name, sql) in indexes {
        tx.execute_batch(&format!("DROP INDEX \"{}\"", name.replace('"', "\"\"")))?;
        recreate.push((table, sql));
    }
    Ok(recreate)
}

/// Every stored customer key, pointing at the customer that owns it. A key of a customer
/// merged into another stays with its owner: its new orders land on the duplicate's row and
/// every read counts them for the survivor (through `merged_into`), so an unmerge gives the
/// duplicate back everything that is theirs, including orders imported after the merge.
fn stored_customer_keys(tx: &Transaction<'_>) -> rusqlite::Result<KeyIndex> {
    let mut stmt = tx.prepare("SELECT kind, source, key, customer_id FROM customer_keys")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, i64>(3)?,
        ))
    })?;
    let mut keys = KeyIndex::default();
    for row in rows {
        let (kind, source, key, id) = row?;
        let kind = match kind.as_str() {
            "email" => "email",
            "platform_id" => "platform_id",
            "username" => "username",
            "phone" => "phone",
            _ => "name",
        };
        keys.insert(kind, &source, key, id);
    }
    Ok(keys)
}

/// `json`, or an empty JSON object for empty text.
fn json_or_empty_object(json: &str) -> String {
    if json.is_empty() {
        "{}".to_owned()
    } else {
        json.to_owned()
    }
}

fn insert_import_row(tx: &Transaction<'_>, import: &NewImport) -> rusqlite::Result<ImportId> {
    tx.execute(
        "INSERT INTO imports (file_name, file_path, sha256, size_bytes, preset, mapping_json,
                              encoding, delimiter, rows_read, rows_skipped, skipped_json, started_utc,
                              header_signature, date_order, decimal_separator, currency, report_json)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
        params![
            import.file_name,
            import.file_path,
            import.sha256,
            import.size_bytes.map(|s| i64::try_from(s).unwrap_or(i64::MAX)),
            import.preset,
            json_or_empty_object(&import.mapping_json),
            import.encoding,
            import.delimiter,
            i64::try_from(import.rows_read).unwrap_or(i64::MAX),
            i64::try_from(import.rows_skipped).unwrap_or(i64::MAX),
            json_or_empty_object(&import.skipped_json),
            now_utc(),
            import.header_signature,
            import.date_order,
            import.decimal_separator,
            import.currency,
            json_or_empty_object(&import.report_json),
        ],
    )?;
    Ok(ImportId(tx.last_insert_rowid()))
}

/// Writes the complete record of a streamed import over the one it started with.
fn update_import_row(
    tx: &Transaction<'_>,
    import_id: ImportId,
    import: &NewImport,
) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE imports SET sha256 = ?2, rows_read = ?3, rows_skipped = ?4, skipped_json = ?5,
                            report_json = ?6, date_order = ?7, decimal_separator = ?8
         WHERE id = ?1",
        params![
            import_id.0,
            import.sha256,
            i64::try_from(import.rows_read).unwrap_or(i64::MAX),
            i64::try_from(import.rows_skipped).unwrap_or(i64::MAX),
            json_or_empty_object(&import.skipped_json),
            json_or_empty_object(&import.report_json),
            import.date_order,
            import.decimal_separator,
        ],
    )?;
    Ok(())
}

fn finish_import_row(
    tx: &Transaction<'_>,
    import_id: ImportId,
    outcome: &WriteOutcome,
    rows_imported: usize,
) -> rusqlite::Result<()> {
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    tx.execute(
        "UPDATE imports SET rows_imported = ?2, orders_created = ?3, orders_updated = ?4,
                            customers_created = ?5, finished_utc = ?6
         WHERE id = ?1",
        params![
            import_id.0,
            i64::try_from(rows_imported).unwrap_or(i64::MAX),
            n(outcome.orders_created),
            n(outcome.orders_updated),
            n(outcome.customers_created),
            now_utc(),
        ],
    )?;
    Ok(())
}

/// Sets the database's base currency at its first import, recording the old value.
fn set_base_currency(
    tx: &Transaction<'_>,
    import_id: ImportId,
    currency: &str,
) -> rusqlite::Result<()> {
    let before: Option<String> = tx
        .query_row(
            "SELECT value FROM settings WHERE key = 'currency'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    if before.as_deref() == Some(currency) {
        return Ok(());
    }
    record_change(
        tx,
        import_id,
        "setting",
        "currency",
        &serde_json::json!({ "value": before }),
    )?;
    tx.execute(
        "INSERT INTO settings (key, value) VALUES ('currency', ?1)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [currency],
    )?;
    Ok(())
}

fn remember_mapping(
    tx: &Transaction<'_>,
    signature: &str,
    import: &NewImport,
) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO import_mappings (signature, preset, mapping_json, date_order, decimal_separator, updated_utc)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT(signature) DO UPDATE SET preset = excluded.preset, mapping_json = excluded.mapping_json,
             date_order = coalesce(excluded.date_order, import_mappings.date_order),
             decimal_separator = coalesce(excluded.decimal_separator, import_mappings.decimal_separator),
             updated_utc = excluded.updated_utc",
        params![
            signature,
            import.preset,
            import.mapping_json,
            import.settled_date_order,
            import.settled_decimal,
            now_utc()
        ],
    )?;
    Ok(())
}

fn record_change(
    tx: &Transaction<'_>,
    import_id: ImportId,
    kind: &str,
    key: &str,
    before: &serde_json::Value,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT OR IGNORE INTO import_changes (import_id, kind, key, before_json) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![import_id.0, kind, key, before.to_string()])?;
    Ok(())
}

/// One identifying key of a customer, normalised for matching. It borrows from the order
/// unless normalising had to change the text (most keys are already normal): a large
/// import resolves one per order, and allocating them churned the allocator.
#[derive(Clone, Debug, PartialEq, Eq)]
struct IdentityKey<'a> {
    kind: &'static str,
    source: &'a str,
    key: Cow<'a, str>,
}

/// The keys that identify `who`, strongest first: email (across platforms), platform id,
/// username, and the name only when nothing stronger exists.
fn identity_keys<'a>(who: &'a CustomerIdentity, source: &'a str) -> Vec<IdentityKey<'a>> {
    let mut keys = Vec::with_capacity(2);
    let mut push = |kind: &'static str, source: &'a str, key: Option<Cow<'a, str>>| {
        if let Some(key) = key.filter(|k| !k.is_empty()) {
            keys.push(IdentityKey { kind, source, key });
        }
    };
    push("email", "", who.email.as_deref().map(lower_trimmed));
    push(
        "platform_id",
        source,
        who.platform_id.as_deref().map(|v| Cow::Borrowed(v.trim())),
    );
    push(
        "username",
        source,
        who.username.as_deref().map(lower_trimmed),
    );
    // An owner's spreadsheet of a till that knows its customers by phone alone: one number
    // however it is written. Beside an e-mail or id a shared phone (a family's, a firm's)
    // is only a duplicate suggestion for the owner to confirm, and platforms' exports put
    // the shop's own number on walk-in sales.
    let spreadsheet = source == "generic" || source.starts_with("generic:");
    if keys.is_empty()
        && spreadsheet
        && let Some(phone) = who.phone.as_deref().and_then(crate::domain::phone_key)
    {
        keys.push(IdentityKey {
            kind: "phone",
            source: "",
            key: Cow::Owned(phone),
        });
    }
    if keys.is_empty()
        && let Some(name) = who.name.as_deref().map(name_key).filter(|n| !n.is_empty())
    {
        keys.push(IdentityKey {
            kind: "name",
            source,
            key: name,
        });
    }
    keys
}

/// Trimmed and lower-case, borrowed when it already is.
fn lower_trimmed(text: &str) -> Cow<'_, str> {
    let trimmed = text.trim();
    if trimmed.chars().any(char::is_uppercase) {
        Cow::Owned(trimmed.to_lowercase())
    } else {
        Cow::Borrowed(trimmed)
    }
}

/// Customer keys by kind and source, looked up by `&str` without allocating.
#[derive(Default)]
struct KeyIndex {
    sources: Vec<String>,
    /// One map per (kind, source) pair seen; an import has a handful, so a list is faster
    /// than hashing the pair.
    tables: Vec<(&'static str, usize, HashMap<String, i64>)>,
}

impl KeyIndex {
    fn get(&self, key: &IdentityKey<'_>) -> Option<i64> {
        let source = self.sources.iter().position(|s| s == key.source)?;
        self.tables
            .iter()
            .find(|(kind, s, _)| *s == source && *kind == key.kind)?
            .2
            .get(key.key.as_ref())
            .copied()
    }

    fn insert(&mut self, kind: &'static str, source: &str, key: String, id: i64) {
        let index = match self.sources.iter().position(|s| s == source) {
            Some(i) => i,
            None => {
                self.sources.push(source.to_owned());
                self.sources.len() - 1
            }
        };
        let table = match self
            .tables
            .iter()
            .position(|(k, s, _)| *s == index && *k == kind)
        {
            Some(t) => t,
            None => {
                self.tables.push((kind, index, HashMap::default()));
                self.tables.len() - 1
            }
        };
        self.tables[table].2.insert(key, id);
    }
}

/// A multi-row `INSERT`: its text for any number of rows, and the statements it runs,
/// each prepared once per import on first use (the statement cache would hash and copy
/// the text on every use): one for a full batch, and one for each power of two below it.
/// A partial batch is written as pieces of those sizes (21 rows: 16, 4 and 1), so a write
/// that flushes partial batches often (a streamed import, at the end of every part)
/// prepares no statement per flush.
pub(super) struct MultiInsert<'t> {
    /// `INSERT INTO t (a, b) VALUES `
    head: &'static str,
    /// `(?, ?)`; a row may also name the statement-wide parameters `?1` … `?shared`.
    row: &'static str,
    /// Rows in a full batch.
    rows: usize,
    /// Parameters every row shares (`?1` … `?shared`), bound once per statement.
    shared: usize,
    full: Option<rusqlite::Statement<'t>>,
    /// The statement for `2^k` rows at index `k`, once prepared.
    pieces: Vec<Option<rusqlite::Statement<'t>>>,
}

impl<'t> MultiInsert<'t> {
    pub(super) const fn new(head: &'static str, row: &'static str, rows: usize) -> MultiInsert<'t> {
        MultiInsert::with_shared(head, row, rows, 0)
    }

    /// A multi-row insert whose rows share the parameters `?1` … `?shared` (their own
    /// values then take the plain `?`s, numbered on from `shared + 1`).
    const fn with_shared(
        head: &'static str,
        row: &'static str,
        rows: usize,
        shared: usize,
    ) -> MultiInsert<'t> {
        MultiInsert {
            head,
            row,
            rows,
            shared,
            full: None,
            pieces: Vec::new(),
        }
    }

    fn sql(&self, rows: usize) -> String {
        let mut sql = String::with_capacity(self.head.len() + rows * (self.row.len() + 2));
        sql.push_str(self.head);
        for i in 0..rows {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(self.row);
        }
        sql
    }

    /// Inserts `pending` in full batches and one last partial one, binding each item's
    /// values with `bind` from the given parameter index on, and empties it.
    fn run<T>(
        &mut self,
        tx: &'t Transaction<'_>,
        pending: &mut Vec<T>,
        bind: impl Fn(&mut rusqlite::Statement<'_>, usize, &T) -> rusqlite::Result<()>,
    ) -> rusqlite::Result<()> {
        self.run_sharing(tx, pending, |_| Ok(()), bind)
    }

    /// [`MultiInsert::run`] binding the shared parameters of each statement with `shared`
    /// first.
    fn run_sharing<T>(
        &mut self,
        tx: &'t Transaction<'_>,
        pending: &mut Vec<T>,
        shared: impl Fn(&mut rusqlite::Statement<'_>) -> rusqlite::Result<()>,
        bind: impl Fn(&mut rusqlite::Statement<'_>, usize, &T) -> rusqlite::Result<()>,
    ) -> rusqlite::Result<()> {
        self.run_all_sharing(tx, pending, shared, bind)?;
        pending.clear();
        Ok(())
    }

    /// Inserts `items` in full batches and one last partial one, binding each item's
    /// values with `bind` from the given parameter index on.
    pub(super) fn run_all<T>(
        &mut self,
        tx: &'t Transaction<'_>,
        items: &[T],
        bind: impl Fn(&mut rusqlite::Statement<'_>, usize, &T) -> rusqlite::Result<()>,
    ) -> rusqlite::Result<()> {
        self.run_all_sharing(tx, items, |_| Ok(()), bind)
    }

    /// [`MultiInsert::run_all`] binding the shared parameters of each statement with
    /// `shared` first.
    fn run_all_sharing<T>(
        &mut self,
        tx: &'t Transaction<'_>,
        items: &[T],
        shared: impl Fn(&mut rusqlite::Statement<'_>) -> rusqlite::Result<()>,
        bind: impl Fn(&mut rusqlite::Statement<'_>, usize, &T) -> rusqlite::Result<()>,
    ) -> rusqlite::Result<()> {
        for chunk in items.chunks(self.rows) {
            self.run_chunk(tx, chunk, &shared, &bind)?;
        }
        Ok(())
    }

    fn run_chunk<T>(
        &mut self,
        tx: &'t Transaction<'_>,
        pending: &[T],
        shared: &impl Fn(&mut rusqlite::Statement<'_>) -> rusqlite::Result<()>,
        bind: &impl Fn(&mut rusqlite::Statement<'_>, usize, &T) -> rusqlite::Result<()>,
    ) -> rusqlite::Result<()> {
        // The row's own parameters: the `?`s not followed by a number.
        let per_row = self
            .row
            .match_indices('?')
            .filter(|(at, _)| !self.row[at + 1..].starts_with(|c: char| c.is_ascii_digit()))
            .count();
        let first = 1 + self.shared;
        let execute = |stmt: &mut rusqlite::Statement<'_>, rows: &[T]| -> rusqlite::Result<()> {
            shared(stmt)?;
            for (i, item) in rows.iter().enumerate() {
                bind(stmt, first + i * per_row, item)?;
            }
            stmt.raw_execute()?;
            Ok(())
        };
        if pending.len() == self.rows {
            let stmt = match &mut self.full {
                Some(stmt) => stmt,
                None => self.full.insert(tx.prepare(&self.sql(self.rows))?),
            };
            return execute(stmt, pending);
        }
        let mut rest = pending;
        while !rest.is_empty() {
            // The largest power of two that fits: at most one piece of each size.
            let power = rest.len().ilog2() as usize;
            let (piece, after) = rest.split_at(1 << power);
            if self.pieces.len() <= power {
                self.pieces.resize_with(power + 1, || None);
            }
            if self.pieces[power].is_none() {
                self.pieces[power] = Some(tx.prepare(&self.sql(piece.len()))?);
            }
            if let Some(stmt) = &mut self.pieces[power] {
                execute(stmt, piece)?;
            }
            rest = after;
        }
        Ok(())
    }
}

/// Rows of one multi-row statement: customers and keys have few columns, orders many
/// (SQLite allows 32766 parameters; a few hundred amortise a statement).
const CUSTOMER_BATCH: usize = 64;
const KEY_BATCH: usize = 64;
const ORDER_BATCH: usize = 32;

/// A customer to insert. Its contact details are copied out of the order that created it
/// while the writer has that order at hand, into [`Batches::customer_texts`]: read from the
/// orders when the customers are written (at the end of the import, the orders scattered
/// over the heap by then), they cost several cache misses each.
struct NewCustomerRow {
    id: i64,
    created_utc: i64,
    marketing_consent: bool,
    /// Where display name, e-mail, phone, postcode and birthday (each trimmed; empty when
    /// not given) start and end in [`Batches::customer_texts`]: field `i` runs from
    /// `bounds[i]` to `bounds[i + 1]`.
    bounds: [usize; 6],
}

impl NewCustomerRow {
    /// Field `field` (an index into `bounds`) of this customer in `texts`.
    fn text<'s>(&self, texts: &'s str, field: usize) -> &'s str {
        texts
            .get(self.bounds[field]..self.bounds[field + 1])
            .unwrap_or("")
    }

    /// Field `field`, `None` when it was not given.
    fn given<'s>(&self, texts: &'s str, field: usize) -> Option<&'s str> {
        Some(self.text(texts, field)).filter(|t| !t.is_empty())
    }

    /// Which contact details this new customer lacks.
    fn gaps(&self) -> ContactGaps {
        let missing = |field: usize| self.bounds[field] == self.bounds[field + 1];
        ContactGaps {
            display_name: missing(0),
            email: missing(1),
            phone: missing(2),
            postcode: missing(3),
            birthday: missing(4),
            marketing_consent: self.marketing_consent,
        }
    }
}

/// A customer key to insert: customer id, kind, source, key.
type NewKeyRow<'a> = (i64, &'static str, &'a str, Cow<'a, str>);

/// An order to insert: its id, the order, customer id, the order it refunds.
type NewOrderRow<'a> = (i64, &'a NewOrder, Option<i64>, Option<i64>);

/// What an import inserts, queued and written in multi-row statements. Customers and
/// orders get their row ids when queued: the ids SQLite would give them (one more than the
/// largest), so the rows that refer to them can be queued at once. Whatever reads these
/// tables during the write flushes the queues first. New customers wait for the end of the
/// import (unless read earlier), so they are written with their first and last order.
struct Batches<'t, 'a> {
    next_customer_id: i64,
    next_order_id: i64,
    customers: Vec<NewCustomerRow>,
    /// The contact details of the queued customers, one after another.
    customer_texts: String,
    keys: Vec<NewKeyRow<'a>>,
    orders: Vec<NewOrderRow<'a>>,
    /// Order id, line number, the line.
    lines: Vec<(i64, i64, &'a NewOrderLine)>,
    insert_customers: MultiInsert<'t>,
    insert_keys: MultiInsert<'t>,
    /// For a batch of keys of one kind and source (an export's customer ids, or e-mails):
    /// those bound once per statement.
    insert_keys_of_a_kind: MultiInsert<'t>,
    insert_orders: MultiInsert<'t>,
    /// For a batch of [`plain`] orders of one source, currency and status: the columns
    /// they leave at their defaults left out, and those they share bound once.
    insert_plain_orders: MultiInsert<'t>,
    insert_lines: MultiInsert<'t>,
}

impl<'t, 'a> Batches<'t, 'a> {
    /// Queues for a write of at most about `customers_at_most` new customers.
    fn new(tx: &Transaction<'_>, customers_at_most: usize) -> rusqlite::Result<Batches<'t, 'a>> {
        let max_id = |table: &str| -> rusqlite::Result<i64> {
            tx.query_row(
                &format!("SELECT coalesce(max(id), 0) FROM {table}"),
                [],
                |r| r.get(0),
            )
        };
        Ok(Batches {
            next_customer_id: max_id("customers")?,
            next_order_id: max_id("orders")?,
            customers: Vec::with_capacity(customers_at_most.max(CUSTOMER_BATCH)),
            customer_texts: String::new(),
            keys: Vec::with_capacity(KEY_BATCH),
            orders: Vec::with_capacity(ORDER_BATCH),
            lines: Vec::with_capacity(LINE_BATCH),
            // `OR FAIL`: a refused row ends its statement without undoing the rows before it,
            // so SQLite keeps no statement journal (a copy of every page a statement changes);
            // the import's transaction is rolled back on any error, which undoes them.
            insert_customers: MultiInsert::new(
                "INSERT OR FAIL INTO customers (id, display_name, email, phone, postcode, marketing_consent,
                                        created_import_id, created_utc, birthday, first_order_utc,
                                        last_order_utc) VALUES ",
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                CUSTOMER_BATCH,
            ),
            insert_keys_of_a_kind: MultiInsert::with_shared(
                "INSERT OR IGNORE INTO customer_keys (kind, source, import_id, customer_id, key) VALUES ",
                "(?1, ?2, ?3, ?, ?)",
                KEY_BATCH,
                3,
            ),
            insert_keys: MultiInsert::new(
                "INSERT OR IGNORE INTO customer_keys (customer_id, kind, source, key, import_id) VALUES ",
                "(?, ?, ?, ?, ?)",
                KEY_BATCH,
            ),
            insert_orders: MultiInsert::new(
                "INSERT OR FAIL INTO orders (id, import_id, source, external_id, alt_external_id, customer_id,
                                     placed_utc, local_date, utc_offset_minutes, currency, gross_cents,
                                     discount_cents, refunded_cents, net_cents, refunded_utc,
                                     shipping_cents, tax_cents, coupon_code, status, channel, refund_of)
                 VALUES ",
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                ORDER_BATCH,
            ),
            insert_plain_orders: MultiInsert::with_shared(
                "INSERT OR FAIL INTO orders (import_id, source, currency, status, id, external_id,
                                     customer_id, placed_utc, local_date, utc_offset_minutes,
                                     gross_cents, net_cents)
                 VALUES ",
                "(?1, ?2, ?3, ?4, ?, ?, ?, ?, ?, ?, ?, ?)",
                ORDER_BATCH,
                4,
            ),
            insert_lines: MultiInsert::new(LINE_INSERT_HEAD, "(?, ?, ?, ?, ?, ?, ?)", LINE_BATCH),
        })
    }

    /// The id the next new row of a table gets: one more than the largest (SQLite picks a
    /// random free id only past the largest possible one, which an import never reaches).
    fn next(id: &mut i64) -> rusqlite::Result<i64> {
        *id = id
            .checked_add(1)
            .ok_or(rusqlite::Error::IntegralValueOutOfRange(0, i64::MAX))?;
        Ok(*id)
    }

    /// Writes the queued customers, with their first and last order instants when `dates`
    /// knows them.
    fn flush_customers(
        &mut self,
        tx: &'t Transaction<'_>,
        import_id: ImportId,
        dates: Option<&OrderDates>,
    ) -> rusqlite::Result<()> {
        let texts = &self.customer_texts;
        self.insert_customers
            .run(tx, &mut self.customers, |stmt, i, row| {
                let (first, last) = dates.and_then(|d| d.of(row.id)).unzip();
                stmt.raw_bind_parameter(i + 9, first)?;
                stmt.raw_bind_parameter(i + 10, last)?;
                stmt.raw_bind_parameter(i, row.id)?;
                stmt.raw_bind_parameter(i + 1, row.text(texts, 0))?;
                stmt.raw_bind_parameter(i + 2, row.given(texts, 1))?;
                stmt.raw_bind_parameter(i + 3, row.given(texts, 2))?;
                stmt.raw_bind_parameter(i + 4, row.given(texts, 3))?;
                stmt.raw_bind_parameter(i + 5, row.marketing_consent)?;
                stmt.raw_bind_parameter(i + 6, import_id.0)?;
                stmt.raw_bind_parameter(i + 7, row.created_utc)?;
                stmt.raw_bind_parameter(i + 8, row.given(texts, 4))
            })?;
        self.customer_texts.clear();
        Ok(())
    }

    /// Queues new customer `id`, created at `created_utc`, with `who`'s contact details;
    /// gives what they lack.
    fn queue_customer(&mut self, id: i64, who: &CustomerIdentity, created_utc: i64) -> ContactGaps {
        let texts = &mut self.customer_texts;
        let mut bounds = [texts.len(); 6];
        let fields = [
            display_name_str(who),
            trimmed_str(&who.email),
            trimmed_str(&who.phone),
            trimmed_str(&who.postcode),
            trimmed_str(&who.birthday),
        ];
        for (field, value) in fields.into_iter().enumerate() {
            texts.push_str(value.unwrap_or(""));
            bounds[field + 1] = texts.len();
        }
        let row = NewCustomerRow {
            id,
            created_utc,
            marketing_consent: who.marketing_consent.unwrap_or(false),
            bounds,
        };
        let gaps = row.gaps();
        self.customers.push(row);
        gaps
    }

    fn flush_keys(&mut self, tx: &'t Transaction<'_>, import_id: ImportId) -> rusqlite::Result<()> {
        if let Some(&(_, kind, source, _)) = self.keys.first()
            && self
                .keys
                .iter()
                .all(|(_, k, s, _)| *k == kind && *s == source)
        {
            return self.insert_keys_of_a_kind.run_sharing(
                tx,
                &mut self.keys,
                |stmt| {
                    stmt.raw_bind_parameter(1, kind)?;
                    stmt.raw_bind_parameter(2, source)?;
                    stmt.raw_bind_parameter(3, import_id.0)
                },
                |stmt, i, (customer, _, _, key)| {
                    stmt.raw_bind_parameter(i, customer)?;
                    stmt.raw_bind_parameter(i + 1, key.as_ref())
                },
            );
        }
        self.insert_keys.run(
            tx,
            &mut self.keys,
            |stmt, i, (customer, kind, source, key)| {
                stmt.raw_bind_parameter(i, customer)?;
                stmt.raw_bind_parameter(i + 1, kind)?;
                stmt.raw_bind_parameter(i + 2, source)?;
                stmt.raw_bind_parameter(i + 3, key.as_ref())?;
                stmt.raw_bind_parameter(i + 4, import_id.0)
            },
        )
    }

    fn flush_orders(
        &mut self,
        tx: &'t Transaction<'_>,
        import_id: ImportId,
    ) -> rusqlite::Result<()> {
        // Many exports' orders (a till's, a spreadsheet's, CDNOW's) have no discount,
        // refund, shipping, tax, coupon or channel, and one source, currency and status:
        // eight values of their own instead of 21 (each bound value costs SQLite a copy,
        // and text a memory allocation too).
        if let Some(&(_, first, _, _)) = self.orders.first()
            && self.orders.iter().all(|(_, order, _, refund_of)| {
                refund_of.is_none()
                    && plain(order)
                    && order.source == first.source
                    && order.currency == first.currency
                    && order.status == first.status
            })
        {
            let (source, currency, status) = (&first.source, first.currency, &first.status);
            return self.insert_plain_orders.run_sharing(
                tx,
                &mut self.orders,
                |stmt| {
                    stmt.raw_bind_parameter(1, import_id.0)?;
                    stmt.raw_bind_parameter(2, source.as_str())?;
                    stmt.raw_bind_parameter(3, currency.code())?;
                    stmt.raw_bind_parameter(4, status.as_str())
                },
                |stmt, i, (id, order, customer_id, _)| {
                    stmt.raw_bind_parameter(i, id)?;
                    stmt.raw_bind_parameter(i + 1, order.external_id.as_str())?;
                    stmt.raw_bind_parameter(i + 2, customer_id)?;
                    stmt.raw_bind_parameter(i + 3, order.placed_utc.timestamp())?;
                    stmt.raw_bind_parameter(i + 4, DateText::of(order.local_date))?;
                    stmt.raw_bind_parameter(i + 5, order.utc_offset_minutes)?;
                    stmt.raw_bind_parameter(i + 6, order.gross_cents)?;
                    stmt.raw_bind_parameter(i + 7, order.net_cents())
                },
            );
        }
        self.insert_orders.run(
            tx,
            &mut self.orders,
            |stmt, i, (id, order, customer_id, refund_of)| {
                stmt.raw_bind_parameter(i, id)?;
                stmt.raw_bind_parameter(i + 1, import_id.0)?;
                stmt.raw_bind_parameter(i + 2, order.source.as_str())?;
                stmt.raw_bind_parameter(i + 3, order.external_id.as_str())?;
                stmt.raw_bind_parameter(i + 4, order.alt_external_id.as_deref())?;
                stmt.raw_bind_parameter(i + 5, customer_id)?;
                stmt.raw_bind_parameter(i + 6, order.placed_utc.timestamp())?;
                stmt.raw_bind_parameter(i + 7, DateText::of(order.local_date))?;
                stmt.raw_bind_parameter(i + 8, order.utc_offset_minutes)?;
                stmt.raw_bind_parameter(i + 9, order.currency.code())?;
                stmt.raw_bind_parameter(i + 10, order.gross_cents)?;
                stmt.raw_bind_parameter(i + 11, order.discount_cents)?;
                stmt.raw_bind_parameter(i + 12, order.refunded_cents)?;
                stmt.raw_bind_parameter(i + 13, order.net_cents())?;
                stmt.raw_bind_parameter(i + 14, order.refunded_utc.map(|t| t.timestamp()))?;
                stmt.raw_bind_parameter(i + 15, order.shipping_cents)?;
                stmt.raw_bind_parameter(i + 16, order.tax_cents)?;
                stmt.raw_bind_parameter(i + 17, order.coupon_code.as_deref())?;
                stmt.raw_bind_parameter(i + 18, order.status.as_str())?;
                stmt.raw_bind_parameter(i + 19, order.channel.as_deref())?;
                stmt.raw_bind_parameter(i + 20, refund_of)
            },
        )
    }

    fn flush_lines(&mut self, tx: &'t Transaction<'_>) -> rusqlite::Result<()> {
        self.insert_lines
            .run(tx, &mut self.lines, |stmt, i, (order_id, line_no, line)| {
                stmt.raw_bind_parameter(i, order_id)?;
                stmt.raw_bind_parameter(i + 1, line_no)?;
                stmt.raw_bind_parameter(i + 2, line.sku.as_deref())?;
                stmt.raw_bind_parameter(i + 3, &*line.name)?;
                stmt.raw_bind_parameter(i + 4, line.quantity)?;
                stmt.raw_bind_parameter(i + 5, line.unit_price_cents)?;
                stmt.raw_bind_parameter(i + 6, line.total_cents)
            })
    }

    /// These queues, emptied, for rows that borrow from orders of lifetime `'b` (what was
    /// queued is dropped unwritten: flush first).
    fn emptied<'b>(self) -> Batches<'t, 'b> {
        let Batches {
            next_customer_id,
            next_order_id,
            customers,
            customer_texts,
            keys,
            orders,
            lines,
            insert_customers,
            insert_keys,
            insert_keys_of_a_kind,
            insert_orders,
            insert_plain_orders,
            insert_lines,
        } = self;
        Batches {
            next_customer_id,
            next_order_id,
            customers,
            customer_texts,
            keys: emptied(keys),
            orders: emptied(orders),
            lines: emptied(lines),
            insert_customers,
            insert_keys,
            insert_keys_of_a_kind,
            insert_orders,
            insert_plain_orders,
            insert_lines,
        }
    }

    /// Writes the queued orders and line items.
    fn flush_orders_and_lines(
        &mut self,
        tx: &'t Transaction<'_>,
        import_id: ImportId,
    ) -> rusqlite::Result<()> {
        self.flush_orders(tx, import_id)?;
        self.flush_lines(tx)
    }
}

/// Whether `order` leaves every column [`Batches::insert_plain_orders`] omits at its
/// default: no second number, discount, refund, shipping, tax, coupon or channel.
fn plain(order: &NewOrder) -> bool {
    order.alt_external_id.is_none()
        && order.discount_cents == 0
        && order.refunded_cents == 0
        && order.refunded_utc.is_none()
        && order.shipping_cents == 0
        && order.tax_cents == 0
        && order.coupon_code.is_none()
        && order.channel.is_none()
}

/// Which contact details a customer's record still lacks, and its marketing consent, so a
/// later order of theirs that would change none of it needs no look at the stored record.
#[derive(Clone, Copy)]
struct ContactGaps {
    display_name: bool,
    email: bool,
    phone: bool,
    postcode: bool,
    birthday: bool,
    marketing_consent: bool,
}

impl ContactGaps {
    /// What a stored record lacks.
    fn of_record(record: &CustomerContact) -> ContactGaps {
        ContactGaps {
            display_name: record.display_name.is_empty(),
            email: record.email.is_none(),
            phone: record.phone.is_none(),
            postcode: record.postcode.is_none(),
            birthday: record.birthday.is_none(),
            marketing_consent: record.marketing_consent,
        }
    }

    /// Whether [`Writer::fill_missing_contact`] would leave the record as it is.
    fn unchanged_by(&self, who: &CustomerIdentity) -> bool {
        let fills = |missing: bool, value: Option<&str>| missing && value.is_some();
        let fills_any = fills(self.display_name, display_name_str(who))
            || fills(self.email, trimmed_str(&who.email))
            || fills(self.phone, trimmed_str(&who.phone))
            || fills(self.postcode, trimmed_str(&who.postcode))
            || fills(self.birthday, trimmed_str(&who.birthday));
        !fills_any
            && who
                .marketing_consent
                .is_none_or(|c| c == self.marketing_consent)
    }
}

/// The state of one import write.
/// `'s` is the lifetime of the order numbers it keeps; `'a` that of the orders it is given,
/// which its queues borrow.
struct Writer<'t, 'c, 's, 'a> {
    tx: &'t Transaction<'c>,
    batches: Batches<'t, 'a>,
    import_id: ImportId,
    outcome: WriteOutcome,
    /// Keys resolved so far in this import.
    known_keys: KeyIndex,
    /// Existing customers matched (for the report).
    matched: HashSet<i64>,
    /// Customers whose state before this import is already recorded.
    recorded: HashSet<i64>,
    /// What each customer this import has created or looked at still lacks, so a later
    /// order of theirs that fills none of it needs no look at the stored record (`None`:
    /// the record is erased and is never filled in).
    contacts: ByCustomer<Option<ContactGaps>>,
    /// The buyer of the order written last (as the export named them, with its source) and
    /// the customer they resolved to: an export sorted by customer names the same buyer
    /// order after order, and every key of theirs is then known already.
    last_buyer: Option<(&'a CustomerIdentity, &'a str, i64)>,
    /// Stored orders of the sources in this import: source → order number → row id,
    /// loaded once instead of one query per order; the import's own orders join them.
    existing: OrderNumbers<'s>,
    /// Where the numbers in `existing` are kept.
    kept: &'s typed_arena::Arena<u8>,
    /// Whether the import's own orders join `existing` as they are written (for an order
    /// number given twice). Not while a streamed import's parts are written: its reader
    /// never passes one number on twice (it starts over the two-phase way instead), and a
    /// number given twice anyway breaks the table's `UNIQUE (source, external_id)`, which
    /// fails the write.
    keeps_numbers: bool,
    /// In a bulk load, every stored customer key (resolved to the surviving customer),
    /// read once instead of one query per new key.
    stored_keys: Option<KeyIndex>,
    /// A dry run whose line items cannot fail: they are not written.
    skip_lines: bool,
    /// First and last order instants of the customers this import's orders name; `None`
    /// in a dry run, or once an order was written twice (then the customers' dates are
    /// queried back, as they always were).
    dates: Option<OrderDates>,
    /// Stored orders this import updated.
    updated_orders: HashSet<i64>,
    /// The purchases written, gathered when the database held no customers and no orders
    /// before; `None` then once an order was written twice, a refund linked or two
    /// customers found to be one.
    written: Option<WrittenPurchases>,
    /// Customer ids from this one on were created by the import.
    first_new_customer: i64,
    /// Pairs of customers one order named keys of both, merged at the end of the import
    /// (the first is the one the order went to).
    same_person: HashSet<(i64, i64)>,
}

/// The customers and orders an import into an empty database creates, gathered as it
/// writes them: after its last order they are everything the database holds, so the
/// purchases need not be read back. Everything is taken while the writer has the order at
/// hand: read from the orders afterwards, scattered over the heap, it cost several times
/// as long.
struct WrittenPurchases {
    /// The customers created (in id order) and the orders created with a customer (in id
    /// order, but refund entries), each counted as the history reads it.
    history: HistoryBuilder,
    names: SharedNames,
}

impl WrittenPurchases {
    /// Gathering for an import of about `orders` orders.
    fn new(orders: usize) -> WrittenPurchases {
        WrittenPurchases {
            history: HistoryBuilder::growing(orders, orders),
            names: SharedNames::default(),
        }
    }

    /// Counts new customer `id`.
    fn add_customer(&mut self, id: CustomerId) {
        self.history.add_customer(id);
    }

    /// Counts `stored`, the purchase `order` makes. `false` when its customer is not one of
    /// the import's (then the purchases must be read back).
    fn add_order(&mut self, stored: StoredPurchase, order: &NewOrder) -> bool {
        if !self.history.knows(stored.customer) {
            return false;
        }
        if let Some(first) = self.history.add(&stored) {
            *first = Acquisition {
                first_placed_utc: stored.placed_utc,
                channel: self
                    .names
                    .get(order.channel.as_deref().unwrap_or(&order.source)),
                coupon: order
                    .coupon_code
                    .as_deref()
                    .filter(|c| !c.trim().is_empty())
                    .map(str::to_owned),
                source: self.names.get(&order.source),
            };
        }
        true
    }

    /// What [`Store::purchase_history`] will read once the import is committed.
    fn history(self) -> PurchaseHistory {
        self.history.finish()
    }
}

impl<'s, 'a> Writer<'_, '_, 's, 'a> {
    /// Stores one order (or refund entry); `refunded_customer` is the customer of the order
    /// a refund entry refunds (`Some(None)`: a guest's order), which the refund belongs to
    /// whoever its row names.
    fn order(
        &mut self,
        order: &'a NewOrder,
        refund_of: Option<i64>,
        refunded_customer: Option<Option<i64>>,
    ) -> rusqlite::Result<()> {
        let customer_id = match refunded_customer {
            Some(Some(id)) => Some(id),
            Some(None) => {
                self.outcome.guest_orders += 1;
                None
            }
            None if order.customer.is_guest() => {
                self.outcome.guest_orders += 1;
                None
            }
            None => Some(self.customer(&order.customer, &order.source)?),
        };
        let stored_id = self
            .existing
            .get(order.source.as_str())
            .and_then(|by_number| by_number.get(order.external_id.as_str()))
            .copied();
        let upsert = self.upsert_order(order, stored_id, customer_id, refund_of)?;
        if !matches!(upsert.1, Upsert::Unchanged)
            && let (Some(dates), Some(customer)) = (&mut self.dates, customer_id)
        {
            dates.add(customer, order.placed_utc.timestamp());
        }
        match (&upsert.1, customer_id, &mut self.written) {
            (Upsert::Created, Some(customer), Some(written)) => {
                if order.status != REFUND_STATUS {
                    let stored = StoredPurchase {
                        customer: CustomerId(customer),
                        day: Some(order.local_date),
                        value_cents: order.net_cents(),
                        refunded: order.refunded_cents > 0,
                        placed_utc: order.placed_utc.timestamp(),
                    };
                    if !written.add_order(stored, order) {
                        self.written = None;
                    }
                }
            }
            (Upsert::Created, None, _) | (_, _, None) => {}
            // An order written twice: what it finally holds is read back.
            _ => self.written = None,
        }
        match upsert {
            (id, Upsert::Created) => {
                self.outcome.orders_created += 1;
                if self.keeps_numbers {
                    self.keep_number(&order.source, &order.external_id, id);
                }
            }
            (_, Upsert::Updated) => self.outcome.orders_updated += 1,
            (_, Upsert::Unchanged) => self.outcome.orders_unchanged += 1,
        }
        Ok(())
    }

    /// Notes that order `number` of `source` is row `id` (for a later order of the same
    /// number).
    fn keep_number(&mut self, source: &str, number: &str, id: i64) {
        if !self.existing.contains_key(source) {
            self.existing
                .insert(self.kept.alloc_str(source), HashMap::default());
        }
        if let Some(by_number) = self.existing.get_mut(source) {
            by_number.insert(self.kept.alloc_str(number), id);
        }
    }

    /// Adds the orders this import has written to `existing` (read back), and keeps adding
    /// them from now on.
    fn keep_own_numbers(&mut self) -> rusqlite::Result<()> {
        self.flush_orders()?;
        let mut stmt = self
            .tx
            .prepare("SELECT source, external_id, id FROM orders WHERE import_id = ?1")?;
        let mut rows = stmt.query([self.import_id.0])?;
        while let Some(row) = rows.next()? {
            let (source, number) = (row.get_ref(0)?.as_str()?, row.get_ref(1)?.as_str()?);
            self.keep_number(source, number, row.get(2)?);
        }
        self.keeps_numbers = true;
        Ok(())
    }

    /// A refund of an order from an earlier import: stored as a refund entry linked to it
    /// (under its customer when the refund row names nobody), or unlinked if it is unknown.
    fn refund(&mut self, refund: &'a RefundOfOrder) -> rusqlite::Result<()> {
        self.written = None;
        // An earlier refund entry of this import may be the order refunded.
        self.flush_orders()?;
        let target: Option<(i64, Option<i64>)> = self
            .tx
            .prepare_cached(
                "SELECT id, customer_id FROM orders
                 WHERE source = ?1 AND (external_id = ?2 OR alt_external_id = ?2 OR external_id = ?3
                                        OR alt_external_id = ?3)
                 ORDER BY id LIMIT 1",
            )?
            .query_row(
                params![
                    refund.entry.source,
                    refund.external_id,
                    refund.alt_id.as_deref().unwrap_or("\u{0}")
                ],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((order_id, target_customer)) = target else {
            // Its sale is not stored yet: the number waits for the import that brings it.
            self.order(&refund.entry, None, None)?;
            self.flush_orders()?;
            return self
                .tx
                .prepare_cached(
                    "UPDATE orders SET refund_of_number = ?3 WHERE source = ?1 AND external_id = ?2",
                )?
                .execute(params![
                    refund.entry.source,
                    refund.entry.external_id,
                    refund.external_id
                ])
                .map(|_| ());
        };
        self.outcome.refunds_linked += 1;
        // The refund is the refunded order's customer's, whoever its row names: PayPal's
        // refund rows name the shop itself as the sender.
        self.order(&refund.entry, Some(order_id), Some(target_customer))
    }

    /// The customer for `who`: found by their strongest known key, or created.
    fn customer(&mut self, who: &'a CustomerIdentity, source: &'a str) -> rusqlite::Result<i64> {
        if let Some((last, last_source, id)) = self.last_buyer
            && last_source == source
            && *last == *who
        {
            // The same keys resolve to the same customer: only the contact check is left.
            self.check_contact(id, who)?;
            return Ok(id);
        }
        let id = self.customer_by_keys(who, source)?;
        self.last_buyer = Some((who, source, id));
        Ok(id)
    }

    /// The customer for `who` found by their keys (or created), their new keys queued.
    fn customer_by_keys(
        &mut self,
        who: &'a CustomerIdentity,
        source: &'a str,
    ) -> rusqlite::Result<i64> {
        let keys = identity_keys(who, source);
        let mut found = None;
        // Keys before `checked` are not in `known_keys`; the one at `checked` is when
        // `found_known`. Nothing below adds a key of one kind while another is looked at.
        let mut checked = 0;
        let mut found_known = false;
        for key in &keys {
            if let Some(id) = self.known_keys.get(key) {
                found = Some(id);
                found_known = true;
                break;
            }
            checked += 1;
            // Keys this import added are all in `known_keys`, so a key found here was stored
            // before the import: its customer is an existing one, matched.
            let stored = match &self.stored_keys {
                Some(preloaded) => preloaded.get(key),
                None => {
                    let mut stmt = self.tx.prepare_cached(
                        "SELECT customer_id FROM customer_keys WHERE kind = ?1 AND source = ?2 AND key = ?3",
                    )?;
                    // The key's owner, merged or not (see `stored_customer_keys`).
                    stmt.query_row(params![key.kind, key.source, key.key.as_ref()], |r| {
                        r.get::<_, i64>(0)
                    })
                    .optional()?
                }
            };
            if let Some(id) = stored {
                self.matched.insert(id);
                found = Some(id);
                break;
            }
        }
        let id = match found {
            Some(id) => {
                self.check_contact(id, who)?;
                id
            }
            None => {
                self.outcome.customers_created += 1;
                let id = Batches::next(&mut self.batches.next_customer_id)?;
                let gaps = self.batches.queue_customer(id, who, now_utc());
                if let Some(written) = &mut self.written {
                    written.add_customer(CustomerId(id));
                }
                self.contacts.insert(id, Some(gaps));
                id
            }
        };
        for (index, key) in keys.into_iter().enumerate() {
            let owner = match index.cmp(&checked) {
                std::cmp::Ordering::Less => None,
                std::cmp::Ordering::Equal if found_known => Some(id),
                std::cmp::Ordering::Equal => self.known_keys.get(&key),
                // Not looked at yet: a key of someone else makes the two one person.
                std::cmp::Ordering::Greater => self.owner_of(&key)?,
            };
            if let Some(owner) = owner {
                if owner != id && self.same_person.insert((id, owner)) {
                    // The purchases handed over would count them as two.
                    self.written = None;
                }
                continue;
            }
            self.known_keys
                .insert(key.kind, key.source, key.key.to_string(), id);
            self.batches.keys.push((id, key.kind, key.source, key.key));
            if self.batches.keys.len() == KEY_BATCH {
                self.batches.flush_keys(self.tx, self.import_id)?;
            }
        }
        Ok(id)
    }

    /// Links the refunds stored before their sale (an earlier import's refund file) to the
    /// sale this import brought, under the sale's customer; each one's state before is
    /// recorded, so undoing the import unlinks it again.
    fn link_waiting_refunds(&mut self) -> rusqlite::Result<()> {
        self.flush_orders()?;
        // No `ORDER BY` in SQL: with one, SQLite reads every order in id order instead of
        // the few waiting refunds from `orders_refund_waiting` (a full scan in every import).
        let mut waiting: Vec<(i64, i64, Option<i64>)> = self
            .tx
            .prepare_cached(WAITING_REFUNDS)?
            .query_map([REFUND_STATUS], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        // Refund by refund; of two sales one number names, the earlier.
        waiting.sort_unstable_by_key(|&(refund, sale, _)| (refund, sale));
        let mut linked = HashSet::default();
        for (refund, sale, customer) in waiting {
            // One sale per refund (a number both an order's and another's alternative).
            if !linked.insert(refund) {
                continue;
            }
            record_change(
                self.tx,
                self.import_id,
                "order",
                &refund.to_string(),
                &order_snapshot(self.tx, refund)?,
            )?;
            self.tx
                .prepare_cached(
                    "UPDATE orders SET refund_of = ?2, customer_id = coalesce(?3, customer_id),
                                       updated_import_id = ?4
                     WHERE id = ?1",
                )?
                .execute(params![refund, sale, customer, self.import_id.0])?;
            self.outcome.refunds_linked += 1;
            // The customers' purchases changed: they are read back.
            self.written = None;
            self.dates = None;
        }
        Ok(())
    }

    /// The customer a key belongs to: known to this import, or stored before it.
    fn owner_of(&mut self, key: &IdentityKey<'a>) -> rusqlite::Result<Option<i64>> {
        if let Some(id) = self.known_keys.get(key) {
            return Ok(Some(id));
        }
        match &self.stored_keys {
            Some(preloaded) => Ok(preloaded.get(key)),
            None => self
                .tx
                .prepare_cached(
                    "SELECT customer_id FROM customer_keys WHERE kind = ?1 AND source = ?2 AND key = ?3",
                )?
                .query_row(params![key.kind, key.source, key.key.as_ref()], |r| {
                    r.get::<_, i64>(0)
                })
                .optional(),
        }
    }

    /// Marks the stored orders of earlier imports that the file gives as cancelled or
    /// voided: nothing was kept of them (the whole amount counts as refunded). Undo puts
    /// them back as they were.
    fn cancel_stored(
        &mut self,
        source: &str,
        cancelled: &[(String, String)],
    ) -> rusqlite::Result<()> {
        for (number, status) in cancelled {
            // Looked up in the file, not in `existing`: an export of only cancellations
            // brings no orders whose source would have loaded it.
            let stored: Option<(i64, i64, String, i64, i64)> = self
                .tx
                .prepare_cached(
                    "SELECT id, import_id, status, gross_cents - discount_cents, net_cents
                     FROM orders WHERE source = ?1 AND external_id = ?2",
                )?
                .query_row(params![source, number], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })
                .optional()?;
            let Some((id, created_by, stored_status, paid, net)) = stored else {
                continue;
            };
            if created_by == self.import_id.0 || (stored_status == *status && net == 0) {
                continue;
            }
            if self.updated_orders.insert(id) {
                record_change(
                    self.tx,
                    self.import_id,
                    "order",
                    &id.to_string(),
                    &order_snapshot(self.tx, id)?,
                )?;
            }
            self.tx
                .prepare_cached(
                    "UPDATE orders SET status = ?2, refunded_cents = ?3, net_cents = 0,
                            updated_import_id = ?4
                     WHERE id = ?1",
                )?
                .execute(params![id, status, paid, self.import_id.0])?;
            self.outcome.orders_updated += 1;
            self.written = None;
        }
        Ok(())
    }

    /// Fills in what `who` adds to the record of a customer found again (on any of their
    /// orders, not only the first: a phone may come with the third). The record is read
    /// only when `who` may fill something it lacks.
    fn check_contact(&mut self, id: i64, who: &CustomerIdentity) -> rusqlite::Result<()> {
        let unchanged = match self.contacts.get(id) {
            Some(Some(gaps)) => gaps.unchanged_by(who),
            Some(None) => true,
            None => false,
        };
        if !unchanged {
            let gaps = self.fill_missing_contact(id, who)?;
            self.contacts.insert(id, gaps);
        }
        Ok(())
    }

    /// Adds contact details a later export knows and the customer record lacks; never
    /// overwrites what the owner (or an earlier import) already has. The record as it was is
    /// kept for undo when anything changes.
    /// Returns what the record still lacks afterwards, or `None` when it is erased.
    fn fill_missing_contact(
        &mut self,
        id: i64,
        who: &CustomerIdentity,
    ) -> rusqlite::Result<Option<ContactGaps>> {
        // The customer may still be queued: written now, dated at the end.
        if let Some(dates) = &mut self.dates {
            dates
                .undated
                .extend(self.batches.customers.iter().map(|row| row.id));
        }
        self.batches
            .flush_customers(self.tx, self.import_id, None)?;
        let current: Option<CustomerContact> = self
            .tx
            .prepare_cached(
                "SELECT display_name, email, phone, postcode, marketing_consent, created_import_id,
                        birthday
                 FROM customers WHERE id = ?1 AND erased_utc IS NULL",
            )?
            .query_row([id], |r| {
                Ok(CustomerContact {
                    display_name: r.get(0)?,
                    email: r.get(1)?,
                    phone: r.get(2)?,
                    postcode: r.get(3)?,
                    marketing_consent: r.get(4)?,
                    created_import_id: r.get(5)?,
                    birthday: r.get(6)?,
                })
            })
            .optional()?;
        let Some(current) = current else {
            return Ok(None);
        };
        let mut next = current.clone();
        if next.display_name.is_empty() {
            next.display_name = display_name(who);
        }
        next.email = next.email.or_else(|| trimmed(&who.email));
        next.phone = next.phone.or_else(|| trimmed(&who.phone));
        next.postcode = next.postcode.or_else(|| trimmed(&who.postcode));
        next.birthday = next.birthday.or_else(|| trimmed(&who.birthday));
        if let Some(consent) = who.marketing_consent {
            next.marketing_consent = consent;
        }
        let gaps = ContactGaps::of_record(&next);
        if next == current {
            return Ok(Some(gaps));
        }
        let own = current.created_import_id == Some(self.import_id.0);
        if !own && self.recorded.insert(id) {
            record_change(
                self.tx,
                self.import_id,
                "customer",
                &id.to_string(),
                &current.to_json(),
            )?;
        }
        self.tx
            .prepare_cached(
                "UPDATE customers SET display_name = ?2, email = ?3, phone = ?4, postcode = ?5,
                                      marketing_consent = ?6, birthday = ?7
                 WHERE id = ?1",
            )?
            .execute(params![
                id,
                next.display_name,
                next.email,
                next.phone,
                next.postcode,
                next.marketing_consent,
                next.birthday
            ])?;
        Ok(Some(gaps))
    }

    /// Queues the line items of order `order_id`, writing full batches.
    fn add_lines(&mut self, order_id: i64, order: &'a NewOrder) -> rusqlite::Result<()> {
        if self.skip_lines {
            return Ok(());
        }
        for (line_no, line) in order.lines.iter().enumerate() {
            self.batches.lines.push((
                order_id,
                i64::try_from(line_no + 1).unwrap_or(i64::MAX),
                line,
            ));
            if self.batches.lines.len() == LINE_BATCH {
                self.batches.flush_lines(self.tx)?;
            }
        }
        Ok(())
    }

    /// Writes the queued orders and line items (for a query that reads them).
    fn flush_orders(&mut self) -> rusqlite::Result<()> {
        self.batches.flush_orders_and_lines(self.tx, self.import_id)
    }

    /// Writes everything still queued, parents first; new customers with their first and
    /// last order when those are known.
    fn finish(&mut self) -> rusqlite::Result<()> {
        self.batches
            .flush_customers(self.tx, self.import_id, self.dates.as_ref())?;
        self.batches.flush_keys(self.tx, self.import_id)?;
        self.batches.flush_orders_and_lines(self.tx, self.import_id)
    }
}

impl<'t, 'c, 's, 'a> Writer<'t, 'c, 's, 'a> {
    /// This writer, ready for orders that live as long as `'b`: what it queued from the
    /// orders so far (their keys, rows and line items) is written first, and the last
    /// buyer forgotten, so nothing it holds borrows from them any more. Between two parts
    /// of a streamed import.
    fn next_part<'b>(mut self) -> rusqlite::Result<Writer<'t, 'c, 's, 'b>> {
        self.batches.flush_keys(self.tx, self.import_id)?;
        self.flush_orders()?;
        let Writer {
            tx,
            batches,
            import_id,
            outcome,
            known_keys,
            matched,
            recorded,
            contacts,
            last_buyer: _,
            existing,
            kept,
            keeps_numbers,
            stored_keys,
            skip_lines,
            dates,
            updated_orders,
            written,
            first_new_customer,
            same_person,
        } = self;
        Ok(Writer {
            tx,
            batches: batches.emptied(),
            import_id,
            outcome,
            known_keys,
            matched,
            recorded,
            contacts,
            last_buyer: None,
            existing,
            kept,
            keeps_numbers,
            stored_keys,
            skip_lines,
            dates,
            updated_orders,
            written,
            first_new_customer,
            same_person,
        })
    }
}

/// `queue` emptied, as a queue of rows that borrow from something else; its memory is kept
/// (an in-place collect: the two row types differ only in a lifetime).
fn emptied<T, U>(queue: Vec<T>) -> Vec<U> {
    queue.into_iter().filter_map(|_| None).collect()
}

/// A value per customer the import writes for: in a vector for the customers it creates
/// (their ids run on without gaps from the first new one: an index instead of a hash
/// lookup, and read in id order when they are written), in a map for stored customers.
struct ByCustomer<T> {
    /// Customer ids from this one on were created by the import.
    first_new_customer: i64,
    new_customers: Vec<Option<T>>,
    stored_customers: HashMap<i64, T>,
}

impl<T> ByCustomer<T> {
    /// Values for the customers from `first_new_customer` on, with room for
    /// `new_customers_at_most` of them.
    fn new(first_new_customer: i64, new_customers_at_most: usize) -> ByCustomer<T> {
        ByCustomer {
            first_new_customer,
            new_customers: Vec::with_capacity(new_customers_at_most),
            stored_customers: HashMap::default(),
        }
    }

    /// Where a new customer's value is kept; `None` for a stored customer.
    fn new_index(&self, customer: i64) -> Option<usize> {
        usize::try_from(customer.checked_sub(self.first_new_customer)?).ok()
    }

    fn get(&self, customer: i64) -> Option<&T> {
        match self.new_index(customer) {
            Some(index) => self.new_customers.get(index)?.as_ref(),
            None => self.stored_customers.get(&customer),
        }
    }

    fn get_mut(&mut self, customer: i64) -> Option<&mut T> {
        match self.new_index(customer) {
            Some(index) => self.new_customers.get_mut(index)?.as_mut(),
            None => self.stored_customers.get_mut(&customer),
        }
    }

    fn insert(&mut self, customer: i64, value: T) {
        match self.new_index(customer) {
            Some(index) => {
                if index >= self.new_customers.len() {
                    self.new_customers.resize_with(index + 1, || None);
                }
                self.new_customers[index] = Some(value);
            }
            None => {
                self.stored_customers.insert(customer, value);
            }
        }
    }
}

/// Customers' first and last order instants, gathered from the orders an import writes, so
/// they need not be queried back: exact for the customers the import creates (all their
/// orders are its own), recomputed from the table for customers stored before.
struct OrderDates {
    /// Customer → (first, last) `placed_utc` of the orders written for them.
    by_customer: ByCustomer<(i64, i64)>,
    /// New customers written before their dates were known.
    undated: Vec<i64>,
}

impl OrderDates {
    fn new(first_new_customer: i64, customers_at_most: usize) -> OrderDates {
        OrderDates {
            by_customer: ByCustomer::new(first_new_customer, customers_at_most),
            undated: Vec::new(),
        }
    }

    fn add(&mut self, customer: i64, placed_utc: i64) {
        match self.by_customer.get_mut(customer) {
            Some(dates) => {
                dates.0 = dates.0.min(placed_utc);
                dates.1 = dates.1.max(placed_utc);
            }
            None => self.by_customer.insert(customer, (placed_utc, placed_utc)),
        }
    }

    fn of(&self, customer: i64) -> Option<(i64, i64)> {
        self.by_customer.get(customer).copied()
    }

    /// What [`refresh_order_dates`] would write, for the customers not written with it.
    fn write(self, tx: &Transaction<'_>) -> rusqlite::Result<()> {
        let mut set = tx.prepare(
            "UPDATE customers SET first_order_utc = ?2, last_order_utc = ?3 WHERE id = ?1",
        )?;
        for id in &self.undated {
            if let Some((first, last)) = self.of(*id) {
                set.execute(params![id, first, last])?;
            }
        }
        let mut stored: Vec<i64> = self.by_customer.stored_customers.keys().copied().collect();
        stored.sort_unstable();
        let mut refresh = tx.prepare(
            "UPDATE customers SET
                first_order_utc = (SELECT min(placed_utc) FROM orders WHERE customer_id = ?1),
                last_order_utc  = (SELECT max(placed_utc) FROM orders WHERE customer_id = ?1)
             WHERE id = ?1",
        )?;
        for id in stored {
            refresh.execute([id])?;
        }
        Ok(())
    }
}
/// The contact columns an import may fill in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CustomerContact {
    pub(crate) display_name: String,
    pub(crate) email: Option<String>,
    pub(crate) phone: Option<String>,
    pub(crate) postcode: Option<String>,
    pub(crate) marketing_consent: bool,
    pub(crate) created_import_id: Option<i64>,
    pub(crate) birthday: Option<String>,
}

impl CustomerContact {
    fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "display_name": self.display_name,
            "email": self.email,
            "phone": self.phone,
            "postcode": self.postcode,
            "marketing_consent": self.marketing_consent,
            "birthday": self.birthday,
        })
    }
}

fn display_name(who: &CustomerIdentity) -> String {
    display_name_str(who).unwrap_or("").to_owned()
}

/// The name shown for a new customer: their name, else e-mail, username or platform id.
fn display_name_str(who: &CustomerIdentity) -> Option<&str> {
    trimmed_str(&who.name)
        .or_else(|| trimmed_str(&who.email))
        .or_else(|| trimmed_str(&who.username))
        .or_else(|| trimmed_str(&who.platform_id))
        .or_else(|| trimmed_str(&who.phone))
}

fn trimmed(value: &Option<String>) -> Option<String> {
    trimmed_str(value).map(str::to_owned)
}

fn trimmed_str(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

enum Upsert {
    Created,
    Updated,
    Unchanged,
}

/// The stored fields of an order that decide whether a re-import changed it.
#[derive(PartialEq)]
struct StoredOrder {
    customer_id: Option<i64>,
    placed_utc: i64,
    gross_cents: i64,
    discount_cents: i64,
    refunded_cents: i64,
    shipping_cents: i64,
    tax_cents: i64,
    status: String,
    coupon_code: Option<String>,
    refund_of: Option<i64>,
}

impl<'s, 'a> Writer<'_, '_, 's, 'a> {
    /// Inserts the order, or updates the stored one (`stored_id`, found by `(source,
    /// external_id)`) when anything differs, recording it as it was; line items are
    /// replaced with a changed order. Returns the order's row id.
    fn upsert_order(
        &mut self,
        order: &'a NewOrder,
        stored_id: Option<i64>,
        customer_id: Option<i64>,
        refund_of: Option<i64>,
    ) -> rusqlite::Result<(i64, Upsert)> {
        let tx = self.tx;
        let import_id = self.import_id;
        if stored_id.is_some() {
            // The stored order may be one this import queued (an order number given twice).
            self.flush_orders()?;
        }
        let existing: Option<(i64, i64, StoredOrder)> = match stored_id {
            None => None,
            Some(id) => tx
                .prepare_cached(
                    "SELECT id, import_id, customer_id, placed_utc, gross_cents, discount_cents, refunded_cents,
                            shipping_cents, tax_cents, status, coupon_code, refund_of
                     FROM orders WHERE id = ?1",
                )?
                .query_row([id], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        StoredOrder {
                            customer_id: r.get(2)?,
                            placed_utc: r.get(3)?,
                            gross_cents: r.get(4)?,
                            discount_cents: r.get(5)?,
                            refunded_cents: r.get(6)?,
                            shipping_cents: r.get(7)?,
                            tax_cents: r.get(8)?,
                            status: r.get(9)?,
                            coupon_code: r.get(10)?,
                            refund_of: r.get(11)?,
                        },
                    ))
                })
                .optional()?,
        };
        let placed_utc = order.placed_utc.timestamp();
        if let Some((id, created_by, _)) = &existing
            && (*created_by == import_id.0 || !self.updated_orders.insert(*id))
        {
            // An order written twice: its first customer and instant may no longer hold.
            self.dates = None;
        }
        let Some((id, created_by, stored)) = existing else {
            let order_id = Batches::next(&mut self.batches.next_order_id)?;
            self.batches
                .orders
                .push((order_id, order, customer_id, refund_of));
            if self.batches.orders.len() == ORDER_BATCH {
                self.batches.flush_orders(tx, import_id)?;
            }
            self.add_lines(order_id, order)?;
            return Ok((order_id, Upsert::Created));
        };
        // A refund never goes away through a newer export: one that stops before the
        // refund (or leaves its refund row out) restates the sale, not that nothing was
        // given back. Only as much as the order came to can stay refunded.
        let refunded_cents = order.refunded_cents.max(
            stored
                .refunded_cents
                .min(order.gross_cents - order.discount_cents),
        );
        let refund_kept = refunded_cents > order.refunded_cents;
        let incoming = StoredOrder {
            customer_id,
            placed_utc,
            gross_cents: order.gross_cents,
            discount_cents: order.discount_cents,
            refunded_cents,
            shipping_cents: order.shipping_cents,
            tax_cents: order.tax_cents,
            status: order.status.clone(),
            coupon_code: order.coupon_code.clone(),
            refund_of: refund_of.or(stored.refund_of),
        };
        if incoming == stored {
            return Ok((id, Upsert::Unchanged));
        }
        if created_by != import_id.0 {
            record_change(
                tx,
                import_id,
                "order",
                &id.to_string(),
                &order_snapshot(tx, id)?,
            )?;
        }
        tx.prepare_cached(
            "UPDATE orders SET customer_id = ?2, placed_utc = ?3, local_date = ?4,
                    utc_offset_minutes = ?5, currency = ?6, gross_cents = ?7,
                    discount_cents = ?8, refunded_cents = ?9, net_cents = ?10,
                    refunded_utc = CASE WHEN ?20 THEN refunded_utc ELSE ?11 END, coupon_code = ?12, status = ?13, channel = ?14,
                    updated_import_id = ?15, shipping_cents = ?16, tax_cents = ?17,
                    alt_external_id = ?18, refund_of = ?19
             WHERE id = ?1",
        )?
        .execute(params![
            id,
            customer_id,
            placed_utc,
            DateText::of(order.local_date),
            order.utc_offset_minutes,
            order.currency.code(),
            order.gross_cents,
            order.discount_cents,
            refunded_cents,
            order.gross_cents - order.discount_cents - refunded_cents,
            order.refunded_utc.map(|t| t.timestamp()),
            order.coupon_code,
            order.status,
            order.channel,
            import_id.0,
            order.shipping_cents,
            order.tax_cents,
            order.alt_external_id,
            incoming.refund_of,
            refund_kept,
        ])?;
        tx.prepare_cached("DELETE FROM order_lines WHERE order_id = ?1")?
            .execute([id])?;
        self.add_lines(id, order)?;
        Ok((id, Upsert::Updated))
    }
}

/// A date as `NaiveDate`'s `Display` writes it (`2025-03-31`), bound without allocating
/// for the years 0–9999 every real order has.
enum DateText {
    Short([u8; 10]),
    Other(String),
}

impl DateText {
    fn of(date: chrono::NaiveDate) -> DateText {
        use chrono::Datelike as _;
        let (year, month, day) = (date.year(), date.month(), date.day());
        let Ok(year) = u32::try_from(year) else {
            return DateText::Other(date.to_string());
        };
        if year > 9999 {
            return DateText::Other(date.to_string());
        }
        let digit = |n: u32| b'0' + (n % 10) as u8;
        DateText::Short([
            digit(year / 1000),
            digit(year / 100),
            digit(year / 10),
            digit(year),
            b'-',
            digit(month / 10),
            digit(month),
            b'-',
            digit(day / 10),
            digit(day),
        ])
    }
}

impl rusqlite::ToSql for DateText {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(ValueRef::Text(match self {
            DateText::Short(bytes) => bytes,
            DateText::Other(text) => text.as_bytes(),
        })))
    }
}

/// The stored orders of every source in this import (`incoming`: source → about how many
/// orders are coming), by order number.
fn existing_orders<'s>(
    tx: &Transaction<'_>,
    kept: &'s typed_arena::Arena<u8>,
    incoming: HashMap<&str, usize>,
) -> rusqlite::Result<OrderNumbers<'s>> {
    // Sized for the stored orders and this import's, so the map never grows mid-import.
    let mut existing: OrderNumbers<'s> = HashMap::default();
    let mut count = tx.prepare_cached("SELECT count(*) FROM orders WHERE source = ?1")?;
    let mut stmt = tx.prepare_cached("SELECT external_id, id FROM orders WHERE source = ?1")?;
    for (source, n) in incoming {
        let stored: i64 = count.query_row([source], |r| r.get(0))?;
        let by_number = existing.entry(kept.alloc_str(source)).or_default();
        by_number.reserve(n + usize::try_from(stored).unwrap_or(0));
        let mut rows = stmt.query([source])?;
        while let Some(row) = rows.next()? {
            let external_id = row.get_ref(0)?.as_str()?;
            by_number.insert(kept.alloc_str(external_id), row.get(1)?);
        }
    }
    Ok(existing)
}

/// Order row ids by source and order number.
type OrderNumbers<'s> = HashMap<&'s str, HashMap<&'s str, i64>>;

/// The order columns an import can change, with its lines, as JSON.
pub(crate) const ORDER_SNAPSHOT_COLUMNS: [&str; 18] = [
    "customer_id",
    "placed_utc",
    "local_date",
    "utc_offset_minutes",
    "currency",
    "gross_cents",
    "discount_cents",
    "refunded_cents",
    "net_cents",
    "refunded_utc",
    "coupon_code",
    "status",
    "channel",
    "updated_import_id",
    "shipping_cents",
    "tax_cents",
    "alt_external_id",
    "refund_of",
];

fn order_snapshot(tx: &Transaction<'_>, id: i64) -> rusqlite::Result<serde_json::Value> {
    let sql = format!(
        "SELECT {} FROM orders WHERE id = ?1",
        ORDER_SNAPSHOT_COLUMNS.join(", ")
    );
    let mut snapshot = tx.query_row(&sql, [id], |r| {
        let mut map = serde_json::Map::new();
        for (i, column) in ORDER_SNAPSHOT_COLUMNS.iter().enumerate() {
            map.insert((*column).to_owned(), sql_to_json(r.get_ref(i)?));
        }
        Ok(serde_json::Value::Object(map))
    })?;
    let mut stmt = tx.prepare_cached(
        "SELECT line_no, sku, name, quantity, unit_price_cents, total_cents, refunded_cents
         FROM order_lines WHERE order_id = ?1 ORDER BY line_no",
    )?;
    let lines = stmt
        .query_map([id], |r| {
            Ok(serde_json::json!([
                r.get::<_, i64>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, f64>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, i64>(6)?
            ]))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    snapshot["lines"] = serde_json::Value::Array(lines);
    Ok(snapshot)
}

fn sql_to_json(value: rusqlite::types::ValueRef<'_>) -> serde_json::Value {
    use rusqlite::types::ValueRef;
    match value {
        ValueRef::Null => serde_json::Value::Null,
        ValueRef::Integer(i) => serde_json::Value::from(i),
        ValueRef::Real(f) => serde_json::Value::from(f),
        ValueRef::Text(t) => serde_json::Value::from(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => serde_json::Value::from(b.to_vec()),
    }
}

/// Line items are inserted [`LINE_BATCH`] at a time in one multi-row statement: a large
/// import writes a million lines, and one statement per line was most of its cost.
const LINE_BATCH: usize = 64;

const LINE_INSERT_HEAD: &str = "INSERT OR FAIL INTO order_lines (order_id, line_no, sku, name, quantity, unit_price_cents, total_cents) VALUES ";

/// Recomputes first/last order instants of every customer this import touched.
fn refresh_order_dates(tx: &Transaction<'_>, import_id: ImportId) -> rusqlite::Result<()> {
    tx.execute(
        "UPDATE customers SET
            first_order_utc = (SELECT min(placed_utc) FROM orders WHERE customer_id = customers.id),
            last_order_utc  = (SELECT max(placed_utc) FROM orders WHERE customer_id = customers.id)
         WHERE id IN (SELECT customer_id FROM orders
                      WHERE (import_id = ?1 OR updated_import_id = ?1) AND customer_id IS NOT NULL)",
        [import_id.0],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone as _, Utc};

    use super::*;
    use crate::domain::{Currency, NewOrderLine};

    pub(crate) fn order(
        id: &str,
        email: Option<&str>,
        name: Option<&str>,
        cents: i64,
        day: u32,
    ) -> NewOrder {
        let customer = CustomerIdentity {
            email: email.map(Into::into),
            name: name.map(Into::into),
            ..CustomerIdentity::default()
        };
        let placed = Utc.with_ymd_and_hms(2025, 3, day, 10, 0, 0).unwrap();
        let mut order = NewOrder::paid("test", id, customer, placed, Currency::EUR, cents);
        order.lines = vec![NewOrderLine {
            sku: Some("SKU1".into()),
            name: "Coffee beans".into(),
            quantity: 1.0,
            unit_price_cents: cents,
            total_cents: cents,
        }];
        order
    }

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("o.sqlite")).unwrap();
        (dir, store)
    }

    fn count(store: &Store, sql: &str) -> i64 {
        store.conn().query_row(sql, [], |r| r.get(0)).unwrap()
    }

    fn write(store: &mut Store, orders: &[NewOrder]) -> WriteOutcome {
        store
            .write_import(&NewImport::default(), orders, &[], &mut |_| true)
            .unwrap()
    }

    #[test]
    fn a_multi_row_insert_writes_any_number_of_rows_in_order_in_pieces_it_prepares_once() {
        let (_dir, mut store) = store();
        let tx = store.conn_mut().transaction().unwrap();
        tx.execute_batch("CREATE TEMP TABLE t (n INTEGER, batch INTEGER, shared TEXT)")
            .unwrap();
        let mut insert = MultiInsert::with_shared(
            "INSERT INTO t (shared, batch, n) VALUES ",
            "(?1, ?2, ?)",
            8,
            2,
        );
        for rows in 0..=20_i64 {
            let items: Vec<i64> = (0..rows).collect();
            insert
                .run_all_sharing(
                    &tx,
                    &items,
                    |stmt| {
                        stmt.raw_bind_parameter(1, "s")?;
                        stmt.raw_bind_parameter(2, rows)
                    },
                    |stmt, i, n| stmt.raw_bind_parameter(i, n),
                )
                .unwrap();
            let written: Vec<(i64, String)> = tx
                .prepare("SELECT n, shared FROM t WHERE batch = ?1 ORDER BY rowid")
                .unwrap()
                .query_map([rows], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap();
            let expected: Vec<(i64, String)> = items.iter().map(|&n| (n, "s".to_owned())).collect();
            assert_eq!(written, expected, "{rows} rows");
        }
        // Pieces of 1, 2 and 4 rows besides the full batch of 8, each prepared once.
        let prepared: Vec<bool> = insert.pieces.iter().map(Option::is_some).collect();
        assert_eq!(prepared, vec![true, true, true]);
        assert!(insert.full.is_some());
    }

    #[test]
    fn the_waiting_refunds_are_found_through_their_index_not_a_scan_of_every_order() {
        let (_dir, mut store) = store();
        let orders: Vec<NewOrder> = (1..=50)
            .map(|i| order(&i.to_string(), Some("a@x.org"), None, 100, 1 + i % 28))
            .collect();
        write(&mut store, &orders);
        let plan: Vec<String> = store
            .conn()
            .prepare(&format!("EXPLAIN QUERY PLAN {WAITING_REFUNDS}"))
            .unwrap()
            .query_map([REFUND_STATUS], |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert!(
            plan.iter()
                .any(|step| step.contains("USING INDEX orders_refund_waiting")),
            "{plan:?}"
        );
        assert!(!plan.iter().any(|step| step == "SCAN r"), "{plan:?}");
    }

    #[test]
    fn every_column_is_stored_whichever_statement_writes_the_order() {
        let (_dir, mut store) = store();
        // Two full batches of plain orders (one source, currency and status), one batch
        // where a single order has a discount, one where the currency changes midway, and
        // a last partial batch: both statements, full and partial.
        let mut orders: Vec<NewOrder> = (0..ORDER_BATCH * 4 + 5)
            .map(|i| {
                let mut o = order(
                    &format!("N{i}"),
                    Some(&format!("c{}@x.com", i % 9)),
                    None,
                    100 + i as i64,
                    1 + (i % 28) as u32,
                );
                o.utc_offset_minutes = (i % 3 == 0).then_some(60);
                o
            })
            .collect();
        let discounted = &mut orders[ORDER_BATCH * 2 + 7];
        discounted.discount_cents = 15;
        discounted.shipping_cents = 490;
        discounted.tax_cents = 21;
        discounted.coupon_code = Some("SPRING".into());
        discounted.channel = Some("pos".into());
        discounted.alt_external_id = Some("ALT-1".into());
        orders[ORDER_BATCH * 3 + 3].currency = Currency::USD;
        orders[ORDER_BATCH * 4 + 1].status = "voided".into();
        write(&mut store, &orders);
        let mut stmt = store
            .conn()
            .prepare(
                "SELECT o.source, o.currency, o.status, o.placed_utc, o.local_date,
                        o.utc_offset_minutes, o.gross_cents, o.discount_cents,
                        o.refunded_cents, o.net_cents, o.shipping_cents, o.tax_cents,
                        o.coupon_code, o.channel, o.alt_external_id, o.refunded_utc,
                        o.refund_of, o.import_id, c.email
                 FROM orders o JOIN customers c ON c.id = o.customer_id
                 WHERE o.external_id = ?1",
            )
            .unwrap();
        for order in &orders {
            let stored = stmt
                .query_row([&order.external_id], |r| {
                    Ok((
                        (
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, i64>(3)?,
                            r.get::<_, String>(4)?,
                            r.get::<_, Option<i32>>(5)?,
                        ),
                        (
                            r.get::<_, i64>(6)?,
                            r.get::<_, i64>(7)?,
                            r.get::<_, i64>(8)?,
                            r.get::<_, i64>(9)?,
                            r.get::<_, i64>(10)?,
                            r.get::<_, i64>(11)?,
                        ),
                        (
                            r.get::<_, Option<String>>(12)?,
                            r.get::<_, Option<String>>(13)?,
                            r.get::<_, Option<String>>(14)?,
                            r.get::<_, Option<i64>>(15)?,
                            r.get::<_, Option<i64>>(16)?,
                            r.get::<_, i64>(17)?,
                            r.get::<_, String>(18)?,
                        ),
                    ))
                })
                .unwrap();
            let expected = (
                (
                    order.source.clone(),
                    order.currency.code().to_owned(),
                    order.status.clone(),
                    order.placed_utc.timestamp(),
                    order.local_date.to_string(),
                    order.utc_offset_minutes,
                ),
                (
                    order.gross_cents,
                    order.discount_cents,
                    order.refunded_cents,
                    order.net_cents(),
                    order.shipping_cents,
                    order.tax_cents,
                ),
                (
                    order.coupon_code.clone(),
                    order.channel.clone(),
                    order.alt_external_id.clone(),
                    None,
                    None,
                    1,
                    order.customer.email.clone().unwrap(),
                ),
            );
            assert_eq!(stored, expected, "order {}", order.external_id);
        }
    }

    #[test]
    fn same_email_in_any_case_is_one_customer_and_guests_stay_unlinked() {
        let (_dir, mut store) = store();
        let orders = vec![
            order("1", Some("Jane@Example.com"), Some("Jane"), 1000, 1),
            order("2", Some(" jane@example.com "), None, 2000, 5),
            order("3", None, None, 500, 6),
            order("4", None, Some("Bob Stone"), 700, 7),
        ];
        let outcome = write(&mut store, &orders);
        assert_eq!(outcome.orders_created, 4);
        assert_eq!(outcome.customers_created, 2);
        assert_eq!(outcome.customers_matched, 0);
        assert_eq!(outcome.guest_orders, 1);
        assert_eq!(count(&store, "SELECT count(*) FROM customers"), 2);
        assert_eq!(
            count(
                &store,
                "SELECT count(*) FROM orders WHERE customer_id IS NULL"
            ),
            1
        );
        assert_eq!(count(&store, "SELECT count(*) FROM order_lines"), 4);
        let first: i64 = count(
            &store,
            "SELECT first_order_utc FROM customers WHERE email = 'Jane@Example.com'",
        );
        assert_eq!(first, orders[0].placed_utc.timestamp());
    }

    #[test]
    fn reimport_updates_changed_orders_and_never_duplicates() {
        let (_dir, mut store) = store();
        let first = vec![
            order("1", Some("a@x.com"), None, 1000, 1),
            order("2", Some("b@x.com"), None, 2000, 2),
        ];
        write(&mut store, &first);
        let mut second = first.clone();
        second[1].refunded_cents = 500;
        second.push(order("3", Some("a@x.com"), None, 3000, 3));
        let outcome = write(&mut store, &second);
        assert_eq!(
            (
                outcome.orders_created,
                outcome.orders_updated,
                outcome.orders_unchanged
            ),
            (1, 1, 1)
        );
        assert_eq!(outcome.customers_created, 0);
        assert_eq!(outcome.customers_matched, 2);
        assert_eq!(count(&store, "SELECT count(*) FROM orders"), 3);
        assert_eq!(
            count(&store, "SELECT sum(net_cents) FROM orders"),
            1000 + 1500 + 3000
        );
        assert_eq!(count(&store, "SELECT count(*) FROM order_lines"), 3);
        assert_eq!(
            count(
                &store,
                "SELECT count(*) FROM import_changes WHERE kind = 'order'"
            ),
            1
        );
    }

    fn checks_on_and_intact(store: &Store) {
        assert_eq!(count(store, "PRAGMA foreign_keys"), 1, "checks are back on");
        assert_eq!(count(store, "PRAGMA ignore_check_constraints"), 0);
        // Enforced again by a new statement, and by one the write prepared and the
        // connection's cache kept (`record_change`'s, whose OR IGNORE skips a failing row).
        let bogus_change = store
            .conn()
            .prepare_cached(
                "INSERT OR IGNORE INTO import_changes (import_id, kind, key, before_json) VALUES (?1, ?2, ?3, ?4)",
            )
            .unwrap()
            .execute(params![
                count(store, "SELECT max(id) FROM imports"),
                "bogus",
                "k",
                "{}"
            ])
            .unwrap();
        assert_eq!(bogus_change, 0, "a change of an unknown kind is refused");
        let violation = store.conn().execute(
            "UPDATE customers SET marketing_consent = 2 WHERE id = (SELECT min(id) FROM customers)",
            [],
        );
        assert!(
            matches!(&violation, Err(e) if e.to_string().contains("CHECK")),
            "{violation:?}"
        );
        let every_row_checks: i64 = store
            .conn()
            .query_row(
                "SELECT (SELECT count(*) FROM orders WHERE length(currency) <> 3)
                      + (SELECT count(*) FROM customers WHERE marketing_consent NOT IN (0, 1))",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(every_row_checks, 0);
        assert_eq!(
            count(store, "PRAGMA wal_autocheckpoint"),
            WAL_AUTOCHECKPOINT_PAGES,
            "later commits checkpoint again"
        );
        let violations: i64 = store
            .conn()
            .prepare("PRAGMA foreign_key_check")
            .unwrap()
            .query_map([], |_| Ok(()))
            .unwrap()
            .count() as i64;
        assert_eq!(violations, 0);
    }

    #[test]
    fn the_write_leaves_every_reference_valid_and_every_check_back_on() {
        let (_dir, mut store) = store();
        // Enough orders for a bulk load (indexes dropped and rebuilt), a repeated customer,
        // a guest, and an order that a second import updates.
        let mut orders: Vec<NewOrder> = (0..BULK_ORDERS + 10)
            .map(|i| {
                order(
                    &i.to_string(),
                    (i % 7 != 0)
                        .then(|| format!("c{}@x.com", i % 500))
                        .as_deref(),
                    Some("Name"),
                    100 + i as i64,
                    1 + (i % 28) as u32,
                )
            })
            .collect();
        write(&mut store, &orders);
        checks_on_and_intact(&store);
        // The bulk load's pages were copied into the database file in the background.
        store.join_checkpoint();
        let pages = count(&store, "PRAGMA page_count") * count(&store, "PRAGMA page_size");
        let file = std::fs::metadata(store.path()).unwrap().len();
        assert_eq!(file as i64, pages, "every page is in the database file");
        orders[3].refunded_cents = 50;
        orders.truncate(10);
        let mut entry = order("R1", None, None, 0, 9);
        entry.refunded_cents = 20;
        let refund = RefundOfOrder {
            external_id: "5".into(),
            alt_id: None,
            amount_cents: 20,
            entry,
        };
        store
            .write_import(&NewImport::default(), &orders, &[refund], &mut |_| true)
            .unwrap();
        checks_on_and_intact(&store);
        let err = store
            .write_import(&NewImport::default(), &orders, &[], &mut |_| false)
            .unwrap_err();
        assert!(matches!(err, WriteError::Cancelled));
        checks_on_and_intact(&store);
    }

    /// Writes `orders` as one streamed import, `per_part` orders a part, then `refunds`.
    fn write_streamed(
        store: &mut Store,
        orders: &[NewOrder],
        per_part: usize,
        refunds: &[RefundOfOrder],
    ) -> Result<Option<WriteOutcome>, WriteError> {
        let mut parts = vec![ImportPart::Start {
            import: NewImport::default(),
            source: "test".into(),
            expected_orders: orders.len(),
        }];
        parts.extend(
            orders
                .chunks(per_part)
                .map(|part| ImportPart::Orders(part.to_vec())),
        );
        parts.push(ImportPart::End {
            import: NewImport::default(),
            refunds: refunds.to_vec(),
        });
        store.write_import_streamed(&mut parts.into_iter(), &mut drop, None)
    }

    /// An order as stored: number, customer, gross, refunded, status, the order it refunds.
    type OrderRow = (String, Option<i64>, i64, i64, String, Option<i64>);

    /// Every order as stored, in id order.
    fn stored_orders(store: &Store) -> Vec<OrderRow> {
        store
            .conn()
            .prepare(
                "SELECT external_id, customer_id, gross_cents, refunded_cents, status, refund_of
                 FROM orders ORDER BY id",
            )
            .unwrap()
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            })
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    #[test]
    fn an_order_number_two_streamed_parts_both_give_fails_the_write_and_leaves_nothing() {
        let (_dir, mut store) = store();
        let orders = [
            order("1", Some("a@x.com"), None, 100, 1),
            order("2", Some("b@x.com"), None, 200, 2),
            order("1", Some("a@x.com"), None, 150, 3),
        ];
        let err = write_streamed(&mut store, &orders, 2, &[]).unwrap_err();
        assert!(matches!(err, WriteError::Store(_)), "{err:?}");
        for table in [
            "orders",
            "order_lines",
            "customers",
            "customer_keys",
            "imports",
        ] {
            assert_eq!(count(&store, &format!("SELECT count(*) FROM {table}")), 0);
        }
        assert_eq!(count(&store, "PRAGMA foreign_keys"), 1, "checks back on");
        // Given whole, the second "1" updates the first.
        write(&mut store, &orders);
        assert_eq!(count(&store, "SELECT count(*) FROM orders"), 2);
    }

    #[test]
    fn a_streamed_refund_entry_bearing_a_number_the_parts_wrote_is_stored_as_a_whole_write_stores_it()
     {
        let orders: Vec<NewOrder> = (1..=5)
            .map(|n| order(&n.to_string(), Some("a@x.com"), None, 100 * n, n as u32))
            .collect();
        let refund = |number: &str| {
            let mut entry = order(number, Some("a@x.com"), None, 0, 9);
            entry.refunded_cents = 20;
            RefundOfOrder {
                external_id: "earlier".into(),
                alt_id: None,
                amount_cents: 20,
                entry,
            }
        };
        let refunds = [refund("4"), refund("R9")];
        let (_a, mut whole) = store();
        whole
            .write_import(&NewImport::default(), &orders, &refunds, &mut |_| true)
            .unwrap();
        let (_b, mut streamed) = store();
        write_streamed(&mut streamed, &orders, 2, &refunds)
            .unwrap()
            .unwrap();
        let stored = stored_orders(&streamed);
        assert_eq!(
            stored.len(),
            6,
            "order 4 taken over by its refund entry: {stored:?}"
        );
        assert_eq!(stored, stored_orders(&whole));
        checks_on_and_intact(&streamed);
    }

    #[test]
    fn a_later_order_fills_what_a_new_customer_lacked() {
        let (_dir, mut store) = store();
        let mut first = order("1", Some("a@x.com"), None, 100, 1);
        first.customer.marketing_consent = Some(true);
        let mut second = order("2", Some("a@x.com"), Some("Ann"), 100, 2);
        second.customer.phone = Some(" 555 ".into());
        let mut third = order("3", Some("b@x.com"), Some("Bo"), 100, 3);
        third.customer.marketing_consent = Some(true);
        let mut fourth = order("4", Some("b@x.com"), None, 100, 4);
        fourth.customer.marketing_consent = Some(false);
        write(&mut store, &[first, second, third, fourth]);
        let row = |email: &str| -> (String, Option<String>, bool) {
            store
                .conn()
                .query_row(
                    "SELECT display_name, phone, marketing_consent FROM customers WHERE email = ?1",
                    [email],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .unwrap()
        };
        assert_eq!(row("a@x.com"), ("a@x.com".into(), Some("555".into()), true));
        assert_eq!(row("b@x.com"), ("Bo".into(), None, false));
        assert_eq!(
            count(&store, "SELECT count(*) FROM import_changes"),
            0,
            "the import's own customers need no undo record"
        );
    }

    #[test]
    fn a_detail_only_a_buyers_third_order_gives_is_filled_in() {
        let (_dir, mut store) = store();
        // One buyer's orders in a row (the same identity again and again), then one that
        // adds a phone; and a buyer known from an earlier import, whose new details come on
        // their second order of this one.
        write(&mut store, &[order("0", Some("b@x.com"), None, 100, 1)]);
        let mut orders = vec![
            order("1", Some("a@x.com"), None, 100, 1),
            order("2", Some("a@x.com"), None, 100, 2),
            order("3", Some("b@x.com"), None, 100, 2),
            order("4", Some("b@x.com"), None, 100, 3),
        ];
        let mut with_phone = order("5", Some("a@x.com"), None, 100, 3);
        with_phone.customer.phone = Some("555".into());
        let mut with_postcode = order("6", Some("b@x.com"), None, 100, 4);
        with_postcode.customer.postcode = Some("AB1".into());
        orders.extend([with_phone, with_postcode]);
        write(&mut store, &orders);
        let details = |email: &str| -> (Option<String>, Option<String>) {
            store
                .conn()
                .query_row(
                    "SELECT phone, postcode FROM customers WHERE email = ?1",
                    [email],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .unwrap()
        };
        assert_eq!(details("a@x.com"), (Some("555".into()), None));
        assert_eq!(details("b@x.com"), (None, Some("AB1".into())));
        assert_eq!(count(&store, "SELECT count(*) FROM customers"), 2);
    }

    #[test]
    fn an_order_number_twice_in_one_import_is_one_order_updated_in_place() {
        let (_dir, mut store) = store();
        let mut again = order("1", Some("a@x.com"), None, 900, 3);
        again.lines[0].name = "Tea".into();
        // The repeat arrives while the first is still queued, among orders that are not.
        let mut orders = vec![order("1", Some("a@x.com"), None, 100, 1)];
        orders.extend((2..100).map(|i| order(&i.to_string(), Some("b@x.com"), None, 100, 2)));
        orders.push(again);
        let outcome = write(&mut store, &orders);
        assert_eq!((outcome.orders_created, outcome.orders_updated), (99, 1));
        assert_eq!(
            count(
                &store,
                "SELECT gross_cents FROM orders WHERE external_id = '1'"
            ),
            900
        );
        let name: String = store
            .conn()
            .query_row(
                "SELECT l.name FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.external_id = '1'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(name, "Tea");
        assert_eq!(count(&store, "SELECT count(*) FROM order_lines"), 99);
        assert_eq!(count(&store, "SELECT max(id) FROM orders"), 99);
        checks_on_and_intact(&store);
    }

    #[test]
    fn a_dry_run_counts_what_the_write_then_does_and_fails_where_it_fails() {
        let (_dir, mut store) = store();
        let mut orders: Vec<NewOrder> = (0..BULK_ORDERS + 5)
            .map(|i| {
                order(
                    &i.to_string(),
                    Some(&format!("c{}@x.com", i % 300)),
                    None,
                    100,
                    1 + (i % 28) as u32,
                )
            })
            .collect();
        write(&mut store, &orders[..10]);
        orders[3].gross_cents = 5;
        let dry = store
            .dry_run_import(&NewImport::default(), &orders, &[])
            .unwrap();
        assert_eq!(count(&store, "SELECT count(*) FROM orders"), 10);
        assert_eq!(
            count(
                &store,
                "SELECT count(*) FROM sqlite_schema WHERE type = 'index'"
            ),
            count(
                &store,
                "SELECT count(*) FROM sqlite_schema WHERE type = 'index'"
            ),
        );
        let indexes_before = count(
            &store,
            "SELECT count(*) FROM sqlite_schema WHERE type = 'index'",
        );
        let real = write(&mut store, &orders);
        assert_eq!(
            (
                dry.orders_created,
                dry.orders_updated,
                dry.orders_unchanged,
                dry.customers_created,
                dry.customers_matched
            ),
            (
                real.orders_created,
                real.orders_updated,
                real.orders_unchanged,
                real.customers_created,
                real.customers_matched
            )
        );
        assert_eq!(
            count(
                &store,
                "SELECT count(*) FROM sqlite_schema WHERE type = 'index'"
            ),
            indexes_before,
            "every index is back"
        );
        // A quantity SQLite refuses fails the dry run as it fails the write.
        let mut bad = order("bad", Some("z@x.com"), None, 100, 1);
        bad.lines[0].quantity = f64::NAN;
        assert!(
            store
                .dry_run_import(&NewImport::default(), std::slice::from_ref(&bad), &[])
                .is_err()
        );
        assert!(
            store
                .write_import(&NewImport::default(), &[bad], &[], &mut |_| true)
                .is_err()
        );
        checks_on_and_intact(&store);
    }

    #[test]
    fn a_row_refused_mid_statement_leaves_nothing_of_the_import() {
        // The multi-row inserts are `INSERT OR FAIL` (no statement journal): a refused row
        // keeps the rows before it in its statement, and the import's rollback removes them.
        let (_dir, mut store) = store();
        write(&mut store, &[order("0", Some("first@x.org"), None, 100, 1)]);
        let tables = [
            "orders",
            "order_lines",
            "customers",
            "customer_keys",
            "imports",
        ];
        let counts =
            |store: &Store| tables.map(|t| count(store, &format!("SELECT count(*) FROM {t}")));
        let before = counts(&store);
        let mut orders: Vec<NewOrder> = (1..=200)
            .map(|i| order(&i.to_string(), Some(&format!("c{i}@x.org")), None, 100, 2))
            .collect();
        // Line 150: past two full line statements and inside the third.
        orders[149].lines[0].quantity = f64::NAN;
        let failed = store.write_import(&NewImport::default(), &orders, &[], &mut |_| true);
        assert!(failed.is_err());
        assert_eq!(counts(&store), before);
        checks_on_and_intact(&store);
    }

    #[test]
    fn customers_first_and_last_orders_span_all_their_orders() {
        let (_dir, mut store) = store();
        let wrong = |store: &Store| {
            count(
                store,
                "SELECT count(*) FROM customers c
                 WHERE first_order_utc IS NOT (SELECT min(placed_utc) FROM orders WHERE customer_id = c.id)
                    OR last_order_utc IS NOT (SELECT max(placed_utc) FROM orders WHERE customer_id = c.id)",
            )
        };
        write(
            &mut store,
            &[
                order("1", Some("a@x.com"), None, 100, 10),
                order("2", Some("a@x.com"), None, 100, 3),
                order("3", Some("b@x.com"), None, 100, 5),
            ],
        );
        assert_eq!(wrong(&store), 0);
        // A stored customer's new order before their first, a new customer, and a stored
        // order moved to the new customer.
        let mut moved = order("3", Some("c@x.com"), None, 100, 5);
        moved.gross_cents = 90;
        write(
            &mut store,
            &[
                order("4", Some("a@x.com"), None, 100, 1),
                order("5", Some("c@x.com"), None, 100, 20),
                moved,
            ],
        );
        let first_a: i64 = count(
            &store,
            "SELECT first_order_utc FROM customers WHERE email = 'a@x.com'",
        );
        assert_eq!(first_a, order("4", None, None, 0, 1).placed_utc.timestamp());
        let c = |column: &str| {
            count(
                &store,
                &format!("SELECT {column} FROM customers WHERE email = 'c@x.com'"),
            )
        };
        assert_eq!(
            c("first_order_utc"),
            order("3", None, None, 0, 5).placed_utc.timestamp()
        );
        assert_eq!(
            c("last_order_utc"),
            order("5", None, None, 0, 20).placed_utc.timestamp()
        );
        assert_eq!(
            count(
                &store,
                "SELECT count(*) FROM customers WHERE email = 'b@x.com' AND first_order_utc IS NOT NULL"
            ),
            1,
            "a customer this import does not name keeps their dates"
        );
        // An order number twice in one import, the second time for another customer.
        let mut twice = vec![
            order("6", Some("d@x.com"), None, 100, 7),
            order("6", Some("e@x.com"), None, 100, 8),
        ];
        twice[1].gross_cents = 50;
        write(&mut store, &twice);
        assert_eq!(
            count(
                &store,
                "SELECT last_order_utc FROM customers WHERE email = 'e@x.com'"
            ),
            order("6", None, None, 0, 8).placed_utc.timestamp()
        );
    }

    #[test]
    fn cancelled_write_leaves_nothing() {
        let (_dir, mut store) = store();
        let orders: Vec<NewOrder> = (0..2000)
            .map(|i| {
                order(
                    &i.to_string(),
                    Some(&format!("c{i}@x.com")),
                    None,
                    100,
                    1 + (i % 28) as u32,
                )
            })
            .collect();
        let err = store
            .write_import(&NewImport::default(), &orders, &[], &mut |done| done < 1000)
            .unwrap_err();
        assert!(matches!(err, WriteError::Cancelled));
        assert_eq!(count(&store, "SELECT count(*) FROM orders"), 0);
        assert_eq!(count(&store, "SELECT count(*) FROM customers"), 0);
        assert_eq!(count(&store, "SELECT count(*) FROM imports"), 0);
    }

    #[test]
    fn a_refund_of_a_stored_order_links_to_it_once() {
        let (_dir, mut store) = store();
        write(&mut store, &[order("S1", Some("a@x.com"), None, 5000, 1)]);
        let mut entry = order("R1", None, None, 0, 9);
        entry.refunded_cents = 1200;
        entry.status = "refund".into();
        let refund = RefundOfOrder {
            external_id: "S1".into(),
            alt_id: None,
            amount_cents: 1200,
            entry,
        };
        for _ in 0..2 {
            store
                .write_import(
                    &NewImport::default(),
                    &[],
                    std::slice::from_ref(&refund),
                    &mut |_| true,
                )
                .unwrap();
        }
        assert_eq!(
            count(&store, "SELECT count(*) FROM orders"),
            2,
            "the refund entry is stored once"
        );
        assert_eq!(
            count(&store, "SELECT sum(net_cents) FROM orders"),
            5000 - 1200
        );
        assert_eq!(
            count(
                &store,
                "SELECT count(*) FROM orders r JOIN orders s ON r.refund_of = s.id WHERE s.external_id = 'S1'"
            ),
            1
        );
        assert_eq!(
            count(&store, "SELECT count(DISTINCT customer_id) FROM orders"),
            1,
            "a refund row without a name belongs to the refunded order's customer"
        );
    }

    #[test]
    fn a_refund_row_naming_the_shop_belongs_to_the_refunded_orders_customer() {
        let (_dir, mut store) = store();
        write(
            &mut store,
            &[
                order("S1", Some("john@x.com"), Some("John"), 5000, 1),
                order("S2", None, None, 3000, 2),
            ],
        );
        // PayPal's refund rows name the shop as the sender.
        let refund_of = |id: &str, entry_id: &str| {
            let mut entry = order(entry_id, Some("shop@x.com"), Some("The Shop"), 0, 9);
            entry.refunded_cents = 1000;
            entry.status = "refund".into();
            RefundOfOrder {
                external_id: id.into(),
                alt_id: None,
                amount_cents: 1000,
                entry,
            }
        };
        store
            .write_import(
                &NewImport::default(),
                &[],
                &[refund_of("S1", "R1"), refund_of("S2", "R2")],
                &mut |_| true,
            )
            .unwrap();
        assert_eq!(
            count(&store, "SELECT count(*) FROM customers"),
            1,
            "no customer for the shop"
        );
        assert_eq!(
            count(
                &store,
                "SELECT count(*) FROM orders r JOIN orders s ON r.refund_of = s.id
                 WHERE r.customer_id IS s.customer_id"
            ),
            2,
            "each refund is its order's customer's (the guest's stays a guest's)"
        );
    }

    #[test]
    fn a_dry_run_counts_exactly_and_writes_nothing() {
        let (_dir, mut store) = store();
        write(&mut store, &[order("1", Some("a@x.com"), None, 100, 1)]);
        let outcome = store
            .dry_run_import(
                &NewImport::default(),
                &[
                    order("1", Some("a@x.com"), None, 100, 1),
                    order("2", Some("b@x.com"), None, 100, 2),
                ],
                &[],
            )
            .unwrap();
        assert_eq!(
            (
                outcome.orders_created,
                outcome.orders_unchanged,
                outcome.customers_created
            ),
            (1, 1, 1)
        );
        assert_eq!(count(&store, "SELECT count(*) FROM orders"), 1);
        assert_eq!(count(&store, "SELECT count(*) FROM imports"), 1);
    }

    #[test]
    fn first_import_sets_the_base_currency() {
        let (_dir, mut store) = store();
        let import = NewImport {
            currency: Some("EUR".into()),
            ..NewImport::default()
        };
        store
            .write_import(
                &import,
                &[order("1", Some("a@x.com"), None, 100, 1)],
                &[],
                &mut |_| true,
            )
            .unwrap();
        assert_eq!(store.business_settings().unwrap().currency, Currency::EUR);
    }

    #[test]
    fn name_keys_only_when_nothing_stronger() {
        let who = CustomerIdentity {
            email: Some("x@y.z".into()),
            name: Some("Jane".into()),
            ..CustomerIdentity::default()
        };
        let keys = identity_keys(&who, "shopify");
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].kind, "email");
        let who = CustomerIdentity {
            name: Some("  Jane   DOE ".into()),
            ..CustomerIdentity::default()
        };
        let keys = identity_keys(&who, "etsy");
        assert_eq!(keys[0].key, "jane doe");
        assert!(
            matches!(keys[0].key, Cow::Owned(_)),
            "normalising changed it"
        );
        let who = CustomerIdentity {
            email: Some("jane@example.com".into()),
            ..CustomerIdentity::default()
        };
        assert!(
            matches!(identity_keys(&who, "x")[0].key, Cow::Borrowed(_)),
            "already normal: no copy"
        );
        assert_eq!(keys[0].source, "etsy");
    }
}
