//! DataLoaders: a page asks for each relation of its rows in one query (a page of products: its variants, their
//! stock levels and warehouses; a page of orders: their lines, customers, channels and the lines' variants), not one
//! per row. Every relation field of the schema loads through here.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

/// Loads by id, batched per request tick.
#[derive(Clone)]
pub struct Loaders {
    db: DatabaseConnection,
}

pub type HubLoader = DataLoader<Loaders>;

pub fn new(db: DatabaseConnection) -> HubLoader {
    DataLoader::new(Loaders { db }, tokio::spawn)
}

type LoadError = Arc<sea_orm::DbErr>;

/// Declares a key type loading the rows of `$entity` whose `$parent` column is the key, in the given column
/// order, so a page of parents asking for their children costs one query.
macro_rules! children {
    ($($(#[$meta:meta])* $key:ident => $entity:ident by $parent:ident ($field:ident), ordered by [$($order:ident),+]);+ $(;)?) => {
        $(
            $(#[$meta])*
            #[derive(Clone, Copy, PartialEq, Eq, Hash)]
            pub struct $key(pub i64);

            impl Loader<$key> for Loaders {
                type Value = Vec<entity::$entity::Model>;
                type Error = LoadError;

                async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, Self::Value>, Self::Error> {
                    let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
                    let rows = entity::$entity::Entity::find()
                        .filter(entity::$entity::Column::$parent.is_in(ids))
                        $(.order_by_asc(entity::$entity::Column::$order))+
                        .all(&self.db)
                        .await
                        .map_err(Arc::new)?;
                    Ok(group(keys, rows, |row| $key(row.$field)))
                }
            }
        )+
    };
}

/// The export slips of an order (key: order id), oldest first.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SlipsOf(pub i64);
/// The open sync errors of an order (key: order id), oldest first.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct OpenErrorsOf(pub i64);
/// The returns recorded for an order (key: order id), oldest first.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReturnsOf(pub i64);

impl Loader<ReturnsOf> for Loaders {
    type Value = Vec<entity::order_return::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[ReturnsOf]) -> Result<HashMap<ReturnsOf, Self::Value>, Self::Error> {
        let rows = crate::services::orders::returns(&self.db, keys.iter().map(|k| k.0).collect())
            .await
            .map_err(service_failure)?;
        Ok(group(keys, rows, |row| ReturnsOf(row.order_id)))
    }
}

impl Loader<SlipsOf> for Loaders {
    type Value = Vec<entity::export_slip::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[SlipsOf]) -> Result<HashMap<SlipsOf, Self::Value>, Self::Error> {
        let rows = crate::services::orders::export_slips(&self.db, keys.iter().map(|k| k.0).collect())
            .await
            .map_err(service_failure)?;
        Ok(group(keys, rows, |row| SlipsOf(row.order_id)))
    }
}

impl Loader<OpenErrorsOf> for Loaders {
    type Value = Vec<entity::sync_error::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[OpenErrorsOf]) -> Result<HashMap<OpenErrorsOf, Self::Value>, Self::Error> {
        let rows = crate::services::orders::open_errors(&self.db, keys.iter().map(|k| k.0).collect())
            .await
            .map_err(service_failure)?;
        Ok(group(keys, rows, |row| OpenErrorsOf(row.order_id.unwrap_or_default())))
    }
}

/// Rows under the key each belongs to, every key present (empty when it has none).
fn group<K: Copy + Eq + std::hash::Hash, R>(keys: &[K], rows: Vec<R>, key_of: impl Fn(&R) -> K) -> HashMap<K, Vec<R>> {
    let mut out: HashMap<K, Vec<R>> = keys.iter().map(|k| (*k, Vec::new())).collect();
    for row in rows {
        out.entry(key_of(&row)).or_default().push(row);
    }
    out
}

/// A service's failure as a loader error (database faults are the only ones a read returns).
fn service_failure(err: crate::services::ServiceError) -> LoadError {
    Arc::new(sea_orm::DbErr::Custom(err.to_string()))
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

children! {
    /// The variants of a product (key: product id), in position order.
    VariantsOf => product_variant by ProductId (product_id), ordered by [Position, Id];
    /// The levels of a variant (key: variant id), by warehouse.
    LevelsOf => inventory_level by VariantId (variant_id), ordered by [WarehouseId];
    /// The lines of an order (key: order id), in the channel's order.
    LinesOf => order_line by OrderId (order_id), ordered by [Id];
    /// The lines of an export slip (key: slip id).
    SlipLinesOf => export_slip_line by SlipId (slip_id), ordered by [Id];
    /// The lines of a recorded return (key: return id).
    ReturnLinesOf => return_line by ReturnId (return_id), ordered by [Id];
    /// The components of a bundle (key: bundle variant id), in component id order.
    ComponentsOf => bundle_component by BundleVariantId (bundle_variant_id), ordered by [ComponentVariantId];
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

/// Loads the rows of a `children!` key through the request's loader (empty when there are none).
pub async fn load_children<K>(
    ctx: &async_graphql::Context<'_>,
    key: K,
) -> async_graphql::Result<<Loaders as Loader<K>>::Value>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    Loaders: Loader<K, Error = LoadError>,
    <Loaders as Loader<K>>::Value: Default,
{
    Ok(ctx.data::<HubLoader>()?.load_one(key).await.map_err(failed)?.unwrap_or_default())
}

/// A loader failure as the INTERNAL error (cause logged).
pub fn failed(err: LoadError) -> async_graphql::Error {
    super::errors::internal(anyhow::anyhow!("{err}"))
}
