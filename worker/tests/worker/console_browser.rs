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

use std::future::Future;
use std::io::Write;
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::*;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The longest any single browser command may take.
const STEP: Duration = Duration::from_secs(30);
/// The whole scenario's budget.
const SCENARIO: Duration = Duration::from_secs(300);
/// The password `shared::testkit::sign_up` registers.
const PASSWORD: &str = "correct horse battery";

/// Whether the browser is installed; `false` means skip (outside CI only).
fn browser_installed() -> bool {
    let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER]
        .into_iter()
        .filter(|p| !Path::new(p).exists())
        .collect();
    if missing.is_empty() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "the console's browser tests need {} (apt-get install chromium chromium-driver; .ci/run installs them)",
        missing.join(" and ")
    );
    eprintln!(
        "skipping the console's browser test: {} not installed (apt-get install chromium chromium-driver)",
        missing.join(" and ")
    );
    false
}

/// Where screenshots go: `<target>/console-screenshots/`.
fn screenshot_dir() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(tmp).join("console-screenshots")
}

/// chromedriver on a free loopback port, with the Chromium it starts: the
/// whole process group is killed when dropped, whatever happened.
struct Driver {
    child: Child,
    port: u16,
    profile: PathBuf,
    log: PathBuf,
}

impl Driver {
    fn start(name: &str) -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let log = std::env::temp_dir().join(format!("{name}-chromedriver.log"));
        let profile = std::env::temp_dir().join(format!("{name}-chromium-profile"));
        let _ = std::fs::remove_dir_all(&profile);
        std::fs::create_dir_all(&profile).expect("profile dir");
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own process group: Chromium's processes join it, and
            // Drop ends them all.
            .process_group(0)
            .spawn()
            .expect("spawn chromedriver");
        let driver = Driver {
            child,
            port,
            profile,
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen on port {port} within 20 s: {}",
                driver.log_tail()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        driver
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let from = log.len().saturating_sub(2000);
        log.get(from..).unwrap_or_default().to_owned()
    }

    /// A WebDriver session with Chromium headless, offline-friendly flags
    /// (no sync, update or QUIC connections to wait for), the driver's
    /// profile (one session at a time) and `extra` flags.
    async fn session(&self, extra: &[&str]) -> Client {
        let mut args = vec![
            "--headless".to_owned(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-dev-shm-usage".into(),
            "--hide-scrollbars".into(),
            "--window-size=1280,1400".into(),
            format!("--user-data-dir={}", self.profile.display()),
        ];
        args.extend(extra.iter().map(|a| (*a).to_owned()));
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": CHROMIUM,
                "args": args,
            }),
        );
        let connect = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await;
        let client = match connect {
            Ok(c) => c,
            Err(e) => panic!("no browser session: {e}\n{}", self.log_tail()),
        };
        client
            .update_timeouts(fantoccini::wd::TimeoutConfiguration::new(
                Some(Duration::from_secs(10)),
                Some(Duration::from_secs(20)),
                Some(Duration::ZERO),
            ))
            .await
            .expect("timeouts");
        client
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// `fut` within [`STEP`], or a panic naming `what`.
async fn step<T, E: std::fmt::Display>(what: &str, fut: impl Future<Output = Result<T, E>>) -> T {
    match tokio::time::timeout(STEP, fut).await {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => panic!("{what}: {e}"),
        Err(_) => panic!("{what}: no answer within {STEP:?}"),
    }
}

/// The browser, pointed at the API.
struct Browser {
    c: Client,
    base: String,
}

impl Browser {
    async fn go(&self, path: &str) {
        step(
            &format!("open {path}"),
            self.c.goto(&format!("{}{path}", self.base)),
        )
        .await;
    }

    async fn path(&self) -> String {
        let url = step("current url", self.c.current_url()).await;
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    async fn title(&self) -> String {
        step("title", self.c.title()).await
    }

    async fn text(&self, css: &str) -> String {
        let e = step(&format!("find {css}"), self.c.find(Locator::Css(css))).await;
        step(&format!("text of {css}"), e.text()).await
    }

    async fn click(&self, css: &str) {
        let e = step(&format!("find {css}"), self.c.find(Locator::Css(css))).await;
        step(&format!("click {css}"), e.click()).await;
    }

    async fn count(&self, css: &str) -> usize {
        step(
            &format!("find all {css}"),
            self.c.find_all(Locator::Css(css)),
        )
        .await
        .len()
    }

    async fn type_into(&self, css: &str, text: &str) {
        let e = step(&format!("find {css}"), self.c.find(Locator::Css(css))).await;
        step(&format!("type into {css}"), e.send_keys(text)).await;
    }

    async fn run(&self, script: &str) -> Value {
        step("script", self.c.execute(script, vec![])).await
    }

    /// The page's title, once it is `title` (navigations finish on their own
    /// time after a click); panics with what is shown past the deadline.
    async fn wait_title(&self, title: &str) {
        let deadline = Instant::now() + STEP;
        loop {
            let now = self.title().await;
            if now == title {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "expected the page {title:?}, still on {now:?} at {}",
                self.path().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the browser is at a path `ok` accepts (a form's post
    /// and its redirect are done), within [`STEP`]; returns it.
    async fn wait_path(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + STEP;
        loop {
            let now = self.path().await;
            if ok(&now) {
                return now;
            }
            assert!(Instant::now() < deadline, "expected {what}, still at {now}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn sign_in(&self, email: &str) {
        self.go("/admin/login").await;
        self.wait_title("Sign in · Hoofbeat admin").await;
        self.type_into("#email", email).await;
        self.type_into("#password", PASSWORD).await;
        self.click("form[action='/admin/login'] button[type=submit]")
            .await;
    }

    /// The console cookie's value, as the browser keeps it.
    async fn cookie(&self) -> String {
        let c = step(
            "the console cookie",
            self.c.get_named_cookie(api::console::session::COOKIE),
        )
        .await;
        assert_eq!(c.http_only(), Some(true), "no script may read it");
        assert_eq!(c.secure(), Some(true));
        format!("{}={}", c.name(), c.value())
    }

    /// Saves a PNG of the window as `<target>/console-screenshots/{name}.png`.
    async fn screenshot(&self, name: &str) -> PathBuf {
        let png = step("screenshot", self.c.screenshot()).await;
        assert!(png.starts_with(b"\x89PNG"), "a PNG");
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        let file = dir.join(format!("{name}.png"));
        std::fs::File::create(&file)
            .and_then(|mut f| f.write_all(&png))
            .expect("write screenshot");
        file
    }
}

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
