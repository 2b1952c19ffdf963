//! Table `export_slip_lines`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A line of an export slip.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "export_slip_lines")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub slip_id: i64,
    pub order_line_id: Option<i64>,
    pub variant_id: i64,
    pub quantity: i64,
    /// Units moved from committed to pending export (the order had reserved them in this warehouse).
    pub moved_from_committed: i64,
    /// Units of the order's reservation released in its own (other) warehouse, `released_warehouse_id`.
    pub released_quantity: i64,
    pub released_warehouse_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::export_slip::Entity",
        from = "Column::SlipId",
        to = "super::export_slip::Column::Id",
        on_delete = "Cascade"
    )]
    ExportSlip,
    #[sea_orm(
        belongs_to = "super::order_line::Entity",
        from = "Column::OrderLineId",
        to = "super::order_line::Column::Id",
        on_delete = "SetNull"
    )]
    OrderLine,
    #[sea_orm(
        belongs_to = "super::product_variant::Entity",
        from = "Column::VariantId",
        to = "super::product_variant::Column::Id",
        on_delete = "Restrict"
    )]
    ProductVariant,
}

impl Related<super::export_slip::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ExportSlip.def()
    }
}

impl Related<super::order_line::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::OrderLine.def()
    }
}

impl Related<super::product_variant::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ProductVariant.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
