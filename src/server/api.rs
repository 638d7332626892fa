//! The JSON API under `/api/v1`. Handlers are thin: extract, check bounds, call a
//! service through `spawn_blocking`, respond. Each carries a `#[utoipa::path]`
//! so the router and the OpenAPI document are built from the same list
//! (`utoipa_axum::routes!`), see [`api_router`].

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use axum::Json;
use axum::body::Body;
use axum::extract::{Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tokio::sync::OwnedSemaphorePermit;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{CsrfPending, verify_pending};
use super::error::{AppError, AppJson, AppQuery, ErrorBody};
use super::interactive::{
    CancelOnDrop, LocalizeRequest, LocalizeResponse, MarketOutcome, admit, blocking, known_markets,
    localize_and_save, reindex,
};
use super::services::{
    ExchangeRate, GlossaryInfo, JobInfo, ListingRecord, ListingSummary, MarketInfo, ModelInfo,
    SearchPage, SearchParams, ServiceError, StoredUpload, WorkerInfo,
};
use super::sse;
use super::state::AppState;
use crate::listing::{Attribute, Listing, LocalizedListing, Status, Warning};

/// A listing as a request body, read with the JSON catalog's rules (one listing,
/// one dialect: `"price": "24.95 USD"` works here as in a catalog file).
#[derive(Debug, Deserialize)]
pub struct BodyListing(
    #[serde(deserialize_with = "crate::catalog::deserialize_listing")] pub Listing,
);

/// Localize a listing for markets and wait for all results.
#[utoipa::path(post, path = "/localize", tag = "localize",
    request_body = LocalizeRequest,
    responses((status = 200, body = LocalizeResponse),
              (status = 400, body = ErrorBody), (status = 413, body = ErrorBody),
              (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn localize(
    State(state): State<AppState>,
    AppJson(req): AppJson<LocalizeRequest>,
) -> Result<Json<LocalizeResponse>, AppError> {
    // The permit goes with the work: a client that hangs up cancels it, and
    // the permit comes back only once every market's generation has stopped.
    let permit = Arc::new(admit(&state, &req).await?);
    let cancel = Arc::new(AtomicBool::new(false));
    let _guard = CancelOnDrop(cancel.clone());
    let mut tasks = Vec::new();
    for market in req.markets.clone() {
        let (state, listing, cancel) = (state.clone(), req.listing.clone(), cancel.clone());
        let permit = permit.clone();
        tasks.push(tokio::task::spawn_blocking(move || {
            let r = localize_and_save(&state, &listing, &market, &cancel, &mut |_, _| {});
            drop(permit);
            (market, r)
        }));
    }
    drop(permit);
    let mut results = Vec::new();
    for t in tasks {
        let (market, r) = t.await?;
        results.push(match r {
            Ok(l) => MarketOutcome {
                market,
                localized: Some(l),
                error: None,
            },
            Err(ServiceError::Internal(e)) => {
                tracing::error!(error = format!("{e:#}"), "localize");
                MarketOutcome {
                    market,
                    localized: None,
                    error: Some(AppError::Internal(e).body()),
                }
            }
            Err(e) => MarketOutcome {
                market,
                localized: None,
                error: Some(AppError::from(e).body()),
            },
        });
    }
    Ok(Json(LocalizeResponse {
        sku: req.listing.sku,
        results,
    }))
}

/// Localize a listing and stream the fields as the model writes them
/// (server-sent events `field`, `result`, `error`, then `end`). Closing the
/// connection cancels the generation.
#[utoipa::path(post, path = "/localize/stream", tag = "localize",
    request_body = LocalizeRequest,
    responses((status = 200, description = "text/event-stream", content_type = "text/event-stream"),
              (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn localize_stream(
    State(state): State<AppState>,
    AppJson(req): AppJson<LocalizeRequest>,
) -> Result<Response, AppError> {
    let stream = stream_permit(&state)?;
    let permit = admit(&state, &req).await?;
    Ok(sse::localize_events(state, req, Arc::new((permit, stream))).into_response())
}

/// A permit for one live event stream, or 503 when all are taken.
pub fn stream_permit(state: &AppState) -> Result<OwnedSemaphorePermit, AppError> {
    state
        .streams
        .clone()
        .try_acquire_owned()
        .map_err(|_| AppError::Unavailable {
            code: "too_many_streams",
            message: format!(
                "{} event streams are open, the most this server keeps; close one or try again shortly",
                state.config.max_event_streams
            ),
            retry_after: 5,
        })
}

/// Pagination.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Page {
    /// Page size (default 50, at most 500).
    pub limit: Option<usize>,
    /// Offset.
    pub offset: Option<usize>,
}

/// Recent listings.
#[utoipa::path(get, path = "/listings", tag = "listings", params(Page),
    responses((status = 200, body = Vec<ListingSummary>)))]
pub async fn list_listings(
    State(state): State<AppState>,
    AppQuery(p): AppQuery<Page>,
) -> Result<Json<Vec<ListingSummary>>, AppError> {
    let limit = p.limit.unwrap_or(50).min(500);
    let store = state.services.store.clone();
    Ok(Json(
        blocking(move || store.list(limit, p.offset.unwrap_or(0))).await?,
    ))
}

/// Fetch a listing record or 404.
pub async fn record(state: &AppState, sku: String) -> Result<ListingRecord, AppError> {
    let store = state.services.store.clone();
    let label = format!("listing `{}`", sku.chars().take(128).collect::<String>());
    blocking(move || store.get(&sku))
        .await?
        .ok_or(AppError::NotFound(label))
}

/// A listing with all its localizations and their history.
#[utoipa::path(get, path = "/listings/{sku}", tag = "listings",
    params(("sku" = String, Path, description = "Sku")),
    responses((status = 200, body = ListingRecord), (status = 404, body = ErrorBody)))]
pub async fn get_listing(
    State(state): State<AppState>,
    Path(sku): Path<String>,
) -> Result<Json<ListingRecord>, AppError> {
    Ok(Json(record(&state, sku).await?))
}

/// Create or replace a listing's source fields (re-indexed at once).
#[utoipa::path(put, path = "/listings/{sku}", tag = "listings",
    params(("sku" = String, Path, description = "Sku")),
    request_body(content = Object, description = "The listing (created when new, replaced otherwise)"),
    responses((status = 200, body = ListingRecord), (status = 422, body = ErrorBody)))]
pub async fn update_listing(
    State(state): State<AppState>,
    Path(sku): Path<String>,
    AppJson(BodyListing(listing)): AppJson<BodyListing>,
) -> Result<Json<ListingRecord>, AppError> {
    if listing.sku != sku {
        return Err(AppError::invalid("sku", "does not match the address"));
    }
    super::limits::check_listing(&listing)?;
    let st = state.clone();
    blocking(move || {
        st.services.store.put_listing(&listing)?;
        reindex(&st, &listing.sku)
    })
    .await?;
    Ok(Json(record(&state, sku).await?))
}

/// Delete a listing, its localizations and its index entries.
#[utoipa::path(delete, path = "/listings/{sku}", tag = "listings",
    params(("sku" = String, Path, description = "Sku")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_listing(
    State(state): State<AppState>,
    Path(sku): Path<String>,
) -> Result<StatusCode, AppError> {
    let (store, search) = (state.services.store.clone(), state.services.search.clone());
    let label = format!("listing `{}`", sku.chars().take(128).collect::<String>());
    let found = blocking(move || {
        let found = store.delete(&sku)?;
        if found {
            search.remove(&sku)?;
        }
        Ok(found)
    })
    .await?;
    if found {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::NotFound(label))
    }
}

/// Edited fields of a localization.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct LocalizationEdit {
    /// Title.
    pub title: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Bullets.
    #[serde(default)]
    pub bullets: Vec<String>,
    /// Keywords.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Attributes (name, value).
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub attributes: Vec<Attribute>,
}

impl LocalizationEdit {
    /// Check bounds.
    pub fn check(&self) -> Result<(), AppError> {
        let l = Listing {
            sku: "x".into(),
            title: self.title.clone(),
            description: self.description.clone(),
            bullets: self.bullets.clone(),
            keywords: self.keywords.clone(),
            attributes: self.attributes.clone(),
            ..Default::default()
        };
        super::limits::check_listing(&l)
    }

    /// Apply to a localization.
    pub fn apply(self, loc: &mut LocalizedListing) {
        loc.title = self.title;
        loc.description = self.description;
        loc.bullets = self.bullets;
        loc.keywords = self.keywords;
        loc.attributes = self.attributes;
    }
}

/// The current localization for a market, or 404.
pub fn find_localization(rec: &ListingRecord, market: &str) -> Result<LocalizedListing, AppError> {
    rec.localizations
        .iter()
        .find(|l| l.localized.market == market)
        .map(|l| l.localized.clone())
        .ok_or_else(|| {
            AppError::NotFound(format!(
                "localization `{}` of `{}`",
                market.chars().take(64).collect::<String>(),
                rec.listing.sku
            ))
        })
}

/// Re-check an edited localization, save it (status follows the warnings) and,
/// when `approve`, mark it approved; the listing is re-indexed either way.
pub async fn save_edit(
    state: &AppState,
    sku: String,
    market: String,
    edit: Option<LocalizationEdit>,
    approve: bool,
) -> Result<ListingRecord, AppError> {
    if let Some(e) = &edit {
        e.check()?;
    }
    let rec = record(state, sku.clone()).await?;
    let mut loc = find_localization(&rec, &market)?;
    let edited = edit.is_some();
    if let Some(e) = edit {
        e.apply(&mut loc);
    }
    let s = state.clone();
    let listing = rec.listing.clone();
    blocking(move || {
        let warnings: Vec<Warning> = s.services.localizer.check(&listing, &loc)?;
        loc.status = if approve {
            Status::Approved
        } else if warnings.is_empty() {
            Status::Localized
        } else {
            Status::NeedsReview
        };
        loc.warnings = warnings;
        let note = match (edited, approve) {
            (_, true) => "approved",
            (true, false) => "edited",
            (false, false) => "checked",
        };
        s.services.store.save_localization(&loc, note)?;
        reindex(&s, &listing.sku)
    })
    .await?;
    record(state, sku).await
}

/// Edit a localization; the checks re-run and set its status.
#[utoipa::path(put, path = "/listings/{sku}/localizations/{market}", tag = "listings",
    params(("sku" = String, Path, description = "Sku"), ("market" = String, Path, description = "Market id")),
    request_body = LocalizationEdit,
    responses((status = 200, body = ListingRecord), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn update_localization(
    State(state): State<AppState>,
    Path((sku, market)): Path<(String, String)>,
    AppJson(edit): AppJson<LocalizationEdit>,
) -> Result<Json<ListingRecord>, AppError> {
    Ok(Json(
        save_edit(&state, sku, market, Some(edit), false).await?,
    ))
}

/// Run the checks on edited fields without saving.
#[utoipa::path(post, path = "/listings/{sku}/localizations/{market}/check", tag = "listings",
    params(("sku" = String, Path, description = "Sku"), ("market" = String, Path, description = "Market id")),
    request_body = LocalizationEdit,
    responses((status = 200, description = "The warnings, `[{field, code, message}]`"), (status = 404, body = ErrorBody)))]
pub async fn check_localization(
    State(state): State<AppState>,
    Path((sku, market)): Path<(String, String)>,
    AppJson(edit): AppJson<LocalizationEdit>,
) -> Result<Json<Vec<Warning>>, AppError> {
    edit.check()?;
    let rec = record(&state, sku).await?;
    let mut loc = find_localization(&rec, &market)?;
    edit.apply(&mut loc);
    let s = state.clone();
    Ok(Json(
        blocking(move || s.services.localizer.check(&rec.listing, &loc)).await?,
    ))
}

/// Approve a localization: saved as approved and indexed.
#[utoipa::path(post, path = "/listings/{sku}/localizations/{market}/approve", tag = "listings",
    params(("sku" = String, Path, description = "Sku"), ("market" = String, Path, description = "Market id")),
    responses((status = 200, body = ListingRecord), (status = 404, body = ErrorBody)))]
pub async fn approve_localization(
    State(state): State<AppState>,
    Path((sku, market)): Path<(String, String)>,
) -> Result<Json<ListingRecord>, AppError> {
    Ok(Json(save_edit(&state, sku, market, None, true).await?))
}

/// Full-text search with facets and highlighted snippets.
#[utoipa::path(get, path = "/search", tag = "search", params(SearchParams),
    responses((status = 200, body = SearchPage), (status = 400, body = ErrorBody)))]
pub async fn search(
    State(state): State<AppState>,
    AppQuery(mut p): AppQuery<SearchParams>,
) -> Result<Json<SearchPage>, AppError> {
    Ok(Json(run_search(&state, &mut p).await?))
}

/// Bound and run a search.
pub async fn run_search(state: &AppState, p: &mut SearchParams) -> Result<SearchPage, AppError> {
    if p.q.len() > 1000 {
        return Err(AppError::invalid("q", "over 1000 bytes"));
    }
    p.limit = Some(p.limit.unwrap_or(20).clamp(1, 100));
    p.offset = Some(p.offset.unwrap_or(0).min(10_000));
    let (search, p) = (state.services.search.clone(), p.clone());
    blocking(move || search.search(&p)).await
}

/// Known market profiles.
#[utoipa::path(get, path = "/markets", tag = "settings",
    responses((status = 200, body = Vec<MarketInfo>)))]
pub async fn markets(State(state): State<AppState>) -> Json<Vec<MarketInfo>> {
    Json(state.services.localizer.markets())
}

/// Exchange rates.
#[utoipa::path(get, path = "/rates", tag = "settings",
    responses((status = 200, body = Vec<ExchangeRate>)))]
pub async fn rates(State(state): State<AppState>) -> Json<Vec<ExchangeRate>> {
    Json(state.services.localizer.rates())
}

/// Set an exchange rate.
#[utoipa::path(put, path = "/rates", tag = "settings", request_body = ExchangeRate,
    responses((status = 200, body = Vec<ExchangeRate>), (status = 422, body = ErrorBody)))]
pub async fn set_rate(
    State(state): State<AppState>,
    AppJson(rate): AppJson<ExchangeRate>,
) -> Result<Json<Vec<ExchangeRate>>, AppError> {
    let l = state.services.localizer.clone();
    blocking(move || l.set_rate(rate)).await?;
    Ok(Json(state.services.localizer.rates()))
}

/// The workers of a shared store heard from in the last hour: model,
/// counters, throughput and the items they hold (empty on SQLite).
#[utoipa::path(get, path = "/workers", tag = "settings",
    responses((status = 200, body = Vec<WorkerInfo>)))]
pub async fn workers(State(state): State<AppState>) -> Result<Json<Vec<WorkerInfo>>, AppError> {
    let j = state.services.jobs.clone();
    Ok(Json(blocking(move || j.workers()).await?))
}

/// Installed and available models.
#[utoipa::path(get, path = "/models", tag = "settings",
    responses((status = 200, body = Vec<ModelInfo>)))]
pub async fn models(State(state): State<AppState>) -> Result<Json<Vec<ModelInfo>>, AppError> {
    let m = state.services.models.clone();
    Ok(Json(blocking(move || Ok(m.list())).await?))
}

/// Install a model (in the background).
#[utoipa::path(post, path = "/models/{id}/install", tag = "settings",
    params(("id" = String, Path, description = "Model id")),
    responses((status = 202), (status = 404, body = ErrorBody)))]
pub async fn install_model(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let m = state.services.models.clone();
    blocking(move || m.install(&id)).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Glossaries.
#[utoipa::path(get, path = "/glossaries", tag = "settings",
    responses((status = 200, body = Vec<GlossaryInfo>)))]
pub async fn glossaries(
    State(state): State<AppState>,
) -> Result<Json<Vec<GlossaryInfo>>, AppError> {
    let s = state.services.store.clone();
    Ok(Json(blocking(move || s.glossaries()).await?))
}

/// Check a glossary name: `[a-z0-9_-]{1,64}`.
pub fn check_glossary_name(name: &str) -> Result<(), AppError> {
    if name.is_empty()
        || name.len() > 64
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    {
        return Err(AppError::invalid(
            "name",
            "use 1 to 64 of a-z, 0-9, - and _",
        ));
    }
    Ok(())
}

/// One glossary as CSV (`source,target`).
#[utoipa::path(get, path = "/glossaries/{name}", tag = "settings",
    params(("name" = String, Path, description = "Glossary name")),
    responses((status = 200, content_type = "text/csv", body = String), (status = 404, body = ErrorBody)))]
pub async fn get_glossary(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, AppError> {
    check_glossary_name(&name)?;
    let s = state.services.store.clone();
    let n = name.clone();
    let text = blocking(move || s.glossary(&n))
        .await?
        .ok_or_else(|| AppError::NotFound(format!("glossary `{name}`")))?;
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], text).into_response())
}

/// Create or replace a glossary from CSV (`source,target_lang,target`).
#[utoipa::path(put, path = "/glossaries/{name}", tag = "settings",
    params(("name" = String, Path, description = "Glossary name")),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = GlossaryInfo), (status = 422, body = ErrorBody)))]
pub async fn put_glossary(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: String,
) -> Result<Json<GlossaryInfo>, AppError> {
    check_glossary_name(&name)?;
    let s = state.services.store.clone();
    Ok(Json(blocking(move || s.put_glossary(&name, &body)).await?))
}

/// Delete a glossary.
#[utoipa::path(delete, path = "/glossaries/{name}", tag = "settings",
    params(("name" = String, Path, description = "Glossary name")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_glossary(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<StatusCode, AppError> {
    check_glossary_name(&name)?;
    let s = state.services.store.clone();
    let n = name.clone();
    if blocking(move || s.delete_glossary(&n)).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::NotFound(format!("glossary `{name}`")))
    }
}

/// Catalog formats accepted for upload, by file extension.
pub const UPLOAD_EXTENSIONS: &[&str] = &["csv", "tsv", "txt", "xlsx", "json", "jsonl", "ndjson"];

/// A multipart job form: the file is streamed to disk under a generated name.
pub struct JobForm {
    /// The stored file.
    pub upload: StoredUpload,
    /// Markets chosen.
    pub markets: Vec<String>,
}

/// Read a small text part of a multipart form chunk by chunk, refusing it
/// (422 naming the part) as soon as it passes `max` bytes: it is never held
/// whole before its length is known.
pub async fn small_field(
    field: &mut axum::extract::multipart::Field<'_>,
    name: &str,
    max: usize,
) -> Result<String, AppError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field
        .chunk()
        .await
        .map_err(|e| AppError::BadRequest("bad_multipart", e.body_text()))?
    {
        if bytes.len() + chunk.len() > max {
            return Err(AppError::invalid(
                name,
                format!("is over the limit of {max} bytes"),
            ));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes).map_err(|_| AppError::invalid(name, "is not UTF-8 text"))
}

/// Create a job from a read form; the upload is removed afterwards whether
/// the job was created or not (its rows are in the store by then).
pub async fn create_job_from(state: &AppState, form: JobForm) -> Result<JobInfo, AppError> {
    let jobs = state.services.jobs.clone();
    let path = form.upload.path.clone();
    let r = blocking(move || jobs.create(form.upload, form.markets)).await;
    if let Err(e) = tokio::fs::remove_file(&path).await
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(path = %path.display(), error = %e, "removing an upload failed");
    }
    r
}

/// Read a multipart job form (`csrf` first on pages, `markets` repeated or
/// comma-separated, `file`), writing the file under `<data>/uploads/<random>.<ext>`.
pub async fn read_job_form(
    state: &AppState,
    pending: Option<&CsrfPending>,
    mut mp: Multipart,
) -> Result<JobForm, AppError> {
    use tokio::io::AsyncWriteExt;
    let limit = state.config.max_upload_bytes;
    let mut csrf: Option<String> = None;
    let mut markets = Vec::new();
    let mut upload: Option<StoredUpload> = None;
    let map_mp = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::TooLarge(limit)
        } else {
            AppError::BadRequest("bad_multipart", e.body_text())
        }
    };
    while let Some(mut field) = mp.next_field().await.map_err(map_mp)? {
        let name = field.name().unwrap_or("").to_string();
        match name.as_str() {
            "csrf" => csrf = Some(small_field(&mut field, "csrf", 128).await?),
            "markets" => {
                let t = small_field(&mut field, "markets", 4096).await?;
                markets.extend(
                    t.split(',')
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty()),
                );
            }
            "file" => {
                verify_pending(pending, csrf.as_deref())?;
                let original: String = field
                    .file_name()
                    .unwrap_or("upload")
                    .chars()
                    .filter(|c| !c.is_control())
                    .take(200)
                    .collect();
                let ext = original
                    .rsplit_once('.')
                    .map(|(_, e)| e.to_ascii_lowercase())
                    .filter(|e| UPLOAD_EXTENSIONS.contains(&e.as_str()))
                    .ok_or_else(|| {
                        AppError::BadRequest(
                            "unsupported_format",
                            format!(
                                "file `{original}`: use one of .{}",
                                UPLOAD_EXTENSIONS.join(", .")
                            ),
                        )
                    })?;
                let dir = state.config.data_dir.root().join("uploads");
                tokio::fs::create_dir_all(&dir).await.map_err(|e| {
                    AppError::Internal(anyhow::anyhow!("create {}: {e}", dir.display()))
                })?;
                let path = dir.join(format!("{}.{ext}", &super::config::random_token()[..32]));
                let mut f = tokio::fs::File::create(&path).await.map_err(|e| {
                    AppError::Internal(anyhow::anyhow!("create {}: {e}", path.display()))
                })?;
                let mut written = 0usize;
                let res: Result<(), AppError> = async {
                    while let Some(chunk) = field.chunk().await.map_err(map_mp)? {
                        written += chunk.len();
                        if written > limit {
                            return Err(AppError::TooLarge(limit));
                        }
                        f.write_all(&chunk).await.map_err(|e| {
                            AppError::Internal(anyhow::anyhow!("write upload: {e}"))
                        })?;
                    }
                    f.flush()
                        .await
                        .map_err(|e| AppError::Internal(anyhow::anyhow!("write upload: {e}")))
                }
                .await;
                if let Err(e) = res {
                    let _ = tokio::fs::remove_file(&path).await;
                    return Err(e);
                }
                upload = Some(StoredUpload {
                    path,
                    original_name: original,
                });
            }
            _ => {} // ignored
        }
    }
    verify_pending(pending, csrf.as_deref())?;
    let upload = upload.ok_or_else(|| AppError::invalid("file", "no file uploaded"))?;
    if let Err(e) = super::limits::check_markets(&markets, &known_markets(state)) {
        let _ = tokio::fs::remove_file(&upload.path).await;
        return Err(e);
    }
    Ok(JobForm { upload, markets })
}

/// Start a job from an uploaded catalog (multipart: `file`, `markets`).
#[utoipa::path(post, path = "/jobs", tag = "jobs",
    request_body(content_type = "multipart/form-data", content = Object,
        description = "`file` (CSV, TSV, XLSX, JSON, JSON Lines, Shopify CSV) and `markets` (repeated or comma-separated)"),
    responses((status = 202, body = JobInfo), (status = 400, body = ErrorBody),
              (status = 413, body = ErrorBody)))]
pub async fn create_job(
    State(state): State<AppState>,
    pending: Option<axum::Extension<CsrfPending>>,
    mp: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, AppError> {
    let mp = mp.map_err(|e| AppError::BadRequest("bad_multipart", e.body_text()))?;
    let form = read_job_form(&state, pending.as_ref().map(|p| &p.0), mp).await?;
    let info = create_job_from(&state, form).await?;
    let loc = format!("/api/v1/jobs/{}", info.id);
    Ok((StatusCode::ACCEPTED, [(header::LOCATION, loc)], Json(info)).into_response())
}

/// Jobs, newest first.
#[utoipa::path(get, path = "/jobs", tag = "jobs", responses((status = 200, body = Vec<JobInfo>)))]
pub async fn list_jobs(State(state): State<AppState>) -> Result<Json<Vec<JobInfo>>, AppError> {
    let j = state.services.jobs.clone();
    Ok(Json(blocking(move || j.list()).await?))
}

/// Fetch a job or 404.
pub async fn job(state: &AppState, id: String) -> Result<JobInfo, AppError> {
    let j = state.services.jobs.clone();
    let label = format!("job `{}`", id.chars().take(64).collect::<String>());
    blocking(move || j.get(&id))
        .await?
        .ok_or(AppError::NotFound(label))
}

/// One job with progress, rejects and result links.
#[utoipa::path(get, path = "/jobs/{id}", tag = "jobs",
    params(("id" = String, Path, description = "Job id")),
    responses((status = 200, body = JobInfo), (status = 404, body = ErrorBody)))]
pub async fn get_job(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<JobInfo>, AppError> {
    Ok(Json(job(&state, id).await?))
}

/// Job progress as server-sent events (`progress` every second until finished).
#[utoipa::path(get, path = "/jobs/{id}/events", tag = "jobs",
    params(("id" = String, Path, description = "Job id")),
    responses((status = 200, description = "text/event-stream", content_type = "text/event-stream"),
              (status = 404, body = ErrorBody)))]
pub async fn job_events(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let permit = stream_permit(&state)?;
    job(&state, id.clone()).await?;
    Ok(sse::job_events(state, id, permit).into_response())
}

/// Cancel a job (it checkpoints; resume continues where it stopped).
#[utoipa::path(post, path = "/jobs/{id}/cancel", tag = "jobs",
    params(("id" = String, Path, description = "Job id")),
    responses((status = 200, body = JobInfo), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn cancel_job(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<JobInfo>, AppError> {
    job(&state, id.clone()).await?;
    let j = state.services.jobs.clone();
    Ok(Json(blocking(move || j.cancel(&id)).await?))
}

/// Resume a cancelled or interrupted job.
#[utoipa::path(post, path = "/jobs/{id}/resume", tag = "jobs",
    params(("id" = String, Path, description = "Job id")),
    responses((status = 200, body = JobInfo), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn resume_job(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<JobInfo>, AppError> {
    job(&state, id.clone()).await?;
    let j = state.services.jobs.clone();
    Ok(Json(blocking(move || j.resume(&id)).await?))
}

/// Download a job's results: `csv`, `xlsx`, `jsonl`, `report` or `rejects`.
#[utoipa::path(get, path = "/jobs/{id}/results/{kind}", tag = "jobs",
    params(("id" = String, Path, description = "Job id"), ("kind" = String, Path, description = "csv, xlsx, jsonl, report or rejects")),
    responses((status = 200, description = "the file"), (status = 404, body = ErrorBody)))]
pub async fn job_result(
    State(state): State<AppState>,
    Path((id, kind)): Path<(String, String)>,
) -> Result<Response, AppError> {
    if !matches!(
        kind.as_str(),
        "csv" | "xlsx" | "jsonl" | "report" | "rejects"
    ) {
        return Err(AppError::NotFound(format!(
            "result kind `{}`",
            kind.chars().take(16).collect::<String>()
        )));
    }
    job(&state, id.clone()).await?;
    let j = state.services.jobs.clone();
    let k = kind.clone();
    let file = blocking(move || j.result(&id, &k))
        .await?
        .ok_or_else(|| AppError::NotFound(format!("{kind} result (is the job finished?)")))?;
    let f = tokio::fs::File::open(&file.path)
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("open {}: {e}", file.path.display())))?;
    let body = Body::from_stream(tokio_util_stream(f));
    Ok((
        [
            (header::CONTENT_TYPE, file.content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", file.file_name),
            ),
        ],
        body,
    )
        .into_response())
}

fn tokio_util_stream(
    f: tokio::fs::File,
) -> impl futures_util::Stream<Item = std::io::Result<bytes_chunk::Bytes>> {
    futures_util::stream::unfold(f, |mut f| async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; 64 * 1024];
        match f.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(bytes_chunk::Bytes::from(buf)), f))
            }
            Err(e) => Some((Err(e), f)),
        }
    })
}

mod bytes_chunk {
    pub use axum::body::Bytes;
}

/// The API router and its OpenAPI document, from one list of handlers.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(localize))
        .routes(routes!(localize_stream))
        .routes(routes!(list_listings))
        .routes(routes!(get_listing, update_listing, delete_listing))
        .routes(routes!(update_localization))
        .routes(routes!(check_localization))
        .routes(routes!(approve_localization))
        .routes(routes!(search))
        .routes(routes!(markets))
        .routes(routes!(rates, set_rate))
        .routes(routes!(models))
        .routes(routes!(workers))
        .routes(routes!(install_model))
        .routes(routes!(glossaries))
        .routes(routes!(get_glossary, put_glossary, delete_glossary))
        .routes(routes!(list_jobs, create_job))
        .routes(routes!(get_job))
        .routes(routes!(job_events))
        .routes(routes!(cancel_job))
        .routes(routes!(resume_job))
        .routes(routes!(job_result))
}
