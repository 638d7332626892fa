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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Status;
    use crate::localize::{ExampleBank, QualityConfig, RetrievalOptions, Templates, Terminology};
    use crate::market::MarketRegistry;
    use crate::server::rates::RateBook;
    use crate::store::{ItemOutcome, StoredGlossary, StoredGlossaryEntry};

    /// The jobs service over a real store and index in `dir`, without a model:
    /// no runner, as before the model has loaded (or with `--workers 0`).
    fn jobs(dir: &std::path::Path) -> RealJobs {
        let data = DataDir::at(dir);
        let store = Arc::new(Store::open(&data).unwrap());
        let index = Arc::new(SearchIndex::open(&data.index()).unwrap());
        let (rates, problem) = RateBook::load(&dir.join("rates.csv"));
        assert_eq!(problem, None);
        let parts = Arc::new(Parts {
            bank: Arc::new(ExampleBank::builtin(RetrievalOptions::default()).unwrap()),
            quality: QualityConfig::builtin().unwrap(),
            markets: Arc::new(MarketRegistry::builtin().unwrap()),
            templates: Arc::new(Templates::builtin().unwrap()),
            terminology: Arc::new(Terminology::builtin().unwrap()),
            store: store.clone(),
            rates: RwLock::new(rates),
            localize_timeout: std::time::Duration::from_secs(30),
        });
        RealJobs {
            data,
            store,
            index,
            parts,
            runner: OnceLock::new(),
            stopping: AtomicBool::new(false),
            currency: RwLock::new(None),
            config_file: dir.join("config.toml"),
            workers: 1,
            worker: Mutex::new(None),
            follower: Mutex::new(None),
            model_file: PathBuf::from("test-model.gguf"),
        }
    }

    /// An uploaded catalog: two good rows, one without a title, one repeated sku.
    fn upload(dir: &std::path::Path) -> StoredUpload {
        let path = dir.join("upload-1.csv");
        std::fs::write(
            &path,
            "sku,title,price,currency\n\
             ZX-100,Insulated steel bottle 750 ml,19.99,USD\n\
             ZX-101,Bamboo cutting board,24.50,USD\n\
             ZX-102,,9.99,USD\n\
             ZX-100,Repeated sku,1.00,USD\n",
        )
        .unwrap();
        StoredUpload {
            path,
            original_name: "catalog.csv".into(),
        }
    }

    #[test]
    fn an_upload_becomes_a_queued_job_with_its_rejects() {
        let dir = tempfile::tempdir().unwrap();
        let jobs = jobs(dir.path());
        let up = upload(dir.path());
        let path = up.path.clone();
        let info = jobs
            .create(up, vec!["amazon.de".into(), "amazon.fr".into()])
            .unwrap();
        assert_eq!(info.state, "queued", "no runner yet: the job waits");
        assert_eq!(info.file_name, "catalog.csv");
        assert_eq!(info.markets, ["amazon.de", "amazon.fr"]);
        assert_eq!((info.total, info.done, info.failed), (4, 0, 0));
        assert_eq!(info.rejected, 2);
        let rejects: Vec<(u64, Option<&str>)> = info
            .rejects
            .iter()
            .map(|r| (r.line, r.field.as_deref()))
            .collect();
        assert_eq!(rejects, [(4, Some("title")), (5, Some("sku"))]);
        assert_eq!(info.results, ["rejects"]);
        assert!(info.error.is_none());
        assert!(!path.exists(), "the upload is removed once read");

        assert_eq!(jobs.list().unwrap().len(), 1);
        assert!(jobs.list_recent(0).unwrap().is_empty());
        let got = jobs.get(&info.id).unwrap().expect("found by id");
        assert_eq!((got.id.as_str(), got.total), (info.id.as_str(), 4));
        assert!(jobs.get("not-a-job").unwrap().is_none());
        assert!(jobs.get("999").unwrap().is_none());
        assert!(matches!(
            jobs.result("not-a-job", "csv"),
            Err(ServiceError::NotFound(_))
        ));

        let file = jobs
            .result(&info.id, "rejects")
            .unwrap()
            .expect("rejects are ready at once");
        assert_eq!(file.content_type, "text/csv; charset=utf-8");
        assert_eq!(file.file_name, format!("job-{}-rejects.csv", info.id));
        let text = std::fs::read_to_string(&file.path).unwrap();
        assert!(text.contains("ZX-100"), "{text}");
        assert!(
            jobs.result(&info.id, "csv").unwrap().is_none(),
            "no output before the job succeeds"
        );
    }

    #[test]
    fn an_upload_for_an_unknown_market_or_of_an_unreadable_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let jobs = jobs(dir.path());
        let err = jobs
            .create(upload(dir.path()), vec!["nowhere.example".into()])
            .unwrap_err();
        assert!(
            matches!(&err, ServiceError::Invalid { field, .. } if field == "markets"),
            "{err:?}"
        );
        let err = jobs.create(upload(dir.path()), Vec::new()).unwrap_err();
        assert!(
            matches!(&err, ServiceError::Invalid { field, .. } if field == "markets"),
            "{err:?}"
        );
        let missing = StoredUpload {
            path: dir.path().join("gone.csv"),
            original_name: "gone.csv".into(),
        };
        let err = jobs.create(missing, vec!["amazon.de".into()]).unwrap_err();
        assert!(
            matches!(&err, ServiceError::Invalid { field, message } if field == "file" && message.starts_with("gone.csv: ")),
            "{err:?}"
        );
        assert!(jobs.list().unwrap().is_empty());
    }

    #[test]
    fn a_job_without_a_runner_is_cancelled_in_the_store_and_cannot_be_resumed() {
        let dir = tempfile::tempdir().unwrap();
        let jobs = jobs(dir.path());
        let id = jobs
            .create(upload(dir.path()), vec!["amazon.de".into()])
            .unwrap()
            .id;
        let info = jobs.cancel(&id).unwrap();
        assert_eq!(info.state, "cancelled");
        assert!(info.is_finished());
        assert!(matches!(jobs.cancel(&id), Err(ServiceError::Conflict(_))));
        assert!(matches!(jobs.resume(&id), Err(ServiceError::Conflict(_))));
        assert!(matches!(
            jobs.cancel("12345"),
            Err(ServiceError::NotFound(_))
        ));
    }

    #[test]
    fn a_succeeded_job_offers_every_market_in_one_file_and_its_report() {
        let dir = tempfile::tempdir().unwrap();
        let jobs = jobs(dir.path());
        let info = jobs
            .create(upload(dir.path()), vec!["amazon.de".into()])
            .unwrap();
        let id = RealJobs::id(&info.id).unwrap();
        // What the runner does: commit each item, write the outputs, succeed.
        for item in jobs.store.pending_items(id).unwrap() {
            let loc = LocalizedListing {
                sku: item.listing.sku.clone(),
                market: item.market.clone(),
                language: "de".into(),
                title: format!("Übersetzt {}", item.listing.sku),
                description: String::new(),
                bullets: Vec::new(),
                attributes: Vec::new(),
                keywords: Vec::new(),
                price: None,
                brand: None,
                category: None,
                images: Vec::new(),
                warnings: Vec::new(),
                conversions: Vec::new(),
                status: Status::Localized,
                provenance: crate::listing::Provenance {
                    model: "test-model".into(),
                    created_at: Utc::now(),
                },
                roundtrip: Default::default(),
            };
            jobs.store
                .commit_item(&item.key, &ItemOutcome::Succeeded(Box::new(loc)))
                .unwrap();
        }
        let job = jobs.store.job(id).unwrap();
        std::fs::create_dir_all(&job.out_dir).unwrap();
        std::fs::write(PathBuf::from(&job.out_dir).join("report.json"), "{}").unwrap();
        jobs.store
            .set_job_status(id, JobStatus::Succeeded, None)
            .unwrap();

        let info = jobs.get(&info.id).unwrap().unwrap();
        assert_eq!(info.state, "succeeded");
        assert_eq!((info.total, info.done), (2, 2));
        assert_eq!(info.results, ["rejects", "csv", "report"]);
        let csv = jobs.result(&info.id, "csv").unwrap().expect("csv ready");
        assert_eq!(csv.file_name, format!("job-{}.csv", info.id));
        assert_eq!(csv.content_type, "text/csv; charset=utf-8");
        assert!(csv.path.ends_with("all-markets.csv"));
        let text = std::fs::read_to_string(&csv.path).unwrap();
        assert!(
            text.contains("Übersetzt ZX-100") && text.contains("Übersetzt ZX-101"),
            "{text}"
        );
        let report = jobs.result(&info.id, "report").unwrap().expect("report");
        assert_eq!(report.content_type, "application/json");
        assert!(
            jobs.result(&info.id, "xlsx").unwrap().is_none(),
            "a csv job"
        );
        assert!(
            matches!(jobs.cancel(&info.id), Err(ServiceError::Conflict(_))),
            "a finished job is not cancelled"
        );
        assert!(
            matches!(jobs.resume(&info.id), Err(ServiceError::Conflict(_))),
            "nothing failed: nothing to retry"
        );
    }

    #[test]
    fn the_default_currency_is_checked_kept_and_saved() {
        let dir = tempfile::tempdir().unwrap();
        let jobs = jobs(dir.path());
        assert_eq!(jobs.default_currency(), None);
        jobs.set_default_currency(Some(" cny ".into())).unwrap();
        assert_eq!(jobs.default_currency().as_deref(), Some("CNY"));
        let saved = std::fs::read_to_string(dir.path().join("config.toml")).unwrap();
        assert!(saved.contains("currency = \"CNY\""), "{saved}");
        let err = jobs.set_default_currency(Some("yuan".into())).unwrap_err();
        assert!(
            matches!(&err, ServiceError::Invalid { field, .. } if field == "currency"),
            "{err:?}"
        );
        assert_eq!(jobs.default_currency().as_deref(), Some("CNY"), "kept");
        jobs.set_default_currency(Some("  ".into())).unwrap();
        assert_eq!(jobs.default_currency(), None, "blank clears it");
    }

    #[test]
    fn a_shared_job_carries_the_stored_glossaries_and_the_rates() {
        let dir = tempfile::tempdir().unwrap();
        let jobs = jobs(dir.path());
        let none = jobs.shared_job_options().unwrap();
        assert_eq!((none.glossary_csv, none.rates_csv), (None, None));
        jobs.store
            .put_glossary(&StoredGlossary {
                name: "tools".into(),
                source_lang: "*".into(),
                target_lang: "de".into(),
                entries: vec![StoredGlossaryEntry {
                    source: "socket".into(),
                    target: "Stecknuss".into(),
                    note: String::new(),
                }],
            })
            .unwrap();
        jobs.parts
            .rates
            .write()
            .unwrap()
            .set("USD", "EUR", "0.9")
            .unwrap();
        let o = jobs.shared_job_options().unwrap();
        assert_eq!(
            o.glossary_csv.as_deref(),
            Some("source,target_lang,target\nsocket,de,Stecknuss\n")
        );
        let rates = o.rates_csv.expect("one rate");
        assert!(rates.contains("USD,EUR,0.9"), "{rates}");
        assert_eq!(o.model, PathBuf::from("test-model.gguf"));
        assert_eq!(o.workers, 1);
        let defaults = PipelineOptions::default();
        assert_eq!(
            (o.max_tokens, o.attempts),
            (defaults.max_tokens, defaults.max_attempts)
        );
    }

    #[test]
    fn a_local_store_lists_no_workers_and_shutdown_stops_the_index_follower() {
        let dir = tempfile::tempdir().unwrap();
        let jobs = jobs(dir.path());
        assert!(jobs.workers().unwrap().is_empty(), "workers share a store");
        let follower = IndexFollower::start(
            jobs.store.clone(),
            jobs.index.clone(),
            jobs.data.index_cursor(),
            std::time::Duration::from_millis(50),
        );
        *jobs.follower.lock().unwrap() = Some(follower);
        jobs.shutdown();
        assert!(jobs.stopping.load(Ordering::Relaxed));
        assert!(
            jobs.follower.lock().unwrap().is_none(),
            "stopped and joined"
        );
        assert!(jobs.runner.get().is_none());
    }
}
