//! Reconcile (STOCK_RECONCILE): what the channel shows against what the hub last pushed; drift is a sync error,
//! optionally repaired by a push.

use std::collections::{BTreeSet, HashMap};

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::json;

use entity::{channel, channel_listing, product_link};

use super::record::{record_error, resolve_errors};
use super::{IN_CHUNK, STOCK_DRIFT, now};
use crate::domain::channel::Listing;
use crate::domain::stock_push as rules;
use crate::services::effects::{Committed, Effects};
use crate::services::link_marks::SYNCING;
use crate::services::{ServiceResult, begin_write};

/// Totals of a reconciliation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReconcileReport {
    pub compared: usize,
    pub drifted: usize,
    pub repaired: usize,
}

/// Compares a page of the channel's quantities (just read) with what the hub last pushed to those SKUs, and stores
/// the page. Each difference is a STOCK_DRIFT
/// sync error with both numbers; with `stock_drift_repair`, the link's known channel quantity becomes the one read
/// and the link is marked for a push (which then sends the hub's value, guard permitting). Matching links close
/// their drift errors. Effects: the live events of drift errors raised and cleared.
pub async fn reconcile(
    db: &DatabaseConnection,
    channel: &channel::Model,
    listings: &[Listing],
) -> ServiceResult<Committed<ReconcileReport>> {
    crate::services::linking::store_listings(db, channel.id, listings).await?;
    let by_ids: HashMap<(&str, &str), &Listing> =
        listings.iter().map(|l| ((l.external_product_id.as_str(), l.external_sku_id.as_str()), l)).collect();
    let skus: BTreeSet<&str> = listings.iter().map(|l| l.external_sku_id.as_str()).collect();
    let links = product_link::Entity::find()
        .filter(product_link::Column::ChannelId.eq(channel.id))
        .filter(product_link::Column::State.is_in(SYNCING))
        .filter(product_link::Column::ListingId.is_not_null())
        .find_also_related(channel_listing::Entity)
        .filter(channel_listing::Column::ExternalSkuId.is_in(skus))
        .all(db)
        .await?;
    let mut links = links;
    // Variant order, as stock movements lock links.
    links.sort_by_key(|(l, _)| (l.variant_id, l.id));
    let txn = begin_write(db).await?;
    let at = now();
    let mut report = ReconcileReport::default();
    let mut effects = Effects::none();
    let mut in_sync = Vec::new();
    for (link, stored) in links {
        let Some(stored) = stored else { continue };
        let Some(read) = by_ids.get(&(stored.external_product_id.as_str(), stored.external_sku_id.as_str())) else {
            continue;
        };
        report.compared += 1;
        match rules::drift(read.quantity, link.last_pushed_quantity) {
            None => in_sync.push(link.id),
            Some((on_channel, pushed)) => {
                report.drifted += 1;
                let sku = stored.seller_sku.clone().unwrap_or_else(|| stored.external_sku_id.clone());
                let message = format!("{sku}: the channel shows {on_channel}, the hub last pushed {pushed}");
                let details = json!({ "channelQuantity": on_channel, "pushedQuantity": pushed, "repair": channel.stock_drift_repair });
                let (_, raised) =
                    record_error(&txn, channel.id, &link, STOCK_DRIFT, &message, Some(details), at).await?;
                effects.publish_all(raised);
                if channel.stock_drift_repair {
                    product_link::Entity::update_many()
                        .col_expr(product_link::Column::LastPushedQuantity, Expr::value(on_channel))
                        .col_expr(product_link::Column::PushPending, Expr::value(true))
                        .col_expr(product_link::Column::PushRequestedAt, Expr::value(at))
                        .filter(product_link::Column::Id.eq(link.id))
                        .exec(&txn)
                        .await?;
                    report.repaired += 1;
                }
            }
        }
    }
    for chunk in in_sync.chunks(IN_CHUNK) {
        effects.publish_all(resolve_errors(&txn, chunk, STOCK_DRIFT, at).await?);
    }
    txn.commit().await?;
    Ok(Committed::new(report, effects))
}
