//! [`RealJobs`]: catalog jobs on the job runner (started, and unfinished jobs
//! resumed, once the model is loaded), the workers of a shared store, results
//! and rejects.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use chrono::Utc;

use crate::catalog::{self, ReadOptions};
use crate::index::{IndexFollower, SearchIndex};
use crate::job::{
    self, CatalogOutput, CatalogRecord, JobOptions, JobRunner, OutputWriter, RunnerOptions,
    StoredJobLocalizers, Worker, WorkerOptions,
};
use crate::listing::LocalizedListing;
use crate::llm::Engine;
use crate::localize::{PipelineOptions, TranslationMemory};
use crate::paths::DataDir;
use crate::server::services::{JobInfo, Jobs, RejectInfo, ResultFile, ServiceError, StoredUpload};
use crate::store::{JobId, JobStatus, NewJob, RejectRow, Store};

use super::localizer::{JobLocalizer, RealLocalizer};
use super::{Parts, internal, internal_msg, parse_time};

/// Catalog jobs: created from uploads, run by the job runner once the model is
/// loaded; each committed item is indexed.
pub struct RealJobs {
    pub(super) data: DataDir,
    pub(super) store: Arc<Store>,
    pub(super) index: Arc<SearchIndex>,
    pub(super) parts: Arc<Parts>,
    pub(super) runner: OnceLock<JobRunner>,
    pub(super) stopping: AtomicBool,
    /// Currency of catalog prices that name none.
    pub(super) currency: RwLock<Option<String>>,
    /// Where the default currency is saved.
    pub(super) config_file: PathBuf,
    /// Job items worked on here at once.
    pub(super) workers: usize,
    /// On a shared store: this server's worker.
    pub(super) worker: Mutex<Option<Worker>>,
    pub(super) follower: Mutex<Option<IndexFollower>>,
    /// The model jobs created here name (workers must run it).
    pub(super) model_file: PathBuf,
}

/// Most rejects shown on a job page (and sent with each progress event).
pub(super) const MAX_REJECTS_SHOWN: usize = 100;

impl RealJobs {
    /// Start the runner (the model is loaded) and resume unfinished jobs.
    pub(super) fn start_runner(&self, localizer: Arc<RealLocalizer>, engine: Arc<Engine>) {
        if self.stopping.load(Ordering::Relaxed) {
            return;
        }
        if self.workers == 0 {
            tracing::info!("no local job workers (--workers 0): jobs wait for `silkroute worker`");
            return;
        }
        if self.store.is_shared() {
            let path = localizer
                .models
                .active_path
                .lock()
                .ok()
                .and_then(|p| p.clone())
                .unwrap_or_else(|| self.model_file.clone());
            let tm: Arc<dyn TranslationMemory> = self.store.clone();
            let localizers =
                StoredJobLocalizers::new(engine, &path, tm, self.parts.markets.clone());
            let opts = WorkerOptions {
                threads: self.workers,
                ..WorkerOptions::for_this_process(&job::model_name(&path))
            };
            match Worker::start(self.store.clone(), Arc::new(localizers), None, opts) {
                Ok(w) => {
                    if let Ok(mut g) = self.worker.lock() {
                        *g = Some(w);
                    }
                }
                Err(e) => tracing::error!(error = %e, "the local worker did not start"),
            }
            return;
        }
        let index = self.index.clone();
        let store = self.store.clone();
        let hook: job::CommitHook = Arc::new(move |loc: &LocalizedListing| {
            let source = store.listing(&loc.sku).ok().flatten();
            if let Err(e) = index.add_committed(source.as_ref(), loc) {
                tracing::warn!(error = %e, sku = loc.sku, "indexing a job item failed");
            }
        });
        let runner = JobRunner::start(
            self.store.clone(),
            Arc::new(JobLocalizer { real: localizer }),
            Arc::new(CatalogOutput),
            Some(hook),
            &RunnerOptions {
                workers: self.workers,
            },
        );
        match runner.resume_unfinished() {
            Ok(ids) if !ids.is_empty() => tracing::info!(?ids, "resumed unfinished jobs"),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "resuming unfinished jobs failed"),
        }
        let _ = self.runner.set(runner);
    }

    pub(super) fn info(&self, j: &crate::store::Job) -> Result<JobInfo, ServiceError> {
        let progress = self.runner.get().and_then(|r| r.progress(j.id).ok());
        let state = match j.status {
            JobStatus::Enqueued | JobStatus::Paused => "queued",
            JobStatus::Running => "running",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Failed => "failed",
            JobStatus::Cancelled => "cancelled",
        };
        // The first page only: a job of 100,000 rejects is not loaded for a
        // progress poll; the rest is in the rejects download.
        let rejects = self
            .store
            .job_rejects_page(j.id, 0, MAX_REJECTS_SHOWN)
            .map_err(internal)?
            .into_iter()
            .map(|r| RejectInfo {
                line: r.line,
                field: (!r.column.is_empty()).then_some(r.column),
                message: r.reason,
            })
            .collect();
        let mut results = Vec::new();
        if j.rejected > 0 && j.error.as_deref() != Some(crate::store::CREATING) {
            results.push("rejects".to_string());
        }
        if j.status == JobStatus::Succeeded {
            if let Ok(ext) = CatalogOutput.extension(&j.format)
                && matches!(ext.as_str(), "csv" | "xlsx" | "jsonl")
            {
                results.push(ext);
            }
            results.push("report".into());
        }
        Ok(JobInfo {
            id: j.id.to_string(),
            state: state.into(),
            file_name: j.catalog_path.clone(),
            markets: j.markets.clone(),
            total: j.total_items,
            done: j.done(),
            failed: j.failed,
            rejected: j.rejected,
            rate: progress
                .as_ref()
                .and_then(|p| p.items_per_hour)
                .map_or(0.0, |h| h / 3600.0),
            eta_seconds: progress
                .as_ref()
                .and_then(|p| p.eta_secs)
                .map(|s| s.round() as u64),
            rejects,
            results,
            created_at: parse_time(&j.created_at),
            error: j.error.clone(),
        })
    }

    /// A job's options on a shared store: the model, the default limits, and a
    /// snapshot of the stored glossaries and the exchange rates.
    pub(super) fn shared_job_options(&self) -> Result<JobOptions, ServiceError> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut rows = 0;
        w.write_record(["source", "target_lang", "target"])
            .map_err(internal)?;
        for name in self.store.glossary_names().map_err(internal)? {
            if let Some(g) = self.store.glossary(&name).map_err(internal)? {
                for e in &g.entries {
                    w.write_record([&e.source, &g.target_lang, &e.target])
                        .map_err(internal)?;
                    rows += 1;
                }
            }
        }
        let glossary = String::from_utf8(w.into_inner().map_err(internal)?).map_err(internal)?;
        let rates = self
            .parts
            .rates
            .read()
            .map_err(|_| internal_msg("rates lock poisoned"))?
            .to_csv();
        let defaults = PipelineOptions::default();
        Ok(JobOptions {
            model: self.model_file.clone(),
            max_tokens: defaults.max_tokens,
            attempts: defaults.max_attempts,
            workers: self.workers,
            no_batching: false,
            glossary: None,
            glossary_csv: (rows > 0).then_some(glossary),
            rates_csv: (rates.lines().count() > 1).then_some(rates),
        })
    }

    pub(super) fn id(id: &str) -> Result<JobId, ServiceError> {
        id.parse::<JobId>().map_err(|_| {
            ServiceError::NotFound(format!("job `{}`", id.chars().take(32).collect::<String>()))
        })
    }

    pub(super) fn job(&self, id: &str) -> Result<crate::store::Job, ServiceError> {
        let n = Self::id(id)?;
        self.store
            .job(n)
            .map_err(|_| ServiceError::NotFound(format!("job {n}")))
    }
}

impl Jobs for RealJobs {
    fn create(&self, upload: StoredUpload, markets: Vec<String>) -> Result<JobInfo, ServiceError> {
        let invalid = |field: &str, message: String| ServiceError::Invalid {
            field: field.into(),
            message,
        };
        let opts = ReadOptions {
            currency: self.default_currency(),
            ..ReadOptions::default()
        };
        let reader = catalog::open(&upload.path, &opts)
            .map_err(|e| invalid("file", format!("{}: {e}", upload.original_name)))?;
        // Outputs in the input's format.
        let format = reader.format().name().to_string();
        let name = upload.original_name.clone();
        let records = reader.map(|r| -> CatalogRecord {
            match r {
                Ok(rec) => Ok((rec.line, rec.listing)),
                Err(rej) => Err(RejectRow {
                    file: name.clone(),
                    line: rej.line,
                    column: rej.column.unwrap_or_default(),
                    reason: rej.reason,
                }),
            }
        });
        let out_dir = self.data.jobs().join(format!(
            "{}-{:08x}",
            Utc::now().format("%Y%m%d-%H%M%S%.3f"),
            rand::random::<u32>()
        ));
        let options = if self.store.is_shared() {
            // Everything a worker on another machine needs, kept with the job.
            serde_json::to_value(self.shared_job_options()?).map_err(internal)?
        } else {
            serde_json::json!({ "source": "upload" })
        };
        let new = NewJob {
            catalog_path: upload.original_name.clone(),
            format,
            markets,
            options,
            out_dir: out_dir.to_string_lossy().into_owned(),
        };
        let check = job::MarketsOnly(self.parts.markets.clone());
        let id = job::create_job(&self.store, &check, &new, records).map_err(|e| match e {
            job::JobError::Market(m) => invalid("markets", m.chain()),
            job::JobError::Invalid(m) => invalid("markets", m),
            other => internal(other),
        })?;
        let _ = std::fs::remove_file(&upload.path);
        if self.store.is_shared() {
            self.store
                .set_job_status(id, JobStatus::Running, None)
                .map_err(internal)?;
        } else if let Some(r) = self.runner.get() {
            r.submit(id).map_err(internal)?;
        }
        let j = self.store.job(id).map_err(internal)?;
        self.info(&j)
    }

    fn list(&self) -> Result<Vec<JobInfo>, ServiceError> {
        self.store
            .jobs()
            .map_err(internal)?
            .iter()
            .map(|j| self.info(j))
            .collect()
    }

    fn list_recent(&self, n: usize) -> Result<Vec<JobInfo>, ServiceError> {
        self.store
            .jobs()
            .map_err(internal)?
            .iter()
            .take(n)
            .map(|j| self.info(j))
            .collect()
    }

    fn get(&self, id: &str) -> Result<Option<JobInfo>, ServiceError> {
        let Ok(n) = Self::id(id) else {
            return Ok(None);
        };
        match self.store.job(n) {
            Ok(j) => Ok(Some(self.info(&j)?)),
            Err(_) => Ok(None),
        }
    }

    fn cancel(&self, id: &str) -> Result<JobInfo, ServiceError> {
        let j = self.job(id)?;
        if !j.status.is_resumable() {
            return Err(ServiceError::Conflict(format!(
                "job {} is {}",
                j.id, j.status
            )));
        }
        match self.runner.get() {
            Some(r) => r.cancel(j.id).map_err(internal)?,
            None => self.store.cancel_job(j.id).map_err(internal)?,
        }
        let j = self.store.job(j.id).map_err(internal)?;
        self.info(&j)
    }

    fn resume(&self, id: &str) -> Result<JobInfo, ServiceError> {
        let j = self.job(id)?;
        // A finished job resumes only to retry its failed items.
        let retryable = j.status == JobStatus::Succeeded && j.failed > 0;
        if !j.status.is_resumable() && !retryable {
            return Err(ServiceError::Conflict(format!(
                "job {} is {}; only unfinished jobs, or finished ones with failed items, can be resumed",
                j.id, j.status
            )));
        }
        if self.store.is_shared() {
            self.store
                .retry_failed_items(j.id, job::MAX_ITEM_ATTEMPTS)
                .map_err(internal)?;
            self.store
                .set_job_status(j.id, JobStatus::Running, None)
                .map_err(internal)?;
        } else if let Some(r) = self.runner.get() {
            r.resume(j.id).map_err(|e| match e {
                job::JobError::NotResumable { .. } => ServiceError::Conflict(e.to_string()),
                other => internal(other),
            })?;
        }
        let j = self.store.job(j.id).map_err(internal)?;
        self.info(&j)
    }

    fn result(&self, id: &str, kind: &str) -> Result<Option<ResultFile>, ServiceError> {
        let j = self.job(id)?;
        if kind == "rejects" {
            if j.rejected == 0 {
                return Ok(None);
            }
            let path = PathBuf::from(&j.out_dir).join("rejects.csv");
            let path = if path.exists() {
                path
            } else {
                job::write_rejects_file(&self.store, &j).map_err(internal)?
            };
            return Ok(Some(ResultFile {
                path,
                content_type: "text/csv; charset=utf-8",
                file_name: format!("job-{}-rejects.csv", j.id),
            }));
        }
        if j.status != JobStatus::Succeeded {
            return Ok(None);
        }
        let dir = PathBuf::from(&j.out_dir);
        if kind == "report" {
            let path = dir.join("report.json");
            return Ok(path.exists().then(|| ResultFile {
                path,
                content_type: "application/json",
                file_name: format!("job-{}-report.json", j.id),
            }));
        }
        if CatalogOutput.extension(&j.format).ok().as_deref() != Some(kind) {
            return Ok(None);
        }
        // One file per market on disk; the download holds every market's rows,
        // written from the store by the same writer.
        let combined = dir.join(format!("all-markets.{kind}"));
        if !combined.exists() {
            let listings: Vec<LocalizedListing> = self
                .store
                .job_items(j.id)
                .map_err(internal)?
                .into_iter()
                .filter_map(|it| it.result)
                .collect();
            let tmp = dir.join(format!("all-markets.tmp.{kind}"));
            CatalogOutput
                .write(&j.format, &tmp, &listings)
                .map_err(internal)?;
            std::fs::rename(&tmp, &combined).map_err(internal)?;
        }
        Ok(Some(ResultFile {
            path: combined,
            content_type: match kind {
                "csv" => "text/csv; charset=utf-8",
                "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                _ => "application/x-ndjson",
            },
            file_name: format!("job-{}.{kind}", j.id),
        }))
    }

    fn workers(&self) -> Result<Vec<crate::store::WorkerInfo>, ServiceError> {
        if !self.store.is_shared() {
            return Ok(Vec::new());
        }
        self.store
            .workers(crate::store::LIVE_WINDOW)
            .map_err(internal)
    }

    fn shutdown(&self) {
        self.stopping.store(true, Ordering::Relaxed);
        if let Some(r) = self.runner.get() {
            r.stop_flag().store(true, Ordering::Relaxed);
        }
        // The worker finishes and commits its items in flight.
        if let Some(w) = self.worker.lock().ok().and_then(|mut g| g.take()) {
            w.stop();
        }
        if let Some(f) = self.follower.lock().ok().and_then(|mut g| g.take()) {
            f.stop();
        }
    }

    fn default_currency(&self) -> Option<String> {
        self.currency.read().ok().and_then(|c| c.clone())
    }

    fn set_default_currency(&self, currency: Option<String>) -> Result<(), ServiceError> {
        let currency = currency
            .filter(|c| !c.trim().is_empty())
            .map(|c| crate::server::config::currency_code(&c))
            .transpose()
            .map_err(|e| ServiceError::Invalid {
                field: "currency".into(),
                message: e.to_string(),
            })?;
        crate::server::config::save_currency(&self.config_file, currency.as_deref())
            .map_err(|e| ServiceError::Internal(e.context("save the default currency")))?;
        *self
            .currency
            .write()
            .map_err(|_| internal_msg("currency lock poisoned"))? = currency;
        Ok(())
    }
}
