//! A slip's life: created WAITING (stock moves from committed to pending export), EXPORTED, or CANCELLED.

use std::collections::HashMap;

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use entity::enums::{ExportSlipStatus, LedgerReason, OrderEventKind};
use entity::{export_slip, export_slip_line, order_line, product_variant, warehouse};

use super::{
    SlipChange, lock_order, movement, order_label, record_on_order, set_status, slip_lines_sorted, variants_of,
};
use crate::domain::actor::Actor;
use crate::domain::errors::{ErrorCode, FieldError};
use crate::domain::export_slips as rules;
use crate::services::effects::Committed;
use crate::services::inventory::{self, LevelChange, Movement, apply_movement};
use crate::services::{ServiceError, ServiceResult, begin_write, now};

/// Creates a WAITING slip for every line of the order, from `warehouse_id` (SPEC §5), by `actor`.
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    order_id: i64,
    warehouse_id: i64,
) -> ServiceResult<Committed<SlipChange>> {
    let txn = begin_write(db).await?;
    let order = lock_order(&txn, order_id).await?;
    let wh = warehouse::Entity::find_by_id(warehouse_id).one(&txn).await?;
    let mut errors = Vec::new();
    if order.is_none() {
        errors.push(FieldError::new(&["orderId"], ErrorCode::NotFound, "Order not found"));
    }
    if wh.is_none() {
        errors.push(FieldError::new(&["warehouseId"], ErrorCode::NotFound, "Warehouse not found"));
    }
    let (Some(order), Some(wh)) = (order, wh) else { return Err(ServiceError::Rejected(errors)) };
    let label = order_label(&order);
    if !rules::slip_allowed(order.hub_status) {
        return Err(ServiceError::rejected(
            &["orderId"],
            ErrorCode::InvalidState,
            format!(
                "order {label} is {}: export slips are for orders being processed, packed, in transit or completed",
                order.hub_status.as_str()
            ),
        ));
    }
    let live = export_slip::Entity::find()
        .filter(export_slip::Column::OrderId.eq(order.id))
        .filter(export_slip::Column::Status.ne(ExportSlipStatus::Cancelled))
        .one(&txn)
        .await?;
    if let Some(live) = live {
        return Err(ServiceError::rejected(
            &["orderId"],
            ErrorCode::InvalidState,
            format!(
                "order {label} already has export slip {} ({}): cancel it first to make another",
                live.code,
                live.status.as_str()
            ),
        ));
    }
    let lines = order_line::Entity::find()
        .filter(order_line::Column::OrderId.eq(order.id))
        .order_by_asc(order_line::Column::Id)
        .all(&txn)
        .await?;
    let unlinked: Vec<String> = lines
        .iter()
        .filter(|l| l.variant_id.is_none())
        .map(|l| l.seller_sku.clone().unwrap_or_else(|| l.title.clone()))
        .collect();
    if !unlinked.is_empty() {
        return Err(ServiceError::rejected(
            &["orderId"],
            ErrorCode::UnlinkedOrderLines,
            format!("order {label} has lines not linked to hub products ({}): link them first", unlinked.join(", ")),
        ));
    }
    if lines.iter().all(|l| l.quantity <= 0) {
        return Err(ServiceError::rejected(
            &["orderId"],
            ErrorCode::InvalidState,
            format!("order {label} has no units to export"),
        ));
    }
    let variants = variants_of(&txn, lines.iter().filter_map(|l| l.variant_id)).await?;
    let previous = export_slip::Entity::find().filter(export_slip::Column::OrderId.eq(order.id)).count(&txn).await?;
    let at = now();
    let slip = export_slip::ActiveModel {
        order_id: Set(order.id),
        warehouse_id: Set(wh.id),
        code: Set(format!("PXK-{}-{}", order.id, previous + 1)),
        status: Set(ExportSlipStatus::Waiting),
        created_at: Set(at),
        exported_at: Set(None),
        cancelled_at: Set(None),
        updated_at: Set(at),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let same = order.warehouse_id == Some(wh.id);
    let mut moves = Vec::new();
    for line in lines.iter().filter(|l| l.quantity > 0) {
        let Some(variant) = line.variant_id.and_then(|id| variants.get(&id)) else { continue };
        let effect = rules::create_line(line.quantity, line.reserved_quantity, same);
        moves.push(movement(variant.id, wh.id, effect.slip_warehouse, LedgerReason::ExportSlipCreated, &slip));
        // Recorded on the line: a cancel gives back exactly this, where it came from.
        let mut released_warehouse = None;
        if let (Some(release), Some(order_wh)) = (effect.release_elsewhere, order.warehouse_id) {
            moves.push(movement(variant.id, order_wh, release, LedgerReason::OrderReleased, &slip));
            released_warehouse = Some(order_wh);
        }
        let mut recorded = effect.moves(line.quantity);
        if released_warehouse.is_none() {
            recorded.released = 0;
        }
        shift_reserved(&txn, Some(line.id), -(recorded.moved_from_committed + recorded.released)).await?;
        export_slip_line::ActiveModel {
            slip_id: Set(slip.id),
            order_line_id: Set(Some(line.id)),
            variant_id: Set(variant.id),
            quantity: Set(line.quantity),
            moved_from_committed: Set(recorded.moved_from_committed),
            released_quantity: Set(recorded.released),
            released_warehouse_id: Set(released_warehouse.filter(|_| recorded.released > 0)),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    let changes = apply_in_order(&txn, actor, &variants, moves).await?;
    record_on_order(
        &txn,
        actor,
        order.id,
        OrderEventKind::ExportSlip,
        format!("Export slip {} created in {}: waiting for export", slip.code, wh.name),
        serde_json::json!({ "slipId": slip.id, "status": "WAITING" }),
    )
    .await?;
    txn.commit().await?;
    let effects = inventory::stock_moved(&changes);
    Ok(Committed::new(SlipChange { slip, changes }, effects))
}

/// What is done to a WAITING slip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Export,
    Cancel,
}

/// The slip, locked, if it is still WAITING (else why `step` can't be done to it).
async fn waiting_slip(txn: &DatabaseTransaction, id: i64, step: Step) -> ServiceResult<export_slip::Model> {
    let slip = export_slip::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| ServiceError::not_found(&["id"], "Export slip"))?;
    let refusal = match slip.status {
        ExportSlipStatus::Waiting => return Ok(slip),
        ExportSlipStatus::Exported if step == Step::Cancel => "is exported: the goods left and it can't be cancelled",
        ExportSlipStatus::Exported => "is already exported",
        ExportSlipStatus::Cancelled if step == Step::Cancel => "is already cancelled",
        ExportSlipStatus::Cancelled => "is cancelled and can't be exported",
    };
    Err(ServiceError::rejected(&["id"], ErrorCode::InvalidState, format!("export slip {} {refusal}", slip.code)))
}

/// Moves an order line's `reserved_quantity` by `delta` (the units a slip takes over, or gives back).
async fn shift_reserved(txn: &DatabaseTransaction, order_line_id: Option<i64>, delta: i64) -> ServiceResult<()> {
    let Some(id) = order_line_id.filter(|_| delta != 0) else { return Ok(()) };
    order_line::Entity::update_many()
        .col_expr(order_line::Column::ReservedQuantity, Expr::col(order_line::Column::ReservedQuantity).add(delta))
        .filter(order_line::Column::Id.eq(id))
        .exec(txn)
        .await?;
    Ok(())
}

/// Applies a slip's movements in (variant, warehouse) order, the order every stock writer locks levels in.
async fn apply_in_order(
    txn: &DatabaseTransaction,
    actor: &Actor,
    variants: &HashMap<i64, product_variant::Model>,
    mut moves: Vec<Movement>,
) -> ServiceResult<Vec<LevelChange>> {
    moves.sort_by_key(|m| (m.variant_id, m.warehouse_id));
    let mut changes = Vec::new();
    for m in &moves {
        let Some(variant) = variants.get(&m.variant_id) else { continue };
        changes.extend(apply_movement(txn, actor, variant, m).await?);
    }
    Ok(changes)
}

/// EXPORTED: the goods left the warehouse (pending export − qty, on hand − qty).
pub async fn export(db: &DatabaseConnection, actor: &Actor, id: i64) -> ServiceResult<Committed<SlipChange>> {
    let txn = begin_write(db).await?;
    let slip = waiting_slip(&txn, id, Step::Export).await?;
    let lines = slip_lines_sorted(&txn, slip.id).await?;
    let variants = variants_of(&txn, lines.iter().map(|l| l.variant_id)).await?;
    let moves = lines
        .iter()
        .map(|l| {
            let delta = rules::export_line(l.quantity);
            movement(l.variant_id, slip.warehouse_id, delta, LedgerReason::ExportSlipExported, &slip)
        })
        .collect();
    let changes = apply_in_order(&txn, actor, &variants, moves).await?;
    let slip = set_status(&txn, slip, ExportSlipStatus::Exported).await?;
    record_on_order(
        &txn,
        actor,
        slip.order_id,
        OrderEventKind::ExportSlip,
        format!("Export slip {} exported", slip.code),
        serde_json::json!({ "slipId": slip.id, "status": "EXPORTED" }),
    )
    .await?;
    txn.commit().await?;
    let effects = inventory::stock_moved(&changes);
    Ok(Committed::new(SlipChange { slip, changes }, effects))
}

/// CANCELLED: pending export − qty, available + qty; units taken from the order's reservation return to it while
/// the order is still open.
pub async fn cancel(db: &DatabaseConnection, actor: &Actor, id: i64) -> ServiceResult<Committed<SlipChange>> {
    let txn = begin_write(db).await?;
    let slip = waiting_slip(&txn, id, Step::Cancel).await?;
    let order = lock_order(&txn, slip.order_id).await?;
    let open = order.as_ref().is_some_and(|o| rules::order_open(o.hub_status));
    let lines = slip_lines_sorted(&txn, slip.id).await?;
    let variants = variants_of(&txn, lines.iter().map(|l| l.variant_id)).await?;
    let mut moves = Vec::new();
    for line in &lines {
        let recorded = rules::SlipLineMoves {
            quantity: line.quantity,
            moved_from_committed: line.moved_from_committed,
            released: if line.released_warehouse_id.is_some() { line.released_quantity } else { 0 },
        };
        let back = rules::cancel_line(recorded, open);
        moves.push(movement(
            line.variant_id,
            slip.warehouse_id,
            back.slip_warehouse,
            LedgerReason::ExportSlipCancelled,
            &slip,
        ));
        if let (Some(restore), Some(released_wh)) = (back.restore_elsewhere, line.released_warehouse_id) {
            moves.push(movement(line.variant_id, released_wh, restore, LedgerReason::OrderReserved, &slip));
        }
        shift_reserved(&txn, line.order_line_id, back.reserved_back).await?;
    }
    let changes = apply_in_order(&txn, actor, &variants, moves).await?;
    let slip = set_status(&txn, slip, ExportSlipStatus::Cancelled).await?;
    record_on_order(
        &txn,
        actor,
        slip.order_id,
        OrderEventKind::ExportSlip,
        format!("Export slip {} cancelled", slip.code),
        serde_json::json!({ "slipId": slip.id, "status": "CANCELLED" }),
    )
    .await?;
    txn.commit().await?;
    let effects = inventory::stock_moved(&changes);
    Ok(Committed::new(SlipChange { slip, changes }, effects))
}
