//! The web server: `silkroute serve`'s pages and JSON API on axum.
//!
//! Owns the HTTP layer only. [`app`] builds the `Router` from an [`AppState`]
//! (configuration, templates, metrics and the services as `Arc<dyn Trait>`:
//! [`LocalizeService`], [`ListingStore`], [`Search`], [`Jobs`], [`Models`]);
//! [`serve`] binds, serves and shuts down gracefully. `src/cli/serve.rs` resolves
//! the [`ServerConfig`] and builds the services from the real parts with
//! [`build`].
//!
//! Layers, outermost first: tracing, security headers, request metrics, Host
//! allowlist, access token, CSRF, body limits. The accept loop (`conn.rs`)
//! bounds header read time, idle keep-alive time and open connections. Handlers extract, call a service through `spawn_blocking`, respond;
//! errors are [`AppError`]s with a stable JSON `{code, message}`.

mod api;
mod auth;
mod config;
mod conn;
mod error;
mod host;
mod interactive;
mod learn;
mod limits;
mod metrics;
mod pages;
mod rates;
mod services;
mod sse;
mod state;
mod templates;
mod wire;

use std::future::Future;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

pub use api::LocalizationEdit;
pub use auth::{CSRF_COOKIE, CSRF_HEADER, TOKEN_COOKIE};
pub use config::{
    ConfigLayer, LogFormat, ServerConfig, StoreTable, currency_code, default_currency,
    random_token, save_currency,
};
pub use error::{AppError, ErrorBody};
pub use interactive::{LocalizeRequest, LocalizeResponse, MarketOutcome};
pub use services::{
    EngineMetrics, ExchangeRate, Facet, GlossaryInfo, HistoryEntry, JobInfo, Jobs, ListingRecord,
    ListingStore, ListingSummary, LocalizationRecord, LocalizeService, MarketInfo, ModelInfo,
    Models, Readiness, RejectInfo, ResultFile, Search, SearchHit, SearchPage, SearchParams,
    ServiceError, SnippetPart, StoredUpload, WorkerInfo,
};
pub use state::{AppState, Services};
pub use wire::{RealJobs, RealLocalizer, RealModels, RealSearch, RealStore, build};

#[derive(OpenApi)]
#[openapi(
    info(title = "silkroute", description = "Localize product listings for foreign markets, locally."),
    tags(
        (name = "localize", description = "Localize one listing"),
        (name = "jobs", description = "Catalog jobs"),
        (name = "listings", description = "Listings, review, approval"),
        (name = "search", description = "Full-text search"),
        (name = "settings", description = "Markets, rates, models, glossaries"),
    )
)]
struct ApiDoc;

/// The API router (under `/api/v1`) and its OpenAPI document.
fn api_parts() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest("/api/v1", api::api_router())
        .split_for_parts()
}

/// The OpenAPI document of the JSON API (served at `/api/v1/openapi.json`).
pub fn openapi() -> utoipa::openapi::OpenApi {
    api_parts().1
}

async fn healthz() -> &'static str {
    "ok"
}

/// `GET /metrics`: a scrape of the services, encoded by [`metrics::Metrics`].
async fn metrics_page(State(state): State<AppState>) -> Result<Response, AppError> {
    let s = state.clone();
    let (jobs, workers) = tokio::task::spawn_blocking(move || {
        Ok::<_, ServiceError>((
            s.services.jobs.list_recent(metrics::MAX_JOB_SERIES)?,
            s.services.jobs.workers()?,
        ))
    })
    .await??;
    let capacity = state.config.queue_capacity;
    let scrape = metrics::Scrape {
        jobs,
        workers,
        engine: state.services.localizer.engine_stats(),
        in_flight: capacity - state.admission.available_permits().min(capacity),
    };
    let out = state.metrics.render(&scrape)?;
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        out,
    )
        .into_response())
}

async fn readyz(State(state): State<AppState>) -> Response {
    let r = state.services.models.readiness();
    let status = if r.is_ready() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(r)).into_response()
}

/// The whole app: pages, API, probes, metrics and every layer.
pub fn app(state: AppState) -> Router {
    let (api, doc) = api_parts();
    let doc = std::sync::Arc::new(doc);
    let pages = Router::new()
        .route("/", get(pages::new_listing))
        .route("/new", post(pages::new_listing_post))
        .route("/listings/{sku}", get(pages::listing_page))
        .route(
            "/listings/{sku}/review/{market}",
            get(pages::review_page).post(pages::review_post),
        )
        .route(
            "/catalog",
            get(pages::catalog_page).post(pages::catalog_post),
        )
        .route("/jobs/{id}", get(pages::job_page))
        .route("/jobs/{id}/{action}", post(pages::job_action))
        .route("/search", get(pages::search_page))
        .route("/settings", get(pages::settings_page))
        .route("/settings/models/install", post(pages::settings_install))
        .route("/settings/rates", post(pages::settings_rate))
        .route("/settings/currency", post(pages::settings_currency))
        .route(
            "/settings/glossaries",
            post(pages::settings_glossary_upload),
        )
        .route(
            "/settings/glossaries/{name}",
            post(pages::settings_glossary_edit),
        )
        .route(
            "/settings/glossaries/{name}/delete",
            post(pages::settings_glossary_delete),
        )
        .route("/assets/app.css", get(pages::css))
        .route("/assets/app.js", get(pages::js));
    let mut router = Router::new()
        .merge(pages)
        .merge(api)
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let doc = doc.clone();
                async move { axum::Json((*doc).clone()) }
            }),
        )
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_page))
        .fallback(pages::not_found)
        .layer(DefaultBodyLimit::disable())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            limits::body_limit,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::csrf,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::require_token,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            host::check_host,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            metrics::count_requests,
        ))
        // A 503 from `/readyz` while the model loads, or from a full queue, is
        // expected: logged as a warning, not an error.
        .layer(
            tower_http::trace::TraceLayer::new_for_http()
                .on_failure(tower_http::trace::DefaultOnFailure::new().level(tracing::Level::WARN)),
        );
    // Security headers on every response (tower-http's set-header layer).
    for (name, value) in host::SECURITY_HEADERS {
        router = router.layer(tower_http::set_header::SetResponseHeaderLayer::overriding(
            name,
            axum::http::HeaderValue::from_static(value),
        ));
    }
    router.with_state(state)
}

/// Serve `app(state)` on `listener` until `shutdown` resolves, then stop taking
/// requests, let in-flight ones finish, and checkpoint running jobs.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let jobs = state.services.jobs.clone();
    let (timeout, cap) = (state.config.header_timeout, state.config.max_connections);
    conn::run(listener, app(state), timeout, cap, shutdown).await?;
    tokio::task::spawn_blocking(move || jobs.shutdown()).await?;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight, checkpointing jobs");
}
