//! The stock ledger. Every change to on-hand, committed or pending-export goes through a `LevelBook` (one movement:
//! `apply_movement`), inside the caller's write transaction, together with its ledger row; so the ledger always
//! sums to the levels. Each ledger row names its actor (`domain::actor`), given by the caller to `flush`.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use sea_orm::sea_query::{CaseStatement, Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use entity::enums::{LedgerReason, LedgerReference};
use entity::{inventory_ledger, inventory_level, product, product_variant, warehouse};

use super::effects::{Committed, Effects};
use super::{ServiceError, ServiceResult, begin_write};
use crate::domain::actor::Actor;
use crate::domain::errors::{ErrorCode, FieldError};
use crate::domain::inventory::{self as rules, Delta, Quantities};
use crate::domain::text;

mod reads;

pub use reads::{LedgerFilter, LevelFilter, all_product_ids, ledger, level, levels, recompute_product_totals};

/// Most changes one adjust/set request may carry.
pub const MAX_CHANGES_PER_REQUEST: usize = 250;

/// One stock movement of one level, with why it happened.
#[derive(Debug, Clone)]
pub struct Movement {
    pub variant_id: i64,
    pub warehouse_id: i64,
    pub delta: Delta,
    pub reason: LedgerReason,
    pub reference: Option<(LedgerReference, i64)>,
    pub note: Option<String>,
    /// The channel whose order this movement is for: a reservation is a sale the channel's listing already shows
    /// (its allocated share goes down with it, `link_marks::allocation`).
    pub order_channel: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct LevelChange {
    pub level: inventory_level::Model,
    /// `None` when nothing moved (a set to the value already stored).
    pub ledger: Option<inventory_ledger::Model>,
}

/// The effects of committed level changes: an event per level, and the pushes they made due.
pub fn stock_moved(changes: &[LevelChange]) -> Effects {
    Effects::stock_moved(changes.iter().map(|c| (c.level.variant_id, c.level.warehouse_id)))
}

pub fn quantities(level: &inventory_level::Model) -> Quantities {
    Quantities { on_hand: level.on_hand, committed: level.committed, pending_export: level.pending_export }
}

/// Locks the level of (variant, warehouse), creating it at zero if it does not exist. On PostgreSQL the row lock
/// serialises concurrent movements of one level; on SQLite the write transaction already holds the database lock.
async fn lock_level(
    txn: &DatabaseTransaction,
    variant_id: i64,
    warehouse_id: i64,
) -> ServiceResult<inventory_level::Model> {
    let mut book = LevelBook::default();
    book.lock(txn, [(variant_id, warehouse_id)]).await?;
    book.levels
        .remove(&(variant_id, warehouse_id))
        .map(|l| l.model)
        .ok_or_else(|| ServiceError::Unexpected(anyhow::anyhow!("inventory level vanished inside its transaction")))
}

/// A variant's name as a merchant reads it: "Áo thun / Đỏ - M".
pub async fn variant_label<C: ConnectionTrait>(db: &C, variant: &product_variant::Model) -> ServiceResult<String> {
    let product_title =
        product::Entity::find_by_id(variant.product_id).one(db).await?.map(|p| p.title).unwrap_or_default();
    Ok(format!("{product_title} / {}", variant.title))
}

/// Levels locked by one write transaction, the movements applied to them in memory, and their ledger rows:
/// `flush` writes it all (levels, ledger with its actor, the links to push) in a few statements whatever the
/// number of movements. Every stock change goes through a book; `apply_movement` is a book of one.
#[derive(Default)]
pub struct LevelBook {
    levels: BTreeMap<(i64, i64), BookLevel>,
    ledger: Vec<inventory_ledger::ActiveModel>,
    variants: HashMap<i64, product_variant::Model>,
    /// Each variant the book has met: its components with their units per bundle if it is a bundle (a bundle
    /// holds no level: its movements move its components), else empty.
    compositions: HashMap<i64, Vec<(product_variant::Model, i64)>>,
}

struct BookLevel {
    model: inventory_level::Model,
    /// As locked.
    before: Quantities,
    /// After the movements applied so far.
    now: Quantities,
    moved: bool,
    /// Units reserved by each channel's orders in these movements (its own sales).
    sold: BTreeMap<i64, i64>,
}

/// Levels locked or written per statement (bound parameters stay far below both databases' limits).
const LEVELS_PER_STATEMENT: usize = 200;

impl LevelBook {
    /// Locks the levels of `keys` not locked yet, creating missing ones at zero. Rows are locked in (variant,
    /// warehouse) order, the order every writer uses, so two transactions never wait on each other in a cycle.
    /// A bundle's key stands for its components' levels in that warehouse.
    pub async fn lock(
        &mut self,
        txn: &DatabaseTransaction,
        keys: impl IntoIterator<Item = (i64, i64)>,
    ) -> ServiceResult<()> {
        let keys = self.expand_bundles(txn, keys).await?;
        let wanted: BTreeSet<(i64, i64)> = keys.into_iter().filter(|k| !self.levels.contains_key(k)).collect();
        if wanted.is_empty() {
            return Ok(());
        }
        let wanted: Vec<(i64, i64)> = wanted.into_iter().collect();
        for chunk in wanted.chunks(LEVELS_PER_STATEMENT) {
            self.select_locked(txn, chunk).await?;
            let missing: Vec<(i64, i64)> = chunk.iter().copied().filter(|k| !self.levels.contains_key(k)).collect();
            if missing.is_empty() {
                continue;
            }
            let at = chrono::Utc::now();
            let rows = missing.iter().map(|&(variant_id, warehouse_id)| inventory_level::ActiveModel {
                variant_id: Set(variant_id),
                warehouse_id: Set(warehouse_id),
                on_hand: Set(0),
                committed: Set(0),
                pending_export: Set(0),
                updated_at: Set(at),
                ..Default::default()
            });
            inventory_level::Entity::insert_many(rows)
                .on_conflict(
                    OnConflict::columns([inventory_level::Column::VariantId, inventory_level::Column::WarehouseId])
                        .do_nothing()
                        .to_owned(),
                )
                .exec_without_returning(txn)
                .await?;
            self.select_locked(txn, &missing).await?;
            if missing.iter().any(|k| !self.levels.contains_key(k)) {
                return Err(ServiceError::Unexpected(anyhow::anyhow!(
                    "inventory level vanished inside its transaction"
                )));
            }
        }
        Ok(())
    }

    /// Locks the levels of `keys` that exist (in key order), creating none: for levels a transaction may move.
    pub async fn lock_existing(
        &mut self,
        txn: &DatabaseTransaction,
        keys: impl IntoIterator<Item = (i64, i64)>,
    ) -> ServiceResult<()> {
        let keys = self.expand_bundles(txn, keys).await?;
        let wanted: Vec<(i64, i64)> =
            keys.into_iter().filter(|k| !self.levels.contains_key(k)).collect::<BTreeSet<_>>().into_iter().collect();
        for chunk in wanted.chunks(LEVELS_PER_STATEMENT) {
            self.select_locked(txn, chunk).await?;
        }
        Ok(())
    }

    /// Reads the compositions of the variants of `keys` the book has not met, and replaces each bundle's key by
    /// its components' keys in the same warehouse.
    async fn expand_bundles(
        &mut self,
        txn: &DatabaseTransaction,
        keys: impl IntoIterator<Item = (i64, i64)>,
    ) -> ServiceResult<Vec<(i64, i64)>> {
        let keys: Vec<(i64, i64)> = keys.into_iter().collect();
        let unknown: BTreeSet<i64> = keys.iter().map(|k| k.0).filter(|v| !self.compositions.contains_key(v)).collect();
        if !unknown.is_empty() {
            let found = super::bundles::compositions(txn, unknown.iter().copied()).await?;
            let component_ids: BTreeSet<i64> = found.values().flatten().map(|c| c.variant_id).collect();
            let components: HashMap<i64, product_variant::Model> = if component_ids.is_empty() {
                HashMap::new()
            } else {
                product_variant::Entity::find()
                    .filter(product_variant::Column::Id.is_in(component_ids))
                    .all(txn)
                    .await?
                    .into_iter()
                    .map(|v| (v.id, v))
                    .collect()
            };
            for id in unknown {
                let parts = found
                    .get(&id)
                    .map(|parts| {
                        parts
                            .iter()
                            .filter_map(|c| components.get(&c.variant_id).map(|v| (v.clone(), c.quantity)))
                            .collect()
                    })
                    .unwrap_or_default();
                self.compositions.insert(id, parts);
            }
        }
        Ok(keys
            .into_iter()
            .flat_map(|(variant_id, warehouse_id)| match self.compositions.get(&variant_id) {
                Some(parts) if !parts.is_empty() => parts.iter().map(|(c, _)| (c.id, warehouse_id)).collect(),
                _ => vec![(variant_id, warehouse_id)],
            })
            .collect())
    }

    async fn select_locked(&mut self, txn: &DatabaseTransaction, keys: &[(i64, i64)]) -> ServiceResult<()> {
        let variant_ids: BTreeSet<i64> = keys.iter().map(|k| k.0).collect();
        let warehouse_ids: BTreeSet<i64> = keys.iter().map(|k| k.1).collect();
        let wanted: HashSet<&(i64, i64)> = keys.iter().collect();
        let rows = inventory_level::Entity::find()
            .filter(inventory_level::Column::VariantId.is_in(variant_ids))
            .filter(inventory_level::Column::WarehouseId.is_in(warehouse_ids))
            .order_by_asc(inventory_level::Column::VariantId)
            .order_by_asc(inventory_level::Column::WarehouseId)
            .lock_exclusive()
            .all(txn)
            .await?;
        for model in rows {
            let key = (model.variant_id, model.warehouse_id);
            if wanted.contains(&key) && !self.levels.contains_key(&key) {
                let q = quantities(&model);
                self.levels.insert(key, BookLevel { model, before: q, now: q, moved: false, sold: BTreeMap::new() });
            }
        }
        Ok(())
    }

    /// The level as the movements so far left it (locking it first if needed). Not for a bundle, which holds none.
    pub async fn current(
        &mut self,
        txn: &DatabaseTransaction,
        variant_id: i64,
        warehouse_id: i64,
    ) -> ServiceResult<Quantities> {
        self.lock(txn, [(variant_id, warehouse_id)]).await?;
        self.levels
            .get(&(variant_id, warehouse_id))
            .map(|l| l.now)
            .ok_or_else(|| ServiceError::Unexpected(anyhow::anyhow!("inventory level vanished inside its transaction")))
    }

    /// Applies one movement by the stock rule (`domain::inventory::apply`); a refusal changes nothing. A bundle's
    /// movement moves each component by its units per bundle, all or none, each ledger row naming the bundle;
    /// it returns the bundle's level derived from them.
    pub async fn apply(
        &mut self,
        txn: &DatabaseTransaction,
        variant: &product_variant::Model,
        movement: &Movement,
    ) -> ServiceResult<Quantities> {
        self.lock(txn, [(movement.variant_id, movement.warehouse_id)]).await?;
        let parts = self.compositions.get(&movement.variant_id).cloned().unwrap_or_default();
        if !parts.is_empty() {
            return self.apply_bundle(txn, variant, &parts, movement).await;
        }
        let current = self.current(txn, movement.variant_id, movement.warehouse_id).await?;
        if movement.delta.is_zero() {
            return Ok(current);
        }
        let next = self.next_level(txn, variant, current, movement.delta, None).await?;
        self.record(variant, movement, next, None)?;
        Ok(next)
    }

    /// The level after `delta`, or the refusal naming the variant (and the bundle whose movement it is part of).
    async fn next_level(
        &self,
        txn: &DatabaseTransaction,
        variant: &product_variant::Model,
        current: Quantities,
        delta: Delta,
        bundle: Option<&product_variant::Model>,
    ) -> ServiceResult<Quantities> {
        // The merchant-facing message names the variant: read its product only when refusing.
        if let Ok(next) = rules::apply(current, delta, variant.allow_oversell, "") {
            return Ok(next);
        }
        let mut label = variant_label(txn, variant).await?;
        if let Some(bundle) = bundle {
            label = format!("{label} (in bundle {})", variant_label(txn, bundle).await?);
        }
        let refusal = rules::apply(current, delta, variant.allow_oversell, &label).err();
        Err(ServiceError::Rejected(refusal.into_iter().collect()))
    }

    /// A bundle's movement: every component's next level is checked before any is moved.
    async fn apply_bundle(
        &mut self,
        txn: &DatabaseTransaction,
        bundle: &product_variant::Model,
        parts: &[(product_variant::Model, i64)],
        movement: &Movement,
    ) -> ServiceResult<Quantities> {
        let mut planned = Vec::with_capacity(parts.len());
        for (component, per_bundle) in parts {
            let delta = crate::domain::bundles::component_delta(movement.delta, *per_bundle).ok_or_else(|| {
                ServiceError::Rejected(vec![FieldError::new(
                    &[],
                    ErrorCode::QuantityTooLarge,
                    format!(
                        "this movement of the bundle, times {per_bundle} units of a component per bundle, is too large"
                    ),
                )])
            })?;
            let current = self.current(txn, component.id, movement.warehouse_id).await?;
            let next = self.next_level(txn, component, current, delta, Some(bundle)).await?;
            planned.push((component, delta, next, *per_bundle));
        }
        let mut made = Vec::with_capacity(planned.len());
        for (component, delta, next, per_bundle) in planned {
            if !delta.is_zero() {
                let moved = Movement { variant_id: component.id, delta, ..movement.clone() };
                self.record(component, &moved, next, Some(bundle.id))?;
            }
            made.push((next, per_bundle));
        }
        Ok(crate::domain::bundles::derived_level(&made))
    }

    /// Records an applied movement: the level's new quantities, its channel's own sales, its ledger row.
    fn record(
        &mut self,
        variant: &product_variant::Model,
        movement: &Movement,
        next: Quantities,
        bundle_variant_id: Option<i64>,
    ) -> ServiceResult<()> {
        let level = self.levels.get_mut(&(movement.variant_id, movement.warehouse_id)).ok_or_else(|| {
            ServiceError::Unexpected(anyhow::anyhow!("inventory level vanished inside its transaction"))
        })?;
        level.now = next;
        level.moved = true;
        if movement.reason == LedgerReason::OrderReserved
            && let Some(channel_id) = movement.order_channel
        {
            *level.sold.entry(channel_id).or_default() += movement.delta.committed;
        }
        self.ledger.push(inventory_ledger::ActiveModel {
            variant_id: Set(movement.variant_id),
            warehouse_id: Set(movement.warehouse_id),
            on_hand_delta: Set(movement.delta.on_hand),
            committed_delta: Set(movement.delta.committed),
            pending_export_delta: Set(movement.delta.pending_export),
            on_hand_after: Set(next.on_hand),
            committed_after: Set(next.committed),
            pending_export_after: Set(next.pending_export),
            reason: Set(movement.reason),
            reference_type: Set(movement.reference.map(|(t, _)| t)),
            reference_id: Set(movement.reference.map(|(_, id)| id)),
            note: Set(movement.note.clone()),
            bundle_variant_id: Set(bundle_variant_id),
            created_at: Set(chrono::Utc::now()),
            ..Default::default()
        });
        self.variants.entry(variant.id).or_insert_with(|| variant.clone());
        Ok(())
    }

    /// Writes the moved levels, the ledger rows (in the order the movements were applied, returned; each naming
    /// `actor`, who made the transaction's changes) and marks the links whose pushed quantity changed, all in the
    /// caller's transaction.
    pub async fn flush(
        self,
        txn: &DatabaseTransaction,
        actor: &Actor,
    ) -> ServiceResult<(Vec<inventory_level::Model>, Vec<inventory_ledger::Model>)> {
        let at = chrono::Utc::now();
        let moved: Vec<&BookLevel> = self.levels.values().filter(|l| l.moved).collect();
        for chunk in moved.chunks(LEVELS_PER_STATEMENT) {
            let case = |value: fn(&Quantities) -> i64, column: inventory_level::Column| -> Expr {
                let mut statement = CaseStatement::new();
                for l in chunk {
                    statement = statement.case(inventory_level::Column::Id.eq(l.model.id), value(&l.now));
                }
                statement.finally(Expr::col(column)).into()
            };
            inventory_level::Entity::update_many()
                .col_expr(inventory_level::Column::OnHand, case(|q| q.on_hand, inventory_level::Column::OnHand))
                .col_expr(inventory_level::Column::Committed, case(|q| q.committed, inventory_level::Column::Committed))
                .col_expr(
                    inventory_level::Column::PendingExport,
                    case(|q| q.pending_export, inventory_level::Column::PendingExport),
                )
                .col_expr(inventory_level::Column::UpdatedAt, Expr::value(at))
                .filter(inventory_level::Column::Id.is_in(chunk.iter().map(|l| l.model.id)))
                .exec(txn)
                .await?;
        }
        let mut ledger = Vec::with_capacity(self.ledger.len());
        for chunk in self.ledger.chunks(LEVELS_PER_STATEMENT) {
            let rows = chunk.iter().cloned().map(|mut row| {
                row.actor_kind = Set(Some(actor.kind()));
                row.actor_name = Set(Some(actor.name().to_owned()));
                row
            });
            ledger.extend(inventory_ledger::Entity::insert_many(rows).exec_with_returning(txn).await?);
        }
        let changes: Vec<super::link_marks::LevelMove> = moved
            .iter()
            .filter_map(|l| {
                self.variants.get(&l.model.variant_id).map(|variant| super::link_marks::LevelMove {
                    variant,
                    warehouse_id: l.model.warehouse_id,
                    before: l.before,
                    after: l.now,
                    sold: l.sold.iter().map(|(c, q)| (*c, *q)).collect(),
                })
            })
            .collect();
        // Same transaction: the links whose pushed quantity this changes become push-pending.
        super::link_marks::on_levels_changed(txn, &changes).await?;
        let levels = moved
            .into_iter()
            .map(|l| inventory_level::Model {
                on_hand: l.now.on_hand,
                committed: l.now.committed,
                pending_export: l.now.pending_export,
                updated_at: at,
                ..l.model.clone()
            })
            .collect();
        Ok((levels, ledger))
    }
}

/// The one place stock changes, for a single movement by `actor`: a book of one (see `LevelBook`). One change per
/// level it touched (a bundle's movement touches each of its components' levels), with its ledger row.
pub async fn apply_movement(
    txn: &DatabaseTransaction,
    actor: &Actor,
    variant: &product_variant::Model,
    movement: &Movement,
) -> ServiceResult<Vec<LevelChange>> {
    let mut book = LevelBook::default();
    book.apply(txn, variant, movement).await?;
    if !book.levels.values().any(|l| l.moved) {
        return Ok(book.levels.into_values().map(|l| LevelChange { level: l.model, ledger: None }).collect());
    }
    let (levels, ledger) = book.flush(txn, actor).await?;
    Ok(levels
        .into_iter()
        .map(|level| {
            // One movement: one row per level moved.
            let row = ledger.iter().find(|r| (r.variant_id, r.warehouse_id) == (level.variant_id, level.warehouse_id));
            LevelChange { ledger: row.cloned(), level }
        })
        .collect())
}

#[derive(Debug, Clone)]
pub struct AdjustChange {
    pub variant_id: i64,
    pub warehouse_id: i64,
    pub delta: i64,
}

#[derive(Debug, Clone)]
pub struct SetQuantity {
    pub variant_id: i64,
    pub warehouse_id: i64,
    pub on_hand: i64,
    /// Compare-and-set: the on-hand quantity the caller last saw; the write is refused if it changed since.
    pub compare_on_hand: Option<i64>,
}

/// Adds deltas to on-hand stock, all or nothing; the ledger rows name `actor`.
pub async fn adjust(
    db: &DatabaseConnection,
    actor: &Actor,
    reason: LedgerReason,
    note: Option<String>,
    changes: Vec<AdjustChange>,
) -> ServiceResult<Committed<Vec<LevelChange>>> {
    let keys: Vec<_> = changes.iter().map(|c| (c.variant_id, c.warehouse_id)).collect();
    let mut errors = check_request_shape("changes", &keys);
    for (i, c) in changes.iter().enumerate() {
        if c.delta == 0 {
            errors.push(FieldError::new(
                &["changes", &i.to_string(), "delta"],
                ErrorCode::Invalid,
                "delta can't be zero",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(ServiceError::Rejected(errors));
    }
    let note = text::optional("note", note.as_deref(), 1000)?;
    let txn = begin_write(db).await?;
    let variants = load_targets(&txn, "changes", &keys).await?;
    let mut results = BTreeMap::new();
    // Lock levels in key order, so two requests touching the same levels cannot deadlock.
    for (i, c) in sorted_by_key(&changes, |c| (c.variant_id, c.warehouse_id)) {
        let movement = Movement {
            variant_id: c.variant_id,
            warehouse_id: c.warehouse_id,
            delta: Delta { on_hand: c.delta, ..Delta::default() },
            reason,
            reference: None,
            note: note.clone(),
            order_channel: None,
        };
        let change = apply_movement(&txn, actor, &variants[&c.variant_id], &movement)
            .await
            .map_err(|e| at_index(e, "changes", i))?;
        results.insert(i, change);
    }
    txn.commit().await?;
    let changes: Vec<LevelChange> = results.into_values().flatten().collect();
    let effects = stock_moved(&changes);
    Ok(Committed::new(changes, effects))
}

/// Sets on-hand stock to absolute values (a stock count), all or nothing; each may carry a compare-and-set guard.
/// The ledger rows name `actor`.
pub async fn set(
    db: &DatabaseConnection,
    actor: &Actor,
    reason: LedgerReason,
    note: Option<String>,
    quantities_in: Vec<SetQuantity>,
) -> ServiceResult<Committed<Vec<LevelChange>>> {
    let keys: Vec<_> = quantities_in.iter().map(|q| (q.variant_id, q.warehouse_id)).collect();
    let errors = check_request_shape("quantities", &keys);
    if !errors.is_empty() {
        return Err(ServiceError::Rejected(errors));
    }
    let note = text::optional("note", note.as_deref(), 1000)?;
    let txn = begin_write(db).await?;
    let variants = load_targets(&txn, "quantities", &keys).await?;
    let mut results = BTreeMap::new();
    for (i, q) in sorted_by_key(&quantities_in, |q| (q.variant_id, q.warehouse_id)) {
        let level = lock_level(&txn, q.variant_id, q.warehouse_id).await?;
        if let Some(expected) = q.compare_on_hand
            && expected != level.on_hand
        {
            return Err(ServiceError::Rejected(vec![FieldError::new(
                &["quantities", &i.to_string(), "compareOnHand"],
                ErrorCode::StaleQuantity,
                format!(
                    "on hand is {} now, not {expected}: it changed since you read it; read it again and retry",
                    level.on_hand
                ),
            )]));
        }
        let movement = Movement {
            variant_id: q.variant_id,
            warehouse_id: q.warehouse_id,
            delta: Delta { on_hand: q.on_hand - level.on_hand, ..Delta::default() },
            reason,
            reference: None,
            note: note.clone(),
            order_channel: None,
        };
        let change = apply_movement(&txn, actor, &variants[&q.variant_id], &movement)
            .await
            .map_err(|e| at_index(e, "quantities", i))?;
        results.insert(i, change);
    }
    txn.commit().await?;
    let changes: Vec<LevelChange> = results.into_values().flatten().collect();
    let effects = stock_moved(&changes);
    Ok(Committed::new(changes, effects))
}

fn check_request_shape(list: &str, keys: &[(i64, i64)]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if keys.is_empty() {
        errors.push(FieldError::new(&[list], ErrorCode::Blank, format!("{list} can't be empty")));
    }
    if keys.len() > MAX_CHANGES_PER_REQUEST {
        errors.push(FieldError::new(
            &[list],
            ErrorCode::TooMany,
            format!("at most {MAX_CHANGES_PER_REQUEST} {list} per request"),
        ));
    }
    let mut seen = HashSet::new();
    for (i, key) in keys.iter().enumerate() {
        if !seen.insert(*key) {
            errors.push(FieldError::new(
                &[list, &i.to_string()],
                ErrorCode::DuplicateEntry,
                "this variant and warehouse appear twice in the request",
            ));
        }
    }
    errors
}

/// Loads every variant named in the request and checks every warehouse exists; all misses are reported at once.
async fn load_targets(
    txn: &DatabaseTransaction,
    list: &str,
    keys: &[(i64, i64)],
) -> ServiceResult<BTreeMap<i64, product_variant::Model>> {
    let variant_ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
    let warehouse_ids: Vec<i64> = keys.iter().map(|k| k.1).collect();
    let variants: BTreeMap<i64, product_variant::Model> = product_variant::Entity::find()
        .filter(product_variant::Column::Id.is_in(variant_ids))
        .all(txn)
        .await?
        .into_iter()
        .map(|v| (v.id, v))
        .collect();
    let warehouses: HashSet<i64> = warehouse::Entity::find()
        .filter(warehouse::Column::Id.is_in(warehouse_ids))
        .all(txn)
        .await?
        .into_iter()
        .map(|w| w.id)
        .collect();
    let bundles = super::bundles::compositions(txn, variants.keys().copied()).await?;
    let mut errors = Vec::new();
    for (i, (variant_id, warehouse_id)) in keys.iter().enumerate() {
        if bundles.contains_key(variant_id) {
            errors.push(FieldError::new(
                &[list, &i.to_string(), "variantId"],
                ErrorCode::BundleStockDerived,
                "this variant is a bundle: its stock is what its components make; change theirs instead",
            ));
        }
        if !variants.contains_key(variant_id) {
            errors.push(FieldError::new(
                &[list, &i.to_string(), "variantId"],
                ErrorCode::NotFound,
                "Variant not found",
            ));
        }
        if !warehouses.contains(warehouse_id) {
            errors.push(FieldError::new(
                &[list, &i.to_string(), "warehouseId"],
                ErrorCode::NotFound,
                "Warehouse not found",
            ));
        }
    }
    if errors.is_empty() { Ok(variants) } else { Err(ServiceError::Rejected(errors)) }
}

fn sorted_by_key<T, K: Ord>(items: &[T], key: impl Fn(&T) -> K) -> Vec<(usize, &T)> {
    let mut indexed: Vec<_> = items.iter().enumerate().collect();
    indexed.sort_by_key(|(_, item)| key(item));
    indexed
}

/// Places a movement's field errors under the request list entry they came from.
fn at_index(err: ServiceError, list: &str, i: usize) -> ServiceError {
    match err {
        ServiceError::Rejected(errors) => {
            ServiceError::Rejected(errors.into_iter().map(|e| e.under(&[list.to_owned(), i.to_string()])).collect())
        }
        other => other,
    }
}
