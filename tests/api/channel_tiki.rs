//! tiki connector against its simulator, over real HTTP — both credential styles: the legacy `tiki-api` key
//! (v1) and OAuth2 client credentials (v2).

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{Duration, DurationRound, Utc};
use omnisync::channels::tiki::wire;
use omnisync::channels::{
    ApiClient, ChannelKind, Connector, ConnectorConfig, ConnectorError, Credentials, NoTokenStore, RetryPolicy,
    TokenStore, connector,
};
use omnisync::domain::channel::{EventKind, OrderAction, OrderTimeField, StockPriceUpdate, WebhookRequest};
use omnisync::sim::{Fault, SimHandle};
use serde_json::{Value, json};

use crate::helpers::{RecordingTokenStore, connector_for, start_sim};

/// A Tiki simulator (the TLS provider installed first: the simulator builds an HTTP client).
fn tiki_sim(seed_products: usize) -> SimHandle {
    omnisync::startup::install_tls_provider();
    start_sim(ChannelKind::Tiki, seed_products)
}

/// The simulator and a v2 (OAuth2) connector: its credentials carry both styles, and client id/secret win.
fn tiki(seed_products: usize) -> (SimHandle, Arc<dyn Connector>) {
    let sim = tiki_sim(seed_products);
    let connector = connector_for(&sim, Arc::new(NoTokenStore));
    (sim, connector)
}

fn connector_with(base_url: &str, credentials: Credentials, tokens: Arc<dyn TokenStore>) -> Arc<dyn Connector> {
    let http =
        ApiClient::new("tiki", crate::helpers::hub_limiter(ChannelKind::Tiki), RetryPolicy::fast()).expect("client");
    connector(ConnectorConfig {
        kind: ChannelKind::Tiki,
        base_url: base_url.to_owned(),
        country: "VN".into(),
        credentials,
        http,
        tokens,
    })
    .expect("connector")
}

/// A legacy connector: the API key only.
fn v1_connector(sim: &SimHandle) -> Arc<dyn Connector> {
    let credentials = Credentials { api_key: sim.state.credentials.api_key.clone(), ..Credentials::default() };
    connector_with(&sim.base_url, credentials, Arc::new(NoTokenStore))
}

fn first_sku(sim: &SimHandle) -> String {
    sim.state.store().products[0].skus[0].seller_sku.clone()
}

/// One character changed (the last one).
fn off_by_one(text: &str) -> String {
    let mut changed = text.to_owned();
    let last = changed.pop().expect("non-empty");
    changed.push(if last == '1' { '2' } else { '1' });
    changed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_walk_over_a_thousand_listings_returns_every_sku_exactly_once() {
    use rand::SeedableRng;
    let (sim, tiki) = tiki(500);
    sim.state.store().add_product(&mut rand::rngs::StdRng::seed_from_u64(1), "Thêm", "EXTRA-", 1, 1);
    let expected: HashSet<String> =
        sim.state.store().products.iter().flat_map(|p| p.skus.iter().map(|s| s.seller_sku.clone())).collect();
    assert_eq!(expected.len(), 1000);

    for connector in [tiki, v1_connector(&sim)] {
        let listings = connector.list_listings().await.expect("listings");
        assert_eq!(listings.len(), 1000, "every SKU once");
        let seen: HashSet<String> = listings.iter().map(|l| l.seller_sku.clone().expect("original_sku")).collect();
        assert_eq!(seen, expected);

        let store = sim.state.store();
        let (product, sku) = store.sku_by_seller_sku("SKU-0003-2").expect("seeded");
        let listing = listings.iter().find(|l| l.seller_sku.as_deref() == Some("SKU-0003-2")).expect("listed");
        assert_eq!(listing.external_product_id, sku.id.to_string());
        assert_eq!(listing.price_minor, Some(sku.price), "VND has no decimals: đồng are minor units");
        assert_eq!(listing.list_price_minor, Some(sku.list_price));
        assert_eq!(listing.quantity, Some(sku.quantity));
        assert_eq!(listing.status.as_deref(), Some("active"));
        assert_eq!(listing.title, product.title);
        assert_eq!(listing.options, sku.options);
        assert_eq!(listing.raw["original_sku"], "SKU-0003-2");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stock_and_price_update_of_500_skus_takes_the_fewest_batch_calls() {
    let (sim, tiki) = tiki(300);
    let targets: Vec<(u64, String)> = sim
        .state
        .store()
        .products
        .iter()
        .flat_map(|p| p.skus.iter().map(|s| (s.id, s.seller_sku.clone())))
        .take(500)
        .collect();
    assert_eq!(targets.len(), 500);
    let updates: Vec<StockPriceUpdate> = targets
        .iter()
        .enumerate()
        .map(|(i, (id, code))| StockPriceUpdate {
            external_product_id: id.to_string(),
            external_sku_id: id.to_string(),
            seller_sku: Some(code.clone()),
            quantity: Some(i as i64 % 50),
            price_minor: Some(100_000 + i as i64 * 1000),
            sale: None,
        })
        .collect();

    let report = tiki.update_stock_price(&updates).await.expect("updated");

    assert_eq!(
        report.calls,
        500usize.div_ceil(wire::MAX_UPDATE_SKUS_BATCH),
        "batches of {}",
        wire::MAX_UPDATE_SKUS_BATCH
    );
    assert_eq!(report.calls, 10);
    assert!(report.results.iter().all(|r| r.ok), "{:?}", report.results.iter().find(|r| !r.ok));
    assert_eq!(report.results.len(), 500);
    let store = sim.state.store();
    for (i, (_, code)) in targets.iter().enumerate() {
        let (_, sku) = store.sku_by_seller_sku(code).expect("sku");
        assert_eq!((sku.quantity, sku.price), (i as i64 % 50, 100_000 + i as i64 * 1000), "{code}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_legacy_api_key_updates_one_sku_per_call_and_reports_refusals_per_sku() {
    let sim = tiki_sim(5);
    let legacy = v1_connector(&sim);
    let code = first_sku(&sim);
    let updates = vec![
        StockPriceUpdate {
            external_product_id: "1".into(),
            external_sku_id: "a".into(),
            seller_sku: Some(code.clone()),
            quantity: Some(7),
            price_minor: Some(123_000),
            sale: None,
        },
        StockPriceUpdate {
            external_product_id: "2".into(),
            external_sku_id: "b".into(),
            seller_sku: Some("NO-SUCH-SKU".into()),
            quantity: Some(1),
            price_minor: None,
            sale: None,
        },
    ];

    let report = legacy.update_stock_price(&updates).await.expect("sent");

    assert_eq!(report.calls, 2, "the legacy API takes one SKU per call");
    assert!(report.results[0].ok);
    assert!(
        !report.results[1].ok && report.results[1].error.as_deref().is_some_and(|e| e.starts_with("404")),
        "{:?}",
        report.results[1]
    );
    let store = sim.state.store();
    let (_, sku) = store.sku_by_seller_sku(&code).expect("sku");
    assert_eq!((sku.quantity, sku.price), (7, 123_000));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_walk_across_90_days_finds_every_order_once_with_its_lines() {
    let (sim, tiki) = tiki(20);
    let now = Utc::now();
    let from = (now - Duration::days(90)).duration_trunc(Duration::seconds(1)).expect("trunc");
    let mut created = Vec::new();
    for day in 0..30 {
        let sku = format!("SKU-{:04}-1", day % 20 + 1);
        let at = from + Duration::days(day * 3) + Duration::hours(5);
        created.push(
            sim.state.create_order(&[(sku, 1 + day % 3), ("SKU-0002-2".into(), 1)], Some(at)).await.expect("order"),
        );
    }
    // On and around the connector's window boundaries (30 days apart, whole seconds).
    for offset in [
        Duration::days(30) - Duration::seconds(1),
        Duration::days(30),
        Duration::days(30) + Duration::milliseconds(500),
        Duration::days(60),
    ] {
        created.push(sim.state.create_order(&[("SKU-0001-1".into(), 1)], Some(from + offset)).await.expect("order"));
    }
    // Outside the range: never returned.
    sim.state.create_order(&[("SKU-0001-1".into(), 1)], Some(from - Duration::seconds(1))).await.expect("order");
    sim.state.create_order(&[("SKU-0001-1".into(), 1)], Some(now + Duration::seconds(5))).await.expect("order");
    let expected: HashSet<String> = created.iter().map(|o| o.id.to_string()).collect();

    for connector in [tiki, v1_connector(&sim)] {
        let found = connector.list_orders(from, now, OrderTimeField::Created).await.expect("orders");
        let ids: Vec<String> = found.iter().map(|o| o.external_id.clone()).collect();
        assert_eq!(ids.len(), expected.len(), "each order exactly once");
        assert_eq!(ids.iter().cloned().collect::<HashSet<_>>(), expected);
        assert!(found.iter().all(|o| o.status_raw.as_deref() == Some("queueing")));

        let orders = connector.get_orders(&ids).await.expect("details");
        assert_eq!(orders.len(), ids.len());
        let first = orders.iter().find(|o| o.external_id == created[0].id.to_string()).expect("first order");
        assert_eq!(first.status_raw, "queueing");
        assert_eq!(first.created_at.timestamp(), created[0].created_at.timestamp());
        assert_eq!(first.lines.len(), 2);
        assert_eq!(first.lines[0].seller_sku.as_deref(), Some("SKU-0001-1"));
        assert_eq!(first.lines[0].quantity, 1);
        assert_eq!(first.lines[0].price_minor, created[0].lines[0].price);
        assert_eq!(first.total_minor, created[0].total());
        assert_eq!(first.shipping_address.province.as_deref(), Some("Hồ Chí Minh"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_or_token_off_by_one_character_is_refused_with_tikis_own_error() {
    let sim = tiki_sim(1);
    let client = reqwest::Client::new();
    let key = sim.state.credentials.api_key.clone().expect("api key");
    let token = sim.state.credentials.access_token.clone().expect("token");
    let v1 = format!("{}/integration/v1/sellers/me", sim.base_url);
    let v2 = format!("{}/integration/v2/sellers/me", sim.base_url);

    let refused = client.get(&v1).header("tiki-api", off_by_one(&key)).send().await.expect("sent");
    assert_eq!(refused.status().as_u16(), 403);
    assert_eq!(refused.json::<Value>().await.expect("JSON"), json!({ "msg": "Permission denied" }));
    let accepted = client.get(&v1).header("tiki-api", &key).send().await.expect("sent");
    assert_eq!(accepted.status().as_u16(), 200);
    assert!(accepted.json::<Value>().await.expect("JSON")["sid"].is_string());

    let refused = client.get(&v2).bearer_auth(off_by_one(&token)).send().await.expect("sent");
    assert_eq!(refused.status().as_u16(), 401);
    let body: Value = refused.json().await.expect("JSON");
    assert!(body["errors"][0].as_str().is_some_and(|e| e.contains("token")), "{body}");
    let accepted = client.get(&v2).bearer_auth(&token).send().await.expect("sent");
    assert_eq!(accepted.status().as_u16(), 200);

    // The legacy key does not open the v2 API.
    assert_eq!(client.get(&v2).header("tiki-api", &key).send().await.expect("sent").status().as_u16(), 401);

    // The token endpoint refuses a client secret off by one character, and issues a token for the right one.
    let token_url = format!("{}/sc/oauth2/token", sim.base_url);
    let secret = sim.state.credentials.app_secret.clone().expect("secret");
    let id = sim.state.credentials.app_key.clone().expect("client id");
    let form = |secret: &str| format!("grant_type=client_credentials&client_id={id}&client_secret={secret}");
    let refused = client
        .post(&token_url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&off_by_one(&secret)))
        .send()
        .await
        .expect("sent");
    assert_eq!(refused.status().as_u16(), 401);
    assert_eq!(refused.json::<Value>().await.expect("JSON")["error"], "invalid_client");
    let issued: Value = client
        .post(&token_url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&secret))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("JSON");
    assert!(
        issued["access_token"].is_string() && issued.get("refresh_token").is_none(),
        "client credentials get no refresh token: {issued}"
    );

    // And the connector reports a wrong key as the marketplace's refusal.
    let wrong = connector_with(
        &sim.base_url,
        Credentials { api_key: Some(off_by_one(&key)), ..Credentials::default() },
        Arc::new(NoTokenStore),
    );
    match wrong.shop_identity().await {
        Err(ConnectorError::Auth { code, message, .. }) => {
            assert_eq!((code.as_str(), message.as_str()), ("403", "Permission denied"));
        }
        other => panic!("expected the key refused, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_is_renewed_once_and_saved() {
    let sim = tiki_sim(3);
    let saved = Arc::new(RecordingTokenStore::default());
    let tiki = connector_with(&sim.base_url, sim.state.credentials.clone(), saved.clone());
    let before = tiki.current_credentials().await;
    tiki.shop_identity().await.expect("valid token");
    assert!(saved.saved.lock().expect("lock").is_empty(), "nothing renewed while valid");

    sim.state.store().tokens.expire_access_tokens();
    let identity = tiki.shop_identity().await.expect("renewed and retried");
    assert!(!identity.external_id.is_empty());

    let after = tiki.current_credentials().await;
    assert_ne!(after.access_token, before.access_token);
    let saved_now = saved.saved.lock().expect("lock").clone();
    assert_eq!(saved_now.len(), 1, "one renewal, saved");
    assert_eq!(saved_now[0].access_token, after.access_token);
    assert!(saved_now[0].access_token_expires_at.is_some_and(|t| t > Utc::now()));
    // The refresh token was rotated (single use): the old one is spent.
    assert_ne!(saved_now[0].refresh_token, before.refresh_token);
    assert!(sim.state.store().tokens.use_refresh(before.refresh_token.as_deref().expect("old"), false).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_in_house_app_gets_a_new_token_by_client_credentials_before_and_after_expiry() {
    let sim = tiki_sim(3);
    let saved = Arc::new(RecordingTokenStore::default());
    // In-house app: no refresh token; the token held is about to expire.
    let credentials = Credentials {
        refresh_token: None,
        refresh_token_expires_at: None,
        access_token_expires_at: Some(Utc::now() + Duration::seconds(30)),
        ..sim.state.credentials.clone()
    };
    let tiki = connector_with(&sim.base_url, credentials, saved.clone());

    tiki.shop_identity().await.expect("renewed before expiry");
    assert_eq!(saved.saved.lock().expect("lock").len(), 1, "renewed ahead of expiry");

    sim.state.store().tokens.expire_access_tokens();
    tiki.list_orders(Utc::now() - Duration::days(1), Utc::now(), OrderTimeField::Updated)
        .await
        .expect("renewed on 401 and retried");
    let saved_now = saved.saved.lock().expect("lock").clone();
    assert_eq!(saved_now.len(), 2);
    assert!(saved_now.iter().all(|c| c.refresh_token.is_none()), "client credentials give no refresh token");
    assert_eq!(tiki.current_credentials().await.access_token, saved_now[1].access_token);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limit_is_waited_out_and_server_errors_are_retried() {
    let (sim, tiki) = tiki(2);
    sim.state.inject(Fault::RateLimit, 1);
    tiki.shop_identity().await.expect("succeeds after the 429");

    sim.state.inject(Fault::ServerError, 2);
    tiki.list_listings().await.expect("succeeds after two 500s");

    sim.state.inject(Fault::RateLimit, 10);
    match tiki.shop_identity().await {
        Err(ConnectorError::RateLimited { path }) => assert_eq!(path, "/integration/v2/sellers/me"),
        other => panic!("expected rate limited, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulators_rate_limit_answer_is_tikis() {
    let sim = tiki_sim(1);
    sim.state.inject(Fault::RateLimit, 1);
    let response = reqwest::get(format!("{}/integration/v1/products", sim.base_url)).await.expect("sent");
    assert_eq!(response.status().as_u16(), 429);
    assert_eq!(
        response.json::<Value>().await.expect("JSON")["errors"][0],
        "Too Many Requests - Your rate limit is exceed"
    );
}

/// A server answering every request with HTTP 200 and a body that is not JSON.
async fn garbage_server() -> String {
    omnisync::startup::install_tls_provider();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buffer = [0u8; 4096];
                let _ = socket.read(&mut buffer).await;
                let body = "<html>maintenance</html>";
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(answer.as_bytes()).await;
            });
        }
    });
    format!("http://{address}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_answer_becomes_a_parse_error_with_the_path_and_body() {
    let base = garbage_server().await;
    let legacy = connector_with(
        &base,
        Credentials { api_key: Some("k".into()), ..Credentials::default() },
        Arc::new(NoTokenStore),
    );
    match legacy.list_listings().await {
        Err(ConnectorError::Parse { path, body, .. }) => {
            assert_eq!(path, "/integration/v1/products");
            assert!(body.contains("maintenance"));
        }
        other => panic!("expected a parse error, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_events_are_pulled_from_the_queue_and_acknowledged_once() {
    let (sim, tiki) = tiki(3);
    assert!(tiki.drain_events().await.expect("queue created").is_empty(), "a new queue has no events");

    let order = sim.state.create_order(&[(first_sku(&sim), 2)], None).await.expect("order");
    sim.state.set_order_status(order.id, "canceled").await.expect("moved");
    let events = tiki.drain_events().await.expect("drained");
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].kind, EventKind::OrderCreated);
    assert_eq!(events[0].external_order_id, Some(order.id.to_string()));
    assert_eq!(events[0].status_raw.as_deref(), Some("queueing"));
    assert_eq!(events[1].kind, EventKind::OrderStatusChanged);
    assert_eq!(events[1].status_raw.as_deref(), Some("canceled"));
    assert_ne!(events[0].dedup_key, events[1].dedup_key);

    assert!(
        tiki.drain_events().await.expect("drained again").is_empty(),
        "acknowledged events are not delivered again"
    );

    // The legacy key reads the same queues (one queue, found again by name).
    let legacy = v1_connector(&sim);
    sim.state.set_order_status(order.id, "closed").await.expect("moved");
    let events = legacy.drain_events().await.expect("drained with the key");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].status_raw.as_deref(), Some("closed"));

    // No push exists, so there is nothing to verify.
    let request = WebhookRequest { url: String::new(), headers: Vec::new(), body: b"{}".to_vec() };
    assert!(matches!(tiki.verify_webhook(&request), Err(ConnectorError::Unsupported(_))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_actions_move_the_order_in_the_simulator() {
    let (sim, tiki) = tiki(3);
    let order = sim.state.create_order(&[(first_sku(&sim), 1)], None).await.expect("order");
    let code = order.id.to_string();
    let status = |sim: &SimHandle, id: u64| sim.state.store().order(id).expect("order").status.clone();

    match tiki.order_action(&code, &OrderAction::PrintLabel).await {
        Err(ConnectorError::Api { code, message, .. }) => {
            assert!(code == "400" && message.contains("after confirmation"), "{message}");
        }
        other => panic!("a label before confirmation is refused, got {other:?}"),
    }
    let outcome = tiki.order_action(&code, &OrderAction::ReadyToShip).await.expect("confirmed");
    assert_eq!(outcome.status_raw.as_deref(), Some("packaging"));
    assert_eq!(status(&sim, order.id), "packaging");
    let label = tiki.order_action(&code, &OrderAction::PrintLabel).await.expect("label");
    assert!(label.message.is_some_and(|url| url.ends_with(&format!("/labels/{code}.html"))));
    assert!(matches!(tiki.order_action(&code, &OrderAction::AwaitPickup).await, Err(ConnectorError::Unsupported(_))));
    // Cancelling is confirming no item, which Tiki allows only before confirmation: its reason is quoted.
    match tiki.order_action(&code, &OrderAction::Cancel { reason: "out of stock".into() }).await {
        Err(ConnectorError::Api { code, message, .. }) => {
            assert!(code == "400" && message.contains("only queueing orders"), "{message}");
        }
        other => panic!("a confirmed order can't be cancelled, got {other:?}"),
    }
    assert_eq!(status(&sim, order.id), "packaging");
    match tiki.order_action(&code, &OrderAction::ReadyToShip).await {
        Err(ConnectorError::Api { code, .. }) => assert_eq!(code, "400", "only queueing orders can be confirmed"),
        other => panic!("expected a refusal, got {other:?}"),
    }

    // A queueing order is cancelled (v2 and v1): no item confirmed.
    for connector in [&tiki, &v1_connector(&sim)] {
        let waiting = sim.state.create_order(&[(first_sku(&sim), 1)], None).await.expect("order");
        let cancel = OrderAction::Cancel { reason: "out of stock".into() };
        let outcome = connector.order_action(&waiting.id.to_string(), &cancel).await.expect("cancelled");
        assert_eq!(outcome.status_raw.as_deref(), Some("canceled"));
        assert_eq!(status(&sim, waiting.id), "canceled");
    }

    // Legacy: confirmItems, print, then ready for delivery.
    let legacy = v1_connector(&sim);
    let order = sim.state.create_order(&[(first_sku(&sim), 1)], None).await.expect("order");
    let code = order.id.to_string();
    legacy.order_action(&code, &OrderAction::ReadyToShip).await.expect("confirmed");
    assert_eq!(status(&sim, order.id), "packaging");
    assert!(legacy.order_action(&code, &OrderAction::PrintLabel).await.expect("label").message.is_some());
    let outcome = legacy.order_action(&code, &OrderAction::AwaitPickup).await.expect("ready for delivery");
    assert_eq!(outcome.status_raw.as_deref(), Some("ready_to_ship"));
    assert_eq!(status(&sim, order.id), "ready_to_ship");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulator_enforces_page_batch_and_window_limits() {
    let sim = tiki_sim(2);
    let client = reqwest::Client::new();
    let token = sim.state.credentials.access_token.clone().expect("token");
    let get = |path: String| client.get(format!("{}{path}", sim.base_url)).bearer_auth(&token).send();

    let response = get(format!("/integration/v2/products?limit={}", wire::MAX_PRODUCTS_PAGE + 1)).await.expect("sent");
    assert_eq!(response.status().as_u16(), 400);
    assert!(response.json::<Value>().await.expect("JSON")["errors"][0].as_str().is_some_and(|e| e.contains("limit")));

    let window = |days: i64| {
        let to = Utc::now();
        let from = to - Duration::days(days);
        let mut url = url::Url::parse("http://x/integration/v2/orders").expect("url");
        url.query_pairs_mut()
            .append_pair("created_from_date", &wire::format_local(from))
            .append_pair("created_to_date", &wire::format_local(to));
        format!("{}?{}", url.path(), url.query().unwrap_or_default())
    };
    assert_eq!(get(window(wire::MAX_ORDER_WINDOW_DAYS + 1)).await.expect("sent").status().as_u16(), 400);
    assert_eq!(get(window(wire::MAX_ORDER_WINDOW_DAYS)).await.expect("sent").status().as_u16(), 200);

    let code = first_sku(&sim);
    let batch = |n: usize| json!({ "data": (0..n).map(|_| json!({ "original_sku": code, "price": 100000 })).collect::<Vec<_>>() });
    let put = |body: Value| {
        client
            .put(format!("{}/integration/v2.1/products/updateSkus", sim.base_url))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    assert_eq!(put(batch(wire::MAX_UPDATE_SKUS_BATCH + 1)).await.expect("sent").status().as_u16(), 400);
    let answer: Value = put(batch(wire::MAX_UPDATE_SKUS_BATCH)).await.expect("sent").json().await.expect("JSON");
    assert_eq!(answer["data"].as_array().map(Vec::len), Some(wire::MAX_UPDATE_SKUS_BATCH));
    assert_eq!(answer["data"][0]["state"], "approved");

    // The legacy order list shows only `queueing` orders unless asked for all.
    let order = sim.state.create_order(&[(code, 1)], None).await.expect("order");
    sim.state.set_order_status(order.id, "shipping").await.expect("moved");
    let key = sim.state.credentials.api_key.clone().expect("key");
    let legacy: Value = client
        .get(format!("{}/integration/v1/orders", sim.base_url))
        .header("tiki-api", &key)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("JSON");
    assert_eq!(legacy["paging"]["total"], 0);
    let all: Value = client
        .get(format!("{}/integration/v1/orders?status=all", sim.base_url))
        .header("tiki-api", &key)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("JSON");
    assert_eq!(all["data"][0]["status"], "shipping");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shop_identity_reads_the_seller_with_either_credential_style() {
    let (sim, tiki) = tiki(1);
    let v2 = tiki.shop_identity().await.expect("v2 seller");
    let v1 = v1_connector(&sim).shop_identity().await.expect("v1 seller");
    assert_eq!(v1, v2);
    assert_eq!(v2.country.as_deref(), Some("VN"));
    assert!(!v2.name.is_empty());
}
