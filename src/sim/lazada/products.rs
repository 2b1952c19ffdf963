//! `/seller/get`, `/products/get` and `/product/price_quantity/update` over the shared store.

use chrono::{DateTime, Utc};
use quick_xml::events::Event;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Value, json};

use super::gateway::{Answer, Params, Refusal, data, refuse};
use super::{SIM_CURRENCY, SIM_SELLER_ID, SIM_SELLER_NAME, SIM_SHORT_CODE};
use crate::domain::money;
use crate::sim::{SimProduct, SimSku, SimState};

/// `/products/get` page size maximum (error `19`).
pub(super) const MAX_LIMIT: usize = 50;
/// `/products/get` page size when `limit` is absent.
const DEFAULT_LIMIT: usize = 10;
/// `/products/get` deprecated offset maximum (error `14`).
pub(super) const MAX_OFFSET: usize = 10_000;
/// `/product/price_quantity/update` SKUs per call (error `204`).
pub(super) const MAX_SKUS_PER_UPDATE: usize = 50;
const FILTERS: [&str; 8] = ["all", "live", "inactive", "deleted", "pending", "rejected", "sold-out", "image-missing"];

pub fn seller() -> Answer {
    data(json!({
        "seller_id": SIM_SELLER_ID.parse::<u64>().unwrap_or_default(),
        "name": SIM_SELLER_NAME,
        "name_company": "Omnisync Test Co.",
        "short_code": SIM_SHORT_CODE,
        "email": "seller@omnisync.test",
        "location": "Hồ Chí Minh",
        "status": "ACTIVE",
        "verified": true,
        "cb": false,
        "logo_url": "",
    }))
}

/// A price as Lazada shows it on products: a number in major units.
fn price_number(minor: i64) -> Value {
    let major = money::from_minor(minor, SIM_CURRENCY);
    json!(major.to_f64().unwrap_or_default())
}

/// A time as Lazada writes sale dates: the shop's local time (the simulated shop is in Vietnam).
fn local_date(at: DateTime<Utc>) -> String {
    at.with_timezone(&crate::channels::lazada::shop_offset("VN"))
        .format(crate::channels::lazada::SALE_DATE_FORMAT)
        .to_string()
}

/// A sale date as the update payload gives it, in the shop's local time.
fn read_local_date(text: &str) -> Option<DateTime<Utc>> {
    let naive = chrono::NaiveDateTime::parse_from_str(text, crate::channels::lazada::SALE_DATE_FORMAT).ok()?;
    naive.and_local_timezone(crate::channels::lazada::shop_offset("VN")).single().map(|t| t.with_timezone(&Utc))
}

/// Option name/value pairs as `saleProp`.
fn sale_prop(sku: &SimSku) -> Value {
    Value::Object(sku.options.iter().map(|(k, v)| (k.clone(), json!(v))).collect())
}

pub fn render_product(product: &SimProduct) -> Value {
    let skus: Vec<Value> = product
        .skus
        .iter()
        .map(|sku| {
            json!({
                "Status": product.status,
                "quantity": sku.quantity,
                "Available": sku.quantity,
                "SellerSku": sku.seller_sku,
                "ShopSku": format!("{}_VNAMZ-{}", product.id, sku.id),
                "SkuId": sku.id,
                "Url": format!("https://www.lazada.vn/-i{}-s{}.html", product.id, sku.id),
                "price": price_number(sku.price),
                "special_price": sku.sale.map(|(price, _, _)| price_number(price)).unwrap_or(json!(0.0)),
                "special_from_date": sku.sale.map(|(_, from, _)| local_date(from)),
                "special_to_date": sku.sale.map(|(_, _, to)| local_date(to)),
                "saleProp": sale_prop(sku),
                "multiWarehouseInventories": [{
                    "warehouseCode": "dropshipping", "quantity": sku.quantity, "totalQuantity": sku.quantity,
                    "sellableQuantity": sku.quantity, "occupyQuantity": 0, "withholdQuantity": 0,
                }],
                "fblWarehouseInventories": [],
                "channelInventories": [],
                "package_weight": "0.3", "package_length": "10.00", "package_width": "10.00", "package_height": "10.00",
                "Images": [],
            })
        })
        .collect();
    let status = match product.status.as_str() {
        "active" => "Active".to_owned(),
        "inactive" => "InActive".to_owned(),
        other => other.to_owned(),
    };
    json!({
        "item_id": product.id,
        "primary_category": 10_002_019,
        "attributes": { "name": product.title, "description": format!("<p>{}</p>", product.title), "brand": "No Brand" },
        "status": status,
        "created_time": product.created_at.timestamp_millis().to_string(),
        "updated_time": product.updated_at.timestamp_millis().to_string(),
        "images": [],
        "marketImages": [],
        "variation": {},
        "trialProduct": false,
        "skus": skus,
    })
}

fn matches_filter(product: &SimProduct, filter: &str) -> bool {
    match filter {
        "all" => product.status != "deleted",
        "live" => product.status == "active" && !product.hidden,
        "sold-out" => product.skus.iter().all(|s| s.quantity <= 0),
        "image-missing" => true,
        other => product.status == other,
    }
}

fn number_param(params: &Params, name: &str, default: usize, code: &str, label: &str) -> Result<usize, Refusal> {
    match params.get(name) {
        None => Ok(default),
        Some(text) => text.parse::<usize>().map_err(|_| refuse(code, format!("E0{code}: \"{text}\" {label}"))),
    }
}

fn time_param(params: &Params, name: &str) -> Result<Option<DateTime<Utc>>, Refusal> {
    match params.get(name) {
        None => Ok(None),
        Some(text) => DateTime::parse_from_rfc3339(text)
            .or_else(|_| DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%z"))
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| refuse("17", format!("E017: \"{text}\" Invalid Date Format"))),
    }
}

pub fn list(state: &SimState, params: &Params) -> Answer {
    let filter = params.required("filter")?;
    if !FILTERS.contains(&filter) {
        return Err(refuse("36", "E036: Invalid status filter"));
    }
    let limit = number_param(params, "limit", DEFAULT_LIMIT, "19", "Invalid Limit")?;
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(refuse(
            "19",
            format!("E019: \"{limit}\" Invalid Limit: the limit should not exceed a maximum of {MAX_LIMIT}"),
        ));
    }
    let offset = number_param(params, "offset", 0, "14", "Invalid Offset")?;
    if offset > MAX_OFFSET {
        return Err(refuse("14", format!("E014: \"{offset}\" Invalid Offset: the maximum offset is {MAX_OFFSET}")));
    }
    let create_after = time_param(params, "create_after")?;
    let create_before = time_param(params, "create_before")?;
    let update_after = time_param(params, "update_after")?;
    let update_before = time_param(params, "update_before")?;
    let store = state.store();
    // Second precision, inclusive bounds, newest first.
    let secs = |t: DateTime<Utc>| t.timestamp();
    let mut matching: Vec<&SimProduct> = store
        .products
        .iter()
        .filter(|p| matches_filter(p, filter))
        .filter(|p| create_after.is_none_or(|t| secs(p.created_at) >= secs(t)))
        .filter(|p| create_before.is_none_or(|t| secs(p.created_at) <= secs(t)))
        .filter(|p| update_after.is_none_or(|t| secs(p.updated_at) >= secs(t)))
        .filter(|p| update_before.is_none_or(|t| secs(p.updated_at) <= secs(t)))
        .collect();
    matching.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    let page: Vec<Value> = matching.iter().skip(offset).take(limit).map(|p| render_product(p)).collect();
    data(json!({ "total_products": matching.len(), "products": page }))
}

/// The `<Sku>` elements of `<Request><Product><Skus>…`, each as (tag, text) pairs.
fn parse_payload(xml: &str) -> Result<Vec<Vec<(String, String)>>, String> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut path: Vec<String> = Vec::new();
    let mut skus = Vec::new();
    let mut current: Option<Vec<(String, String)>> = None;
    let mut text = String::new();
    let mut saw_root = false;
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Start(tag) => {
                let name = String::from_utf8_lossy(tag.name().as_ref()).into_owned();
                if path.is_empty() {
                    if name != "Request" {
                        return Err(format!("root element {name}, expected Request"));
                    }
                    saw_root = true;
                }
                if name == "Sku" && path == ["Request", "Product", "Skus"] {
                    current = Some(Vec::new());
                }
                path.push(name);
                text.clear();
            }
            Event::Text(t) => text.push_str(&t.decode().map_err(|e| e.to_string())?),
            Event::GeneralRef(r) => {
                if let Some(ch) = r.resolve_char_ref().map_err(|e| e.to_string())? {
                    text.push(ch);
                } else {
                    let name = r.decode().map_err(|e| e.to_string())?;
                    text.push_str(
                        quick_xml::escape::resolve_predefined_entity(&name)
                            .ok_or_else(|| format!("unknown entity &{name};"))?,
                    );
                }
            }
            Event::End(_) => {
                let name = path.pop().unwrap_or_default();
                if path.len() == 4 && path[3] == "Sku" {
                    if let Some(sku) = current.as_mut() {
                        sku.push((name, std::mem::take(&mut text)));
                    }
                } else if name == "Sku" && path.len() == 3 {
                    skus.extend(current.take());
                }
                text.clear();
            }
            Event::Empty(_)
            | Event::Comment(_)
            | Event::Decl(_)
            | Event::PI(_)
            | Event::DocType(_)
            | Event::CData(_) => {}
            Event::Eof => break,
        }
    }
    if !saw_root || !path.is_empty() {
        return Err("not a <Request> document".into());
    }
    Ok(skus)
}

pub fn update_price_quantity(state: &SimState, params: &Params) -> Answer {
    let payload = params.get("payload").ok_or_else(|| refuse("30", "E030: Empty Request"))?;
    let skus = parse_payload(payload).map_err(|why| refuse("5", format!("E005: Invalid Request Format: {why}")))?;
    if skus.is_empty() {
        return Err(refuse("30", "E030: Empty Request"));
    }
    if skus.len() > MAX_SKUS_PER_UPDATE {
        return Err(refuse(
            "204",
            format!("E204: Too many SKU in one request ({} > {MAX_SKUS_PER_UPDATE})", skus.len()),
        ));
    }
    let mut failures = Vec::new();
    let mut store = state.store();
    let now = Utc::now();
    for fields in skus {
        let field = |name: &str| {
            fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_owned()).filter(|v| !v.is_empty())
        };
        let seller_sku = field("SellerSku");
        let fail = |failures: &mut Vec<Value>, name: &str, message: &str| {
            failures.push(json!({ "seller_sku": seller_sku.clone().unwrap_or_default(), "sku_id": field("SkuId").unwrap_or_default(), "field": name, "message": message }));
        };
        let sku_id = match field("SkuId").map(|s| s.parse::<u64>()) {
            Some(Ok(id)) => Some(id),
            Some(Err(_)) => {
                fail(&mut failures, "SkuId", "Invalid SkuId");
                continue;
            }
            None => None,
        };
        let found = match (sku_id, seller_sku.as_deref()) {
            (Some(id), _) => store.products.iter().position(|p| p.skus.iter().any(|s| s.id == id)).map(|p| (p, id)),
            (None, Some(code)) => store
                .sku_by_seller_sku(code)
                .map(|(p, s)| (p.id, s.id))
                .and_then(|(pid, sid)| store.products.iter().position(|p| p.id == pid).map(|p| (p, sid))),
            (None, None) => None,
        };
        let Some((product_index, sku_id)) = found else {
            fail(&mut failures, "SellerSku", "SKU not found");
            continue;
        };
        if field("ItemId").is_some_and(|item_id| item_id != store.products[product_index].id.to_string()) {
            fail(&mut failures, "ItemId", "ItemId does not match the SKU");
            continue;
        }
        let quantity = match field("Quantity").map(|q| q.parse::<i64>()) {
            Some(Ok(q)) if q < 0 => {
                fail(&mut failures, "Quantity", "Negative numbers cannot be used");
                continue;
            }
            Some(Ok(q)) => Some(q),
            Some(Err(_)) => {
                fail(&mut failures, "Quantity", "Quantity must be a whole number");
                continue;
            }
            None => None,
        };
        let price = match field("Price").map(|p| p.parse::<Decimal>()) {
            Some(Ok(p)) => match money::to_minor(&["Price"], p, SIM_CURRENCY) {
                Ok(minor) if minor > 0 => Some(minor),
                _ => {
                    fail(&mut failures, "Price", "BIZ_CHECK_PRICE_PRECISION_INVALID");
                    continue;
                }
            },
            Some(Err(_)) => {
                fail(&mut failures, "Price", "Price must be a number");
                continue;
            }
            None => None,
        };
        let sale = match (field("SalePrice"), field("SaleStartDate"), field("SaleEndDate")) {
            (None, None, None) => None,
            (Some(sale_price), Some(from), Some(to)) => {
                let amount = sale_price
                    .parse::<Decimal>()
                    .ok()
                    .and_then(|p| money::to_minor(&["SalePrice"], p, SIM_CURRENCY).ok());
                let (Some(amount), Some(from), Some(to)) = (amount, read_local_date(&from), read_local_date(&to))
                else {
                    fail(&mut failures, "SalePrice", "Invalid SalePrice, SaleStartDate or SaleEndDate");
                    continue;
                };
                let regular = price
                    .or_else(|| store.products[product_index].skus.iter().find(|s| s.id == sku_id).map(|s| s.price));
                if amount <= 0 || regular.is_some_and(|r| amount >= r) {
                    fail(&mut failures, "SalePrice", "SalePrice must be lower than Price");
                    continue;
                }
                if to < from {
                    fail(&mut failures, "SaleEndDate", "SaleEndDate must be after SaleStartDate");
                    continue;
                }
                Some((amount, from, to))
            }
            _ => {
                fail(&mut failures, "SalePrice", "SalePrice, SaleStartDate and SaleEndDate go together");
                continue;
            }
        };
        let product = &mut store.products[product_index];
        product.updated_at = now;
        if let Some(sku) = product.skus.iter_mut().find(|s| s.id == sku_id) {
            if let Some(q) = quantity {
                sku.quantity = q;
            }
            if let Some(p) = price {
                sku.price = p;
                sku.list_price = sku.list_price.max(p);
            }
            if sale.is_some() {
                sku.sale = sale;
            }
        }
    }
    if failures.is_empty() {
        return data(json!({}));
    }
    // The SKUs not listed were updated (UNCONFIRMED: Lazada's partial-success behaviour for 501).
    Err(Refusal::Envelope {
        kind: "ISV",
        code: "501".into(),
        message: "E501: Update product failed".into(),
        detail: Some(Box::new(Value::Array(failures))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_xml_payload_is_read_with_entities() {
        let skus = parse_payload("<Request><Product><Skus><Sku><SellerSku>A&amp;B</SellerSku><Quantity>5</Quantity></Sku><Sku><SkuId>7</SkuId></Sku></Skus></Product></Request>")
            .expect("parsed");
        assert_eq!(skus.len(), 2);
        assert_eq!(skus[0], vec![("SellerSku".to_owned(), "A&B".to_owned()), ("Quantity".to_owned(), "5".to_owned())]);
        assert!(parse_payload("<Other/>").is_err());
        assert!(parse_payload("{\"Request\":1}").is_err());
    }
}
