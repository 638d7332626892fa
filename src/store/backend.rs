//! The store's one interface, [`StoreBackend`], and [`Store`], which opens the
//! backend a [`StoreLocation`] names (a SQLite file in the data directory, or a
//! PostgreSQL server) and derefs to it, so callers hold an `Arc<Store>` and call
//! `store.job(id)` whichever backend it is.

use std::ops::Deref;
use std::time::Duration;

use super::pg::PgStore;
use super::{
    ItemKey, ItemOutcome, Job, JobId, JobItem, JobRow, JobStatus, Lease, MemoryKey, NewJob,
    PendingItem, RejectRow, SqliteStore, StoreError, StoreOptions, StoredGlossary,
    StoredLocalization, WorkerBeat, WorkerInfo, WorkerStart,
};
use crate::listing::{Listing, LocalizedListing, Status};
use crate::paths::DataDir;

/// Where the store is: the data directory's SQLite file (the default), or a
/// PostgreSQL server shared by many machines.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum StoreLocation {
    /// `silkroute.db` in the data directory.
    #[default]
    DataDir,
    /// A `postgres://` (or `postgresql://`) URL.
    Postgres(String),
}

impl StoreLocation {
    /// Parse `--store` / `SILKROUTE_STORE` / `[store] url`: empty or `sqlite`
    /// for the data directory's file, a `postgres://` URL for PostgreSQL.
    pub fn parse(s: &str) -> Result<Self, StoreError> {
        let t = s.trim();
        if t.is_empty() || t.eq_ignore_ascii_case("sqlite") {
            return Ok(StoreLocation::DataDir);
        }
        if t.starts_with("postgres://") || t.starts_with("postgresql://") {
            // Checked here so a typo fails before anything starts.
            t.parse::<postgres::Config>()
                .map_err(|e| StoreError::BadUrl {
                    url: super::pg::redact(t),
                    message: e.to_string(),
                })?;
            return Ok(StoreLocation::Postgres(t.to_string()));
        }
        Err(StoreError::BadUrl {
            url: super::pg::redact(t),
            message: "use `sqlite` (the data directory's file) or a postgres:// URL".into(),
        })
    }

    /// Whether this is a shared (PostgreSQL) store.
    pub fn is_shared(&self) -> bool {
        matches!(self, StoreLocation::Postgres(_))
    }

    /// As shown in messages: the data directory's file, or the URL without its
    /// password.
    pub fn display(&self, data: &DataDir) -> String {
        match self {
            StoreLocation::DataDir => data.store().display().to_string(),
            StoreLocation::Postgres(url) => super::pg::redact(url),
        }
    }
}

/// Everything silkroute asks of its database. Both backends implement it with
/// the same schema; each method is one transaction. Reach it through [`Store`].
pub trait StoreBackend: Send + Sync {
    /// The schema version in the database.
    fn schema_version(&self) -> Result<u32, StoreError>;
    /// A random id made when the database was created: what the search index's
    /// feed cursor belongs to.
    fn store_id(&self) -> Result<String, StoreError>;

    // -- listings and localizations

    /// Insert or replace a source listing; `source` says where it came from (a
    /// catalog path, `form`).
    fn put_listing(&self, source: &str, listing: &Listing) -> Result<(), StoreError>;
    /// A source listing by sku.
    fn listing(&self, sku: &str) -> Result<Option<Listing>, StoreError>;
    /// Store a localization (replacing the current one for its sku and market,
    /// which goes to the history). Returns its version number.
    fn put_localization(&self, loc: &LocalizedListing) -> Result<u32, StoreError>;
    /// The current localization of a sku for a market.
    fn localization(
        &self,
        sku: &str,
        market: &str,
    ) -> Result<Option<StoredLocalization>, StoreError>;
    /// Replaced versions of a localization, oldest first.
    fn localization_history(
        &self,
        sku: &str,
        market: &str,
    ) -> Result<Vec<StoredLocalization>, StoreError>;
    /// Every current localization, ordered by sku and market.
    fn localizations(&self) -> Result<Vec<StoredLocalization>, StoreError>;
    /// Source listings, most recently changed first, with their `updated_at`.
    fn listing_page(
        &self,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<(Listing, String)>, StoreError>;
    /// The current localizations of one listing, by market.
    fn localizations_of(&self, sku: &str) -> Result<Vec<StoredLocalization>, StoreError>;
    /// Delete a listing, its localizations and their history. False when there
    /// was no such listing.
    fn delete_listing(&self, sku: &str) -> Result<bool, StoreError>;

    /// Set the review status of the current localization (a new version; the
    /// old one goes to history). False when there is no such localization.
    fn set_review_status(
        &self,
        sku: &str,
        market: &str,
        status: Status,
    ) -> Result<bool, StoreError> {
        let Some(mut cur) = self.localization(sku, market)? else {
            return Ok(false);
        };
        cur.listing.status = status;
        self.put_localization(&cur.listing)?;
        Ok(true)
    }

    // -- glossaries and the translation memory

    /// Create or replace a glossary (its entries are replaced as a whole).
    fn put_glossary(&self, g: &StoredGlossary) -> Result<(), StoreError>;
    /// A glossary by name.
    fn glossary(&self, name: &str) -> Result<Option<StoredGlossary>, StoreError>;
    /// Names of all glossaries, sorted.
    fn glossary_names(&self) -> Result<Vec<String>, StoreError>;
    /// Delete a glossary and its entries; false when there was none.
    fn delete_glossary(&self, name: &str) -> Result<bool, StoreError>;
    /// The remembered translation for a key, counting the hit.
    fn tm_get(&self, key: &MemoryKey) -> Result<Option<String>, StoreError>;
    /// Remember a translation (replacing any earlier one for the key).
    fn tm_put(&self, key: &MemoryKey, target_text: &str) -> Result<(), StoreError>;
    /// Number of entries in the translation memory.
    fn tm_len(&self) -> Result<u64, StoreError>;

    // -- jobs

    /// Create a job with its rows, items (one per row and market, in market
    /// order) and rejects; the source listings go into `listings` too. Small
    /// jobs in one go; the catalog importer streams through `begin_job`,
    /// `add_job_rows`, `add_job_rejects` and `finish_job` instead.
    fn create_job(
        &self,
        job: &NewJob,
        rows: &[JobRow],
        rejects: &[RejectRow],
    ) -> Result<JobId, StoreError> {
        let id = self.begin_job(job)?;
        self.add_job_rows(id, job, rows)?;
        self.add_job_rejects(id, 0, rejects)?;
        self.finish_job(
            id,
            rows.len() as u64,
            job.markets.len() as u64,
            rejects.len() as u64,
        )?;
        Ok(id)
    }
    /// Start creating a job: `cancelled` with the error [`super::CREATING`]
    /// until `finish_job` enqueues it.
    fn begin_job(&self, job: &NewJob) -> Result<JobId, StoreError>;
    /// Add accepted rows (and their items) to a job being created, in one
    /// transaction.
    fn add_job_rows(&self, id: JobId, job: &NewJob, rows: &[JobRow]) -> Result<(), StoreError>;
    /// Add rejects to a job being created, numbered from `first_seq`.
    fn add_job_rejects(
        &self,
        id: JobId,
        first_seq: u64,
        rejects: &[RejectRow],
    ) -> Result<(), StoreError>;
    /// Finish creating a job: set its counts and enqueue it.
    fn finish_job(
        &self,
        id: JobId,
        rows: u64,
        markets: u64,
        rejects: u64,
    ) -> Result<(), StoreError>;
    /// Delete a job and everything it holds (a creation that failed).
    fn delete_job(&self, id: JobId) -> Result<(), StoreError>;
    /// Put the failed items tried fewer than `max_attempts` times back to
    /// pending, in one transaction. Returns how many.
    fn retry_failed_items(&self, id: JobId, max_attempts: u32) -> Result<u64, StoreError>;
    /// A job by id.
    fn job(&self, id: JobId) -> Result<Job, StoreError>;
    /// All jobs, newest first.
    fn jobs(&self) -> Result<Vec<Job>, StoreError>;
    /// Set a job's status (and error message, cleared when `None`).
    fn set_job_status(
        &self,
        id: JobId,
        status: JobStatus,
        error: Option<&str>,
    ) -> Result<(), StoreError>;
    /// Items not committed yet, ordered by row then market.
    fn pending_items(&self, id: JobId) -> Result<Vec<PendingItem>, StoreError>;
    /// Record that work on an item starts (attempts + 1, a `start` line in the
    /// log). Returns the attempt number.
    fn start_attempt(&self, key: &ItemKey) -> Result<u32, StoreError>;
    /// Commit a finished item in one transaction: its status and result, a
    /// `commit` line in the log, the job's counters and the localization.
    /// Refused when the item is already committed.
    fn commit_item(&self, key: &ItemKey, outcome: &ItemOutcome) -> Result<(), StoreError>;
    /// Every item of a job, ordered by row then market.
    fn job_items(&self, id: JobId) -> Result<Vec<JobItem>, StoreError>;
    /// The catalog's rejects for a job, in file order: `limit` from `offset`.
    fn job_rejects_page(
        &self,
        id: JobId,
        offset: u64,
        limit: usize,
    ) -> Result<Vec<RejectRow>, StoreError>;
    /// The item log: per item, the number of `start` and `commit` lines.
    fn item_log_counts(&self, id: JobId) -> Result<Vec<(ItemKey, u32, u32)>, StoreError>;

    /// Jobs that are not finished, oldest first.
    fn unfinished_jobs(&self) -> Result<Vec<Job>, StoreError> {
        let mut v: Vec<Job> = self
            .jobs()?
            .into_iter()
            .filter(|j| j.status.is_resumable())
            .collect();
        v.reverse();
        Ok(v)
    }

    /// Cancel a job that is not finished. Items committed so far stay.
    fn cancel_job(&self, id: JobId) -> Result<(), StoreError> {
        let job = self.job(id)?;
        if !job.status.is_resumable() {
            return Err(StoreError::Transition {
                job: id,
                status: job.status,
                action: "cancel it",
            });
        }
        self.set_job_status(id, JobStatus::Cancelled, None)
    }

    // -- the shared queue (see `queue.rs`)

    /// Register a worker (or re-register it after a reconnect).
    fn register_worker(&self, w: &WorkerStart) -> Result<(), StoreError>;
    /// Lease up to `n` pending items of running jobs (oldest job first, then
    /// row and market order), skipping items another worker holds and the jobs
    /// in `skip_jobs`, for `ttl`. Each lease adds one to the item's attempts
    /// and writes a `start` line naming the worker.
    fn lease_items(
        &self,
        worker: &str,
        n: usize,
        ttl: Duration,
        skip_jobs: &[JobId],
    ) -> Result<Vec<Lease>, StoreError>;
    /// The heartbeat: the worker's counters, and every lease it still holds is
    /// extended by `ttl`. Returns the keys still held; an item the worker works
    /// on that is not among them was taken over.
    fn heartbeat(
        &self,
        worker: &str,
        beat: &WorkerBeat,
        ttl: Duration,
    ) -> Result<Vec<(ItemKey, u32)>, StoreError>;
    /// Commit a leased item, as [`StoreBackend::commit_item`], only while the
    /// item's attempt is still the lease's: otherwise [`StoreError::LeaseLost`].
    fn commit_leased(
        &self,
        worker: &str,
        lease: &Lease,
        outcome: &ItemOutcome,
    ) -> Result<(), StoreError>;
    /// Give leases up at once, so others take the items: every lease the
    /// worker holds (it is stopping), or only `item`'s (it cannot do it).
    fn release_leases(&self, worker: &str, item: Option<&ItemKey>) -> Result<(), StoreError>;
    /// A worker stops: its leases are released and it is marked stopped.
    fn worker_stopped(&self, worker: &str) -> Result<(), StoreError>;
    /// Workers heard from within `window`, and the stopped or silent ones of
    /// the last hour, most recently seen first.
    fn workers(&self, window: Duration) -> Result<Vec<WorkerInfo>, StoreError>;

    // -- the index feed

    /// Changes after `after` (sequence number, sku), oldest first, at most `limit`.
    fn feed_since(&self, after: i64, limit: usize) -> Result<Vec<(i64, String)>, StoreError>;
    /// The newest sequence number in the feed (0 when empty).
    fn feed_head(&self) -> Result<i64, StoreError>;
}

enum Backend {
    Sqlite(SqliteStore),
    Postgres(Box<PgStore>),
}

/// silkroute's database, whichever backend: thread-safe, shared as
/// `Arc<Store>`; every [`StoreBackend`] method is callable on it.
pub struct Store {
    backend: Backend,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("at", &self.describe())
            .finish()
    }
}

impl Deref for Store {
    type Target = dyn StoreBackend;
    fn deref(&self) -> &Self::Target {
        match &self.backend {
            Backend::Sqlite(s) => s,
            Backend::Postgres(p) => p.as_ref(),
        }
    }
}

impl Store {
    /// Open (creating it if needed) the SQLite store in a data directory,
    /// taking the directory's lock and migrating the schema.
    pub fn open(dir: &DataDir) -> Result<Self, StoreError> {
        Self::open_with(dir, &StoreOptions::default())
    }

    /// [`Store::open`] with options.
    pub fn open_with(dir: &DataDir, opts: &StoreOptions) -> Result<Self, StoreError> {
        Ok(Self::sqlite(SqliteStore::open_with(dir, opts)?))
    }

    /// A private in-memory SQLite store (tests, one-off tools).
    pub fn open_in_memory() -> Result<Self, StoreError> {
        Ok(Self::sqlite(SqliteStore::open_in_memory()?))
    }

    /// Connect to a PostgreSQL store (migrating its schema). `app` names the
    /// connections in `pg_stat_activity` (`silkroute worker host-123`).
    pub fn connect(url: &str, app: &str) -> Result<Self, StoreError> {
        Ok(Self {
            backend: Backend::Postgres(Box::new(PgStore::connect(url, app)?)),
        })
    }

    /// Open the store a location names: the data directory's SQLite file (with
    /// `opts`), or a PostgreSQL server (`opts.read_only` is ignored: PostgreSQL
    /// has no directory lock to skip).
    pub fn open_at(
        location: &StoreLocation,
        dir: &DataDir,
        opts: &StoreOptions,
        app: &str,
    ) -> Result<Self, StoreError> {
        match location {
            StoreLocation::DataDir => Self::open_with(dir, opts),
            StoreLocation::Postgres(url) => Self::connect(url, app),
        }
    }

    /// Every reject of a job, in file order, page by page through `f`.
    pub fn for_each_reject(
        &self,
        id: JobId,
        mut f: impl FnMut(&RejectRow) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        const PAGE: usize = 10_000;
        let mut offset = 0u64;
        loop {
            let page = self.job_rejects_page(id, offset, PAGE)?;
            for r in &page {
                f(r)?;
            }
            if page.len() < PAGE {
                return Ok(());
            }
            offset += PAGE as u64;
        }
    }

    fn sqlite(s: SqliteStore) -> Self {
        Self {
            backend: Backend::Sqlite(s),
        }
    }

    /// Whether this is the shared (PostgreSQL) store.
    pub fn is_shared(&self) -> bool {
        matches!(self.backend, Backend::Postgres(_))
    }

    /// Where the store is, for messages (a file path, or the URL without its
    /// password).
    pub fn describe(&self) -> String {
        match &self.backend {
            Backend::Sqlite(s) => s.path().display().to_string(),
            Backend::Postgres(p) => p.url().to_string(),
        }
    }

    /// The SQLite backend, when it is one (its file path, its pragmas).
    pub fn as_sqlite(&self) -> Option<&SqliteStore> {
        match &self.backend {
            Backend::Sqlite(s) => Some(s),
            Backend::Postgres(_) => None,
        }
    }

    /// Wait up to `timeout` for a change to the index feed (PostgreSQL's
    /// `LISTEN`), on a connection of its own that this call keeps open between
    /// calls. Returns false on timeout; SQLite, which has no notifications,
    /// sleeps `timeout` and returns false. Errors mean the listening
    /// connection broke (the next call reconnects).
    pub fn wait_for_feed(&self, timeout: Duration) -> Result<bool, StoreError> {
        match &self.backend {
            Backend::Sqlite(_) => {
                std::thread::sleep(timeout);
                Ok(false)
            }
            Backend::Postgres(p) => p.wait_for_feed(timeout),
        }
    }
}
