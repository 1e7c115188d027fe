//! The one error type of the API and its RFC 9457 `application/problem+json`
//! rendering.
//!
//! Every error carries a stable machine-readable `code` from [`ErrorCode`]; the
//! HTTP status follows from the code. Internal causes (SQL errors, broker
//! errors, panics) are logged with the request's span and never sent.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// Stable error codes. Clients switch on these, so a code is never renamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 400: the body is not well-formed JSON or a parameter cannot be parsed.
    BadRequest,
    /// 401: missing, unknown, expired or revoked bearer token.
    Unauthorized,
    /// 401: wrong email or password.
    InvalidCredentials,
    /// 403: the caller is authenticated but lacks the role.
    Forbidden,
    /// 404: no such object, or it belongs to someone else.
    NotFound,
    /// 405: the route exists but not for this method.
    MethodNotAllowed,
    /// 409: the email is already registered.
    EmailTaken,
    /// 409: the request conflicts with the current state (e.g. a duplicate queued job).
    Conflict,
    /// 409: the session has no analysis to draw yet (pending or failed; see
    /// its `/analysis`), or one made by a version the chart cannot read.
    AnalysisNotReady,
    /// 413: the body (or its decompressed form) exceeds the limit.
    PayloadTooLarge,
    /// 414: the request URI is longer than the server reads.
    UriTooLong,
    /// 431: the request's header section is larger than the server reads.
    HeaderFieldsTooLarge,
    /// 415: unknown Content-Type or Content-Encoding.
    UnsupportedMediaType,
    /// 422: the request is well-formed but its values are invalid.
    ValidationFailed,
    /// 422: the uploaded sensor data is invalid (see `errors`).
    InvalidSensorData,
    /// 422: an Idempotency-Key was reused with a different request.
    IdempotencyKeyReused,
    /// 408: the request body arrived more slowly than the configured minimum rate.
    RequestTimeout,
    /// 429: too many attempts; see Retry-After.
    RateLimited,
    /// 503: the database is unreachable or did not answer in time.
    DatabaseUnavailable,
    /// 503: the request did not complete within the configured timeout.
    Timeout,
    /// 503: too many uploads in progress; see Retry-After.
    ServerBusy,
    /// 500: a bug; the details are in the server log.
    Internal,
}

impl ErrorCode {
    /// The HTTP status for the code.
    pub fn status(self) -> StatusCode {
        use ErrorCode::*;
        match self {
            BadRequest => StatusCode::BAD_REQUEST,
            Unauthorized | InvalidCredentials => StatusCode::UNAUTHORIZED,
            Forbidden => StatusCode::FORBIDDEN,
            NotFound => StatusCode::NOT_FOUND,
            MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            EmailTaken | Conflict | AnalysisNotReady => StatusCode::CONFLICT,
            PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            UriTooLong => StatusCode::URI_TOO_LONG,
            HeaderFieldsTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ValidationFailed | InvalidSensorData | IdempotencyKeyReused => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            RateLimited => StatusCode::TOO_MANY_REQUESTS,
            DatabaseUnavailable | Timeout | ServerBusy => StatusCode::SERVICE_UNAVAILABLE,
            Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The code as it appears in responses.
    pub fn as_str(self) -> &'static str {
        use ErrorCode::*;
        match self {
            BadRequest => "bad_request",
            Unauthorized => "unauthorized",
            InvalidCredentials => "invalid_credentials",
            Forbidden => "forbidden",
            NotFound => "not_found",
            MethodNotAllowed => "method_not_allowed",
            EmailTaken => "email_taken",
            Conflict => "conflict",
            AnalysisNotReady => "analysis_not_ready",
            PayloadTooLarge => "payload_too_large",
            UriTooLong => "uri_too_long",
            HeaderFieldsTooLarge => "header_fields_too_large",
            UnsupportedMediaType => "unsupported_media_type",
            ValidationFailed => "validation_failed",
            InvalidSensorData => "invalid_sensor_data",
            IdempotencyKeyReused => "idempotency_key_reused",
            RequestTimeout => "request_timeout",
            RateLimited => "rate_limited",
            DatabaseUnavailable => "database_unavailable",
            Timeout => "timeout",
            ServerBusy => "server_busy",
            Internal => "internal",
        }
    }

    /// A short human summary of the problem type (the RFC's `title`).
    fn title(self) -> &'static str {
        use ErrorCode::*;
        match self {
            BadRequest => "Malformed request",
            Unauthorized => "Authentication required",
            InvalidCredentials => "Invalid email or password",
            Forbidden => "Not allowed",
            NotFound => "Not found",
            MethodNotAllowed => "Method not allowed",
            EmailTaken => "Email already registered",
            Conflict => "Conflict with the current state",
            AnalysisNotReady => "Analysis not ready",
            PayloadTooLarge => "Payload too large",
            UriTooLong => "URI too long",
            HeaderFieldsTooLarge => "Request header fields too large",
            UnsupportedMediaType => "Unsupported media type",
            ValidationFailed => "Validation failed",
            InvalidSensorData => "Invalid sensor data",
            IdempotencyKeyReused => "Idempotency key reused with a different request",
            RequestTimeout => "Request body too slow",
            RateLimited => "Too many requests",
            DatabaseUnavailable => "Database unavailable",
            Timeout => "Request timed out",
            ServerBusy => "Server busy",
            Internal => "Internal error",
        }
    }
}

/// One invalid field or sensor-data location.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldError {
    /// The field (`name`, `started_at`) or column (`gz`) concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The 1-based line of the uploaded file, for sensor data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// What is wrong.
    pub message: String,
}

impl FieldError {
    /// An error about a named field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: Some(field.to_owned()),
            line: None,
            message: message.into(),
        }
    }
}

/// The RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the problem type: `urn:hoofbeat:problem:<code>`.
    #[serde(rename = "type")]
    pub type_: String,
    /// Short summary of the problem type.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// This occurrence, in words.
    pub detail: String,
    /// Stable machine-readable code.
    pub code: ErrorCode,
    /// Field-level errors, when the request had invalid values.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// An error answered to the client.
#[derive(Debug)]
pub struct ApiError {
    code: ErrorCode,
    detail: String,
    errors: Vec<FieldError>,
    retry_after_s: Option<u64>,
}

/// Result alias for handlers.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// An error with a code and a detail meant for the client.
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: detail.into(),
            errors: Vec::new(),
            retry_after_s: None,
        }
    }

    /// Adds field-level errors.
    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.errors = errors;
        self
    }

    /// Adds a Retry-After header (seconds).
    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after_s = Some(seconds);
        self
    }

    /// 404 for a resource kind; used for both "absent" and "someone else's".
    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorCode::NotFound, format!("{what} not found"))
    }

    /// 422 with one field error.
    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::new(ErrorCode::ValidationFailed, format!("{field}: {message}"))
            .with_errors(vec![FieldError::field(field, message)])
    }

    /// 500; the cause is logged here and not sent.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(
            ErrorCode::Internal,
            "an internal error occurred; it has been logged",
        )
    }

    /// The error's code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// What the client is told (the console shows a validation error's).
    pub fn detail(&self) -> &str {
        &self.detail
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        if shared::db::is_unavailable(&err) {
            tracing::warn!(error = %err, "database unavailable");
            Self::new(
                ErrorCode::DatabaseUnavailable,
                "the database is unavailable; try again shortly",
            )
            .with_retry_after(5)
        } else {
            Self::internal(format_args!("database error: {err}"))
        }
    }
}

impl Problem {
    fn new(code: ErrorCode, detail: String, errors: Vec<FieldError>) -> Self {
        Self {
            type_: format!("urn:hoofbeat:problem:{}", code.as_str()),
            title: code.title().to_owned(),
            status: code.status().as_u16(),
            detail,
            code,
            errors,
        }
    }

    fn to_vec(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_else(|_| b"{}".to_vec())
    }
}

/// The serialized problem document for `code`, for answers written below
/// the router (see `serve::protocol_errors`).
pub(crate) fn problem_body(code: ErrorCode, detail: &str) -> Vec<u8> {
    Problem::new(code, detail.to_owned(), Vec::new()).to_vec()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.code.status();
        let body = Problem::new(self.code, self.detail, self.errors).to_vec();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(s) = self.retry_after_s {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        if self.code == ErrorCode::Unauthorized || self.code == ErrorCode::InvalidCredentials {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        // For middleware that reacts to the kind of failure (db_health).
        response.extensions_mut().insert(self.code);
        response
    }
}
