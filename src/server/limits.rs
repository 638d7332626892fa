//! Input bounds: the body-size middleware (a clear 413 JSON error before reading
//! a byte when `Content-Length` is over the limit; a streamed body is wrapped in
//! `http_body_util::Limited`, so the extractors stop at the limit and answer
//! 413) and the per-field length limits of listings submitted through the API
//! and the forms.
//!
//! The middleware does what tower-http's `RequestBodyLimitLayer` does (the same
//! `Limited` wrapper), plus three things that layer does not: the limit is
//! chosen per request from the configuration (uploads get
//! `max_upload_bytes`, everything else `max_body_bytes`, see [`is_upload`]),
//! the 413 is the app's JSON error, and the limit is recorded in the request
//! ([`BodyLimit`]) so the extractors' errors can name it.

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::AppError;
use crate::listing::{FieldId, Listing};

/// The body limit in force for a request (an extension set by the middleware).
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// Is this an upload route (catalog or glossary file), which gets the upload
/// limit instead of the body limit?
pub fn is_upload(method: &axum::http::Method, path: &str) -> bool {
    (method == axum::http::Method::POST
        && matches!(path, "/api/v1/jobs" | "/catalog" | "/settings/glossaries"))
        || (method == axum::http::Method::PUT && path.starts_with("/api/v1/glossaries/"))
}

/// Middleware: reject bodies whose declared length is over the limit with a 413
/// JSON error before reading them, cap streamed bodies at the same limit (the
/// extractors then answer 413), and turn any other 413 into the JSON shape.
pub async fn body_limit(
    State(state): State<super::state::AppState>,
    req: Request,
    next: Next,
) -> Response {
    let limit = if is_upload(req.method(), req.uri().path()) {
        state.config.max_upload_bytes
    } else {
        state.config.max_body_bytes
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return AppError::TooLarge(limit).into_response();
    }
    let mut req = req.map(|b| axum::body::Body::new(http_body_util::Limited::new(b, limit)));
    req.extensions_mut().insert(BodyLimit(limit));
    let resp = next.run(req).await;
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if resp.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE && !is_json {
        return AppError::TooLarge(limit).into_response();
    }
    resp
}

/// Most markets a single request may target.
pub const MAX_MARKETS: usize = 16;
/// Longest sku, bytes.
pub const MAX_SKU: usize = 128;
/// Longest title, bytes.
pub const MAX_TITLE: usize = 1_000;
/// Longest description, bytes.
pub const MAX_DESCRIPTION: usize = 20_000;
/// Longest bullet, keyword, brand, category, attribute, bytes.
pub const MAX_SHORT: usize = 1_000;
/// Most bullets, attributes, keywords, images.
pub const MAX_ITEMS: usize = 50;

/// Check every field of a submitted listing against the bounds above (and the
/// listing's own validation); the error names the field.
pub fn check_listing(l: &Listing) -> Result<(), AppError> {
    let check = |field: &str, s: &str, max: usize| -> Result<(), AppError> {
        if s.len() > max {
            Err(AppError::invalid(
                field,
                format!("is {} bytes, over the limit of {max}", s.len()),
            ))
        } else {
            Ok(())
        }
    };
    let count = |field: &str, n: usize| -> Result<(), AppError> {
        if n > MAX_ITEMS {
            Err(AppError::invalid(
                field,
                format!("has {n} items, over the limit of {MAX_ITEMS}"),
            ))
        } else {
            Ok(())
        }
    };
    check("sku", &l.sku, MAX_SKU)?;
    if l.sku.chars().any(|c| c.is_control() || c == '/') {
        return Err(AppError::invalid(
            "sku",
            "must not contain `/` or control characters",
        ));
    }
    check("title", &l.title, MAX_TITLE)?;
    check("description", &l.description, MAX_DESCRIPTION)?;
    count("bullets", l.bullets.len())?;
    for (i, b) in l.bullets.iter().enumerate() {
        check(&FieldId::Bullet(i).to_string(), b, MAX_SHORT)?;
    }
    count("attributes", l.attributes.len())?;
    for a in &l.attributes {
        check("attributes.name", &a.name, MAX_SHORT)?;
        check(
            &FieldId::Attribute(a.name.clone()).to_string(),
            &a.value,
            MAX_SHORT,
        )?;
    }
    count("keywords", l.keywords.len())?;
    for k in &l.keywords {
        check("keywords", k, MAX_SHORT)?;
    }
    count("images", l.images.len())?;
    for k in &l.images {
        check("images", k, MAX_SHORT)?;
    }
    count("extra", l.extra.len())?;
    count("variants", l.variants.len())?;
    check("brand", l.brand.as_deref().unwrap_or(""), MAX_SHORT)?;
    check("category", l.category.as_deref().unwrap_or(""), MAX_SHORT)?;
    l.validate().map_err(|e| {
        let field = match &e {
            crate::listing::ListingError::Missing(f) => (*f).to_string(),
            crate::listing::ListingError::TooLong { field, .. } => field.clone(),
            crate::listing::ListingError::Currency(_) => "price.currency".into(),
        };
        AppError::invalid(field, e.to_string())
    })
}

/// Check a list of market ids: bounded, non-empty, all known.
pub fn check_markets(markets: &[String], known: &[String]) -> Result<(), AppError> {
    if markets.is_empty() {
        return Err(AppError::invalid("markets", "choose at least one market"));
    }
    if markets.len() > MAX_MARKETS {
        return Err(AppError::invalid(
            "markets",
            format!("at most {MAX_MARKETS} markets per request"),
        ));
    }
    for m in markets {
        if !known.iter().any(|k| k == m) {
            return Err(AppError::BadRequest(
                "unknown_market",
                format!(
                    "unknown market `{}`; see /api/v1/markets",
                    m.chars().take(64).collect::<String>()
                ),
            ));
        }
    }
    Ok(())
}
