//! webstore connector against its simulator, over real HTTP.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use omnisync::channels::webstore::{API_PREFIX, ProductDraft, SET_BATCH_MAX, VariantDraft, WebstoreConnector, sign};
use omnisync::channels::{
    ApiClient, ChannelKind, Connector, ConnectorConfig, ConnectorError, Credentials, NoTokenStore, RetryPolicy,
};
use omnisync::domain::channel::{EventKind, OrderAction, OrderTimeField, StockPriceUpdate, WebhookRequest};
use omnisync::sim::webstore::WebstoreSim;
use omnisync::sim::{Fault, MarketplaceSim, SimHandle};
use serde_json::{Value, json};

use crate::helpers::connector_for;

/// A web store simulator. The TLS provider goes first: `sim::start` builds a reqwest client, which needs one.
fn start_sim(kind: ChannelKind, seed_products: usize) -> SimHandle {
    omnisync::startup::install_tls_provider();
    crate::helpers::start_sim(kind, seed_products)
}

/// The concrete connector (for `create_hidden_product`), with the given base URL and credentials.
fn webstore_connector(base_url: &str, credentials: Credentials) -> WebstoreConnector {
    omnisync::startup::install_tls_provider();
    let http = ApiClient::new("webstore", crate::helpers::hub_limiter(ChannelKind::Webstore), RetryPolicy::fast())
        .expect("client");
    WebstoreConnector::new(ConnectorConfig {
        kind: ChannelKind::Webstore,
        base_url: base_url.to_owned(),
        country: "VN".into(),
        credentials,
        http,
        tokens: Arc::new(NoTokenStore),
    })
    .expect("connector")
}

fn connector(sim: &SimHandle) -> Arc<dyn Connector> {
    connector_for(sim, Arc::new(NoTokenStore))
}

fn raw_client() -> reqwest::Client {
    omnisync::startup::install_tls_provider();
    reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("client")
}

fn store_skus(sim: &SimHandle) -> HashSet<String> {
    sim.state.store().products.iter().flat_map(|p| p.skus.iter().map(|s| s.seller_sku.clone())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_walk_over_a_thousand_listings_returns_every_sku_exactly_once() {
    let sim = start_sim(ChannelKind::Webstore, 500);
    {
        use rand::SeedableRng;
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        sim.state.store().add_product(&mut rng, "Thêm", "EXTRA-", 1, 3);
    }
    let expected = store_skus(&sim);
    assert!(expected.len() >= 1000, "the store holds {} SKUs", expected.len());

    let listings = connector(&sim).list_listings().await.expect("listings");

    let skus: Vec<String> = listings.iter().map(|l| l.seller_sku.clone().expect("every variant has a SKU")).collect();
    let unique: HashSet<String> = skus.iter().cloned().collect();
    assert_eq!(skus.len(), unique.len(), "no SKU twice");
    assert_eq!(unique, expected, "every SKU of the store");
    let store = sim.state.store();
    let (product, sku) = store.sku_by_seller_sku("SKU-0003-2").expect("seeded");
    let listing = listings.iter().find(|l| l.seller_sku.as_deref() == Some("SKU-0003-2")).expect("listed");
    assert_eq!(listing.external_product_id, product.id.to_string());
    assert_eq!(listing.external_sku_id, sku.id.to_string());
    assert_eq!(listing.price_minor, Some(sku.price));
    assert_eq!(listing.list_price_minor, Some(sku.list_price));
    assert_eq!(listing.quantity, Some(sku.quantity));
    assert_eq!(listing.options, sku.options);
    assert_eq!(listing.status.as_deref(), Some("active"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stock_and_price_update_of_500_skus_takes_the_minimum_number_of_calls_and_lands_in_the_store() {
    let sim = start_sim(ChannelKind::Webstore, 300);
    let connector = connector(&sim);
    let listings = connector.list_listings().await.expect("listings");
    let updates: Vec<StockPriceUpdate> = listings
        .iter()
        .take(500)
        .enumerate()
        .map(|(i, l)| StockPriceUpdate {
            external_product_id: l.external_product_id.clone(),
            external_sku_id: l.external_sku_id.clone(),
            seller_sku: l.seller_sku.clone(),
            quantity: Some(i as i64),
            price_minor: Some(100_000 + i as i64 * 1000),
            sale: None,
        })
        .collect();
    assert_eq!(updates.len(), 500);

    let report = connector.update_stock_price(&updates).await.expect("update");

    assert_eq!(report.calls, 500usize.div_ceil(SET_BATCH_MAX), "ceil(500 / {SET_BATCH_MAX}) calls");
    assert_eq!(report.calls, 5);
    assert_eq!(report.results.len(), 500);
    assert!(report.results.iter().all(|r| r.ok), "all accepted: {:?}", report.results.iter().find(|r| !r.ok));
    let store = sim.state.store();
    for update in &updates {
        let (_, sku) = store.sku_by_seller_sku(update.seller_sku.as_deref().expect("sku")).expect("in the store");
        assert_eq!(Some(sku.quantity), update.quantity);
        assert_eq!(Some(sku.price), update.price_minor);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_variant_in_a_batch_is_reported_without_stopping_the_others() {
    let sim = start_sim(ChannelKind::Webstore, 3);
    let connector = connector(&sim);
    let listing = connector.list_listings().await.expect("listings").remove(0);
    let updates = vec![
        StockPriceUpdate {
            external_product_id: "1".into(),
            external_sku_id: "999999999".into(),
            seller_sku: None,
            quantity: Some(1),
            price_minor: None,
            sale: None,
        },
        StockPriceUpdate {
            external_product_id: listing.external_product_id.clone(),
            external_sku_id: listing.external_sku_id.clone(),
            seller_sku: listing.seller_sku.clone(),
            quantity: Some(42),
            price_minor: None,
            sale: None,
        },
    ];
    let report = connector.update_stock_price(&updates).await.expect("update");
    assert_eq!(report.calls, 1);
    assert!(!report.results[0].ok);
    assert!(report.results[0].error.as_deref().expect("error").starts_with("not_found"), "{:?}", report.results[0]);
    assert!(report.results[1].ok);
    assert_eq!(
        sim.state.store().sku_by_seller_sku(listing.seller_sku.as_deref().expect("sku")).expect("sku").1.quantity,
        42
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_walk_across_90_days_finds_every_order_once_with_its_lines() {
    let sim = start_sim(ChannelKind::Webstore, 20);
    let now = Utc::now();
    let start = now - chrono::Duration::days(90);
    let mut created = HashSet::new();
    // 300 orders (more than one 250-order page), every 7.2 hours over 90 days.
    for i in 0..300i64 {
        let at = start + chrono::Duration::minutes(i * 432) + chrono::Duration::seconds(1);
        let sku = format!("SKU-{:04}-1", (i % 20) + 1);
        let order =
            sim.state.create_order(&[(sku, 1 + i % 3), ("SKU-0002-2".into(), 1)], Some(at)).await.expect("order");
        created.insert(order.id.to_string());
    }
    let outside = sim
        .state
        .create_order(&[("SKU-0001-1".into(), 1)], Some(now - chrono::Duration::days(100)))
        .await
        .expect("order");
    let connector = connector(&sim);

    let found = connector.list_orders(start, now, OrderTimeField::Created).await.expect("orders");

    let ids: Vec<String> = found.iter().map(|o| o.external_id.clone()).collect();
    assert_eq!(ids.len(), 300, "each order once");
    assert_eq!(ids.iter().cloned().collect::<HashSet<_>>(), created);
    assert!(!ids.contains(&outside.id.to_string()), "an order before the range is not found");
    assert!(found.iter().all(|o| o.status_raw.as_deref() == Some("open")));

    let by_update = connector.list_orders(start, now, OrderTimeField::Updated).await.expect("orders by update");
    assert_eq!(by_update.len(), 300);

    let orders = connector.get_orders(&ids).await.expect("details");
    assert_eq!(orders.len(), 300);
    let store = sim.state.store();
    for order in &orders {
        let sim_order = store.order(order.external_id.parse().expect("numeric id")).expect("in the store");
        assert_eq!(order.status_raw, "open");
        assert_eq!(order.currency, "VND");
        assert_eq!(order.lines.len(), 2);
        assert_eq!(order.total_minor, sim_order.total());
        assert_eq!(order.shipping_fee_minor, sim_order.shipping_fee);
        assert_eq!((order.created_at - sim_order.created_at).num_milliseconds(), 0, "times survive the store offset");
        for (line, sim_line) in order.lines.iter().zip(&sim_order.lines) {
            assert_eq!(line.seller_sku.as_deref(), Some(sim_line.seller_sku.as_str()));
            assert_eq!(line.quantity, sim_line.quantity);
            assert_eq!(line.price_minor, sim_line.price);
            assert_eq!(line.external_sku_id, Some(sim_line.sku_id.to_string()));
        }
    }
    assert!(
        orders.iter().all(|o| o.lines[1].variant_title.as_deref() == Some("Xanh / XL")),
        "variant titles from the options"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_whose_secret_is_off_by_one_character_is_refused_with_unauthorized() {
    let sim = start_sim(ChannelKind::Webstore, 1);
    let key = sim.state.credentials.api_key.clone().expect("key");
    let secret = sim.state.credentials.app_secret.clone().expect("secret");
    let mut wrong = secret.clone();
    let last = wrong.pop().expect("non-empty");
    wrong.push(if last == '0' { '1' } else { '0' });
    let url = format!("{}{API_PREFIX}/shop.json", sim.base_url);
    let client = raw_client();

    let refused =
        client.get(&url).header("Authorization", sign::basic_authorization(&key, &wrong)).send().await.expect("sent");
    assert_eq!(refused.status().as_u16(), 401);
    let body: Value = refused.json().await.expect("JSON error");
    assert_eq!(body["error"]["code"], "unauthorized");
    assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));

    let missing = client.get(&url).send().await.expect("sent");
    assert_eq!(missing.status().as_u16(), 401);

    let accepted =
        client.get(&url).header("Authorization", sign::basic_authorization(&key, &secret)).send().await.expect("sent");
    assert_eq!(accepted.status().as_u16(), 200);
    let body: Value = accepted.json().await.expect("JSON");
    assert_eq!(body["shop"]["currency"], "VND");

    let credentials = Credentials { app_secret: Some(wrong), ..sim.state.credentials.clone() };
    let err = webstore_connector(&sim.base_url, credentials).shop_identity().await.expect_err("refused");
    assert!(matches!(&err, ConnectorError::Auth { code, .. } if code == "unauthorized"), "{err:?}");
    let shop = connector(&sim).shop_identity().await.expect("identity");
    assert_eq!((shop.external_id.as_str(), shop.country.as_deref()), ("1001", Some("VN")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limit_answer_is_waited_out_and_the_call_then_succeeds() {
    let sim = start_sim(ChannelKind::Webstore, 1);
    sim.state.inject(Fault::RateLimit, 1);
    let raw = raw_client()
        .get(format!("{}{API_PREFIX}/shop.json", sim.base_url))
        .header("Authorization", sign::basic_authorization("any", "thing"))
        .send()
        .await
        .expect("sent");
    assert_eq!(raw.status().as_u16(), 429);
    assert_eq!(raw.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("1.0"));
    let body: Value = raw.json().await.expect("JSON");
    assert_eq!(body["error"]["code"], "too_many_requests");

    sim.state.inject(Fault::RateLimit, 1);
    let started = Instant::now();
    let shop = connector(&sim).shop_identity().await.expect("succeeds after the wait");
    assert_eq!(shop.external_id, "1001");
    assert!(started.elapsed() >= Duration::from_millis(900), "waited as Retry-After said: {:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_are_retried_until_the_call_succeeds() {
    let sim = start_sim(ChannelKind::Webstore, 10);
    sim.state.inject(Fault::ServerError, 2);
    let listings = connector(&sim).list_listings().await.expect("succeeds on the third attempt");
    assert_eq!(listings.len(), sim.state.store().sku_count());
}

/// A server that answers every request with an HTML maintenance page.
async fn html_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("port");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buf = [0u8; 4096];
            let _ = socket.read(&mut buf).await;
            let page = "<html>store under maintenance</html>";
            let reply = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
                page.len()
            );
            let _ = socket.write_all(reply.as_bytes()).await;
        }
    });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unparseable_answer_becomes_a_parse_error_with_the_path_and_body() {
    let base = html_server().await;
    let err = webstore_connector(&base, omnisync::sim::webstore::sim_credentials())
        .shop_identity()
        .await
        .expect_err("unreadable");
    match err {
        ConnectorError::Parse { path, body, .. } => {
            assert_eq!(path, format!("{API_PREFIX}/shop.json"));
            assert!(body.contains("maintenance"), "{body}");
        }
        other => panic!("expected a parse error, got {other:?}"),
    }
}

fn webhook_request(headers: Vec<(String, String)>, body: Vec<u8>) -> WebhookRequest {
    WebhookRequest { url: "https://hub.example/webhooks/webstore".into(), headers, body }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_built_by_the_simulator_verifies_and_the_same_push_with_one_byte_changed_is_refused() {
    let sim = start_sim(ChannelKind::Webstore, 3);
    let order = sim.state.create_order(&[("SKU-0001-1".into(), 2)], None).await.expect("order");
    let push = WebstoreSim.order_webhook(&sim.state, &order, true).expect("the store pushes orders");
    let connector = connector(&sim);

    let events = connector.verify_webhook(&webhook_request(push.headers.clone(), push.body.clone())).expect("verifies");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, EventKind::OrderCreated);
    assert_eq!(events[0].external_order_id.as_deref(), Some(order.id.to_string().as_str()));
    assert_eq!(events[0].status_raw.as_deref(), Some("open"));
    let again = connector.verify_webhook(&webhook_request(push.headers.clone(), push.body.clone())).expect("verifies");
    assert_eq!(again[0].dedup_key, events[0].dedup_key, "a redelivery has the same dedup key");

    let mut tampered = push.body.clone();
    let at = tampered.iter().position(|b| *b == b'2').expect("the quantity digit");
    tampered[at] = b'9';
    let err = connector.verify_webhook(&webhook_request(push.headers.clone(), tampered)).expect_err("refused");
    assert!(matches!(err, ConnectorError::BadWebhook(_)), "{err:?}");
    let unsigned: Vec<(String, String)> =
        push.headers.iter().filter(|(k, _)| k != sign::WEBHOOK_SIGNATURE_HEADER).cloned().collect();
    assert!(matches!(
        connector.verify_webhook(&webhook_request(unsigned, push.body)),
        Err(ConnectorError::BadWebhook(_))
    ));
}

/// Pushes a receiver got: (headers, body) each.
type Received = Arc<Mutex<Vec<(Vec<(String, String)>, Vec<u8>)>>>;

/// A local webhook receiver; returns its URL and the pushes it got.
async fn webhook_receiver() -> (String, Received) {
    use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
    let received: Received = Arc::default();
    let sink = received.clone();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    let addr = listener.local_addr().expect("addr");
    let server = HttpServer::new(move || {
        let sink = sink.clone();
        App::new().route(
            "/hook",
            web::post().to(move |req: HttpRequest, body: web::Bytes| {
                let sink = sink.clone();
                async move {
                    let headers = req
                        .headers()
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_owned()))
                        .collect();
                    sink.lock().expect("lock").push((headers, body.to_vec()));
                    HttpResponse::Ok().finish()
                }
            }),
        )
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .expect("listen")
    .run();
    tokio::spawn(server);
    (format!("http://{addr}/hook"), received)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_actions_move_the_order_in_the_simulator_and_fire_signed_pushes() {
    let sim = start_sim(ChannelKind::Webstore, 3);
    let (url, received) = webhook_receiver().await;
    sim.state.set_webhook_url(Some(url));
    let connector = connector(&sim);
    let order = sim.state.create_order(&[("SKU-0002-1".into(), 1)], None).await.expect("order");
    let id = order.id.to_string();

    let shipped = connector.order_action(&id, &OrderAction::ReadyToShip).await.expect("fulfilled");
    assert_eq!(shipped.status_raw.as_deref(), Some("fulfilled"));
    assert_eq!(sim.state.store().order(order.id).expect("order").status, "fulfilled");
    let again = connector.order_action(&id, &OrderAction::ReadyToShip).await.expect_err("already fulfilled");
    assert!(matches!(&again, ConnectorError::Api { code, .. } if code == "invalid_order_state"), "{again:?}");

    let cancelled =
        connector.order_action(&id, &OrderAction::Cancel { reason: "hết hàng".into() }).await.expect("cancelled");
    assert_eq!(cancelled.status_raw.as_deref(), Some("cancelled"));
    {
        let store = sim.state.store();
        let stored = store.order(order.id).expect("order");
        assert_eq!((stored.status.as_str(), stored.cancel_reason.as_deref()), ("cancelled", Some("hết hàng")));
    }
    let err =
        connector.order_action(&id, &OrderAction::Cancel { reason: "x".into() }).await.expect_err("already cancelled");
    assert!(matches!(&err, ConnectorError::Api { code, .. } if code == "invalid_order_state"), "{err:?}");
    let missing = connector.order_action("424242424", &OrderAction::ReadyToShip).await.expect_err("no such order");
    assert!(matches!(&missing, ConnectorError::Api { code, .. } if code == "not_found"), "{missing:?}");
    assert!(matches!(connector.order_action(&id, &OrderAction::PrintLabel).await, Err(ConnectorError::Unsupported(_))));
    assert!(matches!(
        connector.order_action(&id, &OrderAction::AwaitPickup).await,
        Err(ConnectorError::Unsupported(_))
    ));

    // Delivered before each call returned: created, updated (fulfilled), cancelled.
    let pushes = received.lock().expect("lock").clone();
    let kinds: Vec<(EventKind, Option<String>)> = pushes
        .into_iter()
        .map(|(headers, body)| {
            let event =
                connector.verify_webhook(&webhook_request(headers, body)).expect("a delivered push verifies").remove(0);
            (event.kind, event.status_raw)
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            (EventKind::OrderCreated, Some("open".into())),
            (EventKind::OrderStatusChanged, Some("fulfilled".into())),
            (EventKind::OrderStatusChanged, Some("cancelled".into())),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_product_is_created_hidden_and_listed_as_hidden() {
    let sim = start_sim(ChannelKind::Webstore, 2);
    let connector = webstore_connector(&sim.base_url, sim.state.credentials.clone());
    let variant = |sku: &str, colour: &str| VariantDraft {
        seller_sku: sku.into(),
        price_minor: 199_000,
        list_price_minor: Some(249_000),
        quantity: 5,
        options: vec![("Màu".into(), colour.into())],
    };
    let draft = ProductDraft {
        title: "Áo mới".into(),
        variants: vec![variant("NEW-RED", "Đỏ"), variant("NEW-BLUE", "Xanh")],
    };

    let created = connector.create_hidden_product(&draft).await.expect("created");

    assert_eq!(created.len(), 2);
    assert!(created.iter().all(|l| l.status.as_deref() == Some("hidden")));
    assert_eq!(created[0].seller_sku.as_deref(), Some("NEW-RED"));
    assert_eq!(created[0].options, vec![("Màu".to_owned(), "Đỏ".to_owned())]);
    assert_eq!(
        (created[0].price_minor, created[0].list_price_minor, created[0].quantity),
        (Some(199_000), Some(249_000), Some(5))
    );
    {
        let store = sim.state.store();
        let (product, _) = store.sku_by_seller_sku("NEW-BLUE").expect("in the store");
        assert!(product.hidden, "hidden from the storefront");
    }
    let listed = connector.list_listings().await.expect("listings");
    assert!(
        listed.iter().any(|l| l.seller_sku.as_deref() == Some("NEW-BLUE") && l.status.as_deref() == Some("hidden"))
    );

    let err = connector.create_hidden_product(&draft).await.expect_err("SKUs taken");
    assert!(matches!(&err, ConnectorError::Api { code, .. } if code == "duplicate_sku"), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulator_enforces_page_and_batch_maxima_with_its_error_shape() {
    let sim = start_sim(ChannelKind::Webstore, 1);
    let credentials = &sim.state.credentials;
    let auth = sign::basic_authorization(
        credentials.api_key.as_deref().expect("key"),
        credentials.app_secret.as_deref().expect("secret"),
    );
    let client = raw_client();

    let page = client
        .get(format!("{}{API_PREFIX}/products.json?limit=251", sim.base_url))
        .header("Authorization", &auth)
        .send()
        .await
        .expect("sent");
    assert_eq!(page.status().as_u16(), 400);
    assert_eq!(page.json::<Value>().await.expect("JSON")["error"]["code"], "invalid_parameter");

    let items: Vec<Value> =
        (0..SET_BATCH_MAX + 1).map(|i| json!({ "sku": format!("X-{i}"), "inventory_quantity": 1 })).collect();
    let batch = client
        .post(format!("{}{API_PREFIX}/variants/set_batch.json", sim.base_url))
        .header("Authorization", &auth)
        .json(&json!({ "variants": items }))
        .send()
        .await
        .expect("sent");
    assert_eq!(batch.status().as_u16(), 400);
    assert_eq!(batch.json::<Value>().await.expect("JSON")["error"]["code"], "batch_too_large");

    let ids = (1..=101).map(|i| i.to_string()).collect::<Vec<_>>().join(",");
    let by_id = client
        .get(format!("{}{API_PREFIX}/orders.json?ids={ids}", sim.base_url))
        .header("Authorization", &auth)
        .send()
        .await
        .expect("sent");
    assert_eq!(by_id.status().as_u16(), 400);
    assert_eq!(by_id.json::<Value>().await.expect("JSON")["error"]["code"], "invalid_parameter");
}
