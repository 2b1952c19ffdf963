//! Export slips (SPEC §5) and returns recorded in the hub (SPEC §4). Each write is one transaction; every stock
//! effect goes through `inventory::apply_movement`, so it has its ledger row and marks the affected links for a
//! push. Orders are shared with the order engine through the tables only: a slip lowers the line's
//! `reserved_quantity` by the units it takes over (the engine counts units on live slips as the slip's).

use std::collections::{BTreeMap, HashMap, HashSet};

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use entity::enums::{ExportSlipStatus, LedgerReason, LedgerReference, OrderEventKind, ReturnStatus};
use entity::{
    channel, export_slip, export_slip_line, order, order_event, order_line, order_return, product_variant, return_line,
    warehouse,
};

use super::inventory::{LevelChange, Movement, apply_movement};
use super::now;
use super::pagination::{Page, PageArgs, paginate};
use super::{ServiceError, ServiceResult, begin_write};
use crate::domain::errors::{ErrorCode, FieldError};
use crate::domain::export_slips as rules;
use crate::domain::text;

/// A slip with the stock levels it changed (for events).
#[derive(Debug, Clone)]
pub struct SlipChange {
    pub slip: export_slip::Model,
    pub changes: Vec<LevelChange>,
}

async fn lock_order(txn: &DatabaseTransaction, id: i64) -> ServiceResult<Option<order::Model>> {
    Ok(order::Entity::find_by_id(id).lock_exclusive().one(txn).await?)
}

fn order_label(o: &order::Model) -> String {
    o.order_number.clone().unwrap_or_else(|| o.external_id.clone())
}

async fn add_event<C: ConnectionTrait>(
    db: &C,
    order_id: i64,
    kind: OrderEventKind,
    message: String,
    data: serde_json::Value,
) -> ServiceResult<()> {
    order_event::ActiveModel {
        order_id: Set(order_id),
        kind: Set(kind),
        message: Set(message),
        from_status: Set(None),
        to_status: Set(None),
        data: Set(Some(data)),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

async fn variants_of<C: ConnectionTrait>(
    db: &C,
    ids: impl IntoIterator<Item = i64>,
) -> ServiceResult<HashMap<i64, product_variant::Model>> {
    let ids: Vec<i64> = ids.into_iter().collect();
    Ok(product_variant::Entity::find()
        .filter(product_variant::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|v| (v.id, v))
        .collect())
}

fn movement(
    variant_id: i64,
    warehouse_id: i64,
    delta: crate::domain::inventory::Delta,
    reason: LedgerReason,
    slip: &export_slip::Model,
) -> Movement {
    Movement {
        variant_id,
        warehouse_id,
        delta,
        reason,
        reference: Some((LedgerReference::ExportSlip, slip.id)),
        note: Some(format!("export slip {}", slip.code)),
    }
}

/// Creates a WAITING slip for every line of the order, from `warehouse_id` (SPEC §5).
pub async fn create(db: &DatabaseConnection, order_id: i64, warehouse_id: i64) -> ServiceResult<SlipChange> {
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
    add_event(
        &txn,
        order.id,
        OrderEventKind::ExportSlip,
        format!("Export slip {} created in {}: waiting for export", slip.code, wh.name),
        serde_json::json!({ "slipId": slip.id, "status": "WAITING" }),
    )
    .await?;
    txn.commit().await?;
    Ok(SlipChange { slip, changes })
}

async fn slip_for_change(txn: &DatabaseTransaction, id: i64) -> ServiceResult<export_slip::Model> {
    export_slip::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| ServiceError::not_found(&["id"], "Export slip"))
}

/// EXPORTED: the goods left the warehouse (pending export − qty, on hand − qty).
pub async fn export(db: &DatabaseConnection, id: i64) -> ServiceResult<SlipChange> {
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
    add_event(
        &txn,
        slip.order_id,
        OrderEventKind::ExportSlip,
        format!("Export slip {} exported", slip.code),
        serde_json::json!({ "slipId": slip.id, "status": "EXPORTED" }),
    )
    .await?;
    txn.commit().await?;
    Ok(SlipChange { slip, changes })
}

/// CANCELLED: pending export − qty, available + qty; units taken from the order's reservation return to it while
/// the order is still open.
pub async fn cancel(db: &DatabaseConnection, id: i64) -> ServiceResult<SlipChange> {
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
    add_event(
        &txn,
        slip.order_id,
        OrderEventKind::ExportSlip,
        format!("Export slip {} cancelled", slip.code),
        serde_json::json!({ "slipId": slip.id, "status": "CANCELLED" }),
    )
    .await?;
    txn.commit().await?;
    Ok(SlipChange { slip, changes })
}

async fn slip_lines_sorted<C: ConnectionTrait>(db: &C, slip_id: i64) -> ServiceResult<Vec<export_slip_line::Model>> {
    Ok(export_slip_line::Entity::find()
        .filter(export_slip_line::Column::SlipId.eq(slip_id))
        .order_by_asc(export_slip_line::Column::VariantId)
        .order_by_asc(export_slip_line::Column::Id)
        .all(db)
        .await?)
}

async fn set_status(
    txn: &DatabaseTransaction,
    slip: export_slip::Model,
    status: ExportSlipStatus,
) -> ServiceResult<export_slip::Model> {
    let at = now();
    let mut active: export_slip::ActiveModel = slip.into();
    active.status = Set(status);
    match status {
        ExportSlipStatus::Exported => active.exported_at = Set(Some(at)),
        ExportSlipStatus::Cancelled => active.cancelled_at = Set(Some(at)),
        ExportSlipStatus::Waiting => {}
    }
    active.updated_at = Set(at);
    Ok(active.update(txn).await?)
}

pub async fn get(db: &DatabaseConnection, id: i64) -> ServiceResult<Option<export_slip::Model>> {
    Ok(export_slip::Entity::find_by_id(id).one(db).await?)
}

pub async fn lines(db: &DatabaseConnection, slip_id: i64) -> ServiceResult<Vec<export_slip_line::Model>> {
    Ok(export_slip_line::Entity::find()
        .filter(export_slip_line::Column::SlipId.eq(slip_id))
        .order_by_asc(export_slip_line::Column::Id)
        .all(db)
        .await?)
}

#[derive(Debug, Clone, Default)]
pub struct SlipFilter {
    pub status: Option<ExportSlipStatus>,
    pub order_id: Option<i64>,
    pub warehouse_id: Option<i64>,
}

pub async fn list(
    db: &DatabaseConnection,
    filter: &SlipFilter,
    page: &PageArgs,
) -> ServiceResult<Page<export_slip::Model>> {
    let mut select = export_slip::Entity::find();
    if let Some(s) = filter.status {
        select = select.filter(export_slip::Column::Status.eq(s));
    }
    if let Some(id) = filter.order_id {
        select = select.filter(export_slip::Column::OrderId.eq(id));
    }
    if let Some(id) = filter.warehouse_id {
        select = select.filter(export_slip::Column::WarehouseId.eq(id));
    }
    paginate(db, select, export_slip::Column::Id, page).await
}

// ------------------------------------------------------------------------------------------------ returns

/// Most lines one return may carry.
pub const MAX_RETURN_LINES: usize = 250;

#[derive(Debug, Clone)]
pub struct ReturnLineInput {
    pub order_line_id: i64,
    pub quantity: i64,
    /// Put the units back on hand (else recorded only: damaged, kept by the carrier, …).
    pub restock: bool,
}

#[derive(Debug, Clone)]
pub struct ReturnInput {
    pub order_id: i64,
    /// Where restocked units go; default: the order's warehouse, else the channel's order warehouse, else the
    /// default warehouse.
    pub warehouse_id: Option<i64>,
    pub note: Option<String>,
    pub lines: Vec<ReturnLineInput>,
}

#[derive(Debug, Clone)]
pub struct ReturnChange {
    pub recorded: order_return::Model,
    pub changes: Vec<LevelChange>,
}

/// Records a return (SPEC §4): which lines, how many, which units go back on hand (with ledger rows). More than
/// was sold (less earlier returns) is refused; nothing is written then.
pub async fn record_return(db: &DatabaseConnection, input: ReturnInput) -> ServiceResult<ReturnChange> {
    let mut errors = Vec::new();
    if input.lines.is_empty() {
        errors.push(FieldError::new(&["lines"], ErrorCode::Blank, "a return needs at least one line"));
    }
    if input.lines.len() > MAX_RETURN_LINES {
        errors.push(FieldError::new(
            &["lines"],
            ErrorCode::TooMany,
            format!("at most {MAX_RETURN_LINES} lines per return"),
        ));
    }
    let mut seen = HashSet::new();
    for (i, l) in input.lines.iter().enumerate() {
        if l.quantity <= 0 {
            errors.push(FieldError::new(
                &["lines", &i.to_string(), "quantity"],
                ErrorCode::Invalid,
                "quantity must be at least 1",
            ));
        }
        if !seen.insert(l.order_line_id) {
            errors.push(FieldError::new(
                &["lines", &i.to_string(), "orderLineId"],
                ErrorCode::DuplicateEntry,
                "this order line appears twice in the return",
            ));
        }
    }
    let note = text::optional("note", input.note.as_deref(), 1000)?;
    if !errors.is_empty() {
        return Err(ServiceError::Rejected(errors));
    }
    let txn = begin_write(db).await?;
    let order =
        lock_order(&txn, input.order_id).await?.ok_or_else(|| ServiceError::not_found(&["orderId"], "Order"))?;
    let warehouse_id = match input.warehouse_id {
        Some(id) => {
            warehouse::Entity::find_by_id(id)
                .one(&txn)
                .await?
                .ok_or_else(|| ServiceError::not_found(&["warehouseId"], "Warehouse"))?
                .id
        }
        None => match order.warehouse_id {
            Some(id) => id,
            None => {
                let channel_wh =
                    channel::Entity::find_by_id(order.channel_id).one(&txn).await?.and_then(|c| c.order_warehouse_id);
                match channel_wh {
                    Some(id) => id,
                    None => super::catalog::default_warehouse(&txn).await?.id,
                }
            }
        },
    };
    let order_lines: BTreeMap<i64, order_line::Model> = order_line::Entity::find()
        .filter(order_line::Column::OrderId.eq(order.id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|l| (l.id, l))
        .collect();
    for (i, l) in input.lines.iter().enumerate() {
        let index = i.to_string();
        let Some(line) = order_lines.get(&l.order_line_id) else {
            errors.push(FieldError::new(
                &["lines", &index, "orderLineId"],
                ErrorCode::NotFound,
                "Order line not found in this order",
            ));
            continue;
        };
        let label = line.seller_sku.clone().unwrap_or_else(|| line.title.clone());
        let returnable = rules::returnable(line.quantity, line.returned_quantity);
        if l.quantity > returnable {
            errors.push(FieldError::new(
                &["lines", &index, "quantity"],
                ErrorCode::ReturnExceedsSold,
                format!(
                    "{label}: {} returned, but only {returnable} can be ({} sold, {} returned before)",
                    l.quantity, line.quantity, line.returned_quantity
                ),
            ));
        }
        if l.restock && line.variant_id.is_none() {
            errors.push(FieldError::new(
                &["lines", &index, "restock"],
                ErrorCode::UnlinkedOrderLines,
                format!("{label} is not linked to a hub variant: it can't be restocked"),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(ServiceError::Rejected(errors));
    }
    let at = now();
    let any_restock = input.lines.iter().any(|l| l.restock);
    let recorded = order_return::ActiveModel {
        order_id: Set(order.id),
        warehouse_id: Set(warehouse_id),
        status: Set(if any_restock { ReturnStatus::Restocked } else { ReturnStatus::Recorded }),
        refunded_minor: Set(0),
        note: Set(note.clone()),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let variants = variants_of(&txn, order_lines.values().filter_map(|l| l.variant_id)).await?;
    let mut sorted: Vec<&ReturnLineInput> = input.lines.iter().collect();
    sorted.sort_by_key(|l| (order_lines.get(&l.order_line_id).and_then(|o| o.variant_id), l.order_line_id));
    let mut changes = Vec::new();
    let mut summary = Vec::new();
    for l in sorted {
        let Some(line) = order_lines.get(&l.order_line_id) else { continue };
        return_line::ActiveModel {
            return_id: Set(recorded.id),
            order_line_id: Set(line.id),
            variant_id: Set(line.variant_id),
            quantity: Set(l.quantity),
            restock_quantity: Set(if l.restock { l.quantity } else { 0 }),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        order_line::Entity::update_many()
            .col_expr(
                order_line::Column::ReturnedQuantity,
                Expr::col(order_line::Column::ReturnedQuantity).add(l.quantity),
            )
            .filter(order_line::Column::Id.eq(line.id))
            .exec(&txn)
            .await?;
        let label = line.seller_sku.clone().unwrap_or_else(|| line.title.clone());
        summary.push(format!("{label} × {}{}", l.quantity, if l.restock { " (restocked)" } else { "" }));
        if l.restock
            && let Some(variant) = line.variant_id.and_then(|id| variants.get(&id))
        {
            let m = Movement {
                variant_id: variant.id,
                warehouse_id,
                delta: crate::domain::inventory::Delta { on_hand: l.quantity, ..Default::default() },
                reason: LedgerReason::ReturnRestocked,
                reference: Some((LedgerReference::Return, recorded.id)),
                note: Some(format!("return of order {}", order_label(&order))),
            };
            changes.push(apply_movement(&txn, variant, &m).await?);
        }
    }
    add_event(
        &txn,
        order.id,
        OrderEventKind::ReturnRecorded,
        format!("Return recorded: {}", summary.join(", ")),
        serde_json::json!({ "returnId": recorded.id }),
    )
    .await?;
    txn.commit().await?;
    Ok(ReturnChange { recorded, changes })
}

pub async fn get_return(db: &DatabaseConnection, id: i64) -> ServiceResult<Option<order_return::Model>> {
    Ok(order_return::Entity::find_by_id(id).one(db).await?)
}

pub async fn return_lines(db: &DatabaseConnection, return_id: i64) -> ServiceResult<Vec<return_line::Model>> {
    Ok(return_line::Entity::find()
        .filter(return_line::Column::ReturnId.eq(return_id))
        .order_by_asc(return_line::Column::Id)
        .all(db)
        .await?)
}

pub async fn order_line(db: &DatabaseConnection, id: i64) -> ServiceResult<Option<order_line::Model>> {
    Ok(order_line::Entity::find_by_id(id).one(db).await?)
}
