//! The store: silkroute's database and the truth every other part derives from
//! (the search index is rebuilt from it; job outputs are written from it).
//!
//! The main type is [`Store`]: opened by the CLI, the server, the job runner
//! (`crate::job`) and `silkroute worker`, shared as `Arc<Store>`; every method
//! is one transaction. It is one interface, [`StoreBackend`], over two backends
//! with the same schema and numbered migrations:
//!
//! - SQLite, the embedded default: one file (`silkroute.db` in the data
//!   directory, bundled SQLite through `rusqlite`) in WAL mode with
//!   `synchronous=FULL` and a busy timeout. Opening a data directory takes an
//!   exclusive lock on `silkroute.lock`, held for the life of the store, so a
//!   second process is refused with a clear message instead of two writers
//!   racing. Migrations are kept in `PRAGMA user_version`.
//! - PostgreSQL (`--store postgres://…`, in `pg/`): the shared store and job
//!   queue of many machines. Migrations are kept in a `silkroute_schema` table.
//!
//! It holds source listings, their localizations for each market (with every
//! replaced version kept in a history table), glossaries, the translation
//! memory, batch jobs with their rows, items, rejects and an append-only item
//! log, the workers that lease job items (`queue.rs`), and the index feed: one
//! row per change to a listing or localization, written by triggers, which the
//! server follows to keep the search index current. Migrations run at open in
//! one transaction, and a database written by a newer silkroute is refused.
//!
//! ```no_run
//! use silkroute::paths::DataDir;
//! use silkroute::store::Store;
//! let store = Store::open(&DataDir::at("/tmp/silkroute-data"))?;
//! for job in store.jobs()? {
//!     println!("{} {} {}/{}", job.id, job.status, job.succeeded + job.failed, job.total_items);
//! }
//! # Ok::<(), silkroute::store::StoreError>(())
//! ```

mod backend;
mod glossary;
mod jobs;
mod listings;
mod lock;
mod memory;
mod pg;
mod queue;
mod schema;
mod sqlite;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

pub use backend::{Store, StoreBackend, StoreLocation};
pub use glossary::{StoredGlossary, StoredGlossaryEntry};
pub use jobs::{
    CREATING, ItemKey, ItemOutcome, ItemStatus, Job, JobId, JobItem, JobRow, JobStatus, NewJob,
    PendingItem, RejectRow,
};
pub use listings::StoredLocalization;
pub use memory::MemoryKey;
pub use queue::{LIVE_WINDOW, Lease, WorkerBeat, WorkerInfo, WorkerStart};
pub use schema::SCHEMA_VERSION;

use crate::paths::DataDir;

/// How long a writer waits for another connection's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another process holds the data directory.
    #[error(
        "the data directory {dir} is in use by another silkroute process ({holder}); \
         stop it or use another --data-dir"
    )]
    Locked {
        /// The data directory.
        dir: PathBuf,
        /// What the lock file says about its holder (`pid 1234`).
        holder: String,
    },
    /// A file or directory could not be created or opened.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The database was written by a newer silkroute.
    #[error(
        "database {path} has schema version {found}, newer than this silkroute supports \
         ({supported}); upgrade silkroute"
    )]
    TooNew {
        /// The database file.
        path: PathBuf,
        /// Its version.
        found: u32,
        /// The newest version this build knows.
        supported: u32,
    },
    /// The database is older than this build and was opened read-only, so it
    /// cannot be migrated.
    #[error(
        "database {path} has schema version {found}; open it once without --read-only \
         to upgrade it to {supported}"
    )]
    TooOld {
        /// The database file.
        path: PathBuf,
        /// Its version.
        found: u32,
        /// The version this build writes.
        supported: u32,
    },
    /// The disk (or the database's size limit) is full. The failed transaction
    /// was rolled back; everything committed before it is intact.
    #[error(
        "disk full while writing {path}: the last change was rolled back, everything \
         committed before it is kept; free some space and try again"
    )]
    DiskFull {
        /// The database file.
        path: PathBuf,
    },
    /// Any other SQLite failure.
    #[error("database {path}: {source}")]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// A PostgreSQL failure: the connection or a statement.
    #[error("store {url}: {source}")]
    Postgres {
        /// The store, without its password.
        url: String,
        /// The client's error.
        source: postgres::Error,
    },
    /// No connection to the store could be had (the server is down or
    /// unreachable, the pool timed out).
    #[error("store {url}: {message}")]
    Unavailable {
        /// The store, without its password.
        url: String,
        /// What happened.
        message: String,
    },
    /// A `--store` / `SILKROUTE_STORE` / `[store] url` value that is not a store.
    #[error("store `{url}`: {message}")]
    BadUrl {
        /// The value, without its password.
        url: String,
        /// What is wrong with it.
        message: String,
    },
    /// A leased item's lease is gone: it expired and another worker took the
    /// item over (or committed it). The commit was refused; the item is not lost.
    #[error(
        "job {job} row {row} market {market_index}: lease lost (the lease expired and \
         another worker took the item over)"
    )]
    LeaseLost {
        /// Job id.
        job: JobId,
        /// Row index.
        row: u32,
        /// Market index.
        market_index: u32,
    },
    /// A stored value does not decode (a JSON column, an unknown status).
    #[error("database {path}: table {table}: {message}")]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// The table.
        table: &'static str,
        /// What does not decode.
        message: String,
    },
    /// No job with this id.
    #[error("no job {0}")]
    JobNotFound(JobId),
    /// A job item was committed a second time (a bug in the caller; refused).
    #[error("job {job} row {row} market {market}: already committed")]
    AlreadyCommitted {
        /// Job id.
        job: JobId,
        /// Row index.
        row: u32,
        /// Market id.
        market: String,
    },
    /// A job status change that is not allowed (resume a succeeded job, ...).
    #[error("job {job} is {status}: cannot {action}")]
    Transition {
        /// Job id.
        job: JobId,
        /// Its current status.
        status: JobStatus,
        /// What was asked.
        action: &'static str,
    },
}

impl StoreError {
    /// Whether this is a full disk (the job runner stops on it).
    pub fn is_disk_full(&self) -> bool {
        matches!(self, StoreError::DiskFull { .. })
    }

    /// Whether this is a lost connection to a shared store (a worker gives its
    /// items up and reconnects), as opposed to a refused statement.
    pub fn is_connection(&self) -> bool {
        match self {
            StoreError::Unavailable { .. } => true,
            StoreError::Postgres { source, .. } => {
                source.is_closed()
                    || source
                        .code()
                        .is_none_or(|c| c.code().starts_with("08") || c.code().starts_with("57P"))
            }
            _ => false,
        }
    }
}

/// Open options; the defaults suit the CLI and the server.
#[derive(Debug, Clone, Default)]
pub struct StoreOptions {
    /// Open read-only and without the directory lock, for `jobs list` and `show`
    /// while another process runs a job (WAL lets readers see committed data).
    pub read_only: bool,
    /// Cap the database at this many pages (SQLite's `max_page_count`); writes
    /// past it fail as a full disk. For tests of the disk-full path, and for
    /// operators who want a quota.
    pub max_page_count: Option<u64>,
}

/// The SQLite backend: one connection behind a mutex. Thread-safe.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Mutex<Connection>,
    path: PathBuf,
    _lock: Option<lock::DirLock>,
}

impl SqliteStore {
    /// Open (creating it if needed) the store in a data directory, taking the
    /// directory's lock and migrating the schema.
    pub fn open(dir: &DataDir) -> Result<Self, StoreError> {
        Self::open_with(dir, &StoreOptions::default())
    }

    /// [`SqliteStore::open`] with options.
    pub fn open_with(dir: &DataDir, opts: &StoreOptions) -> Result<Self, StoreError> {
        let root = dir.root();
        let path = dir.store();
        if opts.read_only {
            let conn = Connection::open_with_flags(
                &path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .map_err(|source| StoreError::Sqlite {
                path: path.clone(),
                source,
            })?;
            conn.busy_timeout(BUSY_TIMEOUT)
                .map_err(|source| StoreError::Sqlite {
                    path: path.clone(),
                    source,
                })?;
            let found = schema::version(&conn).map_err(|source| StoreError::Sqlite {
                path: path.clone(),
                source,
            })?;
            if found > SCHEMA_VERSION {
                return Err(StoreError::TooNew {
                    path,
                    found,
                    supported: SCHEMA_VERSION,
                });
            }
            if found < SCHEMA_VERSION {
                return Err(StoreError::TooOld {
                    path,
                    found,
                    supported: SCHEMA_VERSION,
                });
            }
            return Ok(Self {
                conn: Mutex::new(conn),
                path,
                _lock: None,
            });
        }
        std::fs::create_dir_all(root).map_err(|source| StoreError::Io {
            path: root.to_path_buf(),
            source,
        })?;
        let lock = lock::DirLock::acquire(root)?;
        let conn = Connection::open(&path).map_err(|source| StoreError::Sqlite {
            path: path.clone(),
            source,
        })?;
        let mut store = Self::init(conn, path, opts)?;
        store._lock = Some(lock);
        Ok(store)
    }

    /// A private in-memory store (tests, one-off tools). No lock, no file.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        let conn = Connection::open_in_memory().map_err(|source| StoreError::Sqlite {
            path: ":memory:".into(),
            source,
        })?;
        Self::init(conn, ":memory:".into(), &StoreOptions::default())
    }

    fn init(mut conn: Connection, path: PathBuf, opts: &StoreOptions) -> Result<Self, StoreError> {
        let sql = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        conn.busy_timeout(BUSY_TIMEOUT).map_err(sql)?;
        // journal_mode answers with the mode now in force.
        let _mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
            .map_err(sql)?;
        // FULL: in WAL mode NORMAL may lose the last commits on a power cut
        // (the WAL is synced only at checkpoints); a committed job item or an
        // approved edit must survive one. One fsync per commit is nothing next
        // to a localization.
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(sql)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(sql)?;
        if let Some(pages) = opts.max_page_count {
            let pages = i64::try_from(pages).unwrap_or(i64::MAX);
            let _now: i64 = conn
                .pragma_update_and_check(None, "max_page_count", pages, |r| r.get(0))
                .map_err(sql)?;
        }
        match schema::migrate_to(&mut conn, SCHEMA_VERSION) {
            Ok(_) => {}
            Err(schema::MigrateError::TooNew(found)) => {
                return Err(StoreError::TooNew {
                    path,
                    found,
                    supported: SCHEMA_VERSION,
                });
            }
            Err(schema::MigrateError::Sqlite(e)) => return Err(map_sql(&path, e)),
        }
        Ok(Self {
            conn: Mutex::new(conn),
            path,
            _lock: None,
        })
    }

    /// The database file (`:memory:` for an in-memory store).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version in the file.
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        let c = self.conn();
        schema::version(&c).map_err(|e| self.err(e))
    }

    /// The connection. A poisoned mutex (a panic while holding it) still holds a
    /// consistent connection: every write is a transaction that rolled back.
    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Map a SQLite error, recognising a full disk.
    fn err(&self, e: rusqlite::Error) -> StoreError {
        map_sql(&self.path, e)
    }

    fn corrupt(&self, table: &'static str, message: impl std::fmt::Display) -> StoreError {
        StoreError::Corrupt {
            path: self.path.clone(),
            table,
            message: message.to_string(),
        }
    }
}

fn map_sql(path: &Path, e: rusqlite::Error) -> StoreError {
    if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull) {
        return StoreError::DiskFull {
            path: path.to_path_buf(),
        };
    }
    StoreError::Sqlite {
        path: path.to_path_buf(),
        source: e,
    }
}

/// Now, as stored (RFC 3339, UTC, to the millisecond).
fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod sqlite_tests {
    use super::*;

    #[test]
    fn second_open_of_a_data_dir_is_refused_clearly() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::at(tmp.path());
        let first = SqliteStore::open(&dir).unwrap();
        let err = SqliteStore::open(&dir).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, StoreError::Locked { .. }), "{msg}");
        assert!(msg.contains("in use by another silkroute process"), "{msg}");
        assert!(
            msg.contains(&format!("pid {}", std::process::id())),
            "{msg}"
        );
        // Readers need no lock.
        let ro = SqliteStore::open_with(
            &dir,
            &StoreOptions {
                read_only: true,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(ro.schema_version().unwrap(), SCHEMA_VERSION);
        drop(first);
        SqliteStore::open(&dir).expect("the lock goes with the store");
    }

    #[test]
    fn open_sets_wal_and_version() {
        let tmp = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&DataDir::at(tmp.path().join("nested/dir"))).unwrap();
        let c = store.conn();
        let mode: String = c
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let sync: i64 = c
            .pragma_query_value(None, "synchronous", |r| r.get(0))
            .unwrap();
        assert_eq!(sync, 2, "FULL: a commit is durable when it returns");
        drop(c);
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    }

    #[test]
    fn newer_database_file_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::at(tmp.path());
        drop(SqliteStore::open(&dir).unwrap());
        let c = Connection::open(dir.store()).unwrap();
        c.pragma_update(None, "user_version", SCHEMA_VERSION + 3)
            .unwrap();
        drop(c);
        let err = SqliteStore::open(&dir).unwrap_err();
        assert!(
            matches!(err, StoreError::TooNew { found, .. } if found == SCHEMA_VERSION + 3),
            "{err}"
        );
        assert!(err.to_string().contains("upgrade silkroute"));
    }
}
