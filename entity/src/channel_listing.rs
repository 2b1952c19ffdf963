//! Table `channel_listings`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A product variant (SKU) as listed on a channel, as last pulled from it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "channel_listings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub channel_id: i64,
    #[sea_orm(column_type = "Text")]
    pub external_product_id: String,
    #[sea_orm(column_type = "Text")]
    pub external_sku_id: String,
    /// The channel's matching field (Lazada Seller SKU, Tiki product code, …).
    #[sea_orm(column_type = "Text")]
    pub seller_sku: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub variant_title: Option<String>,
    pub options: Option<Json>,
    pub price_minor: Option<i64>,
    pub list_price_minor: Option<i64>,
    pub quantity: Option<i64>,
    #[sea_orm(column_type = "Text")]
    pub channel_status: Option<String>,
    pub raw: Json,
    /// Set by a permanent "delete link": the listing is never linked again.
    pub link_excluded: bool,
    /// A bundle of the marketplace's own (a Shopee virtual SKU, a TikTok combo): the marketplace computes its stock
    /// from its items and refused it by API, so no quantity is pushed to it. Set by the hub, never by a pull.
    pub stock_computed_by_channel: bool,
    pub seen_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
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
