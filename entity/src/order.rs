//! Table `orders`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::{OrderStatus, PaymentStatus};

/// An order imported from a channel.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub channel_id: i64,
    #[sea_orm(column_type = "Text")]
    pub external_id: String,
    #[sea_orm(column_type = "Text")]
    pub order_number: Option<String>,
    pub hub_status: OrderStatus,
    /// The channel's raw status.
    #[sea_orm(column_type = "Text")]
    pub channel_status: Option<String>,
    pub payment_status: PaymentStatus,
    pub customer_id: Option<i64>,
    #[sea_orm(column_type = "Text")]
    pub customer_name: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub customer_phone: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub customer_email: Option<String>,
    pub shipping_address: Option<Json>,
    /// ISO 4217 code; amounts are in its minor units.
    #[sea_orm(column_type = "String(StringLen::N(3))")]
    pub currency: String,
    pub subtotal_minor: i64,
    pub shipping_fee_minor: i64,
    pub discount_minor: i64,
    pub total_minor: i64,
    pub refunded_minor: i64,
    pub warehouse_id: Option<i64>,
    pub has_unlinked_lines: bool,
    #[sea_orm(column_type = "Text")]
    pub cancel_reason: Option<String>,
    /// The last shipping label the channel gave (`domain::channel::ShippingLabel` as JSON).
    pub shipping_label: Option<Json>,
    pub label_printed_at: Option<DateTimeUtc>,
    pub placed_at: DateTimeUtc,
    pub channel_updated_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    /// Folded number, channel id, buyer's name and phone, for search (`derived::order_search_text`), written with them.
    #[sea_orm(column_type = "Text")]
    pub search_text: String,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::channel::Entity",
        from = "Column::ChannelId",
        to = "super::channel::Column::Id",
        on_delete = "Restrict"
    )]
    Channel,
    #[sea_orm(
        belongs_to = "super::customer::Entity",
        from = "Column::CustomerId",
        to = "super::customer::Column::Id",
        on_delete = "SetNull"
    )]
    Customer,
    #[sea_orm(
        belongs_to = "super::warehouse::Entity",
        from = "Column::WarehouseId",
        to = "super::warehouse::Column::Id",
        on_delete = "SetNull"
    )]
    Warehouse,
    #[sea_orm(has_many = "super::order_line::Entity")]
    OrderLine,
    #[sea_orm(has_many = "super::order_event::Entity")]
    OrderEvent,
}

impl Related<super::channel::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Channel.def()
    }
}

impl Related<super::customer::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Customer.def()
    }
}

impl Related<super::warehouse::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Warehouse.def()
    }
}

impl Related<super::order_line::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::OrderLine.def()
    }
}

impl Related<super::order_event::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::OrderEvent.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
