//! The web store's "create missing" (SPEC §2 [Sapo]): which hub products the store lacks (and their drafts to
//! create there), and which store products the hub lacks. The hub products are made by
//! [`create_product_from_listing`](super::create_product_from_listing). After setup, a product pushed by the store
//! (created or edited there) is created or matched again in the hub ([`store_product_changed`]).

use std::collections::{BTreeMap, BTreeSet};

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use entity::enums::LinkState;
use entity::{channel, channel_listing, product, product_link, product_variant};

use super::listings::listings_of_product;
use super::{IN_CHUNK, key_column};
use crate::channels::webstore::{ProductDraft, VariantDraft};
use crate::domain::channel::Listing;
use crate::domain::linking::LinkErrorCode;
use crate::services::effects::{Committed, Effects};
use crate::services::{ServiceError, ServiceResult, catalog};

/// What a store product push did in the hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreProductOutcome {
    /// No hub variant had any of its SKUs: a hub product was made from it, linked.
    Created,
    /// The hub products using its SKUs were matched to it again.
    Matched,
    /// Nothing to do (every SKU removed from sync, or linked already with nothing to match).
    Unchanged,
}

/// A product created or edited on the store (SPEC §2 [Sapo] "after setup"): its listings (already stored) become
/// a hub product, cost = the store's retail price, when no hub variant has any of its SKUs; otherwise the hub
/// products using them are matched again, so an edit that changes its option count is reported
/// (OPTION_MISMATCH) as at link time.
pub async fn store_product_changed(
    db: &DatabaseConnection,
    hub_currency: &str,
    channel: &channel::Model,
    pushed: &[Listing],
) -> ServiceResult<Committed<StoreProductOutcome>> {
    let Some(first) = pushed.first() else {
        return Ok(Committed::new(StoreProductOutcome::Unchanged, Effects::none()));
    };
    let listings = listings_of_product(db, channel.id, &first.external_product_id).await?;
    let codes: Vec<String> = listings.iter().filter_map(|l| l.seller_sku.clone()).collect();
    let col = key_column(channel.match_key);
    let mut owners: BTreeSet<i64> = BTreeSet::new();
    for chunk in codes.chunks(IN_CHUNK) {
        let found: Vec<i64> = product_variant::Entity::find()
            .select_only()
            .column(product_variant::Column::ProductId)
            .filter(col.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        owners.extend(found);
    }
    let linked_products: BTreeSet<i64> = product_link::Entity::find()
        .filter(product_link::Column::ListingId.is_in(listings.iter().map(|l| l.id).collect::<Vec<_>>()))
        .filter(product_link::Column::State.ne(LinkState::Unlinked))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|l| l.product_id)
        .collect();
    owners.extend(linked_products);
    if owners.is_empty() {
        let Some(source) = listings.iter().find(|l| !l.link_excluded) else {
            return Ok(Committed::new(StoreProductOutcome::Unchanged, Effects::none()));
        };
        let created = super::create_product_from_listing(db, hub_currency, source.id, true).await?;
        let (_, effects) = created.into_parts();
        return Ok(Committed::new(StoreProductOutcome::Created, effects));
    }
    let products: Vec<i64> = owners.into_iter().collect();
    let (_, effects) = super::link_batch(db, channel, &products, &BTreeSet::new()).await?.into_parts();
    Ok(Committed::new(StoreProductOutcome::Matched, effects))
}

/// Refusals of a pushed product that cannot become a hub product, as one line for the log.
pub fn refusal_text(error: &ServiceError) -> String {
    match error {
        ServiceError::Rejected(errors) => errors.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join("; "),
        ServiceError::Unexpected(err) => format!("{err:#}"),
    }
}

/// Hub products of `product_ids` that the channel lacks entirely: every variant's link error is
/// NOT_FOUND_ON_CHANNEL (the web store's "create missing" makes them there).
pub async fn products_missing_on_channel(
    db: &DatabaseConnection,
    channel_id: i64,
    product_ids: &[i64],
) -> ServiceResult<Vec<i64>> {
    let mut missing = Vec::new();
    for chunk in product_ids.chunks(IN_CHUNK) {
        let variants: Vec<(i64, i64)> = product_variant::Entity::find()
            .select_only()
            .column(product_variant::Column::Id)
            .column(product_variant::Column::ProductId)
            .filter(product_variant::Column::ProductId.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        let not_found: BTreeSet<i64> = product_link::Entity::find()
            .filter(product_link::Column::ChannelId.eq(channel_id))
            .filter(product_link::Column::ProductId.is_in(chunk.to_vec()))
            .filter(product_link::Column::ErrorCode.eq(LinkErrorCode::NotFoundOnChannel.as_str()))
            .all(db)
            .await?
            .into_iter()
            .filter_map(|l| l.variant_id)
            .collect();
        let mut by_product: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
        for (variant, product) in variants {
            by_product.entry(product).or_default().push(variant);
        }
        missing
            .extend(by_product.into_iter().filter(|(_, vs)| vs.iter().all(|v| not_found.contains(v))).map(|(p, _)| p));
    }
    Ok(missing)
}

/// The channel's products none of whose SKUs is linked or known to the hub (by SKU): the web store's products
/// that "create missing" brings into the hub. One listing id per channel product.
pub async fn listing_products_unknown_to_hub(db: &DatabaseConnection, channel_id: i64) -> ServiceResult<Vec<i64>> {
    let listings = channel_listing::Entity::find()
        .filter(channel_listing::Column::ChannelId.eq(channel_id))
        .filter(channel_listing::Column::LinkExcluded.eq(false))
        .order_by_asc(channel_listing::Column::Id)
        .all(db)
        .await?;
    let codes: BTreeSet<String> = listings.iter().filter_map(|l| l.seller_sku.clone()).collect();
    let mut known: BTreeSet<String> = BTreeSet::new();
    let codes: Vec<String> = codes.into_iter().collect();
    for chunk in codes.chunks(IN_CHUNK) {
        let found: Vec<Option<String>> = product_variant::Entity::find()
            .select_only()
            .column(product_variant::Column::Sku)
            .filter(product_variant::Column::Sku.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        known.extend(found.into_iter().flatten());
    }
    let linked: BTreeSet<i64> = product_link::Entity::find()
        .filter(product_link::Column::ChannelId.eq(channel_id))
        .filter(product_link::Column::ListingId.is_not_null())
        .all(db)
        .await?
        .into_iter()
        .filter_map(|l| l.listing_id)
        .collect();
    let mut groups: BTreeMap<String, Vec<&channel_listing::Model>> = BTreeMap::new();
    for l in &listings {
        groups.entry(l.external_product_id.clone()).or_default().push(l);
    }
    Ok(groups
        .into_values()
        .filter(|g| {
            g.iter().all(|l| !linked.contains(&l.id) && l.seller_sku.as_ref().is_some_and(|s| !known.contains(s)))
        })
        .filter_map(|g| g.first().map(|l| l.id))
        .collect())
}

/// The hub product as a web store draft (SKUs, prices in the channel's minor units, options); `None` when a
/// variant has no SKU (it cannot be matched back).
pub async fn draft_for_channel(db: &DatabaseConnection, product_id: i64) -> ServiceResult<Option<ProductDraft>> {
    let Some(p) = product::Entity::find_by_id(product_id).one(db).await? else { return Ok(None) };
    let variants = product_variant::Entity::find()
        .filter(product_variant::Column::ProductId.eq(product_id))
        .order_by_asc(product_variant::Column::Position)
        .all(db)
        .await?;
    let mut drafts = Vec::with_capacity(variants.len());
    for v in &variants {
        let Some(sku) = v.sku.clone() else { return Ok(None) };
        drafts.push(VariantDraft {
            seller_sku: sku,
            price_minor: v.price_minor,
            list_price_minor: v.list_price_minor,
            // Stock follows with the first push (the new links are push-pending).
            quantity: 0,
            options: catalog::stored_options(v).into_iter().map(|o| (o.name, o.value)).collect(),
        });
    }
    Ok(Some(ProductDraft { title: p.title, variants: drafts }))
}
