//! Batch jobs: a whole catalog localized into several markets, resumable after
//! anything (Ctrl-C, `kill -9`, a full disk), with outputs identical to those of
//! an uninterrupted run.
//!
//! [`create_job`] turns catalog records into a job in the store (every accepted
//! row becomes one item per market; rejects are kept for the rejects file), all
//! in one transaction, so the catalog file is not needed afterwards. The
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
    DryRunLocalizer, GenerateLocalizer, Localizer, MarketsOnly, PipelineLocalizer, market_language,
};
pub use options::{JobOptions, StoredJobLocalizers, model_file_for, model_name};
pub use output::{
    BasicWriter, CatalogOutput, OutputWriter, Report, ReportItem, localized_as_listing,
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
    #[error("{0}")]
    Market(String),
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

/// Create a job from catalog records, in one transaction. Rows whose listing
/// does not validate, and repeated skus, become rejects naming the line and
/// field. Markets are checked with the localizer first.
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
    let mut rows = Vec::new();
    let mut rejects = Vec::new();
    let mut skus: HashSet<String> = HashSet::new();
    for rec in records {
        match rec {
            Err(rej) => rejects.push(rej),
            Ok((line, listing)) => {
                if let Err(e) = listing.validate() {
                    rejects.push(RejectRow {
                        file: job.catalog_path.clone(),
                        line,
                        column: reject_field(&e),
                        reason: e.to_string(),
                    });
                    continue;
                }
                if !skus.insert(listing.sku.clone()) {
                    rejects.push(RejectRow {
                        file: job.catalog_path.clone(),
                        line,
                        column: "sku".into(),
                        reason: format!("sku `{}` appears earlier in the file", listing.sku),
                    });
                    continue;
                }
                if rows.len() >= MAX_JOB_ROWS {
                    return Err(JobError::Invalid(format!(
                        "{}: more than {MAX_JOB_ROWS} rows; split the catalog",
                        job.catalog_path
                    )));
                }
                rows.push(JobRow {
                    row_index: rows.len() as u32,
                    line,
                    listing,
                });
            }
        }
    }
    Ok(store.create_job(job, &rows, &rejects)?)
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
