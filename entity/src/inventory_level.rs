//! Table `inventory_levels`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Stock of one variant in one warehouse. `available` = on_hand − committed − pending_export is derived,
/// never stored.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "inventory_levels")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub variant_id: i64,
    pub warehouse_id: i64,
    pub on_hand: i64,
    /// Reserved by open orders.
    pub committed: i64,
    /// On export slips that are waiting.
    pub pending_export: i64,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::product_variant::Entity",
        from = "Column::VariantId",
        to = "super::product_variant::Column::Id",
        on_delete = "Cascade"
    )]
    ProductVariant,
    #[sea_orm(
        belongs_to = "super::warehouse::Entity",
        from = "Column::WarehouseId",
        to = "super::warehouse::Column::Id",
        on_delete = "Restrict"
    )]
    Warehouse,
}

impl Related<super::product_variant::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ProductVariant.def()
    }
}

impl Related<super::warehouse::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Warehouse.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
