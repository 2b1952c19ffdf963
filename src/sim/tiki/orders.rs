//! Orders: search (pages, date windows), detail, and the seller's actions — confirm items (v1 `confirmItems`,
//! v2 `confirm-available`), labels, and the legacy delivery-status update. A seller cancels by confirming no item
//! (only while the order is `queueing`).
//!
//! Status path of a seller-delivery order here: `queueing` → confirm → `packaging` → ready for delivery →
//! `ready_to_ship` → … (later statuses through the control API). Confirming no item cancels the order.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Duration, DurationRound, Utc};
use serde_json::{Value, json};

use super::catalog::{SIM_WAREHOUSE_ID, tiki_sku};
use super::wire::{self, V1, V2};
use super::{State, Version, authorize, errors, events, json_body, page_of, paging};
use crate::sim::{SimOrder, SimStore};

/// Statuses before the seller confirms (items `waiting`).
const BEFORE_CONFIRMATION: [&str; 6] =
    ["processing", "waiting_payment", "payment_review", "paid", "holded", "queueing"];
/// Statuses where the label can be printed.
const LABEL_READY: [&str; 5] = ["packaging", "finished_packing", "ready_to_ship", "handover_to_partner", "shipping"];
/// Statuses the legacy delivery update accepts (the cross-border ones leave the order status as is).
const DELIVERY_STATUSES: [&str; 9] = [
    "transferring_to_foreign_warehouses",
    "has_come_to_foreign_warehouses",
    "rotating_to_vietnam",
    "customs_clearance",
    "customs_clearance_complete",
    "item_arrived_in_vietnam",
    "ready_for_delivery",
    "on_delivery",
    "successful_delivery",
];

pub fn configure(cfg: &mut web::ServiceConfig) {
    // Fixed paths before `{code}` ones.
    cfg.route(&format!("{V1}/orders/confirmItems"), web::post().to(confirm_items_v1));
    cfg.route(&format!("{V1}/orders/updateDeliveryStatus"), web::post().to(update_delivery_v1));
    cfg.route(&format!("{V1}/orders/{{code}}/print"), web::get().to(label));
    cfg.route(&format!("{V2}/orders/{{code}}/seller-delivery/labels"), web::get().to(label));
    cfg.route(&format!("{V2}/orders/{{code}}/confirm-available"), web::post().to(confirm_available_v2));
    cfg.route(&format!("{V2}/orders/{{code}}/seller-delivery/update-delivery"), web::post().to(update_delivery_v2));
    for version in [V1, V2] {
        cfg.route(&format!("{version}/orders"), web::get().to(list));
        cfg.route(&format!("{version}/orders/{{code}}"), web::get().to(detail));
    }
}

fn confirmation_status(order: &SimOrder) -> &'static str {
    if BEFORE_CONFIRMATION.contains(&order.status.as_str()) {
        "waiting"
    } else if order.status == "canceled" && order.cancel_reason.as_deref() == Some("seller_canceled") {
        "seller_canceled"
    } else {
        "seller_confirmed"
    }
}

fn address(order: &SimOrder) -> Value {
    json!({
        "full_name": order.buyer_name, "street": order.address, "ward": order.ward, "district": order.district,
        "region": order.province, "country": "VN", "phone": order.buyer_phone,
    })
}

fn subtotal(order: &SimOrder) -> i64 {
    order.lines.iter().map(|l| l.price * l.quantity).sum()
}

/// The documented legacy v1 order shape.
fn order_v1(order: &SimOrder) -> Value {
    let confirmation = confirmation_status(order);
    let items: Vec<Value> = order
        .lines
        .iter()
        .map(|line| {
            json!({
                "id": line.id, "product_id": line.sku_id, "product_name": line.title, "sku": tiki_sku(line.sku_id),
                "original_sku": line.seller_sku, "qty": line.quantity, "price": line.price, "discount": 0,
                "confirmation_status": confirmation, "inventory_type": "backorder",
                "must_confirmed_before_at": wire::format_local(order.created_at + Duration::days(1)),
            })
        })
        .collect();
    let sub = subtotal(order);
    json!({
        "id": order.id, "order_code": order.id.to_string(), "status": order.status, "fulfillment_type": "seller_delivery",
        "is_rma": false, "purchased_at": wire::format_local(order.created_at), "created_at": wire::format_local(order.created_at),
        "updated_at": wire::format_local(order.updated_at),
        "total_price_before_discount": sub, "total_price_after_discount": sub, "collectable_total_price": sub + order.shipping_fee,
        "shipping": { "address": address(order), "shipping_fee": order.shipping_fee },
        "payment": { "payment_method": "cod", "is_prepaid": false },
        "customer": { "full_name": order.buyer_name, "phone": order.buyer_phone },
        "items": items,
    })
}

/// The v2 order shape: fields grouped into `invoice`, `shipping`, `customer`; items only when included.
fn order_v2(order: &SimOrder, with_items: bool) -> Value {
    let sub = subtotal(order);
    let mut body = json!({
        "id": order.id, "code": order.id.to_string(), "status": order.status, "fulfillment_type": "seller_delivery", "is_rma": false,
        "created_at": wire::format_local(order.created_at), "updated_at": wire::format_local(order.updated_at),
        "invoice": {
            "items_count": order.lines.len(), "items_quantity": order.lines.iter().map(|l| l.quantity).sum::<i64>(),
            "subtotal": sub, "shipping_amount": order.shipping_fee, "discount_amount": 0,
            "grand_total": sub + order.shipping_fee, "collectible_amount": sub + order.shipping_fee, "payment_method": "cod",
        },
        "shipping": { "address": address(order) },
        "customer": { "full_name": order.buyer_name, "phone": order.buyer_phone },
    });
    if with_items {
        let confirmation = confirmation_status(order);
        body["items"] = json!(order
            .lines
            .iter()
            .map(|line| json!({
                "id": line.id,
                "product": { "id": line.sku_id, "name": line.title, "sku": tiki_sku(line.sku_id), "seller_product_code": line.seller_sku, "super_id": line.product_id },
                "confirmation": { "status": confirmation },
                "invoice": { "price": line.price, "quantity": line.quantity, "subtotal": line.price * line.quantity, "row_total": line.price * line.quantity, "discount_amount": 0 },
            }))
            .collect::<Vec<_>>());
    }
    body
}

fn render(order: &SimOrder, version: Version, with_items: bool) -> Value {
    match version {
        Version::V1 => order_v1(order),
        Version::V2 => order_v2(order, with_items),
    }
}

/// A `yyyy-MM-dd HH:mm:ss` (Vietnam time) query parameter.
fn date_param(query: &HashMap<String, String>, name: &str) -> Result<Option<DateTime<Utc>>, HttpResponse> {
    match query.get(name).map(|v| v.trim()).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(text) => chrono::NaiveDateTime::parse_from_str(text, wire::DATE_FORMAT)
            .ok()
            .and_then(|_| wire::parse_local(text))
            .map(Some)
            .ok_or_else(|| errors(400, &format!("{name} must be formatted as yyyy-MM-dd HH:mm:ss"))),
    }
}

/// Inclusive bounds of a time filter; either may be open.
type Range = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// `[from, to]` of one time field, inclusive to the second, at most `MAX_ORDER_WINDOW_DAYS` long.
fn range(query: &HashMap<String, String>, field: &str) -> Result<Range, HttpResponse> {
    let from = date_param(query, &format!("{field}_from_date"))?;
    let to = date_param(query, &format!("{field}_to_date"))?;
    if let (Some(from), Some(to)) = (from, to) {
        if from > to {
            return Err(errors(400, &format!("{field}_from_date must not be after {field}_to_date")));
        }
        if to - from > Duration::days(wire::MAX_ORDER_WINDOW_DAYS) {
            return Err(errors(
                400,
                &format!("The range of {field} dates must not exceed {} days", wire::MAX_ORDER_WINDOW_DAYS),
            ));
        }
    }
    Ok((from, to))
}

fn within(at: DateTime<Utc>, (from, to): Range) -> bool {
    let at = at.duration_trunc(Duration::seconds(1)).unwrap_or(at);
    from.is_none_or(|f| at >= f) && to.is_none_or(|t| at <= t)
}

/// v1 `status`: `queueing` unless given; `all`, `seller_confirmed`, `seller_canceled` or a raw status.
/// v2 `status`: all unless given; a list, or `in|a,b` / `nin|a,b`.
fn status_matches(order: &SimOrder, version: Version, filter: Option<&str>) -> bool {
    match (version, filter.map(str::trim).filter(|f| !f.is_empty())) {
        (Version::V1, None) => order.status == "queueing",
        (Version::V1, Some("all")) | (Version::V2, None) => true,
        (Version::V1, Some("seller_confirmed")) => confirmation_status(order) == "seller_confirmed",
        (Version::V1, Some("seller_canceled")) => confirmation_status(order) == "seller_canceled",
        (_, Some(filter)) => {
            let (negate, list) = match filter.split_once('|') {
                Some(("nin", list)) => (true, list),
                Some((_, list)) => (false, list),
                None => (false, filter),
            };
            list.split(',').any(|s| s.trim() == order.status) != negate
        }
    }
}

async fn list(state: State, req: HttpRequest, query: web::Query<HashMap<String, String>>) -> HttpResponse {
    let version = match authorize(&state, &req) {
        Ok(v) => v,
        Err(refused) => return refused,
    };
    let (page, limit) = match paging(&query, wire::MAX_ORDERS_PAGE) {
        Ok(p) => p,
        Err(refused) => return refused,
    };
    let (created, updated) = match (range(&query, "created"), range(&query, "updated")) {
        (Ok(c), Ok(u)) => (c, u),
        (Err(refused), _) | (_, Err(refused)) => return refused,
    };
    let with_items =
        version == Version::V1 || query.get("include").is_some_and(|i| i.split(',').any(|p| p.trim() == "items"));
    let code = query.get("code").map(String::as_str);
    let store = state.store();
    let mut found: Vec<&SimOrder> = store
        .orders
        .iter()
        .filter(|o| within(o.created_at, created) && within(o.updated_at, updated))
        .filter(|o| status_matches(o, version, query.get("status").map(String::as_str)))
        .filter(|o| code.is_none_or(|c| o.id.to_string() == c))
        .collect();
    found.sort_by_key(|o| (o.created_at, o.id));
    let items: Vec<Value> =
        found.iter().skip((page - 1) * limit).take(limit).map(|o| render(o, version, with_items)).collect();
    HttpResponse::Ok().json(page_of(items, found.len(), page, limit))
}

fn order_id(code: &str) -> Option<u64> {
    code.trim().parse().ok()
}

fn not_found() -> HttpResponse {
    errors(404, "Order not found")
}

async fn detail(state: State, req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    let version = match authorize(&state, &req) {
        Ok(v) => v,
        Err(refused) => return refused,
    };
    let store = state.store();
    match order_id(&path).and_then(|id| store.order(id)) {
        Some(order) => HttpResponse::Ok().json(render(order, version, true)),
        None => not_found(),
    }
}

/// Moves an order (and its lines) to `status` and records the queue event.
fn move_order(store: &mut SimStore, id: u64, status: &str, cancel_reason: Option<&str>) {
    if let Some(order) = store.order_mut(id) {
        order.status = status.to_owned();
        order.updated_at = Utc::now();
        if let Some(reason) = cancel_reason {
            order.cancel_reason = Some(reason.to_owned());
        }
        for line in &mut order.lines {
            line.status = status.to_owned();
        }
        events::record_order_event(store, id, false);
    }
}

/// Confirms the listed items of a `queueing` order; none listed means none available, which cancels it.
fn confirm(store: &mut SimStore, id: u64, item_ids: &[Value]) -> Result<String, HttpResponse> {
    let order = store.order(id).ok_or_else(not_found)?;
    if order.status != "queueing" {
        return Err(errors(400, &format!("Order {id} is {}, only queueing orders can be confirmed", order.status)));
    }
    let known: Vec<u64> = order.lines.iter().map(|l| l.id).collect();
    for item in item_ids {
        let Some(item_id) = item.as_u64().or_else(|| item.as_str().and_then(|s| s.parse().ok())) else {
            return Err(errors(400, "item ids must be integers"));
        };
        if !known.contains(&item_id) {
            return Err(errors(400, &format!("Item {item_id} does not belong to order {id}")));
        }
    }
    let (status, reason) =
        if item_ids.is_empty() { ("canceled", Some("seller_canceled")) } else { ("packaging", None) };
    move_order(store, id, status, reason);
    Ok(status.to_owned())
}

async fn confirm_items_v1(state: State, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    if let Err(refused) = authorize(&state, &req) {
        return refused;
    }
    let body = match json_body(&req, &body) {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    let Some(code) = body.get("order_code").map(|c| c.as_str().map(str::to_owned).unwrap_or_else(|| c.to_string()))
    else {
        return errors(400, "order_code is required");
    };
    let Some(item_ids) = body.get("item_ids").and_then(Value::as_array) else {
        return errors(400, "item_ids must be an array");
    };
    let Some(id) = order_id(&code) else { return not_found() };
    match confirm(&mut state.store(), id, item_ids) {
        Ok(status) => HttpResponse::Ok().json(json!({ "order_code": code, "status": status })),
        Err(refused) => refused,
    }
}

async fn confirm_available_v2(
    state: State,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    if let Err(refused) = authorize(&state, &req) {
        return refused;
    }
    let body = match json_body(&req, &body) {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    let Some(item_ids) = body.get("available_item_ids").and_then(Value::as_array) else {
        return errors(400, "available_item_ids must be an array");
    };
    if body.get("seller_inventory_id").and_then(Value::as_u64) != Some(SIM_WAREHOUSE_ID) {
        return errors(400, "seller_inventory_id is not a warehouse of this seller");
    }
    let Some(id) = order_id(&path) else { return not_found() };
    match confirm(&mut state.store(), id, item_ids) {
        Ok(status) => HttpResponse::Ok().json(json!({ "order_code": path.as_str(), "status": status })),
        Err(refused) => refused,
    }
}

async fn label(state: State, req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    if let Err(refused) = authorize(&state, &req) {
        return refused;
    }
    let store = state.store();
    let Some(order) = order_id(&path).and_then(|id| store.order(id)) else { return not_found() };
    if !LABEL_READY.contains(&order.status.as_str()) {
        return errors(
            400,
            &format!("Order {} is {}: the label is available after confirmation", order.id, order.status),
        );
    }
    HttpResponse::Ok().json(json!({ "shipping_label_url": format!("{}/labels/{}.html", state.base_url, order.id) }))
}

/// The order status a delivery update leads to (`None`: it leaves the status as is).
fn delivery_target(current: &str, delivery_status: &str) -> Result<Option<&'static str>, String> {
    let confirmed = !BEFORE_CONFIRMATION.contains(&current) && current != "canceled";
    if !confirmed {
        return Err(format!("Order is {current}: confirm it first"));
    }
    Ok(match delivery_status {
        "ready_for_delivery" if ["packaging", "finished_packing"].contains(&current) => Some("ready_to_ship"),
        "ready_for_delivery" => return Err(format!("Order is {current}, not being packed")),
        "on_delivery" => Some("shipping"),
        "successful_delivery" => Some("successful_delivery"),
        _ => None,
    })
}

async fn update_delivery_v1(state: State, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    if let Err(refused) = authorize(&state, &req) {
        return refused;
    }
    let body = match json_body(&req, &body) {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    let Some(code) = body.get("order_code").map(|c| c.as_str().map(str::to_owned).unwrap_or_else(|| c.to_string()))
    else {
        return errors(400, "order_code is required");
    };
    let Some(delivery) = body.get("status").and_then(Value::as_str).filter(|s| DELIVERY_STATUSES.contains(s)) else {
        return errors(400, &format!("status must be one of {}", DELIVERY_STATUSES.join(", ")));
    };
    if body.get("update_time").and_then(Value::as_str).and_then(wire::parse_local).is_none() {
        return errors(400, "update_time must be formatted as yyyy-MM-dd HH:mm:ss");
    }
    deliver(&mut state.store(), &code, delivery)
}

async fn update_delivery_v2(state: State, req: HttpRequest, path: web::Path<String>, body: web::Bytes) -> HttpResponse {
    if let Err(refused) = authorize(&state, &req) {
        return refused;
    }
    let body = match json_body(&req, &body) {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    match body.get("status").and_then(Value::as_str) {
        Some(delivery @ ("successful_delivery" | "failed_delivery")) => deliver(&mut state.store(), &path, delivery),
        _ => errors(400, "status must be successful_delivery or failed_delivery"),
    }
}

fn deliver(store: &mut SimStore, code: &str, delivery: &str) -> HttpResponse {
    let Some(order) = order_id(code).and_then(|id| store.order(id)) else { return not_found() };
    let id = order.id;
    match delivery_target(&order.status, delivery) {
        Err(message) => errors(400, &message),
        Ok(target) => {
            if let Some(target) = target {
                move_order(store, id, target, None);
            }
            let status = store.order(id).map(|o| o.status.clone()).unwrap_or_default();
            HttpResponse::Ok().json(json!({ "order_code": code, "status": status }))
        }
    }
}
