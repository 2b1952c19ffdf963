//! Orders as the merchant works with them: the list and one order with its lines, history and errors; the seller
//! actions sent to the channel (ready to ship, cancel, print, await pickup); hub-only status changes when orders
//! are processed in the hub; status mapping overrides; which orders a resync covers.
//!
//! Seller actions call the marketplace inside the request: the merchant needs the channel's answer (a refusal is
//! a `CHANNEL_REFUSED` userError quoting it), and nothing changes in the hub unless the channel accepted.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use entity::enums::{ChannelStatus, OrderEventKind, OrderStatus, PaymentStatus, SyncErrorKind};
use entity::{channel, customer, order, order_event, order_line, sync_error};

use super::orders::{add_event, change_hub_status};
use super::pagination::{Page, PageArgs, paginate};
use super::{ServiceError, ServiceResult, begin_write, channels, contains_pattern};
use crate::channels::ConnectorError;
use crate::context::AppContext;
use crate::domain::channel::OrderAction;
use crate::domain::errors::{ErrorCode, FieldError};
use crate::domain::orders::{self as rules, ActionKind};
use crate::domain::text;

#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub channel_id: Option<i64>,
    pub status: Option<OrderStatus>,
    pub payment_status: Option<PaymentStatus>,
    /// Placed at or after.
    pub placed_from: Option<DateTime<Utc>>,
    /// Placed before.
    pub placed_to: Option<DateTime<Utc>>,
    /// Order number, customer name or phone contains.
    pub search: Option<String>,
    pub has_unlinked_lines: Option<bool>,
}

fn filtered(filter: &OrderFilter) -> sea_orm::Select<order::Entity> {
    let mut select = order::Entity::find();
    if let Some(id) = filter.channel_id {
        select = select.filter(order::Column::ChannelId.eq(id));
    }
    if let Some(s) = filter.status {
        select = select.filter(order::Column::HubStatus.eq(s));
    }
    if let Some(p) = filter.payment_status {
        select = select.filter(order::Column::PaymentStatus.eq(p));
    }
    if let Some(from) = filter.placed_from {
        select = select.filter(order::Column::PlacedAt.gte(from));
    }
    if let Some(to) = filter.placed_to {
        select = select.filter(order::Column::PlacedAt.lt(to));
    }
    if let Some(flag) = filter.has_unlinked_lines {
        select = select.filter(order::Column::HasUnlinkedLines.eq(flag));
    }
    if let Some(search) = filter.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let like = || LikeExpr::new(contains_pattern(search)).escape('\\');
        let phone = rules::normalize_phone(Some(search)).filter(|p| p.len() >= 3);
        let mut any = Condition::any()
            .add(Expr::col(order::Column::OrderNumber).like(like()))
            .add(Expr::col(order::Column::ExternalId).like(like()))
            .add(Expr::col(order::Column::CustomerName).like(like()))
            .add(Expr::col(order::Column::CustomerPhone).like(like()));
        if let Some(p) = phone {
            any =
                any.add(Expr::col(order::Column::CustomerPhone).like(LikeExpr::new(contains_pattern(&p)).escape('\\')));
        }
        select = select.filter(any);
    }
    select
}

pub async fn list(db: &DatabaseConnection, filter: &OrderFilter, page: &PageArgs) -> ServiceResult<Page<order::Model>> {
    paginate(db, filtered(filter), order::Column::Id, page).await
}

/// Ids of the orders matching `filter`, at most `limit` (for a resync by filter).
pub async fn ids_matching(
    db: &DatabaseConnection,
    filter: &OrderFilter,
    limit: u64,
) -> ServiceResult<Vec<(i64, i64, String)>> {
    Ok(filtered(filter)
        .select_only()
        .column(order::Column::Id)
        .column(order::Column::ChannelId)
        .column(order::Column::ExternalId)
        .order_by_asc(order::Column::Id)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?)
}

pub async fn get(db: &DatabaseConnection, id: i64) -> ServiceResult<Option<order::Model>> {
    Ok(order::Entity::find_by_id(id).one(db).await?)
}

pub async fn by_ids(db: &DatabaseConnection, ids: &[i64]) -> ServiceResult<Vec<order::Model>> {
    Ok(order::Entity::find()
        .filter(order::Column::Id.is_in(ids.to_vec()))
        .order_by_asc(order::Column::Id)
        .all(db)
        .await?)
}

pub async fn lines(db: &DatabaseConnection, order_id: i64) -> ServiceResult<Vec<order_line::Model>> {
    Ok(order_line::Entity::find()
        .filter(order_line::Column::OrderId.eq(order_id))
        .order_by_asc(order_line::Column::Id)
        .all(db)
        .await?)
}

/// The order's history, oldest first.
pub async fn events(db: &DatabaseConnection, order_id: i64) -> ServiceResult<Vec<order_event::Model>> {
    Ok(order_event::Entity::find()
        .filter(order_event::Column::OrderId.eq(order_id))
        .order_by_asc(order_event::Column::Id)
        .all(db)
        .await?)
}

pub async fn customer(db: &DatabaseConnection, id: i64) -> ServiceResult<Option<customer::Model>> {
    Ok(customer::Entity::find_by_id(id).one(db).await?)
}

/// The order's export slips, oldest first.
pub async fn export_slips(db: &DatabaseConnection, order_id: i64) -> ServiceResult<Vec<entity::export_slip::Model>> {
    use entity::export_slip;
    Ok(export_slip::Entity::find()
        .filter(export_slip::Column::OrderId.eq(order_id))
        .order_by_asc(export_slip::Column::Id)
        .all(db)
        .await?)
}

/// The order's sync errors not resolved or dismissed.
pub async fn open_errors(db: &DatabaseConnection, order_id: i64) -> ServiceResult<Vec<sync_error::Model>> {
    Ok(sync_error::Entity::find()
        .filter(sync_error::Column::OrderId.eq(order_id))
        .filter(sync_error::Column::Kind.eq(SyncErrorKind::Order))
        .filter(sync_error::Column::ResolvedAt.is_null())
        .filter(sync_error::Column::DismissedAt.is_null())
        .order_by_asc(sync_error::Column::Id)
        .all(db)
        .await?)
}

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
    let name = channels::kind_name(channel.kind);
    match err {
        ConnectorError::Api { code, message, .. } | ConnectorError::Auth { code, message, .. } => {
            ServiceError::rejected(
                &["orderId"],
                ErrorCode::ChannelRefused,
                format!("{name} refused \"{}\": {code}: {message}", action.label()),
            )
        }
        ConnectorError::Unsupported(what) => ServiceError::rejected(
            &["orderId"],
            ErrorCode::InvalidState,
            format!("{name} orders can't be sent \"{}\" from the hub ({what})", action.label()),
        ),
        ConnectorError::TokenExpired { message, .. } => ServiceError::rejected(
            &["orderId"],
            ErrorCode::ChannelRefused,
            format!("{name} refused the channel's tokens: {message}; reconnect the channel"),
        ),
        other => ServiceError::rejected(
            &["orderId"],
            ErrorCode::ChannelUnavailable,
            format!("{name} could not be reached; nothing changed, try again: {other}"),
        ),
    }
}

/// A seller action on a channel order: checked against the hub status, sent to the channel, and on success
/// applied to the hub (status, stock, history) — also when orders are processed in the hub (SPEC §4).
pub async fn act(
    ctx: &AppContext,
    order_id: i64,
    kind: ActionKind,
    reason: Option<String>,
) -> ServiceResult<order::Model> {
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
    rules::action_allowed(kind, order.hub_status)
        .map_err(|m| ServiceError::rejected(&["orderId"], ErrorCode::InvalidState, m))?;
    let connector = channels::connector_for(ctx, &channel).await?;
    let outcome = connector
        .order_action(&order.external_id, &action_of(kind, reason.as_deref()))
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
    active.updated_at = Set(Utc::now());
    let order = active.update(&txn).await?;
    let name = channels::kind_name(channel.kind);
    let said = outcome.status_raw.as_deref().map(|s| format!(" (channel status now \"{s}\")")).unwrap_or_default();
    add_event(
        &txn,
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
    let order = match kind.status_after() {
        Some(to) => change_hub_status(&txn, order, to, &format!("{} from the hub", kind.label())).await?,
        None => order,
    };
    txn.commit().await?;
    Ok(order)
}

/// A hub-only status change (orders processed in the hub, SPEC §4): not sent to the channel; stock follows.
pub async fn set_hub_status(db: &DatabaseConnection, order_id: i64, to: OrderStatus) -> ServiceResult<order::Model> {
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
    let order = change_hub_status(&txn, order, to, "changed in the hub (not sent to the channel)").await?;
    txn.commit().await?;
    Ok(order)
}

/// One row of a channel's effective status mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingRow {
    pub channel_status: String,
    pub status: OrderStatus,
    pub payment_status: Option<PaymentStatus>,
    /// Set by the merchant on this channel (else the built-in table).
    pub overridden: bool,
}

/// The built-in table of the channel's kind with its overrides applied, then overrides of statuses the table lacks.
pub fn mapping(channel: &channel::Model) -> Vec<MappingRow> {
    let overrides = super::orders::overrides_of(channel);
    let mut rows: Vec<MappingRow> = crate::channels::marketplace(channel.kind)
        .order_statuses
        .iter()
        .map(|(raw, status, payment)| {
            let over = overrides.iter().find(|(r, _)| r.eq_ignore_ascii_case(raw)).map(|(_, s)| *s);
            MappingRow {
                channel_status: (*raw).to_owned(),
                status: over.unwrap_or(*status),
                payment_status: *payment,
                overridden: over.is_some(),
            }
        })
        .collect();
    let mut extra: Vec<_> = overrides
        .into_iter()
        .filter(|(r, _)| !rows.iter().any(|row| row.channel_status.eq_ignore_ascii_case(r)))
        .collect();
    extra.sort_by(|a, b| a.0.cmp(&b.0));
    rows.extend(extra.into_iter().map(|(raw, status)| MappingRow {
        channel_status: raw,
        status,
        payment_status: None,
        overridden: true,
    }));
    rows
}

/// Most overrides one request (and one channel) may hold.
pub const MAX_OVERRIDES: usize = 100;

/// Sets (`Some`) or removes (`None`) overrides of raw statuses for one channel. Applies to updates from now on.
pub async fn update_mapping(
    db: &DatabaseConnection,
    channel_id: i64,
    changes: Vec<(String, Option<OrderStatus>)>,
) -> ServiceResult<channel::Model> {
    let mut errors = Vec::new();
    if changes.is_empty() || changes.len() > MAX_OVERRIDES {
        errors.push(FieldError::new(&["mappings"], ErrorCode::TooMany, format!("give 1 to {MAX_OVERRIDES} mappings")));
    }
    let mut clean = Vec::new();
    for (i, (raw, status)) in changes.iter().enumerate() {
        match text::required("channelStatus", raw, text::MAX_CODE_LEN) {
            Ok(raw) => clean.push((raw, *status)),
            Err(e) => errors.push(e.under(&["mappings".to_owned(), i.to_string()])),
        }
        if *status == Some(OrderStatus::Unrecognized) {
            errors.push(FieldError::new(
                &["mappings", &i.to_string(), "status"],
                ErrorCode::Invalid,
                "map to a hub status; UNRECOGNIZED is what unmapped statuses get",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(ServiceError::Rejected(errors));
    }
    let txn = begin_write(db).await?;
    let channel = channel::Entity::find_by_id(channel_id)
        .one(&txn)
        .await?
        .ok_or_else(|| ServiceError::not_found(&["channelId"], "Channel"))?;
    let mut map: BTreeMap<String, OrderStatus> = super::orders::overrides_of(&channel).into_iter().collect();
    for (raw, status) in clean {
        map.retain(|k, _| !k.eq_ignore_ascii_case(&raw));
        if let Some(status) = status {
            map.insert(raw, status);
        }
    }
    if map.len() > MAX_OVERRIDES {
        return Err(ServiceError::rejected(
            &["mappings"],
            ErrorCode::TooMany,
            format!("a channel holds at most {MAX_OVERRIDES} overrides"),
        ));
    }
    let json = serde_json::to_value(&map).map_err(anyhow::Error::from)?;
    let mut active: channel::ActiveModel = channel.into();
    active.status_mapping_overrides = Set(if map.is_empty() { None } else { Some(json) });
    active.updated_at = Set(Utc::now());
    let saved = active.update(&txn).await?;
    txn.commit().await?;
    Ok(saved)
}
