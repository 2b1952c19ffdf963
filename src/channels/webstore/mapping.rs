//! Web store wire shapes → the hub's neutral types. Money: decimal strings in the shop currency → minor units.

use std::str::FromStr;

use chrono::Utc;
use rust_decimal::Decimal;
use serde_json::Value;

use super::wire::{WireOrder, WireProduct, WireVariant};
use crate::channels::{ConnectorError, ConnectorResult};
use crate::domain::channel::{Address, ChannelCustomer, ChannelOrder, ChannelOrderLine, Listing};
use crate::domain::money;

/// `Listing.status` of a product that exists but is not published on the storefront.
pub const HIDDEN_STATUS: &str = "hidden";

/// A decimal money string (`"150000"`, `"150000.00"`) → minor units of `currency`.
pub fn money_minor(path: &str, text: &str, currency: &str) -> ConnectorResult<i64> {
    let unreadable = |why: String| ConnectorError::parse(path, why, text.as_bytes());
    let amount = Decimal::from_str(text.trim()).map_err(|e| unreadable(format!("money {text:?}: {e}")))?;
    money::to_minor(&["price"], amount, currency).map_err(|e| unreadable(e.message))
}

/// Minor units → the decimal string the store expects.
pub fn money_text(minor: i64, currency: &str) -> String {
    money::from_minor(minor, currency).to_string()
}

fn decode<T: serde::de::DeserializeOwned>(path: &str, value: &Value) -> ConnectorResult<T> {
    T::deserialize(value).map_err(|e| ConnectorError::parse(path, e, value.to_string().as_bytes()))
}

/// One listing per variant of a product, keyed by the variant's `sku`.
pub fn listings_of_product(path: &str, raw_product: &Value, currency: &str) -> ConnectorResult<Vec<Listing>> {
    let product: WireProduct = decode(path, raw_product)?;
    let status = if product.published {
        product.status.clone().unwrap_or_else(|| "active".to_owned())
    } else {
        HIDDEN_STATUS.to_owned()
    };
    product
        .variants
        .iter()
        .map(|raw_variant| {
            let variant: WireVariant = decode(path, raw_variant)?;
            let values = [&variant.option1, &variant.option2, &variant.option3];
            let options = product
                .options
                .iter()
                .zip(values)
                .filter_map(|(option, value)| value.as_ref().map(|v| (option.name.clone(), v.clone())))
                .collect();
            let price = variant.price.as_deref().map(|p| money_minor(path, p, currency)).transpose()?;
            let list_price = variant.compare_at_price.as_deref().map(|p| money_minor(path, p, currency)).transpose()?;
            Ok(Listing {
                external_product_id: product.id.to_string(),
                external_sku_id: variant.id.to_string(),
                seller_sku: variant.sku.filter(|s| !s.trim().is_empty()),
                title: product.title.clone(),
                variant_title: variant.title.filter(|t| t != "Default Title"),
                options,
                price_minor: price,
                list_price_minor: list_price,
                quantity: variant.inventory_quantity,
                status: Some(status.clone()),
                raw: raw_variant.clone(),
            })
        })
        .collect()
}

/// The order's id, raw status and update time, without decoding money (for order searches).
pub fn order_summary(path: &str, raw: &Value) -> ConnectorResult<(String, String, Option<chrono::DateTime<Utc>>)> {
    let id = raw.get("id").and_then(Value::as_u64);
    let status = raw.get("status").and_then(Value::as_str);
    match (id, status) {
        (Some(id), Some(status)) => {
            let updated = raw
                .get("updated_at")
                .and_then(Value::as_str)
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.with_timezone(&Utc));
            Ok((id.to_string(), status.to_owned(), updated))
        }
        _ => Err(ConnectorError::parse(path, "order without id or status", raw.to_string().as_bytes())),
    }
}

/// A full order with its lines; `status_raw` is the store's status verbatim.
pub fn order_of(path: &str, raw: &Value, shop_currency: &str) -> ConnectorResult<ChannelOrder> {
    let order: WireOrder = decode(path, raw)?;
    let currency = order.currency.clone().unwrap_or_else(|| shop_currency.to_owned());
    let minor = |text: &str| money_minor(path, text, &currency);
    let lines = order
        .line_items
        .iter()
        .map(|line| {
            Ok(ChannelOrderLine {
                external_line_id: line.id.to_string(),
                external_product_id: line.product_id.map(|id| id.to_string()),
                external_sku_id: line.variant_id.map(|id| id.to_string()),
                seller_sku: line.sku.clone(),
                title: line.title.clone(),
                variant_title: line.variant_title.clone(),
                quantity: line.quantity,
                price_minor: minor(&line.price)?,
                discount_minor: line.total_discount.as_deref().map(minor).transpose()?.unwrap_or(0),
                status_raw: None,
            })
        })
        .collect::<ConnectorResult<Vec<_>>>()?;
    let address = &order.shipping_address;
    Ok(ChannelOrder {
        external_id: order.id.to_string(),
        order_number: order.order_number.clone(),
        status_raw: order.status.clone(),
        created_at: order.created_at.with_timezone(&Utc),
        updated_at: order.updated_at.with_timezone(&Utc),
        customer: ChannelCustomer {
            external_id: order.customer.id.map(|id| id.to_string()),
            name: order.customer.name.clone(),
            phone: order.customer.phone.clone(),
            email: order.customer.email.clone(),
        },
        shipping_address: Address {
            name: address.name.clone(),
            phone: address.phone.clone(),
            line1: address.address1.clone(),
            ward: address.ward.clone(),
            district: address.district.clone(),
            province: address.province.clone(),
            country: address.country_code.clone(),
        },
        payment_method: order.payment_method.clone(),
        subtotal_minor: minor(&order.subtotal_price)?,
        shipping_fee_minor: minor(&order.shipping_price)?,
        discount_minor: minor(&order.total_discounts)?,
        total_minor: minor(&order.total_price)?,
        lines,
        currency,
        raw: raw.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn vnd_money_strings_become_whole_minor_units() {
        assert_eq!(money_minor("/p", "150000", "VND").expect("ok"), 150_000);
        assert_eq!(money_minor("/p", "150000.00", "VND").expect("ok"), 150_000);
        assert!(matches!(money_minor("/p", "1.5", "VND"), Err(ConnectorError::Parse { .. })));
        assert!(matches!(money_minor("/p", "abc", "VND"), Err(ConnectorError::Parse { .. })));
        assert_eq!(money_text(99_000, "VND"), "99000");
    }

    #[test]
    fn a_hidden_product_with_options_maps_to_one_listing_per_variant() {
        let product = json!({
            "id": 7, "title": "Áo", "status": "active", "published": false,
            "options": [{"name": "Màu"}, {"name": "Size"}],
            "variants": [
                {"id": 8, "sku": "A-1", "title": "Đỏ / M", "option1": "Đỏ", "option2": "M", "option3": null,
                 "price": "150000", "compare_at_price": null, "inventory_quantity": 3},
                {"id": 9, "sku": "", "title": "Default Title", "price": "1000", "inventory_quantity": 0}
            ]
        });
        let listings = listings_of_product("/p", &product, "VND").expect("maps");
        assert_eq!(listings.len(), 2);
        assert_eq!(listings[0].seller_sku.as_deref(), Some("A-1"));
        assert_eq!(listings[0].options, vec![("Màu".into(), "Đỏ".into()), ("Size".into(), "M".into())]);
        assert_eq!(listings[0].status.as_deref(), Some(HIDDEN_STATUS));
        assert_eq!(listings[0].price_minor, Some(150_000));
        assert_eq!(listings[1].seller_sku, None, "an empty SKU is no SKU");
        assert_eq!(listings[1].variant_title, None);
    }
}
