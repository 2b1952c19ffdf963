//! The web store's Admin API routes (docs/webstore-api.md) over the shared `SimStore`.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::json::{self, error_body};
use super::{deliver, signed_push};
use crate::channels::signatures_match;
use crate::channels::webstore::sign::parse_basic_authorization;
use crate::sim::{SimOrder, SimProduct, SimSku, SimState, SimStore};

pub(super) type State = web::Data<Arc<SimState>>;

/// The API version served; other versions are not found.
pub const API_PREFIX: &str = "/admin/api/2024-01";
/// Reports the rate-limit bucket's fill (the simulator does not run the bucket itself).
pub const CALL_LIMIT_HEADER: &str = "X-Webstore-Api-Call-Limit";
const PAGE_DEFAULT: usize = 50;
pub(super) const PAGE_MAX: usize = 250;
pub(super) const ORDER_IDS_MAX: usize = 100;
pub(super) const SET_BATCH_MAX: usize = 100;
const VARIANTS_MAX: usize = 100;
pub(super) const OPTIONS_MAX: usize = 3;

/// Registers the Admin API routes under `API_PREFIX`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope(API_PREFIX)
            .route("/shop.json", web::get().to(shop))
            .route("/products.json", web::get().to(list_products))
            .route("/products.json", web::post().to(create_product))
            .route("/variants/set_batch.json", web::post().to(set_batch))
            .route("/orders.json", web::get().to(list_orders))
            .route("/orders/{id}.json", web::get().to(get_order))
            .route("/orders/{id}/fulfill.json", web::post().to(fulfill))
            .route("/orders/{id}/cancel.json", web::post().to(cancel))
            .route("/webhooks.json", web::get().to(super::webhooks::list))
            .route("/webhooks.json", web::post().to(super::webhooks::create))
            .route("/webhooks/{id}.json", web::delete().to(super::webhooks::delete)),
    );
}

pub(super) fn respond(status: StatusCode, body: Value) -> HttpResponse {
    HttpResponse::build(status).insert_header((CALL_LIMIT_HEADER, "1/40")).json(body)
}

/// A refusal in the store's one error shape (`{"error": {code, message}}`); handlers return it with `?`.
#[derive(Debug)]
pub struct Refusal {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl actix_web::ResponseError for Refusal {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        respond(self.status, error_body(self.code, &self.message))
    }
}

pub(super) type Answer = Result<HttpResponse, Refusal>;

pub(super) fn refuse(status: StatusCode, code: &'static str, message: &str) -> Refusal {
    Refusal { status, code, message: message.to_owned() }
}

fn bad_parameter(message: &str) -> Refusal {
    refuse(StatusCode::BAD_REQUEST, "invalid_parameter", message)
}

pub(super) fn not_found(message: &str) -> Refusal {
    refuse(StatusCode::NOT_FOUND, "not_found", message)
}

/// HTTP Basic `api_key:api_secret`, compared in constant time; anything else is 401 `unauthorized`.
pub(super) fn authorize(state: &SimState, req: &HttpRequest) -> Result<(), Refusal> {
    let unauthorized = |message: &str| refuse(StatusCode::UNAUTHORIZED, "unauthorized", message);
    let header = req.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok()).ok_or_else(|| {
        unauthorized("[API] Authorization header with the API key and secret (HTTP Basic) is required")
    })?;
    let (key, secret) =
        parse_basic_authorization(header).ok_or_else(|| unauthorized("[API] Malformed Basic authorization"))?;
    let credentials = &state.credentials;
    let key_ok = credentials.api_key.as_deref().is_some_and(|k| signatures_match(k, &key, false));
    let secret_ok = credentials.app_secret.as_deref().is_some_and(|s| signatures_match(s, &secret, false));
    if key_ok && secret_ok {
        Ok(())
    } else {
        Err(unauthorized("[API] Invalid API key or secret (unrecognized login or wrong password)"))
    }
}

fn query_of(req: &HttpRequest) -> HashMap<String, String> {
    url::form_urlencoded::parse(req.query_string().as_bytes()).into_owned().collect()
}

fn limit_of(query: &HashMap<String, String>) -> Result<usize, Refusal> {
    match query.get("limit") {
        None => Ok(PAGE_DEFAULT),
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=PAGE_MAX).contains(n))
            .ok_or_else(|| bad_parameter(&format!("limit must be between 1 and {PAGE_MAX}"))),
    }
}

/// A money string in VND: a non-negative decimal without fractional digits.
fn money_of(value: &Value) -> Option<i64> {
    let amount = rust_decimal::Decimal::from_str(value.as_str()?.trim()).ok()?;
    crate::domain::money::to_minor(&["price"], amount, "VND").ok()
}

fn quantity_of(value: &Value) -> Option<i64> {
    value.as_i64().filter(|q| *q >= 0)
}

async fn shop(state: State, req: HttpRequest) -> Answer {
    authorize(&state, &req)?;
    Ok(respond(
        StatusCode::OK,
        json!({ "shop": {
            "id": 1001, "name": "Cửa hàng mẫu (simulator)", "domain": super::SHOP_DOMAIN, "email": "shop@example.vn",
            "country_code": "VN", "currency": "VND", "timezone": "Asia/Ho_Chi_Minh",
        } }),
    ))
}

async fn list_products(state: State, req: HttpRequest) -> Answer {
    authorize(&state, &req)?;
    let query = query_of(&req);
    let limit = limit_of(&query)?;
    let since_id = match query.get("since_id").map(|s| s.parse::<u64>()) {
        None => 0,
        Some(Ok(id)) => id,
        Some(Err(_)) => return Err(bad_parameter("since_id must be a product id")),
    };
    let wanted: fn(&SimProduct) -> bool = match query.get("published_status").map(String::as_str) {
        None | Some("any") => |_| true,
        Some("published") => |p| !p.hidden,
        Some("unpublished") => |p| p.hidden,
        Some(_) => return Err(bad_parameter("published_status must be any, published or unpublished")),
    };
    let store = state.store();
    let mut page: Vec<&SimProduct> = store.products.iter().filter(|p| p.id > since_id && wanted(p)).collect();
    page.sort_by_key(|p| p.id);
    let products: Vec<Value> = page.into_iter().take(limit).map(json::product).collect();
    Ok(respond(StatusCode::OK, json!({ "products": products })))
}

/// A body that must be a JSON object with `key`.
pub(super) fn body_field<'a>(body: &'a Value, key: &str) -> Result<&'a Value, Refusal> {
    body.get(key).ok_or_else(|| {
        refuse(StatusCode::BAD_REQUEST, "invalid_json", &format!("the body must be a JSON object with \"{key}\""))
    })
}

pub(super) fn parse_body(bytes: &[u8]) -> Result<Value, Refusal> {
    serde_json::from_slice(bytes)
        .map_err(|e| refuse(StatusCode::BAD_REQUEST, "invalid_json", &format!("the body is not JSON: {e}")))
}

/// Checks a `POST /products.json` product against the store; the new SKUs (ids still 0) or `(code, message)`.
fn new_product(product: &Value, store: &SimStore) -> Result<(String, bool, Vec<SimSku>), (&'static str, String)> {
    let invalid = |m: &str| ("invalid_product", m.to_owned());
    let title = product
        .get("title")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| invalid("title is required"))?;
    let published = match product.get("published") {
        None | Some(Value::Null) => true,
        Some(v) => v.as_bool().ok_or_else(|| invalid("published must be true or false"))?,
    };
    let names: Vec<String> = match product.get("options") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(options)) => options
            .iter()
            .map(|o| o.get("name").and_then(Value::as_str).map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| invalid("every option needs a name"))?,
        Some(_) => return Err(invalid("options must be a list")),
    };
    if names.len() > OPTIONS_MAX {
        return Err(invalid(&format!("a product has at most {OPTIONS_MAX} options")));
    }
    let variants = product
        .get("variants")
        .and_then(Value::as_array)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| invalid("variants are required"))?;
    if variants.len() > VARIANTS_MAX {
        return Err(invalid(&format!("a product has at most {VARIANTS_MAX} variants")));
    }
    let mut seen = HashSet::new();
    let mut skus = Vec::with_capacity(variants.len());
    for (i, variant) in variants.iter().enumerate() {
        let sku = variant
            .get("sku")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| invalid(&format!("variants[{i}].sku is required")))?;
        if !seen.insert(sku.to_owned()) || store.sku_by_seller_sku(sku).is_some() {
            return Err(("duplicate_sku", format!("SKU {sku} already exists")));
        }
        let price = variant
            .get("price")
            .and_then(money_of)
            .ok_or_else(|| invalid(&format!("variants[{i}].price must be a whole VND amount as a string")))?;
        let list_price = match variant.get("compare_at_price") {
            None | Some(Value::Null) => 0,
            Some(v) => money_of(v).ok_or_else(|| {
                invalid(&format!("variants[{i}].compare_at_price must be a whole VND amount as a string"))
            })?,
        };
        let quantity = match variant.get("inventory_quantity") {
            None | Some(Value::Null) => 0,
            Some(v) => quantity_of(v)
                .ok_or_else(|| invalid(&format!("variants[{i}].inventory_quantity must be an integer ≥ 0")))?,
        };
        let options = names
            .iter()
            .enumerate()
            .map(|(n, name)| {
                let value =
                    variant.get(format!("option{}", n + 1)).and_then(Value::as_str).filter(|v| !v.trim().is_empty());
                value
                    .map(|v| (name.clone(), v.to_owned()))
                    .ok_or_else(|| invalid(&format!("variants[{i}].option{} is required", n + 1)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        skus.push(SimSku { id: 0, seller_sku: sku.to_owned(), price, list_price, quantity, options, sale: None });
    }
    Ok((title.to_owned(), published, skus))
}

async fn create_product(state: State, req: HttpRequest, body: web::Bytes) -> Answer {
    authorize(&state, &req)?;
    let body = parse_body(&body)?;
    let product = body_field(&body, "product")?;
    let created = {
        let mut store = state.store();
        let (title, published, mut skus) = match new_product(product, &store) {
            Ok(parts) => parts,
            Err((code, message)) => return Err(refuse(StatusCode::UNPROCESSABLE_ENTITY, code, &message)),
        };
        let id = store.next_id();
        for sku in &mut skus {
            sku.id = store.next_id();
        }
        let now = Utc::now();
        let product = SimProduct {
            id,
            title,
            status: "active".into(),
            hidden: !published,
            computes_stock: false,
            created_at: now,
            updated_at: now,
            skus,
        };
        store.products.push(product.clone());
        json::product(&product)
    };
    push_product(&state, "products/create", &created).await;
    Ok(respond(StatusCode::CREATED, json!({ "product": created })))
}

async fn push_product(state: &SimState, topic: &str, product: &Value) {
    if state.push_targets(topic).is_empty() {
        return;
    }
    let seed = format!(
        "{}:{}",
        product.get("id").and_then(Value::as_u64).unwrap_or_default(),
        product.get("updated_at").and_then(Value::as_str).unwrap_or_default()
    );
    deliver(state, signed_push(state, topic, product, &seed)).await;
}

/// One `set_batch` item applied to the store: `Ok((variant id, sku))` or the item's `(code, message)`.
fn apply_item(store: &mut SimStore, item: &Value, now: DateTime<Utc>) -> Result<(u64, String), (&'static str, String)> {
    let variant_id = match (item.get("id").and_then(Value::as_u64), item.get("sku").and_then(Value::as_str)) {
        (Some(id), _) => id,
        (None, Some(sku)) => store
            .sku_by_seller_sku(sku)
            .map(|(_, s)| s.id)
            .ok_or_else(|| ("not_found", format!("no variant with SKU {sku}")))?,
        (None, None) => return Err(("invalid_item", "an item needs an id or a sku".into())),
    };
    let quantity = match item.get("inventory_quantity") {
        None => None,
        Some(v) => Some(
            quantity_of(v)
                .ok_or_else(|| ("invalid_quantity", "inventory_quantity must be an integer ≥ 0".to_owned()))?,
        ),
    };
    let price = match item.get("price") {
        None => None,
        Some(v) => Some(
            money_of(v).ok_or_else(|| ("invalid_price", "price must be a whole VND amount as a string".to_owned()))?,
        ),
    };
    let list_price =
        match item.get("compare_at_price") {
            None => None,
            Some(Value::Null) => Some(0),
            Some(v) => Some(money_of(v).ok_or_else(|| {
                ("invalid_price", "compare_at_price must be a whole VND amount as a string".to_owned())
            })?),
        };
    let product = store
        .products
        .iter_mut()
        .find(|p| p.skus.iter().any(|s| s.id == variant_id))
        .ok_or_else(|| ("not_found", format!("no variant {variant_id}")))?;
    product.updated_at = now;
    let sku = product
        .skus
        .iter_mut()
        .find(|s| s.id == variant_id)
        .ok_or_else(|| ("not_found", format!("no variant {variant_id}")))?;
    if let Some(q) = quantity {
        sku.quantity = q;
    }
    if let Some(p) = price {
        sku.price = p;
    }
    if let Some(p) = list_price {
        sku.list_price = p;
    }
    Ok((variant_id, sku.seller_sku.clone()))
}

async fn set_batch(state: State, req: HttpRequest, body: web::Bytes) -> Answer {
    authorize(&state, &req)?;
    let body = parse_body(&body)?;
    let Some(items) = body.get("variants").and_then(Value::as_array) else {
        return Err(refuse(StatusCode::BAD_REQUEST, "invalid_json", "the body must be {\"variants\": [...]}"));
    };
    if items.is_empty() || items.len() > SET_BATCH_MAX {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "batch_too_large",
            &format!("send 1 to {SET_BATCH_MAX} variants per call, got {}", items.len()),
        ));
    }
    let (results, touched) = {
        let mut store = state.store();
        let now = Utc::now();
        let mut touched = Vec::new();
        let results: Vec<Value> = items
            .iter()
            .map(|item| match apply_item(&mut store, item, now) {
                Ok((id, sku)) => {
                    if let Some(product) = store.products.iter().find(|p| p.skus.iter().any(|s| s.id == id))
                        && !touched.contains(&product.id)
                    {
                        touched.push(product.id);
                    }
                    json!({ "id": id, "sku": sku, "status": "ok" })
                }
                Err((code, message)) => json!({
                    "id": item.get("id").cloned().unwrap_or(Value::Null),
                    "sku": item.get("sku").cloned().unwrap_or(Value::Null),
                    "status": "error",
                    "error": { "code": code, "message": message },
                }),
            })
            .collect();
        let touched: Vec<Value> = if !state.push_targets("products/update").is_empty() {
            store.products.iter().filter(|p| touched.contains(&p.id)).map(json::product).collect()
        } else {
            Vec::new()
        };
        (results, touched)
    };
    for product in &touched {
        push_product(&state, "products/update", product).await;
    }
    Ok(respond(StatusCode::OK, json!({ "results": results })))
}

/// The filters of an order search; a cursor carries them so later pages need only `page_info`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct OrderFilter {
    status: Option<String>,
    created_min: Option<DateTime<Utc>>,
    created_max: Option<DateTime<Utc>>,
    updated_min: Option<DateTime<Utc>>,
    updated_max: Option<DateTime<Utc>>,
    ids: Option<Vec<u64>>,
}

impl OrderFilter {
    /// `_min` inclusive, `_max` exclusive.
    fn matches(&self, o: &SimOrder) -> bool {
        let within = |at: DateTime<Utc>, min: Option<DateTime<Utc>>, max: Option<DateTime<Utc>>| {
            min.is_none_or(|m| at >= m) && max.is_none_or(|m| at < m)
        };
        self.status.as_ref().is_none_or(|s| *s == o.status)
            && within(o.created_at, self.created_min, self.created_max)
            && within(o.updated_at, self.updated_min, self.updated_max)
            && self.ids.as_ref().is_none_or(|ids| ids.contains(&o.id))
    }

    fn from_query(query: &HashMap<String, String>) -> Result<Self, Refusal> {
        let time = |key: &str| -> Result<Option<DateTime<Utc>>, Refusal> {
            query
                .get(key)
                .map(|t| {
                    DateTime::parse_from_rfc3339(t)
                        .map(|t| t.with_timezone(&Utc))
                        .map_err(|_| bad_parameter(&format!("{key} must be an RFC 3339 time")))
                })
                .transpose()
        };
        let status = match query.get("status").map(String::as_str) {
            None | Some("any") => None,
            Some(s) if super::ORDER_STATUSES.contains(&s) => Some(s.to_owned()),
            Some(_) => {
                return Err(bad_parameter(&format!(
                    "status must be any or one of {}",
                    super::ORDER_STATUSES.join(", ")
                )));
            }
        };
        let ids = match query.get("ids") {
            None => None,
            Some(text) => {
                let ids = text
                    .split(',')
                    .map(|id| id.trim().parse::<u64>())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|_| bad_parameter("ids must be comma-separated order ids"))?;
                if ids.is_empty() || ids.len() > ORDER_IDS_MAX {
                    return Err(bad_parameter(&format!("ids takes 1 to {ORDER_IDS_MAX} ids")));
                }
                Some(ids)
            }
        };
        Ok(Self {
            status,
            created_min: time("created_at_min")?,
            created_max: time("created_at_max")?,
            updated_min: time("updated_at_min")?,
            updated_max: time("updated_at_max")?,
            ids,
        })
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct OrderCursor {
    filter: OrderFilter,
    after: u64,
}

impl OrderCursor {
    fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    fn decode(text: &str) -> Option<Self> {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(text).ok()?).ok()
    }
}

async fn list_orders(state: State, req: HttpRequest) -> Answer {
    authorize(&state, &req)?;
    let query = query_of(&req);
    let limit = limit_of(&query)?;
    let (filter, after) = match query.get("page_info") {
        Some(page_info) => {
            if query.keys().any(|k| k != "page_info" && k != "limit") {
                return Err(bad_parameter("with page_info only limit may be given: the cursor carries the filters"));
            }
            match OrderCursor::decode(page_info) {
                Some(cursor) => (cursor.filter, cursor.after),
                None => return Err(bad_parameter("page_info is not a cursor of this store")),
            }
        }
        None => (OrderFilter::from_query(&query)?, 0),
    };
    let store = state.store();
    let mut matching: Vec<&SimOrder> = store.orders.iter().filter(|o| o.id > after && filter.matches(o)).collect();
    matching.sort_by_key(|o| o.id);
    let more = matching.len() > limit;
    matching.truncate(limit);
    let next = match (more, matching.last()) {
        (true, Some(last)) => Some(OrderCursor { filter, after: last.id }.encode()),
        _ => None,
    };
    let orders: Vec<Value> = matching.iter().map(|o| json::order(o, &store)).collect();
    Ok(respond(StatusCode::OK, json!({ "orders": orders, "next_page_info": next })))
}

async fn get_order(state: State, req: HttpRequest, id: web::Path<String>) -> Answer {
    authorize(&state, &req)?;
    let store = state.store();
    match id.parse::<u64>().ok().and_then(|id| store.order(id)) {
        Some(order) => Ok(respond(StatusCode::OK, json!({ "order": json::order(order, &store) }))),
        None => Err(not_found(&format!("no order {id}"))),
    }
}

async fn fulfill(state: State, req: HttpRequest, id: web::Path<String>, body: web::Bytes) -> Answer {
    authorize(&state, &req)?;
    if !body.is_empty() {
        parse_body(&body)?;
    }
    transition(&state, &id, "fulfill", &["open"], "fulfilled", None).await
}

async fn cancel(state: State, req: HttpRequest, id: web::Path<String>, body: web::Bytes) -> Answer {
    authorize(&state, &req)?;
    let reason = if body.is_empty() {
        None
    } else {
        parse_body(&body)?.get("reason").and_then(Value::as_str).map(str::to_owned)
    };
    transition(&state, &id, "cancel", &["open", "fulfilled"], "cancelled", reason).await
}

/// Moves an order from one of `from` to `to` atomically, then fires the store's push.
async fn transition(
    state: &SimState,
    id: &str,
    action: &str,
    from: &[&str],
    to: &str,
    reason: Option<String>,
) -> Answer {
    let Ok(order_id) = id.parse::<u64>() else { return Err(not_found(&format!("no order {id}"))) };
    let (order, body) = {
        let mut store = state.store();
        let Some(order) = store.order_mut(order_id) else { return Err(not_found(&format!("no order {id}"))) };
        if !from.contains(&order.status.as_str()) {
            let message =
                format!("cannot {action} order {order_id}: it is {} (needs {})", order.status, from.join(" or "));
            return Err(refuse(StatusCode::UNPROCESSABLE_ENTITY, "invalid_order_state", &message));
        }
        order.status = to.to_owned();
        order.updated_at = Utc::now();
        for line in &mut order.lines {
            line.status = to.to_owned();
        }
        if to == "cancelled" {
            order.cancel_reason = reason;
        }
        let order = order.clone();
        let body = json::order(&order, &store);
        (order, body)
    };
    state.push_order_webhook(&order, false).await;
    Ok(respond(StatusCode::OK, json!({ "order": body })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order_at(id: u64, at: DateTime<Utc>, status: &str) -> SimOrder {
        SimOrder {
            id,
            order_number: format!("WE{id}"),
            status: status.into(),
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
        }
    }

    #[test]
    fn time_filters_include_the_minimum_and_exclude_the_maximum() {
        let t = Utc::now();
        let filter = OrderFilter {
            created_min: Some(t),
            created_max: Some(t + chrono::Duration::seconds(10)),
            ..OrderFilter::default()
        };
        assert!(filter.matches(&order_at(1, t, "open")));
        assert!(!filter.matches(&order_at(2, t + chrono::Duration::seconds(10), "open")));
        assert!(!filter.matches(&order_at(3, t - chrono::Duration::nanoseconds(1), "open")));
        let cancelled_only = OrderFilter { status: Some("cancelled".into()), ..OrderFilter::default() };
        assert!(!cancelled_only.matches(&order_at(4, t, "open")));
    }

    #[test]
    fn a_cursor_carries_its_filters_and_position() {
        let filter = OrderFilter { status: Some("open".into()), ids: Some(vec![1, 2]), ..OrderFilter::default() };
        let decoded = OrderCursor::decode(&OrderCursor { filter, after: 42 }.encode()).expect("round trip");
        assert_eq!(
            (decoded.after, decoded.filter.status.as_deref(), decoded.filter.ids),
            (42, Some("open"), Some(vec![1, 2]))
        );
        assert!(OrderCursor::decode("not-a-cursor").is_none());
    }

    #[test]
    fn money_is_a_whole_vnd_string() {
        assert_eq!(money_of(&json!("150000")), Some(150_000));
        assert_eq!(money_of(&json!("150000.00")), Some(150_000));
        assert_eq!(money_of(&json!("1.5")), None);
        assert_eq!(money_of(&json!("-1")), None);
        assert_eq!(money_of(&json!(150000)), None, "a number is not the documented string");
    }
}
