//! Bundles, combos and multi-packs (`domain::bundles`): setting what a variant is made of, and keeping a
//! component from being deleted under its bundles. The stock flows read compositions through `services::bundles`.

use std::collections::{BTreeSet, HashMap};

use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
};

use entity::enums::ExportSlipStatus;
use entity::{bundle_component, export_slip, export_slip_line, inventory_level, order_line, product_variant};

use super::super::effects::{Committed, Effects};
use super::super::{ServiceError, ServiceResult, begin_write};
use crate::domain::bundles::{Component, Neighbourhood, check_composition};
use crate::domain::errors::{ErrorCode, FieldError};

/// Makes `variant_id` a bundle of `components` (each variant × units per bundle), replacing what it was made of;
/// none: it is an ordinary variant again. Refused, nothing changed: a component missing, a cycle or a nested
/// bundle, a quantity out of range; stock of its own (a bundle holds none: set it to 0 first); or, for a change of
/// composition, units its open orders still hold reserved (they were reserved by the composition they will be
/// released by). Its links are pushed the derived quantity.
pub async fn set_components(
    db: &DatabaseConnection,
    variant_id: i64,
    components: Vec<Component>,
) -> ServiceResult<Committed<product_variant::Model>> {
    let txn = begin_write(db).await?;
    let variant = product_variant::Entity::find_by_id(variant_id)
        .one(&txn)
        .await?
        .ok_or_else(|| ServiceError::not_found(&["variantId"], "Variant"))?;
    let named: Vec<i64> = components.iter().map(|c| c.variant_id).collect();
    let found: HashMap<i64, product_variant::Model> = product_variant::Entity::find()
        .filter(product_variant::Column::Id.is_in(named.clone()))
        .all(&txn)
        .await?
        .into_iter()
        .map(|v| (v.id, v))
        .collect();
    let mut errors: Vec<FieldError> = components
        .iter()
        .enumerate()
        .filter(|(_, c)| c.variant_id != variant_id && !found.contains_key(&c.variant_id))
        .map(|(i, _)| {
            FieldError::new(&["components", &i.to_string(), "variantId"], ErrorCode::NotFound, "Variant not found")
        })
        .collect();
    let inner = super::super::bundles::compositions(&txn, named).await?;
    let containing = super::super::bundles::bundles_containing(&txn, [variant_id]).await?;
    let containing_names = names(&txn, containing.keys().copied()).await?;
    let components_of = |id: i64| inner.get(&id).map(|parts| parts.iter().map(|c| c.variant_id).collect());
    let name_of = |id: i64| found.get(&id).map(display_name).unwrap_or_default();
    let around = Neighbourhood {
        bundle_id: variant_id,
        components_of: &components_of,
        contained_in: containing_names,
        name_of: &name_of,
    };
    errors.extend(check_composition(&components, &around));
    let mut components = components;
    components.sort_by_key(|c| c.variant_id);
    let current =
        super::super::bundles::compositions(&txn, [variant_id]).await?.remove(&variant_id).unwrap_or_default();
    if errors.is_empty() && current != components {
        errors.extend(own_stock(&txn, variant_id, current.is_empty()).await?);
    }
    if !errors.is_empty() {
        return Err(ServiceError::Rejected(errors));
    }
    if current == components {
        txn.commit().await?;
        return Ok(Committed::new(variant, Effects::none()));
    }
    bundle_component::Entity::delete_many()
        .filter(bundle_component::Column::BundleVariantId.eq(variant_id))
        .exec(&txn)
        .await?;
    if !components.is_empty() {
        let rows = components.iter().map(|c| bundle_component::ActiveModel {
            bundle_variant_id: Set(variant_id),
            component_variant_id: Set(c.variant_id),
            quantity: Set(c.quantity),
        });
        bundle_component::Entity::insert_many(rows).exec_without_returning(&txn).await?;
    }
    let marked = super::super::link_marks::mark_variants(&txn, &[variant_id]).await?;
    txn.commit().await?;
    let mut effects = Effects::none();
    if marked > 0 {
        effects.pushes_became_due();
    }
    Ok(Committed::new(variant, effects))
}

/// Why the variant's stock stops its composition changing: units of its own on hand, reserved or awaiting export
/// where it becomes a bundle (`becoming`); else units its open orders or waiting slips hold by the composition it
/// has now (they are released and exported by the composition they were reserved by).
async fn own_stock(txn: &DatabaseTransaction, variant_id: i64, becoming: bool) -> ServiceResult<Vec<FieldError>> {
    let mut errors = Vec::new();
    if becoming {
        let held: i64 = inventory_level::Entity::find()
            .filter(inventory_level::Column::VariantId.eq(variant_id))
            .all(txn)
            .await?
            .iter()
            .map(|l| l.on_hand.abs() + l.committed + l.pending_export)
            .sum();
        if held != 0 {
            errors.push(FieldError::new(
                &["variantId"],
                ErrorCode::InvalidState,
                "this variant holds stock of its own; a bundle holds none (its stock is its components'): set its \
                 on hand to 0 in every warehouse first",
            ));
        }
        return Ok(errors);
    }
    let reserved: i64 = order_line::Entity::find()
        .filter(order_line::Column::VariantId.eq(variant_id))
        .filter(order_line::Column::ReservedQuantity.gt(0))
        .all(txn)
        .await?
        .iter()
        .map(|l| l.reserved_quantity)
        .sum();
    let waiting_slips = export_slip_line::Entity::find()
        .inner_join(export_slip::Entity)
        .filter(export_slip_line::Column::VariantId.eq(variant_id))
        .filter(export_slip::Column::Status.eq(ExportSlipStatus::Waiting))
        .count(txn)
        .await?;
    if waiting_slips > 0 {
        errors.push(FieldError::new(
            &["variantId"],
            ErrorCode::InvalidState,
            "waiting export slips hold units of this variant; change what it is made of once they are exported or \
             cancelled",
        ));
    }
    if reserved > 0 {
        errors.push(FieldError::new(
            &["variantId"],
            ErrorCode::InvalidState,
            format!(
                "open orders hold {reserved} unit(s) of this variant reserved; change what it is made of once they \
                 are shipped or cancelled"
            ),
        ));
    }
    Ok(errors)
}

/// Refuses deleting variants some bundle (other than those deleted with them) is made of.
pub(super) async fn refuse_deleting_components(
    txn: &DatabaseTransaction,
    variant_ids: &[i64],
    field: &str,
) -> ServiceResult<()> {
    let deleted: BTreeSet<i64> = variant_ids.iter().copied().collect();
    let bundles = super::super::bundles::bundles_containing(txn, variant_ids.iter().copied()).await?;
    let others: Vec<i64> = bundles.keys().copied().filter(|b| !deleted.contains(b)).collect();
    if others.is_empty() {
        return Ok(());
    }
    Err(ServiceError::rejected(
        &[field],
        ErrorCode::InvalidState,
        format!(
            "bundles are made of it ({}): remove it from them first (productVariantBundleSet)",
            names(txn, others).await?.join(", ")
        ),
    ))
}

fn display_name(v: &product_variant::Model) -> String {
    v.sku.clone().unwrap_or_else(|| v.title.clone())
}

async fn names(txn: &DatabaseTransaction, ids: impl IntoIterator<Item = i64>) -> ServiceResult<Vec<String>> {
    let ids: Vec<i64> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(product_variant::Entity::find()
        .filter(product_variant::Column::Id.is_in(ids))
        .all(txn)
        .await?
        .iter()
        .map(display_name)
        .collect())
}
