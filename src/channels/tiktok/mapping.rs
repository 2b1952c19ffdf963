//! TikTok wire types → the hub's neutral types. Money strings become minor units of their currency; raw
//! statuses are kept verbatim (mapping them is a hub rule).

use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::Value;

use super::client::unix_time;
use super::wire;
use crate::channels::{ConnectorError, ConnectorResult};
use crate::domain::channel::{Address, ChannelCustomer, ChannelOrder, ChannelOrderLine, Listing, OrderRef};
use crate::domain::money;

/// A decimal money string in `currency` → minor units (VND: whole dong).
pub(super) fn minor_units(path: &str, field: &str, amount: &str, currency: &str) -> ConnectorResult<i64> {
    let decimal = Decimal::from_str(amount.trim())
        .map_err(|e| ConnectorError::parse(path, format!("{field}: {e}"), amount.as_bytes()))?;
    money::to_minor(&[field], decimal, currency)
        .map_err(|e| ConnectorError::parse(path, format!("{field}: {}", e.message), amount.as_bytes()))
}

fn optional_minor(path: &str, field: &str, amount: Option<&String>, currency: &str) -> ConnectorResult<Option<i64>> {
    amount.filter(|a| !a.trim().is_empty()).map(|a| minor_units(path, field, a, currency)).transpose()
}

fn decode<T: serde::de::DeserializeOwned>(path: &str, value: &Value) -> ConnectorResult<T> {
    T::deserialize(value).map_err(|e| ConnectorError::parse(path, e, value.to_string().as_bytes()))
}

/// Every SKU of one product (Get Product's detail: with options and list price), as listings.
pub(super) fn product_listings(path: &str, raw_product: &Value, currency: &str) -> ConnectorResult<Vec<Listing>> {
    let product: wire::Product = decode(path, raw_product)?;
    let mut listings = Vec::with_capacity(product.skus.len());
    for raw_sku in &product.skus {
        let sku: wire::Sku = decode(path, raw_sku)?;
        let price_minor = match &sku.price {
            Some(price) => {
                let sku_currency = price.currency.as_deref().unwrap_or(currency);
                // Local sellers set (and `prices/update` writes) the display price: tax_exclusive_price.
                let amount = price.tax_exclusive_price.as_ref().or(price.sale_price.as_ref());
                optional_minor(path, "price", amount, sku_currency)?
            }
            None => None,
        };
        let list_price_minor = match &sku.list_price {
            Some(list) => Some(minor_units(path, "list_price", &list.amount, &list.currency)?),
            None => None,
        };
        let quantity = (!sku.inventory.is_empty()).then(|| sku.inventory.iter().map(|i| i.quantity).sum());
        let options: Vec<(String, String)> = sku
            .sales_attributes
            .iter()
            .filter_map(|a| Some((a.name.clone()?, a.value_name.clone().unwrap_or_default())))
            .collect();
        let variant_title =
            (!options.is_empty()).then(|| options.iter().map(|(_, v)| v.as_str()).collect::<Vec<_>>().join(" / "));
        listings.push(Listing {
            external_product_id: product.id.clone(),
            external_sku_id: sku.id,
            seller_sku: sku.seller_sku.filter(|s| !s.is_empty()),
            title: product.title.clone().unwrap_or_default(),
            variant_title,
            options,
            price_minor,
            list_price_minor,
            quantity,
            status: product.status.clone(),
            raw: raw_sku.clone(),
        });
    }
    Ok(listings)
}

/// The search view of an order.
pub(super) fn order_ref(path: &str, raw: &Value) -> ConnectorResult<OrderRef> {
    let order: wire::Order = decode(path, raw)?;
    let updated_at = order.update_time.map(|t| unix_time(path, t)).transpose()?;
    Ok(OrderRef { external_id: order.id, status_raw: Some(order.status), updated_at })
}

/// An order with its lines. Line items are units; units of one SKU at one price and status become one line.
pub(super) fn channel_order(path: &str, raw: &Value, default_currency: &str) -> ConnectorResult<ChannelOrder> {
    let order: wire::Order = decode(path, raw)?;
    let payment = order.payment.unwrap_or_default();
    let currency = payment.currency.clone().unwrap_or_else(|| default_currency.to_owned());
    let money = |field: &str, value: Option<&String>| {
        optional_minor(path, field, value, &currency).map(Option::unwrap_or_default)
    };
    let discount_minor = money("seller_discount", payment.seller_discount.as_ref())?
        + money("platform_discount", payment.platform_discount.as_ref())?;
    let subtotal_minor = match &payment.original_total_product_price {
        Some(original) => minor_units(path, "original_total_product_price", original, &currency)?,
        // sub_total is after product discounts.
        None => money("sub_total", payment.sub_total.as_ref())? + discount_minor,
    };
    let address = order.recipient_address.unwrap_or_default();
    let level = |code: &str| {
        address
            .district_info
            .iter()
            .find(|d| d.address_level.as_deref() == Some(code))
            .and_then(|d| d.address_name.clone())
    };
    let shipping_address = Address {
        name: address.name.clone(),
        phone: address.phone_number.clone(),
        line1: address
            .address_detail
            .clone()
            .or_else(|| address.address_line1.clone())
            .or_else(|| address.full_address.clone()),
        ward: level("L3"),
        district: level("L2"),
        province: level("L1"),
        country: address.region_code.clone(),
    };
    let created_at = unix_time(path, order.create_time)?;
    let updated_at = match order.update_time {
        Some(t) => unix_time(path, t)?,
        None => created_at,
    };
    Ok(ChannelOrder {
        external_id: order.id.clone(),
        // TikTok has no order number apart from the id.
        order_number: Some(order.id.clone()),
        status_raw: order.status,
        created_at,
        updated_at,
        customer: ChannelCustomer {
            external_id: order.user_id,
            name: address.name.clone(),
            phone: address.phone_number.clone(),
            email: order.buyer_email,
        },
        shipping_address,
        payment_method: order.payment_method_name,
        subtotal_minor,
        shipping_fee_minor: money("shipping_fee", payment.shipping_fee.as_ref())?,
        discount_minor,
        total_minor: money("total_amount", payment.total_amount.as_ref())?,
        lines: order_lines(path, &order.line_items, &currency)?,
        currency,
        raw: raw.clone(),
    })
}

/// What makes units one line: SKU (or item id), unit price, display status.
type LineKey = (String, i64, Option<String>);

/// Groups unit line items by (SKU, unit price, status): `quantity` counts them, `discount_minor` sums their
/// seller and platform discounts (the line's total discount), and the line id is the first item's id.
fn order_lines(path: &str, items: &[wire::LineItem], currency: &str) -> ConnectorResult<Vec<ChannelOrderLine>> {
    let mut lines: Vec<(LineKey, ChannelOrderLine)> = Vec::new();
    for item in items {
        let unit_price = optional_minor(
            path,
            "original_price",
            item.original_price.as_ref().or(item.sale_price.as_ref()),
            currency,
        )?
        .unwrap_or_default();
        let units = item.quantity.unwrap_or(1);
        let discount = optional_minor(path, "seller_discount", item.seller_discount.as_ref(), currency)?
            .unwrap_or_default()
            + optional_minor(path, "platform_discount", item.platform_discount.as_ref(), currency)?.unwrap_or_default();
        let key = (item.sku_id.clone().unwrap_or_else(|| item.id.clone()), unit_price, item.display_status.clone());
        if let Some((_, line)) = lines.iter_mut().find(|(k, _)| *k == key) {
            line.quantity += units;
            line.discount_minor += discount * units;
            continue;
        }
        lines.push((
            key,
            ChannelOrderLine {
                external_line_id: item.id.clone(),
                external_product_id: item.product_id.clone(),
                external_sku_id: item.sku_id.clone(),
                seller_sku: item.seller_sku.clone().filter(|s| !s.is_empty()),
                title: item.product_name.clone().unwrap_or_default(),
                variant_title: item.sku_name.clone().filter(|s| !s.is_empty()),
                quantity: units,
                price_minor: unit_price,
                discount_minor: discount * units,
                status_raw: item.display_status.clone(),
            },
        ));
    }
    Ok(lines.into_iter().map(|(_, line)| line).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn skus_become_listings_with_prices_in_minor_units_and_summed_stock() {
        let product = json!({"id":"1729","title":"Áo thun","status":"ACTIVATE","skus":[
            {"id":"1","seller_sku":"SKU-1","price":{"currency":"VND","tax_exclusive_price":"150000","sale_price":"150000"},
             "inventory":[{"warehouse_id":"w1","quantity":3},{"warehouse_id":"w2","quantity":4}]},
            {"id":"2","seller_sku":"","price":{"currency":"MYR","sale_price":"12.50"},"inventory":[]}]});
        let listings = product_listings("/p", &product, "VND").expect("parses");
        assert_eq!(listings.len(), 2);
        assert_eq!(
            (listings[0].seller_sku.as_deref(), listings[0].price_minor, listings[0].quantity),
            (Some("SKU-1"), Some(150_000), Some(7))
        );
        assert_eq!(listings[0].status.as_deref(), Some("ACTIVATE"));
        assert_eq!(
            (listings[1].seller_sku.clone(), listings[1].price_minor, listings[1].quantity),
            (None, Some(1250), None)
        );
    }

    #[test]
    fn a_vnd_price_with_decimals_is_a_parse_error_naming_the_path() {
        let product = json!({"id":"1","skus":[{"id":"2","price":{"currency":"VND","tax_exclusive_price":"1.5"}}]});
        assert!(
            matches!(product_listings("/product/202309/products/search", &product, "VND"), Err(ConnectorError::Parse { path, .. }) if path == "/product/202309/products/search")
        );
    }

    #[test]
    fn unit_line_items_of_one_sku_become_one_line_with_a_quantity() {
        let order = json!({"id":"576","status":"AWAITING_SHIPMENT","create_time":1714550000,"update_time":1714550300,
            "payment":{"currency":"VND","sub_total":"290000","shipping_fee":"15000","seller_discount":"10000","platform_discount":"0","total_amount":"305000"},
            "recipient_address":{"name":"A","phone_number":"090","address_detail":"12 Lê Lợi","region_code":"VN","district_info":[
                {"address_level":"L0","address_name":"Vietnam"},{"address_level":"L1","address_name":"Hồ Chí Minh"},
                {"address_level":"L2","address_name":"Quận 1"},{"address_level":"L3","address_name":"Bến Nghé"}]},
            "line_items":[
                {"id":"9001","sku_id":"1","seller_sku":"SKU-1","product_name":"Áo","original_price":"150000","sale_price":"145000","seller_discount":"5000","display_status":"AWAITING_SHIPMENT"},
                {"id":"9002","sku_id":"1","seller_sku":"SKU-1","product_name":"Áo","original_price":"150000","sale_price":"145000","seller_discount":"5000","display_status":"AWAITING_SHIPMENT"}]});
        let mapped = channel_order("/o", &order, "VND").expect("parses");
        assert_eq!(mapped.status_raw, "AWAITING_SHIPMENT");
        assert_eq!(
            (mapped.subtotal_minor, mapped.discount_minor, mapped.shipping_fee_minor, mapped.total_minor),
            (300_000, 10_000, 15_000, 305_000)
        );
        assert_eq!(mapped.lines.len(), 1);
        let line = &mapped.lines[0];
        assert_eq!(
            (line.external_line_id.as_str(), line.quantity, line.price_minor, line.discount_minor),
            ("9001", 2, 150_000, 10_000)
        );
        assert_eq!(
            (mapped.shipping_address.province.as_deref(), mapped.shipping_address.ward.as_deref()),
            (Some("Hồ Chí Minh"), Some("Bến Nghé"))
        );
    }
}
