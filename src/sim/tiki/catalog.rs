//! Seller, warehouses and products. On Tiki every SKU is a product (`seller_simple`) with its own
//! `product_id`; SKUs of one configurable product share a `super_id`. The seller's code is `original_sku`.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use super::wire;
use super::{State, Version, authorize, errors, json_body, page_of, paging};
use crate::sim::{SimProduct, SimSku, SimStore};

/// The seller's one warehouse (quantities and confirmations name it).
pub const SIM_WAREHOUSE_ID: u64 = 1034;

/// Tiki's own SKU of a product: a 13-digit code.
pub fn tiki_sku(product_id: u64) -> String {
    format!("{}", 2_000_000_000_000u64 + product_id)
}

pub async fn seller(state: State, req: HttpRequest) -> HttpResponse {
    if let Err(refused) = authorize(&state, &req) {
        return refused;
    }
    HttpResponse::Ok().json(json!({
        "id": 118_541,
        "sid": super::events::SELLER_SID,
        "name": "Cửa hàng mô phỏng Tiki",
        "active": 1,
        "logo": null,
        "operation_models": ["seller_delivery"],
        "can_update_product": 1,
        "registration_status": "completed",
        "live_at": "2020-01-01 00:00:00",
    }))
}

pub async fn warehouses(state: State, req: HttpRequest) -> HttpResponse {
    if let Err(refused) = authorize(&state, &req) {
        return refused;
    }
    let warehouse = json!({
        "id": SIM_WAREHOUSE_ID, "name": "Kho mô phỏng Quận 1", "status": 1, "type": { "id": 1, "name": "warehouse" },
        "street": "12 Lê Lợi", "ward": "Phường Bến Nghé", "district": "Quận 1", "region": "Hồ Chí Minh", "country": "VN",
    });
    HttpResponse::Ok().json(page_of(vec![warehouse], 1, 1, 1))
}

fn product_json(product: &SimProduct, sku: &SimSku, with_inventory: bool) -> Value {
    let configurable = product.skus.len() > 1;
    let mut item = json!({
        "id": sku.id,
        "sku": tiki_sku(sku.id),
        "original_sku": sku.seller_sku,
        "name": product.title,
        "master_id": product.id,
        "master_sku": tiki_sku(product.id),
        "super_id": if configurable { product.id } else { 0 },
        "super_sku": if configurable { tiki_sku(product.id) } else { String::new() },
        "active": if product.status == "active" { 1 } else { 0 },
        "type": "simple",
        "entity_type": "seller_simple",
        "price": sku.price,
        "market_price": sku.list_price,
        "version": 1,
        "created_at": wire::format_local(product.created_at),
        "updated_at": wire::format_local(product.updated_at),
    });
    if !sku.options.is_empty() {
        item["option_attributes"] = json!(sku.options.iter().map(|(name, _)| name).collect::<Vec<_>>());
        for (i, (_, value)) in sku.options.iter().enumerate().take(3) {
            item[format!("option{}", i + 1)] = json!(value);
        }
    }
    if with_inventory {
        item["inventory"] = json!({
            "inventory_type": "backorder",
            "fulfillment_type": "seller_delivery",
            "quantity_available": sku.quantity,
            "warehouse_quantities": [{ "warehouse_id": SIM_WAREHOUSE_ID, "qty_available": sku.quantity }],
        });
    }
    item
}

pub async fn products(state: State, req: HttpRequest, query: web::Query<HashMap<String, String>>) -> HttpResponse {
    if let Err(refused) = authorize(&state, &req) {
        return refused;
    }
    let (page, limit) = match paging(&query, wire::MAX_PRODUCTS_PAGE) {
        Ok(p) => p,
        Err(refused) => return refused,
    };
    let with_inventory = query.get("include").is_some_and(|i| i.split(',').any(|part| part.trim() == "inventory"));
    let active = query.get("active").map(String::as_str);
    let store = state.store();
    let all: Vec<(&SimProduct, &SimSku)> = store
        .products
        .iter()
        .filter(|p| match active {
            Some("1") => p.status == "active",
            Some("0") => p.status != "active",
            _ => true,
        })
        .flat_map(|p| p.skus.iter().map(move |s| (p, s)))
        .collect();
    let items: Vec<Value> =
        all.iter().skip((page - 1) * limit).take(limit).map(|(p, s)| product_json(p, s, with_inventory)).collect();
    HttpResponse::Ok().json(page_of(items, all.len(), page, limit))
}

/// The SKU an update names by `original_sku` or `product_id`.
fn find_sku<'a>(store: &'a mut SimStore, item: &Value) -> Result<&'a mut SimSku, String> {
    let original_sku = item.get("original_sku").and_then(Value::as_str);
    let product_id =
        item.get("product_id").and_then(|v| v.as_u64().or_else(|| v.as_str().and_then(|s| s.parse().ok())));
    let sku_id = match (original_sku, product_id) {
        (Some(code), _) => store
            .sku_by_seller_sku(code)
            .map(|(_, s)| s.id)
            .ok_or_else(|| format!("Product with original_sku {code} not found"))?,
        (None, Some(id)) => id,
        (None, None) => return Err("original_sku or product_id is required".into()),
    };
    store.sku_mut(sku_id).ok_or_else(|| format!("Product {sku_id} not found"))
}

/// Applies one update item; `v1` takes a plain `quantity`, v2 takes `warehouse_quantities`.
fn apply(store: &mut SimStore, item: &Value, version: Version) -> Result<(u64, String), String> {
    let price = match item.get("price") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_i64().or_else(|| v.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)) {
            Some(p) if p > 0 => Some(p),
            _ => return Err("price must be a positive whole number of đồng".into()),
        },
    };
    let quantity = match version {
        Version::V1 => match item.get("quantity") {
            None | Some(Value::Null) => None,
            Some(v) => Some(v.as_i64().filter(|q| *q >= 0).ok_or("quantity must be a non-negative integer")?),
        },
        Version::V2 => match item.get("warehouse_quantities") {
            None | Some(Value::Null) => None,
            Some(Value::Array(entries)) => {
                let mut total = 0;
                for entry in entries {
                    let warehouse = entry.get("warehouse_id").and_then(Value::as_u64);
                    if warehouse != Some(SIM_WAREHOUSE_ID) {
                        return Err(format!(
                            "warehouse_id {} is not a warehouse of this seller",
                            entry.get("warehouse_id").unwrap_or(&Value::Null)
                        ));
                    }
                    total += entry
                        .get("qty_available")
                        .and_then(Value::as_i64)
                        .filter(|q| *q >= 0)
                        .ok_or("qty_available must be a non-negative integer")?;
                }
                Some(total)
            }
            Some(_) => return Err("warehouse_quantities must be an array".into()),
        },
    };
    let sku = find_sku(store, item)?;
    if let Some(price) = price {
        sku.price = price;
    }
    if let Some(quantity) = quantity {
        sku.quantity = quantity;
    }
    Ok((sku.id, sku.seller_sku.clone()))
}

/// `POST /integration/v1/products/updateSku` and `PUT /integration/v2/products/updateSku`: one SKU.
pub async fn update_sku(state: State, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let version = match authorize(&state, &req) {
        Ok(v) => v,
        Err(refused) => return refused,
    };
    let body = match json_body(&req, &body) {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    match apply(&mut state.store(), &body, version) {
        Ok(_) => HttpResponse::Ok().json(json!({ "state": "approved" })),
        Err(message) if message.contains("not found") => errors(404, &message),
        Err(message) => errors(400, &message),
    }
}

/// `PUT /integration/v2.1/products/updateSkus`: up to `MAX_UPDATE_SKUS_BATCH` SKUs, a state per SKU.
pub async fn update_skus(state: State, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    if let Err(refused) = authorize(&state, &req) {
        return refused;
    }
    let body = match json_body(&req, &body) {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    let Some(items) = body.get("data").and_then(Value::as_array) else { return errors(400, "data must be an array") };
    if items.is_empty() {
        return errors(400, "data must not be empty");
    }
    if items.len() > wire::MAX_UPDATE_SKUS_BATCH {
        return errors(400, &format!("data must not contain more than {} items", wire::MAX_UPDATE_SKUS_BATCH));
    }
    let mut store = state.store();
    let results: Vec<Value> = items
        .iter()
        .map(|item| match apply(&mut store, item, Version::V2) {
            Ok((id, code)) => json!({ "product_id": id, "original_sku": code, "state": "approved" }),
            Err(message) => json!({
                "product_id": item.get("product_id"),
                "original_sku": item.get("original_sku"),
                "state": "rejected",
                "errors": [message],
            }),
        })
        .collect();
    HttpResponse::Ok().json(json!({ "data": results }))
}
