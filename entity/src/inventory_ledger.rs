//! Table `inventory_ledger`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::{ActorKind, LedgerReason, LedgerReference};

/// Append-only history of stock changes: one row per change of an inventory level; nothing updates or deletes
/// a row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "inventory_ledger")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub variant_id: i64,
    pub warehouse_id: i64,
    pub on_hand_delta: i64,
    pub committed_delta: i64,
    pub pending_export_delta: i64,
    pub on_hand_after: i64,
    pub committed_after: i64,
    pub pending_export_after: i64,
    pub reason: LedgerReason,
    pub reference_type: Option<LedgerReference>,
    /// Id of the row named by `reference_type`.
    pub reference_id: Option<i64>,
    #[sea_orm(column_type = "Text")]
    pub note: Option<String>,
    /// Who moved the stock; NULL on rows written before actors were recorded (unknown).
    pub actor_kind: Option<ActorKind>,
    /// The API token's, channel's or hub part's name at the time; NULL when `actor_kind` is.
    pub actor_name: Option<String>,
    /// The bundle whose order, slip or return moved this component (`bundle_components`); NULL otherwise.
    pub bundle_variant_id: Option<i64>,
    pub created_at: DateTimeUtc,
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
