//! Table `products`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A hub catalog product; stock and prices live on its variants.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "products")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(column_type = "Text")]
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub description: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub vendor: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub product_type: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub image_url: Option<String>,
    /// Cache of on hand over all variants and warehouses, written by the totals job.
    pub total_on_hand: i64,
    /// When `total_on_hand` was last computed.
    pub totals_computed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    /// Folded title, for search (`derived::product_search_text`), written with them.
    #[sea_orm(column_type = "Text")]
    pub search_text: String,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::product_variant::Entity")]
    ProductVariant,
}

impl Related<super::product_variant::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ProductVariant.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
