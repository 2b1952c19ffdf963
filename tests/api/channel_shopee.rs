//! Shopee connector against its simulator, over real HTTP.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{Duration, Utc};
use omnisync::channels::shopee::{self, ShopeeConnector, sign};
use omnisync::channels::{
    ApiClient, ChannelKind, Connector, ConnectorConfig, ConnectorError, NoTokenStore, RetryPolicy,
};
use omnisync::domain::channel::{EventKind, OrderAction, OrderTimeField, StockPriceUpdate, WebhookRequest};
use omnisync::sim::shopee::{ShopeeSim, order_sn};
use omnisync::sim::{Fault, MarketplaceSim, SimHandle};
use serde_json::Value;

use crate::helpers::{RecordingTokenStore, connector_for};

/// `helpers::start_sim` after installing the TLS provider (the simulator builds its webhook client at start).
fn start_sim(kind: ChannelKind, seed_products: usize) -> SimHandle {
    omnisync::startup::install_tls_provider();
    crate::helpers::start_sim(kind, seed_products)
}

fn connector(sim: &SimHandle) -> Arc<dyn Connector> {
    connector_for(sim, Arc::new(NoTokenStore))
}

/// A signed Shop API URL for a raw request (as any Shopee client would build it).
fn signed_url(sim: &SimHandle, path: &str, timestamp: i64, extra: &str) -> (String, String) {
    let c = &sim.state.credentials;
    let (partner_id, key, shop_id) =
        (c.app_key.clone().expect("partner id"), c.app_secret.clone().expect("key"), c.shop_id.clone().expect("shop"));
    let token = c.access_token.clone().expect("token");
    let ts = timestamp.to_string();
    let signature = sign::sign(&key, &sign::shop_base_string(&partner_id, path, &ts, &token, &shop_id));
    let url = format!(
        "{}{path}?partner_id={partner_id}&timestamp={ts}&access_token={token}&shop_id={shop_id}{extra}&sign=",
        sim.base_url
    );
    (url, signature)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shop_identity_is_read_with_one_signed_call() {
    let sim = start_sim(ChannelKind::Shopee, 1);
    let identity = connector(&sim).shop_identity().await.expect("shop info");
    assert_eq!(identity.external_id, sim.state.credentials.shop_id.clone().expect("shop id"));
    assert_eq!(identity.name, omnisync::sim::shopee::SHOP_NAME);
    assert_eq!(identity.country.as_deref(), Some("VN"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_walk_over_a_thousand_listings_returns_every_sku_exactly_once() {
    let sim = start_sim(ChannelKind::Shopee, 500);
    {
        use rand::SeedableRng;
        let mut rng = rand::rngs::StdRng::seed_from_u64(9);
        sim.state.store().add_product(&mut rng, "Áo thun", "EXTRA-", 1, 3);
    }
    let expected: HashSet<String> =
        sim.state.store().products.iter().flat_map(|p| p.skus.iter().map(|s| s.seller_sku.clone())).collect();
    assert!(expected.len() >= 1000, "{} SKUs seeded", expected.len());

    let listings = connector(&sim).list_listings().await.expect("listings");

    let seen: Vec<String> =
        listings.iter().map(|l| l.seller_sku.clone().expect("every SKU has a seller SKU")).collect();
    let unique: HashSet<String> = seen.iter().cloned().collect();
    assert_eq!(seen.len(), unique.len(), "no SKU twice");
    assert_eq!(unique, expected, "every SKU once");
    // Items without models carry item_sku and the item id as SKU id; models carry their options and prices.
    let single = listings.iter().find(|l| l.seller_sku.as_deref() == Some("SKU-0001-1")).expect("single-SKU item");
    assert_eq!(single.external_sku_id, single.external_product_id);
    let store = sim.state.store();
    let (product, sku) = store.sku_by_seller_sku("SKU-0003-2").expect("seeded");
    let model = listings.iter().find(|l| l.seller_sku.as_deref() == Some("SKU-0003-2")).expect("model");
    assert_eq!(model.external_product_id, product.id.to_string());
    assert_eq!(model.external_sku_id, sku.id.to_string());
    assert_eq!(model.price_minor, Some(sku.price), "whole VND");
    assert_eq!(model.list_price_minor, Some(sku.list_price));
    assert_eq!(model.quantity, Some(sku.quantity));
    assert_eq!(model.options, sku.options);
    assert_eq!(model.status.as_deref(), Some("NORMAL"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stock_and_price_of_500_skus_go_out_in_the_minimum_number_of_calls() {
    let sim = start_sim(ChannelKind::Shopee, 500);
    let listings = connector(&sim).list_listings().await.expect("listings");
    let updates: Vec<StockPriceUpdate> = listings
        .iter()
        .take(500)
        .enumerate()
        .map(|(i, l)| StockPriceUpdate {
            external_product_id: l.external_product_id.clone(),
            external_sku_id: l.external_sku_id.clone(),
            seller_sku: l.seller_sku.clone(),
            quantity: Some(7 + i as i64),
            price_minor: Some(100_000 + 1_000 * i as i64),
            sale: None,
        })
        .collect();
    // One update_stock and one update_price per item (no item has more than 50 models).
    let items: HashSet<&str> = updates.iter().map(|u| u.external_product_id.as_str()).collect();
    let minimum = shopee::MARKETPLACE.updates.minimum_calls(&updates);
    assert_eq!(minimum, 2 * items.len());

    let report = connector(&sim).update_stock_price(&updates).await.expect("update");

    assert_eq!(report.calls, minimum);
    assert_eq!(report.results.len(), 500);
    assert!(report.results.iter().all(|r| r.ok), "{:?}", report.results.iter().find(|r| !r.ok));
    let store = sim.state.store();
    for (i, update) in updates.iter().enumerate() {
        let (_, sku) = store.sku_by_seller_sku(update.seller_sku.as_deref().expect("sku")).expect("in store");
        assert_eq!((sku.quantity, sku.price), (7 + i as i64, 100_000 + 1_000 * i as i64), "{}", sku.seller_sku);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_reports_refused_models_one_by_one() {
    let sim = start_sim(ChannelKind::Shopee, 3);
    let listings = connector(&sim).list_listings().await.expect("listings");
    let model = listings.iter().find(|l| l.external_sku_id != l.external_product_id).expect("a model");
    let updates = vec![
        StockPriceUpdate {
            external_product_id: model.external_product_id.clone(),
            external_sku_id: model.external_sku_id.clone(),
            seller_sku: None,
            quantity: Some(3),
            price_minor: None,
            sale: None,
        },
        StockPriceUpdate {
            external_product_id: model.external_product_id.clone(),
            external_sku_id: "999999999".into(),
            seller_sku: None,
            quantity: Some(3),
            price_minor: None,
            sale: None,
        },
        StockPriceUpdate {
            external_product_id: "888888888".into(),
            external_sku_id: "1".into(),
            seller_sku: None,
            quantity: None,
            price_minor: Some(5_000),
            sale: None,
        },
    ];
    let report = connector(&sim).update_stock_price(&updates).await.expect("update");
    assert_eq!(report.calls, 2);
    assert!(report.results[0].ok);
    assert!(
        !report.results[1].ok
            && report.results[1].error.as_deref().is_some_and(|e| e.contains("Model_id is not found")),
        "{:?}",
        report.results[1]
    );
    assert!(
        report.results[2].error.as_deref().is_some_and(|e| e.contains("error_item_not_found")),
        "{:?}",
        report.results[2]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_walk_across_ninety_days_finds_every_order_once_with_its_lines() {
    let sim = start_sim(ChannelKind::Shopee, 20);
    let now = Utc::now();
    let mut created = Vec::new();
    // 230 orders spread over 90 days: several windows hold more than one page of 100.
    for i in 0..230i64 {
        let at = now - Duration::days(90) + Duration::minutes(i * 90 * 24 * 60 / 230 + 1);
        let order =
            sim.state.create_order(&[(format!("SKU-{:04}-1", 1 + i % 20), 1 + i % 3)], Some(at)).await.expect("order");
        created.push(order_sn(&order));
    }
    // Outside the range: not found.
    sim.state.create_order(&[("SKU-0001-1".into(), 1)], Some(now - Duration::days(120))).await.expect("old order");

    let conn = connector(&sim);
    let found = conn.list_orders(now - Duration::days(90), now, OrderTimeField::Created).await.expect("walk");

    let ids: Vec<String> = found.iter().map(|o| o.external_id.clone()).collect();
    assert_eq!(ids.len(), ids.iter().collect::<HashSet<_>>().len(), "no order twice");
    assert_eq!(ids.iter().cloned().collect::<HashSet<_>>(), created.iter().cloned().collect::<HashSet<_>>());
    assert!(found.iter().all(|o| o.status_raw.as_deref() == Some("READY_TO_SHIP")));

    let orders = conn.get_orders(&ids).await.expect("details in batches of 50");
    assert_eq!(orders.len(), 230);
    let store = sim.state.store();
    for order in &orders {
        let sim_order = store.orders.iter().find(|o| order_sn(o) == order.external_id).expect("known");
        assert_eq!(order.status_raw, "READY_TO_SHIP");
        assert_eq!(order.currency, "VND");
        assert_eq!(order.total_minor, sim_order.total());
        assert_eq!(order.lines.len(), 1);
        let line = &order.lines[0];
        assert_eq!(line.seller_sku.as_deref(), Some(sim_order.lines[0].seller_sku.as_str()));
        assert_eq!((line.quantity, line.price_minor), (sim_order.lines[0].quantity, sim_order.lines[0].price));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulator_refuses_an_order_window_longer_than_fifteen_days() {
    let sim = start_sim(ChannelKind::Shopee, 1);
    let path = "/api/v2/order/get_order_list";
    let to = Utc::now().timestamp();
    let extra = format!("&time_range_field=create_time&time_from={}&time_to={to}&page_size=100", to - 15 * 86_400 - 1);
    let (url, signature) = signed_url(&sim, path, Utc::now().timestamp(), &extra);
    let body: Value = reqwest::get(format!("{url}{signature}")).await.expect("sent").json().await.expect("json");
    assert_eq!(body["error"], "order.order_list_invalid_time");
    assert_eq!(body["message"], "Start time must be earlier than end time and diff in 15days.");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signature_off_by_one_character_is_refused_with_error_sign() {
    let sim = start_sim(ChannelKind::Shopee, 1);
    let (url, signature) = signed_url(&sim, "/api/v2/shop/get_shop_info", Utc::now().timestamp(), "");
    let mut tampered = signature.clone().into_bytes();
    tampered[10] = if tampered[10] == b'0' { b'1' } else { b'0' };
    let tampered = String::from_utf8(tampered).expect("hex");

    let refused = reqwest::get(format!("{url}{tampered}")).await.expect("sent");
    assert_eq!(refused.status().as_u16(), 403);
    let body: Value = refused.json().await.expect("json");
    assert_eq!(body["error"], "error_sign");
    assert_eq!(body["message"], "Wrong sign.");
    assert!(body["request_id"].as_str().is_some_and(|id| !id.is_empty()));

    let accepted = reqwest::get(format!("{url}{signature}")).await.expect("sent");
    assert_eq!(accepted.status().as_u16(), 200);
    let body: Value = accepted.json().await.expect("json");
    assert_eq!(body["error"], "");
    assert_eq!(body["shop_name"], omnisync::sim::shopee::SHOP_NAME);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timestamp_older_than_five_minutes_is_refused() {
    let sim = start_sim(ChannelKind::Shopee, 1);
    let (url, signature) = signed_url(&sim, "/api/v2/shop/get_shop_info", Utc::now().timestamp() - 301, "");
    let body: Value = reqwest::get(format!("{url}{signature}")).await.expect("sent").json().await.expect("json");
    assert_eq!((body["error"].as_str(), body["message"].as_str()), (Some("error_param"), Some("Invalid timestamp")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_access_token_is_refreshed_saved_and_its_refresh_token_spent() {
    let sim = start_sim(ChannelKind::Shopee, 2);
    let tokens = Arc::new(RecordingTokenStore::default());
    let conn = connector_for(&sim, tokens.clone());
    let old = sim.state.credentials.clone();
    sim.state.store().tokens.expire_access_tokens();

    conn.shop_identity().await.expect("succeeds after a refresh");

    let saved = tokens.saved.lock().expect("lock").clone();
    assert_eq!(saved.len(), 1, "one refresh, saved once");
    let now = conn.current_credentials().await;
    assert_eq!(saved[0], now);
    assert_ne!(now.access_token, old.access_token);
    assert_ne!(now.refresh_token, old.refresh_token);
    assert!(now.access_token_expires_at.is_some_and(|at| at > Utc::now() + Duration::minutes(230)), "4 h");
    assert_eq!(
        sim.state.store().tokens.use_refresh(old.refresh_token.as_deref().expect("old"), false),
        Err(omnisync::sim::store::TokenProblem::Unknown),
        "spent"
    );
    // A second call uses the new token without another refresh.
    conn.list_orders(Utc::now() - Duration::days(1), Utc::now(), OrderTimeField::Updated).await.expect("orders");
    assert_eq!(tokens.saved.lock().expect("lock").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_about_to_expire_is_refreshed_before_the_call() {
    let sim = start_sim(ChannelKind::Shopee, 1);
    let tokens = Arc::new(RecordingTokenStore::default());
    let mut credentials = sim.state.credentials.clone();
    credentials.access_token_expires_at = Some(Utc::now() + Duration::seconds(30));
    let conn = ShopeeConnector::new(config(&sim, credentials, tokens.clone())).expect("connector");
    conn.shop_identity().await.expect("identity");
    assert_eq!(tokens.saved.lock().expect("lock").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authorization_code_from_the_consent_redirect_is_exchanged_for_tokens() {
    let sim = start_sim(ChannelKind::Shopee, 1);
    let c = &sim.state.credentials;
    let consent = shopee::authorization_url(
        &sim.base_url,
        c.app_key.as_deref().expect("id"),
        c.app_secret.as_deref().expect("key"),
        "https://hub.example/oauth/shopee/callback",
    )
    .expect("url");
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let redirect = client.get(consent).send().await.expect("consent");
    assert_eq!(redirect.status().as_u16(), 302);
    let location = url::Url::parse(redirect.headers()["location"].to_str().expect("text")).expect("url");
    let code = location.query_pairs().find(|(k, _)| k == "code").map(|(_, v)| v.into_owned()).expect("code");
    assert_eq!(location.query_pairs().find(|(k, _)| k == "shop_id").map(|(_, v)| v.into_owned()), c.shop_id.clone());

    let tokens = Arc::new(RecordingTokenStore::default());
    let mut credentials = c.clone();
    credentials.access_token = None;
    credentials.refresh_token = None;
    let conn = ShopeeConnector::new(config(&sim, credentials, tokens.clone())).expect("connector");
    let issued = conn.exchange_code(&code).await.expect("exchange");
    assert!(issued.access_token.is_some() && issued.refresh_token.is_some());
    conn.shop_identity().await.expect("the new token works");
    let again = conn.exchange_code(&code).await;
    assert!(matches!(again, Err(ConnectorError::Auth { ref code, .. }) if code == "invalid_code"), "{again:?}");
}

fn config(
    sim: &SimHandle,
    credentials: omnisync::channels::Credentials,
    tokens: Arc<dyn omnisync::channels::TokenStore>,
) -> ConnectorConfig {
    ConnectorConfig {
        kind: ChannelKind::Shopee,
        base_url: sim.base_url.clone(),
        country: "VN".into(),
        credentials,
        http: ApiClient::new("shopee", crate::helpers::hub_limiter(ChannelKind::Shopee), RetryPolicy::fast())
            .expect("client"),
        tokens,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limit_answer_is_waited_out_and_the_call_succeeds() {
    let sim = start_sim(ChannelKind::Shopee, 1);
    let throttled = ShopeeSim.rate_limited();
    assert_eq!(throttled.status().as_u16(), 429);
    sim.state.inject(Fault::RateLimit, 1);
    let identity = connector(&sim).shop_identity().await.expect("succeeds after waiting");
    assert_eq!(identity.name, omnisync::sim::shopee::SHOP_NAME);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_are_retried_until_the_call_succeeds() {
    let sim = start_sim(ChannelKind::Shopee, 1);
    sim.state.inject(Fault::ServerError, 2);
    connector(&sim).shop_identity().await.expect("third attempt succeeds");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unparseable_answer_is_a_parse_error_with_the_api_path() {
    let sim = start_sim(ChannelKind::Shopee, 1);
    // Under this prefix the simulator has no Shopee API: its answer is not Shopee JSON.
    let mut credentials = sim.state.credentials.clone();
    credentials.access_token_expires_at = None;
    let mut cfg = config(&sim, credentials, Arc::new(NoTokenStore));
    cfg.base_url = format!("{}/_sim", sim.base_url);
    let conn = ShopeeConnector::new(cfg).expect("connector");
    match conn.shop_identity().await {
        Err(ConnectorError::Parse { path, .. }) => assert_eq!(path, "/api/v2/shop/get_shop_info"),
        other => panic!("expected a parse error, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_built_by_the_simulator_verifies_and_one_changed_byte_is_refused() {
    let sim = start_sim(ChannelKind::Shopee, 2);
    let url = "http://127.0.0.1:9/shopee/push".to_owned();
    sim.state.set_webhook_url(Some(url.clone()));
    let order = sim.state.create_order(&[("SKU-0002-1".into(), 2)], None).await.expect("order");
    let push = ShopeeSim.order_webhook(&sim.state, &order, true).expect("Shopee pushes order status");
    let request = WebhookRequest { url: url.clone(), headers: push.headers.clone(), body: push.body.clone() };

    let events = connector(&sim).verify_webhook(&request).expect("verifies");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, EventKind::OrderStatusChanged);
    assert_eq!(events[0].external_order_id.as_deref(), Some(order_sn(&order).as_str()));
    assert_eq!(events[0].status_raw.as_deref(), Some("READY_TO_SHIP"));
    assert_eq!(
        connector(&sim).verify_webhook(&request).expect("again")[0].dedup_key,
        events[0].dedup_key,
        "stable dedup key"
    );

    let mut body = push.body.clone();
    let at = body.iter().position(|b| *b == b'3').expect("a digit");
    body[at] = b'4';
    let changed = WebhookRequest { url: url.clone(), headers: push.headers.clone(), body };
    assert!(matches!(connector(&sim).verify_webhook(&changed), Err(ConnectorError::BadWebhook(_))));
    let other_url =
        WebhookRequest { url: "http://127.0.0.1:9/shopee/push2".into(), headers: push.headers, body: push.body };
    assert!(
        matches!(connector(&sim).verify_webhook(&other_url), Err(ConnectorError::BadWebhook(_))),
        "the URL is signed too"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_actions_move_the_order_in_the_simulator() {
    let sim = start_sim(ChannelKind::Shopee, 3);
    let conn = connector(&sim);
    let to_ship = sim.state.create_order(&[("SKU-0002-2".into(), 1)], None).await.expect("order");
    let to_cancel = sim.state.create_order(&[("SKU-0001-1".into(), 1)], None).await.expect("order");
    let out_of_stock =
        sim.state.create_order(&[("SKU-0003-1".into(), 1), ("SKU-0002-1".into(), 2)], None).await.expect("order");

    let shipped = conn.order_action(&order_sn(&to_ship), &OrderAction::ReadyToShip).await.expect("ship");
    assert_eq!(shipped.status_raw.as_deref(), Some("PROCESSED"));
    assert_eq!(sim.state.store().order(to_ship.id).map(|o| o.status.clone()).as_deref(), Some("PROCESSED"));

    let cancelled = conn
        .order_action(&order_sn(&to_cancel), &OrderAction::Cancel { reason: "CUSTOMER_REQUEST".into() })
        .await
        .expect("cancel");
    assert_eq!(cancelled.status_raw.as_deref(), Some("CANCELLED"));
    let stored = sim.state.store().order(to_cancel.id).cloned().expect("order");
    assert_eq!((stored.status.as_str(), stored.cancel_reason.as_deref()), ("CANCELLED", Some("CUSTOMER_REQUEST")));

    conn.order_action(&order_sn(&out_of_stock), &OrderAction::Cancel { reason: "OUT_OF_STOCK".into() })
        .await
        .expect("names the items");

    let refused =
        conn.order_action(&order_sn(&to_ship), &OrderAction::Cancel { reason: "CUSTOMER_REQUEST".into() }).await;
    assert!(
        matches!(&refused, Err(ConnectorError::Api { code, message, .. }) if code == "order.error_limit" && message == "Can not cancel this order."),
        "{refused:?}"
    );
    let bad_reason =
        conn.order_action(&order_sn(&out_of_stock), &OrderAction::Cancel { reason: "changed my mind".into() }).await;
    assert!(matches!(&bad_reason, Err(ConnectorError::Api { code, .. }) if code == "error_param"), "{bad_reason:?}");
    assert!(matches!(
        conn.order_action(&order_sn(&to_ship), &OrderAction::PrintLabel).await,
        Err(ConnectorError::Unsupported(_))
    ));
}
