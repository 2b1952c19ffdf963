//! What an order leaves behind besides its row: its history lines (`order_events`, each naming its actor), its
//! sync errors (kind ORDER) and the marks on the webhook events it answers.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use entity::enums::{OrderEventKind, OrderStatus, SyncErrorKind};
use entity::{order_event, sync_error, webhook_event};

use crate::domain::actor::Actor;
use crate::domain::events::HubEvent;
use crate::services::sync_errors::{raised_event, resolve_matching};
use crate::services::{ServiceResult, now};

/// Opens (or counts again) an order sync error; `order_id` None for orders that were not imported. Returns the
/// live event of the error when this opened it (a repeat is not announced again).
pub async fn open_error<C: ConnectionTrait>(
    db: &C,
    channel_id: i64,
    order_id: Option<i64>,
    code: &str,
    message: &str,
    details: Option<serde_json::Value>,
) -> ServiceResult<Option<HubEvent>> {
    let at = now();
    let mut find = sync_error::Entity::find()
        .filter(sync_error::Column::ChannelId.eq(channel_id))
        .filter(sync_error::Column::Kind.eq(SyncErrorKind::Order))
        .filter(sync_error::Column::Code.eq(code))
        .filter(sync_error::Column::ResolvedAt.is_null());
    find = match order_id {
        Some(id) => find.filter(sync_error::Column::OrderId.eq(id)),
        None => find.filter(sync_error::Column::OrderId.is_null()).filter(sync_error::Column::Message.eq(message)),
    };
    match find.one(db).await? {
        Some(e) => {
            sync_error::Entity::update_many()
                .col_expr(sync_error::Column::Occurrences, Expr::col(sync_error::Column::Occurrences).add(1))
                .col_expr(sync_error::Column::LastSeenAt, Expr::value(at))
                .col_expr(sync_error::Column::Message, Expr::value(message))
                .filter(sync_error::Column::Id.eq(e.id))
                .exec(db)
                .await?;
            Ok(None)
        }
        None => {
            let opened = sync_error::ActiveModel {
                channel_id: Set(Some(channel_id)),
                kind: Set(SyncErrorKind::Order),
                code: Set(code.to_owned()),
                message: Set(message.to_owned()),
                product_link_id: Set(None),
                variant_id: Set(None),
                listing_id: Set(None),
                order_id: Set(order_id),
                details: Set(details),
                occurrences: Set(1),
                first_seen_at: Set(at),
                last_seen_at: Set(at),
                resolved_at: Set(None),
                dismissed_at: Set(None),
                ..Default::default()
            }
            .insert(db)
            .await?;
            Ok(raised_event(&opened))
        }
    }
}

/// Marks an order's open sync errors of `code` resolved; returns their live events.
pub async fn resolve_errors<C: ConnectionTrait>(db: &C, order_id: i64, code: &str) -> ServiceResult<Vec<HubEvent>> {
    resolve_errors_of(db, &[order_id], code).await
}

/// Marks these orders' open sync errors of `code` resolved; returns their live events.
pub(super) async fn resolve_errors_of<C: ConnectionTrait>(
    db: &C,
    order_ids: &[i64],
    code: &str,
) -> ServiceResult<Vec<HubEvent>> {
    let select = sync_error::Entity::find()
        .filter(sync_error::Column::OrderId.is_in(order_ids.to_vec()))
        .filter(sync_error::Column::Kind.eq(SyncErrorKind::Order))
        .filter(sync_error::Column::Code.eq(code));
    resolve_matching(db, select, now()).await
}

/// Which webhook events an applied batch answers: its orders' events received up to `received_by`; where the
/// orders applied were the pushes' own bodies (`only`: the ids of the events whose bodies were read), only
/// those, so a push committed after its siblings' bodies were read waits for the next drain instead of being
/// answered by an older body.
#[derive(Debug, Clone)]
pub struct EventsAnswered {
    pub received_by: DateTime<Utc>,
    pub only: Option<std::sync::Arc<Vec<i64>>>,
}

impl EventsAnswered {
    /// Every event received up to `received_by` (the orders were read from the channel after it).
    pub fn received_by(received_by: DateTime<Utc>) -> Self {
        Self { received_by, only: None }
    }
}

/// The channel's webhook events about this order that `answered` covers are answered: the order now reflects the
/// channel as read after them. `processed_at` stays NULL for events not applied yet (the stock-push guard of
/// issue 5 relies on that meaning).
pub async fn mark_events_processed<C: ConnectionTrait>(
    db: &C,
    channel_id: i64,
    external_id: &str,
    answered: &EventsAnswered,
    error: Option<&str>,
) -> ServiceResult<()> {
    mark_orders_events_processed(db, channel_id, &[external_id.to_owned()], answered, error).await
}

/// `mark_events_processed` for several orders with the same outcome. Answering events releases the pushes the
/// stale-push guard held for them (the caller's effects kick the push).
pub(super) async fn mark_orders_events_processed<C: ConnectionTrait>(
    db: &C,
    channel_id: i64,
    external_ids: &[String],
    answered: &EventsAnswered,
    error: Option<&str>,
) -> ServiceResult<()> {
    let update = || {
        webhook_event::Entity::update_many()
            .col_expr(webhook_event::Column::ProcessedAt, Expr::value(now()))
            .col_expr(webhook_event::Column::Error, Expr::value(error.map(str::to_owned)))
            .filter(webhook_event::Column::ChannelId.eq(channel_id))
            .filter(webhook_event::Column::ExternalOrderId.is_in(external_ids.to_vec()))
            .filter(webhook_event::Column::ProcessedAt.is_null())
            .filter(webhook_event::Column::ReceivedAt.lte(answered.received_by))
    };
    let mut count = 0;
    match &answered.only {
        None => count += update().exec(db).await?.rows_affected,
        Some(ids) => {
            for chunk in ids.chunks(super::super::IN_CHUNK) {
                count += update().filter(webhook_event::Column::Id.is_in(chunk.to_vec())).exec(db).await?.rows_affected;
            }
        }
    }
    if count > 0 {
        crate::services::link_marks::release_held_pushes(db, channel_id).await?;
    }
    Ok(())
}

/// Writes a line of an order's history, made by `actor`.
pub async fn add_event<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    order_id: i64,
    kind: OrderEventKind,
    message: String,
    statuses: Option<(OrderStatus, OrderStatus)>,
    data: Option<serde_json::Value>,
) -> ServiceResult<()> {
    event_row(actor, order_id, kind, message, statuses, data).insert(db).await?;
    Ok(())
}

/// A line of an order's history, made by `actor`: every history line is built here.
pub(super) fn event_row(
    actor: &Actor,
    order_id: i64,
    kind: OrderEventKind,
    message: String,
    statuses: Option<(OrderStatus, OrderStatus)>,
    data: Option<serde_json::Value>,
) -> order_event::ActiveModel {
    order_event::ActiveModel {
        order_id: Set(order_id),
        kind: Set(kind),
        message: Set(message),
        from_status: Set(statuses.map(|s| s.0)),
        to_status: Set(statuses.map(|s| s.1)),
        data: Set(data),
        actor_kind: Set(Some(actor.kind())),
        actor_name: Set(Some(actor.name().to_owned())),
        created_at: Set(now()),
        ..Default::default()
    }
}
