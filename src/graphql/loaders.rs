//! DataLoaders: a page of products asks for its variants, their stock levels and warehouses in one query each,
//! not one per row.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use entity::{inventory_level, product_variant, warehouse};

/// Loads by id, batched per request tick.
#[derive(Clone)]
pub struct Loaders {
    db: DatabaseConnection,
}

pub type HubLoader = DataLoader<Loaders>;

pub fn new(db: DatabaseConnection) -> HubLoader {
    DataLoader::new(Loaders { db }, tokio::spawn)
}

/// The variants of a product (key: product id), in position order.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct VariantsOf(pub i64);
/// The levels of a variant (key: variant id), by warehouse.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct LevelsOf(pub i64);
/// A warehouse by id.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct WarehouseId(pub i64);

type LoadError = Arc<sea_orm::DbErr>;

impl Loader<VariantsOf> for Loaders {
    type Value = Vec<product_variant::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[VariantsOf]) -> Result<HashMap<VariantsOf, Self::Value>, Self::Error> {
        let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        let rows = product_variant::Entity::find()
            .filter(product_variant::Column::ProductId.is_in(ids))
            .order_by_asc(product_variant::Column::Position)
            .order_by_asc(product_variant::Column::Id)
            .all(&self.db)
            .await
            .map_err(Arc::new)?;
        let mut out: HashMap<VariantsOf, Self::Value> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for row in rows {
            out.entry(VariantsOf(row.product_id)).or_default().push(row);
        }
        Ok(out)
    }
}

impl Loader<LevelsOf> for Loaders {
    type Value = Vec<inventory_level::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[LevelsOf]) -> Result<HashMap<LevelsOf, Self::Value>, Self::Error> {
        let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        let rows = inventory_level::Entity::find()
            .filter(inventory_level::Column::VariantId.is_in(ids))
            .order_by_asc(inventory_level::Column::WarehouseId)
            .all(&self.db)
            .await
            .map_err(Arc::new)?;
        let mut out: HashMap<LevelsOf, Self::Value> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for row in rows {
            out.entry(LevelsOf(row.variant_id)).or_default().push(row);
        }
        Ok(out)
    }
}

impl Loader<WarehouseId> for Loaders {
    type Value = warehouse::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[WarehouseId]) -> Result<HashMap<WarehouseId, Self::Value>, Self::Error> {
        let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        let rows =
            warehouse::Entity::find().filter(warehouse::Column::Id.is_in(ids)).all(&self.db).await.map_err(Arc::new)?;
        Ok(rows.into_iter().map(|w| (WarehouseId(w.id), w)).collect())
    }
}

/// A loader failure as the INTERNAL error (cause logged).
pub fn failed(err: LoadError) -> async_graphql::Error {
    super::errors::internal(anyhow::anyhow!("{err}"))
}
