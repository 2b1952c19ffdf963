//! Table `sync_errors`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::SyncErrorKind;

/// A product or order sync error; a repeat of the same error bumps `occurrences` and `last_seen_at`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "sync_errors")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub channel_id: Option<i64>,
    pub kind: SyncErrorKind,
    pub code: String,
    #[sea_orm(column_type = "Text")]
    pub message: String,
    pub product_link_id: Option<i64>,
    pub variant_id: Option<i64>,
    pub listing_id: Option<i64>,
    pub order_id: Option<i64>,
    pub details: Option<Json>,
    pub occurrences: i32,
    pub first_seen_at: DateTimeUtc,
    pub last_seen_at: DateTimeUtc,
    pub resolved_at: Option<DateTimeUtc>,
    pub dismissed_at: Option<DateTimeUtc>,
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
    #[sea_orm(
        belongs_to = "super::product_variant::Entity",
        from = "Column::VariantId",
        to = "super::product_variant::Column::Id",
        on_delete = "SetNull"
    )]
    ProductVariant,
    #[sea_orm(
        belongs_to = "super::channel_listing::Entity",
        from = "Column::ListingId",
        to = "super::channel_listing::Column::Id",
        on_delete = "SetNull"
    )]
    ChannelListing,
    #[sea_orm(
        belongs_to = "super::order::Entity",
        from = "Column::OrderId",
        to = "super::order::Column::Id",
        on_delete = "SetNull"
    )]
    Order,
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

impl Related<super::product_variant::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ProductVariant.def()
    }
}

impl Related<super::channel_listing::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ChannelListing.def()
    }
}

impl Related<super::order::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Order.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
