//! Table `export_slips`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::ExportSlipStatus;

/// An export slip: stock leaving a warehouse for a channel order.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "export_slips")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub order_id: i64,
    pub warehouse_id: i64,
    #[sea_orm(column_type = "Text", unique)]
    pub code: String,
    pub status: ExportSlipStatus,
    pub created_at: DateTimeUtc,
    pub exported_at: Option<DateTimeUtc>,
    pub cancelled_at: Option<DateTimeUtc>,
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
    #[sea_orm(has_many = "super::export_slip_line::Entity")]
    ExportSlipLine,
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

impl Related<super::export_slip_line::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ExportSlipLine.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
