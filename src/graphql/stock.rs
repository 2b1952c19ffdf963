//! Stock push (explanation, history, push and reconcile runs), export slips and returns.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};

use entity::enums::{ExportSlipStatus, SyncRunKind};
use entity::{export_slip, export_slip_line, order_return, return_line, stock_push};

use super::auth::actor;
use super::catalog::{Money, ProductVariant, ScheduledSale, Warehouse};
use super::channels::{Channel, OversellPolicyGql, PricePolicyGql};
use super::errors::{UserError, int, int_opt, payloads, query, split, user_errors};
use super::inventory::InventoryLevel;
use super::linking::ProductLink;
use super::loaders::{
    ChannelId, OrderId, ProductLinkId, ReturnLinesOf, SlipLinesOf, VariantId, WarehouseId, load_by_id, load_children,
    load_required,
};
use super::orders::{Order, OrderLine};
use super::relay::{Conn, ConnectionArgs, connection, global_id, input_id, require_id};
use super::sync_errors::stored_code;
use super::sync_runs::{StockPushStartPayload, StockReconcileStartPayload, SyncRun, run_answer};
use super::{app, reader};
use crate::domain::errors::FieldError;
use crate::domain::price_rules::PriceStepKind;
use crate::domain::stock_push::{QuantityRule, SafetyStockSource};
use crate::domain::sync_errors::SyncErrorCode;
use crate::jobs;
use crate::services::effects::Committed;
use crate::services::export_slips::{self as slips, ReturnInput, ReturnLineInput, SlipFilter};
use crate::services::link_marks::variant_flags;
use crate::services::stock_push::{self as service, Explanation, PushFilter};
use crate::services::{ServiceResult, channels};

// ------------------------------------------------------------------------------------------------ explanation

pub struct StockExplanation(Explanation);

/// One step of a pushed price's computation.
#[derive(SimpleObject)]
pub struct PriceStep {
    /// What the step did.
    kind: PriceStepKind,
    /// The price after it.
    price: Money,
}

/// Why a channel shows (or will show) a quantity and price for a variant: the number, the rule, and its inputs.
#[Object]
impl StockExplanation {
    /// The variant explained.
    async fn variant(&self) -> ProductVariant {
        ProductVariant(self.0.variant.clone())
    }
    /// The channel it is pushed to.
    async fn channel(&self) -> Channel {
        Channel(self.0.channel.clone())
    }
    /// The quantity the hub pushes now; null when no quantity is sent (sync off, not tracked).
    async fn quantity(&self) -> Result<Option<i32>> {
        int_opt(self.0.decision.quantity)
    }
    /// The SPEC §3 rule that decided `quantity`.
    async fn rule(&self) -> QuantityRule {
        self.0.decision.rule
    }
    /// The whole reasoning in one sentence.
    async fn summary(&self) -> &str {
        &self.0.summary
    }
    /// Each warehouse whose stock the channel gets (its chosen ones, else the default) with the variant's figures
    /// there; the rule works on their sum (`onHand`, `committed`, `pendingExport`).
    async fn warehouses(&self) -> Vec<StockExplanationWarehouse> {
        self.0
            .warehouses
            .warehouses
            .iter()
            .zip(&self.0.levels.each)
            .map(|(w, (_, level))| StockExplanationWarehouse { warehouse: w.clone(), level: *level })
            .collect()
    }
    /// The first of `warehouses`.
    #[graphql(deprecation = "A channel may read several warehouses: use warehouses.")]
    async fn warehouse(&self) -> Option<Warehouse> {
        self.0.warehouses.warehouses.first().cloned().map(Warehouse)
    }
    /// Whether the channel chose its stock warehouses (then on hand − committed − pending export is pushed).
    async fn warehouse_chosen(&self) -> bool {
        self.0.settings.warehouse_chosen
    }
    /// On hand in those warehouses together.
    async fn on_hand(&self) -> Result<i32> {
        int(self.0.levels.total.on_hand)
    }
    /// Reserved by open orders in those warehouses together.
    async fn committed(&self) -> Result<i32> {
        int(self.0.levels.total.committed)
    }
    /// On waiting export slips in those warehouses together.
    async fn pending_export(&self) -> Result<i32> {
        int(self.0.levels.total.pending_export)
    }
    /// onHand − committed − pendingExport.
    async fn available(&self) -> Result<i32> {
        int(self.0.levels.total.available())
    }
    /// The variant's `trackInventory`: when false, no quantity is pushed.
    async fn track_inventory(&self) -> bool {
        self.0.variant.track_inventory
    }
    /// The variant may be sold when out of stock.
    async fn allow_oversell(&self) -> bool {
        self.0.variant.allow_oversell
    }
    /// The channel's oversell policy (used when `allowOversell`).
    async fn oversell_policy(&self) -> OversellPolicyGql {
        self.0.settings.oversell_policy.into()
    }
    /// The quantity pushed for overselling variants (units).
    async fn oversell_quantity(&self) -> Result<i32> {
        int(self.0.settings.oversell_quantity)
    }
    /// Units of the real quantity held back as safety stock now (0 where an oversell quantity is pushed).
    async fn safety_stock(&self) -> Result<i32> {
        int(self.0.decision.held_back)
    }
    /// The channel's share of the variant's units while its warehouse splits them between channels (rule
    /// ALLOCATED; `Warehouse.stockAllocation` or the variant's low-stock threshold); null: the shared rule.
    async fn allocated_quantity(&self) -> Result<Option<i32>> {
        int_opt(self.0.link.as_ref().and_then(|l| l.allocated_quantity))
    }
    /// Whose safety stock `safetyStock` is: the variant's own, the channel's, or none.
    async fn safety_stock_source(&self) -> SafetyStockSource {
        SafetyStockSource::of(variant_flags(&self.0.variant), self.0.settings.safety_stock)
    }
    /// The channel's `syncQuantity`: when false, no quantity is pushed.
    async fn sync_quantity(&self) -> bool {
        self.0.settings.sync_quantity
    }
    /// The channel's `syncPrice`: when false, no price is pushed.
    async fn sync_price(&self) -> bool {
        self.0.settings.sync_price
    }
    /// The channel's price policy: which hub price `price` is.
    async fn price_policy(&self) -> PricePolicyGql {
        self.0.settings.price_policy.into()
    }
    /// The price the hub pushes now (`pricePolicy`, then the channel's `priceRule`); null when `syncPrice` is off
    /// or the rule leaves no price above 0.
    async fn price(&self) -> Option<Money> {
        let price = self.0.price.as_ref().and_then(|c| c.price)?;
        Some(Money::new(price, channels::currency(&self.0.channel)))
    }
    /// How `price` was computed, step by step: the policy's price (BASE), then each step of the channel's
    /// `priceRule` that changed it, with the price after it. Empty when `syncPrice` is off.
    async fn price_steps(&self) -> Vec<PriceStep> {
        let currency = channels::currency(&self.0.channel);
        let steps = self.0.price.as_ref().map(|c| c.steps.clone()).unwrap_or_default();
        steps.into_iter().map(|s| PriceStep { kind: s.kind, price: Money::new(s.price, currency) }).collect()
    }
    /// The sale pushed with `price` (its price through the channel's `priceRule`), where the marketplace schedules
    /// sale prices (Lazada); null: none (no sale, it ended, or the marketplace has no scheduled sales).
    async fn sale(&self) -> Option<ScheduledSale> {
        self.0.sale.map(|s| ScheduledSale::new(s, channels::currency(&self.0.channel)))
    }
    /// The variant's link on this channel (null: not linked, nothing is pushed).
    async fn link(&self) -> Option<ProductLink> {
        self.0.link.clone().map(ProductLink)
    }
    /// The quantity the channel was last given (or last read back), if any.
    async fn last_pushed_quantity(&self) -> Result<Option<i32>> {
        int_opt(self.0.link.as_ref().and_then(|l| l.last_pushed_quantity))
    }
    /// When a push of the link last succeeded; null before the first.
    async fn last_pushed_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.0.link.as_ref().and_then(|l| l.last_pushed_at)
    }
    /// A push of this link is waiting (the value changed since the last push, or a retry is due).
    async fn push_pending(&self) -> bool {
        self.0.link.as_ref().is_some_and(|l| l.push_pending)
    }
    /// An order event of this channel is still waiting to be imported: quantity raises wait until it is.
    async fn orders_waiting(&self) -> bool {
        self.0.orders_waiting
    }
    /// The quantity is a raise held back by the stale-push guard right now.
    async fn held(&self) -> bool {
        self.0.held
    }
    /// For a bundle (`ProductVariant.bundleComponents`): each component with its figures in the channel's
    /// warehouses and how many bundles it makes; the figures above are derived from them, and `limiting` marks the
    /// one that decides. Empty for a variant that is not a bundle.
    async fn bundle_components(&self) -> Vec<StockExplanationBundleComponent> {
        let limiting = self.0.levels.bundle.as_ref().and_then(|b| b.limiting);
        self.0
            .components
            .iter()
            .enumerate()
            .map(|(i, (variant, part))| StockExplanationBundleComponent {
                variant: variant.clone(),
                part: *part,
                limiting: limiting == Some(i),
            })
            .collect()
    }
}

pub struct StockExplanationBundleComponent {
    variant: entity::product_variant::Model,
    part: crate::services::warehouses::BundlePart,
    limiting: bool,
}

/// One component of a bundle, as a channel's stock reads it.
#[Object]
impl StockExplanationBundleComponent {
    /// The component variant.
    async fn variant(&self) -> ProductVariant {
        ProductVariant(self.variant.clone())
    }
    /// Units of it in one bundle.
    async fn quantity(&self) -> Result<i32> {
        int(self.part.quantity)
    }
    /// Its on hand in the channel's warehouses together.
    async fn on_hand(&self) -> Result<i32> {
        int(self.part.total.on_hand)
    }
    /// Its available units (on hand − committed − pending export) in the channel's warehouses together.
    async fn available(&self) -> Result<i32> {
        int(self.part.total.available())
    }
    /// Bundles its available units make (available ÷ quantity, rounded down).
    async fn bundles(&self) -> Result<i32> {
        int(self.part.bundles_available())
    }
    /// It makes the fewest bundles: it decides the bundle's quantity.
    async fn limiting(&self) -> bool {
        self.limiting
    }
}

pub struct StockExplanationWarehouse {
    warehouse: entity::warehouse::Model,
    level: crate::domain::inventory::Quantities,
}

/// One warehouse a channel's stock comes from, with the variant's figures there.
#[Object]
impl StockExplanationWarehouse {
    /// The warehouse.
    async fn warehouse(&self) -> Warehouse {
        Warehouse(self.warehouse.clone())
    }
    /// On hand there.
    async fn on_hand(&self) -> Result<i32> {
        int(self.level.on_hand)
    }
    /// Reserved by open orders there.
    async fn committed(&self) -> Result<i32> {
        int(self.level.committed)
    }
    /// On waiting export slips there.
    async fn pending_export(&self) -> Result<i32> {
        int(self.level.pending_export)
    }
    /// onHand − committed − pendingExport there.
    async fn available(&self) -> Result<i32> {
        int(self.level.available())
    }
}

pub struct StockPush(pub stock_push::Model);

/// One push sent to a channel (kept `pushHistoryRetentionDays`).
#[Object]
impl StockPush {
    /// Global id.
    pub async fn id(&self) -> ID {
        global_id("StockPush", self.0.id)
    }
    /// The channel pushed to.
    async fn channel(&self, ctx: &Context<'_>) -> Result<Channel> {
        Ok(Channel(load_required(ctx, ChannelId(self.0.channel_id), "the push's channel").await?))
    }
    /// The product link pushed (null once the link was deleted; the history stays).
    async fn link(&self, ctx: &Context<'_>) -> Result<Option<ProductLink>> {
        let Some(id) = self.0.product_link_id else { return Ok(None) };
        Ok(load_by_id(ctx, ProductLinkId(id)).await?.map(ProductLink))
    }
    /// The variant (null once deleted; the history stays).
    async fn variant(&self, ctx: &Context<'_>) -> Result<Option<ProductVariant>> {
        let Some(id) = self.0.variant_id else { return Ok(None) };
        Ok(load_by_id(ctx, VariantId(id)).await?.map(ProductVariant))
    }
    /// The listing's seller SKU at the time.
    async fn seller_sku(&self) -> Option<&str> {
        self.0.seller_sku.as_deref()
    }
    /// Quantity sent (null: not part of this push).
    async fn quantity(&self) -> Result<Option<i32>> {
        int_opt(self.0.quantity)
    }
    /// Price sent, in the channel's currency (null: not part of this push).
    async fn price(&self, ctx: &Context<'_>) -> Result<Option<Money>> {
        let Some(minor) = self.0.price_minor else { return Ok(None) };
        let channel = load_required(ctx, ChannelId(self.0.channel_id), "the push's channel").await?;
        Ok(Some(Money::new(minor, channels::currency(&channel))))
    }
    /// What decided the values: rule, warehouse, on hand, committed, pending export, policies, previous values.
    async fn inputs(&self) -> async_graphql::Json<serde_json::Value> {
        async_graphql::Json(self.0.inputs.clone())
    }
    /// The channel accepted it.
    async fn ok(&self) -> bool {
        self.0.ok
    }
    /// The channel's answer for this SKU.
    async fn response(&self) -> Option<async_graphql::Json<serde_json::Value>> {
        self.0.response.clone().map(async_graphql::Json)
    }
    /// STOCK_PUSH_FAILED when the channel refused it (its answer is in `response`); null when accepted.
    async fn error_code(&self) -> Result<Option<SyncErrorCode>> {
        self.0.error_code.as_deref().map(stored_code).transpose()
    }
    /// When it was sent.
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }
}

/// Filters of the push history.
#[derive(InputObject, Default)]
pub struct StockPushFilterInput {
    /// Only this variant's pushes (a ProductVariant global id).
    pub variant_id: Option<ID>,
    /// Only this link's pushes (a ProductLink global id).
    pub link_id: Option<ID>,
    /// Only accepted (true) or refused (false) pushes.
    pub ok: Option<bool>,
}

// ------------------------------------------------------------------------------------------------ slips

/// State of an export slip.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "ExportSlipStatus", remote = "entity::enums::ExportSlipStatus")]
pub enum ExportSlipStatusGql {
    /// Created; units are pending export ("Chờ xuất kho").
    Waiting,
    /// The goods left the warehouse ("Đã xuất kho").
    Exported,
    /// Cancelled; the units are available again ("Đã hủy").
    Cancelled,
}

pub struct ExportSlip(pub export_slip::Model);

/// Stock leaving a warehouse for a channel order (SPEC §5). Its status never changes the order's.
#[Object]
impl ExportSlip {
    /// Global id.
    pub async fn id(&self) -> ID {
        global_id("ExportSlip", self.0.id)
    }
    /// The slip's number, e.g. PXK-42-1.
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// Where the slip is.
    async fn status(&self) -> ExportSlipStatusGql {
        self.0.status.into()
    }
    /// The order the goods are for.
    async fn order(&self, ctx: &Context<'_>) -> Result<Order> {
        Ok(Order(load_required(ctx, OrderId(self.0.order_id), "the slip's order").await?))
    }
    /// The warehouse the goods leave.
    async fn warehouse(&self, ctx: &Context<'_>) -> Result<Option<Warehouse>> {
        Ok(load_by_id(ctx, WarehouseId(self.0.warehouse_id)).await?.map(Warehouse))
    }
    /// One line per order line.
    async fn lines(&self, ctx: &Context<'_>) -> Result<Vec<ExportSlipLine>> {
        Ok(load_children(ctx, SlipLinesOf(self.0.id)).await?.into_iter().map(ExportSlipLine).collect())
    }
    /// When it was created.
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }
    /// When it was marked EXPORTED; null before.
    async fn exported_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.0.exported_at
    }
    /// When it was cancelled; null unless CANCELLED.
    async fn cancelled_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.0.cancelled_at
    }
}

pub struct ExportSlipLine(pub export_slip_line::Model);

/// A line of an export slip.
#[Object]
impl ExportSlipLine {
    /// The order line it ships (null for a line added by hand).
    async fn order_line(&self, ctx: &Context<'_>) -> Result<Option<OrderLine>> {
        let Some(id) = self.0.order_line_id else { return Ok(None) };
        OrderLine::load(ctx, id).await
    }
    /// The hub variant leaving (null once deleted).
    async fn variant(&self, ctx: &Context<'_>) -> Result<Option<ProductVariant>> {
        Ok(load_by_id(ctx, VariantId(self.0.variant_id)).await?.map(ProductVariant))
    }
    /// Units on the slip.
    async fn quantity(&self) -> Result<i32> {
        int(self.0.quantity)
    }
    /// Units taken over from the order's reservation in the same warehouse (moved from committed to pending
    /// export, so they are not counted twice).
    async fn moved_from_committed(&self) -> Result<i32> {
        int(self.0.moved_from_committed)
    }
    /// Units of the order's reservation released in its own warehouse, another than the slip's (so they are not
    /// counted twice); cancelling the slip reserves them there again while the order is open.
    async fn released_quantity(&self) -> Result<i32> {
        int(self.0.released_quantity)
    }
    /// Where `releasedQuantity` was released (null when nothing was).
    async fn released_warehouse(&self, ctx: &Context<'_>) -> Result<Option<Warehouse>> {
        let Some(id) = self.0.released_warehouse_id else { return Ok(None) };
        Ok(load_by_id(ctx, WarehouseId(id)).await?.map(Warehouse))
    }
}

/// Filters of export slips.
#[derive(InputObject, Default)]
pub struct ExportSlipFilterInput {
    /// Only slips in this state.
    pub status: Option<ExportSlipStatusGql>,
    /// Only this order's slips (an Order global id).
    pub order_id: Option<ID>,
    /// Only slips from this warehouse (a Warehouse global id).
    pub warehouse_id: Option<ID>,
}

payloads! {
    /// Result of `exportSlipCreate`.
    ExportSlipCreatePayload,
    /// Result of `exportSlipExport`.
    ExportSlipExportPayload,
    /// Result of `exportSlipCancel`.
    ExportSlipCancelPayload => {
        /// The slip after the change; null when refused.
        pub export_slip: Option<ExportSlip>,
        /// The stock levels the change moved.
        pub levels: Vec<InventoryLevel>,
        /// Why the request was refused (nothing changed); empty on success.
        pub user_errors: Vec<UserError>,
    }
}

/// A slip write's answer, which each slip payload converts from.
struct SlipAnswer {
    export_slip: Option<ExportSlip>,
    levels: Vec<InventoryLevel>,
    user_errors: Vec<UserError>,
}

macro_rules! from_slip_answer {
    ($($payload:ident),+) => {
        $(impl From<SlipAnswer> for $payload {
            fn from(a: SlipAnswer) -> Self {
                Self { export_slip: a.export_slip, levels: a.levels, user_errors: a.user_errors }
            }
        })+
    };
}
from_slip_answer!(ExportSlipCreatePayload, ExportSlipExportPayload, ExportSlipCancelPayload);

// ------------------------------------------------------------------------------------------------ returns

/// State of a recorded return.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "ReturnStatus", remote = "entity::enums::ReturnStatus")]
pub enum ReturnStatusGql {
    /// Recorded; nothing was put back on hand.
    Recorded,
    /// Some units were put back on hand.
    Restocked,
}

pub struct OrderReturn(pub order_return::Model);

/// A return recorded in the hub for an order: which lines, how many, what went back on hand (SPEC §4).
#[Object]
impl OrderReturn {
    /// Global id.
    pub async fn id(&self) -> ID {
        global_id("OrderReturn", self.0.id)
    }
    /// The order returned.
    async fn order(&self, ctx: &Context<'_>) -> Result<Order> {
        Ok(Order(load_required(ctx, OrderId(self.0.order_id), "the return's order").await?))
    }
    /// Where restocked units went.
    async fn warehouse(&self, ctx: &Context<'_>) -> Result<Option<Warehouse>> {
        Ok(load_by_id(ctx, WarehouseId(self.0.warehouse_id)).await?.map(Warehouse))
    }
    /// Whether units were put back on hand.
    async fn status(&self) -> ReturnStatusGql {
        self.0.status.into()
    }
    /// The merchant's note.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    /// What was refunded to the buyer for this return, in the order's currency (zero when none was given).
    async fn refunded_amount(&self, ctx: &Context<'_>) -> Result<Money> {
        let order = load_required(ctx, OrderId(self.0.order_id), "the return's order").await?;
        Ok(Money::new(self.0.refunded_minor, &order.currency))
    }
    /// The lines returned.
    async fn lines(&self, ctx: &Context<'_>) -> Result<Vec<OrderReturnLine>> {
        Ok(load_children(ctx, ReturnLinesOf(self.0.id)).await?.into_iter().map(OrderReturnLine).collect())
    }
    /// When it was recorded.
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }
}

pub struct OrderReturnLine(pub return_line::Model);

/// A line of a return.
#[Object]
impl OrderReturnLine {
    /// The order line returned.
    async fn order_line(&self, ctx: &Context<'_>) -> Result<OrderLine> {
        OrderLine::load(ctx, self.0.order_line_id)
            .await?
            .ok_or_else(|| super::errors::internal(anyhow::anyhow!("a returned order line is missing")))
    }
    /// The hub variant of the order line; null when it was not linked or was deleted.
    async fn variant(&self, ctx: &Context<'_>) -> Result<Option<ProductVariant>> {
        let Some(id) = self.0.variant_id else { return Ok(None) };
        Ok(load_by_id(ctx, VariantId(id)).await?.map(ProductVariant))
    }
    /// Units returned.
    async fn quantity(&self) -> Result<i32> {
        int(self.0.quantity)
    }
    /// Units put back on hand.
    async fn restock_quantity(&self) -> Result<i32> {
        int(self.0.restock_quantity)
    }
}

/// One line of a return to record.
#[derive(InputObject)]
pub struct OrderReturnLineInput {
    /// Global id of the order line (type OrderLine).
    pub order_line_id: ID,
    /// Units returned: at least 1, at most sold less already returned.
    pub quantity: i32,
    /// Put these units back on hand (a ledger entry RETURN_RESTOCKED); false records them only.
    pub restock: bool,
}

/// Result of `orderReturnRecord`.
#[derive(SimpleObject)]
pub struct OrderReturnRecordPayload {
    /// The recorded return; null when refused.
    pub order_return: Option<OrderReturn>,
    /// The stock levels restocking moved.
    pub levels: Vec<InventoryLevel>,
    /// Why the request was refused (nothing was recorded); empty on success.
    pub user_errors: Vec<UserError>,
}

// ------------------------------------------------------------------------------------------------ roots

#[derive(Default)]
pub struct StockQuery;

#[Object]
impl StockQuery {
    /// The quantity (and price) that was or would be pushed for a variant to a channel, and why: rule applied,
    /// warehouse, on hand, committed, pending export, oversell policy, guard.
    async fn stock_explanation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the ProductVariant.")] variant_id: ID,
        #[graphql(desc = "Global id of the Channel.")] channel_id: ID,
    ) -> Result<StockExplanation> {
        let (v, c) = (require_id("ProductVariant", &variant_id)?, require_id("Channel", &channel_id)?);
        Ok(StockExplanation(query(service::explain(reader(ctx)?, v, c).await)?))
    }

    /// Push history of a channel, oldest first (`reverse` for newest first). At most 100 a page.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "super::relay::page_cost(first, last, child_complexity)")]
    async fn stock_pushes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the Channel.")] channel_id: ID,
        #[graphql(desc = "Narrows the list.")] filter: Option<StockPushFilterInput>,
        #[graphql(desc = "Start after this cursor (an edge's `cursor`).")] after: Option<String>,
        #[graphql(desc = "End before this cursor (an edge's `cursor`).")] before: Option<String>,
        #[graphql(desc = "Page size, from the start (or `after`): 0 to 100, default 50.")] first: Option<i32>,
        #[graphql(desc = "Page size, from the end (or `before`): 0 to 100; not with `first`.")] last: Option<i32>,
        #[graphql(desc = "true: newest first (the list's order reversed). Default false.")] reverse: Option<bool>,
    ) -> Result<Conn<StockPush>> {
        let page = ConnectionArgs { after, before, first, last, reverse }.page(ctx)?;
        let f = filter.unwrap_or_default();
        let filter = PushFilter {
            channel_id: Some(require_id("Channel", &channel_id)?),
            variant_id: f.variant_id.as_ref().map(|id| require_id("ProductVariant", id)).transpose()?,
            link_id: f.link_id.as_ref().map(|id| require_id("ProductLink", id)).transpose()?,
            ok: f.ok,
        };
        let found = query(service::history(reader(ctx)?, &filter, &page).await)?;
        Ok(connection(found, StockPush))
    }

    /// An export slip by global id; null if it does not exist.
    async fn export_slip(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the ExportSlip.")] id: ID,
    ) -> Result<Option<ExportSlip>> {
        Ok(query(slips::get(reader(ctx)?, require_id("ExportSlip", &id)?).await)?.map(ExportSlip))
    }

    /// Export slips, by status, order and warehouse. At most 100 a page.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "super::relay::page_cost(first, last, child_complexity)")]
    async fn export_slips(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Narrows the list.")] filter: Option<ExportSlipFilterInput>,
        #[graphql(desc = "Start after this cursor (an edge's `cursor`).")] after: Option<String>,
        #[graphql(desc = "End before this cursor (an edge's `cursor`).")] before: Option<String>,
        #[graphql(desc = "Page size, from the start (or `after`): 0 to 100, default 50.")] first: Option<i32>,
        #[graphql(desc = "Page size, from the end (or `before`): 0 to 100; not with `first`.")] last: Option<i32>,
        #[graphql(desc = "true: newest first (the list's order reversed). Default false.")] reverse: Option<bool>,
    ) -> Result<Conn<ExportSlip>> {
        let page = ConnectionArgs { after, before, first, last, reverse }.page(ctx)?;
        let f = filter.unwrap_or_default();
        let filter = SlipFilter {
            status: f.status.map(ExportSlipStatus::from),
            order_id: f.order_id.as_ref().map(|id| require_id("Order", id)).transpose()?,
            warehouse_id: f.warehouse_id.as_ref().map(|id| require_id("Warehouse", id)).transpose()?,
        };
        let found = query(slips::list(reader(ctx)?, &filter, &page).await)?;
        Ok(connection(found, ExportSlip))
    }

    /// A recorded return by global id; null if it does not exist.
    async fn order_return(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the OrderReturn.")] id: ID,
    ) -> Result<Option<OrderReturn>> {
        Ok(query(slips::get_return(reader(ctx)?, require_id("OrderReturn", &id)?).await)?.map(OrderReturn))
    }
}

fn slip_payload(
    ctx: &Context<'_>,
    result: ServiceResult<Committed<slips::SlipChange>>,
    args: &[&str],
) -> Result<SlipAnswer> {
    let (change, user_errors) = split(jobs::effects::with_effects(app(ctx)?, result), args)?;
    let Some(change) = change else {
        return Ok(SlipAnswer { export_slip: None, levels: Vec::new(), user_errors });
    };
    Ok(SlipAnswer {
        export_slip: Some(ExportSlip(change.slip)),
        levels: change.changes.into_iter().map(|c| InventoryLevel(c.level)).collect(),
        user_errors,
    })
}

fn slip_refused(errors: Vec<FieldError>, args: &[&str]) -> SlipAnswer {
    SlipAnswer { export_slip: None, levels: Vec::new(), user_errors: user_errors(errors, args) }
}

async fn start_run(ctx: &Context<'_>, channel_id: &ID, kind: SyncRunKind) -> Result<(Option<SyncRun>, Vec<UserError>)> {
    let channel_id = match input_id("Channel", channel_id, &["channelId"]) {
        Ok(id) => id,
        Err(e) => return Ok((None, user_errors(vec![e], &["channelId"]))),
    };
    let app = app(ctx)?;
    let result = async {
        channels::connected(&app.db, channel_id).await?;
        if kind == SyncRunKind::StockPush {
            // A push on request sends every link's value again if it differs from the last one pushed.
            service::mark_channel(&app.db, channel_id).await?;
        }
        jobs::enqueue_run(app, kind, Some(channel_id), None).await
    }
    .await;
    Ok(run_answer(split(result, &["channelId"])?))
}

#[derive(Default)]
pub struct StockMutation;

#[Object]
impl StockMutation {
    /// Pushes every linked variant's quantity and price to the channel now (a job); only values that differ
    /// from the last push are sent. Pushes also happen on their own after every change.
    async fn stock_push_start(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the Channel; it must be CONNECTED.")] channel_id: ID,
    ) -> Result<StockPushStartPayload> {
        Ok(start_run(ctx, &channel_id, SyncRunKind::StockPush).await?.into())
    }

    /// Reads the channel's quantities back and compares them with what the hub pushed (a job): differences
    /// become STOCK_DRIFT sync errors, repaired with a push when the channel's `stockDriftRepair` is on.
    async fn stock_reconcile_start(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the Channel; it must be CONNECTED.")] channel_id: ID,
    ) -> Result<StockReconcileStartPayload> {
        Ok(start_run(ctx, &channel_id, SyncRunKind::StockReconcile).await?.into())
    }

    /// Creates a WAITING export slip for every line of an order, from a warehouse (SPEC §5): available − qty,
    /// pending export + qty. Orders processing, packed, in transit or completed, with every line linked.
    async fn export_slip_create(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the Order.")] order_id: ID,
        #[graphql(desc = "Global id of the Warehouse the goods leave.")] warehouse_id: ID,
    ) -> Result<ExportSlipCreatePayload> {
        let args = ["orderId", "warehouseId"];
        let o = input_id("Order", &order_id, &["orderId"]);
        let w = input_id("Warehouse", &warehouse_id, &["warehouseId"]);
        let (o, w) = match (o, w) {
            (Ok(o), Ok(w)) => (o, w),
            (o, w) => return Ok(slip_refused(o.err().into_iter().chain(w.err()).collect(), &args).into()),
        };
        Ok(slip_payload(ctx, slips::create(&app(ctx)?.db, &actor(ctx)?, o, w).await, &args)?.into())
    }

    /// Marks a WAITING slip EXPORTED: the goods left (pending export − qty, on hand − qty).
    async fn export_slip_export(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the ExportSlip.")] id: ID,
    ) -> Result<ExportSlipExportPayload> {
        match input_id("ExportSlip", &id, &["id"]) {
            Ok(id) => Ok(slip_payload(ctx, slips::export(&app(ctx)?.db, &actor(ctx)?, id).await, &["id"])?.into()),
            Err(e) => Ok(slip_refused(vec![e], &["id"]).into()),
        }
    }

    /// Cancels a WAITING slip: pending export − qty, available + qty. An exported slip can't be cancelled.
    async fn export_slip_cancel(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the ExportSlip.")] id: ID,
    ) -> Result<ExportSlipCancelPayload> {
        match input_id("ExportSlip", &id, &["id"]) {
            Ok(id) => Ok(slip_payload(ctx, slips::cancel(&app(ctx)?.db, &actor(ctx)?, id).await, &["id"])?.into()),
            Err(e) => Ok(slip_refused(vec![e], &["id"]).into()),
        }
    }

    /// Records a return of an order: which lines and how many; lines with `restock` go back on hand in the
    /// warehouse (default: the order's). More than was sold (less earlier returns) is refused.
    async fn order_return_record(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the Order.")] order_id: ID,
        #[graphql(desc = "The lines returned, at most 250.")] lines: Vec<OrderReturnLineInput>,
        #[graphql(desc = "Where restocked units go (a Warehouse global id); default: the order's.")]
        warehouse_id: Option<ID>,
        #[graphql(desc = "Shown on the return, up to 1000 characters.")] note: Option<String>,
        #[graphql(desc = "What was refunded to the buyer for this return, in the order's currency (default 0); at \
                          most the order's total less what earlier returns refunded.")]
        refunded_amount: Option<super::catalog::Decimal>,
    ) -> Result<OrderReturnRecordPayload> {
        let args = ["orderId", "lines", "warehouseId", "note", "refundedAmount"];
        let mut errors = Vec::new();
        let order = input_id("Order", &order_id, &["orderId"]).map_err(|e| errors.push(e)).ok();
        let warehouse = warehouse_id
            .as_ref()
            .and_then(|id| input_id("Warehouse", id, &["warehouseId"]).map_err(|e| errors.push(e)).ok());
        let lines: Vec<ReturnLineInput> = lines
            .iter()
            .enumerate()
            .filter_map(|(i, l)| {
                let id = input_id("OrderLine", &l.order_line_id, &["lines", &i.to_string(), "orderLineId"])
                    .map_err(|e| errors.push(e))
                    .ok()?;
                Some(ReturnLineInput { order_line_id: id, quantity: l.quantity.into(), restock: l.restock })
            })
            .collect();
        let Some(order_id) = order.filter(|_| errors.is_empty()) else {
            return Ok(OrderReturnRecordPayload {
                order_return: None,
                levels: Vec::new(),
                user_errors: user_errors(errors, &args),
            });
        };
        let app = app(ctx)?;
        let input =
            ReturnInput { order_id, warehouse_id: warehouse, note, lines, refunded: refunded_amount.map(|a| a.0) };
        let result = slips::record_return(&app.db, &actor(ctx)?, input).await;
        let (change, user_errors) = split(jobs::effects::with_effects(app, result), &args)?;
        let Some(change) = change else {
            return Ok(OrderReturnRecordPayload { order_return: None, levels: Vec::new(), user_errors });
        };
        Ok(OrderReturnRecordPayload {
            order_return: Some(OrderReturn(change.recorded)),
            levels: change.changes.into_iter().map(|c| InventoryLevel(c.level)).collect(),
            user_errors,
        })
    }
}
