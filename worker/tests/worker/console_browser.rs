//! The admin console in a real browser: headless Chromium (Debian's
//! `chromium` and `chromium-driver`) driven over WebDriver against the real
//! API, with a real worker process running the replayed job.
//!
//! One scenario, in the order a person would go: sign in through the form,
//! find the dead job in the list, open it, see a replay without its CSRF
//! token refused, replay it, reload until the worker has made it succeed,
//! open its session's chart; replay a second dead job in bulk (the form,
//! the dry run's count, the confirmation, its result page until it
//! succeeds); look at the overview, sign out (the old cookie opens nothing
//! any more); then a rider signing in gets the 403 page.
//! Last, the overview under a dark system theme has the dark background.
//! Screenshots of the overview (light and dark), the job page and the
//! session page land in `<target>/console-screenshots/` for people to look
//! at.
//!
//! Without Chromium the test fails under CI (`CI` set) and is skipped with
//! a message elsewhere. Every browser step has a deadline: nothing hangs.

use std::time::{Duration, Instant};

use fantoccini::Locator;
use fantoccini::key::Key;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION};
use serde_json::Value;
use uuid::Uuid;

use crate::common::*;
use crate::webdriver::*;

/// The whole scenario's budget.
const SCENARIO: Duration = Duration::from_secs(300);

/// A session whose stored samples are garbage until restored: every attempt
/// fails until then, so the job ends dead (`attempts_exhausted`).
async fn dead_job(env: &Env2, token: &str, horse: Uuid, minutes: f64) -> (Uuid, Uuid, Vec<u8>) {
    let (session, job) = env.upload(token, horse, session_csv(3, minutes)).await;
    let samples: Vec<u8> =
        sqlx::query_scalar("SELECT data FROM session_data WHERE session_id = $1")
            .bind(session)
            .fetch_one(&env.db)
            .await
            .expect("stored samples");
    sqlx::query("UPDATE session_data SET data = 'not gzip at all'::bytea WHERE session_id = $1")
        .bind(session)
        .execute(&env.db)
        .await
        .expect("corrupt");
    (session, job, samples)
}

async fn restore(env: &Env2, session: Uuid, samples: &[u8]) {
    sqlx::query("UPDATE session_data SET data = $2 WHERE session_id = $1")
        .bind(session)
        .bind(samples)
        .execute(&env.db)
        .await
        .expect("restore");
}

/// A form post as a browser would send it, with `cookie`, no redirects followed.
async fn post_form(env: &Env2, path: &str, cookie: &str, body: &str) -> reqwest::Response {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(STEP)
        .build()
        .expect("client")
        .post(env.url(path))
        .header(COOKIE, cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_owned())
        .send()
        .await
        .expect("post")
}

async fn get_page(env: &Env2, path: &str, cookie: &str) -> reqwest::Response {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(STEP)
        .build()
        .expect("client")
        .get(env.url(path))
        .header(COOKIE, cookie)
        .send()
        .await
        .expect("get")
}

#[tokio::test]
async fn console_browser_sign_in_replay_a_dead_job_watch_it_succeed_and_sign_out() {
    if !browser_installed() {
        return;
    }
    let shared = [("HOOFBEAT_MAX_ATTEMPTS", "2")];
    let env = setup_with(&shared).await;
    let driver = Driver::start(&env.prefix);
    let browser = Browser {
        c: driver.session(&[]).await,
        base: env.base.clone(),
    };
    let outcome = tokio::time::timeout(SCENARIO, scenario(&env, &browser)).await;
    // The browser goes whatever happened; the driver's Drop ends the rest.
    let _ = tokio::time::timeout(STEP, browser.c.clone().close()).await;
    let admin = outcome.unwrap_or_else(|_| panic!("the scenario took longer than {SCENARIO:?}"));

    // The same console under a dark system theme (Chromium's
    // --force-dark-mode answers prefers-color-scheme: dark).
    let dark = Browser {
        c: driver.session(&["--force-dark-mode"]).await,
        base: env.base.clone(),
    };
    let outcome = tokio::time::timeout(STEP * 4, async {
        dark.sign_in(&admin).await;
        dark.wait_title("Overview · Hoofbeat admin").await;
        let body = step("find body", dark.c.find(Locator::Css("body"))).await;
        let bg = step("background", body.css_value("background-color")).await;
        assert!(
            ["rgb(13, 17, 23)", "rgba(13, 17, 23, 1)"].contains(&bg.as_str()),
            "the dark theme's background, not {bg}"
        );
        dark.screenshot("overview-dark").await;
    })
    .await;
    let _ = tokio::time::timeout(STEP, dark.c.clone().close()).await;
    assert!(outcome.is_ok(), "the dark-theme check took too long");
    drop(driver);
}

/// The scenario; returns the admin's email.
async fn scenario(env: &Env2, browser: &Browser) -> String {
    // A rider's session fails until its samples are restored: dead.
    let rider_email = format!("rider-{}@example.com", Uuid::new_v4().simple());
    let (rider, _) = shared::testkit::sign_up(&env.http, &env.base, &rider_email).await;
    let horse = shared::testkit::create_horse(&env.http, &env.base, &rider, "Comet").await;
    // Two of them: one replayed from its page, one in bulk.
    let (session, job, samples) = dead_job(env, &rider, horse, 6.0).await;
    let (other_session, other, other_samples) = dead_job(env, &rider, horse, 1.0).await;
    let worker = env.worker(&[("HOOFBEAT_MAX_ATTEMPTS", "2")]);
    for j in [job, other] {
        assert!(
            env.wait_status(j, "dead", Duration::from_secs(60)).await,
            "{:?}",
            env.job_status(j).await
        );
    }
    restore(env, session, &samples).await;
    restore(env, other_session, &other_samples).await;

    let admin_email = format!("admin-{}@example.com", Uuid::new_v4().simple());
    shared::testkit::sign_up(&env.http, &env.base, &admin_email).await;
    api::operator::change_role(&env.db, &admin_email, api::operator::RoleChange::Grant)
        .await
        .expect("grant");

    // Not signed in: the console sends the browser to its sign-in form.
    browser.go("/admin").await;
    browser.wait_title("Sign in · Hoofbeat admin").await;
    assert_eq!(browser.path().await, "/admin/login");
    browser.sign_in(&admin_email).await;
    browser.wait_title("Overview · Hoofbeat admin").await;
    assert_eq!(browser.path().await, "/admin");
    assert!(browser.text("header nav").await.contains(&admin_email));
    let cookie = browser.cookie().await;

    // The dead jobs, through the nav; the job is listed with its error.
    browser.click("nav a[href='/admin/jobs?status=dead']").await;
    browser.wait_title("Jobs: dead · Hoofbeat admin").await;
    let row = format!("tr.job a[href='/admin/jobs/{job}']");
    assert_eq!(browser.count(&row).await, 1, "the dead job is listed");
    assert_eq!(browser.count("tr.job[data-status=dead]").await, 2);
    assert!(
        browser
            .text("tr.job[data-status=dead]")
            .await
            .contains("stored samples unreadable")
    );
    browser.click(&row).await;
    let job_title = format!("Job {job} · Hoofbeat admin");
    browser.wait_title(&job_title).await;
    assert_eq!(browser.text("#job-status").await, "dead");

    // A replay form without its CSRF token is refused; the job stays dead.
    let removed = browser
        .run(
            "const i = document.querySelector('form[action$=\"/replay\"] input[name=csrf]');
             if (i === null) { return false; } i.remove(); return true;",
        )
        .await;
    assert_eq!(removed, Value::Bool(true));
    browser
        .click("form[action$='/replay'] button[type=submit]")
        .await;
    browser.wait_title("Form expired · Hoofbeat admin").await;
    assert_eq!(env.job_status(job).await.0, "dead");
    // Nor does the browser's cookie alone do it from elsewhere.
    let r = post_form(env, &format!("/admin/jobs/{job}/replay"), &cookie, "csrf=").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(env.job_status(job).await.0, "dead");

    // Replay with the button, then reload until the worker has done it.
    browser.go(&format!("/admin/jobs/{job}")).await;
    browser.wait_title(&job_title).await;
    browser
        .click("form[action$='/replay'] button[type=submit]")
        .await;
    let replayed = format!("/admin/jobs/{job}?replayed=1");
    browser
        .wait_path("the replayed job's page", |p| p == replayed)
        .await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        browser.wait_title(&job_title).await;
        if browser.text("#job-status").await == "succeeded" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the replayed job did not succeed: {:?}",
            env.job_status(job).await
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
        step("reload", browser.c.refresh()).await;
    }
    assert_eq!(browser.path().await, replayed);
    assert!(
        browser.count("form[action$='/replay']").await == 0,
        "a succeeded job has no replay button"
    );
    let attempts = browser.text("table:last-of-type tbody").await;
    assert!(
        attempts.contains("succeeded") && attempts.contains("failed"),
        "{attempts}"
    );
    let shot = browser.screenshot("job").await;
    eprintln!("screenshot: {}", shot.display());

    // Its session, with the chart drawn from the stored analysis.
    browser
        .click(&format!("a[href='/admin/sessions/{session}']"))
        .await;
    browser
        .wait_title(&format!("Session {session} · Hoofbeat admin"))
        .await;
    let deadline = Instant::now() + STEP;
    while browser
        .run("const i = document.querySelector('img.chart'); return i !== null && i.complete && i.naturalWidth > 0;")
        .await
        != Value::Bool(true)
    {
        assert!(Instant::now() < deadline, "the chart did not load");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    browser.screenshot("session").await;

    // The other dead job in bulk: the form, the dry run's count, the
    // confirmation, then its result page until the worker has done it.
    browser.click("nav a[href='/admin/replay']").await;
    browser.wait_title("Bulk replay · Hoofbeat admin").await;
    browser.type_into("#error", "unreadable").await;
    browser
        .click("form[action='/admin/replay/preview'] button[type=submit]")
        .await;
    browser
        .wait_title("Confirm bulk replay · Hoofbeat admin")
        .await;
    assert_eq!(browser.text("#matched").await, "1 job matches the filter.");
    assert_eq!(
        env.job_status(other).await.0,
        "dead",
        "a dry run replays nothing"
    );
    browser
        .click("form[action='/admin/replay'] button[type=submit]")
        .await;
    let result = browser
        .wait_path("the bulk replay's result page", |p| {
            p.strip_prefix("/admin/replay/")
                .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
        })
        .await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while browser.text("#replay-succeeded").await != "1" {
        assert!(
            Instant::now() < deadline,
            "the bulk replay did not succeed: {:?}",
            env.job_status(other).await
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
        step("reload", browser.c.refresh()).await;
        browser.wait_path("the result page", |p| p == result).await;
    }
    assert_eq!(browser.text("#replayed").await, "1");
    assert_eq!(env.job_status(other).await.0, "succeeded");

    // The overview after all that.
    browser.click("header a.brand").await;
    browser.wait_title("Overview · Hoofbeat admin").await;
    assert!(
        browser
            .text("main")
            .await
            .contains(&format!("{}.jobs", env.prefix))
    );
    browser.screenshot("overview").await;

    // Keyboard: Tab moves from the brand to the nav's first link, which
    // shows its focus ring.
    browser
        .run("document.querySelector('header a.brand').focus(); return null;")
        .await;
    let brand = step("focused element", browser.c.active_element()).await;
    step("Tab", brand.send_keys(&char::from(Key::Tab).to_string())).await;
    let next = step("focused element", browser.c.active_element()).await;
    assert_eq!(
        step("href", next.attr("href")).await.as_deref(),
        Some("/admin")
    );
    assert_eq!(
        step("outline", next.css_value("outline-style")).await,
        "solid"
    );

    // Signing out ends the session: the old cookie opens nothing.
    browser
        .click("form[action='/admin/logout'] button[type=submit]")
        .await;
    browser.wait_title("Sign in · Hoofbeat admin").await;
    let r = get_page(env, "/admin", &cookie).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], "/admin/login");
    browser.go("/admin").await;
    browser.wait_title("Sign in · Hoofbeat admin").await;

    // A rider signing in gets the 403 page, and no console session.
    browser.sign_in(&rider_email).await;
    browser.wait_title("Admins only · Hoofbeat admin").await;
    let r = post_form(
        env,
        "/admin/login",
        "",
        &format!(
            "email={}&password={}",
            rider_email.replace('@', "%40"),
            PASSWORD.replace(' ', "+")
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.headers().get("set-cookie").is_none());
    browser.go("/admin").await;
    browser.wait_title("Sign in · Hoofbeat admin").await;
    drop(worker);
    admin_email
}
