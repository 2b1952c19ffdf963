//! A slip's life: created WAITING (stock moves from committed to pending export), EXPORTED, or CANCELLED.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use entity::enums::{ExportSlipStatus, LedgerReason, OrderEventKind};
use entity::{export_slip, export_slip_line, order_line, warehouse};

use super::{
    SlipChange, lock_order, movement, order_label, record_on_order, set_status, slip_lines_sorted, variants_of,
};
use crate::domain::actor::Actor;
use crate::domain::errors::{ErrorCode, FieldError};
use crate::domain::export_slips as rules;
use crate::services::effects::Committed;
use crate::services::inventory::{self, apply_movement};
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
    let mut lines = order_line::Entity::find()
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
    // Lock levels in variant order, as every stock writer does.
    lines.sort_by_key(|l| (l.variant_id, l.id));
    let mut changes = Vec::new();
    for line in lines.iter().filter(|l| l.quantity > 0) {
        let Some(variant) = line.variant_id.and_then(|id| variants.get(&id)) else { continue };
        let same = order.warehouse_id == Some(wh.id);
        let effect = rules::create_line(line.quantity, line.reserved_quantity, same);
        changes.push(
            apply_movement(
                &txn,
                actor,
                variant,
                &movement(variant.id, wh.id, effect.slip_warehouse, LedgerReason::ExportSlipCreated, &slip),
            )
            .await?,
        );
        let mut taken = effect.moved_from_committed;
        if let (Some(release), Some(order_wh)) = (effect.release_elsewhere, order.warehouse_id) {
            changes.push(
                apply_movement(
                    &txn,
                    actor,
                    variant,
                    &movement(variant.id, order_wh, release, LedgerReason::OrderReleased, &slip),
                )
                .await?,
            );
            taken = -release.committed;
        }
        if taken != 0 {
            order_line::Entity::update_many()
                .col_expr(
                    order_line::Column::ReservedQuantity,
                    Expr::col(order_line::Column::ReservedQuantity).sub(taken),
                )
                .filter(order_line::Column::Id.eq(line.id))
                .exec(&txn)
                .await?;
        }
        export_slip_line::ActiveModel {
            slip_id: Set(slip.id),
            order_line_id: Set(Some(line.id)),
            variant_id: Set(variant.id),
            quantity: Set(line.quantity),
            moved_from_committed: Set(effect.moved_from_committed),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
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

async fn slip_for_change(txn: &DatabaseTransaction, id: i64) -> ServiceResult<export_slip::Model> {
    export_slip::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| ServiceError::not_found(&["id"], "Export slip"))
}

/// EXPORTED: the goods left the warehouse (pending export − qty, on hand − qty).
pub async fn export(db: &DatabaseConnection, actor: &Actor, id: i64) -> ServiceResult<Committed<SlipChange>> {
    let txn = begin_write(db).await?;
    let slip = slip_for_change(&txn, id).await?;
    match slip.status {
        ExportSlipStatus::Waiting => {}
        ExportSlipStatus::Exported => {
            return Err(ServiceError::rejected(
                &["id"],
                ErrorCode::InvalidState,
                format!("export slip {} is already exported", slip.code),
            ));
        }
        ExportSlipStatus::Cancelled => {
            return Err(ServiceError::rejected(
                &["id"],
                ErrorCode::InvalidState,
                format!("export slip {} is cancelled and can't be exported", slip.code),
            ));
        }
    }
    let lines = slip_lines_sorted(&txn, slip.id).await?;
    let variants = variants_of(&txn, lines.iter().map(|l| l.variant_id)).await?;
    let mut changes = Vec::new();
    for line in &lines {
        let Some(variant) = variants.get(&line.variant_id) else { continue };
        changes.push(
            apply_movement(
                &txn,
                actor,
                variant,
                &movement(
                    variant.id,
                    slip.warehouse_id,
                    rules::export_line(line.quantity),
                    LedgerReason::ExportSlipExported,
                    &slip,
                ),
            )
            .await?,
        );
    }
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
    let slip = slip_for_change(&txn, id).await?;
    match slip.status {
        ExportSlipStatus::Waiting => {}
        ExportSlipStatus::Exported => {
            return Err(ServiceError::rejected(
                &["id"],
                ErrorCode::InvalidState,
                format!("export slip {} is exported: the goods left and it can't be cancelled", slip.code),
            ));
        }
        ExportSlipStatus::Cancelled => {
            return Err(ServiceError::rejected(
                &["id"],
                ErrorCode::InvalidState,
                format!("export slip {} is already cancelled", slip.code),
            ));
        }
    }
    let order = lock_order(&txn, slip.order_id).await?;
    let open = order.as_ref().is_some_and(|o| rules::order_open(o.hub_status));
    let lines = slip_lines_sorted(&txn, slip.id).await?;
    let variants = variants_of(&txn, lines.iter().map(|l| l.variant_id)).await?;
    let mut changes = Vec::new();
    for line in &lines {
        let Some(variant) = variants.get(&line.variant_id) else { continue };
        let delta = rules::cancel_line(line.quantity, line.moved_from_committed, open);
        changes.push(
            apply_movement(
                &txn,
                actor,
                variant,
                &movement(variant.id, slip.warehouse_id, delta, LedgerReason::ExportSlipCancelled, &slip),
            )
            .await?,
        );
        if let Some(order_line_id) = line.order_line_id
            && delta.committed > 0
        {
            order_line::Entity::update_many()
                .col_expr(
                    order_line::Column::ReservedQuantity,
                    Expr::col(order_line::Column::ReservedQuantity).add(delta.committed),
                )
                .filter(order_line::Column::Id.eq(order_line_id))
                .exec(&txn)
                .await?;
        }
    }
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
