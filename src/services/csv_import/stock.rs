//! A stock count from CSV: each row sets on hand of a SKU in a warehouse to the units counted. The counts go
//! through one `LevelBook` in one transaction (ledger rows CORRECTION, by the importer, noting the line), so the
//! ledger still sums to every level and the channels get the new quantities pushed.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use sea_orm::{DatabaseConnection, EntityTrait};

use entity::enums::{CsvRowOutcome, LedgerReason};
use entity::{product_variant, warehouse};

use super::{ImportReport, RowReport, ambiguous_sku, applies, settle, variants_by_sku};
use crate::domain::actor::Actor;
use crate::domain::csv_import::{RowError, StockCount, Table, WarehouseRef, stock_counts};
use crate::domain::errors::ErrorCode;
use crate::domain::inventory::Delta;
use crate::services::effects::Effects;
use crate::services::inventory::{LevelBook, Movement};
use crate::services::warehouses::default_warehouse;
use crate::services::{ServiceError, ServiceResult, begin_write, bundles};

/// Imports the stock count `table` as run `run_id`'s work by `actor`: rows naming no warehouse count in
/// `warehouse_id` (default: the default warehouse). Applied only if every row is taken and not `dry_run`.
pub async fn import_stock(
    db: &DatabaseConnection,
    run_id: i64,
    actor: &Actor,
    table: &Table,
    warehouse_id: Option<i64>,
    dry_run: bool,
) -> ServiceResult<ImportReport> {
    let (counts, errors) = stock_counts(table);
    let mut rows: Vec<RowReport> = errors.into_iter().map(|e| RowReport::rejected(e, None)).collect();
    let targets = resolve(db, counts, warehouse_id, &mut rows).await?;

    let txn = begin_write(db).await?;
    let mut book = LevelBook::default();
    book.lock(&txn, targets.iter().map(|(_, v, w)| (v.id, *w))).await?;
    for (count, variant, warehouse_id) in &targets {
        let before = book.current(&txn, variant.id, *warehouse_id).await?.on_hand;
        let mut row =
            RowReport::done(count.line, CsvRowOutcome::Unchanged, &count.sku, format!("on hand stays {before}"));
        if before != count.on_hand {
            let movement = Movement {
                variant_id: variant.id,
                warehouse_id: *warehouse_id,
                delta: Delta { on_hand: count.on_hand - before, ..Delta::default() },
                reason: LedgerReason::Correction,
                reference: None,
                note: Some(format!("CSV stock count, line {}", count.line)),
                order_channel: None,
            };
            row = match book.apply(&txn, variant, &movement).await {
                Ok(_) => RowReport {
                    outcome: CsvRowOutcome::Updated,
                    message: format!("on hand {before} → {}", count.on_hand),
                    ..row
                },
                Err(ServiceError::Rejected(errors)) => {
                    let message = errors.into_iter().next().map(|e| e.message).unwrap_or_default();
                    let error = RowError::new(count.line, Some("on_hand"), ErrorCode::Invalid, message);
                    RowReport::rejected(error, Some(&count.sku))
                }
                Err(other) => return Err(other),
            };
        }
        rows.push(RowReport {
            product_id: Some(variant.product_id),
            variant_id: Some(variant.id),
            warehouse_id: Some(*warehouse_id),
            on_hand_before: Some(before),
            on_hand_after: Some(count.on_hand),
            ..row
        });
    }
    let mut effects = Effects::none();
    if applies(dry_run, &rows) {
        let (levels, _) = book.flush(&txn, actor).await?;
        effects = Effects::stock_moved(levels.iter().map(|l| (l.variant_id, l.warehouse_id)));
    }
    settle(db, txn, run_id, dry_run, ImportReport { rows, effects, ..ImportReport::default() }).await
}

/// The variant and warehouse of each count; a count naming an unknown SKU or warehouse, a SKU several variants
/// carry, a bundle (its stock is its components'), or a level an earlier line counted is rejected into `rows`.
async fn resolve(
    db: &DatabaseConnection,
    counts: Vec<StockCount>,
    warehouse_id: Option<i64>,
    rows: &mut Vec<RowReport>,
) -> ServiceResult<Vec<(StockCount, product_variant::Model, i64)>> {
    let warehouses = warehouse::Entity::find().all(db).await?;
    let of_the_import = match warehouse_id {
        Some(id) => id,
        None => default_warehouse(db).await?.id,
    };
    let by_sku = variants_by_sku(db, counts.iter().map(|c| c.sku.as_str())).await?;
    let bundles = bundles::compositions(db, by_sku.values().flatten().map(|v| v.id)).await?;
    let mut counted: HashMap<(i64, i64), u64> = HashMap::new();
    let mut targets = Vec::with_capacity(counts.len());
    for count in counts {
        let line = count.line;
        let found = match &count.warehouse {
            WarehouseRef::Code(code) => warehouses
                .iter()
                .find(|w| w.code.as_deref().is_some_and(|c| c.eq_ignore_ascii_case(code)))
                .map(|w| w.id)
                .ok_or_else(|| {
                    let message = format!("no warehouse has the code \"{code}\"");
                    RowError::new(line, Some("warehouse_code"), ErrorCode::NotFound, message)
                }),
            WarehouseRef::Name(name) => {
                warehouses.iter().find(|w| w.name.trim().eq_ignore_ascii_case(name)).map(|w| w.id).ok_or_else(|| {
                    let message = format!("no warehouse is named \"{name}\"");
                    RowError::new(line, Some("warehouse"), ErrorCode::NotFound, message)
                })
            }
            WarehouseRef::OfTheImport => Ok(of_the_import),
        }
        .and_then(|warehouse_id| {
            let variant = match by_sku.get(&count.sku).map(Vec::as_slice) {
                Some([variant]) => variant,
                Some(several @ [_, _, ..]) => return Err(ambiguous_sku(line, &count.sku, several)),
                _ => {
                    let message = format!("no hub variant has the SKU \"{}\"", count.sku);
                    return Err(RowError::new(line, Some("sku"), ErrorCode::NotFound, message));
                }
            };
            if bundles.get(&variant.id).is_some_and(|parts| !parts.is_empty()) {
                let message = format!("\"{}\" is a bundle: its stock is its components', count those", count.sku);
                return Err(RowError::new(line, Some("sku"), ErrorCode::BundleStockDerived, message));
            }
            match counted.entry((variant.id, warehouse_id)) {
                Entry::Occupied(first) => {
                    let message = format!("line {} already counts \"{}\" in this warehouse", first.get(), count.sku);
                    Err(RowError::new(line, Some("sku"), ErrorCode::DuplicateEntry, message))
                }
                Entry::Vacant(slot) => {
                    slot.insert(line);
                    Ok((variant.clone(), warehouse_id))
                }
            }
        });
        match found {
            Ok((variant, warehouse_id)) => targets.push((count, variant, warehouse_id)),
            Err(error) => rows.push(RowReport::rejected(error, Some(&count.sku))),
        }
    }
    Ok(targets)
}
