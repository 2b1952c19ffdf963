//! The webhook inbox (`webhook_events`): every verified push (and every event pulled from Tiki's queue) is stored
//! once, deduplicated on (channel, dedup key), before anything else happens. An order event stays unprocessed
//! (`processed_at` NULL: seen, not yet applied) until the order fetched after it is applied; the stock-push guard
//! of issue 5 relies on exactly that meaning.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use entity::enums::ChannelStatus;
use entity::{channel, webhook_event};

use super::{ServiceError, ServiceResult, channels};
use crate::channels::ConnectorError;
use crate::context::AppContext;
use crate::domain::channel::{ChannelEvent, EventKind, WebhookRequest};

/// Largest webhook body accepted (bigger bodies are refused with 413 before they are read whole).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Why a push was refused; nothing was stored.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("no channel {0}")]
    UnknownChannel(String),
    #[error("channel {0} is not connected ({1})")]
    NotConnected(i64, &'static str),
    #[error("the body is not JSON")]
    NotJson,
    #[error("signature refused: {0}")]
    BadSignature(String),
    #[error("this channel takes no pushes: {0}")]
    Unsupported(String),
    #[error(transparent)]
    Fault(#[from] ServiceError),
}

/// What a verified push did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Received {
    pub channel_id: i64,
    /// Events stored now.
    pub stored: usize,
    /// Events already in the inbox (replays and retries).
    pub duplicates: usize,
    /// Whether some stored event asks for an order fetch.
    pub orders_to_fetch: bool,
    /// Product pushes (their inbox keys) of a channel whose products the hub keeps in step (the web store, whose
    /// descriptor creates missing products): the product they carry is to be created or matched in the hub.
    pub product_events: Vec<String>,
}

fn is_order_event(e: &ChannelEvent) -> bool {
    matches!(e.kind, EventKind::OrderCreated | EventKind::OrderStatusChanged) && e.external_order_id.is_some()
}

/// Connectors used to verify pushes, per channel and channel version: building one decrypts the credentials and
/// builds an HTTP client, far slower than checking a signature. A changed channel row (new credentials, refreshed
/// tokens) has a new `updated_at`, hence a new entry.
type Verifiers =
    std::sync::Mutex<std::collections::HashMap<i64, (DateTime<Utc>, std::sync::Arc<dyn crate::channels::Connector>)>>;

fn verifiers() -> &'static Verifiers {
    static CACHE: std::sync::OnceLock<Verifiers> = std::sync::OnceLock::new();
    CACHE.get_or_init(Default::default)
}

async fn verifier(
    ctx: &AppContext,
    channel: &channel::Model,
) -> ServiceResult<std::sync::Arc<dyn crate::channels::Connector>> {
    let cached = verifiers()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(&channel.id)
        .filter(|(at, _)| *at == channel.updated_at)
        .map(|(_, c)| c.clone());
    if let Some(connector) = cached {
        return Ok(connector);
    }
    let connector = channels::connector_for(ctx, channel).await?;
    verifiers()
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert(channel.id, (channel.updated_at, connector.clone()));
    Ok(connector)
}

/// Verifies and stores a push for `channel_path` (the channel's numeric id, from the URL).
pub async fn receive(ctx: &AppContext, channel_path: &str, request: WebhookRequest) -> Result<Received, Refusal> {
    let Ok(channel_id) = channel_path.trim().parse::<i64>() else {
        return Err(Refusal::UnknownChannel(channel_path.to_owned()));
    };
    let channel = channel::Entity::find_by_id(channel_id).one(&ctx.db).await.map_err(ServiceError::from)?;
    let Some(channel) = channel else { return Err(Refusal::UnknownChannel(channel_path.to_owned())) };
    if channel.status != ChannelStatus::Connected {
        return Err(Refusal::NotConnected(channel.id, channel.status.as_str()));
    }
    if serde_json::from_slice::<serde::de::IgnoredAny>(&request.body).is_err() {
        return Err(Refusal::NotJson);
    }
    let connector = verifier(ctx, &channel).await?;
    let events = connector.verify_webhook(&request).map_err(|e| match e {
        ConnectorError::Unsupported(what) => Refusal::Unsupported(what.to_owned()),
        other => Refusal::BadSignature(other.to_string()),
    })?;
    let (stored, duplicates, orders) = store_events(&ctx.db, channel.id, &events).await?;
    let product_events = if crate::channels::marketplace(channel.kind).creates_missing_products {
        events.iter().filter(|e| e.kind == EventKind::ProductChanged).map(|e| e.dedup_key.clone()).collect()
    } else {
        Vec::new()
    };
    if channel.webhook_first_push_at.is_none() {
        record_first_push(&ctx.db, channel.id).await?;
    }
    Ok(Received { channel_id: channel.id, stored, duplicates, orders_to_fetch: orders > 0, product_events })
}

/// The channel's first verified push: the merchant sees its pushes reach the hub. Set once (a concurrent first push
/// leaves the earlier time).
async fn record_first_push(db: &DatabaseConnection, channel_id: i64) -> ServiceResult<()> {
    channel::Entity::update_many()
        .col_expr(channel::Column::WebhookFirstPushAt, sea_orm::sea_query::Expr::value(Utc::now()))
        .filter(channel::Column::Id.eq(channel_id))
        .filter(channel::Column::WebhookFirstPushAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Stores events in the inbox, each once. Events that ask nothing of orders are stored processed. Returns (stored,
/// duplicates, stored order events).
pub async fn store_events(
    db: &DatabaseConnection,
    channel_id: i64,
    events: &[ChannelEvent],
) -> ServiceResult<(usize, usize, usize)> {
    let (mut stored, mut duplicates, mut orders) = (0, 0, 0);
    let at = Utc::now();
    for e in events {
        let order = is_order_event(e);
        let row = webhook_event::ActiveModel {
            channel_id: Set(channel_id),
            dedup_key: Set(e.dedup_key.clone()),
            topic: Set(Some(format!("{:?}", e.kind))),
            external_order_id: Set(e.external_order_id.clone()),
            payload: Set(e.raw.clone()),
            received_at: Set(at),
            processed_at: Set(if order { None } else { Some(at) }),
            error: Set(None),
            ..Default::default()
        };
        let inserted = webhook_event::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([webhook_event::Column::ChannelId, webhook_event::Column::DedupKey])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
        if inserted == 0 {
            duplicates += 1;
            tracing::debug!(channel_id, dedup_key = %e.dedup_key, "webhook event already received: ignored");
        } else {
            stored += 1;
            if order {
                orders += 1;
            }
        }
    }
    Ok((stored, duplicates, orders))
}

/// Orders with unprocessed webhook events, read by `pending_orders`.
pub struct PendingOrders {
    /// Oldest event first, each order once.
    pub ids: Vec<String>,
    /// When the read was made: events received up to then are answered by a fetch made after it.
    pub cutoff: DateTime<Utc>,
    /// When the oldest of these events arrived (the orders were updated on the channel before it).
    pub oldest_received_at: Option<DateTime<Utc>>,
    /// When each order's oldest waiting event arrived.
    pub first_received_at: std::collections::HashMap<String, DateTime<Utc>>,
}

/// Orders with unprocessed events on the channel, oldest event first, at most `limit`.
pub async fn pending_orders(db: &DatabaseConnection, channel_id: i64, limit: usize) -> ServiceResult<PendingOrders> {
    let cutoff = Utc::now();
    let rows: Vec<(Option<String>, DateTime<Utc>)> = webhook_event::Entity::find()
        .select_only()
        .column(webhook_event::Column::ExternalOrderId)
        .column(webhook_event::Column::ReceivedAt)
        .filter(webhook_event::Column::ChannelId.eq(channel_id))
        .filter(webhook_event::Column::ProcessedAt.is_null())
        .filter(webhook_event::Column::ReceivedAt.lte(cutoff))
        .order_by_asc(webhook_event::Column::Id)
        .limit((limit * 4) as u64)
        .into_tuple()
        .all(db)
        .await?;
    let oldest_received_at = rows.iter().map(|(_, at)| *at).min();
    let mut ids: Vec<String> = Vec::new();
    let mut first_received_at = std::collections::HashMap::new();
    for (id, at) in rows.into_iter().filter_map(|(id, at)| Some((id?, at))) {
        if let std::collections::hash_map::Entry::Vacant(slot) = first_received_at.entry(id.clone()) {
            if ids.len() == limit {
                break;
            }
            slot.insert(at);
            ids.push(id);
        }
    }
    Ok(PendingOrders { ids, cutoff, oldest_received_at, first_received_at })
}

/// The ids and bodies of the channel's unprocessed push events about these orders received up to `cutoff` (for
/// marketplaces whose push carries the whole order).
pub async fn pending_payloads(
    db: &DatabaseConnection,
    channel_id: i64,
    external_ids: &[String],
    cutoff: DateTime<Utc>,
) -> ServiceResult<Vec<(i64, serde_json::Value)>> {
    let mut out = Vec::new();
    for chunk in external_ids.chunks(500) {
        let payloads: Vec<(i64, serde_json::Value)> = webhook_event::Entity::find()
            .select_only()
            .column(webhook_event::Column::Id)
            .column(webhook_event::Column::Payload)
            .filter(webhook_event::Column::ChannelId.eq(channel_id))
            .filter(webhook_event::Column::ExternalOrderId.is_in(chunk.to_vec()))
            .filter(webhook_event::Column::ProcessedAt.is_null())
            .filter(webhook_event::Column::ReceivedAt.lte(cutoff))
            .into_tuple()
            .all(db)
            .await?;
        out.extend(payloads);
    }
    Ok(out)
}

/// The bodies of the channel's events with these inbox keys, in arrival order.
pub async fn payloads_of(
    db: &DatabaseConnection,
    channel_id: i64,
    dedup_keys: &[String],
) -> ServiceResult<Vec<serde_json::Value>> {
    let mut out = Vec::new();
    for chunk in dedup_keys.chunks(500) {
        let payloads: Vec<serde_json::Value> = webhook_event::Entity::find()
            .select_only()
            .column(webhook_event::Column::Payload)
            .filter(webhook_event::Column::ChannelId.eq(channel_id))
            .filter(webhook_event::Column::DedupKey.is_in(chunk.to_vec()))
            .order_by_asc(webhook_event::Column::Id)
            .into_tuple()
            .all(db)
            .await?;
        out.extend(payloads);
    }
    Ok(out)
}

/// How many events of the channel are seen but not yet applied.
pub async fn unprocessed_count(db: &DatabaseConnection, channel_id: i64) -> ServiceResult<u64> {
    use sea_orm::PaginatorTrait;
    Ok(webhook_event::Entity::find()
        .filter(webhook_event::Column::ChannelId.eq(channel_id))
        .filter(webhook_event::Column::ProcessedAt.is_null())
        .count(db)
        .await?)
}

/// The channels with events seen but not yet applied, each with its oldest such event's arrival.
pub async fn oldest_unprocessed(
    db: &DatabaseConnection,
) -> ServiceResult<std::collections::HashMap<i64, DateTime<Utc>>> {
    use sea_orm::sea_query::{Expr, Func};
    let rows: Vec<(i64, Option<DateTime<Utc>>)> = webhook_event::Entity::find()
        .select_only()
        .column(webhook_event::Column::ChannelId)
        .column_as(Expr::expr(Func::min(Expr::col(webhook_event::Column::ReceivedAt))), "oldest")
        .filter(webhook_event::Column::ProcessedAt.is_null())
        .group_by(webhook_event::Column::ChannelId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().filter_map(|(channel, oldest)| oldest.map(|at| (channel, at))).collect())
}
