//! Request extractors whose rejections are problem+json like every other error.

use std::net::{IpAddr, SocketAddr};

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, ErrorCode};

/// `axum::Json` with problem+json rejections (unknown fields → 422 naming the
/// field), accepting only the documented object shapes (never an array
/// filling fields by position) and no U+0000 in any string.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(req.headers()) {
            return Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "expected Content-Type: application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state).await?;
        if shared::json::has_nul_in_strings(&bytes) {
            return Err(ApiError::new(
                ErrorCode::ValidationFailed,
                "text must not contain the character U+0000",
            ));
        }
        let axum::Json(shared::json::ObjectOnly(value)) =
            axum::Json::<shared::json::ObjectOnly<T>>::from_bytes(&bytes)?;
        Ok(Json(value))
    }
}

/// `application/json` or any `application/*+json`, parameters ignored.
fn is_json(headers: &axum::http::HeaderMap) -> bool {
    let Some(ct) = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// `axum::extract::Path` with problem+json rejections.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

/// `axum::extract::Query` with problem+json rejections; a parameter whose
/// percent-decoded bytes are not UTF-8 or contain U+0000 is refused (422
/// naming it) instead of being silently replaced.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        if let Some(q) = parts.uri.query() {
            check_query_text(q)?;
        }
        let axum::extract::Query(value) = axum::extract::Query::<T>::try_from_uri(&parts.uri)?;
        Ok(Query(value))
    }
}

/// `application/x-www-form-urlencoded` decoding of one name or value.
fn form_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    out
}

fn check_query_text(query: &str) -> Result<(), ApiError> {
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name_bytes = form_decode(name);
        let field = String::from_utf8_lossy(&name_bytes).into_owned();
        for bytes in [&name_bytes, &form_decode(value)] {
            match std::str::from_utf8(bytes) {
                Err(_) => return Err(ApiError::invalid_field(&field, "is not valid UTF-8")),
                Ok(t) if t.contains('\0') => {
                    return Err(ApiError::invalid_field(
                        &field,
                        "must not contain the character U+0000",
                    ));
                }
                Ok(_) => {}
            }
        }
    }
    Ok(())
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::JsonDataError(e) => {
                ApiError::new(ErrorCode::ValidationFailed, e.body_text())
            }
            JsonRejection::JsonSyntaxError(e) => {
                ApiError::new(ErrorCode::BadRequest, e.body_text())
            }
            JsonRejection::MissingJsonContentType(_) => ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "expected Content-Type: application/json",
            ),
            JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::new(ErrorCode::PayloadTooLarge, "the request body is too large")
            }
            other => ApiError::new(ErrorCode::BadRequest, other.body_text()),
        }
    }
}

impl From<BytesRejection> for ApiError {
    fn from(rejection: BytesRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(ErrorCode::PayloadTooLarge, "the request body is too large")
        } else {
            ApiError::new(ErrorCode::BadRequest, rejection.body_text())
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        ApiError::new(
            ErrorCode::BadRequest,
            format!("invalid path parameter: {}", rejection.body_text()),
        )
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::new(ErrorCode::ValidationFailed, rejection.body_text())
    }
}

/// The client's address when the server was started with connect info
/// (it is not in `oneshot` tests).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Option<IpAddr>);

impl FromRequestParts<crate::state::AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &crate::state::AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        Ok(ClientAddr(peer.map(|p| {
            crate::client_addr::client_ip(p, &parts.headers, &state.config.trusted_proxies)
        })))
    }
}

/// `#[serde(deserialize_with = "crate::extract::optional_integer")]` for an
/// optional integer in a JSON body: JSON Schema's `integer` includes `43.0`,
/// which serde would refuse for an `i64`; a fractional or out-of-range number
/// is still refused.
pub fn optional_integer<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    use serde::Deserialize;
    let Some(n) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    if let Some(i) = n.as_i64() {
        return Ok(Some(i));
    }
    match n.as_f64() {
        // Strict bounds: i64::MIN - 1 rounds to i64::MIN as f64.
        Some(f) if f.fract() == 0.0 && f > i64::MIN as f64 && f < i64::MAX as f64 => {
            Ok(Some(f as i64))
        }
        _ => Err(serde::de::Error::custom(format!(
            "expected an integer, got {n}"
        ))),
    }
}
