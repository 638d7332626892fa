//! `silkroute worker` (load the model, take job items from the shared store
//! until stopped) and `silkroute workers` (who is working, on what, how fast).
//! The work itself is `silkroute::job::Worker`.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Args;

use silkroute::job::{StoredJobLocalizers, Worker, WorkerOptions, model_name};
use silkroute::llm::{Engine, EngineOptions};
use silkroute::localize::TranslationMemory;
use silkroute::market::MarketRegistry;
use silkroute::paths::DataDir;
use silkroute::store::{JobStatus, LIVE_WINDOW, Store, StoreLocation};

use super::Outcome;
use super::batch::{install_signal_handlers, open_store};

/// `silkroute worker`
#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// Model: a .gguf path or an installed model id. A job is only taken by
    /// workers running its model (the file name is compared).
    #[arg(long, env = "SILKROUTE_MODEL")]
    pub model: Option<String>,
    /// Items worked on at once (the engine batches them); 1 is unbatched.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Seconds a lease lasts without a heartbeat (one every third of it): how
    /// long a dead worker's item waits before another worker takes it.
    #[arg(long, default_value_t = 30)]
    pub lease_secs: u64,
    /// Do no model work: each item's source listing is committed as its
    /// localization (flagged needs_review). Measures the queue itself.
    #[arg(long)]
    pub dry_run: bool,
    /// With --dry-run: milliseconds each item takes.
    #[arg(long, default_value_t = 0)]
    pub dry_run_ms: u64,
    /// Stop once no running job has an item left to lease (scripts, benchmarks).
    #[arg(long)]
    pub exit_when_idle: bool,
}

/// `silkroute workers`
#[derive(Debug, Args)]
pub struct WorkersArgs {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

fn shared_store(data: &DataDir, loc: &StoreLocation) -> Result<Arc<Store>> {
    if !loc.is_shared() {
        bail!(
            "workers take items from a shared store: give --store postgres://… (or \
             SILKROUTE_STORE, or [store] url in config.toml); a SQLite store belongs to the one \
             process that opened it"
        );
    }
    Ok(Arc::new(open_store(data, loc)?))
}

/// Run `silkroute worker`.
pub fn worker(data: &DataDir, loc: &StoreLocation, args: WorkerArgs) -> Result<Outcome> {
    let store = shared_store(data, loc)?;
    let markets = Arc::new(MarketRegistry::with_user_dir(&data.markets())?);
    let tm: Arc<dyn TranslationMemory> = store.clone();
    let threads = args.threads.max(1);
    let (localizers, model) = if args.dry_run {
        (
            StoredJobLocalizers::dry_run(Duration::from_millis(args.dry_run_ms), tm, markets),
            "dry-run".to_string(),
        )
    } else {
        let path = silkroute::llm::resolve_model(data, args.model.as_deref(), false)?;
        let t = Instant::now();
        let engine = Engine::load(
            &path,
            EngineOptions {
                max_batch: threads,
                ..EngineOptions::default()
            },
        )
        .with_context(|| format!("loading model {}", path.display()))?;
        tracing::info!(model = %path.display(), secs = t.elapsed().as_secs_f64(), "model loaded");
        (
            StoredJobLocalizers::new(Arc::new(engine), &path, tm, markets),
            model_name(&path),
        )
    };
    let opts = WorkerOptions {
        threads,
        lease: Duration::from_secs(args.lease_secs.max(1)),
        ..WorkerOptions::for_this_process(&model)
    };
    let w = Worker::start(store.clone(), Arc::new(localizers), None, opts)?;
    let stop = w.stop_flag();
    install_signal_handlers(&stop)?;
    while !stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(300));
        if args.exit_when_idle && nothing_left(&store) {
            break;
        }
    }
    let stats = w.stats();
    w.stop();
    eprintln!(
        "worker stopped: {} items localized, {} failed, {} given up",
        stats.done.load(Ordering::Relaxed),
        stats.failed.load(Ordering::Relaxed),
        stats.lost.load(Ordering::Relaxed)
    );
    Ok(Outcome::Ok)
}

/// No running job has an uncommitted item (read errors count as work left).
fn nothing_left(store: &Store) -> bool {
    store.jobs().is_ok_and(|jobs| {
        jobs.iter()
            .all(|j| j.status != JobStatus::Running || j.done() >= j.total_items)
    })
}

/// Run `silkroute workers`.
pub fn workers(data: &DataDir, loc: &StoreLocation, args: WorkersArgs) -> Result<Outcome> {
    let store = shared_store(data, loc)?;
    let list = store.workers(LIVE_WINDOW)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(Outcome::Ok);
    }
    if list.is_empty() {
        println!("no workers in the last hour");
        return Ok(Outcome::Ok);
    }
    println!(
        "{:<28} {:<5} {:<28} {:>7} {:>6} {:>9}  current",
        "worker", "live", "model", "done", "failed", "items/h"
    );
    for w in list {
        println!(
            "{:<28} {:<5} {:<28} {:>7} {:>6} {:>9.0}  {}",
            w.id,
            if w.live { "yes" } else { "no" },
            w.model,
            w.done,
            w.failed,
            w.items_per_hour,
            w.current.join(" ")
        );
    }
    Ok(Outcome::Ok)
}
