//! Items and models: listing (offset pages ≤ 100), base info (≤ 50 ids), model lists, and the per-item stock and
//! price updates (1–50 models each), written into the shared store.

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use super::gate::{self, Access, Refusal};
use crate::sim::{SimProduct, SimSku, SimState};

type State = web::Data<Arc<SimState>>;

pub const MAX_ITEM_PAGE_SIZE: i64 = 100;
pub const MAX_ITEM_IDS: usize = 50;
pub const MAX_MODELS_PER_UPDATE: usize = 50;
const ITEM_STATUSES: [&str; 6] = ["NORMAL", "BANNED", "UNLIST", "REVIEWING", "SELLER_DELETE", "SHOPEE_DELETE"];
/// The seller's single stock location in the simulated shop.
const LOCATION_ID: &str = "VNZ";

/// Shopee's item status for a store product.
fn item_status(product: &SimProduct) -> &'static str {
    match product.status.as_str() {
        _ if product.hidden => "UNLIST",
        "banned" => "BANNED",
        "deleted" => "SELLER_DELETE",
        _ => "NORMAL",
    }
}

/// An item "has models" when it has several SKUs or option values; otherwise its one SKU is the item itself.
pub fn has_model(product: &SimProduct) -> bool {
    product.skus.len() > 1 || product.skus.iter().any(|s| !s.options.is_empty())
}

/// Shopee's model id of a store SKU: 0 for items without models.
pub fn model_id(product: &SimProduct, sku: &SimSku) -> u64 {
    if has_model(product) { sku.id } else { 0 }
}

fn price_info(sku: &SimSku) -> Value {
    json!([{ "currency": super::CURRENCY, "current_price": sku.price, "original_price": sku.list_price }])
}

fn stock_info(sku: &SimSku) -> Value {
    json!({
        "summary_info": { "total_reserved_stock": 0, "total_available_stock": sku.quantity },
        "seller_stock": [{ "location_id": LOCATION_ID, "stock": sku.quantity, "if_saleable": true }],
    })
}

pub async fn item_list(state: State, req: HttpRequest) -> HttpResponse {
    let query = match gate::check(&state, &req, Access::Shop) {
        Ok(q) => q,
        Err(refusal) => return refusal.into(),
    };
    let (offset, page_size) = match (query.required_int("offset"), query.required_int("page_size")) {
        (Ok(o), Ok(p)) => (o, p),
        (Err(refusal), _) | (_, Err(refusal)) => return refusal.into(),
    };
    if offset < 0 || !(1..=MAX_ITEM_PAGE_SIZE).contains(&page_size) {
        return gate::wrong_param("page_size should be between 1 and 100, offset at least 0");
    }
    let statuses = query.all("item_status");
    if statuses.is_empty() {
        return gate::wrong_param("item_status is required");
    }
    if statuses.iter().any(|s| !ITEM_STATUSES.contains(s)) {
        return gate::error("error_param_item_status", "Item status error.");
    }
    let store = state.store();
    let matching: Vec<&SimProduct> = store.products.iter().filter(|p| statuses.contains(&item_status(p))).collect();
    let total = matching.len() as i64;
    let start = offset.min(total) as usize;
    let end = (offset + page_size).min(total) as usize;
    let items: Vec<Value> = matching[start..end]
        .iter()
        .map(|p| json!({ "item_id": p.id, "item_status": item_status(p), "update_time": p.updated_at.timestamp(), "tag": { "kit": false } }))
        .collect();
    let more = (end as i64) < total;
    gate::ok(
        json!({ "item": items, "total_count": total, "has_next_page": more, "next_offset": if more { end as i64 } else { 0 } }),
    )
}

pub async fn item_base_info(state: State, req: HttpRequest) -> HttpResponse {
    let query = match gate::check(&state, &req, Access::Shop) {
        Ok(q) => q,
        Err(refusal) => return refusal.into(),
    };
    // Comma-joined as in Shopee's samples; repeated keys (as some SDKs send arrays) are read too.
    let ids: Result<Vec<u64>, _> = query
        .all("item_id_list")
        .iter()
        .flat_map(|list| list.split(','))
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse::<u64>())
        .collect();
    let Ok(ids) = ids else { return gate::wrong_param("item_id_list should be integers") };
    if ids.is_empty() || ids.len() > MAX_ITEM_IDS {
        return gate::wrong_param("item_id_list limit [1,50]");
    }
    let store = state.store();
    let items: Vec<Value> = ids
        .iter()
        .filter_map(|id| store.products.iter().find(|p| p.id == *id))
        .map(|p| {
            let mut item = json!({
                "item_id": p.id,
                "category_id": 100_001,
                "item_name": p.title,
                "description": "",
                "item_sku": "",
                "create_time": p.created_at.timestamp(),
                "update_time": p.updated_at.timestamp(),
                "condition": "NEW",
                "item_status": item_status(p),
                "has_model": has_model(p),
            });
            // Price and stock are on the item only when it has no models.
            if let (false, Some(sku)) = (has_model(p), p.skus.first()) {
                item["item_sku"] = json!(sku.seller_sku);
                item["price_info"] = price_info(sku);
                item["stock_info_v2"] = stock_info(sku);
            }
            item
        })
        .collect();
    gate::ok(json!({ "item_list": items }))
}

pub async fn model_list(state: State, req: HttpRequest) -> HttpResponse {
    let query = match gate::check(&state, &req, Access::Shop) {
        Ok(q) => q,
        Err(refusal) => return refusal.into(),
    };
    let item_id = match query.required_int("item_id") {
        Ok(id) => id,
        Err(refusal) => return refusal.into(),
    };
    let store = state.store();
    let Some(product) = store.products.iter().find(|p| p.id as i64 == item_id) else {
        return gate::error("error_item_not_found", "Item_id is not found.");
    };
    if !has_model(product) {
        return gate::ok(json!({ "tier_variation": [], "model": [] }));
    }
    // Tiers in the order of the first SKU's options; option lists in order of first appearance.
    let tier_names: Vec<String> =
        product.skus.first().map(|s| s.options.iter().map(|(n, _)| n.clone()).collect()).unwrap_or_default();
    let mut tiers: Vec<Vec<String>> = vec![Vec::new(); tier_names.len()];
    for sku in &product.skus {
        for (tier, (_, value)) in tiers.iter_mut().zip(&sku.options) {
            if !tier.contains(value) {
                tier.push(value.clone());
            }
        }
    }
    let models: Vec<Value> = product
        .skus
        .iter()
        .map(|sku| {
            let tier_index: Vec<usize> = tiers
                .iter()
                .zip(&sku.options)
                .map(|(tier, (_, value))| tier.iter().position(|v| v == value).unwrap_or(0))
                .collect();
            json!({
                "model_id": sku.id,
                "model_sku": sku.seller_sku,
                "model_status": "MODEL_NORMAL",
                "tier_index": tier_index,
                "price_info": price_info(sku),
                "stock_info_v2": stock_info(sku),
                "pre_order": { "is_pre_order": false, "days_to_ship": 2 },
            })
        })
        .collect();
    let tier_variation: Vec<Value> = tier_names
        .iter()
        .zip(&tiers)
        .map(|(name, options)| json!({ "name": name, "option_list": options.iter().map(|o| json!({ "option": o })).collect::<Vec<_>>() }))
        .collect();
    gate::ok(json!({ "tier_variation": tier_variation, "model": models }))
}

/// The item and its model list (`stock_list` / `price_list`) of an update body, within Shopee's limits.
fn update_request(body: &[u8], list_key: &str) -> Result<(u64, Vec<Value>), Refusal> {
    let body = gate::json_body(body)?;
    let item_id =
        body.get("item_id").and_then(Value::as_u64).ok_or_else(|| gate::wrong_param("item_id is required"))?;
    let list = body.get(list_key).and_then(Value::as_array).cloned().unwrap_or_default();
    if list.is_empty() || list.len() > MAX_MODELS_PER_UPDATE {
        return Err(gate::wrong_param(&format!("{list_key} length should be between 1 to 50")).into());
    }
    Ok((item_id, list))
}

/// The SKU a `model_id` names in `product` (0 only for items without models).
fn sku_of(product: &mut SimProduct, model_id: u64) -> Option<&mut SimSku> {
    let with_models = has_model(product);
    product.skus.iter_mut().find(|s| if with_models { s.id == model_id } else { model_id == 0 })
}

pub async fn update_stock(state: State, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    if let Err(refusal) = gate::check(&state, &req, Access::Shop) {
        return refusal.into();
    }
    let (item_id, list) = match update_request(&body, "stock_list") {
        Ok(r) => r,
        Err(refusal) => return refusal.into(),
    };
    let mut store = state.store();
    let Some(product) = store.products.iter_mut().find(|p| p.id == item_id) else {
        return gate::error("error_item_not_found", "Item_id is not found.");
    };
    if product.computes_stock {
        return gate::error(
            crate::channels::shopee::VIRTUAL_SKU_STOCK_REFUSED,
            "The stock of a virtual SKU item is computed from its items and cannot be edited.",
        );
    }
    let (mut success, mut failure) = (Vec::new(), Vec::new());
    for entry in &list {
        let model_id = entry.get("model_id").and_then(Value::as_u64).unwrap_or(u64::MAX);
        let stocks = entry.get("seller_stock").and_then(Value::as_array).cloned().unwrap_or_default();
        let amounts: Option<Vec<i64>> = stocks.iter().map(|s| s.get("stock").and_then(Value::as_i64)).collect();
        let Some(sku) = sku_of(product, model_id) else {
            failure.push(json!({ "model_id": model_id, "failed_reason": "Model_id is not found." }));
            continue;
        };
        match amounts {
            Some(amounts) if !amounts.is_empty() && amounts.iter().all(|a| *a >= 0) => {
                sku.quantity = amounts.iter().sum();
                success.push(json!({ "model_id": model_id, "location_id": LOCATION_ID, "stock": sku.quantity }));
            }
            _ => failure.push(json!({ "model_id": model_id, "failed_reason": "Invalid stock: seller_stock needs stock values of at least 0." })),
        }
    }
    if !success.is_empty() {
        product.updated_at = chrono::Utc::now();
    }
    gate::ok(json!({ "success_list": success, "failure_list": failure }))
}

pub async fn update_price(state: State, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    if let Err(refusal) = gate::check(&state, &req, Access::Shop) {
        return refusal.into();
    }
    let (item_id, list) = match update_request(&body, "price_list") {
        Ok(r) => r,
        Err(refusal) => return refusal.into(),
    };
    let mut store = state.store();
    let Some(product) = store.products.iter_mut().find(|p| p.id == item_id) else {
        return gate::error("error_item_not_found", "Item_id is not found.");
    };
    let (mut success, mut failure) = (Vec::new(), Vec::new());
    for entry in &list {
        let model_id = entry.get("model_id").and_then(Value::as_u64).unwrap_or(u64::MAX);
        let price = entry.get("original_price").and_then(Value::as_f64);
        let Some(sku) = sku_of(product, model_id) else {
            failure.push(json!({ "model_id": model_id, "failed_reason": "Model_id is not found." }));
            continue;
        };
        // VND prices are whole numbers.
        match price {
            Some(p) if p > 0.0 && p.fract() == 0.0 && p < 1e12 => {
                // The simulator has no promotions: the selling price follows the original price.
                sku.list_price = p as i64;
                sku.price = p as i64;
                success.push(json!({ "model_id": model_id, "original_price": sku.list_price }));
            }
            _ => failure
                .push(json!({ "model_id": model_id, "failed_reason": "Invalid price, please use the correct format" })),
        }
    }
    if !success.is_empty() {
        product.updated_at = chrono::Utc::now();
    }
    gate::ok(json!({ "success_list": success, "failure_list": failure }))
}
