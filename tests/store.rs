//! The store's promises about the owner's file: created and migrated with the right
//! pragmas, reopened unchanged, backed up before a migration, refused (untouched) when
//! newer, and reported in words — never a panic — when damaged, foreign or locked.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

mod common;

use std::path::Path;
use std::time::Duration;

use clv_desk::domain::{BusinessSettings, Currency};
use clv_desk::store::{MIGRATIONS, Migration, OpenOptions, Store, StoreError};

/// The real migrations plus one extra step, to play "a newer version of the app".
fn migrations_plus_one() -> &'static [Migration] {
    let mut list = MIGRATIONS.to_vec();
    list.push(Migration {
        version: MIGRATIONS.len() as u32 + 1,
        name: "test_extra_column",
        sql: "ALTER TABLE customers ADD COLUMN test_extra TEXT;",
        checksum: 0x1234,
    });
    Box::leak(list.into_boxed_slice())
}

fn options(migrations: &'static [Migration]) -> OpenOptions {
    OpenOptions {
        migrations,
        busy_timeout: Duration::from_millis(300),
    }
}

fn user_version(path: &Path) -> i64 {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn migrates_from_empty_with_the_whole_schema_and_safe_pragmas() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.sqlite");
    let store = Store::open(&path).unwrap();

    let report = store.open_report();
    assert!(report.created);
    assert_eq!(report.from_version, 0);
    assert_eq!(report.to_version, MIGRATIONS.len() as u32);
    assert_eq!(report.backup, None, "nothing to back up in a new file");
    assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len() as u32);

    let settings = store.connection_settings().unwrap();
    assert_eq!(settings.journal_mode, "wal");
    assert!(settings.foreign_keys);
    assert_eq!(settings.synchronous, 1, "NORMAL");
    assert!(settings.busy_timeout_ms >= 1000);
    assert_eq!(settings.application_id, clv_desk::store::APPLICATION_ID);
    assert_eq!(settings.page_size_bytes, clv_desk::store::PAGE_SIZE_BYTES);

    let tables = store.table_names().unwrap();
    for table in [
        "customers",
        "customer_keys",
        "imports",
        "orders",
        "order_lines",
        "model_runs",
        "customer_scores",
        "loyalty_settings",
        "tiers",
        "rewards",
        "points_ledger",
        "referral_codes",
        "referrals",
        "care_tasks",
        "touchpoints",
        "disputes",
        "settings",
        "schema_migrations",
    ] {
        assert!(
            tables.iter().any(|t| t == table),
            "missing table {table}: {tables:?}"
        );
    }
}

#[test]
fn reopen_keeps_data_and_writes_no_backup() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shop.sqlite");
    let wanted = BusinessSettings {
        currency: Currency::EUR,
        ..BusinessSettings::default()
    };
    {
        let mut store = Store::open(&path).unwrap();
        store.save_business_settings(&wanted).unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert!(!store.open_report().created);
    assert_eq!(
        store.open_report().backup,
        None,
        "same version: no migration, no backup"
    );
    assert_eq!(store.business_settings().unwrap(), wanted);
    let files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("backup"))
        .collect();
    assert!(files.is_empty(), "{files:?}");
}

#[test]
fn backup_is_written_before_migrating_an_existing_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shop.sqlite");
    {
        let mut store = Store::open_with(&path, options(MIGRATIONS)).unwrap();
        store
            .save_business_settings(&BusinessSettings {
                horizon_months: 36,
                ..BusinessSettings::default()
            })
            .unwrap();
    }
    let newer = migrations_plus_one();
    let store = Store::open_with(&path, options(newer)).unwrap();
    let report = store.open_report().clone();
    assert_eq!(report.from_version, MIGRATIONS.len() as u32);
    assert_eq!(report.to_version, newer.len() as u32);
    let backup = report.backup.expect("a backup before migrating");
    assert_eq!(
        backup.parent(),
        path.parent(),
        "backup lies beside the database"
    );
    drop(store);

    // The backup is the file as it was: old version, old data, no new column.
    assert_eq!(user_version(&backup), MIGRATIONS.len() as i64);
    let conn = rusqlite::Connection::open(&backup).unwrap();
    let horizon: String = conn
        .query_row(
            "SELECT value FROM settings WHERE key = 'horizon_months'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(horizon, "36");
    assert!(conn.prepare("SELECT test_extra FROM customers").is_err());

    // The database itself was migrated.
    assert_eq!(user_version(&path), newer.len() as i64);
    let conn = rusqlite::Connection::open(&path).unwrap();
    assert!(conn.prepare("SELECT test_extra FROM customers").is_ok());
}

#[test]
fn newer_version_is_refused_and_left_byte_for_byte_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("from-the-future.sqlite");
    drop(Store::open_with(&path, options(migrations_plus_one())).unwrap());
    let before = std::fs::read(&path).unwrap();
    let modified_before = std::fs::metadata(&path).unwrap().modified().unwrap();

    let err = Store::open(&path).unwrap_err();
    match &err {
        StoreError::NewerVersion {
            found, supported, ..
        } => {
            assert_eq!(*found, MIGRATIONS.len() as u32 + 1);
            assert_eq!(*supported, MIGRATIONS.len() as u32);
        }
        other => panic!("expected NewerVersion, got {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains("newer version of CLV Desk"), "{message}");
    assert!(message.contains("has not been changed"), "{message}");

    assert_eq!(std::fs::read(&path).unwrap(), before, "file bytes changed");
    assert_eq!(
        std::fs::metadata(&path).unwrap().modified().unwrap(),
        modified_before
    );
    let backups = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains("backup")
        })
        .count();
    assert_eq!(backups, 0);
}

#[test]
fn a_file_that_is_not_a_database_is_reported_and_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("orders.csv");
    let text = b"Name,Email,Total\n#1001,a@example.com,12.50\n".repeat(20);
    std::fs::write(&path, &text).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::NotADatabase { .. }), "{err:?}");
    assert!(err.to_string().contains("is not a CLV Desk database"));
    assert_eq!(std::fs::read(&path).unwrap(), text);
}

#[test]
fn a_damaged_database_is_reported_not_panicked_on() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("damaged.sqlite");
    drop(Store::open(&path).unwrap());
    // Keep the 100-byte header, overwrite the rest of the first pages (the schema) with junk.
    let mut bytes = std::fs::read(&path).unwrap();
    for (i, b) in bytes.iter_mut().enumerate().skip(100).take(16_000) {
        *b = (i * 7 % 251) as u8;
    }
    std::fs::write(&path, &bytes).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Corrupt { .. } | StoreError::NotADatabase { .. }
        ),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains("damaged.sqlite"),
        "message names the file: {message}"
    );
}

#[test]
fn a_truncated_database_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("truncated.sqlite");
    drop(Store::open(&path).unwrap());
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 3]).unwrap();
    match Store::open(&path) {
        Err(err) => assert!(err.to_string().contains("truncated.sqlite"), "{err}"),
        Ok(store) => {
            // SQLite may accept a file cut at a page boundary; any later read must then fail
            // with a message, not a panic.
            let result = store.overview();
            assert!(result.is_err(), "reading a truncated file should fail");
        }
    }
}

#[test]
fn a_database_of_another_program_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("browser-history.sqlite");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE visits (url TEXT); INSERT INTO visits VALUES ('x');")
            .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::ForeignDatabase { .. }), "{err:?}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn a_folder_or_a_missing_folder_gives_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let err = Store::open(dir.path()).unwrap_err();
    assert!(err.to_string().contains("folder"), "{err}");
    let err = Store::open(&dir.path().join("no/such/dir/x.sqlite")).unwrap_err();
    assert!(matches!(err, StoreError::CannotOpen { .. }), "{err:?}");
    assert!(err.to_string().contains("cannot be opened"), "{err}");
}

#[test]
fn a_locked_database_is_reported_as_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("busy.sqlite");
    drop(Store::open_with(&path, options(MIGRATIONS)).unwrap());
    let other = rusqlite::Connection::open(&path).unwrap();
    other
        .execute_batch("PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE;")
        .unwrap();
    other
        .execute("INSERT INTO settings (key, value) VALUES ('x', 'y')", [])
        .unwrap();
    let err = Store::open_with(&path, options(migrations_plus_one())).unwrap_err();
    assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
    assert!(
        err.to_string().contains("in use by another program"),
        "{err}"
    );
}

#[test]
fn an_edited_migration_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shop.sqlite");
    drop(Store::open(&path).unwrap());
    let mut edited = MIGRATIONS.to_vec();
    edited[0].checksum ^= 1;
    let edited: &'static [Migration] = Box::leak(edited.into_boxed_slice());
    let err = Store::open_with(&path, options(edited)).unwrap_err();
    assert!(
        matches!(err, StoreError::ChangedMigration { version: 1, .. }),
        "{err:?}"
    );
}

#[test]
fn a_zero_length_file_becomes_a_new_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.sqlite");
    std::fs::write(&path, b"").unwrap();
    let store = Store::open(&path).unwrap();
    assert!(store.open_report().created);
    assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len() as u32);
}

#[test]
fn a_file_made_with_smaller_pages_keeps_them_and_takes_an_import() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("small-pages.sqlite");
    {
        // An empty database of 4 KiB pages, as SQLite (and earlier versions) made them.
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "PRAGMA page_size = 4096; PRAGMA journal_mode = WAL;
             CREATE TABLE scratch (a); DROP TABLE scratch;",
        )
        .unwrap();
    }
    let mut store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len() as u32);
    let settings = store.connection_settings().unwrap();
    assert_eq!(
        settings.page_size_bytes, 4096,
        "SQLite fixed it at creation"
    );
    assert_ne!(settings.page_size_bytes, clv_desk::store::PAGE_SIZE_BYTES);
    // Enough orders to split pages, through the bulk-load path too.
    let orders: Vec<clv_desk::domain::NewOrder> = (0..25_000)
        .map(|n| {
            common::orders::paid_order(
                &format!("order-{n}"),
                common::orders::who(&format!("c{}@example.com", n % 900), "Customer"),
                &format!("2025-03-{:02}", 1 + n % 28),
                1_000 + n,
            )
        })
        .collect();
    let outcome = store
        .write_import(
            &clv_desk::store::orders::NewImport::default(),
            &orders,
            &[],
            &mut |_| true,
        )
        .unwrap();
    assert_eq!(outcome.orders_created, 25_000);
    drop(store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    drop(conn);
    let store = Store::open(&path).unwrap();
    assert_eq!(store.connection_settings().unwrap().page_size_bytes, 4096);
}
