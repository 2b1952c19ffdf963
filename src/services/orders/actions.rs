//! Seller actions on channel orders (ready to ship, cancel, print label, await pickup), sent to the channel and,
//! once it accepted, applied to the hub; hub-only status changes for channels whose orders are processed in the
//! hub. Either way the order's stock follows its new hub status.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter,
    QuerySelect,
};

use entity::enums::{ChannelStatus, OrderEventKind, OrderStatus};
use entity::{channel, order, order_line};

use super::history::add_event;
use super::reads::get;
use super::stock::apply_stock;
use crate::channels::ConnectorError;
use crate::context::AppContext;
use crate::domain::actor::Actor;
use crate::domain::cancel_reasons;
use crate::domain::channel::OrderAction;
use crate::domain::errors::{ErrorCode, FieldError};
use crate::domain::events::HubEvent;
use crate::domain::orders::{self as rules, ActionKind};
use crate::domain::text;
use crate::services::effects::{Committed, Effects};
use crate::services::{ServiceError, ServiceResult, begin_write, channels, now};

fn action_of(kind: ActionKind, reason: Option<&str>) -> OrderAction {
    match kind {
        ActionKind::ReadyToShip => OrderAction::ReadyToShip,
        ActionKind::Cancel => OrderAction::Cancel { reason: reason.unwrap_or_default().to_owned() },
        ActionKind::PrintLabel => OrderAction::PrintLabel,
        ActionKind::AwaitPickup => OrderAction::AwaitPickup,
    }
}

/// The channel's refusal as the merchant reads it (nothing changed in the hub).
fn refused(channel: &channel::Model, action: ActionKind, err: ConnectorError) -> ServiceError {
    ServiceError::Rejected(vec![refusal(&["orderId"], channel, action, err)])
}

/// The channel's refusal of `action` as a userError at `path`: its own code and message quoted when it refused,
/// INVALID_STATE when its API has no such action, CHANNEL_UNAVAILABLE when it could not be reached.
pub(super) fn refusal(path: &[&str], channel: &channel::Model, action: ActionKind, err: ConnectorError) -> FieldError {
    let name = channels::kind_name(channel.kind);
    match err {
        ConnectorError::Api { code, message, .. } | ConnectorError::Auth { code, message, .. } => FieldError::new(
            path,
            ErrorCode::ChannelRefused,
            format!("{name} refused \"{}\": {code}: {message}", action.label()),
        ),
        ConnectorError::Unsupported(what) => FieldError::new(
            path,
            ErrorCode::InvalidState,
            format!("{name} orders can't be sent \"{}\" from the hub ({what})", action.label()),
        ),
        ConnectorError::TokenExpired { message, .. } => FieldError::new(
            path,
            ErrorCode::ChannelRefused,
            format!("{name} refused the channel's tokens: {message}; reconnect the channel"),
        ),
        other => FieldError::new(
            path,
            ErrorCode::ChannelUnavailable,
            format!("{name} could not be reached; nothing changed, try again: {other}"),
        ),
    }
}

/// A seller action on a channel order: checked against the hub status, sent to the channel, and on success
/// applied to the hub (status, stock, history) — also when orders are processed in the hub (SPEC §4). The history
/// lines and ledger rows name `actor`.
pub async fn act(
    ctx: &AppContext,
    actor: &Actor,
    order_id: i64,
    kind: ActionKind,
    reason: Option<String>,
) -> ServiceResult<Committed<order::Model>> {
    let reason = text::optional("reason", reason.as_deref(), 500)?;
    if kind == ActionKind::Cancel && reason.is_none() {
        return Err(ServiceError::rejected(&["reason"], ErrorCode::Blank, "say why the order is cancelled"));
    }
    let order = get(&ctx.db, order_id).await?.ok_or_else(|| ServiceError::not_found(&["orderId"], "Order"))?;
    let channel = channels::get(&ctx.db, order.channel_id)
        .await?
        .ok_or_else(|| ServiceError::not_found(&["orderId"], "Channel"))?;
    if channel.status != ChannelStatus::Connected {
        return Err(ServiceError::rejected(
            &["orderId"],
            ErrorCode::InvalidState,
            format!("\"{}\" is not connected: its orders can't be acted on", channel.name),
        ));
    }
    // The marketplace's own value of the reason (its code list, or the text where it takes text).
    let sent_reason = match (kind, reason.as_deref()) {
        (ActionKind::Cancel, Some(given)) => Some(
            cancel_reasons::wire_value(crate::channels::marketplace(channel.kind).cancel_reasons, given)
                .map_err(|m| ServiceError::rejected(&["reason"], ErrorCode::Invalid, m))?,
        ),
        _ => None,
    };
    rules::action_allowed(kind, order.hub_status)
        .map_err(|m| ServiceError::rejected(&["orderId"], ErrorCode::InvalidState, m))?;
    let connector = channels::connector_for(ctx, &channel).await?;
    let outcome = connector
        .order_action(&order.external_id, &action_of(kind, sent_reason.as_deref()))
        .await
        .map_err(|e| refused(&channel, kind, e))?;

    let txn = begin_write(&ctx.db).await?;
    let order = order::Entity::find_by_id(order_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| ServiceError::not_found(&["orderId"], "Order"))?;
    let mut active: order::ActiveModel = order.into();
    if let Some(raw) = &outcome.status_raw {
        active.channel_status = Set(Some(raw.clone()));
    }
    if kind == ActionKind::Cancel {
        active.cancel_reason = Set(reason.clone());
    }
    active.updated_at = Set(now());
    let order = active.update(&txn).await?;
    let name = channels::kind_name(channel.kind);
    let said = outcome.status_raw.as_deref().map(|s| format!(" (channel status now \"{s}\")")).unwrap_or_default();
    add_event(
        &txn,
        actor,
        order.id,
        OrderEventKind::ChannelAction,
        format!(
            "\"{}\" sent to {name} and accepted{said}{}",
            kind.label(),
            reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default()
        ),
        None,
        outcome.message.map(|m| serde_json::json!({ "channelMessage": m })),
    )
    .await?;
    let (order, sync_error_events) = match kind.status_after() {
        Some(to) => change_hub_status(&txn, actor, order, to, &format!("{} from the hub", kind.label())).await?,
        None => (order, Vec::new()),
    };
    txn.commit().await?;
    Ok(changed(order, sync_error_events))
}

/// A hub-only status change (orders processed in the hub, SPEC §4) by `actor`: not sent to the channel; stock
/// follows.
pub async fn set_hub_status(
    db: &DatabaseConnection,
    actor: &Actor,
    order_id: i64,
    to: OrderStatus,
) -> ServiceResult<Committed<order::Model>> {
    if to == OrderStatus::Unrecognized {
        return Err(ServiceError::rejected(
            &["status"],
            ErrorCode::Invalid,
            "UNRECOGNIZED is only reported by channels",
        ));
    }
    let txn = begin_write(db).await?;
    let order = order::Entity::find_by_id(order_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| ServiceError::not_found(&["orderId"], "Order"))?;
    let channel = channel::Entity::find_by_id(order.channel_id)
        .one(&txn)
        .await?
        .ok_or_else(|| ServiceError::not_found(&["orderId"], "Channel"))?;
    if !channel.process_orders_in_hub {
        return Err(ServiceError::rejected(
            &["orderId"],
            ErrorCode::InvalidState,
            format!(
                "orders of \"{}\" follow the channel's status; turn on processOrdersInHub to run them in the hub",
                channel.name
            ),
        ));
    }
    let (order, sync_error_events) =
        change_hub_status(&txn, actor, order, to, "changed in the hub (not sent to the channel)").await?;
    txn.commit().await?;
    Ok(changed(order, sync_error_events))
}

/// A committed order change: subscribers hear of it and of the sync errors it opened or resolved, and the stock
/// its new status moved is pushed.
pub(super) fn changed(order: order::Model, sync_error_events: Vec<HubEvent>) -> Committed<order::Model> {
    let mut effects = Effects::none();
    effects.publish_all(sync_error_events);
    effects.publish(HubEvent::OrderChanged { order_id: order.id, channel_id: order.channel_id });
    effects.pushes_became_due();
    Committed::new(order, effects)
}

/// Changes an order's hub status inside `txn`, with its history line and stock effects, both naming `actor`.
/// Returns the order and the live events of the sync error its stock opened or resolved.
pub async fn change_hub_status(
    txn: &DatabaseTransaction,
    actor: &Actor,
    order: order::Model,
    to: OrderStatus,
    why: &str,
) -> ServiceResult<(order::Model, Vec<HubEvent>)> {
    let from = order.hub_status;
    let order = if from == to {
        order
    } else {
        let mut active: order::ActiveModel = order.into();
        active.hub_status = Set(to);
        active.updated_at = Set(now());
        let order = active.update(txn).await?;
        add_event(
            txn,
            actor,
            order.id,
            OrderEventKind::StatusChanged,
            format!("{why}: {} → {}", from.as_str(), to.as_str()),
            Some((from, to)),
            None,
        )
        .await?;
        order
    };
    let lines = order_line::Entity::find().filter(order_line::Column::OrderId.eq(order.id)).all(txn).await?;
    apply_stock(txn, actor, order, lines, false).await
}
