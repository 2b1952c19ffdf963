//! Lazada simulator: the LazOP gateway under `/rest/…` (same API names, parameters, signature, envelopes and
//! error codes as `https://api.lazada.vn/rest`), the token endpoints of `auth.lazada.com/rest` on the same
//! host, and order pushes signed like Lazada's. Status lives on order items, as on Lazada.

mod auth;
mod codes;
mod gateway;
mod orders;
mod products;

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::channels::lazada::sign::sign_push;
use crate::channels::registry::{Fact, SKUS_PER_UPDATE_CALL};
use crate::channels::{ChannelKind, Credentials};
use crate::sim::{MarketplaceSim, SimOrder, SimState, StatusWalk, WebhookPush};

/// The app key the simulator accepts (numeric, like Lazada's).
pub const SIM_APP_KEY: &str = "100123";
/// The app secret the simulator signs and verifies with.
pub const SIM_APP_SECRET: &str = "lazada-sim-secret-0c7f1e2d9b";
/// The simulated seller.
pub const SIM_SELLER_ID: &str = "200045678";
pub const SIM_SELLER_NAME: &str = "Omnisync Lazada Sim Shop";
pub const SIM_SHORT_CODE: &str = "VN1Q2W3E";
/// The simulated venture (Vietnam): prices are VND.
pub const SIM_CURRENCY: &str = "VND";

/// Every item status `/orders/get` can return (the GetOrders status list plus `repacked`,
/// `ready_to_ship_pending` and `shipping` from its `statuses` example). `topack` / `toship` are filter aliases,
/// not statuses.
pub const ITEM_STATUSES: [&str; 20] = [
    "unpaid",
    "pending",
    "repacked",
    "packed",
    "ready_to_ship_pending",
    "ready_to_ship",
    "shipping",
    "shipped",
    "delivered",
    "failed",
    "failed_delivery",
    "canceled",
    "returned",
    "lost",
    "lost_by_3pl",
    "damaged_by_3pl",
    "shipped_back",
    "shipped_back_success",
    "shipped_back_failed",
    "package_scrapped",
];

/// Requests per second, per API: 50 on stock and price updates ([GUIDE-INV]); other APIs' per-API rates are
/// console-set (UNCONFIRMED), taken as the same.
const QUOTA_PER_SECOND: usize = 50;

/// The facts the connector must read the same way (`channels::lazada::MARKETPLACE.facts`).
const FACTS: &[(&str, Fact)] = &[
    (SKUS_PER_UPDATE_CALL, Fact::Number(products::MAX_SKUS_PER_UPDATE as i64)),
    ("products per page", Fact::Number(products::MAX_LIMIT as i64)),
    ("products offset max", Fact::Number(products::MAX_OFFSET as i64)),
    ("orders per page", Fact::Number(orders::MAX_LIMIT as i64)),
    ("orders offset max", Fact::Number(orders::MAX_OFFSET as i64)),
    ("orders per items call", Fact::Number(orders::MAX_ORDER_IDS as i64)),
    ("orders per pack or RTS call", Fact::Number(orders::MAX_FULFILMENT as i64)),
    ("packable statuses", Fact::Names(&orders::PACKABLE)),
    ("cancellable statuses", Fact::Names(&orders::CANCELLABLE)),
    ("rate limit code", Fact::Text(codes::RATE_LIMIT)),
    ("expired token code", Fact::Text(codes::ILLEGAL_ACCESS_TOKEN)),
    ("credential refusal codes", Fact::Names(&codes::CREDENTIAL_REFUSALS)),
];

/// The Lazada simulator.
pub struct LazadaSim;

/// The app credentials this simulator accepts (tokens are issued at start).
pub fn sim_credentials() -> Credentials {
    Credentials { app_key: Some(SIM_APP_KEY.into()), app_secret: Some(SIM_APP_SECRET.into()), ..Credentials::default() }
}

impl MarketplaceSim for LazadaSim {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Lazada
    }

    fn credentials(&self) -> Credentials {
        sim_credentials()
    }

    fn configure(&self, cfg: &mut web::ServiceConfig) {
        cfg.route("/rest/{api:.*}", web::route().to(gateway::handle));
    }

    fn order_statuses(&self) -> &'static [&'static str] {
        &ITEM_STATUSES
    }

    fn initial_order_status(&self) -> &'static str {
        "pending"
    }

    fn status_walk(&self) -> StatusWalk {
        StatusWalk {
            steps: &["pending", "ready_to_ship", "shipped", "delivered"],
            cancel: "canceled",
            returned: Some("returned"),
        }
    }

    /// Per API ("per-API QPS throttling", code 901).
    fn quota(&self) -> crate::sim::quota::Quota {
        crate::sim::quota::Quota::PerSecond { limit: QUOTA_PER_SECOND, per_api: true }
    }

    fn facts(&self) -> &'static [(&'static str, Fact)] {
        FACTS
    }

    /// Lazada throttles with HTTP 200 and business code `901` (its HTTP status for throttling is UNCONFIRMED;
    /// its errors normally come with 200).
    fn rate_limited(&self) -> HttpResponse {
        gateway::error(
            "ISP",
            codes::RATE_LIMIT,
            "E901: The request is too frequent, or the requested functionality is temporarily disabled.",
        )
    }

    /// A trade-order push (message type 0): the order's status, its first item, the status time in seconds.
    fn order_webhook(&self, state: &SimState, order: &SimOrder, _created: bool) -> Option<WebhookPush> {
        let first_item = order.lines.first().map(|l| orders::item_id(l.id, 0).to_string()).unwrap_or_default();
        let body = json!({
            "seller_id": SIM_SELLER_ID,
            "message_type": 0,
            "data": {
                "order_status": order.status,
                "trade_order_id": order.id.to_string(),
                "trade_order_line_id": first_item,
                "status_update_time": order.updated_at.timestamp(),
            },
            "timestamp": chrono::Utc::now().timestamp_millis(),
            "site": "lazada_vn",
        });
        let body = serde_json::to_vec(&body).ok()?;
        let app_key = state.credentials.app_key.clone().unwrap_or_else(|| SIM_APP_KEY.into());
        let secret = state.credentials.app_secret.clone().unwrap_or_else(|| SIM_APP_SECRET.into());
        let signature = sign_push(&app_key, &secret, &body);
        Some(WebhookPush {
            topic: "trade_order".into(),
            headers: vec![("Content-Type".into(), "application/json".into()), ("Authorization".into(), signature)],
            body,
        })
    }
}
