//! Allocation (`domain::allocation`) kept by the writes that move stock: in an allocating warehouse (always, or
//! for a variant whose available units there fell to its low-stock threshold) each channel selling from that
//! warehouse alone holds a share of the variant's units in `product_links.allocated_quantity`, and is pushed its
//! share instead of the shared number.
//!
//! - A movement (`on_levels_changed`, in its transaction, with the level locked by it) first takes each
//!   channel's own sales off its share and off what the hub knows the channel shows (`last_pushed_quantity`: the
//!   marketplace lowered its listing itself, so nothing is pushed for them and no unseen sale is handed back),
//!   then re-splits; a link whose share changed is marked for a push.
//! - The scheduler's tick (`rebalance`) re-splits what can move without a movement: links that have no share yet
//!   (allocation just turned on, a new link) and sold-out shares (a quiet channel's units may go to them).
//! - A warehouse that stops allocating always ends its shares (`end_shares`).

use std::collections::{BTreeSet, HashMap};

use sea_orm::sea_query::{Expr, LockType};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use entity::enums::{ChannelStatus, LinkState};
use entity::{channel, inventory_level, product_link, product_variant, warehouse};

use super::{LevelMove, SYNCING};
use crate::domain::allocation::{Holder, split};
use crate::domain::inventory::Quantities;
use crate::services::warehouses::SoleStockWarehouse;
use crate::services::{IN_CHUNK, ServiceResult, begin_write};

/// How long a channel must go without a sale of a variant seen and without a push of it (and with no order of it
/// waiting) before its share may change: longer than an order push takes to arrive and than the default order
/// poll (60 s), so that a sale the hub has not seen yet is unlikely to be handed back by the push that changes
/// the share. A push counts because a channel the hub has never seen sell may have sold since it was given its
/// share.
pub fn quiet_after() -> chrono::Duration {
    chrono::Duration::minutes(2)
}

/// How long after turning quiet a share is still looked at by `rebalance` (its free units may go to it, its
/// excess may be freed) without a movement.
fn newly_quiet_for() -> chrono::Duration {
    chrono::Duration::minutes(5)
}

/// When the hub last saw the channel sell the variant or pushed it (what quietness is measured from).
fn last_activity(link: &product_link::Model) -> Option<chrono::DateTime<chrono::Utc>> {
    link.last_sold_at.max(link.last_pushed_at)
}

/// Most (variant, warehouse) pairs one `rebalance` looks at.
const REBALANCE_LIMIT: u64 = 1_000;

/// Whether the variant's units in `warehouse` are split between channels now.
pub fn allocating(variant: &product_variant::Model, warehouse: &warehouse::Model, level: Quantities) -> bool {
    let threshold = variant.low_stock_threshold.or(warehouse.low_stock_threshold);
    warehouse.stock_allocation || threshold.is_some_and(|t| level.available() <= t)
}

/// Called by `link_marks::on_levels_changed` with the moved levels, in the movement's transaction;
/// `variants_with_shares`: the moved variants some link of which holds a share (read there already). A move of a
/// variant with no share in a warehouse that does not allocate it costs nothing more.
pub(super) async fn on_levels_changed(
    txn: &DatabaseTransaction,
    moves: &[LevelMove<'_>],
    variants_with_shares: &BTreeSet<i64>,
) -> ServiceResult<()> {
    let warehouse_ids: Vec<i64> = moves.iter().map(|m| m.warehouse_id).collect::<BTreeSet<_>>().into_iter().collect();
    let warehouses: HashMap<i64, warehouse::Model> = warehouse::Entity::find()
        .filter(warehouse::Column::Id.is_in(warehouse_ids))
        .all(txn)
        .await?
        .into_iter()
        .map(|w| (w.id, w))
        .collect();
    for m in moves {
        let Some(warehouse) = warehouses.get(&m.warehouse_id) else { continue };
        if variants_with_shares.contains(&m.variant.id) || allocating(m.variant, warehouse, m.after) {
            resplit(txn, m.variant, warehouse, m.after, &m.sold).await?;
        }
    }
    Ok(())
}

/// A channel holding (or due) a share of the variant in the warehouse.
struct Member {
    link: product_link::Model,
    weight: u32,
    quiet: bool,
}

/// The variant's syncing links on connected channels that sell from `warehouse` alone (a channel reading several
/// warehouses keeps the shared rule), with their weights and whether each is quiet.
async fn members<C: ConnectionTrait>(
    db: &C,
    variant_id: i64,
    warehouse: &warehouse::Model,
    at: chrono::DateTime<chrono::Utc>,
) -> ServiceResult<Vec<Member>> {
    let links = product_link::Entity::find()
        .filter(product_link::Column::VariantId.eq(variant_id))
        .filter(product_link::Column::State.is_in(SYNCING))
        .filter(product_link::Column::ListingId.is_not_null())
        // Written in id order, like every writer of links (no lock cycle with a push's record).
        .order_by_asc(product_link::Column::Id)
        .find_also_related(channel::Entity)
        .all(db)
        .await?;
    let channel_ids: Vec<i64> = links.iter().map(|(l, _)| l.channel_id).collect::<BTreeSet<_>>().into_iter().collect();
    let chosen = crate::services::warehouses::chosen_stock_warehouses(db, &channel_ids).await?;
    let mut out = Vec::new();
    for (link, channel) in links {
        let Some(channel) = channel.filter(|c| c.status == ChannelStatus::Connected) else { continue };
        if !SoleStockWarehouse::of(chosen.get(&channel.id)).is(warehouse) {
            continue;
        }
        let quiet = last_activity(&link).is_none_or(|last| last <= at - quiet_after())
            && !super::orders_waiting(db, channel.id).await?;
        out.push(Member { link, weight: u32::try_from(channel.allocation_weight).unwrap_or(0), quiet });
    }
    Ok(out)
}

/// Takes each member's own sales (`sold`: channel → units its orders reserved now) off its share and off what the
/// hub knows it shows, then re-splits the variant's units in the warehouse (or ends the shares where it no longer
/// allocates). Returns whether a share changed (those links are marked for a push).
async fn resplit(
    txn: &DatabaseTransaction,
    variant: &product_variant::Model,
    warehouse: &warehouse::Model,
    level: Quantities,
    sold: &[(i64, i64)],
) -> ServiceResult<bool> {
    let at = chrono::Utc::now();
    let mut members = members(txn, variant.id, warehouse, at).await?;
    let mut sold_now: HashMap<i64, i64> = HashMap::new();
    for (channel_id, units) in sold.iter().filter(|(_, units)| *units > 0) {
        if let Some(m) = members.iter_mut().find(|m| m.link.channel_id == *channel_id) {
            sold_now.insert(m.link.id, *units);
            m.quiet = false;
        }
    }
    // What each holds after its own sales.
    let held: Vec<Option<i64>> = members
        .iter()
        .map(|m| m.link.allocated_quantity.map(|h| (h - sold_now.get(&m.link.id).copied().unwrap_or(0)).max(0)))
        .collect();
    let shares: Vec<Option<i64>> = if allocating(variant, warehouse, level) {
        let holders: Vec<Holder> = members
            .iter()
            .zip(&held)
            .map(|(m, held)| Holder { weight: m.weight, held: *held, quiet: m.quiet })
            .collect();
        split(level.available(), &holders).into_iter().map(Some).collect()
    } else {
        vec![None; members.len()]
    };
    let mut changed = false;
    for ((m, held), share) in members.iter().zip(&held).zip(&shares) {
        let sold = sold_now.get(&m.link.id).copied().unwrap_or(0);
        let moved = held != share;
        if sold == 0 && !moved {
            continue;
        }
        let mut update = product_link::Entity::update_many()
            .col_expr(product_link::Column::AllocatedQuantity, Expr::value(*share))
            .col_expr(product_link::Column::UpdatedAt, Expr::value(at));
        if sold > 0 {
            update = update.col_expr(product_link::Column::LastSoldAt, Expr::value(at));
            // The channel's listing went down by its own sale: so does what the hub knows it shows, and pushing
            // the lower share is then no change (a push would hand back sales the hub has not seen yet).
            if m.link.allocated_quantity.is_some()
                && let Some(shown) = m.link.last_pushed_quantity
            {
                update = update.col_expr(product_link::Column::LastPushedQuantity, Expr::value((shown - sold).max(0)));
            }
        }
        if moved {
            changed = true;
            update = update
                .col_expr(product_link::Column::PushPending, Expr::value(true))
                .col_expr(product_link::Column::PushRequestedAt, Expr::value(at))
                .col_expr(product_link::Column::PushSellsOut, Expr::value(*share == Some(0)));
        }
        update.filter(product_link::Column::Id.eq(m.link.id)).exec(txn).await?;
    }
    Ok(changed)
}

/// Re-splits what may move without a stock movement (see the module doc), one (variant, warehouse) per
/// transaction with its level locked first, as movements lock it. Returns how many changed a share (their links
/// are due for a push).
pub async fn rebalance(db: &DatabaseConnection) -> ServiceResult<usize> {
    let mut changed = 0;
    for (variant_id, warehouse_id) in rebalance_candidates(db).await? {
        let txn = begin_write(db).await?;
        let level = inventory_level::Entity::find()
            .filter(inventory_level::Column::VariantId.eq(variant_id))
            .filter(inventory_level::Column::WarehouseId.eq(warehouse_id))
            .lock(LockType::Update)
            .one(&txn)
            .await?;
        let variant = product_variant::Entity::find_by_id(variant_id).one(&txn).await?;
        let warehouse = warehouse::Entity::find_by_id(warehouse_id).one(&txn).await?;
        let (Some(variant), Some(warehouse)) = (variant, warehouse) else {
            txn.commit().await?;
            continue;
        };
        let quantities = level
            .map(|l| Quantities { on_hand: l.on_hand, committed: l.committed, pending_export: l.pending_export })
            .unwrap_or_default();
        if resplit(&txn, &variant, &warehouse, quantities, &[]).await? {
            changed += 1;
        }
        txn.commit().await?;
    }
    Ok(changed)
}

/// (variant, warehouse) pairs whose shares may move without a movement: links with no share yet on channels
/// selling from an allocating warehouse alone, sold-out shares (a quiet channel's excess may go to them), and
/// shares that turned quiet lately (free units may go to them, their excess may be freed).
async fn rebalance_candidates(db: &DatabaseConnection) -> ServiceResult<Vec<(i64, i64)>> {
    let warehouses = warehouse::Entity::find().all(db).await?;
    let default_id = warehouses.iter().find(|w| w.is_default).map(|w| w.id);
    let allocating: BTreeSet<i64> = warehouses.iter().filter(|w| w.stock_allocation).map(|w| w.id).collect();
    let channel_ids: Vec<i64> = channel::Entity::find()
        .select_only()
        .column(channel::Column::Id)
        .filter(channel::Column::Status.eq(ChannelStatus::Connected))
        .into_tuple()
        .all(db)
        .await?;
    let mut chosen = HashMap::new();
    for chunk in channel_ids.chunks(IN_CHUNK) {
        chosen.extend(crate::services::warehouses::chosen_stock_warehouses(db, chunk).await?);
    }
    // The one warehouse each channel sells from (none where it reads several).
    let sells_from: HashMap<i64, i64> =
        channel_ids.iter().filter_map(|c| Some((*c, SoleStockWarehouse::of(chosen.get(c)).id(default_id?)?))).collect();
    let in_allocation: Vec<i64> = sells_from.iter().filter(|(_, w)| allocating.contains(w)).map(|(c, _)| *c).collect();
    let syncing = || {
        product_link::Entity::find()
            .filter(product_link::Column::State.is_in([LinkState::Linked, LinkState::SyncError]))
            .filter(product_link::Column::VariantId.is_not_null())
            .filter(product_link::Column::ListingId.is_not_null())
            .limit(REBALANCE_LIMIT)
    };
    let mut links = Vec::new();
    for chunk in in_allocation.chunks(IN_CHUNK) {
        links.extend(
            syncing()
                .filter(product_link::Column::ChannelId.is_in(chunk.to_vec()))
                .filter(product_link::Column::AllocatedQuantity.is_null())
                .all(db)
                .await?,
        );
    }
    links.extend(syncing().filter(product_link::Column::AllocatedQuantity.eq(0)).all(db).await?);
    let (quiet_since, window_start) =
        (chrono::Utc::now() - quiet_after(), chrono::Utc::now() - quiet_after() - newly_quiet_for());
    let in_window = |column: product_link::Column| {
        sea_orm::Condition::all().add(column.gt(window_start)).add(column.lte(quiet_since))
    };
    let lately: Vec<product_link::Model> = syncing()
        .filter(product_link::Column::AllocatedQuantity.gt(0))
        .filter(
            sea_orm::Condition::any()
                .add(in_window(product_link::Column::LastSoldAt))
                .add(in_window(product_link::Column::LastPushedAt)),
        )
        .all(db)
        .await?;
    links.extend(
        lately.into_iter().filter(|l| last_activity(l).is_some_and(|last| last > window_start && last <= quiet_since)),
    );
    let pairs: BTreeSet<(i64, i64)> =
        links.iter().filter_map(|l| Some((l.variant_id?, *sells_from.get(&l.channel_id)?))).collect();
    Ok(pairs.into_iter().take(REBALANCE_LIMIT as usize).collect())
}

/// The warehouse stopped allocating always: the shares of the channels selling from it end (their links are
/// pushed the shared number; a variant below its low-stock threshold splits again at its next movement).
pub async fn end_shares<C: ConnectionTrait>(db: &C, warehouse: &warehouse::Model) -> ServiceResult<u64> {
    let at = chrono::Utc::now();
    let mut ended = 0;
    let channel_ids: Vec<i64> =
        channel::Entity::find().select_only().column(channel::Column::Id).into_tuple().all(db).await?;
    let chosen = crate::services::warehouses::chosen_stock_warehouses(db, &channel_ids).await?;
    let selling: Vec<i64> =
        channel_ids.into_iter().filter(|c| SoleStockWarehouse::of(chosen.get(c)).is(warehouse)).collect();
    for chunk in selling.chunks(IN_CHUNK) {
        ended += product_link::Entity::update_many()
            .col_expr(product_link::Column::AllocatedQuantity, Expr::value(Option::<i64>::None))
            .col_expr(product_link::Column::PushPending, Expr::value(true))
            .col_expr(product_link::Column::PushRequestedAt, Expr::value(at))
            .col_expr(product_link::Column::PushSellsOut, Expr::value(false))
            .filter(product_link::Column::ChannelId.is_in(chunk.to_vec()))
            .filter(product_link::Column::AllocatedQuantity.is_not_null())
            .exec(db)
            .await?
            .rows_affected;
    }
    Ok(ended)
}
