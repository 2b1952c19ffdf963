//! TikTok Shop simulator: the 202309 Open API paths and shapes (`{code, message, request_id, data}`), TikTok's
//! signature, timestamp window, token and shop-cipher checks with its own codes, the auth host's token endpoints
//! (served on the same base URL), and order pushes signed like TikTok's.

// Helpers return the refusal to send as their error: it is built once, on a cold path, and handed straight back.
#![allow(clippy::result_large_err)]

mod auth;
mod orders;
mod products;

use actix_web::{HttpResponse, web};
use base64::Engine;
use rand::Rng;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::channels::tiktok::{MAX_PAGE_SIZE, WEBHOOK_ORDER_STATUS_CHANGE, codes, sign};
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
            .route("/product/202309/products/{product_id}/prices/update", web::post().to(products::update_prices))
            .route("/product/202309/products/{product_id}/inventory/update", web::post().to(products::update_inventory))
            .route("/order/202309/orders/search", web::post().to(orders::search))
            .route("/order/202309/orders", web::get().to(orders::detail))
            .route("/fulfillment/202309/packages/{package_id}/ship", web::post().to(orders::ship_package))
            .route(
                "/fulfillment/202309/packages/{package_id}/shipping_documents",
                web::get().to(orders::shipping_documents),
            )
            .route("/return_refund/202309/cancellations", web::post().to(orders::cancel));
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

    /// Per API, per app and shop (`channels::marketplace_quota_per_second`).
    fn quota(&self) -> crate::sim::quota::Quota {
        crate::sim::quota::Quota::PerSecond {
            limit: crate::channels::marketplace(ChannelKind::Tiktok).quota.per_second as usize,
            per_api: true,
        }
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
