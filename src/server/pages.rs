//! The web pages: server-rendered minijinja templates from `templates/pages/`
//! (embedded in the binary; autoescape on for `.html`, so listing text is always
//! shown as text), a message catalogue for the interface strings
//! (`templates/pages/i18n/<lang>.toml`, English now), and a little plain
//! JavaScript (`assets/app.js`) for streaming, as-you-type search and live job
//! progress. Every page works without JavaScript too (forms post and redirect).

use axum::Extension;
use axum::extract::{Multipart, Path, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use minijinja::{Value, context};
use serde::Serialize;

use super::api::{
    self, LocalizationEdit, check_glossary_name, find_localization, record, save_edit,
};
use super::auth::{CsrfPending, CsrfToken, verify_pending};
use super::error::{AppError, AppForm, AppQuery};
use super::interactive::{LocalizeRequest, blocking};
use super::services::{ExchangeRate, SearchParams};
use super::state::AppState;
use super::templates::PageTemplates;
use crate::listing::{Attribute, Listing, Price};

const CSS: &str = include_str!("../../templates/pages/assets/app.css");
const JS: &str = include_str!("../../templates/pages/assets/app.js");
/// A page's failure: the error rendered as HTML with the same status.
pub struct PageError(AppError, Option<std::sync::Arc<PageTemplates>>);

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        PageError(e, None)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if let AppError::Internal(e) = &self.0 {
            tracing::error!(error = format!("{e:#}"), "page error");
        }
        let status = self.0.status();
        let body = self.0.body();
        let html = self
            .1
            .and_then(|t| {
                t.render(
                    "error.html",
                    context! {status => status.as_u16(), error => Value::from(minijinja::value::Serde(&body)), csrf => ""},
                )
                .ok()
            })
            .unwrap_or_else(|| {
                Html(format!(
                    "<!doctype html><title>Error</title><p>{}</p>",
                    crate::html::escape(&body.message)
                ))
            });
        (status, html).into_response()
    }
}

type PageResult = Result<Response, PageError>;

fn page(state: &AppState, name: &str, csrf: &CsrfToken, nav: &str, ctx: Value) -> PageResult {
    let readiness = state.services.models.readiness();
    let base = context! {
        csrf => csrf.0.clone(),
        nav => nav,
        readiness => Value::from(minijinja::value::Serde(&readiness)),
        ready => readiness.is_ready(),
    };
    let ctx = context! { ..ctx, ..base };
    state
        .templates
        .render(name, ctx)
        .map(IntoResponse::into_response)
        .map_err(|e| PageError(e, Some(state.templates.clone())))
}

fn err(state: &AppState, e: impl Into<AppError>) -> PageError {
    PageError(e.into(), Some(state.templates.clone()))
}

/// `GET /assets/app.css`.
pub async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        CSS,
    )
        .into_response()
}

/// `GET /assets/app.js`.
pub async fn js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        JS,
    )
        .into_response()
}

/// `GET /`: the new-listing form.
pub async fn new_listing(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
) -> PageResult {
    let markets = state.services.localizer.markets();
    page(
        &state,
        "new.html",
        &csrf,
        "new",
        context! {
            markets => Value::from(minijinja::value::Serde(&markets)),
            currency => state.services.jobs.default_currency(),
        },
    )
}

fn lines(s: &str) -> Vec<String> {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// Build a listing from the new-listing form's fields.
pub fn listing_from_form(fields: &[(String, String)]) -> Result<(Listing, Vec<String>), AppError> {
    let get = |k: &str| {
        fields
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let opt = |k: &str| Some(get(k)).filter(|v| !v.is_empty());
    let mut attributes = Vec::new();
    for l in lines(&get("attributes")) {
        let (n, v) = l.split_once(':').ok_or_else(|| {
            AppError::invalid("attributes", format!("`{l}`: write `Name: value`"))
        })?;
        attributes.push(Attribute::new(n.trim(), v.trim()));
    }
    let price = match opt("price") {
        None => None,
        Some(p) => Some(Price {
            amount: p
                .parse()
                .map_err(|_| AppError::invalid("price", format!("`{p}` is not a number")))?,
            currency: get("currency").to_ascii_uppercase(),
        }),
    };
    let listing = Listing {
        sku: get("sku"),
        title: get("title"),
        description: get("description"),
        bullets: lines(&get("bullets")),
        brand: opt("brand"),
        category: opt("category"),
        attributes,
        price,
        keywords: get("keywords")
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        ..Default::default()
    };
    let markets = fields
        .iter()
        .filter(|(k, _)| k == "markets")
        .map(|(_, v)| v.clone())
        .collect();
    Ok((listing, markets))
}

/// `POST /new` without JavaScript: localize, then go to the listing page.
pub async fn new_listing_post(
    State(state): State<AppState>,
    AppForm(fields): AppForm<Vec<(String, String)>>,
) -> PageResult {
    let (listing, markets) = listing_from_form(&fields).map_err(|e| err(&state, e))?;
    let req = LocalizeRequest { listing, markets };
    let sku = req.listing.sku.clone();
    let _ = api::localize(State(state.clone()), super::error::AppJson(req))
        .await
        .map_err(|e| err(&state, e))?;
    Ok(Redirect::to(&format!("/listings/{}", urlencode(&sku))).into_response())
}

/// Percent-encode a path segment.
pub fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The source listing's language: as given, else detected from its text (for
/// the fields' `lang` and `dir` attributes).
fn source_language(l: &Listing) -> Option<String> {
    l.language
        .clone()
        .or_else(|| crate::listing::detect_language(&l.text_for_detection()).map(String::from))
}

/// `GET /listings/{sku}`: source and every localization with history.
pub async fn listing_page(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    Path(sku): Path<String>,
) -> PageResult {
    let rec = record(&state, sku).await.map_err(|e| err(&state, e))?;
    page(
        &state,
        "listing.html",
        &csrf,
        "",
        context! { rec => Value::from(minijinja::value::Serde(&rec)), sku_url => urlencode(&rec.listing.sku), src_lang => source_language(&rec.listing) },
    )
}

/// `GET /listings/{sku}/review/{market}`.
pub async fn review_page(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    Path((sku, market)): Path<(String, String)>,
) -> PageResult {
    let rec = record(&state, sku).await.map_err(|e| err(&state, e))?;
    let loc = find_localization(&rec, &market).map_err(|e| err(&state, e))?;
    page(
        &state,
        "review.html",
        &csrf,
        "",
        context! { listing => Value::from(minijinja::value::Serde(&rec.listing)), loc => Value::from(minijinja::value::Serde(&loc)), sku_url => urlencode(&rec.listing.sku), src_lang => source_language(&rec.listing) },
    )
}

/// `POST /listings/{sku}/review/{market}`: `action` = `check` (save edits, re-run
/// checks, show the page again) or `approve`.
pub async fn review_post(
    State(state): State<AppState>,
    Path((sku, market)): Path<(String, String)>,
    AppForm(fields): AppForm<Vec<(String, String)>>,
) -> PageResult {
    let get = |k: &str| {
        fields
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let attributes = lines(&get("attributes"))
        .into_iter()
        .map(|l| match l.split_once(':') {
            Some((n, v)) => Attribute::new(n.trim(), v.trim()),
            None => Attribute::new(l.trim(), ""),
        })
        .collect();
    let edit = LocalizationEdit {
        title: get("title").trim().to_string(),
        description: get("description").trim().to_string(),
        bullets: lines(&get("bullets")),
        keywords: get("keywords")
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        attributes,
    };
    let approve = get("action") == "approve";
    save_edit(&state, sku.clone(), market.clone(), Some(edit), false)
        .await
        .map_err(|e| err(&state, e))?;
    let to = if approve {
        save_edit(&state, sku.clone(), market.clone(), None, true)
            .await
            .map_err(|e| err(&state, e))?;
        format!("/listings/{}", urlencode(&sku))
    } else {
        format!(
            "/listings/{}/review/{}",
            urlencode(&sku),
            urlencode(&market)
        )
    };
    Ok(Redirect::to(&to).into_response())
}

/// `GET /catalog`: upload form and jobs.
pub async fn catalog_page(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
) -> PageResult {
    let j = state.services.jobs.clone();
    let jobs = blocking(move || j.list())
        .await
        .map_err(|e| err(&state, e))?;
    let markets = state.services.localizer.markets();
    page(
        &state,
        "catalog.html",
        &csrf,
        "catalog",
        context! { jobs => Value::from(minijinja::value::Serde(&jobs)), markets => Value::from(minijinja::value::Serde(&markets)), max_upload => state.config.max_upload_bytes, currency => state.services.jobs.default_currency() },
    )
}

/// `POST /catalog` (multipart): start a job and go to its page.
pub async fn catalog_post(
    State(state): State<AppState>,
    pending: Option<Extension<CsrfPending>>,
    mp: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> PageResult {
    let mp = mp.map_err(|e| err(&state, AppError::BadRequest("bad_multipart", e.body_text())))?;
    let pending = pending
        .map(|p| p.0)
        .unwrap_or_else(|| CsrfPending(String::new()));
    let form = api::read_job_form(&state, Some(&pending), mp)
        .await
        .map_err(|e| err(&state, e))?;
    let info = api::create_job_from(&state, form)
        .await
        .map_err(|e| err(&state, e))?;
    Ok(Redirect::to(&format!("/jobs/{}", urlencode(&info.id))).into_response())
}

/// `GET /jobs/{id}`: live progress.
pub async fn job_page(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    Path(id): Path<String>,
) -> PageResult {
    let job = api::job(&state, id).await.map_err(|e| err(&state, e))?;
    page(
        &state,
        "job.html",
        &csrf,
        "catalog",
        context! { job => Value::from(minijinja::value::Serde(&job)), id_url => urlencode(&job.id) },
    )
}

/// `POST /jobs/{id}/{cancel|resume}`.
pub async fn job_action(
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
) -> PageResult {
    api::job(&state, id.clone())
        .await
        .map_err(|e| err(&state, e))?;
    let j = state.services.jobs.clone();
    let i = id.clone();
    match action.as_str() {
        "cancel" => blocking(move || j.cancel(&i)).await,
        "resume" => blocking(move || j.resume(&i)).await,
        _ => Err(AppError::NotFound("action".into())),
    }
    .map_err(|e| err(&state, e))?;
    Ok(Redirect::to(&format!("/jobs/{}", urlencode(&id))).into_response())
}

/// `GET /search`: search box; results rendered here too when `q` is given.
pub async fn search_page(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
    AppQuery(mut p): AppQuery<SearchParams>,
) -> PageResult {
    let results = if p.q.trim().is_empty()
        && p.market.is_none()
        && p.status.is_none()
        && p.sort
            .as_deref()
            .is_none_or(|s| s.is_empty() || s == "relevance")
    {
        None
    } else {
        Some(
            api::run_search(&state, &mut p)
                .await
                .map_err(|e| err(&state, e))?,
        )
    };
    page(
        &state,
        "search.html",
        &csrf,
        "search",
        context! { params => Value::from(minijinja::value::Serde(&p)), results => Value::from(minijinja::value::Serde(&results)) },
    )
}

#[derive(Serialize)]
struct GlossaryView {
    name: String,
    entries: usize,
    text: String,
}

/// `GET /settings`: models, glossaries, markets, exchange rates.
pub async fn settings_page(
    State(state): State<AppState>,
    Extension(csrf): Extension<CsrfToken>,
) -> PageResult {
    let s = state.clone();
    let (models, glossaries, workers) = blocking(move || {
        let models = s.services.models.list();
        let workers = s.services.jobs.workers()?;
        let mut gl = Vec::new();
        for g in s.services.store.glossaries()? {
            let text = s.services.store.glossary(&g.name)?.unwrap_or_default();
            gl.push(GlossaryView {
                name: g.name,
                entries: g.entries,
                text,
            });
        }
        Ok((models, gl, workers))
    })
    .await
    .map_err(|e| err(&state, e))?;
    page(
        &state,
        "settings.html",
        &csrf,
        "settings",
        context! {
            models => Value::from(minijinja::value::Serde(&models)),
            glossaries => Value::from(minijinja::value::Serde(&glossaries)),
            markets => Value::from(minijinja::value::Serde(state.services.localizer.markets())),
            rates => Value::from(minijinja::value::Serde(state.services.localizer.rates())),
            currency => state.services.jobs.default_currency(),
            workers => Value::from(minijinja::value::Serde(&workers)),
        },
    )
}

/// `POST /settings/currency` (`currency`, empty to remove): the data
/// directory's default source currency, saved in its config file.
pub async fn settings_currency(
    State(state): State<AppState>,
    AppForm(fields): AppForm<Vec<(String, String)>>,
) -> PageResult {
    let currency = fields
        .iter()
        .find(|(k, _)| k == "currency")
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty());
    let j = state.services.jobs.clone();
    blocking(move || j.set_default_currency(currency))
        .await
        .map_err(|e| err(&state, e))?;
    Ok(Redirect::to("/settings#currency").into_response())
}

/// `POST /settings/models/install` (`id`).
pub async fn settings_install(
    State(state): State<AppState>,
    AppForm(fields): AppForm<Vec<(String, String)>>,
) -> PageResult {
    let id = fields
        .iter()
        .find(|(k, _)| k == "id")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let m = state.services.models.clone();
    blocking(move || m.install(&id))
        .await
        .map_err(|e| err(&state, e))?;
    Ok(Redirect::to("/settings").into_response())
}

/// `POST /settings/rates` (`from`, `to`, `rate`).
pub async fn settings_rate(
    State(state): State<AppState>,
    AppForm(fields): AppForm<Vec<(String, String)>>,
) -> PageResult {
    let get = |k: &str| {
        fields
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let rate = ExchangeRate {
        from: get("from").to_ascii_uppercase(),
        to: get("to").to_ascii_uppercase(),
        rate: get("rate"),
    };
    let l = state.services.localizer.clone();
    blocking(move || l.set_rate(rate))
        .await
        .map_err(|e| err(&state, e))?;
    Ok(Redirect::to("/settings").into_response())
}

/// `POST /settings/glossaries/{name}` (`text`): edit a glossary.
pub async fn settings_glossary_edit(
    State(state): State<AppState>,
    Path(name): Path<String>,
    AppForm(fields): AppForm<Vec<(String, String)>>,
) -> PageResult {
    check_glossary_name(&name).map_err(|e| err(&state, e))?;
    let text = fields
        .iter()
        .find(|(k, _)| k == "text")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let s = state.services.store.clone();
    blocking(move || s.put_glossary(&name, &text))
        .await
        .map_err(|e| err(&state, e))?;
    Ok(Redirect::to("/settings").into_response())
}

/// Largest glossary file taken from the settings page (the parser's own limit).
const MAX_GLOSSARY_UPLOAD: usize = 1024 * 1024;

/// `POST /settings/glossaries/{name}/delete`: delete a glossary.
pub async fn settings_glossary_delete(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> PageResult {
    check_glossary_name(&name).map_err(|e| err(&state, e))?;
    let s = state.services.store.clone();
    let n = name.clone();
    let found = blocking(move || s.delete_glossary(&n))
        .await
        .map_err(|e| err(&state, e))?;
    if !found {
        return Err(err(
            &state,
            AppError::NotFound(format!("glossary `{name}`")),
        ));
    }
    Ok(Redirect::to("/settings").into_response())
}

/// `POST /settings/glossaries` (multipart: `csrf`, `name`, `file`): upload one.
pub async fn settings_glossary_upload(
    State(state): State<AppState>,
    pending: Option<Extension<CsrfPending>>,
    mp: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> PageResult {
    let mut mp =
        mp.map_err(|e| err(&state, AppError::BadRequest("bad_multipart", e.body_text())))?;
    let pending = pending
        .map(|p| p.0)
        .unwrap_or_else(|| CsrfPending(String::new()));
    let (mut csrf, mut name, mut text) = (None, String::new(), None);
    let bad = |e: axum::extract::multipart::MultipartError| {
        AppError::BadRequest("bad_multipart", e.body_text())
    };
    while let Some(mut f) = mp.next_field().await.map_err(|e| err(&state, bad(e)))? {
        let field = f.name().unwrap_or("").to_string();
        match field.as_str() {
            "csrf" => {
                csrf = Some(
                    api::small_field(&mut f, "csrf", 128)
                        .await
                        .map_err(|e| err(&state, e))?,
                )
            }
            "name" => {
                name = api::small_field(&mut f, "name", 256)
                    .await
                    .map_err(|e| err(&state, e))?
                    .trim()
                    .to_string()
            }
            "file" => {
                verify_pending(Some(&pending), csrf.as_deref()).map_err(|e| err(&state, e))?;
                text = Some(
                    api::small_field(&mut f, "file", MAX_GLOSSARY_UPLOAD)
                        .await
                        .map_err(|e| err(&state, e))?,
                );
            }
            _ => {}
        }
    }
    verify_pending(Some(&pending), csrf.as_deref()).map_err(|e| err(&state, e))?;
    check_glossary_name(&name).map_err(|e| err(&state, e))?;
    let text = text.ok_or_else(|| err(&state, AppError::invalid("file", "no file uploaded")))?;
    let s = state.services.store.clone();
    blocking(move || s.put_glossary(&name, &text))
        .await
        .map_err(|e| err(&state, e))?;
    Ok(Redirect::to("/settings").into_response())
}

/// Fallback: 404 as a page for browsers, JSON for the API.
pub async fn not_found(State(state): State<AppState>, uri: axum::http::Uri) -> Response {
    let e = AppError::NotFound(format!(
        "`{}`",
        uri.path().chars().take(200).collect::<String>()
    ));
    if uri.path().starts_with("/api/") {
        e.into_response()
    } else {
        err(&state, e).into_response()
    }
}
