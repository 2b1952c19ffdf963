//! Shopee wire types → neutral domain types, and money between Shopee's decimal numbers and minor units.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Number, Value};

use super::wire::{ItemBaseInfo, Model, OrderDetail, OrderItem, PriceInfo, TierVariation};
use crate::domain::channel::{Address, ChannelCustomer, ChannelOrder, ChannelOrderLine, Listing};
use crate::domain::money;

/// A Shopee price (a JSON number in major units) in minor units of `currency`.
pub fn to_minor(amount: &Number, currency: &str) -> Option<i64> {
    let text = amount.to_string();
    let value = Decimal::from_str(&text).or_else(|_| Decimal::from_scientific(&text)).ok()?;
    (value * Decimal::from(10i64.pow(money::exponent(currency)))).round().to_i64()
}

/// Minor units as the JSON number Shopee expects: integers for whole-unit currencies (VND, IDR), else decimals.
pub fn from_minor(minor: i64, currency: &str) -> Number {
    let amount = money::from_minor(minor, currency);
    if money::exponent(currency) == 0 {
        return Number::from(minor);
    }
    amount.to_f64().and_then(Number::from_f64).unwrap_or_else(|| Number::from(minor))
}

fn prices(info: &[PriceInfo], currency: &str) -> (Option<i64>, Option<i64>) {
    let Some(first) = info.first() else { return (None, None) };
    let currency = first.currency.as_deref().unwrap_or(currency);
    let minor = |n: &Option<Number>| n.as_ref().and_then(|n| to_minor(n, currency));
    (minor(&first.current_price), minor(&first.original_price))
}

fn non_empty(s: &str) -> Option<String> {
    let trimmed = s.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

/// The one SKU of an item without models: `item_sku` is its seller SKU, and the item id stands in for the
/// missing model id (Shopee's `model_id` is 0 there).
pub fn item_listing(item: &ItemBaseInfo, raw: Value, currency: &str) -> Listing {
    let (price, list_price) = prices(&item.price_info, currency);
    Listing {
        external_product_id: item.item_id.to_string(),
        external_sku_id: item.item_id.to_string(),
        seller_sku: non_empty(&item.item_sku),
        title: item.item_name.clone(),
        variant_title: None,
        options: Vec::new(),
        price_minor: price,
        list_price_minor: list_price,
        quantity: item.stock_info_v2.as_ref().map(super::wire::StockInfo::available),
        status: non_empty(&item.item_status),
        raw,
    }
}

/// One model of an item with models: `model_sku` is its seller SKU; options come from the tier variations.
pub fn model_listing(
    item: &ItemBaseInfo,
    tiers: &[TierVariation],
    model: &Model,
    raw: Value,
    currency: &str,
) -> Listing {
    let (price, list_price) = prices(&model.price_info, currency);
    let options: Vec<(String, String)> = model
        .tier_index
        .iter()
        .zip(tiers)
        .filter_map(|(index, tier)| tier.option_list.get(*index).map(|o| (tier.name.clone(), o.option.clone())))
        .collect();
    let variant_title =
        (!options.is_empty()).then(|| options.iter().map(|(_, v)| v.as_str()).collect::<Vec<_>>().join(", "));
    // The item's status, unless this model alone is unavailable.
    let status = match model.model_status.as_deref() {
        Some(s) if s != "MODEL_NORMAL" && !s.is_empty() => Some(s.to_owned()),
        _ => non_empty(&item.item_status),
    };
    Listing {
        external_product_id: item.item_id.to_string(),
        external_sku_id: model.model_id.to_string(),
        seller_sku: non_empty(&model.model_sku),
        title: item.item_name.clone(),
        variant_title,
        options,
        price_minor: price,
        list_price_minor: list_price,
        quantity: model.stock_info_v2.as_ref().map(super::wire::StockInfo::available),
        status,
        raw,
    }
}

/// Shopee's `model_id` for a neutral SKU id: 0 for items without models (whose SKU id is the item id).
pub fn model_id_of(external_product_id: &str, external_sku_id: &str) -> Option<u64> {
    if external_sku_id == external_product_id {
        return Some(0);
    }
    external_sku_id.parse().ok()
}

fn time(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap_or_default()
}

fn line(item: &OrderItem, currency: &str) -> ChannelOrderLine {
    let minor = |n: &Option<Number>| n.as_ref().and_then(|n| to_minor(n, currency)).unwrap_or(0);
    let original = minor(&item.model_original_price);
    let discounted = item.model_discounted_price.as_ref().and_then(|n| to_minor(n, currency)).unwrap_or(original);
    let sku_id = if item.model_id == 0 { item.item_id } else { item.model_id };
    ChannelOrderLine {
        // order_item_id repeats across the models of one item, so the model id completes the key.
        external_line_id: format!("{}:{}", item.order_item_id.unwrap_or(item.item_id), item.model_id),
        external_product_id: Some(item.item_id.to_string()),
        external_sku_id: Some(sku_id.to_string()),
        seller_sku: non_empty(&item.model_sku).or_else(|| non_empty(&item.item_sku)),
        title: item.item_name.clone(),
        variant_title: non_empty(&item.model_name),
        quantity: item.model_quantity_purchased,
        price_minor: original,
        // Line total discount: (original − discounted unit price) × quantity.
        discount_minor: (original - discounted).max(0) * item.model_quantity_purchased,
        status_raw: None,
    }
}

/// An order detail; `status_raw` is Shopee's `order_status` verbatim.
pub fn order(detail: &OrderDetail, raw: Value, channel_currency: &str) -> ChannelOrder {
    let currency = detail.currency.clone().filter(|c| !c.is_empty()).unwrap_or_else(|| channel_currency.to_owned());
    let minor = |n: &Option<Number>| n.as_ref().and_then(|n| to_minor(n, &currency));
    let lines: Vec<ChannelOrderLine> = detail.item_list.iter().map(|i| line(i, &currency)).collect();
    let subtotal: i64 = lines.iter().map(|l| l.price_minor * l.quantity).sum();
    let discount: i64 = lines.iter().map(|l| l.discount_minor).sum();
    let shipping = minor(&detail.actual_shipping_fee).or_else(|| minor(&detail.estimated_shipping_fee)).unwrap_or(0);
    let address = detail.recipient_address.as_ref();
    let field = |f: fn(&super::wire::RecipientAddress) -> &Option<String>| {
        address.and_then(|a| f(a).clone()).filter(|s| !s.is_empty())
    };
    ChannelOrder {
        external_id: detail.order_sn.clone(),
        order_number: Some(detail.order_sn.clone()),
        status_raw: detail.order_status.clone(),
        created_at: time(detail.create_time),
        updated_at: time(detail.update_time),
        customer: ChannelCustomer {
            external_id: detail.buyer_user_id.map(|id| id.to_string()),
            name: detail.buyer_username.clone().or_else(|| field(|a| &a.name)),
            phone: field(|a| &a.phone),
            email: None,
        },
        shipping_address: Address {
            name: field(|a| &a.name),
            phone: field(|a| &a.phone),
            line1: field(|a| &a.full_address),
            ward: field(|a| &a.town),
            district: field(|a| &a.district).or_else(|| field(|a| &a.city)),
            province: field(|a| &a.state),
            country: field(|a| &a.region),
        },
        payment_method: detail.payment_method.clone().filter(|s| !s.is_empty()),
        subtotal_minor: subtotal,
        shipping_fee_minor: shipping,
        discount_minor: discount,
        total_minor: minor(&detail.total_amount).unwrap_or(subtotal - discount + shipping),
        currency,
        lines,
        raw,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_convert_exactly_per_currency_exponent() {
        let n = |s: &str| serde_json::from_str::<Number>(s).expect("number");
        assert_eq!(to_minor(&n("150000"), "VND"), Some(150_000));
        assert_eq!(to_minor(&n("150000.0"), "VND"), Some(150_000));
        assert_eq!(to_minor(&n("122.02"), "SGD"), Some(12_202));
        assert_eq!(to_minor(&n("19.99"), "MYR"), Some(1_999));
        assert_eq!(from_minor(150_000, "VND").to_string(), "150000");
        assert_eq!(from_minor(1_999, "MYR").to_string(), "19.99");
    }

    #[test]
    fn items_without_models_use_model_id_zero() {
        assert_eq!(model_id_of("123", "123"), Some(0));
        assert_eq!(model_id_of("123", "456"), Some(456));
        assert_eq!(model_id_of("123", "x"), None);
    }
}
