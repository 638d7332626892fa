//! Access token and CSRF protection.
//!
//! - Access token: when the config has one (always when listening beyond
//!   loopback), every request but `/healthz` and `/readyz` needs it, as
//!   `Authorization: Bearer <token>` or the `silkroute_token` cookie. Opening any
//!   page with `?token=<token>` sets the cookie (the URL printed at startup).
//! - CSRF (double submit): every page response makes sure the browser has a
//!   random `silkroute_csrf` cookie (SameSite=Strict, HttpOnly) and hands the same
//!   value to the templates, which put it in a hidden `csrf` field and a
//!   `<meta>` tag for scripts. Every unsafe request to a page route must send the
//!   value back, as the `X-CSRF-Token` header or the `csrf` form field
//!   (multipart forms, which only the upload routes take: checked by the
//!   handler, which reads the `csrf` part first; a multipart post to any other
//!   page is refused). API routes (`/api/…`) refuse a browser `Origin` other than their
//!   own host, so a foreign site cannot post to them.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, SameSite};

use super::config::random_token;
use super::error::AppError;
use super::state::AppState;

/// Name of the access-token cookie.
pub const TOKEN_COOKIE: &str = "silkroute_token";
/// Name of the CSRF cookie.
pub const CSRF_COOKIE: &str = "silkroute_csrf";
/// Header scripts send the CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The CSRF token of this browser session (request extension, for templates).
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

/// Set by the guard on multipart page posts: the handler must compare the form's
/// `csrf` part with this value.
#[derive(Debug, Clone)]
pub struct CsrfPending(pub String);

/// Compare in time independent of where the strings differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A cookie's value from the request headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| Cookie::parse(kv.trim().to_string()).ok())
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
}

fn set_cookie(resp: &mut Response, name: &str, value: String) {
    let c = Cookie::build((name.to_string(), value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .build();
    if let Ok(v) = HeaderValue::from_str(&c.to_string()) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// Middleware: the access token.
pub async fn require_token(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(expected) = state.config.token.clone() else {
        return next.run(req).await;
    };
    let path = req.uri().path();
    if path == "/healthz" || path == "/readyz" {
        return next.run(req).await;
    }
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    let from_cookie = cookie(req.headers(), TOKEN_COOKIE);
    if bearer
        .or(from_cookie)
        .is_some_and(|t| constant_time_eq(&t, &expected))
    {
        return next.run(req).await;
    }
    // `?token=` on a GET: set the cookie and drop the token from the address.
    if req.method() == Method::GET
        && let Some(q) = req.uri().query()
        && let Some(t) = url_query_value(q, "token")
        && constant_time_eq(&t, &expected)
    {
        let mut resp = Redirect::to(req.uri().path()).into_response();
        set_cookie(&mut resp, TOKEN_COOKIE, expected);
        return resp;
    }
    AppError::Unauthorized.into_response()
}

fn url_query_value(q: &str, key: &str) -> Option<String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(q)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

fn origin_matches_host(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true; // not a browser, or a same-origin GET
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let origin_host = origin
        .split_once("://")
        .map_or("", |(_, rest)| rest.trim_end_matches('/'));
    !host.is_empty() && origin_host.eq_ignore_ascii_case(host)
}

/// Middleware: CSRF cookie for every request, and the double-submit check on
/// every unsafe method.
pub async fn csrf(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let existing = cookie(req.headers(), CSRF_COOKIE).filter(|c| c.len() == 64);
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if unsafe_method {
        if !origin_matches_host(req.headers()) {
            return AppError::Forbidden("cross-origin request refused".into()).into_response();
        }
        let is_api = req.uri().path().starts_with("/api/");
        if !is_api {
            let Some(expected) = existing.clone() else {
                return AppError::Forbidden("missing CSRF cookie; reload the page".into())
                    .into_response();
            };
            match check_page_post(req, &expected, state.config.max_body_bytes).await {
                Ok(r) => req = r,
                Err(e) => return e.into_response(),
            }
        }
    }
    let token = existing.clone().unwrap_or_else(random_token);
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let mut resp = next.run(req).await;
    if existing.is_none() {
        set_cookie(&mut resp, CSRF_COOKIE, token);
    }
    resp
}

async fn check_page_post(req: Request, expected: &str, limit: usize) -> Result<Request, AppError> {
    if let Some(h) = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        return if constant_time_eq(h, expected) {
            Ok(req)
        } else {
            Err(AppError::Forbidden("CSRF token mismatch".into()))
        };
    }
    let ctype = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    // Only the upload forms read multipart, and they check the `csrf` part
    // themselves; any other page refuses a multipart post outright.
    if ctype.starts_with("multipart/form-data")
        && super::limits::is_upload(req.method(), req.uri().path())
    {
        let mut req = req;
        req.extensions_mut()
            .insert(CsrfPending(expected.to_string()));
        return Ok(req);
    }
    if ctype.starts_with("application/x-www-form-urlencoded") {
        let (parts, body) = req.into_parts();
        let bytes = axum::body::to_bytes(body, limit)
            .await
            .map_err(|_| AppError::TooLarge(limit))?;
        let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes)
            .map_err(|e| AppError::BadRequest("bad_form", e.to_string()))?;
        let ok = fields
            .iter()
            .any(|(k, v)| k == "csrf" && constant_time_eq(v, expected));
        if !ok {
            return Err(AppError::Forbidden(
                "CSRF token missing or wrong; reload the page".into(),
            ));
        }
        return Ok(Request::from_parts(parts, Body::from(bytes)));
    }
    Err(AppError::Forbidden("CSRF token missing".into()))
}

/// For multipart page handlers: check the `csrf` part against the pending value.
pub fn verify_pending(pending: Option<&CsrfPending>, got: Option<&str>) -> Result<(), AppError> {
    match pending {
        None => Ok(()), // API route or header-checked
        Some(CsrfPending(expected)) => match got {
            Some(g) if constant_time_eq(g, expected) => Ok(()),
            _ => Err(AppError::Forbidden(
                "CSRF token missing or wrong; reload the page".into(),
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_eq_works() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "ab"));
    }

    #[test]
    fn origin_check() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, "127.0.0.1:8080".parse().unwrap());
        assert!(origin_matches_host(&h));
        h.insert(header::ORIGIN, "http://127.0.0.1:8080".parse().unwrap());
        assert!(origin_matches_host(&h));
        h.insert(header::ORIGIN, "https://evil.example".parse().unwrap());
        assert!(!origin_matches_host(&h));
    }
}
