//! The services the HTTP layer calls, as small object-safe traits so the routes,
//! pages and limits are independent of how each part is built. `AppState` holds
//! one `Arc<dyn …>` of each; `wire.rs` builds them from the real parts (engine,
//! localization pipeline, SQLite store, tantivy index, job runner, model installer).
//!
//! Every method is blocking (SQLite, tantivy, candle): handlers call them through
//! `spawn_blocking`.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::listing::{Listing, LocalizedListing, Status, Warning};
pub use crate::store::WorkerInfo;

/// A failure a service reports; the HTTP layer maps it to a status and a code.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The named thing does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// The input is unacceptable; names the field.
    #[error("{field}: {message}")]
    Invalid {
        /// The offending field.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The request conflicts with the current state (e.g. resume a finished job).
    #[error("{0}")]
    Conflict(String),
    /// The queue is full: try again later.
    #[error("busy: {0}")]
    Busy(String),
    /// The model is not loaded yet (or failed to load).
    #[error("not ready: {0}")]
    NotReady(String),
    /// The caller went away.
    #[error("cancelled")]
    Cancelled,
    /// Anything else: logged, never shown.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// A market profile as the pages and API show it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MarketInfo {
    /// Profile id (`amazon.de`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Target language (ISO 639-1).
    pub language: String,
    /// Currency (ISO 4217).
    pub currency: String,
}

/// An exchange rate used to convert prices.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ExchangeRate {
    /// Source currency.
    pub from: String,
    /// Target currency.
    pub to: String,
    /// Units of `to` per unit of `from`, as a decimal string.
    pub rate: String,
}

/// Localization and checks: the pipeline over the engine, plus market profiles.
pub trait LocalizeService: Send + Sync {
    /// The known market profiles.
    fn markets(&self) -> Vec<MarketInfo>;
    /// Localize `listing` for `market`. `on_field(field, text)` is called as each
    /// field is written; the call stops early with `Cancelled` once `cancel` is set.
    fn localize(
        &self,
        listing: &Listing,
        market: &str,
        cancel: &Arc<AtomicBool>,
        on_field: &mut dyn FnMut(&str, &str),
    ) -> Result<LocalizedListing, ServiceError>;
    /// Re-run the market's checks on an edited localization.
    fn check(
        &self,
        listing: &Listing,
        localized: &LocalizedListing,
    ) -> Result<Vec<Warning>, ServiceError>;
    /// Exchange rates in use.
    fn rates(&self) -> Vec<ExchangeRate>;
    /// Set one exchange rate.
    fn set_rate(&self, rate: ExchangeRate) -> Result<(), ServiceError>;
    /// Interactive requests waiting in the engine and tokens/s recently (for metrics).
    fn engine_stats(&self) -> EngineMetrics;
}

/// Engine figures for `/metrics`.
#[derive(Debug, Clone, Copy, Default, Serialize, ToSchema)]
pub struct EngineMetrics {
    /// Requests waiting or running.
    pub queue_depth: u64,
    /// Generated tokens per second, recent average.
    pub tokens_per_second: f64,
    /// Tokens generated since start.
    pub tokens_total: u64,
}

/// One status change of a localization.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HistoryEntry {
    /// When.
    #[schema(value_type = String, format = DateTime)]
    pub at: DateTime<Utc>,
    /// The status it moved to.
    #[schema(value_type = String)]
    pub status: Status,
    /// What happened (`localized`, `edited`, `approved`).
    pub note: String,
}

/// A localization with its history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LocalizationRecord {
    /// The current version.
    #[schema(value_type = Object)]
    pub localized: LocalizedListing,
    /// Every change, oldest first.
    pub history: Vec<HistoryEntry>,
}

/// A source listing and all its localizations.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ListingRecord {
    /// The source.
    #[schema(value_type = Object)]
    pub listing: Listing,
    /// One per market.
    pub localizations: Vec<LocalizationRecord>,
}

/// A row of the listings list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ListingSummary {
    /// Sku.
    pub sku: String,
    /// Source title.
    pub title: String,
    /// Markets localized, with status.
    pub markets: Vec<(String, String)>,
}

/// Persistence of listings, localizations and glossaries (SQLite).
pub trait ListingStore: Send + Sync {
    /// Insert or replace a source listing.
    fn put_listing(&self, listing: &Listing) -> Result<(), ServiceError>;
    /// The listing and its localizations.
    fn get(&self, sku: &str) -> Result<Option<ListingRecord>, ServiceError>;
    /// Recent listings, newest first.
    fn list(&self, limit: usize, offset: usize) -> Result<Vec<ListingSummary>, ServiceError>;
    /// Save a localization (a new version; `note` goes into history).
    fn save_localization(&self, loc: &LocalizedListing, note: &str) -> Result<(), ServiceError>;
    /// Delete a listing and its localizations; false when absent.
    fn delete(&self, sku: &str) -> Result<bool, ServiceError>;
    /// Glossary names and entry counts.
    fn glossaries(&self) -> Result<Vec<GlossaryInfo>, ServiceError>;
    /// One glossary as CSV text (`source,target` per line).
    fn glossary(&self, name: &str) -> Result<Option<String>, ServiceError>;
    /// Replace a glossary from CSV text; errors name the line.
    fn put_glossary(&self, name: &str, csv: &str) -> Result<GlossaryInfo, ServiceError>;
    /// Delete a glossary; false when there was none.
    fn delete_glossary(&self, name: &str) -> Result<bool, ServiceError>;
}

/// A glossary's name and size.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct GlossaryInfo {
    /// Name (`[a-z0-9_-]`, up to 64).
    pub name: String,
    /// Number of entries.
    pub entries: usize,
}

/// Search parameters (query string of `/api/v1/search`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Free text.
    #[serde(default)]
    pub q: String,
    /// Only this market.
    pub market: Option<String>,
    /// Only this language.
    pub language: Option<String>,
    /// Only this status.
    pub status: Option<String>,
    /// Only this brand.
    pub brand: Option<String>,
    /// Only this category (full path, a path prefix or one segment).
    pub category: Option<String>,
    /// Lowest price, inclusive.
    pub min_price: Option<f64>,
    /// Highest price, inclusive.
    pub max_price: Option<f64>,
    /// `relevance` (default), `price`, `price_desc`, `updated` or `findings`
    /// (most check findings first).
    pub sort: Option<String>,
    /// Page size (1..=100, default 20).
    pub limit: Option<usize>,
    /// Offset.
    pub offset: Option<usize>,
}

/// A piece of a snippet; `hl` pieces matched the query.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SnippetPart {
    /// Plain text (escaped by whoever renders it).
    pub text: String,
    /// Highlighted.
    pub hl: bool,
}

/// One search hit.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchHit {
    /// Sku.
    pub sku: String,
    /// Market (`source` for the source listing).
    pub market: String,
    /// Language.
    pub language: String,
    /// Title.
    pub title: String,
    /// Status.
    pub status: String,
    /// Highlighted snippet.
    pub snippet: Vec<SnippetPart>,
    /// Relevance.
    pub score: f32,
    /// Check findings on this version (0 for a source listing).
    pub findings: u64,
}

/// Counts per value of one facet.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Facet {
    /// Field (`market`, `language`, `status`, `brand`, `category`).
    pub field: String,
    /// `(value, count)`, largest first.
    pub counts: Vec<(String, u64)>,
}

/// A page of search results.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchPage {
    /// Matching documents in all.
    pub total: usize,
    /// This page.
    pub hits: Vec<SearchHit>,
    /// Facet counts over all matches.
    pub facets: Vec<Facet>,
}

/// Full-text search (tantivy).
pub trait Search: Send + Sync {
    /// Run a query.
    fn search(&self, params: &SearchParams) -> Result<SearchPage, ServiceError>;
    /// Index (or re-index) a source listing and its localizations.
    fn upsert(&self, record: &ListingRecord) -> Result<(), ServiceError>;
    /// Remove a listing from the index.
    fn remove(&self, sku: &str) -> Result<(), ServiceError>;
}

/// An uploaded catalog, stored under a generated name.
#[derive(Debug, Clone)]
pub struct StoredUpload {
    /// Where the bytes are (inside the data dir, generated name).
    pub path: PathBuf,
    /// The client's file name, for display only (sanitized, bounded).
    pub original_name: String,
}

/// One rejected row.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RejectInfo {
    /// Line in the file (1-based).
    pub line: u64,
    /// Field, when known.
    pub field: Option<String>,
    /// Why.
    pub message: String,
}

/// A batch job as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct JobInfo {
    /// Job id.
    pub id: String,
    /// `queued`, `running`, `succeeded`, `failed`, `cancelled`.
    pub state: String,
    /// The uploaded file's name.
    pub file_name: String,
    /// Target markets.
    pub markets: Vec<String>,
    /// Items in all (listings × markets), once known.
    pub total: u64,
    /// Items done.
    pub done: u64,
    /// Items failed.
    pub failed: u64,
    /// Items per second, recent.
    pub rate: f64,
    /// Seconds left, estimated.
    pub eta_seconds: Option<u64>,
    /// Rejected rows in all.
    #[serde(default)]
    pub rejected: u64,
    /// The first rejected rows (up to 100; all of them are in the `rejects`
    /// result, `GET /api/v1/jobs/{id}/results/rejects`).
    pub rejects: Vec<RejectInfo>,
    /// Result kinds ready for download (`csv`, `xlsx`, `jsonl`, `report`,
    /// `rejects`).
    pub results: Vec<String>,
    /// Created at.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
    /// Error, for failed jobs.
    pub error: Option<String>,
}

impl JobInfo {
    /// Finished one way or another.
    pub fn is_finished(&self) -> bool {
        matches!(self.state.as_str(), "succeeded" | "failed" | "cancelled")
    }
}

/// A downloadable result file.
#[derive(Debug, Clone)]
pub struct ResultFile {
    /// On disk.
    pub path: PathBuf,
    /// MIME type.
    pub content_type: &'static str,
    /// Download name (generated, safe).
    pub file_name: String,
}

/// Catalog jobs (store's job runner).
pub trait Jobs: Send + Sync {
    /// Start a job for an uploaded file.
    fn create(&self, upload: StoredUpload, markets: Vec<String>) -> Result<JobInfo, ServiceError>;
    /// Jobs, newest first.
    fn list(&self) -> Result<Vec<JobInfo>, ServiceError>;
    /// The newest `n` jobs (what `/metrics` reports), without building the
    /// others.
    fn list_recent(&self, n: usize) -> Result<Vec<JobInfo>, ServiceError> {
        Ok(self.list()?.into_iter().take(n).collect())
    }
    /// One job.
    fn get(&self, id: &str) -> Result<Option<JobInfo>, ServiceError>;
    /// Ask a running job to stop (it checkpoints).
    fn cancel(&self, id: &str) -> Result<JobInfo, ServiceError>;
    /// Continue a cancelled or interrupted job where it stopped.
    fn resume(&self, id: &str) -> Result<JobInfo, ServiceError>;
    /// A result file, by kind.
    fn result(&self, id: &str, kind: &str) -> Result<Option<ResultFile>, ServiceError>;
    /// Stop taking work and checkpoint (graceful shutdown).
    fn shutdown(&self);
    /// The currency catalog prices that name none are read in (the data
    /// directory's default source currency); `None`: CNY for Chinese catalogs,
    /// else such rows are rejected.
    fn default_currency(&self) -> Option<String> {
        None
    }
    /// Change the default source currency (and keep it in the config file).
    fn set_default_currency(&self, _currency: Option<String>) -> Result<(), ServiceError> {
        Err(ServiceError::Conflict(
            "this server cannot change its default currency".into(),
        ))
    }
    /// The workers of a shared store heard from in the last hour (none on
    /// SQLite, whose jobs run in this process).
    fn workers(&self) -> Result<Vec<WorkerInfo>, ServiceError> {
        Ok(Vec::new())
    }
}

/// An installable model.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ModelInfo {
    /// Model id.
    pub id: String,
    /// Description.
    pub description: String,
    /// Size in bytes.
    pub size_bytes: u64,
    /// On disk and verified.
    pub installed: bool,
    /// Loaded and serving.
    pub active: bool,
}

/// Whether the model is loaded.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Readiness {
    /// Installing the model (first run).
    Installing {
        /// Model id.
        model: String,
    },
    /// Loading weights.
    Loading {
        /// Model id.
        model: String,
    },
    /// Serving.
    Ready {
        /// Model id.
        model: String,
    },
    /// Could not load.
    Failed {
        /// Why (shown to the operator).
        message: String,
    },
}

impl Readiness {
    /// Serving requests.
    pub fn is_ready(&self) -> bool {
        matches!(self, Readiness::Ready { .. })
    }
}

/// Models: installed, active, install another.
pub trait Models: Send + Sync {
    /// Every model of the manifest.
    fn list(&self) -> Vec<ModelInfo>;
    /// Where loading stands.
    fn readiness(&self) -> Readiness;
    /// Install a model in the background.
    fn install(&self, id: &str) -> Result<(), ServiceError>;
}
