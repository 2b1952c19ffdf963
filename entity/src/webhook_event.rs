//! Table `webhook_events`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A webhook received from a channel, deduplicated by `dedup_key`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "webhook_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub channel_id: i64,
    #[sea_orm(column_type = "Text")]
    pub dedup_key: String,
    #[sea_orm(column_type = "Text")]
    pub topic: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub external_order_id: Option<String>,
    pub payload: Json,
    pub received_at: DateTimeUtc,
    pub processed_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text")]
    pub error: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::channel::Entity",
        from = "Column::ChannelId",
        to = "super::channel::Column::Id",
        on_delete = "Cascade"
    )]
    Channel,
}

impl Related<super::channel::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Channel.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
