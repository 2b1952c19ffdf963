//! Tiki simulator: the legacy `tiki-api` key integration (`/integration/v1`), the OAuth2 integration
//! (`/integration/v2`, `/integration/v2.1`, token endpoint `/sc/oauth2/token`) and the pull event queues
//! (`/integration/v1/queues`). Paths, limits and time format: `wire`, the simulator's own reading of the docs.
//!
//! Tiki signs nothing, so what is checked is the credential itself: a wrong `tiki-api` key (even by one
//! character) gets the legacy `403 {"msg":"Permission denied"}`; a wrong or expired bearer token gets
//! `401 {"errors":[...]}`. Errors elsewhere are `{"errors":[...]}` with the HTTP status as the only code.

// Handlers pass a refusal (`HttpResponse`) up as is; boxing it would only add noise to every call site.
#![allow(clippy::result_large_err)]

mod catalog;
mod events;
mod oauth;
mod orders;
mod wire;

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use crate::channels::registry::{Fact, SKUS_PER_UPDATE_CALL};
use crate::channels::{ChannelKind, Credentials, signatures_match};
use crate::sim::store::TokenProblem;
use crate::sim::{MarketplaceSim, SimOrder, SimState, SimStore, StatusWalk, WebhookPush};
use wire::{V1, V2, V2_1};

type State = web::Data<Arc<SimState>>;

/// Requests per second: 200 per seller, for everything (§B.8).
const QUOTA_PER_SECOND: usize = 200;

/// The facts the connector must read the same way (`channels::tiki::MARKETPLACE.facts`).
const FACTS: &[(&str, Fact)] = &[
    (SKUS_PER_UPDATE_CALL, Fact::Number(wire::MAX_UPDATE_SKUS_BATCH as i64)),
    ("v1 prefix", Fact::Text(V1)),
    ("v2 prefix", Fact::Text(V2)),
    ("v2.1 prefix", Fact::Text(V2_1)),
    ("token path", Fact::Text(wire::TOKEN_PATH)),
    ("consent path", Fact::Text(wire::AUTHORIZE_PATH)),
    ("API key header", Fact::Text(wire::API_KEY_HEADER)),
    ("products per page", Fact::Number(wire::MAX_PRODUCTS_PAGE as i64)),
    ("orders per page", Fact::Number(wire::MAX_ORDERS_PAGE as i64)),
    ("order window days", Fact::Number(wire::MAX_ORDER_WINDOW_DAYS)),
    ("events per pull", Fact::Number(wire::MAX_EVENTS_PER_PULL as i64)),
    ("order event types", Fact::Names(&wire::ORDER_EVENT_TYPES)),
    ("date format", Fact::Text(wire::DATE_FORMAT)),
];

/// The Tiki simulator.
pub struct TikiSim;

/// Legacy API key the simulator accepts (a UUID, as Seller Center issues).
pub const SIM_API_KEY: &str = "5b0c2f7e-3d4a-4c1b-9e8f-7a6d5c4b3a21";
/// OAuth2 client id of the simulated in-house app.
pub const SIM_CLIENT_ID: &str = "3750874604017328";
/// OAuth2 client secret of the simulated in-house app.
pub const SIM_CLIENT_SECRET: &str = "sim-tiki-client-secret-7f3e9a1c5b";

/// Every raw order status of the v2 API (18), in lifecycle order.
pub const ORDER_STATUSES: [&str; 18] = [
    "processing",
    "waiting_payment",
    "payment_review",
    "paid",
    "holded",
    "queueing",
    "picking",
    "packaging",
    "finished_packing",
    "ready_to_ship",
    "handover_to_partner",
    "shipping",
    "delivered",
    "successful_delivery",
    "complete",
    "canceled",
    "closed",
    "returned",
];

/// The credentials this simulator accepts: both styles (API key for v1, client id/secret for v2).
pub fn sim_credentials() -> Credentials {
    Credentials {
        api_key: Some(SIM_API_KEY.into()),
        app_key: Some(SIM_CLIENT_ID.into()),
        app_secret: Some(SIM_CLIENT_SECRET.into()),
        ..Credentials::default()
    }
}

impl MarketplaceSim for TikiSim {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Tiki
    }

    fn credentials(&self) -> Credentials {
        sim_credentials()
    }

    /// The v1 API key: a hub connects with it (awaiting pickup exists on v1 only).
    fn connect_credentials(&self, issued: &Credentials) -> Credentials {
        Credentials { api_key: issued.api_key.clone(), ..Credentials::default() }
    }

    /// v2 calls carry bearer tokens; the simulator also issues them at `/sc/oauth2/token`.
    fn uses_oauth(&self) -> bool {
        true
    }

    fn configure(&self, cfg: &mut web::ServiceConfig) {
        oauth::configure(cfg);
        for version in [V1, V2] {
            cfg.route(&format!("{version}/sellers/me"), web::get().to(catalog::seller));
            cfg.route(&format!("{version}/products"), web::get().to(catalog::products));
        }
        cfg.route(&format!("{V2}/sellers/me/warehouses"), web::get().to(catalog::warehouses));
        cfg.route(&format!("{V1}/products/updateSku"), web::post().to(catalog::update_sku));
        cfg.route(&format!("{V2}/products/updateSku"), web::put().to(catalog::update_sku));
        cfg.route(&format!("{V2_1}/products/updateSkus"), web::put().to(catalog::update_skus));
        orders::configure(cfg);
        cfg.route(&format!("{V1}/queues"), web::get().to(queues_list));
        cfg.route(&format!("{V1}/queues"), web::post().to(queue_create));
        cfg.route(&format!("{V1}/queues/{{code}}/subscriptions"), web::post().to(subscribe));
        cfg.route(&format!("{V1}/queues/{{code}}/events/pull"), web::post().to(pull));
        cfg.route(&format!("{V1}/queues/{{code}}/events/ack"), web::post().to(ack));
    }

    fn order_statuses(&self) -> &'static [&'static str] {
        &ORDER_STATUSES
    }

    /// Orders reach the seller when Tiki accepts them.
    fn initial_order_status(&self) -> &'static str {
        "queueing"
    }

    fn status_walk(&self) -> StatusWalk {
        StatusWalk {
            steps: &["queueing", "packaging", "ready_to_ship", "shipping", "complete"],
            cancel: "canceled",
            returned: Some("returned"),
        }
    }

    /// One quota per seller.
    fn quota(&self) -> crate::sim::quota::Quota {
        crate::sim::quota::Quota::PerSecond { limit: QUOTA_PER_SECOND, per_api: false }
    }

    fn facts(&self) -> &'static [(&'static str, Fact)] {
        FACTS
    }

    fn rate_limited(&self) -> HttpResponse {
        errors(429, "Too Many Requests - Your rate limit is exceed")
    }

    fn server_error(&self) -> HttpResponse {
        errors(500, "Internal Server Error")
    }

    /// Tiki has no order push: the event queue records the change instead (`on_order_changed`).
    fn order_webhook(&self, _state: &SimState, _order: &SimOrder, _created: bool) -> Option<WebhookPush> {
        None
    }

    fn on_order_changed(&self, store: &mut SimStore, order_id: u64, created: bool) {
        events::record_order_event(store, order_id, created);
    }
}

/// Tiki's error shape: `{"errors":[...]}` with the meaning in the HTTP status.
pub(crate) fn errors(status: u16, message: &str) -> HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(status).unwrap_or(actix_web::http::StatusCode::BAD_REQUEST);
    HttpResponse::build(status).json(json!({ "errors": [message] }))
}

/// Which integration a request came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Version {
    V1,
    V2,
}

impl Version {
    pub(crate) fn of(req: &HttpRequest) -> Self {
        if req.path().starts_with(&format!("{V1}/")) { Self::V1 } else { Self::V2 }
    }
}

/// Checks the caller's credential. v1 paths take the `tiki-api` key (or a bearer token: the event queues,
/// under v1, serve OAuth apps too); v2 paths take only a bearer token.
pub(crate) fn authorize(state: &SimState, req: &HttpRequest) -> Result<Version, HttpResponse> {
    let version = Version::of(req);
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    if version == Version::V1
        && let Some(key) = header(wire::API_KEY_HEADER)
    {
        let expected = state.credentials.api_key.as_deref().unwrap_or_default();
        return if !expected.is_empty() && signatures_match(expected, key, false) {
            Ok(version)
        } else {
            Err(HttpResponse::Forbidden().json(json!({ "msg": "Permission denied" })))
        };
    }
    let token = header("authorization")
        .map(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")).unwrap_or(v).trim());
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Err(match version {
            Version::V1 => HttpResponse::Forbidden().json(json!({ "msg": "Permission denied" })),
            Version::V2 => errors(401, "The authorization (token) is missing or expired"),
        });
    };
    match state.store().tokens.check_access(token) {
        Ok(()) => Ok(version),
        Err(TokenProblem::Expired) => Err(errors(401, "The authorization (token) is missing or expired")),
        Err(TokenProblem::Unknown) => {
            Err(errors(401, "The authorization (token) is invalid or not linked to a seller"))
        }
    }
}

/// A JSON request body (Tiki answers 406 for non-JSON content).
pub(crate) fn json_body(req: &HttpRequest, body: &[u8]) -> Result<Value, HttpResponse> {
    let content_type = req.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !body.is_empty() && !content_type.to_ascii_lowercase().starts_with("application/json") {
        return Err(errors(406, "Content-Type must be application/json"));
    }
    if body.is_empty() {
        return Ok(json!({}));
    }
    serde_json::from_slice(body).map_err(|e| errors(400, &format!("Malformed JSON body: {e}")))
}

/// `{"data":[...],"paging":{...}}` for one page of `items`.
pub(crate) fn page_of(items: Vec<Value>, total: usize, page: usize, limit: usize) -> Value {
    let last_page = total.div_ceil(limit).max(1);
    let from = if items.is_empty() { Value::Null } else { json!((page - 1) * limit + 1) };
    let to = if items.is_empty() { Value::Null } else { json!((page - 1) * limit + items.len()) };
    json!({ "data": items, "paging": { "total": total, "per_page": limit, "current_page": page, "last_page": last_page, "from": from, "to": to } })
}

/// `page` (from 1) and `limit` (1 to `max`, default 20) of a list request.
pub(crate) fn paging(
    query: &std::collections::HashMap<String, String>,
    max: u32,
) -> Result<(usize, usize), HttpResponse> {
    let number = |name: &str, default: usize| match query.get(name) {
        None => Ok(default),
        Some(v) => v.trim().parse::<usize>().map_err(|_| errors(400, &format!("{name} must be a positive integer"))),
    };
    let page = number("page", 1)?;
    let limit = number("limit", 20)?;
    if page == 0 || limit == 0 {
        return Err(errors(400, "page and limit must be positive"));
    }
    if limit > max as usize {
        return Err(errors(400, &format!("limit must not be greater than {max}")));
    }
    Ok((page, limit))
}

async fn queues_list(state: State, req: HttpRequest) -> HttpResponse {
    if let Err(refused) = authorize(&state, &req) {
        return refused;
    }
    let store = state.store();
    let mut book = events::book(&store);
    let queues: Vec<Value> = book.get().queues.iter().map(events::Queue::json).collect();
    let total = queues.len();
    HttpResponse::Ok().json(page_of(queues, total, 1, total.max(1)))
}

async fn queue_create(state: State, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    if let Err(refused) = authorize(&state, &req) {
        return refused;
    }
    let body = match json_body(&req, &body) {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    let Some(name) = body.get("name").and_then(Value::as_str).map(str::trim).filter(|n| !n.is_empty()) else {
        return errors(400, "name is required");
    };
    let store = state.store();
    let mut book = events::book(&store);
    let queue = book.get().create(name).json();
    HttpResponse::Ok().json(queue)
}

async fn subscribe(state: State, req: HttpRequest, path: web::Path<String>, body: web::Bytes) -> HttpResponse {
    if let Err(refused) = authorize(&state, &req) {
        return refused;
    }
    let body = match json_body(&req, &body) {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    let Some(event_type) = body.get("event_type").and_then(Value::as_str).filter(|t| !t.is_empty()) else {
        return errors(400, "event_type is required");
    };
    let store = state.store();
    let mut book = events::book(&store);
    let Some(queue) = book.get().queue_mut(&path) else { return errors(404, "Queue not found") };
    // Subscribing twice to one type keeps the first subscription (idempotent).
    let code = match queue.subscriptions.iter().find(|s| s.event_type == event_type) {
        Some(existing) => existing.code.clone(),
        None => {
            let code = events::uuid_like();
            queue.subscriptions.push(events::Subscription { code: code.clone(), event_type: event_type.to_owned() });
            code
        }
    };
    HttpResponse::Ok()
        .json(json!({ "code": code, "active": true, "event_type": event_type, "sid": events::SELLER_SID }))
}

async fn pull(state: State, req: HttpRequest, path: web::Path<String>, body: web::Bytes) -> HttpResponse {
    if let Err(refused) = authorize(&state, &req) {
        return refused;
    }
    let body = match json_body(&req, &body) {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    let max = match body.get("max_events") {
        None | Some(Value::Null) => wire::MAX_EVENTS_PER_PULL,
        Some(v) => match v.as_u64() {
            Some(n) if n >= 1 && n as usize <= wire::MAX_EVENTS_PER_PULL => n as usize,
            _ => return errors(400, &format!("max_events must be between 1 and {}", wire::MAX_EVENTS_PER_PULL)),
        },
    };
    let store = state.store();
    let mut book = events::book(&store);
    let Some(queue) = book.get().queue_mut(&path) else { return errors(404, "Queue not found") };
    let (ack_id, events) = queue.pull(max);
    HttpResponse::Ok().json(json!({ "ack_id": ack_id, "events": events }))
}

async fn ack(state: State, req: HttpRequest, path: web::Path<String>, body: web::Bytes) -> HttpResponse {
    if let Err(refused) = authorize(&state, &req) {
        return refused;
    }
    let body = match json_body(&req, &body) {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    let Some(ack_id) = body.get("ack_id").and_then(Value::as_str) else { return errors(400, "ack_id is required") };
    let store = state.store();
    let mut book = events::book(&store);
    let Some(queue) = book.get().queue_mut(&path) else { return errors(404, "Queue not found") };
    match queue.ack(ack_id) {
        Some(count) => HttpResponse::Ok().json(json!({ "ack_id": ack_id, "acknowledged": count })),
        None => errors(400, "ack_id is unknown or already acknowledged"),
    }
}
