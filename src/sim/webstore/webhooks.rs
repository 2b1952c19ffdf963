//! Webhook subscriptions (docs/webstore-api.md, "Webhooks"): `GET/POST /webhooks.json`, `DELETE
//! /webhooks/{id}.json`. A push on a topic goes to every address subscribed to it (and to the address set in the
//! store admin, if any).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use serde_json::{Value, json};

use super::api::{Answer, State, authorize, body_field, not_found, parse_body, refuse, respond};
use super::json::store_time;
use crate::sim::push_addresses::{Subscription, acceptable_address};

/// Topics a subscription may name.
pub const TOPICS: [&str; 5] =
    ["orders/create", "orders/updated", "orders/cancelled", "products/create", "products/update"];

fn webhook_json(s: &Subscription) -> Value {
    json!({ "id": s.id, "topic": s.topic, "address": s.address, "format": "json",
        "created_at": store_time(s.created_at), "updated_at": store_time(s.updated_at) })
}

pub(super) async fn list(state: State, req: HttpRequest) -> Answer {
    authorize(&state, &req)?;
    let webhooks: Vec<Value> = state.push_addresses().subscriptions().iter().map(webhook_json).collect();
    Ok(respond(StatusCode::OK, json!({ "webhooks": webhooks })))
}

/// `{"webhook": {"topic", "address", "format": "json"}}` → 201 with the subscription; 422 `invalid_webhook` for
/// an unknown topic, an address that is not HTTPS, another format, or an address already subscribed to the topic.
pub(super) async fn create(state: State, req: HttpRequest, body: web::Bytes) -> Answer {
    authorize(&state, &req)?;
    let body = parse_body(&body)?;
    let webhook = body_field(&body, "webhook")?;
    let text = |key: &str| webhook.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
    let invalid = |message: String| refuse(StatusCode::UNPROCESSABLE_ENTITY, "invalid_webhook", &message);
    let (topic, address) = (text("topic"), text("address"));
    if !TOPICS.contains(&topic.as_str()) {
        return Err(invalid(format!("topic {topic:?} is not one of {}", TOPICS.join(", "))));
    }
    if !acceptable_address(&address) {
        return Err(invalid(format!("address {address:?} must be an https URL")));
    }
    if webhook.get("format").is_some_and(|f| f.as_str() != Some("json")) {
        return Err(invalid("format must be json".to_owned()));
    }
    let created = state
        .push_addresses()
        .subscribe(&topic, &address)
        .ok_or_else(|| invalid("address for this topic has already been taken".to_owned()))?;
    Ok(respond(StatusCode::CREATED, json!({ "webhook": webhook_json(&created) })))
}

pub(super) async fn delete(state: State, req: HttpRequest, path: web::Path<String>) -> Answer {
    authorize(&state, &req)?;
    let id: u64 = path.into_inner().parse().map_err(|_| not_found("no such webhook"))?;
    if state.push_addresses().remove(|s| s.id == id) == 0 {
        return Err(not_found(&format!("no webhook {id}")));
    }
    Ok(respond(StatusCode::OK, json!({})))
}
