//! Owners' messy files, as a tester found them going wrong: refunds in a later file, refund
//! rows in spreadsheets, one row per line item with each line's amount, a "refunded" status
//! without an amount, dates Excel left as serial numbers, Etsy's and Europe's date shapes,
//! and PayPal refunds that name the shop. Each file is written by the test, shaped like the
//! exports in `../shared/formats.md`, imported as the app does (stage, then write), and the
//! stored orders checked against what the owner would expect.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use std::path::{Path, PathBuf};

use clv_desk::app::import::{stage, write};
use clv_desk::import::ImportOptions;
use clv_desk::store::Store;

/// A new shop database in a temporary folder (kept while the folder lives).
fn new_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("shop.sqlite")).unwrap();
    (dir, store)
}

fn file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn import(store: &mut Store, path: &Path) {
    let staged = stage(store, path, ImportOptions::default(), &mut |_, _| true).unwrap();
    assert!(
        !staged.date_order_ambiguous,
        "{}: the date order needs no question",
        path.display()
    );
    write(store, staged, false, &mut |_| true).unwrap();
}

/// One stored order, as the checks read it.
#[derive(Debug)]
struct Stored {
    number: String,
    day: String,
    gross: i64,
    refunded: i64,
    net: i64,
    customer: Option<i64>,
    /// The number of the order it refunds.
    refund_of: Option<String>,
}

/// Every stored order, in the order written.
fn orders(store: &Store) -> Vec<Stored> {
    let conn = rusqlite::Connection::open(store.path()).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT o.external_id, o.local_date, o.gross_cents, o.refunded_cents, o.net_cents,
                    o.customer_id, r.external_id
             FROM orders o LEFT JOIN orders r ON r.id = o.refund_of ORDER BY o.id",
        )
        .unwrap();
    stmt.query_map([], |r| {
        Ok(Stored {
            number: r.get(0)?,
            day: r.get(1)?,
            gross: r.get(2)?,
            refunded: r.get(3)?,
            net: r.get(4)?,
            customer: r.get(5)?,
            refund_of: r.get(6)?,
        })
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

fn count(store: &Store, sql: &str) -> i64 {
    rusqlite::Connection::open(store.path())
        .unwrap()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}

#[test]
fn a_refund_row_in_a_later_file_refunds_the_stored_sale_instead_of_replacing_it() {
    let (dir, mut store) = new_store();
    // WooCommerce Analytics → Orders, downloaded month by month.
    let header = "Date,Order #,Status,Customer,Customer type,Product(s),Items sold,Coupon(s),Net sales,Attribution\n";
    let march = file(
        dir.path(),
        "march.csv",
        &format!(
            "{header}2025-03-01,4501,Completed,Grace Lee,new,Ceramic Vase,1,,45.00,Direct\n\
             2025-03-02,4502,Completed,Tom Baker,new,\"Bud Vase, Ceramic Vase\",2,,63.00,Direct\n"
        ),
    );
    let april = file(
        dir.path(),
        "april.csv",
        &format!(
            "{header}2025-04-02,4502,Refunded,Tom Baker,returning,Bud Vase,-1,,-18.00,Direct\n\
             2025-04-03,4600,Completed,Tom Baker,returning,Planter,1,,20.00,Direct\n"
        ),
    );
    import(&mut store, &march);
    import(&mut store, &april);
    let stored = orders(&store);
    let sale = stored.iter().find(|o| o.number == "4502").unwrap();
    assert_eq!(
        (sale.day.as_str(), sale.gross, sale.net),
        ("2025-03-02", 6300, 6300),
        "the March sale is kept as it was"
    );
    let refund = stored
        .iter()
        .find(|o| o.refund_of.as_deref() == Some("4502"))
        .unwrap();
    assert_eq!((refund.day.as_str(), refund.net), ("2025-04-02", -1800));
    assert_eq!(refund.customer, sale.customer, "Tom's refund");
    assert_eq!(
        count(&store, "SELECT sum(net_cents) FROM orders"),
        4500 + 6300 - 1800 + 2000
    );
}

#[test]
fn a_refund_in_two_overlapping_exports_is_counted_once() {
    let (dir, mut store) = new_store();
    let header = "Date,Order #,Status,Customer,Customer type,Product(s),Items sold,Coupon(s),Net sales,Attribution\n";
    let march = file(
        dir.path(),
        "march.csv",
        &format!("{header}2025-03-02,4502,Completed,Tom Baker,new,Bud Vase,2,,63.00,Direct\n"),
    );
    // April, then April and May downloaded again: the same refund sits on another row.
    let april = file(
        dir.path(),
        "april.csv",
        &format!(
            "{header}2025-04-02,4502,Refunded,Tom Baker,returning,Bud Vase,-1,,-18.00,Direct\n"
        ),
    );
    let april_may = file(
        dir.path(),
        "april-may.csv",
        &format!(
            "{header}2025-04-01,4590,Completed,Ann Lee,new,Planter,1,,20.00,Direct\n\
             2025-04-02,4502,Refunded,Tom Baker,returning,Bud Vase,-1,,-18.00,Direct\n\
             2025-05-02,4502,Refunded,Tom Baker,returning,Bud Vase,-1,,-18.00,Direct\n"
        ),
    );
    import(&mut store, &march);
    import(&mut store, &april);
    import(&mut store, &april_may);
    let refunds: Vec<_> = orders(&store)
        .into_iter()
        .filter(|o| o.refund_of.as_deref() == Some("4502"))
        .map(|o| (o.day, o.net))
        .collect();
    assert_eq!(
        refunds,
        [
            ("2025-04-02".to_owned(), -1800),
            ("2025-05-02".to_owned(), -1800)
        ],
        "April's refund once, May's second vase once"
    );
    assert_eq!(
        count(&store, "SELECT sum(net_cents) FROM orders"),
        6300 - 1800 - 1800 + 2000
    );
}

#[test]
fn a_narrower_export_without_the_refund_row_keeps_the_refund() {
    let (dir, mut store) = new_store();
    let header = "Date,Order #,Status,Customer,Customer type,Product(s),Items sold,Coupon(s),Net sales,Attribution\n";
    let sale = "2025-03-02,4502,Completed,Tom Baker,new,Bud Vase,2,,63.00,Direct\n";
    // March to April: the sale and, a month later, its refund (folded into the sale).
    let spring = file(
        dir.path(),
        "march-april.csv",
        &format!(
            "{header}{sale}2025-04-02,4502,Refunded,Tom Baker,returning,Bud Vase,-1,,-18.00,Direct\n"
        ),
    );
    // March alone, downloaded again later: the sale without the refund row.
    let march = file(dir.path(), "march.csv", &format!("{header}{sale}"));
    import(&mut store, &spring);
    import(&mut store, &march);
    let stored = orders(&store);
    let tom = stored.iter().find(|o| o.number == "4502").unwrap();
    assert_eq!(
        (tom.gross, tom.refunded, tom.net),
        (6300, 1800, 4500),
        "{stored:#?}"
    );
}

#[test]
fn refund_rows_of_a_spreadsheet_are_refunds_not_purchases() {
    let (dir, mut store) = new_store();
    // A credit note with its own number and a negative amount, a negative row of an order
    // in the file, and a row whose type says refund with a positive amount.
    let invoices = file(
        dir.path(),
        "invoices.csv",
        "Order ID,Date,Customer Email,Customer Name,Total\n\
         INV-1,2025-03-04,a@x.com,Ann A,100.00\n\
         INV-2,2025-03-10,a@x.com,Ann A,60.00\n\
         CR-1,2025-03-12,a@x.com,Ann A,-60.00\n\
         INV-3,2025-03-15,b@x.com,Ben B,\"$1,234.50\"\n\
         INV-3,2025-03-16,b@x.com,Ben B,-34.50\n\
         Total,,,,\"1,300.00\"\n",
    );
    import(&mut store, &invoices);
    let typed = file(
        dir.path(),
        "transactions.csv",
        "Transaction ID,Date,Type,Email,Amount\n\
         S1,2025-03-04,Sale,c@x.com,100.00\n\
         R1,2025-03-06,Refund,c@x.com,40.00\n",
    );
    import(&mut store, &typed);
    assert_eq!(
        count(&store, "SELECT sum(net_cents) FROM orders"),
        10_000 + 6000 - 6000 + 123_450 - 3450 + 10_000 - 4000
    );
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM orders WHERE net_cents < 0 AND status <> 'refund'"
        ),
        0,
        "no sale of a negative amount"
    );
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM orders WHERE status = 'refund'"
        ),
        2,
        "the credit note and the typed refund are refund entries"
    );
    let inv3 = orders(&store)
        .into_iter()
        .find(|o| o.number == "INV-3")
        .unwrap();
    assert_eq!(
        (inv3.gross, inv3.refunded, inv3.net),
        (123_450, 3450, 120_000)
    );
}

#[test]
fn one_row_per_line_item_with_each_lines_amount_adds_up_the_order() {
    let (dir, mut store) = new_store();
    let lines = file(
        dir.path(),
        "lines.csv",
        "Invoice,Date,Customer Email,Item,Qty,Price,Amount\n\
         INV-100,2025-03-04,a@x.com,Widget,2,10.00,20.00\n\
         INV-100,2025-03-04,a@x.com,Gadget,1,35.00,35.00\n\
         INV-101,2025-03-06,b@x.com,Widget,1,10.00,10.00\n\
         INV-101,2025-03-06,b@x.com,Widget,1,10.00,10.00\n\
         INV-102,2025-03-07,c@x.com,Widget,2,10.00,55.00\n\
         INV-102,2025-03-07,c@x.com,Gadget,1,35.00,55.00\n",
    );
    import(&mut store, &lines);
    let net: Vec<(String, i64)> = orders(&store)
        .into_iter()
        .map(|o| (o.number, o.net))
        .collect();
    assert_eq!(
        net,
        [
            ("INV-100".to_owned(), 5500),
            // Two equal lines: each is its quantity × price, so they are lines, not a total.
            ("INV-101".to_owned(), 2000),
            // The same amount on every row, not any line's: the order's total, repeated.
            ("INV-102".to_owned(), 5500),
        ]
    );
    assert_eq!(count(&store, "SELECT count(*) FROM order_lines"), 6);
}

#[test]
fn two_equal_lines_of_a_file_of_line_amounts_add_up_too() {
    let (dir, mut store) = new_store();
    // A café's till: one row per item, the item's amount, no quantity or price columns.
    let till = file(
        dir.path(),
        "till.csv",
        "Ticket,Date,Email,Item,Amount\n\
         T1,2025-03-04,a@x.com,Flat white,3.40\n\
         T1,2025-03-04,a@x.com,Croissant,2.80\n\
         T2,2025-03-04,b@x.com,Espresso,2.20\n\
         T2,2025-03-04,b@x.com,Espresso,2.20\n\
         T3,2025-03-05,c@x.com,Tea,2.50\n\
         T3,2025-03-05,c@x.com,Scone,3.10\n\
         T4,2025-03-05,a@x.com,Latte,3.60\n\
         T4,2025-03-05,a@x.com,Latte,3.60\n\
         T5,2025-03-06,d@x.com,Mocha,3.90\n",
    );
    import(&mut store, &till);
    let net: Vec<(String, i64)> = orders(&store)
        .into_iter()
        .map(|o| (o.number, o.net))
        .collect();
    let expected = [
        ("T1", 620),
        ("T2", 440),
        ("T3", 560),
        ("T4", 720),
        ("T5", 390),
    ];
    assert_eq!(
        net,
        expected.map(|(n, c)| (n.to_owned(), c)),
        "two espressos are 4.40, not one"
    );
}

#[test]
fn a_refunded_status_without_a_refunded_amount_keeps_nothing() {
    let (dir, mut store) = new_store();
    let shopify = file(
        dir.path(),
        "orders_export.csv",
        "Name,Email,Financial Status,Currency,Total,Created at,Lineitem quantity,Lineitem name,Lineitem price,Billing Name\n\
         #1,a@x.com,paid,USD,20.00,2025-03-02 10:00:00 +0000,1,Mug,20.00,Ann\n\
         #2,a@x.com,refunded,USD,80.00,2025-03-03 10:00:00 +0000,1,Rug,80.00,Ann\n",
    );
    import(&mut store, &shopify);
    let stored = orders(&store);
    assert_eq!(
        (stored[1].gross, stored[1].refunded, stored[1].net),
        (8000, 8000, 0)
    );
    assert_eq!((stored[0].gross, stored[0].net), (2000, 2000));
}

#[test]
fn dates_excel_left_as_serial_numbers_are_read() {
    let (dir, mut store) = new_store();
    let serials = file(
        dir.path(),
        "from_excel.csv",
        "Invoice,Date,Email,Amount\n1,45720,a@x.com,10.00\n2,45721.5,b@x.com,12.00\n",
    );
    import(&mut store, &serials);
    let days: Vec<String> = orders(&store).into_iter().map(|o| o.day).collect();
    assert_eq!(days, ["2025-03-04", "2025-03-05"]);
}

#[test]
fn etsy_dates_are_month_first_and_dotted_dates_day_first_without_asking() {
    let (dir, mut store) = new_store();
    // Every date could be read both ways; Etsy writes MM/DD/YY.
    let etsy = file(
        dir.path(),
        "EtsySoldOrders2025-3.csv",
        "Sale Date,Order ID,Buyer User ID,Full Name,First Name,Last Name,Number of Items,Currency,Order Value,Shipping,Sales Tax,Order Total,Status\n\
         03/04/25,1001,buyer1,Ann Smith,Ann,Smith,1,USD,20.00,5.00,1.60,26.60,Completed\n\
         03/10/25,1002,buyer1,Ann Smith,Ann,Smith,2,USD,40.00,5.00,3.20,48.20,Completed\n",
    );
    import(&mut store, &etsy);
    // A European spreadsheet: 04.03.2025 is 4 March.
    let dotted = file(
        dir.path(),
        "bestellungen.csv",
        "Bestellnummer,Datum,E-Mail,Betrag\nB-1,04.03.2025,b@x.de,30.00\nB-2,05.06.2025,b@x.de,12.00\n",
    );
    import(&mut store, &dotted);
    let days: Vec<(String, String)> = orders(&store)
        .into_iter()
        .map(|o| (o.number, o.day))
        .collect();
    assert_eq!(
        days,
        [
            ("1001".to_owned(), "2025-03-04".to_owned()),
            ("1002".to_owned(), "2025-03-10".to_owned()),
            ("B-1".to_owned(), "2025-03-04".to_owned()),
            ("B-2".to_owned(), "2025-06-05".to_owned()),
        ]
    );
}

#[test]
fn a_paypal_chargeback_takes_the_payment_back_and_its_fee_is_not_a_refund() {
    let (dir, mut store) = new_store();
    let header = "\"Date\",\"Time\",\"TimeZone\",\"Name\",\"Type\",\"Status\",\"Currency\",\"Gross\",\"Fee\",\"Net\",\"From Email Address\",\"To Email Address\",\"Transaction ID\",\"Reference Txn ID\",\"Balance Impact\"\n";
    let download = file(
        dir.path(),
        "Download.CSV",
        &format!(
            "{header}\"03/14/2025\",\"10:01:02\",\"PDT\",\"Jane Doe\",\"Express Checkout Payment\",\"Completed\",\"USD\",\"80.00\",\"-2.62\",\"77.38\",\"jane@example.com\",\"shop@example.com\",\"1AB\",\"\",\"Credit\"\n\
             \"03/15/2025\",\"11:00:00\",\"PDT\",\"Ann Lee\",\"Express Checkout Payment\",\"Completed\",\"USD\",\"30.00\",\"-1.17\",\"28.83\",\"ann@example.com\",\"shop@example.com\",\"2CD\",\"\",\"Credit\"\n\
             \"04/02/2025\",\"09:00:00\",\"PDT\",\"Jane Doe\",\"Chargeback\",\"Completed\",\"USD\",\"-80.00\",\"0.00\",\"-80.00\",\"shop@example.com\",\"jane@example.com\",\"3EF\",\"1AB\",\"Debit\"\n\
             \"04/02/2025\",\"09:00:01\",\"PDT\",\"PayPal\",\"Chargeback Fee\",\"Completed\",\"USD\",\"-20.00\",\"0.00\",\"-20.00\",\"shop@example.com\",\"\",\"4GH\",\"1AB\",\"Debit\"\n"
        ),
    );
    import(&mut store, &download);
    let stored = orders(&store);
    let jane = stored.iter().find(|o| o.number == "1AB").unwrap();
    assert_eq!(
        (jane.gross, jane.refunded, jane.net),
        (8000, 8000, 0),
        "{stored:#?}"
    );
    assert_eq!(
        count(&store, "SELECT sum(net_cents) FROM orders"),
        3000,
        "Ann's payment is all that is kept; the $20 fee is the shop's cost, not a refund"
    );
}

#[test]
fn a_paypal_refund_in_a_later_file_is_the_buyers_not_the_shops() {
    paypal_refund_is_the_buyers(false);
}

#[test]
fn a_paypal_refund_imported_before_its_payment_is_the_buyers_not_the_shops() {
    paypal_refund_is_the_buyers(true);
}

/// John's payment and Jane's in one file, a refund of John's in another, imported in
/// that order or (`refund_first`) the other way round.
fn paypal_refund_is_the_buyers(refund_first: bool) {
    let (dir, mut store) = new_store();
    let header = "\u{feff}\"Date\",\"Time\",\"TimeZone\",\"Name\",\"Type\",\"Status\",\"Currency\",\"Gross\",\"Fee\",\"Net\",\"From Email Address\",\"To Email Address\",\"Transaction ID\",\"Reference Txn ID\",\"Invoice Number\",\"Balance Impact\"\n";
    let payments = file(
        dir.path(),
        "Download-march.CSV",
        &format!(
            "{header}\"03/14/2025\",\"10:01:02\",\"PDT\",\"Smith, John\",\"Express Checkout Payment\",\"Completed\",\"USD\",\"1,250.00\",\"-36.55\",\"1,213.45\",\"John@Example.com\",\"shop@example.com\",\"1AB\",\"\",\"INV1\",\"Credit\"\n\
             \"03/15/2025\",\"11:00:00\",\"PDT\",\"Jane Doe\",\"General Payment\",\"Completed\",\"USD\",\"40.00\",\"-1.46\",\"38.54\",\"jane@example.com\",\"shop@example.com\",\"2CD\",\"\",\"\",\"Credit\"\n"
        ),
    );
    let refund = file(
        dir.path(),
        "Download-april.CSV",
        &format!(
            "{header}\"03/16/2025\",\"09:00:00\",\"PDT\",\"Smith, John\",\"Payment Refund\",\"Completed\",\"USD\",\"-250.00\",\"7.25\",\"-242.75\",\"shop@example.com\",\"john@example.com\",\"3EF\",\"1AB\",\"INV1\",\"Debit\"\n"
        ),
    );
    if refund_first {
        import(&mut store, &refund);
        import(&mut store, &payments);
    } else {
        import(&mut store, &payments);
        import(&mut store, &refund);
    }
    assert_eq!(
        count(&store, "SELECT count(*) FROM customers"),
        2,
        "John and Jane; no customer for the shop's own address"
    );
    assert_eq!(
        count(
            &store,
            "SELECT sum(o.net_cents) FROM orders o JOIN customers c ON c.id = o.customer_id
             WHERE c.email = 'john@example.com' COLLATE NOCASE"
        ),
        125_000 - 25_000
    );
    // Linked to John's payment whichever file came first.
    let refund = orders(&store)
        .into_iter()
        .find(|o| o.number == "3EF")
        .unwrap();
    assert_eq!(refund.refund_of.as_deref(), Some("1AB"));
    if refund_first {
        // Undoing the payments unlinks the refund (it stays, the buyer's); importing them
        // again links it again.
        let last: i64 = count(&store, "SELECT max(id) FROM imports");
        store.undo_import(clv_desk::domain::ImportId(last)).unwrap();
        let refund = orders(&store)
            .into_iter()
            .find(|o| o.number == "3EF")
            .unwrap();
        assert_eq!((refund.refund_of, refund.net), (None, -25_000));
        assert!(refund.customer.is_some());
        import(&mut store, &payments);
        let refund = orders(&store)
            .into_iter()
            .find(|o| o.number == "3EF")
            .unwrap();
        assert_eq!(refund.refund_of.as_deref(), Some("1AB"));
    }
}

#[test]
fn refusals_name_the_row_column_and_value_as_the_file_writes_them() {
    let (dir, mut store) = new_store();
    let no_dates = file(
        dir.path(),
        "bad_dates.csv",
        "Invoice,Order date,Email,Amount\n1,31/02/2025,a@x.com,10.00\n2,tomorrow,b@x.com,12.00\n",
    );
    let err = stage(&store, &no_dates, ImportOptions::default(), &mut |_, _| {
        true
    })
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("bad_dates.csv")
            && err.contains("unreadable date: 2, e.g. row 2, column Order date: “31/02/2025”"),
        "{err}"
    );

    let two_way = file(
        dir.path(),
        "two_way.csv",
        "Invoice,Date,Email,Amount\n1,03/04/25,a@x.com,10.00\n2,05/06/25,b@x.com,12.00\n",
    );
    let staged = stage(&store, &two_way, ImportOptions::default(), &mut |_, _| true).unwrap();
    assert!(staged.date_order_ambiguous);
    let err = write(&mut store, staged, false, &mut |_| true)
        .unwrap_err()
        .to_string();
    assert!(err.contains("(for example “03/04/25”)"), "{err}");
}

#[test]
fn a_german_spreadsheets_cancelled_order_and_sum_row_are_left_out_for_what_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("shop.sqlite")).unwrap();
    let mut text = b"Bestellnummer;Datum;Kunde;E-Mail;Betrag;Status\n".to_vec();
    text.extend_from_slice(
        b"1001;04.03.2025;Anna M\xfcller;anna@example.de;1.234,50 \x80;bezahlt\n",
    );
    text.extend_from_slice(b"1002;13.03.2025;J\xf6rg;joerg@example.de;12,5;bezahlt\n");
    text.extend_from_slice(b"1003;14.03.2025;J\xf6rg;joerg@example.de;\"1.000\";storniert\n");
    text.extend_from_slice(b";;;;;\nSumme;;;;2.247,00 \x80;\n");
    let path = dir.path().join("bestellungen.csv");
    std::fs::write(&path, text).unwrap();
    let staged = stage(&store, &path, ImportOptions::default(), &mut |_, _| true).unwrap();
    assert_eq!(staged.orders.len(), 2);
    let skipped: Vec<(&str, u64)> = staged
        .report
        .skipped
        .iter()
        .map(|(reason, stat)| (reason.text(), stat.rows))
        .collect();
    assert_eq!(
        skipped,
        [("not paid", 1)],
        "storniert is cancelled; Summe is layout"
    );
    let net: i64 = staged.orders.iter().map(|o| o.net_cents()).sum();
    assert_eq!(net, 123_450 + 1250);
}

#[test]
fn an_order_cancelled_in_a_newer_export_no_longer_counts_and_undo_brings_it_back() {
    let (dir, mut store) = new_store();
    // WooCommerce "Advanced Order Export", the same orders a week apart.
    let header = "Order Number,Order Status,Order Date,Email (Billing),First Name (Billing),Last Name (Billing),Order Total Amount,Order Refund Amount\n";
    let first = file(
        dir.path(),
        "orders-1.csv",
        &format!(
            "{header}101,processing,2025-03-04 10:00,a@x.com,Ann,A,100.00,0\n\
             102,completed,2025-03-05 10:00,b@x.com,Ben,B,50.00,0\n"
        ),
    );
    let newer = file(
        dir.path(),
        "orders-2.csv",
        &format!(
            "{header}101,cancelled,2025-03-04 10:00,a@x.com,Ann,A,100.00,0\n\
             102,completed,2025-03-05 10:00,b@x.com,Ben,B,50.00,0\n\
             103,pending,2025-03-06 10:00,c@x.com,Cy,C,70.00,0\n"
        ),
    );
    import(&mut store, &first);
    let staged = stage(&store, &newer, ImportOptions::default(), &mut |_, _| true).unwrap();
    let outcome = write(&mut store, staged, false, &mut |_| true)
        .unwrap()
        .outcome;
    assert_eq!((outcome.orders_created, outcome.orders_updated), (0, 1));
    let cancelled = orders(&store)
        .into_iter()
        .find(|o| o.number == "101")
        .unwrap();
    assert_eq!(
        (cancelled.gross, cancelled.refunded, cancelled.net),
        (10_000, 10_000, 0)
    );
    let status = |store: &Store| -> String {
        rusqlite::Connection::open(store.path())
            .unwrap()
            .query_row(
                "SELECT status FROM orders WHERE external_id = '101'",
                [],
                |r| r.get(0),
            )
            .unwrap()
    };
    assert_eq!(status(&store), "cancelled");
    assert_eq!(
        count(&store, "SELECT count(*) FROM orders"),
        2,
        "103 is still pending"
    );
    // The same file again changes nothing more.
    let staged = stage(&store, &newer, ImportOptions::default(), &mut |_, _| true).unwrap();
    let again = write(&mut store, staged, false, &mut |_| true)
        .unwrap()
        .outcome;
    assert_eq!((again.orders_created, again.orders_updated), (0, 0));
    // Undoing the newer export's import puts the order back as it was.
    clv_desk::app::import::undo(&mut store, again.import_id).unwrap();
    clv_desk::app::import::undo(&mut store, outcome.import_id).unwrap();
    assert_eq!(status(&store), "processing");
    assert_eq!(count(&store, "SELECT sum(net_cents) FROM orders"), 15_000);
}

#[test]
fn exports_pasted_one_below_another_count_each_order_once_as_the_later_one_states_it() {
    let (dir, mut store) = new_store();
    let header = "Name,Email,Financial Status,Currency,Total,Created at,Lineitem quantity,Lineitem name,Lineitem price,Refunded Amount\n";
    // March's export, then April's (pasted below with its header): #2 was refunded since,
    // #3 pending then and paid now, #4 only in April.
    let text = format!(
        "{header}#1,a@x.com,paid,USD,30.00,2025-03-02 10:00:00 +0000,1,Mug,10.00,0.00\n\
         #1,,,,,2025-03-02 10:00:00 +0000,1,Bowl,20.00,\n\
         #2,b@x.com,paid,USD,80.00,2025-03-03 10:00:00 +0000,1,Rug,80.00,0.00\n\
         #3,c@x.com,pending,USD,40.00,2025-03-04 10:00:00 +0000,1,Lamp,40.00,0.00\n\
         {header}#2,b@x.com,refunded,USD,80.00,2025-03-03 10:00:00 +0000,1,Rug,80.00,80.00\n\
         #3,c@x.com,paid,USD,40.00,2025-03-04 10:00:00 +0000,1,Lamp,40.00,0.00\n\
         #4,d@x.com,paid,USD,15.00,2025-04-01 10:00:00 +0000,1,Cup,15.00,0.00\n"
    );
    let pasted = file(dir.path(), "march_and_april.csv", &text);
    import(&mut store, &pasted);
    let net: Vec<(String, i64)> = orders(&store)
        .into_iter()
        .map(|o| (o.number, o.net))
        .collect();
    assert_eq!(
        net,
        [
            ("#1".to_owned(), 3000),
            ("#2".to_owned(), 0),
            ("#3".to_owned(), 4000),
            ("#4".to_owned(), 1500),
        ]
    );
    assert_eq!(
        count(&store, "SELECT count(*) FROM order_lines"),
        5,
        "no line twice"
    );

    // A page header between two rows of one order: the order goes on below it.
    let paged = file(
        dir.path(),
        "paged.csv",
        &format!(
            "{header}#10,e@x.com,paid,USD,60.00,2025-05-02 10:00:00 +0000,1,Mug,10.00,0.00\n\
             #10,,,,,2025-05-02 10:00:00 +0000,1,Bowl,20.00,\n\
             {header}#10,,,,,2025-05-02 10:00:00 +0000,1,Vase,30.00,\n\
             #11,f@x.com,paid,USD,5.00,2025-05-03 10:00:00 +0000,1,Cup,5.00,0.00\n"
        ),
    );
    import(&mut store, &paged);
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM order_lines l JOIN orders o ON o.id = l.order_id
             WHERE o.external_id = '#10'"
        ),
        3
    );
    assert_eq!(
        count(
            &store,
            "SELECT net_cents FROM orders WHERE external_id = '#10'"
        ),
        6000
    );
}

#[test]
fn a_files_own_amounts_and_dates_come_before_what_an_earlier_file_with_its_columns_left() {
    let (dir, mut store) = new_store();
    let header = "Order ID;Date;Email;Amount\n";
    // Whole amounts and ISO dates settle neither the decimal mark nor the day/month order.
    let first = file(
        dir.path(),
        "a.csv",
        &format!("{header}1;2024-01-05;a@x.com;17\n2;2024-01-06;b@x.com;20\n"),
    );
    // Decimal commas and a day above 12: this file settles both.
    let second = file(
        dir.path(),
        "b.csv",
        &format!("{header}3;13/02/2024;a@x.com;35,82\n4;14/02/2024;c@x.com;1.234,56\n"),
    );
    // Dates that read both ways: the order the file before settled is used.
    let third = file(
        dir.path(),
        "c.csv",
        &format!("{header}5;03/04/2024;a@x.com;10\n6;03/05/2024;c@x.com;20\n"),
    );
    for path in [&first, &second, &third] {
        import(&mut store, path);
    }
    let stored: Vec<(String, String, i64)> = orders(&store)
        .into_iter()
        .map(|o| (o.number, o.day, o.net))
        .collect();
    assert_eq!(
        stored[2..],
        [
            ("3".to_owned(), "2024-02-13".to_owned(), 3582),
            ("4".to_owned(), "2024-02-14".to_owned(), 123_456),
            ("5".to_owned(), "2024-04-03".to_owned(), 1000),
            ("6".to_owned(), "2024-05-03".to_owned(), 2000),
        ]
    );
}

#[test]
fn absurd_amounts_are_refused_by_row_and_column_and_nothing_overflows() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("shop.sqlite")).unwrap();
    let huge = file(
        dir.path(),
        "huge.csv",
        "Order ID,Date,Email,Amount\n1,2024-01-05,a@x.com,50000000000000000\n\
         2,2024-01-06,b@x.com,50000000000000000\n",
    );
    let err = stage(&store, &huge, ImportOptions::default(), &mut |_, _| true)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("row 2, column Amount: “50000000000000000” (the amount is too large"),
        "{err}"
    );
    // A quantity no line has is not used to multiply the price.
    let quantity = file(
        dir.path(),
        "quantity.csv",
        "Order ID,Date,Email,Quantity,Unit Price\n10,2024-01-05,d@x.com,1e300,2.50\n",
    );
    let staged = stage(&store, &quantity, ImportOptions::default(), &mut |_, _| {
        true
    })
    .unwrap();
    assert_eq!(staged.orders[0].net_cents(), 250);
}

#[test]
fn placeholder_emails_and_walk_in_names_are_guests_and_wrapped_addresses_match() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("shop.sqlite")).unwrap();
    let sheet = file(
        dir.path(),
        "till.csv",
        "Order ID,Date,Email,Customer Name,Amount\n\
         1,2024-01-05,Ann@Example.com,Ann,10.00\n\
         2,2024-01-06,mailto:ann@example.com,Ann,10.00\n\
         3,2024-01-07,Ann <ann@example.com>,Ann,10.00\n\
         4,2024-01-08,ann@example.com.,Ann,10.00\n\
         5,2024-01-09,n/a,Walk-in,10.00\n\
         6,2024-01-10,none,Walk-in,10.00\n\
         7,2024-01-11,-,Cash customer,10.00\n\
         8,2024-01-12,,Guest,10.00\n",
    );
    let staged = stage(&store, &sheet, ImportOptions::default(), &mut |_, _| true).unwrap();
    let emails: Vec<Option<String>> = staged
        .orders
        .iter()
        .map(|o| o.customer.email.clone())
        .collect();
    assert_eq!(
        emails[..4],
        [
            Some("Ann@Example.com".to_owned()),
            Some("ann@example.com".to_owned()),
            Some("ann@example.com".to_owned()),
            Some("ann@example.com".to_owned()),
        ]
    );
    assert!(
        staged.orders[4..].iter().all(|o| o.customer.is_guest()),
        "no walk-in becomes one busy customer"
    );
    assert_eq!(staged.report.guest_orders, 4);
    assert_eq!(staged.report.customers, 1);
}

#[test]
fn an_export_of_only_a_cancellation_is_imported_and_woocommerce_refunded_keeps_nothing() {
    let (dir, mut store) = new_store();
    let header = "Order Number,Order Status,Order Date,Email (Billing),First Name (Billing),Last Name (Billing),Order Total Amount\n";
    let first = file(
        dir.path(),
        "orders-1.csv",
        &format!(
            "{header}501,wc-refunded,2025-03-04 10:00,a@x.com,Ann,A,30.00\n\
             502,wc-completed,2025-03-05 10:00,b@x.com,Ben,B,20.00\n"
        ),
    );
    import(&mut store, &first);
    let stored = orders(&store);
    assert_eq!(
        (stored[0].refunded, stored[0].net),
        (3000, 0),
        "wc-refunded"
    );
    // The next export holds nothing new but 502's cancellation.
    let only = file(
        dir.path(),
        "orders-2.csv",
        &format!("{header}502,wc-cancelled,2025-03-05 10:00,b@x.com,Ben,B,20.00\n"),
    );
    import(&mut store, &only);
    assert_eq!(count(&store, "SELECT sum(net_cents) FROM orders"), 0);
}

#[test]
fn a_workbook_with_a_cover_sheet_is_read_from_its_orders_sheet_with_excels_row_numbers() {
    let (_dir, mut store) = new_store();
    // Made by tests/data/import/make_fixtures.py: sheet "Read me" holds two notes; sheet
    // "Orders 2025" has its header on row 3 and an amount in words on row 7.
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/import/xlsx/cover_sheet.xlsx");
    let staged = stage(&store, &path, ImportOptions::default(), &mut |_, _| true).unwrap();
    assert!(
        staged.report.warnings.contains(
            &"Read the sheet 'Orders 2025': 'Read me' before it holds no table of orders."
                .to_owned()
        ),
        "{:?}",
        staged.report.warnings
    );
    let skipped: Vec<String> = staged
        .report
        .skipped
        .values()
        .flat_map(|s| s.examples.clone())
        .collect();
    assert!(
        skipped.len() == 1 && skipped[0].contains("row 7") && skipped[0].contains("twelve"),
        "{skipped:?}"
    );
    write(&mut store, staged, false, &mut |_| true).unwrap();
    let stored = orders(&store);
    let numbers: Vec<_> = stored.iter().map(|o| (o.number.as_str(), o.net)).collect();
    assert_eq!(numbers, [("S-1", 1250), ("S-2", 3000), ("S-3", 725)]);
}

#[test]
fn quickbooks_receipts_without_a_number_are_one_order_per_customer_and_day() {
    let (dir, mut store) = new_store();
    let path = file(
        dir.path(),
        "Sales by Customer Detail.csv",
        "Sales by Customer Detail,,,,,,,,,\n\
         Hearth & Loom Co.,,,,,,,,,\n\
         ,,,,,,,,,\n\
         ,Date,Transaction Type,Num,Product/Service,Memo/Description,Qty,Sales Price,Amount,Balance\n\
         Carmen Ortiz,,,,,,,,,\n\
         ,03/19/2021,Sales Receipt,,Wall Hanging,\"Custom macrame, 2m\",1,\"1,240.00\",\"1,240.00\",\"1,240.00\"\n\
         ,03/19/2021,Sales Receipt,,Installation,On-site hanging,1,150.00,150.00,\"1,390.00\"\n\
         ,04/02/2021,Sales Receipt,,Cushion Cover,Linen cushion cover,2,22.50,45.00,\"1,435.00\"\n\
         Total for Carmen Ortiz,,,,,,,,\"$1,435.00\",\n",
    );
    import(&mut store, &path);
    let stored = orders(&store);
    let days: Vec<_> = stored.iter().map(|o| (o.day.as_str(), o.net)).collect();
    assert_eq!(
        days,
        [("2021-03-19", 139_000), ("2021-04-02", 4500)],
        "{stored:#?}"
    );
    assert_eq!(count(&store, "SELECT count(*) FROM order_lines"), 3);
}

#[test]
fn stripe_charges_in_another_currency_count_at_their_converted_amount() {
    let (dir, mut store) = new_store();
    let path = file(
        dir.path(),
        "unified_payments.csv",
        "id,Created date (UTC),Amount,Amount Refunded,Currency,Captured,Converted Amount,Converted Amount Refunded,Converted Currency,Status,Customer ID,Customer Email\n\
         ch_1,2025-05-03 14:22:05,49.00,0.00,usd,true,49.00,0.00,usd,Paid,cus_A,ann@example.org\n\
         ch_2,2025-05-04 09:00:00,40.00,10.00,eur,true,43.60,10.90,usd,Paid,cus_B,bo@example.de\n\
         ch_3,2025-05-05 10:00:00,25.00,0.00,usd,true,25.00,0.00,usd,Paid,cus_A,ann@example.org\n",
    );
    import(&mut store, &path);
    let stored = orders(&store);
    let amounts: Vec<_> = stored
        .iter()
        .map(|o| (o.number.as_str(), o.gross, o.refunded))
        .collect();
    assert_eq!(
        amounts,
        [("ch_1", 4900, 0), ("ch_2", 4360, 1090), ("ch_3", 2500, 0)],
        "the euro charge in dollars, not skipped as another currency"
    );
    assert_eq!(
        count(&store, "SELECT count(DISTINCT currency) FROM orders"),
        1
    );
}

#[test]
fn a_stripe_charge_naming_a_customer_id_and_an_email_first_seen_apart_makes_them_one_customer() {
    let header = "id,Created date (UTC),Amount,Amount Refunded,Currency,Captured,Status,Customer ID,Customer Email\n";
    let id_only = "ch_1,2025-05-03 14:22:05,49.00,0.00,usd,true,Paid,cus_A,\n";
    let email_only = "ch_2,2025-06-04 09:00:00,40.00,0.00,usd,true,Paid,,ann@example.org\n";
    let both = "ch_3,2025-07-05 10:00:00,25.00,0.00,usd,true,Paid,cus_A,ann@example.org\n";
    let people = |store: &Store| {
        count(
            store,
            "SELECT count(*) FROM customers WHERE merged_into IS NULL",
        )
    };
    // In one file: the later of the two new customers goes into the earlier.
    let (dir, mut store) = new_store();
    let one = file(
        dir.path(),
        "all.csv",
        &format!("{header}{id_only}{email_only}{both}"),
    );
    let staged = stage(&store, &one, ImportOptions::default(), &mut |_, _| true).unwrap();
    let result = write(&mut store, staged, false, &mut |_| true).unwrap();
    assert_eq!(result.outcome.customers_merged, 1);
    assert!(
        result
            .summary_lines()
            .iter()
            .any(|l| l.starts_with("1 customer was the same person")),
        "{:?}",
        result.summary_lines()
    );
    assert_eq!(people(&store), 1, "Ann is one customer with three orders");
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM orders o JOIN customers c ON c.id = o.customer_id
             WHERE coalesce(c.merged_into, c.id) = (SELECT min(id) FROM customers)"
        ),
        3
    );
    // Over two files: the new customer goes into the stored one, and undoing the second
    // import parts them again.
    let (dir, mut store) = new_store();
    let first = file(dir.path(), "may.csv", &format!("{header}{id_only}"));
    let second = file(
        dir.path(),
        "june-july.csv",
        &format!("{header}{email_only}{both}"),
    );
    import(&mut store, &first);
    import(&mut store, &second);
    assert_eq!(people(&store), 1);
    let merges = store.merges().unwrap();
    assert_eq!(merges.len(), 1, "{merges:?}");
    let last_import: i64 = count(&store, "SELECT max(id) FROM imports");
    store
        .undo_import(clv_desk::domain::ImportId(last_import))
        .unwrap();
    assert_eq!(people(&store), 1, "cus_A alone again, with May's order");
    assert_eq!(count(&store, "SELECT count(*) FROM customer_merges"), 0);
    assert_eq!(count(&store, "SELECT count(*) FROM orders"), 1);
}

#[test]
fn a_spreadsheet_from_another_till_numbering_alike_is_kept_apart_not_replacing_the_first() {
    let (dir, mut store) = new_store();
    // The web shop's export and the market stall's: both count from 1001.
    let web = file(
        dir.path(),
        "web.csv",
        "Order,Date,Email,Total\n\
         1001,2025-01-03,ann@example.org,20.00\n\
         1002,2025-01-05,bo@example.org,35.00\n\
         1003,2025-01-09,cy@example.org,12.00\n\
         1004,2025-01-12,ann@example.org,18.00\n",
    );
    let stall = file(
        dir.path(),
        "stall.csv",
        "Receipt,Date,E-mail,Amount,Stall\n\
         1001,2025-03-01,dee@example.org,5.00,North\n\
         1002,2025-03-01,ann@example.org,7.50,North\n\
         1003,2025-03-08,eli@example.org,4.00,South\n\
         1004,2025-03-08,fay@example.org,6.00,South\n",
    );
    import(&mut store, &web);
    // As `clv-desk import` does it (the write overlapping the reading when it can).
    let result = clv_desk::app::import::import_streamed(
        &mut store,
        &stall,
        ImportOptions::default(),
        &mut |_, _| true,
    )
    .unwrap();
    assert!(
        result
            .staged
            .report
            .warnings
            .iter()
            .any(|w| w.contains("kept apart")),
        "{:?}",
        result.staged.report.warnings
    );
    let total = |store: &Store| count(store, "SELECT sum(net_cents) FROM orders");
    assert_eq!(
        count(&store, "SELECT count(*) FROM orders"),
        8,
        "both tills' orders"
    );
    assert_eq!(total(&store), 8500 + 2250);
    // Ann bought at both: one customer (e-mail keys are shared), three orders.
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM orders o JOIN customers c ON c.id = o.customer_id
             WHERE c.email = 'ann@example.org'"
        ),
        3
    );
    // Next month's stall file repeats March and adds April: it follows the stall's orders.
    let stall_again = file(
        dir.path(),
        "stall-april.csv",
        "Receipt,Date,E-mail,Amount,Stall\n\
         1004,2025-03-08,fay@example.org,6.00,South\n\
         1005,2025-04-05,gus@example.org,9.00,North\n",
    );
    import(&mut store, &stall_again);
    assert_eq!(count(&store, "SELECT count(*) FROM orders"), 9);
    // A re-export of the web shop with a refund stays with the web shop's orders.
    let web_again = file(
        dir.path(),
        "web-2.csv",
        "Order,Date,Email,Total\n\
         1003,2025-01-09,cy@example.org,12.00\n\
         1004,2025-01-12,ann@example.org,18.00\n\
         1005,2025-01-20,hal@example.org,40.00\n",
    );
    import(&mut store, &web_again);
    assert_eq!(count(&store, "SELECT count(*) FROM orders"), 10);
    assert_eq!(total(&store), 8500 + 2250 + 900 + 4000);
    assert_eq!(
        count(&store, "SELECT count(DISTINCT source) FROM orders"),
        2
    );
}

#[test]
fn two_accounts_paying_with_one_email_stay_two_customers() {
    // WooCommerce: Sam (account 6) pays once with Kim's billing address (account 5).
    let (dir, mut store) = new_store();
    let orders_file = file(
        dir.path(),
        "orders.csv",
        "Order Number,Order Date,Order Status,Customer ID,Billing Email,Order Total\n\
         501,2025-03-01,completed,5,kim@example.org,30.00\n\
         502,2025-03-02,completed,6,sam@example.org,20.00\n\
         503,2025-03-09,completed,6,kim@example.org,25.00\n",
    );
    import(&mut store, &orders_file);
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM customers WHERE merged_into IS NULL"
        ),
        2,
        "Kim and Sam, not merged because they share an address once"
    );
}

#[test]
fn returned_and_test_orders_future_dates_and_scientific_amounts_are_read_for_what_they_are() {
    let (dir, mut store) = new_store();
    let path = file(
        dir.path(),
        "orders.csv",
        "Order ID,Order Date,Customer Email,Status,Total\n\
         1,2024-01-05,a@x.com,completed,1.5E+03\n\
         2,2024-01-06,b@x.com,Returned,40.00\n\
         3,2024-01-07,c@x.com,Chargeback,25.00\n\
         4,2024-01-08,d@x.com,test,99.00\n\
         5,2204-05-02,e@x.com,completed,10.00\n\
         6,1/1/50,f@x.com,completed,5.0E-01\n",
    );
    let staged = stage(&store, &path, ImportOptions::default(), &mut |_, _| true).unwrap();
    let examples: Vec<String> = staged
        .report
        .skipped
        .values()
        .flat_map(|s| s.examples.clone())
        .collect();
    assert!(
        examples
            .iter()
            .any(|e| e.contains("2204-05-02") && e.contains("future")),
        "{examples:?}"
    );
    write(&mut store, staged, false, &mut |_| true).unwrap();
    let stored: Vec<_> = orders(&store)
        .into_iter()
        .map(|o| (o.number, o.day, o.gross, o.net))
        .collect();
    let expect = |n: &str, d: &str, g: i64, net: i64| (n.to_owned(), d.to_owned(), g, net);
    assert_eq!(
        stored,
        [
            expect("1", "2024-01-05", 150_000, 150_000),
            expect("2", "2024-01-06", 4000, 0),
            expect("3", "2024-01-07", 2500, 0),
            expect("6", "1950-01-01", 50, 50),
        ],
        "the test order and the year 2204 are left out; 1/1/50 is 1950"
    );
}

#[test]
fn a_refund_on_a_later_line_of_a_spreadsheet_order_counts() {
    let (dir, mut store) = new_store();
    let path = file(
        dir.path(),
        "lines.csv",
        "Order ID,Order Date,Customer Email,Product,Amount,Refund\n\
         1,2024-01-01,a@x.com,Soap,20.00,0\n\
         1,2024-01-01,a@x.com,Candle,40.00,40.00\n\
         2,2024-01-02,b@x.com,Soap,20.00,5.00\n\
         2,2024-01-02,b@x.com,Brush,15.00,5.00\n",
    );
    import(&mut store, &path);
    let stored: Vec<_> = orders(&store)
        .into_iter()
        .map(|o| (o.number, o.gross, o.refunded, o.net))
        .collect();
    assert_eq!(
        stored,
        [
            ("1".to_owned(), 6000, 4000, 2000),
            // The same refund on every row: the order's, as a repeated total is.
            ("2".to_owned(), 3500, 500, 3000),
        ]
    );
}

#[test]
fn a_till_that_knows_customers_by_phone_keeps_them_apart_and_together() {
    let (dir, mut store) = new_store();
    let path = file(
        dir.path(),
        "salon.csv",
        "Order ID,Order Date,Name,Phone,Total\n\
         1,2024-01-05,Sam,+44 7700 900123,30.00\n\
         2,2024-02-05,Sam S,07700 900123,35.00\n\
         3,2024-02-06,Kim,07700 900456,20.00\n\
         4,2024-02-07,,,15.00\n",
    );
    import(&mut store, &path);
    let customers: Vec<(Option<i64>, i64)> = {
        let conn = rusqlite::Connection::open(store.path()).unwrap();
        let mut stmt = conn
            .prepare("SELECT customer_id, count(*) FROM orders GROUP BY customer_id ORDER BY customer_id")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(
        customers,
        [(None, 1), (Some(1), 2), (Some(2), 1)],
        "Sam's two spellings and number formats are one customer; the blank row is a guest"
    );
}

#[test]
fn a_time_zone_nobody_knows_is_reported_and_german_ones_are_known() {
    let (dir, store) = new_store();
    let path = file(
        dir.path(),
        "Download.CSV",
        "\"Date\",\"Time\",\"TimeZone\",\"Name\",\"Type\",\"Status\",\"Currency\",\"Gross\",\"From Email Address\",\"Transaction ID\",\"Balance Impact\"\n\
         \"01.03.2024\",\"10:00:00\",\"MEZ\",\"Anna\",\"Express Checkout Payment\",\"Completed\",\"EUR\",\"10,00\",\"a@x.com\",\"1A\",\"Credit\"\n\
         \"02.03.2024\",\"11:00:00\",\"Nowhere Land\",\"Ben\",\"Express Checkout Payment\",\"Completed\",\"EUR\",\"12,00\",\"b@x.com\",\"2B\",\"Credit\"\n",
    );
    let staged = stage(&store, &path, ImportOptions::default(), &mut |_, _| true).unwrap();
    assert!(
        staged
            .report
            .warnings
            .iter()
            .any(|w| w.contains("\"Nowhere Land\" is not one this app knows")),
        "{:?}",
        staged.report.warnings
    );
    assert_eq!(
        staged.orders[0].utc_offset_minutes,
        Some(60),
        "MEZ is +01:00"
    );
}

#[test]
fn a_spreadsheet_row_with_no_amount_is_skipped_not_a_free_sale() {
    let (dir, store) = new_store();
    let path = file(
        dir.path(),
        "sales.csv",
        "Order ID,Date,Email,Total\n\
         1,2024-03-01,a@x.com,10.00\n\
         2,2024-03-02,b@x.com,\n\
         3,2024-03-03,c@x.com,0.00\n",
    );
    let staged = stage(&store, &path, ImportOptions::default(), &mut |_, _| true).unwrap();
    let numbers: Vec<&str> = staged
        .orders
        .iter()
        .map(|o| o.external_id.as_str())
        .collect();
    assert_eq!(
        numbers,
        ["1", "3"],
        "a written 0.00 is a free order; an empty cell is not"
    );
    let examples: Vec<String> = staged
        .report
        .skipped
        .values()
        .flat_map(|s| s.examples.clone())
        .collect();
    assert!(
        examples
            .iter()
            .any(|e| e.contains("row 3") && e.contains("empty")),
        "{examples:?}"
    );
}

#[test]
fn the_first_file_that_names_no_currency_says_which_one_its_amounts_are_taken_in() {
    let (dir, mut store) = new_store();
    let says = |store: &Store, path: &Path| {
        stage(store, path, ImportOptions::default(), &mut |_, _| true)
            .unwrap()
            .report
            .warnings
            .iter()
            .any(|w| w.starts_with("The file names no currency: its amounts are taken as USD"))
    };
    let plain = file(
        dir.path(),
        "plain.csv",
        "Order ID,Date,Email,Total\n1,2024-03-01,a@x.com,10.00\n",
    );
    let euros = file(
        dir.path(),
        "euros.csv",
        "Order ID,Date,Email,Total\n2,2024-03-02,b@x.com,€12.00\n",
    );
    assert!(says(&store, &plain));
    assert!(!says(&store, &euros), "the € names it");
    import(&mut store, &plain);
    assert!(!says(&store, &plain), "the shop's currency is set by now");
}

#[test]
fn amazons_order_report_with_buyer_emails_is_recognised() {
    let (dir, mut store) = new_store();
    let header = "order-id\torder-item-id\tpurchase-date\tpayments-date\tbuyer-email\tbuyer-name\tbuyer-phone-number\tsku\tproduct-name\tquantity-purchased\tcurrency\titem-price\titem-tax\tshipping-price\tshipping-tax\titem-promotion-discount\n";
    let path = file(
        dir.path(),
        "Orders-report.txt",
        &format!(
            "{header}111-1\t1\t2024-01-05T10:00:00-08:00\t2024-01-05T10:00:00-08:00\tabc@marketplace.amazon.com\tAnn Lee\t\tMUG-1\tMug\t2\tUSD\t20.00\t1.60\t4.99\t0.00\t2.00\n\
             111-2\t2\t2024-02-05T10:00:00-08:00\t2024-02-05T10:00:00-08:00\tabc@marketplace.amazon.com\tAnn Lee\t\tRUG-1\tRug\t1\tUSD\t50.00\t4.00\t0.00\t0.00\t0.00\n"
        ),
    );
    let staged = stage(&store, &path, ImportOptions::default(), &mut |_, _| true).unwrap();
    assert_eq!(staged.preset, clv_desk::import::PresetId::Amazon);
    write(&mut store, staged, false, &mut |_| true).unwrap();
    let stored: Vec<_> = orders(&store)
        .into_iter()
        .map(|o| (o.number, o.net, o.customer))
        .collect();
    assert_eq!(
        stored,
        [
            ("111-1".to_owned(), 2000 + 160 + 499, Some(1)),
            ("111-2".to_owned(), 5400, Some(1)),
        ],
        "items, tax and shipping; one buyer"
    );
}
