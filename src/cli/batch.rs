//! `silkroute batch` and `silkroute jobs`: create a job from a catalog, run it
//! with a progress bar, stop on Ctrl-C after the items in flight, and list,
//! show, resume or cancel jobs. The work itself is `silkroute::job`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::{Deserialize, Serialize};

use silkroute::job::{
    BasicWriter, CatalogRecord, GenerateLocalizer, JobEnd, JobRunner, Localizer, RunnerOptions,
    create_job,
};
use silkroute::listing::Listing;
use silkroute::llm::{Engine, EngineOptions, Generate};
use silkroute::paths::DataDir;
use silkroute::store::{JobId, NewJob, RejectRow, Store, StoreOptions};

use super::Outcome;

/// Largest catalog file `batch` reads.
const MAX_CATALOG_BYTES: u64 = 512 * 1024 * 1024;

/// `silkroute batch CATALOG --markets ...`
#[derive(Debug, Args)]
pub struct BatchArgs {
    /// The catalog file (csv or jsonl).
    pub catalog: PathBuf,
    /// Target markets, comma separated (amazon.de,amazon.fr).
    #[arg(long, value_delimiter = ',', required = true)]
    pub markets: Vec<String>,
    /// Output directory (default: <data dir>/jobs/<job id>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Glossary file, recorded with the job for the localization pipeline.
    #[arg(long)]
    pub glossary: Option<PathBuf>,
    /// Output format (default: the input's).
    #[arg(long)]
    pub format: Option<String>,
    #[command(flatten)]
    pub run: RunArgs,
}

/// Settings of a run that are kept with the job, so a resume repeats them.
#[derive(Debug, Args, Clone, Serialize, Deserialize)]
pub struct RunArgs {
    /// Model: a .gguf path or an installed model id.
    #[arg(long)]
    pub model: Option<String>,
    /// Most tokens generated per item.
    #[arg(long, default_value_t = 128)]
    pub max_tokens: usize,
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

/// The options stored with a job.
#[derive(Debug, Serialize, Deserialize)]
struct JobOptions {
    model: PathBuf,
    max_tokens: usize,
    workers: usize,
    no_batching: bool,
    glossary: Option<PathBuf>,
}

/// Run `silkroute batch`.
pub fn batch(data: &DataDir, args: BatchArgs) -> Result<Outcome> {
    let input_format = detect_format(&args.catalog)?;
    let format = args
        .format
        .clone()
        .unwrap_or_else(|| input_format.to_string());
    let model = resolve_model(data, args.run.model.as_deref())?;
    let store = Arc::new(Store::open(data)?);
    let opts = JobOptions {
        model: model.clone(),
        max_tokens: args.run.max_tokens,
        workers: args.run.workers,
        no_batching: args.run.no_batching,
        glossary: args.glossary.clone(),
    };
    let engine = load_engine(&opts)?;
    let localizer: Arc<dyn Localizer> = Arc::new(GenerateLocalizer::new(engine, opts.max_tokens));
    let records = read_catalog(&args.catalog, input_format)?;
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
    // Check the output format before any work.
    silkroute::job::OutputWriter::extension(&BasicWriter, &new.format)?;
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
    run(store, localizer, &opts, id)
}

/// Run `silkroute jobs ...`.
pub fn jobs(data: &DataDir, cmd: JobsCommand) -> Result<Outcome> {
    match cmd {
        JobsCommand::List => {
            let Some(store) = open_read_only(data)? else {
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
            let store = open_read_only(data)?
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
            let store = Store::open(data)?;
            store.cancel_job(id)?;
            eprintln!("job {id} canceled");
            Ok(Outcome::Ok)
        }
        JobsCommand::Resume { id } => {
            let store = Arc::new(Store::open(data)?);
            let job = store.job(id)?;
            if !job.status.is_resumable() {
                bail!(
                    "job {id} is {}; only unfinished jobs can be resumed",
                    job.status
                );
            }
            let opts: JobOptions = serde_json::from_value(job.options.clone())
                .with_context(|| format!("job {id}: stored options do not decode"))?;
            let engine = load_engine(&opts)?;
            let localizer: Arc<dyn Localizer> =
                Arc::new(GenerateLocalizer::new(engine, opts.max_tokens));
            eprintln!(
                "job {id}: resuming at {}/{} items",
                job.done(),
                job.total_items
            );
            run(store, localizer, &opts, id)
        }
    }
}

fn open_read_only(data: &DataDir) -> Result<Option<Store>> {
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
    store: Arc<Store>,
    localizer: Arc<dyn Localizer>,
    opts: &JobOptions,
    id: JobId,
) -> Result<Outcome> {
    let workers = if opts.no_batching {
        1
    } else {
        opts.workers.max(1)
    };
    let runner = JobRunner::start(
        store.clone(),
        localizer,
        Arc::new(BasicWriter),
        None,
        &RunnerOptions { workers },
    );
    let stop = runner.stop_flag();
    install_signal_handlers(&stop)?;
    runner.submit(id)?;

    let total = store.job(id)?.total_items;
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
        JobEnd::Canceled => bail!("job {id} canceled"),
        JobEnd::Failed(msg) => {
            bail!("job {id} stopped: {msg}; fix the cause and run `silkroute jobs resume {id}`")
        }
    }
}

/// First SIGINT/SIGTERM: set the stop flag (items in flight finish and are
/// committed). A second one exits at once; nothing committed is lost either way.
fn install_signal_handlers(stop: &Arc<AtomicBool>) -> Result<()> {
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

fn detect_format(path: &Path) -> Result<&'static str> {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("csv") => Ok("csv"),
        Some("jsonl") | Some("ndjson") => Ok("jsonl"),
        _ => bail!(
            "{}: unknown catalog format (expected .csv or .jsonl)",
            path.display()
        ),
    }
}

/// Read a catalog into records. CSV: a header row naming at least `sku` and
/// `title`; `description`, `bullets` (separated by `|`), `brand`, `category`
/// and `keywords` (separated by `|`) are read, other columns pass through as
/// `extra`. JSONL: one `Listing` per line.
fn read_catalog(path: &Path, format: &str) -> Result<Vec<CatalogRecord>> {
    let meta = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?;
    if meta.len() > MAX_CATALOG_BYTES {
        bail!(
            "{}: {} bytes, over the {MAX_CATALOG_BYTES}-byte limit",
            path.display(),
            meta.len()
        );
    }
    let file = path.to_string_lossy().into_owned();
    let reject = |line: u64, column: &str, reason: String| -> CatalogRecord {
        Err(RejectRow {
            file: file.clone(),
            line,
            column: column.into(),
            reason,
        })
    };
    let mut out = Vec::new();
    match format {
        "jsonl" => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            for (i, l) in text.lines().enumerate() {
                let line = i as u64 + 1;
                if l.trim().is_empty() {
                    continue;
                }
                match serde_json::from_str::<Listing>(l) {
                    Ok(listing) => out.push(Ok((line, listing))),
                    Err(e) => out.push(reject(line, "", format!("not a listing: {e}"))),
                }
            }
        }
        _ => {
            let mut rdr = csv::ReaderBuilder::new()
                .flexible(true)
                .from_path(path)
                .with_context(|| format!("reading {}", path.display()))?;
            let headers: Vec<String> = rdr
                .headers()
                .with_context(|| format!("{}: line 1: header", path.display()))?
                .iter()
                .map(|h| h.trim().to_ascii_lowercase())
                .collect();
            for need in ["sku", "title"] {
                if !headers.iter().any(|h| h == need) {
                    bail!("{}: line 1: no `{need}` column", path.display());
                }
            }
            for rec in rdr.records() {
                let rec = match rec {
                    Ok(r) => r,
                    Err(e) => {
                        let line = e.position().map_or(0, |p| p.line());
                        out.push(reject(line, "", e.to_string()));
                        continue;
                    }
                };
                let line = rec.position().map_or(0, |p| p.line());
                let mut l = Listing::default();
                for (h, v) in headers.iter().zip(rec.iter()) {
                    let v = v.trim();
                    let split = |v: &str| -> Vec<String> {
                        v.split('|')
                            .map(str::trim)
                            .filter(|s| !s.is_empty())
                            .map(String::from)
                            .collect()
                    };
                    match h.as_str() {
                        "sku" => l.sku = v.into(),
                        "title" => l.title = v.into(),
                        "description" => l.description = v.into(),
                        "bullets" => l.bullets = split(v),
                        "keywords" => l.keywords = split(v),
                        "brand" => l.brand = (!v.is_empty()).then(|| v.into()),
                        "category" => l.category = (!v.is_empty()).then(|| v.into()),
                        _ => {
                            l.extra.insert(h.clone(), v.into());
                        }
                    }
                }
                out.push(Ok((line, l)));
            }
        }
    }
    Ok(out)
}
