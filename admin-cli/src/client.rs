//! HTTP to the admin API: timeouts, the bearer token, and every failure
//! mapped to one clear line and an exit code ([`CliError`]).

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::{Method, StatusCode, Url};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{CliError, CliResult};
use crate::token::Source;

/// Connection set-up budget.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Whole-request budget.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The token sent with requests, and what the messages need to know about it.
#[derive(Debug, Clone)]
pub struct Auth {
    /// Bearer token.
    pub token: String,
    /// Where it came from.
    pub source: Source,
    /// When it expires, if known.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A client of one Hoofbeat API.
#[derive(Debug, Clone)]
pub struct Api {
    http: reqwest::Client,
    base: Url,
    auth: Option<Auth>,
}

/// An RFC 9457 problem as the Hoofbeat API sends it.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Problem {
    /// `urn:hoofbeat:problem:<code>`.
    #[serde(rename = "type")]
    pub type_: String,
    /// Summary.
    #[serde(default)]
    pub title: Option<String>,
    /// This occurrence.
    #[serde(default)]
    pub detail: Option<String>,
    /// Stable code.
    pub code: String,
    /// Invalid fields.
    #[serde(default)]
    pub errors: Vec<FieldError>,
}

/// One invalid field of a 422.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct FieldError {
    /// The field.
    #[serde(default)]
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl Problem {
    /// A problem from the Hoofbeat API (not some other server's problem+json).
    pub fn parse(body: &[u8]) -> Option<Problem> {
        serde_json::from_slice::<Problem>(body)
            .ok()
            .filter(|p| p.type_.starts_with("urn:hoofbeat:problem:"))
    }

    fn detail(&self) -> String {
        self.detail
            .clone()
            .or_else(|| self.title.clone())
            .unwrap_or_else(|| self.code.replace('_', " "))
    }
}

/// What an error message needs besides the problem itself.
#[derive(Debug, Clone, Copy)]
pub struct ErrorContext<'a> {
    /// `GET`, `POST`.
    pub method: &'a str,
    /// The route, e.g. `/v1/admin/jobs`.
    pub path: &'a str,
    /// The API's base URL.
    pub base: &'a str,
    /// The token sent, if any.
    pub auth: Option<&'a Auth>,
    /// `Retry-After`, in seconds.
    pub retry_after: Option<u64>,
    /// The current time.
    pub now: DateTime<Utc>,
}

/// Maps an error answer of the Hoofbeat API to the CLI's error.
pub fn problem_error(status: u16, p: &Problem, cx: &ErrorContext<'_>) -> CliError {
    let retry = cx
        .retry_after
        .map(|s| format!(" (retry after {s} s)"))
        .unwrap_or_default();
    match (status, p.code.as_str()) {
        (_, "invalid_credentials") => CliError::Auth("wrong email or password".into()),
        (401, _) | (_, "unauthorized") => CliError::Auth(expired_message(cx)),
        (403, _) | (_, "forbidden") => CliError::Forbidden("this account is not an admin".into()),
        (404, "not_found") if p.detail.as_deref() == Some("no such route") => {
            CliError::Other(format!(
                "the API at {} has no route {} {} (is it older than this CLI?)",
                cx.base, cx.method, cx.path
            ))
        }
        (405, _) => CliError::Other(format!(
            "the API at {} does not accept {} {} (is it older than this CLI?)",
            cx.base, cx.method, cx.path
        )),
        (422, _) => {
            let fields: Vec<String> = p
                .errors
                .iter()
                .map(|e| match &e.field {
                    Some(f) => format!("{f}: {}", e.message),
                    None => e.message.clone(),
                })
                .collect();
            let mut msg = format!("the API rejected the request: {}", p.detail());
            if !fields.is_empty() && !fields.iter().all(|f| msg.contains(f.as_str())) {
                msg.push_str(&format!(" ({})", fields.join("; ")));
            }
            CliError::Usage(msg)
        }
        (429 | 502 | 503 | 504, _) => CliError::Busy(format!("{}{retry}", p.detail())),
        _ => CliError::Other(format!("{}{retry}", p.detail())),
    }
}

fn expired_message(cx: &ErrorContext<'_>) -> String {
    match cx.auth {
        None => not_logged_in(),
        Some(Auth {
            source: Source::Env,
            ..
        }) => "the token in HOOFBEAT_ADMIN_TOKEN has expired or was revoked; \
               set a fresh one, or unset it and run hoofbeat-admin login"
            .into(),
        Some(Auth {
            expires_at: Some(t),
            ..
        }) if *t <= cx.now => format!(
            "your token expired at {}; run hoofbeat-admin login",
            t.format("%Y-%m-%d %H:%M UTC")
        ),
        Some(_) => "your token has expired or was revoked; run hoofbeat-admin login".into(),
    }
}

/// The message when there is no token at all.
pub fn not_logged_in() -> String {
    "not logged in: run hoofbeat-admin login --email EMAIL (or set HOOFBEAT_ADMIN_TOKEN)".into()
}

/// The innermost cause of a transport error, in a few words.
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    if let Some(io) = cur.downcast_ref::<std::io::Error>() {
        use std::io::ErrorKind::*;
        let words = match io.kind() {
            ConnectionRefused => Some("connection refused"),
            ConnectionReset => Some("connection reset"),
            ConnectionAborted => Some("connection aborted"),
            HostUnreachable => Some("host unreachable"),
            NetworkUnreachable => Some("network unreachable"),
            TimedOut => Some("timed out"),
            _ => None,
        };
        if let Some(w) = words {
            return w.to_owned();
        }
    }
    cur.to_string()
}

/// Maps a transport failure (no HTTP answer) to the CLI's error.
fn transport_error(e: &reqwest::Error, base: &str) -> CliError {
    if e.is_connect() && e.is_timeout() {
        return CliError::Unreachable(format!(
            "cannot reach the API at {base}: no connection within {} s",
            CONNECT_TIMEOUT.as_secs()
        ));
    }
    if e.is_timeout() {
        return CliError::Unreachable(format!(
            "the API at {base} did not answer within {} s",
            REQUEST_TIMEOUT.as_secs()
        ));
    }
    if e.is_connect() {
        return CliError::Unreachable(format!("cannot reach the API at {base}: {}", root_cause(e)));
    }
    if e.is_body() || e.is_decode() {
        return CliError::Other(format!(
            "the answer of the API at {base} was cut short: {}",
            root_cause(e)
        ));
    }
    CliError::Unreachable(format!(
        "the URL does not look like the Hoofbeat API ({base}: {})",
        root_cause(e)
    ))
}

/// Validates the API URL given on the command line.
pub fn parse_base(url: &str) -> CliResult<Url> {
    let bad = |why: &str| CliError::Usage(format!("--url {url:?} is not usable: {why}"));
    let mut u = Url::parse(url.trim()).map_err(|e| bad(&e.to_string()))?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(bad("the scheme must be http or https"));
    }
    if u.host_str().is_none_or(str::is_empty) {
        return Err(bad("no host"));
    }
    if u.query().is_some() || u.fragment().is_some() {
        return Err(bad("no query string or fragment, please"));
    }
    // The routes are appended to the path: end it with exactly one slash.
    let path = format!("{}/", u.path().trim_end_matches('/'));
    u.set_path(&path);
    Ok(u)
}

impl Api {
    /// A client of the API at `base`.
    pub fn new(base: &str) -> CliResult<Api> {
        let base = parse_base(base)?;
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("hoofbeat-admin/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| CliError::Other(format!("cannot set up HTTP: {}", root_cause(&e))))?;
        Ok(Api {
            http,
            base,
            auth: None,
        })
    }

    /// The same client sending `auth`.
    pub fn with_auth(mut self, auth: Option<Auth>) -> Api {
        self.auth = auth;
        self
    }

    /// The base URL, as shown in messages (no trailing slash).
    pub fn base(&self) -> String {
        self.base.as_str().trim_end_matches('/').to_owned()
    }

    /// The token in use.
    pub fn auth(&self) -> Option<&Auth> {
        self.auth.as_ref()
    }

    fn url(&self, path: &str) -> CliResult<Url> {
        self.base
            .join(path.trim_start_matches('/'))
            .map_err(|e| CliError::Other(format!("bad route {path}: {e}")))
    }

    /// `GET` with a query string; the JSON answer.
    pub async fn get(&self, path: &str, query: &[(String, String)]) -> CliResult<Value> {
        self.call(Method::GET, path, query, None, true).await
    }

    /// `POST` of a JSON body (or none); the JSON answer (`null` for 204).
    pub async fn post(&self, path: &str, body: Option<&Value>) -> CliResult<Value> {
        self.call(Method::POST, path, &[], body, true).await
    }

    /// `POST` without the token (login).
    pub async fn post_anonymous(&self, path: &str, body: &Value) -> CliResult<Value> {
        self.call(Method::POST, path, &[], Some(body), false).await
    }

    /// `POST` with an explicit token (revoking a token that is not stored).
    pub async fn post_with_token(&self, path: &str, token: &str) -> CliResult<Value> {
        let api = self.clone().with_auth(Some(Auth {
            token: token.to_owned(),
            source: Source::Env,
            expires_at: None,
        }));
        api.call(Method::POST, path, &[], None, true).await
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(String, String)],
        body: Option<&Value>,
        with_auth: bool,
    ) -> CliResult<Value> {
        let auth = if with_auth {
            Some(
                self.auth
                    .as_ref()
                    .ok_or_else(|| CliError::Auth(not_logged_in()))?,
            )
        } else {
            None
        };
        let mut req = self
            .http
            .request(method.clone(), self.url(path)?)
            .header("accept", "application/json, application/problem+json");
        if !query.is_empty() {
            req = req.query(query);
        }
        if let Some(a) = auth {
            req = req.bearer_auth(&a.token);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let base = self.base();
        let resp = req.send().await.map_err(|e| transport_error(&e, &base))?;
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok());
        let bytes = resp.bytes().await.map_err(|e| transport_error(&e, &base))?;
        if status.is_success() {
            if status == StatusCode::NO_CONTENT || bytes.is_empty() {
                return Ok(Value::Null);
            }
            if let Ok(v) = serde_json::from_slice::<Value>(&bytes) {
                return Ok(v);
            }
        } else if let Some(p) = Problem::parse(&bytes) {
            let cx = ErrorContext {
                method: method.as_str(),
                path,
                base: &base,
                auth,
                retry_after,
                now: Utc::now(),
            };
            return Err(problem_error(status.as_u16(), &p, &cx));
        }
        // Not an answer the Hoofbeat API gives: is this the Hoofbeat API at all?
        let what = format!("{method} {path} answered {}", status.as_u16());
        match self.livez().await {
            Ok(()) => Err(CliError::Other(format!(
                "unexpected answer from the API at {base}: {what}: {}",
                crate::table::truncate(&String::from_utf8_lossy(&bytes), 120)
            ))),
            Err(Probe::Answered(livez)) => Err(CliError::Unreachable(format!(
                "the URL does not look like the Hoofbeat API ({base}: {what}; GET /livez {livez})"
            ))),
            Err(Probe::Unreachable(e)) => Err(e),
        }
    }

    /// Checks that the URL is a Hoofbeat API: `GET /livez` answers 200 `ok`.
    pub async fn check(&self) -> CliResult<()> {
        let base = self.base();
        self.livez().await.map_err(|e| match e {
            Probe::Unreachable(e) => e,
            Probe::Answered(what) => CliError::Unreachable(format!(
                "the URL does not look like the Hoofbeat API ({base}: GET /livez {what})"
            )),
        })
    }

    async fn livez(&self) -> Result<(), Probe> {
        let base = self.base();
        let url = self.url("livez").map_err(Probe::Unreachable)?;
        let resp = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| Probe::Unreachable(transport_error(&e, &base)))?;
        let status = resp.status();
        let body = resp.text().await.unwrap_or_default();
        if status == StatusCode::OK && body.trim() == "ok" {
            Ok(())
        } else {
            Err(Probe::Answered(format!("answered {}", status.as_u16())))
        }
    }
}

/// Why `GET /livez` did not say `ok`.
enum Probe {
    /// No HTTP answer.
    Unreachable(CliError),
    /// An answer, but not the Hoofbeat API's.
    Answered(String),
}

/// Decodes an answer into the type a command expects; a mismatch means an
/// API of another version.
pub fn decode<T: DeserializeOwned>(v: &Value, what: &str) -> CliResult<T> {
    T::deserialize(v).map_err(|e| {
        CliError::Other(format!(
            "unexpected answer to {what} (is the API of another version?): {e}"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cx<'a>(auth: Option<&'a Auth>) -> ErrorContext<'a> {
        ErrorContext {
            method: "GET",
            path: "/v1/admin/jobs",
            base: "http://127.0.0.1:8080",
            auth,
            retry_after: None,
            now: "2026-12-02T10:00:00Z".parse().unwrap(),
        }
    }

    fn problem(body: &str) -> Problem {
        Problem::parse(body.as_bytes()).expect("a Hoofbeat problem")
    }

    fn file_auth(expires_at: Option<&str>) -> Auth {
        Auth {
            token: "hb_x".into(),
            source: Source::File("/tmp/t".into()),
            expires_at: expires_at.map(|t| t.parse().unwrap()),
        }
    }

    #[test]
    fn only_hoofbeat_problems_are_recognised() {
        assert!(Problem::parse(br#"{"type":"about:blank","code":"x"}"#).is_none());
        assert!(Problem::parse(b"<html>404</html>").is_none());
        assert!(Problem::parse(br#"{"type":"urn:hoofbeat:problem:forbidden"}"#).is_none());
        let p = problem(
            r#"{"type":"urn:hoofbeat:problem:conflict","title":"Conflict","status":409,"detail":"only dead or failed jobs can be replayed; this one is queued","code":"conflict"}"#,
        );
        assert_eq!(p.code, "conflict");
    }

    #[test]
    fn unauthorized_means_log_in_again() {
        let p = problem(
            r#"{"type":"urn:hoofbeat:problem:unauthorized","title":"Unauthorized","status":401,"detail":"missing or invalid bearer token","code":"unauthorized"}"#,
        );
        let a = file_auth(Some("2026-12-30T00:00:00Z"));
        assert_eq!(
            problem_error(401, &p, &cx(Some(&a))),
            CliError::Auth(
                "your token has expired or was revoked; run hoofbeat-admin login".into()
            )
        );
        let old = file_auth(Some("2026-12-01T08:00:00Z"));
        let e = problem_error(401, &p, &cx(Some(&old)));
        assert_eq!(
            e,
            CliError::Auth(
                "your token expired at 2026-12-01 08:00 UTC; run hoofbeat-admin login".into()
            )
        );
        assert_eq!(e.exit_code(), 4);
        let env = Auth {
            source: Source::Env,
            ..a
        };
        assert!(
            problem_error(401, &p, &cx(Some(&env)))
                .to_string()
                .contains("HOOFBEAT_ADMIN_TOKEN")
        );
        let creds = problem(
            r#"{"type":"urn:hoofbeat:problem:invalid_credentials","status":401,"detail":"wrong email or password","code":"invalid_credentials"}"#,
        );
        assert_eq!(
            problem_error(401, &creds, &cx(None)),
            CliError::Auth("wrong email or password".into())
        );
    }

    #[test]
    fn forbidden_is_not_an_admin() {
        let p = problem(
            r#"{"type":"urn:hoofbeat:problem:forbidden","status":403,"detail":"admin role required","code":"forbidden"}"#,
        );
        let e = problem_error(403, &p, &cx(None));
        assert_eq!(
            e,
            CliError::Forbidden("this account is not an admin".into())
        );
        assert_eq!(e.exit_code(), 5);
    }

    #[test]
    fn validation_lists_the_fields_and_is_a_usage_error() {
        let p = problem(
            r#"{"type":"urn:hoofbeat:problem:validation_failed","status":422,"detail":"invalid request","code":"validation_failed","errors":[{"field":"since","message":"not an RFC 3339 time"}]}"#,
        );
        let e = problem_error(422, &p, &cx(None));
        assert_eq!(
            e,
            CliError::Usage(
                "the API rejected the request: invalid request (since: not an RFC 3339 time)"
                    .into()
            )
        );
        assert_eq!(e.exit_code(), 2);
    }

    #[test]
    fn other_problems_show_their_detail() {
        let p = problem(
            r#"{"type":"urn:hoofbeat:problem:not_found","status":404,"detail":"job not found","code":"not_found"}"#,
        );
        assert_eq!(
            problem_error(404, &p, &cx(None)),
            CliError::Other("job not found".into())
        );
        let route = problem(
            r#"{"type":"urn:hoofbeat:problem:not_found","status":404,"detail":"no such route","code":"not_found"}"#,
        );
        let e = problem_error(404, &route, &cx(None));
        assert!(
            e.to_string().contains("has no route GET /v1/admin/jobs"),
            "{e}"
        );
        assert_eq!(e.exit_code(), 6);
        let busy = problem(
            r#"{"type":"urn:hoofbeat:problem:rate_limited","status":429,"detail":"too many requests","code":"rate_limited"}"#,
        );
        let mut c = cx(None);
        c.retry_after = Some(3);
        let e = problem_error(429, &busy, &c);
        assert_eq!(
            e,
            CliError::Busy("too many requests (retry after 3 s)".into())
        );
        assert_eq!(e.exit_code(), 6);
        // No detail: the title, then the code.
        let bare = problem(r#"{"type":"urn:hoofbeat:problem:internal","code":"internal"}"#);
        assert_eq!(
            problem_error(500, &bare, &cx(None)),
            CliError::Other("internal".into())
        );
    }

    #[test]
    fn base_urls() {
        assert_eq!(
            parse_base("http://127.0.0.1:8080").unwrap().as_str(),
            "http://127.0.0.1:8080/"
        );
        assert_eq!(
            parse_base("https://h.example/api/").unwrap().as_str(),
            "https://h.example/api/"
        );
        assert_eq!(
            parse_base("https://h.example/api").unwrap().as_str(),
            "https://h.example/api/"
        );
        for bad in ["127.0.0.1:8080", "ftp://h", "http://h/?x=1", "not a url"] {
            let e = parse_base(bad).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{bad}: {e}");
        }
    }

    #[test]
    fn errors_print_on_one_line() {
        assert_eq!(CliError::Other("a\nb".into()).to_string(), "a b");
    }
}
