//! [`Worker`]: takes job items from a store shared by many processes and
//! machines (`silkroute worker`, and `silkroute serve` / `batch` on
//! PostgreSQL), instead of the [`super::JobRunner`]'s in-memory queue.
//!
//! Each of its threads leases one item at a time (`Store::lease_items`: `FOR
//! UPDATE SKIP LOCKED` on PostgreSQL), localizes it with the job's localizer
//! ([`JobLocalizers`], built once per job) and commits the item and its
//! localization in one transaction, fenced by the lease's attempt number. A
//! heartbeat thread renews every lease the worker holds (every third of the
//! lease time) and reports the worker's counters. A worker that dies loses its
//! leases when they run out and another takes the items over; one that loses
//! its connection keeps trying to commit while its lease lasts, then gives the
//! item up, and reconnects (the pool replaces dropped connections). Its logs
//! name the job and the item.
//!
//! A worker never writes job outputs: the process that owns the job (the
//! server, or `silkroute batch`) writes them from the store once every item is
//! committed.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{CommitHook, Localizer, LocalizerError};
use crate::store::{
    ItemKey, ItemOutcome, Job, JobId, Lease, Store, StoreError, WorkerBeat, WorkerStart,
};

/// Builds the localizer for a job's items (from its stored options), or says
/// why this worker cannot do them (another model), so the items are left to
/// other workers.
pub trait JobLocalizers: Send + Sync {
    /// The job's localizer.
    fn for_job(&self, job: &Job) -> Result<Arc<dyn Localizer>, LocalizerError>;
}

/// Worker settings.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// The worker as it registers (id, host, pid, model).
    pub start: WorkerStart,
    /// Items worked on at once (threads; the engine batches their requests).
    pub threads: usize,
    /// How long a lease lasts without a heartbeat. Default 30 s.
    pub lease: Duration,
    /// How long a thread with nothing to do waits before asking again.
    pub idle_poll: Duration,
}

impl WorkerOptions {
    /// Defaults for this process running `model`: its id is
    /// `host-pid-random`, so a restarted worker is a new one.
    pub fn for_this_process(model: &str) -> Self {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "localhost".into());
        let pid = std::process::id();
        Self::new(WorkerStart {
            id: format!("{host}-{pid}-{:04x}", rand::random::<u16>()),
            host,
            pid,
            model: model.to_string(),
        })
    }

    /// Defaults for `start`: one thread, 30 s leases, a 500 ms idle poll.
    pub fn new(start: WorkerStart) -> Self {
        Self {
            start,
            threads: 1,
            lease: Duration::from_secs(30),
            idle_poll: Duration::from_millis(500),
        }
    }
}

/// A worker's counters since it started.
#[derive(Debug, Default)]
pub struct WorkerStats {
    /// Items committed as succeeded.
    pub done: AtomicU64,
    /// Items committed as failed.
    pub failed: AtomicU64,
    /// Items given up: the lease was lost (taken over) before the commit.
    pub lost: AtomicU64,
    /// Milliseconds spent localizing, all threads together.
    pub busy_ms: AtomicU64,
}

impl WorkerStats {
    fn beat(&self) -> WorkerBeat {
        WorkerBeat {
            done: self.done.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            busy_ms: self.busy_ms.load(Ordering::Relaxed),
        }
    }
}

type Cached = Result<Arc<dyn Localizer>, Arc<LocalizerError>>;

struct Inner {
    store: Arc<Store>,
    localizers: Arc<dyn JobLocalizers>,
    on_commit: Option<CommitHook>,
    opts: WorkerOptions,
    stop: Arc<AtomicBool>,
    stats: Arc<WorkerStats>,
    /// Items being worked on: key -> the lease's attempt.
    in_flight: Mutex<HashMap<ItemKey, u32>>,
    /// When the last heartbeat renewed the leases.
    renewed: Mutex<Instant>,
    /// Per job: its localizer, or why this worker leaves it alone.
    localizers_by_job: Mutex<HashMap<JobId, Cached>>,
    /// Wakes sleeping threads on stop.
    nap: (Mutex<()>, Condvar),
}

/// A running worker. Dropping it stops it after the items in flight.
pub struct Worker {
    inner: Arc<Inner>,
    threads: Vec<JoinHandle<()>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Worker {
    /// Register in the store and start the item threads and the heartbeat.
    pub fn start(
        store: Arc<Store>,
        localizers: Arc<dyn JobLocalizers>,
        on_commit: Option<CommitHook>,
        opts: WorkerOptions,
    ) -> Result<Self, StoreError> {
        store.register_worker(&opts.start)?;
        tracing::info!(
            worker = opts.start.id,
            model = opts.start.model,
            threads = opts.threads,
            store = store.describe(),
            "worker started"
        );
        let inner = Arc::new(Inner {
            store,
            localizers,
            on_commit,
            stop: Arc::new(AtomicBool::new(false)),
            stats: Arc::new(WorkerStats::default()),
            in_flight: Mutex::new(HashMap::new()),
            renewed: Mutex::new(Instant::now()),
            localizers_by_job: Mutex::new(HashMap::new()),
            nap: (Mutex::new(()), Condvar::new()),
            opts,
        });
        let mut threads = Vec::new();
        for i in 0..inner.opts.threads.max(1) {
            let inner = inner.clone();
            threads.push(
                std::thread::Builder::new()
                    .name(format!("silkroute-worker-{i}"))
                    .spawn(move || inner.work())
                    .expect("spawning a worker thread"),
            );
        }
        let hb = inner.clone();
        threads.push(
            std::thread::Builder::new()
                .name("silkroute-heartbeat".into())
                .spawn(move || hb.heartbeat())
                .expect("spawning the heartbeat thread"),
        );
        Ok(Self { inner, threads })
    }

    /// The stop flag: set it (a signal handler) to stop after the items in flight.
    pub fn stop_flag(&self) -> Arc<AtomicBool> {
        self.inner.stop.clone()
    }

    /// The worker's counters.
    pub fn stats(&self) -> Arc<WorkerStats> {
        self.inner.stats.clone()
    }

    /// The worker's id.
    pub fn id(&self) -> &str {
        &self.inner.opts.start.id
    }

    /// Stop after the items in flight, wait for the threads, release what is
    /// still leased and mark the worker stopped.
    pub fn stop(mut self) {
        self.shutdown();
    }

    /// Whether the worker has stopped (its flag is set and every thread ended).
    pub fn is_finished(&self) -> bool {
        self.threads.iter().all(|t| t.is_finished())
    }

    fn shutdown(&mut self) {
        self.inner.stop.store(true, Ordering::SeqCst);
        self.inner.nap.1.notify_all();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        let id = &self.inner.opts.start.id;
        if let Err(e) = self.inner.store.worker_stopped(id) {
            tracing::warn!(worker = id, error = %e, "could not mark the worker stopped");
        }
        tracing::info!(
            worker = id,
            done = self.inner.stats.done.load(Ordering::Relaxed),
            failed = self.inner.stats.failed.load(Ordering::Relaxed),
            lost = self.inner.stats.lost.load(Ordering::Relaxed),
            "worker stopped"
        );
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if !self.threads.is_empty() {
            self.shutdown();
        }
    }
}

impl Inner {
    fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Sleep `d`, or less when the worker stops.
    fn nap(&self, d: Duration) {
        let g = lock(&self.nap.0);
        if !self.stopping() {
            let _ = self.nap.1.wait_timeout(g, d);
        }
    }

    fn id(&self) -> &str {
        &self.opts.start.id
    }

    fn skipped_jobs(&self) -> Vec<JobId> {
        lock(&self.localizers_by_job)
            .iter()
            .filter(|(_, l)| l.is_err())
            .map(|(id, _)| *id)
            .collect()
    }

    fn localizer(&self, job: JobId) -> Cached {
        if let Some(l) = lock(&self.localizers_by_job).get(&job) {
            return l.clone();
        }
        let made = match self.store.job(job) {
            Ok(j) => self.localizers.for_job(&j).map_err(Arc::new),
            // Not cached: the store may be back on the next item.
            Err(e) => {
                return Err(Arc::new(LocalizerError::NotHere(format!(
                    "reading job {job}: {e}"
                ))));
            }
        };
        if let Err(why) = &made {
            tracing::warn!(
                worker = self.id(),
                job,
                why = %why,
                "leaving this job's items to other workers"
            );
        }
        lock(&self.localizers_by_job).insert(job, made.clone());
        made
    }

    fn work(&self) {
        let mut backoff = Duration::from_millis(200);
        while !self.stopping() {
            let leased =
                self.store
                    .lease_items(self.id(), 1, self.opts.lease, &self.skipped_jobs());
            let lease = match leased {
                Ok(v) => match v.into_iter().next() {
                    Some(l) => l,
                    None => {
                        self.nap(self.opts.idle_poll);
                        continue;
                    }
                },
                Err(e) => {
                    tracing::warn!(worker = self.id(), error = %e, "leasing failed; retrying");
                    self.nap(backoff);
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    continue;
                }
            };
            backoff = Duration::from_millis(200);
            self.run(lease);
        }
    }

    fn run(&self, lease: Lease) {
        let key = lease.key().clone();
        let (job, row, market) = (key.job_id, key.row_index, lease.item.market.clone());
        let localizer = match self.localizer(job) {
            Ok(l) => l,
            Err(why) => {
                if let Err(e) = self.store.release_leases(self.id(), Some(&key)) {
                    tracing::warn!(worker = self.id(), job, row, market, error = %e, why = %why, "releasing the item failed; its lease will run out");
                }
                return;
            }
        };
        lock(&self.in_flight).insert(key.clone(), lease.attempt);
        tracing::info!(
            worker = self.id(),
            job,
            row,
            market,
            sku = lease.item.listing.sku,
            attempt = lease.attempt,
            "item leased"
        );
        let t = Instant::now();
        let outcome = match catch_unwind(AssertUnwindSafe(|| {
            localizer.localize(&lease.item.listing, &lease.item.market)
        })) {
            Ok(Ok(loc)) => ItemOutcome::Succeeded(Box::new(loc)),
            Ok(Err(e)) => ItemOutcome::Failed(e.chain()),
            Err(panic) => ItemOutcome::Failed(format!(
                "panic while localizing: {}",
                super::runner::panic_message(&panic)
            )),
        };
        let ms = t.elapsed().as_millis() as u64;
        self.stats.busy_ms.fetch_add(ms, Ordering::Relaxed);
        self.commit(&lease, &outcome, ms);
        lock(&self.in_flight).remove(&key);
    }

    /// Commit, retrying while the connection is down and the lease may still
    /// hold; give the item up once the lease is lost.
    fn commit(&self, lease: &Lease, outcome: &ItemOutcome, ms: u64) {
        let key = lease.key();
        let (job, row, market) = (key.job_id, key.row_index, lease.item.market.as_str());
        let mut backoff = Duration::from_millis(100);
        loop {
            match self.store.commit_leased(self.id(), lease, outcome) {
                Ok(()) => {
                    let ok = matches!(outcome, ItemOutcome::Succeeded(_));
                    let counter = if ok {
                        &self.stats.done
                    } else {
                        &self.stats.failed
                    };
                    counter.fetch_add(1, Ordering::Relaxed);
                    tracing::info!(
                        worker = self.id(),
                        job,
                        row,
                        market,
                        ms,
                        status = if ok { "succeeded" } else { "failed" },
                        "item committed"
                    );
                    if let (ItemOutcome::Succeeded(loc), Some(hook)) = (outcome, &self.on_commit)
                        && catch_unwind(AssertUnwindSafe(|| hook(loc))).is_err()
                    {
                        tracing::warn!(sku = %loc.sku, market = %loc.market, "commit hook panicked");
                    }
                    return;
                }
                Err(StoreError::LeaseLost { .. }) => {
                    self.stats.lost.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(
                        worker = self.id(),
                        job,
                        row,
                        market,
                        "lease lost: another worker took the item over; this result is dropped"
                    );
                    return;
                }
                Err(e) if e.is_connection() => {
                    let held_until = *lock(&self.renewed) + self.opts.lease;
                    if Instant::now() > held_until {
                        self.stats.lost.fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(
                            worker = self.id(),
                            job,
                            row,
                            market,
                            error = %e,
                            "no connection to the store for longer than the lease: item given up"
                        );
                        return;
                    }
                    tracing::warn!(worker = self.id(), job, row, market, error = %e, "commit failed: connection lost; retrying");
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(Duration::from_secs(2));
                }
                Err(e) => {
                    // A refused statement (a full disk): the item stays pending
                    // and its lease runs out; another attempt may succeed.
                    tracing::error!(worker = self.id(), job, row, market, error = %e, "commit failed; item left to a later attempt");
                    return;
                }
            }
        }
    }

    fn heartbeat(&self) {
        let every = (self.opts.lease / 3).max(Duration::from_millis(50));
        loop {
            // Beat until the item threads are done, so their leases hold while
            // they finish.
            let t = Instant::now();
            // Items leased before this beat: those it must find still held.
            let before = lock(&self.in_flight).clone();
            match self
                .store
                .heartbeat(self.id(), &self.stats.beat(), self.opts.lease)
            {
                Ok(held) => {
                    *lock(&self.renewed) = t;
                    for (key, attempt) in before {
                        let still_working = lock(&self.in_flight).get(&key) == Some(&attempt);
                        if still_working && !held.contains(&(key.clone(), attempt)) {
                            tracing::warn!(
                                worker = self.id(),
                                job = key.job_id,
                                row = key.row_index,
                                market_index = key.market_index,
                                "lease lost while working on the item (taken over)"
                            );
                        }
                    }
                }
                Err(e) => tracing::warn!(
                    worker = self.id(),
                    error = %e,
                    "heartbeat failed; items are given up if their lease runs out"
                ),
            }
            if self.stopping() {
                if lock(&self.in_flight).is_empty() {
                    return;
                }
                std::thread::sleep(every.min(Duration::from_millis(200)));
            } else {
                self.nap(every);
            }
        }
    }
}

/// How long [`finish_when_done`] waits between looks at the job.
const FINISH_POLL: Duration = Duration::from_millis(300);

/// For a job on a shared store, worked on by any number of workers: wait until
/// every item is committed, then write the outputs from the store (`outputs`
/// into the job's `out_dir`) and mark the job succeeded. `on_progress` sees the
/// job at each look. Returns `Paused` when `stop` is set first (the job stays
/// running for the other workers), `Cancelled` when the job is cancelled.
pub fn finish_when_done(
    store: &Store,
    id: JobId,
    outputs: &dyn super::OutputWriter,
    stop: &AtomicBool,
    on_progress: &mut dyn FnMut(&Job),
) -> Result<super::JobEnd, super::JobError> {
    use super::JobEnd;
    use crate::store::JobStatus;
    loop {
        let job = match store.job(id) {
            Ok(j) => j,
            Err(e) if e.is_connection() => {
                tracing::warn!(job = id, error = %e, "reading the job failed; retrying");
                std::thread::sleep(FINISH_POLL * 3);
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        on_progress(&job);
        match job.status {
            JobStatus::Cancelled => return Ok(JobEnd::Cancelled),
            JobStatus::Succeeded => {
                // Finished by another process: its report is in the outputs.
                let report = super::output::write_job_outputs(store, &job, outputs)?;
                return Ok(JobEnd::Succeeded(Box::new(report)));
            }
            _ => {}
        }
        if job.done() >= job.total_items {
            let report = super::output::write_job_outputs(store, &job, outputs)?;
            store.set_job_status(id, JobStatus::Succeeded, None)?;
            return Ok(JobEnd::Succeeded(Box::new(report)));
        }
        if stop.load(Ordering::SeqCst) {
            return Ok(JobEnd::Paused);
        }
        std::thread::sleep(FINISH_POLL);
    }
}

/// On a shared store: write the outputs of every running job whose items are
/// all committed, from the store, and mark it succeeded (or failed, when its
/// outputs cannot be written). The server calls this every second; workers
/// never write files. Returns the jobs finished.
pub fn finish_done_jobs(
    store: &Store,
    outputs: &dyn super::OutputWriter,
) -> Result<Vec<JobId>, StoreError> {
    use crate::store::JobStatus;
    let mut finished = Vec::new();
    for job in store.jobs()? {
        if job.status != JobStatus::Running || job.done() < job.total_items {
            continue;
        }
        match super::output::write_job_outputs(store, &job, outputs) {
            Ok(_) => {
                store.set_job_status(job.id, JobStatus::Succeeded, None)?;
                tracing::info!(
                    job = job.id,
                    out = job.out_dir,
                    "job finished: outputs written"
                );
            }
            Err(e) => {
                let msg = e.to_string();
                tracing::error!(job = job.id, error = msg, "job outputs not written");
                store.set_job_status(job.id, JobStatus::Failed, Some(&msg))?;
            }
        }
        finished.push(job.id);
    }
    Ok(finished)
}
