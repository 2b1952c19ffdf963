//! TikTok Shop simulator: the 202309 Open API paths and shapes (`{code, message, request_id, data}`), TikTok's
//! signature, timestamp window, token and shop-cipher checks with its own codes, the auth host's token endpoints
//! (served on the same base URL), and order pushes signed like TikTok's.

// Helpers return the refusal to send as their error: it is built once, on a cold path, and handed straight back.
#![allow(clippy::result_large_err)]

mod auth;
mod codes;
mod events;
mod orders;
mod products;

use actix_web::{HttpResponse, web};
use base64::Engine;
use rand::Rng;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::channels::registry::{Fact, SKUS_PER_UPDATE_CALL};
use crate::channels::tiktok::sign;
use crate::channels::{ChannelKind, Credentials};
use crate::sim::{MarketplaceSim, SimOrder, SimState, StatusWalk, WebhookPush};

/// The simulated shop sells in Vietnam.
const CURRENCY: &str = "VND";
const SHOP_REGION: &str = "VN";
const SHOP_NAME: &str = "omnisync TikTok Shop (simulator)";
/// The one warehouse every simulated SKU is stocked in.
const WAREHOUSE_ID: &str = "7068517275539719942";
/// How the order-status push spells a cancelled order. The API says `CANCELLED`; the webhook page lists `CANCEL`.
/// Which one the live push sends is UNCONFIRMED: we send the webhook page's spelling, so hubs handle both.
pub const WEBHOOK_CANCELLED_SPELLING: &str = "CANCEL";

/// Every raw order status Get Order List / Get Order Detail can return.
const ORDER_STATUSES: [&str; 9] = [
    "UNPAID",
    "ON_HOLD",
    "AWAITING_SHIPMENT",
    "PARTIALLY_SHIPPING",
    "AWAITING_COLLECTION",
    "IN_TRANSIT",
    "DELIVERED",
    "COMPLETED",
    "CANCELLED",
];

/// Header that carries the access token (202309+); it is not signed (§2.1).
pub const ACCESS_TOKEN_HEADER: &str = "x-tts-access-token";
/// `page_size` of Search Products and Get Order List: 1–100 (§3.1, §3.3).
pub const MAX_PAGE_SIZE: usize = 100;
/// Get Order Detail takes at most 50 `ids` (§3.3).
pub const MAX_ORDER_IDS_PER_CALL: usize = 50;
/// SKUs per price or inventory update: "all SKUs of one product", the maximum UNCONFIRMED (§3.2); 100 taken, the
/// usual SKU ceiling of a product.
pub const MAX_SKUS_PER_UPDATE_CALL: usize = 100;
/// Update Inventory quantities: [1, 99 999] documented, 0 UNCONFIRMED (§3.2); accepted, so that "sold out" can
/// be said.
pub const INVENTORY_QUANTITY_RANGE: std::ops::RangeInclusive<i64> = 0..=99_999;
/// The `timestamp` query parameter must lie in [now − 5 min, now + 30 s] (§2.2): how far back it may be…
pub const TIMESTAMP_WINDOW_PAST_SECONDS: i64 = 300;
/// …and how far ahead.
pub const TIMESTAMP_WINDOW_FUTURE_SECONDS: i64 = 30;
/// Webhook type 1: order status change (§6).
pub const WEBHOOK_ORDER_STATUS_CHANGE: i64 = 1;
/// Requests per second: "50 QPS per API", counted per (app, shop) (§5).
const QUOTA_PER_SECOND: usize = 50;

/// The facts the connector must read the same way (`channels::tiktok::MARKETPLACE.facts`).
const FACTS: &[(&str, Fact)] = &[
    (SKUS_PER_UPDATE_CALL, Fact::Number(MAX_SKUS_PER_UPDATE_CALL as i64)),
    ("page size max", Fact::Number(MAX_PAGE_SIZE as i64)),
    ("order ids per detail call", Fact::Number(MAX_ORDER_IDS_PER_CALL as i64)),
    ("inventory quantity min", Fact::Number(*INVENTORY_QUANTITY_RANGE.start())),
    ("inventory quantity max", Fact::Number(*INVENTORY_QUANTITY_RANGE.end())),
    ("order status webhook type", Fact::Number(WEBHOOK_ORDER_STATUS_CHANGE)),
    ("access token header", Fact::Text(ACCESS_TOKEN_HEADER)),
    ("code: success", Fact::Number(codes::OK)),
    ("code: expired token", Fact::Number(codes::EXPIRED_TOKEN)),
    ("code: rate limited", Fact::Number(codes::RATE_LIMITED)),
    ("code: internal error", Fact::Number(codes::INTERNAL_ERROR)),
    ("code: invalid sign", Fact::Number(codes::INVALID_SIGN)),
    ("code: invalid credentials", Fact::Number(codes::INVALID_CREDENTIALS)),
    ("code: token of another shop", Fact::Number(codes::TOKEN_SHOP_MISMATCH)),
    ("code: missing shop cipher", Fact::Number(codes::MISSING_SHOP_CIPHER)),
    ("code: order not found", Fact::Number(codes::ORDER_NOT_FOUND)),
    ("code: order status does not allow", Fact::Number(codes::ORDER_STATUS_NOT_ALLOWED)),
];

/// The TikTok Shop simulator.
pub struct TiktokSim;

/// The app and shop credentials this simulator accepts (tokens are issued at start).
pub fn sim_credentials() -> Credentials {
    Credentials {
        app_key: Some("6a1b2c3d4e5f7".into()),
        app_secret: Some("sim-tiktok-app-secret-5f0c2e9a71d34b88".into()),
        shop_id: Some("7494726673780148744".into()),
        shop_cipher: Some("ROW_SimCipherAAABh00qsWgtvOiGFNqyubMt3".into()),
        ..Credentials::default()
    }
}

fn request_id() -> String {
    let suffix: u32 = rand::rng().random();
    format!("{}{suffix:08X}", chrono::Utc::now().format("%Y%m%d%H%M%S%3f"))
}

/// A success answer.
fn envelope_ok(data: Value) -> HttpResponse {
    HttpResponse::Ok()
        .json(json!({ "code": codes::OK, "message": "Success", "request_id": request_id(), "data": data }))
}

/// A refusal: HTTP 200 with TikTok's code and message (business and credential errors alike).
fn envelope_error(code: i64, message: impl Into<String>) -> HttpResponse {
    HttpResponse::Ok().json(envelope_body(code, &message.into()))
}

fn envelope_body(code: i64, message: &str) -> Value {
    json!({ "code": code, "message": message, "request_id": request_id(), "data": {} })
}

/// `page_size` (required, 1..=100).
fn page_size(query: &auth::Verified) -> Result<usize, HttpResponse> {
    query.get("page_size").and_then(|s| s.parse::<usize>().ok()).filter(|n| (1..=MAX_PAGE_SIZE).contains(n)).ok_or_else(
        || {
            envelope_error(
                codes::INVALID_PARAMETER,
                format!("page_size is required and must be within [1, {MAX_PAGE_SIZE}]."),
            )
        },
    )
}

/// Page tokens are opaque to clients; here base64 of `offset=N` (as in TikTok's own examples).
fn page_token(offset: usize) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("offset={offset}"))
}

fn page_offset(query: &auth::Verified) -> Result<usize, HttpResponse> {
    let Some(token) = query.get("page_token").filter(|t| !t.is_empty()) else { return Ok(0) };
    base64::engine::general_purpose::STANDARD
        .decode(token)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.trim().strip_prefix("offset=").and_then(|n| n.parse().ok()))
        .ok_or_else(|| envelope_error(codes::INVALID_PARAMETER, "Invalid page_token."))
}

/// The next page's token, or `""` on the last page.
fn page_token_after(offset: usize, size: usize, total: usize) -> String {
    if offset + size < total { page_token(offset + size) } else { String::new() }
}

/// The JSON body (an empty body reads as `{}`); anything else is TikTok's "invalid request format".
fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, HttpResponse> {
    let body = if body.iter().all(u8::is_ascii_whitespace) { b"{}".as_slice() } else { body };
    serde_json::from_slice(body)
        .map_err(|e| envelope_error(codes::INVALID_REQUEST_FORMAT, format!("Invalid request format: {e}")))
}

impl MarketplaceSim for TiktokSim {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Tiktok
    }

    fn credentials(&self) -> Credentials {
        sim_credentials()
    }

    fn configure(&self, cfg: &mut web::ServiceConfig) {
        cfg.route("/api/v2/token/get", web::get().to(auth::token_get))
            .route("/api/v2/token/refresh", web::get().to(auth::token_refresh))
            .route("/authorization/202309/shops", web::get().to(auth::shops))
            .route("/product/202309/products/search", web::post().to(products::search))
            .route("/product/202309/products/{product_id}", web::get().to(products::detail))
            .route("/product/202309/products/{product_id}/prices/update", web::post().to(products::update_prices))
            .route("/product/202309/products/{product_id}/inventory/update", web::post().to(products::update_inventory))
            .route("/order/202309/orders/search", web::post().to(orders::search))
            .route("/order/202309/orders", web::get().to(orders::detail))
            .route("/fulfillment/202309/packages/{package_id}/ship", web::post().to(orders::ship_package))
            .route(
                "/fulfillment/202309/packages/{package_id}/shipping_documents",
                web::get().to(orders::shipping_documents),
            )
            .route("/return_refund/202309/cancellations", web::post().to(orders::cancel))
            .route("/event/202309/webhooks", web::get().to(events::list))
            .route("/event/202309/webhooks", web::put().to(events::update))
            .route("/event/202309/webhooks", web::delete().to(events::delete));
    }

    fn order_statuses(&self) -> &'static [&'static str] {
        &ORDER_STATUSES
    }

    fn initial_order_status(&self) -> &'static str {
        // A paid order, ready for the seller (COD orders skip UNPAID).
        "AWAITING_SHIPMENT"
    }

    fn status_walk(&self) -> StatusWalk {
        StatusWalk {
            steps: &["AWAITING_SHIPMENT", "AWAITING_COLLECTION", "IN_TRANSIT", "DELIVERED"],
            cancel: "CANCELLED",
            returned: None,
        }
    }

    /// Per API, per app and shop.
    fn quota(&self) -> crate::sim::quota::Quota {
        crate::sim::quota::Quota::PerSecond { limit: QUOTA_PER_SECOND, per_api: true }
    }

    fn facts(&self) -> &'static [(&'static str, Fact)] {
        FACTS
    }

    fn rate_limited(&self) -> HttpResponse {
        // TikTok sends no Retry-After (none documented): clients back off.
        HttpResponse::TooManyRequests().json(envelope_body(
            codes::RATE_LIMITED,
            "Too many requests. You've made too many requests in a short period of time.",
        ))
    }

    fn server_error(&self) -> HttpResponse {
        HttpResponse::InternalServerError()
            .json(envelope_body(codes::INTERNAL_ERROR, "Internal error. Please try again later."))
    }

    /// Type 1 "order status change", signed with `Authorization` = HMAC-SHA256(app_secret, app_key + body).
    fn order_webhook(&self, state: &SimState, order: &SimOrder, _created: bool) -> Option<WebhookPush> {
        let status = if order.status == "CANCELLED" { WEBHOOK_CANCELLED_SPELLING } else { order.status.as_str() };
        let notification: u64 = rand::rng().random();
        let body = json!({
            "type": WEBHOOK_ORDER_STATUS_CHANGE,
            "tts_notification_id": format!("7327{:015}", notification % 1_000_000_000_000_000),
            "shop_id": state.credentials.shop_id,
            "timestamp": chrono::Utc::now().timestamp(),
            "data": {
                "order_id": order.id.to_string(),
                "order_status": status,
                "is_on_hold_order": order.status == "ON_HOLD",
                "update_time": order.updated_at.timestamp(),
            },
        });
        let body = serde_json::to_vec(&body).ok()?;
        let credentials = &state.credentials;
        let signature =
            sign::webhook_signature(credentials.app_key.as_deref()?, credentials.app_secret.as_deref()?, &body);
        Some(WebhookPush {
            topic: "ORDER_STATUS_CHANGE".into(),
            headers: vec![("Content-Type".into(), "application/json".into()), ("Authorization".into(), signature)],
            body,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_tokens_carry_the_next_offset_and_the_last_page_has_none() {
        assert_eq!(page_token(0), "b2Zmc2V0PTA=");
        assert_eq!(page_token_after(0, 100, 100), "");
        assert_eq!(page_token_after(0, 100, 101), page_token(100));
    }

    #[test]
    fn the_statuses_are_the_nine_of_get_order_list() {
        assert_eq!(TiktokSim.order_statuses().len(), 9);
        assert!(TiktokSim.order_statuses().contains(&TiktokSim.initial_order_status()));
    }
}
