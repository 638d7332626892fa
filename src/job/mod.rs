//! Batch jobs: a whole catalog localized into several markets, resumable after
//! anything (Ctrl-C, `kill -9`, a full disk), with outputs identical to those of
//! an uninterrupted run.
//!
//! [`create_job`] turns catalog records into a job in the store (every accepted
//! row becomes one item per market; rejects are kept for the rejects file),
//! written in chunks and enqueued once complete, so the catalog file is not
//! needed afterwards. The
//! [`JobRunner`] works on jobs with a small pool of threads, calling a
//! [`Localizer`] per item and committing each finished item in its own
//! transaction; when the last item is committed it writes the outputs and the
//! [`Report`]. Who calls it: `silkroute batch` and `silkroute jobs` (src/cli/),
//! and the server, which resumes unfinished jobs at start and shows
//! [`JobProgress`].
//!
//! The store is the truth: a job's state is its rows in the store, never the
//! runner's memory, which is why resuming needs nothing but the job id.

mod localizer;
mod options;
mod output;
mod runner;
mod worker;

use std::collections::HashSet;

pub use localizer::{
    DryRunLocalizer, GenerateLocalizer, Localizer, LocalizerError, MarketsOnly, PipelineLocalizer,
    market_language,
};
pub use options::{JobOptions, StoredJobLocalizers, model_file_for, model_name};
pub use output::{
    BasicWriter, CatalogOutput, OutputWriter, Report, ReportItem, localized_as_listing,
    write_rejects_file,
};
pub use runner::{CommitHook, JobEnd, JobProgress, JobRunner, RunnerOptions};
pub use worker::{
    JobLocalizers, Worker, WorkerOptions, WorkerStats, finish_done_jobs, finish_when_done,
};

use crate::listing::Listing;
use crate::store::{JobId, JobRow, JobStatus, NewJob, RejectRow, Store, StoreError};

/// Most accepted rows one job may hold.
pub const MAX_JOB_ROWS: usize = 1_000_000;

/// Most markets one job may target.
pub const MAX_JOB_MARKETS: usize = 32;

/// Most rejects one job keeps; reading stops after them.
pub const MAX_JOB_REJECTS: usize = 100_000;

/// Times an item is tried (first run and `resume`s) before its failure stands.
pub const MAX_ITEM_ATTEMPTS: u32 = 3;

/// Rows and rejects written to the store per transaction while a job is created.
const ROW_CHUNK: usize = 1_000;
const REJECT_CHUNK: usize = 10_000;

/// Errors of batch jobs.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The store failed (a full disk among others).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An output file could not be written.
    #[error("writing {path}: {source}")]
    Output {
        /// The file.
        path: std::path::PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// An output format the writer does not do.
    #[error("{0}")]
    Format(String),
    /// A market the localizer does not know.
    #[error(transparent)]
    Market(LocalizerError),
    /// The job cannot be created as asked (no markets, too many rows).
    #[error("{0}")]
    Invalid(String),
    /// The job is finished and cannot be resumed.
    #[error("job {job} is {status}; only unfinished jobs can be resumed")]
    NotResumable {
        /// Job id.
        job: JobId,
        /// Its status.
        status: JobStatus,
    },
}

/// One record of a catalog as the job sees it: an accepted listing with its
/// line, or a rejected row.
pub type CatalogRecord = Result<(u64, Listing), RejectRow>;

/// Create a job from catalog records, streamed into the store in chunks (a
/// job is enqueued only once every record is in; a failure deletes it). Rows
/// whose listing does not validate, and repeated skus, become rejects naming
/// the line and field. Markets are checked with the localizer first.
pub fn create_job(
    store: &Store,
    localizer: &dyn Localizer,
    job: &NewJob,
    records: impl IntoIterator<Item = CatalogRecord>,
) -> Result<JobId, JobError> {
    if job.markets.is_empty() {
        return Err(JobError::Invalid(
            "no markets given (--markets amazon.de,amazon.fr)".into(),
        ));
    }
    if job.markets.len() > MAX_JOB_MARKETS {
        return Err(JobError::Invalid(format!(
            "{} markets given; a job takes at most {MAX_JOB_MARKETS}",
            job.markets.len()
        )));
    }
    let mut seen_markets = HashSet::new();
    for m in &job.markets {
        localizer.check_market(m).map_err(JobError::Market)?;
        if !seen_markets.insert(m) {
            return Err(JobError::Invalid(format!("market `{m}` is given twice")));
        }
    }
    // Rows and rejects go to the store in chunks as they are read (each chunk
    // one transaction, so the store's lock is never held for long), and only
    // the skus stay in memory. A file that is mostly bad rows stops being read
    // after MAX_JOB_REJECTS rejects, with a last reject that says so.
    let id = store.begin_job(job)?;
    let mut pending = Chunks {
        store,
        job,
        id,
        rows: Vec::new(),
        rejects: Vec::new(),
        row_count: 0,
        reject_count: 0,
    };
    let result = (|| -> Result<(), JobError> {
        let mut skus: HashSet<String> = HashSet::new();
        for rec in records {
            if pending.reject_count >= MAX_JOB_REJECTS as u64 {
                pending.reject(RejectRow {
                    file: job.catalog_path.clone(),
                    line: 0,
                    column: String::new(),
                    reason: format!(
                        "reading stopped: more than {MAX_JOB_REJECTS} rows rejected; \
                         the rest of the file was not read (fix the file and upload it again)"
                    ),
                })?;
                break;
            }
            match rec {
                Err(rej) => pending.reject(rej)?,
                Ok((line, listing)) => {
                    if let Err(e) = listing.validate() {
                        pending.reject(RejectRow {
                            file: job.catalog_path.clone(),
                            line,
                            column: reject_field(&e),
                            reason: e.to_string(),
                        })?;
                        continue;
                    }
                    if !skus.insert(listing.sku.clone()) {
                        pending.reject(RejectRow {
                            file: job.catalog_path.clone(),
                            line,
                            column: "sku".into(),
                            reason: format!("sku `{}` appears earlier in the file", listing.sku),
                        })?;
                        continue;
                    }
                    if pending.row_count >= MAX_JOB_ROWS as u64 {
                        return Err(JobError::Invalid(format!(
                            "{}: more than {MAX_JOB_ROWS} rows; split the catalog",
                            job.catalog_path
                        )));
                    }
                    pending.row(line, listing)?;
                }
            }
        }
        pending.flush()?;
        Ok(store.finish_job(
            id,
            pending.row_count,
            job.markets.len() as u64,
            pending.reject_count,
        )?)
    })();
    if let Err(e) = result {
        // Nothing half-made stays behind.
        let _ = store.delete_job(id);
        return Err(e);
    }
    Ok(id)
}

/// Rows and rejects waiting to be written, a chunk at a time.
struct Chunks<'a> {
    store: &'a Store,
    job: &'a NewJob,
    id: JobId,
    rows: Vec<JobRow>,
    rejects: Vec<RejectRow>,
    row_count: u64,
    reject_count: u64,
}

impl Chunks<'_> {
    fn row(&mut self, line: u64, listing: Listing) -> Result<(), StoreError> {
        self.rows.push(JobRow {
            row_index: self.row_count as u32,
            line,
            listing,
        });
        self.row_count += 1;
        if self.rows.len() >= ROW_CHUNK {
            self.store.add_job_rows(self.id, self.job, &self.rows)?;
            self.rows.clear();
        }
        Ok(())
    }

    fn reject(&mut self, r: RejectRow) -> Result<(), StoreError> {
        self.rejects.push(r);
        self.reject_count += 1;
        if self.rejects.len() >= REJECT_CHUNK {
            self.flush_rejects()?;
        }
        Ok(())
    }

    fn flush_rejects(&mut self) -> Result<(), StoreError> {
        let first = self.reject_count - self.rejects.len() as u64;
        self.store.add_job_rejects(self.id, first, &self.rejects)?;
        self.rejects.clear();
        Ok(())
    }

    fn flush(&mut self) -> Result<(), StoreError> {
        self.store.add_job_rows(self.id, self.job, &self.rows)?;
        self.rows.clear();
        self.flush_rejects()
    }
}

fn reject_field(e: &crate::listing::ListingError) -> String {
    use crate::listing::ListingError;
    match e {
        ListingError::Missing(f) => (*f).to_string(),
        ListingError::TooLong { field, .. } => field.clone(),
        ListingError::Currency(_) => "currency".into(),
    }
}

#[cfg(test)]
mod tests;
