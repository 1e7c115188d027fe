//! Answers carrying a chart: `image/svg+xml` with an `ETag` taken from the
//! bytes (the renderer is deterministic), `304` for a matching
//! `If-None-Match`, and a cache policy for personal data; and the session
//! chart drawn from a stored analysis (riders' route and the console).

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::auth::hex;

/// The chart of a stored session analysis (its JSON as stored), titled with
/// the horse's name and the session's start. An error when the document is
/// of a shape this build cannot read (an older algorithm version).
pub fn session_chart(
    stored: &str,
    horse: String,
    started_at: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<String, serde_json::Error> {
    let analysis: analysis::SessionAnalysis = serde_json::from_str(stored)?;
    let title = match started_at {
        Some(t) => format!("{horse}, {}", t.format("%Y-%m-%d %H:%M UTC")),
        None => horse,
    };
    Ok(analysis::chart::session_svg(&analysis, &title))
}

/// The chart as an answer to a request with `headers`.
pub fn chart_response(svg: String, headers: &HeaderMap) -> Response {
    let etag = format!("\"{}\"", hex(&Sha256::digest(svg.as_bytes())));
    let mut response = if if_none_match(headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = Response::new(Body::from(svg));
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("image/svg+xml"),
        );
        r
    };
    let h = response.headers_mut();
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, etag);
    }
    // Personal data: kept by the caller's own cache only, and revalidated
    // (cheaply, with the ETag) before each use.
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    response
}

/// Whether `If-None-Match` names `etag` (or is `*`); weak tags compare by
/// their opaque part, as RFC 9110 §13.1.2 asks for this header.
fn if_none_match(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim())
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn if_none_match_reads_lists_weak_tags_and_star() {
        let tag = "\"abc\"";
        assert!(if_none_match(&headers("\"abc\""), tag));
        assert!(if_none_match(&headers("\"x\", W/\"abc\""), tag));
        assert!(if_none_match(&headers("*"), tag));
        assert!(!if_none_match(&headers("\"abcd\""), tag));
        assert!(!if_none_match(&HeaderMap::new(), tag));
    }

    #[test]
    fn a_matching_tag_gets_304_with_the_tag_and_no_body() {
        let first = chart_response("<svg/>".into(), &HeaderMap::new());
        assert_eq!(first.status(), StatusCode::OK);
        let tag = first.headers()[header::ETAG].to_str().unwrap().to_owned();
        let again = chart_response("<svg/>".into(), &headers(&tag));
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(again.headers()[header::ETAG], tag.as_str());
        assert!(again.headers().get(header::CONTENT_TYPE).is_none());
    }
}
