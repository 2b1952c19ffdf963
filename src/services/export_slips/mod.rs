//! Export slips (SPEC §5) and returns recorded in the hub (SPEC §4). Each write is one transaction; every stock
//! effect goes through `inventory::apply_movement`, so it has its ledger row and marks the affected links for a
//! push. Orders are shared with the order engine through the tables only: a slip lowers the line's
//! `reserved_quantity` by the units it takes over (the engine counts units on live slips as the slip's).

use std::collections::HashMap;

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use entity::enums::{ExportSlipStatus, LedgerReason, LedgerReference, OrderEventKind};
use entity::{export_slip, export_slip_line, order, order_line, product_variant};

mod returns;
mod slips;

pub use returns::{MAX_RETURN_LINES, ReturnChange, ReturnInput, ReturnLineInput, get_return, record_return};
pub use slips::{cancel, create, export};

use super::ServiceResult;
use super::inventory::{LevelChange, Movement};
use super::now;
use super::pagination::{Page, PageArgs, paginate};
use crate::domain::actor::Actor;

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

/// A slip or return changed the order: a line of its history, and the order marked changed (its lines' quantities,
/// slips and history show on it).
async fn record_on_order<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    order_id: i64,
    kind: OrderEventKind,
    message: String,
    data: serde_json::Value,
) -> ServiceResult<()> {
    super::touch_orders(db, order::Column::Id.eq(order_id)).await?;
    super::orders::add_event(db, actor, order_id, kind, message, None, Some(data)).await
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
        order_channel: None,
    }
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

pub async fn order_line(db: &DatabaseConnection, id: i64) -> ServiceResult<Option<order_line::Model>> {
    Ok(order_line::Entity::find_by_id(id).one(db).await?)
}
