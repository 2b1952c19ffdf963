//! Products: `POST /product/202309/products/search`, `GET /product/202309/products/{product_id}` (the detail,
//! the only one with options and list price) and the per-product price and inventory updates.

use std::str::FromStr;

use actix_web::{HttpRequest, HttpResponse, web};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::{Scope, State, verify};
use super::{
    CURRENCY, WAREHOUSE_ID, envelope_error, envelope_ok, page_offset, page_size, page_token_after, parse_body,
};
use super::{INVENTORY_QUANTITY_RANGE, MAX_SKUS_PER_UPDATE_CALL, codes};
use crate::domain::money;
use crate::sim::{SimProduct, SimSku};

/// Search Products serves at most this many results of one query (error 12052180 beyond).
const SEARCH_RESULT_WINDOW: usize = 10_000;
/// Filters by seller SKUs or SKU ids take at most this many values.
const MAX_SKU_FILTER_VALUES: usize = 10;

/// The TikTok status of a simulator product.
fn product_status(product: &SimProduct) -> &'static str {
    if product.status == "active" && !product.hidden { "ACTIVATE" } else { "SELLER_DEACTIVATED" }
}

fn amount(minor: i64) -> String {
    money::from_minor(minor, CURRENCY).to_string()
}

fn sku_json(sku: &SimSku) -> Value {
    json!({
        "id": sku.id.to_string(),
        "seller_sku": sku.seller_sku,
        "price": { "currency": CURRENCY, "tax_exclusive_price": amount(sku.price), "sale_price": amount(sku.price) },
        "inventory": [{ "warehouse_id": WAREHOUSE_ID, "quantity": sku.quantity }],
    })
}

fn product_json(product: &SimProduct) -> Value {
    json!({
        "id": product.id.to_string(),
        "title": product.title,
        "status": product_status(product),
        "create_time": product.created_at.timestamp(),
        "update_time": product.updated_at.timestamp(),
        "sales_regions": [super::SHOP_REGION],
        "skus": product.skus.iter().map(sku_json).collect::<Vec<_>>(),
    })
}

/// A SKU as Get Product gives it: with its sales attributes (options) and list price, which Search Products lacks.
fn sku_detail_json(sku: &SimSku) -> Value {
    let mut out = sku_json(sku);
    out["sales_attributes"] = sku
        .options
        .iter()
        .enumerate()
        .map(|(i, (name, value))| {
            json!({ "id": format!("10000{i}"), "name": name, "value_id": format!("20000{i}"), "value_name": value })
        })
        .collect::<Vec<_>>()
        .into();
    // UNCONFIRMED for Vietnam (shared/channels/tiktok.md §3.1): the list price as `{amount, currency}`.
    if sku.list_price > 0 {
        out["list_price"] = json!({ "amount": amount(sku.list_price), "currency": CURRENCY });
    }
    out
}

/// `GET /product/202309/products/{product_id}` (Get Product).
pub(super) async fn detail(state: State, req: HttpRequest, path: web::Path<String>, body: web::Bytes) -> HttpResponse {
    if let Err(refusal) = verify(&state, &req, &body, Scope::Shop) {
        return refusal;
    }
    let product_id = path.into_inner();
    let store = state.store();
    let Some(product) = store.products.iter().find(|p| p.id.to_string() == product_id) else {
        return envelope_error(codes::PRODUCT_NOT_FOUND, format!("Product {product_id} does not exist."));
    };
    let mut out = product_json(product);
    out["skus"] = product.skus.iter().map(sku_detail_json).collect::<Vec<_>>().into();
    envelope_ok(out)
}

#[derive(Debug, Default, Deserialize)]
struct SearchFilter {
    status: Option<String>,
    seller_skus: Option<Vec<String>>,
    sku_ids: Option<Vec<String>>,
    create_time_ge: Option<i64>,
    create_time_le: Option<i64>,
    update_time_ge: Option<i64>,
    update_time_le: Option<i64>,
}

impl SearchFilter {
    fn keeps(&self, product: &SimProduct) -> bool {
        let status_ok = match self.status.as_deref() {
            None | Some("ALL") => true,
            Some(status) => status == product_status(product),
        };
        let in_range =
            |t: i64, ge: Option<i64>, le: Option<i64>| ge.is_none_or(|ge| t >= ge) && le.is_none_or(|le| t <= le);
        status_ok
            && self.seller_skus.as_ref().is_none_or(|codes| product.skus.iter().any(|s| codes.contains(&s.seller_sku)))
            && self.sku_ids.as_ref().is_none_or(|ids| product.skus.iter().any(|s| ids.contains(&s.id.to_string())))
            && in_range(product.created_at.timestamp(), self.create_time_ge, self.create_time_le)
            && in_range(product.updated_at.timestamp(), self.update_time_ge, self.update_time_le)
    }
}

/// `POST /product/202309/products/search?page_size=..&page_token=..`; products in creation order.
pub(super) async fn search(state: State, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let verified = match verify(&state, &req, &body, Scope::Shop) {
        Ok(v) => v,
        Err(refusal) => return refusal,
    };
    let (size, offset) = match (page_size(&verified), page_offset(&verified)) {
        (Ok(size), Ok(offset)) => (size, offset),
        (Err(refusal), _) | (_, Err(refusal)) => return refusal,
    };
    let filter: SearchFilter = match parse_body(&body) {
        Ok(filter) => filter,
        Err(refusal) => return refusal,
    };
    if filter.seller_skus.as_ref().is_some_and(|v| v.len() > MAX_SKU_FILTER_VALUES) {
        return envelope_error(codes::TOO_MANY_SELLER_SKUS, "The number of seller_skus exceeds the limit of 10.");
    }
    if filter.sku_ids.as_ref().is_some_and(|v| v.len() > MAX_SKU_FILTER_VALUES) {
        return envelope_error(codes::INVALID_PARAMETER, "The number of sku_ids exceeds the limit of 10.");
    }
    if offset + size > SEARCH_RESULT_WINDOW {
        return envelope_error(
            codes::SEARCH_RESULT_WINDOW_EXCEEDED,
            "Only the first 10000 results can be retrieved; narrow the search with time filters.",
        );
    }
    let store = state.store();
    let matching: Vec<&SimProduct> = store.products.iter().filter(|p| filter.keeps(p)).collect();
    let page: Vec<Value> = matching.iter().skip(offset).take(size).map(|p| product_json(p)).collect();
    envelope_ok(json!({
        "total_count": matching.len(),
        "products": page,
        "next_page_token": page_token_after(offset, size, matching.len()),
    }))
}

#[derive(Debug, Deserialize)]
struct PriceBody {
    skus: Vec<PriceSku>,
}

#[derive(Debug, Deserialize)]
struct PriceSku {
    id: String,
    price: PriceIn,
}

#[derive(Debug, Deserialize)]
struct PriceIn {
    amount: Option<String>,
    currency: String,
}

#[derive(Debug, Deserialize)]
struct InventoryBody {
    skus: Vec<InventorySku>,
}

#[derive(Debug, Deserialize)]
struct InventorySku {
    id: String,
    inventory: Vec<InventoryIn>,
}

#[derive(Debug, Deserialize)]
struct InventoryIn {
    warehouse_id: Option<String>,
    quantity: i64,
}

/// One entry of `data.errors`.
fn sku_error(sku_id: &str, extra: Vec<Value>) -> Value {
    json!({ "code": codes::SKU_CHECK_FAILED, "message": "Check failed", "detail": { "sku_id": sku_id, "extra_errors": extra } })
}

fn extra(code: i64, message: &str) -> Value {
    json!({ "code": code, "message": message })
}

/// The product of a price/inventory update, if it may be updated; else the refusal.
fn updatable<'a>(product: Option<&'a mut SimProduct>, product_id: &str) -> Result<&'a mut SimProduct, HttpResponse> {
    let product = product
        .ok_or_else(|| envelope_error(codes::PRODUCT_NOT_FOUND, format!("Product {product_id} does not exist.")))?;
    if product_status(product) != "ACTIVATE" {
        return Err(envelope_error(codes::PRODUCT_NOT_ACTIVE, "Only products in ACTIVATE status can be updated."));
    }
    Ok(product)
}

fn batch_size_refusal(count: usize) -> Option<HttpResponse> {
    (count == 0 || count > MAX_SKUS_PER_UPDATE_CALL).then(|| {
        envelope_error(codes::INVALID_PARAMETER, format!("skus must hold 1 to {MAX_SKUS_PER_UPDATE_CALL} entries."))
    })
}

fn errors_answer(errors: Vec<Value>) -> HttpResponse {
    if errors.is_empty() { envelope_ok(json!({})) } else { envelope_ok(json!({ "errors": errors })) }
}

/// `POST /product/202309/products/{product_id}/prices/update`.
pub(super) async fn update_prices(
    state: State,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    if let Err(refusal) = verify(&state, &req, &body, Scope::Shop) {
        return refusal;
    }
    let request: PriceBody = match parse_body(&body) {
        Ok(request) => request,
        Err(refusal) => return refusal,
    };
    if let Some(refusal) = batch_size_refusal(request.skus.len()) {
        return refusal;
    }
    let product_id = path.into_inner();
    let mut store = state.store();
    let product = match updatable(store.products.iter_mut().find(|p| p.id.to_string() == product_id), &product_id) {
        Ok(product) => product,
        Err(refusal) => return refusal,
    };
    let mut errors = Vec::new();
    for entry in request.skus {
        let Some(sku) = product.skus.iter_mut().find(|s| s.id.to_string() == entry.id) else {
            errors.push(sku_error(
                &entry.id,
                vec![extra(codes::SKU_CHECK_FAILED, "The SKU does not belong to this product.")],
            ));
            continue;
        };
        if entry.price.currency != CURRENCY {
            errors.push(sku_error(
                &entry.id,
                vec![extra(codes::SKU_CHECK_FAILED, "The currency does not match the shop's currency.")],
            ));
            continue;
        }
        let minor = entry
            .price
            .amount
            .as_deref()
            .and_then(|a| Decimal::from_str(a.trim()).ok())
            .and_then(|d| money::to_minor(&["amount"], d, CURRENCY).ok())
            .filter(|m| *m > 0);
        match minor {
            Some(minor) => sku.price = minor,
            None => {
                errors.push(sku_error(&entry.id, vec![extra(codes::SKU_CHECK_FAILED, "The price amount is invalid.")]));
            }
        }
    }
    product.updated_at = chrono::Utc::now();
    errors_answer(errors)
}

/// `POST /product/202309/products/{product_id}/inventory/update`.
pub(super) async fn update_inventory(
    state: State,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    if let Err(refusal) = verify(&state, &req, &body, Scope::Shop) {
        return refusal;
    }
    let request: InventoryBody = match parse_body(&body) {
        Ok(request) => request,
        Err(refusal) => return refusal,
    };
    if let Some(refusal) = batch_size_refusal(request.skus.len()) {
        return refusal;
    }
    let product_id = path.into_inner();
    let mut store = state.store();
    let product = match updatable(store.products.iter_mut().find(|p| p.id.to_string() == product_id), &product_id) {
        Ok(product) => product,
        Err(refusal) => return refusal,
    };
    if product.computes_stock {
        return envelope_error(codes::COMBO_STOCK_NOT_EDITABLE, "The stock of a combo product cannot be edited.");
    }
    let mut errors = Vec::new();
    for entry in request.skus {
        let Some(sku) = product.skus.iter_mut().find(|s| s.id.to_string() == entry.id) else {
            errors.push(sku_error(
                &entry.id,
                vec![extra(codes::SKU_CHECK_FAILED, "The SKU does not belong to this product.")],
            ));
            continue;
        };
        // Every simulated SKU is stocked in one warehouse: exactly one entry, naming it or not.
        let [stock] = entry.inventory.as_slice() else {
            errors.push(sku_error(
                &entry.id,
                vec![extra(codes::SKU_CHECK_FAILED, "List each warehouse of the SKU exactly once.")],
            ));
            continue;
        };
        if stock.warehouse_id.as_deref().is_some_and(|w| w != WAREHOUSE_ID) {
            let mut problem = extra(codes::WAREHOUSE_NOT_FOUND, "The warehouse does not exist");
            problem["warehouse_id"] = json!(stock.warehouse_id);
            errors.push(sku_error(&entry.id, vec![problem]));
            continue;
        }
        if !INVENTORY_QUANTITY_RANGE.contains(&stock.quantity) {
            errors.push(sku_error(
                &entry.id,
                vec![extra(codes::SKU_CHECK_FAILED, "The quantity must be within [0, 99999].")],
            ));
            continue;
        }
        sku.quantity = stock.quantity;
    }
    product.updated_at = chrono::Utc::now();
    errors_answer(errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deactivated_or_hidden_products_are_not_activate() {
        let mut store = crate::sim::SimStore::default();
        store.seed(1, 1, "SKU-");
        let mut product = store.products[0].clone();
        assert_eq!(product_status(&product), "ACTIVATE");
        product.hidden = true;
        assert_eq!(product_status(&product), "SELLER_DEACTIVATED");
    }
}
