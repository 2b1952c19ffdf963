//! Table `order_lines`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A line of an order.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "order_lines")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub order_id: i64,
    #[sea_orm(column_type = "Text")]
    pub external_line_id: Option<String>,
    pub listing_id: Option<i64>,
    #[sea_orm(column_type = "Text")]
    pub seller_sku: Option<String>,
    pub variant_id: Option<i64>,
    #[sea_orm(column_type = "Text")]
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub variant_title: Option<String>,
    pub quantity: i64,
    /// Unit price, minor units of the order currency.
    pub price_minor: i64,
    pub discount_minor: i64,
    pub reserved_quantity: i64,
    pub fulfilled_quantity: i64,
    pub returned_quantity: i64,
    #[sea_orm(column_type = "Text")]
    pub unit: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub image_url: Option<String>,
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
    #[sea_orm(
        belongs_to = "super::channel_listing::Entity",
        from = "Column::ListingId",
        to = "super::channel_listing::Column::Id",
        on_delete = "SetNull"
    )]
    ChannelListing,
    #[sea_orm(
        belongs_to = "super::product_variant::Entity",
        from = "Column::VariantId",
        to = "super::product_variant::Column::Id",
        on_delete = "SetNull"
    )]
    ProductVariant,
}

impl Related<super::order::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Order.def()
    }
}

impl Related<super::channel_listing::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ChannelListing.def()
    }
}

impl Related<super::product_variant::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ProductVariant.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
