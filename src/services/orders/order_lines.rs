//! Order lines against the channel's listings and links: resolving a fetched order's lines to listings and
//! variants, saving them, and finding orders kept for unlinked lines whose products got linked since.

use std::collections::{HashMap, HashSet};

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use entity::enums::{LinkState, OrderStatus};
use entity::{channel_listing, order, order_line, product_link};

use super::ROWS_PER_STATEMENT;
use crate::domain::channel::ChannelOrderLine;
use crate::services::ServiceResult;

/// A line resolved against the channel's listings and links.
#[derive(Debug, Clone, Default)]
pub(super) struct Resolved {
    pub(super) listing_id: Option<i64>,
    pub(super) variant_id: Option<i64>,
    /// The merchant stopped syncing this listing ("ngắt").
    pub(super) stopped: bool,
}

/// Finds each line's listing (by the channel's product and SKU ids, else SKU id, else seller SKU) and its link.
pub(super) async fn resolve_lines<C: ConnectionTrait>(
    db: &C,
    channel_id: i64,
    lines: &[&ChannelOrderLine],
) -> ServiceResult<Vec<Resolved>> {
    let sku_ids: Vec<String> = lines.iter().filter_map(|l| l.external_sku_id.clone()).collect();
    let seller_skus: Vec<String> = lines.iter().filter_map(|l| l.seller_sku.clone()).collect();
    let mut listings: Vec<channel_listing::Model> = Vec::new();
    if !sku_ids.is_empty() {
        listings.extend(
            channel_listing::Entity::find()
                .filter(channel_listing::Column::ChannelId.eq(channel_id))
                .filter(channel_listing::Column::ExternalSkuId.is_in(sku_ids))
                .all(db)
                .await?,
        );
    }
    if !seller_skus.is_empty() {
        listings.extend(
            channel_listing::Entity::find()
                .filter(channel_listing::Column::ChannelId.eq(channel_id))
                .filter(channel_listing::Column::SellerSku.is_in(seller_skus))
                .order_by_asc(channel_listing::Column::Id)
                .all(db)
                .await?,
        );
    }
    let listing_of = |l: &ChannelOrderLine| -> Option<i64> {
        let by_ids = listings.iter().find(|x| {
            l.external_sku_id.as_deref() == Some(x.external_sku_id.as_str())
                && l.external_product_id.as_deref().is_none_or(|p| p == x.external_product_id)
        });
        by_ids
            .or_else(|| {
                l.seller_sku.as_deref().and_then(|s| listings.iter().find(|x| x.seller_sku.as_deref() == Some(s)))
            })
            .map(|x| x.id)
    };
    let listing_ids: Vec<Option<i64>> = lines.iter().map(|l| listing_of(l)).collect();
    let wanted: Vec<i64> = listing_ids.iter().flatten().copied().collect();
    let links: HashMap<i64, product_link::Model> = if wanted.is_empty() {
        HashMap::new()
    } else {
        product_link::Entity::find()
            .filter(product_link::Column::ListingId.is_in(wanted))
            .all(db)
            .await?
            .into_iter()
            .filter_map(|l| l.listing_id.map(|id| (id, l)))
            .collect()
    };
    Ok(listing_ids
        .into_iter()
        .map(|listing_id| {
            let link = listing_id.and_then(|id| links.get(&id));
            let linked = link.filter(|l| matches!(l.state, LinkState::Linked | LinkState::SyncError));
            Resolved {
                listing_id,
                variant_id: linked.and_then(|l| l.variant_id),
                stopped: link.is_some_and(|l| l.state == LinkState::Unlinked),
            }
        })
        .collect())
}

/// Inserts new lines (all in one statement) and updates known ones that changed.
pub(super) async fn save_lines(
    txn: &DatabaseTransaction,
    lines: Vec<order_line::Model>,
    old_lines: &[order_line::Model],
) -> ServiceResult<()> {
    let old: HashMap<i64, &order_line::Model> = old_lines.iter().map(|l| (l.id, l)).collect();
    let mut new_rows = Vec::new();
    for line in lines {
        if line.id == 0 {
            let mut active = order_line::ActiveModel::from(line).reset_all();
            active.id = sea_orm::ActiveValue::NotSet;
            new_rows.push(active);
        } else if old.get(&line.id).is_none_or(|o| **o != line) {
            let active: order_line::ActiveModel = line.into();
            active.reset_all().update(txn).await?;
        }
    }
    for chunk in new_rows.chunks(ROWS_PER_STATEMENT) {
        order_line::Entity::insert_many(chunk.to_vec()).exec_without_returning(txn).await?;
    }
    Ok(())
}

/// Orders of the channel kept with unlinked lines of which some line got linked since (its listing, or a listing
/// with its seller SKU, is linked now; or a manual link already pointed it to a variant): to be re-synced.
pub async fn orders_with_newly_linked_lines(
    db: &DatabaseConnection,
    channel_id: i64,
    limit: u64,
) -> ServiceResult<Vec<String>> {
    let orders: Vec<(i64, String)> = order::Entity::find()
        .select_only()
        .column(order::Column::Id)
        .column(order::Column::ExternalId)
        .filter(order::Column::ChannelId.eq(channel_id))
        .filter(order::Column::HasUnlinkedLines.eq(true))
        // Only orders whose linked lines would take stock (the others' lines already show their variant).
        .filter(order::Column::WarehouseId.is_not_null())
        .filter(order::Column::HubStatus.is_in([
            OrderStatus::Pending,
            OrderStatus::ReadyToShip,
            OrderStatus::InTransit,
            OrderStatus::DeliveryFailed,
            OrderStatus::Delivered,
        ]))
        .order_by_asc(order::Column::Id)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    if orders.is_empty() {
        return Ok(Vec::new());
    }
    let external: HashMap<i64, String> = orders.into_iter().collect();
    let lines = order_line::Entity::find()
        .filter(order_line::Column::OrderId.is_in(external.keys().copied().collect::<Vec<_>>()))
        .filter(order_line::Column::ReservedQuantity.eq(0))
        .filter(order_line::Column::FulfilledQuantity.eq(0))
        .all(db)
        .await?;
    let skus: Vec<String> =
        lines.iter().filter(|l| l.listing_id.is_none()).filter_map(|l| l.seller_sku.clone()).collect();
    let mut listing_of_sku: HashMap<String, i64> = HashMap::new();
    if !skus.is_empty() {
        for l in channel_listing::Entity::find()
            .filter(channel_listing::Column::ChannelId.eq(channel_id))
            .filter(channel_listing::Column::SellerSku.is_in(skus))
            .all(db)
            .await?
        {
            if let Some(s) = l.seller_sku {
                listing_of_sku.entry(s).or_insert(l.id);
            }
        }
    }
    let listing_of = |l: &order_line::Model| {
        l.listing_id.or_else(|| l.seller_sku.as_ref().and_then(|s| listing_of_sku.get(s).copied()))
    };
    let listing_ids: Vec<i64> = lines.iter().filter_map(listing_of).collect();
    let linked: HashSet<i64> = if listing_ids.is_empty() {
        HashSet::new()
    } else {
        product_link::Entity::find()
            .filter(product_link::Column::ListingId.is_in(listing_ids))
            .filter(product_link::Column::State.is_in([LinkState::Linked, LinkState::SyncError]))
            .all(db)
            .await?
            .into_iter()
            .filter_map(|l| l.listing_id)
            .collect()
    };
    let mut out: Vec<String> = lines
        .iter()
        .filter(|l| l.variant_id.is_some() || listing_of(l).is_some_and(|id| linked.contains(&id)))
        .filter_map(|l| external.get(&l.order_id).cloned())
        .collect();
    out.sort();
    out.dedup();
    Ok(out)
}
