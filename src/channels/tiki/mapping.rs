//! Tiki wire shapes → the hub's neutral types. Statuses stay verbatim (`status_raw`); prices become minor units.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::Value;

use super::wire::{self, Event, ItemV1, ItemV2, OrderV1, OrderV2, Product};
use crate::domain::channel::{
    Address, ChannelCustomer, ChannelEvent, ChannelOrder, ChannelOrderLine, EventKind, Listing, OrderRef,
};
use crate::domain::money;

/// A Tiki amount (JSON number or numeric string, whole đồng for VND) in minor units of `currency`.
pub fn minor(value: Option<&Value>, currency: &str) -> Option<i64> {
    let text = match value? {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_owned(),
        _ => return None,
    };
    let amount = Decimal::from_str(&text).or_else(|_| Decimal::from_scientific(&text)).ok()?;
    money::to_minor(&["price"], amount, currency).ok()
}

/// Minor units as the JSON number Tiki expects (an integer for VND).
pub fn amount(minor_units: i64, currency: &str) -> Value {
    let decimal = money::from_minor(minor_units, currency);
    serde_json::Number::from_str(&decimal.normalize().to_string())
        .map(Value::Number)
        .unwrap_or_else(|_| Value::from(minor_units))
}

fn id_text(value: &Value) -> String {
    value.as_str().map(str::to_owned).unwrap_or_else(|| value.to_string())
}

/// One product page entry (one SKU on Tiki) as a listing.
pub fn listing(raw: Value, currency: &str) -> Result<Listing, serde_json::Error> {
    let product: Product = serde_json::from_value(raw.clone())?;
    let values = [&product.option1, &product.option2, &product.option3];
    let options: Vec<(String, String)> = product
        .option_attributes
        .iter()
        .zip(values)
        .filter_map(|(name, value)| value.clone().map(|v| (name.clone(), v)))
        .collect();
    let variant_title =
        (!options.is_empty()).then(|| options.iter().map(|(_, v)| v.as_str()).collect::<Vec<_>>().join(" / "));
    let quantity = product.inventory.as_ref().and_then(|inv| {
        inv.quantity_available.or_else(|| {
            let known: Vec<i64> = inv.warehouse_quantities.iter().filter_map(|w| w.qty_available).collect();
            (!known.is_empty()).then(|| known.iter().sum())
        })
    });
    Ok(Listing {
        external_product_id: product.id.to_string(),
        external_sku_id: product.sku.clone().unwrap_or_else(|| product.id.to_string()),
        seller_sku: product.original_sku.clone().filter(|s| !s.trim().is_empty()),
        title: product.name.clone().unwrap_or_default(),
        variant_title,
        options,
        price_minor: minor(product.price.as_ref(), currency),
        list_price_minor: minor(product.market_price.as_ref(), currency),
        quantity,
        status: product.active.map(|a| if a == 1 { "active".to_owned() } else { "inactive".to_owned() }),
        raw,
    })
}

/// A search hit of either version.
pub fn order_ref(raw: &Value) -> Option<OrderRef> {
    let code = raw.get("code").or_else(|| raw.get("order_code"))?;
    Some(OrderRef {
        external_id: id_text(code),
        status_raw: raw.get("status").and_then(Value::as_str).map(str::to_owned),
        updated_at: raw.get("updated_at").and_then(Value::as_str).and_then(wire::parse_local),
    })
}

fn address(shipping: Option<&wire::Shipping>) -> Address {
    let Some(a) = shipping.and_then(|s| s.address.as_ref()) else { return Address::default() };
    Address {
        name: a.full_name.clone(),
        phone: a.phone.clone(),
        line1: a.street.clone(),
        ward: a.ward.clone(),
        district: a.district.clone(),
        province: a.region.clone(),
        country: a.country.clone(),
    }
}

fn customer(c: Option<&wire::Customer>, address: &Address) -> ChannelCustomer {
    let c = c.map(|c| (c.id.as_ref().map(id_text), c.full_name.clone(), c.phone.clone(), c.email.clone()));
    let (external_id, name, phone, email) = c.unwrap_or_default();
    ChannelCustomer {
        external_id,
        name: name.or_else(|| address.name.clone()),
        phone: phone.or_else(|| address.phone.clone()),
        email,
    }
}

fn required_time(text: Option<&String>, field: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    let text = text.ok_or_else(|| format!("missing {field}"))?;
    wire::parse_local(text).ok_or_else(|| format!("unreadable {field}: {text}"))
}

/// A legacy v1 order with its items.
pub fn order_v1(raw: Value, currency: &str) -> Result<ChannelOrder, String> {
    let order: OrderV1 = serde_json::from_value(raw.clone()).map_err(|e| e.to_string())?;
    let created_at = required_time(order.purchased_at.as_ref().or(order.created_at.as_ref()), "purchased_at")?;
    let updated_at = order.updated_at.as_ref().and_then(|t| wire::parse_local(t)).unwrap_or(created_at);
    let lines: Vec<ChannelOrderLine> = order.items.iter().map(|item| line_v1(item, currency)).collect();
    let before = minor(order.total_price_before_discount.as_ref(), currency)
        .unwrap_or_else(|| lines.iter().map(|l| l.price_minor * l.quantity).sum());
    let after = minor(order.total_price_after_discount.as_ref(), currency).unwrap_or(before);
    let shipping_fee = order.shipping.as_ref().and_then(|s| minor(s.shipping_fee.as_ref(), currency)).unwrap_or(0);
    let total = minor(order.collectable_total_price.as_ref(), currency).unwrap_or(after + shipping_fee);
    let shipping_address = address(order.shipping.as_ref());
    Ok(ChannelOrder {
        external_id: order.order_code.clone(),
        order_number: Some(order.order_code.clone()),
        status_raw: order.status.clone(),
        created_at,
        updated_at,
        currency: currency.to_owned(),
        customer: customer(order.customer.as_ref(), &shipping_address),
        shipping_address,
        payment_method: order.payment.as_ref().and_then(|p| p.payment_method.clone().or_else(|| p.method.clone())),
        subtotal_minor: before,
        shipping_fee_minor: shipping_fee,
        discount_minor: before - after,
        total_minor: total,
        lines,
        raw,
    })
}

fn line_v1(item: &ItemV1, currency: &str) -> ChannelOrderLine {
    ChannelOrderLine {
        external_line_id: id_text(&item.id),
        external_product_id: item.product_id.map(|id| id.to_string()),
        external_sku_id: item.sku.clone(),
        seller_sku: item.original_sku.clone(),
        title: item.product_name.clone().unwrap_or_default(),
        variant_title: None,
        quantity: item.qty,
        price_minor: minor(item.price.as_ref(), currency).unwrap_or(0),
        discount_minor: minor(item.discount.as_ref(), currency).unwrap_or(0),
        status_raw: item.confirmation_status.clone(),
    }
}

/// A v2 order with its items.
pub fn order_v2(raw: Value, currency: &str) -> Result<ChannelOrder, String> {
    let order: OrderV2 = serde_json::from_value(raw.clone()).map_err(|e| e.to_string())?;
    let created_at = required_time(order.created_at.as_ref(), "created_at")?;
    let updated_at = order.updated_at.as_ref().and_then(|t| wire::parse_local(t)).unwrap_or(created_at);
    let lines: Vec<ChannelOrderLine> = order.items.iter().map(|item| line_v2(item, currency)).collect();
    let invoice = order.invoice.unwrap_or_default();
    let subtotal = minor(invoice.subtotal.as_ref(), currency)
        .unwrap_or_else(|| lines.iter().map(|l| l.price_minor * l.quantity).sum());
    let shipping_fee = minor(invoice.shipping_amount.as_ref(), currency).unwrap_or(0);
    let discount = minor(invoice.discount_amount.as_ref(), currency).unwrap_or(0);
    let total = minor(invoice.grand_total.as_ref(), currency).unwrap_or(subtotal - discount + shipping_fee);
    let shipping_address = address(order.shipping.as_ref());
    Ok(ChannelOrder {
        external_id: order.code.clone(),
        order_number: Some(order.code.clone()),
        status_raw: order.status.clone(),
        created_at,
        updated_at,
        currency: currency.to_owned(),
        customer: customer(order.customer.as_ref(), &shipping_address),
        shipping_address,
        payment_method: invoice.payment_method.clone(),
        subtotal_minor: subtotal,
        shipping_fee_minor: shipping_fee,
        discount_minor: discount,
        total_minor: total,
        lines,
        raw,
    })
}

fn line_v2(item: &ItemV2, currency: &str) -> ChannelOrderLine {
    let product = item.product.as_ref();
    let invoice = item.invoice.as_ref();
    ChannelOrderLine {
        external_line_id: id_text(&item.id),
        external_product_id: product.and_then(|p| p.id).map(|id| id.to_string()),
        external_sku_id: product.and_then(|p| p.sku.clone()),
        seller_sku: product.and_then(|p| p.seller_product_code.clone()),
        title: product.and_then(|p| p.name.clone()).unwrap_or_default(),
        variant_title: None,
        quantity: invoice.and_then(|i| i.quantity).unwrap_or(0),
        price_minor: invoice.and_then(|i| minor(i.price.as_ref(), currency)).unwrap_or(0),
        discount_minor: invoice.and_then(|i| minor(i.discount_amount.as_ref(), currency)).unwrap_or(0),
        status_raw: item.confirmation.as_ref().and_then(|c| c.status.clone()),
    }
}

/// One pulled queue event.
pub fn event(raw: Value) -> Result<ChannelEvent, serde_json::Error> {
    let event: Event = serde_json::from_value(raw.clone())?;
    let kind = match event.event_type.as_str() {
        "ORDER_CREATED_SUCCESSFULLY" => EventKind::OrderCreated,
        "ORDER_STATUS_UPDATED" => EventKind::OrderStatusChanged,
        t if t.starts_with("PRODUCT_") => EventKind::ProductChanged,
        _ => EventKind::Other,
    };
    Ok(ChannelEvent {
        kind,
        // Delivery is at-least-once: the event id is what repeats, so it is the dedup key.
        dedup_key: format!("tiki:{}", event.id),
        external_order_id: event.payload.get("order_code").map(id_text),
        status_raw: event.payload.get("status").and_then(Value::as_str).map(str::to_owned),
        occurred_at: event.created_at.as_deref().and_then(wire::parse_local),
        raw,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn amounts_become_whole_dong_and_back() {
        assert_eq!(minor(Some(&json!(200000)), "VND"), Some(200_000));
        assert_eq!(minor(Some(&json!("150000.0")), "VND"), Some(150_000));
        assert_eq!(minor(Some(&json!(12.5)), "THB"), Some(1250));
        assert_eq!(minor(Some(&json!(null)), "VND"), None);
        assert_eq!(amount(99_000, "VND"), json!(99000));
    }

    #[test]
    fn the_documented_v1_order_sample_maps_with_its_seller_sku() {
        let raw = json!({"order_code":"929231617","status":"queueing","fulfillment_type":"seller_delivery","purchased_at":"2024-05-01 10:00:00","updated_at":"2024-05-01 10:05:00",
            "items":[{"id":25203463,"product_id":2050232,"sku":"9956112228645","original_sku":"SKU-1","qty":1,"price":200000,"confirmation_status":"waiting"}]});
        let order = order_v1(raw, "VND").expect("maps");
        assert_eq!(order.status_raw, "queueing");
        assert_eq!(order.lines[0].seller_sku.as_deref(), Some("SKU-1"));
        assert_eq!(order.subtotal_minor, 200_000);
        assert_eq!(order.created_at.to_rfc3339(), "2024-05-01T03:00:00+00:00");
    }

    #[test]
    fn events_keep_their_id_as_dedup_key() {
        let e = event(json!({"id":"e-1","type":"ORDER_STATUS_UPDATED","created_at":"2024-05-01 10:00:00","payload":{"order_code":"239545064","status":"shipping"}})).expect("event");
        assert_eq!(
            (e.kind, e.dedup_key.as_str(), e.external_order_id.as_deref(), e.status_raw.as_deref()),
            (EventKind::OrderStatusChanged, "tiki:e-1", Some("239545064"), Some("shipping"))
        );
    }
}
