//! Response headers every answer carries: no MIME sniffing anywhere, no
//! caching of API answers (they carry tokens and personal data) unless a
//! route revalidates its own (`private, no-cache` with an ETag), and the
//! docs UI and the admin console never framed by another site
//! (clickjacking); the console also gets a strict Content-Security-Policy.

use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// Adds the security headers to every response.
pub async fn security(request: Request, next: Next) -> Response {
    let docs = request.uri().path().starts_with("/docs");
    let console = request.uri().path().starts_with("/admin");
    let api = request.uri().path().starts_with("/v1/");
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // A route that set its own policy (a chart revalidated by ETag) keeps it.
    if api && !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if console {
        // Server-rendered pages with their own stylesheet and no script:
        // nothing else may load, post elsewhere or frame them; and pages
        // showing jobs and accounts are not kept by any cache.
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            ),
        );
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        if !h.contains_key(header::CACHE_CONTROL) {
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
        h.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        );
    }
    if docs {
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("frame-ancestors 'none'"),
        );
    }
    response
}
