//! Table `return_lines`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A line of a return.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "return_lines")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub return_id: i64,
    pub order_line_id: i64,
    pub variant_id: Option<i64>,
    pub quantity: i64,
    pub restock_quantity: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::order_return::Entity",
        from = "Column::ReturnId",
        to = "super::order_return::Column::Id",
        on_delete = "Cascade"
    )]
    OrderReturn,
    #[sea_orm(
        belongs_to = "super::order_line::Entity",
        from = "Column::OrderLineId",
        to = "super::order_line::Column::Id",
        on_delete = "Cascade"
    )]
    OrderLine,
    #[sea_orm(
        belongs_to = "super::product_variant::Entity",
        from = "Column::VariantId",
        to = "super::product_variant::Column::Id",
        on_delete = "SetNull"
    )]
    ProductVariant,
}

impl Related<super::order_return::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::OrderReturn.def()
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
