//! Orders: `/orders/get`, `/order/get`, `/order/items/get`, `/orders/items/get`, and the seller's actions
//! (pack → ready to ship, shipping label, cancel validate → create). Status lives on items: one item per unit,
//! items of one store line share its status (a partial action on some units of a line moves the whole line).

use std::collections::BTreeSet;

use chrono::{DateTime, FixedOffset, Utc};
use serde_json::{Value, json};

use super::gateway::{Answer, Params, Refusal, data, refuse, result};
use super::{ITEM_STATUSES, SIM_CURRENCY};
use crate::channels::lazada::order_status_of;
use crate::domain::money;
use crate::sim::{SimOrder, SimState, SimStore};

/// `/orders/get` page size maximum.
pub(super) const MAX_LIMIT: usize = 100;
const DEFAULT_LIMIT: usize = 100;
/// `/orders/get` offset maximum (the Get Order guide).
pub(super) const MAX_OFFSET: usize = 5_000;
/// `/orders/items/get` ids per call.
pub(super) const MAX_ORDER_IDS: usize = 50;
/// `/order/fulfill/pack` orders and `/order/package/rts` packages per call.
pub(super) const MAX_FULFILMENT: usize = 20;
/// UNCONFIRMED: the code Lazada gives for more than 50 ids in `/orders/items/get` (the doc names none).
const TOO_MANY_IDS: &str = "InvalidParameter";
/// Order item ids are `<line id> * ITEM_ID_FACTOR + unit`: one item per unit, like Lazada.
const ITEM_ID_FACTOR: u64 = 1000;
/// Item statuses that may be packed (the status-flow guide).
pub(super) const PACKABLE: [&str; 2] = ["pending", "repacked"];
/// Item statuses a seller may cancel: "Pending ~ Ready To Ship" (the cancellation guide).
pub(super) const CANCELLABLE: [&str; 5] = ["pending", "repacked", "packed", "ready_to_ship_pending", "ready_to_ship"];
/// Status filter values `/orders/get` accepts (the statuses plus the `topack` / `toship` aliases).
const FILTER_ALIASES: [(&str, &[&str]); 2] =
    [("topack", &["pending", "repacked"]), ("toship", &["packed", "ready_to_ship_pending", "ready_to_ship"])];
/// Seller cancel reasons (the cancellation guide's example; ids differ per venture).
const CANCEL_REASONS: [(&str, &str); 3] =
    [("10000019", "Sourcing Delay"), ("10000021", "Out of Stock"), ("10000023", "Wrong Price or Pricing Error")];
/// Reasons after which Lazada sets the SKU's stock to 0.
const STOCK_ZEROING_REASONS: [&str; 2] = ["10000021", "10000023"];

/// The id of unit `unit` (0-based) of store line `line_id`.
pub fn item_id(line_id: u64, unit: u64) -> u64 {
    line_id * ITEM_ID_FACTOR + unit + 1
}

fn line_of_item(item_id: u64) -> u64 {
    (item_id.saturating_sub(1)) / ITEM_ID_FACTOR
}

/// Vietnam time, as Lazada VN answers.
fn local(t: DateTime<Utc>) -> String {
    const FORMAT: &str = "%Y-%m-%dT%H:%M:%S%:z";
    match FixedOffset::east_opt(7 * 3600) {
        Some(vietnam) => t.with_timezone(&vietnam).format(FORMAT).to_string(),
        None => t.format(FORMAT).to_string(),
    }
}

/// Amounts on orders are strings with two decimals, even in VND.
fn amount(minor: i64) -> String {
    format!("{:.2}", money::from_minor(minor, SIM_CURRENCY))
}

fn render_order(order: &SimOrder) -> Value {
    let statuses: BTreeSet<&str> = order.lines.iter().map(|l| l.status.as_str()).collect();
    let subtotal: i64 = order.lines.iter().map(|l| l.price * l.quantity).sum();
    let units: i64 = order.lines.iter().map(|l| l.quantity).sum();
    let address = json!({
        "first_name": order.buyer_name, "last_name": "", "phone": order.buyer_phone, "phone2": "",
        "address1": order.address, "address2": "", "address3": order.province, "address4": order.district, "address5": order.ward,
        "city": order.province, "post_code": "", "country": "Vietnam", "addressDsitrict": order.district,
    });
    json!({
        "order_id": order.id.to_string(),
        "order_number": order.order_number,
        "created_at": local(order.created_at),
        "updated_at": local(order.updated_at),
        "statuses": statuses,
        "price": amount(subtotal),
        "shipping_fee": amount(order.shipping_fee),
        "shipping_fee_original": amount(order.shipping_fee),
        "shipping_fee_discount_seller": "0.00",
        "shipping_fee_discount_platform": "0.00",
        "voucher": "0.00",
        "voucher_platform": "0.00",
        "voucher_seller": "0.00",
        "voucher_code": "",
        "items_count": units,
        "payment_method": "COD",
        "customer_first_name": order.buyer_name,
        "customer_last_name": "",
        "address_shipping": address,
        "address_billing": address,
        "warehouse_code": "dropshipping",
        "gift_option": false,
        "gift_message": "",
        "remarks": "",
        "delivery_info": "",
        "tax_code": "",
        "branch_number": "",
        "national_registration_number": "",
        "extra_attributes": null,
        "promised_shipping_times": "",
    })
}

fn render_items(store: &SimStore, order: &SimOrder) -> Vec<Value> {
    let mut items = Vec::new();
    for line in &order.lines {
        let variation = store
            .sku_by_seller_sku(&line.seller_sku)
            .map(|(_, sku)| sku.options.iter().map(|(k, v)| format!("{k}:{v}")).collect::<Vec<_>>().join(", "))
            .unwrap_or_default();
        for unit in 0..u64::try_from(line.quantity).unwrap_or(0) {
            let id = item_id(line.id, unit);
            let packed = !matches!(line.status.as_str(), "unpaid" | "pending" | "repacked" | "canceled");
            let package_id = order.package_id.clone().filter(|_| packed).unwrap_or_default();
            items.push(json!({
                "order_item_id": id,
                "order_id": order.id,
                "purchase_order_id": "",
                "sku": line.seller_sku,
                "shop_sku": format!("{}_VNAMZ-{}", line.product_id, line.sku_id),
                "sku_id": line.sku_id.to_string(),
                "product_id": line.product_id.to_string(),
                "name": line.title,
                "variation": variation,
                "status": line.status,
                "item_price": amount(line.price),
                "paid_price": amount(line.price),
                "currency": SIM_CURRENCY,
                "voucher_amount": "0.00",
                "voucher_seller": "0.00",
                "voucher_platform": "0.00",
                "shipping_amount": "0.00",
                "tax_amount": "0.00",
                "package_id": package_id,
                "tracking_code": if package_id.is_empty() { String::new() } else { format!("LZDVN{}", order.id) },
                "shipment_provider": if package_id.is_empty() { "" } else { "LEX VN" },
                "shipping_type": "Dropshipping",
                "shipping_provider_type": "standard",
                "is_fbl": 0,
                "is_digital": 0,
                "reason": if line.status == "canceled" { order.cancel_reason.clone().unwrap_or_default() } else { String::new() },
                "cancel_return_initiator": if line.status == "canceled" { "cancellation-seller" } else { "" },
                "return_status": "",
                "warehouse_code": "dropshipping",
                "created_at": order.created_at.timestamp_millis().to_string(),
                "updated_at": order.updated_at.timestamp_millis().to_string(),
            }));
        }
    }
    items
}

fn parse_filter_time(params: &Params, name: &str) -> Result<Option<DateTime<Utc>>, Refusal> {
    match params.get(name) {
        None => Ok(None),
        Some(text) => DateTime::parse_from_rfc3339(text)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| refuse("17", format!("E017: \"{text}\" Invalid Date Format"))),
    }
}

fn number(params: &Params, name: &str, default: usize, code: &str, label: &str) -> Result<usize, Refusal> {
    match params.get(name) {
        None => Ok(default),
        Some(text) => text.parse::<usize>().map_err(|_| refuse(code, format!("E0{code}: \"{text}\" {label}"))),
    }
}

pub fn list(state: &SimState, params: &Params) -> Answer {
    let created_after = parse_filter_time(params, "created_after")?;
    let created_before = parse_filter_time(params, "created_before")?;
    let update_after = parse_filter_time(params, "update_after")?;
    let update_before = parse_filter_time(params, "update_before")?;
    if created_after.is_none() && update_after.is_none() {
        return Err(refuse(
            super::codes::MISSING_PARAMETER,
            "The input parameter “created_after” or “update_after” that is mandatory for processing this request is not supplied",
        ));
    }
    let limit = number(params, "limit", DEFAULT_LIMIT, "19", "Invalid Limit")?;
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(refuse("19", format!("E019: \"{limit}\" Invalid Limit: the maximum is {MAX_LIMIT}")));
    }
    let offset = number(params, "offset", 0, "14", "Invalid Offset")?;
    if offset > MAX_OFFSET {
        return Err(refuse("14", format!("E014: \"{offset}\" Invalid Offset: the maximum is {MAX_OFFSET}")));
    }
    let sort_by = params.get("sort_by").unwrap_or("created_at");
    if !["created_at", "updated_at"].contains(&sort_by) {
        return Err(refuse("75", "E075: Invalid sort filter."));
    }
    let descending = match params.get("sort_direction").unwrap_or("DESC") {
        "DESC" => true,
        "ASC" => false,
        _ => return Err(refuse("74", "E074: Invalid sort direction.")),
    };
    let wanted: Option<Vec<&str>> = match params.get("status") {
        None => None,
        Some(status) => match FILTER_ALIASES.iter().find(|(alias, _)| *alias == status) {
            Some((_, statuses)) => Some(statuses.to_vec()),
            None if ITEM_STATUSES.contains(&status) => Some(vec![status]),
            None => return Err(refuse("6", "Invalid status filter")),
        },
    };
    let store = state.store();
    let secs = |t: DateTime<Utc>| t.timestamp();
    let within = |t: DateTime<Utc>, after: Option<DateTime<Utc>>, before: Option<DateTime<Utc>>| {
        after.is_none_or(|a| secs(t) >= secs(a)) && before.is_none_or(|b| secs(t) <= secs(b))
    };
    let mut matching: Vec<&SimOrder> = store
        .orders
        .iter()
        .filter(|o| {
            within(o.created_at, created_after, created_before) && within(o.updated_at, update_after, update_before)
        })
        .filter(|o| wanted.as_ref().is_none_or(|w| o.lines.iter().any(|l| w.contains(&l.status.as_str()))))
        .collect();
    let key = |o: &SimOrder| if sort_by == "updated_at" { (o.updated_at, o.id) } else { (o.created_at, o.id) };
    matching.sort_by_key(|o| key(o));
    if descending {
        matching.reverse();
    }
    let page: Vec<Value> = matching.iter().skip(offset).take(limit).map(|o| render_order(o)).collect();
    data(json!({ "count": page.len(), "countTotal": matching.len(), "orders": page }))
}

fn order_id_param(params: &Params) -> Result<u64, Refusal> {
    let text = params.required("order_id")?;
    text.parse::<u64>().map_err(|_| refuse("16", format!("E016: \"{text}\" Invalid Order ID")))
}

pub fn get(state: &SimState, params: &Params) -> Answer {
    let id = order_id_param(params)?;
    let store = state.store();
    let order = store.order(id).ok_or_else(|| refuse("16", format!("E016: \"{id}\" Invalid Order ID")))?;
    data(render_order(order))
}

pub fn items(state: &SimState, params: &Params) -> Answer {
    let id = order_id_param(params)?;
    let store = state.store();
    let order = store.order(id).ok_or_else(|| refuse("16", format!("E016: \"{id}\" Invalid Order ID")))?;
    data(Value::Array(render_items(&store, order)))
}

/// `[1,2,3]` (the documented form) or a bare comma-separated list.
fn id_list(text: &str) -> Option<Vec<u64>> {
    let inner = text.trim().trim_start_matches('[').trim_end_matches(']');
    inner
        .split(',')
        .map(|s| s.trim().trim_matches('"'))
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<u64>().ok())
        .collect()
}

pub fn multiple_items(state: &SimState, params: &Params) -> Answer {
    let text = params.required("order_ids")?;
    let ids = id_list(text).ok_or_else(|| refuse("16", format!("E016: \"{text}\" Invalid Order ID")))?;
    if ids.len() > MAX_ORDER_IDS {
        return Err(refuse(
            TOO_MANY_IDS,
            format!("No more than {MAX_ORDER_IDS} order ids at a time, got {}", ids.len()),
        ));
    }
    let store = state.store();
    let found: Vec<Value> = ids
        .iter()
        .filter_map(|id| store.order(*id))
        .map(|order| json!({ "order_id": order.id, "order_number": order.order_number, "order_items": render_items(&store, order) }))
        .collect();
    data(Value::Array(found))
}

/// After a seller action: the order's own status follows its items (the hub's rule), then the push goes out.
fn touch(order: &mut SimOrder) {
    order.updated_at = Utc::now();
    if let Some(status) = order_status_of(order.lines.iter().map(|l| l.status.as_str())) {
        order.status = status;
    }
}

async fn push_all(state: &SimState, changed: Vec<SimOrder>) {
    for order in changed {
        state.push_order_webhook(&order, false).await;
    }
}

/// A fulfilment refusal of the whole request: `code` "0" at the top, `success: false` in `result`.
fn fulfilment_refusal(code: &str, message: &str) -> Refusal {
    Refusal::Fulfilment { code: code.to_owned(), message: message.to_owned() }
}

fn json_param(params: &Params, name: &str) -> Result<Value, Refusal> {
    let text = params.required(name)?;
    serde_json::from_str(text).map_err(|_| fulfilment_refusal("700004", "PARAM_ILLEGAL"))
}

fn ids_in(value: &Value) -> Vec<u64> {
    value
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_u64().or_else(|| v.as_str().and_then(|s| s.parse().ok()))).collect())
        .unwrap_or_default()
}

pub async fn pack(state: &SimState, params: &Params) -> Answer {
    let request = json_param(params, "packReq")?;
    if request.get("delivery_type").and_then(Value::as_str) != Some("dropship") {
        return Err(fulfilment_refusal("700004", "PARAM_ILLEGAL: delivery_type must be dropship"));
    }
    let list = request
        .get("pack_order_list")
        .and_then(Value::as_array)
        .filter(|l| !l.is_empty())
        .ok_or_else(|| fulfilment_refusal("700017", "PARAM_IS_NULL: pack_order_list"))?;
    if list.len() > MAX_FULFILMENT {
        return Err(fulfilment_refusal("700018", "PARAM_SIZE_ERROR: at most 20 orders"));
    }
    let mut answer = Vec::new();
    let mut changed = Vec::new();
    {
        let mut store = state.store();
        for entry in list {
            let order_id =
                ids_in(&json!([entry.get("order_id").cloned().unwrap_or(Value::Null)])).first().copied().unwrap_or(0);
            let order = store.order_mut(order_id).ok_or_else(|| fulfilment_refusal("700100", "order not found"))?;
            let package_id = order.package_id.clone().unwrap_or_else(|| format!("FP{:015}", order.id));
            let mut items = Vec::new();
            let mut moved = false;
            for item in ids_in(entry.get("order_item_list").unwrap_or(&Value::Null)) {
                let line = order.lines.iter_mut().find(|l| {
                    l.id == line_of_item(item) && item_id(l.id, 0) <= item && item < item_id(l.id, l.quantity as u64)
                });
                let outcome = match line {
                    None => {
                        json!({ "order_item_id": item, "item_err_code": "700020", "msg": "ORDER_ITEM_NOT_FOUND", "retry": false })
                    }
                    Some(line) if line.status == "packed" || PACKABLE.contains(&line.status.as_str()) => {
                        line.status = "packed".into();
                        moved = true;
                        json!({ "order_item_id": item, "item_err_code": "0", "msg": "success", "tracking_number": format!("LZDVN{order_id}"),
                                "shipment_provider": "LEX VN", "package_id": package_id, "retry": false })
                    }
                    Some(line) => json!({ "order_item_id": item, "item_err_code": "700000",
                                          "msg": format!("PACKAGE_STATUS_NOT_ALLOW_TO_OP: item is {}", line.status), "retry": false }),
                };
                items.push(outcome);
            }
            if moved {
                order.package_id = Some(package_id);
                touch(order);
                changed.push(order.clone());
            }
            answer.push(json!({ "order_id": order_id, "order_item_list": items }));
        }
    }
    push_all(state, changed).await;
    Ok(result(json!({ "success": true, "error_code": "", "error_msg": "", "data": { "pack_order_list": answer } })))
}

pub async fn ready_to_ship(state: &SimState, params: &Params) -> Answer {
    let request = json_param(params, "readyToShipReq")?;
    let packages = request
        .get("packages")
        .and_then(Value::as_array)
        .filter(|p| !p.is_empty())
        .ok_or_else(|| fulfilment_refusal("700017", "PARAM_IS_NULL: packages"))?;
    if packages.len() > MAX_FULFILMENT {
        return Err(fulfilment_refusal("700018", "PARAM_SIZE_ERROR: at most 20 packages"));
    }
    let mut answer = Vec::new();
    let mut changed = Vec::new();
    {
        let mut store = state.store();
        for package in packages {
            let package_id = package.get("package_id").and_then(Value::as_str).unwrap_or_default().to_owned();
            let order = store.orders.iter_mut().find(|o| o.package_id.as_deref() == Some(package_id.as_str()));
            let outcome = match order {
                None => {
                    json!({ "package_id": package_id, "item_err_code": "11", "msg": "package not found", "retry": false })
                }
                Some(order) if order.lines.iter().all(|l| l.status == "canceled") => {
                    json!({ "package_id": package_id, "item_err_code": "600002", "msg": "package already cancelled", "retry": false })
                }
                Some(order) if order.lines.iter().any(|l| l.status == "packed") => {
                    for line in order.lines.iter_mut().filter(|l| l.status == "packed") {
                        line.status = "ready_to_ship".into();
                    }
                    touch(order);
                    changed.push(order.clone());
                    json!({ "package_id": package_id, "item_err_code": "0", "msg": "success", "retry": false })
                }
                Some(_) => {
                    json!({ "package_id": package_id, "item_err_code": "700000", "msg": "PACKAGE_STATUS_NOT_ALLOW_TO_OP", "retry": false })
                }
            };
            answer.push(outcome);
        }
    }
    push_all(state, changed).await;
    Ok(result(json!({ "success": true, "error_code": "", "error_msg": "", "data": { "packages": answer } })))
}

pub fn document(state: &SimState, params: &Params) -> Answer {
    use base64::Engine;
    let request = json_param(params, "getDocumentReq")?;
    let doc_type = request.get("doc_type").and_then(Value::as_str).unwrap_or("PDF");
    if !["PDF", "HTML"].contains(&doc_type) {
        return Err(fulfilment_refusal("700004", "PARAM_ILLEGAL: doc_type"));
    }
    let ids: Vec<String> = request
        .get("packages")
        .and_then(Value::as_array)
        .map(|p| p.iter().filter_map(|x| x.get("package_id").and_then(Value::as_str).map(str::to_owned)).collect())
        .unwrap_or_default();
    if ids.is_empty() {
        return Err(fulfilment_refusal("700017", "PARAM_IS_NULL: packages"));
    }
    let store = state.store();
    if let Some(unknown) =
        ids.iter().find(|id| !store.orders.iter().any(|o| o.package_id.as_deref() == Some(id.as_str())))
    {
        return Err(fulfilment_refusal("11", &format!("package not found: {unknown}")));
    }
    let file = base64::engine::general_purpose::STANDARD
        .encode(format!("%PDF-1.4\n% Lazada simulator label for {}\n%%EOF\n", ids.join(", ")));
    Ok(result(
        json!({ "success": true, "error_code": "", "error_msg": "", "data": { "file": file, "doc_type": doc_type } }),
    ))
}

/// The order and the store lines the listed items belong to, if every item may be cancelled.
fn cancellable_lines(store: &SimStore, params: &Params) -> Result<(u64, Vec<u64>), Refusal> {
    let order_id =
        params.required("order_id")?.parse::<u64>().map_err(|_| refuse("122", "E0122: invalid trade order"))?;
    let text = params.required("order_item_id_list")?;
    let items = id_list(text)
        .filter(|i| !i.is_empty())
        .ok_or_else(|| refuse("102", "E0102: trade order line id is empty or invalid"))?;
    let order = store.order(order_id).ok_or_else(|| refuse("122", "E0122: invalid trade order"))?;
    let mut lines = Vec::new();
    for item in items {
        let Some(line) =
            order.lines.iter().find(|l| l.id == line_of_item(item) && item < item_id(l.id, l.quantity as u64))
        else {
            return Err(refuse("123", format!("E0123: invalid trade order lines {item}")));
        };
        if !CANCELLABLE.contains(&line.status.as_str()) {
            return Err(refuse(
                "123",
                format!(
                    "E0123: invalid trade order lines {item}: an item in status {} can't be cancelled",
                    line.status
                ),
            ));
        }
        if !lines.contains(&line.id) {
            lines.push(line.id);
        }
    }
    Ok((order_id, lines))
}

pub fn cancel_validate(state: &SimState, params: &Params) -> Answer {
    let store = state.store();
    cancellable_lines(&store, params)?;
    data(json!({
        "tip_content": "SKU stock may be set to 0 after cancellation due to reasons: ‘out of stock’ or ‘incorrect pricing’.",
        "tip_type": "warning",
        "reason_options": CANCEL_REASONS.iter().map(|(id, name)| json!({ "reason_id": id, "reason_name": name })).collect::<Vec<_>>(),
    }))
}

pub async fn cancel_create(state: &SimState, params: &Params) -> Answer {
    let changed = {
        let mut store = state.store();
        let (order_id, lines) = cancellable_lines(&store, params)?;
        let reason_id = params.get("reason_id").unwrap_or_default();
        let (_, reason_name) = CANCEL_REASONS
            .iter()
            .find(|(id, _)| *id == reason_id)
            .ok_or_else(|| refuse("104", "E0104: reason is empty or invalid"))?;
        let order = store.order_mut(order_id).ok_or_else(|| refuse("122", "E0122: invalid trade order"))?;
        let mut skus = Vec::new();
        for line in order.lines.iter_mut().filter(|l| lines.contains(&l.id)) {
            line.status = "canceled".into();
            skus.push(line.sku_id);
        }
        order.cancel_reason = Some((*reason_name).to_owned());
        touch(order);
        let changed = order.clone();
        if STOCK_ZEROING_REASONS.contains(&reason_id) {
            for sku in skus {
                if let Some(sku) = store.sku_mut(sku) {
                    sku.quantity = 0;
                }
            }
        }
        changed
    };
    push_all(state, vec![changed]).await;
    data(json!({ "tip_content": "The order has been cancelled.", "tip_type": "success" }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_ids_map_back_to_their_line() {
        assert_eq!(line_of_item(item_id(100_005, 0)), 100_005);
        assert_eq!(line_of_item(item_id(100_005, 998)), 100_005);
        assert_eq!(id_list("[1, 2,3]"), Some(vec![1, 2, 3]));
        assert_eq!(id_list("[x]"), None);
    }

    #[test]
    fn order_times_are_vietnam_local_with_offset() {
        let t = DateTime::parse_from_rfc3339("2024-05-01T03:00:00Z").expect("time").with_timezone(&Utc);
        assert_eq!(local(t), "2024-05-01T10:00:00+07:00");
        assert_eq!(amount(150_000), "150000.00");
    }
}
