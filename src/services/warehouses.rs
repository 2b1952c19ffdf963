//! Warehouse lookups needed below the catalog: the default warehouse, which push marking needs without
//! importing the catalog (`catalog::default_warehouse` re-exports it).

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use entity::warehouse;

use super::{ServiceError, ServiceResult};

pub async fn default_warehouse<C: ConnectionTrait>(db: &C) -> ServiceResult<warehouse::Model> {
    warehouse::Entity::find()
        .filter(warehouse::Column::IsDefault.eq(true))
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::Unexpected(anyhow::anyhow!("no default warehouse: the migrations seed one")))
}
