//! Marks other flows leave on product links, inside their own writes:
//! - push marking (SPEC §3, step 1 of "A stock push"): what a link's push depends on (the channel's push settings,
//!   the variant's flags and prices) and the marking of links push-pending, due now, when one of those changes.
//!   Stock movements, variant updates and channel settings changes call it; the push flow
//!   (`services::stock_push`) then collects what is due;
//! - a hub variant's deletion (`variant_deleted`): its links report VARIANT_DELETED;
//! - the release of pushes the stale-push guard held, once the channel's waiting orders are applied.
//!
//! It sits below inventory, the catalog, channels, linking and the push flow, so none of them imports another to
//! mark a link (the service modules form no cycle: `services::tests`).

pub mod allocation;
mod variant_deleted;

pub use variant_deleted::mark_variants_deleted;

use std::collections::BTreeSet;

use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use entity::enums::LinkState;
use entity::{channel, product_link, product_variant, webhook_event};

use super::IN_CHUNK;
use super::ServiceResult;
use crate::domain::inventory::Quantities;
use crate::domain::price_rules::{PriceRule, Rounding, ScheduledSale};
use crate::domain::stock_push::{
    PushSettings, SafetyStock, VariantFlags, VariantPrices, change_sells_out, level_move_matters,
};

/// Links in these states push.
pub(super) const SYNCING: [LinkState; 2] = [LinkState::Linked, LinkState::SyncError];

/// The channel's push settings; `warehouse_chosen`: it chose its stock warehouses (`warehouses::stock_warehouses`).
pub fn push_settings(channel: &channel::Model, warehouse_chosen: bool) -> PushSettings {
    PushSettings {
        sync_quantity: channel.sync_quantity,
        sync_price: channel.sync_price,
        warehouse_chosen,
        oversell_policy: channel.oversell_policy,
        oversell_quantity: channel.oversell_quantity,
        price_policy: channel.price_policy,
        safety_stock: SafetyStock { units: channel.safety_stock_units, percent: channel.safety_stock_percent },
        price_rule: price_rule(channel),
    }
}

/// The channel's price rule, from its columns (a rounding step wins over an ending; the settings never store both).
pub fn price_rule(channel: &channel::Model) -> PriceRule {
    let rounding = match (channel.price_round_to_minor, channel.price_round_up_to_ending_minor) {
        (Some(step), _) => Rounding::NearestMultiple { step },
        (None, Some(ending)) => Rounding::UpToEnding { ending },
        (None, None) => Rounding::None,
    };
    PriceRule {
        adjust_basis_points: channel.price_adjust_basis_points,
        adjust_amount: channel.price_adjust_amount_minor,
        rounding,
    }
}

pub fn variant_flags(v: &product_variant::Model) -> VariantFlags {
    VariantFlags {
        track_inventory: v.track_inventory,
        allow_oversell: v.allow_oversell,
        safety_stock_units: v.safety_stock_units,
    }
}

pub fn variant_prices(v: &product_variant::Model) -> VariantPrices {
    let sale = match (v.sale_price_minor, v.sale_starts_at, v.sale_ends_at) {
        (Some(price), Some(starts_at), Some(ends_at)) => Some(ScheduledSale { price, starts_at, ends_at }),
        _ => None,
    };
    VariantPrices { price: v.price_minor, list_price: v.list_price_minor, cost_price: v.cost_price_minor, sale }
}

/// Marks links push-pending (and due now). `sells_out`: whether the change leaves the channel's quantity at 0
/// (such links are collected first); `None` where the change does not say (a price, a setting): a pending link
/// keeps what its earlier change said.
async fn mark<C: ConnectionTrait>(db: &C, condition: Condition, sells_out: Option<bool>) -> ServiceResult<u64> {
    let at = chrono::Utc::now();
    let sells_out: sea_orm::sea_query::SimpleExpr = match sells_out {
        Some(value) => Expr::value(value),
        // SET expressions read the row as it was, so this is the flag of a link that was already pending.
        None => Expr::case(product_link::Column::PushPending.eq(true), Expr::col(product_link::Column::PushSellsOut))
            .finally(Expr::value(false))
            .into(),
    };
    let result = product_link::Entity::update_many()
        .col_expr(product_link::Column::PushPending, Expr::value(true))
        .col_expr(product_link::Column::PushRequestedAt, Expr::value(at))
        .col_expr(product_link::Column::PushSellsOut, sells_out)
        .filter(product_link::Column::State.is_in(SYNCING))
        .filter(condition)
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// The channel's waiting order events were answered: the pushes the stale-push guard held are due now, not at
/// their recheck time (the caller's effects kick the push). Called in the transaction that answers them.
pub async fn release_held_pushes<C: ConnectionTrait>(db: &C, channel_id: i64) -> ServiceResult<()> {
    let at = chrono::Utc::now();
    product_link::Entity::update_many()
        .col_expr(product_link::Column::PushRequestedAt, Expr::value(at))
        .filter(product_link::Column::ChannelId.eq(channel_id))
        .filter(product_link::Column::PushPending.eq(true))
        .filter(product_link::Column::PushRequestedAt.gt(at))
        .filter(product_link::Column::State.is_in(SYNCING))
        .exec(db)
        .await?;
    Ok(())
}

/// A level written by a stock movement: what it was before the transaction's movements and after them.
pub struct LevelMove<'a> {
    pub variant: &'a product_variant::Model,
    pub warehouse_id: i64,
    pub before: Quantities,
    pub after: Quantities,
    /// Units reserved here by each channel's orders (channel id, units): sales its listing already shows.
    pub sold: Vec<(i64, i64)>,
}

/// Whether an order event of the channel is still waiting to be imported (`webhook_events.processed_at` NULL):
/// the channel has sold units the hub has not counted yet.
pub async fn orders_waiting<C: ConnectionTrait>(db: &C, channel_id: i64) -> ServiceResult<bool> {
    Ok(webhook_event::Entity::find()
        .filter(webhook_event::Column::ChannelId.eq(channel_id))
        .filter(webhook_event::Column::ProcessedAt.is_null())
        .one(db)
        .await?
        .is_some())
}

/// Called by `inventory::LevelBook::flush` inside its transaction, after the levels were written: marks the links
/// whose pushed quantity may change with these moves (the level is one of the channel's stock warehouses and the
/// rule gives another number, `domain::stock_push::level_move_matters`).
pub async fn on_levels_changed(txn: &DatabaseTransaction, moves: &[LevelMove<'_>]) -> ServiceResult<()> {
    if moves.is_empty() {
        return Ok(());
    }
    // The links to mark, split by whether the change leaves the channel's quantity at 0.
    let (mut ids, mut sell_out_ids) = (Vec::new(), Vec::new());
    let mut variants_with_shares = BTreeSet::new();
    let mut default_id = None;
    let moved_ids: BTreeSet<i64> = moves.iter().map(|m| m.variant.id).collect();
    // Bundles made of a moved variant show another number too: their links are marked with the variant's.
    let bundles = super::bundles::bundles_containing(txn, moved_ids.iter().copied()).await?;
    let bundle_variants: std::collections::HashMap<i64, product_variant::Model> = if bundles.is_empty() {
        Default::default()
    } else {
        product_variant::Entity::find()
            .filter(product_variant::Column::Id.is_in(bundles.keys().copied()))
            .all(txn)
            .await?
            .into_iter()
            .map(|v| (v.id, v))
            .collect()
    };
    let variant_ids: Vec<i64> =
        moved_ids.iter().copied().chain(bundles.keys().copied()).collect::<BTreeSet<i64>>().into_iter().collect();
    for chunk in variant_ids.chunks(IN_CHUNK) {
        // Locked first, in id order, before any of them is written (marks, shares): a push's record updates its
        // links in id order too, so the two never wait on each other in a cycle. NO KEY UPDATE, the lock the
        // updates take anyway: it does not conflict with the key-share locks a record's history rows take on
        // their links (FOR UPDATE would, and deadlocked with them).
        let _locked: Vec<i64> = product_link::Entity::find()
            .select_only()
            .column(product_link::Column::Id)
            .filter(product_link::Column::VariantId.is_in(chunk.to_vec()))
            .filter(product_link::Column::State.is_in(SYNCING))
            .order_by_asc(product_link::Column::Id)
            .lock(sea_orm::sea_query::LockType::NoKeyUpdate)
            .into_tuple()
            .all(txn)
            .await?;
        let links = product_link::Entity::find()
            .filter(product_link::Column::VariantId.is_in(chunk.to_vec()))
            .filter(product_link::Column::State.is_in(SYNCING))
            .order_by_asc(product_link::Column::Id)
            .find_also_related(channel::Entity)
            .all(txn)
            .await?;
        let channel_ids: Vec<i64> =
            links.iter().filter_map(|(_, c)| c.as_ref().map(|c| c.id)).collect::<BTreeSet<_>>().into_iter().collect();
        let chosen = super::warehouses::chosen_stock_warehouses(txn, &channel_ids).await?;
        for (link, channel) in links {
            if link.allocated_quantity.is_some() {
                variants_with_shares.extend(link.variant_id);
            }
            let Some(channel) = channel else { continue };
            let stock_ids = match chosen.get(&channel.id) {
                Some(ids) if !ids.is_empty() => ids.clone(),
                _ => match default_id {
                    Some(id) => vec![id],
                    None => {
                        let id = super::warehouses::default_warehouse(txn).await?.id;
                        default_id = Some(id);
                        vec![id]
                    }
                },
            };
            let settings = push_settings(&channel, chosen.contains_key(&channel.id));
            if let Some((components, bundle)) =
                link.variant_id.and_then(|v| Some((bundles.get(&v)?, bundle_variants.get(&v)?)))
            {
                // Each moved component alone bounds the bundle: its change matters if the bundles it makes
                // would push another number, and leaves the bundle sold out if they would push 0.
                let (mut changed, mut sells_out) = (false, false);
                for m in moves.iter().filter(|m| stock_ids.contains(&m.warehouse_id)) {
                    let Some(c) = components.iter().find(|c| c.variant_id == m.variant.id) else { continue };
                    let made = |level| crate::domain::bundles::derived_level(&[(level, c.quantity)]);
                    let flags = variant_flags(bundle);
                    changed |= level_move_matters(flags, made(m.before), made(m.after), &settings, stock_ids.len());
                    sells_out |= change_sells_out(flags, made(m.after), &settings, stock_ids.len());
                }
                if changed {
                    if sells_out { sell_out_ids.push(link.id) } else { ids.push(link.id) }
                }
                continue;
            }
            let moved: Vec<&LevelMove> = moves
                .iter()
                .filter(|m| Some(m.variant.id) == link.variant_id && stock_ids.contains(&m.warehouse_id))
                .collect();
            let changed = moved
                .iter()
                .any(|m| level_move_matters(variant_flags(m.variant), m.before, m.after, &settings, stock_ids.len()));
            if !changed {
                continue;
            }
            let sells_out = moved
                .last()
                .is_some_and(|m| change_sells_out(variant_flags(m.variant), m.after, &settings, stock_ids.len()));
            if sells_out { sell_out_ids.push(link.id) } else { ids.push(link.id) }
        }
    }
    for (links, sells_out) in [(ids, false), (sell_out_ids, true)] {
        for chunk in links.chunks(IN_CHUNK) {
            mark(txn, Condition::all().add(product_link::Column::Id.is_in(chunk.to_vec())), Some(sells_out)).await?;
        }
    }
    // Shares in allocating warehouses: own sales off, re-split (after the marks above, whose flag it may set).
    allocation::on_levels_changed(txn, moves, &variants_with_shares).await
}

/// Marks every syncing link of these variants (a price or stock-rule field of the variant changed).
pub async fn mark_variants<C: ConnectionTrait>(db: &C, variant_ids: &[i64]) -> ServiceResult<u64> {
    let mut marked = 0;
    for chunk in variant_ids.chunks(IN_CHUNK) {
        marked += mark(db, Condition::all().add(product_link::Column::VariantId.is_in(chunk.to_vec())), None).await?;
    }
    Ok(marked)
}

/// Marks every syncing link of a channel (a push setting of the channel changed).
pub async fn mark_channel<C: ConnectionTrait>(db: &C, channel_id: i64) -> ServiceResult<u64> {
    mark(db, Condition::all().add(product_link::Column::ChannelId.eq(channel_id)), None).await
}

/// Whether a variant update changes anything a push depends on.
pub fn variant_push_fields_changed(before: &product_variant::Model, after: &product_variant::Model) -> bool {
    variant_prices(before) != variant_prices(after) || variant_flags(before) != variant_flags(after)
}

/// Whether a channel settings change alters what its links push (a change of its stock warehouses too, which the
/// channel service compares).
pub fn channel_push_settings_changed(before: &channel::Model, after: &channel::Model) -> bool {
    push_settings(before, false) != push_settings(after, false)
}
