//! The matching of one batch of products on a channel: load their variants, the catalog products sharing their
//! keys and the channel's listings carrying them, decide each variant (`domain::linking`), write the outcome.

use std::collections::{BTreeSet, HashMap};

use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use entity::enums::{LinkState, MatchKey};
use entity::{channel, channel_listing, product, product_link, product_variant};

use super::listings::listing_options;
use super::{IN_CHUNK, key_column, writes};
use crate::domain::events::{ActivityKind, HubEvent};
use crate::domain::linking::{self, Decision, HubVariant, ListingSku, MatchContext};
use crate::services::effects::{Committed, Effects};
use crate::services::{ServiceResult, catalog, channels};

/// What one batch did: products fully linked or not, variants linked or not (products without variants are in
/// neither).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkCounts {
    pub products_linked: i64,
    pub products_failed: i64,
    pub variants_linked: i64,
    pub variants_failed: i64,
}

/// Matches the variants of `product_ids` against the channel's stored listings and writes the outcome in one
/// transaction. Re-running it converges to the same rows. Listings the merchant unlinked stay unlinked unless
/// they are in `relink` (the links a relink names). Effects: a `LinkResult` activity, the sync errors opened and
/// resolved, and the first push of new links.
pub async fn link_batch(
    db: &DatabaseConnection,
    channel: &channel::Model,
    product_ids: &[i64],
    relink: &BTreeSet<i64>,
) -> ServiceResult<Committed<LinkCounts>> {
    let variants = hub_variants(db, product_ids).await?;
    let decisions = decide(db, channel, &variants, relink).await?;
    let (counts, sync_error_events) = writes::apply_decisions(db, channel.id, &variants, &decisions).await?;
    let mut effects = Effects::none();
    effects.publish_all(sync_error_events);
    effects.publish(HubEvent::ChannelActivity {
        channel_id: channel.id,
        kind: ActivityKind::LinkResult,
        sku: None,
        value: Some(counts.variants_linked),
        ok: counts.variants_failed == 0,
        message: format!("{} variants linked, {} not linked", counts.variants_linked, counts.variants_failed),
        sync_error_id: None,
    });
    if counts.variants_linked > 0 {
        // New links are push-pending: their first push goes out.
        effects.pushes_became_due();
    }
    Ok(Committed::new(counts, effects))
}

/// The variants of `product_ids`, as matching sees them.
pub async fn hub_variants<C: ConnectionTrait>(db: &C, product_ids: &[i64]) -> ServiceResult<Vec<HubVariant>> {
    let mut out = Vec::new();
    for ids in product_ids.chunks(IN_CHUNK) {
        let titles: HashMap<i64, String> = product::Entity::find()
            .filter(product::Column::Id.is_in(ids.to_vec()))
            .all(db)
            .await?
            .into_iter()
            .map(|p| (p.id, p.title))
            .collect();
        let variants = product_variant::Entity::find()
            .filter(product_variant::Column::ProductId.is_in(ids.to_vec()))
            .order_by_asc(product_variant::Column::ProductId)
            .order_by_asc(product_variant::Column::Position)
            .all(db)
            .await?;
        out.extend(
            variants.into_iter().map(|v| to_hub_variant(&v, titles.get(&v.product_id).cloned().unwrap_or_default())),
        );
    }
    Ok(out)
}

pub(super) fn to_hub_variant(v: &product_variant::Model, product_title: String) -> HubVariant {
    HubVariant {
        id: v.id,
        product_id: v.product_id,
        product_title,
        title: v.title.clone(),
        sku: v.sku.clone(),
        barcode: v.barcode.clone(),
        options: catalog::stored_options(v).into_iter().map(|o| (o.name, o.value)).collect(),
        price_minor: v.price_minor,
    }
}

/// Matching decisions for `variants` against the channel's stored listings (no writes: also the preview).
/// Listings whose link the merchant unlinked are kept unlinked, except those in `relink`.
pub async fn decide(
    db: &DatabaseConnection,
    channel: &channel::Model,
    variants: &[HubVariant],
    relink: &BTreeSet<i64>,
) -> ServiceResult<Vec<Decision>> {
    let keys: BTreeSet<String> = variants.iter().filter_map(|v| v.key(channel.match_key).map(str::to_owned)).collect();
    let owners = key_owners(db, channel.match_key, &keys).await?;
    let stored = listings_with_keys(db, channel.id, &keys).await?;
    let unlinked = unlinked_listings(db, &stored.iter().map(|l| l.id).collect::<Vec<_>>()).await?;
    let listings: Vec<ListingSku> = stored
        .iter()
        .map(|l| {
            let mut sku = to_listing_sku(l);
            sku.unlinked = unlinked.contains(&l.id) && !relink.contains(&l.id);
            sku
        })
        .collect();
    let ctx = MatchContext {
        key: channel.match_key,
        key_owners: &owners,
        // The marketplace's own rule (only those refusing such a price), and only when prices are pushed.
        check_price: channel.sync_price && crate::channels::marketplace(channel.kind).prices.at_most_list_price,
        currency: channels::currency(channel),
        unique_listing_keys: crate::channels::marketplace(channel.kind).unique_seller_skus,
    };
    Ok(linking::match_variants(variants, &listings, &ctx))
}

/// Every product using each key value, across the whole catalog (conflicts are catalog-wide).
async fn key_owners<C: ConnectionTrait>(
    db: &C,
    key: MatchKey,
    keys: &BTreeSet<String>,
) -> ServiceResult<HashMap<String, Vec<(i64, String)>>> {
    let col = key_column(key);
    let mut owners: HashMap<String, Vec<(i64, String)>> = HashMap::new();
    let keys: Vec<String> = keys.iter().cloned().collect();
    for chunk in keys.chunks(IN_CHUNK) {
        let rows: Vec<(Option<String>, i64)> = product_variant::Entity::find()
            .select_only()
            .column(col)
            .column(product_variant::Column::ProductId)
            .filter(col.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        let product_ids: Vec<i64> = rows.iter().map(|(_, p)| *p).collect();
        let titles: HashMap<i64, String> = product::Entity::find()
            .filter(product::Column::Id.is_in(product_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|p| (p.id, p.title))
            .collect();
        for (k, product_id) in rows {
            let Some(k) = k else { continue };
            let entry = owners.entry(k).or_default();
            if !entry.iter().any(|(p, _)| *p == product_id) {
                entry.push((product_id, titles.get(&product_id).cloned().unwrap_or_default()));
            }
        }
    }
    Ok(owners)
}

/// The channel's stored listings carrying any of `keys` as seller SKU.
async fn listings_with_keys<C: ConnectionTrait>(
    db: &C,
    channel_id: i64,
    keys: &BTreeSet<String>,
) -> ServiceResult<Vec<channel_listing::Model>> {
    let keys: Vec<String> = keys.iter().cloned().collect();
    let mut out = Vec::new();
    for chunk in keys.chunks(IN_CHUNK) {
        out.extend(
            channel_listing::Entity::find()
                .filter(channel_listing::Column::ChannelId.eq(channel_id))
                .filter(channel_listing::Column::SellerSku.is_in(chunk.to_vec()))
                .all(db)
                .await?,
        );
    }
    Ok(out)
}

/// Which of `listing_ids` carry a link the merchant unlinked.
async fn unlinked_listings<C: ConnectionTrait>(db: &C, listing_ids: &[i64]) -> ServiceResult<BTreeSet<i64>> {
    let mut out = BTreeSet::new();
    for chunk in listing_ids.chunks(IN_CHUNK) {
        let ids: Vec<Option<i64>> = product_link::Entity::find()
            .select_only()
            .column(product_link::Column::ListingId)
            .filter(product_link::Column::ListingId.is_in(chunk.to_vec()))
            .filter(product_link::Column::State.eq(LinkState::Unlinked))
            .into_tuple()
            .all(db)
            .await?;
        out.extend(ids.into_iter().flatten());
    }
    Ok(out)
}

fn to_listing_sku(l: &channel_listing::Model) -> ListingSku {
    // Messages name the listing as the merchant sees it on the channel: product and variant.
    let title = match l.variant_title.as_deref().filter(|t| !t.trim().is_empty()) {
        Some(variant) => format!("{} / {variant}", l.title),
        None => l.title.clone(),
    };
    ListingSku {
        listing_id: l.id,
        seller_sku: l.seller_sku.clone(),
        title,
        options: listing_options(l),
        list_price_minor: l.list_price_minor,
        excluded: l.link_excluded,
        unlinked: false,
    }
}
