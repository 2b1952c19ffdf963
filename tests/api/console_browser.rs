//! The merchant console (`GET /`, `assets/console/`) driven as a person would, in real headless Chromium against the
//! real server, its workers and the marketplace simulators: sign in with a token (kept in the tab only), every
//! screen on a laptop and on a phone, a READ token offered no writes, a channel connected through the
//! marketplace's consent page and back, a bulk link previewed then followed live, a
//! link error fixed and relinked, a stock change seen on the marketplace with its explanation, an order made ready
//! to ship, an export slip created and exported. The page's console shows no error or warning.
//!
//! Set `OMNISYNC_SCREENSHOT_DIR=docs/console` to keep the screenshots the tests take (the README links them).

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use omnisync::channels::ChannelKind;

use crate::browser::{Driver, browser_installed};
use crate::helpers::{Backend, Options, TestApp, spawn_app_with};
use crate::orders::{Shop, connect, linked_variant, settle, the_order};

/// The selector of an element by its `data-testid`.
fn tid(name: &str) -> String {
    format!("[data-testid=\"{name}\"]")
}

/// WebDriver key codes.
const TAB: &str = "\u{E004}";
const ENTER: &str = "\u{E007}";

/// The screens, by the name their navigation link and root carry.
const SCREENS: &[&str] = &["overview", "channels", "products", "stock", "orders", "slips", "errors", "settings"];

/// Keeps a screenshot when `OMNISYNC_SCREENSHOT_DIR` is set (the PNG is taken and checked either way).
async fn screenshot(driver: &Driver, name: &str) {
    let png = driver.screenshot().await;
    assert!(png.len() > 2_000, "{name}: a real picture ({} bytes)", png.len());
    if let Ok(dir) = std::env::var("OMNISYNC_SCREENSHOT_DIR") {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("screenshot written");
    }
}

/// The page's console since the last look holds no error and no warning.
async fn assert_quiet_console(driver: &Driver, step: &str) {
    let noisy: Vec<(String, String)> =
        driver.browser_log().await.into_iter().filter(|(level, _)| level == "SEVERE" || level == "WARNING").collect();
    assert!(noisy.is_empty(), "the browser console after {step}: {noisy:#?}");
}

/// The app, a browser on its console's page, and the console's sign-in form shown.
async fn open_console() -> Option<(TestApp, Driver)> {
    open_console_with(Options::default()).await
}

/// As `open_console`, with an app started with `options` (without workers: the test runs each queued run when it
/// has seen it waiting).
async fn open_console_with(options: Options) -> Option<(TestApp, Driver)> {
    if !browser_installed() {
        return None;
    }
    let app = spawn_app_with(Backend::Sqlite, options).await?;
    let driver = Driver::launch().await;
    driver.goto(&format!("{}/", app.address)).await;
    driver.wait_for_element(&tid("screen-signin")).await;
    Some((app, driver))
}

async fn sign_in(driver: &Driver, token: &str) {
    driver.wait_for_element(&tid("signin-token")).await;
    driver.clear(&tid("signin-token")).await;
    driver.type_into(&tid("signin-token"), token).await;
    driver.click(&tid("signin-submit")).await;
    driver.wait_for_element(&tid("screen-overview")).await;
}

/// Opens a screen by its address (`#/products?channel=…`), as a link or the back button would.
async fn open(driver: &Driver, hash: &str, screen: &str) {
    driver.script_with("location.hash = arguments[0];", json!([hash])).await;
    driver.wait_for_element(&tid(&format!("screen-{screen}"))).await;
}

/// Waits (bounded) until the element matching `css` has `attribute` = `value`.
async fn wait_for_attribute(driver: &Driver, css: &str, attribute: &str, value: &str, limit: Duration) {
    let script = format!(
        "var e = document.querySelector({}); return !!e && e.getAttribute({}) === {};",
        json!(css),
        json!(attribute),
        json!(value)
    );
    driver.wait_for_within(&script, &format!("{css} with {attribute}={value}"), limit).await;
}

/// Waits (bounded) until no run of the channel is waiting or running.
async fn runs_settled(app: &TestApp, channel_id: i64) {
    use entity::enums::SyncRunStatus;
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let started = Instant::now();
    loop {
        let active = entity::sync_run::Entity::find()
            .filter(entity::sync_run::Column::ChannelId.eq(channel_id))
            .filter(entity::sync_run::Column::Status.is_in([SyncRunStatus::Created, SyncRunStatus::Running]))
            .count(&app.ctx.db)
            .await
            .expect("runs");
        if active == 0 {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "{active} runs of the channel still active");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn visible(driver: &Driver, css: &str) -> bool {
    let script = "var e = document.querySelector(arguments[0]); return !!e && e.offsetParent !== null;";
    driver.script_with(script, json!([css])).await == json!(true)
}

async fn attribute(driver: &Driver, css: &str, attribute: &str) -> Option<String> {
    let script = "var e = document.querySelector(arguments[0]); return e ? e.getAttribute(arguments[1]) : null;";
    driver.script_with(script, json!([css, attribute])).await.as_str().map(str::to_owned)
}

/// Follows the run progress bar until its run is COMPLETED; returns the states seen on the way (status, done).
async fn follow_progress(driver: &Driver, limit: Duration) -> Vec<(String, u64, u64)> {
    let bar = tid("run-progress");
    driver.wait_for_element(&bar).await;
    let started = Instant::now();
    let mut seen: Vec<(String, u64, u64)> = Vec::new();
    loop {
        let status = attribute(driver, &bar, "data-status").await.unwrap_or_default();
        let number = |v: Option<String>| v.and_then(|v| v.parse().ok()).unwrap_or(0);
        let done = number(attribute(driver, &bar, "data-done").await);
        let total = number(attribute(driver, &bar, "data-total").await);
        if seen.last() != Some(&(status.clone(), done, total)) {
            seen.push((status.clone(), done, total));
        }
        match status.as_str() {
            "COMPLETED" => return seen,
            "FAILED" | "CANCELLED" => panic!("the run ended {status}: {seen:?}"),
            _ => {}
        }
        assert!(started.elapsed() < limit, "the run did not complete in {limit:?}: {seen:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merchant_signs_in_and_sees_every_screen_on_a_laptop_and_a_phone() {
    let Some((app, driver)) = open_console().await else { return };
    let shop = connect(&app, ChannelKind::Lazada, json!({})).await;
    linked_variant(&app, &shop, "SKU-0001-1", 12).await;
    shop.sim.state.create_order(&[("SKU-0001-1".to_owned(), 2)], None).await.expect("order");
    settle(&app, &shop).await;

    // Vietnamese first; a wrong token is refused on the form.
    assert_eq!(driver.script("return document.documentElement.lang;").await, json!("vi"));
    screenshot(&driver, "sign-in").await;
    driver.type_into(&tid("signin-token"), "osk_not_a_live_token").await;
    driver.click(&tid("signin-submit")).await;
    driver.wait_for_element(&tid("signin-error")).await;
    assert!(!driver.text(&tid("signin-error")).await.is_empty(), "the refusal is shown");
    // The browser itself reports the refused request (401) in its console; nothing else may be there.
    let refused: Vec<_> = driver.browser_log().await;
    assert!(
        refused.iter().all(|(_, message)| message.contains("401")),
        "only the refused sign-in in the console: {refused:#?}"
    );

    sign_in(&driver, &app.token).await;
    let stored = driver.script("return sessionStorage.getItem('omnisync.token');").await;
    assert_eq!(stored, json!(app.token), "the token is kept in the tab's sessionStorage");
    let local = driver.script("return JSON.stringify(window.localStorage);").await;
    assert!(!local.as_str().unwrap_or_default().contains(&app.token), "no token in localStorage");
    let href = driver.script("return location.href;").await;
    assert!(!href.as_str().unwrap_or_default().contains(&app.token), "no token in the URL: {href}");

    // The overview shows the channel's health, and its feed opens with the order.
    driver.wait_for_element(&tid("row-channel-health")).await;
    assert!(driver.text(&tid("screen-overview")).await.contains("Lazada"), "the channel is listed");
    let pushed = format!(
        "var e = document.querySelector({}); return !!e && e.innerText.trim() === '0';",
        json!(tid("health-pushes-pending"))
    );
    driver.wait_for(&pushed, "no pending push once the channel is in step").await;
    driver.wait_for_element(&format!("{} {}", tid("live-feed"), tid("feed-item"))).await;

    // Every screen by its navigation link, on a laptop.
    for screen in SCREENS {
        driver.click(&tid(&format!("nav-{screen}"))).await;
        driver.wait_for_element(&tid(&format!("screen-{screen}"))).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        screenshot(&driver, screen).await;
        assert_quiet_console(&driver, &format!("opening {screen}")).await;
    }
    // The order placed on the marketplace is listed.
    open(&driver, "#/orders", "orders").await;
    driver.wait_for_element(&tid("row-order")).await;

    // English by the switch, then back.
    driver.click(&tid("lang-toggle")).await;
    driver.wait_for("return document.documentElement.lang === 'en';", "English").await;
    driver.click(&tid("lang-toggle")).await;
    driver.wait_for("return document.documentElement.lang === 'vi';", "Vietnamese").await;

    // A phone-sized window: every screen still opens, reached through the menu.
    driver.resize(390, 844).await;
    for screen in SCREENS {
        let link = tid(&format!("nav-{screen}"));
        // Behind the menu button when the navigation is folded.
        if !visible(&driver, &link).await && visible(&driver, &tid("nav-menu")).await {
            driver.click(&tid("nav-menu")).await;
        }
        let shown = format!("var e = document.querySelector({}); return !!e && e.offsetParent !== null;", json!(link));
        driver.wait_for(&shown, "the navigation link on a phone").await;
        driver.click(&tid(&format!("nav-{screen}"))).await;
        driver.wait_for_element(&tid(&format!("screen-{screen}"))).await;
        let overflow = driver.script("return document.documentElement.scrollWidth - window.innerWidth;").await;
        assert!(overflow.as_i64().unwrap_or(0) <= 1, "{screen}: the page fits a phone's width ({overflow} px more)");
        if matches!(*screen, "overview" | "products" | "orders") {
            tokio::time::sleep(Duration::from_millis(300)).await;
            screenshot(&driver, &format!("{screen}-phone")).await;
        }
    }
    assert_quiet_console(&driver, "the phone-sized screens").await;

    // Signing out forgets the token.
    driver.resize(1280, 900).await;
    driver.click(&tid("signout")).await;
    driver.wait_for_element(&tid("screen-signin")).await;
    assert_eq!(driver.script("return sessionStorage.getItem('omnisync.token');").await, Value::Null);
    drop(driver);
    drop(shop);
    app.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_token_is_offered_no_writes() {
    let Some((app, driver)) = open_console().await else { return };
    let shop = connect(&app, ChannelKind::Lazada, json!({})).await;
    let variant = linked_variant(&app, &shop, "SKU-0001-1", 3).await;
    let read = app.create_token("console reader", "READ").await;
    // By keyboard alone: the token, Enter; then Tab reaches the navigation and Enter follows a link.
    driver.wait_for_element(&tid("signin-token")).await;
    driver.type_into(&tid("signin-token"), &format!("{read}{ENTER}")).await;
    driver.wait_for_element(&tid("screen-overview")).await;
    let mut focused = Vec::new();
    for _ in 0..30 {
        driver.press(TAB).await;
        let at =
            driver.script("var e = document.activeElement; return e ? e.getAttribute('data-testid') : null;").await;
        let at = at.as_str().unwrap_or_default().to_owned();
        let found = at == "nav-orders";
        focused.push(at);
        if found {
            break;
        }
    }
    assert_eq!(focused.last().map(String::as_str), Some("nav-orders"), "Tab reaches the navigation: {focused:?}");
    driver.press(ENTER).await;
    driver.wait_for_element(&tid("screen-orders")).await;
    driver.wait_for_element(&tid("viewer")).await;
    assert!(driver.text(&tid("viewer")).await.contains("READ"), "the viewer's scope is shown");

    let channel = shop.channel.as_str().expect("id");
    let variant = variant.as_str().expect("id");
    open(&driver, &format!("#/stock?variant={variant}&channel={channel}"), "stock").await;
    driver.wait_for_element(&tid("stock-explanation")).await;
    open(&driver, &format!("#/products?channel={channel}&view=bulk"), "products").await;
    open(&driver, "#/settings?tab=tokens", "settings").await;
    open(&driver, &format!("#/channels?id={channel}"), "channels").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    for write in [
        "adjust-submit",
        "bulk-confirm",
        "bulk-preview",
        "token-create",
        "channel-disconnect",
        "settings-save",
        "warehouse-new",
    ] {
        let found =
            driver.script_with("return document.querySelectorAll(arguments[0]).length;", json!([tid(write)])).await;
        assert_eq!(found, json!(0), "a READ token is not offered {write}");
    }
    assert_quiet_console(&driver, "the READ token's screens").await;
    drop(driver);
    app.cleanup().await;
}

/// Bulk linking: a preview first, then the run followed live from waiting to the end; the tabs' counts follow.
/// The app has no workers: the test runs each queued run once the browser has shown it waiting, so the live
/// change is seen whatever the machine's speed (a 20-product link run takes milliseconds).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_link_is_previewed_then_followed_live() {
    const SKUS: usize = 200;
    let Some((app, driver)) = open_console_with(Options { run_workers: false }).await else { return };
    let sim = crate::helpers::start_sim(ChannelKind::Lazada, 0);
    omnisync::sim::fixtures::seed_sim(&sim, SKUS, "B-");
    omnisync::sim::fixtures::seed_hub(&app.ctx.db, SKUS, "B-").await.expect("hub catalog");
    let credentials = omnisync::sim::control::connect_credentials_json(&sim.state);
    let connected = app
        .gql(
            "mutation($input: ChannelConnectInput!) { channelConnect(input: $input) { channel { id } userErrors { message } } }",
            json!({ "input": { "kind": "LAZADA", "name": "Lazada", "country": "VN", "baseUrl": sim.base_url, "credentials": credentials } }),
        )
        .await;
    let channel = connected["channelConnect"]["channel"]["id"].as_str().expect("a channel").to_owned();
    sign_in(&driver, &app.token).await;

    // The channel's listings first (the preview matches against them), followed live.
    open(&driver, &format!("#/products?channel={channel}&view=listings"), "products").await;
    driver.wait_for_element(&tid("listings-pull")).await;
    driver.click(&tid("listings-pull")).await;
    run_when_shown_waiting(&app, &driver).await;
    follow_progress(&driver, Duration::from_secs(60)).await;

    open(&driver, &format!("#/products?channel={channel}&view=bulk"), "products").await;
    driver.wait_for_element(&tid("bulk-mode-filter")).await;
    driver.click(&tid("bulk-mode-filter")).await;
    driver.click(&tid("bulk-preview")).await;
    driver.wait_for_element(&tid("bulk-preview-result")).await;
    let would_link = attribute(&driver, &tid("bulk-preview-result"), "data-would-link").await;
    assert_eq!(would_link.as_deref(), Some(SKUS.to_string().as_str()), "the preview counts every variant");
    screenshot(&driver, "bulk-link-preview").await;

    driver.click(&tid("bulk-confirm")).await;
    run_when_shown_waiting(&app, &driver).await;
    let seen = follow_progress(&driver, Duration::from_secs(60)).await;
    // The run counts products (ten variants each).
    let products = SKUS.div_ceil(omnisync::sim::fixtures::PER_PRODUCT) as u64;
    let (_, done, total) = seen.last().cloned().expect("a state");
    assert_eq!((done, total), (products, products), "every product processed: {seen:?}");
    screenshot(&driver, "bulk-link-done").await;

    open(&driver, &format!("#/products?channel={channel}&tab=synced"), "products").await;
    wait_for_attribute(&driver, &tid("tab-synced"), "data-count", &SKUS.to_string(), Duration::from_secs(20)).await;
    assert_quiet_console(&driver, "the bulk link").await;
    drop(driver);
    app.cleanup().await;
}

/// Waits until the console shows the run just started as waiting for a worker (CREATED), then runs the queued
/// runs (an app without workers): what the browser shows next can only have come live.
async fn run_when_shown_waiting(app: &TestApp, driver: &Driver) {
    wait_for_attribute(driver, &tid("run-progress"), "data-status", "CREATED", Duration::from_secs(20)).await;
    assert!(app.run_pending_jobs().await > 0, "the run shown waiting was queued");
}

/// A variant whose barcode is mistyped fails to link; fixed in the console, the hub links it again by itself and the
/// tabs follow live; "Đồng bộ lại" then runs and is followed to the end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_error_is_fixed_and_relinked() {
    let Some((app, driver)) = open_console().await else { return };
    let shop = connect(&app, ChannelKind::Lazada, json!({})).await;
    let product =
        app.create_product("Áo thun", json!([{ "sku": "AT-1", "barcode": "SKU-0002-X", "price": "1000" }])).await;
    let variant = product["variants"][0]["id"].clone();
    let run = app.link_everything(shop.channel_id).await;
    assert_eq!(run["status"], "COMPLETED", "{run}");
    // Connecting queued a link run of its own; the error rows it writes replace the ones shown otherwise.
    runs_settled(&app, shop.channel_id).await;
    sign_in(&driver, &app.token).await;

    let channel = shop.channel.as_str().expect("id");
    open(&driver, &format!("#/products?channel={channel}&tab=link-error"), "products").await;
    wait_for_attribute(&driver, &tid("tab-link-error"), "data-count", "1", Duration::from_secs(20)).await;
    driver.wait_for_element(&tid("link-error-message")).await;
    assert!(!driver.text(&tid("link-error-message")).await.is_empty(), "the error is said in words");
    screenshot(&driver, "link-error").await;

    driver.click(&tid("link-fix")).await;
    driver.wait_for_element(&tid("variant-barcode")).await;
    // A refused value is answered next to its field, and nothing is saved.
    driver.clear(&tid("variant-barcode")).await;
    driver.type_into(&tid("variant-barcode"), "SKU 0002").await;
    driver.click(&tid("variant-save")).await;
    driver.wait_for_element("[data-testid=\"field-error\"][data-field=\"input.barcode\"]").await;
    let kept = app.gql("query($v: ID!) { productVariant(id: $v) { barcode } }", json!({ "v": variant })).await;
    assert_eq!(kept["productVariant"]["barcode"], "SKU-0002-X", "a refused fix changes nothing");
    driver.clear(&tid("variant-barcode")).await;
    driver.type_into(&tid("variant-barcode"), "SKU-0002-1").await;
    driver.click(&tid("variant-save")).await;
    driver
        .wait_for(
            &format!("return !document.querySelector({});", json!(tid("variant-dialog"))),
            "the variant dialog closed after saving",
        )
        .await;
    let saved = app.gql("query($v: ID!) { productVariant(id: $v) { barcode } }", json!({ "v": variant })).await;
    assert_eq!(saved["productVariant"]["barcode"], "SKU-0002-1", "the fix was saved");

    // The hub matches an edited product again by itself; the tabs follow live, with no reload.
    wait_for_attribute(&driver, &tid("tab-link-error"), "data-count", "0", Duration::from_secs(30)).await;
    wait_for_attribute(&driver, &tid("tab-synced"), "data-count", "1", Duration::from_secs(30)).await;
    runs_settled(&app, shop.channel_id).await;
    // "Đồng bộ lại" on the synced link, followed to the end.
    open(&driver, &format!("#/products?channel={channel}&tab=synced"), "products").await;
    driver.wait_for_element(&format!("{} {}", tid("row-link"), tid("link-relink"))).await;
    driver.click(&format!("{} {}", tid("row-link"), tid("link-relink"))).await;
    follow_progress(&driver, Duration::from_secs(60)).await;
    wait_for_attribute(&driver, &tid("tab-synced"), "data-count", "1", Duration::from_secs(20)).await;
    assert_quiet_console(&driver, "fixing a link error").await;
    drop(driver);
    app.cleanup().await;
}

/// A stock adjustment made in the console reaches the marketplace, and the console explains the number.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stock_change_reaches_the_channel_with_its_explanation() {
    let Some((app, driver)) = open_console().await else { return };
    let shop = connect(&app, ChannelKind::Lazada, json!({})).await;
    let variant = linked_variant(&app, &shop, "SKU-0001-1", 10).await;
    sign_in(&driver, &app.token).await;

    let (channel, variant) = (shop.channel.as_str().expect("id"), variant.as_str().expect("id"));
    open(&driver, &format!("#/stock?variant={variant}&channel={channel}"), "stock").await;
    wait_for_attribute(&driver, &tid("stock-explanation"), "data-quantity", "10", Duration::from_secs(20)).await;
    driver.wait_for_element(&tid("adjust-delta")).await;
    driver.type_into(&tid("adjust-delta"), "5").await;
    driver.click(&tid("adjust-submit")).await;

    wait_for_attribute(&driver, &tid("stock-explanation"), "data-quantity", "15", Duration::from_secs(20)).await;
    // The push is seen by the console as the channel reports it, and the marketplace shows the number.
    wait_for_attribute(
        &driver,
        &format!("{} {}", tid("push-history"), tid("row-push")),
        "data-quantity",
        "15",
        Duration::from_secs(30),
    )
    .await;
    let on_marketplace = shop
        .sim
        .state
        .store()
        .products
        .iter()
        .flat_map(|p| p.skus.iter())
        .find(|s| s.seller_sku == "SKU-0001-1")
        .map(|s| s.quantity);
    assert_eq!(on_marketplace, Some(15), "the marketplace shows the new number");
    assert!(!driver.text(&tid("explain-summary")).await.is_empty(), "the number is explained");
    screenshot(&driver, "stock-explanation").await;
    assert_quiet_console(&driver, "the stock change").await;
    drop(driver);
    app.cleanup().await;
}

/// An order placed on the marketplace is made ready to ship from the console, and an export slip is created from
/// it and exported.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_is_made_ready_to_ship_and_its_slip_exported() {
    let Some((app, driver)) = open_console().await else { return };
    let shop: Shop = connect(&app, ChannelKind::Lazada, json!({})).await;
    linked_variant(&app, &shop, "SKU-0001-1", 10).await;
    shop.sim.state.create_order(&[("SKU-0001-1".to_owned(), 1)], None).await.expect("order");
    settle(&app, &shop).await;
    let order = the_order(&app, &shop).await;
    let order_id = order["id"].as_str().expect("id").to_owned();
    sign_in(&driver, &app.token).await;

    open(&driver, &format!("#/orders?id={order_id}"), "orders").await;
    driver.wait_for_element(&tid("order-detail")).await;
    driver.wait_for_element(&tid("order-ready")).await;
    driver.click(&tid("order-ready")).await;
    wait_for_attribute(&driver, &tid("order-detail"), "data-status", "READY_TO_SHIP", Duration::from_secs(20)).await;
    let on_marketplace =
        app.gql("query($o: ID!) { order(id: $o) { status channelStatus } }", json!({ "o": order_id })).await;
    assert_eq!(on_marketplace["order"]["status"], "READY_TO_SHIP", "{on_marketplace}");
    screenshot(&driver, "order-detail").await;

    open(&driver, "#/slips", "slips").await;
    let number = order["number"].as_str().or(order["externalId"].as_str()).expect("an order number").to_owned();
    driver.wait_for_element(&tid("slip-order-search")).await;
    driver.type_into(&tid("slip-order-search"), &number).await;
    driver.click(&tid("slip-order-find")).await;
    driver.wait_for_element(&tid("slip-order-pick")).await;
    driver.click(&tid("slip-order-pick")).await;
    driver.wait_for_element(&tid("slip-create")).await;
    driver.click(&tid("slip-create")).await;
    wait_for_attribute(&driver, &tid("row-slip"), "data-status", "WAITING", Duration::from_secs(20)).await;
    driver.click(&format!("{} {}", tid("row-slip"), tid("slip-export"))).await;
    wait_for_attribute(&driver, &tid("row-slip"), "data-status", "EXPORTED", Duration::from_secs(20)).await;
    let slips = app.gql("{ exportSlips(first: 5) { edges { node { status } } } }", json!({})).await;
    assert_eq!(slips["exportSlips"]["edges"][0]["node"]["status"], "EXPORTED", "{slips}");
    screenshot(&driver, "slips").await;
    assert_quiet_console(&driver, "the order and its slip").await;
    drop(driver);
    app.cleanup().await;
}

/// Connecting a channel by OAuth: the console sends the browser to the marketplace's consent page, which sends it
/// to the hub's callback, which sends it back to the console's channel page saying it is connected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_is_connected_through_the_marketplace_consent_page() {
    let Some((app, driver)) = open_console().await else { return };
    let sim = crate::helpers::start_sim(ChannelKind::Lazada, 1);
    sign_in(&driver, &app.token).await;
    open(&driver, "#/channels?connect=1", "channels").await;
    driver.wait_for_element(&tid("connect-kind")).await;
    driver.click(&format!("{} option[value=\"LAZADA\"]", tid("connect-kind"))).await;
    driver.wait_for_element(&tid("connect-appKey")).await;
    driver.type_into(&tid("connect-name"), "Lazada chính hãng").await;
    driver.type_into(&tid("connect-base-url"), &sim.base_url).await;
    let c = &sim.state.credentials;
    driver.type_into(&tid("connect-appKey"), c.app_key.as_deref().expect("an app key")).await;
    driver.type_into(&tid("connect-appSecret"), c.app_secret.as_deref().expect("an app secret")).await;
    driver.click(&tid("connect-submit")).await;

    driver.wait_for_element(&tid("oauth-connected")).await;
    let at = driver.script("return location.href;").await;
    assert!(
        at.as_str().unwrap_or_default().starts_with(&format!("{}/#/channels?", app.address)),
        "back in the console: {at}"
    );
    let channels = app.gql("{ channels(first: 5) { nodes { name status } } }", json!({})).await;
    assert_eq!(channels["channels"]["nodes"][0]["status"], "CONNECTED", "{channels}");
    assert_eq!(channels["channels"]["nodes"][0]["name"], "Lazada chính hãng", "{channels}");
    assert_quiet_console(&driver, "the OAuth connection").await;
    drop(driver);
    app.cleanup().await;
}
