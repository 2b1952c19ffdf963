//! GraphiQL in a real browser: headless Chromium driven by chromedriver over the W3C WebDriver protocol, with every
//! address off this machine unreachable, so the page is shown to work offline. The token form opens GraphiQL, a
//! query runs with the token as a header and shows the default warehouse, the token stays out of URLs and local
//! storage, a reload keeps the session's token, and a wrong token is answered UNAUTHENTICATED. Needs Debian's
//! `chromium` and `chromium-driver` (`.ci/run` installs them); without them the test is SKIPPED, or fails when
//! `OMNISYNC_REQUIRE_SERVICES=1`.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Backend, spawn_app};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
/// The longest one step may take (chromedriver starting, GraphiQL loading, a query's answer).
const STEP: Duration = Duration::from_secs(20);
/// The key a W3C WebDriver element reference is returned under.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
/// The text of GraphiQL's response pane (3.x: `.graphiql-response`, its editor in `.result-window`).
const RESPONSE_TEXT: &str = "var pane = document.querySelector('.graphiql-response .result-window') \
     || document.querySelector('.graphiql-response'); return pane ? pane.innerText : '';";
/// The token form is shown (a fresh page without a stored token) and GraphiQL is not.
const FORM_SHOWN: &str = "return !!document.querySelector('#token-form:not([hidden]) #token') \
     && !document.querySelector('.graphiql-container');";
/// GraphiQL is rendered and the form hidden.
const GRAPHIQL_SHOWN: &str = "return !!document.querySelector('.graphiql-execute-button') \
     && document.getElementById('token-form').hidden;";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphiql_runs_queries_offline_with_the_token_from_its_form() {
    if !browser_installed() {
        return;
    }
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    omnisync::startup::install_tls_provider();
    let mut driver = Driver::start();
    driver.wait_until_ready().await;
    driver.new_session().await;

    // Offline: nothing off this machine loads (the page below then needs no CDN). A failed navigation is an error,
    // or, in some chromedriver versions, Chromium's error page.
    let outside = driver.try_command(Method::POST, "/url", Some(json!({ "url": "https://unpkg.com/graphiql" }))).await;
    if outside.is_ok() {
        let at = driver.script("return location.href;").await;
        assert!(at.as_str().unwrap_or_default().starts_with("chrome-error:"), "an outside address loaded: {at}");
    }

    let page = format!("{}/graphql", app.address);
    driver.command(Method::POST, "/url", Some(json!({ "url": page }))).await;
    driver.sign_in(&app.token).await;
    driver.click(".graphiql-execute-button").await;
    let text = driver.wait_for_response("\"isDefault\"").await;
    assert!(text.contains("\"data\"") && !text.contains("\"errors\""), "the query answered data: {text}");
    assert!(text.contains("Kho tổng"), "the seeded default warehouse is listed: {text}");

    let stored = driver.script("return sessionStorage.getItem('omnisync.token');").await;
    assert_eq!(stored, json!(app.token), "the token is kept in the tab's sessionStorage");
    let href = driver.script("return location.href;").await;
    assert!(!href.as_str().unwrap_or_default().contains(&app.token), "the token is not in the URL: {href}");
    let local = driver.script("return JSON.stringify(window.localStorage);").await;
    assert!(!local.as_str().unwrap_or_default().contains(&app.token), "GraphiQL's localStorage has no token");

    // A reload in the same tab opens GraphiQL at once with the stored token.
    driver.command(Method::POST, "/refresh", Some(json!({}))).await;
    driver.wait_for(GRAPHIQL_SHOWN, "GraphiQL without the form after a reload").await;

    // Forgetting the token brings the form back; a wrong token is refused.
    driver.click("#forget-token").await;
    driver.wait_for(FORM_SHOWN, "the token form after forgetting the token").await;
    let stored = driver.script("return sessionStorage.getItem('omnisync.token');").await;
    assert_eq!(stored, Value::Null, "forgetting clears the stored token");
    driver.sign_in("osk_not_a_live_token").await;
    driver.click(".graphiql-execute-button").await;
    let text = driver.wait_for_response("UNAUTHENTICATED").await;
    assert!(!text.contains("\"data\""), "a wrong token reads nothing: {text}");

    drop(driver);
    app.cleanup().await;
}

/// Whether chromedriver and Chromium are installed; a SKIPPED line if not, or a failure when services are required.
fn browser_installed() -> bool {
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
struct Driver {
    child: Child,
    port: u16,
    client: reqwest::Client,
    session: Option<String>,
}

impl Driver {
    fn start() -> Self {
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

    async fn wait_until_ready(&self) {
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
    /// 127.0.0.1 (where the app listens) would go through a proxy that is not there.
    async fn new_session(&mut self) {
        let capabilities = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
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
    async fn try_command(&self, method: Method, path: &str, body: Option<Value>) -> Result<Value, String> {
        let session = self.session.as_deref().expect("a session");
        self.request(method, &format!("/session/{session}{path}"), body).await
    }

    /// A command of the session that must succeed.
    async fn command(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let described = format!("{method} {path}");
        self.try_command(method, path, body).await.unwrap_or_else(|e| panic!("WebDriver {described}: {e}"))
    }

    async fn script(&self, script: &str) -> Value {
        self.command(Method::POST, "/execute/sync", Some(json!({ "script": script, "args": [] }))).await
    }

    /// Polls a script returning a boolean until it returns true (bounded). An error counts as not yet: the page may
    /// be between two documents (a reload).
    async fn wait_for(&self, script: &str, what: &str) {
        let deadline = Instant::now() + STEP;
        loop {
            let body = json!({ "script": script, "args": [] });
            let answer = self.try_command(Method::POST, "/execute/sync", Some(body)).await;
            if answer.as_ref().is_ok_and(|value| value.as_bool() == Some(true)) {
                return;
            }
            assert!(Instant::now() < deadline, "no {what} in 20 s (last answer: {answer:?})");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn element(&self, css: &str) -> String {
        let found =
            self.command(Method::POST, "/element", Some(json!({ "using": "css selector", "value": css }))).await;
        found[ELEMENT].as_str().unwrap_or_else(|| panic!("no element id for {css}: {found}")).to_owned()
    }

    async fn click(&self, css: &str) {
        let element = self.element(css).await;
        self.command(Method::POST, &format!("/element/{element}/click"), Some(json!({}))).await;
    }

    /// Types the token into the form and opens GraphiQL; waits until its execute button is there.
    async fn sign_in(&self, token: &str) {
        self.wait_for(FORM_SHOWN, "token form").await;
        let input = self.element("#token").await;
        self.command(Method::POST, &format!("/element/{input}/value"), Some(json!({ "text": token }))).await;
        self.click("#use-token").await;
        self.wait_for(GRAPHIQL_SHOWN, "GraphiQL execute button").await;
    }

    /// The response pane's text once it contains `needle` (CodeMirror's non-breaking spaces read as spaces).
    async fn wait_for_response(&self, needle: &str) -> String {
        let deadline = Instant::now() + STEP;
        loop {
            let text = self.script(RESPONSE_TEXT).await.as_str().unwrap_or_default().replace('\u{a0}', " ");
            if text.contains(needle) {
                return text;
            }
            assert!(Instant::now() < deadline, "GraphiQL's response pane did not show {needle} in 20 s: {text:?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
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
