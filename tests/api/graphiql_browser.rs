//! GraphiQL in a real browser: headless Chromium driven by chromedriver over the W3C WebDriver protocol, with every
//! address off this machine unreachable, so the page is shown to work offline. The token form opens GraphiQL, a
//! query runs with the token as a header and shows the default warehouse, the token stays out of URLs and local
//! storage, a reload keeps the session's token, and a wrong token is answered UNAUTHENTICATED. Needs Debian's
//! `chromium` and `chromium-driver` (`.ci/run` installs them); without them the test is SKIPPED, or fails when
//! `OMNISYNC_REQUIRE_SERVICES=1`.

use std::time::Instant;

use reqwest::Method;
use serde_json::{Value, json};

use crate::browser::{Driver, STEP, browser_installed};
use crate::helpers::{Backend, spawn_app};
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
    let driver = Driver::launch().await;

    // Offline: nothing off this machine loads (the page below then needs no CDN). A failed navigation is an error,
    // or, in some chromedriver versions, Chromium's error page.
    let outside = driver.try_command(Method::POST, "/url", Some(json!({ "url": "https://unpkg.com/graphiql" }))).await;
    if outside.is_ok() {
        let at = driver.script("return location.href;").await;
        assert!(at.as_str().unwrap_or_default().starts_with("chrome-error:"), "an outside address loaded: {at}");
    }

    let page = format!("{}/graphql", app.address);
    driver.command(Method::POST, "/url", Some(json!({ "url": page }))).await;
    sign_in(&driver, &app.token).await;
    driver.click(".graphiql-execute-button").await;
    let text = wait_for_response(&driver, "\"isDefault\"").await;
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
    sign_in(&driver, "osk_not_a_live_token").await;
    driver.click(".graphiql-execute-button").await;
    let text = wait_for_response(&driver, "UNAUTHENTICATED").await;
    assert!(!text.contains("\"data\""), "a wrong token reads nothing: {text}");

    drop(driver);
    app.cleanup().await;
}

/// Types the token into the form and opens GraphiQL; waits until its execute button is there.
async fn sign_in(driver: &Driver, token: &str) {
    driver.wait_for(FORM_SHOWN, "token form").await;
    driver.type_into("#token", token).await;
    driver.click("#use-token").await;
    driver.wait_for(GRAPHIQL_SHOWN, "GraphiQL execute button").await;
}

/// The response pane's text once it contains `needle` (CodeMirror's non-breaking spaces read as spaces).
async fn wait_for_response(driver: &Driver, needle: &str) -> String {
    let deadline = Instant::now() + STEP;
    loop {
        let text = driver.script(RESPONSE_TEXT).await.as_str().unwrap_or_default().replace('\u{a0}', " ");
        if text.contains(needle) {
            return text;
        }
        assert!(Instant::now() < deadline, "GraphiQL's response pane did not show {needle} in 20 s: {text:?}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}
