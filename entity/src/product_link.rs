//! Table `product_links`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::enums::LinkState;

/// The link between a channel listing and a hub variant, with its sync state.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "product_links")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub channel_id: i64,
    #[sea_orm(unique)]
    pub listing_id: Option<i64>,
    pub variant_id: Option<i64>,
    pub product_id: Option<i64>,
    pub state: LinkState,
    pub error_code: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub error_message: Option<String>,
    pub last_pushed_quantity: Option<i64>,
    pub last_pushed_price_minor: Option<i64>,
    pub last_pushed_at: Option<DateTimeUtc>,
    /// The sale the channel was last given (`{price, startsAt, endsAt}`), where the marketplace schedules sales.
    pub last_pushed_sale: Option<Json>,
    pub push_pending: bool,
    pub push_requested_at: Option<DateTimeUtc>,
    /// A push of this link timed out and may still land until then; after it the link is pushed once more.
    pub push_in_doubt_until: Option<DateTimeUtc>,
    /// The pending change leaves the channel's quantity at 0: pushed before every other due link of the channel.
    pub push_sells_out: bool,
    /// The channel's share of the variant's units while its warehouse allocates (what it may still sell, as far
    /// as the hub knows); null: the shared rule applies.
    pub allocated_quantity: Option<i64>,
    /// When an order of the channel last took the variant while it was allocated (a quiet channel's share may
    /// change).
    pub last_sold_at: Option<DateTimeUtc>,
    pub linked_at: Option<DateTimeUtc>,
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
    #[sea_orm(
        belongs_to = "super::channel_listing::Entity",
        from = "Column::ListingId",
        to = "super::channel_listing::Column::Id",
        on_delete = "Cascade"
    )]
    ChannelListing,
    #[sea_orm(
        belongs_to = "super::product_variant::Entity",
        from = "Column::VariantId",
        to = "super::product_variant::Column::Id",
        on_delete = "SetNull"
    )]
    ProductVariant,
    #[sea_orm(
        belongs_to = "super::product::Entity",
        from = "Column::ProductId",
        to = "super::product::Column::Id",
        on_delete = "SetNull"
    )]
    Product,
}

impl Related<super::channel::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Channel.def()
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

impl Related<super::product::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Product.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
