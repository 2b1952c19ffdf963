//! The control API every simulator serves under `/_sim`: inspect state, seed, place orders and move their
//! statuses (which fires the marketplace's push), expire tokens, and inject faults. Not part of any real API.

use std::sync::Arc;

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::{Fault, FaultRates, SimState};

type State = web::Data<Arc<SimState>>;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/_sim")
            .route("/info", web::get().to(info))
            .route("/faults", web::post().to(faults))
            .route("/tokens/expire", web::post().to(expire_tokens))
            .route("/webhook", web::post().to(set_webhook))
            .route("/products", web::get().to(products))
            .route("/products", web::post().to(add_products))
            .route("/orders", web::get().to(orders))
            .route("/orders", web::post().to(create_order))
            .route("/orders/{id}/status", web::post().to(set_status))
            .route("/oauth/authorize", web::get().to(authorize)),
    );
}

fn bad(message: impl Into<String>) -> HttpResponse {
    HttpResponse::BadRequest().json(json!({ "error": message.into() }))
}

async fn info(state: State) -> HttpResponse {
    let store = state.store();
    HttpResponse::Ok().json(json!({
        "kind": state.slug(),
        "baseUrl": state.base_url,
        "credentials": credentials_json(&state),
        "products": store.products.len(),
        "skus": store.sku_count(),
        "orders": store.orders.len(),
        "orderStatuses": state.marketplace.order_statuses(),
        "webhookUrl": state.webhook_url(),
    }))
}

/// The credentials a client needs, as printed by `omnisync sim` (only the fields this kind uses).
pub fn credentials_json(state: &SimState) -> serde_json::Value {
    json_of(&state.credentials)
}

/// The credentials a hub connects with (`MarketplaceSim::connect_credentials`), as `channelConnect` takes them.
pub fn connect_credentials_json(state: &SimState) -> serde_json::Value {
    json_of(&state.marketplace.connect_credentials(&state.credentials))
}

fn json_of(c: &crate::channels::Credentials) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    for (name, value) in [
        ("appKey", &c.app_key),
        ("appSecret", &c.app_secret),
        ("apiKey", &c.api_key),
        ("accessToken", &c.access_token),
        ("refreshToken", &c.refresh_token),
        ("shopId", &c.shop_id),
        ("shopCipher", &c.shop_cipher),
        ("webhookSecret", &c.webhook_secret),
    ] {
        if let Some(v) = value {
            out.insert(name.to_owned(), json!(v));
        }
    }
    serde_json::Value::Object(out)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FaultRequest {
    /// One of `rate_limit`, `server_error`, `slow`, `drop`.
    fault: Option<String>,
    #[serde(default = "one")]
    count: usize,
    #[serde(default)]
    delay_ms: u64,
    /// Random fault rates for every later request (replaces the previous rates).
    rates: Option<FaultRates>,
}

fn one() -> usize {
    1
}

async fn faults(state: State, body: web::Json<FaultRequest>) -> HttpResponse {
    let req = body.into_inner();
    if let Some(rates) = req.rates {
        state.set_fault_rates(rates);
    }
    if let Some(name) = req.fault.as_deref() {
        let fault = match name {
            "rate_limit" => Fault::RateLimit,
            "server_error" => Fault::ServerError,
            "slow" => Fault::Slow(req.delay_ms.max(1)),
            "drop" => Fault::Drop,
            other => return bad(format!("unknown fault {other}; use rate_limit, server_error, slow or drop")),
        };
        state.inject(fault, req.count);
    }
    HttpResponse::Ok().json(json!({ "ok": true }))
}

async fn expire_tokens(state: State) -> HttpResponse {
    state.store().tokens.expire_access_tokens();
    HttpResponse::Ok().json(json!({ "ok": true }))
}

#[derive(Deserialize)]
struct WebhookRequest {
    url: Option<String>,
}

async fn set_webhook(state: State, body: web::Json<WebhookRequest>) -> HttpResponse {
    state.set_webhook_url(body.into_inner().url);
    HttpResponse::Ok().json(json!({ "ok": true }))
}

async fn products(state: State) -> HttpResponse {
    HttpResponse::Ok().json(&state.store().products)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AddProducts {
    /// Products to add, each with `skusPerProduct` SKUs `<prefix><n>-<j>`.
    count: usize,
    #[serde(default = "one")]
    skus_per_product: usize,
    #[serde(default = "default_prefix")]
    prefix: String,
    #[serde(default)]
    seed: u64,
}

fn default_prefix() -> String {
    "ADD-".into()
}

async fn add_products(state: State, body: web::Json<AddProducts>) -> HttpResponse {
    use rand::SeedableRng;
    let req = body.into_inner();
    if req.count > 100_000 || req.skus_per_product == 0 || req.skus_per_product > 50 {
        return bad("count ≤ 100000 and 1 ≤ skusPerProduct ≤ 50");
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(req.seed);
    let mut store = state.store();
    let ids: Vec<u64> = (0..req.count)
        .map(|i| {
            store.add_product(
                &mut rng,
                &format!("Sản phẩm {}{:04}", req.prefix, i + 1),
                &req.prefix,
                i + 1,
                req.skus_per_product,
            )
        })
        .collect();
    HttpResponse::Ok().json(json!({ "productIds": ids }))
}

async fn orders(state: State) -> HttpResponse {
    HttpResponse::Ok().json(&state.store().orders)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateOrder {
    /// `[{ "sellerSku": "SKU-0001-1", "quantity": 2 }]`
    lines: Vec<OrderLineRequest>,
    /// RFC 3339; now when absent (orders in the past test backfill and window walks).
    created_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OrderLineRequest {
    seller_sku: String,
    quantity: i64,
}

async fn create_order(state: State, body: web::Json<CreateOrder>) -> HttpResponse {
    let req = body.into_inner();
    if req.lines.is_empty() || req.lines.iter().any(|l| l.quantity <= 0) {
        return bad("an order needs lines with positive quantities");
    }
    let lines: Vec<(String, i64)> = req.lines.into_iter().map(|l| (l.seller_sku, l.quantity)).collect();
    match state.create_order(&lines, req.created_at).await {
        Ok(order) => HttpResponse::Ok().json(order),
        Err(message) => bad(message),
    }
}

#[derive(Deserialize)]
struct SetStatus {
    status: String,
}

async fn set_status(state: State, path: web::Path<u64>, body: web::Json<SetStatus>) -> HttpResponse {
    match state.set_order_status(path.into_inner(), &body.into_inner().status).await {
        Ok(order) => HttpResponse::Ok().json(order),
        Err(message) => bad(message),
    }
}

/// The seller consent page, simulated: the seller "approves" at once and is redirected back with a one-time code
/// (and, like Shopee, the shop id). Reads `redirect_uri` (Lazada, TikTok, Tiki) or `redirect` (Shopee).
async fn authorize(state: State, query: web::Query<std::collections::HashMap<String, String>>) -> HttpResponse {
    let Some(redirect) = query.get("redirect_uri").or_else(|| query.get("redirect")) else {
        return bad("redirect_uri is required");
    };
    let Ok(mut target) = url::Url::parse(redirect) else {
        return bad("redirect_uri is not a URL");
    };
    let code = state.store().tokens.issue_code();
    {
        let mut pairs = target.query_pairs_mut();
        pairs.append_pair("code", &code);
        if let Some(shop_id) = &state.credentials.shop_id {
            pairs.append_pair("shop_id", shop_id);
        }
        if let Some(s) = query.get("state") {
            pairs.append_pair("state", s);
        }
    }
    HttpResponse::Found().insert_header(("Location", target.to_string())).finish()
}
