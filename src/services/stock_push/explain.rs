//! The explanation of a number (`stockExplanation`): recomputed with the functions a push uses, with why.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use entity::{channel, channel_listing, product_link, product_variant};

use super::due::orders_waiting;
use crate::domain::price_rules::{PriceComputation, ScheduledSale};
use crate::domain::stock_push::{self as rules, PushSettings, QuantityDecision, price_computation};
use crate::services::link_marks::{push_settings, variant_flags, variant_prices};
use crate::services::warehouses::{BundlePart, StockLevels, StockWarehouses, stock_warehouses};
use crate::services::{ServiceError, ServiceResult};

/// Why a channel shows (or will show) a number for a variant.
#[derive(Debug, Clone)]
pub struct Explanation {
    pub channel: channel::Model,
    pub variant: product_variant::Model,
    /// The warehouses whose stock the channel gets, and the variant's levels there (and their sum).
    pub warehouses: StockWarehouses,
    pub levels: StockLevels,
    pub decision: QuantityDecision,
    /// The price and how it was computed (`None`: `syncPrice` is off).
    pub price: Option<PriceComputation>,
    /// The sale pushed with the price, where the marketplace schedules sales (`domain::stock_push::sale_to_push`).
    pub sale: Option<ScheduledSale>,
    pub settings: PushSettings,
    pub link: Option<product_link::Model>,
    pub orders_waiting: bool,
    /// A raise the stale-push guard holds back now.
    pub held: bool,
    pub summary: String,
    /// For a bundle: each component with its figures in the channel's warehouses (`levels.bundle` says which
    /// limits it).
    pub components: Vec<(product_variant::Model, BundlePart)>,
}

pub async fn explain(db: &DatabaseConnection, variant_id: i64, channel_id: i64) -> ServiceResult<Explanation> {
    let variant = product_variant::Entity::find_by_id(variant_id).one(db).await?;
    let channel = channel::Entity::find_by_id(channel_id).one(db).await?;
    let mut errors = Vec::new();
    if variant.is_none() {
        errors.push(crate::domain::errors::FieldError::new(
            &["variantId"],
            crate::domain::errors::ErrorCode::NotFound,
            "Variant not found",
        ));
    }
    if channel.is_none() {
        errors.push(crate::domain::errors::FieldError::new(
            &["channelId"],
            crate::domain::errors::ErrorCode::NotFound,
            "Channel not found",
        ));
    }
    let (Some(variant), Some(channel)) = (variant, channel) else { return Err(ServiceError::Rejected(errors)) };
    let warehouses = stock_warehouses(db, channel.id).await?;
    let levels = warehouses.levels(db, &[variant.id]).await?.remove(&variant.id).unwrap_or_default();
    let level = levels.total;
    let settings = push_settings(&channel, warehouses.chosen);
    let link = product_link::Entity::find()
        .filter(product_link::Column::ChannelId.eq(channel.id))
        .filter(product_link::Column::VariantId.eq(variant.id))
        .filter(product_link::Column::ListingId.is_not_null())
        .order_by_asc(product_link::Column::Id)
        .one(db)
        .await?;
    let listing = match link.as_ref().and_then(|l| l.listing_id) {
        Some(id) => channel_listing::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    // The listing's list price caps the rule's price where the marketplace refuses more (as a push computes it).
    let ceiling = listing
        .as_ref()
        .filter(|_| crate::channels::marketplace(channel.kind).prices.at_most_list_price)
        .and_then(|l| l.list_price_minor);
    let price = price_computation(variant_prices(&variant), &settings, ceiling);
    let sale = rules::sale_to_push(
        variant_prices(&variant),
        &settings,
        price.as_ref().and_then(|c| c.price),
        crate::channels::marketplace(channel.kind).prices.scheduled_sale,
        chrono::Utc::now(),
    );
    let decision = rules::link_decision(
        variant_flags(&variant),
        level,
        &settings,
        link.as_ref().and_then(|l| l.allocated_quantity),
        levels.bundle.is_some(),
        listing.as_ref().is_some_and(|l| l.stock_computed_by_channel),
    );
    let waiting = orders_waiting(db, channel.id).await?;
    let held = match (&link, decision.quantity) {
        (Some(l), Some(q)) => rules::plan_push(Some(q), None, l.last_pushed_quantity, None, waiting).held,
        _ => false,
    };
    let mut summary = rules::explain(&decision, level, &settings, &warehouses.names());
    let components = bundle_components(db, &levels).await?;
    if let Some(sentence) = bundle_sentence(&components, levels.bundle.as_ref().and_then(|b| b.limiting)) {
        summary.push_str(&sentence);
    }
    if held {
        summary.push_str("; held back for now: an order of this channel is waiting to be applied, and until it is, any number but 0 could give back units the channel already sold");
    }
    Ok(Explanation {
        channel,
        variant,
        warehouses,
        levels,
        decision,
        price,
        sale,
        settings,
        link,
        orders_waiting: waiting,
        held,
        summary,
        components,
    })
}

/// A bundle's components with their variants, in component id order (empty for a variant that is not a bundle).
async fn bundle_components(
    db: &DatabaseConnection,
    levels: &StockLevels,
) -> ServiceResult<Vec<(product_variant::Model, BundlePart)>> {
    let Some(bundle) = &levels.bundle else { return Ok(Vec::new()) };
    let variants: HashMap<i64, product_variant::Model> = product_variant::Entity::find()
        .filter(product_variant::Column::Id.is_in(bundle.parts.iter().map(|p| p.variant_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|v| (v.id, v))
        .collect();
    Ok(bundle.parts.iter().filter_map(|p| variants.get(&p.variant_id).map(|v| (v.clone(), *p))).collect())
}

/// "; a bundle: SKU-A limits it (7 available ÷ 2 per bundle = 3)".
fn bundle_sentence(components: &[(product_variant::Model, BundlePart)], limiting: Option<usize>) -> Option<String> {
    let (variant, part) = components.get(limiting?)?;
    let name = variant.sku.clone().unwrap_or_else(|| variant.title.clone());
    Some(format!(
        "; a bundle: its stock is what its components make, and {name} limits it ({} available ÷ {} per bundle = {})",
        part.total.available(),
        part.quantity,
        part.bundles_available()
    ))
}
