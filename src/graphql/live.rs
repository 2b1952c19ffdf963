//! Live subscriptions beyond `syncRun`: everything happening on a channel, and order changes. With Redis they see
//! what any process did (see `events`). A slow subscriber lags (it skips events) and never grows memory.

use async_graphql::{Context, Enum, ErrorExtensions, ID, InputObject, Result, SimpleObject, Subscription};
use futures::{Stream, StreamExt};
use tokio::sync::broadcast::error::RecvError;

use super::app;
use super::channels::Channel;
use super::errors::query;
use super::loaders::{ChannelId, OrderId, SyncErrorId, load_by_id, load_required};
use super::orders::{Order, OrderStatusGql};
use super::relay::require_id;
use super::sync_errors::SyncError;
use crate::events::{ActivityKind, HubEvent};
use crate::services::{channels, orders};

/// What happened on a channel.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum ChannelEventKind {
    /// A batch of a link run was written (message: how many linked and failed).
    LinkResult,
    /// A quantity was pushed (or failed to be).
    StockPush,
    /// A price was pushed (or failed to be).
    PricePush,
    /// An order was imported or changed.
    OrderChanged,
    /// A sync error was raised.
    SyncErrorRaised,
    /// A sync error's cause was fixed.
    SyncErrorCleared,
}

impl From<ActivityKind> for ChannelEventKind {
    fn from(kind: ActivityKind) -> Self {
        match kind {
            ActivityKind::LinkResult => Self::LinkResult,
            ActivityKind::StockPush => Self::StockPush,
            ActivityKind::PricePush => Self::PricePush,
            ActivityKind::SyncErrorRaised => Self::SyncErrorRaised,
            ActivityKind::SyncErrorCleared => Self::SyncErrorCleared,
        }
    }
}

/// One thing that happened on a channel.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct ChannelEvent {
    #[graphql(skip)]
    pub channel_id: i64,
    /// What happened.
    pub kind: ChannelEventKind,
    /// The seller SKU concerned (pushes).
    pub sku: Option<String>,
    /// The number it is about: the value pushed (quantity; price in the currency's minor units), the variants
    /// linked (LINK_RESULT).
    pub value: Option<i32>,
    /// It went well (false: a push failed, or some variants of a link batch were not linked).
    pub ok: bool,
    /// What happened, in a sentence for the merchant.
    pub message: String,
    #[graphql(skip)]
    pub order_id: Option<i64>,
    #[graphql(skip)]
    pub sync_error_id: Option<i64>,
    /// When the subscription received it.
    pub at: chrono::DateTime<chrono::Utc>,
}

#[async_graphql::ComplexObject]
impl ChannelEvent {
    /// The channel it happened on.
    async fn channel(&self, ctx: &Context<'_>) -> Result<Channel> {
        Ok(Channel(load_required(ctx, ChannelId(self.channel_id), "the event's channel").await?))
    }
    /// The order imported or changed (ORDER_CHANGED).
    async fn order(&self, ctx: &Context<'_>) -> Result<Option<Order>> {
        let Some(id) = self.order_id else { return Ok(None) };
        Ok(load_by_id(ctx, OrderId(id)).await?.map(Order))
    }
    /// The sync error raised or cleared (SYNC_ERROR_RAISED, SYNC_ERROR_CLEARED), as it is now.
    async fn sync_error(&self, ctx: &Context<'_>) -> Result<Option<SyncError>> {
        let Some(id) = self.sync_error_id else { return Ok(None) };
        Ok(load_by_id(ctx, SyncErrorId(id)).await?.map(SyncError))
    }
}

fn channel_event(event: HubEvent, channel: i64) -> Option<ChannelEvent> {
    let at = chrono::Utc::now();
    match event {
        HubEvent::ChannelActivity { channel_id, kind, sku, value, ok, message, sync_error_id }
            if channel_id == channel =>
        {
            Some(ChannelEvent {
                channel_id,
                kind: kind.into(),
                sku,
                // Pushed quantities are under the stock ceiling and link counts small: both fit an Int.
                value: value.and_then(|v| i32::try_from(v).ok()),
                ok,
                message,
                order_id: None,
                sync_error_id,
                at,
            })
        }
        HubEvent::OrderChanged { order_id, channel_id } if channel_id == channel => Some(ChannelEvent {
            channel_id,
            kind: ChannelEventKind::OrderChanged,
            sku: None,
            value: None,
            ok: true,
            message: "order imported or changed".into(),
            order_id: Some(order_id),
            sync_error_id: None,
            at,
        }),
        _ => None,
    }
}

fn not_found(what: &str, id: &ID) -> async_graphql::Error {
    async_graphql::Error::new(format!("no {what} with id {}", id.as_str()))
        .extend_with(|_, e| e.set("code", "NOT_FOUND"))
}

/// Which order changes to stream.
#[derive(InputObject, Default)]
pub struct OrderUpdatedFilter {
    /// Only this channel's orders (a Channel global id).
    pub channel_id: Option<ID>,
    /// Only orders now in one of these hub statuses.
    pub statuses: Option<Vec<OrderStatusGql>>,
}

#[derive(Default)]
pub struct LiveSubscription;

#[Subscription]
impl LiveSubscription {
    /// Everything happening on a channel, in order: link results, pushes, orders, sync errors. `kinds` narrows it.
    async fn channel_events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the Channel.")] channel_id: ID,
        #[graphql(desc = "Only these kinds of event; all when omitted.")] kinds: Option<Vec<ChannelEventKind>>,
    ) -> Result<impl Stream<Item = ChannelEvent> + use<>> {
        let app = app(ctx)?.clone();
        let id = require_id("Channel", &channel_id)?;
        let receiver = app.events.subscribe();
        query(channels::get(&app.db, id).await)?.ok_or_else(|| not_found("channel", &channel_id))?;
        let stream = tokio_stream_of(receiver).filter_map(move |event| {
            let kinds = kinds.clone();
            async move { channel_event(event, id).filter(|e| kinds.as_ref().is_none_or(|k| k.contains(&e.kind))) }
        });
        Ok(stream)
    }

    /// Orders as they are imported or change, optionally for one channel and in chosen statuses.
    async fn order_updated(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which orders; all when omitted.")] filter: Option<OrderUpdatedFilter>,
    ) -> Result<impl Stream<Item = Order> + use<>> {
        let app = app(ctx)?.clone();
        let filter = filter.unwrap_or_default();
        let channel = filter.channel_id.as_ref().map(|id| require_id("Channel", id)).transpose()?;
        if let (Some(id), Some(raw)) = (channel, &filter.channel_id) {
            query(channels::get(&app.db, id).await)?.ok_or_else(|| not_found("channel", raw))?;
        }
        let statuses: Option<Vec<entity::enums::OrderStatus>> =
            filter.statuses.map(|s| s.into_iter().map(Into::into).collect());
        let receiver = app.events.subscribe();
        let stream = tokio_stream_of(receiver).filter_map(move |event| {
            let (db, statuses) = (app.db.clone(), statuses.clone());
            async move {
                let HubEvent::OrderChanged { order_id, channel_id } = event else { return None };
                if channel.is_some_and(|c| c != channel_id) {
                    return None;
                }
                let order = orders::get(&db, order_id).await.ok().flatten()?;
                if statuses.as_ref().is_some_and(|s| !s.contains(&order.hub_status)) {
                    return None;
                }
                Some(Order(order))
            }
        });
        Ok(stream)
    }
}

/// The bus as a stream; lagging skips the lost events (state is re-read by whoever needs it).
fn tokio_stream_of(receiver: tokio::sync::broadcast::Receiver<HubEvent>) -> impl Stream<Item = HubEvent> {
    futures::stream::unfold(receiver, |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(event) => return Some((event, rx)),
                Err(RecvError::Lagged(n)) => tracing::debug!(skipped = n, "a subscriber lagged"),
                Err(RecvError::Closed) => return None,
            }
        }
    })
}
