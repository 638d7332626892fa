//! The real services behind the routes, one file per service: [`build`] (here)
//! opens the store (taking the data directory's lock), the search index, the
//! market profiles and prompt templates, starts installing and loading the
//! model on a background thread, and returns an [`AppState`] whose services are:
//!
//! - [`RealLocalizer`] (`localizer.rs`): the localization pipeline over the
//!   loaded engine, with the store as translation memory, the stored glossaries
//!   and the exchange rates ([`RateBook`](super::rates), kept in
//!   `<data dir>/rates.csv`).
//! - [`RealStore`] (`store.rs`): listings, localizations and glossaries.
//! - [`RealSearch`] (`search.rs`): the tantivy index in `<data dir>/index`.
//! - [`RealJobs`] (`jobs.rs`): catalog jobs on the job runner, which starts
//!   (and resumes unfinished jobs) once the model is loaded.
//! - [`RealModels`] (`models.rs`): the manifest, installed models and the
//!   loader's state.
//!
//! `Parts` (here) is what the localizer and the jobs share. The index is
//! written by one [`IndexFollower`], started here, that follows the store.
//! The pages answer while the model loads; `/readyz` says when it is ready.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use anyhow::Context;
use chrono::{DateTime, Utc};

use super::config::ServerConfig;
use super::rates::RateBook;
use super::services::ServiceError;
use super::state::{AppState, Services};
use crate::index::{self, IndexError, IndexFollower, IndexOptions, PairIndex, SearchIndex};
use crate::job::{self, CatalogOutput};
use crate::llm::{EngineOptions, Generate, Priority};
use crate::localize::{
    ExampleBank, Glossary, GlossaryEntry, LocalizeOptions, Pipeline, PipelineOptions,
    QualityConfig, Templates, Terminology, TranslationMemory,
};
use crate::market::MarketRegistry;
use crate::paths::DataDir;
use crate::store::{Store, StoreOptions};

mod jobs;
mod localizer;
mod models;
mod search;
mod store;

pub use jobs::RealJobs;
pub use localizer::RealLocalizer;
pub use models::RealModels;
pub use search::RealSearch;
pub use store::RealStore;

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

/// Open the search index; one written by another silkroute version (another
/// schema) is recreated and rebuilt from the store before serving, so an
/// upgrade never leaves the server unable to start.
fn open_index(data: &DataDir, store: &Store) -> anyhow::Result<SearchIndex> {
    let context = || format!("open the search index {}", data.index().display());
    match SearchIndex::open(&data.index()) {
        Err(IndexError::SchemaMismatch { .. }) => {
            tracing::warn!(
                dir = %data.index().display(),
                "the search index was built by another silkroute version: rebuilding it from the store"
            );
            let started = std::time::Instant::now();
            let index = SearchIndex::recreate(&data.index(), IndexOptions::default())
                .with_context(context)?;
            let done =
                index::rebuild_from_store(store, &index, &data.index_cursor(), &mut |i, n| {
                    tracing::info!("rebuilding the search index: {i}/{n} documents")
                })
                .context("rebuild the search index from the store")?;
            tracing::info!(
                documents = done.documents,
                secs = started.elapsed().as_secs_f64(),
                "search index rebuilt"
            );
            Ok(index)
        }
        other => other.with_context(context),
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
    let index = Arc::new(open_index(&data, &store)?);
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

/// An error the caller cannot fix, its chain of causes kept for the log.
fn internal(e: impl Into<anyhow::Error>) -> ServiceError {
    ServiceError::Internal(e.into())
}

/// [`internal`] for a message of our own.
fn internal_msg(m: impl std::fmt::Display) -> ServiceError {
    ServiceError::Internal(anyhow::anyhow!("{m}"))
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
            .map_err(|_| internal_msg("rates lock poisoned"))?
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::{SearchQuery, Sort};
    use crate::listing::{Listing, Status, Warning};

    #[test]
    fn an_index_of_another_schema_is_rebuilt_from_the_store_at_start() {
        use crate::listing::{LocalizedListing, Provenance};
        let dir = tempfile::tempdir().unwrap();
        let data = DataDir::at(dir.path());
        let store = Store::open(&data).unwrap();
        let listing = Listing {
            sku: "TS-1".into(),
            title: "Deep socket set 9/16 inch".into(),
            ..Default::default()
        };
        store.put_listing("form", &listing).unwrap();
        let warning = |code: &str| Warning {
            field: "title".into(),
            code: code.into(),
            message: "m".into(),
        };
        store
            .put_localization(&LocalizedListing {
                sku: "TS-1".into(),
                market: "amazon.de".into(),
                language: "de".into(),
                title: "Steckschlüsselsatz 9/16 Zoll".into(),
                description: String::new(),
                bullets: vec![],
                attributes: vec![],
                keywords: vec![],
                price: None,
                brand: None,
                category: None,
                images: vec![],
                warnings: vec![warning("untranslated"), warning("unit_unknown")],
                conversions: Vec::new(),
                roundtrip: Default::default(),
                status: Status::NeedsReview,
                provenance: Provenance {
                    model: "m".into(),
                    created_at: Utc::now(),
                },
            })
            .unwrap();
        // An index written by an older version: another schema.
        std::fs::create_dir_all(data.index()).unwrap();
        let mut b = tantivy::schema::Schema::builder();
        b.add_text_field("title", tantivy::schema::TEXT);
        drop(tantivy::Index::create_in_dir(data.index(), b.build()).unwrap());
        assert!(matches!(
            SearchIndex::open(&data.index()),
            Err(IndexError::SchemaMismatch { .. })
        ));

        let index = open_index(&data, &store).expect("rebuilt, not refused");
        let r = index
            .search(&SearchQuery {
                sort: Sort::Findings,
                ..SearchQuery::text("Steckschlüsselsatz")
            })
            .unwrap();
        assert_eq!(r.hits.len(), 1);
        assert_eq!(
            (r.hits[0].market.as_str(), r.hits[0].findings),
            ("amazon.de", 2)
        );
        let all = index.search(&SearchQuery::text("")).unwrap();
        assert_eq!(all.total, 2, "the source listing and its localization");
        assert!(index::FeedCursor::load(&data.index_cursor()).is_some());
    }
}
