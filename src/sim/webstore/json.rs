//! The web store's JSON shapes (docs/webstore-api.md), built from the shared `SimStore`. Written independently
//! of the connector's wire types, so a mismatch between the two shows up in the tests.

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::sim::{SimOrder, SimProduct, SimStore};

/// Seconds east of UTC of the store's own time zone (Asia/Ho_Chi_Minh): answers carry this offset.
const STORE_OFFSET_SECONDS: i32 = 7 * 3600;

/// A store time in the store's offset, keeping sub-second digits so times read back filter exactly.
pub fn store_time(at: DateTime<Utc>) -> String {
    match FixedOffset::east_opt(STORE_OFFSET_SECONDS) {
        Some(offset) => at.with_timezone(&offset).to_rfc3339_opts(SecondsFormat::AutoSi, false),
        None => at.to_rfc3339_opts(SecondsFormat::AutoSi, true),
    }
}

/// VND amounts: whole numbers as decimal strings.
pub fn money(minor: i64) -> String {
    minor.to_string()
}

/// `{"error": {code, message}}`, the one refusal shape.
pub fn error_body(code: &str, message: &str) -> Value {
    json!({ "error": { "code": code, "message": message } })
}

/// A variant's title: its option values joined by " / ", or `Default Title` without options.
pub fn variant_title(options: &[(String, String)]) -> String {
    if options.is_empty() {
        "Default Title".to_owned()
    } else {
        options.iter().map(|(_, v)| v.as_str()).collect::<Vec<_>>().join(" / ")
    }
}

/// A product with its options and variants, as `GET /products.json` lists it.
pub fn product(p: &SimProduct) -> Value {
    // Every SKU of a product carries the same option names, in the same order.
    let names: Vec<&str> =
        p.skus.first().map(|s| s.options.iter().map(|(n, _)| n.as_str()).collect()).unwrap_or_default();
    let options: Vec<Value> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let mut values: Vec<&str> = Vec::new();
            for sku in &p.skus {
                if let Some((_, v)) = sku.options.get(i)
                    && !values.contains(&v.as_str())
                {
                    values.push(v);
                }
            }
            json!({ "name": name, "position": i + 1, "values": values })
        })
        .collect();
    let variants: Vec<Value> = p
        .skus
        .iter()
        .enumerate()
        .map(|(i, sku)| {
            let value = |n: usize| sku.options.get(n).map(|(_, v)| v.clone());
            json!({
                "id": sku.id,
                "product_id": p.id,
                "sku": sku.seller_sku,
                "title": variant_title(&sku.options),
                "option1": value(0),
                "option2": value(1),
                "option3": value(2),
                "position": i + 1,
                "price": money(sku.price),
                "compare_at_price": if sku.list_price > 0 { Some(money(sku.list_price)) } else { None },
                "inventory_quantity": sku.quantity,
                "updated_at": store_time(p.updated_at),
            })
        })
        .collect();
    json!({
        "id": p.id,
        "title": p.title,
        "status": p.status,
        "published": !p.hidden,
        "published_at": if p.hidden { None } else { Some(store_time(p.created_at)) },
        "created_at": store_time(p.created_at),
        "updated_at": store_time(p.updated_at),
        "options": options,
        "variants": variants,
    })
}

/// `financial_status` follows from the order status (docs/webstore-api.md).
pub fn financial_status(status: &str) -> &'static str {
    match status {
        "delivered" => "paid",
        "cancelled" => "voided",
        "returned" => "refunded",
        _ => "pending",
    }
}

/// An order; `store` gives the variant titles of its lines.
pub fn order(o: &SimOrder, store: &SimStore) -> Value {
    let lines: Vec<Value> = o
        .lines
        .iter()
        .map(|line| {
            let options = store
                .products
                .iter()
                .flat_map(|p| p.skus.iter())
                .find(|s| s.id == line.sku_id)
                .map(|s| s.options.clone())
                .unwrap_or_default();
            json!({
                "id": line.id,
                "product_id": line.product_id,
                "variant_id": line.sku_id,
                "sku": line.seller_sku,
                "title": line.title,
                "variant_title": if options.is_empty() { None } else { Some(variant_title(&options)) },
                "quantity": line.quantity,
                "price": money(line.price),
                "total_discount": money(0),
            })
        })
        .collect();
    let subtotal: i64 = o.lines.iter().map(|l| l.price * l.quantity).sum();
    let cancelled = o.status == "cancelled";
    json!({
        "id": o.id,
        "order_number": o.order_number,
        "status": o.status,
        "financial_status": financial_status(&o.status),
        "currency": "VND",
        "created_at": store_time(o.created_at),
        "updated_at": store_time(o.updated_at),
        "cancelled_at": if cancelled { Some(store_time(o.updated_at)) } else { None },
        "cancel_reason": o.cancel_reason,
        "payment_method": "cod",
        "customer": { "name": o.buyer_name, "phone": o.buyer_phone, "email": Value::Null },
        "shipping_address": {
            "name": o.buyer_name, "phone": o.buyer_phone, "address1": o.address, "ward": o.ward,
            "district": o.district, "province": o.province, "country_code": "VN",
        },
        "subtotal_price": money(subtotal),
        "shipping_price": money(o.shipping_fee),
        "total_discounts": money(0),
        "total_price": money(o.total()),
        "line_items": lines,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_times_carry_the_store_offset_and_read_back_exactly() {
        let at = DateTime::parse_from_rfc3339("2024-03-01T03:00:00.123456789Z").expect("time").with_timezone(&Utc);
        let text = store_time(at);
        assert_eq!(text, "2024-03-01T10:00:00.123456789+07:00");
        assert_eq!(DateTime::parse_from_rfc3339(&text).expect("parses").with_timezone(&Utc), at);
    }

    #[test]
    fn financial_status_follows_the_order_status() {
        assert_eq!(financial_status("open"), "pending");
        assert_eq!(financial_status("delivered"), "paid");
        assert_eq!(financial_status("cancelled"), "voided");
        assert_eq!(financial_status("returned"), "refunded");
    }
}
