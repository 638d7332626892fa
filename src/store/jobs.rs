//! Batch jobs as stored: the job, its rows (the accepted catalog rows, so the
//! catalog file is not needed again), its items (one per row and market), the
//! catalog's rejects, and an append-only item log.
//!
//! The runner in `crate::job` drives these: [`Store::create_job`] writes
//! everything in one transaction, [`Store::pending_items`] lists what is left,
//! [`Store::start_attempt`] logs that an item is being worked on, and
//! [`Store::commit_item`] stores one finished item, its localization and the
//! job's counters in one transaction. An item is committed at most once: a
//! second commit is refused, so after a crash nothing committed is redone.

use rusqlite::{OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

use super::listings::{put_listing_tx, put_localization_tx};
use super::{SqliteStore, StoreError, now};
use crate::listing::{Listing, LocalizedListing, Status};

/// A job's id.
pub type JobId = i64;

/// The error a job carries while it is being created (see [`Store::begin_job`]).
pub const CREATING: &str = "still being created (interrupted if this stays)";

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Created, not started.
    Enqueued,
    /// Being worked on (or the process working on it died: `resume` it).
    Running,
    /// Stopped by the user (Ctrl-C); `resume` continues it.
    Paused,
    /// Every item is done and the outputs are written.
    Succeeded,
    /// Stopped by an error (full disk, outputs not writable); `resume` retries.
    Failed,
    /// Cancelled by the user; not resumable.
    Cancelled,
}

impl JobStatus {
    /// The snake_case name stored and printed.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Enqueued => "enqueued",
            JobStatus::Running => "running",
            JobStatus::Paused => "paused",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Failed => "failed",
            JobStatus::Cancelled => "cancelled",
        }
    }

    /// Parse the snake_case name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "enqueued" => JobStatus::Enqueued,
            "running" => JobStatus::Running,
            "paused" => JobStatus::Paused,
            "succeeded" => JobStatus::Succeeded,
            "failed" => JobStatus::Failed,
            // "canceled": the spelling of stores before migration 4.
            "cancelled" | "canceled" => JobStatus::Cancelled,
            _ => return None,
        })
    }

    /// Whether work on the job can (still) go on: anything but succeeded or cancelled.
    pub fn is_resumable(self) -> bool {
        !matches!(self, JobStatus::Succeeded | JobStatus::Cancelled)
    }
}

impl std::fmt::Display for JobStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    /// Not committed yet.
    Pending,
    /// Localized and committed.
    Succeeded,
    /// Failed (model error, panic) and committed as failed.
    Failed,
}

impl ItemStatus {
    /// The snake_case name stored.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemStatus::Pending => "pending",
            ItemStatus::Succeeded => "succeeded",
            ItemStatus::Failed => "failed",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => ItemStatus::Pending,
            "succeeded" => ItemStatus::Succeeded,
            "failed" => ItemStatus::Failed,
            _ => return None,
        })
    }
}

/// What a new job is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewJob {
    /// The catalog file, as given.
    pub catalog_path: String,
    /// Output format name (`csv`, `xlsx`, `jsonl`, ...).
    pub format: String,
    /// Market ids, in order.
    pub markets: Vec<String>,
    /// Everything else the runner needs to redo the job identically (model,
    /// max tokens, glossary), as JSON.
    pub options: serde_json::Value,
    /// Where the outputs go.
    pub out_dir: String,
}

/// An accepted catalog row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRow {
    /// 0-based position among the accepted rows; outputs are ordered by it.
    pub row_index: u32,
    /// Line (or spreadsheet row) in the catalog file, 1-based.
    pub line: u64,
    /// The listing.
    pub listing: Listing,
}

/// A row the catalog reader refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectRow {
    /// The file.
    pub file: String,
    /// The line, 1-based.
    pub line: u64,
    /// The column (field) at fault; empty when the whole row is.
    pub column: String,
    /// Why.
    pub reason: String,
}

/// A job as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// Id.
    pub id: JobId,
    /// Status.
    pub status: JobStatus,
    /// The catalog file, as given.
    pub catalog_path: String,
    /// Output format name.
    pub format: String,
    /// Markets, in order.
    pub markets: Vec<String>,
    /// Options (see [`NewJob::options`]).
    pub options: serde_json::Value,
    /// Output directory.
    pub out_dir: String,
    /// Accepted catalog rows.
    pub rows: u64,
    /// Items: rows times markets.
    pub total_items: u64,
    /// Items committed as succeeded.
    pub succeeded: u64,
    /// Items committed as failed.
    pub failed: u64,
    /// Succeeded items whose status is needs_review.
    pub needs_review: u64,
    /// Rows the catalog reader refused.
    pub rejected: u64,
    /// Why the job stopped, when it failed.
    pub error: Option<String>,
    /// Created (RFC 3339).
    pub created_at: String,
    /// Last change (RFC 3339).
    pub updated_at: String,
}

impl Job {
    /// Items committed, succeeded or failed.
    pub fn done(&self) -> u64 {
        self.succeeded + self.failed
    }
}

/// Names one item.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ItemKey {
    /// The job.
    pub job_id: JobId,
    /// The row.
    pub row_index: u32,
    /// The market's position in the job's market list.
    pub market_index: u32,
}

/// An item still to do, with what is needed to do it.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingItem {
    /// Which item.
    pub key: ItemKey,
    /// The market id.
    pub market: String,
    /// Catalog line.
    pub line: u64,
    /// The source listing.
    pub listing: Listing,
}

/// How an item ended.
#[derive(Debug, Clone, PartialEq)]
pub enum ItemOutcome {
    /// Localized.
    Succeeded(Box<LocalizedListing>),
    /// Failed, with the reason.
    Failed(String),
}

/// A job item as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct JobItem {
    /// Which item.
    pub key: ItemKey,
    /// Market id.
    pub market: String,
    /// Catalog line.
    pub line: u64,
    /// Source sku.
    pub sku: String,
    /// Status.
    pub status: ItemStatus,
    /// The localization, when succeeded.
    pub result: Option<LocalizedListing>,
    /// Why it failed, when it did.
    pub error: Option<String>,
    /// How many times work on it started.
    pub attempts: u32,
    /// How many times it was committed (0 or 1: anything else is a bug).
    pub commits: u32,
}

impl SqliteStore {
    /// Create a job with its rows, items (one per row and market, in market
    /// order) and rejects. The source listings are also stored in `listings`
    /// (source = the catalog path). Small jobs (tests, the CLI) in one go; the
    /// catalog importer streams through [`begin_job`](Self::begin_job),
    /// [`add_job_rows`](Self::add_job_rows), [`add_job_rejects`](Self::add_job_rejects)
    /// and [`finish_job`](Self::finish_job) instead.
    pub fn create_job(
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

    /// Start creating a job: its row, `cancelled` with the error "still being
    /// created" until [`finish_job`](Self::finish_job) enqueues it, so a crash
    /// in between leaves a job that is visibly incomplete and never runs.
    pub fn begin_job(&self, job: &NewJob) -> Result<JobId, StoreError> {
        let markets = serde_json::to_string(&job.markets).map_err(|e| self.corrupt("jobs", e))?;
        let options = serde_json::to_string(&job.options).map_err(|e| self.corrupt("jobs", e))?;
        let c = self.conn();
        let at = now();
        c.execute(
            "INSERT INTO jobs (status, catalog_path, format, markets, options, out_dir, rows,
                               total_items, rejected, error, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, 0, 0, ?7, ?8, ?8)",
            params![
                JobStatus::Cancelled.as_str(),
                job.catalog_path,
                job.format,
                markets,
                options,
                job.out_dir,
                CREATING,
                at
            ],
        )
        .map_err(|e| self.err(e))?;
        Ok(c.last_insert_rowid())
    }

    /// Add accepted rows (and their items, one per market) to a job being
    /// created, in one transaction.
    pub fn add_job_rows(&self, id: JobId, job: &NewJob, rows: &[JobRow]) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut c = self.conn();
        let tx = c.transaction().map_err(|e| self.err(e))?;
        let run = || -> rusqlite::Result<()> {
            let mut ins_row = tx.prepare(
                "INSERT INTO job_rows (job_id, row_index, line, sku, listing) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            let mut ins_item = tx.prepare(
                "INSERT INTO job_items (job_id, row_index, market_index, market, line, sku, status)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending')",
            )?;
            for r in rows {
                let json = serde_json::to_string(&r.listing)
                    .map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))?;
                ins_row.execute(params![id, r.row_index, r.line as i64, r.listing.sku, json])?;
                for (mi, m) in job.markets.iter().enumerate() {
                    ins_item.execute(params![
                        id,
                        r.row_index,
                        mi as i64,
                        m,
                        r.line as i64,
                        r.listing.sku
                    ])?;
                }
                put_listing_tx(&tx, &job.catalog_path, &r.listing)?;
            }
            Ok(())
        };
        run().map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))
    }

    /// Add rejects to a job being created, numbered from `first_seq`, in one
    /// transaction.
    pub fn add_job_rejects(
        &self,
        id: JobId,
        first_seq: u64,
        rejects: &[RejectRow],
    ) -> Result<(), StoreError> {
        if rejects.is_empty() {
            return Ok(());
        }
        let mut c = self.conn();
        let tx = c.transaction().map_err(|e| self.err(e))?;
        let run = || -> rusqlite::Result<()> {
            let mut ins = tx.prepare(
                "INSERT INTO job_rejects (job_id, seq, file, line, column_name, reason)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for (i, r) in rejects.iter().enumerate() {
                ins.execute(params![
                    id,
                    (first_seq + i as u64) as i64,
                    r.file,
                    r.line as i64,
                    r.column,
                    r.reason
                ])?;
            }
            Ok(())
        };
        run().map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))
    }

    /// Finish creating a job: set its counts and enqueue it.
    pub fn finish_job(
        &self,
        id: JobId,
        rows: u64,
        markets: u64,
        rejects: u64,
    ) -> Result<(), StoreError> {
        let c = self.conn();
        let n = c
            .execute(
                "UPDATE jobs SET status = ?2, error = NULL, rows = ?3, total_items = ?4,
                        rejected = ?5, updated_at = ?6
                 WHERE id = ?1 AND error = ?7",
                params![
                    id,
                    JobStatus::Enqueued.as_str(),
                    rows as i64,
                    (rows * markets) as i64,
                    rejects as i64,
                    now(),
                    CREATING
                ],
            )
            .map_err(|e| self.err(e))?;
        if n == 0 {
            return Err(StoreError::JobNotFound(id));
        }
        Ok(())
    }

    /// Delete a job and everything it holds (a creation that failed).
    pub fn delete_job(&self, id: JobId) -> Result<(), StoreError> {
        let mut c = self.conn();
        let tx = c.transaction().map_err(|e| self.err(e))?;
        let run = || -> rusqlite::Result<()> {
            tx.execute("DELETE FROM job_item_log WHERE job_id = ?1", [id])?;
            tx.execute("DELETE FROM job_items WHERE job_id = ?1", [id])?;
            tx.execute("DELETE FROM job_rows WHERE job_id = ?1", [id])?;
            tx.execute("DELETE FROM job_rejects WHERE job_id = ?1", [id])?;
            tx.execute("DELETE FROM jobs WHERE id = ?1", [id])?;
            Ok(())
        };
        run().map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))
    }

    /// Put the failed items that were tried fewer than `max_attempts` times
    /// back to pending (their error cleared, the job's failed count lowered,
    /// a `retry` line in the log), in one transaction. Returns how many.
    pub fn retry_failed_items(&self, id: JobId, max_attempts: u32) -> Result<u64, StoreError> {
        let mut c = self.conn();
        let tx = c.transaction().map_err(|e| self.err(e))?;
        let run = || -> rusqlite::Result<u64> {
            let at = now();
            tx.execute(
                "INSERT INTO job_item_log (job_id, row_index, market_index, event, at)
                 SELECT job_id, row_index, market_index, 'retry', ?3 FROM job_items
                 WHERE job_id = ?1 AND status = 'failed' AND attempts < ?2",
                params![id, max_attempts, at],
            )?;
            let n = tx.execute(
                "UPDATE job_items SET status = 'pending', error = NULL, commits = 0,
                        committed_at = NULL
                 WHERE job_id = ?1 AND status = 'failed' AND attempts < ?2",
                params![id, max_attempts],
            )? as u64;
            if n > 0 {
                tx.execute(
                    "UPDATE jobs SET failed = max(failed - ?2, 0), updated_at = ?3 WHERE id = ?1",
                    params![id, n as i64, at],
                )?;
            }
            Ok(n)
        };
        let n = run().map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))?;
        Ok(n)
    }

    /// A job by id.
    pub fn job(&self, id: JobId) -> Result<Job, StoreError> {
        let c = self.conn();
        let row = c
            .query_row(
                &format!("SELECT {JOB_COLS} FROM jobs WHERE id = ?1"),
                [id],
                raw_job,
            )
            .optional()
            .map_err(|e| self.err(e))?;
        match row {
            Some(r) => self.decode_job(r),
            None => Err(StoreError::JobNotFound(id)),
        }
    }

    /// All jobs, newest first.
    pub fn jobs(&self) -> Result<Vec<Job>, StoreError> {
        let c = self.conn();
        let mut stmt = c
            .prepare(&format!("SELECT {JOB_COLS} FROM jobs ORDER BY id DESC"))
            .map_err(|e| self.err(e))?;
        let raws = stmt
            .query_map([], raw_job)
            .map_err(|e| self.err(e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))?;
        raws.into_iter().map(|r| self.decode_job(r)).collect()
    }

    /// Jobs that are not finished (enqueued, running, paused or failed), oldest
    /// first: what a server resumes at start is the enqueued and running ones.
    pub fn unfinished_jobs(&self) -> Result<Vec<Job>, StoreError> {
        let mut v: Vec<Job> = self
            .jobs()?
            .into_iter()
            .filter(|j| j.status.is_resumable())
            .collect();
        v.reverse();
        Ok(v)
    }

    /// Set a job's status (and error message, cleared when `None`).
    pub fn set_job_status(
        &self,
        id: JobId,
        status: JobStatus,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        let c = self.conn();
        let n = c
            .execute(
                "UPDATE jobs SET status = ?2, error = ?3, updated_at = ?4 WHERE id = ?1",
                params![id, status.as_str(), error, now()],
            )
            .map_err(|e| self.err(e))?;
        if n == 0 {
            return Err(StoreError::JobNotFound(id));
        }
        Ok(())
    }

    /// Cancel a job that is not finished. Items committed so far stay.
    pub fn cancel_job(&self, id: JobId) -> Result<(), StoreError> {
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

    /// Items not committed yet, ordered by row then market.
    pub fn pending_items(&self, id: JobId) -> Result<Vec<PendingItem>, StoreError> {
        let c = self.conn();
        let mut stmt = c
            .prepare(
                "SELECT i.row_index, i.market_index, i.market, i.line, r.listing
                 FROM job_items i JOIN job_rows r ON r.job_id = i.job_id AND r.row_index = i.row_index
                 WHERE i.job_id = ?1 AND i.status = 'pending'
                 ORDER BY i.row_index, i.market_index",
            )
            .map_err(|e| self.err(e))?;
        let raws = stmt
            .query_map([id], |r| {
                Ok((
                    r.get::<_, u32>(0)?,
                    r.get::<_, u32>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })
            .map_err(|e| self.err(e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))?;
        raws.into_iter()
            .map(|(row_index, market_index, market, line, json)| {
                let listing = serde_json::from_str(&json).map_err(|e| {
                    self.corrupt("job_rows", format!("job {id} row {row_index}: {e}"))
                })?;
                Ok(PendingItem {
                    key: ItemKey {
                        job_id: id,
                        row_index,
                        market_index,
                    },
                    market,
                    line: line.max(0) as u64,
                    listing,
                })
            })
            .collect()
    }

    /// Record that work on an item starts (attempts + 1, a `start` line in the
    /// log). Returns the attempt number.
    pub fn start_attempt(&self, key: &ItemKey) -> Result<u32, StoreError> {
        let mut c = self.conn();
        let tx = c.transaction().map_err(|e| self.err(e))?;
        let run = || -> rusqlite::Result<u32> {
            let n: u32 = tx.query_row(
                "UPDATE job_items SET attempts = attempts + 1
                 WHERE job_id = ?1 AND row_index = ?2 AND market_index = ?3 RETURNING attempts",
                params![key.job_id, key.row_index, key.market_index],
                |r| r.get(0),
            )?;
            log_tx(&tx, key, "start", None)?;
            Ok(n)
        };
        let n = run().map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))?;
        Ok(n)
    }

    /// Commit a finished item in one transaction: its status and result, a
    /// `commit` line in the log, the job's counters, and (when it succeeded)
    /// the localization itself. Refused if the item is already committed.
    pub fn commit_item(&self, key: &ItemKey, outcome: &ItemOutcome) -> Result<(), StoreError> {
        self.commit_item_fenced(key, None, outcome)
    }

    /// [`SqliteStore::commit_item`], fenced when `lease` names a worker and its
    /// attempt: then the item must still be pending at that attempt, or the
    /// commit is refused with [`StoreError::LeaseLost`]. Clears the lease.
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
        let mut c = self.conn();
        let tx = c.transaction().map_err(|e| self.err(e))?;
        let at = now();
        let n = tx
            .execute(
                "UPDATE job_items SET status = ?4, result = ?5, error = ?6, commits = commits + 1,
                        committed_at = ?7, lease_owner = NULL, lease_until = NULL
                 WHERE job_id = ?1 AND row_index = ?2 AND market_index = ?3 AND status = 'pending'
                   AND (?8 IS NULL OR attempts = ?8)",
                params![
                    key.job_id,
                    key.row_index,
                    key.market_index,
                    status.as_str(),
                    result,
                    error,
                    at,
                    lease.map(|l| l.1)
                ],
            )
            .map_err(|e| self.err(e))?;
        if n == 0 && lease.is_some() {
            return Err(StoreError::LeaseLost {
                job: key.job_id,
                row: key.row_index,
                market_index: key.market_index,
            });
        }
        if n == 0 {
            let market: Option<String> = tx
                .query_row(
                    "SELECT market FROM job_items WHERE job_id = ?1 AND row_index = ?2 AND market_index = ?3",
                    params![key.job_id, key.row_index, key.market_index],
                    |r| r.get(0),
                )
                .optional()
                .map_err(|e| self.err(e))?;
            return Err(match market {
                Some(market) => StoreError::AlreadyCommitted {
                    job: key.job_id,
                    row: key.row_index,
                    market,
                },
                None => StoreError::JobNotFound(key.job_id),
            });
        }
        let run = || -> rusqlite::Result<()> {
            log_tx(&tx, key, "commit", lease.map(|l| l.0))?;
            let (ok, bad, review) = match outcome {
                ItemOutcome::Succeeded(loc) => (1, 0, i64::from(loc.status == Status::NeedsReview)),
                ItemOutcome::Failed(_) => (0, 1, 0),
            };
            tx.execute(
                "UPDATE jobs SET succeeded = succeeded + ?2, failed = failed + ?3,
                        needs_review = needs_review + ?4, updated_at = ?5 WHERE id = ?1",
                params![key.job_id, ok, bad, review, at],
            )?;
            if let ItemOutcome::Succeeded(loc) = outcome {
                put_localization_tx(&tx, loc)?;
            }
            Ok(())
        };
        run().map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))
    }

    /// Every item of a job, ordered by row then market.
    pub fn job_items(&self, id: JobId) -> Result<Vec<JobItem>, StoreError> {
        let c = self.conn();
        let mut stmt = c
            .prepare(
                "SELECT row_index, market_index, market, line, sku, status, result, error, attempts, commits
                 FROM job_items WHERE job_id = ?1 ORDER BY row_index, market_index",
            )
            .map_err(|e| self.err(e))?;
        type Raw = (
            u32,
            u32,
            String,
            i64,
            String,
            String,
            Option<String>,
            Option<String>,
            u32,
            u32,
        );
        let raws = stmt
            .query_map([id], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    r.get(9)?,
                ))
            })
            .map_err(|e| self.err(e))?
            .collect::<rusqlite::Result<Vec<Raw>>>()
            .map_err(|e| self.err(e))?;
        raws.into_iter()
            .map(
                |(
                    row_index,
                    market_index,
                    market,
                    line,
                    sku,
                    status,
                    result,
                    error,
                    attempts,
                    commits,
                )| {
                    let status = ItemStatus::parse(&status).ok_or_else(|| {
                        self.corrupt("job_items", format!("unknown status `{status}`"))
                    })?;
                    let result = result
                        .map(|j| serde_json::from_str(&j))
                        .transpose()
                        .map_err(|e| {
                            self.corrupt("job_items", format!("job {id} row {row_index}: {e}"))
                        })?;
                    Ok(JobItem {
                        key: ItemKey {
                            job_id: id,
                            row_index,
                            market_index,
                        },
                        market,
                        line: line.max(0) as u64,
                        sku,
                        status,
                        result,
                        error,
                        attempts,
                        commits,
                    })
                },
            )
            .collect()
    }

    /// The catalog's rejects for a job, in file order: `limit` of them from
    /// `offset`. Pages, so no caller holds a large job's rejects at once.
    pub fn job_rejects_page(
        &self,
        id: JobId,
        offset: u64,
        limit: usize,
    ) -> Result<Vec<RejectRow>, StoreError> {
        let c = self.conn();
        let mut stmt = c
            .prepare_cached(
                "SELECT file, line, column_name, reason FROM job_rejects
                 WHERE job_id = ?1 AND seq >= ?2 ORDER BY seq LIMIT ?3",
            )
            .map_err(|e| self.err(e))?;
        stmt.query_map(params![id, offset as i64, limit as i64], |r| {
            Ok(RejectRow {
                file: r.get(0)?,
                line: r.get::<_, i64>(1)?.max(0) as u64,
                column: r.get(2)?,
                reason: r.get(3)?,
            })
        })
        .map_err(|e| self.err(e))?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(|e| self.err(e))
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

    /// The item log: for each item that has any, the number of `start` and
    /// `commit` lines, ordered by row then market. An item with more than one
    /// commit would mean it was processed again after its commit.
    pub fn item_log_counts(&self, id: JobId) -> Result<Vec<(ItemKey, u32, u32)>, StoreError> {
        let c = self.conn();
        let mut stmt = c
            .prepare(
                "SELECT row_index, market_index,
                        sum(event = 'start'), sum(event = 'commit')
                 FROM job_item_log WHERE job_id = ?1
                 GROUP BY row_index, market_index ORDER BY row_index, market_index",
            )
            .map_err(|e| self.err(e))?;
        stmt.query_map([id], |r| {
            Ok((
                ItemKey {
                    job_id: id,
                    row_index: r.get(0)?,
                    market_index: r.get(1)?,
                },
                r.get(2)?,
                r.get(3)?,
            ))
        })
        .map_err(|e| self.err(e))?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(|e| self.err(e))
    }

    fn decode_job(&self, r: RawJob) -> Result<Job, StoreError> {
        r.decode(&self.path)
    }
}

impl RawJob {
    /// The job, decoding its JSON columns and status (`path` names the store
    /// in errors). Shared by both backends.
    pub(super) fn decode(self, path: &std::path::Path) -> Result<Job, StoreError> {
        let r = self;
        let corrupt = |message: String| StoreError::Corrupt {
            path: path.to_path_buf(),
            table: "jobs",
            message,
        };
        let status = JobStatus::parse(&r.status)
            .ok_or_else(|| corrupt(format!("job {}: unknown status `{}`", r.id, r.status)))?;
        let markets = serde_json::from_str(&r.markets).map_err(|e| corrupt(e.to_string()))?;
        let options = serde_json::from_str(&r.options).map_err(|e| corrupt(e.to_string()))?;
        let n = |v: i64| v.max(0) as u64;
        Ok(Job {
            id: r.id,
            status,
            catalog_path: r.catalog_path,
            format: r.format,
            markets,
            options,
            out_dir: r.out_dir,
            rows: n(r.rows),
            total_items: n(r.total_items),
            succeeded: n(r.succeeded),
            failed: n(r.failed),
            needs_review: n(r.needs_review),
            rejected: n(r.rejected),
            error: r.error,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

pub(super) const JOB_COLS: &str = "id, status, catalog_path, format, markets, options, out_dir, rows, total_items, \
                        succeeded, failed, needs_review, rejected, error, created_at, updated_at";

/// A `jobs` row as read, before decoding (both backends read into it).
pub(super) struct RawJob {
    pub(super) id: JobId,
    pub(super) status: String,
    pub(super) catalog_path: String,
    pub(super) format: String,
    pub(super) markets: String,
    pub(super) options: String,
    pub(super) out_dir: String,
    pub(super) rows: i64,
    pub(super) total_items: i64,
    pub(super) succeeded: i64,
    pub(super) failed: i64,
    pub(super) needs_review: i64,
    pub(super) rejected: i64,
    pub(super) error: Option<String>,
    pub(super) created_at: String,
    pub(super) updated_at: String,
}

fn raw_job(r: &Row<'_>) -> rusqlite::Result<RawJob> {
    Ok(RawJob {
        id: r.get(0)?,
        status: r.get(1)?,
        catalog_path: r.get(2)?,
        format: r.get(3)?,
        markets: r.get(4)?,
        options: r.get(5)?,
        out_dir: r.get(6)?,
        rows: r.get(7)?,
        total_items: r.get(8)?,
        succeeded: r.get(9)?,
        failed: r.get(10)?,
        needs_review: r.get(11)?,
        rejected: r.get(12)?,
        error: r.get(13)?,
        created_at: r.get(14)?,
        updated_at: r.get(15)?,
    })
}

/// One line of the item log; `worker` names the worker holding the lease.
pub(super) fn log_tx(
    tx: &rusqlite::Transaction<'_>,
    key: &ItemKey,
    event: &str,
    worker: Option<&str>,
) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO job_item_log (job_id, row_index, market_index, event, at, worker)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            key.job_id,
            key.row_index,
            key.market_index,
            event,
            now(),
            worker
        ],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::{localized, new_job, rows};

    #[test]
    fn full_disk_rolls_back_only_the_failing_commit() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = crate::paths::DataDir::at(tmp.path());
        let s = SqliteStore::open(&dir).unwrap();
        let id = s.create_job(&new_job(), &rows(2), &[]).unwrap();
        let pending = s.pending_items(id).unwrap();
        s.commit_item(
            &pending[0].key,
            &ItemOutcome::Succeeded(Box::new(localized(&pending[0], Status::Localized))),
        )
        .unwrap();
        let pages: i64 = s
            .conn()
            .pragma_query_value(None, "page_count", |r| r.get(0))
            .unwrap();
        s.conn()
            .pragma_update(None, "max_page_count", pages)
            .unwrap();
        let mut big = localized(&pending[1], Status::Localized);
        big.description = "x".repeat(200_000);
        let err = s
            .commit_item(&pending[1].key, &ItemOutcome::Succeeded(Box::new(big)))
            .unwrap_err();
        assert!(err.is_disk_full(), "{err}");
        assert!(err.to_string().contains("disk full"), "{err}");
        assert_eq!(s.job(id).unwrap().succeeded, 1);
        assert_eq!(
            s.pending_items(id).unwrap().len(),
            3,
            "the failed commit left its item pending"
        );
    }
}
