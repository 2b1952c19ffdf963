//! Warehouse lookups needed below the catalog: the default warehouse, which push marking needs without
//! importing the catalog (`catalog::default_warehouse` re-exports it), and the warehouses whose stock a channel
//! gets (one or more chosen, else the default), which marking, the push and its explanation read alike.

use std::collections::{BTreeMap, HashMap};

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use entity::{channel_stock_warehouse, inventory_level, warehouse};

use super::{IN_CHUNK, ServiceError, ServiceResult};
use crate::domain::bundles;
use crate::domain::inventory::Quantities;

pub async fn default_warehouse<C: ConnectionTrait>(db: &C) -> ServiceResult<warehouse::Model> {
    warehouse::Entity::find()
        .filter(warehouse::Column::IsDefault.eq(true))
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::Unexpected(anyhow::anyhow!("no default warehouse: the migrations seed one")))
}

/// The warehouses each channel chose for its stock, by id (a channel without any reads the default warehouse).
pub async fn chosen_stock_warehouses<C: ConnectionTrait>(
    db: &C,
    channel_ids: &[i64],
) -> ServiceResult<HashMap<i64, Vec<i64>>> {
    let mut out: HashMap<i64, Vec<i64>> = HashMap::new();
    for chunk in channel_ids.chunks(IN_CHUNK) {
        let rows = channel_stock_warehouse::Entity::find()
            .filter(channel_stock_warehouse::Column::ChannelId.is_in(chunk.to_vec()))
            .order_by_asc(channel_stock_warehouse::Column::ChannelId)
            .order_by_asc(channel_stock_warehouse::Column::WarehouseId)
            .all(db)
            .await?;
        for r in rows {
            out.entry(r.channel_id).or_default().push(r.warehouse_id);
        }
    }
    Ok(out)
}

/// The one warehouse a channel sells from, as allocation needs it: its only chosen warehouse, or the default where
/// it chose none; none where it reads several (their sum is not one warehouse's units).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SoleStockWarehouse {
    Chosen(i64),
    Default,
    Several,
}

impl SoleStockWarehouse {
    /// From the channel's chosen warehouses (`chosen_stock_warehouses`; absent or empty: none chosen).
    pub fn of(chosen: Option<&Vec<i64>>) -> Self {
        match chosen.map(Vec::as_slice) {
            Some([only]) => Self::Chosen(*only),
            Some([]) | None => Self::Default,
            Some(_) => Self::Several,
        }
    }

    /// Its id, given the default warehouse's.
    pub fn id(self, default_id: i64) -> Option<i64> {
        match self {
            Self::Chosen(id) => Some(id),
            Self::Default => Some(default_id),
            Self::Several => None,
        }
    }

    /// Whether it is `warehouse`.
    pub fn is(self, warehouse: &warehouse::Model) -> bool {
        match self {
            Self::Chosen(id) => id == warehouse.id,
            Self::Default => warehouse.is_default,
            Self::Several => false,
        }
    }
}

/// Where a channel's stock comes from.
#[derive(Debug, Clone)]
pub struct StockWarehouses {
    /// The chosen warehouses by id, or the default one alone.
    pub warehouses: Vec<warehouse::Model>,
    /// Whether the channel chose them (the quantity rule differs: `domain::stock_push::PushSettings`).
    pub chosen: bool,
}

impl StockWarehouses {
    pub fn ids(&self) -> Vec<i64> {
        self.warehouses.iter().map(|w| w.id).collect()
    }

    /// "Kho HN + Kho HCM", as explanations name them.
    pub fn names(&self) -> String {
        self.warehouses.iter().map(|w| w.name.as_str()).collect::<Vec<_>>().join(" + ")
    }

    /// Each variant's levels in these warehouses (in the warehouses' order, a missing level as zero) and their sum,
    /// which the quantity rule works on. A bundle's levels are derived from its components' in each warehouse
    /// (`domain::bundles::derived_level`), with its components' figures in `bundle`.
    pub async fn levels<C: ConnectionTrait>(
        &self,
        db: &C,
        variant_ids: &[i64],
    ) -> ServiceResult<HashMap<i64, StockLevels>> {
        let ids = self.ids();
        let compositions = super::bundles::compositions(db, variant_ids.iter().copied()).await?;
        let mut read: Vec<i64> = variant_ids.to_vec();
        read.extend(compositions.values().flatten().map(|c| c.variant_id));
        read.sort_unstable();
        read.dedup();
        let mut found: HashMap<(i64, i64), Quantities> = HashMap::new();
        for chunk in read.chunks(IN_CHUNK) {
            let rows = inventory_level::Entity::find()
                .filter(inventory_level::Column::WarehouseId.is_in(ids.clone()))
                .filter(inventory_level::Column::VariantId.is_in(chunk.to_vec()))
                .all(db)
                .await?;
            found.extend(rows.iter().map(|l| {
                let q = Quantities { on_hand: l.on_hand, committed: l.committed, pending_export: l.pending_export };
                ((l.variant_id, l.warehouse_id), q)
            }));
        }
        let level = |v: i64, w: i64| found.get(&(v, w)).copied().unwrap_or_default();
        Ok(variant_ids
            .iter()
            .map(|&v| {
                let Some(components) = compositions.get(&v) else {
                    let each: Vec<(i64, Quantities)> = ids.iter().map(|&w| (w, level(v, w))).collect();
                    let total = each.iter().map(|(_, q)| *q).sum();
                    return (v, StockLevels { each, total, bundle: None });
                };
                let each: Vec<(i64, Quantities)> = ids
                    .iter()
                    .map(|&w| {
                        let parts: Vec<(Quantities, i64)> =
                            components.iter().map(|c| (level(c.variant_id, w), c.quantity)).collect();
                        (w, bundles::derived_level(&parts))
                    })
                    .collect();
                let total = each.iter().map(|(_, q)| *q).sum();
                let parts: Vec<BundlePart> = components
                    .iter()
                    .map(|c| {
                        let total: Quantities = ids.iter().map(|&w| level(c.variant_id, w)).sum();
                        BundlePart { variant_id: c.variant_id, quantity: c.quantity, total }
                    })
                    .collect();
                let figures: Vec<(Quantities, i64)> = parts.iter().map(|p| (p.total, p.quantity)).collect();
                let limiting = bundles::limiting(&figures);
                (v, StockLevels { each, total, bundle: Some(BundleStock { parts, limiting }) })
            })
            .collect())
    }
}

/// A variant's stock as a channel reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StockLevels {
    /// (warehouse id, its level), in the channel's warehouse order.
    pub each: Vec<(i64, Quantities)>,
    pub total: Quantities,
    /// For a bundle: its components' figures (the levels above are derived from them).
    pub bundle: Option<BundleStock>,
}

/// A bundle's components as a channel reads them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BundleStock {
    /// In component id order.
    pub parts: Vec<BundlePart>,
    /// The index in `parts` of the component that limits the bundle (`domain::bundles::limiting`).
    pub limiting: Option<usize>,
}

/// One component of a bundle, with its level summed over the channel's warehouses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BundlePart {
    pub variant_id: i64,
    /// Units of it in one bundle.
    pub quantity: i64,
    pub total: Quantities,
}

impl BundlePart {
    /// Bundles its available units make.
    pub fn bundles_available(&self) -> i64 {
        bundles::bundles_from(self.total, self.quantity).1
    }
}

/// The warehouses whose stock the channel gets: its chosen ones, else the default.
pub async fn stock_warehouses<C: ConnectionTrait>(db: &C, channel_id: i64) -> ServiceResult<StockWarehouses> {
    let chosen = chosen_stock_warehouses(db, &[channel_id]).await?.remove(&channel_id).unwrap_or_default();
    if !chosen.is_empty() {
        let by_id: BTreeMap<i64, warehouse::Model> = warehouse::Entity::find()
            .filter(warehouse::Column::Id.is_in(chosen))
            .all(db)
            .await?
            .into_iter()
            .map(|w| (w.id, w))
            .collect();
        if !by_id.is_empty() {
            return Ok(StockWarehouses { warehouses: by_id.into_values().collect(), chosen: true });
        }
    }
    Ok(StockWarehouses { warehouses: vec![default_warehouse(db).await?], chosen: false })
}

/// The names of the channels reading a warehouse's stock (deleting it is refused while any does).
pub async fn channels_reading<C: ConnectionTrait>(db: &C, warehouse_id: i64) -> ServiceResult<Vec<String>> {
    let rows = channel_stock_warehouse::Entity::find()
        .filter(channel_stock_warehouse::Column::WarehouseId.eq(warehouse_id))
        .find_also_related(entity::channel::Entity)
        .all(db)
        .await?;
    Ok(rows.into_iter().filter_map(|(_, c)| c.map(|c| c.name)).collect())
}
