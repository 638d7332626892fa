//! `AppError`: every failure of a route as one stable JSON shape
//! `{"code": "...", "message": "..."}` with the right HTTP status. Internal errors
//! are logged with their cause and answered with a generic message.
//! `AppJson` and `AppQuery` are extractors that turn axum's rejections (bad JSON,
//! oversized body) into `AppError`.

use axum::extract::rejection::{FormRejection, JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::services::ServiceError;

/// The JSON body of every error.
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
pub struct ErrorBody {
    /// Stable machine code (`bad_json`, `not_found`, `payload_too_large`, …).
    pub code: String,
    /// What went wrong, for a person.
    pub message: String,
}

/// A route's failure.
#[derive(Debug)]
pub enum AppError {
    /// 400 with a code.
    BadRequest(&'static str, String),
    /// 401: missing or wrong access token.
    Unauthorized,
    /// 403: CSRF check failed.
    Forbidden(String),
    /// 404.
    NotFound(String),
    /// 421: a Host the server does not answer to.
    Misdirected(String),
    /// 409.
    Conflict(String),
    /// 413.
    TooLarge(usize),
    /// 422: a field is unacceptable.
    Invalid {
        /// Field.
        field: String,
        /// Why.
        message: String,
    },
    /// 503 + Retry-After: queue full or model not ready.
    Unavailable {
        /// Code (`queue_full`, `not_ready`).
        code: &'static str,
        /// Message.
        message: String,
        /// Seconds.
        retry_after: u32,
    },
    /// 500: logged, not shown.
    Internal(anyhow::Error),
}

impl AppError {
    /// Status code.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(..) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Misdirected(_) => StatusCode::MISDIRECTED_REQUEST,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The JSON body (internal causes replaced by a generic message).
    pub fn body(&self) -> ErrorBody {
        let (code, message) = match self {
            AppError::BadRequest(c, m) => (*c, m.clone()),
            AppError::Unauthorized => (
                "unauthorized",
                "an access token is required (Authorization: Bearer <token>)".to_string(),
            ),
            AppError::Forbidden(m) => ("forbidden", m.clone()),
            AppError::NotFound(m) => ("not_found", format!("{m} not found")),
            AppError::Misdirected(m) => ("misdirected_request", m.clone()),
            AppError::Conflict(m) => ("conflict", m.clone()),
            AppError::TooLarge(limit) => (
                "payload_too_large",
                format!("the request body is larger than the limit of {limit} bytes"),
            ),
            AppError::Invalid { field, message } => ("invalid", format!("{field}: {message}")),
            AppError::Unavailable { code, message, .. } => (*code, message.clone()),
            AppError::Internal(_) => ("internal", "internal error; see the server log".to_string()),
        };
        ErrorBody {
            code: code.to_string(),
            message,
        }
    }

    /// A 422 naming the field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    /// 503 queue full.
    pub fn queue_full() -> Self {
        AppError::Unavailable {
            code: "queue_full",
            message: "too many requests in flight; try again shortly".into(),
            retry_after: 5,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(e) = &self {
            tracing::error!(error = format!("{e:#}"), "internal error");
        }
        let status = self.status();
        let mut resp = (status, axum::Json(self.body())).into_response();
        if let AppError::Unavailable { retry_after, .. } = &self {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
        }
        resp
    }
}

impl From<ServiceError> for AppError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::NotFound(m) => AppError::NotFound(m),
            ServiceError::Invalid { field, message } => AppError::Invalid { field, message },
            ServiceError::Conflict(m) => AppError::Conflict(m),
            ServiceError::Busy(m) => AppError::Unavailable {
                code: "queue_full",
                message: m,
                retry_after: 5,
            },
            ServiceError::NotReady(m) => AppError::Unavailable {
                code: "not_ready",
                message: m,
                retry_after: 10,
            },
            ServiceError::Cancelled => AppError::Conflict("cancelled".into()),
            ServiceError::Internal(e) => AppError::Internal(e),
        }
    }
}

impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> Self {
        AppError::Internal(e)
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(e: tokio::task::JoinError) -> Self {
        AppError::Internal(anyhow::anyhow!("worker task failed: {e}"))
    }
}

fn limit_of(status: StatusCode, text: &str) -> Option<AppError> {
    (status == StatusCode::PAYLOAD_TOO_LARGE).then(|| {
        tracing::debug!(rejection = text, "body over limit");
        AppError::TooLarge(0)
    })
}

/// The body limit the limits layer recorded for this request (0 when none).
fn body_limit(req: &axum::extract::Request) -> usize {
    req.extensions()
        .get::<super::limits::BodyLimit>()
        .map_or(0, |l| l.0)
}

/// Map a body extractor's rejection: over the limit is a 413, anything else a 400 with `code`.
fn body_rejection(limit: usize, status: StatusCode, text: String, code: &'static str) -> AppError {
    match limit_of(status, &text) {
        Some(_) => AppError::TooLarge(limit),
        None => AppError::BadRequest(code, text),
    }
}

/// `Json<T>` whose rejections are `AppError`s (`bad_json`, `payload_too_large`).
#[derive(Debug, Clone, Copy, Default)]
pub struct AppJson<T>(pub T);

impl<T, S> FromRequest<S> for AppJson<T>
where
    axum::Json<T>: FromRequest<S, Rejection = JsonRejection>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, AppError> {
        let limit = body_limit(&req);
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(AppJson(v)),
            Err(r) => Err(body_rejection(limit, r.status(), r.body_text(), "bad_json")),
        }
    }
}

/// `Form<T>` with `AppError` rejections.
#[derive(Debug, Clone, Copy, Default)]
pub struct AppForm<T>(pub T);

impl<T, S> FromRequest<S> for AppForm<T>
where
    axum::Form<T>: FromRequest<S, Rejection = FormRejection>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, AppError> {
        let limit = body_limit(&req);
        match axum::Form::<T>::from_request(req, state).await {
            Ok(axum::Form(v)) => Ok(AppForm(v)),
            Err(r) => Err(body_rejection(limit, r.status(), r.body_text(), "bad_form")),
        }
    }
}

/// `Query<T>` with `AppError` rejections.
#[derive(Debug, Clone, Copy, Default)]
pub struct AppQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for AppQuery<T>
where
    axum::extract::Query<T>: FromRequestParts<S, Rejection = QueryRejection>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, AppError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(AppQuery(v)),
            Err(r) => Err(AppError::BadRequest("bad_query", r.body_text())),
        }
    }
}
