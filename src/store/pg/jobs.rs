//! Batch jobs in PostgreSQL: the same statements as the SQLite backend's
//! (`../jobs.rs`). Adding a job's rows sends them and their items as arrays
//! (`unnest`), a thousand rows a statement, instead of one round trip per item.

use postgres::Transaction;

use super::catalog::put_localization_tx;
use super::{PgStore, TxError, u32_of};
use crate::listing::Status;
use crate::store::CREATING;
use crate::store::jobs::{JOB_COLS, RawJob};
use crate::store::{
    ItemKey, ItemOutcome, ItemStatus, Job, JobId, JobItem, JobRow, JobStatus, NewJob, PendingItem,
    RejectRow, StoreError, now,
};

/// Rows sent per statement when creating a job.
const CHUNK: usize = 1000;

fn raw_job(r: &postgres::Row) -> RawJob {
    RawJob {
        id: r.get(0),
        status: r.get(1),
        catalog_path: r.get(2),
        format: r.get(3),
        markets: r.get(4),
        options: r.get(5),
        out_dir: r.get(6),
        rows: r.get(7),
        total_items: r.get(8),
        succeeded: r.get(9),
        failed: r.get(10),
        needs_review: r.get(11),
        rejected: r.get(12),
        error: r.get(13),
        created_at: r.get(14),
        updated_at: r.get(15),
    }
}

/// One line of the item log.
pub(super) fn log_tx(
    tx: &mut Transaction<'_>,
    key: &ItemKey,
    event: &str,
    worker: Option<&str>,
) -> Result<(), postgres::Error> {
    tx.execute(
        "INSERT INTO job_item_log (job_id, row_index, market_index, event, at, worker)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            &key.job_id,
            &i64::from(key.row_index),
            &i64::from(key.market_index),
            &event,
            &now(),
            &worker,
        ],
    )?;
    Ok(())
}

impl PgStore {
    pub(super) fn begin_job(&self, job: &NewJob) -> Result<JobId, StoreError> {
        let markets = serde_json::to_string(&job.markets).map_err(|e| self.corrupt("jobs", e))?;
        let options = serde_json::to_string(&job.options).map_err(|e| self.corrupt("jobs", e))?;
        let mut c = self.client()?;
        let at = now();
        Ok(c.query_one(
            "INSERT INTO jobs (status, catalog_path, format, markets, options, out_dir, rows,
                               total_items, rejected, error, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, 0, 0, 0, $7, $8, $8) RETURNING id",
            &[
                &JobStatus::Cancelled.as_str(),
                &job.catalog_path,
                &job.format,
                &markets,
                &options,
                &job.out_dir,
                &CREATING,
                &at,
            ],
        )
        .map_err(|e| self.err(e))?
        .get(0))
    }

    pub(super) fn add_job_rows(
        &self,
        id: JobId,
        job: &NewJob,
        rows: &[JobRow],
    ) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let listings: Vec<String> = rows
            .iter()
            .map(|r| serde_json::to_string(&r.listing))
            .collect::<Result<_, _>>()
            .map_err(|e| self.corrupt("job_rows", e))?;
        self.tx(|tx| {
            let at = now();
            let ins_rows = tx.prepare(
                "INSERT INTO job_rows (job_id, row_index, line, sku, listing)
                 SELECT $1, * FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::text[])",
            )?;
            let ins_items = tx.prepare(
                "INSERT INTO job_items (job_id, row_index, market_index, market, line, sku, status)
                 SELECT $1, r.row_index, m.idx - 1, m.market, r.line, r.sku, 'pending'
                 FROM unnest($2::bigint[], $3::bigint[], $4::text[]) AS r (row_index, line, sku)
                 CROSS JOIN unnest($5::text[]) WITH ORDINALITY AS m (market, idx)",
            )?;
            let put_listings = tx.prepare(
                "INSERT INTO listings (sku, source, json, updated_at)
                 SELECT s, $1, j, $2 FROM unnest($3::text[], $4::text[]) AS t (s, j)
                 ON CONFLICT (sku) DO UPDATE SET source = EXCLUDED.source, json = EXCLUDED.json,
                     updated_at = EXCLUDED.updated_at",
            )?;
            for (chunk, json) in rows.chunks(CHUNK).zip(listings.chunks(CHUNK)) {
                let idx: Vec<i64> = chunk.iter().map(|r| i64::from(r.row_index)).collect();
                let lines: Vec<i64> = chunk.iter().map(|r| r.line as i64).collect();
                let skus: Vec<&str> = chunk.iter().map(|r| r.listing.sku.as_str()).collect();
                tx.execute(&ins_rows, &[&id, &idx, &lines, &skus, &json])?;
                tx.execute(&ins_items, &[&id, &idx, &lines, &skus, &job.markets])?;
                tx.execute(&put_listings, &[&job.catalog_path, &at, &skus, &json])?;
            }
            Ok(())
        })
    }

    pub(super) fn add_job_rejects(
        &self,
        id: JobId,
        first_seq: u64,
        rejects: &[RejectRow],
    ) -> Result<(), StoreError> {
        if rejects.is_empty() {
            return Ok(());
        }
        self.tx(|tx| {
            for chunk in rejects.chunks(CHUNK) {
                let seq: Vec<i64> = (0..chunk.len())
                    .map(|i| (first_seq + i as u64) as i64)
                    .collect();
                let first = seq.first().copied().unwrap_or(0);
                let files: Vec<&str> = chunk.iter().map(|r| r.file.as_str()).collect();
                let lines: Vec<i64> = chunk.iter().map(|r| r.line as i64).collect();
                let cols: Vec<&str> = chunk.iter().map(|r| r.column.as_str()).collect();
                let why: Vec<&str> = chunk.iter().map(|r| r.reason.as_str()).collect();
                tx.execute(
                    "INSERT INTO job_rejects (job_id, seq, file, line, column_name, reason)
                     SELECT $1, $2 + o - 1, f, l, c, r
                     FROM unnest($3::text[], $4::bigint[], $5::text[], $6::text[])
                          WITH ORDINALITY AS t (f, l, c, r, o)",
                    &[&id, &first, &files, &lines, &cols, &why],
                )?;
            }
            Ok(())
        })
    }

    pub(super) fn finish_job(
        &self,
        id: JobId,
        rows: u64,
        markets: u64,
        rejects: u64,
    ) -> Result<(), StoreError> {
        let mut c = self.client()?;
        let n = c
            .execute(
                "UPDATE jobs SET status = $2, error = NULL, rows = $3, total_items = $4,
                        rejected = $5, updated_at = $6
                 WHERE id = $1 AND error = $7",
                &[
                    &id,
                    &JobStatus::Enqueued.as_str(),
                    &(rows as i64),
                    &((rows * markets) as i64),
                    &(rejects as i64),
                    &now(),
                    &CREATING,
                ],
            )
            .map_err(|e| self.err(e))?;
        if n == 0 {
            return Err(StoreError::JobNotFound(id));
        }
        Ok(())
    }

    pub(super) fn delete_job(&self, id: JobId) -> Result<(), StoreError> {
        self.tx(|tx| {
            for table in ["job_item_log", "job_items", "job_rows", "job_rejects"] {
                tx.execute(&format!("DELETE FROM {table} WHERE job_id = $1"), &[&id])?;
            }
            tx.execute("DELETE FROM jobs WHERE id = $1", &[&id])?;
            Ok(())
        })
    }

    pub(super) fn retry_failed_items(
        &self,
        id: JobId,
        max_attempts: u32,
    ) -> Result<u64, StoreError> {
        let max = i64::from(max_attempts);
        self.tx(|tx| {
            let at = now();
            tx.execute(
                "INSERT INTO job_item_log (job_id, row_index, market_index, event, at)
                 SELECT job_id, row_index, market_index, 'retry', $3 FROM job_items
                 WHERE job_id = $1 AND status = 'failed' AND attempts < $2",
                &[&id, &max, &at],
            )?;
            let n = tx.execute(
                "UPDATE job_items SET status = 'pending', error = NULL, commits = 0,
                        committed_at = NULL
                 WHERE job_id = $1 AND status = 'failed' AND attempts < $2",
                &[&id, &max],
            )?;
            if n > 0 {
                tx.execute(
                    "UPDATE jobs SET failed = GREATEST(failed - $2, 0), updated_at = $3
                     WHERE id = $1",
                    &[&id, &(n as i64), &at],
                )?;
            }
            Ok(n)
        })
    }

    pub(super) fn job(&self, id: JobId) -> Result<Job, StoreError> {
        let mut c = self.client()?;
        let row = c
            .query_opt(
                &format!("SELECT {JOB_COLS} FROM jobs WHERE id = $1"),
                &[&id],
            )
            .map_err(|e| self.err(e))?;
        match row {
            Some(r) => raw_job(&r).decode(std::path::Path::new(&self.url)),
            None => Err(StoreError::JobNotFound(id)),
        }
    }

    pub(super) fn jobs(&self) -> Result<Vec<Job>, StoreError> {
        let mut c = self.client()?;
        let rows = c
            .query(
                &format!("SELECT {JOB_COLS} FROM jobs ORDER BY id DESC"),
                &[],
            )
            .map_err(|e| self.err(e))?;
        rows.iter()
            .map(|r| raw_job(r).decode(std::path::Path::new(&self.url)))
            .collect()
    }

    pub(super) fn set_job_status(
        &self,
        id: JobId,
        status: JobStatus,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut c = self.client()?;
        let n = c
            .execute(
                "UPDATE jobs SET status = $2, error = $3, updated_at = $4 WHERE id = $1",
                &[&id, &status.as_str(), &error, &now()],
            )
            .map_err(|e| self.err(e))?;
        if n == 0 {
            return Err(StoreError::JobNotFound(id));
        }
        Ok(())
    }

    pub(super) fn pending_items(&self, id: JobId) -> Result<Vec<PendingItem>, StoreError> {
        let mut c = self.client()?;
        let rows = c
            .query(
                "SELECT i.row_index, i.market_index, i.market, i.line, r.listing
                 FROM job_items i JOIN job_rows r ON r.job_id = i.job_id AND r.row_index = i.row_index
                 WHERE i.job_id = $1 AND i.status = 'pending'
                 ORDER BY i.row_index, i.market_index",
                &[&id],
            )
            .map_err(|e| self.err(e))?;
        rows.into_iter()
            .map(|r| {
                let row_index = u32_of(r.get(0));
                let json: String = r.get(4);
                let listing = serde_json::from_str(&json).map_err(|e| {
                    self.corrupt("job_rows", format!("job {id} row {row_index}: {e}"))
                })?;
                Ok(PendingItem {
                    key: ItemKey {
                        job_id: id,
                        row_index,
                        market_index: u32_of(r.get(1)),
                    },
                    market: r.get(2),
                    line: r.get::<_, i64>(3).max(0) as u64,
                    listing,
                })
            })
            .collect()
    }

    pub(super) fn start_attempt(&self, key: &ItemKey) -> Result<u32, StoreError> {
        self.tx(|tx| {
            let n: i64 = tx
                .query_opt(
                    "UPDATE job_items SET attempts = attempts + 1
                     WHERE job_id = $1 AND row_index = $2 AND market_index = $3 RETURNING attempts",
                    &[
                        &key.job_id,
                        &i64::from(key.row_index),
                        &i64::from(key.market_index),
                    ],
                )?
                .ok_or(TxError::Store(StoreError::JobNotFound(key.job_id)))?
                .get(0);
            log_tx(tx, key, "start", None)?;
            Ok(u32_of(n))
        })
    }

    pub(super) fn commit_item(
        &self,
        key: &ItemKey,
        outcome: &ItemOutcome,
    ) -> Result<(), StoreError> {
        self.commit_item_fenced(key, None, outcome)
    }

    /// Commit an item; fenced by `lease` (worker, attempt) as the SQLite
    /// backend's `commit_item_fenced`.
    pub(super) fn commit_item_fenced(
        &self,
        key: &ItemKey,
        lease: Option<(&str, u32)>,
        outcome: &ItemOutcome,
    ) -> Result<(), StoreError> {
        let (status, result, error) = match outcome {
            ItemOutcome::Succeeded(loc) => (
                ItemStatus::Succeeded,
                Some(serde_json::to_string(loc).map_err(|e| self.corrupt("job_items", e))?),
                None,
            ),
            ItemOutcome::Failed(e) => (ItemStatus::Failed, None, Some(e.as_str())),
        };
        let (row, market_index) = (i64::from(key.row_index), i64::from(key.market_index));
        let fence: Option<i64> = lease.map(|l| i64::from(l.1));
        self.tx(|tx| {
            let at = now();
            let n = tx.execute(
                "UPDATE job_items SET status = $4, result = $5, error = $6, commits = commits + 1,
                        committed_at = $7, lease_owner = NULL, lease_until = NULL
                 WHERE job_id = $1 AND row_index = $2 AND market_index = $3 AND status = 'pending'
                   AND ($8::bigint IS NULL OR attempts = $8)",
                &[
                    &key.job_id,
                    &row,
                    &market_index,
                    &status.as_str(),
                    &result,
                    &error,
                    &at,
                    &fence,
                ],
            )?;
            if n == 0 {
                if lease.is_some() {
                    return Err(TxError::Store(StoreError::LeaseLost {
                        job: key.job_id,
                        row: key.row_index,
                        market_index: key.market_index,
                    }));
                }
                let market: Option<String> = tx
                    .query_opt(
                        "SELECT market FROM job_items
                         WHERE job_id = $1 AND row_index = $2 AND market_index = $3",
                        &[&key.job_id, &row, &market_index],
                    )?
                    .map(|r| r.get(0));
                return Err(TxError::Store(match market {
                    Some(market) => StoreError::AlreadyCommitted {
                        job: key.job_id,
                        row: key.row_index,
                        market,
                    },
                    None => StoreError::JobNotFound(key.job_id),
                }));
            }
            log_tx(tx, key, "commit", lease.map(|l| l.0))?;
            let (ok, bad, review): (i64, i64, i64) = match outcome {
                ItemOutcome::Succeeded(loc) => (1, 0, i64::from(loc.status == Status::NeedsReview)),
                ItemOutcome::Failed(_) => (0, 1, 0),
            };
            tx.execute(
                "UPDATE jobs SET succeeded = succeeded + $2, failed = failed + $3,
                        needs_review = needs_review + $4, updated_at = $5 WHERE id = $1",
                &[&key.job_id, &ok, &bad, &review, &at],
            )?;
            // Last: the localization's feed trigger takes the feed's counter
            // lock, held until this commits.
            if let ItemOutcome::Succeeded(loc) = outcome {
                put_localization_tx(tx, loc)?;
            }
            Ok(())
        })
    }

    pub(super) fn job_items(&self, id: JobId) -> Result<Vec<JobItem>, StoreError> {
        let mut c = self.client()?;
        let rows = c
            .query(
                "SELECT row_index, market_index, market, line, sku, status, result, error, attempts, commits
                 FROM job_items WHERE job_id = $1 ORDER BY row_index, market_index",
                &[&id],
            )
            .map_err(|e| self.err(e))?;
        rows.into_iter()
            .map(|r| {
                let row_index = u32_of(r.get(0));
                let status: String = r.get(5);
                let status = ItemStatus::parse(&status).ok_or_else(|| {
                    self.corrupt("job_items", format!("unknown status `{status}`"))
                })?;
                let result = r
                    .get::<_, Option<String>>(6)
                    .map(|j| serde_json::from_str(&j))
                    .transpose()
                    .map_err(|e| {
                        self.corrupt("job_items", format!("job {id} row {row_index}: {e}"))
                    })?;
                Ok(JobItem {
                    key: ItemKey {
                        job_id: id,
                        row_index,
                        market_index: u32_of(r.get(1)),
                    },
                    market: r.get(2),
                    line: r.get::<_, i64>(3).max(0) as u64,
                    sku: r.get(4),
                    status,
                    result,
                    error: r.get(7),
                    attempts: u32_of(r.get(8)),
                    commits: u32_of(r.get(9)),
                })
            })
            .collect()
    }

    pub(super) fn job_rejects_page(
        &self,
        id: JobId,
        offset: u64,
        limit: usize,
    ) -> Result<Vec<RejectRow>, StoreError> {
        let mut c = self.client()?;
        Ok(c.query(
            "SELECT file, line, column_name, reason FROM job_rejects
                 WHERE job_id = $1 AND seq >= $2 ORDER BY seq LIMIT $3",
            &[&id, &(offset as i64), &(limit as i64)],
        )
        .map_err(|e| self.err(e))?
        .into_iter()
        .map(|r| RejectRow {
            file: r.get(0),
            line: r.get::<_, i64>(1).max(0) as u64,
            column: r.get(2),
            reason: r.get(3),
        })
        .collect())
    }

    pub(super) fn item_log_counts(
        &self,
        id: JobId,
    ) -> Result<Vec<(ItemKey, u32, u32)>, StoreError> {
        let mut c = self.client()?;
        Ok(c.query(
            "SELECT row_index, market_index,
                        count(*) FILTER (WHERE event = 'start'),
                        count(*) FILTER (WHERE event = 'commit')
                 FROM job_item_log WHERE job_id = $1
                 GROUP BY row_index, market_index ORDER BY row_index, market_index",
            &[&id],
        )
        .map_err(|e| self.err(e))?
        .into_iter()
        .map(|r| {
            (
                ItemKey {
                    job_id: id,
                    row_index: u32_of(r.get(0)),
                    market_index: u32_of(r.get(1)),
                },
                u32_of(r.get(2)),
                u32_of(r.get(3)),
            )
        })
        .collect())
    }
}
