//! The [`JobRunner`]: a small pool of worker threads that takes items from
//! every active job in turn (round-robin, so one job does not starve another),
//! localizes each through the [`Localizer`] (whose requests carry batch
//! priority, so interactive requests go first in the engine's queue), and
//! commits each finished item in its own transaction.
//!
//! Concurrency contract: the workers are the only threads that work on items;
//! public methods only enqueue, signal or read. Stopping (Ctrl-C, server
//! shutdown) is a shared `AtomicBool`: no new item starts, items in flight
//! finish and are committed, and each job is left `paused`. A panic inside an
//! item is caught and committed as a failed item. A store error (a full disk)
//! stops that job with the error; nothing committed is lost.

use std::collections::{HashMap, VecDeque};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::output::{OutputWriter, Report, write_job_outputs};
use super::{JobError, Localizer, MAX_ITEM_ATTEMPTS};
use crate::listing::LocalizedListing;
use crate::store::{ItemOutcome, JobId, JobStatus, PendingItem, Store};

/// Called after each successful commit (the CLI and server upsert the
/// localization into the search index, which is derived from the store).
pub type CommitHook = Arc<dyn Fn(&LocalizedListing) + Send + Sync>;

/// Runner settings.
#[derive(Debug, Clone)]
pub struct RunnerOptions {
    /// Items worked on at once; the engine batches their requests together.
    /// 1 turns batching off.
    pub workers: usize,
}

impl Default for RunnerOptions {
    fn default() -> Self {
        Self { workers: 4 }
    }
}

/// How a job's run ended.
#[derive(Debug, Clone, PartialEq)]
pub enum JobEnd {
    /// Every item is done and the outputs are written.
    Succeeded(Box<Report>),
    /// Stopped on request (Ctrl-C); `resume` continues.
    Paused,
    /// Cancelled.
    Cancelled,
    /// Stopped by an error (full disk, outputs not writable); `resume` retries.
    Failed(String),
}

/// A job's progress: what the CLI's bar shows and the server's job page serves.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobProgress {
    /// Job id.
    pub job: JobId,
    /// Status.
    pub status: JobStatus,
    /// Items in all.
    pub total: u64,
    /// Items committed (succeeded + failed).
    pub done: u64,
    /// Items localized.
    pub succeeded: u64,
    /// Items failed.
    pub failed: u64,
    /// Localized items needing review.
    pub needs_review: u64,
    /// Rejected catalog rows.
    pub rejected: u64,
    /// Items being worked on now.
    pub in_flight: u64,
    /// Seconds this run has been going (0 when not running here).
    pub elapsed_secs: f64,
    /// Items per hour in this run, once any item finished.
    pub items_per_hour: Option<f64>,
    /// Estimated seconds left, once a rate is known.
    pub eta_secs: Option<f64>,
}

struct Active {
    id: JobId,
    queue: VecDeque<PendingItem>,
    in_flight: usize,
    cancel: bool,
    error: Option<String>,
    started: Instant,
    done_here: u64,
}

#[derive(Default)]
struct State {
    active: Vec<Active>,
    ended: HashMap<JobId, JobEnd>,
    /// Jobs out of `active` whose ending a worker is still writing to the
    /// store: not ended yet for `wait`, even after a shutdown.
    ending: Vec<JobId>,
    cursor: usize,
    shutdown: bool,
}

enum Task {
    Item(JobId, Box<PendingItem>),
    End(JobId, Ending),
}

enum Ending {
    Finished,
    Paused,
    Cancelled,
    Failed(String),
}

struct Inner {
    store: Arc<Store>,
    localizer: Arc<dyn Localizer>,
    outputs: Arc<dyn OutputWriter>,
    on_commit: Option<CommitHook>,
    stop: Arc<AtomicBool>,
    state: Mutex<State>,
    cv: Condvar,
}

/// Runs jobs on a pool of worker threads. Used by `silkroute batch`, `jobs
/// resume` and the server (which submits unfinished jobs at start). Dropping it
/// stops the workers after their current item.
pub struct JobRunner {
    inner: Arc<Inner>,
    workers: Vec<JoinHandle<()>>,
}

impl JobRunner {
    /// Start the workers.
    pub fn start(
        store: Arc<Store>,
        localizer: Arc<dyn Localizer>,
        outputs: Arc<dyn OutputWriter>,
        on_commit: Option<CommitHook>,
        opts: &RunnerOptions,
    ) -> Self {
        let inner = Arc::new(Inner {
            store,
            localizer,
            outputs,
            on_commit,
            stop: Arc::new(AtomicBool::new(false)),
            state: Mutex::new(State::default()),
            cv: Condvar::new(),
        });
        let workers = (0..opts.workers.max(1))
            .map(|i| {
                let inner = inner.clone();
                std::thread::Builder::new()
                    .name(format!("silkroute-job-{i}"))
                    .spawn(move || inner.work())
                    .expect("spawning a worker thread")
            })
            .collect();
        Self { inner, workers }
    }

    /// The stop flag: set it (from a signal handler, say) to stop every job
    /// after the items in flight. Jobs are left paused.
    pub fn stop_flag(&self) -> Arc<AtomicBool> {
        self.inner.stop.clone()
    }

    /// Start (or resume) a job: its uncommitted items are queued.
    pub fn submit(&self, id: JobId) -> Result<(), JobError> {
        let job = self.inner.store.job(id)?;
        if !job.status.is_resumable() {
            return Err(JobError::NotResumable {
                job: id,
                status: job.status,
            });
        }
        let mut st = self.inner.lock();
        if st.active.iter().any(|a| a.id == id) {
            return Ok(());
        }
        let pending = self.inner.store.pending_items(id)?;
        self.inner
            .store
            .set_job_status(id, JobStatus::Running, None)?;
        st.ended.remove(&id);
        st.active.push(Active {
            id,
            queue: pending.into(),
            in_flight: 0,
            cancel: false,
            error: None,
            started: Instant::now(),
            done_here: 0,
        });
        drop(st);
        self.inner.cv.notify_all();
        Ok(())
    }

    /// Resume a job on request (`silkroute jobs resume`, the server's resume):
    /// its failed items that were tried fewer than [`MAX_ITEM_ATTEMPTS`] times
    /// go back to pending (a finished job with such items runs again and
    /// rewrites its outputs), then the job is submitted. Returns how many
    /// failed items will be retried.
    pub fn resume(&self, id: JobId) -> Result<u64, JobError> {
        let job = self.inner.store.job(id)?;
        if job.status == JobStatus::Cancelled {
            return Err(JobError::NotResumable {
                job: id,
                status: job.status,
            });
        }
        // A job running here has its failed items retried when it ends and is
        // resumed again; its queue is the truth until then.
        if self.inner.lock().active.iter().any(|a| a.id == id) {
            return Ok(0);
        }
        let retried = self.inner.store.retry_failed_items(id, MAX_ITEM_ATTEMPTS)?;
        if job.status == JobStatus::Succeeded {
            if retried == 0 {
                return Ok(0); // finished, and nothing left to retry
            }
            self.inner
                .store
                .set_job_status(id, JobStatus::Paused, None)?;
        }
        self.submit(id)?;
        Ok(retried)
    }

    /// Submit every job that was running or enqueued when the last process
    /// stopped (a server start). Returns their ids.
    pub fn resume_unfinished(&self) -> Result<Vec<JobId>, JobError> {
        let mut ids = Vec::new();
        for job in self.inner.store.unfinished_jobs()? {
            if matches!(job.status, JobStatus::Enqueued | JobStatus::Running) {
                self.submit(job.id)?;
                ids.push(job.id);
            }
        }
        Ok(ids)
    }

    /// Cancel a job: queued items are dropped, items in flight finish and are
    /// committed, then the job is `cancelled`. A job not running here is
    /// cancelled in the store directly.
    pub fn cancel(&self, id: JobId) -> Result<(), JobError> {
        let mut st = self.inner.lock();
        if let Some(a) = st.active.iter_mut().find(|a| a.id == id) {
            a.cancel = true;
            a.queue.clear();
            drop(st);
            self.inner.cv.notify_all();
            return Ok(());
        }
        drop(st);
        Ok(self.inner.store.cancel_job(id)?)
    }

    /// Block until the job's run ends.
    pub fn wait(&self, id: JobId) -> JobEnd {
        loop {
            if let Some(end) = self.wait_timeout(id, Duration::from_secs(1)) {
                return end;
            }
        }
    }

    /// Wait at most `timeout` for the job's run to end.
    pub fn wait_timeout(&self, id: JobId, timeout: Duration) -> Option<JobEnd> {
        let deadline = Instant::now() + timeout;
        let mut st = self.inner.lock();
        loop {
            if let Some(end) = st.ended.remove(&id) {
                return Some(end);
            }
            if !st.active.iter().any(|a| a.id == id) && !st.ending.contains(&id) && st.shutdown {
                return Some(JobEnd::Paused);
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            st = self
                .inner
                .cv
                .wait_timeout(st, (deadline - now).min(Duration::from_millis(200)))
                .map(|(g, _)| g)
                .unwrap_or_else(|p| p.into_inner().0);
        }
    }

    /// How a job stands: counts from the store, rate and time left from this
    /// run when it is active here.
    pub fn progress(&self, id: JobId) -> Result<JobProgress, JobError> {
        let job = self.inner.store.job(id)?;
        let st = self.inner.lock();
        let mut p = JobProgress {
            job: id,
            status: job.status,
            total: job.total_items,
            done: job.done(),
            succeeded: job.succeeded,
            failed: job.failed,
            needs_review: job.needs_review,
            rejected: job.rejected,
            in_flight: 0,
            elapsed_secs: 0.0,
            items_per_hour: None,
            eta_secs: None,
        };
        if let Some(a) = st.active.iter().find(|a| a.id == id) {
            let secs = a.started.elapsed().as_secs_f64();
            p.in_flight = a.in_flight as u64;
            p.elapsed_secs = secs;
            if a.done_here > 0 && secs > 0.0 {
                let per_sec = a.done_here as f64 / secs;
                p.items_per_hour = Some(per_sec * 3600.0);
                p.eta_secs = Some(p.total.saturating_sub(p.done) as f64 / per_sec);
            }
        }
        Ok(p)
    }
}

impl Drop for JobRunner {
    fn drop(&mut self) {
        // Workers end their jobs (paused) after the items in flight, then leave.
        self.inner.stop.store(true, Ordering::SeqCst);
        self.inner.cv.notify_all();
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

impl State {
    /// The next thing a worker should do, if any.
    fn next_task(&mut self, stop: bool) -> Option<Task> {
        // A job whose in-flight items are done and that has nothing more to
        // start ends now.
        if let Some(pos) = self.active.iter().position(|a| {
            a.in_flight == 0 && (stop || a.cancel || a.error.is_some() || a.queue.is_empty())
        }) {
            let a = self.active.remove(pos);
            self.ending.push(a.id);
            let ending = if let Some(e) = a.error {
                Ending::Failed(e)
            } else if a.cancel {
                Ending::Cancelled
            } else if a.queue.is_empty() {
                Ending::Finished
            } else {
                Ending::Paused
            };
            return Some(Task::End(a.id, ending));
        }
        if stop || self.active.is_empty() {
            return None;
        }
        let n = self.active.len();
        for k in 0..n {
            let i = (self.cursor + k) % n;
            let a = &mut self.active[i];
            if a.cancel || a.error.is_some() {
                continue;
            }
            if let Some(item) = a.queue.pop_front() {
                a.in_flight += 1;
                self.cursor = i + 1;
                return Some(Task::Item(a.id, Box::new(item)));
            }
        }
        None
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn work(&self) {
        loop {
            let task = {
                let mut st = self.lock();
                loop {
                    let stop = self.stop.load(Ordering::SeqCst);
                    if let Some(t) = st.next_task(stop) {
                        break t;
                    }
                    if st.shutdown || (stop && st.active.is_empty()) {
                        st.shutdown = st.shutdown || stop;
                        self.cv.notify_all();
                        return;
                    }
                    st = self
                        .cv
                        .wait_timeout(st, Duration::from_millis(100))
                        .map(|(g, _)| g)
                        .unwrap_or_else(|p| p.into_inner().0);
                }
            };
            match task {
                Task::Item(job, item) => self.run_item(job, item),
                Task::End(job, ending) => self.end_job(job, ending),
            }
        }
    }

    fn run_item(&self, job: JobId, item: Box<PendingItem>) {
        let result = self
            .store
            .start_attempt(&item.key)
            .map_err(JobError::from)
            .and_then(|_| {
                let localizer = &self.localizer;
                let outcome = match catch_unwind(AssertUnwindSafe(|| {
                    localizer.localize(&item.listing, &item.market)
                })) {
                    Ok(Ok(loc)) => ItemOutcome::Succeeded(Box::new(loc)),
                    Ok(Err(e)) => ItemOutcome::Failed(e.chain()),
                    Err(panic) => ItemOutcome::Failed(format!(
                        "panic while localizing: {}",
                        panic_message(&panic)
                    )),
                };
                self.store.commit_item(&item.key, &outcome)?;
                Ok(outcome)
            });
        if let (Ok(ItemOutcome::Succeeded(loc)), Some(hook)) = (&result, &self.on_commit) {
            // The index is derived: a failure here is repaired by a rebuild, and
            // must not fail the committed item.
            if catch_unwind(AssertUnwindSafe(|| hook(loc))).is_err() {
                tracing::warn!(sku = %loc.sku, market = %loc.market, "commit hook panicked");
            }
        }
        let mut st = self.lock();
        if let Some(a) = st.active.iter_mut().find(|a| a.id == job) {
            a.in_flight -= 1;
            match result {
                Ok(_) => a.done_here += 1,
                Err(e) => {
                    // Stop the job: nothing more starts; what is committed stays.
                    a.error.get_or_insert_with(|| e.to_string());
                    a.queue.clear();
                }
            }
        }
        drop(st);
        self.cv.notify_all();
    }

    fn end_job(&self, job: JobId, ending: Ending) {
        let end = match ending {
            Ending::Finished => match self.finish(job) {
                Ok(report) => JobEnd::Succeeded(Box::new(report)),
                Err(e) => {
                    let msg = e.to_string();
                    let _ = self
                        .store
                        .set_job_status(job, JobStatus::Failed, Some(&msg));
                    JobEnd::Failed(msg)
                }
            },
            Ending::Paused => {
                let _ = self.store.set_job_status(job, JobStatus::Paused, None);
                JobEnd::Paused
            }
            Ending::Cancelled => {
                let _ = self.store.set_job_status(job, JobStatus::Cancelled, None);
                JobEnd::Cancelled
            }
            Ending::Failed(msg) => {
                // On a full disk this write may fail too; the job then stays
                // `running` in the store, which `resume` handles the same way.
                let _ = self
                    .store
                    .set_job_status(job, JobStatus::Failed, Some(&msg));
                JobEnd::Failed(msg)
            }
        };
        let mut st = self.lock();
        st.ending.retain(|&j| j != job);
        st.ended.insert(job, end);
        drop(st);
        self.cv.notify_all();
    }

    fn finish(&self, id: JobId) -> Result<Report, JobError> {
        let job = self.store.job(id)?;
        let report = write_job_outputs(&self.store, &job, self.outputs.as_ref())?;
        self.store.set_job_status(id, JobStatus::Succeeded, None)?;
        Ok(report)
    }
}

pub(super) fn panic_message(p: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".into()
    }
}
