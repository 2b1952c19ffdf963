//! Lazada wire → domain: money, times, listings, orders, and the rule that gives an order one raw status.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::Value;

use super::wire;
use crate::domain::channel::{Address, ChannelCustomer, ChannelOrder, ChannelOrderLine, Listing, StockPriceUpdate};
use crate::domain::money;

/// Item statuses in the order a healthy item moves through them (Lazada's status-flow guide).
const FORWARD_FLOW: [&str; 9] = [
    "unpaid",
    "pending",
    "repacked",
    "packed",
    "ready_to_ship_pending",
    "ready_to_ship",
    "shipping",
    "shipped",
    "delivered",
];

/// Lazada keeps status on items; the hub wants one raw status per order. Our rule (the value stays a verbatim
/// Lazada item status):
/// 1. if any item is still in the forward flow (unpaid … delivered), the order is as far as its *least advanced*
///    such item — the order is not "shipped" while one of its items waits to be packed, and canceled items of a
///    partly canceled order do not count;
/// 2. otherwise (every item canceled / returned / failed / lost …) the most common item status, ties going to
///    the one seen first.
pub fn order_status_of<'a>(item_statuses: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let statuses: Vec<&str> = item_statuses.into_iter().filter(|s| !s.is_empty()).collect();
    let slowest_live = statuses.iter().filter_map(|s| FORWARD_FLOW.iter().position(|f| f == s)).min();
    if let Some(index) = slowest_live {
        return Some(FORWARD_FLOW[index].to_owned());
    }
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for status in &statuses {
        match counts.iter_mut().find(|(s, _)| s == status) {
            Some((_, n)) => *n += 1,
            None => counts.push((status, 1)),
        }
    }
    // `max_by_key` keeps the last of equal maxima; reversing first keeps the first seen.
    counts.into_iter().rev().max_by_key(|(_, n)| *n).map(|(s, _)| s.to_owned())
}

/// An amount as Lazada sends it (`"150000.00"`, `102.0`) in minor units of `currency`, rounded to the currency's
/// precision. `None` when absent or not a number.
pub fn minor_units(value: Option<&Value>, currency: &str) -> Option<i64> {
    let text = match value? {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    if text.is_empty() {
        return None;
    }
    let amount = Decimal::from_str(&text).or_else(|_| Decimal::from_scientific(&text)).ok()?;
    let exponent = money::exponent(currency);
    (amount.round_dp(exponent) * Decimal::from(10i64.pow(exponent))).trunc().to_i64()
}

/// Lazada times: ISO 8601 with offset (orders), `2018-02-09 22:44:30 +0800` (older answers), or epoch
/// milliseconds (products, items).
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%d %H:%M:%S %z", "%Y-%m-%dT%H:%M:%S%z"] {
        if let Ok(t) = DateTime::parse_from_str(text, format) {
            return Some(t.with_timezone(&Utc));
        }
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S") {
        return Some(Utc.from_utc_datetime(&t));
    }
    text.parse::<i64>().ok().and_then(|ms| Utc.timestamp_millis_opt(ms).single())
}

/// The time format of order filters: `YYYY-MM-DDTHH:mm:ss±HH:MM` (sent in UTC).
pub fn format_filter_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
}

/// The listings of one product (one per SKU).
pub fn listings_of(product: &wire::Product, currency: &str) -> Result<Vec<Listing>, serde_json::Error> {
    let mut listings = Vec::with_capacity(product.skus.len());
    for raw in &product.skus {
        let sku: wire::Sku = serde_json::from_value(raw.clone())?;
        let options: Vec<(String, String)> = sku
            .sale_prop
            .iter()
            .flatten()
            .map(|(name, value)| (name.clone(), value.as_str().map(str::to_owned).unwrap_or_else(|| value.to_string())))
            .collect();
        let variant_title =
            (!options.is_empty()).then(|| options.iter().map(|(_, v)| v.as_str()).collect::<Vec<_>>().join(" / "));
        let list_price = minor_units(sku.price.as_ref(), currency);
        // `special_price` is the promotional selling price; 0 or absent means no promotion.
        let special = minor_units(sku.special_price.as_ref(), currency).filter(|p| *p > 0);
        listings.push(Listing {
            external_product_id: product.item_id.0.clone(),
            external_sku_id: sku.sku_id.0.clone(),
            seller_sku: sku.seller_sku.filter(|s| !s.is_empty()),
            title: product.attributes.name.clone().unwrap_or_default(),
            variant_title,
            options,
            price_minor: special.or(list_price),
            list_price_minor: list_price,
            quantity: sku.quantity,
            status: sku.status.or_else(|| product.status.clone()),
            raw: raw.clone(),
        });
    }
    Ok(listings)
}

/// The shop's local time, in which Lazada's seller tools show sale dates: UTC+7 in Vietnam, Thailand and
/// Indonesia (Jakarta), UTC+8 in Malaysia, Singapore and the Philippines (none of them moves its clocks).
pub fn shop_offset(country: &str) -> chrono::FixedOffset {
    let hours = if matches!(country, "MY" | "SG" | "PH") { 8 } else { 7 };
    chrono::FixedOffset::east_opt(hours * 3600).unwrap_or_else(|| chrono::FixedOffset::east_opt(0).expect("UTC"))
}

/// How `SaleStartDate` and `SaleEndDate` are written: the shop's local time to the second.
pub const SALE_DATE_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// The `payload` of `/product/price_quantity/update` for one batch (XML, the format every seller accepts). A sale
/// goes as SalePrice, SaleStartDate and SaleEndDate, in the shop's local time (`offset`).
pub fn price_quantity_payload(updates: &[&StockPriceUpdate], currency: &str, offset: chrono::FixedOffset) -> String {
    use quick_xml::escape::escape;
    let mut xml = String::from("<Request><Product><Skus>");
    for update in updates {
        xml.push_str("<Sku>");
        if !update.external_product_id.is_empty() {
            xml.push_str(&format!("<ItemId>{}</ItemId>", escape(update.external_product_id.as_str())));
        }
        if !update.external_sku_id.is_empty() {
            xml.push_str(&format!("<SkuId>{}</SkuId>", escape(update.external_sku_id.as_str())));
        }
        if let Some(seller_sku) = update.seller_sku.as_deref().filter(|s| !s.is_empty()) {
            xml.push_str(&format!("<SellerSku>{}</SellerSku>", escape(seller_sku)));
        }
        if let Some(price) = update.price_minor {
            xml.push_str(&format!("<Price>{}</Price>", money::from_minor(price, currency)));
        }
        if let Some(sale) = update.sale {
            let date =
                |at: chrono::DateTime<chrono::Utc>| at.with_timezone(&offset).format(SALE_DATE_FORMAT).to_string();
            xml.push_str(&format!(
                "<SalePrice>{}</SalePrice><SaleStartDate>{}</SaleStartDate><SaleEndDate>{}</SaleEndDate>",
                money::from_minor(sale.price, currency),
                date(sale.starts_at),
                date(sale.ends_at)
            ));
        }
        if let Some(quantity) = update.quantity {
            xml.push_str(&format!("<Quantity>{quantity}</Quantity>"));
        }
        xml.push_str("</Sku>");
    }
    xml.push_str("</Skus></Product></Request>");
    xml
}

/// Units that form one line: (SKU id, seller SKU, item status, unit price).
type LineKey = (String, String, String, i64);

/// One order with its items (one item per unit) as a channel order: units of the same SKU in the same status
/// become one line whose id is the lowest order item id of the group.
pub fn channel_order(
    order_raw: &Value,
    items_raw: &[Value],
    currency: &str,
) -> Result<ChannelOrder, serde_json::Error> {
    let order: wire::Order = serde_json::from_value(order_raw.clone())?;
    let mut items = Vec::with_capacity(items_raw.len());
    for raw in items_raw {
        items.push(serde_json::from_value::<wire::OrderItem>(raw.clone())?);
    }
    let created_at = parse_time(&order.created_at)
        .ok_or_else(|| serde::de::Error::custom(format!("bad created_at {}", order.created_at)))?;
    let updated_at = parse_time(&order.updated_at).unwrap_or(created_at);

    // Groups remember where they were first seen, so lines keep the items' order.
    let mut groups: BTreeMap<LineKey, (usize, Vec<&wire::OrderItem>)> = BTreeMap::new();
    for (position, item) in items.iter().enumerate() {
        let key = (
            item.sku_id.as_ref().map(|t| t.0.clone()).unwrap_or_default(),
            item.sku.clone().unwrap_or_default(),
            item.status.clone(),
            minor_units(item.item_price.as_ref(), currency).unwrap_or(0),
        );
        groups.entry(key).or_insert_with(|| (position, Vec::new())).1.push(item);
    }
    let mut grouped: Vec<(usize, Vec<&wire::OrderItem>)> = groups.into_values().collect();
    grouped.sort_by_key(|(position, _)| *position);

    let mut lines = Vec::with_capacity(grouped.len());
    for (_, units) in &grouped {
        let Some(first) = units.first() else { continue };
        let line_id = units
            .iter()
            .map(|u| u.order_item_id.0.as_str())
            .min_by(|a, b| a.len().cmp(&b.len()).then(a.cmp(b)))
            .unwrap_or_default()
            .to_owned();
        let quantity = units.len() as i64;
        let discount: i64 = units.iter().filter_map(|u| minor_units(u.voucher_amount.as_ref(), currency)).sum();
        lines.push(ChannelOrderLine {
            external_line_id: line_id,
            external_product_id: first.product_id.as_ref().map(|t| t.0.clone()).filter(|s| !s.is_empty()),
            external_sku_id: first.sku_id.as_ref().map(|t| t.0.clone()).filter(|s| !s.is_empty()),
            seller_sku: first.sku.clone().filter(|s| !s.is_empty()),
            title: first.name.clone().unwrap_or_default(),
            variant_title: first.variation.clone().filter(|s| !s.is_empty()),
            quantity,
            price_minor: minor_units(first.item_price.as_ref(), currency).unwrap_or(0),
            discount_minor: discount,
            status_raw: Some(first.status.clone()).filter(|s| !s.is_empty()),
        });
    }

    let status_raw = order_status_of(items.iter().map(|i| i.status.as_str()))
        .or_else(|| order_status_of(order.statuses.iter().map(String::as_str)))
        .unwrap_or_default();
    let subtotal: i64 = lines.iter().map(|l| l.price_minor * l.quantity).sum();
    let line_discounts: i64 = lines.iter().map(|l| l.discount_minor).sum();
    let discount = minor_units(order.voucher.as_ref(), currency).filter(|v| *v > 0).unwrap_or(line_discounts);
    let shipping_fee = minor_units(order.shipping_fee.as_ref(), currency).unwrap_or(0);
    let address = order.address_shipping.unwrap_or_default();
    let join_name = |first: &Option<String>, last: &Option<String>| {
        let name = [first.as_deref(), last.as_deref()]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        (!name.is_empty()).then_some(name)
    };
    Ok(ChannelOrder {
        external_id: order.order_id.0.clone(),
        order_number: order.order_number.map(|t| t.0).filter(|s| !s.is_empty()),
        status_raw,
        created_at,
        updated_at,
        currency: currency.to_owned(),
        customer: ChannelCustomer {
            external_id: None,
            name: join_name(&order.customer_first_name, &order.customer_last_name),
            phone: address.phone.clone(),
            email: None,
        },
        shipping_address: Address {
            name: join_name(&address.first_name, &address.last_name),
            phone: address.phone.clone(),
            line1: address.address1.clone(),
            ward: address.address5.clone(),
            district: address.address4.clone(),
            province: address.address3.clone(),
            country: address.country.clone(),
        },
        payment_method: order.payment_method.clone(),
        subtotal_minor: subtotal,
        shipping_fee_minor: shipping_fee,
        discount_minor: discount,
        total_minor: subtotal + shipping_fee - discount,
        lines,
        raw: serde_json::json!({ "order": order_raw, "items": items_raw }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_order_is_as_far_as_its_least_advanced_live_item() {
        assert_eq!(order_status_of(["ready_to_ship", "pending", "canceled"]).as_deref(), Some("pending"));
        assert_eq!(order_status_of(["delivered", "returned"]).as_deref(), Some("delivered"));
        assert_eq!(order_status_of(["canceled", "returned", "canceled"]).as_deref(), Some("canceled"));
        assert_eq!(order_status_of(["returned", "canceled"]).as_deref(), Some("returned"), "ties go to the first seen");
        assert_eq!(order_status_of([]), None);
    }

    #[test]
    fn amounts_become_minor_units_of_the_currency() {
        assert_eq!(minor_units(Some(&json!("150000.00")), "VND"), Some(150_000));
        assert_eq!(minor_units(Some(&json!(102.0)), "MYR"), Some(10_200));
        assert_eq!(minor_units(Some(&json!("12.345")), "SGD"), Some(1234));
        assert_eq!(minor_units(Some(&json!("")), "VND"), None);
        assert_eq!(minor_units(Some(&json!("abc")), "VND"), None);
    }

    #[test]
    fn lazada_time_formats_are_all_read() {
        let expected = Utc.with_ymd_and_hms(2018, 2, 9, 14, 44, 30).single();
        assert_eq!(parse_time("2018-02-09T22:44:30+08:00"), expected);
        assert_eq!(parse_time("2018-02-09 22:44:30 +0800"), expected);
        assert_eq!(parse_time("1518187470000"), expected);
    }

    #[test]
    fn price_quantity_payload_is_the_documented_xml() {
        let update = StockPriceUpdate {
            external_product_id: "1".into(),
            external_sku_id: "2".into(),
            seller_sku: Some("A&B".into()),
            quantity: Some(5),
            price_minor: Some(100_000),
            sale: None,
        };
        assert_eq!(
            price_quantity_payload(&[&update], "VND", shop_offset("VN")),
            "<Request><Product><Skus><Sku><ItemId>1</ItemId><SkuId>2</SkuId><SellerSku>A&amp;B</SellerSku><Price>100000</Price><Quantity>5</Quantity></Sku></Skus></Product></Request>"
        );
        // A sale, in the shop's local time: midnight in Hồ Chí Minh City is 17:00 UTC the day before.
        let sale = crate::domain::price_rules::ScheduledSale {
            price: 90_000,
            starts_at: Utc.with_ymd_and_hms(2026, 12, 10, 17, 0, 0).single().expect("time"),
            ends_at: Utc.with_ymd_and_hms(2026, 12, 12, 16, 59, 59).single().expect("time"),
        };
        let on_sale = StockPriceUpdate { quantity: None, sale: Some(sale), ..update };
        assert_eq!(
            price_quantity_payload(&[&on_sale], "VND", shop_offset("VN")),
            "<Request><Product><Skus><Sku><ItemId>1</ItemId><SkuId>2</SkuId><SellerSku>A&amp;B</SellerSku><Price>100000</Price><SalePrice>90000</SalePrice><SaleStartDate>2026-12-11 00:00:00</SaleStartDate><SaleEndDate>2026-12-12 23:59:59</SaleEndDate></Sku></Skus></Product></Request>"
        );
    }

    #[test]
    fn units_of_one_sku_in_one_status_become_one_line() {
        let order = json!({"order_id": 9, "created_at": "2024-05-01T10:00:00+07:00", "updated_at": "2024-05-01T10:05:00+07:00",
            "statuses": ["pending"], "price": "300000.00", "shipping_fee": "15000.00", "voucher": "0.00"});
        let item = |id: u64, status: &str| json!({"order_item_id": id, "sku": "SKU-1", "sku_id": "77", "status": status, "item_price": "150000.00", "name": "Áo"});
        let parsed = channel_order(&order, &[item(12, "pending"), item(11, "pending"), item(13, "canceled")], "VND")
            .expect("order");
        assert_eq!(parsed.lines.len(), 2);
        assert_eq!((parsed.lines[0].external_line_id.as_str(), parsed.lines[0].quantity), ("11", 2));
        assert_eq!(parsed.lines[1].status_raw.as_deref(), Some("canceled"));
        assert_eq!(parsed.status_raw, "pending");
        assert_eq!(parsed.total_minor, 3 * 150_000 + 15_000, "totals count every unit ordered");
    }
}
