//! The Host allowlist and the security headers.
//!
//! DNS rebinding: a page the seller visits can point its own name at 127.0.0.1
//! and then read and change everything through the seller's browser, because
//! to the browser that is the page's own origin (so the Origin and CSRF checks
//! pass). What the browser cannot change is the `Host` header: it carries the
//! page's name. [`check_host`] answers 421 to any request whose Host is not one
//! the server serves: an IP address (the bound one, a loopback one, or any
//! address when listening on all of them — a rebinding page can only send a
//! name), `localhost`, or a name listed in the configuration (`allowed_hosts`).
//! Pages and API alike; a request without a Host (HTTP/1.0, in-process tests)
//! is not a browser's and passes.
//!
//! [`SECURITY_HEADERS`] are a strict Content-Security-Policy (scripts, styles
//! and connections from the server itself only; no frames, no plugins),
//! `X-Frame-Options: DENY`, `X-Content-Type-Options: nosniff` and
//! `Referrer-Policy: same-origin` to every response.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{Request, State};
use axum::http::{HeaderName, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::AppError;
use super::state::AppState;

/// The Content-Security-Policy of every response.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
                       img-src 'self' data:; connect-src 'self'; form-action 'self'; \
                       frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// The host part of a `Host` header value (`name`, `1.2.3.4`, `[::1]`), lower case.
fn host_name(value: &str) -> String {
    let v = value.trim();
    let host = if let Some(rest) = v.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        v.rsplit_once(':')
            .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
            .map_or(v, |(h, _)| h)
    };
    host.trim_end_matches('.').to_ascii_lowercase()
}

/// Whether the server answers to `host` (a Host header's value).
pub fn host_allowed(host: &str, listen: SocketAddr, allowed: &[String]) -> bool {
    let name = host_name(host);
    if name.is_empty() {
        return false;
    }
    if let Ok(ip) = name.parse::<IpAddr>() {
        return ip.is_loopback() || ip == listen.ip() || listen.ip().is_unspecified();
    }
    name == "localhost"
        || name.ends_with(".localhost")
        || allowed.iter().any(|a| host_name(a) == name)
}

/// Middleware: 421 for a Host the server does not serve.
pub async fn check_host(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .map(|v| v.to_str().unwrap_or("\u{fffd}").to_string())
        .or_else(|| req.uri().authority().map(|a| a.as_str().to_string()));
    if let Some(h) = host
        && !host_allowed(&h, state.config.listen, &state.config.allowed_hosts)
    {
        let shown: String = h.chars().take(100).collect();
        let e = AppError::Misdirected(format!(
            "this server does not answer to the host `{shown}`; add it to `allowed_hosts` in the configuration if it is yours"
        ));
        return if req.uri().path().starts_with("/api/") {
            e.into_response()
        } else {
            let status = e.status();
            (
                status,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                e.body().message,
            )
                .into_response()
        };
    }
    next.run(req).await
}

/// The security headers every response carries (set by tower-http's
/// `SetResponseHeaderLayer` in [`app`](super::app)).
pub const SECURITY_HEADERS: [(HeaderName, &str); 4] = [
    (header::CONTENT_SECURITY_POLICY, CSP),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "same-origin"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        let lo: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let any: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        let allowed = vec!["shop.example.com".to_string()];
        for h in [
            "127.0.0.1:8080",
            "localhost:8080",
            "LOCALHOST",
            "[::1]:8080",
            "127.0.0.2",
        ] {
            assert!(host_allowed(h, lo, &[]), "{h}");
        }
        for h in [
            "evil.example:8080",
            "evil.example",
            "192.168.1.5:8080",
            "",
            "localhost.evil.example",
        ] {
            assert!(!host_allowed(h, lo, &[]), "{h}");
        }
        assert!(host_allowed("shop.example.com:8080", lo, &allowed));
        assert!(host_allowed("Shop.Example.Com.", lo, &allowed));
        assert!(host_allowed("192.168.1.5:8080", any, &[]));
        assert!(!host_allowed("evil.example", any, &allowed));
    }
}
