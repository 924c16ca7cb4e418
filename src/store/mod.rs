//! The one SQLite file that holds everything: opening it safely, migrating it, and the
//! queries for each table family (one submodule each, SQL beside the code that runs it).
//!
//! Opening is careful because the file is the owner's only copy of their work:
//! * a file that is not SQLite, belongs to another program, or is damaged is refused with
//!   a message that says which;
//! * a file written by a newer CLV Desk is refused and left byte-for-byte untouched (it is
//!   probed through a read-only connection before anything is written);
//! * before an existing file is migrated, a consistent copy is written beside it;
//! * every migration step runs inside one transaction, so a failure leaves the old schema.

mod backup;
pub mod care;
pub mod customers;
mod error;
pub mod imports;
pub mod loyalty;
pub mod migrate;
pub mod orders;
pub mod referrals;
pub mod scores;
pub mod settings;
pub mod stats;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

pub use error::StoreError;
pub use migrate::{MIGRATIONS, Migration};

/// `PRAGMA application_id` written into every CLV Desk database ("CLVD" in ASCII), so a
/// SQLite file of another program is recognised and left alone.
pub const APPLICATION_ID: i32 = 0x434c_5644;

/// The first 16 bytes of every SQLite 3 database file.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// How long a statement waits for another connection's lock before giving up.
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// File name of the database in the OS data directory.
pub const DEFAULT_FILE_NAME: &str = "clv-desk.sqlite";

/// Where the database lives when `--db` is not given: the OS data directory
/// (`~/.local/share/clv-desk/` on Linux, `~/Library/Application Support/clv-desk/` on
/// macOS, `%APPDATA%\clv-desk\data\` on Windows). `None` when the OS reports no home.
pub fn default_db_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "clv-desk")
        .map(|dirs| dirs.data_dir().join(DEFAULT_FILE_NAME))
}

/// Choices for [`Store::open_with`]; [`Store::open`] uses the defaults.
#[derive(Clone, Copy, Debug)]
pub struct OpenOptions {
    /// The migrations this binary knows, oldest first.
    pub migrations: &'static [Migration],
    /// How long to wait for a lock held by another program.
    pub busy_timeout: Duration,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            migrations: MIGRATIONS,
            busy_timeout: DEFAULT_BUSY_TIMEOUT,
        }
    }
}

/// What [`Store::open`] did to the file, for the status line and the CLI.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OpenReport {
    /// The file did not exist (or was empty) and a new database was created.
    pub created: bool,
    /// Schema version before opening (0 for a new file).
    pub from_version: u32,
    /// Schema version now.
    pub to_version: u32,
    /// The copy written before migrating, if one was needed.
    pub backup: Option<PathBuf>,
}

/// An open CLV Desk database: the single writer connection and where it came from.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    report: OpenReport,
    /// A checkpoint running on its own connection (see [`Store::checkpoint_in_background`]).
    checkpoint: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Store {
    /// Waits for a background checkpoint, so a program that ends right after a large
    /// import leaves its database file complete rather than its pages in the WAL.
    fn drop(&mut self) {
        self.join_checkpoint();
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (or creates) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Store::open_with(path, OpenOptions::default())
    }

    /// [`Store::open`] with explicit migrations and lock timeout (tests use both).
    pub fn open_with(path: &Path, options: OpenOptions) -> Result<Store, StoreError> {
        let latest = migrate::latest_version(options.migrations);
        let existing = existing_file_state(path, options.busy_timeout)?;
        if let Some(state) = &existing {
            if state.user_version > latest {
                return Err(StoreError::NewerVersion {
                    path: path.to_path_buf(),
                    found: state.user_version,
                    supported: latest,
                });
            }
            let foreign_id = state.application_id != 0 && state.application_id != APPLICATION_ID;
            let foreign_schema =
                state.application_id == 0 && state.user_version == 0 && state.table_count > 0;
            if foreign_id || foreign_schema {
                return Err(StoreError::ForeignDatabase {
                    path: path.to_path_buf(),
                });
            }
        }

        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| StoreError::from_sqlite(path, e))?;
        configure_connection(&conn, options.busy_timeout)
            .map_err(|e| StoreError::from_sqlite(path, e))?;

        let from_version = existing.as_ref().map_or(0, |s| s.user_version);
        let mut conn = conn;
        migrate::verify_applied(&conn, path, options.migrations)?;
        let mut backup = None;
        if from_version > 0 && from_version < latest {
            backup = Some(migrate::write_backup(&conn, path, from_version)?);
        }
        migrate::apply_pending(&mut conn, path, options.migrations)?;

        Ok(Store {
            conn,
            path: path.to_path_buf(),
            report: OpenReport {
                created: existing.is_none(),
                from_version,
                to_version: latest,
                backup,
            },
            checkpoint: None,
        })
    }

    /// Copies the pages in the WAL into the database file on a thread with a connection of
    /// its own (a passive checkpoint: readers and this connection's writes go on meanwhile).
    /// A bulk import's commit hands this copy of every page it wrote (and its fsync) here
    /// instead of making the owner wait for it. If it fails or is cut short, nothing is
    /// lost: the pages stay in the WAL, which readers see, and the next checkpoint (SQLite
    /// runs one after later commits and when the last connection closes) copies them.
    pub(crate) fn checkpoint_in_background(&mut self) {
        self.join_checkpoint();
        let path = self.path.clone();
        self.checkpoint = std::thread::Builder::new()
            .name("clv-desk-checkpoint".to_owned())
            .spawn(move || {
                let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
                if let Ok(conn) = Connection::open_with_flags(&path, flags) {
                    let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                }
            })
            .ok();
    }

    /// Waits for the background checkpoint, if one is running.
    fn join_checkpoint(&mut self) {
        if let Some(checkpoint) = self.checkpoint.take() {
            let _ = checkpoint.join();
        }
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What opening did (created, migrated, backup written).
    pub fn open_report(&self) -> &OpenReport {
        &self.report
    }

    /// The schema version recorded in the file (`PRAGMA user_version`).
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        migrate::user_version(&self.conn).map_err(|e| self.err(e))
    }

    /// The connection's effective safety settings (journal mode, foreign keys, sync level,
    /// busy timeout), read back from SQLite rather than assumed.
    pub fn connection_settings(&self) -> Result<ConnectionSettings, StoreError> {
        let read = || -> rusqlite::Result<ConnectionSettings> {
            let conn = &self.conn;
            Ok(ConnectionSettings {
                journal_mode: conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))?,
                foreign_keys: conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?,
                synchronous: conn.query_row("PRAGMA synchronous", [], |r| r.get(0))?,
                busy_timeout_ms: conn.query_row("PRAGMA busy_timeout", [], |r| r.get(0))?,
                application_id: conn.query_row("PRAGMA application_id", [], |r| r.get(0))?,
                page_size_bytes: conn.query_row("PRAGMA page_size", [], |r| r.get(0))?,
            })
        };
        read().map_err(|e| self.err(e))
    }

    /// Names of all tables in the database, sorted.
    pub fn table_names(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
            .map_err(|e| self.err(e))?;
        stmt.query_map([], |r| r.get(0))
            .and_then(Iterator::collect)
            .map_err(|e| self.err(e))
    }

    /// Size of the database file on disk in bytes (main file only, WAL excluded).
    pub fn file_size_bytes(&self) -> u64 {
        std::fs::metadata(&self.path).map_or(0, |m| m.len())
    }

    /// Turns a SQLite error on this database into a [`StoreError`] naming the file.
    pub(crate) fn err(&self, error: rusqlite::Error) -> StoreError {
        StoreError::from_sqlite(&self.path, error)
    }

    /// The connection, for the table-family submodules.
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The connection mutably (transactions), for the table-family submodules.
    pub(crate) fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// Runs `write` with SQLite's per-row foreign-key checks off, and with
    /// `constraints_too` its CHECK constraints as well, for a write whose references and
    /// values are right by construction (or checked once, all together); both are back on
    /// before anything else runs on the connection, whatever `write` returns. The
    /// foreign-key pragma cannot change inside a transaction, hence around one; each pragma
    /// also expires the statements prepared under it.
    pub(crate) fn with_row_checks_off<T, E: From<StoreError>>(
        &mut self,
        constraints_too: bool,
        write: impl FnOnce(&mut Store) -> Result<T, E>,
    ) -> Result<T, E> {
        let set = |conn: &Connection, off: bool| -> rusqlite::Result<()> {
            conn.pragma_update(None, "foreign_keys", if off { "OFF" } else { "ON" })?;
            if constraints_too {
                conn.pragma_update(
                    None,
                    "ignore_check_constraints",
                    if off { "ON" } else { "OFF" },
                )?;
            }
            Ok(())
        };
        set(&self.conn, true).map_err(|e| self.err(e))?;
        let result = write(self);
        let restored = set(&self.conn, false);
        let value = result?;
        restored.map_err(|e| self.err(e))?;
        Ok(value)
    }
}

/// Effective settings of the writer connection, see [`Store::connection_settings`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionSettings {
    /// `wal` on every file system that supports it.
    pub journal_mode: String,
    /// Whether foreign keys are enforced.
    pub foreign_keys: bool,
    /// 1 = NORMAL.
    pub synchronous: i64,
    /// Lock wait in milliseconds.
    pub busy_timeout_ms: i64,
    /// [`APPLICATION_ID`] in every CLV Desk file.
    pub application_id: i32,
    /// The file's page size: [`PAGE_SIZE_BYTES`] for a file this version created, what it
    /// was for an older one (SQLite fixes it when the file is created).
    pub page_size_bytes: i64,
}

/// What a read-only look at an existing file found, before anything is written to it.
struct ExistingFile {
    user_version: u32,
    application_id: i32,
    table_count: i64,
}

/// `None` when there is no database yet (missing or zero-length file); otherwise the probe.
fn existing_file_state(
    path: &Path,
    busy_timeout: Duration,
) -> Result<Option<ExistingFile>, StoreError> {
    let metadata = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(StoreError::CannotOpen {
                path: path.to_path_buf(),
                detail: e.to_string(),
            });
        }
    };
    if metadata.is_dir() {
        return Err(StoreError::CannotOpen {
            path: path.to_path_buf(),
            detail: "it is a folder, not a file".to_owned(),
        });
    }
    if metadata.len() == 0 {
        return Ok(None);
    }
    check_header(path)?;

    let probe = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| StoreError::from_sqlite(path, e))?;
    probe
        .busy_timeout(busy_timeout)
        .map_err(|e| StoreError::from_sqlite(path, e))?;
    let read = || -> rusqlite::Result<ExistingFile> {
        let user_version: i64 = probe.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let application_id: i32 = probe.query_row("PRAGMA application_id", [], |r| r.get(0))?;
        // Reading the schema parses every CREATE statement: a damaged schema page fails here.
        let table_count: i64 = probe.query_row(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table'",
            [],
            |r| r.get(0),
        )?;
        Ok(ExistingFile {
            user_version: u32::try_from(user_version).unwrap_or(u32::MAX),
            application_id,
            table_count,
        })
    };
    read()
        .map(Some)
        .map_err(|e| StoreError::from_sqlite(path, e))
}

/// Refuses a file that does not start with the SQLite header, before SQLite sees it.
fn check_header(path: &Path) -> Result<(), StoreError> {
    use std::io::Read as _;
    let mut header = [0u8; 16];
    let mut file = std::fs::File::open(path).map_err(|e| StoreError::CannotOpen {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })?;
    let read = file.read(&mut header).map_err(|e| StoreError::CannotOpen {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })?;
    if read < header.len() || &header != SQLITE_HEADER {
        return Err(StoreError::NotADatabase {
            path: path.to_path_buf(),
        });
    }
    Ok(())
}

/// The page size of a database file this version creates (SQLite's default is 4 KiB). Half
/// the pages for the same rows: half the B-tree splits, WAL frames and write calls of a
/// large import, and of copying them into the file. CDNOW master imported and valued as one
/// process: 214.6 ms median against 226.8 with 4 KiB pages (16 KiB: 216.4), 25 runs each,
/// alternated. A small change (a loyalty event) writes whole pages to the WAL, 8 KiB each:
/// no matter at a shop's pace. Files created with another page size keep it.
pub const PAGE_SIZE_BYTES: i64 = 8192;

/// The pragmas every connection runs with: [`PAGE_SIZE_BYTES`] for a new file, WAL (a
/// killed process never corrupts the file, readers never wait for the writer), enforced
/// foreign keys, NORMAL sync (safe with WAL), and a busy timeout instead of failing at once
/// on a lock.
fn configure_connection(conn: &Connection, busy_timeout: Duration) -> rusqlite::Result<()> {
    conn.busy_timeout(busy_timeout)?;
    // Before anything creates the file's first page; a no-op on a file that has one.
    conn.pragma_update(None, "page_size", PAGE_SIZE_BYTES)?;
    let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    // 32 MiB of page cache (SQLite's default is 2 MiB): a large import then works in memory
    // instead of spilling pages to the WAL and reading them back.
    conn.pragma_update(None, "cache_size", -32_768)?;
    Ok(())
}

/// Seconds since the Unix epoch, UTC, for the `*_utc` columns.
pub(crate) fn now_utc() -> i64 {
    chrono::Utc::now().timestamp()
}
