//! Warehouses: create, rename, choose the default, delete when nothing refers to them.

use sea_orm::sea_query::{Expr, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter,
};

use entity::{inventory_ledger, inventory_level, warehouse};

use super::lower_contains;
use crate::domain::errors::ErrorCode;
use crate::domain::text;
use crate::services::pagination::{Page, PageArgs, paginate};
use crate::services::{ServiceError, ServiceResult, begin_write, now, prefix_pattern};

#[derive(Debug, Clone, Default)]
pub struct WarehouseFields {
    pub name: Option<String>,
    pub code: Option<Option<String>>,
    pub address: Option<Option<String>>,
    pub is_default: Option<bool>,
    pub stock_allocation: Option<bool>,
    /// `Some(None)`: no threshold.
    pub low_stock_threshold: Option<Option<i64>>,
}

/// A low-stock threshold: 0 to `MAX_SAFETY_STOCK_UNITS` units.
fn threshold(value: Option<i64>) -> Result<Option<i64>, ServiceError> {
    let max = crate::domain::channel_settings::MAX_SAFETY_STOCK_UNITS;
    match crate::domain::channel_settings::out_of_range(&["lowStockThreshold"], value, 0, max, "units") {
        Some(e) => Err(ServiceError::Rejected(vec![e])),
        None => Ok(value),
    }
}

pub async fn warehouse(db: &DatabaseConnection, id: i64) -> ServiceResult<Option<warehouse::Model>> {
    Ok(warehouse::Entity::find_by_id(id).one(db).await?)
}

pub use crate::services::warehouses::default_warehouse;

pub async fn warehouses(
    db: &DatabaseConnection,
    search: Option<&str>,
    page: &PageArgs,
) -> ServiceResult<Page<warehouse::Model>> {
    let mut select = warehouse::Entity::find();
    if let Some(term) = search.map(str::trim).filter(|t| !t.is_empty()) {
        select = select.filter(
            Condition::any()
                .add(lower_contains(warehouse::Column::Name, term))
                .add(warehouse::Column::Code.like(LikeExpr::new(prefix_pattern(term)).escape('\\'))),
        );
    }
    paginate(db, select, warehouse::Column::Id, page).await
}

pub async fn warehouse_create(db: &DatabaseConnection, fields: WarehouseFields) -> ServiceResult<warehouse::Model> {
    let name = text::required("name", fields.name.as_deref().unwrap_or_default(), text::MAX_TITLE_LEN)?;
    let code = text::optional("code", fields.code.flatten().as_deref(), text::MAX_CODE_LEN)?;
    let address = text::optional("address", fields.address.flatten().as_deref(), 1000)?;
    let low_stock_threshold = threshold(fields.low_stock_threshold.flatten())?;
    let txn = begin_write(db).await?;
    let make_default = fields.is_default.unwrap_or(false);
    if make_default {
        clear_default(&txn).await?;
    }
    let model = warehouse::ActiveModel {
        name: Set(name),
        code: Set(code),
        address: Set(address),
        is_default: Set(make_default),
        stock_allocation: Set(fields.stock_allocation.unwrap_or(false)),
        low_stock_threshold: Set(low_stock_threshold),
        created_at: Set(now()),
        updated_at: Set(now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(model)
}

pub async fn warehouse_update(
    db: &DatabaseConnection,
    id: i64,
    fields: WarehouseFields,
) -> ServiceResult<warehouse::Model> {
    let txn = begin_write(db).await?;
    let current = warehouse::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| ServiceError::not_found(&["id"], "Warehouse"))?;
    let mut active: warehouse::ActiveModel = current.clone().into();
    if let Some(name) = fields.name.as_deref() {
        active.name = Set(text::required("name", name, text::MAX_TITLE_LEN)?);
    }
    if let Some(code) = fields.code {
        active.code = Set(text::optional("code", code.as_deref(), text::MAX_CODE_LEN)?);
    }
    if let Some(address) = fields.address {
        active.address = Set(text::optional("address", address.as_deref(), 1000)?);
    }
    if let Some(value) = fields.low_stock_threshold {
        active.low_stock_threshold = Set(threshold(value)?);
    }
    if let Some(on) = fields.stock_allocation {
        active.stock_allocation = Set(on);
        // Turned off: the channels selling from it get the shared number again (turned on, the scheduler's
        // rebalance gives them their shares).
        if current.stock_allocation && !on {
            crate::services::link_marks::allocation::end_shares(&txn, &current).await?;
        }
    }
    match fields.is_default {
        Some(true) if !current.is_default => {
            clear_default(&txn).await?;
            active.is_default = Set(true);
        }
        Some(false) if current.is_default => {
            return Err(ServiceError::rejected(
                &["isDefault"],
                ErrorCode::DefaultWarehouseRequired,
                format!("\"{}\" is the default warehouse: make another warehouse the default instead", current.name),
            ));
        }
        _ => {}
    }
    active.updated_at = Set(now());
    let model = active.update(&txn).await?;
    txn.commit().await?;
    Ok(model)
}

pub async fn warehouse_delete(db: &DatabaseConnection, id: i64) -> ServiceResult<i64> {
    let txn = begin_write(db).await?;
    let current = warehouse::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| ServiceError::not_found(&["id"], "Warehouse"))?;
    if current.is_default {
        return Err(ServiceError::rejected(
            &["id"],
            ErrorCode::DefaultWarehouseRequired,
            format!("\"{}\" is the default warehouse and can't be deleted", current.name),
        ));
    }
    // A channel reading its stock would silently push other numbers: the merchant takes it out of the channel's
    // stock warehouses first.
    let readers = crate::services::warehouses::channels_reading(&txn, id).await?;
    if !readers.is_empty() {
        return Err(ServiceError::rejected(
            &["id"],
            ErrorCode::WarehouseInUse,
            format!(
                "\"{}\" is a stock warehouse of {}: remove it from their stock warehouses first",
                current.name,
                readers.iter().map(|n| format!("\"{n}\"")).collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    // Any stock movement ever recorded keeps the warehouse: the ledger must stay explainable.
    let movements =
        inventory_ledger::Entity::find().filter(inventory_ledger::Column::WarehouseId.eq(id)).count(&txn).await?;
    if movements > 0 {
        return Err(ServiceError::rejected(
            &["id"],
            ErrorCode::WarehouseInUse,
            format!("\"{}\" has {movements} recorded stock movements and can't be deleted", current.name),
        ));
    }
    inventory_level::Entity::delete_many().filter(inventory_level::Column::WarehouseId.eq(id)).exec(&txn).await?;
    let result = warehouse::Entity::delete_by_id(id).exec(&txn).await;
    match result {
        Ok(_) => {
            txn.commit().await?;
            Ok(id)
        }
        // Orders, slips or returns still point at it (RESTRICT).
        Err(err) if is_foreign_key_violation(&err) => Err(ServiceError::rejected(
            &["id"],
            ErrorCode::WarehouseInUse,
            format!("\"{}\" is used by orders, returns or export slips and can't be deleted", current.name),
        )),
        Err(err) => Err(err.into()),
    }
}

async fn clear_default<C: ConnectionTrait>(txn: &C) -> ServiceResult<()> {
    warehouse::Entity::update_many()
        .col_expr(warehouse::Column::IsDefault, Expr::value(false))
        .filter(warehouse::Column::IsDefault.eq(true))
        .exec(txn)
        .await?;
    Ok(())
}

fn is_foreign_key_violation(err: &sea_orm::DbErr) -> bool {
    let text = err.to_string().to_lowercase();
    text.contains("foreign key")
}
