//! The shared job queue in PostgreSQL: items are leased with `SELECT … FOR
//! UPDATE SKIP LOCKED` (workers never wait on each other's rows), leases carry
//! an expiry by the database's clock renewed by each worker's heartbeat, and a
//! commit is fenced by the lease's attempt number (`../queue.rs`). Also the
//! workers' rows and the index feed.

use std::time::Duration;

use super::jobs::log_tx;
use super::{NOW_MS, PgStore, u32_of};
use crate::store::sqlite::RawWorker;
use crate::store::{
    ItemKey, ItemOutcome, JobId, Lease, PendingItem, StoreError, WorkerBeat, WorkerInfo,
    WorkerStart, now,
};

impl PgStore {
    pub(super) fn schema_version(&self) -> Result<u32, StoreError> {
        let mut c = self.client()?;
        super::schema::version(&mut *c).map_err(|e| self.err(e))
    }

    pub(super) fn store_id(&self) -> Result<String, StoreError> {
        let mut c = self.client()?;
        Ok(
            c.query_one("SELECT value FROM store_info WHERE key = 'id'", &[])
                .map_err(|e| self.err(e))?
                .get(0),
        )
    }

    pub(super) fn register_worker(&self, w: &WorkerStart) -> Result<(), StoreError> {
        let mut c = self.client()?;
        c.execute(
            &format!(
                "INSERT INTO workers (id, host, pid, model, started_at, started_ms, seen_ms)
                 VALUES ($1, $2, $3, $4, $5, {NOW_MS}, {NOW_MS})
                 ON CONFLICT (id) DO UPDATE SET seen_ms = {NOW_MS}, stopped = 0"
            ),
            &[&w.id, &w.host, &i64::from(w.pid), &w.model, &now()],
        )
        .map_err(|e| self.err(e))?;
        // Forget workers not heard from for a day.
        c.execute(
            &format!("DELETE FROM workers WHERE seen_ms < {NOW_MS} - 86400000"),
            &[],
        )
        .map_err(|e| self.err(e))?;
        Ok(())
    }

    pub(super) fn lease_items(
        &self,
        worker: &str,
        n: usize,
        ttl: Duration,
        skip_jobs: &[JobId],
    ) -> Result<Vec<Lease>, StoreError> {
        let ttl_ms = ttl.as_millis() as i64;
        let raws = self.tx(|tx| {
            let rows = tx.query(
                &format!(
                    "WITH next AS (
                         SELECT i.job_id, i.row_index, i.market_index
                         FROM job_items i JOIN jobs j ON j.id = i.job_id
                         WHERE j.status = 'running' AND i.status = 'pending'
                           AND (i.lease_until IS NULL OR i.lease_until < {NOW_MS})
                           AND NOT (i.job_id = ANY($4))
                         ORDER BY i.job_id, i.row_index, i.market_index
                         LIMIT $3
                         FOR UPDATE OF i SKIP LOCKED)
                     UPDATE job_items u
                     SET lease_owner = $1, lease_until = {NOW_MS} + $2,
                         attempts = u.attempts + 1
                     FROM next, job_rows r
                     WHERE u.job_id = next.job_id AND u.row_index = next.row_index
                       AND u.market_index = next.market_index
                       AND r.job_id = u.job_id AND r.row_index = u.row_index
                     RETURNING u.job_id, u.row_index, u.market_index, u.market, u.line,
                               u.attempts, r.listing"
                ),
                &[&worker, &ttl_ms, &(n as i64), &skip_jobs],
            )?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                let key = ItemKey {
                    job_id: r.get(0),
                    row_index: u32_of(r.get(1)),
                    market_index: u32_of(r.get(2)),
                };
                log_tx(tx, &key, "start", Some(worker))?;
                out.push((
                    key,
                    r.get::<_, String>(3),
                    r.get::<_, i64>(4),
                    u32_of(r.get(5)),
                    r.get::<_, String>(6),
                ));
            }
            Ok(out)
        })?;
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

    pub(super) fn heartbeat(
        &self,
        worker: &str,
        beat: &WorkerBeat,
        ttl: Duration,
    ) -> Result<Vec<(ItemKey, u32)>, StoreError> {
        let ttl_ms = ttl.as_millis() as i64;
        self.tx(|tx| {
            tx.execute(
                &format!(
                    "UPDATE workers SET seen_ms = {NOW_MS}, items_done = $2, items_failed = $3,
                            busy_ms = $4
                     WHERE id = $1"
                ),
                &[
                    &worker,
                    &(beat.done as i64),
                    &(beat.failed as i64),
                    &(beat.busy_ms as i64),
                ],
            )?;
            let rows = tx.query(
                &format!(
                    "UPDATE job_items SET lease_until = {NOW_MS} + $2
                     WHERE lease_owner = $1 AND status = 'pending'
                     RETURNING job_id, row_index, market_index, attempts"
                ),
                &[&worker, &ttl_ms],
            )?;
            Ok(rows
                .into_iter()
                .map(|r| {
                    (
                        ItemKey {
                            job_id: r.get(0),
                            row_index: u32_of(r.get(1)),
                            market_index: u32_of(r.get(2)),
                        },
                        u32_of(r.get(3)),
                    )
                })
                .collect())
        })
    }

    pub(super) fn commit_leased(
        &self,
        worker: &str,
        lease: &Lease,
        outcome: &ItemOutcome,
    ) -> Result<(), StoreError> {
        self.commit_item_fenced(lease.key(), Some((worker, lease.attempt)), outcome)
    }

    pub(super) fn release_leases(
        &self,
        worker: &str,
        item: Option<&ItemKey>,
    ) -> Result<(), StoreError> {
        let mut c = self.client()?;
        c.execute(
            "UPDATE job_items SET lease_owner = NULL, lease_until = NULL
             WHERE lease_owner = $1 AND status = 'pending'
               AND ($2::bigint IS NULL
                    OR (job_id = $2 AND row_index = $3 AND market_index = $4))",
            &[
                &worker,
                &item.map(|k| k.job_id),
                &item.map(|k| i64::from(k.row_index)),
                &item.map(|k| i64::from(k.market_index)),
            ],
        )
        .map_err(|e| self.err(e))?;
        Ok(())
    }

    pub(super) fn worker_stopped(&self, worker: &str) -> Result<(), StoreError> {
        self.release_leases(worker, None)?;
        let mut c = self.client()?;
        c.execute(
            &format!("UPDATE workers SET stopped = 1, seen_ms = {NOW_MS} WHERE id = $1"),
            &[&worker],
        )
        .map_err(|e| self.err(e))?;
        Ok(())
    }

    pub(super) fn workers(&self, window: Duration) -> Result<Vec<WorkerInfo>, StoreError> {
        let mut c = self.client()?;
        let now_ms: i64 = c
            .query_one(&format!("SELECT {NOW_MS}"), &[])
            .map_err(|e| self.err(e))?
            .get(0);
        let rows = c
            .query(
                "SELECT w.id, w.host, w.pid, w.model, w.started_at, w.started_ms, w.seen_ms,
                        w.stopped, w.items_done, w.items_failed, w.busy_ms,
                        (SELECT string_agg(i.job_id || '/' || i.row_index || '/' || i.market, ' '
                                           ORDER BY i.job_id, i.row_index, i.market_index)
                         FROM job_items i WHERE i.lease_owner = w.id AND i.status = 'pending'
                           AND i.lease_until >= $1)
                 FROM workers w WHERE w.seen_ms >= $1 - 3600000
                 ORDER BY w.seen_ms DESC, w.id",
                &[&now_ms],
            )
            .map_err(|e| self.err(e))?;
        Ok(rows
            .into_iter()
            .map(|r| {
                RawWorker {
                    id: r.get(0),
                    host: r.get(1),
                    pid: r.get(2),
                    model: r.get(3),
                    started_at: r.get(4),
                    started_ms: r.get(5),
                    seen_ms: r.get(6),
                    stopped: r.get::<_, i64>(7) != 0,
                    done: r.get(8),
                    failed: r.get(9),
                    busy_ms: r.get(10),
                    current: r.get::<_, Option<String>>(11).unwrap_or_default(),
                }
                .info(now_ms, window)
            })
            .collect())
    }

    pub(super) fn feed_since(
        &self,
        after: i64,
        limit: usize,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        let mut c = self.client()?;
        Ok(c.query(
            "SELECT seq, sku FROM index_feed WHERE seq > $1 ORDER BY seq LIMIT $2",
            &[&after, &(limit as i64)],
        )
        .map_err(|e| self.err(e))?
        .into_iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect())
    }

    pub(super) fn feed_head(&self) -> Result<i64, StoreError> {
        let mut c = self.client()?;
        Ok(
            c.query_opt("SELECT seq FROM index_feed_head WHERE id = 1", &[])
                .map_err(|e| self.err(e))?
                .map_or(0, |r| r.get(0)),
        )
    }
}
