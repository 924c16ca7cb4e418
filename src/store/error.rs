//! Everything that can go wrong with the database file, in words an owner can act on.

use std::path::PathBuf;

use rusqlite::ErrorCode;

/// A database problem. Each message names the file and says what to do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file was written by a newer CLV Desk; it has not been changed.
    #[error(
        "{} was written by a newer version of CLV Desk (database version {found}; this version understands up to {supported}). Install the newer CLV Desk to open it. The file has not been changed.",
        path.display()
    )]
    NewerVersion {
        /// The database file.
        path: PathBuf,
        /// Schema version found in the file.
        found: u32,
        /// Newest schema version this binary knows.
        supported: u32,
    },

    /// The file is not an SQLite database at all.
    #[error(
        "{} is not a CLV Desk database: it does not start like an SQLite database file. Choose another file, or a new file name to start a fresh database.",
        path.display()
    )]
    NotADatabase {
        /// The file.
        path: PathBuf,
    },

    /// The file is an SQLite database of some other program.
    #[error(
        "{} is a database of another program, not of CLV Desk. It was left untouched; choose another file name.",
        path.display()
    )]
    ForeignDatabase {
        /// The file.
        path: PathBuf,
    },

    /// SQLite found damage inside the file.
    #[error(
        "{} is damaged and cannot be read ({detail}). If you have a backup (files named *.backup-*.sqlite beside it), open that instead.",
        path.display()
    )]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// SQLite's own description.
        detail: String,
    },

    /// Another program holds a lock on the file.
    #[error(
        "{} is in use by another program (it is locked). Close the other program or the other CLV Desk window and try again.",
        path.display()
    )]
    Locked {
        /// The file.
        path: PathBuf,
    },

    /// The file cannot be opened or created (permissions, missing folder, read-only disk, …).
    #[error("{} cannot be opened: {detail}.", path.display())]
    CannotOpen {
        /// The file.
        path: PathBuf,
        /// What the operating system or SQLite said.
        detail: String,
    },

    /// A migration that was already applied differs from the one this binary carries.
    #[error(
        "{}: schema step {version} ({name}) differs from the one applied to this file. This build of CLV Desk was changed incorrectly; use an official release.",
        path.display()
    )]
    ChangedMigration {
        /// The file.
        path: PathBuf,
        /// Migration number.
        version: u32,
        /// Migration name.
        name: String,
    },

    /// The safety copy before migrating could not be written; nothing was migrated.
    #[error(
        "could not write the safety copy {} before updating the database ({detail}). Nothing was changed; free some disk space or check folder permissions.",
        backup.display()
    )]
    Backup {
        /// Where the copy was to be written.
        backup: PathBuf,
        /// Why it failed.
        detail: String,
    },

    /// The customer asked for does not exist (deleted by an undo, or a stale id).
    #[error("there is no customer number {id}; it may have been removed by undoing an import")]
    NoSuchCustomer {
        /// The customer id asked for.
        id: i64,
    },

    /// A change to a customer that the rules do not allow (merging someone into themselves,
    /// editing an erased customer, an invalid e-mail, …). Nothing was changed.
    #[error("{reason}")]
    Refused {
        /// What was refused and why, in the owner's words.
        reason: String,
    },

    /// Any other SQLite failure.
    #[error("database error in {}: {source}", path.display())]
    Sql {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: rusqlite::Error,
    },
}

impl StoreError {
    /// Classifies a SQLite error on `path` into the variant an owner can act on.
    pub fn from_sqlite(path: &std::path::Path, error: rusqlite::Error) -> StoreError {
        let path = path.to_path_buf();
        match error.sqlite_error_code() {
            Some(ErrorCode::NotADatabase) => StoreError::NotADatabase { path },
            Some(ErrorCode::DatabaseCorrupt) => StoreError::Corrupt {
                path,
                detail: error.to_string(),
            },
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
                StoreError::Locked { path }
            }
            Some(
                ErrorCode::CannotOpen
                | ErrorCode::PermissionDenied
                | ErrorCode::ReadOnly
                | ErrorCode::DiskFull
                | ErrorCode::SystemIoFailure,
            ) => StoreError::CannotOpen {
                path,
                detail: error.to_string(),
            },
            _ => StoreError::Sql {
                path,
                source: error,
            },
        }
    }
}
