//! Problem+json for the errors hyper answers on its own.
//!
//! When a request cannot be parsed as HTTP/1.1 — a garbage request line, a
//! bad `Content-Length`, a URI or header section over hyper's limits — hyper
//! answers before any service runs, with an empty `400`, `414` or `431` and
//! closes the connection. The router never sees these requests, so the one
//! place to give them the same RFC 9457 body as every other error is the
//! connection's byte stream: [`ProblemIo`] wraps the socket and replaces such
//! an empty automatic response with a problem document.
//!
//! Only a response head with `content-length: 0` and one of those three
//! statuses is rewritten; every error the router produces has a body, so the
//! API's own answers pass through untouched.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use axum::http::StatusCode;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::error::{ErrorCode, problem_body};

/// A socket whose automatic hyper error responses carry problem+json.
pub struct ProblemIo<S> {
    inner: S,
    /// A replacement being written: the bytes, how many are out, and the
    /// length of the original write it stands for (reported once all is out).
    pending: Option<(Vec<u8>, usize, usize)>,
}

impl<S> ProblemIo<S> {
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            pending: None,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for ProblemIo<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> ProblemIo<S> {
    /// Writes out the pending replacement; `Ready(Ok(n))` with the original
    /// write's length once every byte is out.
    fn drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let Some((bytes, written, original)) = self.pending.as_mut() else {
            return Poll::Ready(Ok(0));
        };
        while *written < bytes.len() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &bytes[*written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *written += n;
        }
        let original = *original;
        self.pending = None;
        Poll::Ready(Ok(original))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for ProblemIo<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.pending.is_none() {
            match rewrite(buf) {
                Some(replacement) => self.pending = Some((replacement, 0, buf.len())),
                None => return Pin::new(&mut self.inner).poll_write(cx, buf),
            }
        }
        self.drain(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.pending.is_none() {
            // hyper's automatic response is a lone head; anything in several
            // slices carries a body and is the router's.
            let mut filled = bufs.iter().filter(|b| !b.is_empty());
            let replacement = match (filled.next(), filled.next()) {
                (Some(only), None) => rewrite(only).map(|r| (r, only.len())),
                _ => None,
            };
            match replacement {
                Some((bytes, original)) => self.pending = Some((bytes, 0, original)),
                None => return Pin::new(&mut self.inner).poll_write_vectored(cx, bufs),
            }
        }
        self.drain(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.pending.is_some() {
            ready!(self.drain(cx))?;
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.pending.is_some() {
            ready!(self.drain(cx))?;
        }
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The problem+json response standing for `head`, if `head` is one of
/// hyper's automatic, empty parse-error responses.
fn rewrite(head: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(head).ok()?;
    let rest = text
        .strip_prefix("HTTP/1.1 ")
        .or_else(|| text.strip_prefix("HTTP/1.0 "))?;
    let (code, detail) = match rest.get(..4)? {
        "400 " => (
            ErrorCode::BadRequest,
            "the request is not valid HTTP/1.1 (request line, header syntax or Content-Length)",
        ),
        "414 " => (ErrorCode::UriTooLong, "the request URI is too long"),
        "431 " => (
            ErrorCode::HeaderFieldsTooLarge,
            "the request's header section is too large",
        ),
        _ => return None,
    };
    if !text.ends_with("\r\n\r\n") {
        return None;
    }
    let mut lines = text[..text.len() - 4].split("\r\n");
    let status_line = lines.next()?;
    let mut date = None;
    for line in lines {
        let (name, value) = line.split_once(':')?;
        match name.to_ascii_lowercase().as_str() {
            "content-length" if value.trim() == "0" => {}
            "connection" if value.trim().eq_ignore_ascii_case("close") => {}
            "date" => date = Some(value.trim()),
            // Any other header means this is not hyper's bare answer.
            _ => return None,
        }
    }
    debug_assert_eq!(
        code.status(),
        StatusCode::from_u16(rest[..3].parse().ok()?).ok()?
    );
    let body = problem_body(code, detail);
    let mut out = format!(
        "{status_line}\r\ncontent-type: application/problem+json\r\n\
         content-length: {}\r\nx-content-type-options: nosniff\r\nconnection: close\r\n",
        body.len()
    );
    if let Some(date) = date {
        out.push_str(&format!("date: {date}\r\n"));
    }
    out.push_str("\r\n");
    let mut out = out.into_bytes();
    out.extend_from_slice(&body);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hypers_bare_answers_become_problems() {
        for (head, code) in [
            (
                "HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\ndate: Wed, 02 Dec 2026 13:00:00 GMT\r\n\r\n",
                "bad_request",
            ),
            (
                "HTTP/1.1 414 URI Too Long\r\nconnection: close\r\ncontent-length: 0\r\n\r\n",
                "uri_too_long",
            ),
            (
                "HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: x\r\n\r\n",
                "header_fields_too_large",
            ),
        ] {
            let out = String::from_utf8(rewrite(head.as_bytes()).unwrap()).unwrap();
            let (head, body) = out.split_once("\r\n\r\n").unwrap();
            assert!(
                head.contains("content-type: application/problem+json"),
                "{head}"
            );
            assert!(
                head.contains(&format!("content-length: {}", body.len())),
                "{head}"
            );
            let json: serde_json::Value = serde_json::from_str(body).unwrap();
            assert_eq!(json["code"], code);
        }
    }

    #[test]
    fn the_routers_answers_pass_untouched() {
        for head in [
            // A body follows (the router's problem+json has a length).
            "HTTP/1.1 400 Bad Request\r\ncontent-type: application/problem+json\r\ncontent-length: 120\r\n\r\n",
            "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n",
            "HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n{\"partial\"",
            "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n",
        ] {
            assert!(rewrite(head.as_bytes()).is_none(), "{head}");
        }
    }
}
