//! The real services behind the routes: [`build`] opens the store (taking the
//! data directory's lock), the search index, the market profiles and prompt
//! templates, starts installing and loading the model on a background thread,
//! and returns an [`AppState`] whose services are:
//!
//! - [`RealLocalizer`]: the localization pipeline over the loaded engine, with
//!   the store as translation memory, the stored glossaries and the exchange
//!   rates ([`RateBook`](super::rates), kept in `<data dir>/rates.csv`).
//! - [`RealStore`]: listings, localizations and glossaries in SQLite.
//! - [`RealSearch`]: the tantivy index in `<data dir>/index`.
//! - [`RealJobs`]: catalog jobs on the job runner, which starts (and resumes
//!   unfinished jobs) once the model is loaded; every committed item is indexed.
//! - [`RealModels`]: the manifest, installed models and the loader's state.
//!
//! The pages answer while the model loads; `/readyz` says when it is ready.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use anyhow::Context;
use chrono::{DateTime, Utc};

use super::config::ServerConfig;
use super::rates::{RateBook, SetError};
use super::services::{
    EngineStats as ServiceEngineStats, ExchangeRate, Facet, GlossaryInfo, HistoryEntry, JobInfo,
    Jobs, ListingRecord, ListingStore, ListingSummary, LocalizationRecord, Localizer, MarketInfo,
    ModelInfo, Models, Readiness, RejectInfo, ResultFile, Search, SearchHit, SearchPage,
    SearchParams, ServiceError, SnippetPart, StoredUpload,
};
use super::state::{AppState, Services};
use crate::catalog::{self, ReadOptions};
use crate::index::{IndexDoc, IndexFollower, PairIndex, SearchIndex, SearchQuery, Sort};
use crate::job::{
    self, CatalogOutput, CatalogRecord, JobOptions, JobRunner, OutputWriter, RunnerOptions,
    StoredJobLocalizers, Worker, WorkerOptions,
};
use crate::listing::{Listing, LocalizedListing, Status, Warning};
use crate::llm::{
    Engine, EngineOptions, Event, Generate, GenerateRequest, GenerationHandle, LlmError, Manifest,
    Priority, ensure_installed, installed, resolve_model,
};
use crate::localize::{
    ExampleBank, FieldEvent, FieldKind, Glossary, GlossaryEntry, LocalizeError, LocalizeOptions,
    Pipeline, PipelineOptions, QualityConfig, Templates, Terminology, TranslationMemory,
    lint_bullet_count, lint_field,
};
use crate::market::MarketRegistry;
use crate::paths::DataDir;
use crate::store::{JobId, JobStatus, NewJob, RejectRow, Store, StoreOptions};

/// How long the index follower waits for a notification before polling the
/// store's feed anyway.
const FOLLOW_POLL: std::time::Duration = std::time::Duration::from_secs(2);

/// On a shared store, jobs are finished (outputs written from the store) by the
/// server, whoever did their items: a thread looks each second.
fn start_finisher(jobs: &Arc<RealJobs>) {
    let weak = Arc::downgrade(jobs);
    let spawned = std::thread::Builder::new()
        .name("job-finisher".into())
        .spawn(move || {
            loop {
                std::thread::sleep(std::time::Duration::from_secs(1));
                let Some(jobs) = weak.upgrade() else { return };
                if jobs.stopping.load(Ordering::Relaxed) {
                    return;
                }
                if let Err(e) = job::finish_done_jobs(&jobs.store, &CatalogOutput) {
                    tracing::warn!(error = %e, "finishing jobs failed; retrying");
                }
            }
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start the job finisher");
    }
}

/// Build the app's state from the configuration: open everything, start the
/// model loader, and return at once (the model loads in the background).
pub fn build(config: ServerConfig) -> anyhow::Result<AppState> {
    let data = config.data_dir.clone();
    std::fs::create_dir_all(data.root())
        .with_context(|| format!("create data dir {}", data.root().display()))?;
    let store = Arc::new(Store::open_at(
        &config.store,
        &data,
        &StoreOptions::default(),
        "silkroute serve",
    )?);
    let index = Arc::new(
        SearchIndex::open(&data.index())
            .with_context(|| format!("open the search index {}", data.index().display()))?,
    );
    // The one writer of the index: it follows every change in the store, made
    // here or by a worker anywhere.
    let follower = IndexFollower::start(
        store.clone(),
        index.clone(),
        data.index_cursor(),
        FOLLOW_POLL,
    );
    let markets = Arc::new(MarketRegistry::with_user_dir(&data.markets())?);
    // A bad rates file is reported and set aside, never a reason not to start.
    let (rates, problem) = RateBook::load(&data.root().join("rates.csv"));
    if let Some(p) = problem {
        tracing::error!("{p}");
    }
    let quality = QualityConfig::builtin()?;
    let bank = Arc::new(open_bank(&data, &quality)?);
    let parts = Arc::new(Parts {
        bank,
        quality,
        markets,
        templates: Arc::new(Templates::builtin()?),
        terminology: Arc::new(Terminology::builtin()?),
        store: store.clone(),
        rates: RwLock::new(rates),
        localize_timeout: config.localize_timeout,
    });
    let models = RealModels::new(&config);
    let localizer = Arc::new(RealLocalizer {
        parts: parts.clone(),
        models: models.clone(),
    });
    let jobs = Arc::new(RealJobs {
        data: data.clone(),
        store: store.clone(),
        index: index.clone(),
        parts: parts.clone(),
        runner: OnceLock::new(),
        stopping: AtomicBool::new(false),
        currency: RwLock::new(config.currency.clone()),
        config_file: config.config_file.clone(),
        workers: config.workers,
        worker: Mutex::new(None),
        follower: Mutex::new(Some(follower)),
        model_file: job::model_file_for(config.model.as_deref()).map_err(anyhow::Error::new)?,
    });
    if store.is_shared() {
        start_finisher(&jobs);
    }
    {
        let (jobs, localizer) = (jobs.clone(), localizer.clone());
        models.start_loading(
            EngineOptions::default(),
            Box::new(move |engine| jobs.start_runner(localizer, engine)),
        );
    }
    let services = Services {
        localizer,
        store: Arc::new(RealStore {
            store: store.clone(),
            bank: parts.bank.clone(),
        }),
        search: Arc::new(RealSearch { index }),
        jobs,
        models,
    };
    AppState::new(config, services)
}

/// The built-in example bank (indexed in RAM) with the data directory's
/// seller bank in front of it. A seller bank that cannot be opened is reported
/// and left out, never a reason not to start.
fn open_bank(data: &DataDir, quality: &QualityConfig) -> anyhow::Result<ExampleBank> {
    let started = std::time::Instant::now();
    let mut bank = ExampleBank::builtin(quality.retrieval_options())?;
    match PairIndex::open(&data.bank()) {
        Ok(seller) => bank = bank.with_seller(seller),
        Err(e) => tracing::error!(
            "the seller's example bank in {} is not used: {e}",
            data.bank().display()
        ),
    }
    let (builtin, seller) = bank.len();
    tracing::info!(
        builtin,
        seller,
        ms = started.elapsed().as_millis() as u64,
        "example bank loaded"
    );
    Ok(bank)
}

fn internal(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Internal(anyhow::anyhow!("{e}"))
}

fn parse_time(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|_| Utc::now())
}

// ---------------------------------------------------------------------------
// Shared parts of the localizer and the jobs.

struct Parts {
    /// Worked examples: the seller's reviewed translations, then the built-in bank.
    bank: Arc<ExampleBank>,
    /// Retrieval, best-of-N and round-trip settings.
    quality: QualityConfig,
    markets: Arc<MarketRegistry>,
    templates: Arc<Templates>,
    terminology: Arc<Terminology>,
    store: Arc<Store>,
    /// The exchange rates (`<data dir>/rates.csv`).
    rates: RwLock<RateBook>,
    /// How long an interactive localization waits for room in the model's queue.
    localize_timeout: std::time::Duration,
}

impl Parts {
    /// What a localization for `target_lang` runs with: the stored glossaries
    /// for that language (and for every language), merged in memory (each was
    /// validated when it was stored), and the exchange rates.
    fn options(&self, target_lang: &str) -> Result<LocalizeOptions, ServiceError> {
        let mut entries = Vec::new();
        for name in self.store.glossary_names().map_err(internal)? {
            let Some(g) = self.store.glossary(&name).map_err(internal)? else {
                continue;
            };
            if g.target_lang != target_lang && g.target_lang != "*" {
                continue;
            }
            entries.extend(g.entries.into_iter().map(|e| GlossaryEntry {
                target: (!e.target.is_empty()).then_some(e.target),
                source: e.source,
                language: g.target_lang.clone(),
            }));
        }
        let rates = self
            .rates
            .read()
            .map_err(|_| internal("rates lock poisoned"))?
            .parsed();
        Ok(LocalizeOptions {
            glossary: Glossary::from_entries(entries),
            rates: rates.map(|r| (*r).clone()),
            ..LocalizeOptions::default()
        })
    }

    fn pipeline(&self, generator: Arc<dyn Generate>, priority: Priority) -> Pipeline {
        let tm: Arc<dyn TranslationMemory> = self.store.clone();
        Pipeline::new(
            generator,
            self.templates.clone(),
            self.terminology.clone(),
            PipelineOptions {
                tm: Some(tm),
                priority,
                // A person waits for an interactive request: its deadline is
                // the server's; batch work waits as long as the queue needs.
                queue_wait: match priority {
                    Priority::Interactive => self.localize_timeout,
                    Priority::Batch => std::time::Duration::from_secs(3600),
                },
                quality: self.quality.options(Some(self.bank.clone())),
                ..PipelineOptions::default()
            },
        )
    }
}

// ---------------------------------------------------------------------------
// Models: install on first use, load in the background.

type OnReady = Box<dyn FnOnce(Arc<Engine>) + Send>;

/// The real [`Models`] service: the manifest, the data dir's installed models,
/// and the engine loaded on a background thread.
pub struct RealModels {
    data: DataDir,
    model: Option<String>,
    offline: bool,
    readiness: RwLock<Readiness>,
    engine: OnceLock<Arc<Engine>>,
    active_path: Mutex<Option<PathBuf>>,
    /// Models being installed now: a second request for one joins the first.
    installing: Arc<InstallSet>,
}

/// The ids being installed; [`InstallSet::begin`] hands out one guard per id.
#[derive(Default)]
struct InstallSet(Mutex<std::collections::HashSet<String>>);

/// Removes its id from the set when dropped (the install ended either way).
struct Installing(Arc<InstallSet>, String);

impl InstallSet {
    /// A guard for `id`, or `None` when it is being installed already.
    fn begin(self: &Arc<Self>, id: &str) -> Option<Installing> {
        let mut set = self.0.lock().unwrap_or_else(|p| p.into_inner());
        set.insert(id.to_string())
            .then(|| Installing(self.clone(), id.to_string()))
    }
}

impl Drop for Installing {
    fn drop(&mut self) {
        let mut set = (self.0).0.lock().unwrap_or_else(|p| p.into_inner());
        set.remove(&self.1);
    }
}

impl RealModels {
    fn new(config: &ServerConfig) -> Arc<Self> {
        Arc::new(Self {
            data: config.data_dir.clone(),
            model: config.model.clone(),
            offline: config.offline,
            readiness: RwLock::new(Readiness::Loading {
                model: config.model.clone().unwrap_or_else(|| "default".into()),
            }),
            engine: OnceLock::new(),
            active_path: Mutex::new(None),
            installing: Arc::default(),
        })
    }

    fn set(&self, r: Readiness) {
        if let Ok(mut g) = self.readiness.write() {
            *g = r;
        }
    }

    /// The loaded engine, or `NotReady` saying where loading stands.
    fn engine(&self) -> Result<Arc<Engine>, ServiceError> {
        if let Some(e) = self.engine.get() {
            return Ok(e.clone());
        }
        Err(ServiceError::NotReady(match self.readiness() {
            Readiness::Installing { model } => format!("installing the model {model}"),
            Readiness::Loading { model } => format!("loading the model {model}"),
            Readiness::Failed { message } => format!("the model failed to load: {message}"),
            Readiness::Ready { .. } => "the model is starting".into(),
        }))
    }

    /// Install (if needed) and load the model on a background thread, then
    /// call `on_ready` with the engine.
    fn start_loading(self: &Arc<Self>, opts: EngineOptions, on_ready: OnReady) {
        let me = self.clone();
        let spawned = std::thread::Builder::new()
            .name("model-loader".into())
            .spawn(move || me.load(opts, on_ready));
        if let Err(e) = spawned {
            self.set(Readiness::Failed {
                message: format!("cannot start the loader thread: {e}"),
            });
        }
    }

    fn load(&self, opts: EngineOptions, on_ready: OnReady) {
        let label = self.model.clone().unwrap_or_else(|| {
            Manifest::builtin()
                .map(|m| m.default_model().id.clone())
                .unwrap_or_else(|_| "default".into())
        });
        let needs_install = Manifest::builtin()
            .ok()
            .and_then(|m| m.get(&label).cloned())
            .is_some_and(|e| installed(&self.data, &e).is_none());
        if needs_install {
            self.set(Readiness::Installing {
                model: label.clone(),
            });
        }
        let path = match resolve_model(&self.data, self.model.as_deref(), self.offline) {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(error = %e, "model install failed");
                self.set(Readiness::Failed {
                    message: e.to_string(),
                });
                return;
            }
        };
        self.set(Readiness::Loading {
            model: label.clone(),
        });
        let t = std::time::Instant::now();
        match Engine::load(&path, opts) {
            Ok(engine) => {
                let engine = Arc::new(engine);
                let _ = self.engine.set(engine.clone());
                if let Ok(mut p) = self.active_path.lock() {
                    *p = Some(path);
                }
                tracing::info!(
                    model = label,
                    secs = t.elapsed().as_secs_f64(),
                    "model ready"
                );
                on_ready(engine);
                self.set(Readiness::Ready { model: label });
            }
            Err(e) => {
                tracing::error!(error = %e, "model load failed");
                self.set(Readiness::Failed {
                    message: e.to_string(),
                });
            }
        }
    }
}

impl Models for RealModels {
    fn list(&self) -> Vec<ModelInfo> {
        let Ok(m) = Manifest::builtin() else {
            return Vec::new();
        };
        let active = self.active_path.lock().ok().and_then(|p| p.clone());
        let mut out: Vec<ModelInfo> = m
            .models()
            .iter()
            .map(|e| {
                let path = installed(&self.data, e);
                ModelInfo {
                    id: e.id.clone(),
                    description: format!(
                        "{} ({}, {}, {})",
                        e.upstream,
                        e.role.name(),
                        e.quantization,
                        e.license
                    ),
                    size_bytes: e.size,
                    active: path.is_some() && path == active,
                    installed: path.is_some(),
                }
            })
            .collect();
        if let Some(p) = active
            && !out.iter().any(|m| m.active)
        {
            out.push(ModelInfo {
                id: p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                description: "a GGUF file given with --model".into(),
                size_bytes: std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0),
                installed: true,
                active: true,
            });
        }
        out
    }

    fn readiness(&self) -> Readiness {
        self.readiness
            .read()
            .map(|r| r.clone())
            .unwrap_or(Readiness::Failed {
                message: "the loader's state is poisoned".into(),
            })
    }

    fn install(&self, id: &str) -> Result<(), ServiceError> {
        let m = Manifest::builtin().map_err(|e| anyhow::anyhow!("manifest: {e}"))?;
        if m.get(id).is_none() {
            return Err(ServiceError::NotFound(format!(
                "model `{}`",
                id.chars().take(64).collect::<String>()
            )));
        }
        if self.offline {
            return Err(ServiceError::Conflict(
                "the server runs --offline; install with `silkroute models install`".into(),
            ));
        }
        let Some(guard) = self.installing.begin(id) else {
            return Ok(()); // already being installed: one download, not N
        };
        let (data, id) = (self.data.clone(), id.to_string());
        std::thread::spawn(move || {
            let _guard = guard;
            match ensure_installed(&data, &id, false) {
                Ok(p) => tracing::info!(model = id, path = %p.display(), "model installed"),
                Err(e) => tracing::error!(model = id, error = %e, "model install failed"),
            }
        });
        Ok(())
    }
}

/// A `Generate` that cancels its requests once `cancel` is set: each request's
/// events pass through a small forwarding thread, which checks the flag every
/// [`CANCEL_POLL`] (not only when the engine sends something: a request still
/// queued sends nothing) and then cancels the engine's handle, which purges a
/// queued request at once and stops a running one at the next step.
struct CancellableGenerate {
    inner: Arc<dyn Generate>,
    cancel: Arc<AtomicBool>,
}

/// How often a forwarding thread, or a submitter waiting for queue room,
/// looks at the cancel flag.
const CANCEL_POLL: std::time::Duration = std::time::Duration::from_millis(20);

impl CancellableGenerate {
    fn forward(&self, inner: GenerationHandle) -> GenerationHandle {
        let (tx, rx) = std::sync::mpsc::channel();
        let mine = Arc::new(AtomicBool::new(false));
        let (cancel, mine2) = (self.cancel.clone(), mine.clone());
        std::thread::spawn(move || {
            loop {
                if cancel.load(Ordering::Relaxed) || mine2.load(Ordering::Relaxed) {
                    inner.cancel();
                    let _ = tx.send(Event::Error(LlmError::Cancelled));
                    return;
                }
                match inner.recv_timeout(CANCEL_POLL) {
                    Ok(ev @ Event::Delta(_)) => {
                        if tx.send(ev).is_err() {
                            return; // dropping `inner` cancels
                        }
                    }
                    Ok(ev) => {
                        let _ = tx.send(ev);
                        return;
                    }
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                    Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return,
                }
            }
        });
        GenerationHandle::new(rx, mine)
    }
}

impl Generate for CancellableGenerate {
    fn model_id(&self) -> String {
        self.inner.model_id()
    }

    fn submit(&self, req: GenerateRequest) -> Result<GenerationHandle, LlmError> {
        if self.cancel.load(Ordering::Relaxed) {
            return Err(LlmError::Cancelled);
        }
        let inner = self.inner.submit(req)?;
        Ok(self.forward(inner))
    }

    fn submit_until(
        &self,
        req: GenerateRequest,
        deadline: std::time::Instant,
    ) -> Result<GenerationHandle, LlmError> {
        // Wait for room in slices, so a caller who leaves stops waiting too.
        loop {
            if self.cancel.load(Ordering::Relaxed) {
                return Err(LlmError::Cancelled);
            }
            let slice = (std::time::Instant::now() + CANCEL_POLL).min(deadline);
            match self.inner.submit_until(req.clone(), slice) {
                Err(LlmError::QueueFull(_)) if std::time::Instant::now() < deadline => continue,
                Err(e) => return Err(e),
                Ok(inner) => return Ok(self.forward(inner)),
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Localizer.

/// The localization pipeline over the loaded engine.
pub struct RealLocalizer {
    parts: Arc<Parts>,
    models: Arc<RealModels>,
}

fn localize_error(e: LocalizeError, cancel: &AtomicBool) -> ServiceError {
    if cancel.load(Ordering::Relaxed) {
        return ServiceError::Cancelled;
    }
    match e {
        LocalizeError::Listing(e) => ServiceError::Invalid {
            field: "listing".into(),
            message: e.to_string(),
        },
        LocalizeError::Html(m) => ServiceError::Invalid {
            field: "description".into(),
            message: m,
        },
        LocalizeError::Llm(LlmError::QueueFull(n)) => {
            ServiceError::Busy(format!("{n} requests are waiting for the model"))
        }
        LocalizeError::Llm(LlmError::Cancelled) => ServiceError::Cancelled,
        other => ServiceError::Internal(anyhow::Error::new(other)),
    }
}

impl RealLocalizer {
    fn run(
        &self,
        listing: &Listing,
        market: &str,
        cancel: &Arc<AtomicBool>,
        priority: Priority,
        on_field: &mut dyn FnMut(&str, &str),
    ) -> Result<LocalizedListing, ServiceError> {
        let profile = self
            .parts
            .markets
            .get(market)
            .map_err(|e| ServiceError::Invalid {
                field: "market".into(),
                message: e.to_string(),
            })?;
        let engine: Arc<dyn Generate> = self.models.engine()?;
        let generator = Arc::new(CancellableGenerate {
            inner: engine,
            cancel: cancel.clone(),
        });
        let pipeline = self.parts.pipeline(generator, priority);
        let opts = self.parts.options(&profile.language)?;
        pipeline
            .localize_with_progress(listing, profile, &opts, &mut |ev| {
                if let FieldEvent::Done { field, text, .. } = ev {
                    on_field(&field, &text);
                }
            })
            .map_err(|e| localize_error(e, cancel))
    }
}

impl Localizer for RealLocalizer {
    fn markets(&self) -> Vec<MarketInfo> {
        self.parts
            .markets
            .iter()
            .map(|p| MarketInfo {
                id: p.id.clone(),
                name: p.name.clone(),
                language: p.language.clone(),
                currency: p.currency.clone(),
            })
            .collect()
    }

    fn localize(
        &self,
        listing: &Listing,
        market: &str,
        cancel: &Arc<AtomicBool>,
        on_field: &mut dyn FnMut(&str, &str),
    ) -> Result<LocalizedListing, ServiceError> {
        self.run(listing, market, cancel, Priority::Interactive, on_field)
    }

    fn check(
        &self,
        listing: &Listing,
        localized: &LocalizedListing,
    ) -> Result<Vec<Warning>, ServiceError> {
        let profile =
            self.parts
                .markets
                .get(&localized.market)
                .map_err(|e| ServiceError::Invalid {
                    field: "market".into(),
                    message: e.to_string(),
                })?;
        let brand = listing.brand.as_deref();
        let mut out = Vec::new();
        let mut push = |field: String, v: crate::localize::Violation| {
            out.push(Warning {
                field,
                code: v.rule.to_string(),
                message: v.message,
            })
        };
        for v in lint_field(FieldKind::Title, &localized.title, profile, brand) {
            push("title".into(), v);
        }
        for (i, b) in localized.bullets.iter().enumerate() {
            for v in lint_field(FieldKind::Bullet, b, profile, brand) {
                push(format!("bullets[{i}]"), v);
            }
        }
        if let Some(v) = lint_bullet_count(localized.bullets.len(), profile) {
            push("bullets".into(), v);
        }
        for v in lint_field(
            FieldKind::Description,
            &localized.description,
            profile,
            brand,
        ) {
            push("description".into(), v);
        }
        for v in lint_field(
            FieldKind::SearchTerms,
            &localized.keywords.join(" "),
            profile,
            brand,
        ) {
            push("keywords".into(), v);
        }
        // Numbers are the seller's facts: every number of the source title must
        // still be in the edited one.
        for n in numbers_in(&listing.title) {
            if !numbers_in(&localized.title).contains(&n) {
                out.push(Warning {
                    field: "title".into(),
                    code: "number_changed".into(),
                    message: format!("the source title's number {n} is missing"),
                });
            }
        }
        Ok(out)
    }

    fn rates(&self) -> Vec<ExchangeRate> {
        self.parts
            .rates
            .read()
            .map(|r| {
                r.all()
                    .map(|(from, to, rate)| ExchangeRate {
                        from: from.to_string(),
                        to: to.to_string(),
                        rate: rate.to_string(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn set_rate(&self, rate: ExchangeRate) -> Result<(), ServiceError> {
        let mut book = self
            .parts
            .rates
            .write()
            .map_err(|_| internal("rates lock poisoned"))?;
        book.set(&rate.from, &rate.to, &rate.rate)
            .map_err(|e| match e {
                SetError::Invalid(e) => ServiceError::Invalid {
                    field: e.field.into(),
                    message: e.message,
                },
                SetError::Io(e) => internal(format!("write rates.csv: {e}")),
            })
    }

    fn engine_stats(&self) -> ServiceEngineStats {
        let Some(e) = self.models.engine.get() else {
            return ServiceEngineStats::default();
        };
        let s = e.stats();
        let secs = s.decode_secs + s.prefill_secs;
        ServiceEngineStats {
            queue_depth: (s.queued + s.running) as u64,
            tokens_per_second: if secs > 0.0 {
                s.generated_tokens as f64 / secs
            } else {
                0.0
            },
            tokens_total: s.generated_tokens,
        }
    }
}

/// The digit runs of a text (`500`, `1.5`), for the edit check.
fn numbers_in(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() || (!cur.is_empty() && (c == '.' || c == ',')) {
            cur.push(c);
        } else if !cur.is_empty() {
            out.push(cur.trim_end_matches(['.', ',']).to_string());
            cur.clear();
        }
    }
    if !cur.is_empty() {
        out.push(cur.trim_end_matches(['.', ',']).to_string());
    }
    out
}

/// The batch side of the localizer: what the job runner calls, at batch
/// priority, never cancelled by a client.
struct JobLocalizer {
    real: Arc<RealLocalizer>,
}

impl job::Localizer for JobLocalizer {
    fn localize(&self, listing: &Listing, market: &str) -> Result<LocalizedListing, String> {
        let never = Arc::new(AtomicBool::new(false));
        self.real
            .run(listing, market, &never, Priority::Batch, &mut |_, _| {})
            .map_err(|e| e.to_string())
    }

    fn model_id(&self) -> String {
        self.real
            .models
            .engine
            .get()
            .map(|e| e.model_id())
            .unwrap_or_default()
    }

    fn check_market(&self, market: &str) -> Result<(), String> {
        self.real
            .parts
            .markets
            .get(market)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

// ---------------------------------------------------------------------------
// Store.

/// Listings, localizations and glossaries in the SQLite store.
pub struct RealStore {
    store: Arc<Store>,
    /// The example bank reviewed translations join.
    bank: Arc<ExampleBank>,
}

/// Most glossary name characters.
const MAX_GLOSSARY_NAME: usize = 64;

fn record(store: &Store, sku: &str) -> Result<Option<ListingRecord>, ServiceError> {
    let Some(listing) = store.listing(sku).map_err(internal)? else {
        return Ok(None);
    };
    let mut localizations = Vec::new();
    for cur in store.localizations_of(sku).map_err(internal)? {
        let market = cur.listing.market.clone();
        let mut history: Vec<HistoryEntry> = store
            .localization_history(sku, &market)
            .map_err(internal)?
            .into_iter()
            .map(|h| history_entry(&h.listing, h.version, &h.updated_at))
            .collect();
        history.push(history_entry(&cur.listing, cur.version, &cur.updated_at));
        localizations.push(LocalizationRecord {
            localized: cur.listing,
            history,
        });
    }
    Ok(Some(ListingRecord {
        listing,
        localizations,
    }))
}

fn history_entry(l: &LocalizedListing, version: u32, at: &str) -> HistoryEntry {
    let note = match (version, l.status) {
        (_, Status::Approved) => "approved",
        (1, _) => "localized",
        _ => "edited",
    };
    HistoryEntry {
        at: parse_time(at),
        status: l.status,
        note: note.into(),
    }
}

impl ListingStore for RealStore {
    fn put_listing(&self, listing: &Listing) -> Result<(), ServiceError> {
        self.store.put_listing("form", listing).map_err(internal)
    }

    fn get(&self, sku: &str) -> Result<Option<ListingRecord>, ServiceError> {
        record(&self.store, sku)
    }

    fn list(&self, limit: usize, offset: usize) -> Result<Vec<ListingSummary>, ServiceError> {
        let page = self
            .store
            .listing_page(limit.min(1000), offset)
            .map_err(internal)?;
        let mut out = Vec::with_capacity(page.len());
        for (l, _) in page {
            let markets = self
                .store
                .localizations_of(&l.sku)
                .map_err(internal)?
                .into_iter()
                .map(|s| (s.listing.market, s.listing.status.as_str().to_string()))
                .collect();
            out.push(ListingSummary {
                sku: l.sku,
                title: l.title,
                markets,
            });
        }
        Ok(out)
    }

    fn save_localization(&self, loc: &LocalizedListing, note: &str) -> Result<(), ServiceError> {
        tracing::debug!(
            sku = loc.sku,
            market = loc.market,
            note,
            "save localization"
        );
        self.store.put_localization(loc).map_err(internal)?;
        super::learn::learn_from_review(&self.store, &self.bank, loc, note);
        Ok(())
    }

    fn delete(&self, sku: &str) -> Result<bool, ServiceError> {
        self.store.delete_listing(sku).map_err(internal)
    }

    fn glossaries(&self) -> Result<Vec<GlossaryInfo>, ServiceError> {
        let mut out = Vec::new();
        for name in self.store.glossary_names().map_err(internal)? {
            if let Some(g) = self.store.glossary(&name).map_err(internal)? {
                out.push(GlossaryInfo {
                    name,
                    entries: g.entries.len(),
                });
            }
        }
        Ok(out)
    }

    fn glossary(&self, name: &str) -> Result<Option<String>, ServiceError> {
        let Some(g) = self.store.glossary(name).map_err(internal)? else {
            return Ok(None);
        };
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut row = |cells: [&str; 3]| w.write_record(cells).map_err(internal);
        row(["source", "target_lang", "target"])?;
        for e in &g.entries {
            row([e.source.as_str(), g.target_lang.as_str(), e.target.as_str()])?;
        }
        let bytes = w.into_inner().map_err(internal)?;
        Ok(Some(String::from_utf8(bytes).map_err(internal)?))
    }

    fn delete_glossary(&self, name: &str) -> Result<bool, ServiceError> {
        self.store.delete_glossary(name).map_err(internal)
    }

    fn put_glossary(&self, name: &str, csv: &str) -> Result<GlossaryInfo, ServiceError> {
        let invalid = |field: &str, message: String| ServiceError::Invalid {
            field: field.into(),
            message,
        };
        if name.is_empty()
            || name.len() > MAX_GLOSSARY_NAME
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
        {
            return Err(invalid(
                "name",
                "use 1 to 64 of a-z, 0-9, `_` and `-`".into(),
            ));
        }
        let parsed = Glossary::from_csv(csv, name).map_err(|e| invalid("file", e.to_string()))?;
        // The store keeps one target language per glossary.
        let mut lang: Option<&str> = None;
        for (i, e) in parsed.entries().iter().enumerate() {
            match lang {
                None => lang = Some(&e.language),
                Some(l) if l != e.language => {
                    return Err(invalid(
                        "file",
                        format!(
                            "{name}: row {}: target language `{}` after `{l}`; a glossary holds one target language (or `*`): upload one per language",
                            i + 2,
                            e.language
                        ),
                    ));
                }
                _ => {}
            }
        }
        let g = crate::store::Glossary {
            name: name.to_string(),
            source_lang: "*".into(),
            target_lang: lang.unwrap_or("*").to_string(),
            entries: parsed
                .entries()
                .iter()
                .map(|e| crate::store::GlossaryEntry {
                    source: e.source.clone(),
                    target: e.target.clone().unwrap_or_default(),
                    note: String::new(),
                })
                .collect(),
        };
        self.store.put_glossary(&g).map_err(internal)?;
        Ok(GlossaryInfo {
            name: name.to_string(),
            entries: g.entries.len(),
        })
    }
}

// ---------------------------------------------------------------------------
// Search.

/// The tantivy index.
pub struct RealSearch {
    index: Arc<SearchIndex>,
}

/// Split the index's escaped, `<mark>`ed snippet into plain parts.
fn snippet_parts(html: &str) -> Vec<SnippetPart> {
    let mut out = Vec::new();
    let mut rest = html;
    while !rest.is_empty() {
        let (before, hl, after) = match rest.find("<mark>") {
            Some(i) => {
                let tail = &rest[i + 6..];
                let end = tail.find("</mark>").unwrap_or(tail.len());
                (&rest[..i], &tail[..end], tail.get(end + 7..).unwrap_or(""))
            }
            None => (rest, "", ""),
        };
        if !before.is_empty() {
            out.push(SnippetPart {
                text: unescape(before),
                hl: false,
            });
        }
        if !hl.is_empty() {
            out.push(SnippetPart {
                text: unescape(hl),
                hl: true,
            });
        }
        rest = after;
    }
    out
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
}

/// Largest page of search results.
const MAX_SEARCH_LIMIT: usize = 100;

impl Search for RealSearch {
    fn search(&self, p: &SearchParams) -> Result<SearchPage, ServiceError> {
        let per_page = p.limit.unwrap_or(20).clamp(1, MAX_SEARCH_LIMIT);
        let status = match p.status.as_deref().filter(|s| !s.is_empty()) {
            Some(s) => Some(Status::parse(s).ok_or_else(|| ServiceError::Invalid {
                field: "status".into(),
                message: "one of draft, localized, needs_review, approved".into(),
            })?),
            None => None,
        };
        let nonempty = |o: &Option<String>| o.clone().filter(|s| !s.trim().is_empty());
        let q = SearchQuery {
            text: p.q.clone(),
            market: nonempty(&p.market),
            lang: nonempty(&p.language),
            status,
            brand: nonempty(&p.brand),
            category: nonempty(&p.category),
            min_price: p.min_price,
            max_price: p.max_price,
            sort: match p.sort.as_deref().filter(|s| !s.is_empty()) {
                Some(s) => Sort::parse(s).ok_or_else(|| ServiceError::Invalid {
                    field: "sort".into(),
                    message: "one of relevance, price, price_desc, updated".into(),
                })?,
                None => Sort::Relevance,
            },
            page: p.offset.unwrap_or(0) / per_page + 1,
            per_page,
        };
        let r = self.index.search(&q).map_err(|e| ServiceError::Invalid {
            field: "q".into(),
            message: e.to_string(),
        })?;
        let facet = |field: &str, counts: Vec<(String, u64)>| Facet {
            field: field.into(),
            counts,
        };
        Ok(SearchPage {
            total: r.total as usize,
            hits: r
                .hits
                .into_iter()
                .map(|h| SearchHit {
                    sku: h.sku,
                    market: h.market,
                    language: h.language,
                    title: h.title,
                    status: h.status.as_str().to_string(),
                    snippet: snippet_parts(&h.snippet_html),
                    score: h.score,
                })
                .collect(),
            facets: vec![
                facet("market", r.facets.market),
                facet("language", r.facets.language),
                facet("status", r.facets.status),
                facet("brand", r.facets.brand),
                facet("category", r.facets.category),
            ],
        })
    }

    fn upsert(&self, record: &ListingRecord) -> Result<(), ServiceError> {
        let now = Utc::now();
        let status = if record.localizations.is_empty() {
            Status::Draft
        } else {
            Status::Localized
        };
        self.index
            .upsert(&IndexDoc::from_source(&record.listing, status, now))
            .map_err(internal)?;
        for l in &record.localizations {
            self.index
                .upsert(&IndexDoc::from_localized(&l.localized, now))
                .map_err(internal)?;
        }
        self.index.commit().map_err(internal)?;
        Ok(())
    }

    fn remove(&self, sku: &str) -> Result<(), ServiceError> {
        self.index.delete_listing(sku).map_err(internal)?;
        self.index.commit().map_err(internal)
    }
}

// ---------------------------------------------------------------------------
// Jobs.

/// Catalog jobs: created from uploads, run by the job runner once the model is
/// loaded; each committed item is indexed.
pub struct RealJobs {
    data: DataDir,
    store: Arc<Store>,
    index: Arc<SearchIndex>,
    parts: Arc<Parts>,
    runner: OnceLock<JobRunner>,
    stopping: AtomicBool,
    /// Currency of catalog prices that name none.
    currency: RwLock<Option<String>>,
    /// Where the default currency is saved.
    config_file: PathBuf,
    /// Job items worked on here at once.
    workers: usize,
    /// On a shared store: this server's worker.
    worker: Mutex<Option<Worker>>,
    follower: Mutex<Option<IndexFollower>>,
    /// The model jobs created here name (workers must run it).
    model_file: PathBuf,
}

/// Most rejects shown on a job page (and sent with each progress event).
const MAX_REJECTS_SHOWN: usize = 100;

impl RealJobs {
    /// Start the runner (the model is loaded) and resume unfinished jobs.
    fn start_runner(&self, localizer: Arc<RealLocalizer>, engine: Arc<Engine>) {
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
            let now = Utc::now();
            if let Ok(Some(src)) = store.listing(&loc.sku) {
                let _ = index.upsert(&IndexDoc::from_source(&src, Status::Localized, now));
            }
            if let Err(e) = index
                .upsert(&IndexDoc::from_localized(loc, now))
                .and_then(|_| index.commit())
            {
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

    fn info(&self, j: &crate::store::Job) -> Result<JobInfo, ServiceError> {
        let progress = self.runner.get().and_then(|r| r.progress(j.id).ok());
        let state = match j.status {
            JobStatus::Enqueued | JobStatus::Paused => "queued",
            JobStatus::Running => "running",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Failed => "failed",
            JobStatus::Canceled => "cancelled",
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
    fn shared_job_options(&self) -> Result<JobOptions, ServiceError> {
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
            .map_err(|_| internal("rates lock poisoned"))?
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

    fn id(id: &str) -> Result<JobId, ServiceError> {
        id.parse::<JobId>().map_err(|_| {
            ServiceError::NotFound(format!("job `{}`", id.chars().take(32).collect::<String>()))
        })
    }

    fn job(&self, id: &str) -> Result<crate::store::Job, ServiceError> {
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
            job::JobError::Market(m) => invalid("markets", m),
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
            .map(|c| super::config::currency_code(&c))
            .transpose()
            .map_err(|e| ServiceError::Invalid {
                field: "currency".into(),
                message: e.to_string(),
            })?;
        super::config::save_currency(&self.config_file, currency.as_deref())
            .map_err(|e| ServiceError::Internal(e.context("save the default currency")))?;
        *self
            .currency
            .write()
            .map_err(|_| internal("currency lock poisoned"))? = currency;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_is_installed_once_at_a_time() {
        let set = Arc::new(InstallSet::default());
        let first = set.begin("m").expect("first install starts");
        assert!(set.begin("m").is_none(), "a second click joins the first");
        assert!(set.begin("other").is_some());
        drop(first);
        assert!(
            set.begin("m").is_some(),
            "after it ended, it can start again"
        );
    }
}
