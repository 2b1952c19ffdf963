//! Table `warehouses`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A place that holds stock. Exactly one is the default ("Kho tổng", seeded by the migration).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "warehouses")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(column_type = "Text")]
    pub name: String,
    #[sea_orm(column_type = "Text")]
    pub code: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub address: Option<String>,
    /// At most one row is true (partial unique index).
    pub is_default: bool,
    /// Its units are split between the channels that sell from it, by their weights (allocation), always.
    pub stock_allocation: bool,
    /// Allocation turns on for a variant whose available units here fall to this or below (a variant's own
    /// threshold overrides it); null: only `stock_allocation`.
    pub low_stock_threshold: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
