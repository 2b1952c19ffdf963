//! Reads of stock (levels, the ledger) and the per-product on-hand totals recomputed from the levels.

use std::collections::BTreeMap;

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use entity::{inventory_ledger, inventory_level, product, product_variant};

use crate::domain::actor::ActorFilter;
use crate::services::pagination::{Page, PageArgs, paginate};
use crate::services::{ServiceResult, begin_write};

#[derive(Debug, Clone, Default)]
pub struct LevelFilter {
    pub variant_id: Option<i64>,
    pub warehouse_id: Option<i64>,
}

pub async fn levels(
    db: &DatabaseConnection,
    filter: &LevelFilter,
    page: &PageArgs,
) -> ServiceResult<Page<inventory_level::Model>> {
    let mut select = inventory_level::Entity::find();
    if let Some(id) = filter.variant_id {
        select = select.filter(inventory_level::Column::VariantId.eq(id));
    }
    if let Some(id) = filter.warehouse_id {
        select = select.filter(inventory_level::Column::WarehouseId.eq(id));
    }
    paginate(db, select, inventory_level::Column::Id, page).await
}

pub async fn level(db: &DatabaseConnection, id: i64) -> ServiceResult<Option<inventory_level::Model>> {
    Ok(inventory_level::Entity::find_by_id(id).one(db).await?)
}

/// Which ledger entries to list: by level, and by who moved the stock.
#[derive(Debug, Clone, Default)]
pub struct LedgerFilter {
    pub variant_id: Option<i64>,
    pub warehouse_id: Option<i64>,
    pub actor: ActorFilter,
}

pub async fn ledger(
    db: &DatabaseConnection,
    filter: &LedgerFilter,
    page: &PageArgs,
) -> ServiceResult<Page<inventory_ledger::Model>> {
    let mut select = inventory_ledger::Entity::find();
    if let Some(id) = filter.variant_id {
        select = select.filter(inventory_ledger::Column::VariantId.eq(id));
    }
    if let Some(id) = filter.warehouse_id {
        select = select.filter(inventory_ledger::Column::WarehouseId.eq(id));
    }
    if let Some(kind) = filter.actor.kind {
        select = select.filter(inventory_ledger::Column::ActorKind.eq(kind));
    }
    if let Some(name) = &filter.actor.name {
        select = select.filter(inventory_ledger::Column::ActorName.eq(name.as_str()));
    }
    paginate(db, select, inventory_ledger::Column::Id, page).await
}

pub async fn all_product_ids(db: &DatabaseConnection) -> ServiceResult<Vec<i64>> {
    Ok(product::Entity::find()
        .select_only()
        .column(product::Column::Id)
        .order_by_asc(product::Column::Id)
        .into_tuple::<i64>()
        .all(db)
        .await?)
}

/// Writes `total_on_hand` (sum of on-hand over every variant and warehouse) of each product that exists;
/// returns how many were written (ids of deleted products are skipped).
pub async fn recompute_product_totals(db: &DatabaseConnection, product_ids: &[i64]) -> ServiceResult<usize> {
    let variants: Vec<(i64, i64)> = product_variant::Entity::find()
        .select_only()
        .column(product_variant::Column::Id)
        .column(product_variant::Column::ProductId)
        .filter(product_variant::Column::ProductId.is_in(product_ids.to_vec()))
        .into_tuple()
        .all(db)
        .await?;
    let product_of: BTreeMap<i64, i64> = variants.iter().copied().collect();
    let levels: Vec<(i64, i64)> = inventory_level::Entity::find()
        .select_only()
        .column(inventory_level::Column::VariantId)
        .column(inventory_level::Column::OnHand)
        .filter(inventory_level::Column::VariantId.is_in(product_of.keys().copied().collect::<Vec<_>>()))
        .into_tuple()
        .all(db)
        .await?;
    let mut totals: BTreeMap<i64, i64> = product_ids.iter().map(|id| (*id, 0)).collect();
    for (variant_id, on_hand) in levels {
        if let Some(product_id) = product_of.get(&variant_id) {
            *totals.entry(*product_id).or_default() += on_hand;
        }
    }
    let txn = begin_write(db).await?;
    let now = chrono::Utc::now();
    let mut written = 0;
    for (product_id, total) in totals {
        let result = product::Entity::update_many()
            .col_expr(product::Column::TotalOnHand, Expr::value(total))
            .col_expr(product::Column::TotalsComputedAt, Expr::value(now))
            .filter(product::Column::Id.eq(product_id))
            .exec(&txn)
            .await?;
        written += result.rows_affected as usize;
    }
    txn.commit().await?;
    Ok(written)
}
