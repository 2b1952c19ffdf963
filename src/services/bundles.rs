//! Bundle compositions as the stock flows read them (`domain::bundles`): which variants are bundles and of what,
//! and which bundles a variant is part of. Below inventory, link marking and the warehouses' levels, which all
//! need them; changing a composition is the catalog's (`catalog::bundles`).

use std::collections::{BTreeMap, BTreeSet};

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use entity::bundle_component;

use super::{IN_CHUNK, ServiceResult};
use crate::domain::bundles::Component;

/// The components of each of `variant_ids` that is a bundle (in component id order); variants that are not
/// bundles are absent.
pub async fn compositions<C: ConnectionTrait>(
    db: &C,
    variant_ids: impl IntoIterator<Item = i64>,
) -> ServiceResult<BTreeMap<i64, Vec<Component>>> {
    let ids: Vec<i64> = variant_ids.into_iter().collect::<BTreeSet<_>>().into_iter().collect();
    let mut out: BTreeMap<i64, Vec<Component>> = BTreeMap::new();
    for chunk in ids.chunks(IN_CHUNK) {
        let rows = bundle_component::Entity::find()
            .filter(bundle_component::Column::BundleVariantId.is_in(chunk.to_vec()))
            .order_by_asc(bundle_component::Column::BundleVariantId)
            .order_by_asc(bundle_component::Column::ComponentVariantId)
            .all(db)
            .await?;
        for r in rows {
            out.entry(r.bundle_variant_id)
                .or_default()
                .push(Component { variant_id: r.component_variant_id, quantity: r.quantity });
        }
    }
    Ok(out)
}

/// The bundles containing any of `component_ids`, each with its whole composition.
pub async fn bundles_containing<C: ConnectionTrait>(
    db: &C,
    component_ids: impl IntoIterator<Item = i64>,
) -> ServiceResult<BTreeMap<i64, Vec<Component>>> {
    let ids: Vec<i64> = component_ids.into_iter().collect::<BTreeSet<_>>().into_iter().collect();
    let mut bundles = BTreeSet::new();
    for chunk in ids.chunks(IN_CHUNK) {
        let rows = bundle_component::Entity::find()
            .filter(bundle_component::Column::ComponentVariantId.is_in(chunk.to_vec()))
            .all(db)
            .await?;
        bundles.extend(rows.into_iter().map(|r| r.bundle_variant_id));
    }
    if bundles.is_empty() {
        return Ok(BTreeMap::new());
    }
    compositions(db, bundles).await
}
