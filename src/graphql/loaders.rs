//! DataLoaders: a page of products asks for its variants, their stock levels and warehouses in one query each,
//! not one per row.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use entity::{inventory_level, product_variant};

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

/// Declares a key type loading one row of `$entity` by primary key, so a page of rows asking for a relation
/// (each slip's order, each push's link) costs one query.
macro_rules! by_id {
    ($($(#[$meta:meta])* $key:ident => $entity:ident),+ $(,)?) => {
        $(
            $(#[$meta])*
            #[derive(Clone, Copy, PartialEq, Eq, Hash)]
            pub struct $key(pub i64);

            impl Loader<$key> for Loaders {
                type Value = entity::$entity::Model;
                type Error = LoadError;

                async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, Self::Value>, Self::Error> {
                    let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
                    let rows = entity::$entity::Entity::find()
                        .filter(entity::$entity::Column::Id.is_in(ids))
                        .all(&self.db)
                        .await
                        .map_err(Arc::new)?;
                    Ok(rows.into_iter().map(|row| ($key(row.id), row)).collect())
                }
            }
        )+
    };
}

by_id! {
    /// A warehouse by id.
    WarehouseId => warehouse,
    /// A product by id.
    ProductId => product,
    /// A variant by id.
    VariantId => product_variant,
    /// A stock level by id.
    InventoryLevelId => inventory_level,
    /// A ledger entry by id.
    LedgerEntryId => inventory_ledger,
    /// A channel by id.
    ChannelId => channel,
    /// A channel listing by id.
    ChannelListingId => channel_listing,
    /// A product link by id.
    ProductLinkId => product_link,
    /// A stock push by id.
    StockPushId => stock_push,
    /// An order by id.
    OrderId => order,
    /// An order line by id.
    OrderLineId => order_line,
    /// An order history entry by id.
    OrderEventId => order_event,
    /// A customer by id.
    CustomerId => customer,
    /// An export slip by id.
    ExportSlipId => export_slip,
    /// A recorded return by id.
    OrderReturnId => order_return,
    /// A sync run by id.
    SyncRunId => sync_run,
    /// A sync error by id.
    SyncErrorId => sync_error,
    /// An API token by id.
    ApiTokenId => api_token,
}

/// A relation the schema guarantees (a foreign key): a missing row is a fault, not a null.
pub async fn load_required<K>(
    ctx: &async_graphql::Context<'_>,
    key: K,
    what: &str,
) -> async_graphql::Result<<Loaders as Loader<K>>::Value>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    Loaders: Loader<K, Error = LoadError>,
{
    load_by_id(ctx, key).await?.ok_or_else(|| super::errors::internal(anyhow::anyhow!("{what} is missing")))
}

/// Loads one row by a `by_id!` key through the request's loader; `None` when it is gone.
pub async fn load_by_id<K>(
    ctx: &async_graphql::Context<'_>,
    key: K,
) -> async_graphql::Result<Option<<Loaders as Loader<K>>::Value>>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    Loaders: Loader<K, Error = LoadError>,
{
    ctx.data::<HubLoader>()?.load_one(key).await.map_err(failed)
}

/// A loader failure as the INTERNAL error (cause logged).
pub fn failed(err: LoadError) -> async_graphql::Error {
    super::errors::internal(anyhow::anyhow!("{err}"))
}
