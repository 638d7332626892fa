//! The SQLite backend behind [`StoreBackend`]: the catalog and job methods are
//! `SqliteStore`'s own (listings.rs, jobs.rs, glossary.rs, memory.rs); the
//! queue, the workers and the index feed are here. One process holds a SQLite
//! store, so the queue's leases only matter to that process's workers, but they
//! behave as PostgreSQL's do (the clock is this machine's).

use std::time::Duration;

use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::backend::StoreBackend;
use super::jobs::log_tx;
use super::queue::now_ms;
use super::{
    ItemKey, ItemOutcome, Job, JobId, JobItem, JobRow, JobStatus, Lease, MemoryKey, NewJob,
    PendingItem, RejectRow, SqliteStore, StoreError, StoredGlossary, StoredLocalization,
    WorkerBeat, WorkerInfo, WorkerStart, now,
};
use crate::listing::{Listing, LocalizedListing};

impl StoreBackend for SqliteStore {
    fn schema_version(&self) -> Result<u32, StoreError> {
        SqliteStore::schema_version(self)
    }

    fn store_id(&self) -> Result<String, StoreError> {
        let c = self.conn();
        c.query_row("SELECT value FROM store_info WHERE key = 'id'", [], |r| {
            r.get(0)
        })
        .map_err(|e| self.err(e))
    }

    fn put_listing(&self, source: &str, listing: &Listing) -> Result<(), StoreError> {
        SqliteStore::put_listing(self, source, listing)
    }

    fn listing(&self, sku: &str) -> Result<Option<Listing>, StoreError> {
        SqliteStore::listing(self, sku)
    }

    fn put_localization(&self, loc: &LocalizedListing) -> Result<u32, StoreError> {
        SqliteStore::put_localization(self, loc)
    }

    fn localization(
        &self,
        sku: &str,
        market: &str,
    ) -> Result<Option<StoredLocalization>, StoreError> {
        SqliteStore::localization(self, sku, market)
    }

    fn localization_history(
        &self,
        sku: &str,
        market: &str,
    ) -> Result<Vec<StoredLocalization>, StoreError> {
        SqliteStore::localization_history(self, sku, market)
    }

    fn localizations(&self) -> Result<Vec<StoredLocalization>, StoreError> {
        SqliteStore::localizations(self)
    }

    fn listing_page(
        &self,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<(Listing, String)>, StoreError> {
        SqliteStore::listing_page(self, limit, offset)
    }

    fn localizations_of(&self, sku: &str) -> Result<Vec<StoredLocalization>, StoreError> {
        SqliteStore::localizations_of(self, sku)
    }

    fn delete_listing(&self, sku: &str) -> Result<bool, StoreError> {
        SqliteStore::delete_listing(self, sku)
    }

    fn put_glossary(&self, g: &StoredGlossary) -> Result<(), StoreError> {
        SqliteStore::put_glossary(self, g)
    }

    fn glossary(&self, name: &str) -> Result<Option<StoredGlossary>, StoreError> {
        SqliteStore::glossary(self, name)
    }

    fn glossary_names(&self) -> Result<Vec<String>, StoreError> {
        SqliteStore::glossary_names(self)
    }

    fn delete_glossary(&self, name: &str) -> Result<bool, StoreError> {
        SqliteStore::delete_glossary(self, name)
    }

    fn tm_get(&self, key: &MemoryKey) -> Result<Option<String>, StoreError> {
        SqliteStore::tm_get(self, key)
    }

    fn tm_put(&self, key: &MemoryKey, target_text: &str) -> Result<(), StoreError> {
        SqliteStore::tm_put(self, key, target_text)
    }

    fn tm_len(&self) -> Result<u64, StoreError> {
        SqliteStore::tm_len(self)
    }

    fn begin_job(&self, job: &NewJob) -> Result<JobId, StoreError> {
        SqliteStore::begin_job(self, job)
    }

    fn add_job_rows(&self, id: JobId, job: &NewJob, rows: &[JobRow]) -> Result<(), StoreError> {
        SqliteStore::add_job_rows(self, id, job, rows)
    }

    fn add_job_rejects(
        &self,
        id: JobId,
        first_seq: u64,
        rejects: &[RejectRow],
    ) -> Result<(), StoreError> {
        SqliteStore::add_job_rejects(self, id, first_seq, rejects)
    }

    fn finish_job(
        &self,
        id: JobId,
        rows: u64,
        markets: u64,
        rejects: u64,
    ) -> Result<(), StoreError> {
        SqliteStore::finish_job(self, id, rows, markets, rejects)
    }

    fn delete_job(&self, id: JobId) -> Result<(), StoreError> {
        SqliteStore::delete_job(self, id)
    }

    fn retry_failed_items(&self, id: JobId, max_attempts: u32) -> Result<u64, StoreError> {
        SqliteStore::retry_failed_items(self, id, max_attempts)
    }

    fn job(&self, id: JobId) -> Result<Job, StoreError> {
        SqliteStore::job(self, id)
    }

    fn jobs(&self) -> Result<Vec<Job>, StoreError> {
        SqliteStore::jobs(self)
    }

    fn set_job_status(
        &self,
        id: JobId,
        status: JobStatus,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        SqliteStore::set_job_status(self, id, status, error)
    }

    fn pending_items(&self, id: JobId) -> Result<Vec<PendingItem>, StoreError> {
        SqliteStore::pending_items(self, id)
    }

    fn start_attempt(&self, key: &ItemKey) -> Result<u32, StoreError> {
        SqliteStore::start_attempt(self, key)
    }

    fn commit_item(&self, key: &ItemKey, outcome: &ItemOutcome) -> Result<(), StoreError> {
        SqliteStore::commit_item(self, key, outcome)
    }

    fn job_items(&self, id: JobId) -> Result<Vec<JobItem>, StoreError> {
        SqliteStore::job_items(self, id)
    }

    fn job_rejects_page(
        &self,
        id: JobId,
        offset: u64,
        limit: usize,
    ) -> Result<Vec<RejectRow>, StoreError> {
        SqliteStore::job_rejects_page(self, id, offset, limit)
    }

    fn item_log_counts(&self, id: JobId) -> Result<Vec<(ItemKey, u32, u32)>, StoreError> {
        SqliteStore::item_log_counts(self, id)
    }

    fn register_worker(&self, w: &WorkerStart) -> Result<(), StoreError> {
        let c = self.conn();
        let t = now_ms();
        c.execute(
            "INSERT INTO workers (id, host, pid, model, started_at, started_ms, seen_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
             ON CONFLICT (id) DO UPDATE SET seen_ms = ?6, stopped = 0",
            params![w.id, w.host, w.pid, w.model, now(), t],
        )
        .map_err(|e| self.err(e))?;
        Ok(())
    }

    fn lease_items(
        &self,
        worker: &str,
        n: usize,
        ttl: Duration,
        skip_jobs: &[JobId],
    ) -> Result<Vec<Lease>, StoreError> {
        let skip = serde_json::to_string(skip_jobs).map_err(|e| self.corrupt("jobs", e))?;
        let mut c = self.conn();
        let tx = c
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| self.err(e))?;
        // (key, market, line, attempt, listing JSON) of each leased item.
        type Raw = (ItemKey, String, i64, u32, String);
        let run = || -> rusqlite::Result<Vec<Raw>> {
            let t = now_ms();
            let mut stmt = tx.prepare(
                "UPDATE job_items SET lease_owner = ?1, lease_until = ?2, attempts = attempts + 1
                 WHERE (job_id, row_index, market_index) IN (
                     SELECT i.job_id, i.row_index, i.market_index
                     FROM job_items i JOIN jobs j ON j.id = i.job_id
                     WHERE j.status = 'running' AND i.status = 'pending'
                       AND (i.lease_until IS NULL OR i.lease_until < ?3)
                       AND i.job_id NOT IN (SELECT value FROM json_each(?4))
                     ORDER BY i.job_id, i.row_index, i.market_index LIMIT ?5)
                 RETURNING job_id, row_index, market_index, market, line, attempts",
            )?;
            let leased = stmt
                .query_map(
                    params![worker, t + ttl.as_millis() as i64, t, skip, n as i64],
                    |r| {
                        Ok((
                            ItemKey {
                                job_id: r.get(0)?,
                                row_index: r.get(1)?,
                                market_index: r.get(2)?,
                            },
                            r.get::<_, String>(3)?,
                            r.get::<_, i64>(4)?,
                            r.get::<_, u32>(5)?,
                        ))
                    },
                )?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            drop(stmt);
            let mut out = Vec::with_capacity(leased.len());
            for (key, market, line, attempt) in leased {
                let listing: String = tx.query_row(
                    "SELECT listing FROM job_rows WHERE job_id = ?1 AND row_index = ?2",
                    params![key.job_id, key.row_index],
                    |r| r.get(0),
                )?;
                log_tx(&tx, &key, "start", Some(worker))?;
                out.push((key, market, line, attempt, listing));
            }
            Ok(out)
        };
        let raws = run().map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))?;
        let mut leases: Vec<Lease> = raws
            .into_iter()
            .map(|(key, market, line, attempt, json)| {
                let listing = serde_json::from_str(&json).map_err(|e| {
                    self.corrupt(
                        "job_rows",
                        format!("job {} row {}: {e}", key.job_id, key.row_index),
                    )
                })?;
                Ok(Lease {
                    item: PendingItem {
                        key,
                        market,
                        line: line.max(0) as u64,
                        listing,
                    },
                    attempt,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        leases.sort_by(|a, b| a.item.key.cmp(&b.item.key));
        Ok(leases)
    }

    fn heartbeat(
        &self,
        worker: &str,
        beat: &WorkerBeat,
        ttl: Duration,
    ) -> Result<Vec<(ItemKey, u32)>, StoreError> {
        let mut c = self.conn();
        let tx = c.transaction().map_err(|e| self.err(e))?;
        let run = || -> rusqlite::Result<Vec<(ItemKey, u32)>> {
            let t = now_ms();
            tx.execute(
                "UPDATE workers SET seen_ms = ?2, items_done = ?3, items_failed = ?4, busy_ms = ?5
                 WHERE id = ?1",
                params![
                    worker,
                    t,
                    beat.done as i64,
                    beat.failed as i64,
                    beat.busy_ms as i64
                ],
            )?;
            let mut stmt = tx.prepare(
                "UPDATE job_items SET lease_until = ?2
                 WHERE lease_owner = ?1 AND status = 'pending'
                 RETURNING job_id, row_index, market_index, attempts",
            )?;
            let held = stmt
                .query_map(params![worker, t + ttl.as_millis() as i64], |r| {
                    Ok((
                        ItemKey {
                            job_id: r.get(0)?,
                            row_index: r.get(1)?,
                            market_index: r.get(2)?,
                        },
                        r.get(3)?,
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(held)
        };
        let held = run().map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))?;
        Ok(held)
    }

    fn commit_leased(
        &self,
        worker: &str,
        lease: &Lease,
        outcome: &ItemOutcome,
    ) -> Result<(), StoreError> {
        self.commit_item_fenced(lease.key(), Some((worker, lease.attempt)), outcome)
    }

    fn release_leases(&self, worker: &str, item: Option<&ItemKey>) -> Result<(), StoreError> {
        let c = self.conn();
        c.execute(
            "UPDATE job_items SET lease_owner = NULL, lease_until = NULL
             WHERE lease_owner = ?1 AND status = 'pending'
               AND (?2 IS NULL OR (job_id = ?2 AND row_index = ?3 AND market_index = ?4))",
            params![
                worker,
                item.map(|k| k.job_id),
                item.map(|k| k.row_index),
                item.map(|k| k.market_index)
            ],
        )
        .map_err(|e| self.err(e))?;
        Ok(())
    }

    fn worker_stopped(&self, worker: &str) -> Result<(), StoreError> {
        self.release_leases(worker, None)?;
        let c = self.conn();
        c.execute(
            "UPDATE workers SET stopped = 1, seen_ms = ?2 WHERE id = ?1",
            params![worker, now_ms()],
        )
        .map_err(|e| self.err(e))?;
        Ok(())
    }

    fn workers(&self, window: Duration) -> Result<Vec<WorkerInfo>, StoreError> {
        let c = self.conn();
        let t = now_ms();
        let mut stmt = c
            .prepare(
                "SELECT w.id, w.host, w.pid, w.model, w.started_at, w.started_ms, w.seen_ms,
                        w.stopped, w.items_done, w.items_failed, w.busy_ms,
                        (SELECT group_concat(i.job_id || '/' || i.row_index || '/' || i.market, ' ')
                         FROM job_items i WHERE i.lease_owner = w.id AND i.status = 'pending'
                           AND i.lease_until >= ?1)
                 FROM workers w WHERE w.seen_ms >= ?1 - 3600000
                 ORDER BY w.seen_ms DESC, w.id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([t], |r| {
                Ok(RawWorker {
                    id: r.get(0)?,
                    host: r.get(1)?,
                    pid: r.get(2)?,
                    model: r.get(3)?,
                    started_at: r.get(4)?,
                    started_ms: r.get(5)?,
                    seen_ms: r.get(6)?,
                    stopped: r.get::<_, i64>(7)? != 0,
                    done: r.get(8)?,
                    failed: r.get(9)?,
                    busy_ms: r.get(10)?,
                    current: r.get::<_, Option<String>>(11)?.unwrap_or_default(),
                })
            })
            .map_err(|e| self.err(e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))?;
        Ok(rows.into_iter().map(|w| w.info(t, window)).collect())
    }

    fn feed_since(&self, after: i64, limit: usize) -> Result<Vec<(i64, String)>, StoreError> {
        let c = self.conn();
        let mut stmt = c
            .prepare("SELECT seq, sku FROM index_feed WHERE seq > ?1 ORDER BY seq LIMIT ?2")
            .map_err(|e| self.err(e))?;
        stmt.query_map(params![after, limit as i64], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(|e| self.err(e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    fn feed_head(&self) -> Result<i64, StoreError> {
        let c = self.conn();
        c.query_row("SELECT seq FROM index_feed_head WHERE id = 1", [], |r| {
            r.get(0)
        })
        .optional()
        .map(|v| v.unwrap_or(0))
        .map_err(|e| self.err(e))
    }
}

/// A `workers` row as read (both backends).
pub(super) struct RawWorker {
    pub(super) id: String,
    pub(super) host: String,
    pub(super) pid: i64,
    pub(super) model: String,
    pub(super) started_at: String,
    pub(super) started_ms: i64,
    pub(super) seen_ms: i64,
    pub(super) stopped: bool,
    pub(super) done: i64,
    pub(super) failed: i64,
    pub(super) busy_ms: i64,
    /// Leased items, `job/row/market` separated by spaces.
    pub(super) current: String,
}

impl RawWorker {
    /// As shown, at database time `now` (ms), live when seen within `window`.
    pub(super) fn info(self, now: i64, window: Duration) -> WorkerInfo {
        let seen_ago = (now - self.seen_ms).max(0) as u64;
        let up_ms = (self.seen_ms - self.started_ms).max(1) as f64;
        let n = |v: i64| v.max(0) as u64;
        WorkerInfo {
            live: !self.stopped && seen_ago <= window.as_millis() as u64,
            items_per_hour: (self.done + self.failed).max(0) as f64 * 3_600_000.0 / up_ms,
            id: self.id,
            host: self.host,
            pid: u32::try_from(self.pid).unwrap_or(0),
            model: self.model,
            started_at: self.started_at,
            seen_ms_ago: seen_ago,
            done: n(self.done),
            failed: n(self.failed),
            busy_ms: n(self.busy_ms),
            current: self
                .current
                .split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
        }
    }
}
