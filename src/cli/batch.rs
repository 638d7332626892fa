//! `silkroute batch` and `silkroute jobs`: create a job from a catalog, run it
//! with a progress bar, stop on Ctrl-C after the items in flight, and list,
//! show, resume or cancel jobs. The work itself is `silkroute::job`.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::{Deserialize, Serialize};

use silkroute::catalog::{self, ReadOptions};
use silkroute::index::SearchIndex;
use silkroute::job::{
    CatalogOutput, CatalogRecord, CommitHook, JobEnd, JobLocalizers, JobOptions, JobRunner,
    Localizer, LocalizerError, MarketsOnly, OutputWriter, RunnerOptions, Worker, WorkerOptions,
    create_job, finish_when_done,
};
use silkroute::listing::LocalizedListing;
use silkroute::llm::{Engine, EngineOptions, Generate};
use silkroute::localize::TranslationMemory;
use silkroute::market::MarketRegistry;
use silkroute::paths::DataDir;
use silkroute::store::{
    Job, JobId, JobStatus, NewJob, RejectRow, Store, StoreLocation, StoreOptions,
};

use super::Outcome;

/// Largest catalog file `batch` reads.
const MAX_CATALOG_BYTES: u64 = 512 * 1024 * 1024;

/// `silkroute batch CATALOG --markets ...`
#[derive(Debug, Args)]
pub struct BatchArgs {
    /// The catalog file: CSV/TSV (any encoding), JSON, JSON Lines, XLSX or a Shopify export.
    pub catalog: PathBuf,
    /// Target markets, comma separated (amazon.de,amazon.fr).
    #[arg(long, value_delimiter = ',', required = true)]
    pub markets: Vec<String>,
    /// Output directory (default: <data dir>/jobs/<job id>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Seller glossary CSV (source,target_lang,target), applied to every item.
    #[arg(long)]
    pub glossary: Option<PathBuf>,
    /// Output format: csv, tsv, json, jsonl, xlsx or shopify (default: the input's).
    #[arg(long)]
    pub format: Option<String>,
    /// Currency of prices that name none (ISO 4217) [default: `currency` in the data
    /// directory's config.toml, else CNY for Chinese catalogs].
    #[arg(long, env = "SILKROUTE_CURRENCY")]
    pub currency: Option<String>,
    /// Input encoding (gbk, shift_jis, ...); detected when not given.
    #[arg(long)]
    pub encoding: Option<String>,
    /// XLSX sheet to read (default: the first).
    #[arg(long)]
    pub sheet: Option<String>,
    /// Column mapping for other CSVs: `title=Product Name,sku=Item No`.
    #[arg(long)]
    pub map: Option<String>,
    /// On a shared store: do no items here; wait for `silkroute worker`
    /// processes to do them, then write the outputs.
    #[arg(long)]
    pub wait_for_workers: bool,
    #[command(flatten)]
    pub run: RunArgs,
}

/// Settings of a run that are kept with the job, so a resume repeats them.
#[derive(Debug, Args, Clone, Serialize, Deserialize)]
pub struct RunArgs {
    /// Model: a .gguf path or an installed model id.
    #[arg(long)]
    pub model: Option<String>,
    /// Most tokens generated per text segment.
    #[arg(long, default_value_t = 384)]
    pub max_tokens: usize,
    /// Generation attempts per text segment (the first greedy, then sampled with
    /// fixed seeds) before a failing check is left for review.
    #[arg(long, default_value_t = 3)]
    pub attempts: usize,
    /// Items worked on at once (the engine batches them).
    #[arg(long, default_value_t = 4)]
    pub workers: usize,
    /// Work on one item at a time, with an engine batch of 1.
    #[arg(long)]
    pub no_batching: bool,
}

/// `silkroute jobs ...`
#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// List jobs, newest first.
    List,
    /// Show one job: counts, status, failures.
    Show {
        /// Job id.
        id: JobId,
    },
    /// Continue an unfinished job (after Ctrl-C, a crash, a full disk).
    Resume {
        /// Job id.
        id: JobId,
    },
    /// Cancel an unfinished job; what is committed stays in the store.
    Cancel {
        /// Job id.
        id: JobId,
    },
}

/// Run `silkroute batch`.
pub fn batch(data: &DataDir, loc: &StoreLocation, args: BatchArgs) -> Result<Outcome> {
    let meta = std::fs::metadata(&args.catalog)
        .with_context(|| format!("reading {}", args.catalog.display()))?;
    if meta.len() > MAX_CATALOG_BYTES {
        bail!(
            "{}: {} bytes, over the {MAX_CATALOG_BYTES}-byte limit",
            args.catalog.display(),
            meta.len()
        );
    }
    let read_opts = ReadOptions {
        encoding: args.encoding.clone(),
        sheet: args.sheet.clone(),
        mapping: match &args.map {
            Some(m) => ReadOptions::parse_mapping(m)?,
            None => Vec::new(),
        },
        currency: super::catalog::source_currency(args.currency.as_deref(), data)?,
        ..ReadOptions::default()
    };
    let reader = catalog::open(&args.catalog, &read_opts)?;
    let format = args
        .format
        .clone()
        .unwrap_or_else(|| reader.format().name().to_string());
    // Check the output format before any work.
    CatalogOutput.extension(&format)?;
    // Waiting for workers, nothing is loaded here: the job names the model
    // (by file name) that the workers must run.
    let model = if args.wait_for_workers {
        silkroute::job::model_file_for(args.run.model.as_deref())?
    } else {
        resolve_model(data, args.run.model.as_deref())?
    };
    let store = Arc::new(open_store(data, loc)?);
    let opts = JobOptions {
        model: model.clone(),
        max_tokens: args.run.max_tokens,
        attempts: args.run.attempts.max(1),
        workers: args.run.workers,
        no_batching: args.run.no_batching,
        glossary: args.glossary.clone(),
        glossary_csv: match &args.glossary {
            Some(p) => Some(
                std::fs::read_to_string(p).with_context(|| format!("glossary {}", p.display()))?,
            ),
            None => None,
        },
        rates_csv: None,
    };
    let localizer: Arc<dyn Localizer> = if args.wait_for_workers && store.is_shared() {
        Arc::new(MarketsOnly(Arc::new(MarketRegistry::with_user_dir(
            &data.markets(),
        )?)))
    } else {
        build_localizer(data, &store, &opts)?
    };
    let file = args.catalog.to_string_lossy().into_owned();
    let records = reader.map(|r| -> CatalogRecord {
        match r {
            Ok(rec) => Ok((rec.line, rec.listing)),
            Err(rej) => Err(RejectRow {
                file: file.clone(),
                line: rej.line,
                column: rej.column.unwrap_or_default(),
                reason: rej.reason,
            }),
        }
    });
    let out = match &args.out {
        Some(o) => o.clone(),
        None => data.jobs().join(format!(
            "{}",
            chrono::Utc::now().format("%Y%m%d-%H%M%S%.3f")
        )),
    };
    let new = NewJob {
        catalog_path: args.catalog.to_string_lossy().into_owned(),
        format,
        markets: args.markets.clone(),
        options: serde_json::to_value(&opts)?,
        out_dir: out.to_string_lossy().into_owned(),
    };
    let id = create_job(&store, localizer.as_ref(), &new, records)?;
    let job = store.job(id)?;
    eprintln!(
        "job {id}: {} rows x {} markets = {} items, {} rows rejected; outputs in {}",
        job.rows,
        job.markets.len(),
        job.total_items,
        job.rejected,
        job.out_dir
    );
    run(
        data,
        store,
        localizer,
        &opts,
        id,
        false,
        args.wait_for_workers,
    )
}

/// Run `silkroute jobs ...`.
pub fn jobs(data: &DataDir, loc: &StoreLocation, cmd: JobsCommand) -> Result<Outcome> {
    match cmd {
        JobsCommand::List => {
            let Some(store) = open_read_only(data, loc)? else {
                println!("no jobs");
                return Ok(Outcome::Ok);
            };
            println!(
                "{:>5}  {:<10} {:>13}  {:>6}  {:<20} catalog",
                "id", "status", "done/total", "failed", "created"
            );
            for j in store.jobs()? {
                println!(
                    "{:>5}  {:<10} {:>13}  {:>6}  {:<20} {}",
                    j.id,
                    j.status.as_str(),
                    format!("{}/{}", j.done(), j.total_items),
                    j.failed,
                    j.created_at.get(..19).unwrap_or(&j.created_at),
                    j.catalog_path
                );
            }
            Ok(Outcome::Ok)
        }
        JobsCommand::Show { id } => {
            let store = open_read_only(data, loc)?
                .with_context(|| format!("no job {id}: the store is empty"))?;
            let j = store.job(id)?;
            println!("job {}: {}", j.id, j.status);
            println!(
                "catalog: {} ({} rows, {} rejected)",
                j.catalog_path, j.rows, j.rejected
            );
            println!("markets: {}", j.markets.join(", "));
            println!(
                "items: {} done of {} ({} localized, {} need review, {} failed)",
                j.done(),
                j.total_items,
                j.succeeded,
                j.needs_review,
                j.failed
            );
            println!("output: {} ({})", j.out_dir, j.format);
            println!("created {}, updated {}", j.created_at, j.updated_at);
            if let Some(e) = &j.error {
                println!("error: {e}");
            }
            for it in store
                .job_items(id)?
                .iter()
                .filter(|i| i.error.is_some())
                .take(20)
            {
                println!(
                    "  failed line {} {} {}: {}",
                    it.line,
                    it.sku,
                    it.market,
                    it.error.as_deref().unwrap_or("")
                );
            }
            Ok(Outcome::Ok)
        }
        JobsCommand::Cancel { id } => {
            let store = open_store(data, loc)?;
            store.cancel_job(id)?;
            eprintln!("job {id} cancelled");
            Ok(Outcome::Ok)
        }
        JobsCommand::Resume { id } => {
            let store = Arc::new(open_store(data, loc)?);
            let job = store.job(id)?;
            // A finished job resumes only to retry its failed items.
            let retryable = job.status == JobStatus::Succeeded && job.failed > 0;
            if !(job.status.is_resumable() || retryable) {
                bail!(
                    "job {id} is {}; only unfinished jobs, or finished ones with failed items, can be resumed",
                    job.status
                );
            }
            let opts: JobOptions = serde_json::from_value(job.options.clone())
                .with_context(|| format!("job {id}: stored options do not decode"))?;
            let localizer = build_localizer(data, &store, &opts)?;
            eprintln!(
                "job {id}: resuming at {}/{} items",
                job.done(),
                job.total_items
            );
            run(data, store, localizer, &opts, id, true, false)
        }
    }
}

/// The store for writing: the data directory's SQLite file (taking its lock)
/// or the shared PostgreSQL store.
pub(super) fn open_store(data: &DataDir, loc: &StoreLocation) -> Result<Store> {
    Ok(Store::open_at(
        loc,
        data,
        &StoreOptions::default(),
        &format!("silkroute {}", std::process::id()),
    )?)
}

fn open_read_only(data: &DataDir, loc: &StoreLocation) -> Result<Option<Store>> {
    if loc.is_shared() {
        return Ok(Some(open_store(data, loc)?));
    }
    if !data.store().exists() {
        return Ok(None);
    }
    Ok(Some(Store::open_with(
        data,
        &StoreOptions {
            read_only: true,
            ..Default::default()
        },
    )?))
}

/// The job's localizer over a freshly loaded engine, with the store as
/// translation memory and the market profiles of the data directory.
fn build_localizer(
    data: &DataDir,
    store: &Arc<Store>,
    opts: &JobOptions,
) -> Result<Arc<dyn Localizer>> {
    let markets = Arc::new(MarketRegistry::with_user_dir(&data.markets())?);
    let engine = load_engine(opts)?;
    let tm: Arc<dyn TranslationMemory> = store.clone();
    Ok(opts.localizer(engine, tm, markets)?)
}

/// After each committed item: the localization (and its source listing) go
/// into the search index, which is derived from the store (`silkroute index
/// rebuild` recreates it). An index that cannot be opened is a warning, not a
/// stopped job.
fn index_hook(data: &DataDir, store: Arc<Store>) -> Result<Option<CommitHook>> {
    let index = match SearchIndex::open(&data.index()) {
        Ok(i) => Arc::new(i),
        Err(e) => {
            eprintln!(
                "warning: search index not updated ({e}); run `silkroute index rebuild` later"
            );
            return Ok(None);
        }
    };
    Ok(Some(Arc::new(move |loc: &LocalizedListing| {
        let source = store.listing(&loc.sku).ok().flatten();
        if let Err(e) = index.add_committed(source.as_ref(), loc) {
            eprintln!("warning: indexing {} failed: {e}", loc.sku);
        }
    })))
}

fn load_engine(opts: &JobOptions) -> Result<Arc<dyn Generate>> {
    let engine_opts = EngineOptions {
        max_batch: if opts.no_batching {
            1
        } else {
            opts.workers.max(1)
        },
        ..EngineOptions::default()
    };
    let engine = Engine::load(&opts.model, engine_opts)
        .with_context(|| format!("loading model {}", opts.model.display()))?;
    Ok(Arc::new(engine))
}

/// Run a job to its end with a progress bar; Ctrl-C pauses it.
fn run(
    data: &DataDir,
    store: Arc<Store>,
    localizer: Arc<dyn Localizer>,
    opts: &JobOptions,
    id: JobId,
    resume: bool,
    wait_for_workers: bool,
) -> Result<Outcome> {
    if store.is_shared() {
        if resume {
            let retried = store.retry_failed_items(id, silkroute::job::MAX_ITEM_ATTEMPTS)?;
            if retried > 0 {
                eprintln!("job {id}: retrying {retried} failed items");
            }
        }
        return run_shared(store, localizer, opts, id, wait_for_workers);
    }
    let workers = if opts.no_batching {
        1
    } else {
        opts.workers.max(1)
    };
    let runner = JobRunner::start(
        store.clone(),
        localizer,
        Arc::new(CatalogOutput),
        index_hook(data, store.clone())?,
        &RunnerOptions { workers },
    );
    let stop = runner.stop_flag();
    install_signal_handlers(&stop)?;
    if resume {
        let retried = runner.resume(id)?;
        if retried > 0 {
            eprintln!("job {id}: retrying {retried} failed items");
        }
    } else {
        runner.submit(id)?;
    }

    let total = store.job(id)?.total_items;
    let bar = progress_bar(total);
    let end = loop {
        if let Some(end) = runner.wait_timeout(id, Duration::from_millis(250)) {
            break end;
        }
        if let Ok(p) = runner.progress(id) {
            bar.set_position(p.done);
            let rate = p
                .items_per_hour
                .map_or("-".into(), |r| format!("{:.0}/h", r));
            let eta = p
                .eta_secs
                .map_or("-".into(), |s| format!("{}s", s.round() as u64));
            bar.set_message(format!("{rate}  ETA {eta}  failed {}", p.failed));
        }
    };
    bar.finish_and_clear();
    drop(runner);
    report_end(&store, id, end)
}

/// A job's localizer for this job only: batch's own worker leaves other jobs
/// of the shared store to other workers.
struct OneJob {
    id: JobId,
    localizer: Arc<dyn Localizer>,
}

impl JobLocalizers for OneJob {
    fn for_job(&self, job: &Job) -> Result<Arc<dyn Localizer>, LocalizerError> {
        if job.id == self.id {
            Ok(self.localizer.clone())
        } else {
            Err(LocalizerError::NotHere(format!(
                "this process works on job {} only",
                self.id
            )))
        }
    }
}

/// A job on the shared store: mark it running, work on it here (unless
/// `wait_for_workers`) beside any `silkroute worker`, and write the outputs
/// once every item is committed. Ctrl-C stops this process's work; the job
/// stays running for the other workers.
fn run_shared(
    store: Arc<Store>,
    localizer: Arc<dyn Localizer>,
    opts: &JobOptions,
    id: JobId,
    wait_for_workers: bool,
) -> Result<Outcome> {
    store.set_job_status(id, JobStatus::Running, None)?;
    let stop = Arc::new(AtomicBool::new(false));
    install_signal_handlers(&stop)?;
    let worker = if wait_for_workers {
        None
    } else {
        let threads = if opts.no_batching {
            1
        } else {
            opts.workers.max(1)
        };
        let wopts = WorkerOptions {
            threads,
            ..WorkerOptions::for_this_process(&opts.model_name())
        };
        Some(Worker::start(
            store.clone(),
            Arc::new(OneJob { id, localizer }),
            None,
            wopts,
        )?)
    };
    let total = store.job(id)?.total_items;
    let bar = progress_bar(total);
    let end = finish_when_done(&store, id, &CatalogOutput, &stop, &mut |j| {
        bar.set_position(j.done());
        bar.set_message(format!("failed {}", j.failed));
    })?;
    bar.finish_and_clear();
    if let Some(w) = worker {
        w.stop();
    }
    if end == JobEnd::Paused {
        let job = store.job(id)?;
        bail!(
            "stopped here at {}/{} items; job {id} stays running for the other workers (`silkroute jobs resume {id}` works on it again here)",
            job.done(),
            job.total_items
        );
    }
    report_end(&store, id, end)
}

fn progress_bar(total: u64) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(
        Some(total),
        if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        },
    );
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} items  {msg}  elapsed {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// What the end of a job's run means for the command: the report, or why it stopped.
fn report_end(store: &Store, id: JobId, end: JobEnd) -> Result<Outcome> {
    match end {
        JobEnd::Succeeded(report) => {
            print!("{}", report.summary());
            let job = store.job(id)?;
            eprintln!("job {id} {} ; outputs in {}", job.status, job.out_dir);
            if report.failed > 0 || report.rejected > 0 {
                Ok(Outcome::Partial)
            } else {
                Ok(Outcome::Ok)
            }
        }
        JobEnd::Paused => {
            let job = store.job(id)?;
            bail!(
                "job {id} paused at {}/{} items; continue with `silkroute jobs resume {id}`",
                job.done(),
                job.total_items
            )
        }
        JobEnd::Cancelled => bail!("job {id} cancelled"),
        JobEnd::Failed(msg) => {
            bail!("job {id} stopped: {msg}; fix the cause and run `silkroute jobs resume {id}`")
        }
    }
}

/// First SIGINT/SIGTERM: set the stop flag (items in flight finish and are
/// committed). A second one exits at once; nothing committed is lost either way.
pub(super) fn install_signal_handlers(stop: &Arc<AtomicBool>) -> Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    for sig in [SIGINT, SIGTERM] {
        signal_hook::flag::register_conditional_shutdown(sig, 130, stop.clone())?;
        signal_hook::flag::register(sig, stop.clone())?;
    }
    let _ = stop.load(Ordering::Relaxed);
    Ok(())
}

/// The model for `--model`: a manifest id (installed on first use) or a .gguf path.
fn resolve_model(data: &DataDir, model: Option<&str>) -> anyhow::Result<PathBuf> {
    Ok(silkroute::llm::resolve_model(data, model, false)?)
}
