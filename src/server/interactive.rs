//! One listing localized while a client waits, shared by the API's handlers
//! and its event stream: the request and response bodies, admission (bounds,
//! model readiness, a permit), the cancel flag a vanished client sets, and
//! localize-then-save-then-reindex. Apart from the handlers so the stream
//! (`sse.rs`) and the API (`api.rs`) do not import each other.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};
use tokio::sync::OwnedSemaphorePermit;
use utoipa::ToSchema;

use super::error::{AppError, ErrorBody};
use super::services::ServiceError;
use super::state::AppState;
use crate::listing::{Listing, LocalizedListing};

/// Run a blocking service call on the blocking pool.
pub async fn blocking<T, F>(f: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, ServiceError> + Send + 'static,
{
    Ok(tokio::task::spawn_blocking(f).await??)
}

/// Sets the flag when dropped: a handler or stream that goes away (client
/// disconnected) cancels the work it started.
#[derive(Debug)]
pub struct CancelOnDrop(pub Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Body of `POST /api/v1/localize` and `/localize/stream`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct LocalizeRequest {
    /// The source listing (see `Listing` in the crate docs), read with the JSON
    /// catalog's rules (`"price": "24.95 USD"` as in a catalog file).
    #[schema(value_type = Object)]
    #[serde(deserialize_with = "crate::catalog::deserialize_listing")]
    pub listing: Listing,
    /// Target market ids (`GET /api/v1/markets`).
    pub markets: Vec<String>,
}

/// One market's outcome.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MarketOutcome {
    /// Market id.
    pub market: String,
    /// The localized listing, when it worked.
    #[schema(value_type = Option<Object>)]
    pub localized: Option<LocalizedListing>,
    /// The error, when it did not.
    pub error: Option<ErrorBody>,
}

/// Response of `POST /api/v1/localize`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LocalizeResponse {
    /// Sku.
    pub sku: String,
    /// One per requested market, in order.
    pub results: Vec<MarketOutcome>,
}

/// The ids of the markets the localizer knows, for checking a request's.
pub fn known_markets(state: &AppState) -> Vec<String> {
    state
        .services
        .localizer
        .markets()
        .into_iter()
        .map(|m| m.id)
        .collect()
}

/// Validate a localize request, take an admission permit (503 when none) and
/// check the model is ready. Saves the source listing.
pub async fn admit(
    state: &AppState,
    req: &LocalizeRequest,
) -> Result<OwnedSemaphorePermit, AppError> {
    super::limits::check_listing(&req.listing)?;
    super::limits::check_markets(&req.markets, &known_markets(state))?;
    let readiness = state.services.models.readiness();
    if !readiness.is_ready() {
        return Err(ServiceError::NotReady(format!(
            "the model is not loaded yet ({})",
            serde_json::to_string(&readiness).unwrap_or_default()
        ))
        .into());
    }
    let permit = state
        .admission
        .clone()
        .try_acquire_owned()
        .map_err(|_| AppError::queue_full())?;
    let store = state.services.store.clone();
    let listing = req.listing.clone();
    let st = state.clone();
    blocking(move || {
        store.put_listing(&listing)?;
        reindex(&st, &listing.sku)
    })
    .await?;
    Ok(permit)
}

/// Localize one listing for one market and save the result (blocking).
pub fn localize_and_save(
    state: &AppState,
    listing: &Listing,
    market: &str,
    cancel: &Arc<AtomicBool>,
    on_field: &mut dyn FnMut(&str, &str),
) -> Result<LocalizedListing, ServiceError> {
    let loc = state
        .services
        .localizer
        .localize(listing, market, cancel, on_field)?;
    state.services.store.save_localization(&loc, "localized")?;
    reindex(state, &listing.sku)?;
    Ok(loc)
}

/// Put a listing's current versions (source and localizations) into the search
/// index, so a saved listing is found at once (blocking).
pub fn reindex(state: &AppState, sku: &str) -> Result<(), ServiceError> {
    let rec = state
        .services
        .store
        .get(sku)?
        .ok_or_else(|| ServiceError::NotFound(format!("listing `{sku}`")))?;
    state.services.search.upsert(&rec)
}
