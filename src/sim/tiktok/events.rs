//! The Event API (§6): a shop's push subscriptions, one address per event type. `PUT` sets it, `GET` lists them,
//! `DELETE` removes one. Pushes of a type then go to its address (and to the app's console address, if any).

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::auth::{Scope, State, verify};
use super::{codes, envelope_error, envelope_ok, parse_body};
use crate::sim::push_addresses::acceptable_address;

/// Every event type the Event API takes (the SDK's list; type numbers in §6).
pub const EVENT_TYPES: [&str; 17] = [
    "ORDER_STATUS_CHANGE",
    "RECIPIENT_ADDRESS_UPDATE",
    "PACKAGE_UPDATE",
    "PRODUCT_STATUS_CHANGE",
    "SELLER_DEAUTHORIZATION",
    "UPCOMING_AUTHORIZATION_EXPIRATION",
    "CANCELLATION_STATUS_CHANGE",
    "RETURN_STATUS_CHANGE",
    "NEW_CONVERSATION",
    "NEW_MESSAGE",
    "PRODUCT_INFORMATION_CHANGE",
    "PRODUCT_CREATION",
    "PRODUCT_CATEGORY_CHANGE",
    "NEW_MESSAGE_LISTENER",
    "INVOICE_STATUS_CHANGE",
    "PRODUCT_AUDIT_STATUS_CHANGE",
    "REVERSE_STATUS_UPDATE",
];

#[derive(Deserialize)]
struct UpdateBody {
    #[serde(default)]
    event_type: String,
    #[serde(default)]
    address: String,
}

#[derive(Deserialize)]
struct DeleteBody {
    #[serde(default)]
    event_type: String,
}

fn known_type(event_type: &str) -> Result<(), HttpResponse> {
    if EVENT_TYPES.contains(&event_type) {
        Ok(())
    } else {
        Err(envelope_error(codes::INVALID_PARAMETER, format!("Invalid event_type: {event_type:?}.")))
    }
}

/// `GET /event/202309/webhooks`: the shop's subscriptions.
pub(super) async fn list(state: State, req: HttpRequest) -> HttpResponse {
    if let Err(refusal) = verify(&state, &req, &[], Scope::Shop) {
        return refusal;
    }
    let webhooks: Vec<_> = state
        .push_addresses()
        .subscriptions()
        .into_iter()
        .map(|s| {
            json!({ "event_type": s.topic, "address": s.address,
                "create_time": s.created_at.timestamp(), "update_time": s.updated_at.timestamp() })
        })
        .collect();
    envelope_ok(json!({ "total_count": webhooks.len(), "webhooks": webhooks }))
}

/// `PUT /event/202309/webhooks` `{event_type, address}`: the type's address (replacing the previous one).
pub(super) async fn update(state: State, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    if let Err(refusal) = verify(&state, &req, &body, Scope::Shop) {
        return refusal;
    }
    let request: UpdateBody = match parse_body(&body) {
        Ok(request) => request,
        Err(refusal) => return refusal,
    };
    if let Err(refusal) = known_type(&request.event_type) {
        return refusal;
    }
    if !acceptable_address(&request.address) {
        return envelope_error(
            codes::INVALID_PARAMETER,
            format!("Invalid address: {:?} is not an HTTPS URL.", request.address),
        );
    }
    state.push_addresses().replace(&request.event_type, &request.address);
    envelope_ok(json!({}))
}

/// `DELETE /event/202309/webhooks` `{event_type}`.
pub(super) async fn delete(state: State, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    if let Err(refusal) = verify(&state, &req, &body, Scope::Shop) {
        return refusal;
    }
    let request: DeleteBody = match parse_body(&body) {
        Ok(request) => request,
        Err(refusal) => return refusal,
    };
    if let Err(refusal) = known_type(&request.event_type) {
        return refusal;
    }
    state.push_addresses().remove(|s| s.topic == request.event_type);
    envelope_ok(json!({}))
}
