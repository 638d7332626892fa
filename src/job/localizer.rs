//! What the runner calls to localize one item: the [`Localizer`] trait;
//! [`PipelineLocalizer`], the full localization pipeline (every field
//! translated, protected spans kept, checked against the market profile), which
//! `silkroute batch` and the server use; and [`GenerateLocalizer`], a bare
//! title-only generation through any [`Generate`] engine, kept for the engine
//! benchmark and the runner's own tests; and [`DryRunLocalizer`], which does no
//! model work (`silkroute worker --dry-run`, to measure the queue itself).

use std::sync::Arc;

use crate::listing::{Listing, LocalizedListing, Provenance, Status, Warning};
use crate::llm::{ChatMessage, Generate, GenerateRequest, LlmError, Priority};
use crate::localize::{LocalizeError, LocalizeOptions, Pipeline};
use crate::market::{MarketError, MarketRegistry};

/// Why a localizer could not localize an item, accept a market, or be made for
/// a job. A failed item records it with its whole chain ([`LocalizerError::chain`]).
#[derive(Debug, thiserror::Error)]
pub enum LocalizerError {
    /// The market id names no market profile (the message lists the known ones).
    #[error(transparent)]
    Market(#[from] MarketError),
    /// A market the title-only localizer knows no language for.
    #[error("unknown market `{market}` (known: {known})")]
    UnknownMarket {
        /// The id asked for.
        market: String,
        /// The ids known, comma separated.
        known: String,
    },
    /// The localization pipeline failed.
    #[error(transparent)]
    Localize(#[from] LocalizeError),
    /// The engine failed.
    #[error(transparent)]
    Generate(#[from] LlmError),
    /// No model is loaded in this process.
    #[error("no model is loaded here")]
    NoModel,
    /// This process leaves the job to others (another model, another `--job`,
    /// the job unreadable for now).
    #[error("{0}")]
    NotHere(String),
    /// The job's localizer could not be made (its glossary, rates, options).
    #[error("job {job}: {source}")]
    Setup {
        /// The job.
        job: super::JobId,
        /// What failed.
        #[source]
        source: Box<super::JobError>,
    },
    /// Another part's error (the server's localizer), its chain kept.
    #[error(transparent)]
    Other(Box<dyn std::error::Error + Send + Sync>),
}

impl LocalizerError {
    /// The message and every cause not already in it (`a: b: c`), as a failed
    /// item records it.
    pub fn chain(&self) -> String {
        let mut out = self.to_string();
        let mut cause = std::error::Error::source(self);
        while let Some(c) = cause {
            let m = c.to_string();
            if !out.contains(&m) {
                out = format!("{out}: {m}");
            }
            cause = c.source();
        }
        out
    }
}

/// Localizes one listing for one market. Shared by the runner's workers, so it
/// must be thread-safe; calls block until the result is ready.
pub trait Localizer: Send + Sync {
    /// Localize `listing` for `market`. An `Err` is recorded as a failed item.
    fn localize(&self, listing: &Listing, market: &str)
    -> Result<LocalizedListing, LocalizerError>;

    /// The model (for provenance and the report).
    fn model_id(&self) -> String;

    /// Whether a market id is known, checked when a job is created so a typo
    /// fails before any work. The message names the known markets.
    fn check_market(&self, market: &str) -> Result<(), LocalizerError> {
        let _ = market;
        Ok(())
    }
}

/// The localization pipeline as a job's localizer: the market id names a
/// profile in the registry, and every item of a job is localized with the same
/// options (the job's glossary, rates, unit conversion), so a resumed job
/// produces what an uninterrupted one would.
pub struct PipelineLocalizer {
    pipeline: Arc<Pipeline>,
    markets: Arc<MarketRegistry>,
    options: LocalizeOptions,
}

impl PipelineLocalizer {
    /// Localize with `pipeline` into the profiles of `markets`, using `options`.
    pub fn new(
        pipeline: Arc<Pipeline>,
        markets: Arc<MarketRegistry>,
        options: LocalizeOptions,
    ) -> Self {
        Self {
            pipeline,
            markets,
            options,
        }
    }
}

impl Localizer for PipelineLocalizer {
    fn localize(
        &self,
        listing: &Listing,
        market: &str,
    ) -> Result<LocalizedListing, LocalizerError> {
        let profile = self.markets.get(market)?;
        Ok(self.pipeline.localize(listing, profile, &self.options)?)
    }

    fn model_id(&self) -> String {
        self.pipeline.model_id()
    }

    fn check_market(&self, market: &str) -> Result<(), LocalizerError> {
        self.markets.get(market)?;
        Ok(())
    }
}

/// Target language of the markets silkroute knows without a market profile.
const MARKET_LANGUAGES: &[(&str, &str, &str)] = &[
    ("amazon.com", "en", "English"),
    ("amazon.co.uk", "en", "English"),
    ("amazon.de", "de", "German"),
    ("amazon.fr", "fr", "French"),
    ("amazon.es", "es", "Spanish"),
    ("amazon.it", "it", "Italian"),
    ("amazon.nl", "nl", "Dutch"),
    ("amazon.co.jp", "ja", "Japanese"),
    ("etsy.com", "en", "English"),
    ("shopify", "en", "English"),
];

/// The target language (ISO 639-1, English name) of a market id.
pub fn market_language(market: &str) -> Option<(&'static str, &'static str)> {
    MARKET_LANGUAGES
        .iter()
        .find(|(m, _, _)| *m == market)
        .map(|(_, code, name)| (*code, *name))
}

/// A localizer that asks the model for the title's translation, one request
/// per item at [`Priority::Batch`] with greedy decoding, and carries the other
/// fields over untranslated (flagged with a warning and `needs_review`).
pub struct GenerateLocalizer {
    engine: Arc<dyn Generate>,
    max_tokens: usize,
}

impl GenerateLocalizer {
    /// Use `engine`, generating at most `max_tokens` per item.
    pub fn new(engine: Arc<dyn Generate>, max_tokens: usize) -> Self {
        Self { engine, max_tokens }
    }
}

impl Localizer for GenerateLocalizer {
    fn localize(
        &self,
        listing: &Listing,
        market: &str,
    ) -> Result<LocalizedListing, LocalizerError> {
        let (lang, lang_name) = market_language(market).ok_or_else(|| unknown_market(market))?;
        let mut req = GenerateRequest::new(
            vec![
                ChatMessage::system(format!(
                    "You translate product titles into {lang_name}. Reply with the translated title only."
                )),
                ChatMessage::user(listing.title.clone()),
            ],
            self.max_tokens,
        );
        req.priority = Priority::Batch;
        req.stop = vec!["\n".into()];
        let generation = self.engine.generate(req)?;
        let title = generation.text.trim().to_string();
        let mut warnings = Vec::new();
        if title.is_empty() {
            warnings.push(Warning {
                field: "title".into(),
                code: "empty_translation".into(),
                message: "the model returned an empty title".into(),
            });
        }
        if !listing.description.is_empty() || !listing.bullets.is_empty() {
            warnings.push(Warning {
                field: "description".into(),
                code: "not_translated".into(),
                message: "description and bullets were carried over untranslated".into(),
            });
        }
        Ok(LocalizedListing {
            sku: listing.sku.clone(),
            market: market.to_string(),
            language: lang.to_string(),
            title: if title.is_empty() {
                listing.title.clone()
            } else {
                title
            },
            description: listing.description.clone(),
            bullets: listing.bullets.clone(),
            attributes: listing.attributes.clone(),
            keywords: listing.keywords.clone(),
            price: listing.price.clone(),
            brand: listing.brand.clone(),
            category: listing.category.clone(),
            images: listing.images.clone(),
            status: if warnings.is_empty() {
                Status::Localized
            } else {
                Status::NeedsReview
            },
            warnings,
            conversions: Vec::new(),
            provenance: Provenance {
                model: self.engine.model_id(),
                created_at: chrono::Utc::now(),
            },
            roundtrip: Default::default(),
        })
    }

    fn model_id(&self) -> String {
        self.engine.model_id()
    }

    fn check_market(&self, market: &str) -> Result<(), LocalizerError> {
        market_language(market)
            .map(|_| ())
            .ok_or_else(|| unknown_market(market))
    }
}

fn unknown_market(market: &str) -> LocalizerError {
    LocalizerError::UnknownMarket {
        market: market.to_string(),
        known: MARKET_LANGUAGES
            .iter()
            .map(|m| m.0)
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// A localizer that does no model work: the source listing comes back as the
/// "localization" (flagged `needs_review`) after `delay`. `silkroute worker
/// --dry-run` uses it to measure what the queue itself costs, and the worker
/// tests to hold an item for a known time.
#[derive(Debug, Clone, Default)]
pub struct DryRunLocalizer {
    /// Time each item takes.
    pub delay: std::time::Duration,
}

impl Localizer for DryRunLocalizer {
    fn localize(
        &self,
        listing: &Listing,
        market: &str,
    ) -> Result<LocalizedListing, LocalizerError> {
        if !self.delay.is_zero() {
            std::thread::sleep(self.delay);
        }
        let lang = market_language(market).map_or("und", |l| l.0);
        Ok(LocalizedListing {
            sku: listing.sku.clone(),
            market: market.to_string(),
            language: lang.to_string(),
            title: listing.title.clone(),
            description: listing.description.clone(),
            bullets: listing.bullets.clone(),
            attributes: listing.attributes.clone(),
            keywords: listing.keywords.clone(),
            price: listing.price.clone(),
            brand: listing.brand.clone(),
            category: listing.category.clone(),
            images: listing.images.clone(),
            warnings: vec![Warning {
                field: "title".into(),
                code: "dry_run".into(),
                message: "not localized: a dry run".into(),
            }],
            conversions: Vec::new(),
            status: Status::NeedsReview,
            provenance: Provenance {
                model: self.model_id(),
                created_at: chrono::Utc::now(),
            },
            roundtrip: Default::default(),
        })
    }

    fn model_id(&self) -> String {
        "dry-run".into()
    }
}

/// Checks market ids only, against the market profiles: creating a job where
/// no model is loaded (the server before its model is ready, `batch
/// --wait-for-workers`). Localizing with it fails.
pub struct MarketsOnly(pub Arc<MarketRegistry>);

impl Localizer for MarketsOnly {
    fn localize(&self, _: &Listing, _: &str) -> Result<LocalizedListing, LocalizerError> {
        Err(LocalizerError::NoModel)
    }

    fn model_id(&self) -> String {
        String::new()
    }

    fn check_market(&self, market: &str) -> Result<(), LocalizerError> {
        self.0.get(market)?;
        Ok(())
    }
}
