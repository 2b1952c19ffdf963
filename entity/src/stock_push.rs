//! Table `stock_pushes`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// History of quantity/price pushes to channels (kept `push_history_retention_days`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "stock_pushes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub channel_id: i64,
    pub product_link_id: Option<i64>,
    /// Not a foreign key: history outlives the variant.
    pub variant_id: Option<i64>,
    #[sea_orm(column_type = "Text")]
    pub seller_sku: Option<String>,
    pub quantity: Option<i64>,
    pub price_minor: Option<i64>,
    pub inputs: Json,
    pub ok: bool,
    pub response: Option<Json>,
    pub error_code: Option<String>,
    pub created_at: DateTimeUtc,
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
    #[sea_orm(
        belongs_to = "super::product_link::Entity",
        from = "Column::ProductLinkId",
        to = "super::product_link::Column::Id",
        on_delete = "SetNull"
    )]
    ProductLink,
}

impl Related<super::channel::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Channel.def()
    }
}

impl Related<super::product_link::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ProductLink.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
