//! Table `product_variants`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A sellable variant of a product (the unit that is stocked, priced and linked to channel listings).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "product_variants")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub product_id: i64,
    #[sea_orm(column_type = "Text")]
    pub title: String,
    pub position: i32,
    /// Trimmed, case-sensitive; unique within the product.
    #[sea_orm(column_type = "Text")]
    pub sku: Option<String>,
    /// Trimmed, case-sensitive, not necessarily a GTIN; unique within the product.
    #[sea_orm(column_type = "Text")]
    pub barcode: Option<String>,
    /// Retail price, minor units of the shop currency.
    pub price_minor: i64,
    /// List (compare-at) price, minor units.
    pub list_price_minor: Option<i64>,
    /// Cost price, minor units.
    pub cost_price_minor: Option<i64>,
    /// A sale price for a time (all three set, or none): pushed where the marketplace schedules sale prices.
    pub sale_price_minor: Option<i64>,
    pub sale_starts_at: Option<DateTimeUtc>,
    pub sale_ends_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text")]
    pub option1_name: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub option1_value: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub option2_name: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub option2_value: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub option3_name: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub option3_value: Option<String>,
    pub track_inventory: bool,
    pub allow_oversell: bool,
    /// Units held back from what every channel is pushed, instead of the channel's safety stock; null: the
    /// channel's.
    pub safety_stock_units: Option<i64>,
    /// Allocation turns on for this variant when its available units in a warehouse fall to this or below;
    /// null: the warehouse's threshold.
    pub low_stock_threshold: Option<i64>,
    #[sea_orm(column_type = "Text")]
    pub unit: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub image_url: Option<String>,
    pub hidden: bool,
    pub created_at: DateTimeUtc,
    /// Folded title and option values, for search (`derived::variant_search_text`), written with them.
    #[sea_orm(column_type = "Text")]
    pub search_text: String,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::product::Entity",
        from = "Column::ProductId",
        to = "super::product::Column::Id",
        on_delete = "Cascade"
    )]
    Product,
    #[sea_orm(has_many = "super::inventory_level::Entity")]
    InventoryLevel,
}

impl Related<super::product::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Product.def()
    }
}

impl Related<super::inventory_level::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::InventoryLevel.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
