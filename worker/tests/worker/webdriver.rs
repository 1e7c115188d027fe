//! Headless Chromium over WebDriver for the console's browser test: the
//! chromedriver process, a browser session pointed at the API, and steps
//! that each have a deadline (nothing hangs).

use std::future::Future;
use std::io::Write;
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

pub(crate) const CHROMIUM: &str = "/usr/bin/chromium";
pub(crate) const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The longest any single browser command may take.
pub(crate) const STEP: Duration = Duration::from_secs(30);
/// The password `shared::testkit::sign_up` registers.
pub(crate) const PASSWORD: &str = "correct horse battery";

/// Whether the browser is installed; `false` means skip (outside CI only).
pub(crate) fn browser_installed() -> bool {
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
pub(crate) fn screenshot_dir() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(tmp).join("console-screenshots")
}

/// chromedriver on a free loopback port, with the Chromium it starts: the
/// whole process group is killed when dropped, whatever happened.
pub(crate) struct Driver {
    child: Child,
    port: u16,
    profile: PathBuf,
    log: PathBuf,
}

impl Driver {
    pub(crate) fn start(name: &str) -> Driver {
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

    pub(crate) fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let from = log.len().saturating_sub(2000);
        log.get(from..).unwrap_or_default().to_owned()
    }

    /// A WebDriver session with Chromium headless, offline-friendly flags
    /// (no sync, update or QUIC connections to wait for), the driver's
    /// profile (one session at a time) and `extra` flags.
    pub(crate) async fn session(&self, extra: &[&str]) -> Client {
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
pub(crate) async fn step<T, E: std::fmt::Display>(
    what: &str,
    fut: impl Future<Output = Result<T, E>>,
) -> T {
    match tokio::time::timeout(STEP, fut).await {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => panic!("{what}: {e}"),
        Err(_) => panic!("{what}: no answer within {STEP:?}"),
    }
}

/// The browser, pointed at the API.
pub(crate) struct Browser {
    pub(crate) c: Client,
    pub(crate) base: String,
}

impl Browser {
    pub(crate) async fn go(&self, path: &str) {
        step(
            &format!("open {path}"),
            self.c.goto(&format!("{}{path}", self.base)),
        )
        .await;
    }

    pub(crate) async fn path(&self) -> String {
        let url = step("current url", self.c.current_url()).await;
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    pub(crate) async fn title(&self) -> String {
        step("title", self.c.title()).await
    }

    pub(crate) async fn text(&self, css: &str) -> String {
        let e = step(&format!("find {css}"), self.c.find(Locator::Css(css))).await;
        step(&format!("text of {css}"), e.text()).await
    }

    pub(crate) async fn click(&self, css: &str) {
        let e = step(&format!("find {css}"), self.c.find(Locator::Css(css))).await;
        step(&format!("click {css}"), e.click()).await;
    }

    pub(crate) async fn count(&self, css: &str) -> usize {
        step(
            &format!("find all {css}"),
            self.c.find_all(Locator::Css(css)),
        )
        .await
        .len()
    }

    pub(crate) async fn type_into(&self, css: &str, text: &str) {
        let e = step(&format!("find {css}"), self.c.find(Locator::Css(css))).await;
        step(&format!("type into {css}"), e.send_keys(text)).await;
    }

    pub(crate) async fn run(&self, script: &str) -> Value {
        step("script", self.c.execute(script, vec![])).await
    }

    /// The page's title, once it is `title` (navigations finish on their own
    /// time after a click); panics with what is shown past the deadline.
    pub(crate) async fn wait_title(&self, title: &str) {
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
    pub(crate) async fn wait_path(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
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

    pub(crate) async fn sign_in(&self, email: &str) {
        self.go("/admin/login").await;
        self.wait_title("Sign in · Hoofbeat admin").await;
        self.type_into("#email", email).await;
        self.type_into("#password", PASSWORD).await;
        self.click("form[action='/admin/login'] button[type=submit]")
            .await;
    }

    /// The console cookie's value, as the browser keeps it.
    pub(crate) async fn cookie(&self) -> String {
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
    pub(crate) async fn screenshot(&self, name: &str) -> PathBuf {
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
