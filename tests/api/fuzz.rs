//! Randomised robustness (seeded, so failures reproduce): marketplace push and response parsers never panic on
//! any input, and the GraphQL endpoint never answers 5xx to random documents and variables.

use std::sync::Arc;

use actix_web::{App, HttpResponse, HttpServer, web};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use omnisync::channels::{ApiClient, Connector, ConnectorConfig, Credentials, Kind, NoTokenStore, RateLimiter, RetryPolicy, connector};
use omnisync::domain::channel::{OrderTimeField, StockPriceUpdate, WebhookRequest};

use crate::helpers::{Backend, spawn_app};

fn credentials() -> Credentials {
    Credentials {
        app_key: Some("100001".into()),
        app_secret: Some("secret".into()),
        api_key: Some("key".into()),
        access_token: Some("token".into()),
        refresh_token: Some("refresh".into()),
        access_token_expires_at: Some(chrono::Utc::now() + chrono::Duration::hours(4)),
        refresh_token_expires_at: Some(chrono::Utc::now() + chrono::Duration::days(30)),
        shop_id: Some("12345".into()),
        shop_cipher: Some("ROW_abc".into()),
        webhook_secret: Some("whsec".into()),
    }
}

fn build(kind: Kind, base_url: &str) -> Arc<dyn Connector> {
    omnisync::startup::install_tls_provider();
    let policy = RetryPolicy { max_attempts: 2, max_rate_limit_wait: std::time::Duration::from_millis(20), ..RetryPolicy::fast() };
    let http = ApiClient::new(kind.as_str(), RateLimiter::new(10_000, "fuzz", None), policy).expect("client");
    connector(ConnectorConfig { kind, base_url: base_url.into(), country: "VN".into(), credentials: credentials(), http, tokens: Arc::new(NoTokenStore) })
        .expect("connector")
}

/// Random JSON: nested objects and arrays with the field names marketplaces use, values of the wrong types.
fn random_json(rng: &mut StdRng, depth: u32) -> Value {
    const KEYS: &[&str] = &[
        "code", "data", "response", "message", "error", "products", "skus", "items", "orders", "order_list", "item_id", "SellerSku",
        "seller_sku", "model_sku", "original_sku", "price", "quantity", "status", "order_status", "order_id", "order_sn", "more",
        "next_cursor", "next_page_token", "total", "count", "variants", "sku", "id", "created_at", "update_time", "paging",
    ];
    match rng.random_range(0..if depth > 3 { 5 } else { 8 }) {
        0 => Value::Null,
        1 => json!(rng.random::<i64>()),
        2 => json!(rng.random::<f64>() * 1e6),
        3 => json!(["0", "", "abc", "2026-11-30T00:00:00+07:00", "-1", "1e309"][rng.random_range(0..6)]),
        4 => json!(rng.random::<bool>()),
        5 | 6 => Value::Object((0..rng.random_range(0..6)).map(|_| (KEYS[rng.random_range(0..KEYS.len())].to_owned(), random_json(rng, depth + 1))).collect()),
        _ => Value::Array((0..rng.random_range(0..4)).map(|_| random_json(rng, depth + 1)).collect()),
    }
}

fn random_body(rng: &mut StdRng) -> Vec<u8> {
    match rng.random_range(0..4) {
        0 => (0..rng.random_range(0..200)).map(|_| rng.random::<u8>()).collect(),
        1 => {
            let text = random_json(rng, 0).to_string();
            let cut = rng.random_range(0..=text.len());
            text.as_bytes()[..cut].to_vec()
        }
        _ => random_json(rng, 0).to_string().into_bytes(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_parsers_of_every_marketplace_never_panic_on_random_input() {
    let mut rng = StdRng::seed_from_u64(2026);
    for kind in Kind::ALL {
        let connector = build(kind, "http://127.0.0.1:9");
        for _ in 0..1500 {
            let body = random_body(&mut rng);
            let signature = if rng.random() { hex::encode((0..32).map(|_| rng.random::<u8>()).collect::<Vec<u8>>()) } else { String::from_utf8_lossy(&random_body(&mut rng)).into_owned() };
            let headers = ["Authorization", "authorization", "X-Webstore-Hmac-Sha256", "X-Webstore-Event-Id", "X-Webstore-Topic"]
                .iter()
                .filter(|_| rng.random_bool(0.7))
                .map(|h| ((*h).to_owned(), signature.clone()))
                .collect();
            // Errors are expected; a panic fails the test.
            let _ = connector.verify_webhook(&WebhookRequest { url: "http://hub.example/webhooks/1".into(), headers, body });
        }
    }
}

/// A server answering every request with a random status and random bytes.
fn garbage_server() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    let address = format!("http://{}", listener.local_addr().expect("addr"));
    let rng = Arc::new(std::sync::Mutex::new(StdRng::seed_from_u64(77)));
    let server = HttpServer::new(move || {
        let rng = rng.clone();
        App::new().default_service(web::to(move || {
            let rng = rng.clone();
            async move {
                let (status, body, retry) = {
                    let mut rng = rng.lock().unwrap_or_else(|p| p.into_inner());
                    let status = [200u16, 200, 200, 200, 400, 401, 403, 404, 429, 500, 503][rng.random_range(0..11)];
                    (status, random_body(&mut rng), rng.random_bool(0.3))
                };
                let mut response = HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap_or(actix_web::http::StatusCode::OK));
                if retry {
                    response.insert_header(("Retry-After", "0"));
                }
                response.content_type("application/json").body(body)
            }
        }))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .expect("listen")
    .run();
    tokio::spawn(server);
    address
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn response_parsers_of_every_marketplace_never_panic_on_random_answers() {
    let base = garbage_server();
    let from = chrono::Utc::now() - chrono::Duration::days(2);
    let to = chrono::Utc::now();
    for kind in Kind::ALL {
        let connector = build(kind, &base);
        for i in 0..40 {
            // Each call ends in Ok or a typed error; the task must not panic.
            let c = connector.clone();
            let outcome = tokio::spawn(async move {
                match i % 5 {
                    0 => c.shop_identity().await.map(|_| ()),
                    1 => c.list_listings().await.map(|_| ()),
                    2 => c.list_orders(from, to, OrderTimeField::Updated).await.map(|_| ()),
                    3 => c.get_orders(&["1".into(), "2".into()]).await.map(|_| ()),
                    _ => c
                        .update_stock_price(&[StockPriceUpdate { external_product_id: "1".into(), external_sku_id: "2".into(), seller_sku: Some("S".into()), quantity: Some(3), price_minor: Some(1000) }])
                        .await
                        .map(|_| ()),
                }
            })
            .await;
            assert!(outcome.is_ok(), "{kind:?} call {i} panicked");
        }
    }
}

/// Random documents built from the schema's words, random variables and random bytes: never a 5xx.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_graphql_endpoint_never_answers_5xx_to_random_documents() {
    let Some(app) = spawn_app(Backend::Sqlite).await else { return };
    let mut rng = StdRng::seed_from_u64(42);
    const WORDS: &[&str] = &[
        "query", "mutation", "subscription", "{", "}", "(", ")", ":", "$x", "...", "on", "products", "product", "variants", "edges", "node", "id",
        "title", "first", "after", "\"abc\"", "100000", "-1", "null", "true", "warehouses", "inventoryAdjustQuantities", "input", "changes",
        "productCreate", "userErrors", "code", "field", "syncRuns", "channels", "__schema", "types", "name", "@include(if: true)", "[", "]",
        "fragment", "F", "totalCount", "productLinks", "channelId", "view", "LINK_ERROR", "syncErrors", "filter",
    ];
    for i in 0..400 {
        let document: String = (0..rng.random_range(1..40)).map(|_| WORDS[rng.random_range(0..WORDS.len())]).collect::<Vec<_>>().join(" ");
        let body = if i % 10 == 9 {
            String::from_utf8_lossy(&random_body(&mut rng)).into_owned()
        } else {
            json!({ "query": document, "variables": random_json(&mut rng, 0) }).to_string()
        };
        let response = app
            .client
            .post(format!("{}/graphql", app.address))
            .bearer_auth(&app.token)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .expect("an answer");
        assert!(response.status().as_u16() < 500, "{} for {body}", response.status());
    }
    app.cleanup().await;
}
