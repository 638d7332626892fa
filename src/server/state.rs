//! `AppState`: what every handler gets — the configuration, the services (as
//! `Arc<dyn Trait>`), the page templates, the metrics and the admission
//! semaphore that bounds interactive work. Cheap to clone.

use std::sync::Arc;

use tokio::sync::Semaphore;

use super::config::ServerConfig;
use super::metrics::Metrics;
use super::services::{Jobs, ListingStore, LocalizeService, Models, Search};
use super::templates::PageTemplates;

/// The services behind the routes.
#[derive(Clone)]
pub struct Services {
    /// Localization pipeline, checks, markets, rates.
    pub localizer: Arc<dyn LocalizeService>,
    /// Listings, localizations, glossaries.
    pub store: Arc<dyn ListingStore>,
    /// Search index.
    pub search: Arc<dyn Search>,
    /// Catalog jobs.
    pub jobs: Arc<dyn Jobs>,
    /// Models.
    pub models: Arc<dyn Models>,
}

/// Shared state of the app.
#[derive(Clone)]
pub struct AppState {
    /// Configuration.
    pub config: Arc<ServerConfig>,
    /// Services.
    pub services: Services,
    /// Page templates and message catalogue.
    pub templates: Arc<PageTemplates>,
    /// Prometheus registry.
    pub metrics: Arc<Metrics>,
    /// Permits for interactive localizations; none left means 503. A permit
    /// is held by the work itself (not the connection), so a client that goes
    /// away frees it only once its generations have stopped.
    pub admission: Arc<Semaphore>,
    /// Permits for live event streams; none left means 503.
    pub streams: Arc<Semaphore>,
}

impl AppState {
    /// Build the state from a configuration and services.
    pub fn new(config: ServerConfig, services: Services) -> anyhow::Result<Self> {
        let admission = Arc::new(Semaphore::new(config.queue_capacity));
        let streams = Arc::new(Semaphore::new(config.max_event_streams));
        Ok(Self {
            config: Arc::new(config),
            services,
            templates: Arc::new(PageTemplates::new()?),
            metrics: Arc::new(Metrics::new()),
            admission,
            streams,
        })
    }
}
