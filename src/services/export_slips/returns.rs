//! Returns recorded in the hub (SPEC §4).

use std::collections::{BTreeMap, HashSet};

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use entity::enums::{LedgerReason, LedgerReference, OrderEventKind, ReturnStatus};
use entity::{channel, order_line, order_return, return_line, warehouse};

use super::{lock_order, order_label, record_on_order, variants_of};
use crate::domain::actor::Actor;
use crate::domain::errors::{ErrorCode, FieldError};
use crate::domain::export_slips as rules;
use crate::domain::text;
use crate::services::effects::Committed;
use crate::services::inventory::{self, LevelChange, Movement, apply_movement};
use crate::services::{ServiceError, ServiceResult, begin_write, now};

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
    /// Refunded to the buyer for this return, in the order's currency; `None`: nothing.
    pub refunded: Option<rust_decimal::Decimal>,
}

#[derive(Debug, Clone)]
pub struct ReturnChange {
    pub recorded: order_return::Model,
    pub changes: Vec<LevelChange>,
}

/// Records a return (SPEC §4): which lines, how many, which units go back on hand (with ledger rows). More than
/// was sold (less earlier returns) is refused; nothing is written then.
pub async fn record_return(
    db: &DatabaseConnection,
    actor: &Actor,
    input: ReturnInput,
) -> ServiceResult<Committed<ReturnChange>> {
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
                    None => crate::services::catalog::default_warehouse(&txn).await?.id,
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
    let refunded_minor = refund_of(&txn, &order, input.refunded).await?.map_err(|e| errors.push(e)).unwrap_or(0);
    if !errors.is_empty() {
        return Err(ServiceError::Rejected(errors));
    }
    let at = now();
    let any_restock = input.lines.iter().any(|l| l.restock);
    let recorded = order_return::ActiveModel {
        order_id: Set(order.id),
        warehouse_id: Set(warehouse_id),
        status: Set(if any_restock { ReturnStatus::Restocked } else { ReturnStatus::Recorded }),
        refunded_minor: Set(refunded_minor),
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
                order_channel: None,
            };
            changes.extend(apply_movement(&txn, actor, variant, &m).await?);
        }
    }
    record_on_order(
        &txn,
        actor,
        order.id,
        OrderEventKind::ReturnRecorded,
        format!("Return recorded: {}", summary.join(", ")),
        serde_json::json!({ "returnId": recorded.id }),
    )
    .await?;
    txn.commit().await?;
    let effects = inventory::stock_moved(&changes);
    Ok(Committed::new(ReturnChange { recorded, changes }, effects))
}

pub async fn get_return(db: &DatabaseConnection, id: i64) -> ServiceResult<Option<order_return::Model>> {
    Ok(order_return::Entity::find_by_id(id).one(db).await?)
}

/// The refund of a return in minor units: a valid amount of the order's currency, at most the order's total less
/// what its earlier returns refunded.
async fn refund_of<C: sea_orm::ConnectionTrait>(
    db: &C,
    order: &entity::order::Model,
    amount: Option<rust_decimal::Decimal>,
) -> ServiceResult<Result<i64, FieldError>> {
    let Some(amount) = amount else { return Ok(Ok(0)) };
    let minor = match crate::domain::money::to_minor(&["refundedAmount"], amount, &order.currency) {
        Ok(minor) => minor,
        Err(e) => return Ok(Err(e)),
    };
    let earlier: i64 = order_return::Entity::find()
        .filter(order_return::Column::OrderId.eq(order.id))
        .all(db)
        .await?
        .iter()
        .map(|r| r.refunded_minor)
        .sum();
    let left = Ord::max(order.total_minor - earlier, 0);
    if minor > left {
        let shown = |m: i64| crate::domain::money::from_minor(m, &order.currency);
        return Ok(Err(FieldError::new(
            &["refundedAmount"],
            ErrorCode::Invalid,
            format!(
                "{} {} refunded, but at most {} can be (the order's total {} less {} refunded by earlier returns)",
                shown(minor),
                order.currency,
                shown(left),
                shown(order.total_minor),
                shown(earlier)
            ),
        )));
    }
    Ok(Ok(minor))
}
