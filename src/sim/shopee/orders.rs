//! Orders: the 15-day windowed, cursor-paged order list, details (≤ 50 order_sn), arranging shipment
//! (get_shipping_parameter → ship_order: READY_TO_SHIP → PROCESSED) and seller cancellation (→ CANCELLED).

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use super::gate::{self, Access, Refusal};
use super::products::{has_model, model_id};
use crate::sim::{SimOrder, SimState, SimStore};

type State = web::Data<Arc<SimState>>;

pub const MAX_ORDER_WINDOW_SECS: i64 = 15 * 24 * 3600;
pub const MAX_ORDER_PAGE_SIZE: i64 = 100;
pub const MAX_ORDER_SNS: usize = 50;
/// The seller cancellation reasons `cancel_order` takes (UNDELIVERABLE_AREA applies to TW and MY only).
pub const CANCEL_REASONS: [&str; 4] = ["OUT_OF_STOCK", "CUSTOMER_REQUEST", "UNDELIVERABLE_AREA", "COD_NOT_SUPPORTED"];
/// The simulated shop's one pickup address and time slot.
const PICKUP_ADDRESS_ID: i64 = 7001;
const PICKUP_TIME_ID: &str = "1700000000";
/// Order statuses the `order_status` filter accepts.
const FILTER_STATUSES: [&str; 8] =
    ["UNPAID", "READY_TO_SHIP", "PROCESSED", "SHIPPED", "COMPLETED", "IN_CANCEL", "CANCELLED", "INVOICE_PENDING"];
/// Optional fields of get_order_detail the simulator can fill (others requested are ignored, as unknown ones).
const OPTIONAL_FIELDS: [&str; 12] = [
    "buyer_user_id",
    "buyer_username",
    "estimated_shipping_fee",
    "recipient_address",
    "actual_shipping_fee",
    "item_list",
    "pay_time",
    "payment_method",
    "total_amount",
    "package_list",
    "cancel_by",
    "cancel_reason",
];

const BASE36: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// Shopee-shaped order number: creation date `YYMMDD` + the store id in 8 base-36 digits (e.g. `250101000255R`).
pub fn order_sn(order: &SimOrder) -> String {
    let mut digits = [b'0'; 8];
    let mut n = order.id;
    for slot in digits.iter_mut().rev() {
        *slot = BASE36[(n % 36) as usize];
        n /= 36;
    }
    format!("{}{}", order.created_at.format("%y%m%d"), String::from_utf8_lossy(&digits))
}

/// The store id in an order number (its last 8 base-36 digits).
pub fn order_id_of_sn(sn: &str) -> Option<u64> {
    u64::from_str_radix(&sn.get(6..)?.to_ascii_lowercase(), 36).ok()
}

fn find<'a>(store: &'a SimStore, sn: &str) -> Option<&'a SimOrder> {
    store.order(order_id_of_sn(sn)?).filter(|o| order_sn(o) == sn)
}

/// PENDING shows only to callers that asked for it; others see it as UNPAID (the pre-migration behaviour).
pub fn visible_status(status: &str, pending_requested: bool) -> &str {
    if status == "PENDING" && !pending_requested { "UNPAID" } else { status }
}

pub async fn order_list(state: State, req: HttpRequest) -> HttpResponse {
    let query = match gate::check(&state, &req, Access::Shop) {
        Ok(q) => q,
        Err(refusal) => return refusal.into(),
    };
    let field = query.get("time_range_field").unwrap_or_default();
    if field != "create_time" && field != "update_time" {
        return gate::wrong_param("time_range_field should be create_time or update_time");
    }
    let (from, to, page_size) =
        match (query.required_int("time_from"), query.required_int("time_to"), query.required_int("page_size")) {
            (Ok(f), Ok(t), Ok(p)) => (f, t, p),
            (Err(refusal), _, _) | (_, Err(refusal), _) | (_, _, Err(refusal)) => return refusal.into(),
        };
    if from >= to || to - from > MAX_ORDER_WINDOW_SECS {
        return gate::error(
            "order.order_list_invalid_time",
            "Start time must be earlier than end time and diff in 15days.",
        );
    }
    if !(1..=MAX_ORDER_PAGE_SIZE).contains(&page_size) {
        return gate::wrong_param("page_size should be between 1 and 100");
    }
    let cursor = query.get("cursor").unwrap_or_default();
    let offset: usize = if cursor.is_empty() {
        0
    } else {
        match cursor.parse() {
            Ok(o) => o,
            Err(_) => return gate::wrong_param("cursor is invalid"),
        }
    };
    let status_filter = query.get("order_status").filter(|s| !s.is_empty());
    if status_filter.is_some_and(|s| !FILTER_STATUSES.contains(&s)) {
        return gate::wrong_param("order_status is invalid");
    }
    let pending = query.get("request_order_status_pending") == Some("true");
    let with_status =
        query.get("response_optional_fields").is_some_and(|f| f.split(',').any(|f| f.trim() == "order_status"));
    let store = state.store();
    let time = |o: &SimOrder| if field == "create_time" { o.created_at.timestamp() } else { o.updated_at.timestamp() };
    let mut matching: Vec<&SimOrder> = store
        .orders
        .iter()
        .filter(|o| (from..=to).contains(&time(o)))
        .filter(|o| status_filter.is_none_or(|s| visible_status(&o.status, pending) == s))
        .collect();
    matching.sort_by_key(|o| (time(o), o.id));
    let page: Vec<Value> = matching
        .iter()
        .skip(offset)
        .take(page_size as usize)
        .map(|o| {
            let mut entry = json!({ "order_sn": order_sn(o) });
            if with_status {
                entry["order_status"] = json!(visible_status(&o.status, pending));
            }
            entry
        })
        .collect();
    let next = offset + page.len();
    let more = next < matching.len();
    gate::ok(
        json!({ "more": more, "next_cursor": if more { next.to_string() } else { String::new() }, "order_list": page }),
    )
}

fn detail(store: &SimStore, order: &SimOrder, fields: &[&str], pending: bool) -> Value {
    let mut out = json!({
        "order_sn": order_sn(order),
        "region": super::REGION,
        "currency": super::CURRENCY,
        "cod": true,
        "order_status": visible_status(&order.status, pending),
        "create_time": order.created_at.timestamp(),
        "update_time": order.updated_at.timestamp(),
        "days_to_ship": 2,
        "ship_by_date": (order.created_at + chrono::Duration::days(2)).timestamp(),
        "message_to_seller": "",
    });
    let items: Vec<Value> = order
        .lines
        .iter()
        .map(|line| {
            let product = store.products.iter().find(|p| p.id == line.product_id);
            let sku = product.and_then(|p| p.skus.iter().find(|s| s.id == line.sku_id));
            let (model, with_models) = match (product, sku) {
                (Some(p), Some(s)) => (model_id(p, s), has_model(p)),
                _ => (line.sku_id, true),
            };
            let model_name = sku
                .map(|s| s.options.iter().map(|(_, v)| v.as_str()).collect::<Vec<_>>().join(","))
                .unwrap_or_default();
            json!({
                "item_id": line.product_id,
                "item_name": line.title,
                "item_sku": if with_models { "" } else { line.seller_sku.as_str() },
                "model_id": model,
                "model_name": model_name,
                "model_sku": if with_models { line.seller_sku.as_str() } else { "" },
                "model_quantity_purchased": line.quantity,
                "model_original_price": line.price,
                "model_discounted_price": line.price,
                "order_item_id": line.product_id,
                "promotion_group_id": 0,
                "add_on_deal": false,
                "add_on_deal_id": 0,
                "main_item": false,
                "wholesale": false,
                "weight": 0.2,
            })
        })
        .collect();
    let optional = [
        ("buyer_user_id", json!(900_000 + order.id)),
        ("buyer_username", json!(order.buyer_name)),
        ("estimated_shipping_fee", json!(order.shipping_fee)),
        ("actual_shipping_fee", json!(order.shipping_fee)),
        (
            "recipient_address",
            json!({
                "name": order.buyer_name,
                "phone": order.buyer_phone,
                "town": order.ward,
                "district": order.district,
                "city": order.province,
                "state": order.province,
                "region": super::REGION,
                "zipcode": "",
                "full_address": format!("{}, {}, {}, {}", order.address, order.ward, order.district, order.province),
            }),
        ),
        ("item_list", json!(items)),
        ("pay_time", json!(order.created_at.timestamp())),
        ("payment_method", json!("Cash on Delivery")),
        ("total_amount", json!(order.total())),
        (
            "package_list",
            json!(order.package_id.iter().map(|p| json!({ "package_number": p, "logistics_status": "LOGISTICS_READY", "shipping_carrier": "SPX Express" })).collect::<Vec<_>>()),
        ),
        ("cancel_by", json!(if order.status == "CANCELLED" { "seller" } else { "" })),
        ("cancel_reason", json!(order.cancel_reason.clone().unwrap_or_default())),
    ];
    for (name, value) in optional {
        if fields.contains(&name) {
            out[name] = value;
        }
    }
    out
}

pub async fn order_detail(state: State, req: HttpRequest) -> HttpResponse {
    let query = match gate::check(&state, &req, Access::Shop) {
        Ok(q) => q,
        Err(refusal) => return refusal.into(),
    };
    let sns: Vec<&str> =
        query.get("order_sn_list").unwrap_or_default().split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    if sns.is_empty() || sns.len() > MAX_ORDER_SNS {
        return gate::wrong_param("order_sn_list limit [1,50]");
    }
    let fields: Vec<&str> = query
        .get("response_optional_fields")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|f| OPTIONAL_FIELDS.contains(f))
        .collect();
    let pending = query.get("request_order_status_pending") == Some("true");
    let store = state.store();
    let (mut found, mut missing) = (Vec::new(), Vec::new());
    for sn in sns {
        match find(&store, sn) {
            Some(order) => found.push(detail(&store, order, &fields, pending)),
            None => missing.push(sn.to_owned()),
        }
    }
    gate::ok_with_warning(json!({ "order_list": found }), missing)
}

/// The order named by `order_sn` in a query or body, or Shopee's refusal.
fn order_of(state: &SimState, sn: Option<&str>) -> Result<SimOrder, Refusal> {
    let sn = sn.filter(|s| !s.is_empty()).ok_or_else(|| gate::wrong_param("order_sn is required"))?;
    Ok(find(&state.store(), sn)
        .cloned()
        .ok_or_else(|| gate::error("error_not_found", "Wrong parameters, detail: order_sn not found."))?)
}

pub async fn shipping_parameter(state: State, req: HttpRequest) -> HttpResponse {
    let query = match gate::check(&state, &req, Access::Shop) {
        Ok(q) => q,
        Err(refusal) => return refusal.into(),
    };
    let order = match order_of(&state, query.get("order_sn")) {
        Ok(o) => o,
        Err(refusal) => return refusal.into(),
    };
    if order.status == "CANCELLED" || order.status == "IN_CANCEL" {
        return gate::error("error_status", "The order has been cancelled.");
    }
    let slot_date = (chrono::Utc::now() + chrono::Duration::days(1)).timestamp();
    gate::ok(json!({
        "info_needed": { "pickup": ["address_id", "pickup_time_id"] },
        "dropoff": null,
        "pickup": { "address_list": [{
            "address_id": PICKUP_ADDRESS_ID,
            "region": super::REGION,
            "state": "Hồ Chí Minh",
            "city": "Quận 1",
            "district": "Phường Bến Nghé",
            "town": "",
            "address": "1 Nguyễn Huệ",
            "zipcode": "",
            "address_flag": ["default_address", "pickup_address", "return_address"],
            "time_slot_list": [{ "date": slot_date, "time_text": "08:00-12:00", "pickup_time_id": PICKUP_TIME_ID }],
        }] },
    }))
}

pub async fn ship_order(state: State, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    if let Err(refusal) = gate::check(&state, &req, Access::Shop) {
        return refusal.into();
    }
    let body = match gate::json_body(&body) {
        Ok(b) => b,
        Err(refusal) => return refusal.into(),
    };
    let order = match order_of(&state, body.get("order_sn").and_then(Value::as_str)) {
        Ok(o) => o,
        Err(refusal) => return refusal.into(),
    };
    let modes: Vec<&str> = ["pickup", "dropoff", "non_integrated"]
        .into_iter()
        .filter(|m| body.get(*m).is_some_and(|v| !v.is_null()))
        .collect();
    match modes.as_slice() {
        ["pickup"] => {}
        [] => return gate::wrong_param("pickup is required"),
        [_] => return gate::error("logistics.error_param", "Error, please check the channel."),
        _ => {
            return gate::error(
                "logistics.ship_order_only_support_one_type",
                "Only one of pickup, dropoff and non_integrated can be given.",
            );
        }
    }
    if body["pickup"].get("address_id").and_then(Value::as_i64) != Some(PICKUP_ADDRESS_ID) {
        return gate::error("logistics.address_not_found", "Address is not found.");
    }
    if body["pickup"].get("pickup_time_id").and_then(Value::as_str) != Some(PICKUP_TIME_ID) {
        return gate::wrong_param("pickup_time_id is invalid");
    }
    if order.status != "READY_TO_SHIP" && order.status != "RETRY_SHIP" {
        return gate::error("logistics.error_param", "Logistic status is not supported.");
    }
    if let Some(stored) = state.store().order_mut(order.id) {
        stored.package_id = Some(format!("OFG{}", order.id));
    }
    if let Err(message) = state.set_order_status(order.id, "PROCESSED").await {
        return gate::error("error_server", &message);
    }
    gate::ok_flat(json!({}))
}

pub async fn cancel_order(state: State, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    if let Err(refusal) = gate::check(&state, &req, Access::Shop) {
        return refusal.into();
    }
    let body = match gate::json_body(&body) {
        Ok(b) => b,
        Err(refusal) => return refusal.into(),
    };
    let order = match order_of(&state, body.get("order_sn").and_then(Value::as_str)) {
        Ok(o) => o,
        Err(refusal) => return refusal.into(),
    };
    let reason = body.get("cancel_reason").and_then(Value::as_str).unwrap_or_default();
    if !CANCEL_REASONS.contains(&reason) {
        return gate::wrong_param("cancel_reason is invalid");
    }
    match reason {
        "UNDELIVERABLE_AREA" => return gate::wrong_param("UNDELIVERABLE_AREA only applies to TW and MY"),
        "OUT_OF_STOCK" => {
            let items = body.get("item_list").and_then(Value::as_array).cloned().unwrap_or_default();
            let store = state.store();
            let in_order = |item: &Value| {
                order.lines.iter().any(|line| {
                    let model = store
                        .products
                        .iter()
                        .find(|p| p.id == line.product_id)
                        .and_then(|p| p.skus.iter().find(|s| s.id == line.sku_id).map(|s| model_id(p, s)))
                        .unwrap_or(line.sku_id);
                    item.get("item_id").and_then(Value::as_u64) == Some(line.product_id)
                        && item.get("model_id").and_then(Value::as_u64) == Some(model)
                })
            };
            if items.is_empty() || !items.iter().all(in_order) {
                return gate::wrong_param("item_list is required for OUT_OF_STOCK and must name items of the order");
            }
        }
        _ => {}
    }
    if !matches!(order.status.as_str(), "UNPAID" | "READY_TO_SHIP" | "PENDING") {
        return gate::error("order.error_limit", "Can not cancel this order.");
    }
    if let Some(stored) = state.store().order_mut(order.id) {
        stored.cancel_reason = Some(reason.to_owned());
    }
    match state.set_order_status(order.id, "CANCELLED").await {
        Ok(order) => gate::ok(json!({ "update_time": order.updated_at.timestamp() })),
        Err(message) => gate::error("error_server", &message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_numbers_look_like_shopee_and_lead_back_to_the_order() {
        let mut store = SimStore::default();
        store.seed(1, 2, "SKU-");
        let at = chrono::DateTime::from_timestamp(1_735_689_600, 0).unwrap_or_default();
        let order = SimOrder {
            id: 100_255,
            order_number: "SH100255".into(),
            status: "READY_TO_SHIP".into(),
            created_at: at,
            updated_at: at,
            buyer_name: String::new(),
            buyer_phone: String::new(),
            address: String::new(),
            ward: String::new(),
            district: String::new(),
            province: String::new(),
            shipping_fee: 0,
            cancel_reason: None,
            lines: Vec::new(),
            package_id: None,
        };
        store.orders.push(order.clone());
        let sn = order_sn(&order);
        assert_eq!(sn.len(), 14);
        assert!(sn.starts_with("250101"), "{sn}");
        assert_eq!(find(&store, &sn).map(|o| o.id), Some(100_255));
        assert!(find(&store, "250102000255R0").is_none());
    }
}
