//! The job queue's types: what a worker registers ([`WorkerStart`]), the lease
//! it holds on an item ([`Lease`]), what it reports with each heartbeat
//! ([`WorkerBeat`]) and what `silkroute workers` shows ([`WorkerInfo`]).
//!
//! A lease is a row of `job_items` with `lease_owner` (the worker's id) and
//! `lease_until` (milliseconds since the epoch, by the database's clock, so the
//! workers' clocks do not matter). Taking a lease adds one to the item's
//! `attempts`, and that number fences the commit: a worker whose lease expired
//! and was taken over commits nothing ([`crate::store::StoreError::LeaseLost`]),
//! and an item is committed exactly once.

use std::time::Duration;

use serde::Serialize;

use super::{ItemKey, PendingItem};

/// How long after its last heartbeat a worker is still listed as live.
pub const LIVE_WINDOW: Duration = Duration::from_secs(60);

/// A worker as it registers in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerStart {
    /// Unique id (`host-pid-random`).
    pub id: String,
    /// The machine's name.
    pub host: String,
    /// The process id.
    pub pid: u32,
    /// The model it loaded (file name or manifest id).
    pub model: String,
}

/// One leased item: the item to do and the attempt number that fences its
/// commit.
#[derive(Debug, Clone, PartialEq)]
pub struct Lease {
    /// The item, with its listing.
    pub item: PendingItem,
    /// The attempt this lease is (the item's `attempts` after leasing).
    pub attempt: u32,
}

impl Lease {
    /// The item's key.
    pub fn key(&self) -> &ItemKey {
        &self.item.key
    }
}

/// What a worker reports with each heartbeat: its counters since it started.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkerBeat {
    /// Items committed as succeeded.
    pub done: u64,
    /// Items committed as failed.
    pub failed: u64,
    /// Milliseconds spent localizing, all threads together.
    pub busy_ms: u64,
}

/// A worker as `silkroute workers`, the settings page and the API show it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct WorkerInfo {
    /// Unique id.
    pub id: String,
    /// Machine.
    pub host: String,
    /// Process id.
    pub pid: u32,
    /// Model.
    pub model: String,
    /// Registered at (RFC 3339).
    pub started_at: String,
    /// Milliseconds since its last heartbeat.
    pub seen_ms_ago: u64,
    /// Heard from within the liveness window, and not stopped.
    pub live: bool,
    /// Items committed as succeeded.
    pub done: u64,
    /// Items committed as failed.
    pub failed: u64,
    /// Milliseconds spent localizing.
    pub busy_ms: u64,
    /// Items per hour since it started.
    pub items_per_hour: f64,
    /// The items it holds leases on now (`job/row/market`).
    pub current: Vec<String>,
}

/// Milliseconds since the epoch by this machine's clock (the SQLite backend's
/// lease clock; PostgreSQL uses its own).
pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
