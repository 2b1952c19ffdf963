//! Table `bundle_components`.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One component of a bundle: the bundle variant is made of `quantity` × the component variant. A variant with
/// components is a bundle: it holds no stock of its own (orders, slips and returns of it move its components).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "bundle_components")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub bundle_variant_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub component_variant_id: i64,
    /// Units of the component in one bundle, ≥ 1.
    pub quantity: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::product_variant::Entity",
        from = "Column::BundleVariantId",
        to = "super::product_variant::Column::Id",
        on_delete = "Cascade"
    )]
    Bundle,
    #[sea_orm(
        belongs_to = "super::product_variant::Entity",
        from = "Column::ComponentVariantId",
        to = "super::product_variant::Column::Id",
        on_delete = "Restrict"
    )]
    Component,
}

impl ActiveModelBehavior for ActiveModel {}
