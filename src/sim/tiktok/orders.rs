//! Orders and their actions: order search and detail, ship package, shipping documents, seller cancellation.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::{Scope, State, verify};
use super::{CURRENCY, envelope_error, envelope_ok, page_offset, page_size, page_token_after, parse_body};
use super::{MAX_ORDER_IDS_PER_CALL, codes};
use crate::domain::money;
use crate::sim::{SimOrder, SimStore};

/// Statuses before TikTok creates the order's package (no `packages`, no recipient address).
const BEFORE_PACKAGE: [&str; 2] = ["UNPAID", "ON_HOLD"];
/// Statuses a seller may still cancel from.
const CANCELLABLE: [&str; 3] = ["UNPAID", "ON_HOLD", "AWAITING_SHIPMENT"];
/// Statuses in which the package has been shipped (a label exists).
const SHIPPED: [&str; 4] = ["AWAITING_COLLECTION", "IN_TRANSIT", "DELIVERED", "COMPLETED"];
/// Document types Get Package Shipping Document takes.
const DOCUMENT_TYPES: [&str; 5] =
    ["SHIPPING_LABEL", "PACKING_SLIP", "SHIPPING_LABEL_AND_PACKING_SLIP", "SHIPPING_LABEL_PICTURE", "HAZMAT_LABEL"];

fn amount(minor: i64) -> String {
    money::from_minor(minor, CURRENCY).to_string()
}

/// The package id TikTok gives the order once it is paid (kept after shipping).
pub(super) fn package_id(order: &SimOrder) -> Option<String> {
    if BEFORE_PACKAGE.contains(&order.status.as_str()) && order.package_id.is_none() {
        return None;
    }
    Some(order.package_id.clone().unwrap_or_else(|| format!("1152{}", order.id)))
}

/// An order in the 202309 shape: one line item per unit.
fn order_json(store: &SimStore, order: &SimOrder) -> Value {
    let package = package_id(order);
    let subtotal: i64 = order.lines.iter().map(|l| l.price * l.quantity).sum();
    let mut line_items = Vec::new();
    for line in &order.lines {
        let sku_name = store
            .products
            .iter()
            .flat_map(|p| p.skus.iter())
            .find(|s| s.id == line.sku_id)
            .map(|s| s.options.iter().map(|(_, v)| v.as_str()).collect::<Vec<_>>().join(", "))
            .unwrap_or_default();
        for unit in 0..line.quantity.max(0) {
            line_items.push(json!({
                "id": (line.id * 1000 + unit as u64).to_string(),
                "sku_id": line.sku_id.to_string(),
                "product_id": line.product_id.to_string(),
                "product_name": line.title,
                "sku_name": sku_name,
                "seller_sku": line.seller_sku,
                "original_price": amount(line.price),
                "sale_price": amount(line.price),
                "seller_discount": "0",
                "platform_discount": "0",
                "currency": CURRENCY,
                "display_status": line.status,
                "package_id": package,
                "package_status": if SHIPPED.contains(&order.status.as_str()) { "PROCESSING" } else { "TO_FULFILL" },
                "cancel_reason": order.cancel_reason,
            }));
        }
    }
    let mut json = json!({
        "id": order.id.to_string(),
        "status": order.status,
        "create_time": order.created_at.timestamp(),
        "update_time": order.updated_at.timestamp(),
        "user_id": format!("70214368{}", order.id),
        "buyer_email": format!("buyer{}@scs.tiktokw.us", order.id),
        "buyer_message": "",
        "payment_method_name": "Cash on delivery",
        "is_cod": true,
        "shipping_type": "TIKTOK",
        "is_on_hold_order": false,
        "payment": {
            "currency": CURRENCY,
            "sub_total": amount(subtotal),
            "shipping_fee": amount(order.shipping_fee),
            "seller_discount": "0",
            "platform_discount": "0",
            "total_amount": amount(order.total()),
            "original_total_product_price": amount(subtotal),
            "original_shipping_fee": amount(order.shipping_fee),
        },
        "packages": package.iter().map(|id| json!({ "id": id })).collect::<Vec<_>>(),
        "line_items": line_items,
    });
    if let Some(reason) = &order.cancel_reason {
        json["cancel_reason"] = json!(reason);
        json["cancellation_initiator"] = json!("SELLER");
    }
    if SHIPPED.contains(&order.status.as_str()) {
        json["tracking_number"] = json!(tracking_number(order));
    }
    // The address is hidden while the order is unpaid or on hold, as on TikTok.
    if !BEFORE_PACKAGE.contains(&order.status.as_str()) {
        json["recipient_address"] = json!({
            "name": order.buyer_name,
            "phone_number": order.buyer_phone,
            "address_detail": order.address,
            "full_address": format!("{}, {}, {}, {}", order.address, order.ward, order.district, order.province),
            "region_code": super::SHOP_REGION,
            "postal_code": "",
            "district_info": [
                { "address_level_name": "Country", "address_name": "Vietnam", "address_level": "L0" },
                { "address_level_name": "Province", "address_name": order.province, "address_level": "L1" },
                { "address_level_name": "District", "address_name": order.district, "address_level": "L2" },
                { "address_level_name": "Ward", "address_name": order.ward, "address_level": "L3" },
            ],
        });
    }
    json
}

fn tracking_number(order: &SimOrder) -> String {
    format!("SIMVN{}", order.id)
}

#[derive(Debug, Default, Deserialize)]
struct OrderFilter {
    order_status: Option<String>,
    create_time_ge: Option<i64>,
    create_time_lt: Option<i64>,
    update_time_ge: Option<i64>,
    update_time_lt: Option<i64>,
}

impl OrderFilter {
    fn keeps(&self, order: &SimOrder) -> bool {
        let in_range =
            |t: i64, ge: Option<i64>, lt: Option<i64>| ge.is_none_or(|ge| t >= ge) && lt.is_none_or(|lt| t < lt);
        self.order_status.as_ref().is_none_or(|s| *s == order.status)
            && in_range(order.created_at.timestamp(), self.create_time_ge, self.create_time_lt)
            && in_range(order.updated_at.timestamp(), self.update_time_ge, self.update_time_lt)
    }
}

/// `POST /order/202309/orders/search?page_size&page_token&sort_field&sort_order` (no maximum time window).
pub(super) async fn search(state: State, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let verified = match verify(&state, &req, &body, Scope::Shop) {
        Ok(v) => v,
        Err(refusal) => return refusal,
    };
    let (size, offset) = match (page_size(&verified), page_offset(&verified)) {
        (Ok(size), Ok(offset)) => (size, offset),
        (Err(refusal), _) | (_, Err(refusal)) => return refusal,
    };
    let by_update = match verified.get("sort_field") {
        None | Some("create_time") => false,
        Some("update_time") => true,
        Some(_) => return envelope_error(codes::INVALID_PARAMETER, "sort_field must be create_time or update_time."),
    };
    let ascending = match verified.get("sort_order") {
        None | Some("DESC") => false,
        Some("ASC") => true,
        Some(_) => return envelope_error(codes::INVALID_PARAMETER, "sort_order must be ASC or DESC."),
    };
    let filter: OrderFilter = match parse_body(&body) {
        Ok(filter) => filter,
        Err(refusal) => return refusal,
    };
    let store = state.store();
    let mut matching: Vec<&SimOrder> = store.orders.iter().filter(|o| filter.keeps(o)).collect();
    matching.sort_by_key(|o| (if by_update { o.updated_at } else { o.created_at }, o.id));
    if !ascending {
        matching.reverse();
    }
    let page: Vec<Value> = matching.iter().skip(offset).take(size).map(|o| order_json(&store, o)).collect();
    envelope_ok(json!({
        "total_count": matching.len(),
        "orders": page,
        "next_page_token": page_token_after(offset, size, matching.len()),
    }))
}

/// `GET /order/202309/orders?ids=a,b` (at most 50; unknown ids are left out).
pub(super) async fn detail(state: State, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let verified = match verify(&state, &req, &body, Scope::Shop) {
        Ok(v) => v,
        Err(refusal) => return refusal,
    };
    let ids: Vec<&str> =
        verified.get("ids").unwrap_or_default().split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    if ids.is_empty() || ids.len() > MAX_ORDER_IDS_PER_CALL {
        return envelope_error(
            codes::INVALID_PARAMETER,
            format!("ids must hold 1 to {MAX_ORDER_IDS_PER_CALL} order ids."),
        );
    }
    let store = state.store();
    let orders: Vec<Value> = ids
        .iter()
        .filter_map(|id| store.orders.iter().find(|o| o.id.to_string() == *id))
        .map(|o| order_json(&store, o))
        .collect();
    envelope_ok(json!({ "orders": orders }))
}

#[derive(Debug, Default, Deserialize)]
struct ShipBody {
    handover_method: Option<String>,
}

/// The order holding package `package`, with its status.
fn order_of_package(store: &SimStore, package: &str) -> Option<(u64, String)> {
    store.orders.iter().find(|o| package_id(o).as_deref() == Some(package)).map(|o| (o.id, o.status.clone()))
}

/// `POST /fulfillment/202309/packages/{package_id}/ship`: AWAITING_SHIPMENT → AWAITING_COLLECTION.
pub(super) async fn ship_package(
    state: State,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    if let Err(refusal) = verify(&state, &req, &body, Scope::Shop) {
        return refusal;
    }
    let request: ShipBody = match parse_body(&body) {
        Ok(request) => request,
        Err(refusal) => return refusal,
    };
    if request.handover_method.as_deref().is_some_and(|m| m != "PICKUP" && m != "DROP_OFF") {
        return envelope_error(codes::INVALID_PARAMETER, "handover_method must be PICKUP or DROP_OFF.");
    }
    let package = path.into_inner();
    let order_id = {
        let mut store = state.store();
        let Some((order_id, status)) = order_of_package(&store, &package) else {
            return envelope_error(codes::ORDER_NOT_FOUND, format!("Package {package} does not exist."));
        };
        if status != "AWAITING_SHIPMENT" {
            return envelope_error(
                codes::ORDER_STATUS_NOT_ALLOWED,
                format!("The package cannot be shipped: the order is {status}."),
            );
        }
        if let Some(order) = store.order_mut(order_id) {
            order.package_id = Some(package.clone());
        }
        order_id
    };
    match state.set_order_status(order_id, "AWAITING_COLLECTION").await {
        Ok(_) => envelope_ok(json!({})),
        Err(message) => envelope_error(codes::INTERNAL_ERROR, message),
    }
}

/// `GET /fulfillment/202309/packages/{package_id}/shipping_documents?document_type=..` (after shipping).
pub(super) async fn shipping_documents(
    state: State,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let verified = match verify(&state, &req, &body, Scope::Shop) {
        Ok(v) => v,
        Err(refusal) => return refusal,
    };
    if !verified.get("document_type").is_some_and(|t| DOCUMENT_TYPES.contains(&t)) {
        return envelope_error(codes::INVALID_PARAMETER, "document_type is missing or invalid.");
    }
    let package = path.into_inner();
    let store = state.store();
    let Some(order) = store.orders.iter().find(|o| package_id(o).as_deref() == Some(package.as_str())) else {
        return envelope_error(codes::ORDER_NOT_FOUND, format!("Package {package} does not exist."));
    };
    if !SHIPPED.contains(&order.status.as_str()) {
        return envelope_error(
            codes::ORDER_STATUS_NOT_ALLOWED,
            "Shipping documents exist once the package has been shipped.",
        );
    }
    envelope_ok(json!({
        // Not served by the simulator: a stand-in for TikTok's 24-hour document link.
        "doc_url": format!("{}/_sim/documents/{package}.pdf", state.base_url),
        "tracking_number": tracking_number(order),
    }))
}

#[derive(Debug, Deserialize)]
struct CancelBody {
    order_id: String,
    cancel_reason: String,
}

/// `POST /return_refund/202309/cancellations`: a seller cancellation before shipping completes at once.
pub(super) async fn cancel(state: State, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    if let Err(refusal) = verify(&state, &req, &body, Scope::Shop) {
        return refusal;
    }
    let request: CancelBody = match parse_body(&body) {
        Ok(request) => request,
        Err(refusal) => return refusal,
    };
    if request.cancel_reason.trim().is_empty() {
        return envelope_error(codes::INVALID_PARAMETER, "cancel_reason is required.");
    }
    let order_id = {
        let mut store = state.store();
        let Some(order) = store.orders.iter_mut().find(|o| o.id.to_string() == request.order_id) else {
            return envelope_error(codes::ORDER_NOT_FOUND, format!("Order {} does not exist.", request.order_id));
        };
        if !CANCELLABLE.contains(&order.status.as_str()) {
            return envelope_error(
                codes::ORDER_STATUS_NOT_ALLOWED,
                format!("The order cannot be cancelled by the seller: it is {}.", order.status),
            );
        }
        order.cancel_reason = Some(request.cancel_reason.clone());
        order.id
    };
    match state.set_order_status(order_id, "CANCELLED").await {
        Ok(_) => envelope_ok(
            json!({ "cancel_id": format!("40353{order_id}"), "cancel_status": "CANCELLATION_REQUEST_COMPLETE" }),
        ),
        Err(message) => envelope_error(codes::INTERNAL_ERROR, message),
    }
}
