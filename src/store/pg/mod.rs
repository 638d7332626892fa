//! The PostgreSQL backend: the store and job queue shared by many machines
//! (`--store postgres://…`). Same tables and numbered migrations as SQLite
//! (`migrations/`, kept in a `silkroute_schema` table and applied under an
//! advisory lock, so a server and its workers starting together migrate once).
//!
//! The client is the synchronous `postgres` crate, pooled by r2d2: the store is
//! called from blocking threads (the server's `spawn_blocking`, the job and
//! worker threads), never from inside the async runtime, where the sync client
//! would try to start a runtime of its own and panic. Connections are checked
//! on checkout and replaced when the server dropped them (a restart,
//! `pg_terminate_backend`, a cut network: TCP keepalives notice a dead peer
//! within seconds).

mod catalog;
mod jobs;
mod queue;
mod schema;

#[cfg(test)]
pub(crate) use schema::migrate_to;

use std::sync::Mutex;
use std::time::Duration;

use postgres::NoTls;
use postgres::fallible_iterator::FallibleIterator;
use r2d2::PooledConnection;
use r2d2_postgres::PostgresConnectionManager;

use super::backend::StoreBackend;
use super::{
    ItemKey, ItemOutcome, Job, JobId, JobItem, JobRow, JobStatus, Lease, MemoryKey, NewJob,
    PendingItem, RejectRow, StoreError, StoredGlossary, StoredLocalization, WorkerBeat, WorkerInfo,
    WorkerStart,
};
use crate::listing::{Listing, LocalizedListing};

type Manager = PostgresConnectionManager<NoTls>;

/// How long a call waits for a connection before failing.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections kept per process (the server's handlers, the job threads, the
/// heartbeat, the index follower).
const POOL_SIZE: u32 = 12;

/// A PostgreSQL store. Thread-safe.
pub struct PgStore {
    pool: r2d2::Pool<Manager>,
    /// The URL without its password, for messages.
    url: String,
    config: postgres::Config,
    /// The follower's `LISTEN` connection, opened on first use.
    listener: Mutex<Option<postgres::Client>>,
}

/// A `postgres://` URL without its password.
pub(crate) fn redact(url: &str) -> String {
    match url.parse::<postgres::Config>() {
        Ok(c) => {
            let host = c
                .get_hosts()
                .first()
                .map(|h| match h {
                    postgres::config::Host::Tcp(s) => s.clone(),
                    postgres::config::Host::Unix(p) => p.display().to_string(),
                })
                .unwrap_or_default();
            let port = c.get_ports().first().copied().unwrap_or(5432);
            format!(
                "postgres://{}@{host}:{port}/{}",
                c.get_user().unwrap_or(""),
                c.get_dbname().unwrap_or("")
            )
        }
        // Not a URL the client reads: keep the scheme only.
        Err(_) => url.split("://").next().unwrap_or("").to_string() + "://…",
    }
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").field("url", &self.url).finish()
    }
}

impl PgStore {
    /// Connect (the server must be reachable within [`CONNECT_TIMEOUT`]) and
    /// migrate the schema.
    pub fn connect(url: &str, app: &str) -> Result<Self, StoreError> {
        let shown = redact(url);
        let mut config: postgres::Config =
            url.parse()
                .map_err(|e: postgres::Error| StoreError::BadUrl {
                    url: shown.clone(),
                    message: e.to_string(),
                })?;
        config
            .application_name(app)
            .connect_timeout(CONNECT_TIMEOUT)
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(5))
            .keepalives_interval(Duration::from_secs(2))
            .keepalives_retries(3);
        let manager = PostgresConnectionManager::new(config.clone(), NoTls);
        let pool = r2d2::Pool::builder()
            .max_size(POOL_SIZE)
            .min_idle(Some(0))
            .connection_timeout(CONNECT_TIMEOUT)
            .error_handler(Box::new(r2d2::NopErrorHandler))
            .build_unchecked(manager);
        let store = Self {
            pool,
            url: shown,
            config,
            listener: Mutex::new(None),
        };
        let mut c = store.client()?;
        match schema::migrate(&mut c) {
            Ok(_) => {}
            Err(schema::MigrateError::TooNew(found)) => {
                return Err(StoreError::TooNew {
                    path: store.url.clone().into(),
                    found,
                    supported: super::SCHEMA_VERSION,
                });
            }
            Err(schema::MigrateError::Pg(e)) => return Err(store.err(e)),
        }
        drop(c);
        Ok(store)
    }

    /// The URL without its password.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A pooled connection.
    fn client(&self) -> Result<PooledConnection<Manager>, StoreError> {
        self.pool.get().map_err(|e| StoreError::Unavailable {
            url: self.url.clone(),
            message: e.to_string(),
        })
    }

    /// Run `f` in one transaction on a pooled connection.
    fn tx<T>(
        &self,
        f: impl FnOnce(&mut postgres::Transaction<'_>) -> Result<T, TxError>,
    ) -> Result<T, StoreError> {
        let mut c = self.client()?;
        let mut tx = c.transaction().map_err(|e| self.err(e))?;
        let v = f(&mut tx).map_err(|e| self.tx_err(e))?;
        tx.commit().map_err(|e| self.err(e))?;
        Ok(v)
    }

    /// Map a client error, recognising a full disk.
    fn err(&self, e: postgres::Error) -> StoreError {
        if e.code() == Some(&postgres::error::SqlState::DISK_FULL) {
            return StoreError::DiskFull {
                path: self.url.clone().into(),
            };
        }
        StoreError::Postgres {
            url: self.url.clone(),
            source: e,
        }
    }

    fn tx_err(&self, e: TxError) -> StoreError {
        match e {
            TxError::Pg(e) => self.err(e),
            TxError::Store(e) => e,
        }
    }

    fn corrupt(&self, table: &'static str, message: impl std::fmt::Display) -> StoreError {
        StoreError::Corrupt {
            path: self.url.clone().into(),
            table,
            message: message.to_string(),
        }
    }

    /// Wait up to `timeout` for a notification on the index feed's channel.
    pub(crate) fn wait_for_feed(&self, timeout: Duration) -> Result<bool, StoreError> {
        let mut guard = self.listener.lock().unwrap_or_else(|p| p.into_inner());
        if guard.as_ref().is_none_or(|c| c.is_closed()) {
            let mut c = self.config.connect(NoTls).map_err(|e| self.err(e))?;
            c.batch_execute("LISTEN silkroute_index_feed")
                .map_err(|e| self.err(e))?;
            *guard = Some(c);
        }
        let Some(c) = guard.as_mut() else {
            return Ok(false);
        };
        let mut n = c.notifications();
        let first = n.timeout_iter(timeout).next();
        let got = match first {
            Ok(v) => v.is_some(),
            Err(e) => {
                drop(n);
                *guard = None;
                return Err(self.err(e));
            }
        };
        // Take whatever else arrived with it: one wake per burst of changes.
        while let Ok(Some(_)) = n.iter().next() {}
        Ok(got)
    }
}

/// An error inside a transaction: the client's, or the store's own (a refused
/// commit).
enum TxError {
    Pg(postgres::Error),
    Store(StoreError),
}

impl From<postgres::Error> for TxError {
    fn from(e: postgres::Error) -> Self {
        TxError::Pg(e)
    }
}

impl From<StoreError> for TxError {
    fn from(e: StoreError) -> Self {
        TxError::Store(e)
    }
}

/// A u32 column stored as BIGINT.
fn u32_of(v: i64) -> u32 {
    u32::try_from(v.max(0)).unwrap_or(u32::MAX)
}

/// The database's clock, in milliseconds since the epoch (lease times).
const NOW_MS: &str = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

impl StoreBackend for PgStore {
    fn schema_version(&self) -> Result<u32, StoreError> {
        PgStore::schema_version(self)
    }

    fn store_id(&self) -> Result<String, StoreError> {
        PgStore::store_id(self)
    }

    fn put_listing(&self, source: &str, listing: &Listing) -> Result<(), StoreError> {
        PgStore::put_listing(self, source, listing)
    }

    fn listing(&self, sku: &str) -> Result<Option<Listing>, StoreError> {
        PgStore::listing(self, sku)
    }

    fn put_localization(&self, loc: &LocalizedListing) -> Result<u32, StoreError> {
        PgStore::put_localization(self, loc)
    }

    fn localization(
        &self,
        sku: &str,
        market: &str,
    ) -> Result<Option<StoredLocalization>, StoreError> {
        PgStore::localization(self, sku, market)
    }

    fn localization_history(
        &self,
        sku: &str,
        market: &str,
    ) -> Result<Vec<StoredLocalization>, StoreError> {
        PgStore::localization_history(self, sku, market)
    }

    fn localizations(&self) -> Result<Vec<StoredLocalization>, StoreError> {
        PgStore::localizations(self)
    }

    fn listing_page(
        &self,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<(Listing, String)>, StoreError> {
        PgStore::listing_page(self, limit, offset)
    }

    fn localizations_of(&self, sku: &str) -> Result<Vec<StoredLocalization>, StoreError> {
        PgStore::localizations_of(self, sku)
    }

    fn delete_listing(&self, sku: &str) -> Result<bool, StoreError> {
        PgStore::delete_listing(self, sku)
    }

    fn put_glossary(&self, g: &StoredGlossary) -> Result<(), StoreError> {
        PgStore::put_glossary(self, g)
    }

    fn glossary(&self, name: &str) -> Result<Option<StoredGlossary>, StoreError> {
        PgStore::glossary(self, name)
    }

    fn glossary_names(&self) -> Result<Vec<String>, StoreError> {
        PgStore::glossary_names(self)
    }

    fn delete_glossary(&self, name: &str) -> Result<bool, StoreError> {
        PgStore::delete_glossary(self, name)
    }

    fn tm_get(&self, key: &MemoryKey) -> Result<Option<String>, StoreError> {
        PgStore::tm_get(self, key)
    }

    fn tm_put(&self, key: &MemoryKey, target_text: &str) -> Result<(), StoreError> {
        PgStore::tm_put(self, key, target_text)
    }

    fn tm_len(&self) -> Result<u64, StoreError> {
        PgStore::tm_len(self)
    }

    fn begin_job(&self, job: &NewJob) -> Result<JobId, StoreError> {
        PgStore::begin_job(self, job)
    }

    fn add_job_rows(&self, id: JobId, job: &NewJob, rows: &[JobRow]) -> Result<(), StoreError> {
        PgStore::add_job_rows(self, id, job, rows)
    }

    fn add_job_rejects(
        &self,
        id: JobId,
        first_seq: u64,
        rejects: &[RejectRow],
    ) -> Result<(), StoreError> {
        PgStore::add_job_rejects(self, id, first_seq, rejects)
    }

    fn finish_job(
        &self,
        id: JobId,
        rows: u64,
        markets: u64,
        rejects: u64,
    ) -> Result<(), StoreError> {
        PgStore::finish_job(self, id, rows, markets, rejects)
    }

    fn delete_job(&self, id: JobId) -> Result<(), StoreError> {
        PgStore::delete_job(self, id)
    }

    fn retry_failed_items(&self, id: JobId, max_attempts: u32) -> Result<u64, StoreError> {
        PgStore::retry_failed_items(self, id, max_attempts)
    }

    fn job(&self, id: JobId) -> Result<Job, StoreError> {
        PgStore::job(self, id)
    }

    fn jobs(&self) -> Result<Vec<Job>, StoreError> {
        PgStore::jobs(self)
    }

    fn set_job_status(
        &self,
        id: JobId,
        status: JobStatus,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        PgStore::set_job_status(self, id, status, error)
    }

    fn pending_items(&self, id: JobId) -> Result<Vec<PendingItem>, StoreError> {
        PgStore::pending_items(self, id)
    }

    fn start_attempt(&self, key: &ItemKey) -> Result<u32, StoreError> {
        PgStore::start_attempt(self, key)
    }

    fn commit_item(&self, key: &ItemKey, outcome: &ItemOutcome) -> Result<(), StoreError> {
        PgStore::commit_item(self, key, outcome)
    }

    fn job_items(&self, id: JobId) -> Result<Vec<JobItem>, StoreError> {
        PgStore::job_items(self, id)
    }

    fn job_rejects_page(
        &self,
        id: JobId,
        offset: u64,
        limit: usize,
    ) -> Result<Vec<RejectRow>, StoreError> {
        PgStore::job_rejects_page(self, id, offset, limit)
    }

    fn item_log_counts(&self, id: JobId) -> Result<Vec<(ItemKey, u32, u32)>, StoreError> {
        PgStore::item_log_counts(self, id)
    }

    fn register_worker(&self, w: &WorkerStart) -> Result<(), StoreError> {
        PgStore::register_worker(self, w)
    }

    fn lease_items(
        &self,
        worker: &str,
        n: usize,
        ttl: Duration,
        skip_jobs: &[JobId],
    ) -> Result<Vec<Lease>, StoreError> {
        PgStore::lease_items(self, worker, n, ttl, skip_jobs)
    }

    fn heartbeat(
        &self,
        worker: &str,
        beat: &WorkerBeat,
        ttl: Duration,
    ) -> Result<Vec<(ItemKey, u32)>, StoreError> {
        PgStore::heartbeat(self, worker, beat, ttl)
    }

    fn commit_leased(
        &self,
        worker: &str,
        lease: &Lease,
        outcome: &ItemOutcome,
    ) -> Result<(), StoreError> {
        PgStore::commit_leased(self, worker, lease, outcome)
    }

    fn release_leases(&self, worker: &str, item: Option<&ItemKey>) -> Result<(), StoreError> {
        PgStore::release_leases(self, worker, item)
    }

    fn worker_stopped(&self, worker: &str) -> Result<(), StoreError> {
        PgStore::worker_stopped(self, worker)
    }

    fn workers(&self, window: Duration) -> Result<Vec<WorkerInfo>, StoreError> {
        PgStore::workers(self, window)
    }

    fn feed_since(&self, after: i64, limit: usize) -> Result<Vec<(i64, String)>, StoreError> {
        PgStore::feed_since(self, after, limit)
    }

    fn feed_head(&self) -> Result<i64, StoreError> {
        PgStore::feed_head(self)
    }
}
