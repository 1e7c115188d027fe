//! The admin console over a real socket: sign-in with an HttpOnly,
//! SameSite=Strict cookie, the overview, riders refused, CSRF on sign-out,
//! sign-out ending the session. (The browser tests drive the same pages in
//! Chromium.)

use crate::common::*;
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Client, Response, StatusCode};

/// The password `shared::testkit::sign_up` registers.
const PASSWORD: &str = "correct%20horse%20battery";

pub(crate) fn browser() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub(crate) async fn post_form(
    app: &TestApp,
    path: &str,
    cookie: Option<&str>,
    body: String,
) -> Response {
    let mut r = browser()
        .post(app.url(path))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body);
    if let Some(c) = cookie {
        r = r.header(COOKIE, c);
    }
    r.send().await.unwrap()
}

pub(crate) async fn get_page(app: &TestApp, path: &str, cookie: Option<&str>) -> Response {
    let mut r = browser().get(app.url(path));
    if let Some(c) = cookie {
        r = r.header(COOKIE, c);
    }
    r.send().await.unwrap()
}

pub(crate) async fn sign_in(app: &TestApp, email: &str) -> Response {
    let email = email.replace('@', "%40");
    post_form(
        app,
        "/admin/login",
        None,
        format!("email={email}&password={PASSWORD}"),
    )
    .await
}

/// `name=value` of a Set-Cookie answer, and its attributes.
pub(crate) fn cookie_of(r: &Response) -> (String, String) {
    let set = r.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    let (pair, attrs) = set.split_once(';').unwrap();
    (pair.to_owned(), attrs.to_owned())
}

/// The hidden CSRF token of a page.
pub(crate) fn csrf(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").expect("a CSRF field") + 19;
    page[at..at + 64].to_owned()
}

/// Registers `email` and makes it an admin.
pub(crate) async fn make_admin(app: &TestApp, email: &str) {
    app.user(email).await;
    api::operator::change_role(&app.db, email, api::operator::RoleChange::Grant)
        .await
        .unwrap();
}

/// A new admin's console cookie (`name=value`).
pub(crate) async fn admin_cookie(app: &TestApp, email: &str) -> String {
    make_admin(app, email).await;
    cookie_of(&sign_in(app, email).await).0
}

#[tokio::test]
async fn an_admin_signs_in_sees_the_overview_and_signs_out() {
    let app = spawn_app().await;
    make_admin(&app, "boss@example.com").await;

    // Not signed in: to the sign-in page, which is strict about what it loads.
    let r = get_page(&app, "/admin", None).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], "/admin/login");
    let r = get_page(&app, "/admin/login", None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("<title>Sign in · Hoofbeat admin</title>")
    );
    let r = get_page(&app, "/admin/console.css", None).await;
    assert_eq!(r.headers()[CONTENT_TYPE], "text/css; charset=utf-8");

    // A wrong password: the form again, 401, no cookie.
    let r = post_form(
        &app,
        "/admin/login",
        None,
        "email=boss%40example.com&password=nope".into(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.headers().get(SET_COOKIE).is_none());
    assert!(r.text().await.unwrap().contains("Wrong email or password"));

    let r = sign_in(&app, "boss@example.com").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], "/admin");
    let (cookie, attrs) = cookie_of(&r);
    for a in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/admin"] {
        assert!(attrs.contains(a), "{attrs}");
    }
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM console_sessions")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(stored, 1);

    let r = get_page(&app, "/admin", Some(&cookie)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let page = r.text().await.unwrap();
    assert!(page.contains("<h1>Overview</h1>"), "{page}");
    assert!(page.contains("boss@example.com"));
    assert!(
        page.contains(&format!("{}.jobs", app.topology.prefix())),
        "the work queue is listed"
    );

    // Sign-out without (or with a wrong) CSRF token is refused and changes nothing.
    let r = post_form(&app, "/admin/logout", Some(&cookie), String::new()).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = post_form(
        &app,
        "/admin/logout",
        Some(&cookie),
        format!("csrf={}", "0".repeat(64)),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        get_page(&app, "/admin", Some(&cookie)).await.status(),
        StatusCode::OK
    );

    // With it: the session ends, the cookie is cleared, the old one no longer works.
    let r = post_form(
        &app,
        "/admin/logout",
        Some(&cookie),
        format!("csrf={}", csrf(&page)),
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], "/admin/login");
    assert!(cookie_of(&r).1.contains("Max-Age=0"));
    let r = get_page(&app, "/admin", Some(&cookie)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM console_sessions")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(left, 0);
}

#[tokio::test]
async fn riders_are_refused_and_a_revoked_admin_loses_the_console() {
    let app = spawn_app().await;
    app.user("rider@example.com").await;
    let r = sign_in(&app, "rider@example.com").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        r.headers().get(SET_COOKIE).is_none(),
        "no session for a rider"
    );
    assert!(r.text().await.unwrap().contains("Admins only"));

    // An admin signed in, then demoted: the next page is the 403 page.
    let cookie = admin_cookie(&app, "was-boss@example.com").await;
    assert_eq!(
        get_page(&app, "/admin", Some(&cookie)).await.status(),
        StatusCode::OK
    );
    api::operator::change_role(
        &app.db,
        "was-boss@example.com",
        api::operator::RoleChange::Revoke,
    )
    .await
    .unwrap();
    let r = get_page(&app, "/admin", Some(&cookie)).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // A made-up cookie is no session.
    let r = get_page(&app, "/admin", Some("hb_console=hb_forged")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_dead_job_is_found_and_replayed_from_its_page_with_the_csrf_token() {
    let app = spawn_app().await;
    let (rider, _) = app.user("rider@example.com").await;
    let horse = app.horse(&rider, "Comet").await;
    let v = app.upload_csv(&rider, horse, 3.0).await;
    let job = v["job"]["id"].as_str().unwrap().to_owned();
    sqlx::query(
        "UPDATE jobs SET status = 'dead', attempts = 5, dead_reason = 'attempts_exhausted',
                last_error = 'stored samples <unreadable>' WHERE id = $1::uuid",
    )
    .bind(&job)
    .execute(&app.db)
    .await
    .unwrap();
    let cookie = admin_cookie(&app, "boss@example.com").await;

    // The dead list links to it; its error is shown escaped.
    let r = get_page(&app, "/admin/jobs?status=dead", Some(&cookie)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let list = r.text().await.unwrap();
    assert!(
        list.contains(&format!("href=\"/admin/jobs/{job}\"")),
        "{list}"
    );
    assert!(
        list.contains("stored samples &#60;unreadable&#62;")
            || list.contains("stored samples &lt;unreadable&gt;"),
        "{list}"
    );

    let page = get_page(&app, &format!("/admin/jobs/{job}"), Some(&cookie))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Replay this job"));
    assert!(page.contains("attempts_exhausted"));
    let replay = format!("/admin/jobs/{job}/replay");

    // Without the token: refused, still dead.
    let r = post_form(&app, &replay, Some(&cookie), String::new()).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let status: String = sqlx::query_scalar("SELECT status FROM jobs WHERE id = $1::uuid")
        .bind(&job)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(status, "dead");

    // With it: queued again (audited), and the page says so.
    let r = post_form(
        &app,
        &replay,
        Some(&cookie),
        format!("csrf={}", csrf(&page)),
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()[LOCATION].to_str().unwrap().to_owned();
    assert_eq!(to, format!("/admin/jobs/{job}?replayed=1"));
    let (status, attempts): (String, i32) =
        sqlx::query_as("SELECT status, attempts FROM jobs WHERE id = $1::uuid")
            .bind(&job)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!((status.as_str(), attempts), ("queued", 0));
    let audited: i64 =
        sqlx::query_scalar("SELECT count(*) FROM admin_audit WHERE action = 'replay'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(audited, 1);
    let page = get_page(&app, &to, Some(&cookie))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Replayed: the job is queued again"));
    assert!(
        !page.contains("Replay this job"),
        "a queued job has no replay button"
    );

    // Replaying it again (a stale page) is a conflict, not a second replay.
    let r = post_form(
        &app,
        &replay,
        Some(&cookie),
        format!("csrf={}", csrf(&page)),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_session_page_shows_its_chart_to_admins_only() {
    let app = spawn_app().await;
    let (rider, _) = app.user("rider@example.com").await;
    let horse = app.horse(&rider, "Comet").await;
    let v = app.upload_csv(&rider, horse, 60.0).await;
    let sid = v["session"]["id"].as_str().unwrap().to_owned();
    let job = v["job"]["id"].as_str().unwrap().to_owned();
    let analysed = analysis::analyze(&recording(60.0, 100.0)).unwrap();
    app.store_result(
        &sid,
        &job,
        &String::from_utf8(analysis::to_json(&analysed)).unwrap(),
    )
    .await;
    let chart = format!("/admin/sessions/{sid}/chart.svg");
    // Without a console session: to the sign-in page, chart included.
    assert_eq!(
        get_page(&app, &chart, None).await.status(),
        StatusCode::SEE_OTHER
    );

    let cookie = admin_cookie(&app, "boss@example.com").await;
    let page = get_page(&app, &format!("/admin/sessions/{sid}"), Some(&cookie)).await;
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.unwrap();
    assert!(page.contains(&format!("src=\"{chart}\"")), "{page}");
    assert!(page.contains("rider@example.com") && page.contains(analysis::ALGORITHM_VERSION));
    let r = get_page(&app, &chart, Some(&cookie)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()[CONTENT_TYPE], "image/svg+xml");
    let svg = r.text().await.unwrap();
    let xml = roxmltree::Document::parse(&svg).expect("well-formed SVG");
    let bouts = xml
        .descendants()
        .filter(|n| n.attribute("class").is_some_and(|c| c.starts_with("bout ")))
        .count();
    assert_eq!(bouts, analysed.bouts.len());

    let missing = format!("/admin/sessions/{}", uuid::Uuid::new_v4());
    assert_eq!(
        get_page(&app, &missing, Some(&cookie)).await.status(),
        StatusCode::NOT_FOUND
    );
}
