//! Web store simulator: the Admin REST API 2024-01 of docs/webstore-api.md on its real paths, with HTTP Basic
//! key/secret checks, page and batch maxima, order actions and signed webhook pushes.

mod api;
pub mod json;
mod webhooks;

use actix_web::{HttpResponse, web};
use serde_json::Value;
use sha2::Digest;

use crate::channels::registry::{Fact, SKUS_PER_UPDATE_CALL};
use crate::channels::webstore::sign::webhook_signature;
use crate::channels::{ChannelKind, Credentials};
use crate::sim::{MarketplaceSim, SimOrder, SimState, StatusWalk, WebhookPush};

/// Push headers (docs/webstore-api.md, "Webhooks"): the topic…
pub const WEBHOOK_TOPIC_HEADER: &str = "X-Webstore-Topic";
/// …the base64 HMAC-SHA256 of the body, keyed by the webhook secret…
pub const WEBHOOK_SIGNATURE_HEADER: &str = "X-Webstore-Hmac-Sha256";
/// …and the event id, the same on a redelivery.
pub const WEBHOOK_EVENT_ID_HEADER: &str = "X-Webstore-Event-Id";
/// The leaky bucket: 40 requests burst…
const BUCKET_CAPACITY: f64 = 40.0;
/// …leaking 2 a second ("Exceeded 2 calls per second for api client").
const BUCKET_DRAIN_PER_SECOND: f64 = 2.0;

/// The facts the connector must read the same way (`channels::webstore::MARKETPLACE.facts`).
const FACTS: &[(&str, Fact)] = &[
    (SKUS_PER_UPDATE_CALL, Fact::Number(api::SET_BATCH_MAX as i64)),
    ("call bucket capacity", Fact::Number(BUCKET_CAPACITY as i64)),
    ("path prefix", Fact::Text(api::API_PREFIX)),
    ("products per page", Fact::Number(api::PAGE_MAX as i64)),
    ("orders per page", Fact::Number(api::PAGE_MAX as i64)),
    ("order ids per call", Fact::Number(api::ORDER_IDS_MAX as i64)),
    ("options per product", Fact::Number(api::OPTIONS_MAX as i64)),
    ("webhook signature header", Fact::Text(WEBHOOK_SIGNATURE_HEADER)),
    ("webhook topic header", Fact::Text(WEBHOOK_TOPIC_HEADER)),
    ("webhook event id header", Fact::Text(WEBHOOK_EVENT_ID_HEADER)),
];

/// The web store simulator.
pub struct WebstoreSim;

/// Every order status the store has (docs/webstore-api.md).
pub const ORDER_STATUSES: &[&str] = &["open", "fulfilled", "shipped", "delivered", "cancelled", "returned"];
/// The domain the simulated store reports and signs pushes with.
pub const SHOP_DOMAIN: &str = "cuahangmau.example.vn";

/// The API key, secret and webhook secret this simulator accepts.
pub fn sim_credentials() -> Credentials {
    Credentials {
        api_key: Some("wsk_sim_7f3a9c2e51b84d06".into()),
        app_secret: Some("wss_sim_2b8e4f1a9c6d3e70".into()),
        webhook_secret: Some("whsec_sim_5c1e8a2f7b3d9e64".into()),
        ..Credentials::default()
    }
}

/// A signed push of `body` on `topic`, with the headers the store sends. `event_seed` makes the event id stable
/// for one event (a redelivery repeats it).
pub fn signed_push(state: &SimState, topic: &str, body: &Value, event_seed: &str) -> WebhookPush {
    let body = body.to_string().into_bytes();
    let secret = state.credentials.webhook_secret.as_deref().unwrap_or_default();
    let digest = hex::encode(sha2::Sha256::digest(format!("{topic}:{event_seed}").as_bytes()));
    let event_id =
        format!("{}-{}-{}-{}-{}", &digest[0..8], &digest[8..12], &digest[12..16], &digest[16..20], &digest[20..32]);
    WebhookPush {
        topic: topic.to_owned(),
        headers: vec![
            ("Content-Type".into(), "application/json".into()),
            (WEBHOOK_TOPIC_HEADER.into(), topic.into()),
            (WEBHOOK_SIGNATURE_HEADER.into(), webhook_signature(secret, &body)),
            (WEBHOOK_EVENT_ID_HEADER.into(), event_id),
            ("X-Webstore-Shop-Domain".into(), SHOP_DOMAIN.into()),
            ("X-Webstore-Api-Version".into(), "2024-01".into()),
            ("X-Webstore-Triggered-At".into(), json::store_time(chrono::Utc::now())),
        ],
        body,
    }
}

/// Delivers a push to the addresses of its topic (awaited, so tests stay deterministic).
pub(crate) async fn deliver(state: &SimState, push: WebhookPush) {
    state.deliver(push).await;
}

impl MarketplaceSim for WebstoreSim {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Webstore
    }

    fn credentials(&self) -> Credentials {
        sim_credentials()
    }

    fn uses_oauth(&self) -> bool {
        false
    }

    fn configure(&self, cfg: &mut web::ServiceConfig) {
        api::configure(cfg);
    }

    fn order_statuses(&self) -> &'static [&'static str] {
        ORDER_STATUSES
    }

    fn initial_order_status(&self) -> &'static str {
        "open"
    }

    fn status_walk(&self) -> StatusWalk {
        StatusWalk {
            steps: &["open", "fulfilled", "shipped", "delivered"],
            cancel: "cancelled",
            returned: Some("returned"),
        }
    }

    /// A leaky bucket of 40 calls (its call-limit header reports `n/40`), draining 2 a second.
    fn quota(&self) -> crate::sim::quota::Quota {
        crate::sim::quota::Quota::Bucket { capacity: BUCKET_CAPACITY, per_second: BUCKET_DRAIN_PER_SECOND }
    }

    fn facts(&self) -> &'static [(&'static str, Fact)] {
        FACTS
    }

    fn rate_limited(&self) -> HttpResponse {
        HttpResponse::TooManyRequests()
            .insert_header(("Retry-After", "1.0"))
            .insert_header((api::CALL_LIMIT_HEADER, "40/40"))
            .json(json::error_body(
                "too_many_requests",
                "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.",
            ))
    }

    fn server_error(&self) -> HttpResponse {
        HttpResponse::InternalServerError().json(json::error_body("internal_error", "Internal error, please retry."))
    }

    fn order_webhook(&self, state: &SimState, order: &SimOrder, created: bool) -> Option<WebhookPush> {
        let topic = if created {
            "orders/create"
        } else if order.status == "cancelled" {
            "orders/cancelled"
        } else {
            "orders/updated"
        };
        // Called with the store unlocked (`SimState::push_order_webhook`): the body needs variant titles from it.
        let body = json::order(order, &state.store());
        let seed = format!("{}:{}", order.id, order.updated_at.timestamp_nanos_opt().unwrap_or_default());
        Some(signed_push(state, topic, &body, &seed))
    }
}
