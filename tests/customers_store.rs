//! The Customers store against a real database: duplicate suggestions per rule, merges that
//! survive re-imports and unmerge exactly, flattened chains, erasure that removes every
//! personal detail but no revenue, a data key that moves with every change of ownership,
//! profiles with order lines and score history, and the subject-access export.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use std::sync::Arc;

use chrono::{NaiveDate, TimeZone as _, Utc};
use clv_desk::domain::{Currency, CustomerId, CustomerIdentity, NewOrder, NewOrderLine};
use clv_desk::store::customers::{ContactEdits, CustomerEdits};
use clv_desk::store::orders::{NewImport, WriteOutcome};
use clv_desk::store::scores::{NewRun, Score};
use clv_desk::store::{Store, StoreError};

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("customers.sqlite")).unwrap();
    (dir, store)
}

/// A person as an export names them.
fn who(email: &str, name: &str) -> CustomerIdentity {
    CustomerIdentity {
        email: Some(email.to_owned()).filter(|e| !e.is_empty()),
        name: Some(name.to_owned()).filter(|n| !n.is_empty()),
        ..CustomerIdentity::default()
    }
}

/// Order `id` of `customer` on day `day` of March 2025 for `cents`, with two line items.
fn order(id: &str, customer: CustomerIdentity, cents: i64, day: u32) -> NewOrder {
    let placed = Utc.with_ymd_and_hms(2025, 3, day, 10, 0, 0).unwrap();
    let mut order = NewOrder::paid("shop", id, customer, placed, Currency::EUR, cents);
    order.coupon_code = Some("WELCOME".into());
    order.channel = Some("web".into());
    order.lines = vec![
        NewOrderLine {
            sku: Some(Arc::from("HB-250")),
            name: Arc::from("House blend 250 g"),
            quantity: 1.0,
            unit_price_cents: cents,
            total_cents: cents,
        },
        NewOrderLine {
            sku: None,
            name: Arc::from("Sample"),
            quantity: 1.0,
            unit_price_cents: 0,
            total_cents: 0,
        },
    ];
    order
}

fn import(store: &mut Store, orders: &[NewOrder]) -> WriteOutcome {
    store
        .write_import(&NewImport::default(), orders, &[], &mut |_| true)
        .unwrap()
}

/// The customer whose e-mail (or, without one, name) is `text`.
fn id_of(store: &Store, text: &str) -> i64 {
    let conn = rusqlite::Connection::open(store.path()).unwrap();
    conn.query_row(
        "SELECT id FROM customers WHERE email = ?1 OR (email IS NULL AND display_name = ?1)",
        [text],
        |r| r.get(0),
    )
    .unwrap()
}

fn sql_i64(store: &Store, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(store.path()).unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

fn survivor(store: &Store, customer: i64) -> Option<i64> {
    store
        .customer_profile(customer)
        .unwrap()
        .unwrap()
        .merged_into
}

fn order_ids(store: &Store, customer: i64) -> Vec<String> {
    let mut ids: Vec<String> = store
        .customer_profile(customer)
        .unwrap()
        .unwrap()
        .orders
        .into_iter()
        .map(|o| o.external_id)
        .collect();
    ids.sort();
    ids
}

#[test]
fn suggestions_find_each_rule_and_leave_a_clean_pair_alone() {
    let (_dir, mut store) = store();
    let with = |email: &str, name: &str, phone: Option<&str>, postcode: Option<&str>| {
        let mut person = who(email, name);
        person.phone = phone.map(str::to_owned);
        person.postcode = postcode.map(str::to_owned);
        person
    };
    let mut by_platform = who("", "Sam Lee");
    by_platform.platform_id = Some("cus_9".into());
    import(
        &mut store,
        &[
            order(
                "1",
                with("jane.doe@gmail.com", "Jane Doe", None, None),
                1000,
                1,
            ),
            order(
                "2",
                with("janedoe+shop@googlemail.com", "J. Doe", None, None),
                1000,
                2,
            ),
            order("3", with("sam@example.com", "Sam", None, None), 1000, 3),
            order("4", by_platform, 1000, 4),
            order(
                "5",
                with("ann@a.com", "Ann", Some("+44 7700 900123"), None),
                1000,
                5,
            ),
            order(
                "6",
                with("annie@b.com", "Annie", Some("07700 900123"), None),
                1000,
                6,
            ),
            order(
                "7",
                with("bob1@x.com", "Bob  Stone", None, Some("sw1a 1aa")),
                1000,
                7,
            ),
            order(
                "8",
                with("bob2@y.com", "bob stone", None, Some("SW1A1AA")),
                1000,
                8,
            ),
            // A clean pair: one name, other addresses (dots count at example.com), other
            // postcodes and phones.
            order(
                "9",
                with(
                    "kim.lee@example.com",
                    "Kim Lee",
                    Some("0123 555 0101"),
                    Some("AB1 2CD"),
                ),
                1000,
                9,
            ),
            order(
                "10",
                with(
                    "kimlee@example.com",
                    "Kim Lee",
                    Some("0123 555 0202"),
                    Some("EF3 4GH"),
                ),
                1000,
                10,
            ),
        ],
    );
    // The same address in other capitals, typed in by the owner on a platform customer.
    let sam2 = id_of(&store, "Sam Lee");
    store
        .update_customer_contact(
            sam2,
            &ContactEdits {
                display_name: "Sam Lee".into(),
                email: "SAM@Example.com".into(),
                ..ContactEdits::default()
            },
        )
        .unwrap();

    let suggestions = store.duplicate_suggestions().unwrap();
    let groups: Vec<Vec<i64>> = suggestions.iter().map(|s| s.ids()).collect();
    let pair = |a: &str, b: &str| {
        let mut ids = vec![id_of(&store, a), id_of(&store, b)];
        ids.sort_unstable();
        ids
    };
    let expected = vec![
        pair("jane.doe@gmail.com", "janedoe+shop@googlemail.com"),
        pair("sam@example.com", "SAM@Example.com"),
        pair("ann@a.com", "annie@b.com"),
        pair("bob1@x.com", "bob2@y.com"),
    ];
    assert_eq!(groups, expected, "{suggestions:#?}");
    let evidence: Vec<String> = suggestions.iter().map(|s| s.evidence_text()).collect();
    assert_eq!(
        evidence[0],
        "same e-mail jane.doe@gmail.com and janedoe+shop@googlemail.com (Gmail ignores dots and anything after +; googlemail.com is gmail.com)"
    );
    assert_eq!(evidence[1], "same e-mail sam@example.com");
    assert_eq!(
        evidence[2],
        "same phone number +44 7700 900123 and 07700 900123 (the same last 9 digits, 700900123)"
    );
    assert_eq!(evidence[3], "same name Bob Stone and postcode sw1a 1aa");
    assert_eq!(suggestions[0].customers[0].name, "Jane Doe");

    // Merged customers are no longer suggested.
    let [a, b] = [expected[0][0], expected[0][1]];
    store.merge_customers(a, b).unwrap();
    assert_eq!(store.duplicate_suggestions().unwrap().len(), 3);
}

#[test]
fn a_merge_survives_reimporting_the_same_or_an_overlapping_export() {
    let (_dir, mut store) = store();
    let first = [
        order("1", who("ann@x.com", "Ann"), 1000, 1),
        order("2", who("ann@x.com", "Ann"), 2000, 5),
        order("3", who("ann.b@work.com", "Ann B"), 4000, 3),
    ];
    import(&mut store, &first);
    let (ann, work) = (id_of(&store, "ann@x.com"), id_of(&store, "ann.b@work.com"));
    let outcome = store.merge_customers(ann, work).unwrap();
    assert_eq!((outcome.survivor, outcome.duplicate), (ann, work));
    assert_eq!(outcome.orders_moved, 1);
    assert_eq!(store.overview().unwrap().customers, 1);
    assert_eq!(store.overview().unwrap().repeat_customers, 1);

    // The same file again: nothing changes, still one customer.
    let again = import(&mut store, &first);
    assert_eq!(
        (
            again.orders_created,
            again.orders_updated,
            again.customers_created
        ),
        (0, 0, 0)
    );
    // An overlapping later export with a new order under the duplicate's address.
    let mut later = first.to_vec();
    later.push(order("4", who("ann.b@work.com", "Ann B"), 500, 9));
    let overlap = import(&mut store, &later);
    assert_eq!(
        (
            overlap.orders_created,
            overlap.orders_updated,
            overlap.customers_created
        ),
        (1, 0, 0)
    );
    let overview = store.overview().unwrap();
    assert_eq!(overview.customers, 1);
    assert_eq!(overview.revenue_in(Currency::EUR), 7500);
    let values = store.customer_values().unwrap();
    assert_eq!(values.len(), 1);
    assert_eq!(
        (values[0].id, values[0].orders, values[0].revenue_cents),
        (ann, 4, 7500)
    );
    assert_eq!(order_ids(&store, ann), ["1", "2", "3", "4"]);
    let history = store.purchase_history().unwrap();
    assert_eq!(history.customer_ids, [CustomerId(ann)]);
    assert_eq!(history.purchases.len(), 4);

    // Unmerged, the duplicate takes back its orders, the one imported after the merge too.
    store.unmerge_customer(work).unwrap();
    assert_eq!(store.overview().unwrap().customers, 2);
    assert_eq!(order_ids(&store, ann), ["1", "2"]);
    assert_eq!(order_ids(&store, work), ["3", "4"]);
    let ann_profile = store.customer_profile(ann).unwrap().unwrap();
    let work_profile = store.customer_profile(work).unwrap().unwrap();
    assert_eq!(
        (ann_profile.net_cents, work_profile.net_cents),
        (3000, 4500)
    );
    assert_eq!((ann_profile.order_count, work_profile.order_count), (2, 2));
}

#[test]
fn unmerge_restores_both_customers_and_the_fields_the_merge_filled() {
    let (_dir, mut store) = store();
    let mut with_phone = who("b@x.com", "Bea");
    with_phone.phone = Some("0123 456 789".into());
    with_phone.birthday = Some("--04-01".into());
    import(
        &mut store,
        &[
            order("1", who("a@x.com", "Bea Smith"), 1000, 1),
            order("2", with_phone, 2500, 2),
        ],
    );
    let (a, b) = (id_of(&store, "a@x.com"), id_of(&store, "b@x.com"));
    let before = (
        store.customer_profile(a).unwrap().unwrap(),
        store.customer_profile(b).unwrap().unwrap(),
    );
    let outcome = store.merge_customers(a, b).unwrap();
    assert_eq!(outcome.filled, ["birthday", "phone"]);
    let merged = store.customer_profile(a).unwrap().unwrap();
    assert_eq!(merged.phone.as_deref(), Some("0123 456 789"));
    assert_eq!(merged.merged_ids, [b]);
    assert_eq!(merged.net_cents, 3500);
    assert_eq!(
        merged.keys.len(),
        2,
        "both addresses recognise the survivor"
    );
    assert_eq!(
        store.customer_profile(b).unwrap().unwrap().merged_into,
        Some(a)
    );

    store.unmerge_customer(b).unwrap();
    let after = (
        store.customer_profile(a).unwrap().unwrap(),
        store.customer_profile(b).unwrap().unwrap(),
    );
    assert_eq!(after.0.phone, None, "the filled phone is taken back");
    assert_eq!(after.0.birthday, None);
    assert_eq!(after.0.net_cents, before.0.net_cents);
    assert_eq!(after.1.net_cents, before.1.net_cents);
    assert_eq!(after.0.orders, before.0.orders);
    assert_eq!(after.1.orders, before.1.orders);
    assert_eq!(after.1.merged_into, None);
    let records = store.merges().unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!((records[0].survivor_id, records[0].duplicate_id), (a, b));
    assert!(records[0].unmerged_utc.is_some());
    assert!(matches!(
        store.unmerge_customer(b),
        Err(StoreError::Refused { .. })
    ));
}

#[test]
fn merging_chains_flattens_and_the_rules_refuse_what_they_must() {
    let (_dir, mut store) = store();
    import(
        &mut store,
        &["a", "b", "c", "d", "e"].map(|n| order(n, who(&format!("{n}@x.com"), n), 100, 1)),
    );
    let id = |n: &str| id_of(&store, &format!("{n}@x.com"));
    let (a, b, c, d, e) = (id("a"), id("b"), id("c"), id("d"), id("e"));
    store.merge_customers(b, c).unwrap();
    // b, who has c merged into them, joins a: c moves along.
    let outcome = store.merge_customers(a, b).unwrap();
    assert_eq!(outcome.also_moved, [c]);
    assert_eq!(outcome.orders_moved, 2);
    assert_eq!(
        (survivor(&store, b), survivor(&store, c)),
        (Some(a), Some(a))
    );
    // Merging into a merged customer follows the chain to the survivor.
    assert_eq!(store.merge_customers(c, d).unwrap().survivor, a);
    assert_eq!(survivor(&store, d), Some(a));
    assert_eq!(
        store.customer_profile(a).unwrap().unwrap().merged_ids,
        [b, c, d]
    );
    assert!(
        store
            .merges()
            .unwrap()
            .iter()
            .filter(|m| m.unmerged_utc.is_none())
            .all(|m| m.survivor_id == a),
        "history follows the flattened chain"
    );
    assert_eq!(store.overview().unwrap().customers, 2);

    let refused = |result: Result<_, StoreError>| matches!(result, Err(StoreError::Refused { .. }));
    assert!(refused(store.merge_customers(e, e)));
    assert!(
        refused(store.merge_customers(b, a)),
        "into someone merged into them"
    );
    assert!(refused(store.merge_customers(e, b)), "already merged");
    assert!(matches!(
        store.merge_customers(e, 9_999),
        Err(StoreError::NoSuchCustomer { id: 9_999 })
    ));
    store.erase_customer(e).unwrap();
    assert!(refused(store.merge_customers(a, e)), "erased");

    // Unmerging the middle of a flattened chain leaves the others with the survivor.
    store.unmerge_customer(b).unwrap();
    assert_eq!((survivor(&store, b), survivor(&store, c)), (None, Some(a)));
}

/// Every cell of every table, as text, for looking for personal details.
fn all_cells(store: &Store) -> Vec<String> {
    let conn = rusqlite::Connection::open(store.path()).unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut cells = Vec::new();
    for table in tables {
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{table}\"")).unwrap();
        let columns = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            for i in 0..columns {
                if let Ok(text) = row.get_ref(i).unwrap().as_str() {
                    cells.push(format!("{table}: {text}"));
                }
            }
        }
    }
    cells
}

#[test]
fn erasure_removes_every_personal_detail_and_key_but_no_revenue() {
    let (_dir, mut store) = store();
    let mut jane = who("jane.doe@gmail.com", "Jane Doe");
    jane.postcode = Some("SW1A 1AA".into());
    jane.birthday = Some("1990-05-17".into());
    jane.marketing_consent = Some(true);
    let mut jane_platform = who("", "Jane Doe");
    jane_platform.platform_id = Some("cus_JANE".into());
    import(
        &mut store,
        &[
            order("1", who("jane.doe@gmail.com", ""), 1000, 1),
            order("2", jane_platform, 1500, 2),
            order("3", who("other@x.com", "Other"), 700, 3),
        ],
    );
    // A later import fills in details an undo would restore.
    let mut filled = jane.clone();
    filled.phone = Some("+44 20 7946 0958".into());
    import(&mut store, &[order("4", filled, 2000, 4)]);
    let (id, platform) = (
        id_of(&store, "jane.doe@gmail.com"),
        id_of(&store, "Jane Doe"),
    );
    store.merge_customers(id, platform).unwrap();
    store
        .update_customer_details(
            id,
            &CustomerEdits {
                tags: "vip, ".into(),
                notes: "Prefers oat milk; lives above the bakery".into(),
                marketing_consent: true,
            },
        )
        .unwrap();
    let total = sql_i64(&store, "SELECT sum(net_cents) FROM orders");
    let overview = store.overview().unwrap();

    let preview = store.erasure_preview(platform).unwrap();
    assert_eq!(preview.customer_id, id, "the person is the survivor");
    assert_eq!(preview.customers, [id, platform]);
    for field in [
        "name",
        "e-mail",
        "phone",
        "birthday",
        "postcode",
        "tags",
        "notes",
        "marketing consent",
    ] {
        assert!(
            preview.fields.iter().any(|f| f == field),
            "{field} in {preview:?}"
        );
    }
    assert_eq!(preview.keys, 2);
    assert_eq!(preview.notes_chars, 40);
    assert_eq!(preview.orders_kept, 3);

    let outcome = store.erase_customer(id).unwrap();
    assert_eq!(outcome.customers_erased, [id, platform]);
    assert_eq!((outcome.keys_removed, outcome.orders_kept), (2, 3));
    let profile = store.customer_profile(id).unwrap().unwrap();
    assert!(profile.is_erased());
    assert_eq!(profile.display_name, format!("Erased customer {id}"));
    assert_eq!(
        (
            &profile.email,
            &profile.phone,
            &profile.birthday,
            &profile.postcode
        ),
        (&None, &None, &None, &None)
    );
    assert_eq!((profile.tags.as_str(), profile.notes.as_str()), ("", ""));
    assert!(!profile.marketing_consent);
    assert!(profile.keys.is_empty());
    assert_eq!(
        profile.orders.len(),
        3,
        "orders stay with the erased customer"
    );
    assert_eq!(profile.orders[0].lines.len(), 2, "with their products");
    let leaks: Vec<String> = all_cells(&store)
        .into_iter()
        .filter(|c| {
            [
                "jane", "Jane", "SW1A", "7946", "1990-05", "oat milk", "cus_JANE",
            ]
            .iter()
            .any(|p| c.contains(p))
        })
        .collect();
    assert!(leaks.is_empty(), "{leaks:?}");
    assert_eq!(sql_i64(&store, "SELECT sum(net_cents) FROM orders"), total);
    let after = store.overview().unwrap();
    assert_eq!(after.revenue_by_currency, overview.revenue_by_currency);
    assert_eq!(
        (after.customers, after.orders),
        (overview.customers, overview.orders)
    );
    assert_eq!(store.computed_overview().unwrap(), after);

    // Nothing brings the details back: not an undo of the import that filled them, not an
    // unmerge, not an edit.
    let last_import = store.recent_imports(1).unwrap()[0].id;
    store
        .undo_import(clv_desk::domain::ImportId(last_import))
        .unwrap();
    store.unmerge_customer(platform).unwrap();
    assert_eq!(store.customer_profile(id).unwrap().unwrap().phone, None);
    assert!(matches!(
        store.update_customer_details(id, &CustomerEdits::default()),
        Err(StoreError::Refused { .. })
    ));
}

#[test]
fn the_data_key_moves_with_every_merge_unmerge_and_erasure() {
    let (_dir, mut store) = store();
    import(
        &mut store,
        &[
            order("1", who("a@x.com", "A"), 1000, 1),
            order("2", who("b@x.com", "B"), 1000, 2),
        ],
    );
    let (a, b) = (id_of(&store, "a@x.com"), id_of(&store, "b@x.com"));
    let mut keys = vec![store.valuation_data_key().unwrap()];
    assert_eq!(store.overview().unwrap().customers, 2);
    store.merge_customers(a, b).unwrap();
    keys.push(store.valuation_data_key().unwrap());
    assert_eq!(
        store.overview().unwrap().customers,
        1,
        "the cached overview was recomputed"
    );
    store.unmerge_customer(b).unwrap();
    keys.push(store.valuation_data_key().unwrap());
    assert_eq!(store.overview().unwrap().customers, 2);
    store
        .update_customer_details(
            a,
            &CustomerEdits {
                tags: "x".into(),
                ..CustomerEdits::default()
            },
        )
        .unwrap();
    assert_eq!(
        &store.valuation_data_key().unwrap(),
        keys.last().unwrap(),
        "tags do not change any figure"
    );
    store.erase_customer(b).unwrap();
    keys.push(store.valuation_data_key().unwrap());
    let mut distinct = keys.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), keys.len(), "{keys:?}");
    assert_eq!(
        keys[0], "imports 1/0",
        "unchanged for databases without merges"
    );
}

fn score(customer: i64, clv_cents: f64) -> Score {
    Score {
        customer_id: CustomerId(customer),
        frequency: 1,
        recency: 2.0,
        t: 10.0,
        monetary_cents: 1000.0,
        p_alive: Some(0.8),
        expected_purchases: Some(1.5),
        expected_spend_cents: Some(1000.0),
        clv_cents,
        clv_low_cents: Some(clv_cents * 0.5),
        clv_high_cents: Some(clv_cents * 1.5),
        rfm: Some(([3, 3, 3], "Promising")),
    }
}

/// A BG/NBD run at the end of March 2025 with an empty summary.
fn bgnbd_run() -> NewRun {
    NewRun {
        model: "bgnbd".into(),
        params_json: "{}".into(),
        period: "week".into(),
        observation_end: NaiveDate::from_ymd_opt(2025, 3, 31).unwrap(),
        summary_json: "{}".into(),
        ..NewRun::default()
    }
}

#[test]
fn a_run_described_while_its_scores_are_written_stores_that_description_once() {
    let (_dir, mut store) = store();
    import(&mut store, &[order("1", who("ann@x.com", "Ann"), 1000, 1)]);
    let id = id_of(&store, "ann@x.com");
    let run = bgnbd_run();
    let mut described = 0;
    let (run_id, summary) = store
        .save_run_described(&run, &[score(id, 100.0)], &mut |_| true, &mut || {
            described += 1;
            r#"{"customers_valued":1}"#.to_owned()
        })
        .unwrap()
        .expect("saved");
    assert_eq!(described, 1);
    assert_eq!(summary, r#"{"customers_valued":1}"#);
    let current = store.current_run().unwrap().unwrap();
    assert_eq!(
        (current.id, current.run.summary_json.as_str()),
        (run_id, summary.as_str())
    );

    // Cancelled while the scores are written: nothing is recorded, and the description is
    // not asked for.
    let cancelled = store
        .save_run_described(&run, &[score(id, 200.0)], &mut |_| false, &mut || {
            unreachable!("a cancelled save describes nothing")
        })
        .unwrap();
    assert_eq!(cancelled, None);
    assert_eq!(store.current_run().unwrap().unwrap().id, run_id);
}

#[test]
fn scores_of_a_customer_no_longer_stored_fail_the_save_and_the_checks_come_back_on() {
    let (_dir, mut store) = store();
    import(&mut store, &[order("1", who("ann@x.com", "Ann"), 1000, 1)]);
    let ann = id_of(&store, "ann@x.com");
    let saved = store
        .save_run(&bgnbd_run(), &[score(ann, 100.0)], &mut |_| true)
        .unwrap();
    assert!(saved.is_some());
    assert!(store.connection_settings().unwrap().foreign_keys);

    // Valued, then the customer was removed (another window, an undo): nothing is saved.
    let gone = ann + 1000;
    let failed = store.save_run(
        &bgnbd_run(),
        &[score(ann, 200.0), score(gone, 300.0)],
        &mut |_| true,
    );
    let message = failed.unwrap_err().to_string();
    assert!(message.contains("FOREIGN KEY"), "{message}");
    assert_eq!(store.current_run().unwrap().unwrap().id, saved.unwrap());
    assert_eq!(sql_i64(&store, "SELECT count(*) FROM model_runs"), 1);
    assert_eq!(sql_i64(&store, "SELECT count(*) FROM customer_scores"), 1);
    assert!(
        store.connection_settings().unwrap().foreign_keys,
        "checks are back on"
    );
}

#[test]
fn the_profile_has_orders_with_lines_and_scores_newest_first() {
    let (_dir, mut store) = store();
    let mut ann = who("ann@x.com", "Ann");
    ann.phone = Some("555 0101".into());
    import(
        &mut store,
        &[
            order("1", ann.clone(), 1000, 1),
            order("2", ann, 2500, 8),
            order("3", who("bo@x.com", "Bo"), 700, 3),
        ],
    );
    let id = id_of(&store, "ann@x.com");
    for clv in [100.0, 200.0] {
        store
            .save_run(&bgnbd_run(), &[score(id, clv)], &mut |_| true)
            .unwrap();
    }
    let profile = store.customer_profile(id).unwrap().unwrap();
    assert_eq!(profile.display_name, "Ann");
    assert_eq!(profile.phone.as_deref(), Some("555 0101"));
    assert_eq!(
        (
            profile.first_order.as_deref(),
            profile.last_order.as_deref()
        ),
        (Some("2025-03-01"), Some("2025-03-08"))
    );
    assert_eq!(profile.keys.len(), 1);
    assert_eq!(profile.keys[0].kind, "email");
    let numbers: Vec<&str> = profile
        .orders
        .iter()
        .map(|o| o.external_id.as_str())
        .collect();
    assert_eq!(numbers, ["2", "1"], "newest first");
    let newest = &profile.orders[0];
    assert_eq!(
        (
            newest.net_cents,
            newest.currency.as_str(),
            newest.coupon_code.as_deref()
        ),
        (2500, "EUR", Some("WELCOME"))
    );
    let lines: Vec<(&str, i64)> = newest
        .lines
        .iter()
        .map(|l| (l.name.as_str(), l.total_cents))
        .collect();
    assert_eq!(lines, [("House blend 250 g", 2500), ("Sample", 0)]);
    assert_eq!(newest.lines[0].sku.as_deref(), Some("HB-250"));
    let clvs: Vec<f64> = profile.scores.iter().map(|s| s.clv_cents).collect();
    assert_eq!(clvs, [200.0, 100.0]);
    assert!(profile.scores[0].is_current && !profile.scores[1].is_current);
    assert_eq!(profile.scores[0].segment.as_deref(), Some("Promising"));
    assert_eq!(store.customer_profile(9_999).unwrap(), None);
}

#[test]
fn owner_edits_are_saved_together_and_checked() {
    let (_dir, mut store) = store();
    import(&mut store, &[order("1", who("a@x.com", "A"), 1000, 1)]);
    let id = id_of(&store, "a@x.com");
    store
        .update_customer_details(
            id,
            &CustomerEdits {
                tags: " vip ,wholesale, VIP".into(),
                notes: "Calls before noon.".into(),
                marketing_consent: true,
            },
        )
        .unwrap();
    let profile = store.customer_profile(id).unwrap().unwrap();
    assert_eq!(
        (
            profile.tags.as_str(),
            profile.notes.as_str(),
            profile.marketing_consent
        ),
        ("vip, wholesale", "Calls before noon.", true)
    );
    let too_long = CustomerEdits {
        notes: "x".repeat(clv_desk::store::customers::MAX_NOTES_CHARS + 1),
        ..CustomerEdits::default()
    };
    assert!(matches!(
        store.update_customer_details(id, &too_long),
        Err(StoreError::Refused { .. })
    ));
    let bad = ContactEdits {
        display_name: "A".into(),
        email: "not an address".into(),
        ..ContactEdits::default()
    };
    assert!(store.update_customer_contact(id, &bad).is_err());
    assert_eq!(
        store
            .customer_profile(id)
            .unwrap()
            .unwrap()
            .email
            .as_deref(),
        Some("a@x.com"),
        "nothing saved"
    );
    assert!(matches!(
        store.update_customer_details(9_999, &CustomerEdits::default()),
        Err(StoreError::NoSuchCustomer { id: 9_999 })
    ));
}

#[test]
fn the_export_holds_the_profile_orders_and_every_record_of_the_person() {
    let (_dir, mut store) = store();
    import(
        &mut store,
        &[
            order("1", who("a@x.com", "Ann"), 1000, 1),
            order("2", who("a.work@x.com", "Ann"), 2000, 2),
        ],
    );
    let (a, work) = (id_of(&store, "a@x.com"), id_of(&store, "a.work@x.com"));
    store.merge_customers(a, work).unwrap();
    let export = store.customer_export_json(work).unwrap();
    assert_eq!(export["customer"]["id"], work, "the record asked for");
    let export = store.customer_export_json(a).unwrap();
    let orders = export["customer"]["orders"].as_array().unwrap();
    assert_eq!(orders.len(), 2);
    assert_eq!(orders[0]["external_id"], "2");
    assert_eq!(orders[0]["lines"][0]["name"], "House blend 250 g");
    assert_eq!(export["customer"]["keys"].as_array().unwrap().len(), 2);
    let records = export["related"]["customer_records"].as_array().unwrap();
    let emails: Vec<&str> = records.iter().filter_map(|r| r["email"].as_str()).collect();
    assert_eq!(emails, ["a@x.com", "a.work@x.com"]);
    assert_eq!(export["related"]["merges"].as_array().unwrap().len(), 1);
    for table in [
        "touchpoints",
        "disputes",
        "care_tasks",
        "points_ledger",
        "referrals",
    ] {
        assert!(export["related"][table].is_array(), "{table}");
    }
    assert!(matches!(
        store.customer_export_json(9_999),
        Err(StoreError::NoSuchCustomer { .. })
    ));
}

#[test]
fn demo_data_merges_and_unmerges_without_changing_revenue() {
    let (_dir, mut store) = store();
    let orders = clv_desk::demo::demo_orders(&clv_desk::demo::DemoOptions {
        customers: 300,
        seed: 7,
        end_date: NaiveDate::from_ymd_opt(2025, 6, 30).unwrap(),
        currency: Currency::EUR,
    });
    import(&mut store, &orders);
    let before = store.overview().unwrap();
    let values = store.customer_values().unwrap();
    let (a, b) = (values[0].id, values[1].id);
    store.merge_customers(a, b).unwrap();
    let merged = store.overview().unwrap();
    assert_eq!(merged.customers, before.customers - 1);
    assert_eq!(merged.revenue_by_currency, before.revenue_by_currency);
    assert_eq!(
        store.customer_values().unwrap()[0].revenue_cents,
        values[0].revenue_cents + values[1].revenue_cents
    );
    // A re-import of the whole demo keeps the merge.
    let again = import(&mut store, &orders);
    assert_eq!((again.orders_created, again.orders_updated), (0, 0));
    assert_eq!(store.overview().unwrap().customers, merged.customers);
    store.unmerge_customer(b).unwrap();
    assert_eq!(store.overview().unwrap(), before);
    assert_eq!(store.customer_values().unwrap(), values);
}

#[test]
fn undoing_the_import_that_created_a_merged_customer_ends_the_merge() {
    let (_dir, mut store) = store();
    import(&mut store, &[order("1", who("a@x.com", "A"), 1000, 1)]);
    import(&mut store, &[order("2", who("b@x.com", "B"), 2000, 2)]);
    let (a, b) = (id_of(&store, "a@x.com"), id_of(&store, "b@x.com"));
    // The survivor came with the import that is undone: the duplicate stands alone again.
    store.merge_customers(b, a).unwrap();
    let latest = clv_desk::domain::ImportId(store.recent_imports(1).unwrap()[0].id);
    store.undo_import(latest).unwrap();
    assert_eq!(store.customer_profile(b).unwrap(), None);
    let profile = store.customer_profile(a).unwrap().unwrap();
    assert_eq!((profile.merged_into, profile.order_count), (None, 1));
    assert!(store.merges().unwrap().is_empty());
    let overview = store.overview().unwrap();
    assert_eq!(
        (overview.customers, overview.revenue_in(Currency::EUR)),
        (1, 1000)
    );
}
