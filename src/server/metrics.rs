//! Prometheus metrics at `/metrics`: requests by route and status, the engine's
//! queue depth and tokens/s, each job's progress, and each worker's counters on
//! a shared store (prometheus-client text
//! format). The request counter is fed by a middleware; engine and job gauges
//! are set from a [`Scrape`] of the services, which the `/metrics` handler (in
//! the server's `mod.rs`, where the application state is) reads.

use std::sync::Arc;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

use super::error::AppError;
use super::services::{EngineMetrics, JobInfo, WorkerInfo};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: String,
    status: u16,
}

/// The method label: one of a fixed set, so a client inventing methods cannot
/// add series (the counter runs before the token check).
fn method_label(m: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *m {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobLabels {
    job: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct WorkerLabels {
    worker: String,
    model: String,
}

/// The registry and its metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    queue_depth: Gauge,
    tokens_per_second: Gauge<f64, AtomicU64>,
    tokens_total: Gauge,
    in_flight: Gauge,
    job_done: Family<JobLabels, Gauge>,
    job_total: Family<JobLabels, Gauge>,
    worker_done: Family<WorkerLabels, Gauge>,
    worker_failed: Family<WorkerLabels, Gauge>,
    worker_busy: Family<WorkerLabels, Gauge<f64, AtomicU64>>,
    worker_live: Family<WorkerLabels, Gauge>,
    worker_leases: Family<WorkerLabels, Gauge>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("silkroute");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by route and status",
            requests.clone(),
        );
        let queue_depth = Gauge::default();
        registry.register(
            "queue_depth",
            "Generation requests waiting or running",
            queue_depth.clone(),
        );
        let tokens_per_second = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "tokens_per_second",
            "Generated tokens per second (recent)",
            tokens_per_second.clone(),
        );
        let tokens_total = Gauge::default();
        registry.register(
            "tokens_generated",
            "Tokens generated since start",
            tokens_total.clone(),
        );
        let in_flight = Gauge::default();
        registry.register(
            "interactive_in_flight",
            "Interactive localizations in flight",
            in_flight.clone(),
        );
        let job_done = Family::<JobLabels, Gauge>::default();
        registry.register("job_items_done", "Items done per job", job_done.clone());
        let job_total = Family::<JobLabels, Gauge>::default();
        registry.register("job_items_total", "Items in all per job", job_total.clone());
        let worker_done = Family::<WorkerLabels, Gauge>::default();
        registry.register(
            "worker_items_done",
            "Items a worker of the shared store committed as localized",
            worker_done.clone(),
        );
        let worker_failed = Family::<WorkerLabels, Gauge>::default();
        registry.register(
            "worker_items_failed",
            "Items a worker committed as failed",
            worker_failed.clone(),
        );
        let worker_busy = Family::<WorkerLabels, Gauge<f64, AtomicU64>>::default();
        registry.register(
            "worker_busy_seconds",
            "Seconds a worker spent localizing",
            worker_busy.clone(),
        );
        let worker_live = Family::<WorkerLabels, Gauge>::default();
        registry.register(
            "worker_live",
            "1 while a worker sends heartbeats",
            worker_live.clone(),
        );
        let worker_leases = Family::<WorkerLabels, Gauge>::default();
        registry.register(
            "worker_leases",
            "Items a worker holds leases on",
            worker_leases.clone(),
        );
        Self {
            registry,
            requests,
            queue_depth,
            tokens_per_second,
            tokens_total,
            in_flight,
            job_done,
            job_total,
            worker_done,
            worker_failed,
            worker_busy,
            worker_live,
            worker_leases,
        }
    }
}

/// Middleware counting requests by matched route, method and status: every
/// label comes from a fixed set (routes are the router's patterns, `unmatched`
/// otherwise; statuses are three-digit codes).
pub async fn count_requests(State(m): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let method = method_label(req.method());
    let resp = next.run(req).await;
    m.requests
        .get_or_create(&RequestLabels {
            method,
            route,
            status: resp.status().as_u16(),
        })
        .inc();
    resp
}

/// Jobs with progress series (the newest).
pub const MAX_JOB_SERIES: usize = 100;

/// What one scrape reads from the services.
#[derive(Debug, Clone, Default)]
pub struct Scrape {
    /// The newest jobs (at most [`MAX_JOB_SERIES`]).
    pub jobs: Vec<JobInfo>,
    /// The workers of a shared store.
    pub workers: Vec<WorkerInfo>,
    /// The engine's queue and speed.
    pub engine: EngineMetrics,
    /// Interactive localizations holding an admission permit.
    pub in_flight: usize,
}

impl Metrics {
    /// Set the gauges from `s` and encode everything (OpenMetrics text).
    pub fn render(&self, s: &Scrape) -> Result<String, AppError> {
        let stats = s.engine;
        self.queue_depth.set(stats.queue_depth as i64);
        self.tokens_per_second.set(stats.tokens_per_second);
        self.tokens_total.set(stats.tokens_total as i64);
        self.in_flight.set(s.in_flight as i64);
        // Only the newest jobs have series; older ones are dropped, not kept forever.
        self.job_done.clear();
        self.job_total.clear();
        for j in &s.jobs {
            let l = JobLabels { job: j.id.clone() };
            self.job_done.get_or_create(&l).set(j.done as i64);
            self.job_total.get_or_create(&l).set(j.total as i64);
        }
        for w in s.workers.iter().take(200) {
            let l = WorkerLabels {
                worker: w.id.clone(),
                model: w.model.clone(),
            };
            self.worker_done.get_or_create(&l).set(w.done as i64);
            self.worker_failed.get_or_create(&l).set(w.failed as i64);
            self.worker_busy
                .get_or_create(&l)
                .set(w.busy_ms as f64 / 1000.0);
            self.worker_live.get_or_create(&l).set(i64::from(w.live));
            self.worker_leases
                .get_or_create(&l)
                .set(w.current.len() as i64);
        }
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("encode metrics: {e}")))?;
        Ok(out)
    }
}
