//! Table `order_events`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::{ActorKind, OrderEventKind, OrderStatus};

/// A line of an order's history.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "order_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub order_id: i64,
    pub kind: OrderEventKind,
    #[sea_orm(column_type = "Text")]
    pub message: String,
    /// Hub status before the change (`STATUS_CHANGED` events).
    pub from_status: Option<OrderStatus>,
    /// Hub status after the change (`STATUS_CHANGED` events).
    pub to_status: Option<OrderStatus>,
    pub data: Option<Json>,
    /// Who did it; NULL on rows written before actors were recorded (unknown).
    pub actor_kind: Option<ActorKind>,
    /// The API token's, channel's or hub part's name at the time; NULL when `actor_kind` is.
    pub actor_name: Option<String>,
    pub created_at: DateTimeUtc,
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
}

impl Related<super::order::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Order.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
