//! Table `returns`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::ReturnStatus;

/// A return recorded in the hub for an order (which lines, how many, what is restocked).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "returns")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub order_id: i64,
    pub warehouse_id: i64,
    pub status: ReturnStatus,
    pub refunded_minor: i64,
    #[sea_orm(column_type = "Text")]
    pub note: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::order::Entity",
        from = "Column::OrderId",
        to = "super::order::Column::Id",
        on_delete = "Cascade"
    )]
    Order,
    #[sea_orm(
        belongs_to = "super::warehouse::Entity",
        from = "Column::WarehouseId",
        to = "super::warehouse::Column::Id",
        on_delete = "Restrict"
    )]
    Warehouse,
    #[sea_orm(has_many = "super::return_line::Entity")]
    ReturnLine,
}

impl Related<super::order::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Order.def()
    }
}

impl Related<super::warehouse::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Warehouse.def()
    }
}

impl Related<super::return_line::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ReturnLine.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
