//! Property-based robustness (proptest; a failure prints the shrunk input that caused it): marketplace push and
//! response parsers never panic on any input, and the GraphQL endpoint never answers 5xx to random documents and
//! variables.

use std::sync::{Arc, Mutex};

use actix_web::{App, HttpResponse, HttpServer, web};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};

use omnisync::channels::{
    ApiClient, ChannelKind, Connector, ConnectorConfig, Credentials, NoTokenStore, RateLimiter, RetryPolicy, connector,
};
use omnisync::domain::channel::{OrderTimeField, StockPriceUpdate, WebhookRequest};

use crate::helpers::{Backend, all_kinds, slug, spawn_app};

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

fn build(kind: ChannelKind, base_url: &str) -> Arc<dyn Connector> {
    omnisync::startup::install_tls_provider();
    let policy = RetryPolicy {
        max_attempts: 2,
        max_rate_limit_wait: std::time::Duration::from_millis(20),
        ..RetryPolicy::fast()
    };
    let http = ApiClient::new(slug(kind), RateLimiter::new(10_000, "fuzz", None), policy).expect("client");
    connector(ConnectorConfig {
        kind,
        base_url: base_url.into(),
        country: "VN".into(),
        credentials: credentials(),
        http,
        tokens: Arc::new(NoTokenStore),
    })
    .expect("connector")
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() })
}

/// JSON shaped like marketplace answers: nested objects and arrays with the field names they use, values of the
/// wrong types.
fn marketplace_json() -> impl Strategy<Value = Value> {
    const KEYS: &[&str] = &[
        "code",
        "data",
        "response",
        "message",
        "error",
        "products",
        "skus",
        "items",
        "orders",
        "order_list",
        "item_id",
        "SellerSku",
        "seller_sku",
        "model_sku",
        "original_sku",
        "price",
        "quantity",
        "status",
        "order_status",
        "order_id",
        "order_sn",
        "more",
        "next_cursor",
        "next_page_token",
        "total",
        "count",
        "variants",
        "sku",
        "id",
        "created_at",
        "update_time",
        "paging",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map(Value::Number).unwrap_or(Value::Null)),
        any::<bool>().prop_map(Value::Bool),
        prop::sample::select(vec!["0", "", "abc", "2026-11-30T00:00:00+07:00", "-1", "1e309", "null"])
            .prop_map(|s| json!(s)),
        "[ -~]{0,16}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..6)
                .prop_map(|fields| Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
        ]
    })
}

/// A body: random bytes, marketplace-like JSON, or such JSON cut short.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..200),
        marketplace_json().prop_map(|v| v.to_string().into_bytes()),
        (marketplace_json(), any::<prop::sample::Index>()).prop_map(|(v, cut)| {
            let text = v.to_string().into_bytes();
            let at = cut.index(text.len() + 1);
            text[..at].to_vec()
        }),
    ]
}

#[test]
fn push_parsers_of_every_marketplace_never_panic_on_any_input() {
    const HEADERS: [&str; 5] =
        ["Authorization", "authorization", "X-Webstore-Hmac-Sha256", "X-Webstore-Event-Id", "X-Webstore-Topic"];
    for kind in all_kinds() {
        let connector = build(kind, "http://127.0.0.1:9");
        let signature = prop_oneof![prop::collection::vec(any::<u8>(), 32).prop_map(hex::encode), "[ -~]{0,80}"];
        let input = (body(), signature, prop::collection::vec(any::<bool>(), HEADERS.len()));
        runner(500)
            .run(&input, |(body, signature, present)| {
                let headers = HEADERS
                    .iter()
                    .zip(present)
                    .filter(|(_, on)| *on)
                    .map(|(h, _)| ((*h).to_owned(), signature.clone()))
                    .collect();
                // Errors are expected; a panic fails the property.
                let _ = connector.verify_webhook(&WebhookRequest {
                    url: "http://hub.example/webhooks/1".into(),
                    headers,
                    body,
                });
                Ok(())
            })
            .unwrap_or_else(|failure| panic!("{kind:?}: {failure}"));
    }
}

/// The answer the stand-in marketplace gives to every request: status, body, and whether it says "retry after".
type Answer = (u16, Vec<u8>, bool);

/// A server answering every request with the answer the property under test chose.
fn scripted_server(answer: Arc<Mutex<Answer>>) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    let address = format!("http://{}", listener.local_addr().expect("addr"));
    let server = HttpServer::new(move || {
        let answer = answer.clone();
        App::new().default_service(web::to(move || {
            let answer = answer.clone();
            async move {
                let (status, body, retry) = answer.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
                let mut response = HttpResponse::build(
                    actix_web::http::StatusCode::from_u16(status).unwrap_or(actix_web::http::StatusCode::OK),
                );
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

#[test]
fn response_parsers_of_every_marketplace_never_panic_on_any_answer() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let answer: Arc<Mutex<Answer>> = Arc::new(Mutex::new((200, Vec::new(), false)));
    let base = rt.block_on(async { scripted_server(answer.clone()) });
    let from = chrono::Utc::now() - chrono::Duration::days(2);
    let to = chrono::Utc::now();
    let status = prop::sample::select(vec![200u16, 200, 200, 200, 400, 401, 403, 404, 429, 500, 503]);
    for kind in all_kinds() {
        let connector = build(kind, &base);
        runner(60)
            .run(&(status.clone(), body(), any::<bool>(), 0..5u8), |(status, body, retry, call)| {
                *answer.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = (status, body, retry);
                let c = connector.clone();
                // Each call ends in Ok or a typed error; a panic of the task fails the property.
                let outcome = rt.block_on(rt.spawn(async move {
                    match call {
                        0 => c.shop_identity().await.map(|_| ()),
                        1 => c.list_listings().await.map(|_| ()),
                        2 => c.list_orders(from, to, OrderTimeField::Updated).await.map(|_| ()),
                        3 => c.get_orders(&["1".into(), "2".into()]).await.map(|_| ()),
                        _ => c
                            .update_stock_price(&[StockPriceUpdate {
                                external_product_id: "1".into(),
                                external_sku_id: "2".into(),
                                seller_sku: Some("S".into()),
                                quantity: Some(3),
                                price_minor: Some(1000),
                                sale: None,
                            }])
                            .await
                            .map(|_| ()),
                    }
                }));
                prop_assert!(outcome.is_ok(), "{kind:?} call {call} panicked");
                Ok(())
            })
            .unwrap_or_else(|failure| panic!("{kind:?}: {failure}"));
    }
}

/// Random documents built from the schema's words, random variables and random bytes: never a 5xx.
#[test]
fn the_graphql_endpoint_never_answers_5xx_to_random_documents() {
    const WORDS: &[&str] = &[
        "query",
        "mutation",
        "subscription",
        "{",
        "}",
        "(",
        ")",
        ":",
        "$x",
        "...",
        "on",
        "products",
        "product",
        "variants",
        "edges",
        "node",
        "id",
        "title",
        "first",
        "after",
        "\"abc\"",
        "100000",
        "-1",
        "null",
        "true",
        "warehouses",
        "inventoryAdjustQuantities",
        "input",
        "changes",
        "productCreate",
        "userErrors",
        "code",
        "field",
        "syncRuns",
        "channels",
        "__schema",
        "types",
        "name",
        "@include(if: true)",
        "[",
        "]",
        "fragment",
        "F",
        "totalCount",
        "productLinks",
        "channelId",
        "view",
        "LINK_ERROR",
        "syncErrors",
        "filter",
    ];
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let Some(app) = rt.block_on(spawn_app(Backend::Sqlite)) else { return };
    let document = prop::collection::vec(prop::sample::select(WORDS), 1..40).prop_map(|words| words.join(" "));
    let request = prop_oneof![
        9 => (document, marketplace_json()).prop_map(|(query, variables)| json!({ "query": query, "variables": variables }).to_string()),
        1 => body().prop_map(|bytes| String::from_utf8_lossy(&bytes).into_owned()),
    ];
    let result = runner(300).run(&request, |body| {
        let status = rt.block_on(async {
            app.client
                .post(format!("{}/graphql", app.address))
                .bearer_auth(&app.token)
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .await
                .map(|r| r.status().as_u16())
        });
        let status = status.map_err(|e| TestCaseError::fail(format!("no answer: {e}")))?;
        prop_assert!(status < 500, "{} for {}", status, body);
        Ok(())
    });
    rt.block_on(app.cleanup());
    result.unwrap_or_else(|failure| panic!("{failure}"));
}
