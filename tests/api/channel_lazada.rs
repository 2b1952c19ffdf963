//! lazada connector against its simulator, over real HTTP.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use omnisync::channels::lazada::sign::sign_request;
use omnisync::channels::{
    ApiClient, ChannelKind, Connector, ConnectorConfig, ConnectorError, ListingPages, NoTokenStore, RetryPolicy,
    connector,
};
use omnisync::domain::channel::{OrderAction, OrderTimeField, StockPriceUpdate, WebhookRequest};
use omnisync::sim::lazada::LazadaSim;
use omnisync::sim::{Fault, MarketplaceSim, SimHandle};
use serde_json::Value;

use crate::helpers::{RecordingTokenStore, connector_for, start_sim};

/// The simulator (its webhook client needs the TLS provider installed first; `start_sim` does not do it).
fn sim(seed_products: usize) -> SimHandle {
    omnisync::startup::install_tls_provider();
    start_sim(ChannelKind::Lazada, seed_products)
}

fn lazada(seed_products: usize) -> (SimHandle, Arc<dyn Connector>) {
    let sim = sim(seed_products);
    let connector = connector_for(&sim, Arc::new(NoTokenStore));
    (sim, connector)
}

/// A connector to `sim` with other credentials or base URL.
fn connector_with(
    sim: &SimHandle,
    base_url: String,
    credentials: omnisync::channels::Credentials,
    tokens: Arc<dyn omnisync::channels::TokenStore>,
) -> Arc<dyn Connector> {
    let http = ApiClient::new("lazada", crate::helpers::hub_limiter(ChannelKind::Lazada), RetryPolicy::fast())
        .expect("client");
    connector(ConnectorConfig { kind: sim.kind, base_url, country: "VN".into(), credentials, http, tokens })
        .expect("connector")
}

/// The URL of a GET signed like Lazada's SDKs do; `tamper` changes one character of the signature.
fn signed_url(sim: &SimHandle, api: &str, business: &[(&str, &str)], tamper: bool) -> String {
    let credentials = &sim.state.credentials;
    let timestamp = Utc::now().timestamp_millis().to_string();
    let mut params: Vec<(&str, &str)> = vec![
        ("app_key", credentials.app_key.as_deref().expect("app key")),
        ("timestamp", &timestamp),
        ("sign_method", "sha256"),
        ("access_token", credentials.access_token.as_deref().expect("token")),
    ];
    params.extend_from_slice(business);
    let mut sign = sign_request(credentials.app_secret.as_deref().expect("secret"), api, params.iter().copied());
    if tamper {
        let last = sign.pop().expect("a signature");
        sign.push(if last == 'A' { 'B' } else { 'A' });
    }
    let mut url = url::Url::parse(&format!("{}/rest{api}", sim.base_url)).expect("url");
    url.query_pairs_mut().extend_pairs(params.iter()).append_pair("sign", &sign);
    url.to_string()
}

async fn get_json(url: &str) -> Value {
    reqwest::get(url).await.expect("sent").json().await.expect("JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_walk_over_a_thousand_listings_returns_every_sku_exactly_once() {
    use rand::SeedableRng;
    let (sim, lazada) = lazada(500);
    sim.state.store().add_product(&mut rand::rngs::StdRng::seed_from_u64(1), "Thêm", "EXTRA-", 1, 1);
    let expected: HashSet<String> =
        sim.state.store().products.iter().flat_map(|p| p.skus.iter().map(|s| s.seller_sku.clone())).collect();
    assert_eq!(expected.len(), 1000);

    let listings = lazada.list_listings().await.expect("listings");

    assert_eq!(listings.len(), 1000);
    let found: HashSet<String> = listings.iter().filter_map(|l| l.seller_sku.clone()).collect();
    assert_eq!(found, expected, "every SellerSku once");
    let (product, sku) = {
        let store = sim.state.store();
        let (p, s) = store.sku_by_seller_sku("SKU-0003-2").expect("seeded");
        (p.clone(), s.clone())
    };
    let listing = listings.iter().find(|l| l.seller_sku.as_deref() == Some("SKU-0003-2")).expect("listed");
    assert_eq!(listing.external_product_id, product.id.to_string());
    assert_eq!(listing.external_sku_id, sku.id.to_string());
    assert_eq!(listing.price_minor, Some(sku.price), "VND has no decimals: minor units are dong");
    assert_eq!(listing.quantity, Some(sku.quantity));
    assert_eq!(listing.options, sku.options);
    assert_eq!(listing.title, product.title);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listing_walk_past_the_10000_offset_continues_below_the_oldest_product_seen() {
    use rand::SeedableRng;
    let (sim, lazada) = lazada(0);
    {
        let mut store = sim.state.store();
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        for i in 0..10_120 {
            store.add_product(&mut rng, "Nhiều", "BULK-", i + 1, 1);
        }
        let start = Utc::now() - chrono::Duration::days(30);
        for (i, product) in store.products.iter_mut().enumerate() {
            product.created_at = start + chrono::Duration::seconds(i as i64 * 60);
        }
    }

    let listings = lazada.list_listings().await.expect("listings");

    assert_eq!(listings.len(), 10_120);
    assert_eq!(listings.iter().map(|l| &l.external_sku_id).collect::<HashSet<_>>().len(), 10_120);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listing_walk_hands_over_page_by_page_and_waits_for_its_reader() {
    let (sim, lazada) = lazada(500);
    let before = sim.state.api_requests();
    let (pages, mut received) = ListingPages::channel();
    let walk = tokio::spawn({
        let lazada = lazada.clone();
        async move { lazada.stream_listings(pages).await }
    });
    let first = received.recv().await.expect("a first page");
    let first_page = first.len();
    // The reader holds still: the walk reads a couple of pages ahead, then waits instead of reading the shop.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let read_meanwhile = sim.state.api_requests() - before;
    assert!(read_meanwhile <= 4, "a walk whose reader waits read {read_meanwhile} pages of 10");
    let mut skus: HashSet<String> = first.into_iter().map(|l| l.external_sku_id).collect();
    while let Some(page) = received.recv().await {
        skus.extend(page.into_iter().map(|l| l.external_sku_id));
    }
    walk.await.expect("the walk's task").expect("the walk");
    let collected = lazada.list_listings().await.expect("listings");
    assert_eq!(skus.len(), collected.len(), "the pages hold every listing once");
    assert!(first_page > 0 && first_page < collected.len(), "a page, not the shop: {first_page}");
    assert!(sim.state.api_requests() - before >= 10, "the walk went on once read");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stock_and_price_update_of_500_skus_takes_ten_calls_and_lands_in_the_store() {
    let (sim, lazada) = lazada(300);
    let listings = lazada.list_listings().await.expect("listings");
    let updates: Vec<StockPriceUpdate> = listings
        .iter()
        .take(500)
        .enumerate()
        .map(|(i, l)| StockPriceUpdate {
            external_product_id: l.external_product_id.clone(),
            external_sku_id: l.external_sku_id.clone(),
            seller_sku: l.seller_sku.clone(),
            quantity: Some(i as i64),
            price_minor: Some(10_000 + i as i64 * 1000),
            sale: None,
        })
        .collect();
    assert_eq!(updates.len(), 500);

    let report = lazada.update_stock_price(&updates).await.expect("update");

    assert_eq!(report.calls, 500usize.div_ceil(50), "50 SKUs a call is Lazada's maximum");
    assert_eq!(report.results.len(), 500);
    assert!(report.results.iter().all(|r| r.ok), "{:?}", report.results.iter().find(|r| !r.ok));
    let store = sim.state.store();
    for update in &updates {
        let (_, sku) = store.sku_by_seller_sku(update.seller_sku.as_deref().expect("sku")).expect("in store");
        assert_eq!((Some(sku.quantity), Some(sku.price)), (update.quantity, update.price_minor));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_sku_is_reported_and_the_rest_of_its_batch_is_updated() {
    let (sim, lazada) = lazada(3);
    let listings = lazada.list_listings().await.expect("listings");
    let good = &listings[0];
    let updates = vec![
        StockPriceUpdate {
            external_product_id: good.external_product_id.clone(),
            external_sku_id: good.external_sku_id.clone(),
            seller_sku: good.seller_sku.clone(),
            quantity: Some(7),
            price_minor: None,
            sale: None,
        },
        StockPriceUpdate {
            external_product_id: String::new(),
            external_sku_id: "999999999".into(),
            seller_sku: Some("NOPE".into()),
            quantity: Some(1),
            price_minor: None,
            sale: None,
        },
        StockPriceUpdate {
            external_product_id: String::new(),
            external_sku_id: "1".into(),
            seller_sku: Some("NEG".into()),
            quantity: Some(-1),
            price_minor: None,
            sale: None,
        },
    ];

    let report = lazada.update_stock_price(&updates).await.expect("update");

    assert_eq!(report.calls, 1, "the negative quantity never leaves the hub");
    let by_id = |id: &str| report.results.iter().find(|r| r.external_sku_id == id).expect("a result");
    assert!(by_id(&good.external_sku_id).ok);
    assert!(by_id("999999999").error.as_deref().is_some_and(|e| e.starts_with("501")), "{:?}", by_id("999999999"));
    assert!(!by_id("1").ok);
    assert_eq!(
        sim.state.store().sku_by_seller_sku(good.seller_sku.as_deref().expect("sku")).expect("sku").1.quantity,
        7
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_walk_across_90_days_finds_every_order_once_with_its_lines() {
    let (sim, lazada) = lazada(20);
    let now = Utc::now();
    let mut created = Vec::new();
    for i in 0..150i64 {
        let at = now - chrono::Duration::minutes(i * 864 + 30); // spread evenly over 90 days
        let quantity = 1 + i % 3;
        let order = sim
            .state
            .create_order(&[("SKU-0002-1".into(), quantity), ("SKU-0003-2".into(), 1)], Some(at))
            .await
            .expect("order");
        created.push(order.id.to_string());
    }
    sim.state
        .create_order(&[("SKU-0001-1".into(), 1)], Some(now - chrono::Duration::days(91)))
        .await
        .expect("older order");

    let found =
        lazada.list_orders(now - chrono::Duration::days(90), now, OrderTimeField::Created).await.expect("orders");

    let ids: Vec<String> = found.iter().map(|o| o.external_id.clone()).collect();
    assert_eq!(ids.len(), 150, "every order in range, none outside");
    assert_eq!(ids.iter().collect::<HashSet<_>>(), created.iter().collect::<HashSet<_>>());
    assert!(found.iter().all(|o| o.status_raw.as_deref() == Some("pending")));

    let orders = lazada.get_orders(&ids[..60]).await.expect("details");
    assert_eq!(orders.len(), 60);
    for order in &orders {
        let stored = sim.state.store().order(order.external_id.parse().expect("id")).expect("stored").clone();
        assert_eq!(order.status_raw, "pending");
        assert_eq!(order.currency, "VND");
        assert_eq!(order.lines.len(), 2, "one line per SKU, units grouped");
        for (line, stored_line) in order.lines.iter().zip(&stored.lines) {
            assert_eq!(line.seller_sku.as_deref(), Some(stored_line.seller_sku.as_str()));
            assert_eq!(line.quantity, stored_line.quantity);
            assert_eq!(line.price_minor, stored_line.price);
            assert_eq!(line.status_raw.as_deref(), Some("pending"));
        }
        assert_eq!(order.total_minor, stored.total());
        assert_eq!(order.created_at.timestamp(), stored.created_at.timestamp());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_walk_past_the_5000_offset_moves_its_window() {
    let (sim, lazada) = lazada(2);
    let now = Utc::now();
    let from = now - chrono::Duration::days(30);
    for i in 0..5_250i64 {
        let at = from + chrono::Duration::seconds(i * 400 + 1);
        sim.state.create_order(&[("SKU-0001-1".into(), 1)], Some(at)).await.expect("order");
    }

    let found = lazada.list_orders(from, now, OrderTimeField::Created).await.expect("orders");

    assert_eq!(found.len(), 5_250);
    assert_eq!(
        found.iter().map(|o| &o.external_id).collect::<HashSet<_>>().len(),
        5_250,
        "no duplicates across windows"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signature_off_by_one_character_is_refused_with_incomplete_signature() {
    let (sim, _) = lazada(3);
    let business = [("filter", "all"), ("limit", "10")];

    let refused = get_json(&signed_url(&sim, "/products/get", &business, true)).await;
    assert_eq!(refused["code"], "IncompleteSignature");
    assert_eq!(refused["type"], "ISV");
    assert!(refused["request_id"].is_string() && refused.get("data").is_none());

    let accepted = get_json(&signed_url(&sim, "/products/get", &business, false)).await;
    assert_eq!(accepted["code"], "0");
    assert_eq!(accepted["data"]["total_products"], 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulator_enforces_lazada_page_and_offset_maxima() {
    let (sim, _) = lazada(3);
    let too_big = get_json(&signed_url(&sim, "/products/get", &[("filter", "all"), ("limit", "51")], false)).await;
    assert_eq!(too_big["code"], "19");
    let orders = get_json(&signed_url(
        &sim,
        "/orders/get",
        &[("created_after", "2024-01-01T00:00:00+07:00"), ("limit", "101")],
        false,
    ))
    .await;
    assert_eq!(orders["code"], "19");
    let offset = get_json(&signed_url(
        &sim,
        "/orders/get",
        &[("created_after", "2024-01-01T00:00:00+07:00"), ("offset", "5001")],
        false,
    ))
    .await;
    assert_eq!(offset["code"], "14");
    let ids = (1..=51).map(|i| i.to_string()).collect::<Vec<_>>().join(",");
    let items = get_json(&signed_url(&sim, "/orders/items/get", &[("order_ids", &format!("[{ids}]"))], false)).await;
    assert_ne!(items["code"], "0", "at most 50 orders a call");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_access_token_is_refreshed_saved_and_the_call_retried() {
    let sim = sim(3);
    let tokens = Arc::new(RecordingTokenStore::default());
    let lazada = connector_for(&sim, tokens.clone());
    let old = sim.state.credentials.access_token.clone();
    sim.state.store().tokens.expire_access_tokens();

    let shop = lazada.shop_identity().await.expect("the call succeeds after a refresh");

    assert_eq!(shop.name, "Omnisync Lazada Sim Shop");
    let saved = tokens.saved.lock().expect("lock").clone();
    assert_eq!(saved.len(), 1, "the new tokens were saved once");
    assert_ne!(saved[0].access_token, old);
    assert_eq!(lazada.current_credentials().await, saved[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_about_to_expire_is_refreshed_before_the_call() {
    let sim = sim(3);
    let tokens = Arc::new(RecordingTokenStore::default());
    let mut credentials = sim.state.credentials.clone();
    credentials.access_token_expires_at = Some(Utc::now() + chrono::Duration::minutes(2));
    let lazada = connector_with(&sim, sim.base_url.clone(), credentials, tokens.clone());

    lazada.shop_identity().await.expect("identity");

    let saved = tokens.saved.lock().expect("lock").clone();
    assert_eq!(saved.len(), 1);
    assert!(saved[0].access_token_expires_at.expect("expiry") > Utc::now() + chrono::Duration::days(6));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authorization_code_is_exchanged_once_at_the_token_endpoint() {
    let (sim, lazada) = lazada(1);
    let code = sim.state.store().tokens.issue_code();

    let credentials = lazada.exchange_authorization_code(&code, &[], None).await.expect("exchanged");

    assert!(credentials.access_token.is_some() && credentials.refresh_token.is_some());
    assert_ne!(credentials.access_token, sim.state.credentials.access_token);
    lazada.shop_identity().await.expect("the new token works");
    let again = lazada.exchange_authorization_code(&code, &[], None).await;
    assert!(matches!(again, Err(ConnectorError::Auth { ref code, .. }) if code == "InvalidCode"), "{again:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limit_answer_is_waited_out_and_then_succeeds() {
    let (sim, lazada) = lazada(3);
    sim.state.inject(Fault::RateLimit, 1);
    let started = Instant::now();

    lazada.shop_identity().await.expect("identity after the wait");

    assert!(started.elapsed() >= Duration::from_millis(900), "Lazada says retry next second: {:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_are_retried() {
    let (sim, lazada) = lazada(3);
    sim.state.inject(Fault::ServerError, 2);

    lazada.shop_identity().await.expect("identity after two 500s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unparseable_answer_becomes_a_parse_error() {
    let sim = sim(1);
    let lazada = connector_with(
        &sim,
        format!("{}/not-lazada", sim.base_url),
        sim.state.credentials.clone(),
        Arc::new(NoTokenStore),
    );

    let answer = lazada.shop_identity().await;

    assert!(matches!(answer, Err(ConnectorError::Parse { ref path, .. }) if path == "/seller/get"), "{answer:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_built_by_the_simulator_verifies_and_one_changed_byte_is_refused() {
    let (sim, lazada) = lazada(3);
    let order = sim.state.create_order(&[("SKU-0001-1".into(), 1)], None).await.expect("order");
    let push = LazadaSim.order_webhook(&sim.state, &order, true).expect("Lazada pushes orders");
    let request = |body: Vec<u8>| WebhookRequest {
        url: "https://hub.example/webhooks/lazada".into(),
        headers: push.headers.clone(),
        body,
    };

    let events = lazada.verify_webhook(&request(push.body.clone())).expect("verified");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].external_order_id.as_deref(), Some(order.id.to_string().as_str()));
    assert_eq!(events[0].status_raw.as_deref(), Some("pending"));
    assert_eq!(lazada.verify_webhook(&request(push.body.clone())).expect("again")[0].dedup_key, events[0].dedup_key);

    let mut changed = push.body.clone();
    let at = changed.iter().position(|b| *b == b'p').expect("a byte to change");
    changed[at] = b'q';
    assert!(matches!(lazada.verify_webhook(&request(changed)), Err(ConnectorError::BadWebhook(_))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_to_ship_packs_the_items_and_moves_the_order_in_the_simulator() {
    let (sim, lazada) = lazada(5);
    let order =
        sim.state.create_order(&[("SKU-0002-1".into(), 2), ("SKU-0003-1".into(), 1)], None).await.expect("order");
    let id = order.id.to_string();

    let outcome = lazada.order_action(&id, &OrderAction::ReadyToShip).await.expect("ready to ship");

    assert_eq!(outcome.status_raw.as_deref(), Some("ready_to_ship"));
    let stored = sim.state.store().order(order.id).expect("order").clone();
    assert!(stored.lines.iter().all(|l| l.status == "ready_to_ship"));
    assert_eq!(stored.status, "ready_to_ship");
    assert!(stored.package_id.is_some());

    let label = lazada.order_action(&id, &OrderAction::PrintLabel).await.expect("label");
    assert!(label.message.unwrap_or_default().to_lowercase().contains("pdf"), "the document is described");
    let again = lazada.order_action(&id, &OrderAction::ReadyToShip).await;
    assert!(matches!(again, Err(ConnectorError::Api { ref code, .. }) if code == "700000"), "{again:?}");
    assert!(matches!(lazada.order_action(&id, &OrderAction::AwaitPickup).await, Err(ConnectorError::Unsupported(_))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seller_cancel_is_validated_then_created_and_refused_once_delivered() {
    let (sim, lazada) = lazada(5);
    let order = sim.state.create_order(&[("SKU-0002-1".into(), 1)], None).await.expect("order");
    let quantity_before = sim.state.store().sku_by_seller_sku("SKU-0002-1").expect("sku").1.quantity;

    let outcome = lazada
        .order_action(&order.id.to_string(), &OrderAction::Cancel { reason: "buyer changed mind".into() })
        .await
        .expect("cancel");

    assert_eq!(outcome.status_raw.as_deref(), Some("canceled"));
    let stored = sim.state.store().order(order.id).expect("order").clone();
    assert_eq!(stored.status, "canceled");
    assert_eq!(stored.cancel_reason.as_deref(), Some("Sourcing Delay"), "a reason that does not zero the stock");
    assert_eq!(sim.state.store().sku_by_seller_sku("SKU-0002-1").expect("sku").1.quantity, quantity_before);

    let delivered = sim.state.create_order(&[("SKU-0002-1".into(), 1)], None).await.expect("order");
    sim.state.set_order_status(delivered.id, "delivered").await.expect("delivered");
    let refused = lazada.order_action(&delivered.id.to_string(), &OrderAction::Cancel { reason: String::new() }).await;
    assert!(matches!(refused, Err(ConnectorError::Api { ref code, .. }) if code == "123"), "{refused:?}");
}
