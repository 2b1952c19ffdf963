//! A link's two sides compared field by field (SPEC §2 [Sapo]): the hub variant and the channel listing.

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use entity::enums::MatchKey;
use entity::{channel, product, product_variant};

use super::listings::{listing, listing_options};
use super::views::link;
use crate::domain::money;
use crate::services::{ServiceError, ServiceResult, catalog, channels};

/// One field of a link comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldComparison {
    pub field: &'static str,
    pub hub: Option<String>,
    pub channel: Option<String>,
    pub differs: bool,
}

/// The hub variant and its channel listing side by side (SPEC §2 [Sapo]).
pub async fn compare(db: &DatabaseConnection, hub_currency: &str, link_id: i64) -> ServiceResult<Vec<FieldComparison>> {
    let link = link(db, link_id).await?.ok_or_else(|| ServiceError::not_found(&["linkId"], "Link"))?;
    let listing = match link.listing_id {
        Some(id) => listing(db, id).await?,
        None => None,
    };
    let variant = match link.variant_id {
        Some(id) => product_variant::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    let product = match &variant {
        Some(v) => product::Entity::find_by_id(v.product_id).one(db).await?,
        None => None,
    };
    let channel = channel::Entity::find_by_id(link.channel_id).one(db).await?;
    let channel_currency = channel.as_ref().map(channels::currency).unwrap_or(hub_currency);
    let money = |m: Option<i64>, currency: &str| m.map(|m| format!("{} {currency}", money::from_minor(m, currency)));
    let hub_key = match (channel.as_ref().map(|c| c.match_key), &variant) {
        (Some(MatchKey::Sku), Some(v)) => v.sku.clone(),
        (_, Some(v)) => v.barcode.clone(),
        _ => None,
    };
    let hub_options = variant
        .as_ref()
        .map(|v| options_text(catalog::stored_options(v).into_iter().map(|o| (o.name, o.value)).collect()));
    let channel_options = listing.as_ref().map(|l| options_text(listing_options(l)));
    let hub_stock = match &variant {
        Some(v) => Some(on_hand(db, v.id).await?.to_string()),
        None => None,
    };
    let rows = vec![
        ("title", product.as_ref().map(|p| p.title.clone()), listing.as_ref().map(|l| l.title.clone())),
        (
            "variantTitle",
            variant.as_ref().map(|v| v.title.clone()),
            listing.as_ref().and_then(|l| l.variant_title.clone()),
        ),
        ("matchKey", hub_key, listing.as_ref().and_then(|l| l.seller_sku.clone())),
        (
            "price",
            money(variant.as_ref().map(|v| v.price_minor), hub_currency),
            money(listing.as_ref().and_then(|l| l.price_minor), channel_currency),
        ),
        (
            "listPrice",
            money(variant.as_ref().and_then(|v| v.list_price_minor), hub_currency),
            money(listing.as_ref().and_then(|l| l.list_price_minor), channel_currency),
        ),
        ("options", hub_options, channel_options),
        ("quantity", hub_stock, listing.as_ref().and_then(|l| l.quantity.map(|q| q.to_string()))),
    ];
    Ok(rows
        .into_iter()
        .map(|(field, hub, channel)| FieldComparison { differs: hub != channel, field, hub, channel })
        .collect())
}

/// Options as shown side by side: "name: value, name: value".
fn options_text(options: Vec<(String, String)>) -> String {
    options.into_iter().map(|(n, v)| format!("{n}: {v}")).collect::<Vec<_>>().join(", ")
}

/// The variant's stock on hand over every warehouse.
async fn on_hand(db: &DatabaseConnection, variant_id: i64) -> ServiceResult<i64> {
    Ok(entity::inventory_level::Entity::find()
        .filter(entity::inventory_level::Column::VariantId.eq(variant_id))
        .all(db)
        .await?
        .iter()
        .map(|l| l.on_hand)
        .sum::<i64>())
}
