//! A real browser for the tests of what a person looks at: headless Chromium driven by chromedriver over the W3C
//! WebDriver protocol, able to reach only this machine (so pages are shown to work offline). Needs Debian's
//! `chromium` and `chromium-driver` (`.ci/run` installs them); without them a test is SKIPPED, or fails when
//! `OMNISYNC_REQUIRE_SERVICES=1`.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use reqwest::Method;
use serde_json::{Value, json};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
/// The longest one step may take (chromedriver starting, a page loading, a query's answer).
pub(crate) const STEP: Duration = Duration::from_secs(20);
/// The key a W3C WebDriver element reference is returned under.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Whether chromedriver and Chromium are installed; a SKIPPED line if not, or a failure when services are required.
pub(crate) fn browser_installed() -> bool {
    let missing: Vec<&str> =
        [CHROMEDRIVER, CHROMIUM].into_iter().filter(|path| !std::path::Path::new(path).exists()).collect();
    if missing.is_empty() {
        return true;
    }
    let missing = missing.join(" and ");
    let required = std::env::var("OMNISYNC_REQUIRE_SERVICES").is_ok_and(|v| v == "1");
    assert!(!required, "{missing} missing and OMNISYNC_REQUIRE_SERVICES=1: install chromium and chromium-driver");
    println!("SKIPPED: {missing} missing: install chromium and chromium-driver");
    eprintln!("SKIPPED: {missing} missing: install chromium and chromium-driver");
    false
}

/// A chromedriver process and its one browser session; dropping it ends both, however the test ends.
pub(crate) struct Driver {
    child: Child,
    port: u16,
    client: reqwest::Client,
    session: Option<String>,
}

impl Driver {
    pub(crate) fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("addr").port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let client = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().expect("client");
        Self { child, port, client, session: None }
    }

    /// chromedriver started, ready, with a browser session.
    pub(crate) async fn launch() -> Self {
        let mut driver = Self::start();
        driver.wait_until_ready().await;
        driver.new_session().await;
        driver
    }

    /// One WebDriver request: its `value`, or the status and body of a refusal.
    async fn request(&self, method: Method, path: &str, body: Option<Value>) -> Result<Value, String> {
        let mut request = self.client.request(method, format!("http://127.0.0.1:{}{path}", self.port));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.map_err(|e| e.to_string())?;
        let status = response.status();
        let body: Value = response.json().await.map_err(|e| e.to_string())?;
        if status.is_success() { Ok(body["value"].clone()) } else { Err(format!("{status}: {body}")) }
    }

    pub(crate) async fn wait_until_ready(&self) {
        let deadline = Instant::now() + STEP;
        loop {
            let status = self.request(Method::GET, "/status", None).await;
            if status.as_ref().is_ok_and(|status| status["ready"].as_bool() == Some(true)) {
                return;
            }
            assert!(Instant::now() < deadline, "chromedriver did not become ready in 20 s: {status:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Headless Chromium that can reach only this machine: no name resolves, and every connection but to
    /// 127.0.0.1 (where the app listens) would go through a proxy that is not there. The page's console is kept
    /// (`browser_log`).
    pub(crate) async fn new_session(&mut self) {
        let capabilities = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:loggingPrefs": { "browser": "ALL" },
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--window-size=1280,900",
                    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                    "--proxy-server=127.0.0.1:9",
                    "--proxy-bypass-list=127.0.0.1",
                ],
            },
        } } });
        let created = self
            .request(Method::POST, "/session", Some(capabilities))
            .await
            .unwrap_or_else(|e| panic!("chromedriver started no browser session: {e}"));
        self.session = Some(created["sessionId"].as_str().expect("a session id").to_owned());
    }

    /// A command of the session.
    pub(crate) async fn try_command(&self, method: Method, path: &str, body: Option<Value>) -> Result<Value, String> {
        let session = self.session.as_deref().expect("a session");
        self.request(method, &format!("/session/{session}{path}"), body).await
    }

    /// A command of the session that must succeed.
    pub(crate) async fn command(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let described = format!("{method} {path}");
        self.try_command(method, path, body).await.unwrap_or_else(|e| panic!("WebDriver {described}: {e}"))
    }

    pub(crate) async fn goto(&self, url: &str) {
        self.command(Method::POST, "/url", Some(json!({ "url": url }))).await;
    }

    pub(crate) async fn script(&self, script: &str) -> Value {
        self.command(Method::POST, "/execute/sync", Some(json!({ "script": script, "args": [] }))).await
    }

    /// A script given arguments (`arguments[0]`, …).
    pub(crate) async fn script_with(&self, script: &str, args: Value) -> Value {
        self.command(Method::POST, "/execute/sync", Some(json!({ "script": script, "args": args }))).await
    }

    /// Polls a script returning a boolean until it returns true (bounded). An error counts as not yet: the page may
    /// be between two documents (a reload).
    pub(crate) async fn wait_for(&self, script: &str, what: &str) {
        self.wait_for_within(script, what, STEP).await;
    }

    pub(crate) async fn wait_for_within(&self, script: &str, what: &str, limit: Duration) {
        let deadline = Instant::now() + limit;
        loop {
            let body = json!({ "script": script, "args": [] });
            let answer = self.try_command(Method::POST, "/execute/sync", Some(body)).await;
            if answer.as_ref().is_ok_and(|value| value.as_bool() == Some(true)) {
                return;
            }
            if Instant::now() >= deadline {
                let page = self.text("body").await;
                let page: String = page.chars().take(3000).collect();
                panic!("no {what} within {limit:?} (last answer: {answer:?}); the page says:\n{page}");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Waits (bounded) until an element matches `css`; fails showing what the page says instead.
    pub(crate) async fn wait_for_element(&self, css: &str) {
        let script = format!("return !!document.querySelector({});", json!(css));
        self.wait_for_within(&script, css, STEP).await;
    }

    pub(crate) async fn element(&self, css: &str) -> String {
        let found =
            self.command(Method::POST, "/element", Some(json!({ "using": "css selector", "value": css }))).await;
        found[ELEMENT].as_str().unwrap_or_else(|| panic!("no element id for {css}: {found}")).to_owned()
    }

    pub(crate) async fn click(&self, css: &str) {
        let element = self.element(css).await;
        self.command(Method::POST, &format!("/element/{element}/click"), Some(json!({}))).await;
    }

    /// Types `text` into the element matching `css` (after what it holds).
    pub(crate) async fn type_into(&self, css: &str, text: &str) {
        let element = self.element(css).await;
        self.command(Method::POST, &format!("/element/{element}/value"), Some(json!({ "text": text }))).await;
    }

    /// Empties the field matching `css`.
    pub(crate) async fn clear(&self, css: &str) {
        let element = self.element(css).await;
        self.command(Method::POST, &format!("/element/{element}/clear"), Some(json!({}))).await;
    }

    /// The visible text of the element matching `css` ("" when there is none).
    pub(crate) async fn text(&self, css: &str) -> String {
        let script = "var e = document.querySelector(arguments[0]); return e ? e.innerText : '';";
        self.script_with(script, json!([css])).await.as_str().unwrap_or_default().to_owned()
    }

    /// Presses and releases one key (a WebDriver key code such as `\u{E004}`, Tab) where the focus is.
    pub(crate) async fn press(&self, key: &str) {
        let actions = json!({ "actions": [{ "type": "key", "id": "keyboard", "actions": [
            { "type": "keyDown", "value": key }, { "type": "keyUp", "value": key } ] }] });
        self.command(Method::POST, "/actions", Some(actions)).await;
    }

    /// Resizes the window (CSS pixels, as a phone or a laptop would show the page).
    pub(crate) async fn resize(&self, width: u32, height: u32) {
        self.command(Method::POST, "/window/rect", Some(json!({ "width": width, "height": height }))).await;
    }

    /// A PNG of the viewport.
    pub(crate) async fn screenshot(&self) -> Vec<u8> {
        let encoded = self.command(Method::GET, "/screenshot", None).await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(encoded.as_str().expect("base64 text"))
            .expect("a base64 screenshot");
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
        png
    }

    /// The page's console messages since the last call (level and text), as Chromium reported them.
    pub(crate) async fn browser_log(&self) -> Vec<(String, String)> {
        let entries = self.command(Method::POST, "/se/log", Some(json!({ "type": "browser" }))).await;
        entries
            .as_array()
            .map(|entries| {
                entries
                    .iter()
                    .map(|e| {
                        (
                            e["level"].as_str().unwrap_or_default().to_owned(),
                            e["message"].as_str().unwrap_or_default().to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        if let Some(session) = self.session.take() {
            delete_session(self.port, &session);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Ends the browser session, so chromedriver closes Chromium (a killed chromedriver would leave it running).
/// Plain blocking HTTP: a `Drop` cannot await.
fn delete_session(port: u16, session: &str) {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let request = format!(
        "DELETE /session/{session} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    if stream.write_all(request.as_bytes()).is_ok() {
        // The status line comes once the browser is closed (chromedriver keeps the connection open after it).
        let mut status_line = String::new();
        let _ = BufReader::new(&stream).read_line(&mut status_line);
    }
}
