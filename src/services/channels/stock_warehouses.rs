//! A channel's stock warehouses (Sapo: "một hoặc nhiều chi nhánh"): the setting's checks and its storage
//! (`channel_stock_warehouses`). Reads are `services::warehouses::stock_warehouses`, below the push flow.

use std::collections::{BTreeSet, HashSet};

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use entity::{channel_stock_warehouse, warehouse};

use crate::domain::errors::{ErrorCode, FieldError};
use crate::services::ServiceResult;

/// Most stock warehouses one channel may read.
pub const MAX_STOCK_WAREHOUSES: usize = 50;

const FIELD: &str = "stockWarehouseIds";

/// Refusals of a list of stock warehouses: too many, the same one twice, one that does not exist (each named by
/// its index).
pub async fn check<C: ConnectionTrait>(db: &C, ids: &[i64]) -> ServiceResult<Vec<FieldError>> {
    let mut errors = Vec::new();
    if ids.len() > MAX_STOCK_WAREHOUSES {
        errors.push(FieldError::new(
            &["settings", FIELD],
            ErrorCode::TooMany,
            format!("at most {MAX_STOCK_WAREHOUSES} stock warehouses, not {}", ids.len()),
        ));
        return Ok(errors);
    }
    let existing: HashSet<i64> = warehouse::Entity::find()
        .filter(warehouse::Column::Id.is_in(ids.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .map(|w| w.id)
        .collect();
    let mut seen = HashSet::new();
    for (i, id) in ids.iter().enumerate() {
        let index = i.to_string();
        if !seen.insert(*id) {
            errors.push(FieldError::new(
                &["settings", FIELD, &index],
                ErrorCode::DuplicateEntry,
                "this warehouse is already in the list",
            ));
        } else if !existing.contains(id) {
            errors.push(FieldError::new(&["settings", FIELD, &index], ErrorCode::NotFound, "Warehouse not found"));
        }
    }
    Ok(errors)
}

/// Makes `ids` the channel's stock warehouses (empty: the default warehouse). Returns whether they changed.
pub async fn replace<C: ConnectionTrait>(db: &C, channel_id: i64, ids: &[i64]) -> ServiceResult<bool> {
    let current: BTreeSet<i64> = channel_stock_warehouse::Entity::find()
        .filter(channel_stock_warehouse::Column::ChannelId.eq(channel_id))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.warehouse_id)
        .collect();
    let wanted: BTreeSet<i64> = ids.iter().copied().collect();
    if current == wanted {
        return Ok(false);
    }
    channel_stock_warehouse::Entity::delete_many()
        .filter(channel_stock_warehouse::Column::ChannelId.eq(channel_id))
        .exec(db)
        .await?;
    if !wanted.is_empty() {
        let rows = wanted.iter().map(|&warehouse_id| channel_stock_warehouse::ActiveModel {
            channel_id: sea_orm::ActiveValue::Set(channel_id),
            warehouse_id: sea_orm::ActiveValue::Set(warehouse_id),
        });
        channel_stock_warehouse::Entity::insert_many(rows).exec_without_returning(db).await?;
    }
    Ok(true)
}
