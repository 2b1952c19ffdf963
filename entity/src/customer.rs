//! Table `customers`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A customer saved from channel orders.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "customers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub channel_id: Option<i64>,
    #[sea_orm(column_type = "Text")]
    pub external_id: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub name: String,
    #[sea_orm(column_type = "Text")]
    pub phone: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub email: Option<String>,
    pub address: Option<Json>,
    pub created_at: DateTimeUtc,
    /// Folded name, phone and e-mail, for search (`derived::customer_search_text`), written with them.
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
        on_delete = "SetNull"
    )]
    Channel,
}

impl Related<super::channel::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Channel.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
