//! Stock levels, the ledger, and stock writes.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject, Union};

use entity::enums::{LedgerReason, LedgerReference};
use entity::{inventory_ledger, inventory_level};

use super::actors::{self, Actor, ActorKind};
use super::auth::actor;
use super::catalog::{ProductVariant, Warehouse};
use super::errors::{UserError, int, payloads, query, split, user_errors};
use super::loaders::{ExportSlipId, OrderId, OrderReturnId, VariantId, WarehouseId, load_by_id};
use super::orders::Order;
use super::relay::{Conn, ConnectionArgs, connection, global_id, input_id, require_id};
use super::stock::{ExportSlip, OrderReturn};
use super::{app, reader};
use crate::domain::errors::FieldError;
use crate::services::ServiceError;
use crate::services::effects::Committed;
use crate::services::inventory::{self, AdjustChange, LedgerFilter, LevelChange, LevelFilter, SetQuantity};

pub struct InventoryLevel(pub inventory_level::Model);

/// Stock of one variant in one warehouse, in units.
#[Object]
impl InventoryLevel {
    /// Global id.
    pub async fn id(&self) -> ID {
        global_id("InventoryLevel", self.0.id)
    }
    /// The variant stocked.
    async fn variant(&self, ctx: &Context<'_>) -> Result<Option<ProductVariant>> {
        Ok(load_by_id(ctx, VariantId(self.0.variant_id)).await?.map(ProductVariant))
    }
    /// The warehouse holding it.
    async fn warehouse(&self, ctx: &Context<'_>) -> Result<Option<Warehouse>> {
        Ok(load_by_id(ctx, WarehouseId(self.0.warehouse_id)).await?.map(Warehouse))
    }
    /// Units physically in the warehouse. Below zero only for variants that allow overselling.
    async fn on_hand(&self) -> Result<i32> {
        int(self.0.on_hand)
    }
    /// Units reserved by open channel orders.
    async fn committed(&self) -> Result<i32> {
        int(self.0.committed)
    }
    /// Units on export slips waiting to leave the warehouse.
    async fn pending_export(&self) -> Result<i32> {
        int(self.0.pending_export)
    }
    /// onHand − committed − pendingExport (derived, never stored).
    async fn available(&self) -> Result<i32> {
        int(inventory::quantities(&self.0).available())
    }
    /// When a quantity last moved.
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
    /// A manual stock change.
    Adjustment,
    /// A channel order.
    Order,
    /// An export slip.
    ExportSlip,
    /// A recorded return.
    Return,
}

/// Reasons a merchant may give to a manual stock change.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum InventoryAdjustReason {
    /// A manual change without a more specific reason.
    Adjustment,
    /// A stock count correcting the recorded quantity.
    Correction,
    /// Goods received.
    Received,
    /// Goods damaged or lost.
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

pub struct InventoryLedgerEntry(pub inventory_ledger::Model);

/// What a stock movement belongs to.
#[derive(Union)]
#[allow(clippy::large_enum_variant)] // one value per resolved field, never stored
pub enum InventoryReference {
    Order(Order),
    ExportSlip(ExportSlip),
    OrderReturn(OrderReturn),
}

/// One movement of stock. Append-only: entries are never changed or removed.
#[Object]
impl InventoryLedgerEntry {
    /// Global id.
    pub async fn id(&self) -> ID {
        global_id("InventoryLedgerEntry", self.0.id)
    }
    /// The variant whose stock moved (null once deleted).
    async fn variant(&self, ctx: &Context<'_>) -> Result<Option<ProductVariant>> {
        Ok(load_by_id(ctx, VariantId(self.0.variant_id)).await?.map(ProductVariant))
    }
    /// The warehouse where it moved.
    async fn warehouse(&self, ctx: &Context<'_>) -> Result<Option<Warehouse>> {
        Ok(load_by_id(ctx, WarehouseId(self.0.warehouse_id)).await?.map(Warehouse))
    }
    /// Change of on hand, in units (negative: removed).
    async fn on_hand_delta(&self) -> Result<i32> {
        int(self.0.on_hand_delta)
    }
    /// Change of committed, in units.
    async fn committed_delta(&self) -> Result<i32> {
        int(self.0.committed_delta)
    }
    /// Change of pending export, in units.
    async fn pending_export_delta(&self) -> Result<i32> {
        int(self.0.pending_export_delta)
    }
    /// On hand right after this movement.
    async fn on_hand_after(&self) -> Result<i32> {
        int(self.0.on_hand_after)
    }
    /// Committed right after this movement.
    async fn committed_after(&self) -> Result<i32> {
        int(self.0.committed_after)
    }
    /// Pending export right after this movement.
    async fn pending_export_after(&self) -> Result<i32> {
        int(self.0.pending_export_after)
    }
    /// Why stock moved.
    async fn reason(&self) -> InventoryReason {
        self.0.reason.into()
    }
    /// What the movement belongs to; null for manual changes.
    async fn reference_type(&self) -> Option<InventoryReferenceType> {
        self.0.reference_type.map(|r: LedgerReference| r.into())
    }
    /// The order, export slip or return this movement belongs to; null for manual changes.
    async fn reference(&self, ctx: &Context<'_>) -> Result<Option<InventoryReference>> {
        let (Some(kind), Some(id)) = (self.0.reference_type, self.0.reference_id) else { return Ok(None) };
        Ok(match kind {
            LedgerReference::Adjustment => None,
            LedgerReference::Order => load_by_id(ctx, OrderId(id)).await?.map(|m| InventoryReference::Order(Order(m))),
            LedgerReference::ExportSlip => {
                load_by_id(ctx, ExportSlipId(id)).await?.map(|m| InventoryReference::ExportSlip(ExportSlip(m)))
            }
            LedgerReference::Return => {
                load_by_id(ctx, OrderReturnId(id)).await?.map(|m| InventoryReference::OrderReturn(OrderReturn(m)))
            }
        })
    }
    /// The bundle whose order, slip or return moved this component (`ProductVariant.bundleComponents`); null when
    /// the variant moved for itself (or the bundle was deleted).
    async fn bundle(&self, ctx: &Context<'_>) -> Result<Option<ProductVariant>> {
        let Some(id) = self.0.bundle_variant_id else { return Ok(None) };
        Ok(load_by_id(ctx, VariantId(id)).await?.map(ProductVariant))
    }
    /// The merchant's note on a manual change; otherwise what it was for, e.g. "export slip PXK-42-1".
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    /// Who moved the stock: the API token of a manual change or slip, the channel of an imported order; null for
    /// entries written before actors were recorded.
    async fn actor(&self) -> Option<Actor> {
        actors::stored(self.0.actor_kind, self.0.actor_name.as_deref())
    }
    /// When the stock moved.
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }
}

/// Which levels to list.
#[derive(InputObject, Default)]
pub struct InventoryFilterInput {
    /// Only this variant's (a ProductVariant global id).
    pub variant_id: Option<ID>,
    /// Only this warehouse's (a Warehouse global id).
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

/// Which ledger entries to list; every field given must match.
#[derive(InputObject, Default)]
pub struct InventoryLedgerFilterInput {
    /// Only this variant's (a ProductVariant global id).
    pub variant_id: Option<ID>,
    /// Only this warehouse's (a Warehouse global id).
    pub warehouse_id: Option<ID>,
    /// Only entries made by this kind of actor (entries without a recorded actor never match).
    pub actor_kind: Option<ActorKind>,
    /// Only entries whose actor has exactly this name (case-sensitive; surrounding spaces ignored; not blank).
    pub actor_name: Option<String>,
}

impl InventoryLedgerFilterInput {
    fn decode(self) -> Result<LedgerFilter> {
        Ok(LedgerFilter {
            variant_id: self.variant_id.as_ref().map(|id| require_id("ProductVariant", id)).transpose()?,
            warehouse_id: self.warehouse_id.as_ref().map(|id| require_id("Warehouse", id)).transpose()?,
            actor: actors::filter("filter", self.actor_kind, self.actor_name.as_deref())?,
        })
    }
}

#[derive(Default)]
pub struct InventoryQuery;

#[Object]
impl InventoryQuery {
    /// Stock levels, by variant and/or warehouse. At most 100 a page.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "super::relay::page_cost(first, last, child_complexity)")]
    async fn inventory_levels(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Start after this cursor (an edge's `cursor`).")] after: Option<String>,
        #[graphql(desc = "End before this cursor (an edge's `cursor`).")] before: Option<String>,
        #[graphql(desc = "Page size, from the start (or `after`): 0 to 100, default 50.")] first: Option<i32>,
        #[graphql(desc = "Page size, from the end (or `before`): 0 to 100; not with `first`.")] last: Option<i32>,
        #[graphql(desc = "true: newest first (the list's order reversed). Default false.")] reverse: Option<bool>,
        #[graphql(desc = "Narrows the list.")] filter: Option<InventoryFilterInput>,
    ) -> Result<Conn<InventoryLevel>> {
        let page = ConnectionArgs { after, before, first, last, reverse }.page(ctx)?;
        let filter = filter.unwrap_or_default().decode()?;
        let found = query(inventory::levels(reader(ctx)?, &filter, &page).await)?;
        Ok(connection(found, InventoryLevel))
    }

    /// Stock movements, oldest first (`reverse` for newest first). At most 100 a page.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "super::relay::page_cost(first, last, child_complexity)")]
    async fn inventory_ledger(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Start after this cursor (an edge's `cursor`).")] after: Option<String>,
        #[graphql(desc = "End before this cursor (an edge's `cursor`).")] before: Option<String>,
        #[graphql(desc = "Page size, from the start (or `after`): 0 to 100, default 50.")] first: Option<i32>,
        #[graphql(desc = "Page size, from the end (or `before`): 0 to 100; not with `first`.")] last: Option<i32>,
        #[graphql(desc = "true: newest first (the list's order reversed). Default false.")] reverse: Option<bool>,
        #[graphql(desc = "Narrows the list.")] filter: Option<InventoryLedgerFilterInput>,
    ) -> Result<Conn<InventoryLedgerEntry>> {
        let page = ConnectionArgs { after, before, first, last, reverse }.page(ctx)?;
        let filter = filter.unwrap_or_default().decode()?;
        let found = query(inventory::ledger(reader(ctx)?, &filter, &page).await)?;
        Ok(connection(found, InventoryLedgerEntry))
    }
}

/// A manual stock change: units added to or removed from on hand.
#[derive(InputObject)]
pub struct InventoryAdjustInput {
    /// Why, recorded on every ledger entry.
    pub reason: InventoryAdjustReason,
    /// Shown in the ledger, up to 1000 characters.
    pub note: Option<String>,
    /// 1 to 250 changes; each (variant, warehouse) at most once.
    pub changes: Vec<InventoryChangeInput>,
}

/// One change of an adjustment.
#[derive(InputObject)]
pub struct InventoryChangeInput {
    /// Global id of the ProductVariant.
    pub variant_id: ID,
    /// Global id of the Warehouse.
    pub warehouse_id: ID,
    /// Units to add to on hand (negative to remove); not zero. A level holds at most 1,000,000,000 units
    /// (QUANTITY_TOO_LARGE past that).
    pub delta: i32,
}

/// A stock count: on-hand quantities to set.
#[derive(InputObject)]
pub struct InventorySetInput {
    /// Why, recorded on every ledger entry.
    pub reason: InventoryAdjustReason,
    /// Shown in the ledger, up to 1000 characters.
    pub note: Option<String>,
    /// 1 to 250 quantities; each (variant, warehouse) at most once.
    pub quantities: Vec<InventorySetQuantityInput>,
}

/// One quantity of a stock count.
#[derive(InputObject)]
pub struct InventorySetQuantityInput {
    /// Global id of the ProductVariant.
    pub variant_id: ID,
    /// Global id of the Warehouse.
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
    /// The level after the write.
    pub level: InventoryLevel,
    /// The entry the write made; null when nothing moved (a count equal to the stored quantity).
    pub ledger_entry: Option<InventoryLedgerEntry>,
}

payloads! {
    /// Result of `inventoryAdjustQuantities`.
    InventoryAdjustQuantitiesPayload,
    /// Result of `inventorySetQuantities`.
    InventorySetQuantitiesPayload => {
        /// One per requested change, in request order; null when the request was refused.
        pub changes: Option<Vec<InventoryChange>>,
        /// Why the request was refused (nothing was written); empty on success.
        pub user_errors: Vec<UserError>,
    }
}

/// (changes, userErrors) of a stock write.
type ChangesAnswer = (Option<Vec<InventoryChange>>, Vec<UserError>);

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
) -> Result<ChangesAnswer> {
    let (changes, user_errors) = split(crate::jobs::effects::with_effects(app(ctx)?, result), &[])?;
    let changes = changes.map(|cs| {
        cs.into_iter()
            .map(|c| InventoryChange {
                level: InventoryLevel(c.level),
                ledger_entry: c.ledger.map(InventoryLedgerEntry),
            })
            .collect()
    });
    Ok((changes, user_errors))
}

fn refused(errors: Vec<FieldError>) -> ChangesAnswer {
    (None, user_errors(errors, &[]))
}

#[derive(Default)]
pub struct InventoryMutation;

#[Object]
impl InventoryMutation {
    /// Adds or removes on-hand units, all or nothing, one ledger entry per change.
    async fn inventory_adjust_quantities(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The reason, note and changes.")] input: InventoryAdjustInput,
    ) -> Result<InventoryAdjustQuantitiesPayload> {
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
            let (changes, user_errors) = refused(errors);
            return Ok(InventoryAdjustQuantitiesPayload { changes, user_errors });
        }
        let result = inventory::adjust(&app(ctx)?.db, &actor(ctx)?, input.reason.into(), input.note, changes).await;
        let (changes, user_errors) = changes_payload(ctx, result)?;
        Ok(InventoryAdjustQuantitiesPayload { changes, user_errors })
    }

    /// Sets on-hand quantities (a stock count), all or nothing, with optional compare-and-set per quantity.
    async fn inventory_set_quantities(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The reason, note and quantities.")] input: InventorySetInput,
    ) -> Result<InventorySetQuantitiesPayload> {
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
            let (changes, user_errors) = refused(errors);
            return Ok(InventorySetQuantitiesPayload { changes, user_errors });
        }
        let result = inventory::set(&app(ctx)?.db, &actor(ctx)?, input.reason.into(), input.note, quantities).await;
        let (changes, user_errors) = changes_payload(ctx, result)?;
        Ok(InventorySetQuantitiesPayload { changes, user_errors })
    }
}
