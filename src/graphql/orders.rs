//! Orders (SPEC §4): the list and one order with lines, customer, history and errors; seller actions sent to the
//! channel; hub-only status changes; resync; status mapping overrides. (The live stream is `orderUpdated`, in `live`.)

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};

use entity::enums::SyncRunKind;
use entity::{customer, order, order_event, order_line, sync_error};

use super::actors::{self, Actor, ActorKind};
use super::auth::actor;
use super::catalog::{Money, ProductVariant, Warehouse};
use super::channels::Channel;
use super::errors::{UserError, int, payloads, query, split, user_errors};
use super::loaders::{
    ChannelId, ChannelListingId, CustomerId, LinesOf, OpenErrorsOf, OrderId, OrderLineId, ReturnsOf, SlipsOf,
    VariantId, WarehouseId, load_by_id, load_children, load_required,
};
use super::relay::{Conn, ConnectionArgs, connection, global_id, input_id, require_id};
use super::sync_errors::stored_code;
use super::sync_runs::{ChannelOrdersSyncPayload, SyncRun, run_answer};
use super::{app, reader};
use crate::domain::channel::Address;
use crate::domain::errors::{ErrorCode, FieldError};
use crate::domain::orders::ActionKind;
use crate::domain::sync_errors::SyncErrorCode;
use crate::jobs;
use crate::jobs::effects::with_effects;
use crate::jobs::orders::FetchInput;
use crate::services::channels;
use crate::services::orders::{self as service, OrderFilter};

/// An order's status in the hub, mapped from its channel's status.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "OrderStatus", remote = "entity::enums::OrderStatus")]
pub enum OrderStatusGql {
    /// Placed, not yet ready to ship ("Chưa giao hàng").
    Pending,
    /// Packed, waiting for pickup ("Chờ giao hàng").
    ReadyToShip,
    /// Handed to the carrier ("Đang giao hàng").
    InTransit,
    /// Delivered ("Đã giao hàng").
    Delivered,
    /// Delivery failed ("Hủy giao hàng").
    DeliveryFailed,
    /// Cancelled; the stock it held was released.
    Cancelled,
    /// The channel reported a status no mapping knows (see the order's sync errors; add a mapping).
    Unrecognized,
}

/// An order's payment status.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "PaymentStatus", remote = "entity::enums::PaymentStatus")]
pub enum PaymentStatusGql {
    /// Paid.
    Paid,
    /// Not paid yet (e.g. cash on delivery).
    Unpaid,
    /// Refunded without a return.
    Refunded,
    /// Returned in full; see `refunded`.
    Returned,
    /// Partly returned; see `refunded`.
    PartiallyReturned,
}

/// Kind of a line of an order's history.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "OrderEventKind", remote = "entity::enums::OrderEventKind")]
pub enum OrderEventKindGql {
    /// The order was imported from its channel.
    Imported,
    /// Its hub status changed: see `fromStatus` and `toStatus`.
    StatusChanged,
    /// Units were reserved (committed) for it.
    StockReserved,
    /// Its reservation was released.
    StockReleased,
    /// Units of the cancelled order came back on hand.
    StockRestocked,
    /// Reserved units left with the order.
    StockFulfilled,
    /// A return was recorded.
    ReturnRecorded,
    /// An export slip was created, exported or cancelled.
    ExportSlip,
    /// A seller action was sent to the channel and accepted.
    ChannelAction,
    /// Something worth knowing, e.g. a channel status not applied because orders are processed in the hub.
    Note,
}

/// A postal address as the channel gave it (Lazada's without the ward).
#[derive(SimpleObject)]
pub struct OrderAddress {
    /// The recipient.
    pub name: Option<String>,
    /// The recipient's phone.
    pub phone: Option<String>,
    /// Street and number.
    pub line1: Option<String>,
    /// Ward ("phường/xã").
    pub ward: Option<String>,
    /// District ("quận/huyện").
    pub district: Option<String>,
    /// Province or city ("tỉnh/thành phố").
    pub province: Option<String>,
    /// Country, as the channel gave it.
    pub country: Option<String>,
}

fn address(json: Option<&serde_json::Value>) -> Option<OrderAddress> {
    let a: Address = serde_json::from_value(json?.clone()).ok()?;
    Some(OrderAddress {
        name: a.name,
        phone: a.phone,
        line1: a.line1,
        ward: a.ward,
        district: a.district,
        province: a.province,
        country: a.country,
    })
}

pub struct Customer(pub customer::Model);

/// Which customers to list.
#[derive(InputObject, Default)]
pub struct CustomerFilterInput {
    /// Name, phone or e-mail contains this text, without regard to case or diacritics ("nguyen van an" finds
    /// "Nguyễn Văn An"); a phone in any spelling (`0901234567`, `+84 90 123 4567`, `84901234567`).
    pub search: Option<String>,
}

/// A customer saved from channel orders: one per phone number (across channels), else one per channel buyer.
#[Object]
impl Customer {
    /// Global id.
    pub async fn id(&self) -> ID {
        global_id("Customer", self.0.id)
    }
    /// The buyer's name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// In E.164 (`+84901234567`), read in the channel's country when the buyer gave no country code; unique among
    /// customers. Null when the channel gave none or no valid number (a masked phone).
    async fn phone(&self) -> Option<&str> {
        self.0.phone.as_deref()
    }
    /// Tiki customers get `<phone>@<country code>.phone`.
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }
    /// The last shipping address seen.
    async fn address(&self) -> Option<OrderAddress> {
        address(self.0.address.as_ref())
    }
}

pub struct OrderLine(pub order_line::Model, pub String);

impl OrderLine {
    /// An order line by id with its order's currency (a line's money is in it), through the request's loader.
    pub async fn load(ctx: &Context<'_>, id: i64) -> Result<Option<OrderLine>> {
        let Some(line) = load_by_id(ctx, OrderLineId(id)).await? else { return Ok(None) };
        let order = load_required(ctx, OrderId(line.order_id), "an order line's order").await?;
        Ok(Some(OrderLine(line, order.currency)))
    }
}

/// A line of an order.
#[Object]
impl OrderLine {
    /// Global id.
    pub async fn id(&self) -> ID {
        global_id("OrderLine", self.0.id)
    }
    /// The channel's SKU code of the line.
    async fn seller_sku(&self) -> Option<&str> {
        self.0.seller_sku.as_deref()
    }
    /// The title on the channel.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// The SKU's name on the channel, e.g. its option values.
    async fn variant_title(&self) -> Option<&str> {
        self.0.variant_title.as_deref()
    }
    /// The hub variant; null while the line's listing is not linked.
    async fn variant(&self, ctx: &Context<'_>) -> Result<Option<ProductVariant>> {
        let Some(id) = self.0.variant_id else { return Ok(None) };
        Ok(load_by_id(ctx, VariantId(id)).await?.map(ProductVariant))
    }
    /// The channel listing the line sold.
    async fn listing(&self, ctx: &Context<'_>) -> Result<Option<super::linking::ChannelListing>> {
        let Some(id) = self.0.listing_id else { return Ok(None) };
        Ok(load_by_id(ctx, ChannelListingId(id)).await?.map(super::linking::ChannelListing))
    }
    /// Units ordered.
    async fn quantity(&self) -> Result<i32> {
        int(self.0.quantity)
    }
    /// Unit price.
    async fn price(&self) -> Money {
        Money::new(self.0.price_minor, &self.1)
    }
    /// Discount on the whole line.
    async fn discount(&self) -> Money {
        Money::new(self.0.discount_minor, &self.1)
    }
    /// Units the order holds committed in its warehouse now.
    async fn reserved_quantity(&self) -> Result<i32> {
        int(self.0.reserved_quantity)
    }
    /// Units that left on hand for the order.
    async fn fulfilled_quantity(&self) -> Result<i32> {
        int(self.0.fulfilled_quantity)
    }
    /// Units returned and recorded in the hub.
    async fn returned_quantity(&self) -> Result<i32> {
        int(self.0.returned_quantity)
    }
    /// The hub variant's unit, once linked.
    async fn unit(&self) -> Option<&str> {
        self.0.unit.as_deref()
    }
    /// The hub product's image, once linked.
    async fn image_url(&self) -> Option<&str> {
        self.0.image_url.as_deref()
    }
}

pub struct OrderEvent(pub order_event::Model);

/// A line of an order's history.
#[Object]
impl OrderEvent {
    /// Global id.
    pub async fn id(&self) -> ID {
        global_id("OrderEvent", self.0.id)
    }
    /// What happened.
    async fn kind(&self) -> OrderEventKindGql {
        self.0.kind.into()
    }
    /// What happened, in a sentence for the merchant.
    async fn message(&self) -> &str {
        &self.0.message
    }
    /// Hub status before (STATUS_CHANGED).
    async fn from_status(&self) -> Option<OrderStatusGql> {
        self.0.from_status.map(Into::into)
    }
    /// Hub status after (STATUS_CHANGED).
    async fn to_status(&self) -> Option<OrderStatusGql> {
        self.0.to_status.map(Into::into)
    }
    /// Who did it: the channel for what its orders said (imports, status changes, stock they moved), the API
    /// token for actions, slips and returns made through the API; null for lines written before actors were
    /// recorded.
    async fn actor(&self) -> Option<Actor> {
        actors::stored(self.0.actor_kind, self.0.actor_name.as_deref())
    }
    /// When it happened.
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }
}

pub struct OrderSyncError(pub sync_error::Model);

/// An open sync error of an order (unlinked lines, unknown status, refused stock movement).
#[Object]
impl OrderSyncError {
    /// Why, one of the ORDER_ codes.
    async fn code(&self) -> Result<SyncErrorCode> {
        stored_code(&self.0.code)
    }
    /// What went wrong and what to do.
    async fn message(&self) -> &str {
        &self.0.message
    }
    /// How many times it was seen.
    async fn occurrences(&self) -> i32 {
        self.0.occurrences
    }
    /// When it was first seen.
    async fn first_seen_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.first_seen_at
    }
    /// When it was last seen.
    async fn last_seen_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.last_seen_at
    }
}

pub struct Order(pub order::Model);

/// An order imported from a channel.
#[Object]
impl Order {
    /// Global id.
    pub async fn id(&self) -> ID {
        global_id("Order", self.0.id)
    }
    /// The channel account it came from.
    async fn channel(&self, ctx: &Context<'_>) -> Result<Option<Channel>> {
        Ok(load_by_id(ctx, ChannelId(self.0.channel_id)).await?.map(Channel))
    }
    /// The channel's order id.
    async fn external_id(&self) -> &str {
        &self.0.external_id
    }
    /// The order number shown to the buyer (the channel's).
    async fn number(&self) -> &str {
        self.0.order_number.as_deref().unwrap_or(&self.0.external_id)
    }
    /// The hub status (mapped from the channel's, unless orders are processed in the hub).
    async fn status(&self) -> OrderStatusGql {
        self.0.hub_status.into()
    }
    /// The channel's own status, verbatim.
    async fn channel_status(&self) -> Option<&str> {
        self.0.channel_status.as_deref()
    }
    /// Payment status, mapped from the channel's order status.
    async fn payment_status(&self) -> PaymentStatusGql {
        self.0.payment_status.into()
    }
    /// The saved customer; null when the channel gave no buyer details.
    async fn customer(&self, ctx: &Context<'_>) -> Result<Option<Customer>> {
        let Some(id) = self.0.customer_id else { return Ok(None) };
        Ok(load_by_id(ctx, CustomerId(id)).await?.map(Customer))
    }
    /// The customer's name as of the last import.
    async fn customer_name(&self) -> Option<&str> {
        self.0.customer_name.as_deref()
    }
    /// The customer's phone as of the last import (digits and a leading + only).
    async fn customer_phone(&self) -> Option<&str> {
        self.0.customer_phone.as_deref()
    }
    /// The customer's email as of the last import.
    async fn customer_email(&self) -> Option<&str> {
        self.0.customer_email.as_deref()
    }
    /// Where it ships, as the channel gave it.
    async fn shipping_address(&self) -> Option<OrderAddress> {
        address(self.0.shipping_address.as_ref())
    }
    /// Sum of the lines, as the channel computed it.
    async fn subtotal(&self) -> Money {
        Money::new(self.0.subtotal_minor, &self.0.currency)
    }
    /// Shipping paid by the buyer.
    async fn shipping_fee(&self) -> Money {
        Money::new(self.0.shipping_fee_minor, &self.0.currency)
    }
    /// Discount on the whole order.
    async fn discount(&self) -> Money {
        Money::new(self.0.discount_minor, &self.0.currency)
    }
    /// What the buyer pays, per the channel.
    async fn total(&self) -> Money {
        Money::new(self.0.total_minor, &self.0.currency)
    }
    /// Refunded by the channel (returns).
    async fn refunded(&self) -> Money {
        Money::new(self.0.refunded_minor, &self.0.currency)
    }
    /// The warehouse the order takes stock from; null when its stock is not followed (orders the backfill found
    /// already finished).
    async fn warehouse(&self, ctx: &Context<'_>) -> Result<Option<Warehouse>> {
        let Some(id) = self.0.warehouse_id else { return Ok(None) };
        Ok(load_by_id(ctx, WarehouseId(id)).await?.map(Warehouse))
    }
    /// Some lines are not linked to a hub variant (see `syncErrors`); they take no stock until linked.
    async fn has_unlinked_lines(&self) -> bool {
        self.0.has_unlinked_lines
    }
    /// The reason given to `orderCancel`; null otherwise.
    async fn cancel_reason(&self) -> Option<&str> {
        self.0.cancel_reason.as_deref()
    }
    /// The last shipping label printed for the order (`orderPrintLabel`, `ordersPrintLabels`); null before any.
    async fn shipping_label(&self) -> Option<super::labels::ShippingLabel> {
        super::labels::ShippingLabel::of(&self.0)
    }
    /// The order's lines.
    async fn lines(&self, ctx: &Context<'_>) -> Result<Vec<OrderLine>> {
        let lines = load_children(ctx, LinesOf(self.0.id)).await?;
        Ok(lines.into_iter().map(|l| OrderLine(l, self.0.currency.clone())).collect())
    }
    /// The order's history, oldest first: import, status changes, stock movements, channel actions.
    async fn events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Narrows the history (every line when omitted).")] filter: Option<OrderEventFilterInput>,
    ) -> Result<Vec<OrderEvent>> {
        let filter = filter.unwrap_or_default();
        let by = actors::filter("filter", filter.actor_kind, filter.actor_name.as_deref())?;
        Ok(query(service::events(reader(ctx)?, self.0.id, &by).await)?.into_iter().map(OrderEvent).collect())
    }
    /// Export slips made for the order (SPEC §5).
    async fn export_slips(&self, ctx: &Context<'_>) -> Result<Vec<super::stock::ExportSlip>> {
        Ok(load_children(ctx, SlipsOf(self.0.id)).await?.into_iter().map(super::stock::ExportSlip).collect())
    }
    /// Returns recorded for the order, oldest first (SPEC §4).
    async fn returns(&self, ctx: &Context<'_>) -> Result<Vec<super::stock::OrderReturn>> {
        Ok(load_children(ctx, ReturnsOf(self.0.id)).await?.into_iter().map(super::stock::OrderReturn).collect())
    }
    /// Open sync errors of this order.
    async fn sync_errors(&self, ctx: &Context<'_>) -> Result<Vec<OrderSyncError>> {
        Ok(load_children(ctx, OpenErrorsOf(self.0.id)).await?.into_iter().map(OrderSyncError).collect())
    }
    /// When the buyer placed it.
    async fn placed_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.placed_at
    }
    /// The channel's last update time the hub applied (older updates never win).
    async fn channel_updated_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.0.channel_updated_at
    }
    /// When the hub imported it.
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }
    /// When it last changed in the hub.
    async fn updated_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.updated_at
    }
}

/// Which lines of an order's history to list; every field given must match.
#[derive(InputObject, Default)]
pub struct OrderEventFilterInput {
    /// Only lines made by this kind of actor (lines without a recorded actor never match).
    pub actor_kind: Option<ActorKind>,
    /// Only lines whose actor has exactly this name (case-sensitive; surrounding spaces ignored; not blank).
    pub actor_name: Option<String>,
}

/// Which orders to list.
#[derive(InputObject, Default)]
pub struct OrderFilterInput {
    /// Only this channel's orders (a Channel global id).
    pub channel_id: Option<ID>,
    /// Only orders in this hub status.
    pub status: Option<OrderStatusGql>,
    /// Only orders with this payment status.
    pub payment_status: Option<PaymentStatusGql>,
    /// Placed at or after.
    pub placed_from: Option<chrono::DateTime<chrono::Utc>>,
    /// Placed before.
    pub placed_to: Option<chrono::DateTime<chrono::Utc>>,
    /// Order number, channel order id or customer name contains this text, without regard to case or diacritics
    /// ("nguyen" finds "Nguyễn"), or the customer's phone, in any spelling.
    pub search: Option<String>,
    /// Only orders with (true) or without (false) unlinked lines.
    pub has_unlinked_lines: Option<bool>,
    /// Only orders changed in the hub at or after this time (`updatedAt`, inclusive): a client syncing
    /// incrementally passes the newest `updatedAt` it has seen and drops the duplicates at that instant.
    pub updated_at_min: Option<chrono::DateTime<chrono::Utc>>,
}

/// The orders list's sort keys. Rows with equal values are ordered by id, so pages never skip or repeat one.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Default)]
#[graphql(remote = "service::OrderSortKey")]
pub enum OrderSortKeys {
    /// Import order (the default): the order the hub first saw them in.
    #[default]
    Id,
    /// When the hub imported the order (`createdAt`).
    CreatedAt,
    /// When the order last changed in the hub (`updatedAt`): its status, payment, lines, customer or a seller
    /// action. With `updatedAtMin`, what changed since a time.
    UpdatedAt,
    /// When the buyer placed it on the channel (`placedAt`).
    PlacedAt,
}

impl OrderFilterInput {
    fn decode(self, field: &str) -> Result<OrderFilter, FieldError> {
        let channel_id =
            self.channel_id.as_ref().map(|id| input_id("Channel", id, &[field, "channelId"])).transpose()?;
        Ok(OrderFilter {
            channel_id,
            status: self.status.map(Into::into),
            payment_status: self.payment_status.map(Into::into),
            placed_from: self.placed_from,
            placed_to: self.placed_to,
            search: self.search,
            has_unlinked_lines: self.has_unlinked_lines,
            updated_at_min: self.updated_at_min,
        })
    }
}

/// One row of a channel's status mapping.
#[derive(SimpleObject)]
pub struct StatusMappingRow {
    /// The channel's raw status.
    pub channel_status: String,
    /// The hub status it maps to.
    pub status: OrderStatusGql,
    /// The payment status the channel status implies, if any.
    pub payment_status: Option<PaymentStatusGql>,
    /// Set on this channel by `statusMappingUpdate` (else the built-in table of its kind).
    pub overridden: bool,
}

/// The effective status mapping of a channel.
pub fn mapping_rows(channel: &entity::channel::Model) -> Vec<StatusMappingRow> {
    service::mapping(channel)
        .into_iter()
        .map(|r| StatusMappingRow {
            channel_status: r.channel_status,
            status: r.status.into(),
            payment_status: r.payment_status.map(Into::into),
            overridden: r.overridden,
        })
        .collect()
}

#[derive(Default)]
pub struct OrderQuery;

#[Object]
impl OrderQuery {
    /// Orders, in import order unless `sortKey` says otherwise (`reverse` for newest first). At most 100 a page.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "super::relay::page_cost(first, last, child_complexity)")]
    async fn orders(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Start after this cursor (an edge's `cursor`).")] after: Option<String>,
        #[graphql(desc = "End before this cursor (an edge's `cursor`).")] before: Option<String>,
        #[graphql(desc = "Page size, from the start (or `after`): 0 to 100, default 50.")] first: Option<i32>,
        #[graphql(desc = "Page size, from the end (or `before`): 0 to 100; not with `first`.")] last: Option<i32>,
        #[graphql(desc = "true: newest first (the list's order reversed). Default false.")] reverse: Option<bool>,
        #[graphql(
            desc = "What the list is sorted by; ties by id. Cursors are only valid under the key they were taken \
                    with.",
            default_with = "Some(OrderSortKeys::Id)"
        )]
        sort_key: Option<OrderSortKeys>,
        #[graphql(desc = "Narrows the list.")] filter: Option<OrderFilterInput>,
    ) -> Result<Conn<Order>> {
        let page = ConnectionArgs { after, before, first, last, reverse }
            .sorted_page(ctx, sort_key.unwrap_or_default().into())?;
        let filter = filter.unwrap_or_default().decode("filter").map_err(|e| async_graphql::Error::new(e.message))?;
        let found = query(service::list(reader(ctx)?, &filter, &page).await)?;
        Ok(connection(found, Order))
    }

    /// Customers, in the order the hub first saw them (`reverse` for newest first). At most 100 a page.
    #[graphql(complexity = "super::relay::page_cost(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn customers(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Start after this cursor (an edge's `cursor`).")] after: Option<String>,
        #[graphql(desc = "End before this cursor (an edge's `cursor`).")] before: Option<String>,
        #[graphql(desc = "Page size, from the start (or `after`): 0 to 100, default 50.")] first: Option<i32>,
        #[graphql(desc = "Page size, from the end (or `before`): 0 to 100; not with `first`.")] last: Option<i32>,
        #[graphql(desc = "true: newest first (the list's order reversed). Default false.")] reverse: Option<bool>,
        #[graphql(desc = "Narrows the list.")] filter: Option<CustomerFilterInput>,
    ) -> Result<Conn<Customer>> {
        let page = ConnectionArgs { after, before, first, last, reverse }.page(ctx)?;
        let search = filter.and_then(|f| f.search);
        let found = query(service::customers(reader(ctx)?, search.as_deref(), &page).await)?;
        Ok(connection(found, Customer))
    }

    /// An order by global id; null if it does not exist.
    async fn order(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the Order.")] id: ID,
    ) -> Result<Option<Order>> {
        let id = require_id("Order", &id)?;
        Ok(query(service::get(reader(ctx)?, id).await)?.map(Order))
    }
}

payloads! {
    /// Result of `orderReadyToShip`.
    OrderReadyToShipPayload,
    /// Result of `orderCancel`.
    OrderCancelPayload,
    /// Result of `orderAwaitPickup`.
    OrderAwaitPickupPayload,
    /// Result of `orderStatusUpdate`.
    OrderStatusUpdatePayload => {
        /// The order after the change; null when refused.
        pub order: Option<Order>,
        /// Why the request was refused (nothing changed); empty on success.
        pub user_errors: Vec<UserError>,
    }
}

/// Runs started by a resync (one per channel).
#[derive(SimpleObject)]
pub struct OrdersResyncPayload {
    /// One ORDER_FETCH run per channel concerned, CREATED.
    pub sync_runs: Vec<SyncRun>,
    /// Why the request was refused; empty on success.
    pub user_errors: Vec<UserError>,
}

/// Which orders to fetch again from their channels and re-apply: `orderIds`, or a `filter`.
#[derive(InputObject)]
pub struct OrdersResyncInput {
    /// At most 1,000.
    pub order_ids: Option<Vec<ID>>,
    /// At most 10,000 orders match.
    pub filter: Option<OrderFilterInput>,
}

/// One override of a channel's status mapping.
#[derive(InputObject)]
pub struct StatusMappingInput {
    /// The channel's raw status (matched ignoring case).
    pub channel_status: String,
    /// The hub status it maps to; null removes the override (back to the built-in table).
    pub status: Option<OrderStatusGql>,
}

/// A channel's mapping after `statusMappingUpdate`.
#[derive(SimpleObject)]
pub struct StatusMappingUpdatePayload {
    /// The channel; null when refused.
    pub channel: Option<Channel>,
    /// The channel's whole mapping now; empty when refused.
    pub status_mapping: Vec<StatusMappingRow>,
    /// Why the request was refused (nothing changed); empty on success.
    pub user_errors: Vec<UserError>,
}

const RESYNC_MAX_IDS: usize = 1000;
const RESYNC_MAX_FILTER: u64 = 10_000;

/// A seller action on an order, answered as (order, userErrors).
async fn action(
    ctx: &Context<'_>,
    order_id: ID,
    kind: ActionKind,
    reason: Option<String>,
) -> Result<(Option<Order>, Vec<UserError>)> {
    let id = match input_id("Order", &order_id, &["orderId"]) {
        Ok(id) => id,
        Err(e) => return Ok((None, user_errors(vec![e], &["orderId"]))),
    };
    let app = app(ctx)?;
    let result = service::act(app, &actor(ctx)?, id, kind, reason).await;
    let (order, user_errors) = split(with_effects(app, result), &["orderId", "reason"])?;
    Ok((order.map(Order), user_errors))
}

#[derive(Default)]
pub struct OrderMutation;

#[Object]
impl OrderMutation {
    /// Confirms the order on its channel ("ready to ship": pack and mark ready); on success the hub order moves to
    /// READY_TO_SHIP. A channel refusal is a CHANNEL_REFUSED userError quoting it; nothing changes then.
    async fn order_ready_to_ship(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the Order.")] order_id: ID,
    ) -> Result<OrderReadyToShipPayload> {
        Ok(action(ctx, order_id, ActionKind::ReadyToShip, None).await?.into())
    }

    /// Cancels the order on its channel; on success the hub order is CANCELLED and its stock goes back.
    async fn order_cancel(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the Order.")] order_id: ID,
        #[graphql(
            desc = "Why: one of the channel's `cancelReasons` codes where its marketplace takes codes (Shopee, Lazada), any text otherwise. Kept as `cancelReason`."
        )]
        reason: String,
    ) -> Result<OrderCancelPayload> {
        Ok(action(ctx, order_id, ActionKind::Cancel, Some(reason)).await?.into())
    }

    /// Tells the channel the package awaits the carrier's pickup (Tiki).
    async fn order_await_pickup(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the Order.")] order_id: ID,
    ) -> Result<OrderAwaitPickupPayload> {
        Ok(action(ctx, order_id, ActionKind::AwaitPickup, None).await?.into())
    }

    /// Changes the hub status of an order whose channel processes orders in the hub; not sent to the channel.
    async fn order_status_update(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the Order.")] order_id: ID,
        #[graphql(desc = "The new hub status (not UNRECOGNIZED); its stock follows.")] status: OrderStatusGql,
    ) -> Result<OrderStatusUpdatePayload> {
        let id = match input_id("Order", &order_id, &["orderId"]) {
            Ok(id) => id,
            Err(e) => {
                return Ok(OrderStatusUpdatePayload { order: None, user_errors: user_errors(vec![e], &["orderId"]) });
            }
        };
        let app = app(ctx)?;
        let result = service::set_hub_status(&app.db, &actor(ctx)?, id, status.into()).await;
        let (order, user_errors) = split(with_effects(app, result), &["orderId", "status"])?;
        Ok(OrderStatusUpdatePayload { order: order.map(Order), user_errors })
    }

    /// Fetches orders again from their channels and re-applies them (one ORDER_FETCH run per channel).
    async fn orders_resync(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The orders: `orderIds` or a `filter`.")] input: OrdersResyncInput,
    ) -> Result<OrdersResyncPayload> {
        let app = app(ctx)?;
        let mut errors = Vec::new();
        let mut targets: Vec<(i64, i64, String)> = Vec::new();
        match (input.order_ids, input.filter) {
            (Some(ids), None) if !ids.is_empty() && ids.len() <= RESYNC_MAX_IDS => {
                let decoded: Vec<i64> = ids
                    .iter()
                    .enumerate()
                    .filter_map(|(i, id)| {
                        input_id("Order", id, &["orderIds", &i.to_string()]).map_err(|e| errors.push(e)).ok()
                    })
                    .collect();
                let found = query(service::by_ids(&app.db, &decoded).await)?;
                for (i, id) in decoded.iter().enumerate() {
                    match found.iter().find(|o| o.id == *id) {
                        Some(o) => targets.push((o.id, o.channel_id, o.external_id.clone())),
                        None => errors.push(FieldError::new(
                            &["orderIds", &i.to_string()],
                            ErrorCode::NotFound,
                            "Order not found",
                        )),
                    }
                }
            }
            (None, Some(filter)) => match filter.decode("filter") {
                Ok(filter) => {
                    targets = query(service::ids_matching(&app.db, &filter, RESYNC_MAX_FILTER + 1).await)?;
                    if targets.len() as u64 > RESYNC_MAX_FILTER {
                        errors.push(FieldError::new(
                            &["filter"],
                            ErrorCode::TooMany,
                            format!("more than {RESYNC_MAX_FILTER} orders match: narrow the filter"),
                        ));
                    }
                }
                Err(e) => errors.push(e),
            },
            _ => errors.push(FieldError::new(
                &["orderIds"],
                ErrorCode::Invalid,
                format!("give orderIds (1 to {RESYNC_MAX_IDS}) or a filter, not both"),
            )),
        }
        if !errors.is_empty() {
            return Ok(OrdersResyncPayload { sync_runs: vec![], user_errors: user_errors(errors, &[]) });
        }
        let mut by_channel: std::collections::BTreeMap<i64, Vec<String>> = std::collections::BTreeMap::new();
        for (_, channel_id, external) in targets {
            by_channel.entry(channel_id).or_default().push(external);
        }
        let mut runs = Vec::new();
        for (channel_id, ids) in by_channel {
            let input = serde_json::to_value(FetchInput { external_ids: Some(ids) })
                .map_err(|e| super::errors::internal(e.into()))?;
            let (run, user_errors) =
                split(jobs::enqueue_run(app, SyncRunKind::OrderFetch, Some(channel_id), Some(input)).await, &[])?;
            if !user_errors.is_empty() {
                return Ok(OrdersResyncPayload { sync_runs: runs, user_errors });
            }
            runs.extend(run.map(SyncRun));
        }
        Ok(OrdersResyncPayload { sync_runs: runs, user_errors: vec![] })
    }

    /// Polls the channel for orders now (an ORDER_POLL run: Tiki's event queue, the webhook inbox, and every
    /// order updated since the last poll), instead of waiting for the schedule.
    async fn channel_orders_sync(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the Channel; it must be CONNECTED.")] channel_id: ID,
    ) -> Result<ChannelOrdersSyncPayload> {
        let app = app(ctx)?;
        let id = match input_id("Channel", &channel_id, &["channelId"]) {
            Ok(id) => id,
            Err(e) => return Ok((None, user_errors(vec![e], &["channelId"])).into()),
        };
        let result = async {
            channels::connected(&app.db, id).await?;
            jobs::enqueue_run(app, SyncRunKind::OrderPoll, Some(id), None).await
        }
        .await;
        Ok(run_answer(split(result, &["channelId"])?).into())
    }

    /// Overrides how a channel's raw order statuses map to hub statuses (or removes overrides). Applies to the
    /// channel's updates from now on; its orders whose status no mapping knew (UNRECOGNIZED) are re-applied at once
    /// (an ORDER_FETCH run), resolving their ORDER_STATUS_UNRECOGNIZED errors; resync other orders to re-map them.
    async fn status_mapping_update(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the Channel.")] channel_id: ID,
        #[graphql(desc = "1 to 100 overrides to set or remove.")] mappings: Vec<StatusMappingInput>,
    ) -> Result<StatusMappingUpdatePayload> {
        let id = match input_id("Channel", &channel_id, &["channelId"]) {
            Ok(id) => id,
            Err(e) => {
                return Ok(StatusMappingUpdatePayload {
                    channel: None,
                    status_mapping: vec![],
                    user_errors: user_errors(vec![e], &["channelId"]),
                });
            }
        };
        let changes = mappings.into_iter().map(|m| (m.channel_status, m.status.map(Into::into))).collect();
        let app = app(ctx)?;
        let (channel, user_errors) =
            split(service::update_mapping(&app.db, id, changes).await, &["channelId", "mappings"])?;
        if let Some(c) = channel.as_ref().filter(|c| c.status == entity::enums::ChannelStatus::Connected) {
            // Orders waiting for a mapping take it at once; a failure to queue leaves them to a resync.
            if let Err(err) = jobs::orders::remap_unrecognized(app, c.id).await {
                tracing::warn!(channel_id = c.id, error = %err, "queuing the re-mapping of unrecognized orders failed");
            }
        }
        let status_mapping = channel.as_ref().map(mapping_rows).unwrap_or_default();
        Ok(StatusMappingUpdatePayload { channel: channel.map(Channel), status_mapping, user_errors })
    }
}
