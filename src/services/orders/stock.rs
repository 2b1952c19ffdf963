//! An order's stock: bringing its lines' reservations and fulfilments to what its hub status wants, through the
//! ledger (`inventory::LevelBook`; the plan per line is `domain::orders::plan_line`). Units on live export slips
//! are the slips' to move, not the order's.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect};

use entity::enums::{ExportSlipStatus, LedgerReason, LedgerReference, OrderEventKind};
use entity::{export_slip, export_slip_line, order, order_event, order_line, product_variant, warehouse};

use super::codes;
use super::history::{event_row, open_error, resolve_errors};
use super::order_lines::save_lines;
use crate::domain::actor::Actor;
use crate::domain::events::HubEvent;
use crate::domain::orders::{self as rules, LineStock, StockPhase};
use crate::services::inventory::{LevelBook, Movement};
use crate::services::{ServiceError, ServiceResult};

/// Units of each line of these orders on export slips that are not cancelled (the slips move those, not the order).
pub(super) async fn units_in_slips(txn: &DatabaseTransaction, order_ids: &[i64]) -> ServiceResult<HashMap<i64, i64>> {
    if order_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let slips: Vec<i64> = export_slip::Entity::find()
        .select_only()
        .column(export_slip::Column::Id)
        .filter(export_slip::Column::OrderId.is_in(order_ids.to_vec()))
        .filter(export_slip::Column::Status.ne(ExportSlipStatus::Cancelled))
        .into_tuple()
        .all(txn)
        .await?;
    if slips.is_empty() {
        return Ok(HashMap::new());
    }
    let mut out = HashMap::new();
    for l in export_slip_line::Entity::find().filter(export_slip_line::Column::SlipId.is_in(slips)).all(txn).await? {
        if let Some(line) = l.order_line_id {
            *out.entry(line).or_insert(0) += l.quantity;
        }
    }
    Ok(out)
}

fn event_kind(reason: LedgerReason) -> OrderEventKind {
    match reason {
        LedgerReason::OrderReserved => OrderEventKind::StockReserved,
        LedgerReason::OrderReleased => OrderEventKind::StockReleased,
        LedgerReason::OrderRestocked => OrderEventKind::StockRestocked,
        _ => OrderEventKind::StockFulfilled,
    }
}

fn event_verb(reason: LedgerReason) -> &'static str {
    match reason {
        LedgerReason::OrderReserved => "Stock reserved",
        LedgerReason::OrderReleased => "Reservation released",
        LedgerReason::OrderRestocked => "Stock put back on hand",
        _ => "Stock taken from on hand",
    }
}

/// What bringing an order's lines to its status moved.
#[derive(Default)]
pub(super) struct StockMoves {
    /// Whether the order's status wants stock followed at all (a warehouse, a phase that moves, linked lines).
    pub(super) planned: bool,
    /// One entry per kind of movement: the lines and units moved.
    pub(super) moved: BTreeMap<(i32, &'static str), (LedgerReason, Vec<String>)>,
    pub(super) refused: Vec<String>,
}

impl StockMoves {
    /// One history line per kind of movement.
    pub(super) fn history(&self, warehouse_name: &str) -> Vec<(OrderEventKind, String)> {
        self.moved
            .iter()
            .map(|((_, verb), (reason, items))| {
                (event_kind(*reason), format!("{verb} in {warehouse_name}: {}", items.join(", ")))
            })
            .collect()
    }

    /// Opens ORDER_STOCK_REFUSED on the order with the movements refused; the live event if opened now.
    pub(super) async fn open_refused_error(
        &self,
        txn: &DatabaseTransaction,
        order: &order::Model,
    ) -> ServiceResult<Option<HubEvent>> {
        let number = order.order_number.clone().unwrap_or_else(|| order.external_id.clone());
        open_error(
            txn,
            order.channel_id,
            Some(order.id),
            codes::STOCK_REFUSED,
            &format!(
                "order {number}: {}; once the stock is there, resync the order (ordersResync) to apply it",
                self.refused.join("; ")
            ),
            None,
        )
        .await
    }
}

/// Brings every linked line's stock to what the order's hub status wants, through `book`, updating each line's
/// reserved and fulfilled counters in place. A refused movement (e.g. on hand below zero) leaves that line as it
/// was and is reported; the rest goes on.
pub(super) async fn move_stock(
    txn: &DatabaseTransaction,
    book: &mut LevelBook,
    variants: &HashMap<i64, product_variant::Model>,
    order: &order::Model,
    lines: &mut [order_line::Model],
    in_slips: &HashMap<i64, i64>,
) -> ServiceResult<StockMoves> {
    let mut out = StockMoves::default();
    let Some(warehouse_id) = order.warehouse_id else { return Ok(out) };
    let phase = rules::stock_phase(order.hub_status);
    if phase == StockPhase::Keep || lines.iter().all(|l| l.variant_id.is_none()) {
        return Ok(out);
    }
    out.planned = true;
    // Levels in (variant) order, as every writer takes them.
    let mut ordered: Vec<&mut order_line::Model> = lines.iter_mut().collect();
    ordered.sort_by_key(|l| (l.variant_id, l.id));
    for line in ordered {
        let Some(variant) = line.variant_id.and_then(|id| variants.get(&id)) else { continue };
        let slip_units = if line.id == 0 { 0 } else { *in_slips.get(&line.id).unwrap_or(&0) };
        let stock = LineStock {
            quantity: line.quantity,
            reserved: line.reserved_quantity,
            fulfilled: line.fulfilled_quantity,
            in_slips: slip_units,
        };
        for step in rules::plan_line(stock, phase) {
            let movement = Movement {
                variant_id: variant.id,
                warehouse_id,
                delta: step.delta,
                reason: step.reason,
                reference: Some((LedgerReference::Order, order.id)),
                note: order.order_number.clone().map(|n| format!("order {n}")),
                order_channel: Some(order.channel_id),
            };
            match book.apply(txn, variant, &movement).await {
                Ok(_) => {
                    line.reserved_quantity += step.reserved_delta;
                    line.fulfilled_quantity += step.fulfilled_delta;
                    let units = std::cmp::max(step.reserved_delta.abs(), step.fulfilled_delta.abs());
                    let label = line.seller_sku.clone().unwrap_or_else(|| line.title.clone());
                    out.moved
                        .entry((step.reason as i32, event_verb(step.reason)))
                        .or_insert_with(|| (step.reason, Vec::new()))
                        .1
                        .push(format!("{label} × {units}"));
                }
                Err(ServiceError::Rejected(errors)) => {
                    out.refused.extend(errors.into_iter().map(|e| e.message));
                    break;
                }
                Err(other) => return Err(other),
            }
        }
    }
    Ok(out)
}

/// Brings an order's stock to what its hub status wants (after a hub-side status change), with its history lines
/// and sync error, inside `txn`; ledger rows and history lines name `actor`. Returns the order and the live events
/// of the sync error opened or resolved.
pub async fn apply_stock(
    txn: &DatabaseTransaction,
    actor: &Actor,
    order: order::Model,
    lines: Vec<order_line::Model>,
    fresh: bool,
) -> ServiceResult<(order::Model, Vec<HubEvent>)> {
    if order.warehouse_id.is_none() || rules::stock_phase(order.hub_status) == StockPhase::Keep {
        return Ok((order, Vec::new()));
    }
    let in_slips = if fresh { HashMap::new() } else { units_in_slips(txn, &[order.id]).await? };
    let variant_ids: BTreeSet<i64> = lines.iter().filter_map(|l| l.variant_id).collect();
    if variant_ids.is_empty() {
        return Ok((order, Vec::new()));
    }
    let variants: HashMap<i64, product_variant::Model> = product_variant::Entity::find()
        .filter(product_variant::Column::Id.is_in(variant_ids))
        .all(txn)
        .await?
        .into_iter()
        .map(|v| (v.id, v))
        .collect();
    let mut book = LevelBook::default();
    let mut updated = lines.clone();
    let stock = move_stock(txn, &mut book, &variants, &order, &mut updated, &in_slips).await?;
    book.flush(txn, actor).await?;
    save_lines(txn, updated, &lines).await?;
    if let Some(warehouse_id) = order.warehouse_id
        && !stock.moved.is_empty()
    {
        let warehouse_name =
            warehouse::Entity::find_by_id(warehouse_id).one(txn).await?.map(|w| w.name).unwrap_or_default();
        let rows: Vec<order_event::ActiveModel> = stock
            .history(&warehouse_name)
            .into_iter()
            .map(|(kind, message)| event_row(actor, order.id, kind, message, None, None))
            .collect();
        order_event::Entity::insert_many(rows).exec_without_returning(txn).await?;
    }
    let events = if stock.refused.is_empty() {
        if fresh { Vec::new() } else { resolve_errors(txn, order.id, codes::STOCK_REFUSED).await? }
    } else {
        stock.open_refused_error(txn, &order).await?.into_iter().collect()
    };
    Ok((order, events))
}
