//! The console's pages: sign-in, the overview, sign-out, the 403 page and
//! the stylesheet. Each handler gathers figures through the admin API's own
//! functions and renders one template.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::charts;
use super::session::{self, ConsoleAdmin, Refusal};
use crate::auth::Role;
use crate::error::ErrorCode;
use crate::extract::ClientAddr;
use crate::routes::admin::overview::{self, Overview};
use crate::state::AppState;

/// A rendered template as HTML, or a plain 500 if rendering failed (it
/// cannot for these templates, whose fields are checked at compile time).
pub(super) fn html<T: Template>(page: &T) -> Response {
    match page.render() {
        Ok(body) => Html(body).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "console template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "console/login.html")]
struct LoginPage<'a> {
    error: Option<&'a str>,
    email: &'a str,
}

#[derive(Template)]
#[template(path = "console/message.html")]
struct MessagePage<'a> {
    title: &'a str,
    text: &'a str,
}

#[derive(Template)]
#[template(path = "console/overview.html")]
struct OverviewPage<'a> {
    admin: &'a ConsoleAdmin,
    o: &'a Overview,
    /// Inline SVG: jobs succeeded per minute over the last hour.
    throughput: String,
    /// Inline SVG: failure rate per minute over the last hour.
    failure_rate: String,
}

impl OverviewPage<'_> {
    /// "12 s", "3 min", or "—" when the outbox is empty.
    fn oldest_age(&self) -> String {
        match self.o.outbox.oldest_age_s {
            None => "—".into(),
            Some(s) if s < 120.0 => format!("{s:.0} s"),
            Some(s) => format!("{:.0} min", s / 60.0),
        }
    }

    fn source(&self) -> &'static str {
        match self.o.queues.source {
            crate::queues::Source::ManagementApi => "RabbitMQ management API",
            crate::queues::Source::PassiveDeclare => "passive declares (no unacked counts)",
        }
    }
}

/// A page with a title and one paragraph.
pub fn message_page(title: &str, text: &str) -> Response {
    html(&MessagePage { title, text })
}

/// The page a signed-in rider gets: the console is for admins.
pub fn forbidden() -> Response {
    (
        StatusCode::FORBIDDEN,
        message_page(
            "Admins only",
            "You are signed in, but this console needs the admin role. Riders use the mobile app.",
        ),
    )
        .into_response()
}

/// The sign-in form.
pub async fn login_form() -> Response {
    html(&LoginPage {
        error: None,
        email: "",
    })
}

#[derive(Deserialize)]
pub struct Credentials {
    email: String,
    password: String,
}

/// Signs in with the API's own credential check (rate limits, hashing
/// slots); only admins get a console session.
pub async fn login(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Form(form): Form<Credentials>,
) -> Response {
    let user = match crate::routes::auth::check_credentials(
        &state,
        addr,
        &form.email,
        form.password,
    )
    .await
    {
        Ok(user) => user,
        Err(e) => return refused_sign_in(e, &form.email),
    };
    if user.role != Role::Admin {
        return forbidden();
    }
    match session::open(&state, user.id).await {
        Ok(cookie) => see_other("/admin", &cookie),
        Err(e) => e.into_response(),
    }
}

/// The sign-in form again, with what went wrong and the right status.
fn refused_sign_in(e: crate::error::ApiError, email: &str) -> Response {
    let (status, text) = match e.code() {
        ErrorCode::InvalidCredentials => (StatusCode::UNAUTHORIZED, "Wrong email or password."),
        ErrorCode::RateLimited => (
            StatusCode::TOO_MANY_REQUESTS,
            "Too many attempts. Wait a minute and try again.",
        ),
        _ => return e.into_response(),
    };
    (
        status,
        html(&LoginPage {
            error: Some(text),
            email,
        }),
    )
        .into_response()
}

/// 303 to `to`, setting `cookie`.
fn see_other(to: &str, cookie: &str) -> Response {
    let mut r = Redirect::to(to).into_response();
    if let Ok(v) = HeaderValue::from_str(cookie) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

/// The pipeline at a glance.
pub async fn overview(State(state): State<AppState>, admin: ConsoleAdmin) -> Response {
    let (o, minutes) = tokio::join!(overview::read(&state), charts::last_hour(&state));
    let minutes = match minutes {
        Ok(m) => m,
        Err(e) => return crate::error::ApiError::from(e).into_response(),
    };
    match o {
        Ok(o) => html(&OverviewPage {
            admin: &admin,
            o: &o,
            throughput: charts::throughput_svg(&minutes),
            failure_rate: charts::failure_rate_svg(&minutes),
        }),
        Err(e) => e.into_response(),
    }
}

/// A form that carries only the session's CSRF token.
#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

/// Signs out: the session row is deleted and the cookie cleared.
pub async fn logout(
    State(state): State<AppState>,
    admin: Result<ConsoleAdmin, Refusal>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let admin = match admin {
        Ok(admin) => admin,
        Err(Refusal::Error(e)) => return e.into_response(),
        // Not (or no longer) signed in as an admin: nothing to end here.
        Err(_) => return Redirect::to("/admin/login").into_response(),
    };
    if !session::csrf_ok(&admin, &form.csrf) {
        return session::csrf_refused();
    }
    match session::close(&state, &headers).await {
        Ok(cookie) => see_other("/admin/login", &cookie),
        Err(e) => e.into_response(),
    }
}

/// The console's one stylesheet (light and dark themes).
pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("console.css"),
    )
        .into_response()
}
