//! Stock levels, the ledger, and stock writes.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};

use entity::enums::{LedgerReason, LedgerReference};
use entity::{inventory_ledger, inventory_level};

use super::app;
use super::catalog::{ProductVariant, Warehouse};
use super::errors::{UserError, query, split, user_errors};
use super::relay::{Conn, ConnectionArgs, connection, global_id, input_id, require_id};
use crate::domain::errors::FieldError;
use crate::services::effects::Committed;
use crate::services::inventory::{self, AdjustChange, LevelChange, LevelFilter, SetQuantity};
use crate::services::{ServiceError, catalog};

/// Stock of one variant in one warehouse.
pub struct InventoryLevel(pub inventory_level::Model);

#[Object]
impl InventoryLevel {
    pub async fn id(&self) -> ID {
        global_id("InventoryLevel", self.0.id)
    }
    async fn variant(&self, ctx: &Context<'_>) -> Result<Option<ProductVariant>> {
        Ok(query(catalog::variant(&app(ctx)?.db, self.0.variant_id).await)?.map(ProductVariant))
    }
    async fn warehouse(&self, ctx: &Context<'_>) -> Result<Option<Warehouse>> {
        let loader = ctx.data::<super::loaders::HubLoader>()?;
        Ok(loader
            .load_one(super::loaders::WarehouseId(self.0.warehouse_id))
            .await
            .map_err(super::loaders::failed)?
            .map(Warehouse))
    }
    /// Units physically in the warehouse. Below zero only for variants that allow overselling.
    async fn on_hand(&self) -> i64 {
        self.0.on_hand
    }
    /// Units reserved by open channel orders.
    async fn committed(&self) -> i64 {
        self.0.committed
    }
    /// Units on export slips waiting to leave the warehouse.
    async fn pending_export(&self) -> i64 {
        self.0.pending_export
    }
    /// onHand − committed − pendingExport (derived, never stored).
    async fn available(&self) -> i64 {
        inventory::quantities(&self.0).available()
    }
    async fn updated_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.updated_at
    }
}

/// Why stock moved.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::enums::LedgerReason")]
pub enum InventoryReason {
    /// A manual change without a more specific reason.
    Adjustment,
    /// A stock count correcting the recorded quantity.
    Correction,
    /// Goods received.
    Received,
    /// Goods damaged or lost.
    Damaged,
    /// A channel order reserved units.
    OrderReserved,
    /// A reservation was released (order cancelled before leaving).
    OrderReleased,
    /// Reserved units left with a delivered order.
    OrderFulfilled,
    /// Units of a cancelled order came back.
    OrderRestocked,
    /// Returned units were put back on hand.
    ReturnRestocked,
    /// An export slip set units aside.
    ExportSlipCreated,
    /// An export slip's units left the warehouse.
    ExportSlipExported,
    /// An export slip was cancelled and its units freed.
    ExportSlipCancelled,
}

/// What a ledger entry refers to.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "entity::enums::LedgerReference")]
pub enum InventoryReferenceType {
    Adjustment,
    Order,
    ExportSlip,
    Return,
}

/// Reasons a merchant may give to a manual stock change.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum InventoryAdjustReason {
    Adjustment,
    Correction,
    Received,
    Damaged,
}

impl From<InventoryAdjustReason> for LedgerReason {
    fn from(r: InventoryAdjustReason) -> Self {
        match r {
            InventoryAdjustReason::Adjustment => LedgerReason::Adjustment,
            InventoryAdjustReason::Correction => LedgerReason::Correction,
            InventoryAdjustReason::Received => LedgerReason::Received,
            InventoryAdjustReason::Damaged => LedgerReason::Damaged,
        }
    }
}

/// One movement of stock. Append-only: entries are never changed or removed.
pub struct InventoryLedgerEntry(pub inventory_ledger::Model);

#[Object]
impl InventoryLedgerEntry {
    pub async fn id(&self) -> ID {
        global_id("InventoryLedgerEntry", self.0.id)
    }
    async fn variant(&self, ctx: &Context<'_>) -> Result<Option<ProductVariant>> {
        Ok(query(catalog::variant(&app(ctx)?.db, self.0.variant_id).await)?.map(ProductVariant))
    }
    async fn warehouse(&self, ctx: &Context<'_>) -> Result<Option<Warehouse>> {
        Ok(query(catalog::warehouse(&app(ctx)?.db, self.0.warehouse_id).await)?.map(Warehouse))
    }
    async fn on_hand_delta(&self) -> i64 {
        self.0.on_hand_delta
    }
    async fn committed_delta(&self) -> i64 {
        self.0.committed_delta
    }
    async fn pending_export_delta(&self) -> i64 {
        self.0.pending_export_delta
    }
    /// On hand right after this movement.
    async fn on_hand_after(&self) -> i64 {
        self.0.on_hand_after
    }
    async fn committed_after(&self) -> i64 {
        self.0.committed_after
    }
    async fn pending_export_after(&self) -> i64 {
        self.0.pending_export_after
    }
    async fn reason(&self) -> InventoryReason {
        self.0.reason.into()
    }
    async fn reference_type(&self) -> Option<InventoryReferenceType> {
        self.0.reference_type.map(|r: LedgerReference| r.into())
    }
    /// Numeric id of the order, slip or return this movement belongs to.
    async fn reference_id(&self) -> Option<i64> {
        self.0.reference_id
    }
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }
}

#[derive(InputObject, Default)]
pub struct InventoryFilterInput {
    pub variant_id: Option<ID>,
    pub warehouse_id: Option<ID>,
}

impl InventoryFilterInput {
    fn decode(self) -> Result<LevelFilter> {
        Ok(LevelFilter {
            variant_id: self.variant_id.as_ref().map(|id| require_id("ProductVariant", id)).transpose()?,
            warehouse_id: self.warehouse_id.as_ref().map(|id| require_id("Warehouse", id)).transpose()?,
        })
    }
}

#[derive(Default)]
pub struct InventoryQuery;

#[Object]
impl InventoryQuery {
    /// Stock levels, by variant and/or warehouse. At most 100 a page.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "first.or(last).unwrap_or(50).max(1) as usize * child_complexity")]
    async fn inventory_levels(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
        reverse: Option<bool>,
        filter: Option<InventoryFilterInput>,
    ) -> Result<Conn<InventoryLevel>> {
        let page = ConnectionArgs { after, before, first, last, reverse }.page()?;
        let filter = filter.unwrap_or_default().decode()?;
        let found = query(inventory::levels(&app(ctx)?.db, &filter, &page).await)?;
        Ok(connection(found, |l| l.id, InventoryLevel))
    }

    /// Stock movements, oldest first (`reverse` for newest first). At most 100 a page.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "first.or(last).unwrap_or(50).max(1) as usize * child_complexity")]
    async fn inventory_ledger(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
        reverse: Option<bool>,
        filter: Option<InventoryFilterInput>,
    ) -> Result<Conn<InventoryLedgerEntry>> {
        let page = ConnectionArgs { after, before, first, last, reverse }.page()?;
        let filter = filter.unwrap_or_default().decode()?;
        let found = query(inventory::ledger(&app(ctx)?.db, &filter, &page).await)?;
        Ok(connection(found, |l| l.id, InventoryLedgerEntry))
    }
}

#[derive(InputObject)]
pub struct InventoryAdjustInput {
    pub reason: InventoryAdjustReason,
    /// Shown in the ledger, up to 1000 characters.
    pub note: Option<String>,
    /// 1 to 250 changes; each (variant, warehouse) at most once.
    pub changes: Vec<InventoryChangeInput>,
}

#[derive(InputObject)]
pub struct InventoryChangeInput {
    pub variant_id: ID,
    pub warehouse_id: ID,
    /// Units to add to on hand (negative to remove); not zero. A level holds at most 1,000,000,000 units
    /// (QUANTITY_TOO_LARGE past that).
    pub delta: i32,
}

#[derive(InputObject)]
pub struct InventorySetInput {
    pub reason: InventoryAdjustReason,
    pub note: Option<String>,
    /// 1 to 250 quantities; each (variant, warehouse) at most once.
    pub quantities: Vec<InventorySetQuantityInput>,
}

#[derive(InputObject)]
pub struct InventorySetQuantityInput {
    pub variant_id: ID,
    pub warehouse_id: ID,
    /// The new on-hand quantity, at most 1,000,000,000 (QUANTITY_TOO_LARGE past that).
    pub on_hand: i32,
    /// Compare-and-set: the on-hand quantity you last read. If it changed since, nothing is written and the
    /// error STALE_QUANTITY says the current value. Omit to overwrite unconditionally.
    pub compare_on_hand: Option<i32>,
}

/// A level after a write, with the ledger entry the write made (null when nothing moved).
#[derive(SimpleObject)]
pub struct InventoryChange {
    pub level: InventoryLevel,
    pub ledger_entry: Option<InventoryLedgerEntry>,
}

#[derive(SimpleObject)]
pub struct InventoryChangesPayload {
    /// One per requested change, in request order; null when the request was refused.
    pub changes: Option<Vec<InventoryChange>>,
    pub user_errors: Vec<UserError>,
}

fn decode_pair(
    list: &str,
    i: usize,
    variant_id: &ID,
    warehouse_id: &ID,
    errors: &mut Vec<FieldError>,
) -> Option<(i64, i64)> {
    let index = i.to_string();
    let v = input_id("ProductVariant", variant_id, &[list, &index, "variantId"]).map_err(|e| errors.push(e)).ok();
    let w = input_id("Warehouse", warehouse_id, &[list, &index, "warehouseId"]).map_err(|e| errors.push(e)).ok();
    Some((v?, w?))
}

fn changes_payload(
    ctx: &Context<'_>,
    result: Result<Committed<Vec<LevelChange>>, ServiceError>,
) -> Result<InventoryChangesPayload> {
    let (changes, user_errors) = split(crate::jobs::effects::with_effects(app(ctx)?, result), &[])?;
    let changes = changes.map(|cs| {
        cs.into_iter()
            .map(|c| InventoryChange {
                level: InventoryLevel(c.level),
                ledger_entry: c.ledger.map(InventoryLedgerEntry),
            })
            .collect()
    });
    Ok(InventoryChangesPayload { changes, user_errors })
}

fn refused(errors: Vec<FieldError>) -> InventoryChangesPayload {
    InventoryChangesPayload { changes: None, user_errors: user_errors(errors, &[]) }
}

#[derive(Default)]
pub struct InventoryMutation;

#[Object]
impl InventoryMutation {
    /// Adds or removes on-hand units, all or nothing, one ledger entry per change.
    async fn inventory_adjust_quantities(
        &self,
        ctx: &Context<'_>,
        input: InventoryAdjustInput,
    ) -> Result<InventoryChangesPayload> {
        let mut errors = Vec::new();
        let changes: Vec<AdjustChange> = input
            .changes
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                let (variant_id, warehouse_id) =
                    decode_pair("changes", i, &c.variant_id, &c.warehouse_id, &mut errors)?;
                Some(AdjustChange { variant_id, warehouse_id, delta: c.delta.into() })
            })
            .collect();
        if !errors.is_empty() {
            return Ok(refused(errors));
        }
        let result = inventory::adjust(&app(ctx)?.db, input.reason.into(), input.note, changes).await;
        changes_payload(ctx, result)
    }

    /// Sets on-hand quantities (a stock count), all or nothing, with optional compare-and-set per quantity.
    async fn inventory_set_quantities(
        &self,
        ctx: &Context<'_>,
        input: InventorySetInput,
    ) -> Result<InventoryChangesPayload> {
        let mut errors = Vec::new();
        let quantities: Vec<SetQuantity> = input
            .quantities
            .iter()
            .enumerate()
            .filter_map(|(i, q)| {
                let (variant_id, warehouse_id) =
                    decode_pair("quantities", i, &q.variant_id, &q.warehouse_id, &mut errors)?;
                Some(SetQuantity {
                    variant_id,
                    warehouse_id,
                    on_hand: q.on_hand.into(),
                    compare_on_hand: q.compare_on_hand.map(i64::from),
                })
            })
            .collect();
        if !errors.is_empty() {
            return Ok(refused(errors));
        }
        let result = inventory::set(&app(ctx)?.db, input.reason.into(), input.note, quantities).await;
        changes_payload(ctx, result)
    }
}
