//! A backup copy the owner asks for: the whole database written to a file of their choice
//! while the app stays open.
//!
//! Copying the `.sqlite` file by hand while CLV Desk runs can miss the latest changes (they
//! may still be in the `-wal` file beside it). `VACUUM INTO` instead reads through the open
//! connection, WAL included, and writes one complete, compact file. It is written under a
//! temporary name and renamed into place at the end, so a cancelled or failed copy never
//! leaves a half-written file, nor replaces an earlier backup of the same name.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::{Store, StoreError};

/// How often a running copy looks whether it was cancelled.
const CANCEL_POLL: Duration = Duration::from_millis(50);

impl Store {
    /// Writes a complete copy of the database to `dest` (replacing a file there) and returns
    /// its size in bytes, or `None` when `cancelled` said stop first (then nothing was
    /// written). Refuses `dest` when it is this database itself.
    pub fn save_copy(
        &self,
        dest: &Path,
        cancelled: &(dyn Fn() -> bool + Sync),
    ) -> Result<Option<u64>, StoreError> {
        if same_file(dest, self.path()) {
            return Err(StoreError::Refused {
                reason: format!(
                    "{} is the database itself; choose another name or folder for the copy.",
                    dest.display()
                ),
            });
        }
        let partial = partial_path(dest);
        let cannot_write = |detail: String| StoreError::CannotOpen {
            path: dest.to_path_buf(),
            detail,
        };
        remove_if_present(&partial).map_err(|e| cannot_write(e.to_string()))?;
        let interrupt = self.conn().get_interrupt_handle();
        let done = AtomicBool::new(false);
        let copied = std::thread::scope(|scope| {
            // Watches for Cancel while SQLite copies; an interrupt ends the copy at once.
            scope.spawn(|| {
                while !done.load(Ordering::Relaxed) {
                    if cancelled() {
                        interrupt.interrupt();
                        return;
                    }
                    std::thread::sleep(CANCEL_POLL);
                }
            });
            let copied = self
                .conn()
                .execute("VACUUM INTO ?1", [partial.to_string_lossy()]);
            done.store(true, Ordering::Relaxed);
            copied
        });
        if let Err(e) = copied {
            let _ = remove_if_present(&partial);
            if e.sqlite_error_code() == Some(rusqlite::ErrorCode::OperationInterrupted) {
                return Ok(None);
            }
            return Err(cannot_write(e.to_string()));
        }
        if cancelled() {
            let _ = remove_if_present(&partial);
            return Ok(None);
        }
        std::fs::rename(&partial, dest).map_err(|e| {
            let _ = remove_if_present(&partial);
            cannot_write(e.to_string())
        })?;
        let bytes = std::fs::metadata(dest).map_or(0, |m| m.len());
        Ok(Some(bytes))
    }
}

/// `dest` with `.partial` added to its name: where the copy is written until it is whole.
fn partial_path(dest: &Path) -> PathBuf {
    let mut name = dest.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    dest.with_file_name(name)
}

/// Removes `path`; a file that is not there is no error.
fn remove_if_present(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Whether `a` and `b` name the same file (either may not exist yet).
fn same_file(a: &Path, b: &Path) -> bool {
    fn resolved(path: &Path) -> PathBuf {
        if let Ok(full) = path.canonicalize() {
            return full;
        }
        let folder = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| Path::new("."));
        let folder = folder
            .canonicalize()
            .unwrap_or_else(|_| folder.to_path_buf());
        folder.join(path.file_name().unwrap_or_default())
    }
    resolved(a) == resolved(b)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

    use super::*;

    fn count(store: &Store, sql: &str) -> i64 {
        store.conn().query_row(sql, [], |r| r.get(0)).unwrap()
    }

    /// A database holding `customers` customers, the last ones written after the latest
    /// checkpoint (still in the WAL only).
    fn store_with(dir: &Path, customers: i64) -> Store {
        let store = Store::open(&dir.join("shop.sqlite")).unwrap();
        store
            .conn()
            .execute_batch("PRAGMA wal_autocheckpoint = 0")
            .unwrap();
        for i in 0..customers {
            store
                .conn()
                .execute(
                    "INSERT INTO customers (display_name, created_utc) VALUES (?1, 0)",
                    [format!("Customer {i}")],
                )
                .unwrap();
        }
        store
    }

    #[test]
    fn the_copy_holds_what_is_still_in_the_wal_and_replaces_an_older_copy() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with(dir.path(), 25);
        let wal = dir.path().join("shop.sqlite-wal");
        assert!(
            std::fs::metadata(&wal).unwrap().len() > 0,
            "the premise: the latest writes are in the WAL"
        );
        let dest = dir.path().join("backup.sqlite");
        std::fs::write(&dest, b"an older copy").unwrap();
        let bytes = store.save_copy(&dest, &|| false).unwrap().unwrap();
        assert_eq!(bytes, std::fs::metadata(&dest).unwrap().len());
        assert!(!partial_path(&dest).exists());
        let copy = Store::open(&dest).unwrap();
        assert_eq!(count(&copy, "SELECT count(*) FROM customers"), 25);
        assert_eq!(
            count(&copy, "PRAGMA user_version"),
            count(&store, "PRAGMA user_version")
        );
    }

    #[test]
    fn a_cancelled_copy_writes_nothing_and_keeps_the_older_copy() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with(dir.path(), 3);
        let dest = dir.path().join("backup.sqlite");
        std::fs::write(&dest, b"an older copy").unwrap();
        assert_eq!(store.save_copy(&dest, &|| true).unwrap(), None);
        assert_eq!(std::fs::read(&dest).unwrap(), b"an older copy");
        assert!(!partial_path(&dest).exists());
    }

    #[test]
    fn the_database_itself_is_refused_as_the_copy() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with(dir.path(), 3);
        let itself = dir.path().join(".").join("shop.sqlite");
        let err = store.save_copy(&itself, &|| false).unwrap_err();
        assert!(matches!(err, StoreError::Refused { .. }), "{err}");
        assert_eq!(count(&store, "SELECT count(*) FROM customers"), 3);
    }

    #[test]
    fn the_database_opens_and_is_copied_while_another_program_writes_to_it() {
        let dir = tempfile::tempdir().unwrap();
        drop(store_with(dir.path(), 4));
        let path = dir.path().join("shop.sqlite");
        let other = rusqlite::Connection::open(&path).unwrap();
        other
            .execute_batch("BEGIN IMMEDIATE; UPDATE customers SET display_name = 'held'")
            .unwrap();
        let options = crate::store::OpenOptions {
            busy_timeout: Duration::from_millis(50),
            ..crate::store::OpenOptions::default()
        };
        let store = Store::open_with(&path, options).unwrap();
        let dest = dir.path().join("copy.sqlite");
        assert!(store.save_copy(&dest, &|| false).unwrap().is_some());
        other.execute_batch("ROLLBACK").unwrap();
        let copy = Store::open(&dest).unwrap();
        assert_eq!(count(&copy, "SELECT count(*) FROM customers"), 4);
        assert_eq!(
            count(
                &copy,
                "SELECT count(*) FROM customers WHERE display_name = 'held'"
            ),
            0,
            "the other program's uncommitted change is not in it"
        );
    }

    #[test]
    fn a_folder_that_does_not_exist_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_with(dir.path(), 1);
        let dest = dir.path().join("no such folder").join("backup.sqlite");
        let err = store.save_copy(&dest, &|| false).unwrap_err();
        assert!(err.to_string().contains("backup.sqlite"), "{err}");
        assert!(!dest.exists());
    }
}
