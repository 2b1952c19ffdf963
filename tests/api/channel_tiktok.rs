//! TikTok Shop connector against its simulator, over real HTTP.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{Duration, Utc};
use omnisync::channels::tiktok::{self, MAX_SKUS_PER_UPDATE_CALL, codes, sign};
use omnisync::channels::{
    ApiClient, ChannelKind, Connector, ConnectorConfig, ConnectorError, Credentials, NoTokenStore, RetryPolicy,
    TokenStore,
};
use omnisync::domain::channel::{EventKind, OrderAction, OrderTimeField, StockPriceUpdate, WebhookRequest};
use omnisync::sim::tiktok::{TiktokSim, WEBHOOK_CANCELLED_SPELLING};
use omnisync::sim::{Fault, MarketplaceSim, SimHandle};
use rand::SeedableRng;
use serde_json::Value;

use crate::helpers::{RecordingTokenStore, connector_for, start_sim};

/// A TikTok simulator with `products` seeded products. Installs the TLS provider first: the simulator's own
/// reqwest client (webhook delivery) needs it and `helpers::start_sim` does not install it.
fn start_tiktok(products: usize) -> SimHandle {
    omnisync::startup::install_tls_provider();
    start_sim(ChannelKind::Tiktok, products)
}

/// A connector to `base_url` with the given credentials (for cases `connector_for` does not cover).
fn connector_with(base_url: &str, credentials: Credentials, tokens: Arc<dyn TokenStore>) -> Arc<dyn Connector> {
    omnisync::startup::install_tls_provider();
    let http = ApiClient::new("tiktok", crate::helpers::hub_limiter(ChannelKind::Tiktok), RetryPolicy::fast())
        .expect("client");
    omnisync::channels::connector(config_with(base_url, credentials, tokens, http)).expect("connector")
}

fn config_with(
    base_url: &str,
    credentials: Credentials,
    tokens: Arc<dyn TokenStore>,
    http: ApiClient,
) -> ConnectorConfig {
    ConnectorConfig {
        kind: ChannelKind::Tiktok,
        base_url: base_url.to_owned(),
        country: "VN".into(),
        credentials,
        http,
        tokens,
    }
}

fn secret(sim: &SimHandle) -> String {
    sim.state.credentials.app_secret.clone().expect("app secret")
}

fn off_by_one_character(signature: &str) -> String {
    let mut chars: Vec<char> = signature.chars().collect();
    let last = chars.len() - 1;
    chars[last] = if chars[last] == 'a' { 'b' } else { 'a' };
    chars.into_iter().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_walk_over_a_thousand_listings_returns_every_sku_exactly_once() {
    let sim = start_tiktok(500);
    {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        sim.state.store().add_product(&mut rng, "Thêm", "EXTRA-", 1, 3);
    }
    let expected: HashMap<String, (i64, i64)> = sim
        .state
        .store()
        .products
        .iter()
        .flat_map(|p| p.skus.iter().map(|s| (s.seller_sku.clone(), (s.price, s.quantity))))
        .collect();
    let details: HashMap<String, (Vec<(String, String)>, i64)> = sim
        .state
        .store()
        .products
        .iter()
        .flat_map(|p| p.skus.iter().map(|s| (s.seller_sku.clone(), (s.options.clone(), s.list_price))))
        .collect();
    assert!(details.values().any(|(options, _)| options.len() == 2), "some SKUs have options");
    assert!(expected.len() >= 1000, "seeded {} SKUs", expected.len());

    let listings = connector_for(&sim, Arc::new(NoTokenStore)).list_listings().await.expect("listings");

    assert_eq!(listings.len(), expected.len(), "every SKU once");
    let seen: HashSet<&str> = listings.iter().filter_map(|l| l.seller_sku.as_deref()).collect();
    assert_eq!(seen.len(), expected.len(), "no SKU twice");
    for listing in &listings {
        let seller_sku = listing.seller_sku.as_deref().expect("seller_sku mapped");
        let (price, quantity) = expected[seller_sku];
        assert_eq!(
            (listing.price_minor, listing.quantity),
            (Some(price), Some(quantity)),
            "{seller_sku}: VND prices in whole dong"
        );
        assert_eq!(listing.status.as_deref(), Some("ACTIVATE"));
        assert_eq!(listing.raw["seller_sku"], seller_sku, "the SKU's own JSON is kept");
        // Search Products has neither: they come from each product's detail (Get Product).
        let (options, list_price) = &details[seller_sku];
        assert_eq!(&listing.options, options, "{seller_sku}: options from sales_attributes");
        assert_eq!(listing.list_price_minor, Some(*list_price), "{seller_sku}: list price");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stock_and_price_update_of_500_skus_takes_the_minimum_number_of_calls() {
    let sim = start_tiktok(200);
    {
        // One product with more SKUs than a call takes, so the split inside a product is exercised too.
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        sim.state.store().add_product(&mut rng, "Nhiều mẫu", "BIG-", 1, 150);
    }
    let updates: Vec<StockPriceUpdate> = {
        let store = sim.state.store();
        let big = store.products.last().expect("big product");
        let skus = big
            .skus
            .iter()
            .map(|s| (big.id, s))
            .chain(store.products.iter().flat_map(|p| p.skus.iter().map(move |s| (p.id, s))));
        skus.take(500)
            .enumerate()
            .map(|(i, (product_id, sku))| StockPriceUpdate {
                external_product_id: product_id.to_string(),
                external_sku_id: sku.id.to_string(),
                seller_sku: Some(sku.seller_sku.clone()),
                quantity: Some(i as i64 % 7),
                price_minor: Some(100_000 + i as i64 * 1000),
                sale: None,
            })
            .collect()
    };
    assert_eq!(updates.len(), 500);
    // One product per call and one field per endpoint: per product, ⌈n / max⌉ price calls + as many inventory calls.
    let mut skus_per_product: HashMap<&str, usize> = HashMap::new();
    for update in &updates {
        *skus_per_product.entry(update.external_product_id.as_str()).or_default() += 1;
    }
    let minimum: usize = skus_per_product.values().map(|n| 2 * n.div_ceil(MAX_SKUS_PER_UPDATE_CALL)).sum();
    assert_eq!(minimum, tiktok::minimum_update_calls(&updates));

    let report = connector_for(&sim, Arc::new(NoTokenStore)).update_stock_price(&updates).await.expect("update");

    assert_eq!(report.calls, minimum, "{} products, one of 150 SKUs", skus_per_product.len());
    assert!(report.results.iter().all(|r| r.ok), "{:?}", report.results.iter().find(|r| !r.ok));
    let store = sim.state.store();
    for update in &updates {
        let sku_id: u64 = update.external_sku_id.parse().expect("numeric id");
        let sku = store.products.iter().flat_map(|p| p.skus.iter()).find(|s| s.id == sku_id).expect("sku");
        assert_eq!((Some(sku.quantity), Some(sku.price)), (update.quantity, update.price_minor), "{}", sku.seller_sku);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_refused_for_one_sku_reports_that_sku_and_applies_the_others() {
    let sim = start_tiktok(3);
    let (product_id, skus) = {
        let store = sim.state.store();
        let product = &store.products[2];
        (product.id.to_string(), product.skus.iter().map(|s| s.id.to_string()).collect::<Vec<_>>())
    };
    let update = |sku: &str, quantity| StockPriceUpdate {
        external_product_id: product_id.clone(),
        external_sku_id: sku.into(),
        seller_sku: None,
        quantity: Some(quantity),
        price_minor: None,
        sale: None,
    };
    let updates = vec![update(&skus[0], 12), update(&skus[1], 100_000), update("999999", 1)];

    let report = connector_for(&sim, Arc::new(NoTokenStore)).update_stock_price(&updates).await.expect("update");

    assert_eq!(report.calls, 1);
    assert!(report.results[0].ok);
    assert!(
        !report.results[1].ok
            && report.results[1].error.as_deref().is_some_and(|e| e.contains(&codes::SKU_CHECK_FAILED.to_string()))
    );
    assert!(!report.results[2].ok, "a SKU of another product is refused");
    let store = sim.state.store();
    assert_eq!(store.products[2].skus[0].quantity, 12);
    assert_ne!(store.products[2].skus[1].quantity, 100_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_walk_across_90_days_finds_every_order_once_with_its_lines() {
    let sim = start_tiktok(20);
    let now = Utc::now();
    let start = now - Duration::days(90);
    let mut created = HashMap::new();
    for i in 0..230i64 {
        let at = start + Duration::minutes(i * 90 * 24 * 60 / 230) + Duration::seconds(30);
        let lines =
            vec![(format!("SKU-{:04}-1", 1 + i % 20), 1 + i % 3), (format!("SKU-{:04}-1", 1 + (i + 5) % 20), 1)];
        let order = sim.state.create_order(&lines, Some(at)).await.expect("order");
        created.insert(order.id.to_string(), order);
    }
    for days_ago in [95, 120] {
        sim.state
            .create_order(&[("SKU-0001-1".into(), 1)], Some(now - Duration::days(days_ago)))
            .await
            .expect("older order");
    }
    let connector = connector_for(&sim, Arc::new(NoTokenStore));

    let found = connector.list_orders(start, now + Duration::seconds(1), OrderTimeField::Created).await.expect("walk");

    assert_eq!(found.len(), created.len(), "every order of the range, none outside it");
    let ids: HashSet<&str> = found.iter().map(|o| o.external_id.as_str()).collect();
    assert_eq!(ids.len(), found.len(), "each once");
    assert!(ids.iter().all(|id| created.contains_key(*id)));
    assert!(found.iter().all(|o| o.status_raw.as_deref() == Some("AWAITING_SHIPMENT")));
    let by_update = connector
        .list_orders(start, now + Duration::seconds(1), OrderTimeField::Updated)
        .await
        .expect("walk by update time");
    assert_eq!(by_update.len(), created.len());

    let wanted: Vec<String> = found.iter().map(|o| o.external_id.clone()).collect();
    let orders = connector.get_orders(&wanted).await.expect("details");

    assert_eq!(orders.len(), wanted.len());
    for order in &orders {
        let sim_order = &created[&order.external_id];
        assert_eq!(order.status_raw, "AWAITING_SHIPMENT");
        assert_eq!(order.created_at.timestamp(), sim_order.created_at.timestamp());
        assert_eq!(order.total_minor, sim_order.total());
        assert_eq!(order.currency, "VND");
        let mut lines: Vec<(String, i64, i64)> = order
            .lines
            .iter()
            .map(|l| (l.seller_sku.clone().expect("seller_sku"), l.quantity, l.price_minor))
            .collect();
        let mut expected: Vec<(String, i64, i64)> =
            sim_order.lines.iter().map(|l| (l.seller_sku.clone(), l.quantity, l.price)).collect();
        lines.sort();
        expected.sort();
        assert_eq!(lines, expected, "unit line items grouped back into lines with quantities");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signature_off_by_one_character_is_refused_with_106001_and_the_right_one_passes() {
    let sim = start_tiktok(3);
    let credentials = sim.state.credentials.clone();
    let app_key = credentials.app_key.clone().expect("app key");
    let token = credentials.access_token.clone().expect("token");
    let client = reqwest::Client::new();
    let get_shops = |signature: String, timestamp: String| {
        client
            .get(format!(
                "{}/authorization/202309/shops?app_key={app_key}&timestamp={timestamp}&sign={signature}",
                sim.base_url
            ))
            .header("x-tts-access-token", &token)
            .header("content-type", "application/json")
            .send()
    };
    let timestamp = Utc::now().timestamp().to_string();
    let good = sign::request_sign(
        &secret(&sim),
        "/authorization/202309/shops",
        &[("app_key", &app_key), ("timestamp", &timestamp)],
        None,
    );

    let refused: Value =
        get_shops(off_by_one_character(&good), timestamp.clone()).await.expect("sent").json().await.expect("JSON");
    assert_eq!(refused["code"], codes::INVALID_SIGN);
    assert_eq!(refused["message"], "Invalid credentials. The `sign` query parameter is invalid.");
    assert!(refused["request_id"].as_str().is_some_and(|id| !id.is_empty()));

    let accepted: Value = get_shops(good, timestamp).await.expect("sent").json().await.expect("JSON");
    assert_eq!(accepted["code"], 0, "{accepted}");
    assert_eq!(accepted["data"]["shops"][0]["cipher"].as_str(), credentials.shop_cipher.as_deref());

    // A correct signature over an old timestamp is refused too (window: 5 minutes back).
    let old = (Utc::now().timestamp() - 400).to_string();
    let old_sign = sign::request_sign(
        &secret(&sim),
        "/authorization/202309/shops",
        &[("app_key", &app_key), ("timestamp", &old)],
        None,
    );
    let stale: Value = get_shops(old_sign, old).await.expect("sent").json().await.expect("JSON");
    assert_eq!(stale["code"], codes::INVALID_CREDENTIALS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_body_is_signed_so_one_changed_byte_is_refused() {
    let sim = start_tiktok(3);
    let credentials = sim.state.credentials.clone();
    let (app_key, cipher) =
        (credentials.app_key.clone().expect("key"), credentials.shop_cipher.clone().expect("cipher"));
    let path = "/product/202309/products/search";
    let timestamp = Utc::now().timestamp().to_string();
    let body = r#"{"status":"ALL"}"#;
    let params = [
        ("app_key", app_key.as_str()),
        ("shop_cipher", cipher.as_str()),
        ("page_size", "10"),
        ("timestamp", timestamp.as_str()),
    ];
    let signature = sign::request_sign(&secret(&sim), path, &params, Some(body.as_bytes()));
    let search = |body: &'static str| {
        reqwest::Client::new()
            .post(format!(
                "{}{path}?app_key={app_key}&shop_cipher={cipher}&page_size=10&timestamp={timestamp}&sign={signature}",
                sim.base_url
            ))
            .header("x-tts-access-token", credentials.access_token.clone().expect("token"))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };

    let tampered: Value = search(r#"{"status":"ALl"}"#).await.expect("sent").json().await.expect("JSON");
    assert_eq!(tampered["code"], codes::INVALID_SIGN);
    let intact: Value = search(body).await.expect("sent").json().await.expect("JSON");
    assert_eq!(intact["code"], 0);
    assert_eq!(intact["data"]["products"].as_array().map(Vec::len), Some(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_is_refreshed_saved_and_the_call_retried() {
    let sim = start_tiktok(3);
    let tokens = Arc::new(RecordingTokenStore::default());
    let connector = connector_for(&sim, tokens.clone());
    let before = connector.current_credentials().await;
    sim.state.store().tokens.expire_access_tokens();

    let shop = connector.shop_identity().await.expect("the call succeeds after a refresh");

    assert_eq!(Some(shop.external_id), sim.state.credentials.shop_id);
    let saved = tokens.saved.lock().expect("lock").clone();
    assert_eq!(saved.len(), 1, "one refresh, saved once");
    assert_ne!(saved[0].access_token, before.access_token);
    assert!(
        saved[0].access_token_expires_at.is_some_and(|at| at > Utc::now() + Duration::days(6)),
        "seven days, from an absolute expiry"
    );
    assert_eq!(connector.current_credentials().await, saved[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_about_to_expire_is_refreshed_before_the_call() {
    let sim = start_tiktok(3);
    let tokens = Arc::new(RecordingTokenStore::default());
    let mut credentials = sim.state.credentials.clone();
    credentials.access_token_expires_at = Some(Utc::now() + Duration::minutes(2));
    let connector = connector_with(&sim.base_url, credentials.clone(), tokens.clone());

    connector.shop_identity().await.expect("call");

    let saved = tokens.saved.lock().expect("lock").clone();
    assert_eq!(saved.len(), 1);
    assert_ne!(saved[0].access_token, credentials.access_token);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_shop_cipher_is_looked_up_and_saved() {
    let sim = start_tiktok(2);
    let tokens = Arc::new(RecordingTokenStore::default());
    let credentials = Credentials { shop_cipher: None, shop_id: None, ..sim.state.credentials.clone() };
    let connector = connector_with(&sim.base_url, credentials, tokens.clone());

    let listings = connector.list_listings().await.expect("listings");

    assert_eq!(listings.len(), 3);
    let saved = tokens.saved.lock().expect("lock").clone();
    assert_eq!(saved.last().and_then(|c| c.shop_cipher.clone()), sim.state.credentials.shop_cipher);
    let shop = connector.shop_identity().await.expect("identity");
    assert_eq!((Some(shop.external_id), shop.country.as_deref()), (sim.state.credentials.shop_id.clone(), Some("VN")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authorization_code_is_exchanged_once_for_working_tokens() {
    let sim = start_tiktok(2);
    let code = sim.state.store().tokens.issue_code();
    let app_only = Credentials {
        access_token: None,
        refresh_token: None,
        access_token_expires_at: None,
        ..sim.state.credentials.clone()
    };
    omnisync::startup::install_tls_provider();
    let http = ApiClient::new("tiktok", crate::helpers::hub_limiter(ChannelKind::Tiktok), RetryPolicy::fast())
        .expect("client");
    let config = config_with(&sim.base_url, app_only, Arc::new(NoTokenStore), http);

    let credentials = tiktok::exchange_authorization_code(&config, &code).await.expect("exchanged");

    let connector = connector_with(&sim.base_url, credentials, Arc::new(NoTokenStore));
    connector.shop_identity().await.expect("the new token works");
    let again = tiktok::exchange_authorization_code(&config, &code).await;
    assert!(
        matches!(again, Err(ConnectorError::Auth { ref code, .. }) if code == &codes::INVALID_GRANT.to_string()),
        "{again:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limit_answer_is_waited_out_and_the_call_succeeds() {
    let sim = start_tiktok(2);
    let connector = connector_for(&sim, Arc::new(NoTokenStore));
    let limited = omnisync::sim::marketplace(ChannelKind::Tiktok).rate_limited();
    assert_eq!(limited.status().as_u16(), 429);

    sim.state.inject(Fault::RateLimit, 1);
    assert_eq!(connector.list_listings().await.expect("after one 429").len(), 3);

    sim.state.inject(Fault::RateLimit, RetryPolicy::fast().max_attempts as usize);
    assert!(
        matches!(connector.list_listings().await, Err(ConnectorError::RateLimited { .. })),
        "gives up after the retries"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_are_retried_until_the_call_succeeds() {
    let sim = start_tiktok(2);
    let connector = connector_for(&sim, Arc::new(NoTokenStore));
    sim.state.inject(Fault::ServerError, 2);

    let shop = connector.shop_identity().await.expect("third attempt succeeds");

    assert_eq!(shop.country.as_deref(), Some("VN"));
}

/// A local server that answers every request with an HTML page (a proxy's maintenance page, say).
async fn html_server() -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut chunk = [0u8; 4096];
                // Read the whole request (headers + Content-Length body) before answering.
                loop {
                    let Ok(n) = socket.read(&mut chunk).await else { return };
                    if n == 0 {
                        return;
                    }
                    request.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&request).to_string();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length = text[..end]
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                            })
                            .unwrap_or(0);
                        if request.len() >= end + 4 + length {
                            break;
                        }
                    }
                }
                let body = "<html><body>Down for maintenance</body></html>";
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(answer.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    format!("http://{address}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unparseable_answer_is_a_parse_error_with_the_path_and_body() {
    let sim = start_tiktok(1);
    let base_url = html_server().await;
    let connector = connector_with(&base_url, sim.state.credentials.clone(), Arc::new(NoTokenStore));

    let result = connector.list_listings().await;

    match result {
        Err(ConnectorError::Parse { path, body, .. }) => {
            assert_eq!(path, "/product/202309/products/search");
            assert!(body.contains("maintenance"));
        }
        other => panic!("expected a parse error, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_built_by_the_simulator_verifies_and_one_changed_byte_is_refused() {
    let sim = start_tiktok(2);
    let connector = connector_for(&sim, Arc::new(NoTokenStore));
    let order = sim.state.create_order(&[("SKU-0001-1".into(), 2)], None).await.expect("order");
    let push = TiktokSim.order_webhook(&sim.state, &order, true).expect("TikTok pushes order changes");
    let request = WebhookRequest {
        url: "https://hub.example/webhooks/tiktok".into(),
        headers: push.headers.clone(),
        body: push.body.clone(),
    };

    let events = connector.verify_webhook(&request).expect("verifies");

    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(event.kind, EventKind::OrderStatusChanged);
    assert_eq!(event.external_order_id, Some(order.id.to_string()));
    assert_eq!(event.status_raw.as_deref(), Some("AWAITING_SHIPMENT"));
    assert!(event.dedup_key.starts_with("tiktok:"));
    assert_eq!(
        connector.verify_webhook(&request).expect("again")[0].dedup_key,
        event.dedup_key,
        "the same push dedups"
    );

    let mut tampered = request.clone();
    let position = tampered.body.len() - 3;
    tampered.body[position] ^= 0x01;
    assert!(matches!(connector.verify_webhook(&tampered), Err(ConnectorError::BadWebhook(_))));
    let unsigned =
        WebhookRequest { headers: vec![("Content-Type".into(), "application/json".into())], ..request.clone() };
    assert!(matches!(connector.verify_webhook(&unsigned), Err(ConnectorError::BadWebhook(_))));

    let cancelled = sim.state.set_order_status(order.id, "CANCELLED").await.expect("cancelled");
    let push = TiktokSim.order_webhook(&sim.state, &cancelled, false).expect("push");
    let events = connector
        .verify_webhook(&WebhookRequest { url: request.url.clone(), headers: push.headers, body: push.body })
        .expect("verifies");
    assert_eq!(events[0].status_raw.as_deref(), Some(WEBHOOK_CANCELLED_SPELLING), "kept verbatim, not mapped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_actions_move_the_order_in_the_simulator() {
    let sim = start_tiktok(3);
    let connector = connector_for(&sim, Arc::new(NoTokenStore));
    let shipped = sim.state.create_order(&[("SKU-0002-1".into(), 1)], None).await.expect("order");
    let cancelled = sim.state.create_order(&[("SKU-0003-2".into(), 1)], None).await.expect("order");
    let unpaid = sim.state.create_order(&[("SKU-0001-1".into(), 1)], None).await.expect("order");
    sim.state.set_order_status(unpaid.id, "UNPAID").await.expect("unpaid");
    let status_of = |id: u64| sim.state.store().order(id).map(|o| o.status.clone());

    let outcome = connector.order_action(&shipped.id.to_string(), &OrderAction::ReadyToShip).await.expect("ship");
    assert_eq!(outcome.status_raw.as_deref(), Some("AWAITING_COLLECTION"));
    assert_eq!(status_of(shipped.id).as_deref(), Some("AWAITING_COLLECTION"));
    let twice = connector.order_action(&shipped.id.to_string(), &OrderAction::ReadyToShip).await;
    assert!(
        matches!(twice, Err(ConnectorError::Api { ref code, .. }) if code == &codes::ORDER_STATUS_NOT_ALLOWED.to_string()),
        "{twice:?}"
    );

    let label = connector.order_action(&shipped.id.to_string(), &OrderAction::PrintLabel).await.expect("label");
    assert!(label.message.is_some_and(|url| url.ends_with(".pdf")));

    let late_cancel = connector
        .order_action(
            &shipped.id.to_string(),
            &OrderAction::Cancel { reason: "seller_cancel_reason_out_of_stock".into() },
        )
        .await;
    assert!(
        matches!(late_cancel, Err(ConnectorError::Api { ref code, .. }) if code == &codes::ORDER_STATUS_NOT_ALLOWED.to_string())
    );

    let outcome = connector
        .order_action(
            &cancelled.id.to_string(),
            &OrderAction::Cancel { reason: "seller_cancel_reason_out_of_stock".into() },
        )
        .await
        .expect("cancel");
    assert_eq!(outcome.status_raw.as_deref(), Some("CANCELLED"));
    let store_order = sim.state.store().order(cancelled.id).cloned().expect("order");
    assert_eq!(
        (store_order.status.as_str(), store_order.cancel_reason.as_deref()),
        ("CANCELLED", Some("seller_cancel_reason_out_of_stock"))
    );

    let no_package = connector.order_action(&unpaid.id.to_string(), &OrderAction::ReadyToShip).await;
    assert!(matches!(no_package, Err(ConnectorError::Api { .. })), "an unpaid order has no package yet");
    assert!(matches!(
        connector.order_action(&unpaid.id.to_string(), &OrderAction::AwaitPickup).await,
        Err(ConnectorError::Unsupported(_))
    ));
}
